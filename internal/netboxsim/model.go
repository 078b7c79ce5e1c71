package netboxsim

import (
	"regexp"
	"time"
)

// A model is one NetBox object type: how it is written (fields, uniqueness,
// validation), read (filters, ordering) and rendered (full and brief
// representations). Adding an endpoint means adding one model value in
// models_*.go; the request handling is generic.
type model struct {
	label      string // app_label.model_name: "dcim.device"; also the content type
	objectName string // class name, for DRF's 404 text: "Device"
	verbose    string // verbose_name, for Django's unique messages: "device"
	appVerbose string // app verbose_name, for str(ContentType): "DCIM"
	route      string // path below /api/ and the web root: "dcim/devices"

	fields []*field // writable fields, in serializer order
	full   []out    // full representation, in serializer order
	brief  []out    // brief (nested) representation

	display func(s *store, r *row) string
	// order is the model's Meta.ordering; ties are broken by id.
	order func(s *store, a, b *row) int

	filters map[string]*filter
	// search is the ?q= filter: case-insensitive substring on these fields.
	search []string
	// searchFn replaces search for filter sets whose search() does more
	// (it gets the stripped, non-empty value).
	searchFn func(s *store, v string) func(*row) bool

	uniques []unique

	// validate is the serializer's validate(): errors land in non_field_errors.
	validate func(s *store, vals map[string]any, old *row) []string
	// clean is the model's clean(): errors are keyed by field or "__all__".
	clean func(s *store, vals map[string]any, old *row) errBody

	// generic lists this model's generic foreign keys (a content type field
	// and an id field), e.g. a journal entry's assigned object.
	generic []genericFK

	// sequentialCreate marks viewsets with SequentialBulkCreatesMixin: bulk
	// creates run object by object and stop at the first invalid one.
	sequentialCreate bool
	// journaling marks models that accept journal entries.
	journaling bool
	// noChangelog marks models without change logging (no
	// to_objectchange: users, permissions, tokens).
	noChangelog bool
	// afterSave runs in the write's transaction after an object is
	// created (old nil), updated, or deleted (cur nil): what NetBox's
	// signals and save() overrides do to other objects.
	afterSave func(s *store, t *tx, old, cur *row)
	// stub models have no endpoints: they stand for NetBox objects the
	// simulator does not hold yet, so foreign keys to them only accept null.
	stub bool
}

func (m *model) field(name string) *field {
	for _, f := range m.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// genericFK is a GenericForeignKey. Deleting the object it points at
// deletes the row too when the object's model declares the matching
// GenericRelation (cascades says which models do); otherwise the row is
// left pointing at nothing, as in Django.
type genericFK struct {
	typeField, idField string
	cascades           func(target *model) bool
}

type kind int

const (
	kString       kind = iota // DRF CharField
	kSlug                     // DRF SlugField
	kInt                      // DRF IntegerField
	kFloat                    // DRF FloatField / DecimalField without digit limits
	kBool                     // DRF BooleanField
	kChoice                   // NetBox ChoiceField: written raw, read as {value,label}
	kFK                       // nested serializer: int id or dict of attributes
	kTags                     // NestedTagSerializer(many=True)
	kJSON                     // JSONField (local_context_data)
	kCustom                   // CustomFieldsDataField
	kContentType              // ContentTypeField: "app_label.model"
	kContentTypes             // ContentTypeField(many=True)
	kPKList                   // SerializedPKRelatedField(many=True): list of ids
	kUser                     // PrimaryKeyRelatedField to users.User
	kTerminations             // GenericObjectSerializer(many=True): a cable's interfaces (models_cable.go)
	kDateTime                 // DRF DateTimeField, stored as a time.Time
)

type deletion int

const (
	protect deletion = iota
	cascade
	setNull
)

// field is a writable serializer field and the model field behind it.
type field struct {
	name     string
	kind     kind
	required bool // required on create and PUT
	null     bool // allow_null
	blank    bool // allow_blank
	maxLen   int
	unique   bool // unique=True: DRF's field-level UniqueValidator
	// feature limits a kContentTypes field to the models with a NetBox
	// feature ("custom_fields": the models with a kCustom field).
	feature string
	// check is a serializer's validate_<field>(): more messages for a
	// converted value (old is the object being updated, or nil).
	check func(s *store, v any, old *row) []string
	// label is the model field's verbose_name where it is not the name
	// with spaces for underscores (Django's unique message uses it).
	label    string
	choices  []choice
	target   string   // kFK/kPKList: label of the related model
	onDelete deletion // kFK: what deleting the target does
	min, max *float64
	pattern  *regexp.Regexp
	badMsg   string // message when pattern does not match
	// initial is the model default, applied on create when the field is absent.
	initial func() any
	// reset marks serializer defaults: a PUT without the field resets it.
	reset bool
	// parse, when set, replaces the kind's conversion of a non-null value
	// (DRF's to_internal_value, plus validators the other attributes
	// cannot express): it returns the value to store or the messages.
	parse func(raw any) (any, []string)
}

type choice struct{ value, label string }

func choiceLabel(cs []choice, v string) string {
	for _, c := range cs {
		if c.value == v {
			return c.label
		}
	}
	return ""
}

// unique is a uniqueness rule. Its kind decides where NetBox reports it.
type unique struct {
	kind   uniqueKind
	fields []string
	fold   bool                           // compare strings case-insensitively (Lower())
	when   func(vals map[string]any) bool // condition of a conditional constraint
	msg    string                         // uModel: violation_error_message
}

type uniqueKind int

const (
	// uTogether is DRF's UniqueTogetherValidator (multi-field constraint
	// without expressions): non_field_errors, "The fields a, b must make a
	// unique set.", skipped when any value is null.
	uTogether uniqueKind = iota
	// uModel is a constraint only Django's full_clean checks (expressions or
	// a condition): its violation message under "__all__".
	uModel
)

// out is one key of a rendered object; ok=false leaves the key out, as DRF
// does for a field whose attribute is missing (SkipField).
type out struct {
	name string
	fn   func(rc *rctx, r *row) (v any, ok bool)
}

type filterKind int

const (
	qNumber      filterKind = iota // MultiValueNumberFilter
	qString                        // MultiValueCharFilter, exact
	qStringI                       // MultiValueCharFilter, iexact
	qFK                            // ModelMultipleChoiceFilter by id
	qFKSlug                        // ModelMultipleChoiceFilter by slug
	qChoice                        // MultipleChoiceFilter
	qContentType                   // ContentTypeFilter: one "app.model"
	qTag                           // TagFilter: slugs, every one must match
	qTagID                         // TagIDFilter: ids, every one must match
	qBool                          // BooleanFilter
	qCustom                        // a filter method: pred decides
)

// filter is one query parameter of a list endpoint.
type filter struct {
	kind   filterKind
	path   []string // field path from the model through foreign keys
	target string   // fFK/fFKSlug: model the values must exist in
	// toField is the target's field a qFKSlug value names (to_field_name);
	// "" is "slug".
	toField string
	choices []choice // fChoice
	// lookups marks string filters that also get NetBox's __n, __ic, __ie,
	// __isw, __iew, __nic, __nie variants.
	lookups bool
	// pred implements a qCustom filter (NetBox's filter methods, e.g. an
	// ip-address's device_id spanning the device's interfaces): it returns
	// the predicate for the parameter's values, or the 400 message.
	pred func(s *store, values []string) (func(*row) bool, string)
}

// row is one stored object. Rows are never changed in place: an update
// stores a new row, so a transaction can undo by putting the old one back.
type row struct {
	id      int64
	vals    map[string]any
	created time.Time
	updated time.Time
}

func (r *row) str(name string) string {
	s, _ := r.vals[name].(string)
	return s
}

func (r *row) ref(name string) int64 {
	id, _ := r.vals[name].(int64)
	return id
}

// errBody is a DRF validation error body: field -> []string, or a nested
// error object for list fields.
type errBody map[string]any

func (e errBody) add(field, msg string) {
	if cur, ok := e[field].([]string); ok {
		e[field] = append(cur, msg)
		return
	}
	e[field] = []string{msg}
}

func (e errBody) has(field string) bool {
	_, ok := e[field]
	return ok
}
