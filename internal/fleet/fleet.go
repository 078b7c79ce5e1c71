// Package fleet answers, from NetBox alone, how the syncs of every device
// went: when each was last synced and how that ended, which never were,
// and which not within an age or with failures. It reads NetBox's devices
// and the journal entries syncs and registers write (package apply), a
// page of a thousand at a time, so that a thousand devices cost a few
// requests, not one per device.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Reader is what the fleet status reads; *netbox.Client has it.
type Reader interface {
	FleetDevicesPage(ctx context.Context, p netbox.PageRequest) (netbox.Page[netbox.FleetDevice], error)
	DeviceJournalPage(ctx context.Context, q netbox.JournalQuery, p netbox.PageRequest) (netbox.Page[netbox.JournalMark], error)
	WebURL(kind string, id int64) string
}

// Defaults and bounds.
const (
	DefaultMaxAge = 7 * 24 * time.Hour
	DefaultLimit  = 50
	MaxLimit      = 1000
	// pageSize is NetBox's largest page.
	pageSize = 1000
	// maxRecentPages bounds the journal entries read within the age, and
	// maxOlderPages those read before it for the devices not seen yet:
	// 13,000 entries at most, whatever the journal holds.
	maxRecentPages = 10
	maxOlderPages  = 3
)

// Query asks for the fleet's status.
type Query struct {
	// MaxAge: a device whose last sync is older is stale (default 7 days).
	MaxAge time.Duration
	// Limit bounds each list of the report (default 50, at most 1000).
	Limit int
	// Now is when the check is made (zero: the current time).
	Now time.Time
}

// Outcomes of a device's last sync.
const (
	OutcomeSuccess  = "success"
	OutcomeFailures = "failures"
)

// Device is one device of a list, with its last sync.
type Device struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Site   string `json:"site,omitempty"`
	Status string `json:"status,omitempty"`
	URL    string `json:"url"`
	// LastSync is when the last sync (or register) wrote to the device;
	// absent when none was found.
	LastSync *time.Time `json:"last_sync,omitempty"`
	// Outcome is how it ended: success, or failures (some changes failed
	// or were skipped; its journal entry lists them).
	Outcome        string `json:"outcome,omitempty"`
	JournalEntryID int64  `json:"journal_entry_id,omitempty"`
}

// Counts are the devices by how their last sync stands.
type Counts struct {
	// Devices is every device NetBox has.
	Devices int `json:"devices"`
	// OK: last synced within the age, successfully.
	OK int `json:"ok"`
	// Failed: last synced within the age, with failures.
	Failed int `json:"failed"`
	// Stale: last synced before the age (whatever the outcome).
	Stale int `json:"stale"`
	// Never: no sync journal entry at all.
	Never int `json:"never"`
}

// Report is the fleet's status. Each list holds at most Query.Limit
// devices, in name order; *Omitted says how many more there are.
type Report struct {
	CheckedAt time.Time `json:"checked_at"`
	MaxAge    string    `json:"max_age"`
	// Since is the start of the age: syncs at or after it are recent.
	Since         time.Time `json:"since"`
	Counts        Counts    `json:"counts"`
	Failed        []Device  `json:"failed"`
	FailedOmitted int       `json:"failed_omitted,omitempty"`
	Stale         []Device  `json:"stale"`
	StaleOmitted  int       `json:"stale_omitted,omitempty"`
	Never         []Device  `json:"never"`
	NeverOmitted  int       `json:"never_omitted,omitempty"`
	Notes         []string  `json:"notes,omitempty"`
	// Requests is how many NetBox requests the report took.
	Requests int `json:"requests"`
}

// Status reads every device and the sync journal entries on devices and
// reports how the fleet's syncs stand. For up to 1000 devices it takes
// 2 requests when every device synced within the age and at most one
// journal page covers them, and one more when some did not.
func Status(ctx context.Context, nb Reader, q Query) (Report, error) {
	q = q.withDefaults()
	since := q.Now.Add(-q.MaxAge).UTC()
	rep := Report{CheckedAt: q.Now.UTC(), MaxAge: FormatAge(q.MaxAge), Since: since,
		Failed: []Device{}, Stale: []Device{}, Never: []Device{}}
	s := &journalScan{nb: nb, since: since, last: map[int64]netbox.JournalMark{}, olderExhausted: true}
	if err := s.readFirst(ctx); err != nil {
		return Report{}, fmt.Errorf("fleet status: %w", err)
	}
	if err := s.readRecent(ctx); err != nil {
		return Report{}, fmt.Errorf("fleet status: %w", err)
	}
	if s.recentMore && s.unseen() > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The journal holds more than %d sync entries since %s; only the newest were read, so a device listed as stale may have synced within the age: ask again with a shorter max_age.",
			maxRecentPages*pageSize, since.Format(time.RFC3339)))
	}
	if err := s.readOlder(ctx); err != nil {
		return Report{}, fmt.Errorf("fleet status: %w", err)
	}
	rep.classify(s, q.Limit)
	if !s.olderExhausted {
		rep.Notes = append(rep.Notes, fmt.Sprintf("Some devices had no sync entry in the newest %d entries before %s; they are listed as stale without a last_sync (they may never have been synced).",
			maxOlderPages*pageSize, since.Format(time.RFC3339)))
	}
	rep.Notes = append(rep.Notes, "last_sync is the newest journal entry of a sync or register on the device; a scheduled cmdb-mcp apply that finds its device in sync journals that at most once a day (--heartbeat), a sync through the MCP tools does not, so such a device can show an older last_sync (cmdb-mcp diff on the host tells).")
	rep.Requests = s.requests
	return rep, nil
}

// withDefaults fills in what the query leaves out and bounds its limit.
func (q Query) withDefaults() Query {
	if q.MaxAge <= 0 {
		q.MaxAge = DefaultMaxAge
	}
	switch {
	case q.Limit <= 0:
		q.Limit = DefaultLimit
	case q.Limit > MaxLimit:
		q.Limit = MaxLimit
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	return q
}

// journalScan reads the devices and the sync journal entries on them,
// newest first, until every device has its last sync or the page bounds
// are reached.
type journalScan struct {
	nb    Reader
	since time.Time

	mu       sync.Mutex // guards requests: the first reads run side by side
	requests int

	devices []netbox.FleetDevice
	// last is each device's newest sync entry found.
	last map[int64]netbox.JournalMark
	// recentMore: entries within the age were left unread.
	recentMore bool
	// olderExhausted: every entry before the age was read, or none had to be.
	olderExhausted bool
}

func (s *journalScan) count() {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
}

func (s *journalScan) note(marks []netbox.JournalMark) {
	for _, m := range marks {
		if _, seen := s.last[m.DeviceID]; !seen {
			s.last[m.DeviceID] = m // newest first: the first is the last sync
		}
	}
}

// unseen counts the devices without a sync entry found yet.
func (s *journalScan) unseen() int {
	n := 0
	for _, d := range s.devices {
		if _, ok := s.last[d.ID]; !ok {
			n++
		}
	}
	return n
}

func (s *journalScan) recentQuery() netbox.JournalQuery {
	return netbox.JournalQuery{Search: apply.JournalMarker, After: s.since}
}

// readFirst reads the devices and the newest journal page side by side.
func (s *journalScan) readFirst(ctx context.Context) error {
	var recent []netbox.JournalMark
	var devErr, recentErr error
	var wg sync.WaitGroup
	wg.Go(func() { s.devices, devErr = readDevices(ctx, s.nb, s.count) })
	wg.Go(func() {
		var p netbox.Page[netbox.JournalMark]
		p, recentErr = s.nb.DeviceJournalPage(ctx, s.recentQuery(), netbox.PageRequest{Limit: pageSize})
		s.count()
		recent, s.recentMore = p.Items, len(p.Items) < p.Count
	})
	wg.Wait()
	if err := errors.Join(devErr, recentErr); err != nil {
		return err
	}
	s.note(recent)
	return nil
}

// readRecent reads more entries within the age while a device has none
// yet.
func (s *journalScan) readRecent(ctx context.Context) error {
	for pages := 1; s.recentMore && s.unseen() > 0 && pages < maxRecentPages; pages++ {
		p, err := s.nb.DeviceJournalPage(ctx, s.recentQuery(), netbox.PageRequest{Limit: pageSize, Offset: pages * pageSize})
		s.count()
		if err != nil {
			return err
		}
		s.note(p.Items)
		s.recentMore = len(p.Items) > 0 && pages*pageSize+len(p.Items) < p.Count
	}
	return nil
}

// readOlder reads, for the devices without a recent sync, their last one
// before the age.
func (s *journalScan) readOlder(ctx context.Context) error {
	if s.unseen() == 0 {
		return nil
	}
	olderQuery := netbox.JournalQuery{Search: apply.JournalMarker, Before: s.since}
	for page := 0; page < maxOlderPages && s.unseen() > 0; page++ {
		p, err := s.nb.DeviceJournalPage(ctx, olderQuery, netbox.PageRequest{Limit: pageSize, Offset: page * pageSize})
		s.count()
		if err != nil {
			return err
		}
		s.note(p.Items)
		s.olderExhausted = len(p.Items) == 0 || page*pageSize+len(p.Items) >= p.Count
		if s.olderExhausted {
			break
		}
	}
	return nil
}

// classify counts the scanned devices by how their last sync stands and
// lists the failed, stale and never synced ones, limit of each.
func (rep *Report) classify(s *journalScan, limit int) {
	rep.Counts.Devices = len(s.devices)
	add := func(list *[]Device, omitted *int, d Device) {
		if len(*list) < limit {
			*list = append(*list, d)
		} else {
			*omitted++
		}
	}
	for _, fd := range s.devices {
		d := Device{ID: fd.ID, Name: fd.Name, Site: fd.Site, Status: fd.Status, URL: s.nb.WebURL("dcim/devices", fd.ID)}
		m, ok := s.last[fd.ID]
		if !ok {
			if !s.olderExhausted || s.recentMore {
				// Not found in what was read, which is not all there is.
				rep.Counts.Stale++
				add(&rep.Stale, &rep.StaleOmitted, d)
				continue
			}
			rep.Counts.Never++
			add(&rep.Never, &rep.NeverOmitted, d)
			continue
		}
		at := m.Created.UTC()
		d.LastSync, d.JournalEntryID, d.Outcome = &at, m.ID, outcome(m.Kind)
		switch {
		case at.Before(s.since):
			rep.Counts.Stale++
			add(&rep.Stale, &rep.StaleOmitted, d)
		case d.Outcome == OutcomeFailures:
			rep.Counts.Failed++
			add(&rep.Failed, &rep.FailedOmitted, d)
		default:
			rep.Counts.OK++
		}
	}
}

// readDevices reads every device, one page of 1000 after another.
func readDevices(ctx context.Context, nb Reader, count func()) ([]netbox.FleetDevice, error) {
	var out []netbox.FleetDevice
	for offset := 0; ; {
		p, err := nb.FleetDevicesPage(ctx, netbox.PageRequest{Limit: pageSize, Offset: offset})
		count()
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		offset += len(p.Items)
		if len(p.Items) == 0 || offset >= p.Count {
			return out, nil
		}
	}
}

// outcome reads a sync's journal kind: apply writes success when every
// change applied, warning when some failed or were skipped.
func outcome(kind string) string {
	switch kind {
	case "success", "info", "":
		return OutcomeSuccess
	}
	return OutcomeFailures
}

// ParseAge reads an age as a Go duration ("36h", "90m") or in days
// ("7d", "1.5d").
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err == nil && n > 0 && n <= 36500 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("max age %q: use days (7d) or a duration (36h), more than zero", s)
}

// FormatAge writes an age as ParseAge reads it, in days when whole.
func FormatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
