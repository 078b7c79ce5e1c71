package main

import (
	"context"
	"fmt"
	"io"

	"github.com/cmdb-mcp/cmdb-mcp/internal/fleet"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

func runFleet(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "fleet", "fleet [--max-age 7d] [--limit 50] [--json]")
	maxAge := fs.String("max-age", "7d", "a device whose last sync is older is stale: days (7d) or a duration (36h)")
	limit := fs.Int("limit", fleet.DefaultLimit, fmt.Sprintf("most devices listed per state, 1 to %d", fleet.MaxLimit))
	asJSON := fs.Bool("json", false, "print the cmdb_fleet_status tool's output as JSON")
	nbFlags := addNetBoxFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	age, err := fleet.ParseAge(*maxAge)
	if err != nil {
		return exitError, err
	}
	if *limit < 1 || *limit > fleet.MaxLimit {
		return exitError, fmt.Errorf("--limit %d: use 1 to %d", *limit, fleet.MaxLimit)
	}
	nb, err := nbFlags.client(e)
	if err != nil {
		return exitError, err
	}
	rep, err := fleet.Status(ctx, nb, fleet.Query{MaxAge: age, Limit: *limit})
	if err != nil {
		return exitError, withHint(err)
	}
	out := rep.Listing()
	if *asJSON {
		if err := writeJSON(e.stdout, out); err != nil {
			return exitError, err
		}
	} else {
		printFleet(e.stdout, out)
	}
	if c := out.Counts; c.Failed+c.Stale+c.Never > 0 {
		return exitDrift, nil
	}
	return exitOK, nil
}

// printFleet is the fleet status for a person: the counts, then one line
// per device that needs a look.
func printFleet(w io.Writer, out fleet.Listing) {
	c := out.Counts
	devices := "devices"
	if c.Devices == 1 {
		devices = "device"
	}
	fmt.Fprintf(w, "%d %s: %d synced within %s, %d of them with failures last time; %d not since %s; %d never.\n",
		c.Devices, devices, c.OK+c.Failed, out.MaxAge, c.Failed, c.Stale, out.Since, c.Never)
	titles := map[string]string{
		fleet.StateFailed: "Last sync within the age ended with failures",
		fleet.StateStale:  "Last sync older than the age",
		fleet.StateNever:  "Never synced",
	}
	for _, state := range []string{fleet.StateFailed, fleet.StateStale, fleet.StateNever} {
		tw := newTable(w)
		n := 0
		for _, d := range out.Devices {
			if d.State != state {
				continue
			}
			if n == 0 {
				fmt.Fprintf(w, "\n%s:\n", titles[state])
			}
			n++
			show := untrusted.Text
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", show(d.Name), dash(show(d.Site)), dash(show(d.LastSync)), dash(show(d.Outcome)))
		}
		tw.Flush()
		if more := out.Omitted[state]; more > 0 {
			fmt.Fprintf(w, "  ... and %d more (--limit)\n", more)
		}
	}
	for i, note := range out.Notes {
		if i == 0 {
			fmt.Fprintln(w, "\nNotes:")
		}
		fmt.Fprintf(w, "  - %s\n", untrusted.Message(note))
	}
}
