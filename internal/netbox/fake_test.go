package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testToken is recognisable so that a test can search any output for it.
const (
	testToken   = "0123456789abcdef0123456789abcdefSECRET01"
	testTokenV2 = "nbt_AbCdEf012345.SECRETv2tokenSECRETv2tokenSECRET"
)

// recorded is one request a fake NetBox saw.
type recorded struct {
	Method, Path, Query string
	Auth, UserAgent     string
	Body                string
}

// fakeNetBox is an httptest server that records requests and answers with
// handler.
type fakeNetBox struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, handler http.HandlerFunc) *fakeNetBox {
	t.Helper()
	f := &fakeNetBox{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"),
			Body: string(body),
		})
		f.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		w.Header().Set("API-Version", "4.3")
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeNetBox) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// newTestClient builds a client for f with the v1 test token.
func newTestClient(t *testing.T, f *fakeNetBox, opts ...Option) *Client {
	t.Helper()
	c, err := New(Config{URL: f.URL, Token: testToken, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 2 * time.Millisecond}, opts...)
	require.NoError(t, err)
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// listResponse pages objs the way NetBox does: limit clamped to maxPage,
// next set while objects remain. next deliberately points at another host:
// the client must not follow it (see fetchAll).
func listResponse(w http.ResponseWriter, r *http.Request, objs []map[string]any, maxPage int) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit <= 0 || limit > maxPage {
		limit = maxPage
	}
	end := min(offset+limit, len(objs))
	start := min(offset, end)
	var next any
	if end < len(objs) {
		next = fmt.Sprintf("http://proxy.invalid%s?limit=%d&offset=%d", r.URL.Path, limit, end)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count": len(objs), "next": next, "previous": nil, "results": objs[start:end],
	})
}

func platformJSON(id int) map[string]any {
	name := fmt.Sprintf("os-%05d", id)
	return map[string]any{
		"id": id, "url": fmt.Sprintf("http://nb/api/dcim/platforms/%d/", id), "display": name,
		"name": name, "slug": name,
	}
}

func brief(id int, kind, name string) map[string]any {
	return map[string]any{
		"id": id, "url": fmt.Sprintf("http://nb/api/%s/%d/", kind, id), "display": name,
		"name": name, "slug": strings.ReplaceAll(strings.ToLower(name), " ", "-"),
	}
}

// deviceJSON is a device as NetBox 4.3 returns it, with the fields go-netbox
// v4.3.0 requires.
func deviceJSON(id int, name string, siteID int, site string) map[string]any {
	role := brief(2, "dcim/device-roles", "Server")
	role["_depth"] = 0
	return map[string]any{
		"id": id, "url": fmt.Sprintf("http://nb/api/dcim/devices/%d/", id), "display": name,
		"name":   name,
		"status": map[string]any{"value": "active", "label": "Active"},
		"serial": "SN1", "description": "",
		"site": brief(siteID, "dcim/sites", site),
		"role": role,
		"device_type": map[string]any{
			"id": 3, "url": "http://nb/api/dcim/device-types/3/", "display": "PowerEdge R640",
			"manufacturer": brief(4, "dcim/manufacturers", "Dell"),
			"model":        "PowerEdge R640", "slug": "poweredge-r640",
		},
		"platform":     brief(5, "dcim/platforms", "Ubuntu 22.04"),
		"primary_ip4":  map[string]any{"id": 9, "url": "http://nb/api/ipam/ip-addresses/9/", "display": "192.0.2.10/24", "family": map[string]any{"value": 4, "label": "IPv4"}, "address": "192.0.2.10/24"},
		"primary_ip6":  nil,
		"cluster":      nil,
		"last_updated": "2025-01-02T03:04:05.123456Z",

		"console_port_count": 0, "console_server_port_count": 0, "power_port_count": 0,
		"power_outlet_count": 0, "front_port_count": 0, "rear_port_count": 0,
		"device_bay_count": 0, "module_bay_count": 0, "inventory_item_count": 0,
	}
}

// assertNoToken fails if s shows any of the test tokens or their secret parts.
func assertNoToken(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testToken, testTokenV2, "SECRET"} {
		assert.NotContains(t, s, secret, "output shows the token")
	}
}

// assertErrNoToken checks every text an error offers.
func assertErrNoToken(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	assertNoToken(t, err.Error())
	assertNoToken(t, fmt.Sprintf("%v %+v %#v", err, err, err))
	var e *Error
	if errors.As(err, &e) {
		assertNoToken(t, e.Message)
		assertNoToken(t, e.Hint())
		assertNoToken(t, fmt.Sprint(e.Fields))
	}
}

// doJSON sends one request through the client's JSON path, for tests that
// check the path itself rather than a typed method.
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, body, out any) error {
	_, err := c.do(ctx, request{method: method, path: path, query: query, body: body, out: out})
	return err
}
