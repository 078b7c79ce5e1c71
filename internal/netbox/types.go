package netbox

// This file holds the client's request types: filters, queries and the bodies
// of device, platform and journal writes. What NetBox holds, as the client
// returns it, is in package record.

// PlatformCreate is the body of a platform creation.
type PlatformCreate struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
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
	// CustomFields: see the note on write bodies (writes.go).
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// JournalEntry is an extras.JournalEntry.
type JournalEntry struct {
	ID                 int64  `json:"id,omitempty"`
	AssignedObjectType string `json:"assigned_object_type"` // "dcim.device"
	AssignedObjectID   int64  `json:"assigned_object_id"`
	Kind               string `json:"kind,omitempty"` // info, success, warning, danger
	Comments           string `json:"comments"`
	// CustomFields: see the note on write bodies (writes.go).
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// Status is what /api/status/ reports.
type Status struct {
	NetBoxVersion string `json:"netbox-version"`
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
	// CustomFields asks for the custom fields even when no object read
	// carries one (values for them are configured).
	CustomFields bool
}
