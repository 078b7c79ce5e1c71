// Package netboxsim is an in-memory NetBox 4.3 REST API for tests; as version
// profiles it also plays what 4.4, 4.5 and 4.6 change that cmdb-mcp meets
// (Options.Version, profiles.go). It reproduces the behaviour cmdb-mcp
// depends on, read from NetBox's source (netbox-community/netbox at the
// tags profiles.go names; each file here names the source files it plays):
// token auth that fails with 403, limit/offset paging with absolute links,
// django-filter semantics, DRF's validation order and error bodies, brief
// and nested representations, ?fields=, bulk writes that are
// all-or-nothing, and deletion rules (PROTECT, CASCADE, SET_NULL).
//
// The tables are generic: a model (models.go) lists its writable fields,
// uniqueness rules, filters and renderers, and the HTTP layer here serves
// every model the same way.
//
// # What real installations add
//
// Beyond the objects a sync writes (sites to VMs, interfaces, MAC and IP
// addresses, journal entries, the change log), the simulator serves what
// makes a real NetBox refuse single objects of a sync, each through the
// ordinary REST API, so tests set them up as an administrator would
// (package simtest has helpers):
//
//   - custom fields and choice sets (models_customfields.go): types text,
//     longtext, integer, decimal, boolean, date, datetime, url, json,
//     select, multiselect, object, multiobject; required, default, unique,
//     validation_minimum/maximum/regex; every object with custom fields
//     reads and writes them, and a required field without a value refuses
//     a create and every later update of the object.
//   - cables between interfaces (models_cable.go), and the interface rules
//     that read them.
//   - VRFs with enforce_unique and IP ranges with mark_populated
//     (models_ipam.go).
//   - users, object permissions and tokens, and how the API enforces them
//     (models_users.go, perms.go: the lookups constraints may use). The
//     Options tokens belong to the superuser "admin" (id 1), so a test that
//     makes no users sees no permission checks.
//   - an Accept header whose version NetBox does not serve is 406; boolean
//     filters read only true/True/2 and false/False/3.
//
// # What it does not model
//
// Beyond what the files say they leave out (the stub models of models.go,
// models_network.go and models_ipam.go; profiles.go's newer shapes;
// changelog.go's data):
//
//   - Custom fields: the cf_<name> filters of object lists; the base
//     choices of choice sets (IATA, ISO 3166, UN/LOCODE) add no values,
//     and removing a choice still in use is not refused; custom fields on
//     the models the simulator only stubs (tenants, regions, ...);
//     validation_regex is Go's regexp, not Python's re (no lookarounds or
//     backreferences); ui_visible, ui_editable, search and filter logic
//     change nothing.
//   - Cables: terminations other than interfaces (console, power, front
//     and rear ports, circuits); paths longer than one cable; the
//     interface's own change record when a cable is attached; cable
//     filters by site, rack or location; deleting a cabled interface
//     leaves the cable with fewer terminations instead of deleting its
//     CableTermination record.
//   - IPAM: prefixes, aggregates, roles and route targets (stubs);
//     available-IP endpoints; ranges' utilization.
//   - Users: groups (a stub: permissions reach users only directly); the
//     token provisioning endpoint (username and password); tokens made
//     through the API are v1 tokens in every profile; last_used is never
//     updated; the Options tokens are no rows of /api/users/tokens/;
//     EXEMPT_VIEW_PERMISSIONS and LOGIN_REQUIRED=False; the
//     users.grant_token permission (only a superuser may make tokens for
//     others); passwords are validated, never checked.
//   - Permissions: constraints on content type fields, dates, or reverse
//     relations other than an IP's or MAC's interface fail with a 500
//     (NetBox evaluates them); the permissions of related objects a write
//     names are not checked (NetBox does not either).
//   - ?fields= on writes (NetBox then also restricts the input to those
//     fields); ?omit=; the browsable API (an Accept of text/html gets
//     JSON); ?format=.
//
// Besides /api/, the simulator answers, without authentication and
// without logging them:
//
//	GET    /__sim/requests  the request log, a JSON array of Request
//	DELETE /__sim/requests  empty the log
//	GET    /__sim/faults    the fault rules with their hits and remaining counts
//	POST   /__sim/faults    add fault rules: a JSON list of rules (or one rule)
//	DELETE /__sim/faults    remove every rule
//
// A fault rule (Fault; Server.AddFault and ClearFaults in Go) makes the
// requests it matches fail the way NetBox or the proxy in front of it
// fails. Every key is optional, but a rule needs status, delay or drop:
//
//	{
//	  "method": "POST,PATCH",        // methods to match, comma-separated; "" or "*": any
//	  "path": "/api/dcim/devices/*/", // path.Match pattern ("*" stays within a segment); "": any /api/ path
//	  "count": 2,                    // requests to affect; 0: every one until DELETE
//	  "status": 503,                 // 400-599, with NetBox's body (403, 409, 429, 500)
//	                                 // or a proxy's HTML page (502, 503, 504)
//	  "message": "...",              // replaces the body's default message
//	  "retry_after": 1,              // Retry-After seconds (a 429 says 1 by default)
//	  "delay": "30s",                // hold the request (Go duration) or until the client hangs up
//	  "drop": true,                  // close the connection without an answer
//	  "after_commit": true           // serve first (writes commit), then lose the answer
//	}
//
// The first rule that matches and has requests left applies. A request
// held by a delay before commit whose client hangs up is never served.
// Faulted requests are logged like others, with the status the client
// got (0 for none) and Request.Fault saying what was done.
package netboxsim

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a simulator.
type Options struct {
	Token         string        // v1 write token of the superuser admin: "Authorization: Token <Token>"
	ReadOnlyToken string        // optional v1 token of admin's that may only read (writes -> 403 permission)
	Latency       time.Duration // optional added per request (not for /__sim/ endpoints)
	// LatencyPerObject is optional, added to a write request (POST, PUT,
	// PATCH, DELETE) per object its body carries: the items of a bulk
	// write's list, or 1. With Latency it makes NetBox's time grow with
	// what it saves, as a real one's does; reads cost only Latency.
	LatencyPerObject time.Duration
	// Version is the NetBox release to play (profiles.go): "4.3" to "4.6"
	// or a full version such as "4.6.2"; default "4.3.7".
	Version string
	// V2Token is an optional v2 write token, "nbt_<key>.<token>", that
	// 4.5 and later accept as "Authorization: Bearer nbt_<key>.<token>".
	V2Token string
}

// Request is one entry of the request log.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Status int    `json:"status"`
	Fault  string `json:"fault,omitempty"` // the fault injected, if any (faults.go)
}

// Server is a simulated NetBox. It is safe for concurrent use.
type Server struct {
	opts       Options
	apiVersion string

	mu sync.RWMutex // guards st
	st *store

	logMu sync.Mutex
	log   []Request

	faults faultTable // faults.go
}

// New returns an empty NetBox.
func New(opts Options) *Server {
	prof, version := profileFor(opts.Version) // profiles.go
	opts.Version = version
	st := newStore(prof.models(catalog()))
	st.prof = prof
	st.minor, st.patch = releaseOf(prof, version) // changelog.go
	st.seedAdmin()                                // models_users.go
	// API-Version is major.minor (netbox/settings.py REST_FRAMEWORK_VERSION).
	api := version
	if parts := strings.SplitN(strings.SplitN(api, "-", 2)[0], ".", 3); len(parts) >= 2 {
		api = parts[0] + "." + parts[1]
	}
	return &Server{opts: opts, apiVersion: api, st: st}
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.log)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

// ServeHTTP serves NetBox's REST API below /api/ and the simulator's own
// endpoints below /__sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.serveSim(w, r)
		return
	}
	if s.injectFault(w, r) { // faults.go
		return
	}
	if latency := s.opts.Latency + s.objectLatency(r); latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	// The request is logged when its status is sent, before the body: a
	// client that has read the response finds it in the log.
	logged := false
	logIt := func(status int) {
		if logged {
			return
		}
		logged = true
		s.logMu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
		s.logMu.Unlock()
	}
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK, onHeader: logIt}
	s.serve(rec, r)
	logIt(rec.status)
}

// objectLatency is LatencyPerObject times the objects r writes. It reads
// the body to count them and puts it back for the handler.
func (s *Server) objectLatency(r *http.Request) time.Duration {
	if s.opts.LatencyPerObject <= 0 || r.Body == nil {
		return 0
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return 0
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
	return time.Duration(writtenObjects(body)) * s.opts.LatencyPerObject
}

// errReader hands on the error that cut a body short, after its bytes.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// writtenObjects is how many objects a write's body carries: the items of
// a JSON list (a bulk write), else 1 (a single object, or a body the
// handler will refuse).
func writtenObjects(body []byte) int {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return 1
	}
	var items []json.RawMessage
	if json.Unmarshal(trimmed, &items) != nil {
		return 1
	}
	return max(len(items), 1)
}

type statusWriter struct {
	http.ResponseWriter
	status   int
	wrote    bool
	onHeader func(status int)
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
		w.onHeader(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		w.onHeader(w.status)
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serveSim(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/__sim/requests" && r.Method == http.MethodGet:
		log := s.Requests()
		if log == nil {
			log = []Request{}
		}
		writeJSON(w, http.StatusOK, log)
	case r.URL.Path == "/__sim/requests" && r.Method == http.MethodDelete:
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/__sim/faults":
		s.serveFaults(w, r)
	default:
		http.NotFound(w, r)
	}
}

// route is what a path below /api/ names.
type route struct {
	kind  routeKind
	model *model
	id    string
}

type routeKind int

const (
	noRoute routeKind = iota
	statusRoute
	listRoute
	detailRoute
	changeListRoute   // /api/core/object-changes/ (changelog.go)
	changeDetailRoute // /api/core/object-changes/{id}/
)

func (s *Server) route(path string) route {
	if path == "/api/status/" {
		return route{kind: statusRoute}
	}
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok || !strings.HasSuffix(rest, "/") {
		return route{}
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) >= 2 && parts[0]+"/"+parts[1] == changesRoute {
		switch {
		case len(parts) == 2:
			return route{kind: changeListRoute}
		case len(parts) == 3 && parts[2] != "":
			return route{kind: changeDetailRoute, id: parts[2]}
		}
		return route{}
	}
	switch len(parts) {
	case 2:
		if m := s.st.routes[parts[0]+"/"+parts[1]]; m != nil {
			return route{kind: listRoute, model: m}
		}
	case 3:
		if m := s.st.routes[parts[0]+"/"+parts[1]]; m != nil && parts[2] != "" {
			return route{kind: detailRoute, model: m, id: parts[2]}
		}
	}
	return route{}
}

func (rt route) allowed() []string {
	switch rt.kind {
	case statusRoute, changeListRoute, changeDetailRoute:
		return []string{"GET", "HEAD", "OPTIONS"}
	case listRoute:
		return []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	}
	return []string{"GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
}

// serve answers one API request in NetBox's order: the route, content
// negotiation, admission (authentication, permissions, method), then the
// endpoint's handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// NetBox's request.id: the X-Request-ID header and the request_id of
	// the request's change records.
	reqID := newUUID()
	w.Header().Set("X-Request-ID", reqID)
	rt := s.route(r.URL.Path)
	if rt.kind == noRoute {
		s.noRoute(w, r)
		return
	}
	w.Header().Set("API-Version", s.apiVersion)
	w.Header().Set("Allow", strings.Join(rt.allowed(), ", "))
	w.Header().Set("Vary", "Accept, Cookie, Origin")

	// DRF's initial(): content negotiation and the API version come
	// before authentication.
	if msg := s.negotiate(r.Header.Get("Accept")); msg != "" {
		writeDetail(w, http.StatusNotAcceptable, msg)
		return
	}
	p, ok := s.admit(w, r, rt)
	if !ok {
		return
	}
	if r.Method == http.MethodOptions {
		s.options(w, rt)
		return
	}
	if rt.kind == statusRoute {
		writeJSON(w, http.StatusOK, s.status())
		return
	}
	s.handle(w, r, rt, p, reqID)
}

// noRoute answers a path that names no endpoint: Django's APPEND_SLASH
// redirects to the slashed URL when it exists, else Django's HTML 404
// page, not a DRF response.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/") && s.route(r.URL.Path+"/").kind != noRoute {
		target := r.URL.Path + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!doctype html>\n<html lang=\"en\">\n<head><title>Not Found</title></head>\n"+
		"<body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body>\n</html>\n")
}

// isWrite says whether the method changes objects.
func isWrite(method string) bool {
	return !slices.Contains([]string{"GET", "HEAD", "OPTIONS"}, method)
}

// admit is DRF's order: authentication, permissions, then the method. It
// answers a request it refuses and returns its principal otherwise.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, rt route) (principal, bool) {
	s.mu.RLock()
	p, fail := s.authenticate(r)
	permitted := true
	if fail == "" && rt.kind != statusRoute {
		// TokenPermissions: the token's write ability, then the model
		// permission of the method's action (perms.go).
		label := "core.objectchange"
		if rt.model != nil {
			label = rt.model.label
		}
		permitted = (!isWrite(r.Method) || p.writeEnabled) && s.st.hasPerm(p, label, actionOf(r.Method))
	}
	s.mu.RUnlock()
	switch {
	case fail != "":
		writeDetail(w, http.StatusForbidden, fail)
	case !permitted:
		writeForbidden(w)
	case !slices.Contains(rt.allowed(), r.Method):
		writeDetail(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
	default:
		return p, true
	}
	return p, false
}

// handle reads an admitted request's body and runs its handler under the
// store's lock: the write lock for writes, whose actor is the principal.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, rt route, p principal, reqID string) {
	write := isWrite(r.Method)
	var data any
	// A detail DELETE reads its body from 4.4 on, for changelog_message
	// (NetBoxModelViewSet.destroy).
	if write && (rt.kind == listRoute || r.Method != http.MethodDelete || s.st.prof.since(4)) {
		var ok bool
		if data, ok = parseBody(w, r); !ok {
			return
		}
	}
	rc := &rctx{base: baseURL(r)}
	q := r.URL.Query()
	if v, _ := lastValue(q, "exclude"); strings.Contains(v, "config_context") {
		rc.exclude = map[string]bool{"config_context": true}
	}
	if write {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.st.actor = p.user
		defer func() { s.st.actor = nil }()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	rc.s = s.st
	h := handler{st: s.st, m: rt.model, rc: rc, w: w, r: r, q: q, reqID: reqID, who: p}
	h.dispatch(rt, data)
}

// dispatch runs the handler of the route's kind and the request's method.
func (h *handler) dispatch(rt route, data any) {
	switch rt.kind {
	case changeListRoute:
		h.listChanges() // changelog.go
		return
	case changeDetailRoute:
		h.getChange(rt.id)
		return
	}
	method := h.r.Method
	if rt.kind == listRoute {
		switch method {
		case "GET", "HEAD":
			h.list()
		case "POST":
			h.create(data)
		case "PUT", "PATCH":
			h.bulkUpdate(data, method == "PATCH")
		case "DELETE":
			h.bulkDelete(data)
		}
		return
	}
	obj := h.object(rt.id)
	if obj == nil || !h.precondition(obj) { // profiles.go: ETag, If-Match (4.6)
		return
	}
	switch method {
	case "GET", "HEAD":
		h.rc.annotated = true
		writeJSON(h.w, http.StatusOK, pick(h.rc.render(h.m, obj, h.brief()), h.fields()))
	case "PUT", "PATCH":
		h.update(obj, data, method == "PATCH")
	case "DELETE":
		h.delete(obj, data)
	}
}

// authenticate is DRF's TokenAuthentication with NetBox's v1 tokens: the
// Options tokens (the superuser admin's; ReadOnlyToken may not write) and
// the tokens made through /api/users/tokens/ (perms.go). It returns the
// principal, or the failure message for a 403. The caller holds a lock.
func (s *Server) authenticate(r *http.Request) (principal, string) {
	if s.st.prof.since(5) {
		return s.authenticate45(r) // profiles.go: v1 and v2 tokens
	}
	auth := strings.Fields(r.Header.Get("Authorization"))
	if len(auth) == 0 || !strings.EqualFold(auth[0], "token") {
		return principal{}, "Authentication credentials were not provided."
	}
	switch {
	case len(auth) == 1:
		return principal{}, "Invalid token header. No credentials provided."
	case len(auth) > 2:
		return principal{}, "Invalid token header. Token string should not contain spaces."
	}
	return s.v1Principal(auth[1], r, "Invalid token")
}

// v1Principal finds the principal of a v1 key; invalid is the message
// for an unknown one.
func (s *Server) v1Principal(key string, r *http.Request, invalid string) (principal, string) {
	admin := s.st.get("users.user", simUserID)
	switch {
	case s.opts.Token != "" && !strings.HasPrefix(s.opts.Token, v2TokenPrefix) && key == s.opts.Token:
		return principal{user: admin, writeEnabled: true}, ""
	case s.opts.ReadOnlyToken != "" && key == s.opts.ReadOnlyToken:
		return principal{user: admin}, ""
	}
	if p, fail, found := s.st.tokenPrincipal(key, r); found {
		return p, fail
	}
	return principal{}, invalid
}

// negotiate is DRF's DefaultContentNegotiation with NetBox's renderers
// (JSON, and the browsable API's text/html, which the simulator answers
// with JSON too) followed by AcceptHeaderVersioning with ALLOWED_VERSIONS
// = [REST_FRAMEWORK_VERSION] (netbox/settings.py: the release's
// major.minor). It returns the 406 message, or "".
func (s *Server) negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		accept = "*/*"
	}
	type mediaType struct {
		main, sub string
		params    map[string]string
		raw       string
	}
	var ranges []mediaType
	for _, part := range strings.Split(accept, ",") {
		part = strings.TrimSpace(part)
		base, rest, _ := strings.Cut(part, ";")
		main, sub, _ := strings.Cut(strings.TrimSpace(base), "/")
		mt := mediaType{main: strings.TrimSpace(main), sub: strings.TrimSpace(sub), params: map[string]string{}, raw: part}
		for _, p := range strings.Split(rest, ";") {
			if k, v, ok := strings.Cut(p, "="); ok {
				mt.params[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		ranges = append(ranges, mt)
	}
	precedence := func(m mediaType) int {
		switch {
		case m.main == "*":
			return 0
		case m.sub == "*":
			return 1
		}
		for k := range m.params {
			if k != "q" {
				return 3
			}
		}
		return 2
	}
	for prec := 3; prec >= 0; prec-- {
		for _, renderer := range [][2]string{{"application", "json"}, {"text", "html"}} {
			for _, m := range ranges {
				if precedence(m) != prec {
					continue
				}
				if (m.main != "*" && m.main != renderer[0]) || (m.sub != "*" && m.sub != renderer[1]) {
					continue
				}
				// The accepted media type carries the client's
				// parameters, version among them.
				version, ok := m.params["version"]
				if ok && version != s.apiVersion {
					return `Invalid version in "Accept" header.`
				}
				return ""
			}
		}
	}
	return "Could not satisfy the request Accept header."
}

// parseBody is DRF's request.data with NetBox's parsers (JSON; multipart is
// not simulated). An empty body is an empty dict.
func parseBody(w http.ResponseWriter, r *http.Request) (any, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, "Could not read the request body: "+err.Error())
		return nil, false
	}
	if len(body) == 0 {
		return &jobj{m: map[string]any{}}, true
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" {
		writeDetail(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type \"%s\" in request.", ct))
		return nil, false
	}
	data, err := decodeJSON(body)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return nil, false
	}
	return data, true
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusBadRequest {
		if body, ok := serverFault(v); ok { // models_network.go
			status, v = http.StatusInternalServerError, body
		} else if msg, ok := forbiddenDetail(v); ok { // perms.go
			status, v = http.StatusForbidden, object{{"detail", msg}}
		}
	}
	b, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeDetail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, object{{"detail", msg}})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// options is DRF's metadata response, reduced to what it always holds.
func (s *Server) options(w http.ResponseWriter, rt route) {
	name := "Status"
	switch {
	case rt.kind == changeListRoute || rt.kind == changeDetailRoute:
		name = "Object Change"
		if rt.kind == changeListRoute {
			name += " List"
		}
	case rt.model != nil:
		name = titleCase(rt.model.verbose)
		if rt.kind == listRoute {
			name += " List"
		}
	}
	writeJSON(w, http.StatusOK, object{
		{"name", name}, {"description", ""},
		{"renders", []string{"application/json", "text/html"}},
		{"parses", []string{"application/json", "multipart/form-data"}},
	})
}

func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if w == strings.ToLower(w) {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// status is /api/status/ as the profile's release answers it
// (netbox/api/views.py StatusView).
func (s *Server) status() object { return s.st.prof.status(s.opts.Version) }

// handler serves one request on a model endpoint. The caller holds the lock.
type handler struct {
	st *store
	m  *model
	rc *rctx
	w  http.ResponseWriter
	r  *http.Request
	q  url.Values
	// reqID is the request's id (X-Request-ID), the request_id of the
	// change records it makes.
	reqID string
	// who is the request's principal, whose permissions restrict what
	// it sees and saves (perms.go).
	who principal
}

// restricted is the view's queryset restriction for action on the
// handler's model: nil for every object. It answers a 500 itself and
// reports false when a constraint cannot be evaluated.
func (h *handler) restricted(action string) (func(*row) bool, bool) {
	allow, faultMsg := h.st.restrict(h.who, h.m.label, action)
	if faultMsg != "" {
		writeJSON(h.w, http.StatusBadRequest, errBody{"__all__": []string{faultMsg}})
		return nil, false
	}
	return allow, true
}

// permits is whether saved rows are inside the restriction (nil: all).
func permits(allow func(*row) bool, rows ...*row) bool {
	if allow == nil {
		return true
	}
	for _, r := range rows {
		if !allow(r) {
			return false
		}
	}
	return true
}

// keep returns the rows allow lets through.
func keep(allow func(*row) bool, rows []*row) []*row {
	if allow == nil {
		return rows
	}
	out := rows[:0:0]
	for _, r := range rows {
		if allow(r) {
			out = append(out, r)
		}
	}
	return out
}

// brief is NetBox's brief mode: any non-empty last value, GET only.
func (h *handler) brief() bool {
	v, _ := lastValue(h.q, "brief")
	return h.r.Method == http.MethodGet && v != "" && h.fields() == nil
}

// fields is BaseViewSet.requested_fields from ?fields=a,b (the last
// value, split on commas as is; it wins over brief): the serializer then
// renders only those of its fields, in its own order, and ignores names
// it does not have. Nested objects stay brief. The simulator honours it
// on reads (NetBox's writes restrict their input to those fields too).
func (h *handler) fields() []string {
	v, _ := lastValue(h.q, "fields")
	if v == "" || h.r.Method != http.MethodGet && h.r.Method != http.MethodHead {
		return nil
	}
	return strings.Split(v, ",")
}

// pick keeps the keys of o that names lists (all when names is nil).
func pick(o object, names []string) object {
	if names == nil {
		return o
	}
	out := object{}
	for _, e := range o {
		if slices.Contains(names, e.k) {
			out = append(out, e)
		}
	}
	return out
}

func (h *handler) list() {
	allow, ok := h.restricted("view")
	if !ok {
		return
	}
	rows, errs := h.st.filterRows(h.m, keep(allow, h.st.sorted(h.m)), h.q)
	if errs != nil {
		writeJSON(h.w, http.StatusBadRequest, errs)
		return
	}
	if v, ok := lastValue(h.q, "ordering"); ok {
		orderRows(h.m, rows, v)
	}
	p := pageOf(h.q)
	count := len(rows)
	var pageRows []*row
	if p.offset <= count {
		pageRows = rows[p.offset:min(p.offset+p.limit, count)]
	}
	h.rc.annotated = true
	results := make([]any, 0, len(pageRows))
	brief, fields := h.brief(), h.fields()
	for _, r := range pageRows {
		results = append(results, pick(h.rc.render(h.m, r, brief), fields))
	}
	next, prev := p.links(h.rc.base, h.r.URL, count)
	writeJSON(h.w, http.StatusOK, object{{"count", count}, {"next", next}, {"previous", prev}, {"results", results}})
}

// object is DRF's get_object(): the view's filters apply to detail routes
// too, and anything that does not match is a 404.
func (h *handler) object(idStr string) *row {
	id, err := strconv.ParseInt(idStr, 10, 64)
	allow, ok := h.restricted(actionOf(h.r.Method))
	if !ok {
		return nil
	}
	var candidates []*row
	if r := h.st.get(h.m.label, id); err == nil && r != nil && permits(allow, r) {
		candidates = append(candidates, r)
	}
	rows, errs := h.st.filterRows(h.m, candidates, h.q)
	if errs != nil {
		writeJSON(h.w, http.StatusBadRequest, errs)
		return nil
	}
	if err != nil {
		// DRF turns the ValueError of filter(pk="abc") into a bare Http404.
		writeDetail(h.w, http.StatusNotFound, "Not found.")
		return nil
	}
	if len(rows) == 1 {
		return rows[0]
	}
	writeDetail(h.w, http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", h.m.objectName))
	return nil
}

func (h *handler) insert(t *tx, vals map[string]any, item any) *row {
	now := h.st.now()
	r := &row{id: t.newID(h.m.label), vals: vals, created: now, updated: now}
	t.put(h.m.label, r)
	h.recordChange(t, "create", nil, r, item) // changelog.go
	if h.m.afterSave != nil {
		h.m.afterSave(h.st, t, nil, r)
	}
	return r
}

// create is a POST to a list endpoint: one object, or a list of them.
func (h *handler) create(data any) {
	allow, ok := h.restricted("add")
	if !ok {
		return
	}
	list, bulk := data.([]any)
	if !bulk {
		h.createOne(allow, data)
		return
	}
	t := h.st.begin()
	var created []*row
	if h.m.sequentialCreate {
		created, ok = h.createSequential(t, allow, list)
	} else {
		created, ok = h.createBatch(t, allow, list)
	}
	if !ok {
		return
	}
	out := make([]any, len(created))
	for i, r := range created {
		out[i] = h.rc.render(h.m, r, false)
	}
	if len(created) > 0 {
		h.w.Header().Set("Location", h.rc.apiURL(h.m, created[len(created)-1].id))
	}
	writeJSON(h.w, http.StatusCreated, out)
}

func (h *handler) createOne(allow func(*row) bool, data any) {
	vals, errs := h.st.prepare(h.m, data, nil, false)
	if errs != nil {
		writeJSON(h.w, http.StatusBadRequest, errs)
		return
	}
	t := h.st.begin()
	r := h.insert(t, vals, data)
	if !permits(allow, r) { // _validate_objects
		t.rollback()
		writeForbidden(h.w)
		return
	}
	h.setETag(r) // profiles.go (4.6)
	body := h.rc.render(h.m, r, false)
	h.w.Header().Set("Location", h.rc.apiURL(h.m, r.id))
	writeJSON(h.w, http.StatusCreated, body)
}

// createSequential is SequentialBulkCreatesMixin: each object sees the
// ones before it, and the first invalid one fails the request with its
// own errors. It answers a failed request itself and reports false.
func (h *handler) createSequential(t *tx, allow func(*row) bool, list []any) ([]*row, bool) {
	var created []*row
	for _, item := range list {
		vals, errs := h.st.prepare(h.m, item, nil, false)
		if errs != nil {
			t.rollback()
			writeJSON(h.w, http.StatusBadRequest, errs)
			return nil, false
		}
		r := h.insert(t, vals, item)
		if !permits(allow, r) {
			t.rollback()
			writeForbidden(h.w)
			return nil, false
		}
		created = append(created, r)
	}
	return created, true
}

// createBatch is DRF's ListSerializer: every object is validated against
// the state before the request; errors come back as a list aligned by
// index. It answers a failed request itself and reports false.
func (h *handler) createBatch(t *tx, allow func(*row) bool, list []any) ([]*row, bool) {
	bodies := make([]any, len(list))
	failed := false
	for i, item := range list {
		bodies[i] = object{}
		if _, errs := h.st.prepare(h.m, item, nil, false); errs != nil {
			bodies[i], failed = errs, true
		}
	}
	if failed {
		writeJSON(h.w, http.StatusBadRequest, bodies)
		return nil, false
	}
	var created []*row
	for i, item := range list {
		vals, errs := h.st.prepare(h.m, item, nil, false)
		if errs != nil {
			// Two objects of the batch collide with each other. NetBox
			// lets the database reject that (a 500); the simulator
			// reports it like any other validation error.
			t.rollback()
			bodies[i] = errs
			writeJSON(h.w, http.StatusBadRequest, bodies)
			return nil, false
		}
		created = append(created, h.insert(t, vals, item))
	}
	if !permits(allow, created...) {
		t.rollback()
		writeForbidden(h.w)
		return nil, false
	}
	return created, true
}

func (h *handler) save(t *tx, old *row, vals map[string]any, item any) *row {
	r := &row{id: old.id, vals: vals, created: old.created, updated: h.st.now()}
	t.put(h.m.label, r)
	h.recordChange(t, "update", old, r, item) // changelog.go
	if h.m.afterSave != nil {
		h.m.afterSave(h.st, t, old, r)
	}
	return r
}

func (h *handler) update(old *row, data any, partial bool) {
	allow, ok := h.restricted("change")
	if !ok {
		return
	}
	vals, errs := h.st.prepare(h.m, data, old, partial)
	if errs != nil {
		writeJSON(h.w, http.StatusBadRequest, errs)
		return
	}
	t := h.st.begin()
	r := h.save(t, old, vals, data)
	if !permits(allow, r) {
		t.rollback()
		writeForbidden(h.w)
		return
	}
	h.setETag(r) // profiles.go (4.6)
	h.rc.annotated, h.rc.partial = true, partial
	writeJSON(h.w, http.StatusOK, h.rc.render(h.m, r, false))
}

// bulkIDs is NetBox's BulkOperationSerializer(many=True): a list of objects
// with an integer "id". It returns the ids and the objects by id.
func (h *handler) bulkIDs(data any) (map[int64]*jobj, bool) {
	list, ok := data.([]any)
	if !ok {
		writeJSON(h.w, http.StatusBadRequest, notAList(data))
		return nil, false
	}
	byID := map[int64]*jobj{}
	bodies := make([]any, len(list))
	failed := false
	for i, item := range list {
		bodies[i] = object{}
		o, ok := item.(*jobj)
		if !ok {
			bodies[i] = errBody{"non_field_errors": []string{"Invalid data. Expected a dictionary, but got " + pyType(item) + "."}}
			failed = true
			continue
		}
		raw, present := o.get("id")
		var msg string
		var id int64
		switch {
		case !present:
			msg = "This field is required."
		case raw == nil:
			msg = "This field may not be null."
		default:
			n, ok := pyInt(raw)
			if _, isBool := raw.(bool); !ok || isBool {
				msg = "A valid integer is required."
			}
			id = n
		}
		errs := errBody{}
		if cm := h.bulkChangelogError(o); cm != "" { // profiles.go (4.4+)
			errs["changelog_message"] = []string{cm}
		}
		if msg != "" {
			errs["id"] = []string{msg}
		}
		if len(errs) > 0 {
			bodies[i] = errs
			failed = true
			continue
		}
		byID[id] = o
	}
	if failed {
		writeJSON(h.w, http.StatusBadRequest, bodies)
		return nil, false
	}
	return byID, true
}

// bulkUpdate is NetBox 4.3's BulkUpdateModelMixin: objects are updated in
// the model's ordering, ids that do not exist are skipped, and the first
// invalid object fails the whole request with its own error body.
func (h *handler) bulkUpdate(data any, partial bool) {
	byID, ok := h.bulkIDs(data)
	if !ok {
		return
	}
	allow, ok := h.restricted("change")
	if !ok {
		return
	}
	t := h.st.begin()
	var updated []*row
	// The view's queryset: objects outside the change constraints are
	// not found, so not updated.
	for _, old := range keep(allow, h.st.sorted(h.m)) {
		item, ok := byID[old.id]
		if !ok {
			continue
		}
		vals, errs := h.st.prepare(h.m, item, old, partial)
		if errs != nil {
			t.rollback()
			writeJSON(h.w, http.StatusBadRequest, errs)
			return
		}
		r := h.save(t, old, vals, item)
		if !permits(allow, r) {
			t.rollback()
			writeForbidden(h.w)
			return
		}
		updated = append(updated, r)
	}
	h.rc.annotated, h.rc.partial = true, partial
	out := make([]any, len(updated))
	for i, r := range updated {
		out[i] = h.rc.render(h.m, r, false)
	}
	writeJSON(h.w, http.StatusOK, out)
}

func (h *handler) delete(r *row, data any) {
	if errs := h.deleteMessageError(data); errs != nil { // changelog.go (4.4+)
		writeJSON(h.w, http.StatusBadRequest, errs)
		return
	}
	p := &delPlan{}
	h.st.planDelete(p, h.m, r.id)
	if msg := h.st.protectedMsg(p); msg != "" {
		writeDetail(h.w, http.StatusConflict, msg)
		return
	}
	h.applyDelete(h.st.begin(), p, data) // changelog.go: records the changes
	h.w.WriteHeader(http.StatusNoContent)
}

// bulkDelete deletes the listed objects that exist; one protected object
// fails the whole request with 409.
func (h *handler) bulkDelete(data any) {
	byID, ok := h.bulkIDs(data)
	if !ok {
		return
	}
	allow, ok := h.restricted("delete")
	if !ok {
		return
	}
	t := h.st.begin()
	for _, r := range keep(allow, h.st.sorted(h.m)) {
		if _, ok := byID[r.id]; !ok || h.st.get(h.m.label, r.id) == nil {
			continue
		}
		p := &delPlan{}
		h.st.planDelete(p, h.m, r.id)
		if msg := h.st.protectedMsg(p); msg != "" {
			t.rollback()
			writeDetail(h.w, http.StatusConflict, msg)
			return
		}
		h.applyDelete(t, p, byID[r.id])
	}
	h.w.WriteHeader(http.StatusNoContent)
}
