// Package bench measures cmdb-mcp's sync side by side with the seed
// workflow (docs/workflow.md): each scenario (fixtures/*.json) runs against
// the same NetBox simulator, with a latency per request (and again with a
// latency that grows with the objects written), three ways: ours
// (cmdb_sync_diff, then cmdb_sync_apply, through an MCP client), and the
// seed's, a scripted agent making the seed workflow's tool calls through
// cmdb-mcp's NetBox tools, once one call at a time and once with
// independent calls side by side. It also measures the peak memory of a
// large-host sync, diff.Compute on a very large host, and container
// discovery on a real Docker engine against the seed's shell commands, in
// their slowest and fastest forms. Run prints the results and checks the
// project's targets; `cmdb-mcp bench` is its command.
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

// DefaultLatency is the latency the simulator adds to every NetBox
// request.
const DefaultLatency = 20 * time.Millisecond

// DefaultLatencyPerObject is what the growing latency model adds to a
// write per object it carries.
const DefaultLatencyPerObject = 2 * time.Millisecond

// DefaultTurnCost is what one model turn is taken to cost when the bench
// shows the time a user waits for a finished sync.
const DefaultTurnCost = time.Second

// DefaultContainers is how many real containers the discovery comparison
// starts.
const DefaultContainers = 300

// Options say what Run measures.
type Options struct {
	// Latency is added by the simulator to every request.
	Latency time.Duration
	// LatencyPerObject, when set, runs each scenario again with a latency
	// model where NetBox's time grows with the objects written: Latency
	// per request plus this per object a write carries.
	LatencyPerObject time.Duration
	// TurnCost is what one model turn is taken to cost: the time a user
	// waits for a finished sync is the turns times this, plus the wall
	// time. 0 leaves it out.
	TurnCost time.Duration
	// Repeat runs each scenario this many times, every way, on fresh
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

// LatencyModel is how long the simulator takes to answer.
type LatencyModel struct {
	// PerRequest is added to every request; PerObject to a write, per
	// object its body carries.
	PerRequest, PerObject time.Duration
}

func (m LatencyModel) String() string {
	switch {
	case m.PerRequest == 0 && m.PerObject == 0:
		return "no latency"
	case m.PerObject == 0:
		return fmt.Sprintf("%v per request", m.PerRequest)
	}
	return fmt.Sprintf("%v per request + %v per object written", m.PerRequest, m.PerObject)
}

// Short is String for a table's row name.
func (m LatencyModel) Short() string {
	switch {
	case m.PerRequest == 0 && m.PerObject == 0:
		return "no latency"
	case m.PerObject == 0:
		return fmt.Sprintf("%v/request", m.PerRequest)
	}
	return fmt.Sprintf("%v/request + %v/object", m.PerRequest, m.PerObject)
}

// Models are the latency models the options ask for: the flat one, and
// the growing one when LatencyPerObject is set.
func (o Options) Models() []LatencyModel {
	ms := []LatencyModel{{PerRequest: o.Latency}}
	if o.LatencyPerObject > 0 {
		ms = append(ms, LatencyModel{PerRequest: o.Latency, PerObject: o.LatencyPerObject})
	}
	return ms
}

// ModelResult is one scenario's ways under one latency model; the counts
// are the same under every model, the wall times are not.
type ModelResult struct {
	Model                        LatencyModel
	Seed, Parallel, Ours, Reread WayResult
	SnapshotWall                 time.Duration // median over the runs
	snapshotWalls                []time.Duration
}

// ScenarioResult is one scenario, every way.
type ScenarioResult struct {
	Fixture Fixture
	Plan    diff.Plan
	// Seed, Parallel, Ours and Reread are the ways under the first (flat)
	// latency model; Models holds them under every model.
	Seed, Ours WayResult
	// Parallel is the seed's way with its independent calls side by side.
	Parallel WayResult
	Models   []ModelResult
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
	// (netbox.SnapshotFor, which the stale check repeats) costs, under the
	// first latency model.
	SnapshotRequests int
	SnapshotWall     time.Duration // median over the runs
}

// Target is one of the project's targets and what the run measured.
type Target struct {
	Name string
	Want string
	Got  string
	// Against names the baseline Got is measured against: the strongest
	// the other way has (the seed's agent that calls side by side, the
	// fastest shell form). Old is the figure against the baseline the
	// bench used first, for comparison.
	Against string
	Old     string
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
	p := &printer{w: o.Out, turnCost: o.TurnCost}
	p.header(o)

	for _, name := range o.Scenarios {
		fx, err := LoadFixture(name)
		if err != nil {
			return r, err
		}
		p.logf("running %s: the seed's way one call at a time, then %d at a time, then ours, %d times under each latency model ...", name, SideBySide, max(o.Repeat, 1))
		sr, err := runScenario(ctx, fx, o.Models(), o.Repeat)
		if err != nil {
			return r, fmt.Errorf("scenario %s: %w", name, err)
		}
		r.Scenarios = append(r.Scenarios, sr)
		p.scenario(sr)
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

func runScenario(ctx context.Context, fx Fixture, models []LatencyModel, repeat int) (ScenarioResult, error) {
	sr := ScenarioResult{Fixture: fx}
	for mi, m := range models {
		mr := ModelResult{Model: m}
		var seedWalls, parallelWalls, oursWalls, rereadWalls []time.Duration
		for i := range max(repeat, 1) {
			run, err := runWays(ctx, &sr, m, mi == 0 && i == 0)
			if err != nil {
				return sr, err
			}
			seedWalls, parallelWalls = append(seedWalls, run.Seed.Wall), append(parallelWalls, run.Parallel.Wall)
			oursWalls, rereadWalls = append(oursWalls, run.Ours.Wall), append(rereadWalls, run.Reread.Wall)
			mr.snapshotWalls = append(mr.snapshotWalls, run.SnapshotWall)
			if i == 0 {
				mr.Seed, mr.Parallel, mr.Ours, mr.Reread = run.Seed, run.Parallel, run.Ours, run.Reread
			}
			if mi == 0 && i == 0 {
				continue
			}
			// Counts do not depend on timing; a run that differs means the
			// bench is not measuring what it thinks.
			first := sr.Models
			if mi == 0 {
				first = []ModelResult{mr}
			}
			f := first[0]
			if run.Seed.ToolCalls != f.Seed.ToolCalls || run.Seed.Requests != f.Seed.Requests || run.Parallel.ToolCalls != f.Parallel.ToolCalls ||
				run.Parallel.Requests.Total != f.Parallel.Requests.Total || run.Ours.Requests != f.Ours.Requests || run.Reread.Requests != f.Reread.Requests {
				return sr, fmt.Errorf("run %d under %s made other calls or requests than the first run", i+1, m)
			}
		}
		mr.Seed.Walls, mr.Parallel.Walls, mr.Ours.Walls, mr.Reread.Walls = seedWalls, parallelWalls, oursWalls, rereadWalls
		mr.Seed.Wall, mr.Parallel.Wall, mr.Ours.Wall, mr.Reread.Wall = median(seedWalls), median(parallelWalls), median(oursWalls), median(rereadWalls)
		mr.SnapshotWall = median(mr.snapshotWalls)
		sr.Models = append(sr.Models, mr)
	}
	first := sr.Models[0]
	sr.Seed, sr.Parallel, sr.Ours, sr.Reread, sr.SnapshotWall = first.Seed, first.Parallel, first.Ours, first.Reread, first.SnapshotWall
	return sr, nil
}

// runWays syncs fresh worlds of the scenario the seed's way one call at a
// time, then side by side, then ours, then ours with a change log it
// cannot read. Each run plans first (the model's Phase 3-4 answer, not
// counted) and times one lookup alone (SnapshotWall). The first run also
// records the plan, the limit and the counts of the checks.
func runWays(ctx context.Context, sr *ScenarioResult, m LatencyModel, first bool) (ModelResult, error) {
	run := ModelResult{Model: m}
	fx := sr.Fixture
	seedWorld, err := newWorldModel(ctx, fx, m)
	if err != nil {
		return run, err
	}
	defer seedWorld.close()
	plan, err := seedWorld.plan(ctx)
	if err != nil {
		return run, err
	}
	if !plan.DeviceFound || plan.InSync() {
		return run, fmt.Errorf("the fixture should plan changes to a recorded device")
	}
	if first {
		sr.Plan, sr.Limit = plan, physicalLimit(fx, plan)
	}
	if run.Seed, err = runSeed(ctx, seedWorld, plan, false); err != nil {
		return run, fmt.Errorf("the seed's way: %w", err)
	}
	if sr.SeedResidue, err = seedWorld.residue(ctx); err != nil {
		return run, err
	}

	parallelWorld, err := newWorldModel(ctx, fx, m)
	if err != nil {
		return run, err
	}
	defer parallelWorld.close()
	if run.Parallel, err = runSeed(ctx, parallelWorld, plan, true); err != nil {
		return run, fmt.Errorf("the seed's way, %d calls at a time: %w", SideBySide, err)
	}
	if n, err := parallelWorld.residue(ctx); err != nil || n != 0 {
		return run, fmt.Errorf("the seed's way, %d calls at a time: %d changes left (%v)", SideBySide, n, err)
	}

	oursWorld, err := newWorldModel(ctx, fx, m)
	if err != nil {
		return run, err
	}
	defer oursWorld.close()
	// One lookup of the host, timed alone: the stale check repeats it.
	start := time.Now()
	if _, err := oursWorld.nb.SnapshotFor(ctx, engine.LookupQuery(fx.Host, diffOptions())); err != nil {
		return run, err
	}
	run.SnapshotWall = time.Since(start)
	sr.SnapshotRequests = len(oursWorld.sim.Requests())
	oursWorld.resetRequests()
	if run.Ours, err = runOurs(ctx, oursWorld); err != nil {
		return run, fmt.Errorf("ours: %w", err)
	}
	if sr.OursResidue, err = oursWorld.residue(ctx); err != nil {
		return run, err
	}
	sr.InSyncRequests = oursWorld.checkRequests
	if sr.SeedResidue != 0 || sr.OursResidue != 0 {
		return run, fmt.Errorf("a sync did not converge: a fresh diff finds %d changes after the seed's way, %d after ours", sr.SeedResidue, sr.OursResidue)
	}

	rereadWorld, err := newWorldModel(ctx, fx, m)
	if err != nil {
		return run, err
	}
	defer rereadWorld.close()
	if err := rereadWorld.sim.AddFault(netboxsim.Fault{Path: "/api/core/object-changes/", Status: http.StatusForbidden}); err != nil {
		return run, err
	}
	if run.Reread, err = runOurs(ctx, rereadWorld); err != nil {
		return run, fmt.Errorf("ours, without the change log: %w", err)
	}
	if n, err := rereadWorld.residue(ctx); err != nil || n != 0 {
		return run, fmt.Errorf("ours, without the change log: %d changes left (%v)", n, err)
	}
	return run, nil
}

// Target thresholds: the project's targets for a sync of the large host
// against the seed's way, and for the differ, memory and discovery. They
// stay as set; a baseline that got stronger may make one missed, and the
// report says so.
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

// agentName names a seed agent in the report.
func agentName(way string) string {
	if way == WaySeedParallel {
		return fmt.Sprintf("the seed's agent %d calls at a time", SideBySide)
	}
	return "the seed's agent one call at a time"
}

// wallRatio is seed/ours wall time for one agent under one latency model.
type wallRatio struct {
	way        string
	model      LatencyModel
	seed, ours time.Duration
	turns      int
}

func (w wallRatio) ratio() float64 { return ratio(float64(w.seed), float64(w.ours)) }

func (w wallRatio) String() string {
	return fmt.Sprintf("%s, %s", agentName(w.way), w.model)
}

// wallRatios are the wall-time ratios of a scenario, the weakest (the
// strongest baseline) first.
func wallRatios(sr *ScenarioResult) []wallRatio {
	var out []wallRatio
	for _, m := range sr.Models {
		out = append(out,
			wallRatio{way: WaySeed, model: m.Model, seed: m.Seed.Wall, ours: m.Ours.Wall, turns: m.Seed.Turns},
			wallRatio{way: WaySeedParallel, model: m.Model, seed: m.Parallel.Wall, ours: m.Ours.Wall, turns: m.Parallel.Turns})
	}
	slices.SortStableFunc(out, func(a, b wallRatio) int { return cmpFloat(a.ratio(), b.ratio()) })
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// waitRatio is seed/ours of the time a user waits for a finished sync:
// model turns at cost each, plus the wall time under the last latency
// model.
func waitRatio(sr *ScenarioResult, cost time.Duration, way string) (seed, ours time.Duration) {
	m := sr.Models[len(sr.Models)-1]
	sd := m.Seed
	if way == WaySeedParallel {
		sd = m.Parallel
	}
	return time.Duration(sd.Turns)*cost + sd.Wall, time.Duration(m.Ours.Turns)*cost + m.Ours.Wall
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
		ts = append(ts, Target{Name: "large host targets", Want: "see BENCHMARKS.md", Why: "not checked: scenario " + ScenarioLargeHost + " not run"})
	} else {
		s, par, o := large.Seed, large.Parallel, large.Ours
		both := "both seed agents"
		if par.ToolCalls != s.ToolCalls {
			both = agentName(WaySeedParallel)
		}
		calls := atLeast("large host: agent tool calls, seed/ours", ratio(float64(min(s.ToolCalls, par.ToolCalls)), float64(o.ToolCalls)), wantCallsRatio, "")
		calls.Against = fmt.Sprintf("%s (the same calls; in model turns, %d and %d against our %d: %.1fx and %.1fx)", both,
			s.Turns, par.Turns, o.Turns, ratio(float64(s.Turns), float64(o.Turns)), ratio(float64(par.Turns), float64(o.Turns)))
		ts = append(ts, calls)
		reqs := atLeast("large host: NetBox requests, seed/ours", ratio(float64(min(s.Requests.Total, par.Requests.Total)), float64(o.Requests.Total)), wantRequestsRatio,
			fmt.Sprintf("even a sync at the physical limit (%d requests) would be %.1fx", large.Limit.Total(), ratio(float64(min(s.Requests.Total, par.Requests.Total)), float64(large.Limit.Total()))))
		reqs.Against = both + " (the same requests)"
		ts = append(ts, reqs)
		mult := ratio(float64(o.Requests.Total), float64(large.Limit.Total()))
		lt := Target{Name: "large host: our NetBox requests / physical limit", Want: fmt.Sprintf("<= %gx", wantLimitMultiple),
			Got: fmt.Sprintf("%.2fx (%d / %d)", mult, o.Requests.Total, large.Limit.Total()), Met: mult <= wantLimitMultiple, Checked: true}
		if !lt.Met && o.Ours != nil {
			lt.Why = fmt.Sprintf("over by %.0f%%: the stale check made %d requests (1 when the change log clears the plan), the lookup reads %d more than the limit's 6, and apply sends %d writes for %d (endpoint, verb) pairs",
				100*(mult/wantLimitMultiple-1), o.Ours.ApplyReads, o.Ours.DiffReads-large.Limit.Reads, o.Ours.ApplyWrites-large.Limit.Journal, large.Limit.Writes)
		}
		ts = append(ts, lt)
		ts = append(ts, wallTarget(r.Options, large))
		bytes := atLeast("large host: tool result bytes to the agent, seed/ours", ratio(float64(min(s.ResultBytes, par.ResultBytes)), float64(o.ResultBytes)), wantBytesRatio,
			"our results list every change")
		if d := o.Ours; d != nil && !bytes.Met {
			bytes.Why = fmt.Sprintf("short by %.0f%%: the diff's report_markdown (%s) lists every change, the apply's changes[] (%s) its failures and skips, and each result is sent as text and again as structuredContent",
				100*(1-ratio(float64(min(s.ResultBytes, par.ResultBytes)), float64(o.ResultBytes))/wantBytesRatio), kb(d.ReportMarkdownBytes), kb(d.ApplyChangesBytes))
		}
		bytes.Against = both + " (the same results)"
		ts = append(ts, bytes)
	}
	if r.Docker.Skipped != "" {
		ts = append(ts, Target{Name: "discovery of real containers, shell/ours", Want: fmt.Sprintf(">= %dx", wantDockerRatio), Why: "not checked: " + r.Docker.Skipped})
	} else {
		d := r.Docker
		t := atLeast(fmt.Sprintf("discovery of %d real containers, shell/ours", d.Started),
			ratio(float64(d.BatchBest()), float64(d.OursMedian())), wantDockerRatio,
			fmt.Sprintf("docker inspect of every container at once (%.0f ms) starts 2 processes, not %d, and is left with the Engine API requests ours makes too, one per container, one after another where ours makes 8 at a time (%.0f ms)",
				ms(d.BatchBest()), d.ShellCommands, ms(d.OursMedian())))
		t.Against = "the fastest shell form, docker ps -aq and one docker inspect of them all"
		t.Old = fmt.Sprintf("%.1fx against docker inspect per container", ratio(float64(d.ShellBest()), float64(d.OursMedian())))
		ts = append(ts, t)
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
		dt.Checked, dt.Met, dt.Why = false, false, "not checked: not the target's size"
	}
	return append(ts, dt)
}

// wallTarget checks the wall-time target against the strongest baseline:
// the seed agent and latency model that give the smallest ratio.
func wallTarget(o Options, large *ScenarioResult) Target {
	name := "large host: wall time, seed/ours"
	rs := wallRatios(large)
	weakest := rs[0]
	var old wallRatio
	for _, w := range rs {
		if w.way == WaySeed && w.model.PerObject == 0 {
			old = w
		}
	}
	if o.Latency <= 0 {
		return Target{Name: name, Want: fmt.Sprintf(">= %dx", wantWallRatio), Got: fmt.Sprintf("%.1fx", weakest.ratio()), Against: weakest.String(),
			Why: "not checked: no latency in this run"}
	}
	t := Target{Name: name, Want: fmt.Sprintf(">= %dx", wantWallRatio), Got: fmt.Sprintf("%.1fx (%.0f / %.0f ms)", weakest.ratio(), ms(weakest.seed), ms(weakest.ours)),
		Against: weakest.String(), Met: weakest.ratio() >= wantWallRatio, Checked: true}
	if old != weakest {
		t.Old = fmt.Sprintf("%.1fx against %s", old.ratio(), old)
	}
	if !t.Met {
		why := fmt.Sprintf("short by %.0f%%: %s", 100*(1-weakest.ratio()/wantWallRatio), weakest)
		if weakest.way == WaySeedParallel {
			why = fmt.Sprintf("short by %.0f%%: side by side, the seed's %d calls wait for NetBox in %d turns, each about as long as one request (%.0f ms in all); ours (%.0f ms) makes %d requests, its lookup and its writes in bulk and side by side",
				100*(1-weakest.ratio()/wantWallRatio), large.Parallel.ToolCalls, weakest.turns, ms(weakest.seed), ms(weakest.ours), large.Ours.Requests.Total)
			if weakest.model.PerObject > 0 {
				why += fmt.Sprintf(", and a bulk write takes %v more per object", weakest.model.PerObject)
			}
		}
		if o.TurnCost > 0 {
			seed, ours := waitRatio(large, o.TurnCost, weakest.way)
			why += fmt.Sprintf("; with %v per model turn the user waits %.1f s against %.1f s (%.1fx)", o.TurnCost, seed.Seconds(), ours.Seconds(), ratio(float64(seed), float64(ours)))
		}
		t.Why = why
	}
	return t
}

// printer writes the report.
type printer struct {
	w        io.Writer
	turnCost time.Duration
}

func (p *printer) logf(format string, args ...any) { fmt.Fprintf(p.w, "# "+format+"\n", args...) }

func (p *printer) header(o Options) {
	var models []string
	for _, m := range o.Models() {
		models = append(models, m.String())
	}
	fmt.Fprintf(p.w, "cmdb-mcp bench: %d scenarios, each synced the seed's way (one call at a time, and %d at a time) and ours against the NetBox simulator with %s\n",
		len(o.Scenarios), SideBySide, strings.Join(models, ", then with "))
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

func (p *printer) scenario(s ScenarioResult) {
	sum := s.Plan.Summary()
	fmt.Fprintf(p.w, "\n== %s: %s\n", s.Fixture.Name, s.Fixture.Description)
	fmt.Fprintf(p.w, "   %d changes planned (%d updates, %d creates, %d removals/offline, %d supporting steps)\n\n",
		sum.Updates+sum.Creates+sum.Removals, sum.Updates, sum.Creates, sum.Removals, len(s.Plan.Changes)-(sum.Updates+sum.Creates+sum.Removals))
	row := func(name, seed, par, ours string, r, rp float64) {
		fmt.Fprintf(p.w, "   %-46s %12s %12s %12s %10s %10s\n", name, seed, par, ours, fmt.Sprintf("%.1fx", r), fmt.Sprintf("%.1fx", rp))
	}
	count := func(name string, seed, par, ours int) {
		row(name, fmt.Sprint(seed), fmt.Sprint(par), fmt.Sprint(ours), ratio(float64(seed), float64(ours)), ratio(float64(par), float64(ours)))
	}
	bytes := func(name string, seed, par, ours int) {
		row(name, kb(seed), kb(par), kb(ours), ratio(float64(seed), float64(ours)), ratio(float64(par), float64(ours)))
	}
	wall := func(name string, seed, par, ours time.Duration) {
		row(name, fmt.Sprintf("%.0f ms", ms(seed)), fmt.Sprintf("%.0f ms", ms(par)), fmt.Sprintf("%.0f ms", ms(ours)), ratio(float64(seed), float64(ours)), ratio(float64(par), float64(ours)))
	}
	fmt.Fprintf(p.w, "   %-46s %12s %12s %12s %10s %10s\n", "", "seed, 1 call", fmt.Sprintf("seed, %d", SideBySide), "ours", "seed/ours", fmt.Sprintf("%d/ours", SideBySide))
	sd, par, o := s.Seed, s.Parallel, s.Ours
	count("agent tool calls", sd.ToolCalls, par.ToolCalls, o.ToolCalls)
	count("model turns (calls made at once are one)", sd.Turns, par.Turns, o.Turns)
	count("NetBox requests", sd.Requests.Total, par.Requests.Total, o.Requests.Total)
	for _, m := range s.Models {
		name := "wall time, " + m.Model.Short()
		if len(m.Seed.Walls) > 1 {
			name += fmt.Sprintf(" (median of %d)", len(m.Seed.Walls))
		}
		wall(name, m.Seed.Wall, m.Parallel.Wall, m.Ours.Wall)
	}
	if cost := p.turnCost; cost > 0 {
		m := s.Models[len(s.Models)-1]
		seed, _ := waitRatio(&s, cost, WaySeed)
		pw, ours := waitRatio(&s, cost, WaySeedParallel)
		row(fmt.Sprintf("time the user waits, %v/turn + wall", cost), fmt.Sprintf("%.1f s", seed.Seconds()), fmt.Sprintf("%.1f s", pw.Seconds()), fmt.Sprintf("%.1f s", ours.Seconds()),
			ratio(float64(seed), float64(ours)), ratio(float64(pw), float64(ours)))
		fmt.Fprintf(p.w, "     (its wall time is the one at %s; a model turn is taken to cost %v, and makes one tool call, or up to %d side by side)\n", m.Model, cost, SideBySide)
	}
	bytes("tool result bytes (JSON)", sd.ResultBytes, par.ResultBytes, o.ResultBytes)
	bytes("  of which text content", sd.TextBytes, par.TextBytes, o.TextBytes)
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
		fmt.Fprintf(p.w, "   ours when the change log cannot clear the plan (here a token without view permission on it: 403), so the stale check reads the host again: %d requests = %.2fx the limit (seed/ours %.1fx), %.0f ms (seed/ours %.1fx, %d/ours %.1fx); wall times %s\n",
			rr.Requests.Total, ratio(float64(rr.Requests.Total), float64(l.Total())), ratio(float64(sd.Requests.Total), float64(rr.Requests.Total)),
			ms(rr.Wall), ratio(float64(sd.Wall), float64(rr.Wall)), SideBySide, ratio(float64(par.Wall), float64(rr.Wall)), durations(rr.Walls))
		fmt.Fprintf(p.w, "     our results hold report_markdown %s (every change, once) and the apply's changes[] %s (failures and skips); each result is sent as text and again as structuredContent, as MCP asks\n",
			kb(d.ReportMarkdownBytes), kb(d.ApplyChangesBytes))
	}
	for _, way := range []WayResult{sd, par} {
		var phases []string
		for _, ph := range way.PhaseOrder {
			phases = append(phases, fmt.Sprintf("%s %d calls / %d requests / %.0f ms", ph, way.PhaseCalls[ph], way.PhaseRequests[ph], ms(way.PhaseWall[ph])))
		}
		fmt.Fprintf(p.w, "   %s: %s; %d tool errors\n", agentName(way.Way), strings.Join(phases, ", "), way.ToolErrors)
	}
	fmt.Fprintf(p.w, "     tools whose calls made more than one request each: %s\n", beyondOne(sd))
	fmt.Fprintf(p.w, "     NetBox answered the seed's calls with %s of JSON: what the model would read if the tools passed NetBox's JSON through (ours: %s, never shown to the model)\n",
		kb(int(sd.NetBoxBytes)), kb(int(o.NetBoxBytes)))
	fmt.Fprintf(p.w, "     its largest results: %s\n", largest(sd.BytesByTool, 3))
	fmt.Fprintf(p.w, "   all converge: a fresh diff finds %d changes after the seed's way, %d after ours; DELETE requests: %d / %d / %d; NetBox errors: %d / %d / %d\n",
		s.SeedResidue, s.OursResidue, sd.Requests.Deletes, par.Requests.Deletes, o.Requests.Deletes, sd.Requests.Failed, par.Requests.Failed, o.Requests.Failed)
	fmt.Fprintf(p.w, "   that fresh diff after ours, of a host NetBox now records: %d requests (the limit counts %d reads)\n", s.InSyncRequests, s.Limit.Reads)
	if len(sd.Walls) > 1 {
		for _, m := range s.Models {
			fmt.Fprintf(p.w, "   wall times of the runs at %s: seed's way %s; %d at a time %s; ours %s\n", m.Model, durations(m.Seed.Walls), SideBySide, durations(m.Parallel.Walls), durations(m.Ours.Walls))
		}
	}
	if m := s.Models[0].Model; m.PerRequest == 0 && m.PerObject == 0 {
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
	fmt.Fprintf(p.w, "   %s; %d containers started in %v; cmdb-mcp found %d, the shell commands inspected %d\n",
		d.Engine, d.Started, d.Setup.Round(time.Second), d.Containers, d.ShellContainers)
	fmt.Fprintf(p.w, "   cmdb-mcp (Engine API: 1 list + %d inspects, 8 at a time): %s -> median %.0f ms\n", d.Containers, durations(d.Ours), ms(d.OursMedian()))
	fmt.Fprintf(p.w, "   seed's shell, fastest form (docker inspect $(docker ps -aq): 2 commands, %s of output for the agent to read): %s -> best %.0f ms\n",
		kb(d.BatchBytes), durations(d.Batch), ms(d.BatchBest()))
	fmt.Fprintf(p.w, "   seed's shell, one by one (docker ps -a + docker inspect per container, %d commands, %s of output): %s -> best %.0f ms\n",
		d.ShellCommands, kb(d.ShellBytes), durations(d.Shell), ms(d.ShellBest()))
	fmt.Fprintf(p.w, "   shell/ours: %.1fx against the fastest form, %.1fx against one by one\n",
		ratio(float64(d.BatchBest()), float64(d.OursMedian())), ratio(float64(d.ShellBest()), float64(d.OursMedian())))
}

func (p *printer) targets(ts []Target) {
	fmt.Fprintf(p.w, "\n== targets (the project's; each ratio against the strongest baseline measured)\n")
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
		if t.Against != "" {
			line += " against " + t.Against
		}
		if t.Old != "" {
			line += "; " + t.Old
		}
		if t.Why != "" {
			line += " (" + t.Why + ")"
		}
		fmt.Fprintln(p.w, line)
	}
	fmt.Fprintf(p.w, "   %d met, %d missed, %d not checked\n", met, missed, len(ts)-met-missed)
}

// beyondOne names the tools whose calls made more NetBox requests than
// calls, with both counts.
func beyondOne(w WayResult) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(w.CallsByTool)) {
		if n, calls := w.RequestsByTool[name], w.CallsByTool[name]; n > calls {
			out = append(out, fmt.Sprintf("%s %d calls / %d requests", name, calls, n))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
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
