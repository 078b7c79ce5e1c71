package discovery

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// TestDeadlines: each source that hangs (a read that never returns, a
// Docker engine that never answers) is left out at its deadline with a
// note, and the other sources' facts are there.
func TestDeadlines(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) }) // the abandoned reads end with the test
	opts := fixture(t, "ubuntu-24.04")
	opts.Deadlines = Deadlines{Local: 50 * time.Millisecond, Docker: 50 * time.Millisecond}
	hungAt := func(part string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if strings.Contains(name, part) {
				<-hang
			}
			return os.ReadFile(name)
		}
	}
	eth0 := host.Network{Interfaces: []host.Interface{{Name: "eth0", Type: netif.Type1000BaseT}}}
	docker := func(context.Context, containers.Options) host.Containers {
		return host.Containers{Available: true, Containers: []host.Container{{Name: "db"}}}
	}
	tests := []struct {
		name  string
		d     Discoverer
		check func(t *testing.T, h host.Host)
	}{
		{"os-release", Discoverer{readFile: hungAt("os-release"), docker: docker,
			network: func(context.Context, netif.Options) (host.Network, error) { return eth0, nil }},
			func(t *testing.T, h host.Host) {
				assert.Empty(t, h.OS.Platform)
				assert.Contains(t, h.Notes, "os: no answer within 50ms reading "+opts.EtcRoot+" and "+opts.ProcRoot+"; the host name and platform are left unknown")
				assert.NotEmpty(t, h.Hardware.Model, "the hardware source answered")
				assert.Equal(t, eth0, h.Network)
				assert.True(t, h.Containers.Available)
			}},
		{"DMI", Discoverer{readFile: hungAt("dmi"), docker: docker, network: noNetwork},
			func(t *testing.T, h host.Host) {
				assert.Equal(t, "Ubuntu 24.04 LTS", h.OS.Platform)
				assert.Equal(t, host.Hardware{}, h.Hardware)
				assert.Contains(t, strings.Join(h.Notes, "\n"), "hardware: no answer within 50ms")
			}},
		{"Docker", Discoverer{network: noNetwork, docker: func(context.Context, containers.Options) host.Containers {
			<-hang // an engine that accepts and never answers, and a client that ignores its context
			return host.Containers{}
		}},
			func(t *testing.T, h host.Host) {
				assert.False(t, h.Containers.Available)
				assert.Equal(t, "Docker did not answer within 50ms (a hung engine?); containers are not compared. Raise CMDB_DOCKER_TIMEOUT (--docker-timeout) if it is only slow", h.Containers.Reason)
				assert.Equal(t, "Ubuntu 24.04 LTS", h.OS.Platform)
			}},
		{"Docker, a client that gives up at the deadline", Discoverer{network: noNetwork, docker: func(ctx context.Context, _ containers.Options) host.Containers {
			<-ctx.Done()
			return host.Containers{Containers: []host.Container{}, Reason: "Docker not available (" + ctx.Err().Error() + ")"}
		}},
			func(t *testing.T, h host.Host) {
				assert.False(t, h.Containers.Available)
				assert.Equal(t, "Docker did not answer within 50ms (a hung engine?); containers are not compared. Raise CMDB_DOCKER_TIMEOUT (--docker-timeout) if it is only slow", h.Containers.Reason)
			}},
		{"interfaces", Discoverer{docker: docker, network: func(context.Context, netif.Options) (host.Network, error) {
			<-hang
			return eth0, nil
		}},
			func(t *testing.T, h host.Host) {
				assert.Empty(t, h.Network.Interfaces)
				assert.Contains(t, h.Notes, "network: no answer within 50ms; interfaces and IPs are not compared")
				assert.True(t, h.Containers.Available)
			}},
		{"routes", Discoverer{docker: docker, routes: func(netif.Options) (*host.Route, *host.Route, string, []string) {
			<-hang
			return nil, nil, "", nil
		}},
			func(t *testing.T, h host.Host) {
				// The differ keeps NetBox's primary IPs, with a note.
				assert.Equal(t, "no answer within 50ms reading "+filepath.Join(opts.ProcRoot, "net"), h.Network.RoutesUnknown)
				assert.Nil(t, h.Network.DefaultIPv4)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.Options = opts
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard, not a bound
			defer cancel()
			h, err := d.Discover(ctx)
			require.NoError(t, err)
			tt.check(t, h)
		})
	}
}
