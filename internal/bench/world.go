package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// world is one simulator holding one fixture's NetBox state, and a client
// of it. Every way of syncing gets a world of its own, built the same way,
// so both start from identical state (identical ids too).
type world struct {
	fx    Fixture
	sim   *netboxsim.Server
	http  *httptest.Server
	nb    *netbox.Client
	token string
	// body counts the bytes of response bodies since the last reset.
	body *countingHandler
	// checkRequests are the requests of the last residue check's diff.
	checkRequests int
}

// newWorld starts a simulator that adds latency to every request and
// builds the fixture in it; the request log is empty afterwards.
func newWorld(ctx context.Context, fx Fixture, latency time.Duration) (*world, error) {
	return newWorldModel(ctx, fx, LatencyModel{PerRequest: latency})
}

// newWorldModel is newWorld with the latency model m.
func newWorldModel(ctx context.Context, fx Fixture, m LatencyModel) (*world, error) {
	var b [20]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	s := netboxsim.New(netboxsim.Options{Token: token, Latency: m.PerRequest, LatencyPerObject: m.PerObject})
	body := &countingHandler{next: s}
	hs := httptest.NewServer(body)
	nb, err := netbox.New(netbox.Config{URL: hs.URL, Token: token, Timeout: time.Minute})
	if err != nil {
		hs.Close()
		return nil, err
	}
	w := &world{fx: fx, sim: s, http: hs, nb: nb, token: token, body: body}
	if _, err = fx.NetBox.Build(ctx, nb, netboxsim.Admin{URL: hs.URL, Token: token}); err != nil {
		hs.Close()
		return nil, fmt.Errorf("build fixture %s: %w", fx.Name, err)
	}
	// The fixture is NetBox as it was before the sync, not an edit made a
	// moment ago: its change records move an hour back, out of the window
	// the stale check reads (engine/stale.go), as a real NetBox's would be.
	s.AgeObjectChanges(time.Hour)
	w.resetRequests()
	return w, nil
}

// resetRequests empties the request log and the byte count.
func (w *world) resetRequests() {
	w.sim.ResetRequests()
	w.body.bytes.Store(0)
}

// responseBytes are the bytes NetBox answered with since the last reset.
func (w *world) responseBytes() int64 {
	if w.body == nil {
		return 0
	}
	return w.body.bytes.Load()
}

// countingHandler counts the bytes of the response bodies next writes.
// It holds each answer until it is counted: counted as it went out, a
// large body could reach the client first, and the client move on (and
// reset the count between phases) before the count of its last bytes
// landed, which put them in the next phase.
type countingHandler struct {
	next  http.Handler
	bytes atomic.Int64
}

func (c *countingHandler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	c.bytes.Add(int64(rec.Body.Len()))
	maps.Copy(rw.Header(), rec.Header())
	rw.WriteHeader(rec.Code)
	_, _ = rw.Write(rec.Body.Bytes())
}

func (w *world) close() { w.http.Close() }

// diffOptions are the CLI's defaults: every interface but those of
// netif.DefaultExclude (veth*, ...).
func diffOptions() diff.Options {
	return diff.Options{InterfaceInScope: netif.Options{}.InScope()}
}

// engineFor returns an engine whose discovery returns the fixture's host.
func engineFor(nb *netbox.Client, h host.Host) *engine.Engine {
	return engine.New(nb, engine.DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }),
		engine.WithDiffOptions(diffOptions()))
}

// plan computes what a sync of the world would change, without counting
// it anywhere: the request log is emptied afterwards.
func (w *world) plan(ctx context.Context) (diff.Plan, error) {
	p, err := engineFor(w.nb, w.fx.Host).Diff(ctx, engine.DiffRequest{})
	w.resetRequests()
	return p, err
}

// residue is how many changes a fresh diff still finds; the request log is
// emptied afterwards, so checks are not counted (checkRequests keeps how
// many requests that diff made).
func (w *world) residue(ctx context.Context) (int, error) {
	before := 0
	if w.sim != nil {
		before = len(w.sim.Requests())
	}
	p, err := engineFor(w.nb, w.fx.Host).Diff(ctx, engine.DiffRequest{})
	if w.sim != nil {
		w.checkRequests = len(w.sim.Requests()) - before
		w.resetRequests()
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range p.Changes {
		if c.Action != diff.ActionRefresh {
			n++
		}
	}
	return n, nil
}

// RequestCounts summarise the simulator's request log.
type RequestCounts struct {
	Total, Reads, Writes int
	Deletes              int
	Failed               int // status >= 400
}

func (w *world) requests() RequestCounts {
	var r RequestCounts
	if w.sim == nil {
		return r
	}
	for _, q := range w.sim.Requests() {
		r.Total++
		switch q.Method {
		case "GET", "HEAD":
			r.Reads++
		case "DELETE":
			r.Deletes++
			r.Writes++
		default:
			r.Writes++
		}
		if q.Status >= 400 {
			r.Failed++
		}
	}
	return r
}
