package netboxsim

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// prepare validates one object of a create (old == nil) or an update of
// old the way NetBox does it, in DRF's order: field by field (types,
// required, uniqueness of single fields), then unique-together validators,
// then the serializer's validate(), then the model's full_clean() (clean()
// and constraints). It returns the complete values to store.
func (s *store) prepare(m *model, data any, old *row, partial bool) (map[string]any, errBody) {
	obj, ok := data.(*jobj)
	if !ok {
		return nil, errBody{"non_field_errors": []string{
			"Invalid data. Expected a dictionary, but got " + pyType(data) + "."}}
	}
	vals, errs := s.prepareFields(m, obj, old, partial)
	if len(errs) > 0 {
		return nil, errs
	}
	if errs := s.uniqueTogether(m, vals, old); len(errs) > 0 {
		return nil, errs
	}
	if m.validate != nil {
		if msgs := m.validate(s, vals, old); len(msgs) > 0 {
			return nil, errBody{"non_field_errors": msgs}
		}
	}
	if errs := s.fullClean(m, vals, old); len(errs) > 0 {
		return nil, errs
	}
	if _, hasCustom := vals["custom_fields"]; hasCustom { // CustomFieldsMixin.save
		vals["custom_fields"] = s.fillCustomDefaults(m.label, customData(vals["custom_fields"]))
	}
	return vals, nil
}

// prepareFields runs each writable field's conversion and validators: the
// values to store (old's values with obj's on top) and the fields' errors.
func (s *store) prepareFields(m *model, obj *jobj, old *row, partial bool) (map[string]any, errBody) {
	vals := map[string]any{}
	if old != nil {
		for k, v := range old.vals {
			vals[k] = v
		}
	}
	errs := errBody{}
	for _, f := range m.fields {
		raw, present := obj.get(f.name)
		switch {
		case f.kind == kCustom:
			s.prepareCustomData(m, f, raw, present, old, vals, errs)
		case !present:
			s.prepareAbsent(f, old, partial, vals, errs)
		default:
			v, detail := s.convert(f, raw)
			if detail != nil {
				errs[f.name] = detail
				continue
			}
			if msgs := s.fieldValidators(m, f, v, old); len(msgs) > 0 {
				errs[f.name] = msgs
				continue
			}
			vals[f.name] = v
		}
	}
	return vals, errs
}

// prepareCustomData is CustomFieldsDataField (models_customfields.go): a
// create without it gets every field's default; an update keeps the
// object's data and merges what is given.
func (s *store) prepareCustomData(m *model, f *field, raw any, present bool, old *row, vals map[string]any, errs errBody) {
	switch {
	case !present && old == nil:
		vals[f.name] = s.defaultCustomData(m.label)
	case !present:
	case raw == nil:
		errs.add(f.name, "This field may not be null.")
	default:
		data, detail := s.convertCustomData(m, raw, old)
		if detail != nil {
			errs[f.name] = detail
			return
		}
		vals[f.name] = data
	}
}

// prepareAbsent handles a field the request leaves out: required on a
// create or a full update, its initial value on a create, reset to it by
// a full update where the field says so, else kept.
func (s *store) prepareAbsent(f *field, old *row, partial bool, vals map[string]any, errs errBody) {
	if (old == nil || !partial) && f.required {
		errs.add(f.name, "This field is required.")
		return
	}
	if old == nil || (!partial && f.reset) {
		vals[f.name] = initial(f)
		if f.kind == kUser && old == nil { // CurrentUserDefault
			vals[f.name] = s.actorID()
		}
	}
}

// uniqueTogether is the serializer's unique-together validators.
func (s *store) uniqueTogether(m *model, vals map[string]any, old *row) errBody {
	errs := errBody{}
	for _, u := range m.uniques {
		if u.kind == uTogether && s.violates(m, u, vals, old) {
			errs.add("non_field_errors", fmt.Sprintf("The fields %s must make a unique set.", strings.Join(u.fields, ", ")))
		}
	}
	return errs
}

// fullClean is the model's full_clean(): clean() (custom fields first: it
// is the base class's clean), then the constraints whose fields passed.
func (s *store) fullClean(m *model, vals map[string]any, old *row) errBody {
	errs := errBody{}
	_, hasCustom := vals["custom_fields"]
	if msg := s.cleanCustomData(m, customData(vals["custom_fields"]), old); hasCustom && msg != "" {
		errs.add("__all__", msg)
	} else if m.clean != nil {
		for k, v := range m.clean(s, vals, old) {
			errs[k] = v
		}
	}
	for _, u := range m.uniques {
		if u.kind != uModel || slices.ContainsFunc(u.fields, errs.has) {
			continue
		}
		if s.violates(m, u, vals, old) {
			errs.add("__all__", u.msg)
		}
	}
	return errs
}

func initial(f *field) any {
	if f.initial == nil {
		return nil
	}
	return f.initial()
}

// violates reports whether another row already holds vals' combination.
func (s *store) violates(m *model, u unique, vals map[string]any, old *row) bool {
	if u.when != nil && !u.when(vals) {
		return false
	}
	for _, f := range u.fields {
		if vals[f] == nil {
			return false
		}
	}
	for _, r := range s.tables[m.label].rows {
		if old != nil && r.id == old.id {
			continue
		}
		if u.when != nil && !u.when(r.vals) {
			continue
		}
		same := true
		for _, f := range u.fields {
			if !sameValue(r.vals[f], vals[f], u.fold) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func sameValue(a, b any, fold bool) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		if fold {
			return strings.EqualFold(as, bs)
		}
		return as == bs
	}
	return a == b
}

// fieldValidators runs DRF's field validators on a converted value:
// uniqueness, then length, range and pattern. Like DRF it skips them for
// null and blank values.
func (s *store) fieldValidators(m *model, f *field, v any, old *row) []string {
	if v == nil || v == "" {
		return nil
	}
	var msgs []string
	if f.unique && s.violates(m, unique{fields: []string{f.name}}, map[string]any{f.name: v}, old) {
		label := f.label
		if label == "" {
			label = strings.ReplaceAll(f.name, "_", " ")
		}
		msgs = append(msgs, fmt.Sprintf("%s with this %s already exists.", m.verbose, label))
	}
	if f.check != nil {
		msgs = append(msgs, f.check(s, v, old)...)
	}
	switch t := v.(type) {
	case string:
		if f.maxLen > 0 && utf8.RuneCountInString(t) > f.maxLen {
			msgs = append(msgs, fmt.Sprintf("Ensure this field has no more than %d characters.", f.maxLen))
		}
		if f.pattern != nil && !f.pattern.MatchString(t) {
			msgs = append(msgs, f.badMsg)
		}
	case int64:
		msgs = append(msgs, rangeMsgs(f, float64(t))...)
	case float64:
		msgs = append(msgs, rangeMsgs(f, t)...)
	}
	return msgs
}

func rangeMsgs(f *field, x float64) []string {
	var msgs []string
	if f.max != nil && x > *f.max {
		msgs = append(msgs, fmt.Sprintf("Ensure this value is less than or equal to %s.", num(*f.max)))
	}
	if f.min != nil && x < *f.min {
		msgs = append(msgs, fmt.Sprintf("Ensure this value is greater than or equal to %s.", num(*f.min)))
	}
	return msgs
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// convert is the field's to_internal_value: it returns the value to store,
// or the error detail ([]string, or a nested error object for lists).
func (s *store) convert(f *field, raw any) (any, any) {
	if raw == nil {
		switch {
		case f.null:
			return nil, nil
		case f.kind == kChoice:
			raw = "" // NetBox's ChoiceField turns null into "" unless allow_null
		default:
			return nil, []string{"This field may not be null."}
		}
	}
	if f.parse != nil {
		v, msgs := f.parse(raw)
		if msgs != nil {
			return nil, msgs
		}
		return v, nil
	}
	switch f.kind {
	case kString, kSlug:
		return convertString(f, raw)
	case kInt:
		n, ok := pyInt(raw)
		if !ok {
			return invalid("A valid integer is required.")
		}
		return n, nil
	case kFloat:
		return convertFloat(raw)
	case kBool:
		return convertBool(raw)
	case kChoice:
		return convertChoice(f, raw)
	case kFK:
		id, msg := s.resolve(f.target, raw)
		if msg != "" {
			return invalid(msg)
		}
		return id, nil
	case kTags:
		return s.convertTags(raw)
	case kJSON:
		return raw, nil
	case kContentType:
		label, msg := s.contentType(raw)
		if msg != "" {
			return invalid(msg)
		}
		return label, nil
	case kContentTypes:
		return s.convertContentTypes(f, raw)
	case kPKList:
		return s.convertPKList(f, raw)
	case kTerminations:
		return s.convertTerminations(raw) // models_cable.go
	case kUser:
		return s.convertUser(raw)
	case kDateTime:
		return convertDateTime(raw)
	}
	return nil, []string{"unsupported field"}
}

// invalid is a conversion's failure with one message.
func invalid(msg string) (any, any) { return nil, []string{msg} }

// convertString is CharField (and SlugField before its validators): a
// number is taken as its text, the value is stripped.
func convertString(f *field, raw any) (any, any) {
	var str string
	switch t := raw.(type) {
	case string:
		str = t
	case json.Number:
		str = pyStr(t)
	default:
		return invalid("Not a valid string.")
	}
	str = strings.TrimSpace(str)
	if str == "" && !f.blank {
		return invalid("This field may not be blank.")
	}
	return str, nil
}

// convertFloat is FloatField: a number or numeric text, finite.
func convertFloat(raw any) (any, any) {
	var x float64
	var err error
	switch t := raw.(type) {
	case json.Number:
		x, err = t.Float64()
	case string:
		x, err = strconv.ParseFloat(strings.TrimSpace(t), 64)
	default:
		err = fmt.Errorf("not a number")
	}
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return invalid("A valid number is required.")
	}
	return x, nil
}

// convertBool is BooleanField: true and false, 0 and 1, and DRF's words
// for them.
func convertBool(raw any) (any, any) {
	switch t := raw.(type) {
	case bool:
		return t, nil
	case json.Number:
		if x, err := t.Float64(); err == nil && (x == 0 || x == 1) {
			return x == 1, nil
		}
	case string:
		switch t {
		case "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1":
			return true, nil
		case "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0":
			return false, nil
		}
	}
	return invalid("Must be a valid boolean.")
}

// convertTags is the tags list: each tag by id or attributes, each once.
func (s *store) convertTags(raw any) (any, any) {
	list, ok := raw.([]any)
	if !ok {
		return nil, notAList(raw)
	}
	ids := []int64{}
	for _, item := range list {
		id, msg := s.resolve("extras.tag", item)
		if msg != "" {
			return invalid(msg)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// convertContentTypes is a list of content types, each once; a custom
// field's object types must be models with custom fields.
func (s *store) convertContentTypes(f *field, raw any) (any, any) {
	list, ok := raw.([]any)
	if !ok {
		return invalid(fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw)))
	}
	labels := []string{}
	for _, item := range list {
		label, msg := s.contentType(item)
		if msg == "" && f.feature == "custom_fields" && !hasCustomFields(s.models[label]) {
			msg = "Invalid content type: " + label
		}
		if msg != "" {
			return invalid(msg)
		}
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	return labels, nil
}

// convertPKList is a PrimaryKeyRelatedField(many=True).
func (s *store) convertPKList(f *field, raw any) (any, any) {
	list, ok := raw.([]any)
	if !ok {
		return invalid(fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw)))
	}
	ids := []int64{}
	for _, item := range list {
		id, msg := s.pk(f.target, item)
		if msg != "" {
			return invalid(msg)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// convertUser is a PrimaryKeyRelatedField to a user: a number or numeric
// text naming an existing user.
func (s *store) convertUser(raw any) (any, any) {
	if _, ok := raw.(json.Number); !ok {
		if _, ok := raw.(string); !ok {
			return invalid("Incorrect type. Expected pk value, received " + pyType(raw) + ".")
		}
	}
	id, ok := pyInt(raw)
	if !ok || s.get("users.user", id) == nil {
		return invalid(fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", pyStr(raw)))
	}
	return id, nil
}

// convertDateTime is DateTimeField with ISO 8601 input.
func convertDateTime(raw any) (any, any) {
	str, ok := raw.(string)
	t, valid := parseDateTime(str)
	if !ok || !valid {
		return invalid("Datetime has wrong format. Use one of these formats instead: " +
			"YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")
	}
	return t, nil
}

// notAList is a ListSerializer's error for a non-list value.
func notAList(raw any) any {
	return map[string][]string{"non_field_errors": {
		fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw))}}
}

// convertChoice is NetBox's ChoiceField.to_internal_value.
func convertChoice(f *field, raw any) (any, any) {
	switch t := raw.(type) {
	case string:
		if t == "" {
			if f.blank {
				return "", nil
			}
			return invalid("This field may not be blank.")
		}
		switch strings.ToLower(t) {
		case "true":
			raw = true
		case "false":
			raw = false
		default:
			if _, err := strconv.Atoi(t); err == nil {
				raw = json.Number(t)
			}
		}
	case []any, *jobj:
		return invalid(`Value must be passed directly (e.g. "foo": 123); do not use a dictionary or list.`)
	}
	if v, ok := raw.(string); ok {
		for _, c := range f.choices {
			if c.value == v {
				return v, nil
			}
		}
	}
	return invalid(pyStr(raw) + " is not a valid choice.")
}

// pyInt converts like DRF's IntegerField: int(str(value)) after dropping a
// trailing ".0".
func pyInt(raw any) (int64, bool) {
	var str string
	switch t := raw.(type) {
	case json.Number:
		str = string(t)
	case string:
		str = t
	default:
		return 0, false
	}
	str = trailingZeros.ReplaceAllString(strings.TrimSpace(str), "")
	n, err := strconv.ParseInt(str, 10, 64)
	return n, err == nil
}

var trailingZeros = regexp.MustCompile(`\.0*\s*$`)

// resolve is get_related_object_by_attrs: a foreign key given as a numeric
// id or as a dict of attributes that must match exactly one object.
func (s *store) resolve(target string, raw any) (int64, string) {
	if o, ok := raw.(*jobj); ok {
		params := &jobj{m: map[string]any{}}
		flattenParams(o, "", params)
		// Django resolves the lookups before it queries: a bad keyword
		// fails even when the table is empty.
		if _, err := s.matchParams(target, &row{vals: map[string]any{}}, params); err != "" {
			return 0, err
		}
		var found []*row
		for _, r := range s.sorted(s.models[target]) {
			match, err := s.matchParams(target, r, params)
			if err != "" {
				return 0, err
			}
			if match {
				found = append(found, r)
			}
		}
		switch len(found) {
		case 0:
			return 0, "Related object not found using the provided attributes: " + pyRepr(params)
		case 1:
			return found[0].id, ""
		}
		return 0, "Multiple objects match the provided attributes: " + pyRepr(params)
	}
	var id int64
	switch t := raw.(type) {
	case bool:
		if t {
			id = 1
		}
	case json.Number:
		n, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			f, ferr := t.Float64()
			if ferr != nil {
				return 0, unrecognized(raw)
			}
			n = int64(f)
		}
		id = n
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
		if err != nil {
			return 0, unrecognized(raw)
		}
		id = n
	default:
		return 0, unrecognized(raw)
	}
	if s.get(target, id) == nil {
		return 0, fmt.Sprintf("Related object not found using the provided numeric ID: %d", id)
	}
	return id, ""
}

func unrecognized(raw any) string {
	return "Related objects must be referenced by numeric ID or by dictionary of attributes. " +
		"Received an unrecognized value: " + pyStr(raw)
}

// flattenParams is dict_to_filter_params: {"a": {"b": 1}} -> {"a__b": 1}.
func flattenParams(o *jobj, prefix string, into *jobj) {
	for _, k := range o.keys {
		v := o.m[k]
		if sub, ok := v.(*jobj); ok {
			flattenParams(sub, prefix+k+"__", into)
			continue
		}
		if _, dup := into.m[prefix+k]; !dup {
			into.keys = append(into.keys, prefix+k)
		}
		into.m[prefix+k] = v
	}
}

// matchParams applies Django filter params (field paths joined by "__")
// to one row.
func (s *store) matchParams(label string, r *row, params *jobj) (bool, string) {
	for _, k := range params.keys {
		m := s.models[label]
		cur := r
		parts := strings.Split(k, "__")
		var got any
		for i, p := range parts {
			if p == "id" || p == "pk" {
				if cur == nil {
					got = nil
				} else {
					got = cur.id
				}
				if i != len(parts)-1 {
					return false, fieldError(p, m)
				}
				break
			}
			f := m.field(p)
			if f == nil {
				return false, fieldError(p, m)
			}
			if cur == nil {
				got = nil
			} else {
				got = cur.vals[p]
			}
			if i == len(parts)-1 {
				break
			}
			if f.kind != kFK {
				return false, fmt.Sprintf("Unsupported lookup '%s' for %s or join on the field not permitted.",
					strings.Join(parts[i+1:], "__"), p)
			}
			id, _ := got.(int64)
			m = s.models[f.target]
			cur = s.get(f.target, id)
		}
		if !paramEquals(got, params.m[k]) {
			return false, ""
		}
	}
	return true, ""
}

func fieldError(name string, m *model) string {
	choices := []string{"id"}
	for _, f := range m.fields {
		choices = append(choices, f.name)
	}
	slices.Sort(choices)
	return fmt.Sprintf("Cannot resolve keyword '%s' into field. Choices are: %s", name, strings.Join(choices, ", "))
}

func paramEquals(stored, given any) bool {
	if given == nil {
		return stored == nil
	}
	switch st := stored.(type) {
	case nil:
		return false
	case string:
		return st == pyStr(given)
	case int64:
		n, ok := pyInt(given)
		return ok && n == st
	case bool:
		b, ok := given.(bool)
		return ok && b == st
	case float64:
		if n, ok := given.(json.Number); ok {
			f, err := n.Float64()
			return err == nil && f == st
		}
	}
	return false
}

// pk is DRF's PrimaryKeyRelatedField.
func (s *store) pk(target string, raw any) (int64, string) {
	switch raw.(type) {
	case json.Number, string:
	default:
		return 0, "Incorrect type. Expected pk value, received " + pyType(raw) + "."
	}
	id, ok := pyInt(raw)
	if !ok || s.get(target, id) == nil {
		return 0, fmt.Sprintf("Invalid pk \"%s\" - object does not exist.", pyStr(raw))
	}
	return id, ""
}

// contentType is NetBox's ContentTypeField: "app_label.model".
func (s *store) contentType(raw any) (string, string) {
	str, ok := raw.(string)
	parts := strings.Split(str, ".")
	if !ok || len(parts) != 2 {
		return "", "Invalid value. Specify a content type as '<app_label>.<model_name>'."
	}
	if _, known := s.models[str]; !known {
		return "", "Invalid content type: " + str
	}
	return str, ""
}

// deletion planning: what deleting one object takes with it, and what
// stops it (PROTECT), following on_delete of every foreign key.
type delPlan struct {
	deletes   []ref
	nulls     []nullRef
	untag     []ref // rows that lose a deleted tag
	protected []ref
	seen      map[ref]bool
}

type ref struct {
	label string
	id    int64
}

type nullRef struct {
	ref
	field string
}

func (s *store) planDelete(p *delPlan, m *model, id int64) {
	if p.seen == nil {
		p.seen = map[ref]bool{}
	}
	me := ref{m.label, id}
	if p.seen[me] {
		return
	}
	p.seen[me] = true
	p.deletes = append(p.deletes, me)
	for _, cm := range s.models {
		for _, f := range cm.fields {
			if f.kind == kTags && m.label == "extras.tag" {
				for _, r := range s.tables[cm.label].rows {
					if ids, _ := r.vals["tags"].([]int64); slices.Contains(ids, id) {
						p.untag = append(p.untag, ref{cm.label, r.id})
					}
				}
			}
			if f.kind != kFK || f.target != m.label {
				continue
			}
			for _, r := range s.sorted(cm) {
				if r.ref(f.name) != id {
					continue
				}
				switch f.onDelete {
				case protect:
					p.protected = append(p.protected, ref{cm.label, r.id})
				case cascade:
					s.planDelete(p, cm, r.id)
				case setNull:
					p.nulls = append(p.nulls, nullRef{ref{cm.label, r.id}, f.name})
				}
			}
		}
	}
	for _, cm := range s.models {
		for _, g := range cm.generic {
			if !g.cascades(m) {
				continue
			}
			for _, r := range s.sorted(cm) {
				if r.str(g.typeField) == m.label && r.vals[g.idField] == id {
					s.planDelete(p, cm, r.id)
				}
			}
		}
	}
}

// protectedMsg is the 409 body NetBox builds from a ProtectedError.
func (s *store) protectedMsg(p *delPlan) string {
	var parts []string
	for _, r := range p.protected {
		if p.seen[r] {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", s.display(r.label, r.id), r.id))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Unable to delete object. %d dependent objects were found: %s", len(parts),
		strings.Join(parts, ", "))
}

func (s *store) applyDelete(t *tx, p *delPlan) {
	for _, n := range p.nulls {
		if p.seen[n.ref] {
			continue
		}
		if r := s.get(n.label, n.id); r != nil {
			t.put(n.label, withVal(r, n.field, nil))
		}
	}
	for _, u := range p.untag {
		if p.seen[u] {
			continue
		}
		if r := s.get(u.label, u.id); r != nil {
			ids, _ := r.vals["tags"].([]int64)
			var keep []int64
			for _, id := range ids {
				if !p.seen[ref{"extras.tag", id}] {
					keep = append(keep, id)
				}
			}
			t.put(u.label, withVal(r, "tags", append([]int64{}, keep...)))
		}
	}
	for _, d := range p.deletes {
		t.delete(d.label, d.id)
	}
}

func withVal(r *row, field string, v any) *row {
	n := &row{id: r.id, vals: map[string]any{}, created: r.created, updated: r.updated}
	for k, x := range r.vals {
		n.vals[k] = x
	}
	n.vals[field] = v
	return n
}

// jsonValue turns decoded request JSON back into renderable values.
func jsonValue(v any) any {
	switch t := v.(type) {
	case *jobj:
		o := make(object, 0, len(t.keys))
		for _, k := range t.keys {
			o = append(o, kv{k, jsonValue(t.m[k])})
		}
		return o
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}
