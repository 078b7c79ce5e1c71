package netbox

import "time"

// This file holds the domain types at the package border. Callers never see
// go-netbox models: those decode strictly against NetBox 4.3 and change with
// every NetBox release, while these types only carry what cmdb-mcp uses.

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
	Platform    *Ref   `json:"platform,omitempty"`
	PrimaryIP4  *Ref   `json:"primary_ip4,omitempty"`
	PrimaryIP6  *Ref   `json:"primary_ip6,omitempty"`
	Cluster     *Ref   `json:"cluster,omitempty"`
	// LastUpdated is NetBox's last_updated timestamp, used to detect stale plans.
	LastUpdated string `json:"last_updated,omitempty"`
}

// Platform is a dcim.Platform (an operating system in NetBox's terms).
type Platform struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// PlatformCreate is the body of a platform creation.
type PlatformCreate struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// DeviceFilter selects devices for ListDevices.
type DeviceFilter struct {
	// Name matches exactly but case-insensitively, as NetBox does. Empty
	// selects every device.
	Name string
	// NamePrefix matches names that start with it, ignoring case
	// (name__isw).
	NamePrefix string
	// Limit caps how many devices are read; 0 reads every page.
	Limit int
}

// DeviceUpdate is a PATCH of a device. A nil field is left alone, so an
// update can never touch a field the sync does not own. For Platform,
// PrimaryIP4 and PrimaryIP6 a pointer to 0 clears the field (NetBox ids
// start at 1): a primary IP must be cleared before the IP can move.
type DeviceUpdate struct {
	Status     *string `json:"status,omitempty"`
	Platform   *int64  `json:"platform,omitempty"`
	Serial     *string `json:"serial,omitempty"`
	PrimaryIP4 *int64  `json:"primary_ip4,omitempty"`
	PrimaryIP6 *int64  `json:"primary_ip6,omitempty"`
}

// JournalEntry is an extras.JournalEntry.
type JournalEntry struct {
	ID                 int64  `json:"id,omitempty"`
	AssignedObjectType string `json:"assigned_object_type"` // "dcim.device"
	AssignedObjectID   int64  `json:"assigned_object_id"`
	Kind               string `json:"kind,omitempty"` // info, success, warning, danger
	Comments           string `json:"comments"`
}

// Status is what /api/status/ reports.
type Status struct {
	NetBoxVersion string `json:"netbox-version"`
}

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
}

// SnapshotQuery says what to look up for one host.
type SnapshotQuery struct {
	Hostname string
	// MACs are the MACs of the host's interfaces, by interface name, and
	// Addresses the host's addresses (host part, without mask). Those not
	// yet where the host has them (a MAC object on the device's interface
	// of that name, an IP on one of the device's interfaces) are looked up
	// across NetBox, to find objects to reuse and conflicts; the others
	// need no lookup, since the device's own objects are used first.
	MACs      map[string]string
	Addresses []string
	// Platform is the host's platform name. Platforms are read only when
	// the device's differs from it (to find one to reuse, or a free slug);
	// empty (unknown) reads none.
	Platform string
	// Containers asks for this host's cluster group (by slug, derived from
	// the device id), its clusters and their VMs, the cluster type, and the
	// roles when Roles names one the VMs do not carry.
	Containers bool
	// Roles are the roles the host's containers want.
	Roles []string
}
