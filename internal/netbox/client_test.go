package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func statusHandler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"netbox-version": "4.3.7", "installed-apps": map[string]any{}})
}

func TestAuthHeader(t *testing.T) {
	tests := []struct {
		name, token, want string
	}{
		{"v1 token", testToken, "Token " + testToken},
		{"v2 token", testTokenV2, "Bearer " + testTokenV2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/status/":
					statusHandler(w, r)
				default:
					writeJSON(w, http.StatusOK, map[string]any{"count": 0, "next": nil, "results": []any{}})
				}
			})
			c, err := New(Config{URL: f.URL, Token: tt.token, UserAgent: "cmdb-mcp/test"})
			require.NoError(t, err)

			st, err := c.Status(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "4.3.7", st.NetBoxVersion)
			// The JSON path shares the transport, so it authenticates the same way.
			require.NoError(t, c.doJSON(context.Background(), http.MethodGet, "/api/dcim/sites/", nil, nil, nil))

			reqs := f.requests()
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				assert.Equal(t, tt.want, r.Auth, r.Path)
				assert.Equal(t, "cmdb-mcp/test", r.UserAgent, r.Path)
			}
		})
	}
}

func TestTokenNotSentToAnotherHost(t *testing.T) {
	other := newFake(t, statusHandler)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	})
	c := newTestClient(t, f)
	_, err := c.Status(context.Background())
	require.NoError(t, err)
	require.Len(t, other.requests(), 1)
	assert.Empty(t, other.requests()[0].Auth, "a redirect elsewhere must not carry the token")
	assert.Equal(t, "Token "+testToken, f.requests()[0].Auth)
}

func TestURLs(t *testing.T) {
	tests := []struct {
		base, wantBase, kind string
		id                   int64
		wantWeb              string
	}{
		{"https://netbox.example.com", "https://netbox.example.com", "dcim/devices", 7, "https://netbox.example.com/dcim/devices/7/"},
		{"https://netbox.example.com/", "https://netbox.example.com", "/dcim/devices/", 7, "https://netbox.example.com/dcim/devices/7/"},
		{"https://example.com/netbox/", "https://example.com/netbox", "ipam/ip-addresses", 12, "https://example.com/netbox/ipam/ip-addresses/12/"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := New(Config{URL: tt.base, Token: testToken})
			require.NoError(t, err)
			assert.Equal(t, tt.wantBase, c.BaseURL())
			assert.Equal(t, tt.wantWeb, c.WebURL(tt.kind, tt.id))
		})
	}
}

func TestBasePathPrefix(t *testing.T) {
	f := newFake(t, statusHandler)
	c, err := New(Config{URL: f.URL + "/netbox/", Token: testToken})
	require.NoError(t, err)
	_, err = c.Status(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.doJSON(context.Background(), http.MethodGet, "/api/status/", nil, nil, nil))
	for _, r := range f.requests() {
		assert.Equal(t, "/netbox/api/status/", r.Path)
	}
}

func TestGetAndUpdateDevice(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, deviceJSON(7, "web01", 1, "DC1"))
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	d, err := c.GetDevice(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, record.Device{
		ID: 7, Name: "web01", Status: "active", Serial: "SN1",
		Site:         record.Ref{ID: 1, Name: "DC1", Slug: "dc1"},
		Role:         record.Ref{ID: 2, Name: "Server", Slug: "server"},
		DeviceType:   record.Ref{ID: 3, Name: "PowerEdge R640", Slug: "poweredge-r640"},
		Manufacturer: &record.Ref{ID: 4, Name: "Dell", Slug: "dell"},
		Platform:     &record.Ref{ID: 5, Name: "Ubuntu 22.04", Slug: "ubuntu-22.04"},
		PrimaryIP4:   &record.Ref{ID: 9, Name: "192.0.2.10/24"},
		LastUpdated:  "2025-01-02T03:04:05.123456Z",
	}, d)

	status, serial, platform, clear := "offline", "SN2", int64(5), int64(0)
	tests := []struct {
		name     string
		update   DeviceUpdate
		wantBody map[string]any // nil: no PATCH, a GET instead
	}{
		{"status only", DeviceUpdate{Status: &status}, map[string]any{"status": "offline"}},
		{"several", DeviceUpdate{Serial: &serial, Platform: &platform}, map[string]any{"serial": "SN2", "platform": 5.0}},
		{"zero clears", DeviceUpdate{PrimaryIP4: &clear, PrimaryIP6: &clear}, map[string]any{"primary_ip4": nil, "primary_ip6": nil}},
		{"nothing to change", DeviceUpdate{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.requests())
			_, err := c.UpdateDevice(ctx, 7, tt.update, WriteOptions{})
			require.NoError(t, err)
			reqs := f.requests()[before:]
			require.Len(t, reqs, 1)
			assert.Equal(t, "/api/dcim/devices/7/", reqs[0].Path)
			if tt.wantBody == nil {
				assert.Equal(t, http.MethodGet, reqs[0].Method)
				return
			}
			assert.Equal(t, http.MethodPatch, reqs[0].Method)
			var body map[string]any
			require.NoError(t, json.Unmarshal([]byte(reqs[0].Body), &body))
			assert.Equal(t, tt.wantBody, body, "only the non-nil fields are sent")
		})
	}
}

func TestSnapshot(t *testing.T) {
	tests := []struct {
		name      string
		devices   []map[string]any
		platforms int
		wantFound bool
		wantErr   []string
		wantReqs  int
	}{
		// Interfaces (MACs nested) and IPs of the device; its platform
		// stands for the platforms, since the host's is not given.
		{name: "found", devices: []map[string]any{deviceJSON(7, "web01", 1, "DC1")}, platforms: 1, wantFound: true, wantReqs: 3},
		// The platforms (two pages) and devices named "web01.<domain>".
		{name: "not found", platforms: 1001, wantReqs: 4},
		{
			name:     "same name in two sites",
			devices:  []map[string]any{deviceJSON(7, "web01", 1, "DC1"), deviceJSON(8, "WEB01", 2, "DC2")},
			wantErr:  []string{`2 devices are named "web01"`, "id 7 in site DC1", "id 8 in site DC2", "unique per site", "rename"},
			wantReqs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			platforms := make([]map[string]any, tt.platforms)
			for i := range platforms {
				platforms[i] = platformJSON(i + 1)
			}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/dcim/devices/":
					if q := r.URL.Query(); q.Has("name__isw") {
						assert.Equal(t, "web01.", q.Get("name__isw"), "the name with a domain")
						listResponse(w, r, nil, 1000)
						return
					}
					assert.Equal(t, "web01", r.URL.Query().Get("name"))
					listResponse(w, r, tt.devices, 1000)
				case "/api/dcim/platforms/":
					listResponse(w, r, platforms, 1000)
				case "/api/dcim/interfaces/", "/api/dcim/mac-addresses/", "/api/ipam/ip-addresses/":
					assert.Equal(t, "7", r.URL.Query().Get("device_id"))
					listResponse(w, r, nil, 1000)
				default:
					http.NotFound(w, r)
				}
			})
			c := newTestClient(t, f)
			s, err := c.Snapshot(context.Background(), "web01")
			assert.Len(t, f.requests(), tt.wantReqs)
			if tt.wantErr != nil {
				require.Error(t, err)
				var amb *AmbiguousNameError
				require.ErrorAs(t, err, &amb)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantFound, s.Found)
			assert.Len(t, s.Platforms, tt.platforms)
			assert.NotNil(t, s.Platforms)
			if tt.wantFound {
				assert.Equal(t, int64(7), s.Device.ID)
			} else {
				assert.Zero(t, s.Device)
			}
		})
	}

	c, err := New(Config{URL: "https://nb", Token: testToken})
	require.NoError(t, err)
	_, err = c.Snapshot(context.Background(), "")
	assert.ErrorContains(t, err, "empty host name")
}

func TestCreatePlatformAndJournal(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/dcim/platforms/":
			writeJSON(w, http.StatusCreated, platformJSON(42))
		case "/api/extras/journal-entries/":
			writeJSON(w, http.StatusCreated, map[string]any{
				"id": 3, "url": "http://nb/api/extras/journal-entries/3/", "display": "x",
				"assigned_object_type": "dcim.device", "assigned_object_id": 7,
				"kind": map[string]any{"value": "success", "label": "Success"}, "comments": "synced",
			})
		}
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "os-00042", Slug: "os-00042"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, record.Platform{ID: 42, Name: "os-00042", Slug: "os-00042"}, p)

	j, err := c.CreateJournalEntry(ctx, JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: 7, Kind: "success", Comments: "synced"}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, JournalEntry{ID: 3, AssignedObjectType: "dcim.device", AssignedObjectID: 7, Kind: "success", Comments: "synced"}, j)

	reqs := withoutStatus(f.requests()) // the first write reads NetBox's version (version.go)
	require.Len(t, reqs, 2)
	assert.JSONEq(t, `{"name":"os-00042","slug":"os-00042"}`, reqs[0].Body)
	assert.JSONEq(t, `{"assigned_object_type":"dcim.device","assigned_object_id":7,"kind":"success","comments":"synced"}`, reqs[1].Body)
}

func TestBulk(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []map[string]any{platformJSON(1), platformJSON(2)})
	})
	c := newTestClient(t, f)
	ctx := context.Background()

	var out []record.Platform
	require.NoError(t, c.postList(ctx, "/api/dcim/platforms/", []PlatformCreate{{Name: "a", Slug: "a"}, {Name: "b", Slug: "b"}}, &out, WriteOptions{}))
	assert.Len(t, out, 2)
	require.NoError(t, c.patchList(ctx, "/api/dcim/platforms/", []map[string]any{{"id": 1, "description": "x"}, {"id": 2}}, &out, WriteOptions{}))
	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.JSONEq(t, `[{"name":"a","slug":"a"},{"name":"b","slug":"b"}]`, reqs[0].Body)
	assert.Equal(t, http.MethodPatch, reqs[1].Method)
	assert.JSONEq(t, `[{"id":1,"description":"x"},{"id":2}]`, reqs[1].Body)

	// Caught before any request.
	err := c.patchList(ctx, "/api/dcim/platforms/", []map[string]any{{"id": 1}, {"name": "x"}}, &out, WriteOptions{})
	assert.ErrorContains(t, err, "element 1 has no id")
	err = c.postList(ctx, "/api/dcim/platforms/", PlatformCreate{Name: "a", Slug: "a"}, &out, WriteOptions{})
	assert.ErrorContains(t, err, "must be a slice")
	out = nil
	require.NoError(t, c.postList(ctx, "/api/dcim/platforms/", []PlatformCreate{}, &out, WriteOptions{}))
	assert.NotNil(t, out)
	assert.Empty(t, out)
	err = c.doJSON(ctx, http.MethodGet, "https://elsewhere.example/api/", nil, nil, nil)
	assert.ErrorContains(t, err, "not an API path")
	assert.Len(t, f.requests(), 2)
}

func TestLogging(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/status/" {
			statusHandler(w, r)
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "No Device matches the given query."})
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, f, WithLogger(logger))
	_, err := c.Status(context.Background())
	require.NoError(t, err)
	_, err = c.GetDevice(context.Background(), 99)
	require.Error(t, err)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "DEBUG", first["level"])
	assert.Equal(t, "GET", first["method"])
	assert.Equal(t, "/api/status/", first["path"])
	assert.Equal(t, 200.0, first["status"])
	assert.Contains(t, first, "duration")
	assert.Contains(t, lines[1], `"status":404`)
	assertNoToken(t, logs.String())
	assert.NotContains(t, strings.ToLower(logs.String()), "authorization")
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(statusHandler))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case logs a handshake error
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))

	tests := []struct {
		name     string
		cfg      Config
		wantErr  string
		wantKind ErrorKind
	}{
		{name: "CA file", cfg: Config{CAFile: caFile}},
		{name: "insecure", cfg: Config{InsecureSkipVerify: true}},
		{name: "untrusted", cfg: Config{}, wantKind: KindNetwork, wantErr: "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URL, cfg.Token = srv.URL, testToken
			c, err := New(cfg)
			require.NoError(t, err)
			_, err = c.Status(context.Background())
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, IsKind(err, tt.wantKind), "%v", err)
			assert.Contains(t, err.Error(), tt.wantErr)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Contains(t, e.Hint(), EnvCAFile)
			assertErrNoToken(t, err)
		})
	}

	_, err := New(Config{URL: srv.URL, Token: testToken, CAFile: notPEM})
	assert.ErrorContains(t, err, "NETBOX_CA_FILE")
	_, err = New(Config{URL: srv.URL, Token: testToken, CAFile: filepath.Join(t.TempDir(), "missing.pem")})
	assert.ErrorContains(t, err, "NETBOX_CA_FILE")
}
