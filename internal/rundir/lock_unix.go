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
// kernel drops the lock when its holder dies. The file is never removed:
// removing a lock file lets a waiter lock a file another process has just
// replaced.
func lockFile(ctx context.Context, path string, maxWait time.Duration, onWait func(int)) (func(), error) {
	// Group-writable, for a directory users share; the umask decides.
	// flock needs no write permission: a lock file another user made
	// locks as well read-only (it then shows no pid).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o660)
	if errors.Is(err, fs.ErrPermission) {
		f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	wait := 10 * time.Millisecond
	for waited := false; ; {
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
	// Who holds it, for a waiter's message; not needed for the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
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
