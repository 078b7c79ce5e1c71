package containers

import (
	"math"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

// FuzzVCPUs: what Docker reports of a container's CPU limits (NanoCPUs,
// quota and period, cpuset) becomes a vCPU count NetBox can store: not
// negative, finite, and no more than any limit set.
func FuzzVCPUs(f *testing.F) {
	f.Add(int64(1_500_000_000), int64(0), int64(0), "")
	f.Add(int64(0), int64(50_000), int64(100_000), "0-3")
	f.Add(int64(0), int64(200_000), int64(0), "0,2,4-5")
	f.Add(int64(-1), int64(-1), int64(-1), "3-1")
	f.Add(int64(0), int64(1), int64(math.MaxInt64), "0-9223372036854775807")
	f.Add(int64(0), int64(0), int64(0), "0-4294967295,0-4294967295")
	f.Fuzz(func(t *testing.T, nano, quota, period int64, cpuset string) {
		got := vcpus(container.Resources{NanoCPUs: nano, CPUQuota: quota, CPUPeriod: period, CpusetCpus: cpuset})
		if got < 0 || math.IsNaN(got) || math.IsInf(got, 0) {
			t.Fatalf("vcpus(%d, %d/%d, %q) = %v", nano, quota, period, cpuset, got)
		}
		if n := cpusetSize(cpuset); n < 0 {
			t.Fatalf("cpusetSize(%q) = %d", cpuset, n)
		} else if n > 0 && got > float64(n) {
			t.Fatalf("vcpus %v exceeds the cpuset's %d CPUs", got, n)
		}
		if nano > 0 && got > float64(nano)/1e9 {
			t.Fatalf("vcpus %v exceeds --cpus %v", got, float64(nano)/1e9)
		}
	})
}

// FuzzRoleOf: any container name and image reference get one of the
// rules' roles or the default, and an image ID or digest says nothing.
func FuzzRoleOf(f *testing.F) {
	f.Add("shop-frontend", "nginx:1.27")
	f.Add("db", "registry.example.com:5000/team/postgres@sha256:0123abcd")
	f.Add("", "sha256:4b1d")
	f.Add("x", "localhost/redis")
	f.Fuzz(func(t *testing.T, name, image string) {
		rules := DefaultRoleRules()
		got := RoleOf(name, image, rules)
		valid := got == DefaultRole
		for _, r := range rules {
			valid = valid || got == r.Role
		}
		if !valid {
			t.Fatalf("RoleOf(%q, %q) = %q", name, image, got)
		}
		if ri := roleImage(image); strings.Contains(ri, "@") || (strings.HasPrefix(image, "sha256:") && ri != "") {
			t.Fatalf("roleImage(%q) = %q", image, ri)
		}
	})
}
