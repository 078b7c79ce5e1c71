package engine

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// outcomes indexes an apply's results by apply.Describe.
func outcomes(res apply.Result) map[string]apply.ChangeResult {
	out := map[string]apply.ChangeResult{}
	for _, cr := range res.Changes {
		out[apply.Describe(cr.Change)] = cr
	}
	return out
}

// TestInvalidDataAndForeignPlatformFailAlone: containers NetBox would
// refuse beside good ones, and a platform of the host's name bound to
// another manufacturer. What can be made valid is (a long image shortened
// into the description, whole in the comments; vCPUs rounded), what cannot
// is skipped before any request (a 70-character name; the platform on
// NetBox 4.3), and everything else is written: the good VMs, and the
// device's status, serial and primary IP, which the platform no longer
// takes with it.
func TestInvalidDataAndForeignPlatformFailAlone(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	other := w.srv.Seed(t) // another manufacturer
	var plat struct{ ID int64 }
	require.NoError(t, w.nb.DoJSON(ctx, http.MethodPost, "/api/dcim/platforms/", nil,
		map[string]any{"name": "Debian 13", "slug": "debian-13", "manufacturer": other.ManufacturerID}, &plat))
	d := w.device(t, "partial", "planned", 0)
	ifs, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: d.ID, Name: "eth0", Type: "1000base-t"}})
	require.NoError(t, err)
	_, err = w.nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: "192.0.2.10/24", Status: "active", InterfaceID: ifs[0].ID}})
	require.NoError(t, err)

	longName := strings.Repeat("n", 70)
	longImage := "registry.example.com/" + strings.Repeat("team/", 46) + "app:1.0"
	require.Greater(t, len(longImage), 200)
	h := host.Host{
		Hostname: "partial",
		OS:       host.OS{Platform: "Debian 13"},
		Hardware: host.Hardware{Serial: "SN-P"},
		Network: host.Network{
			Interfaces:  []host.Interface{{Name: "eth0", Type: "1000base-t", IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}},
			PrimaryIPv4: netip.MustParsePrefix("192.0.2.10/24"),
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: longName, Image: "busybox", Running: true, Role: "Container"},
			{Name: "long-image", Image: longImage, Running: true, Role: "Container"},
			{Name: "third-cpu", Image: "busybox", Running: true, Role: "Container", VCPUs: 0.333},
			{Name: "good", Image: "nginx:1", Running: true, Role: "Container", VCPUs: 1, MemoryMB: 128},
		}},
	}
	e := w.engine(h)
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Equal(t, 2, plan.Summary().Blocked, "the platform and the long name")
	w.srv.Sim.ResetRequests()
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)

	got := outcomes(res)
	platform := got["platform: - -> Debian 13 (UPDATE)"]
	assert.Equal(t, apply.OutcomeSkipped, platform.Outcome)
	assert.Contains(t, platform.Message, `NetBox's platform "Debian 13" is limited to devices of manufacturer`)
	vm := got["virtualmachine "+longName+" (CREATE)"]
	assert.Equal(t, apply.OutcomeSkipped, vm.Outcome)
	assert.Contains(t, vm.Message, "the container name is 70 characters and NetBox allows at most 64")
	for _, want := range []string{"status: planned -> active (UPDATE)", "serial: - -> SN-P (UPDATE)", "primary_ip4: - -> 192.0.2.10/24 (UPDATE)",
		"virtualmachine long-image (CREATE)", "virtualmachine third-cpu (CREATE)", "virtualmachine good (CREATE)"} {
		assert.Equal(t, apply.OutcomeApplied, got[want].Outcome, "%s: %s", want, got[want].Message)
	}
	assert.Equal(t, 2, res.Skipped)
	assert.Zero(t, res.Failed)
	for _, r := range w.srv.Sim.Requests() {
		assert.Less(t, r.Status, 400, "nothing is sent to be refused: %s %s", r.Method, r.Path)
	}
	comments := journalComments(t, w.nb, res.JournalEntryID)
	assert.Contains(t, comments, "Changes skipped:\n")
	assert.Contains(t, comments, "- platform: - -> Debian 13 (UPDATE) (NetBox's platform")
	assert.Contains(t, comments, "- virtualmachine "+longName+" (CREATE) (the container name is 70 characters")

	snap, err := w.nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "partial", Containers: true})
	require.NoError(t, err)
	assert.Equal(t, "active", snap.Device.Status)
	assert.Nil(t, snap.Device.Platform, "a platform of another manufacturer is never used")
	vms := map[string]record.VirtualMachine{}
	for _, v := range snap.VMs {
		vms[v.Name] = v
	}
	assert.Len(t, vms, 3)
	assert.Equal(t, 200, len([]rune(vms["long-image"].Description)))
	assert.Equal(t, longImage, vms["long-image"].Comments)
	assert.Equal(t, 0.33, vms["third-cpu"].VCPUs)

	// The next diff plans only what is still blocked; without the blocks
	// (the platform open to every manufacturer, the long name gone) it
	// converges.
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Equal(t, again.Summary().Blocked, len(again.Changes), "%v", again.Changes)
	require.NoError(t, w.nb.DoJSON(ctx, http.MethodPatch, "/api/dcim/platforms/"+strconv.FormatInt(plat.ID, 10)+"/", nil, map[string]any{"manufacturer": nil}, nil))
	h.Containers.Containers = h.Containers.Containers[1:]
	e = w.engine(h)
	plan, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	res, err = e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	again, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.True(t, again.InSync(), "%v", again.Changes)
	assert.Zero(t, w.deletes())
}

// TestReadsFailAlone: a token that may not view virtualization objects
// or MAC objects: the lookup leaves those parts out with a note naming the
// missing view permission, and the rest syncs.
func TestReadsFailAlone(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	seedExampleInSim(t, w)
	h := seedExampleHost()
	h.Containers = host.Containers{Available: true, Containers: []host.Container{{Name: "web", Image: "nginx", Running: true, Role: "Web Application"}}}
	for _, f := range []netboxsim.Fault{
		{Method: "GET", Path: "/api/virtualization/*/", Status: http.StatusForbidden},
		{Method: "GET", Path: "/api/dcim/mac-addresses/", Status: http.StatusForbidden},
	} {
		require.NoError(t, w.srv.Sim.AddFault(f))
	}
	e := w.engine(h)
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err, "the lookup does not fail for what it may not view")
	notes := strings.Join(plan.Notes, "\n")
	assert.Contains(t, notes, "Docker containers: not synced: the NetBox token's user may not view virtualization.clustergroup objects")
	assert.Contains(t, notes, "MAC addresses: not compared: the NetBox token's user may not view dcim.macaddress objects")
	for _, c := range plan.Changes {
		assert.NotEqual(t, "containers", string(c.Section), "%s", apply.Describe(c))
		assert.NotEqual(t, "dcim.macaddress", c.ObjectType)
	}
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	assert.NotZero(t, res.Applied, "the network part is synced")

	// A read the sync cannot do without fails the lookup, and the hint
	// names view permission, not write.
	require.NoError(t, w.srv.Sim.AddFault(netboxsim.Fault{Method: "GET", Path: "/api/dcim/interfaces/", Status: http.StatusForbidden}))
	_, err = e.Diff(ctx, DiffRequest{})
	require.Error(t, err)
	var nbErr *netbox.Error
	require.ErrorAs(t, err, &nbErr)
	assert.Contains(t, nbErr.Hint(), "may not view these objects (dcim.interface)")
}
