package netboxsim_test

// Contract tests of VRFs and IP ranges, and what they do to IP addresses
// (NetBox 4.3.7: ipam/models/vrfs.py, ipam/models/ip.py IPRange and
// IPAddress.clean, ipam/filtersets.py).

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVRFs(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	blue := create(t, s, "ipam/vrfs", map[string]any{"name": "blue", "rd": "65000:1"})
	loose := create(t, s, "ipam/vrfs", map[string]any{"name": "loose", "enforce_unique": false})
	create(t, s, "ipam/ip-addresses", ipOn("10.1.0.1/24", n.eth0))
	create(t, s, "ipam/ip-addresses", merge(ipOn("10.1.0.1/24", n.eth1), map[string]any{"vrf": blue}))
	create(t, s, "ipam/ip-addresses", merge(ipOn("10.1.0.1/24", n.eth9), map[string]any{"vrf": loose}))

	cases := []postCase{
		{"rd is unique", "ipam/vrfs", map[string]any{"name": "other", "rd": "65000:1"},
			`{"rd": ["VRF with this route distinguisher already exists."]}`},
		{"names need not be unique", "ipam/vrfs", map[string]any{"name": "blue"}, ""},
		{"rd at most 21 characters", "ipam/vrfs", map[string]any{"name": "x", "rd": "0123456789012345678901"},
			`{"rd": ["Ensure this field has no more than 21 characters."]}`},
		{"global table is unique", "ipam/ip-addresses", map[string]any{"address": "10.1.0.1/16"},
			`{"address": ["Duplicate IP address found in global table: 10.1.0.1/24"]}`},
		{"a VRF with enforce_unique is unique", "ipam/ip-addresses",
			map[string]any{"address": "10.1.0.1/32", "vrf": blue},
			`{"address": ["Duplicate IP address found in VRF blue (65000:1): 10.1.0.1/24"]}`},
		{"a VRF without enforce_unique takes copies", "ipam/ip-addresses",
			map[string]any{"address": "10.1.0.1/24", "vrf": loose}, ""},
		{"another VRF is another space", "ipam/ip-addresses",
			map[string]any{"address": "10.1.0.2/24", "vrf": blue}, ""},
	}
	runPosts(t, s, cases)

	t.Run("representation", func(t *testing.T) {
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/ipam/vrfs/%d/", blue), nil, http.StatusOK)
		assert.Equal(t, "blue (65000:1)", got["display"])
		assert.Equal(t, true, got["enforce_unique"])
		assert.Equal(t, float64(2), got["ipaddress_count"])
		ip := list(t, s, fmt.Sprintf("/api/ipam/ip-addresses/?vrf_id=%d&address=10.1.0.1", blue)).Results
		require.Len(t, ip, 1)
		assert.Equal(t, "blue (65000:1)", ip[0]["vrf"].(map[string]any)["display"])
	})
	filters := []struct {
		path string
		want int
	}{
		// ?address= finds the copies in every VRF.
		{"/api/ipam/ip-addresses/?address=10.1.0.1", 4},
		{"/api/ipam/ip-addresses/?address=10.1.0.1&vrf_id=null", 1},
		{fmt.Sprintf("/api/ipam/ip-addresses/?address=10.1.0.1&vrf_id=%d", loose), 2},
		{"/api/ipam/ip-addresses/?vrf=65000:1", 2},
		{"/api/ipam/vrfs/?enforce_unique=false", 1},
		{"/api/ipam/vrfs/?name=blue", 2},
		{"/api/ipam/vrfs/?q=65000", 1},
	}
	for _, tc := range filters {
		t.Run(tc.path, func(t *testing.T) { assert.Equal(t, tc.want, list(t, s, tc.path).Count) })
	}
	t.Run("a VRF in use is protected", func(t *testing.T) {
		status, data := s.Do(t, "DELETE", fmt.Sprintf("/api/ipam/vrfs/%d/", blue), nil)
		assert.Equal(t, http.StatusConflict, status, "%s", data)
	})
}

func TestIPRanges(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	blue := create(t, s, "ipam/vrfs", map[string]any{"name": "blue"})
	before := create(t, s, "ipam/ip-addresses", ipOn("10.2.0.50/24", n.eth0))
	full := create(t, s, "ipam/ip-ranges", map[string]any{
		"start_address": "10.2.0.10/24", "end_address": "10.2.0.100/24", "mark_populated": true})
	create(t, s, "ipam/ip-ranges", map[string]any{
		"start_address": "10.3.0.10/24", "end_address": "10.3.0.20/24", "vrf": blue, "mark_populated": true})
	create(t, s, "ipam/ip-ranges", map[string]any{"start_address": "10.4.0.1/24", "end_address": "10.4.0.9/24"})

	cases := []postCase{
		{"inside a populated range", "ipam/ip-addresses", ipOn("10.2.0.20/24", n.eth0),
			`{"address": ["Cannot create IP address 10.2.0.20/24 inside range 10.2.0.10-100/24."]}`},
		{"the range's ends are inside", "ipam/ip-addresses", map[string]any{"address": "10.2.0.100/24"},
			`{"address": ["Cannot create IP address 10.2.0.100/24 inside range 10.2.0.10-100/24."]}`},
		// inet order compares the masks before the hosts.
		{"another mask is outside", "ipam/ip-addresses", map[string]any{"address": "10.2.0.20/32"}, ""},
		{"after the range", "ipam/ip-addresses", map[string]any{"address": "10.2.0.101/24"}, ""},
		{"the range's VRF only", "ipam/ip-addresses", map[string]any{"address": "10.3.0.15/24"}, ""},
		{"in the range's VRF", "ipam/ip-addresses", map[string]any{"address": "10.3.0.16/24", "vrf": blue},
			`{"address": ["Cannot create IP address 10.3.0.16/24 inside range 10.3.0.10-20/24."]}`},
		{"not populated", "ipam/ip-addresses", map[string]any{"address": "10.4.0.5/24"}, ""},
		{"overlap", "ipam/ip-ranges", map[string]any{"start_address": "10.2.0.90/24", "end_address": "10.2.0.120/24"},
			`{"__all__": ["Defined addresses overlap with range 10.2.0.10-100/24 in VRF None"]}`},
		{"end before start", "ipam/ip-ranges", map[string]any{"start_address": "10.5.0.9/24", "end_address": "10.5.0.1/24"},
			`{"end_address": ["Ending address must be greater than the starting address (10.5.0.9/24)"]}`},
		{"masks differ", "ipam/ip-ranges", map[string]any{"start_address": "10.5.0.1/24", "end_address": "10.5.0.9/25"},
			`{"end_address": ["Starting and ending IP address masks must match"]}`},
		{"families differ", "ipam/ip-ranges", map[string]any{"start_address": "10.5.0.1/24", "end_address": "2001:db8::9/24"},
			`{"end_address": ["Starting and ending IP address versions must match"]}`},
		{"too large", "ipam/ip-ranges", map[string]any{"start_address": "2001:db8::/48", "end_address": "2001:db8:0:1::/48"},
			`{"__all__": ["Defined range exceeds maximum supported size (4294967295)"]}`},
	}
	runPosts(t, s, cases)

	t.Run("an address made before the range was populated cannot be saved", func(t *testing.T) {
		// IPAddress.clean runs on every save, not only on create.
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/ipam/ip-addresses/%d/", before), map[string]any{"description": "x"}, 400,
			`{"address": ["Cannot create IP address 10.2.0.50/24 inside range 10.2.0.10-100/24."]}`)
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/ipam/ip-ranges/%d/", full), map[string]any{"mark_populated": false}, 200, "")
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/ipam/ip-addresses/%d/", before), map[string]any{"description": "x"}, 200, "")
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/ipam/ip-ranges/%d/", full), map[string]any{"mark_populated": true}, 200, "")
	})
	t.Run("representation", func(t *testing.T) {
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/ipam/ip-ranges/%d/", full), nil, http.StatusOK)
		assert.Equal(t, "10.2.0.10-100/24", got["display"])
		assert.Equal(t, float64(91), got["size"])
		assert.Equal(t, map[string]any{"value": float64(4), "label": "IPv4"}, got["family"])
		assert.Equal(t, true, got["mark_populated"])
	})
	filters := []struct {
		path string
		want int
	}{
		{"/api/ipam/ip-ranges/?mark_populated=true", 2},
		{"/api/ipam/ip-ranges/?mark_populated=false", 1},
		{"/api/ipam/ip-ranges/?contains=10.2.0.20/24", 1},
		{"/api/ipam/ip-ranges/?contains=10.2.0.20/32", 0},
		{fmt.Sprintf("/api/ipam/ip-ranges/?vrf_id=%d", blue), 1},
		{"/api/ipam/ip-ranges/?start_address=10.4.0.1", 1},
		{"/api/ipam/ip-ranges/?family=4", 3},
		{"/api/ipam/ip-ranges/?q=10.3.", 1},
	}
	for _, tc := range filters {
		t.Run(tc.path, func(t *testing.T) { assert.Equal(t, tc.want, list(t, s, tc.path).Count) })
	}
}
