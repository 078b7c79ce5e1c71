// Package testenv decides what a test does when the environment cannot run
// it: skip with a reason on a developer's machine, fail in CI, where
// CMDB_REQUIRE_INTEGRATION=1 says every integration test must run.
package testenv

import (
	"os"
	"testing"
)

// RequireIntegrationEnv is the variable .ci/run sets to make skips fatal.
const RequireIntegrationEnv = "CMDB_REQUIRE_INTEGRATION"

// Required reports whether integration tests must run here.
func Required() bool { return os.Getenv(RequireIntegrationEnv) == "1" }

// Skip skips t with reason, or fails it when integration tests are required.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s=1 but this integration test cannot run: %s", RequireIntegrationEnv, reason)
	}
	t.Skip(reason)
}

// NeedRoot skips (or fails, see Skip) unless the test runs as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root (network namespaces, interfaces)")
	}
}
