package bench

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// DifferSize is the size of a differ input.
type DifferSize struct {
	Interfaces, IPs, Containers int
}

// DefaultDifferSize is the size the differ's target is set for: 1000
// interfaces, 5000 IPs, 2000 containers.
var DefaultDifferSize = DifferSize{Interfaces: 1000, IPs: 5000, Containers: 2000}

func (s DifferSize) String() string {
	return fmt.Sprintf("%d interfaces / %d IPs / %d containers", s.Interfaces, s.IPs, s.Containers)
}

// DifferInput is a host and the snapshot NetBox gives for it, about 30% of
// every kind drifted as in the large host: new, gone and changed
// interfaces (MAC, type), IPs (new, moved, re-masked, gone) and containers
// (new, stopped, gone, resized). It is built in memory: Compute does no
// I/O.
func DifferInput(size DifferSize) (host.Host, record.Snapshot) {
	h := host.Host{Hostname: "huge", OS: host.OS{Platform: "Debian 12"}, Hardware: host.Hardware{Serial: "SN-HUGE"}}
	snap := record.Snapshot{
		Found: true,
		Device: record.Device{ID: hugeDeviceID, Name: "huge", Status: "active", Serial: "SN-HUGE",
			Platform: &record.Ref{ID: 1, Name: "Debian 11"}},
		Platforms:    []record.Platform{{ID: 1, Name: "Debian 11", Slug: "debian-11"}, {ID: 2, Name: "Debian 12", Slug: "debian-12"}},
		Roles:        []record.DeviceRole{{ID: 1, Name: "Container", Slug: "container", VMRole: true}, {ID: 2, Name: "Database", Slug: "database", VMRole: true}},
		ClusterType:  &record.ClusterType{ID: 1, Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug},
		ClusterGroup: &record.ClusterGroup{ID: 1, Name: "huge containers", Slug: record.HostClusterGroupSlug(hugeDeviceID)},
	}
	b := &differBuilder{h: &h, snap: &snap, last: 100}
	ifaceID := b.interfaces(size.Interfaces)
	b.ips(size.IPs, ifaceID)
	b.containers(size.Containers)
	return h, snap
}

// hugeDeviceID is the device id of DifferInput's snapshot.
const hugeDeviceID = 1

// differBuilder fills DifferInput's host and snapshot side by side, with
// record ids handed out in order.
type differBuilder struct {
	h    *host.Host
	snap *record.Snapshot
	last int64 // the last id handed out
}

func (b *differBuilder) id() int64 { b.last++; return b.last }

// interfaces adds n interfaces to the host; the snapshot lacks every
// tenth, has one in ten with another MAC and one in ten of another type,
// and n/10 more that are gone. It returns the snapshot's interface ids by
// host interface index (0 for a new one).
func (b *differBuilder) interfaces(n int) []int64 {
	h, snap := b.h, b.snap
	ifaceID := make([]int64, n)
	for i := range n {
		name := fmt.Sprintf("ens%d", i)
		mac := fmt.Sprintf("02:%02x:%02x:00:00:01", i>>8, i&0xff)
		h.Network.Interfaces = append(h.Network.Interfaces, host.Interface{Name: name, Type: "1000base-t", MAC: mac, MTU: 1500, AdminUp: true})
		switch i % 10 {
		case 0: // new
			continue
		}
		iface := record.Interface{ID: b.id(), DeviceID: hugeDeviceID, Name: name, Type: "1000base-t", Enabled: true}
		ifaceID[i] = iface.ID
		m := record.MACAddress{ID: b.id(), MAC: strings.ToUpper(mac), InterfaceID: iface.ID, DeviceID: hugeDeviceID}
		switch i % 10 {
		case 1: // MAC changed
			m.MAC = fmt.Sprintf("02:FF:%02X:%02X:00:01", i>>8, i&0xff)
		case 2: // type changed
			iface.Type = "100base-tx"
		}
		iface.PrimaryMAC = &record.Ref{ID: m.ID, Name: m.MAC}
		snap.Interfaces = append(snap.Interfaces, iface)
		snap.MACs = append(snap.MACs, m)
	}
	for i := range n / 10 { // gone
		iface := record.Interface{ID: b.id(), DeviceID: hugeDeviceID, Name: fmt.Sprintf("old%d", i), Type: "1000base-t", Enabled: true}
		snap.Interfaces = append(snap.Interfaces, iface)
	}
	return ifaceID
}

// ips spreads count addresses over the host's interfaces; the snapshot
// lacks one in ten, has one in ten moved and one in ten with another mask,
// and count/10 more that are gone.
func (b *differBuilder) ips(count int, ifaceID []int64) {
	h, snap := b.h, b.snap
	n := len(ifaceID)
	for j := range count {
		i := j % n
		a := netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)})
		p := netip.PrefixFrom(a, 16)
		h.Network.Interfaces[i].IPv4 = append(h.Network.Interfaces[i].IPv4, p)
		on := ifaceID[i]
		if on == 0 || j%10 == 3 { // on a new interface, or new
			continue
		}
		ip := record.IPAddress{ID: b.id(), Address: p.String(), Status: "active", AssignedObjectType: "dcim.interface", AssignedObjectID: on, DeviceID: hugeDeviceID}
		switch j % 10 {
		case 4: // moved
			if other := ifaceID[(i+2)%n]; other != 0 {
				ip.AssignedObjectID = other
			}
		case 5: // another mask
			ip.Address = netip.PrefixFrom(a, 24).String()
		}
		snap.IPs = append(snap.IPs, ip)
	}
	for k := range count / 10 { // gone
		on := ifaceID[(k*7+1)%n]
		if on == 0 {
			continue
		}
		snap.IPs = append(snap.IPs, record.IPAddress{ID: b.id(), Address: fmt.Sprintf("10.200.%d.%d/16", k>>8, k&0xff), Status: "active",
			AssignedObjectType: "dcim.interface", AssignedObjectID: on, DeviceID: hugeDeviceID})
	}
	if len(h.Network.Interfaces) > 1 && len(h.Network.Interfaces[1].IPv4) > 0 {
		h.Network.PrimaryIPv4 = h.Network.Interfaces[1].IPv4[0]
	}
}

// containers adds count containers in compose projects of ten; the
// snapshot has a cluster per project and lacks one VM in ten, has three
// in ten resized or with another image, and a gone container's VM in
// every project.
func (b *differBuilder) containers(count int) {
	h, snap := b.h, b.snap
	h.Containers.Available = true
	clusterID := map[string]int64{}
	for c := range count {
		project := fmt.Sprintf("proj%03d", c/10)
		ctr := host.Container{
			ID: fmt.Sprintf("%064x", c), Name: fmt.Sprintf("%s-svc%d-1", project, c%10), Image: fmt.Sprintf("example/svc%d:1.0", c%10),
			State: "running", Running: true, ComposeProject: project, VCPUs: 0.5, MemoryMB: 256, Role: containers.DefaultRole,
		}
		switch c % 10 {
		case 1: // stopped
			ctr.Running, ctr.State = false, "exited"
		}
		h.Containers.Containers = append(h.Containers.Containers, ctr)
		cl, ok := clusterID[project]
		if !ok {
			cl = b.id()
			clusterID[project] = cl
			snap.Clusters = append(snap.Clusters, record.Cluster{ID: cl, Name: project, Type: record.Ref{ID: 1, Name: record.ClusterTypeName},
				Group: &record.Ref{ID: 1, Name: snap.ClusterGroup.Name}, Status: "active"})
		}
		if c%10 == 0 { // new
			continue
		}
		vm := record.VirtualMachine{ID: b.id(), Name: ctr.Name, Status: "active", ClusterID: cl, Role: &record.Ref{ID: 1, Name: "Container"},
			VCPUs: 0.5, MemoryMB: 256, Description: ctr.Image}
		switch c % 10 {
		case 2:
			vm.VCPUs = 1
		case 3:
			vm.MemoryMB = 512
		case 4:
			vm.Description = "example/old:0.9"
		}
		snap.VMs = append(snap.VMs, vm)
		if c%10 == 5 { // a gone container's VM beside it
			snap.VMs = append(snap.VMs, record.VirtualMachine{ID: b.id(), Name: project + "-legacy-1", Status: "active", ClusterID: cl, Description: "example/legacy:0.9"})
		}
	}
}

// DifferResult is how long diff.Compute takes on one input.
type DifferResult struct {
	Size    DifferSize
	Changes int
	Runs    int
	// PerOp is the median over batches of the time per run; Fastest and
	// Slowest are the extreme batches. On a shared machine the median is
	// the fair figure: a batch that shares the CPU with another process
	// is slower for reasons that are not the differ's.
	PerOp, Fastest, Slowest time.Duration
	Batches                 int
	AllocsPerOp             uint64
	BytesPerOp              uint64
}

// measureDiffer runs Compute in batches of about minTime/5 (at least 3
// runs each, at least 5 batches) and reports the median time per run and
// the allocations per run, as go test -benchmem counts them.
func measureDiffer(size DifferSize, minTime time.Duration) DifferResult {
	h, snap := DifferInput(size)
	opts := diffOptions()
	plan := diff.Compute(h, snap, opts) // warm-up, and the change count
	res := DifferResult{Size: size, Changes: len(plan.Changes)}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var perRun []time.Duration
	for len(perRun) < 5 {
		start, n := time.Now(), 0
		for n < 3 || time.Since(start) < minTime/5 {
			diff.Compute(h, snap, opts)
			n++
		}
		perRun = append(perRun, time.Since(start)/time.Duration(n))
		res.Runs += n
	}
	runtime.ReadMemStats(&after)
	res.Batches = len(perRun)
	res.PerOp, res.Fastest, res.Slowest = median(perRun), slices.Min(perRun), slices.Max(perRun)
	res.AllocsPerOp = (after.Mallocs - before.Mallocs) / uint64(res.Runs)
	res.BytesPerOp = (after.TotalAlloc - before.TotalAlloc) / uint64(res.Runs)
	return res
}
