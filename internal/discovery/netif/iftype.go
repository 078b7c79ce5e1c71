package netif

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// NetBox interface type values (dcim.Interface.type) that discovery emits.
// Each is in NetBox 4.3's list; a test holds them to go-netbox's enum.
const (
	TypeVirtual    = "virtual"
	TypeBridge     = "bridge"
	TypeLAG        = "lag"
	TypeWireless   = "ieee802.11ax"
	TypeOther      = "other"
	Type100BaseTX  = "100base-tx"
	Type1000BaseT  = "1000base-t"
	Type2500BaseT  = "2.5gbase-t"
	Type5GBaseT    = "5gbase-t"
	Type10GBaseT   = "10gbase-t"
	Type25GSFP28   = "25gbase-x-sfp28"
	Type40GQSFPP   = "40gbase-x-qsfpp"
	Type100GQSFP28 = "100gbase-x-qsfp28"
)

// typeBySpeed maps /sys/class/net/<if>/speed (Mb/s) of a physical Ethernet
// port to its type. A speed not listed (or -1, a link that is down or a
// virtio NIC) falls back to the name table.
var typeBySpeed = map[int]string{
	100:    Type100BaseTX,
	1000:   Type1000BaseT,
	2500:   Type2500BaseT,
	5000:   Type5GBaseT,
	10000:  Type10GBaseT,
	25000:  Type25GSFP28,
	40000:  Type40GQSFPP,
	100000: Type100GQSFP28,
}

// nameTable is the seed's naming convention, used when the kernel's facts
// do not decide: first matching glob wins, no match is TypeOther.
var nameTable = []struct{ glob, typ string }{
	{"eth*", Type1000BaseT},
	{"enp*", Type1000BaseT},
	{"eno*", Type1000BaseT},
	{"ens*", Type1000BaseT},
	{"enx*", Type1000BaseT}, // USB Ethernet, named after its MAC
	{"wlan*", TypeWireless},
	{"wlp*", TypeWireless},
	{"wlx*", TypeWireless}, // USB Wi-Fi
	{"tailscale*", TypeVirtual},
	{"docker*", TypeVirtual},
	{"br-*", TypeVirtual},
	{"virbr*", TypeVirtual},
	{"veth*", TypeVirtual},
	{"wg*", TypeVirtual},
	{"tun*", TypeVirtual},
	{"tap*", TypeVirtual},
}

// TypeByName returns the type the seed's name table gives name.
func TypeByName(name string) string {
	for _, e := range nameTable {
		if ok, _ := path.Match(e.glob, name); ok {
			return e.typ
		}
	}
	return TypeOther
}

// linkFacts are what sysfs says about one interface.
type linkFacts struct {
	known     bool   // the sysfs directory was there at all
	devType   string // DEVTYPE from uevent: bridge, bond, wlan, wireguard, vlan, ...
	bridge    bool   // bridge/
	bond      bool   // bonding/
	wireless  bool   // wireless/ or phy80211
	tun       bool   // tun_flags: tun and tap devices (tailscale, OpenVPN)
	device    bool   // device link: backed by hardware (PCI, USB, virtio)
	arphrd    int    // type: 1 is Ethernet; -1 unknown
	speedMbps int    // speed; -1 unknown
	master    string // the bridge or bond it is enslaved to
}

// ARPHRD_ETHER, from <linux/if_arp.h>.
const arphrdEther = 1

// readLinkFacts reads /sys/class/net/<name>/ under sysRoot.
func readLinkFacts(sysRoot, name string) linkFacts {
	dir := filepath.Join(sysRoot, "class", "net", name)
	f := linkFacts{arphrd: -1, speedMbps: -1}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return f
	}
	f.known = true
	exists := func(p string) bool { _, err := os.Lstat(filepath.Join(dir, p)); return err == nil }
	readInt := func(p string) int {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return -1
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return -1
		}
		return n
	}
	if b, err := os.ReadFile(filepath.Join(dir, "uevent")); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVTYPE="); ok {
				f.devType = v
			}
		}
	}
	f.bridge = exists("bridge")
	f.bond = exists("bonding")
	f.wireless = exists("wireless") || exists("phy80211")
	f.tun = exists("tun_flags")
	f.device = exists("device")
	f.arphrd = readInt("type")
	if f.device {
		// Reading speed fails with EINVAL while the link is down.
		f.speedMbps = readInt("speed")
	}
	if target, err := os.Readlink(filepath.Join(dir, "master")); err == nil {
		f.master = filepath.Base(target)
	}
	return f
}

// classify picks the NetBox type: the kernel's facts first, the name table
// when they do not decide. reason says which fact decided, for reports.
func classify(name string, f linkFacts) (typ, reason string) {
	switch {
	case !f.known:
		// No sysfs entry (sys root not the host's): names are all there is.
	case f.bridge || f.devType == "bridge":
		return TypeBridge, "kernel: bridge"
	case f.bond || f.devType == "bond":
		return TypeLAG, "kernel: bond"
	case f.wireless || f.devType == "wlan":
		return TypeWireless, "kernel: wireless"
	case f.tun:
		return TypeVirtual, "kernel: tun/tap"
	case f.devType == "wireguard":
		return TypeVirtual, "kernel: wireguard"
	case !f.device:
		// veth, vlan, macvlan, vxlan, dummy...: no hardware behind it.
		return TypeVirtual, "kernel: no backing device"
	case f.arphrd == arphrdEther:
		if t, ok := typeBySpeed[f.speedMbps]; ok {
			return t, "kernel: ethernet at " + strconv.Itoa(f.speedMbps) + " Mb/s"
		}
	}
	t := TypeByName(name)
	if t == TypeOther {
		return t, "name: no rule matched"
	}
	return t, "name table"
}
