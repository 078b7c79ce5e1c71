package netboxsim

import (
	"fmt"
	"slices"
)

// Cables between interfaces as NetBox 4.3.7 has them: dcim/models/cables.py
// (Cable.clean, CableTermination.clean), dcim/api/serializers_/cables.py
// (CableSerializer, CabledObjectSerializer), netbox/api/serializers/
// generic.py (GenericObjectSerializer, the terminations), dcim/filtersets.py
// (CableFilterSet, CabledObjectFilterSet) and, on the interface's side,
// dcim/models/device_components.py (CabledObjectModel.clean,
// Interface.clean: a cabled interface cannot become virtual, a bridge or a
// LAG).
//
// Only interfaces are simulated as terminations. A cable stores the ids of
// its A and B interfaces; an interface's cable, cable_end, link peers and
// connected endpoints are read from the cables (NetBox caches them on the
// interface and in a CablePath: a direct interface-to-interface cable is a
// complete path, active when the cable's status is connected).

var (
	cableTypes = []choice{{"cat3", "CAT3"}, {"cat5", "CAT5"}, {"cat5e", "CAT5e"}, {"cat6", "CAT6"},
		{"cat6a", "CAT6a"}, {"cat7", "CAT7"}, {"cat7a", "CAT7a"}, {"cat8", "CAT8"},
		{"dac-active", "Direct Attach Copper (Active)"}, {"dac-passive", "Direct Attach Copper (Passive)"},
		{"mrj21-trunk", "MRJ21 Trunk"}, {"coaxial", "Coaxial"}, {"mmf", "Multimode Fiber"},
		{"mmf-om1", "Multimode Fiber (OM1)"}, {"mmf-om2", "Multimode Fiber (OM2)"},
		{"mmf-om3", "Multimode Fiber (OM3)"}, {"mmf-om4", "Multimode Fiber (OM4)"},
		{"mmf-om5", "Multimode Fiber (OM5)"}, {"smf", "Singlemode Fiber"}, {"smf-os1", "Singlemode Fiber (OS1)"},
		{"smf-os2", "Singlemode Fiber (OS2)"}, {"aoc", "Active Optical Cabling (AOC)"}, {"usb", "USB"},
		{"power", "Power"}}
	linkStatuses = []choice{{"connected", "Connected"}, {"planned", "Planned"},
		{"decommissioning", "Decommissioning"}}
	cableLengthUnits = []choice{{"km", "Kilometers"}, {"m", "Meters"}, {"cm", "Centimeters"}, {"mi", "Miles"},
		{"ft", "Feet"}, {"in", "Inches"}}
	// nonConnectableInterfaceTypes is NONCONNECTABLE_IFACE_TYPES
	// (dcim/constants.py): the virtual and the wireless types.
	nonConnectableInterfaceTypes = append(slices.Clone(virtualInterfaceTypes), wirelessInterfaceTypes...)
)

func cableModel() *model {
	m := &model{label: "dcim.cable", objectName: "Cable", verbose: "cable", appVerbose: "DCIM",
		route: "dcim/cables", journaling: true}
	m.fields = []*field{
		fBlankChoice("type", cableTypes),
		{name: "a_terminations", kind: kTerminations, initial: emptyIDs},
		{name: "b_terminations", kind: kTerminations, initial: emptyIDs},
		fChoice("status", linkStatuses, "connected"),
		fFK("tenant", "tenancy.tenant", protect),
		fText("label", 100),
		{name: "color", kind: kString, blank: true, maxLen: 6, pattern: colorRE, badMsg: colorMsg, initial: always("")},
		fFloat("length", nil, nil),
		fBlankChoice("length_unit", cableLengthUnits),
		fText("description", 200), fText("comments", 0), fTags(), fCustomFields(),
	}
	m.full = join(fullHead(m), []out{oChoice("type", cableTypes), oTerminations("a_terminations"),
		oTerminations("b_terminations"), oChoice("status", linkStatuses), oFK("tenant", "tenancy.tenant")},
		vals("label", "color", "length"), []out{oChoice("length_unit", cableLengthUnits)},
		vals("description", "comments"), netboxTail())
	m.brief = join(head(m), vals("label", "description"))
	m.display = func(_ *store, r *row) string {
		if l := r.str("label"); l != "" {
			return l
		}
		return "#" + itoa(r.id)
	}
	m.clean = cleanCable
	m.search = []string{"label", "description"}
	m.filters = baseFilters(map[string]*filter{
		"label":            {kind: qString, path: []string{"label"}, lookups: true},
		"type":             {kind: qChoice, path: []string{"type"}, choices: cableTypes},
		"status":           {kind: qChoice, path: []string{"status"}, choices: linkStatuses},
		"interface_id":     {kind: qCustom, pred: cableEndPred("")},
		"termination_a_id": {kind: qCustom, pred: cableEndPred("A")},
		"termination_b_id": {kind: qCustom, pred: cableEndPred("B")},
		"device_id":        {kind: qCustom, pred: cableDevicePred(false)},
		"device":           {kind: qCustom, pred: cableDevicePred(true)},
		"tenant_id":        {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
	})
	return m
}

// convertTerminations is GenericObjectSerializer(many=True): a list of
// {"object_type", "object_id"}. Errors are a list aligned by item. A
// missing object is a DoesNotExist NetBox does not catch (a 500).
func (s *store) convertTerminations(raw any) (any, any) {
	list, ok := raw.([]any)
	if !ok {
		return nil, notAList(raw)
	}
	ids := []int64{}
	errs := make([]any, len(list))
	failed := false
	for i, item := range list {
		errs[i] = object{}
		o, ok := item.(*jobj)
		if !ok {
			errs[i] = errBody{"non_field_errors": []string{"Invalid data. Expected a dictionary, but got " + pyType(item) + "."}}
			failed = true
			continue
		}
		e := errBody{}
		label := ""
		switch t, present := o.get("object_type"); {
		case !present:
			e.add("object_type", "This field is required.")
		case t == nil:
			e.add("object_type", "This field may not be null.")
		default:
			l, msg := s.contentType(t)
			if msg != "" {
				e.add("object_type", msg)
			}
			label = l
		}
		var id int64
		switch v, present := o.get("object_id"); {
		case !present:
			e.add("object_id", "This field is required.")
		case v == nil:
			e.add("object_id", "This field may not be null.")
		default:
			n, ok := pyInt(v)
			if _, isBool := v.(bool); !ok || isBool {
				e.add("object_id", "A valid integer is required.")
			}
			id = n
		}
		if len(e) > 0 {
			errs[i], failed = e, true
			continue
		}
		tm := s.models[label]
		if label != "dcim.interface" {
			// Only interfaces are simulated as cable terminations.
			errs[i], failed = errBody{"object_type": []string{
				"Cables can be terminated to interfaces only in the simulator: " + label}}, true
			continue
		}
		if s.get(label, id) == nil {
			return nil, []string{fault("DoesNotExist", tm.objectName+" matching query does not exist.")}
		}
		ids = append(ids, id)
	}
	if failed {
		return nil, errs
	}
	return ids, nil
}

// cleanCable is Cable.clean with CableTermination.clean for each new
// termination.
func cleanCable(s *store, v map[string]any, old *row) errBody {
	all := func(msg string) errBody { return errBody{"__all__": []string{msg}} }
	if v["length"] != nil && (v["length_unit"] == nil || v["length_unit"] == "") {
		return all("Must specify a unit when setting a cable length")
	}
	a, _ := v["a_terminations"].([]int64)
	b, _ := v["b_terminations"].([]int64)
	if old == nil && (len(a) == 0 || len(b) == 0) {
		return all("Must define A and B terminations when creating a new cable.")
	}
	if old != nil {
		oa, _ := old.vals["a_terminations"].([]int64)
		ob, _ := old.vals["b_terminations"].([]int64)
		if slices.Equal(oa, a) && slices.Equal(ob, b) {
			return nil // terminations unchanged: not validated again
		}
	}
	for _, x := range a {
		if slices.Contains(b, x) {
			return all("A and B terminations cannot connect to the same object.")
		}
	}
	for _, id := range append(slices.Clone(a), b...) {
		if c := s.cableOf(id); c != nil && (old == nil || c.id != old.id) {
			return all(fmt.Sprintf("Duplicate termination found for dcim.interface %d: cable %d", id, c.id))
		}
		i := s.get("dcim.interface", id)
		if typ := i.str("type"); slices.Contains(nonConnectableInterfaceTypes, typ) {
			return all(fmt.Sprintf("Cables cannot be terminated to %s interfaces", choiceLabel(interfaceTypes, typ)))
		}
	}
	return nil
}

// cableOf is the cable an interface is terminated to, and its end.
func (s *store) cableOf(iface int64) *row {
	c, _ := s.cableEnd(iface)
	return c
}

func (s *store) cableEnd(iface int64) (*row, string) {
	for _, c := range s.rows("dcim.cable") {
		if ids, _ := c.vals["a_terminations"].([]int64); slices.Contains(ids, iface) {
			return c, "A"
		}
		if ids, _ := c.vals["b_terminations"].([]int64); slices.Contains(ids, iface) {
			return c, "B"
		}
	}
	return nil, ""
}

// linkPeers are the interfaces at the other end of an interface's cable
// (CabledObjectModel.link_peers), existing ones only.
func (s *store) linkPeers(iface int64) []*row {
	c, end := s.cableEnd(iface)
	if c == nil {
		return nil
	}
	other := "b_terminations"
	if end == "B" {
		other = "a_terminations"
	}
	var peers []*row
	ids, _ := c.vals[other].([]int64)
	for _, id := range ids {
		if p := s.get("dcim.interface", id); p != nil {
			peers = append(peers, p)
		}
	}
	return peers
}

// oTerminations renders GenericObjectSerializer(many=True).
func oTerminations(name string) out {
	return oFunc(name, func(rc *rctx, r *row) any {
		im := rc.s.models["dcim.interface"]
		ids, _ := r.vals[name].([]int64)
		list := []any{}
		for _, id := range ids {
			i := rc.s.get(im.label, id)
			if i == nil {
				continue // a deleted interface's termination is gone with it
			}
			list = append(list, object{{"object_type", im.label}, {"object_id", id},
				{"object", rc.nested().render(im, i, true)}})
		}
		return list
	})
}

// Interface outputs that read the cables (CabledObjectSerializer,
// ConnectedEndpointsSerializer).

func oInterfaceCable() out {
	return oFunc("cable", func(rc *rctx, r *row) any {
		c := rc.s.cableOf(r.id)
		if c == nil {
			return nil
		}
		return rc.nested().render(rc.s.models["dcim.cable"], c, true)
	})
}

func oCableEnd() out {
	return oFunc("cable_end", func(rc *rctx, r *row) any {
		if _, end := rc.s.cableEnd(r.id); end != "" {
			return end
		}
		return nil
	})
}

// renderInterfaces is a list of nested (brief) interfaces.
func renderInterfaces(rc *rctx, rows []*row) []any {
	im := rc.s.models["dcim.interface"]
	list := []any{}
	for _, p := range rows {
		list = append(list, rc.nested().render(im, p, true))
	}
	return list
}

func interfaceOccupied(s *store, r *row) bool {
	return r.vals["mark_connected"] == true || s.cableOf(r.id) != nil
}

func oLinkPeers() out {
	return oFunc("link_peers", func(rc *rctx, r *row) any { return renderInterfaces(rc, rc.s.linkPeers(r.id)) })
}

func oLinkPeersType() out {
	return oFunc("link_peers_type", func(rc *rctx, r *row) any {
		if len(rc.s.linkPeers(r.id)) > 0 {
			return "dcim.interface"
		}
		return nil
	})
}

func oConnectedEndpoints() out {
	return oFunc("connected_endpoints", func(rc *rctx, r *row) any {
		if peers := rc.s.linkPeers(r.id); len(peers) > 0 {
			return renderInterfaces(rc, peers)
		}
		return nil
	})
}

func oConnectedEndpointsType() out {
	return oFunc("connected_endpoints_type", func(rc *rctx, r *row) any {
		if len(rc.s.linkPeers(r.id)) > 0 {
			return "dcim.interface"
		}
		return nil
	})
}

// oConnectedEndpointsReachable is `_path and _path.is_complete and
// _path.is_active`: null without a path, else whether the cable is
// connected.
func oConnectedEndpointsReachable() out {
	return oFunc("connected_endpoints_reachable", func(rc *rctx, r *row) any {
		c := rc.s.cableOf(r.id)
		if c == nil || len(rc.s.linkPeers(r.id)) == 0 {
			return nil
		}
		return c.str("status") == "connected"
	})
}

// Filters on the interface's side (CabledObjectFilterSet) and the cable's.

// interfaceCableFilters are cable_id, cabled and occupied.
func interfaceCableFilters() map[string]*filter {
	return map[string]*filter{
		"cable_id": {kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
			f := &filter{kind: qFK, target: "dcim.cable"}
			return s.fkPred(f, values, func(r *row) any {
				if c := s.cableOf(r.id); c != nil {
					return c.id
				}
				return nil
			})
		}},
		"cabled": {kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
			return boolPred(func(r *row) bool { return s.cableOf(r.id) != nil })(s, values)
		}},
		"occupied": {kind: qCustom, pred: func(s *store, values []string) (func(*row) bool, string) {
			return boolPred(func(r *row) bool { return interfaceOccupied(s, r) })(s, values)
		}},
	}
}

// cableEndPred is interface_id (end "") or termination_a_id/_b_id: cables
// with one of the interfaces at that end.
func cableEndPred(end string) func(*store, []string) (func(*row) bool, string) {
	return func(_ *store, values []string) (func(*row) bool, string) {
		ids, msg := wholeNumbers(values)
		if msg != "" || len(ids) == 0 {
			return nil, msg
		}
		return func(r *row) bool {
			var have []int64
			if end != "B" {
				a, _ := r.vals["a_terminations"].([]int64)
				have = append(have, a...)
			}
			if end != "A" {
				b, _ := r.vals["b_terminations"].([]int64)
				have = append(have, b...)
			}
			return slices.ContainsFunc(ids, func(id int64) bool { return slices.Contains(have, id) })
		}, ""
	}
}

// cableDevicePred is filter_by_termination on the device (device_id, or
// device by name): cables with a termination on one of the devices.
func cableDevicePred(byName bool) func(*store, []string) (func(*row) bool, string) {
	return func(s *store, values []string) (func(*row) bool, string) {
		devices, msg, ok := deviceSet(s, values, byName) // models_network.go
		if !ok {
			return nil, msg
		}
		return func(r *row) bool {
			a, _ := r.vals["a_terminations"].([]int64)
			b, _ := r.vals["b_terminations"].([]int64)
			for _, id := range append(slices.Clone(a), b...) {
				if i := s.get("dcim.interface", id); i != nil && devices[i.ref("device")] {
					return true
				}
			}
			return false
		}, ""
	}
}

// cleanInterfaceCable is the part of the interface's clean() chain that
// reads its cable: CabledObjectModel.clean (first in the chain) and
// Interface.clean's first rule (cleanInterface calls it in place).
func cleanInterfaceCable(s *store, v map[string]any, self int64, early bool) errBody {
	if self == 0 || s.cableOf(self) == nil {
		return nil
	}
	if early {
		if v["mark_connected"] == true {
			return errBody{"mark_connected": []string{"Cannot mark as connected with a cable attached."}}
		}
		return nil
	}
	if typ, _ := v["type"].(string); slices.Contains(virtualInterfaceTypes, typ) {
		return errBody{"type": []string{choiceLabel(interfaceTypes, typ) + " interfaces cannot have a cable attached."}}
	}
	return nil
}
