package network_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/enginetest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// nbRecord is the NetBox side of a primary-IP case: interfaces with their
// IPs, and which IPs are the device's primaries.
type nbRecord struct {
	ifaces             map[string][]string // name -> addresses
	primary4, primary6 string
}

// TestPrimaryIPMovesOrDisappears checks that a primary IP
// that moves to another interface, and one that disappears, both apply
// without a NetBox 400, against the simulator's primary-IP guard (an IP that
// is its device's primary cannot be unassigned or moved to another parent).
func TestPrimaryIPMovesOrDisappears(t *testing.T) {
	const m0, m1, m2 = "02:00:00:00:10:00", "02:00:00:00:10:01", "02:00:00:00:10:02"
	tests := []struct {
		name              string
		nb                nbRecord
		host              []host.Interface
		hostP4, hostP6    string
		want4, want6      string // the device's primaries after the sync, "" for none
		same4, same6      bool   // the primary is the same IP object as before
		unassigned        []string
		wantOn            map[string]string // address -> interface after the sync
		offlineInterfaces []string
		createdInterfaces []string
	}{
		{
			name:   "IPv4 primary moves to another interface",
			nb:     nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}, "eth1": nil}, primary4: "192.0.2.10/24"},
			host:   []host.Interface{hostIface("eth0", m0), hostIface("eth1", m1, "192.0.2.10/24")},
			hostP4: "192.0.2.10/24",
			want4:  "192.0.2.10/24", same4: true,
			wantOn: map[string]string{"192.0.2.10/24": "eth1"},
		},
		{
			name:   "IPv4 primary moves to an interface the same sync creates",
			nb:     nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}}, primary4: "192.0.2.10/24"},
			host:   []host.Interface{hostIface("eth0", m0), hostIface("bond0", m2, "192.0.2.10/24")},
			hostP4: "192.0.2.10/24",
			want4:  "192.0.2.10/24", same4: true,
			wantOn:            map[string]string{"192.0.2.10/24": "bond0"},
			createdInterfaces: []string{"bond0"},
		},
		{
			name:   "IPv4 primary moves off an interface that is gone",
			nb:     nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}, "eth1": nil}, primary4: "192.0.2.10/24"},
			host:   []host.Interface{hostIface("eth1", m1, "192.0.2.10/24")},
			hostP4: "192.0.2.10/24",
			want4:  "192.0.2.10/24", same4: true,
			wantOn:            map[string]string{"192.0.2.10/24": "eth1"},
			offlineInterfaces: []string{"eth0"},
		},
		{
			name:       "IPv4 primary disappears, the default route has another address",
			nb:         nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}}, primary4: "192.0.2.10/24"},
			host:       []host.Interface{hostIface("eth0", m0, "192.0.2.11/24")},
			hostP4:     "192.0.2.11/24",
			want4:      "192.0.2.11/24",
			unassigned: []string{"192.0.2.10/24"},
			wantOn:     map[string]string{"192.0.2.11/24": "eth0"},
		},
		{
			name:       "IPv4 primary disappears and there is no default route",
			nb:         nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}}, primary4: "192.0.2.10/24"},
			host:       []host.Interface{hostIface("eth0", m0, "192.0.2.11/24")},
			want4:      "",
			unassigned: []string{"192.0.2.10/24"},
			wantOn:     map[string]string{"192.0.2.11/24": "eth0"},
		},
		{
			name:              "IPv4 primary disappears with its interface",
			nb:                nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}, "eth1": nil}, primary4: "192.0.2.10/24"},
			host:              []host.Interface{hostIface("eth1", m1, "192.0.2.20/24")},
			hostP4:            "192.0.2.20/24",
			want4:             "192.0.2.20/24",
			unassigned:        []string{"192.0.2.10/24"},
			offlineInterfaces: []string{"eth0"},
			wantOn:            map[string]string{"192.0.2.20/24": "eth1"},
		},
		{
			name:   "IPv4 primary keeps its address with another mask",
			nb:     nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}}, primary4: "192.0.2.10/24"},
			host:   []host.Interface{hostIface("eth0", m0, "192.0.2.10/25")},
			hostP4: "192.0.2.10/25",
			want4:  "192.0.2.10/25", same4: true,
			wantOn: map[string]string{"192.0.2.10/25": "eth0"},
		},
		{
			name: "IPv6 primary moves, IPv4 primary disappears, in one sync",
			nb: nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24", "2001:db8::10/64"}, "eth1": nil},
				primary4: "192.0.2.10/24", primary6: "2001:db8::10/64"},
			host:   []host.Interface{hostIface("eth0", m0, "192.0.2.11/24"), hostIface("eth1", m1, "2001:db8::10/64")},
			hostP4: "192.0.2.11/24", hostP6: "2001:db8::10/64",
			want4: "192.0.2.11/24", want6: "2001:db8::10/64", same6: true,
			unassigned: []string{"192.0.2.10/24"},
			wantOn:     map[string]string{"192.0.2.11/24": "eth0", "2001:db8::10/64": "eth1"},
		},
		{
			name: "both primaries disappear with no default routes",
			nb: nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24", "2001:db8::10/64"}},
				primary4: "192.0.2.10/24", primary6: "2001:db8::10/64"},
			host:       []host.Interface{hostIface("eth0", m0)},
			unassigned: []string{"192.0.2.10/24", "2001:db8::10/64"},
		},
		{
			name: "the two primaries swap interfaces",
			nb: nbRecord{ifaces: map[string][]string{"eth0": {"192.0.2.10/24"}, "eth1": {"2001:db8::10/64"}},
				primary4: "192.0.2.10/24", primary6: "2001:db8::10/64"},
			host:   []host.Interface{hostIface("eth0", m0, "2001:db8::10/64"), hostIface("eth1", m1, "192.0.2.10/24")},
			hostP4: "192.0.2.10/24", hostP6: "2001:db8::10/64",
			want4: "192.0.2.10/24", want6: "2001:db8::10/64", same4: true, same6: true,
			wantOn: map[string]string{"192.0.2.10/24": "eth1", "2001:db8::10/64": "eth0"},
		},
	}
	t.Run("the simulator guards primary IPs", func(t *testing.T) {
		// Without the guard the cases below would prove nothing.
		n := startNetBox(t)
		dev := n.device("guarded-host")
		eth0, _ := n.iface(dev, "eth0", "1000base-t", m0)
		ip := n.ip("192.0.2.10/24", eth0)
		n.patch("dcim/devices", dev, map[string]any{"primary_ip4": ip})
		status, body := n.Do(t, http.MethodPatch, simtest.Path("ipam/ip-addresses", ip),
			map[string]any{"assigned_object_type": nil, "assigned_object_id": nil})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, string(body), "Cannot reassign IP address while it is designated as the primary IP for the parent object")
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := startNetBox(t)
			dev := n.device("primary-host")
			macs := map[string]string{"eth0": m0, "eth1": m1, "bond0": m2}
			ipIDs := map[string]int64{}
			for name, addrs := range tt.nb.ifaces {
				id, _ := n.iface(dev, name, "1000base-t", macs[name])
				for _, a := range addrs {
					ipIDs[a] = n.ip(a, id)
				}
			}
			patch := map[string]any{}
			if tt.nb.primary4 != "" {
				patch["primary_ip4"] = ipIDs[tt.nb.primary4]
			}
			if tt.nb.primary6 != "" {
				patch["primary_ip6"] = ipIDs[tt.nb.primary6]
			}
			n.patch("dcim/devices", dev, patch)

			h := fixedHost("primary-host", tt.hostP4, tt.hostP6, tt.host...)
			s := enginetest.New(t, n.client(), &h, skipContainers)
			before := len(n.Sim.Requests())
			s.Sync()
			assert.Empty(t, n.Refused(before), "NetBox refused requests of the apply")
			s.InSync()

			var d deviceRow
			n.get("dcim/devices", dev, &d)
			assert.Equal(t, tt.want4, primaryAddr(d.PrimaryIP4), "primary_ip4")
			assert.Equal(t, tt.want6, primaryAddr(d.PrimaryIP6), "primary_ip6")
			if tt.same4 && d.PrimaryIP4 != nil {
				assert.Equal(t, ipIDs[tt.nb.primary4], d.PrimaryIP4.ID, "primary_ip4 is another IP object")
			}
			if tt.same6 && d.PrimaryIP6 != nil {
				assert.Equal(t, ipIDs[tt.nb.primary6], d.PrimaryIP6.ID, "primary_ip6 is another IP object")
			}
			ips := n.ips()
			for _, a := range tt.unassigned {
				ip, ok := ips[a]
				if assert.True(t, ok, "IP %s was deleted", a) {
					assert.Equal(t, "", ip.on(), "IP %s is still assigned", a)
					assert.Equal(t, ipIDs[a], ip.ID)
				}
			}
			for a, iface := range tt.wantOn {
				assert.Equal(t, iface, ips[a].on(), "IP %s", a)
			}
			ifs := n.interfaces(dev)
			for _, name := range tt.offlineInterfaces {
				assert.False(t, ifs[name].Enabled, "%s is still enabled", name)
			}
			for _, name := range tt.createdInterfaces {
				assert.Contains(t, ifs, name)
			}
			n.NoDeletes(t)
		})
	}
}
