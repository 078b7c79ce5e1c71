package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/rundir"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// One apply of a device at a time.
//
// Two syncs of one host that plan at the same moment (a cron job and an
// agent, say) would both write what they found missing: two MAC objects
// for one interface, an interface created twice (the second refused).
// So the applies of one device take turns: within an engine by a lock of
// its own, and across processes on the host by a lock file in the runtime
// directory (rundir). The one that comes second checks its plan only once
// it has the lock, so it sees the first one's writes in the change log and
// is refused as stale, with nothing written, or has nothing left to do.
//
// While it writes, an apply keeps a record in the runtime directory: its
// plan, the steps done and the ids of the requests NetBox answered. An
// apply that is killed leaves it behind; the next apply of the device
// reads what that one wrote from NetBox's change log (the records of those
// requests, and on NetBox 4.4+ every record with its plan's changelog
// message, the request in flight's too) and says so in its own journal
// entry. Diffs meanwhile note it.

// maxLockWait bounds how long an apply waits for another apply of the same
// device: longer than any apply takes, retries included.
const maxLockWait = 10 * time.Minute

// maxInterruptedLines bounds the writes of an interrupted apply that a
// journal entry lists.
const maxInterruptedLines = 40

// WithRunDir makes the applies of one device wait for each other across
// the processes that share d, and keep a record in d while they write.
// Without it they take turns within this engine only.
func WithRunDir(d *rundir.Dir) Option { return func(e *Engine) { e.run = d } }

// applyRecord is what an apply in progress keeps in the runtime directory.
type applyRecord struct {
	PlanID     string         `json:"plan_id"`
	Device     diff.DeviceRef `json:"device"`
	Started    time.Time      `json:"started"`
	PID        int            `json:"pid"`
	StepsDone  []string       `json:"steps_done,omitempty"`
	RequestIDs []string       `json:"request_ids,omitempty"`
	// Earlier is what this apply's journal entry says about earlier
	// applies that were interrupted, kept in case this one is too.
	Earlier string `json:"earlier,omitempty"`
}

// deviceKey names a device's lock and record: its NetBox and its id, so
// that one runtime directory serves several NetBoxes.
func (e *Engine) deviceKey(dev diff.DeviceRef) string {
	sum := sha256.Sum256([]byte(e.nb.WebURL("dcim/devices", dev.ID)))
	return "sync-" + hex.EncodeToString(sum[:8])
}

// lockDevice waits for the other applies of dev to finish and returns the
// function that lets the next one go.
func (e *Engine) lockDevice(ctx context.Context, dev diff.DeviceRef) (func(), error) {
	e.mu.Lock()
	turn := e.applying[dev.ID]
	if turn == nil {
		turn = make(chan struct{}, 1)
		e.applying[dev.ID] = turn
	}
	e.mu.Unlock()

	busy := func(err error) error {
		return fmt.Errorf("another apply of device %s is running: %w; nothing was written. Run the sync again once it is done", dev.Name, err)
	}
	select {
	case turn <- struct{}{}:
	default:
		slog.Info("another apply of this device is running in this server; waiting for it", "device", dev.Name)
		timer := time.NewTimer(maxLockWait)
		defer timer.Stop()
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return nil, busy(ctx.Err())
		case <-timer.C:
			return nil, busy(fmt.Errorf("still running after %s", maxLockWait))
		}
	}
	if e.run == nil {
		return func() { <-turn }, nil
	}
	unlock, err := e.run.Lock(ctx, e.deviceKey(dev), maxLockWait, func(holder int) {
		slog.Info("another process is applying a sync of this device; waiting for it", "device", dev.Name, "pid", holder)
	})
	if err != nil {
		<-turn
		return nil, busy(err)
	}
	return func() { unlock(); <-turn }, nil
}

// applyRunning reports whether an apply of dev is under way in this
// engine or, by the lock, in another process.
func (e *Engine) applyRunning(dev diff.DeviceRef) bool {
	e.mu.Lock()
	turn := e.applying[dev.ID]
	e.mu.Unlock()
	if len(turn) > 0 {
		return true
	}
	return e.run != nil && e.run.Busy(e.deviceKey(dev))
}

// interruptedNote is the plan note about an apply of dev that was
// interrupted before its journal entry, "" when there is none.
func (e *Engine) interruptedNote(dev diff.DeviceRef) string {
	if e.run == nil || e.applyRunning(dev) {
		return ""
	}
	var rec applyRecord
	if ok, err := e.run.ReadRecord(e.deviceKey(dev), &rec); err != nil || !ok {
		return ""
	}
	return fmt.Sprintf("An earlier apply of this device (plan %s, started %s) was interrupted before its journal entry; the next apply's journal entry records what it wrote.",
		rec.PlanID, rec.Started.UTC().Format(time.DateTime+" UTC"))
}

// applyRun is the record of one apply under way.
type applyRun struct {
	e   *Engine
	key string
	rec applyRecord
}

// beginApply reads what an interrupted earlier apply of the device left
// (text for the journal, "" for none) and records this one. Call it with
// the device's lock held. A record that cannot be written costs only the
// report of this apply if it is interrupted: it is logged, not fatal.
func (e *Engine) beginApply(ctx context.Context, p diff.Plan) (*applyRun, string) {
	if e.run == nil {
		return nil, ""
	}
	ar := &applyRun{e: e, key: e.deviceKey(p.Device),
		rec: applyRecord{PlanID: p.ID, Device: p.Device, Started: e.now().UTC(), PID: os.Getpid()}}
	var old applyRecord
	ok, err := e.run.ReadRecord(ar.key, &old)
	if err != nil {
		slog.Warn("the record of an earlier apply of this device could not be read; it is replaced", "device", p.Device.Name, "error", err)
	}
	if ok {
		ar.rec.Earlier = strings.TrimSpace(strings.Join([]string{old.Earlier, e.whatItWrote(ctx, old)}, "\n"))
	}
	ar.save()
	return ar, ar.rec.Earlier
}

// step notes a step the apply finished and the requests answered so far.
// The apply's lanes call it one at a time (apply.Progress).
func (ar *applyRun) step(msg string, requestIDs []string) {
	if ar == nil {
		return
	}
	ar.rec.StepsDone = append(ar.rec.StepsDone, msg)
	ar.rec.RequestIDs = requestIDs
	ar.save()
}

func (ar *applyRun) save() {
	if err := ar.e.run.WriteRecord(ar.key, ar.rec); err != nil {
		slog.Warn("the record of this apply could not be written: if it is interrupted, the next apply cannot say what it wrote",
			"device", ar.rec.Device.Name, "dir", ar.e.run.Path(), "error", err)
	}
}

// end removes the record: the apply returned, and its result says what
// it did.
func (ar *applyRun) end() {
	if ar == nil {
		return
	}
	if err := ar.e.run.RemoveRecord(ar.key); err != nil {
		slog.Warn("the record of a finished apply could not be removed; the next apply will report it as interrupted", "device", ar.rec.Device.Name, "error", err)
	}
}

// whatItWrote says, for the journal, what an interrupted apply wrote, as
// NetBox's change log shows it: the records of the requests it was
// answered, and those that carry its plan's changelog message (NetBox
// 4.4+), which covers the request in flight when it stopped. "" when the
// log shows that it wrote its journal entry after all.
func (e *Engine) whatItWrote(ctx context.Context, rec applyRecord) string {
	head := fmt.Sprintf("Plan %s (started %s, process %d) stopped before its journal entry", rec.PlanID, rec.Started.UTC().Format(time.DateTime+" UTC"), rec.PID)
	if len(rec.StepsDone) > 0 {
		head += ", after: " + strings.Join(rec.StepsDone, ", ")
	}
	head += "."
	log, ok := e.nb.(ChangeLog)
	if !ok {
		return head + " What it wrote could not be read: this NetBox client reads no change log."
	}
	changes, more, err := log.ListObjectChanges(ctx, rec.Started.Add(-changeLogSlack), changeLogPage)
	if err != nil {
		return head + " What it wrote could not be read from NetBox's change log (" + untrusted.TextN(err.Error(), 200) + ")."
	}
	ours := func(c netbox.ObjectChange) bool {
		return slices.Contains(rec.RequestIDs, c.RequestID) || c.Message == apply.ChangelogMessage(rec.PlanID)
	}
	var lines []string
	for i := len(changes) - 1; i >= 0; i-- { // the log is newest first
		c := changes[i]
		if !ours(c) {
			continue
		}
		if c.ObjectType == "extras.journalentry" && c.Action == "create" {
			return "" // it got as far as its journal entry
		}
		_, model, _ := strings.Cut(c.ObjectType, ".")
		lines = append(lines, fmt.Sprintf("- %sd %s %s (id %d)", c.Action, model, untrusted.TextN(changedName(c), 100), c.ObjectID))
	}
	switch {
	case len(lines) == 0 && more:
		return head + " NetBox's change log has more records since it began than one page; none of the first ones is its."
	case len(lines) == 0:
		return head + " NetBox's change log shows no write of it."
	}
	if len(lines) > maxInterruptedLines {
		lines = append(lines[:maxInterruptedLines], fmt.Sprintf("- ... and %d more", len(lines)-maxInterruptedLines))
	}
	tail := ""
	if more {
		tail = "\n(NetBox's change log has more records since it began than one page: the list may be incomplete.)"
	}
	return head + " NetBox's change log shows it wrote:\n" + strings.Join(lines, "\n") + tail
}

// changedName is how a change record names its object: object_repr from
// NetBox 4.5 on, else the name (address, MAC) in its data.
func changedName(c netbox.ObjectChange) string {
	if c.ObjectRepr != "" {
		return c.ObjectRepr
	}
	for _, d := range []map[string]any{c.Post, c.Pre} {
		for _, k := range []string{"name", "address", "mac_address", "slug"} {
			if v, ok := d[k].(string); ok && v != "" {
				return v
			}
		}
	}
	return "?"
}
