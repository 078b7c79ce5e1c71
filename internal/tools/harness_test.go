package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// testHost is the host the tools' engine "discovers" in these tests.
var testHost = host.Host{
	Hostname: "web01",
	OS:       host.OS{ID: "ubuntu", Name: "Ubuntu", Version: "24.04", PrettyName: "Ubuntu 24.04.1 LTS", Platform: "Ubuntu 24.04 LTS"},
	Hardware: host.Hardware{Serial: "SN-0001", Model: "PowerEdge R640", Manufacturer: "Dell Inc.", CPUs: 8, MemoryMB: 16384, RootDiskGB: 100},
}

// harness is the simulator, a NetBox client on it, and an MCP client
// talking to a server that has every tool.
type harness struct {
	sim     *simtest.Server
	fixture simtest.Fixture
	nb      *netbox.Client // the admin's client, for seeding and checking
	mcp     *client.Client

	mu            sync.Mutex
	notifications []mcp.JSONRPCNotification
}

type harnessOptions struct {
	// token overrides the token the tools use (a read-only or a wrong one).
	token string
	// url overrides NetBox's URL for the tools (an unreachable one).
	url string
	// host overrides testHost.
	host *host.Host
	// elicit makes the client support elicitation, answering with it.
	elicit func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
	// protocol pins the protocol version; empty is the newest
	// (2026-07-28, stateless), mcp.ProtocolVersion20251125 the handshake.
	protocol string
	// writeScope limits the write tools; empty is the default, this
	// host's device (testHost's name) and its objects.
	writeScope tools.WriteScope
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{ReadOnlyToken: readOnlyToken})
	admin, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	h := &harness{sim: srv, fixture: srv.Seed(t), nb: admin}

	cfg := netbox.Config{URL: srv.URL, Token: srv.Token, Timeout: 5 * time.Second}
	if opts.token != "" {
		cfg.Token = opts.token
	}
	if opts.url != "" {
		cfg.URL = opts.url
	}
	nb, err := netbox.New(cfg)
	require.NoError(t, err)
	discovered := testHost
	if opts.host != nil {
		discovered = *opts.host
	}
	eng := engine.New(nb, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return discovered, nil }))

	// Every result of every test is checked against its tool's declared
	// output schema, as a validating client would.
	s := server.NewMCPServer("test", "0", server.WithOutputSchemaValidation(), server.WithLogging())
	tools.Register(s, tools.All(tools.Deps{Engine: eng, NetBox: nb, WriteScope: opts.writeScope}))

	var copts []client.ClientOption
	if opts.elicit != nil {
		copts = append(copts, client.WithElicitationHandler(elicitFunc(opts.elicit)))
	}
	if opts.protocol != "" {
		copts = append(copts, client.WithProtocolVersion(opts.protocol))
	}
	c, err := client.NewInProcessClientWithOptions(s, copts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.notifications = append(h.notifications, n)
	})
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = opts.protocol
	if init.Params.ProtocolVersion == "" {
		init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	}
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "0"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	h.mcp = c
	return h
}

type elicitFunc func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error)

func (f elicitFunc) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return f(req)
}

// received returns the notifications of one method the client got so far.
func (h *harness) received(method string) []mcp.JSONRPCNotification {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []mcp.JSONRPCNotification
	for _, n := range h.notifications {
		if n.Method == method {
			out = append(out, n)
		}
	}
	return out
}

// readOnlyToken is a second, read-only token the simulator accepts.
const readOnlyToken = "0000000000000000000000000000000000000ro1"

// call calls a tool; a protocol error fails the test.
func (h *harness) call(t *testing.T, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := h.callErr(name, args)
	require.NoError(t, err, "tools/call %s", name)
	return res
}

func (h *harness) callErr(name string, args any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return h.mcp.CallTool(context.Background(), req)
}

// decode checks that the result is a success and decodes its structured
// content into out. The text content must be the same JSON, for clients
// that read only text.
func decode[T any](t *testing.T, res *mcp.CallToolResult) T {
	t.Helper()
	require.False(t, res.IsError, "tool error: %s", text(res))
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(raw, &out))
	var fromText T
	require.NoError(t, json.Unmarshal([]byte(text(res)), &fromText), "text content is not the JSON of the output")
	require.Equal(t, out, fromText)
	return out
}

// toolError checks that the result is an isError result and returns its text.
func toolError(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	require.True(t, res.IsError, "expected a tool error, got: %s", text(res))
	return text(res)
}

// text joins the result's text content.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// created is what a POST returns that the tests need.
type created struct {
	ID int64 `json:"id"`
}

func (h *harness) post(t *testing.T, path string, body any) int64 {
	t.Helper()
	var c created
	require.NoError(t, h.sim.Admin().Do(context.Background(), http.MethodPost, path, nil, body, &c), "POST %s", path)
	return c.ID
}

func (h *harness) patch(t *testing.T, path string, body any) {
	t.Helper()
	require.NoError(t, h.sim.Admin().Do(context.Background(), http.MethodPatch, path, nil, body, nil), "PATCH %s", path)
}

// requests runs do and returns the NetBox requests it made, as
// "METHOD app/model status" (ids left out).
func (h *harness) requests(t *testing.T, do func()) []string {
	t.Helper()
	from := len(h.sim.Sim.Requests())
	do()
	var out []string
	for _, r := range h.sim.Sim.Requests()[from:] {
		parts := strings.Split(strings.Trim(strings.TrimPrefix(r.Path, "/api/"), "/"), "/")
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, strings.Join(parts[:min(2, len(parts))], "/"), r.Status))
	}
	return out
}

type namedSlug struct {
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	Status string `json:"status,omitempty"`
}

type deviceBody struct {
	Name       string `json:"name"`
	Site       int64  `json:"site"`
	DeviceType int64  `json:"device_type"`
	Role       int64  `json:"role"`
	Status     string `json:"status,omitempty"`
	Platform   int64  `json:"platform,omitempty"`
	Serial     string `json:"serial,omitempty"`
}

func (h *harness) platform(t *testing.T, name, slug string) int64 {
	return h.post(t, "/api/dcim/platforms/", namedSlug{Name: name, Slug: slug})
}

func (h *harness) site(t *testing.T, name, slug string) int64 {
	return h.post(t, "/api/dcim/sites/", namedSlug{Name: name, Slug: slug, Status: "active"})
}

// device records a device at the fixture's site unless site is set.
func (h *harness) device(t *testing.T, d deviceBody) int64 {
	t.Helper()
	if d.Site == 0 {
		d.Site = h.fixture.SiteID
	}
	d.DeviceType, d.Role = h.fixture.DeviceTypeID, h.fixture.RoleID
	return h.post(t, "/api/dcim/devices/", d)
}

// staleDevice records testHost as a planned device on an old platform
// without a serial: three updates away from the host.
func (h *harness) staleDevice(t *testing.T) int64 {
	t.Helper()
	old := h.platform(t, "Ubuntu 20.04 LTS", "ubuntu-20-04-lts")
	return h.device(t, deviceBody{Name: testHost.Hostname, Status: "planned", Platform: old})
}

// How long to wait for notifications, which arrive beside the response.
const (
	timeout = 5 * time.Second
	tick    = 10 * time.Millisecond
)
