package tools_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// scopeWorld is NetBox with this host's device (testHost's name) and
// another host's, each with an interface, an IP, a cluster group, a
// cluster and a VM; unassigned IPs; a cluster in no group; and a VM on a
// site alone, in no cluster.
type scopeWorld struct {
	own, other               int64 // devices
	ownIf, otherIf           int64
	ownIP, otherIP           int64
	freeIP, freeIP2          int64 // unassigned
	ownGroup, otherGroup     int64
	ownCluster, otherCluster int64
	looseCluster             int64
	ownVM, otherVM           int64
	siteVM                   int64 // in no cluster
	clusterType              int64
}

func newScopeWorld(t *testing.T, h *harness) scopeWorld {
	t.Helper()
	var w scopeWorld
	w.own = h.device(t, deviceBody{Name: testHost.Hostname, Status: "active"})
	w.other = h.device(t, deviceBody{Name: "db01", Status: "active"})
	w.ownIf = h.post(t, "/api/dcim/interfaces/", map[string]any{"device": w.own, "name": "eth0", "type": "1000base-t"})
	w.otherIf = h.post(t, "/api/dcim/interfaces/", map[string]any{"device": w.other, "name": "eth0", "type": "1000base-t"})
	ip := func(addr string, iface int64) int64 {
		body := map[string]any{"address": addr}
		if iface != 0 {
			body["assigned_object_type"], body["assigned_object_id"] = "dcim.interface", iface
		}
		return h.post(t, "/api/ipam/ip-addresses/", body)
	}
	w.ownIP, w.otherIP = ip("192.0.2.10/24", w.ownIf), ip("192.0.2.20/24", w.otherIf)
	w.freeIP, w.freeIP2 = ip("192.0.2.30/24", 0), ip("192.0.2.31/24", 0)
	w.clusterType = h.post(t, "/api/virtualization/cluster-types/", namedSlug{Name: "Docker Compose", Slug: "docker-compose"})
	w.ownGroup = h.post(t, "/api/virtualization/cluster-groups/", namedSlug{Name: "web01 containers", Slug: record.HostClusterGroupSlug(w.own)})
	w.otherGroup = h.post(t, "/api/virtualization/cluster-groups/", namedSlug{Name: "db01 containers", Slug: record.HostClusterGroupSlug(w.other)})
	cluster := func(name string, group int64) int64 {
		body := map[string]any{"name": name, "type": w.clusterType}
		if group != 0 {
			body["group"] = group
		}
		return h.post(t, "/api/virtualization/clusters/", body)
	}
	w.ownCluster, w.otherCluster, w.looseCluster = cluster("media", w.ownGroup), cluster("media", w.otherGroup), cluster("shared", 0)
	w.ownVM = h.post(t, "/api/virtualization/virtual-machines/", map[string]any{"name": "media_radarr", "cluster": w.ownCluster, "status": "active"})
	w.otherVM = h.post(t, "/api/virtualization/virtual-machines/", map[string]any{"name": "media_radarr", "cluster": w.otherCluster, "status": "active"})
	w.siteVM = h.post(t, "/api/virtualization/virtual-machines/", map[string]any{"name": "billing", "site": h.fixture.SiteID, "status": "active"})
	return w
}

// scopeCase is one write tool called on this host's object and on
// another's.
type scopeCase struct {
	tool       string
	own, other func(w scopeWorld) map[string]any
	// why is what the refusal says of the other object.
	why string
}

var scopeCases = []scopeCase{
	{"dcim_update_device",
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.own, "status": "active"} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.other, "status": "decommissioning"} },
		"is not this host's device"},
	{"dcim_create_interface",
		func(w scopeWorld) map[string]any {
			return map[string]any{"device": w.own, "name": "tailscale0", "type": "virtual"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"device": w.other, "name": "tailscale0", "type": "virtual"}
		},
		"is not this host's device"},
	{"dcim_update_interface",
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownIf, "description": "uplink"} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.otherIf, "enabled": false} },
		"is on device"},
	{"dcim_create_mac_address",
		func(w scopeWorld) map[string]any {
			return map[string]any{"mac_address": "02:00:00:00:00:01", "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"mac_address": "02:00:00:00:00:02", "assigned_object_type": "dcim.interface", "assigned_object_id": w.otherIf}
		},
		"is on device"},
	{"dcim_create_mac_address",
		func(w scopeWorld) map[string]any {
			return map[string]any{"mac_address": "02:00:00:00:00:03", "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(scopeWorld) map[string]any { return map[string]any{"mac_address": "02:00:00:00:00:04"} },
		"assigned to nothing belongs to no host"},
	{"ipam_create_ip_address",
		func(w scopeWorld) map[string]any {
			return map[string]any{"address": "198.51.100.1/24", "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"address": "198.51.100.2/24", "assigned_object_type": "dcim.interface", "assigned_object_id": w.otherIf}
		},
		"is on device"},
	{"ipam_create_ip_address",
		func(w scopeWorld) map[string]any {
			return map[string]any{"address": "198.51.100.3/24", "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(scopeWorld) map[string]any { return map[string]any{"address": "198.51.100.4/24"} },
		"assigned to nothing belongs to no host"},
	{"ipam_update_ip_address",
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownIP, "address": "192.0.2.10/25"} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.otherIP, "address": "192.0.2.20/25"} },
		"not to an interface of this host's device"},
	{"ipam_update_ip_address", // an unassigned IP may be claimed, as a sync reuses one, not changed
		func(w scopeWorld) map[string]any {
			return map[string]any{"id": w.freeIP, "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.freeIP2, "address": "192.0.2.31/25"} },
		"is assigned to nothing"},
	{"ipam_update_ip_address", // moved onto another host's interface
		func(w scopeWorld) map[string]any {
			return map[string]any{"id": w.ownIP, "assigned_object_type": "dcim.interface", "assigned_object_id": w.ownIf}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"id": w.ownIP, "assigned_object_type": "dcim.interface", "assigned_object_id": w.otherIf}
		},
		"is on device"},
	{"virt_create_cluster",
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "web", "type": w.clusterType, "group": w.ownGroup}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "web", "type": w.clusterType, "group": w.otherGroup}
		},
		"is not this host's"},
	{"virt_create_cluster",
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "db", "type": w.clusterType, "group": w.ownGroup}
		},
		func(w scopeWorld) map[string]any { return map[string]any{"name": "db", "type": w.clusterType} },
		"assigned to nothing belongs to no host"},
	{"virt_create_vm",
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "media_lidarr", "cluster": w.ownCluster, "status": "active"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "media_lidarr", "cluster": w.otherCluster, "status": "active"}
		},
		"is not in this host's cluster group"},
	{"virt_create_vm",
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "media_sonarr", "cluster": w.ownCluster, "status": "active"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"name": "media_sonarr", "cluster": w.looseCluster, "status": "active"}
		},
		"is not in this host's cluster group"},
	{"virt_update_vm",
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownVM, "status": "offline"} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.otherVM, "status": "offline"} },
		"which is not this host's"},
	{"virt_update_vm", // moved into another host's cluster
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownVM, "cluster": w.ownCluster} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownVM, "cluster": w.otherCluster} },
		"is not in this host's cluster group"},
	{"virt_update_vm", // a VM on a site alone is no host's
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownVM, "status": "offline"} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.siteVM, "status": "offline"} },
		"is in no cluster, so it is not this host's"},
	{"virt_update_vm", // nor is it moved into this host's cluster
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.ownVM, "cluster": w.ownCluster} },
		func(w scopeWorld) map[string]any { return map[string]any{"id": w.siteVM, "cluster": w.ownCluster} },
		"is in no cluster, so it is not this host's"},
	{"extras_create_journal_entry", // nor journalled
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "virtualization.virtualmachine", "assigned_object_id": w.ownVM, "comments": "stopped"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "virtualization.virtualmachine", "assigned_object_id": w.siteVM, "comments": "stopped"}
		},
		"is in no cluster, so it is not this host's"},
	{"extras_create_journal_entry",
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": w.own, "comments": "synced"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": w.other, "comments": "synced"}
		},
		"is not this host's device"},
	{"extras_create_journal_entry",
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "virtualization.virtualmachine", "assigned_object_id": w.ownVM, "comments": "stopped"}
		},
		func(w scopeWorld) map[string]any {
			return map[string]any{"assigned_object_type": "dcim.site", "assigned_object_id": 1, "comments": "x"}
		},
		"dcim.site 1 is none of the objects the write scope knows"},
}

// writes are the requests that change NetBox.
func writes(h *harness) []string {
	var out []string
	for _, r := range h.sim.Sim.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestWriteScope: by default each write tool changes this host's objects
// and refuses another's, naming the way to lift the limit, with nothing
// sent; with --write-scope any it changes the other's too.
func TestWriteScope(t *testing.T) {
	hostScope := newHarness(t, harnessOptions{})
	inHost := newScopeWorld(t, hostScope)
	anyScope := newHarness(t, harnessOptions{writeScope: tools.WriteScopeAny})
	inAny := newScopeWorld(t, anyScope)
	for _, tc := range scopeCases {
		t.Run(tc.tool+"/"+tc.why, func(t *testing.T) {
			decode[map[string]any](t, hostScope.call(t, tc.tool, tc.own(inHost)))

			before := writes(hostScope)
			msg := toolError(t, hostScope.call(t, tc.tool, tc.other(inHost)))
			assert.Contains(t, msg, tc.why)
			assert.Contains(t, msg, "--write-scope any")
			assert.Contains(t, msg, "CMDB_WRITE_SCOPE=any")
			assert.Contains(t, msg, "nothing was written")
			assert.Equal(t, before, writes(hostScope), "a refused call wrote")

			res := anyScope.call(t, tc.tool, tc.other(inAny))
			assert.NotContains(t, text(res), "--write-scope", "any lifts the limit")
		})
	}
}

// The shared objects a sync needs may be created in the host scope.
func TestWriteScopeSharedCreates(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	decode[tools.Slugged](t, h.call(t, "dcim_create_platform", map[string]any{"name": "Debian 13"}))
	decode[tools.Slugged](t, h.call(t, "virt_create_cluster_type", map[string]any{"name": "Docker Compose"}))
	for _, r := range h.sim.Sim.Requests() {
		assert.NotEqual(t, "/api/dcim/devices/", r.Path, "a shared create looked this host up")
	}
}

// A host NetBox has no device for can write nothing of its own; the
// refusal says to register it.
func TestWriteScopeUnregisteredHost(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	other := h.device(t, deviceBody{Name: "db01", Status: "active"})
	msg := toolError(t, h.call(t, "dcim_update_device", map[string]any{"id": other, "status": "offline"}))
	assert.Contains(t, msg, fmt.Sprintf("no device named %q", testHost.Hostname))
	assert.Contains(t, msg, "/cmdb register")
	assert.Contains(t, msg, "--write-scope any")
}

// What the check costs: this host's device is read once, then a device
// costs nothing, an interface one GET, a VM two.
func TestWriteScopeCost(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	w := newScopeWorld(t, h)
	count := func(tool string, args map[string]any) (gets []string) {
		t.Helper()
		h.sim.Sim.ResetRequests()
		decode[map[string]any](t, h.call(t, tool, args))
		for _, r := range h.sim.Sim.Requests() {
			if r.Method == http.MethodGet {
				gets = append(gets, strings.TrimPrefix(r.Path, "/api/"))
			}
		}
		return gets
	}
	first := count("dcim_update_device", map[string]any{"id": w.own, "status": "active"})
	assert.Equal(t, []string{"dcim/devices/"}, first, "the first write looks this host's device up")
	assert.Empty(t, count("dcim_update_device", map[string]any{"id": w.own, "status": "active"}), "then it is kept")
	assert.Equal(t, []string{fmt.Sprintf("dcim/interfaces/%d/", w.ownIf)},
		count("dcim_update_interface", map[string]any{"id": w.ownIf, "description": "uplink"}))
	assert.Equal(t, []string{fmt.Sprintf("virtualization/virtual-machines/%d/", w.ownVM), fmt.Sprintf("virtualization/clusters/%d/", w.ownCluster)},
		count("virt_update_vm", map[string]any{"id": w.ownVM, "status": "offline"}))
}

// TestWriteScopeDefersInvalidArguments: a write call whose arguments the
// tool refuses (a value outside its enum, a null or a wrong type) gets the
// tool's argument error, not a refusal of the write scope, and the check
// sends nothing to NetBox first.
func TestWriteScopeDefersInvalidArguments(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	w := newScopeWorld(t, h)
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"dcim_update_device", map[string]any{"id": w.other, "status": "retired"}, `status "retired" is not one of`},
		{"dcim_create_mac_address", map[string]any{"mac_address": "02:00:00:00:00:09", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": w.otherIf},
			`assigned_object_type "virtualization.vminterface" is not one of`},
		{"ipam_create_ip_address", map[string]any{"address": "198.51.100.9/24", "status": "bogus"}, `status "bogus" is not one of`},
		{"virt_update_vm", map[string]any{"id": w.otherVM, "status": nil}, "do not match the input schema of virt_update_vm"},
		{"dcim_update_interface", map[string]any{"id": w.otherIf, "enabled": "no"}, "do not match the input schema of dcim_update_interface"},
	} {
		t.Run(tc.tool+"/"+tc.want, func(t *testing.T) {
			h.sim.Sim.ResetRequests()
			msg := toolError(t, h.call(t, tc.tool, tc.args))
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "nothing was done")
			assert.NotContains(t, msg, "--write-scope", "the write scope answered for the tool")
			assert.Empty(t, h.sim.Sim.Requests(), "the write scope asked NetBox about a call the tool refuses")
		})
	}
}
