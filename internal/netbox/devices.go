package netbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const devicesPath = "/api/dcim/devices/"

// listDevices reads every page of the devices q selects, through the JSON
// path into wireDevice, not through go-netbox, whose 4.3 models reject a
// body that lacks a field 4.3 requires or holds a choice 4.3 does not know
// (version.go).
func (c *Client) listDevices(ctx context.Context, q DeviceQuery) ([]record.Device, error) {
	devices, _, err := c.listDevicesAnswered(ctx, q)
	return devices, err
}

// listDevicesAnswered is listDevices that also returns when NetBox
// answered the last page, by its clock (zero when it sent no Date).
func (c *Client) listDevicesAnswered(ctx context.Context, q DeviceQuery) ([]record.Device, time.Time, error) {
	v, err := q.values()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("netbox: GET %s: %w", devicesPath, err)
	}
	return listAnswered(ctx, c, devicesPath, v, deviceFrom)
}

// GetDevice reads one device. On NetBox 4.6+ the client keeps the
// device's ETag for the If-Match of a later UpdateDevice.
func (c *Client) GetDevice(ctx context.Context, id int64) (record.Device, error) {
	d, etag, err := c.readDevice(ctx, id)
	if err != nil {
		return record.Device{}, err
	}
	c.ver.setETag(id, etag)
	return d, nil
}

// readDevice reads one device and the ETag of the state read ("" before
// NetBox 4.6).
func (c *Client) readDevice(ctx context.Context, id int64) (record.Device, string, error) {
	if _, err := objectID(id); err != nil {
		return record.Device{}, "", fmt.Errorf("netbox: GET %s%d/: %w", devicesPath, id, err)
	}
	var got wireDevice
	ans, err := c.do(ctx, request{method: http.MethodGet, path: objectPath(devicesPath, id), out: &got})
	if err != nil {
		return record.Device{}, "", err
	}
	return deviceFrom(&got), ans.etag, nil
}

// UpdateDevice PATCHes the non-nil fields of u and returns the device as
// NetBox saved it. For Platform, PrimaryIP4 and PrimaryIP6 a pointer to 0
// clears the field (sends null). An update with no fields reads the device
// instead of writing, so that it leaves no change record.
//
// On NetBox 4.6+, when the client has read the device (GetDevice,
// SnapshotFor), the PATCH carries If-Match with that read's ETag: if the
// device changed since, NetBox refuses with 412, a KindConflict *Error,
// and nothing is written. Read it again to go on. A 412 that follows this
// client's own write (a retried PATCH whose first answer was lost) is not
// a conflict: when the device already has every value of u, UpdateDevice
// returns it.
func (c *Client) UpdateDevice(ctx context.Context, id int64, u DeviceUpdate, w WriteOptions) (record.Device, error) {
	if u == (DeviceUpdate{}) {
		return c.GetDevice(ctx, id)
	}
	var ifMatch string
	if c.serverVersion().atLeast(4, 6) {
		ifMatch = c.ver.etag(id)
	}
	d, etag, err := c.patchDevice(ctx, id, u, ifMatch, w)
	if err == nil {
		c.ver.setETag(id, etag)
		return d, nil
	}
	var e *Error
	if errors.As(err, &e) && e.StatusCode == http.StatusPreconditionFailed {
		// Read without keeping the ETag: the conflict stands until the
		// caller reads the device again, so that a plain retry cannot
		// overwrite what changed.
		if now, etag, readErr := c.readDevice(ctx, id); readErr == nil && u.appliedTo(now) {
			c.ver.setETag(id, etag)
			return now, nil
		}
	}
	return record.Device{}, err
}

// patchDevice PATCHes u onto the device on the condition that it still
// has the ETag ifMatch (no condition when empty), and returns the device
// as saved and its new ETag.
func (c *Client) patchDevice(ctx context.Context, id int64, u DeviceUpdate, ifMatch string, w WriteOptions) (record.Device, string, error) {
	path := objectPath(devicesPath, id)
	if _, err := objectID(id); err != nil {
		return record.Device{}, "", fmt.Errorf("netbox: PATCH %s: %w", path, err)
	}
	body := deviceUpdateBody{Status: u.Status, Serial: u.Serial, Platform: nullIDPtr(u.Platform),
		PrimaryIP4: nullIDPtr(u.PrimaryIP4), PrimaryIP6: nullIDPtr(u.PrimaryIP6), CustomFields: u.CustomFields}
	var got wireDevice
	ans, err := c.do(ctx, request{method: http.MethodPatch, path: path, body: body, out: &got, write: w, ifMatch: ifMatch})
	if err != nil {
		return record.Device{}, "", err
	}
	return deviceFrom(&got), ans.etag, nil
}

// deviceUpdateBody is DeviceUpdate on the wire: nil fields are left out, a
// foreign key of 0 is null.
type deviceUpdateBody struct {
	Status     *string `json:"status,omitempty"`
	Serial     *string `json:"serial,omitempty"`
	Platform   *nullID `json:"platform,omitempty"`
	PrimaryIP4 *nullID `json:"primary_ip4,omitempty"`
	PrimaryIP6 *nullID `json:"primary_ip6,omitempty"`

	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// appliedTo reports whether d already has every value u sets.
func (u DeviceUpdate) appliedTo(d record.Device) bool {
	refIs := func(want *int64, got *record.Ref) bool {
		if want == nil {
			return true
		}
		if *want == 0 {
			return got == nil
		}
		return got != nil && got.ID == *want
	}
	return (u.Status == nil || *u.Status == d.Status) && (u.Serial == nil || *u.Serial == d.Serial) &&
		refIs(u.Platform, d.Platform) && refIs(u.PrimaryIP4, d.PrimaryIP4) && refIs(u.PrimaryIP6, d.PrimaryIP6) &&
		customFieldsApplied(u.CustomFields, d.CustomFields)
}

// wireDevice is a device as NetBox renders it, the fields cmdb-mcp reads.
type wireDevice struct {
	ID          int64      `json:"id"`
	Name        *string    `json:"name"`
	Status      wireChoice `json:"status"`
	Serial      string     `json:"serial"`
	Description string     `json:"description"`
	Site        *wireRef   `json:"site"`
	Role        *wireRef   `json:"role"`
	DeviceType  *struct {
		ID           int64    `json:"id"`
		Model        string   `json:"model"`
		Slug         string   `json:"slug"`
		Manufacturer *wireRef `json:"manufacturer"`
	} `json:"device_type"`
	Platform     *wireRef         `json:"platform"`
	PrimaryIP4   *wireIPRef       `json:"primary_ip4"`
	PrimaryIP6   *wireIPRef       `json:"primary_ip6"`
	Cluster      *wireRef         `json:"cluster"`
	LastUpdated  *string          `json:"last_updated"`
	CustomFields wireCustomFields `json:"custom_fields"`
}

// wireIPRef is a nested IP address: its display name is the address.
type wireIPRef struct {
	ID      int64  `json:"id"`
	Address string `json:"address"`
}

func (ip *wireIPRef) ref() *record.Ref {
	if ip == nil {
		return nil
	}
	return &record.Ref{ID: ip.ID, Name: ip.Address}
}

func deviceFrom(d *wireDevice) record.Device {
	out := record.Device{
		ID:          d.ID,
		Name:        deref(d.Name),
		Status:      string(d.Status),
		Serial:      d.Serial,
		Description: d.Description,
		Platform:    d.Platform.ref(),
		PrimaryIP4:  d.PrimaryIP4.ref(),
		PrimaryIP6:  d.PrimaryIP6.ref(),
		Cluster:     d.Cluster.ref(),

		CustomFields: d.CustomFields.values(),
	}
	if r := d.Site.ref(); r != nil {
		out.Site = *r
	}
	if r := d.Role.ref(); r != nil {
		out.Role = *r
	}
	if dt := d.DeviceType; dt != nil {
		out.DeviceType = record.Ref{ID: dt.ID, Name: dt.Model, Slug: dt.Slug}
		out.Manufacturer = dt.Manufacturer.ref()
	}
	if d.LastUpdated != nil {
		// The same form whatever precision or offset NetBox printed.
		if t, err := time.Parse(time.RFC3339Nano, *d.LastUpdated); err == nil {
			out.LastUpdated = t.UTC().Format(time.RFC3339Nano)
		} else {
			out.LastUpdated = *d.LastUpdated
		}
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

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// customFieldsApplied reports whether every custom field want sets (nil:
// none) has a value in has. The record tells only whether a field has a
// value; a sync sets custom fields only to give required ones a value.
func customFieldsApplied(want *map[string]any, has record.CustomFieldValues) bool {
	if want == nil {
		return true
	}
	for k := range *want {
		if !has[k] {
			return false
		}
	}
	return true
}
