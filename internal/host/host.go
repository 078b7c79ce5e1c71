// Package host holds cmdb-mcp's own picture of the machine it runs on, as
// discovery found it: its name, operating system and hardware identity, its
// network interfaces, addresses and default routes, and its Docker
// containers. It is the border between discovery, which fills these types
// from the kernel, /proc, /sys, /etc and the Docker Engine API, and the
// differ and the report, which only read them; it imports nothing of the
// project's and does no I/O.
//
// A fact that could not be read is the empty string (or zero), which means
// "unknown": the differ never lets an unknown overwrite a value NetBox has.
package host

import "net/netip"

// Host is one discovered snapshot of this machine.
type Host struct {
	Hostname string   `json:"hostname"`
	OS       OS       `json:"os"`
	Hardware Hardware `json:"hardware"`
	// Network is the interfaces, their addresses and the default routes.
	Network Network `json:"network"`
	// Containers are the Docker containers, running and stopped; when
	// Docker cannot be reached, Available is false with the reason.
	Containers Containers `json:"containers"`
	// Notes are short human-readable remarks about facts that could not be
	// read ("serial: /sys/class/dmi/id/product_serial: permission denied").
	// Remarks about single network facts are in Network.Notes; a failed
	// interface listing is noted here ("network: ...").
	Notes []string `json:"notes,omitempty"`
}

// OS describes the operating system, read from os-release.
type OS struct {
	ID         string `json:"id"`      // os-release ID: ubuntu, debian, raspbian, ...
	Name       string `json:"name"`    // os-release NAME
	Version    string `json:"version"` // os-release VERSION_ID
	PrettyName string `json:"pretty_name"`
	Codename   string `json:"codename,omitempty"`
	// Platform is the NetBox platform name following the seed's naming table,
	// e.g. "Ubuntu 24.04 LTS", "Debian 12", "Raspberry Pi OS 12".
	Platform string `json:"platform"`
	Kernel   string `json:"kernel,omitempty"`
	Arch     string `json:"arch,omitempty"`
}

// Hardware is the machine's identity and size.
type Hardware struct {
	Serial       string `json:"serial"`
	Model        string `json:"model"`
	Manufacturer string `json:"manufacturer"`
	CPUs         int    `json:"cpus"`         // logical CPUs
	MemoryMB     int64  `json:"memory_mb"`    // MiB, rounded
	RootDiskGB   int64  `json:"root_disk_gb"` // GiB of the root filesystem, rounded
}

// Interface is one network interface other than loopback.
type Interface struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	// Type is the NetBox interface type value, e.g. "1000base-t", "virtual".
	Type string `json:"type"`
	// TypeReason says which fact decided Type ("kernel: bridge", "name table").
	TypeReason string `json:"type_reason"`
	// MAC is lower-case and colon-separated; "" when the interface has none
	// (tun, WireGuard) or it is not EUI-48.
	MAC string `json:"mac,omitempty"`
	MTU int    `json:"mtu"`
	// AdminUp is IFF_UP: the interface is enabled.
	AdminUp bool `json:"admin_up"`
	// OperState is the kernel's RFC 2863 state (up, down, lowerlayerdown,
	// dormant, unknown, ...); "" when sysfs could not be read.
	OperState string `json:"oper_state"`
	// Master is the bridge or bond this interface is a port of.
	Master string `json:"master,omitempty"`
	// IPv4 and IPv6 are the addresses with their prefix lengths, in the
	// kernel's order. IPv6 leaves out privacy (temporary) addresses, which
	// rotate daily, duplicates that failed DAD, and link-local addresses
	// unless Options.IncludeLinkLocal.
	IPv4 []netip.Prefix `json:"ipv4,omitempty"`
	IPv6 []netip.Prefix `json:"ipv6,omitempty"`
	// DockerManaged marks a bridge Docker created (docker0, br-<network id>).
	// Its addresses exist on every Docker host (172.17.0.1/16), so callers
	// leave them out by default.
	DockerManaged bool `json:"docker_managed,omitempty"`
}

// Network is what network discovery found.
type Network struct {
	Interfaces []Interface `json:"interfaces"`
	// DefaultIPv4 and DefaultIPv6 are the default routes the kernel uses.
	DefaultIPv4 *Route `json:"default_ipv4,omitempty"`
	DefaultIPv6 *Route `json:"default_ipv6,omitempty"`
	// PrimaryIPv4 and PrimaryIPv6 are the candidates for the device's primary
	// IPs: the first global address of the default route's interface.
	PrimaryIPv4 netip.Prefix `json:"primary_ipv4,omitzero"`
	PrimaryIPv6 netip.Prefix `json:"primary_ipv6,omitzero"`
	// RoutesUnknown says why the default routes could not be read (no
	// IPv4 route table where one must be: a HOST_PROC that is not the
	// host's /proc, say); the primary IPs are then unknown, not absent.
	RoutesUnknown string `json:"routes_unknown,omitempty"`
	// Notes are short remarks about facts that could not be read or used.
	Notes []string `json:"notes,omitempty"`
}

// Interface returns the reported interface named name.
func (n Network) Interface(name string) (Interface, bool) {
	for _, i := range n.Interfaces {
		if i.Name == name {
			return i, true
		}
	}
	return Interface{}, false
}

// Route flags from <linux/route.h> and <linux/ipv6_route.h>.
const (
	RouteUp      = 0x0001 // RTF_UP
	RouteGateway = 0x0002 // RTF_GATEWAY
	RouteReject  = 0x0200 // RTF_REJECT: unreachable, e.g. IPv6's ::/0 on lo
)

// Route is one line of /proc/net/route or /proc/net/ipv6_route.
type Route struct {
	Interface   string       `json:"interface"`
	Destination netip.Prefix `json:"destination"`
	// Gateway is the next hop; the zero Addr for an on-link route.
	Gateway netip.Addr `json:"gateway,omitzero"`
	Metric  uint32     `json:"metric"`
	Flags   uint32     `json:"flags"`
}

// IsDefault reports whether r is a usable default route.
func (r Route) IsDefault() bool {
	return r.Destination.IsValid() && r.Destination.Bits() == 0 &&
		r.Flags&RouteUp != 0 && r.Flags&RouteReject == 0 && r.Interface != ""
}

// Container is one Docker container as the sync sees it.
type Container struct {
	ID    string `json:"id"`
	Name  string `json:"name"`  // without Docker's leading "/"
	Image string `json:"image"` // the reference the container was created from, e.g. "postgres:16"
	// State is Docker's: created, running, paused, restarting, removing,
	// exited or dead.
	State string `json:"state"`
	// Running is true only in state "running": a paused or restarting
	// container is not serving.
	Running        bool   `json:"running"`
	ComposeProject string `json:"compose_project,omitempty"`
	ComposeService string `json:"compose_service,omitempty"`
	// VCPUs is the CPU limit (--cpus, --cpu-quota/--cpu-period, or the size
	// of --cpuset-cpus, the smallest of those set); 0 means no limit, unknown.
	VCPUs float64 `json:"vcpus"`
	// MemoryMB is the memory limit (-m) in MiB; 0 means no limit, unknown.
	MemoryMB int64  `json:"memory_mb"`
	Role     string `json:"role"`
}

// Containers is what container discovery found.
type Containers struct {
	// Available is false when Docker could not be asked at all; Reason then
	// says why, as "Docker not available (...)".
	Available  bool        `json:"available"`
	Reason     string      `json:"reason,omitempty"`
	Containers []Container `json:"containers"` // sorted by name
	// Notes are short remarks about containers whose details could not be
	// read; such a container is still listed, with its size unknown.
	Notes []string `json:"notes,omitempty"`
}
