package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const macAddressesPath = "/api/dcim/mac-addresses/"

// MACAddressQuery selects MAC objects, for ListMACAddresses (every page)
// and MACAddressesPage (one). NetBox ANDs the fields; the zero query
// selects every MAC object.
type MACAddressQuery struct {
	// DeviceID selects the MACs assigned to interfaces of the device.
	DeviceID    int64
	InterfaceID int64
	// MACs selects the MACs with any of these values, in any case or
	// separator style. Empty values are dropped; none: any value.
	MACs []string
}

// values is the query without the MACs.
func (q MACAddressQuery) values() url.Values {
	v := url.Values{}
	setID(v, "device_id", q.DeviceID)
	setID(v, "interface_id", q.InterfaceID)
	return v
}

// canonical is q.MACs as NetBox writes them, each once.
func (q MACAddressQuery) canonical() []string {
	macs := make([]string, 0, len(q.MACs))
	for _, m := range q.MACs {
		if strings.TrimSpace(m) != "" {
			macs = append(macs, CanonicalMAC(m))
		}
	}
	return distinct(macs)
}

// ListMACAddresses reads the MAC objects q selects: one request per 100
// values of q.MACs (and per 1000 objects), NetBox ORing the values.
func (c *Client) ListMACAddresses(ctx context.Context, q MACAddressQuery) ([]record.MACAddress, error) {
	if macs := q.canonical(); len(macs) > 0 {
		return listJSONAnyOf(ctx, c, macAddressesPath, q.values(), "mac_address", macs, macAddressFrom)
	}
	return listJSON(ctx, c, macAddressesPath, q.values(), macAddressFrom)
}

// CanonicalMAC writes a MAC the way NetBox returns it (upper case, colons),
// so that the filter matches whatever NetBox compares with. What does not
// parse as a MAC is sent as it is; NetBox then matches nothing.
func CanonicalMAC(s string) string {
	s = strings.TrimSpace(s)
	if hw, err := net.ParseMAC(s); err == nil {
		s = hw.String()
	}
	return strings.ToUpper(s)
}

// CreateMACAddresses creates the MAC objects in one bulk request, each
// assigned to its InterfaceID (none when 0), and returns them as saved, in
// the order of in. NetBox creates all or none. An empty in makes no
// request; above 1000 see bulkWrite.
func (c *Client) CreateMACAddresses(ctx context.Context, in []MACAddressCreate, w WriteOptions) ([]record.MACAddress, error) {
	return bulkCreate(ctx, c, macAddressesPath, in, w, macAddressFrom)
}

// UpdateMACAddresses assigns the MAC objects to their InterfaceID in one
// bulk request and returns them as saved, in the order of in. NetBox
// refuses to move a MAC that is its interface's primary.
func (c *Client) UpdateMACAddresses(ctx context.Context, in []MACAddressUpdate, w WriteOptions) ([]record.MACAddress, error) {
	return bulkUpdate(ctx, c, macAddressesPath, in, w, func(u MACAddressUpdate) int64 { return u.ID }, macAddressFrom, func(m record.MACAddress) int64 { return m.ID })
}

// MarshalJSON writes mac_address with the interface as
// assigned_object_type/assigned_object_id, which is how NetBox takes a
// generic foreign key; an InterfaceID of 0 leaves the MAC unassigned.
func (m MACAddressCreate) MarshalJSON() ([]byte, error) {
	type fields MACAddressCreate
	return json.Marshal(struct {
		fields
		assignment
	}{fields(m), assignToInterface(m.InterfaceID)})
}

// MarshalJSON writes the bulk-update object: id and the interface as
// assigned_object_type/assigned_object_id, or both null (Unassign). The
// assignment is all an update sets, so neither is an error rather than an
// empty change.
func (m MACAddressUpdate) MarshalJSON() ([]byte, error) {
	a := assignToInterface(m.InterfaceID)
	switch {
	case m.Unassign && m.InterfaceID != 0:
		return nil, fmt.Errorf("MAC address %d: both Unassign and InterfaceID %d are set: pick one", m.ID, m.InterfaceID)
	case m.Unassign:
		a = unassigned()
	case m.InterfaceID == 0:
		return nil, fmt.Errorf("MAC address %d: no InterfaceID: an update assigns the MAC to an interface, or unassigns it", m.ID)
	}
	type fields MACAddressUpdate
	return json.Marshal(struct {
		fields
		assignment
	}{fields(m), a})
}

type wireMACAddress struct {
	ID                 int64            `json:"id"`
	MAC                string           `json:"mac_address"`
	AssignedObjectType *string          `json:"assigned_object_type"`
	AssignedObjectID   *int64           `json:"assigned_object_id"`
	AssignedObject     *wireAssigned    `json:"assigned_object"`
	CustomFields       wireCustomFields `json:"custom_fields"`
}

func macAddressFrom(w *wireMACAddress) record.MACAddress {
	out := record.MACAddress{ID: w.ID, MAC: w.MAC, CustomFields: w.CustomFields.values()}
	switch {
	case deref(w.AssignedObjectType) == interfaceObjectType && w.AssignedObjectID != nil:
		out.InterfaceID = *w.AssignedObjectID
		if w.AssignedObject != nil {
			out.DeviceID = w.AssignedObject.Device.id()
		}
	case w.AssignedObjectType != nil && w.AssignedObjectID != nil:
		out.AssignedElsewhere = true
	}
	return out
}
