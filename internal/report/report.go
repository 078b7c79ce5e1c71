// Package report renders a diff.Plan as the seed's Phase 4 "Sync Diff Report"
// (Markdown), the form a person or a model reads before confirming.
package report

import (
	"fmt"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
)

// DryRunFooter is the seed's last line of a dry run.
const DryRunFooter = "Dry run complete. No changes applied."

// fieldTitles are the seed's names for device fields.
var fieldTitles = map[string]string{
	"platform": "Platform",
	"status":   "Status",
	"serial":   "Serial",
}

// Markdown renders the plan in the seed's Phase 4 layout. Sections without
// changes are left out, except Device Attributes, which always says whether
// the device matches.
func Markdown(p diff.Plan) string {
	var b strings.Builder
	b.WriteString("## Sync Diff Report\n\n")
	if !p.DeviceFound {
		fmt.Fprintf(&b, "**Device:** %s (not found in NetBox)\n\n", p.Hostname)
		b.WriteString("The device must be registered before it can be synced: run `/cmdb register` (or create the device in NetBox with this name), then sync again.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "**Device:** %s (ID: %d)\n", p.Device.Name, p.Device.ID)
	if p.Device.URL != "" {
		fmt.Fprintf(&b, "**NetBox URL:** %s\n", p.Device.URL)
	}
	if p.Full {
		b.WriteString("**Mode:** full sync (every compared field is refreshed)\n")
	}
	b.WriteString("\n")

	deviceSection(&b, p)
	notes(&b, p.Notes)

	s := p.Summary()
	b.WriteString("### Summary\n")
	fmt.Fprintf(&b, "- **Updates:** %d\n", s.Updates)
	fmt.Fprintf(&b, "- **Creates:** %d\n", s.Creates)
	fmt.Fprintf(&b, "- **Removals/Offline:** %d\n", s.Removals)
	if p.InSync() {
		b.WriteString("\nNetBox matches this host. Nothing to apply.\n")
	}
	return b.String()
}

func deviceSection(b *strings.Builder, p diff.Plan) {
	b.WriteString("### Device Attributes\n")
	var lines []string
	for _, c := range p.Changes {
		if c.Section != diff.SectionDevice {
			continue
		}
		field := fieldTitles[c.Field]
		if c.ObjectType == diff.ObjectPlatform {
			field = "Platform (new in NetBox, slug " + c.Slug + ")"
		} else if field == "" {
			field = c.Field
		}
		lines = append(lines, row(field, c.Old, c.New, string(c.Action)))
	}
	if len(lines) == 0 {
		b.WriteString("No changes: platform, status and serial match.\n\n")
		return
	}
	b.WriteString("| Field | NetBox Value | Current Value | Action |\n")
	b.WriteString("|-------|--------------|---------------|--------|\n")
	for _, l := range lines {
		b.WriteString(l)
	}
	b.WriteString("\n")
}

func notes(b *strings.Builder, ns []string) {
	if len(ns) == 0 {
		return
	}
	b.WriteString("### Notes\n")
	for _, n := range ns {
		fmt.Fprintf(b, "- %s\n", n)
	}
	b.WriteString("\n")
}

// row renders one table row; an empty value shows as "-", as in the seed.
func row(cells ...string) string {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// cell keeps a value from breaking the table: NetBox values are free text.
func cell(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}
