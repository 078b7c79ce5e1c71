package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// The hardware the register tests give this host (through HOST_SYS), so
// that the device type matched or created does not depend on the machine.
const (
	testVendor  = "Acme Computer Inc."
	testProduct = "Rocket 9000"
	testSerial  = "SN-E2E-REGISTER"
)

// registerNetBox starts a simulator that has no device for this host, and
// points the binary's discovery at DMI that says testVendor testProduct.
// With matched, NetBox has that device type (manufacturer "Acme").
func registerNetBox(t *testing.T, matched bool) (*netBox, simtest.Fixture) {
	t.Helper()
	h, err := thisHost()
	require.NoError(t, err)
	require.NotEmpty(t, h.Hostname, "this host has no discoverable name")
	srv := simtest.Start(t, suiteSimOptions())
	fx := srv.Seed(t)
	admin, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	if matched {
		mfr := srv.Create(t, "dcim/manufacturers", map[string]any{"name": "Acme", "slug": "acme"})
		srv.Create(t, "dcim/device-types", map[string]any{"manufacturer": mfr, "model": testProduct, "slug": "rocket-9000"})
	}

	root := t.TempDir()
	dmi := filepath.Join(root, "class", "dmi", "id")
	require.NoError(t, os.MkdirAll(dmi, 0o755))
	for name, v := range map[string]string{"sys_vendor": testVendor, "product_name": testProduct, "product_serial": testSerial} {
		require.NoError(t, os.WriteFile(filepath.Join(dmi, name), []byte(v+"\n"), 0o644))
	}
	// The interfaces' facts stay the machine's.
	require.NoError(t, os.Symlink("/sys/class/net", filepath.Join(root, "class", "net")))
	return &netBox{Server: srv, admin: admin, host: h, extraEnv: []string{"HOST_SYS=" + root}}, fx
}

// registerUser is the person behind an elicitation-capable client: they
// pick the site and role named, the device type to create (or the one
// NetBox has), and confirm.
type registerUser struct {
	site, role string
	mu         sync.Mutex
	forms      []map[string]any
	messages   []string
}

func (u *registerUser) elicit(_ context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	raw, err := json.Marshal(req.Params.RequestedSchema)
	if err != nil {
		return nil, err
	}
	var schema struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil, err
	}
	var form map[string]any
	_ = json.Unmarshal(raw, &form)
	u.forms = append(u.forms, form)
	u.messages = append(u.messages, req.Params.Message)
	content := map[string]any{}
	for name, p := range schema.Properties {
		switch name {
		case "register":
			content[name] = true
		case "site":
			content[name] = u.site
		case "role":
			content[name] = u.role
		case "device_type":
			content[name] = p.Enum[0] // the one to create comes first
		}
	}
	return &sdk.ElicitResult{Action: "accept", Content: content}, nil
}

// TestRegisterOverMCP: an agent registers this host through cmdb_register
// with the official Go SDK as the client: with elicitation (the user picks
// site, role and the device type to create, then confirms, all within one
// call) over stdio and streamable HTTP in both protocol eras; the diff after
// it is in sync, on MCP and on the command line (exit 0), and a second
// register is refused.
func TestRegisterOverMCP(t *testing.T) {
	for _, transport := range []string{overStdio, overHTTP} {
		for _, proto := range protocols {
			t.Run(transport+"/"+proto.name, func(t *testing.T) {
				nb, fx := registerNetBox(t, false)
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				defer cancel()
				u := &registerUser{site: "Site " + fx.Suffix, role: "Role " + fx.Suffix}
				session := serveSession(t, ctx, nb, transport, proto.version, &sdk.ClientOptions{ElicitationHandler: u.elicit})

				out := callTool[tools.RegisterOutput](t, ctx, session, "cmdb_register", map[string]any{})
				require.True(t, out.Registered, out.NextStep)
				require.Len(t, u.forms, 2, "the choices, then the confirmation")
				choices := fmt.Sprint(u.forms[0])
				assert.Contains(t, choices, "Site "+fx.Suffix)
				assert.Contains(t, choices, "Role "+fx.Suffix)
				assert.Contains(t, choices, "Create: "+testVendor+" "+testProduct)
				assert.Contains(t, u.messages[1], "Register "+nb.host.Hostname+" in NetBox?")

				dev, err := nb.admin.GetDevice(ctx, out.Device.ID)
				require.NoError(t, err)
				assert.Equal(t, nb.host.Hostname, dev.Name)
				assert.Equal(t, testProduct, dev.DeviceType.Name)
				assert.Equal(t, testSerial, dev.Serial)
				assert.Equal(t, fx.SiteID, dev.Site.ID)
				nb.deviceID = dev.ID
				nb.host.Hardware.Serial = testSerial
				nb.checkSynced(t)

				again := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
				assert.True(t, again.InSync, again.ReportMarkdown)
				code, stdout, stderr := cli(t, nb.env(), "", "diff")
				assert.Equal(t, 0, code, "the diff after a register exits 0:\n%s%s", stdout, stderr)

				res := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "cmdb_register", Arguments: map[string]any{}})
				require.True(t, res.IsError, resultText(res))
				assert.Contains(t, resultText(res), "is not registered again")
				assert.Contains(t, resultText(res), "cmdb_sync_diff")
			})
		}
	}
}

// TestRegisterWithoutElicitation: with a client that cannot ask, the
// agent gets NetBox's choices as an isError result, then the plan and its
// report, and registers with the plan_id and confirm=true; the device
// type NetBox has is matched from the hardware.
func TestRegisterWithoutElicitation(t *testing.T) {
	nb, fx := registerNetBox(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	session := serveSession(t, ctx, nb, overStdio, "", nil)
	from := len(nb.Sim.Requests())

	res := toolResult(t, ctx, session, &sdk.CallToolParams{Name: "cmdb_register", Arguments: map[string]any{}})
	require.True(t, res.IsError)
	msg := resultText(res)
	assert.Contains(t, msg, "needs a site and a role", "the device type is matched, so not asked for")
	assert.Contains(t, msg, `"Site `+fx.Suffix+`"`)
	assert.Contains(t, msg, `"Role `+fx.Suffix+`"`)

	plan := callTool[tools.RegisterOutput](t, ctx, session, "cmdb_register", map[string]any{"site": "Site " + fx.Suffix, "role": "role-" + fx.Suffix})
	require.NotEmpty(t, plan.PlanID)
	assert.Contains(t, plan.ReportMarkdown, "| Device type | "+testProduct+" |")
	assert.Contains(t, plan.ReportMarkdown, "| Manufacturer | Acme |")
	res = toolResult(t, ctx, session, &sdk.CallToolParams{Name: "cmdb_register", Arguments: map[string]any{"plan_id": plan.PlanID}})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "confirm=true")
	for _, r := range nb.Sim.Requests()[from:] {
		assert.Equal(t, http.MethodGet, r.Method, "nothing is written before the user agreed: %s %s", r.Method, r.Path)
	}

	done := callTool[tools.RegisterOutput](t, ctx, session, "cmdb_register", map[string]any{"plan_id": plan.PlanID, "confirm": true})
	require.True(t, done.Registered)
	assert.Zero(t, done.Failed)
	assert.Equal(t, []string{fmt.Sprintf("device %s (id %d)", nb.host.Hostname, done.Device.ID)}, done.Created, "nothing else is created")
	after := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
	assert.True(t, after.InSync, after.ReportMarkdown)
}

// TestRegisterCommandLine: 'cmdb-mcp register' without a terminal needs
// its choices and --yes; with them it registers, and 'cmdb-mcp diff' then
// exits 0.
func TestRegisterCommandLine(t *testing.T) {
	nb, fx := registerNetBox(t, false)
	code, _, stderr := cli(t, nb.env(), "", "register")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--create-device-type creates "+testVendor+" "+testProduct)
	code, _, stderr = cli(t, nb.env(), "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--create-device-type")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--yes")
	code, stdout, stderr := cli(t, nb.env(), "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--create-device-type", "--yes")
	require.Equal(t, 0, code, "%s%s", stdout, stderr)
	assert.Contains(t, stdout, "## Register Report")
	assert.Contains(t, stdout, "Registered "+nb.host.Hostname)
	code, stdout, stderr = cli(t, nb.env(), "", "diff")
	assert.Equal(t, 0, code, "%s%s", stdout, stderr)
	code, _, stderr = cli(t, nb.env(), "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--yes")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "is not registered again")
}

// TestFleetStatusOverMCP: cmdb_fleet_status through the binary over 1,000
// devices with their journal entries answers in at most 5 NetBox
// requests, counted in the simulator's log.
func TestFleetStatusOverMCP(t *testing.T) {
	nb, fx := registerNetBox(t, false)
	devices := make([]map[string]any, 1000)
	for i := range devices {
		devices[i] = map[string]any{"name": fmt.Sprintf("fleet-%04d", i), "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID}
	}
	ids := bulkCreate(t, nb, "dcim/devices", devices)
	var entries []map[string]any
	for i, id := range ids[:800] {
		kind := "success"
		if i%10 == 0 {
			kind = "warning"
		}
		entries = append(entries, map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": id, "kind": kind,
			"comments": "Device synced via /cmdb sync command\n\nChanges applied:\n- status: planned -> active (UPDATE)"})
	}
	old := bulkCreate(t, nb, "extras/journal-entries", entries[:200])
	require.NoError(t, nb.Sim.Backdate("extras/journal-entries", 10*24*time.Hour, old...))
	bulkCreate(t, nb, "extras/journal-entries", entries[200:])

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	session := serveSession(t, ctx, nb, overStdio, "", nil)
	nb.Sim.ResetRequests()
	out := callTool[tools.FleetStatusOutput](t, ctx, session, "cmdb_fleet_status", map[string]any{"limit": 10})
	requests := nb.Sim.Requests()
	var lines []string
	for _, r := range requests {
		lines = append(lines, r.Method+" "+r.Path+"?"+r.Query)
	}
	assert.LessOrEqual(t, len(requests), 5, strings.Join(lines, "\n"))
	t.Logf("cmdb_fleet_status over %d devices: %d NetBox requests", out.Counts.Devices, len(requests))
	assert.Equal(t, 1000, out.Counts.Devices)
	assert.Equal(t, 200, out.Counts.Stale)
	assert.Equal(t, 60, out.Counts.Failed)
	assert.Equal(t, 540, out.Counts.OK)
	assert.Equal(t, 200, out.Counts.Never)
	assert.Len(t, out.Devices, 30)
	assert.Equal(t, map[string]int{"failed": 50, "stale": 190, "never": 190}, out.Omitted)
}

// bulkCreate creates objects in one request and returns their ids.
func bulkCreate(t *testing.T, nb *netBox, route string, objs []map[string]any) []int64 {
	t.Helper()
	return nb.Bulk(t, route, objs)
}
