package netif

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// DefaultRoute returns the default route the kernel prefers: the lowest
// metric, the first listed among equals.
func DefaultRoute(routes []host.Route) (host.Route, bool) {
	var best host.Route
	found := false
	for _, r := range routes {
		if r.IsDefault() && (!found || r.Metric < best.Metric) {
			best, found = r, true
		}
	}
	return best, found
}

// maxTableLine bounds one line of a route table; real lines are ~150 bytes.
const maxTableLine = 64 << 10

// ParseRouteTable parses /proc/net/route, the kernel's IPv4 main table:
//
//	Iface	Destination	Gateway	Flags	RefCnt	Use	Metric	Mask	MTU	Window	IRTT
//	eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
//
// Addresses are the raw 32-bit words in the machine's byte order, printed
// in hex. The header and lines that do not parse are skipped; the error is
// only for reading r.
func ParseRouteTable(r io.Reader) ([]host.Route, error) {
	var routes []host.Route
	err := scanLines(r, func(line string) {
		f := strings.Fields(line)
		if len(f) < 8 || f[0] == "Iface" {
			return
		}
		dst, ok1 := parseIPv4Word(f[1])
		gw, ok2 := parseIPv4Word(f[2])
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		metric, err4 := strconv.ParseUint(f[6], 10, 32)
		mask, ok5 := parseIPv4Word(f[7])
		if !ok1 || !ok2 || err3 != nil || err4 != nil || !ok5 {
			return
		}
		bits, ok := maskBits(mask.AsSlice())
		if !ok {
			return
		}
		rt := host.Route{Interface: f[0], Destination: netip.PrefixFrom(dst, bits), Metric: uint32(metric), Flags: uint32(flags)}
		if !gw.IsUnspecified() {
			rt.Gateway = gw
		}
		routes = append(routes, rt)
	})
	return routes, err
}

// ParseIPv6RouteTable parses /proc/net/ipv6_route, the kernel's IPv6 routes:
//
//	dest(32 hex) dest_len src(32 hex) src_len next_hop(32 hex) metric refcnt use flags iface
//
// Lengths, metric and flags are hex. Lines that do not parse are skipped;
// the error is only for reading r.
func ParseIPv6RouteTable(r io.Reader) ([]host.Route, error) {
	var routes []host.Route
	err := scanLines(r, func(line string) {
		f := strings.Fields(line)
		if len(f) < 10 {
			return
		}
		dst, ok1 := parseIPv6Hex(f[0])
		dstLen, err2 := strconv.ParseUint(f[1], 16, 8)
		gw, ok3 := parseIPv6Hex(f[4])
		metric, err4 := strconv.ParseUint(f[5], 16, 32)
		flags, err5 := strconv.ParseUint(f[8], 16, 32)
		if !ok1 || err2 != nil || !ok3 || err4 != nil || err5 != nil || dstLen > 128 {
			return
		}
		rt := host.Route{Interface: f[9], Destination: netip.PrefixFrom(dst, int(dstLen)), Metric: uint32(metric), Flags: uint32(flags)}
		if !gw.IsUnspecified() {
			rt.Gateway = gw
		}
		routes = append(routes, rt)
	})
	return routes, err
}

// addrKey names one IPv6 address on one interface.
type addrKey struct {
	iface string
	addr  netip.Addr
}

// IPv6 address flags from <linux/if_addr.h> that /proc/net/if_inet6 shows.
const (
	ifaTemporary = 0x01 // RFC 4941 privacy address: rotates, not inventory
	ifaDADFailed = 0x08 // duplicate: the kernel does not use it
)

// parseIfInet6 parses /proc/net/if_inet6 ("addr ifindex plen scope flags
// iface", all hex) into each address's flags.
func parseIfInet6(r io.Reader) (map[addrKey]uint32, error) {
	out := map[addrKey]uint32{}
	err := scanLines(r, func(line string) {
		f := strings.Fields(line)
		if len(f) < 6 {
			return
		}
		addr, ok := parseIPv6Hex(f[0])
		flags, err := strconv.ParseUint(f[4], 16, 32)
		if !ok || err != nil {
			return
		}
		out[addrKey{f[5], addr}] = uint32(flags)
	})
	return out, err
}

func scanLines(r io.Reader, each func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxTableLine)
	for sc.Scan() {
		each(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read route table: %w", err)
	}
	return nil
}

// parseIPv4Word decodes an address printed as a host-order 32-bit word.
func parseIPv4Word(s string) (netip.Addr, bool) {
	if len(s) != 8 {
		return netip.Addr{}, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, false
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), true
}

// parseIPv6Hex decodes 32 hex digits in network order.
func parseIPv6Hex(s string) (netip.Addr, bool) {
	if len(s) != 32 {
		return netip.Addr{}, false
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(b), true
}

// maskBits returns the length of a contiguous netmask.
func maskBits(m []byte) (int, bool) {
	bits := 0
	for i, b := range m {
		if b == 0xff {
			bits += 8
			continue
		}
		ones := 0
		for b&0x80 != 0 {
			ones++
			b <<= 1
		}
		if b != 0 {
			return 0, false
		}
		for _, rest := range m[i+1:] {
			if rest != 0 {
				return 0, false
			}
		}
		return bits + ones, true
	}
	return bits, true
}
