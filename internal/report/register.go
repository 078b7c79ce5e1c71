package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// RegisterMarkdown renders a register plan for the user to confirm: the
// device it creates (and the manufacturer and device type, when NetBox
// lacks them), then what the first sync writes, in the sync report's
// sections, and a summary of both.
func RegisterMarkdown(p diff.RegisterPlan) string {
	var b strings.Builder
	b.WriteString("## Register Report\n\n")
	fmt.Fprintf(&b, "**Device:** %s (not in NetBox yet: will be created)\n\n", cell(p.Device.Name))

	b.WriteString("### Device (will create)\n")
	b.WriteString("| Field | Value |\n|-------|-------|\n")
	b.WriteString(row("Name", p.Device.Name))
	b.WriteString(row("Site", p.Site.Name))
	b.WriteString(row("Role", p.Role.Name))
	mfr := p.Manufacturer.Name
	if p.NewManufacturer() {
		mfr += " (new in NetBox, slug " + p.Manufacturer.Slug + ")"
	}
	b.WriteString(row("Manufacturer", mfr))
	dt := p.DeviceType.Model
	if p.NewDeviceType() {
		dt += " (new in NetBox, slug " + p.DeviceType.Slug + ")"
	}
	b.WriteString(row("Device type", dt))
	b.WriteString(row("Status", p.Device.Status))
	b.WriteString(row("Platform", platformCell(p)))
	b.WriteString(row("Serial", p.Device.Serial))
	b.WriteString("\n")

	sync := forDisplay(p)
	if len(sync.Changes) > 0 {
		b.WriteString("### First Sync (in the same confirmation)\n\n")
		interfaceSection(&b, sync)
		ipSection(&b, sync)
		containerSection(&b, sync)
	}
	notes(&b, slices.Concat(p.Notes, p.Sync.Notes))

	s := p.Sync.Summary()
	b.WriteString("### Summary\n")
	fmt.Fprintf(&b, "- **Creates:** %d (the device", s.Creates+p.Creates())
	if p.NewDeviceType() {
		b.WriteString(", its device type")
		if p.NewManufacturer() {
			b.WriteString(" and manufacturer")
		}
	}
	fmt.Fprintf(&b, ", and %d of the first sync)\n", s.Creates)
	fmt.Fprintf(&b, "- **Updates:** %d\n", s.Updates)
	fmt.Fprintf(&b, "- **Removals/Offline:** %d\n", s.Removals)
	b.WriteString("\nNothing is written before the user confirms; nothing is ever deleted.\n")
	return b.String()
}

// platformCell says which platform the device gets, and whether the
// first sync creates it first.
func platformCell(p diff.RegisterPlan) string {
	if p.Device.Platform != nil {
		return p.Device.Platform.Name
	}
	for _, c := range p.Sync.Changes {
		if c.ObjectType == diff.ObjectPlatform && c.Action == diff.ActionCreate {
			return c.New + " (new in NetBox, slug " + c.Slug + "; set by the first sync)"
		}
	}
	return ""
}

// forDisplay is the first sync as the report shows it: without the device
// attribute changes, which the device table shows, and with the cluster
// group named for a device id that does not exist yet.
func forDisplay(p diff.RegisterPlan) diff.Plan {
	out := p.Sync
	out.Changes = nil
	unborn := record.HostClusterGroupName(p.Device.Name, 0)
	for _, c := range p.Sync.Changes {
		if c.Section == diff.SectionDevice {
			continue
		}
		if c.ObjectType == diff.ObjectClusterGroup && c.Object == unborn {
			c.Object = p.Device.Name + " containers (device <new id>)"
		}
		out.Changes = append(out.Changes, c)
	}
	return out
}
