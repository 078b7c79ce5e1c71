package tools

import (
	"context"
	"net/netip"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// IPAddress is a NetBox IP address as the tools return it.
type IPAddress struct {
	ID                 int64  `json:"id"`
	Address            string `json:"address"`
	Status             string `json:"status"`
	AssignedObjectType string `json:"assigned_object_type,omitempty"`
	AssignedObjectID   int64  `json:"assigned_object_id,omitempty"`
	DeviceID           int64  `json:"device_id,omitempty"`
	Description        string `json:"description,omitempty"`
	URL                string `json:"url"`
}

func ipAddress(nb *netbox.Client, ip record.IPAddress) IPAddress {
	return IPAddress{
		ID: ip.ID, Address: ip.Address, Status: ip.Status,
		AssignedObjectType: ip.AssignedObjectType, AssignedObjectID: ip.AssignedObjectID, DeviceID: ip.DeviceID,
		Description: ip.Description, URL: nb.WebURL("ipam/ip-addresses", ip.ID),
	}
}

// ListIPAddressesInput is the input of ipam_list_ip_addresses.
type ListIPAddressesInput struct {
	DeviceID    int64  `json:"device_id,omitempty" jsonschema:"IPs on any of the device's interfaces"`
	InterfaceID int64  `json:"interface_id,omitempty"`
	Address     string `json:"address,omitempty" jsonschema:"With mask: exact; without: any mask"`
	Paging
}

// ListIPAddressesOutput is the output of ipam_list_ip_addresses.
type ListIPAddressesOutput struct {
	IPAddresses []IPAddress `json:"ip_addresses"`
	ListInfo
}

func listIPAddresses(nb *netbox.Client) Tool {
	def := mcp.NewTool("ipam_list_ip_addresses",
		mcp.WithDescription("List IP addresses by device, interface or address, with what each is assigned to."),
		inputSchema[ListIPAddressesInput](),
		netboxOutput[ListIPAddressesOutput](),
		hints(readHints, "List IP addresses"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListIPAddressesInput) (ListIPAddressesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListIPAddressesOutput{}, err
		}
		got, err := nb.IPAddressesPage(ctx, netbox.IPAddressQuery{DeviceID: in.DeviceID, InterfaceID: in.InterfaceID, Addresses: []string{strings.TrimSpace(in.Address)}}, page)
		if err != nil {
			return ListIPAddressesOutput{}, invalidFilter(err, "interface_id (or address)", "dcim_list_interfaces")
		}
		out := ListIPAddressesOutput{IPAddresses: make([]IPAddress, 0, len(got.Items))}
		for _, ip := range got.Items {
			out.IPAddresses = append(out.IPAddresses, ipAddress(nb, ip))
		}
		out.ListInfo = listInfo(page, len(out.IPAddresses), got.Count, "device_id, interface_id or address", "No IP addresses match.")
		return out, nil
	})}
}

// CreateIPAddressInput is the input of ipam_create_ip_address.
type CreateIPAddressInput struct {
	Address            string `json:"address" jsonschema:"With mask, e.g. 192.0.2.10/24"`
	Status             string `json:"status,omitempty" enum:"active|reserved|deprecated|dhcp|slaac"`
	Description        string `json:"description,omitempty"`
	AssignedObjectType string `json:"assigned_object_type,omitempty" enum:"dcim.interface"`
	AssignedObjectID   int64  `json:"assigned_object_id,omitempty" jsonschema:"Interface id"`
}

func createIPAddress(nb *netbox.Client) Tool {
	def := mcp.NewTool("ipam_create_ip_address",
		mcp.WithDescription("Create an IP address, optionally on an interface (assigned_object_type=dcim.interface)."),
		inputSchema[CreateIPAddressInput](),
		netboxOutput[IPAddress](),
		hints(createHints, "Create an IP address"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateIPAddressInput) (IPAddress, error) {
		addr, err := parsePrefix(in.Address)
		if err != nil {
			return IPAddress{}, err
		}
		ifaceID, err := interfaceAssignment(in.AssignedObjectType, in.AssignedObjectID)
		if err != nil {
			return IPAddress{}, err
		}
		ip, err := nb.CreateIPAddress(ctx, netbox.IPAddressCreate{Address: addr, Status: in.Status, Description: in.Description, InterfaceID: ifaceID}, toolWrites)
		if err != nil {
			return IPAddress{}, duplicateIP(err, addr)
		}
		return ipAddress(nb, ip), nil
	})}
}

func parsePrefix(s string) (string, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return "", userErrorf("%q is not an address with a mask: pass it as 192.0.2.10/24 or 2001:db8::10/64.", s)
	}
	return p.String(), nil
}

// duplicateIP points at the existing IP when NetBox refuses a duplicate
// (ENFORCE_GLOBAL_UNIQUE compares the host part, not the mask).
func duplicateIP(err error, addr string) error {
	var e *netbox.Error
	if netbox.IsKind(err, netbox.KindValidation) && asNetBoxError(err, &e) && strings.Contains(strings.ToLower(e.Message), "duplicate") {
		host, _, _ := strings.Cut(addr, "/")
		return userErrorf("NetBox already has %s (%s): find it with ipam_list_ip_addresses address=%s and assign that one with ipam_update_ip_address.", host, strings.TrimRight(e.Message, "."), host)
	}
	return err
}

// UpdateIPAddressInput is the input of ipam_update_ip_address.
type UpdateIPAddressInput struct {
	ID                 int64            `json:"id"`
	Address            string           `json:"address,omitempty" jsonschema:"New mask or address"`
	AssignedObjectType Nullable[string] `json:"assigned_object_type,omitzero" jsonschema:"dcim.interface; null (or \"\") with assigned_object_id null (or 0) unassigns"`
	AssignedObjectID   Nullable[int64]  `json:"assigned_object_id,omitzero" jsonschema:"Interface id; null (or 0) to unassign"`
}

func updateIPAddress(nb *netbox.Client) Tool {
	def := mcp.NewTool("ipam_update_ip_address",
		mcp.WithDescription("Update an IP address: its address/mask, or move it to another interface; assigned_object_type=null assigned_object_id=null unassigns it (never deletes). A device's primary IP must first be replaced with dcim_update_device primary_ip4/6."),
		inputSchema[UpdateIPAddressInput](),
		netboxOutput[IPAddress](),
		hints(updateHints, "Update an IP address"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in UpdateIPAddressInput) (IPAddress, error) {
		if err := requireID("id", in.ID, "ipam_list_ip_addresses device_id=<device id>"); err != nil {
			return IPAddress{}, err
		}
		u := netbox.IPAddressUpdate{ID: in.ID}
		if in.Address != "" {
			addr, err := parsePrefix(in.Address)
			if err != nil {
				return IPAddress{}, err
			}
			u.Address = &addr
		}
		// The seed unassigns with nulls; "" and 0 say the same for clients
		// whose schema dialect has no null (the published schema has one
		// type per field).
		typ, id := in.AssignedObjectType, in.AssignedObjectID
		typNull := typ.Set && (typ.Null || typ.Value == "")
		idNull := id.Set && (id.Null || id.Value == 0)
		switch {
		case !typ.Set && !id.Set:
		case typNull || idNull:
			if (typ.Set && !typNull) || (id.Set && !idNull) {
				return IPAddress{}, userErrorf("To unassign, pass both assigned_object_type and assigned_object_id as null; to move, pass both as values.")
			}
			u.Unassign = true
		default:
			ifaceID, err := interfaceAssignment(typ.Value, id.Value)
			if err != nil {
				return IPAddress{}, err
			}
			u.InterfaceID = ifaceID
		}
		if u.Address == nil && !u.Unassign && u.InterfaceID == 0 {
			return IPAddress{}, userErrorf("Nothing to update: pass address, or assigned_object_type and assigned_object_id (null to unassign).")
		}
		ip, err := nb.UpdateIPAddress(ctx, u, toolWrites)
		if err != nil {
			if isPrimaryGuard(err) {
				return IPAddress{}, primaryAdvice(ctx, nb, in.ID)
			}
			return IPAddress{}, notFound(err, "No IP address with id %d in NetBox: find it with ipam_list_ip_addresses device_id=<device id>.", in.ID)
		}
		return ipAddress(nb, ip), nil
	})}
}

// primaryAdvice is the answer to NetBox's refusal to unassign or move an
// IP that is its device's primary IP (another interface of the same device
// is allowed). NetBox enforces that rule, so the tool does not check it
// before the update; only once NetBox has refused does it read the IP and
// its device, to name the device and the field to change first. When
// those reads fail the advice is the same without the names.
func primaryAdvice(ctx context.Context, nb *netbox.Client, ipID int64) error {
	generic := userErrorf("IP address %d is its device's primary IP, which NetBox will not unassign or move: first point the device elsewhere with dcim_update_device id=<device id> primary_ip4=<another IP id> (or null), then call this again.", ipID)
	ip, err := nb.GetIPAddress(ctx, ipID)
	if err != nil || ip.DeviceID == 0 {
		return generic
	}
	d, err := nb.GetDevice(ctx, ip.DeviceID)
	if err != nil {
		return generic
	}
	field := ""
	switch {
	case d.PrimaryIP4 != nil && d.PrimaryIP4.ID == ipID:
		field = "primary_ip4"
	case d.PrimaryIP6 != nil && d.PrimaryIP6.ID == ipID:
		field = "primary_ip6"
	default:
		return generic
	}
	return userErrorf("%s (id %d) is the %s of device %s (id %d), and NetBox refuses to unassign or move a primary IP: first call dcim_update_device id=%d %s=<the new primary IP's id> (or null), then call this again.",
		untrusted.Text(ip.Address), ipID, field, untrusted.Text(d.Name), d.ID, d.ID, field)
}

// isPrimaryGuard recognises NetBox's refusal to move a primary IP.
func isPrimaryGuard(err error) bool {
	var e *netbox.Error
	return asNetBoxError(err, &e) && e.Kind == netbox.KindValidation && strings.Contains(e.Message, "primary IP")
}
