// Package e2e_test drives the real cmdb-mcp binary as its users do: an MCP
// client over stdio and over streamable HTTP, and a person at the shell.
// NetBox is the simulator, run in the test process so that every request
// and response body is checked against NetBox's OpenAPI document.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// binary is the cmdb-mcp built once for the whole run by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cmdb-mcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cmdb-mcp")
	build := exec.Command("go", "build", "-o", binary, "github.com/cmdb-mcp/cmdb-mcp/cmd/cmdb-mcp")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cmdb-mcp:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binary = recordBinary(binary) // the token-leak run records its outputs (leak_test.go)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// thisHost is what the binary discovers here, asked from the binary itself
// so that the test and the binary agree on the name.
var thisHost = sync.OnceValues(func() (host.Host, error) {
	out, err := exec.Command(binary, "discover", "--json").Output()
	if err != nil {
		return host.Host{}, fmt.Errorf("cmdb-mcp discover --json: %w", err)
	}
	var h host.Host
	return h, json.Unmarshal(out, &h)
})

// netBox is a simulator seeded with this host as a stale device.
type netBox struct {
	*simtest.Server
	admin    *netbox.Client
	host     host.Host
	deviceID int64
	// extraEnv is added to the binary's environment.
	extraEnv []string
}

// staleNetBox starts the simulator and records this host as a planned
// device on a platform other than its own.
func staleNetBox(t *testing.T) *netBox {
	t.Helper()
	h, err := thisHost()
	require.NoError(t, err)
	require.NotEmpty(t, h.Hostname, "this host has no discoverable name")

	srv := simtest.Start(t, suiteSimOptions())
	fx := srv.Seed(t)
	admin, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	nb := &netBox{Server: srv, admin: admin, host: h}

	stale := "Ubuntu 20.04 LTS"
	if strings.EqualFold(h.OS.Platform, stale) {
		stale = "Debian 10"
	}
	var plat, dev struct {
		ID int64 `json:"id"`
	}
	ctx := context.Background()
	require.NoError(t, srv.Admin().Do(ctx, http.MethodPost, "/api/dcim/platforms/", nil,
		map[string]string{"name": stale, "slug": diff.Slugify(stale)}, &plat))
	require.NoError(t, srv.Admin().Do(ctx, http.MethodPost, "/api/dcim/devices/", nil, map[string]any{
		"name": h.Hostname, "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID,
		"status": "planned", "platform": plat.ID,
	}, &dev))
	nb.deviceID = dev.ID
	return nb
}

// env is the environment the binary runs with: NetBox's address and token,
// and nothing of the test process's own NETBOX_* or CMDB_* settings.
func (nb *netBox) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NETBOX_") && !strings.HasPrefix(kv, "CMDB_") {
			env = append(env, kv)
		}
	}
	// Containers stay out: the Docker engine CI gives the tests is shared
	// with other packages' tests, whose containers come and go. The
	// containers e2e tests (e2e/containers) sync their own.
	env = append(env, netbox.EnvURL+"="+nb.URL, netbox.EnvToken+"="+nb.Token, "CMDB_NO_CONTAINERS=true")
	return append(env, nb.extraEnv...)
}

// checkSynced reads the device back through the REST API and checks what a
// sync must have left: the host's status and platform, a journal entry, and
// no DELETE ever sent.
func (nb *netBox) checkSynced(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dev, err := nb.admin.GetDevice(ctx, nb.deviceID)
	require.NoError(t, err)
	assert.Equal(t, "active", dev.Status)
	if nb.host.OS.Platform != "" {
		require.NotNil(t, dev.Platform)
		assert.Equal(t, nb.host.OS.Platform, dev.Platform.Name)
	}
	if nb.host.Hardware.Serial != "" {
		assert.Equal(t, nb.host.Hardware.Serial, dev.Serial)
	}

	var journal struct {
		Count   int `json:"count"`
		Results []struct {
			Comments string `json:"comments"`
		} `json:"results"`
	}
	q := url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(nb.deviceID)}}
	require.NoError(t, nb.Admin().Do(ctx, http.MethodGet, "/api/extras/journal-entries/", q, nil, &journal))
	require.GreaterOrEqual(t, journal.Count, 1, "no journal entry on the device")
	assert.Contains(t, journal.Results[0].Comments, "Device synced")

	for _, r := range nb.Sim.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method, "a sync sent DELETE %s", r.Path)
	}
}

// syncBuffer collects a running process's stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// captureStderr collects cmd's stderr and logs it if the test fails.
func captureStderr(t *testing.T, cmd *exec.Cmd) *syncBuffer {
	w := &syncBuffer{}
	cmd.Stderr = w
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(cmd.Path), w.String())
		}
	})
	return w
}

func TestMCPOverStdio(t *testing.T) {
	nb := staleNetBox(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = nb.env()
	stderr := captureStderr(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	session := connect(t, ctx, &sdk.CommandTransport{Command: cmd})
	syncOverMCP(t, ctx, session, nb)
	require.NoError(t, session.Close())
	assert.NotContains(t, stderr.String(), nb.Token, "the token was logged")
}

func TestMCPOverStreamableHTTP(t *testing.T) {
	nb := staleNetBox(t)
	srv := serveHTTPForTest(t, nb.env())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := connect(t, ctx, &sdk.StreamableClientTransport{Endpoint: srv.url, HTTPClient: srv.client, MaxRetries: -1})
	syncOverMCP(t, ctx, session, nb)

	// SIGTERM shuts the server down cleanly even with a session open.
	srv.p.terminate(t, 15*time.Second)
	_ = session.Close()
	assert.NotContains(t, srv.stderr.String(), nb.Token, "the token was logged")
}

// connect opens an official-SDK session: a client implementation
// independent of the server's.
func connect(t *testing.T, ctx context.Context, transport sdk.Transport) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "cmdb-mcp-e2e", Version: "0"}, nil)
	session, err := c.Connect(ctx, transport, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = session.Close() })
	assert.Equal(t, "cmdb-mcp", session.InitializeResult().ServerInfo.Name)
	return session
}

// syncOverMCP is what an agent does: list the tools, diff, apply the plan
// (the user having confirmed), diff again.
func syncOverMCP(t *testing.T, ctx context.Context, session *sdk.ClientSession, nb *netBox) {
	t.Helper()
	list, err := session.ListTools(ctx, nil)
	require.NoError(t, err)
	raw, err := json.Marshal(list)
	require.NoError(t, err)
	t.Logf("tools/list: %d tools, %d bytes of JSON", len(list.Tools), len(raw))
	annotations := map[string]*sdk.ToolAnnotations{}
	for _, tool := range list.Tools {
		annotations[tool.Name] = tool.Annotations
		require.NotNil(t, tool.Annotations, tool.Name)
		assert.NotNil(t, tool.OutputSchema, "%s has no output schema", tool.Name)
	}
	require.Contains(t, annotations, "cmdb_sync_diff")
	require.Contains(t, annotations, "cmdb_sync_apply")
	require.Contains(t, annotations, "dcim_list_devices")
	require.Contains(t, annotations, "cmdb_discover")
	assert.True(t, annotations["cmdb_sync_diff"].ReadOnlyHint)
	assert.False(t, annotations["cmdb_sync_apply"].ReadOnlyHint)
	require.NotNil(t, annotations["cmdb_sync_apply"].DestructiveHint)
	assert.True(t, *annotations["cmdb_sync_apply"].DestructiveHint)

	plan := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
	require.False(t, plan.InSync, plan.ReportMarkdown)
	require.NotEmpty(t, plan.PlanID)
	assert.Equal(t, nb.deviceID, plan.Device.ID)
	assert.Contains(t, plan.ReportMarkdown, "## Sync Diff Report")
	assert.Contains(t, plan.NextStep, plan.PlanID)

	// This client cannot elicit: the agent asked the user, who said yes.
	applied := callTool[tools.SyncApplyOutput](t, ctx, session, "cmdb_sync_apply", map[string]any{"plan_id": plan.PlanID, "confirm": true})
	assert.NotZero(t, applied.Applied)
	assert.Zero(t, applied.Failed, "%+v", applied.Changes)
	assert.Zero(t, applied.Skipped, "%+v", applied.Changes)
	assert.NotZero(t, applied.JournalEntryID)

	again := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
	assert.True(t, again.InSync, again.ReportMarkdown)

	nb.checkSynced(t)
}

// callTool calls a tool that must succeed and decodes its structured output.
func callTool[T any](t *testing.T, ctx context.Context, session *sdk.ClientSession, name string, args map[string]any) T {
	t.Helper()
	res, err := session.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err, name)
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	require.False(t, res.IsError, "%s: %s", name, strings.Join(text, " "))
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(raw, &out), name)
	return out
}

// cli runs the binary with args and stdin, and returns its exit code.
func cli(t *testing.T, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin) // a pipe: not a terminal
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("cmdb-mcp %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String()
}

func TestCLISync(t *testing.T) {
	nb := staleNetBox(t)
	env := nb.env()

	code, stdout, stderr := cli(t, env, "", "diff")
	assert.Equal(t, 2, code, "diff on drift: %s", stderr)
	assert.Contains(t, stdout, "## Sync Diff Report")

	code, stdout, _ = cli(t, env, "", "diff", "--json")
	assert.Equal(t, 2, code)
	var plan struct {
		tools.SyncDiffOutput
		Changes []report.Change `json:"changes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &plan))
	assert.False(t, plan.InSync)
	assert.Equal(t, nb.deviceID, plan.Device.ID)
	assert.NotEmpty(t, plan.Changes, "a script reads the changes as data")
	assert.Equal(t, plan.Summary.Updates+plan.Summary.Creates+plan.Summary.Removals, len(plan.Changes))

	// Without --yes and with no terminal to ask on, apply refuses before
	// reading NetBox, so that a job lacking --yes fails at once rather than
	// at the first drift; diff shows the report.
	code, stdout, stderr = cli(t, env, "y\n", "apply")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "--yes")
	assert.Contains(t, stderr, "cmdb-mcp diff")
	dev, err := nb.admin.GetDevice(context.Background(), nb.deviceID)
	require.NoError(t, err)
	assert.Equal(t, "planned", dev.Status, "apply wrote without confirmation")

	code, stdout, stderr = cli(t, env, "", "apply", "--yes")
	require.Equal(t, 0, code, "apply --yes: %s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "journal entry")

	code, stdout, stderr = cli(t, env, "", "diff")
	assert.Equal(t, 0, code, "diff after apply: %s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "Nothing to apply")

	nb.checkSynced(t)
	for _, out := range []string{stdout, stderr} {
		assert.NotContains(t, out, nb.Token)
	}
}

func TestCLIErrors(t *testing.T) {
	nb := staleNetBox(t)
	bare := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}

	t.Run("no NetBox configured", func(t *testing.T) {
		code, _, stderr := cli(t, bare, "", "diff")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "NETBOX_URL")
		assert.Contains(t, stderr, "NETBOX_TOKEN")
		assert.Contains(t, stderr, "cmdb-mcp demo")
	})
	t.Run("wrong token names the fix and is not echoed", func(t *testing.T) {
		env := append(bare, netbox.EnvURL+"="+nb.URL, netbox.EnvToken+"=ffffffffffffffffffffffffffffffffffffffff")
		code, stdout, stderr := cli(t, env, "", "diff")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "NETBOX_TOKEN")
		assert.NotContains(t, stdout+stderr, "ffffffffffffffffffffffffffffffffffffffff")
	})
	t.Run("unknown device says to register", func(t *testing.T) {
		code, _, stderr := cli(t, nb.env(), "", "diff", "--hostname", "no-such-host")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "'cmdb-mcp register'")
	})
	t.Run("unknown transport", func(t *testing.T) {
		code, _, stderr := cli(t, nb.env(), "", "serve", "--transport", "carrier-pigeon")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "stdio, sse, http")
	})
}

func TestCLIHelp(t *testing.T) {
	for _, sub := range []string{"serve", "discover", "diff", "apply", "demo", "netbox-sim"} {
		t.Run(sub, func(t *testing.T) {
			code, _, stderr := cli(t, nil, "", sub, "--help")
			assert.Equal(t, 0, code)
			assert.Contains(t, stderr, "Usage: cmdb-mcp "+sub)
		})
	}
	code, _, stderr := cli(t, nil, "", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "demo")
}

func TestDemo(t *testing.T) {
	// No NetBox, no configuration: only what a fresh shell has.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	code, stdout, stderr := cli(t, env, "", "demo")
	require.Equal(t, 0, code, "demo:\n%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "## Sync Diff Report")
	assert.Contains(t, stdout, "journal entry")
	assert.Contains(t, stdout, "In sync")
}

func TestNetBoxSim(t *testing.T) {
	addr := freeAddr(t)
	const token = "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command(binary, "netbox-sim", "--addr", addr, "--token", token)
	stderr := captureStderr(t, cmd)
	p := start(t, cmd)

	nb, err := netbox.New(netbox.Config{URL: "http://" + addr, Token: token, Timeout: time.Second})
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = nb.Status(context.Background())
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, err, "the simulator never answered /api/status/")
	// The line is logged once the simulator serves, so it can come after
	// the first answer.
	assert.Eventually(t, func() bool { return strings.Contains(stderr.String(), "http://"+addr) }, 10*time.Second, 20*time.Millisecond,
		"the simulator's log names its URL: %s", stderr)
	assert.NotContains(t, stderr.String(), token)

	// Acceptance 5 of the foundation: a device created through the REST
	// API, as any NetBox client would, is diffed and applied by the CLI.
	ctx := context.Background()
	create := func(path string, body map[string]any) int64 {
		var obj struct{ ID int64 }
		require.NoError(t, (netboxsim.Admin{URL: "http://" + addr, Token: token}).Do(ctx, http.MethodPost, path, nil, body, &obj), path)
		return obj.ID
	}
	site := create("/api/dcim/sites/", map[string]any{"name": "Lab", "slug": "lab"})
	maker := create("/api/dcim/manufacturers/", map[string]any{"name": "Generic", "slug": "generic"})
	model := create("/api/dcim/device-types/", map[string]any{"manufacturer": maker, "model": "Server", "slug": "server"})
	role := create("/api/dcim/device-roles/", map[string]any{"name": "Server", "slug": "server"})
	create("/api/dcim/devices/", map[string]any{"name": "sim-host", "site": site, "device_type": model, "role": role, "status": "planned"})

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		netbox.EnvURL + "=http://" + addr, netbox.EnvToken + "=" + token, "CMDB_NO_CONTAINERS=true"}
	code, out, errOut := cli(t, env, "", "diff", "--hostname", "sim-host")
	require.Equal(t, 2, code, "diff of a stale device exits 2:\n%s\n%s", out, errOut)
	assert.Contains(t, out, "| Status | planned | active | UPDATE |")
	code, out, errOut = cli(t, env, "", "apply", "--yes", "--hostname", "sim-host")
	require.Equal(t, 0, code, "apply --yes:\n%s\n%s", out, errOut)
	code, out, errOut = cli(t, env, "", "diff", "--hostname", "sim-host")
	require.Equal(t, 0, code, "diff after apply exits 0:\n%s\n%s", out, errOut)

	resp, err := http.Get("http://" + addr + "/__sim/requests")
	require.NoError(t, err)
	defer resp.Body.Close()
	var log []struct{ Method, Path string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&log))
	require.NotEmpty(t, log)
	for _, r := range log {
		assert.NotEqual(t, http.MethodDelete, r.Method, "a sync never deletes: %s", r.Path)
	}

	p.terminate(t, 10*time.Second)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// process is a started binary; the test's cleanup kills it if still running.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, once done is closed
}

func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// terminate sends SIGTERM, as a service manager does, and expects a clean
// exit within timeout.
func (p *process) terminate(t *testing.T, timeout time.Duration) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		assert.NoError(t, p.err, "%s did not exit cleanly on SIGTERM", filepath.Base(p.cmd.Path))
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s of SIGTERM", filepath.Base(p.cmd.Path), timeout)
	}
}

// waitHealthy polls /healthz until it answers 200, failing early if the
// process exits.
func waitHealthy(t *testing.T, base string, p *process) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("serve exited before it was healthy: %v", p.err)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && body.String() == "ok" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered 200 ok: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCLIHostProcWithoutRoutes: with HOST_PROC at a directory that is not
// a /proc, the routes are unknown; discover says so, and the diff notes
// that the primary IPs were not compared instead of dropping them quietly.
func TestCLIHostProcWithoutRoutes(t *testing.T) {
	nb := staleNetBox(t)
	env := append(nb.env(), "HOST_PROC="+t.TempDir())
	code, stdout, stderr := cli(t, env, "", "discover")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Default routes: unknown")
	code, stdout, stderr = cli(t, env, "", "diff")
	require.Equal(t, 2, code, stderr)
	assert.Contains(t, stdout, "Primary IPs: not compared")
	assert.Contains(t, stdout, "the host's /proc?")
}
