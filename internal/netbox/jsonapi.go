package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// maxResponseBytes bounds what do reads of an answer. A page of 1000 devices with
// config contexts stays far below it.
const maxResponseBytes = 256 << 20

// request is one call on the JSON path: what it sends, where its answer
// goes, and what a write carries besides its body.
type request struct {
	method, path string
	query        url.Values
	// body is sent as JSON unless nil; a success answer is decoded into
	// out unless nil.
	body, out any
	// write gives a POST, PUT or PATCH body its changelog_message (NetBox
	// 4.4+), and names the log the answer's request id goes to.
	write WriteOptions
	// ifMatch, when not empty, is sent as If-Match: NetBox 4.6+ then
	// refuses the write with 412 unless the object still has that ETag.
	ifMatch string
}

// answer is what a response tells besides its body.
type answer struct {
	// etag is the version of the object read or written (NetBox 4.6+,
	// ETag); "" when the response has none.
	etag string
	// date is when NetBox answered by its own clock (Date, to the
	// second); zero when the response has none.
	date time.Time
}

// do sends one request to r.path (an API path such as
// "/api/dcim/platforms/", relative to the base URL) and decodes a success
// answer into r.out. Every typed read and write goes through it. Failures
// are *Error values, classified. It does not page: a list request returns
// one page.
func (c *Client) do(ctx context.Context, r request) (answer, error) {
	method, path := r.method, r.path
	u, err := c.endpoint(path)
	if err != nil {
		return answer{}, err
	}
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var rd io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return answer{}, fmt.Errorf("netbox: %s %s: encoding the request body: %w", method, path, err)
		}
		b = c.withChangelog(r.write, method, b) // version.go: changelog_message on NetBox 4.4+
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return answer{}, fmt.Errorf("netbox: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch) // version.go: NetBox 4.6+
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, c.transportError(method, path, err)
	}
	defer resp.Body.Close()
	ans := c.observe(resp, r.write.RequestIDs)
	return ans, c.decode(method, path, resp, r.out)
}

// observe learns what any response tells the client (the version), logs
// its request id where the write asked for it, and returns its ETag and
// Date.
func (c *Client) observe(resp *http.Response, log *RequestLog) answer {
	c.ver.observe(resp)                      // version.go
	log.add(resp.Header.Get("X-Request-ID")) // changelog.go
	ans := answer{etag: resp.Header.Get("ETag")}
	if at, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		ans.date = at
	}
	return ans
}

// decode reads a response's body, bounded, into out unless nil; an error
// status becomes an *Error.
func (c *Client) decode(method, path string, resp *http.Response, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return c.newError(&Error{Kind: KindNetwork, Method: method, Path: path, StatusCode: resp.StatusCode,
			Message: "reading the response: " + err.Error(), err: err})
	}
	data = c.redact.Bytes(data) // before anything reads it (redact.go)
	if resp.StatusCode >= 300 {
		return c.statusError(method, path, resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	decodeErr := func(msg string, cause error) error {
		return c.newError(&Error{Kind: KindDecode, Method: method, Path: path, StatusCode: resp.StatusCode,
			Message: msg, RequestID: resp.Header.Get("X-Request-ID"), err: cause})
	}
	switch {
	case len(data) > maxResponseBytes:
		return decodeErr(fmt.Sprintf("the response is larger than %d MiB", maxResponseBytes>>20), nil)
	case !isJSON(resp.Header.Get("Content-Type")):
		return decodeErr(fmt.Sprintf("expected JSON, got %q: check that %s is NetBox's base URL", resp.Header.Get("Content-Type"), EnvURL), nil)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return decodeErr(fmt.Sprintf("the response does not fit %T: %v", out, err), err)
	}
	return nil
}

// endpoint resolves an API path against the base URL. Only paths are
// accepted so that the token never goes to another host.
func (c *Client) endpoint(path string) (*url.URL, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("netbox: %q is not an API path: pass a path such as /api/dcim/devices/ and the query separately", path)
	}
	u := *c.base
	u.Path = c.base.Path + path
	return &u, nil
}

// postList POSTs objs, which must be a slice, to path in one request and
// decodes the created objects (a list, in the same order) into out. NetBox
// creates all or none. An empty objs sends nothing and leaves an empty list
// in out. A 400 carries index-prefixed Fields ("1.name"). A create whose
// outcome is unknown (timeout, lost connection, 5xx) is checked before
// anything is sent again (create_check.go).
func (c *Client) postList(ctx context.Context, path string, objs any, out any, w WriteOptions) error {
	n, err := sliceLen(objs)
	if err != nil {
		return fmt.Errorf("netbox: bulk create %s: %w", path, err)
	}
	if n == 0 {
		return emptyList(out)
	}
	return c.createChecked(ctx, path, objs, true, out, w)
}

// patchList PATCHes objs, a slice of objects each with an "id", to path in
// one request and decodes the updated objects into out. NetBox updates all
// or none. Only the keys present in each object change.
func (c *Client) patchList(ctx context.Context, path string, objs any, out any, w WriteOptions) error {
	if _, err := sliceLen(objs); err != nil {
		return fmt.Errorf("netbox: bulk update %s: %w", path, err)
	}
	// go-netbox's bulk models have no id, which is how callers get this
	// wrong; check before NetBox answers with a less direct message.
	raw, err := json.Marshal(objs)
	if err != nil {
		return fmt.Errorf("netbox: bulk update %s: encoding: %w", path, err)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("netbox: bulk update %s: every element must encode as a JSON object: %w", path, err)
	}
	if len(items) == 0 {
		return emptyList(out)
	}
	for i, it := range items {
		if id, ok := it["id"]; !ok || string(id) == "null" || string(id) == "0" {
			return fmt.Errorf("netbox: bulk update %s: element %d has no id: every object in a bulk update needs the id of the object it changes", path, i)
		}
	}
	_, err = c.do(ctx, request{method: http.MethodPatch, path: path, body: json.RawMessage(raw), out: out, write: w})
	return err
}

func sliceLen(v any) (int, error) {
	if v == nil {
		return 0, nil
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array {
		return 0, errors.New("objs must be a slice, got " + rv.Type().String())
	}
	return rv.Len(), nil
}

// emptyList gives out what NetBox would have returned for an empty list.
func emptyList(out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal([]byte("[]"), out); err != nil {
		return fmt.Errorf("netbox: out must point to a slice, got %T", out)
	}
	return nil
}
