package netboxsim_test

// Contract tests of users, object permissions and tokens, and of how the
// REST API enforces them (NetBox 4.3.7: users/, netbox/api/
// authentication.py, netbox/authentication/__init__.py, utilities/
// querysets.py, netbox/api/viewsets/).

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

const forbidden = `{"detail": "You do not have permission to perform this action."}`

func key40(c byte) string { return strings.Repeat(string(c), 40) }

// newUser makes a user with the permissions given as
// {object_types, actions, constraints} and a token, and returns the
// user's id and the token's key.
func newUser(t *testing.T, s *simtest.Server, name string, writeEnabled bool, perms ...map[string]any) (int64, string) {
	t.Helper()
	uid := create(t, s, "users/users", map[string]any{"username": name, "password": "Correct-Horse-42"})
	for i, p := range perms {
		create(t, s, "users/permissions", merge(map[string]any{"name": fmt.Sprintf("%s %d", name, i), "users": []int64{uid}}, p))
	}
	key := (name + strings.Repeat("0", 40))[:40]
	create(t, s, "users/tokens", map[string]any{"user": uid, "key": key, "write_enabled": writeEnabled})
	return uid, key
}

func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	s := start(t)
	cases := []postCase{
		{"short password", "users/users", map[string]any{"username": "x", "password": "Short1a"},
			`{"password": ["This password is too short. It must contain at least 12 characters."]}`},
		{"password needs a numeral", "users/users", map[string]any{"username": "x", "password": "NoDigitsHereAtAll"},
			`{"password": ["Password must have at least one numeral."]}`},
		{"bad username", "users/users", map[string]any{"username": "a b", "password": "Correct-Horse-42"},
			`{"username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]}`},
		{"valid", "users/users", map[string]any{"username": "alice", "password": "Correct-Horse-42", "first_name": "Alice"}, ""},
		{"usernames differ in more than case", "users/users", map[string]any{"username": "Alice", "password": "Correct-Horse-42"},
			`{"__all__": ["A user with this username already exists."]}`},
		{"a key has 40 characters", "users/tokens", map[string]any{"user": 1, "key": "abc"},
			`{"key": ["Ensure this field has at least 40 characters."]}`},
		{"a token needs a user", "users/tokens", map[string]any{"key": key40('k')},
			`{"user": ["This field is required."]}`},
		{"a token of admin's", "users/tokens", map[string]any{"user": 1, "key": key40('k'), "description": "ci"}, ""},
		{"keys are unique", "users/tokens", map[string]any{"user": 1, "key": key40('k')},
			`{"key": ["Token with this Key already exists."]}`},
		{"a key is made when none is given", "users/tokens", map[string]any{"user": map[string]any{"username": "alice"}}, ""},
		{"actions are a list", "users/permissions", map[string]any{"name": "p", "object_types": []string{"dcim.device"}, "actions": "view"},
			`{"actions": ["Expected a list of items but got type \"str\"."]}`},
		{"object types", "users/permissions", map[string]any{"name": "p", "object_types": []string{"dcim.nothing"}, "actions": []string{"view"}},
			`{"object_types": ["Invalid content type: dcim.nothing"]}`},
	}
	runPosts(t, s, cases)

	t.Run("representation", func(t *testing.T) {
		users := list(t, s, "/api/users/users/")
		require.Equal(t, 2, users.Count)
		assert.Equal(t, "admin", users.Results[0]["username"], "the superuser the simulator starts with")
		assert.Equal(t, "alice (Alice)", users.Results[1]["display"])
		assert.NotContains(t, users.Results[1], "password")
		tokens := list(t, s, "/api/users/tokens/?user=admin")
		require.Equal(t, 1, tokens.Count, "the Options tokens are no rows")
		tok := tokens.Results[0]
		assert.NotContains(t, tok, "key", "write-only without ALLOW_TOKEN_RETRIEVAL")
		assert.Equal(t, strings.Repeat("*", 34)+"kkkkkk", tok["display"])
		assert.Equal(t, "admin", tok["user"].(map[string]any)["username"])
		assert.Equal(t, true, tok["write_enabled"])
	})
	t.Run("a token made through the API authenticates", func(t *testing.T) {
		status, _ := s.DoToken(t, key40('k'), "GET", "/api/dcim/sites/", nil)
		assert.Equal(t, http.StatusOK, status)
	})
}

func TestTokenAuthentication(t *testing.T) {
	t.Parallel()
	s := start(t)
	uid, key := newUser(t, s, "bob", true, map[string]any{"object_types": []string{"dcim.site"}, "actions": []string{"view"}})
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	create(t, s, "users/tokens", map[string]any{"user": uid, "key": key40('e'), "expires": past})
	create(t, s, "users/tokens", map[string]any{"user": uid, "key": key40('i'), "allowed_ips": []string{"192.0.2.0/24"}})
	ro := create(t, s, "users/users", map[string]any{"username": "ro", "password": "Correct-Horse-42", "is_active": false})
	create(t, s, "users/tokens", map[string]any{"user": ro, "key": key40('r')})
	tests := []struct {
		name, key string
		status    int
		want      string
	}{
		{"valid", key, 200, ""},
		{"expired", key40('e'), 403, `{"detail": "Token expired"}`},
		{"inactive user", key40('r'), 403, `{"detail": "User inactive"}`},
		{"source IP", key40('i'), 403, `{"detail": "Source IP 127.0.0.1 is not permitted to authenticate using this token."}`},
		{"unknown", key40('u'), 403, `{"detail": "Invalid token"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.DoToken(t, tc.key, "GET", "/api/dcim/sites/", nil)
			assert.Equal(t, tc.status, status, "%s", data)
			if tc.want != "" {
				assert.JSONEq(t, tc.want, string(data))
			}
		})
	}
}

// permFixture: two devices with interfaces, VMs in two cluster groups,
// and users with permissions of the kinds a sync meets.
type permFixture struct {
	netFixture
	appsVM, infraVM int64
	viewer          string // views everything it syncs, changes nothing
	ifaceWriter     string // also adds and changes host1's interfaces named eth*
	vmWriter        string // views and changes the VMs of cluster group "apps" only
	noVirt          string // views dcim and ipam, nothing of virtualization
	readOnly        string // the viewer's permissions, on a token without write
}

func newPermFixture(t *testing.T, s *simtest.Server) permFixture {
	t.Helper()
	p := permFixture{netFixture: newNetFixture(t, s)}
	ct := create(t, s, "virtualization/cluster-types", map[string]any{"name": "Docker", "slug": "docker"})
	apps := create(t, s, "virtualization/cluster-groups", map[string]any{"name": "Apps", "slug": "apps"})
	infra := create(t, s, "virtualization/cluster-groups", map[string]any{"name": "Infra", "slug": "infra"})
	c1 := create(t, s, "virtualization/clusters", map[string]any{"name": "c1", "type": ct, "group": apps})
	c2 := create(t, s, "virtualization/clusters", map[string]any{"name": "c2", "type": ct, "group": infra})
	p.appsVM = create(t, s, "virtualization/virtual-machines", map[string]any{"name": "web", "cluster": c1})
	p.infraVM = create(t, s, "virtualization/virtual-machines", map[string]any{"name": "db", "cluster": c2})

	all := []string{"dcim.device", "dcim.interface", "dcim.macaddress", "ipam.ipaddress",
		"virtualization.virtualmachine", "virtualization.cluster", "core.objectchange"}
	view := map[string]any{"object_types": all, "actions": []string{"view"}}
	_, p.viewer = newUser(t, s, "viewer", true, view)
	_, p.ifaceWriter = newUser(t, s, "iface", true, view, map[string]any{
		"object_types": []string{"dcim.interface"}, "actions": []string{"add", "change"},
		"constraints": map[string]any{"device__name": "host1", "name__startswith": "eth"}})
	_, p.vmWriter = newUser(t, s, "vm", true, map[string]any{
		"object_types": []string{"virtualization.virtualmachine"}, "actions": []string{"view", "change"},
		"constraints": []any{map[string]any{"cluster__group__slug": "apps"}, map[string]any{"name": "nobody"}}})
	_, p.noVirt = newUser(t, s, "novirt", true, map[string]any{
		"object_types": []string{"dcim.device", "dcim.interface", "ipam.ipaddress"}, "actions": []string{"view"}})
	_, p.readOnly = newUser(t, s, "readonly", false, view, map[string]any{
		"object_types": []string{"dcim.interface"}, "actions": []string{"change"}})
	return p
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	s := start(t)
	p := newPermFixture(t, s)
	ifacePath := func(id int64) string { return fmt.Sprintf("/api/dcim/interfaces/%d/", id) }
	vmPath := func(id int64) string { return fmt.Sprintf("/api/virtualization/virtual-machines/%d/", id) }
	tests := []struct {
		name         string
		token        string
		method, path string
		body         any
		status       int
		want         string
	}{
		// Reads: a model without view permission is 403, objects outside
		// the constraints are left out or 404.
		{"no view permission on a model: 403", p.noVirt, "GET", "/api/virtualization/virtual-machines/", nil, 403, forbidden},
		{"no view permission, detail", p.noVirt, "GET", vmPath(p.appsVM), nil, 403, forbidden},
		{"views what it may", p.noVirt, "GET", "/api/dcim/interfaces/", nil, 200, ""},
		{"change log needs its permission", p.noVirt, "GET", "/api/core/object-changes/", nil, 403, forbidden},
		{"outside the view constraints: 404", p.vmWriter, "GET", vmPath(p.infraVM), nil, 404,
			`{"detail": "No VirtualMachine matches the given query."}`},
		{"inside them", p.vmWriter, "GET", vmPath(p.appsVM), nil, 200, ""},
		{"status needs no permission", p.noVirt, "GET", "/api/status/", nil, 200, ""},
		// Writes.
		{"no write on a read-only token", p.readOnly, "PATCH", ifacePath(p.eth0), map[string]any{"mtu": 9000}, 403, forbidden},
		{"no change permission at all", p.viewer, "PATCH", ifacePath(p.eth0), map[string]any{"mtu": 9000}, 403, forbidden},
		{"no delete permission", p.ifaceWriter, "DELETE", ifacePath(p.eth0), nil, 403, forbidden},
		{"outside the change constraints: 404", p.ifaceWriter, "PATCH", ifacePath(p.eth9), map[string]any{"mtu": 9000}, 404,
			`{"detail": "No Interface matches the given query."}`},
		{"inside them", p.ifaceWriter, "PATCH", ifacePath(p.eth0), map[string]any{"mtu": 9000}, 200, ""},
		{"an update that leaves them: 403", p.ifaceWriter, "PATCH", ifacePath(p.eth1), map[string]any{"name": "wan1"}, 403, forbidden},
		{"a create outside them: 403", p.ifaceWriter, "POST", "/api/dcim/interfaces/", iface(p.dev2, "eth5", "1000base-t"), 403, forbidden},
		{"a create inside them", p.ifaceWriter, "POST", "/api/dcim/interfaces/", iface(p.dev1, "eth5", "1000base-t"), 201, ""},
		{"VMs of one group", p.vmWriter, "PATCH", vmPath(p.appsVM), map[string]any{"vcpus": 2}, 200, ""},
		{"not the other's", p.vmWriter, "PATCH", vmPath(p.infraVM), map[string]any{"vcpus": 2}, 404,
			`{"detail": "No VirtualMachine matches the given query."}`},
		{"the viewer may not change VMs", p.viewer, "PATCH", vmPath(p.appsVM), map[string]any{"vcpus": 2}, 403, forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.DoToken(t, tc.token, tc.method, tc.path, tc.body)
			assert.Equal(t, tc.status, status, "%s", data)
			if tc.want != "" {
				assert.JSONEq(t, tc.want, string(data))
			}
		})
	}

	t.Run("lists leave out what the constraints do not match", func(t *testing.T) {
		status, data := s.DoToken(t, p.vmWriter, "GET", "/api/virtualization/virtual-machines/", nil)
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, string(data), `"count":1`)
		assert.Contains(t, string(data), `"name":"web"`)
	})
	t.Run("a bulk create with one object outside is refused whole", func(t *testing.T) {
		status, data := s.DoToken(t, p.ifaceWriter, "POST", "/api/dcim/interfaces/", []any{
			iface(p.dev1, "eth6", "1000base-t"), iface(p.dev2, "eth6", "1000base-t")})
		assert.Equal(t, http.StatusForbidden, status)
		assert.JSONEq(t, forbidden, string(data))
		assert.Equal(t, 0, list(t, s, "/api/dcim/interfaces/?name=eth6").Count, "nothing created")
	})
	t.Run("a bulk update skips objects outside and answers for the others", func(t *testing.T) {
		status, data := s.DoToken(t, p.ifaceWriter, "PATCH", "/api/dcim/interfaces/", []any{
			map[string]any{"id": p.eth0, "description": "in"}, map[string]any{"id": p.eth9, "description": "out"}})
		require.Equal(t, http.StatusOK, status, "%s", data)
		assert.Contains(t, string(data), `"description":"in"`)
		assert.NotContains(t, string(data), `"description":"out"`)
		got := mustDo(t, s, "GET", ifacePath(p.eth9), nil, http.StatusOK)
		assert.Equal(t, "", got["description"])
	})
	t.Run("a bulk update that moves one object outside is refused whole", func(t *testing.T) {
		status, data := s.DoToken(t, p.ifaceWriter, "PATCH", "/api/dcim/interfaces/", []any{
			map[string]any{"id": p.eth0, "description": "again"}, map[string]any{"id": p.eth1, "name": "wan1"}})
		assert.Equal(t, http.StatusForbidden, status, "%s", data)
		got := mustDo(t, s, "GET", ifacePath(p.eth0), nil, http.StatusOK)
		assert.Equal(t, "in", got["description"], "rolled back")
	})
	t.Run("the change records carry the user", func(t *testing.T) {
		p2 := list(t, s, "/api/core/object-changes/?user=iface")
		require.NotZero(t, p2.Count)
		assert.Equal(t, "iface", p2.Results[0]["user_name"])
	})
	t.Run("a constraint the simulator cannot evaluate is a server error", func(t *testing.T) {
		_, key := newUser(t, s, "broken", true, map[string]any{"object_types": []string{"dcim.site"}, "actions": []string{"view"},
			"constraints": map[string]any{"nonsense": 1}})
		status, data := s.DoToken(t, key, "GET", "/api/dcim/sites/", nil)
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Contains(t, string(data), `"exception":"FieldError"`)
	})
	t.Run("users see their own tokens", func(t *testing.T) {
		status, data := s.DoToken(t, p.viewer, "GET", "/api/users/tokens/", nil)
		require.Equal(t, http.StatusOK, status, "%s", data)
		assert.Contains(t, string(data), `"count":1`)
		status, data = s.DoToken(t, p.viewer, "POST", "/api/users/tokens/", map[string]any{"user": 1})
		assert.Equal(t, http.StatusForbidden, status)
		assert.JSONEq(t, `{"detail": "This user does not have permission to create tokens for other users."}`, string(data))
	})
	t.Run("the Options tokens are a superuser's", func(t *testing.T) {
		mustDo(t, s, "PATCH", vmPath(p.infraVM), map[string]any{"vcpus": 4}, http.StatusOK)
	})
}

// TestConstraintLookups checks the Django lookups constraints may use, on
// a list of sites, and that a list of constraint sets is ORed.
func TestConstraintLookups(t *testing.T) {
	t.Parallel()
	s := start(t)
	tag := create(t, s, "extras/tags", map[string]any{"name": "Managed", "slug": "managed"})
	for i, name := range []string{"Alpha", "Beta", "Gamma"} {
		body := map[string]any{"name": name, "slug": strings.ToLower(name), "status": []string{"active", "planned", "retired"}[i]}
		if i == 0 {
			body["tags"] = []int64{tag}
			body["time_zone"] = "UTC"
		}
		create(t, s, "dcim/sites", body)
	}
	tests := []struct {
		constraints any
		want        []string
	}{
		{nil, []string{"Alpha", "Beta", "Gamma"}},
		{map[string]any{}, []string{"Alpha", "Beta", "Gamma"}},
		{map[string]any{"name": "Beta"}, []string{"Beta"}},
		{map[string]any{"name__iexact": "beta"}, []string{"Beta"}},
		{map[string]any{"slug__in": []string{"alpha", "gamma"}}, []string{"Alpha", "Gamma"}},
		{map[string]any{"status": "planned", "name__startswith": "B"}, []string{"Beta"}},
		{map[string]any{"status": "planned", "name__startswith": "A"}, []string{}},
		{[]any{map[string]any{"name": "Alpha"}, map[string]any{"status": "retired"}}, []string{"Alpha", "Gamma"}},
		{map[string]any{"tags__slug": "managed"}, []string{"Alpha"}},
		{map[string]any{"time_zone__isnull": true}, []string{"Beta", "Gamma"}},
		{map[string]any{"id__gte": 2}, []string{"Beta", "Gamma"}},
		{map[string]any{"name__icontains": "AMM"}, []string{"Gamma"}},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(tc.constraints), func(t *testing.T) {
			key := s.UserToken(t, fmt.Sprintf("u%d", i), simtest.Permission{ObjectTypes: []string{"dcim.site"},
				Actions: []string{"view"}, Constraints: tc.constraints})
			status, data := s.DoToken(t, key, "GET", "/api/dcim/sites/", nil)
			require.Equal(t, http.StatusOK, status, "%s", data)
			var names []string
			for _, n := range []string{"Alpha", "Beta", "Gamma"} {
				if strings.Contains(string(data), `"name":"`+n+`"`) {
					names = append(names, n)
				}
			}
			if names == nil {
				names = []string{}
			}
			assert.Equal(t, tc.want, names)
		})
	}
}
