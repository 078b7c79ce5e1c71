// Package rundir is the runtime directory that cmdb-mcp's processes on one
// host share: the lock that lets one apply of a device write at a time
// (a cron job's `cmdb-mcp apply --yes` and an agent's server, say), and
// the record of the apply in progress, which an apply that is killed
// leaves behind for the next one to report.
//
// The directory, first that applies:
//
//  1. $CMDB_RUNTIME_DIR, as given (made if missing);
//  2. /run/cmdb-mcp, if it exists and this process may write it, or can
//     be made (root);
//  3. $XDG_RUNTIME_DIR/cmdb-mcp;
//  4. <os.TempDir()>/cmdb-mcp-<uid>, made private to the user.
//
// Processes serialise only when they resolve the same directory. Root
// always gets /run/cmdb-mcp, whatever its environment (a cron job has no
// XDG_RUNTIME_DIR, a login shell has one); processes of different users
// share one when /run/cmdb-mcp is made writable for them all, or when
// they are given the same CMDB_RUNTIME_DIR.
package rundir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment and the system-wide directory.
const (
	EnvDir    = "CMDB_RUNTIME_DIR"
	SystemDir = "/run/cmdb-mcp"
)

// Dir is a resolved runtime directory. It is safe for concurrent use.
type Dir struct{ path string }

// Resolve picks the runtime directory as the package doc says, making it
// if needed.
func Resolve(getenv func(string) string) (*Dir, error) {
	if p := strings.TrimSpace(getenv(EnvDir)); p != "" {
		d, err := Open(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDir, err)
		}
		return d, nil
	}
	if d, err := Open(SystemDir); err == nil && writable(SystemDir) {
		return d, nil
	}
	if x := strings.TrimSpace(getenv("XDG_RUNTIME_DIR")); x != "" && filepath.IsAbs(x) {
		if d, err := Open(filepath.Join(x, "cmdb-mcp")); err == nil {
			return d, nil
		}
	}
	return privateTemp()
}

// Open uses path as the runtime directory, making it (private to the
// user) if it is missing.
func Open(path string) (*Dir, error) {
	path = filepath.Clean(path)
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", path)
	}
	return &Dir{path: path}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// privateTemp is the last resort: a directory of the user's own under the
// shared temporary directory, which anyone may write, so it must be this
// user's and no one else's (not a link someone planted).
func privateTemp() (*Dir, error) {
	uid := os.Getuid()
	path := filepath.Join(os.TempDir(), "cmdb-mcp-"+strconv.Itoa(uid))
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() || !ownedBy(fi, uid) || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%s is not a directory of this user's that only it may write: remove it, or set %s", path, EnvDir)
	}
	return &Dir{path: path}, nil
}

// WriteRecord stores v as JSON under name, whole or not at all (a file
// beside it renamed into place), readable by this user only.
func (d *Dir) WriteRecord(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.path, "."+name+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, d.file(name))
	}
	if werr != nil {
		_ = os.Remove(tmp)
	}
	return werr
}

// ReadRecord decodes the record stored under name into v; ok is false
// when there is none.
func (d *Dir) ReadRecord(name string, v any) (ok bool, err error) {
	data, err := os.ReadFile(d.file(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s: %w", d.file(name), err)
	}
	return true, nil
}

// RemoveRecord deletes the record stored under name, if any.
func (d *Dir) RemoveRecord(name string) error {
	if err := os.Remove(d.file(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (d *Dir) file(name string) string { return filepath.Join(d.path, name+".json") }

// LockBusyError says that a lock stayed taken for as long as Lock waited.
type LockBusyError struct {
	Name   string
	Holder int // the pid of the process that holds it, 0 when unknown
	Waited time.Duration
}

func (e *LockBusyError) Error() string {
	who := "another process"
	if e.Holder != 0 {
		who = "process " + strconv.Itoa(e.Holder)
	}
	return fmt.Sprintf("%s still holds %s after %s", who, e.Name, e.Waited.Round(time.Second))
}

// Lock takes the lock called name (a file <name>.lock in the directory),
// waiting while another process, or another Lock of this one, holds it,
// until it is free, ctx ends or maxWait passes. onWait, when not nil, is
// called once if Lock has to wait, with the holder's pid (0 if unknown).
// The lock goes with the process: one that is killed leaves it free.
func (d *Dir) Lock(ctx context.Context, name string, maxWait time.Duration, onWait func(holder int)) (unlock func(), err error) {
	return lockFile(ctx, filepath.Join(d.path, name+".lock"), maxWait, onWait)
}

// Busy reports whether some process holds the lock called name now.
func (d *Dir) Busy(name string) bool {
	return lockBusy(filepath.Join(d.path, name+".lock"))
}

func holderOf(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}
