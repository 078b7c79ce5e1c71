package containers

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultRole is the role of a container that no rule matches.
const DefaultRole = "Container"

// RoleRule gives Role to a container whose name or image matches Pattern.
type RoleRule struct {
	Role    string
	Pattern *regexp.Regexp
}

// NewRoleRule compiles pattern, a Go regular expression matched without
// regard to case, into a rule. Configuration builds its rules with it.
func NewRoleRule(role, pattern string) (RoleRule, error) {
	if strings.TrimSpace(role) == "" {
		return RoleRule{}, fmt.Errorf("role rule %q: empty role", pattern)
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		return RoleRule{}, fmt.Errorf("role rule for %q: %w", role, err)
	}
	return RoleRule{Role: role, Pattern: re}, nil
}

func mustRoleRule(role, pattern string) RoleRule {
	r, err := NewRoleRule(role, pattern)
	if err != nil {
		panic(err)
	}
	return r
}

// DefaultRoleRules are the patterns the seed's workflow uses. "db" counts
// only as a word of its own ("db", "app-db", "db1"), so neither "sandbox"
// nor "cmdb" is a database. Each call returns a fresh slice that the caller
// may extend.
func DefaultRoleRules() []RoleRule {
	return []RoleRule{
		mustRoleRule("Reverse Proxy", `caddy|nginx|traefik`),
		mustRoleRule("Database", `(^|[^a-z0-9])db([^a-z]|$)|postgres|mysql|mariadb|redis|mongo`),
		mustRoleRule("Web Application", `webui|frontend`),
	}
}

// RoleOf returns the role of the first rule that matches the container's
// name, else of the first that matches its image, else DefaultRole. The
// name goes first because the operator chose it: "shop-frontend" built on
// an nginx image is the shop's web application, not a reverse proxy.
func RoleOf(name, image string, rules []RoleRule) string {
	for _, subject := range []string{name, roleImage(image)} {
		if subject == "" {
			continue
		}
		for _, r := range rules {
			if r.Pattern != nil && r.Pattern.MatchString(subject) {
				return r.Role
			}
		}
	}
	return DefaultRole
}

// roleImage keeps the part of an image reference that says what it is:
// without a registry host, whose name says nothing of the role, and without
// a digest, whose hex digits could spell "db". An image ID says nothing.
func roleImage(ref string) string {
	if strings.HasPrefix(ref, "sha256:") {
		return ""
	}
	ref, _, _ = strings.Cut(ref, "@")
	if host, rest, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		ref = rest
	}
	return ref
}
