package netif

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// /proc/net/route as a little-endian host (amd64, arm64) prints it: the
// layout of a capture, with a default route via 192.0.2.1, a backup one via
// wlan0 and an unreachable one added.
const procNetRoute = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT                                                       
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0                                                                               
wlan0	00000000	0164A8C0	0003	0	0	600	00000000	0	0	0                                                                               
eth0	000200C0	00000000	0001	0	0	100	00FFFFFF	0	0	0                                                                               
eth0	00000000	00000000	0201	0	0	0	00000000	0	0	0
`

const procNetIPv6Route = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0
`

func TestParseRouteTable(t *testing.T) {
	routes, err := ParseRouteTable(strings.NewReader(procNetRoute))
	require.NoError(t, err)
	assert.Equal(t, []host.Route{
		{Interface: "eth0", Destination: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.0.2.1"), Metric: 100, Flags: 3},
		{Interface: "wlan0", Destination: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.168.100.1"), Metric: 600, Flags: 3},
		{Interface: "eth0", Destination: netip.MustParsePrefix("192.0.2.0/24"), Metric: 100, Flags: 1},
		{Interface: "eth0", Destination: netip.MustParsePrefix("0.0.0.0/0"), Metric: 0, Flags: 0x201},
	}, routes)

	def, ok := DefaultRoute(routes)
	require.True(t, ok)
	assert.Equal(t, "eth0", def.Interface, "lowest metric; the reject route is not a default")
	assert.Equal(t, netip.MustParseAddr("192.0.2.1"), def.Gateway)
}

func TestParseRouteTableSkipsJunk(t *testing.T) {
	routes, err := ParseRouteTable(strings.NewReader("garbage\n" +
		"eth0 0000000 00000000 0001 0 0 0 00000000\n" + // short destination
		"eth0 00000000 00000000 0001 0 0 x 00000000\n" + // bad metric
		"eth0 00000000 00000000 0001 0 0 0 00FF00FF\n" + // non-contiguous mask
		"eth0 00000000 00000000 0001 0 0 0\n")) // too few fields
	require.NoError(t, err)
	assert.Empty(t, routes)
}

func TestParseIPv6RouteTable(t *testing.T) {
	routes, err := ParseIPv6RouteTable(strings.NewReader(procNetIPv6Route + "short line\n"))
	require.NoError(t, err)
	assert.Equal(t, []host.Route{
		{Interface: "eth0", Destination: netip.MustParsePrefix("fd00::/64"), Metric: 0x100, Flags: 1},
		{Interface: "eth0", Destination: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fd00::1"), Metric: 0x400, Flags: 3},
		{Interface: "lo", Destination: netip.MustParsePrefix("::/0"), Metric: 0xffffffff, Flags: 0x200200},
		{Interface: "eth0", Destination: netip.MustParsePrefix("fd00::2/128"), Metric: 0, Flags: 0x80200001},
	}, routes)

	def, ok := DefaultRoute(routes)
	require.True(t, ok)
	assert.Equal(t, "eth0", def.Interface)
	assert.Equal(t, netip.MustParseAddr("fd00::1"), def.Gateway)
}

func TestDefaultRoute(t *testing.T) {
	def := netip.MustParsePrefix("0.0.0.0/0")
	tests := []struct {
		name   string
		routes []host.Route
		want   string // interface; "" for none
	}{
		{"none", nil, ""},
		{"no default", []host.Route{{Interface: "eth0", Destination: netip.MustParsePrefix("10.0.0.0/8"), Flags: host.RouteUp}}, ""},
		{"not up", []host.Route{{Interface: "eth0", Destination: def}}, ""},
		{"reject only", []host.Route{{Interface: "lo", Destination: def, Flags: host.RouteUp | host.RouteReject}}, ""},
		{"lowest metric", []host.Route{
			{Interface: "wlan0", Destination: def, Flags: host.RouteUp, Metric: 600},
			{Interface: "eth0", Destination: def, Flags: host.RouteUp, Metric: 100},
		}, "eth0"},
		{"first of equals", []host.Route{
			{Interface: "a", Destination: def, Flags: host.RouteUp, Metric: 5},
			{Interface: "b", Destination: def, Flags: host.RouteUp, Metric: 5},
		}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DefaultRoute(tt.routes)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got.Interface)
		})
	}
}

func TestParseIfInet6(t *testing.T) {
	flags, err := parseIfInet6(strings.NewReader(
		"20010db8000100000000000000000010 03 40 00 82       vA\n" +
			"20010db80001000011223344aabbccdd 03 40 00 01       vA\n" +
			"bad line\n"))
	require.NoError(t, err)
	assert.Equal(t, map[addrKey]uint32{
		{"vA", netip.MustParseAddr("2001:db8:1::10")}:                   0x82,
		{"vA", netip.MustParseAddr("2001:db8:1:0:1122:3344:aabb:ccdd")}: 0x01,
	}, flags)
}

// formatRouteTable writes routes as /proc/net/route does on this machine.
func formatRouteTable(routes []host.Route) string {
	word := func(a netip.Addr) string {
		if !a.IsValid() {
			a = netip.IPv4Unspecified()
		}
		return fmt.Sprintf("%08X", binary.NativeEndian.Uint32(a.AsSlice()))
	}
	var b strings.Builder
	b.WriteString("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n")
	for _, r := range routes {
		mask := netip.AddrFrom4([4]byte(netipMask(r.Destination.Bits(), 32)))
		fmt.Fprintf(&b, "%s\t%s\t%s\t%04X\t0\t0\t%d\t%s\t0\t0\t0\n",
			r.Interface, word(r.Destination.Addr()), word(r.Gateway), r.Flags, r.Metric, word(mask))
	}
	return b.String()
}

// formatIPv6RouteTable writes routes as /proc/net/ipv6_route does.
func formatIPv6RouteTable(routes []host.Route) string {
	hex16 := func(a netip.Addr) string {
		if !a.IsValid() {
			a = netip.IPv6Unspecified()
		}
		return hex.EncodeToString(a.AsSlice())
	}
	var b strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&b, "%s %02x %s 00 %s %08x 00000001 00000000 %08x %8s\n",
			hex16(r.Destination.Addr()), r.Destination.Bits(), hex16(netip.Addr{}), hex16(r.Gateway), r.Metric, r.Flags, r.Interface)
	}
	return b.String()
}

func netipMask(bits, total int) []byte {
	m := make([]byte, total/8)
	for i := range bits {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return m
}

// checkRoutes holds parsed routes to the invariants both parsers promise and
// checks that writing them back out parses to the same routes.
func checkRoutes(t *testing.T, routes []host.Route, is4 bool, format func([]host.Route) string, parse func(string) ([]host.Route, error)) {
	t.Helper()
	for _, r := range routes {
		if !r.Destination.IsValid() || r.Destination.Addr().Is4() != is4 {
			t.Fatalf("bad destination in %+v", r)
		}
		if r.Gateway.IsValid() && (r.Gateway.Is4() != is4 || r.Gateway.IsUnspecified()) {
			t.Fatalf("bad gateway in %+v", r)
		}
		if r.Interface == "" || strings.ContainsAny(r.Interface, " \t\n") {
			t.Fatalf("bad interface in %+v", r)
		}
	}
	again, err := parse(format(routes))
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) == 0 && len(again) == 0 {
		return
	}
	if fmt.Sprint(again) != fmt.Sprint(routes) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", again, routes)
	}
	if d, ok := DefaultRoute(routes); ok && !d.IsDefault() {
		t.Fatalf("DefaultRoute returned a non-default %+v", d)
	}
}

func FuzzParseRouteTable(f *testing.F) {
	f.Add(procNetRoute)
	f.Add("eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0")
	f.Add("x 00000000 00000000 0 0 0 4294967295 FFFFFFFF")
	f.Fuzz(func(t *testing.T, in string) {
		routes, err := ParseRouteTable(strings.NewReader(in))
		if err != nil {
			return // a line over the scanner's limit
		}
		checkRoutes(t, routes, true, formatRouteTable, func(s string) ([]host.Route, error) { return ParseRouteTable(strings.NewReader(s)) })
	})
}

func FuzzParseIPv6RouteTable(f *testing.F) {
	f.Add(procNetIPv6Route)
	f.Add("00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0")
	f.Add("ffffffffffffffffffffffffffffffff 80 0 0 0 0 0 0 0 x")
	f.Fuzz(func(t *testing.T, in string) {
		routes, err := ParseIPv6RouteTable(strings.NewReader(in))
		if err != nil {
			return
		}
		checkRoutes(t, routes, false, formatIPv6RouteTable, func(s string) ([]host.Route, error) { return ParseIPv6RouteTable(strings.NewReader(s)) })
	})
}
