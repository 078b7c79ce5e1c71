package netboxsim

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// store holds every table. The Server guards it with one RWMutex: the data
// is small and one lock keeps cross-table rules (uniqueness, protection on
// delete, counts) simple and race-free.
type store struct {
	models map[string]*model // by label
	routes map[string]*model // by route, only models with endpoints
	tables map[string]*table
	last   time.Time

	prof         profile         // the NetBox release played (profiles.go)
	minor, patch int             // its version numbers (changelog.go atLeast)
	changes      []*ObjectChange // change records, oldest first, undone with their transaction (changelog.go)
	changeSeq    int64           // the last change record id handed out
	// actor is the user of the write being served (set under the write
	// lock): the user of its change records, journal entries and tokens.
	actor *row
}

type table struct {
	rows   map[int64]*row
	nextID int64
}

func newStore(models []*model) *store {
	s := &store{models: map[string]*model{}, routes: map[string]*model{}, tables: map[string]*table{}}
	for _, m := range models {
		s.models[m.label] = m
		if !m.stub {
			s.routes[m.route] = m
		}
		s.tables[m.label] = &table{rows: map[int64]*row{}, nextID: 1}
	}
	return s
}

// now returns the current time at microsecond precision (PostgreSQL's), and
// strictly after the previous call so orderings by timestamp are stable.
func (s *store) now() time.Time {
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Microsecond)
	}
	s.last = t
	return t
}

func (s *store) get(label string, id int64) *row {
	t := s.tables[label]
	if t == nil {
		return nil
	}
	return t.rows[id]
}

func (s *store) rows(label string) []*row {
	t := s.tables[label]
	out := make([]*row, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, r)
	}
	return out
}

// sorted returns m's rows in Meta.ordering, ties broken by id.
func (s *store) sorted(m *model) []*row {
	rs := s.rows(m.label)
	slices.SortFunc(rs, func(a, b *row) int {
		if m.order != nil {
			if c := m.order(s, a, b); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.id, b.id)
	})
	return rs
}

// count is how many rows of label point at id through field.
func (s *store) count(label, field string, id int64) int {
	n := 0
	if t := s.tables[label]; t != nil {
		for _, r := range t.rows {
			if r.ref(field) == id {
				n++
			}
		}
	}
	return n
}

// lookup follows path from r through foreign keys and returns the value at
// its end (nil when a link is null).
func (s *store) lookup(m *model, r *row, path []string) any {
	for i, name := range path {
		if name == "id" {
			return r.id
		}
		v := r.vals[name]
		if i == len(path)-1 {
			return v
		}
		f := m.field(name)
		id, ok := v.(int64)
		if f == nil || f.kind != kFK || !ok {
			return nil
		}
		m = s.models[f.target]
		if r = s.get(f.target, id); r == nil {
			return nil
		}
	}
	return nil
}

func (s *store) display(label string, id int64) string {
	m := s.models[label]
	r := s.get(label, id)
	if m == nil || r == nil {
		return ""
	}
	return m.display(s, r)
}

// tx groups the writes of one request so a failed bulk operation leaves
// nothing behind, as NetBox's transaction.atomic does. IDs handed out inside
// a rolled-back transaction stay used, like PostgreSQL sequences.
type tx struct {
	s    *store
	undo []func()
}

func (s *store) begin() *tx { return &tx{s: s} }

func (t *tx) put(label string, r *row) {
	tb := t.s.tables[label]
	old, had := tb.rows[r.id]
	t.undo = append(t.undo, func() {
		if had {
			tb.rows[r.id] = old
		} else {
			delete(tb.rows, r.id)
		}
	})
	tb.rows[r.id] = r
}

func (t *tx) delete(label string, id int64) {
	tb := t.s.tables[label]
	old, had := tb.rows[id]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { tb.rows[id] = old })
	delete(tb.rows, id)
}

func (t *tx) newID(label string) int64 {
	tb := t.s.tables[label]
	id := tb.nextID
	tb.nextID++
	return id
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// collate compares strings the way NetBox's PostgreSQL orders them: case
// folded first, lower case before upper case on ties. natural adds the
// "natural_sort" collation's numeric ordering of digit runs (site and
// device names), so "host2" sorts before "host10".
func collate(a, b string, natural bool) int {
	if c := compareFolded(a, b, natural); c != 0 {
		return c
	}
	return strings.Compare(swapCase(a), swapCase(b))
}

func compareFolded(a, b string, natural bool) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if !natural {
		return strings.Compare(a, b)
	}
	for a != "" && b != "" {
		ca, ra := chunk(a)
		cb, rb := chunk(b)
		da, db := isDigit(ca[0]), isDigit(cb[0])
		var c int
		switch {
		case da && db:
			na, nb := strings.TrimLeft(ca, "0"), strings.TrimLeft(cb, "0")
			if c = cmp.Compare(len(na), len(nb)); c == 0 {
				if c = strings.Compare(na, nb); c == 0 {
					c = cmp.Compare(len(ca), len(cb))
				}
			}
		case da:
			c = -1
		case db:
			c = 1
		default:
			c = strings.Compare(ca, cb)
		}
		if c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return cmp.Compare(len(a), len(b))
}

func chunk(s string) (string, string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

// compareNullable orders a nullable string column ascending with NULLs
// last, as PostgreSQL does.
func compareNullable(a, b any, natural bool) int {
	as, aok := a.(string)
	bs, bok := b.(string)
	switch {
	case !aok && !bok:
		return 0
	case !aok:
		return 1
	case !bok:
		return -1
	}
	return collate(as, bs, natural)
}
