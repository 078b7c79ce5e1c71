package netbox

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const deviceRolesPath = "/api/dcim/device-roles/"

// listDeviceRoles reads every device role, one request per 1000. VMs take
// their roles from the same list (those with VMRole).
func (c *Client) listDeviceRoles(ctx context.Context) ([]record.DeviceRole, error) {
	return listJSON(ctx, c, deviceRolesPath, nil, deviceRoleFrom)
}

// CreateDeviceRoles creates the roles in one bulk request and returns them
// as saved, in the order of in. NetBox never generates slugs: each needs
// one. An empty in makes no request; above 1000 see bulkWrite.
func (c *Client) CreateDeviceRoles(ctx context.Context, in []DeviceRoleCreate, w WriteOptions) ([]record.DeviceRole, error) {
	return bulkCreate(ctx, c, deviceRolesPath, in, w, deviceRoleFrom)
}

type wireDeviceRole struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Slug   string `json:"slug"`
	VMRole bool   `json:"vm_role"`
}

func deviceRoleFrom(w *wireDeviceRole) record.DeviceRole {
	return record.DeviceRole{ID: w.ID, Name: w.Name, Slug: w.Slug, VMRole: w.VMRole}
}
