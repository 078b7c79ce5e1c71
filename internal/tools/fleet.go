package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/fleet"
)

// FleetStatusInput is the input of cmdb_fleet_status.
type FleetStatusInput struct {
	MaxAge string `json:"max_age,omitempty" jsonschema:"Last sync older than this is stale: days (7d) or a duration (36h); default 7d"`
	Limit  int    `json:"limit,omitempty" jsonschema:"Most devices per list (default 50, at most 1000)"`
}

// FleetStatusOutput is the output of cmdb_fleet_status: the fleet's
// listing and what to do next.
type FleetStatusOutput struct {
	fleet.Listing
	NextStep string `json:"next_step"`
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
	out := FleetStatusOutput{Listing: rep.Listing()}
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
