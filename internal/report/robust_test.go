package report

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
)

// Any plan renders: a report must never panic on what a plan holds.
func TestMarkdownNeverPanics(t *testing.T) {
	objectTypes := []string{diff.ObjectDevice, diff.ObjectPlatform, diff.ObjectInterface, diff.ObjectMACAddress,
		diff.ObjectIPAddress, diff.ObjectClusterType, diff.ObjectClusterGroup, diff.ObjectCluster, diff.ObjectVM, "other.thing"}
	sections := []diff.Section{diff.SectionDevice, diff.SectionInterfaces, diff.SectionIPs, diff.SectionContainers, "other"}
	actions := []diff.Action{diff.ActionCreate, diff.ActionUpdate, diff.ActionRefresh, diff.ActionOffline, diff.ActionUnassign, "X"}
	rapid.Check(t, func(t *rapid.T) {
		p := diff.Plan{DeviceFound: rapid.Bool().Draw(t, "found"), Full: rapid.Bool().Draw(t, "full")}
		for range rapid.IntRange(0, 20).Draw(t, "n") {
			c := diff.Change{
				Section:    rapid.SampledFrom(sections).Draw(t, "section"),
				ObjectType: rapid.SampledFrom(objectTypes).Draw(t, "type"),
				Action:     rapid.SampledFrom(actions).Draw(t, "action"),
				Object:     rapid.String().Draw(t, "object"),
				Field:      rapid.SampledFrom([]string{"", "platform", "mac_address", "address", "assigned_object", "status"}).Draw(t, "field"),
				Old:        rapid.String().Draw(t, "old"),
				New:        rapid.String().Draw(t, "new"),
				ParentKey:  rapid.SampledFrom([]string{"", "interface:eth0"}).Draw(t, "parent"),
				Supporting: rapid.Bool().Draw(t, "supporting"),
			}
			if rapid.Bool().Draw(t, "attrs") {
				c.Attrs = &diff.Attrs{Type: rapid.String().Draw(t, "attr type")}
			}
			p.Changes = append(p.Changes, c)
		}
		_ = Markdown(p)
	})
}
