package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// TestMain lets the test binary be its own memory child, as the cmdb-mcp
// binary is for `cmdb-mcp bench`.
func TestMain(m *testing.M) {
	if IsChild() {
		if err := RunChild(context.Background(), os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuick runs the whole bench code path without latency and without
// Docker: both scenarios both ways, the memory child, the differ. It
// checks what must hold whatever the machine; the timed targets are only
// checked by the bench itself.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario; -short skips it")
	}
	var out bytes.Buffer
	r, err := Run(t.Context(), Options{
		Child:      []string{os.Args[0], "-test.run=^$"},
		TurnCost:   time.Second,
		DifferSize: DifferSize{Interfaces: 100, IPs: 500, Containers: 200},
		Out:        &out,
	})
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scenarios) != len(Scenarios) {
		t.Fatalf("%d scenarios ran, want %d", len(r.Scenarios), len(Scenarios))
	}
	for _, s := range r.Scenarios {
		if s.Ours.ToolCalls != 2 {
			t.Errorf("%s: ours made %d tool calls, want cmdb_sync_diff and cmdb_sync_apply", s.Fixture.Name, s.Ours.ToolCalls)
		}
		if s.Seed.ToolCalls <= s.Ours.ToolCalls || s.Seed.ToolErrors != 0 {
			t.Errorf("%s: the seed's way made %d tool calls, %d failed", s.Fixture.Name, s.Seed.ToolCalls, s.Seed.ToolErrors)
		}
		// Side by side, the seed's agent makes the same calls and requests
		// in fewer turns, and converges too (Run fails otherwise).
		if p := s.Parallel; p.ToolCalls != s.Seed.ToolCalls || p.Requests.Total != s.Seed.Requests.Total || p.ToolErrors != 0 ||
			p.Turns >= s.Seed.Turns || p.Turns < (p.ToolCalls+SideBySide-1)/SideBySide {
			t.Errorf("%s: %d at a time, the seed's agent made %d calls in %d turns, %d requests, %d tool errors; one at a time %d calls in %d turns, %d requests",
				s.Fixture.Name, SideBySide, p.ToolCalls, p.Turns, p.Requests.Total, p.ToolErrors, s.Seed.ToolCalls, s.Seed.Turns, s.Seed.Requests.Total)
		}
		// ipam_update_ip_address leaves the primary-IP rule to NetBox: one
		// request per call, no reads before it.
		if calls, n := s.Seed.CallsByTool["ipam_update_ip_address"], s.Seed.RequestsByTool["ipam_update_ip_address"]; calls == 0 || n != calls {
			t.Errorf("%s: ipam_update_ip_address made %d requests in %d calls, want one each", s.Fixture.Name, n, calls)
		}
		if s.Seed.Turns != s.Seed.ToolCalls || s.Ours.Turns != 2 {
			t.Errorf("%s: one call per turn: the seed's agent made %d calls in %d turns, ours %d in %d", s.Fixture.Name, s.Seed.ToolCalls, s.Seed.Turns, s.Ours.ToolCalls, s.Ours.Turns)
		}
		if s.Seed.Requests.Deletes+s.Parallel.Requests.Deletes+s.Ours.Requests.Deletes != 0 {
			t.Errorf("%s: a sync deleted", s.Fixture.Name)
		}
		if s.Limit.Reads != 6 || s.Limit.Journal != 1 || s.Limit.Total() > s.Ours.Requests.Total {
			t.Errorf("%s: physical limit %+v, ours %d requests", s.Fixture.Name, s.Limit, s.Ours.Requests.Total)
		}
		// The stale check: one request when the change log clears the plan;
		// the log's refusal and the lookup again when it cannot.
		if d := s.Ours.Ours; d == nil || d.ApplyReads != 1 {
			t.Errorf("%s: the stale check made %+v reads, want the change log's one", s.Fixture.Name, d)
		}
		if s.InSyncRequests != s.Limit.Reads {
			t.Errorf("%s: a diff of the host in sync made %d requests, want the limit's %d reads", s.Fixture.Name, s.InSyncRequests, s.Limit.Reads)
		}
		if got, want := s.Reread.Requests.Total, s.Ours.Requests.Total+s.SnapshotRequests; got != want {
			t.Errorf("%s: without the change log %d requests, want %d (ours and one lookup)", s.Fixture.Name, got, want)
		}
	}
	if r.Memory.Skipped != "" || r.Memory.MaxRSS == 0 {
		t.Errorf("memory: %+v", r.Memory)
	}
	if r.Differ.Runs < 3 || r.Differ.AllocsPerOp == 0 {
		t.Errorf("differ: %+v", r.Differ)
	}
	for _, want := range []string{"== seed-example", "== large-docker-host", "physical limit", "time the user waits", "== peak memory", "== diff.Compute", "skipped: not asked for", "== targets"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// TestLargeHostPlan pins the large host's drift, so that a change of the
// fixture or the differ that moves the comparison is noticed.
func TestLargeHostPlan(t *testing.T) {
	fx, err := LoadFixture(ScenarioLargeHost)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(t.Context(), fx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	p, err := w.plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range p.Changes {
		if !c.Supporting {
			got[string(c.Section)+" "+string(c.Action)]++
		}
	}
	want := map[string]int{
		"device UPDATE":         1,
		"interfaces CREATE":     4,
		"interfaces OFFLINE":    4,
		"interfaces UPDATE":     4,
		"ip_addresses CREATE":   10,
		"ip_addresses UPDATE":   11, // 5 moved, 5 re-masked, the primary
		"ip_addresses UNASSIGN": 10,
		"containers CREATE":     31, // 30 VMs and the new project's cluster
		"containers OFFLINE":    30,
		"containers UPDATE":     30,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d changes, want %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("changes by kind: %v, want %v", got, want)
	}
}

var differSink diff.Plan

// BenchmarkDiffer is diff.Compute on 1000 interfaces, 5000 IPs and 2000
// containers, about 30% drifted: go test -bench Differ -benchmem.
func BenchmarkDiffer(b *testing.B) {
	host, snap := DifferInput(DefaultDifferSize)
	opts := diffOptions()
	b.ReportAllocs()
	for b.Loop() {
		differSink = diff.Compute(host, snap, opts)
	}
	b.ReportMetric(float64(len(differSink.Changes)), "changes")
}

// BenchmarkSync is one large-host sync, ours and the seed's way (one call
// at a time, and side by side), without latency: CPU only (building the
// fixture is not timed).
func BenchmarkSync(b *testing.B) {
	fx, err := LoadFixture(ScenarioLargeHost)
	if err != nil {
		b.Fatal(err)
	}
	for _, way := range []string{WayOurs, WaySeed, WaySeedParallel} {
		b.Run(way, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				w, err := newWorld(context.Background(), fx, 0)
				if err != nil {
					b.Fatal(err)
				}
				var plan diff.Plan
				if way != WayOurs {
					if plan, err = w.plan(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if way != WayOurs {
					_, err = runSeed(context.Background(), w, plan, way == WaySeedParallel)
				} else {
					_, err = runOurs(context.Background(), w)
				}
				b.StopTimer()
				w.close()
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// TestDockerSmall runs the real-container comparison with a few containers
// on the engine DOCKER_HOST names; without one it skips, and CI
// (CMDB_REQUIRE_INTEGRATION=1, which starts an engine) fails instead.
func TestDockerSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containers; -short skips it")
	}
	res, err := benchDocker(t.Context(), 3, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" {
		testenv.Skip(t, res.Skipped)
	}
	if len(res.Ours) != 3 || len(res.Shell) != 2 || len(res.Batch) != 3 || res.BatchBytes == 0 || res.Containers < 3 || res.ShellContainers < 3 || res.ShellCommands < 4 {
		t.Errorf("%+v", res)
	}
}

// TestFleet: 50 hosts sync at once against one simulator with 20 ms per
// request, each planning to create the platform, the cluster type and the
// VM roles they share. Every host converges, no change fails, no apply is
// stale, and each shared object exists once. Times are the bench's, not
// checked here.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs 50 hosts; -short skips it")
	}
	r, err := RunFleet(t.Context(), DefaultFleet, DefaultLatency)
	require.NoError(t, err)
	f := r.Fleet
	t.Logf("%d hosts: %.1f requests per host (alone %.1f), %d creates refused and taken, p50 %s, p99 %s (alone %s)",
		f.Hosts, f.PerHost(), r.Alone.PerHost(), f.Taken, f.Quantile(0.5), f.Quantile(0.99), r.Alone.Quantile(0.5))
	assert.Equal(t, DefaultFleet, len(f.Syncs))
	assert.NoError(t, f.Check())
	assert.Positive(t, f.Taken, "the hosts did race for the shared objects")
	for kind, n := range f.Shared {
		assert.Equal(t, 1, n, kind)
	}
	assert.Zero(t, r.Alone.Taken, "alone, nothing is refused")
}
