package netbox

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ConfigFromEnv. Validation errors name them so
// that the message says what to change.
const (
	EnvURL                = "NETBOX_URL"
	EnvToken              = "NETBOX_TOKEN"
	EnvTokenFile          = "NETBOX_TOKEN_FILE"
	EnvCAFile             = "NETBOX_CA_FILE"
	EnvInsecureSkipVerify = "NETBOX_INSECURE_SKIP_VERIFY"
	EnvTimeout            = "NETBOX_TIMEOUT"
)

// DefaultTimeout bounds every request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "cmdb-mcp"

const redacted = "[REDACTED]"

// Config says how to reach one NetBox instance.
//
// Token is a secret. Config's String, GoString and LogValue redact it and it
// is left out of JSON, but a Config stored in an unexported field of another
// struct is printed by fmt without calling those methods: keep it in an
// exported field or behind a pointer.
type Config struct {
	// URL is NetBox's base URL, without /api: https://netbox.example.com
	// (or https://example.com/netbox when NetBox is served under a path).
	URL string `json:"url"`
	// Token is a v1 token (40 hex characters) or a v2 token (nbt_<key>.<secret>).
	Token string `json:"-"`
	// CAFile is a PEM bundle added to the system roots.
	CAFile string `json:"ca_file,omitempty"`
	// InsecureSkipVerify turns TLS certificate verification off.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// Timeout bounds each request, reading the body included. Zero means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string `json:"user_agent,omitempty"`

	// Retries (retry.go). MaxRetries is how often a failed request may be
	// sent again: 0 means DefaultMaxRetries, negative means never.
	MaxRetries int `json:"max_retries,omitempty"`
	// RetryDeadline: no retry starts later than this after the first
	// attempt. Zero means DefaultRetryDeadline.
	RetryDeadline time.Duration `json:"retry_deadline,omitempty"`
	// RetryBaseDelay and RetryMaxDelay bound the exponential backoff;
	// zero means DefaultRetryBaseDelay and DefaultRetryMaxDelay.
	RetryBaseDelay time.Duration `json:"retry_base_delay,omitempty"`
	RetryMaxDelay  time.Duration `json:"retry_max_delay,omitempty"`
}

// ConfigFromEnv reads the NETBOX_* variables through getenv (os.Getenv in
// production, a map in tests). It reports every malformed variable at once
// but does not require any: New validates the result, so flags may fill in
// what the environment left out.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		URL:     strings.TrimSpace(getenv(EnvURL)),
		CAFile:  strings.TrimSpace(getenv(EnvCAFile)),
		Timeout: DefaultTimeout,
	}
	var errs []error

	token := strings.TrimSpace(getenv(EnvToken))
	tokenFile := strings.TrimSpace(getenv(EnvTokenFile))
	switch {
	case token != "" && tokenFile != "":
		errs = append(errs, fmt.Errorf("both %s and %s are set: unset one of them (%s is preferred, it keeps the token out of the process environment)", EnvToken, EnvTokenFile, EnvTokenFile))
	case tokenFile != "":
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			// Leave the path out: someone who put the token itself in
			// NETBOX_TOKEN_FILE would otherwise see it in the error.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			errs = append(errs, fmt.Errorf("%s: cannot read the token file: %w (the variable holds the path of a file containing the token)", EnvTokenFile, err))
			break
		}
		cfg.Token = strings.TrimSpace(string(b))
		if cfg.Token == "" {
			errs = append(errs, fmt.Errorf("%s: %s is empty: put the NetBox API token in it", EnvTokenFile, tokenFile))
		}
	default:
		cfg.Token = token
	}

	if v := strings.TrimSpace(getenv(EnvInsecureSkipVerify)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a boolean: use true or false", EnvInsecureSkipVerify, v))
		}
		cfg.InsecureSkipVerify = b
	}

	if v := strings.TrimSpace(getenv(EnvTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q is not a duration: use a Go duration such as 30s or 2m", EnvTimeout, v))
		case d <= 0:
			errs = append(errs, fmt.Errorf("%s=%q must be positive, e.g. 30s", EnvTimeout, v))
		default:
			cfg.Timeout = d
		}
	}

	errs = append(errs, retryFromEnv(getenv, &cfg)...) // retry.go
	return cfg, errors.Join(errs...)
}

// Validate reports what is missing or malformed, naming the variable to fix.
// It never quotes the token.
func (c Config) Validate() error {
	var errs []error
	if _, err := parseBaseURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.Token == "":
		errs = append(errs, fmt.Errorf("no NetBox API token: set %s or %s", EnvToken, EnvTokenFile))
	case strings.ContainsFunc(c.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		errs = append(errs, fmt.Errorf("the NetBox API token contains whitespace or control characters: check %s or %s", EnvToken, EnvTokenFile))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative: set %s to a positive duration such as 30s", c.Timeout, EnvTimeout))
	}
	errs = append(errs, c.validateRetry()...) // retry.go
	err := errors.Join(errs...)
	if err != nil && c.Token != "" {
		// The token pasted into NETBOX_URL, say.
		if msg := NewRedactor(c.Token).String(err.Error()); msg != err.Error() {
			return errors.New(msg)
		}
	}
	return err
}

// parseBaseURL checks NETBOX_URL and returns it without a trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("no NetBox URL: set %s, e.g. https://netbox.example.com", EnvURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, credentials included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s is not a URL: %v", EnvURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s=%q: the scheme must be https or http, e.g. https://netbox.example.com", EnvURL, u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s=%q has no host: use e.g. https://netbox.example.com", EnvURL, u.Redacted())
	}
	if u.User != nil {
		// Credentials in the URL would end up in logs and error messages.
		return nil, fmt.Errorf("%s=%q contains credentials: remove them and put the token in %s or %s", EnvURL, u.Redacted(), EnvToken, EnvTokenFile)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s=%q: remove the query and fragment, it must be NetBox's base URL", EnvURL, u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if strings.HasSuffix(u.Path, "/api") {
		return nil, fmt.Errorf("%s=%q ends in /api: set it to NetBox's base URL, %s", EnvURL, u.Redacted(), strings.TrimSuffix(u.String(), "/api"))
	}
	return u, nil
}

// String describes the configuration with the token redacted.
func (c Config) String() string {
	return fmt.Sprintf("netbox.Config{URL: %q, Token: %s, CAFile: %q, InsecureSkipVerify: %t, Timeout: %s, UserAgent: %q}",
		displayURL(c.URL), c.redactedToken(), c.CAFile, c.InsecureSkipVerify, c.Timeout, c.UserAgent)
}

// GoString makes %#v redact the token too.
func (c Config) GoString() string { return c.String() }

// LogValue makes slog redact the token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", displayURL(c.URL)),
		slog.String("token", c.redactedToken()),
		slog.String("ca_file", c.CAFile),
		slog.Bool("insecure_skip_verify", c.InsecureSkipVerify),
		slog.Duration("timeout", c.Timeout),
		slog.String("user_agent", c.UserAgent),
	)
}

// displayURL hides a password someone put in the URL despite Validate.
func displayURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// redactedToken says whether a token is set without showing any of it.
func (c Config) redactedToken() string {
	if c.Token == "" {
		return `""`
	}
	return redacted
}

// tokenVersion says which NetBox token scheme the token belongs to. The
// nbt_ prefix, not a keyword the user picks, decides (netbox/api/authentication.py).
func tokenVersion(token string) int {
	if strings.HasPrefix(token, "nbt_") {
		return 2
	}
	return 1
}

// authorization is the Authorization header value for token.
func authorization(token string) string {
	if tokenVersion(token) == 2 {
		return "Bearer " + token
	}
	return "Token " + token
}
