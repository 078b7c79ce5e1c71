package netbox

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Snapshot is SnapshotFor with only the host name: the device, and its
// interfaces, MACs and IPs when it is found (every platform when not).
func (c *Client) Snapshot(ctx context.Context, hostname string) (record.Snapshot, error) {
	return c.SnapshotFor(ctx, SnapshotQuery{Hostname: hostname})
}

// snapshotParallelism bounds the reads SnapshotFor has in flight at once:
// enough for the reads of one snapshot to share a round trip, few enough
// not to crowd a NetBox that serves other clients.
const snapshotParallelism = 8

// SnapshotFor is the lookup phase of a sync (seed Phase 1). It reads the
// device named q.Hostname (NetBox matches names case-insensitively); more
// than one match is an *AmbiguousNameError, none leaves Found false (with
// every platform read, for registering the host).
//
// For a found device it reads the device's interfaces (with the MAC
// objects assigned to them, which NetBox nests in each interface) and the
// IPs assigned to them. Then, for the values of q.MACs and q.Addresses
// that the device does not have where the host has them, it reads the MAC
// objects and IPs anywhere in NetBox with those values (by host part,
// whatever the mask), merged without duplicates; a host NetBox already
// records needs neither. It reads the platforms only when the device's is
// not q.Platform. With q.Containers it reads the host's cluster group (by
// slug, HostClusterGroupSlug), then its clusters and their VMs (by the
// group's id: a slug filter on them would be refused, 400, until the first
// sync made the group). The cluster type comes nested in a cluster and the
// roles in the VMs, so they are read only when no cluster or VM carries
// them.
//
// The number of requests does not grow with the number of objects, only
// with pages of 1000 objects and chunks of 100 values (MACs, addresses)
// per request. With at most 100 MACs, 100 addresses and 1000 objects of
// each kind it is:
//
//	device not found:           3 (device; platforms and devices with
//	                            a similar name, in one round trip)
//	found:                      3 (device, interfaces, IPs), +1 for MACs
//	                            and +1 for addresses the device lacks,
//	                            +1 when the platform differs
//	found, with Containers:     +1 (the group), +2 when it exists
//	                            (clusters, VMs); +1 for the cluster type
//	                            when no cluster carries it, +1 for the
//	                            roles when a wanted role is on no VM
//	found, NetBox 4.6+:         +1 (the device itself, for its ETag: lists
//	                            carry none; version.go)
//	custom fields:              +1 when an object read carries custom
//	                            fields, or q.CustomFields asks
//
// The reads run concurrently, at most snapshotParallelism at a time, in
// round trips: the device; its interfaces, IPs, platforms and group; the
// lookups by value, clusters, VMs and custom fields; and the type and
// roles only when needed. Errors from several reads are joined.
//
// A read NetBox refuses for lack of view permission leaves its part of the
// sync out rather than failing the lookup (Snapshot.Unread): the
// platforms, the MAC objects looked up by value, everything of the
// containers (cluster group, clusters, VMs, cluster type, roles) and the
// custom fields. The device, its interfaces and its IPs are the sync
// itself: without them the lookup fails.
func (c *Client) SnapshotFor(ctx context.Context, q SnapshotQuery) (record.Snapshot, error) {
	if q.Hostname == "" {
		// An empty name filter would select every device.
		return record.Snapshot{}, errors.New("netbox: snapshot: empty host name: pass the host's name as NetBox knows it")
	}
	devices, answered, err := c.listDevicesAnswered(ctx, DeviceQuery{Name: q.Hostname})
	if err != nil {
		return record.Snapshot{}, err
	}
	if len(devices) > 1 {
		return record.Snapshot{}, &AmbiguousNameError{Name: q.Hostname, Devices: devices}
	}

	s := record.Snapshot{ReadAt: answered}
	if len(devices) == 0 {
		return c.snapshotNotFound(ctx, q, s)
	}
	s.Found, s.Device = true, devices[0]
	s.PlatformSlugPerManufacturer = c.serverVersion().atLeast(4, 4)
	l := &foundLookup{c: c, q: q, s: s, id: s.Device.ID, un: &unread{}}

	if err := l.round(ctx, l.deviceReads()); err != nil {
		return record.Snapshot{}, err
	}
	l.takeDeviceReads()
	if err := l.round(ctx, l.valueReads()); err != nil {
		return record.Snapshot{}, err
	}
	l.takeValueReads()
	if l.containersLive() {
		if err := l.round(ctx, l.containerGapReads()); err != nil {
			return record.Snapshot{}, err
		}
	}
	return l.result(), nil
}

// foundLookup is the lookup of a device NetBox has, read in rounds: the
// snapshot the rounds fill, what one round leaves for the next, and the
// parts the token's user may not view. Each read fills its own field, so
// that the reads of a round share no memory.
type foundLookup struct {
	c  *Client
	q  SnapshotQuery
	s  record.Snapshot
	id int64 // the device's, as listed
	un *unread

	detail      *record.Device // the device read by id, on NetBox 4.6+
	ipsOfDevice []record.IPAddress
	macsByValue []record.MACAddress
	ipsByValue  []record.IPAddress
}

// containersLive is whether the containers are still part of the lookup:
// asked for, and no read of them refused so far.
func (l *foundLookup) containersLive() bool {
	return l.q.Containers && !l.un.has(record.PartContainers)
}

// round runs the reads of one round, at most snapshotParallelism at a
// time, and joins their errors; no reads make no round.
func (l *foundLookup) round(ctx context.Context, reads []func(context.Context) error) error {
	if len(reads) == 0 {
		return nil
	}
	return runBounded(ctx, snapshotParallelism, reads)
}

// deviceReads is the first round: the device by id (NetBox 4.6+, for its
// ETag), the platforms unless the device's is the host's, the device's
// interfaces and IPs, and with q.Containers the host's cluster group.
func (l *foundLookup) deviceReads() []func(context.Context) error {
	c, q, s, un, id := l.c, l.q, &l.s, l.un, l.id
	var reads []func(context.Context) error
	if c.serverVersion().atLeast(4, 6) {
		reads = append(reads, func(ctx context.Context) error {
			d, err := c.GetDevice(ctx, id)
			l.detail = &d
			return err
		})
	}
	if p := s.Device.Platform; p != nil && (q.Platform == "" || strings.EqualFold(strings.TrimSpace(p.Name), strings.TrimSpace(q.Platform))) {
		// The platform the host maps to is the device's: nothing to find.
		s.Platforms = []record.Platform{{ID: p.ID, Name: p.Name, Slug: p.Slug}}
	} else if q.Platform != "" {
		reads = append(reads, un.optional(record.PartPlatforms, func(ctx context.Context) (err error) { s.Platforms, err = c.listPlatforms(ctx); return err }))
	}
	reads = append(reads,
		func(ctx context.Context) (err error) { s.Interfaces, err = c.ListInterfaces(ctx, id); return err },
		func(ctx context.Context) (err error) {
			l.ipsOfDevice, err = c.ListIPAddresses(ctx, IPAddressQuery{DeviceID: id})
			return err
		},
	)
	if q.Containers {
		// By slug, which a filter on clusters or VMs would refuse (400)
		// before the first sync has made the group.
		reads = append(reads, un.optional(record.PartContainers, func(ctx context.Context) error {
			groups, err := c.ListClusterGroups(ctx, record.HostClusterGroupSlug(id))
			if len(groups) > 0 {
				s.ClusterGroup = &groups[0]
			}
			return err
		}))
	}
	return reads
}

// takeDeviceReads keeps the device read by id over the listed one.
func (l *foundLookup) takeDeviceReads() {
	if l.detail != nil {
		// Newer than the list's, and the state its ETag stands for.
		l.s.Device = *l.detail
	}
}

// valueReads is the second round: the MACs and addresses the device lacks,
// looked up anywhere; the group's clusters and VMs; and the custom fields
// when they may matter.
func (l *foundLookup) valueReads() []func(context.Context) error {
	c, q, s, un := l.c, l.q, &l.s, l.un
	var reads []func(context.Context) error
	if macs := missingMACs(q.MACs, s.Interfaces); len(macs) > 0 {
		reads = append(reads, un.optional(record.PartMACs, func(ctx context.Context) (err error) {
			l.macsByValue, err = c.ListMACAddresses(ctx, MACAddressQuery{MACs: macs})
			return err
		}))
	}
	if addrs := missingAddresses(q.Addresses, l.ipsOfDevice); len(addrs) > 0 {
		reads = append(reads, func(ctx context.Context) (err error) {
			l.ipsByValue, err = c.ListIPAddresses(ctx, IPAddressQuery{Addresses: addrs})
			return err
		})
	}
	if g := s.ClusterGroup; g != nil && l.containersLive() {
		reads = append(reads,
			un.optional(record.PartContainers, func(ctx context.Context) (err error) { s.Clusters, err = c.listClusters(ctx, g.ID); return err }),
			un.optional(record.PartContainers, func(ctx context.Context) (err error) {
				s.VMs, err = c.listVirtualMachinesInGroup(ctx, g.ID)
				return err
			}))
	}
	// The custom fields NetBox requires (extras/models: CustomFieldsMixin)
	// cost a request only on a NetBox that has custom fields: every object
	// NetBox renders carries its type's custom fields, so one read so far
	// that carries none says there are none on its type.
	if q.CustomFields || carriesCustomFields(s.Device, s.Interfaces, l.ipsOfDevice) {
		reads = append(reads, un.optional(record.PartCustomFields, l.readCustomFields))
	}
	return reads
}

// readCustomFields reads the custom fields into the snapshot, noting
// whether it could.
func (l *foundLookup) readCustomFields(ctx context.Context) (err error) {
	l.s.CustomFields, err = l.c.listCustomFields(ctx)
	l.s.CustomFieldsRead = err == nil
	return err
}

// takeValueReads merges the MACs and IPs of the device with those found by
// value.
func (l *foundLookup) takeValueReads() {
	l.s.MACs = mergeByID(interfaceMACs(l.id, l.s.Interfaces), l.macsByValue, func(m record.MACAddress) int64 { return m.ID })
	l.s.IPs = mergeByID(l.ipsOfDevice, l.ipsByValue, func(ip record.IPAddress) int64 { return ip.ID })
}

// containerGapReads is the last round, for what the clusters and VMs did
// not carry: the cluster type, the roles, and the custom fields when only
// the VMs show there are some. It takes from them what they do carry.
func (l *foundLookup) containerGapReads() []func(context.Context) error {
	c, q, s, un := l.c, l.q, &l.s, l.un
	var reads []func(context.Context) error
	for _, cl := range s.Clusters {
		if s.ClusterType == nil && cl.Type.Slug == record.ClusterTypeSlug {
			s.ClusterType = &record.ClusterType{ID: cl.Type.ID, Name: cl.Type.Name, Slug: cl.Type.Slug}
		}
	}
	if s.ClusterType == nil {
		reads = append(reads, un.optional(record.PartContainers, func(ctx context.Context) error {
			types, err := c.ListClusterTypes(ctx, record.ClusterTypeSlug)
			if len(types) > 0 {
				s.ClusterType = &types[0]
			}
			return err
		}))
	}
	if roles, ok := vmRoles(s.VMs, q.Roles); ok {
		s.Roles = roles
	} else {
		reads = append(reads, un.optional(record.PartContainers, func(ctx context.Context) (err error) { s.Roles, err = c.listDeviceRoles(ctx); return err }))
	}
	if !s.CustomFieldsRead && !un.has(record.PartCustomFields) && carriesCustomFields(record.Device{}, nil, nil, s.VMs...) {
		reads = append(reads, un.optional(record.PartCustomFields, l.readCustomFields))
	}
	return reads
}

// result is the snapshot, without any of the containers when they were
// not asked for or a read of them was refused, and with the parts left
// unread.
func (l *foundLookup) result() record.Snapshot {
	if !l.containersLive() {
		l.s.ClusterGroup, l.s.ClusterType, l.s.Clusters, l.s.VMs, l.s.Roles = nil, nil, nil, nil, nil
	}
	l.s.Unread = l.un.list()
	return l.s
}

// carriesCustomFields reports whether any of the objects carries a custom
// field.
func carriesCustomFields(d record.Device, ifaces []record.Interface, ips []record.IPAddress, vms ...record.VirtualMachine) bool {
	if len(d.CustomFields) > 0 {
		return true
	}
	for _, i := range ifaces {
		if len(i.CustomFields) > 0 {
			return true
		}
	}
	for _, ip := range ips {
		if len(ip.CustomFields) > 0 {
			return true
		}
	}
	for _, vm := range vms {
		if len(vm.CustomFields) > 0 {
			return true
		}
	}
	return false
}

// unread collects the parts of a lookup the token's user may not view.
type unread struct {
	mu    sync.Mutex
	parts []record.Unread
}

// optional wraps a read whose refusal for lack of view permission leaves
// part out of the sync instead of failing the lookup.
func (u *unread) optional(part string, read func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := read(ctx)
		var e *Error
		if err == nil || !errors.As(err, &e) || e.Kind != KindPermission {
			return err
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		u.parts = append(u.parts, record.Unread{Part: part, ObjectType: ObjectTypeOfPath(e.Path)})
		return nil
	}
}

func (u *unread) has(part string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.ContainsFunc(u.parts, func(p record.Unread) bool { return p.Part == part })
}

// list is the parts, one entry per part, in a stable order.
func (u *unread) list() []record.Unread {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []record.Unread
	for _, p := range u.parts {
		if !slices.ContainsFunc(out, func(q record.Unread) bool { return q.Part == p.Part }) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b record.Unread) int { return strings.Compare(a.Part, b.Part) })
	return out
}

// missingMACs returns, once each, the MACs of macs (by interface name)
// that are not a MAC object of the device's interface of that name.
func missingMACs(macs map[string]string, ifaces []record.Interface) []string {
	has := map[string]map[string]bool{}
	for _, i := range ifaces {
		for _, m := range i.MACs {
			if has[i.Name] == nil {
				has[i.Name] = map[string]bool{}
			}
			has[i.Name][CanonicalMAC(m.Name)] = true
		}
	}
	var out []string
	for name, mac := range macs {
		if mac != "" && !has[name][CanonicalMAC(mac)] {
			out = append(out, mac)
		}
	}
	slices.Sort(out) // map order is random; a request's query should not be
	return distinct(out)
}

// missingAddresses returns the host parts of addrs that are not the host
// part of one of the device's IPs.
func missingAddresses(addrs []string, own []record.IPAddress) []string {
	has := map[string]bool{}
	for _, ip := range own {
		has[hostPart(ip.Address)] = true
	}
	var out []string
	for _, a := range hostParts(addrs) {
		if !has[a] {
			out = append(out, a)
		}
	}
	return out
}

// snapshotNotFound reads, for a host NetBox has no device for, the
// platforms (to register it) and, in the same round trip, the devices that
// may be this one under a name with or without its domain (for the user to
// choose).
func (c *Client) snapshotNotFound(ctx context.Context, q SnapshotQuery, s record.Snapshot) (record.Snapshot, error) {
	err := runBounded(ctx, 2, []func(context.Context) error{
		func(ctx context.Context) (err error) { s.Platforms, err = c.listPlatforms(ctx); return err },
		func(ctx context.Context) error {
			similar, err := c.similarDevices(ctx, q.Hostname)
			for _, d := range similar {
				s.Similar = append(s.Similar, d.Name)
			}
			return err
		},
	})
	if err != nil {
		return record.Snapshot{}, err
	}
	return s, nil
}

// similarDevices reads, in one request, at most five devices named as
// hostname without its domain, or with one when it has none.
func (c *Client) similarDevices(ctx context.Context, hostname string) ([]record.Device, error) {
	q := DeviceQuery{NamePrefix: strings.TrimSuffix(hostname, ".") + "."}
	if short, _, ok := strings.Cut(hostname, "."); ok && short != "" {
		q = DeviceQuery{Name: short}
	}
	page, err := c.DevicesPage(ctx, q, PageRequest{Limit: 5})
	return page.Items, err
}

// interfaceMACs lists the MAC objects NetBox nests in the interfaces of the
// device.
func interfaceMACs(deviceID int64, ifaces []record.Interface) []record.MACAddress {
	var out []record.MACAddress
	for _, i := range ifaces {
		for _, m := range i.MACs {
			out = append(out, record.MACAddress{ID: m.ID, MAC: m.Name, InterfaceID: i.ID, DeviceID: deviceID})
		}
	}
	return out
}

// vmRoles returns the distinct roles the VMs carry, sorted by id, and
// whether every wanted role (by name, ignoring case, as NetBox compares
// them) is among them. A role on a VM is a VM role: NetBox gives VMs no
// other.
func vmRoles(vms []record.VirtualMachine, want []string) ([]record.DeviceRole, bool) {
	byName := map[string]bool{}
	seen := map[int64]bool{}
	var out []record.DeviceRole
	for _, vm := range vms {
		if vm.Role == nil || seen[vm.Role.ID] {
			continue
		}
		seen[vm.Role.ID] = true
		byName[strings.ToLower(vm.Role.Name)] = true
		out = append(out, record.DeviceRole{ID: vm.Role.ID, Name: vm.Role.Name, Slug: vm.Role.Slug, VMRole: true})
	}
	for _, r := range want {
		if r != "" && !byName[strings.ToLower(r)] {
			return nil, false
		}
	}
	slices.SortFunc(out, func(a, b record.DeviceRole) int { return cmp.Compare(a.ID, b.ID) })
	return out, true
}

func hostParts(addrs []string) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, hostPart(a))
	}
	return distinct(out)
}

// mergeByID returns a followed by the objects of b not in a, in order.
func mergeByID[T any](a, b []T, id func(T) int64) []T {
	out := make([]T, 0, len(a)+len(b))
	seen := make(map[int64]bool, len(a)+len(b))
	for _, list := range [][]T{a, b} {
		for _, v := range list {
			if seen[id(v)] {
				continue
			}
			seen[id(v)] = true
			out = append(out, v)
		}
	}
	return out
}

// runBounded runs the functions concurrently, at most limit at a time,
// waits for all of them and joins their errors. A failure does not cancel
// the others: they are reads, and a cancelled sibling would only add
// "context canceled" to the error that matters.
func runBounded(ctx context.Context, limit int, fns []func(context.Context) error) error {
	if len(fns) == 1 {
		return fns[0](ctx)
	}
	sem := make(chan struct{}, limit)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = fn(ctx)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
