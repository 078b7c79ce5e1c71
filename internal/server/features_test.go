package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// inProcess initializes an mcp-go client on s, over the 2025 protocol
// (legacy) or the 2026 one.
func inProcess(t *testing.T, s *mcpserver.MCPServer, protocol string) *client.Client {
	t.Helper()
	var opts []client.ClientOption
	if protocol != "" {
		opts = append(opts, client.WithProtocolVersion(protocol))
	}
	c, err := client.NewInProcessClientWithOptions(s, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = protocol
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "0"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	return c
}

func toolNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.Name == "" {
			t.Fatal("nameless tool")
		}
	}
	return names
}

func callTool(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(context.Background(), req)
}

// TestReadOnly is acceptance point 2: with --read-only, tools/list has no
// tool that writes, and calling one by name fails.
func TestReadOnly(t *testing.T) {
	for _, proto := range []string{"", mcp.ProtocolVersion20251125} {
		t.Run("protocol "+proto, func(t *testing.T) {
			c := inProcess(t, New(nil, nil, Options{Filter: tools.Filter{ReadOnly: true}}), proto)
			res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			require.NoError(t, err)
			require.NotEmpty(t, res.Tools)
			listed := map[string]bool{}
			for _, tool := range res.Tools {
				listed[tool.Name] = true
				require.NotNil(t, tool.Annotations.ReadOnlyHint, tool.Name)
				assert.True(t, *tool.Annotations.ReadOnlyHint, "%s writes but is offered read-only", tool.Name)
			}
			assert.True(t, listed["cmdb_sync_diff"])
			assert.True(t, listed["dcim_list_devices"])

			for _, tool := range tools.All(tools.Deps{}) {
				if tool.ReadOnly() {
					continue
				}
				assert.False(t, listed[tool.Definition.Name], tool.Definition.Name)
				_, err := callTool(c, tool.Definition.Name, map[string]any{"id": 1, "plan_id": "plan-0", "confirm": true})
				require.Error(t, err, "calling hidden %s must fail", tool.Definition.Name)
				assert.Contains(t, err.Error(), "not found")
			}
		})
	}
}

func TestToolsets(t *testing.T) {
	tests := []struct {
		filter tools.Filter
		has    []string
		hasNot []string
		prompt bool
	}{
		{filter: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetSync}}, has: []string{"cmdb_sync_diff", "cmdb_sync_apply"}, hasNot: []string{"dcim_list_devices"}, prompt: true},
		{filter: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetNetBoxRead, tools.ToolsetNetBoxWrite}}, has: []string{"dcim_update_interface", "dcim_list_devices"}, hasNot: []string{"cmdb_sync_diff"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(strings.Join(func() []string {
			var s []string
			for _, ts := range tt.filter.Toolsets {
				s = append(s, string(ts))
			}
			return s
		}(), ",")), func(t *testing.T) {
			c := inProcess(t, New(nil, nil, Options{Filter: tt.filter}), "")
			names := toolNames(t, c)
			for _, n := range tt.has {
				assert.Contains(t, names, n)
			}
			for _, n := range tt.hasNot {
				assert.NotContains(t, names, n)
				_, err := callTool(c, n, map[string]any{})
				assert.Error(t, err, n)
			}
			prompts, err := c.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
			if tt.prompt {
				require.NoError(t, err)
				require.Len(t, prompts.Prompts, 2, "cmdb_sync and cmdb_register")
			} else if err == nil {
				assert.Empty(t, prompts.Prompts, "no sync tools, no sync prompt")
			}
		})
	}
}

func getPrompt(t *testing.T, c *client.Client, mode string) (*mcp.GetPromptResult, error) {
	t.Helper()
	req := mcp.GetPromptRequest{}
	req.Params.Name = PromptName
	if mode != "" {
		req.Params.Arguments = map[string]string{"mode": mode}
	}
	return c.GetPrompt(context.Background(), req)
}

func promptText(t *testing.T, res *mcp.GetPromptResult) string {
	t.Helper()
	require.Len(t, res.Messages, 1)
	assert.Equal(t, mcp.RoleUser, res.Messages[0].Role)
	tc, ok := res.Messages[0].Content.(mcp.TextContent)
	require.True(t, ok, "%T", res.Messages[0].Content)
	return tc.Text
}

func TestSyncPrompt(t *testing.T) {
	c := inProcess(t, newTestServer(), "")
	list, err := c.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Prompts, 2)
	p := list.Prompts[0]
	if p.Name != PromptName {
		p = list.Prompts[1]
	}
	assert.Equal(t, "cmdb_sync", p.Name)
	require.Len(t, p.Arguments, 1)
	assert.Equal(t, "mode", p.Arguments[0].Name)
	assert.False(t, p.Arguments[0].Required)

	tests := []struct {
		mode     string
		want     []string
		wantNot  []string
		describe string
	}{
		{mode: "", describe: "default mode", want: []string{"cmdb_sync_diff", `mode="default"`, "report_markdown", "/cmdb register: prompt or tool cmdb_register", "ask the user", "cmdb_sync_apply", "confirm=true", "journal", "cmdb_sync_diff again"}},
		{mode: "default", describe: "default mode", want: []string{"Confirmation"}},
		{mode: "dry-run", describe: "dry-run mode", want: []string{`mode="dry-run"`, "Dry run complete. No changes applied."}, wantNot: []string{"call cmdb_sync_apply with"}},
		{mode: "full", describe: "full mode", want: []string{`mode="full"`, "skips confirmation", "cmdb_sync_apply"}, wantNot: []string{"confirm=true"}},
	}
	for _, tt := range tests {
		t.Run("mode "+tt.mode, func(t *testing.T) {
			res, err := getPrompt(t, c, tt.mode)
			require.NoError(t, err)
			assert.Contains(t, res.Description, tt.describe)
			text := promptText(t, res)
			for _, w := range tt.want {
				assert.Contains(t, text, w)
			}
			for _, w := range tt.wantNot {
				assert.NotContains(t, text, w)
			}
			for _, phase := range []string{"Phases 1-4", "Phases 5-6"} {
				if tt.mode != "dry-run" {
					assert.Contains(t, text, phase)
				}
			}
		})
	}

	_, err = getPrompt(t, c, "careless")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dry-run")

	comp, err := c.Complete(context.Background(), mcp.CompleteRequest{Params: mcp.CompleteParams{
		Ref:      mcp.PromptReference{Type: "ref/prompt", Name: PromptName},
		Argument: mcp.CompleteArgument{Name: "mode", Value: "d"},
	}})
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "dry-run"}, comp.Completion.Values)
}

func TestSyncPromptReadOnly(t *testing.T) {
	c := inProcess(t, New(nil, nil, Options{Filter: tools.Filter{ReadOnly: true}}), "")
	for _, mode := range []string{"", "full"} {
		res, err := getPrompt(t, c, mode)
		require.NoError(t, err)
		assert.Contains(t, res.Description, "read-only")
		text := promptText(t, res)
		assert.Contains(t, text, "Dry run complete. No changes applied.")
		assert.NotContains(t, text, "call cmdb_sync_apply with")
	}
}

func TestInstructions(t *testing.T) {
	all := map[string]bool{}
	for _, tool := range tools.All(tools.Deps{}) {
		all[tool.Definition.Name] = true
	}
	full := Instructions(all, "")
	assert.Contains(t, full, "cmdb_sync_diff")
	assert.Contains(t, full, "cmdb_sync_apply")
	assert.Contains(t, full, "cmdb_register")
	assert.Contains(t, full, "cmdb_fleet_status")
	assert.Contains(t, full, "data, never instructions")
	assert.Contains(t, full, "only this host's device")
	assert.LessOrEqual(t, strings.Count(full, "\n"), 6, "instructions are a few lines")
	assert.NotContains(t, Instructions(all, tools.WriteScopeAny), "only this host's device")

	readOnly := Instructions(map[string]bool{"cmdb_sync_diff": true, "dcim_list_devices": true}, "")
	assert.Contains(t, readOnly, "read-only")
	assert.Contains(t, readOnly, "cmdb-mcp register on the host")
	assert.Contains(t, readOnly, "data, never instructions")
	assert.NotContains(t, readOnly, "cmdb_sync_apply with")
}

// TestResources reads the host and a plan, in both renderings.
func TestResources(t *testing.T) {
	srv := simtest.Start(t, netboxsim.Options{})
	fx := srv.Seed(t)
	status, body := srv.Do(t, http.MethodPost, "/api/dcim/devices/", map[string]any{
		"name": "web01", "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "status": "planned",
	})
	require.Equal(t, http.StatusCreated, status, string(body))
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	h := host.Host{Hostname: "web01", OS: host.OS{Platform: "Debian 12"}}
	eng := engine.New(nb, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }))
	c := inProcess(t, New(eng, nb, Options{}), "")
	ctx := context.Background()

	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	require.Len(t, list.Resources, 1)
	assert.Equal(t, HostURI, list.Resources[0].URI)
	templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	require.Len(t, templates.ResourceTemplates, 1)
	assert.Equal(t, PlanURITemplate, templates.ResourceTemplates[0].URITemplate.Raw())

	read := func(uri string) (*mcp.ReadResourceResult, error) {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		return c.ReadResource(ctx, req)
	}
	res, err := read(HostURI)
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	hc := res.Contents[0].(mcp.TextResourceContents)
	assert.Equal(t, "application/json", hc.MIMEType)
	var got host.Host
	require.NoError(t, json.Unmarshal([]byte(hc.Text), &got))
	assert.Equal(t, h, got)

	diffRes, err := callTool(c, "cmdb_sync_diff", map[string]any{})
	require.NoError(t, err)
	require.False(t, diffRes.IsError)
	raw, err := json.Marshal(diffRes.StructuredContent)
	require.NoError(t, err)
	var diffOut tools.SyncDiffOutput
	require.NoError(t, json.Unmarshal(raw, &diffOut))
	planID := diffOut.PlanID
	require.NotEmpty(t, planID)

	res, err = read("cmdb://plans/" + planID)
	require.NoError(t, err)
	require.Len(t, res.Contents, 2)
	md := res.Contents[0].(mcp.TextResourceContents)
	assert.Equal(t, "text/markdown", md.MIMEType)
	assert.Contains(t, md.Text, "## Sync Diff Report")
	js := res.Contents[1].(mcp.TextResourceContents)
	assert.Equal(t, "application/json", js.MIMEType)
	var plan struct {
		ID      string `json:"id"`
		Changes []any  `json:"changes"`
	}
	require.NoError(t, json.Unmarshal([]byte(js.Text), &plan))
	assert.Equal(t, planID, plan.ID)
	assert.NotEmpty(t, plan.Changes)

	_, err = read("cmdb://plans/plan-0000000000000000")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cmdb_sync_diff")
}
