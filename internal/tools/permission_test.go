package tools_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// A read-only token: the apply result says the token cannot write and
// names the fix, in next_step where the model reads what to do.
func TestSyncApplyTokenCannotWrite(t *testing.T) {
	h := newHarness(t, harnessOptions{token: readOnlyToken})
	_, p := plan(t, h, "")
	out := decode[tools.SyncApplyOutput](t, h.call(t, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: p.PlanID, Confirm: true}))
	assert.Zero(t, out.Applied)
	assert.NotZero(t, out.Failed)
	assert.Contains(t, out.NextStep, "Nothing was written")
	assert.Contains(t, out.NextStep, apply.TokenCannotWrite)
	assert.Contains(t, out.NextStep, netbox.EnvToken)
	assert.Contains(t, out.NextStep, "dcim.device")
}
