package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
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
// (DefaultAddr when empty). It is RunWithOptions with nothing but the
// address: loopback serves without authentication, other addresses are
// refused.
func Run(ctx context.Context, s *mcpserver.MCPServer, transport Transport, addr string) error {
	return RunWithOptions(ctx, s, transport, HTTPOptions{Addr: addr})
}

// RunWithOptions serves s over the transport until ctx is cancelled or, for
// stdio, the client closes stdin. opts apply to the HTTP transports: every
// request needs a bearer token (one is generated when none is given, see
// HTTPOptions.AuthToken) unless InsecureNoAuth, an address other machines
// can reach needs a token given by the operator, Host and Origin headers
// are checked against DNS rebinding, and a certificate pair serves HTTPS.
// On cancellation, open sessions are closed and in-flight requests get a
// few seconds to finish.
func RunWithOptions(ctx context.Context, s *mcpserver.MCPServer, transport Transport, opts HTTPOptions) error {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	switch transport {
	case TransportStdio, "":
		return runStdio(ctx, s, os.Stdin, os.Stdout)
	case TransportSSE, TransportHTTP:
		if err := opts.Validate(); err != nil {
			return err
		}
		return serveHTTP(ctx, s, transport, opts)
	default:
		_, err := ParseTransport(string(transport))
		return err
	}
}

// httpHandler is an HTTP transport behind the guard, with what shutting it
// down needs.
type httpHandler struct {
	http.Handler
	// closeSessions ends the long-lived event streams, which
	// http.Server.Shutdown would otherwise wait for until its deadline.
	closeSessions func(context.Context)
	endpoint      string
	// sessions are the streamable HTTP transport's.
	sessions *sessions
}

// newHTTPHandler builds the transport's handler plus the health check,
// behind the guard. mcp-go's own DNS rebinding check (loopback listener
// and non-loopback Host) is off: the guard's covers it, and also Origin
// headers, wildcard listen addresses and the allow-lists.
func newHTTPHandler(s *mcpserver.MCPServer, transport Transport, opts HTTPOptions) (*httpHandler, error) {
	var cors []mcpserver.CORSOption
	if len(opts.AllowedOrigins) > 0 {
		// Browsers send origins in lower case; mcp-go compares exactly.
		origins := make([]string, 0, len(opts.AllowedOrigins))
		for _, o := range opts.AllowedOrigins {
			if n, ok := normalizeOrigin(o); ok {
				o = n
			}
			origins = append(origins, o)
		}
		cors = append(cors, mcpserver.WithCORSAllowedOrigins(origins...))
	}
	mux := http.NewServeMux()
	h := &httpHandler{}
	switch transport {
	case TransportSSE:
		sseOpts := []mcpserver.SSEOption{mcpserver.WithSSEDisableLocalhostProtection(true)}
		if cors != nil {
			sseOpts = append(sseOpts, mcpserver.WithSSECORS(cors...))
		}
		sse := mcpserver.NewSSEServer(s, sseOpts...)
		mux.Handle("/", sse) // it routes /sse and /message itself
		h.closeSessions = func(context.Context) { sse.CloseSessions() }
		h.endpoint = "/sse"
	case TransportHTTP:
		store := newSessions(opts.SessionIdleTTL, opts.MaxSessions)
		httpOpts := []mcpserver.StreamableHTTPOption{
			mcpserver.WithEndpointPath(MCPPath),
			mcpserver.WithDisableLocalhostProtection(true),
			mcpserver.WithSessionIdManager(store),
		}
		if cors != nil {
			httpOpts = append(httpOpts, mcpserver.WithStreamableHTTPCORS(cors...))
		}
		streamable := mcpserver.NewStreamableHTTPServer(s, httpOpts...)
		store.end = func(id string) { endSession(streamable, id) }
		store.start()
		h.sessions = store
		mux.Handle(MCPPath, newStreamableFront(streamable, s, store))
		// Used as a handler, Shutdown only closes the sessions.
		h.closeSessions = func(ctx context.Context) {
			store.close()
			_ = streamable.Shutdown(ctx)
		}
		h.endpoint = MCPPath
	default:
		return nil, fmt.Errorf("transport %q is not served over HTTP", transport)
	}
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	h.Handler = newGuard(mux, opts, HealthPath)
	return h, nil
}

// endSession removes mcp-go's state of a session the store ended, the way
// a client's DELETE does: mcp-go offers no other way in.
func endSession(streamable http.Handler, id string) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodDelete, MCPPath, nil)
	if err != nil {
		return
	}
	req.Header.Set(mcpserver.HeaderKeySessionID, id)
	streamable.ServeHTTP(discardResponse{header: http.Header{}}, req)
}

type discardResponse struct{ header http.Header }

func (d discardResponse) Header() http.Header         { return d.header }
func (d discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d discardResponse) WriteHeader(int)             {}

// serveHTTP serves the transport on opts.Addr until ctx is done, then
// shuts down.
func serveHTTP(ctx context.Context, s *mcpserver.MCPServer, transport Transport, opts HTTPOptions) error {
	tlsConfig, err := opts.loadTLS()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	// Checked on the address actually bound: a name may resolve anywhere.
	if err := opts.checkExposure(ln.Addr()); err != nil {
		_ = ln.Close()
		return err
	}
	tokenFile := ""
	if opts.AuthToken == "" && !opts.InsecureNoAuth {
		if opts.AuthToken, tokenFile, err = generateToken(ln.Addr()); err != nil {
			_ = ln.Close()
			return err
		}
		defer os.Remove(tokenFile)
	}
	h, err := newHTTPHandler(s, transport, opts)
	if err != nil {
		_ = ln.Close()
		return err
	}
	ln = newLimitListener(ln, opts.maxConnections())
	scheme := "http"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       opts.readTimeout(),
		WriteTimeout:      opts.writeTimeout(),
		IdleTimeout:       opts.idleTimeout(),
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	base := scheme + "://" + ln.Addr().String()
	attrs := []any{"url", base + h.endpoint, "health", base + HealthPath, "auth", authMode(opts, tokenFile)}
	if tokenFile != "" {
		attrs = append(attrs, "token_file", tokenFile)
	}
	attrs = append(attrs, "read_timeout", opts.readTimeout().String(), "write_timeout", opts.writeTimeout().String(),
		"idle_timeout", opts.idleTimeout().String(), "max_connections", opts.maxConnections())
	slog.Info("serving MCP", attrs...)

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
	h.closeSessions(shutdownCtx)
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// authMode says in the log how clients authenticate, never with what.
func authMode(opts HTTPOptions, tokenFile string) string {
	switch {
	case tokenFile != "":
		return "bearer token (generated)"
	case opts.AuthToken != "":
		return "bearer token"
	}
	return "none (--insecure-no-auth)"
}
