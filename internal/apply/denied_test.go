package apply_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

func TestWriteDenied(t *testing.T) {
	denied := (&netbox.Error{Kind: netbox.KindPermission, Method: "PATCH", Path: "/api/dcim/devices/", StatusCode: 403,
		Message: "You do not have permission to perform this action."}).Error()
	invalid := (&netbox.Error{Kind: netbox.KindValidation, Method: "POST", Path: "/api/ipam/ip-addresses/", StatusCode: 400,
		Message: "Duplicate IP address"}).Error()
	device := diff.Change{ObjectType: diff.ObjectDevice, Action: diff.ActionUpdate, Field: "status"}
	ip := diff.Change{ObjectType: diff.ObjectIPAddress, Action: diff.ActionCreate}

	tests := []struct {
		name string
		res  apply.Result
		want []string // empty: no message
	}{
		{name: "all applied", res: apply.Result{Applied: 1, Changes: []apply.ChangeResult{{Change: device, Outcome: apply.OutcomeApplied}}}},
		{name: "another failure", res: apply.Result{Failed: 1, Changes: []apply.ChangeResult{{Change: ip, Outcome: apply.OutcomeFailed, Message: invalid, Kind: netbox.KindValidation}}}},
		{name: "a message that quotes the words is not a permission failure", res: apply.Result{Failed: 1, Changes: []apply.ChangeResult{
			{Change: ip, Outcome: apply.OutcomeFailed, Message: "netbox: POST /api/ipam/ip-addresses/: validation: description: x: permission: y", Kind: netbox.KindValidation}}}},
		{name: "permission denied", res: apply.Result{Failed: 2, Changes: []apply.ChangeResult{
			{Change: device, Outcome: apply.OutcomeFailed, Message: denied, Kind: netbox.KindPermission},
			{Change: ip, Outcome: apply.OutcomeFailed, Message: invalid, Kind: netbox.KindValidation},
		}}, want: []string{"the NetBox token cannot write dcim.device.", "refused 1 changes with", "NETBOX_TOKEN_FILE"}},
		{name: "only the journal denied", res: apply.Result{Applied: 1, JournalError: denied, JournalErrorKind: netbox.KindPermission, Changes: []apply.ChangeResult{{Change: device, Outcome: apply.OutcomeApplied}}},
			want: []string{"NetBox refused the journal entry with", "cannot write extras.journalentry."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.res.WriteDenied()
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
			assert.Contains(t, got, apply.TokenCannotWrite)
		})
	}
}
