package netbox

import (
	"context"
	"net/http"

	gonetbox "github.com/netbox-community/go-netbox/v4"
)

const platformsPath = "/api/dcim/platforms/"

// ListPlatforms reads every platform, one request per 1000.
func (c *Client) ListPlatforms(ctx context.Context) ([]Platform, error) {
	return fetchAll(ctx, platformsPath, 0, func(ctx context.Context, limit, offset int32) (page[Platform], error) {
		list, resp, err := c.api.DcimAPI.DcimPlatformsList(ctx).Limit(limit).Offset(offset).Execute()
		if err != nil {
			return page[Platform]{}, c.apiError(http.MethodGet, platformsPath, resp, err)
		}
		out := make([]Platform, len(list.Results))
		for i, p := range list.Results {
			out[i] = Platform{ID: int64(p.Id), Name: p.Name, Slug: p.Slug}
		}
		return page[Platform]{items: out, count: int(list.Count), more: hasNext(list.Next)}, nil
	})
}

// CreatePlatform creates one platform. NetBox never generates slugs: p.Slug
// is required.
func (c *Client) CreatePlatform(ctx context.Context, p PlatformCreate) (Platform, error) {
	created, resp, err := c.api.DcimAPI.DcimPlatformsCreate(ctx).
		PlatformRequest(*gonetbox.NewPlatformRequest(p.Name, p.Slug)).Execute()
	if err != nil {
		return Platform{}, c.apiError(http.MethodPost, platformsPath, resp, err)
	}
	return Platform{ID: int64(created.Id), Name: created.Name, Slug: created.Slug}, nil
}
