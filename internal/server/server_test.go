package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// wantTools are the tools of the default configuration: all of them.
func wantTools() []string {
	var names []string
	for _, t := range tools.All(tools.Deps{}) {
		names = append(names, t.Definition.Name)
	}
	sort.Strings(names)
	return names
}

func TestParseTransport(t *testing.T) {
	tests := []struct {
		in      string
		want    Transport
		wantErr bool
	}{
		{"", TransportStdio, false},
		{"stdio", TransportStdio, false},
		{"SSE", TransportSSE, false},
		{"http", TransportHTTP, false},
		{"grpc", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTransport(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "stdio, sse, http")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// connect initializes an official-SDK client session, an implementation
// independent of the mcp-go server under test, and checks what the server
// says about itself.
func connect(t *testing.T, ctx context.Context, transport sdk.Transport) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "server-test", Version: "0"}, nil)
	cs, err := c.Connect(ctx, transport, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })

	init := cs.InitializeResult()
	require.NotNil(t, init)
	assert.Equal(t, Name, init.ServerInfo.Name)
	assert.Equal(t, "1.2.3", init.ServerInfo.Version)
	assert.Contains(t, init.Instructions, "cmdb_sync_diff")
	assert.Contains(t, init.Instructions, "cmdb_sync_apply")

	res, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	sort.Strings(names)
	assert.Equal(t, wantTools(), names)
	return cs
}

// The server's tool handlers are not called here: tools/list needs no
// NetBox, so the engine and client are nil.
func newTestServer() *mcpserver.MCPServer { return New(nil, nil, Options{Version: "1.2.3"}) }

func TestStdio(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clientToServer, serverIn := io.Pipe()
	serverOut, serverToClient := io.Pipe()

	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- runStdio(runCtx, newTestServer(), clientToServer, serverToClient) }()

	connect(t, ctx, &sdk.IOTransport{Reader: serverOut, Writer: serverIn})

	stop()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("stdio transport did not stop when its context was cancelled")
	}
}

func TestHTTPTransports(t *testing.T) {
	tests := []struct {
		transport Transport
		client    func(base, token string) sdk.Transport
	}{
		{TransportHTTP, func(base, token string) sdk.Transport {
			return &sdk.StreamableClientTransport{Endpoint: base + MCPPath, MaxRetries: -1, HTTPClient: bearerClient(http.DefaultTransport, token)}
		}},
		{TransportSSE, func(base, token string) sdk.Transport {
			return &sdk.SSEClientTransport{Endpoint: base + "/sse", HTTPClient: bearerClient(http.DefaultTransport, token)}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.transport), func(t *testing.T) {
			runtimeDir := t.TempDir()
			t.Setenv("XDG_RUNTIME_DIR", runtimeDir)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			addr := freeAddr(t)
			base := "http://" + addr

			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- Run(runCtx, newTestServer(), tt.transport, addr) }()
			waitHealthy(t, base)

			resp, err := http.Get(base + HealthPath)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "ok", string(body))

			// Started without a token, the server made one, readable by
			// this user only.
			_, port, _ := net.SplitHostPort(addr)
			tokenFile := filepath.Join(runtimeDir, "cmdb-mcp", "http-"+port+".token")
			info, err := os.Stat(tokenFile)
			require.NoError(t, err, "no generated token file")
			assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			dir, err := os.Stat(filepath.Dir(tokenFile))
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o700), dir.Mode().Perm())
			token, err := os.ReadFile(tokenFile)
			require.NoError(t, err)
			status, _ := post(t, base+MCPPath, "", initializeBody)
			assert.Equal(t, http.StatusUnauthorized, status, "without the generated token")

			// A session stays open across the shutdown: Run must close it
			// rather than wait for the client.
			connect(t, ctx, tt.client(base, strings.TrimSpace(string(token))))

			start := time.Now()
			stop()
			select {
			case err := <-done:
				assert.NoError(t, err)
				assert.Less(t, time.Since(start), shutdownGrace, "shutdown waited for the grace period")
			case <-time.After(2 * shutdownGrace):
				t.Fatal("transport did not stop when its context was cancelled")
			}
			_, err = http.Get(base + HealthPath)
			assert.Error(t, err, "still listening after shutdown")
			_, err = os.Stat(tokenFile)
			assert.True(t, os.IsNotExist(err), "the generated token outlived the server")
		})
	}
}

func TestRunListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = Run(context.Background(), newTestServer(), TransportHTTP, ln.Addr().String())
	require.Error(t, err)
	assert.Contains(t, err.Error(), ln.Addr().String())
}

func TestRunUnknownTransport(t *testing.T) {
	err := Run(context.Background(), newTestServer(), Transport("carrier-pigeon"), "")
	require.Error(t, err)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + HealthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became healthy: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
