package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func TestMarkdownSeedLayout(t *testing.T) {
	nb := record.Snapshot{Found: true, Device: record.Device{
		ID: 42, Name: "web01", Status: "planned",
		Platform: &record.Ref{ID: 1, Name: "Ubuntu 22.04"},
	}, Platforms: []record.Platform{{ID: 1, Name: "Ubuntu 22.04", Slug: "ubuntu-22-04"}}}
	h := host.Host{Hostname: "web01", OS: host.OS{Platform: "Ubuntu 24.04"}, Hardware: host.Hardware{Serial: "a|b"}}
	p := diff.Compute(h, nb, diff.Options{})
	p.Device.URL = "https://netbox.example.com/dcim/devices/42/"

	got := Markdown(p)
	want := `## Sync Diff Report

**Device:** web01 (ID: 42)
**NetBox URL:** https://netbox.example.com/dcim/devices/42/

### Device Attributes
| Field | NetBox Value | Current Value | Action |
|-------|--------------|---------------|--------|
| Platform (new in NetBox, slug ubuntu-24-04) | - | Ubuntu 24.04 | CREATE |
| Platform | Ubuntu 22.04 | Ubuntu 24.04 | UPDATE |
| Status | planned | active | UPDATE |
| Serial | - | a\|b | UPDATE |

### Notes
- Network: no interfaces were discovered, so interfaces and IPs were not compared (nothing is marked offline).
- Docker containers: skipped: Docker not available.

### Summary
- **Updates:** 3
- **Creates:** 1
- **Removals/Offline:** 0
`
	assert.Equal(t, want, got)
}

func TestMarkdownInSyncAndNotFound(t *testing.T) {
	inSync := diff.Plan{DeviceFound: true, Device: diff.DeviceRef{ID: 1, Name: "a"}, Changes: []diff.Change{}}
	out := Markdown(inSync)
	assert.Contains(t, out, "No changes: platform, status and serial match.")
	assert.Contains(t, out, "Nothing to apply.")

	missing := Markdown(diff.Plan{Hostname: "ghost"})
	assert.Contains(t, missing, "ghost (not found in NetBox)")
	assert.Contains(t, missing, "`cmdb-mcp register`")
	assert.False(t, strings.Contains(missing, "### Summary"))
	assert.NotContains(t, missing, "similar name")

	similar := Markdown(diff.Plan{Hostname: "web01.example.com", Similar: []string{"web01"}})
	assert.Contains(t, similar, "a device of a similar name: `web01`")
	assert.Contains(t, similar, "hostname `web01`")
	assert.Contains(t, similar, "`cmdb_register`")
}

func TestMarkdownBlockedAndClusterOffer(t *testing.T) {
	nb := record.Snapshot{Found: true, Device: record.Device{ID: 42, Name: "web01", Status: "active",
		Manufacturer: &record.Ref{ID: 2, Name: "Supermicro"}},
		Platforms: []record.Platform{{ID: 1, Name: "Debian 13", Slug: "debian-13", Manufacturer: &record.Ref{ID: 1, Name: "Dell"}}}}
	h := host.Host{Hostname: "web01", OS: host.OS{Platform: "Debian 13"},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: strings.Repeat("x", 65), Image: "busybox", Running: true},
			{Name: "ok", Image: "busybox", Running: true},
		}}}
	p := diff.Compute(h, nb, diff.Options{})
	got := Markdown(p)
	assert.Contains(t, got, "### Device Attributes\nNo changes that can be applied (see Blocked).\n")
	assert.Contains(t, got, "### Blocked (will be skipped)\n\nNetBox would refuse these as they stand; the sync skips them and applies everything else.")
	assert.Contains(t, got, "| device web01 | UPDATE platform | NetBox's platform \"Debian 13\" is limited to devices of manufacturer Dell")
	assert.Contains(t, got, "| virtualmachine "+strings.Repeat("x", 65)+" | CREATE | the container name is 65 characters")
	assert.Contains(t, got, "- **Blocked (will be skipped):** 2\n")
	assert.Contains(t, got, "| ok | busybox | - |", "the good container is a row of its own")
	assert.NotContains(t, got, "| "+strings.Repeat("x", 65)+" | busybox", "the blocked one is not among the creates")

	// The seed's "Cluster not found: offer to create or skip".
	assert.Contains(t, got, "#### NetBox Objects for Containers (will create)")
	assert.Contains(t, got, "**Create them, or skip the containers:**")
	assert.Contains(t, got, "`no_create_clusters` (CLI: `--no-create-clusters`)")
	skipped := Markdown(diff.Compute(h, nb, diff.Options{NoCreateClusters: true}))
	assert.NotContains(t, skipped, "Create them, or skip the containers")
	assert.Contains(t, skipped, "creating clusters is turned off (no_create_clusters)")
}

// TestChangesSayWhichAreBlocked: a script reading diff --json tells the
// changes the apply skips from those it writes.
func TestChangesSayWhichAreBlocked(t *testing.T) {
	plan := diff.Plan{Changes: []diff.Change{
		{Action: diff.ActionCreate, ObjectType: diff.ObjectInterface, Object: "eth0", Reason: "New interface"},
		{Action: diff.ActionCreate, ObjectType: diff.ObjectInterface, Object: "eth1", Reason: "New interface", Blocked: "NetBox requires custom field \"owner\""},
		{Action: diff.ActionCreate, ObjectType: diff.ObjectMACAddress, Object: "02:00:00:00:00:01", Supporting: true},
	}}
	got := Changes(plan)
	require.Len(t, got, 2, "the supporting change is left out")
	assert.Empty(t, got[0].Blocked)
	assert.Equal(t, `NetBox requires custom field "owner"`, got[1].Blocked)
}
