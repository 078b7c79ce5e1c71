package discovery

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"unquoted", "ID=ubuntu\n", map[string]string{"ID": "ubuntu"}},
		{"double quoted", `NAME="Debian GNU/Linux"`, map[string]string{"NAME": "Debian GNU/Linux"}},
		{"single quoted is literal", `NAME='a\"$b'`, map[string]string{"NAME": `a\"$b`}},
		{"double quote escapes", `X="a\"b\\c\$d\` + "`" + `e"`, map[string]string{"X": "a\"b\\c$d`e"}},
		{"other backslashes kept in double quotes", `X="a\nb\tc"`, map[string]string{"X": `a\nb\tc`}},
		{"unquoted escapes", `X=a\ b\"c\\d`, map[string]string{"X": `a b"c\d`}},
		{"trailing backslash kept", `X=ab\`, map[string]string{"X": `ab\`}},
		{"empty values", "A=\nB=\"\"\nC=''", map[string]string{"A": "", "B": "", "C": ""}},
		{"comments and blank lines", "# c\n\n   \n\t# indented\nID=x\n", map[string]string{"ID": "x"}},
		{"trailing comment", `NAME="Foo" # the name`, map[string]string{"NAME": "Foo"}},
		{"hash inside a word is literal", "A=#x\nB=a#b\nC=\"a\"#b", map[string]string{"A": "#x", "B": "a#b", "C": "a#b"}},
		{"hash inside quotes", `A="a # b"`, map[string]string{"A": "a # b"}},
		{"unquoted spaces kept, trailing trimmed", "NAME=Foo Bar  \t", map[string]string{"NAME": "Foo Bar"}},
		{"quoted trailing spaces kept", `NAME="Foo  "`, map[string]string{"NAME": "Foo  "}},
		{"concatenation", `X="a"'b'c"d"`, map[string]string{"X": "abcd"}},
		{"CRLF", "ID=x\r\nVERSION_ID=\"1\"\r\n", map[string]string{"ID": "x", "VERSION_ID": "1"}},
		{"BOM", "\ufeffID=x", map[string]string{"ID": "x"}},
		{"leading whitespace and spaced key", "  ID =x", map[string]string{"ID": "x"}},
		{"later wins", "ID=a\nID=b", map[string]string{"ID": "b"}},
		{"equals in value", `X="a=b"`, map[string]string{"X": "a=b"}},
		{"utf8", `PRETTY_NAME="Fedora Linux 40 (Workstation Édition)"`, map[string]string{"PRETTY_NAME": "Fedora Linux 40 (Workstation Édition)"}},
		{"lower-case key", "variant_id=x", map[string]string{"variant_id": "x"}},
		{
			"bad lines skipped",
			"no equals\n1ID=x\nA-B=x\n=x\nX=\"unterminated\nY='unterminated\nID=ok",
			map[string]string{"ID": "ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOSRelease(strings.NewReader(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseOSReleaseErrors(t *testing.T) {
	_, err := ParseOSRelease(iotest.ErrReader(errors.New("boom")))
	assert.ErrorContains(t, err, "boom")

	_, err = ParseOSRelease(strings.NewReader(strings.Repeat("#", maxOSReleaseSize+1)))
	assert.ErrorContains(t, err, "larger than")
}

func TestParseOSReleaseFixtures(t *testing.T) {
	for _, f := range []string{
		"testdata/ubuntu-24.04/etc/os-release",
		"testdata/debian-12/usr/lib/os-release",
		"testdata/raspberry-pi/etc/os-release",
	} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		rel, err := ParseOSRelease(strings.NewReader(string(data)))
		require.NoError(t, err, f)
		for _, k := range []string{"ID", "NAME", "VERSION_ID", "PRETTY_NAME"} {
			assert.NotEmpty(t, rel[k], "%s: %s", f, k)
		}
	}
}

func TestPlatformName(t *testing.T) {
	tests := []struct {
		name     string
		rel      map[string]string
		rpiImage bool
		want     string
	}{
		{"no os-release", nil, false, ""},
		{"empty os-release", map[string]string{}, false, ""},
		{"ubuntu lts", map[string]string{"ID": "ubuntu", "NAME": "Ubuntu", "VERSION_ID": "24.04", "VERSION": "24.04.1 LTS (Noble Numbat)"}, false, "Ubuntu 24.04 LTS"},
		{"ubuntu 22.04 lts", map[string]string{"ID": "ubuntu", "VERSION_ID": "22.04", "VERSION": "22.04.4 LTS (Jammy Jellyfish)"}, false, "Ubuntu 22.04 LTS"},
		{"ubuntu interim", map[string]string{"ID": "ubuntu", "NAME": "Ubuntu", "VERSION_ID": "24.10", "VERSION": "24.10 (Oracular Oriole)"}, false, "Ubuntu 24.10"},
		{"ubuntu on a pi with an rpi marker stays ubuntu", map[string]string{"ID": "ubuntu", "ID_LIKE": "debian", "VERSION_ID": "24.04", "VERSION": "24.04 LTS"}, true, "Ubuntu 24.04 LTS"},
		{"debian", map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "VERSION_ID": "12", "VERSION": "12 (bookworm)"}, false, "Debian 12"},
		{"debian testing has no version", map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "PRETTY_NAME": "Debian GNU/Linux trixie/sid"}, false, "Debian"},
		{"raspbian 32-bit", map[string]string{"ID": "raspbian", "ID_LIKE": "debian", "NAME": "Raspbian GNU/Linux", "VERSION_ID": "11"}, false, "Raspberry Pi OS 11"},
		{"raspberry pi os named in PRETTY_NAME", map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "PRETTY_NAME": "Raspberry Pi OS (64-bit) 10", "VERSION_ID": "10"}, false, "Raspberry Pi OS 10"},
		{"raspbian in NAME", map[string]string{"ID": "debian", "NAME": "Raspbian GNU/Linux", "VERSION_ID": "12"}, false, "Raspberry Pi OS 12"},
		{"64-bit image with rpi-issue", map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "VERSION_ID": "12"}, true, "Raspberry Pi OS 12"},
		{"derivative of raspbian", map[string]string{"ID": "dietpi", "ID_LIKE": "raspbian debian", "NAME": "DietPi", "VERSION_ID": "9"}, false, "Raspberry Pi OS 9"},
		{"fedora", map[string]string{"ID": "fedora", "NAME": "Fedora Linux", "VERSION_ID": "40"}, false, "Fedora Linux 40"},
		{"rocky", map[string]string{"ID": "rocky", "NAME": "Rocky Linux", "VERSION_ID": "9.4"}, false, "Rocky Linux 9.4"},
		{"rolling release", map[string]string{"ID": "arch", "NAME": "Arch Linux"}, false, "Arch Linux"},
		{"no NAME defaults to Linux", map[string]string{"ID": "thing", "VERSION_ID": "3"}, false, "Linux 3"},
		{"whitespace trimmed", map[string]string{"ID": " debian ", "VERSION_ID": " 12 "}, false, "Debian 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PlatformName(tt.rel, tt.rpiImage))
		})
	}
}

// encodeOSRelease writes vars the way a careful distribution would: every
// value double-quoted with $ ` " \ escaped.
func encodeOSRelease(vars map[string]string) string {
	var b strings.Builder
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		b.WriteString(k + `="` + esc.Replace(vars[k]) + "\"\n")
	}
	return b.String()
}

func TestOSReleaseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.StringMatching(`[A-Za-z_][A-Za-z0-9_]{0,20}`)
		// Shell-special characters often, any other rune but newline too.
		special := rapid.SampledFrom([]rune("\"'\\$` #\t=\r"))
		anyRune := rapid.Rune().Filter(func(r rune) bool { return r != '\n' })
		value := rapid.StringOfN(rapid.OneOf(special, anyRune), 0, 40, -1)
		vars := rapid.MapOf(key, value).Draw(t, "vars")
		got, err := ParseOSRelease(strings.NewReader(encodeOSRelease(vars)))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(vars, got) {
			t.Fatalf("round trip: got %q, want %q", got, vars)
		}
	})
}

func FuzzParseOSRelease(f *testing.F) {
	for _, p := range []string{
		"testdata/ubuntu-24.04/etc/os-release",
		"testdata/debian-12/usr/lib/os-release",
		"testdata/raspberry-pi/etc/os-release",
	} {
		data, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{
		"", "=", "#", "A", "A=", `A="`, "A='", `A=\`, `A="\`, `A="a\"`, "A=a b # c",
		"\ufeffID=x\r\n", `X="a"'b'c\ d`, "A=#x\nB=\"#\" #c", "  K = 'v' ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseOSRelease(strings.NewReader(in))
		if err != nil {
			t.Fatalf("error on %d bytes: %v", len(in), err)
		}
		for k, v := range got {
			if !isShellName(k) {
				t.Fatalf("key %q is not a variable name", k)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("value of %s spans lines: %q", k, v)
			}
		}
		// Writing the result out cleanly and reading it back changes nothing.
		again, err := ParseOSRelease(strings.NewReader(encodeOSRelease(got)))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, again) {
			t.Fatalf("re-encoded parse differs:\n got %q\nwant %q", again, got)
		}
		// A platform name never has surrounding space; it is empty only when
		// nothing identifies the system.
		name := PlatformName(got, false)
		if name != strings.TrimSpace(name) {
			t.Fatalf("platform %q has surrounding space", name)
		}
	})
}
