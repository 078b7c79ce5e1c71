package diff

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func newHost(platform, serial string) host.Host {
	return host.Host{
		Hostname: "web01",
		OS:       host.OS{Platform: platform},
		Hardware: host.Hardware{Serial: serial},
	}
}

func snapshot(status, platform, serial string, platforms ...record.Platform) record.Snapshot {
	d := record.Device{ID: 7, Name: "web01", Status: status, Serial: serial, Description: "keep me"}
	for _, p := range platforms {
		if p.Name == platform {
			d.Platform = &record.Ref{ID: p.ID, Name: p.Name, Slug: p.Slug}
		}
	}
	return record.Snapshot{Found: true, Device: d, Platforms: platforms}
}

var (
	ubuntu22 = record.Platform{ID: 1, Name: "Ubuntu 22.04 LTS", Slug: "ubuntu-22-04-lts"}
	ubuntu24 = record.Platform{ID: 2, Name: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts"}
)

// deviceNotes leaves out the note that these hosts have no interfaces.
func deviceNotes(p Plan) []string {
	var out []string
	for _, n := range p.Notes {
		if !strings.HasPrefix(n, "Network:") && !strings.HasPrefix(n, "Docker containers:") {
			out = append(out, n)
		}
	}
	return out
}

// row is a compact view of a change for table assertions.
func rows(p Plan) []string {
	out := []string{}
	for _, c := range p.Changes {
		out = append(out, fmt.Sprintf("%s %s.%s %q->%q", c.Action, c.ObjectType, c.Field, c.Old, c.New))
	}
	return out
}

func TestComputeDeviceAttributes(t *testing.T) {
	tests := []struct {
		name  string
		host  host.Host
		nb    record.Snapshot
		full  bool
		want  []string
		notes int
	}{
		{
			name: "in sync",
			host: newHost("Ubuntu 24.04 LTS", "SN1"),
			nb:   snapshot("active", "Ubuntu 24.04 LTS", "SN1", ubuntu22, ubuntu24),
			want: []string{},
		},
		{
			name: "platform changed to an existing platform, case-insensitive match",
			host: newHost("ubuntu 24.04 lts", "SN1"),
			nb:   snapshot("active", "Ubuntu 22.04 LTS", "SN1", ubuntu22, ubuntu24),
			want: []string{`UPDATE dcim.device.platform "Ubuntu 22.04 LTS"->"Ubuntu 24.04 LTS"`},
		},
		{
			name: "platform missing in NetBox is created first",
			host: newHost("Debian 13", "SN1"),
			nb:   snapshot("active", "Ubuntu 22.04 LTS", "SN1", ubuntu22),
			want: []string{
				`CREATE dcim.platform. ""->"Debian 13"`,
				`UPDATE dcim.device.platform "Ubuntu 22.04 LTS"->"Debian 13"`,
			},
		},
		{
			name: "status not active",
			host: newHost("Ubuntu 24.04 LTS", "SN1"),
			nb:   snapshot("planned", "Ubuntu 24.04 LTS", "SN1", ubuntu24),
			want: []string{`UPDATE dcim.device.status "planned"->"active"`},
		},
		{
			name: "serial mismatch",
			host: newHost("Ubuntu 24.04 LTS", "SN2"),
			nb:   snapshot("active", "Ubuntu 24.04 LTS", "SN1", ubuntu24),
			want: []string{`UPDATE dcim.device.serial "SN1"->"SN2"`},
		},
		{
			name:  "unknown serial and platform never overwrite NetBox",
			host:  newHost("", ""),
			nb:    snapshot("active", "Ubuntu 22.04 LTS", "SN1", ubuntu22),
			want:  []string{},
			notes: 2,
		},
		{
			name: "full mode refreshes every compared field",
			host: newHost("Ubuntu 24.04 LTS", "SN1"),
			nb:   snapshot("active", "Ubuntu 24.04 LTS", "SN1", ubuntu24),
			full: true,
			want: []string{
				`REFRESH dcim.device.platform "Ubuntu 24.04 LTS"->"Ubuntu 24.04 LTS"`,
				`REFRESH dcim.device.status "active"->"active"`,
				`REFRESH dcim.device.serial "SN1"->"SN1"`,
			},
		},
		{
			name:  "device not found: no changes, a note that says to register",
			host:  newHost("Ubuntu 24.04 LTS", "SN1"),
			nb:    record.Snapshot{},
			want:  []string{},
			notes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compute(tt.host, tt.nb, Options{Full: tt.full})
			assert.Equal(t, tt.want, rows(p))
			assert.Len(t, deviceNotes(p), tt.notes)
			assert.Equal(t, len(tt.want) == 0 || tt.full && !strings.Contains(strings.Join(tt.want, ""), "UPDATE"), p.InSync())
		})
	}
}

func TestNotFound(t *testing.T) {
	p := Compute(host.Host{Hostname: "web01.example.com"}, record.Snapshot{Similar: []string{"web01", "WEB01"}}, Options{})
	assert.False(t, p.DeviceFound)
	assert.Equal(t, []string{"web01", "WEB01"}, p.Similar)
	require.Len(t, p.Notes, 1)
	assert.Equal(t, `No device named "web01.example.com" in NetBox, but it has "web01", "WEB01": if that is this host, sync it by that name (hostname "web01", --hostname on the command line); if not, register the host first (cmdb_register, or cmdb-mcp register on the host), then sync.`, p.Notes[0])

	p = Compute(host.Host{Hostname: "web01"}, record.Snapshot{}, Options{})
	assert.Nil(t, p.Similar)
	assert.Equal(t, []string{`No device named "web01" in NetBox: register the host first (cmdb_register, or cmdb-mcp register on the host), then sync.`}, p.Notes)
}

func TestComputeNewPlatformLinksCreateAndUpdate(t *testing.T) {
	taken := record.Platform{ID: 9, Name: "Debian-13", Slug: "debian-13"}
	p := Compute(newHost("Debian 13", ""), snapshot("active", "", "", taken), Options{})
	require.Len(t, p.Changes, 2)
	create, update := p.Changes[0], p.Changes[1]
	assert.Equal(t, "debian-13-2", create.Slug, "slug must not collide with an existing one")
	assert.Equal(t, create.Key, update.NewKey)
	assert.Zero(t, update.NewID)
	assert.Equal(t, Summary{Updates: 1, Creates: 1}, p.Summary())
}

func TestSlugify(t *testing.T) {
	tests := map[string]string{
		"Ubuntu 24.04 LTS":         "ubuntu-24-04-lts",
		"Raspberry Pi OS 12":       "raspberry-pi-os-12",
		"  Fedora Linux  41 ":      "fedora-linux-41",
		"Arch_Linux":               "arch_linux",
		"!!!":                      "platform",
		"Ünïcödé OS":               "n-c-d-os",
		strings.Repeat("abc ", 40): strings.TrimRight(Slugify(strings.Repeat("abc ", 40)), "-"),
	}
	for in, want := range tests {
		got := Slugify(in)
		assert.Equal(t, want, got, in)
		assert.Regexp(t, `^[-a-zA-Z0-9_]+$`, got)
		assert.LessOrEqual(t, len(got), 100)
	}
}

func TestFingerprintMovesWithTheState(t *testing.T) {
	h := newHost("Ubuntu 24.04 LTS", "SN1")
	base := snapshot("active", "Ubuntu 22.04 LTS", "SN1", ubuntu22, ubuntu24)
	fp := Fingerprint(h, base)
	assert.Equal(t, fp, Fingerprint(h, base), "deterministic")

	moved := base
	moved.Device.Status = "offline"
	assert.NotEqual(t, fp, Fingerprint(h, moved))

	edited := base
	edited.Device.LastUpdated = "2026-11-25T10:00:00Z"
	assert.NotEqual(t, fp, Fingerprint(h, edited))

	unrelated := base
	unrelated.Platforms = append([]record.Platform{{ID: 50, Name: "FreeBSD 14", Slug: "freebsd-14"}}, base.Platforms...)
	assert.Equal(t, fp, Fingerprint(h, unrelated), "a platform the plan does not use must not make it stale")
}

// applyInMemory is a model of what apply does to NetBox, for property tests:
// it lets the differ be checked for convergence without any I/O.
func applyInMemory(t *rapid.T, nb record.Snapshot, p Plan) record.Snapshot {
	created := map[string]record.Platform{}
	platforms := append([]record.Platform(nil), nb.Platforms...)
	dev := nb.Device
	for _, c := range p.Changes {
		switch {
		case c.ObjectType == ObjectPlatform && c.Action == ActionCreate:
			np := record.Platform{ID: int64(1000 + len(platforms)), Name: c.New, Slug: c.Slug}
			for _, q := range platforms {
				if q.Slug == np.Slug {
					t.Fatalf("plan creates platform slug %q that exists", np.Slug)
				}
			}
			platforms = append(platforms, np)
			created[c.Key] = np
		case c.ObjectType == ObjectDevice && c.Field == "platform":
			id, name := c.NewID, c.New
			if c.NewKey != "" {
				np, ok := created[c.NewKey]
				if !ok {
					t.Fatalf("change refers to key %q that no earlier change creates", c.NewKey)
				}
				id, name = np.ID, np.Name
			}
			dev.Platform = &record.Ref{ID: id, Name: name}
		case c.ObjectType == ObjectDevice && c.Field == "status":
			dev.Status = c.New
		case c.ObjectType == ObjectDevice && c.Field == "serial":
			dev.Serial = c.New
		default:
			t.Fatalf("unexpected change %+v", c)
		}
	}
	return record.Snapshot{Found: nb.Found, Device: dev, Platforms: platforms}
}

func genPlatformName() *rapid.Generator[string] {
	return rapid.SampledFrom([]string{"", "Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS", "ubuntu 24.04 lts", "Debian 12", "Debian-12", "Raspberry Pi OS 12", "Fedora Linux 41"})
}

func TestPropertyDiffApplyDiffConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var platforms []record.Platform
		seen := map[string]bool{}
		for i, n := range rapid.SliceOfN(genPlatformName(), 0, 5).Draw(t, "platforms") {
			if n == "" || seen[strings.ToLower(n)] || seen[Slugify(n)] {
				continue
			}
			seen[strings.ToLower(n)], seen[Slugify(n)] = true, true
			platforms = append(platforms, record.Platform{ID: int64(i + 1), Name: n, Slug: Slugify(n)})
		}
		nb := snapshot(
			rapid.SampledFrom([]string{"active", "offline", "planned", "staged", "failed", "inventory", "decommissioning"}).Draw(t, "status"),
			genPlatformName().Draw(t, "nbPlatform"),
			rapid.SampledFrom([]string{"", "SN1", "SN2"}).Draw(t, "nbSerial"),
			platforms...)
		h := newHost(genPlatformName().Draw(t, "hostPlatform"), rapid.SampledFrom([]string{"", "SN1", "SN2"}).Draw(t, "hostSerial"))
		full := rapid.Bool().Draw(t, "full")

		p := Compute(h, nb, Options{Full: full})
		assert.Equal(t, p, Compute(h, nb, Options{Full: full}), "deterministic")
		for _, c := range p.Changes {
			if c.Field == "description" {
				t.Fatalf("description is never touched: %+v", c)
			}
			if c.Field == "serial" && h.Hardware.Serial == "" || c.Field == "platform" && h.OS.Platform == "" {
				t.Fatalf("an unknown host fact overwrote NetBox: %+v", c)
			}
		}
		if !full {
			fullPlan := Compute(h, nb, Options{Full: true})
			assert.GreaterOrEqual(t, len(fullPlan.Changes), len(p.Changes), "full mode plans at least what default mode plans")
		}

		after := applyInMemory(t, nb, p)
		again := Compute(h, after, Options{})
		if !again.InSync() || len(again.Changes) != 0 {
			t.Fatalf("diff -> apply -> diff is not empty: %v", rows(again))
		}
		assert.Equal(t, "keep me", after.Device.Description)
	})
}

func TestFingerprintCoversWhatThePlanTouches(t *testing.T) {
	h := newHost("Ubuntu 24.04 LTS", "SN1")
	base := snapshot("active", "Ubuntu 24.04 LTS", "SN1", ubuntu24)
	base.Interfaces = []record.Interface{{ID: 1, Name: "eth0", Type: "1000base-t", Enabled: true}, {ID: 2, Name: "eth1", Type: "1000base-t", Enabled: true}}
	base.IPs = []record.IPAddress{{ID: 5, Address: "192.0.2.1/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 1}}
	base.VMs = []record.VirtualMachine{{ID: 9, Name: "db", Status: "active", ClusterID: 3}}
	fp := Fingerprint(h, base)

	reordered := base
	reordered.Interfaces = []record.Interface{base.Interfaces[1], base.Interfaces[0]}
	assert.Equal(t, fp, Fingerprint(h, reordered), "NetBox's list order is not state")

	for name, edit := range map[string]func(s *record.Snapshot){
		"interface disabled": func(s *record.Snapshot) {
			s.Interfaces = []record.Interface{{ID: 1, Name: "eth0", Type: "1000base-t"}, base.Interfaces[1]}
		},
		"IP moved": func(s *record.Snapshot) {
			s.IPs = []record.IPAddress{{ID: 5, Address: "192.0.2.1/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 2}}
		},
		"VM stopped": func(s *record.Snapshot) {
			s.VMs = []record.VirtualMachine{{ID: 9, Name: "db", Status: "offline", ClusterID: 3}}
		},
		"primary set": func(s *record.Snapshot) { s.Device.PrimaryIP4 = &record.Ref{ID: 5, Name: "192.0.2.1/24"} },
	} {
		moved := base
		edit(&moved)
		assert.NotEqual(t, fp, Fingerprint(h, moved), name)
	}
}

func TestContainerScope(t *testing.T) {
	h := newHost("", "")
	h.Containers = host.Containers{Available: true, Containers: []host.Container{
		{Name: "app", Image: "app:1", Running: true, Role: "Container"},
		{Name: "ci-test-1", Image: "busybox", Running: true, Role: "Container"},
	}}
	nb := snapshot("active", "", "")
	nb.ClusterType = &record.ClusterType{ID: 1, Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}
	nb.ClusterGroup = &record.ClusterGroup{ID: 2}
	nb.Clusters = []record.Cluster{{ID: 3, Name: record.StandaloneClusterName}}
	nb.Roles = []record.DeviceRole{{ID: 4, Name: "Container"}}
	nb.VMs = []record.VirtualMachine{{ID: 5, Name: "ci-old", Status: "active", ClusterID: 3}}
	p := Compute(h, nb, Options{ContainerInScope: func(n string) bool { return !strings.HasPrefix(n, "ci-") }})
	var objects []string
	for _, c := range p.Changes {
		if c.Section == SectionContainers {
			objects = append(objects, string(c.Action)+" "+c.Object)
		}
	}
	assert.Equal(t, []string{"CREATE app"}, objects, "ci-* containers and VMs are out of scope")
}

// Routes that could not be read leave the primary IPs uncompared, with a
// note that says why; NetBox's primary is kept.
func TestPrimaryIPsWithRoutesUnknown(t *testing.T) {
	eth0 := host.Interface{Name: "eth0", Type: "1000base-t", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}
	nb := record.Snapshot{Found: true, Device: record.Device{ID: 1, Name: "web01", Status: "active", PrimaryIP4: &record.Ref{ID: 5, Name: "192.0.2.10/24"}},
		Interfaces: []record.Interface{{ID: 2, DeviceID: 1, Name: "eth0", Type: "1000base-t", Enabled: true}},
		IPs:        []record.IPAddress{{ID: 5, Address: "192.0.2.10/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 2, DeviceID: 1}}}
	h := host.Host{Hostname: "web01", Network: host.Network{Interfaces: []host.Interface{eth0}, RoutesUnknown: "/host/proc/net/route: no such file (is /host/proc the host's /proc?)"}}
	p := Compute(h, nb, Options{})
	for _, c := range p.Changes {
		assert.NotEqual(t, FieldPrimaryIP4, c.Field, "the primary was compared: %+v", c)
	}
	assert.Contains(t, p.Notes, "Primary IPs: not compared, since this host's default routes are unknown (/host/proc/net/route: no such file (is /host/proc the host's /proc?)); NetBox's primary IPs are kept.")

	h.Network.RoutesUnknown = ""
	for _, n := range Compute(h, nb, Options{}).Notes {
		assert.NotContains(t, n, "Primary IPs")
	}
}
