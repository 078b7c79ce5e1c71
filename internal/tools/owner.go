package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/server"
)

type principalKey struct{}

// WithPrincipal records who the request authenticated as (a digest of the
// bearer token, "anonymous" without one); the HTTP transports' guard sets
// it.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

// Owner is whom a plan made in this request belongs to: the credential and
// the MCP session. A plan is read and applied only by its owner, as
// cmdb_sync_apply's "from cmdb_sync_diff in this session" promises: on a
// server several clients reach, one session cannot apply, or read, a plan
// another made. A request of protocol 2026-07-28, which has no sessions,
// is known by its credential only.
func Owner(ctx context.Context) string {
	session := ""
	if s := server.ClientSessionFromContext(ctx); s != nil {
		session = s.SessionID()
	}
	return OwnerOf(Principal(ctx), session)
}

// OwnerOf is Owner for a transport that knows the two parts itself.
func OwnerOf(principal, session string) string { return principal + "|" + session }

// Principal is what WithPrincipal recorded, or "".
func Principal(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}
