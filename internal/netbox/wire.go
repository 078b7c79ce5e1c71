package netbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Wire types: what the JSON path decodes NetBox's answers into before they
// become domain types. They name only the fields cmdb-mcp reads and are
// lenient about everything else, unlike go-netbox's models, so that NetBox
// releases that add fields, drop counts from nested objects (4.6) or add
// choices keep decoding.

// wireChoice is a choice field. NetBox renders it as {"value", "label"};
// a bare value is accepted too.
type wireChoice string

func (c *wireChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = ""
		return nil
	case len(b) > 0 && b[0] == '{':
		var v struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		b = v.Value
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = wireChoice(s)
		return nil
	}
	// Numeric choices (an IP's family) have no string form.
	*c = wireChoice(bytes.Trim(b, `"`))
	return nil
}

// wireNumber is a decimal NetBox renders as a JSON number (vcpus); a
// string ("2.00", what DRF sends when COERCE_DECIMAL_TO_STRING is on) is
// accepted too. null is 0.
type wireNumber float64

func (n *wireNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	s := string(bytes.Trim(b, `"`))
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*n = wireNumber(v)
	return nil
}

// wireRef is a nested object (device, cluster, role, ...): the keys a Ref
// needs, whichever the object has.
type wireRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func (r *wireRef) ref() *record.Ref {
	if r == nil {
		return nil
	}
	return &record.Ref{ID: r.ID, Name: r.Name, Slug: r.Slug}
}

func (r *wireRef) id() int64 {
	if r == nil {
		return 0
	}
	return r.ID
}

// wireAssigned is the nested assigned_object of a MAC or IP address. For
// a dcim.interface it carries the interface's device; a VM interface has
// virtual_machine instead, which cmdb-mcp does not need.
type wireAssigned struct {
	ID     int64    `json:"id"`
	Device *wireRef `json:"device"`
}

// wireCustomFields is an object's custom_fields: NetBox renders every
// custom field of the object's type, null when it has no value.
type wireCustomFields map[string]json.RawMessage

// values says which have a value; null, "" and [] are NetBox's empty
// values (CUSTOMFIELD_EMPTY_VALUES).
func (w wireCustomFields) values() record.CustomFieldValues {
	if len(w) == 0 {
		return nil
	}
	out := make(record.CustomFieldValues, len(w))
	for name, raw := range w {
		v := string(bytes.TrimSpace(raw))
		out[name] = v != "" && v != "null" && v != `""` && v != "[]"
	}
	return out
}

// Write-side helpers for the JSON path.

// nullID is a foreign key in a write body: 0 is sent as JSON null, which
// clears the field. NetBox ids start at 1.
type nullID int64

func (id nullID) MarshalJSON() ([]byte, error) {
	if id == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(id), 10), nil
}

// nullIDPtr turns a "nil leaves alone, pointer to 0 clears" field into
// what the body sends: omitted, null or the id.
func nullIDPtr(p *int64) *nullID {
	if p == nil {
		return nil
	}
	v := nullID(*p)
	return &v
}

// nullNumber is a number in a write body where 0 means "not set" in the
// domain types (vcpus, memory): 0 is sent as JSON null.
type nullNumber float64

func (n nullNumber) MarshalJSON() ([]byte, error) {
	if n == 0 {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

func nullNumberPtr[T int64 | float64](p *T) *nullNumber {
	if p == nil {
		return nil
	}
	v := nullNumber(*p)
	return &v
}

// assignment is the generic foreign key of MAC and IP addresses in a write
// body. Both keys are omitted when empty, so an update leaves the
// assignment alone; to unassign, both are JSON null (NetBox needs both: a
// type without an id is a validation error).
type assignment struct {
	Type json.RawMessage `json:"assigned_object_type,omitempty"`
	ID   json.RawMessage `json:"assigned_object_id,omitempty"`
}

// interfaceObjectType is the content type of a dcim.Interface, what
// assigned_object_type names.
const interfaceObjectType = "dcim.interface"

func assignToInterface(interfaceID int64) assignment {
	if interfaceID == 0 {
		return assignment{}
	}
	return assignment{
		Type: json.RawMessage(strconv.Quote(interfaceObjectType)),
		ID:   json.RawMessage(strconv.FormatInt(interfaceID, 10)),
	}
}

func unassigned() assignment {
	return assignment{Type: json.RawMessage("null"), ID: json.RawMessage("null")}
}
