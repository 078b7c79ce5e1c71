package network_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// netns is a network namespace that lives as long as the test. Everything
// the test makes (links, addresses, routes) is inside it, so deleting it
// removes them all; the root namespace is never touched.
type netns struct {
	t    *testing.T
	name string
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	return &netns{t: t, name: testenv.NewNetns(t, "cmdb-e2e")}
}

// ip runs `ip -n <ns> <args>`, failing the test if it fails.
func (ns *netns) ip(args string) {
	ns.t.Helper()
	testenv.IPIn(ns.t, ns.name, args)
}

// forward makes target (an address on the root namespace's loopback, the
// simulator's) reachable inside the namespace at the returned address on
// the namespace's loopback. The listening socket is opened from a thread
// that enters the namespace for that one call; the connections it accepts
// are the namespace's, while the test process dials target from the root
// namespace. So the traffic stays on the two loopbacks.
func (ns *netns) forward(target string) string {
	ns.t.Helper()
	ln, err := listenIn(ns.name)
	require.NoError(ns.t, err, "listen inside namespace %s", ns.name)
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
	ns.t.Cleanup(func() {
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

// exec runs a command inside the namespace (ip netns exec also mounts the
// namespace's own /sys, so discovery reads this namespace's interfaces).
func (ns *netns) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.name, name}, args...)...)
}
