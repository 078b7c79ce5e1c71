package netbox

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// TestRegistry: the lookup of a register reads the catalog, the devices
// that may be this host (by name in any case, by serial in any case) and
// what a first sync needs, in one round trip of one request each.
func TestRegistry(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	ctx := context.Background()
	fx := s.Seed(t)
	s.Create(t, "dcim/devices", map[string]any{"name": "db01", "site": fx.SiteID, "device_type": fx.DeviceTypeID,
		"role": fx.RoleID, "serial": "sn-0001"})
	s.Create(t, "dcim/devices", map[string]any{"name": "web01.example.com", "site": fx.SiteID, "device_type": fx.DeviceTypeID,
		"role": fx.RoleID})
	s.Create(t, "ipam/ip-addresses", map[string]any{"address": "192.0.2.10/24"})
	s.Create(t, "dcim/mac-addresses", map[string]any{"mac_address": "02:00:00:00:00:01"})
	s.Sim.ResetRequests()

	q := SnapshotQuery{Hostname: "web01", Platform: "Debian 12", Containers: true,
		MACs: map[string]string{"eth0": "02:00:00:00:00:01"}, Addresses: []string{"192.0.2.10"}}
	r, err := c.Registry(ctx, q, "SN-0001")
	require.NoError(t, err)
	assert.False(t, r.Snapshot.Found)
	assert.Equal(t, []string{"web01.example.com"}, r.Snapshot.Similar)
	require.Len(t, r.BySerial, 1)
	assert.Equal(t, "db01", r.BySerial[0].Name)
	require.Len(t, r.Sites, 1)
	assert.Equal(t, fx.SiteID, r.Sites[0].ID)
	require.Len(t, r.Manufacturers, 1)
	require.Len(t, r.DeviceTypes, 1)
	assert.Equal(t, record.Ref{ID: fx.ManufacturerID, Name: "Manufacturer " + fx.Suffix, Slug: "manufacturer-" + fx.Suffix}, r.DeviceTypes[0].Manufacturer)
	require.Len(t, r.Snapshot.Roles, 1)
	assert.Len(t, r.Snapshot.IPs, 1)
	assert.Len(t, r.Snapshot.MACs, 1)
	assert.Nil(t, r.Snapshot.ClusterType)
	assert.Len(t, s.Sim.Requests(), 11, "one request per read: %+v", s.Sim.Requests())

	// A device of the host's name, in any case, is found.
	r, err = c.Registry(ctx, SnapshotQuery{Hostname: "DB01"}, "")
	require.NoError(t, err)
	assert.True(t, r.Snapshot.Found)
	assert.Equal(t, "db01", r.Snapshot.Device.Name)

	_, err = c.Registry(ctx, SnapshotQuery{}, "")
	require.Error(t, err)
}

// TestRegisterCreates: a manufacturer, a device type and a device, as a
// register makes them; NetBox's refusal of a name is a validation error.
func TestRegisterCreates(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	ctx := context.Background()
	fx := s.Seed(t)
	m, err := c.CreateManufacturer(ctx, ManufacturerCreate{Name: "Dell Inc.", Slug: "dell-inc"}, WriteOptions{})
	require.NoError(t, err)
	dt, err := c.CreateDeviceType(ctx, DeviceTypeCreate{Manufacturer: m.ID, Model: "PowerEdge R640", Slug: "poweredge-r640"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.DeviceType{ID: dt.ID, Model: "PowerEdge R640", Slug: "poweredge-r640",
		Manufacturer: record.Ref{ID: m.ID, Name: "Dell Inc.", Slug: "dell-inc"}}, dt)
	d, err := c.CreateDevice(ctx, DeviceCreate{Name: "web01", Site: fx.SiteID, Role: fx.RoleID, DeviceType: dt.ID,
		Status: "active", Serial: "SN-1"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, "web01", d.Name)
	assert.Equal(t, "active", d.Status)
	assert.Equal(t, "SN-1", d.Serial)
	assert.Equal(t, dt.ID, d.DeviceType.ID)

	_, err = c.CreateDevice(ctx, DeviceCreate{Name: "WEB01", Site: fx.SiteID, Role: fx.RoleID, DeviceType: dt.ID, Status: "active"}, WriteOptions{})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	assert.Contains(t, err.Error(), "Device name must be unique per site.")
}

// TestFleetReads: the fleet's device page and journal page carry only
// the fields asked for, newest entry first, within the time bounds.
func TestFleetReads(t *testing.T) {
	s, c := startSim(t, netboxsim.Options{})
	ctx := context.Background()
	fx := s.Seed(t)
	a := s.Device(t, fx, "b-host")
	b := s.Device(t, fx, "a-host")
	entry := func(dev int64, kind, comments string) int64 {
		return s.Create(t, "extras/journal-entries", map[string]any{"assigned_object_type": "dcim.device",
			"assigned_object_id": dev, "kind": kind, "comments": comments})
	}
	old := entry(a, "success", "Device synced via /cmdb sync command\n\nChanges applied:\n- x")
	recent := entry(b, "warning", "Device synced via /cmdb sync command\n\nChanges applied:\n- y")
	entry(b, "info", "a note by hand")
	require.NoError(t, s.Sim.Backdate("extras/journal-entries", 30*24*time.Hour, old))
	s.Sim.ResetRequests()

	devs, err := c.FleetDevicesPage(ctx, PageRequest{Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, 2, devs.Count)
	assert.Equal(t, []FleetDevice{{ID: b, Name: "a-host", Status: "active", Site: "Site " + fx.Suffix},
		{ID: a, Name: "b-host", Status: "active", Site: "Site " + fx.Suffix}}, devs.Items)

	marks, err := c.DeviceJournalPage(ctx, JournalQuery{Search: "via /cmdb"}, PageRequest{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, marks.Items, 2)
	assert.Equal(t, recent, marks.Items[0].ID, "newest first")
	assert.Equal(t, b, marks.Items[0].DeviceID)
	assert.Equal(t, "warning", marks.Items[0].Kind)
	assert.WithinDuration(t, time.Now(), marks.Items[0].Created, time.Hour)
	assert.WithinDuration(t, time.Now().Add(-30*24*time.Hour), marks.Items[1].Created, time.Hour)

	week := time.Now().Add(-7 * 24 * time.Hour)
	after, err := c.DeviceJournalPage(ctx, JournalQuery{Search: "via /cmdb", After: week}, PageRequest{Limit: 1000})
	require.NoError(t, err)
	assert.Equal(t, 1, after.Count)
	before, err := c.DeviceJournalPage(ctx, JournalQuery{Search: "via /cmdb", Before: week}, PageRequest{Limit: 1000})
	require.NoError(t, err)
	require.Equal(t, 1, before.Count)
	assert.Equal(t, old, before.Items[0].ID)
	assert.Len(t, s.Sim.Requests(), 4)
	for _, r := range s.Sim.Requests() {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Contains(t, r.Query, "fields=")
	}
}
