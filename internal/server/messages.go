package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// mcp-go answers every error a prompt or resource handler returns with
// -32603 (internal error). Two of ours are not internal: a prompt argument
// the prompt does not take is invalid params (-32602), and a plan that
// does not exist is a missing resource (-32002 with data.uri up to
// 2025-11-25; -32602 with data.uri from 2026-07-28). The transports ask
// precheck before they hand a request to mcp-go, and answer with what it
// returns.

// serverInfo is what precheck knows of a server built by New.
type serverInfo struct {
	eng    *engine.Engine
	prompt bool
}

var servers sync.Map // *mcpserver.MCPServer -> serverInfo

// precheck answers a prompts/get or resources/read request that mcp-go
// would answer with the wrong error code. owner is tools.Owner of the
// request; modern says it is of protocol 2026-07-28.
func precheck(s *mcpserver.MCPServer, env envelope, msg []byte, owner string, modern bool) (json.RawMessage, bool) {
	v, ok := servers.Load(s)
	if !ok {
		return nil, false
	}
	info := v.(serverInfo)
	switch env.Method {
	case string(mcp.MethodPromptsGet):
		var p struct {
			Params struct {
				Name      string         `json:"name"`
				Arguments map[string]any `json:"arguments"`
			} `json:"params"`
		}
		if !info.prompt || json.Unmarshal(msg, &p) != nil || p.Params.Name != PromptName {
			return nil, false
		}
		for name, value := range p.Params.Arguments {
			if name != "mode" {
				return errorMessage(env.ID, mcp.INVALID_PARAMS, fmt.Sprintf("Invalid params: prompt %s takes one argument, mode, not %q", PromptName, clipped(name))), true
			}
			mode, isString := value.(string)
			if _, err := tools.ParseMode(strings.TrimSpace(mode)); !isString || err != nil {
				return errorMessage(env.ID, mcp.INVALID_PARAMS, fmt.Sprintf("Invalid params: prompt %s: mode %q is not one of default, dry-run, full", PromptName, clipped(fmt.Sprint(value)))), true
			}
		}
	case string(mcp.MethodResourcesRead):
		var p struct {
			Params struct {
				URI string `json:"uri"`
			} `json:"params"`
		}
		if json.Unmarshal(msg, &p) != nil {
			return nil, false
		}
		uri := p.Params.URI
		if uri == HostURI {
			return nil, false
		}
		if id, isPlan := strings.CutPrefix(uri, planURIPrefix); isPlan && info.eng != nil && id != "" {
			if _, found := info.eng.PlanOf(id, owner); found {
				return nil, false
			}
		}
		code := mcp.RESOURCE_NOT_FOUND
		if modern {
			code = mcp.INVALID_PARAMS
		}
		text := fmt.Sprintf("Resource not found: %s", clipped(uri))
		if strings.HasPrefix(uri, planURIPrefix) {
			text += " (a plan lives in the session that made it until it is applied or expires: call cmdb_sync_diff for a new one)"
		}
		if len(uri) > maxURIEcho {
			uri = uri[:maxURIEcho]
		}
		b, _ := json.Marshal(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": idOrNull(env.ID),
			"error": map[string]any{"code": code, "message": text, "data": map[string]any{"uri": uri}}})
		return b, true
	}
	return nil, false
}

func idOrNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

// maxURIEcho bounds the uri repeated in a not-found error's data.
const maxURIEcho = 2048

// clipped bounds a client's value repeated in an error.
func clipped(s string) string {
	if len(s) <= 100 {
		return s
	}
	return s[:100] + "…"
}
