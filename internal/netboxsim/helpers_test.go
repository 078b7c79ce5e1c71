package netboxsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	gonetbox "github.com/netbox-community/go-netbox/v4"

	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

const readOnlyToken = "fedcba9876543210fedcba9876543210fedcba98"

// start runs the simulator as NetBox 4.3, whatever simtest.VersionEnv
// says: these are 4.3's contract tests (profiles_test.go has the others).
func start(t *testing.T) *simtest.Server {
	t.Helper()
	return simtest.Start(t, netboxsim.Options{ReadOnlyToken: readOnlyToken, Version: "4.3"})
}

// raw sends a request with exactly the given Authorization header (none
// when empty) and returns the whole response with its body read.
func raw(t *testing.T, s *simtest.Server, method, path, auth string, body any) (*http.Response, []byte) {
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
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// mustDo sends a request that must answer want, and decodes the body.
func mustDo(t *testing.T, s *simtest.Server, method, path string, body any, want int) map[string]any {
	t.Helper()
	status, data := s.Do(t, method, path, body)
	require.Equal(t, want, status, "%s %s: %s", method, path, data)
	out := map[string]any{}
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), "%s", data)
	}
	return out
}

func create(t *testing.T, s *simtest.Server, route string, body map[string]any) int64 {
	t.Helper()
	obj := mustDo(t, s, http.MethodPost, "/api/"+route+"/", body, http.StatusCreated)
	return int64(obj["id"].(float64))
}

// page is a decoded list response.
type page struct {
	Count    int              `json:"count"`
	Next     *string          `json:"next"`
	Previous *string          `json:"previous"`
	Results  []map[string]any `json:"results"`
}

func list(t *testing.T, s *simtest.Server, path string) page {
	t.Helper()
	status, data := s.Do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, status, "GET %s: %s", path, data)
	var p page
	require.NoError(t, json.Unmarshal(data, &p))
	return p
}

func ids(p page) []int64 {
	out := make([]int64, len(p.Results))
	for i, r := range p.Results {
		out[i] = int64(r["id"].(float64))
	}
	return out
}

func device(f simtest.Fixture, name string) map[string]any {
	return map[string]any{"name": name, "device_type": f.DeviceTypeID, "role": f.RoleID, "site": f.SiteID}
}

// decoded fails t when a go-netbox call failed, with NetBox's body: a
// strict-decode failure names the field the simulator got wrong.
func decoded(t *testing.T, resp *http.Response, err error) {
	t.Helper()
	if err != nil {
		if oe, isOE := err.(*gonetbox.GenericOpenAPIError); isOE {
			t.Fatalf("%v: %s", err, oe.Body())
		}
		t.Fatal(err)
	}
	require.NotNil(t, resp)
}
