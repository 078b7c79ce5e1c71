package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// seedExampleHost is the host of the seed's Phase 4 example, as an agent
// following the seed discovers it in Phase 2: Ubuntu 24.04; eth0 with a
// new MAC and 192.168.1.150/24 (the default route); a new tailscale0;
// eth1 gone; container media_lidarr running, media_radarr stopped.
var seedExampleHost = host.Host{
	Hostname: "homelab",
	OS:       host.OS{Platform: "Ubuntu 24.04"},
	Network: host.Network{
		Interfaces: []host.Interface{
			{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
			{Name: "tailscale0", Type: "virtual", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("100.101.102.103/32")}},
		},
		PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
	},
}

// seedExampleNetBox is what NetBox holds before the sync, as the seed's
// example has it: Ubuntu 22.04; eth0 with aa:bb:cc:00:00:00 and
// 192.168.1.100/24 as primary IPv4; eth1; the containers' cluster with
// media_radarr running.
func seedExampleNetBox(t *testing.T) *netBox {
	t.Helper()
	srv := simtest.Start(t, suiteSimOptions())
	fx := srv.Seed(t)
	admin, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	post := func(path string, body any) int64 {
		t.Helper()
		var obj struct {
			ID int64 `json:"id"`
		}
		require.NoError(t, srv.Admin().Do(context.Background(), http.MethodPost, path, nil, body, &obj), "POST %s", path)
		return obj.ID
	}
	patch := func(path string, body any) {
		t.Helper()
		require.NoError(t, srv.Admin().Do(context.Background(), http.MethodPatch, path, nil, body, nil), "PATCH %s", path)
	}
	old := post("/api/dcim/platforms/", map[string]any{"name": "Ubuntu 22.04", "slug": "ubuntu-22-04"})
	post("/api/dcim/platforms/", map[string]any{"name": "Ubuntu 24.04", "slug": "ubuntu-24-04"})
	dev := post("/api/dcim/devices/", map[string]any{"name": "homelab", "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID, "status": "active", "platform": old})
	eth0 := post("/api/dcim/interfaces/", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
	post("/api/dcim/interfaces/", map[string]any{"device": dev, "name": "eth1", "type": "1000base-t"})
	mac := post("/api/dcim/mac-addresses/", map[string]any{"mac_address": "AA:BB:CC:00:00:00", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	patch(fmt.Sprintf("/api/dcim/interfaces/%d/", eth0), map[string]any{"primary_mac_address": mac})
	ip := post("/api/ipam/ip-addresses/", map[string]any{"address": "192.168.1.100/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	patch(fmt.Sprintf("/api/dcim/devices/%d/", dev), map[string]any{"primary_ip4": ip})
	ct := post("/api/virtualization/cluster-types/", map[string]any{"name": "Docker Compose", "slug": "docker-compose"})
	media := post("/api/virtualization/clusters/", map[string]any{"name": "media", "type": ct})
	post("/api/virtualization/virtual-machines/", map[string]any{"name": "media_radarr", "cluster": media, "status": "active"})
	srv.Sim.ResetRequests()
	return &netBox{Server: srv, admin: admin, host: seedExampleHost, deviceID: dev}
}

// TestSeedWorkflowLiterally is acceptance point 1: an MCP client that
// makes exactly the seed's Phase 1, 5 and 6 tool calls, with the seed's
// parameter names, syncs the seed's example host, MAC change included.
// The test is the agent: Phase 2 is seedExampleHost, Phases 3 and 4 are
// its own comparison below.
func TestSeedWorkflowLiterally(t *testing.T) {
	nb := seedExampleNetBox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The seed's example device is not this machine, and it keeps its
	// containers in a cluster of no host's group: outside the default
	// write scope, so the seed's calls run with it lifted. What the scope
	// refuses is TestWriteScopeOverMCP's.
	session := serveSession(t, ctx, nb, overStdio, "", nil, "--write-scope", "any")
	call := func(name string, args map[string]any) *sdk.CallToolResult {
		t.Helper()
		return toolResult(t, ctx, session, &sdk.CallToolParams{Name: name, Arguments: args})
	}

	// Phase 1: dcim_list_devices name=<hostname>.
	devices := callTool[tools.ListDevicesOutput](t, ctx, session, "dcim_list_devices", map[string]any{"name": "homelab"})
	require.Len(t, devices.Devices, 1, "if not found, suggest registering it (cmdb_register)")
	dev := devices.Devices[0]
	require.NotNil(t, dev.Platform)
	require.NotNil(t, dev.PrimaryIP4)
	// Fetch interfaces: dcim_list_interfaces device_id=<device_id>.
	ifaces := callTool[tools.ListInterfacesOutput](t, ctx, session, "dcim_list_interfaces", map[string]any{"device_id": dev.ID})
	byName := map[string]tools.Interface{}
	for _, i := range ifaces.Interfaces {
		byName[i.Name] = i
	}
	require.Contains(t, byName, "eth0")
	require.Contains(t, byName, "eth1")
	// Fetch IPs: ipam_list_ip_addresses device_id=<device_id>.
	ips := callTool[tools.ListIPAddressesOutput](t, ctx, session, "ipam_list_ip_addresses", map[string]any{"device_id": dev.ID})
	require.Len(t, ips.IPAddresses, 1)
	oldIP := ips.IPAddresses[0]
	// Check clusters/VMs: virt_list_clusters, virt_list_vms cluster=<cluster_id>.
	clusters := callTool[tools.ListClustersOutput](t, ctx, session, "virt_list_clusters", map[string]any{})
	require.Len(t, clusters.Clusters, 1)
	cluster := clusters.Clusters[0]
	vms := callTool[tools.ListVMsOutput](t, ctx, session, "virt_list_vms", map[string]any{"cluster": cluster.ID})
	require.Len(t, vms.VMs, 1)
	radarr := vms.VMs[0]

	// Phases 3-4, the agent's comparison, find what the seed's report
	// lists: platform, tailscale0 new, eth1 removed, eth0's MAC changed,
	// 192.168.1.150/24 and 100.101.102.103/32 new, 192.168.1.100/24
	// removed, the primary IP moved, media_lidarr new, media_radarr stopped.
	assert.Equal(t, "Ubuntu 22.04", dev.Platform.Name)
	assert.Equal(t, "AA:BB:CC:00:00:00", byName["eth0"].MACAddress)
	assert.Equal(t, "192.168.1.100/24", oldIP.Address)

	// Phase 5, in the seed's order.
	// The seed's <new_platform_id>: the id of the host's platform.
	platforms := callTool[tools.ListPlatformsOutput](t, ctx, session, "dcim_list_platforms", map[string]any{"name": "Ubuntu 24.04"})
	require.Len(t, platforms.Platforms, 1)
	// Device updates: dcim_update_device id=<device_id> platform=<new_platform_id>.
	callTool[tools.Device](t, ctx, session, "dcim_update_device", map[string]any{"id": dev.ID, "platform": platforms.Platforms[0].ID})
	// New: dcim_create_interface device=<device_id> name=<name> type=<type>.
	tailscale := callTool[tools.Interface](t, ctx, session, "dcim_create_interface", map[string]any{"device": dev.ID, "name": "tailscale0", "type": "virtual"})
	// Removed (mark offline).
	callTool[tools.Interface](t, ctx, session, "dcim_update_interface", map[string]any{"id": byName["eth1"].ID, "enabled": false, "description": "Marked offline by cmdb-sync"})
	// Changed: dcim_update_interface id=<id> mac_address=<new_mac>.
	eth0 := callTool[tools.Interface](t, ctx, session, "dcim_update_interface", map[string]any{"id": byName["eth0"].ID, "mac_address": "aa:bb:cc:11:11:11"})
	assert.Equal(t, "AA:BB:CC:11:11:11", eth0.MACAddress)
	// IP address updates. New: ipam_create_ip_address address=<ip/prefix>
	// assigned_object_type="dcim.interface" assigned_object_id=<id>.
	newIP := callTool[tools.IPAddress](t, ctx, session, "ipam_create_ip_address", map[string]any{"address": "192.168.1.150/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID})
	callTool[tools.IPAddress](t, ctx, session, "ipam_create_ip_address", map[string]any{"address": "100.101.102.103/32", "assigned_object_type": "dcim.interface", "assigned_object_id": tailscale.ID})
	// Removed (unassign): ipam_update_ip_address id=<id>
	// assigned_object_type=null assigned_object_id=null. The old IP is
	// still the primary, so NetBox refuses; the error says what to do.
	unassign := map[string]any{"id": oldIP.ID, "assigned_object_type": nil, "assigned_object_id": nil}
	res := call("ipam_update_ip_address", unassign)
	require.True(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), fmt.Sprintf("dcim_update_device id=%d primary_ip4=", dev.ID))
	// Primary IP update: dcim_update_device id=<device_id> primary_ip4=<new_primary_ip_id>.
	callTool[tools.Device](t, ctx, session, "dcim_update_device", map[string]any{"id": dev.ID, "primary_ip4": newIP.ID})
	unassigned := callTool[tools.IPAddress](t, ctx, session, "ipam_update_ip_address", unassign)
	assert.Zero(t, unassigned.AssignedObjectID)
	// Container/VM updates. New: virt_create_vm name=<name> cluster=<cluster_id> status="active".
	callTool[tools.VM](t, ctx, session, "virt_create_vm", map[string]any{"name": "media_lidarr", "cluster": cluster.ID, "status": "active"})
	// Stopped: virt_update_vm id=<id> status="offline".
	callTool[tools.VM](t, ctx, session, "virt_update_vm", map[string]any{"id": radarr.ID, "status": "offline"})

	// Phase 6: the journal entry.
	comments := "Device synced via /cmdb sync command\n\nChanges applied:\n- platform: Ubuntu 22.04 -> Ubuntu 24.04\n- tailscale0: created\n- eth1: marked offline\n- eth0: mac_address aa:bb:cc:00:00:00 -> aa:bb:cc:11:11:11\n- 192.168.1.150/24, 100.101.102.103/32: created\n- 192.168.1.100/24: unassigned\n- primary_ip4: 192.168.1.150/24\n- media_lidarr: created\n- media_radarr: offline"
	entry := callTool[tools.JournalEntry](t, ctx, session, "extras_create_journal_entry", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": dev.ID, "comments": comments})
	assert.NotZero(t, entry.ID)

	// The project's own comparison finds NetBox in sync with the host now.
	eng := engine.New(nb.admin, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return seedExampleHost, nil }))
	plan, err := eng.Diff(ctx, engine.DiffRequest{})
	require.NoError(t, err)
	assert.True(t, plan.InSync(), "%+v", plan.Changes)

	// And NetBox says so field by field.
	checkSeedExampleSynced(t, nb, dev.ID, cluster.ID)
}

func checkSeedExampleSynced(t *testing.T, nb *netBox, deviceID, clusterID int64) {
	t.Helper()
	ctx := context.Background()
	d, err := nb.admin.GetDevice(ctx, deviceID)
	require.NoError(t, err)
	require.NotNil(t, d.Platform)
	assert.Equal(t, "Ubuntu 24.04", d.Platform.Name)
	require.NotNil(t, d.PrimaryIP4)
	assert.Equal(t, "192.168.1.150/24", d.PrimaryIP4.Name)

	ifaces, err := nb.admin.ListInterfaces(ctx, deviceID)
	require.NoError(t, err)
	byName := map[string]record.Interface{}
	for _, i := range ifaces {
		byName[i.Name] = i
	}
	require.NotNil(t, byName["eth0"].PrimaryMAC)
	assert.Equal(t, "AA:BB:CC:11:11:11", byName["eth0"].PrimaryMAC.Name)
	assert.False(t, byName["eth1"].Enabled)
	assert.Equal(t, "Marked offline by cmdb-sync", byName["eth1"].Description)
	assert.Equal(t, "virtual", byName["tailscale0"].Type)

	macs, err := nb.admin.ListMACAddresses(ctx, netbox.MACAddressQuery{DeviceID: deviceID})
	require.NoError(t, err)
	var values []string
	for _, m := range macs {
		values = append(values, m.MAC)
	}
	assert.ElementsMatch(t, []string{"AA:BB:CC:00:00:00", "AA:BB:CC:11:11:11"}, values, "the old MAC object stays: nothing is deleted")

	ips, err := nb.admin.ListIPAddresses(ctx, netbox.IPAddressQuery{Addresses: []string{"192.168.1.100", "192.168.1.150", "100.101.102.103"}})
	require.NoError(t, err)
	where := map[string]int64{}
	for _, ip := range ips {
		where[ip.Address] = ip.AssignedObjectID
	}
	assert.Equal(t, map[string]int64{
		"192.168.1.100/24":   0,
		"192.168.1.150/24":   byName["eth0"].ID,
		"100.101.102.103/32": byName["tailscale0"].ID,
	}, where)

	vms, err := nb.admin.ListVirtualMachines(ctx, []int64{clusterID})
	require.NoError(t, err)
	status := map[string]string{}
	for _, v := range vms {
		status[v.Name] = v.Status
	}
	assert.Equal(t, map[string]string{"media_lidarr": "active", "media_radarr": "offline"}, status)

	var journal struct {
		Count   int `json:"count"`
		Results []struct {
			Comments string `json:"comments"`
		} `json:"results"`
	}
	q := url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(deviceID)}}
	require.NoError(t, nb.Admin().Do(ctx, http.MethodGet, "/api/extras/journal-entries/", q, nil, &journal))
	require.Equal(t, 1, journal.Count)
	assert.True(t, strings.HasPrefix(journal.Results[0].Comments, "Device synced via /cmdb sync command"))

	for _, r := range nb.Sim.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method, "DELETE %s", r.Path)
	}
}
