package e2e_test

// Security of the binary: who may call the HTTP transports (loopback by
// default, a bearer token or --insecure-no-auth elsewhere, Host and Origin
// checks, TLS), how it talks to NetBox (TLS verification, a custom CA, a
// read-only token), and that no error, resource or log repeats a token.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// authToken is the bearer token of the tests' HTTP servers.
const authToken = "e2e-bearer-7f3c9a2b4d6e8f10a1b2c3d4"

// initialize is a bare initialize request, to see whether a request gets
// past the server's front door.
const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// rawPost posts an initialize request to url with extra headers (a "Host"
// entry sets the Host header) and returns the status and body.
func rawPost(t *testing.T, client *http.Client, url string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(initialize))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// withBearer sends the token with every request through next.
type withBearer struct {
	next  http.RoundTripper
	token string
}

func (b withBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// httpClient is a client over next (the default transport when nil) that
// the leak run records, sending token as a bearer when set.
func httpClient(next http.RoundTripper, token string) *http.Client {
	if next == nil {
		next = http.DefaultTransport
	}
	if dir := os.Getenv(envLeakRecord); dir != "" {
		next = &recordingTransport{next: next, dir: dir}
	}
	if token != "" {
		next = withBearer{next: next, token: token}
	}
	return &http.Client{Transport: next}
}

// runBriefly runs the binary and expects it to exit within 30 s (serve
// that refuses to start).
func runBriefly(t *testing.T, env []string, args ...string) (code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var errOut strings.Builder
	cmd.Stderr = &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "cmdb-mcp %s did not exit", strings.Join(args, " "))
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), errOut.String()
	}
	require.NoError(t, err)
	return 0, errOut.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(freeAddr(t))
	require.NoError(t, err)
	return port
}

// assertNoSecrets checks outputs for the NetBox tokens and the bearer token.
func assertNoSecrets(t *testing.T, what string, outputs ...string) {
	t.Helper()
	all := strings.Join(outputs, "\n")
	v2Key, v2Secret := v2Parts()
	for name, secret := range map[string]string{"NetBox token": suiteToken, "read-only NetBox token": suiteReadOnlyToken, "v2 NetBox token's secret": v2Secret, "v2 NetBox token's key": v2Key, "bearer token": authToken} {
		assert.NotContains(t, all, secret, "the %s appears in %s", name, what)
	}
}

// TestServeExposedNeedsAuth: on an address other machines reach, serve
// refuses to start without a bearer token, and starts, warning, with
// --insecure-no-auth.
func TestServeExposedNeedsAuth(t *testing.T) {
	nb := staleNetBox(t)
	port := freePort(t)
	for _, addr := range []string{"0.0.0.0:" + port, ":" + port} {
		code, stderr := runBriefly(t, nb.env(), "serve", "--transport", "http", "--addr", addr)
		assert.Equal(t, 1, code, addr)
		for _, want := range []string{"not a loopback address", "CMDB_AUTH_TOKEN", "--insecure-no-auth"} {
			assert.Contains(t, stderr, want, addr)
		}
		assertNoSecrets(t, "the refusal", stderr)
	}
	code, stderr := runBriefly(t, nb.env(), "serve", "--transport", "sse", "--addr", "0.0.0.0:"+port)
	assert.Equal(t, 1, code, "sse")
	assert.Contains(t, stderr, "--insecure-no-auth")

	cmd := exec.Command(binary, "serve", "--transport", "http", "--addr", "0.0.0.0:"+port, "--insecure-no-auth")
	cmd.Env = nb.env()
	out := captureStderr(t, cmd)
	p := start(t, cmd)
	waitHealthy(t, "http://127.0.0.1:"+port, p)
	status, _ := rawPost(t, httpClient(nil, ""), "http://127.0.0.1:"+port+"/mcp", nil)
	assert.Equal(t, http.StatusOK, status)
	p.terminate(t, 15*time.Second)
	assert.Contains(t, out.String(), "without authentication")
}

// TestServeBearerToken: with CMDB_AUTH_TOKEN_FILE on 0.0.0.0, requests
// without the token get 401, rebinding Host and Origin headers 403, and a
// client that sends the token syncs.
func TestServeBearerToken(t *testing.T) {
	nb := staleNetBox(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(authToken+"\n"), 0o600))
	nb.extraEnv = append(nb.extraEnv, "CMDB_AUTH_TOKEN_FILE="+tokenFile)
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	cmd := exec.Command(binary, "serve", "--transport", "http", "--addr", "0.0.0.0:"+port)
	cmd.Env = nb.env()
	stderr := captureStderr(t, cmd)
	p := start(t, cmd)
	waitHealthy(t, base, p) // the health check needs no token

	anon, authed := httpClient(nil, ""), httpClient(nil, authToken)
	for _, tt := range []struct {
		name    string
		client  *http.Client
		headers map[string]string
		want    int
	}{
		{"no token", anon, nil, http.StatusUnauthorized},
		{"wrong token", anon, map[string]string{"Authorization": "Bearer " + authToken[:len(authToken)-1]}, http.StatusUnauthorized},
		{"the NetBox token", anon, map[string]string{"Authorization": "Bearer " + suiteToken}, http.StatusUnauthorized},
		{"token", authed, nil, http.StatusOK},
		{"token, rebound Host", authed, map[string]string{"Host": "attacker.example:" + port}, http.StatusForbidden},
		{"token, foreign Origin", authed, map[string]string{"Origin": "https://attacker.example"}, http.StatusForbidden},
		{"token, loopback Origin", authed, map[string]string{"Origin": "http://localhost:6274"}, http.StatusOK},
	} {
		status, body := rawPost(t, tt.client, base+"/mcp", tt.headers)
		assert.Equal(t, tt.want, status, "%s: %s", tt.name, body)
		assertNoSecrets(t, tt.name, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := sdk.NewClient(&sdk.Implementation{Name: "no-token", Version: "0"}, nil)
	_, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: anon, MaxRetries: -1}, nil)
	require.Error(t, err, "a client without the token connected")

	session := connect(t, ctx, &sdk.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: authed, MaxRetries: -1})
	syncOverMCP(t, ctx, session, nb)
	p.terminate(t, 15*time.Second)
	_ = session.Close()
	assert.Contains(t, stderr.String(), "auth=\"bearer token\"")
	assert.Contains(t, stderr.String(), "refused an HTTP request")
	assertNoSecrets(t, "the server's log", stderr.String())
}

// TestServeTLS: --tls-cert and --tls-key serve HTTPS; a client that
// trusts the certificate syncs, plain HTTP gets nothing.
func TestServeTLS(t *testing.T) {
	nb := staleNetBox(t)
	certFile, keyFile, pool := testenv.SelfSignedCert(t)
	nb.extraEnv = append(nb.extraEnv, "CMDB_AUTH_TOKEN="+authToken)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--transport", "http", "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	cmd.Env = nb.env()
	stderr := captureStderr(t, cmd)
	p := start(t, cmd)

	client := httpClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, authToken)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited: %v", p.err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "no HTTPS on %s: %v", addr, err)
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "plain HTTP answered")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := connect(t, ctx, &sdk.StreamableClientTransport{Endpoint: "https://" + addr + "/mcp", HTTPClient: client, MaxRetries: -1})
	syncOverMCP(t, ctx, session, nb)
	p.terminate(t, 15*time.Second)
	_ = session.Close()
	assert.Contains(t, stderr.String(), "url=https://"+addr+"/mcp")
}

// TestNetBoxTLS: the simulator behind HTTPS with a self-signed
// certificate. Verification is on: untrusted, the sync stops and names
// NETBOX_CA_FILE; with the certificate as NETBOX_CA_FILE it syncs over MCP
// and the CLI; NETBOX_INSECURE_SKIP_VERIFY works and warns.
func TestNetBoxTLS(t *testing.T) {
	nb := staleNetBox(t)
	// The same simulator, over TLS (this side skips the OpenAPI check).
	ts := httptest.NewUnstartedServer(nb.Sim)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake errors
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(t.TempDir(), "netbox-ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))
	nb.extraEnv = append(nb.extraEnv, "NETBOX_URL="+ts.URL)
	withVars := func(vars ...string) []string { return append(nb.env(), vars...) }

	t.Run("untrusted certificate", func(t *testing.T) {
		code, stdout, stderr := cli(t, withVars(), "", "diff")
		assert.Equal(t, 1, code, stdout)
		assert.Contains(t, stderr, "certificate")
		assert.Contains(t, stderr, "NETBOX_CA_FILE")
		assertNoSecrets(t, "the error", stdout, stderr)
	})
	t.Run("CA file that is no PEM", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.pem")
		require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
		code, _, stderr := cli(t, withVars("NETBOX_CA_FILE="+bad), "", "diff")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "NETBOX_CA_FILE")
	})
	t.Run("CA file over MCP", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.Command(binary, "serve")
		cmd.Env = withVars("NETBOX_CA_FILE=" + caFile)
		stderr := captureStderr(t, cmd)
		session := connect(t, ctx, &sdk.CommandTransport{Command: cmd})
		syncOverMCP(t, ctx, session, nb)
		require.NoError(t, session.Close())
		assert.Contains(t, stderr.String(), "netbox="+ts.URL)
	})
	t.Run("CA file on the command line", func(t *testing.T) {
		code, stdout, stderr := cli(t, withVars(), "", "diff", "--netbox-ca-file", caFile)
		assert.Equal(t, 0, code, "in sync after the MCP sync: %s\n%s", stdout, stderr)
	})
	t.Run("verification off", func(t *testing.T) {
		code, stdout, stderr := cli(t, withVars("NETBOX_INSECURE_SKIP_VERIFY=true"), "", "diff")
		assert.Equal(t, 0, code, "%s\n%s", stdout, stderr)
		assert.Contains(t, stderr, "TLS certificate verification is off")
	})
}

// TestReadOnlyNetBoxToken: a token that may only read diffs fine; apply
// writes nothing and says "the NetBox token cannot write", over MCP and
// from the CLI.
func TestReadOnlyNetBoxToken(t *testing.T) {
	nb := staleNetBox(t)
	nb.extraEnv = append(nb.extraEnv, "NETBOX_TOKEN="+suiteReadOnlyToken)
	seeded := len(nb.Sim.Requests())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	session := serveSession(t, ctx, nb, overStdio, "", nil)
	plan := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
	require.False(t, plan.InSync)
	res := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "cmdb_sync_apply", Arguments: map[string]any{"plan_id": plan.PlanID, "confirm": true}})
	require.False(t, res.IsError, resultText(res))
	applied := decodeStructured[tools.SyncApplyOutput](t, res)
	assert.Zero(t, applied.Applied)
	assert.NotZero(t, applied.Failed)
	assert.Contains(t, applied.NextStep, "Nothing was written")
	assert.Contains(t, applied.NextStep, "the NetBox token cannot write")
	assert.Contains(t, applied.NextStep, "NETBOX_TOKEN")
	for _, c := range applied.Changes {
		if c.Outcome == "failed" {
			assert.Contains(t, c.Message, "permission", "%+v", c)
		}
	}
	assertNoSecrets(t, "the apply result", resultText(res))

	code, stdout, stderr := cli(t, nb.env(), "", "apply", "--yes")
	assert.Equal(t, 1, code, stdout)
	assert.Contains(t, stderr, "the NetBox token cannot write")
	assertNoSecrets(t, "the CLI's output", stdout, stderr)

	dev, err := nb.admin.GetDevice(context.Background(), nb.deviceID)
	require.NoError(t, err)
	assert.Equal(t, "planned", dev.Status)
	for _, r := range nb.Sim.Requests()[seeded:] {
		if r.Method != http.MethodGet {
			assert.Equal(t, http.StatusForbidden, r.Status, "a write with the read-only token: %s %s", r.Method, r.Path)
		}
	}
}

// logCollector keeps the log notifications a client receives.
type logCollector struct {
	mu   sync.Mutex
	logs []string
}

func (l *logCollector) handle(_ context.Context, req *sdk.LoggingMessageRequest) {
	raw, _ := json.Marshal(req.Params)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logs = append(l.logs, string(raw))
}

func (l *logCollector) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.logs, "\n")
}

// TestNothingRepeatsATokenOverMCP makes the server say as much as it can,
// at debug level, over stdio and streamable HTTP: resources, the prompt,
// log notifications, tool errors from NetBox (404, 400) and from the
// server, a sync, and sessions against an unreachable NetBox and with a
// token NetBox refuses. No answer and no log line holds a token.
func TestNothingRepeatsATokenOverMCP(t *testing.T) {
	for _, transport := range []string{overStdio, overHTTP} {
		t.Run(transport, func(t *testing.T) {
			nb := staleNetBox(t)
			nb.extraEnv = append(nb.extraEnv, "CMDB_LOG_LEVEL=debug")
			seen := sayEverything(t, nb, transport, true)
			assertNoSecrets(t, "the session", seen...)
		})
	}
	t.Run("NetBox unreachable", func(t *testing.T) {
		nb := staleNetBox(t)
		nb.extraEnv = append(nb.extraEnv, "CMDB_LOG_LEVEL=debug", "NETBOX_URL=http://127.0.0.1:1", "NETBOX_TIMEOUT=1s")
		seen := sayEverything(t, nb, overStdio, false)
		assert.Contains(t, strings.Join(seen, "\n"), "127.0.0.1:1")
		assertNoSecrets(t, "the session", seen...)
	})
	t.Run("token NetBox refuses", func(t *testing.T) {
		nb := staleNetBox(t)
		refused := recognisableToken(t, "deadbeef")
		nb.extraEnv = append(nb.extraEnv, "CMDB_LOG_LEVEL=debug", "NETBOX_TOKEN="+refused)
		seen := sayEverything(t, nb, overStdio, false)
		assert.Contains(t, strings.Join(seen, "\n"), "NETBOX_TOKEN", "the error names the fix")
		assert.NotContains(t, strings.Join(seen, "\n"), refused, "the refused token is repeated")
	})
}

// sayEverything runs serve over transport, calls everything that answers
// with text, and returns every answer, error, log notification and the
// server's stderr. With works, NetBox is reachable and the sync must
// succeed.
func sayEverything(t *testing.T, nb *netBox, transport string, works bool) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	logs := &logCollector{}
	var tr sdk.Transport
	var stderr *syncBuffer
	switch transport {
	case overStdio:
		cmd := exec.Command(binary, "serve")
		cmd.Env = nb.env()
		stderr = captureStderr(t, cmd)
		tr = &sdk.CommandTransport{Command: cmd}
	case overHTTP:
		srv := serveHTTPForTest(t, nb.env())
		stderr = srv.stderr
		tr = &sdk.StreamableClientTransport{Endpoint: srv.url, HTTPClient: srv.client, MaxRetries: -1}
	}
	// The logging feature is deprecated from 2026-07-28 but served for the
	// revisions before it, which this test speaks.
	//lint:ignore SA1019 logging is still part of 2025-11-25
	c := sdk.NewClient(&sdk.Implementation{Name: "cmdb-mcp-e2e", Version: "0"}, &sdk.ClientOptions{LoggingMessageHandler: logs.handle})
	session, err := c.Connect(ctx, tr, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = session.Close() })
	//lint:ignore SA1019 logging is still part of 2025-11-25
	require.NoError(t, session.SetLoggingLevel(ctx, &sdk.SetLoggingLevelParams{Level: "debug"}))

	var seen []string
	record := func(v any, err error) {
		if err != nil {
			seen = append(seen, err.Error())
		}
		if v != nil {
			raw, _ := json.Marshal(v)
			seen = append(seen, string(raw))
		}
	}
	record(session.ListTools(ctx, nil))
	record(session.ListResources(ctx, nil))
	record(session.ListResourceTemplates(ctx, nil))
	record(session.ListPrompts(ctx, nil))
	record(session.GetPrompt(ctx, &sdk.GetPromptParams{Name: "cmdb_sync", Arguments: map[string]string{"mode": "default"}}))
	record(session.GetPrompt(ctx, &sdk.GetPromptParams{Name: "cmdb_sync", Arguments: map[string]string{"mode": "reckless"}}))
	record(session.ReadResource(ctx, &sdk.ReadResourceParams{URI: "cmdb://host"}))
	record(session.ReadResource(ctx, &sdk.ReadResourceParams{URI: "cmdb://plans/no-such-plan"}))

	call := func(name string, args map[string]any) *sdk.CallToolResult {
		res, err := session.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		record(res, err)
		return res
	}
	for _, tc := range []struct {
		name string
		args map[string]any
	}{
		{"cmdb_discover", nil},
		{"dcim_list_devices", map[string]any{"name": nb.host.Hostname}},
		{"dcim_get_device", map[string]any{"id": nb.deviceID}},
		{"dcim_get_device", map[string]any{"id": 999999}},
		{"dcim_update_device", map[string]any{"id": nb.deviceID, "status": "exploded"}},
		{"dcim_update_device", map[string]any{"id": 999999, "status": "active"}},
		{"dcim_list_devices", map[string]any{"limit": -1}},
		{"dcim_list_interfaces", map[string]any{"device_id": "not a number"}},
		{"dcim_create_interface", map[string]any{"device": 999999, "name": "x", "type": "virtual"}},
		{"ipam_create_ip_address", map[string]any{"address": "not-an-address"}},
		{"extras_create_journal_entry", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 999999, "comments": "x"}},
		{"cmdb_sync_diff", map[string]any{"hostname": "no-such-host"}},
		{"cmdb_sync_apply", map[string]any{"plan_id": "no-such-plan", "confirm": true}},
		{"no_such_tool", nil},
	} {
		call(tc.name, tc.args)
	}

	diffRes := call("cmdb_sync_diff", map[string]any{})
	if works {
		require.NotNil(t, diffRes)
		require.False(t, diffRes.IsError, resultText(diffRes))
		plan := decodeStructured[tools.SyncDiffOutput](t, diffRes)
		record(session.ReadResource(ctx, &sdk.ReadResourceParams{URI: "cmdb://plans/" + plan.PlanID}))
		applied := call("cmdb_sync_apply", map[string]any{"plan_id": plan.PlanID, "confirm": true})
		require.False(t, applied.IsError, resultText(applied))
		again := call("cmdb_sync_apply", map[string]any{"plan_id": plan.PlanID, "confirm": true})
		require.True(t, again.IsError, "a plan was applied twice")
		nb.checkSynced(t)
	}
	require.NoError(t, session.Close())
	// Log notifications travel beside the answers; the last ones may still
	// be on their way when the session closes, which is fine here.
	seen = append(seen, logs.String(), stderr.String())
	if works {
		assert.NotEmpty(t, logs.String(), "no log notification arrived")
		assert.Contains(t, stderr.String(), "level=DEBUG", "the server did not log at debug level")
	}
	return seen
}

// v2Parts are the key and the secret of the suite's v2 token.
func v2Parts() (key, secret string) {
	key, secret, _ = strings.Cut(strings.TrimPrefix(suiteV2Token, "nbt_"), ".")
	return key, secret
}

// TestTokenPartsEchoed: a NetBox (or a proxy in front of it) whose answers
// echo only the key or only the secret of a v2 token, in an error or in
// the data, gets neither into a tool result, a log or a CLI error.
func TestTokenPartsEchoed(t *testing.T) {
	t.Setenv(simtest.VersionEnv, "4.5") // v2 tokens
	nb := staleNetBox(t)
	nb.extraEnv = append(nb.extraEnv, netbox.EnvToken+"="+nb.V2Token)
	key, secret := v2Parts()
	// The data: a serial NetBox holds that happens to be the key.
	_, err := nb.admin.UpdateDevice(context.Background(), nb.deviceID, netbox.DeviceUpdate{Serial: &key}, netbox.WriteOptions{})
	require.NoError(t, err)

	echo := func(status int, message string) {
		t.Helper()
		nb.Sim.ClearFaults()
		require.NoError(t, nb.Sim.AddFault(netboxsim.Fault{Method: "GET", Path: "/api/dcim/devices/", Status: status, Message: message}))
	}
	var seen []string
	for _, tt := range []struct {
		status  int
		message string
	}{
		{http.StatusForbidden, "Invalid v2 token: unknown key " + key},
		{http.StatusForbidden, "Invalid v2 token: secret " + secret + " does not match"},
		{http.StatusBadRequest, "token " + secret[:len(secret)/2] + "… is malformed"},
		{http.StatusInternalServerError, "HTTP_AUTHORIZATION=Bearer " + nb.V2Token},
	} {
		echo(tt.status, tt.message)
		code, stdout, stderr := cli(t, nb.env(), "", "diff")
		assert.Equal(t, 1, code, stderr)
		assert.Contains(t, stderr, "[REDACTED]", "the echo shows, the token's part does not")
		seen = append(seen, stdout, stderr)
	}
	nb.Sim.ClearFaults()

	cmd := exec.Command(binary, "serve")
	cmd.Env = nb.env()
	stderr := captureStderr(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := connect(t, ctx, &sdk.CommandTransport{Command: cmd})
	got := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "dcim_get_device", Arguments: map[string]any{"id": nb.deviceID}})
	require.False(t, got.IsError, resultText(got))
	assert.Contains(t, resultText(got), `"serial":"[REDACTED]"`)
	seen = append(seen, resultText(got))
	require.NoError(t, nb.Sim.AddFault(netboxsim.Fault{Method: "GET", Path: "/api/dcim/devices/*/", Status: http.StatusNotFound, Message: "No Device matches key " + key + " secret " + secret}))
	got = toolResult(t, ctx, session, &sdk.CallToolParams{Name: "dcim_get_device", Arguments: map[string]any{"id": nb.deviceID}})
	require.True(t, got.IsError, resultText(got))
	seen = append(seen, resultText(got))
	require.NoError(t, session.Close())
	seen = append(seen, stderr.String())
	assertNoSecrets(t, "the answers", seen...)
}

// TestWriteScopeOverMCP: serve's write tools change this host's device
// and refuse another host's, naming the fix; --write-scope any (or its
// variable) lifts the limit, and --hostname names this host's device.
func TestWriteScopeOverMCP(t *testing.T) {
	nb := staleNetBox(t)
	var other struct {
		ID int64 `json:"id"`
	}
	fx := nb.Seed(t)
	require.NoError(t, nb.Admin().Do(context.Background(), http.MethodPost, "/api/dcim/devices/", nil, map[string]any{
		"name": "another-host", "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "status": "active",
	}, &other))
	decommission := func(id int64) map[string]any { return map[string]any{"id": id, "status": "decommissioning"} }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	session := serveSession(t, ctx, nb, overStdio, "", nil)
	refused := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "dcim_update_device", Arguments: decommission(other.ID)})
	require.True(t, refused.IsError, resultText(refused))
	assert.Contains(t, resultText(refused), "--write-scope any")
	assert.Contains(t, resultText(refused), "CMDB_WRITE_SCOPE=any")
	d, err := nb.admin.GetDevice(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "active", d.Status, "the other host's device was changed")
	own := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "dcim_update_device", Arguments: map[string]any{"id": nb.deviceID, "status": "active"}})
	require.False(t, own.IsError, resultText(own))

	named := serveSession(t, ctx, nb, overStdio, "", nil, "--hostname", "another-host")
	res := toolResult(t, ctx, named, &sdk.CallToolParams{Name: "dcim_update_device", Arguments: map[string]any{"id": other.ID, "status": "offline"}})
	require.False(t, res.IsError, "--hostname names this host's device: %s", resultText(res))

	nb.extraEnv = append(nb.extraEnv, "CMDB_WRITE_SCOPE=any")
	lifted := serveSession(t, ctx, nb, overStdio, "", nil)
	res = toolResult(t, ctx, lifted, &sdk.CallToolParams{Name: "dcim_update_device", Arguments: decommission(other.ID)})
	require.False(t, res.IsError, resultText(res))
	d, err = nb.admin.GetDevice(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "decommissioning", d.Status)
}
