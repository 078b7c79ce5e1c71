// Package engine runs the sync workflow: look the device up in NetBox,
// discover the host, compare, keep the plan, and apply it on request. The MCP
// tools and the CLI are thin fronts over it.
package engine

import (
	"context"
	"errors"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Discoverer finds out what this host is. discovery provides the real one;
// tests and the demo may pass a fixed host.
type Discoverer interface {
	Discover(ctx context.Context) (discovery.Host, error)
}

// DiscovererFunc adapts a function to Discoverer.
type DiscovererFunc func(ctx context.Context) (discovery.Host, error)

// Discover calls f.
func (f DiscovererFunc) Discover(ctx context.Context) (discovery.Host, error) { return f(ctx) }

// Engine runs diffs and applies. It is safe for concurrent use.
type Engine struct {
	nb   *netbox.Client
	disc Discoverer
}

// New returns an engine that reads and writes NetBox through nb.
func New(nb *netbox.Client, disc Discoverer) *Engine {
	return &Engine{nb: nb, disc: disc}
}

// DiffRequest asks for a comparison.
type DiffRequest struct {
	// Hostname overrides the discovered host name for the NetBox lookup.
	Hostname string
	// Full marks every compared field for refresh (the seed's full mode).
	Full bool
}

// ErrUnknownPlan is returned by Apply for a plan id this engine did not make.
var ErrUnknownPlan = errors.New("unknown plan id: run cmdb_sync_diff first and pass the plan_id it returns")

// Discover returns a fresh snapshot of the host.
func (e *Engine) Discover(ctx context.Context) (discovery.Host, error) {
	return e.disc.Discover(ctx)
}

// Diff looks the device up, discovers the host, compares them and keeps the
// plan for a later Apply.
func (e *Engine) Diff(ctx context.Context, req DiffRequest) (diff.Plan, error) {
	return diff.Plan{}, errors.New("not implemented yet")
}

// Apply executes the plan made by an earlier Diff and journals it.
func (e *Engine) Apply(ctx context.Context, planID string) (apply.Result, error) {
	return apply.Result{}, ErrUnknownPlan
}
