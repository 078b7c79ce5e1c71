// Package deploy checks the files that run cmdb-mcp on every host: the
// systemd units (systemd-analyze verify) and the Kubernetes manifests
// (decoded strictly against the Kubernetes API types). It holds tests only,
// so that the Kubernetes modules stay out of the cmdb-mcp binary.
package deploy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// notConfigured is how cmdb-mcp apply answers a command line it accepted
// when no NetBox is configured: the flags parsed, the checks passed, and
// it stopped before doing anything.
const notConfigured = "NetBox is not configured"

// checkCommandLine runs cmdb-mcp with args and no NetBox configuration,
// and fails t unless every flag was accepted.
func checkCommandLine(t *testing.T, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "cmdb-mcp %s: %v\n%s", strings.Join(args, " "), err, out)
	assert.Contains(t, string(out), notConfigured, "cmdb-mcp %s should get as far as the NetBox configuration:\n%s", strings.Join(args, " "), out)
}

// copyFile copies src to dst, making dst's folder, with mode.
func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// unitValues returns the values of key in a unit file, in order.
func unitValues(t *testing.T, path, key string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), key+"="); ok {
			out = append(out, v)
		}
	}
	require.NoError(t, sc.Err())
	return out
}
