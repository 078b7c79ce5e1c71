package netboxsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Interfaces, MAC addresses and IP addresses as NetBox 4.3.7 has them:
// dcim/models/device_components.py (Interface), dcim/models/devices.py
// (MACAddress; Device.clean's primary and OOB IP checks), ipam/models/ip.py
// (IPAddress), their serializers (dcim/api/serializers_/,
// ipam/api/serializers_/ip.py) and filtersets (dcim/filtersets.py,
// ipam/filtersets.py).

func networkModels() []*model {
	return append([]*model{interfaceModel(), macAddressModel(), ipAddressModel()}, networkStubs()...)
}

// networkStubs are the models the three point at that the simulator does
// not serve: their foreign keys accept only null.
func networkStubs() []*model {
	return []*model{
		stubModel("dcim.module", "Module", "module", "DCIM", "dcim/modules"),
		stubModel("dcim.virtualdevicecontext", "VirtualDeviceContext", "virtual device context", "DCIM",
			"dcim/virtual-device-contexts"),
		stubModel("ipam.vlan", "VLAN", "VLAN", "IPAM", "ipam/vlans"),
		stubModel("ipam.vlantranslationpolicy", "VLANTranslationPolicy", "VLAN translation policy", "IPAM",
			"ipam/vlan-translation-policies"),
		stubModel("ipam.fhrpgroup", "FHRPGroup", "FHRP group", "IPAM", "ipam/fhrp-groups"),
		stubModel("wireless.wirelesslan", "WirelessLAN", "Wireless LAN", "Wireless", "wireless/wireless-lans"),
		stubModel("virtualization.vminterface", "VMInterface", "interface", "Virtualization",
			"virtualization/interfaces"),
	}
}

func stubModel(label, object, verbose, app, route string) *model {
	m := &model{label: label, objectName: object, verbose: verbose, appVerbose: app, route: route, stub: true,
		journaling: true}
	m.display = func(_ *store, r *row) string { return itoa(r.id) }
	m.brief = []out{oID(), oURL(m), oDisplay(m)}
	m.full = m.brief
	return m
}

func emptyIDs() any { return []int64{} }

func emptyList(*rctx, *row) any { return []any{} }

// optChoice is a NetBox ChoiceField(allow_blank=True, required=False) on a
// nullable model field: absent is null, null is written as "".
func optChoice(name string, cs []choice) *field {
	return &field{name: name, kind: kChoice, choices: cs, blank: true, initial: always(nil)}
}

func displayURL(rc *rctx, m *model, id int64) string {
	return rc.base + "/" + m.route + "/" + itoa(id) + "/"
}

// truthy is Python's truth value of a stored scalar.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case bool:
		return t
	case int64:
		return t != 0
	case float64:
		return t != 0
	}
	return true
}

// assigned returns the label and id a generic foreign key (IP and MAC
// assigned_object) names, and the object when it exists.
func assigned(s *store, v map[string]any) (string, int64, *row) {
	label, _ := v["assigned_object_type"].(string)
	id, _ := v["assigned_object_id"].(int64)
	if label == "" {
		return "", id, nil
	}
	return label, id, s.get(label, id)
}

// assignedInterface is the dcim.interface an IP or MAC row is assigned to.
func assignedInterface(r *row) (int64, bool) {
	if r.str("assigned_object_type") != "dcim.interface" {
		return 0, false
	}
	id, ok := r.vals["assigned_object_id"].(int64)
	return id, ok
}

// Server faults. NetBox answers an unhandled exception of an API request
// with a 500 and {"error","exception","netbox_version","python_version"}
// (utilities/error_handlers.py handle_rest_api_exception). A validation
// step that raises one returns a message made by fault(); writeJSON turns
// a 400 body that carries one into that 500.

const faultMark = "\x00fault\x00"

func fault(exception, err string) string { return faultMark + exception + "\x00" + err }

// serverFault finds a fault in a validation error body (an errBody, or a
// bulk create's list of them) and returns the 500 body.
func serverFault(v any) (object, bool) {
	var find func(v any) (string, bool)
	find = func(v any) (string, bool) {
		switch t := v.(type) {
		case errBody:
			for _, x := range t {
				if s, ok := find(x); ok {
					return s, ok
				}
			}
		case []any:
			for _, x := range t {
				if s, ok := find(x); ok {
					return s, ok
				}
			}
		case []string:
			for _, x := range t {
				if strings.HasPrefix(x, faultMark) {
					return x, true
				}
			}
		}
		return "", false
	}
	s, ok := find(v)
	if !ok {
		return nil, false
	}
	exception, err, _ := strings.Cut(strings.TrimPrefix(s, faultMark), "\x00")
	return object{{"error", err}, {"exception", exception}, {"netbox_version", "4.3.7"},
		{"python_version", "3.12.3"}}, true
}

// contentTypeIn is a ContentTypeField whose queryset is limited to the
// given models (IPADDRESS_ASSIGNMENT_MODELS, MACADDRESS_ASSIGNMENT_MODELS).
func contentTypeIn(labels ...string) func(raw any) (any, []string) {
	return func(raw any) (any, []string) {
		str, ok := raw.(string)
		if !ok || len(strings.Split(str, ".")) != 2 {
			return nil, []string{"Invalid value. Specify a content type as '<app_label>.<model_name>'."}
		}
		if !slices.Contains(labels, str) {
			return nil, []string{"Invalid content type: " + str}
		}
		return str, nil
	}
}

// contentTypeID numbers the content types of the simulator's models: the
// labels in sorted order, from 1. NetBox's ids come from its database; a
// 4.3 client finds them with /api/extras/object-types/ (not simulated).
func (s *store) contentTypeID(label string) int64 {
	labels := s.contentTypeLabels()
	i, ok := slices.BinarySearch(labels, label)
	if !ok {
		return 0
	}
	return int64(i + 1)
}

func (s *store) contentTypeLabels() []string {
	labels := make([]string, 0, len(s.models))
	for l := range s.models {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	return labels
}

// ContentTypeID returns the numeric content type id the simulator gives a
// model ("dcim.interface"), as NetBox 4.3's assigned_object_type filters
// of IP and MAC addresses take it; 0 for an unknown model.
func (s *Server) ContentTypeID(label string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.contentTypeID(label)
}

//
// Interfaces
//

var (
	virtualInterfaceTypes  = []string{"virtual", "lag", "bridge"}
	wirelessInterfaceTypes = []string{"ieee802.11a", "ieee802.11g", "ieee802.11n", "ieee802.11ac", "ieee802.11ad",
		"ieee802.11ax", "ieee802.11ay", "ieee802.11be", "ieee802.15.1", "ieee802.15.4", "other-wireless", "gsm",
		"cdma", "lte", "4g", "5g"}
)

func interfaceModel() *model {
	m := &model{label: "dcim.interface", objectName: "Interface", verbose: "interface", appVerbose: "DCIM",
		route: "dcim/interfaces", journaling: true}
	m.fields = slices.Concat(
		interfacePlacementFields(),
		interfaceIdentityFields(),
		interfaceRelationFields(),
		interfaceAttributeFields(),
		interfaceModeFields(),
		interfaceRadioFields(),
		interfaceVLANFields(),
		interfaceConnectionFields(),
		[]*field{fTags(), fCustomFields()},
	)
	occupied := oFunc("_occupied", func(rc *rctx, r *row) any { return interfaceOccupied(rc.s, r) }) // models_cable.go
	m.full = interfaceRepresentation(m, occupied)
	m.brief = join(head(m), []out{oFK("device", "dcim.device"), oVal("name"), oVal("description"),
		oInterfaceCable(), occupied})
	m.display = displayComponent
	m.order = interfaceOrder
	// UniqueConstraint(fields=('device', 'name')): ValidatedModelSerializer
	// leaves it to full_clean(), which reports unique_error_message().
	m.uniques = []unique{{kind: uModel, fields: []string{"device", "name"},
		msg: "Interface with this Device and Name already exists."}}
	m.clean = cleanInterface
	m.search = []string{"name", "label", "description"}
	m.filters = interfaceFilters()
	return m
}

// interfacePlacementFields say where the interface sits: its device,
// virtual device contexts and module.
func interfacePlacementFields() []*field {
	return []*field{
		fReqFK("device", "dcim.device", cascade),
		{name: "vdcs", kind: kPKList, target: "dcim.virtualdevicecontext", initial: emptyIDs},
		fFK("module", "dcim.module", cascade),
	}
}

func interfaceIdentityFields() []*field {
	return []*field{
		fName("name", 64, false),
		fText("label", 64),
		{name: "type", kind: kChoice, required: true, choices: interfaceTypes},
		fBool("enabled", true),
	}
}

// interfaceRelationFields are the other interfaces of the device this one
// hangs from: its parent, its bridge and its LAG.
func interfaceRelationFields() []*field {
	return []*field{
		// parent is on_delete=RESTRICT: it blocks deleting the parent
		// alone, not deleting both (the device); protect does that here.
		fFK("parent", "dcim.interface", protect),
		fFK("bridge", "dcim.interface", setNull),
		fFK("lag", "dcim.interface", setNull),
	}
}

// interfaceAttributeFields are the link's own properties.
func interfaceAttributeFields() []*field {
	return []*field{
		fInt("mtu", 1, 65536, true, nil),
		fFK("primary_mac_address", "dcim.macaddress", setNull),
		fInt("speed", 0, 2147483647, true, nil),
		fBlankChoice("duplex", interfaceDuplexes),
		// CharField(required=False, default=None, allow_blank, allow_null);
		// the model's WWNField.to_python normalises it.
		resetting(&field{name: "wwn", kind: kString, null: true, blank: true, initial: always(nil), parse: parseWWN}),
		fBool("mgmt_only", false),
		fText("description", 200),
	}
}

// interfaceModeFields are the optional choices: 802.1Q mode, wireless role
// and channel, PoE mode and type.
func interfaceModeFields() []*field {
	return []*field{
		optChoice("mode", interfaceModes), optChoice("rf_role", wirelessRoles),
		optChoice("rf_channel", wirelessChannels), optChoice("poe_mode", poeModes), optChoice("poe_type", poeTypes),
	}
}

// interfaceRadioFields are the wireless numbers a channel implies or a
// user sets: frequency, width and transmit power.
func interfaceRadioFields() []*field {
	return []*field{
		fFloat("rf_channel_frequency", nil, nil), fFloat("rf_channel_width", nil, nil),
		fInt("tx_power", 0, 127, true, nil),
	}
}

func interfaceVLANFields() []*field {
	return []*field{
		fFK("untagged_vlan", "ipam.vlan", setNull),
		{name: "tagged_vlans", kind: kPKList, target: "ipam.vlan", initial: emptyIDs},
		fFK("qinq_svlan", "ipam.vlan", setNull),
		fFK("vlan_translation_policy", "ipam.vlantranslationpolicy", protect),
	}
}

// interfaceConnectionFields are what the interface reaches beyond its
// device: a cable it is marked as having, wireless LANs, a VRF.
func interfaceConnectionFields() []*field {
	return []*field{
		fBool("mark_connected", false),
		{name: "wireless_lans", kind: kPKList, target: "wireless.wirelesslan", initial: emptyIDs},
		fFK("vrf", "ipam.vrf", setNull),
	}
}

// interfaceRepresentation is InterfaceSerializer's full representation.
func interfaceRepresentation(m *model, occupied out) []out {
	return join(fullHead(m), []out{
		oFK("device", "dcim.device"), oFunc("vdcs", emptyList), oFK("module", "dcim.module"),
		oVal("name"), oVal("label"), oChoice("type", interfaceTypes), oVal("enabled"),
		oNestedInterface("parent"), oNestedInterface("bridge"), oNestedInterface("lag"), oVal("mtu"),
		oFunc("mac_address", interfaceMACAddress), oFK("primary_mac_address", "dcim.macaddress"),
		oFunc("mac_addresses", interfaceMACAddresses),
		oVal("speed"), oChoice("duplex", interfaceDuplexes), oVal("wwn"), oVal("mgmt_only"), oVal("description"),
		oChoice("mode", interfaceModes), oChoice("rf_role", wirelessRoles), oChoice("rf_channel", wirelessChannels),
		oChoice("poe_mode", poeModes), oChoice("poe_type", poeTypes),
		oVal("rf_channel_frequency"), oVal("rf_channel_width"), oVal("tx_power"),
		oFK("untagged_vlan", "ipam.vlan"), oFunc("tagged_vlans", emptyList), oFK("qinq_svlan", "ipam.vlan"),
		oFK("vlan_translation_policy", "ipam.vlantranslationpolicy"), oVal("mark_connected"),
		// Cables and their paths come from models_cable.go; no wireless
		// links or L2VPNs are simulated. An interface that never had a
		// cable has a null cable_end (4.2 stores empty choices as null),
		// and an interface without a cable path reads
		// connected_endpoints_reachable null (`obj._path and ...`).
		oInterfaceCable(), oCableEnd(), oConst("wireless_link", nil),
		oLinkPeers(), oLinkPeersType(), oFunc("wireless_lans", emptyList),
		oFK("vrf", "ipam.vrf"), oConst("l2vpn_termination", nil), oConnectedEndpoints(),
		oConnectedEndpointsType(), oConnectedEndpointsReachable(),
	}, netboxTail(), []out{
		// Model properties, so present in every representation.
		oCounter("count_ipaddresses", interfaceIPCount),
		oCounter("count_fhrp_groups", zero), occupied,
	})
}

// interfaceMACAddress is mac_address, read-only since 4.2: the primary MAC
// object's value.
func interfaceMACAddress(rc *rctx, r *row) any {
	if mac := rc.s.get("dcim.macaddress", r.ref("primary_mac_address")); mac != nil {
		return mac.str("mac_address")
	}
	return nil
}

// interfaceMACAddresses are the MAC objects assigned to the interface, in
// their model's order.
func interfaceMACAddresses(rc *rctx, r *row) any {
	mm := rc.s.models["dcim.macaddress"]
	var macs []*row
	for _, mac := range rc.s.rows(mm.label) {
		if id, ok := assignedInterface(mac); ok && id == r.id {
			macs = append(macs, mac)
		}
	}
	slices.SortFunc(macs, func(a, b *row) int { return cmp.Or(mm.order(rc.s, a, b), cmp.Compare(a.id, b.id)) })
	list := []any{}
	for _, mac := range macs {
		list = append(list, rc.nested().render(mm, mac, true))
	}
	return list
}

func interfaceIPCount(s *store, r *row) int {
	n := 0
	for _, ip := range s.rows("ipam.ipaddress") {
		if id, ok := assignedInterface(ip); ok && id == r.id {
			n++
		}
	}
	return n
}

// interfaceOrder is ('device', CollateAsChar('_name')): the device's own
// ordering, then the naturalized name byte by byte.
func interfaceOrder(s *store, a, b *row) int {
	if a.ref("device") != b.ref("device") {
		dm := s.models["dcim.device"]
		da, db := s.get(dm.label, a.ref("device")), s.get(dm.label, b.ref("device"))
		if da != nil && db != nil {
			if c := dm.order(s, da, db); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ref("device"), b.ref("device"))
	}
	return strings.Compare(naturalizeInterface(a.str("name"), 100), naturalizeInterface(b.str("name"), 100))
}

func interfaceFilters() map[string]*filter {
	fs := baseFilters(map[string]*filter{
		"name":                   {kind: qString, path: []string{"name"}, lookups: true},
		"label":                  {kind: qString, path: []string{"label"}, lookups: true},
		"type":                   {kind: qChoice, path: []string{"type"}, choices: interfaceTypes},
		"mode":                   {kind: qChoice, path: []string{"mode"}, choices: interfaceModes},
		"duplex":                 {kind: qChoice, path: []string{"duplex"}, choices: interfaceDuplexes},
		"enabled":                {kind: qBool, path: []string{"enabled"}},
		"mgmt_only":              {kind: qBool, path: []string{"mgmt_only"}},
		"mark_connected":         {kind: qBool, path: []string{"mark_connected"}},
		"mtu":                    {kind: qNumber, path: []string{"mtu"}},
		"speed":                  {kind: qNumber, path: []string{"speed"}},
		"device_id":              {kind: qFK, path: []string{"device"}, target: "dcim.device"},
		"device":                 byNameFilter("dcim.device", "device"),
		"site_id":                {kind: qFK, path: []string{"device", "site"}, target: "dcim.site"},
		"site":                   {kind: qFKSlug, path: []string{"device", "site"}, target: "dcim.site"},
		"device_type_id":         {kind: qFK, path: []string{"device", "device_type"}, target: "dcim.devicetype"},
		"device_role_id":         {kind: qFK, path: []string{"device", "role"}, target: "dcim.devicerole"},
		"device_role":            {kind: qFKSlug, path: []string{"device", "role"}, target: "dcim.devicerole"},
		"device_status":          {kind: qChoice, path: []string{"device", "status"}, choices: deviceStatuses},
		"parent_id":              {kind: qFK, path: []string{"parent"}, target: "dcim.interface"},
		"bridge_id":              {kind: qFK, path: []string{"bridge"}, target: "dcim.interface"},
		"lag_id":                 {kind: qFK, path: []string{"lag"}, target: "dcim.interface"},
		"primary_mac_address_id": {kind: qFK, path: []string{"primary_mac_address"}, target: "dcim.macaddress"},
		"vrf_id":                 {kind: qFK, path: []string{"vrf"}, target: "ipam.vrf"},
		"mac_address":            {kind: qCustom, pred: interfaceMACPred},
		"kind":                   {kind: qCustom, pred: interfaceKindPred},
	})
	for k, f := range interfaceCableFilters() { // models_cable.go
		fs[k] = f
	}
	return fs
}

// displayComponent is ComponentModel.__str__.
func displayComponent(_ *store, r *row) string {
	if l := r.str("label"); l != "" {
		return fmt.Sprintf("%s (%s)", r.str("name"), l)
	}
	return r.str("name")
}

// oNestedInterface is NestedInterfaceSerializer (parent, bridge, lag).
func oNestedInterface(name string) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		id, ok := r.vals[name].(int64)
		i := rc.s.get("dcim.interface", id)
		if !ok || i == nil {
			return nil, true
		}
		im, dm := rc.s.models["dcim.interface"], rc.s.models["dcim.device"]
		var dev any
		if d := rc.s.get(dm.label, i.ref("device")); d != nil {
			dev = rc.nested().renderWith(dm, d, []string{"id", "url", "display_url", "display", "name"})
		}
		return object{{"id", i.id}, {"url", rc.apiURL(im, i.id)}, {"display_url", displayURL(rc, im, i.id)},
			{"display", im.display(rc.s, i)}, {"device", dev}, {"name", i.str("name")},
			{"cable", oInterfaceCable().value(rc, i)}, {"_occupied", interfaceOccupied(rc.s, i)}}, true
	}}
}

// parseWWN is the WWN CharField plus WWNField.to_python: EUI-64, stored
// upper-case with colons; blank is null.
func parseWWN(raw any) (any, []string) {
	var str string
	switch t := raw.(type) {
	case string:
		str = strings.TrimSpace(t)
	case json.Number:
		str = string(t)
	default:
		return nil, []string{"Not a valid string."}
	}
	if str == "" {
		return nil, nil
	}
	if w, ok := normalizeWWN(str); ok {
		return w, nil
	}
	return nil, []string{"Invalid WWN format: " + str}
}

// channelAttr is wireless.utils.get_channel_attr: a channel value is
// band-id-frequency-width.
func channelAttr(channel string, attr int) (float64, bool) {
	parts := strings.Split(channel, "-")
	if len(parts) != 4 {
		return 0, false
	}
	f, err := strconv.ParseFloat(parts[attr], 64)
	return f, err == nil
}

// cleanInterface is Interface.full_clean()'s clean() chain in the order it
// raises: BaseInterface (primary MAC), ComponentModel (device), Interface.
// It then does what Interface.save() does before writing: a channel fills
// in the frequency and width.
func cleanInterface(s *store, v map[string]any, old *row) errBody {
	var self int64
	if old != nil {
		self = old.id
	}
	device, _ := v["device"].(int64)

	if errs := cleanInterfaceCable(s, v, self, true); errs != nil { // models_cable.go
		return errs
	}
	if errs := cleanPrimaryMAC(s, v, self); errs != nil {
		return errs
	}
	if old != nil && old.ref("device") != device {
		return oneError("device", "Components cannot be moved to a different device.")
	}

	if errs := cleanInterfaceCable(s, v, self, false); errs != nil {
		return errs
	}
	typ, _ := v["type"].(string)
	if slices.Contains(virtualInterfaceTypes, typ) && v["mark_connected"] == true {
		return oneError("mark_connected", choiceLabel(interfaceTypes, typ)+" interfaces cannot be marked as connected.")
	}
	if errs := cleanInterfaceRelations(s, v, self, device, typ); errs != nil {
		return errs
	}
	if errs := cleanInterfaceCapabilities(v, typ); errs != nil {
		return errs
	}
	fillChannelAttrs(v)
	return nil
}

// oneError is a clean() error with one message for one field.
func oneError(field, msg string) errBody { return errBody{field: []string{msg}} }

// cleanPrimaryMAC is BaseInterface.clean: "self.primary_mac_address.assigned_object
// != self". An unsaved interface equals nothing, so a create can never
// name one.
func cleanPrimaryMAC(s *store, v map[string]any, self int64) errBody {
	id, ok := v["primary_mac_address"].(int64)
	if !ok {
		return nil
	}
	if mac := s.get("dcim.macaddress", id); mac != nil {
		on, ok := assignedInterface(mac)
		if self == 0 || !ok || on != self {
			return oneError("primary_mac_address",
				fmt.Sprintf("MAC address %s is not assigned to this interface.", mac.str("mac_address")))
		}
	}
	return nil
}

// cleanInterfaceRelations checks the parent, bridge and LAG interfaces:
// another interface of the same device, and a parent only for virtual
// interfaces, a LAG only for physical ones.
func cleanInterfaceRelations(s *store, v map[string]any, self, device int64, typ string) errBody {
	related := func(field string) *row {
		id, _ := v[field].(int64)
		return s.get("dcim.interface", id)
	}
	elsewhere := func(i *row) (string, string) {
		return s.display("dcim.interface", i.id), s.display("dcim.device", i.ref("device"))
	}
	if p := related("parent"); p != nil {
		switch {
		case self != 0 && p.id == self:
			return oneError("parent", "An interface cannot be its own parent.")
		case typ != "virtual":
			return oneError("parent", "Only virtual interfaces may be assigned to a parent interface.")
		case p.ref("device") != device:
			i, d := elsewhere(p)
			return oneError("parent", fmt.Sprintf("The selected parent interface (%s) belongs to a different device (%s)", i, d))
		}
	}
	if b := related("bridge"); b != nil {
		switch {
		case self != 0 && b.id == self:
			return oneError("bridge", "An interface cannot be bridged to itself.")
		case b.ref("device") != device:
			i, d := elsewhere(b)
			return oneError("bridge", fmt.Sprintf("The selected bridge interface (%s) belongs to a different device (%s).", i, d))
		}
	}
	if l := related("lag"); l != nil {
		switch {
		case typ == "virtual":
			return oneError("lag", "Virtual interfaces cannot have a parent LAG interface.")
		case self != 0 && l.id == self:
			return oneError("lag", "A LAG interface cannot be its own parent.")
		case l.ref("device") != device:
			i, d := elsewhere(l)
			return oneError("lag", fmt.Sprintf("The selected LAG interface (%s) belongs to a different device (%s).", i, d))
		}
	}
	return nil
}

// cleanInterfaceCapabilities checks that PoE is set only on physical
// interfaces and wireless settings only on wireless ones, and that a
// channel's frequency and width are not overridden.
func cleanInterfaceCapabilities(v map[string]any, typ string) errBody {
	virtual := slices.Contains(virtualInterfaceTypes, typ)
	wireless := slices.Contains(wirelessInterfaceTypes, typ)
	switch {
	case truthy(v["poe_mode"]) && virtual:
		return oneError("poe_mode", "Virtual interfaces cannot have a PoE mode.")
	case truthy(v["poe_type"]) && virtual:
		return oneError("poe_type", "Virtual interfaces cannot have a PoE type.")
	case truthy(v["poe_type"]) && !truthy(v["poe_mode"]):
		return oneError("poe_type", "Must specify PoE mode when designating a PoE type.")
	case truthy(v["rf_role"]) && !wireless:
		return oneError("rf_role", "Wireless role may be set only on wireless interfaces.")
	case truthy(v["rf_channel"]) && !wireless:
		return oneError("rf_channel", "Channel may be set only on wireless interfaces.")
	}
	channel, _ := v["rf_channel"].(string)
	for _, a := range []struct {
		field, name string
		attr        int
	}{{"rf_channel_frequency", "frequency", 2}, {"rf_channel_width", "width", 3}} {
		if !truthy(v[a.field]) {
			continue
		}
		if !wireless {
			what := "Channel frequency"
			if a.name == "width" {
				what = "Channel width"
			}
			return oneError(a.field, what+" may be set only on wireless interfaces.")
		}
		if want, ok := channelAttr(channel, a.attr); channel != "" && ok && v[a.field] != want {
			return oneError(a.field, "Cannot specify custom "+a.name+" with channel selected.")
		}
	}
	return nil
}

// fillChannelAttrs is Interface.save(): a channel fills in the frequency
// and width left empty.
func fillChannelAttrs(v map[string]any) {
	channel, _ := v["rf_channel"].(string)
	if channel == "" {
		return
	}
	if f, ok := channelAttr(channel, 2); ok && !truthy(v["rf_channel_frequency"]) {
		v["rf_channel_frequency"] = f
	}
	if w, ok := channelAttr(channel, 3); ok && !truthy(v["rf_channel_width"]) {
		v["rf_channel_width"] = w
	}
}

// interfaceMACPred is the interfaces' mac_address filter
// (MultiValueMACAddressFilter on mac_addresses__mac_address): any of the
// interface's MACs; a value netaddr cannot read empties the result.
func interfaceMACPred(s *store, values []string) (func(*row) bool, string) {
	want, ok := macValues(values)
	if !ok {
		return nil, ""
	}
	has := map[int64]bool{}
	for _, mac := range s.rows("dcim.macaddress") {
		if id, ok := assignedInterface(mac); ok && want[mac.str("mac_address")] {
			has[id] = true
		}
	}
	return func(r *row) bool { return has[r.id] }, ""
}

// macValues reads a MultiValueMACAddressFilter's values: ok=false when
// there are none (no filtering), a nil set when one is invalid (the
// filter's ValidationError becomes qs.none()).
func macValues(values []string) (map[string]bool, bool) {
	values = nonEmpty(values)
	if len(values) == 0 {
		return nil, false
	}
	want := map[string]bool{}
	for _, v := range values {
		mac, ok := normalizeMAC(strings.TrimSpace(v))
		if !ok {
			return nil, true
		}
		want[mac] = true
	}
	return want, true
}

// interfaceKindPred is filter_kind: physical, virtual or wireless.
func interfaceKindPred(_ *store, values []string) (func(*row) bool, string) {
	v := strings.ToLower(strings.TrimSpace(values[len(values)-1]))
	if values[len(values)-1] == "" {
		return nil, ""
	}
	return func(r *row) bool {
		t := r.str("type")
		switch v {
		case "physical":
			return !slices.Contains(virtualInterfaceTypes, t) && !slices.Contains(wirelessInterfaceTypes, t)
		case "virtual":
			return slices.Contains(virtualInterfaceTypes, t)
		case "wireless":
			return slices.Contains(wirelessInterfaceTypes, t)
		}
		return false
	}, ""
}

//
// MAC addresses
//

func macAddressModel() *model {
	m := &model{label: "dcim.macaddress", objectName: "MACAddress", verbose: "MAC address", appVerbose: "DCIM",
		route: "dcim/mac-addresses", journaling: true}
	m.fields = []*field{
		// A DRF ModelField: MACAddressField.to_python does the work.
		{name: "mac_address", kind: kString, required: true, parse: parseMACAddress},
		{name: "assigned_object_type", kind: kContentType, null: true, initial: always(nil),
			parse: contentTypeIn("dcim.interface", "virtualization.vminterface")},
		fInt("assigned_object_id", 0, 9223372036854775807, true, nil),
		fText("description", 200), fText("comments", 0), fTags(), fCustomFields(),
	}
	m.full = join(fullHead(m), vals("mac_address", "assigned_object_type", "assigned_object_id"),
		[]out{oAssignedObject()}, vals("description", "comments"), netboxTail())
	m.brief = join(head(m), vals("mac_address", "description"))
	m.display = func(_ *store, r *row) string { return r.str("mac_address") }
	// macaddr order: the stored form is fixed-width hex, so text order is
	// numeric order.
	m.order = func(_ *store, a, b *row) int { return strings.Compare(a.str("mac_address"), b.str("mac_address")) }
	m.clean = cleanMACAddress
	m.generic = []genericFK{{typeField: "assigned_object_type", idField: "assigned_object_id",
		cascades: func(t *model) bool { return t.label == "dcim.interface" || t.label == "virtualization.vminterface" }}}
	m.search = []string{"mac_address", "description"}
	m.filters = baseFilters(map[string]*filter{
		"mac_address": {kind: qCustom, pred: func(_ *store, values []string) (func(*row) bool, string) {
			want, ok := macValues(values)
			if !ok {
				return nil, ""
			}
			return func(r *row) bool { return want[r.str("mac_address")] }, ""
		}},
		"assigned_object_type": assignedObjectTypeFilter(),
		"assigned_object_id":   {kind: qNumber, path: []string{"assigned_object_id"}},
		"device_id":            assignedDeviceFilter(false),
		"device":               assignedDeviceFilter(true),
		"virtual_machine_id":   noVMInterfacesFilter(true),
		"virtual_machine":      noVMInterfacesFilter(false),
		"interface_id":         assignedFKFilter("dcim.interface"),
		"interface":            assignedByNameFilter("dcim.interface"),
		"vminterface_id":       assignedFKFilter("virtualization.vminterface"),
	})
	return m
}

// parseMACAddress is MACAddressField.to_python on a request value.
func parseMACAddress(raw any) (any, []string) {
	if mac, ok := normalizeMAC(raw); ok {
		return mac, nil
	}
	shown := pyStr(raw)
	if s, ok := raw.(string); ok {
		shown = strings.ReplaceAll(s, " ", "")
	}
	return nil, []string{"Invalid MAC address format: " + shown}
}

// oAssignedObject renders a generic foreign key's object with its nested
// (brief) serializer, or null.
func oAssignedObject() out {
	return oFunc("assigned_object", func(rc *rctx, r *row) any {
		_, _, o := assigned(rc.s, r.vals)
		if o == nil {
			return nil
		}
		return rc.nested().render(rc.s.models[r.str("assigned_object_type")], o, true)
	})
}

// original is the object a saved IP or MAC was assigned to before this
// update (ct.get_object_for_this_type). ok is false when it was not
// assigned; a fault when the object is gone (DoesNotExist is not caught).
func original(s *store, old *row) (label string, obj *row, faultMsg string, ok bool) {
	if old == nil {
		return "", nil, "", false
	}
	label = old.str("assigned_object_type")
	id, _ := old.vals["assigned_object_id"].(int64)
	if label == "" || id == 0 {
		return "", nil, "", false
	}
	obj = s.get(label, id)
	if obj == nil {
		return label, nil, fault("DoesNotExist", s.models[label].objectName+" matching query does not exist."), true
	}
	return label, obj, "", true
}

// cleanMACAddress is MACAddress.clean: the primary MAC of an object stays
// assigned to it.
func cleanMACAddress(s *store, v map[string]any, old *row) errBody {
	label, orig, faultMsg, ok := original(s, old)
	if !ok {
		return nil
	}
	if faultMsg != "" {
		return errBody{"__all__": []string{faultMsg}}
	}
	if label != "dcim.interface" || orig.ref("primary_mac_address") != old.id {
		return nil
	}
	newLabel, newID, obj := assigned(s, v)
	switch {
	case obj == nil:
		return errBody{"__all__": []string{
			"Cannot unassign MAC Address while it is designated as the primary MAC for an object"}}
	case newLabel != label || newID != orig.id:
		return errBody{"__all__": []string{
			"Cannot reassign MAC Address while it is designated as the primary MAC for an object"}}
	}
	return nil
}

//
// IP addresses
//

var (
	dnsNameRE  = regexp.MustCompile(`^([0-9A-Za-z_-]+|\*)(\.[0-9A-Za-z_-]+)*\.?$`)
	dnsNameMsg = "Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names"
	// ipRolesNonUnique is IPADDRESS_ROLES_NONUNIQUE.
	ipRolesNonUnique = []string{"anycast", "vip", "vrrp", "hsrp", "glbp", "carp"}
	ipFamilies       = []choice{{"4", "IPv4"}, {"6", "IPv6"}}
)

func ipAddressModel() *model {
	m := &model{label: "ipam.ipaddress", objectName: "IPAddress", verbose: "IP address", appVerbose: "IPAM",
		route: "ipam/ip-addresses", journaling: true}
	m.fields = slices.Concat(
		ipAddressIdentityFields(),
		ipAddressStateFields(),
		ipAddressAssignmentFields(),
		ipAddressNamingFields(),
		[]*field{fTags(), fCustomFields()},
	)
	family := oFunc("family", ipFamily)
	m.full = join(fullHead(m), []out{family, oVal("address"), oFK("vrf", "ipam.vrf"), oFK("tenant", "tenancy.tenant"),
		oChoice("status", ipStatuses), oChoice("role", ipRoles), oVal("assigned_object_type"),
		oVal("assigned_object_id"), oAssignedObject(), oNestedIP("nat_inside"), oFunc("nat_outside", ipNATOutside),
		oVal("dns_name"), oVal("description"), oVal("comments")}, netboxTail())
	m.brief = join(head(m), []out{family, oVal("address"), oVal("description")})
	m.display = func(_ *store, r *row) string { return r.str("address") }
	m.order = func(_ *store, a, b *row) int {
		x, _ := storedIP(a.vals["address"])
		y, _ := storedIP(b.vals["address"])
		return compareInet(x, y)
	}
	m.clean = cleanIPAddress
	m.generic = []genericFK{{typeField: "assigned_object_type", idField: "assigned_object_id",
		cascades: func(t *model) bool {
			return slices.Contains([]string{"dcim.interface", "virtualization.vminterface", "ipam.fhrpgroup"}, t.label)
		}}}
	m.searchFn = ipSearch
	m.filters = ipAddressFilters()
	return m
}

// ipAddressIdentityFields are the address and the space it lives in.
func ipAddressIdentityFields() []*field {
	return []*field{
		{name: "address", kind: kString, required: true, parse: parseAddress},
		fFK("vrf", "ipam.vrf", protect),
		fFK("tenant", "tenancy.tenant", protect),
	}
}

func ipAddressStateFields() []*field {
	return []*field{
		fChoice("status", ipStatuses, "active"),
		optChoice("role", ipRoles),
	}
}

// ipAddressAssignmentFields are the object the address is assigned to (an
// interface or FHRP group, by content type and id) and its NAT inside.
func ipAddressAssignmentFields() []*field {
	return []*field{
		{name: "assigned_object_type", kind: kContentType, null: true, initial: always(nil),
			parse: contentTypeIn("dcim.interface", "ipam.fhrpgroup", "virtualization.vminterface")},
		fInt("assigned_object_id", 0, 9223372036854775807, true, nil),
		fFK("nat_inside", "ipam.ipaddress", setNull),
	}
}

func ipAddressNamingFields() []*field {
	return []*field{
		// save() lower-cases dns_name.
		{name: "dns_name", kind: kString, blank: true, maxLen: 255, pattern: dnsNameRE, badMsg: dnsNameMsg,
			initial: always(""), parse: parseDNSName},
		fText("description", 200), fText("comments", 0),
	}
}

// ipFamily is the address's family as a choice value.
func ipFamily(_ *rctx, r *row) any {
	n, _ := storedIP(r.vals["address"])
	return object{{"value", n.family()}, {"label", choiceLabel(ipFamilies, itoa(int64(n.family())))}}
}

// ipNATOutside lists the addresses whose NAT inside is this one, in the
// model's order.
func ipNATOutside(rc *rctx, r *row) any {
	m := rc.s.models["ipam.ipaddress"]
	var outside []*row
	for _, o := range rc.s.rows(m.label) {
		if o.ref("nat_inside") == r.id {
			outside = append(outside, o)
		}
	}
	slices.SortFunc(outside, func(a, b *row) int { return cmp.Or(m.order(rc.s, a, b), cmp.Compare(a.id, b.id)) })
	list := []any{}
	for _, o := range outside {
		list = append(list, nestedIP(rc, o))
	}
	return list
}

func ipAddressFilters() map[string]*filter {
	return baseFilters(map[string]*filter{
		"address":              {kind: qCustom, pred: addressPred},
		"parent":               {kind: qCustom, pred: parentPrefixPred},
		"family":               {kind: qCustom, pred: familyPred},
		"mask_length":          {kind: qCustom, pred: maskLengthPred},
		"status":               {kind: qChoice, path: []string{"status"}, choices: ipStatuses},
		"role":                 {kind: qChoice, path: []string{"role"}, choices: ipRoles},
		"dns_name":             {kind: qString, path: []string{"dns_name"}, lookups: true},
		"vrf_id":               {kind: qFK, path: []string{"vrf"}, target: "ipam.vrf"},
		"vrf":                  {kind: qFKSlug, path: []string{"vrf"}, target: "ipam.vrf", toField: "rd"},
		"tenant_id":            {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"nat_inside_id":        {kind: qFK, path: []string{"nat_inside"}, target: "ipam.ipaddress"},
		"assigned_object_type": assignedObjectTypeFilter(),
		"assigned_object_id":   {kind: qNumber, path: []string{"assigned_object_id"}},
		"device_id":            assignedDeviceFilter(false),
		"device":               assignedDeviceFilter(true),
		"virtual_machine_id":   noVMInterfacesFilter(true),
		"virtual_machine":      noVMInterfacesFilter(false),
		"interface_id":         assignedFKFilter("dcim.interface"),
		"interface":            assignedByNameFilter("dcim.interface"),
		"vminterface_id":       assignedFKFilter("virtualization.vminterface"),
		"fhrpgroup_id":         assignedFKFilter("ipam.fhrpgroup"),
		"assigned_to_interface": {kind: qCustom, pred: boolPred(func(r *row) bool {
			t := r.str("assigned_object_type")
			return (t == "dcim.interface" || t == "virtualization.vminterface") && r.vals["assigned_object_id"] != nil
		})},
		"assigned": {kind: qCustom, pred: boolPred(func(r *row) bool {
			return r.vals["assigned_object_type"] != nil || r.vals["assigned_object_id"] != nil
		})},
	})
}

// ipSearch is IPAddressFilterSet.search: the DNS name or description
// contains the value (any case), or the address's text, mask included
// (TEXT(address) LIKE LOWER(value)%: ipam/lookups.py IStartsWith), starts
// with it.
func ipSearch(_ *store, v string) func(*row) bool {
	lv := strings.ToLower(v)
	return func(r *row) bool {
		return strings.Contains(strings.ToLower(r.str("dns_name")), lv) ||
			strings.Contains(strings.ToLower(r.str("description")), lv) ||
			strings.HasPrefix(strings.ToLower(r.str("address")), lv)
	}
}

// parseAddress is ipam.api.field_serializers.IPAddressField, a CharField:
// blank is refused, then netaddr.IPNetwork() reads the value. In 4.3 an
// unreadable one fails in the error message itself
// (`_("Invalid IP address format: {data}").format(data)` raises
// KeyError('data'), fixed in 4.6), so NetBox answers 500.
func parseAddress(raw any) (any, []string) {
	if s, ok := raw.(string); ok {
		if strings.TrimSpace(s) == "" {
			return nil, []string{"This field may not be blank."}
		}
		if n, ok := parseIPNetwork(s); ok {
			return n.String(), nil
		}
	}
	return nil, []string{fault("KeyError", "'data'")}
}

func parseDNSName(raw any) (any, []string) {
	switch t := raw.(type) {
	case string:
		return strings.ToLower(strings.TrimSpace(t)), nil
	case json.Number:
		return pyStr(t), nil
	}
	return nil, []string{"Not a valid string."}
}

// nestedIP is NestedIPAddressSerializer (nat_inside, nat_outside): its
// family is a plain integer.
func nestedIP(rc *rctx, r *row) object {
	m := rc.s.models["ipam.ipaddress"]
	n, _ := storedIP(r.vals["address"])
	return object{{"id", r.id}, {"url", rc.apiURL(m, r.id)}, {"display_url", displayURL(rc, m, r.id)},
		{"display", r.str("address")}, {"family", n.family()}, {"address", r.str("address")}}
}

func oNestedIP(name string) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		if o := rc.s.get("ipam.ipaddress", r.ref(name)); o != nil {
			return nestedIP(rc, o), true
		}
		return nil, true
	}}
}

// parentDevice is parent_object of an IP's or MAC's assigned object: the
// device of an interface, nothing for other objects.
func parentDevice(label string, obj *row) int64 {
	if label == "dcim.interface" && obj != nil {
		return obj.ref("device")
	}
	return 0
}

// cleanIPAddress is IPAddress.clean.
func cleanIPAddress(s *store, v map[string]any, old *row) errBody {
	n, _ := storedIP(v["address"])
	if n.bits == 0 {
		return errBody{"address": []string{"Cannot create IP address with /0 mask."}}
	}
	label, _, obj := assigned(s, v)
	if obj != nil {
		v4 := n.family() == 4
		if n.addr == n.network() && (v4 && n.bits < 31 || !v4 && n.bits < 127) {
			return errBody{"__all__": []string{
				n.host() + " is a network ID, which may not be assigned to an interface."}}
		}
		if v4 && n.addr == n.broadcast() && n.bits < 31 {
			return errBody{"__all__": []string{
				n.host() + " is a broadcast address, which may not be assigned to an interface."}}
		}
	}
	// Unique IP space (get_duplicates: vrf=self.vrf, address__net_host):
	// the global table's under ENFORCE_GLOBAL_UNIQUE (True by default), a
	// VRF's when it has enforce_unique. The host part must be unique,
	// unless this and every duplicate have a non-unique role (anycast,
	// VIP, FHRP).
	vrfID, inVRF := v["vrf"].(int64)
	vrf := s.get("ipam.vrf", vrfID)
	host := n.host()
	if !inVRF || vrf != nil && vrf.vals["enforce_unique"] == true {
		role, _ := v["role"].(string)
		var dups []*row
		for _, r := range s.rows("ipam.ipaddress") {
			if old != nil && r.id == old.id || r.vals["vrf"] != v["vrf"] {
				continue
			}
			// Stored addresses are canonical, so equal hosts are equal text.
			if h, _, _ := strings.Cut(r.str("address"), "/"); h == host {
				dups = append(dups, r)
			}
		}
		im := s.models["ipam.ipaddress"]
		slices.SortFunc(dups, func(a, b *row) int { return cmp.Or(im.order(s, a, b), cmp.Compare(a.id, b.id)) })
		if len(dups) > 0 && (!slices.Contains(ipRolesNonUnique, role) || slices.ContainsFunc(dups, func(r *row) bool {
			return !slices.Contains(ipRolesNonUnique, r.str("role"))
		})) {
			table := "global table"
			if inVRF {
				table = "VRF " + s.display("ipam.vrf", vrfID)
			}
			return errBody{"address": []string{"Duplicate IP address found in " + table + ": " + dups[0].str("address")}}
		}
	}
	// No address inside a range marked populated, on create and on every
	// later save (models_ipam.go).
	if r := populatedRange(s, n, v["vrf"]); r != nil {
		return errBody{"address": []string{fmt.Sprintf("Cannot create IP address %s inside range %s.", n,
			ipRangeName(r))}}
	}
	// The primary IP guard: an IP that is its parent's primary for its
	// family cannot leave that parent (another interface of the same
	// device is the same parent).
	origLabel, orig, faultMsg, wasAssigned := original(s, old)
	if faultMsg != "" {
		return errBody{"__all__": []string{faultMsg}}
	}
	if wasAssigned {
		origParent := parentDevice(origLabel, orig)
		if dev := s.get("dcim.device", origParent); dev != nil &&
			dev.ref("primary_ip"+itoa(int64(n.family()))) == old.id && parentDevice(label, obj) != origParent {
			return errBody{"__all__": []string{
				"Cannot reassign IP address while it is designated as the primary IP for the parent object"}}
		}
	}
	if v["status"] == "slaac" && n.family() != 6 {
		return errBody{"status": []string{"Only IPv6 addresses can be assigned SLAAC status"}}
	}
	return nil
}

// cleanDeviceIPs is the part of Device.clean that checks primary_ip4,
// primary_ip6 and oob_ip, then the uniqueness full_clean checks next for
// these OneToOneFields. The IP must sit (or have its NAT inside IP) on
// one of vc_interfaces(); for a device being created that queryset is
// unfiltered (`Q(device=self) if self.pk else Q()`), so any interface
// will do.
func cleanDeviceIPs(s *store, v map[string]any, old *row) errBody {
	onDevice := func(ip *row) bool {
		if ip == nil {
			return false
		}
		id, ok := assignedInterface(ip)
		iface := s.get("dcim.interface", id)
		return ok && iface != nil && (old == nil || iface.ref("device") == old.id)
	}
	checks := []struct {
		field string
		fam   int
		label string // verbose_name, for the unique message
	}{{"primary_ip4", 4, "Primary IPv4"}, {"primary_ip6", 6, "Primary IPv6"}, {"oob_ip", 0, "Out-of-band IP"}}
	for _, c := range checks {
		id, ok := v[c.field].(int64)
		ip := s.get("ipam.ipaddress", id)
		if !ok || ip == nil {
			continue
		}
		n, _ := storedIP(ip.vals["address"])
		if c.fam != 0 && n.family() != c.fam {
			return errBody{c.field: []string{fmt.Sprintf("%s is not an IPv%d address.", n, c.fam)}}
		}
		if !onDevice(ip) && !onDevice(s.get("ipam.ipaddress", ip.ref("nat_inside"))) {
			return errBody{c.field: []string{
				fmt.Sprintf("The specified IP address (%s) is not assigned to this device.", n)}}
		}
	}
	errs := errBody{}
	for _, c := range checks {
		id, ok := v[c.field].(int64)
		if !ok {
			continue
		}
		for _, d := range s.rows("dcim.device") {
			if (old == nil || d.id != old.id) && d.ref(c.field) == id {
				errs.add(c.field, "Device with this "+c.label+" already exists.")
				break
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

//
// Filters shared by IP and MAC addresses
//

// wholeNumbers reads a MultiValueNumberFilter's values.
func wholeNumbers(values []string) ([]int64, string) {
	var out []int64
	for _, v := range nonEmpty(values) {
		n, ok := pyInt(v)
		if !ok {
			return nil, "Enter a whole number."
		}
		out = append(out, n)
	}
	return out, ""
}

// deviceSet is the devices a device_id (byName false) or device filter
// names: ids that are whole numbers, names trimmed. ok is false when the
// filter selects nothing to filter by (no values), or is refused (msg).
func deviceSet(s *store, values []string, byName bool) (devices map[int64]bool, msg string, ok bool) {
	devices = map[int64]bool{}
	if !byName {
		ids, msg := wholeNumbers(values)
		if msg != "" || len(ids) == 0 {
			return nil, msg, false
		}
		for _, id := range ids {
			if s.get("dcim.device", id) != nil {
				devices[id] = true
			}
		}
		return devices, "", true
	}
	names := nonEmpty(values)
	if len(names) == 0 {
		return nil, "", false
	}
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	for _, d := range s.rows("dcim.device") {
		if slices.Contains(names, d.str("name")) {
			devices[d.id] = true
		}
	}
	return devices, "", true
}

// assignedDeviceFilter is filter_device (device_id, or device by name): the
// objects on any interface of the named devices; no such device, no
// objects (never a 400).
func assignedDeviceFilter(byName bool) *filter {
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		devices, msg, ok := deviceSet(s, values, byName)
		if !ok {
			return nil, msg
		}
		ifaces := map[int64]bool{}
		for _, i := range s.rows("dcim.interface") {
			if devices[i.ref("device")] {
				ifaces[i.id] = true
			}
		}
		return func(r *row) bool {
			id, ok := assignedInterface(r)
			return ok && ifaces[id]
		}, ""
	}}
}

// noVMInterfacesFilter is filter_virtual_machine: VM interfaces are not
// simulated, so no IP or MAC is on one.
func noVMInterfacesFilter(byID bool) *filter {
	return &filter{kind: qCustom, pred: func(_ *store, values []string) (func(*row) bool, string) {
		if byID {
			ids, msg := wholeNumbers(values)
			if msg != "" || len(ids) == 0 {
				return nil, msg
			}
		} else if len(nonEmpty(values)) == 0 {
			return nil, ""
		}
		return func(*row) bool { return false }, ""
	}}
}

// assignedFKFilter is a ModelMultipleChoiceFilter through the generic
// relation (interface_id, vminterface_id, fhrpgroup_id): every id must
// exist.
func assignedFKFilter(target string) *filter {
	f := &filter{kind: qFK, target: target}
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		return s.fkPred(f, values, func(r *row) any {
			if r.str("assigned_object_type") != target {
				return nil
			}
			return r.vals["assigned_object_id"]
		})
	}}
}

// assignedByNameFilter is the "interface" filter
// (field_name='interface__name', to_field_name='name').
func assignedByNameFilter(target string) *filter {
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		names := map[string]bool{}
		for _, v := range values {
			found := false
			for _, r := range s.rows(target) {
				found = found || r.str("name") == v
			}
			if !found {
				return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
			}
			names[v] = true
		}
		if len(names) == 0 {
			return nil, ""
		}
		return func(r *row) bool {
			if r.str("assigned_object_type") != target {
				return false
			}
			id, _ := r.vals["assigned_object_id"].(int64)
			o := s.get(target, id)
			return o != nil && names[o.str("name")]
		}, ""
	}}
}

// assignedObjectTypeFilter is the filter django-filter generates for the
// assigned_object_type ForeignKey in Meta.fields (up to 4.4.3): a
// ModelChoiceFilter on the content type's id, one value, "null" for none.
// From 4.4.4 it is a ContentTypeFilter on "app.model".
func assignedObjectTypeFilter() *filter {
	return &filter{kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
		v := strings.TrimSpace(values[len(values)-1])
		if s.atLeast(4, 4) {
			// 4.4.4 made it a ContentTypeFilter (ipam/filtersets.py,
			// dcim/filtersets.py): "app.model", any case; anything else,
			// an id or "null" included, matches nothing, without a 400.
			if v == "" {
				return nil, ""
			}
			app, model, ok := strings.Cut(strings.ToLower(v), ".")
			if !ok || strings.Contains(model, ".") {
				return func(*row) bool { return false }, ""
			}
			label := app + "." + model
			return func(r *row) bool { return r.str("assigned_object_type") == label }, ""
		}
		switch v {
		case "":
			return nil, ""
		case "null":
			return func(r *row) bool { return r.vals["assigned_object_type"] == nil }, ""
		}
		id, err := strconv.ParseInt(v, 10, 64)
		labels := s.contentTypeLabels()
		if err != nil || id < 1 || id > int64(len(labels)) {
			return nil, "Select a valid choice. That choice is not one of the available choices."
		}
		label := labels[id-1]
		return func(r *row) bool { return r.str("assigned_object_type") == label }, ""
	}}
}

// boolPred is a django-filter BooleanFilter backed by a method.
func boolPred(test func(*row) bool) func(*store, []string) (func(*row) bool, string) {
	return func(_ *store, values []string) (func(*row) bool, string) {
		want, ok := nullBoolean(values) // read.go
		if !ok {
			return nil, ""
		}
		return func(r *row) bool { return test(r) == want }, ""
	}
}

// addressPred is filter_address: values with a mask match exactly
// (address IN ...), values without match the host of any mask
// (HOST(address) IN ...); unreadable values are skipped, and when none is
// left nothing matches.
func addressPred(s *store, values []string) (func(*row) bool, string) {
	return addressPredOn("address")(s, values)
}

// addressPredOn is filter_address on another address field (an IP range's
// start_address and end_address: the net_in lookup).
func addressPredOn(field string) func(*store, []string) (func(*row) bool, string) {
	return func(_ *store, values []string) (func(*row) bool, string) {
		values = nonEmpty(values)
		if len(values) == 0 {
			return nil, ""
		}
		var exact []ipNet
		var hosts []string
		for _, v := range values {
			v = strings.TrimSpace(v)
			if !strings.Contains(v, "/") {
				// netaddr.valid_ipv4/valid_ipv6: kept as the client spelled it.
				if _, ok := parseIPNetwork(v); ok {
					hosts = append(hosts, v)
				}
				continue
			}
			if n, ok := parseIPNetwork(v); ok {
				exact = append(exact, n)
			}
		}
		return func(r *row) bool {
			n, ok := storedIP(r.vals[field])
			if !ok {
				return false
			}
			for _, e := range exact {
				if e.addr == n.addr && e.bits == n.bits {
					return true
				}
			}
			// HOST() is text: the value must be spelled as PostgreSQL writes it.
			return slices.Contains(hosts, n.host())
		}, ""
	}
}

// parentPrefixPred is search_by_parent: the host lies in one of the
// prefixes; an unreadable prefix empties the result.
func parentPrefixPred(_ *store, values []string) (func(*row) bool, string) {
	values = nonEmpty(values)
	if len(values) == 0 {
		return nil, ""
	}
	var nets []ipNet
	for _, v := range values {
		n, ok := parseIPNetwork(strings.TrimSpace(v))
		if !ok {
			return func(*row) bool { return false }, ""
		}
		nets = append(nets, n)
	}
	return func(r *row) bool {
		a, ok := storedIP(r.vals["address"])
		return ok && slices.ContainsFunc(nets, func(n ipNet) bool { return n.contains(a.addr) })
	}, ""
}

// familyPred is the family NumberFilter (one value, a decimal).
func familyPred(s *store, values []string) (func(*row) bool, string) {
	return familyPredOn("address")(s, values)
}

// familyPredOn is a family NumberFilter on another address field.
func familyPredOn(field string) func(*store, []string) (func(*row) bool, string) {
	return func(_ *store, values []string) (func(*row) bool, string) {
		v := strings.TrimSpace(values[len(values)-1])
		if v == "" {
			return nil, ""
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, "Enter a number."
		}
		return func(r *row) bool {
			n, ok := storedIP(r.vals[field])
			return ok && float64(n.family()) == f
		}, ""
	}
}

// maskLengthPred is mask_length (MultiValueNumberFilter on the mask).
func maskLengthPred(_ *store, values []string) (func(*row) bool, string) {
	want, msg := wholeNumbers(values)
	if msg != "" || len(want) == 0 {
		return nil, msg
	}
	return func(r *row) bool {
		n, ok := storedIP(r.vals["address"])
		return ok && slices.Contains(want, int64(n.bits))
	}, ""
}
