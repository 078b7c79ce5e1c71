package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// BinaryPackage is the import path of the command end-to-end tests run.
const BinaryPackage = "github.com/cmdb-mcp/cmdb-mcp/cmd/cmdb-mcp"

var binary struct {
	once sync.Once
	dir  string
	path string
	err  string // the build's failure, with go build's output
}

// Binary returns the path of a cmdb-mcp built from this checkout. The first
// call of a test process builds it into a temporary folder; every later call
// (from any test, concurrently too) gets the same file. A build that fails
// fails t with go build's output. Main, or RemoveBinary after m.Run, deletes
// the folder.
func Binary(t testing.TB) string {
	t.Helper()
	binary.once.Do(buildBinary)
	if binary.err != "" {
		t.Fatalf("cannot build cmdb-mcp for the end-to-end tests: %s", binary.err)
	}
	return binary.path
}

// Main is a TestMain for packages that use Binary: it runs the tests,
// deletes the binary and exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// RemoveBinary deletes what Binary built, if anything.
func RemoveBinary() {
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
}

func buildBinary() {
	// go test puts its own Go's bin folder first on PATH (Go 1.19+).
	goTool, err := exec.LookPath("go")
	if err != nil {
		binary.err = "the go command is not on PATH (" + err.Error() + "): add Go's bin folder, e.g. /usr/local/go/bin"
		return
	}
	dir, err := os.MkdirTemp("", "cmdb-mcp-bin-")
	if err != nil {
		binary.err = "temporary folder: " + err.Error()
		return
	}
	binary.dir = dir
	out := filepath.Join(dir, "cmdb-mcp")
	cmd := exec.Command(goTool, "build", "-o", out, BinaryPackage)
	output, err := cmd.CombinedOutput()
	if err != nil {
		binary.err = "go build -o " + out + " " + BinaryPackage + ": " + err.Error() + "\n" + string(output)
		return
	}
	binary.path = out
}
