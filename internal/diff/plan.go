// Package diff compares what NetBox records about a host with what the host
// is, and produces a Plan. It is pure: no I/O, no clock, no randomness. The
// caller stamps the plan's ID and time.
package diff

import (
	"fmt"
	"time"
)

// Action says what applying a change does to NetBox.
type Action string

// Actions, as the seed's report names them.
const (
	ActionCreate   Action = "CREATE"
	ActionUpdate   Action = "UPDATE"
	ActionRefresh  Action = "REFRESH"  // full mode: rewrite an unchanged value
	ActionOffline  Action = "OFFLINE"  // mark offline, never delete
	ActionUnassign Action = "UNASSIGN" // detach, never delete
)

// reasonRefresh is the reason of every ActionRefresh.
const reasonRefresh = "full sync: refresh unchanged value"

// Section groups changes the way the seed's report does.
type Section string

// Report sections.
const (
	SectionDevice     Section = "device"
	SectionInterfaces Section = "interfaces"
	SectionIPs        Section = "ip_addresses"
	SectionContainers Section = "containers"
)

// Object types, in NetBox's app_label.model form.
const (
	ObjectDevice       = "dcim.device"
	ObjectPlatform     = "dcim.platform"
	ObjectInterface    = "dcim.interface"
	ObjectMACAddress   = "dcim.macaddress"
	ObjectIPAddress    = "ipam.ipaddress"
	ObjectDeviceRole   = "dcim.devicerole"
	ObjectClusterType  = "virtualization.clustertype"
	ObjectClusterGroup = "virtualization.clustergroup"
	ObjectCluster      = "virtualization.cluster"
	ObjectVM           = "virtualization.virtualmachine"
)

// OfflineDescription is what a removed interface's description becomes: the
// seed's "mark offline", never a delete.
const OfflineDescription = "Marked offline by cmdb-sync"

// Change is one planned write. It is data, not a closure: it carries the
// before and after values and the reason, so a person or a model can judge it
// and the apply step can execute it.
type Change struct {
	Section    Section `json:"section"`
	ObjectType string  `json:"object_type"`
	// ObjectID is the NetBox id of the object written; 0 for a create.
	ObjectID int64 `json:"object_id,omitempty"`
	// Object is the display name of the object ("web01", "Ubuntu 24.04 LTS").
	Object string `json:"object"`
	Field  string `json:"field,omitempty"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	Action Action `json:"action"`
	Reason string `json:"reason"`

	// Key names the object a CREATE makes, so that later changes can point
	// at it before it has an id ("platform:ubuntu-24-04-lts").
	Key string `json:"key,omitempty"`
	// Slug is the slug of an object a CREATE makes.
	Slug string `json:"slug,omitempty"`
	// NewID is the id of the object a foreign-key field points to when that
	// object exists already; NewKey the Key of the CREATE that makes it.
	NewID  int64  `json:"new_id,omitempty"`
	NewKey string `json:"new_key,omitempty"`
	// ObjectKey names the object an UPDATE writes when an earlier CREATE of
	// the same plan makes it (ObjectID is then 0).
	ObjectKey string `json:"object_key,omitempty"`
	// ParentID (or ParentKey, when an earlier change creates it) is what a
	// created or re-pointed object hangs on: the interface of an IP or MAC
	// address, the cluster of a VM, the group of a cluster.
	ParentID  int64  `json:"parent_id,omitempty"`
	ParentKey string `json:"parent_key,omitempty"`
	// Attrs are the fields of the object a CREATE makes.
	Attrs *Attrs `json:"attrs,omitempty"`
	// Supporting marks a step that exists for another change (the MAC object
	// behind an interface's new MAC): applied, journaled, but not a row of
	// its own in the report nor counted in its summary.
	Supporting bool `json:"supporting,omitempty"`
	// Blocked says why NetBox would refuse the change as it stands (a
	// name longer than NetBox allows, a required custom field without a
	// value, a platform bound to another manufacturer), or that it depends
	// on such a change. Apply skips it with this reason and sends nothing
	// for it; the report lists it apart.
	Blocked string `json:"blocked,omitempty"`
	// CustomFields are custom field values the write carries: those NetBox
	// requires that the object lacks, and on a create every value
	// configured for its type.
	CustomFields map[string]any `json:"custom_fields,omitempty"`
}

// Attrs are the fields of an object a CREATE makes. Only the ones that
// apply to the object's type are set.
type Attrs struct {
	Type        string  `json:"type,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
	MTU         int     `json:"mtu,omitempty"`
	MAC         string  `json:"mac,omitempty"`
	Address     string  `json:"address,omitempty"`
	Status      string  `json:"status,omitempty"`
	VCPUs       float64 `json:"vcpus,omitempty"`
	MemoryMB    int64   `json:"memory_mb,omitempty"`
	Description string  `json:"description,omitempty"`
	// Comments hold a VM's whole image when the description has it
	// shortened to NetBox's 200 characters.
	Comments string `json:"comments,omitempty"`
	Image    string `json:"image,omitempty"`
	// Role is the display name of a VM's role; RoleID or RoleKey point at it.
	Role    string `json:"role,omitempty"`
	RoleID  int64  `json:"role_id,omitempty"`
	RoleKey string `json:"role_key,omitempty"`
	// TypeID or TypeKey point at a cluster's type.
	TypeID  int64  `json:"type_id,omitempty"`
	TypeKey string `json:"type_key,omitempty"`
	VMRole  bool   `json:"vm_role,omitempty"`
}

// DeviceRef identifies the device a plan is for.
type DeviceRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Plan is the result of a comparison: what would change, and the NetBox
// state it was computed from (Fingerprint), so that applying it after that
// state moved can be refused.
type Plan struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Hostname  string    `json:"hostname"`
	// DeviceFound is false when NetBox has no device of this name; such a
	// plan has no changes and cannot be applied.
	DeviceFound bool `json:"device_found"`
	// Similar, for a device not found, are devices whose name is the
	// host's with or without its domain: perhaps this host.
	Similar []string  `json:"similar_devices,omitempty"`
	Device  DeviceRef `json:"device"`
	Full    bool      `json:"full"`
	Changes []Change  `json:"changes"`
	// Notes explain what was not compared and why.
	Notes []string `json:"notes,omitempty"`
	// JournalCustomFields are the values the journal entry carries for the
	// custom fields NetBox requires on journal entries; JournalBlocked,
	// when set, says why no journal entry can be written.
	JournalCustomFields map[string]any `json:"journal_custom_fields,omitempty"`
	JournalBlocked      string         `json:"journal_blocked,omitempty"`
	Fingerprint         string         `json:"fingerprint"`
}

// note adds a note to the plan.
func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// Summary counts a plan's changes the way the seed's report does. Blocked
// changes are counted apart, not as updates, creates or removals.
type Summary struct {
	Updates  int `json:"updates"`
	Creates  int `json:"creates"`
	Removals int `json:"removals_offline"`
	Blocked  int `json:"blocked,omitempty"`
}

// Summary counts the plan's changes.
func (p Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		if c.Supporting {
			continue
		}
		if c.Blocked != "" {
			s.Blocked++
			continue
		}
		switch c.Action {
		case ActionCreate:
			s.Creates++
		case ActionUpdate, ActionRefresh:
			s.Updates++
		case ActionOffline, ActionUnassign:
			s.Removals++
		}
	}
	return s
}

// Applicable counts the changes apply will send: those not blocked.
func (p Plan) Applicable() int {
	n := 0
	for _, c := range p.Changes {
		if c.Blocked == "" {
			n++
		}
	}
	return n
}

// InSync reports whether the plan has nothing to change, not counting
// refreshes of unchanged values that full mode adds. A blocked change is
// drift too: NetBox still differs from the host.
func (p Plan) InSync() bool {
	for _, c := range p.Changes {
		if c.Action != ActionRefresh {
			return false
		}
	}
	return true
}
