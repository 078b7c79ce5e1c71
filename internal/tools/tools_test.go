package tools_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

const snapDir = "__toolsnaps__"

// TestToolSnapshots fails when what a model sees of a tool (name,
// description, schemas, annotations) changes without the snapshot being
// refreshed, so that such a change shows up in review. Refresh with
// UPDATE_TOOLSNAPS=true go test ./internal/tools.
func TestToolSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") == "true"
	seen := map[string]bool{}
	for _, tool := range tools.All(tools.Deps{}) {
		name := tool.Definition.Name
		seen[name+".snap"] = true
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(tool.Definition, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			path := filepath.Join(snapDir, name+".snap")
			if update {
				require.NoError(t, os.MkdirAll(snapDir, 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				t.Fatalf("no snapshot %s: run UPDATE_TOOLSNAPS=true go test ./internal/tools and review it", path)
			}
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got), "tool %s drifted from %s: if intended, run UPDATE_TOOLSNAPS=true go test ./internal/tools and commit the snapshot", name, path)
		})
	}

	entries, err := os.ReadDir(snapDir)
	require.NoError(t, err)
	for _, e := range entries {
		if !seen[e.Name()] {
			if update {
				require.NoError(t, os.Remove(filepath.Join(snapDir, e.Name())))
				continue
			}
			t.Errorf("%s/%s has no tool: remove it (UPDATE_TOOLSNAPS=true removes it)", snapDir, e.Name())
		}
	}
}

// listTools serves the tools f allows from a real MCP server and lists
// them through an in-process client, so the test sees what a client sees.
func listTools(t *testing.T, f tools.Filter) (*mcp.ListToolsResult, []byte) {
	t.Helper()
	s := server.NewMCPServer("test", "0")
	tools.Register(s, tools.Select(tools.All(tools.Deps{}), f))
	c, err := client.NewInProcessClient(s)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "0"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	raw, err := json.Marshal(res)
	require.NoError(t, err)
	return res, raw
}

// TestToolAnnotations fails when a tool leaves a behaviour hint to the
// client's default (destructive, open world) or contradicts itself.
func TestToolAnnotations(t *testing.T) {
	res, _ := listTools(t, tools.Filter{})
	require.Len(t, res.Tools, len(tools.All(tools.Deps{})))
	for _, tool := range res.Tools {
		a := tool.Annotations
		assert.NotNil(t, a.ReadOnlyHint, "%s: readOnlyHint not set", tool.Name)
		assert.NotNil(t, a.DestructiveHint, "%s: destructiveHint not set", tool.Name)
		assert.NotNil(t, a.IdempotentHint, "%s: idempotentHint not set", tool.Name)
		assert.NotNil(t, a.OpenWorldHint, "%s: openWorldHint not set", tool.Name)
		assert.NotEmpty(t, a.Title, "%s: no title", tool.Name)
		if a.ReadOnlyHint != nil && a.DestructiveHint != nil {
			assert.False(t, *a.ReadOnlyHint && *a.DestructiveHint, "%s is both read-only and destructive", tool.Name)
		}
		// The name says what the hints must say.
		verb := strings.SplitN(strings.SplitN(tool.Name, "_", 2)[1], "_", 2)[0]
		switch verb {
		case "list", "get", "discover", "fleet":
			assert.True(t, *a.ReadOnlyHint, "%s reads, but is not readOnlyHint", tool.Name)
		case "create", "update", "apply", "register":
			assert.False(t, *a.ReadOnlyHint, "%s writes, but is readOnlyHint", tool.Name)
		}
		if verb == "register" {
			assert.False(t, *a.DestructiveHint, "%s adds this host's device and overwrites nothing", tool.Name)
		}
		if verb == "update" || verb == "apply" {
			assert.True(t, *a.DestructiveHint, "%s overwrites NetBox values, but is not destructiveHint", tool.Name)
		}
	}
}

// toolListBudget bounds tools/list for the default configuration: every
// tool definition is in the model's context on every turn. It was 22 KB
// before cmdb_register and cmdb_fleet_status (4 KB), the data-not-
// instructions notes (1 KB) and the output schema every tool that returns
// structured content declares (11 KB).
const toolListBudget = 40 << 10

// TestToolListSize measures and records the size of tools/list.
func TestToolListSize(t *testing.T) {
	for _, tt := range []struct {
		name   string
		filter tools.Filter
	}{
		{"default", tools.Filter{}},
		{"read-only", tools.Filter{ReadOnly: true}},
		{"sync", tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetSync}}},
	} {
		res, raw := listTools(t, tt.filter)
		t.Logf("tools/list %s: %d tools, %d bytes of JSON", tt.name, len(res.Tools), len(raw))
		assert.LessOrEqual(t, len(raw), toolListBudget, "tools/list (%s) grew past %d bytes: shorten descriptions or schemas", tt.name, toolListBudget)
	}
}

// seedTools are the tools the seed workflow and its error table name.
var seedTools = []string{
	"dcim_list_devices", "dcim_get_device", "dcim_update_device", "dcim_list_interfaces",
	"dcim_create_interface", "dcim_update_interface", "ipam_list_ip_addresses", "ipam_create_ip_address",
	"ipam_update_ip_address", "virt_list_clusters", "virt_list_vms", "virt_create_vm", "virt_update_vm",
	"extras_create_journal_entry",
	"dcim_list_sites", "dcim_list_device_roles", "dcim_list_device_types", "dcim_list_platforms",
	"dcim_create_platform", "dcim_list_mac_addresses", "dcim_create_mac_address",
	"virt_list_cluster_types", "virt_create_cluster_type", "virt_create_cluster",
	"cmdb_discover", "cmdb_sync_diff", "cmdb_sync_apply", "cmdb_register", "cmdb_fleet_status",
}

// TestToolNames checks that the seed's tool names all exist, and nothing else.
func TestToolNames(t *testing.T) {
	var names []string
	for _, tool := range tools.All(tools.Deps{}) {
		name := tool.Definition.Name
		names = append(names, name)
		assert.Regexp(t, `^(dcim|ipam|virt|extras|cmdb)_[a-z_]+$`, name)
		assert.NotEmpty(t, tool.Definition.Description, name)
		assert.NotNil(t, tool.Handler, name)
		assert.False(t, strings.HasSuffix(tool.Definition.Description, " "), name)
	}
	assert.ElementsMatch(t, seedTools, names)
}

// TestSchemas checks what the schema generator adds to jsonschema-go.
func TestSchemas(t *testing.T) {
	defs := map[string]mcp.Tool{}
	for _, tool := range tools.All(tools.Deps{}) {
		defs[tool.Definition.Name] = tool.Definition
	}
	schema := func(name string) map[string]any {
		var s map[string]any
		require.NoError(t, json.Unmarshal(defs[name].RawInputSchema, &s), name)
		return s["properties"].(map[string]any)
	}
	// One type per field, for schema dialects without type arrays; the
	// description says that null (which the arguments check still takes)
	// clears, and so does 0 or "".
	ip := schema("ipam_update_ip_address")
	assert.Equal(t, "string", ip["assigned_object_type"].(map[string]any)["type"])
	assert.Contains(t, ip["assigned_object_type"].(map[string]any)["description"], "null")
	assert.Equal(t, "integer", ip["assigned_object_id"].(map[string]any)["type"])
	dev := schema("dcim_update_device")
	assert.Equal(t, "integer", dev["primary_ip4"].(map[string]any)["type"])
	assert.Contains(t, dev["primary_ip4"].(map[string]any)["description"], "null or 0 clears")
	assert.Equal(t, "string", dev["serial"].(map[string]any)["type"], "an optional pointer is not nullable")
	assert.Contains(t, dev["status"].(map[string]any)["enum"], "offline")
	diff := schema("cmdb_sync_diff")
	assert.Equal(t, []any{"default", "dry-run", "full"}, diff["mode"].(map[string]any)["enum"])

	// Every tool returns structured content, so every tool declares its
	// shape.
	for name, def := range defs {
		assert.NotNil(t, def.RawOutputSchema, "%s returns structured content without an output schema", name)
	}
	// No type arrays anywhere in the inputs.
	for name, def := range defs {
		assert.NotContains(t, string(def.RawInputSchema), `"type":[`, name)
	}
}

func TestFilter(t *testing.T) {
	all := tools.All(tools.Deps{})
	names := func(ts []tools.Tool) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Definition.Name)
		}
		return out
	}
	tests := []struct {
		name    string
		filter  tools.Filter
		has     []string
		hasNot  []string
		allowed func(tools.Tool) bool
	}{
		{
			name:    "default offers everything",
			allowed: func(tools.Tool) bool { return true },
		},
		{
			name:    "read-only offers only readOnlyHint tools",
			filter:  tools.Filter{ReadOnly: true},
			has:     []string{"cmdb_sync_diff", "cmdb_discover", "dcim_list_devices", "ipam_list_ip_addresses"},
			hasNot:  []string{"cmdb_sync_apply", "dcim_update_interface", "extras_create_journal_entry"},
			allowed: func(t tools.Tool) bool { return *t.Definition.Annotations.ReadOnlyHint },
		},
		{
			name:    "netbox-read",
			filter:  tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetNetBoxRead}},
			has:     []string{"dcim_list_devices", "virt_list_vms"},
			hasNot:  []string{"cmdb_sync_diff", "dcim_update_device"},
			allowed: func(t tools.Tool) bool { return t.Toolset() == tools.ToolsetNetBoxRead },
		},
		{
			name:    "sync and netbox-write",
			filter:  tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetSync, tools.ToolsetNetBoxWrite}},
			has:     []string{"cmdb_sync_apply", "dcim_update_interface"},
			hasNot:  []string{"dcim_list_devices"},
			allowed: func(t tools.Tool) bool { return t.Toolset() != tools.ToolsetNetBoxRead },
		},
		{
			name:    "read-only sync",
			filter:  tools.Filter{ReadOnly: true, Toolsets: []tools.Toolset{tools.ToolsetSync}},
			has:     []string{"cmdb_sync_diff", "cmdb_discover"},
			hasNot:  []string{"cmdb_sync_apply"},
			allowed: func(t tools.Tool) bool { return t.Toolset() == tools.ToolsetSync && t.ReadOnly() },
		},
		{
			name:   "read-only netbox-write is empty",
			filter: tools.Filter{ReadOnly: true, Toolsets: []tools.Toolset{tools.ToolsetNetBoxWrite}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(tools.Select(all, tt.filter))
			for _, n := range tt.has {
				assert.Contains(t, got, n)
			}
			for _, n := range tt.hasNot {
				assert.NotContains(t, got, n)
			}
			for _, tool := range all {
				want := tt.allowed != nil && tt.allowed(tool)
				assert.Equal(t, want, slices.Contains(got, tool.Definition.Name), tool.Definition.Name)
			}
		})
	}
	// Every tool is in exactly one toolset, and the toolsets cover them all.
	var union []string
	for _, ts := range tools.Toolsets {
		union = append(union, names(tools.Select(all, tools.Filter{Toolsets: []tools.Toolset{ts}}))...)
	}
	assert.ElementsMatch(t, names(all), union)
}

func TestParseToolsets(t *testing.T) {
	tests := []struct {
		in      string
		want    []tools.Toolset
		wantErr bool
	}{
		{"", nil, false},
		{"all", nil, false},
		{"sync", []tools.Toolset{tools.ToolsetSync}, false},
		{"netbox-read, sync,netbox-read", []tools.Toolset{tools.ToolsetNetBoxRead, tools.ToolsetSync}, false},
		{"NetBox-Write", []tools.Toolset{tools.ToolsetNetBoxWrite}, false},
		{"dcim", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tools.ParseToolsets(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "netbox-read, netbox-write, sync")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Markers of the generated tool table in README.md.
const (
	readmeBegin = "<!-- tools:begin -->"
	readmeEnd   = "<!-- tools:end -->"
)

// TestReadmeToolTable fails when README.md's tool table differs from the
// registry. UPDATE_README=true rewrites it.
func TestReadmeToolTable(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(raw)
	begin, end := strings.Index(readme, readmeBegin), strings.Index(readme, readmeEnd)
	require.True(t, begin >= 0 && end > begin, "README.md has no %s ... %s markers around the tool table", readmeBegin, readmeEnd)
	want := readmeBegin + "\n" + tools.MarkdownTable(tools.All(tools.Deps{})) + readmeEnd
	got := readme[begin : end+len(readmeEnd)]
	if os.Getenv("UPDATE_README") == "true" {
		require.NoError(t, os.WriteFile(path, []byte(readme[:begin]+want+readme[end+len(readmeEnd):]), 0o644))
		return
	}
	assert.Equal(t, want, got, "README.md's tool table drifted from the registry: run UPDATE_README=true go test ./internal/tools -run TestReadmeToolTable")
}

// Every tool that reads NetBox or the host says that what it returns from
// them is data, never instructions.
func TestReadToolsSayDataIsNotInstructions(t *testing.T) {
	for _, tool := range tools.All(tools.Deps{}) {
		if tool.ReadOnly() || tool.Toolset() == tools.ToolsetSync {
			assert.True(t, strings.HasSuffix(tool.Definition.Description, tools.DataNotInstructions), tool.Definition.Name)
		}
	}
}
