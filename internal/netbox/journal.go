package netbox

import (
	"context"
	"net/http"

	gonetbox "github.com/netbox-community/go-netbox/v4"
)

const journalPath = "/api/extras/journal-entries/"

// CreateJournalEntry records e on its object's journal and returns it as
// saved, with its id. An empty Kind leaves NetBox's default (info).
func (c *Client) CreateJournalEntry(ctx context.Context, e JournalEntry) (JournalEntry, error) {
	req := gonetbox.NewWritableJournalEntryRequest(e.AssignedObjectType, e.AssignedObjectID, e.Comments)
	if e.Kind != "" {
		k := gonetbox.JournalEntryKindValue(e.Kind)
		req.Kind = &k
	}
	created, resp, err := c.api.ExtrasAPI.ExtrasJournalEntriesCreate(ctx).WritableJournalEntryRequest(*req).Execute()
	if err != nil {
		return JournalEntry{}, c.apiError(http.MethodPost, journalPath, resp, err)
	}
	out := JournalEntry{
		ID:                 int64(created.Id),
		AssignedObjectType: created.AssignedObjectType,
		AssignedObjectID:   created.AssignedObjectId,
		Comments:           created.Comments,
	}
	if created.Kind != nil && created.Kind.Value != nil {
		out.Kind = string(*created.Kind.Value)
	}
	return out, nil
}
