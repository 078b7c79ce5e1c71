package bench

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// The generators below wrote fixtures/*.json (go test ./internal/bench
// -run TestFixtures -update). The JSON is what the bench reads; the code
// says how the drift was chosen.

// vmRoles are the roles the default role rules give; both fixtures have
// them already, since the seed's tools cannot create roles.
var vmRoles = []string{"Container", "Database", "Reverse Proxy", "Web Application"}

// SeedExample is the seed workflow's example host (Ubuntu 22.04 -> 24.04,
// eth0's MAC and address changed, tailscale0 new, eth1 gone, the primary
// IP moved) plus one new container, media_lidarr, beside media_radarr,
// which is in sync.
func SeedExample() Fixture {
	lidarr := newContainer("media_lidarr", "lscr.io/linuxserver/lidarr:latest", "media", true, 0, 0)
	radarr := newContainer("media_radarr", "lscr.io/linuxserver/radarr:latest", "media", true, 0, 0)
	return Fixture{
		Name:        ScenarioSeedExample,
		Description: "The seed workflow's example host (docs/workflow.md) plus one new container.",
		Host: host.Host{
			Hostname: "homelab",
			OS:       host.OS{ID: "ubuntu", Name: "Ubuntu", Version: "24.04", Platform: "Ubuntu 24.04"},
			Network: host.Network{
				Interfaces: []host.Interface{
					{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", MTU: 1500, AdminUp: true, OperState: "up",
						IPv4: []netip.Prefix{netip.MustParsePrefix("192.168.1.150/24")}},
					{Name: "tailscale0", Type: "virtual", MTU: 1280, AdminUp: true, OperState: "unknown",
						IPv4: []netip.Prefix{netip.MustParsePrefix("100.101.102.103/32")}},
				},
				PrimaryIPv4: netip.MustParsePrefix("192.168.1.150/24"),
			},
			Containers: host.Containers{Available: true, Containers: []host.Container{lidarr, radarr}},
		},
		NetBox: State{
			Platforms: []string{"Ubuntu 22.04", "Ubuntu 24.04"},
			Device:    DeviceState{Name: "homelab", Status: "active", Platform: "Ubuntu 22.04"},
			VMRoles:   vmRoles,
			Interfaces: []IfaceState{
				{Name: "eth0", Type: "1000base-t", Enabled: true, MAC: "AA:BB:CC:00:00:00"},
				{Name: "eth1", Type: "1000base-t", Enabled: true},
			},
			IPs:          []IPState{{Address: "192.168.1.100/24", Interface: "eth0"}},
			PrimaryIP4:   "192.168.1.100/24",
			ClusterType:  true,
			ClusterGroup: true,
			Clusters:     []string{"media"},
			VMs:          []VMState{vmOf(radarr)},
		},
	}
}

// Sizes of the large host.
const (
	largeInterfaces = 40
	largeIPs        = 100
	largeProjects   = 29 // compose projects of 10 containers, plus 10 standalone: 300
)

var services = []struct{ name, image string }{
	{"frontend", "example/frontend:2.3"},
	{"api", "example/api:1.8"},
	{"db", "postgres:16"},
	{"cache", "redis:7"},
	{"proxy", "nginx:1.27"},
	{"worker", "example/worker:1.8"},
	{"scheduler", "example/scheduler:1.0"},
	{"metrics", "prom/prometheus:v2.53"},
	{"search", "elasticsearch:8.14"},
	{"queue", "rabbitmq:3.13"},
}

// LargeDockerHost is a Docker host with 40 interfaces, 100 IPv4 addresses
// and 300 containers (29 compose projects of 10, and 10 standalone), of
// which about 30% drifted since the last sync:
//
//   - interfaces (12 of 40): 4 new, 4 gone (to mark offline), 2 with a new
//     MAC, 2 of another type;
//   - IPs (30 of 100): 10 new, 5 moved to another interface, 5 with another
//     mask, 10 gone (to unassign), among them the primary, which moves;
//   - containers (90 of 300): 30 new (a whole new project among them, so a
//     cluster to create), 15 stopped and 15 removed (VMs to mark offline),
//     10 with another vCPU limit, 10 with another memory limit, 10 with
//     another image;
//   - the platform (Debian 11 -> Debian 12).
func LargeDockerHost() Fixture {
	const name = "docker01"
	f := Fixture{
		Name:        ScenarioLargeHost,
		Description: "40 interfaces, 100 IPs, 300 containers; about 30% of each drifted (new, removed, changed).",
		Host: host.Host{
			Hostname: name,
			OS:       host.OS{ID: "debian", Name: "Debian GNU/Linux", Version: "12", Platform: "Debian 12"},
			Hardware: host.Hardware{Serial: "SN-DOCKER01"},
		},
		NetBox: State{
			Platforms:    []string{"Debian 11", "Debian 12"},
			Device:       DeviceState{Name: name, Status: "active", Serial: "SN-DOCKER01", Platform: "Debian 11"},
			VMRoles:      vmRoles,
			ClusterType:  true,
			ClusterGroup: true,
		},
	}
	h, nb := &f.Host, &f.NetBox
	addLargeInterfaces(h, nb)
	addLargeIPs(h, nb)
	addLargeContainers(h, nb)
	return f
}

// addLargeInterfaces puts ens0..ens39 on the host; NetBox has ens0..ens35
// and eno0..eno3.
func addLargeInterfaces(h *host.Host, nb *State) {
	for i := range largeInterfaces {
		typ := "1000base-t"
		if i%8 == 7 {
			typ = "10gbase-t"
		}
		mac := fmt.Sprintf("02:42:ac:11:00:%02x", i)
		h.Network.Interfaces = append(h.Network.Interfaces, host.Interface{
			Name: fmt.Sprintf("ens%d", i), Type: typ, MAC: mac, MTU: 1500, AdminUp: true, OperState: "up"})
		if i >= 36 {
			continue // new
		}
		st := IfaceState{Name: fmt.Sprintf("ens%d", i), Type: typ, Enabled: true, MAC: strings.ToUpper(mac)}
		switch i {
		case 1, 2:
			st.MAC = fmt.Sprintf("02:42:AC:FF:00:%02X", i) // MAC changed
		case 3, 4:
			st.Type = "100base-tx" // type changed
		}
		nb.Interfaces = append(nb.Interfaces, st)
	}
	for i := range 4 {
		nb.Interfaces = append(nb.Interfaces, IfaceState{Name: fmt.Sprintf("eno%d", i), Type: "1000base-t", Enabled: true,
			MAC: fmt.Sprintf("02:42:AC:12:00:%02X", i)}) // gone
	}
}

// addLargeIPs puts address j on interface j%40, 10.20.<j%40>.<10+j/40>/24;
// NetBox has most of them and 10 that are gone, the primary among those.
func addLargeIPs(h *host.Host, nb *State) {
	for j := range largeIPs {
		i := j % largeInterfaces
		p := netip.MustParsePrefix(fmt.Sprintf("10.20.%d.%d/24", i, 10+j/largeInterfaces))
		h.Network.Interfaces[i].IPv4 = append(h.Network.Interfaces[i].IPv4, p)
		switch {
		case i >= 36 || j == 90 || j == 91: // new
		case j >= 40 && j < 45: // moved: NetBox has it on the next interface
			nb.IPs = append(nb.IPs, IPState{Address: p.String(), Interface: fmt.Sprintf("ens%d", (i+1)%36)})
		case j >= 45 && j < 50: // another mask
			nb.IPs = append(nb.IPs, IPState{Address: netip.PrefixFrom(p.Addr(), 16).String(), Interface: fmt.Sprintf("ens%d", i)})
		default:
			nb.IPs = append(nb.IPs, IPState{Address: p.String(), Interface: fmt.Sprintf("ens%d", i)})
		}
	}
	h.Network.PrimaryIPv4 = h.Network.Interfaces[0].IPv4[0]
	for k := range 10 { // gone: to unassign
		on := fmt.Sprintf("eno%d", k%4)
		if k >= 8 {
			on = fmt.Sprintf("ens%d", k-3)
		}
		nb.IPs = append(nb.IPs, IPState{Address: fmt.Sprintf("10.30.0.%d/24", k+1), Interface: on})
	}
	nb.PrimaryIP4 = "10.30.0.1/24" // on eno0, which is gone: the primary moves to ens0
}

// addLargeContainers puts compose projects of every service on the host
// (the last project new, so its cluster is to create) and 10 standalone
// tools; NetBox has their VMs as a sync left them, then drifted.
func addLargeContainers(h *host.Host, nb *State) {
	h.Containers.Available = true
	for p := range largeProjects {
		project := fmt.Sprintf("proj%02d", p)
		if p < largeProjects-1 {
			nb.Clusters = append(nb.Clusters, project)
		}
		for s, svc := range services {
			vcpus := 0.5 * float64(s%3)
			mem := int64(128 * (s % 4))
			c := newContainer(fmt.Sprintf("%s-%s-1", project, svc.name), svc.image, project, true, vcpus, mem)
			if s == 5 && p < 15 { // stopped
				c.Running, c.State = false, "exited"
			}
			h.Containers.Containers = append(h.Containers.Containers, c)
			if p == largeProjects-1 || (s == 9 && p < 20) {
				continue // new
			}
			vm := vmOf(c)
			vm.Status = "active"
			switch {
			case s == 1 && p >= 15 && p < 25:
				vm.VCPUs = 1
			case s == 2 && p < 10:
				vm.MemoryMB = 512
			case s == 4 && p >= 10 && p < 20:
				vm.Description = "nginx:1.25"
			}
			nb.VMs = append(nb.VMs, vm)
		}
		if p < 15 { // removed: the VM stays, the container is gone
			nb.VMs = append(nb.VMs, VMState{Name: project + "-legacy-1", Cluster: project, Status: "active",
				Role: containers.DefaultRole, Description: "example/legacy:0.9"})
		}
	}
	nb.Clusters = append(nb.Clusters, "standalone containers")
	for t := range 10 {
		c := newContainer(fmt.Sprintf("tool%d", t), "busybox:1.36", "", true, 0.25, 64)
		h.Containers.Containers = append(h.Containers.Containers, c)
		nb.VMs = append(nb.VMs, vmOf(c))
	}
}

func newContainer(name, image, project string, running bool, vcpus float64, memMB int64) host.Container {
	state := "running"
	if !running {
		state = "exited"
	}
	c := host.Container{
		ID:   fmt.Sprintf("%064x", hash(name)),
		Name: name, Image: image, State: state, Running: running,
		ComposeProject: project, VCPUs: vcpus, MemoryMB: memMB,
	}
	if project != "" {
		c.ComposeService = strings.TrimSuffix(strings.TrimPrefix(name, project+"-"), "-1")
		c.ComposeService = strings.TrimPrefix(c.ComposeService, project+"_")
	}
	c.Role = containers.RoleOf(c.Name, c.Image, containers.DefaultRoleRules())
	return c
}

// vmOf is the VM a sync made for c.
func vmOf(c host.Container) VMState {
	cluster := c.ComposeProject
	if cluster == "" {
		cluster = "standalone containers"
	}
	status := "active"
	if !c.Running {
		status = "offline"
	}
	return VMState{Name: c.Name, Cluster: cluster, Status: status, Role: c.Role, VCPUs: c.VCPUs, MemoryMB: c.MemoryMB, Description: c.Image}
}

// hash is FNV-1a, for stable fake container ids.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
