package engine

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
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
// takes with it. From 4.4 on a platform's name is unique per
// manufacturer, so the sync creates its own platform of no manufacturer
// beside the foreign one and uses that.
func TestInvalidDataAndForeignPlatformFailAlone(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	other := w.srv.Seed(t) // another manufacturer
	var plat struct{ ID int64 }
	require.NoError(t, w.srv.Admin().Do(ctx, http.MethodPost, "/api/dcim/platforms/", nil,
		map[string]any{"name": "Debian 13", "slug": "debian-13", "manufacturer": other.ManufacturerID}, &plat))
	d := w.device(t, "partial", "planned", 0)
	ifs, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: d.ID, Name: "eth0", Type: "1000base-t"}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = w.nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: "192.0.2.10/24", Status: "active", InterfaceID: ifs[0].ID}}, netbox.WriteOptions{})
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
	perManufacturer := w.srv.AtLeast(4)
	blocked := 2 // the platform and the long name
	if perManufacturer {
		blocked = 1 // the long name
	}
	assert.Equal(t, blocked, plan.Summary().Blocked)
	w.srv.Sim.ResetRequests()
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)

	got := outcomes(res)
	platform := got["platform: - -> Debian 13 (UPDATE)"]
	if perManufacturer {
		assert.Equal(t, apply.OutcomeApplied, platform.Outcome, platform.Message)
	} else {
		assert.Equal(t, apply.OutcomeSkipped, platform.Outcome)
		assert.Contains(t, platform.Message, `NetBox's platform "Debian 13" is limited to devices of manufacturer`)
	}
	vm := got["virtualmachine "+longName+" (CREATE)"]
	assert.Equal(t, apply.OutcomeSkipped, vm.Outcome)
	assert.Contains(t, vm.Message, "the container name is 70 characters and NetBox allows at most 64")
	for _, want := range []string{"status: planned -> active (UPDATE)", "serial: - -> SN-P (UPDATE)", "primary_ip4: - -> 192.0.2.10/24 (UPDATE)",
		"virtualmachine long-image (CREATE)", "virtualmachine third-cpu (CREATE)", "virtualmachine good (CREATE)"} {
		assert.Equal(t, apply.OutcomeApplied, got[want].Outcome, "%s: %s", want, got[want].Message)
	}
	assert.Equal(t, blocked, res.Skipped)
	assert.Zero(t, res.Failed)
	for _, r := range w.srv.Sim.Requests() {
		assert.Less(t, r.Status, 400, "nothing is sent to be refused: %s %s", r.Method, r.Path)
	}
	comments := journalComments(t, w.srv.Admin(), res.JournalEntryID)
	assert.Contains(t, comments, "Changes skipped:\n")
	if !perManufacturer {
		assert.Contains(t, comments, "- platform: - -> Debian 13 (UPDATE) (NetBox's platform")
	}
	assert.Contains(t, comments, "- virtualmachine "+longName+" (CREATE) (the container name is 70 characters")

	snap, err := w.nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "partial", Containers: true})
	require.NoError(t, err)
	assert.Equal(t, "active", snap.Device.Status)
	if perManufacturer {
		require.NotNil(t, snap.Device.Platform)
		assert.NotEqual(t, plat.ID, snap.Device.Platform.ID, "a platform of another manufacturer is never used")
	} else {
		assert.Nil(t, snap.Device.Platform, "a platform of another manufacturer is never used")
	}
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
	if !perManufacturer {
		require.NoError(t, w.srv.Admin().Do(ctx, http.MethodPatch, "/api/dcim/platforms/"+strconv.FormatInt(plat.ID, 10)+"/", nil, map[string]any{"manufacturer": nil}, nil))
	}
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

// TestRefusalsFailAlone: a NetBox that refuses single objects inside bulk
// requests the ways real installations do (a cabled interface that would
// become virtual, an address inside a populated IP range, a required
// custom field on interfaces), with a token that may view but not change
// virtualization objects. Everything else is written; each refused object
// fails with NetBox's reason and its dependents are skipped naming it.
func TestRefusalsFailAlone(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	d := w.device(t, "refused", "active", 0)
	w.srv.RequiredCustomField(t, "owner", "dcim.interface")
	owner := ptr(map[string]any{"owner": "net"})
	ifs, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{
		{Device: d.ID, Name: "eth0", Type: "virtual", CustomFields: owner},
		{Device: d.ID, Name: "eth1", Type: "1000base-t", CustomFields: owner},
		{Device: d.ID, Name: "eth3", Type: "1000base-t", CustomFields: owner},
	}, netbox.WriteOptions{})
	require.NoError(t, err)
	n := w.device(t, "refused-neighbour", "active", 0)
	peer, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: n.ID, Name: "eth9", Type: "1000base-t", CustomFields: owner}}, netbox.WriteOptions{})
	require.NoError(t, err)
	w.srv.Cable(t, ifs[1].ID, peer[0].ID)
	w.srv.PopulatedRange(t, "192.0.2.40/24", "192.0.2.60/24")

	h := host.Host{Hostname: "refused", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", Type: "virtual", IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24"), netip.MustParsePrefix("192.0.2.50/24"), netip.MustParsePrefix("198.51.100.7/24")}},
		{Name: "eth1", Type: "virtual"},
		{Name: "eth2", Type: "virtual", IPv4: []netip.Prefix{netip.MustParsePrefix("203.0.113.9/24")}},
		{Name: "eth3", Type: "10gbase-t"},
	}}}
	h.Containers = host.Containers{Available: true, Containers: []host.Container{{Name: "web", Image: "nginx", Running: true, Role: "Web Application"}}}
	token := w.srv.TokenViewingVirtualization(t)
	nb, err := netbox.New(netbox.Config{URL: w.srv.URL, Token: token})
	require.NoError(t, err)
	e := New(nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }))
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	w.srv.Sim.ResetRequests()
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	got := outcomes(res)
	assert.Equal(t, apply.OutcomeFailed, got["interface eth1 type: 1000base-t -> virtual (UPDATE)"].Outcome)
	assert.Equal(t, apply.OutcomeApplied, got["interface eth3 type: 1000base-t -> 10gbase-t (UPDATE)"].Outcome, "the other interface of the PATCH")
	assert.Equal(t, apply.OutcomeFailed, got["ipaddress 192.0.2.50/24 (CREATE)"].Outcome)
	assert.Equal(t, apply.OutcomeApplied, got["ipaddress 192.0.2.10/24 (CREATE)"].Outcome)
	assert.Equal(t, apply.OutcomeApplied, got["ipaddress 198.51.100.7/24 (CREATE)"].Outcome)
	assert.Equal(t, apply.OutcomeSkipped, got["interface eth2 (CREATE)"].Outcome)
	assert.Contains(t, got["interface eth2 (CREATE)"].Message, `NetBox requires custom field "owner" on dcim.interface`)
	assert.Equal(t, apply.OutcomeSkipped, got["ipaddress 203.0.113.9/24 (CREATE)"].Outcome)
	assert.Equal(t, apply.OutcomeFailed, got["clustertype Docker Compose (CREATE)"].Outcome)
	assert.Equal(t, netbox.KindPermission, got["clustertype Docker Compose (CREATE)"].Kind)
	assert.Equal(t, apply.OutcomeSkipped, got["virtualmachine web (CREATE)"].Outcome)
	assert.Equal(t, `depends on a change that did not apply: clustertype "Docker Compose" failed`, got["virtualmachine web (CREATE)"].Message)
	assert.Equal(t, apply.OutcomeApplied, got["devicerole Web Application (CREATE)"].Outcome, "roles are dcim's: the token may add them")

	// What isolation cost: the interfaces' PATCH, refused without saying
	// which, is halved (eth1 alone, then eth3); the IPs' POST, refused
	// with a list by index, is sent again without the refused one.
	count := map[string]int{}
	for _, r := range w.srv.Sim.Requests() {
		count[r.Method+" "+r.Path]++
	}
	assert.Equal(t, 3, count["PATCH /api/dcim/interfaces/"])
	assert.Equal(t, 2, count["POST /api/ipam/ip-addresses/"])
	assert.Equal(t, 1, count["POST /api/virtualization/cluster-types/"], "a single object is not split")
	comments := journalComments(t, w.srv.Admin(), res.JournalEntryID)
	assert.Contains(t, comments, "- interface eth1 type: 1000base-t -> virtual (UPDATE) (netbox: PATCH /api/dcim/interfaces/: validation: type: Virtual interfaces cannot have a cable attached.)")
	assert.Contains(t, comments, "- ipaddress 192.0.2.50/24 (CREATE) (netbox: POST /api/ipam/ip-addresses/: validation: address: Cannot create IP address 192.0.2.50/24 inside range 192.0.2.40-60/24.)")
}

// TestForeignPlatformOnNetBox44: from 4.4 on NetBox keeps platform names
// and slugs unique per manufacturer, so beside a platform of the host's
// name limited to another manufacturer the sync makes its own, of no
// manufacturer, with the same slug, and the device uses it.
func TestForeignPlatformOnNetBox44(t *testing.T) {
	ctx := context.Background()
	srv := simtest.Start(t, netboxsim.Options{Version: "4.4"})
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	w := simWorld{srv: srv, nb: nb, fx: srv.Seed(t)}
	other := srv.Seed(t)
	foreign := srv.Create(t, "dcim/platforms", map[string]any{"name": "Debian 13", "slug": "debian-13", "manufacturer": other.ManufacturerID})
	w.device(t, "newer", "active", 0)
	e := w.engine(host.Host{Hostname: "newer", OS: host.OS{Platform: "Debian 13"}})
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	snap, err := nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "newer"})
	require.NoError(t, err)
	require.NotNil(t, snap.Device.Platform)
	assert.NotEqual(t, foreign, snap.Device.Platform.ID, "never the other manufacturer's")
	assert.Equal(t, "Debian 13", snap.Device.Platform.Name)
	assert.Equal(t, "debian-13", snap.Device.Platform.Slug, "the slug is unique among platforms of no manufacturer")
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
}

// TestCustomFieldValues: with a value configured for the required field,
// creates and updates go through; a create that carries custom fields
// carries the defaults too, which NetBox fills only when a create carries
// none (a required field with a default then blocks nothing).
func TestCustomFieldValues(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	d := w.device(t, "fields", "active", 0)
	_, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: d.ID, Name: "eth0", Type: "other"}}, netbox.WriteOptions{})
	require.NoError(t, err)
	w.srv.RequiredCustomField(t, "owner", "dcim.interface") // eth0 now has none
	w.srv.Create(t, "extras/custom-fields", map[string]any{"name": "rack", "type": "text", "object_types": []string{"dcim.interface"},
		"required": true, "default": "R1"})
	h := host.Host{Hostname: "fields", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", Type: "1000base-t"}, {Name: "eth1", Type: "1000base-t"},
	}}}
	e := w.engine(h)
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Equal(t, 2, plan.Summary().Blocked, "eth0's update and eth1's create need an owner")

	e = New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }),
		WithDiffOptions(diff.Options{CustomFields: map[string]map[string]any{diff.ObjectInterface: {"owner": "infra"}}}))
	plan, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	var got []struct {
		Name         string         `json:"name"`
		CustomFields map[string]any `json:"custom_fields"`
	}
	w.srv.List(t, "dcim/interfaces", url.Values{"device_id": {strconv.FormatInt(d.ID, 10)}}, &got)
	require.Len(t, got, 2)
	for _, i := range got {
		assert.Equal(t, map[string]any{"owner": "infra", "rack": "R1"}, i.CustomFields, i.Name)
	}
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
}
