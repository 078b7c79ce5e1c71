package netboxsim

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// VRFs and IP ranges as NetBox 4.3.7 has them: ipam/models/vrfs.py (VRF),
// ipam/models/ip.py (IPRange, and IPAddress.clean's use of both),
// ipam/api/serializers_/vrfs.py and ip.py, ipam/filtersets.py.

func ipamModels() []*model {
	return []*model{vrfModel(), ipRangeModel(),
		stubModel("ipam.routetarget", "RouteTarget", "route target", "IPAM", "ipam/route-targets"),
		stubModel("ipam.role", "Role", "role", "IPAM", "ipam/roles"),
	}
}

func vrfModel() *model {
	m := &model{label: "ipam.vrf", objectName: "VRF", verbose: "VRF", appVerbose: "IPAM", route: "ipam/vrfs",
		journaling: true}
	m.fields = []*field{
		fName("name", 100, false),
		// CharField(unique, blank, null): DRF's UniqueValidator says
		// "VRF with this route distinguisher already exists."
		{name: "rd", kind: kString, null: true, blank: true, maxLen: 21, unique: true,
			label: "route distinguisher", initial: always(nil)},
		fFK("tenant", "tenancy.tenant", protect),
		fBool("enforce_unique", true),
		fText("description", 200), fText("comments", 0),
		{name: "import_targets", kind: kPKList, target: "ipam.routetarget", initial: emptyIDs},
		{name: "export_targets", kind: kPKList, target: "ipam.routetarget", initial: emptyIDs},
		fTags(), fCustomFields(),
	}
	ips := counting("ipam.ipaddress", "vrf")
	m.full = join(fullHead(m), []out{oVal("name"), oVal("rd"), oFK("tenant", "tenancy.tenant"),
		oVal("enforce_unique"), oVal("description"), oVal("comments"),
		oFunc("import_targets", emptyList), oFunc("export_targets", emptyList)}, netboxTail(),
		[]out{oCountAnnotated("ipaddress_count", ips), oCountAnnotated("prefix_count", zero)})
	m.brief = join(head(m), vals("name", "rd", "description"), []out{oCountAnnotated("prefix_count", zero)})
	m.display = func(_ *store, r *row) string {
		if rd := r.str("rd"); rd != "" {
			return fmt.Sprintf("%s (%s)", r.str("name"), rd)
		}
		return r.str("name")
	}
	// ('name', 'rd', 'pk'), name with the natural_sort collation.
	m.order = func(_ *store, a, b *row) int {
		return cmp.Or(compareNullable(a.vals["name"], b.vals["name"], true),
			compareNullable(a.vals["rd"], b.vals["rd"], false))
	}
	m.search = []string{"name", "rd", "description"}
	m.filters = baseFilters(map[string]*filter{
		"name":           {kind: qString, path: []string{"name"}, lookups: true},
		"rd":             {kind: qString, path: []string{"rd"}, lookups: true},
		"enforce_unique": {kind: qBool, path: []string{"enforce_unique"}},
		"tenant_id":      {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
	})
	return m
}

// ipRangeStatuses is IPRangeStatusChoices.
var ipRangeStatuses = []choice{{"active", "Active"}, {"reserved", "Reserved"}, {"deprecated", "Deprecated"}}

func ipRangeModel() *model {
	m := &model{label: "ipam.iprange", objectName: "IPRange", verbose: "IP range", appVerbose: "IPAM",
		route: "ipam/ip-ranges", journaling: true}
	m.fields = []*field{
		{name: "start_address", kind: kString, required: true, parse: parseAddress},
		{name: "end_address", kind: kString, required: true, parse: parseAddress},
		fFK("vrf", "ipam.vrf", protect),
		fFK("tenant", "tenancy.tenant", protect),
		fChoice("status", ipRangeStatuses, "active"),
		fFK("role", "ipam.role", setNull),
		fText("description", 200), fText("comments", 0), fTags(), fCustomFields(),
		fBool("mark_populated", false), fBool("mark_utilized", false),
	}
	family := oFunc("family", func(_ *rctx, r *row) any {
		n, _ := storedIP(r.vals["start_address"])
		return object{{"value", n.family()}, {"label", choiceLabel(ipFamilies, itoa(int64(n.family())))}}
	})
	m.full = join(fullHead(m), []out{family, oVal("start_address"), oVal("end_address"), oVal("size"),
		oFK("vrf", "ipam.vrf"), oFK("tenant", "tenancy.tenant"), oChoice("status", ipRangeStatuses),
		oFK("role", "ipam.role"), oVal("description"), oVal("comments")}, netboxTail(),
		vals("mark_populated", "mark_utilized"))
	m.brief = join(head(m), []out{family}, vals("start_address", "end_address", "description"))
	m.display = func(_ *store, r *row) string { return ipRangeName(r) }
	// (F('vrf').asc(nulls_first=True), 'start_address', 'pk')
	m.order = func(_ *store, a, b *row) int {
		av, aok := a.vals["vrf"].(int64)
		bv, bok := b.vals["vrf"].(int64)
		switch {
		case !aok && bok:
			return -1
		case aok && !bok:
			return 1
		}
		if c := cmp.Compare(av, bv); c != 0 {
			return c
		}
		x, _ := storedIP(a.vals["start_address"])
		y, _ := storedIP(b.vals["start_address"])
		return compareInet(x, y)
	}
	m.clean = cleanIPRange
	m.searchFn = ipRangeSearch
	m.filters = baseFilters(map[string]*filter{
		"start_address":  {kind: qCustom, pred: addressPredOn("start_address")},
		"end_address":    {kind: qCustom, pred: addressPredOn("end_address")},
		"family":         {kind: qCustom, pred: familyPredOn("start_address")},
		"contains":       {kind: qCustom, pred: rangeContainsPred},
		"vrf_id":         {kind: qFK, path: []string{"vrf"}, target: "ipam.vrf"},
		"vrf":            {kind: qFKSlug, path: []string{"vrf"}, target: "ipam.vrf", toField: "rd"},
		"status":         {kind: qChoice, path: []string{"status"}, choices: ipRangeStatuses},
		"mark_populated": {kind: qBool, path: []string{"mark_populated"}},
		"mark_utilized":  {kind: qBool, path: []string{"mark_utilized"}},
		"size":           {kind: qNumber, path: []string{"size"}},
		"tenant_id":      {kind: qFK, path: []string{"tenant"}, target: "tenancy.tenant"},
		"role_id":        {kind: qFK, path: []string{"role"}, target: "ipam.role"},
	})
	return m
}

// ipRangeName is IPRange.name (its __str__): the chunks both ends share,
// then the start's and the end's others. Like NetBox it keeps every
// equal pair of chunks, not only the leading ones, so 10.0.1.5-10.0.2.5
// reads "10.0.5.1-2"... as NetBox writes it.
func ipRangeName(r *row) string {
	start, _ := storedIP(r.vals["start_address"])
	end, _ := storedIP(r.vals["end_address"])
	sep := "."
	if start.family() == 6 {
		sep = ":"
	}
	a, b := strings.Split(start.host(), sep), strings.Split(end.host(), sep)
	var base []string
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			base = append(base, a[i])
		}
	}
	tail := func(chunks []string) string {
		if len(base) >= len(chunks) {
			return ""
		}
		return strings.Join(chunks[len(base):], sep)
	}
	return fmt.Sprintf("%s%s%s-%s/%d", strings.Join(base, sep), sep, tail(a), tail(b), start.bits)
}

// maxRangeSize is IPRange.clean's MAX_SIZE.
var maxRangeSize = big.NewInt(1<<32 - 1)

// cleanIPRange is IPRange.clean, then save()'s size.
func cleanIPRange(s *store, v map[string]any, old *row) errBody {
	start, _ := storedIP(v["start_address"])
	end, _ := storedIP(v["end_address"])
	switch {
	case start.family() != end.family():
		return errBody{"end_address": []string{"Starting and ending IP address versions must match"}}
	case start.bits != end.bits:
		return errBody{"end_address": []string{"Starting and ending IP address masks must match"}}
	case compareInet(end, start) <= 0:
		return errBody{"end_address": []string{fmt.Sprintf(
			"Ending address must be greater than the starting address (%s)", start)}}
	}
	// Overlaps compare the hosts (host(x)::inet) within the same VRF.
	lo, hi := start.addr, end.addr
	var clash []*row
	for _, r := range s.rows("ipam.iprange") {
		if old != nil && r.id == old.id || r.vals["vrf"] != v["vrf"] {
			continue
		}
		rs, _ := storedIP(r.vals["start_address"])
		re, _ := storedIP(r.vals["end_address"])
		if rs.family() != start.family() {
			continue
		}
		in := func(a, from, to ipNet) bool { return a.addr.Compare(from.addr) >= 0 && a.addr.Compare(to.addr) <= 0 }
		self := ipNet{addr: lo, bits: start.bits}
		selfEnd := ipNet{addr: hi, bits: start.bits}
		if in(rs, self, selfEnd) || in(re, self, selfEnd) ||
			rs.addr.Compare(lo) <= 0 && re.addr.Compare(hi) >= 0 {
			clash = append(clash, r)
		}
	}
	if len(clash) > 0 {
		rm := s.models["ipam.iprange"]
		slices.SortFunc(clash, func(a, b *row) int { return cmp.Or(rm.order(s, a, b), cmp.Compare(a.id, b.id)) })
		vrf := "None" // str(None): NetBox formats the missing VRF as is
		if id, ok := v["vrf"].(int64); ok {
			vrf = s.display("ipam.vrf", id)
		}
		return errBody{"__all__": []string{fmt.Sprintf("Defined addresses overlap with range %s in VRF %s",
			ipRangeName(clash[0]), vrf)}}
	}
	size := new(big.Int).Sub(new(big.Int).SetBytes(hi.AsSlice()), new(big.Int).SetBytes(lo.AsSlice()))
	size.Add(size, big.NewInt(1))
	if size.Cmp(maxRangeSize) > 0 {
		return errBody{"__all__": []string{fmt.Sprintf("Defined range exceeds maximum supported size (%s)",
			maxRangeSize)}}
	}
	v["size"] = size.Int64()
	return nil
}

// populatedRange is the range IPAddress.clean refuses an address in: a
// range of the address's VRF marked populated whose start and end
// enclose it in PostgreSQL's inet order (start_address__lte,
// end_address__gte), which compares the masks too, so only an address
// with the range's mask is ever inside it. The first in the ranges'
// ordering.
func populatedRange(s *store, addr ipNet, vrf any) *row {
	rm := s.models["ipam.iprange"]
	var found *row
	for _, r := range s.rows(rm.label) {
		if r.vals["mark_populated"] != true || r.vals["vrf"] != vrf {
			continue
		}
		start, _ := storedIP(r.vals["start_address"])
		end, _ := storedIP(r.vals["end_address"])
		if start.family() != addr.family() || compareInet(start, addr) > 0 || compareInet(end, addr) < 0 {
			continue
		}
		if found == nil || cmp.Or(rm.order(s, r, found), cmp.Compare(r.id, found.id)) < 0 {
			found = r
		}
	}
	return found
}

// rangeContainsPred is search_contains: start_address <= value <=
// end_address in inet order; an unreadable value matches nothing.
func rangeContainsPred(_ *store, values []string) (func(*row) bool, string) {
	v := strings.TrimSpace(values[len(values)-1])
	if v == "" {
		return nil, ""
	}
	n, ok := parseIPNetwork(v)
	if !ok {
		return func(*row) bool { return false }, ""
	}
	return func(r *row) bool {
		start, _ := storedIP(r.vals["start_address"])
		end, _ := storedIP(r.vals["end_address"])
		return start.family() == n.family() && compareInet(start, n) <= 0 && compareInet(end, n) >= 0
	}, ""
}

// ipRangeSearch is IPRangeFilterSet.search: the description, either
// address's host (start_address__contains: Django's PostgreSQL backend
// casts an IPAddressField to HOST() for LIKE), or either address equal to
// the value read as a network.
func ipRangeSearch(_ *store, v string) func(*row) bool {
	exact, isNet := parseIPNetwork(v)
	return func(r *row) bool {
		if strings.Contains(strings.ToLower(r.str("description")), strings.ToLower(v)) {
			return true
		}
		for _, f := range []string{"start_address", "end_address"} {
			a, _ := storedIP(r.vals[f])
			if strings.Contains(a.host(), v) || isNet && a.addr == exact.addr && a.bits == exact.bits {
				return true
			}
		}
		return false
	}
}
