package netboxsim_test

// NetBox behaviours a sync meets beyond the models: ?fields=, the Accept
// header's version, boolean filters, the limits of the objects a sync
// writes, and the version profiles' platform and VM rules.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func TestBooleanFilters(t *testing.T) {
	t.Parallel()
	// The OpenAPI document types these parameters boolean, so values like
	// 2, yes or "" would be reported as the client's mistake: the server
	// runs without the contract check here.
	sim := netboxsim.New(netboxsim.Options{Token: simtest.DefaultToken, Version: "4.3"})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	s := &simtest.Server{URL: hs.URL, Token: simtest.DefaultToken, Sim: sim}
	n := newNetFixture(t, s)
	mustDo(t, s, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth1), map[string]any{"enabled": false}, http.StatusOK)
	// NullBooleanSelect: only these spellings are read; anything else is
	// "unknown" and the filter is not applied (never a 400).
	tests := []struct {
		value string
		want  int
	}{
		{"true", 2}, {"True", 2}, {"2", 2},
		{"false", 1}, {"False", 1}, {"3", 1},
		{"1", 3}, {"0", 3}, {"yes", 3}, {"TRUE", 3}, {"", 3},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			assert.Equal(t, tc.want, list(t, s, "/api/dcim/interfaces/?enabled="+tc.value).Count)
		})
	}
	t.Run("the last value counts", func(t *testing.T) {
		assert.Equal(t, 1, list(t, s, "/api/dcim/interfaces/?enabled=true&enabled=false").Count)
	})
}

func TestFieldsParameter(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	id := create(t, s, "dcim/devices", device(f, "h1"))
	tests := []struct {
		path string
		want []string
	}{
		{"/api/dcim/devices/?fields=id,name", []string{"id", "name"}},
		{"/api/dcim/devices/?fields=name,id,nothing", []string{"id", "name"}},
		{"/api/dcim/devices/?fields=id,%20name", []string{"id"}}, // split on "," only
		{"/api/dcim/devices/?fields=nothing", []string{}},
		{"/api/dcim/devices/?fields=id,site&brief=1", []string{"id", "site"}},
		{"/api/dcim/devices/?fields=&brief=1", []string{"id", "url", "display", "name", "description"}},
		{"/api/dcim/devices/?fields=id,name&fields=serial", []string{"serial"}},
		{"/api/dcim/sites/?fields=name,device_count", []string{"name", "device_count"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := list(t, s, tc.path)
			require.Len(t, p.Results, 1)
			assert.ElementsMatch(t, tc.want, keysOf(p.Results[0]))
		})
	}
	t.Run("detail", func(t *testing.T) {
		got := mustDo(t, s, "GET", simtest.Path("dcim/devices", id)+"?fields=id,site", nil, http.StatusOK)
		assert.ElementsMatch(t, []string{"id", "site"}, keysOf(got))
		assert.ElementsMatch(t, []string{"id", "url", "display", "name", "slug", "description"},
			keysOf(got["site"].(map[string]any)), "nested objects stay brief")
	})
}

func TestAcceptVersion(t *testing.T) {
	t.Parallel()
	s := start(t)
	s46 := simtest.Start(t, netboxsim.Options{Version: "4.6"})
	tests := []struct {
		name   string
		srv    *simtest.Server
		accept string
		auth   bool
		status int
		want   string
	}{
		{"no Accept", s, "", true, 200, ""},
		{"the served version", s, "application/json; version=4.3", true, 200, ""},
		{"another version", s, "application/json; version=4.2", true, 406, `Invalid version in \"Accept\" header.`},
		{"a patch version", s, "application/json; version=4.3.7", true, 406, `Invalid version in \"Accept\" header.`},
		{"any type with a version", s, "*/*; version=4.6", true, 406, `Invalid version in \"Accept\" header.`},
		{"before authentication", s, "application/json; version=4.2", false, 406, `Invalid version in \"Accept\" header.`},
		{"a type NetBox does not render", s, "application/xml", true, 406, "Could not satisfy the request Accept header."},
		{"one of several", s, "application/xml, application/json;q=0.9", true, 200, ""},
		{"4.6 serves 4.6", s46, "application/json; version=4.6", true, 200, ""},
		{"4.6 refuses 4.3", s46, "application/json; version=4.3", true, 406, `Invalid version in \"Accept\" header.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tc.srv.URL+"/api/dcim/sites/", nil)
			require.NoError(t, err)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			if tc.auth {
				req.Header.Set("Authorization", "Token "+tc.srv.Token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode, "%s", data)
			if tc.want != "" {
				assert.JSONEq(t, `{"detail": "`+tc.want+`"}`, string(data))
			}
		})
	}
}

// TestSyncLimits covers the model validation a sync must meet before it
// sends (NetBox 4.3.7: netbox/models/__init__.py, dcim/models/
// device_components.py, virtualization/models/virtualmachines.py,
// dcim/models/devices.py Device.clean).
func TestSyncLimits(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	ct := create(t, s, "virtualization/cluster-types", map[string]any{"name": "Docker", "slug": "docker"})
	c := create(t, s, "virtualization/clusters", map[string]any{"name": "c1", "type": ct})
	other := create(t, s, "dcim/manufacturers", map[string]any{"name": "Other", "slug": "other"})
	bound := create(t, s, "dcim/platforms", map[string]any{"name": "Ubuntu", "slug": "ubuntu", "manufacturer": other})
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []postCase{
		{"VM name at most 64", "virtualization/virtual-machines", map[string]any{"name": long(65), "cluster": c},
			`{"name": ["Ensure this field has no more than 64 characters."]}`},
		{"VM name of 64", "virtualization/virtual-machines", map[string]any{"name": long(64), "cluster": c}, ""},
		{"VM description at most 200", "virtualization/virtual-machines",
			map[string]any{"name": "d", "cluster": c, "description": long(201)},
			`{"description": ["Ensure this field has no more than 200 characters."]}`},
		{"interface name at most 64", "dcim/interfaces", iface(n.dev1, long(65), "1000base-t"),
			`{"name": ["Ensure this field has no more than 64 characters."]}`},
		{"MTU at least 1", "dcim/interfaces", merge(iface(n.dev1, "m0", "1000base-t"), map[string]any{"mtu": 0}),
			`{"mtu": ["Ensure this value is greater than or equal to 1."]}`},
		{"MTU at most 65536", "dcim/interfaces", merge(iface(n.dev1, "m1", "1000base-t"), map[string]any{"mtu": 65537}),
			`{"mtu": ["Ensure this value is less than or equal to 65536."]}`},
		{"MTU 65536", "dcim/interfaces", merge(iface(n.dev1, "m2", "1000base-t"), map[string]any{"mtu": 65536}), ""},
		{"a platform of another manufacturer", "dcim/devices", merge(device(n.f, "h9"), map[string]any{"platform": bound}),
			`{"platform": ["The assigned platform is limited to Other device types, but this device's type belongs to Manufacturer 1."]}`},
	}
	runPosts(t, s, cases)
}

func TestPlatformUniqueness(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.3", "4.4"} {
		t.Run(version, func(t *testing.T) {
			s := simtest.Start(t, netboxsim.Options{Version: version})
			a := create(t, s, "dcim/manufacturers", map[string]any{"name": "A", "slug": "a"})
			b := create(t, s, "dcim/manufacturers", map[string]any{"name": "B", "slug": "b"})
			create(t, s, "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux", "manufacturer": a})
			create(t, s, "dcim/platforms", map[string]any{"name": "BSD", "slug": "bsd"})
			want43 := map[string]string{
				"same name and slug, another manufacturer": `{"name": ["platform with this name already exists."], "slug": ["platform with this slug already exists."]}`,
				"same name and slug, same manufacturer":    `{"name": ["platform with this name already exists."], "slug": ["platform with this slug already exists."]}`,
				"same name and slug, no manufacturer":      `{"name": ["platform with this name already exists."], "slug": ["platform with this slug already exists."]}`,
			}
			want44 := map[string]string{
				"same name and slug, another manufacturer": "",
				"same name and slug, same manufacturer":    `{"__all__": ["Platform with this Manufacturer and Name already exists.", "Platform with this Manufacturer and Slug already exists."]}`,
				"same name and slug, no manufacturer":      `{"__all__": ["Platform name must be unique.", "Platform slug must be unique."]}`,
			}
			want := want43
			if version == "4.4" {
				want = want44
			}
			runPosts(t, s, []postCase{
				{"same name and slug, another manufacturer", "dcim/platforms",
					map[string]any{"name": "Linux", "slug": "linux", "manufacturer": b}, want["same name and slug, another manufacturer"]},
				{"same name and slug, same manufacturer", "dcim/platforms",
					map[string]any{"name": "Linux", "slug": "linux", "manufacturer": a}, want["same name and slug, same manufacturer"]},
				{"same name and slug, no manufacturer", "dcim/platforms",
					map[string]any{"name": "BSD", "slug": "bsd"}, want["same name and slug, no manufacturer"]},
			})
		})
	}
}

func TestVMHostDevice(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.5", "4.6"} {
		t.Run(version, func(t *testing.T) {
			s := simtest.Start(t, netboxsim.Options{Version: version})
			f := s.Seed(t)
			standalone := s.Device(t, f, "host1")
			ct := create(t, s, "virtualization/cluster-types", map[string]any{"name": "Docker", "slug": "docker"})
			c := create(t, s, "virtualization/clusters", map[string]any{"name": "c1", "type": ct})
			clustered := create(t, s, "dcim/devices", merge(device(f, "host2"), map[string]any{"cluster": c}))
			other := create(t, s, "dcim/sites", map[string]any{"name": "Other", "slug": "other"})
			cases := map[string][]postCase{
				"4.5": {
					{"a host without a cluster", "virtualization/virtual-machines", map[string]any{"name": "a", "device": standalone},
						`{"cluster": ["A virtual machine must be assigned to a site and/or cluster."]}`},
					{"a host and a site without a cluster", "virtualization/virtual-machines",
						map[string]any{"name": "a", "device": standalone, "site": f.SiteID},
						`{"device": ["Must specify a cluster when assigning a host device."]}`},
				},
				"4.6": {
					{"a standalone host without a cluster", "virtualization/virtual-machines", map[string]any{"name": "a", "device": standalone}, ""},
					{"nothing at all", "virtualization/virtual-machines", map[string]any{"name": "b"},
						`{"__all__": ["A virtual machine must be assigned to a site, cluster, or device."]}`},
					{"a host in a cluster needs that cluster", "virtualization/virtual-machines", map[string]any{"name": "b", "device": clustered},
						`{"cluster": ["Must specify the assigned device's cluster (c1) when assigning host device host2."]}`},
					{"a host in another site", "virtualization/virtual-machines",
						map[string]any{"name": "b", "device": standalone, "site": other},
						`{"site": ["The selected device (host1) is not assigned to this site (Other)."]}`},
				},
			}
			runPosts(t, s, cases[version])
			if version == "4.6" {
				p := list(t, s, "/api/virtualization/virtual-machines/?name=a")
				require.Len(t, p.Results, 1)
				assert.Equal(t, float64(f.SiteID), p.Results[0]["site"].(map[string]any)["id"], "the site comes from the device")
			}
		})
	}
}
