package engine

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func TestStaleViewTouchedBy(t *testing.T) {
	h := host.Host{Hostname: "homelab", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", MAC: "aa:bb:cc:11:11:11", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
	}}}
	snap := record.Snapshot{
		Found: true, Device: record.Device{ID: 7, Name: "homelab"},
		Interfaces:   []record.Interface{{ID: 10, DeviceID: 7}},
		MACs:         []record.MACAddress{{ID: 20, InterfaceID: 10}},
		IPs:          []record.IPAddress{{ID: 30, AssignedObjectType: "dcim.interface", AssignedObjectID: 10}},
		ClusterGroup: &record.ClusterGroup{ID: 3},
		Clusters:     []record.Cluster{{ID: 40}},
		VMs:          []record.VirtualMachine{{ID: 50, ClusterID: 40}},
	}
	// The plan creates the shared objects a fleet's hosts race for.
	creates := []diff.Change{
		{Action: diff.ActionCreate, ObjectType: diff.ObjectPlatform, New: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts"},
		{Action: diff.ActionCreate, ObjectType: diff.ObjectDeviceRole, New: "Database", Slug: "database"},
		{Action: diff.ActionCreate, ObjectType: diff.ObjectClusterType, New: "Docker Compose", Slug: "docker-compose"},
	}
	v := newStaleView(LookupQuery(h, diff.Options{}), snap, creates)
	data := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		change netbox.ObjectChange
		want   bool
	}{
		{"the device itself", netbox.ObjectChange{ObjectType: "dcim.device", ObjectID: 7, Action: "update"}, true},
		{"another device", netbox.ObjectChange{ObjectType: "dcim.device", ObjectID: 8, Action: "update", Post: data("name", "other")}, false},
		{"another device takes the name", netbox.ObjectChange{ObjectType: "dcim.device", ObjectID: 8, Action: "update", Post: data("name", "HomeLab")}, true},
		{"an interface the lookup read", netbox.ObjectChange{ObjectType: "dcim.interface", ObjectID: 10, Action: "update"}, true},
		{"a new interface on the device", netbox.ObjectChange{ObjectType: "dcim.interface", ObjectID: 11, Action: "create", Post: data("device", 7.0)}, true},
		{"an interface elsewhere", netbox.ObjectChange{ObjectType: "dcim.interface", ObjectID: 12, Action: "create", Post: data("device", 8.0)}, false},
		{"an interface without data", netbox.ObjectChange{ObjectType: "dcim.interface", ObjectID: 12, Action: "update"}, true},
		{"a MAC with the host's value", netbox.ObjectChange{ObjectType: "dcim.macaddress", ObjectID: 21, Action: "create", Post: data("mac_address", "AA:BB:CC:11:11:11", "assigned_object_id", nil)}, true},
		{"a MAC moved onto the host", netbox.ObjectChange{ObjectType: "dcim.macaddress", ObjectID: 22, Action: "update",
			Pre: data("mac_address", "02:00:00:00:00:01", "assigned_object_id", 99.0), Post: data("mac_address", "02:00:00:00:00:01", "assigned_object_id", 10.0)}, true},
		{"a MAC elsewhere", netbox.ObjectChange{ObjectType: "dcim.macaddress", ObjectID: 23, Action: "create", Post: data("mac_address", "02:00:00:00:00:02", "assigned_object_id", 99.0)}, false},
		{"an IP the lookup read, deleted", netbox.ObjectChange{ObjectType: "ipam.ipaddress", ObjectID: 30, Action: "delete", Pre: data("address", "10.0.0.1/24")}, true},
		{"an IP with the host's address", netbox.ObjectChange{ObjectType: "ipam.ipaddress", ObjectID: 31, Action: "create", Post: data("address", "192.168.1.150/32", "assigned_object_id", nil)}, true},
		{"an IP moved off the host", netbox.ObjectChange{ObjectType: "ipam.ipaddress", ObjectID: 32, Action: "update",
			Pre: data("address", "10.0.0.2/24", "assigned_object_id", 10.0), Post: data("address", "10.0.0.2/24", "assigned_object_id", 99.0)}, true},
		{"an IP elsewhere", netbox.ObjectChange{ObjectType: "ipam.ipaddress", ObjectID: 33, Action: "create", Post: data("address", "10.0.0.3/24", "assigned_object_id", 99.0)}, false},
		{"a cluster in the host's group", netbox.ObjectChange{ObjectType: "virtualization.cluster", ObjectID: 41, Action: "create", Post: data("group", 3.0)}, true},
		{"a cluster in another group", netbox.ObjectChange{ObjectType: "virtualization.cluster", ObjectID: 42, Action: "create", Post: data("group", 4.0)}, false},
		{"a VM in a host's cluster", netbox.ObjectChange{ObjectType: "virtualization.virtualmachine", ObjectID: 51, Action: "create", Post: data("cluster", 40.0)}, true},
		{"a VM elsewhere", netbox.ObjectChange{ObjectType: "virtualization.virtualmachine", ObjectID: 52, Action: "create", Post: data("cluster", 45.0)}, false},
		{"a platform", netbox.ObjectChange{ObjectType: "dcim.platform", ObjectID: 1, Action: "create", Post: data("name", "Windows")}, true},
		{"another host creates the platform the plan creates", netbox.ObjectChange{ObjectType: "dcim.platform", ObjectID: 2, Action: "create",
			Post: data("name", "Ubuntu 24.04 LTS", "slug", "ubuntu-24-04-lts")}, false},
		{"another platform takes the plan's slug", netbox.ObjectChange{ObjectType: "dcim.platform", ObjectID: 3, Action: "create",
			Post: data("name", "Ubuntu 24.04", "slug", "ubuntu-24-04-lts")}, true},
		{"the platform the plan creates, renamed", netbox.ObjectChange{ObjectType: "dcim.platform", ObjectID: 2, Action: "update",
			Post: data("name", "Ubuntu 24.04 LTS", "slug", "ubuntu-24-04-lts")}, true},
		{"another host creates a role the plan creates", netbox.ObjectChange{ObjectType: "dcim.devicerole", ObjectID: 4, Action: "create",
			Post: data("name", "Database", "slug", "database")}, false},
		{"another host creates the cluster type", netbox.ObjectChange{ObjectType: "virtualization.clustertype", ObjectID: 5, Action: "create",
			Post: data("name", "Docker Compose", "slug", "docker-compose")}, false},
		{"a role the plan does not create", netbox.ObjectChange{ObjectType: "dcim.devicerole", ObjectID: 6, Action: "create",
			Post: data("name", "Cache", "slug", "cache")}, true},
		{"a cluster group without data", netbox.ObjectChange{ObjectType: "virtualization.clustergroup", ObjectID: 5, Action: "create"}, true},
		{"the host's cluster group", netbox.ObjectChange{ObjectType: "virtualization.clustergroup", ObjectID: 3, Action: "update", Post: data("slug", "renamed")}, true},
		{"a group with the host's slug", netbox.ObjectChange{ObjectType: "virtualization.clustergroup", ObjectID: 6, Action: "create", Post: data("slug", "cmdb-host-7")}, true},
		{"another host's cluster group", netbox.ObjectChange{ObjectType: "virtualization.clustergroup", ObjectID: 6, Action: "create", Post: data("slug", "cmdb-host-8")}, false},
		{"a journal entry", netbox.ObjectChange{ObjectType: "extras.journalentry", ObjectID: 1, Action: "create"}, false},
		{"a site", netbox.ObjectChange{ObjectType: "dcim.site", ObjectID: 1, Action: "update"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.touchedBy(tt.change))
		})
	}

	t.Run("no group yet: a cluster is another host's, the host's group a change", func(t *testing.T) {
		bare := newStaleView(LookupQuery(h, diff.Options{}), record.Snapshot{Found: true, Device: record.Device{ID: 7}}, nil)
		assert.False(t, bare.touchedBy(netbox.ObjectChange{ObjectType: "virtualization.cluster", ObjectID: 42, Action: "create", Post: data("group", 4.0)}))
		assert.True(t, bare.touchedBy(netbox.ObjectChange{ObjectType: "virtualization.clustergroup", ObjectID: 9, Action: "create", Post: data("slug", "cmdb-host-7")}))
	})
}

// readsBeforeFirstWrite lists the requests an apply made before it wrote.
func readsBeforeFirstWrite(w simWorld) []string {
	var out []string
	for _, r := range w.srv.Sim.Requests() {
		if r.Method != "GET" {
			break
		}
		out = append(out, r.Path)
	}
	return out
}

// TestStaleCheckByChangeLog: the apply asks NetBox's change log whether
// anything the plan read changed since the lookup, in one request, and
// re-reads only when the log cannot tell.
func TestStaleCheckByChangeLog(t *testing.T) {
	ctx := context.Background()
	changeLogOnly := []string{"/api/core/object-changes/"}

	setup := func(t *testing.T, age bool) (simWorld, *Engine, string) {
		w := newSimWorld(t)
		seedExampleInSim(t, w)
		if age {
			// The seeded state was there long before this sync.
			w.srv.Sim.AgeObjectChanges(time.Hour)
		}
		e := w.engine(seedExampleHost())
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		return w, e, plan.ID
	}

	t.Run("nothing changed: one request", func(t *testing.T) {
		w, e, id := setup(t, true)
		w.srv.Sim.ResetRequests()
		res, err := e.Apply(ctx, id)
		require.NoError(t, err)
		assert.Zero(t, res.Failed+res.Skipped)
		assert.Equal(t, changeLogOnly, readsBeforeFirstWrite(w))
	})

	t.Run("changes elsewhere: one request", func(t *testing.T) {
		w, e, id := setup(t, true)
		other := w.device(t, "neighbour", "active", 0)
		ifs, err := w.nb.CreateInterfaces(ctx, []netbox.InterfaceCreate{{Device: other.ID, Name: "eth0", Type: "1000base-t"}}, netbox.WriteOptions{})
		require.NoError(t, err)
		_, err = w.nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: "10.9.9.9/24", Status: "active", InterfaceID: ifs[0].ID}}, netbox.WriteOptions{})
		require.NoError(t, err)
		w.srv.Sim.ResetRequests()
		res, err := e.Apply(ctx, id)
		require.NoError(t, err)
		assert.Zero(t, res.Failed+res.Skipped)
		assert.Equal(t, changeLogOnly, readsBeforeFirstWrite(w))
	})

	t.Run("a change to the host: re-read, stale", func(t *testing.T) {
		w, e, id := setup(t, true)
		snap, err := w.nb.SnapshotFor(ctx, netbox.SnapshotQuery{Hostname: "homelab"})
		require.NoError(t, err)
		_, err = w.nb.UpdateInterfaces(ctx, []netbox.InterfaceUpdate{{ID: snap.Interfaces[1].ID, Description: ptr("edited by a person")}}, netbox.WriteOptions{})
		require.NoError(t, err)
		w.srv.Sim.ResetRequests()
		_, err = e.Apply(ctx, id)
		require.ErrorIs(t, err, ErrStalePlan)
		reads := readsBeforeFirstWrite(w)
		assert.Len(t, w.srv.Sim.Requests(), len(reads), "nothing written")
		assert.Equal(t, changeLogOnly[0], reads[0])
		assert.Greater(t, len(reads), 1, "the re-read decided")
	})

	t.Run("changes just before the lookup: re-read, current", func(t *testing.T) {
		w, e, id := setup(t, false)
		w.srv.Sim.ResetRequests()
		res, err := e.Apply(ctx, id)
		require.NoError(t, err)
		assert.Zero(t, res.Failed+res.Skipped)
		assert.Greater(t, len(readsBeforeFirstWrite(w)), 1, "the seeding is within the window, so the log cannot clear the plan")
	})

	t.Run("this server's own apply just before the lookup: one request", func(t *testing.T) {
		w := newSimWorld(t)
		seedExampleInSim(t, w)
		w.srv.Sim.AgeObjectChanges(time.Hour)
		h := seedExampleHost()
		discover := DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil })
		server, elsewhere := New(w.nb, discover), New(w.nb, discover)
		syncWith := func(e *Engine) []string {
			plan, err := e.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			require.False(t, plan.InSync())
			w.srv.Sim.ResetRequests()
			res, err := e.Apply(ctx, plan.ID)
			require.NoError(t, err)
			assert.Zero(t, res.Failed+res.Skipped)
			return readsBeforeFirstWrite(w)
		}
		require.Equal(t, changeLogOnly, syncWith(server))

		// The host changes again at once: the next sync's window holds the
		// first apply's records, which its lookup saw.
		h.Network.Interfaces[1].IPv4 = append(h.Network.Interfaces[1].IPv4, netip.MustParsePrefix("100.101.102.104/32"))
		assert.Equal(t, changeLogOnly, syncWith(server))

		// An engine that did not make those writes cannot tell: it re-reads.
		h.Network.Interfaces[1].IPv4 = append(h.Network.Interfaces[1].IPv4, netip.MustParsePrefix("100.101.102.105/32"))
		assert.Greater(t, len(syncWith(elsewhere)), 1)
	})

	t.Run("more changes than a page: re-read", func(t *testing.T) {
		w, _, _ := setup(t, true)
		e := New(busyLog{w.nb}, DiscovererFunc(func(context.Context) (host.Host, error) { return seedExampleHost(), nil }))
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		w.srv.Sim.ResetRequests()
		res, err := e.Apply(ctx, plan.ID)
		require.NoError(t, err)
		assert.Zero(t, res.Failed+res.Skipped)
		assert.Greater(t, len(readsBeforeFirstWrite(w)), 1)
	})

	t.Run("the log cannot be read: re-read", func(t *testing.T) {
		w, e, id := setup(t, true)
		require.NoError(t, w.srv.Sim.AddFault(netboxsim.Fault{Path: "/api/core/object-changes/", Status: 403}))
		w.srv.Sim.ResetRequests()
		res, err := e.Apply(ctx, id)
		require.NoError(t, err)
		assert.Zero(t, res.Failed+res.Skipped)
		assert.Greater(t, len(readsBeforeFirstWrite(w)), 1)
	})
}

// busyLog is a NetBox whose change log has more records since the lookup
// than one page holds, none of them about the host.
type busyLog struct{ *netbox.Client }

func (b busyLog) ListObjectChanges(ctx context.Context, since time.Time, limit int) ([]netbox.ObjectChange, bool, error) {
	changes, _, err := b.Client.ListObjectChanges(ctx, since, limit)
	return changes, true, err
}

// FuzzStaleViewTouchedBy: whatever NetBox puts in a change record's data,
// matching it against a lookup answers without a panic, and a record of an
// object the lookup read always counts.
func FuzzStaleViewTouchedBy(f *testing.F) {
	f.Add("ipam.ipaddress", int64(31), []byte(`{"address":"192.168.1.150/32","assigned_object_id":null}`), []byte(`{}`))
	f.Add("dcim.interface", int64(12), []byte(`{"device":8}`), []byte(`{"device":"7"}`))
	f.Add("dcim.macaddress", int64(22), []byte(`{"mac_address":"not a mac","assigned_object_id":10}`), []byte(`null`))
	f.Add("virtualization.virtualmachine", int64(50), []byte(`{"cluster":{"id":40}}`), []byte(`[]`))
	h := host.Host{Hostname: "homelab", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", MAC: "aa:bb:cc:11:11:11", IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
	}}}
	v := newStaleView(LookupQuery(h, diff.Options{}), record.Snapshot{Found: true, Device: record.Device{ID: 7},
		Interfaces: []record.Interface{{ID: 10}}, VMs: []record.VirtualMachine{{ID: 50}}, ClusterGroup: &record.ClusterGroup{ID: 3}}, nil)
	f.Fuzz(func(t *testing.T, objectType string, id int64, pre, post []byte) {
		c := netbox.ObjectChange{ObjectType: objectType, ObjectID: id, Action: "update"}
		_ = json.Unmarshal(pre, &c.Pre) // what does not decode stays empty, as in the client
		_ = json.Unmarshal(post, &c.Post)
		got := v.touchedBy(c)
		if v.ids[objectType][id] && !got {
			t.Fatalf("a change of %s %d, which the lookup read, does not count", objectType, id)
		}
	})
}
