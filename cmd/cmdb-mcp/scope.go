package main

import (
	"flag"
	"fmt"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/rundir"
)

// Environment fallbacks of the scope flags.
const (
	envIncludeInterfaces    = "CMDB_INCLUDE_INTERFACES"
	envExcludeInterfaces    = "CMDB_EXCLUDE_INTERFACES"
	envIncludeDockerBridges = "CMDB_INCLUDE_DOCKER_BRIDGES"
	envNoContainers         = "CMDB_NO_CONTAINERS"
	envNoCreateClusters     = "CMDB_NO_CREATE_CLUSTERS"
	envIncludeContainers    = "CMDB_INCLUDE_CONTAINERS"
	envExcludeContainers    = "CMDB_EXCLUDE_CONTAINERS"
	envCustomFields         = diff.EnvCustomFields
)

// scopeFlags say what a sync covers. Each falls back to its variable.
type scopeFlags struct {
	include, exclude                           string
	includeContainers, excludeContainers       string
	dockerBridges, noContainers, noCreateClust string
	discoveryTimeout, dockerTimeout            string
	customFields                               string
}

func addScopeFlags(fs *flag.FlagSet) *scopeFlags {
	f := &scopeFlags{}
	fs.StringVar(&f.include, "include-interfaces", "", "comma-separated name globs of the interfaces to sync, default all (env "+envIncludeInterfaces+")")
	fs.StringVar(&f.exclude, "exclude-interfaces", "", "comma-separated name globs of interfaces to leave alone, default veth*, ifb* and the kernel's fallback tunnel devices (sit0, tunl0, ...) (env "+envExcludeInterfaces+")")
	fs.StringVar(&f.includeContainers, "include-containers", "", "comma-separated name globs of the containers to sync, default all (env "+envIncludeContainers+")")
	fs.StringVar(&f.excludeContainers, "exclude-containers", "", "comma-separated name globs of containers (and their VMs) to leave alone (env "+envExcludeContainers+")")
	fs.StringVar(&f.dockerBridges, "include-docker-bridges", "", "true syncs the addresses of docker0 and br-* too (env "+envIncludeDockerBridges+")")
	fs.StringVar(&f.noContainers, "no-containers", "", "true leaves Docker containers out (env "+envNoContainers+")")
	fs.StringVar(&f.noCreateClust, "no-create-clusters", "", "true skips containers instead of creating missing clusters (env "+envNoCreateClusters+")")
	fs.StringVar(&f.discoveryTimeout, "discovery-timeout", "", fmt.Sprintf("how long each local source of discovery (OS, hardware, interfaces, routes) may take before it is left out with a note, e.g. 5s; default %s (env %s)",
		discovery.DefaultLocalDeadline, discovery.EnvDiscoveryTimeout))
	fs.StringVar(&f.dockerTimeout, "docker-timeout", "", fmt.Sprintf("how long Docker may take to list and inspect the containers before they are left out with a note; default %s (env %s)",
		discovery.DefaultDockerDeadline, discovery.EnvDockerTimeout))
	fs.StringVar(&f.customFields, "custom-fields", "", `values for custom fields NetBox requires, a JSON object by object type, e.g. {"dcim.interface": {"owner": "infra"}} (env `+envCustomFields+")")
	return f
}

// scope is the parsed form of scopeFlags.
type scope struct {
	discovery discovery.Options
	diff      diff.Options
}

func (f *scopeFlags) resolve(e env) (scope, error) {
	var s scope
	var errs []string
	boolean := func(flagValue, name string) bool {
		v := envOr(e, flagValue, name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: want true or false", name, v))
		}
		return b
	}
	globs := func(flagValue, name string) []string {
		v := envOr(e, flagValue, name)
		if v == "" {
			return nil
		}
		out := []string{}
		for _, g := range strings.Split(v, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			if _, err := path.Match(g, ""); err != nil {
				errs = append(errs, fmt.Sprintf("%s: bad glob %q: %v", name, g, err))
			}
			out = append(out, g)
		}
		return out
	}
	duration := func(flagValue, name string) time.Duration {
		v := envOr(e, flagValue, name)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a positive Go duration such as 10s", name, v))
		}
		return d
	}
	s.discovery = discovery.OptionsFromEnv(e.getenv)
	s.discovery.Deadlines = discovery.Deadlines{
		Local:  duration(f.discoveryTimeout, discovery.EnvDiscoveryTimeout),
		Docker: duration(f.dockerTimeout, discovery.EnvDockerTimeout),
	}
	s.discovery.Network.Include = globs(f.include, envIncludeInterfaces)
	s.discovery.Network.Exclude = globs(f.exclude, envExcludeInterfaces)
	s.discovery.SkipContainers = boolean(f.noContainers, envNoContainers)
	s.diff.IncludeDockerBridges = boolean(f.dockerBridges, envIncludeDockerBridges)
	s.diff.NoCreateClusters = boolean(f.noCreateClust, envNoCreateClusters)
	s.diff.SkipContainers = s.discovery.SkipContainers
	// The same globs keep NetBox interfaces that discovery leaves out
	// (veth*, say) from being marked offline.
	s.diff.InterfaceInScope = s.discovery.Network.InScope()
	if inc, exc := globs(f.includeContainers, envIncludeContainers), globs(f.excludeContainers, envExcludeContainers); inc != nil || exc != nil {
		s.diff.ContainerInScope = func(name string) bool {
			return (len(inc) == 0 || matchAny(inc, name)) && !matchAny(exc, name)
		}
	}
	if v := envOr(e, f.customFields, envCustomFields); v != "" {
		cf, err := diff.ParseCustomFields(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s (--custom-fields): %v", envCustomFields, err))
		}
		s.diff.CustomFields = cf
	}
	if len(errs) > 0 {
		return scope{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return s, nil
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// newEngine wires the engine to NetBox and to discovery of this host (or of
// the host whose /proc, /sys and /etc HOST_PROC, HOST_SYS and HOST_ETC name),
// and to the runtime directory in which applies of one device take turns
// with other cmdb-mcp processes. Without one they take turns within this
// process only, which the log says.
func newEngine(e env, nb *netbox.Client, s scope) *engine.Engine {
	return newEngineWith(e, nb, s, discovery.Discoverer{Options: s.discovery})
}

// newEngineWith is newEngine with disc for this host's discovery.
func newEngineWith(e env, nb *netbox.Client, s scope, disc engine.Discoverer) *engine.Engine {
	opts := []engine.Option{engine.WithDiffOptions(s.diff)}
	if d, err := rundir.Resolve(e.getenv); err != nil {
		slog.Warn("no runtime directory: applies of this host wait for each other within this process only, not for other cmdb-mcp processes; set "+rundir.EnvDir+" to a directory they share", "error", err)
	} else {
		opts = append(opts, engine.WithRunDir(d))
	}
	return engine.New(nb, disc, opts...)
}
