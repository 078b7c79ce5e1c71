package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Way names.
const (
	WayOurs = "ours"
	// WaySeed makes the seed workflow's calls one after another, one per
	// model turn; WaySeedParallel makes those that do not depend on each
	// other side by side, up to SideBySide per turn.
	WaySeed         = "seed"
	WaySeedParallel = "seed-parallel"
)

// WayResult is what one way of syncing one scenario cost.
type WayResult struct {
	Way       string
	ToolCalls int
	// Turns are the model turns that made the calls: one per call, or one
	// per round of calls side by side.
	Turns int
	// Calls and Requests per phase, in PhaseOrder.
	PhaseOrder    []string
	PhaseCalls    map[string]int
	PhaseRequests map[string]int
	PhaseWall     map[string]time.Duration
	Requests      RequestCounts
	// NetBoxBytes are the bytes of NetBox's response bodies: what a tool
	// that passed NetBox's JSON through would hand the model.
	NetBoxBytes int64
	// Wall is the time from the first call to the end of the last one;
	// with repeated runs the median of Walls.
	Wall  time.Duration
	Walls []time.Duration
	// ResultBytes is the JSON of the tool results as the client receives
	// them; TextBytes their text content only.
	ResultBytes int
	TextBytes   int
	// ToolErrors are results flagged isError.
	ToolErrors int
	// BytesByTool is ResultBytes per tool. CallsByTool and
	// RequestsByTool are the calls per tool and their NetBox requests,
	// where each call is a turn of its own (none for the agent that calls
	// side by side).
	BytesByTool    map[string]int
	CallsByTool    map[string]int
	RequestsByTool map[string]int
	// Ours only: the parts of the two results, as JSON bytes, and how the
	// requests split between the diff and the apply.
	Ours *OursDetail
}

// OursDetail says where our requests and bytes go.
type OursDetail struct {
	ReportMarkdownBytes int // report_markdown of cmdb_sync_diff
	ApplyChangesBytes   int // changes[] of cmdb_sync_apply
	// DiffReads are the requests of cmdb_sync_diff (all reads);
	// ApplyReads the re-read of the stale check; ApplyWrites the rest,
	// the journal entry included.
	DiffReads, ApplyReads, ApplyWrites int
}

func (a *agent) result(way string, w *world, wall time.Duration) WayResult {
	return WayResult{
		Way: way, ToolCalls: a.total, Turns: a.turns, PhaseOrder: a.phaseOrder, PhaseCalls: a.phaseCalls, PhaseRequests: a.phaseRequests,
		PhaseWall: a.phaseWall, Requests: w.requests(), NetBoxBytes: w.responseBytes(), Wall: wall, ResultBytes: a.resultBytes, TextBytes: a.textBytes, ToolErrors: a.toolErrors,
		BytesByTool: a.bytesByTool, CallsByTool: a.callsByTool, RequestsByTool: a.requestsByTool,
	}
}

// runOurs is the project's way: cmdb_sync_diff, then cmdb_sync_apply with
// the user's confirmation, through an MCP client.
func runOurs(ctx context.Context, w *world) (WayResult, error) {
	return runOursWith(ctx, w, func() int { return len(w.sim.Requests()) })
}

// runOursWith is runOurs; requests counts NetBox requests (nil: not
// counted, as in the memory child, whose simulator is in another process).
func runOursWith(ctx context.Context, w *world, requests func() int) (WayResult, error) {
	a, err := newAgent(ctx, w.nb, w.fx.Host, requests)
	if err != nil {
		return WayResult{}, err
	}
	defer a.close()
	start := time.Now()
	a.setPhase("cmdb_sync_diff")
	var d tools.SyncDiffOutput
	if err := a.call(ctx, "cmdb_sync_diff", tools.SyncDiffInput{}, &d); err != nil {
		return WayResult{}, err
	}
	a.setPhase("cmdb_sync_apply")
	var res tools.SyncApplyOutput
	if err := a.call(ctx, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: d.PlanID, Confirm: true}, &res); err != nil {
		return WayResult{}, err
	}
	wall := time.Since(start)
	if res.Failed+res.Skipped > 0 {
		return WayResult{}, fmt.Errorf("cmdb_sync_apply: %d failed, %d skipped: %s", res.Failed, res.Skipped, res.NextStep)
	}
	out := a.result(WayOurs, w, wall)
	detail := &OursDetail{ReportMarkdownBytes: len(d.ReportMarkdown), ApplyChangesBytes: jsonLen(res.Changes)}
	if w.sim != nil {
		log := w.sim.Requests()
		n := min(a.phaseRequests["cmdb_sync_diff"], len(log))
		detail.DiffReads = n
		for _, r := range log[n:] {
			if r.Method == "GET" {
				detail.ApplyReads++
			} else {
				detail.ApplyWrites++
			}
		}
	}
	out.Ours = detail
	return out, nil
}

// byObject groups changes of one object (same type and id), in the order
// each object first appears.
func byObject(cs []diff.Change) [][]diff.Change {
	type k struct {
		typ string
		id  int64
	}
	idx := map[k]int{}
	var out [][]diff.Change
	for _, c := range cs {
		key := k{c.ObjectType, c.ObjectID}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], c)
	}
	return out
}

func jsonLen(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

func attrsOf(c diff.Change) diff.Attrs {
	if c.Attrs == nil {
		return diff.Attrs{}
	}
	return *c.Attrs
}
