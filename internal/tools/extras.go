package tools

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// JournalEntryInput is the input of extras_create_journal_entry.
type JournalEntryInput struct {
	AssignedObjectType string `json:"assigned_object_type" jsonschema:"e.g. dcim.device"`
	AssignedObjectID   int64  `json:"assigned_object_id"`
	Comments           string `json:"comments" jsonschema:"Markdown"`
	Kind               string `json:"kind,omitempty" enum:"info|success|warning|danger"`
}

// JournalEntry is a journal entry as the tools return it.
type JournalEntry struct {
	ID                 int64  `json:"id"`
	AssignedObjectType string `json:"assigned_object_type"`
	AssignedObjectID   int64  `json:"assigned_object_id"`
	Kind               string `json:"kind"`
	URL                string `json:"url"`
}

func createJournalEntry(nb *netbox.Client) Tool {
	def := mcp.NewTool("extras_create_journal_entry",
		mcp.WithDescription("Record a journal entry on an object, e.g. what a sync changed on the device."),
		inputSchema[JournalEntryInput](),
		netboxOutput[JournalEntry](),
		hints(createHints, "Create a journal entry"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in JournalEntryInput) (JournalEntry, error) {
		if strings.TrimSpace(in.AssignedObjectType) == "" || in.AssignedObjectID <= 0 || strings.TrimSpace(in.Comments) == "" {
			return JournalEntry{}, userErrorf("assigned_object_type, assigned_object_id and comments are required, e.g. assigned_object_type=dcim.device assigned_object_id=<device id>.")
		}
		e, err := nb.CreateJournalEntry(ctx, netbox.JournalEntry{
			AssignedObjectType: in.AssignedObjectType, AssignedObjectID: in.AssignedObjectID, Comments: in.Comments, Kind: in.Kind,
		}, toolWrites)
		if err != nil {
			return JournalEntry{}, err
		}
		return JournalEntry{ID: e.ID, AssignedObjectType: e.AssignedObjectType, AssignedObjectID: e.AssignedObjectID, Kind: e.Kind,
			URL: nb.WebURL("extras/journal-entries", e.ID)}, nil
	})}
}
