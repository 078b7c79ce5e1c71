package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

// TestWriteBodies pins the JSON each write type sends, byte for byte:
// NetBox silently ignores keys it does not know, so a misspelt or
// misplaced key would be a write that does nothing.
func TestWriteBodies(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		// IP addresses: a generic foreign key, unassigned with two nulls.
		{"IP unassign", IPAddressUpdate{ID: 5, Unassign: true},
			`{"id":5,"assigned_object_type":null,"assigned_object_id":null}`},
		{"IP move", IPAddressUpdate{ID: 5, InterfaceID: 9},
			`{"id":5,"assigned_object_type":"dcim.interface","assigned_object_id":9}`},
		{"IP new mask leaves the assignment alone", IPAddressUpdate{ID: 5, Address: ptr("192.0.2.10/25")},
			`{"id":5,"address":"192.0.2.10/25"}`},
		{"IP create on an interface", IPAddressCreate{Address: "192.0.2.10/24", Status: "active", InterfaceID: 3},
			`{"address":"192.0.2.10/24","status":"active","assigned_object_type":"dcim.interface","assigned_object_id":3}`},
		{"IP create unassigned", IPAddressCreate{Address: "2001:db8::1/64"},
			`{"address":"2001:db8::1/64"}`},

		// MAC objects.
		{"MAC create", MACAddressCreate{MAC: "02:42:ac:11:00:02", InterfaceID: 12},
			`{"mac_address":"02:42:ac:11:00:02","assigned_object_type":"dcim.interface","assigned_object_id":12}`},
		{"MAC create unassigned", MACAddressCreate{MAC: "02:42:AC:11:00:02"},
			`{"mac_address":"02:42:AC:11:00:02"}`},
		{"MAC assign", MACAddressUpdate{ID: 4, InterfaceID: 12},
			`{"id":4,"assigned_object_type":"dcim.interface","assigned_object_id":12}`},
		{"MAC unassign", MACAddressUpdate{ID: 4, Unassign: true},
			`{"id":4,"assigned_object_type":null,"assigned_object_id":null}`},

		// Interfaces.
		{"interface create", InterfaceCreate{Device: 1, Name: "eth0", Type: "1000base-t"},
			`{"device":1,"name":"eth0","type":"1000base-t"}`},
		{"interface create, all fields", InterfaceCreate{Device: 1, Name: "br0", Type: "bridge", Enabled: ptr(false), MTU: 9000, Description: "d"},
			`{"device":1,"name":"br0","type":"bridge","enabled":false,"mtu":9000,"description":"d"}`},
		{"interface update, nothing", InterfaceUpdate{ID: 1}, `{"id":1}`},
		{"interface update, primary MAC", InterfaceUpdate{ID: 1, PrimaryMAC: ptr[int64](7)},
			`{"id":1,"primary_mac_address":7}`},
		{"interface update, clear primary MAC", InterfaceUpdate{ID: 1, PrimaryMAC: ptr[int64](0)},
			`{"id":1,"primary_mac_address":null}`},
		{"interface offline", InterfaceUpdate{ID: 1, Enabled: ptr(false), Description: ptr("")},
			`{"id":1,"enabled":false,"description":""}`},

		// Containers.
		{"role", DeviceRoleCreate{Name: "Docker container", Slug: "docker-container", VMRole: true},
			`{"name":"Docker container","slug":"docker-container","vm_role":true}`},
		{"cluster type", ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug},
			`{"name":"Docker Compose","slug":"docker-compose"}`},
		{"cluster group", ClusterGroupCreate{Name: "g", Slug: record.HostClusterGroupSlug(7)},
			`{"name":"g","slug":"cmdb-host-7"}`},
		{"cluster", ClusterCreate{Name: "media", Type: 2, Group: 3, Status: "active"},
			`{"name":"media","type":2,"group":3,"status":"active"}`},
		{"cluster without group", ClusterCreate{Name: "media", Type: 2},
			`{"name":"media","type":2}`},
		{"VM create", VirtualMachineCreate{Name: "web", Cluster: 2, Status: "active", Role: 4, VCPUs: ptr(1.5), MemoryMB: ptr[int64](2048), Description: "nginx:1.27"},
			`{"name":"web","cluster":2,"role":4,"vcpus":1.5,"memory":2048,"description":"nginx:1.27","status":"active"}`},
		{"VM create, nil fields omitted", VirtualMachineCreate{Name: "web", Cluster: 2, Status: "active"},
			`{"name":"web","cluster":2,"status":"active"}`},
		{"VM create, zero sizes and status omitted", VirtualMachineCreate{Name: "web", Cluster: 2, VCPUs: ptr(0.0), MemoryMB: ptr[int64](0)},
			`{"name":"web","cluster":2}`},
		{"VM update, sizes", VirtualMachineUpdate{ID: 3, VCPUs: ptr(2.0), MemoryMB: ptr[int64](4096)},
			`{"id":3,"vcpus":2,"memory":4096}`},
		{"VM update, nothing", VirtualMachineUpdate{ID: 3}, `{"id":3}`},
		{"VM update, clear", VirtualMachineUpdate{ID: 3, Role: ptr[int64](0), VCPUs: ptr(0.0), MemoryMB: ptr[int64](0)},
			`{"id":3,"role":null,"vcpus":null,"memory":null}`},
		{"VM update, all", VirtualMachineUpdate{ID: 3, Status: ptr("offline"), Cluster: ptr[int64](5), Role: ptr[int64](4), Description: ptr("x"), Comments: ptr("")},
			`{"id":3,"status":"offline","description":"x","comments":"","cluster":5,"role":4}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			// Pointers encode the same: bulk calls hold values, callers may not.
			viaPtr, err := json.Marshal([]any{&tt.in})
			require.NoError(t, err)
			assert.Equal(t, "["+tt.want+"]", string(viaPtr))
		})
	}

	for name, in := range map[string]any{
		"IP unassign and move":         IPAddressUpdate{ID: 5, Unassign: true, InterfaceID: 9},
		"MAC update without interface": MACAddressUpdate{ID: 4},
		"MAC unassign and move":        MACAddressUpdate{ID: 4, Unassign: true, InterfaceID: 9},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := json.Marshal(in)
			assert.Error(t, err)
		})
	}
}

// echoBulk answers a bulk POST or PATCH the way NetBox does: every object
// back, in order, with an id, passed through render.
func echoBulk(t *testing.T, r *http.Request, w http.ResponseWriter, render func(i int, obj map[string]any) map[string]any) {
	var objs []map[string]any
	require.NoError(t, json.NewDecoder(r.Body).Decode(&objs))
	out := make([]map[string]any, len(objs))
	for i, o := range objs {
		out[i] = render(i, o)
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
}

func interfaceWire(id int64, device int64, name string) map[string]any {
	return map[string]any{
		"id": id, "url": fmt.Sprintf("http://nb/api/dcim/interfaces/%d/", id), "display": name,
		"device": map[string]any{"id": device, "url": "http://nb/api/dcim/devices/1/", "display": "web01", "name": "web01", "description": ""},
		"name":   name, "type": map[string]any{"value": "1000base-t", "label": "1000BASE-T (1GE)"},
		"enabled": true, "mtu": nil, "mac_address": nil, "primary_mac_address": nil, "description": "",
	}
}

func TestBulkInterfaces(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
			out := interfaceWire(100+int64(i), 1, fmt.Sprint(o["name"]))
			if r.Method == http.MethodPatch {
				out["id"] = o["id"]
				out["name"] = fmt.Sprintf("eth%v", o["id"])
				out["primary_mac_address"] = map[string]any{"id": o["primary_mac_address"], "url": "http://nb/api/dcim/mac-addresses/1/", "display": "02:42:AC:11:00:02", "mac_address": "02:42:AC:11:00:02", "description": ""}
				out["mtu"] = 1500
			}
			return out
		})
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	got, err := c.CreateInterfaces(ctx, []InterfaceCreate{
		{Device: 1, Name: "eth0", Type: "1000base-t"},
		{Device: 1, Name: "eth1", Type: "1000base-t", Enabled: ptr(false)},
	}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.Interface{
		{ID: 100, DeviceID: 1, Name: "eth0", Type: "1000base-t", Enabled: true},
		{ID: 101, DeviceID: 1, Name: "eth1", Type: "1000base-t", Enabled: true},
	}, got)

	got, err = c.UpdateInterfaces(ctx, []InterfaceUpdate{{ID: 7, PrimaryMAC: ptr[int64](3)}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.Interface{{ID: 7, DeviceID: 1, Name: "eth7", Type: "1000base-t", Enabled: true, MTU: 1500,
		PrimaryMAC: &record.Ref{ID: 3, Name: "02:42:AC:11:00:02"}}}, got)

	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/api/dcim/interfaces/", reqs[0].Path)
	assert.JSONEq(t, `[{"device":1,"name":"eth0","type":"1000base-t"},{"device":1,"name":"eth1","type":"1000base-t","enabled":false}]`, reqs[0].Body)
	assert.Equal(t, http.MethodPatch, reqs[1].Method)
	assert.Equal(t, "/api/dcim/interfaces/", reqs[1].Path)
	assert.Equal(t, `[{"id":7,"primary_mac_address":3}]`, reqs[1].Body)
}

func TestBulkAddresses(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
			id := o["id"]
			if id == nil {
				id = 200 + i
			}
			out := map[string]any{
				"id": id, "url": "http://nb/x/", "display": "x", "description": "",
				"assigned_object_type": o["assigned_object_type"], "assigned_object_id": o["assigned_object_id"],
				"assigned_object": nil,
				"created":         "2025-01-01T00:00:00Z", "future_field": map[string]any{"added": "in 4.9"},
			}
			if o["assigned_object_type"] == "dcim.interface" {
				out["assigned_object"] = map[string]any{
					"id": o["assigned_object_id"], "url": "http://nb/api/dcim/interfaces/1/", "display": "eth0", "name": "eth0",
					"device": map[string]any{"id": 1, "url": "http://nb/api/dcim/devices/1/", "display": "web01", "name": "web01"},
					"cable":  nil, "_occupied": false,
				}
			}
			if strings.Contains(r.URL.Path, "mac-addresses") {
				out["mac_address"] = strings.ToUpper(fmt.Sprint(o["mac_address"]))
			} else {
				out["address"] = o["address"]
				if out["address"] == nil {
					out["address"] = "192.0.2.10/24"
				}
				out["status"] = map[string]any{"value": "active", "label": "Active"}
				out["family"] = map[string]any{"value": 4, "label": "IPv4"}
			}
			return out
		})
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	macs, err := c.CreateMACAddresses(ctx, []MACAddressCreate{{MAC: "02:42:ac:11:00:02", InterfaceID: 12}, {MAC: "02:42:ac:11:00:03"}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.MACAddress{
		{ID: 200, MAC: "02:42:AC:11:00:02", InterfaceID: 12, DeviceID: 1},
		{ID: 201, MAC: "02:42:AC:11:00:03"},
	}, macs)

	ips, err := c.CreateIPAddresses(ctx, []IPAddressCreate{{Address: "192.0.2.10/24", Status: "active", InterfaceID: 12}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.IPAddress{{ID: 200, Address: "192.0.2.10/24", Status: "active",
		AssignedObjectType: "dcim.interface", AssignedObjectID: 12, DeviceID: 1}}, ips)
	assert.Equal(t, int64(12), ips[0].InterfaceID())

	ips, err = c.UpdateIPAddresses(ctx, []IPAddressUpdate{{ID: 9, Unassign: true}, {ID: 10, InterfaceID: 13}}, WriteOptions{})
	require.NoError(t, err)
	require.Len(t, ips, 2)
	assert.Equal(t, record.IPAddress{ID: 9, Address: "192.0.2.10/24", Status: "active"}, ips[0], "unassigned: no type, id or device")
	assert.Equal(t, int64(13), ips[1].InterfaceID())

	_, err = c.UpdateMACAddresses(ctx, []MACAddressUpdate{{ID: 4, InterfaceID: 12}}, WriteOptions{})
	require.NoError(t, err)

	reqs := f.requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, `[{"mac_address":"02:42:ac:11:00:02","assigned_object_type":"dcim.interface","assigned_object_id":12},{"mac_address":"02:42:ac:11:00:03"}]`, reqs[0].Body)
	assert.Equal(t, "/api/ipam/ip-addresses/", reqs[1].Path)
	assert.Equal(t, `[{"address":"192.0.2.10/24","status":"active","assigned_object_type":"dcim.interface","assigned_object_id":12}]`, reqs[1].Body)
	assert.Equal(t, http.MethodPatch, reqs[2].Method)
	assert.Equal(t, `[{"id":9,"assigned_object_type":null,"assigned_object_id":null},{"id":10,"assigned_object_type":"dcim.interface","assigned_object_id":13}]`, reqs[2].Body)
	assert.Equal(t, "/api/dcim/mac-addresses/", reqs[3].Path)
	assert.Equal(t, `[{"id":4,"assigned_object_type":"dcim.interface","assigned_object_id":12}]`, reqs[3].Body)

	// A contradictory update is refused before anything is sent.
	_, err = c.UpdateIPAddresses(ctx, []IPAddressUpdate{{ID: 9, Unassign: true, InterfaceID: 3}}, WriteOptions{})
	assert.ErrorContains(t, err, "pick one")
	assert.Len(t, f.requests(), 4)
}

func TestBulkVirtualization(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/virtualization/cluster-types/", "/api/virtualization/cluster-groups/":
			var o map[string]any
			require.NoError(t, json.NewDecoder(r.Body).Decode(&o))
			writeJSON(w, http.StatusCreated, map[string]any{"id": 8, "url": "http://nb/x/", "display": o["name"], "name": o["name"], "slug": o["slug"]})
		case "/api/dcim/device-roles/":
			echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
				return map[string]any{"id": 30 + i, "name": o["name"], "slug": o["slug"], "vm_role": o["vm_role"], "color": "9e9e9e", "_depth": 0}
			})
		case "/api/virtualization/clusters/":
			echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
				return map[string]any{
					"id": 40 + i, "name": o["name"],
					"type":   map[string]any{"id": o["type"], "url": "http://nb/x/", "display": "Docker Compose", "name": "Docker Compose", "slug": "docker-compose"},
					"group":  map[string]any{"id": o["group"], "url": "http://nb/x/", "display": "g", "name": "g", "slug": "cmdb-host-1"},
					"status": map[string]any{"value": "active", "label": "Active"},
				}
			})
		case "/api/virtualization/virtual-machines/":
			echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
				id := o["id"]
				if id == nil {
					id = 50 + i
				}
				// As NetBox 4.6 renders it: no count fields, vcpus as a number.
				return map[string]any{
					"id": id, "name": fmt.Sprintf("vm%v", id),
					"status":  map[string]any{"value": "active", "label": "Active"},
					"cluster": map[string]any{"id": 40, "url": "http://nb/x/", "display": "media", "name": "media"},
					"device":  nil,
					"role":    map[string]any{"id": 30, "url": "http://nb/x/", "display": "r", "name": "r", "slug": "r"},
					"vcpus":   o["vcpus"], "memory": o["memory"], "description": "nginx",
				}
			})
		default:
			http.NotFound(w, r)
		}
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.ClusterType{ID: 8, Name: "Docker Compose", Slug: "docker-compose"}, ct)
	cg, err := c.CreateClusterGroup(ctx, ClusterGroupCreate{Name: "g", Slug: "cmdb-host-1", Description: "d"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.ClusterGroup{ID: 8, Name: "g", Slug: "cmdb-host-1"}, cg)
	roles, err := c.CreateDeviceRoles(ctx, []DeviceRoleCreate{{Name: "a", Slug: "a", VMRole: true}, {Name: "b", Slug: "b"}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.DeviceRole{{ID: 30, Name: "a", Slug: "a", VMRole: true}, {ID: 31, Name: "b", Slug: "b"}}, roles)
	clusters, err := c.CreateClusters(ctx, []ClusterCreate{{Name: "media", Type: 8, Group: 9, Status: "active"}}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.Cluster{{ID: 40, Name: "media", Type: record.Ref{ID: 8, Name: "Docker Compose", Slug: "docker-compose"},
		Group: &record.Ref{ID: 9, Name: "g", Slug: "cmdb-host-1"}, Status: "active"}}, clusters)
	vms, err := c.CreateVirtualMachines(ctx, []VirtualMachineCreate{
		{Name: "vm50", Cluster: 40, Status: "active", Role: 30, VCPUs: ptr(0.5), MemoryMB: ptr[int64](512)},
		{Name: "vm51", Cluster: 40, Status: "active"},
	}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, []record.VirtualMachine{
		{ID: 50, Name: "vm50", Status: "active", ClusterID: 40, Role: &record.Ref{ID: 30, Name: "r", Slug: "r"}, VCPUs: 0.5, MemoryMB: 512, Description: "nginx"},
		{ID: 51, Name: "vm51", Status: "active", ClusterID: 40, Role: &record.Ref{ID: 30, Name: "r", Slug: "r"}, Description: "nginx"},
	}, vms)
	vms, err = c.UpdateVirtualMachines(ctx, []VirtualMachineUpdate{{ID: 50, MemoryMB: ptr[int64](1024), VCPUs: ptr(2.0)}}, WriteOptions{})
	require.NoError(t, err)
	require.Len(t, vms, 1)
	assert.Equal(t, int64(1024), vms[0].MemoryMB)
	assert.Equal(t, 2.0, vms[0].VCPUs)

	reqs := f.requests()
	require.Len(t, reqs, 6)
	assert.Equal(t, `{"name":"Docker Compose","slug":"docker-compose"}`, reqs[0].Body)
	assert.Equal(t, `{"name":"g","slug":"cmdb-host-1","description":"d"}`, reqs[1].Body)
	assert.Equal(t, `[{"name":"a","slug":"a","vm_role":true},{"name":"b","slug":"b","vm_role":false}]`, reqs[2].Body)
	assert.Equal(t, `[{"name":"media","type":8,"group":9,"status":"active"}]`, reqs[3].Body)
	assert.Equal(t, `[{"name":"vm50","cluster":40,"role":30,"vcpus":0.5,"memory":512,"status":"active"},{"name":"vm51","cluster":40,"status":"active"}]`, reqs[4].Body)
	assert.Equal(t, `[{"id":50,"vcpus":2,"memory":1024}]`, reqs[5].Body)
	for i, r := range reqs {
		want := http.MethodPost
		if i == 5 {
			want = http.MethodPatch
		}
		assert.Equal(t, want, r.Method, r.Path)
	}
}

// TestBulkEmpty: nothing to write sends nothing.
func TestBulkEmpty(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("unexpected %s %s", r.Method, r.URL) })
	c := newTestClient(t, f)
	ctx := context.Background()
	calls := map[string]func() (int, error){
		"CreateInterfaces": func() (int, error) { v, err := c.CreateInterfaces(ctx, nil, WriteOptions{}); return len(v), err },
		"UpdateInterfaces": func() (int, error) {
			v, err := c.UpdateInterfaces(ctx, []InterfaceUpdate{}, WriteOptions{})
			return len(v), err
		},
		"CreateMACAddresses":    func() (int, error) { v, err := c.CreateMACAddresses(ctx, nil, WriteOptions{}); return len(v), err },
		"UpdateMACAddresses":    func() (int, error) { v, err := c.UpdateMACAddresses(ctx, nil, WriteOptions{}); return len(v), err },
		"CreateIPAddresses":     func() (int, error) { v, err := c.CreateIPAddresses(ctx, nil, WriteOptions{}); return len(v), err },
		"UpdateIPAddresses":     func() (int, error) { v, err := c.UpdateIPAddresses(ctx, nil, WriteOptions{}); return len(v), err },
		"CreateDeviceRoles":     func() (int, error) { v, err := c.CreateDeviceRoles(ctx, nil, WriteOptions{}); return len(v), err },
		"CreateClusters":        func() (int, error) { v, err := c.CreateClusters(ctx, nil, WriteOptions{}); return len(v), err },
		"CreateVirtualMachines": func() (int, error) { v, err := c.CreateVirtualMachines(ctx, nil, WriteOptions{}); return len(v), err },
		"UpdateVirtualMachines": func() (int, error) { v, err := c.UpdateVirtualMachines(ctx, nil, WriteOptions{}); return len(v), err },
		"ListVirtualMachines":   func() (int, error) { v, err := c.ListVirtualMachines(ctx, nil); return len(v), err },
	}
	for name, call := range calls {
		n, err := call()
		assert.NoError(t, err, name)
		assert.Zero(t, n, name)
	}
	assert.Empty(t, f.requests())
}

func TestBulkChunks(t *testing.T) {
	tests := []struct {
		n    int
		want []int // objects per request
	}{
		{1, []int{1}},
		{1000, []int{1000}},
		{1001, []int{1000, 1}},
		{2500, []int{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			var next atomic.Int64
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
					return interfaceWire(next.Add(1), 1, fmt.Sprint(o["name"]))
				})
			})
			c := newTestClient(t, f)
			in := make([]InterfaceCreate, tt.n)
			for i := range in {
				in[i] = InterfaceCreate{Device: 1, Name: fmt.Sprintf("veth%04d", i), Type: "virtual"}
			}
			got, err := c.CreateInterfaces(context.Background(), in, WriteOptions{})
			require.NoError(t, err)
			require.Len(t, got, tt.n)
			for i, iface := range got {
				assert.Equal(t, in[i].Name, iface.Name, "input order")
				assert.Equal(t, int64(i+1), iface.ID)
			}
			var sizes []int
			for _, r := range f.requests() {
				var objs []json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(r.Body), &objs))
				sizes = append(sizes, len(objs))
			}
			assert.Equal(t, tt.want, sizes)
		})
	}
}

// TestBulkChunkFails: a failing chunk names the caller's indexes and
// returns what earlier chunks wrote.
func TestBulkChunkFails(t *testing.T) {
	var calls atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			body := make([]map[string]any, 500)
			for i := range body {
				body[i] = map[string]any{}
			}
			body[3] = map[string]any{"name": []string{"Interface with this Device and Name already exists."}}
			writeJSON(w, http.StatusBadRequest, body)
			return
		}
		echoBulk(t, r, w, func(i int, o map[string]any) map[string]any {
			return interfaceWire(int64(i+1), 1, fmt.Sprint(o["name"]))
		})
	})
	c := newTestClient(t, f)
	in := make([]InterfaceCreate, 1500)
	for i := range in {
		in[i] = InterfaceCreate{Device: 1, Name: fmt.Sprint(i), Type: "virtual"}
	}
	got, err := c.CreateInterfaces(context.Background(), in, WriteOptions{})
	require.Error(t, err)
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, map[string][]string{"1003.name": {"Interface with this Device and Name already exists."}}, e.Fields)
	assert.Contains(t, e.Error(), "1003.name: Interface with this Device and Name already exists.")
	assert.Len(t, got, 1000, "the first chunk was written")
}

// TestBulkUpdateOrder: NetBox answers a bulk PATCH in its model's
// ordering, not the order sent; results come back in input order.
func TestBulkUpdateOrder(t *testing.T) {
	var drop atomic.Bool
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		var objs []map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&objs))
		var out []map[string]any
		for i := len(objs) - 1; i >= 0; i-- { // reversed
			if drop.Load() && i == 0 {
				continue // NetBox skips ids it does not find
			}
			id := int64(objs[i]["id"].(float64))
			out = append(out, map[string]any{"id": id, "name": fmt.Sprint("vm", id), "memory": objs[i]["memory"]})
		}
		writeJSON(w, http.StatusOK, out)
	})
	c := newTestClient(t, f)
	ctx := context.Background()
	in := []VirtualMachineUpdate{{ID: 3, MemoryMB: ptr[int64](300)}, {ID: 1, MemoryMB: ptr[int64](100)}, {ID: 2, MemoryMB: ptr[int64](200)}}

	got, err := c.UpdateVirtualMachines(ctx, in, WriteOptions{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, vm := range got {
		assert.Equal(t, in[i].ID, vm.ID)
		assert.Equal(t, *in[i].MemoryMB, vm.MemoryMB)
	}

	drop.Store(true)
	got, err = c.UpdateVirtualMachines(ctx, in, WriteOptions{})
	assert.True(t, IsKind(err, KindNotFound), "%v", err)
	assert.ErrorContains(t, err, "did not return the objects with id 3")
	assert.Equal(t, []int64{1, 2}, []int64{got[0].ID, got[1].ID}, "the updated ones, in input order")

	_, err = c.UpdateVirtualMachines(ctx, []VirtualMachineUpdate{{ID: 3, MemoryMB: ptr[int64](1)}, {ID: 3, VCPUs: ptr(1.0)}}, WriteOptions{})
	assert.ErrorContains(t, err, "id 3 appears twice")
	assert.Len(t, f.requests(), 2, "refused before sending")
}

func TestBulkShortAnswer(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, []any{map[string]any{"id": 1, "address": "192.0.2.1/24"}})
	})
	c := newTestClient(t, f)
	_, err := c.CreateIPAddresses(context.Background(), []IPAddressCreate{{Address: "192.0.2.1/24"}, {Address: "192.0.2.2/24"}}, WriteOptions{})
	assert.True(t, IsKind(err, KindDecode), "%v", err)
	assert.ErrorContains(t, err, "sent 2 objects, NetBox answered with 1")
}

// TestListFilters checks the query of each read: paging, the filter, and
// repeated values in chunks of 100.
func TestListFilters(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { listResponse(w, r, nil, 1000) })
	c := newTestClient(t, f)
	ctx := context.Background()

	macs := make([]string, 0, 251)
	for i := range 250 {
		macs = append(macs, fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256))
	}
	macs = append(macs, "02:00:00:00:00:00") // a repeat, sent once
	_, err := c.ListMACAddresses(ctx, MACAddressQuery{DeviceID: 7, MACs: macs})
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 3)
	var sent []string
	for i, r := range reqs {
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		assert.Equal(t, "/api/dcim/mac-addresses/", r.Path)
		assert.Equal(t, "7", q.Get("device_id"))
		assert.Equal(t, "1000", q.Get("limit"))
		assert.Len(t, q["mac_address"], []int{100, 100, 50}[i])
		sent = append(sent, q["mac_address"]...)
	}
	assert.Len(t, sent, 250)
	assert.Equal(t, []string{"02:00:00:00:00:00", "02:00:00:00:00:01"}, sent[:2], "in order, once")
	for _, m := range sent {
		assert.Equal(t, strings.ToUpper(m), m, "sent as NetBox writes MACs")
	}

	ids := make([]int64, 150)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	calls := []struct {
		call func() error
		want []string // raw queries
	}{
		{func() error { _, err := c.ListInterfaces(ctx, 7); return err }, []string{"device_id=7&limit=1000&offset=0"}},
		{func() error { _, err := c.ListIPAddresses(ctx, IPAddressQuery{DeviceID: 7}); return err }, []string{"device_id=7&limit=1000&offset=0"}},
		{func() error {
			_, err := c.ListIPAddresses(ctx, IPAddressQuery{Addresses: []string{"192.0.2.1", "2001:db8::1", "192.0.2.1"}})
			return err
		}, []string{"address=192.0.2.1&address=2001%3Adb8%3A%3A1&limit=1000&offset=0"}},
		{func() error { _, err := c.listDeviceRoles(ctx); return err }, []string{"limit=1000&offset=0"}},
		{func() error { _, err := c.ListClusterTypes(ctx, "docker-compose"); return err }, []string{"limit=1000&offset=0&slug=docker-compose"}},
		{func() error { _, err := c.ListClusterGroups(ctx, "cmdb-host-7"); return err }, []string{"limit=1000&offset=0&slug=cmdb-host-7"}},
		{func() error { _, err := c.listClusters(ctx, 3); return err }, []string{"group_id=3&limit=1000&offset=0"}},
		{func() error { _, err := c.ListVirtualMachines(ctx, ids); return err }, []string{
			"cluster_id=" + strings.Join(formatIDs(ids[:100]), "&cluster_id=") + "&exclude=config_context&limit=1000&offset=0",
			"cluster_id=" + strings.Join(formatIDs(ids[100:]), "&cluster_id=") + "&exclude=config_context&limit=1000&offset=0",
		}},
	}
	for _, tt := range calls {
		before := len(f.requests())
		require.NoError(t, tt.call())
		var got []string
		for _, r := range f.requests()[before:] {
			got = append(got, r.Query)
		}
		assert.Equal(t, tt.want, got)
	}

	_, err = c.ListInterfaces(ctx, 0)
	assert.ErrorContains(t, err, "pass the id of the device")
	_, err = c.listClusters(ctx, 0)
	assert.ErrorContains(t, err, "pass the id of the cluster group")
}

// TestListDecodesOtherVersions: the reads decode what NetBox releases
// other than 4.3 send, which go-netbox's strict models reject.
func TestListDecodesOtherVersions(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		var objs []map[string]any
		switch r.URL.Path {
		case "/api/virtualization/virtual-machines/":
			objs = []map[string]any{{
				"id": 1, "name": "web", "status": map[string]any{"value": "paused", "label": "Paused"},
				"cluster": map[string]any{"id": 4, "name": "media"}, // no count: 4.6
				"device":  map[string]any{"id": 7, "name": "web01"},
				"vcpus":   "2.50", "memory": 512, "description": "nginx", "owner": nil, // 4.5
			}}
		case "/api/ipam/ip-addresses/":
			objs = []map[string]any{
				{"id": 2, "address": "192.0.2.1/24", "status": map[string]any{"value": "active"},
					"assigned_object_type": "virtualization.vminterface", "assigned_object_id": 5,
					"assigned_object": map[string]any{"id": 5, "name": "eth0", "virtual_machine": map[string]any{"id": 1}}},
				{"id": 3, "address": "192.0.2.2/24", "status": "active", "assigned_object_type": nil, "assigned_object_id": nil, "assigned_object": nil},
			}
		case "/api/dcim/mac-addresses/":
			objs = []map[string]any{{"id": 4, "mac_address": "02:42:AC:11:00:02", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": 5}}
		}
		listResponse(w, r, objs, 1000)
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	vms, err := c.ListVirtualMachines(ctx, []int64{4})
	require.NoError(t, err)
	assert.Equal(t, []record.VirtualMachine{{ID: 1, Name: "web", Status: "paused", ClusterID: 4, DeviceID: 7, VCPUs: 2.5, MemoryMB: 512, Description: "nginx"}}, vms)

	ips, err := c.ListIPAddresses(ctx, IPAddressQuery{DeviceID: 7})
	require.NoError(t, err)
	assert.Equal(t, []record.IPAddress{
		{ID: 2, Address: "192.0.2.1/24", Status: "active", AssignedObjectType: "virtualization.vminterface", AssignedObjectID: 5},
		{ID: 3, Address: "192.0.2.2/24", Status: "active"},
	}, ips)
	assert.Zero(t, ips[0].InterfaceID(), "a VM interface is not a dcim.interface")

	macs, err := c.ListMACAddresses(ctx, MACAddressQuery{})
	require.NoError(t, err)
	// On a VM interface: no dcim.interface, and not free either.
	assert.Equal(t, []record.MACAddress{{ID: 4, MAC: "02:42:AC:11:00:02", AssignedElsewhere: true}}, macs)
}

// snapshotFake is a NetBox with one device (id 7) whose lists are
// canned; it records the queries and the most requests in flight.
type snapshotFake struct {
	*fakeNetBox
	inFlight, maxInFlight atomic.Int64
}

func newSnapshotFake(t *testing.T, devices []map[string]any, lists map[string][]map[string]any, fail map[string]int) *snapshotFake {
	sf := &snapshotFake{}
	sf.fakeNetBox = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		n := sf.inFlight.Add(1)
		defer sf.inFlight.Add(-1)
		for {
			m := sf.maxInFlight.Load()
			if n <= m || sf.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // let concurrent requests overlap
		if status := fail[r.URL.Path]; status != 0 {
			writeJSON(w, status, map[string]any{"detail": "failed " + r.URL.Path})
			return
		}
		if r.URL.Path == devicesPath {
			listResponse(w, r, devices, 1000)
			return
		}
		objs, ok := lists[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		listResponse(w, r, objs, 1000)
	})
	return sf
}

func (sf *snapshotFake) queries(t *testing.T) map[string][]url.Values {
	out := map[string][]url.Values{}
	for _, r := range sf.requests() {
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		out[r.Path] = append(out[r.Path], q)
	}
	return out
}

func TestSnapshotFor(t *testing.T) {
	assigned := func(id, ifaceID int64) map[string]any {
		return map[string]any{
			"assigned_object_type": "dcim.interface", "assigned_object_id": ifaceID,
			"assigned_object": map[string]any{"id": ifaceID, "name": "eth0", "device": map[string]any{"id": 7, "name": "web01"}},
		}
	}
	withID := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	eth0 := interfaceWire(11, 7, "eth0")
	eth0["mac_addresses"] = []any{map[string]any{"id": 1, "url": "http://nb/api/dcim/mac-addresses/1/", "display": "02:42:AC:11:00:02", "mac_address": "02:42:AC:11:00:02", "description": ""}}
	mediaGroup := map[string]any{"id": 3, "name": "g", "slug": "cmdb-host-7"}
	composeType := map[string]any{"id": 2, "name": "Docker Compose", "slug": "docker-compose"}
	lists := map[string][]map[string]any{
		platformsPath:  {platformJSON(1)},
		interfacesPath: {eth0},
		// The device's MAC 1 (nested in eth0) is also found by value; 2 is
		// free elsewhere.
		macAddressesPath: {
			withID(assigned(1, 11), "id", 1, "mac_address", "02:42:AC:11:00:02"),
			{"id": 2, "mac_address": "02:42:AC:11:00:03", "assigned_object_type": nil, "assigned_object_id": nil, "assigned_object": nil},
		},
		ipAddressesPath: {
			withID(assigned(5, 11), "id", 5, "address", "192.0.2.10/24", "status", "active"),
			{"id": 6, "address": "172.17.0.1/16", "status": "active", "assigned_object_type": "dcim.interface", "assigned_object_id": 99,
				"assigned_object": map[string]any{"id": 99, "device": map[string]any{"id": 8}}},
		},
		deviceRolesPath:     {{"id": 30, "name": "Docker container", "slug": "docker-container", "vm_role": true}},
		clusterTypesPath:    {composeType},
		clusterGroupsPath:   {mediaGroup},
		clustersPath:        {{"id": 4, "name": "media", "type": composeType, "group": mediaGroup, "status": map[string]any{"value": "active"}}},
		virtualMachinesPath: {{"id": 9, "name": "jellyfin", "status": map[string]any{"value": "active"}, "cluster": map[string]any{"id": 4, "name": "media"}, "vcpus": 2, "memory": 1024}},
	}
	device := []map[string]any{deviceJSON(7, "web01", 1, "DC1")}
	query := SnapshotQuery{
		Hostname:   "web01",
		Platform:   "Ubuntu 24.04", // the device has 22.04
		MACs:       map[string]string{"eth0": "02:42:ac:11:00:02", "eth1": "02:42:ac:11:00:03", "eth2": "02:42:ac:11:00:03"},
		Addresses:  []string{"192.0.2.10", "172.17.0.1/16", "fe80::1%eth0"},
		Containers: true,
		Roles:      []string{"Docker container"}, // on no VM yet
	}
	with := func(path string, objs ...map[string]any) map[string][]map[string]any {
		out := map[string][]map[string]any{}
		for k, v := range lists {
			out[k] = v
		}
		out[path] = objs
		return out
	}

	t.Run("everything", func(t *testing.T) {
		// The cluster in the list carries no group or type, so both are
		// read in a second round trip, like the roles: no VM has the wanted one.
		f := newSnapshotFake(t, device, with(clustersPath, map[string]any{"id": 4, "name": "media", "type": nil, "group": nil, "status": map[string]any{"value": "active"}}), nil)
		c := newTestClient(t, f.fakeNetBox)
		s, err := c.SnapshotFor(context.Background(), query)
		require.NoError(t, err)

		assert.True(t, s.Found)
		assert.Equal(t, int64(7), s.Device.ID)
		assert.Len(t, s.Platforms, 1)
		assert.Equal(t, []record.Interface{{ID: 11, DeviceID: 7, Name: "eth0", Type: "1000base-t", Enabled: true, MACs: []record.Ref{{ID: 1, Name: "02:42:AC:11:00:02"}}}}, s.Interfaces)
		assert.Equal(t, []record.MACAddress{
			{ID: 1, MAC: "02:42:AC:11:00:02", InterfaceID: 11, DeviceID: 7},
			{ID: 2, MAC: "02:42:AC:11:00:03"},
		}, s.MACs, "merged without duplicates")
		assert.Equal(t, []record.IPAddress{
			{ID: 5, Address: "192.0.2.10/24", Status: "active", AssignedObjectType: "dcim.interface", AssignedObjectID: 11, DeviceID: 7},
			{ID: 6, Address: "172.17.0.1/16", Status: "active", AssignedObjectType: "dcim.interface", AssignedObjectID: 99, DeviceID: 8},
		}, s.IPs)
		assert.Equal(t, []record.DeviceRole{{ID: 30, Name: "Docker container", Slug: "docker-container", VMRole: true}}, s.Roles)
		assert.Equal(t, &record.ClusterType{ID: 2, Name: "Docker Compose", Slug: "docker-compose"}, s.ClusterType)
		assert.Equal(t, &record.ClusterGroup{ID: 3, Name: "g", Slug: "cmdb-host-7"}, s.ClusterGroup)
		require.Len(t, s.Clusters, 1)
		assert.Equal(t, int64(4), s.Clusters[0].ID)
		assert.Equal(t, []record.VirtualMachine{{ID: 9, Name: "jellyfin", Status: "active", ClusterID: 4, VCPUs: 2, MemoryMB: 1024}}, s.VMs)

		q := f.queries(t)
		assert.Len(t, f.requests(), 11, "device; interfaces, IPs, platforms, group; MACs and IPs by value, clusters, VMs; type and roles")
		assert.Equal(t, "web01", q[devicesPath][0].Get("name"))
		assert.Equal(t, "7", q[interfacesPath][0].Get("device_id"))
		require.Len(t, q[macAddressesPath], 1, "the device's MACs come nested in its interfaces")
		assert.Empty(t, q[macAddressesPath][0].Get("device_id"), "values are looked up anywhere")
		assert.Equal(t, []string{"02:42:AC:11:00:03"}, q[macAddressesPath][0]["mac_address"], "eth0 has its MAC: only eth1's and eth2's is looked up, once")
		require.Len(t, q[ipAddressesPath], 2)
		byDevice, byValue := q[ipAddressesPath][0], q[ipAddressesPath][1]
		if byDevice.Get("device_id") == "" {
			byDevice, byValue = byValue, byDevice
		}
		assert.Equal(t, "7", byDevice.Get("device_id"))
		assert.Empty(t, byValue.Get("device_id"), "values are looked up anywhere")
		assert.Equal(t, []string{"fe80::1"}, byValue["address"], "host parts, no mask or zone, of the addresses the device lacks")
		assert.Equal(t, "docker-compose", q[clusterTypesPath][0].Get("slug"))
		assert.Equal(t, "cmdb-host-7", q[clusterGroupsPath][0].Get("slug"))
		assert.Equal(t, "3", q[clustersPath][0].Get("group_id"))
		assert.Equal(t, "3", q[virtualMachinesPath][0].Get("cluster_group_id"))
		assert.Len(t, q[deviceRolesPath], 1)
		assert.Len(t, q[platformsPath], 1, "the host's platform is not the device's")
		assert.LessOrEqual(t, f.maxInFlight.Load(), int64(snapshotParallelism))
		assert.Greater(t, f.maxInFlight.Load(), int64(1), "reads overlap")
	})

	t.Run("steady state: what clusters, VMs and the device carry is not read again", func(t *testing.T) {
		vm := map[string]any{"id": 9, "name": "jellyfin", "status": map[string]any{"value": "active"}, "cluster": map[string]any{"id": 4, "name": "media"},
			"role": map[string]any{"id": 30, "name": "Docker container", "slug": "docker-container"}}
		f := newSnapshotFake(t, device, with(virtualMachinesPath, vm), nil)
		q := query
		q.Platform = "ubuntu 22.04 " // the device's, in another case
		s, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), q)
		require.NoError(t, err)
		assert.Len(t, f.requests(), 8, "device; interfaces, IPs, MACs and IPs by value, group; clusters, VMs")
		qs := f.queries(t)
		for _, path := range []string{platformsPath, clusterTypesPath, deviceRolesPath} {
			assert.Empty(t, qs[path], path)
		}
		assert.Equal(t, []record.Platform{{ID: 5, Name: "Ubuntu 22.04", Slug: "ubuntu-22.04"}}, s.Platforms)
		assert.Equal(t, &record.ClusterGroup{ID: 3, Name: "g", Slug: "cmdb-host-7"}, s.ClusterGroup)
		assert.Equal(t, &record.ClusterType{ID: 2, Name: "Docker Compose", Slug: "docker-compose"}, s.ClusterType)
		assert.Equal(t, []record.DeviceRole{{ID: 30, Name: "Docker container", Slug: "docker-container", VMRole: true}}, s.Roles)
	})

	t.Run("request count does not grow with objects", func(t *testing.T) {
		count := func(interfaces, ips int) int {
			big := with(interfacesPath)
			for i := range interfaces {
				big[interfacesPath] = append(big[interfacesPath], interfaceWire(int64(100+i), 7, fmt.Sprint("eth", i)))
			}
			q := query
			q.Addresses = nil
			for i := range ips {
				q.Addresses = append(q.Addresses, fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
			}
			f := newSnapshotFake(t, device, big, nil)
			s, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), q)
			require.NoError(t, err)
			assert.Len(t, s.Interfaces, interfaces)
			return len(f.requests())
		}
		assert.Equal(t, 10, count(3, 2))
		assert.Equal(t, 10, count(40, 100))
		assert.Equal(t, 11, count(40, 101), "one more chunk of 100 values")
	})

	t.Run("without containers or values", func(t *testing.T) {
		f := newSnapshotFake(t, device, lists, nil)
		s, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), SnapshotQuery{Hostname: "web01"})
		require.NoError(t, err)
		assert.Len(t, f.requests(), 3, "device, interfaces, IPs")
		assert.Nil(t, s.ClusterType)
		assert.Nil(t, s.Roles)
		assert.Len(t, s.MACs, 1)
	})

	t.Run("no cluster group", func(t *testing.T) {
		noGroup := with(clusterGroupsPath)
		noGroup[clustersPath], noGroup[virtualMachinesPath] = nil, nil
		f := newSnapshotFake(t, device, noGroup, nil)
		s, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), query)
		require.NoError(t, err)
		assert.Nil(t, s.ClusterGroup)
		assert.Empty(t, s.Clusters)
		assert.Len(t, f.requests(), 9, "no clusters or VMs read")
		assert.Empty(t, f.queries(t)[clustersPath])
	})

	t.Run("not found", func(t *testing.T) {
		f := newSnapshotFake(t, nil, lists, nil)
		s, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), query)
		require.NoError(t, err)
		assert.False(t, s.Found)
		assert.Len(t, s.Platforms, 1)
		assert.Nil(t, s.Interfaces)
		assert.Len(t, f.requests(), 3, "device; platforms and devices of a similar name")
	})

	t.Run("errors are joined", func(t *testing.T) {
		f := newSnapshotFake(t, device, lists, map[string]int{interfacesPath: 500, clusterGroupsPath: 403})
		_, err := newTestClient(t, f.fakeNetBox).SnapshotFor(context.Background(), query)
		require.Error(t, err)
		assert.ErrorContains(t, err, "failed "+interfacesPath)
		assert.ErrorContains(t, err, "failed "+clusterGroupsPath)
		assert.True(t, IsKind(err, KindServer))
		assert.True(t, IsKind(err, KindAuth))
		assertErrNoToken(t, err)
	})
}

func TestMissingValues(t *testing.T) {
	ifaces := []record.Interface{
		{ID: 1, Name: "eth0", MACs: []record.Ref{{ID: 10, Name: "AA:BB:CC:00:00:01"}}},
		{ID: 2, Name: "eth1", MACs: []record.Ref{{ID: 11, Name: "AA:BB:CC:00:00:02"}, {ID: 12, Name: "AA:BB:CC:00:00:03"}}},
		{ID: 3, Name: "br0"},
	}
	macTests := []struct {
		name string
		macs map[string]string
		want []string
	}{
		{"none asked", nil, nil},
		{"each on its interface, any case", map[string]string{"eth0": "aa:bb:cc:00:00:01", "eth1": "AA:BB:CC:00:00:03"}, nil},
		{"on another interface of the device", map[string]string{"eth0": "aa:bb:cc:00:00:02"}, []string{"aa:bb:cc:00:00:02"}},
		{"interface without MACs", map[string]string{"br0": "aa:bb:cc:00:00:01"}, []string{"aa:bb:cc:00:00:01"}},
		{"new interface", map[string]string{"wlan0": "aa:bb:cc:00:00:09"}, []string{"aa:bb:cc:00:00:09"}},
		{"one MAC on two new interfaces, once", map[string]string{"bond0": "aa:bb:cc:00:00:09", "eth5": "aa:bb:cc:00:00:09"}, []string{"aa:bb:cc:00:00:09"}},
		{"empty MAC", map[string]string{"tun0": ""}, nil},
	}
	for _, tt := range macTests {
		t.Run("MACs: "+tt.name, func(t *testing.T) {
			got := missingMACs(tt.macs, ifaces)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}

	own := []record.IPAddress{{ID: 1, Address: "192.168.1.150/24"}, {ID: 2, Address: "2001:db8::5/64"}}
	addrTests := []struct {
		name  string
		addrs []string
		want  []string
	}{
		{"none asked", nil, nil},
		{"the device's, whatever the mask or spelling", []string{"192.168.1.150", "192.168.1.150/32", "2001:0db8::5"}, nil},
		{"new ones, once", []string{"10.0.0.5", "192.168.1.150", "10.0.0.5/8", "fe80::1%eth0"}, []string{"10.0.0.5", "fe80::1"}},
	}
	for _, tt := range addrTests {
		t.Run("addresses: "+tt.name, func(t *testing.T) {
			got := missingAddresses(tt.addrs, own)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestMACAssignment: a MAC object on a VM interface is neither a device
// interface's nor free.
func TestMACAssignment(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		iface      int64
		free       bool
	}{
		{"unassigned", `{"id": 1, "mac_address": "AA:BB:CC:DD:EE:01", "assigned_object_type": null, "assigned_object_id": null}`, 0, true},
		{"device interface", `{"id": 2, "mac_address": "AA:BB:CC:DD:EE:02", "assigned_object_type": "dcim.interface", "assigned_object_id": 7,
			"assigned_object": {"id": 7, "device": {"id": 3}}}`, 7, false},
		{"VM interface", `{"id": 3, "mac_address": "AA:BB:CC:DD:EE:03", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": 9,
			"assigned_object": {"id": 9, "virtual_machine": {"id": 4}}}`, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var w wireMACAddress
			require.NoError(t, json.Unmarshal([]byte(tt.body), &w))
			m := macAddressFrom(&w)
			assert.Equal(t, tt.iface, m.InterfaceID)
			assert.Equal(t, tt.free, m.Free())
		})
	}
}
