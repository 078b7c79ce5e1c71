package main

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted/hostiletest"
)

func TestPrintHost(t *testing.T) {
	p := netip.MustParsePrefix
	h := host.Host{
		Hostname: "homelab",
		OS:       host.OS{PrettyName: "Ubuntu 24.04.1 LTS", Platform: "Ubuntu 24.04 LTS", Kernel: "6.8.0", Arch: "x86_64"},
		Hardware: host.Hardware{Manufacturer: "Dell Inc.", Model: "OptiPlex 7050", Serial: "ABC123", CPUs: 4, MemoryMB: 16000, RootDiskGB: 238},
		Network: host.Network{
			Interfaces: []host.Interface{
				{Name: "eth0", Type: "1000base-t", MAC: "aa:bb:cc:11:11:11", AdminUp: true, OperState: "up",
					IPv4: []netip.Prefix{p("192.168.1.150/24"), p("192.168.1.151/24")}, IPv6: []netip.Prefix{p("2001:db8::5/64")}},
				{Name: "eth1", Type: "1000base-t", MAC: "aa:bb:cc:22:22:22", AdminUp: true, OperState: "down"},
				{Name: "tailscale0", Type: "virtual", AdminUp: true, OperState: "unknown", IPv4: []netip.Prefix{p("100.101.102.103/32")}},
				{Name: "wlan0", Type: "ieee802.11ax", MAC: "aa:bb:cc:33:33:33"},
			},
			DefaultIPv4: &host.Route{Interface: "eth0", Destination: p("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.168.1.1")},
			DefaultIPv6: &host.Route{Interface: "eth0", Destination: p("::/0")},
			PrimaryIPv4: p("192.168.1.150/24"),
			PrimaryIPv6: p("2001:db8::5/64"),
			Notes:       []string{"wlan0: speed unknown"},
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: "db", Image: "postgres:16", State: "exited", Role: "Database"},
			{Name: "media_lidarr", Image: "linuxserver/lidarr", State: "running", Running: true, ComposeProject: "media", Role: "Container", VCPUs: 1.5, MemoryMB: 512},
		}},
		Notes: []string{"Serial: no DMI"},
	}
	var out bytes.Buffer
	printHost(&out, h)
	assert.Equal(t, `Hostname:  homelab
OS:        Ubuntu 24.04.1 LTS (kernel 6.8.0, x86_64)
Platform:  Ubuntu 24.04 LTS
Hardware:  Dell Inc. OptiPlex 7050, serial ABC123
Size:      4 CPUs, 16000 MB memory, 238 GB root disk

Interfaces (4):
  eth0        1000base-t    aa:bb:cc:11:11:11  up                192.168.1.150/24 (primary), 192.168.1.151/24, 2001:db8::5/64 (primary)
  eth1        1000base-t    aa:bb:cc:22:22:22  enabled, down
  tailscale0  virtual       -                  enabled, unknown  100.101.102.103/32
  wlan0       ieee802.11ax  aa:bb:cc:33:33:33  disabled
Default route 0.0.0.0/0: eth0 via 192.168.1.1
Default route ::/0: eth0 on link

Containers (2):
  db            exited   standalone     no limits          Database   postgres:16
  media_lidarr  running  compose media  1.5 vCPUs, 512 MB  Container  linuxserver/lidarr

Notes:
  - Serial: no DMI
  - wlan0: speed unknown
`, out.String())

	tests := []struct {
		name       string
		containers host.Containers
		want       string
	}{
		{"docker unreachable", host.Containers{Reason: "Docker not available (no socket)"}, "\nContainers: Docker not available (no socket)\n"},
		{"no containers", host.Containers{Available: true}, "\nContainers: none\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h
			h.Containers = tt.containers
			var out bytes.Buffer
			printHost(&out, h)
			assert.Contains(t, out.String(), tt.want)
		})
	}
}

// The CLI's text shows the host's and NetBox's values as text: hostile
// ones add no line and send no control sequence to the terminal.
func TestCLITextHostileValues(t *testing.T) {
	hostFields := map[string]func(h *host.Host, v string){
		"hostname":        func(h *host.Host, v string) { h.Hostname = v },
		"serial":          func(h *host.Host, v string) { h.Hardware.Serial = v },
		"interface name":  func(h *host.Host, v string) { h.Network.Interfaces[0].Name = v },
		"interface type":  func(h *host.Host, v string) { h.Network.Interfaces[0].Type = v },
		"container name":  func(h *host.Host, v string) { h.Containers.Containers[0].Name = v },
		"container image": func(h *host.Host, v string) { h.Containers.Containers[0].Image = v },
		"compose project": func(h *host.Host, v string) { h.Containers.Containers[0].ComposeProject = v },
		"note":            func(h *host.Host, v string) { h.Notes = []string{v} },
	}
	render := func(set func(*host.Host, string), v string) string {
		h := host.Host{
			Network:    host.Network{Interfaces: []host.Interface{{Name: "eth0", Type: "virtual", AdminUp: true}}},
			Containers: host.Containers{Available: true, Containers: []host.Container{{Name: "db", Image: "postgres:16", State: "running"}}},
			Notes:      []string{"n"},
		}
		set(&h, v)
		var out bytes.Buffer
		printHost(&out, h)
		return out.String()
	}
	applyFields := map[string]func(c *appliedLine, v string){
		"object":  func(c *appliedLine, v string) { c.change.Object = v },
		"old":     func(c *appliedLine, v string) { c.change.Old = v },
		"message": func(c *appliedLine, v string) { c.message = v },
	}
	renderApply := func(set func(*appliedLine, string), v string) string {
		c := appliedLine{outcome: "failed", change: report.Change{Action: "UPDATE", ObjectType: "dcim.interface", Object: "eth0", Field: "type", Old: "a", New: "b"}, message: "m"}
		set(&c, v)
		var out bytes.Buffer
		printApplied(&out, appliedCounts{failed: 1, journalErr: v}, []appliedLine{c})
		return out.String()
	}
	check := func(t *testing.T, benign, out string) {
		assert.Equal(t, strings.Count(benign, "\n"), strings.Count(out, "\n"), "%s", out)
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				t.Fatalf("a raw %U in %q", r, out)
			}
		}
	}
	for field, set := range hostFields {
		benign := render(set, hostiletest.Benign)
		for name, v := range hostiletest.Texts {
			t.Run("discover/"+field+"/"+name, func(t *testing.T) { check(t, benign, render(set, v)) })
		}
	}
	for field, set := range applyFields {
		benign := renderApply(set, hostiletest.Benign)
		for name, v := range hostiletest.Texts {
			t.Run("apply/"+field+"/"+name, func(t *testing.T) { check(t, benign, renderApply(set, v)) })
		}
	}
}
