package report

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// seedExample is the example of the seed's Phase 4: NetBox says Ubuntu
// 22.04, eth0 with aa:bb:cc:00:00:00 and 192.168.1.100/24, and an eth1; the
// host has Ubuntu 24.04, eth0 with aa:bb:cc:11:11:11 and 192.168.1.150/24,
// tailscale0 with a 100.x/32, and no eth1.
func seedExample() (host.Host, record.Snapshot) {
	nb := record.Snapshot{
		Found: true,
		Device: record.Device{
			ID: 42, Name: "homelab", Status: "active",
			Platform:   &record.Ref{ID: 1, Name: "Ubuntu 22.04"},
			PrimaryIP4: &record.Ref{ID: 300, Name: "192.168.1.100/24"},
		},
		Platforms: []record.Platform{{ID: 1, Name: "Ubuntu 22.04", Slug: "ubuntu-22-04"}, {ID: 2, Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}},
		Interfaces: []record.Interface{
			{ID: 10, DeviceID: 42, Name: "eth0", Type: "1000base-t", Enabled: true, PrimaryMAC: &record.Ref{ID: 200, Name: "AA:BB:CC:00:00:00"}},
			{ID: 11, DeviceID: 42, Name: "eth1", Type: "1000base-t", Enabled: true},
		},
		MACs: []record.MACAddress{{ID: 200, MAC: "AA:BB:CC:00:00:00", InterfaceID: 10, DeviceID: 42}},
		IPs:  []record.IPAddress{{ID: 300, Address: "192.168.1.100/24", Status: "active", AssignedObjectType: "dcim.interface", AssignedObjectID: 10, DeviceID: 42}},
	}
	h := host.Host{
		Hostname: "homelab",
		OS:       host.OS{Platform: "Ubuntu 24.04"},
		Hardware: host.Hardware{},
		Network: host.Network{
			Interfaces: []host.Interface{
				{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
				{Name: "tailscale0", Type: "virtual", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("100.101.102.103/32")}},
			},
			PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
		},
	}
	return h, nb
}

// TestSeedExampleGolden renders the seed's example and compares it with
// testdata/seed-example.md (UPDATE_GOLDEN=true rewrites the file).
func TestSeedExampleGolden(t *testing.T) {
	h, nb := seedExample()
	p := diff.Compute(h, nb, diff.Options{})
	p.Device.URL = "https://netbox.example.com/dcim/devices/42/"
	got := Markdown(p)

	// Each row of the seed's example, in the seed's layout.
	for _, row := range []string{
		"**Device:** homelab (ID: 42)",
		"**NetBox URL:** https://netbox.example.com/dcim/devices/42/",
		"| Field | NetBox Value | Current Value | Action |",
		"| Platform | Ubuntu 22.04 | Ubuntu 24.04 | UPDATE |",
		"#### New Interfaces (will create)\n| Interface | Type | MAC | IPs |",
		"| tailscale0 | virtual | - | 100.101.102.103/32 |",
		"#### Removed Interfaces (will mark offline)\n| Interface | Type | Reason |",
		"| eth1 | 1000base-t | Not found locally |",
		"#### Changed Interfaces\n| Interface | Field | Old | New |",
		"| eth0 | mac_address | aa:bb:cc:00:00:00 | aa:bb:cc:11:11:11 |",
		"#### New IPs (will create)\n- 192.168.1.150/24 on eth0",
		"#### Removed IPs (will unassign)\n- 192.168.1.100/24 from eth0",
		"### Summary\n- **Updates:** ",
	} {
		assert.Contains(t, got, row)
	}

	golden := filepath.Join("testdata", "seed-example.md")
	if os.Getenv("UPDATE_GOLDEN") == "true" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with UPDATE_GOLDEN=true to create it")
	assert.Equal(t, string(want), got)
}
