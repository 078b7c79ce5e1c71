package netbox

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	gonetbox "github.com/netbox-community/go-netbox/v4"
)

const devicesPath = "/api/dcim/devices/"

// ListDevices reads the devices f selects, every page unless f.Limit caps it.
// NetBox matches Name case-insensitively and exactly.
func (c *Client) ListDevices(ctx context.Context, f DeviceFilter) ([]Device, error) {
	return fetchAll(ctx, devicesPath, f.Limit, func(ctx context.Context, limit, offset int32) (page[Device], error) {
		req := c.api.DcimAPI.DcimDevicesList(ctx).Limit(limit).Offset(offset)
		if f.Name != "" {
			req = req.Name([]string{f.Name})
		}
		list, resp, err := req.Execute()
		if err != nil {
			return page[Device]{}, c.apiError(http.MethodGet, devicesPath, resp, err)
		}
		out := make([]Device, len(list.Results))
		for i := range list.Results {
			out[i] = deviceFrom(&list.Results[i])
		}
		return page[Device]{items: out, count: int(list.Count), more: hasNext(list.Next)}, nil
	})
}

// GetDevice reads one device.
func (c *Client) GetDevice(ctx context.Context, id int64) (Device, error) {
	path := fmt.Sprintf("%s%d/", devicesPath, id)
	id32, err := objectID(id)
	if err != nil {
		return Device{}, fmt.Errorf("netbox: GET %s: %w", path, err)
	}
	d, resp, err := c.api.DcimAPI.DcimDevicesRetrieve(ctx, id32).Execute()
	if err != nil {
		return Device{}, c.apiError(http.MethodGet, path, resp, err)
	}
	return deviceFrom(d), nil
}

// UpdateDevice PATCHes the non-nil fields of u and returns the device as
// NetBox saved it. For Platform, PrimaryIP4 and PrimaryIP6 a pointer to 0
// clears the field (sends null). An update with no fields reads the device
// instead of writing, so that it leaves no change record.
func (c *Client) UpdateDevice(ctx context.Context, id int64, u DeviceUpdate) (Device, error) {
	path := fmt.Sprintf("%s%d/", devicesPath, id)
	if u == (DeviceUpdate{}) {
		return c.GetDevice(ctx, id)
	}
	id32, err := objectID(id)
	if err != nil {
		return Device{}, fmt.Errorf("netbox: PATCH %s: %w", path, err)
	}
	var body gonetbox.PatchedWritableDeviceWithConfigContextRequest
	if u.Status != nil {
		// Not checked against go-netbox's 4.3 list: NetBox decides, and says
		// what is wrong in its own words.
		s := gonetbox.DeviceStatusValue(*u.Status)
		body.Status = &s
	}
	if u.Serial != nil {
		body.Serial = u.Serial
	}
	if u.Platform != nil {
		ref, err := optionalID(*u.Platform)
		if err != nil {
			return Device{}, fmt.Errorf("netbox: PATCH %s: platform: %w", path, err)
		}
		if ref == nil {
			body.Platform.Set(nil)
		} else {
			v := gonetbox.Int32AsDeviceTypeRequestDefaultPlatform(ref)
			body.Platform.Set(&v)
		}
	}
	for _, ip := range []struct {
		name string
		id   *int64
		dst  *gonetbox.NullableDeviceWithConfigContextRequestPrimaryIp4
	}{
		{"primary_ip4", u.PrimaryIP4, &body.PrimaryIp4},
		{"primary_ip6", u.PrimaryIP6, &body.PrimaryIp6},
	} {
		if ip.id == nil {
			continue
		}
		ref, err := optionalID(*ip.id)
		if err != nil {
			return Device{}, fmt.Errorf("netbox: PATCH %s: %s: %w", path, ip.name, err)
		}
		if ref == nil {
			ip.dst.Set(nil)
		} else {
			v := gonetbox.Int32AsDeviceWithConfigContextRequestPrimaryIp4(ref)
			ip.dst.Set(&v)
		}
	}
	d, resp, err := c.api.DcimAPI.DcimDevicesPartialUpdate(ctx, id32).PatchedWritableDeviceWithConfigContextRequest(body).Execute()
	if err != nil {
		return Device{}, c.apiError(http.MethodPatch, path, resp, err)
	}
	return deviceFrom(d), nil
}

func deviceFrom(d *gonetbox.DeviceWithConfigContext) Device {
	out := Device{
		ID:          int64(d.Id),
		Name:        deref(d.Name.Get()),
		Serial:      deref(d.Serial),
		Description: deref(d.Description),
		Site:        Ref{ID: int64(d.Site.Id), Name: d.Site.Name, Slug: d.Site.Slug},
		Role:        Ref{ID: int64(d.Role.Id), Name: d.Role.Name, Slug: d.Role.Slug},
		DeviceType:  Ref{ID: int64(d.DeviceType.Id), Name: d.DeviceType.Model, Slug: d.DeviceType.Slug},
	}
	if d.Status != nil && d.Status.Value != nil {
		out.Status = string(*d.Status.Value)
	}
	if p := d.Platform.Get(); p != nil {
		out.Platform = &Ref{ID: int64(p.Id), Name: p.Name, Slug: p.Slug}
	}
	if ip := d.PrimaryIp4.Get(); ip != nil {
		out.PrimaryIP4 = &Ref{ID: int64(ip.Id), Name: ip.Address}
	}
	if ip := d.PrimaryIp6.Get(); ip != nil {
		out.PrimaryIP6 = &Ref{ID: int64(ip.Id), Name: ip.Address}
	}
	if cl := d.Cluster.Get(); cl != nil {
		out.Cluster = &Ref{ID: int64(cl.Id), Name: cl.Name}
	}
	if t := d.LastUpdated.Get(); t != nil {
		out.LastUpdated = t.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// objectID converts an id for go-netbox, which types ids as int32.
func objectID(id int64) (int32, error) {
	if id <= 0 || id > math.MaxInt32 {
		return 0, fmt.Errorf("object id %d is out of range", id)
	}
	return int32(id), nil
}

// optionalID converts a foreign key; 0 means none (JSON null).
func optionalID(id int64) (*int32, error) {
	if id == 0 {
		return nil, nil
	}
	v, err := objectID(id)
	return &v, err
}

func hasNext(next gonetbox.NullableString) bool {
	s := next.Get()
	return s != nil && *s != ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
