// Package discovery finds out what the host it runs on is: its name, its
// operating system, its hardware identity, and (in later issues) its network
// interfaces and Docker containers.
//
// A fact that cannot be read is left as the empty string (or zero), which
// means "unknown": the differ never lets an unknown overwrite a value NetBox
// already has.
package discovery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	pshost "github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

// Discoverer discovers the host that its Options point at. The zero value
// discovers the machine it runs on.
type Discoverer struct {
	Options

	// readFile reads one file; tests replace it to simulate errors that
	// root, who runs them, never gets (permission denied), or a hung read.
	readFile func(name string) ([]byte, error)
	// network lists interfaces and routes (netif.Discover); tests of
	// fixture hosts replace it, since interfaces come from the kernel, not
	// from files. Without it, interfaces (netif.Interfaces) and routes
	// (routes) are read, each within its deadline.
	network func(context.Context, netif.Options) (host.Network, error)
	// routes reads the default routes (netif.DefaultRoutes); tests
	// replace it.
	routes func(netif.Options) (v4, v6 *host.Route, unknown string, notes []string)
	// docker lists containers (containers.DiscoverLocal); tests replace it.
	docker func(context.Context, containers.Options) host.Containers
}

// Discover reads the host's facts. A fact that cannot be read is left
// unknown ("" or 0) with a line in Host.Notes; Discover itself fails only
// for a malformed interface name pattern in Options.Network, or when ctx is
// done.
//
// Its sources run side by side, each within its deadline (Options.Deadlines):
// the OS (/etc, /proc), the hardware (/sys, /proc, the root filesystem),
// the interfaces (netlink, /sys), the default routes (/proc/net) and
// Docker. A source that passes its deadline (a hung Docker engine, a stuck
// network filesystem under HOST_PROC) is left out with a note, as when it
// cannot be read at all, and the rest of the sync goes on.
func (d Discoverer) Discover(ctx context.Context) (host.Host, error) {
	if err := ctx.Err(); err != nil {
		return host.Host{}, err
	}
	opts := d.Options.withDefaults()
	if err := opts.Network.Validate(); err != nil {
		return host.Host{}, err
	}
	readFile := d.readFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	local, docker := opts.Deadlines.local(), opts.Deadlines.docker()
	newProbe := func() *probe { return &probe{opts: opts, readFile: readFile} }

	type system struct {
		hostname string
		os       host.OS
		notes    []string
	}
	type hardware struct {
		hw    host.Hardware
		notes []string
	}
	sysDone := start(ctx, local, func(ctx context.Context) system {
		p := newProbe()
		name := p.hostname()
		o := p.operatingSystem(opts.gopsutilContext(ctx))
		return system{name, o, p.notes}
	})
	hwDone := start(ctx, local, func(ctx context.Context) hardware {
		p := newProbe()
		var hw host.Hardware
		p.firmware(&hw)
		p.size(opts.gopsutilContext(ctx), &hw)
		return hardware{hw, p.notes}
	})
	netDone := make(chan networkFacts, 1)
	go func() { netDone <- d.readNetwork(ctx, opts, local) }()
	dockerLate := host.Containers{Containers: []host.Container{}, Reason: fmt.Sprintf(
		"Docker did not answer within %s (a hung engine?); containers are not compared. Raise %s (--docker-timeout) if it is only slow", docker, EnvDockerTimeout)}
	ctrDone := start(ctx, docker, func(ctx context.Context) host.Containers {
		c := d.containers(ctx)
		if !c.Available && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The client gave up at the deadline: its error ("context
			// deadline exceeded") says less than the deadline does.
			return dockerLate
		}
		return c
	})

	var h host.Host
	if sys, ok := sysDone.wait(); ok {
		h.Hostname, h.OS = sys.hostname, sys.os
		h.Notes = append(h.Notes, sys.notes...)
	} else {
		h.Notes = append(h.Notes, fmt.Sprintf("os: no answer within %s reading %s and %s; the host name and platform are left unknown", local, opts.EtcRoot, opts.ProcRoot))
	}
	if hw, ok := hwDone.wait(); ok {
		h.Hardware = hw.hw
		h.Notes = append(h.Notes, hw.notes...)
	} else {
		h.Notes = append(h.Notes, fmt.Sprintf("hardware: no answer within %s reading %s, %s and %s; serial, model and size are left unknown", local, opts.SysRoot, opts.ProcRoot, opts.HostRoot))
	}
	nw := <-netDone
	h.Network = nw.n
	h.Notes = append(h.Notes, nw.notes...)
	if c, ok := ctrDone.wait(); ok {
		h.Containers = c
	} else {
		h.Containers = dockerLate
	}
	return h, ctx.Err()
}

// networkFacts is what network discovery found, with the notes that
// belong in Host.Notes.
type networkFacts struct {
	n     host.Network
	notes []string
}

// readNetwork reads the interfaces and the default routes, each within
// the deadline.
func (d Discoverer) readNetwork(ctx context.Context, opts Options, deadline time.Duration) (out networkFacts) {
	type listed struct {
		n   host.Network
		err error
	}
	if d.network != nil {
		l, ok := start(ctx, deadline, func(ctx context.Context) listed {
			n, err := d.network(ctx, opts.Network)
			return listed{n, err}
		}).wait()
		switch {
		case !ok:
			out.notes = append(out.notes, fmt.Sprintf("network: no answer within %s; interfaces and IPs are not compared", deadline))
		case l.err != nil:
			out.notes = append(out.notes, "network: "+l.err.Error())
		default:
			out.n = l.n
		}
		return out
	}
	l, ok := start(ctx, deadline, func(ctx context.Context) listed {
		n, err := netif.Interfaces(ctx, opts.Network)
		return listed{n, err}
	}).wait()
	switch {
	case !ok:
		out.notes = append(out.notes, fmt.Sprintf("network: no answer within %s listing interfaces (netlink, %s); interfaces and IPs are not compared", deadline, opts.Network.SysRoot))
		return out
	case l.err != nil:
		out.notes = append(out.notes, "network: "+l.err.Error())
		return out
	}
	out.n = l.n
	routes := d.routes
	if routes == nil {
		routes = netif.DefaultRoutes
	}
	type found struct {
		v4, v6  *host.Route
		unknown string
		notes   []string
	}
	r, ok := start(ctx, deadline, func(context.Context) found {
		v4, v6, unknown, notes := routes(opts.Network)
		return found{v4, v6, unknown, notes}
	}).wait()
	if !ok {
		// The differ then keeps NetBox's primary IPs, with a note.
		out.n.RoutesUnknown = fmt.Sprintf("no answer within %s reading %s", deadline, filepath.Join(opts.Network.ProcRoot, "net"))
		return out
	}
	out.n.RoutesUnknown = r.unknown
	out.n.Notes = append(out.n.Notes, r.notes...)
	netif.UseRoutes(&out.n, r.v4, r.v6)
	return out
}

// containers lists Docker containers. Docker being unreachable is not an
// error: the result says why, and the rest of the sync goes on.
func (d Discoverer) containers(ctx context.Context) host.Containers {
	if d.SkipContainers {
		return host.Containers{Reason: "container discovery is turned off"}
	}
	docker := d.docker
	if docker == nil {
		docker = containers.DiscoverLocal
	}
	return docker(ctx, d.Containers)
}

// pending is a source running in a goroutine of its own.
type pending[T any] struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan T
}

// start runs f within deadline. f gets a context that ends at the
// deadline; a read that does not end with its context (a file on a hung
// filesystem) leaves f's goroutine behind when the deadline passes, so f
// must touch nothing but what it returns.
func start[T any](ctx context.Context, deadline time.Duration, f func(context.Context) T) pending[T] {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	p := pending[T]{ctx: ctx, cancel: cancel, done: make(chan T, 1)}
	go func() { p.done <- f(ctx) }()
	return p
}

// wait returns f's result, or ok false when the deadline passed (or the
// caller's context ended) first.
func (p pending[T]) wait() (v T, ok bool) {
	defer p.cancel()
	select {
	case v = <-p.done:
		return v, true
	case <-p.ctx.Done():
		select { // both ready: the result wins
		case v = <-p.done:
			return v, true
		default:
			return v, false
		}
	}
}

// probe carries the state of one Discover call.
type probe struct {
	opts     Options
	readFile func(string) ([]byte, error)
	notes    []string
}

// note records that fact could not be read. A *fs.PathError reads
// "fact: path: reason".
func (p *probe) note(fact string, err error) {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		p.notes = append(p.notes, fmt.Sprintf("%s: %s: %v", fact, pe.Path, pe.Err))
		return
	}
	p.notes = append(p.notes, fmt.Sprintf("%s: %v", fact, err))
}

// readFact reads a small text file. A missing file is simply absent (DMI on
// ARM, a device tree on x86) and gives ""; any other error is noted.
func (p *probe) readFact(fact, path string) string {
	data, err := p.readFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.note(fact, err)
		}
		return ""
	}
	return string(data)
}

func (p *probe) isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func (p *probe) exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// hostname returns the override, else (when /etc is the host's, mounted
// into a container) the host's /etc/hostname, else the kernel's hostname.
func (p *probe) hostname() string {
	if p.opts.Hostname != "" {
		return p.opts.Hostname
	}
	if p.opts.etcIsForeign() {
		path := filepath.Join(p.opts.EtcRoot, "hostname")
		data, err := p.readFile(path)
		switch {
		case err != nil:
			p.note("hostname", fmt.Errorf("%w; using this system's own name, which in a container is not the host's", err))
		case parseHostnameFile(data) == "":
			p.note("hostname", fmt.Errorf("%s is empty; using this system's own name", path))
		default:
			return parseHostnameFile(data)
		}
	}
	name, err := os.Hostname()
	if err != nil {
		p.note("hostname", err)
		return ""
	}
	return name
}

// parseHostnameFile returns the name in an /etc/hostname file: its first
// line that is not blank or a # comment (hostname(5)).
func parseHostnameFile(data []byte) string {
	for line := range bytes.Lines(data) {
		s := strings.TrimSpace(string(line))
		if s != "" && !strings.HasPrefix(s, "#") {
			return s
		}
	}
	return ""
}

// operatingSystem reads os-release, and the kernel and architecture from
// the running kernel (shared with any container).
func (p *probe) operatingSystem(ctx context.Context) host.OS {
	var o host.OS
	rel := p.osRelease()
	if rel != nil {
		o = host.OS{
			ID:         rel["ID"],
			Name:       rel["NAME"],
			Version:    rel["VERSION_ID"],
			PrettyName: rel["PRETTY_NAME"],
			Codename:   rel["VERSION_CODENAME"],
			Platform:   PlatformName(rel, p.exists(filepath.Join(p.opts.EtcRoot, "rpi-issue"))),
		}
		if o.Codename == "" {
			o.Codename = rel["UBUNTU_CODENAME"]
		}
	}
	var err error
	if o.Kernel, err = pshost.KernelVersionWithContext(ctx); err != nil {
		p.note("kernel", err)
	}
	if o.Arch, err = pshost.KernelArch(); err != nil {
		p.note("arch", err)
	}
	return o
}

// osRelease reads <etc>/os-release, else <etc>/../usr/lib/os-release, as
// os-release(5) orders them. It returns nil when neither can be read.
func (p *probe) osRelease() map[string]string {
	root := filepath.Dir(p.opts.EtcRoot)
	var firstErr error
	for _, path := range []string{
		filepath.Join(p.opts.EtcRoot, "os-release"),
		filepath.Join(root, "usr", "lib", "os-release"),
	} {
		if p.opts.etcIsForeign() {
			path = resolveUnder(root, path)
		}
		data, err := p.readFile(path)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		rel, err := ParseOSRelease(bytes.NewReader(data))
		if err != nil {
			p.note("os-release", fmt.Errorf("%s: %w", path, err))
			return nil
		}
		return rel
	}
	p.note("os-release", firstErr)
	return nil
}

// resolveUnder follows symlinks at the end of path as if root were "/": on a
// host, /etc/os-release may point at /usr/lib/os-release, which from a
// container must be read as <root>/usr/lib/os-release. Directories along
// the way are taken as they are.
func resolveUnder(root, path string) string {
	for range 8 {
		target, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if filepath.IsAbs(target) {
			path = filepath.Join(root, target)
		} else {
			path = filepath.Join(filepath.Dir(path), target)
		}
	}
	return path
}

// size fills in CPU count, memory and root disk through gopsutil, which
// reads the roots from ctx.
func (p *probe) size(ctx context.Context, hw *host.Hardware) {
	if n, err := cpu.CountsWithContext(ctx, true); err != nil {
		p.note("cpus", err)
	} else {
		hw.CPUs = n
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		p.note("memory", err)
	} else {
		hw.MemoryMB = roundDiv(vm.Total, mib)
	}
	if du, err := disk.UsageWithContext(ctx, p.opts.HostRoot); err != nil {
		p.note("root disk", fmt.Errorf("%s: %w", p.opts.HostRoot, err))
	} else {
		hw.RootDiskGB = roundDiv(du.Total, gib)
	}
}

func roundDiv(n, unit uint64) int64 { return int64((n + unit/2) / unit) }
