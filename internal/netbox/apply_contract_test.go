package netbox_test

import (
	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// The client is what apply writes through; a signature that drifts from
// apply.NetBox fails here, in this package's tests, not in cmd/.
var _ apply.NetBox = (*netbox.Client)(nil)
