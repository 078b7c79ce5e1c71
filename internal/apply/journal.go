package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Phase 6: the journal entry that records what a sync did.

// ChangelogMessage is the message NetBox 4.4+ records on the changes of
// an apply of plan planID (changelog_message).
func ChangelogMessage(planID string) string { return "cmdb-mcp sync " + planID }

// JournalHeader is the first line of every journal entry, as the seed words it.
const JournalHeader = "Device synced via /cmdb sync command"

// journal writes the seed's Phase 6 entry. It lists failures and skips too,
// so that the record in NetBox says what did not happen.
func (r *run) journal(ctx context.Context) {
	if len(r.res.Changes) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(JournalHeader + "\n\nChanges applied:\n")
	kind := "success"
	for _, outcome := range []Outcome{OutcomeApplied, OutcomeFailed, OutcomeSkipped} {
		var lines []string
		for _, cr := range r.res.Changes {
			if cr.Outcome != outcome {
				continue
			}
			line := "- " + Describe(cr.Change)
			if cr.Message != "" {
				line += " (" + cr.Message + ")"
			}
			lines = append(lines, line)
		}
		if outcome != OutcomeApplied {
			if len(lines) == 0 {
				continue
			}
			kind = "warning"
			fmt.Fprintf(&b, "\nChanges %s:\n", outcome)
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	if r.plan.JournalBlocked != "" {
		r.res.JournalError = r.plan.JournalBlocked
		r.tracker.step("journal entry (blocked)")
		return
	}
	var cf *map[string]any
	if len(r.plan.JournalCustomFields) > 0 {
		cf = &r.plan.JournalCustomFields
	}
	e, err := r.nb.CreateJournalEntry(ctx, netbox.JournalEntry{
		AssignedObjectType: diff.ObjectDevice,
		AssignedObjectID:   r.plan.Device.ID,
		Kind:               kind,
		Comments:           strings.TrimRight(b.String(), "\n"),
		CustomFields:       cf,
	})
	if err != nil {
		r.res.JournalError = err.Error()
		var nbErr *netbox.Error
		if errors.As(err, &nbErr) {
			r.res.JournalErrorKind = nbErr.Kind
		}
	} else {
		r.res.JournalEntryID = e.ID
	}
	r.tracker.step("journal entry")
}

// Describe is the one-line form of a change used in the journal and in
// short results: "platform: Ubuntu 22.04 -> Ubuntu 24.04 (UPDATE)".
func Describe(c diff.Change) string {
	kind := c.ObjectType
	if i := strings.LastIndexByte(kind, '.'); i >= 0 {
		kind = kind[i+1:]
	}
	if c.Action == diff.ActionCreate {
		return fmt.Sprintf("%s %s (%s)", kind, c.Object, c.Action)
	}
	what := c.Field
	if c.ObjectType != diff.ObjectDevice {
		what = kind + " " + c.Object + " " + c.Field
	}
	return fmt.Sprintf("%s: %s -> %s (%s)", what, dash(c.Old), dash(c.New), c.Action)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
