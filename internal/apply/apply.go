// Package apply executes a diff.Plan against NetBox and writes the journal
// entry that records it (seed Phases 5 and 6).
package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Outcome is what happened to one change.
type Outcome string

// Outcomes.
const (
	OutcomeApplied Outcome = "applied"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped"
)

// ChangeResult is one change of the plan and what became of it.
type ChangeResult struct {
	Change  diff.Change `json:"change"`
	Outcome Outcome     `json:"outcome"`
	// Message is NetBox's own message for a failure, or why a change was skipped.
	Message string `json:"message,omitempty"`
}

// Result is the outcome of applying a plan.
type Result struct {
	PlanID         string         `json:"plan_id"`
	Device         diff.DeviceRef `json:"device"`
	Changes        []ChangeResult `json:"changes"`
	Applied        int            `json:"applied"`
	Failed         int            `json:"failed"`
	Skipped        int            `json:"skipped"`
	JournalEntryID int64          `json:"journal_entry_id,omitempty"`
	// JournalError is NetBox's message when the journal entry failed.
	JournalError string `json:"journal_error,omitempty"`
}

// NetBox is what apply needs from a NetBox client; *netbox.Client has it.
type NetBox interface {
	CreatePlatform(ctx context.Context, p netbox.PlatformCreate) (netbox.Platform, error)
	UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate) (netbox.Device, error)
	CreateJournalEntry(ctx context.Context, e netbox.JournalEntry) (netbox.JournalEntry, error)
}

// Progress is told about each step as apply makes it.
type Progress func(done, total int, message string)

// JournalHeader is the first line of every journal entry, as the seed words it.
const JournalHeader = "Device synced via /cmdb sync command"

// ErrNotApplicable is returned for a plan that cannot be applied at all.
var ErrNotApplicable = errors.New("plan cannot be applied")

// Apply executes the plan in the order NetBox accepts (objects a change
// points at are created before the change), then journals what happened.
// A failed change does not stop the others, as the seed's error table asks;
// a change that depends on a failed one is skipped with the reason. Nothing
// is ever deleted.
func Apply(ctx context.Context, nb NetBox, p diff.Plan, progress Progress) (Result, error) {
	if !p.DeviceFound || p.Device.ID == 0 {
		return Result{}, fmt.Errorf("%w: no device %q in NetBox; register the host first (/cmdb register)", ErrNotApplicable, p.Hostname)
	}
	if progress == nil {
		progress = func(int, int, string) {}
	}
	r := &run{nb: nb, plan: p, progress: progress, created: map[string]int64{}, failedKeys: map[string]string{}}
	r.res = Result{PlanID: p.ID, Device: p.Device, Changes: make([]ChangeResult, 0, len(p.Changes))}
	r.total = r.countSteps()

	r.createPlatforms(ctx)
	r.updateDevice(ctx)
	r.journal(ctx)
	return r.res, nil
}

// run is the state of one Apply.
type run struct {
	nb       NetBox
	plan     diff.Plan
	progress Progress
	res      Result
	done     int
	total    int
	// created maps a CREATE change's Key to the new object's id, and
	// failedKeys to the reason it could not be made.
	created    map[string]int64
	failedKeys map[string]string
}

func (r *run) countSteps() int {
	n := 0
	device := false
	for _, c := range r.plan.Changes {
		switch {
		case c.ObjectType == diff.ObjectDevice:
			device = true
		default:
			n++
		}
	}
	if device {
		n++ // one PATCH for all device fields
	}
	if n > 0 {
		n++ // journal
	}
	return n
}

func (r *run) step(msg string) {
	r.done++
	r.progress(r.done, r.total, msg)
}

func (r *run) record(c diff.Change, err error) {
	cr := ChangeResult{Change: c, Outcome: OutcomeApplied}
	if err != nil {
		cr.Outcome, cr.Message = OutcomeFailed, err.Error()
		r.res.Failed++
	} else {
		r.res.Applied++
	}
	r.res.Changes = append(r.res.Changes, cr)
}

func (r *run) skip(c diff.Change, why string) {
	r.res.Changes = append(r.res.Changes, ChangeResult{Change: c, Outcome: OutcomeSkipped, Message: why})
	r.res.Skipped++
}

func (r *run) createPlatforms(ctx context.Context) {
	for _, c := range r.plan.Changes {
		if c.ObjectType != diff.ObjectPlatform || c.Action != diff.ActionCreate {
			continue
		}
		p, err := r.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: c.New, Slug: c.Slug})
		if err != nil {
			r.failedKeys[c.Key] = fmt.Sprintf("platform %q could not be created", c.New)
		} else {
			r.created[c.Key] = p.ID
		}
		r.record(c, err)
		r.step("create platform " + c.New)
	}
}

// updateDevice sends every device field in one PATCH: fewer requests, and
// NetBox validates the device once with all its new values.
func (r *run) updateDevice(ctx context.Context) {
	var u netbox.DeviceUpdate
	var included []diff.Change
	for _, c := range r.plan.Changes {
		if c.ObjectType != diff.ObjectDevice {
			continue
		}
		switch c.Field {
		case "platform":
			id := c.NewID
			if c.NewKey != "" {
				if why, failed := r.failedKeys[c.NewKey]; failed {
					r.skip(c, why)
					continue
				}
				id = r.created[c.NewKey]
			}
			u.Platform = &id
		case "status":
			u.Status = ptr(c.New)
		case "serial":
			u.Serial = ptr(c.New)
		default:
			r.skip(c, "apply does not know device field "+c.Field)
			continue
		}
		included = append(included, c)
	}
	if len(included) == 0 {
		return
	}
	_, err := r.nb.UpdateDevice(ctx, r.plan.Device.ID, u)
	for _, c := range included {
		r.record(c, err)
	}
	r.step("update device " + r.plan.Device.Name)
}

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
		if outcome != OutcomeApplied {
			n := 0
			for _, cr := range r.res.Changes {
				if cr.Outcome == outcome {
					n++
				}
			}
			if n == 0 {
				continue
			}
			kind = "warning"
			fmt.Fprintf(&b, "\nChanges %s:\n", outcome)
		}
		for _, cr := range r.res.Changes {
			if cr.Outcome != outcome {
				continue
			}
			fmt.Fprintf(&b, "- %s", Describe(cr.Change))
			if cr.Message != "" {
				fmt.Fprintf(&b, " (%s)", cr.Message)
			}
			b.WriteString("\n")
		}
	}
	e, err := r.nb.CreateJournalEntry(ctx, netbox.JournalEntry{
		AssignedObjectType: diff.ObjectDevice,
		AssignedObjectID:   r.plan.Device.ID,
		Kind:               kind,
		Comments:           strings.TrimRight(b.String(), "\n"),
	})
	if err != nil {
		r.res.JournalError = err.Error()
	} else {
		r.res.JournalEntryID = e.ID
	}
	r.step("journal entry")
}

// Describe is the one-line form of a change used in the journal and in
// short results: "Platform: Ubuntu 22.04 -> Ubuntu 24.04 (UPDATE)".
func Describe(c diff.Change) string {
	what := c.Object
	if c.Field != "" {
		what = c.Field
		if c.ObjectType != diff.ObjectDevice {
			what = c.Object + " " + c.Field
		}
	} else {
		what = strings.TrimPrefix(c.ObjectType, "dcim.") + " " + c.Object
	}
	old, new := c.Old, c.New
	if old == "" {
		old = "-"
	}
	if new == "" {
		new = "-"
	}
	if c.Action == diff.ActionCreate {
		return fmt.Sprintf("%s (%s)", what, c.Action)
	}
	return fmt.Sprintf("%s: %s -> %s (%s)", what, old, new, c.Action)
}

func ptr[T any](v T) *T { return &v }
