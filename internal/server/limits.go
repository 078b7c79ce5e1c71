package server

import (
	"net"
	"sync"
	"time"
)

// Defaults of the HTTP server's limits. Reading a request is quick (an MCP
// message is a few KB); a response may take as long as an apply, which on
// a large host with NetBox retrying is minutes: the write timeout leaves it
// a quarter of an hour.
const (
	readHeaderTimeout     = 10 * time.Second
	DefaultReadTimeout    = 30 * time.Second
	DefaultWriteTimeout   = 15 * time.Minute
	DefaultIdleTimeout    = 2 * time.Minute
	DefaultMaxConnections = 128
	maxHeaderBytes        = 64 << 10
)

func (o HTTPOptions) readTimeout() time.Duration { return orDefault(o.ReadTimeout, DefaultReadTimeout) }
func (o HTTPOptions) writeTimeout() time.Duration {
	return orDefault(o.WriteTimeout, DefaultWriteTimeout)
}
func (o HTTPOptions) idleTimeout() time.Duration { return orDefault(o.IdleTimeout, DefaultIdleTimeout) }

func (o HTTPOptions) maxConnections() int {
	if o.MaxConnections > 0 {
		return o.MaxConnections
	}
	return DefaultMaxConnections
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// limitListener accepts at most n connections at once; the others wait in
// the kernel's backlog until one closes.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closeOnce sync.Once
	closed    chan struct{}
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
