// Package netbox is cmdb-mcp's NetBox client: go-netbox v4.3.0 underneath,
// our own domain types (types.go) at the border.
package netbox

// Client talks to one NetBox instance. It is safe for concurrent use.
type Client struct{}
