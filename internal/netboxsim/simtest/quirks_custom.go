package simtest

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"
)

// patchCustomFields corrects what NetBox 4.3's document says about custom
// fields (extras/api/customfields.py, extras/api/serializers_/
// customfields.py):
//
//   - custom_fields: CustomFieldsDataField lists every custom field of the
//     model, with null for an object that has no value; the document's
//     additionalProperties ({}) does not allow null.
//   - choices_count of a choice set (full and brief) is the model's
//     property, an integer; drf-spectacular could not type the read-only
//     field and documents a string.
//   - base_choices of a choice set is null when the set has none (the
//     model field is null=True; DRF renders None as null without calling
//     the ChoiceField), where the document has a non-nullable object.
func patchCustomFields(spec *oas.Spec) {
	for name, ref := range spec.Doc.Components.Schemas {
		s := ref.Value
		if s == nil {
			continue
		}
		if p := s.Properties["custom_fields"]; p != nil && p.Value != nil && p.Value.AdditionalProperties.Schema != nil {
			cf := *p.Value
			cf.AdditionalProperties = openapi3.AdditionalProperties{
				Schema: openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true})}
			p.Value = &cf
		}
		if name != "CustomFieldChoiceSet" && name != "BriefCustomFieldChoiceSet" {
			continue
		}
		if p := s.Properties["choices_count"]; p != nil && p.Value != nil {
			p.Value = &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}, ReadOnly: true}
		}
		if p := s.Properties["base_choices"]; p != nil && p.Value != nil {
			bc := *p.Value
			bc.Nullable = true
			p.Value = &bc
		}
	}
}
