package tools

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
)

// loggerName names cmdb-mcp's log notifications.
const loggerName = "cmdb-mcp"

// logToClient sends a log notification to the client that made the
// request. mcp-go drops it below the level the client set with
// logging/setLevel (or, from protocol 2026-07-28 on, asked for in the
// request), so callers need not check.
func logToClient(ctx context.Context, level mcp.LoggingLevel, msg string) {
	s := server.ServerFromContext(ctx)
	if s == nil {
		return
	}
	// A client that cannot take notifications loses nothing it asked for.
	if s.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(level, loggerName, msg)) == nil {
		markNotified(ctx)
	}
}

// progressOf reports apply steps as progress notifications ("step n of m")
// when the request carried a progress token, and as info logs either way.
func progressOf(ctx context.Context, req mcp.CallToolRequest) apply.Progress {
	var token mcp.ProgressToken
	if req.Params.Meta != nil {
		token = req.Params.Meta.ProgressToken
	}
	s := server.ServerFromContext(ctx)
	return func(done, total int, message string) {
		logToClient(ctx, mcp.LoggingLevelInfo, message)
		if token == nil || s == nil {
			return
		}
		if s.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
			"progressToken": token,
			"progress":      done,
			"total":         total,
			"message":       message,
		}) == nil {
			markNotified(ctx)
		}
	}
}

// notifySettle is how long a result waits behind notifications on
// streamable HTTP. mcp-go v1.2.1 can drop a notification sent just before
// the response: its forwarder takes it off the queue, then loses the race
// for the response writer and discards it (mark3labs/mcp-go#969, open).
// Without the wait, the last "step m of m" went missing in about one
// apply in four over HTTP.
const notifySettle = 50 * time.Millisecond

type notifiedKey struct{}

// withNotifyRecord lets markNotified record that this request sent
// notifications.
func withNotifyRecord(ctx context.Context) (context.Context, *atomic.Bool) {
	sent := &atomic.Bool{}
	return context.WithValue(ctx, notifiedKey{}, sent), sent
}

func markNotified(ctx context.Context) {
	if sent, ok := ctx.Value(notifiedKey{}).(*atomic.Bool); ok {
		sent.Store(true)
	}
}

// settle gives notifications sent over streamable HTTP time to reach the
// client before the result does; other transports keep their order.
func settle(ctx context.Context, sent *atomic.Bool) {
	if !sent.Load() {
		return
	}
	if _, http := server.ClientSessionFromContext(ctx).(server.SessionWithStreamableHTTPConfig); !http {
		return
	}
	select {
	case <-time.After(notifySettle):
	case <-ctx.Done():
	}
}
