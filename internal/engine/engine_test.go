package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// memNetBox is a one-device NetBox in memory. It has the device-attribute
// calls; the embedded (nil) interface stands for the inventory calls these
// tests never make, and would panic if one were made.
type memNetBox struct {
	apply.NetBox
	mu        sync.Mutex
	dev       record.Device
	found     bool
	platforms []record.Platform
	writes    atomic.Int64
}

func (m *memNetBox) SnapshotFor(_ context.Context, q netbox.SnapshotQuery) (record.Snapshot, error) {
	name := q.Hostname
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.found || m.dev.Name != name {
		return record.Snapshot{Platforms: m.platforms}, nil
	}
	return record.Snapshot{Found: true, Device: m.dev, Platforms: append([]record.Platform(nil), m.platforms...)}, nil
}

func (m *memNetBox) WebURL(kind string, id int64) string {
	return fmt.Sprintf("https://netbox.test/%s/%d/", kind, id)
}

func (m *memNetBox) CreatePlatform(_ context.Context, p netbox.PlatformCreate, w netbox.WriteOptions) (record.Platform, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes.Add(1)
	np := record.Platform{ID: int64(len(m.platforms) + 1), Name: p.Name, Slug: p.Slug}
	m.platforms = append(m.platforms, np)
	return np, nil
}

func (m *memNetBox) UpdateDevice(_ context.Context, _ int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes.Add(1)
	if u.Status != nil {
		m.dev.Status = *u.Status
	}
	if u.Serial != nil {
		m.dev.Serial = *u.Serial
	}
	if u.Platform != nil {
		for _, p := range m.platforms {
			if p.ID == *u.Platform {
				m.dev.Platform = &record.Ref{ID: p.ID, Name: p.Name, Slug: p.Slug}
			}
		}
	}
	return m.dev, nil
}

func (m *memNetBox) CreateJournalEntry(_ context.Context, e netbox.JournalEntry, w netbox.WriteOptions) (netbox.JournalEntry, error) {
	m.writes.Add(1)
	e.ID = 1
	return e, nil
}

func newTestEngine() (*Engine, *memNetBox) {
	nb := &memNetBox{found: true, dev: record.Device{ID: 3, Name: "web01", Status: "planned"}}
	h := host.Host{Hostname: "web01", OS: host.OS{Platform: "Debian 13"}, Hardware: host.Hardware{Serial: "S1"}}
	return New(nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil })), nb
}

func TestDiffApplyDiff(t *testing.T) {
	ctx := context.Background()
	e, nb := newTestEngine()
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.False(t, plan.InSync())
	assert.Equal(t, "https://netbox.test/dcim/devices/3/", plan.Device.URL)
	assert.Regexp(t, `^plan-[0-9a-f]{16}$`, plan.ID)

	var progress []string
	res, err := e.Apply(ctx, plan.ID, WithProgress(func(done, total int, msg string) {
		progress = append(progress, fmt.Sprintf("%d/%d %s", done, total, msg))
	}))
	require.NoError(t, err)
	assert.Equal(t, 0, res.Failed)
	assert.Equal(t, []string{"1/3 create platforms (1)", "2/3 update device (3)", "3/3 journal entry"}, progress)
	assert.Equal(t, "active", nb.dev.Status)

	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.True(t, again.InSync(), "%+v", again.Changes)
}

// ownerOf is what tools.OwnerOf makes (the engine cannot import tools): the
// credential and the MCP session a plan belongs to.
func ownerOf(principal, session string) string { return principal + "|" + session }

func TestApplyRefusals(t *testing.T) {
	ctx := context.Background()

	t.Run("unknown plan", func(t *testing.T) {
		e, _ := newTestEngine()
		_, err := e.Apply(ctx, "plan-nope")
		require.ErrorIs(t, err, ErrUnknownPlan)
	})
	t.Run("a plan is used once", func(t *testing.T) {
		e, _ := newTestEngine()
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		_, err = e.Apply(ctx, plan.ID)
		require.NoError(t, err)
		_, err = e.Apply(ctx, plan.ID)
		require.ErrorIs(t, err, ErrUnknownPlan)
	})
	t.Run("a plan is its owner's: another credential or session sees none", func(t *testing.T) {
		e, nb := newTestEngine()
		owner := ownerOf("token-a", "session-1")
		plan, err := e.Diff(ctx, DiffRequest{Owner: owner})
		require.NoError(t, err)
		for _, other := range []string{ownerOf("token-b", "session-1"), ownerOf("token-a", "session-2"), ""} {
			_, ok := e.PlanOf(plan.ID, other)
			assert.False(t, ok, "owner %q read the plan", other)
			_, err = e.Apply(ctx, plan.ID, WithOwner(other))
			require.ErrorIs(t, err, ErrUnknownPlan, "owner %q", other)
		}
		assert.Zero(t, nb.writes.Load())
		_, ok := e.PlanOf(plan.ID, owner)
		require.True(t, ok, "the refusals left the plan to its owner")
		res, err := e.Apply(ctx, plan.ID, WithOwner(owner))
		require.NoError(t, err)
		assert.Zero(t, res.Failed)
	})
	t.Run("stale plan writes nothing", func(t *testing.T) {
		e, nb := newTestEngine()
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		nb.mu.Lock()
		nb.dev.Status = "offline" // someone edits NetBox between diff and apply
		nb.mu.Unlock()
		_, err = e.Apply(ctx, plan.ID)
		require.ErrorIs(t, err, ErrStalePlan)
		assert.Zero(t, nb.writes.Load())
	})
	t.Run("expired plan", func(t *testing.T) {
		e, nb := newTestEngine()
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		e.now = func() time.Time { return time.Now().Add(DefaultPlanTTL + time.Minute) }
		_, err = e.Apply(ctx, plan.ID)
		require.ErrorIs(t, err, ErrUnknownPlan)
		assert.Zero(t, nb.writes.Load())
	})
	t.Run("device not found", func(t *testing.T) {
		e, nb := newTestEngine()
		nb.found = false
		plan, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
		assert.False(t, plan.DeviceFound)
		_, err = e.Apply(ctx, plan.ID)
		require.ErrorIs(t, err, apply.ErrNotApplicable)
		assert.Zero(t, nb.writes.Load())
	})
}

func TestConcurrentApplyOfOnePlanWritesOnce(t *testing.T) {
	ctx := context.Background()
	e, nb := newTestEngine()
	plan, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)

	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Apply(ctx, plan.ID); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), ok.Load())
	assert.Equal(t, int64(3), nb.writes.Load(), "one platform, one device PATCH, one journal entry")
}

func TestPlanStoreIsBounded(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine()
	first, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	for range MaxPlans + 10 {
		_, err := e.Diff(ctx, DiffRequest{})
		require.NoError(t, err)
	}
	e.mu.Lock()
	n := len(e.plans)
	e.mu.Unlock()
	assert.Equal(t, MaxPlans, n)
	_, ok := e.Plan(first.ID)
	assert.False(t, ok, "the oldest plan was evicted")
}
