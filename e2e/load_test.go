package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Load: 50 concurrent streamable-HTTP sessions, 100 tool calls each.
const (
	loadSessions = 50
	loadCalls    = 100
	// loadHeapRatio is how much the heap may grow over the run and stay
	// grown: generous, as the GC keeps some slack; a leak of per-session
	// or per-call state grows it with every call and fails it.
	loadHeapRatio = 1.5
)

// loadHost is the host the load test's engine "discovers".
var loadHost = host.Host{
	Hostname: "load01",
	OS:       host.OS{Platform: "Debian 12"},
	Hardware: host.Hardware{Serial: "LOAD-0001"},
	Network: host.Network{
		Interfaces: []host.Interface{
			{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:10:01", AdminUp: true,
				IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}, IPv6: []netip.Prefix{netip.MustParsePrefix("2001:db8::10/64")}},
			{Name: "eth1", Type: "1000base-t", MAC: "02:00:00:00:10:02", AdminUp: true,
				IPv4: []netip.Prefix{netip.MustParsePrefix("198.51.100.10/24")}},
		},
		PrimaryIPv4: netip.MustParsePrefix("192.0.2.10/24"),
		PrimaryIPv6: netip.MustParsePrefix("2001:db8::10/64"),
	},
}

// TestLoad runs the MCP server in this process over streamable HTTP
// against the simulator: 50 concurrent sessions (half on the 2025-11-25
// protocol with its session, half on the stateless 2026-07-28) make 100
// tool calls each: reads, diffs, and applies of those diffs. No call may
// fail, and once the sessions are closed the heap returns near where it
// started.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test takes a while; not with -short")
	}
	if v := os.Getenv("CMDB_SIM_VERSION"); v != "" { // simtest.VersionEnv
		t.Skipf("the load test runs once, against the default NetBox; not again for %s", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	srv := simtest.Start(t, suiteSimOptions())
	fx := srv.Seed(t)
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	var dev struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, srv.Admin().Do(ctx, http.MethodPost, "/api/dcim/devices/", nil, map[string]any{
		"name": loadHost.Hostname, "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "status": "planned",
	}, &dev))
	eng := engine.New(nb, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return loadHost, nil }))
	// The first sync brings NetBox in line; the load's diffs then find it
	// in sync, and its applies write nothing (and stay valid).
	plan, err := eng.Diff(ctx, engine.DiffRequest{})
	require.NoError(t, err)
	res, err := eng.Apply(ctx, plan.ID)
	require.NoError(t, err)
	require.Zero(t, res.Failed, "%+v", res.Changes)

	addr := freeAddr(t)
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- server.RunWithOptions(runCtx, server.New(eng, nb, server.Options{Version: "load"}), server.TransportHTTP, server.HTTPOptions{Addr: addr, AuthToken: authToken})
	}()
	defer func() {
		stop()
		select {
		case err := <-served:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop")
		}
	}()
	endpoint := "http://" + addr + "/mcp"
	healthy := false
	for deadline := time.Now().Add(10 * time.Second); !healthy && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == http.StatusOK
		}
	}
	require.True(t, healthy, "the server never answered /healthz")

	transport := &http.Transport{MaxIdleConns: 2 * loadSessions, MaxIdleConnsPerHost: 2 * loadSessions, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: withBearer{next: transport, token: authToken}}
	l := &loadRun{deviceID: dev.ID, endpoint: endpoint, client: client}

	// Warm up (schemas compiled, pools filled), then measure from there.
	require.NoError(t, l.session(ctx, 0, 20))
	transport.CloseIdleConnections()
	srv.Sim.ResetRequests()
	l.calls.Store(0)
	before, goroutinesBefore := settledHeap()

	start := time.Now()
	var wg sync.WaitGroup
	for i := range loadSessions {
		wg.Go(func() {
			if err := l.session(ctx, i, loadCalls); err != nil {
				l.fail(fmt.Errorf("session %d: %w", i, err))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	requests := len(srv.Sim.Requests())

	transport.CloseIdleConnections()
	srv.Sim.ResetRequests()
	after, goroutinesAfter := settledHeap()
	for deadline := time.Now().Add(5 * time.Second); goroutinesAfter > goroutinesBefore+5 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		after, goroutinesAfter = settledHeap()
	}
	var peak runtime.MemStats
	runtime.ReadMemStats(&peak)

	calls := l.calls.Load()
	t.Logf("load: %d sessions x %d tool calls = %d calls in %s (%.0f calls/s, %d NetBox requests), %d failures",
		loadSessions, loadCalls, calls, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(), requests, l.failures.Load())
	t.Logf("heap after GC: before %.1f MiB, after %.1f MiB (ratio %.2f, allowed %.2f); goroutines before %d, after %d; heap system %.1f MiB",
		mib(before), mib(after), float64(after)/float64(before), loadHeapRatio, goroutinesBefore, goroutinesAfter, mib(peak.HeapSys))

	assert.Equal(t, int64(loadSessions*loadCalls), calls, "not every call was made")
	assert.Zero(t, l.failures.Load(), "failed calls, the first ones: %s", l.firstFailures())
	assert.LessOrEqual(t, float64(after), float64(before)*loadHeapRatio, "the heap did not return near its start")
	assert.LessOrEqual(t, goroutinesAfter, goroutinesBefore+5, "goroutines left behind")
}

// loadRun is one load test's shared state.
type loadRun struct {
	deviceID int64
	endpoint string
	client   *http.Client

	calls    atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	first    []string
}

func (l *loadRun) fail(err error) {
	l.failures.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.first) < 5 {
		l.first = append(l.first, err.Error())
	}
}

func (l *loadRun) firstFailures() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.first, "; ")
}

// session opens a session and makes n tool calls, cycling through reads, a
// diff and the apply of that diff. A failed call is counted and the
// session goes on.
func (l *loadRun) session(ctx context.Context, i, n int) error {
	protocol := "2025-11-25"
	if i%2 == 1 {
		protocol = "2026-07-28"
	}
	c := sdk.NewClient(&sdk.Implementation{Name: fmt.Sprintf("load-%d", i), Version: "0"}, nil)
	session, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: l.endpoint, HTTPClient: l.client, MaxRetries: -1},
		&sdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer session.Close()
	planID := ""
	for k := range n {
		name, args := l.call(k, planID)
		res, err := session.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		l.calls.Add(1)
		switch {
		case err != nil:
			l.fail(fmt.Errorf("%s: %w", name, err))
			continue
		case res.IsError:
			l.fail(fmt.Errorf("%s: %s", name, resultText(res)))
			continue
		}
		if name == "cmdb_sync_diff" {
			out := decodeLoad[tools.SyncDiffOutput](res)
			if !out.InSync {
				l.fail(fmt.Errorf("cmdb_sync_diff: NetBox drifted during the load: %s", out.ReportMarkdown))
			}
			planID = out.PlanID
		}
	}
	return nil
}

// call is the k-th call of a session: ten kinds in turn.
func (l *loadRun) call(k int, planID string) (string, map[string]any) {
	switch k % 10 {
	case 0:
		return "cmdb_discover", map[string]any{}
	case 1:
		return "dcim_list_devices", map[string]any{"name": loadHost.Hostname}
	case 2:
		return "dcim_get_device", map[string]any{"id": l.deviceID}
	case 3:
		return "dcim_list_interfaces", map[string]any{"device_id": l.deviceID}
	case 4:
		return "ipam_list_ip_addresses", map[string]any{"device_id": l.deviceID}
	case 5:
		return "cmdb_sync_diff", map[string]any{}
	case 6:
		if planID != "" {
			return "cmdb_sync_apply", map[string]any{"plan_id": planID, "confirm": true}
		}
		return "cmdb_sync_diff", map[string]any{"mode": "dry-run"}
	case 7:
		return "dcim_list_platforms", map[string]any{"name": loadHost.OS.Platform}
	case 8:
		return "dcim_list_mac_addresses", map[string]any{"device_id": l.deviceID}
	default:
		return "virt_list_clusters", map[string]any{}
	}
}

func decodeLoad[T any](res *sdk.CallToolResult) T {
	var out T
	raw, err := json.Marshal(res.StructuredContent)
	if err == nil {
		_ = json.Unmarshal(raw, &out)
	}
	return out
}

// settledHeap returns the live heap after garbage collection, and the
// number of goroutines.
func settledHeap() (heap uint64, goroutines int) {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, runtime.NumGoroutine()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
