package netboxsim

import (
	"cmp"
	"fmt"
	"slices"
)

// Adding an endpoint (interfaces, IP and MAC addresses, clusters, VMs):
//   - write a constructor like deviceModel: fields in the writable
//     serializer's order, full and brief outputs in Meta.fields order,
//     display (__str__), order (Meta.ordering), filters, uniques;
//   - cross-object rules go in clean (model clean(), may read the store)
//     or validate (serializer validate(), non_field_errors); filters that
//     NetBox implements as methods use qCustom;
//   - add it to catalog and drop its stub, so existing foreign keys to it
//     (device.primary_ip4, device.cluster, ...) start resolving;
//   - cover it in the contract tests, which validate every exchange
//     against the OpenAPI document.

// catalog returns the models of one simulator instance. Each call builds
// fresh values, so servers share nothing.
func catalog() []*model {
	ms := []*model{
		siteModel(), manufacturerModel(), deviceTypeModel(), deviceRoleModel(), platformModel(),
		tagModel(), deviceModel(), journalEntryModel(),
	}
	ms = append(ms, virtualizationModels()...) // models_virt.go
	ms = append(ms, networkModels()...)        // models_network.go
	ms = append(ms, ipamModels()...)           // models_ipam.go
	ms = append(ms, cableModel())              // models_cable.go
	ms = append(ms, customFieldModels()...)    // models_customfields.go
	ms = append(ms, userModels()...)           // models_users.go
	ms = append(ms, objectChangeModel())       // perms.go
	return append(ms, stubs()...)
}

// stubs stand for NetBox models the simulator does not serve yet. Foreign
// keys to them accept only null (an id is "not found"), and they render as
// null. Replacing a stub by a real model is how later endpoints come in.
func stubs() []*model {
	type st struct{ label, object, verbose, app, route string }
	var ms []*model
	for _, s := range []st{
		{"tenancy.tenant", "Tenant", "tenant", "Tenancy", "tenancy/tenants"},
		{"dcim.region", "Region", "region", "DCIM", "dcim/regions"},
		{"dcim.sitegroup", "SiteGroup", "site group", "DCIM", "dcim/site-groups"},
		{"dcim.location", "Location", "location", "DCIM", "dcim/locations"},
		{"dcim.rack", "Rack", "rack", "DCIM", "dcim/racks"},
		{"dcim.virtualchassis", "VirtualChassis", "virtual chassis", "DCIM", "dcim/virtual-chassis"},
		{"ipam.asn", "ASN", "ASN", "IPAM", "ipam/asns"},
		{"extras.configtemplate", "ConfigTemplate", "config template", "Extras", "extras/config-templates"},
	} {
		m := &model{label: s.label, objectName: s.object, verbose: s.verbose, appVerbose: s.app,
			route: s.route, stub: true, journaling: s.label != "extras.configtemplate"}
		m.display = func(_ *store, r *row) string { return itoa(r.id) }
		m.brief = []out{oID(), oURL(m), oDisplay(m)}
		m.full = m.brief
		ms = append(ms, m)
	}
	return ms
}

// head is the id/url/display_url/display prefix of every full representation.
func head(m *model) []out { return []out{oID(), oURL(m), oDisplay(m)} }

func fullHead(m *model) []out { return []out{oID(), oURL(m), oDisplayURL(m), oDisplay(m)} }

func join(parts ...[]out) []out {
	var all []out
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func vals(names ...string) []out {
	o := make([]out, len(names))
	for i, n := range names {
		o[i] = oVal(n)
	}
	return o
}

// netboxTail is what every NetBoxModelSerializer ends with.
func netboxTail() []out {
	return []out{oTags(), oCustomFields(), oCreated(), oUpdated()}
}

// baseFilters are the filters every NetBoxModelFilterSet has.
func baseFilters(extra map[string]*filter) map[string]*filter {
	fs := map[string]*filter{
		"id":          {kind: qNumber, path: []string{"id"}},
		"description": {kind: qString, path: []string{"description"}, lookups: true},
		"tag":         {kind: qTag},
		"tag_id":      {kind: qTagID},
	}
	for k, v := range extra {
		fs[k] = v
	}
	return fs
}

func byName(natural bool) func(s *store, a, b *row) int {
	return func(_ *store, a, b *row) int { return compareNullable(a.vals["name"], b.vals["name"], natural) }
}

func displayName(_ *store, r *row) string { return r.str("name") }

func siteModel() *model {
	m := &model{label: "dcim.site", objectName: "Site", verbose: "site", appVerbose: "DCIM", route: "dcim/sites",
		journaling: true}
	m.fields = []*field{
		fName("name", 100, true), fSlug(true), fChoice("status", siteStatuses, "active"),
		fFK("region", "dcim.region", setNull), fFK("group", "dcim.sitegroup", setNull),
		fFK("tenant", "tenancy.tenant", protect), fText("facility", 50),
		{name: "time_zone", kind: kString, null: true, initial: always(nil)},
		fText("description", 200), fText("physical_address", 200), fText("shipping_address", 200),
		fFloat("latitude", ptr(-90), ptr(90)), fFloat("longitude", ptr(-180), ptr(180)),
		fText("comments", 0), {name: "asns", kind: kPKList, target: "ipam.asn", initial: func() any { return []int64{} }},
		fTags(), fCustomFields(),
	}
	m.full = join(fullHead(m), vals("name", "slug"), []out{oChoice("status", siteStatuses),
		oFK("region", "dcim.region"), oFK("group", "dcim.sitegroup"), oFK("tenant", "tenancy.tenant")},
		vals("facility", "time_zone", "description", "physical_address", "shipping_address", "latitude",
			"longitude", "comments"),
		[]out{oFunc("asns", func(*rctx, *row) any { return []any{} })}, netboxTail(),
		[]out{oCountAnnotated("circuit_count", zero), oCountAnnotated("device_count", counting("dcim.device", "site")),
			oCountAnnotated("prefix_count", zero), oCountAnnotated("rack_count", zero),
			oCountAnnotated("virtualmachine_count", counting("virtualization.virtualmachine", "site")),
			oCountAnnotated("vlan_count", zero)})
	m.brief = join(head(m), vals("name", "slug", "description"))
	m.display = displayName
	m.order = byName(true)
	m.search = []string{"name", "facility", "description", "physical_address", "shipping_address", "comments"}
	m.filters = baseFilters(map[string]*filter{
		"name":      {kind: qString, path: []string{"name"}, lookups: true},
		"slug":      {kind: qString, path: []string{"slug"}, lookups: true},
		"facility":  {kind: qString, path: []string{"facility"}, lookups: true},
		"status":    {kind: qChoice, path: []string{"status"}, choices: siteStatuses},
		"tenant_id": {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"region_id": {kind: qFK, path: []string{"region"}, target: "dcim.region"},
		"group_id":  {kind: qFK, path: []string{"group"}, target: "dcim.sitegroup"},
	})
	return m
}

func manufacturerModel() *model {
	m := &model{label: "dcim.manufacturer", objectName: "Manufacturer", verbose: "manufacturer", appVerbose: "DCIM",
		route: "dcim/manufacturers", journaling: true}
	m.fields = []*field{fName("name", 100, true), fSlug(true), fText("description", 200), fTags(), fCustomFields()}
	m.full = join(fullHead(m), vals("name", "slug", "description"), netboxTail(), []out{
		oCountAnnotated("devicetype_count", counting("dcim.devicetype", "manufacturer")),
		oCountAnnotated("inventoryitem_count", zero),
		oCountAnnotated("platform_count", counting("dcim.platform", "manufacturer"))})
	m.brief = join(head(m), vals("name", "slug", "description"), []out{
		oCountAnnotated("devicetype_count", counting("dcim.devicetype", "manufacturer"))})
	m.display = displayName
	m.order = byName(false)
	m.search = []string{"name", "slug", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name": {kind: qString, path: []string{"name"}, lookups: true},
		"slug": {kind: qString, path: []string{"slug"}, lookups: true},
	})
	return m
}

func deviceTypeModel() *model {
	m := &model{label: "dcim.devicetype", objectName: "DeviceType", verbose: "device type", appVerbose: "DCIM",
		route: "dcim/device-types", journaling: true}
	m.fields = []*field{
		fReqFK("manufacturer", "dcim.manufacturer", protect), fFK("default_platform", "dcim.platform", setNull),
		fName("model", 100, false), fSlug(false), fText("part_number", 50),
		resetting(&field{name: "u_height", kind: kFloat, min: ptr(0), initial: always(1.0)}),
		fBool("exclude_from_utilization", false), fBool("is_full_depth", true),
		fBlankChoice("subdevice_role", subdeviceRoles), fBlankChoice("airflow", airflows),
		fFloat("weight", nil, nil), fBlankChoice("weight_unit", weightUnits),
		fText("description", 200), fText("comments", 0), fTags(), fCustomFields(),
	}
	templates := []string{"console_port_template_count", "console_server_port_template_count",
		"power_port_template_count", "power_outlet_template_count", "interface_template_count",
		"front_port_template_count", "rear_port_template_count", "device_bay_template_count",
		"module_bay_template_count", "inventory_item_template_count"}
	m.full = join(fullHead(m), []out{oFK("manufacturer", "dcim.manufacturer"), oFK("default_platform", "dcim.platform")},
		vals("model", "slug", "part_number", "u_height", "exclude_from_utilization", "is_full_depth"),
		[]out{oChoice("subdevice_role", subdeviceRoles), oChoice("airflow", airflows), oVal("weight"),
			oChoice("weight_unit", weightUnits), oConst("front_image", nil), oConst("rear_image", nil)},
		vals("description", "comments"), netboxTail(),
		[]out{oCountAnnotated("device_count", counting("dcim.device", "device_type"))})
	for _, t := range templates {
		m.full = append(m.full, oCounter(t, zero))
	}
	m.brief = join(head(m), []out{oFK("manufacturer", "dcim.manufacturer")}, vals("model", "slug", "description"),
		[]out{oCountAnnotated("device_count", counting("dcim.device", "device_type"))})
	m.display = func(_ *store, r *row) string { return r.str("model") }
	m.order = func(s *store, a, b *row) int {
		if c := collate(s.display("dcim.manufacturer", a.ref("manufacturer")),
			s.display("dcim.manufacturer", b.ref("manufacturer")), false); c != 0 {
			return c
		}
		return collate(a.str("model"), b.str("model"), false)
	}
	m.uniques = []unique{
		{kind: uTogether, fields: []string{"manufacturer", "model"}},
		{kind: uTogether, fields: []string{"manufacturer", "slug"}},
	}
	m.clean = cleanWeight
	m.search = []string{"model", "part_number", "description", "comments"}
	m.filters = baseFilters(map[string]*filter{
		"model":               {kind: qString, path: []string{"model"}, lookups: true},
		"slug":                {kind: qString, path: []string{"slug"}, lookups: true},
		"part_number":         {kind: qString, path: []string{"part_number"}, lookups: true},
		"manufacturer_id":     {kind: qFK, path: []string{"manufacturer"}, target: "dcim.manufacturer"},
		"manufacturer":        {kind: qFKSlug, path: []string{"manufacturer"}, target: "dcim.manufacturer"},
		"default_platform_id": {kind: qFK, path: []string{"default_platform"}, target: "dcim.platform"},
	})
	return m
}

// cleanWeight is WeightMixin.clean.
func cleanWeight(_ *store, v map[string]any, _ *row) errBody {
	if v["weight"] != nil && (v["weight_unit"] == nil || v["weight_unit"] == "") {
		return errBody{"weight_unit": []string{"Must specify a unit when setting a weight"}}
	}
	return nil
}

func deviceRoleModel() *model {
	m := &model{label: "dcim.devicerole", objectName: "DeviceRole", verbose: "device role", appVerbose: "DCIM",
		route: "dcim/device-roles", journaling: true}
	m.fields = []*field{
		fName("name", 100, false), fSlug(false), fColor(), fBool("vm_role", true),
		resetting(fFK("config_template", "extras.configtemplate", setNull)),
		resetting(fFK("parent", "dcim.devicerole", cascade)),
		fText("description", 200), fTags(), fCustomFields(), fText("comments", 0),
	}
	devices := roleCount("dcim.device")
	vms := roleCount("virtualization.virtualmachine")
	depth := oFunc("_depth", func(rc *rctx, r *row) any { return roleDepth(rc.s, r) })
	parent := out{"parent", func(rc *rctx, r *row) (any, bool) {
		p := rc.s.get(m.label, r.ref("parent"))
		if p == nil {
			return nil, true
		}
		return rc.nested().renderWith(m, p, []string{"id", "url", "display_url", "display", "name"}), true
	}}
	m.full = join(fullHead(m), vals("name", "slug", "color", "vm_role"),
		[]out{oFK("config_template", "extras.configtemplate"), parent}, vals("description"), netboxTail(),
		[]out{oCountDefault("device_count", devices), oCountDefault("virtualmachine_count", vms), oVal("comments"), depth})
	m.brief = join(head(m), vals("name", "slug", "description"),
		[]out{oCountDefault("device_count", devices), oCountDefault("virtualmachine_count", vms), depth})
	m.display = displayName
	m.order = byName(false)
	topLevel := func(v map[string]any) bool { return v["parent"] == nil }
	m.uniques = []unique{
		{kind: uTogether, fields: []string{"parent", "name"}},
		{kind: uModel, fields: []string{"name"}, when: topLevel,
			msg: "A top-level device role with this name already exists."},
		{kind: uTogether, fields: []string{"parent", "slug"}},
		{kind: uModel, fields: []string{"slug"}, when: topLevel,
			msg: "A top-level device role with this slug already exists."},
	}
	m.search = []string{"name", "slug", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name":      {kind: qString, path: []string{"name"}, lookups: true},
		"slug":      {kind: qString, path: []string{"slug"}, lookups: true},
		"color":     {kind: qString, path: []string{"color"}},
		"vm_role":   {kind: qBool, path: []string{"vm_role"}},
		"parent_id": {kind: qFK, path: []string{"parent"}, target: "dcim.devicerole"},
	})
	return m
}

func roleDepth(s *store, r *row) int {
	d := 0
	for p := r.ref("parent"); p != 0 && d < 100; d++ {
		pr := s.get("dcim.devicerole", p)
		if pr == nil {
			break
		}
		p = pr.ref("parent")
	}
	return d
}

// roleCount counts label rows whose role is the role or one of its
// descendants (NetBox annotates role counts cumulatively).
func roleCount(label string) func(s *store, r *row) int {
	return func(s *store, r *row) int {
		ids := map[int64]bool{r.id: true}
		for changed := true; changed; {
			changed = false
			for _, c := range s.rows("dcim.devicerole") {
				if !ids[c.id] && ids[c.ref("parent")] {
					ids[c.id] = true
					changed = true
				}
			}
		}
		n := 0
		if t := s.tables[label]; t != nil {
			for _, x := range t.rows {
				if ids[x.ref("role")] {
					n++
				}
			}
		}
		return n
	}
}

func platformModel() *model {
	m := &model{label: "dcim.platform", objectName: "Platform", verbose: "platform", appVerbose: "DCIM",
		route: "dcim/platforms", journaling: true}
	m.fields = []*field{
		fName("name", 100, true), fSlug(true), fFK("manufacturer", "dcim.manufacturer", protect),
		resetting(fFK("config_template", "extras.configtemplate", setNull)), fText("description", 200),
		fTags(), fCustomFields(),
	}
	devices := counting("dcim.device", "platform")
	vms := counting("virtualization.virtualmachine", "platform")
	m.full = join(fullHead(m), vals("name", "slug"), []out{oFK("manufacturer", "dcim.manufacturer"),
		oFK("config_template", "extras.configtemplate")}, vals("description"), netboxTail(),
		[]out{oCountAnnotated("device_count", devices), oCountAnnotated("virtualmachine_count", vms)})
	m.brief = join(head(m), vals("name", "slug", "description"),
		[]out{oCountAnnotated("device_count", devices), oCountAnnotated("virtualmachine_count", vms)})
	m.display = displayName
	m.order = byName(false)
	m.search = []string{"name", "slug", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name":            {kind: qString, path: []string{"name"}, lookups: true},
		"slug":            {kind: qString, path: []string{"slug"}, lookups: true},
		"manufacturer_id": {kind: qFK, path: []string{"manufacturer"}, target: "dcim.manufacturer"},
		"manufacturer":    {kind: qFKSlug, path: []string{"manufacturer"}, target: "dcim.manufacturer"},
	})
	return m
}

func tagModel() *model {
	m := &model{label: "extras.tag", objectName: "Tag", verbose: "tag", appVerbose: "Extras", route: "extras/tags"}
	m.fields = []*field{
		fName("name", 100, true),
		{name: "slug", kind: kSlug, required: true, maxLen: 100, unique: true, pattern: unicodeSlugRE, badMsg: unicodeSlugMsg},
		fColor(), fText("description", 200), fInt("weight", 0, 32767, false, int64(1000)),
		{name: "object_types", kind: kContentTypes, initial: func() any { return []string{} }},
	}
	m.full = join(fullHead(m), vals("name", "slug", "color", "description", "weight", "object_types"),
		[]out{oCountAnnotated("tagged_items", taggedItems), oCreated(), oUpdated()})
	m.brief = join(head(m), vals("name", "slug", "color", "description"))
	m.display = displayName
	m.order = func(_ *store, a, b *row) int {
		aw, _ := a.vals["weight"].(int64)
		bw, _ := b.vals["weight"].(int64)
		if c := cmp.Compare(aw, bw); c != 0 {
			return c
		}
		return collate(a.str("name"), b.str("name"), false)
	}
	m.search = []string{"name", "slug", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name":   {kind: qString, path: []string{"name"}, lookups: true},
		"slug":   {kind: qString, path: []string{"slug"}, lookups: true},
		"color":  {kind: qString, path: []string{"color"}},
		"weight": {kind: qNumber, path: []string{"weight"}},
	})
	delete(m.filters, "tag")
	delete(m.filters, "tag_id")
	return m
}

func taggedItems(s *store, r *row) int {
	n := 0
	for _, t := range s.tables {
		for _, x := range t.rows {
			if ids, ok := x.vals["tags"].([]int64); ok {
				for _, id := range ids {
					if id == r.id {
						n++
					}
				}
			}
		}
	}
	return n
}

func deviceModel() *model {
	m := &model{label: "dcim.device", objectName: "Device", verbose: "device", appVerbose: "DCIM",
		route: "dcim/devices", journaling: true, sequentialCreate: true}
	m.fields = slices.Concat(
		deviceIdentityFields(),
		deviceLocationFields(),
		deviceStateFields(),
		deviceAddressFields(),
		deviceMembershipFields(),
		deviceConfigFields(),
		[]*field{fTags(), fCustomFields()},
	)
	m.full = deviceRepresentation(m)
	m.brief = join(head(m), vals("name", "description"))
	m.display = displayDevice
	m.order = func(_ *store, a, b *row) int { return compareNullable(a.vals["name"], b.vals["name"], true) }
	m.uniques = []unique{{
		kind: uModel, fields: []string{"name", "site"}, fold: true,
		when: func(v map[string]any) bool { return v["tenant"] == nil && v["name"] != nil },
		msg:  "Device name must be unique per site.",
	}, {
		kind: uModel, fields: []string{"name", "site", "tenant"}, fold: true,
		when: func(v map[string]any) bool { return v["tenant"] != nil && v["name"] != nil },
		msg:  "Constraint “dcim_device_unique_name_site_tenant” is violated.",
	}}
	m.clean = cleanDevice
	m.search = []string{"name", "serial", "asset_tag", "description", "comments"}
	m.filters = deviceFilters()
	return m
}

// deviceIdentityFields say what the device is: its name, type, role,
// tenant, platform, serial and asset tag.
func deviceIdentityFields() []*field {
	return []*field{
		{name: "name", kind: kString, null: true, blank: true, maxLen: 64, initial: always(nil)},
		fReqFK("device_type", "dcim.devicetype", protect), fReqFK("role", "dcim.devicerole", protect),
		resetting(fFK("tenant", "tenancy.tenant", protect)), fFK("platform", "dcim.platform", setNull),
		fText("serial", 50),
		{name: "asset_tag", kind: kString, null: true, blank: true, maxLen: 50, unique: true, initial: always(nil)},
	}
}

// deviceLocationFields say where it stands: site, location, rack position
// and face, coordinates.
func deviceLocationFields() []*field {
	return []*field{
		fReqFK("site", "dcim.site", protect),
		resetting(fFK("location", "dcim.location", protect)), resetting(fFK("rack", "dcim.rack", protect)),
		resetting(&field{name: "position", kind: kFloat, null: true, min: ptr(0.5), initial: always(nil)}),
		resetting(&field{name: "face", kind: kChoice, choices: deviceFaces, blank: true, initial: always("")}),
		fFloat("latitude", ptr(-90), ptr(90)), fFloat("longitude", ptr(-180), ptr(180)),
	}
}

func deviceStateFields() []*field {
	return []*field{
		fChoice("status", deviceStatuses, "active"),
		{name: "airflow", kind: kChoice, choices: airflows, blank: true, initial: always(nil)},
	}
}

// deviceAddressFields are the device's primary and out-of-band addresses.
func deviceAddressFields() []*field {
	return []*field{
		fFK("primary_ip4", "ipam.ipaddress", setNull), fFK("primary_ip6", "ipam.ipaddress", setNull),
		fFK("oob_ip", "ipam.ipaddress", setNull),
	}
}

// deviceMembershipFields are the groups the device belongs to: a cluster
// and a virtual chassis with its place in it.
func deviceMembershipFields() []*field {
	return []*field{
		fFK("cluster", "virtualization.cluster", setNull),
		resetting(fFK("virtual_chassis", "dcim.virtualchassis", setNull)),
		resetting(fInt("vc_position", 0, 255, true, nil)), fInt("vc_priority", 0, 255, true, nil),
	}
}

// deviceConfigFields are the free text and the configuration rendering's
// inputs.
func deviceConfigFields() []*field {
	return []*field{
		fText("description", 200), fText("comments", 0),
		resetting(fFK("config_template", "extras.configtemplate", protect)),
		{name: "local_context_data", kind: kJSON, null: true, initial: always(nil)},
	}
}

// deviceRepresentation is DeviceWithConfigContextSerializer's full
// representation.
func deviceRepresentation(m *model) []out {
	interfaces := counting("dcim.interface", "device")
	return join(fullHead(m), []out{oVal("name"), oFK("device_type", "dcim.devicetype"),
		oFK("role", "dcim.devicerole"), oFK("tenant", "tenancy.tenant"), oFK("platform", "dcim.platform"),
		oVal("serial"), oVal("asset_tag"), oFK("site", "dcim.site"), oFK("location", "dcim.location"),
		oFK("rack", "dcim.rack"), oVal("position"), oChoice("face", deviceFaces), oVal("latitude"),
		oVal("longitude"), oConst("parent_device", nil), oChoice("status", deviceStatuses),
		oChoice("airflow", airflows),
		oPrimaryIP(),
		oFK("primary_ip4", "ipam.ipaddress"), oFK("primary_ip6", "ipam.ipaddress"), oFK("oob_ip", "ipam.ipaddress"),
		oFK("cluster", "virtualization.cluster"), oFK("virtual_chassis", "dcim.virtualchassis"),
		oVal("vc_position"), oVal("vc_priority"), oVal("description"), oVal("comments"),
		oFK("config_template", "extras.configtemplate"),
		// No config contexts exist, so the rendered context is the
		// device's local context data alone.
		oFunc("config_context", localConfigContext),
		oLocalContextData(),
	}, netboxTail(), []out{
		oCounter("console_port_count", zero), oCounter("console_server_port_count", zero),
		oCounter("power_port_count", zero), oCounter("power_outlet_count", zero),
		oCounter("interface_count", interfaces), oCounter("front_port_count", zero),
		oCounter("rear_port_count", zero), oCounter("device_bay_count", zero),
		oCounter("module_bay_count", zero), oCounter("inventory_item_count", zero),
	})
}

// oPrimaryIP is the primary_ip property of devices and virtual machines:
// PREFER_IPV4 is False by default, so the IPv6 primary comes first.
func oPrimaryIP() out {
	return out{"primary_ip", func(rc *rctx, r *row) (any, bool) {
		name := "primary_ip6"
		if r.vals[name] == nil {
			name = "primary_ip4"
		}
		return oFK(name, "ipam.ipaddress").fn(rc, r)
	}}
}

// localConfigContext is the rendered config context where no config
// contexts exist: the object's local context data, or an empty object.
func localConfigContext(_ *rctx, r *row) any {
	if o, ok := r.vals["local_context_data"].(*jobj); ok {
		return jsonValue(o)
	}
	return object{}
}

func oLocalContextData() out {
	return out{"local_context_data", func(_ *rctx, r *row) (any, bool) { return jsonValue(r.vals["local_context_data"]), true }}
}

func deviceFilters() map[string]*filter {
	return baseFilters(map[string]*filter{
		"name":            {kind: qStringI, path: []string{"name"}, lookups: true},
		"serial":          {kind: qStringI, path: []string{"serial"}, lookups: true},
		"asset_tag":       {kind: qString, path: []string{"asset_tag"}, lookups: true},
		"status":          {kind: qChoice, path: []string{"status"}, choices: deviceStatuses},
		"site_id":         {kind: qFK, path: []string{"site"}, target: "dcim.site"},
		"site":            {kind: qFKSlug, path: []string{"site"}, target: "dcim.site"},
		"role_id":         {kind: qFK, path: []string{"role"}, target: "dcim.devicerole"},
		"role":            {kind: qFKSlug, path: []string{"role"}, target: "dcim.devicerole"},
		"platform_id":     {kind: qFK, path: []string{"platform"}, target: "dcim.platform"},
		"platform":        {kind: qFKSlug, path: []string{"platform"}, target: "dcim.platform"},
		"device_type_id":  {kind: qFK, path: []string{"device_type"}, target: "dcim.devicetype"},
		"device_type":     {kind: qFKSlug, path: []string{"device_type"}, target: "dcim.devicetype"},
		"manufacturer_id": {kind: qFK, path: []string{"device_type", "manufacturer"}, target: "dcim.manufacturer"},
		"manufacturer":    {kind: qFKSlug, path: []string{"device_type", "manufacturer"}, target: "dcim.manufacturer"},
		"tenant_id":       {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"location_id":     {kind: qFK, path: []string{"location"}, target: "dcim.location"},
		"rack_id":         {kind: qFK, path: []string{"rack"}, target: "dcim.rack"},
		"cluster_id":      {kind: qFK, path: []string{"cluster"}, target: "virtualization.cluster"},
		"primary_ip4_id":  {kind: qFK, path: []string{"primary_ip4"}, target: "ipam.ipaddress"},
		"primary_ip6_id":  {kind: qFK, path: []string{"primary_ip6"}, target: "ipam.ipaddress"},
	})
}

// displayDevice is Device.__str__.
func displayDevice(s *store, r *row) string {
	label := r.str("name")
	asset := r.str("asset_tag")
	switch {
	case label != "" && asset != "":
		return fmt.Sprintf("%s (%s)", label, asset)
	case label != "":
		return label
	}
	dt := s.get("dcim.devicetype", r.ref("device_type"))
	if dt == nil {
		return itoa(r.id)
	}
	mfr := s.display("dcim.manufacturer", dt.ref("manufacturer"))
	if asset != "" {
		return fmt.Sprintf("%s %s (%s)", mfr, dt.str("model"), asset)
	}
	return fmt.Sprintf("%s %s (%d)", mfr, dt.str("model"), r.id)
}

// cleanDevice is the part of Device.clean() the simulated objects can reach.
func cleanDevice(s *store, v map[string]any, old *row) errBody {
	if v["rack"] == nil {
		if f, _ := v["face"].(string); f != "" {
			return errBody{"face": []string{"Cannot select a rack face without assigning a rack."}}
		}
		if v["position"] != nil {
			return errBody{"position": []string{"Cannot select a rack position without assigning a rack."}}
		}
	}
	if errs := cleanDeviceIPs(s, v, old); errs != nil { // models_network.go
		return errs
	}
	if p, ok := v["platform"].(int64); ok {
		pr := s.get("dcim.platform", p)
		dt := s.get("dcim.devicetype", v["device_type"].(int64))
		if pr != nil && dt != nil && pr.ref("manufacturer") != 0 && pr.ref("manufacturer") != dt.ref("manufacturer") {
			return errBody{"platform": []string{fmt.Sprintf("The assigned platform is limited to %s device types, "+
				"but this device's type belongs to %s.", s.display("dcim.manufacturer", pr.ref("manufacturer")),
				s.display("dcim.manufacturer", dt.ref("manufacturer")))}}
		}
	}
	return cleanDeviceCluster(s, v) // models_virt.go
}

func journalEntryModel() *model {
	m := &model{label: "extras.journalentry", objectName: "JournalEntry", verbose: "journal entry",
		appVerbose: "Extras", route: "extras/journal-entries"}
	m.fields = []*field{
		{name: "assigned_object_type", kind: kContentType, required: true},
		{name: "assigned_object_id", kind: kInt, required: true, min: ptr(0), max: ptr(9223372036854775807)},
		{name: "created_by", kind: kUser, null: true}, // CurrentUserDefault
		fChoice("kind", journalKinds, "info"),
		{name: "comments", kind: kString, required: true},
		fTags(), fCustomFields(),
	}
	m.full = join(fullHead(m), vals("assigned_object_type", "assigned_object_id"), []out{
		oFunc("assigned_object", func(rc *rctx, r *row) any {
			om := rc.s.models[r.str("assigned_object_type")]
			id, _ := r.vals["assigned_object_id"].(int64)
			o := rc.s.get(r.str("assigned_object_type"), id)
			if om == nil || o == nil {
				return nil
			}
			return rc.nested().render(om, o, true)
		}),
		oCreated(), oVal("created_by"), oChoice("kind", journalKinds), oVal("comments"), oTags(),
		oCustomFields(), oUpdated(),
	})
	m.brief = join(head(m), []out{oCreated()})
	m.display = func(_ *store, r *row) string {
		// JournalEntry.__str__ uses local time; TIME_ZONE defaults to UTC.
		return fmt.Sprintf("%s (%s)", r.created.UTC().Format("2006-01-02 15:04"),
			choiceLabel(journalKinds, r.str("kind")))
	}
	m.order = func(_ *store, a, b *row) int { return -a.created.Compare(b.created) }
	m.validate = func(s *store, v map[string]any, _ *row) []string {
		label := v["assigned_object_type"].(string)
		id := v["assigned_object_id"].(int64)
		if s.get(label, id) == nil {
			return []string{fmt.Sprintf("Invalid assigned_object: %s ID %d", contentTypeName(s.models[label]), id)}
		}
		return nil
	}
	m.clean = func(s *store, v map[string]any, _ *row) errBody {
		om := s.models[v["assigned_object_type"].(string)]
		if !om.journaling {
			return errBody{"__all__": []string{fmt.Sprintf("Journaling is not supported for this object type (%s).",
				contentTypeName(om))}}
		}
		return nil
	}
	// Every journaling model has a GenericRelation to its journal entries.
	m.generic = []genericFK{{typeField: "assigned_object_type", idField: "assigned_object_id",
		cascades: func(t *model) bool { return t.journaling }}}
	m.search = []string{"comments"}
	m.filters = baseFilters(map[string]*filter{
		"assigned_object_type": {kind: qContentType, path: []string{"assigned_object_type"}},
		"assigned_object_id":   {kind: qNumber, path: []string{"assigned_object_id"}},
		"kind":                 {kind: qChoice, path: []string{"kind"}, choices: journalKinds},
		"created_by_id":        {kind: qNumber, path: []string{"created_by"}},
		"created_after":        createdRange(true), // history.go
		"created_before":       createdRange(false),
	})
	delete(m.filters, "description")
	return m
}

// contentTypeName is str(ContentType): "DCIM | device".
func contentTypeName(m *model) string { return m.appVerbose + " | " + m.verbose }

// simUserID is the id of the user every token belongs to.
const simUserID = 1
