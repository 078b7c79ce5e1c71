package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

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
