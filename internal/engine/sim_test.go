package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// simWorld is a simulator with a client and the fixture objects a device
// needs, for tests that run the engine against NetBox's rules.
type simWorld struct {
	srv *simtest.Server
	nb  *netbox.Client
	fx  simtest.Fixture
}

func newSimWorld(t simtest.TB) simWorld {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{})
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return simWorld{srv: srv, nb: nb, fx: srv.Seed(t)}
}

// tb is what both *testing.T and *rapid.T offer.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	FailNow()
}

// device creates a device through the REST API, as any client would.
func (w simWorld) device(t tb, name, status string, platform int64) record.Device {
	t.Helper()
	body := map[string]any{"name": name, "status": status, "site": w.fx.SiteID, "role": w.fx.RoleID, "device_type": w.fx.DeviceTypeID, "description": "keep me"}
	if platform != 0 {
		body["platform"] = platform
	}
	var d struct{ ID int64 }
	require.NoError(t, w.srv.Admin().Do(context.Background(), "POST", "/api/dcim/devices/", nil, body, &d))
	got, err := w.nb.GetDevice(context.Background(), d.ID)
	require.NoError(t, err)
	return got
}

func (w simWorld) engine(h host.Host) *Engine {
	return New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }),
		WithDiffOptions(diff.Options{InterfaceInScope: func(n string) bool { return !strings.HasPrefix(n, "veth") }}))
}

func (w simWorld) deletes() int {
	n := 0
	for _, r := range w.srv.Sim.Requests() {
		if r.Method == "DELETE" {
			n++
		}
	}
	return n
}

// seedExampleInSim records the seed's example in the simulator: Ubuntu
// 22.04, eth0 with aa:bb:cc:00:00:00 and 192.168.1.100/24 (the primary),
// and eth1.
func seedExampleInSim(t *testing.T, w simWorld) record.Device {
	t.Helper()
	ctx := context.Background()
	p, err := w.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: "Ubuntu 22.04", Slug: "ubuntu-22-04"}, netbox.WriteOptions{})
	require.NoError(t, err)
	d := w.device(t, "homelab", "active", p.ID)
	ifs, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{
		{Device: d.ID, Name: "eth0", Type: "1000base-t"},
		{Device: d.ID, Name: "eth1", Type: "1000base-t"},
	}, netbox.WriteOptions{})
	require.NoError(t, err)
	macs, err := w.nb.CreateMACAddresses(ctx, []netbox.MACAddressCreate{{MAC: "aa:bb:cc:00:00:00", InterfaceID: ifs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = w.nb.UpdateInterfaces(ctx, []netbox.InterfaceUpdate{{ID: ifs[0].ID, PrimaryMAC: &macs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	ips, err := w.nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: "192.168.1.100/24", Status: "active", InterfaceID: ifs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = w.nb.UpdateDevice(ctx, d.ID, netbox.DeviceUpdate{PrimaryIP4: &ips[0].ID}, netbox.WriteOptions{})
	require.NoError(t, err)
	return d
}

func seedExampleHost() host.Host {
	return host.Host{
		Hostname: "homelab",
		OS:       host.OS{Platform: "Ubuntu 24.04"},
		Network: host.Network{
			Interfaces: []host.Interface{
				{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
				{Name: "tailscale0", Type: "virtual", IPv4: []netip.Prefix{netip.MustParsePrefix("100.101.102.103/32")}},
			},
			PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
		},
	}
}

// TestSeedExampleAgainstSimulator runs the seed's example through NetBox's
// rules: the primary IP moves off an address that disappears, a MAC object
// replaces the old primary MAC, eth1 goes offline, and nothing is deleted.
func TestSeedExampleAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	d := seedExampleInSim(t, w)
	e := w.engine(seedExampleHost())

	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	require.False(t, plan.InSync())
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	for _, c := range res.Changes {
		assert.Equal(t, "applied", string(c.Outcome), "%s %s: %s", c.Change.Object, c.Change.Field, c.Message)
	}
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.True(t, again.InSync(), "%+v", again.Changes)

	snap, err := w.nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "homelab"})
	require.NoError(t, err)
	assert.Equal(t, "Ubuntu 24.04", snap.Device.Platform.Name)
	assert.Equal(t, "keep me", snap.Device.Description, "the description is never touched")
	require.NotNil(t, snap.Device.PrimaryIP4)
	assert.Equal(t, "192.168.1.150/24", snap.Device.PrimaryIP4.Name)
	byName := map[string]record.Interface{}
	for _, i := range snap.Interfaces {
		byName[i.Name] = i
	}
	assert.Equal(t, "AA:BB:CC:11:11:11", byName["eth0"].PrimaryMAC.Name)
	assert.False(t, byName["eth1"].Enabled)
	assert.Equal(t, diff.OfflineDescription, byName["eth1"].Description)
	assert.Equal(t, "virtual", byName["tailscale0"].Type)

	old, err := w.nb.ListIPAddresses(ctx, netbox.IPAddressQuery{Addresses: []string{"192.168.1.100"}})
	require.NoError(t, err)
	require.Len(t, old, 1, "the old IP still exists")
	assert.Zero(t, old[0].AssignedObjectID, "unassigned, not deleted")
	assert.Zero(t, w.deletes())
	assert.Equal(t, d.ID, snap.Device.ID)
}

// bigHost has n interfaces with addrs IPv4 addresses spread over them.
func bigHost(name string, n, addrs int) host.Host {
	h := host.Host{Hostname: name, OS: host.OS{Platform: "Debian 12"}, Hardware: host.Hardware{Serial: "S-" + name}}
	for i := range n {
		h.Network.Interfaces = append(h.Network.Interfaces, host.Interface{
			Name: fmt.Sprintf("eth%d", i), Type: "1000base-t", MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", n, i),
		})
	}
	for a := range addrs {
		i := a % n
		p := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.%d/16", n, a/250, a%250+1))
		h.Network.Interfaces[i].IPv4 = append(h.Network.Interfaces[i].IPv4, p)
	}
	h.Network.PrimaryIPv4 = h.Network.Interfaces[0].IPv4[0]
	return h
}

// TestRequestCountDoesNotGrowWithInterfaces: a full sync of 40 interfaces
// and 100 IPs makes as many NetBox requests as one of 3 and 3.
func TestRequestCountDoesNotGrowWithInterfaces(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	// The platform exists already, so that both hosts plan the same kinds
	// of write.
	_, err := w.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: "Debian 12", Slug: "debian-12"}, netbox.WriteOptions{})
	require.NoError(t, err)
	count := func(h host.Host) (first, full int) {
		w.device(t, h.Hostname, "planned", 0)
		e := w.engine(h)
		w.srv.Sim.ResetRequests()
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		res, err := e.Apply(ctx, plan.ID)
		require.NoError(t, err)
		require.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
		first = len(w.srv.Sim.Requests())

		w.srv.Sim.ResetRequests()
		plan, err = e.Diff(ctx, DiffRequest{Full: true})
		require.NoError(t, err)
		_, err = e.Apply(ctx, plan.ID)
		require.NoError(t, err)
		full = len(w.srv.Sim.Requests())
		return first, full
	}
	smallFirst, smallFull := count(bigHost("small", 3, 3))
	bigFirst, bigFull := count(bigHost("big", 40, 100))
	t.Logf("first sync: %d requests for 3/3, %d for 40/100; full sync: %d and %d", smallFirst, bigFirst, smallFull, bigFull)
	assert.Equal(t, smallFirst, bigFirst)
	assert.Equal(t, smallFull, bigFull)
	assert.Zero(t, w.deletes())
}

// TestStalePlanAgainstSimulator: someone edits an interface the plan reads
// between diff and apply; apply refuses and writes nothing.
func TestStalePlanAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	seedExampleInSim(t, w)
	e := w.engine(seedExampleHost())
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)

	snap, err := w.nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "homelab"})
	require.NoError(t, err)
	_, err = w.nb.UpdateInterfaces(ctx, []netbox.InterfaceUpdate{{ID: snap.Interfaces[1].ID, Description: ptr("edited by a person")}}, netbox.WriteOptions{})
	require.NoError(t, err)

	w.srv.Sim.ResetRequests()
	_, err = e.Apply(ctx, plan.ID)
	require.ErrorIs(t, err, ErrStalePlan)
	for _, r := range w.srv.Sim.Requests() {
		assert.Equal(t, "GET", r.Method, "a stale plan writes nothing: %s %s", r.Method, r.Path)
	}
}
