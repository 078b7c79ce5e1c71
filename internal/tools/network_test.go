package tools_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// TestInterfaces walks the seed's Phase 5 interface calls.
func TestInterfaces(t *testing.T) {
	h := newHarness(t, harnessOptions{writeScope: tools.WriteScopeAny}) // the tools on any object; scope_test.go limits them
	dev := h.device(t, deviceBody{Name: "web01", Status: "active"})
	other := h.device(t, deviceBody{Name: "db01", Status: "active"})

	// New: dcim_create_interface device=<device_id> name=<name> type=<type>.
	eth0 := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"}))
	assert.Equal(t, dev, eth0.DeviceID)
	assert.True(t, eth0.Enabled)
	assert.Empty(t, eth0.MACAddress)
	assert.Equal(t, fmt.Sprintf("%s/dcim/interfaces/%d/", h.sim.URL, eth0.ID), eth0.URL)
	ts := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "tailscale0", "type": "virtual", "mac_address": "aa-bb-cc-00-00-01"}))
	assert.Equal(t, "AA:BB:CC:00:00:01", ts.MACAddress, "mac_address on create makes the primary MAC")
	decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": other, "name": "eth0", "type": "1000base-t"}))

	// Phase 1: dcim_list_interfaces device_id=<device_id>.
	list := decode[tools.ListInterfacesOutput](t, h.call(t, "dcim_list_interfaces", map[string]any{"device_id": dev}))
	assert.Equal(t, 2, list.Count)
	one := decode[tools.ListInterfacesOutput](t, h.call(t, "dcim_list_interfaces", map[string]any{"device_id": dev, "name": "eth0"}))
	require.Len(t, one.Interfaces, 1)
	assert.Equal(t, eth0.ID, one.Interfaces[0].ID)
	msg := toolError(t, h.call(t, "dcim_list_interfaces", map[string]any{"device_id": 9999}))
	assert.Contains(t, msg, "dcim_list_devices")

	// Changed: dcim_update_interface id=<id> mac_address=<new_mac>, twice
	// (a new MAC, then another), and the first again: the MAC object on
	// the interface is reused, not duplicated.
	for i, mac := range []string{"aa:bb:cc:00:00:00", "aa:bb:cc:11:11:11", "aa:bb:cc:00:00:00"} {
		got := decode[tools.Interface](t, h.call(t, "dcim_update_interface", map[string]any{"id": eth0.ID, "mac_address": mac}))
		assert.Equal(t, netboxMAC(mac), got.MACAddress, "step %d", i)
	}
	macs := decode[tools.ListMACAddressesOutput](t, h.call(t, "dcim_list_mac_addresses", map[string]any{"interface_id": eth0.ID}))
	assert.Equal(t, 2, macs.Count, "one MAC object per value, none deleted")
	for _, m := range macs.MACAddresses {
		assert.Equal(t, eth0.ID, m.InterfaceID)
		assert.Equal(t, dev, m.DeviceID)
	}

	// An unassigned MAC object with the value is reused.
	free := decode[tools.MACAddress](t, h.call(t, "dcim_create_mac_address", map[string]any{"mac_address": "02:00:00:00:00:09"}))
	assert.Zero(t, free.InterfaceID)
	got := decode[tools.Interface](t, h.call(t, "dcim_update_interface", map[string]any{"id": eth0.ID, "mac_address": "02:00:00:00:00:09"}))
	assert.Equal(t, "02:00:00:00:00:09", got.MACAddress)
	byValue := decode[tools.ListMACAddressesOutput](t, h.call(t, "dcim_list_mac_addresses", map[string]any{"mac_address": "02:00:00:00:00:09"}))
	require.Len(t, byValue.MACAddresses, 1)
	assert.Equal(t, free.ID, byValue.MACAddresses[0].ID)
	assert.Equal(t, eth0.ID, byValue.MACAddresses[0].InterfaceID)

	// Removed (mark offline): enabled=false description="Marked offline by cmdb-sync".
	off := decode[tools.Interface](t, h.call(t, "dcim_update_interface", map[string]any{"id": ts.ID, "enabled": false, "description": "Marked offline by cmdb-sync"}))
	assert.False(t, off.Enabled)
	assert.Equal(t, "Marked offline by cmdb-sync", off.Description)
	assert.Equal(t, "AA:BB:CC:00:00:01", off.MACAddress, "absent fields stay")

	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"id": eth0.ID, "mac_address": "nonsense"}, "not a MAC address"},
		{map[string]any{"id": eth0.ID}, "Nothing to update"},
		{map[string]any{"id": 9999, "enabled": false}, "No interface with id 9999"},
		{map[string]any{"id": 9999, "mac_address": "02:00:00:00:00:01"}, "No interface with id 9999"},
		{map[string]any{"id": eth0.ID, "type": "warp-drive"}, "400"},
	} {
		msg := toolError(t, h.call(t, "dcim_update_interface", tt.args))
		assert.Contains(t, msg, tt.want, tt.args)
	}
	msg = toolError(t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"}))
	assert.Contains(t, msg, "400")
}

func netboxMAC(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'f' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// TestIPAddresses walks the seed's IP calls, and the primary IP rule.
func TestIPAddresses(t *testing.T) {
	h := newHarness(t, harnessOptions{writeScope: tools.WriteScopeAny}) // the tools on any object; scope_test.go limits them
	dev := h.device(t, deviceBody{Name: "web01", Status: "active"})
	eth0 := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"}))
	eth1 := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth1", "type": "1000base-t"}))

	// New: ipam_create_ip_address address= assigned_object_type="dcim.interface" assigned_object_id=.
	oldIP := decode[tools.IPAddress](t, h.call(t, "ipam_create_ip_address", map[string]any{"address": "192.168.1.100/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID}))
	assert.Equal(t, "dcim.interface", oldIP.AssignedObjectType)
	assert.Equal(t, eth0.ID, oldIP.AssignedObjectID)
	assert.Equal(t, dev, oldIP.DeviceID)
	assert.Equal(t, "active", oldIP.Status)
	newIP := decode[tools.IPAddress](t, h.call(t, "ipam_create_ip_address", map[string]any{"address": "192.168.1.150/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID}))
	v6 := decode[tools.IPAddress](t, h.call(t, "ipam_create_ip_address", map[string]any{"address": "fd00::2/64", "assigned_object_type": "dcim.interface", "assigned_object_id": eth1.ID}))

	// Phase 1: ipam_list_ip_addresses device_id=<device_id>.
	list := decode[tools.ListIPAddressesOutput](t, h.call(t, "ipam_list_ip_addresses", map[string]any{"device_id": dev}))
	assert.Equal(t, 3, list.Count)
	byAddr := decode[tools.ListIPAddressesOutput](t, h.call(t, "ipam_list_ip_addresses", map[string]any{"address": "192.168.1.100"}))
	require.Len(t, byAddr.IPAddresses, 1)
	assert.Equal(t, oldIP.ID, byAddr.IPAddresses[0].ID)
	page := decode[tools.ListIPAddressesOutput](t, h.call(t, "ipam_list_ip_addresses", map[string]any{"device_id": dev, "limit": 1}))
	assert.True(t, page.Truncated)
	assert.Equal(t, 1, page.NextOffset)

	// The old IP is the device's primary: NetBox refuses to unassign it,
	// and the error names the call to make first. The tool leaves the rule
	// to NetBox: it reads the IP and its device only once NetBox refused.
	h.patch(t, fmt.Sprintf("/api/dcim/devices/%d/", dev), map[string]any{"primary_ip4": oldIP.ID, "primary_ip6": v6.ID})
	unassign := map[string]any{"id": oldIP.ID, "assigned_object_type": nil, "assigned_object_id": nil}
	var msg string
	requests := h.requests(t, func() { msg = toolError(t, h.call(t, "ipam_update_ip_address", unassign)) })
	assert.Contains(t, msg, "primary_ip4")
	assert.Contains(t, msg, fmt.Sprintf("dcim_update_device id=%d primary_ip4=", dev))
	assert.Contains(t, msg, "192.168.1.100/24 (id")
	assert.Equal(t, []string{"PATCH ipam/ip-addresses 400", "GET ipam/ip-addresses 200", "GET dcim/devices 200"}, requests)
	msg = toolError(t, h.call(t, "ipam_update_ip_address", map[string]any{"id": v6.ID, "assigned_object_type": nil, "assigned_object_id": nil}))
	assert.Contains(t, msg, "primary_ip6")
	// Moving a primary IP to another interface of the same device is fine,
	// and is one request.
	var moved tools.IPAddress
	requests = h.requests(t, func() {
		moved = decode[tools.IPAddress](t, h.call(t, "ipam_update_ip_address", map[string]any{"id": v6.ID, "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID}))
	})
	assert.Equal(t, eth0.ID, moved.AssignedObjectID)
	assert.Equal(t, []string{"PATCH ipam/ip-addresses 200"}, requests)

	// The seed's order: dcim_update_device primary_ip4=<new>, then unassign:
	// one request, the PATCH.
	decode[tools.Device](t, h.call(t, "dcim_update_device", map[string]any{"id": dev, "primary_ip4": newIP.ID}))
	var got tools.IPAddress
	requests = h.requests(t, func() { got = decode[tools.IPAddress](t, h.call(t, "ipam_update_ip_address", unassign)) })
	assert.Equal(t, []string{"PATCH ipam/ip-addresses 200"}, requests)
	assert.Empty(t, got.AssignedObjectType)
	assert.Zero(t, got.AssignedObjectID)
	assert.Zero(t, got.DeviceID)
	ip, err := h.nb.GetIPAddress(context.Background(), oldIP.ID)
	require.NoError(t, err, "unassigned, never deleted")
	assert.Zero(t, ip.AssignedObjectID)

	// A mask change.
	got = decode[tools.IPAddress](t, h.call(t, "ipam_update_ip_address", map[string]any{"id": newIP.ID, "address": "192.168.1.150/23"}))
	assert.Equal(t, "192.168.1.150/23", got.Address)

	for _, tt := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"ipam_update_ip_address", map[string]any{"id": newIP.ID}, "Nothing to update"},
		{"ipam_update_ip_address", map[string]any{"id": newIP.ID, "assigned_object_type": nil, "assigned_object_id": eth1.ID}, "both"},
		{"ipam_update_ip_address", map[string]any{"id": 9999, "address": "10.0.0.1/8"}, "No IP address with id 9999"},
		{"ipam_update_ip_address", map[string]any{"id": newIP.ID, "assigned_object_type": "virtualization.vminterface", "assigned_object_id": 1}, "only dcim.interface"},
		{"ipam_create_ip_address", map[string]any{"address": "192.168.1.150"}, "with a mask"},
		{"ipam_create_ip_address", map[string]any{"address": "192.168.1.150/24"}, "ipam_list_ip_addresses address=192.168.1.150"},
		{"ipam_create_ip_address", map[string]any{"address": "10.1.1.1/8", "assigned_object_type": "dcim.interface"}, "assigned_object_id is required"},
	} {
		msg := toolError(t, h.call(t, tt.tool, tt.args))
		assert.Contains(t, msg, tt.want, "%s %v", tt.tool, tt.args)
	}
}

// NetBox itself refuses to unassign a primary IP (the tool relies on it).
func TestPrimaryGuardFromNetBox(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	dev := h.device(t, deviceBody{Name: "web01", Status: "active"})
	eth0 := decode[tools.Interface](t, h.call(t, "dcim_create_interface", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"}))
	ip := decode[tools.IPAddress](t, h.call(t, "ipam_create_ip_address", map[string]any{"address": "192.0.2.10/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0.ID}))
	h.patch(t, fmt.Sprintf("/api/dcim/devices/%d/", dev), map[string]any{"primary_ip4": ip.ID})

	_, err := h.nb.UpdateIPAddress(context.Background(), netbox.IPAddressUpdate{ID: ip.ID, Unassign: true}, netbox.WriteOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "primary IP", "the simulator enforces NetBox's guard")
}
