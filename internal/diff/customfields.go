package diff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// ObjectJournalEntry is the object type of the journal entry every apply
// writes.
const ObjectJournalEntry = "extras.journalentry"

// WrittenObjectTypes are the object types a sync creates or updates: the
// ones whose required custom fields (netbox/models/features.py
// CustomFieldsMixin.clean) can refuse its writes.
var WrittenObjectTypes = []string{
	ObjectDevice, ObjectPlatform, ObjectInterface, ObjectMACAddress, ObjectIPAddress,
	ObjectDeviceRole, ObjectClusterType, ObjectClusterGroup, ObjectCluster, ObjectVM, ObjectJournalEntry,
}

// EnvCustomFields names the setting of Options.CustomFields, for messages.
const EnvCustomFields = "CMDB_CUSTOM_FIELDS"

// ParseCustomFields reads custom field values as a JSON object by object
// type: {"dcim.interface": {"owner": "infra"}}. Every object type must be
// one a sync writes.
func ParseCustomFields(s string) (map[string]map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	example := `{"dcim.interface": {"owner": "infra"}, "virtualization.virtualmachine": {"owner": "apps"}}`
	var out map[string]map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("custom field values: %v: want a JSON object of values by object type and field name, e.g. %s", err, example)
	}
	if dec.More() {
		return nil, fmt.Errorf("custom field values: text after the JSON object: want one object, e.g. %s", example)
	}
	for t, fields := range out {
		if !slices.Contains(WrittenObjectTypes, t) {
			return nil, fmt.Errorf("custom field values: %q is not an object type a sync writes: use one of %s, e.g. %s", t, strings.Join(WrittenObjectTypes, ", "), example)
		}
		for name := range fields {
			if strings.TrimSpace(name) == "" {
				return nil, fmt.Errorf("custom field values: %s has a field with an empty name: name each field as NetBox does (its name, not its label), e.g. %s", t, example)
			}
		}
		if len(fields) == 0 {
			delete(out, t)
		}
	}
	return out, nil
}

// requireCustomFields gives each change the custom field values its write
// needs, and blocks the changes NetBox would refuse for a required custom
// field without a value: every create of a type with a required field
// that has no default (NetBox fills defaults on create:
// extras/api/customfields.py CustomFieldDefaultValues), and every update
// of an object whose required field is empty (clean() checks the object
// as a whole on every save, default or not). Configured values fill both,
// and on an update the field's default does.
// A note says which field blocks which changes.
func requireCustomFields(p *Plan, nb record.Snapshot, values map[string]map[string]any) {
	if u, ok := nb.IsUnread(record.PartCustomFields); ok {
		p.note("Custom fields: not read: the NetBox token's user may not view %s objects, so a create or update that NetBox refuses for a required custom field shows up only when applied (each alone; the rest is written). Grant it view permission on them to see such blocks here.", u.ObjectType)
	}
	r := customFieldsByType(nb.CustomFields)
	r.usable = r.usableValues(p, nb.CustomFieldsRead, values)
	if len(r.required) == 0 && len(r.usable) == 0 {
		// The usual case: no write, the journal entry's included, has a
		// value to carry or a field to miss (a default alone is filled
		// only beside configured values), so nothing is blocked either.
		return
	}
	r.requireOnChanges(p, nb).note(p)
	r.requireOnJournal(p)
}

// customFieldRules are NetBox's custom fields by the object type they are
// on, and the configured values a write may carry.
type customFieldRules struct {
	required map[string][]record.CustomField
	defaults map[string][]record.CustomField
	known    map[string]map[string]bool
	usable   map[string]map[string]any
}

// customFieldsByType sorts NetBox's custom fields by the object types
// they are on.
func customFieldsByType(fields []record.CustomField) customFieldRules {
	r := customFieldRules{
		required: map[string][]record.CustomField{},
		defaults: map[string][]record.CustomField{},
		known:    map[string]map[string]bool{},
	}
	for _, f := range fields {
		for _, t := range f.ObjectTypes {
			setIn(r.known, t, f.Name, true)
			if f.Required {
				r.required[t] = append(r.required[t], f)
			}
			if f.HasDefault {
				r.defaults[t] = append(r.defaults[t], f)
			}
		}
	}
	return r
}

// usableValues are the configured values a write may carry. Those NetBox
// does not know (when the custom fields were read) would make it refuse
// every write that carries them ("Unknown field name"): left out, with a
// note.
func (r customFieldRules) usableValues(p *Plan, read bool, values map[string]map[string]any) map[string]map[string]any {
	usable := map[string]map[string]any{}
	for _, t := range slices.Sorted(maps.Keys(values)) {
		for _, name := range slices.Sorted(maps.Keys(values[t])) {
			if read && !r.known[t][name] {
				p.note("Custom field values: NetBox has no custom field %q on %s; that value (%s) is not sent.", name, t, EnvCustomFields)
				continue
			}
			setIn(usable, t, name, values[t][name])
		}
	}
	return usable
}

// valuesFor are the custom field values a write of an object of type t
// carries, and the required fields it has no value for. A create carries
// every configured value; an update carries what fills the required
// fields that has, the object's custom fields, leaves empty.
func (r customFieldRules) valuesFor(t string, create bool, has record.CustomFieldValues) (map[string]any, []string) {
	// out is made only for a write that carries a value: most carry none.
	var out map[string]any
	if create && len(r.usable[t]) > 0 {
		out = maps.Clone(r.usable[t])
	}
	var missing []string
	for _, f := range r.required[t] {
		switch {
		case create && (f.HasDefault || r.usable[t][f.Name] != nil):
		case !create && (has == nil || has[f.Name]):
			// An object read without its custom fields (a MAC nested
			// in its interface) is taken as NetBox keeps it: valid.
		case r.usable[t][f.Name] != nil:
			out = setOn(out, f.Name, r.usable[t][f.Name])
		case f.HasDefault:
			// An object older than the field's default: the value
			// NetBox gives new objects.
			out = setOn(out, f.Name, any(f.Default))
		default:
			missing = append(missing, f.Name)
		}
	}
	if len(out) == 0 {
		return nil, missing
	}
	if create {
		r.fillDefaults(t, out)
	}
	return out, missing
}

// fillDefaults adds the defaults of type t's fields that a create's values
// leave out. NetBox fills the defaults only when a create leaves out
// custom_fields altogether (extras/api/customfields.py
// CustomFieldDefaultValues); one that carries some must carry them too,
// or clean() finds a required one missing.
func (r customFieldRules) fillDefaults(t string, out map[string]any) {
	for _, f := range r.defaults[t] {
		if _, given := out[f.Name]; !given {
			out[f.Name] = f.Default
		}
	}
}

// requireOnChanges gives each change not yet blocked its custom field
// values, or blocks it for the required fields it has no value for. It
// returns which changes each field blocks.
func (r customFieldRules) requireOnChanges(p *Plan, nb record.Snapshot) *fieldBlocks {
	blocks := &fieldBlocks{objects: map[customFieldRef][]string{}}
	// An update reads the object's values only for a required field.
	var objectValues map[objectRef]record.CustomFieldValues
	if len(r.required) > 0 {
		objectValues = existingCustomFields(nb)
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Blocked != "" {
			continue
		}
		t := c.ObjectType
		create := c.Action == ActionCreate
		var has record.CustomFieldValues
		if !create {
			has = objectValues[objectRef{t, c.ObjectID}]
			if c.ObjectType == ObjectDevice {
				has = nb.Device.CustomFields
			}
		}
		cf, missing := r.valuesFor(t, create, has)
		c.CustomFields = cf
		if len(missing) == 0 {
			continue
		}
		c.Blocked = fmt.Sprintf("NetBox requires custom field %s on %s, and this %s has no value for it: set one in %s (or --custom-fields), e.g. {%q: {%q: ...}}",
			quoteAll(missing), t, objectKind(t), EnvCustomFields, t, missing[0])
		for _, m := range missing {
			blocks.add(customFieldRef{t, m}, *c)
		}
	}
	return blocks
}

// requireOnJournal gives the journal entry, which every apply writes, its
// custom field values, or blocks it.
func (r customFieldRules) requireOnJournal(p *Plan) {
	cf, missing := r.valuesFor(ObjectJournalEntry, true, nil)
	p.JournalCustomFields = cf
	if len(missing) > 0 {
		p.JournalBlocked = fmt.Sprintf("NetBox requires custom field %s on journal entries, and this sync has no value for it: set one in %s, e.g. {%q: {%q: ...}}", quoteAll(missing), EnvCustomFields, ObjectJournalEntry, missing[0])
	}
}

// customFieldRef names a custom field on one object type.
type customFieldRef struct {
	objectType string
	name       string
}

// fieldBlocks are the changes each required custom field without a value
// blocks, in the order the fields were first found missing.
type fieldBlocks struct {
	order []customFieldRef
	// objects are the blocked changes a report row shows, by field; a
	// field that blocks only supporting steps has none.
	objects map[customFieldRef][]string
}

// add records that field f blocks change c.
func (b *fieldBlocks) add(f customFieldRef, c Change) {
	if _, seen := b.objects[f]; !seen {
		b.order = append(b.order, f)
		b.objects[f] = nil
	}
	if c.Supporting {
		return
	}
	what := strings.ToLower(string(c.Action)) + " " + c.Object
	if c.Field != "" && c.Action != ActionCreate {
		what += " " + c.Field
	}
	b.objects[f] = append(b.objects[f], what)
}

// note says, for each field, which changes it blocks (the first ten by
// name) and where to set a value.
func (b *fieldBlocks) note(p *Plan) {
	for _, f := range b.order {
		objs := b.objects[f]
		const most = 10
		list := strings.Join(objs[:min(len(objs), most)], ", ")
		if len(objs) > most {
			list += fmt.Sprintf(" and %d more", len(objs)-most)
		}
		if list == "" {
			list = "steps that support other changes"
		}
		p.note("Custom field %q is required on %s and has no value here: it blocks %s. Set it in %s (or --custom-fields), e.g. {%q: {%q: ...}}; everything else applies.", f.name, f.objectType, list, EnvCustomFields, f.objectType, f.name)
	}
}

type objectRef struct {
	objectType string
	id         int64
}

// existingCustomFields are the custom field values of the objects the
// lookup read, by object.
func existingCustomFields(nb record.Snapshot) map[objectRef]record.CustomFieldValues {
	out := map[objectRef]record.CustomFieldValues{}
	for _, i := range nb.Interfaces {
		out[objectRef{ObjectInterface, i.ID}] = i.CustomFields
	}
	for _, m := range nb.MACs {
		out[objectRef{ObjectMACAddress, m.ID}] = m.CustomFields
	}
	for _, ip := range nb.IPs {
		out[objectRef{ObjectIPAddress, ip.ID}] = ip.CustomFields
	}
	for _, vm := range nb.VMs {
		out[objectRef{ObjectVM, vm.ID}] = vm.CustomFields
	}
	return out
}

// blockDependents blocks the changes that need a blocked one: what hangs
// on an object that will not be made (the MAC and IPs of an interface, the
// VMs of a cluster), what points at it (a primary IP, a cluster's type),
// and the unassignment of a primary IP that a blocked change would have
// replaced (NetBox refuses to unassign a primary IP). A VM whose role is
// blocked is made without the role, as apply does.
func blockDependents(p *Plan) {
	why := map[string]string{}
	for changed := true; changed; {
		changed = false
		for i := range p.Changes {
			c := &p.Changes[i]
			if c.Blocked != "" {
				if c.Key != "" && why[c.Key] == "" {
					why[c.Key] = fmt.Sprintf("%s %q", objectKind(c.ObjectType), c.Object)
					changed = true
				}
				continue
			}
			// An array, not a slice: this runs for every change, every pass.
			keys := [...]string{c.ParentKey, c.NewKey, c.ObjectKey, ""}
			if c.Attrs != nil {
				keys[3] = c.Attrs.TypeKey
			}
			for _, k := range keys {
				if w := why[k]; k != "" && w != "" {
					c.Blocked = "depends on " + w + ", which this sync cannot write (see its reason)"
					changed = true
					break
				}
			}
		}
	}
	for _, c := range p.Changes {
		if c.Blocked == "" || c.ObjectType != ObjectDevice || (c.Field != FieldPrimaryIP4 && c.Field != FieldPrimaryIP6) || c.Old == "" {
			continue
		}
		for i := range p.Changes {
			u := &p.Changes[i]
			if u.Blocked == "" && u.ObjectType == ObjectIPAddress && u.Action == ActionUnassign && u.Object == c.Old {
				u.Blocked = "still the device's primary IP: changing the primary cannot apply (see " + c.Field + ")"
			}
		}
	}
}

func objectKind(objectType string) string {
	if i := strings.LastIndexByte(objectType, '.'); i >= 0 {
		return objectType[i+1:]
	}
	return objectType
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// setOn sets m[k], making m when it is nil, and returns m.
func setOn[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// setIn sets m[outer][inner], making the inner map when it is missing.
func setIn[V any](m map[string]map[string]V, outer, inner string, v V) {
	if m[outer] == nil {
		m[outer] = map[string]V{}
	}
	m[outer][inner] = v
}
