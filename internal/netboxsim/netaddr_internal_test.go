package netboxsim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseIPNetwork(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1/32"},
		{"10.0.0.1/24", "10.0.0.1/24"},
		{"10.0.0.1/ 24 ", "10.0.0.1/24"}, // int() strips whitespace
		{"10.0.0.1/255.255.255.0", "10.0.0.1/24"},
		{"10.0.0.1/0.0.0.255", "10.0.0.1/24"}, // a hostmask
		{"2001:DB8:0::1", "2001:db8::1/128"},
		{"2001:db8:0:1:1:1:1:1/64", "2001:db8:0:1:1:1:1:1/64"},
		{"::ffff:192.0.2.1/128", "::ffff:192.0.2.1/128"},
		{"::192.0.2.1/128", "::192.0.2.1/128"}, // glibc's inet_ntop
		{"::1", "::1/128"},
		{"10.0.0.1/33", ""},
		{"010.0.0.1/24", ""},
		{"10.0.0.1/255.0.255.0", ""},
		{"fe80::1%eth0/64", ""},
		{" 10.0.0.1/24", ""},
		{"10.1/8", ""},
	}
	for _, tc := range tests {
		n, ok := parseIPNetwork(tc.in)
		if tc.want == "" {
			assert.False(t, ok, tc.in)
			continue
		}
		if assert.True(t, ok, tc.in) {
			assert.Equal(t, tc.want, n.String(), tc.in)
		}
	}
}

func TestNaturalizeInterface(t *testing.T) {
	names := []string{"eth10", "eth2", "Ethernet1/10", "Ethernet1/2", "ge-0/0/10", "ge-0/0/9", "lo", "eth2.100"}
	// ge-0/0/9 has slot 0, subslot 0; Ethernet1/2 slot 1; eth2 none (9999).
	sorted := []string{"ge-0/0/9", "ge-0/0/10", "Ethernet1/2", "Ethernet1/10", "eth2", "eth2.100", "eth10", "lo"}
	got := append([]string(nil), names...)
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if naturalizeInterface(got[j], 100) < naturalizeInterface(got[i], 100) {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	assert.Equal(t, sorted, got)
	assert.Equal(t, "9999999999999999eth000002......000100", naturalizeInterface("eth2.100", 100))
	assert.Equal(t, "00000000"+"99999999"+"ge-"+"000010"+"......"+"......", naturalizeInterface("ge-0/0/10", 100))
}

func TestMACFormats(t *testing.T) {
	for in, want := range map[string]string{
		"00:1a:2b:3c:4d:5e": "00:1A:2B:3C:4D:5E", "0-1a-2b-3c-4d-5e": "00:1A:2B:3C:4D:5E",
		"001a.2b3c.4d5e": "00:1A:2B:3C:4D:5E", "001a:2b3c:4d5e": "00:1A:2B:3C:4D:5E",
		"001a2b-3c4d5e": "00:1A:2B:3C:4D:5E", "001A2B3C4D5E": "00:1A:2B:3C:4D:5E",
		"01A2B3C4D5E": "00:1A:2B:3C:4D:5E",
		// MACAddressField.to_python drops spaces before netaddr reads it.
		"00 1a 2b 3c 4d 5e": "00:1A:2B:3C:4D:5E",
	} {
		got, ok := normalizeMAC(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := normalizeMAC("00:1a:2b:3c:4d")
	assert.False(t, ok)
}
