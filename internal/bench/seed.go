package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// SideBySide is how many independent tool calls the parallel seed agent
// makes in one model turn.
const SideBySide = 8

// runSeed is the seed's way (docs/workflow.md), scripted: an agent that
// makes the seed workflow's tool calls through cmdb-mcp's NetBox tools.
// Phase 1 lists the device, its interfaces, its IPs, the clusters and each
// cluster's VMs. Phases 3-4 are the model's own comparison, which costs no
// tool call; the script takes the model's answer from plan, so that both
// ways make the same changes. Phase 5 makes one create or update call per
// changed object, in the seed's order, looking up the ids it needs (the new
// platform's, the VM roles'); Phase 6 writes the journal entry.
//
// Without parallel the agent makes one call per model turn, one after
// another. With parallel it makes the calls that do not depend on each
// other side by side, up to SideBySide in one turn, as agents that call
// tools in parallel do: Phase 1 in two steps (the device, the clusters and
// the ids Phase 5 will need; then the interfaces, the IPs and each
// cluster's VMs), and Phase 5 in rounds where each call waits only for the
// calls that make what it names (an IP waits for its new interface, a VM
// for its new cluster, the old primary IP's unassignment for the new
// primary). A turn ends when its last call returns.
//
// Where the script has a choice it takes the cheaper one, so that it is
// the best the seed's way can do: lists ask for NetBox's largest page
// (1000), the changes of one object go in one call, and the primary IP
// moves before the old one is unassigned, so no call fails.
func runSeed(ctx context.Context, w *world, plan diff.Plan, parallel bool) (WayResult, error) {
	a, err := newAgent(ctx, w.nb, w.fx.Host, func() int { return len(w.sim.Requests()) })
	if err != nil {
		return WayResult{}, err
	}
	defer a.close()
	start := time.Now()
	s := &seedAgent{a: a, plan: plan, parallel: parallel, ids: map[string]int64{}, roles: map[string]int64{}}
	if err := s.run(ctx); err != nil {
		return WayResult{}, err
	}
	way := WaySeed
	if parallel {
		way = WaySeedParallel
	}
	return a.result(way, w, time.Since(start)), nil
}

type seedAgent struct {
	a        *agent
	plan     diff.Plan
	parallel bool
	dev      tools.Device
	// tasks are Phase 5's calls, in the seed's order.
	tasks []task
	// roles are the VM roles' ids by lower-case name.
	roles map[string]int64
	mu    sync.Mutex // guards ids and errs: calls may run side by side
	// ids maps the Key of a change that creates an object to its new id,
	// and keyPlatform to the looked-up platform's.
	ids map[string]int64
	// errs are tool errors; the seed's error table says: note and go on.
	errs []error
}

// task is one tool call of Phase 5, or a lookup of ids it needs. needs
// and makes name what it waits for and what it provides (the Key of a
// created object, or one of the tokens below); the parallel agent runs a
// task in the round after the last task that makes what it needs.
type task struct {
	phase string
	needs []string
	makes []string
	last  bool // after every other task (the journal)
	run   func(ctx context.Context)
}

// Tokens of what tasks provide besides created objects.
const (
	keyPlatform = "lookup:platform" // the host's platform's id, looked up
	keyRoles    = "lookup:roles"    // the VM roles' ids
	keyPrimary  = "device:primary"  // the device points at its new primary IPs
)

func ipToken(id int64) string { return "ip:" + strconv.FormatInt(id, 10) }

func refID(r *tools.Ref) *int64 {
	if r == nil {
		return nil
	}
	return &r.ID
}

const maxPage = 1000

// do makes a call: a turn of its own for the agent that makes one call at
// a time; part of the current round's turn for the parallel one.
func (s *seedAgent) do(ctx context.Context, name string, args, out any) error {
	if s.parallel {
		return s.a.do(ctx, name, args, out)
	}
	return s.a.call(ctx, name, args, out)
}

// call makes a Phase 5 call; a tool error is noted and the sync goes on.
func (s *seedAgent) call(ctx context.Context, name string, args, out any) bool {
	if err := s.do(ctx, name, args, out); err != nil {
		s.fail(err)
		return false
	}
	return true
}

func (s *seedAgent) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
}

func (s *seedAgent) setID(key string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[key] = id
}

// resolve is the id of an existing object, or of one this run created.
func (s *seedAgent) resolve(id int64, key string) (int64, bool) {
	if key == "" {
		return id, id != 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got, ok := s.ids[key]
	return got, ok
}

// listAll calls a list tool page by page until it is complete. In a round
// of calls side by side, each further page is a turn of its own.
func listAll[Out any](ctx context.Context, s *seedAgent, name string, args map[string]any, info func(*Out) tools.ListInfo, collect func(*Out)) error {
	offset := 0
	for {
		q := maps.Clone(args)
		q["limit"] = maxPage
		if offset > 0 {
			q["offset"] = offset
			if s.parallel {
				s.a.moreTurns(1)
			}
		}
		var out Out
		if err := s.do(ctx, name, q, &out); err != nil {
			return err
		}
		collect(&out)
		li := info(&out)
		if !li.Truncated {
			return nil
		}
		offset = li.NextOffset
	}
}

func (s *seedAgent) run(ctx context.Context) error {
	if err := s.lookup(ctx); err != nil {
		return err
	}
	s.device()
	s.interfaces()
	s.addresses()
	s.containers()
	s.tasks = append(s.tasks, task{phase: "journal", last: true, run: s.journal})
	if s.parallel {
		s.rounds(ctx)
	} else {
		for _, t := range s.tasks {
			s.a.setPhase(t.phase)
			t.run(ctx)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// rounds runs the tasks as the parallel agent does: each in the first
// round after the tasks that make what it needs, up to SideBySide calls
// per turn.
func (s *seedAgent) rounds(ctx context.Context) {
	step := make([]int, len(s.tasks))
	madeAt := map[string]int{}
	last := 0
	for i, t := range s.tasks {
		for _, n := range t.needs {
			if at, ok := madeAt[n]; ok {
				step[i] = max(step[i], at+1)
			}
		}
		for _, m := range t.makes {
			madeAt[m] = step[i]
		}
		if !t.last {
			last = max(last, step[i]+1)
		}
	}
	for i, t := range s.tasks {
		if t.last {
			step[i] = last
		}
	}
	for at := 0; at <= slices.Max(step); at++ {
		var batch []task
		for i, t := range s.tasks {
			if step[i] == at {
				batch = append(batch, t)
			}
		}
		for chunk := range slices.Chunk(batch, SideBySide) {
			s.a.setPhase(chunk[0].phase)
			s.a.turn(func() {
				var wg sync.WaitGroup
				for _, t := range chunk {
					wg.Go(func() { t.run(ctx) })
				}
				wg.Wait()
			})
		}
	}
}

// sideBySide runs calls as one turn of the parallel agent, SideBySide at
// a time; it returns the first error.
func (s *seedAgent) sideBySide(calls []func() error) error {
	var errs []error
	var mu sync.Mutex
	for chunk := range slices.Chunk(calls, SideBySide) {
		s.a.turn(func() {
			var wg sync.WaitGroup
			for _, call := range chunk {
				wg.Go(func() {
					if err := call(); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
		})
	}
	return errors.Join(errs...)
}

// lookup is Phase 1. The parallel agent also looks up here the ids Phase 5
// needs (the platform's, the VM roles'), which need nothing of Phase 1, in
// the first turn's free slots.
func (s *seedAgent) lookup(ctx context.Context) error {
	a := s.a
	a.setPhase("lookup")
	device := func() error {
		var devs tools.ListDevicesOutput
		if err := s.do(ctx, "dcim_list_devices", map[string]any{"name": s.plan.Hostname}, &devs); err != nil {
			return err
		}
		if len(devs.Devices) != 1 {
			return fmt.Errorf("dcim_list_devices name=%s: %d devices", s.plan.Hostname, len(devs.Devices))
		}
		s.dev = devs.Devices[0]
		if s.dev.ID != s.plan.Device.ID {
			return fmt.Errorf("the agent found device %d, the plan is for %d", s.dev.ID, s.plan.Device.ID)
		}
		return nil
	}
	var clusters []tools.Cluster
	listClusters := func() error {
		return listAll(ctx, s, "virt_list_clusters", map[string]any{},
			func(o *tools.ListClustersOutput) tools.ListInfo { return o.ListInfo },
			func(o *tools.ListClustersOutput) { clusters = append(clusters, o.Clusters...) })
	}
	byDevice := func() []func() error {
		args := map[string]any{"device_id": s.dev.ID}
		return []func() error{
			func() error {
				return listAll(ctx, s, "dcim_list_interfaces", args,
					func(o *tools.ListInterfacesOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListInterfacesOutput) {})
			},
			func() error {
				return listAll(ctx, s, "ipam_list_ip_addresses", args,
					func(o *tools.ListIPAddressesOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListIPAddressesOutput) {})
			},
		}
	}
	vms := func() []func() error {
		var calls []func() error
		for _, c := range clusters {
			calls = append(calls, func() error {
				return listAll(ctx, s, "virt_list_vms", map[string]any{"cluster": c.ID},
					func(o *tools.ListVMsOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListVMsOutput) {})
			})
		}
		return calls
	}
	if !s.parallel {
		if err := device(); err != nil {
			return err
		}
		for _, call := range byDevice() {
			if err := call(); err != nil {
				return err
			}
		}
		if err := listClusters(); err != nil {
			return err
		}
		for _, call := range vms() {
			if err := call(); err != nil {
				return err
			}
		}
		return nil
	}
	first := []func() error{device, listClusters}
	for _, t := range s.idLookups() {
		first = append(first, func() error { t.run(ctx); return nil })
	}
	if err := s.sideBySide(first); err != nil {
		return err
	}
	return s.sideBySide(append(byDevice(), vms()...))
}

// idLookups are the lookups of the ids Phase 5 needs: the platform's, when
// the device's changes to one that exists, and the VM roles', when VMs are
// created.
func (s *seedAgent) idLookups() []task {
	var out []task
	for _, c := range s.changes(isDeviceAttr) {
		if c.Field == "platform" && c.NewKey == "" {
			out = append(out, task{phase: "lookup", makes: []string{keyPlatform}, run: func(ctx context.Context) {
				var p tools.ListPlatformsOutput
				if s.call(ctx, "dcim_list_platforms", map[string]any{"name": c.New}, &p) && len(p.Platforms) > 0 {
					s.setID(keyPlatform, p.Platforms[0].ID)
				}
			}})
		}
	}
	if len(s.changes(isVMCreate)) > 0 {
		out = append(out, task{phase: "lookup", makes: []string{keyRoles}, run: func(ctx context.Context) {
			var out tools.ListDeviceRolesOutput
			if s.call(ctx, "dcim_list_device_roles", map[string]any{"limit": maxPage}, &out) {
				for _, r := range out.Roles {
					s.roles[strings.ToLower(r.Name)] = r.ID
				}
			}
		}})
	}
	return out
}

// lookupTask is the lookup that makes key, for the agent that looks up
// ids where Phase 5 needs them (the parallel one did in Phase 1).
func (s *seedAgent) lookupTask(key string) []task {
	if s.parallel {
		return nil
	}
	for _, t := range s.idLookups() {
		if slices.Contains(t.makes, key) {
			return []task{t}
		}
	}
	return nil
}

func (s *seedAgent) add(t task) {
	if t.phase == "" {
		t.phase = "create/update"
	}
	s.tasks = append(s.tasks, t)
}

func (s *seedAgent) changes(keep func(diff.Change) bool) []diff.Change {
	var out []diff.Change
	for _, c := range s.plan.Changes {
		if c.Action != diff.ActionRefresh && keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func isDeviceAttr(c diff.Change) bool {
	return c.ObjectType == diff.ObjectDevice && (c.Field == "platform" || c.Field == "status" || c.Field == "serial")
}

func isVMCreate(c diff.Change) bool {
	return c.ObjectType == diff.ObjectVM && c.Action == diff.ActionCreate
}

// needs lists the non-empty keys.
func needs(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// device: "dcim_update_device id=<device_id> platform=<new_platform_id>",
// and status and serial in the same call; the platform's id is looked up
// first, or the platform created.
func (s *seedAgent) device() {
	attrs := s.changes(isDeviceAttr)
	if len(attrs) == 0 {
		return
	}
	var wait []string
	for _, c := range attrs {
		if c.Field != "platform" {
			continue
		}
		if c.NewKey == "" {
			s.tasks = append(s.tasks, s.lookupTask(keyPlatform)...)
			wait = append(wait, keyPlatform)
			continue
		}
		s.add(task{makes: []string{c.NewKey}, run: func(ctx context.Context) {
			var p tools.Slugged
			if s.call(ctx, "dcim_create_platform", map[string]any{"name": c.New}, &p) {
				s.setID(c.NewKey, p.ID)
			}
		}})
		wait = append(wait, c.NewKey)
	}
	s.add(task{needs: wait, run: func(ctx context.Context) {
		args := map[string]any{"id": s.dev.ID}
		for _, c := range attrs {
			switch c.Field {
			case "platform":
				key := c.NewKey
				if key == "" {
					key = keyPlatform
				}
				if id, ok := s.resolve(0, key); ok {
					args["platform"] = id
				}
			default:
				args[c.Field] = c.New
			}
		}
		if len(args) > 1 {
			s.call(ctx, "dcim_update_device", args, nil)
		}
	}})
}

// interfaces: new ones with "dcim_create_interface" (its MAC in the same
// call), removed ones marked offline and changed ones with
// "dcim_update_interface", one call per interface.
func (s *seedAgent) interfaces() {
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectInterface && c.Action == diff.ActionCreate }) {
		a := attrsOf(c)
		args := map[string]any{"name": c.Object, "type": a.Type}
		if a.Enabled != nil {
			args["enabled"] = *a.Enabled
		}
		if a.MTU > 0 {
			args["mtu"] = a.MTU
		}
		if a.MAC != "" {
			args["mac_address"] = a.MAC
		}
		s.add(task{makes: needs(c.Key), run: func(ctx context.Context) {
			args["device"] = s.dev.ID
			var i tools.Interface
			if s.call(ctx, "dcim_create_interface", args, &i) {
				s.setID(c.Key, i.ID)
			}
		}})
	}
	// MAC objects (Supporting changes) are made by the tools themselves:
	// dcim_create_interface and dcim_update_interface take mac_address.
	updates := s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectInterface && c.Action != diff.ActionCreate && c.ObjectKey == "" && !c.Supporting
	})
	for _, group := range byObject(updates) {
		args := map[string]any{"id": group[0].ObjectID}
		for _, c := range group {
			switch {
			case c.Action == diff.ActionOffline:
				args["enabled"], args["description"] = false, diff.OfflineDescription
			case c.Field == diff.FieldEnabled:
				args["enabled"], args["description"] = c.New == "true", ""
			case c.Field == diff.FieldType:
				args["type"] = c.New
			case c.Field == diff.FieldMAC:
				args["mac_address"] = c.New
			}
		}
		s.add(task{run: func(ctx context.Context) { s.call(ctx, "dcim_update_interface", args, nil) }})
	}
}

// addresses: "ipam_create_ip_address" per new IP, "ipam_update_ip_address"
// per moved or re-masked IP, "dcim_update_device primary_ip4=" and then
// "ipam_update_ip_address assigned_object_type=null assigned_object_id=null"
// per removed IP.
func (s *seedAgent) addresses() {
	s.addressCreates()
	s.addressUpdates()
	oldPrimary := s.primaryMove()
	s.addressUnassigns(oldPrimary)
}

// addressCreates: "ipam_create_ip_address" per new IP, once its interface
// exists.
func (s *seedAgent) addressCreates() {
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectIPAddress && c.Action == diff.ActionCreate }) {
		s.add(task{needs: needs(c.ParentKey), makes: needs(c.Key), run: func(ctx context.Context) {
			iface, ok := s.resolve(c.ParentID, c.ParentKey)
			if !ok {
				s.fail(fmt.Errorf("IP %s: its interface was not created", c.Object))
				return
			}
			args := map[string]any{"address": attrsOf(c).Address, "assigned_object_type": "dcim.interface", "assigned_object_id": iface}
			if st := attrsOf(c).Status; st != "" {
				args["status"] = st
			}
			var ip tools.IPAddress
			if s.call(ctx, "ipam_create_ip_address", args, &ip) {
				s.setID(c.Key, ip.ID)
			}
		}})
	}
}

// addressUpdates: "ipam_update_ip_address" per moved or re-masked IP, a
// moved one once its new interface exists.
func (s *seedAgent) addressUpdates() {
	updates := s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectIPAddress && (c.Action == diff.ActionUpdate)
	})
	for _, group := range byObject(updates) {
		t := task{makes: []string{ipToken(group[0].ObjectID)}}
		for _, c := range group {
			if c.Field == diff.FieldAssignment {
				t.needs = append(t.needs, needs(c.ParentKey)...)
			}
			if c.Key != "" {
				s.setID(c.Key, c.ObjectID)
				t.makes = append(t.makes, c.Key)
			}
		}
		t.run = func(ctx context.Context) {
			args := map[string]any{"id": group[0].ObjectID}
			for _, c := range group {
				switch c.Field {
				case diff.FieldAddress:
					args["address"] = c.New
				case diff.FieldAssignment:
					iface, ok := s.resolve(c.ParentID, c.ParentKey)
					if !ok {
						continue
					}
					args["assigned_object_type"], args["assigned_object_id"] = "dcim.interface", iface
				}
			}
			s.call(ctx, "ipam_update_ip_address", args, nil)
		}
		s.add(t)
	}
}

// primaryMove: "dcim_update_device primary_ip4=" once the new primaries
// exist where they belong. It returns the ids of the device's old
// primaries, whose unassignment waits for the move.
func (s *seedAgent) primaryMove() map[int64]bool {
	primaries := s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectDevice && (c.Field == diff.FieldPrimaryIP4 || c.Field == diff.FieldPrimaryIP6)
	})
	oldPrimary := map[int64]bool{}
	if len(primaries) == 0 {
		return oldPrimary
	}
	t := task{makes: []string{keyPrimary}}
	for _, c := range primaries {
		t.needs = append(t.needs, needs(c.NewKey)...)
		if c.NewID != 0 {
			t.needs = append(t.needs, ipToken(c.NewID))
		}
	}
	for _, ref := range []*int64{refID(s.dev.PrimaryIP4), refID(s.dev.PrimaryIP6)} {
		if ref != nil {
			oldPrimary[*ref] = true
		}
	}
	t.run = func(ctx context.Context) {
		args := map[string]any{"id": s.dev.ID}
		for _, c := range primaries {
			if c.New == "" {
				args[c.Field] = nil
				continue
			}
			if id, ok := s.resolve(c.NewID, c.NewKey); ok {
				args[c.Field] = id
			}
		}
		if len(args) > 1 {
			s.call(ctx, "dcim_update_device", args, nil)
		}
	}
	s.add(t)
	return oldPrimary
}

// addressUnassigns: "ipam_update_ip_address assigned_object_type=null
// assigned_object_id=null" per removed IP, an old primary after the move.
func (s *seedAgent) addressUnassigns(oldPrimary map[int64]bool) {
	for _, c := range s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectIPAddress && c.Action == diff.ActionUnassign
	}) {
		t := task{run: func(ctx context.Context) {
			s.call(ctx, "ipam_update_ip_address", map[string]any{"id": c.ObjectID, "assigned_object_type": nil, "assigned_object_id": nil}, nil)
		}}
		if oldPrimary[c.ObjectID] {
			t.needs = []string{keyPrimary}
		}
		s.add(t)
	}
}

// containers: missing clusters with "virt_create_cluster", new containers
// with "virt_create_vm", stopped, gone and resized ones with
// "virt_update_vm", one call per VM. The VM roles' ids are looked up once.
func (s *seedAgent) containers() {
	s.clusterSupport()
	s.clusterCreates()
	s.vmCreates()
	s.vmUpdates()
}

// clusterSupport: "virt_create_cluster_type" for a missing cluster type.
func (s *seedAgent) clusterSupport() {
	for _, c := range s.changes(func(c diff.Change) bool {
		switch c.ObjectType {
		case diff.ObjectClusterType, diff.ObjectClusterGroup, diff.ObjectDeviceRole:
			return true
		}
		return false
	}) {
		switch c.ObjectType {
		case diff.ObjectClusterType:
			s.add(task{makes: needs(c.Key), run: func(ctx context.Context) {
				var t tools.Slugged
				if s.call(ctx, "virt_create_cluster_type", map[string]any{"name": c.New, "slug": c.Slug}, &t) {
					s.setID(c.Key, t.ID)
				}
			}})
		default:
			// The seed's tools create neither cluster groups nor roles; the
			// fixtures have them.
			s.fail(fmt.Errorf("%s %s: the seed's tools cannot create it", c.ObjectType, c.Object))
		}
	}
}

// clusterCreates: "virt_create_cluster" per missing cluster, once its type
// and group exist.
func (s *seedAgent) clusterCreates() {
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectCluster && c.Action == diff.ActionCreate }) {
		a := attrsOf(c)
		s.add(task{needs: needs(a.TypeKey, c.ParentKey), makes: needs(c.Key), run: func(ctx context.Context) {
			typ, ok1 := s.resolve(a.TypeID, a.TypeKey)
			group, ok2 := s.resolve(c.ParentID, c.ParentKey)
			if !ok1 || !ok2 {
				s.fail(fmt.Errorf("cluster %s: no type or group", c.Object))
				return
			}
			var cl tools.Cluster
			if s.call(ctx, "virt_create_cluster", map[string]any{"name": c.New, "type": typ, "group": group, "status": a.Status}, &cl) {
				s.setID(c.Key, cl.ID)
			}
		}})
	}
}

// vmCreates: "virt_create_vm" per new container, once its cluster exists
// and the VM roles' ids are looked up.
func (s *seedAgent) vmCreates() {
	creates := s.changes(isVMCreate)
	if len(creates) > 0 {
		s.tasks = append(s.tasks, s.lookupTask(keyRoles)...)
	}
	for _, c := range creates {
		a := attrsOf(c)
		s.add(task{needs: needs(c.ParentKey, keyRoles), run: func(ctx context.Context) {
			cluster, ok := s.resolve(c.ParentID, c.ParentKey)
			if !ok {
				s.fail(fmt.Errorf("VM %s: its cluster was not created", c.Object))
				return
			}
			args := map[string]any{"name": c.Object, "cluster": cluster, "status": a.Status}
			if id := s.roles[strings.ToLower(a.Role)]; id != 0 {
				args["role"] = id
			}
			if a.VCPUs > 0 {
				args["vcpus"] = a.VCPUs
			}
			if a.MemoryMB > 0 {
				args["memory"] = a.MemoryMB
			}
			if a.Description != "" {
				args["description"] = a.Description
			}
			s.call(ctx, "virt_create_vm", args, nil)
		}})
	}
}

// vmUpdates: "virt_update_vm" per stopped, gone, resized or moved VM, with
// all of its changes; a VM moving to a new cluster waits for it.
func (s *seedAgent) vmUpdates() {
	updates := s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectVM && c.Action != diff.ActionCreate })
	for _, group := range byObject(updates) {
		var wait []string
		for _, c := range group {
			if c.Field == diff.FieldCluster {
				wait = append(wait, needs(c.NewKey)...)
			}
		}
		s.add(task{needs: wait, run: func(ctx context.Context) {
			s.call(ctx, "virt_update_vm", s.vmUpdateArgs(group), nil)
		}})
	}
}

// vmUpdateArgs are virt_update_vm's arguments for one VM's changes.
func (s *seedAgent) vmUpdateArgs(group []diff.Change) map[string]any {
	args := map[string]any{"id": group[0].ObjectID}
	for _, c := range group {
		switch c.Field {
		case diff.FieldStatus:
			args["status"] = c.New
		case diff.FieldDescription:
			args["description"] = c.New
		case diff.FieldVCPUs:
			if v, err := strconv.ParseFloat(c.New, 64); err == nil {
				args["vcpus"] = v
			}
		case diff.FieldMemory:
			if v, err := strconv.ParseInt(strings.TrimSuffix(c.New, " MB"), 10, 64); err == nil {
				args["memory"] = v
			}
		case diff.FieldCluster:
			if id, ok := s.resolve(c.NewID, c.NewKey); ok {
				args["cluster"] = id
			}
		}
	}
	return args
}

// journal is Phase 6, worded as the seed's example.
func (s *seedAgent) journal(ctx context.Context) {
	var b strings.Builder
	b.WriteString(apply.JournalHeader + "\n\nChanges applied:\n")
	for _, c := range s.changes(func(c diff.Change) bool { return !c.Supporting }) {
		b.WriteString("- " + apply.Describe(c) + "\n")
	}
	s.call(ctx, "extras_create_journal_entry", map[string]any{
		"assigned_object_type": diff.ObjectDevice, "assigned_object_id": s.dev.ID, "comments": strings.TrimRight(b.String(), "\n"),
	}, nil)
}
