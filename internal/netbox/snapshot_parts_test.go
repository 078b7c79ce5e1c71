package netbox

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// TestSnapshotReadsCustomFieldsOnlyWhenThereAreAny: every object NetBox
// renders carries its type's custom fields, so a NetBox whose objects carry
// none costs no request for them; one that has some, or values configured
// for them, gets them read, required ones and defaults included.
func TestSnapshotReadsCustomFieldsOnlyWhenThereAreAny(t *testing.T) {
	for _, tt := range []struct {
		name         string
		deviceFields map[string]any
		ifaceFields  map[string]any
		configured   bool
		forbidden    bool
		wantRead     bool
	}{
		{name: "none anywhere", deviceFields: map[string]any{}, ifaceFields: map[string]any{}},
		{name: "on the device", deviceFields: map[string]any{"ticket": "CHG-1"}, wantRead: true},
		{name: "on an interface, empty", ifaceFields: map[string]any{"owner": nil}, wantRead: true},
		{name: "values configured", configured: true, wantRead: true},
		{name: "no view permission", ifaceFields: map[string]any{"owner": nil}, forbidden: true, wantRead: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case devicesPath:
					d := deviceJSON(7, "web01", 1, "DC1")
					if tt.deviceFields != nil {
						d["custom_fields"] = tt.deviceFields
					}
					listResponse(w, r, []map[string]any{d}, 1000)
				case interfacesPath:
					i := map[string]any{"id": 5, "name": "eth0", "type": map[string]any{"value": "1000base-t"}, "enabled": true,
						"device": brief(7, "dcim/devices", "web01"), "mac_addresses": []any{}}
					if tt.ifaceFields != nil {
						i["custom_fields"] = tt.ifaceFields
					}
					listResponse(w, r, []map[string]any{i}, 1000)
				case customFieldsPath:
					if tt.forbidden {
						writeJSON(w, http.StatusForbidden, map[string]any{"detail": "You do not have permission to perform this action."})
						return
					}
					listResponse(w, r, []map[string]any{
						{"id": 1, "name": "owner", "object_types": []string{"dcim.interface"}, "required": true, "default": nil},
						{"id": 2, "name": "ticket", "object_types": []string{"dcim.device"}, "required": true, "default": "none"},
					}, 1000)
				default:
					listResponse(w, r, nil, 1000)
				}
			})
			c := newTestClient(t, f)
			s, err := c.SnapshotFor(context.Background(), SnapshotQuery{Hostname: "web01", Platform: "Ubuntu 22.04", CustomFields: tt.configured})
			require.NoError(t, err)
			read := 0
			for _, r := range f.requests() {
				if r.Path == customFieldsPath {
					read++
				}
			}
			if !tt.wantRead {
				assert.Zero(t, read, "no request for custom fields")
				assert.False(t, s.CustomFieldsRead)
				return
			}
			assert.Equal(t, 1, read)
			if tt.forbidden {
				assert.False(t, s.CustomFieldsRead)
				assert.Equal(t, []record.Unread{{Part: record.PartCustomFields, ObjectType: "extras.customfield"}}, s.Unread)
				return
			}
			assert.True(t, s.CustomFieldsRead)
			assert.Equal(t, []record.CustomField{
				{Name: "owner", ObjectTypes: []string{"dcim.interface"}, Required: true},
				{Name: "ticket", ObjectTypes: []string{"dcim.device"}, Required: true, HasDefault: true, Default: json.RawMessage(`"none"`)},
			}, s.CustomFields)
			if tt.ifaceFields != nil {
				assert.Equal(t, record.CustomFieldValues{"owner": false}, s.Interfaces[0].CustomFields)
			}
		})
	}
}
