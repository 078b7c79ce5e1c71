package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// fakeDMI is a /sys whose DMI says what hardware this is, so that the
// device type a register matches or proposes does not depend on the
// machine the test runs on; the network facts stay the machine's.
func fakeDMI(t *testing.T, vendor, product, serial string) string {
	t.Helper()
	root := t.TempDir()
	dmi := filepath.Join(root, "class", "dmi", "id")
	require.NoError(t, os.MkdirAll(dmi, 0o755))
	for name, v := range map[string]string{"sys_vendor": vendor, "product_name": product, "product_serial": serial} {
		require.NoError(t, os.WriteFile(filepath.Join(dmi, name), []byte(v+"\n"), 0o644))
	}
	require.NoError(t, os.Symlink("/sys/class/net", filepath.Join(root, "class", "net")))
	return root
}

// writes lists the requests of the log from index from on that were not reads.
func writes(srv *simtest.Server, from int) []string {
	var out []string
	for _, r := range srv.Sim.Requests()[from:] {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func TestRegisterCommand(t *testing.T) {
	srv := simtest.Start(t, netboxsim.Options{})
	fx := srv.Seed(t)
	vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token, envNoContainers: "true",
		discovery.EnvHostSys: fakeDMI(t, "Acme Computer Inc.", "Rocket 9000", "SN-CLI-1")}
	seeded := len(srv.Sim.Requests())
	runIt := func(terminal bool, answer string, args ...string) (*testEnv, int) {
		te := newTestEnv(vars, terminal, answer)
		return te, run(context.Background(), args, te.env)
	}

	te, code := runIt(false, "", "register")
	assert.Equal(t, exitError, code)
	for _, want := range []string{"needs a site, a role and a device type; nothing was written", "Site " + fx.Suffix + " (site-" + fx.Suffix + ")",
		"Role " + fx.Suffix, "Manufacturer " + fx.Suffix + " Model " + fx.Suffix, "This host's hardware: Acme Computer Inc. Rocket 9000.",
		"--create-device-type creates Acme Computer Inc. Rocket 9000 (slug rocket-9000)"} {
		assert.Contains(t, te.errOut.String(), want)
	}

	te, code = runIt(false, "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--create-device-type", "--dry-run")
	assert.Equal(t, exitOK, code, te.errOut.String())
	assert.Contains(t, te.out.String(), "## Register Report")
	assert.Contains(t, te.out.String(), "| Device type | Rocket 9000 (new in NetBox, slug rocket-9000) |")
	assert.Contains(t, te.out.String(), "| Serial | SN-CLI-1 |")
	assert.Contains(t, te.out.String(), "Dry run complete. No changes applied.")

	te, code = runIt(false, "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--create-device-type")
	assert.Equal(t, exitError, code)
	assert.Contains(t, te.errOut.String(), "--yes")
	assert.Empty(t, writes(srv, seeded), "nothing is written without a confirmation")

	// On a terminal the choices are asked, the device type to create first.
	te, code = runIt(true, "1\n1\n1\nn\n", "register")
	assert.Equal(t, exitError, code)
	assert.Contains(t, te.out.String(), "Aborted: nothing was written.")
	assert.Contains(t, te.errOut.String(), "1) create Acme Computer Inc. Rocket 9000 (slug rocket-9000)")
	assert.Empty(t, writes(srv, seeded))

	te, code = runIt(true, "1\n1\n1\ny\n", "register")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", te.out, te.errOut)
	assert.Contains(t, te.out.String(), "Registered ")
	assert.Contains(t, te.out.String(), "created device type Rocket 9000 (slug rocket-9000)")
	assert.Contains(t, te.out.String(), "failed 0, skipped 0")
	assert.Contains(t, te.out.String(), "Check with 'cmdb-mcp diff'")

	te, code = runIt(false, "", "diff")
	assert.Equal(t, exitOK, code, "the diff after a register: %s%s", te.out, te.errOut)

	from := len(srv.Sim.Requests())
	te, code = runIt(false, "", "register", "--site", "site-"+fx.Suffix, "--role", "role-"+fx.Suffix, "--yes")
	assert.Equal(t, exitError, code)
	assert.Contains(t, te.errOut.String(), "is not registered again")
	assert.Contains(t, te.errOut.String(), "sync it instead")
	assert.Empty(t, writes(srv, from))
	assert.NotContains(t, te.out.String()+te.errOut.String(), srv.Token)

	// The fleet: this host synced, another never.
	te, code = runIt(false, "", "fleet")
	assert.Equal(t, exitOK, code, te.errOut.String())
	assert.Contains(t, te.out.String(), "1 device: 1 synced within 7d")
	srv.Device(t, fx, "other01")
	te, code = runIt(false, "", "fleet", "--max-age", "36h")
	assert.Equal(t, exitDrift, code, te.errOut.String())
	assert.Contains(t, te.out.String(), "Never synced:\n  other01")
	te, code = runIt(false, "", "fleet", "--json", "--limit", "1")
	assert.Equal(t, exitDrift, code)
	var out tools.FleetStatusOutput
	require.NoError(t, json.Unmarshal(te.out.Bytes(), &out))
	assert.Equal(t, 2, out.Counts.Devices)
	assert.Equal(t, 1, out.Counts.Never)
	te, code = runIt(false, "", "fleet", "--max-age", "soon")
	assert.Equal(t, exitError, code)
	assert.Contains(t, te.errOut.String(), "use days (7d)")
}
