package netbox

import (
	"context"
	"encoding/json"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const customFieldsPath = "/api/extras/custom-fields/"

// listCustomFields reads every custom field, one request per 1000: its
// name, the object types it is on, whether NetBox requires it and whether
// it has a default (which NetBox fills on create when a write leaves the
// field out: extras/api/customfields.py CustomFieldDefaultValues).
func (c *Client) listCustomFields(ctx context.Context) ([]record.CustomField, error) {
	return listJSON(ctx, c, customFieldsPath, nil, func(w *wireCustomField) record.CustomField {
		f := record.CustomField{Name: w.Name, ObjectTypes: w.ObjectTypes, Required: w.Required}
		if len(w.Default) > 0 && string(w.Default) != "null" {
			f.HasDefault, f.Default = true, w.Default
		}
		return f
	})
}

type wireCustomField struct {
	Name        string   `json:"name"`
	ObjectTypes []string `json:"object_types"`
	Required    bool     `json:"required"`
	// Default is any JSON value; null for none.
	Default json.RawMessage `json:"default"`
}
