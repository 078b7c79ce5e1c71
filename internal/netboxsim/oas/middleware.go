package oas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Violation is a request or response that disagrees with the document.
type Violation struct {
	Kind    string // "request", "response", or "setup" when the document could not be loaded
	Method  string
	Path    string // path and query
	Status  int    // the response's status
	Message string
}

// String describes the violation in one line for a test failure.
func (v Violation) String() string {
	return fmt.Sprintf("OpenAPI %s violation: %s %s -> %d: %s", v.Kind, v.Method, v.Path, v.Status, v.Message)
}

// Middleware validates every request (operation, path, query, body,
// security) and every response body (against the schema of its status)
// that passes through next, and reports what does not match.
//
// A request the document rejects is reported only when the server
// accepted it (a 2xx): tests send invalid requests on purpose, and a
// server that refuses them agrees with the document. Responses are always
// checked; the document describes only success statuses, so error bodies
// are not. Paths below /__sim/ are the simulator's own and are skipped.
func Middleware(next http.Handler, report func(Violation)) http.Handler {
	return MiddlewareFor("", next, report)
}

// MiddlewareFor is Middleware for a server that plays another NetBox
// release ("4.4", "4.6.2"; "" is 4.3): exchanges are still checked against
// the 4.3 document, with what the release changed made to fit it
// (versions.go).
func MiddlewareFor(version string, next http.Handler, report func(Violation)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__sim/") {
			next.ServeHTTP(w, r)
			return
		}
		spec, err := Load()
		if err != nil {
			tee := &teeWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(tee, r)
			report(Violation{Kind: "setup", Method: r.Method, Path: r.URL.RequestURI(), Status: tee.status,
				Message: err.Error()})
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body.Close()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		tee := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(tee, r)
		for _, v := range spec.Check(asIn43(version, r), body, tee.status, tee.Header(), tee.buf.Bytes()) {
			report(v)
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (t *teeWriter) WriteHeader(code int) {
	if !t.wrote {
		t.status, t.wrote = code, true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.wrote = true
	t.buf.Write(b)
	return t.ResponseWriter.Write(b)
}

// Check validates one exchange. r's body has been read already; body is it.
func (s *Spec) Check(r *http.Request, body []byte, status int, header http.Header, respBody []byte) []Violation {
	ctx := context.Background()
	accepted := status >= 200 && status < 300
	violation := func(kind string, err error) Violation {
		return Violation{Kind: kind, Method: r.Method, Path: r.URL.RequestURI(), Status: status, Message: err.Error()}
	}
	// HEAD and OPTIONS are implied by GET in DRF and absent from the document.
	if r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return nil
	}

	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	// The router matches paths, not hosts; keep it from seeing the test
	// server's address.
	req.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		if accepted {
			return []Violation{violation("request", fmt.Errorf("no such operation in NetBox 4.3: %w", err))}
		}
		return nil
	}
	if r.Method == http.MethodPost && bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		if bulk := s.bulkCreate[route.Path]; bulk != nil {
			route = bulk
		}
	}
	switch {
	case fieldsMode(r):
		if f := s.fields[route.Path]; f != nil {
			route = f
		}
	case briefMode(r):
		if brief := s.brief[route.Path]; brief != nil {
			route = brief
		}
	}

	req.URL.RawQuery = withoutNulls(route.Operation, req.URL.Query()).Encode()

	opts := options()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	var out []Violation
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && accepted {
		out = append(out, violation("request", err))
	}
	resp := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, resp); err != nil {
		out = append(out, violation("response", err))
	}
	return out
}

func options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError:         true,
		AuthenticationFunc: tokenAuth,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// NetBox renders url, display_url, next and previous as
			// absolute URLs (request.build_absolute_uri()); kin-openapi
			// leaves "uri" unchecked unless told how.
			openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(absoluteURI)),
		},
	}
	o.WithCustomSchemaErrorFunc(schemaMessage)
	return o
}

func absoluteURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

// tokenAuth accepts what NetBox 4.3 accepts: "Authorization: Token <key>".
// Whether the key is right is the server's business.
func tokenAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "tokenAuth" {
		return fmt.Errorf("security scheme %q is not used by cmdb-mcp", in.SecuritySchemeName)
	}
	f := strings.Fields(in.RequestValidationInput.Request.Header.Get("Authorization"))
	if len(f) != 2 || !strings.EqualFold(f[0], "Token") {
		return errors.New(`no "Authorization: Token <key>" header`)
	}
	return nil
}

// schemaMessage keeps violations readable: the JSON pointer, the reason
// and a short rendering of the value, instead of kin-openapi's dump of the
// whole schema.
func schemaMessage(err *openapi3.SchemaError) string {
	v, _ := json.Marshal(err.Value)
	if len(v) > 200 {
		v = append(v[:200], "..."...)
	}
	reason := err.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match schema %q", err.SchemaField)
	}
	msg := fmt.Sprintf("/%s: %s (value: %s)", strings.Join(err.JSONPointer(), "/"), reason, v)
	if err.Origin != nil && !strings.Contains(reason, err.Origin.Error()) {
		// oneOf failures keep the reasons of their branches here.
		msg += ": " + err.Origin.Error()
	}
	return msg
}

// fieldsMode is a GET whose last "fields" value is not empty
// (BaseViewSet.requested_fields: it wins over brief).
func fieldsMode(r *http.Request) bool {
	vs := r.URL.Query()["fields"]
	return r.Method == http.MethodGet && len(vs) > 0 && vs[len(vs)-1] != ""
}

// briefMode is NetBox's test: GET, and the last "brief" value non-empty.
func briefMode(r *http.Request) bool {
	vs := r.URL.Query()["brief"]
	return r.Method == http.MethodGet && len(vs) > 0 && vs[len(vs)-1] != ""
}

// withoutNulls drops the value "null" from query parameters whose items
// the document marks nullable (quirk 9). django-filter spells a null
// choice "null" (FILTERS_NULL_CHOICE_VALUE: ?platform_id=null finds the
// objects without a platform); the document can only say "nullable
// integer", which kin-openapi cannot decode from that string.
func withoutNulls(op *openapi3.Operation, q url.Values) url.Values {
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.In != openapi3.ParameterInQuery || p.Value.Schema == nil {
			continue
		}
		s := p.Value.Schema.Value
		if s == nil || s.Items == nil || s.Items.Value == nil || !s.Items.Value.Nullable {
			continue
		}
		name := p.Value.Name
		var keep []string
		for _, v := range q[name] {
			if v != "null" {
				keep = append(keep, v)
			}
		}
		if len(keep) == 0 {
			q.Del(name)
		} else {
			q[name] = keep
		}
	}
	return q
}
