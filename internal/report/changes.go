package report

import "github.com/cmdb-mcp/cmdb-mcp/internal/diff"

// Change is one change of a plan as a person or a script reads it: what
// changes and why. The bookkeeping the apply step needs (keys, slugs, ids)
// stays in the plan.
type Change struct {
	Action     diff.Action `json:"action"`
	ObjectType string      `json:"object_type"`
	Object     string      `json:"object"`
	Field      string      `json:"field,omitempty"`
	Old        string      `json:"old,omitempty"`
	New        string      `json:"new,omitempty"`
	Reason     string      `json:"reason"`
	// Blocked says why NetBox would refuse the change as it stands: the
	// apply skips it. Empty for a change the apply writes.
	Blocked string `json:"blocked,omitempty"`
}

// Changes lists the changes of a plan as the user sees them: like the
// report and the summary, what changes, not the steps that serve it (the
// MAC object behind a new MAC).
func Changes(plan diff.Plan) []Change {
	out := make([]Change, 0, len(plan.Changes))
	for _, c := range plan.Changes {
		if !c.Supporting {
			out = append(out, ChangeOf(c))
		}
	}
	return out
}

// ChangeOf is c as a person or a script reads it.
func ChangeOf(c diff.Change) Change {
	return Change{
		Action:     c.Action,
		ObjectType: c.ObjectType,
		Object:     c.Object,
		Field:      c.Field,
		Old:        c.Old,
		New:        c.New,
		Reason:     c.Reason,
		Blocked:    c.Blocked,
	}
}
