package apply

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted/hostiletest"
)

// results gives a plan's changes every outcome, each with message.
func results(p diff.Plan, message string) []ChangeResult {
	var out []ChangeResult
	for _, c := range p.Changes {
		out = append(out,
			ChangeResult{Change: c, Outcome: OutcomeApplied},
			ChangeResult{Change: c, Outcome: OutcomeFailed, Message: message},
			ChangeResult{Change: c, Outcome: OutcomeSkipped, Message: message})
	}
	return out
}

// The journal entry is Markdown that NetBox renders: hostile text in a
// change, in NetBox's message or in what an interrupted apply wrote adds no
// line, heading or markup to it.
func TestJournalEntryHostileText(t *testing.T) {
	for _, f := range hostiletest.Fields {
		if len(f.Plan(hostiletest.Benign).Changes) == 0 {
			continue // the journal lists changes only
		}
		benign, _ := journalEntry(results(f.Plan(hostiletest.Benign), "netbox: POST /api/x/: validation: "+hostiletest.Benign),
			"Plan p0 stopped before its journal entry. NetBox's change log shows it wrote:\n- created interface "+hostiletest.Benign+" (id 7)", "p1")
		for name, text := range hostiletest.Texts {
			t.Run(f.Name+"/"+name, func(t *testing.T) {
				out, _ := journalEntry(results(f.Plan(text), "netbox: POST /api/x/: validation: "+text),
					"Plan p0 stopped before its journal entry. NetBox's change log shows it wrote:\n- created interface "+untrusted.Text(text)+" (id 7)", "p1") // the engine puts each name on one line
				assert.Equal(t, hostiletest.Structure(benign), hostiletest.Structure(out), "%s", out)
				assert.Empty(t, hostiletest.Problems(out), "%s", out)
			})
		}
	}
}
