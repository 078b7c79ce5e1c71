package netbox

import (
	"context"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const platformsPath = "/api/dcim/platforms/"

// ListPlatforms reads every platform, one request per 1000, through the
// JSON path (4.4 made platforms a hierarchy; our types read any release).
func (c *Client) ListPlatforms(ctx context.Context) ([]record.Platform, error) {
	return listJSON(ctx, c, platformsPath, nil, func(w *wireSlugged) record.Platform {
		return record.Platform{ID: w.ID, Name: w.Name, Slug: w.Slug}
	})
}

// CreatePlatform creates one platform. NetBox never generates slugs: p.Slug
// is required. It goes through the JSON path, whose creates are checked
// by slug when their outcome is unknown (create_check.go).
func (c *Client) CreatePlatform(ctx context.Context, p PlatformCreate) (record.Platform, error) {
	return createOne(ctx, c, platformsPath, p, func(w *wireSlugged) record.Platform {
		return record.Platform{ID: w.ID, Name: w.Name, Slug: w.Slug}
	})
}
