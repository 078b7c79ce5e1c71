// Package netif discovers the host's network interfaces: names, MACs, MTUs,
// states, addresses, the NetBox interface type of each, and the default
// routes that decide the primary addresses.
//
// Interfaces and addresses come from the kernel (net.Interfaces, i.e.
// rtnetlink) of the network namespace the process runs in, so in a
// container it needs the host's network (docker run --network host). The
// facts behind the type come from sysfs and the routes from procfs, under
// the configured roots.
package netif

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// Options says where to look and which interfaces to report.
type Options struct {
	// SysRoot and ProcRoot are the host's /sys and /proc; empty means those.
	SysRoot  string
	ProcRoot string
	// Include, when not empty, keeps only interfaces whose name matches one
	// of these path.Match globs.
	Include []string
	// Exclude drops interfaces whose name matches one of these globs, after
	// Include. Nil means DefaultExclude(); an empty non-nil slice drops none.
	Exclude []string
	// IncludeLinkLocal keeps fe80::/10 addresses, which every IPv6 interface
	// has and which mean nothing outside their link.
	IncludeLinkLocal bool
}

// DefaultExclude is the exclude list used when Options.Exclude is nil:
//   - veth*: the host ends of container veth pairs, which come and go with
//     the containers;
//   - the fallback devices the kernel makes, always down, in a network
//     namespace once a tunnel module is loaded (sit0, tunl0, ip6tnl0, gre0,
//     gretap0, erspan0, ip6gre0, ip_vti0, ip6_vti0), and the ifb module's
//     ifb0, ifb1 (traffic-shaping helpers): present on many hosts, a link
//     of none.
func DefaultExclude() []string {
	return []string{"veth*", "sit0", "tunl0", "ip6tnl0", "gre0", "gretap0", "erspan0", "ip6gre0", "ip_vti0", "ip6_vti0", "ifb*"}
}

// Validate reports a malformed glob.
func (o Options) Validate() error {
	for _, g := range append(append([]string(nil), o.Include...), o.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("interface name pattern %q: %w", g, err)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.SysRoot == "" {
		o.SysRoot = "/sys"
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.Exclude == nil {
		o.Exclude = DefaultExclude()
	}
	return o
}

// InScope returns the test discovery applies to interface names: Include
// (when set), then Exclude (DefaultExclude when nil). The diff takes it as
// its interface scope, so that NetBox interfaces discovery leaves out are
// never marked offline.
func (o Options) InScope() func(name string) bool {
	return o.withDefaults().wanted
}

// wanted applies Include and Exclude to an interface name.
func (o Options) wanted(name string) bool {
	if len(o.Include) > 0 && !matchAny(o.Include, name) {
		return false
	}
	return !matchAny(o.Exclude, name)
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// Discover lists the interfaces of the current network namespace and reads
// the default routes (Interfaces, then DefaultRoutes and UseRoutes). It
// fails for a malformed glob in o or when the kernel will not list
// interfaces; facts that cannot be read otherwise are left unknown with a
// note.
func Discover(ctx context.Context, o Options) (host.Network, error) {
	return discover(ctx, o, kernelLinks)
}

// Interfaces lists the interfaces of the current network namespace with
// their addresses and sysfs facts, without the routes.
func Interfaces(ctx context.Context, o Options) (host.Network, error) {
	return interfaces(ctx, o, kernelLinks)
}

// DefaultRoutes reads the default IPv4 and IPv6 routes from procfs: nil
// for a family without one; unknown, when the IPv4 table could not be read
// at all, says why (every Linux kernel has it, IPv6 or not, so the routes
// are then unknown, not absent: a proc root that is not the host's /proc,
// say); and notes about an IPv6 table that could not be read (a missing
// one, IPv6 disabled, is not worth one).
func DefaultRoutes(o Options) (v4, v6 *host.Route, unknown string, notes []string) {
	o = o.withDefaults()
	rt4, ok, err := defaultRoute(filepath.Join(o.ProcRoot, "net", "route"), ParseRouteTable)
	switch {
	case err != nil:
		unknown = fmt.Sprintf("%v (is %s the host's /proc?)", err, o.ProcRoot)
	case ok:
		v4 = &rt4
	}
	rt6, ok, err := defaultRoute(filepath.Join(o.ProcRoot, "net", "ipv6_route"), ParseIPv6RouteTable)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		notes = append(notes, fmt.Sprintf("default route: %v", err))
	case ok:
		v6 = &rt6
	}
	return v4, v6, unknown, notes
}

// UseRoutes sets n's default routes and the primary addresses they give:
// the first global address of each route's interface.
func UseRoutes(n *host.Network, v4, v6 *host.Route) {
	if v4 != nil {
		n.DefaultIPv4 = v4
		n.PrimaryIPv4 = primary(n, "ipv4", *v4, func(i host.Interface) []netip.Prefix { return i.IPv4 })
	}
	if v6 != nil {
		n.DefaultIPv6 = v6
		n.PrimaryIPv6 = primary(n, "ipv6", *v6, func(i host.Interface) []netip.Prefix { return i.IPv6 })
	}
}

// link is an interface as rtnetlink lists it.
type link struct {
	name    string
	index   int
	mtu     int
	flags   net.Flags
	mac     net.HardwareAddr
	addrs   []netip.Prefix
	addrErr error
}

func kernelLinks() ([]link, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	links := make([]link, 0, len(ifs))
	for _, ifi := range ifs {
		l := link{name: ifi.Name, index: ifi.Index, mtu: ifi.MTU, flags: ifi.Flags, mac: ifi.HardwareAddr}
		addrs, err := ifi.Addrs()
		l.addrErr = err
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if p, err := prefixFromIPNet(ipn); err == nil {
				l.addrs = append(l.addrs, p)
			} else if l.addrErr == nil {
				l.addrErr = err
			}
		}
		links = append(links, l)
	}
	return links, nil
}

func discover(ctx context.Context, o Options, links func() ([]link, error)) (host.Network, error) {
	n, err := interfaces(ctx, o, links)
	if err != nil {
		return n, err
	}
	v4, v6, unknown, notes := DefaultRoutes(o)
	n.RoutesUnknown = unknown
	n.Notes = append(n.Notes, notes...)
	UseRoutes(&n, v4, v6)
	return n, ctx.Err()
}

func interfaces(ctx context.Context, o Options, links func() ([]link, error)) (host.Network, error) {
	if err := ctx.Err(); err != nil {
		return host.Network{}, err
	}
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return host.Network{}, err
	}
	ls, err := links()
	if err != nil {
		return host.Network{}, fmt.Errorf("list network interfaces: %w", err)
	}

	n := host.Network{Interfaces: []host.Interface{}}
	flags6 := readIfInet6(&n, filepath.Join(o.ProcRoot, "net", "if_inet6"))
	for _, l := range ls {
		if l.flags&net.FlagLoopback != 0 || !o.wanted(l.name) {
			continue
		}
		if l.addrErr != nil {
			note(&n, "%s addresses: %v", l.name, l.addrErr)
		}
		n.Interfaces = append(n.Interfaces, describe(o, l, flags6))
	}
	return n, ctx.Err()
}

// describe turns one kernel link into an Interface.
func describe(o Options, l link, flags6 map[addrKey]uint32) host.Interface {
	facts := readLinkFacts(o.SysRoot, l.name)
	typ, reason := classify(l.name, facts)
	ifc := host.Interface{
		Name:       l.name,
		Index:      l.index,
		Type:       typ,
		TypeReason: reason,
		MAC:        NormalizeMAC(l.mac.String()),
		MTU:        l.mtu,
		AdminUp:    l.flags&net.FlagUp != 0,
		Master:     facts.master,
	}
	if b, err := os.ReadFile(filepath.Join(o.SysRoot, "class", "net", l.name, "operstate")); err == nil {
		ifc.OperState = strings.TrimSpace(string(b))
	}
	ifc.DockerManaged = isDockerBridgeName(l.name) && (typ == TypeBridge || !facts.known)
	for _, p := range l.addrs {
		a := p.Addr()
		switch {
		case a.Is4():
			ifc.IPv4 = append(ifc.IPv4, p)
		case a.IsLinkLocalUnicast() && !o.IncludeLinkLocal:
		case flags6[addrKey{l.name, a}]&(ifaTemporary|ifaDADFailed) != 0:
		default:
			ifc.IPv6 = append(ifc.IPv6, p)
		}
	}
	return ifc
}

// isDockerBridgeName matches docker0 and the br-<first 12 hex digits of the
// network id> bridges of user-defined Docker networks.
func isDockerBridgeName(name string) bool {
	if name == "docker0" {
		return true
	}
	id, ok := strings.CutPrefix(name, "br-")
	if !ok || len(id) != 12 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// primary returns the first global address of the default route's
// interface, noting why there is none.
func primary(n *host.Network, family string, rt host.Route, addrs func(host.Interface) []netip.Prefix) netip.Prefix {
	ifc, ok := n.Interface(rt.Interface)
	if !ok {
		note(n, "primary %s: the default route is via %s, which is not reported (excluded?)", family, rt.Interface)
		return netip.Prefix{}
	}
	for _, p := range addrs(ifc) {
		if p.Addr().IsGlobalUnicast() {
			return p
		}
	}
	note(n, "primary %s: %s, the default route's interface, has no global address", family, rt.Interface)
	return netip.Prefix{}
}

// defaultRoute reads one route table and picks its default route; err
// says why the table could not be read.
func defaultRoute(file string, parse func(r io.Reader) ([]host.Route, error)) (host.Route, bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return host.Route{}, false, err
	}
	defer f.Close()
	routes, err := parse(f)
	if err != nil {
		return host.Route{}, false, fmt.Errorf("%s: %w", file, err)
	}
	rt, ok := DefaultRoute(routes)
	return rt, ok, nil
}

// readIfInet6 reads IPv6 address flags; without them no address is dropped
// as temporary.
func readIfInet6(n *host.Network, file string) map[addrKey]uint32 {
	f, err := os.Open(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			note(n, "ipv6 address flags: %v", err)
		}
		return nil
	}
	defer f.Close()
	flags, err := parseIfInet6(f)
	if err != nil {
		note(n, "ipv6 address flags: %s: %v", file, err)
	}
	return flags
}

func note(n *host.Network, format string, args ...any) {
	n.Notes = append(n.Notes, fmt.Sprintf(format, args...))
}
