package netboxsim

import (
	"regexp"
	"strconv"
)

// Constructors for the field shapes NetBox's serializers use again and again.

var (
	slugRE        = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)
	unicodeSlugRE = regexp.MustCompile(`^[-\pL\pN_]+$`)
	colorRE       = regexp.MustCompile(`^[0-9a-f]{6}$`)
)

const (
	slugMsg        = `Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.`
	unicodeSlugMsg = `Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.`
	colorMsg       = `Enter a valid hexadecimal RGB color code.`
)

func always(v any) func() any { return func() any { return v } }

func ptr(f float64) *float64 { return &f }

// fName is a required, non-blank name.
func fName(name string, maxLen int, unique bool) *field {
	return &field{name: name, kind: kString, required: true, maxLen: maxLen, unique: unique}
}

// fSlug is a required slug; NetBox never generates one over the API.
func fSlug(unique bool) *field {
	return &field{name: "slug", kind: kSlug, required: true, maxLen: 100, unique: unique,
		pattern: slugRE, badMsg: slugMsg}
}

// fText is an optional string stored as "" when absent.
func fText(name string, maxLen int) *field {
	return &field{name: name, kind: kString, blank: true, maxLen: maxLen, initial: always("")}
}

func fColor() *field {
	return &field{name: "color", kind: kString, blank: false, maxLen: 6, pattern: colorRE, badMsg: colorMsg,
		initial: always("9e9e9e")}
}

// fFK is an optional foreign key.
func fFK(name, target string, del deletion) *field {
	return &field{name: name, kind: kFK, null: true, target: target, onDelete: del, initial: always(nil)}
}

// fReqFK is a required foreign key.
func fReqFK(name, target string, del deletion) *field {
	return &field{name: name, kind: kFK, required: true, target: target, onDelete: del}
}

func fChoice(name string, cs []choice, initial string) *field {
	return &field{name: name, kind: kChoice, choices: cs, initial: always(initial)}
}

// fBlankChoice is a choice that may be blank or null (rendered as null).
func fBlankChoice(name string, cs []choice) *field {
	return &field{name: name, kind: kChoice, choices: cs, blank: true, null: true, initial: always(nil)}
}

func fBool(name string, initial bool) *field {
	return &field{name: name, kind: kBool, initial: always(initial)}
}

func fFloat(name string, min, max *float64) *field {
	return &field{name: name, kind: kFloat, null: true, min: min, max: max, initial: always(nil)}
}

func fInt(name string, min, max float64, null bool, initial any) *field {
	return &field{name: name, kind: kInt, null: null, min: ptr(min), max: ptr(max), initial: always(initial)}
}

func fTags() *field {
	return &field{name: "tags", kind: kTags, initial: func() any { return []int64{} }}
}

func fCustomFields() *field {
	return &field{name: "custom_fields", kind: kCustom, initial: func() any { return &jobj{m: map[string]any{}} }}
}

func resetting(f *field) *field {
	f.reset = true
	return f
}

// Choice sets of NetBox 4.3 (netbox/*/choices.py).
var (
	siteStatuses = []choice{{"planned", "Planned"}, {"staging", "Staging"}, {"active", "Active"},
		{"decommissioning", "Decommissioning"}, {"retired", "Retired"}}
	deviceStatuses = []choice{{"offline", "Offline"}, {"active", "Active"}, {"planned", "Planned"},
		{"staged", "Staged"}, {"failed", "Failed"}, {"inventory", "Inventory"},
		{"decommissioning", "Decommissioning"}}
	deviceFaces = []choice{{"front", "Front"}, {"rear", "Rear"}}
	airflows    = []choice{{"front-to-rear", "Front to rear"}, {"rear-to-front", "Rear to front"},
		{"left-to-right", "Left to right"}, {"right-to-left", "Right to left"},
		{"side-to-rear", "Side to rear"}, {"rear-to-side", "Rear to side"},
		{"bottom-to-top", "Bottom to top"}, {"top-to-bottom", "Top to bottom"},
		{"passive", "Passive"}, {"mixed", "Mixed"}}
	subdeviceRoles = []choice{{"parent", "Parent"}, {"child", "Child"}}
	weightUnits    = []choice{{"kg", "Kilograms"}, {"g", "Grams"}, {"lb", "Pounds"}, {"oz", "Ounces"}}
	journalKinds   = []choice{{"info", "Info"}, {"success", "Success"}, {"warning", "Warning"},
		{"danger", "Danger"}}
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
