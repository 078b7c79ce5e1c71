// Package record holds cmdb-mcp's own picture of what NetBox records about a
// host: the device, its interfaces, MAC and IP addresses, and the clusters and
// virtual machines that model its Docker containers, as the lookup read them
// (Snapshot). It is the border between the NetBox client, which fills these
// types, and the differ and the report, which read them; it imports nothing
// of the project's, so the differ stays free of HTTP and of go-netbox, whose
// generated models decode strictly against NetBox 4.3 and change with every
// release.
package record

import (
	"encoding/json"
	"strconv"
	"time"
)

// Ref names another NetBox object. Name holds the display value (for an IP
// address, the address with its mask).
type Ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
}

// Device is the part of a dcim.Device record that sync reads or writes.
type Device struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"` // raw choice value: active, offline, planned, ...
	Serial      string `json:"serial"`
	Description string `json:"description"`
	Site        Ref    `json:"site"`
	Role        Ref    `json:"role"`
	DeviceType  Ref    `json:"device_type"`
	// Manufacturer is the device type's manufacturer: a device may use
	// only a platform of no manufacturer or of this one.
	Manufacturer *Ref `json:"manufacturer,omitempty"`
	Platform     *Ref `json:"platform,omitempty"`
	PrimaryIP4   *Ref `json:"primary_ip4,omitempty"`
	PrimaryIP6   *Ref `json:"primary_ip6,omitempty"`
	Cluster      *Ref `json:"cluster,omitempty"`
	// LastUpdated is NetBox's last_updated timestamp, used to detect stale plans.
	LastUpdated string `json:"last_updated,omitempty"`
	// CustomFields are the device's custom fields, by name: true for one
	// with a value.
	CustomFields CustomFieldValues `json:"custom_fields,omitempty"`
}

// Platform is a dcim.Platform (an operating system in NetBox's terms).
type Platform struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	// Manufacturer, when set, limits the platform to devices whose type
	// it makes.
	Manufacturer *Ref `json:"manufacturer,omitempty"`
}

// CustomFieldValues says which custom fields an object has a value for:
// NetBox renders every custom field of the object's type, null when it has
// none.
type CustomFieldValues map[string]bool

// CustomField is an extras.CustomField of one of the object types a sync
// writes.
type CustomField struct {
	Name string `json:"name"`
	// ObjectTypes are the object types it is on ("dcim.interface").
	ObjectTypes []string `json:"object_types"`
	Required    bool     `json:"required"`
	// HasDefault says NetBox fills it on create when a write leaves out
	// custom_fields altogether; Default is that value, as NetBox's JSON.
	HasDefault bool            `json:"has_default"`
	Default    json.RawMessage `json:"default,omitempty"`
}

// Unread names a part of NetBox the lookup was not allowed to read (403):
// the sync leaves that part out.
type Unread struct {
	// Part is what the sync leaves out: PartContainers, PartMACs,
	// PartPlatforms or PartCustomFields.
	Part string `json:"part"`
	// ObjectType is the object type whose view permission is missing.
	ObjectType string `json:"object_type"`
}

// Parts of a sync that a missing view permission leaves out.
const (
	PartContainers   = "containers"
	PartMACs         = "MAC addresses"
	PartPlatforms    = "platform"
	PartCustomFields = "custom fields"
)

// Snapshot is everything the lookup phase (seed Phase 1) read from NetBox
// for one host. It is the "existing" input of the differ.
type Snapshot struct {
	// ReadAt is when NetBox answered the device lookup, by NetBox's clock
	// (its Date header, to the second); zero when it sent none. Every other
	// read came after it: the change log from then on says what the
	// snapshot may have missed.
	ReadAt time.Time `json:"-"`
	// Found is false when no device has the host's name; Device is then zero.
	Found bool `json:"found"`
	// Similar, when no device has the host's name, are the names of
	// devices that are the host's name without its domain
	// ("web01.example.com" -> "web01") or with one ("web01" ->
	// "web01.example.com"), at most five.
	Similar   []string   `json:"similar,omitempty"`
	Device    Device     `json:"device"`
	Platforms []Platform `json:"platforms"`

	// Interfaces are the device's interfaces.
	Interfaces []Interface `json:"interfaces,omitempty"`
	// MACs are the MAC objects of the device's interfaces, plus any MAC
	// object anywhere whose value the host has (an unassigned one is reused
	// rather than duplicated).
	MACs []MACAddress `json:"macs,omitempty"`
	// IPs are the IPs of the device's interfaces, plus any IP anywhere whose
	// host part the host has (NetBox rejects duplicates, mask ignored).
	IPs []IPAddress `json:"ips,omitempty"`

	// Roles are the device roles (VM roles among them).
	Roles []DeviceRole `json:"roles,omitempty"`
	// ClusterType is the "Docker Compose" cluster type, nil when missing.
	ClusterType *ClusterType `json:"cluster_type,omitempty"`
	// ClusterGroup is this host's cluster group, nil when missing.
	ClusterGroup *ClusterGroup `json:"cluster_group,omitempty"`
	// Clusters are the clusters of this host's group; VMs their VMs.
	Clusters []Cluster        `json:"clusters,omitempty"`
	VMs      []VirtualMachine `json:"vms,omitempty"`

	// CustomFieldsRead says CustomFields were read: the lookup reads them
	// when an object it read carries custom fields, or when values for
	// them are configured. CustomFields are then every custom field of
	// the object types a sync writes.
	CustomFieldsRead bool          `json:"custom_fields_read,omitempty"`
	CustomFields     []CustomField `json:"custom_fields,omitempty"`
	// Unread are the parts the token's user may not view.
	Unread []Unread `json:"unread,omitempty"`
	// PlatformSlugPerManufacturer says NetBox keeps platform names and
	// slugs unique per manufacturer (4.4+), not across all platforms.
	PlatformSlugPerManufacturer bool `json:"platform_slug_per_manufacturer,omitempty"`
}

// IsUnread reports whether the lookup left part out.
func (s Snapshot) IsUnread(part string) (Unread, bool) {
	for _, u := range s.Unread {
		if u.Part == part {
			return u, true
		}
	}
	return Unread{}, false
}

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
	// CustomFields are its custom fields, by name: true for one with a
	// value.
	CustomFields CustomFieldValues `json:"custom_fields,omitempty"`
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
	// AssignedElsewhere is true when it is assigned to an object that is
	// not a dcim.interface (a VM interface): InterfaceID is 0, and the MAC
	// is not free all the same.
	AssignedElsewhere bool `json:"assigned_elsewhere,omitempty"`
	// CustomFields are its custom fields, by name: true for one with a
	// value (known only for MACs read on their own, not nested in an
	// interface).
	CustomFields CustomFieldValues `json:"custom_fields,omitempty"`
}

// Free reports whether the MAC object is assigned to nothing, so that a
// sync may take it.
func (m MACAddress) Free() bool { return m.InterfaceID == 0 && !m.AssignedElsewhere }

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
	// CustomFields are its custom fields, by name: true for one with a
	// value.
	CustomFields CustomFieldValues `json:"custom_fields,omitempty"`
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
	// Description holds the container's image, shortened to NetBox's 200
	// characters when longer; Comments then the whole image.
	Description string `json:"description"`
	Comments    string `json:"comments,omitempty"`
	// CustomFields are its custom fields, by name: true for one with a
	// value.
	CustomFields CustomFieldValues `json:"custom_fields,omitempty"`
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
