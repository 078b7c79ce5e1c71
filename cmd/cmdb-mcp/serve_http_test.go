package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
)

const flagToken = "0123456789abcdef-bearer"

func TestHTTPFlags(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(flagToken+"\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, nil, 0o600))

	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		want    server.HTTPOptions
		wantErr string
	}{
		{name: "defaults: loopback, no auth"},
		{name: "address", args: []string{"--addr", "0.0.0.0:9000"}, want: server.HTTPOptions{Addr: "0.0.0.0:9000"}},
		{name: "address variable", vars: map[string]string{envAddr: "127.0.0.1:9"}, want: server.HTTPOptions{Addr: "127.0.0.1:9"}},
		{name: "token flag", args: []string{"--auth-token", flagToken}, want: server.HTTPOptions{AuthToken: flagToken}},
		{name: "token variable", vars: map[string]string{envAuthToken: flagToken}, want: server.HTTPOptions{AuthToken: flagToken}},
		{name: "token file flag", args: []string{"--auth-token-file", tokenFile}, want: server.HTTPOptions{AuthToken: flagToken}},
		{name: "token file variable", vars: map[string]string{envAuthTokenFile: tokenFile}, want: server.HTTPOptions{AuthToken: flagToken}},
		{name: "file flag beats token variable", args: []string{"--auth-token-file", tokenFile}, vars: map[string]string{envAuthToken: "x"}, want: server.HTTPOptions{AuthToken: flagToken}},
		{name: "token and file flags", args: []string{"--auth-token", flagToken, "--auth-token-file", tokenFile}, wantErr: "both --auth-token and --auth-token-file"},
		{name: "token and file variables", vars: map[string]string{envAuthToken: flagToken, envAuthTokenFile: tokenFile}, wantErr: "both " + envAuthToken},
		{name: "missing token file", vars: map[string]string{envAuthTokenFile: filepath.Join(dir, "nope")}, wantErr: "cannot read the token file"},
		{name: "token itself where the file goes", args: []string{"--auth-token-file", flagToken}, wantErr: "cannot read the token file"},
		{name: "empty token file", args: []string{"--auth-token-file", emptyFile}, wantErr: "empty"},
		{name: "short token", vars: map[string]string{envAuthToken: "short"}, wantErr: "at least 16"},
		{name: "insecure flag", args: []string{"--insecure-no-auth"}, want: server.HTTPOptions{InsecureNoAuth: true}},
		{name: "insecure variable", vars: map[string]string{envInsecureNoAuth: "true"}, want: server.HTTPOptions{InsecureNoAuth: true}},
		{name: "bad insecure variable", vars: map[string]string{envInsecureNoAuth: "perhaps"}, wantErr: envInsecureNoAuth},
		{name: "token and insecure", args: []string{"--insecure-no-auth", "--auth-token", flagToken}, wantErr: "contradict"},
		{name: "allow-lists", args: []string{"--allowed-hosts", "a.example, b.example,", "--allowed-origins", "https://app.example"},
			want: server.HTTPOptions{AllowedHosts: []string{"a.example", "b.example"}, AllowedOrigins: []string{"https://app.example"}}},
		{name: "allow-list variables", vars: map[string]string{envAllowedHosts: "*", envAllowedOrigins: "*"},
			want: server.HTTPOptions{AllowedHosts: []string{"*"}, AllowedOrigins: []string{"*"}}},
		{name: "bad origin", args: []string{"--allowed-origins", "app.example"}, wantErr: "scheme://host"},
		{name: "TLS", args: []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, want: server.HTTPOptions{TLSCertFile: "c.pem", TLSKeyFile: "k.pem"}},
		{name: "TLS variables", vars: map[string]string{envTLSCert: "c.pem", envTLSKey: "k.pem"}, want: server.HTTPOptions{TLSCertFile: "c.pem", TLSKeyFile: "k.pem"}},
		{name: "certificate without key", args: []string{"--tls-cert", "c.pem"}, wantErr: "--tls-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := addHTTPFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := f.resolve(env{getenv: func(k string) string { return tt.vars[k] }})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), flagToken, "the token is quoted in an error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestServeRefusesExposedAddress: serve on a non-loopback address without
// a token stops before serving, and says what to do.
func TestServeRefusesExposedAddress(t *testing.T) {
	var stderr bytes.Buffer
	vars := map[string]string{"NETBOX_URL": "http://127.0.0.1:1", "NETBOX_TOKEN": "0123456789abcdef0123456789abcdef01234567"}
	code := run(context.Background(), []string{"serve", "--transport", "http", "--addr", "0.0.0.0:0"}, env{
		stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: &stderr,
		getenv:          func(k string) string { return vars[k] },
		stdinIsTerminal: func() bool { return false },
	})
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr.String(), "--insecure-no-auth")
	assert.Contains(t, stderr.String(), envAuthToken)
	assert.NotContains(t, stderr.String(), vars["NETBOX_TOKEN"])
}
