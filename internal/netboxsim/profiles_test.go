package netboxsim_test

// Contract tests of the version profiles (profiles.go): what 4.4, 4.5 and
// 4.6 change, each checked on every profile, so that a profile shows both
// that it has its release's behaviour and that the older ones lack it.
// Every exchange is validated against the 4.3 document as
// oas.MiddlewareFor explains.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gonetbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func startVersion(t *testing.T, version string) *simtest.Server {
	t.Helper()
	return simtest.Start(t, netboxsim.Options{ReadOnlyToken: readOnlyToken, Version: version})
}

// since reports whether profile (a netboxsim.Profiles value) is 4.<minor> or later.
func since(profile string, minor int) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(profile, "4."))
	return err == nil && n >= minor
}

func newJSONRequest(t *testing.T, s *simtest.Server, method, path string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// eachProfile runs f once per profile, in parallel.
func eachProfile(t *testing.T, f func(t *testing.T, profile string, s *simtest.Server)) {
	t.Helper()
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			f(t, p, startVersion(t, p))
		})
	}
}

func TestProfileVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, profile, reported, api string
	}{
		{"", "4.3", "4.3.7", "4.3"},
		{"4.3", "4.3", "4.3.7", "4.3"},
		{"4.4", "4.4", "4.4.10", "4.4"},
		{"4.5", "4.5", "4.5.10", "4.5"},
		{"4.6", "4.6", "4.6.8", "4.6"},
		{"4.6.2", "4.6", "4.6.2", "4.6"},
		{"v4.5.1", "4.5", "4.5.1", "4.5"},
		{"4.7.0-beta1", "4.6", "4.7.0-beta1", "4.7"},
		{"4.2.9", "4.3", "4.2.9", "4.2"},
		{"nonsense", "4.3", "4.3.7", "4.3"},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			s := netboxsim.New(netboxsim.Options{Version: tc.version})
			assert.Equal(t, tc.profile, s.Profile())
			assert.Equal(t, tc.reported, s.Version())
		})
	}
	for _, tc := range tests[1:5] {
		t.Run("API-Version "+tc.version, func(t *testing.T) {
			s := startVersion(t, tc.version)
			resp, _ := raw(t, s, "GET", "/api/dcim/sites/", "Token "+s.Token, nil)
			assert.Equal(t, tc.api, resp.Header.Get("API-Version"))
		})
	}
}

// TestProfileStatus: 4.4 renamed installed-apps to installed_apps and added
// hostname (netbox/api/views.py StatusView).
func TestProfileStatus(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		resp, data := raw(t, s, "GET", "/api/status/", "Token "+s.Token, nil)
		require.Equal(t, 200, resp.StatusCode, "%s", data)
		var st map[string]any
		require.NoError(t, json.Unmarshal(data, &st))
		assert.Equal(t, s.Sim.Version(), st["netbox-version"])
		assert.True(t, strings.HasPrefix(st["netbox-version"].(string), p+"."))
		if since(p, 4) {
			assert.Contains(t, st, "installed_apps")
			assert.NotContains(t, st, "installed-apps")
			assert.Contains(t, st, "hostname")
		} else {
			assert.Contains(t, st, "installed-apps")
			assert.NotContains(t, st, "installed_apps")
			assert.NotContains(t, st, "hostname")
		}
		apps := st["installed_apps"]
		if apps == nil {
			apps = st["installed-apps"]
		}
		assert.Contains(t, apps, "rest_framework")
	})
}

// TestProfileTokens: v2 tokens from 4.5 (netbox/api/authentication.py).
// Before, DRF's TokenAuthentication knows only the "Token" keyword: a
// Bearer header is no credentials at all, and a v2 token after "Token" is
// an unknown key. From 4.5 the nbt_ prefix decides the version, whatever
// the keyword, and the messages name the version.
func TestProfileTokens(t *testing.T) {
	t.Parallel()
	const notProvided = "Authentication credentials were not provided."
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		v2 := s.V2Token
		key := strings.SplitN(strings.TrimPrefix(v2, "nbt_"), ".", 2)[0]
		tests := []struct {
			name       string
			auth       string
			old, new   int // status before 4.5 and from 4.5
			oldD, newD string
			write      bool
		}{
			{"v2 Bearer reads", "Bearer " + v2, 403, 200, notProvided, "", false},
			{"v2 Bearer writes", "Bearer " + v2, 403, 201, notProvided, "", true},
			{"v2 after Token", "Token " + v2, 403, 200, "Invalid token", "", false},
			{"v1 after Bearer", "Bearer " + s.Token, 403, 200, notProvided, "", false},
			{"v1 after Token", "Token " + s.Token, 200, 200, "", "", false},
			{"unknown v1", "Token 0000000000000000000000000000000000000000", 403, 403, "Invalid token", "Invalid v1 token", false},
			{"v2 with a wrong secret", "Bearer nbt_" + key + ".wrong", 403, 403, notProvided, "Invalid v2 token", false},
			{"v2 without a key", "Bearer nbt_nodot", 403, 403, notProvided,
				"Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?", false},
			{"spaces", "Bearer a b", 403, 403, notProvided,
				`Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`, false},
			{"read-only v1 writes", "Token " + readOnlyToken, 403, 403,
				"You do not have permission to perform this action.", "You do not have permission to perform this action.", true},
		}
		for i, tc := range tests {
			method, path, body := "GET", "/api/dcim/sites/", any(nil)
			if tc.write {
				method, path = "POST", "/api/dcim/sites/"
				slug := "site-w" + string(rune('a'+i))
				body = map[string]any{"name": slug, "slug": slug}
			}
			resp, data := raw(t, s, method, path, tc.auth, body)
			want, detail := tc.old, tc.oldD
			if since(p, 5) {
				want, detail = tc.new, tc.newD
			}
			require.Equal(t, want, resp.StatusCode, "%s: %s", tc.name, data)
			if detail != "" {
				assert.JSONEq(t, `{"detail": `+quote(detail)+`}`, string(data), tc.name)
			}
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestProfileChangelogMessage: from 4.4 a write may carry changelog_message,
// which becomes the message of its change records and is never returned;
// 4.3 ignores the unknown key. A bulk update validates it as a non-blank
// string (BulkOperationSerializer is a ChangeLogMessageSerializer).
func TestProfileChangelogMessage(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		want := func(msg string) string {
			if since(p, 4) {
				return msg
			}
			return ""
		}
		one := mustDo(t, s, "POST", "/api/dcim/sites/", map[string]any{
			"name": "A", "slug": "a", "changelog_message": "create one"}, 201)
		assert.NotContains(t, one, "changelog_message", "write-only")
		id := int64(one["id"].(float64))
		status, data := s.Do(t, "POST", "/api/dcim/sites/", []any{
			map[string]any{"name": "B", "slug": "b", "changelog_message": "bulk 1"},
			map[string]any{"name": "C", "slug": "c"},
		})
		require.Equal(t, 201, status, "%s", data)
		mustDo(t, s, "PATCH", simtest.Path("dcim/sites", id), map[string]any{"description": "x", "changelog_message": "update one"}, 200)
		status, data = s.Do(t, "PATCH", "/api/dcim/sites/", []any{map[string]any{"id": id, "description": "y", "changelog_message": "bulk update"}})
		require.Equal(t, 200, status, "%s", data)

		var got []string
		for _, c := range s.Sim.ObjectChanges() {
			assert.Equal(t, "dcim.site", c.ObjectType)
			got = append(got, c.Action+":"+c.Message)
		}
		assert.Equal(t, []string{"create:" + want("create one"), "create:" + want("bulk 1"), "create:",
			"update:" + want("update one"), "update:" + want("bulk update")}, got)

		for _, tc := range []struct {
			msg  any
			want string
		}{
			{"", "This field may not be blank."},
			{"   ", "This field may not be blank."},
			{nil, "This field may not be null."},
			{true, "Not a valid string."},
			{map[string]any{"a": 1}, "Not a valid string."},
		} {
			status, data := s.Do(t, "PATCH", "/api/dcim/sites/", []any{map[string]any{"id": id, "changelog_message": tc.msg}})
			if !since(p, 4) {
				assert.Equal(t, 200, status, "4.3 ignores the key: %s", data)
				continue
			}
			require.Equal(t, 400, status, "%s", data)
			assert.JSONEq(t, `[{"changelog_message": [`+quote(tc.want)+`]}]`, string(data))
		}
		before := len(s.Sim.ObjectChanges())
		status, _ = s.Do(t, "PATCH", "/api/dcim/sites/", []any{map[string]any{"id": id, "slug": "bad slug!", "changelog_message": "rolled back"}})
		require.Equal(t, 400, status)
		assert.Len(t, s.Sim.ObjectChanges(), before, "a failed request records no change")
	})
}

// TestProfileOwner: from 4.5 primary and organizational models and
// interfaces have an optional owner (users.Owner), rendered after the
// field NetBox's Meta.fields puts it after, and writable (null or an
// owner; the simulator has no owners, so an id is not found).
func TestProfileOwner(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		f := s.Seed(t)
		dev := create(t, s, "dcim/devices", device(f, "h1"))
		iface := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
		create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.1/24",
			"assigned_object_type": "dcim.interface", "assigned_object_id": iface})

		for path, after := range map[string]string{
			simtest.Path("dcim/devices", dev):           "description",
			simtest.Path("dcim/interfaces", iface):      "connected_endpoints_reachable",
			simtest.Path("dcim/sites", f.SiteID):        "longitude",
			simtest.Path("dcim/device-roles", f.RoleID): "virtualmachine_count",
			"/api/ipam/ip-addresses/1/":                 "description",
		} {
			_, data := s.Do(t, "GET", path, nil)
			keys := orderedKeys(t, data)
			i := indexOf(keys, "owner")
			if !since(p, 5) {
				assert.Equal(t, -1, i, "%s has no owner before 4.5", path)
				continue
			}
			require.GreaterOrEqual(t, i, 1, "%s: %v", path, keys)
			assert.Equal(t, after, keys[i-1], path)
			var obj map[string]any
			require.NoError(t, json.Unmarshal(data, &obj))
			assert.Nil(t, obj["owner"])
		}
		// Tags and journal entries have none in any release.
		_, data := s.Do(t, "GET", "/api/extras/tags/", nil)
		assert.NotContains(t, string(data), `"owner"`)

		mustDo(t, s, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"owner": nil}, 200)
		status, data := s.Do(t, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"owner": 7})
		if since(p, 5) {
			require.Equal(t, 400, status)
			assert.JSONEq(t, `{"owner": ["Related object not found using the provided numeric ID: 7"]}`, string(data))
		} else {
			assert.Equal(t, 200, status, "an unknown key is ignored: %s", data)
		}
	})
}

// TestProfileNestedCounts settles what "4.6 drops counts from nested
// objects" means at runtime. Annotation-only counts (RelatedObjectCountField)
// are absent from nested objects in every release: a nested object is not
// annotated, so DRF skips the field; 4.6.5 removes them from nested
// serializers (netbox/api/serializers/base.py, #22154), which changes the
// OpenAPI document, not the JSON. ?brief=1 keeps them. Plain IntegerField
// counts stay nested: a device role's always, a platform's from 4.4, a
// device type's (a counter cache) from 4.5.
func TestProfileNestedCounts(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		f := s.Seed(t)
		typ := create(t, s, "virtualization/cluster-types", map[string]any{"name": "T", "slug": "t"})
		grp := create(t, s, "virtualization/cluster-groups", map[string]any{"name": "G", "slug": "g"})
		cl := create(t, s, "virtualization/clusters", map[string]any{"name": "C", "type": typ, "group": grp})
		vm := create(t, s, "virtualization/virtual-machines", map[string]any{"name": "vm1", "cluster": cl})
		plat := create(t, s, "dcim/platforms", map[string]any{"name": "P", "slug": "p"})
		body := device(f, "h1")
		body["platform"] = plat
		dev := create(t, s, "dcim/devices", body)

		got := mustDo(t, s, "GET", simtest.Path("virtualization/virtual-machines", vm), nil, 200)
		assert.NotContains(t, got["cluster"], "virtualmachine_count")
		got = mustDo(t, s, "GET", simtest.Path("virtualization/clusters", cl), nil, 200)
		assert.NotContains(t, got["type"], "cluster_count")
		assert.NotContains(t, got["group"], "cluster_count")
		assert.Contains(t, got, "virtualmachine_count", "the object itself is annotated")
		briefTypes := list(t, s, "/api/virtualization/cluster-types/?brief=1")
		assert.Equal(t, 1.0, briefTypes.Results[0]["cluster_count"], "brief mode is annotated")

		got = mustDo(t, s, "GET", simtest.Path("dcim/devices", dev), nil, 200)
		role := got["role"].(map[string]any)
		assert.Contains(t, role, "device_count")
		assert.Contains(t, role, "virtualmachine_count")
		platform := got["platform"].(map[string]any)
		deviceType := got["device_type"].(map[string]any)
		if since(p, 4) {
			assert.Equal(t, 0.0, platform["device_count"], "IntegerField(default=0), not annotated when nested")
		} else {
			assert.NotContains(t, platform, "device_count")
		}
		if since(p, 5) {
			assert.Equal(t, 1.0, deviceType["device_count"], "a counter cache")
		} else {
			assert.NotContains(t, deviceType, "device_count")
		}
	})
}

var weakETag = regexp.MustCompile(`^W/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00"$`)

// TestProfileETags: 4.6's ETagMixin. A retrieve, a single create and a
// detail update carry a weak ETag made from last_updated; a detail write
// whose If-Match lists other ETags is refused with 412 and the current
// ETag, after the 404 check and before validation, and changes nothing.
// Lists and bulk writes have no ETags. Before 4.6 there are none and
// If-Match is ignored.
func TestProfileETags(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		f := s.Seed(t)
		auth := "Token " + s.Token
		path := simtest.Path("dcim/devices", create(t, s, "dcim/devices", device(f, "h1")))
		send := func(method, path, ifMatch string, body any) (*http.Response, []byte) {
			t.Helper()
			req := newJSONRequest(t, s, method, path, body)
			req.Header.Set("Authorization", auth)
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			return do(t, req)
		}

		resp, data := send("GET", path, "", nil)
		tag := resp.Header.Get("ETag")
		if !since(p, 6) {
			assert.Empty(t, tag)
			resp, data = send("PATCH", path, `W/"2000-01-01T00:00:00+00:00"`, map[string]any{"serial": "S1"})
			assert.Equal(t, 200, resp.StatusCode, "If-Match is ignored: %s", data)
			return
		}
		require.Regexp(t, weakETag, tag)
		var obj struct {
			LastUpdated time.Time `json:"last_updated"`
		}
		require.NoError(t, json.Unmarshal(data, &obj))
		assert.Equal(t, `W/"`+obj.LastUpdated.UTC().Format("2006-01-02T15:04:05.000000")+`+00:00"`, tag)

		stale := `W/"2000-01-01T00:00:00+00:00"`
		for _, method := range []string{"PATCH", "PUT", "DELETE"} {
			resp, data = send(method, path, stale, map[string]any{"serial": "nope", "status": "bogus"})
			require.Equal(t, 412, resp.StatusCode, "%s: %s", method, data)
			assert.JSONEq(t, `{"detail": "Precondition failed."}`, string(data))
			assert.Equal(t, tag, resp.Header.Get("ETag"), "412 carries the current ETag")
		}
		resp, _ = send("GET", path, "", nil)
		assert.Equal(t, tag, resp.Header.Get("ETag"), "nothing changed")
		resp, _ = send("PATCH", "/api/dcim/devices/999/", stale, map[string]any{"serial": "x"})
		assert.Equal(t, 404, resp.StatusCode, "get_object comes first")

		resp, data = send("PATCH", path, tag, map[string]any{"serial": "S1"})
		require.Equal(t, 200, resp.StatusCode, "%s", data)
		next := resp.Header.Get("ETag")
		require.Regexp(t, weakETag, next)
		assert.NotEqual(t, tag, next)
		resp, data = send("PATCH", path, `"strong", `+next, map[string]any{"serial": "S2"})
		require.Equal(t, 200, resp.StatusCode, "any of a list matches: %s", data)
		resp, data = send("PATCH", path, "*", map[string]any{"serial": "S3"})
		require.Equal(t, 200, resp.StatusCode, "* is no precondition: %s", data)
		resp, data = send("PATCH", path, tag, map[string]any{"serial": "S4"})
		require.Equal(t, 412, resp.StatusCode, "an old ETag no longer matches: %s", data)

		resp, _ = send("POST", "/api/dcim/sites/", "", map[string]any{"name": "S", "slug": "s"})
		require.Equal(t, 201, resp.StatusCode)
		assert.Regexp(t, weakETag, resp.Header.Get("ETag"), "a single create")
		resp, _ = send("POST", "/api/dcim/sites/", "", []any{map[string]any{"name": "S2", "slug": "s2"}})
		require.Equal(t, 201, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("ETag"), "a bulk create has none")
		resp, _ = send("GET", "/api/dcim/devices/", "", nil)
		assert.Empty(t, resp.Header.Get("ETag"), "a list has none")
		id := path[strings.LastIndex(strings.TrimSuffix(path, "/"), "/")+1 : len(path)-1]
		resp, data = send("PATCH", "/api/dcim/devices/", stale, []any{map[string]any{"id": json.Number(id), "serial": "bulk"}})
		assert.Equal(t, 200, resp.StatusCode, "bulk updates take no If-Match: %s", data)
	})
}

// TestProfileGoNetbox: the go-netbox v4.3.0 calls the client still makes
// (platforms, journal entries, status) decode every profile's answers, and
// so do devices, which the client reads through its own types anyway.
func TestProfileGoNetbox(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		f := s.Seed(t)
		token := s.Token
		if since(p, 5) {
			token = s.V2Token // "Token nbt_..." is v2 too
		}
		c := gonetbox.NewAPIClientFor(s.URL, token)
		ctx := context.Background()
		check := func(err error) {
			t.Helper()
			if oe, ok := err.(*gonetbox.GenericOpenAPIError); ok {
				t.Fatalf("%v: %s", err, oe.Body())
			}
			require.NoError(t, err)
		}
		plat, _, err := c.DcimAPI.DcimPlatformsCreate(ctx).PlatformRequest(*gonetbox.NewPlatformRequest("P", "p")).Execute()
		check(err)
		_, _, err = c.DcimAPI.DcimPlatformsList(ctx).Execute()
		check(err)
		body := device(f, "h1")
		body["platform"] = plat.Id
		dev := create(t, s, "dcim/devices", body)
		_, _, err = c.DcimAPI.DcimDevicesList(ctx).Execute()
		check(err)
		_, _, err = c.DcimAPI.DcimDevicesRetrieve(ctx, int32(dev)).Execute()
		check(err)
		_, _, err = c.ExtrasAPI.ExtrasJournalEntriesCreate(ctx).WritableJournalEntryRequest(
			*gonetbox.NewWritableJournalEntryRequest("dcim.device", dev, "synced")).Execute()
		check(err)
		st, _, err := c.StatusAPI.StatusRetrieve(ctx).Execute()
		check(err)
		assert.Equal(t, s.Sim.Version(), st["netbox-version"])
	})
}

func orderedKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestProfileAssignedObjectTypeFilter: the assigned_object_type filter of
// IPs and MAC addresses takes the content type's id up to 4.4.3 (400 for
// anything else) and "app.model" from 4.4.4 (ContentTypeFilter, which
// answers an id or nonsense with nothing rather than a 400).
func TestProfileAssignedObjectTypeFilter(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"4.3", "4.4.3", "4.4.4", "4.5", "4.6"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := startVersion(t, version)
			f := s.Seed(t)
			dev := create(t, s, "dcim/devices", device(f, "h1"))
			iface := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
			ip := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.1/24",
				"assigned_object_type": "dcim.interface", "assigned_object_id": iface})
			create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.2/24"})
			mac := create(t, s, "dcim/mac-addresses", map[string]any{"mac_address": "AA:BB:CC:00:00:01",
				"assigned_object_type": "dcim.interface", "assigned_object_id": iface})
			create(t, s, "dcim/mac-addresses", map[string]any{"mac_address": "AA:BB:CC:00:00:02"})
			byID := fmt.Sprint(s.Sim.ContentTypeID("dcim.interface"))
			byName := version != "4.3" && version != "4.4.3"

			for _, tc := range []struct {
				route string
				want  int64
			}{{"ipam/ip-addresses", ip}, {"dcim/mac-addresses", mac}} {
				path := "/api/" + tc.route + "/?assigned_object_type="
				if byName {
					assert.Equal(t, []int64{tc.want}, ids(list(t, s, path+"dcim.interface")))
					assert.Equal(t, []int64{tc.want}, ids(list(t, s, path+"DCIM.Interface")))
					assert.Empty(t, ids(list(t, s, path+byID)), "an id matches nothing")
					assert.Empty(t, ids(list(t, s, path+"nonsense")))
					continue
				}
				assert.Equal(t, []int64{tc.want}, ids(list(t, s, path+byID)))
				status, _ := s.Do(t, "GET", path+"dcim.interface", nil)
				assert.Equal(t, 400, status)
			}
		})
	}
}
