// Package containers discovers the Docker containers on this host, running
// and stopped, with their size (vCPUs, memory), their Compose project and
// service, and a role guessed from their name and image.
//
// Docker being absent is not an error: Discover says so in Result.Reason and
// the rest of the sync goes on without containers. A size that Docker does
// not limit is reported as 0, which means "unknown", never a guess.
package containers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// DefaultConcurrency bounds the inspect calls in flight when Options leave
// it unset: enough to hide the round trips, few enough not to load dockerd.
const DefaultConcurrency = 8

// Options tune Discover. The zero value is ready to use.
type Options struct {
	Concurrency int        // inspect calls in flight at once; 0 means DefaultConcurrency
	Roles       []RoleRule // nil means DefaultRoleRules()
}

// API is the part of the Docker Engine API that Discover uses. *client.Client
// has it; tests pass fakes.
type API interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
}

var _ API = (*client.Client)(nil)

// Compose's own labels, which it sets on every container it creates.
const (
	LabelComposeProject = "com.docker.compose.project"
	LabelComposeService = "com.docker.compose.service"
)

// NewClient returns a Docker client configured the way the docker CLI is:
// DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY are
// honoured, and the API version is negotiated down to what the engine speaks,
// so an older dockerd still answers.
func NewClient() (*client.Client, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
}

// DiscoverLocal discovers the containers of the engine that NewClient finds.
func DiscoverLocal(ctx context.Context, opts Options) host.Containers {
	cli, err := NewClient()
	if err != nil {
		return unavailable(err)
	}
	defer cli.Close()
	return Discover(ctx, cli, opts)
}

// Discover lists every container, running or not, and inspects each for its
// limits, at most opts.Concurrency at a time. It never fails: when Docker
// cannot be asked, the Result says so.
func Discover(ctx context.Context, api API, opts Options) host.Containers {
	if api == nil {
		return unavailable(errors.New("no Docker client"))
	}
	summaries, err := api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return unavailable(err)
	}

	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	type outcome struct {
		c    host.Container
		gone bool   // removed between list and inspect
		note string // set when inspect failed for another reason
	}
	outcomes := make([]outcome, len(summaries))
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
launch:
	for i, s := range summaries {
		// Checked first: select picks at random when a slot and Done are
		// both ready, and a cancelled discovery should start nothing new.
		if ctx.Err() != nil {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		wg.Go(func() {
			defer func() { <-slots }()
			inspected, err := api.ContainerInspect(ctx, s.ID)
			switch {
			case err == nil:
				outcomes[i].c = fromInspect(inspected, s)
			case cerrdefs.IsNotFound(err):
				outcomes[i].gone = true
			default:
				outcomes[i].c = fromSummary(s)
				outcomes[i].note = fmt.Sprintf("container %s: inspect failed, vCPUs and memory unknown: %v", outcomes[i].c.Name, err)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return unavailable(fmt.Errorf("discovery interrupted: %w", err))
	}

	roles := opts.Roles
	if roles == nil {
		roles = DefaultRoleRules()
	}
	res := host.Containers{Available: true, Containers: make([]host.Container, 0, len(outcomes))}
	for _, o := range outcomes {
		if o.gone {
			continue
		}
		o.c.Role = RoleOf(o.c.Name, o.c.Image, roles)
		res.Containers = append(res.Containers, o.c)
		if o.note != "" {
			res.Notes = append(res.Notes, o.note)
		}
	}
	sort.Slice(res.Containers, func(i, j int) bool {
		a, b := res.Containers[i], res.Containers[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	sort.Strings(res.Notes)
	return res
}

func unavailable(err error) host.Containers {
	return host.Containers{Reason: fmt.Sprintf("Docker not available (%v)", err), Containers: []host.Container{}}
}

// fromSummary keeps what the list call already says; it is all there is
// when inspect fails.
func fromSummary(s container.Summary) host.Container {
	return host.Container{
		ID:             s.ID,
		Name:           summaryName(s.Names),
		Image:          s.Image,
		State:          s.State,
		Running:        s.State == container.StateRunning,
		ComposeProject: s.Labels[LabelComposeProject],
		ComposeService: s.Labels[LabelComposeService],
	}
}

// fromInspect prefers the inspect answer, which is newer than the list, and
// falls back on the list for anything it lacks.
func fromInspect(in container.InspectResponse, s container.Summary) host.Container {
	c := fromSummary(s)
	if in.ContainerJSONBase == nil {
		return c
	}
	if in.ID != "" {
		c.ID = in.ID
	}
	if name := strings.TrimPrefix(in.Name, "/"); name != "" {
		c.Name = name
	}
	if in.State != nil && in.State.Status != "" {
		c.State = in.State.Status
		c.Running = c.State == container.StateRunning
	}
	if in.Config != nil {
		// Config.Image is the reference as given at create time; the list
		// shows an image ID instead once that tag has moved on.
		if in.Config.Image != "" {
			c.Image = in.Config.Image
		}
		if p, ok := in.Config.Labels[LabelComposeProject]; ok {
			c.ComposeProject = p
		}
		if svc, ok := in.Config.Labels[LabelComposeService]; ok {
			c.ComposeService = svc
		}
	}
	if in.HostConfig != nil {
		c.VCPUs = vcpus(in.HostConfig.Resources)
		c.MemoryMB = memoryMB(in.HostConfig.Memory)
	}
	return c
}

// summaryName picks the container's own name from the list's Names, which
// also carries legacy link aliases such as "/web/db".
func summaryName(names []string) string {
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if n != "" && !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}

// cfsDefaultPeriodMicros is the kernel's CFS period, which Docker leaves in
// place when --cpu-quota is given without --cpu-period.
const cfsDefaultPeriodMicros = 100_000

// vcpus is the tightest CPU limit set. CPU shares are a relative weight
// under contention, not a number of CPUs, so they never count.
func vcpus(r container.Resources) float64 {
	var limit float64
	tighten := func(v float64) {
		if v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	tighten(float64(r.NanoCPUs) / 1e9)
	if r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period <= 0 {
			period = cfsDefaultPeriodMicros
		}
		tighten(float64(r.CPUQuota) / float64(period))
	}
	tighten(float64(cpusetSize(r.CpusetCpus)))
	return limit
}

// maxCPUID bounds the CPU numbers of a cpuset: Linux numbers at most a few
// thousand CPUs (NR_CPUS), so a larger one is not understood, and the
// count cannot overflow.
const maxCPUID = 1 << 16

// cpusetSize counts the CPUs in a cpuset list such as "0-2,4"; 0 when the
// list is empty or not understood.
func cpusetSize(set string) int {
	if strings.TrimSpace(set) == "" {
		return 0
	}
	n := 0
	for part := range strings.SplitSeq(set, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 || first > maxCPUID {
			return 0
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil || last < first || last > maxCPUID {
				return 0
			}
		}
		n += last - first + 1
	}
	return n
}

// memoryMB converts Docker's byte limit to MiB, the unit NetBox's VM memory
// field takes. Docker refuses limits under 6 MiB, so a set limit never
// rounds down to the 0 that means unknown.
func memoryMB(bytes int64) int64 {
	if bytes <= 0 {
		return 0
	}
	return bytes / (1 << 20)
}
