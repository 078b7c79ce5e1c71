// Package discovery finds out what the host it runs on is: its name, its
// operating system, its hardware identity, and (in later issues) its network
// interfaces and Docker containers.
//
// A fact that cannot be read is left as the empty string (or zero), which
// means "unknown": the differ never lets an unknown overwrite a value NetBox
// already has.
package discovery

import (
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
)

// Host is one discovered snapshot of this machine.
type Host struct {
	Hostname string   `json:"hostname"`
	OS       OS       `json:"os"`
	Hardware Hardware `json:"hardware"`
	// Network is the interfaces, their addresses and the default routes.
	Network netif.Network `json:"network"`
	// Containers are the Docker containers, running and stopped; when
	// Docker cannot be reached, Available is false with the reason.
	Containers containers.Result `json:"containers"`
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
