package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// fakeNetBox records calls and fails the ones it is told to.
type fakeNetBox struct {
	mu             sync.Mutex // apply's two lanes call it at once
	calls          []string
	failPlatform   error
	failDevice     error
	failJournal    error
	lastUpdate     netbox.DeviceUpdate
	journal        netbox.JournalEntry
	nextPlatformID int64

	failInterfaces error
	failGroup      error
	ifaceUpdates   []netbox.InterfaceUpdate
	macCreates     []netbox.MACAddressCreate
	ipCreates      []netbox.IPAddressCreate
	ipUpdates      []netbox.IPAddressUpdate
	vmCreates      []netbox.VirtualMachineCreate
	vmUpdates      []netbox.VirtualMachineUpdate
}

func (f *fakeNetBox) CreatePlatform(_ context.Context, p netbox.PlatformCreate, w netbox.WriteOptions) (record.Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "POST platform "+p.Slug)
	if f.failPlatform != nil {
		return record.Platform{}, f.failPlatform
	}
	f.nextPlatformID++
	return record.Platform{ID: 100 + f.nextPlatformID, Name: p.Name, Slug: p.Slug}, nil
}

func (f *fakeNetBox) UpdateDevice(_ context.Context, id int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "PATCH device")
	f.lastUpdate = u
	return record.Device{ID: id}, f.failDevice
}

func (f *fakeNetBox) CreateJournalEntry(_ context.Context, e netbox.JournalEntry, w netbox.WriteOptions) (netbox.JournalEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "POST journal")
	f.journal = e
	e.ID = 55
	return e, f.failJournal
}

func (f *fakeNetBox) CreateInterfaces(_ context.Context, in []netbox.InterfaceCreate, w netbox.WriteOptions) ([]record.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST interfaces x%d", len(in)))
	out := make([]record.Interface, len(in))
	for i, c := range in {
		out[i] = record.Interface{ID: int64(500 + i), Name: c.Name, Type: c.Type}
	}
	return out, f.failInterfaces
}

func (f *fakeNetBox) UpdateInterfaces(_ context.Context, in []netbox.InterfaceUpdate, w netbox.WriteOptions) ([]record.Interface, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("PATCH interfaces x%d", len(in)))
	f.ifaceUpdates = append(f.ifaceUpdates, in...)
	return make([]record.Interface, len(in)), nil
}

func (f *fakeNetBox) CreateMACAddresses(_ context.Context, in []netbox.MACAddressCreate, w netbox.WriteOptions) ([]record.MACAddress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST macs x%d", len(in)))
	f.macCreates = append(f.macCreates, in...)
	out := make([]record.MACAddress, len(in))
	for i, c := range in {
		out[i] = record.MACAddress{ID: int64(600 + i), MAC: c.MAC, InterfaceID: c.InterfaceID}
	}
	return out, nil
}

func (f *fakeNetBox) UpdateMACAddresses(_ context.Context, in []netbox.MACAddressUpdate, w netbox.WriteOptions) ([]record.MACAddress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("PATCH macs x%d", len(in)))
	return make([]record.MACAddress, len(in)), nil
}

func (f *fakeNetBox) CreateIPAddresses(_ context.Context, in []netbox.IPAddressCreate, w netbox.WriteOptions) ([]record.IPAddress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST ips x%d", len(in)))
	f.ipCreates = append(f.ipCreates, in...)
	out := make([]record.IPAddress, len(in))
	for i, c := range in {
		out[i] = record.IPAddress{ID: int64(700 + i), Address: c.Address}
	}
	return out, nil
}

func (f *fakeNetBox) UpdateIPAddresses(_ context.Context, in []netbox.IPAddressUpdate, w netbox.WriteOptions) ([]record.IPAddress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("PATCH ips x%d", len(in)))
	f.ipUpdates = append(f.ipUpdates, in...)
	return make([]record.IPAddress, len(in)), nil
}

func (f *fakeNetBox) CreateDeviceRoles(_ context.Context, in []netbox.DeviceRoleCreate, w netbox.WriteOptions) ([]record.DeviceRole, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST roles x%d", len(in)))
	out := make([]record.DeviceRole, len(in))
	for i := range in {
		out[i].ID = int64(800 + i)
	}
	return out, nil
}

func (f *fakeNetBox) CreateClusterType(_ context.Context, _ netbox.ClusterTypeCreate, w netbox.WriteOptions) (record.ClusterType, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "POST cluster type")
	return record.ClusterType{ID: 900}, nil
}

func (f *fakeNetBox) CreateClusterGroup(_ context.Context, _ netbox.ClusterGroupCreate, w netbox.WriteOptions) (record.ClusterGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "POST cluster group")
	return record.ClusterGroup{ID: 901}, f.failGroup
}

func (f *fakeNetBox) CreateClusters(_ context.Context, in []netbox.ClusterCreate, w netbox.WriteOptions) ([]record.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST clusters x%d", len(in)))
	out := make([]record.Cluster, len(in))
	for i := range in {
		out[i].ID = int64(910 + i)
	}
	return out, nil
}

func (f *fakeNetBox) CreateVirtualMachines(_ context.Context, in []netbox.VirtualMachineCreate, w netbox.WriteOptions) ([]record.VirtualMachine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("POST vms x%d", len(in)))
	f.vmCreates = append(f.vmCreates, in...)
	return make([]record.VirtualMachine, len(in)), nil
}

func (f *fakeNetBox) UpdateVirtualMachines(_ context.Context, in []netbox.VirtualMachineUpdate, w netbox.WriteOptions) ([]record.VirtualMachine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("PATCH vms x%d", len(in)))
	f.vmUpdates = append(f.vmUpdates, in...)
	return make([]record.VirtualMachine, len(in)), nil
}

func stalePlan() diff.Plan {
	nb := record.Snapshot{Found: true, Device: record.Device{
		ID: 7, Name: "web01", Status: "planned", Serial: "OLD",
		Platform: &record.Ref{ID: 1, Name: "Ubuntu 22.04 LTS"},
	}, Platforms: []record.Platform{{ID: 1, Name: "Ubuntu 22.04 LTS", Slug: "ubuntu-22-04-lts"}}}
	h := host.Host{Hostname: "web01", OS: host.OS{Platform: "Ubuntu 24.04 LTS"}, Hardware: host.Hardware{Serial: "NEW"}}
	p := diff.Compute(h, nb, diff.Options{})
	p.ID = "plan-1"
	return p
}

func TestApply(t *testing.T) {
	denied := errors.New("netbox: PATCH /api/dcim/devices/7/: permission: You do not have permission to perform this action.")
	tests := []struct {
		name                     string
		fake                     *fakeNetBox
		applied, failed, skipped int
		journalKind              string
		wantCalls                []string
	}{
		{
			name:        "everything applies",
			applied:     4,
			journalKind: "success",
			wantCalls:   []string{"POST platform ubuntu-24-04-lts", "PATCH device", "POST journal"},
		},
		{
			name:        "platform create fails: the device's platform is skipped, the rest applies",
			fake:        &fakeNetBox{failPlatform: errors.New("slug: platform with this slug already exists.")},
			failed:      1,
			skipped:     1,
			applied:     2,
			journalKind: "warning",
			wantCalls:   []string{"POST platform ubuntu-24-04-lts", "PATCH device", "POST journal"},
		},
		{
			name:        "permission denied on the device: noted, journal still written",
			fake:        &fakeNetBox{failDevice: denied},
			applied:     1,
			failed:      3,
			journalKind: "warning",
			wantCalls:   []string{"POST platform ubuntu-24-04-lts", "PATCH device", "POST journal"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			if f == nil {
				f = &fakeNetBox{}
			}
			var steps []int
			res, err := Apply(context.Background(), f, stalePlan(), func(done, total int, _ string) {
				steps = append(steps, done)
				assert.Equal(t, 3, total)
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantCalls, f.calls)
			assert.Equal(t, []int{1, 2, 3}, steps)
			assert.Equal(t, tt.applied, res.Applied, "applied")
			assert.Equal(t, tt.failed, res.Failed, "failed")
			assert.Equal(t, tt.skipped, res.Skipped, "skipped")
			assert.Equal(t, int64(55), res.JournalEntryID)
			assert.Equal(t, tt.journalKind, f.journal.Kind)
			assert.Equal(t, "dcim.device", f.journal.AssignedObjectType)
			assert.Equal(t, int64(7), f.journal.AssignedObjectID)
			assert.Contains(t, f.journal.Comments, "Device synced via /cmdb sync command\n\nChanges applied:\n")
			if tt.failed > 0 {
				assert.Contains(t, f.journal.Comments, "Changes failed:")
			}
		})
	}
}

func TestApplySendsOnlyOwnedFields(t *testing.T) {
	f := &fakeNetBox{}
	_, err := Apply(context.Background(), f, stalePlan(), nil)
	require.NoError(t, err)
	require.NotNil(t, f.lastUpdate.Platform)
	assert.Equal(t, int64(101), *f.lastUpdate.Platform, "the id of the platform just created")
	assert.Equal(t, "active", *f.lastUpdate.Status)
	assert.Equal(t, "NEW", *f.lastUpdate.Serial)
	assert.Nil(t, f.lastUpdate.PrimaryIP4)
	assert.Contains(t, f.journal.Comments, "- platform: Ubuntu 22.04 LTS -> Ubuntu 24.04 LTS (UPDATE)")
}

func TestApplyNothingToDoWritesNothing(t *testing.T) {
	f := &fakeNetBox{}
	res, err := Apply(context.Background(), f, diff.Plan{DeviceFound: true, Device: diff.DeviceRef{ID: 7}}, nil)
	require.NoError(t, err)
	assert.Empty(t, f.calls)
	assert.Zero(t, res.JournalEntryID)
}

func TestApplyDeviceNotFound(t *testing.T) {
	f := &fakeNetBox{}
	_, err := Apply(context.Background(), f, diff.Plan{Hostname: "ghost"}, nil)
	require.ErrorIs(t, err, ErrNotApplicable)
	assert.Contains(t, err.Error(), "cmdb_register")
	assert.Empty(t, f.calls)
}
