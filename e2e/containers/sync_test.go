package containers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// row is a row of the report's tables as report.Markdown renders it.
func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |" }

// TestSyncRealDocker: containers on a real
// dockerd, a stale NetBox: `cmdb-mcp diff` shows new, stopped, removed and
// resized containers, `apply --yes` writes them, `diff` is then in sync, and
// the VMs and clusters read back through the REST API match the engine.
func TestSyncRealDocker(t *testing.T) {
	d := newDocker(t)
	testenv.Binary(t) // a build failure stops the test before any container starts
	n := startNetBox(t)
	project := d.run // a compose project no other test has

	// This host's containers: started with --cpus, -m and compose labels;
	// then one stopped and one removed.
	specs := []container{
		{name: "frontend", project: project, cpus: "0.5", memory: "64m"}, // no VM: created
		{name: "db", project: project, cpus: "1.5", memory: "128m"},      // VM 4 vCPUs, 512 MB: resized
		{name: "worker", project: project, cpus: "1", memory: "32m"},     // stopped, VM active: offline
		{name: "gone", project: project, cpus: "1", memory: "32m"},       // removed, VM active: offline
		{name: "cache", project: project, memory: "16m"},                 // VM offline: active again
		{name: "nginx", project: "", cpus: "", memory: ""},               // no compose, no limits: standalone
	}
	names := map[string]string{}
	for _, s := range specs {
		names[s.name] = d.start(s)
	}
	d.cmd("stop", "-t", "0", names["worker"])
	d.cmd("rm", "-f", names["gone"])

	// The stale NetBox record, in the README's mapping: this device's
	// group cmdb-host-<id>, a Docker Compose cluster for the project.
	devName := d.run + "-host"
	devID := n.device(devName)
	typeID := n.post("virtualization/cluster-types", map[string]any{"name": record.ClusterTypeName, "slug": record.ClusterTypeSlug})
	groupID := n.post("virtualization/cluster-groups", map[string]any{
		"name": record.HostClusterGroupName(devName, devID), "slug": record.HostClusterGroupSlug(devID)})
	clusterID := n.post("virtualization/clusters", map[string]any{"name": project, "type": typeID, "group": groupID, "status": "active"})
	seeded := map[string]int64{}
	vm := func(name, status string, vcpus float64, memory int64) {
		seeded[name] = n.post("virtualization/virtual-machines", map[string]any{
			"name": names[name], "cluster": clusterID, "status": status, "vcpus": vcpus, "memory": memory, "description": d.image})
	}
	vm("db", "active", 4, 512)
	vm("worker", "active", 1, 32)
	vm("gone", "active", 1, 32)
	vm("cache", "offline", 0.5, 16)

	// This host's interfaces stay out of it, and so do the containers
	// other tests start and remove on the shared dockerd meanwhile.
	env := n.env("CMDB_EXCLUDE_INTERFACES=*", "CMDB_INCLUDE_CONTAINERS="+d.run+"*")
	args := []string{"--hostname", devName}

	// 1. diff: drift, exit 2, every kind of container change in the report.
	first := runBinary(t, env, append([]string{"diff"}, args...)...)
	require.Equal(t, 2, first.code, "diff should report drift\nstdout:\n%s\nstderr:\n%s", first.stdout, first.stderr)
	report := first.stdout
	for _, want := range []string{
		"#### New Containers (will create VMs)",
		row(names["frontend"], d.image, "Web Application"),
		row(names["nginx"], d.image, "Reverse Proxy"),
		"#### Stopped Containers (will mark VMs offline)",
		row(names["worker"], "active", "VM exists but container not running"),
		row(names["gone"], "active", "container no longer exists"),
		"#### Changed Containers",
		row(names["db"], "vcpus", "4", "1.5"),
		row(names["db"], "memory", "512 MB", "128 MB"),
		row(names["cache"], "status", "offline", "active"),
		row("cluster", record.StandaloneClusterName, "containers outside compose"),
	} {
		assert.Contains(t, report, want)
	}
	assert.NotContains(t, report, "skipped: Docker not available")
	for _, quiet := range []string{"frontend", "nginx"} {
		assert.NotContains(t, report, row(names[quiet], "status"), "a new container has no status change")
	}

	// 2. apply --yes writes it all.
	before := len(n.Sim.Requests())
	applied := runBinary(t, env, append([]string{"apply", "--yes"}, args...)...)
	require.Equal(t, 0, applied.code, "apply\nstdout:\n%s\nstderr:\n%s", applied.stdout, applied.stderr)
	assert.Contains(t, applied.stdout, "failed 0, skipped 0")
	assert.Empty(t, n.Refused(before), "NetBox refused requests of the apply")

	// 3. diff again: in sync (see checkInSync for other tests' containers).
	checkInSync(t, n, d, env, args)

	// 4. Read back through the REST API and compare with the engine.
	group, ok := n.hostGroup(devID)
	require.True(t, ok, "the host's cluster group is gone")
	assert.Equal(t, groupID, group.ID)
	clusters := n.clustersOf(groupID)
	require.Contains(t, clusters, project)
	require.Contains(t, clusters, record.StandaloneClusterName)
	assert.Equal(t, clusterID, clusters[project].ID, "the project's cluster was recreated")
	for name, c := range clusters {
		assert.Equal(t, record.ClusterTypeSlug, c.Type.Slug, "cluster %s", name)
		assert.Nil(t, c.Scope, "cluster %s: clusters get no site (README)", name)
	}
	vms := n.vmsOf(clusters)

	wantRole := map[string]string{"frontend": "Web Application", "db": "Database", "nginx": "Reverse Proxy",
		"worker": "Container", "cache": "Container"}
	engine := d.ours()
	require.Len(t, engine, len(specs)-1, "the removed container is still there")
	for short, full := range names {
		if short == "gone" {
			continue
		}
		c, ok := engine[full]
		require.True(t, ok, "container %s vanished", full)
		cluster := c.Config.Labels["com.docker.compose.project"]
		if cluster == "" {
			cluster = record.StandaloneClusterName
		}
		got, ok := vms[cluster+"/"+full]
		if !assert.True(t, ok, "no VM %s in cluster %s", full, cluster) {
			continue
		}
		status := "offline"
		if c.State.Running {
			status = "active"
		}
		vcpus := float64(c.HostConfig.NanoCPUs) / 1e9
		if vcpus == 0 && c.HostConfig.CPUQuota > 0 && c.HostConfig.CPUPeriod > 0 {
			vcpus = float64(c.HostConfig.CPUQuota) / float64(c.HostConfig.CPUPeriod)
		}
		memory := c.HostConfig.Memory >> 20
		if short == "cache" {
			vcpus = 0.5 // no --cpus: unknown locally, NetBox's value is kept
		}
		assert.Equal(t, status, got.Status.Value, "%s status (docker: %s)", full, c.State.Status)
		assert.InDelta(t, vcpus, got.vcpus(), 0.001, "%s vcpus", full)
		assert.Equal(t, memory, got.memory(), "%s memory (MB)", full)
		assert.Equal(t, c.Config.Image, got.Description, "%s description = image", full)
		if _, existed := seeded[short]; !existed && assert.NotNil(t, got.Role, "%s role", full) {
			// Roles of VMs that existed are not compared by the product:
			// see TestExistingVMGetsItsRole.
			assert.Equal(t, wantRole[short], got.Role.Name, "%s role", full)
		}
		assert.Nil(t, got.Device, "%s: the VM's device is not set (README)", full)
		if id, ok := seeded[short]; ok {
			assert.Equal(t, id, got.ID, "%s: the VM was recreated instead of updated", full)
		}
	}
	// Running states as the test set them up.
	assert.True(t, engine[names["frontend"]].State.Running)
	assert.False(t, engine[names["worker"]].State.Running)
	// The removed container's VM: offline, never deleted, sizes kept.
	gone, ok := vms[project+"/"+names["gone"]]
	require.True(t, ok, "the removed container's VM was deleted")
	assert.Equal(t, seeded["gone"], gone.ID)
	assert.Equal(t, "offline", gone.Status.Value)
	assert.InDelta(t, 1, gone.vcpus(), 0.001)
	assert.Equal(t, int64(32), gone.memory())
	// Exactly this run's containers in the project's cluster.
	var inProject []string
	for key := range vms {
		if strings.HasPrefix(key, project+"/") {
			inProject = append(inProject, strings.TrimPrefix(key, project+"/"))
		}
	}
	assert.ElementsMatch(t, []string{names["frontend"], names["db"], names["worker"], names["gone"], names["cache"]}, inProject)

	n.NoDeletes(t)
}

// checkInSync runs diff once more and wants exit 0. Other tests share this
// dockerd and start and remove their own containers meanwhile; the sync
// is scoped to this run's containers with CMDB_INCLUDE_CONTAINERS, so any
// planned change fails the test.
func checkInSync(t *testing.T, n *nb, d *docker, env, args []string) {
	t.Helper()
	again := runBinary(t, env, append([]string{"diff", "--json"}, args...)...)
	var out struct {
		tools.SyncDiffOutput
		Changes []report.Change `json:"changes"` // the CLI's --json adds them
	}
	require.NoError(t, json.Unmarshal([]byte(again.stdout), &out), "diff --json\nstdout:\n%s\nstderr:\n%s", again.stdout, again.stderr)
	if again.code == 0 {
		assert.True(t, out.InSync)
		assert.Contains(t, out.ReportMarkdown, "Nothing to apply")
		return
	}
	require.Equal(t, 2, again.code, "diff after apply\nstderr:\n%s", again.stderr)
	var foreign []string
	for _, c := range out.Changes {
		mine := strings.HasPrefix(c.Object, d.run)
		switch c.ObjectType {
		case diff.ObjectVM, diff.ObjectCluster, diff.ObjectDeviceRole:
		default:
			mine = true // device, interfaces, IPs: all this test's
		}
		if mine {
			t.Errorf("after apply, diff still plans %s %s %q %s: %s -> %s (%s)", c.Action, c.ObjectType, c.Object, c.Field, c.Old, c.New, c.Reason)
			continue
		}
		foreign = append(foreign, fmt.Sprintf("%s %s %q", c.Action, c.ObjectType, c.Object))
	}
	if len(foreign) > 0 {
		t.Errorf("containers outside CMDB_INCLUDE_CONTAINERS were synced: %s", strings.Join(foreign, "; "))
	}
}

// TestDockerUnavailable checks that with DOCKER_HOST naming
// a dead socket, diff and apply still sync the device, its interfaces and
// its IPs, and the report says why containers were skipped.
func TestDockerUnavailable(t *testing.T) {
	n := startNetBox(t)
	devName := fmt.Sprintf("e2e-nodocker-%d", n.fx.SiteID)
	devID := n.device(devName)
	status, body := n.Do(t, http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", devID), map[string]any{"status": "planned"})
	require.Equal(t, http.StatusOK, status, string(body))

	dead := "unix://" + t.TempDir() + "/docker.sock" // nothing listens there
	env := n.env("DOCKER_HOST="+dead, "DOCKER_CONTEXT=")

	// What the binary sees of this host's network, to compare with.
	disc := runBinary(t, env, "discover", "--json")
	require.Equal(t, 0, disc.code, disc.stderr)
	var host struct {
		Network struct {
			Interfaces []struct {
				Name          string   `json:"name"`
				MAC           string   `json:"mac"`
				IPv4          []string `json:"ipv4"`
				IPv6          []string `json:"ipv6"`
				DockerManaged bool     `json:"docker_managed"`
			} `json:"interfaces"`
			PrimaryIPv4 string `json:"primary_ipv4"`
			PrimaryIPv6 string `json:"primary_ipv6"`
		} `json:"network"`
		Containers struct {
			Available bool   `json:"available"`
			Reason    string `json:"reason"`
		} `json:"containers"`
	}
	require.NoError(t, json.Unmarshal([]byte(disc.stdout), &host))
	require.False(t, host.Containers.Available, "Docker answered on a dead socket")
	assert.Contains(t, host.Containers.Reason, "Docker not available (")
	if len(host.Network.Interfaces) == 0 {
		t.Fatalf("this host has no interface but lo to sync; the test cannot show interfaces and IPs")
	}

	args := []string{"--hostname", devName}
	first := runBinary(t, env, append([]string{"diff"}, args...)...)
	require.Equal(t, 2, first.code, "stdout:\n%s\nstderr:\n%s", first.stdout, first.stderr)
	assert.Contains(t, first.stdout, "Docker containers: skipped: Docker not available (")
	assert.Contains(t, first.stdout, "#### New Interfaces (will create)")
	assert.Contains(t, first.stdout, row("Status", "planned", "active", "UPDATE"))

	applied := runBinary(t, env, append([]string{"apply", "--yes"}, args...)...)
	require.Equal(t, 0, applied.code, "stdout:\n%s\nstderr:\n%s", applied.stdout, applied.stderr)
	assert.Contains(t, applied.stdout, "Docker containers: skipped: Docker not available (")
	assert.Contains(t, applied.stdout, "failed 0, skipped 0")

	again := runBinary(t, env, append([]string{"diff"}, args...)...)
	assert.Equal(t, 0, again.code, "stdout:\n%s\nstderr:\n%s", again.stdout, again.stderr)
	assert.Contains(t, again.stdout, "Docker containers: skipped: Docker not available (")

	// Device, interfaces and IPs are in NetBox; no container objects.
	var dev struct {
		Status     choice `json:"status"`
		PrimaryIP4 *struct {
			Address string `json:"address"`
		} `json:"primary_ip4"`
		PrimaryIP6 *struct {
			Address string `json:"address"`
		} `json:"primary_ip6"`
	}
	status, body = n.Do(t, http.MethodGet, fmt.Sprintf("/api/dcim/devices/%d/", devID), nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &dev))
	assert.Equal(t, "active", dev.Status.Value)

	var ifaces []struct {
		Name       string `json:"name"`
		PrimaryMAC *struct {
			MAC string `json:"mac_address"`
		} `json:"primary_mac_address"`
	}
	n.list("dcim/interfaces", map[string][]string{"device_id": {fmt.Sprint(devID)}}, &ifaces)
	gotIfaces := map[string]string{}
	for _, i := range ifaces {
		gotIfaces[i.Name] = ""
		if i.PrimaryMAC != nil {
			gotIfaces[i.Name] = strings.ToLower(i.PrimaryMAC.MAC)
		}
	}
	var ips []struct {
		Address        string `json:"address"`
		AssignedObject *struct {
			Name string `json:"name"`
		} `json:"assigned_object"`
	}
	n.list("ipam/ip-addresses", map[string][]string{"device_id": {fmt.Sprint(devID)}}, &ips)
	gotIPs := map[string]string{}
	for _, ip := range ips {
		if ip.AssignedObject != nil {
			gotIPs[ip.Address] = ip.AssignedObject.Name
		}
	}
	wantIfaces, wantIPs := map[string]string{}, map[string]string{}
	for _, i := range host.Network.Interfaces {
		wantIfaces[i.Name] = i.MAC
		if i.DockerManaged {
			continue
		}
		for _, p := range append(append([]string{}, i.IPv4...), i.IPv6...) {
			wantIPs[p] = i.Name
		}
	}
	assert.Equal(t, wantIfaces, gotIfaces, "interfaces and primary MACs")
	assert.Equal(t, wantIPs, gotIPs, "IPs and their interfaces")
	if host.Network.PrimaryIPv4 != "" && assert.NotNil(t, dev.PrimaryIP4) {
		assert.Equal(t, host.Network.PrimaryIPv4, dev.PrimaryIP4.Address)
	}
	if host.Network.PrimaryIPv6 != "" && assert.NotNil(t, dev.PrimaryIP6) {
		assert.Equal(t, host.Network.PrimaryIPv6, dev.PrimaryIP6.Address)
	}
	for _, route := range []string{"virtualization/cluster-types", "virtualization/cluster-groups", "virtualization/clusters", "virtualization/virtual-machines"} {
		var objs []json.RawMessage
		n.list(route, nil, &objs)
		assert.Empty(t, objs, "%s written although Docker was not available", route)
	}
	n.NoDeletes(t)
}
