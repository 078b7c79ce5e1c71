// Package enginetest syncs fixed hosts through the engine, for tests that
// drive many hosts against one NetBox or change a host between syncs.
package enginetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Syncer runs the engine for one host. The host is read at every
// discovery, so a test can change it between syncs.
type Syncer struct {
	t    testing.TB
	eng  *engine.Engine
	host *host.Host
}

// New returns a Syncer of *h against c.
func New(t testing.TB, c *netbox.Client, h *host.Host, opts ...engine.Option) *Syncer {
	s := &Syncer{t: t, host: h}
	s.eng = engine.New(c, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return *s.host, nil }), opts...)
	return s
}

// Sync diffs and applies, and fails the test for every change that did
// not apply. It returns the plan it applied.
func (s *Syncer) Sync() diff.Plan {
	s.t.Helper()
	ctx := context.Background()
	plan, err := s.eng.Diff(ctx, engine.DiffRequest{})
	require.NoError(s.t, err)
	require.True(s.t, plan.DeviceFound, "no device %q in NetBox", s.host.Hostname)
	if plan.InSync() {
		return plan
	}
	res, err := s.eng.Apply(ctx, plan.ID)
	require.NoError(s.t, err)
	for _, c := range res.Changes {
		if c.Outcome != apply.OutcomeApplied {
			s.t.Errorf("%s: %s (%s)", s.describe(c.Change), c.Outcome, c.Message)
		}
	}
	return plan
}

// InSync fails the test for every change a fresh diff still finds.
func (s *Syncer) InSync() {
	s.t.Helper()
	plan, err := s.eng.Diff(context.Background(), engine.DiffRequest{})
	require.NoError(s.t, err)
	for _, c := range plan.Changes {
		s.t.Errorf("not in sync: %s", s.describe(c))
	}
}

func (s *Syncer) describe(c diff.Change) string {
	return fmt.Sprintf("%s: %s %s %q %s: %s -> %s", s.host.Hostname, c.Action, c.ObjectType, c.Object, c.Field, c.Old, c.New)
}
