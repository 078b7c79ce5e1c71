package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// testEnv runs commands against the simulator with answer on a terminal.
type testEnv struct {
	env
	out, errOut *bytes.Buffer
}

func newTestEnv(vars map[string]string, terminal bool, answer string) *testEnv {
	te := &testEnv{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}}
	te.env = env{
		stdin:           strings.NewReader(answer),
		stdout:          te.out,
		stderr:          te.errOut,
		getenv:          func(k string) string { return vars[k] },
		stdinIsTerminal: func() bool { return terminal },
	}
	return te
}

// staleDevice records a device that differs from whatever host runs the
// test: status planned, on a platform no host reports.
func staleDevice(t *testing.T) (*simtest.Server, int64) {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{})
	fx := srv.Seed(t)
	status, body := srv.Do(t, http.MethodPost, "/api/dcim/platforms/", map[string]string{"name": "Plan 9", "slug": "plan-9"})
	require.Equal(t, http.StatusCreated, status, string(body))
	var plat struct{ ID int64 }
	require.NoError(t, json.Unmarshal(body, &plat))
	status, body = srv.Do(t, http.MethodPost, "/api/dcim/devices/", map[string]any{
		"name": "stale01", "site": fx.SiteID, "device_type": fx.DeviceTypeID, "role": fx.RoleID,
		"status": "planned", "platform": plat.ID,
	})
	require.Equal(t, http.StatusCreated, status, string(body))
	var dev struct{ ID int64 }
	require.NoError(t, json.Unmarshal(body, &dev))
	return srv, dev.ID
}

func deviceStatus(t *testing.T, srv *simtest.Server, id int64) string {
	t.Helper()
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	d, err := nb.GetDevice(context.Background(), id)
	require.NoError(t, err)
	return d.Status
}

func TestApplyAsksOnATerminal(t *testing.T) {
	tests := []struct {
		name       string
		terminal   bool
		answer     string
		args       []string
		wantCode   int
		wantStatus string
		wantOut    string
		wantErr    string
		noReport   bool
	}{
		{name: "yes applies", terminal: true, answer: "y\n", wantCode: 0, wantStatus: "active", wantOut: "journal entry"},
		{name: "YES applies", terminal: true, answer: "YES\n", wantCode: 0, wantStatus: "active"},
		{name: "enter declines", terminal: true, answer: "\n", wantCode: 1, wantStatus: "planned", wantOut: "Aborted"},
		{name: "no declines", terminal: true, answer: "n\n", wantCode: 1, wantStatus: "planned", wantOut: "Aborted"},
		{name: "end of input declines", terminal: true, answer: "", wantCode: 1, wantStatus: "planned", wantOut: "Aborted"},
		// Refused before any NetBox request: a job that lacks --yes fails
		// at once, not at the first drift.
		{name: "no terminal refuses", terminal: false, answer: "y\n", wantCode: 1, wantStatus: "planned", wantErr: "--yes", noReport: true},
		{name: "no terminal with --yes applies", terminal: false, args: []string{"--yes"}, wantCode: 0, wantStatus: "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, id := staleDevice(t)
			te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, tt.terminal, tt.answer)
			args := append([]string{"apply", "--hostname", "stale01"}, tt.args...)
			seeded := len(srv.Sim.Requests())
			code := run(context.Background(), args, te.env)
			assert.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", te.out, te.errOut)
			if tt.noReport {
				assert.Empty(t, te.out.String())
				assert.Len(t, srv.Sim.Requests(), seeded, "no NetBox request")
			} else {
				assert.Contains(t, te.out.String(), "## Sync Diff Report")
			}
			assert.Equal(t, tt.wantStatus, deviceStatus(t, srv, id))
			assert.Contains(t, te.out.String(), tt.wantOut)
			assert.Contains(t, te.errOut.String(), tt.wantErr)
			assert.NotContains(t, te.out.String()+te.errOut.String(), srv.Token)
		})
	}
}

func TestDiffExitCodes(t *testing.T) {
	srv, _ := staleDevice(t)
	vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}

	te := newTestEnv(vars, false, "")
	assert.Equal(t, exitDrift, run(context.Background(), []string{"diff", "--hostname", "stale01"}, te.env), te.errOut.String())

	te = newTestEnv(vars, false, "")
	assert.Equal(t, exitOK, run(context.Background(), []string{"apply", "--yes", "--hostname", "stale01"}, te.env), te.errOut.String())

	te = newTestEnv(vars, false, "")
	assert.Equal(t, exitOK, run(context.Background(), []string{"diff", "--hostname", "stale01"}, te.env), te.errOut.String())
	assert.Contains(t, te.out.String(), "Nothing to apply")

	te = newTestEnv(vars, false, "")
	assert.Equal(t, exitError, run(context.Background(), []string{"diff", "--hostname", "nope"}, te.env))
	assert.Contains(t, te.errOut.String(), "'cmdb-mcp register'")
}

func TestNetBoxFlags(t *testing.T) {
	srv, _ := staleDevice(t)
	tokenFile := t.TempDir() + "/token"
	require.NoError(t, os.WriteFile(tokenFile, []byte(srv.Token+"\n"), 0o600))

	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "flags alone", args: []string{"--netbox-url", srv.URL, "--netbox-token-file", tokenFile}, wantCode: exitDrift},
		{name: "a token file flag wins over a token in the environment",
			vars: map[string]string{netbox.EnvToken: "ffffffffffffffffffffffffffffffffffffffff"},
			args: []string{"--netbox-url", srv.URL, "--netbox-token-file", tokenFile}, wantCode: exitDrift},
		{name: "URL flag over the environment",
			vars: map[string]string{netbox.EnvURL: "http://127.0.0.1:1", netbox.EnvToken: srv.Token},
			args: []string{"--netbox-url", srv.URL}, wantCode: exitDrift},
		{name: "nothing configured points at the demo", wantCode: exitError, wantErr: "cmdb-mcp demo"},
		{name: "bad timeout names the variable", vars: map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token, netbox.EnvTimeout: "soon"}, wantCode: exitError, wantErr: netbox.EnvTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestEnv(tt.vars, false, "")
			args := append([]string{"diff", "--hostname", "stale01"}, tt.args...)
			code := run(context.Background(), args, te.env)
			assert.Equal(t, tt.wantCode, code, te.errOut.String())
			assert.Contains(t, te.errOut.String(), tt.wantErr)
			assert.NotContains(t, te.errOut.String(), srv.Token)
		})
	}
}

// A token file others can read works, with a warning that says how to
// fix it; one only its owner can read gets none.
func TestTokenFileReadableByOthersWarns(t *testing.T) {
	srv, _ := staleDevice(t)
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o400, false}, {0o640, true}, {0o644, true}, {0o604, true}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			file := t.TempDir() + "/token"
			require.NoError(t, os.WriteFile(file, []byte(srv.Token+"\n"), 0o600))
			require.NoError(t, os.Chmod(file, tt.mode))
			te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvTokenFile: file}, false, "")
			code := run(context.Background(), []string{"diff", "--hostname", "stale01"}, te.env)
			assert.Equal(t, exitDrift, code, te.errOut.String())
			if tt.warn {
				assert.Contains(t, te.errOut.String(), "level=WARN")
				assert.Contains(t, te.errOut.String(), "chmod 600")
				assert.Contains(t, te.errOut.String(), netbox.EnvTokenFile)
			} else {
				assert.NotContains(t, te.errOut.String(), "chmod 600")
			}
			assert.NotContains(t, te.errOut.String(), srv.Token)
		})
	}
}

func TestUsage(t *testing.T) {
	te := newTestEnv(nil, false, "")
	assert.Equal(t, exitError, run(context.Background(), nil, te.env))
	for _, c := range commands() {
		assert.Contains(t, te.errOut.String(), c.name)
	}
	te = newTestEnv(nil, false, "")
	assert.Equal(t, exitError, run(context.Background(), []string{"frobnicate"}, te.env))
	assert.Contains(t, te.errOut.String(), `unknown command "frobnicate"`)
	te = newTestEnv(nil, false, "")
	assert.Equal(t, exitOK, run(context.Background(), []string{"version"}, te.env))
	assert.True(t, strings.HasPrefix(te.out.String(), "cmdb-mcp "), te.out.String())
}

func TestNetBoxSimNeedsToken(t *testing.T) {
	te := newTestEnv(nil, false, "")
	assert.Equal(t, exitError, run(context.Background(), []string{"netbox-sim"}, te.env))
	assert.Contains(t, te.errOut.String(), "--token")
}

func TestNetBoxVersionFlag(t *testing.T) {
	for _, v := range []string{"4.3", "4.6", "4.4.4"} {
		assert.NoError(t, checkVersion(v), v)
	}
	for _, v := range []string{"5.0", "4.2", "4", "latest", ""} {
		assert.ErrorContains(t, checkVersion(v), "4.3, 4.4, 4.5, 4.6", v)
	}
	te := newTestEnv(nil, false, "")
	assert.Equal(t, exitError, run(context.Background(), []string{"netbox-sim", "--token", "t", "--netbox-version", "3.7"}, te.env))
	assert.Contains(t, te.errOut.String(), "pass one of them")
}

// A NETBOX_URL that answers 404 to everything gets advice about the URL,
// not about a missing object.
func TestDiffAgainstNotNetBox(t *testing.T) {
	notNetBox := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notNetBox.Close)
	te := newTestEnv(map[string]string{netbox.EnvURL: notNetBox.URL, netbox.EnvToken: simtest.DefaultToken}, false, "")
	code := run(context.Background(), []string{"diff", "--hostname", "web01"}, te.env)
	assert.Equal(t, exitError, code)
	assert.Contains(t, te.errOut.String(), "not as NetBox's REST API")
	assert.Contains(t, te.errOut.String(), netbox.EnvURL)
	assert.NotContains(t, te.errOut.String(), "does not exist in NetBox")
}

func TestCustomFieldsSetting(t *testing.T) {
	srv, _ := staleDevice(t)
	for _, tt := range []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
	}{
		{name: "bad JSON in the environment", vars: map[string]string{"CMDB_CUSTOM_FIELDS": `{"dcim.interface": {"owner": }`},
			wantErr: `CMDB_CUSTOM_FIELDS (--custom-fields): custom field values: invalid character '}'`},
		{name: "an object type a sync does not write", args: []string{"--custom-fields", `{"dcim.site": {"owner": "infra"}}`},
			wantErr: `"dcim.site" is not an object type a sync writes`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}
			for k, v := range tt.vars {
				vars[k] = v
			}
			te := newTestEnv(vars, false, "")
			code := run(context.Background(), append([]string{"diff", "--hostname", "stale01"}, tt.args...), te.env)
			assert.Equal(t, exitError, code)
			assert.Contains(t, te.errOut.String(), tt.wantErr)
			assert.Contains(t, te.errOut.String(), `e.g. {"dcim.interface": {"owner": "infra"}`, "names the fix")
			assert.Empty(t, te.out.String(), "nothing is looked up with a bad setting")
		})
	}
	// A field NetBox does not have is not sent, and the report says so.
	te := newTestEnv(map[string]string{netbox.EnvURL: srv.URL, netbox.EnvToken: srv.Token}, false, "")
	code := run(context.Background(), []string{"diff", "--hostname", "stale01", "--custom-fields", `{"dcim.interface": {"owner": "infra"}}`}, te.env)
	assert.Equal(t, exitDrift, code, te.errOut.String())
	assert.Contains(t, te.out.String(), `Custom field values: NetBox has no custom field "owner" on dcim.interface; that value (CMDB_CUSTOM_FIELDS) is not sent.`)
}
