package containers

// Tests against a real Docker engine: the one DOCKER_HOST names (.ci/run
// starts one), else the default socket. Without an engine they skip, and CI
// (CMDB_REQUIRE_INTEGRATION=1) turns that skip into a failure.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/idleimage"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// testLabel marks everything a test run creates, so cleanup finds it all.
const testLabel = "io.cmdb-mcp.test-run"

// testEngine is a Docker engine the test may create containers on.
type testEngine struct {
	cli   *client.Client
	run   string // unique per test run: names, labels and the image tag carry it
	image string
}

// newTestEngine connects to the engine and imports a busybox image, or skips.
func newTestEngine(tb testing.TB) *testEngine {
	tb.Helper()
	cli, err := NewClient()
	if err != nil {
		testenv.Skip(tb, "no Docker client: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		_ = cli.Close()
		testenv.Skip(tb, fmt.Sprintf("no Docker engine reachable at %s (set DOCKER_HOST, or run .ci/run): %v", cli.DaemonHost(), err))
	}
	bin, err := idleimage.Busybox()
	if err != nil {
		_ = cli.Close()
		testenv.Skip(tb, "the test image: "+err.Error())
	}

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e := &testEngine{cli: cli, run: "cmdbtest-" + hex.EncodeToString(suffix)}
	e.image = "cmdb-mcp-test/busybox:" + e.run
	tb.Cleanup(e.cleanup)
	e.importBusybox(tb, bin)
	return e
}

// importBusybox imports the idle image (idleimage) as e.image.
func (e *testEngine) importBusybox(tb testing.TB, bin string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(tb, idleimage.Import(ctx, e.cli, bin, e.image))
}

// containerSpec is one container a test wants.
type containerSpec struct {
	name      string
	labels    map[string]string
	resources container.Resources
	// state is what the container is left in: created, running, exited, paused.
	state string
}

// create makes the container and brings it to spec.state. Its name is
// prefixed with the run's name.
func (e *testEngine) create(ctx context.Context, spec containerSpec) (string, error) {
	labels := map[string]string{testLabel: e.run}
	for k, v := range spec.labels {
		labels[k] = v
	}
	created, err := e.cli.ContainerCreate(ctx,
		&container.Config{Image: e.image, Labels: labels},
		// No network: the test needs none, and the engine may have no bridge.
		&container.HostConfig{NetworkMode: "none", Resources: spec.resources},
		nil, nil, e.run+"-"+spec.name)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", spec.name, err)
	}
	id := created.ID
	if spec.state == "created" {
		return id, nil
	}
	if err := e.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return id, fmt.Errorf("start %s: %w", spec.name, err)
	}
	switch spec.state {
	case "exited":
		zero := 0 // sleep ignores SIGTERM as PID 1: kill at once
		err = e.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &zero})
	case "paused":
		err = e.cli.ContainerPause(ctx, id)
	}
	if err != nil {
		return id, fmt.Errorf("%s %s: %w", spec.state, spec.name, err)
	}
	return id, nil
}

// cleanup removes every container of this run, then its image.
func (e *testEngine) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	list, err := e.cli.ContainerList(ctx, container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", testLabel+"="+e.run)),
	})
	if err == nil {
		removeAll(ctx, e.cli, list)
	}
	_, _ = e.cli.ImageRemove(ctx, e.image, image.RemoveOptions{Force: true, PruneChildren: true})
	_ = e.cli.Close()
}

func removeAll(ctx context.Context, cli *client.Client, list []container.Summary) {
	slots := make(chan struct{}, 4)
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

// ours keeps the containers of this run, with the run prefix cut from their
// names, so that other containers on a developer's engine do not matter.
func (e *testEngine) ours(cs []host.Container) map[string]host.Container {
	m := map[string]host.Container{}
	for _, c := range cs {
		if short, ok := strings.CutPrefix(c.Name, e.run+"-"); ok {
			c.ID, c.Name = "", short
			m[short] = c
		}
	}
	return m
}

func TestDiscoverRealEngine(t *testing.T) {
	e := newTestEngine(t)
	ctx := t.Context()
	compose := func(service string) map[string]string {
		return map[string]string{LabelComposeProject: e.run, LabelComposeService: service}
	}
	specs := []containerSpec{
		{name: "frontend", labels: compose("frontend"), state: "running",
			resources: container.Resources{NanoCPUs: 500_000_000, Memory: 64 << 20}}, // --cpus 0.5 -m 64m
		{name: "db", labels: compose("db"), state: "running",
			resources: container.Resources{CPUQuota: 150_000, CPUPeriod: 100_000, Memory: 128 << 20}},
		{name: "nginx", state: "exited",
			resources: container.Resources{NanoCPUs: 1e9, CPUShares: 2048}}, // --cpus 1
		{name: "worker", state: "created", resources: container.Resources{CPUShares: 512}},
		{name: "batch", state: "paused", resources: container.Resources{CpusetCpus: "0", Memory: 32 << 20}},
	}
	for _, s := range specs {
		_, err := e.create(ctx, s)
		require.NoError(t, err)
	}

	res := Discover(ctx, e.cli, Options{})

	require.True(t, res.Available, res.Reason)
	assert.Empty(t, res.Notes)
	img := e.image
	assert.Equal(t, map[string]host.Container{
		"frontend": {Image: img, State: "running", Running: true, ComposeProject: e.run, ComposeService: "frontend",
			VCPUs: 0.5, MemoryMB: 64, Role: "Web Application"},
		"db": {Image: img, State: "running", Running: true, ComposeProject: e.run, ComposeService: "db",
			VCPUs: 1.5, MemoryMB: 128, Role: "Database"},
		"nginx":  {Image: img, State: "exited", Running: false, VCPUs: 1, Role: "Reverse Proxy"},
		"worker": {Image: img, State: "created", Running: false, Role: DefaultRole},
		"batch":  {Image: img, State: "paused", Running: false, VCPUs: 1, MemoryMB: 32, Role: DefaultRole},
	}, withoutNames(e.ours(res.Containers)))

	// Names come back without the "/", IDs are full, and the list is sorted.
	var names []string
	for _, c := range res.Containers {
		assert.False(t, strings.HasPrefix(c.Name, "/"), c.Name)
		assert.Len(t, c.ID, 64, c.Name)
		names = append(names, c.Name)
	}
	assert.IsNonDecreasing(t, names)
}

// withoutNames blanks the names the map keys already carry.
func withoutNames(m map[string]host.Container) map[string]host.Container {
	for k, c := range m {
		c.Name = ""
		m[k] = c
	}
	return m
}

// TestDiscoverRealEngineSeesRemoval checks that a container removed after a
// discovery is gone from the next one, and stopped ones stay listed.
func TestDiscoverRealEngineSeesRemoval(t *testing.T) {
	e := newTestEngine(t)
	ctx := t.Context()
	keep, err := e.create(ctx, containerSpec{name: "keep", state: "running"})
	require.NoError(t, err)
	drop, err := e.create(ctx, containerSpec{name: "drop", state: "running"})
	require.NoError(t, err)

	first := e.ours(Discover(ctx, e.cli, Options{}).Containers)
	require.Contains(t, first, "keep")
	require.Contains(t, first, "drop")

	zero := 0
	require.NoError(t, e.cli.ContainerStop(ctx, keep, container.StopOptions{Timeout: &zero}))
	require.NoError(t, e.cli.ContainerRemove(ctx, drop, container.RemoveOptions{Force: true}))

	second := e.ours(Discover(ctx, e.cli, Options{}).Containers)
	assert.NotContains(t, second, "drop")
	require.Contains(t, second, "keep")
	assert.Equal(t, "exited", second["keep"].State)
	assert.False(t, second["keep"].Running)
}

// BenchmarkDiscover300 measures discovery of 300 real containers, inspected
// one at a time and with the default bound. Starting them takes about a
// minute, so it runs only when asked for with -bench.
func BenchmarkDiscover300(b *testing.B) {
	const n = 300
	e := newTestEngine(b)
	ctx := context.Background()
	start := time.Now()
	slots := make(chan struct{}, 4)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			_, err := e.create(ctx, containerSpec{
				name:      fmt.Sprintf("bench-%03d", i),
				state:     "running",
				resources: container.Resources{NanoCPUs: 100_000_000, Memory: 16 << 20},
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	b.Logf("started %d containers in %v", n, time.Since(start).Round(time.Millisecond))

	for _, concurrency := range []int{1, DefaultConcurrency} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			for b.Loop() {
				res := Discover(ctx, e.cli, Options{Concurrency: concurrency})
				if got := len(e.ours(res.Containers)); got != n {
					b.Fatalf("found %d of the %d containers (%s)", got, n, res.Reason)
				}
			}
		})
	}
}
