package netbox

import (
	"context"
	"errors"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// What registering a host reads and writes: the catalog it chooses from
// (sites, device roles, manufacturers, device types), the devices that
// may be this host already, and the creates of a manufacturer, a device
// type and the device.

const manufacturersPath = "/api/dcim/manufacturers/"

// Registry is the lookup of a register: what SnapshotFor reads for a
// host NetBox has no device for, plus what a first sync needs of the rest
// of NetBox (the MAC objects and IPs with the host's values, the device
// roles, the cluster type), the devices carrying serial (when not empty),
// and every site, manufacturer and device type.
//
// It is one round trip of concurrent reads, one request each per 1000
// objects (per 100 MACs or addresses): 9 to 11 for a NetBox of fewer than
// 1000 of each. A device of q.Hostname is not an error: Snapshot.Found
// says so (more than one is an *AmbiguousNameError, as for a sync).
func (c *Client) Registry(ctx context.Context, q SnapshotQuery, serial string) (record.Registry, error) {
	if q.Hostname == "" {
		return record.Registry{}, errors.New("netbox: register: empty host name: pass the host's name")
	}
	var r record.Registry
	var byName, similar []record.Device
	reads := []func(context.Context) error{
		func(ctx context.Context) (err error) {
			byName, err = c.listDevices(ctx, DeviceQuery{Name: q.Hostname})
			return err
		},
		func(ctx context.Context) (err error) {
			similar, err = c.similarDevices(ctx, q.Hostname)
			return err
		},
		func(ctx context.Context) (err error) { r.Snapshot.Platforms, err = c.listPlatforms(ctx); return err },
		func(ctx context.Context) (err error) { r.Snapshot.Roles, err = c.listDeviceRoles(ctx); return err },
		func(ctx context.Context) (err error) { r.Sites, err = c.listSites(ctx); return err },
		func(ctx context.Context) (err error) { r.Manufacturers, err = c.listManufacturers(ctx); return err },
		func(ctx context.Context) (err error) { r.DeviceTypes, err = c.listDeviceTypes(ctx); return err },
	}
	if serial != "" {
		reads = append(reads, func(ctx context.Context) (err error) {
			r.BySerial, err = c.listDevices(ctx, DeviceQuery{Serial: serial})
			return err
		})
	}
	if macs := missingMACs(q.MACs, nil); len(macs) > 0 {
		reads = append(reads, func(ctx context.Context) (err error) {
			r.Snapshot.MACs, err = c.ListMACAddresses(ctx, MACAddressQuery{MACs: macs})
			return err
		})
	}
	if addrs := hostParts(q.Addresses); len(addrs) > 0 {
		reads = append(reads, func(ctx context.Context) (err error) {
			r.Snapshot.IPs, err = c.ListIPAddresses(ctx, IPAddressQuery{Addresses: addrs})
			return err
		})
	}
	if q.Containers {
		reads = append(reads, func(ctx context.Context) error {
			types, err := c.ListClusterTypes(ctx, record.ClusterTypeSlug)
			if len(types) > 0 {
				r.Snapshot.ClusterType = &types[0]
			}
			return err
		})
	}
	if err := runBounded(ctx, snapshotParallelism, reads); err != nil {
		return record.Registry{}, err
	}
	switch len(byName) {
	case 0:
		for _, d := range similar {
			r.Snapshot.Similar = append(r.Snapshot.Similar, d.Name)
		}
	case 1:
		r.Snapshot.Found, r.Snapshot.Device = true, byName[0]
	default:
		return record.Registry{}, &AmbiguousNameError{Name: q.Hostname, Devices: byName}
	}
	return r, nil
}

// listSites reads every site, one request per 1000.
func (c *Client) listSites(ctx context.Context) ([]record.Site, error) {
	return listJSON(ctx, c, sitesPath, nil, func(w *wireSlugged) record.Site {
		return record.Site{ID: w.ID, Name: w.Name, Slug: w.Slug}
	})
}

// listManufacturers reads every manufacturer, one request per 1000.
func (c *Client) listManufacturers(ctx context.Context) ([]record.Manufacturer, error) {
	return listJSON(ctx, c, manufacturersPath, nil, manufacturerFrom)
}

// listDeviceTypes reads every device type, one request per 1000.
func (c *Client) listDeviceTypes(ctx context.Context) ([]record.DeviceType, error) {
	return listJSON(ctx, c, deviceTypesPath, nil, deviceTypeFrom)
}

// ManufacturerCreate is the body of a manufacturer's creation. NetBox
// never makes slugs: Slug is required, unique like Name.
type ManufacturerCreate struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// CreateManufacturer creates one manufacturer; a create whose outcome is
// unknown is checked by slug (create_check.go).
func (c *Client) CreateManufacturer(ctx context.Context, in ManufacturerCreate, w WriteOptions) (record.Manufacturer, error) {
	return createOne(ctx, c, manufacturersPath, in, w, manufacturerFrom)
}

// DeviceTypeCreate is the body of a device type's creation: model and
// slug are unique per manufacturer.
type DeviceTypeCreate struct {
	Manufacturer int64  `json:"manufacturer"`
	Model        string `json:"model"`
	Slug         string `json:"slug"`
}

// CreateDeviceType creates one device type; a create whose outcome is
// unknown is checked by manufacturer and slug.
func (c *Client) CreateDeviceType(ctx context.Context, in DeviceTypeCreate, w WriteOptions) (record.DeviceType, error) {
	return createOne(ctx, c, deviceTypesPath, in, w, deviceTypeFrom)
}

// DeviceCreate is the body of a device's creation: what a register
// writes. Platform is left out when nil.
type DeviceCreate struct {
	Name       string `json:"name"`
	Site       int64  `json:"site"`
	Role       int64  `json:"role"`
	DeviceType int64  `json:"device_type"`
	Status     string `json:"status"`
	Serial     string `json:"serial,omitempty"`
	Platform   *int64 `json:"platform,omitempty"`
}

// CreateDevice creates one device and returns it as NetBox saved it
// (NetBox may add what its device type implies: a default platform,
// interfaces from templates). A create whose outcome is unknown is checked
// by name, ignoring case, in its site.
func (c *Client) CreateDevice(ctx context.Context, in DeviceCreate, w WriteOptions) (record.Device, error) {
	return createOne(ctx, c, devicesPath, in, w, deviceFrom)
}

func manufacturerFrom(w *wireSlugged) record.Manufacturer {
	return record.Manufacturer{ID: w.ID, Name: w.Name, Slug: w.Slug}
}

// wireDeviceTypeEntry is a device type with what a register reads of it.
type wireDeviceTypeEntry struct {
	ID                     int64    `json:"id"`
	Model                  string   `json:"model"`
	Slug                   string   `json:"slug"`
	PartNumber             string   `json:"part_number"`
	Manufacturer           *wireRef `json:"manufacturer"`
	InterfaceTemplateCount int      `json:"interface_template_count"`
}

func deviceTypeFrom(w *wireDeviceTypeEntry) record.DeviceType {
	out := record.DeviceType{ID: w.ID, Model: w.Model, Slug: w.Slug, PartNumber: w.PartNumber,
		InterfaceTemplates: w.InterfaceTemplateCount}
	if m := w.Manufacturer.ref(); m != nil {
		out.Manufacturer = *m
	}
	return out
}
