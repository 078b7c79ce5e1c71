package apply

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// refusal is how a fake NetBox refuses a bulk request that holds a bad
// item, the way NetBox does for each kind of refusal.
type refusal int

const (
	refuseCreate400 refusal = iota // a list of errors aligned by index
	refuseUpdate400                // the first bad object's errors, no index
	refuse403                      // object permissions: the whole request
	refuse409
	refuse500Integrity
	refuse500Operational // the database is gone: never about one object
	refuseNetwork
)

func (k refusal) err(sent []int, bad map[int]bool) error {
	var badAt []int
	for pos, item := range sent {
		if bad[item] {
			badAt = append(badAt, pos)
		}
	}
	if len(badAt) == 0 {
		return nil
	}
	e := &netbox.Error{Method: "POST", Path: "/api/dcim/interfaces/"}
	switch k {
	case refuseCreate400:
		e.Kind, e.StatusCode, e.Fields = netbox.KindValidation, 400, map[string][]string{}
		for _, pos := range badAt {
			e.Fields[fmt.Sprintf("%d.name", pos)] = []string{fmt.Sprintf("item %d is bad", sent[pos])}
		}
		e.Message = e.FieldsMessage()
	case refuseUpdate400:
		e.Kind, e.StatusCode = netbox.KindValidation, 400
		e.Fields = map[string][]string{"name": {fmt.Sprintf("item %d is bad", sent[badAt[0]])}}
		e.Message = e.FieldsMessage()
	case refuse403:
		e.Kind, e.StatusCode, e.Message = netbox.KindPermission, 403, "You do not have permission to perform this action."
	case refuse409:
		e.Kind, e.StatusCode, e.Message = netbox.KindConflict, 409, "conflict"
	case refuse500Integrity:
		e.Kind, e.StatusCode, e.Exception, e.Message = netbox.KindServer, 500, "IntegrityError", "IntegrityError: duplicate key"
	case refuse500Operational:
		e.Kind, e.StatusCode, e.Exception, e.Message = netbox.KindServer, 500, "OperationalError", "OperationalError: server closed the connection"
	case refuseNetwork:
		e.Kind, e.Message = netbox.KindNetwork, "EOF"
	}
	return e
}

// fakeBulk answers like NetBox: all or nothing.
type fakeBulk struct {
	kind    refusal
	bad     map[int]bool
	written map[int]int // item -> times written
	sends   int
}

func (f *fakeBulk) send(items []int) ([]string, error) {
	f.sends++
	if err := f.kind.err(items, f.bad); err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		f.written[it]++
		out[i] = fmt.Sprint("written ", it)
	}
	return out, nil
}

func isolateInts(f *fakeBulk, n int) isolated[string] {
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	return isolate(items, f.send, blameByIndex[int])
}

// bisectBound is what finding k refused items among n may cost beyond the
// first request.
func bisectBound(k, n int) int {
	if k == 0 {
		return 0
	}
	return k * (int(math.Ceil(math.Log2(float64(n)))) + 2)
}

// isolationBound is what isolate may cost: k*(ceil(log2 n)+2) while that
// is below n, else about 2n (it then sends what is left one by one).
func isolationBound(k, n int) int {
	if b := bisectBound(k, n); b < n {
		return b
	}
	return 2*n + int(math.Ceil(math.Log2(float64(n)))) + 2
}

func TestIsolateFindsEveryRefusedItem(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 70).Draw(t, "n")
		kind := refusal(rapid.IntRange(int(refuseCreate400), int(refuse500Integrity)).Draw(t, "kind"))
		bad := map[int]bool{}
		for i := range n {
			if rapid.IntRange(0, 9).Draw(t, fmt.Sprint("bad ", i)) == 0 {
				bad[i] = true
			}
		}
		f := &fakeBulk{kind: kind, bad: bad, written: map[int]int{}}
		res := isolateInts(f, n)
		for i := range n {
			if bad[i] {
				if !assert.Error(t, res.errs[i], "item %d is refused", i) {
					t.FailNow()
				}
				if kind == refuseCreate400 || kind == refuseUpdate400 {
					assert.Contains(t, res.errs[i].Error(), fmt.Sprintf("item %d is bad", i), "its own error")
				}
				assert.Zero(t, f.written[i])
				continue
			}
			if res.errs[i] != nil {
				t.Fatalf("item %d is not refused but failed: %v", i, res.errs[i])
			}
			assert.Equal(t, 1, f.written[i], "written once")
			assert.Equal(t, fmt.Sprint("written ", i), res.out[i])
		}
		assert.Equal(t, f.sends, res.sends)
		extra := res.sends - 1
		if kind == refuseCreate400 {
			want := 0
			if len(bad) > 0 && len(bad) < n {
				want = 1
			}
			assert.Equal(t, want, extra, "per-item errors cost the resend of the others")
		} else {
			assert.LessOrEqual(t, extra, isolationBound(len(bad), n), "%d refused of %d", len(bad), n)
		}
	})
}

func TestIsolateNeverSplitsWholeRequestFailures(t *testing.T) {
	for _, kind := range []refusal{refuse500Operational, refuseNetwork} {
		f := &fakeBulk{kind: kind, bad: map[int]bool{3: true}, written: map[int]int{}}
		res := isolateInts(f, 8)
		assert.Equal(t, 1, res.sends, "one request, as before")
		for i := range 8 {
			assert.Error(t, res.errs[i])
		}
	}
	f := &fakeBulk{kind: refuse403, bad: map[int]bool{}, written: map[int]int{}}
	res := isolateInts(f, 8)
	assert.Equal(t, 1, res.sends, "a request NetBox accepts costs one")
	assert.Zero(t, isolateInts(&fakeBulk{written: map[int]int{}}, 0).sends, "no items, no request")
}

// TestIsolateCost measures the requests isolation adds for k refused of n
// (the numbers the README and the report quote).
func TestIsolateCost(t *testing.T) {
	for _, n := range []int{2, 8, 64, 300} {
		for _, k := range []int{0, 1, 2, 4, n} {
			if k > n || k == n && n < 8 {
				continue
			}
			worst, sum, runs := 0, 0, 0
			// Every placement of one refused item, and spread placements of more.
			for start := range n {
				bad := map[int]bool{}
				for j := range k {
					bad[(start+j*n/max(k, 1))%n] = true
				}
				f := &fakeBulk{kind: refuse403, bad: bad, written: map[int]int{}}
				res := isolateInts(f, n)
				extra := res.sends - 1
				worst, sum, runs = max(worst, extra), sum+extra, runs+1
				require.LessOrEqual(t, extra, isolationBound(k, n))
				if k == 0 {
					break
				}
			}
			t.Logf("403: %d refused of %d: %d extra requests at worst, %.1f on average (bound %d)",
				k, n, worst, float64(sum)/float64(runs), isolationBound(k, n))
		}
	}
}

// TestWriteObjectsSplitsRefusedFields: NetBox refuses one interface of a
// bulk PATCH for its new type (a cable is attached); the other interfaces
// are written, and so is the refused interface's other change.
func TestWriteObjectsSplitsRefusedFields(t *testing.T) {
	plan := diff.Plan{ID: "p", DeviceFound: true, Device: diff.DeviceRef{ID: 7}}
	r := newRun(nil, netbox.WriteOptions{}, plan, &tracker{progress: func(int, int, string) {}})
	objs := [][]diff.Change{
		{{ObjectType: diff.ObjectInterface, ObjectID: 1, Object: "eth0", Field: diff.FieldType, New: "virtual", Action: diff.ActionUpdate},
			{ObjectType: diff.ObjectInterface, ObjectID: 1, Object: "eth0", Field: diff.FieldMAC, New: "aa:bb:cc:00:00:01", NewID: 9, Action: diff.ActionUpdate}},
		{{ObjectType: diff.ObjectInterface, ObjectID: 2, Object: "eth1", Field: diff.FieldType, New: "10gbase-t", Action: diff.ActionUpdate}},
		{{ObjectType: diff.ObjectInterface, ObjectID: 3, Object: "eth2", Action: diff.ActionOffline, Field: diff.FieldEnabled}},
	}
	var sent [][]netbox.InterfaceUpdate
	send := func(in []netbox.InterfaceUpdate) ([]int64, error) {
		sent = append(sent, in)
		for _, u := range in {
			if u.ID == 1 && u.Type != nil {
				// NetBox's bulk update answers with the first refused
				// object's errors, without saying which object it is.
				return nil, &netbox.Error{Kind: netbox.KindValidation, StatusCode: 400, Method: "PATCH", Path: "/api/dcim/interfaces/",
					Fields: map[string][]string{"type": {"Virtual interfaces cannot have a cable attached."}}, Message: "type: Virtual interfaces cannot have a cable attached."}
			}
		}
		out := make([]int64, len(in))
		for i, u := range in {
			out[i] = u.ID
		}
		return out, nil
	}
	writeObjects(r, objs, func(cs []diff.Change) netbox.InterfaceUpdate {
		u := netbox.InterfaceUpdate{ID: cs[0].ObjectID}
		for _, c := range cs {
			switch c.Field {
			case diff.FieldType:
				u.Type = ptr(c.New)
			case diff.FieldMAC:
				u.PrimaryMAC = ptr(c.NewID)
			default:
				u.Enabled = ptr(false)
			}
		}
		return u
	}, send, nil)

	got := map[string]ChangeResult{}
	for _, cr := range r.res.Changes {
		got[cr.Change.Object+" "+cr.Change.Field] = cr
	}
	assert.Equal(t, OutcomeFailed, got["eth0 type"].Outcome)
	assert.Equal(t, netbox.KindValidation, got["eth0 type"].Kind)
	assert.Contains(t, got["eth0 type"].Message, "type: Virtual interfaces cannot have a cable attached.")
	assert.Equal(t, OutcomeApplied, got["eth0 mac_address"].Outcome, "the refused interface's other change is written")
	assert.Equal(t, OutcomeApplied, got["eth1 type"].Outcome)
	assert.Equal(t, OutcomeApplied, got["eth2 enabled"].Outcome)
	assert.Equal(t, 1, r.res.Failed)
	assert.Equal(t, 3, r.res.Applied)
	// All three; eth0 alone (the first half), eth1 and eth2 (the second);
	// eth0 without its refused type.
	require.Len(t, sent, 4)
	assert.Len(t, sent[0], 3)
	assert.Equal(t, []netbox.InterfaceUpdate{{ID: 1, PrimaryMAC: ptr(int64(9))}}, sent[3])
	assert.Equal(t, len(sent), r.sends)
}

func TestBlameFieldsNamesOnlyTheFieldsOfTheChange(t *testing.T) {
	e := &netbox.Error{Kind: netbox.KindValidation, StatusCode: 400,
		Fields: map[string][]string{"platform": {"The assigned platform is limited to Dell device types."}, "__all__": {"x"}}}
	sent := []diff.Change{
		{ObjectType: diff.ObjectDevice, Field: "platform"},
		{ObjectType: diff.ObjectDevice, Field: "status"},
	}
	blamed := blameFields(e, sent)
	require.Len(t, blamed, 1)
	assert.Equal(t, "platform: The assigned platform is limited to Dell device types.", blamed[0].Message)
	assert.Nil(t, blameFields(&netbox.Error{Fields: map[string][]string{"__all__": {"x"}}}, sent))
	assert.False(t, errors.Is(blamed[0], e))
}

// refusedPlatform is fakeNetBox as NetBox answers a device PATCH whose
// platform is bound to another manufacturer (dcim/models/devices.py
// Device.clean).
type refusedPlatform struct{ *fakeNetBox }

func (f refusedPlatform) UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error) {
	d, _ := f.fakeNetBox.UpdateDevice(ctx, id, u, w)
	if u.Platform != nil {
		return record.Device{}, &netbox.Error{Kind: netbox.KindValidation, StatusCode: 400, Method: "PATCH", Path: "/api/dcim/devices/7/",
			Fields:  map[string][]string{"platform": {"The assigned platform is limited to Dell device types, but this device's type belongs to Supermicro."}},
			Message: "platform: The assigned platform is limited to Dell device types, but this device's type belongs to Supermicro."}
	}
	return d, nil
}

// TestDeviceAttributesFailAlone: a refused platform does not take status,
// serial or the primary IP with it, and the old primary is unassigned.
func TestDeviceAttributesFailAlone(t *testing.T) {
	p := diff.Plan{ID: "plan-1", DeviceFound: true, Device: diff.DeviceRef{ID: 7, Name: "web01"}, Changes: []diff.Change{
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: "platform", Old: "Ubuntu 22.04", New: "Ubuntu 24.04", NewID: 3, Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: "status", Old: "planned", New: "active", Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: "serial", Old: "A", New: "B", Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: diff.FieldPrimaryIP4, Old: "192.0.2.100/24", New: "192.0.2.150/24", NewID: 12, Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectIPAddress, ObjectID: 10, Object: "192.0.2.100/24", Field: diff.FieldAssignment, Old: "eth0", Action: diff.ActionUnassign},
	}}
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), refusedPlatform{f}, p, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"PATCH device", "PATCH device", "PATCH ips x1", "POST journal"}, f.calls, "the happy path's PATCH, then the device without its platform")
	for _, cr := range res.Changes {
		if cr.Change.Field == "platform" {
			assert.Equal(t, OutcomeFailed, cr.Outcome)
			assert.Equal(t, netbox.KindValidation, cr.Kind)
			assert.Contains(t, cr.Message, "platform: The assigned platform is limited to Dell device types")
			continue
		}
		assert.Equal(t, OutcomeApplied, cr.Outcome, "%s: %s", Describe(cr.Change), cr.Message)
	}
	assert.Equal(t, netbox.DeviceUpdate{Status: ptr("active"), Serial: ptr("B"), PrimaryIP4: ptr(int64(12))}, f.lastUpdate)
	assert.Contains(t, f.journal.Comments, "Changes failed:\n- platform: Ubuntu 22.04 -> Ubuntu 24.04 (UPDATE) (netbox: PATCH /api/dcim/devices/7/: validation: platform: The assigned platform")
}

// refusedMove is fakeNetBox whose IP updates are refused: the IP the
// device was to make primary stays where it was.
type refusedMove struct{ *fakeNetBox }

func (f refusedMove) UpdateIPAddresses(ctx context.Context, in []netbox.IPAddressUpdate, w netbox.WriteOptions) ([]record.IPAddress, error) {
	_, _ = f.fakeNetBox.UpdateIPAddresses(ctx, in, w)
	return nil, &netbox.Error{Kind: netbox.KindValidation, StatusCode: 400, Method: "PATCH", Path: "/api/ipam/ip-addresses/",
		Fields: map[string][]string{"address": {"Cannot create IP address 192.0.2.50/24 inside range 192.0.2.40-60/24."}}, Message: "address: Cannot create IP address 192.0.2.50/24 inside range 192.0.2.40-60/24."}
}

// TestPrimaryOfARefusedIPIsSkipped: an existing IP that was to move onto
// the device's interface and become its primary is refused; the primary
// change is skipped naming it, the old primary stays assigned, and the
// device's other fields are written.
func TestPrimaryOfARefusedIPIsSkipped(t *testing.T) {
	p := diff.Plan{ID: "plan-1", DeviceFound: true, Device: diff.DeviceRef{ID: 7, Name: "web01"}, Changes: []diff.Change{
		{ObjectType: diff.ObjectIPAddress, ObjectID: 12, Object: "192.0.2.50/24", Field: diff.FieldAssignment, New: "eth0", ParentID: 5, Action: diff.ActionUpdate, Key: "ip:192.0.2.50"},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: diff.FieldPrimaryIP4, Old: "192.0.2.10/24", New: "192.0.2.50/24", NewID: 12, Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: "serial", Old: "A", New: "B", Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectIPAddress, ObjectID: 10, Object: "192.0.2.10/24", Field: diff.FieldAssignment, Old: "eth0", Action: diff.ActionUnassign},
	}}
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), refusedMove{f}, p, nil)
	require.NoError(t, err)
	got := map[string]ChangeResult{}
	for _, cr := range res.Changes {
		got[Describe(cr.Change)] = cr
	}
	assert.Equal(t, OutcomeFailed, got["ipaddress 192.0.2.50/24 assigned_object: - -> eth0 (UPDATE)"].Outcome)
	primary := got["primary_ip4: 192.0.2.10/24 -> 192.0.2.50/24 (UPDATE)"]
	assert.Equal(t, OutcomeSkipped, primary.Outcome)
	assert.Equal(t, `depends on a change that did not apply: ipaddress "192.0.2.50/24" failed`, primary.Message)
	assert.Equal(t, OutcomeApplied, got["serial: A -> B (UPDATE)"].Outcome)
	assert.Equal(t, OutcomeSkipped, got["ipaddress 192.0.2.10/24 assigned_object: eth0 -> - (UNASSIGN)"].Outcome, "the old primary stays assigned")
	assert.Equal(t, netbox.DeviceUpdate{Serial: ptr("B")}, f.lastUpdate)
}
