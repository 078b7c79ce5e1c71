package netbox

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// ErrorKind says what kind of failure an Error is, so that callers can
// decide what to do (tell the user to fix the token, skip one object, retry)
// without parsing messages.
type ErrorKind string

// The kinds of Error.
const (
	KindAuth        ErrorKind = "auth"         // 401/403: no, unknown or expired token
	KindPermission  ErrorKind = "permission"   // 403: the token's user may not do this, or the token is read-only
	KindNotFound    ErrorKind = "not_found"    // 404 from NetBox: no such object
	KindNotNetBox   ErrorKind = "not_netbox"   // 404 without NetBox's API-Version header: the URL is not NetBox's API
	KindValidation  ErrorKind = "validation"   // 400 and other 4xx: NetBox rejected the request as sent
	KindConflict    ErrorKind = "conflict"     // 409, 412 (If-Match on NetBox 4.6+)
	KindRateLimited ErrorKind = "rate_limited" // 429, usually from a proxy in front of NetBox
	KindServer      ErrorKind = "server"       // 5xx and other unexpected statuses
	KindNetwork     ErrorKind = "network"      // no response: DNS, TCP, TLS, timeout, cancelled context
	KindDecode      ErrorKind = "decode"       // a success response whose body could not be read
)

// Error is a failed NetBox request. Message is NetBox's own message where it
// sent one, so that users see what NetBox said.
type Error struct {
	Kind       ErrorKind
	Method     string
	Path       string // API path without query, e.g. /api/dcim/devices/7/
	StatusCode int    // 0 when there was no response
	Message    string
	// Fields holds 400 field errors by field name; "__all__" for model-level
	// errors; index-prefixed keys ("1.name") for bulk requests.
	Fields map[string][]string
	// RequestID is NetBox's X-Request-ID response header, to find the
	// request in NetBox's logs.
	RequestID string
	// Exception is the Python exception NetBox's handler of unexpected
	// errors names in a 500 ("IntegrityError"); "" otherwise.
	Exception string

	err        error         // the underlying transport or decode error, for errors.Is
	retryAfter time.Duration // a 429's or 503's Retry-After, for retrying creates (create_check.go)
}

// Error is one line: netbox: METHOD PATH: kind: message.
func (e *Error) Error() string {
	return fmt.Sprintf("netbox: %s %s: %s: %s", e.Method, e.Path, e.Kind, e.Message)
}

// Unwrap returns the transport or decode error, if any, so that
// errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.err }

// Hint is a sentence naming the fix, for messages meant for a person or a model.
func (e *Error) Hint() string {
	switch e.Kind {
	case KindAuth:
		return fmt.Sprintf("NetBox did not accept the token: check %s or %s (v1 tokens are 40 hex characters, v2 tokens start with nbt_).", EnvToken, EnvTokenFile)
	case KindPermission:
		if e.Method == http.MethodGet || e.Method == http.MethodHead {
			return "The token's user may not view these objects" + e.objectTypeSuffix() + ": grant it view permission on them (NetBox: Admin > Permissions)."
		}
		return "The token's user lacks the add or change permission for this" + e.objectTypeSuffix() + ", or the token is not write-enabled: grant the permission or use a write-enabled token."
	case KindNotFound:
		return "The object does not exist in NetBox (deleted, or a wrong id): look it up again."
	case KindNotNetBox:
		return fmt.Sprintf("The server at %s answers, but not as NetBox's REST API: set %s to NetBox's base URL, e.g. https://netbox.example.com (with the path NetBox is served under, if any, and without /api).", EnvURL, EnvURL)
	case KindValidation:
		return "NetBox rejected the values sent: fix the fields named in the message."
	case KindConflict:
		return "The object changed in NetBox meanwhile: read it again and retry."
	case KindRateLimited:
		return "NetBox (or a proxy in front of it) is rate limiting: retry later."
	case KindServer:
		return "NetBox failed to handle the request: retry later or check NetBox's logs" + requestIDSuffix(e.RequestID) + "."
	case KindNetwork:
		if strings.Contains(e.Message, "x509") || strings.Contains(e.Message, "certificate") {
			return fmt.Sprintf("The TLS certificate was not trusted: set %s to the CA bundle that signed it (or, for a test instance only, %s=true).", EnvCAFile, EnvInsecureSkipVerify)
		}
		return fmt.Sprintf("NetBox could not be reached: check %s and the network, or raise %s.", EnvURL, EnvTimeout)
	case KindDecode:
		return "NetBox answered with something this client cannot read: compare the NetBox version with the one go-netbox v4.3.0 supports (4.3)."
	}
	return ""
}

// objectTypeSuffix names the object type of the request's path, " (on
// dcim.interface)", where the path tells it.
func (e *Error) objectTypeSuffix() string {
	if t := ObjectTypeOfPath(e.Path); t != "" {
		return " (" + t + ")"
	}
	return ""
}

// ObjectTypeOfPath is the object type (app_label.model) an API path
// serves: /api/dcim/interfaces/7/ is dcim.interface; "" for a path it
// does not know.
func ObjectTypeOfPath(path string) string {
	for prefix, t := range objectTypesByPath {
		if strings.HasPrefix(path, prefix) {
			return t
		}
	}
	return ""
}

var objectTypesByPath = map[string]string{
	devicesPath:         "dcim.device",
	platformsPath:       "dcim.platform",
	interfacesPath:      "dcim.interface",
	macAddressesPath:    "dcim.macaddress",
	ipAddressesPath:     "ipam.ipaddress",
	deviceRolesPath:     "dcim.devicerole",
	clusterTypesPath:    "virtualization.clustertype",
	clusterGroupsPath:   "virtualization.clustergroup",
	clustersPath:        "virtualization.cluster",
	virtualMachinesPath: "virtualization.virtualmachine",
	journalPath:         "extras.journalentry",
	objectChangesPath:   "core.objectchange",
	customFieldsPath:    "extras.customfield",
}

// Isolable reports whether NetBox may have refused a bulk request for
// some of its objects only, so that the others would be accepted on their
// own: a validation error (400 and the like), a permission denied (403:
// object permissions are checked per object), a conflict (409), or a
// 500 whose exception comes from one object's data (an IntegrityError
// when two objects collide). A bad token, a missing object, a rate limit,
// a server that cannot reach its database or a lost connection refuse
// every object alike.
func (e *Error) Isolable() bool {
	switch e.Kind {
	case KindValidation, KindPermission:
		return true
	case KindConflict:
		// 412 is If-Match on NetBox 4.6+: the object changed meanwhile,
		// which no split cures.
		return e.StatusCode != http.StatusPreconditionFailed
	case KindServer:
		return e.StatusCode == http.StatusInternalServerError && dataExceptions[e.Exception]
	}
	return false
}

// dataExceptions are the exceptions of NetBox's 500 answers that come from
// the data of an object: Django's database and model errors, and the
// Python errors a bad value raises in a model's save().
var dataExceptions = map[string]bool{
	"IntegrityError": true, "DataError": true, "ValidationError": true, "FieldError": true,
	"ObjectDoesNotExist": true, "DoesNotExist": true, "MultipleObjectsReturned": true,
	"ValueError": true, "TypeError": true, "KeyError": true, "AttributeError": true,
	"IndexError": true, "InvalidOperation": true,
}

// ItemErrors splits the errors of a bulk request NetBox answered with a
// list aligned by index ([{}, {"name": ["..."]}]) into one error per
// refused object, by position in the request: each names the fields of
// its object without the index ("name", not "1.name"). nil when the
// answer does not say which objects it refused.
func (e *Error) ItemErrors() map[int]*Error {
	var out map[int]*Error
	for k, msgs := range e.Fields {
		idx, rest, dotted := strings.Cut(k, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 0 {
			return nil // a key without an index is about the whole request
		}
		if !dotted {
			rest = allKey
		}
		if out == nil {
			out = map[int]*Error{}
		}
		item := out[n]
		if item == nil {
			copied := *e
			copied.Fields = map[string][]string{}
			item = &copied
			out[n] = item
		}
		item.Fields[rest] = msgs
	}
	for _, item := range out {
		item.Message = renderFields(item.Fields)
	}
	return out
}

func requestIDSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (X-Request-ID " + id + ")"
}

// IsKind reports whether err is, or wraps, an *Error of kind k. Of
// errors joined with errors.Join (SnapshotFor's concurrent reads) any one
// counts, where errors.As would look at the first *Error only.
func IsKind(err error, k ErrorKind) bool {
	if e, ok := err.(*Error); ok && e.Kind == k {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		return slices.ContainsFunc(u.Unwrap(), func(e error) bool { return IsKind(e, k) })
	case interface{ Unwrap() error }:
		return IsKind(u.Unwrap(), k)
	}
	return false
}

// AmbiguousNameError says that more than one device has the name looked up.
// NetBox names are unique per site only, so a host name can match a device in
// each of several sites.
type AmbiguousNameError struct {
	Name    string
	Devices []record.Device
}

func (e *AmbiguousNameError) Error() string {
	where := make([]string, 0, len(e.Devices))
	for _, d := range e.Devices {
		where = append(where, fmt.Sprintf("id %d in site %s", d.ID, untrusted.Text(d.Site.Name)))
	}
	return fmt.Sprintf("netbox: %d devices are named %q (%s): NetBox device names are unique per site only; rename or remove the devices that are not this host so the name is unique",
		len(e.Devices), e.Name, strings.Join(where, ", "))
}

// kindForStatus classifies an HTTP error status. message is NetBox's detail,
// needed because NetBox answers 403 both for a bad token and for a missing
// permission (netbox/api/authentication.py).
func kindForStatus(status int, message string) ErrorKind {
	switch {
	case status == http.StatusUnauthorized:
		return KindAuth
	case status == http.StatusForbidden:
		// "You do not have permission to perform this action." is DRF's
		// PermissionDenied; everything else NetBox sends with 403
		// ("Authentication credentials were not provided.", "Invalid token",
		// "Token expired", "User inactive", ...) is an authentication failure.
		if strings.Contains(strings.ToLower(message), "permission") {
			return KindPermission
		}
		return KindAuth
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return KindConflict
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 400 && status < 500:
		return KindValidation
	default:
		return KindServer
	}
}

// parseErrorBody extracts NetBox's message from an error response body:
// {"detail": "..."} for auth, permission and 404; {"error", "exception"} for
// NetBox's own 500 handler; {field: [msgs]} or, for bulk requests, a list of
// those aligned by index for 400.
func parseErrorBody(body []byte) (message string, fields map[string][]string, exception string) {
	body = []byte(strings.TrimSpace(string(body)))
	if len(body) == 0 {
		return "", nil, ""
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return plainText(body), nil, ""
	}
	if m, ok := v.(map[string]any); ok {
		if d, ok := m["detail"].(string); ok {
			return d, nil, ""
		}
		if e, ok := m["error"].(string); ok {
			if x, ok := m["exception"].(string); ok && x != "" {
				return x + ": " + e, nil, x
			}
			return e, nil, ""
		}
	}
	fields = map[string][]string{}
	flattenErrors("", v, fields)
	if len(fields) == 0 {
		return "", nil, ""
	}
	return renderFields(fields), fields, ""
}

const allKey = "__all__"

// flattenErrors turns DRF's nested error structure into dotted keys:
// {"name": ["x"]} -> name; [{}, {"name": ["x"]}] -> 1.name; a bare message -> __all__.
func flattenErrors(prefix string, v any, out map[string][]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flattenErrors(joinKey(prefix, k), e, out)
		}
	case []any:
		for i, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				flattenErrors(joinKey(prefix, strconv.Itoa(i)), e, out)
			default:
				flattenErrors(prefix, e, out)
			}
		}
	case nil:
	default:
		key := prefix
		if key == "" {
			key = allKey
		}
		out[key] = append(out[key], fmt.Sprint(v))
	}
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// renderFields is one line: model-level messages first, then field: message,
// in a stable order.
func renderFields(fields map[string][]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		aAll, bAll := a == allKey, b == allKey
		switch {
		case aAll && !bAll:
			return -1
		case bAll && !aAll:
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		msg := strings.Join(fields[k], " ")
		switch {
		case k == allKey:
			parts = append(parts, msg)
		case strings.HasSuffix(k, "."+allKey):
			parts = append(parts, strings.TrimSuffix(k, "."+allKey)+": "+msg)
		default:
			parts = append(parts, k+": "+msg)
		}
	}
	return strings.Join(parts, "; ")
}

var (
	htmlTag    = regexp.MustCompile(`(?is)<(head|script|style)\b.*?</(head|script|style)>|<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// plainText shortens a non-JSON body (a proxy's HTML error page, Django's
// "Server Error (500)") to one readable line.
func plainText(body []byte) string {
	s := htmlTag.ReplaceAllString(string(body), " ")
	s = strings.TrimSpace(whitespace.ReplaceAllString(s, " "))
	const max = 300
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}

// decodeMessage explains a success response that go-netbox could not decode.
// go-netbox v4.3.0's models reject a body that lacks a field NetBox 4.3
// requires or holds a choice 4.3 does not know, which is what newer (and
// older) NetBox releases send.
func decodeMessage(resp *http.Response, cause error) string {
	if resp == nil {
		return cause.Error()
	}
	if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
		return fmt.Sprintf("expected JSON, got %q: check that %s is NetBox's base URL", ct, EnvURL)
	}
	switch v := resp.Header.Get("API-Version"); {
	case v == "":
		return fmt.Sprintf("the response does not fit NetBox 4.3, the version go-netbox v4.3.0 reads, and the server sent no API-Version header; a NetBox version other than 4.3 is the likely cause: %v", cause)
	case v != "4.3":
		return fmt.Sprintf("the response does not fit NetBox 4.3, the version go-netbox v4.3.0 reads; the server runs NetBox %s (API-Version), the likely cause: %v", v, cause)
	default:
		return fmt.Sprintf("the response does not fit go-netbox v4.3.0's NetBox 4.3 models although the server reports API-Version 4.3 (a plugin may change the shape): %v", cause)
	}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// FieldsMessage is e.Fields as one line, the way Message shows them:
// model-level messages first, then "field: message".
func (e *Error) FieldsMessage() string { return renderFields(e.Fields) }
