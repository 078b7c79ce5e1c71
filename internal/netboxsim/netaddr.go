package netboxsim

import (
	"bytes"
	"cmp"
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Address parsing the way NetBox's Python stack does it: netaddr 1.3
// (IPNetwork, EUI), PostgreSQL's inet and macaddr types (ordering, HOST()),
// and glibc's inet_pton/inet_ntop underneath netaddr.

// ipNet is a netaddr.IPNetwork as IPAddress.address holds it: a host
// address and a mask length. The host bits are kept ("10.0.0.1/24").
type ipNet struct {
	addr netip.Addr
	bits int
}

func (n ipNet) family() int {
	if n.addr.Is4() {
		return 4
	}
	return 6
}

func (n ipNet) width() int { return n.addr.BitLen() }

// host is str(IPAddress): the address without its mask, as inet_ntop
// writes it.
func (n ipNet) host() string { return ntop(n.addr) }

// String is str(IPNetwork): "host/bits".
func (n ipNet) String() string { return n.host() + "/" + strconv.Itoa(n.bits) }

// network is the address with the host bits cleared.
func (n ipNet) network() netip.Addr {
	p, _ := n.addr.Prefix(n.bits)
	return p.Addr()
}

// broadcast is the address with the host bits set (IPv4 only in NetBox's
// checks).
func (n ipNet) broadcast() netip.Addr {
	b := n.addr.AsSlice()
	for i := n.bits; i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// contains reports whether a host address lies in the network n (the
// inet <<= operator applied to HOST()).
func (n ipNet) contains(a netip.Addr) bool {
	if a.BitLen() != n.width() {
		return false
	}
	p, _ := n.addr.Prefix(n.bits)
	return p.Contains(a)
}

// ntop is inet_ntop: IPv6 in RFC 5952 form, except that glibc writes an
// address whose first 96 bits are zero (other than :: and ::1) with a
// dotted quad, as netaddr does through it ("::1.2.3.4"). IPv4-mapped
// addresses read "::ffff:1.2.3.4" in both.
func ntop(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		b := a.As16()
		if bytes.Equal(b[:12], make([]byte, 12)) && !(b[12] == 0 && b[13] == 0) {
			return "::" + netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}).String()
		}
	}
	return a.String()
}

// parseIPNetwork is netaddr.IPNetwork(text) for a string: an IPv4 or IPv6
// address (inet_pton syntax, no zone) with an optional "/" and a prefix
// length, netmask or hostmask. Without one the mask is the full width.
func parseIPNetwork(text string) (ipNet, bool) {
	host, mask, hasMask := strings.Cut(text, "/")
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return ipNet{}, false
	}
	n := ipNet{addr: a, bits: a.BitLen()}
	if !hasMask {
		return n, true
	}
	if bits, ok := pyIntString(mask); ok {
		if bits < 0 || bits > int64(a.BitLen()) {
			return ipNet{}, false
		}
		n.bits = int(bits)
		return n, true
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || m.Zone() != "" || m.BitLen() != a.BitLen() {
		return ipNet{}, false
	}
	if bits, ok := maskBits(m); ok {
		n.bits = bits
		return n, true
	}
	return ipNet{}, false
}

// maskBits reads a netmask (leading ones) or else a hostmask (trailing
// ones) as a prefix length, netmask first as netaddr does.
func maskBits(m netip.Addr) (int, bool) {
	v := new(big.Int).SetBytes(m.AsSlice())
	width := m.BitLen()
	full := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(width)), big.NewInt(1))
	// netmask: (value ^ full) + 1 is a power of two.
	inv := new(big.Int).Xor(v, full)
	inv.Add(inv, big.NewInt(1))
	if isPow2(inv) {
		return width - (inv.BitLen() - 1), true
	}
	// hostmask: value + 1 is a power of two.
	plus := new(big.Int).Add(v, big.NewInt(1))
	if isPow2(plus) {
		return width - (plus.BitLen() - 1), true
	}
	return 0, false
}

func isPow2(x *big.Int) bool {
	return x.Sign() > 0 && new(big.Int).And(x, new(big.Int).Sub(x, big.NewInt(1))).Sign() == 0
}

// pyIntString is Python's int(str): surrounding whitespace, an optional
// sign and underscores between digits are allowed.
func pyIntString(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	return n, err == nil
}

// storedIP reads back an address the simulator stored (always canonical).
func storedIP(v any) (ipNet, bool) {
	s, _ := v.(string)
	if s == "" {
		return ipNet{}, false
	}
	return parseIPNetwork(s)
}

// compareInet is PostgreSQL's inet ordering (network_cmp_internal):
// family, then the bits both masks cover, then the mask length, then the
// whole address.
func compareInet(a, b ipNet) int {
	if c := cmp.Compare(a.family(), b.family()); c != 0 {
		return c
	}
	ab, bb := a.addr.AsSlice(), b.addr.AsSlice()
	if c := compareBits(ab, bb, min(a.bits, b.bits)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.bits, b.bits); c != 0 {
		return c
	}
	return bytes.Compare(ab, bb)
}

func compareBits(a, b []byte, n int) int {
	for i := 0; i < n; i++ {
		x, y := a[i/8]&(0x80>>(i%8)), b[i/8]&(0x80>>(i%8))
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// MAC addresses: netaddr's EUI-48 string formats (strategy/eui48.py),
// case-insensitive, after MACAddressField.to_python dropped the spaces.
var macFormats = []struct {
	re       *regexp.Regexp
	wordBits int
}{
	{regexp.MustCompile(`(?i)^([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2})$`), 8},
	{regexp.MustCompile(`(?i)^([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})-([0-9a-f]{1,2})$`), 8},
	{regexp.MustCompile(`(?i)^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})$`), 16},
	{regexp.MustCompile(`(?i)^([0-9a-f]{1,4})-([0-9a-f]{1,4})-([0-9a-f]{1,4})$`), 16},
	{regexp.MustCompile(`(?i)^([0-9a-f]{1,4})\.([0-9a-f]{1,4})\.([0-9a-f]{1,4})$`), 16},
	{regexp.MustCompile(`(?i)^([0-9a-f]{5,6})-([0-9a-f]{5,6})$`), 24},
	{regexp.MustCompile(`(?i)^([0-9a-f]{5,6}):([0-9a-f]{5,6})$`), 24},
	{regexp.MustCompile(`(?i)^([0-9a-f]{11,12})$`), 48},
}

// parseMAC returns the EUI-48 value of text, or false.
func parseMAC(text string) (uint64, bool) {
	for _, f := range macFormats {
		m := f.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		var v uint64
		for _, w := range m[1:] {
			x, _ := strconv.ParseUint(w, 16, 64)
			v = v<<f.wordBits | x
		}
		return v, true
	}
	return 0, false
}

// formatMAC is str(EUI) in NetBox's mac_unix_expanded_uppercase dialect.
func formatMAC(v uint64) string {
	return fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16),
		byte(v>>8), byte(v))
}

// normalizeMAC is MACAddressField.to_python for a request value, as a
// string: "" and false when netaddr would not read it.
func normalizeMAC(raw any) (string, bool) {
	switch t := raw.(type) {
	case string:
		v, ok := parseMAC(strings.ReplaceAll(t, " ", ""))
		if !ok {
			return "", false
		}
		return formatMAC(v), true
	default:
		// EUI() also takes an integer.
		if n, ok := raw.(interface{ Int64() (int64, error) }); ok {
			if x, err := n.Int64(); err == nil && x >= 0 && x < 1<<48 {
				return formatMAC(uint64(x)), true
			}
		}
	}
	return "", false
}

// EUI-64 (WWN) formats of netaddr's strategy/eui64.py that matter here:
// eight colon- or dash-separated bytes, or sixteen bare hex digits.
var wwnFormats = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^([0-9a-f]{1,2})(?::([0-9a-f]{1,2})){7}$`),
	regexp.MustCompile(`(?i)^([0-9a-f]{1,2})(?:-([0-9a-f]{1,2})){7}$`),
}

var wwnBare = regexp.MustCompile(`(?i)^[0-9a-f]{16}$`)

// normalizeWWN is WWNField.to_python: eui64_unix_expanded_uppercase.
func normalizeWWN(text string) (string, bool) {
	var words []string
	switch {
	case wwnBare.MatchString(text):
		for i := 0; i < 16; i += 2 {
			words = append(words, text[i:i+2])
		}
	case wwnFormats[0].MatchString(text):
		words = strings.Split(text, ":")
	case wwnFormats[1].MatchString(text):
		words = strings.Split(text, "-")
	default:
		return "", false
	}
	for i, w := range words {
		x, _ := strconv.ParseUint(w, 16, 8)
		words[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(words, ":"), true
}

// Interface names sort by NetBox's naturalize_interface()
// (utilities/ordering.py) under the "C" collation.
var interfaceNameRE = regexp.MustCompile(`^(?P<type>[^\d\.:]+)?` +
	`((?P<slot>\d+)/)?((?P<subslot>\d+)/)?((?P<position>\d+)/)?((?P<subposition>\d+)/)?` +
	`((?P<id>\d+))?(:(?P<channel>\d+))?(\.(?P<vc>\d+))?(?P<remainder>.*)$`)

var digitRuns = regexp.MustCompile(`\d+`)

func naturalizeInterface(name string, maxLength int) string {
	m := interfaceNameRE.FindStringSubmatch(name)
	if m == nil {
		return name
	}
	group := func(g string) (string, bool) {
		i := interfaceNameRE.SubexpIndex(g)
		// An unmatched optional group is None in Python; Go reports "".
		return m[i], m[i] != ""
	}
	var out strings.Builder
	for _, g := range []string{"slot", "subslot", "position", "subposition"} {
		if v, ok := group(g); ok {
			out.WriteString(rjust(v, 4))
		} else {
			out.WriteString("9999")
		}
	}
	if v, ok := group("type"); ok {
		out.WriteString(v)
	}
	for _, g := range []string{"id", "channel", "vc"} {
		if v, ok := group(g); ok {
			out.WriteString(rjust(v, 6))
		} else {
			out.WriteString("......")
		}
	}
	s := out.String()
	if rest, _ := group("remainder"); rest != "" && len(s) < maxLength {
		s += naturalize(rest, maxLength-len(s))
	}
	if len(s) > maxLength {
		s = s[:maxLength]
	}
	return s
}

// naturalize pads every digit run to eight places.
func naturalize(value string, maxLength int) string {
	s := digitRuns.ReplaceAllStringFunc(value, func(d string) string { return rjust(d, 8) })
	if len(s) > maxLength {
		s = s[:maxLength]
	}
	return s
}

func rjust(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
