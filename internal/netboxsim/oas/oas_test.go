package oas_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"
)

func TestLoad(t *testing.T) {
	spec, err := oas.Load()
	require.NoError(t, err)
	again, err := oas.Load()
	require.NoError(t, err)
	assert.Same(t, spec, again, "loaded once per process")
	assert.True(t, strings.HasSuffix(spec.Path, "/api/openapi.yaml"), spec.Path)
	assert.Equal(t, "3.0.3", spec.Doc.OpenAPI)
	t.Logf("NetBox 4.3 OpenAPI document %s loaded in %v", spec.Path, spec.LoadTime)
}

const host = "http://netbox.test"

func brief(kind string, id int, extra string) string {
	return `{"id":` + itoa(id) + `,"url":"` + host + `/api/` + kind + `/` + itoa(id) + `/","display":"x","name":"x","slug":"x"` + extra + `}`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// deviceJSON is a minimal NetBox 4.3 device: every required field, and
// whatever fields replace says on top.
func deviceJSON(replace map[string]any) string {
	d := map[string]any{}
	mustUnmarshal(`{"id":1,"url":"`+host+`/api/dcim/devices/1/","display":"h1","name":"h1",
		"device_type":{"id":1,"url":"`+host+`/api/dcim/device-types/1/","display":"M","manufacturer":`+brief("dcim/manufacturers", 1, "")+`,"model":"M","slug":"m"},
		"role":`+brief("dcim/device-roles", 1, `,"_depth":0`)+`,"site":`+brief("dcim/sites", 1, "")+`,
		"status":{"value":"active","label":"Active"},
		"console_port_count":0,"console_server_port_count":0,"power_port_count":0,"power_outlet_count":0,
		"front_port_count":0,"rear_port_count":0,"device_bay_count":0,"module_bay_count":0,"inventory_item_count":0}`, &d)
	for k, v := range replace {
		if v == nil {
			d[k] = nil
			continue
		}
		if s, ok := v.(string); ok && s == "<delete>" {
			delete(d, k)
			continue
		}
		d[k] = v
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func mustUnmarshal(s string, v any) {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		panic(err)
	}
}

func obj(s string) map[string]any {
	m := map[string]any{}
	mustUnmarshal(s, &m)
	return m
}

const platform = `{"id":1,"url":"` + host + `/api/dcim/platforms/1/","display":"Linux","name":"Linux","slug":"linux"}`

// TestMiddleware checks that real violations are reported and that each
// patched quirk of the document accepts NetBox's behaviour and no more.
func TestMiddleware(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		path     string
		noAuth   bool
		reqBody  string
		status   int
		respBody string
		want     []string // substrings, one per expected violation; none means valid
	}{
		{name: "valid read", method: "GET", path: "/api/dcim/platforms/1/", status: 200, respBody: platform},
		{name: "missing required field", method: "GET", path: "/api/dcim/platforms/1/", status: 200,
			respBody: strings.Replace(platform, `"display":"Linux",`, "", 1), want: []string{`response violation`, `property "display" is missing`}},
		{name: "relative url", method: "GET", path: "/api/dcim/platforms/1/", status: 200,
			respBody: strings.Replace(platform, host, "", 1), want: []string{`/url: string doesn't match the format "uri"`}},
		{name: "bad date-time", method: "GET", path: "/api/dcim/platforms/1/", status: 200,
			respBody: strings.Replace(platform, `"slug":"linux"`, `"slug":"linux","created":"yesterday"`, 1), want: []string{`/created`}},
		{name: "bad enum", method: "GET", path: "/api/dcim/devices/1/", status: 200,
			respBody: deviceJSON(map[string]any{"status": obj(`{"value":"bogus","label":"Bogus"}`)}), want: []string{`/status/value`}},
		{name: "quirk 7: blank choice is null", method: "GET", path: "/api/dcim/devices/1/", status: 200,
			respBody: deviceJSON(map[string]any{"face": nil, "airflow": nil})},
		{name: "quirk 7 is narrow: status is never blank", method: "GET", path: "/api/dcim/devices/1/", status: 200,
			respBody: deviceJSON(map[string]any{"status": nil}), want: []string{`/status`}},
		{name: "error bodies are not described", method: "GET", path: "/api/dcim/devices/1/", status: 404,
			respBody: `{"detail":"No Device matches the given query."}`},
		{name: "invalid request the server accepted", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `{"name":"Linux"}`, status: 201, respBody: platform, want: []string{`request violation`, `property "slug" is missing`}},
		{name: "invalid request the server refused", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `{"name":"Linux"}`, status: 400, respBody: `{"slug":["This field is required."]}`},
		{name: "no token but served", method: "GET", path: "/api/dcim/platforms/1/", noAuth: true, status: 200,
			respBody: platform, want: []string{`security requirements failed`}},
		{name: "no such operation", method: "GET", path: "/api/dcim/nothing/", status: 200, respBody: `{}`,
			want: []string{`no such operation`}},
		{name: "quirk 2: bulk create", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `[{"name":"Linux","slug":"linux"}]`, status: 201, respBody: "[" + platform + "]"},
		{name: "quirk 2: bulk create answers a list", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `[{"name":"Linux","slug":"linux"}]`, status: 201, respBody: platform, want: []string{`response violation`}},
		{name: "quirk 2: bulk create items are validated", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `[{"name":"Linux"}]`, status: 201, respBody: "[" + platform + "]", want: []string{`/0/slug`}},
		{name: "quirk 3: bulk update with ids", method: "PATCH", path: "/api/dcim/devices/",
			reqBody: `[{"id":1,"status":"offline","platform":2}]`, status: 200, respBody: "[" + deviceJSON(nil) + "]"},
		{name: "quirk 3: bulk update needs ids", method: "PATCH", path: "/api/dcim/devices/",
			reqBody: `[{"status":"offline"}]`, status: 200, respBody: "[" + deviceJSON(nil) + "]", want: []string{`"id" is missing`}},
		{name: "quirk 3: bulk update values are validated", method: "PATCH", path: "/api/dcim/devices/",
			reqBody: `[{"id":1,"status":"bogus"}]`, status: 200, respBody: "[" + deviceJSON(nil) + "]", want: []string{`/0/status`}},
		{name: "quirk 4: bulk delete", method: "DELETE", path: "/api/dcim/devices/", reqBody: `[{"id":1},{"id":2}]`, status: 204},
		{name: "quirk 5: foreign key by attributes", method: "POST", path: "/api/dcim/devices/",
			reqBody: `{"name":"h1","device_type":{"slug":"m"},"role":1,"site":{"name":"x"}}`, status: 201, respBody: deviceJSON(nil)},
		{name: "quirk 5 is narrow: attributes are still typed", method: "POST", path: "/api/dcim/devices/",
			reqBody: `{"name":"h1","device_type":{"slug":"not a slug"},"role":1,"site":1}`, status: 201, respBody: deviceJSON(nil),
			want: []string{`/device_type`}},
		{name: "quirk 6: tags by id or attributes", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `{"name":"Linux","slug":"linux","tags":[1,{"slug":"managed"}]}`, status: 201, respBody: platform},
		{name: "quirk 6 is narrow", method: "POST", path: "/api/dcim/platforms/",
			reqBody: `{"name":"Linux","slug":"linux","tags":["managed"]}`, status: 201, respBody: platform, want: []string{`/tags/0`}},
		{name: "quirk 8: brief list", method: "GET", path: "/api/dcim/platforms/?brief=1", status: 200,
			respBody: `{"count":1,"next":null,"previous":null,"results":[` + platform + `]}`},
		{name: "quirk 8: brief is validated", method: "GET", path: "/api/dcim/devices/1/?brief=true", status: 200,
			respBody: `{"id":1,"url":"` + host + `/api/dcim/devices/1/"}`, want: []string{`"display" is missing`}},
		{name: "quirk 9: null filter value", method: "GET", path: "/api/dcim/devices/?platform_id=null&platform_id=3", status: 200,
			respBody: `{"count":0,"next":null,"previous":null,"results":[]}`},
		{name: "quirk 9 is narrow", method: "GET", path: "/api/dcim/devices/?platform_id=abc", status: 200,
			respBody: `{"count":0,"next":null,"previous":null,"results":[]}`, want: []string{`parameter "platform_id"`}},
		{name: "quirk 11: fields", method: "GET", path: "/api/dcim/devices/?fields=id,name", status: 200,
			respBody: `{"count":1,"next":null,"previous":null,"results":[{"id":1,"name":"h1"}]}`},
		{name: "quirk 11: fields, detail", method: "GET", path: "/api/dcim/devices/1/?fields=status", status: 200,
			respBody: `{"status":{"value":"active","label":"Active"}}`},
		{name: "quirk 11 is narrow: the fields are typed", method: "GET", path: "/api/dcim/devices/?fields=id,name", status: 200,
			respBody: `{"count":1,"next":null,"previous":null,"results":[{"id":"one"}]}`, want: []string{`/results/0/id`}},
		{name: "quirk 11 is narrow: empty fields is off", method: "GET", path: "/api/dcim/devices/1/?fields=", status: 200,
			respBody: `{"id":1}`, want: []string{`is missing`}},
		{name: "simulator paths are skipped", method: "GET", path: "/__sim/requests", noAuth: true, status: 200, respBody: `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.respBody != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.respBody))
			})
			var got []oas.Violation
			h := oas.Middleware(backend, func(v oas.Violation) { got = append(got, v) })
			var body *bytes.Reader
			if tc.reqBody != "" {
				body = bytes.NewReader([]byte(tc.reqBody))
			} else {
				body = bytes.NewReader(nil)
			}
			req := httptest.NewRequest(tc.method, host+tc.path, body)
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if !tc.noAuth {
				req.Header.Set("Authorization", "Token 0123456789abcdef0123456789abcdef01234567")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.status, rec.Code, "the response passes through")
			assert.Equal(t, tc.respBody, rec.Body.String())
			if len(tc.want) == 0 {
				assert.Empty(t, got)
				return
			}
			require.NotEmpty(t, got)
			all := ""
			for _, v := range got {
				all += v.String() + "\n"
			}
			t.Log(all)
			for _, w := range tc.want {
				assert.Contains(t, all, w)
			}
		})
	}
}
