package netboxsim_test

import (
	"context"
	"testing"

	netbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVirtGoNetboxDecodes proves go-netbox v4.3.0's strict models read the
// simulator's virtualization answers: cluster types and groups, clusters
// (with and without VMs, so with null and numeric allocated_* sums) and
// virtual machines with every nested object set.
func TestVirtGoNetboxDecodes(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	c := netbox.NewAPIClientFor(s.URL, s.Token)
	ctx := context.Background()
	ok := decoded

	ct, resp, err := c.VirtualizationAPI.VirtualizationClusterTypesCreate(ctx).
		ClusterTypeRequest(*netbox.NewClusterTypeRequest("KVM", "kvm")).Execute()
	ok(t, resp, err)
	cg, resp, err := c.VirtualizationAPI.VirtualizationClusterGroupsCreate(ctx).
		ClusterGroupRequest(*netbox.NewClusterGroupRequest("Prod", "prod")).Execute()
	ok(t, resp, err)

	ctID, cgID, siteID := ct.Id, cg.Id, int32(f.SiteID)
	creq := netbox.NewWritableClusterRequest("media", netbox.Int32AsClusterRequestType(&ctID))
	creq.SetGroup(netbox.Int32AsClusterRequestGroup(&cgID))
	creq.SetStatus(netbox.CLUSTERSTATUSVALUE_STAGING)
	creq.SetScopeType("dcim.site")
	creq.SetScopeId(siteID)
	cluster, resp, err := c.VirtualizationAPI.VirtualizationClustersCreate(ctx).WritableClusterRequest(*creq).Execute()
	ok(t, resp, err)
	empty, resp, err := c.VirtualizationAPI.VirtualizationClustersCreate(ctx).
		WritableClusterRequest(*netbox.NewWritableClusterRequest("empty", netbox.Int32AsClusterRequestType(&ctID))).Execute()
	ok(t, resp, err)

	dt, role := int32(f.DeviceTypeID), int32(f.RoleID)
	dreq := netbox.NewWritableDeviceWithConfigContextRequest(
		netbox.Int32AsDeviceBayTemplateRequestDeviceType(&dt),
		netbox.Int32AsDeviceWithConfigContextRequestRole(&role),
		netbox.Int32AsDeviceWithConfigContextRequestSite(&siteID))
	dreq.SetName("host1")
	dreq.SetCluster(netbox.Int32AsDeviceWithConfigContextRequestCluster(&cluster.Id))
	dev, resp, err := c.DcimAPI.DcimDevicesCreate(ctx).WritableDeviceWithConfigContextRequest(*dreq).Execute()
	ok(t, resp, err)
	assert.Equal(t, "media", dev.Cluster.Get().GetName())

	vreq := netbox.NewWritableVirtualMachineWithConfigContextRequest("vm1")
	vreq.SetCluster(netbox.Int32AsDeviceWithConfigContextRequestCluster(&cluster.Id))
	vreq.SetDevice(netbox.Int32AsDeviceBayRequestInstalledDevice(&dev.Id))
	vreq.SetStatus(netbox.PATCHEDWRITABLEVIRTUALMACHINEWITHCONFIGCONTEXTREQUESTSTATUS_PAUSED)
	vreq.SetVcpus(2.5)
	vreq.SetMemory(4096)
	vreq.SetDisk(20480)
	vm, resp, err := c.VirtualizationAPI.VirtualizationVirtualMachinesCreate(ctx).
		WritableVirtualMachineWithConfigContextRequest(*vreq).Execute()
	ok(t, resp, err)
	assert.Equal(t, "Site 1", vm.Site.Get().GetName(), "the site comes from the cluster")

	t.Run("cluster types and groups", func(t *testing.T) {
		types, resp, err := c.VirtualizationAPI.VirtualizationClusterTypesList(ctx).Slug([]string{"kvm"}).Execute()
		ok(t, resp, err)
		require.Len(t, types.Results, 1)
		assert.Equal(t, int64(2), types.Results[0].GetClusterCount())
		groups, resp, err := c.VirtualizationAPI.VirtualizationClusterGroupsList(ctx).Execute()
		ok(t, resp, err)
		require.Len(t, groups.Results, 1)
		assert.Equal(t, int64(1), groups.Results[0].GetClusterCount())
	})
	t.Run("clusters", func(t *testing.T) {
		list, resp, err := c.VirtualizationAPI.VirtualizationClustersList(ctx).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(2), list.Count)
		byName := map[string]int{}
		for i, r := range list.Results {
			byName[r.GetName()] = i
		}
		got := list.Results[byName["media"]]
		assert.Equal(t, netbox.CLUSTERSTATUSVALUE_STAGING, got.Status.GetValue())
		assert.Equal(t, "KVM", got.Type.GetName())
		assert.Equal(t, "Prod", got.Group.Get().GetName())
		assert.Equal(t, "dcim.site", got.GetScopeType())
		assert.Equal(t, 2.5, got.GetAllocatedVcpus())
		assert.Equal(t, int32(4096), got.GetAllocatedMemory())
		assert.Equal(t, int64(1), got.GetDeviceCount())
		assert.Equal(t, int64(1), got.GetVirtualmachineCount())
		none := list.Results[byName["empty"]]
		assert.Nil(t, none.AllocatedVcpus, "Sum() over no VMs is null")
		assert.Equal(t, empty.Id, none.Id)

		filtered, resp, err := c.VirtualizationAPI.VirtualizationClustersList(ctx).GroupId([]*int32{&cgID}).
			SiteId([]int32{siteID}).Execute()
		ok(t, resp, err)
		require.Len(t, filtered.Results, 1)
		assert.Equal(t, cluster.Id, filtered.Results[0].Id)
	})
	t.Run("virtual machines", func(t *testing.T) {
		list, resp, err := c.VirtualizationAPI.VirtualizationVirtualMachinesList(ctx).
			ClusterId([]*int32{&cluster.Id, &empty.Id}).Name([]string{"VM1"}).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(1), list.Count)
		got := list.Results[0]
		assert.Equal(t, vm.Id, got.Id)
		assert.Equal(t, netbox.PATCHEDWRITABLEVIRTUALMACHINEWITHCONFIGCONTEXTREQUESTSTATUS_PAUSED, got.Status.GetValue())
		assert.Equal(t, "media", got.Cluster.Get().GetName())
		assert.Equal(t, "host1", got.Device.Get().GetName())
		assert.Equal(t, 2.5, got.GetVcpus())
		assert.Equal(t, int32(4096), got.GetMemory())
		assert.Equal(t, int32(20480), got.GetDisk())

		one, resp, err := c.VirtualizationAPI.VirtualizationVirtualMachinesRetrieve(ctx, vm.Id).Execute()
		ok(t, resp, err)
		assert.Equal(t, "vm1", one.GetName())
	})
}
