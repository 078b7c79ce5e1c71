// Package containers_test checks the container sync end to end: Docker
// containers kept as NetBox VMs, discovered from a real dockerd by the real
// cmdb-mcp binary, against the NetBox simulator (every body checked against
// NetBox 4.3's OpenAPI document), plus the properties that need many hosts
// or many containers, driven through the engine with fixed discoveries.
package containers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// nb is a simulator for one test.
type nb struct {
	*simtest.Server
	t  *testing.T
	fx simtest.Fixture
}

func startNetBox(t *testing.T) *nb {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{})
	return &nb{Server: srv, t: t, fx: srv.Seed(t)}
}

// client is a NetBox client of the simulator, for the engine.
func (n *nb) client(url string) *netbox.Client {
	n.t.Helper()
	c, err := netbox.New(netbox.Config{URL: url, Token: n.Token})
	require.NoError(n.t, err)
	return c
}

func (n *nb) post(route string, body any) int64 {
	n.t.Helper()
	return n.Create(n.t, route, body)
}

func (n *nb) device(name string) int64 {
	n.t.Helper()
	return n.Device(n.t, n.fx, name)
}

func (n *nb) list(route string, q url.Values, out any) {
	n.t.Helper()
	n.List(n.t, route, q, out)
}

// ref is a nested object as NetBox renders it.
type ref struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

type choice struct {
	Value string `json:"value"`
}

// vmRow is a virtual machine as the REST API returns it.
type vmRow struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Status      choice      `json:"status"`
	Cluster     *ref        `json:"cluster"`
	Device      *ref        `json:"device"`
	Site        *ref        `json:"site"`
	Role        *ref        `json:"role"`
	VCPUs       json.Number `json:"vcpus"` // NetBox renders a decimal; null reads as ""
	Memory      *int64      `json:"memory"`
	Description string      `json:"description"`
	LastUpdated string      `json:"last_updated"`
}

func (v vmRow) vcpus() float64 {
	if v.VCPUs == "" {
		return 0
	}
	f, err := strconv.ParseFloat(string(v.VCPUs), 64)
	if err != nil {
		return -1
	}
	return f
}

func (v vmRow) memory() int64 {
	if v.Memory == nil {
		return 0
	}
	return *v.Memory
}

// clusterRow is a cluster as the REST API returns it.
type clusterRow struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   ref    `json:"type"`
	Group  *ref   `json:"group"`
	Status choice `json:"status"`
	Scope  any    `json:"scope"`
}

// hostGroup reads the cluster group of a device by the README's slug.
func (n *nb) hostGroup(deviceID int64) (ref, bool) {
	n.t.Helper()
	var groups []ref
	n.list("virtualization/cluster-groups", url.Values{"slug": {record.HostClusterGroupSlug(deviceID)}}, &groups)
	require.LessOrEqual(n.t, len(groups), 1)
	if len(groups) == 0 {
		return ref{}, false
	}
	return groups[0], true
}

// clustersOf reads the clusters of a group, by name.
func (n *nb) clustersOf(groupID int64) map[string]clusterRow {
	n.t.Helper()
	var cs []clusterRow
	n.list("virtualization/clusters", url.Values{"group_id": {fmt.Sprint(groupID)}}, &cs)
	out := map[string]clusterRow{}
	for _, c := range cs {
		out[c.Name] = c
	}
	return out
}

// vmsOf reads the VMs of the clusters, keyed by cluster name and VM name.
func (n *nb) vmsOf(clusters map[string]clusterRow) map[string]vmRow {
	n.t.Helper()
	out := map[string]vmRow{}
	for _, c := range clusters {
		var vms []vmRow
		n.list("virtualization/virtual-machines", url.Values{"cluster_id": {fmt.Sprint(c.ID)}}, &vms)
		for _, vm := range vms {
			out[c.Name+"/"+vm.Name] = vm
		}
	}
	return out
}

// recording is one request that passed the recording proxy.
type recording struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	Status int
}

// recorder is a reverse proxy in front of the simulator that keeps every
// request with its body: the simulator's own log has no bodies.
type recorder struct {
	URL string
	mu  sync.Mutex
	log []recording
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	rec := &recorder{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(sw, r)
		rec.mu.Lock()
		rec.log = append(rec.log, recording{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, Status: sw.status})
		rec.mu.Unlock()
	}))
	t.Cleanup(hs.Close)
	rec.URL = hs.URL
	return rec
}

func (r *recorder) take() []recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runBinary runs cmdb-mcp with args and env (added to a copy of this
// process's environment without its NETBOX_* and CMDB_* variables).
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	bin := testenv.Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NETBOX_") && !strings.HasPrefix(kv, "CMDB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("cmdb-mcp %s: %v\nstderr:\n%s", strings.Join(args, " "), err, res.stderr)
	}
	t.Logf("cmdb-mcp %s: exit %d in %v", strings.Join(args, " "), res.code, res.took.Round(time.Millisecond))
	return res
}

// netboxEnv points the binary at the simulator.
func (n *nb) env(extra ...string) []string {
	return append([]string{netbox.EnvURL + "=" + n.URL, netbox.EnvToken + "=" + n.Token}, extra...)
}
