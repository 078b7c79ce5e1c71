package engine

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// fleetHost is host n of a fleet: its own interfaces and addresses, and
// the OS and container roles every host of the fleet shares.
func fleetHost(n int) host.Host {
	return host.Host{
		Hostname: fmt.Sprintf("node%02d", n),
		OS:       host.OS{Platform: "Ubuntu 24.04 LTS"},
		Network: host.Network{Interfaces: []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: fmt.Sprintf("02:00:00:00:00:%02x", n),
			IPv4: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.0.0.%d/24", n))}}}},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{ID: "a", Name: "db", Image: "postgres:16", State: "running", Running: true, Role: "Database"},
			{ID: "b", Name: "web", Image: "nginx:1.27", State: "running", Running: true, Role: "Reverse Proxy"},
		}},
	}
}

// TestSharedObjectsCreatedMeanwhile: two hosts plan at the same time to
// create the shared objects (platform, cluster type, VM roles); one
// applies first. The other's plan is not stale for that: its stale check
// sees that the change log holds only the very objects it creates, and
// its creates take them. No failure, no second object.
func TestSharedObjectsCreatedMeanwhile(t *testing.T) {
	for _, changeLog := range []bool{true, false} {
		t.Run(fmt.Sprintf("change log readable %v", changeLog), func(t *testing.T) {
			ctx := context.Background()
			w := newSimWorld(t)
			if !changeLog {
				w.srv.Sim.AddFault(netboxsim.Fault{Path: "/api/core/object-changes/", Status: 403})
			}
			a, b := fleetHost(1), fleetHost(2)
			w.device(t, a.Hostname, "active", 0)
			w.device(t, b.Hostname, "active", 0)
			ea, eb := w.engine(a), w.engine(b)
			pa, err := ea.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			pb, err := eb.Diff(ctx, DiffRequest{})
			require.NoError(t, err)

			ra, err := ea.Apply(ctx, pa.ID)
			require.NoError(t, err)
			require.Zero(t, ra.Failed+ra.Skipped, "%+v", ra.Changes)
			rb, err := eb.Apply(ctx, pb.ID)
			require.NoError(t, err, "another host's shared objects do not make the plan stale")
			assert.Zero(t, rb.Failed+rb.Skipped, "%+v", rb.Changes)
			assert.NotZero(t, rb.JournalEntryID)

			for route, want := range map[string]int{"dcim/platforms": 1, "virtualization/cluster-types": 1, "dcim/device-roles": 3} {
				var got []struct{ ID int64 }
				w.srv.List(t, route, url.Values{}, &got)
				assert.Len(t, got, want, route) // the fixture's device role, and the two VM roles
			}
			for _, h := range []host.Host{a, b} {
				again, err := w.engine(h).Diff(ctx, DiffRequest{})
				require.NoError(t, err)
				assert.True(t, again.InSync(), "%s: %+v", h.Hostname, again.Changes)
			}
		})
	}
}
