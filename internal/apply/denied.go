package apply

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// TokenCannotWrite is how an apply result says that NetBox refused writes
// for lack of permission: a read-only token, or a user without the add and
// change permissions.
const TokenCannotWrite = "the NetBox token cannot write"

// WriteDenied says, for people and models alike, which writes NetBox
// refused with "permission denied" and what to do; "" when none.
func (res Result) WriteDenied() string {
	n := 0
	var types []string
	for _, c := range res.Changes {
		if c.Outcome != OutcomeFailed || c.Kind != netbox.KindPermission {
			continue
		}
		n++
		if !slices.Contains(types, c.Change.ObjectType) {
			types = append(types, c.Change.ObjectType)
		}
	}
	journal := res.JournalErrorKind == netbox.KindPermission
	if journal {
		types = append(types, "extras.journalentry")
	}
	if n == 0 && !journal {
		return ""
	}
	var what string
	switch {
	case n > 0 && journal:
		what = fmt.Sprintf("NetBox refused %d changes and the journal entry", n)
	case n > 0:
		what = fmt.Sprintf("NetBox refused %d changes", n)
	default:
		what = "NetBox refused the journal entry"
	}
	return fmt.Sprintf("%s with \"permission denied\": %s %s. It is a read-only token, or its user lacks the add and change permissions on these objects: configure a write-enabled token (%s or %s) and restart cmdb-mcp.",
		what, TokenCannotWrite, strings.Join(types, ", "), netbox.EnvToken, netbox.EnvTokenFile)
}
