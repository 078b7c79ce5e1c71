package netboxsim

import (
	"slices"
	"strconv"
	"time"
)

// rctx is what rendering one response needs to know.
type rctx struct {
	s    *store
	base string // scheme://host of the request: NetBox builds absolute URLs
	// annotated is true when the object came from the view's queryset, which
	// carries the related-object count annotations. A freshly created object
	// and objects nested in another do not, so DRF skips those count fields.
	annotated bool
	// partial is true while rendering a PATCH response: DRF skips fields
	// whose value would come from a default (e.g. a nested role's
	// device_count).
	partial bool
	exclude map[string]bool
	// model is the model of the object being rendered (custom fields
	// depend on it).
	model *model
}

func (rc *rctx) nested() *rctx {
	c := *rc
	c.annotated = false
	c.exclude = nil
	return &c
}

func (rc *rctx) render(m *model, r *row, brief bool) object {
	prev := rc.model
	rc.model = m
	defer func() { rc.model = prev }()
	outs := m.full
	if brief {
		outs = m.brief
	}
	o := make(object, 0, len(outs))
	for _, e := range outs {
		if rc.exclude[e.name] {
			continue
		}
		if v, ok := e.fn(rc, r); ok {
			o = append(o, kv{e.name, v})
		}
	}
	return o
}

func (rc *rctx) apiURL(m *model, id int64) string {
	return rc.base + "/api/" + m.route + "/" + strconv.FormatInt(id, 10) + "/"
}

// timestamp renders like DRF's DateTimeField: ISO 8601, microseconds only
// when non-zero, "Z" for UTC.
func timestamp(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.UTC().Format("2006-01-02T15:04:05Z")
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// Builders for the entries of a representation.

func oID() out {
	return out{"id", func(_ *rctx, r *row) (any, bool) { return r.id, true }}
}

func oURL(m *model) out {
	return out{"url", func(rc *rctx, r *row) (any, bool) { return rc.apiURL(m, r.id), true }}
}

func oDisplayURL(m *model) out {
	return out{"display_url", func(rc *rctx, r *row) (any, bool) {
		return rc.base + "/" + m.route + "/" + strconv.FormatInt(r.id, 10) + "/", true
	}}
}

func oDisplay(m *model) out {
	return out{"display", func(rc *rctx, r *row) (any, bool) { return m.display(rc.s, r), true }}
}

// oVal renders a stored scalar as is (strings, numbers, booleans, null, JSON).
func oVal(name string) out {
	return out{name, func(_ *rctx, r *row) (any, bool) { return r.vals[name], true }}
}

// oChoice renders NetBox's ChoiceField: {"value","label"}, null when blank.
func oChoice(name string, cs []choice) out {
	return out{name, func(_ *rctx, r *row) (any, bool) {
		v, _ := r.vals[name].(string)
		if v == "" {
			return nil, true
		}
		return object{{"value", v}, {"label", choiceLabel(cs, v)}}, true
	}}
}

// oFK renders a foreign key as the target's brief representation.
func oFK(name, target string) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		id, ok := r.vals[name].(int64)
		if !ok {
			return nil, true
		}
		m := rc.s.models[target]
		t := rc.s.get(target, id)
		if m == nil || t == nil {
			return nil, true
		}
		return rc.nested().render(m, t, true), true
	}}
}

func oTags() out {
	return out{"tags", func(rc *rctx, r *row) (any, bool) {
		ids, _ := r.vals["tags"].([]int64)
		m := rc.s.models["extras.tag"]
		var tags []*row
		for _, id := range ids {
			if t := rc.s.get(m.label, id); t != nil {
				tags = append(tags, t)
			}
		}
		slices.SortFunc(tags, func(a, b *row) int { return m.order(rc.s, a, b) })
		list := make([]any, 0, len(tags))
		nc := rc.nested()
		for _, t := range tags {
			list = append(list, nc.renderWith(m, t, nestedTag))
		}
		return list, true
	}}
}

// nestedTag is NestedTagSerializer's field list, which differs from the
// tag's brief form.
var nestedTag = []string{"id", "url", "display_url", "display", "name", "slug", "color"}

func (rc *rctx) renderWith(m *model, r *row, names []string) object {
	prev := rc.model
	rc.model = m
	defer func() { rc.model = prev }()
	o := make(object, 0, len(names))
	for _, n := range names {
		for _, e := range m.full {
			if e.name == n {
				if v, ok := e.fn(rc, r); ok {
					o = append(o, kv{n, v})
				}
				break
			}
		}
	}
	return o
}

func oCreated() out {
	return out{"created", func(_ *rctx, r *row) (any, bool) { return timestamp(r.created), true }}
}

func oUpdated() out {
	return out{"last_updated", func(_ *rctx, r *row) (any, bool) { return timestamp(r.updated), true }}
}

// oCountAnnotated is a RelatedObjectCountField: present only when the
// object came from the annotated queryset (lists, retrieves, updates).
func oCountAnnotated(name string, n func(s *store, r *row) int) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		if !rc.annotated {
			return nil, false
		}
		return n(rc.s, r), true
	}}
}

// oCountDefault is an IntegerField(read_only=True, default=0) filled by a
// queryset annotation: the real count when annotated, else the default 0,
// which DRF skips on partial updates.
func oCountDefault(name string, n func(s *store, r *row) int) out {
	return out{name, func(rc *rctx, r *row) (any, bool) {
		switch {
		case rc.annotated:
			return n(rc.s, r), true
		case rc.partial:
			return nil, false
		}
		return 0, true
	}}
}

// oCounter is a model counter-cache field (e.g. interface_count): always there.
func oCounter(name string, n func(s *store, r *row) int) out {
	return out{name, func(rc *rctx, r *row) (any, bool) { return n(rc.s, r), true }}
}

// value renders o for r, nil where the key would be left out.
func (o out) value(rc *rctx, r *row) any {
	v, _ := o.fn(rc, r)
	return v
}

func oConst(name string, v any) out {
	return out{name, func(*rctx, *row) (any, bool) { return v, true }}
}

func oFunc(name string, fn func(rc *rctx, r *row) any) out {
	return out{name, func(rc *rctx, r *row) (any, bool) { return fn(rc, r), true }}
}

// counting returns a count of label rows whose field points at the object.
func counting(label, field string) func(s *store, r *row) int {
	return func(s *store, r *row) int { return s.count(label, field, r.id) }
}

func zero(*store, *row) int { return 0 }
