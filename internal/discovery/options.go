package discovery

import (
	"context"
	"path/filepath"
	"time"

	"github.com/shirou/gopsutil/v4/common"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/netif"
)

// Environment variables that point discovery at the host's filesystems when
// it runs in a container with them mounted (e.g. -v /proc:/host/proc:ro).
// They are the ones gopsutil reads, so one setting serves both.
const (
	EnvHostProc = "HOST_PROC"
	EnvHostSys  = "HOST_SYS"
	EnvHostEtc  = "HOST_ETC"
	EnvHostRoot = "HOST_ROOT"
)

// Environment variables of the deadlines (Deadlines), read by the CLI
// with their flags --discovery-timeout and --docker-timeout.
const (
	EnvDiscoveryTimeout = "CMDB_DISCOVERY_TIMEOUT"
	EnvDockerTimeout    = "CMDB_DOCKER_TIMEOUT"
)

// Default deadlines. Reading the host's own files and kernel takes
// milliseconds; a source still silent after seconds is stuck. Docker gets
// longer: it inspects every container (a few hundred take well under a
// second on an idle engine, more on a loaded one).
const (
	DefaultLocalDeadline  = 5 * time.Second
	DefaultDockerDeadline = 10 * time.Second
)

// Deadlines bound the sources of a discovery. Zero means the default.
type Deadlines struct {
	// Local bounds each source on the host itself: the OS (/etc, /proc),
	// the hardware (/sys, /proc, the root filesystem), the interfaces
	// (netlink, /sys) and the default routes (/proc/net).
	Local time.Duration
	// Docker bounds container discovery, every inspect included.
	Docker time.Duration
}

func (d Deadlines) local() time.Duration {
	if d.Local <= 0 {
		return DefaultLocalDeadline
	}
	return d.Local
}

func (d Deadlines) docker() time.Duration {
	if d.Docker <= 0 {
		return DefaultDockerDeadline
	}
	return d.Docker
}

// Default roots on a host where discovery runs natively.
const (
	DefaultProcRoot = "/proc"
	DefaultSysRoot  = "/sys"
	DefaultEtcRoot  = "/etc"
	DefaultHostRoot = "/"
)

// Options says where the host's facts are. The zero value discovers the
// machine the process runs on.
type Options struct {
	// ProcRoot, SysRoot and EtcRoot are the host's /proc, /sys and /etc.
	// Empty means the default path.
	ProcRoot string
	SysRoot  string
	EtcRoot  string
	// HostRoot is the host's root filesystem, whose size is the root disk.
	// Empty means "/".
	HostRoot string
	// Hostname, when set, is used instead of the discovered name.
	Hostname string
	// Network selects the interfaces to report. Its SysRoot and ProcRoot,
	// when empty, are the ones above.
	Network netif.Options
	// Containers tunes Docker discovery (DOCKER_HOST and the usual Docker
	// environment say where the engine is).
	Containers containers.Options
	// SkipContainers leaves Docker out: Host.Containers then says why.
	SkipContainers bool
	// Deadlines bound each source.
	Deadlines Deadlines
}

// OptionsFromEnv reads HOST_PROC, HOST_SYS, HOST_ETC and HOST_ROOT through
// getenv (os.Getenv in production), falling back to the default paths.
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{
		ProcRoot: getenv(EnvHostProc),
		SysRoot:  getenv(EnvHostSys),
		EtcRoot:  getenv(EnvHostEtc),
		HostRoot: getenv(EnvHostRoot),
	}.withDefaults()
}

func (o Options) withDefaults() Options {
	o.ProcRoot = cleanOr(o.ProcRoot, DefaultProcRoot)
	o.SysRoot = cleanOr(o.SysRoot, DefaultSysRoot)
	o.EtcRoot = cleanOr(o.EtcRoot, DefaultEtcRoot)
	o.HostRoot = cleanOr(o.HostRoot, DefaultHostRoot)
	o.Network.SysRoot = cleanOr(o.Network.SysRoot, o.SysRoot)
	o.Network.ProcRoot = cleanOr(o.Network.ProcRoot, o.ProcRoot)
	return o
}

func cleanOr(p, dflt string) string {
	if p == "" {
		return dflt
	}
	return filepath.Clean(p)
}

// etcIsForeign reports whether /etc is mounted from elsewhere (a container
// looking at its host), in which case the kernel's hostname and absolute
// symlinks under /etc belong to the container, not to the host.
func (o Options) etcIsForeign() bool { return o.EtcRoot != DefaultEtcRoot }

// gopsutilContext hands the roots to gopsutil through its context map, so
// that tests can point it at fixtures without touching the process
// environment. Every key is set: gopsutil falls back to os.Getenv for an
// empty one, which would mix two hosts.
func (o Options) gopsutilContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, common.EnvKey, common.EnvMap{
		common.HostProcEnvKey: o.ProcRoot,
		common.HostSysEnvKey:  o.SysRoot,
		common.HostEtcEnvKey:  o.EtcRoot,
		common.HostRootEnvKey: o.HostRoot,
	})
}
