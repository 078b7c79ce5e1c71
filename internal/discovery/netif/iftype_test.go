package netif

import (
	"os"
	"path/filepath"
	"testing"

	netbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// sysIf describes one fake /sys/class/net/<name>/ directory.
type sysIf struct {
	files map[string]string // relative path -> content
	dirs  []string
	links map[string]string // relative path -> symlink target
}

// physical is a wired PCI NIC at speed Mb/s.
func physical(speed string) sysIf {
	return sysIf{
		files: map[string]string{"type": "1\n", "speed": speed + "\n", "uevent": "INTERFACE=x\nIFINDEX=2\n", "operstate": "up\n"},
		links: map[string]string{"device": "../../../0000:00:1f.6"},
	}
}

// makeSys builds a sys root holding the given interfaces.
func makeSys(t *testing.T, ifs map[string]sysIf) string {
	t.Helper()
	root := t.TempDir()
	for name, s := range ifs {
		dir := filepath.Join(root, "class", "net", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, d := range s.dirs {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
		}
		for p, c := range s.files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644))
		}
		for p, target := range s.links {
			require.NoError(t, os.Symlink(target, filepath.Join(dir, p)))
		}
	}
	return root
}

func TestClassifyFromSysfs(t *testing.T) {
	sys := makeSys(t, map[string]sysIf{
		"eno1":   physical("1000"),
		"enp2s0": physical("2500"),
		"ens1f0": physical("10000"),
		"ens2f0": physical("25000"),
		"ens3f0": physical("40000"),
		"ens4f0": physical("100000"),
		"eth9":   physical("100"),
		"enp5s0": physical("-1"),   // link down: name table
		"lan0":   physical("-1"),   // link down, unknown name
		"enp6s0": physical("1234"), // odd speed: name table
		"ib0": {
			files: map[string]string{"type": "32\n", "speed": "100000\n"},
			links: map[string]string{"device": "../../../0000:03:00.0"},
		},
		"br0":       {dirs: []string{"bridge", "brif"}, files: map[string]string{"uevent": "DEVTYPE=bridge\n", "type": "1\n"}},
		"docker0":   {dirs: []string{"bridge"}, files: map[string]string{"type": "1\n"}},
		"bond0":     {dirs: []string{"bonding"}, files: map[string]string{"uevent": "DEVTYPE=bond\n", "type": "1\n"}},
		"eth1":      {files: map[string]string{"uevent": "DEVTYPE=bond\n"}}, // bond renamed eth1
		"wlp3s0":    {links: map[string]string{"phy80211": "../../ieee80211/phy0", "device": "../../../0000:03:00.0"}, files: map[string]string{"type": "1\n", "speed": "-1\n"}},
		"wlan0":     {dirs: []string{"wireless"}, links: map[string]string{"device": "../../../mmc1:0001:1"}, files: map[string]string{"type": "1\n"}},
		"tailscale": {files: map[string]string{"tun_flags": "0x1002\n", "type": "65534\n"}},
		"tap0":      {files: map[string]string{"tun_flags": "0x1102\n", "type": "1\n"}},
		"wg0":       {files: map[string]string{"uevent": "DEVTYPE=wireguard\nINTERFACE=wg0\n", "type": "65534\n"}},
		"eth0":      {files: map[string]string{"type": "1\n", "speed": "10000\n"}}, // veth in a container, named eth0
		"vethab12":  {files: map[string]string{"type": "1\n"}, links: map[string]string{"master": "../br0"}},
		"eth0.100":  {files: map[string]string{"uevent": "DEVTYPE=vlan\n", "type": "1\n"}},
	})
	tests := []struct {
		name, want, master string
	}{
		{"eno1", Type1000BaseT, ""},
		{"enp2s0", Type2500BaseT, ""},
		{"ens1f0", Type10GBaseT, ""},
		{"ens2f0", Type25GSFP28, ""},
		{"ens3f0", Type40GQSFPP, ""},
		{"ens4f0", Type100GQSFP28, ""},
		{"eth9", Type100BaseTX, ""},
		{"enp5s0", Type1000BaseT, ""},
		{"lan0", TypeOther, ""},
		{"enp6s0", Type1000BaseT, ""},
		{"ib0", TypeOther, ""},
		{"br0", TypeBridge, ""},
		{"docker0", TypeBridge, ""},
		{"bond0", TypeLAG, ""},
		{"eth1", TypeLAG, ""},
		{"wlp3s0", TypeWireless, ""},
		{"wlan0", TypeWireless, ""},
		{"tailscale", TypeVirtual, ""},
		{"tap0", TypeVirtual, ""},
		{"wg0", TypeVirtual, ""},
		{"eth0", TypeVirtual, ""},
		{"vethab12", TypeVirtual, "br0"},
		{"eth0.100", TypeVirtual, ""},
		{"missing-in-sysfs", TypeOther, ""},
		{"wlan9", TypeWireless, ""}, // missing in sysfs: name table
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := readLinkFacts(sys, tt.name)
			got, reason := classify(tt.name, f)
			assert.Equal(t, tt.want, got, "reason %q, facts %+v", reason, f)
			assert.NotEmpty(t, reason)
			assert.Equal(t, tt.master, f.master)
		})
	}
}

func TestTypeByName(t *testing.T) {
	for name, want := range map[string]string{
		"eth0": Type1000BaseT, "enp3s0": Type1000BaseT, "eno1": Type1000BaseT, "ens18": Type1000BaseT,
		"enx00e04c680001": Type1000BaseT,
		"wlan0":           TypeWireless, "wlp2s0": TypeWireless,
		"tailscale0": TypeVirtual, "docker0": TypeVirtual, "br-0123456789ab": TypeVirtual, "virbr0": TypeVirtual,
		"veth1234": TypeVirtual, "wg0": TypeVirtual, "tun0": TypeVirtual, "tap0": TypeVirtual,
		"bond0": TypeOther, "lo": TypeOther, "": TypeOther, "br0": TypeOther,
	} {
		assert.Equal(t, want, TypeByName(name), name)
	}
}

// TestTypesAreNetBox43Values holds every type discovery can emit to the
// enum in go-netbox, generated from NetBox 4.3's OpenAPI document: NetBox
// rejects any other value.
func TestTypesAreNetBox43Values(t *testing.T) {
	valid := func(typ string) bool { return netbox.InterfaceTypeValue(typ).IsValid() }
	emitted := []string{TypeVirtual, TypeBridge, TypeLAG, TypeWireless, TypeOther}
	for _, typ := range typeBySpeed {
		emitted = append(emitted, typ)
	}
	for _, e := range nameTable {
		emitted = append(emitted, e.typ)
	}
	for _, typ := range emitted {
		assert.True(t, valid(typ), "%q is not a NetBox 4.3 interface type", typ)
	}

	// And whatever classify makes of any facts and name.
	rapid.Check(t, func(t *rapid.T) {
		f := linkFacts{
			known:     rapid.Bool().Draw(t, "known"),
			devType:   rapid.SampledFrom([]string{"", "bridge", "bond", "wlan", "wireguard", "vlan", "other"}).Draw(t, "devtype"),
			bridge:    rapid.Bool().Draw(t, "bridge"),
			bond:      rapid.Bool().Draw(t, "bond"),
			wireless:  rapid.Bool().Draw(t, "wireless"),
			tun:       rapid.Bool().Draw(t, "tun"),
			device:    rapid.Bool().Draw(t, "device"),
			arphrd:    rapid.SampledFrom([]int{-1, 1, 32, 65534}).Draw(t, "arphrd"),
			speedMbps: rapid.OneOf(rapid.SampledFrom([]int{-1, 10, 100, 1000, 2500, 5000, 10000, 25000, 40000, 50000, 100000}), rapid.Int()).Draw(t, "speed"),
		}
		name := rapid.OneOf(rapid.SampledFrom([]string{"eth0", "wlan0", "wg0", "br-x", "lo", "bond0"}), rapid.String()).Draw(t, "name")
		if typ, reason := classify(name, f); !valid(typ) || reason == "" {
			t.Fatalf("classify(%q, %+v) = %q, %q", name, f, typ, reason)
		}
	})
}
