package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/rundir"
)

// raceHost is the host of the race tests: eth0, which NetBox has without a
// MAC object (both syncs would create one), and eth1, which it lacks (both
// would create it; NetBox would refuse the second).
func raceHost() host.Host {
	return host.Host{
		Hostname: "racer",
		OS:       host.OS{Platform: "Debian 13"},
		Network: host.Network{Interfaces: []host.Interface{
			{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01", IPv4: []netip.Prefix{netip.MustParsePrefix("10.1.0.1/24")}},
			{Name: "eth1", Type: "1000base-t", MAC: "02:00:00:00:00:02", IPv4: []netip.Prefix{netip.MustParsePrefix("10.2.0.1/24")}},
		}, PrimaryIPv4: netip.MustParsePrefix("10.1.0.1/24")},
	}
}

func raceNetBox(t *testing.T, w simWorld) int64 {
	t.Helper()
	dev := w.device(t, "racer", "planned", 0)
	_, err := w.nb.CreateInterfaces(context.Background(), []netbox.InterfaceCreate{{Device: dev.ID, Name: "eth0", Type: "1000base-t"}}, netbox.WriteOptions{})
	require.NoError(t, err)
	return dev.ID
}

// checkOneSync checks what two racing applies must leave: each object once,
// one journal entry, a success.
func checkOneSync(t *testing.T, w simWorld, dev int64) {
	t.Helper()
	var macs, ifaces, ips []struct{ ID int64 }
	q := url.Values{"device_id": {fmt.Sprint(dev)}}
	w.srv.List(t, "dcim/mac-addresses", q, &macs)
	w.srv.List(t, "dcim/interfaces", q, &ifaces)
	w.srv.List(t, "ipam/ip-addresses", q, &ips)
	assert.Len(t, macs, 2, "one MAC object per interface")
	assert.Len(t, ifaces, 2)
	assert.Len(t, ips, 2)
	var journal []struct {
		Kind     struct{ Value string }
		Comments string
	}
	w.srv.List(t, "extras/journal-entries", url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(dev)}}, &journal)
	require.Len(t, journal, 1, "one apply wrote")
	assert.Equal(t, "success", journal[0].Kind.Value, "%s", journal[0].Comments)
}

// TestAppliesOfOneDeviceTakeTurns: two syncs of one host plan at once and
// apply at once, as two processes sharing the runtime directory (a cron
// job and an agent's server), or as two sessions of one server. One writes;
// the other, checking its plan only when its turn comes, finds it stale and
// writes nothing.
func TestAppliesOfOneDeviceTakeTurns(t *testing.T) {
	for _, processes := range []bool{true, false} {
		t.Run(map[bool]string{true: "two processes", false: "one server"}[processes], func(t *testing.T) {
			ctx := context.Background()
			w := newSimWorld(t)
			dev := raceNetBox(t, w)
			run, err := rundir.Open(t.TempDir())
			require.NoError(t, err)
			first := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return raceHost(), nil }), WithRunDir(run))
			second := first
			if processes {
				second = New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return raceHost(), nil }), WithRunDir(run))
			}
			p1, err := first.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			p2, err := second.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			require.NoError(t, w.srv.Sim.AddFault(netboxsim.Fault{Method: "POST,PATCH", Delay: 20 * time.Millisecond}))

			var wg sync.WaitGroup
			results := make([]apply.Result, 2)
			errs := make([]error, 2)
			for i, a := range []struct {
				e  *Engine
				id string
			}{{first, p1.ID}, {second, p2.ID}} {
				wg.Go(func() { results[i], errs[i] = a.e.Apply(ctx, a.id) })
			}
			wg.Wait()
			stale := 0
			for i, err := range errs {
				switch {
				case errors.Is(err, ErrStalePlan):
					stale++
				case err != nil:
					t.Fatalf("apply %d: %v", i, err)
				default:
					assert.Zero(t, results[i].Failed+results[i].Skipped, "%+v", results[i].Changes)
				}
			}
			assert.Equal(t, 1, stale, "the second apply is refused as stale")
			checkOneSync(t, w, dev)
		})
	}
}

// TestInterruptedApplyIsJournaled: an apply killed mid-way leaves its
// record; the next diff notes it, and the next apply's journal entry says
// what it wrote, read from NetBox's change log.
func TestInterruptedApplyIsJournaled(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	dev := raceNetBox(t, w)
	run, err := rundir.Open(t.TempDir())
	require.NoError(t, err)
	e := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return raceHost(), nil }), WithRunDir(run))
	p, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)

	// What a killed apply leaves: eth1 made by one of its requests, and
	// the record of the step it finished.
	sent := &netbox.RequestLog{}
	made, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: dev, Name: "eth1", Type: "1000base-t"}},
		netbox.WriteOptions{ChangelogMessage: apply.ChangelogMessage("plan-dead"), RequestIDs: sent})
	require.NoError(t, err)
	key := e.deviceKey(p.Device)
	require.NoError(t, run.WriteRecord(key, applyRecord{PlanID: "plan-dead", Device: p.Device, Started: time.Now().Add(-time.Second),
		PID: 4242, StepsDone: []string{"create interfaces (1)"}, RequestIDs: sent.IDs()}))

	p, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Contains(t, strings.Join(p.Notes, "\n"), "An earlier apply of this device (plan plan-dead")
	res, err := e.Apply(ctx, p.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	require.NotZero(t, res.JournalEntryID)
	var entry struct {
		Kind     struct{ Value string }
		Comments string
	}
	require.NoError(t, w.srv.Admin().Do(ctx, http.MethodGet, fmt.Sprintf("/api/extras/journal-entries/%d/", res.JournalEntryID), nil, nil, &entry))
	assert.Equal(t, "warning", entry.Kind.Value)
	assert.Contains(t, entry.Comments, "\nAn earlier apply was interrupted:\nPlan plan-dead (started ")
	assert.Contains(t, entry.Comments, ", process 4242) stopped before its journal entry, after: create interfaces (1). NetBox's change log shows it wrote:\n")
	assert.Contains(t, entry.Comments, fmt.Sprintf("- created interface eth1 (id %d)\n", made[0].ID))
	assert.True(t, strings.HasSuffix(entry.Comments, "\n\n"+apply.ChangelogMessage(p.ID)), "%s", entry.Comments)

	var left applyRecord
	ok, err := run.ReadRecord(key, &left)
	require.NoError(t, err)
	assert.False(t, ok, "the record goes once the apply returns")
	p, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(p.Notes, "\n"), "An earlier apply", "nothing left to note")

	// A record whose apply got as far as its journal entry (killed just
	// after it) is not reported.
	sent = &netbox.RequestLog{}
	_, err = w.nb.CreateJournalEntry(ctx, netbox.JournalEntry{AssignedObjectType: diff.ObjectDevice, AssignedObjectID: dev, Comments: "x"},
		netbox.WriteOptions{RequestIDs: sent})
	require.NoError(t, err)
	require.NoError(t, run.WriteRecord(key, applyRecord{PlanID: "plan-done", Device: p.Device, Started: time.Now(), RequestIDs: sent.IDs()}))
	assert.Empty(t, e.whatItWrote(ctx, applyRecord{PlanID: "plan-done", Started: time.Now(), RequestIDs: sent.IDs()}))
}

// TestInterruptedApplyOfAnInSyncHost: the apply after an interrupted one
// writes its journal entry even when its own plan changes nothing.
func TestInterruptedApplyOfAnInSyncHost(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	raceNetBox(t, w)
	run, err := rundir.Open(t.TempDir())
	require.NoError(t, err)
	e := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return raceHost(), nil }), WithRunDir(run))
	p, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	_, err = e.Apply(ctx, p.ID)
	require.NoError(t, err)

	key := e.deviceKey(p.Device)
	require.NoError(t, run.WriteRecord(key, applyRecord{PlanID: "plan-dead", Device: p.Device, Started: time.Now().Add(-time.Second), PID: 4242}))
	p, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	require.True(t, p.InSync(), "%v", p.Changes)
	assert.Contains(t, strings.Join(p.Notes, "\n"), "An earlier apply of this device (plan plan-dead")
	res, err := e.Apply(ctx, p.ID)
	require.NoError(t, err)
	require.NotZero(t, res.JournalEntryID, "the interrupted apply is reported")
	assert.Contains(t, journalComments(t, w.srv.Admin(), res.JournalEntryID), "An earlier apply was interrupted:\nPlan plan-dead")
	ok, err := run.ReadRecord(key, &applyRecord{})
	require.NoError(t, err)
	assert.False(t, ok, "reported, the record goes")
}
