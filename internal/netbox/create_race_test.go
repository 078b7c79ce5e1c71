package netbox

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func simClient(t *testing.T, s *simtest.Server) *Client {
	t.Helper()
	c, err := New(Config{URL: s.URL, Token: s.Token})
	require.NoError(t, err)
	return c
}

// TestCreateLostRaceTakesTheWinner: a shared object another client made
// since the lookup is taken as the create's result, with one look-up and no
// error; a slug held under another name stays an error.
func TestCreateLostRaceTakesTheWinner(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, netboxsim.Options{})
	c := simClient(t, s)
	ctx, take := context.Background(), WriteOptions{TakeExisting: true}

	_, err := c.CreatePlatform(context.Background(), PlatformCreate{Name: "Taken", Slug: "taken"}, WriteOptions{})
	require.NoError(t, err)
	_, err = c.CreatePlatform(context.Background(), PlatformCreate{Name: "Taken", Slug: "taken"}, WriteOptions{})
	require.Error(t, err, "without TakeExisting, an existing object is an error, as NetBox says")

	winner := s.Create(t, "dcim/platforms", map[string]any{"name": "Ubuntu 24.04 LTS", "slug": "ubuntu-24-04-lts"})
	s.Sim.ResetRequests()
	p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts"}, take)
	require.NoError(t, err)
	assert.Equal(t, record.Platform{ID: winner, Name: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts"}, p)
	var got []string
	for _, r := range s.Sim.Requests() {
		got = append(got, r.Method+" "+r.Path+" "+http.StatusText(r.Status))
	}
	assert.Equal(t, []string{"POST /api/dcim/platforms/ Bad Request", "GET /api/dcim/platforms/ OK"}, got)

	s.Create(t, "dcim/platforms", map[string]any{"name": "Debian 13", "slug": "debian-13-x"})
	_, err = c.CreatePlatform(ctx, PlatformCreate{Name: "Debian Trixie", Slug: "debian-13-x"}, take)
	require.Error(t, err, "the slug is another platform's: a conflict, not a race")
	assert.True(t, IsKind(err, KindValidation), "%v", err)
	taken := "platform with this slug already exists." // 4.3's unique validator
	if s.AtLeast(4) {
		taken = "Platform slug must be unique." // 4.4's named constraint
	}
	assert.Contains(t, err.Error(), taken)

	// A bulk create refused for one taken role keeps the existing one and
	// sends the others again, in the caller's order.
	db := s.Create(t, "dcim/device-roles", map[string]any{"name": "Database", "slug": "database", "vm_role": true})
	roles, err := c.CreateDeviceRoles(ctx, []DeviceRoleCreate{
		{Name: "Container", Slug: "container", Color: "607d8b", VMRole: true},
		{Name: "Database", Slug: "database", Color: "aa1409", VMRole: true},
		{Name: "Web Application", Slug: "web-application", Color: "2196f3", VMRole: true},
	}, take)
	require.NoError(t, err)
	require.Len(t, roles, 3)
	assert.Equal(t, []string{"Container", "Database", "Web Application"}, []string{roles[0].Name, roles[1].Name, roles[2].Name})
	assert.Equal(t, db, roles[1].ID)
	assert.Equal(t, 3, countOf(deviceRolesPath)(t, s))
	assert.Equal(t, 3, countOf(platformsPath)(t, s), "Taken, the winner, Debian 13: none twice")
}

// TestConcurrentCreatesOfSharedObjects: many clients create the same
// shared objects at once, as a fleet's first sync does. Every one gets
// the same objects and no error, and each exists once.
func TestConcurrentCreatesOfSharedObjects(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, netboxsim.Options{Latency: 5 * time.Millisecond})
	const clients = 20
	type got struct {
		platform, ctype int64
		roles           []int64
		err             error
	}
	results := make([]got, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		c := simClient(t, s)
		wg.Go(func() {
			<-start
			ctx, take := context.Background(), WriteOptions{TakeExisting: true}
			r := &results[i]
			p, err := c.CreatePlatform(ctx, PlatformCreate{Name: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts"}, take)
			if err != nil {
				r.err = err
				return
			}
			ct, err := c.CreateClusterType(ctx, ClusterTypeCreate{Name: "Docker Compose", Slug: "docker-compose"}, take)
			if err != nil {
				r.err = err
				return
			}
			roles, err := c.CreateDeviceRoles(ctx, []DeviceRoleCreate{
				{Name: "Container", Slug: "container", Color: "607d8b", VMRole: true},
				{Name: "Database", Slug: "database", Color: "aa1409", VMRole: true},
			}, take)
			if err != nil {
				r.err = err
				return
			}
			r.platform, r.ctype = p.ID, ct.ID
			for _, role := range roles {
				r.roles = append(r.roles, role.ID)
			}
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		require.NoError(t, r.err, "client %d", i)
		assert.Equal(t, results[0].platform, r.platform)
		assert.Equal(t, results[0].ctype, r.ctype)
		assert.Equal(t, results[0].roles, r.roles)
	}
	assert.Equal(t, 1, countOf(platformsPath)(t, s))
	assert.Equal(t, 1, countOf(clusterTypesPath)(t, s))
	assert.Equal(t, 2, countOf(deviceRolesPath)(t, s))
}
