package netbox

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// maxFilterValues is how many values of one repeated filter parameter
// (?id=1&id=2...) a list request carries. NetBox ORs repeated values, so
// one request can look up many objects, but servers and proxies limit the
// length of a request line (often 4 or 8 KiB): 100 IPv6 addresses fit.
const maxFilterValues = 100

// wireList is a page of a NetBox list.
type wireList[W any] struct {
	Count   int     `json:"count"`
	Next    *string `json:"next"`
	Results []W     `json:"results"`
}

// listJSON reads every page of path?query and converts each object with
// conv. Like the go-netbox reads it pages with limit=1000 and never
// follows next links (see fetchAll). The result is never nil.
func listJSON[W, T any](ctx context.Context, c *Client, path string, query url.Values, conv func(*W) T) ([]T, error) {
	out, _, err := listAnswered(ctx, c, path, query, conv)
	return out, err
}

// listAnswered is listJSON that also returns when NetBox answered the
// last page, by its clock (zero when it sent no Date).
func listAnswered[W, T any](ctx context.Context, c *Client, path string, query url.Values, conv func(*W) T) ([]T, time.Time, error) {
	var answered time.Time
	out, err := fetchAll(ctx, path, func(ctx context.Context, limit, offset int32) (page[T], error) {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(int(limit)))
		q.Set("offset", strconv.Itoa(int(offset)))
		var body wireList[W]
		ans, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, out: &body})
		if err != nil {
			return page[T]{}, err
		}
		answered = ans.date
		out := make([]T, len(body.Results))
		for i := range body.Results {
			out[i] = conv(&body.Results[i])
		}
		return page[T]{items: out, count: body.Count, more: body.Next != nil && *body.Next != ""}, nil
	})
	return out, answered, err
}

// listJSONAnyOf is listJSON for the objects whose key parameter is any of
// values (NetBox ORs repeated parameters), maxFilterValues values per
// request. Duplicate values are sent once; no values make no request and
// return an empty list.
func listJSONAnyOf[W, T any](ctx context.Context, c *Client, path string, query url.Values, key string, values []string, conv func(*W) T) ([]T, error) {
	out := []T{}
	values = distinct(values)
	for chunk := range slices.Chunk(values, maxFilterValues) {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q[key] = chunk
		got, err := listJSON(ctx, c, path, q, conv)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// distinct drops empty and repeated values, keeping the first of each.
func distinct(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := make([]string, 0, len(values))
	for _, v := range values {
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

func formatIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}
