package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// agent is an MCP client of a cmdb-mcp server (all tools, as `serve` offers
// them) that counts what an agent would pay for: tool calls, model turns,
// and the bytes of the tool results it receives. Calls may run side by
// side (do); the counters are guarded by mu.
type agent struct {
	c  *client.Client
	mu sync.Mutex
	// total are the tool calls; turns the model turns that made them: one
	// per call for an agent that makes one call at a time, one per round
	// of calls made side by side.
	total int
	turns int
	// resultBytes is the JSON of every CallToolResult as a client receives
	// it (content and structuredContent); textBytes only its text content,
	// which is what most clients put in the model's context.
	resultBytes int
	textBytes   int
	toolErrors  int
	// bytesByTool is resultBytes per tool name; callsByTool and
	// requestsByTool the calls and their NetBox requests, of the calls
	// made one per turn (call).
	bytesByTool    map[string]int
	callsByTool    map[string]int
	requestsByTool map[string]int
	// phase is the workflow phase the calls are attributed to; calls,
	// NetBox requests and time inside the turns are counted per phase.
	phase         string
	phaseOrder    []string
	phaseCalls    map[string]int
	phaseRequests map[string]int
	phaseWall     map[string]time.Duration
	// requests returns how many NetBox requests were made so far; nil when
	// nobody counts them.
	requests func() int
}

// setPhase attributes the turns that follow, their calls and their NetBox
// requests, to phase.
func (a *agent) setPhase(phase string) {
	a.phase = phase
	if _, seen := a.phaseCalls[phase]; !seen {
		a.phaseOrder = append(a.phaseOrder, phase)
		a.phaseCalls[phase] = 0
	}
}

// newAgent starts a cmdb-mcp server on nb, whose discovery returns host,
// behind an in-process MCP client; requests counts NetBox requests for the
// per-phase figures (nil: not counted). The in-process transport costs
// nothing per call, which favours the way that makes more calls: over stdio
// or HTTP every call costs more.
func newAgent(ctx context.Context, nb *netbox.Client, h host.Host, requests func() int) (*agent, error) {
	// The seed's way runs as the seed has it, one NetBox call per tool:
	// the write scope's ownership reads would add requests the seed's
	// workflow does not make, so the figures stay comparable.
	s := server.New(engineFor(nb, h), nb, server.Options{Version: "bench", WriteScope: tools.WriteScopeAny})
	c, err := client.NewInProcessClient(s)
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cmdb-mcp-bench", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		_ = c.Close()
		return nil, err
	}
	return &agent{c: c, phaseCalls: map[string]int{}, phaseRequests: map[string]int{}, phaseWall: map[string]time.Duration{},
		bytesByTool: map[string]int{}, callsByTool: map[string]int{}, requestsByTool: map[string]int{}, requests: requests}, nil
}

func (a *agent) close() { _ = a.c.Close() }

// call is one model turn that makes one tool call; see do. Its NetBox
// requests are counted per tool too.
func (a *agent) call(ctx context.Context, name string, args, out any) error {
	var err error
	n := a.turn(func() { err = a.do(ctx, name, args, out) })
	a.mu.Lock()
	defer a.mu.Unlock()
	a.callsByTool[name]++
	a.requestsByTool[name] += n
	return err
}

// turn is one model turn: the calls do makes, one or several side by side.
// Its time and NetBox requests go to the current phase; calls must not
// start outside it, or they would be counted in the wrong place.
// It returns how many NetBox requests the turn made.
func (a *agent) turn(do func()) int {
	before := 0
	if a.requests != nil {
		before = a.requests()
	}
	start := time.Now()
	do()
	wall := time.Since(start)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.turns++
	a.phaseWall[a.phase] += wall
	if a.requests == nil {
		return 0
	}
	n := a.requests() - before
	a.phaseRequests[a.phase] += n
	return n
}

// moreTurns counts n turns whose calls, and time, another turn holds: the
// next page of a list in a round of calls made side by side, which the
// model would ask for in a turn of its own.
func (a *agent) moreTurns(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.turns += n
}

// do calls a tool and decodes its structured output into out (nil: do
// not decode). A tool error is returned as an error with the tool's text.
// It may run beside other calls of the same turn.
func (a *agent) do(ctx context.Context, name string, args, out any) error {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	a.mu.Lock()
	a.total++
	a.phaseCalls[a.phase]++
	a.mu.Unlock()
	res, err := a.c.CallTool(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	wire, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("%s: encode the result: %w", name, err)
	}
	var text []string
	textBytes := 0
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			text = append(text, t.Text)
			textBytes += len(t.Text)
		}
	}
	a.mu.Lock()
	a.resultBytes += len(wire)
	a.bytesByTool[name] += len(wire)
	a.textBytes += textBytes
	if res.IsError {
		a.toolErrors++
	}
	a.mu.Unlock()
	if res.IsError {
		return fmt.Errorf("%s: tool error: %s", name, strings.Join(text, " "))
	}
	if out == nil {
		return nil
	}
	// The in-process transport hands over the handler's value; JSON makes
	// it the type the caller wants, as a remote client would decode it.
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode the output: %w", name, err)
	}
	return nil
}
