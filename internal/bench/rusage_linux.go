//go:build linux

package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// maxRSS is this process's peak resident set size in bytes: VmHWM, the
// high-water mark of its own address space. getrusage's ru_maxrss would
// not do in a child: Go starts processes with vfork semantics (the child
// shares the parent's address space until exec), and at exec the kernel
// keeps that shared space's high-water mark as the child's maxrss
// (fs/exec.c, exec_mmap), so it reports the parent's peak when that is
// larger.
func maxRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// childMaxRSS is a finished child's ru_maxrss in bytes, which includes the
// parent's peak up to the child's exec (see maxRSS): an upper bound only.
func childMaxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
