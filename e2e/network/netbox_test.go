// Package network_test checks the network sync end to end: the real
// cmdb-mcp binary, run inside a network namespace the test builds, syncs
// its interfaces, MAC objects, IPs and primary IPs to the NetBox simulator
// (every body checked against NetBox 4.3's OpenAPI document); and, through
// the engine with fixed discoveries, the ordering around the primary IP
// guard and the request count of large hosts.
package network_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// skipContainers keeps the engine of these tests to the network: the hosts
// they sync have no containers to compare.
var skipContainers = engine.WithDiffOptions(diff.Options{SkipContainers: true})

// nb is a simulator for one test, with the fixture a device needs.
type nb struct {
	*simtest.Server
	t  *testing.T
	fx simtest.Fixture
}

func startNetBox(t *testing.T) *nb {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{})
	return &nb{Server: srv, t: t, fx: srv.Seed(t)}
}

func (n *nb) client() *netbox.Client {
	n.t.Helper()
	c, err := netbox.New(netbox.Config{URL: n.URL, Token: n.Token})
	require.NoError(n.t, err)
	return c
}

// write sends one write through the REST API, wants the status and
// returns the object's id.
func (n *nb) write(method, path string, body any, want int) int64 {
	n.t.Helper()
	status, data := n.Do(n.t, method, path, body)
	require.Equal(n.t, want, status, "%s %s: %s", method, path, data)
	var obj struct {
		ID int64 `json:"id"`
	}
	require.NoError(n.t, json.Unmarshal(data, &obj))
	return obj.ID
}

func (n *nb) post(route string, body any) int64 {
	n.t.Helper()
	return n.write(http.MethodPost, "/api/"+route+"/", body, http.StatusCreated)
}

func (n *nb) patch(route string, id int64, body any) {
	n.t.Helper()
	n.write(http.MethodPatch, simtest.Path(route, id), body, http.StatusOK)
}

func (n *nb) get(route string, id int64, out any) {
	n.t.Helper()
	status, data := n.Do(n.t, http.MethodGet, simtest.Path(route, id), nil)
	require.Equal(n.t, http.StatusOK, status, "GET %s %d: %s", route, id, data)
	require.NoError(n.t, json.Unmarshal(data, out))
}

func (n *nb) list(route string, q url.Values, out any) {
	n.t.Helper()
	n.List(n.t, route, q, out)
}

func (n *nb) device(name string) int64 {
	n.t.Helper()
	return n.Device(n.t, n.fx, name)
}

// iface records an interface; with mac, a MAC object on it made primary.
// It returns the interface's id and the MAC object's.
func (n *nb) iface(device int64, name, typ, mac string) (int64, int64) {
	n.t.Helper()
	id := n.post("dcim/interfaces", map[string]any{"device": device, "name": name, "type": typ, "enabled": true})
	if mac == "" {
		return id, 0
	}
	macID := n.mac(mac, id)
	n.patch("dcim/interfaces", id, map[string]any{"primary_mac_address": macID})
	return id, macID
}

// mac records a MAC object on the interface, or unassigned for 0.
func (n *nb) mac(mac string, iface int64) int64 {
	n.t.Helper()
	body := map[string]any{"mac_address": mac}
	if iface != 0 {
		body["assigned_object_type"], body["assigned_object_id"] = "dcim.interface", iface
	}
	return n.post("dcim/mac-addresses", body)
}

// ip records an IP on the interface, or unassigned for 0.
func (n *nb) ip(address string, iface int64) int64 {
	n.t.Helper()
	body := map[string]any{"address": address, "status": "active"}
	if iface != 0 {
		body["assigned_object_type"], body["assigned_object_id"] = "dcim.interface", iface
	}
	return n.post("ipam/ip-addresses", body)
}

// ref is a nested object as NetBox renders it.
type ref struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	MAC     string `json:"mac_address"`
}

type deviceRow struct {
	ID         int64 `json:"id"`
	PrimaryIP4 *ref  `json:"primary_ip4"`
	PrimaryIP6 *ref  `json:"primary_ip6"`
}

type ifaceRow struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type struct {
		Value string `json:"value"`
	} `json:"type"`
	Enabled     bool   `json:"enabled"`
	Description string `json:"description"`
	MTU         *int   `json:"mtu"`
	MACAddress  string `json:"mac_address"`
	PrimaryMAC  *ref   `json:"primary_mac_address"`
}

type macRow struct {
	ID                 int64  `json:"id"`
	MAC                string `json:"mac_address"`
	AssignedObjectType string `json:"assigned_object_type"`
	AssignedObjectID   *int64 `json:"assigned_object_id"`
	AssignedObject     *ref   `json:"assigned_object"`
}

type ipRow struct {
	ID                 int64  `json:"id"`
	Address            string `json:"address"`
	AssignedObjectType string `json:"assigned_object_type"`
	AssignedObjectID   *int64 `json:"assigned_object_id"`
	AssignedObject     *ref   `json:"assigned_object"`
}

// on is the name of the interface the IP or MAC is on, "" when unassigned.
func (r ipRow) on() string {
	if r.AssignedObject == nil {
		return ""
	}
	return r.AssignedObject.Name
}

func (r macRow) on() string {
	if r.AssignedObject == nil {
		return ""
	}
	return r.AssignedObject.Name
}

func primaryAddr(r *ref) string {
	if r == nil {
		return ""
	}
	return r.Address
}

// interfaces reads the device's interfaces by name.
func (n *nb) interfaces(device int64) map[string]ifaceRow {
	var rows []ifaceRow
	n.list("dcim/interfaces", url.Values{"device_id": {fmt.Sprint(device)}}, &rows)
	out := map[string]ifaceRow{}
	for _, r := range rows {
		out[r.Name] = r
	}
	return out
}

// ips reads IPs by address: every IP of the simulator, assigned or not.
func (n *nb) ips() map[string]ipRow {
	var rows []ipRow
	n.list("ipam/ip-addresses", nil, &rows)
	out := map[string]ipRow{}
	for _, r := range rows {
		out[r.Address] = r
	}
	return out
}

// macs reads every MAC object, by lower-case value and interface.
func (n *nb) macs() []macRow {
	var rows []macRow
	n.list("dcim/mac-addresses", nil, &rows)
	return rows
}

// hostIface is an interface of a fixed host.
func hostIface(name, mac string, addrs ...string) host.Interface {
	i := host.Interface{Name: name, Type: "1000base-t", MAC: mac, MTU: 1500, AdminUp: true, OperState: "up"}
	for _, a := range addrs {
		p := netip.MustParsePrefix(a)
		if p.Addr().Is4() {
			i.IPv4 = append(i.IPv4, p)
		} else {
			i.IPv6 = append(i.IPv6, p)
		}
	}
	return i
}

func fixedHost(name string, primary4, primary6 string, ifaces ...host.Interface) host.Host {
	h := host.Host{
		Hostname: name,
		OS:       host.OS{Platform: "Debian 12"},
		Hardware: host.Hardware{Serial: "SN-" + name},
		Network:  host.Network{Interfaces: ifaces},
	}
	if primary4 != "" {
		h.Network.PrimaryIPv4 = netip.MustParsePrefix(primary4)
	}
	if primary6 != "" {
		h.Network.PrimaryIPv6 = netip.MustParsePrefix(primary6)
	}
	return h
}

// lower is strings.ToLower for MACs NetBox returns upper-case.
func lower(s string) string { return strings.ToLower(s) }

func (n *nb) deviceID(name string) int64 {
	n.t.Helper()
	var devs []struct {
		ID int64 `json:"id"`
	}
	n.list("dcim/devices", url.Values{"name": {name}}, &devs)
	require.Len(n.t, devs, 1)
	return devs[0].ID
}
