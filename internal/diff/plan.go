// Package diff compares what NetBox records about a host with what the host
// is, and produces a Plan. It is pure: no I/O, no clock, no randomness. The
// caller stamps the plan's ID and time.
package diff

import "time"

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
	ObjectDevice   = "dcim.device"
	ObjectPlatform = "dcim.platform"
)

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
	DeviceFound bool      `json:"device_found"`
	Device      DeviceRef `json:"device"`
	Full        bool      `json:"full"`
	Changes     []Change  `json:"changes"`
	// Notes explain what was not compared and why.
	Notes       []string `json:"notes,omitempty"`
	Fingerprint string   `json:"fingerprint"`
}

// Summary counts a plan's changes the way the seed's report does.
type Summary struct {
	Updates  int `json:"updates"`
	Creates  int `json:"creates"`
	Removals int `json:"removals_offline"`
}

// Summary counts the plan's changes.
func (p Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
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

// InSync reports whether the plan has nothing to change, not counting
// refreshes of unchanged values that full mode adds.
func (p Plan) InSync() bool {
	for _, c := range p.Changes {
		if c.Action != ActionRefresh {
			return false
		}
	}
	return true
}
