package netboxsim

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The change log: core.ObjectChange records and NetBox's read-only
// /api/core/object-changes/ (core/api/views.py ObjectChangeViewSet,
// core/api/serializers_/change_logging.py, core/filtersets.py
// ObjectChangeFilterSet, core/models/change_logging.py, core/signals.py).
//
// Recording. Every object a request creates, updates or deletes gets one
// record, in the request's transaction (a failed request leaves none),
// with the request's X-Request-ID as request_id and the token's user:
//
//   - create: prechange null, postchange the object (to_objectchange).
//   - update: prechange the object before, postchange after; an update
//     that changes nothing is not recorded (CHANGELOG_SKIP_EMPTY_CHANGES,
//     True by default: last_updated is left out of both, so they compare
//     equal and has_changes is false).
//   - delete (handle_deleted_object): one record per deleted object,
//     cascades and generic relations included, in the order Django's
//     Collector sends pre_delete (deletionOrder: dependents first),
//     prechange the object, postchange null. Right after each, every
//     object not itself deleted whose nullable foreign key pointed at it
//     (the SET_NULL ones here, OneToOneFields aside) is set to null and
//     saved: an update record each. Tags removed from objects with a
//     deleted tag are not recorded (taggit's relation is no
//     ManyToManyRel, so NetBox skips it). Not simulated: NetBox also
//     nulls and saves nullable CASCADE keys and objects the same
//     deletion removes later, and removes many-to-many links with a
//     record.
//
// The related object is the device of an interface (device components),
// the assigned object of an IP address, the virtual machine of a VM
// interface or disk, none otherwise; the serializer has no field for it
// (not in 4.3 to 4.6), but the related_object_* filters see it.
//
// The data is serialize_object()'s: the model's fields with foreign keys
// as ids, many-to-many fields as lists of ids, content types as their ids
// (ContentTypeID), custom_fields, tags as sorted names, and created (as
// DjangoJSONEncoder writes it, milliseconds). The simulator knows only the
// fields its serializers write, so compared with NetBox the data lacks the
// model-only fields (counter caches such as interface_count, cable and
// cable_end, mark_connected's siblings, private _name/_path fields,
// config_template where not writable, ...), and decimal fields are JSON
// numbers where NetBox writes strings ("1.50"). The API shows the data as
// ObjectChange.prechange_data_clean does: created, last_updated and keys
// starting with "_" left out, {} for none (a create's prechange_data, a
// delete's postchange_data), keys in PostgreSQL jsonb order (shorter
// first, then bytewise).
//
// Reading. GET (and HEAD, OPTIONS) only; other methods are 405 after
// authentication and the read-only token check, like any DRF viewset.
// Reading needs the core.view_objectchange permission (the Options
// tokens are a superuser's; perms.go). The view is DRF's own
// ReadOnlyModelViewSet, not NetBox's BaseViewSet: the permission's
// constraints do not restrict the list, only a detail read
// (has_object_permission: 404 "Not found."), and ?fields= is not
// honoured. brief changes nothing: the
// serializer has no brief_fields. Lists are newest first (Meta.ordering
// -time), ordering= takes the serializer's model fields, and paging is
// the other lists'. Filters: see changeFilter.
//
// Versions: 4.4 adds "message" (the write's changelog_message) after
// changed_object and searches it with q; related_object_type takes
// "app_label.model" from 4.4.4 (a content type id before); 4.5 adds
// "object_repr" before message; from 4.5.3 changed_object_type and
// related_object_type take several values (MultiValueContentTypeFilter).

// UserName is the username of the superuser the Options tokens belong to
// (id 1): the user of the change records their writes make. A token made
// through /api/users/tokens/ records its own user.
const UserName = "admin"

// ObjectChange is a change record (core.ObjectChange). Prechange and
// Postchange hold the data as stored, with created (nil for a create's
// prechange and a delete's postchange); the API renders them cleaned.
// The maps are shared: do not modify them.
type ObjectChange struct {
	ID          int64          `json:"id"`
	Time        time.Time      `json:"time"`
	UserID      int64          `json:"user_id"`
	UserName    string         `json:"user_name"`
	RequestID   string         `json:"request_id"`
	Action      string         `json:"action"` // create, update, delete
	ObjectType  string         `json:"changed_object_type"`
	ObjectID    int64          `json:"changed_object_id"`
	RelatedType string         `json:"related_object_type,omitempty"` // "" for none
	RelatedID   int64          `json:"related_object_id,omitempty"`
	ObjectRepr  string         `json:"object_repr"`
	Message     string         `json:"message"` // changelog_message (4.4+; always empty on 4.3)
	Prechange   map[string]any `json:"prechange_data"`
	Postchange  map[string]any `json:"postchange_data"`
}

// ObjectChanges returns a copy of the change records, oldest first.
func (s *Server) ObjectChanges() []ObjectChange {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]ObjectChange, len(s.st.changes))
	for i, c := range s.st.changes {
		out[i] = *c
	}
	return out
}

// AgeObjectChanges moves the time of every change record so far back by
// d, as if those changes had been made d earlier (a test's setup that
// should lie outside a client's time_after window). Objects keep their
// created and last_updated.
func (s *Server) AgeObjectChanges(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.st.changes {
		c.Time = c.Time.Add(-d)
	}
}

var actionLabels = map[string]string{"create": "Created", "update": "Updated", "delete": "Deleted"}

// relatedFields names, for the models whose to_objectchange sets a related
// object, the foreign key that holds it.
var relatedFields = map[string]string{
	"dcim.interface":             "device",
	"dcim.consoleport":           "device",
	"dcim.consoleserverport":     "device",
	"dcim.powerport":             "device",
	"dcim.poweroutlet":           "device",
	"dcim.frontport":             "device",
	"dcim.rearport":              "device",
	"dcim.devicebay":             "device",
	"dcim.modulebay":             "device",
	"dcim.inventoryitem":         "device",
	"virtualization.vminterface": "virtual_machine",
	"virtualization.virtualdisk": "virtual_machine",
}

// related is the related object to_objectchange gives r.
func (s *store) related(m *model, r *row) (string, int64) {
	if m.label == "ipam.ipaddress" {
		label, _ := r.vals["assigned_object_type"].(string)
		id, _ := r.vals["assigned_object_id"].(int64)
		if label == "" || s.get(label, id) == nil {
			return "", 0
		}
		return label, id
	}
	name, ok := relatedFields[m.label]
	f := m.field(name)
	if !ok || f == nil || f.kind != kFK {
		return "", 0
	}
	id := r.ref(name)
	if s.get(f.target, id) == nil {
		return "", 0
	}
	return f.target, id
}

// changeMessage is the changelog_message a write carries (4.4+):
// ChangeLogMessageSerializer keeps the raw value, to_objectchange stores
// it or "".
func (h *handler) changeMessage(item any) string {
	o, ok := item.(*jobj)
	if !ok || !h.st.prof.since(4) {
		return ""
	}
	if v, present := o.get("changelog_message"); present && v != nil {
		return pyStr(v)
	}
	return ""
}

// recordChange records a create (old nil) or an update of old into r,
// written by this request with item as its data.
func (h *handler) recordChange(t *tx, action string, old, r *row, item any) {
	h.st.record(t, h.m, action, old, r, h.changeMessage(item), h.reqID)
}

// record adds a change record to the transaction. cur is the object after
// the change (nil for a delete), old before it (nil for a create).
func (s *store) record(t *tx, m *model, action string, old, cur *row, msg, reqID string) {
	if m.noChangelog {
		return
	}
	c := &ObjectChange{UserID: simUserID, UserName: UserName, RequestID: reqID, Action: action,
		ObjectType: m.label, Message: msg}
	if s.actor != nil {
		c.UserID, c.UserName = s.actor.id, s.actor.str("username")
	}
	subject := cur
	if old != nil {
		c.Prechange = s.serialize(m, old)
	}
	if cur != nil {
		c.Postchange = s.serialize(m, cur)
		c.Time = cur.updated
	} else {
		subject = old
		c.Time = s.now()
	}
	if action == "update" && reflect.DeepEqual(c.Prechange, c.Postchange) {
		return // has_changes is false: nothing to record
	}
	c.ObjectID = subject.id
	c.RelatedType, c.RelatedID = s.related(m, subject)
	c.ObjectRepr = truncateRunes(m.display(s, subject), 200)
	s.changeSeq++
	c.ID = s.changeSeq // like a sequence, not given back on rollback
	s.changes = append(s.changes, c)
	n := len(s.changes)
	t.undo = append(t.undo, func() { s.changes = s.changes[:n-1] })
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// applyDelete deletes what p plans and records it as NetBox's pre_delete
// handler does. item is the request's data for the object deleted first
// (its changelog_message; the cascade carries none).
func (h *handler) applyDelete(t *tx, p *delPlan, item any) {
	st := h.st
	for _, d := range st.deletionOrder(p) {
		r := st.get(d.label, d.id)
		if r == nil {
			continue
		}
		msg := ""
		if d == p.deletes[0] {
			msg = h.changeMessage(item)
		}
		st.record(t, st.models[d.label], "delete", r, nil, msg, h.reqID)
		if dm := st.models[d.label]; dm.afterSave != nil {
			dm.afterSave(st, t, r, nil)
		}
		for _, n := range p.nulls {
			cm := st.models[n.label]
			f := cm.field(n.field)
			cur := st.get(n.label, n.id)
			if p.seen[n.ref] || f == nil || f.target != d.label || cur == nil || cur.ref(n.field) != d.id ||
				oneToOne[n.label+"."+n.field] {
				continue
			}
			nr := withVal(cur, n.field, nil)
			nr.updated = st.now() // obj.save()
			t.put(n.label, nr)
			st.record(t, cm, "update", cur, nr, "", h.reqID)
		}
	}
	st.applyDelete(t, p)
}

// oneToOne lists the SET_NULL foreign keys that are OneToOneFields in
// NetBox. handle_deleted_object skips their reverse relations (it checks
// for ManyToOneRel exactly), so only Django's SET_NULL update clears them:
// no save, no change record, last_updated kept.
var oneToOne = map[string]bool{
	"dcim.device.primary_ip4": true, "dcim.device.primary_ip6": true, "dcim.device.oob_ip": true,
	"virtualization.virtualmachine.primary_ip4": true, "virtualization.virtualmachine.primary_ip6": true,
	"dcim.interface.primary_mac_address": true, "virtualization.vminterface.primary_mac_address": true,
}

// deletionOrder is the order Django's Collector sends pre_delete in:
// model by model, in the order they were collected, except that a model
// comes after the models it collected through a non-nullable foreign key
// (Collector.sort); within a model, in the order collected.
func (s *store) deletionOrder(p *delPlan) []ref {
	var labels []string
	byLabel := map[string][]ref{}
	for _, d := range p.deletes {
		if byLabel[d.label] == nil {
			labels = append(labels, d.label)
		}
		byLabel[d.label] = append(byLabel[d.label], d)
	}
	dependsOn := func(label, other string) bool {
		for _, f := range s.models[other].fields {
			if f.kind == kFK && f.target == label && f.onDelete == cascade && !f.null {
				return true
			}
		}
		return false
	}
	var sorted []string
	done := map[string]bool{}
	for len(sorted) < len(labels) {
		found := false
		for _, l := range labels {
			if done[l] {
				continue
			}
			ready := true
			for _, o := range labels {
				if o != l && !done[o] && dependsOn(l, o) {
					ready = false
				}
			}
			if ready {
				sorted, done[l], found = append(sorted, l), true, true
			}
		}
		if !found { // a cycle: Django leaves the order as collected
			for _, l := range labels {
				if !done[l] {
					sorted, done[l] = append(sorted, l), true
				}
			}
		}
	}
	var out []ref
	for _, l := range sorted {
		out = append(out, byLabel[l]...)
	}
	return out
}

// serialize is serialize_object(obj) with last_updated excluded
// (CHANGELOG_SKIP_EMPTY_CHANGES), as far as the stored fields go.
func (s *store) serialize(m *model, r *row) map[string]any {
	d := map[string]any{"created": djangoTime(r.created)}
	for _, f := range m.fields {
		v := r.vals[f.name]
		switch f.kind {
		case kTags:
			ids, _ := v.([]int64)
			names := make([]string, 0, len(ids))
			for _, id := range ids {
				if t := s.get("extras.tag", id); t != nil {
					names = append(names, t.str("name"))
				}
			}
			slices.Sort(names)
			v = names
		case kPKList:
			ids, _ := v.([]int64)
			sorted := append([]int64{}, ids...)
			slices.Sort(sorted)
			v = sorted
		case kContentType:
			if label, ok := v.(string); ok {
				v = s.contentTypeID(label)
			}
		case kContentTypes:
			labels, _ := v.([]string)
			ids := make([]int64, 0, len(labels))
			for _, l := range labels {
				ids = append(ids, s.contentTypeID(l))
			}
			v = ids
		case kCustom, kJSON:
			v = plainJSON(v)
		}
		d[f.name] = v
	}
	return d
}

// plainJSON turns decoded request JSON into maps and slices.
func plainJSON(v any) any {
	switch t := v.(type) {
	case *jobj:
		m := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			m[k] = plainJSON(t.m[k])
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = plainJSON(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

// djangoTime is a datetime as DjangoJSONEncoder writes it: isoformat()
// cut to milliseconds, "Z" for UTC.
func djangoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// cleanData is prechange_data_clean / postchange_data_clean as rendered:
// diff_exclude_fields and "_" keys dropped, {} for none, jsonb key order.
func cleanData(d map[string]any) object {
	o := object{}
	for _, k := range jsonbKeys(d) {
		if k == "created" || k == "last_updated" || strings.HasPrefix(k, "_") {
			continue
		}
		o = append(o, kv{k, jsonbValue(d[k])})
	}
	return o
}

// jsonbKeys orders keys as PostgreSQL's jsonb stores them: shorter first,
// then bytewise.
func jsonbKeys(m map[string]any) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return keys
}

func jsonbValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		o := object{}
		for _, k := range jsonbKeys(t) {
			o = append(o, kv{k, jsonbValue(t[k])})
		}
		return o
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonbValue(e)
		}
		return out
	}
	return v
}

// Reading.

const changesRoute = "core/object-changes"

// renderChange is ObjectChangeSerializer.
func (h *handler) renderChange(c *ObjectChange) object {
	st, rc := h.st, h.rc
	m := st.models[c.ObjectType]
	var changed any
	if r := st.get(c.ObjectType, c.ObjectID); m != nil && r != nil {
		changed = rc.nested().render(m, r, true)
	}
	id := strconv.FormatInt(c.ID, 10)
	o := object{
		{"id", c.ID},
		{"url", rc.base + "/api/" + changesRoute + "/" + id + "/"},
		{"display_url", rc.base + "/core/changelog/" + id + "/"},
		{"display", fmt.Sprintf("%s %s %s by %s", contentTypeName(m), c.ObjectRepr,
			strings.ToLower(actionLabels[c.Action]), c.UserName)},
		{"time", timestamp(c.Time)},
		{"user", object{{"id", c.UserID}, {"url", rc.base + "/api/users/users/" + strconv.FormatInt(c.UserID, 10) + "/"},
			{"display", c.UserName}, {"username", c.UserName}}},
		{"user_name", c.UserName},
		{"request_id", c.RequestID},
		{"action", object{{"value", c.Action}, {"label", actionLabels[c.Action]}}},
		{"changed_object_type", c.ObjectType},
		{"changed_object_id", c.ObjectID},
		{"changed_object", changed},
	}
	if st.prof.since(5) {
		o = append(o, kv{"object_repr", c.ObjectRepr})
	}
	if st.prof.since(4) {
		o = append(o, kv{"message", c.Message})
	}
	return append(o, kv{"prechange_data", cleanData(c.Prechange)}, kv{"postchange_data", cleanData(c.Postchange)})
}

// listChanges serves GET /api/core/object-changes/.
func (h *handler) listChanges() {
	rows, errs := h.filterChanges(h.st.changes)
	if errs != nil {
		writeJSON(h.w, http.StatusBadRequest, errs)
		return
	}
	p := pageOf(h.q)
	count := len(rows)
	var pageRows []*ObjectChange
	if p.offset <= count {
		pageRows = rows[p.offset:min(p.offset+p.limit, count)]
	}
	results := make([]any, 0, len(pageRows))
	for _, c := range pageRows {
		results = append(results, h.renderChange(c))
	}
	next, prev := p.links(h.rc.base, h.r.URL, count)
	writeJSON(h.w, http.StatusOK, object{{"count", count}, {"next", next}, {"previous", prev}, {"results", results}})
}

// getChange serves GET /api/core/object-changes/{id}/: DRF's get_object,
// which applies the filters too.
func (h *handler) getChange(idStr string) {
	id, err := strconv.ParseInt(idStr, 10, 64)
	var candidates []*ObjectChange
	if err == nil {
		for _, c := range h.st.changes {
			if c.ID == id {
				candidates = append(candidates, c)
			}
		}
	}
	rows, errs := h.filterChanges(candidates)
	switch {
	case errs != nil:
		writeJSON(h.w, http.StatusBadRequest, errs)
	case err != nil:
		writeDetail(h.w, http.StatusNotFound, "Not found.")
	case len(rows) != 1:
		writeDetail(h.w, http.StatusNotFound, "No ObjectChange matches the given query.")
	case !h.changeVisible(rows[0]): // perms.go
		writeDetail(h.w, http.StatusNotFound, "Not found.")
	default:
		writeJSON(h.w, http.StatusOK, h.renderChange(rows[0]))
	}
}

type changePred func(*ObjectChange) bool

// filterChanges is ObjectChangeFilterSet followed by DRF's OrderingFilter:
// rows come back newest first unless ordering= names valid fields.
// Unknown parameters are ignored; invalid values of known ones fail with
// one message per form field (time_after and time_before are the field
// "time").
func (h *handler) filterChanges(all []*ObjectChange) ([]*ObjectChange, errBody) {
	errs := errBody{}
	var preds []changePred
	names := slices.Sorted(maps.Keys(h.q))
	for _, name := range names {
		if name == "time_after" || name == "time_before" {
			continue
		}
		p, msg := h.changeFilter(name, h.q[name])
		if msg != "" {
			errs.add(name, msg)
		} else if p != nil {
			preds = append(preds, p)
		}
	}
	if p, msg := timeRange(h.q); msg != "" {
		errs.add("time", msg)
	} else if p != nil {
		preds = append(preds, p)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := []*ObjectChange{}
	for i := len(all) - 1; i >= 0; i-- { // -time: records are stored oldest first
		c := all[i]
		keep := true
		for _, p := range preds {
			if keep = p(c); !keep {
				break
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	if v, ok := lastValue(h.q, "ordering"); ok {
		h.orderChanges(out, v)
	}
	return out, nil
}

// changeFilter returns the predicate of one query parameter of
// ObjectChangeFilterSet, nil for unknown parameters and blank values, or
// the 400 message.
func (h *handler) changeFilter(name string, values []string) (changePred, string) {
	st := h.st
	base, lookup, _ := strings.Cut(name, "__")
	last := values[len(values)-1]
	switch base {
	case "q":
		// search(): blank is no filter; the value is used unstripped.
		if lookup != "" || strings.TrimSpace(last) == "" {
			return nil, ""
		}
		v := strings.ToLower(last)
		return func(c *ObjectChange) bool {
			return strings.Contains(strings.ToLower(c.UserName), v) ||
				strings.Contains(strings.ToLower(c.ObjectRepr), v) ||
				(st.prof.since(4) && strings.Contains(strings.ToLower(c.Message), v))
		}, ""
	case "id":
		return numberPred(lookup, values, func(c *ObjectChange) (int64, bool) { return c.ID, true })
	case "changed_object_id":
		return numberPred(lookup, values, func(c *ObjectChange) (int64, bool) { return c.ObjectID, true })
	case "related_object_id":
		return numberPred(lookup, values, func(c *ObjectChange) (int64, bool) { return c.RelatedID, c.RelatedType != "" })
	case "user_name":
		return stringPred(lookup, values, func(c *ObjectChange) string { return c.UserName })
	case "object_repr":
		return stringPred(lookup, values, func(c *ObjectChange) string { return c.ObjectRepr })
	case "user", "user_id", "changed_object_type_id":
		if lookup != "" && lookup != "n" {
			return nil, ""
		}
		return modelChoicePred(lookup == "n", values, h.choiceResolver(base),
			func(c *ObjectChange) any {
				switch base {
				case "user":
					return c.UserName
				case "user_id":
					return c.UserID
				}
				return st.contentTypeID(c.ObjectType)
			})
	case "changed_object_type":
		if lookup != "" && lookup != "n" {
			return nil, ""
		}
		return h.contentTypePred(values, func(c *ObjectChange) string { return c.ObjectType })
	case "related_object_type":
		if lookup != "" && lookup != "n" {
			return nil, ""
		}
		if st.atLeast(4, 4) {
			return h.contentTypePred(values, func(c *ObjectChange) string { return c.RelatedType })
		}
		return relatedTypeIDPred(st, lookup == "n", last)
	case "request_id":
		// UUIDFilter: one value (the last), compared as a UUID.
		if lookup != "" || last == "" {
			return nil, ""
		}
		id, ok := parseUUID(last)
		if !ok {
			return nil, "Enter a valid UUID."
		}
		return func(c *ObjectChange) bool { return c.RequestID == id }, ""
	case "action":
		// ChoiceFilter: one value (the last); "null" is the null choice.
		if lookup != "" || last == "" {
			return nil, ""
		}
		if last == "null" {
			return func(*ObjectChange) bool { return false }, ""
		}
		if actionLabels[last] == "" {
			return nil, fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", last)
		}
		return func(c *ObjectChange) bool { return c.Action == last }, ""
	}
	return nil, ""
}

// numberPred is MultiValueNumberFilter with its lookups: values ORed,
// __n excluding every one (and keeping nulls, as exclude() does).
func numberPred(lookup string, values []string, get func(*ObjectChange) (int64, bool)) (changePred, string) {
	key := lookup
	if key == "n" {
		key = "" // __n negates the filter itself, below
	}
	cmp := numberLookups[key] // read.go
	if cmp == nil {
		return nil, ""
	}
	want, bad := wholeNumbers(values) // models_network.go
	if bad != "" || len(want) == 0 {
		return nil, bad
	}
	match := func(c *ObjectChange) bool {
		n, ok := get(c)
		return ok && slices.ContainsFunc(want, func(w int64) bool { return cmp(n, w) })
	}
	if lookup == "n" {
		return func(c *ObjectChange) bool { return !match(c) }, ""
	}
	return match, ""
}

// stringPred is MultiValueCharFilter with its lookups, as the other
// endpoints do them (filterPred), plus __empty.
func stringPred(lookup string, values []string, get func(*ObjectChange) string) (changePred, string) {
	if lookup == "empty" {
		// BooleanFilter with the Empty lookup; other values are no filter.
		var want bool
		switch strings.ToLower(values[len(values)-1]) {
		case "true", "1":
			want = true
		case "false", "0":
		default:
			return nil, ""
		}
		return func(c *ObjectChange) bool { return (get(c) == "") == want }, ""
	}
	match := func(h, w string) bool { return h == w }
	if lookup != "" {
		if match = stringLookups[lookup]; match == nil {
			return nil, ""
		}
	}
	want := nonEmpty(values)
	if len(want) == 0 {
		return nil, ""
	}
	if strings.HasPrefix(lookup, "n") {
		return func(c *ObjectChange) bool {
			h := get(c)
			for _, w := range want {
				if !match(h, w) {
					return false
				}
			}
			return true
		}, ""
	}
	return func(c *ObjectChange) bool {
		h := get(c)
		return slices.ContainsFunc(want, func(w string) bool { return match(h, w) })
	}, ""
}

// choiceResolver checks one value of a ModelMultipleChoiceFilter: user
// (by username), user_id, changed_object_type_id (content type ids).
func (h *handler) choiceResolver(base string) func(v string) (any, string) {
	invalid := func(v string) string {
		return fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)
	}
	return func(v string) (any, string) {
		if base == "user" {
			for _, u := range h.st.rows("users.user") {
				if u.str("username") == v {
					return v, ""
				}
			}
			return nil, invalid(v)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, "“" + v + "” is not a valid value."
		}
		if base == "user_id" && h.st.get("users.user", n) == nil ||
			base == "changed_object_type_id" && (n < 1 || n > int64(len(h.st.contentTypeLabels()))) {
			return nil, invalid(v)
		}
		return n, ""
	}
}

// modelChoicePred is ModelMultipleChoiceFilter: every value must exist,
// "null" matches null (FILTERS_NULL_CHOICE_VALUE), values are ORed, and
// the __n form excludes them.
func modelChoicePred(negate bool, values []string, resolve func(string) (any, string),
	get func(*ObjectChange) any) (changePred, string) {
	var want []any
	null := false
	for _, v := range values {
		if v == "null" {
			null = true
			continue
		}
		k, msg := resolve(v)
		if msg != "" {
			return nil, msg
		}
		want = append(want, k)
	}
	match := func(c *ObjectChange) bool {
		g := get(c)
		if g == nil {
			return null
		}
		return slices.Contains(want, g)
	}
	if negate {
		return func(c *ObjectChange) bool { return !match(c) }, ""
	}
	return match, ""
}

// contentTypePred is ContentTypeFilter ("app_label.model", the last
// value; an unreadable one matches nothing) or, from 4.5.3,
// MultiValueContentTypeFilter (values ORed, unknown ones skipped). Both
// ignore the exclude flag, so their __n forms filter like the plain ones.
func (h *handler) contentTypePred(values []string, get func(*ObjectChange) string) (changePred, string) {
	if !h.st.atLeast(5, 3) {
		v := strings.ToLower(values[len(values)-1])
		if v == "" {
			return nil, ""
		}
		if len(strings.Split(v, ".")) != 2 {
			return func(*ObjectChange) bool { return false }, ""
		}
		return func(c *ObjectChange) bool { return get(c) == v }, ""
	}
	var want []string
	given := false
	for _, v := range nonEmpty(values) {
		given = true
		v = strings.ToLower(v)
		if _, known := h.st.models[v]; known && len(strings.Split(v, ".")) == 2 {
			want = append(want, v)
		}
	}
	if !given {
		return nil, ""
	}
	return func(c *ObjectChange) bool { return slices.Contains(want, get(c)) }, ""
}

// relatedTypeIDPred is 4.3's related_object_type: the ModelChoiceFilter
// Meta.fields makes for the foreign key to ContentType, one id (the last
// value); __n excludes it (keeping records without a related object).
func relatedTypeIDPred(st *store, negate bool, v string) (changePred, string) {
	v = strings.TrimSpace(v)
	var match changePred
	switch v {
	case "":
		return nil, ""
	case "null":
		match = func(c *ObjectChange) bool { return c.RelatedType == "" }
	default:
		id, err := strconv.ParseInt(v, 10, 64)
		labels := st.contentTypeLabels()
		if err != nil || id < 1 || id > int64(len(labels)) {
			return nil, "Select a valid choice. That choice is not one of the available choices."
		}
		label := labels[id-1]
		match = func(c *ObjectChange) bool { return c.RelatedType == label }
	}
	if negate {
		return func(c *ObjectChange) bool { return !match(c) }, ""
	}
	return match, ""
}

// timeRange is time = DateTimeFromToRangeFilter: time_after and
// time_before (the last value of each), both bounds inclusive.
func timeRange(q map[string][]string) (changePred, string) {
	var after, before *time.Time
	for _, b := range []struct {
		name string
		dst  **time.Time
	}{{"time_after", &after}, {"time_before", &before}} {
		v, _ := lastValue(q, b.name)
		if strings.TrimSpace(v) == "" {
			continue
		}
		t, ok := parseDateTime(v)
		if !ok {
			return nil, "Enter a valid date/time."
		}
		*b.dst = &t
	}
	if after == nil && before == nil {
		return nil, ""
	}
	return func(c *ObjectChange) bool {
		return (after == nil || !c.Time.Before(*after)) && (before == nil || !c.Time.After(*before))
	}, ""
}

var (
	// Python 3.12's datetime.fromisoformat: extended or basic date, any
	// one-character separator, hours with optional minutes, seconds and a
	// fraction of any length, and Z or an offset.
	isoDateTimeRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2}))` +
		`(?:.(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?` +
		`(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?)?$`)
	// Django's datetime_re, parse_datetime's fallback.
	djangoDateTimeRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})` +
		`(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$`)
	// DATETIME_INPUT_FORMATS and DATE_INPUT_FORMATS (English), the form
	// field's last resort.
	inputLayouts = []string{
		"2006-1-2 15:04:05", "2006-1-2 15:04:05.999999", "2006-1-2 15:04",
		"1/2/2006 15:04:05", "1/2/2006 15:04:05.999999", "1/2/2006 15:04",
		"1/2/06 15:04:05", "1/2/06 15:04:05.999999", "1/2/06 15:04",
		"2006-1-2", "1/2/2006", "1/2/06", "Jan 2 2006", "Jan 2, 2006", "2 Jan 2006", "2 Jan, 2006",
		"January 2 2006", "January 2, 2006", "2 January 2006", "2 January, 2006",
	}
)

// parseDateTime is Django's forms.DateTimeField.to_python as NetBox runs
// it (Python 3.12, TIME_ZONE "UTC"): fromisoformat, then Django's
// regular expression, then the input formats. A time without an offset is
// UTC. ISO week dates and Python's "24:00" are not taken.
func parseDateTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if m := isoDateTimeRE.FindStringSubmatch(v); m != nil {
		month, day := m[2], m[3]
		if month == "" {
			month, day = m[4], m[5]
		}
		if t, ok := buildTime(m[1], month, day, m[6], m[7], m[8], m[9], m[10]); ok {
			return t, true
		}
	}
	if m := djangoDateTimeRE.FindStringSubmatch(v); m != nil {
		if t, ok := buildTime(m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]); ok {
			return t, true
		}
	}
	for _, l := range inputLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func buildTime(year, month, day, hour, minute, second, frac, tz string) (time.Time, bool) {
	num := func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	}
	y, mo, d, h, mi, s := num(year), num(month), num(day), num(hour), num(minute), num(second)
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	us := 0
	if frac != "" {
		frac = (frac + "000000")[:6]
		us = num(frac)
	}
	loc := time.UTC
	if tz != "" && tz != "Z" {
		digits := strings.ReplaceAll(tz[1:], ":", "")
		off := num(digits[0:2]) * 3600
		if len(digits) >= 4 {
			off += num(digits[2:4]) * 60
		}
		if len(digits) >= 6 {
			off += num(digits[4:6])
		}
		if num(digits[0:2]) > 23 {
			return time.Time{}, false
		}
		if tz[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, us*1000, loc)
	if t.Day() != d || t.Month() != time.Month(mo) { // 2025-02-30
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseUUID is uuid.UUID(hex=...) as forms.UUIDField uses it, returning
// the canonical form.
func parseUUID(v string) (string, bool) {
	v = strings.ReplaceAll(strings.ReplaceAll(v, "urn:", ""), "uuid:", "")
	v = strings.ReplaceAll(strings.Trim(v, "{}"), "-", "")
	if len(v) != 32 {
		return "", false
	}
	for _, r := range v {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return "", false
		}
	}
	v = strings.ToLower(v)
	return v[0:8] + "-" + v[8:12] + "-" + v[12:16] + "-" + v[16:20] + "-" + v[20:], true
}

// orderChanges is DRF's OrderingFilter over the serializer's model
// fields; unknown fields are dropped, and without a valid one the
// default order (-time) stays.
func (h *handler) orderChanges(rows []*ObjectChange, spec string) {
	st := h.st
	fields := map[string]func(a, b *ObjectChange) int{
		"id":                func(a, b *ObjectChange) int { return cmpOrdered(a.ID, b.ID) },
		"time":              func(a, b *ObjectChange) int { return a.Time.Compare(b.Time) },
		"user":              func(a, b *ObjectChange) int { return collate(a.UserName, b.UserName, false) },
		"user_name":         func(a, b *ObjectChange) int { return collate(a.UserName, b.UserName, false) },
		"request_id":        func(a, b *ObjectChange) int { return strings.Compare(a.RequestID, b.RequestID) },
		"action":            func(a, b *ObjectChange) int { return strings.Compare(a.Action, b.Action) },
		"changed_object_id": func(a, b *ObjectChange) int { return cmpOrdered(a.ObjectID, b.ObjectID) },
		"changed_object_type": func(a, b *ObjectChange) int {
			return cmpOrdered(st.contentTypeID(a.ObjectType), st.contentTypeID(b.ObjectType))
		},
	}
	if st.prof.since(4) {
		fields["message"] = func(a, b *ObjectChange) int { return collate(a.Message, b.Message, false) }
	}
	if st.prof.since(5) {
		fields["object_repr"] = func(a, b *ObjectChange) int { return collate(a.ObjectRepr, b.ObjectRepr, false) }
	}
	type key struct {
		cmp  func(a, b *ObjectChange) int
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if f := fields[strings.TrimPrefix(part, "-")]; f != nil {
			keys = append(keys, key{f, strings.HasPrefix(part, "-")})
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b *ObjectChange) int {
		for _, k := range keys {
			c := k.cmp(a, b)
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

// deleteMessageError is ChangeLogMessageSerializer(data=request.data) on a
// detail DELETE (4.4+): the body must be a dict, and a changelog_message
// in it a non-blank string.
func (h *handler) deleteMessageError(data any) any {
	if !h.st.prof.since(4) || data == nil {
		return nil
	}
	o, ok := data.(*jobj)
	if !ok {
		return errBody{"non_field_errors": []string{"Invalid data. Expected a dictionary, but got " + pyType(data) + "."}}
	}
	if msg := h.bulkChangelogError(o); msg != "" {
		return errBody{"changelog_message": []string{msg}}
	}
	return nil
}

// atLeast reports whether the release played is 4.<minor>.<patch> or
// later (the profile's release for a bare "4.x").
func (s *store) atLeast(minor, patch int) bool {
	return s.minor > minor || s.minor == minor && s.patch >= patch
}

// releaseOf reads the minor and patch numbers of the version reported:
// the version itself when it is a release of the profile's minor, else
// the profile's release (a bare "4.4", or "4.7.1" played as 4.6).
func releaseOf(p profile, version string) (minor, patch int) {
	for _, v := range []string{version, p.release} {
		v = strings.TrimPrefix(strings.TrimSpace(v), "v")
		parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
		if len(parts) == 3 && parts[0] == "4" && parts[1] == strconv.Itoa(p.minor) {
			if n, err := strconv.Atoi(parts[2]); err == nil {
				return p.minor, n
			}
		}
	}
	return p.minor, 0
}
