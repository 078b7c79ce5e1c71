package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
)

// Environment fallbacks of serve's HTTP flags.
const (
	envAuthToken      = "CMDB_AUTH_TOKEN"
	envAuthTokenFile  = "CMDB_AUTH_TOKEN_FILE"
	envInsecureNoAuth = "CMDB_INSECURE_NO_AUTH"
	envAllowedHosts   = "CMDB_ALLOWED_HOSTS"
	envAllowedOrigins = "CMDB_ALLOWED_ORIGINS"
	envTLSCert        = "CMDB_TLS_CERT"
	envTLSKey         = "CMDB_TLS_KEY"
	envSessionIdleTTL = "CMDB_SESSION_IDLE_TTL"
	envReadTimeout    = "CMDB_READ_TIMEOUT"
	envWriteTimeout   = "CMDB_WRITE_TIMEOUT"
	envIdleTimeout    = "CMDB_IDLE_TIMEOUT"
	envMaxConnections = "CMDB_MAX_CONNECTIONS"
	envMaxSessions    = "CMDB_MAX_SESSIONS"
)

// httpFlags configure the sse and http transports: where to listen, who
// may call, and TLS. Each falls back to its variable.
type httpFlags struct {
	addr                         string
	authToken, authTokenFile     string
	insecureNoAuth               string
	allowedHosts, allowedOrigins string
	tlsCert, tlsKey              string
	sessionIdleTTL               string
	readTimeout, writeTimeout    string
	idleTimeout                  string
	maxConnections, maxSessions  string
}

func addHTTPFlags(fs *flag.FlagSet) *httpFlags {
	f := &httpFlags{}
	fs.StringVar(&f.addr, "addr", "", "listen address of the sse and http transports, default "+server.DefaultAddr+"; another than loopback needs an auth token or --insecure-no-auth (env "+envAddr+")")
	fs.StringVar(&f.authToken, "auth-token", "", "bearer token HTTP clients must send (at least 16 characters); a flag shows in ps, so prefer the variable or --auth-token-file (env "+envAuthToken+")")
	fs.StringVar(&f.authTokenFile, "auth-token-file", "", "file holding the bearer token (env "+envAuthTokenFile+")")
	fs.Var(boolString{&f.insecureNoAuth}, "insecure-no-auth", "serve an address other than loopback without a token, e.g. behind a proxy that authenticates (env "+envInsecureNoAuth+")")
	fs.StringVar(&f.allowedHosts, "allowed-hosts", "", "comma-separated Host names accepted besides loopback and the listen address (DNS rebinding protection; * accepts any) (env "+envAllowedHosts+")")
	fs.StringVar(&f.allowedOrigins, "allowed-origins", "", "comma-separated browser origins (https://app.example.com) accepted and given CORS headers (env "+envAllowedOrigins+")")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) to serve HTTPS, with --tls-key (env "+envTLSCert+")")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert (env "+envTLSKey+")")
	fs.StringVar(&f.sessionIdleTTL, "session-idle-ttl", "", "end an http session after this long without a request, default "+server.DefaultSessionIdleTTL.String()+" (env "+envSessionIdleTTL+")")
	fs.StringVar(&f.readTimeout, "read-timeout", "", "time a client has to send a whole request, default "+server.DefaultReadTimeout.String()+" (env "+envReadTimeout+")")
	fs.StringVar(&f.writeTimeout, "write-timeout", "", "time an answer may take, the longest apply included, default "+server.DefaultWriteTimeout.String()+" (env "+envWriteTimeout+")")
	fs.StringVar(&f.idleTimeout, "idle-timeout", "", "close a keep-alive connection idle this long, default "+server.DefaultIdleTimeout.String()+" (env "+envIdleTimeout+")")
	fs.StringVar(&f.maxConnections, "max-connections", "", "connections served at once, default "+strconv.Itoa(server.DefaultMaxConnections)+" (env "+envMaxConnections+")")
	fs.StringVar(&f.maxSessions, "max-sessions", "", "http sessions kept at once, about 10 KB each; past it the one idle the longest ends; default "+strconv.Itoa(server.DefaultMaxSessions)+" (env "+envMaxSessions+")")
	return f
}

// resolve turns the flags and variables into server options and checks
// them. Errors never quote the token.
func (f *httpFlags) resolve(e env) (server.HTTPOptions, error) {
	opts := server.HTTPOptions{
		Addr:           envOr(e, f.addr, envAddr),
		AllowedHosts:   splitList(envOr(e, f.allowedHosts, envAllowedHosts)),
		AllowedOrigins: splitList(envOr(e, f.allowedOrigins, envAllowedOrigins)),
		TLSCertFile:    strings.TrimSpace(envOr(e, f.tlsCert, envTLSCert)),
		TLSKeyFile:     strings.TrimSpace(envOr(e, f.tlsKey, envTLSKey)),
	}
	if v := envOr(e, f.insecureNoAuth, envInsecureNoAuth); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return server.HTTPOptions{}, fmt.Errorf("%s=%q: want true or false", envInsecureNoAuth, v)
		}
		opts.InsecureNoAuth = b
	}
	for _, d := range []struct {
		flag, env, value string
		into             *time.Duration
	}{
		{"--session-idle-ttl", envSessionIdleTTL, f.sessionIdleTTL, &opts.SessionIdleTTL},
		{"--read-timeout", envReadTimeout, f.readTimeout, &opts.ReadTimeout},
		{"--write-timeout", envWriteTimeout, f.writeTimeout, &opts.WriteTimeout},
		{"--idle-timeout", envIdleTimeout, f.idleTimeout, &opts.IdleTimeout},
	} {
		v := strings.TrimSpace(envOr(e, d.value, d.env))
		if v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil || dur <= 0 {
			return server.HTTPOptions{}, fmt.Errorf("%s (%s) %q: want a positive duration such as 30s or 1h", d.flag, d.env, v)
		}
		*d.into = dur
	}
	for _, l := range []struct {
		flag, env, value string
		into             *int
	}{
		{"--max-connections", envMaxConnections, f.maxConnections, &opts.MaxConnections},
		{"--max-sessions", envMaxSessions, f.maxSessions, &opts.MaxSessions},
	} {
		v := strings.TrimSpace(envOr(e, l.value, l.env))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return server.HTTPOptions{}, fmt.Errorf("%s (%s) %q: want a positive number", l.flag, l.env, v)
		}
		*l.into = n
	}
	token, err := f.token(e)
	if err != nil {
		return server.HTTPOptions{}, err
	}
	opts.AuthToken = token
	if err := opts.Validate(); err != nil {
		return server.HTTPOptions{}, err
	}
	return opts, nil
}

// token is the bearer token from --auth-token, --auth-token-file or their
// variables. The command line wins over the environment; a token and a
// token file from the same place clash.
func (f *httpFlags) token(e env) (string, error) {
	switch {
	case f.authToken != "" && f.authTokenFile != "":
		return "", errors.New("both --auth-token and --auth-token-file are given: pass one (the file keeps the token out of ps)")
	case f.authToken != "":
		return strings.TrimSpace(f.authToken), nil
	case f.authTokenFile != "":
		return readTokenFile("--auth-token-file", f.authTokenFile)
	}
	token, file := e.getenv(envAuthToken), e.getenv(envAuthTokenFile)
	switch {
	case token != "" && file != "":
		return "", fmt.Errorf("both %s and %s are set: unset one of them", envAuthToken, envAuthTokenFile)
	case file != "":
		return readTokenFile(envAuthTokenFile, file)
	}
	return strings.TrimSpace(token), nil
}

// readTokenFile reads a token file. The error leaves the path out: someone
// who put the token itself where the path goes would see it otherwise.
func readTokenFile(source, path string) (string, error) {
	b, err := os.ReadFile(strings.TrimSpace(path))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s: cannot read the token file: %w", source, err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("%s: the token file is empty", source)
	}
	warnIfExposed(source, path)
	return token, nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
