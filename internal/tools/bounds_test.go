package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
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
		outcome := apply.OutcomeFailed
		switch {
		case i < 40:
			outcome = apply.OutcomeApplied
		case i >= 110:
			outcome = apply.OutcomeSkipped
		}
		res.Changes = append(res.Changes, apply.ChangeResult{Change: c, Outcome: outcome, Message: "x"})
	}
	d := tools.DiffOutput(plan)
	assert.Equal(t, 120, d.Summary.Creates, "the summary counts every change")
	assert.Equal(t, 120, strings.Count(d.ReportMarkdown, "| c"), "the report lists every change, once")
	assert.Len(t, report.Changes(plan), 120)

	a := tools.ApplyOutput(res)
	assert.Len(t, a.Changes, 50, "70 failed, 10 skipped: at most 50 listed")
	assert.Equal(t, 30, a.ChangesOmitted)
	assert.Equal(t, apply.OutcomeFailed, a.Changes[0].Outcome, "failures come first")
	for _, c := range a.Changes {
		assert.NotEqual(t, apply.OutcomeApplied, c.Outcome, "applied changes are counted, not listed")
	}
}
