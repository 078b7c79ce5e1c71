package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/bench"
)

// runBench measures a sync side by side with the seed workflow
// (docs/workflow.md; see internal/bench and BENCHMARKS.md). It is a command
// rather than only a go test -bench because the comparison is one run of
// several measurements (three ways per scenario against identical
// simulators under two latency models, a child process for the peak
// memory, real containers) whose ratios are checked together; go test
// -bench Differ|Sync covers the pieces on their own.
func runBench(ctx context.Context, e env, args []string) (int, error) {
	if bench.IsChild() {
		// The memory measurement starts this binary again; see
		// bench.RunChild.
		if err := bench.RunChild(ctx, e.stdout); err != nil {
			return exitError, err
		}
		return exitOK, nil
	}
	fs := newFlagSet(e, "bench", "bench [--quick] [--latency 20ms] [--latency-per-object 2ms] [--turn 1s] [--repeat 3] [--containers 300] [--fleet 50] [--scenario NAME,...] [--no-memory]")
	quick := fs.Bool("quick", false, "no latency, no real containers, a small differ input: checks that the bench runs, measures nothing")
	latency := fs.Duration("latency", bench.DefaultLatency, "latency the NetBox simulator adds to every request")
	perObject := fs.Duration("latency-per-object", bench.DefaultLatencyPerObject, "run each scenario again with this latency added to a write per object it carries (on top of --latency); 0 skips that run")
	turn := fs.Duration("turn", bench.DefaultTurnCost, "what one model turn is taken to cost, for the time a user waits for a finished sync; 0 leaves it out")
	repeat := fs.Int("repeat", 3, "runs of each scenario, every way and latency model; wall times are the medians")
	containers := fs.Int("containers", bench.DefaultContainers, "real containers to start for the discovery comparison (needs a Docker engine, DOCKER_HOST); 0 skips it")
	fleet := fs.Int("fleet", bench.DefaultFleet, "hosts that sync at once against one simulator, measured beside one host alone; 0 skips it")
	scenarios := fs.String("scenario", strings.Join(bench.Scenarios, ","), "scenarios to run, comma-separated")
	noMemory := fs.Bool("no-memory", false, "skip the peak-memory measurement (it starts this binary again)")
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	o := bench.Options{
		Latency:    *latency,
		Repeat:     *repeat,
		Containers: *containers,
		Fleet:      *fleet,
		Scenarios:  strings.Split(*scenarios, ","),
		DifferTime: time.Second,
		Out:        e.stdout,
	}
	o.TurnCost = *turn
	if !*quick {
		o.LatencyPerObject = *perObject
	}
	if *quick {
		o.Latency, o.Repeat, o.Containers, o.DifferTime, o.Fleet = 0, 1, 0, 0, min(o.Fleet, 5)
		o.DifferSize = bench.DifferSize{Interfaces: 100, IPs: 500, Containers: 200}
	}
	if !*noMemory {
		exe, err := os.Executable()
		if err != nil {
			return exitError, fmt.Errorf("the memory measurement starts this binary again: %w (or pass --no-memory)", err)
		}
		o.Child = []string{exe, "bench"}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	if _, err := bench.Run(ctx, o); err != nil {
		return exitError, err
	}
	return exitOK, nil
}
