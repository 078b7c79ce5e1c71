package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// PromptName is the prompt that walks an agent through a sync. Claude Code
// and Claude Desktop show it as the slash command /cmdb_sync (Claude Code:
// /mcp__cmdb__cmdb_sync).
const PromptName = "cmdb_sync"

// syncPrompt is the seed's /cmdb sync as an MCP prompt: the six phases,
// with the tools this server offers.
func syncPrompt(offered map[string]bool) (mcp.Prompt, mcpserver.PromptHandlerFunc) {
	p := mcp.NewPrompt(PromptName,
		mcp.WithPromptTitle("Sync this host with NetBox"),
		mcp.WithPromptDescription("Sync this host's NetBox device record: look up, discover, compare, report, then (after confirmation) apply and journal."),
		mcp.WithArgument("mode",
			mcp.ArgumentTitle("Mode"),
			mcp.ArgumentDescription("default (confirm, then apply), dry-run (report only) or full (refresh every field, no confirmation)"),
		),
	)
	return p, func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		mode, err := tools.ParseMode(strings.TrimSpace(req.Params.Arguments["mode"]))
		if err != nil {
			return nil, fmt.Errorf("prompt %s: mode %q: use default, dry-run or full", PromptName, req.Params.Arguments["mode"])
		}
		text, note := syncWorkflow(mode, offered)
		desc := fmt.Sprintf("Sync this host with NetBox (%s mode)", mode)
		if note != "" {
			desc += ": " + note
		}
		return mcp.NewGetPromptResult(desc, []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
		}), nil
	}
}

// syncWorkflow is the prompt's text for one mode. A server that cannot
// apply (--read-only, or no sync toolset's apply) runs every mode as a
// dry run and says why.
func syncWorkflow(mode tools.Mode, offered map[string]bool) (text, note string) {
	if mode != tools.ModeDryRun && !offered["cmdb_sync_apply"] {
		note = "this server is read-only, so this is a dry run"
		mode = tools.ModeDryRun
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("Sync this host's NetBox device record with the host (/cmdb sync, %s mode).", mode)
	if note != "" {
		line("Note: %s.", note)
	}
	line("")
	line("Phases 1-4 (device lookup, discovery, comparison, diff report): call cmdb_sync_diff with mode=%q.", mode)
	if offered["cmdb_register"] {
		line("- If it says the device is not in NetBox, suggest registering the host (/cmdb register: prompt or tool cmdb_register) and stop. (dcim_list_devices name=<hostname> looks it up by hand.)")
	} else {
		line("- If it says the device is not in NetBox, suggest registering the host (cmdb-mcp register on the host) and stop. (dcim_list_devices name=<hostname> looks it up by hand.)")
	}
	line("- Show the user report_markdown exactly as returned, and any notes (what was not compared).")
	switch mode {
	case tools.ModeDryRun:
		line("")
		line("Dry run: skip Phases 5 and 6; do not call cmdb_sync_apply or any tool that writes.")
		line("End with: %q", tools.DryRunDone)
		return b.String(), note
	case tools.ModeFull:
		line("")
		line("Full mode skips confirmation and refreshes every field, even unchanged ones:")
		line("Phases 5-6: call cmdb_sync_apply with the plan_id right after showing the report.")
	default:
		line("- If in_sync is true, tell the user NetBox already matches and stop.")
		line("- If the report creates cluster types, groups or clusters for the containers (NetBox has no cluster for them yet), ask the user whether to create them or to skip the container part; to skip, call cmdb_sync_diff again with no_create_clusters=true and show that report instead.")
		line("- If the report has a Blocked section, tell the user what NetBox would refuse and why (e.g. a required custom field: its value goes in CMDB_CUSTOM_FIELDS); those changes are skipped and the rest applies.")
		line("")
		line("Confirmation: ask the user whether to apply these changes. Then call cmdb_sync_apply with the plan_id.")
		line("- If the client shows its own confirmation dialog, that is the user's answer; if they decline, nothing is written.")
		line("- If cmdb_sync_apply says the client cannot ask, call it again with confirm=true only after the user said yes in the chat.")
		line("")
		line("Phases 5-6 (apply, journal): cmdb_sync_apply writes the changes in the order NetBox accepts and records a journal entry on the device.")
	}
	line("- Report applied, failed and skipped counts and the journal entry. For each failure say which change failed and NetBox's reason (permission denied: note it); objects NetBox refused fail alone, the others were still applied, and what depended on a refused one was skipped with its name.")
	line("- If the plan is stale (NetBox changed since the diff), call cmdb_sync_diff again and show the new report.")
	line("- Finally call cmdb_sync_diff again to confirm NetBox now matches the host.")
	if offered["dcim_update_interface"] {
		line("")
		line("For a single object the seed's own calls exist too (dcim_update_device, dcim_update_interface, ipam_update_ip_address, virt_update_vm, extras_create_journal_entry); cmdb_sync_apply already makes them for the whole plan. Never delete anything: removals are marked offline or unassigned.")
	}
	return b.String(), note
}

// modeCompletion completes the cmdb_sync prompt's mode argument.
type modeCompletion struct{}

func (modeCompletion) CompletePromptArgument(_ context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	values := []string{}
	if prompt == PromptName && arg.Name == "mode" {
		for _, m := range tools.Modes {
			if strings.HasPrefix(string(m), arg.Value) {
				values = append(values, string(m))
			}
		}
	}
	return &mcp.Completion{Values: values}, nil
}
