package diff

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Field names of interface and IP changes, as NetBox names them.
const (
	FieldMAC         = "mac_address" // the seed's name; written as primary_mac_address
	FieldType        = "type"
	FieldEnabled     = "enabled"
	FieldAssignment  = "assigned_object"
	FieldAddress     = "address"
	FieldPrimaryIP4  = "primary_ip4"
	FieldPrimaryIP6  = "primary_ip6"
	FieldDescription = "description"
)

// networkDiffer compares interfaces, MAC objects and IPs (seed Phase 3,
// "Network Interfaces" and "IP Addresses").
type networkDiffer struct {
	host    host.Network
	nb      record.Snapshot
	opts    Options
	plan    *Plan
	nbIface map[string]record.Interface // by name (NetBox names are case-sensitive)
	// ifaceName are the names of the device's NetBox interfaces, by id.
	ifaceName map[int64]string
	// ifaceRef says how later changes point at an interface by name: its id,
	// or the key of the change that creates it.
	ifaceID  map[string]int64
	ifaceKey map[string]string
	// ipRef maps a desired address (host part) to how the device's primary
	// can point at it.
	ipID  map[netip.Addr]int64
	ipKey map[netip.Addr]string
	// unassigned are the IPs of the device that go away.
	unassigned map[int64]bool
	// ifaceMACs are the MAC objects on each NetBox interface, by interface
	// id, each interface's by id: made once, read for every interface.
	ifaceMACs map[int64][]record.MACAddress
	// macNote says the note on unreadable MACs was made.
	macNote bool
}

// desiredIP is one address the host has and NetBox should record.
type desiredIP struct {
	prefix netip.Prefix
	iface  string
}

func (d *networkDiffer) run() {
	if len(d.host.Interfaces) == 0 {
		d.plan.note("Network: no interfaces were discovered, so interfaces and IPs were not compared (nothing is marked offline).")
		return
	}
	d.nbIface, d.ifaceName = map[string]record.Interface{}, map[int64]string{}
	d.ifaceID, d.ifaceKey = map[string]int64{}, map[string]string{}
	d.ipID, d.ipKey = map[netip.Addr]int64{}, map[netip.Addr]string{}
	d.unassigned = map[int64]bool{}
	for _, i := range d.nb.Interfaces {
		d.nbIface[i.Name] = i
		d.ifaceName[i.ID] = i.Name
		d.ifaceID[i.Name] = i.ID
	}
	d.indexMACs()
	d.interfaces()
	d.addresses()
	d.primary(4, FieldPrimaryIP4, d.host.PrimaryIPv4, d.nb.Device.PrimaryIP4)
	d.primary(6, FieldPrimaryIP6, d.host.PrimaryIPv6, d.nb.Device.PrimaryIP6)
	if d.host.RoutesUnknown != "" {
		d.plan.note("Primary IPs: not compared, since this host's default routes are unknown (%s); NetBox's primary IPs are kept.", d.host.RoutesUnknown)
	}
}

func (d *networkDiffer) inScope(name string) bool { return d.opts.InterfaceSynced(name) }

func (d *networkDiffer) add(c Change) { d.plan.Changes = append(d.plan.Changes, c) }

func (d *networkDiffer) interfaces() {
	local := map[string]bool{}
	for _, l := range d.host.Interfaces {
		if !d.inScope(l.Name) {
			continue
		}
		local[l.Name] = true
		n, ok := d.nbIface[l.Name]
		if !ok {
			d.newInterface(l)
			continue
		}
		d.changedInterface(l, n)
	}
	for _, n := range d.nb.Interfaces {
		if local[n.Name] || !d.inScope(n.Name) || !n.Enabled {
			continue
		}
		d.add(Change{
			Section: SectionInterfaces, ObjectType: ObjectInterface, ObjectID: n.ID, Object: n.Name,
			Field: FieldEnabled, Old: "true", New: "false", Action: ActionOffline,
			Reason: "Not found locally",
			Attrs:  &Attrs{Type: n.Type},
		})
	}
}

func (d *networkDiffer) newInterface(l host.Interface) {
	key := "interface:" + l.Name
	enabled := true
	mtu := l.MTU
	if mtu != 0 && (mtu < MinMTU || mtu > MaxMTU) {
		d.plan.note("Interface %s: its MTU %d is outside what NetBox accepts (%d to %d); it is created without one.", l.Name, mtu, MinMTU, MaxMTU)
		mtu = 0
	}
	d.add(Change{
		Section: SectionInterfaces, ObjectType: ObjectInterface, Object: l.Name,
		Action: ActionCreate, Reason: "Exists locally but not in NetBox", Key: key,
		Attrs:   &Attrs{Type: l.Type, Enabled: &enabled, MTU: mtu, MAC: l.MAC},
		Blocked: tooLong("the interface name", l.Name, MaxInterfaceName, "leave it out with exclude_interfaces"),
	})
	d.ifaceKey[l.Name] = key
	if l.MAC != "" && d.macsRead() {
		d.primaryMAC(l, record.Interface{Name: l.Name}, key, true)
	}
}

// macsRead reports whether MAC addresses are compared: not when the token
// may not view MAC objects (a new one could duplicate one the sync cannot
// see), which a note says once.
func (d *networkDiffer) macsRead() bool {
	u, unread := d.nb.IsUnread(record.PartMACs)
	if unread && !d.macNote {
		d.macNote = true
		d.plan.note("MAC addresses: not compared: the NetBox token's user may not view %s objects, so the sync cannot tell which MAC objects exist; grant it view permission on them (NetBox: Admin > Permissions). The rest of the sync goes on.", u.ObjectType)
	}
	return !unread
}

func (d *networkDiffer) changedInterface(l host.Interface, n record.Interface) {
	d.duplicateMACs(l, n)
	base := Change{Section: SectionInterfaces, ObjectType: ObjectInterface, ObjectID: n.ID, Object: n.Name}
	if l.Type != "" && l.Type != n.Type {
		c := base
		c.Field, c.Old, c.New, c.Action, c.Reason = FieldType, n.Type, l.Type, ActionUpdate, "Type mismatch"
		d.add(c)
	} else if d.opts.Full && l.Type != "" {
		c := base
		c.Field, c.Old, c.New, c.Action, c.Reason = FieldType, n.Type, l.Type, ActionRefresh, reasonRefresh
		d.add(c)
	}
	if !n.Enabled && n.Description == OfflineDescription {
		c := base
		c.Field, c.Old, c.New, c.Action, c.Reason = FieldEnabled, "false", "true", ActionUpdate, "Marked offline earlier, found locally again"
		d.add(c)
	}
	if l.MAC == "" || !d.macsRead() {
		return
	}
	old := ""
	if n.PrimaryMAC != nil {
		old = n.PrimaryMAC.Name
	}
	if strings.EqualFold(old, l.MAC) {
		return
	}
	d.primaryMAC(l, n, "", false)
}

// primaryMAC plans the interface's primary MAC: on NetBox 4.2+ a MAC is an
// object that must be assigned to the interface before it can be primary.
// An identical MAC object already on the interface, or assigned nowhere, is
// used rather than duplicated.
func (d *networkDiffer) primaryMAC(l host.Interface, n record.Interface, ifaceKey string, created bool) {
	old := ""
	if n.PrimaryMAC != nil {
		old = strings.ToLower(n.PrimaryMAC.Name)
	}
	set := Change{
		Section: SectionInterfaces, ObjectType: ObjectInterface, ObjectID: n.ID, ObjectKey: ifaceKey,
		Object: l.Name, Field: FieldMAC, Old: old, New: l.MAC, Action: ActionUpdate,
		Reason: "MAC address different", Supporting: created,
	}
	macKey := "mac:" + l.Name
	var free *record.MACAddress
	for i := range d.nb.MACs {
		m := &d.nb.MACs[i]
		if strings.EqualFold(m.MAC, l.MAC) && m.Free() && free == nil {
			free = m
		}
	}
	switch onIface, ok := d.macKept(l, n); {
	case ok:
		set.NewID = onIface.ID
	case free != nil:
		d.add(Change{
			Section: SectionInterfaces, ObjectType: ObjectMACAddress, ObjectID: free.ID, Object: l.MAC,
			Field: FieldAssignment, Old: "", New: l.Name, Action: ActionUpdate,
			Reason: "reuse the unassigned MAC object", Key: macKey,
			ParentID: n.ID, ParentKey: ifaceKey, Supporting: true,
		})
		set.NewKey = macKey
	default:
		d.add(Change{
			Section: SectionInterfaces, ObjectType: ObjectMACAddress, Object: l.MAC,
			Action: ActionCreate, Reason: "MAC object for " + l.Name, Key: macKey,
			ParentID: n.ID, ParentKey: ifaceKey, Supporting: true,
			Attrs: &Attrs{MAC: l.MAC},
		})
		set.NewKey = macKey
	}
	d.add(set)
}

// indexMACs groups the assigned MAC objects by interface, in one array
// sorted by interface and id.
func (d *networkDiffer) indexMACs() {
	ms := make([]record.MACAddress, 0, len(d.nb.MACs))
	for _, m := range d.nb.MACs {
		if m.InterfaceID != 0 {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b record.MACAddress) int {
		return cmp.Or(cmp.Compare(a.InterfaceID, b.InterfaceID), cmp.Compare(a.ID, b.ID))
	})
	d.ifaceMACs = map[int64][]record.MACAddress{}
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && ms[j].InterfaceID == ms[i].InterfaceID {
			j++
		}
		d.ifaceMACs[ms[i].InterfaceID] = ms[i:j:j]
		i = j
	}
}

// macsOn returns the MAC objects with the host's MAC on NetBox
// interface n, by id; more than one is a duplicate (two syncs that raced,
// say). A new interface (id 0) has none. The result may share the index's
// array: callers only read it.
func (d *networkDiffer) macsOn(l host.Interface, n record.Interface) []record.MACAddress {
	if n.ID == 0 {
		return nil
	}
	ms := d.ifaceMACs[n.ID]
	for i, m := range ms {
		if strings.EqualFold(m.MAC, l.MAC) {
			continue
		}
		// Another MAC on the interface: copy the ones that match.
		out := slices.Clone(ms[:i])
		for _, m := range ms[i+1:] {
			if strings.EqualFold(m.MAC, l.MAC) {
				out = append(out, m)
			}
		}
		return out
	}
	return ms
}

// macKept is the one of the interface's MAC objects with the host's MAC
// that the sync keeps: the primary one, else the oldest.
func (d *networkDiffer) macKept(l host.Interface, n record.Interface) (record.MACAddress, bool) {
	ms := d.macsOn(l, n)
	for _, m := range ms {
		if n.PrimaryMAC != nil && n.PrimaryMAC.ID == m.ID {
			return m, true
		}
	}
	if len(ms) == 0 {
		return record.MACAddress{}, false
	}
	return ms[0], true
}

// duplicateMACs unassigns, never deletes, every MAC object with the host's
// MAC on the interface but the one kept, and notes it.
func (d *networkDiffer) duplicateMACs(l host.Interface, n record.Interface) {
	if l.MAC == "" {
		return
	}
	ms := d.macsOn(l, n)
	if len(ms) < 2 {
		return
	}
	kept, _ := d.macKept(l, n)
	var ids []string
	for _, m := range ms {
		ids = append(ids, fmt.Sprint(m.ID))
		if m.ID == kept.ID {
			continue
		}
		d.add(Change{
			Section: SectionInterfaces, ObjectType: ObjectMACAddress, ObjectID: m.ID, Object: m.MAC,
			Field: FieldAssignment, Old: n.Name, New: "", Action: ActionUnassign,
			Reason: fmt.Sprintf("Duplicate of MAC object %d on %s", kept.ID, n.Name),
		})
	}
	d.plan.note("Duplicate in NetBox: %s has %d MAC objects with %s (ids %s); all but %d are unassigned, none deleted.",
		n.Name, len(ms), strings.ToUpper(l.MAC), strings.Join(ids, ", "), kept.ID)
}

func (d *networkDiffer) desired() ([]desiredIP, []string) {
	var out []desiredIP
	var skipped []string
	for _, l := range d.host.Interfaces {
		if !d.inScope(l.Name) {
			continue
		}
		for _, p := range append(append([]netip.Prefix(nil), l.IPv4...), l.IPv6...) {
			if !d.opts.AddressesSynced(l) { // a Docker-managed bridge
				skipped = append(skipped, p.String()+" on "+l.Name)
				continue
			}
			out = append(out, desiredIP{prefix: p, iface: l.Name})
		}
	}
	return out, skipped
}

// addresses plans the device's IPs: each address the host has goes on the
// device's IP object of that address, on an unassigned one reused, or on a
// new one (never on one that another object holds); the device's IPs the
// host lacks, and its duplicates, are unassigned.
func (d *networkDiffer) addresses() {
	want, skipped := d.desired()
	if len(skipped) > 0 {
		d.plan.note("IPs on Docker-managed bridges not synced (they exist on every Docker host and NetBox rejects duplicates): %s. Turn on include_docker_bridges to sync them.",
			strings.Join(skipped, ", "))
	}
	mine, other := d.existingIPs()
	own, duplicate := d.keptIPs(mine, want)
	kept := map[int64]bool{}
	for _, w := range want {
		addr := w.prefix.Addr()
		if ip, ok := own[addr]; ok {
			kept[ip.ID] = true
			d.ipID[addr] = ip.ID
			d.existingIP(w, ip, d.ifaceName[ip.InterfaceID()])
		} else if ip, ok := other[addr]; ok {
			d.otherIP(w, ip)
		} else {
			d.newIP(w)
		}
	}
	d.unassignIPs(mine.all, kept, duplicate)
}

// deviceIPs are the device's own IP objects: all of them, the first
// object of each address, and, only for the addresses the device has more
// than once, every object of the address. Nearly every address has one
// object, which then needs no slice of its own.
type deviceIPs struct {
	all      []record.IPAddress
	first    map[netip.Addr]record.IPAddress
	repeated map[netip.Addr][]record.IPAddress
}

// existingIPs are the IP objects the lookup read: the device's own, and,
// separately, the first other object with each of the host's addresses
// (unassigned, or on another device). Addresses NetBox holds unparsed are
// left out.
func (d *networkDiffer) existingIPs() (mine deviceIPs, other map[netip.Addr]record.IPAddress) {
	mine = deviceIPs{first: map[netip.Addr]record.IPAddress{}, repeated: map[netip.Addr][]record.IPAddress{}}
	other = map[netip.Addr]record.IPAddress{}
	for _, ip := range d.nb.IPs {
		p, err := netip.ParsePrefix(ip.Address)
		if err != nil {
			continue
		}
		addr := p.Addr()
		if _, ok := d.ifaceName[ip.InterfaceID()]; ok {
			mine.all = append(mine.all, ip)
			first, seen := mine.first[addr]
			switch {
			case !seen:
				mine.first[addr] = ip
			case mine.repeated[addr] == nil:
				mine.repeated[addr] = []record.IPAddress{first, ip}
			default:
				mine.repeated[addr] = append(mine.repeated[addr], ip)
			}
		} else if _, seen := other[addr]; !seen {
			other[addr] = ip
		}
	}
	return mine, other
}

// keptIPs picks the object each of the device's addresses keeps: its only
// one, or, for an address the device has twice, the one ipKept picks. An
// address the host has that the device has twice keeps one object and
// loses the others, its duplicates, with a note: duplicate maps each by id
// to the object kept instead. An address the host lacks goes whole.
func (d *networkDiffer) keptIPs(mine deviceIPs, want []desiredIP) (own map[netip.Addr]record.IPAddress, duplicate map[int64]record.IPAddress) {
	own = mine.first
	duplicate = map[int64]record.IPAddress{}
	if len(mine.repeated) == 0 {
		return own, duplicate
	}
	wantOn := map[netip.Addr]desiredIP{}
	for _, w := range want {
		wantOn[w.prefix.Addr()] = w
	}
	addrs := make([]netip.Addr, 0, len(mine.repeated))
	for addr := range mine.repeated {
		addrs = append(addrs, addr)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	for _, addr := range addrs {
		ips := mine.repeated[addr]
		sort.Slice(ips, func(i, j int) bool { return ips[i].ID < ips[j].ID })
		w, wanted := wantOn[addr]
		keep := d.ipKept(ips, w)
		own[addr] = keep
		if !wanted {
			continue
		}
		var ids []string
		for _, ip := range ips {
			ids = append(ids, fmt.Sprint(ip.ID))
			if ip.ID != keep.ID {
				duplicate[ip.ID] = keep
			}
		}
		d.plan.note("Duplicate in NetBox: %s is on this device %d times (IP ids %s); all but %d are unassigned, none deleted.",
			addr, len(ips), strings.Join(ids, ", "), keep.ID)
	}
	return own, duplicate
}

// otherIP handles an address NetBox has on an object that is not the
// device's: one assigned elsewhere is not synced, since NetBox rejects
// duplicate addresses; an unassigned one is reused.
func (d *networkDiffer) otherIP(w desiredIP, ip record.IPAddress) {
	if ip.AssignedObjectType != "" {
		d.plan.note("IP %s on %s is already assigned to another object in NetBox (IP id %d); not synced, since NetBox rejects duplicate addresses.",
			w.prefix, w.iface, ip.ID)
		return
	}
	addr := w.prefix.Addr()
	d.add(Change{
		Section: SectionIPs, ObjectType: ObjectIPAddress, ObjectID: ip.ID, Object: w.prefix.String(),
		Field: FieldAssignment, Old: "", New: w.iface, Action: ActionUpdate,
		Reason: "Exists locally; an unassigned IP with this address is reused", Key: "ip:" + addr.String(),
		ParentID: d.ifaceID[w.iface], ParentKey: d.ifaceKey[w.iface],
	})
	d.ipID[addr] = ip.ID
	d.prefixLength(w, ip, true)
}

// newIP plans the create of an address NetBox has no object for.
func (d *networkDiffer) newIP(w desiredIP) {
	addr := w.prefix.Addr()
	key := "ip:" + addr.String()
	d.add(Change{
		Section: SectionIPs, ObjectType: ObjectIPAddress, Object: w.prefix.String(),
		Action: ActionCreate, Reason: "Exists locally but not in NetBox", Key: key,
		ParentID: d.ifaceID[w.iface], ParentKey: d.ifaceKey[w.iface],
		New:   w.iface,
		Attrs: &Attrs{Address: w.prefix.String(), Status: "active"},
	})
	d.ipKey[addr] = key
}

// unassignIPs unassigns, never deletes, the device's IPs the host no
// longer has and the duplicates; those on out-of-scope interfaces (veth*,
// Docker bridges when not synced) are left alone. It sorts mine, the
// device's IPs, by id in place: the changes come in that order.
func (d *networkDiffer) unassignIPs(mine []record.IPAddress, kept map[int64]bool, duplicate map[int64]record.IPAddress) {
	slices.SortFunc(mine, func(a, b record.IPAddress) int { return cmp.Compare(a.ID, b.ID) })
	for _, ip := range mine {
		id := ip.ID
		name := d.ifaceName[ip.InterfaceID()]
		if kept[id] || !d.inScope(name) || d.dockerBridge(name) && !d.opts.IncludeDockerBridges {
			continue
		}
		reason := "Not found locally"
		if keep, dup := duplicate[id]; dup {
			reason = fmt.Sprintf("Duplicate of IP %d (%s on %s)", keep.ID, keep.Address, d.ifaceName[keep.InterfaceID()])
		}
		d.unassigned[id] = true
		d.add(Change{
			Section: SectionIPs, ObjectType: ObjectIPAddress, ObjectID: id, Object: ip.Address,
			Field: FieldAssignment, Old: name, New: "", Action: ActionUnassign,
			Reason: reason,
		})
	}
}

// ipKept is the one of the device's IP objects of one address that the
// sync keeps: the device's primary, else one on the interface the host
// has the address on (with its mask, if one has it), else the oldest.
func (d *networkDiffer) ipKept(ips []record.IPAddress, w desiredIP) record.IPAddress {
	best, score := ips[0], -1
	address := ""
	if w.iface != "" {
		address = w.prefix.String()
	}
	for _, ip := range ips {
		s := 0
		switch {
		case d.isPrimary(ip.ID):
			s = 3
		case w.iface != "" && d.ifaceName[ip.InterfaceID()] == w.iface && ip.Address == address:
			s = 2
		case w.iface != "" && d.ifaceName[ip.InterfaceID()] == w.iface:
			s = 1
		}
		if s > score || s == score && ip.ID < best.ID {
			best, score = ip, s
		}
	}
	return best
}

func (d *networkDiffer) isPrimary(id int64) bool {
	dev := d.nb.Device
	return dev.PrimaryIP4 != nil && dev.PrimaryIP4.ID == id || dev.PrimaryIP6 != nil && dev.PrimaryIP6.ID == id
}

func (d *networkDiffer) dockerBridge(name string) bool {
	if l, ok := d.host.Interface(name); ok {
		return l.DockerManaged
	}
	return false
}

// existingIP handles an address the device has in NetBox already: moved to
// another of its interfaces, or recorded with another mask.
func (d *networkDiffer) existingIP(w desiredIP, ip record.IPAddress, onIface string) {
	d.prefixLength(w, ip, false)
	if onIface != w.iface {
		d.add(Change{
			Section: SectionIPs, ObjectType: ObjectIPAddress, ObjectID: ip.ID, Object: w.prefix.String(),
			Field: FieldAssignment, Old: onIface, New: w.iface, Action: ActionUpdate,
			Reason:   "Moved to another interface",
			ParentID: d.ifaceID[w.iface], ParentKey: d.ifaceKey[w.iface],
		})
	}
}

// prefixLength rewrites an IP object's address when NetBox has it with
// another mask than the host; supporting marks the step that goes with
// the reuse of an unassigned object.
func (d *networkDiffer) prefixLength(w desiredIP, ip record.IPAddress, supporting bool) {
	if samePrefix(ip.Address, w.prefix) {
		return
	}
	d.add(Change{
		Section: SectionIPs, ObjectType: ObjectIPAddress, ObjectID: ip.ID, Object: ip.Address,
		Field: FieldAddress, Old: ip.Address, New: w.prefix.String(), Action: ActionUpdate,
		Reason: "Prefix length differs", Supporting: supporting,
	})
}

// primary plans the device's primary IP of one family: the address of the
// default-route interface. With no default route the current primary is
// kept, unless that IP goes away, in which case it is cleared first (NetBox
// refuses to unassign a primary IP).
func (d *networkDiffer) primary(family int, field string, want netip.Prefix, cur *record.Ref) {
	curName, curID := "", int64(0)
	if cur != nil {
		curName, curID = cur.Name, cur.ID
	}
	c := Change{
		Section: SectionIPs, ObjectType: ObjectDevice, ObjectID: d.nb.Device.ID, Object: d.nb.Device.Name,
		Field: field, Old: curName,
	}
	if !want.IsValid() {
		if curID != 0 && d.unassigned[curID] {
			c.New, c.Action, c.Reason = "", ActionUpdate, fmt.Sprintf("IPv%d primary no longer on this host and no default route", family)
			d.add(c)
		}
		return
	}
	addr := want.Addr()
	id, key := d.ipID[addr], d.ipKey[addr]
	if id == 0 && key == "" {
		if curID != 0 && d.unassigned[curID] {
			c.New, c.Action, c.Reason = "", ActionUpdate, fmt.Sprintf("IPv%d primary no longer on this host; %s is not synced", family, want)
			d.add(c)
			return
		}
		d.plan.note("Primary IPv%d %s is not synced (see above); primary kept.", family, want)
		return
	}
	if id != 0 && id == curID {
		if d.opts.Full {
			c.New, c.NewID, c.Action, c.Reason = want.String(), id, ActionRefresh, reasonRefresh
			d.add(c)
		}
		return
	}
	c.New, c.NewID, c.NewKey, c.Action, c.Reason = want.String(), id, key, ActionUpdate, "Default route interface changed"
	if curID == 0 {
		c.Reason = "No primary IP set"
	}
	d.add(c)
}

// samePrefix reports whether text is p as p.String() writes it, without
// making that string: prefixLength asks it of every address the device
// keeps, and nearly all are the same.
func samePrefix(text string, p netip.Prefix) bool {
	if !p.IsValid() {
		return text == p.String()
	}
	var buf [64]byte // the longest prefix, IPv6 with /128, is 43 bytes
	return string(p.AppendTo(buf[:0])) == text
}
