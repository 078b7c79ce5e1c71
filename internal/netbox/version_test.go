package netbox

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]serverVersion{
		"4.3":                 {4, 3},
		"4.6.8":               {4, 6},
		"v4.5.1-beta1":        {4, 5},
		"4.4.10-Docker-3.4.1": {4, 4},
		" 4.10.0 ":            {4, 10},
	} {
		got, ok := parseVersion(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "4", "four.six", "4.x", "-1.2"} {
		_, ok := parseVersion(in)
		assert.False(t, ok, in)
	}
	assert.True(t, serverVersion{4, 6}.atLeast(4, 4))
	assert.True(t, serverVersion{5, 0}.atLeast(4, 6))
	assert.False(t, serverVersion{4, 3}.atLeast(4, 4))
	assert.False(t, serverVersion{}.atLeast(4, 4))
}

// TestChangelogBodies: what withChangelog makes of each kind of body.
func TestChangelogBodies(t *testing.T) {
	c := &Client{ver: newVersionState()}
	c.ver.set(serverVersion{4, 4})
	sync := WriteOptions{ChangelogMessage: "cmdb-mcp sync plan-1"}
	for _, tc := range []struct{ name, method, in, want string }{
		{"object", "PATCH", `{"a":1}`, `{"a":1,"changelog_message":"cmdb-mcp sync plan-1"}`},
		{"empty object", "POST", `{}`, `{"changelog_message":"cmdb-mcp sync plan-1"}`},
		{"list", "PATCH", `[{"id":1},{"id":2,"changelog_message":"mine"}]`,
			`[{"id":1,"changelog_message":"cmdb-mcp sync plan-1"},{"id":2,"changelog_message":"mine"}]`},
		{"not an object", "POST", `[1,"x"]`, `[1,"x"]`},
		{"a GET body is left alone", "GET", `{"a":1}`, `{"a":1}`},
		{"nor a DELETE", "DELETE", `[{"id":1}]`, `[{"id":1}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, string(c.withChangelog(sync, tc.method, []byte(tc.in))))
		})
	}
	t.Run("default message", func(t *testing.T) {
		got := c.withChangelog(WriteOptions{}, "POST", []byte(`{"a":1}`))
		assert.JSONEq(t, `{"a":1,"changelog_message":"cmdb-mcp"}`, string(got))
	})
	t.Run("blank message is not sent", func(t *testing.T) {
		got := c.withChangelog(WriteOptions{ChangelogMessage: "  "}, "POST", []byte(`{"a":1}`))
		assert.Equal(t, `{"a":1}`, string(got))
	})
	t.Run("long message is cut to NetBox's 200 characters", func(t *testing.T) {
		got := c.withChangelog(WriteOptions{ChangelogMessage: strings.Repeat("é", 300)}, "POST", []byte(`{}`))
		var body struct {
			Message string `json:"changelog_message"`
		}
		require.NoError(t, json.Unmarshal(got, &body))
		assert.Equal(t, 200, len([]rune(body.Message)))
	})
	t.Run("not before 4.4", func(t *testing.T) {
		old := &Client{ver: newVersionState()}
		old.ver.set(serverVersion{4, 3})
		assert.Equal(t, `{"a":1}`, string(old.withChangelog(sync, "POST", []byte(`{"a":1}`))))
	})
}

// TestVersionSources: the version comes from the API-Version header of
// any answer or from /api/status/, whichever comes first; a write before
// either goes out as for 4.3 and its answer tells the next one. No request
// is made only to learn the version.
func TestVersionSources(t *testing.T) {
	type seen struct{ method, path, body string }
	newServer := func(t *testing.T, header string) (*fakeNetBox, *Client) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("API-Version", header)
			switch {
			case r.URL.Path == "/api/status/":
				writeJSON(w, http.StatusOK, map[string]any{"netbox-version": "4.6.8", "installed_apps": map[string]any{}})
			case r.Method == http.MethodGet:
				listResponse(w, r, []map[string]any{platformJSON(1)}, 1000)
			default:
				writeJSON(w, http.StatusCreated, map[string]any{"id": 9, "name": "x", "slug": "x"})
			}
		})
		return f, newTestClient(t, f)
	}
	bodies := func(f *fakeNetBox) []seen {
		var out []seen
		for _, r := range f.requests() {
			out = append(out, seen{r.Method, r.Path, r.Body})
		}
		return out
	}
	ctx := context.Background()
	create := func(t *testing.T, c *Client, slug string) {
		t.Helper()
		_, err := c.CreatePlatform(ctx, PlatformCreate{Name: slug, Slug: slug}, WriteOptions{})
		require.NoError(t, err)
	}

	t.Run("a first write goes out as for 4.3 and teaches the version", func(t *testing.T) {
		f, c := newServer(t, "4.4")
		create(t, c, "x")
		create(t, c, "y")
		got := bodies(f)
		require.Len(t, got, 2, "%+v", got)
		assert.JSONEq(t, `{"name":"x","slug":"x"}`, got[0].body)
		assert.JSONEq(t, `{"name":"y","slug":"y","changelog_message":"cmdb-mcp"}`, got[1].body)
	})
	t.Run("an earlier read's API-Version is enough", func(t *testing.T) {
		for header, want := range map[string]string{
			"4.3": `{"name":"x","slug":"x"}`,
			"4.5": `{"name":"x","slug":"x","changelog_message":"cmdb-mcp"}`,
		} {
			f, c := newServer(t, header)
			_, err := c.listPlatforms(ctx)
			require.NoError(t, err)
			create(t, c, "x")
			got := bodies(f)
			require.Len(t, got, 2)
			assert.JSONEq(t, want, got[1].body, header)
		}
	})
	t.Run("/api/status/", func(t *testing.T) {
		f, c := newServer(t, "") // a proxy that drops the header
		assert.Equal(t, "4.6", c.ServerVersion(ctx), "read from /api/status/")
		assert.Equal(t, "4.6", c.ServerVersion(ctx), "once")
		create(t, c, "x")
		got := bodies(f)
		require.Len(t, got, 2, "%+v", got)
		assert.Equal(t, "/api/status/", got[0].path)
		assert.JSONEq(t, `{"name":"x","slug":"x","changelog_message":"cmdb-mcp"}`, got[1].body)
	})
}

// startProfile runs the simulator as NetBox release profile, with a client
// on token ("v1" or "v2").
func startProfile(t *testing.T, profile, token string) (*simtest.Server, *Client) {
	t.Helper()
	s := simtest.Start(t, netboxsim.Options{Version: profile})
	tok := s.Token
	if token == "v2" {
		tok = s.V2Token
	}
	c, err := New(Config{URL: s.URL, Token: tok})
	require.NoError(t, err)
	return s, c
}

func profileAtLeast(profile string, minor int) bool {
	n, _ := strconv.Atoi(strings.TrimPrefix(profile, "4."))
	return n >= minor
}

// TestClientAdaptsToProfiles runs the client against each release the
// simulator plays: it reads devices whatever the release adds, sends
// changelog_message from 4.4 on, v2 tokens from 4.5 on, and If-Match from
// 4.6 on.
func TestClientAdaptsToProfiles(t *testing.T) {
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, c := startProfile(t, p, "v1")
			assert.Equal(t, p, c.ServerVersion(ctx))
			fx := s.Seed(t)

			t.Run("devices decode", func(t *testing.T) {
				id := createDevice(t, c, fx, "dev-"+p)
				byName, err := c.listDevices(ctx, DeviceQuery{Name: "DEV-" + p})
				require.NoError(t, err)
				require.Len(t, byName, 1)
				one, err := c.GetDevice(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, byName[0], one)
				assert.Equal(t, "active", one.Status)
				assert.Equal(t, "Model "+fx.Suffix, one.DeviceType.Name)
				assert.NotEmpty(t, one.LastUpdated)
				pg, err := c.DevicesPage(ctx, DeviceQuery{SiteID: fx.SiteID}, PageRequest{Limit: 10})
				require.NoError(t, err)
				assert.Equal(t, 1, pg.Count)
			})

			t.Run("changelog messages", func(t *testing.T) {
				dev := createDevice(t, c, fx, "log-"+p)
				before := len(s.Sim.ObjectChanges())
				sync := WriteOptions{ChangelogMessage: "cmdb-mcp sync plan-" + p}
				ifs, err := c.CreateInterfaces(ctx, []InterfaceCreate{{Device: dev, Name: "eth0", Type: "1000base-t"}}, sync)
				require.NoError(t, err)
				_, err = c.UpdateInterfaces(ctx, []InterfaceUpdate{{ID: ifs[0].ID, Description: ptr("x")}}, sync)
				require.NoError(t, err)
				_, err = c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("S-" + p)}, sync)
				require.NoError(t, err)
				_, err = c.CreateJournalEntry(ctx, JournalEntry{AssignedObjectType: "dcim.device", AssignedObjectID: dev, Comments: "synced"}, sync)
				require.NoError(t, err)
				_, err = c.CreatePlatform(ctx, PlatformCreate{Name: "P " + p, Slug: "p-" + strings.ReplaceAll(p, ".", "-")}, WriteOptions{})
				require.NoError(t, err)

				var got []string
				for _, oc := range s.Sim.ObjectChanges()[before:] {
					got = append(got, oc.ObjectType+" "+oc.Action+": "+oc.Message)
				}
				msg, def := "cmdb-mcp sync plan-"+p, "cmdb-mcp"
				if !profileAtLeast(p, 4) {
					msg, def = "", ""
				}
				assert.Equal(t, []string{
					"dcim.interface create: " + msg, "dcim.interface update: " + msg, "dcim.device update: " + msg,
					"extras.journalentry create: " + msg, "dcim.platform create: " + def,
				}, got)
			})

			t.Run("If-Match", func(t *testing.T) {
				dev := createDevice(t, c, fx, "etag-"+p)
				_, err := c.GetDevice(ctx, dev)
				require.NoError(t, err)
				// Someone else changes the device after this client read it.
				other, err := New(Config{URL: s.URL, Token: s.Token})
				require.NoError(t, err)
				_, err = other.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("theirs")}, WriteOptions{})
				require.NoError(t, err)

				_, err = c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("mine")}, WriteOptions{})
				now, readErr := other.GetDevice(ctx, dev)
				require.NoError(t, readErr)
				if !profileAtLeast(p, 6) {
					require.NoError(t, err, "no ETags before 4.6: the write goes through")
					assert.Equal(t, "mine", now.Serial)
					return
				}
				require.Error(t, err)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, KindConflict, e.Kind)
				assert.Equal(t, http.StatusPreconditionFailed, e.StatusCode)
				assert.Equal(t, "Precondition failed.", e.Message)
				assert.Equal(t, "theirs", now.Serial, "nothing was overwritten")

				_, err = c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("mine")}, WriteOptions{})
				assert.True(t, IsKind(err, KindConflict), "a plain retry does not overwrite either: %v", err)

				// After reading again the write goes through.
				_, err = c.GetDevice(ctx, dev)
				require.NoError(t, err)
				d, err := c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("mine")}, WriteOptions{})
				require.NoError(t, err)
				assert.Equal(t, "mine", d.Serial)
				// The PATCH's answer carries the next ETag: a second write
				// needs no read in between.
				d, err = c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("mine again")}, WriteOptions{})
				require.NoError(t, err)
				assert.Equal(t, "mine again", d.Serial)
			})

			t.Run("snapshot reads the device for its ETag on 4.6", func(t *testing.T) {
				dev := createDevice(t, c, fx, "snap-"+p)
				s.Sim.ResetRequests()
				snap, err := c.SnapshotFor(ctx, SnapshotQuery{Hostname: "snap-" + p})
				require.NoError(t, err)
				require.True(t, snap.Found)
				detail := 0
				for _, r := range settledRequests(s) {
					if r.Method == http.MethodGet && r.Path == "/api/dcim/devices/"+strconv.FormatInt(dev, 10)+"/" {
						detail++
					}
				}
				if profileAtLeast(p, 6) {
					assert.Equal(t, 1, detail)
					assert.NotEmpty(t, c.ver.etag(dev))
				} else {
					assert.Zero(t, detail)
					assert.Empty(t, c.ver.etag(dev))
				}
			})
		})
	}
}

// TestV2TokensByProfile: a v2 token goes as Bearer; NetBox accepts it from
// 4.5 and before says no credentials were given (403, KindAuth).
func TestV2TokensByProfile(t *testing.T) {
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			s, c := startProfile(t, p, "v2")
			_, err := c.Status(context.Background())
			if profileAtLeast(p, 5) {
				require.NoError(t, err)
				_, err = c.CreatePlatform(context.Background(), PlatformCreate{Name: "P", Slug: "p"}, WriteOptions{})
				require.NoError(t, err, "v2 tokens write")
				return
			}
			require.Error(t, err)
			assert.True(t, IsKind(err, KindAuth), "%v", err)
			assert.Contains(t, err.Error(), "Authentication credentials were not provided.")
			assert.NotContains(t, err.Error(), s.V2Token)
		})
	}
}

// TestIfMatchAfterOwnLostAnswer: on 4.6, a device PATCH whose answer is
// lost after NetBox committed it is retried with the same If-Match, which
// no longer matches. The device then has the values sent, so the update
// is reported done, not as a conflict.
func TestIfMatchAfterOwnLostAnswer(t *testing.T) {
	s := simtest.Start(t, netboxsim.Options{Version: "4.6"})
	c, err := New(Config{URL: s.URL, Token: s.Token, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 2 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	dev := createDevice(t, c, s.Seed(t), "lost")
	_, err = c.GetDevice(ctx, dev)
	require.NoError(t, err)
	require.NoError(t, s.Sim.AddFault(netboxsim.Fault{Method: "PATCH", Path: "/api/dcim/devices/*/", Count: 1, Drop: true, AfterCommit: true}))

	d, err := c.UpdateDevice(ctx, dev, DeviceUpdate{Serial: ptr("S1")}, WriteOptions{})
	require.NoError(t, err)
	assert.Equal(t, "S1", d.Serial)
	var statuses []int
	for _, r := range settledRequests(s) {
		if r.Method == http.MethodPatch {
			statuses = append(statuses, r.Status)
		}
	}
	assert.Equal(t, []int{0, 412}, statuses, "the lost answer, then the retry's 412")
}

// TestDevicesOfNewerReleases: device reads take what newer releases send,
// where go-netbox v4.3.0's models fail: a missing field 4.3 requires, a
// choice 4.3 does not know, an owner, nested counts, an ETag.
func TestDevicesOfNewerReleases(t *testing.T) {
	d := deviceJSON(7, "web01", 1, "DC1")
	delete(d, "console_port_count")
	d["status"] = map[string]any{"value": "retired", "label": "Retired"}
	d["owner"] = map[string]any{"id": 1, "name": "ops"}
	d["device_type"].(map[string]any)["device_count"] = 3
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("API-Version", "4.6")
		w.Header().Set("ETag", `W/"2025-01-02T03:04:05.123456+00:00"`)
		if r.URL.Path == "/api/dcim/devices/7/" {
			writeJSON(w, http.StatusOK, d)
			return
		}
		listResponse(w, r, []map[string]any{d}, 1000)
	})
	c := newTestClient(t, f)
	got, err := c.GetDevice(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, record.Device{
		ID: 7, Name: "web01", Status: "retired", Serial: "SN1",
		Site:         record.Ref{ID: 1, Name: "DC1", Slug: "dc1"},
		Role:         record.Ref{ID: 2, Name: "Server", Slug: "server"},
		DeviceType:   record.Ref{ID: 3, Name: "PowerEdge R640", Slug: "poweredge-r640"},
		Manufacturer: &record.Ref{ID: 4, Name: "Dell", Slug: "dell"},
		Platform:     &record.Ref{ID: 5, Name: "Ubuntu 22.04", Slug: "ubuntu-22.04"},
		PrimaryIP4:   &record.Ref{ID: 9, Name: "192.0.2.10/24"},
		LastUpdated:  "2025-01-02T03:04:05.123456Z",
	}, got)
	assert.Equal(t, `W/"2025-01-02T03:04:05.123456+00:00"`, c.ver.etag(7))
	list, err := c.listDevices(context.Background(), DeviceQuery{Name: "web01"})
	require.NoError(t, err)
	assert.Equal(t, []record.Device{got}, list)
}

func TestVersionAdvice(t *testing.T) {
	tests := []struct {
		version string
		want    string // in the advice; "" for none
	}{
		{"4.3.0", ""},
		{"4.3.7", ""},
		{"4.6.8", ""},
		{"v4.5.1-beta1", ""},
		{"4.2.9", "older than 4.3"},
		{"3.7.8", "older than 4.3"},
		{"4.7.0", "newer than 4.6"},
		{"5.0.1", "newer than 4.6"},
		{"", ""},
		{"nightly", ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			got := VersionAdvice(tt.version)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
			assert.Contains(t, got, "NetBox "+tt.version)
		})
	}
}

// TestUpdateAppliedTo: a 412 after this client's own lost write counts as
// applied only when the device has every value the update sets, custom
// fields included.
func TestUpdateAppliedTo(t *testing.T) {
	active, one := "active", int64(1)
	cf := map[string]any{"owner": "infra"}
	d := record.Device{Status: "active", Platform: &record.Ref{ID: 1}}
	for _, tt := range []struct {
		name string
		u    DeviceUpdate
		d    record.Device
		want bool
	}{
		{"status and platform", DeviceUpdate{Status: &active, Platform: &one}, d, true},
		{"another status", DeviceUpdate{Status: ptr("offline")}, d, false},
		{"custom field without a value", DeviceUpdate{Status: &active, CustomFields: &cf}, d, false},
		{"custom field with a value", DeviceUpdate{Status: &active, CustomFields: &cf},
			record.Device{Status: "active", CustomFields: record.CustomFieldValues{"owner": true}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.u.appliedTo(tt.d)) })
	}
}
