package simtest

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"
)

// patchChangelog: /api/core/object-changes/'s related_object_type (and
// its __n form) is documented as an integer, a content type id. NetBox
// 4.3 also takes "null" there (a ModelChoiceFilter with
// FILTERS_NULL_CHOICE_VALUE: the changes without a related object), and
// from 4.4.4 the filter is a ContentTypeFilter that takes
// "app_label.model" instead (core/filtersets.py); the simulator plays
// both (sim/changelog.go). The parameters become strings; what the
// release does with the value is the server's business, as for v1 keys.
func patchChangelog(spec *oas.Spec) {
	item := spec.Doc.Paths.Value("/api/core/object-changes/")
	if item == nil || item.Get == nil {
		return
	}
	for _, p := range item.Get.Parameters {
		if p.Value == nil || p.Value.In != openapi3.ParameterInQuery ||
			(p.Value.Name != "related_object_type" && p.Value.Name != "related_object_type__n") {
			continue
		}
		p.Value.Schema = openapi3.NewSchemaRef("", openapi3.NewStringSchema())
	}
}
