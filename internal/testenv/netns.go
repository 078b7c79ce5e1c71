package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

var netnsSeq atomic.Int64

// NewNetns creates a network namespace named prefix-<pid>-<n> for the rest
// of t and returns its name. Everything made inside it (links, addresses,
// routes) goes with it when t ends, so the root namespace is never touched.
// It needs root and iproute2, and skips (or fails, see Skip) without them.
func NewNetns(t testing.TB, prefix string) string {
	t.Helper()
	NeedRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		Skip(t, "iproute2's ip is not installed (apt-get install iproute2)")
	}
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), netnsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		Skip(t, fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete namespace %s: %v: %s", name, err, out)
		}
	})
	return name
}

// IPIn runs one `ip -n <ns>` command line, failing t if it fails.
func IPIn(t testing.TB, ns, args string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns}, strings.Fields(args)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v: %s", ns, args, err, out)
	}
}

// ForwardInto makes target (an address on the root namespace's loopback,
// a simulator's) reachable inside the namespace ns at the returned address
// on the namespace's loopback, for the rest of t. The listening socket is opened from a thread
// that enters the namespace for that one call; the connections it accepts
// are the namespace's, while the test process dials target from the root
// namespace. So the traffic stays on the two loopbacks.
func ForwardInto(t testing.TB, ns, target string) string {
	t.Helper()
	ln, err := listenIn(ns)
	if err != nil {
		t.Fatalf("listen inside namespace %s: %v", ns, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	track := func(c net.Conn, add bool) {
		mu.Lock()
		defer mu.Unlock()
		if add {
			conns[c] = true
		} else {
			delete(conns, c)
		}
	}
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer in.Close()
				out, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				track(in, true)
				track(out, true)
				defer track(in, false)
				defer track(out, false)
				done := make(chan struct{}, 2)
				pipe := func(dst, src net.Conn) {
					_, _ = io.Copy(dst, src)
					if tc, ok := dst.(*net.TCPConn); ok {
						_ = tc.CloseWrite()
					}
					done <- struct{}{}
				}
				go pipe(out, in)
				go pipe(in, out)
				<-done
				<-done
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// listenIn opens a TCP listener on 127.0.0.1 inside the named namespace.
func listenIn(name string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The thread switches namespace; it is locked to this goroutine
		// and returned to the runtime only once it is back in its own.
		runtime.LockOSThread()
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer back.Close()
		target, err := os.Open("/var/run/netns/" + name)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		if err := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); err != nil {
			// Still locked: the runtime ends the thread with this goroutine.
			if ln != nil {
				_ = ln.Close()
			}
			ch <- result{err: errors.Join(lerr, fmt.Errorf("setns back: %w", err))}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{ln: ln, err: lerr}
	}()
	r := <-ch
	return r.ln, r.err
}

// CommandIn is a command run inside the namespace ns (ip netns exec also
// mounts the namespace's own /sys, so discovery reads the namespace's
// interfaces).
func CommandIn(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}
