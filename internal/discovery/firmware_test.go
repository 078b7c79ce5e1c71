package discovery

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestCleanDMIValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"PowerEdge R640\n", "PowerEdge R640"},
		{"  Dell Inc.  ", "Dell Inc."},
		{"10000000a1b2c3d4\x00", "10000000a1b2c3d4"},
		{"00000000e1a2b3c4", "00000000e1a2b3c4"},
		{"VMware-56 4d 2a 1c", "VMware-56 4d 2a 1c"},
		{"", ""},
		{"\n", ""},
		{"\x00\x00", ""},
		{"To Be Filled By O.E.M.", ""},
		{"To be filled by O.E.M.\n", ""},
		{"Default string", ""},
		{"DEFAULT STRING", ""},
		{"System Serial Number", ""},
		{"System Product Name", ""},
		{"System manufacturer", ""},
		{"Not Specified", ""},
		{"None", ""},
		{"N/A", ""},
		{"0", ""},
		{"0000000000", ""},
		{"00000000-0000-0000-0000-000000000000", ""},
		{"00:00:00", ""},
		{"...", ""},
		{"0123456789", ""},
		{"bad\x01value", ""},
		{"bad\xffutf8", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, CleanDMIValue(tt.in), "CleanDMIValue(%q)", tt.in)
	}
}

func TestParseCPUInfo(t *testing.T) {
	got := parseCPUInfo("processor\t: 0\nmodel name\t: X\n\nprocessor\t: 1\nSerial\t\t: 10000000a1b2c3d4\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\nno colon\n: empty key\n")
	assert.Equal(t, "0", got["processor"], "first value kept")
	assert.Equal(t, "10000000a1b2c3d4", got["Serial"])
	assert.Equal(t, "Raspberry Pi 4 Model B Rev 1.4", got["Model"])
	assert.NotContains(t, got, "")
}

func FuzzCleanDMIValue(f *testing.F) {
	for _, s := range []string{
		"PowerEdge R640\n", "Default string", "To Be Filled By O.E.M.", "0", "000-000",
		"10000000a1b2c3d4\x00", " \t\x00", "\xff", "a\x00b", "\u00a0x\u00a0", "Not Specified ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := CleanDMIValue(in)
		if out == "" {
			return
		}
		if !strings.Contains(in, out) {
			t.Fatalf("%q is not part of the input %q", out, in)
		}
		if CleanDMIValue(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, CleanDMIValue(out))
		}
		if !utf8.ValidString(out) || strings.ContainsFunc(out, unicode.IsControl) {
			t.Fatalf("%q is not clean text", out)
		}
		first, _ := utf8.DecodeRuneInString(out)
		last, _ := utf8.DecodeLastRuneInString(out)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Fatalf("%q has surrounding space", out)
		}
		if firmwarePlaceholders[strings.ToLower(out)] || strings.Trim(out, "0 -:.") == "" {
			t.Fatalf("placeholder %q let through", out)
		}
	})
}
