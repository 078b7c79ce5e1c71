package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Transport is how clients reach the server.
type Transport string

// Transports.
const (
	// TransportStdio speaks MCP on stdin and stdout: the client starts cmdb-mcp.
	TransportStdio Transport = "stdio"
	// TransportSSE is the legacy HTTP+SSE transport (GET /sse, POST /message),
	// for clients that predate streamable HTTP.
	TransportSSE Transport = "sse"
	// TransportHTTP is streamable HTTP at /mcp.
	TransportHTTP Transport = "http"
)

// Transports lists every transport, the default first.
var Transports = []Transport{TransportStdio, TransportSSE, TransportHTTP}

// DefaultAddr is where the HTTP transports listen unless told otherwise:
// loopback, because the server holds a NetBox write token.
const DefaultAddr = "127.0.0.1:8080"

// Paths served by the HTTP transports.
const (
	MCPPath    = "/mcp"
	HealthPath = "/healthz"
)

// shutdownGrace bounds how long in-flight requests may finish after the
// context is cancelled.
const shutdownGrace = 5 * time.Second

// ParseTransport checks a --transport value; empty means stdio.
func ParseTransport(s string) (Transport, error) {
	if s == "" {
		return TransportStdio, nil
	}
	for _, t := range Transports {
		if strings.EqualFold(s, string(t)) {
			return t, nil
		}
	}
	names := make([]string, len(Transports))
	for i, t := range Transports {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown transport %q: use one of %s", s, strings.Join(names, ", "))
}

// Run serves s over the transport until ctx is cancelled or, for stdio, the
// client closes stdin. addr is the listen address of the HTTP transports
// (DefaultAddr when empty). On cancellation, open sessions are closed and
// in-flight requests get a few seconds to finish.
func Run(ctx context.Context, s *mcpserver.MCPServer, transport Transport, addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	switch transport {
	case TransportStdio, "":
		return runStdio(ctx, s, os.Stdin, os.Stdout)
	case TransportSSE:
		sse := mcpserver.NewSSEServer(s)
		mux := http.NewServeMux()
		mux.Handle("/", sse) // it routes /sse and /message itself
		return serveHTTP(ctx, addr, mux, func(context.Context) { sse.CloseSessions() }, "/sse")
	case TransportHTTP:
		streamable := mcpserver.NewStreamableHTTPServer(s, mcpserver.WithEndpointPath(MCPPath))
		mux := http.NewServeMux()
		mux.Handle(MCPPath, streamable)
		// Used as a handler, Shutdown only closes the sessions.
		return serveHTTP(ctx, addr, mux, func(ctx context.Context) { _ = streamable.Shutdown(ctx) }, MCPPath)
	default:
		_, err := ParseTransport(string(transport))
		return err
	}
}

func runStdio(ctx context.Context, s *mcpserver.MCPServer, in io.Reader, out io.Writer) error {
	stdio := mcpserver.NewStdioServer(s)
	stdio.SetErrorLogger(slog.NewLogLogger(slog.Default().Handler(), slog.LevelError))
	slog.Info("serving MCP on stdio")
	err := stdio.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serveHTTP serves mux plus the health check, and shuts down when ctx is
// done. closeSessions ends the long-lived event streams first, which
// http.Server.Shutdown would otherwise wait for until its deadline.
func serveHTTP(ctx context.Context, addr string, mux *http.ServeMux, closeSessions func(context.Context), endpoint string) error {
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	slog.Info("serving MCP", "url", "http://"+ln.Addr().String()+endpoint, "health", "http://"+ln.Addr().String()+HealthPath)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	closeSessions(shutdownCtx)
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
