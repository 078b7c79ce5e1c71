//go:build !unix

package rundir

import (
	"context"
	"io/fs"
	"time"
)

// Without flock the lock holds within one process only; the engine's own
// lock already does that, so this one never waits.
func lockFile(context.Context, string, time.Duration, func(int)) (func(), error) {
	return func() {}, nil
}

func lockBusy(string) bool { return false }

func ownedBy(fs.FileInfo, int) bool { return true }

func writable(string) bool { return true }
