package bench

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// A Fixture is one scenario: the host as discovery reports it, and what
// NetBox holds before the sync. Both are plain data (fixtures/*.json), so a
// scenario runs without root, network namespaces or Docker.
type Fixture struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Host        host.Host `json:"host"`
	NetBox      State     `json:"netbox"`
}

// State is what NetBox holds before a sync, as a previous sync left it
// plus the drift the scenario describes. Names stand for ids, which the
// simulator hands out when Build creates the objects.
type State struct {
	// Platforms exist before the device is created.
	Platforms []string    `json:"platforms"`
	Device    DeviceState `json:"device"`
	// VMRoles are device roles with vm_role set.
	VMRoles    []string     `json:"vm_roles,omitempty"`
	Interfaces []IfaceState `json:"interfaces"`
	IPs        []IPState    `json:"ip_addresses"`
	// PrimaryIP4 is the address (with mask) of one of IPs.
	PrimaryIP4 string `json:"primary_ip4,omitempty"`
	// ClusterType and ClusterGroup say whether the Docker Compose cluster
	// type and this host's cluster group exist; Clusters are in the group.
	ClusterType  bool      `json:"cluster_type"`
	ClusterGroup bool      `json:"cluster_group"`
	Clusters     []string  `json:"clusters,omitempty"`
	VMs          []VMState `json:"vms,omitempty"`
}

// DeviceState is the host's device record.
type DeviceState struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Serial   string `json:"serial,omitempty"`
	Platform string `json:"platform,omitempty"`
}

// IfaceState is an interface of the device; MAC, when set, is a MAC object
// on it that is its primary MAC.
type IfaceState struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Enabled     bool   `json:"enabled"`
	Description string `json:"description,omitempty"`
	MAC         string `json:"mac,omitempty"`
}

// IPState is an IP address on one of the device's interfaces.
type IPState struct {
	Address   string `json:"address"`
	Interface string `json:"interface"`
}

// VMState is a VM in one of Clusters.
type VMState struct {
	Name        string  `json:"name"`
	Cluster     string  `json:"cluster"`
	Status      string  `json:"status"`
	Role        string  `json:"role,omitempty"`
	VCPUs       float64 `json:"vcpus,omitempty"`
	MemoryMB    int64   `json:"memory_mb,omitempty"`
	Description string  `json:"description,omitempty"`
}

//go:embed fixtures/*.json
var fixtureFiles embed.FS

// Scenario names, in the order the bench runs them.
const (
	ScenarioSeedExample = "seed-example"
	ScenarioLargeHost   = "large-docker-host"
)

// Scenarios lists the fixtures the bench runs.
var Scenarios = []string{ScenarioSeedExample, ScenarioLargeHost}

// LoadFixture reads fixtures/<name>.json.
func LoadFixture(name string) (Fixture, error) {
	data, err := fixtureFiles.ReadFile("fixtures/" + name + ".json")
	if err != nil {
		return Fixture{}, fmt.Errorf("fixture %q: %w", name, err)
	}
	var f Fixture
	if err := json.Unmarshal(data, &f); err != nil {
		return Fixture{}, fmt.Errorf("fixture %q: %w", name, err)
	}
	return f, nil
}

// Build creates the fixture's NetBox state through the REST API, the way
// any client would, with bulk requests so that building even the large host
// costs a few requests: the typed writes through nb, what the client has
// no method for (sites, device types, the device) through admin. It
// returns the device id.
func (s State) Build(ctx context.Context, nb *netbox.Client, admin netboxsim.Admin) (int64, error) {
	devID, err := s.buildDevice(ctx, nb, admin)
	if err != nil {
		return 0, err
	}
	ifaceID, err := s.buildInterfaces(ctx, nb, devID)
	if err != nil {
		return 0, err
	}
	if err := s.buildMACs(ctx, nb, ifaceID); err != nil {
		return 0, err
	}
	if err := s.buildIPs(ctx, nb, devID, ifaceID); err != nil {
		return 0, err
	}
	roleID, err := s.buildVMRoles(ctx, nb)
	if err != nil {
		return 0, err
	}
	clusterID, err := s.buildClusters(ctx, nb, devID)
	if err != nil {
		return 0, err
	}
	if err := s.buildVMs(ctx, nb, roleID, clusterID); err != nil {
		return 0, err
	}
	return devID, nil
}

// postID creates one object and returns its id.
func postID(ctx context.Context, nb netboxsim.Admin, path string, body any) (int64, error) {
	var obj struct {
		ID int64 `json:"id"`
	}
	err := nb.Do(ctx, http.MethodPost, path, nil, body, &obj)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	return obj.ID, nil
}

// buildDevice creates the device with what it needs first: a site, a
// device type with its manufacturer, a role, and the platforms.
func (s State) buildDevice(ctx context.Context, nb *netbox.Client, admin netboxsim.Admin) (int64, error) {
	site, err := postID(ctx, admin, "/api/dcim/sites/", map[string]any{"name": "Bench Lab", "slug": "bench-lab", "status": "active"})
	if err != nil {
		return 0, err
	}
	mfr, err := postID(ctx, admin, "/api/dcim/manufacturers/", map[string]any{"name": "Generic", "slug": "generic"})
	if err != nil {
		return 0, err
	}
	devType, err := postID(ctx, admin, "/api/dcim/device-types/", map[string]any{"manufacturer": mfr, "model": "Server", "slug": "server"})
	if err != nil {
		return 0, err
	}
	role, err := postID(ctx, admin, "/api/dcim/device-roles/", map[string]any{"name": "Server", "slug": "server", "color": "2196f3"})
	if err != nil {
		return 0, err
	}
	platforms := map[string]int64{}
	for _, p := range s.Platforms {
		got, err := nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: p, Slug: diff.Slugify(p)}, netbox.WriteOptions{})
		if err != nil {
			return 0, fmt.Errorf("platform %s: %w", p, err)
		}
		platforms[p] = got.ID
	}
	dev := map[string]any{"name": s.Device.Name, "site": site, "device_type": devType, "role": role, "status": s.Device.Status}
	if s.Device.Serial != "" {
		dev["serial"] = s.Device.Serial
	}
	if s.Device.Platform != "" {
		id, ok := platforms[s.Device.Platform]
		if !ok {
			return 0, fmt.Errorf("device platform %q is not among the fixture's platforms", s.Device.Platform)
		}
		dev["platform"] = id
	}
	return postID(ctx, admin, "/api/dcim/devices/", dev)
}

// buildInterfaces creates the device's interfaces and returns their ids
// by name.
func (s State) buildInterfaces(ctx context.Context, nb *netbox.Client, devID int64) (map[string]int64, error) {
	ifaceID := map[string]int64{}
	if len(s.Interfaces) == 0 {
		return ifaceID, nil
	}
	in := make([]netbox.InterfaceCreate, len(s.Interfaces))
	for i, f := range s.Interfaces {
		in[i] = netbox.InterfaceCreate{Device: devID, Name: f.Name, Type: f.Type, Enabled: ptr(f.Enabled), Description: f.Description}
	}
	got, err := nb.CreateInterfaces(ctx, in, netbox.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("interfaces: %w", err)
	}
	for _, i := range got {
		ifaceID[i.Name] = i.ID
	}
	return ifaceID, nil
}

// buildMACs creates the interfaces' MAC objects and makes each its
// interface's primary MAC.
func (s State) buildMACs(ctx context.Context, nb *netbox.Client, ifaceID map[string]int64) error {
	var macs []netbox.MACAddressCreate
	for _, f := range s.Interfaces {
		if f.MAC != "" {
			macs = append(macs, netbox.MACAddressCreate{MAC: f.MAC, InterfaceID: ifaceID[f.Name]})
		}
	}
	if len(macs) == 0 {
		return nil
	}
	got, err := nb.CreateMACAddresses(ctx, macs, netbox.WriteOptions{})
	if err != nil {
		return fmt.Errorf("MAC addresses: %w", err)
	}
	primary := make([]netbox.InterfaceUpdate, len(got))
	for i, m := range got {
		primary[i] = netbox.InterfaceUpdate{ID: macs[i].InterfaceID, PrimaryMAC: ptr(m.ID)}
	}
	if _, err := nb.UpdateInterfaces(ctx, primary, netbox.WriteOptions{}); err != nil {
		return fmt.Errorf("primary MACs: %w", err)
	}
	return nil
}

// buildIPs creates the IP addresses on their interfaces and sets the
// device's primary IPv4.
func (s State) buildIPs(ctx context.Context, nb *netbox.Client, devID int64, ifaceID map[string]int64) error {
	ipID := map[string]int64{}
	if len(s.IPs) > 0 {
		in := make([]netbox.IPAddressCreate, len(s.IPs))
		for i, ip := range s.IPs {
			id, ok := ifaceID[ip.Interface]
			if !ok {
				return fmt.Errorf("IP %s: no interface %q in the fixture", ip.Address, ip.Interface)
			}
			in[i] = netbox.IPAddressCreate{Address: ip.Address, Status: "active", InterfaceID: id}
		}
		got, err := nb.CreateIPAddresses(ctx, in, netbox.WriteOptions{})
		if err != nil {
			return fmt.Errorf("IP addresses: %w", err)
		}
		for _, ip := range got {
			ipID[ip.Address] = ip.ID
		}
	}
	if s.PrimaryIP4 == "" {
		return nil
	}
	id, ok := ipID[s.PrimaryIP4]
	if !ok {
		return fmt.Errorf("primary IPv4 %s is not among the fixture's IPs", s.PrimaryIP4)
	}
	if _, err := nb.UpdateDevice(ctx, devID, netbox.DeviceUpdate{PrimaryIP4: &id}, netbox.WriteOptions{}); err != nil {
		return fmt.Errorf("primary IPv4: %w", err)
	}
	return nil
}

// buildClusters creates the cluster type, the host's cluster group and
// the clusters in it, and returns the clusters' ids by name.
func (s State) buildClusters(ctx context.Context, nb *netbox.Client, devID int64) (map[string]int64, error) {
	var typeID, groupID int64
	if s.ClusterType {
		t, err := nb.CreateClusterType(ctx, netbox.ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, netbox.WriteOptions{})
		if err != nil {
			return nil, fmt.Errorf("cluster type: %w", err)
		}
		typeID = t.ID
	}
	if s.ClusterGroup {
		g, err := nb.CreateClusterGroup(ctx, netbox.ClusterGroupCreate{
			Name: record.HostClusterGroupName(s.Device.Name, devID), Slug: record.HostClusterGroupSlug(devID)}, netbox.WriteOptions{})
		if err != nil {
			return nil, fmt.Errorf("cluster group: %w", err)
		}
		groupID = g.ID
	}
	clusterID := map[string]int64{}
	if len(s.Clusters) == 0 {
		return clusterID, nil
	}
	if typeID == 0 || groupID == 0 {
		return nil, fmt.Errorf("clusters need cluster_type and cluster_group")
	}
	in := make([]netbox.ClusterCreate, len(s.Clusters))
	for i, c := range s.Clusters {
		in[i] = netbox.ClusterCreate{Name: c, Type: typeID, Group: groupID, Status: "active"}
	}
	got, err := nb.CreateClusters(ctx, in, netbox.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	for _, c := range got {
		clusterID[c.Name] = c.ID
	}
	return clusterID, nil
}

// buildVMRoles creates the device roles VMs may have and returns their
// ids by name.
func (s State) buildVMRoles(ctx context.Context, nb *netbox.Client) (map[string]int64, error) {
	roleID := map[string]int64{}
	if len(s.VMRoles) == 0 {
		return roleID, nil
	}
	in := make([]netbox.DeviceRoleCreate, len(s.VMRoles))
	for i, r := range s.VMRoles {
		in[i] = netbox.DeviceRoleCreate{Name: r, Slug: diff.Slugify(r), Color: "607d8b", VMRole: true}
	}
	got, err := nb.CreateDeviceRoles(ctx, in, netbox.WriteOptions{})
	if err != nil {
		return nil, fmt.Errorf("VM roles: %w", err)
	}
	for _, r := range got {
		roleID[r.Name] = r.ID
	}
	return roleID, nil
}

// buildVMs creates the VMs in their clusters, with their roles.
func (s State) buildVMs(ctx context.Context, nb *netbox.Client, roleID, clusterID map[string]int64) error {
	if len(s.VMs) == 0 {
		return nil
	}
	in := make([]netbox.VirtualMachineCreate, len(s.VMs))
	for i, v := range s.VMs {
		cl, ok := clusterID[v.Cluster]
		if !ok {
			return fmt.Errorf("VM %s: no cluster %q in the fixture", v.Name, v.Cluster)
		}
		vm := netbox.VirtualMachineCreate{Name: v.Name, Cluster: cl, Status: v.Status, Role: roleID[v.Role], Description: v.Description}
		if v.VCPUs > 0 {
			vm.VCPUs = ptr(v.VCPUs)
		}
		if v.MemoryMB > 0 {
			vm.MemoryMB = ptr(v.MemoryMB)
		}
		in[i] = vm
	}
	if _, err := nb.CreateVirtualMachines(ctx, in, netbox.WriteOptions{}); err != nil {
		return fmt.Errorf("VMs: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
