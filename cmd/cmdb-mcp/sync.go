package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

func runDiscover(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "discover", "discover [--json]")
	asJSON := fs.Bool("json", false, "print the host as JSON (the cmdb_discover tool's output)")
	scopeF := addScopeFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	sc, err := scopeF.resolve(e)
	if err != nil {
		return exitError, err
	}
	h, err := discovery.Discoverer{Options: sc.discovery}.Discover(ctx)
	if err != nil {
		return exitError, err
	}
	if *asJSON {
		return exitOK, writeJSON(e.stdout, h)
	}
	printHost(e.stdout, h)
	return exitOK, nil
}

// printHost is discover's view for a person: what a sync would compare,
// one line per interface and per container. Every value is the host's own
// text, shown as one visible line (package untrusted): a name cannot
// move the cursor, clear the screen or break a column.
func printHost(w io.Writer, h host.Host) {
	printSystem(w, h)
	printInterfaces(w, h.Network)
	printContainers(w, h.Containers)
	notes := slices.Concat(h.Notes, h.Network.Notes, h.Containers.Notes)
	for i, note := range notes {
		if i == 0 {
			fmt.Fprintln(w, "\nNotes:")
		}
		fmt.Fprintf(w, "  - %s\n", untrusted.Message(note))
	}
}

// shownOrUnknown shows one of the host's values, "(unknown)" when empty.
func shownOrUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return untrusted.Text(s)
}

// printSystem prints the host's name, operating system and hardware.
func printSystem(w io.Writer, h host.Host) {
	unknown := shownOrUnknown
	fmt.Fprintf(w, "Hostname:  %s\n", unknown(h.Hostname))
	fmt.Fprintf(w, "OS:        %s", unknown(h.OS.PrettyName))
	if h.OS.Kernel != "" || h.OS.Arch != "" {
		fmt.Fprintf(w, " (kernel %s, %s)", unknown(h.OS.Kernel), unknown(h.OS.Arch))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Platform:  %s\n", unknown(h.OS.Platform))
	fmt.Fprintf(w, "Hardware:  %s %s, serial %s\n", unknown(h.Hardware.Manufacturer), unknown(h.Hardware.Model), unknown(h.Hardware.Serial))
	fmt.Fprintf(w, "Size:      %d CPUs, %d MB memory, %d GB root disk\n", h.Hardware.CPUs, h.Hardware.MemoryMB, h.Hardware.RootDiskGB)
}

// printInterfaces prints a table of the interfaces with their state and
// addresses, then the default routes.
func printInterfaces(w io.Writer, n host.Network) {
	show := untrusted.Text
	fmt.Fprintf(w, "\nInterfaces (%d):\n", len(n.Interfaces))
	tw := newTable(w)
	for _, i := range n.Interfaces {
		state := "disabled"
		if i.AdminUp {
			state = "up"
			if i.OperState != "" && i.OperState != "up" {
				state = "enabled, " + show(i.OperState)
			}
		}
		var addrs []string
		for _, a := range slices.Concat(i.IPv4, i.IPv6) {
			s := a.String()
			if a == n.PrimaryIPv4 || a == n.PrimaryIPv6 {
				s += " (primary)"
			}
			addrs = append(addrs, s)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", show(i.Name), show(i.Type), dash(show(i.MAC)), state, strings.Join(addrs, ", "))
	}
	tw.Flush()
	for _, r := range []*host.Route{n.DefaultIPv4, n.DefaultIPv6} {
		if r == nil {
			continue
		}
		via := "on link"
		if r.Gateway.IsValid() {
			via = "via " + r.Gateway.String()
		}
		fmt.Fprintf(w, "Default route %s: %s %s\n", r.Destination, show(r.Interface), via)
	}
	if n.RoutesUnknown != "" {
		fmt.Fprintf(w, "Default routes: unknown, so are the primary IPs: %s\n", untrusted.Message(n.RoutesUnknown))
	}
}

// printContainers prints a table of the containers, or why there is none.
func printContainers(w io.Writer, c host.Containers) {
	show := untrusted.Text
	switch {
	case !c.Available:
		fmt.Fprintf(w, "\nContainers: %s\n", shownOrUnknown(c.Reason))
	case len(c.Containers) == 0:
		fmt.Fprintln(w, "\nContainers: none")
	default:
		fmt.Fprintf(w, "\nContainers (%d):\n", len(c.Containers))
		tw := newTable(w)
		for _, ct := range c.Containers {
			project := "standalone"
			if ct.ComposeProject != "" {
				project = "compose " + show(ct.ComposeProject)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", show(ct.Name), show(ct.State), project, limits(ct.VCPUs, ct.MemoryMB), show(ct.Role), show(ct.Image))
		}
		tw.Flush()
	}
}

// table lines up tab-separated cells in columns two spaces apart, without
// the spaces tabwriter leaves after a last cell that is empty.
type table struct {
	out io.Writer
	buf strings.Builder
	tw  *tabwriter.Writer
}

func newTable(w io.Writer) *table {
	t := &table{out: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

func (t *table) Write(p []byte) (int, error) { return t.tw.Write(p) }

// Flush writes the table.
func (t *table) Flush() {
	t.tw.Flush()
	for line := range strings.Lines(t.buf.String()) {
		fmt.Fprintln(t.out, strings.TrimRight(line, " \n"))
	}
	t.buf.Reset()
}

// limits is a container's CPU and memory limits as a person reads them.
func limits(vcpus float64, memoryMB int64) string {
	var parts []string
	if vcpus > 0 {
		parts = append(parts, strconv.FormatFloat(vcpus, 'f', -1, 64)+" vCPUs")
	}
	if memoryMB > 0 {
		parts = append(parts, strconv.FormatInt(memoryMB, 10)+" MB")
	}
	if len(parts) == 0 {
		return "no limits"
	}
	return strings.Join(parts, ", ")
}

// syncFlags are the flags diff and apply share.
type syncFlags struct {
	full     *bool
	hostname *string
	netbox   *netboxFlags
	scope    *scopeFlags
}

func addSyncFlags(fs *flag.FlagSet) syncFlags {
	return syncFlags{
		full:     fs.Bool("full", false, "also refresh fields that already match (full sync)"),
		hostname: fs.String("hostname", "", "NetBox device name to compare with (default: this host's name) (env "+envHostname+")"),
		netbox:   addNetBoxFlags(fs),
		scope:    addScopeFlags(fs),
	}
}

// plan runs a diff; a host NetBox does not know is an error here, since
// nothing can be synced until it is registered. On an error the plan still
// names the host looked up, when discovery got that far.
func (f syncFlags) plan(ctx context.Context, e env) (*engine.Engine, diff.Plan, error) {
	sc, err := f.scope.resolve(e)
	if err != nil {
		return nil, diff.Plan{}, err
	}
	nb, err := f.netbox.client(e)
	if err != nil {
		return nil, diff.Plan{}, err
	}
	hostname := envOr(e, *f.hostname, envHostname)
	requested := hostname
	disc := discovery.Discoverer{Options: sc.discovery}
	eng := newEngineWith(e, nb, sc, engine.DiscovererFunc(func(ctx context.Context) (host.Host, error) {
		h, err := disc.Discover(ctx)
		if hostname == "" {
			hostname = h.Hostname
		}
		return h, err
	}))
	plan, err := eng.Diff(ctx, engine.DiffRequest{Hostname: requested, Full: *f.full})
	if err != nil {
		return nil, diff.Plan{Hostname: hostname}, withHint(err)
	}
	if !plan.DeviceFound {
		return nil, plan, fmt.Errorf("NetBox has no device named %q: register this host first ('cmdb-mcp register', or create the device in NetBox), or pass --hostname", plan.Hostname)
	}
	return eng, plan, nil
}

func runDiff(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "diff", "diff [--full] [--json] [--hostname H]")
	asJSON := fs.Bool("json", false, "print the plan as JSON (the cmdb_sync_diff tool's output) instead of the report")
	sf := addSyncFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	_, plan, err := sf.plan(ctx, e)
	if err != nil {
		return exitError, err
	}
	if *asJSON {
		if err := writeJSON(e.stdout, diffJSONOf(plan)); err != nil {
			return exitError, err
		}
	} else {
		fmt.Fprint(e.stdout, report.Markdown(plan))
	}
	if plan.InSync() {
		return exitOK, nil
	}
	return exitDrift, nil
}

// diffJSON is what diff --json prints: the fields of cmdb_sync_diff's
// answer, with the next step a person at the shell takes, and the changes
// as data, which a script reads and the tool leaves to the report.
type diffJSON struct {
	PlanID         string          `json:"plan_id,omitempty"`
	Mode           string          `json:"mode"`
	InSync         bool            `json:"in_sync"`
	Device         diff.DeviceRef  `json:"device"`
	Summary        diff.Summary    `json:"summary"`
	Notes          []string        `json:"notes,omitempty"`
	ReportMarkdown string          `json:"report_markdown"`
	NextStep       string          `json:"next_step"`
	Changes        []report.Change `json:"changes"`
}

func diffJSONOf(plan diff.Plan) diffJSON {
	out := diffJSON{PlanID: plan.ID, Mode: "default", InSync: plan.InSync(), Device: plan.Device, Summary: plan.Summary(),
		Notes: plan.Notes, ReportMarkdown: report.Markdown(plan), Changes: report.Changes(plan),
		NextStep: "Review the report, then run 'cmdb-mcp apply' to write these changes."}
	if plan.Full {
		out.Mode = "full"
	}
	if out.InSync {
		out.NextStep = "Nothing to apply: NetBox matches this host."
	}
	return out
}

func runApply(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "apply", "apply [--yes] [--json] [--splay D] [--every D] [--heartbeat 24h] [--full] [--hostname H]")
	var o applyOptions
	fs.BoolVar(&o.yes, "yes", false, "apply without asking; required when stdin is not a terminal")
	fs.BoolVar(&o.json, "json", false, "print one line of JSON per sync (device, counts, journal entry, duration, error) instead of the report, for log collectors")
	fs.DurationVar(&o.splay, "splay", 0, "wait a random time in [0, D) before the first sync, so that hosts on one schedule reach NetBox at different times, e.g. 10m")
	fs.DurationVar(&o.every, "every", 0, "sync again every D until stopped, each time with a fresh discovery and diff, e.g. 1h (needs --yes)")
	fs.DurationVar(&o.heartbeat, "heartbeat", defaultHeartbeat, "when NetBox already matches the host, journal that on the device unless a sync's journal entry is younger than D, so that 'cmdb-mcp fleet' sees the host as synced (0: never)")
	o.sync = addSyncFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	if err := o.check(e); err != nil {
		return exitError, err
	}
	return o.run(ctx, e)
}

// applyOnce is one sync: diff, confirm unless --yes, apply. It fills sum
// with what happened and returns the exit code, and the error that ended
// the sync early, which finish reports where the output mode wants it.
func (o applyOptions) applyOnce(ctx context.Context, e env, sum *syncSummary) (int, error) {
	eng, plan, err := o.sync.plan(ctx, e)
	sum.Hostname = plan.Hostname
	if plan.DeviceFound {
		sum.Device, sum.DeviceID = plan.Device.Name, plan.Device.ID
	}
	if err != nil {
		return exitError, err
	}
	sum.PlanID, sum.Changes = plan.ID, len(plan.Changes)
	md := report.Markdown(plan)
	if !o.json {
		fmt.Fprint(e.stdout, md)
	}
	if len(plan.Changes) == 0 {
		return o.inSync(ctx, eng, plan, sum)
	}
	if !o.json {
		fmt.Fprintln(e.stdout)
	}
	if plan.Applicable() == 0 {
		msg := fmt.Sprintf("Nothing can be applied: NetBox would refuse all %d changes as they stand (see Blocked above).", len(plan.Changes))
		if !o.json {
			fmt.Fprintln(e.stdout, msg)
		}
		sum.Error = msg
		return exitError, nil
	}
	if !o.yes && !o.confirmed(e, plan, md) {
		sum.Error = "declined at the prompt: nothing was written"
		return exitError, nil
	}
	return o.write(ctx, e, eng, plan, sum)
}

// inSync ends a sync that found nothing to change: NetBox learns that it
// was checked (Engine.Confirm, at most once per heartbeat).
func (o applyOptions) inSync(ctx context.Context, eng *engine.Engine, plan diff.Plan, sum *syncSummary) (int, error) {
	sum.InSync = true
	id, err := eng.Confirm(ctx, plan, o.heartbeat)
	if err != nil {
		sum.JournalError = err.Error()
		return exitError, err
	}
	sum.JournalEntryID = id
	return exitOK, nil
}

// confirmed asks the person at the terminal (check made sure there is
// one) whether to write the plan. With --json, stdout is the summary's;
// the report they decide on goes beside the question.
func (o applyOptions) confirmed(e env, plan diff.Plan, md string) bool {
	if o.json {
		fmt.Fprint(e.stderr, md, "\n")
	}
	if confirm(e, fmt.Sprintf("Write these %d changes to NetBox device %s? [y/N] ", plan.Applicable(), untrusted.Text(plan.Device.Name))) {
		return true
	}
	if !o.json {
		fmt.Fprintln(e.stdout, "Aborted: nothing was written.")
	}
	return false
}

// write applies the plan and says what became of it; any change not
// written, or a missing journal entry, makes the exit code 1.
func (o applyOptions) write(ctx context.Context, e env, eng *engine.Engine, plan diff.Plan, sum *syncSummary) (int, error) {
	var opts []engine.ApplyOption
	if !o.json {
		opts = append(opts, engine.WithProgress(func(done, total int, msg string) {
			fmt.Fprintf(e.stderr, "[%d/%d] %s\n", done, total, msg)
		}))
	}
	// Once writing starts, a stop (SIGTERM, Ctrl-C) lets the apply finish
	// and journal what it wrote rather than leave NetBox half-synced with
	// no record; each request's timeout and the retry deadline bound how
	// long that takes. A second signal ends the process at once (main).
	res, err := eng.Apply(context.WithoutCancel(ctx), plan.ID, opts...)
	if errors.Is(err, engine.ErrStalePlan) {
		// The engine's words name the MCP tool; a person at the shell runs
		// the command again.
		return exitError, errors.New("NetBox changed since the diff above (another sync of this host, or an edit), so nothing was written: run 'cmdb-mcp apply' again to compare afresh and apply what is left ('cmdb-mcp diff' to look first)")
	}
	if err != nil {
		return exitError, withHint(err)
	}
	sum.Applied, sum.Failed, sum.Skipped = res.Applied, res.Failed, res.Skipped
	sum.JournalEntryID, sum.JournalError = res.JournalEntryID, res.JournalError
	if !o.json {
		printApplyResult(e.stdout, res) // the report above lists what was applied
	}
	if denied := res.WriteDenied(); denied != "" {
		fmt.Fprintln(e.stderr, denied)
	}
	if res.Failed > 0 || res.Skipped > 0 {
		// A partial write is not a success: the exit code says so.
		fmt.Fprintf(e.stderr, "%d of %d changes were not applied: %d failed, %d skipped (see above); the other %d were written.\n",
			res.Failed+res.Skipped, len(res.Changes), res.Failed, res.Skipped, res.Applied)
	}
	// A change skipped is as unwritten as one that failed, and a sync
	// without its journal entry leaves no record that it ran.
	if res.Failed > 0 || res.Skipped > 0 || res.JournalError != "" {
		return exitError, nil
	}
	return exitOK, nil
}

// confirm asks on stderr, leaving stdout to the report, and reads one line.
func confirm(e env, question string) bool {
	return ask(e, bufio.NewReader(e.stdin), question)
}

// ask reads a yes or no from in; stderr carries the question. A command
// that reads more answers after it passes the one reader it reads them
// all from.
func ask(e env, in *bufio.Reader, question string) bool {
	fmt.Fprint(e.stderr, question)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// appliedCounts and appliedLine are what printApplied shows of an apply,
// whether it ran here (apply.Result) or behind cmdb_sync_apply (the demo).
type appliedCounts struct {
	applied, failed, skipped int
	journalID                int64
	journalErr               string
}

type appliedLine struct {
	outcome apply.Outcome
	change  report.Change
	message string
}

// maxPrintedProblems bounds the failed and skipped changes printed: a
// NetBox that refuses every VM of a host with hundreds of containers would
// otherwise fill the terminal; the journal entry lists them all.
const maxPrintedProblems = 50

// printApplyResult says what an apply did: the counts, then one line per
// failed or skipped change, failures first.
func printApplyResult(w io.Writer, res apply.Result) {
	var lines []appliedLine
	for _, outcome := range []apply.Outcome{apply.OutcomeFailed, apply.OutcomeSkipped} {
		for _, cr := range res.Changes {
			if cr.Outcome == outcome {
				lines = append(lines, appliedLine{cr.Outcome, report.ChangeOf(cr.Change), cr.Message})
			}
		}
	}
	printApplied(w, appliedCounts{res.Applied, res.Failed, res.Skipped, res.JournalEntryID, res.JournalError}, lines)
}

// printApplied prints the counts, then the lines, NetBox's and the host's
// words shown as text.
func printApplied(w io.Writer, n appliedCounts, lines []appliedLine) {
	fmt.Fprintf(w, "Applied %d, failed %d, skipped %d", n.applied, n.failed, n.skipped)
	switch {
	case n.journalID != 0:
		fmt.Fprintf(w, "; journal entry %d records the sync.\n", n.journalID)
	case n.journalErr != "":
		fmt.Fprintf(w, "; the journal entry failed: %s\n", untrusted.Message(n.journalErr))
	default:
		fmt.Fprintln(w, ".")
	}
	show := untrusted.Text
	for i, l := range lines {
		if i == maxPrintedProblems {
			fmt.Fprintf(w, "  ... and %d more (the journal entry lists them all)\n", len(lines)-i)
			break
		}
		c := l.change
		line := fmt.Sprintf("  %-8s %s %s %q", l.outcome, c.Action, c.ObjectType, show(c.Object))
		if c.Field != "" {
			line += fmt.Sprintf(" %s: %s -> %s", show(c.Field), dash(show(c.Old)), dash(show(c.New)))
		}
		if l.message != "" {
			line += " (" + untrusted.Message(l.message) + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withHint adds the sentence naming the fix to a NetBox error.
func withHint(err error) error {
	var nbErr *netbox.Error
	if errors.As(err, &nbErr) && nbErr.Hint() != "" {
		return fmt.Errorf("%w\n%s", err, nbErr.Hint())
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
