package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// agent is an MCP client of a cmdb-mcp server (all tools, as `serve` offers
// them) that counts what an agent would pay for: tool calls, and the bytes
// of the tool results it receives.
type agent struct {
	c     *client.Client
	total int
	// resultBytes is the JSON of every CallToolResult as a client receives
	// it (content and structuredContent); textBytes only its text content,
	// which is what most clients put in the model's context.
	resultBytes int
	textBytes   int
	toolErrors  int
	// bytesByTool is resultBytes per tool name.
	bytesByTool map[string]int
	// phase is the workflow phase the calls are attributed to; calls,
	// NetBox requests and time inside the calls are counted per phase.
	phase         string
	phaseOrder    []string
	phaseCalls    map[string]int
	phaseRequests map[string]int
	phaseWall     map[string]time.Duration
	// requests returns how many NetBox requests were made so far; nil when
	// nobody counts them.
	requests func() int
}

// setPhase attributes the calls that follow, and their NetBox requests, to
// phase.
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
	return &agent{c: c, phaseCalls: map[string]int{}, phaseRequests: map[string]int{}, bytesByTool: map[string]int{}, phaseWall: map[string]time.Duration{}, requests: requests}, nil
}

func (a *agent) close() { _ = a.c.Close() }

// call calls a tool and decodes its structured output into out (nil: do
// not decode). A tool error is returned as an error with the tool's text.
func (a *agent) call(ctx context.Context, name string, args, out any) error {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	a.total++
	a.phaseCalls[a.phase]++
	before := 0
	if a.requests != nil {
		before = a.requests()
	}
	start := time.Now()
	res, err := a.c.CallTool(ctx, req)
	a.phaseWall[a.phase] += time.Since(start)
	if a.requests != nil {
		a.phaseRequests[a.phase] += a.requests() - before
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	wire, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("%s: encode the result: %w", name, err)
	}
	a.resultBytes += len(wire)
	a.bytesByTool[name] += len(wire)
	var text []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			text = append(text, t.Text)
			a.textBytes += len(t.Text)
		}
	}
	if res.IsError {
		a.toolErrors++
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
