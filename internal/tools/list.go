package tools

import (
	"fmt"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Bounds of every list tool: NetBox's own page default and maximum.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// Paging is the input every list tool takes after its filters.
type Paging struct {
	Limit  int `json:"limit,omitempty" jsonschema:"Default 50, max 1000"`
	Offset int `json:"offset,omitempty" jsonschema:"next_offset of the last call"`
}

// page checks the paging input and says what to ask NetBox for.
func (p Paging) page() (netbox.PageRequest, error) {
	if p.Offset < 0 {
		return netbox.PageRequest{}, userErrorf("offset must be 0 or more: pass next_offset from the previous call.")
	}
	limit := p.Limit
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	return netbox.PageRequest{Limit: limit, Offset: p.Offset}, nil
}

// ListInfo says how many objects matched and how to get the ones a list
// left out. It is part of every list tool's output.
type ListInfo struct {
	Count      int    `json:"count" jsonschema:"Matches in NetBox"`
	Truncated  bool   `json:"truncated,omitempty" jsonschema:"More matched than returned"`
	NextOffset int    `json:"next_offset,omitempty"`
	Note       string `json:"note,omitempty"`
}

// listInfo describes one page of count matches. narrow names the filters
// that shrink the list; empty says nothing found when nothing matched.
func listInfo(req netbox.PageRequest, returned, count int, narrow, empty string) ListInfo {
	info := ListInfo{Count: count}
	end := req.Offset + returned
	switch {
	case end < count && returned > 0:
		info.Truncated = true
		info.NextOffset = end
		info.Note = fmt.Sprintf("Showing %d-%d of %d: call again with offset=%d for more", req.Offset+1, end, count, end)
		if narrow != "" {
			info.Note += ", or narrow with " + narrow
		}
		info.Note += "."
	case returned == 0 && count > 0:
		info.Note = fmt.Sprintf("offset %d is past the last of %d matches: call again with a smaller offset.", req.Offset, count)
	case count == 0:
		info.Note = empty
	}
	return info
}
