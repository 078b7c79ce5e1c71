package netbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Retries.
//
// A request that fails in a way that says nothing about the request itself
// (429, 502, 503, 504, a timeout, a connection reset or closed before the
// answer) is worth sending again, if sending it twice is harmless:
//
//   - GET, HEAD, OPTIONS, PUT and PATCH are retried by retryTransport, below
//     go-netbox and the JSON path alike. A PATCH sets values; sending it twice
//     sets them twice.
//   - POST is never retried blindly: the first attempt may have created the
//     objects before the answer was lost. Creates are checked first and only
//     what is missing is sent again (create_check.go). Journal entries,
//     which have no natural key, are never sent twice.
//   - DELETE is not retried (the sync never deletes).
//
// Waits grow exponentially from RetryBaseDelay up to RetryMaxDelay with
// jitter (half the delay fixed, half random), and are at least what a
// Retry-After header asks. No retry starts later than RetryDeadline after
// the first attempt: a wait that would end after it is not made, and the
// last failure is returned. Every attempt has its own Timeout.

// Environment variables for retries, read by ConfigFromEnv.
const (
	EnvMaxRetries    = "NETBOX_MAX_RETRIES"
	EnvRetryDeadline = "NETBOX_RETRY_DEADLINE"
)

// Retry defaults, used where the Config field is zero.
const (
	DefaultMaxRetries     = 4
	DefaultRetryDeadline  = time.Minute
	DefaultRetryBaseDelay = 500 * time.Millisecond
	DefaultRetryMaxDelay  = 10 * time.Second
)

// retryPolicy is the Config's retry settings with the defaults filled in.
type retryPolicy struct {
	maxRetries  int           // 0: no retries
	deadline    time.Duration // no retry starts later than this after the first attempt
	base, limit time.Duration // backoff
	timeout     time.Duration // per attempt
	log         *slog.Logger
}

func newRetryPolicy(cfg Config, log *slog.Logger) *retryPolicy {
	p := &retryPolicy{
		maxRetries: cfg.MaxRetries, deadline: cfg.RetryDeadline,
		base: cfg.RetryBaseDelay, limit: cfg.RetryMaxDelay, timeout: cfg.Timeout, log: log,
	}
	switch {
	case p.maxRetries == 0:
		p.maxRetries = DefaultMaxRetries
	case p.maxRetries < 0:
		p.maxRetries = 0
	}
	if p.deadline == 0 {
		p.deadline = DefaultRetryDeadline
	}
	if p.base == 0 {
		p.base = DefaultRetryBaseDelay
	}
	if p.limit == 0 {
		p.limit = max(DefaultRetryMaxDelay, p.base)
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
	return p
}

// wait is how long to wait before retry number attempt+1 (attempt counts
// from 0), at least retryAfter. ok is false when no retry is left or the
// wait would end past the deadline counted from start.
func (p *retryPolicy) wait(attempt int, retryAfter time.Duration, start time.Time) (time.Duration, bool) {
	if attempt >= p.maxRetries {
		return 0, false
	}
	d := p.base
	for range attempt {
		if d >= p.limit/2 {
			d = p.limit
			break
		}
		d *= 2
	}
	d = min(d, p.limit)
	half := d / 2
	w := half
	if half > 0 {
		w += rand.N(half + 1)
	}
	w = max(w, retryAfter)
	if time.Since(start)+w > p.deadline {
		return 0, false
	}
	return w, true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retriedMethod reports whether the transport may send method again.
func retriedMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// retryStatus reports whether a status is worth a retry: a rate limit, or
// a proxy that could not reach NetBox or got no answer in time.
func retryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryCause says why a transport error is worth a retry, "" when it is
// not. A cancelled or expired caller context is checked by the caller.
func retryCause(err error) string {
	var te *attemptTimeout
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &te):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the answer"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return ""
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// attemptTimeout is one attempt that got no complete answer within
// Config.Timeout.
type attemptTimeout struct{ d time.Duration }

func (e *attemptTimeout) Error() string   { return fmt.Sprintf("timeout: no answer within %s", e.d) }
func (e *attemptTimeout) Timeout() bool   { return true }
func (e *attemptTimeout) Temporary() bool { return true }
func (e *attemptTimeout) Unwrap() error   { return context.DeadlineExceeded }

// attemptsError is the last transport error of several attempts.
type attemptsError struct {
	err      error
	attempts int
	elapsed  time.Duration
}

func (e *attemptsError) Error() string {
	return fmt.Sprintf("%v (%d attempts in %s)", e.err, e.attempts, e.elapsed.Round(time.Millisecond))
}
func (e *attemptsError) Unwrap() error { return e.err }

// retryTransport bounds every attempt by the timeout, reads each answer
// whole (so that a connection lost while reading the body is a failed
// attempt like any other), and retries the methods retriedMethod allows.
type retryTransport struct {
	next   http.RoundTripper
	policy *retryPolicy
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	retry := retriedMethod(req.Method) && (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.attempt(r)
		if !retry || ctx.Err() != nil {
			return resp, err
		}
		var why string
		var after time.Duration
		if err != nil {
			why = retryCause(err)
		} else if retryStatus(resp.StatusCode) {
			why = "HTTP " + strconv.Itoa(resp.StatusCode)
			after = retryAfter(resp.Header, time.Now())
		}
		if why == "" {
			return resp, err
		}
		wait, ok := t.policy.wait(attempt, after, start)
		if !ok {
			if err != nil && attempt > 0 {
				err = &attemptsError{err: err, attempts: attempt + 1, elapsed: time.Since(start)}
			}
			return resp, err
		}
		if t.policy.log.Enabled(ctx, slog.LevelDebug) {
			t.policy.log.LogAttrs(ctx, slog.LevelDebug, "netbox retry",
				slog.String("method", req.Method), slog.String("path", req.URL.Path),
				slog.String("reason", why), slog.Int("attempt", attempt+1), slog.Duration("wait", wait))
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends r once within the timeout and reads the whole answer.
func (t *retryTransport) attempt(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), t.policy.timeout)
	defer cancel()
	timedOut := func(err error) error {
		if ctx.Err() == context.DeadlineExceeded && r.Context().Err() == nil {
			return &attemptTimeout{d: t.policy.timeout}
		}
		return err
	}
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		return nil, timedOut(err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s: %w", r.Method, timedOut(err))
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

// retryFromEnv reads NETBOX_MAX_RETRIES and NETBOX_RETRY_DEADLINE into
// cfg. NETBOX_MAX_RETRIES=0 turns retries off.
func retryFromEnv(getenv func(string) string, cfg *Config) []error {
	var errs []error
	if v := strings.TrimSpace(getenv(EnvMaxRetries)); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 0:
			errs = append(errs, fmt.Errorf("%s=%q is not a count: use 0 (no retries) or more, e.g. %d", EnvMaxRetries, v, DefaultMaxRetries))
		case n == 0:
			cfg.MaxRetries = -1
		default:
			cfg.MaxRetries = n
		}
	}
	if v := strings.TrimSpace(getenv(EnvRetryDeadline)); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q is not a duration: use a Go duration such as 1m", EnvRetryDeadline, v))
		case d <= 0:
			errs = append(errs, fmt.Errorf("%s=%q must be positive, e.g. 1m", EnvRetryDeadline, v))
		default:
			cfg.RetryDeadline = d
		}
	}
	return errs
}

// validateRetry checks the retry fields of a Config.
func (c Config) validateRetry() []error {
	var errs []error
	if c.RetryDeadline < 0 {
		errs = append(errs, fmt.Errorf("retry deadline %s is negative: set %s to a positive duration such as 1m", c.RetryDeadline, EnvRetryDeadline))
	}
	if c.RetryBaseDelay < 0 || c.RetryMaxDelay < 0 {
		errs = append(errs, errors.New("retry delays must not be negative"))
	}
	return errs
}
