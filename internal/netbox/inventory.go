package netbox

import "strconv"

// Domain types for what hangs off a device: interfaces, MAC addresses, IP
// addresses (dcim, ipam), and the clusters and virtual machines that model
// its Docker containers (virtualization).

// Interface is a dcim.Interface of a device.
type Interface struct {
	ID          int64  `json:"id"`
	DeviceID    int64  `json:"device_id"`
	Name        string `json:"name"`
	Type        string `json:"type"` // raw choice value: 1000base-t, virtual, ...
	Enabled     bool   `json:"enabled"`
	MTU         int    `json:"mtu,omitempty"` // 0: not set
	Description string `json:"description"`
	// PrimaryMAC is primary_mac_address; Name holds the MAC as NetBox
	// returns it (upper case, colons).
	PrimaryMAC *Ref `json:"primary_mac_address,omitempty"`
	// MACs are the MAC objects assigned to the interface (mac_addresses,
	// nested in NetBox's answer); Name holds the MAC.
	MACs []Ref `json:"mac_addresses,omitempty"`
}

// MACAddress is a dcim.MACAddress (an object of its own since NetBox 4.2).
type MACAddress struct {
	ID  int64  `json:"id"`
	MAC string `json:"mac_address"` // as NetBox returns it: upper case, colons
	// InterfaceID is the dcim.interface it is assigned to; 0 when it is
	// unassigned or assigned to something else (a VM interface).
	InterfaceID int64 `json:"interface_id,omitempty"`
	// DeviceID is the device of that interface; 0 when InterfaceID is 0.
	DeviceID int64 `json:"device_id,omitempty"`
}

// IPAddress is an ipam.IPAddress.
type IPAddress struct {
	ID      int64  `json:"id"`
	Address string `json:"address"` // with its mask: 192.0.2.10/24
	Status  string `json:"status"`
	// AssignedObjectType and AssignedObjectID are NetBox's generic
	// assignment; both empty/0 when the IP is unassigned.
	AssignedObjectType string `json:"assigned_object_type,omitempty"`
	AssignedObjectID   int64  `json:"assigned_object_id,omitempty"`
	// DeviceID is the device of the assigned dcim.interface, 0 otherwise.
	DeviceID    int64  `json:"device_id,omitempty"`
	Description string `json:"description"`
}

// InterfaceID returns the dcim.interface the IP is assigned to, or 0.
func (ip IPAddress) InterfaceID() int64 {
	if ip.AssignedObjectType == "dcim.interface" {
		return ip.AssignedObjectID
	}
	return 0
}

// DeviceRole is a dcim.DeviceRole; VMRole says it may be given to VMs.
type DeviceRole struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	VMRole bool   `json:"vm_role"`
}

// ClusterType is a virtualization.ClusterType ("Docker Compose").
type ClusterType struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// ClusterGroup is a virtualization.ClusterGroup. cmdb-mcp keeps one per
// host, so that clusters of two hosts never share a uniqueness scope.
type ClusterGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Cluster is a virtualization.Cluster.
type Cluster struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   Ref    `json:"type"`
	Group  *Ref   `json:"group,omitempty"`
	Status string `json:"status"`
}

// VirtualMachine is a virtualization.VirtualMachine; cmdb-mcp makes one per
// Docker container.
type VirtualMachine struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Status    string  `json:"status"` // active, offline, ...
	ClusterID int64   `json:"cluster_id"`
	DeviceID  int64   `json:"device_id,omitempty"`
	Role      *Ref    `json:"role,omitempty"`
	VCPUs     float64 `json:"vcpus,omitempty"`     // 0: not set
	MemoryMB  int64   `json:"memory_mb,omitempty"` // NetBox's memory field, in MB; 0: not set
	// Description holds the container's image.
	Description string `json:"description"`
}

// Write bodies. A nil pointer leaves the field alone, so a sync never
// writes a field it does not own. Bulk updates carry the object's id.

// InterfaceCreate creates a dcim.Interface.
type InterfaceCreate struct {
	Device      int64  `json:"device"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Enabled     *bool  `json:"enabled,omitempty"`
	MTU         int    `json:"mtu,omitempty"`
	Description string `json:"description,omitempty"`
}

// InterfaceUpdate patches a dcim.Interface.
type InterfaceUpdate struct {
	ID          int64   `json:"id"`
	Type        *string `json:"type,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
	Description *string `json:"description,omitempty"`
	// PrimaryMAC is primary_mac_address: the id of a MAC object already
	// assigned to this interface.
	PrimaryMAC *int64 `json:"primary_mac_address,omitempty"`
}

// MACAddressCreate creates a dcim.MACAddress on an interface.
type MACAddressCreate struct {
	MAC         string `json:"mac_address"`
	InterfaceID int64  `json:"-"` // sent as assigned_object_type/id
}

// MACAddressUpdate assigns a dcim.MACAddress to an interface.
type MACAddressUpdate struct {
	ID          int64 `json:"id"`
	InterfaceID int64 `json:"-"` // sent as assigned_object_type/id
}

// IPAddressCreate creates an ipam.IPAddress on an interface.
type IPAddressCreate struct {
	Address     string `json:"address"`
	Status      string `json:"status,omitempty"`
	InterfaceID int64  `json:"-"` // sent as assigned_object_type/id
	Description string `json:"description,omitempty"`
}

// IPAddressUpdate patches an ipam.IPAddress: a new mask, a move to another
// interface (InterfaceID), or Unassign, which sends
// assigned_object_type/assigned_object_id null (never a delete).
type IPAddressUpdate struct {
	ID          int64   `json:"id"`
	Address     *string `json:"address,omitempty"`
	InterfaceID int64   `json:"-"`
	Unassign    bool    `json:"-"`
}

// DeviceRoleCreate creates a dcim.DeviceRole.
type DeviceRoleCreate struct {
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Color  string `json:"color,omitempty"` // 6 hex digits
	VMRole bool   `json:"vm_role"`
}

// ClusterTypeCreate creates a virtualization.ClusterType.
type ClusterTypeCreate struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// ClusterGroupCreate creates a virtualization.ClusterGroup.
type ClusterGroupCreate struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description,omitempty"`
}

// ClusterCreate creates a virtualization.Cluster.
type ClusterCreate struct {
	Name        string `json:"name"`
	Type        int64  `json:"type"`
	Group       int64  `json:"group,omitempty"`
	Status      string `json:"status,omitempty"`
	Description string `json:"description,omitempty"`
}

// VirtualMachineCreate creates a virtualization.VirtualMachine.
type VirtualMachineCreate struct {
	Name        string   `json:"name"`
	Cluster     int64    `json:"cluster"`
	Status      string   `json:"status"`
	Role        int64    `json:"role,omitempty"`
	VCPUs       *float64 `json:"vcpus,omitempty"`
	MemoryMB    *int64   `json:"memory,omitempty"`
	Description string   `json:"description,omitempty"`
}

// VirtualMachineUpdate patches a virtualization.VirtualMachine.
type VirtualMachineUpdate struct {
	ID          int64    `json:"id"`
	Status      *string  `json:"status,omitempty"`
	Cluster     *int64   `json:"cluster,omitempty"`
	Role        *int64   `json:"role,omitempty"`
	VCPUs       *float64 `json:"vcpus,omitempty"`
	MemoryMB    *int64   `json:"memory,omitempty"`
	Description *string  `json:"description,omitempty"`
	Comments    *string  `json:"comments,omitempty"`
}

// How cmdb-mcp models a host's Docker containers in NetBox: one cluster
// group per host (slug from the device id, so it survives renames), one
// cluster of type "Docker Compose" per compose project inside it (and one
// for containers outside compose), one VM per container. Clusters get no
// site: NetBox makes cluster names unique per group and per site, and two
// hosts in one site may both run a project called "media".
const (
	ClusterTypeName        = "Docker Compose"
	ClusterTypeSlug        = "docker-compose"
	StandaloneClusterName  = "standalone containers"
	clusterGroupSlugPrefix = "cmdb-host-"
)

// HostClusterGroupSlug is the slug of the cluster group of the device.
func HostClusterGroupSlug(deviceID int64) string {
	return clusterGroupSlugPrefix + strconv.FormatInt(deviceID, 10)
}

// HostClusterGroupName is the name of the cluster group of the device;
// names of groups are unique in NetBox, so it carries the id too.
func HostClusterGroupName(deviceName string, deviceID int64) string {
	return deviceName + " containers (device " + strconv.FormatInt(deviceID, 10) + ")"
}
