package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// Phase 6: the journal entry that records what a sync did.

// ChangelogMessage is the message NetBox 4.4+ records on the changes of
// an apply of plan planID (changelog_message), and the last line of its
// journal entry.
func ChangelogMessage(planID string) string { return netbox.SyncMarker(planID) }

// JournalHeader is the first line of every journal entry, as the seed words it.
const JournalHeader = "Device synced via /cmdb sync command"

// journal writes the seed's Phase 6 entry. It lists failures and skips too,
// so that the record in NetBox says what did not happen, and what an
// earlier apply that was interrupted had written. Its last line names the
// plan (ChangelogMessage): the client finds the entry by it when NetBox's
// answer is lost, rather than write it twice.
// NewJournalEntry is a journal entry on device deviceID of p's host with
// the values p has for the custom fields NetBox requires on journal
// entries. When p has no value for one (p.JournalBlocked) there is no
// entry: the error says which and how to set it, and nothing should be
// sent. Every journal entry cmdb-mcp writes is made here.
func NewJournalEntry(p diff.Plan, deviceID int64, kind, comments string) (netbox.JournalEntry, error) {
	if p.JournalBlocked != "" {
		return netbox.JournalEntry{}, errors.New(p.JournalBlocked)
	}
	e := netbox.JournalEntry{AssignedObjectType: diff.ObjectDevice, AssignedObjectID: deviceID, Kind: kind, Comments: comments}
	if len(p.JournalCustomFields) > 0 {
		cf := p.JournalCustomFields
		e.CustomFields = &cf
	}
	return e, nil
}

func (r *run) journal(ctx context.Context, interrupted string) {
	if len(r.res.Changes) == 0 && interrupted == "" {
		return
	}
	comments, kind := journalEntry(r.res.Changes, interrupted, r.plan.ID)
	entry, err := NewJournalEntry(r.plan, r.plan.Device.ID, kind, comments)
	if err != nil {
		r.res.JournalError = err.Error()
		r.tracker.step("journal entry (blocked)")
		return
	}
	e, err := r.nb.CreateJournalEntry(ctx, entry, r.writes)
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

// journalEntry is the entry's Markdown, which NetBox renders, and its kind.
// Names, values and NetBox's messages are escaped (package untrusted): a
// value cannot add a line, a heading or markup to the record.
func journalEntry(changes []ChangeResult, interrupted, planID string) (comments, kind string) {
	var b strings.Builder
	b.WriteString(JournalHeader + "\n\nChanges applied:\n")
	kind = "success"
	for _, outcome := range []Outcome{OutcomeApplied, OutcomeFailed, OutcomeSkipped} {
		var lines []string
		for _, cr := range changes {
			if cr.Outcome != outcome {
				continue
			}
			line := "- " + JournalLine(cr.Change)
			if cr.Message != "" {
				line += " (" + untrusted.MarkdownN(cr.Message, untrusted.MaxMessageRunes) + ")"
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
	if interrupted != "" {
		kind = "warning"
		b.WriteString("\nAn earlier apply was interrupted:\n")
		for _, line := range strings.Split(strings.TrimRight(interrupted, "\n"), "\n") {
			// The lines quote NetBox's names of what it wrote: each is
			// escaped, its list item kept.
			if item, ok := strings.CutPrefix(line, "- "); ok {
				b.WriteString("- " + untrusted.MarkdownN(item, untrusted.MaxMessageRunes) + "\n")
			} else {
				b.WriteString(untrusted.MarkdownN(line, untrusted.MaxMessageRunes) + "\n")
			}
		}
	}
	b.WriteString("\n" + ChangelogMessage(planID))
	return b.String(), kind
}

// JournalLine is how the journal entry lists a change: Describe with each
// value escaped for Markdown and bounded (package untrusted).
func JournalLine(c diff.Change) string { return describe(c, untrusted.Markdown) }

// Describe is the one-line form of a change used in short results:
// "platform: Ubuntu 22.04 -> Ubuntu 24.04 (UPDATE)".
func Describe(c diff.Change) string { return describe(c, func(s string) string { return s }) }

// describe is Describe with each value shown through show.
func describe(c diff.Change, show func(string) string) string {
	kind := objectKind(c.ObjectType)
	if c.Action == diff.ActionCreate {
		return fmt.Sprintf("%s %s (%s)", kind, show(c.Object), c.Action)
	}
	what := show(c.Field)
	if c.ObjectType != diff.ObjectDevice {
		what = kind + " " + show(c.Object) + " " + show(c.Field)
	}
	value := func(s string) string {
		if s == "" {
			return "-"
		}
		return show(s)
	}
	return fmt.Sprintf("%s: %s -> %s (%s)", what, value(c.Old), value(c.New), c.Action)
}
