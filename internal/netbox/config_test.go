package netbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("  "+testToken+"\n\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\n"), 0o600))

	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string // substrings of the error; nil means no error
	}{
		{
			name: "defaults",
			env:  map[string]string{EnvURL: "https://netbox.example.com", EnvToken: testToken},
			want: Config{URL: "https://netbox.example.com", Token: testToken, Timeout: 30 * time.Second},
		},
		{
			name: "token file is trimmed",
			env:  map[string]string{EnvURL: "https://nb", EnvTokenFile: tokenFile},
			want: Config{URL: "https://nb", Token: testToken, Timeout: DefaultTimeout},
		},
		{
			name: "all set",
			env: map[string]string{EnvURL: " https://nb ", EnvToken: testTokenV2, EnvCAFile: "/etc/ca.pem",
				EnvInsecureSkipVerify: "true", EnvTimeout: "2m"},
			want: Config{URL: "https://nb", Token: testTokenV2, CAFile: "/etc/ca.pem", InsecureSkipVerify: true, Timeout: 2 * time.Minute},
		},
		{
			name:    "token and token file both set",
			env:     map[string]string{EnvToken: testToken, EnvTokenFile: tokenFile},
			wantErr: []string{"both NETBOX_TOKEN and NETBOX_TOKEN_FILE are set", "unset one"},
		},
		{
			name:    "token file missing",
			env:     map[string]string{EnvTokenFile: filepath.Join(dir, "nope")},
			wantErr: []string{"NETBOX_TOKEN_FILE", "no such file"},
		},
		{
			name:    "the token itself in NETBOX_TOKEN_FILE",
			env:     map[string]string{EnvTokenFile: testToken},
			wantErr: []string{"NETBOX_TOKEN_FILE", "no such file", "path of a file"},
		},
		{
			name:    "token file empty",
			env:     map[string]string{EnvTokenFile: emptyFile},
			wantErr: []string{"NETBOX_TOKEN_FILE", "is empty"},
		},
		{
			name:    "bool is strict",
			env:     map[string]string{EnvInsecureSkipVerify: "yes"},
			wantErr: []string{`NETBOX_INSECURE_SKIP_VERIFY="yes" is not a boolean`, "true or false"},
		},
		{
			name:    "bad timeout",
			env:     map[string]string{EnvTimeout: "30"},
			wantErr: []string{`NETBOX_TIMEOUT="30" is not a duration`, "30s"},
		},
		{
			name:    "negative timeout",
			env:     map[string]string{EnvTimeout: "-1s"},
			wantErr: []string{"NETBOX_TIMEOUT", "positive"},
		},
		{
			name:    "every problem at once",
			env:     map[string]string{EnvInsecureSkipVerify: "maybe", EnvTimeout: "soon"},
			wantErr: []string{EnvInsecureSkipVerify, EnvTimeout},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			assertErrNoToken(t, err)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, s := range tt.wantErr {
					assert.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{URL: "https://netbox.example.com", Token: testToken}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "valid under a path", mutate: func(c *Config) { c.URL = "https://example.com/netbox/" }},
		{name: "no URL", mutate: func(c *Config) { c.URL = "" }, wantErr: []string{"set NETBOX_URL"}},
		{name: "no scheme", mutate: func(c *Config) { c.URL = "netbox.example.com" }, wantErr: []string{"NETBOX_URL", "https"}},
		{name: "ends in /api", mutate: func(c *Config) { c.URL = "https://nb.example.com/api/" }, wantErr: []string{"NETBOX_URL", "base URL, https://nb.example.com"}},
		{name: "credentials in URL", mutate: func(c *Config) { c.URL = "https://admin:SECRETpw@nb.example.com" }, wantErr: []string{"NETBOX_URL", "credentials"}},
		{name: "no token", mutate: func(c *Config) { c.Token = "" }, wantErr: []string{"NETBOX_TOKEN", "NETBOX_TOKEN_FILE"}},
		{name: "token with a newline", mutate: func(c *Config) { c.Token = testToken + "\nX" }, wantErr: []string{"whitespace"}},
		{name: "negative timeout", mutate: func(c *Config) { c.Timeout = -time.Second }, wantErr: []string{"NETBOX_TIMEOUT"}},
		{name: "token pasted as URL", mutate: func(c *Config) { c.URL = testToken }, wantErr: []string{"NETBOX_URL", redacted}},
		{name: "unparsable URL with credentials", mutate: func(c *Config) { c.URL = "https://u:SECRET%zz@nb" }, wantErr: []string{"NETBOX_URL", "not a URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			assertErrNoToken(t, err)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tt.wantErr {
				assert.Contains(t, err.Error(), s)
			}
			_, newErr := New(c)
			assert.Equal(t, err.Error(), newErr.Error(), "New validates")
		})
	}
}

func TestConfigNeverShowsToken(t *testing.T) {
	cfg := Config{URL: "https://nb.example.com", Token: testToken, Timeout: time.Second}

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "netbox", cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)

	for _, out := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %#v", &cfg, &cfg, &cfg),
		fmt.Sprintf("%+v", struct{ C Config }{cfg}),
		logs.String(), string(js),
	} {
		assertNoToken(t, out)
	}
	assert.Contains(t, cfg.String(), redacted, "says a token is set")
	assert.Contains(t, logs.String(), redacted)
	assert.Contains(t, Config{}.String(), `Token: ""`, "says no token is set")

	c, err := New(cfg)
	require.NoError(t, err)
	assertNoToken(t, fmt.Sprintf("%v %+v %#v", c, c, *c))
}

func TestAuthorization(t *testing.T) {
	assert.Equal(t, "Token "+testToken, authorization(testToken))
	assert.Equal(t, "Bearer "+testTokenV2, authorization(testTokenV2))
}
