package netbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// This file holds what the MCP tools need beyond the sync itself: one page
// of a list with NetBox's count (the tools are bounded and say how to get
// the rest), single-object reads and writes (whose errors name fields, not
// bulk indexes), and the catalog objects a register step picks from
// (sites, device types, platforms, roles, cluster types).

// PageRequest asks for one page of a list.
type PageRequest struct {
	// Limit is the page size, 1 to 1000 (NetBox clamps larger ones).
	Limit int
	// Offset skips that many objects.
	Offset int
}

// Page is one page of a list.
type Page[T any] struct {
	// Count is NetBox's total for the query, on every page.
	Count int
	Items []T
}

func (p PageRequest) query(q url.Values) (url.Values, error) {
	if p.Limit < 1 || p.Limit > pageSize || p.Offset < 0 {
		return nil, fmt.Errorf("page limit %d, offset %d: want a limit of 1 to %d and an offset of 0 or more", p.Limit, p.Offset, pageSize)
	}
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set("limit", strconv.Itoa(p.Limit))
	out.Set("offset", strconv.Itoa(p.Offset))
	return out, nil
}

// listPage reads one page of path?q through the JSON path.
func listPage[W, T any](ctx context.Context, c *Client, path string, q url.Values, p PageRequest, conv func(*W) T) (Page[T], error) {
	q, err := p.query(q)
	if err != nil {
		return Page[T]{}, fmt.Errorf("netbox: GET %s: %w", path, err)
	}
	var body wireList[W]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, out: &body}); err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Count: body.Count, Items: make([]T, len(body.Results))}
	for i := range body.Results {
		out.Items[i] = conv(&body.Results[i])
	}
	return out, nil
}

// getOne reads path<id>/ through the JSON path.
func getOne[W, T any](ctx context.Context, c *Client, path string, id int64, conv func(*W) T) (T, error) {
	var got W
	if _, err := c.do(ctx, request{method: http.MethodGet, path: objectPath(path, id), out: &got}); err != nil {
		var zero T
		return zero, err
	}
	return conv(&got), nil
}

// patchOne PATCHes one object at path<id>/. The body is the bulk-update
// object, whose id NetBox ignores on a single-object PATCH; unlike a bulk
// request, NetBox's errors then name fields without an index.
func patchOne[W, T any](ctx context.Context, c *Client, path string, id int64, body any, w WriteOptions, conv func(*W) T) (T, error) {
	var got W
	if _, err := c.do(ctx, request{method: http.MethodPatch, path: objectPath(path, id), body: body, out: &got, write: w}); err != nil {
		var zero T
		return zero, err
	}
	return conv(&got), nil
}

func objectPath(path string, id int64) string {
	return path + strconv.FormatInt(id, 10) + "/"
}

func setID(q url.Values, key string, id int64) {
	if id != 0 {
		q.Set(key, strconv.FormatInt(id, 10))
	}
}

func setString(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

// NameQuery selects catalog objects by name or slug, exactly but ignoring
// case (NetBox's __ie lookup); empty fields select everything.
type NameQuery struct {
	Name string
	Slug string
}

func (n NameQuery) values(nameField string) url.Values {
	q := url.Values{}
	setString(q, nameField+"__ie", n.Name)
	setString(q, "slug__ie", n.Slug)
	return q
}

// DeviceQuery selects devices, for listDevices (every page) and
// DevicesPage (one). NetBox ANDs the fields; the zero query selects every
// device.
type DeviceQuery struct {
	// Name matches exactly, ignoring case, as NetBox does.
	Name string
	// NamePrefix matches names that start with it, ignoring case
	// (name__isw).
	NamePrefix string
	// Serial matches exactly, ignoring case (as NetBox's serial filter).
	Serial string
	SiteID int64
}

func (q DeviceQuery) values() (url.Values, error) {
	v := url.Values{}
	if q.SiteID != 0 {
		if _, err := objectID(q.SiteID); err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
	}
	setString(v, "name", q.Name)
	setString(v, "name__isw", q.NamePrefix)
	setString(v, "serial", q.Serial)
	setID(v, "site_id", q.SiteID)
	return v, nil
}

// DevicesPage reads one page of the devices q selects, through the JSON
// path like every device read (devices.go).
func (c *Client) DevicesPage(ctx context.Context, q DeviceQuery, p PageRequest) (Page[record.Device], error) {
	v, err := q.values()
	if err != nil {
		return Page[record.Device]{}, fmt.Errorf("netbox: GET %s: %w", devicesPath, err)
	}
	return listPage(ctx, c, devicesPath, v, p, deviceFrom)
}

// InterfaceQuery selects interfaces for InterfacesPage.
type InterfaceQuery struct {
	DeviceID int64
	// Name matches exactly and case-sensitively, as NetBox does.
	Name string
}

// InterfacesPage reads one page of the interfaces q selects.
func (c *Client) InterfacesPage(ctx context.Context, q InterfaceQuery, p PageRequest) (Page[record.Interface], error) {
	v := url.Values{}
	setID(v, "device_id", q.DeviceID)
	setString(v, "name", q.Name)
	return listPage(ctx, c, interfacesPath, v, p, interfaceFrom)
}

// GetInterface reads one interface.
func (c *Client) GetInterface(ctx context.Context, id int64) (record.Interface, error) {
	return getOne(ctx, c, interfacesPath, id, interfaceFrom)
}

// CreateInterface creates one interface.
func (c *Client) CreateInterface(ctx context.Context, in InterfaceCreate, w WriteOptions) (record.Interface, error) {
	return createOne(ctx, c, interfacesPath, in, w, interfaceFrom)
}

// UpdateInterface PATCHes the non-nil fields of u on interface u.ID.
func (c *Client) UpdateInterface(ctx context.Context, u InterfaceUpdate, w WriteOptions) (record.Interface, error) {
	return patchOne(ctx, c, interfacesPath, u.ID, u, w, interfaceFrom)
}

// MACAddressesPage reads one page of the MAC objects q selects, q.MACs
// in the one request.
func (c *Client) MACAddressesPage(ctx context.Context, q MACAddressQuery, p PageRequest) (Page[record.MACAddress], error) {
	v := q.values()
	if macs := q.canonical(); len(macs) > 0 {
		v["mac_address"] = macs
	}
	return listPage(ctx, c, macAddressesPath, v, p, macAddressFrom)
}

// CreateMACAddress creates one MAC object, on in.InterfaceID unless 0.
func (c *Client) CreateMACAddress(ctx context.Context, in MACAddressCreate, w WriteOptions) (record.MACAddress, error) {
	return createOne(ctx, c, macAddressesPath, in, w, macAddressFrom)
}

// UpdateMACAddress assigns MAC object u.ID to u.InterfaceID.
func (c *Client) UpdateMACAddress(ctx context.Context, u MACAddressUpdate, w WriteOptions) (record.MACAddress, error) {
	return patchOne(ctx, c, macAddressesPath, u.ID, u, w, macAddressFrom)
}

// IPAddressesPage reads one page of the IP addresses q selects,
// q.Addresses in the one request.
func (c *Client) IPAddressesPage(ctx context.Context, q IPAddressQuery, p PageRequest) (Page[record.IPAddress], error) {
	v := q.values()
	if addrs := distinct(q.Addresses); len(addrs) > 0 {
		v["address"] = addrs
	}
	return listPage(ctx, c, ipAddressesPath, v, p, ipAddressFrom)
}

// GetIPAddress reads one IP address.
func (c *Client) GetIPAddress(ctx context.Context, id int64) (record.IPAddress, error) {
	return getOne(ctx, c, ipAddressesPath, id, ipAddressFrom)
}

// CreateIPAddress creates one IP address, on in.InterfaceID unless 0.
func (c *Client) CreateIPAddress(ctx context.Context, in IPAddressCreate, w WriteOptions) (record.IPAddress, error) {
	return createOne(ctx, c, ipAddressesPath, in, w, ipAddressFrom)
}

// UpdateIPAddress PATCHes IP address u.ID: a new address, a move to
// u.InterfaceID, or u.Unassign. NetBox refuses to unassign or move its
// device's primary IP.
func (c *Client) UpdateIPAddress(ctx context.Context, u IPAddressUpdate, w WriteOptions) (record.IPAddress, error) {
	return patchOne(ctx, c, ipAddressesPath, u.ID, u, w, ipAddressFrom)
}

// ClusterQuery selects clusters for ClustersPage.
type ClusterQuery struct {
	// Name matches exactly, ignoring case.
	Name    string
	GroupID int64
	TypeID  int64
}

// ClustersPage reads one page of the clusters q selects.
func (c *Client) ClustersPage(ctx context.Context, q ClusterQuery, p PageRequest) (Page[record.Cluster], error) {
	v := url.Values{}
	setString(v, "name__ie", q.Name)
	setID(v, "group_id", q.GroupID)
	setID(v, "type_id", q.TypeID)
	return listPage(ctx, c, clustersPath, v, p, clusterFrom)
}

// GetCluster reads one cluster.
func (c *Client) GetCluster(ctx context.Context, id int64) (record.Cluster, error) {
	return getOne(ctx, c, clustersPath, id, clusterFrom)
}

// CreateCluster creates one cluster.
func (c *Client) CreateCluster(ctx context.Context, in ClusterCreate, w WriteOptions) (record.Cluster, error) {
	return createOne(ctx, c, clustersPath, in, w, clusterFrom)
}

// ClusterTypesPage reads one page of the cluster types q selects.
func (c *Client) ClusterTypesPage(ctx context.Context, q NameQuery, p PageRequest) (Page[record.ClusterType], error) {
	return listPage(ctx, c, clusterTypesPath, q.values("name"), p, clusterTypeFrom)
}

// VirtualMachineQuery selects VMs for VirtualMachinesPage.
type VirtualMachineQuery struct {
	ClusterID int64
	// Name matches exactly, ignoring case, as NetBox does.
	Name string
}

// VirtualMachinesPage reads one page of the VMs q selects.
func (c *Client) VirtualMachinesPage(ctx context.Context, q VirtualMachineQuery, p PageRequest) (Page[record.VirtualMachine], error) {
	v := url.Values{"exclude": {"config_context"}}
	setID(v, "cluster_id", q.ClusterID)
	setString(v, "name", q.Name)
	return listPage(ctx, c, virtualMachinesPath, v, p, virtualMachineFrom)
}

// GetVirtualMachine reads one VM.
func (c *Client) GetVirtualMachine(ctx context.Context, id int64) (record.VirtualMachine, error) {
	return getOne(ctx, c, virtualMachinesPath, id, virtualMachineFrom)
}

// CreateVirtualMachine creates one VM.
func (c *Client) CreateVirtualMachine(ctx context.Context, in VirtualMachineCreate, w WriteOptions) (record.VirtualMachine, error) {
	return createOne(ctx, c, virtualMachinesPath, in, w, virtualMachineFrom)
}

// UpdateVirtualMachine PATCHes the non-nil fields of u on VM u.ID.
func (c *Client) UpdateVirtualMachine(ctx context.Context, u VirtualMachineUpdate, w WriteOptions) (record.VirtualMachine, error) {
	return patchOne(ctx, c, virtualMachinesPath, u.ID, u, w, virtualMachineFrom)
}

// DeviceRolesPage reads one page of the device roles q selects.
func (c *Client) DeviceRolesPage(ctx context.Context, q NameQuery, p PageRequest) (Page[record.DeviceRole], error) {
	return listPage(ctx, c, deviceRolesPath, q.values("name"), p, deviceRoleFrom)
}

// PlatformsPage reads one page of the platforms q selects.
func (c *Client) PlatformsPage(ctx context.Context, q NameQuery, p PageRequest) (Page[record.Platform], error) {
	return listPage(ctx, c, platformsPath, q.values("name"), p, platformFrom)
}

const (
	sitesPath       = "/api/dcim/sites/"
	deviceTypesPath = "/api/dcim/device-types/"
)

// Site is a dcim.Site.
type Site struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Status string `json:"status"`
}

type wireSite struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	Slug   string     `json:"slug"`
	Status wireChoice `json:"status"`
}

// SitesPage reads one page of the sites q selects.
func (c *Client) SitesPage(ctx context.Context, q NameQuery, p PageRequest) (Page[Site], error) {
	return listPage(ctx, c, sitesPath, q.values("name"), p, func(w *wireSite) Site {
		return Site{ID: w.ID, Name: w.Name, Slug: w.Slug, Status: string(w.Status)}
	})
}

// DeviceType is a dcim.DeviceType; Model is its name.
type DeviceType struct {
	ID           int64      `json:"id"`
	Model        string     `json:"model"`
	Slug         string     `json:"slug"`
	Manufacturer record.Ref `json:"manufacturer"`
}

type wireDeviceType struct {
	ID           int64    `json:"id"`
	Model        string   `json:"model"`
	Slug         string   `json:"slug"`
	Manufacturer *wireRef `json:"manufacturer"`
}

// DeviceTypesPage reads one page of the device types q selects; q.Name
// matches the model.
func (c *Client) DeviceTypesPage(ctx context.Context, q NameQuery, p PageRequest) (Page[DeviceType], error) {
	return listPage(ctx, c, deviceTypesPath, q.values("model"), p, func(w *wireDeviceType) DeviceType {
		out := DeviceType{ID: w.ID, Model: w.Model, Slug: w.Slug}
		if m := w.Manufacturer.ref(); m != nil {
			out.Manufacturer = *m
		}
		return out
	})
}
