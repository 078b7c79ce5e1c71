package netif

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func mac(s string) net.HardwareAddr {
	hw, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return hw
}

// fakeHost is a host with a wired NIC holding the default routes, a Wi-Fi
// card, Docker's bridges with one veth, a Tailscale tun and loopback.
func fakeHost(t *testing.T) (Options, []link) {
	t.Helper()
	sys := makeSys(t, map[string]sysIf{
		"lo":              {files: map[string]string{"type": "772\n", "operstate": "unknown\n"}},
		"enp3s0":          physical("1000"),
		"wlp2s0":          {dirs: []string{"wireless"}, links: map[string]string{"device": "../../../0000:02:00.0"}, files: map[string]string{"type": "1\n", "operstate": "dormant\n"}},
		"docker0":         {dirs: []string{"bridge"}, files: map[string]string{"type": "1\n", "operstate": "down\n"}},
		"br-0123456789ab": {dirs: []string{"bridge"}, files: map[string]string{"type": "1\n", "operstate": "up\n"}},
		"veth9f8e7d6":     {files: map[string]string{"type": "1\n"}, links: map[string]string{"master": "../br-0123456789ab"}},
		"tailscale0":      {files: map[string]string{"tun_flags": "0x1002\n", "type": "65534\n", "operstate": "unknown\n"}},
	})
	proc := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(proc, "net"), 0o755))
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(proc, "net", name), []byte(content), 0o644))
	}
	write("route", formatRouteTable([]host.Route{
		{Interface: "enp3s0", Destination: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.1"), Flags: host.RouteUp | host.RouteGateway, Metric: 100},
		{Interface: "wlp2s0", Destination: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("198.51.100.1"), Flags: host.RouteUp | host.RouteGateway, Metric: 600},
		{Interface: "enp3s0", Destination: netip.MustParsePrefix("192.0.2.0/24"), Flags: host.RouteUp, Metric: 100},
	}))
	write("ipv6_route", formatIPv6RouteTable([]host.Route{
		{Interface: "enp3s0", Destination: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fe80::1"), Flags: host.RouteUp | host.RouteGateway, Metric: 1024},
		{Interface: "lo", Destination: netip.MustParsePrefix("::/0"), Flags: host.RouteReject | 0x200000, Metric: 0xffffffff},
	}))
	write("if_inet6", ""+
		"20010db8000100000000000000000010 02 40 00 80   enp3s0\n"+
		"20010db800010000a1b2c3d4e5f60718 02 40 00 01   enp3s0\n"+ // temporary
		"20010db8000100000000000000000bad 02 40 00 88   enp3s0\n"+ // DAD failed
		"fe800000000000000000000000000010 02 40 20 80   enp3s0\n")

	links := []link{
		{name: "lo", index: 1, mtu: 65536, flags: net.FlagUp | net.FlagLoopback, mac: nil, addrs: prefixes("127.0.0.1/8", "::1/128")},
		{name: "enp3s0", index: 2, mtu: 1500, flags: net.FlagUp | net.FlagRunning, mac: mac("A8:A1:59:00:00:01"), addrs: prefixes(
			"192.0.2.10/24", "192.0.2.11/24",
			"2001:db8:1:0:a1b2:c3d4:e5f6:718/64", "2001:db8:1::10/64", "2001:db8:1::bad/64", "fe80::10/64")},
		{name: "wlp2s0", index: 3, mtu: 1500, flags: net.FlagUp, mac: mac("3c:22:fb:00:00:02"), addrs: prefixes("198.51.100.20/24")},
		{name: "docker0", index: 4, mtu: 1500, flags: net.FlagUp, mac: mac("02:42:ac:11:00:01"), addrs: prefixes("172.17.0.1/16")},
		{name: "br-0123456789ab", index: 5, mtu: 1500, flags: net.FlagUp | net.FlagRunning, mac: mac("02:42:ac:12:00:01"), addrs: prefixes("172.18.0.1/16")},
		{name: "veth9f8e7d6", index: 6, mtu: 1500, flags: net.FlagUp | net.FlagRunning, mac: mac("6a:00:00:00:00:06")},
		{name: "tailscale0", index: 7, mtu: 1280, flags: net.FlagUp | net.FlagRunning | net.FlagPointToPoint, addrs: prefixes("100.64.0.5/32", "fd7a:115c:a1e0::5/128")},
	}
	return Options{SysRoot: sys, ProcRoot: proc}, links
}

func fixedLinks(ls []link) func() ([]link, error) { return func() ([]link, error) { return ls, nil } }

func TestDiscoverFakeHost(t *testing.T) {
	opts, links := fakeHost(t)
	n, err := discover(t.Context(), opts, fixedLinks(links))
	require.NoError(t, err)

	assert.Equal(t, []host.Interface{
		{Name: "enp3s0", Index: 2, Type: Type1000BaseT, TypeReason: "kernel: ethernet at 1000 Mb/s", MAC: "a8:a1:59:00:00:01", MTU: 1500, AdminUp: true, OperState: "up",
			IPv4: prefixes("192.0.2.10/24", "192.0.2.11/24"), IPv6: prefixes("2001:db8:1::10/64")},
		{Name: "wlp2s0", Index: 3, Type: TypeWireless, TypeReason: "kernel: wireless", MAC: "3c:22:fb:00:00:02", MTU: 1500, AdminUp: true, OperState: "dormant",
			IPv4: prefixes("198.51.100.20/24")},
		{Name: "docker0", Index: 4, Type: TypeBridge, TypeReason: "kernel: bridge", MAC: "02:42:ac:11:00:01", MTU: 1500, AdminUp: true, OperState: "down",
			IPv4: prefixes("172.17.0.1/16"), DockerManaged: true},
		{Name: "br-0123456789ab", Index: 5, Type: TypeBridge, TypeReason: "kernel: bridge", MAC: "02:42:ac:12:00:01", MTU: 1500, AdminUp: true, OperState: "up",
			IPv4: prefixes("172.18.0.1/16"), DockerManaged: true},
		{Name: "tailscale0", Index: 7, Type: TypeVirtual, TypeReason: "kernel: tun/tap", MTU: 1280, AdminUp: true, OperState: "unknown",
			IPv4: prefixes("100.64.0.5/32"), IPv6: prefixes("fd7a:115c:a1e0::5/128")},
	}, n.Interfaces)

	require.NotNil(t, n.DefaultIPv4)
	assert.Equal(t, "enp3s0", n.DefaultIPv4.Interface)
	assert.Equal(t, netip.MustParseAddr("192.0.2.1"), n.DefaultIPv4.Gateway)
	require.NotNil(t, n.DefaultIPv6)
	assert.Equal(t, "enp3s0", n.DefaultIPv6.Interface)
	assert.Equal(t, netip.MustParsePrefix("192.0.2.10/24"), n.PrimaryIPv4)
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1::10/64"), n.PrimaryIPv6)
	assert.Empty(t, n.Notes)
}

func TestDiscoverFilters(t *testing.T) {
	names := func(n host.Network) []string {
		var out []string
		for _, i := range n.Interfaces {
			out = append(out, i.Name)
		}
		return out
	}
	tests := []struct {
		name string
		set  func(*Options)
		want []string
	}{
		{"default excludes veth", func(*Options) {}, []string{"enp3s0", "wlp2s0", "docker0", "br-0123456789ab", "tailscale0"}},
		{"empty exclude keeps veth", func(o *Options) { o.Exclude = []string{} }, []string{"enp3s0", "wlp2s0", "docker0", "br-0123456789ab", "veth9f8e7d6", "tailscale0"}},
		{"include", func(o *Options) { o.Include = []string{"en*", "wl*"} }, []string{"enp3s0", "wlp2s0"}},
		{"include then exclude", func(o *Options) { o.Include = []string{"*"}; o.Exclude = []string{"docker*", "br-*", "veth*"} }, []string{"enp3s0", "wlp2s0", "tailscale0"}},
		{"loopback never", func(o *Options) { o.Include = []string{"lo"} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, links := fakeHost(t)
			tt.set(&opts)
			n, err := discover(t.Context(), opts, fixedLinks(links))
			require.NoError(t, err)
			assert.Equal(t, tt.want, names(n))
		})
	}
}

// TestDefaultExclude: what the kernel makes by itself is left out, tunnels
// and bridges someone made are not.
func TestDefaultExclude(t *testing.T) {
	o := Options{}.withDefaults()
	for _, name := range []string{"veth9f8e7d6", "sit0", "tunl0", "ip6tnl0", "gre0", "gretap0", "erspan0", "ip6gre0", "ip_vti0", "ip6_vti0", "ifb0", "ifb1"} {
		assert.False(t, o.wanted(name), name)
	}
	for _, name := range []string{"eth0", "enp3s0", "gre1", "sit1", "tun0", "wg0", "bond0", "br0", "docker0", "tailscale0"} {
		assert.True(t, o.wanted(name), name)
	}
}

func TestDiscoverLinkLocal(t *testing.T) {
	opts, links := fakeHost(t)
	opts.IncludeLinkLocal = true
	n, err := discover(t.Context(), opts, fixedLinks(links))
	require.NoError(t, err)
	enp, ok := n.Interface("enp3s0")
	require.True(t, ok)
	assert.Equal(t, prefixes("2001:db8:1::10/64", "fe80::10/64"), enp.IPv6)
	assert.Equal(t, netip.MustParsePrefix("2001:db8:1::10/64"), n.PrimaryIPv6, "link-local is never primary")
}

func TestDiscoverDefaultRouteViaExcludedInterface(t *testing.T) {
	opts, links := fakeHost(t)
	opts.Exclude = []string{"enp*"}
	n, err := discover(t.Context(), opts, fixedLinks(links))
	require.NoError(t, err)
	require.NotNil(t, n.DefaultIPv4)
	assert.Equal(t, "enp3s0", n.DefaultIPv4.Interface, "the route is still reported")
	assert.False(t, n.PrimaryIPv4.IsValid())
	assert.Contains(t, n.Notes, "primary ipv4: the default route is via enp3s0, which is not reported (excluded?)")
}

func TestDiscoverWithoutSysfsOrProcfs(t *testing.T) {
	// A sys root that is not the host's: names decide the types, nothing
	// else is known, and nothing is worth a note. A proc root without
	// route tables leaves the routes unknown, and says why.
	_, links := fakeHost(t)
	proc := t.TempDir()
	n, err := discover(t.Context(), Options{SysRoot: t.TempDir(), ProcRoot: proc}, fixedLinks(links))
	require.NoError(t, err)
	types := map[string]string{}
	for _, i := range n.Interfaces {
		types[i.Name] = i.Type
		assert.Empty(t, i.OperState)
	}
	assert.Equal(t, map[string]string{
		"enp3s0": Type1000BaseT, "wlp2s0": TypeWireless, "docker0": TypeVirtual,
		"br-0123456789ab": TypeVirtual, "tailscale0": TypeVirtual,
	}, types)
	docker, _ := n.Interface("docker0")
	assert.True(t, docker.DockerManaged, "by name when sysfs says nothing")
	assert.Nil(t, n.DefaultIPv4)
	assert.Empty(t, n.Notes)
	assert.Contains(t, n.RoutesUnknown, filepath.Join(proc, "net", "route"))
	assert.Contains(t, n.RoutesUnknown, "is "+proc+" the host's /proc?")
	enp, _ := n.Interface("enp3s0")
	assert.Len(t, enp.IPv6, 3, "no flags: temporary and DAD-failed addresses cannot be told apart")
}

func TestDiscoverErrors(t *testing.T) {
	_, err := discover(t.Context(), Options{Exclude: []string{"[eth"}}, fixedLinks(nil))
	assert.ErrorContains(t, err, `"[eth"`)

	_, err = discover(t.Context(), Options{}, func() ([]link, error) { return nil, errors.New("netlink: boom") })
	assert.ErrorContains(t, err, "netlink: boom")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Discover(ctx, Options{})
	assert.ErrorIs(t, err, context.Canceled)

	opts, links := fakeHost(t)
	links[1].addrErr = errors.New("interface vanished")
	n, err := discover(t.Context(), opts, fixedLinks(links))
	require.NoError(t, err)
	assert.Contains(t, n.Notes, "enp3s0 addresses: interface vanished")
}

func TestIsDockerBridgeName(t *testing.T) {
	for name, want := range map[string]bool{
		"docker0": true, "br-0123456789ab": true, "br-abcdef012345": true,
		"br-lan": false, "br-0123456789AB": false, "br-0123456789abc": false, "docker1": false, "br0": false,
	} {
		assert.Equal(t, want, isDockerBridgeName(name), name)
	}
}

func TestNetworkJSON(t *testing.T) {
	opts, links := fakeHost(t)
	n, err := discover(t.Context(), opts, fixedLinks(links))
	require.NoError(t, err)
	b, err := json.Marshal(n)
	require.NoError(t, err)
	var back host.Network
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, n, back)
	assert.Contains(t, string(b), `"primary_ipv4":"192.0.2.10/24"`)
	assert.Contains(t, string(b), `"gateway":"192.0.2.1"`)
}

// TestDiscoverThisMachine lists the real interfaces of whatever runs the
// tests and holds them to the package's promises.
func TestDiscoverThisMachine(t *testing.T) {
	n, err := Discover(t.Context(), Options{Exclude: []string{}, IncludeLinkLocal: true})
	require.NoError(t, err)
	t.Logf("%+v", n)
	for _, i := range n.Interfaces {
		assert.NotEqual(t, "lo", i.Name)
		assert.NotEmpty(t, i.Type)
		assert.Equal(t, NormalizeMAC(i.MAC), i.MAC)
		for _, p := range append(append([]netip.Prefix(nil), i.IPv4...), i.IPv6...) {
			assert.True(t, p.IsValid())
		}
	}
	if n.DefaultIPv4 != nil {
		_, ok := n.Interface(n.DefaultIPv4.Interface)
		assert.True(t, ok, "default route interface %s is listed", n.DefaultIPv4.Interface)
	}
}
