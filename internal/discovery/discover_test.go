package discovery

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// fixture returns Options pointing at testdata/<name>.
func fixture(t *testing.T, name string) Options {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", name))
	require.NoError(t, err)
	return Options{
		ProcRoot: filepath.Join(root, "proc"),
		SysRoot:  filepath.Join(root, "sys"),
		EtcRoot:  filepath.Join(root, "etc"),
		HostRoot: root,
	}
}

// noNetwork stands in for interface discovery, which reads the kernel of
// the machine running the tests rather than the fixture's files.
func noNetwork(context.Context, netif.Options) (host.Network, error) {
	return host.Network{}, nil
}

// writeTree makes a fixture root from path -> content.
func writeTree(t *testing.T, files map[string]string) Options {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	return Options{
		ProcRoot: filepath.Join(root, "proc"),
		SysRoot:  filepath.Join(root, "sys"),
		EtcRoot:  filepath.Join(root, "etc"),
		HostRoot: root,
	}
}

func TestDiscoverFixtures(t *testing.T) {
	tests := []struct {
		fixture  string
		hostname string
		os       host.OS // Kernel and Arch come from the running kernel
		hw       host.Hardware
		notes    []string // substrings, one per expected note
	}{
		{
			fixture:  "ubuntu-24.04",
			hostname: "r640-01",
			os:       host.OS{ID: "ubuntu", Name: "Ubuntu", Version: "24.04", PrettyName: "Ubuntu 24.04.1 LTS", Codename: "noble", Platform: "Ubuntu 24.04 LTS"},
			hw:       host.Hardware{Serial: "7XJ4K53", Model: "PowerEdge R640", Manufacturer: "Dell Inc.", CPUs: 16, MemoryMB: 64000},
		},
		{
			// os-release only under usr/lib (etc/os-release is a relative
			// symlink); DMI holds placeholders only.
			fixture:  "debian-12",
			hostname: "minipc",
			os:       host.OS{ID: "debian", Name: "Debian GNU/Linux", Version: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)", Codename: "bookworm", Platform: "Debian 12"},
			hw:       host.Hardware{CPUs: 4, MemoryMB: 7834},
		},
		{
			fixture:  "raspberry-pi",
			hostname: "pi4",
			os:       host.OS{ID: "debian", Name: "Debian GNU/Linux", Version: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)", Codename: "bookworm", Platform: "Raspberry Pi OS 12"},
			hw:       host.Hardware{Serial: "10000000a1b2c3d4", Model: "Raspberry Pi 4 Model B Rev 1.4", Manufacturer: "Raspberry Pi", CPUs: 4, MemoryMB: 3794},
		},
		{
			fixture: "minimal",
			notes:   []string{"hostname: ", "os-release: ", "cpus: ", "memory: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			h, err := Discoverer{Options: fixture(t, tt.fixture), network: noNetwork}.Discover(t.Context())
			require.NoError(t, err)

			if tt.hostname == "" {
				// Nothing to read: the name falls back to this machine's.
				want, err := os.Hostname()
				require.NoError(t, err)
				tt.hostname = want
			}
			assert.Equal(t, tt.hostname, h.Hostname)

			assert.NotEmpty(t, h.OS.Kernel)
			assert.NotEmpty(t, h.OS.Arch)
			h.OS.Kernel, h.OS.Arch = "", ""
			assert.Equal(t, tt.os, h.OS)

			assert.Positive(t, h.Hardware.RootDiskGB, "statfs of the fixture root")
			h.Hardware.RootDiskGB = 0
			assert.Equal(t, tt.hw, h.Hardware)

			require.Len(t, h.Notes, len(tt.notes), "notes: %q", h.Notes)
			for i, want := range tt.notes {
				assert.Contains(t, h.Notes[i], want)
			}
		})
	}
}

func TestDiscoverNotesUnreadableFacts(t *testing.T) {
	opts := fixture(t, "ubuntu-24.04")
	serial := filepath.Join(opts.SysRoot, "class", "dmi", "id", "product_serial")
	d := Discoverer{
		Options: opts,
		network: noNetwork,
		// Tests run as root, who may read product_serial; a user may not.
		readFile: func(name string) ([]byte, error) {
			if name == serial {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
			}
			return os.ReadFile(name)
		},
	}
	h, err := d.Discover(t.Context())
	require.NoError(t, err)
	assert.Empty(t, h.Hardware.Serial)
	assert.Equal(t, "PowerEdge R640", h.Hardware.Model, "other facts still read")
	assert.Equal(t, []string{"serial: " + serial + ": permission denied"}, h.Notes)
}

func TestDiscoverReadErrorThatIsNotAbsence(t *testing.T) {
	// A directory where a file should be reads as "is a directory", which
	// root gets too.
	opts := writeTree(t, map[string]string{
		"etc/hostname":                      "box\n",
		"sys/class/dmi/id/product_serial/x": "",
		"sys/class/dmi/id/product_name":     "Box\n",
		"sys/class/dmi/id/sys_vendor":       "Maker\n",
		"proc/cpuinfo":                      "processor : 0\n",
		"proc/meminfo":                      "MemTotal: 1048576 kB\n",
		"etc/os-release":                    "ID=x\n",
	})
	h, err := Discoverer{Options: opts, network: noNetwork}.Discover(t.Context())
	require.NoError(t, err)
	assert.Equal(t, host.Hardware{Model: "Box", Manufacturer: "Maker", CPUs: 1, MemoryMB: 1024, RootDiskGB: h.Hardware.RootDiskGB}, h.Hardware)
	require.Len(t, h.Notes, 1)
	assert.Contains(t, h.Notes[0], "serial: ")
	assert.Contains(t, h.Notes[0], "is a directory")
}

func TestDiscoverRaspberryPiVariants(t *testing.T) {
	const piCPUInfo = "processor\t: 0\n\nprocessor\t: 1\n\nHardware\t: BCM2835\nSerial\t\t: 00000000c0ffee42\nModel\t\t: Raspberry Pi 3 Model B Plus Rev 1.3\n"
	tests := []struct {
		name     string
		files    map[string]string
		platform string
		hw       host.Hardware
	}{
		{
			name: "32-bit raspbian, serial only in cpuinfo",
			files: map[string]string{
				"etc/os-release":                     "ID=raspbian\nID_LIKE=debian\nNAME=\"Raspbian GNU/Linux\"\nVERSION_ID=\"11\"\n",
				"sys/firmware/devicetree/base/model": "Raspberry Pi 3 Model B Plus Rev 1.3\x00",
				"proc/cpuinfo":                       piCPUInfo,
			},
			platform: "Raspberry Pi OS 11",
			hw:       host.Hardware{Serial: "00000000c0ffee42", Model: "Raspberry Pi 3 Model B Plus Rev 1.3", Manufacturer: "Raspberry Pi", CPUs: 2},
		},
		{
			name: "device tree only under proc",
			files: map[string]string{
				"etc/os-release":                 "ID=debian\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n",
				"etc/rpi-issue":                  "Raspberry Pi reference\n",
				"proc/device-tree/model":         "Raspberry Pi 5 Model B Rev 1.0\x00",
				"proc/device-tree/serial-number": "b1c2d3e4f5a6b7c8\x00",
				"proc/cpuinfo":                   "processor : 0\n",
			},
			platform: "Raspberry Pi OS 12",
			hw:       host.Hardware{Serial: "b1c2d3e4f5a6b7c8", Model: "Raspberry Pi 5 Model B Rev 1.0", Manufacturer: "Raspberry Pi", CPUs: 1},
		},
		{
			name: "no device tree, model and serial from cpuinfo",
			files: map[string]string{
				"etc/os-release": "ID=debian\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n",
				"proc/cpuinfo":   piCPUInfo,
			},
			platform: "Debian 12", // plain Debian on a Pi: no rpi-issue, no hint
			hw:       host.Hardware{Serial: "00000000c0ffee42", Model: "Raspberry Pi 3 Model B Plus Rev 1.3", Manufacturer: "Raspberry Pi", CPUs: 2},
		},
		{
			name: "other ARM board: cpuinfo serial not trusted",
			files: map[string]string{
				"etc/os-release":                     "ID=debian\nVERSION_ID=\"12\"\n",
				"sys/firmware/devicetree/base/model": "Radxa ROCK 5B\x00",
				"proc/cpuinfo":                       "processor : 0\nSerial : 1234abcd\n",
			},
			platform: "Debian 12",
			hw:       host.Hardware{Model: "Radxa ROCK 5B", CPUs: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["proc/meminfo"] = "MemTotal: 0 kB\n"
			tt.files["etc/hostname"] = "pi\n"
			h, err := Discoverer{Options: writeTree(t, tt.files), network: noNetwork}.Discover(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tt.platform, h.OS.Platform)
			h.Hardware.RootDiskGB = 0
			assert.Equal(t, tt.hw, h.Hardware)
			assert.Empty(t, h.Notes)
		})
	}
}

func TestDiscoverAbsoluteOSReleaseSymlinkUnderMountedEtc(t *testing.T) {
	// Some hosts link /etc/os-release to /usr/lib/os-release with an absolute
	// target; read from a container it must resolve under the host's root,
	// not the container's.
	opts := writeTree(t, map[string]string{
		"usr/lib/os-release": "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION=\"24.04 LTS\"\n",
		"etc/hostname":       "h\n",
	})
	require.NoError(t, os.Symlink("/usr/lib/os-release", filepath.Join(opts.EtcRoot, "os-release")))
	h, err := Discoverer{Options: opts, network: noNetwork}.Discover(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "Ubuntu 24.04 LTS", h.OS.Platform)
}

func TestDiscoverHostname(t *testing.T) {
	opts := fixture(t, "ubuntu-24.04")
	opts.Hostname = "override.example"
	h, err := Discoverer{Options: opts, network: noNetwork}.Discover(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "override.example", h.Hostname)

	opts = writeTree(t, map[string]string{"etc/hostname": "# only a comment\n\n"})
	h, err = Discoverer{Options: opts, network: noNetwork}.Discover(t.Context())
	require.NoError(t, err)
	own, _ := os.Hostname()
	assert.Equal(t, own, h.Hostname)
	assert.Contains(t, strings.Join(h.Notes, "\n"), "hostname: "+filepath.Join(opts.EtcRoot, "hostname")+" is empty")
}

func TestDiscoverNetwork(t *testing.T) {
	opts := fixture(t, "ubuntu-24.04")
	opts.Network.Include = []string{"en*"}
	var got netif.Options
	want := host.Network{Interfaces: []host.Interface{{Name: "eno1", Type: netif.Type1000BaseT}}}
	d := Discoverer{Options: opts, network: func(_ context.Context, o netif.Options) (host.Network, error) {
		got = o
		return want, nil
	}}
	h, err := d.Discover(t.Context())
	require.NoError(t, err)
	assert.Equal(t, want, h.Network)
	assert.Equal(t, netif.Options{SysRoot: opts.SysRoot, ProcRoot: opts.ProcRoot, Include: []string{"en*"}}, got,
		"the host's roots reach interface discovery")

	d.network = func(context.Context, netif.Options) (host.Network, error) {
		return host.Network{}, errors.New("list network interfaces: netlink: boom")
	}
	h, err = d.Discover(t.Context())
	require.NoError(t, err, "a failed listing costs the network facts, not the host")
	assert.Equal(t, []string{"network: list network interfaces: netlink: boom"}, h.Notes)

	opts.Network.Exclude = []string{"[bad"}
	_, err = Discoverer{Options: opts}.Discover(t.Context())
	assert.ErrorContains(t, err, `"[bad"`)
}

func TestDiscoverCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Discoverer{}.Discover(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	assert.Equal(t, Options{
		ProcRoot: "/proc", SysRoot: "/sys", EtcRoot: "/etc", HostRoot: "/",
		Network: netif.Options{SysRoot: "/sys", ProcRoot: "/proc"},
	}, OptionsFromEnv(getenv))

	env = map[string]string{"HOST_PROC": "/host/proc/", "HOST_SYS": "/host/sys", "HOST_ETC": "/host/etc", "HOST_ROOT": "/host"}
	assert.Equal(t, Options{
		ProcRoot: "/host/proc", SysRoot: "/host/sys", EtcRoot: "/host/etc", HostRoot: "/host",
		Network: netif.Options{SysRoot: "/host/sys", ProcRoot: "/host/proc"},
	}, OptionsFromEnv(getenv))
}

// TestDiscoverThisMachine runs discovery for real on whatever runs the tests.
func TestDiscoverThisMachine(t *testing.T) {
	h, err := Discoverer{Options: OptionsFromEnv(os.Getenv)}.Discover(t.Context())
	require.NoError(t, err)
	t.Logf("discovered: %+v", h)
	assert.NotEmpty(t, h.Hostname)
	assert.NotEmpty(t, h.OS.Platform)
	assert.NotEmpty(t, h.OS.Kernel)
	assert.NotEmpty(t, h.OS.Arch)
	assert.Positive(t, h.Hardware.CPUs)
	assert.Positive(t, h.Hardware.MemoryMB)
	assert.Positive(t, h.Hardware.RootDiskGB)
	for _, i := range h.Network.Interfaces {
		assert.NotEqual(t, "lo", i.Name)
		assert.NotEmpty(t, i.Type)
	}
	for _, v := range []string{h.Hardware.Serial, h.Hardware.Model, h.Hardware.Manufacturer} {
		assert.Equal(t, CleanDMIValue(v), v, "firmware facts are cleaned")
	}
}
