package discovery

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseCPUInfo: every key and value parseCPUInfo returns comes from a
// "key : value" line of the input, trimmed, and the first line of a key
// wins.
func FuzzParseCPUInfo(f *testing.F) {
	f.Add("processor\t: 0\nmodel name\t: X\n\nprocessor\t: 1\nSerial\t\t: 10000000a1b2c3d4\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n")
	f.Add("no colon\n: empty key\nk:v:w\n k : \n")
	f.Add("Serial: a\nSerial: b\r\n\x00: \xff\n")
	f.Fuzz(func(t *testing.T, in string) {
		got := parseCPUInfo(in)
		first := map[string]string{}
		for line := range strings.Lines(in) {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			k, v, ok := strings.Cut(line, ":")
			key := strings.TrimSpace(k)
			if !ok || key == "" {
				continue
			}
			if _, seen := first[key]; !seen {
				first[key] = strings.TrimSpace(v)
			}
		}
		if len(in) > 1<<20 {
			return // a line over the scanner's limit stops it early
		}
		for k, v := range got {
			if want, ok := first[k]; !ok || want != v {
				t.Fatalf("key %q = %q; the input's first line says %q (present: %t)", k, v, want, ok)
			}
		}
		if len(got) != len(first) {
			t.Fatalf("%d keys, the input has %d", len(got), len(first))
		}
	})
}

// FuzzParseHostnameFile: the name is the first line that is neither blank
// nor a comment, trimmed.
func FuzzParseHostnameFile(f *testing.F) {
	f.Add([]byte("web01\n"))
	f.Add([]byte("# set by cloud-init\n\n  db02.example.com  \nignored\n"))
	f.Add([]byte("\r\n\t#x\n\xff\x00\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got := parseHostnameFile(in)
		if got == "" {
			for line := range bytes.Lines(in) {
				if s := strings.TrimSpace(string(line)); s != "" && !strings.HasPrefix(s, "#") {
					t.Fatalf("no name, but the line %q", line)
				}
			}
			return
		}
		if got != strings.TrimSpace(got) || strings.ContainsAny(got, "\n") || strings.HasPrefix(got, "#") {
			t.Fatalf("name %q", got)
		}
		if !bytes.Contains(in, []byte(got)) {
			t.Fatalf("%q is not in the input", got)
		}
	})
}

// FuzzFirstDTString: a device-tree string property's first string has no
// NUL and starts the value.
func FuzzFirstDTString(f *testing.F) {
	f.Add("Raspberry Pi 4 Model B Rev 1.4\x00")
	f.Add("brcm,bcm2711\x00brcm,bcm2838\x00")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		got := firstDTString(in)
		if strings.Contains(got, "\x00") || !strings.HasPrefix(in, got) {
			t.Fatalf("firstDTString(%q) = %q", in, got)
		}
	})
}
