package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Way names.
const (
	WayOurs = "ours"
	WaySeed = "seed"
)

// WayResult is what one way of syncing one scenario cost.
type WayResult struct {
	Way       string
	ToolCalls int
	// Calls and Requests per phase, in PhaseOrder.
	PhaseOrder    []string
	PhaseCalls    map[string]int
	PhaseRequests map[string]int
	PhaseWall     map[string]time.Duration
	Requests      RequestCounts
	// NetBoxBytes are the bytes of NetBox's response bodies: what a tool
	// that passed NetBox's JSON through would hand the model.
	NetBoxBytes int64
	// Wall is the time from the first call to the end of the last one;
	// with repeated runs the median of Walls.
	Wall  time.Duration
	Walls []time.Duration
	// ResultBytes is the JSON of the tool results as the client receives
	// them; TextBytes their text content only.
	ResultBytes int
	TextBytes   int
	// ToolErrors are results flagged isError.
	ToolErrors int
	// BytesByTool is ResultBytes per tool.
	BytesByTool map[string]int
	// Ours only: the parts of the two results, as JSON bytes, and how the
	// requests split between the diff and the apply.
	Ours *OursDetail
}

// OursDetail says where our requests and bytes go.
type OursDetail struct {
	ReportMarkdownBytes int // report_markdown of cmdb_sync_diff
	ApplyChangesBytes   int // changes[] of cmdb_sync_apply
	// DiffReads are the requests of cmdb_sync_diff (all reads);
	// ApplyReads the re-read of the stale check; ApplyWrites the rest,
	// the journal entry included.
	DiffReads, ApplyReads, ApplyWrites int
}

func (a *agent) result(way string, w *world, wall time.Duration) WayResult {
	return WayResult{
		Way: way, ToolCalls: a.total, PhaseOrder: a.phaseOrder, PhaseCalls: a.phaseCalls, PhaseRequests: a.phaseRequests,
		PhaseWall: a.phaseWall, Requests: w.requests(), NetBoxBytes: w.responseBytes(), Wall: wall, ResultBytes: a.resultBytes, TextBytes: a.textBytes, ToolErrors: a.toolErrors,
		BytesByTool: a.bytesByTool,
	}
}

// runOurs is the project's way: cmdb_sync_diff, then cmdb_sync_apply with
// the user's confirmation, through an MCP client.
func runOurs(ctx context.Context, w *world) (WayResult, error) {
	return runOursWith(ctx, w, func() int { return len(w.sim.Requests()) })
}

// runOursWith is runOurs; requests counts NetBox requests (nil: not
// counted, as in the memory child, whose simulator is in another process).
func runOursWith(ctx context.Context, w *world, requests func() int) (WayResult, error) {
	a, err := newAgent(ctx, w.nb, w.fx.Host, requests)
	if err != nil {
		return WayResult{}, err
	}
	defer a.close()
	start := time.Now()
	a.setPhase("cmdb_sync_diff")
	var d tools.SyncDiffOutput
	if err := a.call(ctx, "cmdb_sync_diff", tools.SyncDiffInput{}, &d); err != nil {
		return WayResult{}, err
	}
	a.setPhase("cmdb_sync_apply")
	var res tools.SyncApplyOutput
	if err := a.call(ctx, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: d.PlanID, Confirm: true}, &res); err != nil {
		return WayResult{}, err
	}
	wall := time.Since(start)
	if res.Failed+res.Skipped > 0 {
		return WayResult{}, fmt.Errorf("cmdb_sync_apply: %d failed, %d skipped: %s", res.Failed, res.Skipped, res.NextStep)
	}
	out := a.result(WayOurs, w, wall)
	detail := &OursDetail{ReportMarkdownBytes: len(d.ReportMarkdown), ApplyChangesBytes: jsonLen(res.Changes)}
	if w.sim != nil {
		log := w.sim.Requests()
		n := min(a.phaseRequests["cmdb_sync_diff"], len(log))
		detail.DiffReads = n
		for _, r := range log[n:] {
			if r.Method == "GET" {
				detail.ApplyReads++
			} else {
				detail.ApplyWrites++
			}
		}
	}
	out.Ours = detail
	return out, nil
}

// runSeed is the seed's way, scripted: an agent that makes exactly the
// tool calls of sync-workflow.md through cmdb-mcp's NetBox tools. Phase 1
// lists the device, its interfaces, its IPs, the clusters and each
// cluster's VMs. Phases 3-4 are the model's own comparison, which costs no
// tool call; the script takes the model's answer from plan, so that both
// ways make the same changes. Phase 5 makes one create or update call per
// changed object, in the seed's order, looking up the ids it needs (the new
// platform's, the VM roles'); Phase 6 writes the journal entry.
//
// Where the script has a choice it takes the cheaper one, so that the
// ratios are lower bounds: lists ask for NetBox's largest page (1000), the
// changes of one object go in one call, and the primary IP moves before the
// old one is unassigned, so no call fails.
func runSeed(ctx context.Context, w *world, plan diff.Plan) (WayResult, error) {
	a, err := newAgent(ctx, w.nb, w.fx.Host, func() int { return len(w.sim.Requests()) })
	if err != nil {
		return WayResult{}, err
	}
	defer a.close()
	start := time.Now()
	s := &seedAgent{a: a, plan: plan, ids: map[string]int64{}}
	if err := s.run(ctx); err != nil {
		return WayResult{}, err
	}
	return a.result(WaySeed, w, time.Since(start)), nil
}

type seedAgent struct {
	a    *agent
	plan diff.Plan
	dev  tools.Device
	// ids maps the Key of a change that creates an object to its new id.
	ids map[string]int64
	// errs are tool errors; the seed's error table says: note and go on.
	errs []error
}

const maxPage = 1000

// listAll calls a list tool page by page until it is complete.
func listAll[Out any](ctx context.Context, a *agent, name string, args map[string]any, info func(*Out) tools.ListInfo, collect func(*Out)) error {
	offset := 0
	for {
		q := maps.Clone(args)
		q["limit"] = maxPage
		if offset > 0 {
			q["offset"] = offset
		}
		var out Out
		if err := a.call(ctx, name, q, &out); err != nil {
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
	s.a.setPhase("create/update")
	s.device(ctx)
	s.interfaces(ctx)
	s.addresses(ctx)
	s.containers(ctx)
	s.a.setPhase("journal")
	s.journal(ctx)
	return errors.Join(s.errs...)
}

// lookup is Phase 1.
func (s *seedAgent) lookup(ctx context.Context) error {
	a := s.a
	a.setPhase("lookup")
	var devs tools.ListDevicesOutput
	if err := a.call(ctx, "dcim_list_devices", map[string]any{"name": s.plan.Hostname}, &devs); err != nil {
		return err
	}
	if len(devs.Devices) != 1 {
		return fmt.Errorf("dcim_list_devices name=%s: %d devices", s.plan.Hostname, len(devs.Devices))
	}
	s.dev = devs.Devices[0]
	if s.dev.ID != s.plan.Device.ID {
		return fmt.Errorf("the agent found device %d, the plan is for %d", s.dev.ID, s.plan.Device.ID)
	}
	byDevice := map[string]any{"device_id": s.dev.ID}
	if err := listAll(ctx, a, "dcim_list_interfaces", byDevice,
		func(o *tools.ListInterfacesOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListInterfacesOutput) {}); err != nil {
		return err
	}
	if err := listAll(ctx, a, "ipam_list_ip_addresses", byDevice,
		func(o *tools.ListIPAddressesOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListIPAddressesOutput) {}); err != nil {
		return err
	}
	var clusters []tools.Cluster
	if err := listAll(ctx, a, "virt_list_clusters", map[string]any{},
		func(o *tools.ListClustersOutput) tools.ListInfo { return o.ListInfo },
		func(o *tools.ListClustersOutput) { clusters = append(clusters, o.Clusters...) }); err != nil {
		return err
	}
	for _, c := range clusters {
		if err := listAll(ctx, a, "virt_list_vms", map[string]any{"cluster": c.ID},
			func(o *tools.ListVMsOutput) tools.ListInfo { return o.ListInfo }, func(*tools.ListVMsOutput) {}); err != nil {
			return err
		}
	}
	return nil
}

// call makes a Phase 5 call; a tool error is noted and the sync goes on.
func (s *seedAgent) call(ctx context.Context, name string, args, out any) bool {
	if err := s.a.call(ctx, name, args, out); err != nil {
		s.errs = append(s.errs, err)
		return false
	}
	return true
}

// resolve is the id of an existing object, or of one this run created.
func (s *seedAgent) resolve(id int64, key string) (int64, bool) {
	if key == "" {
		return id, id != 0
	}
	got, ok := s.ids[key]
	return got, ok
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

// device: "dcim_update_device id=<device_id> platform=<new_platform_id>",
// and status and serial in the same call.
func (s *seedAgent) device(ctx context.Context) {
	args := map[string]any{"id": s.dev.ID}
	for _, c := range s.changes(isDeviceAttr) {
		switch c.Field {
		case "platform":
			id, ok := s.platformID(ctx, c)
			if !ok {
				continue
			}
			args["platform"] = id
		default:
			args[c.Field] = c.New
		}
	}
	if len(args) > 1 {
		s.call(ctx, "dcim_update_device", args, nil)
	}
}

// platformID finds the id of the host's platform (a lookup), or creates
// the platform.
func (s *seedAgent) platformID(ctx context.Context, c diff.Change) (int64, bool) {
	if c.NewKey != "" {
		var p tools.Slugged
		if !s.call(ctx, "dcim_create_platform", map[string]any{"name": c.New}, &p) {
			return 0, false
		}
		return p.ID, true
	}
	phase := s.a.phase
	s.a.setPhase("lookup")
	defer s.a.setPhase(phase)
	var out tools.ListPlatformsOutput
	if !s.call(ctx, "dcim_list_platforms", map[string]any{"name": c.New}, &out) || len(out.Platforms) == 0 {
		return 0, false
	}
	return out.Platforms[0].ID, true
}

// interfaces: new ones with "dcim_create_interface" (its MAC in the same
// call), removed ones marked offline and changed ones with
// "dcim_update_interface", one call per interface.
func (s *seedAgent) interfaces(ctx context.Context) {
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectInterface && c.Action == diff.ActionCreate }) {
		a := attrsOf(c)
		args := map[string]any{"device": s.dev.ID, "name": c.Object, "type": a.Type}
		if a.Enabled != nil {
			args["enabled"] = *a.Enabled
		}
		if a.MTU > 0 {
			args["mtu"] = a.MTU
		}
		if a.MAC != "" {
			args["mac_address"] = a.MAC
		}
		var i tools.Interface
		if s.call(ctx, "dcim_create_interface", args, &i) {
			s.ids[c.Key] = i.ID
		}
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
		s.call(ctx, "dcim_update_interface", args, nil)
	}
}

// addresses: "ipam_create_ip_address" per new IP, "ipam_update_ip_address"
// per moved or re-masked IP, "dcim_update_device primary_ip4=" and then
// "ipam_update_ip_address assigned_object_type=null assigned_object_id=null"
// per removed IP.
func (s *seedAgent) addresses(ctx context.Context) {
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectIPAddress && c.Action == diff.ActionCreate }) {
		iface, ok := s.resolve(c.ParentID, c.ParentKey)
		if !ok {
			s.errs = append(s.errs, fmt.Errorf("IP %s: its interface was not created", c.Object))
			continue
		}
		args := map[string]any{"address": attrsOf(c).Address, "assigned_object_type": "dcim.interface", "assigned_object_id": iface}
		if st := attrsOf(c).Status; st != "" {
			args["status"] = st
		}
		var ip tools.IPAddress
		if s.call(ctx, "ipam_create_ip_address", args, &ip) {
			s.ids[c.Key] = ip.ID
		}
	}
	updates := s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectIPAddress && (c.Action == diff.ActionUpdate)
	})
	for _, group := range byObject(updates) {
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
			if c.Key != "" {
				s.ids[c.Key] = c.ObjectID
			}
		}
		s.call(ctx, "ipam_update_ip_address", args, nil)
	}
	primary := map[string]any{"id": s.dev.ID}
	for _, c := range s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectDevice && (c.Field == diff.FieldPrimaryIP4 || c.Field == diff.FieldPrimaryIP6)
	}) {
		if c.New == "" {
			primary[c.Field] = nil
			continue
		}
		if id, ok := s.resolve(c.NewID, c.NewKey); ok {
			primary[c.Field] = id
		}
	}
	if len(primary) > 1 {
		s.call(ctx, "dcim_update_device", primary, nil)
	}
	for _, c := range s.changes(func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectIPAddress && c.Action == diff.ActionUnassign
	}) {
		s.call(ctx, "ipam_update_ip_address", map[string]any{"id": c.ObjectID, "assigned_object_type": nil, "assigned_object_id": nil}, nil)
	}
}

// containers: missing clusters with "virt_create_cluster", new containers
// with "virt_create_vm", stopped, gone and resized ones with
// "virt_update_vm", one call per VM. The VM roles' ids are looked up once.
func (s *seedAgent) containers(ctx context.Context) {
	for _, c := range s.changes(func(c diff.Change) bool {
		switch c.ObjectType {
		case diff.ObjectClusterType, diff.ObjectClusterGroup, diff.ObjectDeviceRole:
			return true
		}
		return false
	}) {
		switch c.ObjectType {
		case diff.ObjectClusterType:
			var t tools.Slugged
			if s.call(ctx, "virt_create_cluster_type", map[string]any{"name": c.New, "slug": c.Slug}, &t) {
				s.ids[c.Key] = t.ID
			}
		default:
			// The seed's tools create neither cluster groups nor roles; the
			// fixtures have them.
			s.errs = append(s.errs, fmt.Errorf("%s %s: the seed's tools cannot create it", c.ObjectType, c.Object))
		}
	}
	for _, c := range s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectCluster && c.Action == diff.ActionCreate }) {
		a := attrsOf(c)
		typ, ok1 := s.resolve(a.TypeID, a.TypeKey)
		group, ok2 := s.resolve(c.ParentID, c.ParentKey)
		if !ok1 || !ok2 {
			s.errs = append(s.errs, fmt.Errorf("cluster %s: no type or group", c.Object))
			continue
		}
		var cl tools.Cluster
		if s.call(ctx, "virt_create_cluster", map[string]any{"name": c.New, "type": typ, "group": group, "status": a.Status}, &cl) {
			s.ids[c.Key] = cl.ID
		}
	}
	creates := s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectVM && c.Action == diff.ActionCreate })
	roles := map[string]int64{}
	if len(creates) > 0 {
		phase := s.a.phase
		s.a.setPhase("lookup")
		var out tools.ListDeviceRolesOutput
		if s.call(ctx, "dcim_list_device_roles", map[string]any{"limit": maxPage}, &out) {
			for _, r := range out.Roles {
				roles[strings.ToLower(r.Name)] = r.ID
			}
		}
		s.a.setPhase(phase)
	}
	for _, c := range creates {
		a := attrsOf(c)
		cluster, ok := s.resolve(c.ParentID, c.ParentKey)
		if !ok {
			s.errs = append(s.errs, fmt.Errorf("VM %s: its cluster was not created", c.Object))
			continue
		}
		args := map[string]any{"name": c.Object, "cluster": cluster, "status": a.Status}
		if id := roles[strings.ToLower(a.Role)]; id != 0 {
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
	}
	updates := s.changes(func(c diff.Change) bool { return c.ObjectType == diff.ObjectVM && c.Action != diff.ActionCreate })
	for _, group := range byObject(updates) {
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
		s.call(ctx, "virt_update_vm", args, nil)
	}
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

// byObject groups changes of one object (same type and id), in the order
// each object first appears.
func byObject(cs []diff.Change) [][]diff.Change {
	type k struct {
		typ string
		id  int64
	}
	idx := map[k]int{}
	var out [][]diff.Change
	for _, c := range cs {
		key := k{c.ObjectType, c.ObjectID}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], c)
	}
	return out
}

func jsonLen(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

func attrsOf(c diff.Change) diff.Attrs {
	if c.Attrs == nil {
		return diff.Attrs{}
	}
	return *c.Attrs
}
