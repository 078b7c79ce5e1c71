package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
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
	decisionApply     decision = iota // go ahead
	decisionAsk                       // return ask: the client asks the user
	decisionDeclined                  // the user said no
	decisionCancelled                 // the user dismissed the dialog without answering
	decisionRefused                   // no way to ask and no confirm flag
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
		switch {
		case acceptedField(answer, confirmField):
			return confirmOutcome{decision: decisionApply}
		case answer.Action == mcp.ElicitationResponseActionCancel:
			logToClient(ctx, mcp.LoggingLevelNotice, "the user dismissed the confirmation of the sync of "+untrusted.Text(plan.Device.Name))
			return confirmOutcome{decision: decisionCancelled}
		}
		logToClient(ctx, mcp.LoggingLevelNotice, "the user declined the sync of "+untrusted.Text(plan.Device.Name))
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

// acceptedField reports whether the user accepted the form with its
// checkbox field ticked.
func acceptedField(answer *mcp.ElicitationResult, field string) bool {
	if answer.Action != mcp.ElicitationResponseActionAccept {
		return false
	}
	content, _ := answer.Content.(map[string]any)
	yes, _ := content[field].(bool)
	return yes
}

// checkbox is a form of one checkbox, unticked, that the user must answer:
// the confirmation of a sync or a register. state binds the answer to
// what was asked (a plan id).
type checkbox struct {
	state, key, message string
	field, title, what  string
}

func (c checkbox) ask() *mcp.CallToolResult {
	return server.NewInputRequestBuilder(c.state).Elicit(c.key, mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: c.message,
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				c.field: map[string]any{
					"type":        "boolean",
					"title":       c.title,
					"description": c.what,
					"default":     false,
				},
			},
			"required": []string{c.field},
		},
	}).ToolResult()
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
	fmt.Fprintf(&b, "Apply this sync to NetBox device %s (id %d)? %s, %s, %s. Nothing is deleted.\n",
		untrusted.Markdown(plan.Device.Name), plan.Device.ID, plural(s.Updates, "update", "updates"), plural(s.Creates, "create", "creates"), plural(s.Removals, "removal/offline", "removals/offline"))
	if createsClusters(plan) {
		// The seed's "Cluster not found: offer to create or skip".
		b.WriteString("It creates NetBox clusters for the Docker containers. To skip the containers instead, decline, and diff again with no_create_clusters.\n")
	}
	if s.Blocked > 0 {
		verb := "are"
		if s.Blocked == 1 {
			verb = "is"
		}
		fmt.Fprintf(&b, "%s NetBox would refuse %s skipped (the report's Blocked section says why).\n", plural(s.Blocked, "change", "changes"), verb)
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
	return checkbox{state: plan.ID, key: confirmKey, message: b.String(), field: confirmField,
		title: "Apply these changes to NetBox", what: "Writes the changes listed, then a journal entry on the device."}.ask()
}

// changeLine is one change in a line, as the report's rows read. Clients
// may render the message as Markdown or show it as text: the values are
// escaped for both (package untrusted).
func changeLine(c diff.Change) string {
	obj := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(c.ObjectType, "dcim."), "ipam."), "virtualization.")
	show := untrusted.Markdown
	line := fmt.Sprintf("%s %s %s", c.Action, obj, show(c.Object))
	switch {
	case c.Field != "" && c.Old != "":
		line += fmt.Sprintf(" %s: %s -> %s", show(c.Field), show(c.Old), show(c.New))
	case c.Field != "":
		line += fmt.Sprintf(" %s: %s", show(c.Field), show(c.New))
	}
	return line
}

// plural counts n things in words: "1 update", "2 updates".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
