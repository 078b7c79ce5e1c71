package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// maxStdioMessage bounds one line of stdin, as maxRequestBody bounds an
// HTTP body.
const maxStdioMessage = maxRequestBody

// runStdio serves s on in and out: one JSON-RPC message per line. It is
// cmdb-mcp's own loop rather than mcp-go's StdioServer, which writes a
// request's notifications from one goroutine and its result from another
// (the last progress notifications of an apply could follow its result),
// still sends a result after the client cancelled the request, and cannot
// parse a JSON-RPC batch. Here a request's notifications are written, in
// order, by the goroutine serving it, before its result; a cancelled
// request sends nothing more; and batches are answered on the revisions
// that have them.
func runStdio(ctx context.Context, s *mcpserver.MCPServer, in io.Reader, out io.Writer) error {
	slog.Info("serving MCP on stdio")
	loop := newStdioLoop(s, out)
	err := loop.serve(ctx, in)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

type stdioLoop struct {
	s       *mcpserver.MCPServer
	session *stdioSession

	writeMu sync.Mutex
	out     io.Writer

	mu       sync.Mutex
	inflight map[string]*stdioRequest
	// protocol is the revision negotiated at initialize.
	protocol string

	wg sync.WaitGroup
}

// stdioRequest is a request in flight: a cancellation for its id ends it.
type stdioRequest struct {
	key       string
	cancel    context.CancelFunc
	cancelled atomic.Bool
}

func newStdioLoop(s *mcpserver.MCPServer, out io.Writer) *stdioLoop {
	l := &stdioLoop{s: s, out: out, inflight: map[string]*stdioRequest{}}
	l.session = newStdioSession(l)
	return l
}

func (l *stdioLoop) serve(ctx context.Context, in io.Reader) error {
	if err := l.s.RegisterSession(ctx, l.session); err != nil {
		return fmt.Errorf("register the stdio session: %w", err)
	}
	defer l.s.UnregisterSession(context.WithoutCancel(ctx), l.session.SessionID())
	ctx, cancel := context.WithCancel(l.s.WithContext(ctx, l.session))
	defer func() {
		cancel()
		l.wg.Wait()
	}()
	// Notifications mcp-go sends through the session's channel (none of
	// the tools': they go through the Notifier) are written as they come.
	go l.session.forward(ctx)

	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := readLine(r)
			if len(bytes.TrimSpace(line)) > 0 || errors.Is(err, errLineTooLong) {
				select {
				case lines <- line:
				case <-ctx.Done():
					return
				}
			}
			if err != nil && !errors.Is(err, errLineTooLong) {
				readErr <- err
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			// The client closed its end: what runs finishes and sends
			// its result, which the client may still read; nothing can
			// answer an elicitation any more.
			close(l.session.inputDone)
			if errors.Is(err, io.EOF) {
				l.wg.Wait()
				return nil
			}
			return err
		case line := <-lines:
			l.handleLine(ctx, line)
		}
	}
}

var errLineTooLong = errors.New("message too long")

// readLine reads one line, at most maxStdioMessage bytes of it; a longer
// one is skipped to its end and reported with errLineTooLong.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxStdioMessage {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

func (l *stdioLoop) handleLine(ctx context.Context, line []byte) {
	if line == nil {
		l.write(errorMessage(nil, mcp.INVALID_REQUEST, fmt.Sprintf("Message too long: a message here is at most %d bytes", maxStdioMessage)))
		return
	}
	line = bytes.TrimSpace(line)
	if line[0] == '[' {
		l.wg.Go(func() { l.serveBatch(ctx, line) })
		return
	}
	var env envelope
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(line, &env) != nil || json.Unmarshal(line, &resp) != nil {
		l.write(errorMessage(nil, mcp.PARSE_ERROR, "Parse error"))
		return
	}
	if env.Method == "" && len(env.ID) > 0 && (resp.Result != nil || resp.Error != nil) {
		l.session.answer(env.ID, resp.Result, resp.Error)
		return
	}
	if env.Method == string(mcp.MethodNotificationCancelled) {
		l.cancel(env.Params.RequestID)
	}
	if !env.isRequest() {
		// Notifications are handled in order, on the read loop.
		l.s.HandleMessage(ctx, line)
		return
	}
	// Tracked here, on the read loop, not in the goroutine: a
	// cancellation on the very next line must find the request.
	reqCtx, req := l.track(ctx, env.ID)
	l.wg.Go(func() {
		defer l.untrack(req)
		if answer := l.serveRequest(reqCtx, req, env, line); answer != nil {
			l.write(answer)
		}
	})
}

// track registers a request as in flight and returns the context it is
// served with, which l.cancel ends. untrack must follow.
func (l *stdioLoop) track(ctx context.Context, id json.RawMessage) (context.Context, *stdioRequest) {
	ctx, cancel := context.WithCancel(ctx)
	req := &stdioRequest{key: string(bytes.TrimSpace(id)), cancel: cancel}
	l.mu.Lock()
	l.inflight[req.key] = req
	l.mu.Unlock()
	return ctx, req
}

// untrack ends a request tracked by track. A later request that reused
// the id keeps its own entry.
func (l *stdioLoop) untrack(req *stdioRequest) {
	req.cancel()
	l.mu.Lock()
	if l.inflight[req.key] == req {
		delete(l.inflight, req.key)
	}
	l.mu.Unlock()
}

// serveRequest serves one request tracked as req, with the context track
// returned, and returns its response, or nil when the client cancelled
// it.
func (l *stdioLoop) serveRequest(ctx context.Context, req *stdioRequest, env envelope, msg []byte) json.RawMessage {
	ctx = tools.WithNotifier(ctx, func(_ context.Context, n mcp.JSONRPCNotification) error {
		if req.cancelled.Load() {
			return nil
		}
		raw, err := json.Marshal(n)
		if err != nil {
			return err
		}
		return l.write(raw)
	})
	if pre, ok := precheck(l.s, env, msg, tools.Owner(ctx), mcp.IsModernProtocol(env.Params.Meta.ProtocolVersion)); ok {
		return pre
	}
	res := l.s.HandleMessage(ctx, msg)
	if res == nil || req.cancelled.Load() {
		return nil
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return errorMessage(env.ID, mcp.INTERNAL_ERROR, "the response could not be encoded")
	}
	if env.Method == string(mcp.MethodInitialize) {
		var init struct {
			Result struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"result"`
		}
		if json.Unmarshal(raw, &init) == nil && init.Result.ProtocolVersion != "" {
			l.mu.Lock()
			l.protocol = init.Result.ProtocolVersion
			l.mu.Unlock()
		}
	}
	return raw
}

func (l *stdioLoop) revision() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.protocol
}

// cancel marks a request cancelled: its result is not sent, and its
// handler's context ends.
func (l *stdioLoop) cancel(reqID json.RawMessage) {
	l.mu.Lock()
	req := l.inflight[string(bytes.TrimSpace(reqID))]
	l.mu.Unlock()
	if req != nil {
		req.cancelled.Store(true)
		req.cancel()
	}
}

// serveBatch answers a batch on the revisions that have them (2025-03-26
// and 2024-11-05), one message after the other, with one array; on the
// others with an error that says batches are not part of them.
func (l *stdioLoop) serveBatch(ctx context.Context, line []byte) {
	revision := l.revision()
	if !batchRevisions[revision] {
		if revision == "" {
			revision = "negotiated at initialize (none yet)"
		}
		l.write(errorMessage(nil, mcp.INVALID_REQUEST, fmt.Sprintf(
			"JSON-RPC batches are not part of MCP revision %s (only 2025-03-26 and earlier have them): send each message on a line of its own", revision)))
		return
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(line, &msgs); err != nil {
		l.write(errorMessage(nil, mcp.PARSE_ERROR, "Parse error: the batch is not a JSON array of messages"))
		return
	}
	if len(msgs) == 0 {
		l.write(errorMessage(nil, mcp.INVALID_REQUEST, "Invalid Request: an empty batch"))
		return
	}
	var responses []json.RawMessage
	for _, msg := range msgs {
		var env envelope
		if json.Unmarshal(msg, &env) != nil {
			responses = append(responses, errorMessage(nil, mcp.PARSE_ERROR, "Parse error"))
			continue
		}
		switch {
		case env.Method == string(mcp.MethodInitialize):
			responses = append(responses, errorMessage(env.ID, mcp.INVALID_REQUEST, "initialize must not be part of a JSON-RPC batch: send it on its own"))
		case env.isRequest():
			reqCtx, req := l.track(ctx, env.ID)
			r := l.serveRequest(reqCtx, req, env, msg)
			l.untrack(req)
			if r != nil {
				responses = append(responses, r)
			}
		default:
			if env.Method == string(mcp.MethodNotificationCancelled) {
				l.cancel(env.Params.RequestID)
			}
			l.s.HandleMessage(ctx, msg)
		}
	}
	if len(responses) > 0 {
		all, _ := json.Marshal(responses)
		l.write(all)
	}
}

// write writes one message and its newline at once.
func (l *stdioLoop) write(msg []byte) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	_, err := l.out.Write(append(bytes.TrimSpace(msg), '\n'))
	return err
}

// stdioSession is the one client of the stdio transport.
type stdioSession struct {
	loop          *stdioLoop
	notifications chan mcp.JSONRPCNotification
	initialized   atomic.Bool
	level         atomic.Value // mcp.LoggingLevel

	mu           sync.Mutex
	clientInfo   mcp.Implementation
	capabilities mcp.ClientCapabilities
	nextID       int64
	pending      map[int64]chan stdioAnswer
	// inputDone is closed when stdin ends.
	inputDone chan struct{}
}

type stdioAnswer struct {
	result json.RawMessage
	err    json.RawMessage
}

func newStdioSession(l *stdioLoop) *stdioSession {
	return &stdioSession{loop: l, notifications: make(chan mcp.JSONRPCNotification, 256), pending: map[int64]chan stdioAnswer{}, inputDone: make(chan struct{})}
}

var (
	_ mcpserver.SessionWithLogging     = (*stdioSession)(nil)
	_ mcpserver.SessionWithClientInfo  = (*stdioSession)(nil)
	_ mcpserver.SessionWithElicitation = (*stdioSession)(nil)
)

func (s *stdioSession) SessionID() string { return "stdio" }
func (s *stdioSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
}
func (s *stdioSession) Initialize()       { s.initialized.Store(true) }
func (s *stdioSession) Initialized() bool { return s.initialized.Load() }

func (s *stdioSession) SetLogLevel(level mcp.LoggingLevel) { s.level.Store(level) }
func (s *stdioSession) GetLogLevel() mcp.LoggingLevel {
	if level, ok := s.level.Load().(mcp.LoggingLevel); ok {
		return level
	}
	return mcp.LoggingLevelError
}

func (s *stdioSession) GetClientInfo() mcp.Implementation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientInfo
}

func (s *stdioSession) SetClientInfo(info mcp.Implementation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientInfo = info
}

func (s *stdioSession) GetClientCapabilities() mcp.ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capabilities
}

func (s *stdioSession) SetClientCapabilities(c mcp.ClientCapabilities) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capabilities = c
}

// forward writes what mcp-go sends through the session's channel.
func (s *stdioSession) forward(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-s.notifications:
			if raw, err := json.Marshal(n); err == nil {
				_ = s.loop.write(raw)
			}
		}
	}
}

// RequestElicitation asks the client (protocol revisions before
// 2026-07-28, where mcp-go turns a tool's input request into this).
func (s *stdioSession) RequestElicitation(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan stdioAnswer, 1)
	s.pending[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}()
	raw, err := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": id, "method": mcp.MethodElicitationCreate, "params": req.Params})
	if err != nil {
		return nil, err
	}
	if err := s.loop.write(raw); err != nil {
		return nil, fmt.Errorf("send the elicitation request: %w", err)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.inputDone:
		return nil, errors.New("the client closed stdin: it cannot answer the elicitation request")
	case a := <-ch:
		if a.err != nil {
			return nil, fmt.Errorf("the client failed the elicitation request: %s", a.err)
		}
		var res mcp.ElicitationResult
		if err := json.Unmarshal(a.result, &res); err != nil {
			return nil, fmt.Errorf("the client's elicitation answer: %w", err)
		}
		return &res, nil
	}
}

// answer routes a client's response to the request waiting for it.
func (s *stdioSession) answer(id json.RawMessage, result, errObj json.RawMessage) {
	var n int64
	if json.Unmarshal(id, &n) != nil {
		return
	}
	s.mu.Lock()
	ch := s.pending[n]
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- stdioAnswer{result: result, err: errObj}:
		default:
		}
	}
}
