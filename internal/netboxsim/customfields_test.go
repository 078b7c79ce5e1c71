package netboxsim_test

// Contract tests of custom fields (NetBox 4.3.7: extras/models/
// customfields.py, netbox/models/features.py CustomFieldsMixin,
// extras/api/customfields.py, extras/signals.py).

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func customField(name, typ string, types []string, extra map[string]any) map[string]any {
	return merge(map[string]any{"name": name, "type": typ, "object_types": types}, extra)
}

func TestCustomFieldDefinitions(t *testing.T) {
	t.Parallel()
	s := start(t)
	owners := create(t, s, "extras/custom-field-choice-sets", map[string]any{
		"name": "Owners", "extra_choices": [][]string{{"infra", "Infrastructure"}, {"apps", "Applications"}}})
	iface := []string{"dcim.interface"}
	cases := []postCase{
		{"a choice set needs choices", "extras/custom-field-choice-sets", map[string]any{"name": "Empty", "extra_choices": []any{}},
			`{"__all__": ["Must define base or extra choices."]}`},
		{"choices are pairs", "extras/custom-field-choice-sets", map[string]any{"name": "Bad", "extra_choices": [][]string{{"a"}}},
			`{"extra_choices": ["Item 0: Ensure this field has at least 2 elements."]}`},
		{"name characters", "extras/custom-fields", customField("my-field", "text", iface, nil),
			`{"name": ["Only alphanumeric characters and underscores are allowed."]}`},
		{"no double underscores", "extras/custom-fields", customField("a__b", "text", iface, nil),
			`{"name": ["Double underscores are not permitted in custom field names."]}`},
		{"object types need the feature", "extras/custom-fields", customField("x", "text", []string{"extras.tag"}, nil),
			`{"object_types": ["Invalid content type: extras.tag"]}`},
		{"object types are required", "extras/custom-fields", map[string]any{"name": "x", "type": "text"},
			`{"object_types": ["This field is required."]}`},
		{"bad type", "extras/custom-fields", customField("x", "colour", iface, nil),
			`{"type": ["colour is not a valid choice."]}`},
		{"a selection needs a choice set", "extras/custom-fields", customField("x", "select", iface, nil),
			`{"choice_set": ["Selection fields must specify a set of choices."]}`},
		{"choices only on selections", "extras/custom-fields", customField("x", "text", iface, map[string]any{"choice_set": owners}),
			`{"choice_set": ["Choices may be set only on selection fields."]}`},
		{"minimum only on numbers", "extras/custom-fields", customField("x", "text", iface, map[string]any{"validation_minimum": 3}),
			`{"validation_minimum": ["A minimum value may be set only for numeric fields"]}`},
		{"no unique booleans", "extras/custom-fields", customField("x", "boolean", iface, map[string]any{"unique": true}),
			`{"unique": ["Uniqueness cannot be enforced for boolean fields"]}`},
		{"an invalid default", "extras/custom-fields", customField("x", "select", iface, map[string]any{"choice_set": owners, "default": "ops"}),
			`{"default": ["Invalid default value \"ops\": Invalid choice (ops) for choice set Owners."]}`},
		{"an object field needs its type", "extras/custom-fields", customField("x", "object", iface, nil),
			`{"related_object_type": ["Object fields must define an object type."]}`},
		{"valid", "extras/custom-fields", customField("owner", "select", iface, map[string]any{"choice_set": owners, "required": true}), ""},
		{"names are unique", "extras/custom-fields", customField("owner", "text", iface, nil),
			`{"name": ["custom field with this name already exists."]}`},
	}
	runPosts(t, s, cases)

	t.Run("representation", func(t *testing.T) {
		p := list(t, s, "/api/extras/custom-fields/?name=owner")
		require.Len(t, p.Results, 1)
		got := p.Results[0]
		assert.Equal(t, []any{"dcim.interface"}, got["object_types"])
		assert.Equal(t, map[string]any{"value": "select", "label": "Selection"}, got["type"])
		assert.Equal(t, "string", got["data_type"])
		assert.Equal(t, "Owner", got["display"])
		assert.Equal(t, true, got["required"])
		assert.Equal(t, "Owners", got["choice_set"].(map[string]any)["name"])
		assert.Equal(t, float64(2), got["choice_set"].(map[string]any)["choices_count"])
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/extras/custom-fields/%v/", got["id"]), map[string]any{"type": "text"}, 400,
			`{"type": ["Changing the type of custom fields is not supported."]}`)
		netCheck(t, s, "DELETE", fmt.Sprintf("/api/extras/custom-field-choice-sets/%d/", owners), nil, 409, "")
	})
	filters := []struct {
		path string
		want int
	}{
		{"/api/extras/custom-fields/?object_type=dcim.interface&required=true", 1},
		{"/api/extras/custom-fields/?object_type=dcim.device", 0},
		{"/api/extras/custom-fields/?type=select", 1},
		{"/api/extras/custom-field-choice-sets/?name=Owners", 1},
	}
	for _, tc := range filters {
		t.Run(tc.path, func(t *testing.T) { assert.Equal(t, tc.want, list(t, s, tc.path).Count) })
	}
}

func TestCustomFieldValues(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	// Made before the fields: its data gets their keys with null.
	jeBefore := create(t, s, "extras/journal-entries", map[string]any{
		"assigned_object_type": "dcim.device", "assigned_object_id": n.dev1, "comments": "before"})
	create(t, s, "extras/custom-fields", customField("owner", "text", []string{"dcim.interface", "extras.journalentry"},
		map[string]any{"required": true, "validation_regex": "^[a-z]+$"}))
	create(t, s, "extras/custom-fields", customField("rack_u", "integer", []string{"dcim.interface"},
		map[string]any{"validation_minimum": 1, "validation_maximum": 48}))
	create(t, s, "extras/custom-fields", customField("monitored", "boolean", []string{"dcim.interface"},
		map[string]any{"default": true}))
	create(t, s, "extras/custom-fields", customField("asset", "text", []string{"dcim.interface"},
		map[string]any{"unique": true}))

	withCF := func(name string, cf map[string]any) map[string]any {
		return merge(iface(n.dev2, name, "1000base-t"), map[string]any{"custom_fields": cf})
	}
	cases := []postCase{
		{"required without a value: the defaults fill null", "dcim/interfaces", iface(n.dev2, "a", "1000base-t"),
			`{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`},
		{"required and missing from the data", "dcim/interfaces", withCF("b", map[string]any{"rack_u": 3}),
			`{"__all__": ["Missing required custom field 'owner'."]}`},
		{"unknown name", "dcim/interfaces", withCF("c", map[string]any{"owner": "infra", "colour": "red"}),
			`{"__all__": ["Unknown field name 'colour' in custom field data."]}`},
		{"regex", "dcim/interfaces", withCF("d", map[string]any{"owner": "Infra"}),
			`{"__all__": ["Invalid value for custom field 'owner': Value must match regex '^[a-z]+$'"]}`},
		{"text type", "dcim/interfaces", withCF("d", map[string]any{"owner": 7}),
			`{"__all__": ["Invalid value for custom field 'owner': Value must be a string."]}`},
		{"integer type", "dcim/interfaces", withCF("e", map[string]any{"owner": "infra", "rack_u": "3"}),
			`{"__all__": ["Invalid value for custom field 'rack_u': Value must be an integer."]}`},
		{"integer bounds", "dcim/interfaces", withCF("e", map[string]any{"owner": "infra", "rack_u": 49}),
			`{"__all__": ["Invalid value for custom field 'rack_u': Value must not exceed 48"]}`},
		{"boolean type", "dcim/interfaces", withCF("e", map[string]any{"owner": "infra", "monitored": "yes"}),
			`{"__all__": ["Invalid value for custom field 'monitored': Value must be true or false."]}`},
		{"not a dict", "dcim/interfaces", withCF("e", nil),
			`{"custom_fields": ["This field may not be null."]}`},
		{"valid", "dcim/interfaces", withCF("ok1", map[string]any{"owner": "infra", "rack_u": 4, "asset": "A1"}), ""},
		{"unique", "dcim/interfaces", withCF("ok2", map[string]any{"owner": "infra", "asset": "A1"}),
			`{"__all__": ["Custom field 'asset' must have a unique value."]}`},
		{"journal entries have custom fields", "extras/journal-entries", map[string]any{
			"assigned_object_type": "dcim.device", "assigned_object_id": n.dev1, "comments": "x"},
			`{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`},
		{"a device has none of them", "dcim/devices", merge(device(n.f, "h9"), map[string]any{"custom_fields": map[string]any{"owner": "x"}}),
			`{"__all__": ["Unknown field name 'owner' in custom field data."]}`},
	}
	runPosts(t, s, cases)

	t.Run("read back with every field and the save's default", func(t *testing.T) {
		p := list(t, s, "/api/dcim/interfaces/?name=ok1")
		require.Len(t, p.Results, 1)
		assert.Equal(t, map[string]any{"owner": "infra", "rack_u": float64(4), "monitored": true, "asset": "A1"},
			p.Results[0]["custom_fields"])
		dev := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/devices/%d/", n.dev1), nil, http.StatusOK)
		assert.Equal(t, map[string]any{}, dev["custom_fields"])
	})
	t.Run("an object made before a required field fails every later update", func(t *testing.T) {
		path := fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0)
		got := mustDo(t, s, "GET", path, nil, http.StatusOK)
		assert.Equal(t, map[string]any{"owner": nil, "rack_u": nil, "monitored": true, "asset": nil}, got["custom_fields"])
		netCheck(t, s, "PATCH", path, map[string]any{"description": "uplink"}, 400,
			`{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`)
		status, data := s.Do(t, "PATCH", "/api/dcim/interfaces/", []map[string]any{{"id": n.eth1, "mtu": 9000}})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`, string(data))
		// An update merges what it sends into the object's data.
		got = mustDo(t, s, "PATCH", path, map[string]any{"description": "uplink", "custom_fields": map[string]any{"owner": "infra"}}, http.StatusOK)
		assert.Equal(t, map[string]any{"owner": "infra", "rack_u": nil, "monitored": true, "asset": nil}, got["custom_fields"])
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/extras/journal-entries/%d/", jeBefore), map[string]any{"kind": "warning"}, 400,
			`{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`)
	})
	t.Run("the data follows the field", func(t *testing.T) {
		p := list(t, s, "/api/extras/custom-fields/?name=owner")
		id := p.Results[0]["id"]
		mustDo(t, s, "PATCH", fmt.Sprintf("/api/extras/custom-fields/%v/", id), map[string]any{"name": "team"}, http.StatusOK)
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0), nil, http.StatusOK)
		assert.Equal(t, "infra", got["custom_fields"].(map[string]any)["team"], "renamed")
		mustDo(t, s, "DELETE", fmt.Sprintf("/api/extras/custom-fields/%v/", id), nil, http.StatusNoContent)
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth1), map[string]any{"mtu": 9000}, 200, "")
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/extras/journal-entries/%d/", jeBefore), map[string]any{"kind": "warning"}, 200, "")
		// A type a field gains gives its objects the default.
		dev := mustDo(t, s, "POST", "/api/extras/custom-fields/", customField("tier", "text", []string{"dcim.device"},
			map[string]any{"default": "gold"}), http.StatusCreated)
		got = mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/devices/%d/", n.dev1), nil, http.StatusOK)
		assert.Equal(t, map[string]any{"tier": "gold"}, got["custom_fields"])
		mustDo(t, s, "PATCH", fmt.Sprintf("/api/extras/custom-fields/%v/", dev["id"]), map[string]any{"object_types": []string{"dcim.site"}}, http.StatusOK)
		got = mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/devices/%d/", n.dev1), nil, http.StatusOK)
		assert.Equal(t, map[string]any{}, got["custom_fields"])
	})
}

func TestCustomFieldSelectAndDefaults(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	owners := create(t, s, "extras/custom-field-choice-sets", map[string]any{
		"name": "Owners", "extra_choices": [][]string{{"infra", "Infrastructure"}, {"apps", "Applications"}}})
	create(t, s, "extras/custom-fields", customField("owner", "select", []string{"virtualization.virtualmachine", "dcim.interface"},
		map[string]any{"choice_set": owners, "required": true, "default": "infra"}))
	withCF := func(name string, cf map[string]any) map[string]any {
		return merge(iface(n.dev2, name, "1000base-t"), map[string]any{"custom_fields": cf})
	}
	cases := []postCase{
		{"the default fills a create without custom_fields", "dcim/interfaces", iface(n.dev2, "a", "1000base-t"), ""},
		{"a value of the set", "dcim/interfaces", withCF("b", map[string]any{"owner": "apps"}), ""},
		{"not of the set", "dcim/interfaces", withCF("c", map[string]any{"owner": "ops"}),
			`{"__all__": ["Invalid value for custom field 'owner': Invalid choice (ops) for choice set Owners."]}`},
		// clean() runs before save() fills the defaults.
		{"data without the required field", "dcim/interfaces", withCF("d", map[string]any{}),
			`{"__all__": ["Missing required custom field 'owner'."]}`},
	}
	runPosts(t, s, cases)
	p := list(t, s, "/api/dcim/interfaces/?name=a")
	require.Len(t, p.Results, 1)
	assert.Equal(t, map[string]any{"owner": "infra"}, p.Results[0]["custom_fields"])
}
