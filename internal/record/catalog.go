package record

// What registering a host chooses from: NetBox's sites, device roles,
// manufacturers and device types, and the devices that may already be
// this host.

// Site is a dcim.Site.
type Site struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Manufacturer is a dcim.Manufacturer.
type Manufacturer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// DeviceType is a dcim.DeviceType: a manufacturer's model.
type DeviceType struct {
	ID           int64  `json:"id"`
	Model        string `json:"model"`
	Slug         string `json:"slug"`
	PartNumber   string `json:"part_number,omitempty"`
	Manufacturer Ref    `json:"manufacturer"`
	// InterfaceTemplates counts the interfaces NetBox adds to every new
	// device of this type.
	InterfaceTemplates int `json:"interface_templates,omitempty"`
}

// Registry is what the lookup of a register read from NetBox: the
// lookup of a sync (Snapshot: the device by name, platforms, the MAC
// objects and IPs with the host's values, roles, the cluster type), the
// devices that carry the host's serial, and the catalog to choose from.
type Registry struct {
	Snapshot Snapshot `json:"snapshot"`
	// BySerial are the devices whose serial is the host's, any case.
	BySerial      []Device       `json:"by_serial,omitempty"`
	Sites         []Site         `json:"sites"`
	Manufacturers []Manufacturer `json:"manufacturers"`
	DeviceTypes   []DeviceType   `json:"device_types"`
}
