package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// JournalReader reads the journal entries on devices; *netbox.Client has
// it. Confirm needs it.
type JournalReader interface {
	DeviceJournalPage(ctx context.Context, q netbox.JournalQuery, p netbox.PageRequest) (netbox.Page[netbox.JournalMark], error)
}

// InSyncLine is the line a journal entry of a sync that found nothing to
// change carries, after the JournalHeader.
const InSyncLine = "In sync: NetBox already matched this host; nothing was changed."

// Confirm records on the device of an in-sync plan that a sync found it
// so, as a journal entry like an apply's, unless a sync's or a register's
// entry on it is younger than every. A sync that changes nothing writes no
// entry of its own, so without this a host whose record stays true would
// look, to anyone reading the journal (cmdb-mcp fleet), as if it were never
// synced. It costs one read, and a write at most once per every; every <= 0
// turns it off. It returns the entry's id, 0 when none was written.
func (e *Engine) Confirm(ctx context.Context, plan diff.Plan, every time.Duration) (int64, error) {
	if every <= 0 || !plan.DeviceFound || !plan.InSync() {
		return 0, nil
	}
	jr, ok := e.nb.(JournalReader)
	if !ok {
		return 0, nil
	}
	page, err := jr.DeviceJournalPage(ctx, netbox.JournalQuery{Search: apply.JournalMarker, DeviceID: plan.Device.ID}, netbox.PageRequest{Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("read the last sync's journal entry on %q: %w", plan.Device.Name, err)
	}
	if len(page.Items) > 0 && e.now().Sub(page.Items[0].Created) < every {
		return 0, nil
	}
	entry, err := apply.NewJournalEntry(plan, plan.Device.ID, "success",
		apply.JournalHeader+"\n\n"+InSyncLine+"\n\n"+apply.ChangelogMessage(plan.ID))
	if err != nil {
		return 0, fmt.Errorf("journal that %q is in sync: %w", plan.Device.Name, err)
	}
	entry, err = e.nb.CreateJournalEntry(ctx, entry, netbox.WriteOptions{ChangelogMessage: apply.ChangelogMessage(plan.ID)})
	if err != nil {
		return 0, fmt.Errorf("journal that %q is in sync: %w", plan.Device.Name, err)
	}
	return entry.ID, nil
}
