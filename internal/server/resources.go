package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Resource addresses.
const (
	// HostURI is what this host is now (cmdb_discover's output).
	HostURI = "cmdb://host"
	// PlanURITemplate is a plan made by cmdb_sync_diff, until it is
	// applied or expires: its report as Markdown and the plan as JSON.
	PlanURITemplate = "cmdb://plans/{id}"
	planURIPrefix   = "cmdb://plans/"
)

const (
	mimeJSON     = "application/json"
	mimeMarkdown = "text/markdown"
)

// errNoEngine is what the resources say in a server built without one
// (tests that only list things).
var errNoEngine = errors.New("this server has no sync engine")

func addResources(s *mcpserver.MCPServer, eng *engine.Engine) {
	s.AddResource(mcp.NewResource(HostURI, "host",
		mcp.WithResourceTitle("This host"),
		mcp.WithResourceDescription("What this host is now: name, OS and NetBox platform, hardware, interfaces, containers (as cmdb_discover returns it)."),
		mcp.WithMIMEType(mimeJSON),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		if eng == nil {
			return nil, errNoEngine
		}
		h, err := eng.Discover(ctx)
		if err != nil {
			return nil, fmt.Errorf("discover host: %w", err)
		}
		raw, err := json.MarshalIndent(h, "", "  ")
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: mimeJSON, Text: string(raw)}}, nil
	})

	s.AddResourceTemplate(mcp.NewResourceTemplate(PlanURITemplate, "plan",
		mcp.WithTemplateTitle("Sync plan"),
		mcp.WithTemplateDescription("A plan from cmdb_sync_diff, until applied or expired: the diff report (Markdown) and the plan (JSON)."),
	), func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		if eng == nil {
			return nil, errNoEngine
		}
		id, _ := req.Params.Arguments["id"].(string)
		if vs, ok := req.Params.Arguments["id"].([]string); ok && len(vs) > 0 {
			id = vs[0]
		}
		plan, ok := eng.PlanOf(id, tools.Owner(ctx))
		if !ok {
			return nil, fmt.Errorf("no plan %q: plans live until applied or expired; call cmdb_sync_diff for a new one", id)
		}
		raw, err := json.MarshalIndent(plan, "", "  ")
		if err != nil {
			return nil, err
		}
		return []mcp.ResourceContents{
			mcp.TextResourceContents{URI: req.Params.URI, MIMEType: mimeMarkdown, Text: report.Markdown(plan)},
			mcp.TextResourceContents{URI: req.Params.URI, MIMEType: mimeJSON, Text: string(raw)},
		}, nil
	})
}
