package netbox

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// NetBox's change log, read to tell cheaply whether anything a plan depends
// on changed since its lookup: one request instead of the lookup again.

const objectChangesPath = "/api/core/object-changes/"

// ObjectChange is one record of NetBox's change log (core.ObjectChange):
// one object created, updated or deleted.
type ObjectChange struct {
	ID         int64
	Time       time.Time
	Action     string // create, update, delete
	ObjectType string // app_label.model: dcim.interface, ipam.ipaddress, ...
	ObjectID   int64
	// RequestID is the request that made the change (NetBox's X-Request-ID).
	RequestID string
	// ObjectRepr is the object's name as NetBox showed it then.
	ObjectRepr string
	// Message is the write's changelog_message (NetBox 4.4+; else empty).
	Message string
	// Pre and Post are the object's data before and after the change, as
	// NetBox's serialize_object writes them (foreign keys as ids); empty
	// for none (NetBox sends {} for a create's Pre and a delete's Post).
	Pre, Post map[string]any
}

type wireObjectChange struct {
	ID         int64          `json:"id"`
	Time       time.Time      `json:"time"`
	Action     wireChoice     `json:"action"`
	ObjectType string         `json:"changed_object_type"`
	ObjectID   int64          `json:"changed_object_id"`
	RequestID  string         `json:"request_id"`
	ObjectRepr string         `json:"object_repr"`
	Message    string         `json:"message"`
	Pre        map[string]any `json:"prechange_data"`
	Post       map[string]any `json:"postchange_data"`
}

// ListObjectChanges reads the change records made at or after since (on
// NetBox's clock), newest first, at most limit of them in one request.
// More is true when NetBox has more than limit: the caller then knows only
// that much changed. Reading the log needs the token to have view
// permission on core.objectchange; without it NetBox answers 403.
func (c *Client) ListObjectChanges(ctx context.Context, since time.Time, limit int) (changes []ObjectChange, more bool, err error) {
	q := url.Values{
		// ISO 8601 with an offset, which every Django parser takes.
		"time_after": {since.UTC().Format("2006-01-02T15:04:05.000000-07:00")},
		"limit":      {strconv.Itoa(limit)},
		"offset":     {"0"},
	}
	var body wireList[wireObjectChange]
	if _, err := c.do(ctx, request{method: http.MethodGet, path: objectChangesPath, query: q, out: &body}); err != nil {
		return nil, false, err
	}
	out := make([]ObjectChange, len(body.Results))
	for i, w := range body.Results {
		out[i] = ObjectChange{ID: w.ID, Time: w.Time, Action: string(w.Action), ObjectType: w.ObjectType, ObjectID: w.ObjectID, RequestID: w.RequestID,
			ObjectRepr: w.ObjectRepr, Message: w.Message, Pre: w.Pre, Post: w.Post}
	}
	return out, body.Count > len(out), nil
}

// RequestLog collects the X-Request-ID of every answer NetBox gives the
// writes that name it in their WriteOptions: the ids its change records of
// those writes carry. The zero value is ready to use; it is safe for
// concurrent use.
type RequestLog struct {
	mu  sync.Mutex
	ids []string
}

// IDs returns the ids collected so far, in the order of the answers.
func (l *RequestLog) IDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// add keeps id; a nil log or an empty id keeps nothing.
func (l *RequestLog) add(id string) {
	if l == nil || id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
}
