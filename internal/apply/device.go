package apply

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// The device's own attributes and the platforms they point at.

func (r *run) createPlatforms(ctx context.Context, cs []diff.Change) {
	for _, c := range cs {
		p, err := r.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: c.New, Slug: c.Slug})
		if err == nil {
			r.ids[c.Key] = p.ID
		}
		r.record(c, err)
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
