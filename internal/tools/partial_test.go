package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// containerPlan is a plan that creates the clusters for one good container
// and blocks a second one, whose name is too long for a VM.
func containerPlan() diff.Plan {
	h := host.Host{Hostname: "web01", Containers: host.Containers{Available: true, Containers: []host.Container{
		{Name: "good", Image: "nginx", Running: true},
		{Name: strings.Repeat("x", 65), Image: "nginx", Running: true},
	}}}
	nb := record.Snapshot{Found: true, Device: record.Device{ID: 7, Name: "web01", Status: "active"}}
	p := diff.Compute(h, nb, diff.Options{})
	p.ID = "plan-1"
	return p
}

// The seed's "Cluster not found: offer to create or skip", where the user
// decides: the diff's next step and the confirmation dialog.
func TestClusterOfferAndBlocked(t *testing.T) {
	p := containerPlan()
	out := DiffOutput(p)
	assert.Contains(t, out.NextStep, "ask the user whether to create them or to skip the containers (then call cmdb_sync_diff again with no_create_clusters=true)")
	assert.Contains(t, out.NextStep, "1 changes are blocked")
	assert.Equal(t, 1, out.Summary.Blocked)

	ask := askToApply(p)
	require.NotNil(t, ask)
	b, err := json.Marshal(ask)
	require.NoError(t, err)
	msg := string(b)
	assert.Contains(t, msg, "To skip the containers instead, decline, and diff again with no_create_clusters.")
	assert.Contains(t, msg, "1 change NetBox would refuse is skipped")
	assert.NotContains(t, msg, strings.Repeat("x", 65), "a blocked change is not offered")

	// Nothing is made for a container whose VM is blocked: a plan of only
	// that has nothing to apply.
	only := diff.Compute(host.Host{Hostname: "web01", Containers: host.Containers{Available: true, Containers: []host.Container{
		{Name: strings.Repeat("x", 65), Image: "nginx", Running: true}}}},
		record.Snapshot{Found: true, Device: record.Device{ID: 7, Name: "web01", Status: "active"}}, diff.Options{})
	only.ID = "plan-2"
	assert.Len(t, only.Changes, 1, "no cluster, group or role for it")
	none := DiffOutput(only)
	assert.Empty(t, none.PlanID)
	assert.Contains(t, none.NextStep, "Nothing can be applied")
}
