package netbox

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// These tests run the client against the NetBox 4.3 simulator, which checks
// every request and response against NetBox's OpenAPI document, and count
// the requests each method makes from the simulator's log.

const testReadOnlyToken = "fedcba9876543210fedcba9876543210SECRETro"

func startSim(t *testing.T, opts netboxsim.Options) (*simtest.Server, *Client) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Version == "" {
		opts.Version = "4.3" // request counts are 4.3's; version_test.go covers the others
	}
	s := simtest.Start(t, opts)
	c, err := New(Config{URL: s.URL, Token: s.Token})
	require.NoError(t, err)
	return s, c
}

// simRequest is a logged request with its query decoded.
type simRequest struct {
	Method, Path string
	Query        url.Values
	Status       int
}

// takeRequests returns what the simulator logged since the last call.
func takeRequests(t *testing.T, s *simtest.Server) []simRequest {
	t.Helper()
	var out []simRequest
	for _, r := range settledRequests(s) {
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		out = append(out, simRequest{Method: r.Method, Path: r.Path, Query: q, Status: r.Status})
	}
	s.Sim.ResetRequests()
	return out
}

// settledRequests waits until the simulator's log has been still for a
// moment, then returns it. The simulator logs a request after writing its
// response, which carries a Content-Length, so a client can have the whole
// answer before the request is in the log; counting right away would miss
// it, and count it in the next test step instead.
func settledRequests(s *simtest.Server) []netboxsim.Request {
	const still, step = 3, 5 * time.Millisecond
	deadline := time.Now().Add(2 * time.Second)
	last, same := -1, 0
	for same < still && time.Now().Before(deadline) {
		if n := len(s.Sim.Requests()); n == last {
			same++
		} else {
			last, same = n, 0
		}
		time.Sleep(step)
	}
	return s.Sim.Requests()
}

// assertOneRequest checks that exactly one request was made, and which.
func assertOneRequest(t *testing.T, s *simtest.Server, method, path string, status int) {
	t.Helper()
	reqs := takeRequests(t, s)
	require.Len(t, reqs, 1, "%+v", reqs)
	assert.Equal(t, method, reqs[0].Method)
	assert.Equal(t, path, reqs[0].Path)
	assert.Equal(t, status, reqs[0].Status)
}

// createDevice creates a device through the JSON path, as seeding does.
func createDevice(t *testing.T, c *Client, fx simtest.Fixture, name string) int64 {
	t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	err := c.doJSON(context.Background(), http.MethodPost, "/api/dcim/devices/", nil, map[string]any{
		"name": name, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "site": fx.SiteID, "status": "active",
	}, &out)
	require.NoError(t, err)
	require.NotZero(t, out.ID)
	return out.ID
}

func TestSimStatus(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{Version: "4.3.9"})
	st, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "4.3.9", st.NetBoxVersion)
	assertOneRequest(t, s, http.MethodGet, "/api/status/", http.StatusOK)
}

func TestSimSyncRoundTrip(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	requireServed(t, s, networkRoutes...) // Snapshot reads the device's interfaces and addresses
	ctx := context.Background()
	fx := s.Seed(t)
	id := createDevice(t, c, fx, "web01")
	takeRequests(t, s)

	// Phase 1: NetBox matches the name case-insensitively.
	snap, err := c.Snapshot(ctx, "WEB01")
	require.NoError(t, err)
	require.True(t, snap.Found)
	assert.Equal(t, id, snap.Device.ID)
	assert.Equal(t, "web01", snap.Device.Name)
	assert.Equal(t, "active", snap.Device.Status)
	assert.Equal(t, fx.SiteID, snap.Device.Site.ID)
	assert.Equal(t, fx.RoleID, snap.Device.Role.ID)
	assert.Equal(t, fx.DeviceTypeID, snap.Device.DeviceType.ID)
	assert.Nil(t, snap.Device.Platform)
	assert.NotEmpty(t, snap.Device.LastUpdated)
	assert.Empty(t, snap.Platforms, "the host's platform is not known: none to look for")
	assert.Empty(t, snap.Interfaces)
	reqs := takeRequests(t, s)
	require.Len(t, reqs, 3, "one request per list: device, interfaces (with their MACs), IPs")
	assert.Equal(t, "/api/dcim/devices/", reqs[0].Path, "the device first, the rest concurrently")
	assert.Equal(t, "WEB01", reqs[0].Query.Get("name"))
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
		assert.Equal(t, "1000", r.Query.Get("limit"))
		assert.Equal(t, http.StatusOK, r.Status)
	}
	assert.ElementsMatch(t, []string{"/api/dcim/devices/", "/api/dcim/interfaces/", "/api/ipam/ip-addresses/"}, paths)

	snap, err = c.Snapshot(ctx, "web02")
	require.NoError(t, err)
	assert.False(t, snap.Found)
	assert.Zero(t, snap.Device)
	assert.Empty(t, snap.Similar)
	assert.Len(t, takeRequests(t, s), 3, "device; platforms and devices of a similar name")

	// A device named without the host's domain, or with one, is offered.
	snap, err = c.Snapshot(ctx, "WEB01.example.com")
	require.NoError(t, err)
	assert.False(t, snap.Found)
	assert.Equal(t, []string{"web01"}, snap.Similar)
	takeRequests(t, s)

	// Phase 5: a platform, then the device update.
	p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Ubuntu 24.04", p.Name)
	assert.Equal(t, "ubuntu-24-04", p.Slug)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusCreated)

	_, err = c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}, WriteOptions{})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, e.Fields, "name")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusBadRequest)

	offline, serial := "offline", "SN-42"
	d, err := c.UpdateDevice(ctx, id, DeviceUpdate{Status: &offline, Platform: &p.ID, Serial: &serial}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, "offline", d.Status)
	assert.Equal(t, "SN-42", d.Serial)
	require.NotNil(t, d.Platform)
	assert.Equal(t, record.Ref{ID: p.ID, Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}, *d.Platform)
	assertOneRequest(t, s, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	got, err := c.GetDevice(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, d, got, "the PATCH response and a fresh read agree")
	assertOneRequest(t, s, http.MethodGet, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	none := int64(0)
	d, err = c.UpdateDevice(ctx, id, DeviceUpdate{Platform: &none}, WriteOptions{})
	require.NoError(t, err)
	assert.Nil(t, d.Platform, "0 clears")
	assert.Equal(t, "offline", d.Status, "fields not sent stay")
	assertOneRequest(t, s, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	bad := "foo"
	_, err = c.UpdateDevice(ctx, id, DeviceUpdate{Status: &bad}, WriteOptions{})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadRequest, e.StatusCode)
	assert.Contains(t, e.Fields, "status")
	assert.Regexp(t, `^netbox: PATCH /api/dcim/devices/\d+/: validation: status: .*foo.* is not a valid choice\.$`, err.Error())
	assertOneRequest(t, s, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusBadRequest)

	_, err = c.GetDevice(ctx, id+1000)
	assert.True(t, IsKind(err, KindNotFound), "%v", err)
	assertOneRequest(t, s, http.MethodGet, fmt.Sprintf("/api/dcim/devices/%d/", id+1000), http.StatusNotFound)

	// Phase 6: the journal.
	j, err := c.CreateJournalEntry(ctx, JournalEntry{
		AssignedObjectType: "dcim.device", AssignedObjectID: id, Kind: "success", Comments: "Device synced via cmdb-mcp",
	}, WriteOptions{})
	require.NoError(t, err)
	assert.NotZero(t, j.ID)
	assert.Equal(t, JournalEntry{ID: j.ID, AssignedObjectType: "dcim.device", AssignedObjectID: id, Kind: "success", Comments: "Device synced via cmdb-mcp"}, j)
	assertOneRequest(t, s, http.MethodPost, "/api/extras/journal-entries/", http.StatusCreated)

	devices, err := c.listDevices(ctx, DeviceQuery{})
	require.NoError(t, err)
	assert.Len(t, devices, 1)
	assert.Len(t, takeRequests(t, s), 1)

	// A device named with a domain is offered for the host without.
	createDevice(t, c, fx, "web03.example.com")
	snap, err = c.Snapshot(ctx, "web03")
	require.NoError(t, err)
	assert.False(t, snap.Found)
	assert.Equal(t, []string{"web03.example.com"}, snap.Similar)
}

func TestSimSameNameInTwoSites(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	a, b := s.Seed(t), s.Seed(t)
	createDevice(t, c, a, "db01")
	createDevice(t, c, b, "DB01")
	takeRequests(t, s)

	_, err := c.Snapshot(context.Background(), "db01")
	var amb *AmbiguousNameError
	require.ErrorAs(t, err, &amb)
	assert.Len(t, amb.Devices, 2)
	assert.Contains(t, err.Error(), "Site "+a.Suffix)
	assert.Contains(t, err.Error(), "Site "+b.Suffix)
	assert.Contains(t, err.Error(), "unique per site")
	assert.Len(t, takeRequests(t, s), 1, "no platforms read for an ambiguous name")
}

func TestSimPagingAndBulk(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	ctx := context.Background()

	const n = 1500
	objs := make([]PlatformCreate, n)
	for i := range objs {
		objs[i] = PlatformCreate{Name: fmt.Sprintf("OS %04d", i), Slug: fmt.Sprintf("os-%04d", i)}
	}
	var created []record.Platform
	require.NoError(t, c.postList(ctx, "/api/dcim/platforms/", objs, &created, WriteOptions{}))
	require.Len(t, created, n)
	assert.Equal(t, "OS 0000", created[0].Name, "in the order sent")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusCreated)

	all, err := c.listPlatforms(ctx)
	require.NoError(t, err)
	require.Len(t, all, n)
	seen := map[int64]bool{}
	for _, p := range all {
		seen[p.ID] = true
	}
	assert.Len(t, seen, n, "no platform repeated or skipped")
	reqs := takeRequests(t, s)
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, "/api/dcim/platforms/", r.Path)
		assert.Equal(t, "1000", r.Query.Get("limit"))
		assert.Equal(t, fmt.Sprint(i*1000), r.Query.Get("offset"))
	}

	// Bulk update: a list of objects with ids.
	type patch struct {
		ID          int64  `json:"id"`
		Description string `json:"description"`
	}
	var updated []map[string]any
	require.NoError(t, c.patchList(ctx, "/api/dcim/platforms/",
		[]patch{{created[0].ID, "first"}, {created[1].ID, "second"}}, &updated, WriteOptions{}))
	require.Len(t, updated, 2)
	assert.Equal(t, "first", updated[0]["description"])
	assertOneRequest(t, s, http.MethodPatch, "/api/dcim/platforms/", http.StatusOK)

	// All or nothing, errors aligned by index.
	err = c.postList(ctx, "/api/dcim/platforms/", []PlatformCreate{{Name: "New", Slug: "new"}, {Name: "OS 0001", Slug: "os-0001"}}, &created, WriteOptions{})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, e.Fields, "1.name")
	assert.NotContains(t, e.Fields, "0.name")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusBadRequest)
	all, err = c.listPlatforms(ctx)
	require.NoError(t, err)
	assert.Len(t, all, n, "nothing created")
}

func TestSimTokens(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{ReadOnlyToken: testReadOnlyToken})
	requireServed(t, s, networkRoutes...) // Snapshot reads the device's interfaces and addresses
	ctx := context.Background()
	fx := s.Seed(t)
	id := createDevice(t, c, fx, "web01")

	ro, err := New(Config{URL: s.URL, Token: testReadOnlyToken})
	require.NoError(t, err)
	snap, err := ro.Snapshot(ctx, "web01")
	require.NoError(t, err, "a read-only token reads")
	assert.True(t, snap.Found)
	takeRequests(t, s)

	status := "offline"
	writes := []struct {
		name string
		call func() error
	}{
		{"update device", func() error {
			_, err := ro.UpdateDevice(ctx, id, DeviceUpdate{Status: &status}, WriteOptions{})
			return err
		}},
		{"create platform", func() error {
			_, err := ro.CreatePlatform(ctx, PlatformCreate{Name: "x", Slug: "x"}, WriteOptions{})
			return err
		}},
		{"journal", func() error {
			_, err := ro.CreateJournalEntry(ctx, JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: id, Comments: "x"}, WriteOptions{})
			return err
		}},
		{"bulk create", func() error {
			return ro.postList(ctx, "/api/dcim/platforms/", []PlatformCreate{{Name: "x", Slug: "x"}}, nil, WriteOptions{})
		}},
	}
	for _, w := range writes {
		t.Run("read-only "+w.name, func(t *testing.T) {
			err := w.call()
			require.Error(t, err)
			assert.True(t, IsKind(err, KindPermission), "%v", err)
			assert.Contains(t, err.Error(), "You do not have permission to perform this action.")
			assertErrNoToken(t, err)
			reqs := takeRequests(t, s)
			require.Len(t, reqs, 1)
			assert.Equal(t, http.StatusForbidden, reqs[0].Status)
		})
	}

	t.Run("unknown token", func(t *testing.T) {
		bad, err := New(Config{URL: s.URL, Token: "0000000000000000000000000000000000SECRET"})
		require.NoError(t, err)
		_, err = bad.Status(ctx)
		require.Error(t, err)
		assert.True(t, IsKind(err, KindAuth), "%v", err)
		assert.EqualError(t, err, "netbox: GET /api/status/: auth: Invalid token")
		assertErrNoToken(t, err)
		assert.Len(t, takeRequests(t, s), 1)
	})
}

func TestSimLatencyTimeout(t *testing.T) {
	s := simtest.Start(t, netboxsim.Options{Token: testToken, Latency: 300 * time.Millisecond})
	c, err := New(fastRetries(Config{URL: s.URL, Token: s.Token, Timeout: 50 * time.Millisecond}))
	require.NoError(t, err)
	_, err = c.listPlatforms(context.Background())
	require.Error(t, err)
	assert.True(t, IsKind(err, KindNetwork), "%v", err)
	assertErrNoToken(t, err)
}

// requireServed skips t when the simulator (a profile of it) does not
// serve the routes; CI (CMDB_REQUIRE_INTEGRATION=1) turns the skip into a
// failure, so it cannot stay unnoticed.
func requireServed(t *testing.T, s *simtest.Server, routes ...string) {
	t.Helper()
	for _, route := range routes {
		status, _ := s.Do(t, http.MethodGet, "/api/"+route+"/?limit=1", nil)
		if status == http.StatusNotFound {
			testenv.Skip(t, "the simulator does not serve /api/"+route+"/")
		}
	}
	s.Sim.ResetRequests()
}

var (
	networkRoutes        = []string{"dcim/interfaces", "dcim/mac-addresses", "ipam/ip-addresses"}
	virtualizationRoutes = []string{"virtualization/cluster-types", "virtualization/cluster-groups",
		"virtualization/clusters", "virtualization/virtual-machines"}
)

// TestSimNetwork walks the seed's Phases 4-5 for interfaces: interfaces,
// MAC objects, primary MACs, IPs, primary IP, then moving and unassigning
// IPs around NetBox's primary-IP guard. Each call is one request.
func TestSimNetwork(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	requireServed(t, s, networkRoutes...)
	ctx := context.Background()
	fx := s.Seed(t)
	dev := createDevice(t, c, fx, "web01")
	takeRequests(t, s)

	ifaces, err := c.CreateInterfaces(ctx, []InterfaceCreate{
		{Device: dev, Name: "eth0", Type: "1000base-t"},
		{Device: dev, Name: "eth1", Type: "10gbase-x-sfpp", MTU: 9000},
		{Device: dev, Name: "docker0", Type: "bridge", Enabled: ptr(false)},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/interfaces/", http.StatusCreated)
	require.Len(t, ifaces, 3)
	for i, name := range []string{"eth0", "eth1", "docker0"} {
		assert.Equal(t, name, ifaces[i].Name, "input order")
		assert.Equal(t, dev, ifaces[i].DeviceID)
		assert.NotZero(t, ifaces[i].ID)
	}
	assert.Equal(t, "10gbase-x-sfpp", ifaces[1].Type)
	assert.Equal(t, 9000, ifaces[1].MTU)
	assert.True(t, ifaces[0].Enabled, "NetBox's default")
	assert.False(t, ifaces[2].Enabled)
	eth0, eth1 := ifaces[0].ID, ifaces[1].ID

	_, err = c.CreateInterfaces(ctx, []InterfaceCreate{{Device: dev, Name: "eth2", Type: "virtual"}, {Device: dev, Name: "eth0", Type: "virtual"}}, WriteOptions{})
	require.Error(t, err, "name unique per device")
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/interfaces/", http.StatusBadRequest)

	macs, err := c.CreateMACAddresses(ctx, []MACAddressCreate{
		{MAC: "02:42:ac:11:00:02", InterfaceID: eth0},
		{MAC: "02:42:ac:11:00:03", InterfaceID: eth1},
		{MAC: "02:42:ac:11:00:04"}, // free, for reuse
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/mac-addresses/", http.StatusCreated)
	require.Len(t, macs, 3)
	assert.Equal(t, record.MACAddress{ID: macs[0].ID, MAC: "02:42:AC:11:00:02", InterfaceID: eth0, DeviceID: dev}, macs[0], "upper case, assignment read back")
	assert.Equal(t, record.MACAddress{ID: macs[2].ID, MAC: "02:42:AC:11:00:04"}, macs[2])

	// The free MAC moves onto eth1; then both interfaces get a primary.
	moved, err := c.UpdateMACAddresses(ctx, []MACAddressUpdate{{ID: macs[2].ID, InterfaceID: eth1}}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPatch, "/api/dcim/mac-addresses/", http.StatusOK)
	assert.Equal(t, eth1, moved[0].InterfaceID)
	assert.Equal(t, dev, moved[0].DeviceID)

	ifaces, err = c.UpdateInterfaces(ctx, []InterfaceUpdate{{ID: eth0, PrimaryMAC: &macs[0].ID}, {ID: eth1, PrimaryMAC: &macs[1].ID}}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPatch, "/api/dcim/interfaces/", http.StatusOK)
	require.Len(t, ifaces, 2)
	assert.Equal(t, &record.Ref{ID: macs[0].ID, Name: "02:42:AC:11:00:02"}, ifaces[0].PrimaryMAC)
	assert.Equal(t, &record.Ref{ID: macs[1].ID, Name: "02:42:AC:11:00:03"}, ifaces[1].PrimaryMAC)

	_, err = c.UpdateInterfaces(ctx, []InterfaceUpdate{{ID: eth0, PrimaryMAC: &macs[1].ID}}, WriteOptions{})
	require.Error(t, err, "a MAC of another interface cannot be primary")
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	assert.Contains(t, err.Error(), "is not assigned to this interface")
	takeRequests(t, s)

	ips, err := c.CreateIPAddresses(ctx, []IPAddressCreate{
		{Address: "192.0.2.10/24", Status: "active", InterfaceID: eth0},
		{Address: "2001:db8::10/64", InterfaceID: eth0},
		{Address: "198.51.100.5/24", InterfaceID: eth1, Description: "storage"},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/ipam/ip-addresses/", http.StatusCreated)
	require.Len(t, ips, 3)
	assert.Equal(t, record.IPAddress{ID: ips[0].ID, Address: "192.0.2.10/24", Status: "active",
		AssignedObjectType: "dcim.interface", AssignedObjectID: eth0, DeviceID: dev}, ips[0])
	assert.Equal(t, "storage", ips[2].Description)
	assert.Equal(t, eth1, ips[2].InterfaceID())

	d, err := c.UpdateDevice(ctx, dev, DeviceUpdate{PrimaryIP4: &ips[0].ID, PrimaryIP6: &ips[1].ID}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPatch, simtest.Path("dcim/devices", dev), http.StatusOK)
	require.NotNil(t, d.PrimaryIP4)
	assert.Equal(t, record.Ref{ID: ips[0].ID, Name: "192.0.2.10/24"}, *d.PrimaryIP4)

	// The primary guard: NetBox refuses to unassign a primary IP or move it
	// to another device, and the whole bulk request with it.
	other := createDevice(t, c, fx, "web02")
	otherIfaces, err := c.CreateInterfaces(ctx, []InterfaceCreate{{Device: other, Name: "eth0", Type: "1000base-t"}}, WriteOptions{})
	require.NoError(t, err)
	takeRequests(t, s)
	for _, tc := range []struct {
		name string
		u    IPAddressUpdate
	}{
		{"unassign", IPAddressUpdate{ID: ips[0].ID, Unassign: true}},
		{"move to another device", IPAddressUpdate{ID: ips[0].ID, InterfaceID: otherIfaces[0].ID}},
	} {
		u := tc.u
		t.Run("primary guard "+tc.name, func(t *testing.T) {
			_, err := c.UpdateIPAddresses(ctx, []IPAddressUpdate{{ID: ips[2].ID, Unassign: true}, u}, WriteOptions{})
			require.Error(t, err)
			assert.True(t, IsKind(err, KindValidation), "%v", err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusBadRequest, e.StatusCode)
			assert.Contains(t, e.Message, "Cannot reassign IP address while it is designated as the primary IP for the parent object")
			assertOneRequest(t, s, http.MethodPatch, "/api/ipam/ip-addresses/", http.StatusBadRequest)
		})
	}
	snap, err := c.SnapshotFor(ctx, SnapshotQuery{Hostname: "web01"})
	require.NoError(t, err)
	require.Len(t, snap.IPs, 3, "all or nothing: the other IP did not move either")
	for _, ip := range snap.IPs {
		assert.Equal(t, dev, ip.DeviceID, ip.Address)
	}
	takeRequests(t, s)

	// Within the device the primary may move.
	movedIPs, err := c.UpdateIPAddresses(ctx, []IPAddressUpdate{{ID: ips[0].ID, InterfaceID: eth1}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, eth1, movedIPs[0].InterfaceID())
	assertOneRequest(t, s, http.MethodPatch, "/api/ipam/ip-addresses/", http.StatusOK)

	// Clear the primary first, as apply does, then move and unassign.
	none := int64(0)
	d, err = c.UpdateDevice(ctx, dev, DeviceUpdate{PrimaryIP4: &none}, WriteOptions{})
	require.NoError(t, err)
	assert.Nil(t, d.PrimaryIP4)
	assert.NotNil(t, d.PrimaryIP6, "left alone")
	takeRequests(t, s)
	updated, err := c.UpdateIPAddresses(ctx, []IPAddressUpdate{
		{ID: ips[0].ID, InterfaceID: otherIfaces[0].ID},
		{ID: ips[2].ID, Unassign: true},
		{ID: ips[1].ID, Address: ptr("2001:db8::10/48")},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPatch, "/api/ipam/ip-addresses/", http.StatusOK)
	require.Len(t, updated, 3)
	assert.Equal(t, otherIfaces[0].ID, updated[0].InterfaceID())
	assert.Equal(t, other, updated[0].DeviceID)
	assert.Equal(t, record.IPAddress{ID: ips[2].ID, Address: "198.51.100.5/24", Status: "active", Description: "storage"}, updated[1], "unassigned, not deleted")
	assert.Equal(t, ips[1].ID, updated[2].ID, "input order, whatever order NetBox answers in")
	assert.Equal(t, "2001:db8::10/48", updated[2].Address)
	assert.Equal(t, eth0, updated[2].InterfaceID(), "the assignment is left alone")

	// IPs elsewhere are found by address, whatever the mask.
	snap, err = c.SnapshotFor(ctx, SnapshotQuery{Hostname: "web01",
		Addresses: []string{"198.51.100.5/32", "192.0.2.10", "2001:db8::10"}, MACs: map[string]string{"eth9": "02:42:ac:11:00:04"}})
	require.NoError(t, err)
	assert.Len(t, snap.Interfaces, 3)
	assert.Len(t, snap.MACs, 3)
	require.Len(t, snap.IPs, 3, "the device's own, then the others, each once")
	assert.Equal(t, ips[1].ID, snap.IPs[0].ID)
	assert.Equal(t, dev, snap.IPs[0].DeviceID)
	rest := map[int64]int64{snap.IPs[1].ID: snap.IPs[1].DeviceID, snap.IPs[2].ID: snap.IPs[2].DeviceID}
	assert.Equal(t, map[int64]int64{ips[0].ID: other, ips[2].ID: 0}, rest)
	assert.Len(t, takeRequests(t, s), 5, "device, interfaces (with their MACs), IPs, MACs and IPs by value")
}

// TestSimVirtualization: the container scaffolding of the seed's Phase 5,
// each list one request.
func TestSimVirtualization(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	requireServed(t, s, virtualizationRoutes...)
	ctx := context.Background()
	fx := s.Seed(t)
	dev := createDevice(t, c, fx, "web01")
	takeRequests(t, s)

	ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.ClusterType{ID: ct.ID, Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, ct)
	assertOneRequest(t, s, http.MethodPost, "/api/virtualization/cluster-types/", http.StatusCreated)

	cg, err := c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: record.HostClusterGroupName("web01", dev), Slug: record.HostClusterGroupSlug(dev), Description: "Docker containers of web01"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.HostClusterGroupSlug(dev), cg.Slug)
	assertOneRequest(t, s, http.MethodPost, "/api/virtualization/cluster-groups/", http.StatusCreated)

	_, err = c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: "other", Slug: record.HostClusterGroupSlug(dev)}, WriteOptions{})
	assert.True(t, IsKind(err, KindValidation), "slug taken: %v", err)
	takeRequests(t, s)

	roles, err := c.CreateDeviceRoles(ctx, []DeviceRoleCreate{
		{Name: "Docker container", Slug: "docker-container", Color: "2496ed", VMRole: true},
		{Name: "Database", Slug: "database", VMRole: true},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/device-roles/", http.StatusCreated)
	require.Len(t, roles, 2)
	assert.Equal(t, record.DeviceRole{ID: roles[1].ID, Name: "Database", Slug: "database", VMRole: true}, roles[1])

	clusters, err := c.CreateClusters(ctx, []ClusterCreate{
		{Name: "media", Type: ct.ID, Group: cg.ID, Status: "active"},
		{Name: record.StandaloneClusterName, Type: ct.ID, Group: cg.ID},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/virtualization/clusters/", http.StatusCreated)
	require.Len(t, clusters, 2)
	assert.Equal(t, record.Cluster{ID: clusters[0].ID, Name: "media", Type: record.Ref{ID: ct.ID, Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug},
		Group: &record.Ref{ID: cg.ID, Name: cg.Name, Slug: cg.Slug}, Status: "active"}, clusters[0])
	assert.Equal(t, record.StandaloneClusterName, clusters[1].Name)
	media, standalone := clusters[0].ID, clusters[1].ID

	vms, err := c.CreateVirtualMachines(ctx, []VirtualMachineCreate{
		{Name: "jellyfin", Cluster: media, Status: "active", Role: roles[0].ID, VCPUs: ptr(2.0), MemoryMB: ptr[int64](2048), Description: "jellyfin/jellyfin:10.9"},
		{Name: "postgres", Cluster: media, Status: "active", Role: roles[1].ID, VCPUs: ptr(0.5)},
		{Name: "watchtower", Cluster: standalone, Status: "offline"},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPost, "/api/virtualization/virtual-machines/", http.StatusCreated)
	require.Len(t, vms, 3)
	assert.Equal(t, record.VirtualMachine{ID: vms[0].ID, Name: "jellyfin", Status: "active", ClusterID: media,
		Role: &record.Ref{ID: roles[0].ID, Name: "Docker container", Slug: "docker-container"}, VCPUs: 2, MemoryMB: 2048,
		Description: "jellyfin/jellyfin:10.9"}, vms[0])
	assert.Equal(t, 0.5, vms[1].VCPUs)
	assert.Zero(t, vms[1].MemoryMB, "not sent, not set")
	assert.Equal(t, "offline", vms[2].Status)

	_, err = c.CreateVirtualMachines(ctx, []VirtualMachineCreate{{Name: "new", Cluster: media, Status: "active"}, {Name: "JELLYFIN", Cluster: media, Status: "active"}}, WriteOptions{})
	require.Error(t, err, "VM names are unique per cluster, case-insensitively")
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	assertOneRequest(t, s, http.MethodPost, "/api/virtualization/virtual-machines/", http.StatusBadRequest)

	vms, err = c.UpdateVirtualMachines(ctx, []VirtualMachineUpdate{
		{ID: vms[0].ID, MemoryMB: ptr[int64](4096), VCPUs: ptr(0.0), Description: ptr("jellyfin/jellyfin:10.10")},
		{ID: vms[2].ID, Status: ptr("active"), Cluster: &media, Role: &roles[0].ID},
	}, WriteOptions{})
	require.NoError(t, err)
	assertOneRequest(t, s, http.MethodPatch, "/api/virtualization/virtual-machines/", http.StatusOK)
	require.Len(t, vms, 2)
	assert.Equal(t, int64(4096), vms[0].MemoryMB)
	assert.Zero(t, vms[0].VCPUs, "cleared")
	assert.Equal(t, "jellyfin/jellyfin:10.10", vms[0].Description)
	assert.Equal(t, media, vms[1].ClusterID)
	assert.Equal(t, "active", vms[1].Status)

	// The reads SnapshotFor uses.
	types, err := c.ListClusterTypes(ctx, record.ClusterTypeSlug)
	require.NoError(t, err)
	assert.Equal(t, []record.ClusterType{ct}, types)
	groups, err := c.ListClusterGroups(ctx, record.HostClusterGroupSlug(dev))
	require.NoError(t, err)
	assert.Equal(t, []record.ClusterGroup{cg}, groups)
	groups, err = c.ListClusterGroups(ctx, record.HostClusterGroupSlug(dev+1))
	require.NoError(t, err)
	assert.Empty(t, groups)
	listed, err := c.listClusters(ctx, cg.ID)
	require.NoError(t, err)
	assert.Len(t, listed, 2)
	all, err := c.ListVirtualMachines(ctx, []int64{media, standalone})
	require.NoError(t, err)
	assert.Len(t, all, 3)
	byStandalone, err := c.ListVirtualMachines(ctx, []int64{standalone})
	require.NoError(t, err)
	assert.Empty(t, byStandalone, "watchtower moved to media")
	allRoles, err := c.listDeviceRoles(ctx)
	require.NoError(t, err)
	assert.Len(t, allRoles, 3, "the fixture's role and two VM roles")
	assert.Len(t, takeRequests(t, s), 7)
}

// TestSimSnapshotRequestCount: Phase 1 costs the same for a host with 3
// interfaces as for one with 40 interfaces, 100 IPs and 30 containers.
func TestSimSnapshotRequestCount(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	requireServed(t, s, append(networkRoutes, virtualizationRoutes...)...)
	ctx := context.Background()
	fx := s.Seed(t)
	ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, WriteOptions{})
	require.NoError(t, err)

	// host builds a device with n interfaces (one MAC each), ips IPs
	// spread over them and vms VMs in clusters of 6, and returns the query
	// for it.
	host := func(name string, net, n, ips, vms int) SnapshotQuery {
		dev := createDevice(t, c, fx, name)
		q := SnapshotQuery{Hostname: name, Containers: true, MACs: map[string]string{}}
		in := make([]InterfaceCreate, n)
		for i := range in {
			in[i] = InterfaceCreate{Device: dev, Name: fmt.Sprintf("eth%d", i), Type: "1000base-t"}
		}
		ifaces, err := c.CreateInterfaces(ctx, in, WriteOptions{})
		require.NoError(t, err)
		macs := make([]MACAddressCreate, n)
		for i, iface := range ifaces {
			macs[i] = MACAddressCreate{MAC: fmt.Sprintf("02:00:00:%02x:00:%02x", net, i), InterfaceID: iface.ID}
			q.MACs[iface.Name] = macs[i].MAC
		}
		_, err = c.CreateMACAddresses(ctx, macs, WriteOptions{})
		require.NoError(t, err)
		addrs := make([]IPAddressCreate, ips)
		for i := range addrs {
			addrs[i] = IPAddressCreate{Address: fmt.Sprintf("10.%d.%d.%d/24", net, i/200, i%200+1), InterfaceID: ifaces[i%n].ID}
			q.Addresses = append(q.Addresses, strings.Split(addrs[i].Address, "/")[0])
		}
		_, err = c.CreateIPAddresses(ctx, addrs, WriteOptions{})
		require.NoError(t, err)
		cg, err := c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: record.HostClusterGroupName(name, dev), Slug: record.HostClusterGroupSlug(dev)}, WriteOptions{})
		require.NoError(t, err)
		var clusters []ClusterCreate
		for i := 0; i*6 < vms; i++ {
			clusters = append(clusters, ClusterCreate{Name: fmt.Sprintf("project%d", i), Type: ct.ID, Group: cg.ID})
		}
		made, err := c.CreateClusters(ctx, clusters, WriteOptions{})
		require.NoError(t, err)
		vmIn := make([]VirtualMachineCreate, vms)
		for i := range vmIn {
			vmIn[i] = VirtualMachineCreate{Name: fmt.Sprintf("c%d", i), Cluster: made[i/6].ID, Status: "active"}
		}
		_, err = c.CreateVirtualMachines(ctx, vmIn, WriteOptions{})
		require.NoError(t, err)
		return q
	}
	small := host("small", 1, 3, 3, 2)
	big := host("big", 2, 40, 100, 30)
	takeRequests(t, s)

	snapshot := func(q SnapshotQuery) (record.Snapshot, []simRequest) {
		snap, err := c.SnapshotFor(ctx, q)
		require.NoError(t, err)
		return snap, takeRequests(t, s)
	}
	snap, smallReqs := snapshot(small)
	assert.Len(t, snap.Interfaces, 3)
	assert.Len(t, snap.MACs, 3)
	assert.Len(t, snap.IPs, 3)
	assert.Len(t, snap.VMs, 2)
	snap, bigReqs := snapshot(big)
	assert.Len(t, snap.Interfaces, 40)
	assert.Len(t, snap.MACs, 40)
	assert.Len(t, snap.IPs, 100)
	assert.Len(t, snap.Clusters, 5)
	assert.Len(t, snap.VMs, 30)
	require.NotNil(t, snap.ClusterGroup)
	assert.Equal(t, snap.Device.ID, snap.MACs[0].DeviceID)
	assert.Equal(t, snap.Device.ID, snap.IPs[0].DeviceID)

	assert.Len(t, smallReqs, 6, "device, interfaces (with their MACs), IPs, cluster group; clusters (with their type), VMs (with their roles)")
	assert.Len(t, bigReqs, len(smallReqs), "the count does not grow with the host")
	for _, r := range bigReqs {
		assert.Equal(t, http.StatusOK, r.Status, r.Path)
		assert.Equal(t, "1000", r.Query.Get("limit"), r.Path)
	}

	// A MAC on another interface than the host's, a new interface's MAC and
	// a new address are looked up anywhere, in the clusters' round trip.
	moved := big
	moved.MACs = maps.Clone(big.MACs)
	moved.MACs["eth0"], moved.MACs["eth1"] = big.MACs["eth1"], big.MACs["eth0"]
	moved.MACs["eth99"] = "02:ff:00:00:00:01"
	moved.Addresses = append(slices.Clone(big.Addresses), "10.2.99.1")
	_, reqs := snapshot(moved)
	require.Len(t, reqs, 8, "and the MACs and IPs by value")
	byPath := map[string]simRequest{}
	for _, r := range reqs {
		byPath[r.Path] = r
	}
	assert.ElementsMatch(t, []string{"02:00:00:02:00:00", "02:00:00:02:00:01", "02:FF:00:00:00:01"}, byPath["/api/dcim/mac-addresses/"].Query["mac_address"], "only the MACs not on their interface")
	ipQueries := 0
	for _, r := range reqs {
		if r.Path == "/api/ipam/ip-addresses/" && r.Query.Has("address") {
			ipQueries++
			assert.Equal(t, []string{"10.2.99.1"}, r.Query["address"], "only the address the device lacks")
		}
	}
	assert.Equal(t, 1, ipQueries)

	big.Containers = false
	_, reqs = snapshot(big)
	assert.Len(t, reqs, 3, "without containers")
	moved.Containers = false
	_, reqs = snapshot(moved)
	assert.Len(t, reqs, 5, "without containers, with values to look up")
	_, reqs = snapshot(SnapshotQuery{Hostname: "big"})
	assert.Len(t, reqs, 3, "without MACs and addresses to look up")
	_, reqs = snapshot(SnapshotQuery{Hostname: "nothere", Containers: true})
	assert.Len(t, reqs, 3, "device not found: device; platforms and devices of a similar name")
}
