package network_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/enginetest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// largeHost has nIf interfaces and nIP addresses spread over them, IPv4 and
// IPv6 in turn; the first IPv4 (on eth0) and the first IPv6 (on eth1) are
// the primaries. generation changes every MAC.
func largeHost(nIf, nIP, generation int) host.Host {
	ifaces := make([]host.Interface, nIf)
	for i := range ifaces {
		ifaces[i] = hostIface(fmt.Sprintf("eth%d", i), fmt.Sprintf("02:%02x:00:00:%02x:%02x", generation+1, i/256, i%256))
	}
	var p4, p6 string
	for j := range nIP {
		var addr string
		if j%2 == 0 {
			addr = fmt.Sprintf("10.%d.%d.%d/16", j/65536, j/256%256, j%256+1)
			if p4 == "" {
				p4 = addr
			}
		} else {
			addr = fmt.Sprintf("2001:db8::%x/64", j+1)
			if p6 == "" {
				p6 = addr
			}
		}
		i := &ifaces[j%nIf]
		*i = hostIface(i.Name, i.MAC, append(addrs(*i), addr)...)
	}
	return fixedHost("large-host", p4, p6, ifaces...)
}

func addrs(i host.Interface) []string {
	var out []string
	for _, p := range append(append(i.IPv4[:0:0], i.IPv4...), i.IPv6...) {
		out = append(out, p.String())
	}
	return out
}

// changed is the host after a day of changes: every MAC changed, the last
// interface gone with its IPs, the IPv6 primary gone, a new interface whose
// new IPv6 address is the primary now, the IPv4 primary moved to eth1, and
// eth1's type changed.
func changed(nIf, nIP int) host.Host {
	h := largeHost(nIf, nIP, 1)
	ifs := h.Network.Interfaces[:nIf-1]
	p4, p6 := h.Network.PrimaryIPv4.String(), h.Network.PrimaryIPv6.String()
	for k := range ifs {
		var keep []string
		for _, a := range addrs(ifs[k]) {
			if a != p4 && a != p6 {
				keep = append(keep, a)
			}
		}
		if ifs[k].Name == "eth1" {
			keep = append(keep, p4)
		}
		ifs[k] = hostIface(ifs[k].Name, ifs[k].MAC, keep...)
	}
	ifs[1].Type = "10gbase-t"
	newP6 := "2001:db8:ffff::1/64"
	ifs = append(ifs, hostIface("bond0", "02:ff:00:00:00:01", newP6))
	return fixedHost("large-host", p4, newP6, ifs...)
}

// requestsOfSyncs counts the simulator's requests of: a first sync into a
// device with no interfaces, a sync after changed(), and a diff in sync.
func requestsOfSyncs(t *testing.T, nIf, nIP int) [3]int {
	n := startNetBox(t)
	n.device("large-host")
	h := largeHost(nIf, nIP, 0)
	s := enginetest.New(t, n.client(), &h, skipContainers)
	var counts [3]int
	measure := func(i int, what string, f func()) {
		n.Sim.ResetRequests()
		start := time.Now()
		f()
		counts[i] = len(n.Sim.Requests())
		t.Logf("%d interfaces, %d IPs, %s: %d requests in %v", nIf, nIP, what, counts[i], time.Since(start).Round(time.Millisecond))
		assert.Empty(t, n.Refused(0), "%s: NetBox refused requests", what)
	}
	measure(0, "first sync (creates)", func() { s.Sync() })
	h = changed(nIf, nIP)
	measure(1, "second sync (MACs, type, move, unassign, offline, primaries)", func() { s.Sync() })
	measure(2, "diff in sync", func() { s.InSync() })
	want := 3 // device, interfaces (with their MACs), IPs; no lookup by value
	if n.AtLeast(6) {
		want++ // the device's own record, for its ETag (netbox/version.go)
	}
	assert.Equal(t, want, counts[2], "an in-sync diff without containers")

	ifs := n.interfaces(n.deviceID("large-host"))
	require.Len(t, ifs, nIf+1)
	assert.False(t, ifs[fmt.Sprintf("eth%d", nIf-1)].Enabled)
	n.NoDeletes(t)
	return counts
}

// TestRequestsDoNotGrowWithInterfaces checks that a full
// sync of a host with 40 interfaces and 100 IPs makes as many NetBox
// requests as one of a host with 3 interfaces and 3 IPs.
func TestRequestsDoNotGrowWithInterfaces(t *testing.T) {
	few := requestsOfSyncs(t, 3, 3)
	many := requestsOfSyncs(t, 40, 100)
	assert.Equal(t, few, many, "requests of [first sync, second sync, in-sync diff] for 3/3 and 40/100")
}
