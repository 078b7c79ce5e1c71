package engine

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The property: for any host and any NetBox state of its device, diff ->
// apply -> diff is empty, apply makes no failed or skipped change, no
// request is a DELETE, the device's description and a neighbour device are
// untouched. NetBox's rules (primary guards, primary MACs, duplicate IPs,
// unique names) are the simulator's, checked against NetBox 4.3's OpenAPI
// document on every request.
//
// With blockers drawn too (what NetBox refuses of single objects: a
// container name too long for a VM, a platform of the host's name limited
// to another manufacturer, a required custom field on interfaces, a cable
// on an interface whose type becomes virtual, a populated IP range around
// one of the host's new addresses, a token that may not view, or not
// change, virtualization objects), the property is that one refused
// object never blocks the rest: every change not blocked is written, every
// blocked one is reported (in the result, with its reason, and in the
// journal), and once the blockers are cleared the next sync converges.
//
// Each case uses its own device, names and address range in one simulator,
// so cases never collide through NetBox's global uniqueness rules.

var ifacePool = []struct{ name, typ string }{
	{"eth0", "1000base-t"}, {"eth1", "1000base-t"}, {"eth2", "10gbase-t"},
	{"wlan0", "ieee802.11ax"}, {"tailscale0", "virtual"}, {"br0", "bridge"},
}

var platformPool = []string{"", "Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS", "Debian 12", "Debian 13"}

type propCase struct {
	n     int
	w     simWorld
	name  string
	addr4 func(i int) netip.Addr
	addr6 func(i int) netip.Addr
	mac   func(i int) string
}

func genHost(t *rapid.T, c propCase) host.Host {
	h := host.Host{
		Hostname: c.name,
		OS:       host.OS{Platform: rapid.SampledFrom(platformPool).Draw(t, "host platform")},
		Hardware: host.Hardware{Serial: rapid.SampledFrom([]string{"", "SN1", "SN2"}).Draw(t, "host serial")},
	}
	usedAddr, usedMAC := map[int]bool{}, map[int]bool{}
	for _, p := range ifacePool {
		if !rapid.Bool().Draw(t, "host has "+p.name) {
			continue
		}
		i := host.Interface{Name: p.name, Type: p.typ}
		if p.typ != "virtual" {
			if m := rapid.IntRange(0, 7).Draw(t, "mac of "+p.name); !usedMAC[m] {
				usedMAC[m] = true
				i.MAC = c.mac(m)
			}
		}
		for range rapid.IntRange(0, 2).Draw(t, "v4 count") {
			a := rapid.IntRange(1, 13).Draw(t, "v4")
			if !usedAddr[a] {
				usedAddr[a] = true
				i.IPv4 = append(i.IPv4, netip.PrefixFrom(c.addr4(a), rapid.SampledFrom([]int{24, 25}).Draw(t, "v4 mask")))
			}
		}
		if rapid.Bool().Draw(t, "v6") {
			a := rapid.IntRange(1, 12).Draw(t, "v6 addr")
			if !usedAddr[100+a] {
				usedAddr[100+a] = true
				i.IPv6 = append(i.IPv6, netip.PrefixFrom(c.addr6(a), 64))
			}
		}
		h.Network.Interfaces = append(h.Network.Interfaces, i)
	}
	var v4, v6 []netip.Prefix
	for _, i := range h.Network.Interfaces {
		v4 = append(v4, i.IPv4...)
		v6 = append(v6, i.IPv6...)
	}
	if len(v4) > 0 && rapid.Bool().Draw(t, "has default v4") {
		h.Network.PrimaryIPv4 = rapid.SampledFrom(v4).Draw(t, "primary v4")
	}
	if len(v6) > 0 && rapid.Bool().Draw(t, "has default v6") {
		h.Network.PrimaryIPv6 = rapid.SampledFrom(v6).Draw(t, "primary v6")
	}
	if rapid.Bool().Draw(t, "docker available") {
		h.Containers.Available = true
		for k := range rapid.IntRange(0, 4).Draw(t, "containers") {
			ct := host.Container{
				Name: fmt.Sprintf("c%d", k),
				// A long image is shortened in the description, whole in
				// the comments; odd CPU limits are rounded: both valid.
				Image:          rapid.SampledFrom([]string{"nginx:1", "postgres:16", "busybox", longImage}).Draw(t, "image"),
				Running:        rapid.Bool().Draw(t, "running"),
				ComposeProject: rapid.SampledFrom([]string{"", "media", "web"}).Draw(t, "project"),
				Role:           rapid.SampledFrom([]string{"Container", "Database", "Reverse Proxy"}).Draw(t, "role"),
				VCPUs:          rapid.SampledFrom([]float64{0, 0.5, 1, 2, 0.333, 0.001}).Draw(t, "vcpus"),
				MemoryMB:       rapid.SampledFrom([]int64{0, 64, 512}).Draw(t, "memory"),
			}
			h.Containers.Containers = append(h.Containers.Containers, ct)
		}
	} else {
		h.Containers.Reason = "Docker not available (test)"
	}
	return h
}

// genNetBox records a random, valid state of the case's device.
func genNetBox(t *rapid.T, c propCase, platforms map[string]int64) record.Device {
	ctx := context.Background()
	nb := c.w.nb
	must := func(err error) {
		if err != nil {
			t.Fatalf("seeding NetBox: %v", err)
		}
	}
	d := c.w.device(t, c.name, rapid.SampledFrom([]string{"active", "planned", "offline", "failed"}).Draw(t, "nb status"),
		platforms[rapid.SampledFrom(platformPool).Draw(t, "nb platform")])
	if rapid.Bool().Draw(t, "nb serial") {
		_, err := nb.UpdateDevice(ctx, d.ID, netbox.DeviceUpdate{Serial: ptr(rapid.SampledFrom([]string{"SN1", "SN2"}).Draw(t, "nb serial value"))}, netbox.WriteOptions{})
		must(err)
	}
	var creates []netbox.InterfaceCreate
	for _, p := range ifacePool {
		if rapid.Bool().Draw(t, "nb has "+p.name) {
			typ := p.typ
			if rapid.IntRange(0, 4).Draw(t, "wrong type") == 0 {
				typ = "other"
			}
			creates = append(creates, netbox.InterfaceCreate{Device: d.ID, Name: p.name, Type: typ, Enabled: ptr(rapid.IntRange(0, 3).Draw(t, "disabled") != 0)})
		}
	}
	ifs, err := nb.CreateInterfaces(ctx, creates, netbox.WriteOptions{})
	must(err)
	var offline []netbox.InterfaceUpdate
	for _, i := range ifs {
		if !i.Enabled && rapid.Bool().Draw(t, "offline marker") {
			offline = append(offline, netbox.InterfaceUpdate{ID: i.ID, Description: ptr("Marked offline by cmdb-sync")})
		}
	}
	_, err = nb.UpdateInterfaces(ctx, offline, netbox.WriteOptions{})
	must(err)

	// MAC objects: some on interfaces (some primary), some assigned nowhere.
	var macs []netbox.MACAddressCreate
	usedMAC := map[int]bool{}
	for _, i := range ifs {
		if m := rapid.IntRange(0, 9).Draw(t, "nb mac"); m < 8 && !usedMAC[m] {
			usedMAC[m] = true
			macs = append(macs, netbox.MACAddressCreate{MAC: c.mac(m), InterfaceID: i.ID})
		}
	}
	made, err := nb.CreateMACAddresses(ctx, macs, netbox.WriteOptions{})
	must(err)
	var primaries []netbox.InterfaceUpdate
	for _, m := range made {
		if rapid.Bool().Draw(t, "primary mac") {
			primaries = append(primaries, netbox.InterfaceUpdate{ID: m.InterfaceID, PrimaryMAC: ptr(m.ID)})
		}
	}
	_, err = nb.UpdateInterfaces(ctx, primaries, netbox.WriteOptions{})
	must(err)
	if m := rapid.IntRange(0, 9).Draw(t, "free mac"); m < 8 && !usedMAC[m] {
		must(c.w.srv.Admin().Do(ctx, "POST", "/api/dcim/mac-addresses/", nil, map[string]any{"mac_address": c.mac(m)}, nil))
	}

	// IPs: some on interfaces, one maybe assigned nowhere.
	var ips []netbox.IPAddressCreate
	usedAddr := map[int]bool{}
	for _, i := range ifs {
		for range rapid.IntRange(0, 2).Draw(t, "nb v4 count") {
			a := rapid.IntRange(1, 12).Draw(t, "nb v4")
			if !usedAddr[a] {
				usedAddr[a] = true
				ips = append(ips, netbox.IPAddressCreate{Address: netip.PrefixFrom(c.addr4(a), rapid.SampledFrom([]int{24, 25}).Draw(t, "nb mask")).String(), Status: "active", InterfaceID: i.ID})
			}
		}
		if rapid.IntRange(0, 2).Draw(t, "nb v6") == 0 {
			a := rapid.IntRange(1, 12).Draw(t, "nb v6 addr")
			if !usedAddr[100+a] {
				usedAddr[100+a] = true
				ips = append(ips, netbox.IPAddressCreate{Address: netip.PrefixFrom(c.addr6(a), 64).String(), Status: "active", InterfaceID: i.ID})
			}
		}
	}
	madeIPs, err := nb.CreateIPAddresses(ctx, ips, netbox.WriteOptions{})
	must(err)
	if a := rapid.IntRange(1, 16).Draw(t, "free ip"); a <= 12 && !usedAddr[a] {
		must(c.w.srv.Admin().Do(ctx, "POST", "/api/ipam/ip-addresses/", nil, map[string]any{"address": netip.PrefixFrom(c.addr4(a), 24).String()}, nil))
	}
	var u netbox.DeviceUpdate
	for _, ip := range madeIPs {
		p := netip.MustParsePrefix(ip.Address)
		if p.Addr().Is4() && u.PrimaryIP4 == nil && rapid.Bool().Draw(t, "nb primary4") {
			u.PrimaryIP4 = ptr(ip.ID)
		}
		if p.Addr().Is6() && u.PrimaryIP6 == nil && rapid.Bool().Draw(t, "nb primary6") {
			u.PrimaryIP6 = ptr(ip.ID)
		}
	}
	if u.PrimaryIP4 != nil || u.PrimaryIP6 != nil {
		_, err = nb.UpdateDevice(ctx, d.ID, u, netbox.WriteOptions{})
		must(err)
	}
	genContainers(t, c, d)
	return d
}

// genContainers records some of the device's containers as NetBox would
// after an earlier sync, possibly stale: the host's cluster group, some
// clusters and VMs with other statuses, limits and images.
func genContainers(t *rapid.T, c propCase, d record.Device) {
	if !rapid.Bool().Draw(t, "nb has containers") {
		return
	}
	ctx := context.Background()
	nb := c.w.nb
	types, err := nb.ListClusterTypes(ctx, record.ClusterTypeSlug)
	if err != nil {
		t.Fatalf("cluster types: %v", err)
	}
	var typ record.ClusterType
	if len(types) > 0 {
		typ = types[0]
	} else if typ, err = nb.CreateClusterType(ctx, netbox.ClusterTypeCreate{Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}, netbox.WriteOptions{}); err != nil {
		t.Fatalf("cluster type: %v", err)
	}
	g, err := nb.CreateClusterGroup(ctx, netbox.ClusterGroupCreate{Name: record.HostClusterGroupName(d.Name, d.ID), Slug: record.HostClusterGroupSlug(d.ID)}, netbox.WriteOptions{})
	if err != nil {
		t.Fatalf("cluster group: %v", err)
	}
	var creates []netbox.ClusterCreate
	for _, name := range []string{"media", "web", record.StandaloneClusterName} {
		if rapid.Bool().Draw(t, "nb cluster "+name) {
			creates = append(creates, netbox.ClusterCreate{Name: name, Type: typ.ID, Group: g.ID, Status: "active"})
		}
	}
	clusters, err := nb.CreateClusters(ctx, creates, netbox.WriteOptions{})
	if err != nil {
		t.Fatalf("clusters: %v", err)
	}
	if len(clusters) == 0 {
		return
	}
	var vms []netbox.VirtualMachineCreate
	for k := range 5 {
		if !rapid.Bool().Draw(t, "nb vm") {
			continue
		}
		vm := netbox.VirtualMachineCreate{
			Name:        fmt.Sprintf("c%d", k),
			Cluster:     rapid.SampledFrom(clusters).Draw(t, "vm cluster").ID,
			Status:      rapid.SampledFrom([]string{"active", "offline", "planned"}).Draw(t, "vm status"),
			Description: rapid.SampledFrom([]string{"", "nginx:1", "old:0"}).Draw(t, "vm image"),
		}
		if v := rapid.SampledFrom([]float64{0, 0.5, 4}).Draw(t, "vm vcpus"); v > 0 {
			vm.VCPUs = &v
		}
		if m := rapid.SampledFrom([]int64{0, 64, 1024}).Draw(t, "vm memory"); m > 0 {
			vm.MemoryMB = &m
		}
		vms = append(vms, vm)
	}
	if _, err := nb.CreateVirtualMachines(ctx, vms, netbox.WriteOptions{}); err != nil {
		t.Fatalf("vms: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// longImage is longer than a VM description may be.
var longImage = "registry.example.com/" + strings.Repeat("team/", 46) + "app:1.0"

// blockers are what a case draws for NetBox to refuse of single objects.
type blockers struct {
	// longName is a container whose name is too long for a VM.
	longName string
	// foreign is a platform of the host's name limited to another
	// manufacturer.
	foreign int64
	// customField says NetBox requires custom field "owner" on every
	// interface.
	customField bool
	// cable is a cable on an interface the host has as virtual or bridge.
	cable int64
	// ipRange is a populated range around a new address of the host.
	ipRange int64
	// token is a token whose user may not view (noView) or not change
	// virtualization objects; "" for the superuser's.
	token  string
	noView bool
	// cleared says clear ran: values for the custom field are configured.
	cleared bool
}

func (b blockers) any() bool {
	return b.longName != "" || b.foreign != 0 || b.customField || b.cable != 0 || b.ipRange != 0 || b.token != ""
}

// engine syncs h as the blockers allow: with the drawn token until they
// are cleared, and with a value for the custom field after.
func (b blockers) engine(t *rapid.T, w simWorld, h host.Host) *Engine {
	nb := w.nb
	if b.token != "" && !b.cleared {
		var err error
		if nb, err = netbox.New(netbox.Config{URL: w.srv.URL, Token: b.token}); err != nil {
			t.Fatalf("client: %v", err)
		}
	}
	opts := diff.Options{InterfaceInScope: func(n string) bool { return !strings.HasPrefix(n, "veth") }}
	if b.customField && b.cleared {
		opts.CustomFields = map[string]map[string]any{diff.ObjectInterface: {"owner": "infra"}}
	}
	return New(nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }), WithDiffOptions(opts))
}

// drawBlockers adds blockers to the host and to NetBox.
func drawBlockers(t *rapid.T, c, neighbour propCase, h *host.Host, dev record.Device) blockers {
	ctx := context.Background()
	var b blockers
	if h.Containers.Available && rapid.IntRange(0, 3).Draw(t, "long container name") == 0 {
		b.longName = "c-" + strings.Repeat("x", 68)
		h.Containers.Containers = append(h.Containers.Containers, host.Container{Name: b.longName, Image: "busybox", Running: true, Role: "Container"})
	}
	if want := h.OS.Platform; want != "" && (dev.Platform == nil || dev.Platform.Name != want) && rapid.IntRange(0, 3).Draw(t, "foreign platform") == 0 {
		ps, err := c.w.nb.PlatformsPage(context.Background(), netbox.NameQuery{Name: want}, netbox.PageRequest{Limit: 10})
		if err != nil || len(ps.Items) != 1 {
			t.Fatalf("platform %s: %v %v", want, ps, err)
		}
		other := c.w.srv.Seed(t)
		b.foreign = ps.Items[0].ID
		if err := c.w.srv.Admin().Do(context.Background(), "PATCH", fmt.Sprintf("/api/dcim/platforms/%d/", b.foreign), nil, map[string]any{"manufacturer": other.ManufacturerID}, nil); err != nil {
			t.Fatalf("binding the platform: %v", err)
		}
	}
	if rapid.IntRange(0, 3).Draw(t, "required custom field") == 0 {
		b.customField = true
		c.w.srv.RequiredCustomField(t, "owner", diff.ObjectInterface)
	}
	mine := snapshotOf(t, c.w.nb, c.name)
	// NetBox cables no virtual or wireless interface (dcim/constants.py
	// NONCONNECTABLE_IFACE_TYPES).
	cabled := func(typ string) bool {
		return typ != "virtual" && typ != "bridge" && typ != "lag" && !strings.HasPrefix(typ, "ieee802.11") && typ != "other-wireless"
	}
	theirs := slices.DeleteFunc(snapshotOf(t, c.w.nb, neighbour.name).Interfaces, func(i record.Interface) bool { return !cabled(i.Type) })
	if len(theirs) > 0 && rapid.IntRange(0, 2).Draw(t, "cable") == 0 {
		for _, l := range h.Network.Interfaces {
			if l.Type != "virtual" && l.Type != "bridge" {
				continue
			}
			for _, i := range mine.Interfaces {
				if i.Name == l.Name && i.Type != l.Type && cabled(i.Type) {
					b.cable = c.w.srv.Cable(t, i.ID, theirs[0].ID)
				}
			}
			if b.cable != 0 {
				break
			}
		}
	}
	if rapid.IntRange(0, 2).Draw(t, "populated range") == 0 {
		for _, l := range h.Network.Interfaces {
			for _, p := range l.IPv4 {
				known, err := c.w.nb.ListIPAddresses(ctx, netbox.IPAddressQuery{Addresses: []string{p.Addr().String()}})
				if err != nil {
					t.Fatalf("IPs: %v", err)
				}
				if len(known) > 0 || b.ipRange != 0 {
					continue
				}
				b.ipRange = c.w.srv.PopulatedRange(t, p.String(), netip.PrefixFrom(p.Addr().Next(), p.Bits()).String())
			}
		}
	}
	switch rapid.IntRange(0, 5).Draw(t, "token") {
	case 0:
		b.token, b.noView = c.w.srv.TokenWithoutVirtualization(t), true
	case 1:
		b.token = c.w.srv.TokenViewingVirtualization(t)
	}
	return b
}

// explains reports whether a blocker explains NetBox's refusal of a change
// (one the differ could not see coming: it cannot tell a cable, a range or
// a permission, nor a custom field of a type none of whose objects it read).
func (b blockers) explains(cr apply.ChangeResult) bool {
	c := cr.Change
	switch {
	case b.cable != 0 && c.ObjectType == diff.ObjectInterface && c.Field == diff.FieldType:
		return strings.Contains(cr.Message, "cannot have a cable attached")
	case b.ipRange != 0 && c.ObjectType == diff.ObjectIPAddress && strings.Contains(cr.Message, "inside range"):
		// NetBox checks the range on every save, a move or a mask too.
		return true
	case b.customField && c.ObjectType == diff.ObjectInterface && strings.Contains(cr.Message, "custom field"):
		return true
	case b.token != "" && !b.noView && strings.HasPrefix(c.ObjectType, "virtualization.") && cr.Kind == netbox.KindPermission:
		return true
	}
	return false
}

// clear removes the blockers from the host and from NetBox, and returns
// how many DELETEs that sent (a cable is unplugged by deleting it).
func (b *blockers) clear(t *rapid.T, c propCase, h *host.Host) int {
	b.cleared = true
	deletes := 0
	if b.cable != 0 {
		if err := c.w.srv.Admin().Do(context.Background(), "DELETE", fmt.Sprintf("/api/dcim/cables/%d/", b.cable), nil, nil, nil); err != nil {
			t.Fatalf("unplugging the cable: %v", err)
		}
		deletes++
	}
	if b.ipRange != 0 {
		if err := c.w.srv.Admin().Do(context.Background(), "PATCH", fmt.Sprintf("/api/ipam/ip-ranges/%d/", b.ipRange), nil, map[string]any{"mark_populated": false}, nil); err != nil {
			t.Fatalf("the IP range: %v", err)
		}
	}
	if b.longName != "" {
		h.Containers.Containers = slices.DeleteFunc(h.Containers.Containers, func(ct host.Container) bool { return ct.Name == b.longName })
	}
	// From NetBox 4.4 on a platform's name is unique per manufacturer: the
	// sync made its own beside the foreign one, which blocks nothing and
	// could not be freed now (the name is taken among the platforms of no
	// manufacturer).
	if b.foreign != 0 && !c.w.srv.AtLeast(4) {
		if err := c.w.srv.Admin().Do(context.Background(), "PATCH", fmt.Sprintf("/api/dcim/platforms/%d/", b.foreign), nil, map[string]any{"manufacturer": nil}, nil); err != nil {
			t.Fatalf("freeing the platform: %v", err)
		}
	}
	return deletes
}

// checkBlockedApply: every change of the plan is written, or reported as
// not written with its reason; a change not written is blocked in the
// plan, depends on one that did not apply, or was refused by NetBox for a
// drawn blocker; and a fresh diff plans again only what was not written.
func checkBlockedApply(t *rapid.T, b blockers, plan diff.Plan, res apply.Result, again diff.Plan, journal string) {
	notWritten := map[int]bool{}
	for i, cr := range res.Changes {
		if cr.Outcome == apply.OutcomeApplied {
			continue
		}
		notWritten[i] = true
		if cr.Message == "" {
			t.Fatalf("%s: %s without a reason", apply.Describe(cr.Change), cr.Outcome)
		}
		if cr.Outcome == apply.OutcomeFailed {
			if !b.explains(cr) {
				t.Fatalf("%s failed, and no blocker explains it: %s", apply.Describe(cr.Change), cr.Message)
			}
		} else if cr.Change.Blocked == "" && !strings.HasPrefix(cr.Message, "depends on a change that did not apply: ") &&
			!strings.HasPrefix(cr.Message, "still the device's primary IP") {
			t.Fatalf("%s: %s although nothing blocks it: %s", apply.Describe(cr.Change), cr.Outcome, cr.Message)
		}
		if cr.Change.Blocked != "" && cr.Message != cr.Change.Blocked {
			t.Fatalf("%s: reported %q, blocked for %q", apply.Describe(cr.Change), cr.Message, cr.Change.Blocked)
		}
		if !strings.Contains(journal, "- "+apply.JournalLine(cr.Change)) && res.JournalEntryID != 0 {
			t.Fatalf("the journal does not list %s", apply.Describe(cr.Change))
		}
	}
	for _, c := range plan.Changes {
		if c.Blocked != "" && !slices.ContainsFunc(res.Changes, func(cr apply.ChangeResult) bool {
			return sameChange(cr.Change, c) && cr.Outcome == apply.OutcomeSkipped
		}) {
			t.Fatalf("blocked %s is not reported skipped", apply.Describe(c))
		}
	}
	for _, ch := range again.Changes {
		found := false
		for i := range notWritten {
			if sameChange(res.Changes[i].Change, ch) || ch.Supporting {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s is planned again although it was reported applied", apply.Describe(ch))
		}
	}
}

// snapshotOf reads a device's full state for before/after comparisons.
func snapshotOf(t *rapid.T, nb *netbox.Client, name string) record.Snapshot {
	s, err := nb.SnapshotFor(context.Background(), netbox.SnapshotQuery{Hostname: name, Containers: true})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", name, err)
	}
	sort.Slice(s.Interfaces, func(i, j int) bool { return s.Interfaces[i].ID < s.Interfaces[j].ID })
	s.Platforms = nil
	return s
}

// propertyChecksEnv sets how many cases the property tests run (rapid's
// -rapid.checks, default 100); .ci/run sets 500. A flag would reach every
// test binary of `go test ./...`, and most do not define it.
const propertyChecksEnv = "CMDB_PROPERTY_CHECKS"

func setPropertyChecks(t *testing.T) {
	v := os.Getenv(propertyChecksEnv)
	if v == "" {
		return
	}
	f := flag.Lookup("rapid.checks")
	if f == nil || f.Value.String() != f.DefValue {
		return // set on the command line: that wins
	}
	if err := f.Value.Set(v); err != nil {
		t.Fatalf("%s=%q: %v", propertyChecksEnv, v, err)
	}
}

func TestPropertySyncConvergesAgainstNetBoxRules(t *testing.T) {
	setPropertyChecks(t)
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		// A fresh simulator per case, so that a failing case replays alike
		// while rapid shrinks it.
		w := newSimWorld(t)
		platforms := map[string]int64{}
		for i, name := range platformPool[1:] {
			p, err := w.nb.CreatePlatform(ctx, netbox.PlatformCreate{Name: name, Slug: fmt.Sprintf("p-%d", i)}, netbox.WriteOptions{})
			if err != nil {
				t.Fatalf("platform: %v", err)
			}
			platforms[name] = p.ID
		}
		n := 1
		c := propCase{
			n: n, w: w, name: fmt.Sprintf("prop-%d", n),
			addr4: func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(n / 250), byte(n % 250), byte(i)}) },
			addr6: func(i int) netip.Addr {
				return netip.AddrFrom16([16]byte{0xfd, 0, 0, 0, byte(n >> 8), byte(n), 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i)})
			},
			mac: func(i int) string { return fmt.Sprintf("02:%02x:%02x:00:00:%02x", n>>8, n&0xff, i) },
		}
		dev := genNetBox(t, c, platforms)
		// A neighbour on the same site, whose record no sync may touch.
		neighbour := propCase{n: n, w: w, name: c.name + "-neighbour", addr4: func(i int) netip.Addr {
			return netip.AddrFrom4([4]byte{10, 200 + byte(n/250), byte(n % 250), byte(i)})
		}, addr6: func(i int) netip.Addr {
			return netip.AddrFrom16([16]byte{0xfd, 1, 0, 0, byte(n >> 8), byte(n), 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i)})
		}, mac: func(i int) string { return fmt.Sprintf("06:%02x:%02x:00:00:%02x", n>>8, n&0xff, i) }}
		genNetBox(t, neighbour, platforms)
		// The host may have this address too: NetBox then holds it for
		// another device, and the sync must leave it be.
		if ifs := snapshotOf(t, w.nb, neighbour.name).Interfaces; len(ifs) > 0 {
			if _, err := w.nb.CreateIPAddresses(ctx, []netbox.IPAddressCreate{{Address: netip.PrefixFrom(c.addr4(13), 24).String(), InterfaceID: ifs[0].ID}}, netbox.WriteOptions{}); err != nil {
				t.Fatalf("seeding the neighbour: %v", err)
			}
		}
		h := genHost(t, c)
		blocks := drawBlockers(t, c, neighbour, &h, dev)
		before := snapshotOf(t, w.nb, neighbour.name)
		// Roles and the cluster type are shared by every device: only the
		// neighbour's own objects are compared.
		before.Roles, before.ClusterType = nil, nil

		e := blocks.engine(t, w, h)
		w.srv.Sim.ResetRequests()
		plan, err := e.Diff(ctx, DiffRequest{Full: rapid.Bool().Draw(t, "full")})
		if err != nil {
			t.Fatalf("diff: %v", err)
		}
		res, err := e.Apply(ctx, plan.ID)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		deletes := 0 // the test's own, clearing the blockers
		if blocks.any() {
			again, err := e.Diff(ctx, DiffRequest{})
			if err != nil {
				t.Fatalf("diff after the blocked apply: %v", err)
			}
			journal := ""
			if res.JournalEntryID != 0 {
				journal = journalText(t, w.srv.Admin(), res.JournalEntryID)
			}
			checkBlockedApply(t, blocks, plan, res, again, journal)
			deletes = blocks.clear(t, c, &h)
			e = blocks.engine(t, w, h)
			plan, err = e.Diff(ctx, DiffRequest{})
			if err != nil {
				t.Fatalf("diff after clearing the blockers: %v", err)
			}
			if plan.Summary().Blocked != 0 {
				t.Fatalf("still blocked after clearing: %v", plan.Changes)
			}
			res, err = e.Apply(ctx, plan.ID)
			if err != nil {
				t.Fatalf("apply after clearing the blockers: %v", err)
			}
		}
		for _, cr := range res.Changes {
			if cr.Outcome != apply.OutcomeApplied {
				t.Fatalf("%s %s %s %s: %s: %s", cr.Change.Action, cr.Change.ObjectType, cr.Change.Object, cr.Change.Field, cr.Outcome, cr.Message)
			}
		}
		if res.JournalError != "" {
			t.Fatalf("journal: %s", res.JournalError)
		}
		again, err := e.Diff(ctx, DiffRequest{})
		if err != nil {
			t.Fatalf("second diff: %v", err)
		}
		if len(again.Changes) != 0 {
			var rows []string
			for _, ch := range again.Changes {
				rows = append(rows, fmt.Sprintf("%s %s %q %s: %q -> %q", ch.Action, ch.ObjectType, ch.Object, ch.Field, ch.Old, ch.New))
			}
			t.Fatalf("diff -> apply -> diff is not empty:\n%v", rows)
		}
		if w.deletes() != deletes {
			t.Fatalf("a sync sent DELETE")
		}
		after := snapshotOf(t, w.nb, c.name)
		if after.Device.Description != "keep me" {
			t.Fatalf("description changed to %q", after.Device.Description)
		}
		b1, _ := json.Marshal(before)
		now := snapshotOf(t, w.nb, neighbour.name)
		now.Roles, now.ClusterType = nil, nil
		b2, _ := json.Marshal(now)
		if string(b1) != string(b2) {
			t.Fatalf("the neighbour changed:\nbefore %s\nafter  %s", b1, b2)
		}
	})
}

// journalText reads a journal entry's comments.
func journalText(t *rapid.T, nb netboxsim.Admin, id int64) string {
	var e struct{ Comments string }
	if err := nb.Do(context.Background(), "GET", fmt.Sprintf("/api/extras/journal-entries/%d/", id), nil, nil, &e); err != nil {
		t.Fatalf("journal entry %d: %v", id, err)
	}
	return e.Comments
}
