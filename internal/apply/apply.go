// Package apply executes a diff.Plan against NetBox and writes the journal
// entry that records it (seed Phases 5 and 6).
package apply

import "github.com/cmdb-mcp/cmdb-mcp/internal/diff"

// Outcome is what happened to one change.
type Outcome string

// Outcomes.
const (
	OutcomeApplied Outcome = "applied"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped"
)

// ChangeResult is one change of the plan and what became of it.
type ChangeResult struct {
	Change  diff.Change `json:"change"`
	Outcome Outcome     `json:"outcome"`
	// Message is NetBox's own message for a failure, or why a change was skipped.
	Message string `json:"message,omitempty"`
}

// Result is the outcome of applying a plan.
type Result struct {
	PlanID         string         `json:"plan_id"`
	Device         diff.DeviceRef `json:"device"`
	Changes        []ChangeResult `json:"changes"`
	Applied        int            `json:"applied"`
	Failed         int            `json:"failed"`
	Skipped        int            `json:"skipped"`
	JournalEntryID int64          `json:"journal_entry_id,omitempty"`
}
