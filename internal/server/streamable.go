package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// streamableFront stands in front of mcp-go's streamable HTTP handler and
// does what that handler leaves undone, each for a reason mcp-go v1.2.1
// gives:
//
//   - sessions: mcp-go accepts a request without a session id, and (with
//     its stock id managers) an id it never issued or one already deleted.
//     Here a request on a protocol revision that has sessions needs a live
//     id (400 without one, 404 for an unknown or ended one), and sessions
//     end after an idle TTL (sessions.go);
//   - order: mcp-go queues a request's notifications on a channel that the
//     session's other streams also drain, and can lose or reorder the last
//     ones against the result. Here a tool's notifications are written on
//     the request's own stream, synchronously, before its result
//     (orderedWriter);
//   - cancellation: mcp-go cancels the handler on notifications/cancelled
//     but still sends its result. Here the request's stream is cut;
//   - batches: a 2025-03-26 client may send a JSON-RPC batch, which mcp-go
//     cannot parse. Here it is served one message at a time, and refused
//     with a clear message on later revisions, which have no batches.
type streamableFront struct {
	inner    http.Handler
	server   *mcpserver.MCPServer
	sessions *sessions

	mu       sync.Mutex
	inflight map[string]*inflightRequest
}

type inflightRequest struct {
	cancel context.CancelFunc
	out    *orderedWriter
}

func newStreamableFront(inner http.Handler, server *mcpserver.MCPServer, s *sessions) *streamableFront {
	return &streamableFront{inner: inner, server: server, sessions: s, inflight: map[string]*inflightRequest{}}
}

// envelope is what the front reads of a JSON-RPC message.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Meta struct {
			ProtocolVersion string `json:"io.modelcontextprotocol/protocolVersion"`
		} `json:"_meta"`
		ProtocolVersion string          `json:"protocolVersion"`
		RequestID       json.RawMessage `json:"requestId"`
	} `json:"params"`
}

func (e envelope) isRequest() bool { return e.Method != "" && len(e.ID) > 0 && string(e.ID) != "null" }

func (f *streamableFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	modern := mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	switch r.Method {
	case http.MethodPost:
		f.servePost(w, r, modern, id)
	case http.MethodGet, http.MethodDelete:
		if modern {
			f.inner.ServeHTTP(w, r) // mcp-go refuses these on 2026-07-28
			return
		}
		if !f.checkSession(w, nil, id) {
			return
		}
		if r.Method == http.MethodDelete {
			f.inner.ServeHTTP(w, r)
			return
		}
		if !f.sessions.enter(id) {
			writeSessionError(w, nil, http.StatusNotFound)
			return
		}
		defer f.sessions.leave(id)
		f.inner.ServeHTTP(w, r)
	default:
		f.inner.ServeHTTP(w, r)
	}
}

// checkSession answers 400 for a missing session id and 404 for one that
// is not live, and reports whether the request may go on.
func (f *streamableFront) checkSession(w http.ResponseWriter, reqID json.RawMessage, id string) bool {
	switch {
	case id == "":
		writeSessionError(w, reqID, http.StatusBadRequest)
		return false
	case !f.sessions.known(id):
		writeSessionError(w, reqID, http.StatusNotFound)
		return false
	}
	return true
}

func writeSessionError(w http.ResponseWriter, reqID json.RawMessage, status int) {
	msg := "Bad Request: this request needs the Mcp-Session-Id header the server returned from initialize"
	code := mcp.INVALID_REQUEST
	if status == http.StatusNotFound {
		msg = "Session not found: it was deleted, or it ended after being idle; send initialize for a new session"
		code = -32001
	}
	writeJSONRPCError(w, status, reqID, code, msg)
}

func writeJSONRPCError(w http.ResponseWriter, status int, reqID json.RawMessage, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(errorMessage(reqID, code, msg), '\n'))
}

// servePost serves a POST: a batch, or one message, which on a revision
// with sessions needs a live session, held while the message is served.
func (f *streamableFront) servePost(w http.ResponseWriter, r *http.Request, modern bool, id string) {
	body, ok := readPostBody(w, r)
	if !ok {
		return
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		f.serveBatch(w, r, trimmed, modern, id)
		return
	}
	var env envelope
	if json.Unmarshal(trimmed, &env) != nil {
		f.inner.ServeHTTP(w, r) // mcp-go answers the parse error
		return
	}
	modern = modern || mcp.IsModernProtocol(env.Params.Meta.ProtocolVersion)
	if !modern {
		if env.Method == string(mcp.MethodInitialize) {
			f.serveInitialize(w, r)
			return
		}
		if !f.checkSession(w, env.ID, id) {
			return
		}
		if !f.sessions.enter(id) {
			writeSessionError(w, env.ID, http.StatusNotFound)
			return
		}
		defer f.sessions.leave(id)
	} else {
		id = ""
	}
	f.serveMessage(w, r, env, trimmed, modern, id)
}

// readPostBody reads the whole body and puts it back on r for mcp-go. It
// answers a body too large or one that does not arrive, and reports
// whether the request goes on.
func readPostBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSONRPCError(w, http.StatusRequestEntityTooLarge, nil, mcp.INVALID_REQUEST,
				fmt.Sprintf("Request body too large: an MCP message here is at most %d bytes", tooBig.Limit))
			return nil, false
		}
		// A body that does not arrive in time (the server's read
		// timeout) or a dropped connection: nothing to answer.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestTimeout)
		return nil, false
	}
	// The body is read; from here a request may run as long as its work
	// takes (an apply), bounded by the write timeout, not the read one.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, true
}

// serveMessage passes one message of a live session (or a sessionless
// modern one) on: a cancellation also cancels what it names, and a request
// that fails the precheck is answered here.
func (f *streamableFront) serveMessage(w http.ResponseWriter, r *http.Request, env envelope, msg []byte, modern bool, id string) {
	if env.Method == string(mcp.MethodNotificationCancelled) {
		f.cancel(id, env.Params.RequestID)
	}
	if !env.isRequest() {
		f.inner.ServeHTTP(w, r)
		return
	}
	if pre, ok := f.precheck(r, env, msg, id, modern); ok {
		status := http.StatusOK
		if modern {
			status = http.StatusBadRequest // what mcp-go answers -32602 with on 2026-07-28
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(append(pre, '\n'))
		return
	}
	f.serveInflight(w, r, env, id)
}

// serveInflight runs a request while it is in flight: cancellable by a
// cancellation notification, its progress notifications written in order
// before its answer.
func (f *streamableFront) serveInflight(w http.ResponseWriter, r *http.Request, env envelope, id string) {
	out := newOrderedWriter(w, true)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer f.track(inflightKey(id, env.ID), &inflightRequest{cancel: cancel, out: out})()
	ctx = tools.WithNotifier(ctx, out.notify)
	f.inner.ServeHTTP(out, r.WithContext(ctx))
	out.finish()
}

// precheck is the transports' precheck (messages.go) for an HTTP request.
func (f *streamableFront) precheck(r *http.Request, env envelope, msg []byte, session string, modern bool) (json.RawMessage, bool) {
	if f.server == nil {
		return nil, false
	}
	return precheck(f.server, env, msg, tools.OwnerOf(tools.Principal(r.Context()), session), modern)
}

// serveInitialize passes initialize to mcp-go, which issues the session,
// and records the revision it negotiated, which decides whether the
// session may send batches.
func (f *streamableFront) serveInitialize(w http.ResponseWriter, r *http.Request) {
	out := newOrderedWriter(w, true)
	out.tee = &bytes.Buffer{}
	f.inner.ServeHTTP(out, r)
	out.finish()
	id := w.Header().Get(mcpserver.HeaderKeySessionID)
	if id == "" {
		return
	}
	var res struct {
		Result struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
	}
	raw := out.tee.Bytes()
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 {
		raw = raw[i+len("data: "):]
	}
	if json.Unmarshal(bytes.TrimSpace(raw), &res) == nil {
		f.sessions.setProtocol(id, res.Result.ProtocolVersion)
	}
}

// track registers req as in flight under key, before it is served, until
// the returned func is called. A later request that reused the id keeps
// its own entry.
func (f *streamableFront) track(key string, req *inflightRequest) (untrack func()) {
	f.mu.Lock()
	f.inflight[key] = req
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		if f.inflight[key] == req {
			delete(f.inflight, key)
		}
		f.mu.Unlock()
	}
}

func inflightKey(session string, reqID json.RawMessage) string {
	return session + "\x00" + string(bytes.TrimSpace(reqID))
}

// cancel ends the stream of a request the client cancelled: the tool's
// context is cancelled (mcp-go does that too) and no result is sent.
func (f *streamableFront) cancel(session string, reqID json.RawMessage) {
	if len(reqID) == 0 {
		return
	}
	f.mu.Lock()
	req := f.inflight[inflightKey(session, reqID)]
	f.mu.Unlock()
	if req != nil {
		req.out.drop()
		req.cancel()
	}
}

// batchRevisions are the protocol revisions that have JSON-RPC batches.
var batchRevisions = map[string]bool{mcp.ProtocolVersion20241105: true, mcp.ProtocolVersion20250326: true}

// serveBatch answers a JSON-RPC batch: on 2025-03-26 (and 2024-11-05) one
// message at a time, the responses together in one array; on later
// revisions, which removed batches, with an error that says so.
func (f *streamableFront) serveBatch(w http.ResponseWriter, r *http.Request, body []byte, modern bool, id string) {
	revision := r.Header.Get(mcp.HeaderProtocolVersion)
	if !modern && id != "" {
		if p := f.sessions.protocol(id); p != "" {
			revision = p
		}
	}
	if modern || (revision != "" && !batchRevisions[revision]) {
		writeJSONRPCError(w, http.StatusBadRequest, nil, mcp.INVALID_REQUEST, fmt.Sprintf(
			"JSON-RPC batches are not part of MCP revision %s (only 2025-03-26 and earlier have them): send each message in a POST of its own", revision))
		return
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(body, &msgs); err != nil {
		writeJSONRPCError(w, http.StatusBadRequest, nil, mcp.PARSE_ERROR, "Parse error: the batch is not a JSON array of messages")
		return
	}
	if len(msgs) == 0 {
		writeJSONRPCError(w, http.StatusBadRequest, nil, mcp.INVALID_REQUEST, "Invalid Request: an empty batch")
		return
	}
	if !f.checkSession(w, nil, id) {
		return
	}
	if !f.sessions.enter(id) {
		writeSessionError(w, nil, http.StatusNotFound)
		return
	}
	defer f.sessions.leave(id)

	out := newOrderedWriter(w, true)
	var responses []json.RawMessage
	for _, msg := range msgs {
		if resp := f.serveBatchMessage(r, out, id, msg); resp != nil {
			responses = append(responses, resp)
		}
	}
	if len(responses) == 0 {
		out.endWith(nil, http.StatusAccepted)
		return
	}
	all, _ := json.Marshal(responses)
	out.endWith(all, http.StatusOK)
}

// serveBatchMessage serves one message of a batch through mcp-go and
// returns its response, if it has one.
func (f *streamableFront) serveBatchMessage(r *http.Request, out *orderedWriter, session string, msg json.RawMessage) json.RawMessage {
	var env envelope
	if err := json.Unmarshal(msg, &env); err != nil {
		return errorMessage(nil, mcp.PARSE_ERROR, "Parse error")
	}
	if env.Method == string(mcp.MethodInitialize) {
		return errorMessage(env.ID, mcp.INVALID_REQUEST, "initialize must not be part of a JSON-RPC batch: send it on its own")
	}
	if env.Method == string(mcp.MethodNotificationCancelled) {
		f.cancel(session, env.Params.RequestID)
	}
	if env.isRequest() {
		if pre, ok := f.precheck(r, env, msg, session, false); ok {
			return pre
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sub := r.Clone(ctx)
	sub.Body = io.NopCloser(bytes.NewReader(msg))
	sub.ContentLength = int64(len(msg))
	rec := &capture{header: http.Header{}}
	if env.isRequest() {
		// Notifications of the message go out on the batch's stream as
		// they come; mcp-go's own go nowhere (capture cannot stream).
		item := newOrderedWriter(rec, false)
		item.events = out
		defer f.track(inflightKey(session, env.ID), &inflightRequest{cancel: cancel, out: item})()
		sub = sub.WithContext(tools.WithNotifier(ctx, item.notify))
		f.inner.ServeHTTP(item, sub)
		if item.dropped() {
			return nil
		}
	} else {
		f.inner.ServeHTTP(rec, sub)
	}
	body := bytes.TrimSpace(rec.body.Bytes())
	if rec.status == http.StatusAccepted || len(body) == 0 {
		return nil
	}
	if json.Valid(body) {
		return body
	}
	// mcp-go answered with an event stream (it does once a session had a
	// notification of its own): the response is the last event.
	var last json.RawMessage
	for _, line := range strings.Split(string(body), "\n") {
		if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok && json.Valid([]byte(data)) {
			var m envelope
			if json.Unmarshal([]byte(data), &m) == nil && m.Method == "" {
				last = json.RawMessage(data)
			}
		}
	}
	if last != nil {
		return last
	}
	return errorMessage(env.ID, mcp.INVALID_REQUEST, strings.TrimSpace(string(body)))
}

func errorMessage(id json.RawMessage, code int, msg string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": idOrNull(id), "error": map[string]any{"code": code, "message": msg}})
	return b
}

// capture records what mcp-go answers for one message of a batch. It
// cannot flush, so mcp-go answers with plain JSON.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(p)
}

// orderedWriter is the response of one request, shared by mcp-go (which
// writes the result, and perhaps events of its own) and the request's
// Notifier (which writes the tool's notifications as they are sent). A
// notification sent before mcp-go wrote anything turns the response into
// an event stream; a plain JSON result mcp-go then writes is sent as the
// stream's last event. Every write holds the lock, so events never mix.
type orderedWriter struct {
	w     http.ResponseWriter
	flush bool // w can stream

	mu          sync.Mutex
	wroteHeader bool
	ourStream   bool // the Notifier started the event stream
	wrapJSON    bool // mcp-go answered application/json into our stream
	pending     bytes.Buffer
	cancelled   bool
	// tee, when set, keeps a copy of what mcp-go wrote.
	tee *bytes.Buffer
	// events, when set, carries the notifications instead of w (a batch
	// message's, which go out on the batch's stream).
	events *orderedWriter
}

func newOrderedWriter(w http.ResponseWriter, canStream bool) *orderedWriter {
	_, flusher := w.(http.Flusher)
	return &orderedWriter{w: w, flush: canStream && flusher}
}

func (o *orderedWriter) Header() http.Header { return o.w.Header() }

func (o *orderedWriter) WriteHeader(status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writeHeaderLocked(status)
}

func (o *orderedWriter) writeHeaderLocked(status int) {
	if o.wroteHeader {
		if o.ourStream && !strings.HasPrefix(o.w.Header().Get("Content-Type"), "text/event-stream") {
			o.wrapJSON = true
		}
		return
	}
	o.wroteHeader = true
	if !o.cancelled {
		o.w.WriteHeader(status)
	}
}

func (o *orderedWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.wroteHeader {
		o.writeHeaderLocked(http.StatusOK)
	}
	if o.tee != nil {
		o.tee.Write(p)
	}
	switch {
	case o.cancelled:
		return len(p), nil
	case o.wrapJSON:
		return o.pending.Write(p)
	}
	return o.w.Write(p)
}

// Flush lets mcp-go stream; a result it wrote as JSON waits for finish.
func (o *orderedWriter) Flush() {
	if !o.flush {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.cancelled {
		o.w.(http.Flusher).Flush()
	}
}

// Unwrap gives http.ResponseController the connection (deadlines).
func (o *orderedWriter) Unwrap() http.ResponseWriter { return o.w }

// notify is the request's Notifier: it writes n as an event now.
func (o *orderedWriter) notify(_ context.Context, n mcp.JSONRPCNotification) error {
	if o.events != nil {
		return o.events.notify(context.Background(), n)
	}
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cancelled || !o.flush {
		return nil
	}
	if !o.wroteHeader {
		h := o.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		o.wroteHeader, o.ourStream = true, true
		o.w.WriteHeader(http.StatusOK)
	} else if !strings.HasPrefix(o.w.Header().Get("Content-Type"), "text/event-stream") {
		return nil // the result went out as JSON already
	}
	if _, err := fmt.Fprintf(o.w, "event: message\ndata: %s\n\n", data); err != nil {
		return err
	}
	o.w.(http.Flusher).Flush()
	return nil
}

// finish sends a JSON result mcp-go wrote into the event stream as its
// last event.
func (o *orderedWriter) finish() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cancelled || !o.wrapJSON || o.pending.Len() == 0 {
		return
	}
	fmt.Fprintf(o.w, "event: message\ndata: %s\n\n", bytes.TrimSpace(o.pending.Bytes()))
	o.pending.Reset()
	if o.flush {
		o.w.(http.Flusher).Flush()
	}
}

// endWith ends a batch's response with body: as the stream's last event
// when notifications started one, else as JSON with status.
func (o *orderedWriter) endWith(body []byte, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ourStream {
		if body != nil {
			fmt.Fprintf(o.w, "event: message\ndata: %s\n\n", body)
			o.w.(http.Flusher).Flush()
		}
		return
	}
	if body == nil {
		o.w.WriteHeader(status)
		return
	}
	o.w.Header().Set("Content-Type", "application/json")
	o.w.WriteHeader(status)
	_, _ = o.w.Write(append(body, '\n'))
}

// drop discards everything from now on: the client cancelled.
func (o *orderedWriter) drop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cancelled = true
}

func (o *orderedWriter) dropped() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cancelled
}
