package netboxsim

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Users, object permissions and tokens as NetBox 4.3.7 has them:
// users/models/ (User, ObjectPermission, Token), users/api/serializers_/,
// users/api/views.py, users/filtersets.py. How they are enforced is in
// perms.go.
//
// The user every Options token belongs to is "admin" (id 1), a superuser
// the simulator starts with: NetBox's API cannot make superusers (the
// serializer has no is_superuser), so users created through the API are
// not. Users, permissions and tokens are not change-logged (they have no
// to_objectchange), as in NetBox.

func userModels() []*model {
	group := stubModel("users.group", "Group", "group", "Users", "users/groups")
	group.journaling = false
	return []*model{userModel(), permissionModel(), tokenModel(), group}
}

var usernameRE = regexp.MustCompile(`^[\pL\pN@.+_-]+$`)

func userModel() *model {
	m := &model{label: "users.user", objectName: "User", verbose: "user", appVerbose: "Users", route: "users/users",
		noChangelog: true}
	m.fields = []*field{
		{name: "username", kind: kString, required: true, maxLen: 150, unique: true, pattern: usernameRE,
			badMsg: "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."},
		{name: "password", kind: kString, required: true, maxLen: 128, parse: parsePassword},
		fText("first_name", 150), fText("last_name", 150),
		{name: "email", kind: kString, blank: true, maxLen: 254, initial: always(""), parse: parseEmail},
		fBool("is_staff", false), fBool("is_active", true),
		{name: "date_joined", kind: kDateTime, initial: func() any { return time.Now().UTC().Truncate(time.Microsecond) }},
		{name: "last_login", kind: kDateTime, null: true, initial: always(nil)},
		{name: "groups", kind: kPKList, target: "users.group", initial: emptyIDs},
		// source='object_permissions': kept on the permissions
		// (userPermissionsSaved moves it there).
		{name: "permissions", kind: kPKList, target: "users.objectpermission"},
	}
	m.full = join(fullHead(m), vals("username", "first_name", "last_name", "email", "is_staff", "is_active"),
		[]out{oTime("date_joined"), oTime("last_login"), oFunc("groups", emptyList),
			oFunc("permissions", func(rc *rctx, r *row) any {
				pm := rc.s.models["users.objectpermission"]
				list := []any{}
				for _, p := range rc.s.sorted(pm) {
					if ids, _ := p.vals["users"].([]int64); slices.Contains(ids, r.id) {
						list = append(list, rc.nested().render(pm, p, true))
					}
				}
				return list
			})})
	m.brief = join(head(m), vals("username"))
	m.display = func(_ *store, r *row) string {
		full := strings.TrimSpace(r.str("first_name") + " " + r.str("last_name"))
		if full != "" {
			return fmt.Sprintf("%s (%s)", r.str("username"), full)
		}
		return r.str("username")
	}
	m.order = func(_ *store, a, b *row) int { return collate(a.str("username"), b.str("username"), false) }
	m.clean = func(s *store, v map[string]any, old *row) errBody {
		for _, r := range s.rows(m.label) {
			if (old == nil || r.id != old.id) && strings.EqualFold(r.str("username"), v["username"].(string)) {
				return errBody{"__all__": []string{"A user with this username already exists."}}
			}
		}
		return nil
	}
	m.afterSave = userPermissionsSaved
	m.search = []string{"username", "first_name", "last_name", "email"}
	m.filters = map[string]*filter{
		"id":            {kind: qNumber, path: []string{"id"}},
		"username":      {kind: qString, path: []string{"username"}, lookups: true},
		"first_name":    {kind: qString, path: []string{"first_name"}, lookups: true},
		"last_name":     {kind: qString, path: []string{"last_name"}, lookups: true},
		"email":         {kind: qString, path: []string{"email"}, lookups: true},
		"is_staff":      {kind: qBool, path: []string{"is_staff"}},
		"is_active":     {kind: qBool, path: []string{"is_active"}},
		"is_superuser":  {kind: qBool, path: []string{"is_superuser"}},
		"permission_id": {kind: qCustom, pred: m2mPred("users.objectpermission", "users", false)},
	}
	return m
}

// parsePassword is the password CharField plus validate_password with
// NetBox's AUTH_PASSWORD_VALIDATORS (at least 12 characters; a numeral,
// an upper-case and a lower-case letter). The password is stored as
// given: nothing ever reads it back.
func parsePassword(raw any) (any, []string) {
	str, ok := raw.(string)
	if !ok {
		return nil, []string{"Not a valid string."}
	}
	if strings.TrimSpace(str) == "" {
		return nil, []string{"This field may not be blank."}
	}
	var msgs []string
	if len([]rune(str)) < 12 {
		msgs = append(msgs, "This password is too short. It must contain at least 12 characters.")
	}
	switch {
	case !strings.ContainsFunc(str, unicode.IsDigit):
		msgs = append(msgs, "Password must have at least one numeral.")
	case !strings.ContainsFunc(str, unicode.IsUpper):
		msgs = append(msgs, "Password must have at least one uppercase letter.")
	case !strings.ContainsFunc(str, unicode.IsLower):
		msgs = append(msgs, "Password must have at least one lowercase letter.")
	}
	return str, msgs
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// parseEmail is DRF's EmailField (blank allowed), approximately.
func parseEmail(raw any) (any, []string) {
	str, ok := raw.(string)
	if !ok {
		return nil, []string{"Not a valid string."}
	}
	str = strings.TrimSpace(str)
	if str != "" && !emailRE.MatchString(str) {
		return nil, []string{"Enter a valid email address."}
	}
	return str, nil
}

// userPermissionsSaved moves a user's written "permissions" onto the
// permissions' users (one many-to-many relation, two sides).
func userPermissionsSaved(s *store, t *tx, _, cur *row) {
	const pl = "users.objectpermission"
	want, given := cur.vals["permissions"].([]int64)
	delete(cur.vals, "permissions")
	if !given {
		return
	}
	for _, p := range s.rows("users.objectpermission") {
		ids, _ := p.vals["users"].([]int64)
		has := slices.Contains(ids, cur.id)
		switch {
		case slices.Contains(want, p.id) && !has:
			t.put(pl, withVal(p, "users", append(slices.Clone(ids), cur.id)))
		case !slices.Contains(want, p.id) && has:
			t.put(pl, withVal(p, "users", slices.DeleteFunc(slices.Clone(ids), func(x int64) bool { return x == cur.id })))
		}
	}
}

func permissionModel() *model {
	m := &model{label: "users.objectpermission", objectName: "ObjectPermission", verbose: "permission",
		appVerbose: "Users", route: "users/permissions", noChangelog: true}
	m.fields = []*field{
		fName("name", 100, false), fText("description", 200), fBool("enabled", true),
		{name: "object_types", kind: kContentTypes, required: true},
		{name: "actions", kind: kJSON, required: true, parse: parseActions},
		{name: "constraints", kind: kJSON, null: true, initial: always(nil)},
		{name: "groups", kind: kPKList, target: "users.group", initial: emptyIDs},
		{name: "users", kind: kPKList, target: "users.user", initial: emptyIDs},
	}
	m.full = join(fullHead(m), vals("name", "description", "enabled", "object_types", "actions"),
		[]out{oFunc("constraints", func(_ *rctx, r *row) any { return jsonValue(r.vals["constraints"]) }),
			oFunc("groups", emptyList),
			oFunc("users", func(rc *rctx, r *row) any {
				um := rc.s.models["users.user"]
				ids, _ := r.vals["users"].([]int64)
				var users []*row
				for _, id := range ids {
					if u := rc.s.get(um.label, id); u != nil {
						users = append(users, u)
					}
				}
				slices.SortFunc(users, func(a, b *row) int { return cmp.Or(um.order(rc.s, a, b), cmp.Compare(a.id, b.id)) })
				list := []any{}
				for _, u := range users {
					list = append(list, rc.nested().renderWith(um, u, []string{"id", "url", "display_url", "display", "username"}))
				}
				return list
			})})
	m.brief = join(head(m), vals("name", "description", "enabled", "object_types", "actions"))
	m.display = displayName
	m.order = byName(false)
	m.search = []string{"name", "description"}
	m.filters = map[string]*filter{
		"id":          {kind: qNumber, path: []string{"id"}},
		"name":        {kind: qString, path: []string{"name"}, lookups: true},
		"description": {kind: qString, path: []string{"description"}, lookups: true},
		"enabled":     {kind: qBool, path: []string{"enabled"}},
		"object_type": {kind: qCustom, pred: objectTypePred}, // models_customfields.go
		"user_id":     {kind: qCustom, pred: m2mPred("users.user", "users", true)},
		"can_view":    {kind: qCustom, pred: canPred("view")},
		"can_add":     {kind: qCustom, pred: canPred("add")},
		"can_change":  {kind: qCustom, pred: canPred("change")},
		"can_delete":  {kind: qCustom, pred: canPred("delete")},
	}
	return m
}

// parseActions is ListField(child=CharField(max_length=30)) into the
// ArrayField; NetBox's API takes any action names.
func parseActions(raw any) (any, []string) {
	list, ok := raw.([]any)
	if !ok {
		return nil, []string{fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw))}
	}
	out := make([]any, 0, len(list))
	for i, item := range list {
		str, ok := item.(string)
		switch {
		case !ok:
			return nil, []string{fmt.Sprintf("Item %d: Not a valid string.", i)}
		case len([]rune(str)) > 30:
			return nil, []string{fmt.Sprintf("Item %d: Ensure this field has no more than 30 characters.", i)}
		}
		out = append(out, str)
	}
	return out, nil
}

// actionsOf is a permission's actions.
func actionsOf(p *row) []string {
	list, _ := p.vals["actions"].([]any)
	out := make([]string, 0, len(list))
	for _, a := range list {
		if s, ok := a.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func canPred(action string) func(*store, []string) (func(*row) bool, string) {
	return func(s *store, values []string) (func(*row) bool, string) {
		return boolPred(func(r *row) bool { return slices.Contains(actionsOf(r), action) })(s, values)
	}
}

// m2mPred filters by ids on a many-to-many relation: on this row's field
// (own), or on the other model's rows that list this row.
func m2mPred(other, field string, own bool) func(*store, []string) (func(*row) bool, string) {
	return func(s *store, values []string) (func(*row) bool, string) {
		f := &filter{kind: qFK, target: other}
		if _, msg := s.fkPred(f, values, func(*row) any { return nil }); msg != "" {
			return nil, msg
		}
		want, _ := wholeNumbers(values)
		if len(want) == 0 {
			return nil, ""
		}
		return func(r *row) bool {
			if own {
				ids, _ := r.vals[field].([]int64)
				return slices.ContainsFunc(want, func(id int64) bool { return slices.Contains(ids, id) })
			}
			for _, id := range want {
				if o := s.get(other, id); o != nil {
					if ids, _ := o.vals[field].([]int64); slices.Contains(ids, r.id) {
						return true
					}
				}
			}
			return false
		}, ""
	}
}

func tokenModel() *model {
	m := &model{label: "users.token", objectName: "Token", verbose: "token", appVerbose: "Users", route: "users/tokens",
		noChangelog: true}
	m.fields = []*field{
		// write_only (ALLOW_TOKEN_RETRIEVAL is False by default): never
		// rendered. TokenSerializer.to_internal_value generates one when
		// a create sends none.
		{name: "key", kind: kString, blank: true, parse: parseTokenKey, initial: func() any { return newTokenKey() }},
		fReqFK("user", "users.user", cascade),
		{name: "expires", kind: kDateTime, null: true, initial: always(nil)},
		{name: "last_used", kind: kDateTime, null: true, initial: always(nil)},
		fBool("write_enabled", true), fText("description", 200),
		{name: "allowed_ips", kind: kJSON, initial: func() any { return []any{} }, parse: parseAllowedIPs},
	}
	m.full = join(fullHead(m), []out{oFK("user", "users.user"), oCreated(), oTime("expires"), oTime("last_used"),
		oVal("write_enabled"), oVal("description"),
		oFunc("allowed_ips", func(_ *rctx, r *row) any { return jsonValue(r.vals["allowed_ips"]) })})
	m.brief = join(head(m), vals("write_enabled", "description"))
	// str(token) is its partial key without ALLOW_TOKEN_RETRIEVAL.
	m.display = func(_ *store, r *row) string {
		key := r.str("key")
		if key == "" {
			return ""
		}
		return strings.Repeat("*", 34) + key[max(0, len(key)-6):]
	}
	m.order = func(_ *store, a, b *row) int { return -a.created.Compare(b.created) }
	m.validate = func(s *store, v map[string]any, _ *row) []string {
		if u, ok := v["user"].(int64); ok && s.actor != nil && u != s.actor.id && !s.actorIsSuperuser() {
			return []string{forbiddenMark + "This user does not have permission to create tokens for other users."}
		}
		return nil
	}
	m.clean = func(s *store, v map[string]any, old *row) errBody {
		key, _ := v["key"].(string)
		if key == "" { // Token.save() generates a key for a blank one
			v["key"] = newTokenKey()
			return nil
		}
		for _, r := range s.rows(m.label) {
			if (old == nil || r.id != old.id) && r.str("key") == key {
				return errBody{"key": []string{"Token with this Key already exists."}}
			}
		}
		return nil
	}
	m.search = []string{"description"}
	m.filters = map[string]*filter{
		"id":            {kind: qNumber, path: []string{"id"}},
		"key":           {kind: qString, path: []string{"key"}, lookups: true},
		"description":   {kind: qString, path: []string{"description"}, lookups: true},
		"write_enabled": {kind: qBool, path: []string{"write_enabled"}},
		"user_id":       {kind: qFK, path: []string{"user"}, target: "users.user"},
		"user":          {kind: qFKSlug, path: []string{"user"}, target: "users.user", toField: "username"},
	}
	return m
}

// parseTokenKey is CharField(min_length=40, max_length=40, allow_blank).
func parseTokenKey(raw any) (any, []string) {
	str, ok := raw.(string)
	if !ok {
		return nil, []string{"Not a valid string."}
	}
	str = strings.TrimSpace(str)
	switch n := len([]rune(str)); {
	case n == 0:
		return "", nil
	case n < 40:
		return nil, []string{"Ensure this field has at least 40 characters."}
	case n > 40:
		return nil, []string{"Ensure this field has no more than 40 characters."}
	}
	return str, nil
}

// newTokenKey is Token.generate_key: 160 random bits in hex.
func newTokenKey() string {
	u := strings.ReplaceAll(newUUID()+newUUID(), "-", "")
	return u[:40]
}

// parseAllowedIPs is ListField(child=IPNetworkSerializer()): netaddr's
// AddrFormatError is not caught (a 500).
func parseAllowedIPs(raw any) (any, []string) {
	list, ok := raw.([]any)
	if !ok {
		return nil, []string{fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw))}
	}
	out := make([]any, 0, len(list))
	for _, item := range list {
		str, _ := item.(string)
		n, ok := parseIPNetwork(strings.TrimSpace(str))
		if !ok {
			return nil, []string{fault("AddrFormatError", "invalid IPNetwork "+pyStr(item))}
		}
		out = append(out, n.String())
	}
	return out, nil
}

// oTime renders a stored time.Time like DRF's DateTimeField, or null.
func oTime(name string) out {
	return oFunc(name, func(_ *rctx, r *row) any {
		if t, ok := r.vals[name].(time.Time); ok {
			return timestamp(t)
		}
		return nil
	})
}

// seedAdmin adds the superuser every Options token belongs to.
func (s *store) seedAdmin() {
	now := s.now()
	t := s.tables["users.user"]
	t.rows[simUserID] = &row{id: simUserID, created: now, updated: now, vals: map[string]any{
		"username": UserName, "first_name": "", "last_name": "", "email": "", "is_staff": true, "is_active": true,
		"is_superuser": true, "date_joined": now, "last_login": nil, "groups": []int64{},
	}}
	t.nextID = simUserID + 1
}
