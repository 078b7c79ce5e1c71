package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery/containers"
	"github.com/cmdb-mcp/cmdb-mcp/internal/idleimage"
)

// benchLabel marks what a bench run creates, so that cleanup finds it all.
const benchLabel = "io.cmdb-mcp.bench-run"

// DockerResult compares container discovery on a real engine: cmdb-mcp's
// (containers.DiscoverLocal: one list and the inspects over the Engine API,
// 8 at a time) with the seed's shell commands in two forms: one by one
// (`docker ps -a`, then one `docker inspect <id>` per container, one after
// another, as an agent's shell tool runs them) and the fastest
// (`docker inspect $(docker ps -aq)`: two commands, however many
// containers).
type DockerResult struct {
	Skipped string
	Engine  string // version and storage driver
	// Started is how many containers the bench started.
	Started int
	// Containers is how many containers cmdb-mcp found on the engine,
	// ShellContainers how many the shell commands inspected; on a private
	// engine both are the containers the bench started.
	Containers      int
	ShellContainers int
	Setup           time.Duration
	// Ours are the runs of DiscoverLocal; Shell of the shell commands one
	// by one, Batch of the fastest form.
	Ours  []time.Duration
	Shell []time.Duration
	Batch []time.Duration
	// ShellCommands and ShellBytes are one shell run's commands and output
	// (what the agent reads); BatchBytes the fastest form's output.
	ShellCommands int
	ShellBytes    int
	BatchBytes    int
}

// OursMedian is the median of Ours.
func (d DockerResult) OursMedian() time.Duration { return median(d.Ours) }

// ShellBest is the fastest run of the shell commands one by one.
func (d DockerResult) ShellBest() time.Duration { return slices.Min(d.Shell) }

// BatchBest is the fastest run of the fastest shell form: the baseline the
// target is checked against.
func (d DockerResult) BatchBest() time.Duration { return slices.Min(d.Batch) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchDocker starts n containers on the engine the environment names,
// measures both ways, and removes what it made. Without an engine, a
// docker CLI or a static busybox it returns Skipped with the reason.
func benchDocker(ctx context.Context, n int, logf func(string, ...any)) (DockerResult, error) {
	cli, err := containers.NewClient()
	if err != nil {
		return DockerResult{Skipped: "no Docker client: " + err.Error()}, nil
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		return DockerResult{Skipped: fmt.Sprintf("no Docker engine reachable at %s (set DOCKER_HOST; BENCHMARKS.md shows how to start a private one): %v", cli.DaemonHost(), err)}, nil
	}
	dockerCLI, err := exec.LookPath("docker")
	if err != nil {
		return DockerResult{Skipped: "no docker CLI on PATH for the seed's shell commands: " + err.Error()}, nil
	}
	busybox, err := idleimage.Busybox()
	if err != nil {
		return DockerResult{Skipped: "the bench image: " + err.Error()}, nil
	}
	var res DockerResult
	if info, err := cli.Info(ctx); err == nil {
		res.Engine = fmt.Sprintf("dockerd %s, storage driver %s", info.ServerVersion, info.Driver)
	}

	var b [4]byte
	_, _ = rand.Read(b[:])
	run := "cmdbbench-" + hex.EncodeToString(b[:])
	ref := "cmdb-mcp-bench/busybox:" + run
	defer cleanupDocker(cli, run, ref)

	start := time.Now()
	if err := idleimage.Import(ctx, cli, busybox, ref); err != nil {
		return DockerResult{}, err
	}
	if err := startContainers(ctx, cli, run, ref, n); err != nil {
		return DockerResult{}, err
	}
	res.Setup, res.Started = time.Since(start), n
	logf("  started %d containers in %v", n, res.Setup.Round(time.Second))

	// Interleaved, so that every way sees the same engine state and load:
	// ours and the fastest shell form 3 times, one by one twice.
	for i := range 3 {
		t := time.Now()
		got := containers.DiscoverLocal(ctx, containers.Options{})
		d := time.Since(t)
		if !got.Available {
			return DockerResult{}, errors.New("cmdb-mcp discovery: " + got.Reason)
		}
		res.Ours = append(res.Ours, d)
		res.Containers = len(got.Containers)
		t = time.Now()
		out, found, err := shellBatch(ctx, dockerCLI)
		if err != nil {
			return DockerResult{}, err
		}
		res.Batch = append(res.Batch, time.Since(t))
		res.BatchBytes = out
		if found < n {
			return DockerResult{}, fmt.Errorf("%d containers were started, docker inspect $(docker ps -aq) inspected %d", n, found)
		}
		if i == 2 {
			break
		}
		t = time.Now()
		cmds, out, found, err := shellDiscovery(ctx, dockerCLI)
		if err != nil {
			return DockerResult{}, err
		}
		res.Shell = append(res.Shell, time.Since(t))
		res.ShellCommands, res.ShellBytes, res.ShellContainers = cmds, out, found
	}
	if res.Containers < n || res.ShellContainers < n {
		return DockerResult{}, fmt.Errorf("%d containers were started, cmdb-mcp found %d, the shell commands %d", n, res.Containers, res.ShellContainers)
	}
	return res, nil
}

// shellBatch is the seed's shell commands in their fastest form,
// `docker inspect $(docker ps -aq)`, without the shell: the two commands
// it runs. It returns the bytes they printed and the containers inspected.
func shellBatch(ctx context.Context, dockerCLI string) (outBytes, found int, err error) {
	ps, err := exec.CommandContext(ctx, dockerCLI, "ps", "-aq").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("docker ps -aq: %w", err)
	}
	ids := strings.Fields(string(ps))
	if len(ids) == 0 {
		return len(ps), 0, nil
	}
	out, err := exec.CommandContext(ctx, dockerCLI, append([]string{"inspect"}, ids...)...).Output()
	var parsed []json.RawMessage
	if jerr := json.Unmarshal(out, &parsed); jerr != nil {
		if err == nil {
			err = jerr
		}
		return 0, 0, fmt.Errorf("docker inspect of %d containers: %w", len(ids), err)
	}
	// A container removed since docker ps makes docker inspect exit 1, but
	// it prints the others, which the agent would read.
	return len(ps) + len(out), len(parsed), nil
}

// shellDiscovery is the seed's way: docker ps -a, then docker inspect per
// container. It returns the commands run, the bytes they printed and the
// containers inspected.
func shellDiscovery(ctx context.Context, dockerCLI string) (cmds, outBytes, found int, err error) {
	ps, err := exec.CommandContext(ctx, dockerCLI, "ps", "-a").Output()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("docker ps -a: %w", err)
	}
	cmds, outBytes = 1, len(ps)
	sc := bufio.NewScanner(bytes.NewReader(ps))
	sc.Scan() // the header
	var ids []string
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			ids = append(ids, f[0])
		}
	}
	for _, id := range ids {
		out, err := exec.CommandContext(ctx, dockerCLI, "inspect", id).Output()
		cmds++
		outBytes += len(out)
		var parsed []json.RawMessage
		if err == nil && json.Unmarshal(out, &parsed) == nil && len(parsed) == 1 {
			found++
			continue
		}
		if ctx.Err() != nil {
			return 0, 0, 0, ctx.Err()
		}
		// Gone since docker ps (another client removed it): the agent would
		// read the error and go on.
	}
	return cmds, outBytes, found, nil
}

// startContainers runs n containers in compose projects of 10, with CPU
// and memory limits, no network.
func startContainers(ctx context.Context, cli *client.Client, run, ref string, n int) error {
	slots := make(chan struct{}, 8)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			project := fmt.Sprintf("%s-p%02d", run, i/10)
			labels := map[string]string{benchLabel: run,
				containers.LabelComposeProject: project, containers.LabelComposeService: fmt.Sprintf("svc%d", i%10)}
			created, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Labels: labels},
				&container.HostConfig{NetworkMode: "none", Resources: container.Resources{NanoCPUs: 100_000_000, Memory: 16 << 20}},
				nil, nil, fmt.Sprintf("%s-svc%d-1", project, i%10))
			if err == nil {
				err = cli.ContainerStart(ctx, created.ID, container.StartOptions{})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		return fmt.Errorf("starting containers: %d failed, first: %w", len(all), all[0])
	}
	return nil
}

// cleanupDocker removes the run's containers, then its image.
func cleanupDocker(cli *client.Client, run, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", benchLabel+"="+run))})
	if err == nil {
		slots := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, c := range list {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			})
		}
		wg.Wait()
	}
	_, _ = cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
}
