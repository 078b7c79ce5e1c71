package containers

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoleOfDefaults(t *testing.T) {
	tests := []struct {
		name, image, want string
	}{
		{"caddy", "caddy:2", "Reverse Proxy"},
		{"proxy", "nginx:1.27-alpine", "Reverse Proxy"},
		{"edge", "traefik:v3.1", "Reverse Proxy"},
		{"NGINX-Edge", "", "Reverse Proxy"},
		{"db", "postgres:16", "Database"},
		{"app-db", "custom/app", "Database"},
		{"app_db_1", "custom/app", "Database"},
		{"db2", "custom/app", "Database"},
		{"app-db-1", "custom/app", "Database"},
		{"metrics", "influxdb:2", DefaultRole}, // not in the seed's list: configure a rule for it
		{"cache", "redis:7", "Database"},
		{"store", "bitnami/postgresql:16", "Database"},
		{"mongo", "mongo:7", "Database"},
		{"sql", "mysql:8", "Database"},
		{"sql", "mariadb:11", "Database"},
		{"open-webui", "ghcr.io/open-webui/open-webui:main", "Web Application"},
		{"shop-frontend", "nginx:alpine", "Web Application"}, // the name wins over the image
		{"media_lidarr", "linuxserver/lidarr", DefaultRole},
		{"sandbox", "busybox", DefaultRole},     // "db" inside a word is not a database
		{"feedback", "busybox", DefaultRole},    // likewise
		{"cmdb-mcp", "cmdb-mcp:1", DefaultRole}, // "cmdb" is not "db"
		{"dbx", "busybox", DefaultRole},
		{"registry", "db.example.com:5000/tools/worker:1", DefaultRole}, // registry host says nothing
		{"worker", "busybox@sha256:db2c0ffee0000000000000000000000000000000000000000000000000000000", DefaultRole}, // nor a digest
		{"worker", "sha256:db00000000000000000000000000000000000000000000000000000000000000", DefaultRole},         // nor an image ID
		{"", "", DefaultRole},
	}
	rules := DefaultRoleRules()
	for _, tt := range tests {
		t.Run(tt.name+"|"+tt.image, func(t *testing.T) {
			assert.Equal(t, tt.want, RoleOf(tt.name, tt.image, rules))
		})
	}
}

func TestRoleRulesConfigurable(t *testing.T) {
	media, err := NewRoleRule("Media Management", `lidarr|sonarr|radarr|jellyfin|plex`)
	require.NoError(t, err)
	rules := append([]RoleRule{media}, DefaultRoleRules()...)

	assert.Equal(t, "Media Management", RoleOf("media_lidarr", "linuxserver/lidarr", rules))
	assert.Equal(t, "Media Management", RoleOf("tv", "LinuxServer/Sonarr", rules), "matched without regard to case")
	assert.Equal(t, "Database", RoleOf("db", "postgres", rules))

	// Rules come first in the order given.
	proxyFirst := []RoleRule{mustRoleRule("Edge", "proxy"), mustRoleRule("Other", "proxy")}
	assert.Equal(t, "Edge", RoleOf("proxy", "", proxyFirst))

	// No rules: everything is a plain container.
	assert.Equal(t, DefaultRole, RoleOf("db", "postgres", []RoleRule{}))
	// Discover uses the rules it is given.
	f := &fakeAPI{}
	f.add("c1", "media_lidarr", "linuxserver/lidarr", "running", nil, container.Resources{})
	res := Discover(t.Context(), f, Options{Roles: rules})
	require.Len(t, res.Containers, 1)
	assert.Equal(t, "Media Management", res.Containers[0].Role)
}

func TestNewRoleRuleRejects(t *testing.T) {
	_, err := NewRoleRule("Database", `postgres(`)
	assert.ErrorContains(t, err, "Database")
	_, err = NewRoleRule(" ", `x`)
	assert.ErrorContains(t, err, "empty role")
}

func TestDefaultRoleRulesFresh(t *testing.T) {
	a := DefaultRoleRules()
	a[0].Role = "changed"
	assert.Equal(t, "Reverse Proxy", DefaultRoleRules()[0].Role)
}
