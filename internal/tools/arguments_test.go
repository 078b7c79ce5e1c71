package tools_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// TestUnknownArgumentsRefused calls every tool with a misspelt argument:
// none runs, and each error names the argument and the tool's parameters.
func TestUnknownArgumentsRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	dev := h.device(t, deviceBody{Name: "web01", Status: "active"})
	before := len(h.sim.Sim.Requests())
	for _, tool := range tools.All(tools.Deps{}) {
		name := tool.Definition.Name
		t.Run(name, func(t *testing.T) {
			var schema struct {
				Properties map[string]any `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(tool.Definition.RawInputSchema, &schema))
			msg := toolError(t, h.call(t, name, map[string]any{"id": dev, "hostnme": "web01"}))
			assert.Contains(t, msg, `"hostnme"`)
			assert.Contains(t, msg, "nothing was done")
			for param := range schema.Properties {
				assert.Contains(t, msg, param, "the error lists the parameters")
			}
		})
	}
	assert.Len(t, h.sim.Sim.Requests(), before, "a refused call sent nothing to NetBox")

	// The issue's own example: a misspelt filter no longer lists every device.
	msg := toolError(t, h.call(t, "dcim_list_devices", map[string]any{"hostname": "no-such-host"}))
	assert.Contains(t, msg, "dcim_list_devices takes name, site, limit, offset")
}

// TestNullsPortable: the published schemas have one type per field, while
// the seed's literal nulls, and "" or 0 for clients without null, work.
func TestNullsPortable(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	dev := h.device(t, deviceBody{Name: "web01", Status: "active"})
	eth0 := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"}))
	for _, unassign := range []map[string]any{
		{"assigned_object_type": nil, "assigned_object_id": nil},
		{"assigned_object_type": "", "assigned_object_id": 0},
		{"assigned_object_type": nil},
	} {
		ip := decode[tools.IPAddress](t, h.call(t, "ipam_create_ip_address", map[string]any{"address": "192.0.2.10/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID}))
		args := map[string]any{"id": ip.ID}
		for k, v := range unassign {
			args[k] = v
		}
		got := decode[tools.IPAddress](t, h.call(t, "ipam_update_ip_address", args))
		assert.Zero(t, got.AssignedObjectID, "%v unassigns", unassign)
		h.patch(t, fmt.Sprintf("/api/ipam/ip-addresses/%d/", ip.ID), map[string]any{"address": fmt.Sprintf("192.0.2.%d/24", 100+ip.ID)})
	}
	plat := h.platform(t, "Debian 12", "debian-12")
	for _, clear := range []any{nil, 0} {
		decode[tools.Device](t, h.call(t, "dcim_update_device", map[string]any{"id": dev, "platform": plat}))
		got := decode[tools.Device](t, h.call(t, "dcim_update_device", map[string]any{"id": dev, "platform": clear}))
		assert.Nil(t, got.Platform, "platform=%v clears", clear)
	}
	// null is taken only where it means something.
	msg := toolError(t, h.call(t, "dcim_update_device", map[string]any{"id": dev, "status": nil}))
	assert.Contains(t, msg, "status")
}

// TestLongValuesNotEchoed sends a 1 MB string where errors and notes quote
// the value: what comes back is bounded. The write scope is lifted, so that
// an unassigned address reaches the tool's own check of its value.
func TestLongValuesNotEchoed(t *testing.T) {
	h := newHarness(t, harnessOptions{writeScope: tools.WriteScopeAny})
	h.device(t, deviceBody{Name: "web01", Status: "active"})
	huge := strings.Repeat("x", 1<<20)
	for _, tt := range []struct {
		tool string
		args map[string]any
	}{
		{"dcim_list_devices", map[string]any{"name": huge}},
		{"dcim_list_devices", map[string]any{"name": "web01", "site": huge}},
		{"dcim_list_platforms", map[string]any{"name": huge}},
		{"dcim_update_device", map[string]any{"id": 1, "status": huge}},
		{"cmdb_sync_diff", map[string]any{"mode": huge}},
		{"cmdb_sync_diff", map[string]any{"hostname": huge}},
		{"ipam_create_ip_address", map[string]any{"address": huge}},
		{"dcim_list_devices", map[string]any{huge: 1}},
		{"cmdb_sync_apply", map[string]any{"plan_id": huge}},
	} {
		res := h.call(t, tt.tool, tt.args)
		raw, err := json.Marshal(res)
		require.NoError(t, err)
		assert.Less(t, len(raw), 4<<10, "%s: %d bytes back for a 1 MB argument: %.300s", tt.tool, len(raw), raw)
		if tt.tool != "cmdb_sync_apply" {
			assert.Contains(t, string(raw), "xxx", "%s: the value is quoted, clipped", tt.tool)
		}
	}
}

// TestInfrastructureFailuresAreToolErrors: NetBox down, answering 5xx after
// the retries, or answering what cannot be decoded: each is an isError
// result that names the fix, never a JSON-RPC error.
func TestInfrastructureFailuresAreToolErrors(t *testing.T) {
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"count": "many", "results": 7`))
	}))
	t.Cleanup(garbage.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)

	for _, tt := range []struct {
		name string
		url  string
		want []string
	}{
		{"unreachable", "http://127.0.0.1:1", []string{"could not be reached", "NETBOX_URL"}},
		{"5xx", down.URL, []string{"500", "retry later"}},
		{"undecodable", garbage.URL, []string{"could not be read", "NetBox version"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{url: tt.url})
			for _, call := range []struct {
				tool string
				args map[string]any
			}{
				{"dcim_list_devices", map[string]any{"name": "web01"}},
				{"dcim_get_device", map[string]any{"id": 1}},
				{"cmdb_sync_diff", map[string]any{}},
			} {
				res, err := h.callErr(call.tool, call.args)
				require.NoError(t, err, "%s: a JSON-RPC error hides the failure from the model", call.tool)
				msg := toolError(t, res)
				for _, w := range tt.want {
					assert.Contains(t, msg, w, call.tool)
				}
			}
		})
	}
}
