package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends one JSON-RPC message (or batch) and returns the status and
// body. header pairs are added.
func post(t *testing.T, url, token, body string, header ...string) (int, string) {
	t.Helper()
	status, _, text := postH(t, url, token, body, header...)
	return status, text
}

func postH(t *testing.T, url, token, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// frontServer serves s over streamable HTTP in the test process, with a
// token, and returns its /mcp URL.
func frontServer(t *testing.T, s *mcpserver.MCPServer, opts HTTPOptions) (string, *httpHandler) {
	t.Helper()
	opts.AuthToken = testAuthToken
	h, err := newHTTPHandler(s, TransportHTTP, opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.closeSessions(context.Background())
	})
	return srv.URL + MCPPath, h
}

func initialize(t *testing.T, url, protocol string) string {
	t.Helper()
	status, header, body := postH(t, url, testAuthToken, fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`, protocol))
	require.Equal(t, http.StatusOK, status, body)
	id := header.Get(mcpserver.HeaderKeySessionID)
	require.NotEmpty(t, id, "no session id")
	status, body = post(t, url, testAuthToken, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, mcpserver.HeaderKeySessionID, id)
	require.Equal(t, http.StatusAccepted, status, body)
	return id
}

// messages reads a response body, JSON or an event stream, as JSON-RPC
// messages in order.
func messages(t *testing.T, body string) []map[string]any {
	t.Helper()
	var out []map[string]any
	var chunks []string
	if strings.Contains(body, "data: ") {
		sc := bufio.NewScanner(strings.NewReader(body))
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				chunks = append(chunks, rest)
			}
		}
	} else if strings.TrimSpace(body) != "" {
		chunks = []string{body}
	}
	for _, c := range chunks {
		var v any
		require.NoError(t, json.Unmarshal([]byte(c), &v), c)
		switch m := v.(type) {
		case map[string]any:
			out = append(out, m)
		case []any:
			for _, e := range m {
				out = append(out, e.(map[string]any))
			}
		}
	}
	return out
}

func errorCode(t *testing.T, msg map[string]any) int {
	t.Helper()
	e, ok := msg["error"].(map[string]any)
	require.True(t, ok, "not an error: %v", msg)
	return int(e["code"].(float64))
}

// TestSessionsEnforced: ids are checked on every request of the revisions
// that have sessions.
func TestSessionsEnforced(t *testing.T) {
	url, _ := frontServer(t, newTestServer(), HTTPOptions{})
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	for _, proto := range []string{"2025-03-26", "2025-06-18", "2025-11-25"} {
		t.Run(proto, func(t *testing.T) {
			id := initialize(t, url, proto)
			status, body := post(t, url, testAuthToken, list, mcpserver.HeaderKeySessionID, id)
			assert.Equal(t, http.StatusOK, status, body)

			status, body = post(t, url, testAuthToken, list)
			assert.Equal(t, http.StatusBadRequest, status, "no session id: %s", body)
			assert.Contains(t, body, "Mcp-Session-Id")
			status, body = post(t, url, testAuthToken, list, mcpserver.HeaderKeySessionID, "cmdb-00000000000000000000000000000000")
			assert.Equal(t, http.StatusNotFound, status, "an id never issued: %s", body)
			status, _ = post(t, url, testAuthToken, list, mcpserver.HeaderKeySessionID, "mcp-session-"+strings.Repeat("0", 36))
			assert.Equal(t, http.StatusNotFound, status, "a well-formed id of another server")

			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				req, _ := http.NewRequest(m, url, nil)
				req.Header.Set("Authorization", "Bearer "+testAuthToken)
				req.Header.Set("Accept", "text/event-stream")
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s without a session id", m)
			}

			req, _ := http.NewRequest(http.MethodDelete, url, nil)
			req.Header.Set("Authorization", "Bearer "+testAuthToken)
			req.Header.Set(mcpserver.HeaderKeySessionID, id)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "DELETE")
			status, body = post(t, url, testAuthToken, list, mcpserver.HeaderKeySessionID, id)
			assert.Equal(t, http.StatusNotFound, status, "after DELETE: %s", body)
			req, _ = http.NewRequest(http.MethodDelete, url, nil)
			req.Header.Set("Authorization", "Bearer "+testAuthToken)
			req.Header.Set(mcpserver.HeaderKeySessionID, id)
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a second DELETE")
		})
	}
	// 2026-07-28 has no sessions: nothing to check.
	status, body := post(t, url, testAuthToken, `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
		mcp.HeaderProtocolVersion, "2026-07-28", "Mcp-Method", "tools/list")
	assert.Equal(t, http.StatusOK, status, body)
}

// TestAbandonedSessionsFreed opens 10,000 sessions and abandons them: once
// their idle TTL passed (on the store's clock), the heap is back where it
// started. It measures memory, not time.
func TestAbandonedSessionsFreed(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 sessions")
	}
	s := newTestServer()
	opts := HTTPOptions{AuthToken: testAuthToken, SessionIdleTTL: time.Hour, MaxSessions: 20000}
	h, err := newHTTPHandler(s, TransportHTTP, opts)
	require.NoError(t, err)
	t.Cleanup(func() { h.closeSessions(context.Background()) })
	// The store's clock: the sessions' hour of idleness passes at once.
	var later atomic.Int64
	h.sessions.mu.Lock()
	h.sessions.now = func() time.Time { return time.Now().Add(time.Duration(later.Load())) }
	h.sessions.mu.Unlock()
	serve := func(body string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+MCPPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+testAuthToken)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	const n = 10000
	for i := range n {
		rec := serve(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`)
		require.Equal(t, http.StatusOK, rec.Code)
		id := rec.Header().Get(mcpserver.HeaderKeySessionID)
		if i%1000 == 0 {
			require.NotEmpty(t, id)
		}
		serve(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, mcpserver.HeaderKeySessionID, id)
	}
	full := heap()
	require.Equal(t, n, sessionsLive(t, h), "sessions ended before their idle time")
	later.Store(int64(2 * time.Hour))
	h.sessions.expire()
	require.Zero(t, sessionsLive(t, h))
	after := heap()
	t.Logf("heap: %.1f MB before, %.1f MB with %d abandoned sessions, %.1f MB once they ended", mb(before), mb(full), n, mb(after))
	assert.Greater(t, full, before+uint64(n)*100, "the sessions took no memory: the measurement is broken")
	assert.Less(t, after, before+(full-before)/10, "ended sessions kept their memory")
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// sessionsLive is the number of sessions the transport keeps.
func sessionsLive(t *testing.T, h *httpHandler) int {
	t.Helper()
	require.NotNil(t, h.sessions)
	return h.sessions.count()
}

// TestFrontErrorCodes: what mcp-go would answer with -32603 gets the
// codes the specification gives, over HTTP, in a batch too.
func TestFrontErrorCodes(t *testing.T) {
	url, _ := frontServer(t, newTestServer(), HTTPOptions{})
	id := initialize(t, url, "2025-03-26")
	prompt := `{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"cmdb_sync","arguments":{"mode":"bogus"}}}`
	read := `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"cmdb://plans/plan-00"}}`
	status, body := post(t, url, testAuthToken, prompt, mcpserver.HeaderKeySessionID, id)
	require.Equal(t, http.StatusOK, status, body)
	msgs := messages(t, body)
	require.Len(t, msgs, 1)
	assert.Equal(t, mcp.INVALID_PARAMS, errorCode(t, msgs[0]))

	status, body = post(t, url, testAuthToken, "["+prompt+","+read+"]", mcpserver.HeaderKeySessionID, id)
	require.Equal(t, http.StatusOK, status, body)
	msgs = messages(t, body)
	require.Len(t, msgs, 2)
	assert.Equal(t, mcp.INVALID_PARAMS, errorCode(t, msgs[0]))
	assert.Equal(t, mcp.RESOURCE_NOT_FOUND, errorCode(t, msgs[1]))
	data := msgs[1]["error"].(map[string]any)["data"].(map[string]any)
	assert.Equal(t, "cmdb://plans/plan-00", data["uri"])
}

// TestUnauthenticatedNotRead: a request without the token is answered
// 401 before its body arrives, and the connection is closed.
func TestUnauthenticatedNotRead(t *testing.T) {
	url, _ := frontServer(t, newTestServer(), HTTPOptions{})
	host := strings.TrimPrefix(strings.TrimSuffix(url, MCPPath), "http://")
	c, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer c.Close()
	fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n{", host)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	out, err := io.ReadAll(c)
	require.NoError(t, err, "the connection was not closed after the 401")
	assert.True(t, bytes.HasPrefix(out, []byte("HTTP/1.1 401")), "%s", out)
}

// TestEventStreamOutlivesReadTimeout: a GET event stream stays open past
// the read timeout, which cuts slow request bodies only.
func TestEventStreamOutlivesReadTimeout(t *testing.T) {
	s := newTestServer()
	h, err := newHTTPHandler(s, TransportHTTP, HTTPOptions{AuthToken: testAuthToken})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		h.closeSessions(context.Background())
		_ = srv.Close()
	})
	url := "http://" + ln.Addr().String() + MCPPath
	id := initialize(t, url, "2025-11-25")
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	fmt.Fprintf(c, "GET /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\nMcp-Session-Id: %s\r\n\r\n", ln.Addr(), testAuthToken, id)
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, status, "200")
	// Five read timeouts later the stream is still open: a read waits.
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, err = io.ReadAll(r)
	var ne net.Error
	assert.True(t, errors.As(err, &ne) && ne.Timeout(), "the stream ended: %v", err)
}
