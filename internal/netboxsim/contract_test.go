package netboxsim_test

// Contract tests: each goes through simtest, so every exchange is also
// validated against NetBox 4.3's OpenAPI document, and each expectation
// is NetBox's behaviour as read from its source.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	s := start(t)
	site := map[string]any{"name": "Site X", "slug": "site-x"}
	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		body       any
		wantStatus int
		wantDetail string
	}{
		{"no header", "GET", "/api/dcim/devices/", "", nil, 403, "Authentication credentials were not provided."},
		{"unknown scheme", "GET", "/api/dcim/devices/", "Bearer nbt_abc.def", nil, 403, "Authentication credentials were not provided."},
		{"wrong token", "GET", "/api/dcim/devices/", "Token 0000000000000000000000000000000000000000", nil, 403, "Invalid token"},
		{"keyword only", "GET", "/api/dcim/devices/", "Token", nil, 403, "Invalid token header. No credentials provided."},
		{"status needs a token", "GET", "/api/status/", "", nil, 403, "Authentication credentials were not provided."},
		{"status with a bad token", "GET", "/api/status/", "Token nope", nil, 403, "Invalid token"},
		{"read-only token writes", "POST", "/api/dcim/sites/", "Token " + readOnlyToken, site, 403, "You do not have permission to perform this action."},
		{"read-only token deletes", "DELETE", "/api/dcim/sites/1/", "Token " + readOnlyToken, nil, 403, "You do not have permission to perform this action."},
		{"read-only token reads", "GET", "/api/dcim/sites/", "Token " + readOnlyToken, nil, 200, ""},
		{"read-only token reads status", "GET", "/api/status/", "Token " + readOnlyToken, nil, 200, ""},
		{"keyword is case-insensitive", "GET", "/api/dcim/sites/", "token " + s.Token, nil, 200, ""},
		{"write token writes", "POST", "/api/dcim/sites/", "Token " + s.Token, site, 201, ""},
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := raw(t, s, tc.method, tc.path, tc.auth, tc.body)
			require.Equal(t, tc.wantStatus, resp.StatusCode, "%s", data)
			assert.Equal(t, "4.3", resp.Header.Get("API-Version"))
			assert.Regexp(t, uuid, resp.Header.Get("X-Request-ID"))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			if tc.wantDetail != "" {
				assert.JSONEq(t, fmt.Sprintf(`{"detail": %q}`, tc.wantDetail), string(data))
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	dev := create(t, s, "dcim/devices", device(f, "h1"))
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/api/dcim/devices/999/", "No Device matches the given query."},
		{"PATCH", "/api/dcim/devices/999/", "No Device matches the given query."},
		{"DELETE", "/api/dcim/devices/999/", "No Device matches the given query."},
		{"GET", "/api/dcim/devices/abc/", "Not found."},
		{"GET", "/api/dcim/device-types/999/", "No DeviceType matches the given query."},
		{"GET", "/api/extras/journal-entries/999/", "No JournalEntry matches the given query."},
		// Detail routes apply the list filters too (DRF's get_object).
		{"GET", fmt.Sprintf("/api/dcim/devices/%d/?name=other", dev), "No Device matches the given query."},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body any
			if tc.method == "PATCH" {
				body = map[string]any{"description": "x"}
			}
			status, data := s.Do(t, tc.method, tc.path, body)
			assert.Equal(t, http.StatusNotFound, status)
			assert.JSONEq(t, fmt.Sprintf(`{"detail": %q}`, tc.want), string(data))
		})
	}
	t.Run("unknown endpoint", func(t *testing.T) {
		resp, _ := raw(t, s, "GET", "/api/dcim/nothing/", "Token "+s.Token, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	other := s.Seed(t)
	create(t, s, "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux"})
	create(t, s, "dcim/devices", device(f, "host1"))
	dev := create(t, s, "dcim/devices", device(f, "host2"))
	slugMsg := `Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.`
	tests := []struct {
		name  string
		route string
		body  any
		want  string
	}{
		{"required fields", "dcim/sites", map[string]any{},
			`{"name": ["This field is required."], "slug": ["This field is required."]}`},
		{"slug is never generated", "dcim/platforms", map[string]any{"name": "Ubuntu"},
			`{"slug": ["This field is required."]}`},
		{"bad slug", "dcim/sites", map[string]any{"name": "A", "slug": "a b"},
			`{"slug": ["` + slugMsg + `"]}`},
		{"blank name", "dcim/manufacturers", map[string]any{"name": " ", "slug": "m"},
			`{"name": ["This field may not be blank."]}`},
		{"null name", "dcim/manufacturers", map[string]any{"name": nil, "slug": "m"},
			`{"name": ["This field may not be null."]}`},
		{"too long", "dcim/platforms", map[string]any{"name": strings.Repeat("x", 101), "slug": "x"},
			`{"name": ["Ensure this field has no more than 100 characters."]}`},
		{"duplicate name and slug", "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux"},
			`{"name": ["platform with this name already exists."], "slug": ["platform with this slug already exists."]}`},
		{"names are case-sensitive", "dcim/platforms", map[string]any{"name": "linux", "slug": "linux-2"}, ""},
		{"duplicate site slug", "dcim/sites", map[string]any{"name": "Other", "slug": "site-1"},
			`{"slug": ["site with this slug already exists."]}`},
		{"device type unique per manufacturer", "dcim/device-types",
			map[string]any{"manufacturer": f.ManufacturerID, "model": "Model 1", "slug": "model-x"},
			`{"non_field_errors": ["The fields manufacturer, model must make a unique set."]}`},
		{"device type slug unique per manufacturer", "dcim/device-types",
			map[string]any{"manufacturer": f.ManufacturerID, "model": "New", "slug": "model-1"},
			`{"non_field_errors": ["The fields manufacturer, slug must make a unique set."]}`},
		{"same device type under another manufacturer", "dcim/device-types",
			map[string]any{"manufacturer": other.ManufacturerID, "model": "Model 1", "slug": "model-1"}, ""},
		{"top-level role name", "dcim/device-roles", map[string]any{"name": "Role 1", "slug": "r"},
			`{"__all__": ["A top-level device role with this name already exists."]}`},
		{"device name unique per site, case-insensitive", "dcim/devices", device(f, "HOST1"),
			`{"__all__": ["Device name must be unique per site."]}`},
		{"same device name in another site", "dcim/devices",
			map[string]any{"name": "host1", "device_type": f.DeviceTypeID, "role": f.RoleID, "site": other.SiteID}, ""},
		{"unnamed devices do not collide", "dcim/devices",
			map[string]any{"device_type": f.DeviceTypeID, "role": f.RoleID, "site": f.SiteID}, ""},
		{"device requires type, role and site", "dcim/devices", map[string]any{"name": "x"},
			`{"device_type": ["This field is required."], "role": ["This field is required."], "site": ["This field is required."]}`},
		{"bad choice", "dcim/devices", merge(device(f, "x"), map[string]any{"status": "foo"}),
			`{"status": ["foo is not a valid choice."]}`},
		{"choice as object", "dcim/devices", merge(device(f, "x"), map[string]any{"status": map[string]any{"value": "active"}}),
			`{"status": ["Value must be passed directly (e.g. \"foo\": 123); do not use a dictionary or list."]}`},
		{"bad foreign key id", "dcim/devices", merge(device(f, "x"), map[string]any{"site": 99}),
			`{"site": ["Related object not found using the provided numeric ID: 99"]}`},
		{"foreign key by attributes", "dcim/devices",
			merge(device(f, "by-attrs"), map[string]any{"site": map[string]any{"slug": "site-1"}}), ""},
		{"foreign key by unknown attributes", "dcim/devices",
			merge(device(f, "x"), map[string]any{"site": json.RawMessage(`{"slug": "nope", "name": "Nope"}`)}),
			`{"site": ["Related object not found using the provided attributes: {'slug': 'nope', 'name': 'Nope'}"]}`},
		{"foreign key of another kind", "dcim/devices", merge(device(f, "x"), map[string]any{"role": []int{1}}),
			`{"role": ["Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: [1]"]}`},
		{"stub foreign key", "dcim/devices", merge(device(f, "x"), map[string]any{"cluster": 3}),
			`{"cluster": ["Related object not found using the provided numeric ID: 3"]}`},
		{"bad tag", "dcim/sites", map[string]any{"name": "T", "slug": "t", "tags": []int{42}},
			`{"tags": ["Related object not found using the provided numeric ID: 42"]}`},
		{"tags not a list", "dcim/sites", map[string]any{"name": "T", "slug": "t", "tags": "a"},
			`{"tags": {"non_field_errors": ["Expected a list of items but got type \"str\"."]}}`},
		{"journal entry requires its fields", "extras/journal-entries", map[string]any{},
			`{"assigned_object_type": ["This field is required."], "assigned_object_id": ["This field is required."], "comments": ["This field is required."]}`},
		{"journal entry on a missing object", "extras/journal-entries",
			map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": 999, "comments": "x"},
			`{"non_field_errors": ["Invalid assigned_object: DCIM | device ID 999"]}`},
		{"journal entry bad kind", "extras/journal-entries",
			map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": dev, "comments": "x", "kind": "fatal"},
			`{"kind": ["fatal is not a valid choice."]}`},
		{"journal entry bad content type", "extras/journal-entries",
			map[string]any{"assigned_object_type": "dcim.nothing", "assigned_object_id": dev, "comments": "x"},
			`{"assigned_object_type": ["Invalid content type: dcim.nothing"]}`},
		{"not an object", "dcim/sites", "site",
			`{"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, http.MethodPost, "/api/"+tc.route+"/", tc.body)
			if tc.want == "" {
				assert.Equal(t, http.StatusCreated, status, "%s", data)
				return
			}
			assert.Equal(t, http.StatusBadRequest, status)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestWriteDefaultsAndReadOnlyFields(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	obj := mustDo(t, s, "POST", "/api/dcim/devices/", device(f, "h1"), http.StatusCreated)
	id := int64(obj["id"].(float64))
	assert.Equal(t, map[string]any{"value": "active", "label": "Active"}, obj["status"], "default status")
	assert.Nil(t, obj["platform"])
	assert.Nil(t, obj["face"], "a blank choice reads as null")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$`, obj["created"])
	assert.Equal(t, fmt.Sprintf("%s/dcim/devices/%d/", s.URL, id), obj["display_url"])

	je := mustDo(t, s, "POST", "/api/extras/journal-entries/",
		map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": id, "comments": "created"}, http.StatusCreated)
	assert.Equal(t, map[string]any{"value": "info", "label": "Info"}, je["kind"], "default kind")

	// Read-only and unknown keys are silently ignored.
	got := mustDo(t, s, "PATCH", simtest.Path("dcim/devices", id), map[string]any{
		"id": 999, "url": "http://elsewhere/", "display": "x", "created": "2000-01-01T00:00:00Z",
		"interface_count": 7, "no_such_field": true, "mac_address": "00:11:22:33:44:55",
		"description": "patched",
	}, http.StatusOK)
	assert.Equal(t, float64(id), got["id"])
	assert.Equal(t, obj["created"], got["created"])
	assert.Equal(t, float64(0), got["interface_count"])
	assert.Equal(t, "patched", got["description"])
	assert.NotContains(t, got, "no_such_field")
	assert.Equal(t, "h1", got["name"], "PATCH leaves other fields alone")

	// PUT is not partial: required fields must be there.
	status, data := s.Do(t, "PUT", simtest.Path("dcim/devices", id), map[string]any{"name": "h1"})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"device_type": ["This field is required."], "role": ["This field is required."], "site": ["This field is required."]}`, string(data))
}

func TestBulkCreate(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)

	t.Run("list aligned by index, nothing created", func(t *testing.T) {
		status, data := s.Do(t, "POST", "/api/dcim/platforms/", []map[string]any{
			{"name": "P1", "slug": "p1"}, {"name": "P2", "slug": "bad slug"}, {"name": "P3", "slug": "p3"}, {"name": "P4"},
		})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{}, {"slug": ["Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens."]}, {}, {"slug": ["This field is required."]}]`, string(data))
		assert.Equal(t, 0, list(t, s, "/api/dcim/platforms/").Count)
	})
	t.Run("duplicates inside one batch", func(t *testing.T) {
		status, data := s.Do(t, "POST", "/api/dcim/platforms/", []map[string]any{
			{"name": "P1", "slug": "p1"}, {"name": "P1", "slug": "p1"},
		})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{}, {"name": ["platform with this name already exists."], "slug": ["platform with this slug already exists."]}]`, string(data))
		assert.Equal(t, 0, list(t, s, "/api/dcim/platforms/").Count)
	})
	t.Run("all created", func(t *testing.T) {
		var out []map[string]any
		status, data := s.Do(t, "POST", "/api/dcim/platforms/", []map[string]any{{"name": "P1", "slug": "p1"}, {"name": "P2", "slug": "p2"}})
		require.Equal(t, http.StatusCreated, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &out))
		require.Len(t, out, 2)
		assert.Equal(t, "P1", out[0]["name"])
		assert.Equal(t, "P2", out[1]["name"])
	})
	t.Run("devices stop at the first invalid object", func(t *testing.T) {
		// DeviceViewSet creates sequentially: the second "d1" sees the
		// first, and the error body is that object's, not a list.
		status, data := s.Do(t, "POST", "/api/dcim/devices/", []map[string]any{device(f, "d1"), device(f, "d2"), device(f, "D1")})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"__all__": ["Device name must be unique per site."]}`, string(data))
		assert.Equal(t, 0, list(t, s, "/api/dcim/devices/").Count)

		status, data = s.Do(t, "POST", "/api/dcim/devices/", []map[string]any{device(f, "d1"), device(f, "d2")})
		require.Equal(t, http.StatusCreated, status, "%s", data)
		assert.Equal(t, 2, list(t, s, "/api/dcim/devices/").Count)
	})
}

func TestBulkUpdateAndDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	a := create(t, s, "dcim/devices", device(f, "a"))
	b := create(t, s, "dcim/devices", device(f, "b"))

	t.Run("update", func(t *testing.T) {
		var out []map[string]any
		status, data := s.Do(t, "PATCH", "/api/dcim/devices/", []map[string]any{
			{"id": b, "status": "planned"}, {"id": a, "status": "offline"}, {"id": 999, "status": "failed"},
		})
		require.Equal(t, http.StatusOK, status, "%s", data)
		require.NoError(t, json.Unmarshal(data, &out))
		// In the model's ordering; ids that do not exist are skipped.
		require.Len(t, out, 2)
		assert.Equal(t, "a", out[0]["name"])
		assert.Equal(t, map[string]any{"value": "offline", "label": "Offline"}, out[0]["status"])
		assert.Equal(t, map[string]any{"value": "planned", "label": "Planned"}, out[1]["status"])
	})
	t.Run("update is all-or-nothing", func(t *testing.T) {
		status, data := s.Do(t, "PATCH", "/api/dcim/devices/", []map[string]any{
			{"id": a, "status": "active"}, {"id": b, "status": "bogus"},
		})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"status": ["bogus is not a valid choice."]}`, string(data))
		got := mustDo(t, s, "GET", simtest.Path("dcim/devices", a), nil, http.StatusOK)
		assert.Equal(t, "offline", got["status"].(map[string]any)["value"], "first update rolled back")
	})
	t.Run("update needs ids", func(t *testing.T) {
		status, data := s.Do(t, "PATCH", "/api/dcim/devices/", []map[string]any{{"id": a}, {"status": "active"}, {"id": "x"}})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{}, {"id": ["This field is required."]}, {"id": ["A valid integer is required."]}]`, string(data))
		status, data = s.Do(t, "PATCH", "/api/dcim/devices/", map[string]any{"id": a})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"non_field_errors": ["Expected a list of items but got type \"dict\"."]}`, string(data))
	})
	t.Run("delete protected is all-or-nothing", func(t *testing.T) {
		spare := create(t, s, "dcim/sites", map[string]any{"name": "Spare", "slug": "spare"})
		status, data := s.Do(t, "DELETE", "/api/dcim/sites/", []map[string]any{{"id": spare}, {"id": f.SiteID}})
		require.Equal(t, http.StatusConflict, status)
		assert.JSONEq(t, `{"detail": "Unable to delete object. 2 dependent objects were found: a (`+fmt.Sprint(a)+`), b (`+fmt.Sprint(b)+`)"}`, string(data))
		mustDo(t, s, "GET", simtest.Path("dcim/sites", spare), nil, http.StatusOK)
	})
	t.Run("delete", func(t *testing.T) {
		je := create(t, s, "extras/journal-entries", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": a, "comments": "x"})
		status, data := s.Do(t, "DELETE", "/api/dcim/devices/", []map[string]any{{"id": a}, {"id": b}, {"id": 999}})
		require.Equal(t, http.StatusNoContent, status, "%s", data)
		assert.Empty(t, data)
		assert.Equal(t, 0, list(t, s, "/api/dcim/devices/").Count)
		// Journal entries go with their object.
		mustDo(t, s, "GET", simtest.Path("extras/journal-entries", je), nil, http.StatusNotFound)
	})
	t.Run("set null on delete", func(t *testing.T) {
		p := create(t, s, "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux"})
		d := create(t, s, "dcim/devices", merge(device(f, "c"), map[string]any{"platform": p}))
		mustDo(t, s, "DELETE", simtest.Path("dcim/platforms", p), nil, http.StatusNoContent)
		got := mustDo(t, s, "GET", simtest.Path("dcim/devices", d), nil, http.StatusOK)
		assert.Nil(t, got["platform"])
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	s := start(t)
	const total = 1234
	batch := make([]map[string]any, total)
	for i := range batch {
		batch[i] = map[string]any{"name": fmt.Sprintf("tag %04d", i), "slug": fmt.Sprintf("tag-%04d", i)}
	}
	status, data := s.Do(t, "POST", "/api/extras/tags/", batch)
	require.Equal(t, http.StatusCreated, status, "%.300s", data)
	base := s.URL + "/api/extras/tags/"
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	tests := []struct {
		query          string
		wantLen        int
		wantNext       string
		wantPrevious   string
		wantFirstIndex int
	}{
		{"", 50, base + "?limit=50&offset=50", "<nil>", 0},
		{"?limit=10", 10, base + "?limit=10&offset=10", "<nil>", 0},
		{"?limit=5000", 1000, base + "?limit=1000&offset=1000", "<nil>", 0},
		{"?limit=0", 1000, base + "?limit=1000&offset=1000", "<nil>", 0},
		{"?limit=-1", 50, base + "?limit=50&offset=50", "<nil>", 0},
		{"?limit=10&offset=15", 10, base + "?limit=10&offset=25", base + "?limit=10&offset=5", 15},
		{"?limit=10&offset=5", 10, base + "?limit=10&offset=15", base + "?limit=10", 5},
		{"?offset=1200", 34, "<nil>", base + "?limit=50&offset=1150", 1200},
		{"?offset=5000", 0, "<nil>", base + "?limit=50&offset=4950", 0},
		{"?name=tag+0001&limit=1&offset=0", 1, "<nil>", "<nil>", 1},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			p := list(t, s, "/api/extras/tags/"+tc.query)
			if strings.Contains(tc.query, "name=") {
				assert.Equal(t, 1, p.Count)
			} else {
				assert.Equal(t, total, p.Count)
			}
			assert.Len(t, p.Results, tc.wantLen)
			assert.Equal(t, tc.wantNext, str(p.Next))
			assert.Equal(t, tc.wantPrevious, str(p.Previous))
			if tc.wantLen > 0 {
				assert.Equal(t, fmt.Sprintf("tag %04d", tc.wantFirstIndex), p.Results[0]["name"])
			}
		})
	}
	t.Run("other parameters are kept in links", func(t *testing.T) {
		p := list(t, s, "/api/extras/tags/?q=tag&limit=2&brief=1")
		assert.Equal(t, base+"?brief=1&limit=2&offset=2&q=tag", str(p.Next))
	})
	t.Run("following next reaches every object once", func(t *testing.T) {
		seen := map[int64]bool{}
		next := "/api/extras/tags/?limit=200"
		pages := 0
		for next != "" {
			p := list(t, s, next)
			for _, id := range ids(p) {
				require.False(t, seen[id], "id %d twice", id)
				seen[id] = true
			}
			next = strings.TrimPrefix(str(p.Next), s.URL)
			if next == "<nil>" {
				next = ""
			}
			pages++
		}
		assert.Len(t, seen, total)
		assert.Equal(t, 7, pages)
	})
}

func TestFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	g := s.Seed(t)
	linux := create(t, s, "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux"})
	create(t, s, "dcim/platforms", map[string]any{"name": "linux-old", "slug": "linux-old"})
	h1 := create(t, s, "dcim/devices", merge(device(f, "host1"), map[string]any{"platform": linux}))
	h2 := create(t, s, "dcim/devices", merge(device(f, "Host2"), map[string]any{"status": "planned"}))
	h3 := create(t, s, "dcim/devices", merge(device(g, "host3"), map[string]any{"status": "offline"}))
	create(t, s, "extras/journal-entries", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": h1, "comments": "one"})
	create(t, s, "extras/journal-entries", map[string]any{"assigned_object_type": "dcim.device", "assigned_object_id": h2, "comments": "two"})

	tests := []struct {
		path string
		want []int64
	}{
		{"/api/dcim/devices/?name=HOST1", []int64{h1}},
		{"/api/dcim/devices/?name=host1&name=host2", []int64{h1, h2}},
		{"/api/dcim/devices/?name=host1,host2", nil},
		{"/api/dcim/devices/?name__ic=OST", []int64{h1, h2, h3}},
		{"/api/dcim/devices/?site_id=" + fmt.Sprint(g.SiteID), []int64{h3}},
		{fmt.Sprintf("/api/dcim/devices/?site_id=%d&site_id=%d", f.SiteID, g.SiteID), []int64{h1, h2, h3}},
		{"/api/dcim/devices/?site=site-1", []int64{h1, h2}},
		{"/api/dcim/devices/?status=planned&status=offline", []int64{h2, h3}},
		{"/api/dcim/devices/?platform_id=" + fmt.Sprint(linux), []int64{h1}},
		{"/api/dcim/devices/?platform_id=null", []int64{h2, h3}},
		{"/api/dcim/devices/?role_id=" + fmt.Sprint(g.RoleID), []int64{h3}},
		{"/api/dcim/devices/?manufacturer_id=" + fmt.Sprint(f.ManufacturerID), []int64{h1, h2}},
		{"/api/dcim/devices/?device_type_id=" + fmt.Sprint(g.DeviceTypeID), []int64{h3}},
		{fmt.Sprintf("/api/dcim/devices/?id=%d&id=%d", h1, h3), []int64{h1, h3}},
		{"/api/dcim/devices/?no_such_filter=1&ordering=-name", []int64{h3, h2, h1}},
		{"/api/dcim/devices/?q=host2", []int64{h2}},
		{"/api/dcim/platforms/?name=linux", nil},
		{"/api/dcim/platforms/?name=Linux", []int64{linux}},
		{"/api/dcim/device-types/?manufacturer_id=" + fmt.Sprint(g.ManufacturerID), []int64{g.DeviceTypeID}},
		{"/api/dcim/sites/?slug=site-2", []int64{g.SiteID}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got := ids(list(t, s, tc.path))
			if tc.want == nil {
				tc.want = []int64{}
			}
			assert.Equal(t, tc.want, got)
		})
	}

	t.Run("journal entries of a device", func(t *testing.T) {
		p := list(t, s, fmt.Sprintf("/api/extras/journal-entries/?assigned_object_type=dcim.device&assigned_object_id=%d", h2))
		require.Len(t, p.Results, 1)
		assert.Equal(t, "two", p.Results[0]["comments"])
		assert.Equal(t, 2, list(t, s, "/api/extras/journal-entries/?assigned_object_type=dcim.device").Count)
		assert.Equal(t, 0, list(t, s, "/api/extras/journal-entries/?assigned_object_type=dcim.site").Count)
		// Newest first.
		assert.Equal(t, "two", list(t, s, "/api/extras/journal-entries/").Results[0]["comments"])
	})

	bad := []struct {
		path, want string
	}{
		{"/api/dcim/devices/?site_id=99", `{"site_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"/api/dcim/devices/?site_id=abc", `{"site_id": ["“abc” is not a valid value."]}`},
		{"/api/dcim/devices/?site=nope", `{"site": ["Select a valid choice. nope is not one of the available choices."]}`},
		{"/api/dcim/devices/?status=foo", `{"status": ["Select a valid choice. foo is not one of the available choices."]}`},
		{"/api/dcim/devices/?id=x", `{"id": ["Enter a whole number."]}`},
		{"/api/dcim/devices/?role_id=99&platform_id=98", `{"role_id": ["Select a valid choice. 99 is not one of the available choices."], "platform_id": ["Select a valid choice. 98 is not one of the available choices."]}`},
		{fmt.Sprintf("/api/dcim/devices/%d/?site_id=99", h1), `{"site_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
	}
	for _, tc := range bad {
		t.Run(tc.path, func(t *testing.T) {
			status, data := s.Do(t, "GET", tc.path, nil)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

func TestBrief(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	id := create(t, s, "dcim/devices", device(f, "h1"))
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/api/dcim/devices/?brief=1", []string{"id", "url", "display", "name", "description"}},
		{"/api/dcim/devices/?brief=false", []string{"id", "url", "display", "name", "description"}},
		{"/api/dcim/device-types/?brief=true", []string{"id", "url", "display", "manufacturer", "model", "slug", "description", "device_count"}},
		{"/api/dcim/device-roles/?brief=1", []string{"id", "url", "display", "name", "slug", "description", "device_count", "virtualmachine_count", "_depth"}},
		{"/api/dcim/platforms/?brief=1", nil},
		{"/api/dcim/sites/?brief=1", []string{"id", "url", "display", "name", "slug", "description"}},
	}
	create(t, s, "dcim/platforms", map[string]any{"name": "Linux", "slug": "linux"})
	tests[4].want = []string{"id", "url", "display", "name", "slug", "description", "device_count", "virtualmachine_count"}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := list(t, s, tc.path)
			require.NotEmpty(t, p.Results)
			assert.ElementsMatch(t, tc.want, keys(p.Results[0]))
		})
	}
	t.Run("empty brief is off", func(t *testing.T) {
		p := list(t, s, "/api/dcim/devices/?brief=")
		assert.Contains(t, p.Results[0], "device_type")
	})
	t.Run("detail", func(t *testing.T) {
		got := mustDo(t, s, "GET", simtest.Path("dcim/devices", id)+"?brief=1", nil, http.StatusOK)
		assert.ElementsMatch(t, []string{"id", "url", "display", "name", "description"}, keys(got))
	})
	t.Run("GET only", func(t *testing.T) {
		got := mustDo(t, s, "PATCH", simtest.Path("dcim/devices", id)+"?brief=1", map[string]any{"serial": "S1"}, http.StatusOK)
		assert.Contains(t, got, "device_type")
	})
	t.Run("nested objects are brief", func(t *testing.T) {
		got := mustDo(t, s, "GET", simtest.Path("dcim/devices", id), nil, http.StatusOK)
		assert.ElementsMatch(t, []string{"id", "url", "display", "name", "slug", "description"}, keys(got["site"].(map[string]any)))
		dt := got["device_type"].(map[string]any)
		assert.ElementsMatch(t, []string{"id", "url", "display", "manufacturer", "model", "slug", "description"}, keys(dt))
	})
}

func TestCounts(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	create(t, s, "dcim/devices", device(f, "h1"))
	create(t, s, "dcim/devices", device(f, "h2"))
	role := mustDo(t, s, "GET", simtest.Path("dcim/device-roles", f.RoleID), nil, http.StatusOK)
	assert.Equal(t, float64(2), role["device_count"])
	site := mustDo(t, s, "GET", simtest.Path("dcim/sites", f.SiteID), nil, http.StatusOK)
	assert.Equal(t, float64(2), site["device_count"])
	mfr := mustDo(t, s, "GET", simtest.Path("dcim/manufacturers", f.ManufacturerID), nil, http.StatusOK)
	assert.Equal(t, float64(1), mfr["devicetype_count"])
	// A created object carries no annotations, so NetBox leaves the
	// related-object counts out of the POST response.
	p := mustDo(t, s, "POST", "/api/dcim/platforms/", map[string]any{"name": "P", "slug": "p"}, http.StatusCreated)
	assert.NotContains(t, p, "device_count")
	p = mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/platforms/%v/", p["id"]), nil, http.StatusOK)
	assert.Equal(t, float64(0), p["device_count"])
}

func TestStatus(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, netboxsim.Options{Version: "4.3.2"})
	got := mustDo(t, s, "GET", "/api/status/", nil, http.StatusOK)
	assert.Equal(t, "4.3.2", got["netbox-version"])
	for _, k := range []string{"django-version", "installed-apps", "netbox-full-version", "plugins", "python-version", "rq-workers-running"} {
		assert.Contains(t, got, k)
	}
	status, _ := s.Do(t, "POST", "/api/status/", map[string]any{})
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.Sim.ResetRequests()
	s.Do(t, "GET", "/api/dcim/sites/?limit=1", nil)
	s.Do(t, "GET", "/api/dcim/sites/99/", nil)
	want := []netboxsim.Request{
		{Method: "GET", Path: "/api/dcim/sites/", Query: "limit=1", Status: 200},
		{Method: "GET", Path: "/api/dcim/sites/99/", Status: 404},
	}
	assert.Equal(t, want, s.Sim.Requests())

	resp, data := raw(t, s, "GET", "/__sim/requests", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var logged []netboxsim.Request
	require.NoError(t, json.Unmarshal(data, &logged))
	assert.Equal(t, want, logged, "the log endpoint is not logged itself")
	assert.Contains(t, string(data), `"method":"GET"`)

	s.Sim.ResetRequests()
	assert.Empty(t, s.Sim.Requests())
	_, data = raw(t, s, "GET", "/__sim/requests", "", nil)
	assert.JSONEq(t, `[]`, string(data))
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every name is used twice: exactly one of each pair wins.
			s.Do(t, "POST", "/api/dcim/devices/", device(f, fmt.Sprintf("h%d", i%10)))
			s.Do(t, "GET", "/api/dcim/devices/", nil)
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, list(t, s, "/api/dcim/devices/").Count)
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	s := start(t)
	send := func(method, path, contentType, body string, follow bool) (*http.Response, string) {
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Token "+s.Token)
		c := &http.Client{}
		if !follow {
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp, b.String()
	}
	tests := []struct {
		name, method, path, contentType, body string
		wantStatus                            int
		want                                  string // JSON body, or a prefix of the detail
	}{
		{"invalid JSON", "POST", "/api/dcim/sites/", "application/json", `{"name":`, 400, "JSON parse error - "},
		{"not JSON", "POST", "/api/dcim/sites/", "text/plain", `name=x`, 415, `Unsupported media type "text/plain" in request.`},
		{"empty body", "POST", "/api/dcim/sites/", "", "", 400, `{"name": ["This field is required."], "slug": ["This field is required."]}`},
		{"method not allowed", "POST", "/api/dcim/sites/1/", "application/json", `{}`, 405, `Method "POST" not allowed.`},
		{"custom fields", "POST", "/api/dcim/sites/", "application/json", `{"name":"A","slug":"a","custom_fields":{"owner":"x"}}`, 400,
			`{"__all__": ["Unknown field name 'owner' in custom field data."]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(tc.method, tc.path, tc.contentType, tc.body, true)
			assert.Equal(t, tc.wantStatus, resp.StatusCode, body)
			if strings.HasPrefix(tc.want, "{") {
				assert.JSONEq(t, tc.want, body)
				return
			}
			var got struct{ Detail string }
			require.NoError(t, json.Unmarshal([]byte(body), &got), body)
			assert.True(t, strings.HasPrefix(got.Detail, tc.want), got.Detail)
		})
	}
	t.Run("dict lookup with a bad keyword", func(t *testing.T) {
		// Django lists every field of the model; the simulator lists its own.
		resp, body := send("POST", "/api/dcim/device-types/", "application/json",
			`{"manufacturer":{"title":"x"},"model":"M","slug":"m"}`, true)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, `{"manufacturer":["Cannot resolve keyword 'title' into field. Choices are: `)
	})
	t.Run("missing trailing slash redirects", func(t *testing.T) {
		resp, _ := send("GET", "/api/dcim/sites?limit=1", "", "", false)
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
		assert.Equal(t, "/api/dcim/sites/?limit=1", resp.Header.Get("Location"))
	})
}

func TestDisplayAndPut(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	unnamed := mustDo(t, s, "POST", "/api/dcim/devices/", map[string]any{
		"device_type": f.DeviceTypeID, "role": f.RoleID, "site": f.SiteID, "face": "", "asset_tag": "A1"}, http.StatusCreated)
	assert.Equal(t, "Manufacturer 1 Model 1 (A1)", unnamed["display"])
	assert.Nil(t, unnamed["name"])
	id := int64(unnamed["id"].(float64))

	je := mustDo(t, s, "POST", "/api/extras/journal-entries/", map[string]any{
		"assigned_object_type": "dcim.device", "assigned_object_id": id, "comments": "x", "kind": "warning"}, http.StatusCreated)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d \(Warning\)$`, je["display"])
	assert.Equal(t, "Manufacturer 1 Model 1 (A1)", je["assigned_object"].(map[string]any)["display"])

	put := mustDo(t, s, "PUT", simtest.Path("dcim/devices", id), merge(device(f, "named"), map[string]any{"status": "staged"}), http.StatusOK)
	assert.Equal(t, "named (A1)", put["display"], "PUT keeps fields it does not name")
	assert.Equal(t, "staged", put["status"].(map[string]any)["value"])

	var out []map[string]any
	status, data := s.Do(t, "PUT", "/api/dcim/devices/", []map[string]any{merge(device(f, "renamed"), map[string]any{"id": id})})
	require.Equal(t, http.StatusOK, status, "%s", data)
	require.NoError(t, json.Unmarshal(data, &out))
	assert.Equal(t, "renamed", out[0]["name"])

	mustDo(t, s, "DELETE", simtest.Path("dcim/devices", id), nil, http.StatusNoContent)
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, netboxsim.Options{Latency: 80 * time.Millisecond})
	begin := time.Now()
	s.Do(t, "GET", "/api/status/", nil)
	assert.GreaterOrEqual(t, time.Since(begin), 80*time.Millisecond)

	// /__sim/ answers without the latency: with an hour of it, a request
	// that waited would outlast the client's timeout. (No upper bound on
	// wall time: a loaded machine can take any time.)
	slow := simtest.Start(t, netboxsim.Options{Latency: time.Hour})
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Get(slow.URL + "/__sim/requests")
	require.NoError(t, err, "no latency on /__sim/")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
