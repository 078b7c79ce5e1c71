package simtest

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
)

// Setups of what real NetBox installations add, made through the REST
// API as an administrator would make them: users with object
// permissions and their tokens, required custom fields, cables, IP
// ranges marked populated.

// Permission is one ObjectPermission of a user UserToken makes.
type Permission struct {
	ObjectTypes []string // "dcim.interface", ...
	Actions     []string // "view", "add", "change", "delete"
	// Constraints restrict the objects: a JSON object of Django lookups
	// ({"device__name": "host1"}), a list of them (ORed), or nil for all.
	Constraints any
}

// AllActions are the four actions of NetBox's permissions.
var AllActions = []string{"view", "add", "change", "delete"}

// SyncObjectTypes are the object types a sync of cmdb-mcp reads or
// writes, with the custom field definitions and the change log it reads.
var SyncObjectTypes = []string{
	"core.objectchange",
	"dcim.device", "dcim.devicerole", "dcim.devicetype", "dcim.interface", "dcim.macaddress",
	"dcim.manufacturer", "dcim.platform", "dcim.site",
	"extras.customfield", "extras.journalentry", "extras.tag",
	"ipam.ipaddress",
	"virtualization.cluster", "virtualization.clustergroup", "virtualization.clustertype",
	"virtualization.virtualmachine",
}

// SyncTypesOf returns the SyncObjectTypes of the given apps
// ("virtualization"); SyncTypesExcept the others.
func SyncTypesOf(apps ...string) []string { return syncTypes(apps, true) }

// SyncTypesExcept returns the SyncObjectTypes outside the given apps.
func SyncTypesExcept(apps ...string) []string { return syncTypes(apps, false) }

func syncTypes(apps []string, in bool) []string {
	var out []string
	for _, t := range SyncObjectTypes {
		app, _, _ := strings.Cut(t, ".")
		if slices.Contains(apps, app) == in {
			out = append(out, t)
		}
	}
	return out
}

// Grant is a permission of the actions on the object types, for every
// object of them.
func Grant(objectTypes []string, actions ...string) Permission {
	return Permission{ObjectTypes: objectTypes, Actions: actions}
}

// UserToken makes a user (not a superuser) with these permissions and a
// write-enabled token, and returns the token's key ("Authorization:
// Token <key>"). Usernames must be unique per server.
func (s *Server) UserToken(t TB, username string, perms ...Permission) string {
	t.Helper()
	return s.userToken(t, username, true, perms)
}

// ReadOnlyUserToken is UserToken with a token whose write_enabled is
// false: every write is refused whatever the permissions.
func (s *Server) ReadOnlyUserToken(t TB, username string, perms ...Permission) string {
	t.Helper()
	return s.userToken(t, username, false, perms)
}

func (s *Server) userToken(t TB, username string, writeEnabled bool, perms []Permission) string {
	t.Helper()
	uid := s.Create(t, "users/users", map[string]any{"username": username, "password": "Sim-Password-0123"})
	for i, p := range perms {
		body := map[string]any{"name": username + " " + string(rune('a'+i)), "object_types": p.ObjectTypes,
			"actions": p.Actions, "users": []int64{uid}}
		if p.Constraints != nil {
			body["constraints"] = p.Constraints
		}
		s.Create(t, "users/permissions", body)
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	s.Create(t, "users/tokens", map[string]any{"user": uid, "key": key, "write_enabled": writeEnabled})
	return key
}

// TokenWithoutVirtualization is a token whose user may do everything a
// sync does except anything with virtualization objects (not even view
// them: their lists answer 403).
func (s *Server) TokenWithoutVirtualization(t TB) string {
	t.Helper()
	return s.UserToken(t, "no-virtualization", Grant(SyncTypesExcept("virtualization"), AllActions...))
}

// TokenViewingVirtualization is a token whose user may do everything a
// sync does, but only view virtualization objects: creating or changing
// one is refused with 403.
func (s *Server) TokenViewingVirtualization(t TB) string {
	t.Helper()
	return s.UserToken(t, "view-virtualization", Grant(SyncTypesExcept("virtualization"), AllActions...),
		Grant(SyncTypesOf("virtualization"), "view"))
}

// RequiredCustomField makes a required text custom field without a
// default on the object types ("dcim.interface") and returns its id:
// from then on NetBox refuses to create such an object without a value
// for it, and to update one that has none.
func (s *Server) RequiredCustomField(t TB, name string, objectTypes ...string) int64 {
	t.Helper()
	return s.Create(t, "extras/custom-fields", map[string]any{"name": name, "type": "text",
		"object_types": objectTypes, "required": true})
}

// Cable connects interface a to interface b and returns the cable's id:
// neither may then become virtual, a bridge or a LAG.
func (s *Server) Cable(t TB, a, b int64) int64 {
	t.Helper()
	end := func(id int64) []any { return []any{map[string]any{"object_type": "dcim.interface", "object_id": id}} }
	return s.Create(t, "dcim/cables", map[string]any{"a_terminations": end(a), "b_terminations": end(b)})
}

// PopulatedRange makes an IP range in the global table marked populated,
// from start to end ("192.0.2.10/24" to "192.0.2.20/24": same mask), and
// returns its id: no IP address with that mask inside it can be created.
func (s *Server) PopulatedRange(t TB, start, end string) int64 {
	t.Helper()
	return s.Create(t, "ipam/ip-ranges", map[string]any{"start_address": start, "end_address": end,
		"mark_populated": true})
}
