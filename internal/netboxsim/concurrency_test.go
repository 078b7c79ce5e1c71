package netboxsim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// TestConcurrentCreatesOfOneSlug: a fleet's hosts create the same shared
// objects at the same moment. NetBox's unique constraints let one create
// win and refuse the others with a 400 naming the field, whatever the
// interleaving; the simulator must do the same under concurrency (its
// write lock spans validation and the insert, as the database's
// constraint does), or a test of the race would pass against it and fail
// against NetBox.
func TestConcurrentCreatesOfOneSlug(t *testing.T) {
	t.Parallel()
	s := simtest.Start(t, netboxsim.Options{Version: "4.3", Latency: 5 * time.Millisecond})
	tests := []struct {
		route string
		body  any
		// want is a message every refused create carries.
		want string
	}{
		{"dcim/platforms", map[string]any{"name": "Ubuntu 24.04 LTS", "slug": "ubuntu-24-04-lts"}, "platform with this slug already exists."},
		{"virtualization/cluster-types", map[string]any{"name": "Docker Compose", "slug": "docker-compose"}, "cluster type with this slug already exists."},
		{"dcim/device-roles", []map[string]any{
			{"name": "Database", "slug": "database", "vm_role": true},
			{"name": "Container", "slug": "container", "vm_role": true},
		}, "already exists."},
	}
	const racers = 20
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			statuses := make([]int, racers)
			bodies := make([][]byte, racers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range racers {
				wg.Go(func() {
					<-start
					statuses[i], bodies[i] = s.Do(t, http.MethodPost, "/api/"+tt.route+"/", tt.body)
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for i, st := range statuses {
				switch st {
				case http.StatusCreated:
					won++
				case http.StatusBadRequest:
					assert.Contains(t, string(bodies[i]), tt.want)
				default:
					t.Errorf("racer %d: %d %s", i, st, bodies[i])
				}
			}
			assert.Equal(t, 1, won, "exactly one create wins")

			var got []json.RawMessage
			s.List(t, tt.route, url.Values{}, &got)
			want := 1
			if list, ok := tt.body.([]map[string]any); ok {
				want = len(list)
			}
			require.Len(t, got, want, "each object exists once")
		})
	}
}
