package fleet

import "time"

// Listing is a Report as one list, for a model or a script to read
// (cmdb_fleet_status, cmdb-mcp fleet --json): times as RFC 3339 text, and
// the devices that need a look in one list with their state.
type Listing struct {
	CheckedAt string `json:"checked_at"`
	MaxAge    string `json:"max_age"`
	Since     string `json:"since"`
	Counts    Counts `json:"counts"`
	// Devices lists the failed, then the stale, then the never synced
	// devices, by name, at most the query's limit of each.
	Devices []Listed `json:"devices" jsonschema:"failed: last sync within max_age had failures; stale: last sync before it; never: none"`
	// Omitted counts, by state, the devices left out of Devices.
	Omitted map[string]int `json:"omitted,omitempty"`
	Notes   []string       `json:"notes,omitempty"`
}

// Listed is a device whose syncs need a look.
type Listed struct {
	State          string `json:"state" enum:"failed|stale|never"`
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Site           string `json:"site,omitempty"`
	URL            string `json:"url"`
	LastSync       string `json:"last_sync,omitempty"`
	Outcome        string `json:"outcome,omitempty" enum:"success|failures"`
	JournalEntryID int64  `json:"journal_entry_id,omitempty"`
}

// States of a listed device, in the order a Listing lists them.
const (
	StateFailed = "failed"
	StateStale  = "stale"
	StateNever  = "never"
)

// Listing is r as one list.
func (r Report) Listing() Listing {
	out := Listing{
		CheckedAt: r.CheckedAt.UTC().Format(time.RFC3339), MaxAge: r.MaxAge, Since: r.Since.UTC().Format(time.RFC3339),
		Counts: r.Counts, Devices: []Listed{}, Notes: r.Notes,
	}
	for _, l := range []struct {
		state   string
		devices []Device
		omitted int
	}{{StateFailed, r.Failed, r.FailedOmitted}, {StateStale, r.Stale, r.StaleOmitted}, {StateNever, r.Never, r.NeverOmitted}} {
		for _, d := range l.devices {
			ld := Listed{State: l.state, ID: d.ID, Name: d.Name, Site: d.Site, URL: d.URL, Outcome: d.Outcome, JournalEntryID: d.JournalEntryID}
			if d.LastSync != nil {
				ld.LastSync = d.LastSync.UTC().Format(time.RFC3339)
			}
			out.Devices = append(out.Devices, ld)
		}
		if l.omitted > 0 {
			if out.Omitted == nil {
				out.Omitted = map[string]int{}
			}
			out.Omitted[l.state] = l.omitted
		}
	}
	return out
}
