package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// The peak memory of a sync is measured in a process of its own, so that
// neither the simulator nor the other measurements count: the bench starts
// itself again (Options.Child) with ChildEnv set, the child runs
// cmdb_sync_diff and cmdb_sync_apply of the large host through the same
// in-process MCP client against the parent's simulator, and reports its
// own peak resident set size as the kernel counts it (VmHWM; maxRSS says
// why not getrusage).

// Variables of the child process.
const (
	ChildEnv         = "CMDB_BENCH_CHILD" // set: run the child
	childURLEnv      = "CMDB_BENCH_URL"
	childTokenEnv    = "CMDB_BENCH_TOKEN"
	childScenarioEnv = "CMDB_BENCH_SCENARIO"
)

// IsChild reports whether this process is a memory child.
func IsChild() bool { return os.Getenv(ChildEnv) != "" }

// childReport is what the child prints, as one JSON line.
type childReport struct {
	ToolCalls int `json:"tool_calls"`
	// PeakHeapBytes is the largest live heap seen (sampled every
	// millisecond); TotalAllocBytes everything allocated.
	PeakHeapBytes   uint64 `json:"peak_heap_bytes"`
	TotalAllocBytes uint64 `json:"total_alloc_bytes"`
	MaxRSSBytes     int64  `json:"max_rss_bytes"`
	Error           string `json:"error,omitempty"`
}

// RunChild is the child: it syncs the scenario the environment names and
// prints a childReport.
func RunChild(ctx context.Context, stdout io.Writer) error {
	rep := childReport{}
	err := runChild(ctx, &rep)
	if err != nil {
		rep.Error = err.Error()
	}
	rep.MaxRSSBytes = maxRSS()
	if encErr := json.NewEncoder(stdout).Encode(rep); encErr != nil {
		return encErr
	}
	return err
}

func runChild(ctx context.Context, rep *childReport) error {
	fx, err := LoadFixture(os.Getenv(childScenarioEnv))
	if err != nil {
		return err
	}
	nb, err := netbox.New(netbox.Config{URL: os.Getenv(childURLEnv), Token: os.Getenv(childTokenEnv), Timeout: time.Minute})
	if err != nil {
		return err
	}
	stop := sampleHeap(&rep.PeakHeapBytes)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	w := &world{fx: fx, nb: nb}
	res, err := runOursWith(ctx, w, nil)
	stop()
	runtime.ReadMemStats(&ms1)
	rep.ToolCalls = res.ToolCalls
	rep.TotalAllocBytes = ms1.TotalAlloc - ms0.TotalAlloc
	return err
}

// sampleHeap records the largest heap object bytes until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > *peak {
			*peak = v.Uint64()
		}
	}
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// MemoryResult is the peak memory of a large-host sync.
type MemoryResult struct {
	Skipped string
	// MaxRSS is the child's peak resident set size, as the kernel counts
	// it (VmHWM). WaitMaxRSS is what wait4 reports for the child, which
	// includes the parent's peak before the exec: shown, not judged.
	MaxRSS     int64
	WaitMaxRSS int64
	PeakHeap   uint64
	Allocated  uint64
	Residue    int
}

// measureMemory runs the child against a fresh world of the scenario.
func measureMemory(ctx context.Context, child []string, scenario string, latency time.Duration) (MemoryResult, error) {
	if len(child) == 0 {
		return MemoryResult{Skipped: "no child command"}, nil
	}
	fx, err := LoadFixture(scenario)
	if err != nil {
		return MemoryResult{}, err
	}
	w, err := newWorld(ctx, fx, latency)
	if err != nil {
		return MemoryResult{}, err
	}
	defer w.close()
	cmd := exec.CommandContext(ctx, child[0], child[1:]...)
	cmd.Env = append(os.Environ(), ChildEnv+"=1", childURLEnv+"="+w.http.URL, childTokenEnv+"="+w.token, childScenarioEnv+"="+scenario)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var rep childReport
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		return MemoryResult{}, fmt.Errorf("memory child: %v; stdout %q, stderr %q", errors.Join(runErr, err), stdout.String(), tail(stderr.String(), 500))
	}
	if rep.Error != "" {
		return MemoryResult{}, fmt.Errorf("memory child: %s", rep.Error)
	}
	if runErr != nil {
		return MemoryResult{}, fmt.Errorf("memory child: %v: %s", runErr, tail(stderr.String(), 500))
	}
	res := MemoryResult{MaxRSS: rep.MaxRSSBytes, WaitMaxRSS: childMaxRSS(cmd.ProcessState), PeakHeap: rep.PeakHeapBytes, Allocated: rep.TotalAllocBytes}
	if res.Residue, err = w.residue(ctx); err != nil {
		return MemoryResult{}, err
	}
	return res, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
