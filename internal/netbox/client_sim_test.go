package netbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox/sim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox/sim/simtest"
)

// These tests run the client against the NetBox 4.3 simulator, which checks
// every request and response against NetBox's OpenAPI document, and count
// the requests each method makes from the simulator's log.

const testReadOnlyToken = "fedcba9876543210fedcba9876543210SECRETro"

func startSim(t *testing.T, opts sim.Options) (*simtest.Server, *Client) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
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
	for _, r := range s.Sim.Requests() {
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		out = append(out, simRequest{Method: r.Method, Path: r.Path, Query: q, Status: r.Status})
	}
	s.Sim.ResetRequests()
	return out
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
	err := c.DoJSON(context.Background(), http.MethodPost, "/api/dcim/devices/", nil, map[string]any{
		"name": name, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "site": fx.SiteID, "status": "active",
	}, &out)
	require.NoError(t, err)
	require.NotZero(t, out.ID)
	return out.ID
}

func TestSimStatus(t *testing.T) {
	s, c := startSim(t, sim.Options{Version: "4.3.9"})
	st, err := c.Status(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "4.3.9", st.NetBoxVersion)
	assertOneRequest(t, s, http.MethodGet, "/api/status/", http.StatusOK)
}

func TestSimSyncRoundTrip(t *testing.T) {
	s, c := startSim(t, sim.Options{})
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
	assert.NotNil(t, snap.Platforms)
	assert.Empty(t, snap.Platforms)
	reqs := takeRequests(t, s)
	require.Len(t, reqs, 2, "one request per list")
	assert.Equal(t, "/api/dcim/devices/", reqs[0].Path)
	assert.Equal(t, "WEB01", reqs[0].Query.Get("name"))
	assert.Equal(t, "/api/dcim/platforms/", reqs[1].Path)
	for _, r := range reqs {
		assert.Equal(t, "1000", r.Query.Get("limit"))
		assert.Equal(t, http.StatusOK, r.Status)
	}

	snap, err = c.Snapshot(ctx, "web02")
	require.NoError(t, err)
	assert.False(t, snap.Found)
	assert.Zero(t, snap.Device)
	assert.Len(t, takeRequests(t, s), 2)

	// Phase 5: a platform, then the device update.
	p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"})
	require.NoError(t, err)
	assert.Equal(t, "Ubuntu 24.04", p.Name)
	assert.Equal(t, "ubuntu-24-04", p.Slug)
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusCreated)

	_, err = c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, e.Fields, "name")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusBadRequest)

	offline, serial := "offline", "SN-42"
	d, err := c.UpdateDevice(ctx, id, DeviceUpdate{Status: &offline, Platform: &p.ID, Serial: &serial})
	require.NoError(t, err)
	assert.Equal(t, "offline", d.Status)
	assert.Equal(t, "SN-42", d.Serial)
	require.NotNil(t, d.Platform)
	assert.Equal(t, Ref{ID: p.ID, Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}, *d.Platform)
	assertOneRequest(t, s, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	got, err := c.GetDevice(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, d, got, "the PATCH response and a fresh read agree")
	assertOneRequest(t, s, http.MethodGet, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	none := int64(0)
	d, err = c.UpdateDevice(ctx, id, DeviceUpdate{Platform: &none})
	require.NoError(t, err)
	assert.Nil(t, d.Platform, "0 clears")
	assert.Equal(t, "offline", d.Status, "fields not sent stay")
	assertOneRequest(t, s, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", id), http.StatusOK)

	bad := "foo"
	_, err = c.UpdateDevice(ctx, id, DeviceUpdate{Status: &bad})
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
	})
	require.NoError(t, err)
	assert.NotZero(t, j.ID)
	assert.Equal(t, JournalEntry{ID: j.ID, AssignedObjectType: "dcim.device", AssignedObjectID: id, Kind: "success", Comments: "Device synced via cmdb-mcp"}, j)
	assertOneRequest(t, s, http.MethodPost, "/api/extras/journal-entries/", http.StatusCreated)

	devices, err := c.ListDevices(ctx, DeviceFilter{})
	require.NoError(t, err)
	assert.Len(t, devices, 1)
	assert.Len(t, takeRequests(t, s), 1)
}

func TestSimSameNameInTwoSites(t *testing.T) {
	s, c := startSim(t, sim.Options{})
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
	s, c := startSim(t, sim.Options{})
	ctx := context.Background()

	const n = 1500
	objs := make([]PlatformCreate, n)
	for i := range objs {
		objs[i] = PlatformCreate{Name: fmt.Sprintf("OS %04d", i), Slug: fmt.Sprintf("os-%04d", i)}
	}
	var created []Platform
	require.NoError(t, c.BulkCreate(ctx, "/api/dcim/platforms/", objs, &created))
	require.Len(t, created, n)
	assert.Equal(t, "OS 0000", created[0].Name, "in the order sent")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusCreated)

	all, err := c.ListPlatforms(ctx)
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
	require.NoError(t, c.BulkUpdate(ctx, "/api/dcim/platforms/",
		[]patch{{created[0].ID, "first"}, {created[1].ID, "second"}}, &updated))
	require.Len(t, updated, 2)
	assert.Equal(t, "first", updated[0]["description"])
	assertOneRequest(t, s, http.MethodPatch, "/api/dcim/platforms/", http.StatusOK)

	// All or nothing, errors aligned by index.
	err = c.BulkCreate(ctx, "/api/dcim/platforms/", []PlatformCreate{{"New", "new"}, {"OS 0001", "os-0001"}}, &created)
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Contains(t, e.Fields, "1.name")
	assert.NotContains(t, e.Fields, "0.name")
	assertOneRequest(t, s, http.MethodPost, "/api/dcim/platforms/", http.StatusBadRequest)
	all, err = c.ListPlatforms(ctx)
	require.NoError(t, err)
	assert.Len(t, all, n, "nothing created")
}

func TestSimTokens(t *testing.T) {
	s, c := startSim(t, sim.Options{ReadOnlyToken: testReadOnlyToken})
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
		{"update device", func() error { _, err := ro.UpdateDevice(ctx, id, DeviceUpdate{Status: &status}); return err }},
		{"create platform", func() error { _, err := ro.CreatePlatform(ctx, PlatformCreate{Name: "x", Slug: "x"}); return err }},
		{"journal", func() error {
			_, err := ro.CreateJournalEntry(ctx, JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: id, Comments: "x"})
			return err
		}},
		{"bulk create", func() error {
			return ro.BulkCreate(ctx, "/api/dcim/platforms/", []PlatformCreate{{"x", "x"}}, nil)
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
	s := simtest.Start(t, sim.Options{Token: testToken, Latency: 300 * time.Millisecond})
	c, err := New(Config{URL: s.URL, Token: s.Token, Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.ListPlatforms(context.Background())
	require.Error(t, err)
	assert.True(t, IsKind(err, KindNetwork), "%v", err)
	assertErrNoToken(t, err)
}
