package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const ipAddressesPath = "/api/ipam/ip-addresses/"

// IPAddressQuery selects IP addresses, for ListIPAddresses (every page)
// and IPAddressesPage (one). NetBox ANDs the fields; the zero query
// selects every IP address.
type IPAddressQuery struct {
	// DeviceID selects the IPs assigned to interfaces of the device.
	DeviceID    int64
	InterfaceID int64
	// Addresses selects the IPs with any of these addresses. NetBox
	// matches a value without a mask (192.0.2.10) whatever the IP's mask,
	// and a value with a mask (192.0.2.10/24) exactly. Empty values are
	// dropped; none: any address.
	Addresses []string
}

// values is the query without the addresses.
func (q IPAddressQuery) values() url.Values {
	v := url.Values{}
	setID(v, "device_id", q.DeviceID)
	setID(v, "interface_id", q.InterfaceID)
	return v
}

// ListIPAddresses reads the IP addresses q selects: one request per 100
// values of q.Addresses (and per 1000 objects), NetBox ORing the values.
func (c *Client) ListIPAddresses(ctx context.Context, q IPAddressQuery) ([]record.IPAddress, error) {
	if addrs := distinct(q.Addresses); len(addrs) > 0 {
		return listJSONAnyOf(ctx, c, ipAddressesPath, q.values(), "address", addrs, ipAddressFrom)
	}
	return listJSON(ctx, c, ipAddressesPath, q.values(), ipAddressFrom)
}

// hostPart returns the address without mask or zone, the form in which
// NetBox's address filter ignores the mask, as its duplicate check does.
// What does not parse is returned trimmed; NetBox then matches nothing.
func hostPart(s string) string {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().WithZone("").String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").String()
	}
	return s
}

// CreateIPAddresses creates the IPs in one bulk request, each assigned to
// its InterfaceID (none when 0), and returns them as saved, in the order
// of in. NetBox creates all or none. An empty in makes no request; above
// 1000 see bulkWrite.
func (c *Client) CreateIPAddresses(ctx context.Context, in []IPAddressCreate, w WriteOptions) ([]record.IPAddress, error) {
	return bulkCreate(ctx, c, ipAddressesPath, in, w, ipAddressFrom)
}

// UpdateIPAddresses PATCHes the IPs in one bulk request (a new address, a
// move to InterfaceID, or Unassign) and returns them as saved, in the
// order of in. NetBox refuses to unassign or move an IP that is its
// device's primary_ip4/6 ("Cannot reassign IP address while it is
// designated as the primary IP for the parent object", a KindValidation
// *Error): change the device's primary first.
func (c *Client) UpdateIPAddresses(ctx context.Context, in []IPAddressUpdate, w WriteOptions) ([]record.IPAddress, error) {
	return bulkUpdate(ctx, c, ipAddressesPath, in, w, func(u IPAddressUpdate) int64 { return u.ID }, ipAddressFrom, func(ip record.IPAddress) int64 { return ip.ID })
}

// MarshalJSON writes address, status, description and the interface as
// assigned_object_type/assigned_object_id; an InterfaceID of 0 leaves the
// IP unassigned.
func (ip IPAddressCreate) MarshalJSON() ([]byte, error) {
	type fields IPAddressCreate
	return json.Marshal(struct {
		fields
		assignment
	}{fields(ip), assignToInterface(ip.InterfaceID)})
}

// MarshalJSON writes the bulk-update object: id, the address when set,
// and assigned_object_type/assigned_object_id as the interface (InterfaceID)
// or as JSON null (Unassign), or not at all.
func (u IPAddressUpdate) MarshalJSON() ([]byte, error) {
	a := assignToInterface(u.InterfaceID)
	if u.Unassign {
		if u.InterfaceID != 0 {
			return nil, fmt.Errorf("IP address %d: both Unassign and InterfaceID %d are set: pick one", u.ID, u.InterfaceID)
		}
		a = unassigned()
	}
	type fields IPAddressUpdate
	return json.Marshal(struct {
		fields
		assignment
	}{fields(u), a})
}

type wireIPAddress struct {
	ID                 int64            `json:"id"`
	Address            string           `json:"address"`
	Status             wireChoice       `json:"status"`
	AssignedObjectType *string          `json:"assigned_object_type"`
	AssignedObjectID   *int64           `json:"assigned_object_id"`
	AssignedObject     *wireAssigned    `json:"assigned_object"`
	Description        string           `json:"description"`
	CustomFields       wireCustomFields `json:"custom_fields"`
}

func ipAddressFrom(w *wireIPAddress) record.IPAddress {
	out := record.IPAddress{
		ID:                 w.ID,
		Address:            w.Address,
		Status:             string(w.Status),
		AssignedObjectType: deref(w.AssignedObjectType),
		AssignedObjectID:   deref(w.AssignedObjectID),
		Description:        w.Description,
		CustomFields:       w.CustomFields.values(),
	}
	if out.AssignedObjectType == interfaceObjectType && w.AssignedObject != nil {
		out.DeviceID = w.AssignedObject.Device.id()
	}
	return out
}
