package netboxsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// Custom fields as NetBox 4.3.7 has them: extras/models/customfields.py
// (CustomField: clean, validate; CustomFieldChoiceSet),
// extras/api/serializers_/customfields.py, extras/api/customfields.py
// (CustomFieldsDataField: the "custom_fields" key of objects),
// netbox/models/features.py (CustomFieldsMixin.clean and save),
// extras/signals.py (data follows a field that is added to a type,
// removed from one, renamed or deleted), extras/filtersets.py.
//
// An object's custom field data is stored under "custom_fields" as a
// *jobj (ordered like NetBox's dict, since the first invalid value is the
// one reported).

// Choice sets of extras/choices.py.
var (
	customFieldTypes = []choice{{"text", "Text"}, {"longtext", "Text (long)"}, {"integer", "Integer"},
		{"decimal", "Decimal"}, {"boolean", "Boolean (true/false)"}, {"date", "Date"},
		{"datetime", "Date & time"}, {"url", "URL"}, {"json", "JSON"}, {"select", "Selection"},
		{"multiselect", "Multiple selection"}, {"object", "Object"}, {"multiobject", "Multiple objects"}}
	cfFilterLogic = []choice{{"disabled", "Disabled"}, {"loose", "Loose"}, {"exact", "Exact"}}
	cfUIVisible   = []choice{{"always", "Always"}, {"if-set", "If set"}, {"hidden", "Hidden"}}
	cfUIEditable  = []choice{{"yes", "Yes"}, {"no", "No"}, {"hidden", "Hidden"}}
	cfBaseChoices = []choice{{"IATA", "IATA (Airport codes)"}, {"ISO_3166", "ISO 3166 (Country codes)"},
		{"UN_LOCODE", "UN/LOCODE (Location codes)"}}

	cfNameRE = regexp.MustCompile(`(?i)^[a-z0-9_]+$`)
)

func customFieldModels() []*model { return []*model{choiceSetModel(), customFieldModel()} }

func choiceSetModel() *model {
	m := &model{label: "extras.customfieldchoiceset", objectName: "CustomFieldChoiceSet",
		verbose: "custom field choice set", appVerbose: "Extras", route: "extras/custom-field-choice-sets"}
	m.fields = []*field{
		fName("name", 100, true), fText("description", 200),
		{name: "base_choices", kind: kChoice, choices: cfBaseChoices, blank: true, initial: always(nil)},
		{name: "extra_choices", kind: kJSON, required: true, parse: parseExtraChoices},
		fBool("order_alphabetically", false),
	}
	count := oFunc("choices_count", func(_ *rctx, r *row) any { return len(extraChoices(r)) })
	m.full = join(fullHead(m), vals("name", "description"), []out{oChoice("base_choices", cfBaseChoices),
		oFunc("extra_choices", func(_ *rctx, r *row) any { return jsonValue(r.vals["extra_choices"]) }),
		oVal("order_alphabetically"), count, oCreated(), oUpdated()})
	m.brief = join(head(m), vals("name", "description"), []out{count})
	m.display = displayName
	m.order = byName(false)
	m.clean = func(_ *store, v map[string]any, _ *row) errBody {
		list, _ := v["extra_choices"].([]any)
		if (v["base_choices"] == nil || v["base_choices"] == "") && len(list) == 0 {
			return errBody{"__all__": []string{"Must define base or extra choices."}}
		}
		if v["order_alphabetically"] == true { // save()
			sorted := slices.Clone(list)
			slices.SortStableFunc(sorted, func(a, b any) int {
				return strings.Compare(a.([]any)[0].(string), b.([]any)[0].(string))
			})
			v["extra_choices"] = sorted
		}
		return nil
	}
	m.search = []string{"name", "description"}
	m.filters = map[string]*filter{
		"id":                   {kind: qNumber, path: []string{"id"}},
		"name":                 {kind: qString, path: []string{"name"}, lookups: true},
		"description":          {kind: qString, path: []string{"description"}, lookups: true},
		"order_alphabetically": {kind: qBool, path: []string{"order_alphabetically"}},
	}
	return m
}

// parseExtraChoices is ListField(child=ListField(min_length=2,
// max_length=2)) into ArrayField(ArrayField(CharField(max_length=100),
// size=2)): pairs of strings.
func parseExtraChoices(raw any) (any, []string) {
	list, ok := raw.([]any)
	if !ok {
		return nil, []string{fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw))}
	}
	out := make([]any, 0, len(list))
	for i, item := range list {
		pair, ok := item.([]any)
		switch {
		case !ok:
			return nil, []string{fmt.Sprintf("Item %d: Expected a list of items but got type \"%s\".", i, pyType(item))}
		case len(pair) < 2:
			return nil, []string{fmt.Sprintf("Item %d: Ensure this field has at least 2 elements.", i)}
		case len(pair) > 2:
			return nil, []string{fmt.Sprintf("Item %d: Ensure this field has no more than 2 elements.", i)}
		}
		out = append(out, []any{pyStr(pair[0]), pyStr(pair[1])})
	}
	return out, nil
}

// extraChoices are a choice set's (value, label) pairs.
func extraChoices(r *row) [][2]string {
	list, _ := r.vals["extra_choices"].([]any)
	out := make([][2]string, 0, len(list))
	for _, item := range list {
		if p, ok := item.([]any); ok && len(p) == 2 {
			a, _ := p[0].(string)
			b, _ := p[1].(string)
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

func customFieldModel() *model {
	m := &model{label: "extras.customfield", objectName: "CustomField", verbose: "custom field", appVerbose: "Extras",
		route: "extras/custom-fields"}
	m.fields = slices.Concat(
		customFieldTypeFields(),
		customFieldNamingFields(),
		customFieldBehaviourFields(),
		customFieldValidationFields(),
		[]*field{fText("comments", 0)},
	)
	m.full = join(fullHead(m), []out{oVal("object_types"), oChoice("type", customFieldTypes),
		oVal("related_object_type"), oFunc("data_type", func(_ *rctx, r *row) any { return cfDataType(r.str("type")) }),
	}, vals("name", "label", "group_name", "description", "required", "unique", "search_weight"),
		[]out{oChoice("filter_logic", cfFilterLogic), oChoice("ui_visible", cfUIVisible),
			oChoice("ui_editable", cfUIEditable), oVal("is_cloneable"),
			oFunc("default", func(_ *rctx, r *row) any { return jsonValue(r.vals["default"]) }),
			oFunc("related_object_filter", func(_ *rctx, r *row) any { return jsonValue(r.vals["related_object_filter"]) }),
		}, vals("weight", "validation_minimum", "validation_maximum", "validation_regex"),
		[]out{oFK("choice_set", "extras.customfieldchoiceset"), oVal("comments"), oCreated(), oUpdated()})
	m.brief = join(head(m), vals("name", "description"))
	m.display = displayCustomField
	m.order = func(_ *store, a, b *row) int {
		aw, _ := a.vals["weight"].(int64)
		bw, _ := b.vals["weight"].(int64)
		return cmp.Or(collate(a.str("group_name"), b.str("group_name"), false), cmp.Compare(aw, bw),
			collate(a.str("name"), b.str("name"), false))
	}
	m.clean = cleanCustomField
	m.afterSave = syncCustomData
	m.search = []string{"name", "label", "group_name", "description", "comments"}
	m.filters = customFieldFilters()
	return m
}

// customFieldTypeFields say what the field holds and on which objects.
func customFieldTypeFields() []*field {
	return []*field{
		{name: "object_types", kind: kContentTypes, required: true, feature: "custom_fields"},
		{name: "type", kind: kChoice, required: true, choices: customFieldTypes, check: checkCustomFieldType},
		{name: "related_object_type", kind: kContentType, null: true, initial: always(nil)},
	}
}

func customFieldNamingFields() []*field {
	return []*field{
		{name: "name", kind: kString, required: true, maxLen: 50, unique: true, parse: parseCustomFieldName},
		fText("label", 50), fText("group_name", 50), fText("description", 200),
	}
}

// customFieldBehaviourFields say how objects' values behave: required,
// unique, searched, filtered, shown, edited, cloned, defaulted, and where
// the field stands among the others.
func customFieldBehaviourFields() []*field {
	return []*field{
		fBool("required", false), fBool("unique", false),
		fInt("search_weight", 0, 32767, false, int64(1000)),
		fChoice("filter_logic", cfFilterLogic, "loose"),
		fChoice("ui_visible", cfUIVisible, "always"),
		fChoice("ui_editable", cfUIEditable, "yes"),
		fBool("is_cloneable", false),
		{name: "default", kind: kJSON, null: true, initial: always(nil)},
		{name: "related_object_filter", kind: kJSON, null: true, initial: always(nil)},
		fInt("weight", 0, 32767, false, int64(100)),
	}
}

// customFieldValidationFields say which values the field accepts: a
// range, a pattern, a set of choices.
func customFieldValidationFields() []*field {
	return []*field{
		fInt("validation_minimum", -9223372036854775808, 9223372036854775807, true, nil),
		fInt("validation_maximum", -9223372036854775808, 9223372036854775807, true, nil),
		fText("validation_regex", 500),
		fFK("choice_set", "extras.customfieldchoiceset", protect),
	}
}

// displayCustomField is CustomField.__str__: the label, else the name
// with spaces for underscores, capitalized.
func displayCustomField(_ *store, r *row) string {
	if l := r.str("label"); l != "" {
		return l
	}
	name := strings.ReplaceAll(r.str("name"), "_", " ")
	if name == "" {
		return ""
	}
	// str.capitalize(): first character upper, the rest lower.
	return strings.ToUpper(name[:1]) + strings.ToLower(name[1:])
}

func customFieldFilters() map[string]*filter {
	return map[string]*filter{
		"id":            {kind: qNumber, path: []string{"id"}},
		"name":          {kind: qString, path: []string{"name"}, lookups: true},
		"label":         {kind: qString, path: []string{"label"}, lookups: true},
		"group_name":    {kind: qString, path: []string{"group_name"}, lookups: true},
		"description":   {kind: qString, path: []string{"description"}, lookups: true},
		"type":          {kind: qChoice, path: []string{"type"}, choices: customFieldTypes},
		"required":      {kind: qBool, path: []string{"required"}},
		"unique":        {kind: qBool, path: []string{"unique"}},
		"weight":        {kind: qNumber, path: []string{"weight"}},
		"object_type":   {kind: qCustom, pred: objectTypePred},
		"choice_set_id": {kind: qFK, path: []string{"choice_set"}, target: "extras.customfieldchoiceset"},
		"choice_set": {kind: qFKSlug, path: []string{"choice_set"}, target: "extras.customfieldchoiceset",
			toField: "name"},
	}
}

// objectTypePred is the object_type filter, a ContentTypeFilter: one
// "app_label.model"; anything else matches nothing.
func objectTypePred(_ *store, values []string) (func(*row) bool, string) {
	v := strings.ToLower(strings.TrimSpace(values[len(values)-1]))
	if v == "" {
		return nil, ""
	}
	return func(r *row) bool {
		types, _ := r.vals["object_types"].([]string)
		return slices.Contains(types, v)
	}, ""
}

// parseCustomFieldName is the name's CharField with the model field's
// validators.
func parseCustomFieldName(raw any) (any, []string) {
	str, ok := raw.(string)
	if !ok {
		if n, isNum := raw.(json.Number); isNum {
			str = string(n)
		} else {
			return nil, []string{"Not a valid string."}
		}
	}
	str = strings.TrimSpace(str)
	if str == "" {
		return nil, []string{"This field may not be blank."}
	}
	var msgs []string
	if !cfNameRE.MatchString(str) {
		msgs = append(msgs, "Only alphanumeric characters and underscores are allowed.")
	}
	if strings.Contains(str, "__") {
		msgs = append(msgs, "Double underscores are not permitted in custom field names.")
	}
	return str, msgs
}

// checkCustomFieldType is CustomFieldSerializer.validate_type.
func checkCustomFieldType(_ *store, v any, old *row) []string {
	if old != nil && old.str("type") != v {
		return []string{"Changing the type of custom fields is not supported."}
	}
	return nil
}

// cfDataType is CustomFieldSerializer.get_data_type.
func cfDataType(t string) string {
	switch t {
	case "integer", "decimal", "boolean":
		return t
	case "json", "object":
		return "object"
	case "multiselect", "multiobject":
		return "array"
	}
	return "string"
}

// cleanCustomField is CustomField.clean.
func cleanCustomField(s *store, v map[string]any, _ *row) errBody {
	typ, _ := v["type"].(string)
	if def := v["default"]; def != nil {
		value := def
		if typ == "text" || typ == "longtext" {
			value = pyStr(def)
		}
		if msg := s.validateCustomValue(v, value); msg != "" {
			if strings.HasPrefix(msg, faultMark) {
				return errBody{"__all__": []string{msg}}
			}
			return errBody{"default": []string{fmt.Sprintf("Invalid default value \"%s\": %s", pyStr(def), msg)}}
		}
	}
	numeric := typ == "integer" || typ == "decimal"
	if !numeric {
		if truthy(v["validation_minimum"]) {
			return errBody{"validation_minimum": []string{"A minimum value may be set only for numeric fields"}}
		}
		if truthy(v["validation_maximum"]) {
			return errBody{"validation_maximum": []string{"A maximum value may be set only for numeric fields"}}
		}
	}
	if truthy(v["validation_regex"]) && typ != "text" && typ != "longtext" && typ != "url" {
		return errBody{"validation_regex": []string{"Regular expression validation is supported only for text and URL fields"}}
	}
	if v["unique"] == true && typ == "boolean" {
		return errBody{"unique": []string{"Uniqueness cannot be enforced for boolean fields"}}
	}
	selection := typ == "select" || typ == "multiselect"
	switch {
	case selection && v["choice_set"] == nil:
		return errBody{"choice_set": []string{"Selection fields must specify a set of choices."}}
	case !selection && v["choice_set"] != nil:
		return errBody{"choice_set": []string{"Choices may be set only on selection fields."}}
	}
	objects := typ == "object" || typ == "multiobject"
	switch {
	case objects && v["related_object_type"] == nil:
		return errBody{"related_object_type": []string{"Object fields must define an object type."}}
	case !objects && v["related_object_type"] != nil:
		return errBody{"type": []string{choiceLabel(customFieldTypes, typ) + " fields may not define an object type."}}
	}
	if f := v["related_object_filter"]; f != nil {
		if !objects {
			return errBody{"related_object_filter": []string{"A related object filter can be defined only for object fields."}}
		}
		if _, ok := f.(*jobj); !ok {
			return errBody{"related_object_filter": []string{"Filter must be defined as a dictionary mapping attributes to values."}}
		}
	}
	if re := v["validation_regex"]; truthy(re) {
		if _, err := pyRegexp(re.(string)); err != nil {
			// validate_regex compiles it with Python's re; the simulator
			// with Go's, which lacks lookarounds and backreferences.
			return errBody{"validation_regex": []string{"Invalid regular expression: " + err.Error()}}
		}
	}
	return nil
}

// pyRegexp compiles a validation_regex for re.match (anchored at the start).
func pyRegexp(expr string) (*regexp.Regexp, error) { return regexp.Compile(`^(?:` + expr + `)`) }

// customFieldsFor returns the custom fields of a model in CustomField's
// ordering (get_for_model).
func (s *store) customFieldsFor(label string) []*row {
	m := s.models["extras.customfield"]
	var out []*row
	for _, r := range s.sorted(m) {
		if types, _ := r.vals["object_types"].([]string); slices.Contains(types, label) {
			out = append(out, r)
		}
	}
	return out
}

// validateCustomValue is CustomField.validate: "" when the value is fine,
// else the message (or a fault for what NetBox does not catch). cf holds
// the custom field's values.
func (s *store) validateCustomValue(cf map[string]any, value any) string {
	if value == nil || value == "" {
		if cf["required"] == true {
			return "Required field cannot be empty."
		}
		return ""
	}
	switch cf["type"] {
	case "text", "longtext":
		return validateCustomText(cf, value)
	case "integer":
		return validateCustomInteger(cf, value)
	case "decimal":
		return validateCustomDecimal(cf, value)
	case "boolean":
		return validateCustomBoolean(value)
	case "date":
		return validateCustomDate(value)
	case "datetime":
		return validateCustomDateTime(value)
	case "select":
		if !slices.Contains(s.choiceValues(cf), pyHashable(value)) {
			return fmt.Sprintf("Invalid choice (%s) for choice set %s.", pyStr(value),
				s.display("extras.customfieldchoiceset", ref0(cf["choice_set"])))
		}
	case "multiselect":
		return s.validateCustomMultiselect(cf, value)
	case "object":
		if n, isNum := value.(json.Number); !isNum || !isIntNumber(n) {
			return "Value must be an object ID, not " + pyType(value)
		}
	case "multiobject":
		return validateCustomObjectIDs(value)
	}
	return ""
}

// customBounds are a numeric custom field's validation_minimum and
// validation_maximum.
type customBounds struct {
	minimum, maximum int64
	hasMin, hasMax   bool
}

func boundsOf(cf map[string]any) customBounds {
	var b customBounds
	b.minimum, b.hasMin = cf["validation_minimum"].(int64)
	b.maximum, b.hasMax = cf["validation_maximum"].(int64)
	return b
}

func (b customBounds) check(x *big.Float) string {
	if b.hasMin && x.Cmp(new(big.Float).SetInt64(b.minimum)) < 0 {
		return fmt.Sprintf("Value must be at least %d", b.minimum)
	}
	if b.hasMax && x.Cmp(new(big.Float).SetInt64(b.maximum)) > 0 {
		return fmt.Sprintf("Value must not exceed %d", b.maximum)
	}
	return ""
}

func validateCustomText(cf map[string]any, value any) string {
	str, ok := value.(string)
	if !ok {
		return "Value must be a string."
	}
	if re, _ := cf["validation_regex"].(string); re != "" {
		if rx, err := pyRegexp(re); err == nil && !rx.MatchString(str) {
			return fmt.Sprintf("Value must match regex '%s'", re)
		}
	}
	return ""
}

func validateCustomInteger(cf map[string]any, value any) string {
	n, ok := value.(json.Number)
	if !ok || !isIntNumber(n) {
		return "Value must be an integer."
	}
	x, _ := new(big.Float).SetString(string(n))
	return boundsOf(cf).check(x)
}

// validateCustomDecimal follows what decimal.Decimal() and the bounds'
// comparison do with each JSON type, faults included.
func validateCustomDecimal(cf map[string]any, value any) string {
	bounds := boundsOf(cf)
	switch t := value.(type) {
	case json.Number:
		x, _ := new(big.Float).SetString(string(t))
		return bounds.check(x)
	case bool:
		return "" // decimal.Decimal(True) is 1; the bounds compare as 1
	case string:
		if _, ok := new(big.Float).SetString(strings.TrimSpace(t)); !ok {
			return "Value must be a decimal."
		}
		if bounds.hasMin || bounds.hasMax {
			return fault("TypeError", "'<' not supported between instances of 'str' and 'int'")
		}
		return ""
	default:
		return fault("TypeError", "conversion from "+pyType(value)+" to Decimal is not supported")
	}
}

func validateCustomBoolean(value any) string {
	switch t := value.(type) {
	case bool:
		return ""
	case json.Number:
		if x, err := t.Float64(); err != nil || x != 0 && x != 1 {
			return "Value must be true or false."
		}
		return ""
	default:
		return "Value must be true or false."
	}
}

func validateCustomDate(value any) string {
	str, ok := value.(string)
	if !ok {
		return fault("TypeError", "fromisoformat: argument must be str")
	}
	if !isoDate(str) {
		return "Date values must be in ISO 8601 format (YYYY-MM-DD)."
	}
	return ""
}

func validateCustomDateTime(value any) string {
	str, ok := value.(string)
	if !ok {
		return fault("TypeError", "fromisoformat: argument must be str")
	}
	if strings.HasSuffix(str, "Z") {
		str = str[:len(str)-1] + "+00:00"
	}
	if !isoDateTime(str) {
		return "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."
	}
	return ""
}

// validateCustomMultiselect checks each item against the choice set, as
// set(value) sees the items.
func (s *store) validateCustomMultiselect(cf map[string]any, value any) string {
	var items []string
	switch t := value.(type) {
	case string: // set("ab") is its characters
		for _, r := range t {
			items = append(items, string(r))
		}
	case []any:
		for _, x := range t {
			items = append(items, pyHashable(x))
		}
	default:
		return fault("TypeError", "'"+pyType(value)+"' object is not iterable")
	}
	choices := s.choiceValues(cf)
	for _, x := range items {
		if !slices.Contains(choices, x) {
			return fmt.Sprintf("Invalid choice(s) (%s) for choice set %s.", pyStr(value),
				s.display("extras.customfieldchoiceset", ref0(cf["choice_set"])))
		}
	}
	return ""
}

func validateCustomObjectIDs(value any) string {
	list, ok := value.([]any)
	if !ok {
		return "Value must be a list of object IDs, not " + pyType(value)
	}
	for _, id := range list {
		if n, isNum := id.(json.Number); !isNum || !isIntNumber(n) {
			return "Found invalid object ID: " + pyStr(id)
		}
	}
	return ""
}

func ref0(v any) int64 {
	id, _ := v.(int64)
	return id
}

// pyHashable is how a value compares with a choice value (a string): a
// string compares as itself, anything else never equals one.
func pyHashable(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return "\x00" + pyRepr(v)
}

// choiceValues are the values of a custom field's choice set (extra
// choices; base choices are not simulated).
func (s *store) choiceValues(cf map[string]any) []string {
	set := s.get("extras.customfieldchoiceset", ref0(cf["choice_set"]))
	if set == nil {
		return nil
	}
	var out []string
	for _, c := range extraChoices(set) {
		out = append(out, c[0])
	}
	return out
}

var isoDateRE = regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})$`)

// isoDate is date.fromisoformat's common forms: YYYY-MM-DD and YYYYMMDD.
func isoDate(v string) bool {
	m := isoDateRE.FindStringSubmatch(v)
	if m == nil || (len(v) == 10) != strings.Contains(v, "-") {
		return false
	}
	_, ok := buildTime(m[1], m[2], m[3], "0", "0", "0", "", "")
	return ok
}

// isoDateTime is datetime.fromisoformat (Python 3.12).
func isoDateTime(v string) bool {
	m := isoDateTimeRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	month, day := m[2], m[3]
	if month == "" {
		month, day = m[4], m[5]
	}
	_, ok := buildTime(m[1], month, day, m[6], m[7], m[8], m[9], m[10])
	return ok
}

// Objects' custom field data.

// customData reads an object's stored custom field data.
func customData(v any) *jobj {
	if o, ok := v.(*jobj); ok {
		return o
	}
	return &jobj{m: map[string]any{}}
}

// withKey returns a copy of o with k set to v (appended when new).
func (o *jobj) withKey(k string, v any) *jobj {
	c := &jobj{keys: slices.Clone(o.keys), m: make(map[string]any, len(o.m)+1)}
	for key, x := range o.m {
		c.m[key] = x
	}
	if _, ok := c.m[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.m[k] = v
	return c
}

// withoutKey returns a copy of o without k.
func (o *jobj) withoutKey(k string) *jobj {
	c := &jobj{m: make(map[string]any, len(o.m))}
	for _, key := range o.keys {
		if key != k {
			c.keys = append(c.keys, key)
			c.m[key] = o.m[key]
		}
	}
	return c
}

// convertCustomData is CustomFieldsDataField.to_internal_value for m: a
// dict; object values resolved to ids; an update starts from the
// object's data.
func (s *store) convertCustomData(m *model, raw any, old *row) (any, any) {
	o, ok := raw.(*jobj)
	if !ok {
		return nil, []string{"Invalid data format. Custom field data must be passed as a dictionary mapping field " +
			"names to their values."}
	}
	data := &jobj{keys: slices.Clone(o.keys), m: make(map[string]any, len(o.m))}
	for k, v := range o.m {
		data.m[k] = v
	}
	for _, cf := range s.customFieldsFor(m.label) {
		name := cf.str("name")
		v, present := data.m[name]
		typ := cf.str("type")
		if !present || v == nil || v == "" || typ != "object" && typ != "multiobject" {
			continue
		}
		if l, isList := v.([]any); isList && len(l) == 0 {
			continue
		}
		target := cf.str("related_object_type")
		unknown := []string{"Unknown related object(s): " + pyStr(v)}
		if typ == "object" {
			id, msg := s.resolve(target, v)
			if msg != "" {
				return nil, unknown
			}
			data.m[name] = json.Number(itoa(id))
			continue
		}
		list, isList := v.([]any)
		if !isList {
			return nil, unknown
		}
		ids := make([]any, 0, len(list))
		for _, item := range list {
			id, msg := s.resolve(target, item)
			if msg != "" {
				return nil, unknown
			}
			ids = append(ids, json.Number(itoa(id)))
		}
		data.m[name] = ids
	}
	if old != nil {
		merged := customData(old.vals["custom_fields"])
		for _, k := range data.keys {
			merged = merged.withKey(k, data.m[k])
		}
		data = merged
	}
	return data, nil
}

// defaultCustomData is CustomFieldDefaultValues: on create without
// "custom_fields", every custom field of the model with its default or
// null.
func (s *store) defaultCustomData(label string) *jobj {
	data := &jobj{m: map[string]any{}}
	for _, cf := range s.customFieldsFor(label) {
		data = data.withKey(cf.str("name"), cf.vals["default"])
	}
	return data
}

// cleanCustomData is CustomFieldsMixin.clean: unknown names, each value,
// uniqueness, then required fields missing from the data. It returns the
// "__all__" message, or "".
func (s *store) cleanCustomData(m *model, data *jobj, old *row) string {
	fields := map[string]*row{}
	for _, cf := range s.customFieldsFor(m.label) {
		fields[cf.str("name")] = cf
	}
	for _, name := range data.keys {
		cf := fields[name]
		if cf == nil {
			return fmt.Sprintf("Unknown field name '%s' in custom field data.", name)
		}
		value := data.m[name]
		if msg := s.validateCustomValue(cf.vals, value); msg != "" {
			if strings.HasPrefix(msg, faultMark) {
				return msg
			}
			return fmt.Sprintf("Invalid value for custom field '%s': %s", name, msg)
		}
		if cf.vals["unique"] == true && value != nil && value != "" && !isEmptyList(value) {
			for _, r := range s.rows(m.label) {
				if old != nil && r.id == old.id {
					continue
				}
				other, has := customData(r.vals["custom_fields"]).m[name]
				if has && jsonEqual(other, value) {
					return fmt.Sprintf("Custom field '%s' must have a unique value.", name)
				}
			}
		}
	}
	for _, cf := range s.customFieldsFor(m.label) {
		if _, ok := data.m[cf.str("name")]; cf.vals["required"] == true && !ok {
			return fmt.Sprintf("Missing required custom field '%s'.", cf.str("name"))
		}
	}
	return ""
}

// fillCustomDefaults is CustomFieldsMixin.save: defaults for the fields
// that have one and are missing from the data.
func (s *store) fillCustomDefaults(label string, data *jobj) *jobj {
	for _, cf := range s.customFieldsFor(label) {
		if _, ok := data.m[cf.str("name")]; !ok && cf.vals["default"] != nil {
			data = data.withKey(cf.str("name"), cf.vals["default"])
		}
	}
	return data
}

func isEmptyList(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) == 0
}

// jsonEqual compares two stored JSON values as PostgreSQL's jsonb does.
func jsonEqual(a, b any) bool {
	x, errA := json.Marshal(plainJSON(a))
	y, errB := json.Marshal(plainJSON(b))
	if errA != nil || errB != nil {
		return false
	}
	var u, w any
	_ = json.Unmarshal(x, &u)
	_ = json.Unmarshal(y, &w)
	return fmt.Sprint(u) == fmt.Sprint(w)
}

// oCustomFields renders custom_fields (CustomFieldsDataField.
// to_representation): every custom field of the model, in their order,
// with the object's value (null when it has none); object fields as the
// nested object.
func oCustomFields() out {
	return out{"custom_fields", func(rc *rctx, r *row) (any, bool) {
		label := rc.model.label
		data := customData(r.vals["custom_fields"])
		o := object{}
		for _, cf := range rc.s.customFieldsFor(label) {
			name := cf.str("name")
			o = append(o, kv{name, rc.customValue(cf, data.m[name])})
		}
		return o, true
	}}
}

func (rc *rctx) customValue(cf *row, v any) any {
	target := rc.s.models[cf.str("related_object_type")]
	switch cf.str("type") {
	case "object":
		id, ok := pyInt(v)
		if v == nil || !ok || target == nil {
			return nil
		}
		if o := rc.s.get(target.label, id); o != nil {
			return rc.nested().render(target, o, true)
		}
		return nil
	case "multiobject":
		list, ok := v.([]any)
		if !ok || target == nil {
			return nil
		}
		out := []any{}
		for _, x := range list {
			if id, ok := pyInt(x); ok {
				if o := rc.s.get(target.label, id); o != nil {
					out = append(out, rc.nested().render(target, o, true))
				}
			}
		}
		return out
	}
	return jsonValue(v)
}

// syncCustomData is what extras/signals.py does to objects' data when a
// custom field is saved (old nil: created) or deleted (cur nil): a type it
// gains gets the name with the default (or null) on every object, one it
// loses drops the name, and a rename moves the values. These are
// queryset updates: no change records, last_updated kept.
func syncCustomData(s *store, t *tx, old, cur *row) {
	types := func(r *row) []string {
		if r == nil {
			return nil
		}
		l, _ := r.vals["object_types"].([]string)
		return l
	}
	update := func(label string, fn func(*jobj) *jobj) {
		for _, r := range s.rows(label) {
			n := withVal(r, "custom_fields", fn(customData(r.vals["custom_fields"])))
			t.put(label, n)
		}
	}
	if cur == nil { // deleted
		for _, label := range types(old) {
			update(label, func(d *jobj) *jobj { return d.withoutKey(old.str("name")) })
		}
		return
	}
	name := cur.str("name")
	if old != nil && old.str("name") != name {
		for _, label := range types(old) {
			update(label, func(d *jobj) *jobj {
				v, had := d.m[old.str("name")]
				d = d.withoutKey(old.str("name"))
				if !had {
					v = nil
				}
				return d.withKey(name, v)
			})
		}
	}
	for _, label := range types(old) {
		if !slices.Contains(types(cur), label) {
			update(label, func(d *jobj) *jobj { return d.withoutKey(name) })
		}
	}
	for _, label := range types(cur) {
		if !slices.Contains(types(old), label) {
			update(label, func(d *jobj) *jobj { return d.withKey(name, cur.vals["default"]) })
		}
	}
}

// hasCustomFields is whether a model has the custom_fields feature
// (CustomFieldsMixin): the models with a custom_fields field.
func hasCustomFields(m *model) bool {
	if m == nil || m.stub {
		return false
	}
	return slices.ContainsFunc(m.fields, func(f *field) bool { return f.kind == kCustom })
}
