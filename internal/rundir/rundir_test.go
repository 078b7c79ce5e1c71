package rundir

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	d, err := Resolve(env(map[string]string{EnvDir: filepath.Join(dir, "given")}))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "given"), d.Path(), "CMDB_RUNTIME_DIR wins, made if missing")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o600))
	_, err = Resolve(env(map[string]string{EnvDir: filepath.Join(dir, "file")}))
	require.ErrorContains(t, err, "not a directory")

	d, err = Resolve(env(map[string]string{"XDG_RUNTIME_DIR": dir}))
	require.NoError(t, err)
	if writable(SystemDir) {
		assert.Equal(t, SystemDir, d.Path(), "a writable /run/cmdb-mcp comes before XDG_RUNTIME_DIR")
	} else {
		assert.Equal(t, filepath.Join(dir, "cmdb-mcp"), d.Path())
	}
}

func TestRecords(t *testing.T) {
	d, err := Open(t.TempDir())
	require.NoError(t, err)
	type rec struct{ Plan string }
	var got rec
	ok, err := d.ReadRecord("apply-x", &got)
	require.NoError(t, err)
	assert.False(t, ok)

	require.NoError(t, d.WriteRecord("apply-x", rec{Plan: "plan-1"}))
	require.NoError(t, d.WriteRecord("apply-x", rec{Plan: "plan-2"}))
	ok, err = d.ReadRecord("apply-x", &got)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "plan-2", got.Plan)
	entries, err := os.ReadDir(d.Path())
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")

	require.NoError(t, d.RemoveRecord("apply-x"))
	require.NoError(t, d.RemoveRecord("apply-x"), "removing what is gone is no error")
	ok, err = d.ReadRecord("apply-x", &got)
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestLockExcludes: of many holders in one process only one is inside at
// a time; a waiter is told who holds the lock, and gives up at ctx's end
// or after maxWait.
func TestLockExcludes(t *testing.T) {
	d, err := Open(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			unlock, err := d.Lock(ctx, "sync-x", time.Minute, nil)
			if !assert.NoError(t, err) {
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), most.Load())

	unlock, err := d.Lock(ctx, "sync-x", time.Minute, nil)
	require.NoError(t, err)
	assert.True(t, d.Busy("sync-x"))
	var holder int
	_, err = d.Lock(ctx, "sync-x", 50*time.Millisecond, func(pid int) { holder = pid })
	var busy *LockBusyError
	require.ErrorAs(t, err, &busy)
	assert.Equal(t, os.Getpid(), holder)
	assert.Equal(t, os.Getpid(), busy.Holder)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = d.Lock(cctx, "sync-x", time.Minute, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	unlock()
	assert.False(t, d.Busy("sync-x"))
	entries, err := os.ReadDir(d.Path())
	require.NoError(t, err)
	assert.Empty(t, entries, "no lock file is left behind")
}

// TestLockAcrossProcesses: a lock held by another process is waited for,
// and is free again once that process is killed.
func TestLockAcrossProcesses(t *testing.T) {
	if os.Getenv("RUNDIR_HOLD") != "" {
		d, err := Open(os.Getenv("RUNDIR_HOLD"))
		if err != nil {
			os.Exit(2)
		}
		if _, err := d.Lock(context.Background(), "sync-x", time.Minute, nil); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Hour)
		return
	}
	dir := t.TempDir()
	d, err := Open(dir)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "RUNDIR_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	buf := make([]byte, 7)
	_, err = out.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "locked\n", string(buf))

	var holder int
	_, err = d.Lock(context.Background(), "sync-x", 100*time.Millisecond, func(pid int) { holder = pid })
	require.Error(t, err)
	assert.Equal(t, cmd.Process.Pid, holder)
	assert.Contains(t, err.Error(), "process "+strconv.Itoa(cmd.Process.Pid))

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	unlock, err := d.Lock(context.Background(), "sync-x", 10*time.Second, nil)
	require.NoError(t, err, "a killed holder leaves the lock free")
	unlock()
}
