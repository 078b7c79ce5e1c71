package tools

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The dcim tools: devices, interfaces, MAC addresses, and what a device
// is registered with (sites, roles, device types, platforms). Their names
// and parameters are the seed workflow's.

// Ref is another NetBox object, by id and name.
type Ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func ref(r *record.Ref) *Ref {
	if r == nil {
		return nil
	}
	return &Ref{ID: r.ID, Name: r.Name}
}

// Device is a NetBox device as the tools return it: the fields a sync
// reads or writes, other objects by id and name, and its web page.
type Device struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Serial     string `json:"serial,omitempty"`
	Platform   *Ref   `json:"platform,omitempty"`
	Site       Ref    `json:"site"`
	Role       Ref    `json:"role"`
	DeviceType Ref    `json:"device_type"`
	PrimaryIP4 *Ref   `json:"primary_ip4,omitempty"`
	PrimaryIP6 *Ref   `json:"primary_ip6,omitempty"`
	URL        string `json:"url"`
}

func device(nb *netbox.Client, d record.Device) Device {
	return Device{
		ID:         d.ID,
		Name:       d.Name,
		Status:     d.Status,
		Serial:     d.Serial,
		Platform:   ref(d.Platform),
		Site:       Ref{ID: d.Site.ID, Name: d.Site.Name},
		Role:       Ref{ID: d.Role.ID, Name: d.Role.Name},
		DeviceType: Ref{ID: d.DeviceType.ID, Name: d.DeviceType.Name},
		PrimaryIP4: ref(d.PrimaryIP4),
		PrimaryIP6: ref(d.PrimaryIP6),
		URL:        nb.WebURL("dcim/devices", d.ID),
	}
}

// ListDevicesInput is the input of dcim_list_devices.
type ListDevicesInput struct {
	Name string `json:"name,omitempty" jsonschema:"Exact, ignoring case (the host name)"`
	Site string `json:"site,omitempty" jsonschema:"Site name or slug"`
	Paging
}

// ListDevicesOutput is the output of dcim_list_devices.
type ListDevicesOutput struct {
	Devices []Device `json:"devices"`
	ListInfo
}

func listDevices(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_devices",
		mcp.WithDescription("Find NetBox devices by name, e.g. this host's record before a sync, optionally at one site."),
		inputSchema[ListDevicesInput](),
		netboxOutput[ListDevicesOutput](),
		hints(readHints, "List devices"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListDevicesInput) (ListDevicesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListDevicesOutput{}, err
		}
		name, site := strings.TrimSpace(in.Name), strings.TrimSpace(in.Site)
		q := netbox.DeviceQuery{Name: name}
		if site != "" {
			id, err := siteID(ctx, nb, site)
			if err != nil {
				return ListDevicesOutput{}, err
			}
			q.SiteID = id
		}
		got, err := nb.DevicesPage(ctx, q, page)
		if err != nil {
			return ListDevicesOutput{}, fmt.Errorf("list devices: %w", err)
		}
		out := ListDevicesOutput{Devices: make([]Device, 0, len(got.Items))}
		for _, d := range got.Items {
			out.Devices = append(out.Devices, device(nb, d))
		}
		empty := "No devices."
		switch {
		case name != "" && site != "":
			empty = fmt.Sprintf("No device named %q at site %q: call again without site to search every site.", clip(name, maxEcho), clip(site, maxEcho))
		case name != "":
			empty = fmt.Sprintf("No device named %q in NetBox: if this is the host to sync, register it first (cmdb_register).", clip(name, maxEcho))
		}
		out.ListInfo = listInfo(page, len(out.Devices), got.Count, "name or site", empty)
		return out, nil
	})}
}

// siteID finds a site by slug or, failing that, by name, ignoring case.
func siteID(ctx context.Context, nb *netbox.Client, site string) (int64, error) {
	for _, q := range []netbox.NameQuery{{Slug: site}, {Name: site}} {
		got, err := nb.SitesPage(ctx, q, netbox.PageRequest{Limit: 1})
		if err != nil {
			return 0, fmt.Errorf("look up site %q: %w", site, err)
		}
		if len(got.Items) > 0 {
			return got.Items[0].ID, nil
		}
	}
	return 0, userErrorf("No site has the name or slug %q: dcim_list_sites lists them; or call again without site.", site)
}

// GetInput names one object by id.
type GetInput struct {
	ID int64 `json:"id"`
}

func getDevice(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_get_device",
		mcp.WithDescription("Read one NetBox device by id: status, serial, platform, site, role, type, primary IPs."),
		inputSchema[GetInput](),
		netboxOutput[Device](),
		hints(readHints, "Get a device"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in GetInput) (Device, error) {
		if err := requireID("id", in.ID, "dcim_list_devices name=<hostname>"); err != nil {
			return Device{}, err
		}
		d, err := nb.GetDevice(ctx, in.ID)
		if err != nil {
			return Device{}, notFound(err, "No device with id %d in NetBox: find it with dcim_list_devices name=<hostname>.", in.ID)
		}
		return device(nb, d), nil
	})}
}

// UpdateDeviceInput is the input of dcim_update_device. An absent field is
// left alone; null clears a foreign key.
type UpdateDeviceInput struct {
	ID         int64           `json:"id"`
	Status     string          `json:"status,omitempty" enum:"active|offline|planned|staged|failed|inventory|decommissioning"`
	Platform   Nullable[int64] `json:"platform,omitzero" jsonschema:"Platform id (dcim_list_platforms); null or 0 clears"`
	Serial     *string         `json:"serial,omitempty"`
	PrimaryIP4 Nullable[int64] `json:"primary_ip4,omitzero" jsonschema:"Id of an IPv4 on this device's interfaces; null or 0 clears"`
	PrimaryIP6 Nullable[int64] `json:"primary_ip6,omitzero" jsonschema:"Id of an IPv6 on this device's interfaces; null or 0 clears"`
}

// foreignKey turns a Nullable id into DeviceUpdate's form: nil leaves the
// field alone, a pointer to 0 clears it.
func foreignKey(n Nullable[int64]) *int64 {
	switch {
	case !n.Set:
		return nil
	case n.Null:
		zero := int64(0)
		return &zero
	default:
		v := n.Value
		return &v
	}
}

func updateDevice(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_update_device",
		mcp.WithDescription("Update a NetBox device: status, platform, serial, primary_ip4/6. Absent fields stay as they are."),
		inputSchema[UpdateDeviceInput](),
		netboxOutput[Device](),
		hints(updateHints, "Update a device"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in UpdateDeviceInput) (Device, error) {
		if err := requireID("id", in.ID, "dcim_list_devices name=<hostname>"); err != nil {
			return Device{}, err
		}
		u := netbox.DeviceUpdate{
			Platform:   foreignKey(in.Platform),
			Serial:     in.Serial,
			PrimaryIP4: foreignKey(in.PrimaryIP4),
			PrimaryIP6: foreignKey(in.PrimaryIP6),
		}
		if in.Status != "" {
			u.Status = &in.Status
		}
		for _, fk := range []*int64{u.Platform, u.PrimaryIP4, u.PrimaryIP6} {
			if fk != nil && *fk < 0 {
				return Device{}, userErrorf("Ids are positive: pass the id NetBox returned, or null to clear the field.")
			}
		}
		if u == (netbox.DeviceUpdate{}) {
			return Device{}, userErrorf("Nothing to update: pass at least one of status, platform, serial, primary_ip4, primary_ip6.")
		}
		d, err := nb.UpdateDevice(ctx, in.ID, u, toolWrites)
		if err != nil {
			return Device{}, notFound(err, "No device with id %d in NetBox: find it with dcim_list_devices name=<hostname>.", in.ID)
		}
		return device(nb, d), nil
	})}
}

// Interface is a NetBox interface as the tools return it.
type Interface struct {
	ID          int64  `json:"id"`
	DeviceID    int64  `json:"device_id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Enabled     bool   `json:"enabled"`
	MTU         int    `json:"mtu,omitempty"`
	MACAddress  string `json:"mac_address,omitempty" jsonschema:"Primary MAC"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
}

func iface(nb *netbox.Client, i record.Interface) Interface {
	out := Interface{
		ID: i.ID, DeviceID: i.DeviceID, Name: i.Name, Type: i.Type, Enabled: i.Enabled, MTU: i.MTU,
		Description: i.Description, URL: nb.WebURL("dcim/interfaces", i.ID),
	}
	if i.PrimaryMAC != nil {
		out.MACAddress = i.PrimaryMAC.Name
	}
	return out
}

// ListInterfacesInput is the input of dcim_list_interfaces.
type ListInterfacesInput struct {
	DeviceID int64  `json:"device_id,omitempty"`
	Name     string `json:"name,omitempty" jsonschema:"Exact, case-sensitive"`
	Paging
}

// ListInterfacesOutput is the output of dcim_list_interfaces.
type ListInterfacesOutput struct {
	Interfaces []Interface `json:"interfaces"`
	ListInfo
}

func listInterfaces(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_interfaces",
		mcp.WithDescription("List a device's interfaces (device_id) with type, enabled, primary MAC."),
		inputSchema[ListInterfacesInput](),
		netboxOutput[ListInterfacesOutput](),
		hints(readHints, "List interfaces"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListInterfacesInput) (ListInterfacesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListInterfacesOutput{}, err
		}
		got, err := nb.InterfacesPage(ctx, netbox.InterfaceQuery{DeviceID: in.DeviceID, Name: in.Name}, page)
		if err != nil {
			return ListInterfacesOutput{}, invalidFilter(err, "device_id", "dcim_list_devices")
		}
		out := ListInterfacesOutput{Interfaces: make([]Interface, 0, len(got.Items))}
		for _, i := range got.Items {
			out.Interfaces = append(out.Interfaces, iface(nb, i))
		}
		out.ListInfo = listInfo(page, len(out.Interfaces), got.Count, "device_id or name", "No interfaces match.")
		return out, nil
	})}
}

// invalidFilter explains NetBox's 400 for a filter id that names no object
// ("Select a valid choice. 99 is not one of the available choices.").
func invalidFilter(err error, param, lookup string) error {
	if netbox.IsKind(err, netbox.KindValidation) {
		return userErrorf("NetBox has no object with that %s: find the id with %s.", param, lookup)
	}
	return err
}

// CreateInterfaceInput is the input of dcim_create_interface.
type CreateInterfaceInput struct {
	Device      int64  `json:"device" jsonschema:"Device id"`
	Name        string `json:"name"`
	Type        string `json:"type" jsonschema:"e.g. 1000base-t, virtual, bridge, lag, other"`
	Enabled     *bool  `json:"enabled,omitempty"`
	MTU         int    `json:"mtu,omitempty"`
	Description string `json:"description,omitempty"`
	MACAddress  string `json:"mac_address,omitempty" jsonschema:"Made the primary MAC"`
}

func createInterface(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_create_interface",
		mcp.WithDescription("Create an interface on a device; with mac_address, also its primary MAC object."),
		inputSchema[CreateInterfaceInput](),
		netboxOutput[Interface](),
		hints(createHints, "Create an interface"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateInterfaceInput) (Interface, error) {
		if err := requireID("device", in.Device, "dcim_list_devices name=<hostname>"); err != nil {
			return Interface{}, err
		}
		mac, err := parseMAC(in.MACAddress)
		if err != nil {
			return Interface{}, err
		}
		created, err := nb.CreateInterface(ctx, netbox.InterfaceCreate{
			Device: in.Device, Name: in.Name, Type: in.Type, Enabled: in.Enabled, MTU: in.MTU, Description: in.Description,
		}, toolWrites)
		if err != nil {
			return Interface{}, err
		}
		if mac != "" {
			if created, err = setPrimaryMAC(ctx, nb, created, mac); err != nil {
				return Interface{}, fmt.Errorf("interface %d was created, its MAC was not: %w", created.ID, err)
			}
		}
		return iface(nb, created), nil
	})}
}

// UpdateInterfaceInput is the input of dcim_update_interface.
type UpdateInterfaceInput struct {
	ID          int64   `json:"id"`
	Enabled     *bool   `json:"enabled,omitempty"`
	Description *string `json:"description,omitempty"`
	Type        string  `json:"type,omitempty"`
	MACAddress  string  `json:"mac_address,omitempty" jsonschema:"New primary MAC (a MAC object on the interface)"`
}

func updateInterface(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_update_interface",
		mcp.WithDescription("Update an interface: enabled, description, type, mac_address. Mark a removed one offline with enabled=false. A new mac_address becomes a MAC object on the interface and its primary MAC (NetBox 4.2+)."),
		inputSchema[UpdateInterfaceInput](),
		netboxOutput[Interface](),
		hints(updateHints, "Update an interface"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in UpdateInterfaceInput) (Interface, error) {
		if err := requireID("id", in.ID, "dcim_list_interfaces device_id=<device id>"); err != nil {
			return Interface{}, err
		}
		mac, err := parseMAC(in.MACAddress)
		if err != nil {
			return Interface{}, err
		}
		u := netbox.InterfaceUpdate{ID: in.ID, Enabled: in.Enabled, Description: in.Description}
		if in.Type != "" {
			u.Type = &in.Type
		}
		if u == (netbox.InterfaceUpdate{ID: in.ID}) && mac == "" {
			return Interface{}, userErrorf("Nothing to update: pass at least one of enabled, description, type, mac_address.")
		}
		var got record.Interface
		if u != (netbox.InterfaceUpdate{ID: in.ID}) {
			got, err = nb.UpdateInterface(ctx, u, toolWrites)
		} else {
			got, err = nb.GetInterface(ctx, in.ID)
		}
		if err != nil {
			return Interface{}, notFound(err, "No interface with id %d in NetBox: list the device's interfaces with dcim_list_interfaces device_id=<device id>.", in.ID)
		}
		if mac != "" {
			if got, err = setPrimaryMAC(ctx, nb, got, mac); err != nil {
				return Interface{}, err
			}
		}
		return iface(nb, got), nil
	})}
}

// parseMAC checks a MAC and writes it as NetBox does (upper case, colons).
func parseMAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", userErrorf("%q is not a MAC address: pass six hex bytes such as aa:bb:cc:11:22:33.", s)
	}
	return strings.ToUpper(hw.String()), nil
}

// setPrimaryMAC makes mac the interface's primary MAC, the way NetBox 4.2+
// models it: a MAC object assigned to the interface (one already there, or
// an unassigned one, is reused; otherwise one is created), then
// primary_mac_address pointing at it. The old primary MAC object stays on
// the interface: a sync never deletes.
func setPrimaryMAC(ctx context.Context, nb *netbox.Client, i record.Interface, mac string) (record.Interface, error) {
	if i.PrimaryMAC != nil && strings.EqualFold(i.PrimaryMAC.Name, mac) {
		return i, nil
	}
	found, err := nb.MACAddressesPage(ctx, netbox.MACAddressQuery{MACs: []string{mac}}, netbox.PageRequest{Limit: maxLimit})
	if err != nil {
		return i, fmt.Errorf("look up MAC %s: %w", mac, err)
	}
	var obj *record.MACAddress
	for k := range found.Items {
		m := &found.Items[k]
		if m.InterfaceID == i.ID {
			obj = m
			break
		}
	}
	if obj == nil {
		for k := range found.Items {
			m := &found.Items[k]
			if m.Free() {
				moved, err := nb.UpdateMACAddress(ctx, netbox.MACAddressUpdate{ID: m.ID, InterfaceID: i.ID}, toolWrites)
				if err != nil {
					return i, fmt.Errorf("assign MAC object %d to interface %d: %w", m.ID, i.ID, err)
				}
				obj = &moved
				break
			}
		}
	}
	if obj == nil {
		created, err := nb.CreateMACAddress(ctx, netbox.MACAddressCreate{MAC: mac, InterfaceID: i.ID}, toolWrites)
		if err != nil {
			return i, fmt.Errorf("create MAC object %s on interface %d: %w", mac, i.ID, err)
		}
		obj = &created
	}
	id := obj.ID
	updated, err := nb.UpdateInterface(ctx, netbox.InterfaceUpdate{ID: i.ID, PrimaryMAC: &id}, toolWrites)
	if err != nil {
		return i, fmt.Errorf("make MAC object %d the primary MAC of interface %d: %w", id, i.ID, err)
	}
	return updated, nil
}

// MACAddress is a NetBox MAC object as the tools return it.
type MACAddress struct {
	ID          int64  `json:"id"`
	MACAddress  string `json:"mac_address"`
	InterfaceID int64  `json:"interface_id,omitempty"`
	DeviceID    int64  `json:"device_id,omitempty"`
	URL         string `json:"url"`
}

func macAddress(nb *netbox.Client, m record.MACAddress) MACAddress {
	return MACAddress{ID: m.ID, MACAddress: m.MAC, InterfaceID: m.InterfaceID, DeviceID: m.DeviceID, URL: nb.WebURL("dcim/mac-addresses", m.ID)}
}

// ListMACAddressesInput is the input of dcim_list_mac_addresses.
type ListMACAddressesInput struct {
	DeviceID    int64  `json:"device_id,omitempty"`
	InterfaceID int64  `json:"interface_id,omitempty"`
	MACAddress  string `json:"mac_address,omitempty"`
	Paging
}

// ListMACAddressesOutput is the output of dcim_list_mac_addresses.
type ListMACAddressesOutput struct {
	MACAddresses []MACAddress `json:"mac_addresses"`
	ListInfo
}

func listMACAddresses(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_mac_addresses",
		mcp.WithDescription("List MAC objects by device, interface or value, with the interface each is on."),
		inputSchema[ListMACAddressesInput](),
		netboxOutput[ListMACAddressesOutput](),
		hints(readHints, "List MAC addresses"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListMACAddressesInput) (ListMACAddressesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListMACAddressesOutput{}, err
		}
		got, err := nb.MACAddressesPage(ctx, netbox.MACAddressQuery{DeviceID: in.DeviceID, InterfaceID: in.InterfaceID, MACs: []string{in.MACAddress}}, page)
		if err != nil {
			return ListMACAddressesOutput{}, invalidFilter(err, "device_id or interface_id", "dcim_list_devices or dcim_list_interfaces")
		}
		out := ListMACAddressesOutput{MACAddresses: make([]MACAddress, 0, len(got.Items))}
		for _, m := range got.Items {
			out.MACAddresses = append(out.MACAddresses, macAddress(nb, m))
		}
		out.ListInfo = listInfo(page, len(out.MACAddresses), got.Count, "device_id, interface_id or mac_address", "No MAC objects match.")
		return out, nil
	})}
}

// CreateMACAddressInput is the input of dcim_create_mac_address.
type CreateMACAddressInput struct {
	MACAddress         string `json:"mac_address"`
	AssignedObjectType string `json:"assigned_object_type,omitempty" enum:"dcim.interface"`
	AssignedObjectID   int64  `json:"assigned_object_id,omitempty" jsonschema:"Interface id"`
}

func createMACAddress(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_create_mac_address",
		mcp.WithDescription("Create a MAC object, optionally on an interface. To make it the primary MAC use dcim_update_interface mac_address=."),
		inputSchema[CreateMACAddressInput](),
		netboxOutput[MACAddress](),
		hints(createHints, "Create a MAC address"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateMACAddressInput) (MACAddress, error) {
		mac, err := parseMAC(in.MACAddress)
		if err != nil {
			return MACAddress{}, err
		}
		if mac == "" {
			return MACAddress{}, userErrorf("mac_address is required.")
		}
		ifaceID, err := interfaceAssignment(in.AssignedObjectType, in.AssignedObjectID)
		if err != nil {
			return MACAddress{}, err
		}
		m, err := nb.CreateMACAddress(ctx, netbox.MACAddressCreate{MAC: mac, InterfaceID: ifaceID}, toolWrites)
		if err != nil {
			return MACAddress{}, err
		}
		return macAddress(nb, m), nil
	})}
}

// interfaceAssignment checks a generic assignment, which the tools accept
// for device interfaces only (what a host's sync touches).
func interfaceAssignment(objectType string, id int64) (int64, error) {
	switch {
	case objectType == "" && id == 0:
		return 0, nil
	case objectType != "" && objectType != "dcim.interface":
		return 0, userErrorf("assigned_object_type %q is not supported: only dcim.interface (a device interface) is.", objectType)
	case id <= 0:
		return 0, userErrorf("assigned_object_id is required with assigned_object_type: pass the interface id from dcim_list_interfaces.")
	}
	return id, nil
}

// Slugged is a NetBox object known by name and slug: site, role, platform,
// cluster type.
type Slugged struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	URL  string `json:"url"`
}

// NameFilter is the input of the catalog lists.
type NameFilter struct {
	Name string `json:"name,omitempty" jsonschema:"Exact, ignoring case"`
	Paging
}

// ListSitesOutput is the output of dcim_list_sites.
type ListSitesOutput struct {
	Sites []Slugged `json:"sites"`
	ListInfo
}

func listSites(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_sites",
		mcp.WithDescription("List NetBox sites (to register a device)."),
		inputSchema[NameFilter](),
		netboxOutput[ListSitesOutput](),
		hints(readHints, "List sites"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in NameFilter) (ListSitesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListSitesOutput{}, err
		}
		got, err := nb.SitesPage(ctx, netbox.NameQuery{Name: in.Name}, page)
		if err != nil {
			return ListSitesOutput{}, err
		}
		out := ListSitesOutput{Sites: make([]Slugged, 0, len(got.Items))}
		for _, s := range got.Items {
			out.Sites = append(out.Sites, Slugged{ID: s.ID, Name: s.Name, Slug: s.Slug, URL: nb.WebURL("dcim/sites", s.ID)})
		}
		out.ListInfo = listInfo(page, len(out.Sites), got.Count, "name", "No sites match.")
		return out, nil
	})}
}

// Role is a device role; VMRole says VMs may have it.
type Role struct {
	Slugged
	VMRole bool `json:"vm_role"`
}

// ListDeviceRolesOutput is the output of dcim_list_device_roles.
type ListDeviceRolesOutput struct {
	Roles []Role `json:"roles"`
	ListInfo
}

func listDeviceRoles(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_device_roles",
		mcp.WithDescription("List device roles; vm_role ones also apply to VMs."),
		inputSchema[NameFilter](),
		netboxOutput[ListDeviceRolesOutput](),
		hints(readHints, "List device roles"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in NameFilter) (ListDeviceRolesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListDeviceRolesOutput{}, err
		}
		got, err := nb.DeviceRolesPage(ctx, netbox.NameQuery{Name: in.Name}, page)
		if err != nil {
			return ListDeviceRolesOutput{}, err
		}
		out := ListDeviceRolesOutput{Roles: make([]Role, 0, len(got.Items))}
		for _, r := range got.Items {
			out.Roles = append(out.Roles, Role{Slugged: Slugged{ID: r.ID, Name: r.Name, Slug: r.Slug, URL: nb.WebURL("dcim/device-roles", r.ID)}, VMRole: r.VMRole})
		}
		out.ListInfo = listInfo(page, len(out.Roles), got.Count, "name", "No device roles match.")
		return out, nil
	})}
}

// DeviceType is a device type: a manufacturer's model.
type DeviceType struct {
	ID           int64  `json:"id"`
	Model        string `json:"model"`
	Slug         string `json:"slug"`
	Manufacturer string `json:"manufacturer"`
	URL          string `json:"url"`
}

// ListDeviceTypesInput is the input of dcim_list_device_types.
type ListDeviceTypesInput struct {
	Model string `json:"model,omitempty" jsonschema:"Exact, ignoring case"`
	Paging
}

// ListDeviceTypesOutput is the output of dcim_list_device_types.
type ListDeviceTypesOutput struct {
	DeviceTypes []DeviceType `json:"device_types"`
	ListInfo
}

func listDeviceTypes(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_device_types",
		mcp.WithDescription("List device types (model and manufacturer)."),
		inputSchema[ListDeviceTypesInput](),
		netboxOutput[ListDeviceTypesOutput](),
		hints(readHints, "List device types"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListDeviceTypesInput) (ListDeviceTypesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListDeviceTypesOutput{}, err
		}
		got, err := nb.DeviceTypesPage(ctx, netbox.NameQuery{Name: in.Model}, page)
		if err != nil {
			return ListDeviceTypesOutput{}, err
		}
		out := ListDeviceTypesOutput{DeviceTypes: make([]DeviceType, 0, len(got.Items))}
		for _, t := range got.Items {
			out.DeviceTypes = append(out.DeviceTypes, DeviceType{ID: t.ID, Model: t.Model, Slug: t.Slug, Manufacturer: t.Manufacturer.Name, URL: nb.WebURL("dcim/device-types", t.ID)})
		}
		out.ListInfo = listInfo(page, len(out.DeviceTypes), got.Count, "model", "No device types match.")
		return out, nil
	})}
}

// ListPlatformsOutput is the output of dcim_list_platforms.
type ListPlatformsOutput struct {
	Platforms []Slugged `json:"platforms"`
	ListInfo
}

func listPlatforms(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_list_platforms",
		mcp.WithDescription("List platforms (operating systems), e.g. to find the id for dcim_update_device platform=."),
		inputSchema[NameFilter](),
		netboxOutput[ListPlatformsOutput](),
		hints(readHints, "List platforms"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in NameFilter) (ListPlatformsOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListPlatformsOutput{}, err
		}
		got, err := nb.PlatformsPage(ctx, netbox.NameQuery{Name: in.Name}, page)
		if err != nil {
			return ListPlatformsOutput{}, err
		}
		out := ListPlatformsOutput{Platforms: make([]Slugged, 0, len(got.Items))}
		for _, p := range got.Items {
			out.Platforms = append(out.Platforms, platform(nb, p))
		}
		empty := "No platforms."
		if in.Name != "" {
			empty = fmt.Sprintf("No platform named %q: create it with dcim_create_platform name=%q.", clip(in.Name, maxEcho), clip(in.Name, maxEcho))
		}
		out.ListInfo = listInfo(page, len(out.Platforms), got.Count, "name", empty)
		return out, nil
	})}
}

func platform(nb *netbox.Client, p record.Platform) Slugged {
	return Slugged{ID: p.ID, Name: p.Name, Slug: p.Slug, URL: nb.WebURL("dcim/platforms", p.ID)}
}

// CreateSluggedInput creates an object known by name and slug.
type CreateSluggedInput struct {
	Name string `json:"name"`
	Slug string `json:"slug,omitempty" jsonschema:"Default: derived from name"`
}

// slug returns the input's slug, or one derived from the name.
func (in CreateSluggedInput) slug() (name, slug string, err error) {
	name = strings.TrimSpace(in.Name)
	if name == "" {
		return "", "", userErrorf("name is required.")
	}
	slug = strings.TrimSpace(in.Slug)
	if slug == "" {
		slug = diff.Slugify(name)
	}
	return name, slug, nil
}

func createPlatform(nb *netbox.Client) Tool {
	def := mcp.NewTool("dcim_create_platform",
		mcp.WithDescription("Create a platform (an OS such as \"Ubuntu 24.04 LTS\")."),
		inputSchema[CreateSluggedInput](),
		netboxOutput[Slugged](),
		hints(createHints, "Create a platform"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateSluggedInput) (Slugged, error) {
		name, slug, err := in.slug()
		if err != nil {
			return Slugged{}, err
		}
		p, err := nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: name, Slug: slug}, toolWrites)
		if err != nil {
			return Slugged{}, err
		}
		return platform(nb, p), nil
	})}
}
