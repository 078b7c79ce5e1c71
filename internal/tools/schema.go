package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
)

// Schemas are generated from the input and output structs with
// jsonschema-go, the generator mcp.WithInputSchema uses, plus what it
// cannot know:
//   - types that marshal as strings through encoding.TextMarshaler
//     (netip.Prefix) would otherwise be described as empty objects, and a
//     client that validates structured output would reject every result;
//   - Nullable fields accept JSON null, which means "clear this", unlike an
//     absent field, which means "leave it alone";
//   - an `enum:"a|b"` tag lists the values a string field takes.

// Nullable is an input field that tells three cases apart: absent (leave
// the NetBox field alone), null (clear it) and a value (set it). The seed
// unassigns an IP with assigned_object_type=null assigned_object_id=null.
type Nullable[T any] struct {
	// Set says the field was present, as a value or as null.
	Set bool
	// Null says the field was JSON null.
	Null  bool
	Value T
}

// UnmarshalJSON records null as Set and Null.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// MarshalJSON writes the value, or null; an unset field is omitted only
// with omitzero.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.Set || n.Null {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}

// IsZero reports an absent field, for omitzero.
func (n Nullable[T]) IsZero() bool { return !n.Set }

// typeSchemas are the schemas jsonschema-go gets wrong or cannot know.
var typeSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[netip.Prefix]():      {Type: "string"},
	reflect.TypeFor[netip.Addr]():        {Type: "string"},
	reflect.TypeFor[netip.AddrPort]():    {Type: "string"},
	reflect.TypeFor[Nullable[int64]]():   {Types: []string{"integer", "null"}},
	reflect.TypeFor[Nullable[string]]():  {Types: []string{"string", "null"}},
	reflect.TypeFor[Nullable[float64]](): {Types: []string{"number", "null"}},
}

// schemaKind says what a generated schema is for.
type schemaKind int

const (
	// schemaOutput describes a tool's structured result.
	schemaOutput schemaKind = iota
	// schemaInput is the input schema published in tools/list: every
	// property has a single type, which the schema dialects of some
	// models (OpenAPI 3.0 subsets) require; a Nullable field's description
	// says that null clears.
	schemaInput
	// schemaValidate is what arguments are checked against: the published
	// schema, but a Nullable field also takes null.
	schemaValidate
)

// schemaFor generates the schema of T. In an input schema a pointer field
// is optional, not nullable: jsonschema-go's ["null", X] becomes X, so that
// only Nullable fields take a null.
func schemaFor[T any](kind schemaKind) *jsonschema.Schema {
	schema, err := jsonschema.For[T](&jsonschema.ForOptions{IgnoreInvalidTypes: true, TypeSchemas: typeSchemas})
	if err != nil {
		// Input and output types are fixed at compile time;
		// TestToolSnapshots hits this.
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	applyEnums(reflect.TypeFor[T](), schema)
	switch kind {
	case schemaInput:
		dropNulls(schema, false)
	case schemaValidate:
		dropNulls(schema, true)
	}
	return schema
}

// schemaOf is schemaFor as JSON.
func schemaOf[T any](kind schemaKind) json.RawMessage {
	raw, err := json.Marshal(schemaFor[T](kind))
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	return raw
}

// inputSchema is mcp.WithInputSchema[T] with the additions above.
func inputSchema[T any]() mcp.ToolOption {
	raw := schemaOf[T](schemaInput)
	return func(t *mcp.Tool) {
		// mcp.NewTool starts with an empty object schema; a tool has one or
		// the other.
		t.InputSchema.Type = ""
		t.RawInputSchema = raw
	}
}

// outputSchema is mcp.WithOutputSchema[T] with the additions above.
func outputSchema[T any]() mcp.ToolOption { return mcp.WithRawOutputSchema(schemaOf[T](schemaOutput)) }

// netboxOutput is the output schema of a NetBox tool: the shape of the
// compact JSON it returns, without descriptions (the field names are
// NetBox's own) and without additionalProperties, so that the two dozen
// of them cost tools/list as little as they can while a client still
// learns and can check the shape.
func netboxOutput[T any]() mcp.ToolOption {
	schema := schemaFor[T](schemaOutput)
	compact(schema)
	raw, err := json.Marshal(schema)
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	return mcp.WithRawOutputSchema(raw)
}

func compact(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	s.Description = ""
	s.AdditionalProperties = nil
	for _, p := range s.Properties {
		compact(p)
	}
	compact(s.Items)
}

// applyEnums copies `enum:"a|b"` tags of T's fields (and of nested
// structs) into the schema.
func applyEnums(t reflect.Type, s *jsonschema.Schema) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
		if s.Items != nil && (t.Kind() == reflect.Struct || t.Kind() == reflect.Pointer) {
			s = s.Items
		}
	}
	if t.Kind() != reflect.Struct || s == nil || s.Properties == nil {
		return
	}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		prop := s.Properties[name]
		if prop == nil {
			continue
		}
		if enum, ok := f.Tag.Lookup("enum"); ok {
			for _, v := range strings.Split(enum, "|") {
				prop.Enum = append(prop.Enum, v)
			}
		}
		applyEnums(f.Type, prop)
	}
}

// dropNulls turns the type pairs [X, "null"] into X: the ["null", X] of a
// pointer field always, the [X, "null"] of a Nullable field unless
// keepNullable.
func dropNulls(s *jsonschema.Schema, keepNullable bool) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 {
		switch {
		case s.Types[0] == "null":
			s.Type, s.Types = s.Types[1], nil
		case s.Types[1] == "null" && !keepNullable:
			s.Type, s.Types = s.Types[0], nil
		}
	}
	for _, p := range s.Properties {
		dropNulls(p, keepNullable)
	}
	dropNulls(s.Items, keepNullable)
}
