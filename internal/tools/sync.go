package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// DryRunDone is how a dry run ends, in the seed's words.
const DryRunDone = "Dry run complete. No changes applied."

// Mode is a sync mode of the seed: default (confirm, then apply), dry-run
// (report only) or full (refresh every field, no confirmation).
type Mode string

// Modes.
const (
	ModeDefault Mode = "default"
	ModeDryRun  Mode = "dry-run"
	ModeFull    Mode = "full"
)

// Modes lists the sync modes, the default first.
var Modes = []Mode{ModeDefault, ModeDryRun, ModeFull}

// ParseMode checks a mode; empty is the default.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return ModeDefault, nil
	}
	for _, m := range Modes {
		if Mode(s) == m {
			return m, nil
		}
	}
	return "", userErrorf("mode %q is not one of default, dry-run, full.", s)
}

// DiscoverInput is the input of cmdb_discover: it takes none.
type DiscoverInput struct{}

func discover(eng *engine.Engine) Tool {
	def := mcp.NewTool("cmdb_discover",
		mcp.WithDescription("Read what this host is now: hostname, OS and the NetBox platform it maps to, serial, model, CPUs, memory, disk, interfaces, containers. Changes nothing."),
		inputSchema[DiscoverInput](),
		outputSchema[host.Host](),
		hints(readHints, "Discover this host"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, _ DiscoverInput) (host.Host, error) {
		h, err := eng.Discover(ctx)
		if err != nil {
			return host.Host{}, fmt.Errorf("discover host: %w", err)
		}
		return h, nil
	})}
}

// SyncDiffInput is the input of cmdb_sync_diff.
type SyncDiffInput struct {
	Hostname         string `json:"hostname,omitempty" jsonschema:"NetBox device name; default: this host's name"`
	Mode             string `json:"mode,omitempty" enum:"default|dry-run|full" jsonschema:"dry-run: report only; full: refresh every field and apply without confirmation"`
	NoCreateClusters bool   `json:"no_create_clusters,omitempty" jsonschema:"Skip containers rather than create missing clusters"`
}

// SyncDiffOutput is the output of cmdb_sync_diff.
type SyncDiffOutput struct {
	PlanID  string         `json:"plan_id,omitempty" jsonschema:"For cmdb_sync_apply; none in a dry run"`
	Mode    Mode           `json:"mode"`
	InSync  bool           `json:"in_sync" jsonschema:"NetBox already matches the host"`
	Device  diff.DeviceRef `json:"device"`
	Summary diff.Summary   `json:"summary"`
	// The changes themselves are in ReportMarkdown, one row each, and in
	// resource cmdb://plans/{plan_id} as data: a list here too would hand
	// the model every change twice.
	Notes []string `json:"notes,omitempty" jsonschema:"What was not compared, and why"`
	// ReportMarkdown is the seed's Phase 4 report, meant to be shown as is.
	ReportMarkdown string `json:"report_markdown" jsonschema:"Show it to the user as is"`
	NextStep       string `json:"next_step"`
}

func syncDiff(eng *engine.Engine) Tool {
	def := mcp.NewTool("cmdb_sync_diff",
		mcp.WithDescription("Phases 1-4 of a sync: look the host's device up, discover the host, compare, and report. Changes nothing; returns the report for the user and a plan_id for cmdb_sync_apply."),
		inputSchema[SyncDiffInput](),
		outputSchema[SyncDiffOutput](),
		hints(readHints, "Plan a NetBox sync"),
	)
	// readOnlyHint holds: keeping the plan in memory for a later apply
	// changes nothing outside this server.
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in SyncDiffInput) (SyncDiffOutput, error) {
		mode, err := ParseMode(in.Mode)
		if err != nil {
			return SyncDiffOutput{}, err
		}
		plan, err := eng.Diff(ctx, engine.DiffRequest{Hostname: in.Hostname, Full: mode == ModeFull, NoCreateClusters: in.NoCreateClusters, Owner: Owner(ctx)})
		if err != nil {
			return SyncDiffOutput{}, fmt.Errorf("sync diff: %w", err)
		}
		if !plan.DeviceFound {
			if len(plan.Similar) > 0 {
				return SyncDiffOutput{}, userErrorf("NetBox has no device named %q, but it has %q: ask the user whether that is this host; if so, call cmdb_sync_diff with hostname %q; if not, register this host first (cmdb_register).",
					plan.Hostname, plan.Similar, plan.Similar[0])
			}
			return SyncDiffOutput{}, userErrorf("NetBox has no device named %q: register this host first (cmdb_register), then call cmdb_sync_diff again.", plan.Hostname)
		}
		out := diffOutput(plan, mode)
		s := out.Summary
		logToClient(ctx, mcp.LoggingLevelInfo, fmt.Sprintf("%s: %d updates, %d creates, %d removals/offline (%s)", untrusted.Text(plan.Device.Name), s.Updates, s.Creates, s.Removals, mode))
		for _, n := range plan.Notes {
			logToClient(ctx, mcp.LoggingLevelNotice, untrusted.Message(n))
		}
		return out, nil
	})}
}

// DiffOutput renders a plan for a device NetBox has as cmdb_sync_diff
// returns it in the plan's mode (default or full).
func DiffOutput(plan diff.Plan) SyncDiffOutput {
	mode := ModeDefault
	if plan.Full {
		mode = ModeFull
	}
	return diffOutput(plan, mode)
}

// maxListedChanges bounds the list of failed and skipped changes a model
// reads: a NetBox that refuses every write to a host with hundreds of
// containers would otherwise fill its context.
const maxListedChanges = 50

func diffOutput(plan diff.Plan, mode Mode) SyncDiffOutput {
	out := SyncDiffOutput{
		PlanID:         plan.ID,
		Mode:           mode,
		InSync:         plan.InSync(),
		Device:         plan.Device,
		Summary:        plan.Summary(),
		Notes:          plan.Notes,
		ReportMarkdown: report.Markdown(plan),
	}
	switch {
	case mode == ModeDryRun:
		// A dry run skips Phases 5 and 6: there is nothing to apply.
		out.PlanID = ""
		if out.InSync {
			out.NextStep = "Tell the user NetBox already matches this host, then end with: " + DryRunDone
		} else {
			out.NextStep = "Show report_markdown to the user, then end with: " + DryRunDone
		}
	case len(plan.Changes) == 0:
		out.NextStep = "Nothing to apply: tell the user NetBox already matches this host."
	case plan.Applicable() == 0:
		out.PlanID = ""
		out.NextStep = "Nothing can be applied: NetBox would refuse every change as it stands (see Blocked in report_markdown). Show the report and tell the user what each block needs, then call cmdb_sync_diff again once it is fixed."
	case mode == ModeFull:
		out.NextStep = fmt.Sprintf("Full sync: show report_markdown to the user, then call cmdb_sync_apply with plan_id=%q; full mode needs no confirmation.", plan.ID)
	case out.InSync:
		out.NextStep = fmt.Sprintf("NetBox already matches; this plan only refreshes unchanged values. Call cmdb_sync_apply with plan_id=%q only if the user wants that refresh.", plan.ID)
	default:
		out.NextStep = fmt.Sprintf("Show report_markdown to the user and ask whether to apply it; then call cmdb_sync_apply with plan_id=%q (with confirm=true only after the user agreed).", plan.ID)
	}
	if out.PlanID != "" && mode != ModeDryRun {
		if createsClusters(plan) {
			out.NextStep += " The plan creates NetBox clusters for the containers: ask the user whether to create them or to skip the containers (then call cmdb_sync_diff again with no_create_clusters=true)."
		}
		if s := out.Summary; s.Blocked > 0 {
			out.NextStep += fmt.Sprintf(" %d changes are blocked (NetBox would refuse them, see Blocked in the report): they will be skipped and the rest applied; tell the user what each needs.", s.Blocked)
		}
	}
	return out
}

// createsClusters reports whether the plan creates the cluster type, the
// host's cluster group or a cluster (the seed's "Cluster not found").
func createsClusters(plan diff.Plan) bool {
	for _, c := range plan.Changes {
		if c.Action == diff.ActionCreate && c.Blocked == "" &&
			(c.ObjectType == diff.ObjectClusterType || c.ObjectType == diff.ObjectClusterGroup || c.ObjectType == diff.ObjectCluster) {
			return true
		}
	}
	return false
}

// SyncApplyInput is the input of cmdb_sync_apply.
type SyncApplyInput struct {
	PlanID  string `json:"plan_id" jsonschema:"From cmdb_sync_diff in this session"`
	Confirm bool   `json:"confirm,omitempty" jsonschema:"The user saw the report and agreed; needed when the client cannot ask them itself"`
}

// SyncApplyOutput is the output of cmdb_sync_apply: how many changes were
// applied, which failed or were skipped and why, and what to do next. The
// applied changes are not listed again: the model showed them to the user
// in the report, and the journal entry records them.
type SyncApplyOutput struct {
	PlanID string         `json:"plan_id"`
	Device diff.DeviceRef `json:"device"`
	// Declined says the user refused in the client's confirmation dialog;
	// nothing was written.
	Declined bool `json:"declined,omitempty"`
	// Cancelled says the user dismissed the dialog without choosing;
	// nothing was written.
	Cancelled      bool            `json:"cancelled,omitempty"`
	Applied        int             `json:"applied"`
	Failed         int             `json:"failed"`
	Skipped        int             `json:"skipped"`
	JournalEntryID int64           `json:"journal_entry_id,omitempty"`
	JournalError   string          `json:"journal_error,omitempty"`
	Changes        []AppliedChange `json:"changes" jsonschema:"The failed changes, then the skipped ones; at most 50. Applied changes are counted, not listed"`
	// ChangesOmitted counts the changes left out of Changes.
	ChangesOmitted int    `json:"changes_omitted,omitempty"`
	NextStep       string `json:"next_step"`
}

// AppliedChange is one change of the plan and what became of it.
type AppliedChange struct {
	report.Change
	Outcome apply.Outcome `json:"outcome"`
	// Message is NetBox's own words for a failure, or why a change was skipped.
	Message string `json:"message,omitempty"`
	// Kind is the kind of NetBox's refusal: permission, validation, ...
	Kind string `json:"kind,omitempty" jsonschema:"What kind of refusal a failure was: permission, validation, conflict, ..."`
}

func syncApply(eng *engine.Engine) Tool {
	def := mcp.NewTool("cmdb_sync_apply",
		mcp.WithDescription("Phases 5-6 of a sync: write a cmdb_sync_diff plan to NetBox and journal it on the device. Never deletes. Needs the user's confirmation: the client asks them when it can; otherwise show them the report, ask, and pass confirm=true only after they agree. A full-mode plan needs none."),
		inputSchema[SyncApplyInput](),
		outputSchema[SyncApplyOutput](),
		// It overwrites NetBox values; a second call with the same plan is
		// refused, a new plan writes another journal entry.
		hints(mcp.ToolAnnotation{
			ReadOnlyHint:    mcp.ToBoolPtr(false),
			DestructiveHint: mcp.ToBoolPtr(true),
			IdempotentHint:  mcp.ToBoolPtr(false),
			OpenWorldHint:   mcp.ToBoolPtr(false),
		}, "Apply a NetBox sync plan"),
	)
	return Tool{Definition: def, Handler: handle(func(ctx context.Context, req mcp.CallToolRequest, in SyncApplyInput) (*mcp.CallToolResult, error) {
		if in.PlanID == "" {
			return nil, userErrorf("plan_id is required: call cmdb_sync_diff, show its report to the user, and pass its plan_id once they confirm.")
		}
		plan, ok := eng.PlanOf(in.PlanID, Owner(ctx))
		if !ok {
			return nil, engine.ErrUnknownPlan
		}
		switch c := confirmation(ctx, req, plan, in.Confirm); c.decision {
		case decisionAsk:
			return c.ask, nil
		case decisionDeclined:
			out := SyncApplyOutput{PlanID: plan.ID, Device: plan.Device, Declined: true, Changes: []AppliedChange{},
				NextStep: "The user declined, so nothing was written. Ask what they want changed; the plan stays valid until it expires, or call cmdb_sync_diff again."}
			return mcp.NewToolResultStructuredOnly(out), nil
		case decisionCancelled:
			out := SyncApplyOutput{PlanID: plan.ID, Device: plan.Device, Cancelled: true, Changes: []AppliedChange{},
				NextStep: "The user closed the confirmation without answering, so nothing was written. Ask them in the chat whether to apply the report; if they say yes, call cmdb_sync_apply again with this plan_id."}
			return mcp.NewToolResultStructuredOnly(out), nil
		case decisionRefused:
			return nil, userErrorf("Nothing was written: this client cannot ask the user to confirm, so show them report_markdown from cmdb_sync_diff, ask whether to apply it, and call cmdb_sync_apply again with confirm=true only after they agree.")
		}
		res, err := eng.Apply(ctx, in.PlanID, engine.WithProgress(progressOf(ctx, req)), engine.WithOwner(Owner(ctx)))
		if err != nil {
			return nil, fmt.Errorf("apply plan %s: %w", in.PlanID, err)
		}
		for _, c := range res.Changes {
			if c.Outcome == apply.OutcomeFailed {
				logToClient(ctx, mcp.LoggingLevelWarning, fmt.Sprintf("%s %s %q %s failed: %s", c.Change.Action, c.Change.ObjectType, untrusted.Text(c.Change.Object), untrusted.Text(c.Change.Field), untrusted.Message(c.Message)))
			}
		}
		return mcp.NewToolResultStructuredOnly(ApplyOutput(res)), nil
	})}
}

// ApplyOutput renders an apply result as cmdb_sync_apply returns it; the
// CLI prints the same value.
func ApplyOutput(res apply.Result) SyncApplyOutput {
	out := SyncApplyOutput{
		PlanID:         res.PlanID,
		Device:         res.Device,
		Applied:        res.Applied,
		Failed:         res.Failed,
		Skipped:        res.Skipped,
		JournalEntryID: res.JournalEntryID,
		JournalError:   res.JournalError,
		Changes:        []AppliedChange{},
	}
	// Failures and skips are what the user must hear about.
	for _, outcome := range []apply.Outcome{apply.OutcomeFailed, apply.OutcomeSkipped} {
		for _, c := range res.Changes {
			if c.Outcome != outcome {
				continue
			}
			if len(out.Changes) == maxListedChanges {
				out.ChangesOmitted++
				continue
			}
			out.Changes = append(out.Changes, AppliedChange{Change: report.ChangeOf(c.Change), Outcome: c.Outcome, Message: c.Message, Kind: string(c.Kind)})
		}
	}
	journal := "no journal entry was written"
	switch {
	case res.JournalEntryID != 0:
		journal = fmt.Sprintf("journal entry %d records it", res.JournalEntryID)
	case res.JournalError != "":
		journal = "the journal entry failed (" + res.JournalError + ")"
	}
	denied := res.WriteDenied()
	switch {
	case denied != "" && res.Applied == 0 && res.JournalEntryID == 0:
		out.NextStep = fmt.Sprintf("Nothing was written: %d changes failed, %d skipped. %s Tell the user, then call cmdb_sync_diff again once the token is fixed.", res.Failed, res.Skipped, denied)
	case denied != "":
		out.NextStep = fmt.Sprintf("%d of %d changes failed and %d were skipped (see changes[].message); the other %d were applied; %s. %s Tell the user which, then call cmdb_sync_diff to see what is left.", res.Failed, len(res.Changes), res.Skipped, res.Applied, journal, denied)
	case res.Failed > 0 || res.Skipped > 0:
		out.NextStep = fmt.Sprintf("%d of %d changes failed and %d were skipped (see changes[].message: NetBox's reason, or why); the other %d were applied; %s. Tell the user which and why, then call cmdb_sync_diff to see what is left.", res.Failed, len(res.Changes), res.Skipped, res.Applied, journal)
	default:
		out.NextStep = fmt.Sprintf("Applied %d changes; %s. Call cmdb_sync_diff to confirm NetBox now matches the host.", res.Applied, journal)
	}
	return out
}
