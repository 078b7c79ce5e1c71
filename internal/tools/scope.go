package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// The write scope. A server on one host holds a token that can write all
// of NetBox, and a model calls its tools: asked to, dcim_update_device would
// set another host's device to decommissioning. So by default the NetBox
// write tools change only this host's device and its own objects (its
// interfaces, their MAC objects and IPs, its cluster group, the clusters
// in it and their VMs) and create the shared objects a sync needs
// (platforms, the cluster type); anything else is refused before it is
// sent, with the way to lift the limit. The sync tools write only this
// host's objects by construction, and reads are never limited.
//
// The check is one wrapper, put around every tool of the netbox-write
// toolset (which the annotations decide) in All. What each tool touches
// is declared below, beside the wrapper; a write tool that declares
// nothing is refused everything, so a new one cannot slip through.
//
// What it costs NetBox: the first checked call of a server discovers this
// host and reads its device by name (one request); the device is kept
// for the server's life. A device, a platform or a cluster type then
// costs nothing more; an interface, an IP address or a cluster one GET;
// a VM two (the VM, then its cluster); the host's cluster group one
// request, once.

// WriteScope says which NetBox objects the write tools may change.
type WriteScope string

// Write scopes.
const (
	// WriteScopeHost limits the write tools to this host's device and its
	// own objects, plus the shared objects a sync creates. The default.
	WriteScopeHost WriteScope = "host"
	// WriteScopeAny lets the write tools change any NetBox object the
	// token may change.
	WriteScopeAny WriteScope = "any"
)

// Ways to lift the limit, as refusals name them.
const (
	WriteScopeFlag = "--write-scope any"
	WriteScopeEnv  = "CMDB_WRITE_SCOPE"
)

// ParseWriteScope reads --write-scope; empty is the default, host.
func ParseWriteScope(s string) (WriteScope, error) {
	switch WriteScope(strings.ToLower(strings.TrimSpace(s))) {
	case "", WriteScopeHost:
		return WriteScopeHost, nil
	case WriteScopeAny:
		return WriteScopeAny, nil
	}
	return "", fmt.Errorf("unknown write scope %q: use host (this host's device and its objects, the default) or any", s)
}

// target is an object a write changes, or attaches what it creates to.
type target struct {
	objectType string // diff.Object*, NetBox's app_label.model
	id         int64
	// claim lets the write take an unassigned object of this type: the
	// call also assigns it to one of this host's objects (another target),
	// as a sync reuses an unassigned IP.
	claim bool
}

// targetsFunc says what a call of a write tool touches. An error refuses
// the call (a create that would attach its object to nothing). Arguments
// the tool refuses touch nothing: the call goes on to the tool, which
// answers with what is wrong with them before anything is read or written.
type targetsFunc func(req mcp.CallToolRequest) ([]target, error)

// targetsOf checks the arguments as the tool does (In is the tool's
// input), binds them and asks f.
func targetsOf[In any](f func(In) ([]target, error)) targetsFunc {
	args := newArgsCheck[In]()
	return func(req mcp.CallToolRequest) ([]target, error) {
		if args.check(req.Params.Name, req.Params.Arguments) != nil {
			return nil, nil
		}
		var in In
		if err := req.BindArguments(&in); err != nil {
			return nil, nil
		}
		return f(in)
	}
}

func one(objectType string, id int64) ([]target, error) {
	return []target{{objectType: objectType, id: id}}, nil
}

// shared creates an object no host owns and a sync needs.
func shared(mcp.CallToolRequest) ([]target, error) { return nil, nil }

// errUnowned refuses a create that would belong to no host.
func errUnowned(what string) error {
	return fmt.Errorf("%s assigned to nothing belongs to no host", what)
}

// assigned is the interface a create assigns its object to. Half an
// assignment is the tool's to refuse.
func assigned(what, objectType string, id int64) ([]target, error) {
	if objectType == "" && id == 0 {
		return nil, errUnowned(what)
	}
	return one(diff.ObjectInterface, id)
}

// touches is what each write tool changes or attaches to.
var touches = map[string]targetsFunc{
	"dcim_update_device": targetsOf(func(in UpdateDeviceInput) ([]target, error) {
		return one(diff.ObjectDevice, in.ID)
	}),
	"dcim_create_interface": targetsOf(func(in CreateInterfaceInput) ([]target, error) {
		return one(diff.ObjectDevice, in.Device)
	}),
	"dcim_update_interface": targetsOf(func(in UpdateInterfaceInput) ([]target, error) {
		return one(diff.ObjectInterface, in.ID)
	}),
	"dcim_create_mac_address": targetsOf(func(in CreateMACAddressInput) ([]target, error) {
		return assigned("a MAC address", in.AssignedObjectType, in.AssignedObjectID)
	}),
	"ipam_create_ip_address": targetsOf(func(in CreateIPAddressInput) ([]target, error) {
		return assigned("an IP address", in.AssignedObjectType, in.AssignedObjectID)
	}),
	"ipam_update_ip_address": targetsOf(func(in UpdateIPAddressInput) ([]target, error) {
		moves := in.AssignedObjectID.Set && !in.AssignedObjectID.Null && in.AssignedObjectID.Value > 0
		out := []target{{objectType: diff.ObjectIPAddress, id: in.ID, claim: moves}}
		if moves {
			out = append(out, target{objectType: diff.ObjectInterface, id: in.AssignedObjectID.Value})
		}
		return out, nil
	}),
	"virt_create_cluster": targetsOf(func(in CreateClusterInput) ([]target, error) {
		if in.Group == 0 {
			return nil, errUnowned("a cluster")
		}
		return one(diff.ObjectClusterGroup, in.Group)
	}),
	"virt_create_vm": targetsOf(func(in CreateVMInput) ([]target, error) {
		return one(diff.ObjectCluster, in.Cluster)
	}),
	"virt_update_vm": targetsOf(func(in UpdateVMInput) ([]target, error) {
		out := []target{{objectType: diff.ObjectVM, id: in.ID}}
		if in.Cluster != 0 {
			out = append(out, target{objectType: diff.ObjectCluster, id: in.Cluster})
		}
		return out, nil
	}),
	"extras_create_journal_entry": targetsOf(func(in JournalEntryInput) ([]target, error) {
		return one(strings.TrimSpace(in.AssignedObjectType), in.AssignedObjectID)
	}),
	"dcim_create_platform":     shared,
	"virt_create_cluster_type": shared,
}

// writeGuard holds the write scope and what it learnt of this host.
type writeGuard struct {
	scope WriteScope
	eng   *engine.Engine
	nb    *netbox.Client

	mu      sync.Mutex
	device  *record.Device // this host's, once found
	groupID int64          // its cluster group's, once found
}

func newWriteGuard(d Deps) *writeGuard {
	scope := d.WriteScope
	if scope == "" {
		scope = WriteScopeHost
	}
	return &writeGuard{scope: scope, eng: d.Engine, nb: d.NetBox}
}

// wrap puts the check around t when t is a NetBox write tool and the scope
// is this host.
func (g *writeGuard) wrap(t Tool) Tool {
	if g.scope == WriteScopeAny || t.Toolset() != ToolsetNetBoxWrite {
		return t
	}
	name, next, targets := t.Definition.Name, t.Handler, touches[t.Definition.Name]
	t.Handler = func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		err := g.check(ctx, name, targets, req)
		var refused *scopeError
		switch {
		case err == nil:
			return next(ctx, req)
		case errors.As(err, &refused):
			logToClient(ctx, mcp.LoggingLevelWarning, name+": refused: outside the write scope")
			return mcp.NewToolResultError(refused.Error()), nil
		}
		msg, _ := failure(err)
		return mcp.NewToolResultError(msg), nil
	}
	return t
}

// scopeError is a call outside the write scope; it says how to lift it.
type scopeError struct{ tool, why string }

func (e *scopeError) Error() string {
	return fmt.Sprintf("Refused, nothing was written: %s; %s may change only this host's device and its own objects (interfaces, their MAC and IP addresses, its cluster group, clusters and VMs) and create platforms and cluster types. If the user wants to change other NetBox objects with it, the server must be restarted with %s (or %s=any).",
		e.why, e.tool, WriteScopeFlag, WriteScopeEnv)
}

// check returns nil when every object the call touches is this host's.
func (g *writeGuard) check(ctx context.Context, tool string, targets targetsFunc, req mcp.CallToolRequest) error {
	if targets == nil {
		return &scopeError{tool: tool, why: "this tool declares no write scope"}
	}
	ts, err := targets(req)
	if err != nil {
		return &scopeError{tool: tool, why: err.Error()}
	}
	if len(ts) == 0 {
		return nil
	}
	own, err := g.ownDevice(ctx)
	if err != nil {
		var refused *scopeError
		if errors.As(err, &refused) {
			refused.tool = tool
		}
		return err
	}
	for _, t := range ts {
		if t.id <= 0 {
			continue // the tool refuses a missing id itself
		}
		why, err := g.owned(ctx, t, own)
		var missing *targetMissing
		switch {
		case errors.As(err, &missing):
			continue // nothing to write to: the tool says what is missing
		case netbox.IsKind(err, netbox.KindNotFound):
			// Something the target points at is gone (its cluster, its
			// device): nothing ties the target to this host, so it is
			// not this host's, whatever the tool would do with it.
			return &scopeError{tool: tool, why: fmt.Sprintf("%s %d refers to an object NetBox does not have, so it is not this host's", untrusted.Text(t.objectType), t.id)}
		case err != nil:
			return fmt.Errorf("check the write scope of %s %d: %w", t.objectType, t.id, err)
		case why != "":
			return &scopeError{tool: tool, why: why}
		}
	}
	return nil
}

// targetMissing is a 404 on the object a call targets itself, which the
// tool reports better than the scope can. A 404 on anything read on the
// way (a VM's cluster) is not one: it is a refusal.
type targetMissing struct{ err error }

func (e *targetMissing) Error() string { return e.err.Error() }
func (e *targetMissing) Unwrap() error { return e.err }

// targetRead marks a 404 from reading the target itself.
func targetRead(err error) error {
	if netbox.IsKind(err, netbox.KindNotFound) {
		return &targetMissing{err: err}
	}
	return err
}

// ownDevice is this host's device: the one NetBox has under the host's
// discovered name (serve's --hostname sets it), kept once found.
func (g *writeGuard) ownDevice(ctx context.Context) (record.Device, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.device != nil {
		return *g.device, nil
	}
	if g.eng == nil || g.nb == nil {
		return record.Device{}, &scopeError{why: "this server cannot tell which device is this host's"}
	}
	h, err := g.eng.Discover(ctx)
	if err != nil {
		return record.Device{}, fmt.Errorf("discover this host's name for the write scope: %w", err)
	}
	if h.Hostname == "" {
		return record.Device{}, &scopeError{why: "this host's name could not be discovered, so no device is this host's (serve's --hostname names it)"}
	}
	got, err := g.nb.DevicesPage(ctx, netbox.DeviceQuery{Name: h.Hostname}, netbox.PageRequest{Limit: 2})
	if err != nil {
		return record.Device{}, fmt.Errorf("look up this host's device %q for the write scope: %w", h.Hostname, err)
	}
	switch len(got.Items) {
	case 0:
		return record.Device{}, &scopeError{why: fmt.Sprintf("NetBox has no device named %q, so no device is this host's: register the host first (/cmdb register), or name its device with serve's --hostname", untrusted.Text(h.Hostname))}
	case 1:
	default:
		return record.Device{}, &scopeError{why: fmt.Sprintf("NetBox has %d devices named %q, so which one is this host's is unclear: rename the others", got.Count, untrusted.Text(h.Hostname))}
	}
	g.device = &got.Items[0]
	return *g.device, nil
}

// owned says why t is not this host's object, or "" when it is.
func (g *writeGuard) owned(ctx context.Context, t target, own record.Device) (string, error) {
	name := func(s string) string { return untrusted.Text(s) }
	switch t.objectType {
	case diff.ObjectDevice:
		if t.id == own.ID {
			return "", nil
		}
		// A device that does not exist gets the tool's own advice.
		if _, err := g.nb.GetDevice(ctx, t.id); err != nil {
			return "", targetRead(err)
		}
		return fmt.Sprintf("device %d is not this host's device (%s, id %d)", t.id, name(own.Name), own.ID), nil
	case diff.ObjectInterface:
		i, err := g.nb.GetInterface(ctx, t.id)
		if err != nil || i.DeviceID == own.ID {
			return "", targetRead(err)
		}
		return fmt.Sprintf("interface %d (%s) is on device %d, not on this host's device (%s, id %d)", t.id, name(i.Name), i.DeviceID, name(own.Name), own.ID), nil
	case diff.ObjectIPAddress:
		ip, err := g.nb.GetIPAddress(ctx, t.id)
		switch {
		case err != nil || ip.DeviceID == own.ID:
			return "", targetRead(err)
		case ip.AssignedObjectType == "" && t.claim:
			return "", nil
		case ip.AssignedObjectType == "":
			return fmt.Sprintf("IP address %d (%s) is assigned to nothing, and only one this call assigns to an interface of this host's device is in scope", t.id, name(ip.Address)), nil
		}
		return fmt.Sprintf("IP address %d (%s) is assigned to %s %d, not to an interface of this host's device (%s, id %d)", t.id, name(ip.Address), name(ip.AssignedObjectType), ip.AssignedObjectID, name(own.Name), own.ID), nil
	case diff.ObjectCluster:
		why, err := g.ownCluster(ctx, t.id, own)
		return why, targetRead(err)
	case diff.ObjectClusterGroup:
		id, err := g.ownGroup(ctx, own)
		if err != nil || t.id == id {
			return "", err
		}
		return fmt.Sprintf("cluster group %d is not this host's (slug %s)", t.id, record.HostClusterGroupSlug(own.ID)), nil
	case diff.ObjectVM:
		vm, err := g.nb.GetVirtualMachine(ctx, t.id)
		if err != nil {
			return "", targetRead(err)
		}
		if vm.ClusterID == 0 {
			// A VM on a site alone: no cluster of this host's holds it.
			return fmt.Sprintf("VM %d (%s) is in no cluster, so it is not this host's", t.id, name(vm.Name)), nil
		}
		// A 404 here is the VM's cluster, not the VM: check refuses it.
		why, err := g.ownCluster(ctx, vm.ClusterID, own)
		if err != nil || why == "" {
			return "", err
		}
		return fmt.Sprintf("VM %d (%s) is in cluster %d, which is not this host's", t.id, name(vm.Name), vm.ClusterID), nil
	}
	return fmt.Sprintf("%s %d is none of the objects the write scope knows as this host's (its device, interfaces, IP addresses, cluster group, clusters and VMs)", name(t.objectType), t.id), nil
}

// ownCluster says why cluster id is not in this host's cluster group.
func (g *writeGuard) ownCluster(ctx context.Context, id int64, own record.Device) (string, error) {
	c, err := g.nb.GetCluster(ctx, id)
	if err != nil {
		return "", err
	}
	if c.Group != nil && c.Group.Slug == record.HostClusterGroupSlug(own.ID) {
		return "", nil
	}
	return fmt.Sprintf("cluster %d (%s) is not in this host's cluster group (slug %s)", id, untrusted.Text(c.Name), record.HostClusterGroupSlug(own.ID)), nil
}

// ownGroup is the id of this host's cluster group, 0 while it has none.
func (g *writeGuard) ownGroup(ctx context.Context, own record.Device) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.groupID != 0 {
		return g.groupID, nil
	}
	groups, err := g.nb.ListClusterGroups(ctx, record.HostClusterGroupSlug(own.ID))
	if err != nil || len(groups) == 0 {
		return 0, err
	}
	g.groupID = groups[0].ID
	return g.groupID, nil
}
