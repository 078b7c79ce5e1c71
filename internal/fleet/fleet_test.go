package fleet_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/fleet"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

const (
	synced = apply.JournalHeader + "\n\nChanges applied:\n- status: planned -> active (UPDATE)"
	day    = 24 * time.Hour
)

// world is a simulator with n devices, host-0000 and on.
type world struct {
	srv *simtest.Server
	nb  *netbox.Client
	ids []int64
}

func newWorld(t *testing.T, n int) world {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{Version: "4.3"})
	fx := srv.Seed(t)
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	devices := make([]map[string]any, n)
	for i := range devices {
		devices[i] = map[string]any{"name": fmt.Sprintf("host-%04d", i), "site": fx.SiteID, "device_type": fx.DeviceTypeID,
			"role": fx.RoleID, "status": "active"}
	}
	w := world{srv: srv, nb: nb}
	w.ids = w.bulk(t, "dcim/devices", devices)
	return w
}

// bulk creates objects in one request and returns their ids.
func (w world) bulk(t *testing.T, route string, objs []map[string]any) []int64 {
	t.Helper()
	return w.srv.Bulk(t, route, objs)
}

// journal writes an entry on each device of devs, age ago.
func (w world) journal(t *testing.T, devs []int64, kind, comments string, age time.Duration) {
	t.Helper()
	objs := make([]map[string]any, len(devs))
	for i, d := range devs {
		objs[i] = map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": d, "kind": kind, "comments": comments}
	}
	ids := w.bulk(t, "extras/journal-entries", objs)
	if age > 0 {
		require.NoError(t, w.srv.Sim.Backdate("extras/journal-entries", age, ids...))
	}
}

// TestStatusOfAThousandDevices: 1,000 devices with their journal entries
// (recent successes, recent failures after older successes, only old
// syncs, hand-written notes, nothing) are reported in at most 5 NetBox
// requests, counted in the simulator's log.
func TestStatusOfAThousandDevices(t *testing.T) {
	w := newWorld(t, 1000)
	ids := w.ids
	w.journal(t, ids[0:100], "warning", synced, 3*day) // older failures, superseded below
	w.journal(t, ids[0:600], "success", synced, 0)
	w.journal(t, ids[600:700], "success", synced, 9*day)
	w.journal(t, ids[600:700], "warning", synced+"\n\nChanges failed:\n- x", day)
	w.journal(t, ids[700:800], "success", apply.RegisterJournalHeader+"\n\nCreated:\n- device", 10*day)
	w.journal(t, ids[800:850], "warning", synced, 20*day)
	w.journal(t, ids[850:950], "info", "Rebooted by hand", 0)

	w.srv.Sim.ResetRequests()
	rep, err := fleet.Status(context.Background(), w.nb, fleet.Query{})
	require.NoError(t, err)
	requests := w.srv.Sim.Requests()
	assert.LessOrEqual(t, len(requests), 5, "%+v", requests)
	assert.Equal(t, len(requests), rep.Requests)
	t.Logf("fleet status of %d devices: %d NetBox requests", rep.Counts.Devices, len(requests))
	for _, r := range requests {
		assert.Equal(t, http.MethodGet, r.Method)
	}

	assert.Equal(t, fleet.Counts{Devices: 1000, OK: 600, Failed: 100, Stale: 150, Never: 150}, rep.Counts)
	assert.Equal(t, "7d", rep.MaxAge)
	require.Len(t, rep.Failed, fleet.DefaultLimit)
	assert.Equal(t, 50, rep.FailedOmitted)
	assert.Equal(t, "host-0600", rep.Failed[0].Name)
	assert.Equal(t, fleet.OutcomeFailures, rep.Failed[0].Outcome)
	require.NotNil(t, rep.Failed[0].LastSync)
	assert.WithinDuration(t, time.Now().Add(-day), *rep.Failed[0].LastSync, time.Hour)
	assert.Contains(t, rep.Failed[0].URL, fmt.Sprintf("/dcim/devices/%d/", ids[600]))

	require.Len(t, rep.Stale, 50)
	assert.Equal(t, 100, rep.StaleOmitted)
	assert.Equal(t, "host-0700", rep.Stale[0].Name, "a register's entry counts as a sync")
	assert.Equal(t, fleet.OutcomeSuccess, rep.Stale[0].Outcome)
	assert.WithinDuration(t, time.Now().Add(-10*day), *rep.Stale[0].LastSync, time.Hour)

	require.Len(t, rep.Never, 50)
	assert.Equal(t, "host-0850", rep.Never[0].Name, "a hand-written entry is no sync")
	assert.Nil(t, rep.Never[0].LastSync)
	assert.Equal(t, 100, rep.NeverOmitted)

	// A longer age moves the old syncs into the window.
	rep, err = fleet.Status(context.Background(), w.nb, fleet.Query{MaxAge: 30 * day, Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, fleet.Counts{Devices: 1000, OK: 700, Failed: 150, Stale: 0, Never: 150}, rep.Counts)
	assert.Len(t, rep.Failed, 150)
	assert.Zero(t, rep.FailedOmitted)
}

// TestStatusAllRecent: when every device synced within the age, the
// older entries are not read at all.
func TestStatusAllRecent(t *testing.T) {
	w := newWorld(t, 20)
	w.journal(t, w.ids, "success", synced, 30*day)
	w.journal(t, w.ids, "success", synced, 0)
	w.srv.Sim.ResetRequests()
	rep, err := fleet.Status(context.Background(), w.nb, fleet.Query{})
	require.NoError(t, err)
	assert.Equal(t, fleet.Counts{Devices: 20, OK: 20}, rep.Counts)
	assert.Equal(t, 2, rep.Requests)
	assert.Len(t, w.srv.Sim.Requests(), 2)
	assert.NotNil(t, rep.Failed, "empty lists, not null")
}

// TestStatusEmpty: a NetBox without devices answers with zero counts.
func TestStatusEmpty(t *testing.T) {
	w := newWorld(t, 0)
	rep, err := fleet.Status(context.Background(), w.nb, fleet.Query{MaxAge: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, fleet.Counts{}, rep.Counts)
	assert.Equal(t, "1h0m0s", rep.MaxAge)
}

// TestStatusNetBoxDown: a failed read is an error, never a partial report.
func TestStatusNetBoxDown(t *testing.T) {
	w := newWorld(t, 3)
	require.NoError(t, w.srv.Sim.AddFault(netboxsim.Fault{Method: http.MethodGet, Path: "/api/extras/journal-entries/", Status: 403}))
	_, err := fleet.Status(context.Background(), w.nb, fleet.Query{})
	require.Error(t, err)
	assert.True(t, netbox.IsKind(err, netbox.KindPermission), "%v", err)
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * day, "1.5d": 36 * time.Hour, "36h": 36 * time.Hour, " 90m ": 90 * time.Minute} {
		got, err := fleet.ParseAge(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0d", "-1h", "week", "d", "99999d"} {
		_, err := fleet.ParseAge(in)
		assert.Error(t, err, in)
	}
	assert.Equal(t, "7d", fleet.FormatAge(7*day))
	assert.Equal(t, "36h0m0s", fleet.FormatAge(36*time.Hour))
}
