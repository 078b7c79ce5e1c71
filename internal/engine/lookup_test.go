package engine

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// TestLookupQuery: the lookup asks only for what the comparison uses, so
// that values it never compares (veth MACs, docker0's address) do not make
// it look objects up across NetBox on every sync.
func TestLookupQuery(t *testing.T) {
	p := netip.MustParsePrefix
	h := host.Host{
		Hostname: "homelab",
		OS:       host.OS{Platform: "Debian 12"},
		Network: host.Network{Interfaces: []host.Interface{
			{Name: "lo", IPv4: []netip.Prefix{p("127.0.0.1/8")}},
			{Name: "eth0", MAC: "aa:bb:cc:00:00:01", IPv4: []netip.Prefix{p("192.168.1.150/24")}, IPv6: []netip.Prefix{p("2001:db8::5/64")}},
			{Name: "docker0", MAC: "02:42:00:00:00:01", DockerManaged: true, IPv4: []netip.Prefix{p("172.17.0.1/16")}},
			{Name: "vethabc", MAC: "02:42:00:00:00:02"},
			{Name: "tailscale0", IPv4: []netip.Prefix{p("100.101.102.103/32")}},
		}},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: "db", Role: "Database"},
			{Name: "ci-runner", Role: "Container"},
		}},
	}
	noVeth := func(n string) bool { return !strings.HasPrefix(n, "veth") }
	tests := []struct {
		name string
		opts diff.Options
		want netbox.SnapshotQuery
	}{
		{
			name: "the CLI's defaults",
			opts: diff.Options{InterfaceInScope: noVeth},
			want: netbox.SnapshotQuery{
				Hostname: "homelab", Platform: "Debian 12", Containers: true, Roles: []string{"Database", "Container"},
				MACs:      map[string]string{"eth0": "aa:bb:cc:00:00:01", "docker0": "02:42:00:00:00:01"},
				Addresses: []string{"192.168.1.150", "2001:db8::5", "100.101.102.103"},
			},
		},
		{
			name: "Docker bridges included, every interface in scope",
			opts: diff.Options{IncludeDockerBridges: true},
			want: netbox.SnapshotQuery{
				Hostname: "homelab", Platform: "Debian 12", Containers: true, Roles: []string{"Database", "Container"},
				MACs:      map[string]string{"eth0": "aa:bb:cc:00:00:01", "docker0": "02:42:00:00:00:01", "vethabc": "02:42:00:00:00:02"},
				Addresses: []string{"192.168.1.150", "2001:db8::5", "172.17.0.1", "100.101.102.103"},
			},
		},
		{
			name: "containers left out, and some out of scope",
			opts: diff.Options{InterfaceInScope: noVeth, SkipContainers: true},
			want: netbox.SnapshotQuery{
				Hostname: "homelab", Platform: "Debian 12",
				MACs:      map[string]string{"eth0": "aa:bb:cc:00:00:01", "docker0": "02:42:00:00:00:01"},
				Addresses: []string{"192.168.1.150", "2001:db8::5", "100.101.102.103"},
			},
		},
		{
			name: "containers out of scope want no role",
			opts: diff.Options{InterfaceInScope: noVeth, ContainerInScope: func(n string) bool { return !strings.HasPrefix(n, "ci-") }},
			want: netbox.SnapshotQuery{
				Hostname: "homelab", Platform: "Debian 12", Containers: true, Roles: []string{"Database"},
				MACs:      map[string]string{"eth0": "aa:bb:cc:00:00:01", "docker0": "02:42:00:00:00:01"},
				Addresses: []string{"192.168.1.150", "2001:db8::5", "100.101.102.103"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, LookupQuery(h, tt.opts))
		})
	}
}
