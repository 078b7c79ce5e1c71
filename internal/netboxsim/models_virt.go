package netboxsim

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Virtualization: cluster types, cluster groups, clusters and virtual
// machines, as NetBox 4.3.7 has them (netbox/virtualization/models/,
// api/serializers_/, filtersets.py), and the device's cluster rule
// (dcim/models/devices.py Device.clean).

func virtualizationModels() []*model {
	return []*model{clusterTypeModel(), clusterGroupModel(), clusterModel(), virtualMachineModel()}
}

// Choice sets of virtualization/choices.py. Clusters have "staging", not
// "staged"; virtual machines have "staged".
var (
	clusterStatuses = []choice{{"planned", "Planned"}, {"staging", "Staging"}, {"active", "Active"},
		{"decommissioning", "Decommissioning"}, {"offline", "Offline"}}
	vmStatuses = []choice{{"offline", "Offline"}, {"active", "Active"}, {"planned", "Planned"},
		{"staged", "Staged"}, {"failed", "Failed"}, {"decommissioning", "Decommissioning"},
		{"paused", "Paused"}}
)

// organizationalModel is an OrganizationalModel with an
// OrganizationalModelFilterSet: unique name and slug, a description, and a
// cluster_count (RelatedObjectCountField('clusters')).
func organizationalModel(label, object, verbose, route, countField string) *model {
	m := &model{label: label, objectName: object, verbose: verbose, appVerbose: "Virtualization", route: route,
		journaling: true}
	m.fields = []*field{fName("name", 100, true), fSlug(true), fText("description", 200), fTags(), fCustomFields()}
	clusters := oCountAnnotated("cluster_count", counting("virtualization.cluster", countField))
	m.full = join(fullHead(m), vals("name", "slug", "description"), netboxTail(), []out{clusters})
	m.brief = join(head(m), vals("name", "slug", "description"), []out{clusters})
	m.display = displayName
	m.order = byName(false)
	m.search = []string{"name", "slug", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name": {kind: qString, path: []string{"name"}, lookups: true},
		"slug": {kind: qString, path: []string{"slug"}, lookups: true},
	})
	return m
}

func clusterTypeModel() *model {
	return organizationalModel("virtualization.clustertype", "ClusterType", "cluster type",
		"virtualization/cluster-types", "type")
}

func clusterGroupModel() *model {
	return organizationalModel("virtualization.clustergroup", "ClusterGroup", "cluster group",
		"virtualization/cluster-groups", "group")
}

// scopeTypes are LOCATION_SCOPE_TYPES (dcim/constants.py), the content
// types a cluster's scope_type accepts, with their model_name for
// CachedScopeMixin.clean's message. Only sites exist in the simulator.
var scopeTypes = map[string]string{
	"dcim.region": "region", "dcim.sitegroup": "sitegroup", "dcim.site": "site", "dcim.location": "location",
}

// siteKey holds a cluster's cached site (CachedScopeMixin._site) among its
// stored values. It is no serializer field: the API never reads or writes
// it, cleanCluster derives it from the scope.
const siteKey = "_site"

func clusterModel() *model {
	m := &model{label: "virtualization.cluster", objectName: "Cluster", verbose: "cluster",
		appVerbose: "Virtualization", route: "virtualization/clusters", journaling: true}
	m.fields = []*field{
		fName("name", 100, false),
		fReqFK("type", "virtualization.clustertype", protect),
		resetting(fFK("group", "virtualization.clustergroup", protect)),
		fChoice("status", clusterStatuses, "active"),
		fFK("tenant", "tenancy.tenant", protect),
		resetting(&field{name: "scope_type", kind: kContentType, null: true, initial: always(nil),
			parse: parseScopeType}),
		resetting(&field{name: "scope_id", kind: kInt, null: true, min: ptr(0), max: ptr(9223372036854775807),
			initial: always(nil)}),
		fText("description", 200), fText("comments", 0), fTags(), fCustomFields(),
	}
	devices := counting("dcim.device", "cluster")
	vms := counting("virtualization.virtualmachine", "cluster")
	m.full = join(fullHead(m), []out{oVal("name"), oFK("type", "virtualization.clustertype"),
		oFK("group", "virtualization.clustergroup"), oChoice("status", clusterStatuses),
		oFK("tenant", "tenancy.tenant"), oVal("scope_type"), oVal("scope_id"),
		oFunc("scope", func(rc *rctx, r *row) any {
			// get_scope: the scope object's nested (brief) form.
			label := r.str("scope_type")
			id, _ := r.vals["scope_id"].(int64)
			sm, o := rc.s.models[label], rc.s.get(label, id)
			if sm == nil || o == nil {
				return nil
			}
			return rc.nested().render(sm, o, true)
		}),
		oVal("description"), oVal("comments")}, netboxTail(),
		[]out{oCountAnnotated("device_count", devices), oCountAnnotated("virtualmachine_count", vms),
			// ClusterViewSet annotates Sum()s of its VMs: null without
			// values, and absent where the queryset did not run (create).
			oAnnotated("allocated_vcpus", func(s *store, r *row) any { return allocated(s, r, "vcpus") }),
			oAnnotated("allocated_memory", func(s *store, r *row) any { return allocated(s, r, "memory") }),
			oAnnotated("allocated_disk", func(s *store, r *row) any { return allocated(s, r, "disk") })})
	m.brief = join(head(m), vals("name", "description"), []out{oCountAnnotated("virtualmachine_count", vms)})
	m.display = displayName
	m.order = byName(true) // name has the natural_sort collation
	m.uniques = []unique{
		// Meta.constraints. DRF's unique-together validators are off in
		// NetBox (ValidatedModelSerializer.get_unique_together_constraints,
		// #17810), so full_clean reports them with Django's
		// unique_error_message: capfirst(verbose_name) of each field, and
		// _site's verbose name is " site".
		{kind: uModel, fields: []string{"group", "name"}, msg: "Cluster with this Group and Name already exists."},
		// NetBox fills _site in save(), after validation: a clash on create
		// is an IntegrityError (500) there. The simulator reports it.
		{kind: uModel, fields: []string{siteKey, "name"}, msg: "Cluster with this  site and Name already exists."},
	}
	m.clean = cleanCluster
	m.search = []string{"name", "description", "comments"}
	m.filters = baseFilters(map[string]*filter{
		"name":          {kind: qString, path: []string{"name"}, lookups: true},
		"group_id":      {kind: qFK, path: []string{"group"}, target: "virtualization.clustergroup"},
		"group":         {kind: qFKSlug, path: []string{"group"}, target: "virtualization.clustergroup"},
		"type_id":       {kind: qFK, path: []string{"type"}, target: "virtualization.clustertype"},
		"type":          {kind: qFKSlug, path: []string{"type"}, target: "virtualization.clustertype"},
		"status":        {kind: qChoice, path: []string{"status"}, choices: clusterStatuses},
		"tenant_id":     {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"scope_type":    {kind: qContentType, path: []string{"scope_type"}},
		"scope_id":      {kind: qNumber, path: []string{"scope_id"}},
		"site_id":       {kind: qFK, path: []string{siteKey}, target: "dcim.site"},
		"site":          {kind: qFKSlug, path: []string{siteKey}, target: "dcim.site"},
		"region_id":     {kind: qFK, path: []string{"_region"}, target: "dcim.region"},
		"site_group_id": {kind: qFK, path: []string{"_site_group"}, target: "dcim.sitegroup"},
		"location_id":   {kind: qFK, path: []string{"_location"}, target: "dcim.location"},
	})
	// CachedScopeMixin._site is a ForeignKey(on_delete=CASCADE): deleting
	// the site deletes the clusters scoped to it (unless their VMs protect
	// them). The scope is stored as scope_type/scope_id, so this is the
	// generic relation's cascade.
	m.generic = []genericFK{{typeField: "scope_type", idField: "scope_id",
		cascades: func(t *model) bool { return t.label == "dcim.site" }}}
	return m
}

// parseScopeType is ContentTypeField on ContentType.objects.filter(
// model__in=LOCATION_SCOPE_TYPES).
func parseScopeType(raw any) (any, []string) {
	str, ok := raw.(string)
	parts := strings.Split(str, ".")
	if !ok || len(parts) != 2 {
		return nil, []string{"Invalid value. Specify a content type as '<app_label>.<model_name>'."}
	}
	if _, known := scopeTypes[str]; !known {
		return nil, []string{"Invalid content type: " + str}
	}
	return str, nil
}

// cleanCluster is CachedScopeMixin.clean and Cluster.clean; it also caches
// the scope's site (CachedScopeMixin.cache_related_objects, run by save()).
func cleanCluster(s *store, v map[string]any, old *row) errBody {
	v[siteKey] = nil
	label, _ := v["scope_type"].(string)
	id, _ := v["scope_id"].(int64)
	switch {
	case label == "" && id == 0:
		return nil
	case label == "":
		// NetBox stores the id and then fails (500) rendering the
		// cluster's scope; the simulator refuses it.
		return errBody{"scope": []string{"A scope_id needs a scope_type."}}
	case id == 0:
		return errBody{"scope": []string{fmt.Sprintf("Please select a %s.", scopeTypes[label])}}
	}
	scope := s.get(label, id)
	if scope == nil {
		// NetBox's save() fails (500) dereferencing the missing scope.
		return errBody{"scope": []string{fmt.Sprintf("Related object not found using the provided numeric ID: %d", id)}}
	}
	if label != "dcim.site" {
		return nil
	}
	if old != nil {
		n := 0
		for _, d := range s.rows("dcim.device") {
			if d.ref("cluster") == old.id && d.ref("site") != id {
				n++
			}
		}
		if n > 0 {
			return errBody{"scope": []string{fmt.Sprintf(
				"%d devices are assigned as hosts for this cluster but are not in site %s", n,
				s.display("dcim.site", id))}}
		}
	}
	v[siteKey] = id
	return nil
}

// allocated is Sum('virtual_machines__<field>') over the cluster's VMs:
// null when no VM has a value.
func allocated(s *store, r *row, field string) any {
	var cents, n int64
	found := false
	for _, vm := range s.rows("virtualization.virtualmachine") {
		if vm.ref("cluster") != r.id {
			continue
		}
		switch x := vm.vals[field].(type) {
		case float64:
			cents += int64(math.Round(x * 100))
			found = true
		case int64:
			n += x
			found = true
		}
	}
	switch {
	case !found:
		return nil
	case field == "vcpus":
		return float64(cents) / 100
	}
	return n
}

// oAnnotated is a read-only serializer field filled by a queryset
// annotation: present wherever the view's queryset produced the object.
func oAnnotated(name string, fn func(s *store, r *row) any) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		if !rc.annotated {
			return nil, false
		}
		return fn(rc.s, r), true
	}}
}

func virtualMachineModel() *model {
	m := &model{label: "virtualization.virtualmachine", objectName: "VirtualMachine", verbose: "virtual machine",
		appVerbose: "Virtualization", route: "virtualization/virtual-machines", journaling: true}
	m.fields = slices.Concat(
		vmIdentityFields(),
		vmPlacementFields(),
		vmClassificationFields(),
		vmAddressFields(),
		vmResourceFields(),
		vmConfigFields(),
		[]*field{fTags(), fCustomFields()},
	)
	m.full = vmRepresentation(m)
	m.brief = join(head(m), vals("name", "description"))
	m.display = displayName
	m.order = byName(true) // ('name', 'pk'), natural_sort collation
	m.uniques = []unique{{
		kind: uModel, fields: []string{"name", "cluster", "tenant"}, fold: true,
		when: func(v map[string]any) bool { return v["tenant"] != nil },
		msg:  "Constraint “virtualization_virtualmachine_unique_name_cluster_tenant” is violated.",
	}, {
		kind: uModel, fields: []string{"name", "cluster"}, fold: true,
		when: func(v map[string]any) bool { return v["tenant"] == nil },
		msg:  "Virtual machine name must be unique per cluster.",
	}}
	m.clean = cleanVirtualMachine
	m.search = []string{"name", "description", "comments", "serial"}
	m.filters = vmFilters()
	return m
}

func vmIdentityFields() []*field {
	return []*field{
		fName("name", 64, false),
		fChoice("status", vmStatuses, "active"),
	}
}

// vmPlacementFields say where the VM runs: its site, its cluster and the
// device within the cluster.
func vmPlacementFields() []*field {
	return []*field{
		resetting(fFK("site", "dcim.site", protect)),
		resetting(fFK("cluster", "virtualization.cluster", protect)),
		resetting(fFK("device", "dcim.device", protect)),
	}
}

func vmClassificationFields() []*field {
	return []*field{
		fText("serial", 50),
		fFK("role", "dcim.devicerole", protect),
		resetting(fFK("tenant", "tenancy.tenant", protect)),
		fFK("platform", "dcim.platform", setNull),
	}
}

func vmAddressFields() []*field {
	return []*field{fFK("primary_ip4", "ipam.ipaddress", setNull), fFK("primary_ip6", "ipam.ipaddress", setNull)}
}

// vmResourceFields are the VM's sizes: virtual CPUs, memory and disk.
func vmResourceFields() []*field {
	return []*field{
		{name: "vcpus", kind: kFloat, null: true, initial: always(nil), parse: parseVCPUs},
		fInt("memory", 0, 2147483647, true, nil), fInt("disk", 0, 2147483647, true, nil),
	}
}

// vmConfigFields are the free text and the configuration rendering's
// inputs.
func vmConfigFields() []*field {
	return []*field{
		fText("description", 200), fText("comments", 0),
		resetting(fFK("config_template", "extras.configtemplate", protect)),
		{name: "local_context_data", kind: kJSON, null: true, initial: always(nil)},
	}
}

// vmRepresentation is VirtualMachineWithConfigContextSerializer's full
// representation.
func vmRepresentation(m *model) []out {
	return join(fullHead(m), []out{oVal("name"), oChoice("status", vmStatuses), oFK("site", "dcim.site"),
		oFK("cluster", "virtualization.cluster"), oFK("device", "dcim.device"), oVal("serial"),
		oFK("role", "dcim.devicerole"), oFK("tenant", "tenancy.tenant"), oFK("platform", "dcim.platform"),
		oPrimaryIP(), // models.go
		oFK("primary_ip4", "ipam.ipaddress"), oFK("primary_ip6", "ipam.ipaddress"),
		oVal("vcpus"), oVal("memory"), oVal("disk"), oVal("description"), oVal("comments"),
		oFK("config_template", "extras.configtemplate"),
		oLocalContextData(),
		oTags(), oCustomFields(),
		// No config contexts exist, so the rendered context is the local
		// context data.
		oFunc("config_context", localConfigContext),
		oCreated(), oUpdated(),
		// CounterCacheFields; VM interfaces and disks are not simulated.
		oCounter("interface_count", zero), oCounter("virtual_disk_count", zero),
	})
}

func vmFilters() map[string]*filter {
	return baseFilters(map[string]*filter{
		"name":               {kind: qStringI, path: []string{"name"}, lookups: true},
		"serial":             {kind: qString, path: []string{"serial"}, lookups: true},
		"status":             {kind: qChoice, path: []string{"status"}, choices: vmStatuses},
		"cluster_id":         {kind: qFK, path: []string{"cluster"}, target: "virtualization.cluster"},
		"cluster":            byNameFilter("virtualization.cluster", "cluster"),
		"cluster_group_id":   {kind: qFK, path: []string{"cluster", "group"}, target: "virtualization.clustergroup"},
		"cluster_group":      {kind: qFKSlug, path: []string{"cluster", "group"}, target: "virtualization.clustergroup"},
		"cluster_type_id":    {kind: qFK, path: []string{"cluster", "type"}, target: "virtualization.clustertype"},
		"cluster_type":       {kind: qFKSlug, path: []string{"cluster", "type"}, target: "virtualization.clustertype"},
		"device_id":          {kind: qFK, path: []string{"device"}, target: "dcim.device"},
		"device":             byNameFilter("dcim.device", "device"),
		"site_id":            {kind: qFK, path: []string{"site"}, target: "dcim.site"},
		"site":               {kind: qFKSlug, path: []string{"site"}, target: "dcim.site"},
		"region_id":          {kind: qFK, path: []string{"site", "region"}, target: "dcim.region"},
		"site_group_id":      {kind: qFK, path: []string{"site", "group"}, target: "dcim.sitegroup"},
		"role_id":            roleTreeFilter(false),
		"role":               roleTreeFilter(true),
		"platform_id":        {kind: qFK, path: []string{"platform"}, target: "dcim.platform"},
		"platform":           {kind: qFKSlug, path: []string{"platform"}, target: "dcim.platform"},
		"tenant_id":          {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"config_template_id": {kind: qFK, path: []string{"config_template"}, target: "extras.configtemplate"},
		"primary_ip4_id":     {kind: qFK, path: []string{"primary_ip4"}, target: "ipam.ipaddress"},
		"primary_ip6_id":     {kind: qFK, path: []string{"primary_ip6"}, target: "ipam.ipaddress"},
		"memory":             {kind: qNumber, path: []string{"memory"}},
		"disk":               {kind: qNumber, path: []string{"disk"}},
		"vcpus":              {kind: qCustom, pred: vcpusPred},
		"has_primary_ip": {kind: qCustom, pred: boolPred(func(r *row) bool {
			return r.vals["primary_ip4"] != nil || r.vals["primary_ip6"] != nil
		})},
	})
}

// cleanVirtualMachine is VirtualMachine.clean (with ConfigContextModel's
// part), then what save() does before writing: a VM without a site takes
// its cluster's.
func cleanVirtualMachine(s *store, v map[string]any, _ *row) errBody {
	if lcd := v["local_context_data"]; lcd != nil {
		if _, ok := lcd.(*jobj); !ok {
			return errBody{"local_context_data": []string{`JSON data must be in object form. Example: {"foo": 123}`}}
		}
	}
	site, _ := v["site"].(int64)
	clusterID, _ := v["cluster"].(int64)
	device, _ := v["device"].(int64)
	cluster := s.get("virtualization.cluster", clusterID)
	var clusterSite int64
	if cluster != nil {
		clusterSite = cluster.ref(siteKey)
	}
	host := s.get("dcim.device", device)
	if s.prof.since(6) {
		if errs := cleanVMHost46(s, site, cluster, host); errs != nil {
			return errs
		}
	} else {
		if site == 0 && clusterID == 0 {
			return errBody{"cluster": []string{"A virtual machine must be assigned to a site and/or cluster."}}
		}
		if cluster != nil && site != 0 && clusterSite != 0 && clusterSite != site {
			return errBody{"cluster": []string{fmt.Sprintf("The selected cluster (%s) is not assigned to this site (%s).",
				cluster.str("name"), s.display("dcim.site", site))}}
		}
		if device != 0 && cluster == nil {
			return errBody{"device": []string{"Must specify a cluster when assigning a host device."}}
		}
		if host != nil && host.ref("cluster") != clusterID {
			return errBody{"device": []string{fmt.Sprintf("The selected device (%s) is not assigned to this cluster (%s).",
				displayDevice(s, host), cluster.str("name"))}}
		}
	}
	for _, p := range []struct {
		field  string
		family int
	}{{"primary_ip4", 4}, {"primary_ip6", 6}} {
		id, _ := v[p.field].(int64)
		if s.get("ipam.ipaddress", id) == nil {
			continue
		}
		addr := s.display("ipam.ipaddress", id) // str(ip) is its address with mask
		version := 4
		if strings.Contains(addr, ":") {
			version = 6
		}
		if version != p.family {
			return errBody{p.field: []string{fmt.Sprintf("Must be an IPv%d address. (%s is an IPv%d address.)",
				p.family, addr, version)}}
		}
		// An IP must sit on one of the VM's interfaces (or be NAT for one);
		// VM interfaces are not simulated, so none does. (For a new VM
		// NetBox fails with a 500 here.)
		return errBody{p.field: []string{fmt.Sprintf("The specified IP address (%s) is not assigned to this VM.", addr)}}
	}
	// save(): a VM without a site takes its cluster's (4.6: else its
	// host device's).
	switch {
	case site != 0:
	case clusterSite != 0:
		v["site"] = clusterSite
	case s.prof.since(6) && host != nil:
		v["site"] = host.ref("site")
	}
	return nil
}

// cleanVMHost46 is VirtualMachine.clean's placement rules from 4.6
// (virtualization/models/virtualmachines.py at v4.6.8): a VM may name a
// standalone host device without a cluster; a device in a cluster needs
// that cluster named.
func cleanVMHost46(s *store, site int64, cluster, host *row) errBody {
	if site == 0 && cluster == nil && host == nil {
		return errBody{"__all__": []string{"A virtual machine must be assigned to a site, cluster, or device."}}
	}
	if cluster != nil && site != 0 && cluster.ref(siteKey) != 0 && cluster.ref(siteKey) != site {
		return errBody{"cluster": []string{fmt.Sprintf("The selected cluster (%s) is not assigned to this site (%s).",
			cluster.str("name"), s.display("dcim.site", site))}}
	}
	if host != nil && site != 0 && host.ref("site") != 0 && host.ref("site") != site {
		return errBody{"site": []string{fmt.Sprintf("The selected device (%s) is not assigned to this site (%s).",
			displayDevice(s, host), s.display("dcim.site", site))}}
	}
	if host != nil && cluster == nil && host.ref("cluster") != 0 {
		return errBody{"cluster": []string{fmt.Sprintf(
			"Must specify the assigned device's cluster (%s) when assigning host device %s.",
			s.display("virtualization.cluster", host.ref("cluster")), displayDevice(s, host))}}
	}
	if host != nil && cluster != nil && host.ref("cluster") != cluster.id {
		return errBody{"device": []string{fmt.Sprintf("The selected device (%s) is not assigned to this cluster (%s).",
			displayDevice(s, host), cluster.str("name"))}}
	}
	return nil
}

// cleanDeviceCluster is Device.clean's cluster rule: a device can only be
// assigned to a cluster in its own site (or one without a site).
func cleanDeviceCluster(s *store, v map[string]any) errBody {
	id, _ := v["cluster"].(int64)
	c := s.get("virtualization.cluster", id)
	if c == nil {
		return nil
	}
	if cs := c.ref(siteKey); cs != 0 && v["site"] != any(cs) {
		return errBody{"cluster": []string{fmt.Sprintf("The assigned cluster belongs to a different site (%s)",
			s.display("dcim.site", cs))}}
	}
	return nil
}

// byNameFilter is a ModelMultipleChoiceFilter with to_field_name='name'
// (a VM's "cluster" and "device" filters): each value must be the name of
// an existing object (case-sensitive); "null" matches no link.
func byNameFilter(target, field string) *filter {
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		want := map[int64]bool{}
		null := false
		for _, v := range values {
			if v == "null" {
				null = true
				continue
			}
			found := false
			for _, r := range s.rows(target) {
				if r.str("name") == v {
					want[r.id], found = true, true
				}
			}
			if !found {
				return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
			}
		}
		if len(want) == 0 && !null {
			return nil, ""
		}
		return func(r *row) bool {
			id, ok := r.vals[field].(int64)
			if !ok {
				return null
			}
			return want[id]
		}, ""
	}}
}

// roleTreeFilter is TreeNodeMultipleChoiceFilter on the VM's role: a
// role matches itself and its descendants. bySlug is the "role" filter,
// else "role_id".
func roleTreeFilter(bySlug bool) *filter {
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		ids := map[int64]bool{}
		null := false
		for _, v := range values {
			if v == "null" {
				null = true
				continue
			}
			var found *row
			if bySlug {
				for _, r := range s.rows("dcim.devicerole") {
					if r.str("slug") == v {
						found = r
					}
				}
			} else {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return nil, "“" + v + "” is not a valid value."
				}
				found = s.get("dcim.devicerole", n)
			}
			if found == nil {
				return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
			}
			ids[found.id] = true
		}
		if len(ids) == 0 && !null {
			return nil, ""
		}
		for changed := true; changed; {
			changed = false
			for _, r := range s.rows("dcim.devicerole") {
				if !ids[r.id] && ids[r.ref("parent")] {
					ids[r.id], changed = true, true
				}
			}
		}
		return func(r *row) bool {
			id, ok := r.vals["role"].(int64)
			if !ok {
				return null
			}
			return ids[id]
		}, ""
	}}
}

// vcpusPred is the MultiValueDecimalFilter on vcpus.
func vcpusPred(_ *store, values []string) (func(*row) bool, string) {
	var want []float64
	for _, v := range nonEmpty(values) {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, "Enter a number."
		}
		want = append(want, math.Round(x*100)/100)
	}
	if len(want) == 0 {
		return nil, ""
	}
	return func(r *row) bool {
		x, ok := r.vals["vcpus"].(float64)
		if !ok {
			return false
		}
		for _, w := range want {
			if w == x {
				return true
			}
		}
		return false
	}, ""
}

// vcpus is DecimalField(max_digits=6, decimal_places=2,
// validators=(MinValueValidator(decimal.Decimal(0.01)),)). The limit is
// Decimal built from the float 0.01, a hair above 0.01, so 0.01 itself is
// refused and the message carries the float's exact expansion.
const (
	vcpuDigits    = 6
	vcpuPlaces    = 2
	vcpuMinExact  = "0.01000000000000000020816681711721685132943093776702880859375"
	vcpuMinInCent = 2 // the smallest two-place value not below vcpuMinExact
)

var decimalRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// parseVCPUs is DRF's DecimalField.to_internal_value and validators on the
// value Python's JSON parser produced (an int, or a float: str() of it is
// what DRF parses), or on a string.
func parseVCPUs(raw any) (any, []string) {
	bad := func(msg string) (any, []string) { return nil, []string{msg} }
	var text string
	switch t := raw.(type) {
	case json.Number:
		if isIntNumber(t) {
			text = strings.TrimLeft(string(t), "+")
		} else {
			f, err := strconv.ParseFloat(string(t), 64)
			if err != nil || math.IsInf(f, 0) {
				return bad("A valid number is required.")
			}
			text = pyFloatRepr(f)
		}
	case string:
		text = strings.TrimSpace(t)
		if text == "" {
			return nil, nil // validate_empty_values: blank is null when allow_null
		}
		if len(text) > 1000 {
			return bad("String value too large.")
		}
	default:
		return bad("A valid number is required.")
	}
	if !decimalRE.MatchString(text) {
		return bad("A valid number is required.")
	}
	digits, exp := decimalTuple(text)
	var total, whole, places int
	switch n := len(digits); {
	case exp >= 0:
		total, whole = n+exp, n+exp
	case n > -exp:
		total, whole, places = n, n+exp, -exp
	default:
		total, places = -exp, -exp
	}
	switch {
	case total > vcpuDigits:
		return bad(fmt.Sprintf("Ensure that there are no more than %d digits in total.", vcpuDigits))
	case places > vcpuPlaces:
		return bad(fmt.Sprintf("Ensure that there are no more than %d decimal places.", vcpuPlaces))
	case whole > vcpuDigits-vcpuPlaces:
		return bad(fmt.Sprintf("Ensure that there are no more than %d digits before the decimal point.",
			vcpuDigits-vcpuPlaces))
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return bad("A valid number is required.")
	}
	x = math.Round(x*100) / 100 // quantize to two places
	if math.Round(x*100) < vcpuMinInCent {
		return bad("Ensure this value is greater than or equal to " + vcpuMinExact + ".")
	}
	return x, nil
}

// decimalTuple is Decimal(text).as_tuple()'s digits and exponent for a
// finite decimal literal.
func decimalTuple(text string) (string, int) {
	text = strings.TrimLeft(text, "+-")
	mant, expPart, _ := strings.Cut(strings.ToLower(text), "e")
	exp := 0
	if expPart != "" {
		exp, _ = strconv.Atoi(expPart)
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	exp -= len(frac)
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		digits = "0"
	}
	return digits, exp
}

// pyFloatRepr is Python's repr() of a float: the shortest digits, in
// fixed notation with at least one decimal when the exponent is in
// [-4, 16), else in scientific notation.
func pyFloatRepr(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expPart, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expPart)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
