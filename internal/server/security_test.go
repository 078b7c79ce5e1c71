package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

const testAuthToken = "s3cret-bearer-token-for-tests-0123456789"

// initializeBody is a minimal initialize request, enough to tell whether a
// request got through the guard to the transport.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

type guardRequest struct {
	method, path string
	host         string
	header       map[string]string
	body         string
}

func (g guardRequest) do(t *testing.T, base string) *http.Response {
	t.Helper()
	if g.method == "" {
		g.method = http.MethodPost
	}
	if g.path == "" {
		g.path = MCPPath
	}
	body := g.body
	if body == "" && g.method == http.MethodPost {
		body = initializeBody
	}
	req, err := http.NewRequest(g.method, base+g.path, strings.NewReader(body))
	require.NoError(t, err)
	if g.method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	if g.host != "" {
		req.Host = g.host
	}
	for k, v := range g.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// guarded serves the streamable HTTP transport behind the guard on a
// loopback port, as Run does.
func guarded(t *testing.T, opts HTTPOptions) string {
	t.Helper()
	h, err := newHTTPHandler(newTestServer(), TransportHTTP, opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestGuard is the DNS rebinding protection and the bearer token, request
// by request.
func TestGuard(t *testing.T) {
	tests := []struct {
		name string
		opts HTTPOptions
		req  guardRequest
		want int // the status; 0: anything but 401 and 403
	}{
		{name: "loopback host", req: guardRequest{}},
		{name: "localhost with a port", req: guardRequest{host: "localhost:1234"}},
		{name: "a localhost subdomain", req: guardRequest{host: "app.localhost"}},
		{name: "IPv6 loopback", req: guardRequest{host: "[::1]:8080"}},
		{name: "rebound domain", req: guardRequest{host: "evil.example:8080"}, want: http.StatusForbidden},
		{name: "rebound domain on the health check", req: guardRequest{method: http.MethodGet, path: HealthPath, host: "evil.example"}, want: http.StatusForbidden},
		{name: "empty host", req: guardRequest{host: " "}, want: http.StatusForbidden},
		{name: "wildcard address as host", opts: HTTPOptions{Addr: "0.0.0.0:8080"}, req: guardRequest{host: "0.0.0.0:8080"}, want: http.StatusForbidden},
		{name: "the listen address's name", opts: HTTPOptions{Addr: "mcp.lan:8080"}, req: guardRequest{host: "mcp.lan:8080"}},
		{name: "allowed host", opts: HTTPOptions{AllowedHosts: []string{"mcp.internal"}}, req: guardRequest{host: "MCP.Internal.:9000"}},
		{name: "allowed host given with a port", opts: HTTPOptions{AllowedHosts: []string{"mcp.internal:443"}}, req: guardRequest{host: "mcp.internal"}},
		{name: "host check off", opts: HTTPOptions{AllowedHosts: []string{"*"}}, req: guardRequest{host: "anything.example"}},

		{name: "loopback origin", req: guardRequest{header: map[string]string{"Origin": "http://localhost:3000"}}},
		{name: "foreign origin", req: guardRequest{header: map[string]string{"Origin": "http://evil.example"}}, want: http.StatusForbidden},
		{name: "foreign origin, loopback host", req: guardRequest{host: "localhost", header: map[string]string{"Origin": "https://evil.example:8080"}}, want: http.StatusForbidden},
		{name: "null origin", req: guardRequest{header: map[string]string{"Origin": "null"}}, want: http.StatusForbidden},
		{name: "allowed origin", opts: HTTPOptions{AllowedOrigins: []string{"https://app.example.com"}}, req: guardRequest{header: map[string]string{"Origin": "https://APP.example.com"}}},
		{name: "allowed origin, other port", opts: HTTPOptions{AllowedOrigins: []string{"https://app.example.com"}}, req: guardRequest{header: map[string]string{"Origin": "https://app.example.com:8443"}}, want: http.StatusForbidden},
		{name: "origin of an allowed host", opts: HTTPOptions{AllowedHosts: []string{"mcp.internal"}}, req: guardRequest{host: "mcp.internal", header: map[string]string{"Origin": "https://mcp.internal"}}},
		{name: "host check off, same-origin", opts: HTTPOptions{AllowedHosts: []string{"*"}}, req: guardRequest{host: "a.example", header: map[string]string{"Origin": "https://a.example"}}},
		{name: "host check off, cross-origin", opts: HTTPOptions{AllowedHosts: []string{"*"}}, req: guardRequest{host: "a.example", header: map[string]string{"Origin": "https://b.example"}}, want: http.StatusForbidden},

		{name: "no bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{}, want: http.StatusUnauthorized},
		{name: "wrong bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{header: map[string]string{"Authorization": "Bearer " + testAuthToken + "x"}}, want: http.StatusUnauthorized},
		{name: "token with another scheme", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{header: map[string]string{"Authorization": "Token " + testAuthToken}}, want: http.StatusUnauthorized},
		{name: "bare token", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{header: map[string]string{"Authorization": testAuthToken}}, want: http.StatusUnauthorized},
		{name: "right bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{header: map[string]string{"Authorization": "bearer " + testAuthToken}}},
		{name: "GET without bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{method: http.MethodGet}, want: http.StatusUnauthorized},
		{name: "DELETE without bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{method: http.MethodDelete}, want: http.StatusUnauthorized},
		{name: "health check needs no bearer", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{method: http.MethodGet, path: HealthPath}, want: http.StatusOK},
		{name: "right bearer, rebound domain", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{host: "evil.example", header: map[string]string{"Authorization": "Bearer " + testAuthToken}}, want: http.StatusForbidden},
		{name: "preflight needs no bearer", opts: HTTPOptions{AuthToken: testAuthToken, AllowedOrigins: []string{"https://app.example.com"}},
			req: guardRequest{method: http.MethodOptions, header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}}, want: http.StatusNoContent},
		{name: "OPTIONS that is no preflight", opts: HTTPOptions{AuthToken: testAuthToken}, req: guardRequest{method: http.MethodOptions}, want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.req.do(t, guarded(t, tt.opts))
			body, _ := io.ReadAll(resp.Body)
			switch tt.want {
			case 0:
				assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, resp.StatusCode, string(body))
			default:
				assert.Equal(t, tt.want, resp.StatusCode, string(body))
			}
			if resp.StatusCode == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="cmdb-mcp"`, resp.Header.Get("WWW-Authenticate"))
				assert.Contains(t, string(body), "Authorization: Bearer")
			}
			if tt.opts.AuthToken != "" {
				assert.NotContains(t, string(body), tt.opts.AuthToken)
			}
		})
	}
}

// An allowed origin gets CORS headers, so that a browser client can read
// the answers; others get none.
func TestGuardCORS(t *testing.T) {
	base := guarded(t, HTTPOptions{AllowedOrigins: []string{"https://App.Example.com/"}})
	resp := guardRequest{header: map[string]string{"Origin": "https://app.example.com"}}.do(t, base)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "https://app.example.com", resp.Header.Get("Access-Control-Allow-Origin"))

	resp = guardRequest{header: map[string]string{"Origin": "http://localhost:3000"}}.do(t, base)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// A request body is bounded; the transport answers an error, not 200.
func TestGuardBodyLimit(t *testing.T) {
	base := guarded(t, HTTPOptions{})
	huge := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", maxRequestBody) + `"}}`
	resp := guardRequest{body: huge}.do(t, base)
	body, _ := io.ReadAll(resp.Body)
	assert.True(t, resp.StatusCode >= 400 || strings.Contains(string(body), `"error"`), "%d %s", resp.StatusCode, body)
}

func TestHTTPOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    HTTPOptions
		wantErr string
	}{
		{name: "zero"},
		{name: "token", opts: HTTPOptions{AuthToken: testAuthToken}},
		{name: "short token", opts: HTTPOptions{AuthToken: "abc"}, wantErr: "at least 16"},
		{name: "token with a space", opts: HTTPOptions{AuthToken: "abcdefgh ijklmnopqrstu"}, wantErr: "whitespace"},
		{name: "token and insecure", opts: HTTPOptions{AuthToken: testAuthToken, InsecureNoAuth: true}, wantErr: "contradict"},
		{name: "cert without key", opts: HTTPOptions{TLSCertFile: "c.pem"}, wantErr: "--tls-key"},
		{name: "key without cert", opts: HTTPOptions{TLSKeyFile: "k.pem"}, wantErr: "--tls-cert"},
		{name: "origin with a path", opts: HTTPOptions{AllowedOrigins: []string{"https://a.example/app"}}, wantErr: "scheme://host"},
		{name: "origin without scheme", opts: HTTPOptions{AllowedOrigins: []string{"a.example"}}, wantErr: "scheme://host"},
		{name: "any origin", opts: HTTPOptions{AllowedOrigins: []string{"*"}}},
		{name: "hosts", opts: HTTPOptions{AllowedHosts: []string{"cmdb.example.com", "10.0.0.5:8443", "[::1]", "*"}}},
		{name: "host given as a URL", opts: HTTPOptions{AllowedHosts: []string{"https://cmdb.example.com"}}, wantErr: "not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			if tt.opts.AuthToken != "" {
				assert.NotContains(t, err.Error(), tt.opts.AuthToken)
			}
		})
	}
}

func TestDefaultAddrIsLoopback(t *testing.T) {
	assert.True(t, isLoopbackName(hostOnly(DefaultAddr)), DefaultAddr)
}

// TestRunRefusesExposedWithoutAuth: a non-loopback address needs a token
// or --insecure-no-auth; with either it serves.
func TestRunRefusesExposedWithoutAuth(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run(addr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := RunWithOptions(ctx, newTestServer(), TransportHTTP, HTTPOptions{Addr: addr})
			if err != nil && strings.HasPrefix(err.Error(), "listen on") {
				t.Skipf("cannot listen on %s here: %v", addr, err)
			}
			require.ErrorIs(t, err, ErrAuthRequired)
			for _, want := range []string{"CMDB_AUTH_TOKEN", "--insecure-no-auth", "127.0.0.1"} {
				assert.Contains(t, err.Error(), want)
			}
		})
	}

	for _, tt := range []struct {
		name string
		opts HTTPOptions
	}{
		{"token", HTTPOptions{AuthToken: testAuthToken}},
		{"insecure", HTTPOptions{InsecureNoAuth: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			port := freePort(t)
			tt.opts.Addr = "0.0.0.0:" + port
			base := "http://127.0.0.1:" + port
			stop := runInBackground(t, TransportHTTP, tt.opts)
			waitHealthy(t, base)
			status := guardRequest{}.do(t, base).StatusCode
			if tt.opts.AuthToken != "" {
				assert.Equal(t, http.StatusUnauthorized, status)
			} else {
				assert.Equal(t, http.StatusOK, status)
			}
			stop()
		})
	}
}

// TestAuthOverTransports: with a token, an MCP client that sends it works
// over streamable HTTP and SSE; one that does not cannot connect.
func TestAuthOverTransports(t *testing.T) {
	for _, tt := range []struct {
		transport Transport
		client    func(base string, hc *http.Client) sdk.Transport
	}{
		{TransportHTTP, func(base string, hc *http.Client) sdk.Transport {
			return &sdk.StreamableClientTransport{Endpoint: base + MCPPath, HTTPClient: hc, MaxRetries: -1}
		}},
		{TransportSSE, func(base string, hc *http.Client) sdk.Transport {
			return &sdk.SSEClientTransport{Endpoint: base + "/sse", HTTPClient: hc}
		}},
	} {
		t.Run(string(tt.transport), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			addr := freeAddr(t)
			base := "http://" + addr
			stop := runInBackground(t, tt.transport, HTTPOptions{Addr: addr, AuthToken: testAuthToken})
			waitHealthy(t, base)

			c := sdk.NewClient(&sdk.Implementation{Name: "no-token", Version: "0"}, nil)
			_, err := c.Connect(ctx, tt.client(base, &http.Client{}), nil)
			require.Error(t, err, "connected without the token")

			connect(t, ctx, tt.client(base, bearerClient(nil, testAuthToken)))
			stop()
		})
	}
}

// TestTLS serves HTTPS with a certificate pair; a client that trusts it
// connects, plain HTTP does not.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := testenv.SelfSignedCert(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := freeAddr(t)
	stop := runInBackground(t, TransportHTTP, HTTPOptions{Addr: addr, AuthToken: testAuthToken, TLSCertFile: certFile, TLSKeyFile: keyFile})

	tlsClient := bearerClient(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, testAuthToken)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := tlsClient.Get("https://" + addr + HealthPath)
		if err == nil {
			resp.Body.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "never served HTTPS: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
	connect(t, ctx, &sdk.StreamableClientTransport{Endpoint: "https://" + addr + MCPPath, HTTPClient: tlsClient, MaxRetries: -1})

	resp, err := http.Get("http://" + addr + HealthPath)
	if err == nil {
		resp.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, "plain HTTP answered on the TLS port")
	}
	stop()
}

func TestTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(cert, []byte("not a certificate"), 0o600))
	err := RunWithOptions(context.Background(), newTestServer(), TransportHTTP, HTTPOptions{Addr: freeAddr(t), TLSCertFile: cert, TLSKeyFile: cert})
	require.Error(t, err)
	assert.Contains(t, err.Error(), cert)
}

// runInBackground runs RunWithOptions until the returned stop is called
// (or the test ends), and checks that it returned cleanly.
func runInBackground(t *testing.T, transport Transport, opts HTTPOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWithOptions(ctx, newTestServer(), transport, opts) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(2 * shutdownGrace):
			t.Error("server did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

type bearer struct {
	next  http.RoundTripper
	token string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// bearerClient sends the token with every request through next (the
// default transport when nil).
func bearerClient(next http.RoundTripper, token string) *http.Client {
	if next == nil {
		next = http.DefaultTransport
	}
	return &http.Client{Transport: bearer{next: next, token: token}}
}

func freePort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(freeAddr(t))
	require.NoError(t, err)
	return port
}
