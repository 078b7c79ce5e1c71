package tools_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// A host with hundreds of containers must not hand the model hundreds of
// change rows twice (the report already has them).
func TestChangeListsAreBounded(t *testing.T) {
	plan := diff.Plan{ID: "plan-1", DeviceFound: true}
	var res apply.Result
	for i := range 120 {
		c := diff.Change{Section: diff.SectionContainers, ObjectType: diff.ObjectVM, Object: fmt.Sprintf("c%d", i), Action: diff.ActionCreate}
		plan.Changes = append(plan.Changes, c)
		outcome := apply.OutcomeApplied
		if i == 119 {
			outcome = apply.OutcomeFailed
		}
		res.Changes = append(res.Changes, apply.ChangeResult{Change: c, Outcome: outcome, Message: "x"})
	}
	d := tools.DiffOutput(plan)
	assert.Len(t, d.Changes, 50)
	assert.Equal(t, 70, d.ChangesOmitted)
	assert.Equal(t, 120, d.Summary.Creates, "the summary still counts every change")

	a := tools.ApplyOutput(res)
	assert.Len(t, a.Changes, 50)
	assert.Equal(t, 70, a.ChangesOmitted)
	assert.Equal(t, apply.OutcomeFailed, a.Changes[0].Outcome, "failures come first")
}
