package tools_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

func TestDiscover(t *testing.T) {
	// Addresses are netip values that marshal as strings: the output
	// schema must say so, or the harness's validation fails the call.
	discovered := testHost
	addr := netip.MustParsePrefix("192.0.2.10/24")
	discovered.Network = host.Network{
		Interfaces: []host.Interface{{
			Name: "eth0", Index: 2, Type: "1000base-t", TypeReason: "test", MAC: "52:54:00:12:34:56",
			MTU: 1500, AdminUp: true, OperState: "up", IPv4: []netip.Prefix{addr},
		}},
		PrimaryIPv4: addr,
	}
	h := newHarness(t, harnessOptions{host: &discovered})
	for _, args := range []any{nil, tools.DiscoverInput{}} {
		got := decode[host.Host](t, h.call(t, "cmdb_discover", args))
		assert.Equal(t, discovered, got)
	}
}

func TestSyncDiff(t *testing.T) {
	inSync := func(t *testing.T, h *harness) int64 {
		p := h.platform(t, "Ubuntu 24.04 LTS", "ubuntu-24-04-lts")
		return h.device(t, deviceBody{Name: "web01", Status: "active", Platform: p, Serial: testHost.Hardware.Serial})
	}
	tests := []struct {
		name  string
		seed  func(t *testing.T, h *harness) int64
		args  tools.SyncDiffInput
		check func(t *testing.T, h *harness, id int64, out tools.SyncDiffOutput)
	}{
		{
			name: "stale device: plan, report and the next step",
			seed: func(t *testing.T, h *harness) int64 { return h.staleDevice(t) },
			check: func(t *testing.T, h *harness, id int64, out tools.SyncDiffOutput) {
				assert.False(t, out.InSync)
				assert.Equal(t, tools.ModeDefault, out.Mode)
				assert.NotEmpty(t, out.PlanID)
				assert.Equal(t, id, out.Device.ID)
				assert.Equal(t, testHost.Hostname, out.Device.Name)
				assert.Equal(t, fmt.Sprintf("%s/dcim/devices/%d/", h.sim.URL, id), out.Device.URL)
				assert.Equal(t, diff.Summary{Updates: 3, Creates: 1}, out.Summary)
				assert.Contains(t, out.ReportMarkdown, "| Status | planned | active | UPDATE |")
				assert.Contains(t, out.ReportMarkdown, "## Sync Diff Report")
				assert.Contains(t, out.ReportMarkdown, "Ubuntu 24.04 LTS")
				assert.Contains(t, out.NextStep, "cmdb_sync_apply")
				assert.Contains(t, out.NextStep, out.PlanID)
				assert.Contains(t, out.NextStep, "confirm=true")
			},
		},
		{
			name: "dry run: the report, no plan, and the seed's last words",
			seed: func(t *testing.T, h *harness) int64 { return h.staleDevice(t) },
			args: tools.SyncDiffInput{Mode: "dry-run"},
			check: func(t *testing.T, _ *harness, _ int64, out tools.SyncDiffOutput) {
				assert.Equal(t, tools.ModeDryRun, out.Mode)
				assert.Empty(t, out.PlanID, "a dry run has nothing to apply")
				assert.False(t, out.InSync)
				assert.NotZero(t, out.Summary)
				assert.Contains(t, out.ReportMarkdown, "## Sync Diff Report")
				assert.Contains(t, out.NextStep, "Dry run complete. No changes applied.")
				assert.NotContains(t, out.NextStep, "cmdb_sync_apply")
			},
		},
		{
			name: "device that matches is in sync",
			seed: inSync,
			check: func(t *testing.T, _ *harness, _ int64, out tools.SyncDiffOutput) {
				assert.True(t, out.InSync)
				assert.Equal(t, diff.Summary{}, out.Summary)
				assert.Contains(t, out.NextStep, "Nothing to apply")
			},
		},
		{
			name: "full mode refreshes, and says no confirmation is needed",
			seed: inSync,
			args: tools.SyncDiffInput{Mode: "full"},
			check: func(t *testing.T, _ *harness, _ int64, out tools.SyncDiffOutput) {
				assert.Equal(t, tools.ModeFull, out.Mode)
				assert.True(t, out.InSync)
				assert.Equal(t, diff.Summary{Updates: 3}, out.Summary, "refreshes count as updates")
				assert.Contains(t, out.ReportMarkdown, "REFRESH")
				assert.NotContains(t, out.ReportMarkdown, "| UPDATE |")
				assert.Contains(t, out.NextStep, "no confirmation")
			},
		},
		{
			name: "hostname names another device",
			seed: func(t *testing.T, h *harness) int64 {
				return h.device(t, deviceBody{Name: "db07", Status: "active"})
			},
			args: tools.SyncDiffInput{Hostname: "db07"},
			check: func(t *testing.T, _ *harness, id int64, out tools.SyncDiffOutput) {
				assert.Equal(t, id, out.Device.ID)
				assert.Equal(t, "db07", out.Device.Name)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			id := tt.seed(t, h)
			out := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tt.args))
			tt.check(t, h, id, out)
		})
	}
}

func TestSyncDiffErrors(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	msg := toolError(t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
	assert.Contains(t, msg, "register this host first (cmdb_register)")
	assert.Contains(t, msg, `"web01"`)

	msg = toolError(t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{Mode: "careful"}))
	assert.Contains(t, msg, "default, dry-run, full")
	msg = toolError(t, h.call(t, "cmdb_sync_diff", map[string]any{"host": "web01"}))
	assert.Contains(t, msg, `Unknown argument "host"`)
	assert.Contains(t, msg, "hostname, mode, no_create_clusters")

	// A device named with a domain may be this host: the model is told to
	// ask, and how to sync it.
	h.device(t, deviceBody{Name: "web01.example.com", Status: "active"})
	msg = toolError(t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
	assert.Contains(t, msg, `no device named "web01"`)
	assert.Contains(t, msg, "ask the user")
	assert.Contains(t, msg, `hostname "web01.example.com"`)
	assert.Contains(t, msg, "register this host first (cmdb_register)")
}

// plan makes a stale device and a plan for it in the given mode.
func plan(t *testing.T, h *harness, mode string) (int64, tools.SyncDiffOutput) {
	t.Helper()
	id := h.staleDevice(t)
	return id, decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{Mode: mode}))
}

// checkApplied checks the device against testHost after a sync.
func checkApplied(t *testing.T, h *harness, id int64) {
	t.Helper()
	dev, err := h.nb.GetDevice(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "active", dev.Status)
	require.NotNil(t, dev.Platform)
	assert.Equal(t, "Ubuntu 24.04 LTS", dev.Platform.Name)
	assert.Equal(t, testHost.Hardware.Serial, dev.Serial)
}

// checkUntouched checks that nothing was written to the stale device.
func checkUntouched(t *testing.T, h *harness, id int64) {
	t.Helper()
	dev, err := h.nb.GetDevice(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "planned", dev.Status, "written without confirmation")
}

// TestSyncApplyConfirmation drives both confirmation paths, with clients
// of the 2026 protocol (input requests answered by retrying) and of the
// 2025 protocol (mcp-go sends them elicitation/create).
func TestSyncApplyConfirmation(t *testing.T) {
	accept := func(req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
			Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"apply": true}}}, nil
	}
	decline := func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}, nil
	}
	dismiss := func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionCancel}}, nil
	}
	untick := func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
			Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"apply": false}}}, nil
	}
	tests := []struct {
		name    string
		elicit  func(mcp.ElicitationRequest) (*mcp.ElicitationResult, error)
		mode    string
		confirm bool
		// want: "applied", "declined", "cancelled" or "refused".
		want   string
		asked  bool
		protos []string
	}{
		{name: "elicitation accepted", elicit: accept, want: "applied", asked: true},
		{name: "elicitation accepted even without confirm", elicit: accept, confirm: false, want: "applied", asked: true},
		{name: "elicitation declined", elicit: decline, confirm: true, want: "declined", asked: true},
		{name: "elicitation accepted with the box unticked", elicit: untick, want: "declined", asked: true},
		{name: "elicitation dismissed is a cancel, not a decline", elicit: dismiss, confirm: true, want: "cancelled", asked: true},
		{name: "no elicitation, no confirm flag", want: "refused"},
		{name: "no elicitation, confirm flag", confirm: true, want: "applied"},
		{name: "full mode skips confirmation", elicit: decline, mode: "full", want: "applied"},
		{name: "full mode without elicitation needs no flag", mode: "full", want: "applied"},
	}
	for _, proto := range []string{"", mcp.ProtocolVersion20251125} {
		for _, tt := range tests {
			name := "2026/" + tt.name
			if proto != "" {
				name = "2025/" + tt.name
			}
			t.Run(name, func(t *testing.T) {
				var asked atomic.Int32
				var message string
				opts := harnessOptions{protocol: proto}
				if tt.elicit != nil {
					opts.elicit = func(req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
						asked.Add(1)
						message = req.Params.Message
						return tt.elicit(req)
					}
				}
				h := newHarness(t, opts)
				id, p := plan(t, h, tt.mode)
				res := h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: tt.confirm})
				assert.Equal(t, tt.asked, asked.Load() == 1, "elicitations: %d", asked.Load())
				if tt.asked {
					assert.Contains(t, message, "web01")
					assert.Contains(t, message, "3 updates, 1 create,")
					assert.Contains(t, message, "status: planned -> active")
				}
				switch tt.want {
				case "applied":
					out := decode[tools.SyncApplyOutput](t, res)
					assert.False(t, out.Declined)
					assert.NotZero(t, out.Applied)
					assert.Zero(t, out.Failed)
					assert.NotZero(t, out.JournalEntryID)
					checkApplied(t, h, id)
				case "declined":
					out := decode[tools.SyncApplyOutput](t, res)
					assert.True(t, out.Declined)
					assert.Zero(t, out.Applied)
					assert.Contains(t, out.NextStep, "nothing was written")
					checkUntouched(t, h, id)
					// The plan survives a decline.
					again := decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID}))
					assert.True(t, again.Declined)
				case "cancelled":
					out := decode[tools.SyncApplyOutput](t, res)
					assert.True(t, out.Cancelled)
					assert.False(t, out.Declined, "a dismissed dialog is not a no")
					assert.Contains(t, out.NextStep, "nothing was written")
					checkUntouched(t, h, id)
				case "refused":
					msg := toolError(t, res)
					assert.Contains(t, msg, "confirm=true")
					assert.Contains(t, msg, "report_markdown")
					checkUntouched(t, h, id)
				}
			})
		}
	}
}

func TestSyncApply(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	id, p := plan(t, h, "")

	out := decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
	assert.Equal(t, p.PlanID, out.PlanID)
	assert.GreaterOrEqual(t, out.Applied, p.Summary.Updates+p.Summary.Creates+p.Summary.Removals, "supporting changes count too")
	assert.Zero(t, out.Failed)
	assert.Zero(t, out.Skipped)
	assert.NotZero(t, out.JournalEntryID)
	assert.Empty(t, out.Changes, "applied changes are counted, not listed")
	assert.Contains(t, out.NextStep, "cmdb_sync_diff")
	checkApplied(t, h, id)

	again := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
	assert.True(t, again.InSync, again.ReportMarkdown)

	// A plan is used once.
	msg := toolError(t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
	assert.Contains(t, msg, "cmdb_sync_diff")
}

func TestSyncApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		opts harnessOptions
		// prepare returns the plan id to apply.
		prepare  func(t *testing.T, h *harness) string
		wantText string
	}{
		{
			name:     "empty plan id",
			prepare:  func(*testing.T, *harness) string { return "" },
			wantText: "plan_id is required",
		},
		{
			name:     "plan this server never made",
			prepare:  func(*testing.T, *harness) string { return "plan-0000000000000000" },
			wantText: "Call cmdb_sync_diff again",
		},
		{
			name: "NetBox changed since the diff",
			prepare: func(t *testing.T, h *harness) string {
				id, p := plan(t, h, "")
				h.patch(t, fmt.Sprintf("/api/dcim/devices/%d/", id), map[string]string{"status": "offline"})
				return p.PlanID
			},
			wantText: "stale",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts)
			msg := toolError(t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: tt.prepare(t, h), Confirm: true}))
			assert.Contains(t, msg, tt.wantText)
		})
	}
}

// With a read-only token every write fails; the result says which and what
// to do, rather than failing the call.
func TestSyncApplyReadOnlyToken(t *testing.T) {
	h := newHarness(t, harnessOptions{token: readOnlyToken})
	_, p := plan(t, h, "")
	res := h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true})
	if res.IsError {
		assert.Contains(t, text(res), "permission")
		return
	}
	out := decode[tools.SyncApplyOutput](t, res)
	assert.Zero(t, out.Applied)
	assert.NotZero(t, out.Failed)
	assert.Contains(t, out.NextStep, "failed")
}

// TestSyncApplyProgress checks "step n of m" notifications for a request
// that carries a progress token, and none for one that does not.
func TestSyncApplyProgress(t *testing.T) {
	for _, proto := range []string{"", mcp.ProtocolVersion20251125} {
		t.Run("protocol "+proto, func(t *testing.T) {
			h := newHarness(t, harnessOptions{protocol: proto})
			_, p := plan(t, h, "")
			req := mcp.CallToolRequest{}
			req.Params.Name = "cmdb_sync_apply"
			req.Params.Arguments = tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}
			req.Params.Meta = &mcp.Meta{ProgressToken: "apply-1"}
			res, err := h.mcp.CallTool(context.Background(), req)
			require.NoError(t, err)
			decode[tools.SyncApplyOutput](t, res)

			// Notifications travel beside the response: wait for step m of m.
			require.Eventually(t, func() bool {
				got := h.received("notifications/progress")
				if len(got) == 0 {
					return false
				}
				f := got[len(got)-1].Params.AdditionalFields
				return number(f["progress"]) == number(f["total"])
			}, timeout, tick)
			progress := h.received("notifications/progress")
			var last, total float64
			for i, n := range progress {
				f := n.Params.AdditionalFields
				assert.Equal(t, "apply-1", f["progressToken"])
				done := number(f["progress"])
				assert.Greater(t, done, last, "progress must increase")
				last, total = done, number(f["total"])
				assert.NotEmpty(t, f["message"], "notification %d", i)
			}
			assert.Equal(t, total, last, "the last step is step m of m")

			// Another apply without a token sends none.
			before := len(h.received("notifications/progress"))
			p2 := restale(t, h, p.Device.ID)
			decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p2.PlanID, Confirm: true}))
			assert.Never(t, func() bool { return len(h.received("notifications/progress")) != before }, 100*time.Millisecond, tick)
		})
	}
}

// restale makes the synced device stale again and plans its sync.
func restale(t *testing.T, h *harness, id int64) tools.SyncDiffOutput {
	t.Helper()
	h.patch(t, fmt.Sprintf("/api/dcim/devices/%d/", id), map[string]string{"status": "planned"})
	out := decode[tools.SyncDiffOutput](t, h.call(t, "cmdb_sync_diff", tools.SyncDiffInput{}))
	require.False(t, out.InSync)
	return out
}

// TestLogging checks that log notifications honour the level the client
// asked for: logging/setLevel (2025 protocol), the request's _meta (2026).
func TestLogging(t *testing.T) {
	setLevel := func(t *testing.T, h *harness, level mcp.LoggingLevel) {
		//lint:ignore SA1019 logging/setLevel is still part of 2025-11-25, which this test speaks
		require.NoError(t, h.mcp.SetLevel(context.Background(), mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: level}}))
	}
	t.Run("setLevel info", func(t *testing.T) {
		h := newHarness(t, harnessOptions{protocol: mcp.ProtocolVersion20251125})
		setLevel(t, h, mcp.LoggingLevelInfo)
		_, p := plan(t, h, "")
		decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
		require.Eventually(t, func() bool { return len(h.received("notifications/message")) >= 2 }, timeout, tick)
		for _, n := range h.received("notifications/message") {
			assert.Equal(t, "cmdb-mcp", n.Params.AdditionalFields["logger"])
		}
	})
	t.Run("setLevel warning drops info", func(t *testing.T) {
		h := newHarness(t, harnessOptions{protocol: mcp.ProtocolVersion20251125})
		setLevel(t, h, mcp.LoggingLevelWarning)
		_, p := plan(t, h, "")
		decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
		toolError(t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID}))
		require.Eventually(t, func() bool { return len(h.received("notifications/message")) > 0 }, timeout, tick)
		for _, n := range h.received("notifications/message") {
			assert.Equal(t, "warning", fmt.Sprint(n.Params.AdditionalFields["level"]), n.Params.AdditionalFields["data"])
		}
	})
	t.Run("default level is error", func(t *testing.T) {
		h := newHarness(t, harnessOptions{protocol: mcp.ProtocolVersion20251125})
		_, p := plan(t, h, "")
		decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
		toolError(t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID}))
		assert.Never(t, func() bool { return len(h.received("notifications/message")) > 0 }, 100*time.Millisecond, tick)
	})
	t.Run("2026 requests without a level get no logs", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		_, p := plan(t, h, "")
		decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
		assert.Never(t, func() bool { return len(h.received("notifications/message")) > 0 }, 100*time.Millisecond, tick)
	})
}

func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return -1
}
