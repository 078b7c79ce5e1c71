package netboxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Admin sends plain JSON requests to a NetBox (the simulator, for tests,
// the demo and the bench) for what cmdb-mcp's NetBox client has no method
// for: seeding objects, changing what a sync must not, reading a journal
// entry whole. It is not a second client: it does not retry, classify
// errors or page.
type Admin struct {
	// URL is NetBox's base URL, without a trailing slash.
	URL   string
	Token string
	// HTTP is the client requests go through; nil is http.DefaultClient.
	HTTP *http.Client
}

// maxAdminAnswer bounds what Do reads of an answer.
const maxAdminAnswer = 64 << 20

// Do sends method to path (starting with "/api/") with query, body as JSON
// unless nil, and decodes a success answer into out unless nil. An answer
// of 300 or more is an error that quotes the start of its body.
func (a Admin) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	status, data, err := a.Send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if status >= 300 {
		return fmt.Errorf("%s %s: %d %s: %s", method, path, status, http.StatusText(status), bytes.TrimSpace(data[:min(len(data), 500)]))
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// Send is Do without judging the answer: its status and body, whatever
// they are. The error is for a request that could not be made or read.
func (a Admin) Send(ctx context.Context, method, path string, query url.Values, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: encoding the body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimSuffix(a.URL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Token "+a.Token)
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return resp.StatusCode, data, nil
}
