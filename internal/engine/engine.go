// Package engine runs the sync workflow: look the device up in NetBox,
// discover the host, compare, keep the plan, and apply it on request. The MCP
// tools and the CLI are thin fronts over it.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/rundir"
)

// Discoverer finds out what this host is. discovery provides the real one;
// tests and the demo may pass a fixed host.
type Discoverer interface {
	Discover(ctx context.Context) (host.Host, error)
}

// DiscovererFunc adapts a function to Discoverer.
type DiscovererFunc func(ctx context.Context) (host.Host, error)

// Discover calls f.
func (f DiscovererFunc) Discover(ctx context.Context) (host.Host, error) { return f(ctx) }

// NetBox is what the engine needs from a NetBox client; *netbox.Client has it.
type NetBox interface {
	apply.NetBox
	SnapshotFor(ctx context.Context, q netbox.SnapshotQuery) (record.Snapshot, error)
	WebURL(kind string, id int64) string
}

// DefaultPlanTTL is how long a plan can wait for its apply. A plan is a
// promise about NetBox's state; an old one is more likely stale.
const DefaultPlanTTL = time.Hour

// MaxPlans bounds the plan store: a client that diffs in a loop without
// applying must not grow the server's memory. The oldest plan goes first.
const MaxPlans = 256

// Engine runs diffs and applies. It is safe for concurrent use.
type Engine struct {
	nb   NetBox
	disc Discoverer
	opts diff.Options
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	plans map[string]storedPlan

	// ownWrites maps the request ids of this engine's applies to when
	// the apply returned (stale.go).
	ownWrites           map[string]time.Time
	changeLogUnreadable sync.Once // stale.go: warn once

	// applying holds, per device id, the turn of the apply under way
	// (serial.go); run is the runtime directory shared with other
	// processes, nil for none.
	applying map[int64]chan struct{}
	run      *rundir.Dir
}

// storedPlan keeps the host facts a plan was computed from, so that apply
// can check NetBox against the same facts.
type storedPlan struct {
	plan  diff.Plan
	host  host.Host
	query netbox.SnapshotQuery // the lookup's, which the stale check may repeat
	view  staleView            // what the lookup saw, for the stale check (stale.go)
	// lookupAt is when the lookup began, by this engine's clock.
	lookupAt time.Time
	expires  time.Time
	// owner is DiffRequest.Owner: only a request of the same owner sees
	// or applies the plan.
	owner string
}

// Option tunes an Engine.
type Option func(*Engine)

// WithDiffOptions sets what every comparison uses (interface scope, Docker
// bridges, cluster creation); a DiffRequest's Full and NoCreateClusters add
// to it.
func WithDiffOptions(o diff.Options) Option { return func(e *Engine) { e.opts = o } }

// New returns an engine that reads and writes NetBox through nb.
func New(nb NetBox, disc Discoverer, opts ...Option) *Engine {
	e := &Engine{nb: nb, disc: disc, ttl: DefaultPlanTTL, now: time.Now, plans: map[string]storedPlan{}, ownWrites: map[string]time.Time{},
		applying: map[int64]chan struct{}{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// DiffRequest asks for a comparison.
type DiffRequest struct {
	// Hostname overrides the discovered host name for the NetBox lookup.
	Hostname string
	// Full marks every compared field for refresh (the seed's full mode).
	Full bool
	// NoCreateClusters skips containers, with a note, rather than create
	// missing cluster types, groups or clusters.
	NoCreateClusters bool
	// Owner binds the plan to whoever asked for it (the MCP session and
	// the credential it used): PlanOf and Apply with WithOwner treat a
	// plan of another owner as unknown. Empty for the CLI.
	Owner string
}

// Errors Apply returns; each says what to do next.
var (
	ErrUnknownPlan = errors.New("unknown or expired plan_id: run cmdb_sync_diff again and pass the plan_id it returns")
	ErrStalePlan   = errors.New("saved plan is stale: NetBox changed since the diff; nothing was written. Run cmdb_sync_diff again")
)

// Discover returns a fresh snapshot of the host.
func (e *Engine) Discover(ctx context.Context) (host.Host, error) {
	return e.disc.Discover(ctx)
}

// Diff looks the device up, discovers the host, compares them and keeps the
// plan for a later Apply.
func (e *Engine) Diff(ctx context.Context, req DiffRequest) (diff.Plan, error) {
	h, err := e.disc.Discover(ctx)
	if err != nil {
		return diff.Plan{}, fmt.Errorf("discover host: %w", err)
	}
	if req.Hostname != "" {
		h.Hostname = req.Hostname
	}
	if h.Hostname == "" {
		return diff.Plan{}, errors.New("the host name could not be discovered: pass a hostname")
	}
	lookupAt := e.now()
	query := LookupQuery(h, e.opts)
	snap, err := e.nb.SnapshotFor(ctx, query)
	if err != nil {
		return diff.Plan{}, fmt.Errorf("look up %q in NetBox: %w", h.Hostname, err)
	}
	opts := e.opts
	opts.Full = opts.Full || req.Full
	opts.NoCreateClusters = opts.NoCreateClusters || req.NoCreateClusters
	plan := diff.Compute(h, snap, opts)
	plan.ID = newPlanID()
	plan.CreatedAt = e.now().UTC()
	if plan.DeviceFound {
		plan.Device.URL = e.nb.WebURL("dcim/devices", plan.Device.ID)
		if note := e.interruptedNote(plan.Device); note != "" {
			plan.Notes = append(plan.Notes, note)
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked()
	for len(e.plans) >= MaxPlans {
		e.evictOldestLocked()
	}
	e.plans[plan.ID] = storedPlan{plan: plan, host: h, query: query, view: newStaleView(query, snap, plan.Changes), lookupAt: lookupAt, expires: plan.CreatedAt.Add(e.ttl), owner: req.Owner}
	return plan, nil
}

// Plan returns a plan made by Diff that has not been applied or expired.
func (e *Engine) Plan(id string) (diff.Plan, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked()
	sp, ok := e.plans[id]
	return sp.plan, ok
}

// PlanOf is Plan for an owner: a plan another owner made is not found.
func (e *Engine) PlanOf(id, owner string) (diff.Plan, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked()
	sp, ok := e.plans[id]
	if !ok || sp.owner != owner {
		return diff.Plan{}, false
	}
	return sp.plan, true
}

// ApplyOption tunes one Apply.
type ApplyOption func(*applyConfig)

type applyConfig struct {
	progress apply.Progress
	owner    *string
}

// WithOwner applies only a plan made for owner (DiffRequest.Owner); another
// owner's plan is unknown, and stays for its owner.
func WithOwner(owner string) ApplyOption {
	return func(c *applyConfig) { c.owner = &owner }
}

// WithProgress reports each step of the apply.
func WithProgress(p apply.Progress) ApplyOption {
	return func(c *applyConfig) { c.progress = p }
}

// Apply executes the plan made by an earlier Diff and journals it. A plan is
// used once: of two concurrent applies of one plan, exactly one writes.
// Applies of one device take turns (serial.go), and each checks its plan
// once it is its turn: a plan whose NetBox state moved since the diff, by
// another apply or anything else, is refused before any write.
func (e *Engine) Apply(ctx context.Context, planID string, opts ...ApplyOption) (apply.Result, error) {
	var cfg applyConfig
	for _, o := range opts {
		o(&cfg)
	}
	sp, ok := e.take(planID, cfg.owner)
	if !ok {
		return apply.Result{}, ErrUnknownPlan
	}
	if !sp.plan.DeviceFound {
		return apply.Result{}, fmt.Errorf("%w: no device %q in NetBox; register the host first (cmdb_register, or cmdb-mcp register)", apply.ErrNotApplicable, sp.plan.Hostname)
	}
	unlock, err := e.lockDevice(ctx, sp.plan.Device)
	if err != nil {
		return apply.Result{}, err
	}
	defer unlock()
	how, err := e.checkCurrent(ctx, sp)
	switch {
	case errors.Is(err, ErrStalePlan):
		return apply.Result{}, err
	case err != nil:
		return apply.Result{}, fmt.Errorf("re-read %q from NetBox before applying: %w", sp.plan.Hostname, err)
	}
	slog.Debug("plan is current", "plan", sp.plan.ID, "checked_by", how)
	ar, interrupted := e.beginApply(ctx, sp.plan)
	sent := &netbox.RequestLog{}
	progress := func(done, total int, msg string) {
		ar.step(msg, sent.IDs())
		if cfg.progress != nil {
			cfg.progress(done, total, msg)
		}
	}
	res, err := apply.Apply(ctx, e.nb, sp.plan, progress, apply.WithInterrupted(interrupted), apply.WithRequestLog(sent))
	e.rememberWrites(sent.IDs())
	// With an earlier interrupted apply that no journal entry reports yet,
	// the record stays, for the next diff's note and the next apply.
	if interrupted == "" || res.JournalEntryID != 0 {
		ar.end()
	}
	return res, err
}

// LookupQuery is the Phase 1 lookup for a host as o compares it: its
// device; the MACs and addresses of the interfaces o syncs, which NetBox
// objects may carry elsewhere (to reuse or to report); its platform and its
// containers' roles (to tell whether the platforms and roles need reading);
// its containers unless o skips them; and NetBox's custom fields when o
// has values for some.
func LookupQuery(h host.Host, o diff.Options) netbox.SnapshotQuery {
	q := netbox.SnapshotQuery{Hostname: h.Hostname, Platform: h.OS.Platform, Containers: h.Containers.Available && !o.SkipContainers,
		CustomFields: len(o.CustomFields) > 0}
	if q.Containers {
		for _, c := range h.Containers.Containers {
			if o.ContainerSynced(c.Name) {
				q.Roles = append(q.Roles, c.Role)
			}
		}
	}
	for _, i := range h.Network.Interfaces {
		if !o.InterfaceSynced(i.Name) {
			continue
		}
		if i.MAC != "" {
			if q.MACs == nil {
				q.MACs = map[string]string{}
			}
			q.MACs[i.Name] = i.MAC
		}
		if !o.AddressesSynced(i) {
			continue
		}
		for _, p := range append(append([]netip.Prefix(nil), i.IPv4...), i.IPv6...) {
			q.Addresses = append(q.Addresses, p.Addr().String())
		}
	}
	return q
}

// take removes the plan from the store, so no second apply can have it;
// with an owner, only that owner's plan.
func (e *Engine) take(id string, owner *string) (storedPlan, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireLocked()
	sp, ok := e.plans[id]
	if !ok || (owner != nil && sp.owner != *owner) {
		return storedPlan{}, false
	}
	delete(e.plans, id)
	return sp, ok
}

func (e *Engine) evictOldestLocked() {
	var oldest string
	var at time.Time
	for id, sp := range e.plans {
		if oldest == "" || sp.plan.CreatedAt.Before(at) {
			oldest, at = id, sp.plan.CreatedAt
		}
	}
	delete(e.plans, oldest)
}

func (e *Engine) expireLocked() {
	now := e.now()
	for id, sp := range e.plans {
		if now.After(sp.expires) {
			delete(e.plans, id)
		}
	}
}

func newPlanID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return "plan-" + hex.EncodeToString(b[:])
}
