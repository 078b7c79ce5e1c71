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
// Every list call is one bulk request, all or nothing, answered in order.
type NetBox interface {
	CreatePlatform(ctx context.Context, p netbox.PlatformCreate) (record.Platform, error)
	UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate) (record.Device, error)
	CreateJournalEntry(ctx context.Context, e netbox.JournalEntry) (netbox.JournalEntry, error)

	CreateInterfaces(ctx context.Context, in []netbox.InterfaceCreate) ([]record.Interface, error)
	UpdateInterfaces(ctx context.Context, in []netbox.InterfaceUpdate) ([]record.Interface, error)
	CreateMACAddresses(ctx context.Context, in []netbox.MACAddressCreate) ([]record.MACAddress, error)
	UpdateMACAddresses(ctx context.Context, in []netbox.MACAddressUpdate) ([]record.MACAddress, error)
	CreateIPAddresses(ctx context.Context, in []netbox.IPAddressCreate) ([]record.IPAddress, error)
	UpdateIPAddresses(ctx context.Context, in []netbox.IPAddressUpdate) ([]record.IPAddress, error)

	CreateDeviceRoles(ctx context.Context, in []netbox.DeviceRoleCreate) ([]record.DeviceRole, error)
	CreateClusterType(ctx context.Context, in netbox.ClusterTypeCreate) (record.ClusterType, error)
	CreateClusterGroup(ctx context.Context, in netbox.ClusterGroupCreate) (record.ClusterGroup, error)
	CreateClusters(ctx context.Context, in []netbox.ClusterCreate) ([]record.Cluster, error)
	CreateVirtualMachines(ctx context.Context, in []netbox.VirtualMachineCreate) ([]record.VirtualMachine, error)
	UpdateVirtualMachines(ctx context.Context, in []netbox.VirtualMachineUpdate) ([]record.VirtualMachine, error)
}

// Progress is told about each step as apply makes it, with done counting up
// to total. The two lanes call it from their own goroutines, one call at a
// time.
type Progress func(done, total int, message string)

// ChangelogMessage is the message NetBox 4.4+ records on the changes of
// an apply of plan planID (changelog_message).
func ChangelogMessage(planID string) string { return "cmdb-mcp sync " + planID }

// JournalHeader is the first line of every journal entry, as the seed words it.
const JournalHeader = "Device synced via /cmdb sync command"

// ErrNotApplicable is returned for a plan that cannot be applied at all.
var ErrNotApplicable = errors.New("plan cannot be applied")

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
	// NetBox 4.4+ keeps it as the message of every change this apply makes.
	ctx = netbox.WithChangelogMessage(ctx, ChangelogMessage(p.ID))
	tr := &tracker{progress: progress}
	network, containers := newRun(nb, p, tr), newRun(nb, p, tr)
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
	if tr.total > 0 {
		tr.total++ // the journal entry
	}
	var wg sync.WaitGroup
	for _, l := range lanes {
		wg.Go(func() {
			for _, s := range l.steps {
				if len(s.changes) == 0 {
					continue
				}
				s.do(ctx, s.changes)
				tr.step(fmt.Sprintf("%s (%d)", s.name, len(s.changes)))
			}
		})
	}
	wg.Wait()

	all := newRun(nb, p, tr)
	for _, l := range lanes {
		all.res.Changes = append(all.res.Changes, l.r.res.Changes...)
		all.res.Applied += l.r.res.Applied
		all.res.Failed += l.r.res.Failed
		all.res.Skipped += l.r.res.Skipped
	}
	all.journal(ctx)
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
	nb      NetBox
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
}

func newRun(nb NetBox, p diff.Plan, tr *tracker) *run {
	return &run{nb: nb, plan: p, tracker: tr, ids: map[string]int64{}, failed: map[string]string{},
		res: Result{PlanID: p.ID, Device: p.Device, Changes: make([]ChangeResult, 0, len(p.Changes))}}
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

var update = []diff.Action{diff.ActionUpdate, diff.ActionRefresh}

func (r *run) networkSteps() []step {
	// The device can only make an IP primary once it sits on one of the
	// device's interfaces: an existing IP the device PATCH makes primary is
	// updated before it. Every other IP update waits and joins the
	// unassignments after the PATCH (which must follow it: NetBox refuses
	// to unassign a primary IP), so that the IPs take one PATCH, not two.
	newPrimary := map[int64]bool{}
	for _, c := range r.plan.Changes {
		if c.ObjectType == diff.ObjectDevice && (c.Field == diff.FieldPrimaryIP4 || c.Field == diff.FieldPrimaryIP6) && c.NewID != 0 {
			newPrimary[c.NewID] = true
		}
	}
	ipUpdate := is(diff.ObjectIPAddress, update...)
	return []step{
		{"create platforms", r.pick(is(diff.ObjectPlatform, diff.ActionCreate)), r.createPlatforms},
		{"create interfaces", r.pick(is(diff.ObjectInterface, diff.ActionCreate)), r.createInterfaces},
		{"create MAC addresses", r.pick(is(diff.ObjectMACAddress, diff.ActionCreate)), r.createMACs},
		{"assign MAC addresses", r.pick(is(diff.ObjectMACAddress, update...)), r.assignMACs},
		// Marking an interface offline needs nothing before or after it, so
		// it joins the PATCH that sets primary MACs: one request, not two.
		{"update interfaces", r.pick(is(diff.ObjectInterface, diff.ActionUpdate, diff.ActionRefresh, diff.ActionOffline)), r.updateInterfaces},
		{"create IP addresses", r.pick(is(diff.ObjectIPAddress, diff.ActionCreate)), r.createIPs},
		{"update the new primary IPs", r.pick(func(c diff.Change) bool { return ipUpdate(c) && newPrimary[c.ObjectID] }), r.updateIPs},
		{"update device", r.pick(is(diff.ObjectDevice)), r.updateDevice},
		{"update and unassign IP addresses", r.pick(func(c diff.Change) bool {
			return ipUpdate(c) && !newPrimary[c.ObjectID] || is(diff.ObjectIPAddress, diff.ActionUnassign)(c)
		}), r.updateIPs},
	}
}

func (r *run) containerSteps() []step {
	return []step{
		{"create cluster type", r.pick(is(diff.ObjectClusterType, diff.ActionCreate)), r.createClusterType},
		{"create cluster group", r.pick(is(diff.ObjectClusterGroup, diff.ActionCreate)), r.createClusterGroup},
		{"create roles", r.pick(is(diff.ObjectDeviceRole, diff.ActionCreate)), r.createRoles},
		{"create clusters", r.pick(is(diff.ObjectCluster, diff.ActionCreate)), r.createClusters},
		{"create VMs", r.pick(is(diff.ObjectVM, diff.ActionCreate)), r.createVMs},
		{"update VMs", r.pick(is(diff.ObjectVM, diff.ActionUpdate, diff.ActionRefresh, diff.ActionOffline)), r.updateVMs},
	}
}

func (r *run) record(c diff.Change, err error) {
	cr := ChangeResult{Change: c, Outcome: OutcomeApplied}
	if err != nil {
		cr.Outcome, cr.Message = OutcomeFailed, err.Error()
		r.res.Failed++
		if c.Key != "" {
			r.failed[c.Key] = fmt.Sprintf("%s %q failed", strings.TrimPrefix(strings.TrimPrefix(c.ObjectType, "dcim."), "ipam."), c.Object)
		}
	} else {
		r.res.Applied++
	}
	r.res.Changes = append(r.res.Changes, cr)
}

func (r *run) skip(c diff.Change, why string) {
	r.res.Changes = append(r.res.Changes, ChangeResult{Change: c, Outcome: OutcomeSkipped, Message: why})
	r.res.Skipped++
	if c.Key != "" {
		r.failed[c.Key] = why
	}
}

// resolve returns the id an id-or-key reference names. ok is false when
// the object could not be made (why says so).
func (r *run) resolve(id int64, key string) (int64, string, bool) {
	if key == "" {
		return id, "", true
	}
	if why, bad := r.failed[key]; bad {
		return 0, "depends on a change that did not apply: " + why, false
	}
	got, ok := r.ids[key]
	if !ok {
		return 0, "depends on " + key + ", which this plan does not create", false
	}
	return got, "", true
}

// bulk sends one request for the changes whose references resolve, and
// records the outcome of each; made gets the created ids, in order.
func bulk[T, R any](r *run, cs []diff.Change, build func(diff.Change) (T, string, bool), send func([]T) ([]R, error), idOf func(R) int64) {
	var items []T
	var sent []diff.Change
	for _, c := range cs {
		item, why, ok := build(c)
		if !ok {
			r.skip(c, why)
			continue
		}
		items = append(items, item)
		sent = append(sent, c)
	}
	if len(items) == 0 {
		return
	}
	out, err := send(items)
	for i, c := range sent {
		r.record(c, err)
		if err == nil && c.Key != "" && idOf != nil && i < len(out) {
			r.ids[c.Key] = idOf(out[i])
		}
	}
}

func (r *run) createPlatforms(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		p, err := r.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: c.New, Slug: c.Slug})
		if err == nil {
			r.ids[c.Key] = p.ID
		}
		r.record(c, err)
	}
}

func (r *run) createInterfaces(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.InterfaceCreate, string, bool) {
		a := attrs(c)
		return netbox.InterfaceCreate{Device: r.plan.Device.ID, Name: c.Object, Type: a.Type, Enabled: a.Enabled, MTU: a.MTU}, "", true
	}, func(in []netbox.InterfaceCreate) ([]record.Interface, error) {
		return r.nb.CreateInterfaces(ctx, in)
	}, func(i record.Interface) int64 { return i.ID })
}

func (r *run) createMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressCreate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		return netbox.MACAddressCreate{MAC: attrs(c).MAC, InterfaceID: iface}, why, ok
	}, func(in []netbox.MACAddressCreate) ([]record.MACAddress, error) {
		return r.nb.CreateMACAddresses(ctx, in)
	}, func(m record.MACAddress) int64 { return m.ID })
}

func (r *run) assignMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressUpdate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		return netbox.MACAddressUpdate{ID: c.ObjectID, InterfaceID: iface}, why, ok
	}, func(in []netbox.MACAddressUpdate) ([]record.MACAddress, error) {
		return r.nb.UpdateMACAddresses(ctx, in)
	}, func(m record.MACAddress) int64 { return m.ID })
}

// updateInterfaces merges every change of one interface into one object of
// the bulk PATCH.
func (r *run) updateInterfaces(ctx context.Context, cs []diff.Change) {
	merged := map[int64]*netbox.InterfaceUpdate{}
	var order []int64
	var sent []diff.Change
	for _, c := range cs {
		id, why, ok := r.resolve(c.ObjectID, c.ObjectKey)
		if !ok {
			r.skip(c, why)
			continue
		}
		u := merged[id]
		if u == nil {
			u = &netbox.InterfaceUpdate{ID: id}
			merged[id] = u
			order = append(order, id)
		}
		switch {
		case c.Action == diff.ActionOffline:
			u.Enabled, u.Description = ptr(false), ptr(diff.OfflineDescription)
		case c.Field == diff.FieldEnabled:
			u.Enabled, u.Description = ptr(c.New == "true"), ptr("")
		case c.Field == diff.FieldType:
			u.Type = ptr(c.New)
		case c.Field == diff.FieldMAC:
			mac, why, ok := r.resolve(c.NewID, c.NewKey)
			if !ok {
				r.skip(c, why)
				continue
			}
			u.PrimaryMAC = &mac
		default:
			r.skip(c, "apply does not know interface field "+c.Field)
			continue
		}
		sent = append(sent, c)
	}
	if len(order) == 0 {
		return
	}
	items := make([]netbox.InterfaceUpdate, 0, len(order))
	for _, id := range order {
		items = append(items, *merged[id])
	}
	_, err := r.nb.UpdateInterfaces(ctx, items)
	for _, c := range sent {
		r.record(c, err)
	}
}

func (r *run) createIPs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.IPAddressCreate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		a := attrs(c)
		return netbox.IPAddressCreate{Address: a.Address, Status: a.Status, InterfaceID: iface}, why, ok
	}, func(in []netbox.IPAddressCreate) ([]record.IPAddress, error) {
		return r.nb.CreateIPAddresses(ctx, in)
	}, func(ip record.IPAddress) int64 { return ip.ID })
}

// updateIPs sends reassignments, mask changes and unassignments, one
// object per IP. An IP that is still its device's primary because moving
// the primary failed is skipped: NetBox would refuse it.
func (r *run) updateIPs(ctx context.Context, cs []diff.Change) {
	merged := map[int64]*netbox.IPAddressUpdate{}
	var order []int64
	var sent []diff.Change
	for _, c := range cs {
		u := merged[c.ObjectID]
		if u == nil {
			u = &netbox.IPAddressUpdate{ID: c.ObjectID}
		}
		switch {
		case c.Action == diff.ActionUnassign:
			if r.primaryFailed[c.Object] {
				r.skip(c, "still the device's primary IP: changing the primary did not apply")
				continue
			}
			u.Unassign = true
		case c.Field == diff.FieldAddress:
			u.Address = ptr(c.New)
		case c.Field == diff.FieldAssignment:
			iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
			if !ok {
				r.skip(c, why)
				continue
			}
			u.InterfaceID = iface
		default:
			r.skip(c, "apply does not know IP field "+c.Field)
			continue
		}
		if merged[c.ObjectID] == nil {
			merged[c.ObjectID] = u
			order = append(order, c.ObjectID)
		}
		sent = append(sent, c)
	}
	if len(order) == 0 {
		return
	}
	items := make([]netbox.IPAddressUpdate, 0, len(order))
	for _, id := range order {
		items = append(items, *merged[id])
	}
	_, err := r.nb.UpdateIPAddresses(ctx, items)
	for _, c := range sent {
		r.record(c, err)
		if err == nil && c.Key != "" {
			r.ids[c.Key] = c.ObjectID
		}
	}
}

// updateDevice sends every device field in one PATCH: fewer requests, and
// NetBox validates the device once with all its new values.
func (r *run) updateDevice(ctx context.Context, cs []diff.Change) {
	var u netbox.DeviceUpdate
	var sent []diff.Change
	for _, c := range cs {
		switch c.Field {
		case "platform", diff.FieldPrimaryIP4, diff.FieldPrimaryIP6:
			id, why, ok := r.resolve(c.NewID, c.NewKey)
			if !ok {
				r.skip(c, why)
				r.keepsPrimary(c) // the old primary stays: its unassign would be refused
				continue
			}
			switch c.Field {
			case "platform":
				u.Platform = &id
			case diff.FieldPrimaryIP4:
				u.PrimaryIP4 = &id // 0 clears it
			default:
				u.PrimaryIP6 = &id
			}
		case "status":
			u.Status = ptr(c.New)
		case "serial":
			u.Serial = ptr(c.New)
		default:
			r.skip(c, "apply does not know device field "+c.Field)
			continue
		}
		sent = append(sent, c)
	}
	if len(sent) == 0 {
		return
	}
	_, err := r.nb.UpdateDevice(ctx, r.plan.Device.ID, u)
	for _, c := range sent {
		r.record(c, err)
		if err != nil {
			r.keepsPrimary(c)
		}
	}
}

// keepsPrimary notes that a primary IP change c did not happen, so that
// the old primary is not unassigned: NetBox refuses that.
func (r *run) keepsPrimary(c diff.Change) {
	if (c.Field != diff.FieldPrimaryIP4 && c.Field != diff.FieldPrimaryIP6) || c.Old == "" {
		return
	}
	if r.primaryFailed == nil {
		r.primaryFailed = map[string]bool{}
	}
	r.primaryFailed[c.Old] = true
}

func (r *run) createClusterType(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		t, err := r.nb.CreateClusterType(ctx, netbox.ClusterTypeCreate{Name: c.New, Slug: c.Slug})
		if err == nil {
			r.ids[c.Key] = t.ID
		}
		r.record(c, err)
	}
}

func (r *run) createClusterGroup(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		g, err := r.nb.CreateClusterGroup(ctx, netbox.ClusterGroupCreate{Name: c.New, Slug: c.Slug, Description: "Docker containers of " + r.plan.Device.Name + ", kept by cmdb-mcp"})
		if err == nil {
			r.ids[c.Key] = g.ID
		}
		r.record(c, err)
	}
}

func (r *run) createRoles(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.DeviceRoleCreate, string, bool) {
		return netbox.DeviceRoleCreate{Name: c.New, Slug: c.Slug, Color: attrs(c).Description, VMRole: true}, "", true
	}, func(in []netbox.DeviceRoleCreate) ([]record.DeviceRole, error) {
		return r.nb.CreateDeviceRoles(ctx, in)
	}, func(d record.DeviceRole) int64 { return d.ID })
}

func (r *run) createClusters(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.ClusterCreate, string, bool) {
		a := attrs(c)
		typ, why, ok := r.resolve(a.TypeID, a.TypeKey)
		if !ok {
			return netbox.ClusterCreate{}, why, false
		}
		group, why, ok := r.resolve(c.ParentID, c.ParentKey)
		return netbox.ClusterCreate{Name: c.New, Type: typ, Group: group, Status: a.Status}, why, ok
	}, func(in []netbox.ClusterCreate) ([]record.Cluster, error) {
		return r.nb.CreateClusters(ctx, in)
	}, func(c record.Cluster) int64 { return c.ID })
}

func (r *run) createVMs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.VirtualMachineCreate, string, bool) {
		a := attrs(c)
		cluster, why, ok := r.resolve(c.ParentID, c.ParentKey)
		if !ok {
			return netbox.VirtualMachineCreate{}, why, false
		}
		vm := netbox.VirtualMachineCreate{Name: c.Object, Cluster: cluster, Status: a.Status, Description: a.Description}
		if role, _, ok := r.resolve(a.RoleID, a.RoleKey); ok && role != 0 {
			vm.Role = role // a role that failed leaves the VM without one, not uncreated
		}
		if a.VCPUs > 0 {
			vm.VCPUs = ptr(a.VCPUs)
		}
		if a.MemoryMB > 0 {
			vm.MemoryMB = ptr(a.MemoryMB)
		}
		return vm, "", true
	}, func(in []netbox.VirtualMachineCreate) ([]record.VirtualMachine, error) {
		return r.nb.CreateVirtualMachines(ctx, in)
	}, func(v record.VirtualMachine) int64 { return v.ID })
}

func (r *run) updateVMs(ctx context.Context, cs []diff.Change) {
	merged := map[int64]*netbox.VirtualMachineUpdate{}
	var order []int64
	var sent []diff.Change
	for _, c := range cs {
		u := merged[c.ObjectID]
		if u == nil {
			u = &netbox.VirtualMachineUpdate{ID: c.ObjectID}
			merged[c.ObjectID] = u
			order = append(order, c.ObjectID)
		}
		var err error
		switch c.Field {
		case diff.FieldStatus:
			u.Status = ptr(c.New)
		case diff.FieldDescription:
			u.Description = ptr(c.New)
		case diff.FieldVCPUs:
			var v float64
			v, err = parseFloat(c.New)
			u.VCPUs = &v
		case diff.FieldMemory:
			var v int64
			v, err = parseMB(c.New)
			u.MemoryMB = &v
		case diff.FieldCluster, diff.FieldRole:
			id, why, ok := r.resolve(c.NewID, c.NewKey)
			if !ok {
				r.skip(c, why)
				continue
			}
			if c.Field == diff.FieldCluster {
				u.Cluster = &id
			} else {
				u.Role = &id
			}
		default:
			err = errors.New("apply does not know VM field " + c.Field)
		}
		if err != nil {
			r.skip(c, err.Error())
			continue
		}
		sent = append(sent, c)
	}
	var items []netbox.VirtualMachineUpdate
	for _, id := range order {
		if u := merged[id]; *u != (netbox.VirtualMachineUpdate{ID: id}) {
			items = append(items, *u)
		}
	}
	if len(items) == 0 {
		return
	}
	_, err := r.nb.UpdateVirtualMachines(ctx, items)
	for _, c := range sent {
		r.record(c, err)
	}
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
