package netboxsim_test

// The simtest setups of what real installations add.

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

func TestSimtestSetups(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	ct := create(t, s, "virtualization/cluster-types", map[string]any{"name": "Docker", "slug": "docker"})
	c := create(t, s, "virtualization/clusters", map[string]any{"name": "c1", "type": ct})
	vm := create(t, s, "virtualization/virtual-machines", map[string]any{"name": "web", "cluster": c})
	noVirt := s.TokenWithoutVirtualization(t)
	viewVirt := s.TokenViewingVirtualization(t)
	readOnly := s.ReadOnlyUserToken(t, "reader", simtest.Grant(simtest.SyncObjectTypes, simtest.AllActions...))
	ifaceOnly := s.UserToken(t, "host1-interfaces", simtest.Permission{ObjectTypes: []string{"dcim.interface"},
		Actions: simtest.AllActions, Constraints: map[string]any{"device__name": "host1"}})

	tests := []struct {
		name         string
		token        string
		method, path string
		body         any
		status       int
	}{
		{"no virtualization: VMs are 403", noVirt, "GET", "/api/virtualization/virtual-machines/", nil, 403},
		{"no virtualization: clusters are 403", noVirt, "GET", "/api/virtualization/clusters/", nil, 403},
		{"no virtualization: devices are fine", noVirt, "GET", "/api/dcim/devices/", nil, 200},
		{"no virtualization: interfaces are written", noVirt, "POST", "/api/dcim/interfaces/", iface(n.dev1, "eth7", "1000base-t"), 201},
		{"no virtualization: the change log", noVirt, "GET", "/api/core/object-changes/", nil, 200},
		{"no virtualization: custom fields are read", noVirt, "GET", "/api/extras/custom-fields/", nil, 200},
		{"viewing virtualization: VMs are read", viewVirt, "GET", "/api/virtualization/virtual-machines/", nil, 200},
		{"viewing virtualization: not changed", viewVirt, "PATCH", fmt.Sprintf("/api/virtualization/virtual-machines/%d/", vm),
			map[string]any{"vcpus": 2}, 403},
		{"viewing virtualization: not created", viewVirt, "POST", "/api/virtualization/clusters/",
			map[string]any{"name": "c2", "type": ct}, 403},
		{"viewing virtualization: devices are written", viewVirt, "PATCH", fmt.Sprintf("/api/dcim/devices/%d/", n.dev1),
			map[string]any{"serial": "S1"}, 200},
		{"read-only: reads", readOnly, "GET", "/api/dcim/devices/", nil, 200},
		{"read-only: no writes", readOnly, "PATCH", fmt.Sprintf("/api/dcim/devices/%d/", n.dev1), map[string]any{"serial": "S2"}, 403},
		{"constrained: host1's interfaces", ifaceOnly, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth0), map[string]any{"mtu": 1400}, 200},
		{"constrained: not host2's", ifaceOnly, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth9), map[string]any{"mtu": 1400}, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.DoToken(t, tc.token, tc.method, tc.path, tc.body)
			assert.Equal(t, tc.status, status, "%s", data)
		})
	}

	t.Run("a required custom field", func(t *testing.T) {
		s.RequiredCustomField(t, "owner", "dcim.interface")
		netCheck(t, s, "POST", "/api/dcim/interfaces/", iface(n.dev1, "eth8", "1000base-t"), 400,
			`{"__all__": ["Invalid value for custom field 'owner': Required field cannot be empty."]}`)
		netCheck(t, s, "POST", "/api/dcim/interfaces/", merge(iface(n.dev1, "eth8", "1000base-t"),
			map[string]any{"custom_fields": map[string]any{"owner": "infra"}}), 201, "")
	})
	t.Run("a cable", func(t *testing.T) {
		s.Cable(t, n.eth1, n.eth9)
		netCheck(t, s, "PATCH", fmt.Sprintf("/api/dcim/interfaces/%d/", n.eth1),
			map[string]any{"type": "lag", "custom_fields": map[string]any{"owner": "infra"}}, 400,
			`{"type": ["Link Aggregation Group (LAG) interfaces cannot have a cable attached."]}`)
	})
	t.Run("a populated range", func(t *testing.T) {
		s.PopulatedRange(t, "198.51.100.10/24", "198.51.100.20/24")
		status, data := s.Do(t, "POST", "/api/ipam/ip-addresses/", ipOn("198.51.100.15/24", n.eth0))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"address": ["Cannot create IP address 198.51.100.15/24 inside range 198.51.100.10-20/24."]}`, string(data))
	})
}
