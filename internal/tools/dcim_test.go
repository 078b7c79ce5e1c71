package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

func TestListDevices(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	plat := h.platform(t, "Debian 12", "debian-12")
	web01 := h.device(t, deviceBody{Name: "web01", Status: "active", Platform: plat, Serial: "SN-1"})
	// The same name in two more sites, for the site filter and paging.
	for i := 2; i <= 3; i++ {
		site := h.site(t, fmt.Sprintf("Branch %d", i), fmt.Sprintf("branch-%d", i))
		h.device(t, deviceBody{Name: "db01", Site: site, Status: "offline"})
	}
	h.device(t, deviceBody{Name: "db01", Status: "active"})

	tests := []struct {
		name      string
		args      tools.ListDevicesInput
		wantNames int
		count     int
		next      int
		note      string
		check     func(t *testing.T, out tools.ListDevicesOutput)
	}{
		{
			name:      "compact device with web URL",
			args:      tools.ListDevicesInput{Name: "web01"},
			wantNames: 1, count: 1,
			check: func(t *testing.T, out tools.ListDevicesOutput) {
				d := out.Devices[0]
				assert.Equal(t, web01, d.ID)
				assert.Equal(t, "web01", d.Name)
				assert.Equal(t, "active", d.Status)
				require.NotNil(t, d.Platform)
				assert.Equal(t, tools.Ref{ID: plat, Name: "Debian 12"}, *d.Platform)
				assert.Equal(t, "SN-1", d.Serial)
				assert.Equal(t, h.fixture.SiteID, d.Site.ID)
				assert.NotEmpty(t, d.Role.Name)
				assert.Equal(t, h.fixture.DeviceTypeID, d.DeviceType.ID)
				assert.Equal(t, fmt.Sprintf("%s/dcim/devices/%d/", h.sim.URL, web01), d.URL)
			},
		},
		{name: "name is matched ignoring case", args: tools.ListDevicesInput{Name: "WEB01"}, wantNames: 1, count: 1},
		{name: "unknown name says to register", args: tools.ListDevicesInput{Name: "nope"}, note: "register it first (cmdb_register)"},
		{name: "every site by default", args: tools.ListDevicesInput{Name: "db01"}, wantNames: 3, count: 3},
		{name: "no name lists every device", args: tools.ListDevicesInput{}, wantNames: 4, count: 4},
		{
			name:      "limit cuts the list and says how to get more",
			args:      tools.ListDevicesInput{Name: "db01", Paging: tools.Paging{Limit: 2}},
			wantNames: 2, count: 3, next: 2, note: "offset=2",
		},
		{
			name:      "offset gets the rest",
			args:      tools.ListDevicesInput{Name: "db01", Paging: tools.Paging{Limit: 2, Offset: 2}},
			wantNames: 1, count: 3,
		},
		{
			name:  "offset past the end says so",
			args:  tools.ListDevicesInput{Name: "db01", Paging: tools.Paging{Offset: 10}},
			count: 3, note: "past the last",
		},
		{
			name: "site by slug", args: tools.ListDevicesInput{Name: "db01", Site: "branch-2"}, wantNames: 1, count: 1,
			check: func(t *testing.T, out tools.ListDevicesOutput) {
				assert.Equal(t, "Branch 2", out.Devices[0].Site.Name)
				assert.Equal(t, "offline", out.Devices[0].Status)
			},
		},
		{name: "site by name, ignoring case", args: tools.ListDevicesInput{Name: "db01", Site: "branch 3"}, wantNames: 1, count: 1},
		{name: "no match at the site suggests dropping it", args: tools.ListDevicesInput{Name: "web01", Site: "branch-2"}, note: "without site"},
		{name: "limit above NetBox's maximum is clamped", args: tools.ListDevicesInput{Name: "db01", Paging: tools.Paging{Limit: 5000}}, wantNames: 3, count: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decode[tools.ListDevicesOutput](t, h.call(t, "dcim_list_devices", tt.args))
			require.Len(t, out.Devices, tt.wantNames)
			assert.Equal(t, tt.count, out.Count)
			assert.Equal(t, tt.next != 0, out.Truncated)
			assert.Equal(t, tt.next, out.NextOffset)
			if tt.note != "" {
				assert.Contains(t, out.Note, tt.note)
			} else {
				assert.Empty(t, out.Note)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

// TestNetBoxToolErrors checks that every failure comes back as an isError
// result naming the fix: what the model can fix, and infrastructure faults
// too, which a JSON-RPC error would hide from the model in most clients.
func TestNetBoxToolErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     harnessOptions
		tool     string
		args     any
		wantText []string
	}{
		{name: "wrong argument type", tool: "dcim_list_devices", args: map[string]any{"name": 7}, wantText: []string{"input schema"}},
		{name: "negative offset", tool: "dcim_list_devices", args: map[string]any{"offset": -1}, wantText: []string{"next_offset"}},
		{name: "unknown site", tool: "dcim_list_devices", args: map[string]any{"name": "web01", "site": "mars"}, wantText: []string{"dcim_list_sites"}},
		{name: "bad token names the variable (403)", opts: harnessOptions{token: "ffffffffffffffffffffffffffffffffffffffff"}, tool: "dcim_list_devices", args: tools.ListDevicesInput{Name: "web01"}, wantText: []string{"403", "NETBOX_TOKEN"}},
		{name: "read-only token names the permission (403)", opts: harnessOptions{token: readOnlyToken}, tool: "dcim_create_platform", args: map[string]any{"name": "Debian 13"}, wantText: []string{"403", "write-enabled token"}},
		{name: "unknown device (404)", tool: "dcim_get_device", args: map[string]any{"id": 999}, wantText: []string{"No device with id 999", "dcim_list_devices"}},
		{name: "missing id", tool: "dcim_get_device", args: map[string]any{}, wantText: []string{"id (required)", "missing"}},
		{name: "update of an unknown device (404)", tool: "dcim_update_device", args: map[string]any{"id": 999, "status": "active"}, wantText: []string{"No device with id 999"}},
		{name: "update with nothing to change", tool: "dcim_update_device", args: map[string]any{"id": 1}, wantText: []string{"Nothing to update"}},
		{name: "a value outside the enum names the values", tool: "dcim_update_device", args: map[string]any{"id": 1, "status": "sleeping"}, wantText: []string{"status", "active, offline"}},
		{name: "validation (400) names the field", tool: "dcim_update_device", args: map[string]any{"id": 1, "platform": 99999}, wantText: []string{"400", "platform", "fix the fields"}},
		{name: "unknown argument names the parameters", tool: "dcim_list_devices", args: map[string]any{"hostname": "no-such-host"}, wantText: []string{`"hostname"`, "name, site, limit, offset"}},
		{name: "an id beyond NetBox's range", tool: "dcim_get_device", args: json.RawMessage(`{"id": 9223372036854775807}`), wantText: []string{"out of range", "dcim_list_devices"}},
		{name: "unreachable NetBox names the variable", opts: harnessOptions{url: "http://127.0.0.1:1"}, tool: "dcim_list_devices", args: tools.ListDevicesInput{Name: "web01"}, wantText: []string{"could not be reached", "NETBOX_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts)
			h.device(t, deviceBody{Name: "web01", Status: "active"})
			res, err := h.callErr(tt.tool, tt.args)
			require.NoError(t, err)
			msg := toolError(t, res)
			t.Log(msg)
			for _, w := range tt.wantText {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func TestGetAndUpdateDevice(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	id := h.staleDevice(t)
	newer := h.platform(t, "Ubuntu 24.04 LTS", "ubuntu-24-04-lts")

	got := decode[tools.Device](t, h.call(t, "dcim_get_device", map[string]any{"id": id}))
	assert.Equal(t, "planned", got.Status)
	require.NotNil(t, got.Platform)
	assert.Equal(t, "Ubuntu 20.04 LTS", got.Platform.Name)

	// The seed's Phase 5: dcim_update_device id=<device_id> platform=<new_platform_id>.
	got = decode[tools.Device](t, h.call(t, "dcim_update_device", map[string]any{"id": id, "platform": newer, "status": "active", "serial": "SN-9"}))
	assert.Equal(t, &tools.Ref{ID: newer, Name: "Ubuntu 24.04 LTS"}, got.Platform)
	assert.Equal(t, "active", got.Status)
	assert.Equal(t, "SN-9", got.Serial)

	// Absent fields stay; null clears.
	got = decode[tools.Device](t, h.call(t, "dcim_update_device", map[string]any{"id": id, "platform": nil}))
	assert.Nil(t, got.Platform)
	assert.Equal(t, "SN-9", got.Serial)
	dev, err := h.nb.GetDevice(context.Background(), id)
	require.NoError(t, err)
	assert.Nil(t, dev.Platform)
	assert.Equal(t, "active", dev.Status)
}

func TestCatalogLists(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.platform(t, "Debian 12", "debian-12")
	h.platform(t, "Ubuntu 24.04 LTS", "ubuntu-24-04-lts")
	h.post(t, "/api/dcim/device-roles/", map[string]any{"name": "Media Management", "slug": "media-management", "vm_role": true})

	platforms := decode[tools.ListPlatformsOutput](t, h.call(t, "dcim_list_platforms", map[string]any{}))
	assert.Equal(t, 2, platforms.Count)
	one := decode[tools.ListPlatformsOutput](t, h.call(t, "dcim_list_platforms", map[string]any{"name": "debian 12"}))
	require.Len(t, one.Platforms, 1)
	assert.Equal(t, "debian-12", one.Platforms[0].Slug)
	assert.Contains(t, one.Platforms[0].URL, "/dcim/platforms/")
	none := decode[tools.ListPlatformsOutput](t, h.call(t, "dcim_list_platforms", map[string]any{"name": "Plan 9"}))
	assert.Contains(t, none.Note, `dcim_create_platform name="Plan 9"`)

	sites := decode[tools.ListSitesOutput](t, h.call(t, "dcim_list_sites", map[string]any{}))
	require.Equal(t, 1, sites.Count)
	assert.Equal(t, h.fixture.SiteID, sites.Sites[0].ID)

	roles := decode[tools.ListDeviceRolesOutput](t, h.call(t, "dcim_list_device_roles", map[string]any{"name": "media management"}))
	require.Len(t, roles.Roles, 1)
	assert.True(t, roles.Roles[0].VMRole)

	types := decode[tools.ListDeviceTypesOutput](t, h.call(t, "dcim_list_device_types", map[string]any{}))
	require.Len(t, types.DeviceTypes, 1)
	assert.Equal(t, h.fixture.DeviceTypeID, types.DeviceTypes[0].ID)
	assert.NotEmpty(t, types.DeviceTypes[0].Manufacturer)

	created := decode[tools.Slugged](t, h.call(t, "dcim_create_platform", map[string]any{"name": "Raspberry Pi OS 12"}))
	assert.Equal(t, "raspberry-pi-os-12", created.Slug)
	dup := toolError(t, h.call(t, "dcim_create_platform", map[string]any{"name": "Raspberry Pi OS 12"}))
	assert.Contains(t, dup, "already exists")
}

// A NETBOX_URL that answers 404 to everything is not NetBox: the tools
// say to fix the URL, not to look for a missing object.
func TestNotNetBoxURL(t *testing.T) {
	notNetBox := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notNetBox.Close)
	h := newHarness(t, harnessOptions{url: notNetBox.URL})
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"dcim_get_device", map[string]any{"id": 5}},
		{"dcim_list_devices", map[string]any{"name": "web01"}},
		{"cmdb_sync_diff", map[string]any{}},
	} {
		msg := toolError(t, h.call(t, call.tool, call.args))
		assert.Contains(t, msg, "not as NetBox's REST API", call.tool)
		assert.Contains(t, msg, "NETBOX_URL", call.tool)
		assert.NotContains(t, msg, "No device with id", call.tool)
	}
}
