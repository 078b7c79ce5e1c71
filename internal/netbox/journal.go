package netbox

import (
	"context"
)

const journalPath = "/api/extras/journal-entries/"

// CreateJournalEntry records e on its object's journal and returns it as
// saved, with its id. An empty Kind leaves NetBox's default (info). It
// goes through the JSON path, so that it carries the changelog message on
// NetBox 4.4+ like the sync's other writes (version.go).
func (c *Client) CreateJournalEntry(ctx context.Context, e JournalEntry, w WriteOptions) (JournalEntry, error) {
	in := e
	in.ID = 0
	return createOne(ctx, c, journalPath, in, w, func(w *wireJournalEntry) JournalEntry {
		return JournalEntry{ID: w.ID, AssignedObjectType: w.AssignedObjectType, AssignedObjectID: w.AssignedObjectID,
			Kind: string(w.Kind), Comments: w.Comments}
	})
}

type wireJournalEntry struct {
	ID                 int64      `json:"id"`
	AssignedObjectType string     `json:"assigned_object_type"`
	AssignedObjectID   int64      `json:"assigned_object_id"`
	Kind               wireChoice `json:"kind"`
	Comments           string     `json:"comments"`
}
