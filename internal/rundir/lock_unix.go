//go:build unix

package rundir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock on path. flock locks belong to the
// open file, so two opens in one process exclude each other too, and the
// kernel drops the lock when its holder dies. The holder removes the file
// before it lets go, so that the directory keeps no file per device ever
// synced; a waiter that then gets the lock of a file no longer at path
// (or another file there) starts again with the file that is.
func lockFile(ctx context.Context, path string, maxWait time.Duration, onWait func(int)) (func(), error) {
	start := time.Now()
	wait := 10 * time.Millisecond
	waited := false
	for {
		f, err := openLock(path)
		if err != nil {
			return nil, err
		}
		for {
			err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
			if err == nil {
				break
			}
			if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
				f.Close()
				return nil, &fs.PathError{Op: "flock", Path: path, Err: err}
			}
			if !waited && onWait != nil {
				onWait(holderOf(path))
			}
			waited = true
			if time.Since(start) >= maxWait {
				f.Close()
				return nil, &LockBusyError{Name: path, Holder: holderOf(path), Waited: time.Since(start)}
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				f.Close()
				return nil, ctx.Err()
			case <-t.C:
			}
			wait = min(2*wait, 250*time.Millisecond)
		}
		if !samePath(f, path) {
			f.Close() // its holder removed it: lock the one at path now
			continue
		}
		// Who holds it, for a waiter's message; not needed for the lock.
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return func() {
			_ = os.Remove(path)
			_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
			f.Close()
		}, nil
	}
}

// openLock opens the lock file at path, making it if missing.
// Group-writable, for a directory users share; the umask decides. flock
// needs no write permission: a lock file another user made locks as well
// read-only (it then shows no pid).
func openLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o660)
	if errors.Is(err, fs.ErrPermission) {
		f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	}
	return f, err
}

// samePath reports whether the open file f is the file at path now.
func samePath(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Lstat(path)
	return err == nil && os.SameFile(held, now)
}

func lockBusy(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false // no lock file: nobody ever locked it
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}

func ownedBy(fi fs.FileInfo, uid int) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

func writable(path string) bool { return unix.Access(path, unix.W_OK) == nil }
