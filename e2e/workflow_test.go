package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Transports the workflow tests run over.
const (
	overStdio = "stdio"
	overHTTP  = "http"
)

// Protocol eras: the 2025 revision has the initialize handshake and
// server-initiated elicitation/create; the 2026 one is stateless and asks
// for input by returning an input request the client answers on retry.
var protocols = []struct{ name, version string }{
	{"2025-11-25", "2025-11-25"},
	{"2026-07-28", "2026-07-28"},
}

// serveSession runs `cmdb-mcp serve args...` against nb over the transport
// and connects an official-SDK client with copts.
func serveSession(t *testing.T, ctx context.Context, nb *netBox, transport, protocol string, copts *sdk.ClientOptions, args ...string) *sdk.ClientSession {
	t.Helper()
	var tr sdk.Transport
	switch transport {
	case overStdio:
		cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
		cmd.Env = nb.env()
		captureStderr(t, cmd)
		tr = &sdk.CommandTransport{Command: cmd}
	case overHTTP:
		srv := serveHTTPForTest(t, nb.env(), args...)
		tr = &sdk.StreamableClientTransport{Endpoint: srv.url, HTTPClient: srv.client, MaxRetries: -1}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "cmdb-mcp-e2e", Version: "0"}, copts)
	session, err := c.Connect(ctx, tr, &sdk.ClientSessionOptions{ProtocolVersion: protocol})
	require.NoError(t, err)
	t.Cleanup(func() { _ = session.Close() })
	require.Equal(t, "cmdb-mcp", session.InitializeResult().ServerInfo.Name)
	return session
}

// toolResult calls a tool and returns its result, failing on a protocol error.
func toolResult(t *testing.T, ctx context.Context, session *sdk.ClientSession, params *sdk.CallToolParams) *sdk.CallToolResult {
	t.Helper()
	res, err := session.CallTool(ctx, params)
	require.NoError(t, err, params.Name)
	return res
}

func resultText(res *sdk.CallToolResult) string {
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	return strings.Join(text, "\n")
}

// promptText gets the cmdb_sync prompt in a mode and returns its text.
func promptText(t *testing.T, ctx context.Context, session *sdk.ClientSession, mode string) string {
	t.Helper()
	list, err := session.ListPrompts(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
	}
	require.Contains(t, names, "cmdb_sync")
	res, err := session.GetPrompt(ctx, &sdk.GetPromptParams{Name: "cmdb_sync", Arguments: map[string]string{"mode": mode}})
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	tc, ok := res.Messages[0].Content.(*sdk.TextContent)
	require.True(t, ok)
	return tc.Text
}

// user is the person behind an elicitation-capable client.
type user struct {
	mu       sync.Mutex
	approve  bool
	asked    int
	messages []string
}

func (u *user) elicit(_ context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.asked++
	u.messages = append(u.messages, req.Params.Message)
	if !u.approve {
		return &sdk.ElicitResult{Action: "decline"}, nil
	}
	return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"apply": true}}, nil
}

// progress collects progress notifications.
type progress struct {
	mu    sync.Mutex
	steps []*sdk.ProgressNotificationParams
}

func (p *progress) handle(_ context.Context, req *sdk.ProgressNotificationClientRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steps = append(p.steps, req.Params)
}

func (p *progress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s []string
	for _, st := range p.steps {
		s = append(s, fmt.Sprintf("%v/%v %s", st.Progress, st.Total, st.Message))
	}
	return "[" + strings.Join(s, "; ") + "]"
}

// done reports whether every step 1..m of m arrived. Notifications can
// arrive out of order over streamable HTTP, so their order is not checked.
func (p *progress) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.steps) == 0 || p.steps[0].Total <= 0 {
		return false
	}
	total := p.steps[0].Total
	seen := map[float64]bool{}
	for _, st := range p.steps {
		seen[st.Progress] = true
	}
	for i := 1.0; i <= total; i++ {
		if !seen[i] {
			return false
		}
	}
	return true
}

// TestSyncPromptWorkflow drives the cmdb_sync prompt's default workflow as
// an agent does, with a client that supports elicitation (the user
// accepts, or declines) and with one that does not (confirm flag), over
// stdio and streamable HTTP, in both protocol eras: acceptance point 3.
func TestSyncPromptWorkflow(t *testing.T) {
	cases := []struct {
		name string
		// elicit: the client supports elicitation and the user answers
		// approve; otherwise the agent asks in the chat.
		elicit  bool
		approve bool
	}{
		{name: "elicitation accepted", elicit: true, approve: true},
		{name: "elicitation declined", elicit: true, approve: false},
		{name: "no elicitation: confirm flag"},
	}
	for _, transport := range []string{overStdio, overHTTP} {
		for _, proto := range protocols {
			for _, tc := range cases {
				t.Run(transport+"/"+proto.name+"/"+tc.name, func(t *testing.T) {
					nb := staleNetBox(t)
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					u := &user{approve: tc.approve}
					prog := &progress{}
					copts := &sdk.ClientOptions{ProgressNotificationHandler: prog.handle}
					if tc.elicit {
						copts.ElicitationHandler = u.elicit
					}
					session := serveSession(t, ctx, nb, transport, proto.version, copts)

					// The prompt says what to do; the agent does it.
					text := promptText(t, ctx, session, "default")
					for _, step := range []string{"cmdb_sync_diff", "report_markdown", "cmdb_sync_apply", "confirm=true", "cmdb_register"} {
						assert.Contains(t, text, step)
					}

					// Phases 1-4.
					plan := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{"mode": "default"})
					require.False(t, plan.InSync, plan.ReportMarkdown)
					require.NotEmpty(t, plan.PlanID)
					assert.Contains(t, plan.ReportMarkdown, "## Sync Diff Report")

					// Confirmation, then Phases 5-6.
					params := &sdk.CallToolParams{Name: "cmdb_sync_apply", Arguments: map[string]any{"plan_id": plan.PlanID}}
					params.SetProgressToken("apply-" + plan.PlanID)
					if !tc.elicit {
						// Without being told the user agreed, nothing is written.
						res := toolResult(t, ctx, session, params)
						require.True(t, res.IsError, resultText(res))
						assert.Contains(t, resultText(res), "confirm=true")
						nb.checkUntouched(t)
						// The agent showed the report; the user said yes.
						params.Arguments = map[string]any{"plan_id": plan.PlanID, "confirm": true}
					}
					applied := callToolParams[tools.SyncApplyOutput](t, ctx, session, params)

					if tc.elicit {
						require.Equal(t, 1, u.asked, "the user is asked once")
						assert.Contains(t, u.messages[0], nb.host.Hostname)
						assert.Contains(t, u.messages[0], "Nothing is deleted")
					}
					if tc.elicit && !tc.approve {
						assert.True(t, applied.Declined)
						assert.Zero(t, applied.Applied)
						nb.checkUntouched(t)
						return
					}
					assert.False(t, applied.Declined)
					assert.NotZero(t, applied.Applied)
					assert.Zero(t, applied.Failed, "%+v", applied.Changes)
					assert.NotZero(t, applied.JournalEntryID)
					require.Eventually(t, prog.done, 10*time.Second, 20*time.Millisecond, "no progress notification reached step m of m: %s", prog)

					again := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
					assert.True(t, again.InSync, again.ReportMarkdown)
					nb.checkSynced(t)
				})
			}
		}
	}
}

// callToolParams is callTool with full parameters (a progress token).
func callToolParams[T any](t *testing.T, ctx context.Context, session *sdk.ClientSession, params *sdk.CallToolParams) T {
	t.Helper()
	args, _ := params.Arguments.(map[string]any)
	if params.Meta == nil {
		return callTool[T](t, ctx, session, params.Name, args)
	}
	res := toolResult(t, ctx, session, params)
	require.False(t, res.IsError, "%s: %s", params.Name, resultText(res))
	return decodeStructured[T](t, res)
}

// checkUntouched checks that no sync write reached NetBox.
func (nb *netBox) checkUntouched(t *testing.T) {
	t.Helper()
	dev, err := nb.admin.GetDevice(context.Background(), nb.deviceID)
	require.NoError(t, err)
	assert.Equal(t, "planned", dev.Status, "written without confirmation")
	for _, r := range nb.Sim.Requests() {
		if r.Method != http.MethodGet {
			assert.Contains(t, seedPaths, r.Path, "a write without confirmation: %s %s", r.Method, r.Path)
		}
	}
}

// seedPaths are where staleNetBox's own writes go.
var seedPaths = []string{
	"/api/dcim/sites/", "/api/dcim/manufacturers/", "/api/dcim/device-types/", "/api/dcim/device-roles/",
	"/api/dcim/platforms/", "/api/dcim/devices/",
}

func TestDryRunOverMCP(t *testing.T) {
	nb := staleNetBox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := serveSession(t, ctx, nb, overStdio, "", nil)

	text := promptText(t, ctx, session, "dry-run")
	assert.Contains(t, text, "Dry run complete. No changes applied.")
	assert.NotContains(t, text, "call cmdb_sync_apply with")

	out := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{"mode": "dry-run"})
	assert.False(t, out.InSync)
	assert.Empty(t, out.PlanID)
	assert.Contains(t, out.ReportMarkdown, "## Sync Diff Report")
	assert.True(t, strings.HasSuffix(out.NextStep, "Dry run complete. No changes applied."), out.NextStep)
	nb.checkUntouched(t)
}

// TestReadOnlyServe is acceptance point 2 on the binary: --read-only (and
// its variable) leaves no write tool in tools/list, and calling one by
// name fails.
func TestReadOnlyServe(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
	}{
		{name: "flag", args: []string{"--read-only"}},
		{name: "variable", env: "CMDB_READ_ONLY=true"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := staleNetBox(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if tt.env != "" {
				nb.extraEnv = append(nb.extraEnv, tt.env)
			}
			session := serveSession(t, ctx, nb, overStdio, "", nil, tt.args...)
			list, err := session.ListTools(ctx, nil)
			require.NoError(t, err)
			listed := map[string]bool{}
			for _, tool := range list.Tools {
				listed[tool.Name] = true
				assert.True(t, tool.Annotations.ReadOnlyHint, "%s writes", tool.Name)
			}
			assert.True(t, listed["cmdb_sync_diff"])
			assert.False(t, listed["cmdb_sync_apply"])

			plan := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
			for _, name := range []string{"cmdb_sync_apply", "dcim_update_device", "extras_create_journal_entry"} {
				_, err := session.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: map[string]any{"plan_id": plan.PlanID, "confirm": true, "id": nb.deviceID, "status": "active"}})
				require.Error(t, err, name)
			}
			assert.Contains(t, promptText(t, ctx, session, "default"), "Dry run complete. No changes applied.")
			nb.checkUntouched(t)
		})
	}
}

func TestToolsetsServe(t *testing.T) {
	nb := staleNetBox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := serveSession(t, ctx, nb, overStdio, "", nil, "--toolsets", "netbox-read")
	list, err := session.ListTools(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, list.Tools)
	for _, tool := range list.Tools {
		assert.True(t, strings.HasPrefix(tool.Name, "dcim_") || strings.HasPrefix(tool.Name, "ipam_") || strings.HasPrefix(tool.Name, "virt_"), tool.Name)
		assert.True(t, tool.Annotations.ReadOnlyHint, tool.Name)
	}
	_, err = session.CallTool(ctx, &sdk.CallToolParams{Name: "cmdb_sync_diff", Arguments: map[string]any{}})
	require.Error(t, err)
}

// decodeStructured decodes a result's structured content.
func decodeStructured[T any](t *testing.T, res *sdk.CallToolResult) T {
	t.Helper()
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}
