package netboxsim_test

// Contract tests of the virtualization endpoints (cluster types, cluster
// groups, clusters, virtual machines) and the device's cluster. Every
// exchange goes through simtest, so it is validated against NetBox 4.3's
// OpenAPI document; the expectations are NetBox 4.3.7's behaviour read from
// netbox/virtualization/ and dcim/models/devices.py.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

const (
	clusterTypes  = "virtualization/cluster-types"
	clusterGroups = "virtualization/cluster-groups"
	clusters      = "virtualization/clusters"
	vms           = "virtualization/virtual-machines"
)

// virtFixture is a seeded server with a cluster type and two cluster groups.
type virtFixture struct {
	s              *simtest.Server
	f, g           simtest.Fixture // two sites, with a device type and role each
	ctype          int64
	group1, group2 int64
}

func seedVirt(t *testing.T) virtFixture {
	t.Helper()
	s := start(t)
	v := virtFixture{s: s, f: s.Seed(t), g: s.Seed(t)}
	v.ctype = create(t, s, clusterTypes, map[string]any{"name": "KVM", "slug": "kvm"})
	v.group1 = create(t, s, clusterGroups, map[string]any{"name": "Prod", "slug": "prod"})
	v.group2 = create(t, s, clusterGroups, map[string]any{"name": "Lab", "slug": "lab"})
	return v
}

func (v virtFixture) cluster(name string, extra map[string]any) map[string]any {
	return merge(map[string]any{"name": name, "type": v.ctype}, extra)
}

func siteScope(site int64) map[string]any {
	return map[string]any{"scope_type": "dcim.site", "scope_id": site}
}

// postCase is one POST and the 400 body it must get, or "" for a 201.
type postCase struct {
	name  string
	route string
	body  any
	want  string
}

func runPosts(t *testing.T, s *simtest.Server, cases []postCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, http.MethodPost, "/api/"+tc.route+"/", tc.body)
			if tc.want == "" {
				assert.Equal(t, http.StatusCreated, status, "%s", data)
				return
			}
			assert.Equal(t, http.StatusBadRequest, status, "%s", data)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestVirtClusterTypesAndGroups(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	slugMsg := `Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.`
	runPosts(t, s, []postCase{
		{"type needs name and slug", clusterTypes, map[string]any{},
			`{"name": ["This field is required."], "slug": ["This field is required."]}`},
		{"group needs name and slug", clusterGroups, map[string]any{"name": "G"},
			`{"slug": ["This field is required."]}`},
		{"type bad slug", clusterTypes, map[string]any{"name": "T", "slug": "a b"}, `{"slug": ["` + slugMsg + `"]}`},
		{"type name and slug unique", clusterTypes, map[string]any{"name": "KVM", "slug": "kvm"},
			`{"name": ["cluster type with this name already exists."], "slug": ["cluster type with this slug already exists."]}`},
		{"group slug unique", clusterGroups, map[string]any{"name": "Other", "slug": "prod"},
			`{"slug": ["cluster group with this slug already exists."]}`},
		{"group name unique, case-sensitive", clusterGroups, map[string]any{"name": "prod", "slug": "prod-2"}, ""},
		{"type with description", clusterTypes, map[string]any{"name": "VMware", "slug": "vmware", "description": "ESXi"}, ""},
	})

	create(t, s, clusters, v.cluster("c1", map[string]any{"group": v.group1}))
	create(t, s, clusters, v.cluster("c2", map[string]any{"group": v.group1}))
	tests := []struct {
		path string
		want []string // names
	}{
		{"/api/" + clusterTypes + "/", []string{"KVM", "VMware"}},
		{"/api/" + clusterTypes + "/?name=KVM", []string{"KVM"}},
		{"/api/" + clusterTypes + "/?name=kvm", nil},
		{"/api/" + clusterTypes + "/?slug=vmware&slug=kvm", []string{"KVM", "VMware"}},
		{"/api/" + clusterTypes + fmt.Sprintf("/?id=%d", v.ctype), []string{"KVM"}},
		{"/api/" + clusterTypes + "/?q=esx", []string{"VMware"}},
		{"/api/" + clusterGroups + "/", []string{"Lab", "prod", "Prod"}},
		{"/api/" + clusterGroups + "/?slug=lab", []string{"Lab"}},
		{"/api/" + clusterGroups + "/?name__ic=PRO", []string{"prod", "Prod"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			var got []string
			for _, r := range list(t, s, tc.path).Results {
				got = append(got, r["name"].(string))
			}
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("counts and brief", func(t *testing.T) {
		ct := mustDo(t, s, "GET", simtest.Path(clusterTypes, v.ctype), nil, http.StatusOK)
		assert.Equal(t, float64(2), ct["cluster_count"])
		g := mustDo(t, s, "GET", simtest.Path(clusterGroups, v.group1), nil, http.StatusOK)
		assert.Equal(t, float64(2), g["cluster_count"])
		assert.Equal(t, []string{"cluster_count", "created", "custom_fields", "description", "display", "display_url",
			"id", "last_updated", "name", "slug", "tags", "url"}, keysOf(g))
		brief := list(t, s, "/api/"+clusterGroups+"/?brief=1&slug=prod").Results[0]
		assert.Equal(t, []string{"cluster_count", "description", "display", "id", "name", "slug", "url"}, keysOf(brief))
		// A create response carries no annotated counts.
		created := mustDo(t, s, "POST", "/api/"+clusterTypes+"/", map[string]any{"name": "Xen", "slug": "xen"}, http.StatusCreated)
		assert.NotContains(t, created, "cluster_count")
	})
	t.Run("in-use types and groups are protected", func(t *testing.T) {
		status, data := s.Do(t, "DELETE", simtest.Path(clusterGroups, v.group1), nil)
		assert.Equal(t, http.StatusConflict, status)
		assert.Contains(t, string(data), "Unable to delete object. 2 dependent objects were found: c1 (")
		status, _ = s.Do(t, "DELETE", simtest.Path(clusterTypes, v.ctype), nil)
		assert.Equal(t, http.StatusConflict, status)
		mustDo(t, s, "DELETE", simtest.Path(clusterGroups, v.group2), nil, http.StatusNoContent)
	})
}

func TestVirtClusterRules(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	runPosts(t, v.s, []postCase{
		{"name and type required", clusters, map[string]any{},
			`{"name": ["This field is required."], "type": ["This field is required."]}`},
		{"media in group 1", clusters, v.cluster("media", map[string]any{"group": v.group1}), ""},
		{"media in group 2", clusters, v.cluster("media", map[string]any{"group": v.group2}), ""},
		{"media again in group 1", clusters, v.cluster("media", map[string]any{"group": v.group1}),
			`{"__all__": ["Cluster with this Group and Name already exists."]}`},
		{"names are case-sensitive", clusters, v.cluster("MEDIA", map[string]any{"group": v.group1}), ""},
		{"media without group", clusters, v.cluster("media", nil), ""},
		{"media without group twice (NULLs are distinct)", clusters, v.cluster("media", nil), ""},
		{"site-scoped", clusters, v.cluster("web", siteScope(v.f.SiteID)), ""},
		{"same name in the same site", clusters, v.cluster("web", siteScope(v.f.SiteID)),
			`{"__all__": ["Cluster with this  site and Name already exists."]}`},
		{"same name in another site", clusters, v.cluster("web", siteScope(v.g.SiteID)), ""},
		{"scope type without id", clusters, v.cluster("x", map[string]any{"scope_type": "dcim.site"}),
			`{"scope": ["Please select a site."]}`},
		{"scope type not a location type", clusters, v.cluster("x", map[string]any{"scope_type": "dcim.device", "scope_id": 1}),
			`{"scope_type": ["Invalid content type: dcim.device"]}`},
		{"scope type malformed", clusters, v.cluster("x", map[string]any{"scope_type": "site", "scope_id": 1}),
			`{"scope_type": ["Invalid value. Specify a content type as '<app_label>.<model_name>'."]}`},
		// NetBox 4.3 answers these two with a 500 (save() dereferences the
		// missing scope; rendering needs a scope type); the simulator refuses.
		{"scope site missing", clusters, v.cluster("x", siteScope(99)),
			`{"scope": ["Related object not found using the provided numeric ID: 99"]}`},
		{"scope id without type", clusters, v.cluster("x", map[string]any{"scope_id": v.f.SiteID}),
			`{"scope": ["A scope_id needs a scope_type."]}`},
		{"bad status", clusters, v.cluster("x", map[string]any{"status": "staged"}),
			`{"status": ["staged is not a valid choice."]}`},
		{"bad type", clusters, map[string]any{"name": "x", "type": 99},
			`{"type": ["Related object not found using the provided numeric ID: 99"]}`},
		{"type by slug", clusters, map[string]any{"name": "by-slug", "type": map[string]any{"slug": "kvm"}}, ""},
		{"bad group", clusters, v.cluster("x", map[string]any{"group": 99}),
			`{"group": ["Related object not found using the provided numeric ID: 99"]}`},
		{"tenant is a stub", clusters, v.cluster("x", map[string]any{"tenant": 1}),
			`{"tenant": ["Related object not found using the provided numeric ID: 1"]}`},
	})

	t.Run("representation", func(t *testing.T) {
		obj := mustDo(t, v.s, "POST", "/api/"+clusters+"/", v.cluster("repr", merge(siteScope(v.g.SiteID),
			map[string]any{"group": v.group2, "status": "staging", "description": "d"})), http.StatusCreated)
		assert.Equal(t, map[string]any{"value": "staging", "label": "Staging"}, obj["status"])
		assert.Equal(t, "repr", obj["display"])
		assert.Equal(t, "dcim.site", obj["scope_type"])
		assert.Equal(t, float64(v.g.SiteID), obj["scope_id"])
		assert.Equal(t, "Site 2", obj["scope"].(map[string]any)["name"])
		assert.Equal(t, "Lab", obj["group"].(map[string]any)["name"])
		// Nested objects are brief and carry no annotated counts.
		assert.Equal(t, []string{"description", "display", "id", "name", "slug", "url"},
			keysOf(obj["type"].(map[string]any)))
		// Nor does a created object: NetBox's create response has no
		// annotations, so no counts and no allocated_* sums.
		for _, k := range []string{"device_count", "virtualmachine_count", "allocated_vcpus"} {
			assert.NotContains(t, obj, k)
		}
		got := mustDo(t, v.s, "GET", fmt.Sprintf("/api/%s/%v/", clusters, obj["id"]), nil, http.StatusOK)
		assert.Equal(t, float64(0), got["device_count"])
		assert.Equal(t, float64(0), got["virtualmachine_count"])
		// Sum() over no VMs is null.
		for _, k := range []string{"allocated_vcpus", "allocated_memory", "allocated_disk"} {
			assert.Contains(t, got, k)
			assert.Nil(t, got[k], k)
		}
		brief := list(t, v.s, "/api/"+clusters+"/?brief=1&name=repr").Results[0]
		assert.Equal(t, []string{"description", "display", "id", "name", "url", "virtualmachine_count"}, keysOf(brief))
	})

	t.Run("PUT resets group and scope, PATCH keeps them", func(t *testing.T) {
		id := create(t, v.s, clusters, v.cluster("put", merge(siteScope(v.f.SiteID), map[string]any{"group": v.group1})))
		got := mustDo(t, v.s, "PATCH", simtest.Path(clusters, id), map[string]any{"description": "x"}, http.StatusOK)
		assert.NotNil(t, got["group"])
		assert.Equal(t, "dcim.site", got["scope_type"])
		got = mustDo(t, v.s, "PUT", simtest.Path(clusters, id), v.cluster("put", nil), http.StatusOK)
		assert.Nil(t, got["group"])
		assert.Nil(t, got["scope_type"])
		assert.Nil(t, got["scope_id"])
		assert.Nil(t, got["scope"])
		assert.Equal(t, "x", got["description"], "a PUT keeps fields without a serializer default")
	})

	t.Run("renaming into a clash", func(t *testing.T) {
		id := create(t, v.s, clusters, v.cluster("other", map[string]any{"group": v.group2}))
		status, data := v.s.Do(t, "PATCH", simtest.Path(clusters, id), map[string]any{"name": "media"})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"__all__": ["Cluster with this Group and Name already exists."]}`, string(data))
	})
}

func TestVirtClusterFilters(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	xen := create(t, s, clusterTypes, map[string]any{"name": "Xen", "slug": "xen"})
	a := create(t, s, clusters, v.cluster("a", map[string]any{"group": v.group1}))
	b := create(t, s, clusters, v.cluster("b", merge(siteScope(v.f.SiteID), map[string]any{"group": v.group2, "status": "planned"})))
	c := create(t, s, clusters, map[string]any{"name": "c", "type": xen, "scope_type": "dcim.site", "scope_id": v.g.SiteID})
	c10 := create(t, s, clusters, v.cluster("c10", nil))
	c9 := create(t, s, clusters, v.cluster("c9", nil))
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{a, b, c, c9, c10}}, // natural ordering of names
		{fmt.Sprintf("?id=%d&id=%d", a, c), []int64{a, c}},
		{"?name=b", []int64{b}},
		{"?name=B", nil},
		{"?name__ic=C", []int64{c, c9, c10}},
		{fmt.Sprintf("?group_id=%d", v.group1), []int64{a}},
		{fmt.Sprintf("?group_id=%d&group_id=%d", v.group1, v.group2), []int64{a, b}},
		{"?group_id=null", []int64{c, c9, c10}},
		{"?group=lab", []int64{b}},
		{fmt.Sprintf("?type_id=%d", xen), []int64{c}},
		{"?type=kvm", []int64{a, b, c9, c10}},
		{fmt.Sprintf("?site_id=%d", v.f.SiteID), []int64{b}},
		{fmt.Sprintf("?site_id=%d&site_id=%d", v.f.SiteID, v.g.SiteID), []int64{b, c}},
		{"?site=site-2", []int64{c}},
		{"?scope_type=dcim.site", []int64{b, c}},
		{"?status=planned", []int64{b}},
		{"?q=c1", []int64{c10}},
		{"?unknown=1", []int64{a, b, c, c9, c10}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = []int64{}
			}
			assert.Equal(t, want, ids(list(t, s, "/api/"+clusters+"/"+tc.query)))
		})
	}
	bad := []struct{ query, want string }{
		{"?group_id=99", `{"group_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?group_id=x", `{"group_id": ["“x” is not a valid value."]}`},
		{"?type_id=99", `{"type_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?group=nope", `{"group": ["Select a valid choice. nope is not one of the available choices."]}`},
		{"?type=nope", `{"type": ["Select a valid choice. nope is not one of the available choices."]}`},
		{"?site_id=99", `{"site_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?status=staged", `{"status": ["Select a valid choice. staged is not one of the available choices."]}`},
	}
	for _, tc := range bad {
		t.Run(tc.query, func(t *testing.T) {
			status, data := s.Do(t, "GET", "/api/"+clusters+"/"+tc.query, nil)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

func TestVirtMachineRules(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	c1 := create(t, s, clusters, v.cluster("c1", siteScope(v.f.SiteID)))
	c2 := create(t, s, clusters, v.cluster("c2", nil))
	host1 := create(t, s, "dcim/devices", merge(device(v.f, "host1"), map[string]any{"cluster": c1}))
	host2 := create(t, s, "dcim/devices", device(v.f, "host2"))
	noVMRole := create(t, s, "dcim/device-roles", map[string]any{"name": "Switch", "slug": "switch", "vm_role": false})
	vm := func(name string, extra map[string]any) map[string]any {
		return merge(map[string]any{"name": name}, extra)
	}
	runPosts(t, s, []postCase{
		{"name required", vms, map[string]any{"cluster": c1}, `{"name": ["This field is required."]}`},
		{"needs a site or a cluster", vms, vm("web1", nil),
			`{"cluster": ["A virtual machine must be assigned to a site and/or cluster."]}`},
		{"site only", vms, vm("web1", map[string]any{"site": v.f.SiteID}), ""},
		{"site only, same name (no cluster, no constraint)", vms, vm("web1", map[string]any{"site": v.f.SiteID}), ""},
		{"cluster only", vms, vm("web1", map[string]any{"cluster": c1}), ""},
		{"same name in the cluster, other case", vms, vm("WEB1", map[string]any{"cluster": c1}),
			`{"__all__": ["Virtual machine name must be unique per cluster."]}`},
		{"same name in another cluster", vms, vm("web1", map[string]any{"cluster": c2}), ""},
		{"cluster of another site", vms, vm("x", map[string]any{"cluster": c1, "site": v.g.SiteID}),
			`{"cluster": ["The selected cluster (c1) is not assigned to this site (Site 2)."]}`},
		{"unscoped cluster in any site", vms, vm("x", map[string]any{"cluster": c2, "site": v.g.SiteID}), ""},
		{"device not in the cluster", vms, vm("y", map[string]any{"cluster": c1, "device": host2}),
			`{"device": ["The selected device (host2) is not assigned to this cluster (c1)."]}`},
		{"device of another cluster", vms, vm("y", map[string]any{"cluster": c2, "device": host1}),
			`{"device": ["The selected device (host1) is not assigned to this cluster (c2)."]}`},
		{"device without a cluster", vms, vm("y", map[string]any{"site": v.f.SiteID, "device": host1}),
			`{"device": ["Must specify a cluster when assigning a host device."]}`},
		{"device in the cluster", vms, vm("y", map[string]any{"cluster": c1, "device": host1}), ""},
		{"bad status", vms, vm("z", map[string]any{"cluster": c1, "status": "staging"}),
			`{"status": ["staging is not a valid choice."]}`},
		{"paused", vms, vm("z", map[string]any{"cluster": c1, "status": "paused"}), ""},
		{"bad cluster", vms, vm("z", map[string]any{"cluster": 99}),
			`{"cluster": ["Related object not found using the provided numeric ID: 99"]}`},
		{"role without vm_role (the API does not check it)", vms, vm("r", map[string]any{"cluster": c1, "role": noVMRole}), ""},
		{"vcpus 0.01 is below Decimal(0.01)", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 0.01}),
			`{"vcpus": ["Ensure this value is greater than or equal to 0.01000000000000000020816681711721685132943093776702880859375."]}`},
		{"vcpus 0", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 0}),
			`{"vcpus": ["Ensure this value is greater than or equal to 0.01000000000000000020816681711721685132943093776702880859375."]}`},
		{"vcpus three places", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 1.005}),
			`{"vcpus": ["Ensure that there are no more than 2 decimal places."]}`},
		{"vcpus too large", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 10000}),
			`{"vcpus": ["Ensure that there are no more than 4 digits before the decimal point."]}`},
		{"vcpus too many digits", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 1234.567}),
			`{"vcpus": ["Ensure that there are no more than 6 digits in total."]}`},
		{"vcpus not a number", vms, vm("v", map[string]any{"cluster": c1, "vcpus": "many"}),
			`{"vcpus": ["A valid number is required."]}`},
		{"vcpus 0.02", vms, vm("v", map[string]any{"cluster": c1, "vcpus": 0.02}), ""},
		{"memory negative", vms, vm("m", map[string]any{"cluster": c1, "memory": -1}),
			`{"memory": ["Ensure this value is greater than or equal to 0."]}`},
		{"memory fractional", vms, vm("m", map[string]any{"cluster": c1, "memory": 1.5}),
			`{"memory": ["A valid integer is required."]}`},
		{"disk too large", vms, vm("m", map[string]any{"cluster": c1, "disk": 2147483648}),
			`{"disk": ["Ensure this value is less than or equal to 2147483647."]}`},
		{"local context not an object", vms, vm("l", map[string]any{"cluster": c1, "local_context_data": []int{1}}),
			`{"local_context_data": ["JSON data must be in object form. Example: {\"foo\": 123}"]}`},
		{"primary IP is a stub", vms, vm("p", map[string]any{"cluster": c1, "primary_ip4": 1}),
			`{"primary_ip4": ["Related object not found using the provided numeric ID: 1"]}`},
	})

	t.Run("a VM without a site takes its cluster's", func(t *testing.T) {
		got := list(t, s, fmt.Sprintf("/api/%s/?cluster_id=%d&name=web1", vms, c1)).Results
		require.Len(t, got, 1)
		assert.Equal(t, "Site 1", got[0]["site"].(map[string]any)["name"])
		got = list(t, s, fmt.Sprintf("/api/%s/?cluster_id=%d&name=web1", vms, c2)).Results
		require.Len(t, got, 1)
		assert.Nil(t, got[0]["site"], "an unscoped cluster has no site to give")
	})
	t.Run("renaming into a clash", func(t *testing.T) {
		id := create(t, s, vms, vm("other", map[string]any{"cluster": c1}))
		status, data := s.Do(t, "PATCH", simtest.Path(vms, id), map[string]any{"name": "Web1"})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"__all__": ["Virtual machine name must be unique per cluster."]}`, string(data))
		// Moving it to the other cluster clashes there too.
		status, data = s.Do(t, "PATCH", simtest.Path(vms, id), map[string]any{"name": "web1", "cluster": c2, "site": nil})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"__all__": ["Virtual machine name must be unique per cluster."]}`, string(data))
	})
	t.Run("PUT resets site, cluster and device", func(t *testing.T) {
		id := create(t, s, vms, vm("put", map[string]any{"cluster": c1, "device": host1, "serial": "S1"}))
		status, data := s.Do(t, "PUT", simtest.Path(vms, id), vm("put", nil))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"cluster": ["A virtual machine must be assigned to a site and/or cluster."]}`, string(data))
		got := mustDo(t, s, "PUT", simtest.Path(vms, id), vm("put", map[string]any{"site": v.g.SiteID}), http.StatusOK)
		assert.Nil(t, got["cluster"])
		assert.Nil(t, got["device"])
		assert.Equal(t, "S1", got["serial"])
	})
}

func TestVirtMachineRepresentation(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	c1 := create(t, s, clusters, v.cluster("c1", siteScope(v.f.SiteID)))
	host := create(t, s, "dcim/devices", merge(device(v.f, "host1"), map[string]any{"cluster": c1}))
	platform := create(t, s, "dcim/platforms", map[string]any{"name": "Ubuntu", "slug": "ubuntu"})
	obj := mustDo(t, s, "POST", "/api/"+vms+"/", map[string]any{
		"name": "vm1", "cluster": c1, "device": host, "role": v.f.RoleID, "platform": platform,
		"vcpus": 2.5, "memory": 4096, "disk": 20480, "serial": "VM-1", "description": "d",
		"local_context_data": map[string]any{"ntp": "pool"},
	}, http.StatusCreated)
	id := int64(obj["id"].(float64))

	t.Run("fields", func(t *testing.T) {
		got := mustDo(t, s, "GET", simtest.Path(vms, id), nil, http.StatusOK)
		assert.Equal(t, []string{"cluster", "comments", "config_context", "config_template", "created", "custom_fields",
			"description", "device", "disk", "display", "display_url", "id", "interface_count", "last_updated",
			"local_context_data", "memory", "name", "platform", "primary_ip", "primary_ip4", "primary_ip6", "role",
			"serial", "site", "status", "tags", "tenant", "url", "vcpus", "virtual_disk_count"}, keysOf(got))
		assert.Equal(t, map[string]any{"value": "active", "label": "Active"}, got["status"], "default status")
		assert.Equal(t, []string{"description", "display", "id", "name", "url"}, keysOf(got["cluster"].(map[string]any)),
			"nested cluster: brief, without the annotated count")
		assert.Equal(t, []string{"description", "display", "id", "name", "url"}, keysOf(got["device"].(map[string]any)))
		assert.Equal(t, []string{"description", "display", "id", "name", "slug", "url"}, keysOf(got["site"].(map[string]any)))
		assert.Equal(t, "Role 1", got["role"].(map[string]any)["name"])
		assert.Equal(t, "Ubuntu", got["platform"].(map[string]any)["name"])
		assert.Nil(t, got["primary_ip"])
		assert.Equal(t, map[string]any{"ntp": "pool"}, got["config_context"])
		assert.Equal(t, float64(0), got["interface_count"])
		assert.Equal(t, "vm1", got["display"])
	})
	t.Run("memory and vcpus round-trip", func(t *testing.T) {
		cases := []struct {
			patch  map[string]any
			vcpus  any
			memory any
		}{
			{map[string]any{}, 2.5, float64(4096)},
			{map[string]any{"vcpus": 4, "memory": 16384}, float64(4), float64(16384)},
			{map[string]any{"vcpus": 0.25}, 0.25, float64(16384)},
			{map[string]any{"vcpus": 9999.99, "memory": 2147483647}, 9999.99, float64(2147483647)},
			{map[string]any{"vcpus": nil, "memory": nil}, nil, nil},
		}
		for _, tc := range cases {
			got := mustDo(t, s, "PATCH", simtest.Path(vms, id), tc.patch, http.StatusOK)
			assert.Equal(t, tc.vcpus, got["vcpus"], "%v", tc.patch)
			assert.Equal(t, tc.memory, got["memory"], "%v", tc.patch)
			again := mustDo(t, s, "GET", simtest.Path(vms, id), nil, http.StatusOK)
			assert.Equal(t, got["vcpus"], again["vcpus"])
			assert.Equal(t, got["memory"], again["memory"])
			assert.Equal(t, float64(20480), again["disk"], "disk is in MB and untouched")
		}
	})
	t.Run("cluster sums its VMs", func(t *testing.T) {
		mustDo(t, s, "PATCH", simtest.Path(vms, id), map[string]any{"vcpus": 2.5, "memory": 4096}, http.StatusOK)
		create(t, s, vms, map[string]any{"name": "vm2", "cluster": c1, "vcpus": 1.25, "memory": 1024})
		create(t, s, vms, map[string]any{"name": "vm3", "cluster": c1})
		got := mustDo(t, s, "GET", simtest.Path(clusters, c1), nil, http.StatusOK)
		assert.Equal(t, 3.75, got["allocated_vcpus"])
		assert.Equal(t, float64(5120), got["allocated_memory"])
		assert.Equal(t, float64(20480), got["allocated_disk"])
		assert.Equal(t, float64(3), got["virtualmachine_count"])
		assert.Equal(t, float64(1), got["device_count"])
		site := mustDo(t, s, "GET", simtest.Path("dcim/sites", v.f.SiteID), nil, http.StatusOK)
		assert.Equal(t, float64(3), site["virtualmachine_count"])
		role := mustDo(t, s, "GET", simtest.Path("dcim/device-roles", v.f.RoleID), nil, http.StatusOK)
		assert.Equal(t, float64(1), role["virtualmachine_count"])
		assert.Equal(t, true, role["vm_role"], "vm_role defaults to true")
	})
	t.Run("brief and exclude", func(t *testing.T) {
		brief := mustDo(t, s, "GET", simtest.Path(vms, id)+"?brief=1", nil, http.StatusOK)
		assert.Equal(t, []string{"description", "display", "id", "name", "url"}, keysOf(brief))
		got := mustDo(t, s, "GET", simtest.Path(vms, id)+"?exclude=config_context", nil, http.StatusOK)
		assert.NotContains(t, got, "config_context")
	})
	t.Run("deletion", func(t *testing.T) {
		status, data := s.Do(t, "DELETE", simtest.Path("dcim/devices", host), nil)
		assert.Equal(t, http.StatusConflict, status, "a host device is protected by its VMs")
		assert.Contains(t, string(data), "vm1 (")
		status, _ = s.Do(t, "DELETE", simtest.Path(clusters, c1), nil)
		assert.Equal(t, http.StatusConflict, status, "a cluster is protected by its VMs")
		mustDo(t, s, "DELETE", simtest.Path(vms, id), nil, http.StatusNoContent)
		status, data = s.Do(t, "DELETE", "/api/"+vms+"/", list(t, s, "/api/"+vms+"/?brief=1").Results)
		require.Equal(t, http.StatusNoContent, status, "%s", data)
		mustDo(t, s, "DELETE", simtest.Path(clusters, c1), nil, http.StatusNoContent)
		dev := mustDo(t, s, "GET", simtest.Path("dcim/devices", host), nil, http.StatusOK)
		assert.Nil(t, dev["cluster"], "deleting a cluster clears its devices' cluster")
	})
}

func TestVirtMachineFilters(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	c1 := create(t, s, clusters, v.cluster("c1", map[string]any{"group": v.group1}))
	c2 := create(t, s, clusters, v.cluster("c2", map[string]any{"group": v.group2}))
	c3 := create(t, s, clusters, v.cluster("c3", nil))
	host := create(t, s, "dcim/devices", merge(device(v.f, "host1"), map[string]any{"cluster": c1}))
	child := create(t, s, "dcim/device-roles", map[string]any{"name": "Web", "slug": "web", "parent": v.f.RoleID})
	a := create(t, s, vms, map[string]any{"name": "App1", "cluster": c1, "device": host, "role": child})
	b := create(t, s, vms, map[string]any{"name": "app2", "cluster": c2, "status": "planned", "role": v.g.RoleID})
	c := create(t, s, vms, map[string]any{"name": "app10", "cluster": c3, "site": v.g.SiteID, "status": "paused"})
	d := create(t, s, vms, map[string]any{"name": "db", "site": v.f.SiteID, "memory": 2048})
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{a, b, c, d}},
		{"?name=app1", []int64{a}},
		{"?name=APP2&name=db", []int64{b, d}},
		{"?name__isw=APP", []int64{a, b, c}},
		{fmt.Sprintf("?cluster_id=%d", c1), []int64{a}},
		{fmt.Sprintf("?cluster_id=%d&cluster_id=%d", c1, c3), []int64{a, c}},
		{"?cluster_id=null", []int64{d}},
		{"?cluster=c2", []int64{b}},
		{fmt.Sprintf("?cluster_group_id=%d", v.group2), []int64{b}},
		{"?cluster_group=prod", []int64{a}},
		{"?cluster_type=kvm", []int64{a, b, c}},
		{fmt.Sprintf("?device_id=%d", host), []int64{a}},
		{"?device=host1", []int64{a}},
		{fmt.Sprintf("?role_id=%d", v.f.RoleID), []int64{a}}, // the parent role covers its children
		{fmt.Sprintf("?role_id=%d", child), []int64{a}},
		{"?role=role-2", []int64{b}},
		{"?status=planned&status=paused", []int64{b, c}},
		{fmt.Sprintf("?site_id=%d", v.g.SiteID), []int64{c}},
		{"?site=site-1", []int64{d}},
		{"?memory=2048", []int64{d}},
		{"?has_primary_ip=false", []int64{a, b, c, d}},
		{"?q=app1", []int64{a, c}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			assert.Equal(t, tc.want, ids(list(t, s, "/api/"+vms+"/"+tc.query)))
		})
	}
	bad := []struct{ query, want string }{
		{"?cluster_id=99", `{"cluster_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{fmt.Sprintf("?cluster_id=%d&cluster_id=99", c1), `{"cluster_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?cluster_id=abc", `{"cluster_id": ["“abc” is not a valid value."]}`},
		{"?cluster=nope", `{"cluster": ["Select a valid choice. nope is not one of the available choices."]}`},
		{"?cluster_group_id=99", `{"cluster_group_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?device_id=99", `{"device_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?role_id=99", `{"role_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?site_id=99", `{"site_id": ["Select a valid choice. 99 is not one of the available choices."]}`},
		{"?status=staging", `{"status": ["Select a valid choice. staging is not one of the available choices."]}`},
	}
	for _, tc := range bad {
		t.Run(tc.query, func(t *testing.T) {
			status, data := s.Do(t, "GET", "/api/"+vms+"/"+tc.query, nil)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

func TestVirtBulk(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	c1 := create(t, s, clusters, v.cluster("c1", nil))

	t.Run("300 VMs in one request, then their statuses", func(t *testing.T) {
		batch := make([]map[string]any, 300)
		for i := range batch {
			batch[i] = map[string]any{"name": fmt.Sprintf("vm%03d", i), "cluster": c1, "vcpus": 1, "memory": 512}
		}
		status, data := s.Do(t, "POST", "/api/"+vms+"/", batch)
		require.Equal(t, http.StatusCreated, status, "%.300s", data)
		var created []map[string]any
		require.NoError(t, json.Unmarshal(data, &created))
		require.Len(t, created, 300)
		assert.Equal(t, "vm000", created[0]["name"])
		assert.Equal(t, "vm299", created[299]["name"])

		patch := make([]map[string]any, 0, 300)
		for i, obj := range created {
			st := "offline"
			if i%3 == 0 {
				st = "paused"
			}
			patch = append(patch, map[string]any{"id": obj["id"], "status": st})
		}
		status, data = s.Do(t, "PATCH", "/api/"+vms+"/", patch)
		require.Equal(t, http.StatusOK, status, "%.300s", data)
		var updated []map[string]any
		require.NoError(t, json.Unmarshal(data, &updated))
		require.Len(t, updated, 300)
		assert.Equal(t, 100, list(t, s, "/api/"+vms+"/?status=paused&limit=1").Count)
		assert.Equal(t, 200, list(t, s, "/api/"+vms+"/?status=offline&limit=1").Count)
		got := mustDo(t, s, "GET", simtest.Path(clusters, c1), nil, http.StatusOK)
		assert.Equal(t, float64(300), got["allocated_vcpus"])
		assert.Equal(t, float64(300*512), got["allocated_memory"])
	})
	t.Run("bulk create is all-or-nothing, errors aligned by index", func(t *testing.T) {
		status, data := s.Do(t, "POST", "/api/"+vms+"/", []map[string]any{
			{"name": "new1", "cluster": c1}, {"name": "VM001", "cluster": c1}, {"name": "new2"}, {"name": "new3", "site": v.f.SiteID},
		})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{}, {"__all__": ["Virtual machine name must be unique per cluster."]},
			{"cluster": ["A virtual machine must be assigned to a site and/or cluster."]}, {}]`, string(data))
		assert.Equal(t, 0, list(t, s, "/api/"+vms+"/?name=new1&name=new3").Count)
	})
	t.Run("duplicates inside one batch", func(t *testing.T) {
		status, data := s.Do(t, "POST", "/api/"+vms+"/", []map[string]any{{"name": "dup", "cluster": c1}, {"name": "DUP", "cluster": c1}})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{}, {"__all__": ["Virtual machine name must be unique per cluster."]}]`, string(data))
		assert.Equal(t, 0, list(t, s, "/api/"+vms+"/?name=dup").Count)
	})
	t.Run("bulk update is all-or-nothing", func(t *testing.T) {
		p := list(t, s, "/api/"+vms+"/?limit=2")
		first, second := p.Results[0], p.Results[1]
		status, data := s.Do(t, "PATCH", "/api/"+vms+"/", []map[string]any{
			{"id": first["id"], "status": "active"}, {"id": second["id"], "status": "bogus"},
		})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"status": ["bogus is not a valid choice."]}`, string(data))
		got := mustDo(t, s, "GET", fmt.Sprintf("/api/%s/%v/", vms, first["id"]), nil, http.StatusOK)
		assert.Equal(t, first["status"], got["status"], "the first update was rolled back")
		status, data = s.Do(t, "PATCH", "/api/"+vms+"/", []map[string]any{{"status": "active"}})
		require.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `[{"id": ["This field is required."]}]`, string(data))
	})
	t.Run("types, groups and clusters", func(t *testing.T) {
		for _, tc := range []struct {
			route string
			items []map[string]any
			patch func(ids []any) []map[string]any
			key   string
		}{
			{clusterTypes, []map[string]any{{"name": "T1", "slug": "t1"}, {"name": "T2", "slug": "t2"}},
				func(ids []any) []map[string]any {
					return []map[string]any{{"id": ids[0], "description": "x"}, {"id": ids[1], "description": "x"}}
				}, "description"},
			{clusterGroups, []map[string]any{{"name": "G1", "slug": "g1"}, {"name": "G2", "slug": "g2"}},
				func(ids []any) []map[string]any {
					return []map[string]any{{"id": ids[0], "description": "x"}, {"id": ids[1], "description": "x"}}
				}, "description"},
			{clusters, []map[string]any{v.cluster("b1", map[string]any{"group": v.group1}), v.cluster("b2", map[string]any{"group": v.group1})},
				func(ids []any) []map[string]any {
					return []map[string]any{{"id": ids[0], "status": "offline"}, {"id": ids[1], "status": "offline"}}
				}, "status"},
		} {
			t.Run(tc.route, func(t *testing.T) {
				status, data := s.Do(t, "POST", "/api/"+tc.route+"/", tc.items)
				require.Equal(t, http.StatusCreated, status, "%s", data)
				var out []map[string]any
				require.NoError(t, json.Unmarshal(data, &out))
				require.Len(t, out, 2)
				status, data = s.Do(t, "PATCH", "/api/"+tc.route+"/", tc.patch([]any{out[0]["id"], out[1]["id"]}))
				require.Equal(t, http.StatusOK, status, "%s", data)
				require.NoError(t, json.Unmarshal(data, &out))
				require.Len(t, out, 2)
				assert.NotEqual(t, tc.items[0][tc.key], out[0][tc.key])
				// A second batch with the same names fails whole.
				status, _ = s.Do(t, "POST", "/api/"+tc.route+"/", tc.items)
				assert.Equal(t, http.StatusBadRequest, status)
			})
		}
	})
}

func TestVirtDeviceCluster(t *testing.T) {
	t.Parallel()
	v := seedVirt(t)
	s := v.s
	c1 := create(t, s, clusters, v.cluster("c1", siteScope(v.f.SiteID)))
	c2 := create(t, s, clusters, v.cluster("c2", siteScope(v.g.SiteID)))
	c3 := create(t, s, clusters, v.cluster("c3", nil))
	dev := create(t, s, "dcim/devices", device(v.f, "host1"))
	tests := []struct {
		name    string
		cluster any
		want    string
	}{
		{"cluster of the device's site", c1, ""},
		{"cluster of another site", c2, `{"cluster": ["The assigned cluster belongs to a different site (Site 2)"]}`},
		{"cluster without a site", c3, ""},
		{"missing cluster", 99, `{"cluster": ["Related object not found using the provided numeric ID: 99"]}`},
		{"cluster by name", map[string]any{"name": "c1"}, ""},
		{"no cluster", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, data := s.Do(t, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"cluster": tc.cluster})
			if tc.want != "" {
				assert.Equal(t, http.StatusBadRequest, status)
				assert.JSONEq(t, tc.want, string(data))
				return
			}
			require.Equal(t, http.StatusOK, status, "%s", data)
		})
	}
	t.Run("device with its cluster", func(t *testing.T) {
		obj := mustDo(t, s, "POST", "/api/dcim/devices/", merge(device(v.f, "host2"), map[string]any{"cluster": c1}), http.StatusCreated)
		assert.Equal(t, "c1", obj["cluster"].(map[string]any)["name"])
		assert.Equal(t, []int64{int64(obj["id"].(float64))}, ids(list(t, s, fmt.Sprintf("/api/dcim/devices/?cluster_id=%d", c1))))
		status, data := s.Do(t, "POST", "/api/dcim/devices/", merge(device(v.f, "host3"), map[string]any{"cluster": c2}))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"cluster": ["The assigned cluster belongs to a different site (Site 2)"]}`, string(data))
	})
	t.Run("a cluster cannot move away from its hosts' site", func(t *testing.T) {
		status, data := s.Do(t, "PATCH", simtest.Path(clusters, c1), siteScope(v.g.SiteID))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.JSONEq(t, `{"scope": ["1 devices are assigned as hosts for this cluster but are not in site Site 2"]}`, string(data))
		got := mustDo(t, s, "PATCH", simtest.Path(clusters, c3), siteScope(v.f.SiteID), http.StatusOK)
		assert.Equal(t, "Site 1", got["scope"].(map[string]any)["name"])
	})
	t.Run("deleting a site deletes the clusters scoped to it", func(t *testing.T) {
		site := create(t, s, "dcim/sites", map[string]any{"name": "Spare", "slug": "spare"})
		c := create(t, s, clusters, v.cluster("spare", siteScope(site)))
		mustDo(t, s, "DELETE", simtest.Path("dcim/sites", site), nil, http.StatusNoContent)
		mustDo(t, s, "GET", simtest.Path(clusters, c), nil, http.StatusNotFound)
	})
}
