package netbox

import (
	"context"
	"net/url"
	"time"
)

// What the fleet status reads: every device, and the sync journal entries
// on devices, with only the fields it needs (?fields=), so that a thousand
// devices cost a request, not a thousand.

// FleetDevice is a device as the fleet status lists it.
type FleetDevice struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Site   string `json:"site,omitempty"`
}

type wireFleetDevice struct {
	ID     int64      `json:"id"`
	Name   *string    `json:"name"`
	Status wireChoice `json:"status"`
	Site   *wireRef   `json:"site"`
}

// FleetDevicesPage reads one page of every device, sorted by name, with
// its id, name, status and site only.
func (c *Client) FleetDevicesPage(ctx context.Context, p PageRequest) (Page[FleetDevice], error) {
	q := url.Values{"fields": {"id,name,status,site"}, "ordering": {"name,id"}}
	return listPage(ctx, c, devicesPath, q, p, func(w *wireFleetDevice) FleetDevice {
		d := FleetDevice{ID: w.ID, Name: deref(w.Name), Status: string(w.Status)}
		if w.Site != nil {
			d.Site = w.Site.Name
		}
		return d
	})
}

// JournalMark is a journal entry on a device, without its text.
type JournalMark struct {
	ID       int64     `json:"id"`
	DeviceID int64     `json:"device_id"`
	Created  time.Time `json:"created"`
	Kind     string    `json:"kind"` // info, success, warning, danger
}

type wireJournalMark struct {
	ID               int64      `json:"id"`
	AssignedObjectID int64      `json:"assigned_object_id"`
	Created          *string    `json:"created"`
	Kind             wireChoice `json:"kind"`
}

// JournalQuery selects journal entries on devices.
type JournalQuery struct {
	// Search keeps the entries whose text contains it, ignoring case (q).
	Search string
	// After and Before keep the entries created at or after, at or
	// before, a time (created_after, created_before); zero: no bound.
	After, Before time.Time
	// DeviceID keeps the entries on one device (assigned_object_id); 0:
	// every device.
	DeviceID int64
}

// DeviceJournalPage reads one page of the journal entries on devices that
// q selects, newest first, with their id, device, time and kind only.
func (c *Client) DeviceJournalPage(ctx context.Context, q JournalQuery, p PageRequest) (Page[JournalMark], error) {
	v := url.Values{
		"assigned_object_type": {"dcim.device"},
		"fields":               {"id,assigned_object_id,created,kind"},
		"ordering":             {"-created,-id"},
	}
	setString(v, "q", q.Search)
	setID(v, "assigned_object_id", q.DeviceID)
	if !q.After.IsZero() {
		v.Set("created_after", q.After.UTC().Format(time.RFC3339Nano))
	}
	if !q.Before.IsZero() {
		v.Set("created_before", q.Before.UTC().Format(time.RFC3339Nano))
	}
	return listPage(ctx, c, journalPath, v, p, func(w *wireJournalMark) JournalMark {
		m := JournalMark{ID: w.ID, DeviceID: w.AssignedObjectID, Kind: string(w.Kind)}
		if w.Created != nil {
			m.Created, _ = time.Parse(time.RFC3339Nano, *w.Created)
		}
		return m
	})
}
