package apply

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// seedPlan is the seed's example: eth0's MAC and IP changed, tailscale0 new,
// eth1 gone, and the primary IP moves with the default route.
func seedPlan(t *testing.T) diff.Plan {
	t.Helper()
	nb := record.Snapshot{
		Found: true,
		Device: record.Device{ID: 42, Name: "homelab", Status: "active",
			Platform:   &record.Ref{ID: 1, Name: "Ubuntu 22.04"},
			PrimaryIP4: &record.Ref{ID: 300, Name: "192.168.1.100/24"}},
		Platforms: []record.Platform{{ID: 1, Name: "Ubuntu 22.04", Slug: "ubuntu-22-04"}, {ID: 2, Name: "Ubuntu 24.04", Slug: "ubuntu-24-04"}},
		Interfaces: []record.Interface{
			{ID: 10, DeviceID: 42, Name: "eth0", Type: "1000base-t", Enabled: true, PrimaryMAC: &record.Ref{ID: 200, Name: "AA:BB:CC:00:00:00"}},
			{ID: 11, DeviceID: 42, Name: "eth1", Type: "1000base-t", Enabled: true},
		},
		MACs: []record.MACAddress{{ID: 200, MAC: "AA:BB:CC:00:00:00", InterfaceID: 10, DeviceID: 42}},
		IPs:  []record.IPAddress{{ID: 300, Address: "192.168.1.100/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 10, DeviceID: 42}},
	}
	h := host.Host{
		Hostname: "homelab",
		OS:       host.OS{Platform: "Ubuntu 24.04"},
		Network: host.Network{
			Interfaces: []host.Interface{
				{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
				{Name: "tailscale0", Type: "virtual", IPv4: []netip.Prefix{netip.MustParsePrefix("100.101.102.103/32")}},
			},
			PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
		},
	}
	return diff.Compute(h, nb, diff.Options{})
}

func TestApplyNetworkOrderAndReferences(t *testing.T) {
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), f, seedPlan(t), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"POST interfaces x1",  // tailscale0
		"POST macs x1",        // aa:bb:cc:11:11:11 on eth0
		"PATCH interfaces x2", // eth0 primary MAC, eth1 offline
		"POST ips x2",         // 192.168.1.150/24 on eth0, 100.101.102.103/32 on tailscale0
		"PATCH device",        // platform + primary_ip4, before the old primary is unassigned
		"PATCH ips x1",        // unassign 192.168.1.100/24
		"POST journal",
	}, f.calls)
	assert.Zero(t, res.Failed)
	assert.Zero(t, res.Skipped)

	require.Len(t, f.macCreates, 1)
	assert.Equal(t, int64(10), f.macCreates[0].InterfaceID)
	require.Len(t, f.ifaceUpdates, 2)
	assert.Equal(t, netbox.InterfaceUpdate{ID: 10, PrimaryMAC: ptr(int64(600))}, f.ifaceUpdates[0], "the MAC object just made")
	assert.Equal(t, netbox.InterfaceUpdate{ID: 11, Enabled: ptr(false), Description: ptr(diff.OfflineDescription)}, f.ifaceUpdates[1])
	require.Len(t, f.ipCreates, 2)
	assert.Equal(t, netbox.IPAddressCreate{Address: "192.168.1.150/24", Status: "active", InterfaceID: 10}, f.ipCreates[0])
	assert.Equal(t, int64(500), f.ipCreates[1].InterfaceID, "tailscale0, created in the same apply")
	assert.Equal(t, int64(700), *f.lastUpdate.PrimaryIP4)
	assert.Equal(t, []netbox.IPAddressUpdate{{ID: 300, Unassign: true}}, f.ipUpdates)
}

func TestApplyDependentsOfAFailureAreSkipped(t *testing.T) {
	f := &fakeNetBox{failInterfaces: &netbox.Error{Kind: netbox.KindValidation, Message: "name: must be unique"}}
	res, err := Apply(context.Background(), f, seedPlan(t), nil)
	require.NoError(t, err)
	var skipped []string
	for _, cr := range res.Changes {
		if cr.Outcome == OutcomeSkipped {
			skipped = append(skipped, cr.Change.Object+": "+cr.Message)
		}
	}
	assert.Equal(t, []string{`100.101.102.103/32: depends on a change that did not apply: interface "tailscale0" failed`}, skipped)
	assert.Equal(t, 1, res.Failed)
	assert.Contains(t, f.journal.Comments, "Changes failed:")
	assert.Contains(t, f.journal.Comments, "Changes skipped:")
}

func TestApplyPrimaryFailureProtectsTheOldPrimary(t *testing.T) {
	f := &fakeNetBox{failDevice: &netbox.Error{Kind: netbox.KindPermission, Message: "You do not have permission to perform this action."}}
	res, err := Apply(context.Background(), f, seedPlan(t), nil)
	require.NoError(t, err)
	assert.Empty(t, f.ipUpdates, "unassigning the old primary would be refused by NetBox")
	assert.Equal(t, 1, res.Skipped)
}

func TestApplyContainers(t *testing.T) {
	nb := record.Snapshot{Found: true, Device: record.Device{ID: 42, Name: "homelab", Status: "active"}}
	h := host.Host{Hostname: "homelab", Containers: host.Containers{Available: true, Containers: []host.Container{
		{Name: "media_lidarr", Image: "linuxserver/lidarr", Running: true, ComposeProject: "media", Role: "Container", VCPUs: 1.5, MemoryMB: 512},
		{Name: "db", Image: "postgres:16", Running: false, Role: "Database"},
	}}}
	p := diff.Compute(h, nb, diff.Options{})
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), f, p, nil)
	require.NoError(t, err)
	assert.Zero(t, res.Failed)
	assert.Equal(t, []string{"POST cluster type", "POST cluster group", "POST roles x2", "POST clusters x2", "POST vms x2", "POST journal"}, f.calls)
	require.Len(t, f.vmCreates, 2)
	assert.Equal(t, "active", f.vmCreates[0].Status)
	assert.Equal(t, 1.5, *f.vmCreates[0].VCPUs)
	assert.Equal(t, int64(512), *f.vmCreates[0].MemoryMB)
	assert.Equal(t, "offline", f.vmCreates[1].Status)
	assert.Nil(t, f.vmCreates[1].VCPUs, "no limit: unknown, never invented")
}

// TestApplyIPPatches: IP updates go in one PATCH with the unassignments,
// after the device, unless the device makes the updated IP its primary:
// NetBox takes a primary IP only once it sits on one of the device's
// interfaces, so that IP moves first, in a PATCH of its own.
func TestApplyIPPatches(t *testing.T) {
	nb := func(primaryOnEth1 bool) record.Snapshot {
		s := record.Snapshot{
			Found: true,
			Device: record.Device{ID: 42, Name: "homelab", Status: "active",
				PrimaryIP4: &record.Ref{ID: 300, Name: "192.168.1.100/24"}},
			Interfaces: []record.Interface{
				{ID: 10, DeviceID: 42, Name: "eth0", Type: "1000base-t", Enabled: true},
				{ID: 11, DeviceID: 42, Name: "eth1", Type: "1000base-t", Enabled: true},
			},
			IPs: []record.IPAddress{
				{ID: 300, Address: "192.168.1.100/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 10, DeviceID: 42},
				{ID: 301, Address: "10.0.0.5/8", AssignedObjectType: "dcim.interface", AssignedObjectID: 11, DeviceID: 42},
			},
		}
		if primaryOnEth1 {
			s.IPs = append(s.IPs, record.IPAddress{ID: 302, Address: "192.168.1.150/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 11, DeviceID: 42})
		}
		return s
	}
	h := host.Host{Hostname: "homelab", Network: host.Network{
		Interfaces: []host.Interface{
			// 10.0.0.5 moves from eth1 to eth0, 192.168.1.100 goes.
			{Name: "eth0", Type: "1000base-t", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24"), netip.MustParsePrefix("10.0.0.5/8")}},
			{Name: "eth1", Type: "1000base-t"},
		},
		PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
	}}
	tests := []struct {
		name          string
		primaryOnEth1 bool
		want          []string
	}{
		{"the new primary is created", false, []string{"POST ips x1", "PATCH device", "PATCH ips x2", "POST journal"}},
		{"the new primary moves", true, []string{"PATCH ips x1", "PATCH device", "PATCH ips x2", "POST journal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeNetBox{}
			res, err := Apply(context.Background(), f, diff.Compute(h, nb(tt.primaryOnEth1), diff.Options{}), nil)
			require.NoError(t, err)
			assert.Zero(t, res.Failed+res.Skipped)
			assert.Equal(t, tt.want, f.calls)
		})
	}
}

// laneFake holds the device PATCH, in the middle of the network lane, until
// the container lane has created its VMs: an Apply that ran the lanes one
// after the other would never get there.
type laneFake struct {
	*fakeNetBox
	vmsMade chan struct{}
	once    sync.Once
}

func (f *laneFake) UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error) {
	select {
	case <-f.vmsMade:
	case <-time.After(10 * time.Second):
		return record.Device{}, errors.New("the container lane did not run beside the network lane")
	}
	return f.fakeNetBox.UpdateDevice(ctx, id, u, w)
}

func (f *laneFake) CreateVirtualMachines(ctx context.Context, in []netbox.VirtualMachineCreate, w netbox.WriteOptions) ([]record.VirtualMachine, error) {
	defer f.once.Do(func() { close(f.vmsMade) })
	return f.fakeNetBox.CreateVirtualMachines(ctx, in, w)
}

// TestApplyLanes: the network and the container writes depend on nothing
// of each other and run side by side; each keeps its own order, the journal
// waits for both, and the result lists network changes first.
func TestApplyLanes(t *testing.T) {
	p := seedPlan(t)
	withContainers := diff.Compute(host.Host{Hostname: "homelab", Containers: host.Containers{Available: true, Containers: []host.Container{
		{Name: "media_lidarr", Image: "linuxserver/lidarr", Running: true, ComposeProject: "media", Role: "Container"},
	}}}, record.Snapshot{Found: true, Device: record.Device{ID: 42, Name: "homelab", Status: "active"}}, diff.Options{})
	for _, c := range withContainers.Changes {
		if strings.HasPrefix(c.ObjectType, "virtualization.") || c.ObjectType == diff.ObjectDeviceRole {
			p.Changes = append(p.Changes, c)
		}
	}
	f := &laneFake{fakeNetBox: &fakeNetBox{}, vmsMade: make(chan struct{})}
	var progress []int
	res, err := Apply(context.Background(), f, p, func(done, total int, _ string) {
		progress = append(progress, done)
		assert.Equal(t, 12, total)
	})
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)

	var network, ctr []string
	for _, c := range f.calls[:len(f.calls)-1] {
		if strings.Contains(c, "cluster") || strings.Contains(c, "vms") || strings.Contains(c, "roles") {
			ctr = append(ctr, c)
		} else {
			network = append(network, c)
		}
	}
	assert.Equal(t, []string{"POST interfaces x1", "POST macs x1", "PATCH interfaces x2", "POST ips x2", "PATCH device", "PATCH ips x1"}, network)
	assert.Equal(t, []string{"POST cluster type", "POST cluster group", "POST roles x1", "POST clusters x1", "POST vms x1"}, ctr)
	assert.Equal(t, "POST journal", f.calls[len(f.calls)-1])
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, progress, "one count for both lanes, in order")

	seenContainer := false
	for _, cr := range res.Changes {
		isContainer := strings.HasPrefix(cr.Change.ObjectType, "virtualization.") || cr.Change.ObjectType == diff.ObjectDeviceRole
		assert.False(t, seenContainer && !isContainer, "network change %s after a container change", Describe(cr.Change))
		seenContainer = seenContainer || isContainer
	}
	assert.Equal(t, len(p.Changes), len(res.Changes))
}
