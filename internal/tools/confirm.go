package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
)

// The confirmation between diff and apply (the seed's "after
// confirmation"). A client that supports elicitation asks the user itself:
// cmdb_sync_apply returns mcp-go's input request, which a client of
// protocol 2026-07-28 answers by calling again with the answer attached,
// and which mcp-go turns into an elicitation/create request for a client
// of an earlier protocol, calling the handler again with the answer. A
// client without elicitation cannot ask, so the agent must, and says so
// with confirm=true. A full-mode plan skips confirmation, as the seed's
// Full Sync Mode does.

// confirmKey names the confirmation among a request's input responses.
const confirmKey = "confirm_sync"

// confirmField is the form field the user ticks.
const confirmField = "apply"

type decision int

const (
	decisionApply    decision = iota // go ahead
	decisionAsk                      // return ask: the client asks the user
	decisionDeclined                 // the user said no
	decisionRefused                  // no way to ask and no confirm flag
)

type confirmOutcome struct {
	decision decision
	ask      *mcp.CallToolResult
}

func confirmation(ctx context.Context, req mcp.CallToolRequest, plan diff.Plan, confirmed bool) confirmOutcome {
	if plan.Full {
		logToClient(ctx, mcp.LoggingLevelNotice, "full sync: applying without confirmation, as the plan was made in full mode")
		return confirmOutcome{decision: decisionApply}
	}
	// The request state binds the answer to the plan it was asked for, so
	// an answer cannot be replayed for another plan.
	if answer := server.ElicitationResponse(req.Params.InputResponses, confirmKey); answer != nil && req.Params.RequestState == plan.ID {
		if accepted(answer) {
			return confirmOutcome{decision: decisionApply}
		}
		logToClient(ctx, mcp.LoggingLevelNotice, "the user declined the sync of "+plan.Device.Name)
		return confirmOutcome{decision: decisionDeclined}
	}
	if clientCanElicit(ctx) {
		return confirmOutcome{decision: decisionAsk, ask: askToApply(plan)}
	}
	if confirmed {
		return confirmOutcome{decision: decisionApply}
	}
	return confirmOutcome{decision: decisionRefused}
}

func accepted(answer *mcp.ElicitationResult) bool {
	if answer.Action != mcp.ElicitationResponseActionAccept {
		return false
	}
	content, _ := answer.Content.(map[string]any)
	yes, _ := content[confirmField].(bool)
	return yes
}

// clientCanElicit reports whether the client making this request declared
// the elicitation capability: in the request itself from protocol
// 2026-07-28 on, at initialize before.
func clientCanElicit(ctx context.Context) bool {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
	}
	session := server.ClientSessionFromContext(ctx)
	if _, ok := session.(server.SessionWithElicitation); !ok {
		return false
	}
	withInfo, ok := session.(server.SessionWithClientInfo)
	return ok && withInfo.GetClientCapabilities().Elicitation != nil
}

// maxConfirmLines bounds the changes listed in the confirmation dialog;
// the report has them all.
const maxConfirmLines = 15

// askToApply is the input request that asks the user to confirm the plan.
func askToApply(plan diff.Plan) *mcp.CallToolResult {
	s := plan.Summary()
	var b strings.Builder
	fmt.Fprintf(&b, "Apply this sync to NetBox device %s (id %d)? %d updates, %d creates, %d removals/offline. Nothing is deleted.\n",
		plan.Device.Name, plan.Device.ID, s.Updates, s.Creates, s.Removals)
	if createsClusters(plan) {
		// The seed's "Cluster not found: offer to create or skip".
		b.WriteString("It creates NetBox clusters for the Docker containers. To skip the containers instead, decline, and diff again with no_create_clusters.\n")
	}
	if s.Blocked > 0 {
		fmt.Fprintf(&b, "%d changes NetBox would refuse are skipped (the report's Blocked section says why).\n", s.Blocked)
	}
	shown, total := 0, 0
	for _, c := range plan.Changes {
		if c.Supporting || c.Blocked != "" {
			continue
		}
		total++
		if shown == maxConfirmLines {
			continue
		}
		shown++
		b.WriteString("\n- " + changeLine(c))
	}
	if total > shown {
		fmt.Fprintf(&b, "\n- ... and %d more (the full report is resource cmdb://plans/%s)", total-shown, plan.ID)
	}
	return server.NewInputRequestBuilder(plan.ID).Elicit(confirmKey, mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: b.String(),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				confirmField: map[string]any{
					"type":        "boolean",
					"title":       "Apply these changes to NetBox",
					"description": "Writes the changes listed, then a journal entry on the device.",
					"default":     false,
				},
			},
			"required": []string{confirmField},
		},
	}).ToolResult()
}

// changeLine is one change in a line, as the report's rows read.
func changeLine(c diff.Change) string {
	obj := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(c.ObjectType, "dcim."), "ipam."), "virtualization.")
	line := fmt.Sprintf("%s %s %s", c.Action, obj, c.Object)
	switch {
	case c.Field != "" && c.Old != "":
		line += fmt.Sprintf(" %s: %s -> %s", c.Field, c.Old, c.New)
	case c.Field != "":
		line += fmt.Sprintf(" %s: %s", c.Field, c.New)
	}
	return line
}
