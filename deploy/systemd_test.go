package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

const (
	service = "cmdb-mcp-sync.service"
	timer   = "cmdb-mcp-sync.timer"
	dropIn  = "cmdb-mcp-sync.service.d/docker.conf"
)

// maxExposure is the highest "overall exposure level" systemd-analyze
// security may give the service (0 to 10, lower is safer), times ten: a
// change that gives up hardening fails here.
const maxExposure = 15

// systemdRoot lays the unit files out as the README installs them, under a
// temporary root with the cmdb-mcp binary where ExecStart names it and
// systemd's own units beside them, and returns that root.
func systemdRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	units := filepath.Join(root, "etc", "systemd", "system")
	for _, name := range []string{service, timer, dropIn} {
		copyFile(t, filepath.Join("systemd", name), filepath.Join(units, name), 0o644)
	}

	execStart := unitValues(t, filepath.Join("systemd", service), "ExecStart")
	require.Len(t, execStart, 1)
	bin := strings.Fields(execStart[0])[0]
	require.True(t, filepath.IsAbs(bin), "ExecStart=%s", execStart[0])
	copyFile(t, testenv.Binary(t), filepath.Join(root, bin), 0o755)

	// The targets and services the units name (network-online.target,
	// timers.target, sysinit.target, ...) are systemd's, from the package.
	var found bool
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		found = true
		for _, e := range entries {
			if e.Type().IsRegular() {
				copyFile(t, filepath.Join(dir, e.Name()), filepath.Join(root, "usr", "lib", "systemd", "system", e.Name()), 0o644)
			}
		}
		break
	}
	require.True(t, found, "systemd's unit folder (/usr/lib/systemd/system) is missing: install Debian's systemd package")
	return root
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testenv.Skip(t, "systemd-analyze is missing: apt-get install systemd (.ci/run does)")
	}
	return path
}

// TestSystemdUnitsVerify runs systemd-analyze verify on the units as
// shipped. verify exits 0 after warnings about unknown keys or bad values
// ("Unknown key 'X' in section [Service], ignoring"), so any output fails
// the test too.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	root := systemdRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, analyze, "verify", "--root="+root, "--man=no", "--generators=no", service, timer)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify warns")

	// verify proves it read the files: a line it cannot parse must fail
	// the check above.
	broken := filepath.Join(root, "etc", "systemd", "system", dropIn)
	require.NoError(t, os.WriteFile(broken, []byte("[Service]\nSupplementaryGroups=docker\nProtectSytem=strict\n"), 0o644))
	out, _ = exec.CommandContext(ctx, analyze, "verify", "--root="+root, "--man=no", "--generators=no", service, timer).CombinedOutput()
	assert.Contains(t, string(out), "ProtectSytem", "verify did not read the drop-in")
}

// TestSystemdServiceHardening keeps the service's sandbox: systemd's own
// score, and the settings that discovery needs left as they must be.
func TestSystemdServiceHardening(t *testing.T) {
	analyze := systemdAnalyze(t)
	root := systemdRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "security", "--offline=true", "--root="+root, "--threshold="+strconv.Itoa(maxExposure), service).CombinedOutput()
	level := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	require.NotNil(t, level, "systemd-analyze security printed no overall level:\n%s", out)
	t.Logf("systemd-analyze security: exposure level %s (at most %d.%d allowed)", level[1], maxExposure/10, maxExposure%10)
	require.NoError(t, err, "the service's exposure level %s is above %d.%d:\n%s", level[1], maxExposure/10, maxExposure%10, out)

	unit := filepath.Join("systemd", service)
	value := func(key string) string {
		v := unitValues(t, unit, key)
		require.NotEmpty(t, v, "%s: no %s=", service, key)
		return strings.Join(v, " ")
	}
	// Discovery reads interfaces and addresses over rtnetlink, NetBox
	// over IP, Docker over its unix socket.
	assert.ElementsMatch(t, []string{"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}, strings.Fields(value("RestrictAddressFamilies")))
	assert.Empty(t, unitValues(t, unit, "PrivateNetwork"), "the sync must see the host's interfaces")
	assert.Empty(t, unitValues(t, unit, "ProcSubset"), "ProcSubset=pid hides /proc/meminfo, /proc/net/route")
	assert.Equal(t, "", value("CapabilityBoundingSet"))
	assert.Equal(t, "yes", value("DynamicUser"))
	assert.Equal(t, "oneshot", value("Type"))
	assert.Contains(t, value("ExecStart"), "apply --yes --json")
	assert.Equal(t, "netbox-token:/etc/cmdb-mcp/netbox-token", value("LoadCredential"))
	assert.Equal(t, "NETBOX_TOKEN_FILE=%d/netbox-token", value("Environment"))
	assert.Equal(t, "docker", strings.Join(unitValues(t, filepath.Join("systemd", dropIn), "SupplementaryGroups"), " "))
	// The timer spreads the hosts; without a delay a fleet on one
	// schedule reaches NetBox in the same second.
	assert.NotEmpty(t, unitValues(t, filepath.Join("systemd", timer), "RandomizedDelaySec"))
}

// TestSystemdCommandLine runs the service's ExecStart as it stands and
// checks cmdb-mcp accepts it.
func TestSystemdCommandLine(t *testing.T) {
	execStart := unitValues(t, filepath.Join("systemd", service), "ExecStart")
	require.Len(t, execStart, 1)
	checkCommandLine(t, strings.Fields(execStart[0])[1:])
}
