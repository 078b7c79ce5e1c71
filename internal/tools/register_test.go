package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// writes lists the requests of the log that were not reads.
func (h *harness) writes() []string {
	var out []string
	for _, r := range h.sim.Sim.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestRegisterWithoutElicitation: a client that cannot ask the user gets
// NetBox's choices in an isError result, then the plan and its report,
// and registers only with the plan_id and confirm=true; the diff after it
// is in sync, and a second register is refused.
func TestRegisterWithoutElicitation(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.sim.Sim.ResetRequests()

	msg := toolError(t, h.call(t, "cmdb_register", tools.RegisterInput{}))
	for _, want := range []string{"Nothing was written", "needs a site, a role and a device type",
		fmt.Sprintf("Sites (1): %q", "Site "+h.fixture.Suffix), fmt.Sprintf("Device roles (1): %q", "Role "+h.fixture.Suffix),
		"This host's hardware: Dell Inc. PowerEdge R640.", `create_device_type=true creates device type "PowerEdge R640" (slug poweredge-r640) of manufacturer "Dell Inc." (new, slug dell-inc)`} {
		assert.Contains(t, msg, want)
	}

	msg = toolError(t, h.call(t, "cmdb_register", tools.RegisterInput{Site: "Nowhere", Role: "role-" + h.fixture.Suffix}))
	assert.Contains(t, msg, `NetBox has no site "Nowhere"`)

	dry := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", tools.RegisterInput{
		Site: "site-" + h.fixture.Suffix, Role: "Role " + h.fixture.Suffix, CreateDeviceType: true, DryRun: true}))
	assert.Empty(t, dry.PlanID)
	assert.True(t, strings.HasSuffix(dry.NextStep, tools.DryRunDone), dry.NextStep)
	assert.Contains(t, dry.ReportMarkdown, "## Register Report")

	in := tools.RegisterInput{Site: "site-" + h.fixture.Suffix, Role: "Role " + h.fixture.Suffix, CreateDeviceType: true}
	plan := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", in))
	require.NotEmpty(t, plan.PlanID)
	assert.False(t, plan.Registered)
	assert.Equal(t, "web01", plan.Device.Name)
	assert.Contains(t, plan.ReportMarkdown, "| Device type | PowerEdge R640 (new in NetBox, slug poweredge-r640) |")
	assert.Contains(t, plan.NextStep, "confirm=true")
	assert.Equal(t, 4, plan.Summary.Creates, "manufacturer, device type, device, platform")

	msg = toolError(t, h.call(t, "cmdb_register", tools.RegisterInput{PlanID: plan.PlanID}))
	assert.Contains(t, msg, "confirm=true")
	assert.Empty(t, h.writes(), "nothing is written before the user agreed")

	done := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", tools.RegisterInput{PlanID: plan.PlanID, Confirm: true}))
	assert.True(t, done.Registered)
	assert.NotZero(t, done.Device.ID)
	assert.Len(t, done.Created, 3)
	assert.NotZero(t, done.Applied)
	assert.Zero(t, done.Failed)
	assert.Empty(t, done.Problems)
	assert.Contains(t, done.NextStep, "cmdb_sync_diff")

	after := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
	assert.True(t, after.InSync, after.ReportMarkdown)

	msg = toolError(t, h.call(t, "cmdb_register", in))
	assert.Contains(t, msg, `device "web01"`)
	assert.Contains(t, msg, "not registered again")
	assert.Contains(t, msg, "sync it instead (cmdb_sync_diff)")
	msg = toolError(t, h.call(t, "cmdb_register", tools.RegisterInput{PlanID: plan.PlanID, Confirm: true}))
	assert.Contains(t, msg, "unknown or expired register plan_id")
}

// answerer plays the user of an elicitation-capable client: it picks the
// first option of every choice (the device type to create when offered)
// and confirms unless told to decline.
type answerer struct {
	mu       sync.Mutex
	messages []string
	schemas  []map[string]any
	decline  string // "choices" or "confirm": the form the user declines
}

func (a *answerer) elicit(req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.messages = append(a.messages, req.Params.Message)
	// As the client receives it: JSON (in process, the 2025 bridge hands
	// over the server's Go values).
	raw, err := json.Marshal(req.Params.RequestedSchema)
	if err != nil {
		return nil, err
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		return nil, err
	}
	a.schemas = append(a.schemas, schema)
	props, _ := schema["properties"].(map[string]any)
	content := map[string]any{}
	form := "choices"
	for name, p := range props {
		if name == "register" {
			form = "confirm"
			content[name] = true
			continue
		}
		options, _ := p.(map[string]any)["enum"].([]any)
		if len(options) > 0 {
			content[name] = options[0]
		}
	}
	if a.decline == form {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}, nil
	}
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: content}}, nil
}

// TestRegisterWithElicitation: a client that supports elicitation is
// asked for the site, role and device type with NetBox's options, then to
// confirm the plan, all in one call, in both protocol eras; a decline at
// either form writes nothing.
func TestRegisterWithElicitation(t *testing.T) {
	for _, proto := range []string{"", mcp.ProtocolVersion20251125} {
		era := "2026"
		if proto != "" {
			era = "2025"
		}
		t.Run(era, func(t *testing.T) {
			a := &answerer{}
			h := newHarness(t, harnessOptions{protocol: proto, elicit: a.elicit})
			out := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", tools.RegisterInput{}))
			require.True(t, out.Registered, out.NextStep)
			require.Len(t, a.schemas, 2, "choices, then confirmation")

			props := a.schemas[0]["properties"].(map[string]any)
			assert.Equal(t, []any{"Site " + h.fixture.Suffix}, props["site"].(map[string]any)["enum"])
			assert.Equal(t, []any{"Role " + h.fixture.Suffix}, props["role"].(map[string]any)["enum"])
			assert.Equal(t, []any{"Create: Dell Inc. PowerEdge R640", "Manufacturer " + h.fixture.Suffix + " Model " + h.fixture.Suffix},
				props["device_type"].(map[string]any)["enum"])
			assert.Contains(t, a.messages[0], "Dell Inc. PowerEdge R640")
			assert.Contains(t, a.messages[1], "Register web01 in NetBox?")
			assert.Contains(t, a.messages[1], "site Site "+h.fixture.Suffix)
			assert.Contains(t, a.messages[1], "(new device type)")

			dev, err := h.nb.GetDevice(context.Background(), out.Device.ID)
			require.NoError(t, err)
			assert.Equal(t, "PowerEdge R640", dev.DeviceType.Name)
			assert.Equal(t, h.fixture.SiteID, dev.Site.ID)
			after := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
			assert.True(t, after.InSync, after.ReportMarkdown)
		})
		for _, form := range []string{"choices", "confirm"} {
			t.Run(era+"/declined at "+form, func(t *testing.T) {
				a := &answerer{decline: form}
				h := newHarness(t, harnessOptions{protocol: proto, elicit: a.elicit})
				h.sim.Sim.ResetRequests()
				out := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", tools.RegisterInput{}))
				assert.True(t, out.Declined)
				assert.False(t, out.Registered)
				assert.Contains(t, out.NextStep, "nothing was written")
				assert.Empty(t, h.writes())
			})
		}
	}
}

// TestRegisterMatchedDeviceType: hardware whose device type NetBox has
// is not asked about, and given site and role nothing is asked but the
// confirmation.
func TestRegisterMatchedDeviceType(t *testing.T) {
	a := &answerer{}
	hw := testHost
	h := newHarness(t, harnessOptions{host: &hw, elicit: a.elicit})
	mfr := h.post(t, "/api/dcim/manufacturers/", namedSlug{Name: "Dell", Slug: "dell"})
	dt := h.post(t, "/api/dcim/device-types/", map[string]any{"manufacturer": mfr, "model": "PowerEdge R640", "slug": "poweredge-r640"})
	out := decode[tools.RegisterOutput](t, h.call(t, "cmdb_register", tools.RegisterInput{Site: "Site " + h.fixture.Suffix, Role: "Role " + h.fixture.Suffix}))
	require.True(t, out.Registered)
	require.Len(t, a.schemas, 1, "only the confirmation")
	assert.NotContains(t, a.messages[0], "new device type")
	dev, err := h.nb.GetDevice(context.Background(), out.Device.ID)
	require.NoError(t, err)
	assert.Equal(t, dt, dev.DeviceType.ID)
}

// TestRegisterRefusesBySerial: a device with this host's serial under
// another name is reported, and nothing is written.
func TestRegisterRefusesBySerial(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.device(t, deviceBody{Name: "old-web", Serial: testHost.Hardware.Serial})
	h.sim.Sim.ResetRequests()
	msg := toolError(t, h.call(t, "cmdb_register", tools.RegisterInput{Site: "Site " + h.fixture.Suffix, Role: "Role " + h.fixture.Suffix}))
	assert.Contains(t, msg, `device "old-web"`)
	assert.Contains(t, msg, "has this host's serial")
	assert.Contains(t, msg, `cmdb_sync_diff with hostname "old-web"`)
	assert.Empty(t, h.writes())
}

// TestFleetStatusTool: the fleet status over MCP, bounded by limit.
func TestFleetStatusTool(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for i := range 3 {
		h.device(t, deviceBody{Name: fmt.Sprintf("host-%d", i)})
	}
	out := decode[tools.FleetStatusOutput](t, h.call(t, "cmdb_fleet_status", tools.FleetStatusInput{Limit: 2}))
	assert.Equal(t, 3, out.Counts.Devices)
	assert.Equal(t, 3, out.Counts.Never)
	assert.Equal(t, "7d", out.MaxAge)
	require.Len(t, out.Devices, 2)
	assert.Equal(t, "never", out.Devices[0].State)
	assert.Equal(t, "host-0", out.Devices[0].Name)
	assert.Equal(t, map[string]int{"never": 1}, out.Omitted)
	assert.Contains(t, out.NextStep, "3 never")

	assert.Contains(t, toolError(t, h.call(t, "cmdb_fleet_status", tools.FleetStatusInput{MaxAge: "a week"})), "use days (7d)")
	assert.Contains(t, toolError(t, h.call(t, "cmdb_fleet_status", tools.FleetStatusInput{Limit: 5000})), "limit 5000")

	// A synced device counts as ok.
	id := h.staleDevice(t)
	p := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{Mode: "full"}))
	decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID}))
	out = decode[tools.FleetStatusOutput](t, h.call(t, "cmdb_fleet_status", tools.FleetStatusInput{MaxAge: "36h"}))
	assert.Equal(t, 1, out.Counts.OK, "%+v", out)
	assert.Equal(t, "36h0m0s", out.MaxAge)
	for _, d := range out.Devices {
		assert.NotEqual(t, id, d.ID)
	}
}

// TestRegisterResultOutputBounded: past the listed problems, one note
// says how many more there are, however many outcomes they have.
func TestRegisterResultOutputBounded(t *testing.T) {
	var res engine.RegisterResult
	for i := range 51 {
		res.Sync.Changes = append(res.Sync.Changes, apply.ChangeResult{Outcome: apply.OutcomeFailed, Message: "refused",
			Change: diff.Change{Action: diff.ActionCreate, ObjectType: diff.ObjectIPAddress, Object: fmt.Sprintf("192.0.2.%d/24", i)}})
	}
	res.Sync.Changes = append(res.Sync.Changes, apply.ChangeResult{Outcome: apply.OutcomeSkipped, Message: "depends",
		Change: diff.Change{Action: diff.ActionCreate, ObjectType: diff.ObjectInterface, Object: "eth9"}})
	out := tools.RegisterResultOutput(res)
	assert.Len(t, out.Problems, 50)
	var more []string
	for _, n := range out.Notes {
		if strings.Contains(n, "more failed or skipped") {
			more = append(more, n)
		}
	}
	assert.Equal(t, []string{"2 more failed or skipped changes: the first sync's journal entry lists them all."}, more)
}
