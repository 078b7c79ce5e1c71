package apply

import (
	"context"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// RegisterJournalHeader is the first line of the journal entry a register
// writes on the device it created, worded as the sync's JournalHeader.
const RegisterJournalHeader = "Device registered via /cmdb register command"

// JournalMarker is what the first lines of a sync's and a register's
// journal entries share, and no other entry of cmdb-mcp's: NetBox's
// search of journal entries (?q=, a substring of the comments) finds both
// with it.
const JournalMarker = "via /cmdb "

// JournalRegister records on the device what a register created, written
// as w says: lines are one each ("device web01 (CREATE): site Berlin,
// ..."). sync is the register's first sync, whose custom field values the
// entry carries (NewJournalEntry). The first sync records its own changes
// in an entry of its own.
func JournalRegister(ctx context.Context, nb NetBox, w netbox.WriteOptions, sync diff.Plan, deviceID int64, lines []string) (int64, error) {
	var b strings.Builder
	b.WriteString(RegisterJournalHeader + "\n\nCreated:\n")
	for _, l := range lines {
		b.WriteString("- " + l + "\n")
	}
	b.WriteString("\nWhat the first sync wrote, if anything, is in a journal entry of its own.")
	entry, err := NewJournalEntry(sync, deviceID, "success", b.String())
	if err != nil {
		return 0, err
	}
	e, err := nb.CreateJournalEntry(ctx, entry, w)
	return e.ID, err
}
