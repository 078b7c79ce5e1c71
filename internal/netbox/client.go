// Package netbox is cmdb-mcp's NetBox client, for NetBox 4.3 to 4.6, with
// our own domain types (types.go) at the border.
//
// Typed reads and writes go through one JSON path (jsonapi.go) into
// private wire types that read any of those releases (version.go says how
// the client adapts); only /api/status/ still goes through go-netbox
// v4.3.0, whose strict 4.3 models fail on newer answers, and which cannot
// express bulk creates or bulk updates with ids anyway. Both share one
// http.Client, authentication and error handling.
package netbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// Client talks to one NetBox instance. It is safe for concurrent use.
//
// Every field is a pointer so that printing a Client with fmt shows
// addresses, never the token held by the transport.
type Client struct {
	base   *url.URL
	http   *http.Client
	api    *gonetbox.APIClient
	redact *Redactor     // removes the token's parts from everything NetBox answers (redact.go)
	retry  *retryPolicy  // retry.go
	ver    *versionState // version.go: what NetBox release this is, ETags
}

// Option changes how New builds a Client.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger makes the client debug-log each request's method, path, query,
// status, duration and X-Request-ID. Headers and bodies are never logged.
// Without it (or with nil) the client logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// New validates cfg and builds a client. It does not contact NetBox; call
// Status to check the URL and token.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	base, err := parseBaseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pool, err := loadCAFile(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}
	if cfg.InsecureSkipVerify && base.Scheme == "https" {
		o.logger.Warn("TLS certificate verification is off for NetBox", "url", base.String(), "setting", EnvInsecureSkipVerify)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig

	// The timeout bounds each attempt, not the retries together
	// (retryTransport, retry.go).
	retry := newRetryPolicy(cfg, o.logger)
	httpClient := &http.Client{
		Transport: &retryTransport{policy: retry, next: &authTransport{
			next:          transport,
			scheme:        base.Scheme,
			host:          base.Host,
			authorization: authorization(cfg.Token),
			userAgent:     cfg.UserAgent,
			log:           o.logger,
		}},
	}

	gcfg := gonetbox.NewConfiguration()
	gcfg.Servers = gonetbox.ServerConfigurations{{URL: base.String(), Description: "NetBox"}}
	gcfg.HTTPClient = httpClient
	gcfg.UserAgent = cfg.UserAgent
	gcfg.Debug = false // go-netbox's debug mode dumps requests, Authorization header included

	return &Client{
		base:   base,
		http:   httpClient,
		api:    gonetbox.NewAPIClient(gcfg),
		redact: NewRedactor(cfg.Token),
		retry:  retry,
		ver:    newVersionState(),
	}, nil
}

// loadCAFile adds the PEM certificates in path to the system roots, so that
// a private CA does not stop public ones from working (a proxy, say).
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvCAFile, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s=%s holds no PEM certificate: point it at the CA bundle that signed NetBox's certificate", EnvCAFile, path)
	}
	return pool, nil
}

// authTransport adds the Authorization header, and logs. Both go-netbox and
// the JSON path go through it, so the two paths cannot drift apart.
type authTransport struct {
	next          http.RoundTripper
	scheme, host  string
	authorization string
	userAgent     string
	log           *slog.Logger
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	// Only NetBox itself gets the token: a redirect to another host, or
	// from https to http, must not carry it.
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		r.Header.Set("Authorization", t.authorization)
	} else {
		r.Header.Del("Authorization")
	}
	r.Header.Set("User-Agent", t.userAgent)
	// NetBox translates its messages; English ones are what kindForStatus
	// recognises.
	r.Header.Set("Accept-Language", "en")

	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if t.log.Enabled(req.Context(), slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("query", req.URL.RawQuery),
			slog.Duration("duration", time.Since(start)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
			if id := resp.Header.Get("X-Request-ID"); id != "" {
				attrs = append(attrs, slog.String("request_id", id))
			}
		}
		t.log.LogAttrs(req.Context(), slog.LevelDebug, "netbox request", attrs...)
	}
	return resp, err
}

// BaseURL is NetBox's base URL without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// WebURL is the address of an object's page in NetBox's web UI:
// WebURL("dcim/devices", 7) is <base>/dcim/devices/7/.
func (c *Client) WebURL(kind string, id int64) string {
	return fmt.Sprintf("%s/%s/%d/", c.BaseURL(), strings.Trim(kind, "/"), id)
}

// Status reads /api/status/. It is the cheapest call that checks both the
// URL and the token (NetBox requires a token for it).
func (c *Client) Status(ctx context.Context) (Status, error) {
	const path = "/api/status/"
	m, resp, err := c.api.StatusAPI.StatusRetrieve(ctx).Execute()
	if err != nil {
		return Status{}, c.apiError(http.MethodGet, path, resp, err)
	}
	v, ok := m["netbox-version"].(string)
	if !ok {
		return Status{}, c.newError(&Error{
			Kind: KindDecode, Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode,
			Message:   fmt.Sprintf("the status response has no netbox-version: check that %s is NetBox's base URL", EnvURL),
			RequestID: resp.Header.Get("X-Request-ID"),
		})
	}
	c.ver.recordStatus(v) // version.go
	return Status{NetBoxVersion: v}, nil
}

// apiError turns what a go-netbox call returned into an *Error. go-netbox
// returns a *GenericOpenAPIError carrying the body both for error statuses
// and for success bodies it failed to decode; transport failures come back
// as they are, without a response.
func (c *Client) apiError(method, path string, resp *http.Response, err error) error {
	if err == nil {
		return nil
	}
	var gerr *gonetbox.GenericOpenAPIError
	if resp == nil || !errors.As(err, &gerr) {
		return c.transportError(method, path, err)
	}
	if resp.StatusCode >= 300 {
		return c.statusError(method, path, resp, gerr.Body())
	}
	return c.newError(&Error{
		Kind: KindDecode, Method: method, Path: path, StatusCode: resp.StatusCode,
		Message:   decodeMessage(resp, err),
		RequestID: resp.Header.Get("X-Request-ID"),
		err:       err,
	})
}

// statusError classifies an error status, keeping NetBox's message.
func (c *Client) statusError(method, path string, resp *http.Response, body []byte) error {
	msg, fields, exception := parseErrorBody(body)
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	kind := kindForStatus(resp.StatusCode, msg)
	if kind == KindNotFound && resp.Header.Get("API-Version") == "" {
		// NetBox sends API-Version with every API answer, its 404s
		// included (netbox/middleware.py); a 404 without it comes from
		// something else at that URL: a web server, a proxy's other site,
		// NetBox under a path NETBOX_URL lacks. Advice about a missing
		// object would send the user looking for the wrong thing.
		kind = KindNotNetBox
		msg = "no NetBox API here (a 404 without NetBox's API-Version header): " + msg
		fields = nil
	}
	return c.newError(&Error{
		Kind:       kind,
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		Message:    msg,
		Fields:     fields,
		Exception:  exception,
		RequestID:  resp.Header.Get("X-Request-ID"),
		retryAfter: retryAfter(resp.Header, time.Now()),
	})
}

// transportError is a request that got no response. Failures to build a
// request are bugs and stay plain errors.
func (c *Client) transportError(method, path string, err error) error {
	var uerr *url.Error
	switch {
	case errors.As(err, &uerr):
		// url.Error repeats method and URL, which Error already shows.
		return c.newError(&Error{Kind: KindNetwork, Method: method, Path: path, Message: uerr.Err.Error(), err: err})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return c.newError(&Error{Kind: KindNetwork, Method: method, Path: path, Message: err.Error(), err: err})
	default:
		return fmt.Errorf("netbox: %s %s: %w", method, path, err)
	}
}

// newError removes the token's parts from anything NetBox or the transport
// echoed (NetBox does not echo it, but a proxy's or Django's debug error
// page might), and makes what NetBox said one bounded line of text: it is
// data, which errors show to people, models and logs.
func (c *Client) newError(e *Error) *Error {
	e.Message = untrusted.Message(c.redact.String(e.Message))
	e.RequestID = untrusted.Text(c.redact.String(e.RequestID))
	if e.Fields != nil {
		fields := make(map[string][]string, len(e.Fields))
		for k, msgs := range e.Fields {
			clean := make([]string, len(msgs))
			for i, m := range msgs {
				clean[i] = untrusted.Text(c.redact.String(m))
			}
			k = untrusted.Text(c.redact.String(k))
			fields[k] = append(fields[k], clean...)
		}
		e.Fields = fields
	}
	return e
}
