package netif

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// knownTypes are every type classify may return.
func knownTypes() []string {
	types := []string{TypeVirtual, TypeBridge, TypeLAG, TypeWireless, TypeOther}
	for _, t := range typeBySpeed {
		types = append(types, t)
	}
	for _, e := range nameTable {
		types = append(types, e.typ)
	}
	return types
}

// Bits of FuzzReadLinkFacts's layout: which entries the interface's sysfs
// folder has besides the files.
const (
	hasBridge = 1 << iota
	hasBonding
	hasWireless
	hasPhy80211
	hasTunFlags
	hasDevice
	hasMaster
	omitType
)

// FuzzReadLinkFacts writes an interface's sysfs folder from the fuzzer's
// values (uevent, type and speed files, and which of bridge/, bonding/,
// wireless/, phy80211, tun_flags, device and master exist) and checks
// what readLinkFacts reads and how classify types it.
func FuzzReadLinkFacts(f *testing.F) {
	f.Add("eth0", "DEVTYPE=bridge\nINTERFACE=br0\n", "1\n", "1000\n", uint8(0))
	f.Add("enp3s0", "INTERFACE=enp3s0\nIFINDEX=2\n", "1\n", "10000\n", uint8(hasDevice))
	f.Add("wlan0", "DEVTYPE=wlan\n", "1", "-1", uint8(hasDevice|hasPhy80211))
	f.Add("tailscale0", "", "65534\n", "", uint8(hasTunFlags))
	f.Add("bond0", "DEVTYPE=bond\n", "1\n", "2500\n", uint8(hasBonding|hasMaster))
	f.Add("eth1", "DEVTYPE=\n", " 1 ", "99999999999999999999", uint8(hasDevice|omitType))
	f.Add("x", "DEVTYPE=wireguard\r\nDEVTYPE=vlan", "+1", "0x3e8", uint8(0xff))
	f.Fuzz(func(t *testing.T, name, uevent, typ, speed string, layout uint8) {
		sys := t.TempDir()
		dir := filepath.Join(sys, "class", "net", "link")
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(dir, 0o755))
		must(os.WriteFile(filepath.Join(dir, "uevent"), []byte(uevent), 0o644))
		if layout&omitType == 0 {
			must(os.WriteFile(filepath.Join(dir, "type"), []byte(typ), 0o644))
		}
		must(os.WriteFile(filepath.Join(dir, "speed"), []byte(speed), 0o644))
		for bit, entry := range map[uint8]string{hasBridge: "bridge", hasBonding: "bonding", hasWireless: "wireless", hasDevice: "device"} {
			if layout&bit != 0 {
				must(os.Mkdir(filepath.Join(dir, entry), 0o755))
			}
		}
		for bit, entry := range map[uint8]string{hasPhy80211: "phy80211", hasTunFlags: "tun_flags"} {
			if layout&bit != 0 {
				must(os.WriteFile(filepath.Join(dir, entry), []byte("0x1001\n"), 0o644))
			}
		}
		if layout&hasMaster != 0 {
			must(os.Symlink("../br0", filepath.Join(dir, "master")))
		}

		facts := readLinkFacts(sys, "link")
		if !facts.known {
			t.Fatal("the folder exists but is not known")
		}
		if strings.ContainsAny(facts.devType, "\n") {
			t.Fatalf("DEVTYPE %q spans lines", facts.devType)
		}
		if facts.devType != "" && !strings.Contains(uevent, "DEVTYPE="+facts.devType) {
			t.Fatalf("DEVTYPE %q is not in uevent %q", facts.devType, uevent)
		}
		wantInt := func(content string, present bool) int {
			if !present {
				return -1
			}
			n, err := strconv.Atoi(strings.TrimSpace(content))
			if err != nil {
				return -1
			}
			return n
		}
		if want := wantInt(typ, layout&omitType == 0); facts.arphrd != want {
			t.Fatalf("type %q read as %d, want %d", typ, facts.arphrd, want)
		}
		if want := wantInt(speed, layout&hasDevice != 0); facts.speedMbps != want {
			t.Fatalf("speed %q read as %d, want %d (device: %t)", speed, facts.speedMbps, want, layout&hasDevice != 0)
		}
		if facts.bridge != (layout&hasBridge != 0) || facts.bond != (layout&hasBonding != 0) ||
			facts.wireless != (layout&(hasWireless|hasPhy80211) != 0) || facts.tun != (layout&hasTunFlags != 0) ||
			facts.device != (layout&hasDevice != 0) {
			t.Fatalf("layout %08b read as %+v", layout, facts)
		}
		if want := map[bool]string{true: "br0"}[layout&hasMaster != 0]; facts.master != want {
			t.Fatalf("master %q, want %q", facts.master, want)
		}

		got, reason := classify(name, facts)
		if !slices.Contains(knownTypes(), got) || reason == "" {
			t.Fatalf("classify(%q, %+v) = %q (%q)", name, facts, got, reason)
		}
		if missing, _ := classify(name, linkFacts{arphrd: -1, speedMbps: -1}); missing != TypeByName(name) {
			t.Fatalf("without sysfs, %q is %q, the name table says %q", name, missing, TypeByName(name))
		}
	})
}

// FuzzParseIfInet6 parses /proc/net/if_inet6: every address it returns is
// on a line of the input, with that line's interface and flags.
func FuzzParseIfInet6(f *testing.F) {
	f.Add("fe80000000000000021122fffe334455 02 40 20 80     eth0\n20010db8000000000000000000000001 02 40 00 01     eth0\n")
	f.Add("00000000000000000000000000000001 01 80 10 80       lo\n")
	f.Add("zz 1 2 3 4 5\n\n20010db8000000000000000000000001 02 40 00 ffffffffff eth0")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseIfInet6(strings.NewReader(in))
		if err != nil {
			return // a line over the scanner's limit
		}
		for key, flags := range got {
			if !key.addr.Is6() || key.iface == "" {
				t.Fatalf("entry %+v", key)
			}
			hexAddr := strings.ReplaceAll(netip.AddrFrom16(key.addr.As16()).StringExpanded(), ":", "")
			found := false
			for line := range strings.Lines(in) {
				fields := strings.Fields(line)
				if len(fields) >= 6 && strings.EqualFold(fields[0], hexAddr) && fields[5] == key.iface {
					if v, err := strconv.ParseUint(fields[4], 16, 32); err == nil && uint32(v) == flags {
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("%+v flags %x: no such line in %q", key, flags, in)
			}
		}
		if len(got) > bytes.Count([]byte(in), []byte("\n"))+1 {
			t.Fatalf("%d entries from %q", len(got), in)
		}
	})
}
