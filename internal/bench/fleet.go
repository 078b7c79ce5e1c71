package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The fleet: many hosts syncing at the same moment against one NetBox, as
// a fleet's cron jobs do. The hosts share objects that none of them finds
// in NetBox: the platform of their OS, the cluster type Docker Compose and
// the VM roles of their containers. Each plans to create them; the first
// create of each wins and the others' are refused by NetBox's unique
// constraints, which the client answers by taking the winner's object
// (netbox/create_check.go). The fleet is measured beside one host alone,
// in the same run and against the same kind of simulator.

// DefaultFleet is how many hosts the fleet has.
const DefaultFleet = 50

// FleetPlatform is the OS every host of the fleet runs.
const FleetPlatform = "Ubuntu 24.04 LTS"

// FleetHost is host i of a fleet: one interface with its own MAC and
// addresses, the fleet's OS, and five containers, four of them a compose
// project, whose roles are the four default ones.
func FleetHost(i int) host.Host {
	ctr := func(name, image, project string) host.Container {
		return host.Container{ID: fmt.Sprintf("%012x", i*16+len(name)), Name: name, Image: image, State: "running", Running: true,
			ComposeProject: project, Role: containers.RoleOf(name, image, containers.DefaultRoleRules())}
	}
	v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 20, byte(i / 250), byte(i%250 + 1)}), 16)
	return host.Host{
		Hostname: fmt.Sprintf("fleet-%03d", i),
		OS:       host.OS{ID: "ubuntu", Name: "Ubuntu", Version: "24.04", PrettyName: "Ubuntu 24.04.2 LTS", Platform: FleetPlatform},
		Hardware: host.Hardware{Serial: fmt.Sprintf("FLEET%05d", i)},
		Network: host.Network{
			Interfaces: []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: fmt.Sprintf("02:f1:ee:00:%02x:%02x", i/256, i%256),
				MTU: 1500, AdminUp: true, OperState: "up", IPv4: []netip.Prefix{v4}}},
			PrimaryIPv4: v4,
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			ctr("app-db", "postgres:16", "app"),
			ctr("app-proxy", "nginx:1.27", "app"),
			ctr("app-frontend", "example/frontend:2.3", "app"),
			ctr("app-worker", "example/worker:1.8", "app"),
			ctr("cron", "busybox:1.36", ""),
		}},
	}
}

// FleetResult is the fleet part of the bench.
type FleetResult struct {
	Hosts   int
	Latency time.Duration
	// Alone is one host syncing alone; Fleet is every host at once.
	Alone, Fleet FleetRun
	Skipped      string
}

// FleetRun is one run: every host synced (diff, then apply) at once.
type FleetRun struct {
	Hosts int
	// Requests is every NetBox request of the syncs (the checks after
	// them not counted).
	Requests int
	// Syncs are the hosts' sync times (diff and apply), sorted.
	Syncs []time.Duration
	Wall  time.Duration
	// Taken counts creates NetBox refused because another host had made
	// the object first, which the client then took (400 answers to a
	// POST of a shared object).
	Taken int
	// Failed and Skipped count changes over all hosts; Stale the applies
	// refused as stale.
	Failed, Skipped, Stale int
	// Residue counts the changes fresh diffs still find, over all hosts.
	Residue int
	// Shared is how many objects of each shared kind NetBox holds after.
	Shared map[string]int
}

// PerHost is the requests per host.
func (r FleetRun) PerHost() float64 { return float64(r.Requests) / float64(max(r.Hosts, 1)) }

// Quantile is the sync time below which q of the hosts finished
// (nearest rank).
func (r FleetRun) Quantile(q float64) time.Duration {
	if len(r.Syncs) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Syncs))+0.999999) - 1
	return r.Syncs[min(max(i, 0), len(r.Syncs)-1)]
}

// Check says what is wrong with a run: a host that did not converge, a
// failed change, a shared object made twice.
func (r FleetRun) Check() error {
	var errs []error
	if r.Failed+r.Skipped+r.Stale != 0 {
		errs = append(errs, fmt.Errorf("%d changes failed, %d skipped, %d applies refused as stale", r.Failed, r.Skipped, r.Stale))
	}
	if r.Residue != 0 {
		errs = append(errs, fmt.Errorf("fresh diffs still find %d changes", r.Residue))
	}
	for kind, n := range r.Shared {
		if n != 1 {
			errs = append(errs, fmt.Errorf("%d %s, want 1", n, kind))
		}
	}
	return errors.Join(errs...)
}

// RunFleet syncs one host alone, then hosts at once, each on a fresh
// simulator with the latency, and checks both runs.
func RunFleet(ctx context.Context, hosts int, latency time.Duration) (FleetResult, error) {
	res := FleetResult{Hosts: hosts, Latency: latency}
	var err error
	if res.Alone, err = syncFleet(ctx, 1, latency); err != nil {
		return res, fmt.Errorf("one host alone: %w", err)
	}
	if err := res.Alone.Check(); err != nil {
		return res, fmt.Errorf("one host alone: %w", err)
	}
	if res.Fleet, err = syncFleet(ctx, hosts, latency); err != nil {
		return res, fmt.Errorf("%d hosts at once: %w", hosts, err)
	}
	if err := res.Fleet.Check(); err != nil {
		return res, fmt.Errorf("%d hosts at once: %w", hosts, err)
	}
	return res, nil
}

// sharedKinds are the shared objects a fleet's hosts create, and how to
// count them in NetBox.
var sharedKinds = []struct {
	name, path string
	query      url.Values
}{
	{"platforms " + FleetPlatform, "/api/dcim/platforms/", url.Values{"name": {FleetPlatform}}},
	{"cluster types " + record.ClusterTypeName, "/api/virtualization/cluster-types/", url.Values{"slug": {record.ClusterTypeSlug}}},
	{"VM roles Database", "/api/dcim/device-roles/", url.Values{"name": {"Database"}}},
	{"VM roles Reverse Proxy", "/api/dcim/device-roles/", url.Values{"name": {"Reverse Proxy"}}},
	{"VM roles Web Application", "/api/dcim/device-roles/", url.Values{"name": {"Web Application"}}},
	{"VM roles Container", "/api/dcim/device-roles/", url.Values{"name": {"Container"}}},
}

// syncFleet registers n devices on a fresh simulator and syncs their hosts
// at once, each with a client and an engine of its own, as separate
// machines would.
func syncFleet(ctx context.Context, n int, latency time.Duration) (FleetRun, error) {
	run := FleetRun{Hosts: n, Shared: map[string]int{}}
	nb := newFleetNetBox()
	defer nb.hs.Close()
	admin := nb.admin()
	if err := registerFleet(ctx, admin, n); err != nil {
		return run, err
	}
	// Registered long before the sync, out of the stale check's window.
	nb.sim.AgeObjectChanges(time.Hour)
	nb.sim.ResetRequests()
	if latency > 0 {
		if err := nb.sim.AddFault(netboxsim.Fault{Delay: latency}); err != nil {
			return run, err
		}
	}
	engines := make([]*engine.Engine, n)
	for i := range n {
		c, err := nb.client()
		if err != nil {
			return run, err
		}
		engines[i] = engineFor(c, FleetHost(i))
	}
	outcomes, wall := syncAtOnce(ctx, engines)
	run.Wall = wall
	run.countRequests(nb.sim.Requests())
	nb.sim.ClearFaults()
	if err := run.tally(outcomes); err != nil {
		return run, err
	}
	if err := run.countResidue(ctx, engines); err != nil {
		return run, err
	}
	return run, run.countShared(ctx, admin)
}

// fleetNetBox is the simulator a fleet run syncs against, served over HTTP
// with a token of its own.
type fleetNetBox struct {
	sim   *netboxsim.Server
	hs    *httptest.Server
	token string
}

func newFleetNetBox() *fleetNetBox {
	var b [20]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	sim := netboxsim.New(netboxsim.Options{Token: token})
	return &fleetNetBox{sim: sim, hs: httptest.NewServer(sim), token: token}
}

// admin is a plain JSON client of the simulator, to register the fleet
// and count what it made.
func (f *fleetNetBox) admin() netboxsim.Admin {
	return netboxsim.Admin{URL: f.hs.URL, Token: f.token}
}

// client is a new client of the simulator, as each host has its own.
func (f *fleetNetBox) client() (*netbox.Client, error) {
	return netbox.New(netbox.Config{URL: f.hs.URL, Token: f.token, Timeout: time.Minute})
}

// fleetOutcome is how one host's sync went.
type fleetOutcome struct {
	took  time.Duration
	res   apply.Result
	stale bool
	err   error
}

// syncAtOnce runs every engine's diff and apply, all released at the same
// moment, and returns their outcomes and the wall time of the whole.
func syncAtOnce(ctx context.Context, engines []*engine.Engine) ([]fleetOutcome, time.Duration) {
	outcomes := make([]fleetOutcome, len(engines))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range engines {
		wg.Go(func() {
			<-start
			o := &outcomes[i]
			began := time.Now()
			plan, err := engines[i].Diff(ctx, engine.DiffRequest{})
			if err == nil {
				o.res, err = engines[i].Apply(ctx, plan.ID)
			}
			o.took = time.Since(began)
			o.stale, o.err = errors.Is(err, engine.ErrStalePlan), err
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	return outcomes, time.Since(began)
}

// countRequests counts the sync's requests, and the creates NetBox refused
// because another host had just made the object.
func (r *FleetRun) countRequests(log []netboxsim.Request) {
	for _, req := range log {
		r.Requests++
		if req.Method == http.MethodPost && req.Status == http.StatusBadRequest {
			r.Taken++
		}
	}
}

// tally adds the hosts' outcomes to the run; a sync that failed other than
// on a stale plan fails the run.
func (r *FleetRun) tally(outcomes []fleetOutcome) error {
	for _, o := range outcomes {
		switch {
		case o.stale:
			r.Stale++
		case o.err != nil:
			return o.err
		}
		r.Failed += o.res.Failed
		r.Skipped += o.res.Skipped
		r.Syncs = append(r.Syncs, o.took)
	}
	slices.Sort(r.Syncs)
	return nil
}

// countResidue diffs every host again: what is still to change, beyond
// refreshes, is residue.
func (r *FleetRun) countResidue(ctx context.Context, engines []*engine.Engine) error {
	for i, e := range engines {
		p, err := e.Diff(ctx, engine.DiffRequest{})
		if err != nil {
			return fmt.Errorf("host %d: %w", i, err)
		}
		for _, c := range p.Changes {
			if c.Action != diff.ActionRefresh {
				r.Residue++
			}
		}
	}
	return nil
}

// countShared counts the shared objects of each kind the fleet made.
func (r *FleetRun) countShared(ctx context.Context, admin netboxsim.Admin) error {
	for _, k := range sharedKinds {
		var page struct{ Count int }
		if err := admin.Do(ctx, http.MethodGet, k.path, k.query, nil, &page); err != nil {
			return err
		}
		r.Shared[k.name] = page.Count
	}
	return nil
}

// registerFleet creates what a device needs once, then the n devices,
// planned and without a platform: hosts NetBox knows by name only.
func registerFleet(ctx context.Context, nb netboxsim.Admin, n int) error {
	post := func(path string, body any) (int64, error) {
		var obj struct {
			ID int64 `json:"id"`
		}
		if err := nb.Do(ctx, http.MethodPost, path, nil, body, &obj); err != nil {
			return 0, fmt.Errorf("POST %s: %w", path, err)
		}
		return obj.ID, nil
	}
	site, err := post("/api/dcim/sites/", map[string]any{"name": "Fleet", "slug": "fleet", "status": "active"})
	if err != nil {
		return err
	}
	mfr, err := post("/api/dcim/manufacturers/", map[string]any{"name": "Generic", "slug": "generic"})
	if err != nil {
		return err
	}
	devType, err := post("/api/dcim/device-types/", map[string]any{"manufacturer": mfr, "model": "Server", "slug": "server"})
	if err != nil {
		return err
	}
	role, err := post("/api/dcim/device-roles/", map[string]any{"name": "Server", "slug": "server", "color": "2196f3"})
	if err != nil {
		return err
	}
	devices := make([]map[string]any, n)
	for i := range n {
		devices[i] = map[string]any{"name": FleetHost(i).Hostname, "site": site, "device_type": devType, "role": role, "status": "planned"}
	}
	return nb.Do(ctx, http.MethodPost, "/api/dcim/devices/", nil, devices, nil)
}

func (p *printer) fleet(f FleetResult) {
	fmt.Fprintf(p.w, "\n== fleet: %d hosts syncing at once (diff, then apply) against one NetBox, %v per request, beside one host alone in the same run\n", f.Hosts, f.Latency)
	if f.Skipped != "" {
		fmt.Fprintf(p.w, "   skipped: %s\n", f.Skipped)
		return
	}
	fmt.Fprintf(p.w, "   each host: eth0 with its MAC and address, %s, 5 containers; NetBox knows the devices only (planned, no platform): the platform, the cluster type and 4 VM roles are shared and missing\n", FleetPlatform)
	fmt.Fprintf(p.w, "   %-36s %14s %14s\n", "", "one host alone", fmt.Sprintf("%d at once", f.Hosts))
	row := func(name string, a, b string) { fmt.Fprintf(p.w, "   %-36s %14s %14s\n", name, a, b) }
	row("NetBox requests per host", fmt.Sprintf("%.1f", f.Alone.PerHost()), fmt.Sprintf("%.1f", f.Fleet.PerHost()))
	row("sync time p50", fmt.Sprintf("%.0f ms", ms(f.Alone.Quantile(0.5))), fmt.Sprintf("%.0f ms", ms(f.Fleet.Quantile(0.5))))
	row("sync time p99", fmt.Sprintf("%.0f ms", ms(f.Alone.Quantile(0.99))), fmt.Sprintf("%.0f ms", ms(f.Fleet.Quantile(0.99))))
	row("sync time max", fmt.Sprintf("%.0f ms", ms(f.Alone.Quantile(1))), fmt.Sprintf("%.0f ms", ms(f.Fleet.Quantile(1))))
	row("creates refused, winner taken", fmt.Sprint(f.Alone.Taken), fmt.Sprint(f.Fleet.Taken))
	row("failed / skipped changes", fmt.Sprintf("%d / %d", f.Alone.Failed, f.Alone.Skipped), fmt.Sprintf("%d / %d", f.Fleet.Failed, f.Fleet.Skipped))
	row("applies refused as stale", fmt.Sprint(f.Alone.Stale), fmt.Sprint(f.Fleet.Stale))
	row("changes left (fresh diffs)", fmt.Sprint(f.Alone.Residue), fmt.Sprint(f.Fleet.Residue))
	var shared []string
	for _, k := range sharedKinds {
		shared = append(shared, fmt.Sprintf("%s %d", k.name, f.Fleet.Shared[k.name]))
	}
	fmt.Fprintf(p.w, "   shared objects after the fleet: %s\n", strings.Join(shared, ", "))
	fmt.Fprintf(p.w, "   the fleet's %d syncs took %.0f ms from first to last\n", f.Hosts, ms(f.Fleet.Wall))
}
