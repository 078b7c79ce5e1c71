package netboxsim

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging limits of NetBox's defaults (PAGINATE_COUNT, MAX_PAGE_SIZE).
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// filterRows applies the query's known filters, as django-filter does:
// unknown parameters are ignored, repeated parameters are ORed, and invalid
// values of known filters fail the whole request with one message per
// parameter.
func (s *store) filterRows(m *model, rows []*row, q url.Values) ([]*row, errBody) {
	errs := errBody{}
	var preds []func(*row) bool
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := q[name]
		if name == "q" {
			if p := s.searchPred(m, values[len(values)-1]); p != nil {
				preds = append(preds, p)
			}
			continue
		}
		base, lookup, _ := strings.Cut(name, "__")
		f := m.filters[base]
		if f == nil || !f.hasLookup(lookup) {
			continue
		}
		p, msg := s.filterPred(m, f, lookup, values)
		if msg != "" {
			errs.add(name, msg)
			continue
		}
		if p != nil {
			preds = append(preds, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := rows[:0:0]
	for _, r := range rows {
		keep := true
		for _, p := range preds {
			if !p(r) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

// hasLookup says whether NetBox makes the filter with this lookup suffix
// (BaseFilterSet.get_additional_lookups): the numeric ones for numbers,
// the negation __n for foreign keys and choices, the string ones for the
// string filters marked so; "" is the filter itself.
func (f *filter) hasLookup(lookup string) bool {
	switch {
	case lookup == "":
		return true
	case f.kind == qNumber:
		return lookup == "n" || numberLookups[lookup] != nil
	case f.kind == qFK || f.kind == qFKSlug || f.kind == qChoice:
		return lookup == "n"
	case f.kind == qString || f.kind == qStringI:
		return f.lookups && stringLookups[lookup] != nil
	}
	return false
}

// numberLookups compare a number with a filter value: the filter itself
// ("") and its __lt, __lte, __gt, __gte (__n negates "").
var numberLookups = map[string]func(have, want int64) bool{
	"":    func(h, w int64) bool { return h == w },
	"lt":  func(h, w int64) bool { return h < w },
	"lte": func(h, w int64) bool { return h <= w },
	"gt":  func(h, w int64) bool { return h > w },
	"gte": func(h, w int64) bool { return h >= w },
}

// stringLookups are the lookup suffixes NetBox generates for string filters.
var stringLookups = map[string]func(have, want string) bool{
	"n":    func(h, w string) bool { return h != w },
	"ie":   strings.EqualFold,
	"nie":  func(h, w string) bool { return !strings.EqualFold(h, w) },
	"ic":   func(h, w string) bool { return strings.Contains(strings.ToLower(h), strings.ToLower(w)) },
	"nic":  func(h, w string) bool { return !strings.Contains(strings.ToLower(h), strings.ToLower(w)) },
	"isw":  func(h, w string) bool { return strings.HasPrefix(strings.ToLower(h), strings.ToLower(w)) },
	"nisw": func(h, w string) bool { return !strings.HasPrefix(strings.ToLower(h), strings.ToLower(w)) },
	"iew":  func(h, w string) bool { return strings.HasSuffix(strings.ToLower(h), strings.ToLower(w)) },
	"niew": func(h, w string) bool { return !strings.HasSuffix(strings.ToLower(h), strings.ToLower(w)) },
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// filterPred compiles one filter with its lookup suffix and the query's
// values into a test; nil when the filter does not apply, and the message
// for a value the filter refuses.
func (s *store) filterPred(m *model, f *filter, lookup string, values []string) (func(*row) bool, string) {
	if lookup == "n" && f.kind != qString && f.kind != qStringI {
		// exclude() of the filter's values: what matches none of them,
		// a null included.
		p, msg := s.filterPred(m, f, "", values)
		if p == nil {
			return nil, msg
		}
		return func(r *row) bool { return !p(r) }, ""
	}
	get := func(r *row) any { return s.lookup(m, r, f.path) }
	switch f.kind {
	case qNumber:
		return numberFilterPred(lookup, values, get)
	case qString, qStringI:
		return stringFilterPred(f, lookup, values, get)
	case qFK, qFKSlug:
		return s.fkPred(f, values, get)
	case qChoice:
		return choiceFilterPred(f, values, get)
	case qBool:
		want, ok := nullBoolean(values)
		if !ok {
			return nil, ""
		}
		return func(r *row) bool { return get(r) == want }, ""
	case qContentType:
		v := strings.ToLower(values[len(values)-1])
		if v == "" {
			return nil, ""
		}
		return func(r *row) bool { return get(r) == v }, ""
	case qTag, qTagID:
		return s.tagPred(f, values)
	case qCustom:
		return f.pred(s, values)
	}
	return nil, ""
}

// numberFilterPred is a NumberFilter with its lookup: any of the whole numbers
// given.
func numberFilterPred(lookup string, values []string, get func(*row) any) (func(*row) bool, string) {
	want, bad := wholeNumbers(values)
	if bad != "" || len(want) == 0 {
		return nil, bad
	}
	cmp := numberLookups[lookup]
	return func(r *row) bool {
		n, ok := get(r).(int64)
		return ok && slices.ContainsFunc(want, func(w int64) bool { return cmp(n, w) })
	}, ""
}

// stringFilterPred is a string filter with its lookup: any of the non-empty
// values matches, and a negated lookup must hold for all of them.
func stringFilterPred(f *filter, lookup string, values []string, get func(*row) any) (func(*row) bool, string) {
	want := nonEmpty(values)
	if len(want) == 0 {
		return nil, ""
	}
	match := func(h, w string) bool { return h == w }
	if f.kind == qStringI {
		match = strings.EqualFold
	}
	negate := false
	if lookup != "" {
		match = stringLookups[lookup]
		negate = strings.HasPrefix(lookup, "n")
	}
	return func(r *row) bool {
		h, _ := get(r).(string)
		if negate {
			// Negated lookups exclude every given value.
			for _, w := range want {
				if !match(h, w) {
					return false
				}
			}
			return true
		}
		for _, w := range want {
			if match(h, w) {
				return true
			}
		}
		return false
	}, ""
}

// choiceFilterPred is a MultipleChoiceFilter: every value must be a choice.
func choiceFilterPred(f *filter, values []string, get func(*row) any) (func(*row) bool, string) {
	want := nonEmpty(values)
	for _, v := range want {
		if choiceLabel(f.choices, v) == "" {
			return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
		}
	}
	if len(want) == 0 {
		return nil, ""
	}
	return func(r *row) bool {
		h, _ := get(r).(string)
		return slices.Contains(want, h)
	}, ""
}

// nullBoolean reads a django-filter BooleanFilter's value as Django's
// NullBooleanSelect does (the last value): true, True or 2 is true, false,
// False or 3 is false; anything else (1, 0, yes, "") is unknown, and the
// filter is not applied.
func nullBoolean(values []string) (bool, bool) {
	switch values[len(values)-1] {
	case "true", "True", "2":
		return true, true
	case "false", "False", "3":
		return false, true
	}
	return false, false
}

// fkPred is django-filter's ModelMultipleChoiceFilter: every value must be
// an existing object (by id, or by slug); "null" matches a null link.
func (s *store) fkPred(f *filter, values []string, get func(*row) any) (func(*row) bool, string) {
	target := s.models[f.target]
	var want []int64
	null := false
	for _, v := range values {
		if v == "null" {
			null = true
			continue
		}
		if f.kind == qFK {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, "“" + v + "” is not a valid value."
			}
			want = append(want, n)
			continue
		}
		for _, r := range s.rows(target.label) {
			if r.str(f.slugField()) == v {
				want = append(want, r.id)
			}
		}
	}
	for _, v := range values {
		if v == "null" {
			continue
		}
		found := false
		if f.kind == qFK {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			found = s.get(target.label, n) != nil
		} else {
			for _, r := range s.rows(target.label) {
				found = found || r.str(f.slugField()) == v
			}
		}
		if !found {
			return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
		}
	}
	return func(r *row) bool {
		id, ok := get(r).(int64)
		if !ok {
			return null
		}
		return slices.Contains(want, id)
	}, ""
}

// slugField is the field a qFKSlug filter's values name.
func (f *filter) slugField() string {
	if f.toField != "" {
		return f.toField
	}
	return "slug"
}

// tagPred is NetBox's TagFilter/TagIDFilter: conjoined, so an object must
// carry every given tag.
func (s *store) tagPred(f *filter, values []string) (func(*row) bool, string) {
	var want []int64
	for _, v := range nonEmpty(values) {
		var id int64
		if f.kind == qTagID {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, "“" + v + "” is not a valid value."
			}
			if s.get("extras.tag", n) != nil {
				id = n
			}
		} else {
			for _, t := range s.rows("extras.tag") {
				if t.str("slug") == v {
					id = t.id
				}
			}
		}
		if id == 0 {
			return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
		}
		want = append(want, id)
	}
	if len(want) == 0 {
		return nil, ""
	}
	return func(r *row) bool {
		have, _ := r.vals["tags"].([]int64)
		for _, w := range want {
			if !slices.Contains(have, w) {
				return false
			}
		}
		return true
	}, ""
}

// searchPred is the ?q= filter: a case-insensitive substring of any of the
// model's search fields. Blank searches match everything.
func (s *store) searchPred(m *model, v string) func(*row) bool {
	if m.searchFn != nil {
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		return m.searchFn(s, v)
	}
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || len(m.search) == 0 {
		return nil
	}
	return func(r *row) bool {
		for _, f := range m.search {
			if h, ok := r.vals[f].(string); ok && strings.Contains(strings.ToLower(h), v) {
				return true
			}
		}
		return false
	}
}

// orderRows applies DRF's OrderingFilter (?ordering=a,-b) for stored
// scalar fields and id; unknown fields are ignored, as DRF does.
func orderRows(m *model, rows []*row, spec string) {
	type key struct {
		name string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		name := strings.TrimPrefix(part, "-")
		if name == "id" || name == "created" || name == "last_updated" {
			keys = append(keys, key{name, desc})
			continue
		}
		if f := m.field(name); f != nil {
			switch f.kind {
			case kString, kSlug, kInt, kFloat, kBool, kChoice, kFK:
				keys = append(keys, key{name, desc})
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b *row) int {
		for _, k := range keys {
			var c int
			switch k.name {
			case "id":
				c = compareAny(a.id, b.id)
			case "created":
				c = a.created.Compare(b.created)
			case "last_updated":
				c = a.updated.Compare(b.updated)
			default:
				c = compareAny(a.vals[k.name], b.vals[k.name])
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareAny(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return collate(x, y, false)
	case int64:
		y, _ := b.(int64)
		return cmpOrdered(x, y)
	case float64:
		y, _ := b.(float64)
		return cmpOrdered(x, y)
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// page is DRF's LimitOffsetPagination as NetBox configures it.
type page struct {
	limit, offset int
}

func pageOf(q url.Values) page {
	p := page{limit: defaultLimit}
	if v, ok := lastValue(q, "limit"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			switch {
			case n == 0 || n > maxLimit:
				p.limit = maxLimit
			default:
				p.limit = n
			}
		}
	}
	if v, ok := lastValue(q, "offset"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			p.offset = n
		}
	}
	return p
}

func lastValue(q url.Values, name string) (string, bool) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// links builds DRF's next and previous URLs from the request URL.
func (p page) links(base string, u *url.URL, count int) (next, prev any) {
	q := u.Query()
	build := func(offset int, withOffset bool) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("limit", strconv.Itoa(p.limit))
		if withOffset {
			v.Set("offset", strconv.Itoa(offset))
		} else {
			v.Del("offset")
		}
		return base + u.Path + "?" + v.Encode()
	}
	if p.offset+p.limit < count {
		next = build(p.offset+p.limit, true)
	}
	if p.offset > 0 {
		if p.offset-p.limit <= 0 {
			prev = build(0, false)
		} else {
			prev = build(p.offset-p.limit, true)
		}
	}
	return next, prev
}
