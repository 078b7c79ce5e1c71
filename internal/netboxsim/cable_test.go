package netboxsim_test

// Contract tests of cables between interfaces (NetBox 4.3.7:
// dcim/models/cables.py, dcim/models/device_components.py Interface.clean,
// dcim/api/serializers_/cables.py).

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func term(id int64) map[string]any {
	return map[string]any{"object_type": "dcim.interface", "object_id": id}
}

func cable(a, b int64) map[string]any {
	return map[string]any{"a_terminations": []any{term(a)}, "b_terminations": []any{term(b)}}
}

func TestCables(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	br := create(t, s, "dcim/interfaces", iface(n.dev1, "br0", "bridge"))
	wifi := create(t, s, "dcim/interfaces", iface(n.dev2, "wlan0", "ieee802.11ax"))
	eth2 := create(t, s, "dcim/interfaces", iface(n.dev2, "eth2", "1000base-t"))
	c := create(t, s, "dcim/cables", merge(cable(n.eth0, n.eth9), map[string]any{"label": "patch-1"}))

	cases := []postCase{
		{"both ends needed", "dcim/cables", map[string]any{"a_terminations": []any{term(n.eth1)}},
			`{"__all__": ["Must define A and B terminations when creating a new cable."]}`},
		{"an interface takes one cable", "dcim/cables", cable(n.eth1, n.eth0),
			fmt.Sprintf(`{"__all__": ["Duplicate termination found for dcim.interface %d: cable %d"]}`, n.eth0, c)},
		{"not to itself", "dcim/cables", cable(n.eth1, n.eth1),
			`{"__all__": ["A and B terminations cannot connect to the same object."]}`},
		{"virtual types cannot be cabled", "dcim/cables", cable(n.eth1, br),
			`{"__all__": ["Cables cannot be terminated to Bridge interfaces"]}`},
		{"wireless types cannot be cabled", "dcim/cables", cable(n.eth1, wifi),
			`{"__all__": ["Cables cannot be terminated to IEEE 802.11ax interfaces"]}`},
		{"a length needs a unit", "dcim/cables", merge(cable(n.eth1, eth2), map[string]any{"length": 3}),
			`{"__all__": ["Must specify a unit when setting a cable length"]}`},
		{"terminations are objects", "dcim/cables", map[string]any{"a_terminations": []any{7}, "b_terminations": []any{map[string]any{"object_type": "dcim.interface"}}},
			`{"a_terminations": [{"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}], "b_terminations": [{"object_id": ["This field is required."]}]}`},
		{"bad content type", "dcim/cables", map[string]any{"a_terminations": []any{map[string]any{"object_type": "dcim.nothing", "object_id": 1}}},
			`{"a_terminations": [{"object_type": ["Invalid content type: dcim.nothing"]}]}`},
	}
	runPosts(t, s, cases)

	t.Run("a missing interface is a server error", func(t *testing.T) {
		// GenericObjectSerializer's objects.get() raises DoesNotExist,
		// which NetBox does not catch.
		status, data := s.Do(t, "POST", "/api/dcim/cables/", cable(n.eth1, 999))
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Contains(t, string(data), `"exception":"DoesNotExist"`)
	})

	t.Run("the cabled interface", func(t *testing.T) {
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0), nil, http.StatusOK)
		require.NotNil(t, got["cable"])
		assert.Equal(t, float64(c), got["cable"].(map[string]any)["id"])
		assert.Equal(t, "patch-1", got["cable"].(map[string]any)["display"])
		assert.Equal(t, "A", got["cable_end"])
		assert.Equal(t, "dcim.interface", got["link_peers_type"])
		require.Len(t, got["link_peers"], 1)
		assert.Equal(t, float64(n.eth9), got["link_peers"].([]any)[0].(map[string]any)["id"])
		assert.Equal(t, true, got["_occupied"])
		assert.Equal(t, true, got["connected_endpoints_reachable"])
		assert.Equal(t, "dcim.interface", got["connected_endpoints_type"])
		peer := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth9), nil, http.StatusOK)
		assert.Equal(t, "B", peer["cable_end"])
		free := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth1), nil, http.StatusOK)
		assert.Nil(t, free["cable"])
		assert.Nil(t, free["connected_endpoints_reachable"])
	})
	t.Run("the cable", func(t *testing.T) {
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/dcim/cables/%d/", c), nil, http.StatusOK)
		a := got["a_terminations"].([]any)
		require.Len(t, a, 1)
		assert.Equal(t, "dcim.interface", a[0].(map[string]any)["object_type"])
		assert.Equal(t, float64(n.eth0), a[0].(map[string]any)["object_id"])
		assert.Equal(t, "eth0", a[0].(map[string]any)["object"].(map[string]any)["name"])
		assert.Equal(t, map[string]any{"value": "connected", "label": "Connected"}, got["status"])
	})

	// Interface.clean: a cabled interface cannot become virtual, a bridge
	// or a LAG, nor be marked connected.
	rules := []struct {
		name string
		body map[string]any
		want string
	}{
		{"to virtual", map[string]any{"type": "virtual"}, `{"type": ["Virtual interfaces cannot have a cable attached."]}`},
		{"to bridge", map[string]any{"type": "bridge"}, `{"type": ["Bridge interfaces cannot have a cable attached."]}`},
		{"to LAG", map[string]any{"type": "lag"}, `{"type": ["Link Aggregation Group (LAG) interfaces cannot have a cable attached."]}`},
		{"marked connected", map[string]any{"mark_connected": true}, `{"mark_connected": ["Cannot mark as connected with a cable attached."]}`},
		{"another physical type", map[string]any{"type": "10gbase-t"}, ""},
		{"any other change", map[string]any{"description": "uplink"}, ""},
	}
	for _, tc := range rules {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0), tc.body)
			if tc.want == "" {
				assert.Equal(t, http.StatusOK, status, "%s", data)
				return
			}
			assert.Equal(t, http.StatusBadRequest, status)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
	t.Run("bulk: the cabled interface fails the request", func(t *testing.T) {
		status, data := s.Do(t, "PATCH", "/api/dcim/interfaces/", []map[string]any{
			{"id": n.eth1, "type": "virtual"}, {"id": n.eth0, "type": "virtual"}})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"type": ["Virtual interfaces cannot have a cable attached."]}`, string(data))
	})

	filters := []struct {
		path string
		want int
	}{
		{"/api/dcim/interfaces/?cabled=true", 2},
		{fmt.Sprintf("/api/dcim/interfaces/?cabled=false&device_id=%d", n.dev1), 2},
		{"/api/dcim/interfaces/?occupied=true", 2},
		{fmt.Sprintf("/api/dcim/interfaces/?cable_id=%d", c), 2},
		{fmt.Sprintf("/api/dcim/cables/?interface_id=%d", n.eth9), 1},
		{fmt.Sprintf("/api/dcim/cables/?termination_a_id=%d", n.eth9), 0},
		{fmt.Sprintf("/api/dcim/cables/?device_id=%d", n.dev2), 1},
		{"/api/dcim/cables/?device=host1", 1},
		{"/api/dcim/cables/?q=patch", 1},
	}
	for _, tc := range filters {
		t.Run(tc.path, func(t *testing.T) { assert.Equal(t, tc.want, list(t, s, tc.path).Count) })
	}

	t.Run("deleting the cable frees the interface", func(t *testing.T) {
		mustDo(t, s, "DELETE", fmt.Sprintf("/api/dcim/cables/%d/", c), nil, http.StatusNoContent)
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0), map[string]any{"type": "virtual"}, 200, "")
	})
}
