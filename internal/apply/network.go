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
		return netbox.InterfaceCreate{Device: r.plan.Device.ID, Name: c.Object, Type: a.Type, Enabled: a.Enabled, MTU: a.MTU,
			CustomFields: customFields([]diff.Change{c})}, "", true
	}, func(in []netbox.InterfaceCreate) ([]record.Interface, error) {
		return r.nb.CreateInterfaces(ctx, in, r.writes)
	}, func(i record.Interface) int64 { return i.ID })
}

func (r *run) createMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressCreate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		return netbox.MACAddressCreate{MAC: attrs(c).MAC, InterfaceID: iface, CustomFields: customFields([]diff.Change{c})}, why, ok
	}, func(in []netbox.MACAddressCreate) ([]record.MACAddress, error) {
		return r.nb.CreateMACAddresses(ctx, in, r.writes)
	}, func(m record.MACAddress) int64 { return m.ID })
}

func (r *run) assignMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressUpdate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		return netbox.MACAddressUpdate{ID: c.ObjectID, InterfaceID: iface, CustomFields: customFields([]diff.Change{c})}, why, ok
	}, func(in []netbox.MACAddressUpdate) ([]record.MACAddress, error) {
		return r.nb.UpdateMACAddresses(ctx, in, r.writes)
	}, func(m record.MACAddress) int64 { return m.ID })
}

func (r *run) unassignMACs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.MACAddressUpdate, string, bool) {
		return netbox.MACAddressUpdate{ID: c.ObjectID, Unassign: true}, "", true
	}, func(in []netbox.MACAddressUpdate) ([]record.MACAddress, error) {
		return r.nb.UpdateMACAddresses(ctx, in, r.writes)
	}, nil)
}

// updateInterfaces merges every change of one interface into one object of
// the bulk PATCH.
func (r *run) updateInterfaces(ctx context.Context, cs []diff.Change) {
	var objs byObject
	for _, c := range cs {
		id, why, ok := r.resolve(c.ObjectID, c.ObjectKey)
		if !ok {
			r.skip(c, why)
			continue
		}
		switch {
		case c.Action == diff.ActionOffline, c.Field == diff.FieldEnabled, c.Field == diff.FieldType:
		case c.Field == diff.FieldMAC:
			if _, why, ok := r.resolve(c.NewID, c.NewKey); !ok {
				r.skip(c, why)
				continue
			}
		default:
			r.skip(c, "apply does not know interface field "+c.Field)
			continue
		}
		objs.add(id, c)
	}
	writeObjects(r, objs.objs, func(cs []diff.Change) netbox.InterfaceUpdate {
		id, _, _ := r.resolve(cs[0].ObjectID, cs[0].ObjectKey)
		u := netbox.InterfaceUpdate{ID: id, CustomFields: customFields(cs)}
		for _, c := range cs {
			switch {
			case c.Action == diff.ActionOffline:
				u.Enabled, u.Description = ptr(false), ptr(diff.OfflineDescription)
			case c.Field == diff.FieldEnabled:
				u.Enabled, u.Description = ptr(c.New == "true"), ptr("")
			case c.Field == diff.FieldType:
				u.Type = ptr(c.New)
			case c.Field == diff.FieldMAC:
				mac, _, _ := r.resolve(c.NewID, c.NewKey)
				u.PrimaryMAC = &mac
			}
		}
		return u
	}, func(in []netbox.InterfaceUpdate) ([]record.Interface, error) {
		return r.nb.UpdateInterfaces(ctx, in, r.writes)
	}, nil)
}

func (r *run) createIPs(ctx context.Context, cs []diff.Change) {
	bulk(r, cs, func(c diff.Change) (netbox.IPAddressCreate, string, bool) {
		iface, why, ok := r.resolve(c.ParentID, c.ParentKey)
		a := attrs(c)
		return netbox.IPAddressCreate{Address: a.Address, Status: a.Status, InterfaceID: iface, CustomFields: customFields([]diff.Change{c})}, why, ok
	}, func(in []netbox.IPAddressCreate) ([]record.IPAddress, error) {
		return r.nb.CreateIPAddresses(ctx, in, r.writes)
	}, func(ip record.IPAddress) int64 { return ip.ID })
}

// updateIPs sends reassignments, mask changes and unassignments, one
// object per IP. An IP that is still its device's primary because moving
// the primary failed is skipped: NetBox would refuse it.
func (r *run) updateIPs(ctx context.Context, cs []diff.Change) {
	var objs byObject
	for _, c := range cs {
		switch {
		case c.Action == diff.ActionUnassign:
			if r.primaryFailed[c.Object] {
				r.skip(c, "still the device's primary IP: changing the primary did not apply")
				continue
			}
		case c.Field == diff.FieldAddress:
		case c.Field == diff.FieldAssignment:
			if _, why, ok := r.resolve(c.ParentID, c.ParentKey); !ok {
				r.skip(c, why)
				continue
			}
		default:
			r.skip(c, "apply does not know IP field "+c.Field)
			continue
		}
		objs.add(c.ObjectID, c)
	}
	writeObjects(r, objs.objs, func(cs []diff.Change) netbox.IPAddressUpdate {
		u := netbox.IPAddressUpdate{ID: cs[0].ObjectID, CustomFields: customFields(cs)}
		for _, c := range cs {
			switch {
			case c.Action == diff.ActionUnassign:
				u.Unassign = true
			case c.Field == diff.FieldAddress:
				u.Address = ptr(c.New)
			case c.Field == diff.FieldAssignment:
				u.InterfaceID, _, _ = r.resolve(c.ParentID, c.ParentKey)
			}
		}
		return u
	}, func(in []netbox.IPAddressUpdate) ([]record.IPAddress, error) {
		return r.nb.UpdateIPAddresses(ctx, in, r.writes)
	}, func(c diff.Change, _ record.IPAddress) {
		if c.Key != "" {
			r.ids[c.Key] = c.ObjectID
		}
	})
}
