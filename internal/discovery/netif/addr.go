package netif

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// NormalizeMAC returns mac as a lower-case, colon-separated EUI-48
// ("aa:bb:cc:dd:ee:ff"), the form discovery reports and compares in. It
// accepts the colon, dash and dotted forms net.ParseMAC knows and twelve bare
// hex digits, in any case. It returns "" for anything else, for the all-zero
// address (loopback and some virtual devices show it), and for addresses that
// are not EUI-48 (InfiniBand's 20 bytes): NetBox stores EUI-48 only.
func NormalizeMAC(mac string) string {
	mac = strings.TrimSpace(mac)
	hw, err := net.ParseMAC(mac)
	if err != nil {
		if len(mac) != 12 {
			return ""
		}
		if hw, err = hex.DecodeString(mac); err != nil {
			return ""
		}
	}
	if len(hw) != 6 || string(hw) == "\x00\x00\x00\x00\x00\x00" {
		return ""
	}
	return hw.String()
}

// ParseAddress parses an interface address as NetBox writes it ("192.0.2.1/24",
// "2001:db8::1/64") or as a bare address (taken as a host address, /32 or
// /128). The result keeps the host bits, drops any IPv6 zone, and turns an
// IPv4-mapped IPv6 address into IPv4, so equal addresses compare equal.
func ParseAddress(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	addrPart, bitsPart, hasBits := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, err
	}
	bits := addr.BitLen()
	if hasBits {
		// netip.ParsePrefix rejects zones; parse the length on its own.
		p, err := netip.ParsePrefix(addr.WithZone("").String() + "/" + bitsPart)
		if err != nil {
			return netip.Prefix{}, err
		}
		bits = p.Bits()
	}
	return normalizePrefix(addr, bits)
}

// prefixFromIPNet converts what net.Interface.Addrs returns.
func prefixFromIPNet(n *net.IPNet) (netip.Prefix, error) {
	addr, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("bad IP %v", n.IP)
	}
	ones, bits := n.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, fmt.Errorf("non-canonical mask %v", n.Mask)
	}
	if bits != addr.BitLen() && !(bits == 32 && addr.Is4In6()) {
		return netip.Prefix{}, fmt.Errorf("mask %v does not fit %v", n.Mask, n.IP)
	}
	if bits == 32 && addr.Is4In6() {
		// An IPv4 address stored in 16 bytes with a 4-byte mask.
		ones += 96
	}
	return normalizePrefix(addr, ones)
}

// normalizePrefix applies ParseAddress's rules to an address and a prefix
// length counted in addr's own family.
func normalizePrefix(addr netip.Addr, bits int) (netip.Prefix, error) {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		if bits < 96 {
			return netip.Prefix{}, errors.New("IPv4-mapped address with a prefix shorter than /96")
		}
		addr, bits = addr.Unmap(), bits-96
	}
	p := netip.PrefixFrom(addr, bits)
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("prefix length %d out of range for %v", bits, addr)
	}
	return p, nil
}
