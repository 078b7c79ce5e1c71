package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// FuzzToolArguments feeds arbitrary arguments to every tool's handler,
// called directly (no server, so no recovery hides a panic), against the
// simulator with a device, interfaces and addresses the small ids find.
// Every call must end in a result or an error: never a panic, never
// neither; an error result says something; a result marshals to JSON; no
// answer holds the NetBox token.
func FuzzToolArguments(f *testing.F) {
	all, token := fuzzTools(f)
	for i, tool := range all {
		for _, args := range seedArguments(tool.Definition) {
			f.Add(uint8(i), []byte(args))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		tool := all[int(which)%len(all)]
		var args any
		if err := json.Unmarshal(raw, &args); err != nil {
			args = string(raw) // what a client could send is JSON, but be hard on it
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = tool.Definition.Name
		req.Params.Arguments = args
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := tool.Handler(ctx, req)
		var said string
		switch {
		case err != nil:
			said = err.Error()
			if strings.TrimSpace(said) == "" {
				t.Fatalf("%s(%s): an empty error", tool.Definition.Name, raw)
			}
		case res == nil:
			t.Fatalf("%s(%s): neither a result nor an error", tool.Definition.Name, raw)
		default:
			out, merr := json.Marshal(res)
			if merr != nil {
				t.Fatalf("%s(%s): the result does not marshal: %v", tool.Definition.Name, raw, merr)
			}
			said = string(out)
			if res.IsError && len(res.Content) == 0 {
				t.Fatalf("%s(%s): an error result that says nothing", tool.Definition.Name, raw)
			}
		}
		if strings.Contains(said, token) {
			t.Fatalf("%s(%s): the answer holds the NetBox token: %s", tool.Definition.Name, raw, said)
		}
		if strings.Contains(said, "runtime error") || strings.Contains(said, "panic") {
			t.Fatalf("%s(%s): %s", tool.Definition.Name, raw, said)
		}
	})
}

// fuzzTools returns every tool on a simulator seeded with testHost's
// device, two interfaces with a MAC and an address, a cluster and a VM.
func fuzzTools(f *testing.F) ([]tools.Tool, string) {
	srv := simtest.Start(f, netboxsim.Options{ReadOnlyToken: readOnlyToken})
	fx := srv.Seed(f)
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token, Timeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	post := func(path string, body any) int64 {
		var obj struct {
			ID int64 `json:"id"`
		}
		if err := srv.Admin().Do(context.Background(), http.MethodPost, path, nil, body, &obj); err != nil {
			f.Fatalf("POST %s: %v", path, err)
		}
		return obj.ID
	}
	dev := post("/api/dcim/devices/", map[string]any{"name": testHost.Hostname, "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "status": "active"})
	eth0 := post("/api/dcim/interfaces/", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
	post("/api/dcim/interfaces/", map[string]any{"device": dev, "name": "eth1", "type": "1000base-t"})
	post("/api/dcim/mac-addresses/", map[string]any{"mac_address": "02:00:00:00:00:01", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	post("/api/ipam/ip-addresses/", map[string]any{"address": "192.0.2.1/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	ct := post("/api/virtualization/cluster-types/", map[string]any{"name": "Docker Compose", "slug": "docker-compose"})
	cl := post("/api/virtualization/clusters/", map[string]any{"name": "media", "type": ct})
	post("/api/virtualization/virtual-machines/", map[string]any{"name": "media_radarr", "cluster": cl, "status": "active"})

	eng := engine.New(nb, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return testHost, nil }))
	return tools.All(tools.Deps{Engine: eng, NetBox: nb}), srv.Token
}

// seedArguments are a tool's seed corpus: plausible arguments built from
// its input schema (so a new tool gets its own), and shapes no schema
// allows.
func seedArguments(def mcp.Tool) []string {
	raw, _ := json.Marshal(def)
	var parsed struct {
		InputSchema struct {
			Properties map[string]struct {
				Type any      `json:"type"`
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"inputSchema"`
	}
	_ = json.Unmarshal(raw, &parsed)
	typical, wrong, extreme := map[string]any{}, map[string]any{}, map[string]any{}
	for name, p := range parsed.InputSchema.Properties {
		typ := fmt.Sprint(p.Type)
		switch {
		case len(p.Enum) > 0:
			typical[name], wrong[name], extreme[name] = p.Enum[0], 7, strings.Repeat("é", 300)
		case strings.Contains(typ, "integer"):
			typical[name], wrong[name], extreme[name] = 1, "1", -9223372036854775808
		case strings.Contains(typ, "number"):
			typical[name], wrong[name], extreme[name] = 1.5, true, 1e308
		case strings.Contains(typ, "boolean"):
			typical[name], wrong[name], extreme[name] = true, "yes", nil
		default:
			typical[name], wrong[name], extreme[name] = "eth0", 1, "\x00\n' OR 1=1; {{.}} ../../etc/passwd"
		}
	}
	out := []string{`{}`, `null`, `[]`, `"x"`, `{"id":1.5,"limit":-1,"offset":1e20}`}
	for _, m := range []map[string]any{typical, wrong, extreme} {
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}
