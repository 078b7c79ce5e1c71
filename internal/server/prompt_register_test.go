package server

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

func TestRegisterPrompt(t *testing.T) {
	c := inProcess(t, newTestServer(), "")
	req := mcp.GetPromptRequest{}
	req.Params.Name = RegisterPromptName
	req.Params.Arguments = map[string]string{"site": "Berlin", "role": " "}
	res, err := c.GetPrompt(context.Background(), req)
	require.NoError(t, err)
	text := promptText(t, res)
	for _, want := range []string{`Call cmdb_register with site="Berlin".`, "report_markdown", "plan_id and confirm=true",
		"create_device_type=true", "sync it instead", "cmdb_sync_diff: it should report in_sync", "Nothing is ever deleted."} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "role=")

	// A read-only server cannot register, so it offers no such prompt.
	ro := inProcess(t, New(nil, nil, Options{Filter: tools.Filter{ReadOnly: true}}), "")
	list, err := ro.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
	require.NoError(t, err)
	for _, p := range list.Prompts {
		assert.NotEqual(t, RegisterPromptName, p.Name)
	}
	res, err = getPrompt(t, ro, "")
	require.NoError(t, err)
	assert.Contains(t, promptText(t, res), "cmdb-mcp register on the host")
}
