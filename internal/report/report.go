// Package report renders a diff.Plan as the seed's Phase 4 "Sync Diff Report".
package report

import "github.com/cmdb-mcp/cmdb-mcp/internal/diff"

// Markdown renders the plan in the seed's Phase 4 layout.
func Markdown(p diff.Plan) string {
	return "## Sync Diff Report\n" // TODO(foundation): full layout
}
