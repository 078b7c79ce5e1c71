// Package bench measures cmdb-mcp's sync side by side with the seed's
// workflow (issue 7): each scenario (fixtures/*.json) runs two ways against
// the same NetBox simulator, with a latency per request: ours
// (cmdb_sync_diff, then cmdb_sync_apply, through an MCP client) and the
// seed's (a scripted agent making the seed's tool calls through cmdb-mcp's
// NetBox tools). It also measures the peak memory of a large-host sync,
// diff.Compute on a very large host, and container discovery on a real
// Docker engine against the seed's shell commands. Run prints the results
// and checks the targets; `cmdb-mcp bench` is its command.
package bench

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// DefaultLatency is the latency per NetBox request.
const DefaultLatency = 20 * time.Millisecond

// DefaultContainers is how many real containers the discovery comparison
// starts.
const DefaultContainers = 300

// Options say what Run measures.
type Options struct {
	// Latency is added by the simulator to every request.
	Latency time.Duration
	// Repeat runs each scenario this many times, both ways, on fresh
	// simulators; wall times are the medians. 0 means 1.
	Repeat int
	// Scenarios to run; nil runs all.
	Scenarios []string
	// Containers is how many real containers the discovery comparison
	// starts; 0 skips it.
	Containers int
	// Child is the command that runs a memory child (see IsChild); nil
	// skips the memory measurement.
	Child []string
	// Fleet is how many hosts sync at once in the fleet part; 0 skips it.
	Fleet int
	// DifferSize and DifferTime: the differ's input and how long to run it.
	DifferSize DifferSize
	DifferTime time.Duration
	// Out gets the report.
	Out io.Writer
}

// Report is everything Run measured.
type Report struct {
	Options   Options
	Scenarios []ScenarioResult
	Memory    MemoryResult
	Fleet     FleetResult
	Differ    DifferResult
	Docker    DockerResult
	Targets   []Target
}

// ScenarioResult is one scenario, both ways.
type ScenarioResult struct {
	Fixture    Fixture
	Plan       diff.Plan
	Seed, Ours WayResult
	// Reread is ours when the change log cannot clear the plan (here: a
	// token without view permission on it, so NetBox answers 403), and
	// the stale check reads the host again.
	Reread      WayResult
	Limit       Limit
	SeedResidue int
	OursResidue int
	// InSyncRequests are the requests of a diff after ours, which finds the
	// host in sync: the lookup of a host NetBox already records.
	InSyncRequests int
	// SnapshotRequests and SnapshotWall are what one lookup of the host
	// (netbox.SnapshotFor, which the stale check repeats) costs.
	SnapshotRequests int
	SnapshotWall     time.Duration // median over the runs
	snapshotWalls    []time.Duration
}

// Target is one of the targets and what the run measured.
type Target struct {
	Name    string
	Want    string
	Got     string
	Met     bool
	Checked bool   // false: not measured in this run (Why says why)
	Why     string // for a missed or unchecked target
}

// Run measures and prints. It fails only when a measurement cannot be made
// (a sync that does not converge is a failure too); missed targets are in
// the report.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Scenarios == nil {
		o.Scenarios = Scenarios
	}
	if o.DifferSize == (DifferSize{}) {
		o.DifferSize = DefaultDifferSize
	}
	r := Report{Options: o}
	p := &printer{w: o.Out}
	p.header(o)

	for _, name := range o.Scenarios {
		fx, err := LoadFixture(name)
		if err != nil {
			return r, err
		}
		p.logf("running %s: the seed's way, then ours, %d times ...", name, max(o.Repeat, 1))
		sr, err := runScenario(ctx, fx, o.Latency, o.Repeat)
		if err != nil {
			return r, fmt.Errorf("scenario %s: %w", name, err)
		}
		r.Scenarios = append(r.Scenarios, sr)
		p.scenario(sr, o.Latency)
	}

	if o.Fleet > 0 {
		p.logf("syncing one host alone, then %d hosts at once ...", o.Fleet)
		f, err := RunFleet(ctx, o.Fleet, o.Latency)
		if err != nil {
			return r, fmt.Errorf("fleet: %w", err)
		}
		r.Fleet = f
	} else {
		r.Fleet = FleetResult{Skipped: "not asked for (--fleet 0)"}
	}
	p.fleet(r.Fleet)

	if len(o.Child) > 0 {
		p.logf("measuring the peak memory of a %s sync in a child process ...", ScenarioLargeHost)
		m, err := measureMemory(ctx, o.Child, ScenarioLargeHost, o.Latency)
		if err != nil {
			return r, err
		}
		r.Memory = m
	} else {
		r.Memory = MemoryResult{Skipped: "not asked for (--no-memory)"}
	}
	p.memory(r.Memory)

	p.logf("running diff.Compute on %s ...", o.DifferSize)
	r.Differ = measureDiffer(o.DifferSize, o.DifferTime)
	p.differ(r.Differ)

	if o.Containers > 0 {
		p.logf("discovering %d real containers both ways ...", o.Containers)
		d, err := benchDocker(ctx, o.Containers, p.logf)
		if err != nil {
			return r, fmt.Errorf("container discovery: %w", err)
		}
		r.Docker = d
	} else {
		r.Docker = DockerResult{Skipped: "not asked for (--containers 0)"}
	}
	p.docker(r.Docker)

	r.Targets = targets(r)
	p.targets(r.Targets)
	return r, nil
}

func runScenario(ctx context.Context, fx Fixture, latency time.Duration, repeat int) (ScenarioResult, error) {
	sr := ScenarioResult{Fixture: fx}
	var seedWalls, oursWalls, rereadWalls []time.Duration
	for i := range max(repeat, 1) {
		seed, ours, reread, err := runBoth(ctx, &sr, latency, i == 0)
		if err != nil {
			return sr, err
		}
		seedWalls, oursWalls, rereadWalls = append(seedWalls, seed.Wall), append(oursWalls, ours.Wall), append(rereadWalls, reread.Wall)
		if i == 0 {
			sr.Seed, sr.Ours, sr.Reread = seed, ours, reread
			continue
		}
		// Counts do not depend on timing; a repeat that differs means the
		// bench is not measuring what it thinks.
		if seed.ToolCalls != sr.Seed.ToolCalls || seed.Requests != sr.Seed.Requests || ours.Requests != sr.Ours.Requests || reread.Requests != sr.Reread.Requests {
			return sr, fmt.Errorf("run %d made other calls or requests than run 1", i+1)
		}
	}
	sr.Seed.Walls, sr.Ours.Walls, sr.Reread.Walls = seedWalls, oursWalls, rereadWalls
	sr.Seed.Wall, sr.Ours.Wall, sr.Reread.Wall = median(seedWalls), median(oursWalls), median(rereadWalls)
	sr.SnapshotWall = median(sr.snapshotWalls)
	return sr, nil
}

// runBoth syncs fresh worlds of the scenario the seed's way, then ours,
// then ours with a change log it cannot read. Each run plans first (the
// model's Phase 3-4 answer, not counted) and times one lookup alone.
func runBoth(ctx context.Context, sr *ScenarioResult, latency time.Duration, first bool) (seed, ours, reread WayResult, err error) {
	fx := sr.Fixture
	seedWorld, err := newWorld(ctx, fx, latency)
	if err != nil {
		return seed, ours, reread, err
	}
	defer seedWorld.close()
	plan, err := seedWorld.plan(ctx)
	if err != nil {
		return seed, ours, reread, err
	}
	if !plan.DeviceFound || plan.InSync() {
		return seed, ours, reread, fmt.Errorf("the fixture should plan changes to a recorded device")
	}
	if first {
		sr.Plan, sr.Limit = plan, physicalLimit(fx, plan)
	}
	if seed, err = runSeed(ctx, seedWorld, plan); err != nil {
		return seed, ours, reread, fmt.Errorf("the seed's way: %w", err)
	}
	if sr.SeedResidue, err = seedWorld.residue(ctx); err != nil {
		return seed, ours, reread, err
	}

	oursWorld, err := newWorld(ctx, fx, latency)
	if err != nil {
		return seed, ours, reread, err
	}
	defer oursWorld.close()
	// One lookup of the host, timed alone: the stale check repeats it.
	start := time.Now()
	if _, err := oursWorld.nb.SnapshotFor(ctx, engine.LookupQuery(fx.Host, diffOptions())); err != nil {
		return seed, ours, reread, err
	}
	sr.snapshotWalls = append(sr.snapshotWalls, time.Since(start))
	sr.SnapshotRequests = len(oursWorld.sim.Requests())
	oursWorld.resetRequests()
	if ours, err = runOurs(ctx, oursWorld); err != nil {
		return seed, ours, reread, fmt.Errorf("ours: %w", err)
	}
	if sr.OursResidue, err = oursWorld.residue(ctx); err != nil {
		return seed, ours, reread, err
	}
	sr.InSyncRequests = oursWorld.checkRequests
	if sr.SeedResidue != 0 || sr.OursResidue != 0 {
		return seed, ours, reread, fmt.Errorf("a sync did not converge: a fresh diff finds %d changes after the seed's way, %d after ours", sr.SeedResidue, sr.OursResidue)
	}

	rereadWorld, err := newWorld(ctx, fx, latency)
	if err != nil {
		return seed, ours, reread, err
	}
	defer rereadWorld.close()
	if err := rereadWorld.sim.AddFault(netboxsim.Fault{Path: "/api/core/object-changes/", Status: http.StatusForbidden}); err != nil {
		return seed, ours, reread, err
	}
	if reread, err = runOurs(ctx, rereadWorld); err != nil {
		return seed, ours, reread, fmt.Errorf("ours, without the change log: %w", err)
	}
	if n, err := rereadWorld.residue(ctx); err != nil || n != 0 {
		return seed, ours, reread, fmt.Errorf("ours, without the change log: %d changes left (%v)", n, err)
	}
	return seed, ours, reread, nil
}

// Target thresholds, from issue 7.
const (
	wantCallsRatio    = 50
	wantRequestsRatio = 20
	wantLimitMultiple = 1.3
	wantWallRatio     = 10
	wantBytesRatio    = 10
	wantDockerRatio   = 5
	wantPeakMemory    = 100 << 20
	wantDifferTime    = 50 * time.Millisecond
)

func ratio(seed, ours float64) float64 {
	if ours == 0 {
		return 0
	}
	return seed / ours
}

func targets(r Report) []Target {
	var ts []Target
	var large *ScenarioResult
	for i := range r.Scenarios {
		if r.Scenarios[i].Fixture.Name == ScenarioLargeHost {
			large = &r.Scenarios[i]
		}
	}
	atLeast := func(name string, got, want float64, why string) Target {
		t := Target{Name: name, Want: fmt.Sprintf(">= %gx", want), Got: fmt.Sprintf("%.1fx", got), Met: got >= want, Checked: true}
		if !t.Met {
			t.Why = fmt.Sprintf("short by %.0f%%: %s", 100*(1-got/want), why)
		}
		return t
	}
	if large == nil {
		ts = append(ts, Target{Name: "large host targets", Want: "see the issue", Why: "not checked: scenario " + ScenarioLargeHost + " not run"})
	} else {
		s, o := large.Seed, large.Ours
		ts = append(ts, atLeast("large host: agent tool calls, seed/ours", ratio(float64(s.ToolCalls), float64(o.ToolCalls)), wantCallsRatio, ""))
		ts = append(ts, atLeast("large host: NetBox requests, seed/ours", ratio(float64(s.Requests.Total), float64(o.Requests.Total)), wantRequestsRatio,
			fmt.Sprintf("even a sync at the physical limit (%d requests) would be %.1fx", large.Limit.Total(), ratio(float64(s.Requests.Total), float64(large.Limit.Total())))))
		mult := ratio(float64(o.Requests.Total), float64(large.Limit.Total()))
		lt := Target{Name: "large host: our NetBox requests / physical limit", Want: fmt.Sprintf("<= %gx", wantLimitMultiple),
			Got: fmt.Sprintf("%.2fx (%d / %d)", mult, o.Requests.Total, large.Limit.Total()), Met: mult <= wantLimitMultiple, Checked: true}
		if !lt.Met && o.Ours != nil {
			lt.Why = fmt.Sprintf("over by %.0f%%: the stale check made %d requests (1 when the change log clears the plan), the lookup reads %d more than the limit's 6, and apply sends %d writes for %d (endpoint, verb) pairs",
				100*(mult/wantLimitMultiple-1), o.Ours.ApplyReads, o.Ours.DiffReads-large.Limit.Reads, o.Ours.ApplyWrites-large.Limit.Journal, large.Limit.Writes)
		}
		ts = append(ts, lt)
		if r.Options.Latency > 0 {
			without := o.Wall - large.SnapshotWall
			ts = append(ts, atLeast("large host: wall time, seed/ours", ratio(float64(s.Wall), float64(o.Wall)), wantWallRatio,
				fmt.Sprintf("a lookup alone takes about %.0f ms of our %.0f ms; without it about %.1fx",
					ms(large.SnapshotWall), ms(o.Wall), ratio(float64(s.Wall), float64(without)))))
		} else {
			ts = append(ts, Target{Name: "large host: wall time, seed/ours", Want: fmt.Sprintf(">= %dx", wantWallRatio), Got: fmt.Sprintf("%.1fx", ratio(float64(s.Wall), float64(o.Wall))),
				Why: "not checked: no latency in this run"})
		}
		why := "our results list every change"
		if d := o.Ours; d != nil {
			why = fmt.Sprintf("the diff's report_markdown (%s) lists every change, the apply's changes[] (%s) its failures and skips, and each result is sent as text and again as structuredContent",
				kb(d.ReportMarkdownBytes), kb(d.ApplyChangesBytes))
		}
		ts = append(ts, atLeast("large host: tool result bytes to the agent, seed/ours", ratio(float64(s.ResultBytes), float64(o.ResultBytes)), wantBytesRatio, why))
	}
	if r.Docker.Skipped != "" {
		ts = append(ts, Target{Name: "discovery of real containers, shell/ours", Want: fmt.Sprintf(">= %dx", wantDockerRatio), Why: "not checked: " + r.Docker.Skipped})
	} else {
		ts = append(ts, atLeast(fmt.Sprintf("discovery of %d real containers, shell/ours", r.Docker.Started),
			ratio(float64(r.Docker.ShellBest()), float64(r.Docker.OursMedian())), wantDockerRatio, ""))
	}
	if r.Memory.Skipped != "" {
		ts = append(ts, Target{Name: "peak memory of a large-host sync", Want: "<= 100 MB", Why: "not checked: " + r.Memory.Skipped})
	} else {
		t := Target{Name: "peak memory of a large-host sync (max RSS)", Want: "<= 100 MB", Got: mb(r.Memory.MaxRSS), Met: r.Memory.MaxRSS <= wantPeakMemory, Checked: true}
		if !t.Met {
			t.Why = fmt.Sprintf("over by %s", mb(r.Memory.MaxRSS-wantPeakMemory))
		}
		ts = append(ts, t)
	}
	dt := Target{Name: "diff.Compute on " + r.Differ.Size.String(), Want: "< 50 ms", Got: fmt.Sprintf("%.1f ms (median), %d allocs, %s per run", ms(r.Differ.PerOp), r.Differ.AllocsPerOp, mb(int64(r.Differ.BytesPerOp))),
		Met: r.Differ.PerOp < wantDifferTime, Checked: true}
	if !dt.Met {
		dt.Why = fmt.Sprintf("over by %.1f ms", ms(r.Differ.PerOp-wantDifferTime))
	}
	if r.Differ.Size != DefaultDifferSize {
		dt.Checked, dt.Met, dt.Why = false, false, "not checked: not the issue's size"
	}
	return append(ts, dt)
}

// printer writes the report.
type printer struct{ w io.Writer }

func (p *printer) logf(format string, args ...any) { fmt.Fprintf(p.w, "# "+format+"\n", args...) }

func (p *printer) header(o Options) {
	fmt.Fprintf(p.w, "cmdb-mcp bench: %d scenarios, each synced the seed's way and ours against the NetBox simulator with %v latency per request\n",
		len(o.Scenarios), o.Latency)
	fmt.Fprintf(p.w, "machine: %s\n\n", Machine())
}

// Machine describes the machine the bench runs on.
func Machine() string {
	cpu := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	memory := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err == nil {
			memory = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
		}
	}
	kernel := ""
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", kernel " + strings.TrimSpace(string(data))
	}
	if cpu != "" {
		cpu = " (" + cpu + ")"
	}
	return fmt.Sprintf("%s/%s, %d CPUs%s%s%s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, memory, kernel, runtime.Version())
}

func (p *printer) scenario(s ScenarioResult, latency time.Duration) {
	sum := s.Plan.Summary()
	fmt.Fprintf(p.w, "\n== %s: %s\n", s.Fixture.Name, s.Fixture.Description)
	fmt.Fprintf(p.w, "   %d changes planned (%d updates, %d creates, %d removals/offline, %d supporting steps)\n\n",
		sum.Updates+sum.Creates+sum.Removals, sum.Updates, sum.Creates, sum.Removals, len(s.Plan.Changes)-(sum.Updates+sum.Creates+sum.Removals))
	row := func(name, seed, ours string, r float64) {
		fmt.Fprintf(p.w, "   %-34s %12s %12s %10s\n", name, seed, ours, fmt.Sprintf("%.1fx", r))
	}
	fmt.Fprintf(p.w, "   %-34s %12s %12s %10s\n", "", "seed's way", "ours", "seed/ours")
	sd, o := s.Seed, s.Ours
	row("agent tool calls", fmt.Sprint(sd.ToolCalls), fmt.Sprint(o.ToolCalls), ratio(float64(sd.ToolCalls), float64(o.ToolCalls)))
	row("NetBox requests", fmt.Sprint(sd.Requests.Total), fmt.Sprint(o.Requests.Total), ratio(float64(sd.Requests.Total), float64(o.Requests.Total)))
	wallName := "wall time"
	if len(sd.Walls) > 1 {
		wallName = fmt.Sprintf("wall time (median of %d)", len(sd.Walls))
	}
	row(wallName, fmt.Sprintf("%.0f ms", ms(sd.Wall)), fmt.Sprintf("%.0f ms", ms(o.Wall)), ratio(float64(sd.Wall), float64(o.Wall)))
	row("tool result bytes (JSON)", kb(sd.ResultBytes), kb(o.ResultBytes), ratio(float64(sd.ResultBytes), float64(o.ResultBytes)))
	row("  of which text content", kb(sd.TextBytes), kb(o.TextBytes), ratio(float64(sd.TextBytes), float64(o.TextBytes)))
	fmt.Fprintln(p.w)
	l := s.Limit
	fmt.Fprintf(p.w, "   physical limit: %d requests = %d reads + %d writes + %d journal; ours = %.2fx the limit, the seed's way %.1fx\n",
		l.Total(), l.Reads, l.Writes, l.Journal, ratio(float64(o.Requests.Total), float64(l.Total())), ratio(float64(sd.Requests.Total), float64(l.Total())))
	fmt.Fprintf(p.w, "     writes, one request per (verb, endpoint), objects written: %s\n", strings.Join(l.Endpoints, "; "))
	if d := o.Ours; d != nil {
		fmt.Fprintf(p.w, "   ours: cmdb_sync_diff %d requests (all reads), %.0f ms; cmdb_sync_apply %d requests, %.0f ms: %d reads (the stale check: the change log, and the lookup again only when the log cannot clear the plan) + %d writes (journal included)\n",
			d.DiffReads, ms(o.PhaseWall["cmdb_sync_diff"]), d.ApplyReads+d.ApplyWrites, ms(o.PhaseWall["cmdb_sync_apply"]), d.ApplyReads, d.ApplyWrites)
		fmt.Fprintf(p.w, "     one lookup alone: %d requests, %.0f ms (median over the runs)\n", s.SnapshotRequests, ms(s.SnapshotWall))
		rr := s.Reread
		fmt.Fprintf(p.w, "   ours when the change log cannot clear the plan (here a token without view permission on it: 403), so the stale check reads the host again: %d requests = %.2fx the limit (seed/ours %.1fx), %.0f ms (seed/ours %.1fx); wall times %s\n",
			rr.Requests.Total, ratio(float64(rr.Requests.Total), float64(l.Total())), ratio(float64(sd.Requests.Total), float64(rr.Requests.Total)),
			ms(rr.Wall), ratio(float64(sd.Wall), float64(rr.Wall)), durations(rr.Walls))
		fmt.Fprintf(p.w, "     our results hold report_markdown %s (every change, once) and the apply's changes[] %s (failures and skips); each result is sent as text and again as structuredContent, as MCP asks\n",
			kb(d.ReportMarkdownBytes), kb(d.ApplyChangesBytes))
	}
	var phases []string
	for _, ph := range sd.PhaseOrder {
		phases = append(phases, fmt.Sprintf("%s %d calls / %d requests / %.0f ms", ph, sd.PhaseCalls[ph], sd.PhaseRequests[ph], ms(sd.PhaseWall[ph])))
	}
	fmt.Fprintf(p.w, "   seed's way: %s; %d tool errors\n", strings.Join(phases, ", "), sd.ToolErrors)
	fmt.Fprintf(p.w, "     NetBox answered the seed's calls with %s of JSON: what the model would read if the tools passed NetBox's JSON through (ours: %s, never shown to the model)\n",
		kb(int(sd.NetBoxBytes)), kb(int(o.NetBoxBytes)))
	fmt.Fprintf(p.w, "     its largest results: %s\n", largest(sd.BytesByTool, 3))
	fmt.Fprintf(p.w, "   both converge: a fresh diff finds %d changes after the seed's way, %d after ours; DELETE requests: %d / %d; NetBox errors: %d / %d\n",
		s.SeedResidue, s.OursResidue, sd.Requests.Deletes, o.Requests.Deletes, sd.Requests.Failed, o.Requests.Failed)
	fmt.Fprintf(p.w, "   that fresh diff after ours, of a host NetBox now records: %d requests (the limit counts %d reads)\n", s.InSyncRequests, s.Limit.Reads)
	if len(sd.Walls) > 1 {
		fmt.Fprintf(p.w, "   wall times of the runs: seed's way %s; ours %s\n", durations(sd.Walls), durations(o.Walls))
	}
	if latency == 0 {
		fmt.Fprintln(p.w, "   (no latency: wall times are CPU only)")
	}
}

func (p *printer) memory(m MemoryResult) {
	fmt.Fprintf(p.w, "\n== peak memory of a %s sync (cmdb_sync_diff + cmdb_sync_apply in a process of its own)\n", ScenarioLargeHost)
	if m.Skipped != "" {
		fmt.Fprintf(p.w, "   skipped: %s\n", m.Skipped)
		return
	}
	fmt.Fprintf(p.w, "   max RSS %s (the child's own VmHWM; wait4 says %s, which counts the parent's memory shared until exec); Go heap peak %s (sampled every ms); %s allocated in total; converged: %d changes left\n",
		mb(m.MaxRSS), mb(m.WaitMaxRSS), mb(int64(m.PeakHeap)), mb(int64(m.Allocated)), m.Residue)
}

func (p *printer) differ(d DifferResult) {
	fmt.Fprintf(p.w, "\n== diff.Compute on %s (%d changes)\n", d.Size, d.Changes)
	fmt.Fprintf(p.w, "   %.2f ms/op (median of %d batches, %d runs; batches %.2f-%.2f ms/op), %d allocs/op, %d B/op\n",
		ms(d.PerOp), d.Batches, d.Runs, ms(d.Fastest), ms(d.Slowest), d.AllocsPerOp, d.BytesPerOp)
	fmt.Fprintln(p.w, "   (go test -run '^$' -bench Differ -benchmem ./internal/bench measures the same)")
}

func (p *printer) docker(d DockerResult) {
	fmt.Fprintf(p.w, "\n== container discovery on a real Docker engine: cmdb-mcp vs the seed's shell commands\n")
	if d.Skipped != "" {
		fmt.Fprintf(p.w, "   skipped: %s\n", d.Skipped)
		return
	}
	var ours, shell []string
	for _, x := range d.Ours {
		ours = append(ours, fmt.Sprintf("%.0f ms", ms(x)))
	}
	for _, x := range d.Shell {
		shell = append(shell, fmt.Sprintf("%.0f ms", ms(x)))
	}
	fmt.Fprintf(p.w, "   %s; %d containers started in %v; cmdb-mcp found %d, the shell commands inspected %d\n",
		d.Engine, d.Started, d.Setup.Round(time.Second), d.Containers, d.ShellContainers)
	fmt.Fprintf(p.w, "   cmdb-mcp (Engine API: 1 list + %d inspects, 8 at a time): %s -> median %.0f ms\n", d.Containers, strings.Join(ours, ", "), ms(d.OursMedian()))
	fmt.Fprintf(p.w, "   seed's shell (docker ps -a + docker inspect per container, %d commands, %s of output for the agent to read): %s -> best %.0f ms\n",
		d.ShellCommands, kb(d.ShellBytes), strings.Join(shell, ", "), ms(d.ShellBest()))
	fmt.Fprintf(p.w, "   shell/ours: %.1fx\n", ratio(float64(d.ShellBest()), float64(d.OursMedian())))
}

func (p *printer) targets(ts []Target) {
	fmt.Fprintf(p.w, "\n== targets (issue 7)\n")
	met, missed := 0, 0
	for _, t := range ts {
		mark := "[met]   "
		switch {
		case !t.Checked:
			mark = "[n/a]   "
		case !t.Met:
			mark = "[MISSED]"
			missed++
		default:
			met++
		}
		line := fmt.Sprintf("   %s %s: want %s", mark, t.Name, t.Want)
		if t.Got != "" {
			line += ", got " + t.Got
		}
		if t.Why != "" {
			line += " (" + t.Why + ")"
		}
		fmt.Fprintln(p.w, line)
	}
	fmt.Fprintf(p.w, "   %d met, %d missed, %d not checked\n", met, missed, len(ts)-met-missed)
}

// largest names the n tools whose results were largest in all.
func largest(bytesByTool map[string]int, n int) string {
	names := slices.Collect(maps.Keys(bytesByTool))
	slices.SortFunc(names, func(a, b string) int { return bytesByTool[b] - bytesByTool[a] })
	var out []string
	for _, name := range names[:min(n, len(names))] {
		out = append(out, fmt.Sprintf("%s %s", name, kb(bytesByTool[name])))
	}
	return strings.Join(out, ", ")
}

func durations(ds []time.Duration) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.0f ms", ms(d)))
	}
	return strings.Join(out, ", ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func kb(n int) string { return fmt.Sprintf("%.1f kB", float64(n)/1000) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
