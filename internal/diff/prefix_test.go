package diff

import (
	"net/netip"
	"testing"
)

// TestSamePrefix: samePrefix answers as comparing with p.String() does,
// for the forms NetBox and hosts write addresses in.
func TestSamePrefix(t *testing.T) {
	prefixes := []netip.Prefix{
		{},
		netip.MustParsePrefix("192.0.2.10/24"),
		netip.MustParsePrefix("2001:db8::1/64"),
		netip.MustParsePrefix("::ffff:192.0.2.10/128"),
		netip.MustParsePrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
	}
	texts := []string{"", "invalid Prefix", "192.0.2.10/24", "192.0.2.10/25", "2001:db8::1/64", "2001:DB8::1/64",
		"::ffff:192.0.2.10/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}
	for _, p := range prefixes {
		for _, text := range texts {
			if got, want := samePrefix(text, p), text == p.String(); got != want {
				t.Errorf("samePrefix(%q, %v) = %v, want %v", text, p, got, want)
			}
		}
	}
}
