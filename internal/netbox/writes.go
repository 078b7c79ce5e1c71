package netbox

// Write bodies. A nil pointer leaves the field alone, so a sync never
// writes a field it does not own. Bulk updates carry the object's id.
//
// CustomFields are custom field values by name (custom_fields), the ones
// NetBox requires that a write must carry. A pointer, so that the bodies
// stay comparable; nil sends none, and NetBox keeps the object's values.

// InterfaceCreate creates a dcim.Interface.
type InterfaceCreate struct {
	Device       int64           `json:"device"`
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	Enabled      *bool           `json:"enabled,omitempty"`
	MTU          int             `json:"mtu,omitempty"`
	Description  string          `json:"description,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// InterfaceUpdate patches a dcim.Interface.
type InterfaceUpdate struct {
	ID          int64   `json:"id"`
	Type        *string `json:"type,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
	Description *string `json:"description,omitempty"`
	// PrimaryMAC is primary_mac_address: the id of a MAC object already
	// assigned to this interface.
	PrimaryMAC   *int64          `json:"primary_mac_address,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// MACAddressCreate creates a dcim.MACAddress on an interface.
type MACAddressCreate struct {
	MAC          string          `json:"mac_address"`
	InterfaceID  int64           `json:"-"` // sent as assigned_object_type/id
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// MACAddressUpdate assigns a dcim.MACAddress to an interface.
type MACAddressUpdate struct {
	ID           int64           `json:"id"`
	InterfaceID  int64           `json:"-"` // sent as assigned_object_type/id
	Unassign     bool            `json:"-"` // sent as null assigned_object_type/id
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// IPAddressCreate creates an ipam.IPAddress on an interface.
type IPAddressCreate struct {
	Address      string          `json:"address"`
	Status       string          `json:"status,omitempty"`
	InterfaceID  int64           `json:"-"` // sent as assigned_object_type/id
	Description  string          `json:"description,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// IPAddressUpdate patches an ipam.IPAddress: a new mask, a move to another
// interface (InterfaceID), or Unassign, which sends
// assigned_object_type/assigned_object_id null (never a delete).
type IPAddressUpdate struct {
	ID           int64           `json:"id"`
	Address      *string         `json:"address,omitempty"`
	InterfaceID  int64           `json:"-"`
	Unassign     bool            `json:"-"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// DeviceRoleCreate creates a dcim.DeviceRole.
type DeviceRoleCreate struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	Color        string          `json:"color,omitempty"` // 6 hex digits
	VMRole       bool            `json:"vm_role"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// ClusterTypeCreate creates a virtualization.ClusterType.
type ClusterTypeCreate struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// ClusterGroupCreate creates a virtualization.ClusterGroup.
type ClusterGroupCreate struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	Description  string          `json:"description,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// ClusterCreate creates a virtualization.Cluster.
type ClusterCreate struct {
	Name         string          `json:"name"`
	Type         int64           `json:"type"`
	Group        int64           `json:"group,omitempty"`
	Status       string          `json:"status,omitempty"`
	Description  string          `json:"description,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// VirtualMachineCreate creates a virtualization.VirtualMachine.
type VirtualMachineCreate struct {
	Name         string          `json:"name"`
	Cluster      int64           `json:"cluster"`
	Status       string          `json:"status"`
	Role         int64           `json:"role,omitempty"`
	VCPUs        *float64        `json:"vcpus,omitempty"`
	MemoryMB     *int64          `json:"memory,omitempty"`
	Description  string          `json:"description,omitempty"`
	Comments     string          `json:"comments,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}

// VirtualMachineUpdate patches a virtualization.VirtualMachine.
type VirtualMachineUpdate struct {
	ID           int64           `json:"id"`
	Status       *string         `json:"status,omitempty"`
	Cluster      *int64          `json:"cluster,omitempty"`
	Role         *int64          `json:"role,omitempty"`
	VCPUs        *float64        `json:"vcpus,omitempty"`
	MemoryMB     *int64          `json:"memory,omitempty"`
	Description  *string         `json:"description,omitempty"`
	Comments     *string         `json:"comments,omitempty"`
	CustomFields *map[string]any `json:"custom_fields,omitempty"`
}
