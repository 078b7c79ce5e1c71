package netboxsim_test

import (
	"context"
	"testing"

	netbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNetworkGoNetboxDecodes proves go-netbox v4.3.0's strict models read
// the simulator's interfaces, MAC addresses and IP addresses, bare and
// with every nested object set (device, primary MAC, MAC list, parent,
// assigned object, primary IPs), and that its requests are accepted.
func TestNetworkGoNetboxDecodes(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	c := netbox.NewAPIClientFor(s.URL, s.Token)
	ctx := context.Background()
	ok := decoded

	devID := int32(create(t, s, "dcim/devices", device(f, "host1")))
	ireq := netbox.NewWritableInterfaceRequest(netbox.Int32AsBriefInterfaceRequestDevice(&devID), "eth0",
		netbox.INTERFACETYPEVALUE__1000BASE_T)
	ireq.SetMtu(1500)
	eth0, resp, err := c.DcimAPI.DcimInterfacesCreate(ctx).WritableInterfaceRequest(*ireq).Execute()
	ok(t, resp, err)
	assert.True(t, eth0.GetEnabled())
	sub := create(t, s, "dcim/interfaces", map[string]any{"device": devID, "name": "eth0.10", "type": "virtual",
		"parent": eth0.Id})

	mreq := netbox.NewMACAddressRequest("52:54:00:ab:cd:ef")
	mreq.SetAssignedObjectType("dcim.interface")
	mreq.SetAssignedObjectId(int64(eth0.Id))
	mac, resp, err := c.DcimAPI.DcimMacAddressesCreate(ctx).MACAddressRequest(*mreq).Execute()
	ok(t, resp, err)
	assert.Equal(t, "52:54:00:AB:CD:EF", mac.MacAddress)

	patch := netbox.NewPatchedWritableInterfaceRequest()
	patch.SetPrimaryMacAddress(netbox.Int32AsInterfaceRequestPrimaryMacAddress(&mac.Id))
	eth0, resp, err = c.DcimAPI.DcimInterfacesPartialUpdate(ctx, eth0.Id).PatchedWritableInterfaceRequest(*patch).Execute()
	ok(t, resp, err)
	assert.Equal(t, "52:54:00:AB:CD:EF", eth0.GetMacAddress())

	ipreq := netbox.NewWritableIPAddressRequest("192.0.2.10/24")
	ipreq.SetAssignedObjectType("dcim.interface")
	ipreq.SetAssignedObjectId(int64(eth0.Id))
	ip, resp, err := c.IpamAPI.IpamIpAddressesCreate(ctx).WritableIPAddressRequest(*ipreq).Execute()
	ok(t, resp, err)
	create(t, s, "ipam/ip-addresses", map[string]any{"address": "2001:db8::1/64", "status": "dhcp",
		"nat_inside": ip.Id})

	dpatch := netbox.NewPatchedWritableDeviceWithConfigContextRequest()
	dpatch.SetPrimaryIp4(netbox.Int32AsDeviceWithConfigContextRequestPrimaryIp4(&ip.Id))
	dev, resp, err := c.DcimAPI.DcimDevicesPartialUpdate(ctx, devID).PatchedWritableDeviceWithConfigContextRequest(*dpatch).Execute()
	ok(t, resp, err)
	assert.Equal(t, "192.0.2.10/24", dev.GetPrimaryIp4().Address)
	assert.Equal(t, "192.0.2.10/24", dev.GetPrimaryIp().Address)

	t.Run("interfaces", func(t *testing.T) {
		list, resp, err := c.DcimAPI.DcimInterfacesList(ctx).DeviceId([]int32{devID}).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(2), list.Count)
		got := list.Results[0]
		assert.Equal(t, "eth0", got.Name)
		assert.Equal(t, netbox.INTERFACETYPEVALUE__1000BASE_T, got.Type.GetValue())
		assert.Equal(t, "52:54:00:AB:CD:EF", got.GetMacAddress())
		assert.Equal(t, mac.Id, got.GetPrimaryMacAddress().Id)
		require.Len(t, got.GetMacAddresses(), 1)
		assert.Equal(t, int32(1), got.CountIpaddresses)
		assert.Equal(t, "", got.GetCableEnd())
		assert.False(t, got.GetConnectedEndpointsReachable())
		assert.Equal(t, "host1", got.Device.GetName())
		child := list.Results[1]
		assert.Equal(t, int64(sub), int64(child.Id))
		assert.Equal(t, "eth0", child.GetParent().Name)
	})
	t.Run("MAC addresses", func(t *testing.T) {
		list, resp, err := c.DcimAPI.DcimMacAddressesList(ctx).MacAddress([]string{"52-54-00-ab-cd-ef"}).
			AssignedObjectType(int32(s.Sim.ContentTypeID("dcim.interface"))).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(1), list.Count)
		got := list.Results[0]
		assert.Equal(t, "dcim.interface", got.GetAssignedObjectType())
		ao, isMap := got.GetAssignedObject().(map[string]any)
		require.True(t, isMap)
		assert.Equal(t, "eth0", ao["name"])
	})
	t.Run("IP addresses", func(t *testing.T) {
		list, resp, err := c.IpamAPI.IpamIpAddressesList(ctx).DeviceId([]int32{devID}).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(1), list.Count)
		got := list.Results[0]
		assert.Equal(t, "192.0.2.10/24", got.Address)
		assert.Equal(t, netbox.IPADDRESSSTATUSVALUE_ACTIVE, got.Status.GetValue())
		require.Len(t, got.NatOutside, 1)
		assert.Equal(t, "2001:db8::1/64", got.NatOutside[0].Address)

		all, resp, err := c.IpamAPI.IpamIpAddressesList(ctx).Address([]string{"2001:db8::1"}).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(1), all.Count)
		v6 := all.Results[0]
		assert.Equal(t, netbox.IPADDRESSSTATUSVALUE_DHCP, v6.Status.GetValue())
		assert.Equal(t, "192.0.2.10/24", v6.GetNatInside().Address)
		assert.Nil(t, v6.GetAssignedObject())
	})
	t.Run("device", func(t *testing.T) {
		got, resp, err := c.DcimAPI.DcimDevicesRetrieve(ctx, devID).Execute()
		ok(t, resp, err)
		assert.Equal(t, "192.0.2.10/24", got.GetPrimaryIp4().Address)
		assert.Equal(t, int32(2), got.GetInterfaceCount())
	})
}
