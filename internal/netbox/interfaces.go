package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const interfacesPath = "/api/dcim/interfaces/"

// ListInterfaces reads every interface of the device, one request per 1000.
func (c *Client) ListInterfaces(ctx context.Context, deviceID int64) ([]record.Interface, error) {
	if deviceID <= 0 {
		// No device_id would list the interfaces of every device.
		return nil, fmt.Errorf("netbox: GET %s: device id %d: pass the id of the device whose interfaces to read", interfacesPath, deviceID)
	}
	q := url.Values{"device_id": {strconv.FormatInt(deviceID, 10)}}
	return listJSON(ctx, c, interfacesPath, q, interfaceFrom)
}

// CreateInterfaces creates the interfaces in one bulk request and returns
// them as NetBox saved them, in the order of in. NetBox creates all or
// none. An empty in makes no request; above 1000 see bulkWrite.
func (c *Client) CreateInterfaces(ctx context.Context, in []InterfaceCreate, w WriteOptions) ([]record.Interface, error) {
	return bulkCreate(ctx, c, interfacesPath, in, w, interfaceFrom)
}

// UpdateInterfaces PATCHes the interfaces in one bulk request, each with
// only its non-nil fields, and returns them as saved, in the order of in.
// A PrimaryMAC pointing to 0 clears primary_mac_address (sends null), which
// a MAC must be freed of before it can move to another interface.
func (c *Client) UpdateInterfaces(ctx context.Context, in []InterfaceUpdate, w WriteOptions) ([]record.Interface, error) {
	return bulkUpdate(ctx, c, interfacesPath, in, w, func(u InterfaceUpdate) int64 { return u.ID }, interfaceFrom, func(i record.Interface) int64 { return i.ID })
}

// MarshalJSON writes the bulk-update object: id and the non-nil fields,
// primary_mac_address null for a PrimaryMAC of 0.
func (u InterfaceUpdate) MarshalJSON() ([]byte, error) {
	type fields InterfaceUpdate
	return json.Marshal(struct {
		fields
		// Shadows fields.PrimaryMAC: the shallower field wins in encoding/json.
		PrimaryMAC *nullID `json:"primary_mac_address,omitempty"`
	}{fields(u), nullIDPtr(u.PrimaryMAC)})
}

type wireInterface struct {
	ID          int64      `json:"id"`
	Device      *wireRef   `json:"device"`
	Name        string     `json:"name"`
	Type        wireChoice `json:"type"`
	Enabled     bool       `json:"enabled"`
	MTU         *int       `json:"mtu"`
	Description string     `json:"description"`
	PrimaryMAC  *struct {
		ID  int64  `json:"id"`
		MAC string `json:"mac_address"`
	} `json:"primary_mac_address"`
	MACs []struct {
		ID  int64  `json:"id"`
		MAC string `json:"mac_address"`
	} `json:"mac_addresses"`
	CustomFields wireCustomFields `json:"custom_fields"`
}

func interfaceFrom(w *wireInterface) record.Interface {
	out := record.Interface{
		ID:          w.ID,
		DeviceID:    w.Device.id(),
		Name:        w.Name,
		Type:        string(w.Type),
		Enabled:     w.Enabled,
		MTU:         deref(w.MTU),
		Description: w.Description,

		CustomFields: w.CustomFields.values(),
	}
	if w.PrimaryMAC != nil {
		out.PrimaryMAC = &record.Ref{ID: w.PrimaryMAC.ID, Name: w.PrimaryMAC.MAC}
	}
	for _, m := range w.MACs {
		out.MACs = append(out.MACs, record.Ref{ID: m.ID, Name: m.MAC})
	}
	return out
}
