package netbox

import (
	"context"
	"fmt"
	"net/http"
)

// pageSize is NetBox's largest page (MAX_PAGE_SIZE's default). NetBox
// clamps bigger limits and reads limit=0 as 1000 too, so every list request
// names it explicitly.
const pageSize = 1000

// page is one list response.
type page[T any] struct {
	items []T
	count int  // NetBox's total for the whole query
	more  bool // NetBox sent a next link
}

// fetchAll pages through a list with limit/offset until NetBox sends no
// next link.
//
// The next link is used only as the signal that another page exists; its
// URL is never requested. That is also safer: behind a reverse proxy NetBox
// often builds next with the wrong scheme or host, and following it would
// send the token there. The offset advances by the number of objects
// received, not by pageSize, so a server with a smaller MAX_PAGE_SIZE skips
// nothing.
func fetchAll[T any](ctx context.Context, path string, fetch func(ctx context.Context, limit, offset int32) (page[T], error)) ([]T, error) {
	var all []T
	offset, maxPages := 0, 1
	for n := 0; ; n++ {
		p, err := fetch(ctx, int32(pageSize), int32(offset))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			all = make([]T, 0, min(max(p.count, len(p.items)), 100*pageSize))
			if len(p.items) > 0 {
				// One spare page for objects created while paging.
				maxPages = (p.count+len(p.items)-1)/len(p.items) + 1
			}
		}
		all = append(all, p.items...)
		if !p.more || len(p.items) == 0 {
			return all, nil
		}
		if n+1 >= maxPages {
			// Never an unbounded loop, whatever the server says.
			return nil, &Error{Kind: KindServer, Method: http.MethodGet, Path: path,
				Message: fmt.Sprintf("NetBox announced more pages after %d pages for a count of %d", n+1, p.count)}
		}
		offset += len(p.items)
	}
}
