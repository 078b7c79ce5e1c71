package apply

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The network lane: interfaces, their MAC objects and IP addresses, and the
// device's primary IPs, in the order NetBox accepts them.

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
		// Duplicates go once the one kept is primary: NetBox refuses to
		// unassign an interface's primary MAC.
		{"unassign duplicate MAC addresses", r.pick(is(diff.ObjectMACAddress, diff.ActionUnassign)), r.unassignMACs},
		{"create IP addresses", r.pick(is(diff.ObjectIPAddress, diff.ActionCreate)), r.createIPs},
		{"update the new primary IPs", r.pick(func(c diff.Change) bool { return ipUpdate(c) && newPrimary[c.ObjectID] }), r.updateIPs},
		{"update device", r.pick(is(diff.ObjectDevice)), r.updateDevice},
		{"update and unassign IP addresses", r.pick(func(c diff.Change) bool {
			return ipUpdate(c) && !newPrimary[c.ObjectID] || is(diff.ObjectIPAddress, diff.ActionUnassign)(c)
		}), r.updateIPs},
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

func (r *run) unassignMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressUpdate, string, bool) {
		return netbox.MACAddressUpdate{ID: c.ObjectID, Unassign: true}, "", true
	}, func(in []netbox.MACAddressUpdate) ([]record.MACAddress, error) {
		return r.nb.UpdateMACAddresses(ctx, in)
	}, nil)
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
