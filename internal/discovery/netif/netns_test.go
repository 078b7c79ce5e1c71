package netif

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// The integration tests build a network namespace with iproute2 and run
// this test binary inside it with `ip netns exec`, which also mounts a
// sysfs of that namespace on /sys: so the discovery under test reads the
// real /sys and /proc paths, as it does on a host. The binary then acts as
// a helper: it discovers and prints the result as JSON instead of testing.
const (
	helperEnv        = "CMDB_NETIF_HELPER"
	helperOptionsEnv = "CMDB_NETIF_HELPER_OPTIONS"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(runHelper())
	}
	os.Exit(m.Run())
}

func runHelper() int {
	var o Options
	if err := json.Unmarshal([]byte(os.Getenv(helperOptionsEnv)), &o); err != nil {
		fmt.Fprintln(os.Stderr, "helper options:", err)
		return 2
	}
	n, err := Discover(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "discover:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// netns is a network namespace that lives as long as the test.
type netns struct {
	t    *testing.T
	name string
}

// newNetns creates a namespace (root and iproute2 needed) and deletes it,
// with every interface in it, when the test ends.
func newNetns(t *testing.T) *netns {
	t.Helper()
	return &netns{t: t, name: testenv.NewNetns(t, "cmdb-netif")}
}

// ip runs one `ip -n <ns>` command line, failing the test if it fails.
func (ns *netns) ip(args string) {
	ns.t.Helper()
	testenv.IPIn(ns.t, ns.name, args)
}

// discover runs Discover inside the namespace.
func (ns *netns) discover(o Options) host.Network {
	ns.t.Helper()
	opts, err := json.Marshal(o)
	require.NoError(ns.t, err)
	cmd := exec.Command("ip", "netns", "exec", ns.name, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperOptionsEnv+"="+string(opts))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(ns.t, cmd.Run(), "helper: %s", stderr.String())
	var n host.Network
	require.NoError(ns.t, json.Unmarshal(stdout.Bytes(), &n), "helper output: %s", stdout.String())
	return n
}

// buildLab makes a small host inside ns:
//
//	eth0 (veth) 192.0.2.10/24 192.0.2.11/24 2001:db8:1::10/64, both default routes
//	  peer veth-br0, a port of br0 198.51.100.1/24
//	docker0 (bridge) 172.17.0.1/16, admin up, no ports
//	tun0 (tun), tap0 (tap), mv0 (macvlan on eth0, left down)
func buildLab(ns *netns) {
	for _, cmd := range []string{
		"link add eth0 type veth peer name veth-br0",
		"link set eth0 address 02:00:00:00:01:01 mtu 1400",
		"link add br0 type bridge",
		"link set br0 address 02:00:00:00:02:01",
		"link set veth-br0 master br0",
		"link add docker0 type bridge",
		"link set docker0 address 02:42:ac:11:00:01",
		"tuntap add mode tun name tun0",
		"tuntap add mode tap name tap0",
		"link set tap0 address 02:00:00:00:03:01",
		"link add mv0 link eth0 type macvlan mode bridge",
		"link set mv0 address 02:00:00:00:04:01",
		"link set lo up",
		"link set br0 up",
		"link set veth-br0 up",
		"link set eth0 up",
		"link set docker0 up",
		"addr add 192.0.2.10/24 dev eth0",
		"addr add 192.0.2.11/24 dev eth0",
		"addr add 2001:db8:1::10/64 dev eth0 nodad",
		"addr add 198.51.100.1/24 dev br0",
		"addr add 172.17.0.1/16 dev docker0",
		"route add default via 192.0.2.1 dev eth0",
		"-6 route add default via 2001:db8:1::1 dev eth0",
	} {
		ns.ip(cmd)
	}
}

func TestNetnsDiscover(t *testing.T) {
	ns := newNetns(t)
	buildLab(ns)
	n := ns.discover(Options{})

	var names []string
	for _, i := range n.Interfaces {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	assert.Equal(t, []string{"br0", "docker0", "eth0", "mv0", "tap0", "tun0"}, names, "no lo, no veth*")

	get := func(name string) host.Interface {
		i, ok := n.Interface(name)
		require.True(t, ok, name)
		return i
	}
	eth0 := get("eth0")
	assert.Equal(t, TypeVirtual, eth0.Type, "a veth is virtual whatever its name")
	assert.Equal(t, "kernel: no backing device", eth0.TypeReason)
	assert.Equal(t, "02:00:00:00:01:01", eth0.MAC)
	assert.Equal(t, 1400, eth0.MTU)
	assert.True(t, eth0.AdminUp)
	assert.Equal(t, "up", eth0.OperState)
	assert.Equal(t, prefixes("192.0.2.10/24", "192.0.2.11/24"), eth0.IPv4)
	assert.Equal(t, prefixes("2001:db8:1::10/64"), eth0.IPv6, "no link-local by default")
	assert.False(t, eth0.DockerManaged)

	br0 := get("br0")
	assert.Equal(t, TypeBridge, br0.Type)
	assert.Equal(t, "02:00:00:00:02:01", br0.MAC)
	assert.Equal(t, prefixes("198.51.100.1/24"), br0.IPv4)
	assert.False(t, br0.DockerManaged)

	docker0 := get("docker0")
	assert.Equal(t, TypeBridge, docker0.Type)
	assert.True(t, docker0.DockerManaged)
	assert.Equal(t, prefixes("172.17.0.1/16"), docker0.IPv4)

	tun0 := get("tun0")
	assert.Equal(t, TypeVirtual, tun0.Type)
	assert.Equal(t, "kernel: tun/tap", tun0.TypeReason)
	assert.Empty(t, tun0.MAC, "a tun device has no MAC")
	assert.False(t, tun0.AdminUp)

	tap0 := get("tap0")
	assert.Equal(t, TypeVirtual, tap0.Type)
	assert.Equal(t, "02:00:00:00:03:01", tap0.MAC)

	mv0 := get("mv0")
	assert.Equal(t, TypeVirtual, mv0.Type)
	assert.False(t, mv0.AdminUp)
	assert.Equal(t, "down", mv0.OperState)

	require.NotNil(t, n.DefaultIPv4)
	assert.Equal(t, "eth0", n.DefaultIPv4.Interface)
	assert.Equal(t, netip.MustParseAddr("192.0.2.1"), n.DefaultIPv4.Gateway)
	require.NotNil(t, n.DefaultIPv6)
	assert.Equal(t, "eth0", n.DefaultIPv6.Interface)
	assert.Equal(t, netip.MustParseAddr("2001:db8:1::1"), n.DefaultIPv6.Gateway)
	assert.Equal(t, netip.MustParsePrefix("192.0.2.10/24"), n.PrimaryIPv4)
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1::10/64"), n.PrimaryIPv6)
	assert.Empty(t, n.Notes)
}

func TestNetnsDiscoverOptions(t *testing.T) {
	ns := newNetns(t)
	buildLab(ns)

	n := ns.discover(Options{Exclude: []string{}, IncludeLinkLocal: true})
	port, ok := n.Interface("veth-br0")
	require.True(t, ok, "an empty exclude list keeps veths")
	assert.Equal(t, "br0", port.Master)
	eth0, _ := n.Interface("eth0")
	assert.True(t, slices.ContainsFunc(eth0.IPv6, func(p netip.Prefix) bool { return p.Addr().IsLinkLocalUnicast() }),
		"link-local kept on request: %v", eth0.IPv6)

	n = ns.discover(Options{Include: []string{"eth*", "br*"}, Exclude: []string{"br0"}})
	require.Len(t, n.Interfaces, 1)
	assert.Equal(t, "eth0", n.Interfaces[0].Name)

	n = ns.discover(Options{Exclude: []string{"eth0"}})
	assert.False(t, n.PrimaryIPv4.IsValid())
	assert.Contains(t, n.Notes, "primary ipv4: the default route is via eth0, which is not reported (excluded?)")
}

func TestNetnsNoDefaultRoute(t *testing.T) {
	ns := newNetns(t)
	ns.ip("link add eth0 type veth peer name veth1")
	n := ns.discover(Options{})
	assert.Nil(t, n.DefaultIPv4)
	assert.Nil(t, n.DefaultIPv6)
	assert.False(t, n.PrimaryIPv4.IsValid())
	require.Len(t, n.Interfaces, 1)
	assert.False(t, n.Interfaces[0].AdminUp)
	assert.Empty(t, n.Interfaces[0].IPv4)
}
