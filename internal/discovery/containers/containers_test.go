package containers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI answers from memory. Inspect may be slowed down, and it counts
// the calls in flight so tests can see the concurrency bound.
type fakeAPI struct {
	list       []container.Summary
	listErr    error
	inspect    map[string]container.InspectResponse
	inspectErr map[string]error
	delay      time.Duration
	// gate, when set, holds every inspect until it is closed.
	gate chan struct{}

	inFlight, maxInFlight, calls atomic.Int64
}

func (f *fakeAPI) ContainerList(_ context.Context, opts container.ListOptions) ([]container.Summary, error) {
	if !opts.All {
		return nil, errors.New("fake: discovery must list stopped containers too (All=true)")
	}
	return f.list, f.listErr
}

func (f *fakeAPI) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	f.calls.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return container.InspectResponse{}, ctx.Err()
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if err := f.inspectErr[id]; err != nil {
		return container.InspectResponse{}, err
	}
	in, ok := f.inspect[id]
	if !ok {
		return container.InspectResponse{}, cerrdefs.ErrNotFound.WithMessage("No such container: " + id)
	}
	return in, nil
}

// add registers a container the way dockerd reports it in both calls.
func (f *fakeAPI) add(id, name, image, state string, labels map[string]string, res container.Resources) {
	if f.inspect == nil {
		f.inspect = map[string]container.InspectResponse{}
	}
	f.list = append(f.list, container.Summary{
		ID: id, Names: []string{"/" + name}, Image: image, State: state, Labels: labels,
	})
	f.inspect[id] = container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID:         id,
			Name:       "/" + name,
			State:      &container.State{Status: state, Running: state == "running" || state == "paused"},
			HostConfig: &container.HostConfig{Resources: res},
		},
		Config: &container.Config{Image: image, Labels: labels},
	}
}

func TestDiscoverMapsContainers(t *testing.T) {
	f := &fakeAPI{}
	f.add("c1", "nextcloud-db", "mariadb:11", "running",
		map[string]string{LabelComposeProject: "nextcloud", LabelComposeService: "db"},
		container.Resources{NanoCPUs: 1_500_000_000, Memory: 512 << 20})
	f.add("c2", "caddy", "caddy:2-alpine", "exited", nil,
		container.Resources{CPUQuota: 50_000, CPUPeriod: 100_000, Memory: 64 << 20})
	f.add("c3", "open-webui", "ghcr.io/open-webui/open-webui:main", "paused", nil,
		container.Resources{CPUShares: 2048})
	f.add("c4", "media_lidarr", "linuxserver/lidarr", "created", nil, container.Resources{})

	res := Discover(context.Background(), f, Options{})

	require.True(t, res.Available, res.Reason)
	assert.Empty(t, res.Reason)
	assert.Empty(t, res.Notes)
	assert.Equal(t, []host.Container{
		{ID: "c2", Name: "caddy", Image: "caddy:2-alpine", State: "exited", Running: false,
			VCPUs: 0.5, MemoryMB: 64, Role: "Reverse Proxy"},
		{ID: "c4", Name: "media_lidarr", Image: "linuxserver/lidarr", State: "created", Running: false,
			Role: DefaultRole},
		{ID: "c1", Name: "nextcloud-db", Image: "mariadb:11", State: "running", Running: true,
			ComposeProject: "nextcloud", ComposeService: "db", VCPUs: 1.5, MemoryMB: 512, Role: "Database"},
		// Shares are a weight, not CPUs; paused is not running.
		{ID: "c3", Name: "open-webui", Image: "ghcr.io/open-webui/open-webui:main", State: "paused", Running: false,
			Role: "Web Application"},
	}, res.Containers)
}

func TestDiscoverEmptyHost(t *testing.T) {
	res := Discover(context.Background(), &fakeAPI{}, Options{})
	require.True(t, res.Available)
	assert.NotNil(t, res.Containers, "an empty list, not null, so JSON says []")
	assert.Empty(t, res.Containers)
}

func TestDiscoverUnavailable(t *testing.T) {
	f := &fakeAPI{listErr: errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")}
	res := Discover(context.Background(), f, Options{})
	assert.False(t, res.Available)
	assert.Equal(t, "Docker not available (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)", res.Reason)
	assert.Empty(t, res.Containers)

	res = Discover(context.Background(), nil, Options{})
	assert.False(t, res.Available)
	assert.Equal(t, "Docker not available (no Docker client)", res.Reason)
}

func TestDiscoverSkipsContainerRemovedAfterList(t *testing.T) {
	f := &fakeAPI{}
	f.add("c1", "kept", "busybox", "running", nil, container.Resources{})
	f.add("c2", "gone", "busybox", "exited", nil, container.Resources{})
	delete(f.inspect, "c2") // removed between list and inspect: a 404

	res := Discover(context.Background(), f, Options{})
	require.True(t, res.Available)
	require.Len(t, res.Containers, 1)
	assert.Equal(t, "kept", res.Containers[0].Name)
	assert.Empty(t, res.Notes)
}

func TestDiscoverKeepsContainerWhoseInspectFails(t *testing.T) {
	f := &fakeAPI{}
	f.add("c1", "postgres", "postgres:16", "running",
		map[string]string{LabelComposeProject: "app", LabelComposeService: "postgres"},
		container.Resources{NanoCPUs: 2e9, Memory: 1 << 30})
	f.inspectErr = map[string]error{"c1": errors.New("Error response from daemon: i/o timeout")}

	res := Discover(context.Background(), f, Options{})
	require.True(t, res.Available)
	assert.Equal(t, []host.Container{{
		ID: "c1", Name: "postgres", Image: "postgres:16", State: "running", Running: true,
		ComposeProject: "app", ComposeService: "postgres", Role: "Database",
		// VCPUs and MemoryMB stay 0: unknown, not invented.
	}}, res.Containers)
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0], "postgres")
	assert.Contains(t, res.Notes[0], "i/o timeout")
}

func TestDiscoverPrefersInspectOverList(t *testing.T) {
	f := &fakeAPI{}
	f.add("c1", "web", "nginx:1.27", "running", nil, container.Resources{})
	// The list shows an image ID once the tag has moved, and legacy link
	// aliases among the names; inspect has the newer state.
	f.list[0].Image = "sha256:0123456789abcdef"
	f.list[0].Names = []string{"/app/web", "/web"}
	in := f.inspect["c1"]
	in.State = &container.State{Status: "exited"}
	f.inspect["c1"] = in

	res := Discover(context.Background(), f, Options{})
	require.Len(t, res.Containers, 1)
	c := res.Containers[0]
	assert.Equal(t, "web", c.Name)
	assert.Equal(t, "nginx:1.27", c.Image)
	assert.Equal(t, "exited", c.State)
	assert.False(t, c.Running)
	assert.Equal(t, "Reverse Proxy", c.Role)

	assert.Equal(t, "web", summaryName([]string{"/app/web", "/web"}))
	assert.Equal(t, "", summaryName(nil))
}

func TestDiscoverCancelled(t *testing.T) {
	f := &fakeAPI{gate: make(chan struct{})}
	for i := range 20 {
		f.add(fmt.Sprintf("c%02d", i), fmt.Sprintf("n%02d", i), "busybox", "running", nil, container.Resources{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan host.Containers)
	go func() { done <- Discover(ctx, f, Options{Concurrency: 4}) }()
	require.Eventually(t, func() bool { return f.inFlight.Load() == 4 }, 5*time.Second, time.Millisecond)
	cancel()
	res := <-done
	assert.False(t, res.Available)
	assert.Equal(t, "Docker not available (discovery interrupted: context canceled)", res.Reason)
	assert.LessOrEqual(t, f.calls.Load(), int64(8), "no new inspect starts after cancellation")
}

func TestDiscoverBoundsConcurrency(t *testing.T) {
	for _, limit := range []int{1, 3, DefaultConcurrency} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			f := &fakeAPI{gate: make(chan struct{})}
			for i := range 50 {
				f.add(fmt.Sprintf("c%02d", i), fmt.Sprintf("n%02d", i), "busybox", "running", nil, container.Resources{})
			}
			opts := Options{Concurrency: limit}
			if limit == DefaultConcurrency {
				opts.Concurrency = 0 // the default
			}
			var res host.Containers
			var wg sync.WaitGroup
			wg.Go(func() { res = Discover(context.Background(), f, opts) })
			// All the slots fill while the gate holds every call...
			require.Eventually(t, func() bool { return f.inFlight.Load() == int64(limit) }, 5*time.Second, time.Millisecond)
			// ...and no more calls start (a short look; the bound is asserted below too).
			time.Sleep(20 * time.Millisecond)
			assert.Equal(t, int64(limit), f.inFlight.Load())
			close(f.gate)
			wg.Wait()
			assert.Len(t, res.Containers, 50)
			assert.Equal(t, int64(limit), f.maxInFlight.Load())
			assert.Equal(t, int64(50), f.calls.Load())
		})
	}
}

// TestDiscoverLatencyHidesRoundTrips checks that 300 containers do not cost
// 300 sequential round trips. It compares speeds within this process rather
// than against a wall-clock budget, so a slow machine does not make it flaky.
func TestDiscoverLatencyHidesRoundTrips(t *testing.T) {
	const total, sample = 300, 40
	const perCall = 10 * time.Millisecond
	build := func(n int) *fakeAPI {
		f := &fakeAPI{delay: perCall}
		for i := range n {
			f.add(fmt.Sprintf("c%03d", i), fmt.Sprintf("n%03d", i), "busybox", "running", nil, container.Resources{NanoCPUs: 1e9})
		}
		return f
	}
	ctx := context.Background()

	// The sequential cost per container, from a sample, to keep the test short.
	start := time.Now()
	res := Discover(ctx, build(sample), Options{Concurrency: 1})
	sequentialPerContainer := time.Since(start) / sample
	require.Len(t, res.Containers, sample)

	f := build(total)
	start = time.Now()
	res = Discover(ctx, f, Options{})
	concurrent := time.Since(start)
	require.Len(t, res.Containers, total)

	speedup := float64(sequentialPerContainer*total) / float64(concurrent)
	t.Logf("300 inspects at %v each: %v concurrently, %v sequentially (estimated), speed-up %.1fx, max in flight %d",
		perCall, concurrent, sequentialPerContainer*total, speedup, f.maxInFlight.Load())
	assert.Equal(t, int64(DefaultConcurrency), f.maxInFlight.Load())
	// DefaultConcurrency (8) is the ideal; half of it still rules out
	// sequential round trips by a wide margin.
	assert.GreaterOrEqual(t, speedup, float64(DefaultConcurrency)/2)
}

func TestVCPUs(t *testing.T) {
	tests := []struct {
		name string
		res  container.Resources
		want float64
	}{
		{"no limit", container.Resources{}, 0},
		{"--cpus", container.Resources{NanoCPUs: 500_000_000}, 0.5},
		{"--cpus 4", container.Resources{NanoCPUs: 4e9}, 4},
		{"quota and period", container.Resources{CPUQuota: 150_000, CPUPeriod: 100_000}, 1.5},
		{"quota with a long period", container.Resources{CPUQuota: 250_000, CPUPeriod: 1_000_000}, 0.25},
		{"quota, kernel's default period", container.Resources{CPUQuota: 200_000}, 2},
		{"period alone is no limit", container.Resources{CPUPeriod: 100_000}, 0},
		{"unlimited quota", container.Resources{CPUQuota: -1, CPUPeriod: 100_000}, 0},
		{"shares are a weight", container.Resources{CPUShares: 4096}, 0},
		{"cpuset", container.Resources{CpusetCpus: "0-2,4"}, 4},
		{"tightest limit wins", container.Resources{NanoCPUs: 3e9, CpusetCpus: "0,1"}, 2},
		{"cpuset wider than quota", container.Resources{CPUQuota: 50_000, CpusetCpus: "0-7"}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, vcpus(tt.res), 1e-9)
		})
	}
}

func TestCpusetSize(t *testing.T) {
	for set, want := range map[string]int{
		"": 0, " ": 0, "0": 1, "3": 1, "0-3": 4, "0,2": 2, "0-1, 4-5": 4, "0-2,4,6-7": 6,
		"x": 0, "3-1": 0, "-1": 0, "0-": 0,
	} {
		assert.Equal(t, want, cpusetSize(set), "cpuset %q", set)
	}
}

func TestMemoryMB(t *testing.T) {
	for bytes, want := range map[int64]int64{
		0: 0, -1: 0, 64 << 20: 64, 6 << 20: 6, 1 << 30: 1024, 100_000_000: 95, 3<<30 + 512<<20: 3584,
	} {
		assert.Equal(t, want, memoryMB(bytes), "%d bytes", bytes)
	}
}
