package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Session limits of the streamable HTTP transport.
const (
	// DefaultSessionIdleTTL is how long a session may go without a request
	// before it is ended: as long as a plan lives, since a plan is bound
	// to the session that made it.
	DefaultSessionIdleTTL = time.Hour
	// DefaultMaxSessions bounds the sessions kept at once (mcp-go keeps
	// about 10 KB per session: 10 MB); past it, the session idle the
	// longest is ended to make room.
	DefaultMaxSessions = 1000
)

// sessionPrefix starts every session id this server issues.
const sessionPrefix = "cmdb-"

// errUnknownSession is what Validate returns for an id this server did
// not issue, or one it ended (DELETE, idle, evicted).
var errUnknownSession = errors.New("unknown session")

// sessions is the session id manager of the streamable HTTP transport:
// mcp-go asks it for a new id at initialize and to check an id, and it
// keeps which ids are live. Unlike mcp-go's own managers it forgets ended
// sessions (an ended id is as unknown as one never issued: both get 404),
// ends sessions idle past their TTL, and bounds how many there are. Ending
// a session also ends mcp-go's state of it, through end.
type sessions struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu   sync.Mutex
	live map[string]*sessionState
	// end removes mcp-go's state of a session this store ended; set
	// before the first session is issued.
	end func(id string)

	// evicted counts the sessions ended to make room, for the sweeper's log.
	evicted atomic.Int64

	stop chan struct{}
	done chan struct{}
}

type sessionState struct {
	lastActive time.Time
	// busy counts the requests and streams open on the session: a session
	// is idle only when it has none.
	busy int
	// protocol is the revision negotiated at initialize.
	protocol string
}

func newSessions(ttl time.Duration, max int) *sessions {
	if ttl <= 0 {
		ttl = DefaultSessionIdleTTL
	}
	if max <= 0 {
		max = DefaultMaxSessions
	}
	return &sessions{ttl: ttl, max: max, now: time.Now, live: map[string]*sessionState{}, end: func(string) {}}
}

// Generate issues a new session id: 128 random bits, so that ids cannot be
// guessed.
func (s *sessions) Generate() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	id := sessionPrefix + hex.EncodeToString(b[:])
	s.mu.Lock()
	var evicted string
	if len(s.live) >= s.max {
		evicted = s.oldestIdleLocked()
		delete(s.live, evicted)
	}
	s.live[id] = &sessionState{lastActive: s.now()}
	s.mu.Unlock()
	if evicted != "" {
		s.evicted.Add(1)
		s.end(evicted)
	}
	return id
}

// Validate reports an id that is not live as an error, which mcp-go
// answers with 404: the client must initialize a new session.
func (s *sessions) Validate(id string) (isTerminated bool, err error) {
	if !s.known(id) {
		return false, errUnknownSession
	}
	return false, nil
}

// Terminate ends a session (DELETE, or this store's own expiry).
func (s *sessions) Terminate(id string) (isNotAllowed bool, err error) {
	s.mu.Lock()
	delete(s.live, id)
	s.mu.Unlock()
	return false, nil
}

func (s *sessions) known(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live[id]
	return ok
}

// enter marks a request or stream open on a live session and reports
// whether the session is live; leave must follow.
func (s *sessions) enter(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.live[id]
	if ok {
		st.busy++
		st.lastActive = s.now()
	}
	return ok
}

func (s *sessions) leave(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.live[id]; ok {
		st.busy--
		st.lastActive = s.now()
	}
}

// setProtocol records the revision negotiated at initialize.
func (s *sessions) setProtocol(id, protocol string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.live[id]; ok {
		st.protocol = protocol
	}
}

func (s *sessions) protocol(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.live[id]; ok {
		return st.protocol
	}
	return ""
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// oldestIdleLocked is the session to evict: one with nothing open before
// one that has, then the one idle the longest.
func (s *sessions) oldestIdleLocked() string {
	first := func(a, b *sessionState) bool {
		if (a.busy == 0) != (b.busy == 0) {
			return a.busy == 0
		}
		return a.lastActive.Before(b.lastActive)
	}
	var pick string
	var pickState *sessionState
	for id, st := range s.live {
		if pickState == nil || first(st, pickState) {
			pick, pickState = id, st
		}
	}
	return pick
}

// expire ends the sessions idle past the TTL and returns how many.
func (s *sessions) expire() int {
	cutoff := s.now().Add(-s.ttl)
	s.mu.Lock()
	var ended []string
	for id, st := range s.live {
		if st.busy == 0 && st.lastActive.Before(cutoff) {
			ended = append(ended, id)
			delete(s.live, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ended {
		s.end(id)
	}
	return len(ended)
}

// start runs expiry every quarter TTL (at most a minute apart) until close.
func (s *sessions) start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	every := min(max(s.ttl/4, 50*time.Millisecond), time.Minute)
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if evicted := s.evicted.Swap(0); evicted > 0 {
					slog.Warn("ended the sessions idle the longest to make room for new ones", "ended", evicted, "max_sessions", s.max)
				}
				if n := s.expire(); n > 0 {
					attrs := []any{"ended", n, "live", s.count(), "idle_ttl", s.ttl.String()}
					if slog.Default().Enabled(context.Background(), slog.LevelDebug) {
						// Worth a collection only when someone reads it:
						// it shows that ended sessions are freed.
						runtime.GC()
						var m runtime.MemStats
						runtime.ReadMemStats(&m)
						attrs = append(attrs, "heap_alloc_bytes", m.HeapAlloc)
					}
					slog.Info("ended idle sessions", attrs...)
				}
			}
		}
	}()
}

func (s *sessions) close() {
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
}
