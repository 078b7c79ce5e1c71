package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// hungEndpoint listens on network ("unix" or "tcp" on loopback), accepts
// every connection, reads what the client sends and never answers: a
// Docker engine that hangs. It returns the DOCKER_HOST that names it.
func hungEndpoint(t *testing.T, network string) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "docker.sock")
	}
	ln, err := net.Listen(network, addr)
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { _, _ = io.Copy(io.Discard, c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	if network == "unix" {
		return "unix://" + addr
	}
	return "tcp://" + ln.Addr().String()
}

// withDocker is the suite's environment with containers in the sync and
// Docker at dockerHost.
func withDocker(env []string, dockerHost string, extra ...string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CMDB_NO_CONTAINERS=") && !strings.HasPrefix(kv, "DOCKER_") {
			out = append(out, kv)
		}
	}
	return append(append(out, "DOCKER_HOST="+dockerHost), extra...)
}

// cliWithin runs the binary like cli, killed after guard: a guard against
// a hang that would otherwise last until go test's timeout, not a bound
// on how long the command may take.
func cliWithin(t *testing.T, guard time.Duration, env []string, args ...string) (code int, stdout, stderr string, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("cmdb-mcp %s was still running after %s:\n%s", strings.Join(args, " "), guard, errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("cmdb-mcp %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errOut.String(), took
}

// TestHungDockerEngine: with DOCKER_HOST at an endpoint that accepts and
// never answers, a diff returns once Docker's deadline passes, with the
// containers noted and the rest compared; an apply syncs the rest; over
// MCP, cmdb_sync_diff answers the same.
func TestHungDockerEngine(t *testing.T) {
	const deadline = "2s"
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			nb := staleNetBox(t)
			env := withDocker(nb.env(), hungEndpoint(t, network))
			code, stdout, stderr, took := cliWithin(t, 2*time.Minute, env, "diff", "--docker-timeout", deadline)
			t.Logf("diff with a hung Docker engine (%s, deadline %s) returned in %s", network, deadline, took.Round(time.Millisecond))
			assert.Equal(t, 2, code, "drift, not an error: %s", stderr)
			assert.Contains(t, stdout, "Docker did not answer within "+deadline)
			assert.Contains(t, stdout, "## Sync Diff Report")
			assert.Contains(t, stdout, "active", "the device is compared")
			if network == "tcp" {
				return
			}

			code, stdout, stderr, took = cliWithin(t, 2*time.Minute, env, "apply", "--yes", "--docker-timeout", deadline)
			t.Logf("apply with a hung Docker engine returned in %s", took.Round(time.Millisecond))
			require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
			nb.checkSynced(t)

			// Over MCP, with the deadline from the environment.
			cmd := exec.Command(binary, "serve")
			cmd.Env = withDocker(nb.env(), hungEndpoint(t, network), "CMDB_DOCKER_TIMEOUT="+deadline)
			captureStderr(t, cmd)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			session := connect(t, ctx, &sdk.CommandTransport{Command: cmd})
			start := time.Now()
			out := callTool[tools.SyncDiffOutput](t, ctx, session, "cmdb_sync_diff", map[string]any{})
			t.Logf("cmdb_sync_diff with a hung Docker engine answered in %s", time.Since(start).Round(time.Millisecond))
			assert.True(t, out.InSync, "the rest was synced by the apply: %s", out.ReportMarkdown)
			assert.Contains(t, strings.Join(out.Notes, "\n"), "Docker did not answer within "+deadline)
		})
	}
}
