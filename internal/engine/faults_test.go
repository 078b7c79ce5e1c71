package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"sort"
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
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The fault matrix: every write endpoint the apply uses x every way a
// NetBox write can fail x a fault that happens once or lasts until
// cleared. Each cell runs a sync that writes to every endpoint, with the
// fault set between diff and apply, and checks that
//
//   - no record is wrong or lost: nothing deleted, no duplicate, the
//     neighbour device and the device's description untouched, and every
//     change reported applied is in NetBox (a fresh diff does not plan it
//     again);
//   - every failure is reported: each change is applied, failed (with
//     NetBox's message) or skipped (with the reason), the journal entry
//     lists the failed and skipped ones, and the faulted endpoint's
//     changes fail unless the client could recover (a transient fault on
//     an idempotent request, a create found after its answer was lost);
//   - once the fault is cleared, diff + apply converge: the next diff is
//     empty.
//
// The client uses the retry policy with tiny backoffs, 2 retries and a 2s
// timeout. Set CMDB_FAULT_MATRIX=short to run one fault duration only.

// faultEndpoint is a write endpoint of the apply and the methods it uses.
type faultEndpoint struct {
	name       string
	path       string   // the sim's path pattern
	methods    []string // the write methods the apply sends there
	objectType string   // diff object type of its changes; "" for the journal
	// several says that each of the sync's requests to it carries more
	// than one object (the device PATCH: more than one field), which
	// apply sends again in parts when NetBox refuses them together.
	several bool
}

var faultEndpoints = []faultEndpoint{
	{"platforms", "/api/dcim/platforms/", []string{"POST"}, diff.ObjectPlatform, false},
	{"interfaces", "/api/dcim/interfaces/", []string{"POST", "PATCH"}, diff.ObjectInterface, false},        // POST: eth2 alone
	{"mac-addresses", "/api/dcim/mac-addresses/", []string{"POST", "PATCH"}, diff.ObjectMACAddress, false}, // PATCH: wlan0's alone
	{"ip-addresses", "/api/ipam/ip-addresses/", []string{"POST", "PATCH"}, diff.ObjectIPAddress, true},
	{"devices", "/api/dcim/devices/*/", []string{"PATCH"}, diff.ObjectDevice, true},
	{"cluster-types", "/api/virtualization/cluster-types/", []string{"POST"}, diff.ObjectClusterType, false},
	{"cluster-groups", "/api/virtualization/cluster-groups/", []string{"POST"}, diff.ObjectClusterGroup, false},
	{"device-roles", "/api/dcim/device-roles/", []string{"POST"}, diff.ObjectDeviceRole, true},
	{"clusters", "/api/virtualization/clusters/", []string{"POST"}, diff.ObjectCluster, true},
	{"virtual-machines", "/api/virtualization/virtual-machines/", []string{"POST"}, diff.ObjectVM, true},
	{"journal-entries", "/api/extras/journal-entries/", []string{"POST"}, "", false},
}

// faultKind is one way a write fails, with what the failure says.
type faultKind struct {
	name      string
	fault     netboxsim.Fault
	retryable bool   // the client retries it (idempotent requests) or checks and re-sends (creates)
	message   string // in the failure's message
}

var faultKinds = []faultKind{
	{"403", netboxsim.Fault{Status: 403}, false, "You do not have permission to perform this action."},
	{"409", netboxsim.Fault{Status: 409}, false, "The request could not be completed"},
	{"429", netboxsim.Fault{Status: 429}, true, "Request was throttled. Expected available in 1 second."},
	{"500", netboxsim.Fault{Status: 500}, false, "OperationalError: server closed the connection unexpectedly"},
	{"502", netboxsim.Fault{Status: 502}, true, "502 Bad Gateway"},
	{"503", netboxsim.Fault{Status: 503}, true, "503 Service Unavailable"},
	{"504", netboxsim.Fault{Status: 504}, true, "504 Gateway Timeout"},
	{"timeout", netboxsim.Fault{Delay: time.Minute}, true, "timeout: no answer within " + faultTimeout.String()},
	{"dropped", netboxsim.Fault{Drop: true}, true, "EOF"},
	{"lost after commit", netboxsim.Fault{Drop: true, AfterCommit: true}, true, "EOF"},
	{"timeout after commit", netboxsim.Fault{Delay: time.Minute, AfterCommit: true}, true, "timeout: no answer within " + faultTimeout.String()},
	{"502 after commit", netboxsim.Fault{Status: 502, AfterCommit: true}, true, "502 Bad Gateway"},
}

// faultTimeout is the client's timeout in the matrix: what a request held
// by a delay fault costs, and long enough for a simulator slowed down by
// -race and a busy machine to answer the others.
const faultTimeout = 2 * time.Second

// faultClient is the client configuration of the matrix.
func faultClient(t testing.TB, srv *simtest.Server) *netbox.Client {
	t.Helper()
	nb, err := netbox.New(netbox.Config{
		URL: srv.URL, Token: srv.Token, Timeout: faultTimeout,
		MaxRetries: 2, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond, RetryDeadline: 20 * time.Second,
	})
	require.NoError(t, err)
	return nb
}

// faultHost needs a write on every endpoint against faultNetBox's state:
// a new platform, serial and status; eth0 changes type, MAC and address
// (the primary moves); eth2 is new with a MAC and an address; wlan0 takes
// an unassigned MAC object and an unassigned IP; eth1 is gone (offline,
// its IP unassigned); two containers need the cluster type, the host's
// group, two clusters, two roles and two VMs.
func faultHost() host.Host {
	return host.Host{
		Hostname: "homelab",
		OS:       host.OS{Platform: "Ubuntu 24.04"},
		Hardware: host.Hardware{Serial: "SN-NEW"},
		Network: host.Network{
			Interfaces: []host.Interface{
				{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
				{Name: "eth2", Type: "10gbase-t", MAC: "aa:bb:cc:22:22:22", IPv4: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/24")}},
				{Name: "wlan0", Type: "ieee802.11ax", MAC: "aa:bb:cc:33:33:33", IPv4: []netip.Prefix{netip.MustParsePrefix("10.9.9.9/24")}},
			},
			PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: "nginx", Image: "nginx:1", Running: true, ComposeProject: "web", Role: "Reverse Proxy", VCPUs: 1, MemoryMB: 256},
			{Name: "redis", Image: "redis:7", Role: "Database"},
		}},
	}
}

// faultNetBox records the device as an older sync left it, and a
// neighbour device on the same site that no sync of homelab may touch.
func faultNetBox(t *testing.T, w simWorld) (dev, neighbour record.Device) {
	t.Helper()
	ctx := context.Background()
	nb := w.nb
	old, err := nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: "Ubuntu 22.04", Slug: "ubuntu-22-04"}, netbox.WriteOptions{})
	require.NoError(t, err)
	dev = w.device(t, "homelab", "planned", old.ID)
	ifs, err := nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{
		{Device: dev.ID, Name: "eth0", Type: "other"},
		{Device: dev.ID, Name: "eth1", Type: "1000base-t"},
		{Device: dev.ID, Name: "wlan0", Type: "ieee802.11ax"},
	}, netbox.WriteOptions{})
	require.NoError(t, err)
	macs, err := nb.CreateMACAddresses(ctx, []netbox.MACAddressCreate{{MAC: "aa:bb:cc:00:00:00", InterfaceID: ifs[0].ID}, {MAC: "aa:bb:cc:33:33:33"}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = nb.UpdateInterfaces(ctx, []netbox.InterfaceUpdate{{ID: ifs[0].ID, PrimaryMAC: &macs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	ips, err := nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{
		{Address: "192.168.1.100/24", Status: "active", InterfaceID: ifs[0].ID},
		{Address: "192.168.2.1/24", Status: "active", InterfaceID: ifs[1].ID},
		{Address: "10.9.9.9/24", Status: "active"},
	}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = nb.UpdateDevice(ctx, dev.ID, netbox.DeviceUpdate{PrimaryIP4: &ips[0].ID}, netbox.WriteOptions{})
	require.NoError(t, err)

	neighbour = w.device(t, "neighbour", "active", old.ID)
	nifs, err := nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: neighbour.ID, Name: "eth0", Type: "1000base-t"}, {Device: neighbour.ID, Name: "eth2", Type: "1000base-t"}}, netbox.WriteOptions{})
	require.NoError(t, err)
	nmacs, err := nb.CreateMACAddresses(ctx, []netbox.MACAddressCreate{{MAC: "aa:bb:cc:99:99:99", InterfaceID: nifs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = nb.UpdateInterfaces(ctx, []netbox.InterfaceUpdate{{ID: nifs[0].ID, PrimaryMAC: &nmacs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	nips, err := nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: "192.168.1.200/24", Status: "active", InterfaceID: nifs[0].ID}}, netbox.WriteOptions{})
	require.NoError(t, err)
	_, err = nb.UpdateDevice(ctx, neighbour.ID, netbox.DeviceUpdate{PrimaryIP4: &nips[0].ID, Serial: ptr("SN-NEIGHBOUR")}, netbox.WriteOptions{})
	require.NoError(t, err)
	return dev, neighbour
}

// TestFaultMatrixBaseline: without faults the sync writes to every
// endpoint of the matrix, applies everything and converges.
func TestFaultMatrixBaseline(t *testing.T) {
	ctx := context.Background()
	srv := simtest.Start(t, netboxsim.Options{})
	w := simWorld{srv: srv, nb: faultClient(t, srv), fx: srv.Seed(t)}
	faultNetBox(t, w)
	e := w.engine(faultHost())
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	srv.Sim.ResetRequests()
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	for _, cr := range res.Changes {
		assert.Equal(t, apply.OutcomeApplied, cr.Outcome, "%s: %s", apply.Describe(cr.Change), cr.Message)
	}
	assert.NotZero(t, res.JournalEntryID)
	for _, ep := range faultEndpoints {
		for _, m := range ep.methods {
			wrote := false
			for _, r := range srv.Sim.Requests() {
				if ok, _ := path.Match(ep.path, r.Path); ok && r.Method == m {
					wrote = true
				}
			}
			assert.True(t, wrote, "the sync sends %s %s", m, ep.path)
		}
	}
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
}

type faultCell struct {
	ep         faultEndpoint
	kind       faultKind
	persistent bool
}

func (c faultCell) name() string {
	d := "once"
	if c.persistent {
		d = "until cleared"
	}
	return c.ep.name + "/" + c.kind.name + "/" + d
}

// recovers says whether the client can hide the fault from apply: a
// transient fault, or a lost answer to a create (the journal entry among
// them), found by its natural key; or whether apply can: a refusal that
// may be about single objects (403, 409) of a request of several, which
// apply sends again in parts (isolate.go) that NetBox then accepts.
func (c faultCell) recovers() bool {
	if !c.persistent && c.kind.retryable {
		return true
	}
	if !c.persistent && c.ep.several && (c.kind.fault.Status == http.StatusForbidden || c.kind.fault.Status == http.StatusConflict) {
		return true
	}
	createOnly := len(c.ep.methods) == 1 && c.ep.methods[0] == "POST"
	return c.kind.fault.AfterCommit && createOnly
}

func TestFaultMatrix(t *testing.T) {
	durations := []bool{false, true}
	if os.Getenv("CMDB_FAULT_MATRIX") == "short" {
		durations = []bool{true}
	}
	var cells []faultCell
	for _, ep := range faultEndpoints {
		for _, k := range faultKinds {
			for _, p := range durations {
				cells = append(cells, faultCell{ep, k, p})
			}
		}
	}
	// Most of a cell's time is spent waiting (timeouts, Retry-After), so
	// cells run many at a time, more than -parallel's CPU count.
	const workers = 8
	start := time.Now()
	next := make(chan faultCell)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range next {
				t.Run(c.name(), func(t *testing.T) { runFaultCell(t, c) })
			}
		})
	}
	for _, c := range cells {
		next <- c
	}
	close(next)
	wg.Wait()
	t.Logf("fault matrix: %d endpoints x %d faults x %d durations = %d cells in %s",
		len(faultEndpoints), len(faultKinds), len(durations), len(cells), time.Since(start).Round(time.Millisecond))
}

func runFaultCell(t *testing.T, c faultCell) {
	ctx := context.Background()
	srv := simtest.Start(t, netboxsim.Options{})
	w := simWorld{srv: srv, nb: faultClient(t, srv), fx: srv.Seed(t)}
	dev, neighbour := faultNetBox(t, w)
	e := w.engine(faultHost())
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	before := allIDs(t, w.srv.Admin())
	neighbourBefore := deviceState(t, w.nb, neighbour.Name)

	for _, m := range c.ep.methods {
		f := c.kind.fault
		f.Method, f.Path = m, c.ep.path
		if !c.persistent {
			f.Count = 1
		}
		require.NoError(t, srv.Sim.AddFault(f))
	}
	srv.Sim.ResetRequests()
	res, err := e.Apply(ctx, plan.ID)
	require.NoError(t, err, "apply reports failures in its result, it does not fail")
	faulted := 0
	for _, f := range srv.Sim.Faults() {
		faulted += f.Hits
	}
	require.NotZero(t, faulted, "the fault fired")

	// Every failure reported.
	assert.Equal(t, len(res.Changes), res.Applied+res.Failed+res.Skipped)
	assert.Len(t, res.Changes, len(plan.Changes), "every change of the plan has an outcome")
	var notApplied []apply.ChangeResult
	for _, cr := range res.Changes {
		switch cr.Outcome {
		case apply.OutcomeFailed:
			notApplied = append(notApplied, cr)
			assert.Equal(t, c.ep.objectType, cr.Change.ObjectType, "only the faulted endpoint's changes fail: %s: %s", apply.Describe(cr.Change), cr.Message)
			assert.Contains(t, cr.Message, c.kind.message, "NetBox's message: %s", apply.Describe(cr.Change))
		case apply.OutcomeSkipped:
			notApplied = append(notApplied, cr)
			assert.True(t, strings.HasPrefix(cr.Message, "depends on a change that did not apply: ") ||
				strings.HasPrefix(cr.Message, "still the device's primary IP"), "skipped with why: %s: %q", apply.Describe(cr.Change), cr.Message)
		}
	}
	switch {
	case c.recovers():
		assert.Empty(t, notApplied, "the client recovers from this fault")
		assert.Empty(t, res.JournalError)
		assert.NotZero(t, res.JournalEntryID)
	case c.ep.objectType == "":
		assert.Zero(t, res.Failed+res.Skipped, "%+v", notApplied)
		assert.Contains(t, res.JournalError, c.kind.message)
		assert.Zero(t, res.JournalEntryID)
	default:
		assert.NotZero(t, res.Failed, "the fault is reported")
		assert.Empty(t, res.JournalError)
	}
	if res.JournalEntryID != 0 {
		comments := journalComments(t, w.srv.Admin(), res.JournalEntryID)
		for _, cr := range notApplied {
			assert.Contains(t, comments, "- "+apply.JournalLine(cr.Change), "the journal lists what did not apply")
		}
		if len(notApplied) > 0 {
			assert.Contains(t, comments, "\nChanges "+string(notApplied[0].Outcome)+":\n")
		}
	}

	// No wrong or lost record.
	checkNothingLost(t, w, before, dev, neighbour, neighbourBefore)
	if c.ep.objectType == "" && c.kind.fault.AfterCommit {
		assert.Len(t, journalEntries(t, w.srv.Admin(), dev.ID), 1, "the entry went in, its answer was lost")
	}
	fresh, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	for _, cr := range res.Changes {
		if cr.Outcome != apply.OutcomeApplied {
			continue
		}
		for _, ch := range fresh.Changes {
			assert.False(t, sameChange(cr.Change, ch), "reported applied but not in NetBox: %s", apply.Describe(cr.Change))
		}
	}

	// Cleared, the next run converges.
	srv.Sim.ClearFaults()
	plan, err = e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	res, err = e.Apply(ctx, plan.ID)
	require.NoError(t, err)
	for _, cr := range res.Changes {
		assert.Equal(t, apply.OutcomeApplied, cr.Outcome, "second run: %s: %s", apply.Describe(cr.Change), cr.Message)
	}
	assert.Empty(t, res.JournalError)
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Empty(t, again.Changes, "converged")
	checkNothingLost(t, w, before, dev, neighbour, neighbourBefore)
	for _, r := range srv.Sim.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method, "a sync never deletes: %s", r.Path)
	}
}

func sameChange(a, b diff.Change) bool {
	return a.ObjectType == b.ObjectType && a.Object == b.Object && a.Field == b.Field && a.New == b.New && a.Action == b.Action
}

// allEndpoints are every table the sync could write, for the checks that
// nothing is deleted or duplicated.
var allEndpoints = []string{
	"/api/dcim/devices/", "/api/dcim/platforms/", "/api/dcim/interfaces/", "/api/dcim/mac-addresses/",
	"/api/ipam/ip-addresses/", "/api/dcim/device-roles/", "/api/virtualization/cluster-types/",
	"/api/virtualization/cluster-groups/", "/api/virtualization/clusters/",
	"/api/virtualization/virtual-machines/", "/api/extras/journal-entries/",
}

// listed is the part of any listed object the checks read.
type listed struct {
	ID                 int64               `json:"id"`
	Name               string              `json:"name"`
	Slug               string              `json:"slug"`
	MAC                string              `json:"mac_address"`
	Address            string              `json:"address"`
	Device             *struct{ ID int64 } `json:"device"`
	Cluster            *struct{ ID int64 } `json:"cluster"`
	Group              *struct{ ID int64 } `json:"group"`
	AssignedObjectType *string             `json:"assigned_object_type"`
	AssignedObjectID   *int64              `json:"assigned_object_id"`
	Comments           string              `json:"comments"`
}

func listAll(t *testing.T, nb netboxsim.Admin, path string, q url.Values) []listed {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1000")
	var page struct {
		Count   int
		Results []listed
	}
	require.NoError(t, nb.Do(context.Background(), http.MethodGet, path, q, nil, &page))
	require.Equal(t, page.Count, len(page.Results), "one page holds them all")
	return page.Results
}

func allIDs(t *testing.T, nb netboxsim.Admin) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for _, p := range allEndpoints {
		for _, o := range listAll(t, nb, p, nil) {
			out[p] = append(out[p], o.ID)
		}
	}
	return out
}

func deviceState(t *testing.T, nb *netbox.Client, name string) string {
	t.Helper()
	s, err := nb.SnapshotFor(context.Background(), netbox.SnapshotQuery{Hostname: name, Containers: true})
	require.NoError(t, err)
	sort.Slice(s.Interfaces, func(i, j int) bool { return s.Interfaces[i].ID < s.Interfaces[j].ID })
	s.Platforms, s.Roles, s.ClusterType = nil, nil, nil // shared by every device
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

func journalEntries(t *testing.T, nb netboxsim.Admin, deviceID int64) []listed {
	t.Helper()
	return listAll(t, nb, "/api/extras/journal-entries/", url.Values{
		"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(deviceID)}})
}

func journalComments(t *testing.T, nb netboxsim.Admin, id int64) string {
	t.Helper()
	var e listed
	require.NoError(t, nb.Do(context.Background(), http.MethodGet, fmt.Sprintf("/api/extras/journal-entries/%d/", id), nil, nil, &e))
	return e.Comments
}

// checkNothingLost: no object of before is gone, no natural key is taken
// twice, the neighbour and the device's description are as they were.
func checkNothingLost(t *testing.T, w simWorld, before map[string][]int64, dev, neighbour record.Device, neighbourBefore string) {
	t.Helper()
	now := allIDs(t, w.srv.Admin())
	for p, ids := range before {
		assert.Subset(t, now[p], ids, "nothing deleted from %s", p)
	}
	dup := func(path string, key func(o listed) string) {
		seen := map[string]int{}
		for _, o := range listAll(t, w.srv.Admin(), path, nil) {
			seen[key(o)]++
		}
		for k, n := range seen {
			assert.Equal(t, 1, n, "%s: %q is there %d times", path, k, n)
		}
	}
	ref := func(r *struct{ ID int64 }) int64 {
		if r == nil {
			return 0
		}
		return r.ID
	}
	dup("/api/dcim/interfaces/", func(o listed) string { return fmt.Sprint(ref(o.Device), "/", o.Name) })
	dup("/api/dcim/mac-addresses/", func(o listed) string { return strings.ToUpper(o.MAC) })
	dup("/api/ipam/ip-addresses/", func(o listed) string { return netip.MustParsePrefix(o.Address).Addr().String() })
	dup("/api/virtualization/virtual-machines/", func(o listed) string { return fmt.Sprint(ref(o.Cluster), "/", strings.ToLower(o.Name)) })
	dup("/api/virtualization/clusters/", func(o listed) string { return fmt.Sprint(ref(o.Group), "/", o.Name) })
	for _, p := range []string{"/api/dcim/platforms/", "/api/dcim/device-roles/", "/api/virtualization/cluster-types/", "/api/virtualization/cluster-groups/"} {
		dup(p, func(o listed) string { return o.Slug })
	}
	// One journal entry per apply that wrote one; the first apply is
	// checked by its caller, so here: at most one per run so far.
	assert.LessOrEqual(t, len(journalEntries(t, w.srv.Admin(), dev.ID)), 2)
	assert.Empty(t, journalEntries(t, w.srv.Admin(), neighbour.ID), "nothing journaled on the neighbour")

	assert.Equal(t, neighbourBefore, deviceState(t, w.nb, neighbour.Name), "the neighbour is untouched")
	d, err := w.nb.GetDevice(context.Background(), dev.ID)
	require.NoError(t, err)
	assert.Equal(t, "keep me", d.Description)
}
