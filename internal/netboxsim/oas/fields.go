package oas

import (
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// requestedFields is NetBox's dynamic fields (BaseViewSet.requested_fields):
// on a GET, the last "fields" value split on commas; nil when none.
func requestedFields(r *http.Request) []string {
	vs := r.URL.Query()["fields"]
	if r.Method != http.MethodGet || len(vs) == 0 || vs[len(vs)-1] == "" {
		return nil
	}
	out := strings.Split(vs[len(vs)-1], ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// fieldsGet returns the operation NetBox runs for a GET with
// ?fields=a,b (quirk 10): the document does not declare the parameter,
// and NetBox then renders only those fields of the full representation
// (BaseModelSerializer.fields), so the others, required by the document,
// are absent. The answer is checked against the full schema with only the
// requested fields required; every field that is present is still checked.
func fieldsGet(get *openapi3.Operation, fields []string) *openapi3.Operation {
	if get == nil {
		return nil
	}
	ok := get.Responses.Status(200)
	if ok == nil || ok.Value == nil || ok.Value.Content.Get("application/json") == nil {
		return nil
	}
	ref := ok.Value.Content.Get("application/json").Schema
	if ref == nil || ref.Value == nil {
		return nil
	}
	only := func(item *openapi3.SchemaRef) *openapi3.SchemaRef {
		s := cloneSchema(item.Value)
		s.Required = slices.DeleteFunc(slices.Clone(s.Required), func(name string) bool { return !slices.Contains(fields, name) })
		return openapi3.NewSchemaRef("", s)
	}
	var schema *openapi3.SchemaRef
	if results := ref.Value.Properties["results"]; strings.HasPrefix(ref.Ref, "#/components/schemas/Paginated") &&
		results != nil && results.Value.Items != nil && results.Value.Items.Value != nil {
		page := cloneSchema(ref.Value)
		page.Properties = openapi3.Schemas{}
		for k, v := range ref.Value.Properties {
			page.Properties[k] = v
		}
		page.Properties["results"] = arrayOf(only(results.Value.Items))
		schema = openapi3.NewSchemaRef("", page)
	} else {
		schema = only(ref)
	}
	op := *get
	op.Responses = openapi3.NewResponses(openapi3.WithStatus(200, &openapi3.ResponseRef{Value: openapi3.NewResponse().
		WithDescription("fields").WithContent(openapi3.NewContentWithJSONSchemaRef(schema))}))
	return &op
}
