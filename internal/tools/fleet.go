package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/fleet"
)

// FleetStatusInput is the input of cmdb_fleet_status.
type FleetStatusInput struct {
	MaxAge string `json:"max_age,omitempty" jsonschema:"Last sync older than this is stale: days (7d) or a duration (36h); default 7d"`
	Limit  int    `json:"limit,omitempty" jsonschema:"Most devices per list (default 50, at most 1000)"`
}

// FleetDevice is a device whose syncs need a look.
type FleetDevice struct {
	State          string `json:"state" enum:"failed|stale|never"`
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Site           string `json:"site,omitempty"`
	URL            string `json:"url"`
	LastSync       string `json:"last_sync,omitempty"`
	Outcome        string `json:"outcome,omitempty" enum:"success|failures"`
	JournalEntryID int64  `json:"journal_entry_id,omitempty"`
}

// FleetStatusOutput is the output of cmdb_fleet_status.
type FleetStatusOutput struct {
	CheckedAt string       `json:"checked_at"`
	MaxAge    string       `json:"max_age"`
	Since     string       `json:"since"`
	Counts    fleet.Counts `json:"counts"`
	// Devices lists the failed, then the stale, then the never synced
	// devices, by name, at most limit of each.
	Devices []FleetDevice `json:"devices" jsonschema:"failed: last sync within max_age had failures; stale: last sync before it; never: none"`
	// Omitted counts, by state, the devices left out of Devices.
	Omitted  map[string]int `json:"omitted,omitempty"`
	Notes    []string       `json:"notes,omitempty"`
	NextStep string         `json:"next_step"`
}

func fleetStatus(nb fleet.Reader) Tool {
	def := mcp.NewTool("cmdb_fleet_status",
		mcp.WithDescription("How every NetBox device's syncs stand, from their journal entries: counts, and the devices whose last sync failed, is older than max_age, or never happened. A few requests whatever the fleet's size. Changes nothing."),
		inputSchema[FleetStatusInput](),
		outputSchema[FleetStatusOutput](),
		hints(readHints, "NetBox fleet sync status"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in FleetStatusInput) (FleetStatusOutput, error) {
		q := fleet.Query{Limit: in.Limit}
		if in.MaxAge != "" {
			age, err := fleet.ParseAge(in.MaxAge)
			if err != nil {
				return FleetStatusOutput{}, userErrorf("%v.", err)
			}
			q.MaxAge = age
		}
		if in.Limit < 0 || in.Limit > fleet.MaxLimit {
			return FleetStatusOutput{}, userErrorf("limit %d: use 1 to %d, or leave it out for %d.", in.Limit, fleet.MaxLimit, fleet.DefaultLimit)
		}
		rep, err := fleet.Status(ctx, nb, q)
		if err != nil {
			return FleetStatusOutput{}, err
		}
		return FleetOutput(rep), nil
	})}
}

// FleetOutput renders a fleet report as cmdb_fleet_status returns it; the
// CLI prints the same with --json.
func FleetOutput(rep fleet.Report) FleetStatusOutput {
	c := rep.Counts
	out := FleetStatusOutput{
		CheckedAt: rep.CheckedAt.UTC().Format(time.RFC3339), MaxAge: rep.MaxAge, Since: rep.Since.UTC().Format(time.RFC3339),
		Counts: c, Devices: []FleetDevice{}, Notes: rep.Notes,
	}
	for _, l := range []struct {
		state   string
		devices []fleet.Device
		omitted int
	}{{"failed", rep.Failed, rep.FailedOmitted}, {"stale", rep.Stale, rep.StaleOmitted}, {"never", rep.Never, rep.NeverOmitted}} {
		for _, d := range l.devices {
			fd := FleetDevice{State: l.state, ID: d.ID, Name: d.Name, Site: d.Site, URL: d.URL, Outcome: d.Outcome, JournalEntryID: d.JournalEntryID}
			if d.LastSync != nil {
				fd.LastSync = d.LastSync.UTC().Format(time.RFC3339)
			}
			out.Devices = append(out.Devices, fd)
		}
		if l.omitted > 0 {
			if out.Omitted == nil {
				out.Omitted = map[string]int{}
			}
			out.Omitted[l.state] = l.omitted
		}
	}
	switch {
	case c.Devices == 0:
		out.NextStep = "NetBox has no devices: register hosts with cmdb_register (or cmdb-mcp register on each)."
	case c.Failed+c.Stale+c.Never == 0:
		out.NextStep = fmt.Sprintf("All %d devices synced within %s without failures: tell the user.", c.Devices, rep.MaxAge)
	default:
		out.NextStep = fmt.Sprintf("Tell the user: of %d devices, %d synced within %s with failures, %d not within it, %d never. A failed sync's journal entry (on the device's page) lists what failed; a stale or never synced host needs cmdb-mcp apply run on it.",
			c.Devices, c.Failed, rep.MaxAge, c.Stale, c.Never)
	}
	return out
}
