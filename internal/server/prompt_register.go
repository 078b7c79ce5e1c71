package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// RegisterPromptName is the prompt that walks an agent through registering
// this host, the /cmdb register a sync of an unknown host suggests.
const RegisterPromptName = "cmdb_register"

// registerPrompt is /cmdb register as an MCP prompt: the choices, the
// report, the confirmation, then a check that the host is in sync.
func registerPrompt() (mcp.Prompt, mcpserver.PromptHandlerFunc) {
	p := mcp.NewPrompt(RegisterPromptName,
		mcp.WithPromptTitle("Register this host in NetBox"),
		mcp.WithPromptDescription("Create this host's NetBox device (site, role and device type chosen by the user) with what a first sync writes, after confirmation."),
		mcp.WithArgument("site", mcp.ArgumentTitle("Site"), mcp.ArgumentDescription("NetBox site name or slug (asked when not given)")),
		mcp.WithArgument("role", mcp.ArgumentTitle("Role"), mcp.ArgumentDescription("Device role name or slug (asked when not given)")),
		mcp.WithArgument("device_type", mcp.ArgumentTitle("Device type"), mcp.ArgumentDescription("Device type; default: matched from the hardware")),
	)
	return p, func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		var given []string
		for _, k := range []string{"site", "role", "device_type"} {
			if v := strings.TrimSpace(req.Params.Arguments[k]); v != "" {
				given = append(given, fmt.Sprintf("%s=%q", k, v))
			}
		}
		return mcp.NewGetPromptResult("Register this host in NetBox", []mcp.PromptMessage{
			mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(registerWorkflow(given))),
		}), nil
	}
}

// registerWorkflow is the prompt's text; given are the choices the user
// made already, as arguments of the first call.
func registerWorkflow(given []string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("Register this host in NetBox (/cmdb register): create its device from what the host is, then what a first sync writes, so that it is in sync at once.")
	line("")
	if len(given) > 0 {
		line("1. Call cmdb_register with %s.", strings.Join(given, ", "))
	} else {
		line("1. Call cmdb_register.")
	}
	line("- If NetBox already has this host (by name, or its serial under another name), nothing is written: tell the user and sync it instead (prompt cmdb_sync, tool cmdb_sync_diff), with the hostname the answer names. Stop.")
	line("- If the client asks the user for the site, role and device type itself, their answer is the choice.")
	line("- If the answer lists NetBox's sites, roles and device types instead, ask the user to choose (or to agree to create_device_type=true, which makes the device type from the hardware), then call cmdb_register again with their choices.")
	line("")
	line("2. Show the user report_markdown exactly as returned: the device to create and what its first sync writes.")
	line("")
	line("3. Confirmation: the client may ask the user itself; if they decline, nothing is written. Otherwise ask them, and call cmdb_register with the plan_id and confirm=true only after they said yes.")
	line("- If the plan is stale (NetBox changed in the meantime), call cmdb_register again and show the new report.")
	line("")
	line("4. Tell the user what was created and the first sync's applied, failed and skipped counts (for a failure, which change and why). Then call cmdb_sync_diff: it should report in_sync.")
	line("Nothing is ever deleted.")
	return b.String()
}
