package diff_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPure keeps the differ and the report free of I/O at the import level:
// they see only the host and record types, never the NetBox client, the
// discovery code or net/http.
func TestPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/cmdb-mcp/cmdb-mcp/internal/diff",
		"github.com/cmdb-mcp/cmdb-mcp/internal/report").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"net/http",
		"github.com/cmdb-mcp/cmdb-mcp/internal/netbox",
		"github.com/cmdb-mcp/cmdb-mcp/internal/discovery",
		"github.com/netbox-community/go-netbox/v4",
		"github.com/docker/docker/client",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("diff or report depends on %s", dep)
			}
		}
	}
}
