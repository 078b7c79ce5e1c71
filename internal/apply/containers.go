package apply

import (
	"context"
	"errors"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The container lane: the cluster type, the host's cluster group, the VM
// roles, the clusters and the VMs that model the host's Docker containers.

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

func (r *run) createClusterType(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		t, err := r.nb.CreateClusterType(ctx, netbox.ClusterTypeCreate{Name: c.New, Slug: c.Slug, CustomFields: customFields([]diff.Change{c})}, r.writes)
		if err == nil {
			r.ids[c.Key] = t.ID
		}
		r.record(c, err)
	}
}

func (r *run) createClusterGroup(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		g, err := r.nb.CreateClusterGroup(ctx, netbox.ClusterGroupCreate{Name: c.New, Slug: c.Slug, Description: "Docker containers of " + r.plan.Device.Name + ", kept by cmdb-mcp",
			CustomFields: customFields([]diff.Change{c})}, r.writes)
		if err == nil {
			r.ids[c.Key] = g.ID
		}
		r.record(c, err)
	}
}

func (r *run) createRoles(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.DeviceRoleCreate, string, bool) {
		return netbox.DeviceRoleCreate{Name: c.New, Slug: c.Slug, Color: attrs(c).Description, VMRole: true, CustomFields: customFields([]diff.Change{c})}, "", true
	}, func(in []netbox.DeviceRoleCreate) ([]record.DeviceRole, error) {
		return r.nb.CreateDeviceRoles(ctx, in, r.writes)
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
		return netbox.ClusterCreate{Name: c.New, Type: typ, Group: group, Status: a.Status, CustomFields: customFields([]diff.Change{c})}, why, ok
	}, func(in []netbox.ClusterCreate) ([]record.Cluster, error) {
		return r.nb.CreateClusters(ctx, in, r.writes)
	}, func(c record.Cluster) int64 { return c.ID })
}

func (r *run) createVMs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.VirtualMachineCreate, string, bool) {
		a := attrs(c)
		cluster, why, ok := r.resolve(c.ParentID, c.ParentKey)
		if !ok {
			return netbox.VirtualMachineCreate{}, why, false
		}
		vm := netbox.VirtualMachineCreate{Name: c.Object, Cluster: cluster, Status: a.Status, Description: a.Description, Comments: a.Comments,
			CustomFields: customFields([]diff.Change{c})}
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
		return r.nb.CreateVirtualMachines(ctx, in, r.writes)
	}, func(v record.VirtualMachine) int64 { return v.ID })
}

func (r *run) updateVMs(ctx context.Context, cs []diff.Change) {
	var objs byObject
	for _, c := range cs {
		var err error
		switch c.Field {
		case diff.FieldStatus, diff.FieldDescription, diff.FieldComments:
		case diff.FieldVCPUs:
			_, err = parseFloat(c.New)
		case diff.FieldMemory:
			_, err = parseMB(c.New)
		case diff.FieldCluster, diff.FieldRole:
			if _, why, ok := r.resolve(c.NewID, c.NewKey); !ok {
				r.skip(c, why)
				continue
			}
		default:
			err = errors.New("apply does not know VM field " + c.Field)
		}
		if err != nil {
			r.skip(c, err.Error())
			continue
		}
		objs.add(c.ObjectID, c)
	}
	writeObjects(r, objs.objs, func(cs []diff.Change) netbox.VirtualMachineUpdate {
		u := netbox.VirtualMachineUpdate{ID: cs[0].ObjectID, CustomFields: customFields(cs)}
		for _, c := range cs {
			switch c.Field {
			case diff.FieldStatus:
				u.Status = ptr(c.New)
			case diff.FieldDescription:
				u.Description = ptr(c.New)
			case diff.FieldComments:
				u.Comments = ptr(c.New)
			case diff.FieldVCPUs:
				v, _ := parseFloat(c.New)
				u.VCPUs = &v
			case diff.FieldMemory:
				v, _ := parseMB(c.New)
				u.MemoryMB = &v
			case diff.FieldCluster:
				id, _, _ := r.resolve(c.NewID, c.NewKey)
				u.Cluster = &id
			case diff.FieldRole:
				id, _, _ := r.resolve(c.NewID, c.NewKey)
				u.Role = &id
			}
		}
		return u
	}, func(in []netbox.VirtualMachineUpdate) ([]record.VirtualMachine, error) {
		return r.nb.UpdateVirtualMachines(ctx, in, r.writes)
	}, nil)
}
