package netbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastRetries keeps the retry policy but makes its waits tiny, for tests.
func fastRetries(cfg Config) Config {
	cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Millisecond, 4*time.Millisecond
	return cfg
}

// flaky answers the first failures requests with fail, then with ok.
// It counts them in n, not the client's /api/status/ reads (version.go),
// which it answers as NetBox 4.3.
func flaky(failures int, fail, ok http.HandlerFunc) (h http.HandlerFunc, n *atomic.Int32) {
	n = new(atomic.Int32)
	return answerStatus(func(w http.ResponseWriter, r *http.Request) {
		if int(n.Add(1)) <= failures {
			fail(w, r)
			return
		}
		ok(w, r)
	}), n
}

// answerStatus answers /api/status/ as NetBox 4.3 and passes the rest to h.
func answerStatus(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/status/" {
			writeJSON(w, http.StatusOK, map[string]any{"netbox-version": "4.3.7"})
			return
		}
		h(w, r)
	}
}

// withoutStatus leaves out the client's /api/status/ reads.
func withoutStatus(reqs []recorded) []recorded {
	var out []recorded
	for _, r := range reqs {
		if r.Path != "/api/status/" {
			out = append(out, r)
		}
	}
	return out
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func platformsOK(w http.ResponseWriter, r *http.Request) {
	listResponse(w, r, []map[string]any{platformJSON(1)}, 1000)
}

func TestRetryIdempotentOnTransientStatus(t *testing.T) {
	for _, code := range []int{429, 502, 503, 504} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h, n := flaky(2, status(code, "busy"), platformsOK)
			c := newTestClient(t, newFake(t, h))
			got, err := c.listPlatforms(context.Background())
			require.NoError(t, err)
			assert.Len(t, got, 1)
			assert.EqualValues(t, 3, n.Load(), "two failures, then the answer")
		})
	}
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	for _, code := range []int{400, 403, 404, 409, 500} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			h, n := flaky(1, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, code, map[string]any{"detail": "no"})
			}, platformsOK)
			_, err := newTestClient(t, newFake(t, h)).listPlatforms(context.Background())
			require.Error(t, err)
			assert.EqualValues(t, 1, n.Load())
		})
	}
}

// TestRetryPATCHResendsTheBody: the go-netbox PATCH is sent again whole.
func TestRetryPATCHResendsTheBody(t *testing.T) {
	h, n := flaky(1, status(503, ""), func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, deviceJSON(7, "web01", 1, "DC1"))
	})
	f := newFake(t, h)
	s := "active"
	_, err := newTestClient(t, f).UpdateDevice(context.Background(), 7, DeviceUpdate{Status: &s}, WriteOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Load())
	reqs := withoutStatus(f.requests())
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].Body, reqs[1].Body)
	assert.JSONEq(t, `{"status": "active"}`, reqs[1].Body)
}

// TestRetryGivesUp: MaxRetries bounds the attempts, and the error is the
// last answer with NetBox's (here the proxy's) message.
func TestRetryGivesUp(t *testing.T) {
	h, n := flaky(100, status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"), platformsOK)
	f := newFake(t, h)
	c, err := New(fastRetries(Config{URL: f.URL, Token: testToken, MaxRetries: 2}))
	require.NoError(t, err)
	_, err = c.listPlatforms(context.Background())
	require.Error(t, err)
	assert.EqualValues(t, 3, n.Load())
	assert.EqualError(t, err, "netbox: GET /api/dcim/platforms/: server: 502 Bad Gateway")

	n.Store(0)
	off, err := New(fastRetries(Config{URL: f.URL, Token: testToken, MaxRetries: -1}))
	require.NoError(t, err)
	_, err = off.listPlatforms(context.Background())
	require.Error(t, err)
	assert.EqualValues(t, 1, n.Load(), "negative MaxRetries: no retries")
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	h, n := flaky(1, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, 429, map[string]any{"detail": "Request was throttled. Expected available in 1 second."})
	}, platformsOK)
	c := newTestClient(t, newFake(t, h))
	start := time.Now()
	_, err := c.listPlatforms(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, n.Load())
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "the backoff is 1-4ms; Retry-After asks 1s")
}

// TestRetryDeadline: a Retry-After beyond the deadline is not waited for.
func TestRetryDeadline(t *testing.T) {
	h, n := flaky(100, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, 429, map[string]any{"detail": "Request was throttled. Expected available in 30 seconds."})
	}, platformsOK)
	f := newFake(t, h)
	c, err := New(fastRetries(Config{URL: f.URL, Token: testToken, RetryDeadline: 2 * time.Second}))
	require.NoError(t, err)
	start := time.Now()
	_, err = c.listPlatforms(context.Background())
	require.Error(t, err)
	assert.True(t, IsKind(err, KindRateLimited), "%v", err)
	assert.Contains(t, err.Error(), "Expected available in 30 seconds.")
	assert.EqualValues(t, 1, n.Load())
	// It did not sit out the 30 seconds; the margin is for loaded machines.
	assert.Less(t, time.Since(start), 15*time.Second)
}

// TestRetryTimeoutAndConnectionLoss: a GET that gets no answer in time, a
// reset connection, or a body cut short is sent again.
func TestRetryTimeoutAndConnectionLoss(t *testing.T) {
	tests := []struct {
		name string
		fail http.HandlerFunc
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{"reset", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}},
		{"closed", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"count": 1, "results": [`)
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := flaky(2, tt.fail, platformsOK)
			f := newFake(t, h)
			c, err := New(fastRetries(Config{URL: f.URL, Token: testToken, Timeout: 100 * time.Millisecond}))
			require.NoError(t, err)
			got, err := c.listPlatforms(context.Background())
			require.NoError(t, err)
			assert.Len(t, got, 1)
			assert.EqualValues(t, 3, n.Load())

			n.Store(-100) // fail from now on
			_, err = c.listPlatforms(context.Background())
			require.Error(t, err)
			assert.True(t, IsKind(err, KindNetwork), "%v", err)
			assert.Contains(t, err.Error(), "(5 attempts in ", "%v", err)
			if tt.name == "timeout" {
				assert.Contains(t, err.Error(), "timeout: no answer within 100ms")
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}
		})
	}
}

// TestNoRetryAfterCallerGaveUp: a cancelled context ends the retries and
// the wait between them.
func TestNoRetryAfterCallerGaveUp(t *testing.T) {
	h, n := flaky(100, status(503, ""), platformsOK)
	f := newFake(t, h)
	c, err := New(Config{URL: f.URL, Token: testToken, RetryBaseDelay: time.Hour, RetryMaxDelay: time.Hour, RetryDeadline: 10 * time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.listPlatforms(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, n.Load())
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestJournalEntryNeverResent: a journal entry without a sync's marker line
// has no natural key; a lost answer is reported, never sent twice. (A
// sync's entry is found by its marker: TestCreateUnderFaults.)
func TestJournalEntryNeverResent(t *testing.T) {
	for _, fail := range []http.HandlerFunc{status(503, ""), status(429, ""), func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }} {
		h, n := flaky(1, fail, func(w http.ResponseWriter, r *http.Request) { t.Error("sent twice") })
		_, err := newTestClient(t, newFake(t, h)).CreateJournalEntry(context.Background(), JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: 7, Comments: "x"}, WriteOptions{})
		require.Error(t, err)
		assert.EqualValues(t, 1, n.Load())
	}
}

func TestBackoff(t *testing.T) {
	p := newRetryPolicy(Config{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second, MaxRetries: 10, RetryDeadline: time.Hour}, nil)
	start := time.Now()
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		want *= time.Millisecond
		for range 20 {
			w, ok := p.wait(attempt, 0, start)
			require.True(t, ok)
			assert.GreaterOrEqual(t, w, want/2, "attempt %d", attempt)
			assert.LessOrEqual(t, w, want, "attempt %d", attempt)
		}
	}
	w, ok := p.wait(0, 3*time.Second, start)
	assert.True(t, ok)
	assert.Equal(t, 3*time.Second, w, "Retry-After wins over a shorter backoff")
	_, ok = p.wait(10, 0, start)
	assert.False(t, ok, "MaxRetries reached")
	_, ok = p.wait(0, 2*time.Hour, start)
	assert.False(t, ok, "past the deadline")

	d := newRetryPolicy(Config{}, nil)
	assert.Equal(t, DefaultMaxRetries, d.maxRetries)
	assert.Equal(t, DefaultRetryDeadline, d.deadline)
	assert.Equal(t, DefaultRetryBaseDelay, d.base)
	assert.Equal(t, DefaultRetryMaxDelay, d.limit)
	assert.Equal(t, DefaultTimeout, d.timeout)
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Thu, 02 Jan 2025 03:04:15 GMT": 10 * time.Second,
		"Thu, 02 Jan 2025 03:00:00 GMT": 0,
	} {
		assert.Equal(t, want, retryAfter(http.Header{"Retry-After": {v}}, now), v)
	}
}

func TestRetryConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := ConfigFromEnv(env(map[string]string{EnvMaxRetries: "0", EnvRetryDeadline: "90s"}))
	require.NoError(t, err)
	assert.Equal(t, -1, cfg.MaxRetries, "0 turns retries off")
	assert.Equal(t, 90*time.Second, cfg.RetryDeadline)
	assert.Equal(t, 0, newRetryPolicy(cfg, nil).maxRetries)

	cfg, err = ConfigFromEnv(env(map[string]string{EnvMaxRetries: "7"}))
	require.NoError(t, err)
	assert.Equal(t, 7, cfg.MaxRetries)

	_, err = ConfigFromEnv(env(map[string]string{EnvMaxRetries: "-2", EnvRetryDeadline: "0s"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvMaxRetries)
	assert.Contains(t, err.Error(), EnvRetryDeadline)

	err = Config{URL: "https://nb", Token: testToken, RetryDeadline: -time.Second}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), EnvRetryDeadline)
}

func TestRetryCause(t *testing.T) {
	assert.Equal(t, "timeout", retryCause(&attemptTimeout{d: time.Second}))
	assert.Equal(t, "connection closed before the answer", retryCause(fmt.Errorf("x: %w", io.ErrUnexpectedEOF)))
	assert.Empty(t, retryCause(errors.New("x509: certificate signed by unknown authority")))
	assert.Empty(t, retryCause(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	assert.True(t, strings.HasPrefix((&attemptsError{err: io.EOF, attempts: 3, elapsed: time.Second}).Error(), "EOF (3 attempts in 1s)"))
}
