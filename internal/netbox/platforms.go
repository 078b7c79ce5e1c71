package netbox

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const platformsPath = "/api/dcim/platforms/"

// listPlatforms reads every platform, with the manufacturer it is limited
// to, one request per 1000, through the JSON path (4.4 made platforms a
// hierarchy; our types read any release).
func (c *Client) listPlatforms(ctx context.Context) ([]record.Platform, error) {
	return listJSON(ctx, c, platformsPath, nil, platformFrom)
}

// CreatePlatform creates one platform. NetBox never generates slugs: p.Slug
// is required. It goes through the JSON path, whose creates are checked
// by slug when their outcome is unknown (create_check.go).
func (c *Client) CreatePlatform(ctx context.Context, p PlatformCreate, w WriteOptions) (record.Platform, error) {
	return createOne(ctx, c, platformsPath, p, w, platformFrom)
}

type wirePlatform struct {
	ID           int64    `json:"id"`
	Name         string   `json:"name"`
	Slug         string   `json:"slug"`
	Manufacturer *wireRef `json:"manufacturer"`
}

func platformFrom(w *wirePlatform) record.Platform {
	return record.Platform{ID: w.ID, Name: w.Name, Slug: w.Slug, Manufacturer: w.Manufacturer.ref()}
}
