package tools_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// TestVirtualization walks the seed's container steps with its own calls:
// find or make the cluster, list its VMs, create one, mark one offline.
func TestVirtualization(t *testing.T) {
	h := newHarness(t, harnessOptions{writeScope: tools.WriteScopeAny}) // the tools on any object; scope_test.go limits them

	types := decode[tools.ListClusterTypesOutput](t, h.call(t, "virt_list_cluster_types", map[string]any{"name": "Docker Compose"}))
	assert.Zero(t, types.Count)
	assert.Contains(t, types.Note, "virt_create_cluster_type")
	ct := decode[tools.Slugged](t, h.call(t, "virt_create_cluster_type", map[string]any{"name": "Docker Compose"}))
	assert.Equal(t, "docker-compose", ct.Slug)

	clusters := decode[tools.ListClustersOutput](t, h.call(t, "virt_list_clusters", map[string]any{}))
	assert.Zero(t, clusters.Count)
	assert.Contains(t, clusters.Note, "virt_create_cluster")
	media := decode[tools.Cluster](t, h.call(t, "virt_create_cluster", map[string]any{"name": "media", "type": ct.ID}))
	assert.Equal(t, tools.Ref{ID: ct.ID, Name: "Docker Compose"}, media.Type)
	assert.Contains(t, media.URL, fmt.Sprintf("/virtualization/clusters/%d/", media.ID))

	clusters = decode[tools.ListClustersOutput](t, h.call(t, "virt_list_clusters", map[string]any{}))
	require.Len(t, clusters.Clusters, 1)
	assert.Equal(t, media.ID, clusters.Clusters[0].ID)

	// The seed: virt_create_vm name=<name> cluster=<cluster_id> status="active".
	lidarr := decode[tools.VM](t, h.call(t, "virt_create_vm", map[string]any{"name": "media_lidarr", "cluster": media.ID, "status": "active", "vcpus": 2, "memory": 512, "description": "linuxserver/lidarr"}))
	assert.Equal(t, "active", lidarr.Status)
	assert.Equal(t, media.ID, lidarr.ClusterID)
	assert.Equal(t, float64(2), lidarr.VCPUs)
	assert.Equal(t, int64(512), lidarr.MemoryMB)
	decode[tools.VM](t, h.call(t, "virt_create_vm", map[string]any{"name": "media_sonarr", "cluster": media.ID, "status": "active"}))

	// The seed: virt_list_vms cluster=<cluster_id>.
	vms := decode[tools.ListVMsOutput](t, h.call(t, "virt_list_vms", map[string]any{"cluster": media.ID}))
	assert.Equal(t, 2, vms.Count)
	one := decode[tools.ListVMsOutput](t, h.call(t, "virt_list_vms", map[string]any{"cluster": media.ID, "name": "MEDIA_LIDARR"}))
	require.Len(t, one.VMs, 1)
	assert.Equal(t, lidarr.ID, one.VMs[0].ID)

	// The seed: virt_update_vm id=<id> status="offline".
	stopped := decode[tools.VM](t, h.call(t, "virt_update_vm", map[string]any{"id": lidarr.ID, "status": "offline"}))
	assert.Equal(t, "offline", stopped.Status)
	assert.Equal(t, int64(512), stopped.MemoryMB, "absent fields stay")

	msg := toolError(t, h.call(t, "virt_update_vm", map[string]any{"id": 9999, "status": "offline"}))
	assert.Contains(t, msg, "virt_list_vms")
	msg = toolError(t, h.call(t, "virt_list_vms", map[string]any{"cluster": 9999}))
	assert.Contains(t, msg, "virt_list_clusters")
	msg = toolError(t, h.call(t, "virt_create_vm", map[string]any{"name": "x"}))
	assert.Contains(t, msg, "cluster")
}

func TestJournalEntry(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	id := h.device(t, deviceBody{Name: "web01", Status: "active"})

	// The seed's Phase 6.
	e := decode[tools.JournalEntry](t, h.call(t, "extras_create_journal_entry", map[string]any{
		"assigned_object_type": "dcim.device", "assigned_object_id": id,
		"comments": "Device synced via /cmdb sync command\n\nChanges applied:\n- platform",
	}))
	assert.NotZero(t, e.ID)
	assert.Equal(t, "info", e.Kind)
	assert.Equal(t, id, e.AssignedObjectID)

	var journal struct {
		Count int `json:"count"`
	}
	q := url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(id)}}
	require.NoError(t, h.sim.Admin().Do(t.Context(), http.MethodGet, "/api/extras/journal-entries/", q, nil, &journal))
	assert.Equal(t, 1, journal.Count)

	msg := toolError(t, h.call(t, "extras_create_journal_entry", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": id}))
	assert.Contains(t, msg, "comments")
}
