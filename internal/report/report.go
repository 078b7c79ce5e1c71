// Package report renders a diff.Plan as the seed's Phase 4 "Sync Diff Report"
// (Markdown), the form a person or a model reads before confirming.
//
// Every value in a plan (names, addresses, images, labels, reasons that
// quote them, notes) comes from NetBox or the host and goes through
// package untrusted where it is shown: it reads as a value, never as a
// heading, a link or markup that could pass for the report's own words.
package report

import (
	"fmt"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
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
		fmt.Fprintf(&b, "**Device:** %s (not found in NetBox)\n\n", untrusted.Markdown(p.Hostname))
		if len(p.Similar) > 0 {
			names := make([]string, len(p.Similar))
			for i, n := range p.Similar {
				names[i] = untrusted.Code(n)
			}
			fmt.Fprintf(&b, "NetBox has a device of a similar name: %s. If that is this host, sync it by that name (hostname %s).\n\n",
				strings.Join(names, ", "), names[0])
		}
		b.WriteString("The device must be registered before it can be synced: run `cmdb-mcp register` on the host (the MCP tool `cmdb_register`), or create the device in NetBox with this name, then sync again.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "**Device:** %s (ID: %d)\n", untrusted.Markdown(p.Device.Name), p.Device.ID)
	if p.Device.URL != "" {
		fmt.Fprintf(&b, "**NetBox URL:** %s\n", p.Device.URL)
	}
	if p.Full {
		b.WriteString("**Mode:** full sync (every compared field is refreshed)\n")
	}
	b.WriteString("\n")

	deviceSection(&b, p)
	interfaceSection(&b, p)
	ipSection(&b, p)
	containerSection(&b, p)
	blockedSection(&b, p)
	notes(&b, p.Notes)

	s := p.Summary()
	b.WriteString("### Summary\n")
	fmt.Fprintf(&b, "- **Updates:** %d\n", s.Updates)
	fmt.Fprintf(&b, "- **Creates:** %d\n", s.Creates)
	fmt.Fprintf(&b, "- **Removals/Offline:** %d\n", s.Removals)
	if s.Blocked > 0 {
		fmt.Fprintf(&b, "- **Blocked (will be skipped):** %d\n", s.Blocked)
	}
	if p.InSync() {
		b.WriteString("\nNetBox matches this host. Nothing to apply.\n")
	}
	return b.String()
}

func deviceSection(b *strings.Builder, p diff.Plan) {
	b.WriteString("### Device Attributes\n")
	var lines []string
	blocked := false
	for _, c := range p.Changes {
		if c.Section != diff.SectionDevice || c.Supporting {
			continue
		}
		if c.Blocked != "" {
			blocked = true
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
		if blocked {
			b.WriteString("No changes that can be applied (see Blocked).\n\n")
		} else {
			b.WriteString("No changes: platform, status and serial match.\n\n")
		}
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
		fmt.Fprintf(b, "- %s\n", untrusted.MarkdownN(n, untrusted.MaxMessageRunes))
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

// cell is a value as a table cell or in a list item; an empty one shows
// as "-", as in the seed.
func cell(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return untrusted.Markdown(s)
}

// shown returns the plan's changes of one section that are rows of the
// report (supporting steps are not, and blocked changes have a section of
// their own).
func shown(p diff.Plan, s diff.Section, keep func(diff.Change) bool) []diff.Change {
	var out []diff.Change
	for _, c := range p.Changes {
		if c.Section == s && !c.Supporting && c.Blocked == "" && keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func table(b *strings.Builder, title string, header []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "#### %s\n", title)
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	seps := make([]string, len(header))
	for i, h := range header {
		seps[i] = strings.Repeat("-", len(h)+2)
	}
	b.WriteString("|" + strings.Join(seps, "|") + "|\n")
	for _, r := range rows {
		b.WriteString(row(r...))
	}
	b.WriteString("\n")
}

func interfaceSection(b *strings.Builder, p diff.Plan) {
	created := shown(p, diff.SectionInterfaces, func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectInterface && c.Action == diff.ActionCreate
	})
	removed := shown(p, diff.SectionInterfaces, func(c diff.Change) bool { return c.Action == diff.ActionOffline })
	changed := shown(p, diff.SectionInterfaces, func(c diff.Change) bool {
		return c.Action == diff.ActionUpdate || c.Action == diff.ActionRefresh
	})
	duplicates := shown(p, diff.SectionInterfaces, func(c diff.Change) bool {
		return c.ObjectType == diff.ObjectMACAddress && c.Action == diff.ActionUnassign
	})
	if len(created)+len(removed)+len(changed)+len(duplicates) == 0 {
		return
	}
	// The IPs a new interface will carry, for the seed's IPs column.
	ips := map[string][]string{}
	for _, c := range p.Changes {
		if c.ObjectType == diff.ObjectIPAddress && c.Action == diff.ActionCreate && c.ParentKey != "" {
			ips[c.ParentKey] = append(ips[c.ParentKey], c.Object)
		}
	}
	b.WriteString("### Network Interfaces\n\n")
	var rows [][]string
	for _, c := range created {
		a := attrs(c)
		rows = append(rows, []string{c.Object, a.Type, a.MAC, strings.Join(ips[c.Key], ", ")})
	}
	table(b, "New Interfaces (will create)", []string{"Interface", "Type", "MAC", "IPs"}, rows)
	rows = nil
	for _, c := range removed {
		rows = append(rows, []string{c.Object, attrs(c).Type, c.Reason})
	}
	table(b, "Removed Interfaces (will mark offline)", []string{"Interface", "Type", "Reason"}, rows)
	rows = nil
	for _, c := range changed {
		rows = append(rows, []string{c.Object, c.Field, c.Old, c.New})
	}
	table(b, "Changed Interfaces", []string{"Interface", "Field", "Old", "New"}, rows)
	rows = nil
	for _, c := range duplicates {
		rows = append(rows, []string{c.Old, c.Object, c.Reason})
	}
	table(b, "Duplicate MAC Objects (will unassign, not delete)", []string{"Interface", "MAC", "Reason"}, rows)
}

func ipSection(b *strings.Builder, p diff.Plan) {
	isIP := func(c diff.Change) bool { return c.ObjectType == diff.ObjectIPAddress }
	created := shown(p, diff.SectionIPs, func(c diff.Change) bool {
		return isIP(c) && (c.Action == diff.ActionCreate || c.Field == diff.FieldAssignment && c.Action == diff.ActionUpdate && c.Old == "")
	})
	removed := shown(p, diff.SectionIPs, func(c diff.Change) bool { return isIP(c) && c.Action == diff.ActionUnassign })
	moved := shown(p, diff.SectionIPs, func(c diff.Change) bool {
		return isIP(c) && c.Action == diff.ActionUpdate && !(c.Field == diff.FieldAssignment && c.Old == "")
	})
	primary := shown(p, diff.SectionIPs, func(c diff.Change) bool { return c.ObjectType == diff.ObjectDevice })
	if len(created)+len(removed)+len(moved)+len(primary) == 0 {
		return
	}
	b.WriteString("### IP Addresses\n\n")
	list := func(title string, cs []diff.Change, line func(diff.Change) string) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(b, "#### %s\n", title)
		for _, c := range cs {
			b.WriteString("- " + line(c) + "\n")
		}
		b.WriteString("\n")
	}
	list("New IPs (will create)", created, func(c diff.Change) string {
		s := cell(c.Object) + " on " + cell(c.New)
		if c.Action == diff.ActionUpdate {
			s += " (an unassigned IP in NetBox, reused)"
		}
		return s
	})
	list("Removed IPs (will unassign)", removed, func(c diff.Change) string {
		if strings.HasPrefix(c.Reason, "Duplicate") {
			return cell(c.Object) + " from " + cell(c.Old) + " (" + cell(c.Reason) + ")"
		}
		return cell(c.Object) + " from " + cell(c.Old)
	})
	list("Changed IPs", moved, func(c diff.Change) string {
		if c.Field == diff.FieldAddress {
			return fmt.Sprintf("%s: prefix %s -> %s", cell(c.Object), cell(c.Old), cell(c.New))
		}
		return fmt.Sprintf("%s moved from %s to %s", cell(c.Object), cell(c.Old), cell(c.New))
	})
	list("Primary IP", primary, func(c diff.Change) string {
		return fmt.Sprintf("%s: %s -> %s (%s)", cell(c.Field), cell(c.Old), cell(c.New), cell(string(c.Action)))
	})
}

func containerSection(b *strings.Builder, p diff.Plan) {
	isVM := func(c diff.Change) bool { return c.ObjectType == diff.ObjectVM }
	scaffold := shown(p, diff.SectionContainers, func(c diff.Change) bool { return !isVM(c) && c.Action == diff.ActionCreate })
	created := shown(p, diff.SectionContainers, func(c diff.Change) bool { return isVM(c) && c.Action == diff.ActionCreate })
	stopped := shown(p, diff.SectionContainers, func(c diff.Change) bool { return isVM(c) && c.Action == diff.ActionOffline })
	changed := shown(p, diff.SectionContainers, func(c diff.Change) bool {
		return isVM(c) && (c.Action == diff.ActionUpdate || c.Action == diff.ActionRefresh)
	})
	if len(scaffold)+len(created)+len(stopped)+len(changed) == 0 {
		return
	}
	b.WriteString("### Docker Containers\n\n")
	var rows [][]string
	for _, c := range scaffold {
		rows = append(rows, []string{strings.TrimPrefix(strings.TrimPrefix(c.ObjectType, "virtualization."), "dcim."), c.Object, c.Reason})
	}
	table(b, "NetBox Objects for Containers (will create)", []string{"Object", "Name", "Why"}, rows)
	if len(scaffold) > 0 && scaffoldsClusters(scaffold) {
		// The seed's "Cluster not found: offer to create or skip".
		b.WriteString("NetBox has no cluster for some of these containers yet. **Create them, or skip the containers:** to sync without creating clusters, " +
			"diff again with `no_create_clusters` (CLI: `--no-create-clusters`); the containers are then left out and the rest is synced.\n\n")
	}
	rows = nil
	for _, c := range created {
		a := attrs(c)
		rows = append(rows, []string{c.Object, a.Image, a.Role})
	}
	table(b, "New Containers (will create VMs)", []string{"Container", "Image", "Role"}, rows)
	rows = nil
	for _, c := range stopped {
		rows = append(rows, []string{c.Object, c.Old, c.Reason})
	}
	table(b, "Stopped Containers (will mark VMs offline)", []string{"Container", "VM Status", "Reason"}, rows)
	rows = nil
	for _, c := range changed {
		rows = append(rows, []string{c.Object, c.Field, c.Old, c.New})
	}
	table(b, "Changed Containers", []string{"Container", "Field", "Old", "New"}, rows)
}

// scaffoldsClusters reports whether the creates include a cluster type,
// cluster group or cluster.
func scaffoldsClusters(cs []diff.Change) bool {
	for _, c := range cs {
		switch c.ObjectType {
		case diff.ObjectClusterType, diff.ObjectClusterGroup, diff.ObjectCluster:
			return true
		}
	}
	return false
}

// blockedSection lists the changes NetBox would refuse as they stand, and
// why: apply skips them and writes the rest.
func blockedSection(b *strings.Builder, p diff.Plan) {
	var rows [][]string
	for _, c := range p.Changes {
		if c.Blocked == "" || c.Supporting {
			continue
		}
		what := string(c.Action)
		if c.Field != "" {
			what += " " + c.Field
		}
		obj := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(c.ObjectType, "dcim."), "ipam."), "virtualization.")
		rows = append(rows, []string{obj + " " + c.Object, what, c.Blocked})
	}
	if p.JournalBlocked != "" {
		rows = append(rows, []string{"journal entry", "CREATE", p.JournalBlocked})
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("### Blocked (will be skipped)\n\n")
	b.WriteString("NetBox would refuse these as they stand; the sync skips them and applies everything else.\n\n")
	table(b, "Changes NetBox would refuse", []string{"Object", "Change", "Why"}, rows)
}

// attrs never fails on a change without attributes: a plan can come from a
// file or a newer version, and a report must render whatever it holds.
func attrs(c diff.Change) diff.Attrs {
	if c.Attrs == nil {
		return diff.Attrs{}
	}
	return *c.Attrs
}
