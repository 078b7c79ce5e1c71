package netboxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is one fault-injection rule: what to do to the requests it
// matches. The package doc shows its JSON form.
//
// A fault stands for what goes wrong between a client and NetBox: NetBox
// refusing (403, 409, 500), a proxy or load balancer in front of it
// failing (429, 502, 503, 504), a slow answer (Delay) and a connection
// that breaks (Drop). Without AfterCommit the request never reaches
// NetBox: nothing is written. With AfterCommit NetBox handles the request
// first, its writes are committed, and then the answer is lost: replaced
// by Status, held for Delay, or cut by Drop. That is the case where a
// client cannot know whether its create happened.
type Fault struct {
	// Method is the HTTP method to match, several separated by commas
	// ("POST,PATCH"); empty or "*" matches any.
	Method string `json:"method,omitempty"`
	// Path is a path.Match pattern for the request path ("*" matches
	// within one segment: "/api/dcim/devices/*/"); empty matches every
	// path below /api/. The simulator's own /__sim/ paths never match.
	Path string `json:"path,omitempty"`
	// Count is how many matching requests the rule affects; 0 means every
	// one until the rules are cleared.
	Count int `json:"count,omitempty"`

	// Status answers with this status (400-599) and a body like the one
	// NetBox or the proxy in front of it sends.
	Status int `json:"status,omitempty"`
	// Message replaces the default message of the Status body.
	Message string `json:"message,omitempty"`
	// RetryAfter sets the Retry-After header, in seconds, of a Status
	// answer. A 429 without it says 1 second.
	RetryAfter *int `json:"retry_after,omitempty"`
	// Delay holds the request (or, with AfterCommit, its answer) this long,
	// or until the client hangs up. A request whose client hangs up while
	// it is held before reaching NetBox is not served.
	Delay time.Duration `json:"-"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// AfterCommit serves the request first and then applies the fault to
	// its answer.
	AfterCommit bool `json:"after_commit,omitempty"`
}

// MarshalJSON writes Delay as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault // no methods: no recursion
	out := struct {
		plain
		Delay string `json:"delay,omitempty"`
	}{plain: plain(f)}
	if f.Delay > 0 {
		out.Delay = f.Delay.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads Delay as a duration string ("150ms", "30s") and
// refuses unknown keys, so that a misspelt rule is an error rather than a
// fault that never fires.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var in struct {
		plain
		Delay string `json:"delay,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	*f = Fault(in.plain)
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			return fmt.Errorf("delay %q is not a duration such as 150ms or 30s", in.Delay)
		}
		f.Delay = d
	}
	return nil
}

// validate says what is wrong with a rule.
func (f Fault) validate() error {
	var errs []error
	if _, err := path.Match(f.Path, "/api/"); err != nil {
		errs = append(errs, fmt.Errorf("path %q is not a path.Match pattern: %v", f.Path, err))
	}
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count %d is negative: use 0 for every request", f.Count))
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status %d is not an error status (400-599)", f.Status))
	}
	if f.Status != 0 && f.Drop {
		errs = append(errs, errors.New("status and drop exclude each other: a dropped connection has no status"))
	}
	if f.Status == 0 && !f.Drop && f.Delay <= 0 {
		errs = append(errs, errors.New("a fault needs a status, a delay or drop"))
	}
	if f.Delay < 0 {
		errs = append(errs, fmt.Errorf("delay %s is negative", f.Delay))
	}
	if f.RetryAfter != nil && *f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("retry_after %d is negative", *f.RetryAfter))
	}
	if f.RetryAfter != nil && f.Status == 0 {
		errs = append(errs, errors.New("retry_after needs a status"))
	}
	return errors.Join(errs...)
}

func (f Fault) matches(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	if m := strings.TrimSpace(f.Method); m != "" && m != "*" {
		ok := false
		for _, one := range strings.Split(m, ",") {
			if strings.EqualFold(strings.TrimSpace(one), r.Method) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.Path == "" {
		return true
	}
	ok, _ := path.Match(f.Path, r.URL.Path)
	return ok
}

// describe is the fault as the request log shows it.
func (f Fault) describe() string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	switch {
	case f.Drop:
		parts = append(parts, "drop")
	case f.Status != 0:
		parts = append(parts, "status "+strconv.Itoa(f.Status))
	}
	return strings.Join(parts, ", ")
}

// FaultState is a rule with how often it fired, as GET /__sim/faults
// returns it.
type FaultState struct {
	Fault
	// Hits is how many requests the rule has affected.
	Hits int `json:"hits"`
	// Remaining is how many more it will affect; -1 means no limit.
	Remaining int `json:"remaining"`
}

// MarshalJSON keeps Fault's JSON form and adds the counters.
func (s FaultState) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(s.Fault)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["hits"], m["remaining"] = s.Hits, s.Remaining
	return json.Marshal(m)
}

// faultTable holds the rules; it has its own lock so that a held request
// never blocks the rules or the data.
type faultTable struct {
	mu    sync.Mutex
	rules []*FaultState
}

// AddFault adds rules after the ones already set. The first rule that
// matches a request and has requests left decides what happens to it.
// Nothing is added when a rule is invalid.
func (s *Server) AddFault(rules ...Fault) error {
	for i, f := range rules {
		if err := f.validate(); err != nil {
			return fmt.Errorf("fault %d: %w", i, err)
		}
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for _, f := range rules {
		left := f.Count
		if left == 0 {
			left = -1
		}
		s.faults.rules = append(s.faults.rules, &FaultState{Fault: f, Remaining: left})
	}
	return nil
}

// ClearFaults removes every rule. Requests held by a Delay stay held.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = nil
}

// Faults returns the rules with their counters.
func (s *Server) Faults() []FaultState {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]FaultState, 0, len(s.faults.rules))
	for _, f := range s.faults.rules {
		out = append(out, *f)
	}
	return out
}

// takeFault returns the rule that applies to r, counting it.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for _, f := range s.faults.rules {
		if f.Remaining == 0 || !f.matches(r) {
			continue
		}
		if f.Remaining > 0 {
			f.Remaining--
		}
		f.Hits++
		return f.Fault, true
	}
	return Fault{}, false
}

// serveFaults answers /__sim/faults: GET lists the rules, POST adds a
// JSON list of rules (or one rule), DELETE clears them.
func (s *Server) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, s.Faults())
	case http.MethodPost:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeDetail(w, http.StatusBadRequest, "reading the body: "+err.Error())
			return
		}
		body = bytes.TrimSpace(body)
		var rules []Fault
		if len(body) > 0 && body[0] == '{' {
			var one Fault
			err = json.Unmarshal(body, &one)
			rules = []Fault{one}
		} else {
			err = json.Unmarshal(body, &rules)
		}
		if err == nil {
			err = s.AddFault(rules...)
		}
		if err != nil {
			writeDetail(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	case http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
	}
}

// injectFault applies the first matching rule to r and logs it. It
// reports false, having done nothing, when no rule matches.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Fault: f.describe()}

	var committed *bufferedResponse
	if f.AfterCommit {
		// NetBox handles the request; its writes are in. Only the answer
		// is left to lose.
		committed = newBufferedResponse()
		s.serve(committed, r)
		entry.Fault += fmt.Sprintf(" after commit (NetBox answered %d)", committed.status)
	}
	if f.Delay > 0 && !hold(r.Context(), f.Delay) {
		// The client gave up. Before commit, the request never reaches
		// NetBox, as when a proxy's queue drops it.
		if committed == nil {
			entry.Fault += ": the client hung up, not served"
		} else {
			entry.Fault += ": the client hung up"
		}
		s.logRequest(entry)
		// Nothing is answered: not even the implicit 200 that returning
		// would send (and that an OpenAPI check would then read).
		panic(http.ErrAbortHandler)
	}
	switch {
	case f.Drop:
		s.logRequest(entry) // status 0: no answer
		dropConnection(w)
	case f.Status != 0:
		entry.Status = f.Status
		s.logRequest(entry)
		s.writeFault(w, f)
	case committed != nil:
		entry.Status = committed.status
		s.logRequest(entry)
		committed.copyTo(w)
	default:
		// Only a delay: NetBox answers, late.
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		logged := false
		sw.onHeader = func(status int) {
			if !logged {
				logged = true
				entry.Status = status
				s.logRequest(entry)
			}
		}
		s.serve(sw, r)
		sw.onHeader(sw.status)
	}
	return true
}

func (s *Server) logRequest(e Request) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = append(s.log, e)
}

// hold waits for d; false when the client hung up first.
func hold(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the client's connection without an answer. Where
// the connection can be taken over it is reset (the client reads
// "connection reset by peer"); behind a wrapper that cannot hand it over
// (the OpenAPI check of simtest) net/http closes it (the client reads EOF).
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // net/http closes the connection, quietly
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// writeFault sends the body NetBox, or the proxy in front of it, sends
// with f.Status.
func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	retryAfter := -1
	if f.RetryAfter != nil {
		retryAfter = *f.RetryAfter
	} else if f.Status == http.StatusTooManyRequests {
		retryAfter = 1
	}
	if retryAfter >= 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	msg := f.Message
	if f.Status < 502 {
		// NetBox answers these itself, and NetBox marks every API answer
		// with API-Version (netbox/middleware.py); the proxy's 502, 503
		// and 504 below carry none.
		w.Header().Set("API-Version", s.apiVersion)
	}
	switch f.Status {
	case http.StatusForbidden:
		// DRF's PermissionDenied, what a token without the permission gets.
		w.Header().Set("X-Request-ID", newUUID())
		writeDetail(w, f.Status, orDefault(msg, "You do not have permission to perform this action."))
	case http.StatusConflict:
		w.Header().Set("X-Request-ID", newUUID())
		writeDetail(w, f.Status, orDefault(msg, "The request could not be completed: the object was changed by another request."))
	case http.StatusTooManyRequests:
		// DRF's Throttled.
		if msg == "" {
			msg = "Request was throttled."
			if retryAfter > 0 {
				unit := "seconds"
				if retryAfter == 1 {
					unit = "second"
				}
				msg += fmt.Sprintf(" Expected available in %d %s.", retryAfter, unit)
			}
		}
		writeDetail(w, f.Status, msg)
	case http.StatusInternalServerError:
		// NetBox's handle_rest_api_exception (utilities/error_handlers.py).
		w.Header().Set("X-Request-ID", newUUID())
		writeJSON(w, f.Status, object{
			{"error", orDefault(msg, "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.")},
			{"exception", "OperationalError"},
			{"netbox_version", s.opts.Version},
			{"python_version", "3.12.3"},
		})
	default:
		if f.Status < 500 {
			writeDetail(w, f.Status, orDefault(msg, http.StatusText(f.Status)))
			return
		}
		// A reverse proxy's page (nginx): 502, 503, 504 do not come from
		// NetBox.
		title := fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))
		page := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
			orDefault(msg, title) + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, page)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// bufferedResponse keeps an answer to send later, or never.
type bufferedResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}, status: http.StatusOK}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = slices.Clone(v)
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
