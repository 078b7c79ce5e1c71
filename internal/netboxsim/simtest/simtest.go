// Package simtest starts the NetBox simulator for a test, behind the
// OpenAPI contract check, so every exchange a test makes is validated
// against NetBox 4.3's document.
package simtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"
)

// DefaultToken is the write token Start uses when the options name none.
const DefaultToken = "0123456789abcdef0123456789abcdef01234567"

// DefaultV2Token is the v2 write token Start gives the simulator when the
// options name none; NetBox 4.5 and later accept it (Bearer).
const DefaultV2Token = "nbt_cmdbsimkey01.0123456789abcdefghijABCDEFGHIJ0123456789"

// VersionEnv names the NetBox release (netboxsim.Profiles) that Start plays when
// the options name none, so that CI can run a whole test suite against
// each release: CMDB_SIM_VERSION=4.6 go test ./e2e/...
const VersionEnv = "CMDB_SIM_VERSION"

// Server is a running simulator.
type Server struct {
	URL           string // base URL, without a trailing slash
	Token         string
	ReadOnlyToken string
	V2Token       string // accepted from 4.5 on
	Sim           *netboxsim.Server

	seeds atomic.Int64
}

// TB is the part of testing.TB the helpers use; *testing.T and *rapid.T
// both have it, so property tests can start a fresh simulator per case.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start runs a simulator on a local port for the rest of t. When t ends,
// the server is closed and every OpenAPI violation it saw fails t.
func Start(t TB, opts netboxsim.Options) *Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.V2Token == "" {
		opts.V2Token = DefaultV2Token
	}
	if opts.Version == "" {
		opts.Version = os.Getenv(VersionEnv)
	}
	patchDocument()
	s := netboxsim.New(opts)
	var mu sync.Mutex
	var violations []oas.Violation
	hs := httptest.NewServer(oas.MiddlewareFor(s.Version(), s, func(v oas.Violation) {
		mu.Lock()
		defer mu.Unlock()
		violations = append(violations, v)
	}))
	t.Cleanup(func() {
		hs.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, v := range violations {
			t.Errorf("%s", v)
		}
	})
	return &Server{URL: hs.URL, Token: opts.Token, ReadOnlyToken: opts.ReadOnlyToken, V2Token: opts.V2Token, Sim: s}
}

// Fixture holds the objects a device needs, created by Seed.
type Fixture struct {
	SiteID         int64
	ManufacturerID int64
	DeviceTypeID   int64
	RoleID         int64
	// Suffix makes this fixture's names and slugs unique on its server
	// ("site-1", "Site 1", ...).
	Suffix string
}

// Seed creates a site, a manufacturer, a device type and a device role
// through the REST API and returns their ids. Each call creates new ones.
func (s *Server) Seed(t TB) Fixture {
	t.Helper()
	n := fmt.Sprint(s.seeds.Add(1))
	f := Fixture{Suffix: n}
	f.SiteID = s.Create(t, "dcim/sites", map[string]any{"name": "Site " + n, "slug": "site-" + n})
	f.ManufacturerID = s.Create(t, "dcim/manufacturers", map[string]any{"name": "Manufacturer " + n, "slug": "manufacturer-" + n})
	f.DeviceTypeID = s.Create(t, "dcim/device-types", map[string]any{
		"manufacturer": f.ManufacturerID, "model": "Model " + n, "slug": "model-" + n})
	f.RoleID = s.Create(t, "dcim/device-roles", map[string]any{"name": "Role " + n, "slug": "role-" + n})
	return f
}

// Create makes one object through the REST API (route: "dcim/sites") and
// returns its id; any answer but 201 fails t.
func (s *Server) Create(t TB, route string, body any) int64 {
	t.Helper()
	status, data := s.Do(t, http.MethodPost, "/api/"+route+"/", body)
	if status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", route, status, data)
	}
	var obj struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatalf("POST %s: %v", route, err)
	}
	return obj.ID
}

// Device makes an active device named name in the fixture's site, with its
// type and role, and returns its id.
func (s *Server) Device(t TB, f Fixture, name string) int64 {
	t.Helper()
	return s.Create(t, "dcim/devices", map[string]any{
		"name": name, "site": f.SiteID, "device_type": f.DeviceTypeID, "role": f.RoleID, "status": "active",
	})
}

// List decodes into out the objects of route (with query q) from one page
// of up to 1000; more than one page fails t, as these tests never need it.
func (s *Server) List(t TB, route string, q url.Values, out any) {
	t.Helper()
	query := url.Values{}
	for k, v := range q {
		query[k] = v
	}
	query.Set("limit", "1000")
	status, data := s.Do(t, http.MethodGet, "/api/"+route+"/?"+query.Encode(), nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s?%s: %d %s", route, query.Encode(), status, data)
	}
	var page struct {
		Next    *string         `json:"next"`
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(data, &page); err != nil {
		t.Fatalf("GET %s: %v", route, err)
	}
	if page.Next != nil {
		t.Fatalf("GET %s?%s: more than one page", route, query.Encode())
	}
	if err := json.Unmarshal(page.Results, out); err != nil {
		t.Fatalf("GET %s: %v", route, err)
	}
}

// Admin returns a plain JSON client of the simulator with the write token,
// for requests that take a context and return an error.
func (s *Server) Admin() netboxsim.Admin {
	return netboxsim.Admin{URL: s.URL, Token: s.Token}
}

// Do sends one JSON request with the write token and returns the status
// and body. path starts with "/api/" and may carry a query; a nil body
// sends none.
func (s *Server) Do(t TB, method, path string, body any) (int, []byte) {
	t.Helper()
	return s.DoToken(t, s.Token, method, path, body)
}

// DoToken is Do with another token; an empty token sends no
// Authorization header.
func (s *Server) DoToken(t TB, token, method, path string, body any) (int, []byte) {
	t.Helper()
	status, data, err := netboxsim.Admin{URL: s.URL, Token: token}.Send(context.Background(), method, path, nil, body)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return status, data
}

// Path joins an API route and an id: Path("dcim/devices", 7) is
// "/api/dcim/devices/7/".
func Path(route string, id int64) string {
	return fmt.Sprintf("/api/%s/%d/", strings.Trim(route, "/"), id)
}

// NoDeletes fails t for every DELETE in the request log: a sync never
// deletes.
func (s *Server) NoDeletes(t TB) {
	t.Helper()
	for _, r := range s.Sim.Requests() {
		if r.Method == http.MethodDelete {
			t.Errorf("a sync sent DELETE %s", r.Path)
		}
	}
}

// Refused lists the requests of the log, from index from on, that NetBox
// answered with 4xx or 5xx.
func (s *Server) Refused(from int) []string {
	var out []string
	for _, r := range s.Sim.Requests()[from:] {
		if r.Status >= 400 {
			out = append(out, fmt.Sprintf("%s %s?%s -> %d", r.Method, r.Path, r.Query, r.Status))
		}
	}
	return out
}

// AtLeast reports whether the simulator plays NetBox 4.<minor> or later.
func (s *Server) AtLeast(minor int) bool {
	played, _ := oas.Release(s.Sim.Version())
	return played >= minor
}
