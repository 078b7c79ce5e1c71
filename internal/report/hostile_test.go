package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted/hostiletest"
)

// Hostile text in any field the report shows changes none of its
// structure: no line, heading, table cell, link, code span or HTML of its
// own, and every value stays one bounded line.
func TestMarkdownHostileText(t *testing.T) {
	for _, f := range hostiletest.Fields {
		benign := Markdown(f.Plan(hostiletest.Benign))
		for name, text := range hostiletest.Texts {
			t.Run(f.Name+"/"+name, func(t *testing.T) {
				out := Markdown(f.Plan(text))
				assert.Equal(t, hostiletest.Structure(benign), hostiletest.Structure(out), "%s", out)
				assert.Empty(t, hostiletest.Problems(out), "%s", out)
			})
		}
	}
}
