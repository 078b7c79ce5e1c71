package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

var netnsSeq atomic.Int64

// NewNetns creates a network namespace named prefix-<pid>-<n> for the rest
// of t and returns its name. Everything made inside it (links, addresses,
// routes) goes with it when t ends, so the root namespace is never touched.
// It needs root and iproute2, and skips (or fails, see Skip) without them.
func NewNetns(t testing.TB, prefix string) string {
	t.Helper()
	NeedRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		Skip(t, "iproute2's ip is not installed (apt-get install iproute2)")
	}
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), netnsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		Skip(t, fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete namespace %s: %v: %s", name, err, out)
		}
	})
	return name
}

// IPIn runs one `ip -n <ns>` command line, failing t if it fails.
func IPIn(t testing.TB, ns, args string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns}, strings.Fields(args)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v: %s", ns, args, err, out)
	}
}
