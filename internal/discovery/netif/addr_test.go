package netif

import (
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"02:00:00:AA:BB:01", "02:00:00:aa:bb:01"},
		{"02-00-00-aa-bb-01", "02:00:00:aa:bb:01"},
		{"0200.00aa.bb01", "02:00:00:aa:bb:01"},
		{"020000AABB01", "02:00:00:aa:bb:01"},
		{" 02:00:00:aa:bb:01\n", "02:00:00:aa:bb:01"},
		{"ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"},
		{"", ""},
		{"00:00:00:00:00:00", ""},
		{"000000000000", ""},
		{"02:00:00:aa:bb", ""},
		{"02:00:00:aa:bb:01:02:03", ""}, // EUI-64
		{"80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:01:02:03", ""}, // InfiniBand
		{"zz:00:00:aa:bb:01", ""},
		{"02000aabb01", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NormalizeMAC(tt.in), "NormalizeMAC(%q)", tt.in)
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"192.0.2.10/24", "192.0.2.10/24"},
		{"192.0.2.10", "192.0.2.10/32"},
		{" 192.0.2.10/24 ", "192.0.2.10/24"},
		{"2001:DB8:0:0::10/64", "2001:db8::10/64"},
		{"2001:db8::10", "2001:db8::10/128"},
		{"fe80::1%eth0/64", "fe80::1/64"},
		{"fe80::1%eth0", "fe80::1/128"},
		{"::ffff:192.0.2.10/120", "192.0.2.10/24"},
		{"::ffff:192.0.2.10", "192.0.2.10/32"},
		{"::ffff:192.0.2.10/64", ""},
		{"192.0.2.10/33", ""},
		{"192.0.2.10/", ""},
		{"192.0.2.10/-1", ""},
		{"2001:db8::/129", ""},
		{"host.example", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		if tt.want == "" {
			assert.Error(t, err, "ParseAddress(%q) = %v", tt.in, got)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got.String(), tt.in)
	}
}

func TestPrefixFromIPNet(t *testing.T) {
	tests := []struct {
		ipn  net.IPNet
		want string
	}{
		{net.IPNet{IP: net.IPv4(192, 0, 2, 10), Mask: net.CIDRMask(24, 32)}, "192.0.2.10/24"},
		{net.IPNet{IP: net.IPv4(192, 0, 2, 10).To4(), Mask: net.CIDRMask(24, 32)}, "192.0.2.10/24"},
		{net.IPNet{IP: net.IPv4(192, 0, 2, 10), Mask: net.CIDRMask(120, 128)}, "192.0.2.10/24"},
		{net.IPNet{IP: net.ParseIP("2001:db8::10"), Mask: net.CIDRMask(64, 128)}, "2001:db8::10/64"},
		{net.IPNet{IP: net.ParseIP("2001:db8::10"), Mask: net.CIDRMask(24, 32)}, ""},
		{net.IPNet{IP: net.IPv4(192, 0, 2, 10), Mask: net.IPMask{255, 0, 255, 0}}, ""},
		{net.IPNet{IP: net.IP{1, 2, 3}, Mask: net.CIDRMask(24, 32)}, ""},
	}
	for _, tt := range tests {
		got, err := prefixFromIPNet(&tt.ipn)
		if tt.want == "" {
			assert.Error(t, err, "%v", tt.ipn)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got.String())
	}
}

var macForm = regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)

func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{"02:00:00:AA:BB:01", "0200.00aa.bb01", "020000aabb01", "00:00:00:00:00:00", "", "::", "02-00-00-aa-bb-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := NormalizeMAC(in)
		if out == "" {
			return
		}
		if !macForm.MatchString(out) || out == "00:00:00:00:00:00" {
			t.Fatalf("NormalizeMAC(%q) = %q", in, out)
		}
		for _, again := range []string{out, strings.ToUpper(out), strings.ReplaceAll(out, ":", "-"), strings.ReplaceAll(out, ":", "")} {
			if got := NormalizeMAC(again); got != out {
				t.Fatalf("NormalizeMAC(%q) = %q, want %q", again, got, out)
			}
		}
	})
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"192.0.2.10/24", "2001:db8::1/64", "fe80::1%eth0/64", "::ffff:1.2.3.4/120", "1.2.3.4", "::/0", "0.0.0.0/0", "/", "%/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseAddress(in)
		if err != nil {
			return
		}
		a := p.Addr()
		if !p.IsValid() || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ParseAddress(%q) = %v: not normal", in, p)
		}
		again, err := ParseAddress(p.String())
		if err != nil || again != p {
			t.Fatalf("ParseAddress(%q) = %v, which reparses as %v, %v", in, p, again, err)
		}
	})
}

func FuzzPrefixFromIPNet(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, []byte{255, 255, 255, 0})
	f.Add([]byte(net.IPv4(192, 0, 2, 1)), []byte(net.CIDRMask(120, 128)))
	f.Add([]byte(net.ParseIP("2001:db8::1")), []byte(net.CIDRMask(64, 128)))
	f.Fuzz(func(t *testing.T, ip, mask []byte) {
		p, err := prefixFromIPNet(&net.IPNet{IP: ip, Mask: mask})
		if err != nil {
			return
		}
		if !p.IsValid() || p.Addr().Is4In6() {
			t.Fatalf("prefixFromIPNet(%v, %v) = %v", ip, mask, p)
		}
		// The address is the one given, whichever way it was stored.
		want, _ := netip.AddrFromSlice(ip)
		if p.Addr() != want.Unmap() {
			t.Fatalf("address changed: %v -> %v", want, p.Addr())
		}
	})
}
