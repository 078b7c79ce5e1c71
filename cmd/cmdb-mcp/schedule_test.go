package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// summaries parses apply --json's stdout: one JSON object per line, and
// nothing else.
func summaries(t *testing.T, stdout string) []syncSummary {
	t.Helper()
	var out []syncSummary
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var s syncSummary
		require.NoError(t, dec.Decode(&s), "line %q", sc.Text())
		out = append(out, s)
	}
	return out
}

// fakeClock runs a schedule without waiting: sleeping moves its time on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	// onSleep, when set, runs at each sleep with the sleeps so far.
	onSleep func(n int)
}

func (c *fakeClock) install(e *env) {
	e.now = func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.t
	}
	e.sleep = func(ctx context.Context, d time.Duration) error {
		c.mu.Lock()
		c.sleeps = append(c.sleeps, d)
		n := len(c.sleeps)
		c.mu.Unlock()
		if c.onSleep != nil {
			c.onSleep(n)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
		c.t = c.t.Add(d)
		c.mu.Unlock()
		return nil
	}
}

func TestApplyJSON(t *testing.T) {
	srv, id := staleDevice(t)
	vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}
	apply := func(t *testing.T, vars map[string]string, terminal bool, answer string, args ...string) (int, []syncSummary, *testEnv) {
		t.Helper()
		te := newTestEnv(vars, terminal, answer)
		code := run(context.Background(), append([]string{"apply", "--json"}, args...), te.env)
		got := summaries(t, te.out.String())
		require.Len(t, got, 1, "one line on stdout:\n%s\nstderr:\n%s", te.out, te.errOut)
		assert.NotContains(t, te.out.String()+te.errOut.String(), srv.Token)
		return code, got, te
	}

	t.Run("drift is applied", func(t *testing.T) {
		code, got, te := apply(t, vars, false, "", "--yes", "--hostname", "stale01")
		assert.Equal(t, exitOK, code, te.errOut.String())
		s := got[0]
		assert.True(t, s.OK)
		assert.False(t, s.InSync)
		assert.Equal(t, "stale01", s.Hostname)
		assert.Equal(t, "stale01", s.Device)
		assert.Equal(t, id, s.DeviceID)
		assert.Positive(t, s.Changes)
		assert.Equal(t, s.Changes, s.Applied)
		assert.Zero(t, s.Failed)
		assert.Zero(t, s.Skipped)
		assert.Positive(t, s.JournalEntryID)
		assert.NotEmpty(t, s.PlanID)
		assert.Empty(t, s.Error)
		assert.GreaterOrEqual(t, s.DurationMS, int64(0))
		assert.WithinDuration(t, time.Now(), s.Time, time.Hour)
		assert.Equal(t, "active", deviceStatus(t, srv, id))
		assert.NotContains(t, te.errOut.String(), "[1/", "no progress lines with --json")
	})

	t.Run("in sync writes nothing", func(t *testing.T) {
		before := len(srv.Sim.Requests())
		code, got, te := apply(t, vars, false, "", "--yes", "--hostname", "stale01")
		assert.Equal(t, exitOK, code, te.errOut.String())
		s := got[0]
		assert.True(t, s.OK)
		assert.True(t, s.InSync)
		assert.Zero(t, s.Changes)
		assert.Zero(t, s.JournalEntryID)
		for _, r := range srv.Sim.Requests()[before:] {
			assert.Equal(t, http.MethodGet, r.Method, r.Path)
		}
	})

	t.Run("in sync a day later journals that, once", func(t *testing.T) {
		var list struct{ Results []struct{ ID int64 } }
		st, body := srv.Do(t, http.MethodGet, "/api/extras/journal-entries/?limit=1000", nil)
		require.Equal(t, http.StatusOK, st, string(body))
		require.NoError(t, json.Unmarshal(body, &list))
		var ids []int64
		for _, e := range list.Results {
			ids = append(ids, e.ID)
		}
		require.NoError(t, srv.Sim.Backdate("extras/journal-entries", 25*time.Hour, ids...))

		code, got, te := apply(t, vars, false, "", "--yes", "--hostname", "stale01")
		assert.Equal(t, exitOK, code, te.errOut.String())
		assert.True(t, got[0].InSync)
		assert.Positive(t, got[0].JournalEntryID, "the last sync's entry is over a day old")

		code, got, te = apply(t, vars, false, "", "--yes", "--hostname", "stale01")
		assert.Equal(t, exitOK, code, te.errOut.String())
		assert.Zero(t, got[0].JournalEntryID, "once a day")

		code, got, te = apply(t, vars, false, "", "--yes", "--hostname", "stale01", "--heartbeat", "0")
		assert.Equal(t, exitOK, code, te.errOut.String())
		assert.Zero(t, got[0].JournalEntryID)
	})

	t.Run("an unknown device is an error", func(t *testing.T) {
		code, got, _ := apply(t, vars, false, "", "--yes", "--hostname", "nope")
		assert.Equal(t, exitError, code)
		assert.False(t, got[0].OK)
		assert.Equal(t, "nope", got[0].Hostname)
		assert.Empty(t, got[0].Device)
		assert.Contains(t, got[0].Error, "register")
	})

	t.Run("NetBox unreachable is an error", func(t *testing.T) {
		down := map[string]string{netbox.EnvURL: "http://127.0.0.1:1", netbox.EnvToken: srv.Token, "NETBOX_MAX_RETRIES": "0"}
		code, got, _ := apply(t, down, false, "", "--yes", "--hostname", "stale01")
		assert.Equal(t, exitError, code)
		assert.False(t, got[0].OK)
		assert.Equal(t, "stale01", got[0].Hostname)
		assert.Contains(t, got[0].Error, "NetBox could not be reached")

		_, got, _ = apply(t, down, false, "", "--yes", "--no-containers=true")
		assert.NotEmpty(t, got[0].Hostname, "the discovered name")
		assert.Contains(t, got[0].Error, "look up \""+got[0].Hostname+"\"")
	})

	t.Run("a prompt on a terminal shows the report beside it", func(t *testing.T) {
		srv, id := staleDevice(t)
		vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}
		code, got, te := apply(t, vars, true, "y\n", "--hostname", "stale01")
		assert.Equal(t, exitOK, code, te.errOut.String())
		assert.True(t, got[0].OK)
		assert.Contains(t, te.errOut.String(), "## Sync Diff Report")
		assert.Contains(t, te.errOut.String(), "Write these")
		assert.Equal(t, "active", deviceStatus(t, srv, id))

		srv, _ = staleDevice(t)
		vars = map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}
		code, got, _ = apply(t, vars, true, "n\n", "--hostname", "stale01")
		assert.Equal(t, exitError, code)
		assert.False(t, got[0].OK)
		assert.Zero(t, got[0].Applied)
		assert.Contains(t, got[0].Error, "nothing was written")
	})
}

func TestApplyFailuresExitOne(t *testing.T) {
	tests := []struct {
		name  string
		fault netboxsim.Fault
		check func(t *testing.T, s syncSummary)
	}{
		{
			name:  "a change NetBox refuses",
			fault: netboxsim.Fault{Method: http.MethodPatch, Path: "/api/dcim/devices/*/", Status: http.StatusInternalServerError},
			check: func(t *testing.T, s syncSummary) { assert.Positive(t, s.Failed) },
		},
		{
			name:  "the journal entry NetBox refuses",
			fault: netboxsim.Fault{Method: http.MethodPost, Path: "/api/extras/journal-entries/", Status: http.StatusForbidden},
			check: func(t *testing.T, s syncSummary) {
				assert.Zero(t, s.Failed)
				assert.NotEmpty(t, s.JournalError)
				assert.Zero(t, s.JournalEntryID)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := staleDevice(t)
			require.NoError(t, srv.Sim.AddFault(tt.fault))
			te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
			code := run(context.Background(), []string{"apply", "--yes", "--json", "--hostname", "stale01"}, te.env)
			assert.Equal(t, exitError, code, te.errOut.String())
			got := summaries(t, te.out.String())
			require.Len(t, got, 1)
			assert.False(t, got[0].OK)
			tt.check(t, got[0])
		})
	}
}

func TestApplyFlagsRefused(t *testing.T) {
	srv, _ := staleDevice(t)
	vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}
	tests := []struct {
		name     string
		vars     map[string]string
		terminal bool
		args     []string
		wantErr  string
	}{
		{name: "--every without --yes", terminal: true, args: []string{"--every", "1h"}, wantErr: "--every needs --yes"},
		{name: "--every too short", args: []string{"--yes", "--every", "5s"}, wantErr: "shorter than 1m0s"},
		{name: "negative --every", args: []string{"--yes", "--every", "-1h"}, wantErr: "negative"},
		{name: "negative --splay", args: []string{"--yes", "--splay", "-1s"}, wantErr: "negative"},
		{name: "no terminal, no --yes, with --json", args: []string{"--json"}, wantErr: "apply --yes"},
		{name: "NetBox not configured", vars: map[string]string{}, args: []string{"--yes", "--every", "1h"}, wantErr: "NetBox is not configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vars
			if tt.vars != nil {
				v = tt.vars
			}
			te := newTestEnv(v, tt.terminal, "")
			var slept []time.Duration
			te.sleep = func(_ context.Context, d time.Duration) error {
				slept = append(slept, d)
				return nil
			}
			seeded := len(srv.Sim.Requests())
			code := run(context.Background(), append([]string{"apply", "--hostname", "stale01"}, tt.args...), te.env)
			assert.Equal(t, exitError, code)
			assert.Contains(t, te.errOut.String(), tt.wantErr)
			assert.Empty(t, te.out.String())
			assert.Empty(t, slept, "refused before any wait")
			assert.Len(t, srv.Sim.Requests(), seeded, "refused before any NetBox request")
		})
	}
}

func TestApplySplay(t *testing.T) {
	t.Run("waits a random time before the sync", func(t *testing.T) {
		srv, _ := staleDevice(t)
		te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
		var asked time.Duration
		te.random = func(n time.Duration) time.Duration { asked = n; return 42 * time.Second }
		var slept []time.Duration
		var requestsAtSleep int
		te.sleep = func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			requestsAtSleep = len(srv.Sim.Requests())
			return nil
		}
		seeded := len(srv.Sim.Requests())
		code := run(context.Background(), []string{"apply", "--yes", "--json", "--splay", "10m", "--hostname", "stale01"}, te.env)
		assert.Equal(t, exitOK, code, te.errOut.String())
		assert.Equal(t, 10*time.Minute, asked)
		assert.Equal(t, []time.Duration{42 * time.Second}, slept)
		assert.Equal(t, seeded, requestsAtSleep, "the wait comes before the first NetBox request")
		assert.Len(t, summaries(t, te.out.String()), 1)
	})

	t.Run("a stop during the wait ends it, writing nothing", func(t *testing.T) {
		srv, id := staleDevice(t)
		te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
		te.random = func(time.Duration) time.Duration { return time.Hour } // the real clock: a real wait
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"apply", "--yes", "--json", "--splay", "2h", "--hostname", "stale01"}, te.env)
		}()
		seeded := len(srv.Sim.Requests())
		cancel()
		var code int
		select {
		case code = <-done:
		case <-time.After(time.Minute):
			t.Fatal("apply did not stop when its context ended during --splay")
		}
		assert.Equal(t, exitError, code)
		got := summaries(t, te.out.String())
		require.Len(t, got, 1)
		assert.False(t, got[0].OK)
		assert.Contains(t, got[0].Error, "nothing was written")
		assert.Len(t, srv.Sim.Requests(), seeded)
		assert.Equal(t, "planned", deviceStatus(t, srv, id))
	})

	t.Run("the default random wait is below the splay", func(t *testing.T) {
		for range 1000 {
			d := env{}.randDuration(time.Second)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, time.Second)
		}
	})
}

func TestApplyEvery(t *testing.T) {
	srv, id := staleDevice(t)
	// The first round's lookup fails; the loop must go on.
	require.NoError(t, srv.Sim.AddFault(netboxsim.Fault{Method: http.MethodGet, Path: "/api/dcim/devices/", Status: http.StatusInternalServerError, Count: 1}))
	te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
	te.random = func(time.Duration) time.Duration { return 7 * time.Minute }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
	clock.install(&te.env)
	const rounds = 4
	clock.onSleep = func(n int) {
		if n == rounds { // the splay, then a wait after each round
			cancel()
		}
	}
	code := run(ctx, []string{"apply", "--yes", "--json", "--splay", "30m", "--every", "1h", "--hostname", "stale01"}, te.env)
	assert.Equal(t, exitOK, code, "a stop between rounds is the loop's normal end\n%s", te.errOut)

	got := summaries(t, te.out.String())
	require.Len(t, got, rounds-1, te.errOut.String())
	assert.False(t, got[0].OK)
	assert.Equal(t, "stale01", got[0].Hostname)
	assert.Contains(t, got[0].Error, "look up \"stale01\" in NetBox")
	assert.True(t, got[1].OK)
	assert.Positive(t, got[1].Applied)
	assert.Positive(t, got[1].JournalEntryID)
	assert.True(t, got[2].OK)
	assert.True(t, got[2].InSync, "a fresh discovery and diff each round")
	assert.Equal(t, []time.Duration{7 * time.Minute, time.Hour, time.Hour, time.Hour}, clock.sleeps)
	start := time.Date(2026, 1, 2, 3, 7, 0, 0, time.UTC)
	for i, s := range got {
		assert.Equal(t, start.Add(time.Duration(i)*time.Hour), s.Time, "round %d", i)
	}
	assert.Equal(t, "active", deviceStatus(t, srv, id))
}

func TestApplyEveryWithoutJSON(t *testing.T) {
	srv, _ := staleDevice(t)
	te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)}
	clock.install(&te.env)
	clock.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	code := run(ctx, []string{"apply", "--yes", "--every", "1h", "--hostname", "stale01"}, te.env)
	assert.Equal(t, exitOK, code, te.errOut.String())
	assert.Equal(t, 3, strings.Count(te.out.String(), "## Sync Diff Report"), te.out.String())
	assert.Contains(t, te.out.String(), "journal entry")
	assert.Contains(t, te.errOut.String(), "next sync")
}

func TestNextRound(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 1, 2, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		next, now time.Time
		want      time.Time
	}{
		{name: "a round within its interval", next: at(3, 7), now: at(3, 9), want: at(4, 7)},
		{name: "a round that overran one interval", next: at(3, 7), now: at(4, 30), want: at(5, 7)},
		{name: "a round that ended on the next start", next: at(3, 7), now: at(4, 7), want: at(5, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, nextRound(tt.next, tt.now, time.Hour))
		})
	}
}

// TestApplyFinishesOnStop stops apply while it writes: the writes and the
// journal entry complete rather than leave NetBox half-synced without a
// record.
func TestApplyFinishesOnStop(t *testing.T) {
	srv, id := staleDevice(t)
	require.NoError(t, srv.Sim.AddFault(netboxsim.Fault{Method: http.MethodPatch, Path: "/api/dcim/devices/*/", Delay: 500 * time.Millisecond, Count: 1}))
	te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	var midApply atomic.Bool
	go func() {
		// Stop once the PATCH is held by the fault, i.e. mid-apply.
		defer close(stopped)
		for ctx.Err() == nil {
			if f := srv.Sim.Faults(); len(f) == 1 && f[0].Hits > 0 {
				midApply.Store(true)
				cancel()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	code := run(ctx, []string{"apply", "--yes", "--json", "--hostname", "stale01"}, te.env)
	cancel()
	<-stopped
	require.True(t, midApply.Load(), "the stop came during the apply")
	assert.Equal(t, exitOK, code, te.errOut.String())
	got := summaries(t, te.out.String())
	require.Len(t, got, 1)
	assert.True(t, got[0].OK, "%+v", got[0])
	assert.Equal(t, got[0].Changes, got[0].Applied)
	assert.Positive(t, got[0].JournalEntryID)
	assert.Equal(t, "active", deviceStatus(t, srv, id))
}
