package network_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// netns is a network namespace that lives as long as the test. Everything
// the test makes (links, addresses, routes) is inside it, so deleting it
// removes them all; the root namespace is never touched.
type netns struct {
	t    *testing.T
	name string
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	return &netns{t: t, name: testenv.NewNetns(t, "cmdb-e2e")}
}

// ip runs `ip -n <ns> <args>`, failing the test if it fails.
func (ns *netns) ip(args string) {
	ns.t.Helper()
	testenv.IPIn(ns.t, ns.name, args)
}

// forward makes target (the simulator's address on the root namespace's
// loopback) reachable inside the namespace (testenv.ForwardInto).
func (ns *netns) forward(target string) string {
	ns.t.Helper()
	return testenv.ForwardInto(ns.t, ns.name, target)
}

// command runs a command inside the namespace (testenv.CommandIn).
func (ns *netns) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return testenv.CommandIn(ctx, ns.name, name, args...)
}
