package apply

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The device's own attributes and the platforms they point at.

func (r *run) createPlatforms(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		p, err := r.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: c.New, Slug: c.Slug, CustomFields: customFields([]diff.Change{c})}, r.writes)
		if err == nil {
			r.ids[c.Key] = p.ID
		}
		r.record(c, err)
	}
}

// updateDevice sends every device field in one PATCH: fewer requests, and
// NetBox validates the device once with all its new values. When NetBox
// refuses it, the fields its answer names fail and the others are sent
// again (a refused platform does not take status, serial or the primary
// IPs with it); an answer that names no field is split (writeObjects).
func (r *run) updateDevice(ctx context.Context, cs []diff.Change) {
	var sent []diff.Change
	for _, c := range cs {
		switch c.Field {
		case "platform", diff.FieldPrimaryIP4, diff.FieldPrimaryIP6:
			_, why, ok := r.resolve(c.NewID, c.NewKey)
			if notMoved, bad := r.notMoved[c.NewID]; ok && bad && c.Field != "platform" {
				// NetBox makes only an IP on the device's own interfaces
				// primary.
				why, ok = dependsPrefix+notMoved, false
			}
			if !ok {
				r.skip(c, why)
				r.keepsPrimary(c) // the old primary stays: its unassign would be refused
				continue
			}
		case "status", "serial":
		default:
			r.skip(c, "apply does not know device field "+c.Field)
			continue
		}
		sent = append(sent, c)
	}
	if len(sent) == 0 {
		return
	}
	build := func(cs []diff.Change) netbox.DeviceUpdate {
		u := netbox.DeviceUpdate{CustomFields: customFields(cs)}
		for _, c := range cs {
			switch c.Field {
			case "platform", diff.FieldPrimaryIP4, diff.FieldPrimaryIP6:
				id, _, _ := r.resolve(c.NewID, c.NewKey)
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
			}
		}
		return u
	}
	n := len(r.res.Changes)
	writeObjects(r, [][]diff.Change{sent}, build, func(us []netbox.DeviceUpdate) ([]record.Device, error) {
		d, err := r.nb.UpdateDevice(ctx, r.plan.Device.ID, us[0], r.writes)
		if err != nil {
			return nil, err
		}
		return []record.Device{d}, nil
	}, nil)
	for _, cr := range r.res.Changes[n:] {
		if cr.Outcome == OutcomeFailed {
			r.keepsPrimary(cr.Change)
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
