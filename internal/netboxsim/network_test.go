package netboxsim_test

// Contract tests of interfaces, MAC addresses and IP addresses. Every
// exchange goes through simtest, so it is also validated against NetBox
// 4.3's OpenAPI document; the expectations are NetBox 4.3.7's behaviour
// (sources named in models_network.go).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func iface(dev int64, name, typ string) map[string]any {
	return map[string]any{"device": dev, "name": name, "type": typ}
}

func onIface(id int64) map[string]any {
	return map[string]any{"assigned_object_type": "dcim.interface", "assigned_object_id": id}
}

func ipOn(address string, ifaceID int64) map[string]any {
	return merge(map[string]any{"address": address}, onIface(ifaceID))
}

// netFixture is two devices with interfaces.
type netFixture struct {
	f                simtest.Fixture
	dev1, dev2       int64
	eth0, eth1, eth9 int64 // eth0 and eth1 on dev1, eth9 on dev2
}

func newNetFixture(t *testing.T, s *simtest.Server) netFixture {
	t.Helper()
	var n netFixture
	n.f = s.Seed(t)
	n.dev1 = create(t, s, "dcim/devices", device(n.f, "host1"))
	n.dev2 = create(t, s, "dcim/devices", device(n.f, "host2"))
	n.eth0 = create(t, s, "dcim/interfaces", iface(n.dev1, "eth0", "1000base-t"))
	n.eth1 = create(t, s, "dcim/interfaces", iface(n.dev1, "eth1", "1000base-t"))
	n.eth9 = create(t, s, "dcim/interfaces", iface(n.dev2, "eth9", "1000base-t"))
	return n
}

// netCheck sends one request and compares the status and, when want is not
// empty, the JSON body.
func netCheck(t *testing.T, s *simtest.Server, method, path string, body any, status int, want string) {
	t.Helper()
	got, data := s.Do(t, method, path, body)
	require.Equal(t, status, got, "%s %s: %s", method, path, data)
	if want != "" {
		assert.JSONEq(t, want, string(data))
	}
}

func TestInterfaceRules(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	virt := create(t, s, "dcim/interfaces", iface(n.dev1, "vlan10", "virtual"))
	path := simtest.Path("dcim/interfaces", n.eth0)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		want   string
	}{
		{"required", "POST", "/api/dcim/interfaces/", map[string]any{}, 400,
			`{"device": ["This field is required."], "name": ["This field is required."], "type": ["This field is required."]}`},
		{"type must be a 4.3 choice", "POST", "/api/dcim/interfaces/", iface(n.dev1, "x", "100gbase-t"), 400,
			`{"type": ["100gbase-t is not a valid choice."]}`},
		{"name unique per device", "POST", "/api/dcim/interfaces/", iface(n.dev1, "eth0", "virtual"), 400,
			`{"__all__": ["Interface with this Device and Name already exists."]}`},
		{"names are case-sensitive", "POST", "/api/dcim/interfaces/", iface(n.dev1, "ETH0", "virtual"), 201, ""},
		{"same name on another device", "POST", "/api/dcim/interfaces/", iface(n.dev2, "eth0", "virtual"), 201, ""},
		{"only virtual interfaces have a parent", "POST", "/api/dcim/interfaces/",
			merge(iface(n.dev1, "eth0.5", "1000base-t"), map[string]any{"parent": n.eth0}), 400,
			`{"parent": ["Only virtual interfaces may be assigned to a parent interface."]}`},
		{"virtual interface with a parent", "POST", "/api/dcim/interfaces/",
			merge(iface(n.dev1, "eth0.10", "virtual"), map[string]any{"parent": n.eth0}), 201, ""},
		{"parent on another device", "POST", "/api/dcim/interfaces/",
			merge(iface(n.dev1, "eth9.10", "virtual"), map[string]any{"parent": n.eth9}), 400,
			`{"parent": ["The selected parent interface (eth9) belongs to a different device (host2)"]}`},
		{"own parent", "PATCH", simtest.Path("dcim/interfaces", virt), map[string]any{"parent": virt}, 400,
			`{"parent": ["An interface cannot be its own parent."]}`},
		{"virtual interfaces have no LAG", "PATCH", simtest.Path("dcim/interfaces", virt), map[string]any{"lag": n.eth0}, 400,
			`{"lag": ["Virtual interfaces cannot have a parent LAG interface."]}`},
		{"virtual interfaces are never connected", "PATCH", simtest.Path("dcim/interfaces", virt),
			map[string]any{"mark_connected": true}, 400,
			`{"mark_connected": ["Virtual interfaces cannot be marked as connected."]}`},
		{"mtu range", "PATCH", path, map[string]any{"mtu": 0}, 400,
			`{"mtu": ["Ensure this value is greater than or equal to 1."]}`},
		{"components stay on their device", "PATCH", path, map[string]any{"device": n.dev2}, 400,
			`{"device": ["Components cannot be moved to a different device."]}`},
		{"stub foreign keys take null only", "PATCH", path, map[string]any{"vrf": 1}, 400,
			`{"vrf": ["Related object not found using the provided numeric ID: 1"]}`},
		{"wireless role on a wired interface", "PATCH", path, map[string]any{"rf_role": "ap"}, 400,
			`{"rf_role": ["Wireless role may be set only on wireless interfaces."]}`},
		{"bad wwn", "PATCH", path, map[string]any{"wwn": "xyz"}, 400, `{"wwn": ["Invalid WWN format: xyz"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			netCheck(t, s, tc.method, tc.path, tc.body, tc.status, tc.want)
		})
	}

	t.Run("defaults and representation", func(t *testing.T) {
		got := mustDo(t, s, "POST", "/api/dcim/interfaces/", merge(iface(n.dev1, "eth2", "10gbase-x-sfpp"),
			map[string]any{"mtu": 9000, "description": "uplink", "label": "P2", "wwn": "50-00-00-00-00-00-00-0a"}),
			http.StatusCreated)
		assert.Equal(t, true, got["enabled"])
		assert.Equal(t, float64(9000), got["mtu"])
		assert.Equal(t, "uplink", got["description"])
		assert.Equal(t, "eth2 (P2)", got["display"])
		assert.Equal(t, "50:00:00:00:00:00:00:0A", got["wwn"])
		assert.Equal(t, map[string]any{"value": "10gbase-x-sfpp", "label": "SFP+ (10GE)"}, got["type"])
		assert.Equal(t, "host1", got["device"].(map[string]any)["name"])
		for _, k := range []string{"mac_address", "primary_mac_address", "mode", "cable", "cable_end", "parent",
			"connected_endpoints", "connected_endpoints_reachable", "link_peers_type", "vrf"} {
			assert.Nil(t, got[k], k)
		}
		for _, k := range []string{"mac_addresses", "link_peers", "tagged_vlans", "vdcs", "wireless_lans"} {
			assert.Equal(t, []any{}, got[k], k)
		}
		assert.Equal(t, float64(0), got["count_ipaddresses"])
		assert.Equal(t, false, got["_occupied"])

		child := mustDo(t, s, "GET", simtest.Path("dcim/interfaces", virt), nil, http.StatusOK)
		assert.Equal(t, "vlan10", child["name"])
		dev := mustDo(t, s, "GET", simtest.Path("dcim/devices", n.dev1), nil, http.StatusOK)
		assert.Equal(t, float64(6), dev["interface_count"])
	})
	t.Run("wireless channel fills frequency and width", func(t *testing.T) {
		got := mustDo(t, s, "POST", "/api/dcim/interfaces/", merge(iface(n.dev1, "wlan0", "ieee802.11ac"),
			map[string]any{"rf_role": "ap", "rf_channel": "5g-36-5180-20"}), http.StatusCreated)
		assert.Equal(t, float64(5180), got["rf_channel_frequency"])
		assert.Equal(t, float64(20), got["rf_channel_width"])
		netCheck(t, s, "PATCH", simtest.Path("dcim/interfaces", int64(got["id"].(float64))),
			map[string]any{"rf_channel_frequency": 5200}, 400,
			`{"rf_channel_frequency": ["Cannot specify custom frequency with channel selected."]}`)
	})
	t.Run("nested parent", func(t *testing.T) {
		sub := mustDo(t, s, "GET", "/api/dcim/interfaces/?name=eth0.10", nil, http.StatusOK)
		parent := sub["results"].([]any)[0].(map[string]any)["parent"].(map[string]any)
		assert.Equal(t, "eth0", parent["name"])
		assert.Equal(t, "host1", parent["device"].(map[string]any)["name"])
		assert.Contains(t, parent, "display_url")
		assert.Nil(t, parent["cable"])
	})
	t.Run("natural order", func(t *testing.T) {
		for _, name := range []string{"eth10", "eth3"} {
			create(t, s, "dcim/interfaces", iface(n.dev2, name, "1000base-t"))
		}
		var names []string
		for _, r := range list(t, s, fmt.Sprintf("/api/dcim/interfaces/?device_id=%d", n.dev2)).Results {
			names = append(names, r["name"].(string))
		}
		assert.Equal(t, []string{"eth0", "eth3", "eth9", "eth10"}, names)
	})
}

func TestMACAddresses(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	tests := []struct {
		name   string
		body   any
		status int
		want   string // the stored MAC, or the error body
	}{
		{"colons, lower case", map[string]any{"mac_address": "00:1a:2b:3c:4d:5e"}, 201, "00:1A:2B:3C:4D:5E"},
		{"dashes", map[string]any{"mac_address": "00-1a-2b-3c-4d-5f"}, 201, "00:1A:2B:3C:4D:5F"},
		{"cisco dots", map[string]any{"mac_address": "001a.2b3c.4d60"}, 201, "00:1A:2B:3C:4D:60"},
		{"bare", map[string]any{"mac_address": "001A2B3C4D61"}, 201, "00:1A:2B:3C:4D:61"},
		{"short words", map[string]any{"mac_address": "0:1a:2b:3c:4d:62"}, 201, "00:1A:2B:3C:4D:62"},
		{"required", map[string]any{}, 400, `{"mac_address": ["This field is required."]}`},
		{"invalid", map[string]any{"mac_address": "00:1a:2b:3c:4d"}, 400,
			`{"mac_address": ["Invalid MAC address format: 00:1a:2b:3c:4d"]}`},
		{"assignable to interfaces only", merge(map[string]any{"mac_address": "00:00:00:00:00:01"},
			map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": n.dev1}), 400,
			`{"assigned_object_type": ["Invalid content type: dcim.device"]}`},
		{"content type syntax", merge(map[string]any{"mac_address": "00:00:00:00:00:01"},
			map[string]any{"assigned_object_type": "interface"}), 400,
			`{"assigned_object_type": ["Invalid value. Specify a content type as '<app_label>.<model_name>'."]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, "POST", "/api/dcim/mac-addresses/", tc.body)
			require.Equal(t, tc.status, status, "%s", data)
			if status != 201 {
				assert.JSONEq(t, tc.want, string(data))
				return
			}
			var got map[string]any
			require.NoError(t, json.Unmarshal(data, &got))
			assert.Equal(t, tc.want, got["mac_address"])
			assert.Equal(t, tc.want, got["display"])
			assert.Nil(t, got["assigned_object"])
		})
	}

	mac := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "aa:bb:cc:00:00:01"}, onIface(n.eth0)))
	other := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "aa:bb:cc:00:00:09"}, onIface(n.eth9)))
	loose := create(t, s, "dcim/mac-addresses", map[string]any{"mac_address": "aa:bb:cc:00:00:02"})
	eth0 := simtest.Path("dcim/interfaces", n.eth0)

	t.Run("primary MAC must be assigned to the interface", func(t *testing.T) {
		netCheck(t, s, "PATCH", eth0, map[string]any{"primary_mac_address": loose}, 400,
			`{"primary_mac_address": ["MAC address AA:BB:CC:00:00:02 is not assigned to this interface."]}`)
		netCheck(t, s, "PATCH", eth0, map[string]any{"primary_mac_address": other}, 400,
			`{"primary_mac_address": ["MAC address AA:BB:CC:00:00:09 is not assigned to this interface."]}`)
		netCheck(t, s, "POST", "/api/dcim/interfaces/",
			merge(iface(n.dev1, "eth5", "1000base-t"), map[string]any{"primary_mac_address": mac}), 400,
			`{"primary_mac_address": ["MAC address AA:BB:CC:00:00:01 is not assigned to this interface."]}`)
		netCheck(t, s, "PATCH", eth0, map[string]any{"primary_mac_address": 999}, 400,
			`{"primary_mac_address": ["Related object not found using the provided numeric ID: 999"]}`)
	})
	t.Run("primary MAC", func(t *testing.T) {
		got := mustDo(t, s, "PATCH", eth0, map[string]any{"primary_mac_address": mac}, http.StatusOK)
		assert.Equal(t, "AA:BB:CC:00:00:01", got["mac_address"])
		pm := got["primary_mac_address"].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "url", "display", "mac_address", "description"}, netKeys(pm))
		assert.Equal(t, float64(mac), pm["id"])
		require.Len(t, got["mac_addresses"], 1)
		assert.Equal(t, "AA:BB:CC:00:00:01", got["mac_addresses"].([]any)[0].(map[string]any)["mac_address"])
	})
	t.Run("mac_address on an interface is read-only", func(t *testing.T) {
		got := mustDo(t, s, "PATCH", eth0, map[string]any{"mac_address": "11:22:33:44:55:66"}, http.StatusOK)
		assert.Equal(t, "AA:BB:CC:00:00:01", got["mac_address"])
		assert.Equal(t, 0, list(t, s, "/api/dcim/mac-addresses/?mac_address=11:22:33:44:55:66").Count)
	})
	t.Run("assigned object", func(t *testing.T) {
		got := mustDo(t, s, "GET", simtest.Path("dcim/mac-addresses", mac), nil, http.StatusOK)
		ao := got["assigned_object"].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "url", "display", "device", "name", "description", "cable", "_occupied"}, netKeys(ao))
		assert.Equal(t, "host1", ao["device"].(map[string]any)["name"])
		assert.Equal(t, "dcim.interface", got["assigned_object_type"])
	})
	t.Run("a primary MAC stays on its interface", func(t *testing.T) {
		path := simtest.Path("dcim/mac-addresses", mac)
		netCheck(t, s, "PATCH", path, map[string]any{"assigned_object_type": nil, "assigned_object_id": nil}, 400,
			`{"__all__": ["Cannot unassign MAC Address while it is designated as the primary MAC for an object"]}`)
		netCheck(t, s, "PATCH", path, map[string]any{"assigned_object_id": n.eth1}, 400,
			`{"__all__": ["Cannot reassign MAC Address while it is designated as the primary MAC for an object"]}`)
		netCheck(t, s, "PATCH", path, map[string]any{"description": "onboard"}, 200, "")
		// A MAC that is not primary moves freely.
		netCheck(t, s, "PATCH", simtest.Path("dcim/mac-addresses", other), onIface(n.eth1), 200, "")
		netCheck(t, s, "PATCH", simtest.Path("dcim/mac-addresses", other),
			map[string]any{"assigned_object_type": nil, "assigned_object_id": nil}, 200, "")
	})
	t.Run("a dangling assignment", func(t *testing.T) {
		// NetBox does not check that the assigned object exists; a later
		// update then fails in clean() (get_object_for_this_type raises
		// DoesNotExist, a 500).
		got := mustDo(t, s, "POST", "/api/dcim/mac-addresses/", map[string]any{"mac_address": "aa:bb:cc:00:00:0f",
			"assigned_object_type": "virtualization.vminterface", "assigned_object_id": 5}, http.StatusCreated)
		assert.Nil(t, got["assigned_object"])
		status, data := s.Do(t, "PATCH", fmt.Sprintf("/api/dcim/mac-addresses/%v/", got["id"]), map[string]any{"description": "x"})
		require.Equal(t, http.StatusInternalServerError, status, "%s", data)
		assert.Contains(t, string(data), `"exception":"DoesNotExist"`)
		assert.Contains(t, string(data), "VMInterface matching query does not exist.")
	})
	t.Run("deleting the primary MAC clears it", func(t *testing.T) {
		spare := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "aa:bb:cc:00:00:03"}, onIface(n.eth1)))
		eth1 := simtest.Path("dcim/interfaces", n.eth1)
		mustDo(t, s, "PATCH", eth1, map[string]any{"primary_mac_address": spare}, http.StatusOK)
		mustDo(t, s, "DELETE", simtest.Path("dcim/mac-addresses", spare), nil, http.StatusNoContent)
		got := mustDo(t, s, "GET", eth1, nil, http.StatusOK)
		assert.Nil(t, got["primary_mac_address"])
		assert.Nil(t, got["mac_address"])
	})
}

func TestIPAddressRules(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	create(t, s, "ipam/ip-addresses", ipOn("192.0.2.10/24", n.eth0))
	create(t, s, "ipam/ip-addresses", map[string]any{"address": "198.51.100.7/32", "role": "vip"})
	tests := []struct {
		name   string
		body   any
		status int
		want   string // the stored address, or the error body
	}{
		{"required", map[string]any{}, 400, `{"address": ["This field is required."]}`},
		{"blank", map[string]any{"address": " "}, 400, `{"address": ["This field may not be blank."]}`},
		{"no mask is a host", map[string]any{"address": "192.0.2.20"}, 201, "192.0.2.20/32"},
		{"netmask", map[string]any{"address": "192.0.2.21/255.255.255.0"}, 201, "192.0.2.21/24"},
		{"IPv6 is written compactly", map[string]any{"address": "2001:DB8:0:0::0001/64"}, 201, "2001:db8::1/64"},
		{"/0 is refused", map[string]any{"address": "192.0.2.30/0"}, 400,
			`{"address": ["Cannot create IP address with /0 mask."]}`},
		{"duplicate host, other mask", map[string]any{"address": "192.0.2.10/32"}, 400,
			`{"address": ["Duplicate IP address found in global table: 192.0.2.10/24"]}`},
		{"duplicate of a VIP without a role", map[string]any{"address": "198.51.100.7/24"}, 400,
			`{"address": ["Duplicate IP address found in global table: 198.51.100.7/32"]}`},
		{"VIPs may share an address", map[string]any{"address": "198.51.100.7/24", "role": "vip"}, 201, "198.51.100.7/24"},
		{"network ID on an interface", ipOn("192.0.2.0/24", n.eth1), 400,
			`{"__all__": ["192.0.2.0 is a network ID, which may not be assigned to an interface."]}`},
		{"broadcast on an interface", ipOn("192.0.2.255/24", n.eth1), 400,
			`{"__all__": ["192.0.2.255 is a broadcast address, which may not be assigned to an interface."]}`},
		{"network ID unassigned", map[string]any{"address": "203.0.113.0/24"}, 201, "203.0.113.0/24"},
		{"/31 on an interface", ipOn("203.0.113.254/31", n.eth1), 201, "203.0.113.254/31"},
		{"SLAAC is IPv6 only", map[string]any{"address": "192.0.2.40/24", "status": "slaac"}, 400,
			`{"status": ["Only IPv6 addresses can be assigned SLAAC status"]}`},
		{"bad status", map[string]any{"address": "192.0.2.41/24", "status": "up"}, 400,
			`{"status": ["up is not a valid choice."]}`},
		{"assignable models", map[string]any{"address": "192.0.2.42/24", "assigned_object_type": "dcim.device",
			"assigned_object_id": n.dev1}, 400, `{"assigned_object_type": ["Invalid content type: dcim.device"]}`},
		{"bad DNS name", map[string]any{"address": "192.0.2.43/24", "dns_name": "a b"}, 400,
			`{"dns_name": ["Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, "POST", "/api/ipam/ip-addresses/", tc.body)
			require.Equal(t, tc.status, status, "%s", data)
			if status != 201 {
				assert.JSONEq(t, tc.want, string(data))
				return
			}
			var got map[string]any
			require.NoError(t, json.Unmarshal(data, &got))
			assert.Equal(t, tc.want, got["address"])
			assert.Equal(t, tc.want, got["display"])
		})
	}

	t.Run("an unreadable address is a server error in 4.3", func(t *testing.T) {
		// IPAddressField.to_internal_value formats its message with a
		// positional argument for a named field: KeyError('data').
		for _, addr := range []string{"192.0.2.300/24", "fe80::1%eth0/64", "192.0.2.1/33", "host"} {
			status, data := s.Do(t, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": addr})
			require.Equal(t, http.StatusInternalServerError, status, addr)
			var body map[string]any
			require.NoError(t, json.Unmarshal(data, &body))
			assert.Equal(t, "KeyError", body["exception"])
			assert.Equal(t, "'data'", body["error"])
		}
		assert.Equal(t, 0, list(t, s, "/api/ipam/ip-addresses/?address=192.0.2.1").Count)
	})
	t.Run("representation", func(t *testing.T) {
		got := mustDo(t, s, "POST", "/api/ipam/ip-addresses/",
			merge(ipOn("2001:db8::10/64", n.eth0), map[string]any{"dns_name": "Host1.Example.COM"}), http.StatusCreated)
		assert.Equal(t, map[string]any{"value": float64(6), "label": "IPv6"}, got["family"])
		assert.Equal(t, map[string]any{"value": "active", "label": "Active"}, got["status"])
		assert.Nil(t, got["role"])
		assert.Equal(t, "host1.example.com", got["dns_name"])
		assert.Equal(t, []any{}, got["nat_outside"])
		ao := got["assigned_object"].(map[string]any)
		assert.Equal(t, "eth0", ao["name"])
		assert.Equal(t, "host1", ao["device"].(map[string]any)["name"])
		eth0 := mustDo(t, s, "GET", simtest.Path("dcim/interfaces", n.eth0), nil, http.StatusOK)
		assert.Equal(t, float64(2), eth0["count_ipaddresses"])
	})
	t.Run("unassigning takes both nulls", func(t *testing.T) {
		id := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.50/24", n.eth1))
		got := mustDo(t, s, "PATCH", simtest.Path("ipam/ip-addresses", id),
			map[string]any{"assigned_object_type": nil, "assigned_object_id": nil}, http.StatusOK)
		assert.Nil(t, got["assigned_object"])
		assert.Nil(t, got["assigned_object_type"])
	})
	t.Run("inet order", func(t *testing.T) {
		var got []string
		for _, r := range list(t, s, "/api/ipam/ip-addresses/?limit=100").Results {
			got = append(got, r["address"].(string))
		}
		// PostgreSQL compares the bits both masks cover, then the mask.
		assert.Equal(t, []string{"192.0.2.10/24", "192.0.2.21/24", "192.0.2.50/24", "192.0.2.20/32",
			"198.51.100.7/24", "198.51.100.7/32", "203.0.113.0/24", "203.0.113.254/31", "2001:db8::1/64",
			"2001:db8::10/64"}, got)
	})
}

func TestPrimaryIPs(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	ip4 := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.10/24", n.eth0))
	ip6 := create(t, s, "ipam/ip-addresses", ipOn("2001:db8::10/64", n.eth0))
	far := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.99/24", n.eth9))
	loose := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.77/24"})
	dev1 := simtest.Path("dcim/devices", n.dev1)
	ip4Path := simtest.Path("ipam/ip-addresses", ip4)

	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"IP of another device", map[string]any{"primary_ip4": far},
			`{"primary_ip4": ["The specified IP address (192.0.2.99/24) is not assigned to this device."]}`},
		{"unassigned IP", map[string]any{"primary_ip4": loose},
			`{"primary_ip4": ["The specified IP address (192.0.2.77/24) is not assigned to this device."]}`},
		{"wrong family", map[string]any{"primary_ip4": ip6}, `{"primary_ip4": ["2001:db8::10/64 is not an IPv4 address."]}`},
		{"wrong family for v6", map[string]any{"primary_ip6": ip4}, `{"primary_ip6": ["192.0.2.10/24 is not an IPv6 address."]}`},
		{"OOB IP of another device", map[string]any{"oob_ip": far},
			`{"oob_ip": ["The specified IP address (192.0.2.99/24) is not assigned to this device."]}`},
		{"missing IP", map[string]any{"primary_ip4": 999},
			`{"primary_ip4": ["Related object not found using the provided numeric ID: 999"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			netCheck(t, s, "PATCH", dev1, tc.body, 400, tc.want)
		})
	}

	t.Run("set and render", func(t *testing.T) {
		got := mustDo(t, s, "PATCH", dev1, map[string]any{"primary_ip4": ip4, "primary_ip6": ip6, "oob_ip": ip4},
			http.StatusOK)
		p4 := got["primary_ip4"].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "url", "display", "family", "address", "description"}, netKeys(p4))
		assert.Equal(t, "192.0.2.10/24", p4["address"])
		assert.Equal(t, map[string]any{"value": float64(4), "label": "IPv4"}, p4["family"])
		assert.Equal(t, "2001:db8::10/64", got["primary_ip"].(map[string]any)["address"], "IPv6 first")
		assert.Equal(t, "192.0.2.10/24", got["oob_ip"].(map[string]any)["address"])
		assert.Equal(t, 1, list(t, s, fmt.Sprintf("/api/dcim/devices/?primary_ip4_id=%d", ip4)).Count)
	})
	t.Run("primary IP guard", func(t *testing.T) {
		const guard = `{"__all__": ["Cannot reassign IP address while it is designated as the primary IP for the parent object"]}`
		netCheck(t, s, "PATCH", ip4Path, map[string]any{"assigned_object_type": nil, "assigned_object_id": nil}, 400, guard)
		netCheck(t, s, "PATCH", ip4Path, onIface(n.eth9), 400, guard)
		netCheck(t, s, "PATCH", simtest.Path("ipam/ip-addresses", ip6), onIface(n.eth9), 400, guard)
		netCheck(t, s, "PATCH", ip4Path, map[string]any{"description": "mgmt"}, 200, "")
		// Another interface of the same device is the same parent.
		got := mustDo(t, s, "PATCH", ip4Path, onIface(n.eth1), http.StatusOK)
		assert.Equal(t, "eth1", got["assigned_object"].(map[string]any)["name"])
		// The OOB IP is not guarded: only primary_ip4/primary_ip6 are.
		mustDo(t, s, "PATCH", dev1, map[string]any{"primary_ip4": nil}, http.StatusOK)
		got = mustDo(t, s, "PATCH", ip4Path, onIface(n.eth9), http.StatusOK)
		assert.Equal(t, "host2", got["assigned_object"].(map[string]any)["device"].(map[string]any)["name"])
		dev := mustDo(t, s, "GET", dev1, nil, http.StatusOK)
		assert.Nil(t, dev["primary_ip4"])
		assert.NotNil(t, dev["oob_ip"], "moving the IP leaves oob_ip pointing at it")
	})
	t.Run("a new device may take any interface's IP", func(t *testing.T) {
		// Device.vc_interfaces() is unfiltered while the device has no pk.
		got := mustDo(t, s, "POST", "/api/dcim/devices/", merge(device(n.f, "host3"), map[string]any{"primary_ip4": far}),
			http.StatusCreated)
		assert.Equal(t, "192.0.2.99/24", got["primary_ip4"].(map[string]any)["address"])
		netCheck(t, s, "POST", "/api/dcim/devices/", merge(device(n.f, "host4"), map[string]any{"primary_ip4": far}), 400,
			`{"primary_ip4": ["Device with this Primary IPv4 already exists."]}`)
		netCheck(t, s, "POST", "/api/dcim/devices/", merge(device(n.f, "host4"), map[string]any{"primary_ip4": loose}), 400,
			`{"primary_ip4": ["The specified IP address (192.0.2.77/24) is not assigned to this device."]}`)
	})
	t.Run("deleting a primary IP clears it", func(t *testing.T) {
		mustDo(t, s, "DELETE", simtest.Path("ipam/ip-addresses", ip6), nil, http.StatusNoContent)
		dev := mustDo(t, s, "GET", dev1, nil, http.StatusOK)
		assert.Nil(t, dev["primary_ip6"])
		assert.Nil(t, dev["primary_ip"])
	})
}

func TestNetworkFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	virt := create(t, s, "dcim/interfaces", merge(iface(n.dev1, "br0", "bridge"), map[string]any{"enabled": false}))
	a := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.10/24", n.eth0))
	b := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.11/24", n.eth1))
	c := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.12/25", n.eth9))
	d := create(t, s, "ipam/ip-addresses", map[string]any{"address": "2001:db8::1/64", "status": "reserved"})
	m1 := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "AA:BB:CC:00:00:01"}, onIface(n.eth0)))
	m2 := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "AA:BB:CC:00:00:02"}, onIface(n.eth9)))
	m3 := create(t, s, "dcim/mac-addresses", map[string]any{"mac_address": "AA:BB:CC:00:00:03"})
	ifaceType := s.Sim.ContentTypeID("dcim.interface")
	require.NotZero(t, ifaceType)

	tests := []struct {
		path string
		want []int64
	}{
		{fmt.Sprintf("/api/dcim/interfaces/?device_id=%d", n.dev2), []int64{n.eth9}},
		{fmt.Sprintf("/api/dcim/interfaces/?device_id=%d&device_id=%d", n.dev1, n.dev2), []int64{virt, n.eth0, n.eth1, n.eth9}},
		{"/api/dcim/interfaces/?device=host1", []int64{virt, n.eth0, n.eth1}},
		{"/api/dcim/interfaces/?name=eth0", []int64{n.eth0}},
		{"/api/dcim/interfaces/?name=ETH0", nil},
		{"/api/dcim/interfaces/?name=eth0&name=eth9", []int64{n.eth0, n.eth9}},
		{"/api/dcim/interfaces/?type=bridge", []int64{virt}},
		{"/api/dcim/interfaces/?enabled=false", []int64{virt}},
		{"/api/dcim/interfaces/?kind=virtual", []int64{virt}},
		{"/api/dcim/interfaces/?mac_address=aa-bb-cc-00-00-02", []int64{n.eth9}},
		{"/api/dcim/interfaces/?q=br", []int64{virt}},

		{"/api/ipam/ip-addresses/?address=192.0.2.10/24", []int64{a}},
		{"/api/ipam/ip-addresses/?address=192.0.2.10/32", nil},
		{"/api/ipam/ip-addresses/?address=192.0.2.10", []int64{a}},
		{"/api/ipam/ip-addresses/?address=192.0.2.10&address=192.0.2.12/25", []int64{a, c}},
		{"/api/ipam/ip-addresses/?address=nonsense", nil},
		{"/api/ipam/ip-addresses/?address=2001:db8::1", []int64{d}},
		{fmt.Sprintf("/api/ipam/ip-addresses/?device_id=%d", n.dev1), []int64{a, b}},
		{fmt.Sprintf("/api/ipam/ip-addresses/?device_id=%d&device_id=%d", n.dev1, n.dev2), []int64{a, b, c}},
		{"/api/ipam/ip-addresses/?device_id=999", nil},
		{"/api/ipam/ip-addresses/?device=host2", []int64{c}},
		{"/api/ipam/ip-addresses/?device=nobody", nil},
		{fmt.Sprintf("/api/ipam/ip-addresses/?interface_id=%d", n.eth1), []int64{b}},
		{"/api/ipam/ip-addresses/?interface=eth9", []int64{c}},
		{fmt.Sprintf("/api/ipam/ip-addresses/?assigned_object_type=%d&assigned_object_id=%d", ifaceType, n.eth0), []int64{a}},
		{"/api/ipam/ip-addresses/?family=6", []int64{d}},
		{"/api/ipam/ip-addresses/?status=reserved", []int64{d}},
		{"/api/ipam/ip-addresses/?mask_length=25", []int64{c}},
		{"/api/ipam/ip-addresses/?parent=192.0.2.0/28", []int64{a, b, c}},
		{"/api/ipam/ip-addresses/?assigned_to_interface=false", []int64{d}},
		// q: the address's text, mask included, starts with the value
		// (any case), or the DNS name or description contains it.
		{"/api/ipam/ip-addresses/?q=192.0.2.1", []int64{a, b, c}},
		{"/api/ipam/ip-addresses/?q=192.0.2.10/2", []int64{a}},
		{"/api/ipam/ip-addresses/?q=2001:DB8:", []int64{d}},
		{"/api/ipam/ip-addresses/?q=0.2.10", nil},

		{"/api/dcim/mac-addresses/?mac_address=aa:bb:cc:00:00:01", []int64{m1}},
		{"/api/dcim/mac-addresses/?mac_address=aabb.cc00.0002&mac_address=AA-BB-CC-00-00-03", []int64{m2, m3}},
		{"/api/dcim/mac-addresses/?mac_address=aa:bb:cc:00:00:01&mac_address=junk", nil},
		{fmt.Sprintf("/api/dcim/mac-addresses/?interface_id=%d", n.eth9), []int64{m2}},
		{fmt.Sprintf("/api/dcim/mac-addresses/?device_id=%d", n.dev1), []int64{m1}},
		{"/api/dcim/mac-addresses/?device_id=999", nil},
		{fmt.Sprintf("/api/dcim/mac-addresses/?assigned_object_type=%d", ifaceType), []int64{m1, m2}},
		{"/api/dcim/mac-addresses/?q=00:03", []int64{m3}},

		// The lookups NetBox adds to each filter: numeric ones on numbers,
		// __n on foreign keys and choices; __n keeps nulls, as exclude() does.
		{fmt.Sprintf("/api/dcim/interfaces/?device_id__n=%d", n.dev1), []int64{n.eth9}},
		{fmt.Sprintf("/api/dcim/interfaces/?id__gt=%d", n.eth1), []int64{virt, n.eth9}},
		{fmt.Sprintf("/api/dcim/interfaces/?id__gte=%d&id__lte=%d", n.eth1, n.eth9), []int64{n.eth1, n.eth9}},
		{fmt.Sprintf("/api/dcim/interfaces/?id__lt=%d&id__lt=%d", n.eth0, n.eth1), []int64{n.eth0}}, // values ORed
		{"/api/dcim/interfaces/?type__n=bridge", []int64{n.eth0, n.eth1, n.eth9}},
		{"/api/dcim/interfaces/?name__gt=x", []int64{virt, n.eth0, n.eth1, n.eth9}}, // no such lookup: ignored
		{"/api/ipam/ip-addresses/?status__n=active", []int64{d}},
		{fmt.Sprintf("/api/ipam/ip-addresses/?id__lt=%d", b), []int64{a}},
		{fmt.Sprintf("/api/ipam/ip-addresses/?assigned_object_id__n=%d", n.eth0), []int64{b, c, d}},
		{fmt.Sprintf("/api/dcim/mac-addresses/?id__n=%d&id__n=%d", m1, m2), []int64{m3}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if tc.want == nil {
				tc.want = []int64{}
			}
			assert.Equal(t, tc.want, ids(list(t, s, tc.path)))
		})
	}

	const badType = `["Select a valid choice. That choice is not one of the available choices."]`
	bad := []struct {
		path, want string
	}{
		{"/api/dcim/interfaces/?device_id=999", `{"device_id": ["Select a valid choice. 999 is not one of the available choices."]}`},
		{"/api/dcim/interfaces/?device=nobody", `{"device": ["Select a valid choice. nobody is not one of the available choices."]}`},
		{"/api/dcim/interfaces/?type=ethernet", `{"type": ["Select a valid choice. ethernet is not one of the available choices."]}`},
		{"/api/ipam/ip-addresses/?device_id=abc", `{"device_id": ["Enter a whole number."]}`},
		{"/api/ipam/ip-addresses/?interface_id=999", `{"interface_id": ["Select a valid choice. 999 is not one of the available choices."]}`},
		{"/api/ipam/ip-addresses/?assigned_object_type=dcim.interface", `{"assigned_object_type": ` + badType + `}`},
		{"/api/ipam/ip-addresses/?family=four", `{"family": ["Enter a number."]}`},
		{"/api/dcim/mac-addresses/?assigned_object_type=dcim.interface", `{"assigned_object_type": ` + badType + `}`},
		{"/api/dcim/mac-addresses/?assigned_object_type=99999", `{"assigned_object_type": ` + badType + `}`},
		{"/api/dcim/mac-addresses/?interface_id=999", `{"interface_id": ["Select a valid choice. 999 is not one of the available choices."]}`},
		{"/api/dcim/interfaces/?device_id__n=999", `{"device_id__n": ["Select a valid choice. 999 is not one of the available choices."]}`},
		{"/api/dcim/interfaces/?type__n=ethernet", `{"type__n": ["Select a valid choice. ethernet is not one of the available choices."]}`},
		{"/api/dcim/interfaces/?id__gt=abc", `{"id__gt": ["Enter a whole number."]}`},
	}
	for _, tc := range bad {
		t.Run(tc.path, func(t *testing.T) {
			netCheck(t, s, "GET", tc.path, nil, 400, tc.want)
		})
	}
}

func TestNetworkBrief(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	create(t, s, "ipam/ip-addresses", ipOn("192.0.2.10/24", n.eth0))
	create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "02:00:00:00:00:01"}, onIface(n.eth0)))
	tests := []struct {
		path string
		want []string
	}{
		{"/api/dcim/interfaces/?brief=1", []string{"id", "url", "display", "device", "name", "description", "cable", "_occupied"}},
		{"/api/ipam/ip-addresses/?brief=1", []string{"id", "url", "display", "family", "address", "description"}},
		{"/api/dcim/mac-addresses/?brief=1", []string{"id", "url", "display", "mac_address", "description"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := list(t, s, tc.path)
			require.NotEmpty(t, p.Results)
			assert.ElementsMatch(t, tc.want, netKeys(p.Results[0]))
		})
	}
}

func TestNetworkBulk(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)

	t.Run("create three interfaces", func(t *testing.T) {
		var out []map[string]any
		status, data := s.Do(t, "POST", "/api/dcim/interfaces/", []map[string]any{
			iface(n.dev2, "eth1", "1000base-t"), iface(n.dev2, "eth2", "1000base-t"),
			merge(iface(n.dev2, "bond0", "lag"), map[string]any{"mtu": 9000}),
		})
		require.Equal(t, http.StatusCreated, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &out))
		require.Len(t, out, 3)
		assert.Equal(t, []string{"eth1", "eth2", "bond0"}, []string{out[0]["name"].(string), out[1]["name"].(string),
			out[2]["name"].(string)})
		assert.Equal(t, 4, list(t, s, fmt.Sprintf("/api/dcim/interfaces/?device_id=%d", n.dev2)).Count)
	})
	t.Run("create is all-or-nothing, errors aligned by index", func(t *testing.T) {
		netCheck(t, s, "POST", "/api/dcim/interfaces/", []map[string]any{
			iface(n.dev2, "eth3", "1000base-t"), iface(n.dev2, "eth4", "nope"), iface(n.dev2, "eth9", "1000base-t"),
		}, 400, `[{}, {"type": ["nope is not a valid choice."]}, {"__all__": ["Interface with this Device and Name already exists."]}]`)
		assert.Equal(t, 0, list(t, s, "/api/dcim/interfaces/?name=eth3").Count)
	})
	t.Run("patch with ids", func(t *testing.T) {
		lag := ids(list(t, s, "/api/dcim/interfaces/?name=bond0"))[0]
		var out []map[string]any
		status, data := s.Do(t, "PATCH", "/api/dcim/interfaces/", []map[string]any{
			{"id": n.eth1, "description": "second", "mtu": 1500},
			{"id": n.eth0, "enabled": false, "mac_address": "ignored"},
			{"id": n.eth9, "lag": lag},
		})
		require.Equal(t, http.StatusOK, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &out))
		require.Len(t, out, 3)
		// In the model's ordering: by device, then name.
		assert.Equal(t, "eth0", out[0]["name"])
		assert.Equal(t, false, out[0]["enabled"])
		assert.Nil(t, out[0]["mac_address"])
		assert.Equal(t, "second", out[1]["description"])
		assert.Equal(t, "bond0", out[2]["lag"].(map[string]any)["name"])
	})
	t.Run("patch is all-or-nothing", func(t *testing.T) {
		netCheck(t, s, "PATCH", "/api/dcim/interfaces/", []map[string]any{
			{"id": n.eth0, "description": "changed"}, {"id": n.eth1, "name": "eth0"},
		}, 400, `{"__all__": ["Interface with this Device and Name already exists."]}`)
		got := mustDo(t, s, "GET", simtest.Path("dcim/interfaces", n.eth0), nil, http.StatusOK)
		assert.Equal(t, "", got["description"])
	})
	t.Run("MACs and IPs", func(t *testing.T) {
		var macs []map[string]any
		status, data := s.Do(t, "POST", "/api/dcim/mac-addresses/", []map[string]any{
			merge(map[string]any{"mac_address": "02:00:00:00:00:01"}, onIface(n.eth0)),
			merge(map[string]any{"mac_address": "02:00:00:00:00:02"}, onIface(n.eth1)),
		})
		require.Equal(t, http.StatusCreated, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &macs))
		var ips []map[string]any
		status, data = s.Do(t, "POST", "/api/ipam/ip-addresses/", []map[string]any{
			ipOn("10.0.0.1/24", n.eth0), ipOn("10.0.0.2/24", n.eth1),
		})
		require.Equal(t, http.StatusCreated, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &ips))
		netCheck(t, s, "POST", "/api/ipam/ip-addresses/", []map[string]any{
			ipOn("10.0.0.3/24", n.eth0), {"address": "10.0.0.1/16"},
		}, 400, `[{}, {"address": ["Duplicate IP address found in global table: 10.0.0.1/24"]}]`)

		mustDo(t, s, "PATCH", simtest.Path("dcim/devices", n.dev1), map[string]any{"primary_ip4": ips[0]["id"]}, http.StatusOK)
		netCheck(t, s, "PATCH", "/api/ipam/ip-addresses/", []map[string]any{
			{"id": ips[1]["id"], "description": "second"}, merge(map[string]any{"id": ips[0]["id"]}, onIface(n.eth9)),
		}, 400, `{"__all__": ["Cannot reassign IP address while it is designated as the primary IP for the parent object"]}`)
		got := mustDo(t, s, "GET", simtest.Path("ipam/ip-addresses", int64(ips[1]["id"].(float64))), nil, http.StatusOK)
		assert.Equal(t, "", got["description"], "rolled back")

		var out []map[string]any
		status, data = s.Do(t, "PATCH", "/api/dcim/mac-addresses/", []map[string]any{
			{"id": macs[0]["id"], "description": "a"}, {"id": macs[1]["id"], "mac_address": "02-00-00-00-00-0b"},
		})
		require.Equal(t, http.StatusOK, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &out))
		assert.Equal(t, "02:00:00:00:00:0B", out[1]["mac_address"])
	})
}

func TestNetworkCascade(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	ip := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.10/24", n.eth0))
	other := create(t, s, "ipam/ip-addresses", ipOn("192.0.2.11/24", n.eth1))
	mac := create(t, s, "dcim/mac-addresses", merge(map[string]any{"mac_address": "02:00:00:00:00:01"}, onIface(n.eth0)))
	mustDo(t, s, "PATCH", simtest.Path("dcim/interfaces", n.eth0), map[string]any{"primary_mac_address": mac}, http.StatusOK)
	mustDo(t, s, "PATCH", simtest.Path("dcim/devices", n.dev1), map[string]any{"primary_ip4": ip}, http.StatusOK)
	je := create(t, s, "extras/journal-entries", map[string]any{"assigned_object_type": "dcim.interface",
		"assigned_object_id": n.eth0, "comments": "x"})
	sub := create(t, s, "dcim/interfaces", merge(iface(n.dev1, "eth1.7", "virtual"), map[string]any{"parent": n.eth1}))

	t.Run("an interface takes its IPs and MACs with it", func(t *testing.T) {
		mustDo(t, s, "DELETE", simtest.Path("dcim/interfaces", n.eth0), nil, http.StatusNoContent)
		mustDo(t, s, "GET", simtest.Path("ipam/ip-addresses", ip), nil, http.StatusNotFound)
		mustDo(t, s, "GET", simtest.Path("dcim/mac-addresses", mac), nil, http.StatusNotFound)
		mustDo(t, s, "GET", simtest.Path("extras/journal-entries", je), nil, http.StatusNotFound)
		mustDo(t, s, "GET", simtest.Path("ipam/ip-addresses", other), nil, http.StatusOK)
		dev := mustDo(t, s, "GET", simtest.Path("dcim/devices", n.dev1), nil, http.StatusOK)
		assert.Nil(t, dev["primary_ip4"])
		assert.Nil(t, dev["primary_ip"])
	})
	t.Run("a parent interface cannot go alone", func(t *testing.T) {
		netCheck(t, s, "DELETE", simtest.Path("dcim/interfaces", n.eth1), nil, http.StatusConflict,
			fmt.Sprintf(`{"detail": "Unable to delete object. 1 dependent objects were found: eth1.7 (%d)"}`, sub))
		mustDo(t, s, "GET", simtest.Path("ipam/ip-addresses", other), nil, http.StatusOK)
	})
	t.Run("a device takes everything", func(t *testing.T) {
		mustDo(t, s, "DELETE", simtest.Path("dcim/devices", n.dev1), nil, http.StatusNoContent)
		mustDo(t, s, "GET", simtest.Path("ipam/ip-addresses", other), nil, http.StatusNotFound)
		mustDo(t, s, "GET", simtest.Path("dcim/interfaces", sub), nil, http.StatusNotFound)
		assert.Equal(t, []int64{n.eth9}, ids(list(t, s, "/api/dcim/interfaces/")))
	})
}

func netKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
