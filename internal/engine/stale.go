package engine

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The stale check. A plan is a promise about NetBox's state at the diff;
// before the apply writes, the engine makes sure nothing the plan depends on
// changed. The sure way is the lookup again and a fingerprint compare (as
// many requests as the lookup). The cheap way is NetBox's change log: one
// request for every change since the lookup, each matched against what the
// lookup saw. The engine takes the cheap way when it can and falls back to
// the sure way whenever the log cannot clear the plan: the log cannot be
// read (no view permission on core.objectchange, an older NetBox), it has
// more changes than one page, NetBox sent no Date to time the lookup by, or
// a change may touch the plan's objects. The records of this engine's own
// applies that returned before the lookup are left out: the lookup saw
// them. The log misses what NetBox does not log (edits from nbshell or
// SQL), as NetBox's own history view does.

// ChangeLog is the part of a NetBox client that reads the change log;
// *netbox.Client has it. An engine whose NetBox lacks it always re-reads.
type ChangeLog interface {
	ListObjectChanges(ctx context.Context, since time.Time, limit int) ([]netbox.ObjectChange, bool, error)
}

const (
	// changeLogSlack widens the window before the lookup. NetBox times a
	// change record when the change is saved, but the change becomes
	// visible when its transaction commits: a record timed before the
	// lookup can belong to a change the lookup did not see, if its
	// transaction was still running. Minutes cover any API request (and
	// gunicorn's worker timeout, 120 s in NetBox's sample config, ends
	// longer ones). They also cover a skew between NetBox's clock, which
	// times the records, and the clock of whatever sends the Date header
	// (a reverse proxy), up to the same 5 minutes; NTP keeps both far
	// closer.
	changeLogSlack = 5 * time.Minute
	// changeLogPage is how many records one request reads; more than that
	// since the lookup and the engine re-reads instead.
	changeLogPage = 1000
)

// StaleCheck says how an apply made sure its plan was current.
type StaleCheck string

const (
	// StaleCheckChangeLog: the change log since the lookup showed nothing
	// the plan depends on (one request).
	StaleCheckChangeLog StaleCheck = "change log"
	// StaleCheckReread: the lookup was made again and its fingerprint
	// compared.
	StaleCheckReread StaleCheck = "re-read"
)

// staleView is what a plan's lookup saw, kept with the plan to match change
// records against: the ids of every object it read, and the values it
// looked objects up by.
type staleView struct {
	readAt    time.Time
	hostname  string
	deviceID  int64
	groupID   int64  // the host's cluster group; 0 when it had none
	groupSlug string // the slug the host's group has or will have
	// customFields says the lookup read the custom fields, which a change
	// of one may then make the plan wrong about.
	customFields bool
	ids          map[string]map[int64]bool
	macs         map[string]bool // upper case, colons
	addrs        map[netip.Addr]bool
	// shared are the shared objects the plan creates, by object type and
	// slug, with their names in lower case: another host's create of the
	// same object is a race the apply wins by taking it (sharedCreate).
	shared map[string]map[string]string
}

func newStaleView(q netbox.SnapshotQuery, s record.Snapshot, changes []diff.Change) staleView {
	v := staleView{readAt: s.ReadAt, hostname: strings.ToLower(q.Hostname), deviceID: s.Device.ID,
		groupSlug: record.HostClusterGroupSlug(s.Device.ID),
		ids:       map[string]map[int64]bool{}, macs: map[string]bool{}, addrs: map[netip.Addr]bool{},
		shared: map[string]map[string]string{}}
	for _, c := range changes {
		if c.Action == diff.ActionCreate && c.Slug != "" && sharedTypes[c.ObjectType] {
			if v.shared[c.ObjectType] == nil {
				v.shared[c.ObjectType] = map[string]string{}
			}
			v.shared[c.ObjectType][c.Slug] = strings.ToLower(c.New)
		}
	}
	add := func(objectType string, id int64) {
		if v.ids[objectType] == nil {
			v.ids[objectType] = map[int64]bool{}
		}
		v.ids[objectType][id] = true
	}
	add("dcim.device", s.Device.ID)
	for _, i := range s.Interfaces {
		add("dcim.interface", i.ID)
	}
	for _, m := range s.MACs {
		add("dcim.macaddress", m.ID)
	}
	for _, ip := range s.IPs {
		add("ipam.ipaddress", ip.ID)
	}
	for _, c := range s.Clusters {
		add("virtualization.cluster", c.ID)
	}
	for _, vm := range s.VMs {
		add("virtualization.virtualmachine", vm.ID)
	}
	if s.ClusterGroup != nil {
		v.groupID = s.ClusterGroup.ID
		add("virtualization.clustergroup", s.ClusterGroup.ID)
	}
	v.customFields = s.CustomFieldsRead
	for _, m := range q.MACs {
		v.macs[netbox.CanonicalMAC(m)] = true
	}
	for _, a := range q.Addresses {
		if ip, err := netip.ParseAddr(a); err == nil {
			v.addrs[ip.WithZone("")] = true
		}
	}
	return v
}

// touchedBy reports whether the change may alter what the lookup saw or
// would see now. When in doubt it says yes: a false yes costs a re-read, a
// false no a write on stale assumptions.
func (v staleView) touchedBy(c netbox.ObjectChange) bool {
	if v.ids[c.ObjectType][c.ObjectID] {
		return true
	}
	// NetBox shows "no data" (a create's before, a delete's after) as {}.
	var data []map[string]any
	for _, d := range []map[string]any{c.Pre, c.Post} {
		if len(d) > 0 {
			data = append(data, d)
		}
	}
	anyData := func(f func(map[string]any) bool) bool {
		if len(data) == 0 {
			return true // no data to tell by
		}
		for _, d := range data {
			if f(d) {
				return true
			}
		}
		return false
	}
	switch c.ObjectType {
	case "dcim.device":
		// Another device taking the host's name makes the name ambiguous.
		return anyData(func(d map[string]any) bool {
			s, ok := d["name"].(string)
			return !ok || strings.ToLower(s) == v.hostname
		})
	case "dcim.interface":
		return anyData(func(d map[string]any) bool { return v.refIs(d, "device", "dcim.device") })
	case "dcim.macaddress":
		return anyData(func(d map[string]any) bool {
			s, ok := d["mac_address"].(string)
			return !ok || v.macs[netbox.CanonicalMAC(s)] || v.assignedToUs(d)
		})
	case "ipam.ipaddress":
		return anyData(func(d map[string]any) bool {
			s, ok := d["address"].(string)
			if !ok {
				return true
			}
			p, err := netip.ParsePrefix(s)
			return err != nil || v.addrs[p.Addr()] || v.assignedToUs(d)
		})
	case "virtualization.cluster":
		// Without a group the lookup read no cluster, and a cluster can be
		// the host's only once the host's group exists: its creation is
		// a record of its own, which touches (below).
		return v.groupID != 0 && anyData(func(d map[string]any) bool { id, ok := fk(d, "group"); return !ok || id == v.groupID })
	case "virtualization.virtualmachine":
		return anyData(func(d map[string]any) bool { return v.refIs(d, "cluster", "virtualization.cluster") })
	case "extras.customfield":
		return v.customFields
	case "virtualization.clustergroup":
		// The lookup reads the host's group only, by its slug.
		return anyData(func(d map[string]any) bool { s, ok := d["slug"].(string); return !ok || s == v.groupSlug })
	case "dcim.platform", "dcim.devicerole", "virtualization.clustertype":
		// Rarely changed, and the plan may create one with a name or slug
		// another change just took; but another host creating the very
		// object the plan creates is the race the apply wins by taking
		// that object (netbox/create_check.go).
		return !v.sharedCreate(c)
	}
	// Sites, tenants, journal entries, ...: the plan reads none of them.
	return false
}

// sharedTypes are the objects a fleet's hosts share, which a plan creates
// by slug when NetBox lacks them.
var sharedTypes = map[string]bool{diff.ObjectPlatform: true, diff.ObjectDeviceRole: true, diff.ObjectClusterType: true}

// sharedCreate reports whether c creates a shared object the plan creates
// too, with the same slug and name: what another host syncing at the same
// time does.
func (v staleView) sharedCreate(c netbox.ObjectChange) bool {
	if c.Action != "create" {
		return false
	}
	slug, _ := c.Post["slug"].(string)
	name, _ := c.Post["name"].(string)
	want, ok := v.shared[c.ObjectType][slug]
	return ok && slug != "" && strings.ToLower(name) == want
}

// refIs reports whether the foreign key d[key] is one of the objects of the
// type the lookup saw, or cannot be read.
func (v staleView) refIs(d map[string]any, key, objectType string) bool {
	id, ok := fk(d, key)
	if !ok {
		return true
	}
	if objectType == "dcim.device" {
		return id == v.deviceID
	}
	return v.ids[objectType][id]
}

// assignedToUs reports whether the MAC or IP data is (or may be) assigned
// to one of the host's interfaces. serialize_object gives the assigned
// object's type as a content-type id, which cannot be told from here, so
// any type counts.
func (v staleView) assignedToUs(d map[string]any) bool {
	id, ok := fk(d, "assigned_object_id")
	if !ok {
		return true
	}
	return id != 0 && v.ids["dcim.interface"][id]
}

// fk reads the foreign key d[key] as serialize_object writes it: a number,
// or null for none (0). ok is false when it is absent or anything else.
func fk(d map[string]any, key string) (int64, bool) {
	value, present := d[key]
	if !present {
		return 0, false
	}
	switch t := value.(type) {
	case nil:
		return 0, true
	case float64:
		return int64(t), true
	}
	return 0, false
}

// checkCurrent makes sure the plan's NetBox state still holds, the cheap way
// when it can. It returns ErrStalePlan when it does not.
func (e *Engine) checkCurrent(ctx context.Context, sp storedPlan) (StaleCheck, error) {
	if log, ok := e.nb.(ChangeLog); ok && !sp.view.readAt.IsZero() {
		since := sp.view.readAt.Add(-time.Second - changeLogSlack) // the Date header is truncated to the second
		changes, more, err := log.ListObjectChanges(ctx, since, changeLogPage)
		switch {
		case err == nil && !more && !anyTouches(sp.view, changes, e.wroteBefore(sp.lookupAt)):
			return StaleCheckChangeLog, nil
		case err != nil:
			e.changeLogUnreadable.Do(func() {
				// Once per server: the operator can fix it, every apply pays for it.
				slog.Warn("NetBox's change log could not be read, so each apply reads the host's objects again to check its plan is current; "+
					"give the token's user view permission on core.objectchange (Admin > Permissions) to make that check one request", "error", err)
			})
		}
	}
	now, err := e.nb.SnapshotFor(ctx, sp.query)
	if err != nil {
		return StaleCheckReread, err
	}
	if diff.Fingerprint(sp.host, now) != sp.plan.Fingerprint &&
		diff.Fingerprint(sp.host, withoutRaceWinners(sp.plan, now)) != sp.plan.Fingerprint {
		return StaleCheckReread, ErrStalePlan
	}
	return StaleCheckReread, nil
}

// withoutRaceWinners returns s without the shared objects the plan
// creates that exist now under the slug and name the plan gives them:
// another host made them since the lookup, and the apply takes them
// (netbox/create_check.go). If nothing else moved, the state is then the
// one the plan was made from.
func withoutRaceWinners(p diff.Plan, s record.Snapshot) record.Snapshot {
	created := func(objectType, slug, name string) bool {
		for _, c := range p.Changes {
			if c.Action == diff.ActionCreate && c.ObjectType == objectType && c.Slug == slug && strings.EqualFold(c.New, name) {
				return true
			}
		}
		return false
	}
	s.Platforms = slices.DeleteFunc(slices.Clone(s.Platforms), func(x record.Platform) bool { return created(diff.ObjectPlatform, x.Slug, x.Name) })
	s.Roles = slices.DeleteFunc(slices.Clone(s.Roles), func(x record.DeviceRole) bool { return created(diff.ObjectDeviceRole, x.Slug, x.Name) })
	if t := s.ClusterType; t != nil && created(diff.ObjectClusterType, t.Slug, t.Name) {
		s.ClusterType = nil
	}
	return s
}

// anyTouches reports whether a change may touch what the lookup saw,
// leaving out the changes of the requests seen reports: writes the lookup
// came after.
func anyTouches(v staleView, changes []netbox.ObjectChange, seen func(requestID string) bool) bool {
	for _, c := range changes {
		if !seen(c.RequestID) && v.touchedBy(c) {
			return true
		}
	}
	return false
}

// maxOwnWrites bounds the request ids an engine remembers.
const maxOwnWrites = 100_000

// rememberWrites keeps the request ids of an apply that just returned.
// NetBox had committed each of them when it answered, so a lookup that
// begins after this moment sees their changes: the change log's records of
// them, timed before that lookup, need not send the stale check to the
// re-read. This is what lets a sync follow this server's previous one
// within changeLogSlack and still check its plan in one request.
func (e *Engine) rememberWrites(ids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	// A record matters to the plans whose lookup came within
	// changeLogSlack after it, until they expire.
	keep := changeLogSlack + e.ttl + time.Minute
	for id, at := range e.ownWrites {
		if now.Sub(at) > keep {
			delete(e.ownWrites, id)
		}
	}
	for _, id := range ids {
		if len(e.ownWrites) >= maxOwnWrites {
			break // a re-read is the cost, never a missed change
		}
		e.ownWrites[id] = now
	}
}

// wroteBefore returns a test of whether a request was made by an apply of
// this engine that returned before t.
func (e *Engine) wroteBefore(t time.Time) func(requestID string) bool {
	return func(id string) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		at, ok := e.ownWrites[id]
		return ok && at.Before(t)
	}
}
