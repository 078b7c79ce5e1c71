// Package apply executes a diff.Plan against NetBox and writes the journal
// entry that records it (seed Phases 5 and 6).
package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
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
	// Kind is the kind of NetBox's refusal of a failed change (permission,
	// validation, ...); empty for other failures and for skips.
	Kind netbox.ErrorKind `json:"kind,omitempty"`
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
	// JournalError is NetBox's message when the journal entry failed;
	// JournalErrorKind the kind of that failure.
	JournalError     string           `json:"journal_error,omitempty"`
	JournalErrorKind netbox.ErrorKind `json:"journal_error_kind,omitempty"`
}

// NetBox is what apply needs from a NetBox client; *netbox.Client has it.
// Every list call is one bulk request, all or nothing, answered in order
// (isolate.go finds what NetBox refused of one). Every write carries the
// apply's netbox.WriteOptions: its changelog message, TakeExisting, and the
// caller's request log.
type NetBox interface {
	CreatePlatform(ctx context.Context, p netbox.PlatformCreate, w netbox.WriteOptions) (record.Platform, error)
	UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error)
	CreateJournalEntry(ctx context.Context, e netbox.JournalEntry, w netbox.WriteOptions) (netbox.JournalEntry, error)

	CreateInterfaces(ctx context.Context, in []netbox.InterfaceCreate, w netbox.WriteOptions) ([]record.Interface, error)
	UpdateInterfaces(ctx context.Context, in []netbox.InterfaceUpdate, w netbox.WriteOptions) ([]record.Interface, error)
	CreateMACAddresses(ctx context.Context, in []netbox.MACAddressCreate, w netbox.WriteOptions) ([]record.MACAddress, error)
	UpdateMACAddresses(ctx context.Context, in []netbox.MACAddressUpdate, w netbox.WriteOptions) ([]record.MACAddress, error)
	CreateIPAddresses(ctx context.Context, in []netbox.IPAddressCreate, w netbox.WriteOptions) ([]record.IPAddress, error)
	UpdateIPAddresses(ctx context.Context, in []netbox.IPAddressUpdate, w netbox.WriteOptions) ([]record.IPAddress, error)

	CreateDeviceRoles(ctx context.Context, in []netbox.DeviceRoleCreate, w netbox.WriteOptions) ([]record.DeviceRole, error)
	CreateClusterType(ctx context.Context, in netbox.ClusterTypeCreate, w netbox.WriteOptions) (record.ClusterType, error)
	CreateClusterGroup(ctx context.Context, in netbox.ClusterGroupCreate, w netbox.WriteOptions) (record.ClusterGroup, error)
	CreateClusters(ctx context.Context, in []netbox.ClusterCreate, w netbox.WriteOptions) ([]record.Cluster, error)
	CreateVirtualMachines(ctx context.Context, in []netbox.VirtualMachineCreate, w netbox.WriteOptions) ([]record.VirtualMachine, error)
	UpdateVirtualMachines(ctx context.Context, in []netbox.VirtualMachineUpdate, w netbox.WriteOptions) ([]record.VirtualMachine, error)
}

// Progress is told about each step as apply makes it, with done counting up
// to total. The two lanes call it from their own goroutines, one call at a
// time.
type Progress func(done, total int, message string)

// ErrNotApplicable is returned for a plan that cannot be applied at all.
var ErrNotApplicable = errors.New("plan cannot be applied")

// Option tunes one Apply.
type Option func(*options)

type options struct {
	interrupted string
	requestIDs  *netbox.RequestLog
}

// WithInterrupted tells the journal entry about an earlier apply of the
// device that was interrupted before its own entry: text says what it had
// written, one line or more. The entry is then a warning, and is written
// even when the plan changes nothing.
func WithInterrupted(text string) Option { return func(o *options) { o.interrupted = text } }

// WithRequestLog collects in log the request ids of every write the apply
// makes: the ids NetBox's change records of those writes carry.
func WithRequestLog(log *netbox.RequestLog) Option { return func(o *options) { o.requestIDs = log } }

// Apply executes the plan in the order NetBox accepts, one bulk request per
// step, so the number of requests does not grow with the number of objects.
// It has two lanes that depend on nothing of each other and run side by
// side, each in its own order:
//
//	network: platforms -> interfaces -> MAC objects -> interface updates
//	(primary MACs, offline) -> IPs (create; update the ones to become
//	primary) -> device (attributes, primary IPs) -> IPs (other updates,
//	unassignments)
//	containers: cluster type -> cluster group -> roles -> clusters -> VMs
//	(create, then update)
//
// The journal entry follows both. The result lists the network lane's
// changes before the containers', whichever finished first.
//
// A failed change does not stop the others, as the seed's error table asks:
// when NetBox refuses some objects of a bulk request, the others are
// written (isolate.go), and when it refuses one field of an object (the
// device's platform), the object's other fields are. A change that
// depends on a failed one is skipped with a reason that names it; a
// change the plan marks Blocked is skipped without a request. Nothing is
// ever deleted.
func Apply(ctx context.Context, nb NetBox, p diff.Plan, progress Progress, opts ...Option) (Result, error) {
	if !p.DeviceFound || p.Device.ID == 0 {
		return Result{}, fmt.Errorf("%w: no device %q in NetBox; register the host first (cmdb_register, or cmdb-mcp register)", ErrNotApplicable, p.Hostname)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if progress == nil {
		progress = func(int, int, string) {}
	}
	w := netbox.WriteOptions{
		// NetBox 4.4+ keeps it as the message of every change this apply makes.
		ChangelogMessage: ChangelogMessage(p.ID),
		// A platform, role or cluster type another host made since the diff
		// is the one this plan meant to make.
		TakeExisting: true,
		RequestIDs:   o.requestIDs,
	}
	tr := &tracker{progress: progress}
	if p.Applicable() == 0 && o.interrupted == "" {
		// Every change is blocked: nothing to write, nor to journal. (An
		// interrupted apply to report still gets its journal entry.)
		r := newRun(nb, w, p, tr)
		r.unblocked(p.Changes)
		return r.res, nil
	}
	network, containers := newRun(nb, w, p, tr), newRun(nb, w, p, tr)
	lanes := []struct {
		r     *run
		steps []step
	}{{network, network.networkSteps()}, {containers, containers.containerSteps()}}
	for _, l := range lanes {
		for _, s := range l.steps {
			if len(s.changes) > 0 {
				tr.total++
			}
		}
	}
	if tr.total > 0 || o.interrupted != "" {
		tr.total++ // the journal entry
	}
	var wg sync.WaitGroup
	for _, l := range lanes {
		wg.Go(func() {
			for _, s := range l.steps {
				if len(s.changes) == 0 {
					continue
				}
				s.do(ctx, l.r.unblocked(s.changes))
				tr.step(fmt.Sprintf("%s (%d)", s.name, len(s.changes)))
			}
		})
	}
	wg.Wait()

	all := newRun(nb, w, p, tr)
	for _, l := range lanes {
		all.res.Changes = append(all.res.Changes, l.r.res.Changes...)
		all.res.Applied += l.r.res.Applied
		all.res.Failed += l.r.res.Failed
		all.res.Skipped += l.r.res.Skipped
	}
	all.journal(ctx, o.interrupted)
	return all.res, nil
}

// step is one request (or a few, for single-object endpoints) of the apply.
type step struct {
	name    string
	changes []diff.Change
	do      func(ctx context.Context, cs []diff.Change)
}

// tracker counts the steps of both lanes for Progress.
type tracker struct {
	mu       sync.Mutex
	progress Progress
	done     int
	total    int
}

func (t *tracker) step(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done++
	t.progress(t.done, t.total, msg)
}

// run is the state of one lane of an Apply. The lanes share no object
// references: each has its own ids.
type run struct {
	nb NetBox
	// writes is what every write of the apply carries.
	writes  netbox.WriteOptions
	plan    diff.Plan
	tracker *tracker
	res     Result
	// ids maps a CREATE change's Key to the new object's id; failed maps
	// it to why the object could not be made.
	ids    map[string]int64
	failed map[string]string
	// primaryFailed is set when the device PATCH that moves primary IPs
	// failed: unassigning the old primary would then be refused.
	primaryFailed map[string]bool
	// notMoved holds, by id, the existing IPs that were to move onto the
	// device's interfaces and did not: the device cannot make them
	// primary.
	notMoved map[int64]string
	// sends counts the requests of the bulk steps (writeObjects).
	sends int
}

func newRun(nb NetBox, w netbox.WriteOptions, p diff.Plan, tr *tracker) *run {
	return &run{nb: nb, writes: w, plan: p, tracker: tr, ids: map[string]int64{}, failed: map[string]string{},
		res: Result{PlanID: p.ID, Device: p.Device, Changes: make([]ChangeResult, 0, len(p.Changes))}}
}

// unblocked skips the changes the plan marks Blocked, with its reason, and
// returns the others; a step left with none sends nothing.
func (r *run) unblocked(cs []diff.Change) []diff.Change {
	var out []diff.Change
	for _, c := range cs {
		if c.Blocked != "" {
			r.skip(c, c.Blocked)
			continue
		}
		out = append(out, c)
	}
	return out
}

// customFields is the custom field values the changes of one object carry,
// merged; nil for none.
func customFields(cs []diff.Change) *map[string]any {
	var out map[string]any
	for _, c := range cs {
		for k, v := range c.CustomFields {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	if out == nil {
		return nil
	}
	return &out
}

// pick returns the plan's changes that keep accepts, in plan order.
func (r *run) pick(keep func(diff.Change) bool) []diff.Change {
	var out []diff.Change
	for _, c := range r.plan.Changes {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// is accepts the changes of objectType with one of actions (any action if
// none is given).
func is(objectType string, actions ...diff.Action) func(diff.Change) bool {
	return func(c diff.Change) bool {
		if c.ObjectType != objectType {
			return false
		}
		for _, a := range actions {
			if c.Action == a {
				return true
			}
		}
		return len(actions) == 0
	}
}

func (r *run) record(c diff.Change, err error) {
	cr := ChangeResult{Change: c, Outcome: OutcomeApplied}
	if err != nil {
		cr.Outcome, cr.Message = OutcomeFailed, err.Error()
		var e *netbox.Error
		if errors.As(err, &e) {
			cr.Kind = e.Kind
		}
		r.res.Failed++
		why := fmt.Sprintf("%s %q failed", objectKind(c.ObjectType), c.Object)
		if c.Key != "" {
			r.failed[c.Key] = why
		}
		r.noteNotMoved(c, why)
	} else {
		r.res.Applied++
	}
	r.res.Changes = append(r.res.Changes, cr)
}

// dependsPrefix begins the reason of a change skipped because one it
// needs did not apply.
const dependsPrefix = "depends on a change that did not apply: "

func (r *run) skip(c diff.Change, why string) {
	r.res.Changes = append(r.res.Changes, ChangeResult{Change: c, Outcome: OutcomeSkipped, Message: why})
	r.res.Skipped++
	// What depends on c names what did not apply first, not the chain
	// that led from it to c.
	root, ok := strings.CutPrefix(why, dependsPrefix)
	if !ok {
		root = fmt.Sprintf("%s %q was skipped (%s)", objectKind(c.ObjectType), c.Object, why)
	}
	r.noteNotMoved(c, root)
	if c.Key != "" {
		r.failed[c.Key] = root
	}
}

// noteNotMoved remembers an existing IP whose move onto an interface did
// not apply, and why.
func (r *run) noteNotMoved(c diff.Change, why string) {
	if c.ObjectType != diff.ObjectIPAddress || c.Field != diff.FieldAssignment || c.Action != diff.ActionUpdate || c.ObjectID == 0 {
		return
	}
	if r.notMoved == nil {
		r.notMoved = map[int64]string{}
	}
	r.notMoved[c.ObjectID] = why
}

// objectKind is an object type without its app: "interface" for
// dcim.interface.
func objectKind(objectType string) string {
	if i := strings.LastIndexByte(objectType, '.'); i >= 0 {
		return objectType[i+1:]
	}
	return objectType
}

// resolve returns the id an id-or-key reference names. ok is false when
// the object could not be made (why says so).
func (r *run) resolve(id int64, key string) (int64, string, bool) {
	if key == "" {
		return id, "", true
	}
	if why, bad := r.failed[key]; bad {
		return 0, dependsPrefix + why, false
	}
	got, ok := r.ids[key]
	if !ok {
		return 0, "depends on " + key + ", which this plan does not create", false
	}
	return got, "", true
}

// bulk sends one request for the changes whose references resolve, one
// object each, and records the outcome of each; idOf gives the created
// ids.
func bulk[T, R any](r *run, cs []diff.Change, build func(diff.Change) (T, string, bool), send func([]T) ([]R, error), idOf func(R) int64) {
	var objs [][]diff.Change
	items := map[*diff.Change]T{}
	for i, c := range cs {
		item, why, ok := build(c)
		if !ok {
			r.skip(c, why)
			continue
		}
		items[&cs[i]] = item
		objs = append(objs, cs[i:i+1])
	}
	writeObjects(r, objs, func(obj []diff.Change) T { return items[&obj[0]] }, send, func(c diff.Change, got R) {
		if c.Key != "" && idOf != nil {
			r.ids[c.Key] = idOf(got)
		}
	})
}

// byObject gathers changes by the object they change, in the order each
// object first comes: one object of a bulk update each.
type byObject struct {
	index map[int64]int
	objs  [][]diff.Change
}

func (b *byObject) add(id int64, c diff.Change) {
	if b.index == nil {
		b.index = map[int64]int{}
	}
	k, seen := b.index[id]
	if !seen {
		k = len(b.objs)
		b.index[id] = k
		b.objs = append(b.objs, nil)
	}
	b.objs[k] = append(b.objs[k], c)
}

// writeObjects sends objs, each an object made of one or more changes
// (an interface's new type and its primary MAC), in one bulk request, and
// records what became of every change; written is told of each change
// written, with NetBox's answer for its object. When NetBox refuses the
// request, isolate finds the objects it refuses and writes the others; an
// object of several changes that NetBox refuses is then sent without the
// changes the refusal names (or split), so that one refused field does
// not take the object's other changes with it.
func writeObjects[T, R any](r *run, objs [][]diff.Change, build func([]diff.Change) T, send func([]T) ([]R, error), written func(c diff.Change, got R)) {
	if len(objs) == 0 {
		return
	}
	items := make([]T, len(objs))
	for i, cs := range objs {
		items[i] = build(cs)
	}
	res := isolate(items, send, blameByIndex[T])
	r.sends += res.sends
	for i, cs := range objs {
		err := res.errs[i]
		var e *netbox.Error
		if err == nil || len(cs) == 1 || !errors.As(err, &e) || !e.Isolable() {
			for _, c := range cs {
				r.record(c, err)
				if err == nil && written != nil {
					written(c, res.out[i])
				}
			}
			continue
		}
		one := isolateRefused(cs, err, func(sub []diff.Change) ([]R, error) {
			got, err := send([]T{build(sub)})
			if err != nil {
				return nil, err // one object is written whole or not at all
			}
			return got, nil
		}, blameFields)
		r.sends += one.sends
		for k, c := range cs {
			r.record(c, one.errs[k])
			if one.errs[k] == nil && written != nil {
				written(c, one.out[k])
			}
		}
	}
}

func attrs(c diff.Change) diff.Attrs {
	if c.Attrs == nil {
		return diff.Attrs{}
	}
	return *c.Attrs
}

func parseFloat(s string) (float64, error) {
	var v float64
	_, err := fmt.Sscanf(s, "%g", &v)
	return v, err
}

func parseMB(s string) (int64, error) {
	var v int64
	_, err := fmt.Sscanf(strings.TrimSuffix(s, " MB"), "%d", &v)
	return v, err
}

func ptr[T any](v T) *T { return &v }
