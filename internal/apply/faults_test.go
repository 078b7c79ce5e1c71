package apply

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// deniedIPs is fakeNetBox whose IP creates are refused.
type deniedIPs struct{ *fakeNetBox }

func (f deniedIPs) CreateIPAddresses(_ context.Context, in []netbox.IPAddressCreate, w netbox.WriteOptions) ([]record.IPAddress, error) {
	f.calls = append(f.calls, fmt.Sprintf("POST ips x%d", len(in)))
	return nil, &netbox.Error{Kind: netbox.KindPermission, Method: "POST", Path: "/api/ipam/ip-addresses/",
		StatusCode: 403, Message: "You do not have permission to perform this action."}
}

// TestApplyPrimaryIPCreateFails: the new primary IP cannot be created, so
// the device keeps its primary (skipped), and the old primary is not
// unassigned (NetBox would refuse, and the refusal would take the other
// unassignments of the same bulk request with it); the other IP that went
// away is unassigned.
func TestApplyPrimaryIPCreateFails(t *testing.T) {
	p := diff.Plan{ID: "plan-1", DeviceFound: true, Device: diff.DeviceRef{ID: 7, Name: "web01"}, Changes: []diff.Change{
		{ObjectType: diff.ObjectIPAddress, Object: "192.0.2.150/24", Action: diff.ActionCreate, Key: "ip:192.0.2.150",
			ParentID: 5, New: "eth0", Attrs: &diff.Attrs{Address: "192.0.2.150/24", Status: "active"}},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: diff.FieldPrimaryIP4, Old: "192.0.2.100/24", New: "192.0.2.150/24",
			NewKey: "ip:192.0.2.150", Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectDevice, Object: "web01", Field: "serial", Old: "A", New: "B", Action: diff.ActionUpdate},
		{ObjectType: diff.ObjectIPAddress, ObjectID: 10, Object: "192.0.2.100/24", Field: diff.FieldAssignment, Old: "eth0", Action: diff.ActionUnassign},
		{ObjectType: diff.ObjectIPAddress, ObjectID: 11, Object: "192.0.2.200/24", Field: diff.FieldAssignment, Old: "eth1", Action: diff.ActionUnassign},
	}}
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), deniedIPs{f}, p, nil)
	require.NoError(t, err)

	outcomes := map[string]ChangeResult{}
	for _, cr := range res.Changes {
		outcomes[Describe(cr.Change)] = cr
	}
	assert.Equal(t, OutcomeFailed, outcomes["ipaddress 192.0.2.150/24 (CREATE)"].Outcome)
	assert.Contains(t, outcomes["ipaddress 192.0.2.150/24 (CREATE)"].Message, "You do not have permission to perform this action.")
	assert.Equal(t, ChangeResult{Change: p.Changes[1], Outcome: OutcomeSkipped,
		Message: `depends on a change that did not apply: ipaddress "192.0.2.150/24" failed`}, outcomes["primary_ip4: 192.0.2.100/24 -> 192.0.2.150/24 (UPDATE)"])
	assert.Equal(t, OutcomeApplied, outcomes["serial: A -> B (UPDATE)"].Outcome, "the device's other fields are written")
	assert.Equal(t, ChangeResult{Change: p.Changes[3], Outcome: OutcomeSkipped,
		Message: "still the device's primary IP: changing the primary did not apply"}, outcomes["ipaddress 192.0.2.100/24 assigned_object: eth0 -> - (UNASSIGN)"])
	assert.Equal(t, OutcomeApplied, outcomes["ipaddress 192.0.2.200/24 assigned_object: eth1 -> - (UNASSIGN)"].Outcome)
	assert.Equal(t, []netbox.IPAddressUpdate{{ID: 11, Unassign: true}}, f.ipUpdates)
	assert.Nil(t, f.lastUpdate.PrimaryIP4)

	assert.Equal(t, "warning", f.journal.Kind)
	for _, cr := range res.Changes {
		if cr.Outcome != OutcomeApplied {
			assert.Contains(t, f.journal.Comments, "- "+Describe(cr.Change)+" ("+cr.Message+")")
		}
	}
}
