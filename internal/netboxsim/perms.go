package netboxsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Object permissions, as NetBox 4.3.7 enforces them on its REST API:
// netbox/api/authentication.py (TokenAuthentication, TokenPermissions),
// netbox/authentication/__init__.py (ObjectPermissionMixin: a user's
// permissions by name, each with its constraint sets), utilities/
// permissions.py (qs_filter_from_constraints), utilities/querysets.py
// (RestrictedQuerySet.restrict), netbox/api/viewsets/__init__.py and
// mixins.py (BaseViewSet.initial restricts the view's queryset by the
// method's action; ObjectValidationMixin checks what a write saved).
//
// What a request may do:
//
//   - A superuser may do anything (the Options tokens are the superuser
//     admin's). Others need, for the model of the route, a permission
//     with the method's action (GET and HEAD: view; POST: add; PUT and
//     PATCH: change; DELETE: delete), from an enabled ObjectPermission
//     that lists the user and the model, or from DEFAULT_PERMISSIONS
//     (every user may view, add, change and delete their own tokens).
//     Without one the request is refused before anything else: 403 "You
//     do not have permission to perform this action." (a list of a model
//     the user may not view at all is 403, not an empty list).
//   - The permission's constraints (a JSON object of Django lookups, or a
//     list of them, ORed; null or {} for every object; "$user" stands for
//     the user's id) restrict the objects the request sees: a list leaves
//     out the others, and a detail GET, PUT, PATCH or DELETE of one is 404
//     "No <Model> matches the given query.", like an object that does not
//     exist. A bulk update or delete skips the objects outside its action's
//     constraints (they are not in the view's queryset) and answers for
//     the others.
//   - What a create or an update saves must be inside the constraints of
//     its action afterwards, or the whole request is undone and refused
//     with 403 "You do not have permission to perform this action."
//     (PermissionDenied from the ObjectDoesNotExist of _validate_objects):
//     one object outside them refuses a bulk create or update whole.
//   - A token with write_enabled false may only read (403 on any write).
//
// Constraints are evaluated on the stored objects. Lookups: a field
// ("name", "status", "id" or "pk"), a path through foreign keys
// ("device__name", "cluster__group__slug", "site__slug"), many-to-many
// fields (tags: "tags__slug"), and the generic relation of IP and MAC
// addresses to their interface ("interface__device__name"); ending in
// exact (the default), iexact, in, isnull, contains, icontains,
// startswith, istartswith, endswith, iendswith, gt, gte, lt or lte. Any
// other lookup, or a field the simulator does not know, fails the request
// with a 500 the way Django's FieldError does in NetBox.

// principal is who a request acts as.
type principal struct {
	user         *row // a users.user row
	token        *row // the users.token row; nil for an Options token
	writeEnabled bool
}

func (p principal) superuser() bool {
	return p.user != nil && p.user.vals["is_superuser"] == true && p.user.vals["is_active"] == true
}

// actorIsSuperuser is whether the request being written acts as a
// superuser.
func (s *store) actorIsSuperuser() bool {
	return s.actor != nil && s.actor.vals["is_superuser"] == true
}

// actorID is the id of the request's user (the change records' and
// journal entries' user).
func (s *store) actorID() int64 {
	if s.actor == nil {
		return simUserID
	}
	return s.actor.id
}

// tokenPrincipal authenticates a key of a token made through the API
// (TokenAuthentication.authenticate_credentials and authenticate): it
// returns the failure message, or "" with the principal.
func (s *store) tokenPrincipal(key string, r *http.Request) (principal, string, bool) {
	for _, t := range s.rows("users.token") {
		if t.str("key") != key {
			continue
		}
		if exp, ok := t.vals["expires"].(time.Time); ok && !time.Now().Before(exp) {
			return principal{}, "Token expired", true
		}
		u := s.get("users.user", t.ref("user"))
		if u == nil || u.vals["is_active"] != true {
			return principal{}, "User inactive", true
		}
		if ips, _ := t.vals["allowed_ips"].([]any); len(ips) > 0 {
			ip := clientIP(r)
			if ip == "" {
				return principal{}, "Client IP address could not be determined for validation. Check that the " +
					"HTTP server is correctly configured to pass the required header(s).", true
			}
			addr, ok := parseIPNetwork(ip)
			if !ok || !slices.ContainsFunc(ips, func(n any) bool {
				net, ok := parseIPNetwork(pyStr(n))
				return ok && net.family() == addr.family() && net.contains(addr.addr)
			}) {
				return principal{}, fmt.Sprintf("Source IP %s is not permitted to authenticate using this token.", ip), true
			}
		}
		return principal{user: u, token: t, writeEnabled: t.vals["write_enabled"] == true}, "", true
	}
	return principal{}, "", false
}

// clientIP is utilities/request.py get_client_ip: X-Real-IP, then the
// first X-Forwarded-For, then the peer's address.
func clientIP(r *http.Request) string {
	for _, h := range []string{"X-Real-IP", "X-Forwarded-For"} {
		if v := r.Header.Get(h); v != "" {
			return strings.TrimSpace(strings.Split(v, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// actionOf is HTTP_ACTIONS: the permission action of a method ("" for
// OPTIONS, which needs none).
func actionOf(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return "view"
	case http.MethodPost:
		return "add"
	case http.MethodPut, http.MethodPatch:
		return "change"
	case http.MethodDelete:
		return "delete"
	}
	return ""
}

// defaultPermissions is DEFAULT_PERMISSIONS: every user manages their own
// tokens. (The bookmark, notification and subscription ones are for
// models the simulator does not have.)
var defaultPermissions = map[string][]any{
	"users.view_token":   {map[string]any{"user": "$user"}},
	"users.add_token":    {map[string]any{"user": "$user"}},
	"users.change_token": {map[string]any{"user": "$user"}},
	"users.delete_token": {map[string]any{"user": "$user"}},
}

// grants returns the constraint sets a user has for an action on a model,
// and whether there is any (ObjectPermissionMixin.get_object_permissions).
func (s *store) grants(u *row, label, action string) ([]any, bool) {
	app, model, _ := strings.Cut(label, ".")
	name := app + "." + action + "_" + model
	sets := slices.Clone(defaultPermissions[name])
	perms := s.rows("users.objectpermission")
	slices.SortFunc(perms, func(a, b *row) int { return cmpOrdered(a.id, b.id) }) // order_by('id')
	for _, p := range perms {
		if p.vals["enabled"] != true {
			continue
		}
		users, _ := p.vals["users"].([]int64)
		types, _ := p.vals["object_types"].([]string)
		if !slices.Contains(users, u.id) || !slices.Contains(types, label) || !slices.Contains(actionsOf(p), action) {
			continue
		}
		// list_constraints(): a list as is, anything else as one set.
		if list, ok := p.vals["constraints"].([]any); ok {
			sets = append(sets, list...)
		} else {
			sets = append(sets, p.vals["constraints"])
		}
	}
	return sets, len(sets) > 0
}

// hasPerm is has_perm without an object: any grant of the action on the
// model.
func (s *store) hasPerm(p principal, label, action string) bool {
	if action == "" || p.superuser() {
		return true
	}
	if p.user == nil || p.user.vals["is_active"] != true {
		return false
	}
	_, ok := s.grants(p.user, label, action)
	return ok
}

// restrict is RestrictedQuerySet.restrict: nil for every object, else
// the test an object of label must pass. faultMsg is set when a
// constraint cannot be evaluated (Django's FieldError, a 500).
func (s *store) restrict(p principal, label, action string) (allow func(*row) bool, faultMsg string) {
	if action == "" || p.superuser() {
		return nil, ""
	}
	none := func(*row) bool { return false }
	if p.user == nil || p.user.vals["is_active"] != true {
		return none, ""
	}
	sets, ok := s.grants(p.user, label, action)
	if !ok {
		return none, ""
	}
	m := s.models[label]
	var any []func(*row) bool
	for _, set := range sets {
		o := constraintSet(set)
		if len(o) == 0 {
			return nil, "" // a null constraint permits every object
		}
		var all []func(*row) bool
		for _, k := range slices.Sorted(maps.Keys(o)) {
			pred, msg := s.lookupPred(m, k, replaceUserToken(o[k], p.user.id))
			if msg != "" {
				return nil, msg
			}
			all = append(all, pred)
		}
		any = append(any, func(r *row) bool {
			for _, pr := range all {
				if !pr(r) {
					return false
				}
			}
			return true
		})
	}
	return func(r *row) bool { return slices.ContainsFunc(any, func(f func(*row) bool) bool { return f(r) }) }, ""
}

// constraintSet reads one constraint set: a JSON object (*jobj from a
// request, or a map from DEFAULT_PERMISSIONS); anything else is none.
func constraintSet(v any) map[string]any {
	switch t := v.(type) {
	case *jobj:
		return t.m
	case map[string]any:
		return t
	}
	return nil
}

// replaceUserToken is _replace_tokens: "$user" (CONSTRAINT_TOKEN_USER),
// alone or in a list, becomes the user's id.
func replaceUserToken(v any, userID int64) any {
	id := json.Number(strconv.FormatInt(userID, 10))
	switch t := v.(type) {
	case string:
		if t == "$user" {
			return id
		}
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			if x == "$user" {
				out[i] = id
			} else {
				out[i] = x
			}
		}
		return out
	}
	return v
}

// lookups are the Django lookups constraints may end in.
var lookups = map[string]bool{"exact": true, "iexact": true, "in": true, "isnull": true, "contains": true,
	"icontains": true, "startswith": true, "istartswith": true, "endswith": true, "iendswith": true,
	"gt": true, "gte": true, "lt": true, "lte": true}

// genericRelations are the GenericRelations with a related_query_name
// the simulator follows: an IP's or MAC's interface.
var genericRelations = map[string]map[string]string{
	"ipam.ipaddress":  {"interface": "dcim.interface"},
	"dcim.macaddress": {"interface": "dcim.interface"},
}

// lookupPred compiles one constraint key and value into a test.
func (s *store) lookupPred(m *model, key string, want any) (func(*row) bool, string) {
	parts := strings.Split(key, "__")
	op := "exact"
	if n := len(parts); n > 1 && lookups[parts[n-1]] {
		op, parts = parts[n-1], parts[:n-1]
	}
	path, msg := s.compileLookupPath(m, key, parts)
	if msg != "" {
		return nil, msg
	}
	match, msg := lookupMatch(op, want)
	if msg != "" {
		return nil, msg
	}
	return path.test(op, match), ""
}

// lookupPath is a constraint key without its lookup: each step maps the
// rows reached so far to the next ones, and last maps the rows at the end
// to the values compared.
type lookupPath struct {
	steps []func(rows []*row) []*row
	last  func(r *row) []any
}

// compileLookupPath walks the key's parts from model m: ids, generic
// relations, foreign keys and lists of them, and plain values at the end.
func (s *store) compileLookupPath(m *model, key string, parts []string) (lookupPath, string) {
	var p lookupPath
	cur := m
	for i, part := range parts {
		end := i == len(parts)-1
		if part == "id" || part == "pk" {
			if !end {
				return p, fault("FieldError", fieldError(parts[i+1], cur))
			}
			p.last = rowID
			break
		}
		if target, ok := genericRelations[cur.label][part]; ok {
			p.steps = append(p.steps, s.genericStep(target))
			cur = s.models[target]
			if end {
				p.last = rowID
			}
			continue
		}
		f := cur.field(part)
		if f == nil {
			return p, fault("FieldError", fieldError(part, cur))
		}
		next, msg := s.addFieldStep(&p, f, parts[i+1:], key)
		if msg != "" {
			return p, msg
		}
		cur = next
	}
	return p, ""
}

func rowID(r *row) []any { return []any{r.id} }

// genericStep follows the rows' assigned objects of type target.
func (s *store) genericStep(target string) func(rows []*row) []*row {
	return func(rows []*row) []*row {
		var out []*row
		for _, r := range rows {
			if r.str("assigned_object_type") == target {
				if o := s.get(target, r.ref("assigned_object_id")); o != nil {
					out = append(out, o)
				}
			}
		}
		return out
	}
}

// addFieldStep adds field f to path p, with rest the parts of the key
// after it: a step to the related rows when rest goes on, else the values
// compared. It returns the model the path goes on from.
func (s *store) addFieldStep(p *lookupPath, f *field, rest []string, key string) (*model, string) {
	end := len(rest) == 0
	name := f.name
	switch f.kind {
	case kFK:
		if end {
			p.last = func(r *row) []any { return []any{r.vals[name]} }
			return nil, ""
		}
		target := f.target
		p.steps = append(p.steps, func(rows []*row) []*row {
			var out []*row
			for _, r := range rows {
				if o := s.get(target, r.ref(name)); o != nil {
					out = append(out, o)
				}
			}
			return out
		})
		return s.models[target], ""
	case kTags, kPKList:
		target := f.target
		if f.kind == kTags {
			target = "extras.tag"
		}
		fetch := s.listedRows(name, target)
		if end {
			p.last = func(r *row) []any {
				var out []any
				for _, o := range fetch(r) {
					out = append(out, o.id)
				}
				return out
			}
			return nil, ""
		}
		p.steps = append(p.steps, func(rows []*row) []*row {
			var out []*row
			for _, r := range rows {
				out = append(out, fetch(r)...)
			}
			return out
		})
		return s.models[target], ""
	case kString, kSlug, kInt, kFloat, kBool, kChoice:
		if !end {
			return nil, fault("FieldError", fmt.Sprintf(
				"Unsupported lookup '%s' for %s or join on the field not permitted.",
				strings.Join(rest, "__"), name))
		}
		p.last = func(r *row) []any { return []any{r.vals[name]} }
		return nil, ""
	}
	return nil, fault("FieldError", "the simulator does not evaluate constraints on "+key)
}

// listedRows reads a list field (tags, primary keys) as the rows of
// target it names.
func (s *store) listedRows(name, target string) func(r *row) []*row {
	return func(r *row) []*row {
		ids, _ := r.vals[name].([]int64)
		var out []*row
		for _, id := range ids {
			if o := s.get(target, id); o != nil {
				out = append(out, o)
			}
		}
		return out
	}
}

// test is the path's predicate: any value reached matches, and isnull
// matches a row whose path reaches no value.
func (p lookupPath) test(op string, match func(any) bool) func(*row) bool {
	return func(r *row) bool {
		rows := []*row{r}
		for _, st := range p.steps {
			rows = st(rows)
		}
		for _, x := range rows {
			vals := p.last(x)
			if len(vals) == 0 && op == "isnull" {
				return match(nil)
			}
			for _, v := range vals {
				if match(v) {
					return true
				}
			}
		}
		return false
	}
}

// lookupMatch compiles a lookup and its value into a test of a stored
// value.
func lookupMatch(op string, want any) (func(any) bool, string) {
	str := func(v any) (string, bool) {
		switch t := v.(type) {
		case string:
			return t, true
		case int64:
			return strconv.FormatInt(t, 10), true
		}
		return "", false
	}
	text := func(f func(h, w string) bool, fold bool) func(any) bool {
		w := pyStr(want)
		if fold {
			w = strings.ToLower(w)
		}
		return func(v any) bool {
			h, ok := str(v)
			if fold {
				h = strings.ToLower(h)
			}
			return ok && f(h, w)
		}
	}
	order := func(test func(c int) bool) func(any) bool {
		return func(v any) bool {
			c, ok := compareLookup(v, want)
			return ok && test(c)
		}
	}
	switch op {
	case "exact":
		return func(v any) bool { return paramEquals(v, want) }, ""
	case "iexact":
		if want == nil {
			return func(v any) bool { return v == nil }, ""
		}
		return text(strings.EqualFold, false), ""
	case "in":
		list, ok := want.([]any)
		if !ok {
			if s, isStr := want.(string); isStr {
				// A string is an iterable of its characters.
				for _, r := range s {
					list = append(list, string(r))
				}
			} else {
				return nil, fault("TypeError", "'"+pyType(want)+"' object is not iterable")
			}
		}
		return func(v any) bool {
			return slices.ContainsFunc(list, func(w any) bool { return w != nil && paramEquals(v, w) })
		}, ""
	case "isnull":
		null := truthy(jsonScalar(want))
		return func(v any) bool { return (v == nil) == null }, ""
	case "contains":
		return text(strings.Contains, false), ""
	case "icontains":
		return text(strings.Contains, true), ""
	case "startswith":
		return text(strings.HasPrefix, false), ""
	case "istartswith":
		return text(strings.HasPrefix, true), ""
	case "endswith":
		return text(strings.HasSuffix, false), ""
	case "iendswith":
		return text(strings.HasSuffix, true), ""
	case "gt":
		return order(func(c int) bool { return c > 0 }), ""
	case "gte":
		return order(func(c int) bool { return c >= 0 }), ""
	case "lt":
		return order(func(c int) bool { return c < 0 }), ""
	case "lte":
		return order(func(c int) bool { return c <= 0 }), ""
	}
	return nil, fault("FieldError", "unsupported lookup "+op)
}

// jsonScalar turns a decoded JSON number into a Go number for truthy().
func jsonScalar(v any) any {
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		return f
	}
	return v
}

// compareLookup orders a stored value against a constraint value.
func compareLookup(have, want any) (int, bool) {
	switch h := have.(type) {
	case int64:
		n, ok := pyInt(want)
		if !ok {
			return 0, false
		}
		return cmpOrdered(h, n), true
	case float64:
		f, err := strconv.ParseFloat(pyStr(want), 64)
		if err != nil {
			return 0, false
		}
		return cmpOrdered(h, f), true
	case string:
		w, ok := want.(string)
		return strings.Compare(h, w), ok
	}
	return 0, false
}

// writeForbidden is DRF's PermissionDenied.
func writeForbidden(w http.ResponseWriter) {
	writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
}

// forbiddenMark marks a validation message that NetBox raises as
// PermissionDenied (a 403 with it as the detail), such as
// TokenSerializer.validate's.
const forbiddenMark = "\x00forbidden\x00"

// forbiddenDetail finds such a message in a validation error body.
func forbiddenDetail(v any) (string, bool) {
	switch t := v.(type) {
	case errBody:
		for _, x := range t {
			if s, ok := forbiddenDetail(x); ok {
				return s, true
			}
		}
	case []any:
		for _, x := range t {
			if s, ok := forbiddenDetail(x); ok {
				return s, true
			}
		}
	case []string:
		for _, x := range t {
			if strings.HasPrefix(x, forbiddenMark) {
				return strings.TrimPrefix(x, forbiddenMark), true
			}
		}
	}
	return "", false
}

// objectChangeModel describes core.ObjectChange for the permission
// constraints on the change log (its records are no table rows:
// changelog.go). It has no endpoint of its own.
func objectChangeModel() *model {
	m := &model{label: "core.objectchange", objectName: "ObjectChange", verbose: "object change", appVerbose: "Core",
		route: changesRoute, stub: true}
	m.fields = []*field{
		{name: "time", kind: kDateTime}, {name: "user", kind: kFK, target: "users.user"},
		{name: "user_name", kind: kString}, {name: "request_id", kind: kString}, {name: "action", kind: kChoice},
		{name: "changed_object_id", kind: kInt}, {name: "related_object_id", kind: kInt},
		{name: "object_repr", kind: kString}, {name: "message", kind: kString},
	}
	m.display = func(_ *store, r *row) string { return itoa(r.id) }
	m.brief = []out{oID(), oURL(m), oDisplay(m)}
	m.full = m.brief
	return m
}

// changeRow is a change record as a row, for constraints.
func changeRow(c *ObjectChange) *row {
	v := map[string]any{"time": c.Time, "user": c.UserID, "user_name": c.UserName, "request_id": c.RequestID,
		"action": c.Action, "changed_object_id": c.ObjectID, "object_repr": c.ObjectRepr, "message": c.Message,
		"related_object_id": nil}
	if c.RelatedID != 0 {
		v["related_object_id"] = c.RelatedID
	}
	return &row{id: c.ID, vals: v, created: c.Time, updated: c.Time}
}

// changeVisible is DjangoObjectPermissions.has_object_permission for a
// change record: the view permission's constraints hold for it (a
// constraint the simulator cannot evaluate hides it).
func (h *handler) changeVisible(c *ObjectChange) bool {
	allow, faultMsg := h.st.restrict(h.who, "core.objectchange", "view")
	return faultMsg == "" && (allow == nil || allow(changeRow(c)))
}
