package netbox

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// createCase is one create method of the client, run against a simulator
// that holds a device (dev) with an interface (iface) in a cluster group
// (group) with a cluster (cluster) of a type (ctype).
type createCase struct {
	name, path string
	create     func(ctx context.Context, c *Client, w createWorld) (int, error) // returns how many objects it made
	count      func(t *testing.T, s *simtest.Server) int                        // how many such objects exist
}

type createWorld struct {
	dev, iface, ctype, group, cluster int64
	fx                                simtest.Fixture
}

func countOf(path string) func(t *testing.T, s *simtest.Server) int {
	return func(t *testing.T, s *simtest.Server) int {
		t.Helper()
		status, body := s.Do(t, http.MethodGet, path+"?limit=1", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var page struct{ Count int }
		require.NoError(t, json.Unmarshal(body, &page))
		return page.Count
	}
}

var createCases = []createCase{
	{"platform", platformsPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "Debian 13", Slug: "debian-13"}, WriteOptions{})
		return b2i(p.ID != 0), err
	}, countOf(platformsPath)},
	{"interfaces", interfacesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateInterfaces(ctx, []InterfaceCreate{{Device: w.dev, Name: "eth1", Type: "1000base-t"}, {Device: w.dev, Name: "eth2", Type: "virtual"}}, WriteOptions{})
		return len(out), err
	}, countOf(interfacesPath)},
	{"MAC addresses", macAddressesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateMACAddresses(ctx, []MACAddressCreate{{MAC: "02:00:00:00:00:01", InterfaceID: w.iface}, {MAC: "02:00:00:00:00:02", InterfaceID: w.iface}}, WriteOptions{})
		return len(out), err
	}, countOf(macAddressesPath)},
	{"IP addresses", ipAddressesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateIPAddresses(ctx, []IPAddressCreate{{Address: "192.0.2.1/24", Status: "active", InterfaceID: w.iface}, {Address: "2001:db8::1/64", InterfaceID: w.iface}}, WriteOptions{})
		return len(out), err
	}, countOf(ipAddressesPath)},
	{"device roles", deviceRolesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateDeviceRoles(ctx, []DeviceRoleCreate{{Name: "Database", Slug: "database", Color: "aa1409", VMRole: true}}, WriteOptions{})
		return len(out), err
	}, countOf(deviceRolesPath)},
	{"cluster type", clusterTypesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: "Podman", Slug: "podman"}, WriteOptions{})
		return b2i(ct.ID != 0), err
	}, countOf(clusterTypesPath)},
	{"cluster group", clusterGroupsPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		g, err := c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: "Other", Slug: "other"}, WriteOptions{})
		return b2i(g.ID != 0), err
	}, countOf(clusterGroupsPath)},
	{"clusters", clustersPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateClusters(ctx, []ClusterCreate{{Name: "web", Type: w.ctype, Group: w.group, Status: "active"}, {Name: "db", Type: w.ctype, Group: w.group}}, WriteOptions{})
		return len(out), err
	}, countOf(clustersPath)},
	{"journal entry of a sync", journalPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		// The plan id shares no 12 characters with testToken, which every
		// answer is redacted of.
		e, err := c.CreateJournalEntry(ctx, JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: w.dev, Kind: "success",
			Comments: "Device synced via /cmdb sync command\n\nChanges applied:\n- x\n\n" + SyncMarker("plan-fedcba9876543210")}, WriteOptions{})
		return b2i(e.ID != 0), err
	}, countOf(journalPath)},
	{"virtual machines", virtualMachinesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		out, err := c.CreateVirtualMachines(ctx, []VirtualMachineCreate{{Name: "nginx", Cluster: w.cluster, Status: "active"}, {Name: "redis", Cluster: w.cluster}}, WriteOptions{})
		return len(out), err
	}, countOf(virtualMachinesPath)},
	{"manufacturer", manufacturersPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		m, err := c.CreateManufacturer(ctx, ManufacturerCreate{Name: "Dell", Slug: "dell"}, WriteOptions{})
		return b2i(m.ID != 0), err
	}, countOf(manufacturersPath)},
	{"device type", deviceTypesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		dt, err := c.CreateDeviceType(ctx, DeviceTypeCreate{Manufacturer: w.fx.ManufacturerID, Model: "PowerEdge R640", Slug: "poweredge-r640"}, WriteOptions{})
		return b2i(dt.ID != 0), err
	}, countOf(deviceTypesPath)},
	{"device", devicesPath, func(ctx context.Context, c *Client, w createWorld) (int, error) {
		d, err := c.CreateDevice(ctx, DeviceCreate{Name: "db01", Site: w.fx.SiteID, Role: w.fx.RoleID, DeviceType: w.fx.DeviceTypeID, Status: "active", Serial: "SN-1"}, WriteOptions{})
		return b2i(d.ID != 0), err
	}, countOf(devicesPath)},
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func newCreateWorld(t *testing.T, s *simtest.Server, c *Client) createWorld {
	t.Helper()
	ctx := context.Background()
	fx := s.Seed(t)
	w := createWorld{dev: createDevice(t, c, fx, "web01"), fx: fx}
	ifs, err := c.CreateInterfaces(ctx, []InterfaceCreate{{Device: w.dev, Name: "eth0", Type: "1000base-t"}}, WriteOptions{})
	require.NoError(t, err)
	w.iface = ifs[0].ID
	ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, WriteOptions{})
	require.NoError(t, err)
	g, err := c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: "web01 containers", Slug: record.HostClusterGroupSlug(w.dev)}, WriteOptions{})
	require.NoError(t, err)
	cl, err := c.CreateClusters(ctx, []ClusterCreate{{Name: "base", Type: ct.ID, Group: g.ID}}, WriteOptions{})
	require.NoError(t, err)
	w.ctype, w.group, w.cluster = ct.ID, g.ID, cl[0].ID
	return w
}

// TestCreateUnderFaults: every create method against every way a POST can
// fail once, through the simulator. The objects are made exactly once: a
// POST whose answer was lost after NetBox committed it is found, not sent
// again; one that never reached NetBox is sent again.
func TestCreateUnderFaults(t *testing.T) {
	faults := []struct {
		name  string
		fault netboxsim.Fault
		posts int // POSTs NetBox sees
	}{
		{"429", netboxsim.Fault{Status: 429, RetryAfter: ptr(0)}, 2},
		{"502", netboxsim.Fault{Status: 502}, 2},
		{"503", netboxsim.Fault{Status: 503}, 2},
		{"504", netboxsim.Fault{Status: 504}, 2},
		{"timeout", netboxsim.Fault{Delay: time.Minute}, 2},
		{"dropped", netboxsim.Fault{Drop: true}, 2},
		{"dropped after commit", netboxsim.Fault{Drop: true, AfterCommit: true}, 1},
		{"timeout after commit", netboxsim.Fault{Delay: time.Minute, AfterCommit: true}, 1},
		{"502 after commit", netboxsim.Fault{Status: 502, AfterCommit: true}, 1},
		{"500 after commit", netboxsim.Fault{Status: 500, AfterCommit: true}, 1},
	}
	for _, cc := range createCases {
		for _, f := range faults {
			t.Run(cc.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				s := simtest.Start(t, netboxsim.Options{Token: testToken})
				c, err := New(fastRetries(Config{URL: s.URL, Token: s.Token, Timeout: time.Second}))
				require.NoError(t, err)
				w := newCreateWorld(t, s, c)
				before := cc.count(t, s)
				fault := f.fault
				fault.Method, fault.Path, fault.Count = http.MethodPost, cc.path, 1
				require.NoError(t, s.Sim.AddFault(fault))
				s.Sim.ResetRequests()

				made, err := cc.create(context.Background(), c, w)
				require.NoError(t, err, "%+v", s.Sim.Requests())
				assert.Equal(t, before+made, cc.count(t, s), "each object once")
				posts := 0
				for _, r := range settledRequests(s) {
					if r.Method == http.MethodPost {
						posts++
					}
				}
				assert.Equal(t, f.posts, posts, "%+v", s.Sim.Requests())
			})
		}
	}
}

// TestCreateFailuresReported: faults that do not go away, or that say
// the request itself is wrong, fail the create with NetBox's message and
// make nothing.
// The timeout is generous: under -race on a loaded CI machine a check GET
// must not itself time out, or the counts below change.
func TestCreateFailuresReported(t *testing.T) {
	s := simtest.Start(t, netboxsim.Options{Token: testToken})
	c, err := New(fastRetries(Config{URL: s.URL, Token: s.Token, Timeout: 2 * time.Second, MaxRetries: 2}))
	require.NoError(t, err)
	w := newCreateWorld(t, s, c)
	cc := createCases[1] // interfaces
	for _, tt := range []struct {
		name  string
		fault netboxsim.Fault
		kind  ErrorKind
		msg   string
		posts int
	}{
		{"403", netboxsim.Fault{Status: 403}, KindPermission, "You do not have permission to perform this action.", 1},
		{"409", netboxsim.Fault{Status: 409}, KindConflict, "The request could not be completed", 1},
		{"500", netboxsim.Fault{Status: 500}, KindServer, "OperationalError: server closed the connection unexpectedly", 1},
		{"503", netboxsim.Fault{Status: 503}, KindServer, "503 Service Unavailable nginx", 3},
		{"429", netboxsim.Fault{Status: 429, RetryAfter: ptr(0)}, KindRateLimited, "Request was throttled.", 3},
		{"drop", netboxsim.Fault{Drop: true}, KindNetwork, "EOF", 3},
		{"timeout", netboxsim.Fault{Delay: time.Minute}, KindNetwork, "timeout: no answer within 2s", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fault
			f.Method, f.Path = http.MethodPost, cc.path
			require.NoError(t, s.Sim.AddFault(f))
			defer s.Sim.ClearFaults()
			before := cc.count(t, s)
			s.Sim.ResetRequests()
			_, err := cc.create(context.Background(), c, w)
			require.Error(t, err)
			assert.True(t, IsKind(err, tt.kind), "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
			assertErrNoToken(t, err)
			posts, gets := 0, 0
			for _, r := range settledRequests(s) {
				switch r.Method {
				case http.MethodPost:
					posts++
				case http.MethodGet:
					gets++
				}
			}
			assert.Equal(t, tt.posts, posts)
			if tt.kind == KindPermission || tt.kind == KindConflict {
				assert.Zero(t, gets, "a refusal is certain: nothing to check")
			} else {
				assert.Equal(t, tt.posts, gets, "each unknown outcome is checked")
			}
			assert.Equal(t, before, cc.count(t, s))
		})
	}
}

// TestCreateResendsOnlyWhatIsMissing: of two interfaces one exists (made
// meanwhile by someone else, or by a create whose answer was lost); after
// a 503 only the other one is sent again, and the answer is in input order.
func TestCreateResendsOnlyWhatIsMissing(t *testing.T) {
	var posts atomic.Int32
	var bodies []string
	f := newFake(t, answerStatus(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			body := make([]map[string]any, 0)
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			raw, _ := json.Marshal(body)
			bodies = append(bodies, string(raw))
			if posts.Add(1) == 1 {
				status(503, "")(w, r)
				return
			}
			writeJSON(w, 201, []map[string]any{{"id": 12, "name": body[0]["name"], "device": map[string]any{"id": 7}, "type": "virtual"}})
		case http.MethodGet:
			assert.Equal(t, "7", r.URL.Query().Get("device_id"))
			assert.ElementsMatch(t, []string{"eth1", "eth2"}, r.URL.Query()["name"])
			listResponse(w, r, []map[string]any{
				{"id": 11, "name": "eth1", "device": map[string]any{"id": 7}, "type": "1000base-t"},
				{"id": 99, "name": "eth2", "device": map[string]any{"id": 8}, "type": "virtual"}, // another device's
			}, 1000)
		}
	}))
	got, err := newTestClient(t, f).CreateInterfaces(context.Background(), []InterfaceCreate{
		{Device: 7, Name: "eth1", Type: "1000base-t"}, {Device: 7, Name: "eth2", Type: "virtual"},
	}, WriteOptions{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []int64{11, 12}, []int64{got[0].ID, got[1].ID})
	require.Len(t, bodies, 2)
	assert.JSONEq(t, `[{"device": 7, "name": "eth2", "type": "virtual"}]`, bodies[1])
}

// TestCreateResendErrorIndexes: a 400 to the re-sent part names positions
// in the caller's input.
func TestCreateResendErrorIndexes(t *testing.T) {
	var posts atomic.Int32
	f := newFake(t, answerStatus(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			if posts.Add(1) == 1 {
				status(502, "")(w, r)
				return
			}
			writeJSON(w, 400, []map[string]any{{"name": []string{"Bad name."}}})
		case http.MethodGet:
			listResponse(w, r, []map[string]any{{"id": 11, "name": "eth1", "device": map[string]any{"id": 7}}}, 1000)
		}
	}))
	_, err := newTestClient(t, f).CreateInterfaces(context.Background(), []InterfaceCreate{
		{Device: 7, Name: "eth1", Type: "1000base-t"}, {Device: 7, Name: "bad name", Type: "virtual"},
	}, WriteOptions{})
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, map[string][]string{"1.name": {"Bad name."}}, e.Fields)
	assert.Equal(t, "1.name: Bad name.", e.Message)
}

// TestCreateUncheckable: when the lookup fails too, the error says that
// the create may have gone in, and keeps the create's classification.
func TestCreateUncheckable(t *testing.T) {
	f := newFake(t, answerStatus(status(502, "<h1>502 Bad Gateway</h1>")))
	c, err := New(fastRetries(Config{URL: f.URL, Token: testToken, MaxRetries: 1}))
	require.NoError(t, err)
	_, err = c.CreatePlatform(context.Background(), PlatformCreate{Name: "x", Slug: "x"}, WriteOptions{})
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.MethodPost, e.Method)
	assert.Equal(t, "502 Bad Gateway", e.Message)
	assert.Contains(t, err.Error(), "it may have reached NetBox: looking for what it created failed: netbox: GET /api/dcim/platforms/: server: 502 Bad Gateway")
	reqs := withoutStatus(f.requests())
	require.Len(t, reqs, 3, "POST once, GET twice (one retry)")
	assert.Equal(t, http.MethodGet, reqs[1].Method)
	assert.Contains(t, reqs[1].Query, "slug=x")
}

// TestCreateLandsAfterItsCheck: the first POST times out while NetBox is
// still at it, and commits only after the client has looked and found
// nothing. The re-sent POST is refused (the slug is taken now); looking
// again finds the platform, which is the answer: one platform, no error.
func TestCreateLandsAfterItsCheck(t *testing.T) {
	var mu, writes sync.Mutex // data; one write at a time, as a database lock would
	var platforms []map[string]any
	var posts, gets atomic.Int32
	checked := make(chan struct{})   // closed by the client's first look
	firstDone := make(chan struct{}) // closed when the first POST has committed
	f := newFake(t, answerStatus(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			var body map[string]any
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			writes.Lock()
			defer writes.Unlock()
			if posts.Add(1) == 1 {
				// NetBox is slow: the client times out, looks, finds
				// nothing, and only then does this write commit.
				<-checked
				defer close(firstDone)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range platforms {
				if p["slug"] == body["slug"] {
					writeJSON(w, 400, map[string]any{"slug": []string{"platform with this slug already exists."}})
					return
				}
			}
			p := map[string]any{"id": len(platforms) + 1, "name": body["name"], "slug": body["slug"]}
			platforms = append(platforms, p)
			writeJSON(w, 201, p)
		case http.MethodGet:
			mu.Lock()
			listResponse(w, r, platforms, 1000)
			mu.Unlock()
			if gets.Add(1) == 1 {
				close(checked)
			}
		}
	}))
	c, err := New(fastRetries(Config{URL: f.URL, Token: testToken, Timeout: 100 * time.Millisecond}))
	require.NoError(t, err)
	p, err := c.CreatePlatform(context.Background(), PlatformCreate{Name: "Debian 13", Slug: "debian-13"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.Platform{ID: 1, Name: "Debian 13", Slug: "debian-13"}, p)
	<-firstDone
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, platforms, 1)
	// create, check, re-send (refused, or timed out behind the first and
	// checked and re-sent again), check again.
	reqs := withoutStatus(f.requests())
	require.GreaterOrEqual(t, len(reqs), 4)
	assert.Equal(t, []string{"POST", "GET", "POST"}, []string{reqs[0].Method, reqs[1].Method, reqs[2].Method})
	assert.Equal(t, "GET", reqs[len(reqs)-1].Method)
}
