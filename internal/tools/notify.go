package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
)

// loggerName names cmdb-mcp's log notifications.
const loggerName = "cmdb-mcp"

// Notifier writes a notification that belongs to the request being served
// onto that request's own stream (stdio's output, the POST's event stream),
// and returns once it is written. Transports install one per request with
// WithNotifier, so that every notification a tool sends reaches the client
// before the tool's result does: mcp-go queues notifications on a channel
// that a separate goroutine drains, which lets a result overtake them, and
// on streamable HTTP that channel is shared by every stream of the session.
type Notifier func(ctx context.Context, n mcp.JSONRPCNotification) error

type notifierKey struct{}

// WithNotifier makes n carry the notifications of the request served with ctx.
func WithNotifier(ctx context.Context, n Notifier) context.Context {
	return context.WithValue(ctx, notifierKey{}, n)
}

// notify sends a notification of the request served with ctx: through the
// request's Notifier when the transport installed one, else through mcp-go
// (the in-process client, the legacy SSE transport).
func notify(ctx context.Context, n mcp.JSONRPCNotification) {
	if ctx.Err() != nil {
		return // cancelled: the client no longer listens for this request
	}
	if send, ok := ctx.Value(notifierKey{}).(Notifier); ok && send != nil {
		_ = send(ctx, n)
		return
	}
	s := server.ServerFromContext(ctx)
	if s == nil {
		return
	}
	_ = s.SendNotificationToClient(ctx, n.Method, n.Params.AdditionalFields)
}

// logToClient sends a log notification to the client that made the
// request, unless the client asked for a higher level: with
// logging/setLevel before protocol 2026-07-28, in the request's _meta from
// it on (a request that names no level gets no log notifications).
func logToClient(ctx context.Context, level mcp.LoggingLevel, msg string) {
	if !logWanted(ctx, level) {
		return
	}
	notify(ctx, mcp.JSONRPCNotification{
		JSONRPC: mcp.JSONRPC_VERSION,
		Notification: mcp.Notification{
			Method: string(mcp.MethodNotificationMessage),
			Params: mcp.NotificationParams{AdditionalFields: map[string]any{
				"level":  level,
				"logger": loggerName,
				"data":   clip(msg, maxLogLen),
			}},
		},
	})
}

// maxLogLen bounds a log notification: they echo NetBox's messages, which
// may echo what the model sent.
const maxLogLen = 2000

func logWanted(ctx context.Context, level mcp.LoggingLevel) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.LogLevel != "" && level.ShouldSendTo(info.LogLevel)
	}
	session, ok := server.ClientSessionFromContext(ctx).(server.SessionWithLogging)
	return ok && session.Initialized() && level.ShouldSendTo(session.GetLogLevel())
}

// progressOf reports apply steps as progress notifications ("step n of m")
// when the request carried a progress token, and as info logs either way.
// apply calls it one step at a time, so the notifications go out in order.
func progressOf(ctx context.Context, req mcp.CallToolRequest) apply.Progress {
	var token mcp.ProgressToken
	if req.Params.Meta != nil {
		token = req.Params.Meta.ProgressToken
	}
	return func(done, total int, message string) {
		logToClient(ctx, mcp.LoggingLevelInfo, message)
		if token == nil {
			return
		}
		notify(ctx, mcp.JSONRPCNotification{
			JSONRPC: mcp.JSONRPC_VERSION,
			Notification: mcp.Notification{
				Method: string(mcp.MethodNotificationProgress),
				Params: mcp.NotificationParams{AdditionalFields: map[string]any{
					"progressToken": token,
					"progress":      done,
					"total":         total,
					"message":       message,
				}},
			},
		})
	}
}
