package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// HTTPOptions configure the sse and http transports. The zero value serves
// on DefaultAddr (loopback) with a generated bearer token.
type HTTPOptions struct {
	// Addr is the listen address; DefaultAddr when empty.
	Addr string
	// AuthToken is the bearer token every MCP request must carry
	// ("Authorization: Bearer <token>"); others get 401. When empty (and
	// not InsecureNoAuth), a loopback server generates one as it starts
	// and writes it to a file only its user can read (token.go), because
	// any local user could otherwise write to NetBox with the server's
	// NetBox token. An address other machines can reach needs a token the
	// operator gives, unless InsecureNoAuth.
	AuthToken string
	// InsecureNoAuth serves without a token, for a server behind a proxy
	// that authenticates.
	InsecureNoAuth bool
	// AllowedHosts are Host header names accepted besides loopback names,
	// the listen address and the address a request arrived on (DNS
	// rebinding protection). They count for Origin headers too. "*" turns
	// the Host check off.
	AllowedHosts []string
	// AllowedOrigins are browser origins (scheme://host[:port]) accepted
	// besides those whose host passes the Host check; they also get CORS
	// headers, so that a web client can read the answers. "*" allows any.
	AllowedOrigins []string
	// TLSCertFile and TLSKeyFile, both or neither, serve HTTPS.
	TLSCertFile, TLSKeyFile string

	// SessionIdleTTL ends a streamable HTTP session that has had no
	// request for this long (DefaultSessionIdleTTL when zero); MaxSessions
	// bounds the sessions kept (DefaultMaxSessions when zero).
	SessionIdleTTL time.Duration
	MaxSessions    int
	// ReadTimeout bounds reading a request, body included; WriteTimeout
	// bounds a response, from the end of its request to its last byte,
	// so it must fit the longest apply; IdleTimeout closes a keep-alive
	// connection without requests; MaxConnections bounds the connections
	// served at once (more wait to be accepted). Zero is the default of
	// each (limits.go).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxConnections                         int
}

// MinAuthTokenLength is the shortest bearer token accepted: long enough
// that guessing is hopeless, e.g. `openssl rand -hex 32`.
const MinAuthTokenLength = 16

// maxRequestBody bounds a request body; MCP messages are a few KB.
const maxRequestBody = 4 << 20

// ErrAuthRequired is returned for a non-loopback listen address without a
// bearer token or InsecureNoAuth.
var ErrAuthRequired = errors.New("an address other machines can reach needs authentication")

// Validate checks the options that can be checked without listening. It
// never quotes the token.
func (o HTTPOptions) Validate() error {
	var errs []error
	if o.AuthToken != "" {
		switch {
		case strings.ContainsFunc(o.AuthToken, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			errs = append(errs, errors.New("the auth token contains whitespace or control characters"))
		case len(o.AuthToken) < MinAuthTokenLength:
			errs = append(errs, fmt.Errorf("the auth token is %d characters long: use at least %d random characters, e.g. from `openssl rand -hex 32`", len(o.AuthToken), MinAuthTokenLength))
		}
		if o.InsecureNoAuth {
			errs = append(errs, errors.New("an auth token and --insecure-no-auth contradict each other: drop one"))
		}
	}
	for name, d := range map[string]time.Duration{"session idle TTL": o.SessionIdleTTL, "read timeout": o.ReadTimeout, "write timeout": o.WriteTimeout, "idle timeout": o.IdleTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("the %s is negative (%s): give a positive duration, e.g. 30s", name, d))
		}
	}
	if o.MaxSessions < 0 || o.MaxConnections < 0 {
		errs = append(errs, errors.New("the session and connection limits must be positive"))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("TLS needs both a certificate and a key (--tls-cert and --tls-key)"))
	}
	for _, host := range o.AllowedHosts {
		if strings.ContainsAny(host, "/@ ") || hostOnly(host) == "" {
			errs = append(errs, fmt.Errorf("allowed host %q is not a host name (or host:port), e.g. cmdb.example.com", host))
		}
	}
	for _, origin := range o.AllowedOrigins {
		if origin == "*" {
			continue
		}
		if _, ok := normalizeOrigin(origin); !ok {
			errs = append(errs, fmt.Errorf("allowed origin %q is not scheme://host[:port], e.g. https://app.example.com", origin))
		}
	}
	return errors.Join(errs...)
}

// loadTLS reads the certificate pair, if one is configured.
func (o HTTPOptions) loadTLS() (*tls.Config, error) {
	if o.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", o.TLSCertFile, o.TLSKeyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// checkExposure refuses to serve a non-loopback address without a token
// the operator gave (a generated one would be readable on this machine
// only): the server holds a NetBox write token.
func (o HTTPOptions) checkExposure(bound net.Addr) error {
	if o.AuthToken != "" {
		return nil
	}
	if isLoopbackAddr(bound) {
		if o.InsecureNoAuth {
			slog.Warn("serving without authentication (--insecure-no-auth): any local user can write to NetBox through this server", "addr", bound.String())
		}
		return nil
	}
	if o.InsecureNoAuth {
		slog.Warn("serving without authentication on an address other machines can reach (--insecure-no-auth): anyone who reaches it can write to NetBox", "addr", bound.String())
		return nil
	}
	return fmt.Errorf("%w: %s is not a loopback address and anyone who reaches it could write to NetBox. Set CMDB_AUTH_TOKEN or CMDB_AUTH_TOKEN_FILE (or --auth-token-file) to a secret clients send as \"Authorization: Bearer <token>\", or pass --insecure-no-auth if a proxy in front authenticates; or listen on 127.0.0.1",
		ErrAuthRequired, bound.String())
}

func isLoopbackAddr(a net.Addr) bool {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// guard is the front door of the HTTP transports: DNS rebinding protection
// (Host and Origin), the bearer token, and a bound on request bodies.
type guard struct {
	next http.Handler
	// tokenSum is the SHA-256 of the bearer token; nil means no token.
	tokenSum []byte
	// hosts are the accepted Host names besides loopback ones and the
	// address a request arrived on; anyHost turns the check off.
	hosts   map[string]bool
	anyHost bool
	// origins are accepted Origin values (normalized); anyOrigin allows all.
	origins   map[string]bool
	anyOrigin bool
	// public paths need no token (the health check).
	public map[string]bool
	// principal names who a request authenticated as, for binding plans
	// to it: a digest of the token, never the token.
	principal string
}

func newGuard(next http.Handler, o HTTPOptions, public ...string) *guard {
	g := &guard{next: next, hosts: map[string]bool{}, origins: map[string]bool{}, public: map[string]bool{}}
	g.principal = "anonymous"
	if o.AuthToken != "" {
		sum := sha256.Sum256([]byte(o.AuthToken))
		g.tokenSum = sum[:]
		g.principal = "bearer:" + hex.EncodeToString(sum[:8])
	}
	// The listen address's name counts, not a wildcard (0.0.0.0, ::),
	// which no client names but which browsers send to loopback.
	if host := hostOnly(o.Addr); host != "" && !isUnspecified(host) {
		g.hosts[host] = true
	}
	for _, h := range o.AllowedHosts {
		if strings.TrimSpace(h) == "*" {
			g.anyHost = true
			continue
		}
		if host := hostOnly(h); host != "" {
			g.hosts[host] = true
		}
	}
	for _, origin := range o.AllowedOrigins {
		if origin == "*" {
			g.anyOrigin = true
			continue
		}
		if n, ok := normalizeOrigin(origin); ok {
			g.origins[n] = true
		}
	}
	for _, p := range public {
		g.public[p] = true
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r, hostOnly(r.Host)) {
		g.reject(w, r, http.StatusForbidden, "Forbidden: the Host header names neither this server's address nor an allowed host (DNS rebinding protection; see --allowed-hosts)")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !g.originAllowed(r, origin) {
		g.reject(w, r, http.StatusForbidden, "Forbidden: requests from this Origin are not allowed (DNS rebinding protection; see --allowed-origins)")
		return
	}
	// A CORS preflight never carries credentials; it reaches the
	// transport's CORS handling, which writes no MCP data.
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if g.tokenSum != nil && !g.public[r.URL.Path] && !preflight && !g.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cmdb-mcp"`)
		g.reject(w, r, http.StatusUnauthorized, "Unauthorized: send \"Authorization: Bearer <token>\" with the token the server was started with (CMDB_AUTH_TOKEN)")
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	}
	if r.Method == http.MethodGet && !g.public[r.URL.Path] {
		// An event stream (streamable HTTP's GET, legacy SSE's /sse) lives
		// as long as its client: the read timeout, which net/http keeps
		// on the connection while the handler runs, would cancel it, and
		// the write timeout would cut it.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	}
	g.next.ServeHTTP(w, r.WithContext(tools.WithPrincipal(r.Context(), g.principal)))
}

// reject answers with status and logs who was turned away. Neither the
// answer nor the log repeats what the client sent. The body is never
// read, and the connection is closed after the answer: net/http would
// otherwise read what is left of the body to reuse the connection, and a
// client trickling it would wait for its answer as long as it likes.
func (g *guard) reject(w http.ResponseWriter, r *http.Request, status int, msg string) {
	slog.Warn("refused an HTTP request", "status", status, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	w.Header().Set("Connection", "close")
	// net/http reads up to 256 KB of an unread body after the handler, to
	// reuse the connection, even with Connection: close; taking the
	// connection over is the way to answer and close without reading it.
	if hj, ok := w.(http.Hijacker); ok && r.ProtoMajor == 1 {
		if conn, buf, err := hj.Hijack(); err == nil {
			defer conn.Close()
			body := msg + "\n"
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
			h := w.Header().Clone()
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Content-Length", fmt.Sprint(len(body)))
			_ = h.Write(buf)
			fmt.Fprintf(buf, "\r\n%s", body)
			_ = buf.Flush()
			return
		}
	}
	http.Error(w, msg, status)
}

// authorized compares the bearer token in constant time.
func (g *guard) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum) == 1
}

// hostAllowed: loopback names and addresses, the listen address, the
// address this request arrived on (an IP literal cannot be an attacker's
// rebound domain), and the allow-list.
func (g *guard) hostAllowed(r *http.Request, host string) bool {
	switch {
	case host == "":
		return false
	case g.anyHost, g.hosts[host], isLoopbackName(host):
		return true
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil {
		if ap, err := netip.ParseAddrPort(local.String()); err == nil {
			if a, err := netip.ParseAddr(host); err == nil && a.Unmap() == ap.Addr().Unmap() {
				return true
			}
		}
	}
	return false
}

// originAllowed: the allow-list, or an origin whose host passes the Host
// check (with the Host check off, only the request's own host).
func (g *guard) originAllowed(r *http.Request, origin string) bool {
	n, ok := normalizeOrigin(origin)
	if !ok {
		return false // "null" (sandboxed pages, file:), or garbage
	}
	if g.anyOrigin || g.origins[n] {
		return true
	}
	u, _ := url.Parse(n)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if g.anyHost {
		return host == hostOnly(r.Host) || isLoopbackName(host)
	}
	return g.hostAllowed(r, host)
}

// normalizeOrigin lower-cases scheme://host[:port] and checks its form.
func normalizeOrigin(origin string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(origin))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// hostOnly returns the lower-cased host of a Host header or address,
// without port, brackets or a trailing dot.
func hostOnly(hostport string) string {
	hostport = strings.TrimSpace(hostport)
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

func isUnspecified(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

// isLoopbackName: localhost and its subdomains (RFC 6761; browsers resolve
// them to loopback themselves), and loopback IP literals.
func isLoopbackName(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
