package netbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListPlatformsPaging(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		maxPage   int      // the server's MAX_PAGE_SIZE
		wantQuery []string // every request, in order
	}{
		{"empty", 0, 1000, []string{"limit=1000&offset=0"}},
		{"one", 1, 1000, []string{"limit=1000&offset=0"}},
		{"exactly one page", 1000, 1000, []string{"limit=1000&offset=0"}},
		{"one more than a page", 1001, 1000, []string{"limit=1000&offset=0", "limit=1000&offset=1000"}},
		{"three pages", 2500, 1000, []string{"limit=1000&offset=0", "limit=1000&offset=1000", "limit=1000&offset=2000"}},
		{"server clamps to 400", 900, 400, []string{"limit=1000&offset=0", "limit=1000&offset=400", "limit=1000&offset=800"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := make([]map[string]any, tt.total)
			for i := range objs {
				objs[i] = platformJSON(i + 1)
			}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) { listResponse(w, r, objs, tt.maxPage) })
			c := newTestClient(t, f)

			got, err := c.listPlatforms(context.Background())
			require.NoError(t, err)
			require.Len(t, got, tt.total)
			for i, p := range got {
				require.Equal(t, int64(i+1), p.ID, "in order, none skipped or repeated")
			}
			var queries []string
			for _, r := range f.requests() {
				assert.Equal(t, "/api/dcim/platforms/", r.Path)
				queries = append(queries, normalizeQuery(t, r.Query))
			}
			assert.Equal(t, tt.wantQuery, queries)
		})
	}
}

// TestDevicesEveryPageOrOne: listDevices reads every page, DevicesPage
// the one asked for, with the same query.
func TestDevicesEveryPageOrOne(t *testing.T) {
	objs := make([]map[string]any, 1500)
	for i := range objs {
		objs[i] = deviceJSON(i+1, fmt.Sprintf("host%d", i+1), 1, "DC1")
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { listResponse(w, r, objs, 1000) })
	c := newTestClient(t, f)
	ctx := context.Background()

	got, err := c.listDevices(ctx, DeviceQuery{})
	require.NoError(t, err)
	assert.Len(t, got, 1500)
	page, err := c.DevicesPage(ctx, DeviceQuery{Name: "Host1"}, PageRequest{Limit: 5})
	require.NoError(t, err)
	assert.Len(t, page.Items, 5)
	_, err = c.DevicesPage(ctx, DeviceQuery{}, PageRequest{Limit: -1})
	assert.Error(t, err)

	var queries []string
	for _, r := range f.requests() {
		queries = append(queries, normalizeQuery(t, r.Query))
	}
	assert.Equal(t, []string{
		"limit=1000&offset=0", "limit=1000&offset=1000",
		"limit=5&name=Host1&offset=0",
	}, queries)
}

// TestPagingIsBounded: a server that always announces another page (a
// broken proxy, a bug) must not make the client loop.
func TestPagingIsBounded(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"count": 10, "next": "http://nb/api/dcim/platforms/?limit=1000&offset=1000",
			"results": []any{platformJSON(1), platformJSON(2)},
		})
	})
	c := newTestClient(t, f)
	_, err := c.listPlatforms(context.Background())
	require.Error(t, err)
	assert.True(t, IsKind(err, KindServer), "%v", err)
	assert.Len(t, f.requests(), 6, "count/page size, plus one page of slack")
}

func normalizeQuery(t *testing.T, raw string) string {
	t.Helper()
	q, err := url.ParseQuery(raw)
	require.NoError(t, err)
	return q.Encode()
}
