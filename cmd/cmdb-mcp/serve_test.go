package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

func TestFilterFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		want    tools.Filter
		wantErr string
	}{
		{name: "default offers everything"},
		{name: "--read-only alone", args: []string{"--read-only"}, want: tools.Filter{ReadOnly: true}},
		{name: "variable", vars: map[string]string{envReadOnly: "true"}, want: tools.Filter{ReadOnly: true}},
		{name: "flag beats variable", args: []string{"--read-only=false"}, vars: map[string]string{envReadOnly: "true"}},
		{name: "toolsets", args: []string{"--toolsets", "sync,netbox-read"}, want: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetSync, tools.ToolsetNetBoxRead}}},
		{name: "toolsets variable", vars: map[string]string{envToolsets: "netbox-write"}, want: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetNetBoxWrite}}},
		{name: "all", args: []string{"--toolsets", "all", "--read-only"}, want: tools.Filter{ReadOnly: true}},
		{name: "bad read-only variable", vars: map[string]string{envReadOnly: "maybe"}, wantErr: envReadOnly},
		{name: "unknown toolset", args: []string{"--toolsets", "dcim"}, wantErr: "netbox-read, netbox-write, sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := addFilterFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := f.resolve(env{getenv: func(k string) string { return tt.vars[k] }})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addFilterFlags(fs)
	assert.Error(t, fs.Parse([]string{"--read-only=perhaps"}))
}

func TestCheckNetBox(t *testing.T) {
	srv := simtest.Start(t, netboxsim.Options{})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	notNetBox := httptest.NewServer(http.NotFoundHandler()) // 404 to everything
	t.Cleanup(notNetBox.Close)
	tests := []struct {
		name     string
		url      string
		token    string
		canceled bool
		want     []string // in the log line, in order; none: no line
	}{
		{name: "answers", url: srv.URL, token: srv.Token, want: []string{"level=INFO", `msg="NetBox answers"`, "version=4.3"}},
		{name: "wrong token", url: srv.URL, token: "fedcba9876543210fedcba9876543210fedcba98",
			want: []string{"level=WARN", "status check failed", "auth", "fix=", "NETBOX_TOKEN"}},
		{name: "nothing listens", url: closed.URL, token: srv.Token, want: []string{"level=WARN", "status check failed", closed.URL}},
		{name: "404 to everything: not NetBox", url: notNetBox.URL, token: srv.Token,
			want: []string{"level=WARN", "status check failed", "not_netbox", "fix=", "not as NetBox's REST API", "NETBOX_URL"}},
		{name: "the server is stopping", url: closed.URL, token: srv.Token, canceled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := netbox.New(netbox.Config{URL: tt.url, Token: tt.token, MaxRetries: -1})
			require.NoError(t, err)
			var buf bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.canceled {
				cancel()
			}
			checkNetBox(ctx, nb, slog.New(slog.NewTextHandler(&buf, nil)))
			out := buf.String()
			if len(tt.want) == 0 {
				assert.Empty(t, out)
				return
			}
			assert.Equal(t, 1, strings.Count(out, "\n"), out)
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				require.GreaterOrEqual(t, i, 0, "%q not in %q", w, out)
				rest = rest[i+len(w):]
			}
			assert.NotContains(t, out, tt.token)
		})
	}
}

// A write scope serve does not know stops it before it serves, naming the
// scopes it knows; the variable is read like the flag.
func TestServeWriteScopeFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		vars map[string]string
	}{
		{args: []string{"--write-scope", "everything"}},
		{vars: map[string]string{tools.WriteScopeEnv: "everything"}},
	} {
		te := newTestEnv(tt.vars, false, "")
		code := run(context.Background(), append([]string{"serve"}, tt.args...), te.env)
		assert.Equal(t, exitError, code)
		assert.Contains(t, te.errOut.String(), `unknown write scope "everything": use host`)
	}
}
