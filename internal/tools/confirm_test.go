package tools

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted/hostiletest"
)

// dialogMessage is the message of the confirmation askToApply asks for.
func dialogMessage(t *testing.T, plan diff.Plan) string {
	t.Helper()
	res := askToApply(plan)
	req, ok := res.InputRequests[confirmKey]
	require.True(t, ok, "no confirmation request")
	raw, err := json.Marshal(req)
	require.NoError(t, err)
	var body struct {
		Params struct {
			Message string `json:"message"`
		} `json:"params"`
	}
	require.NoError(t, json.Unmarshal(raw, &body))
	require.NotEmpty(t, body.Params.Message, "%s", raw)
	return body.Params.Message
}

// The confirmation dialog shows the changes the user agrees to: hostile
// text in any of them adds no line, heading or markup to what they read.
func TestConfirmationDialogHostileText(t *testing.T) {
	for _, f := range hostiletest.Fields {
		p := f.Plan(hostiletest.Benign)
		if !p.DeviceFound {
			continue // no dialog for a device NetBox lacks
		}
		benign := dialogMessage(t, p)
		for name, text := range hostiletest.Texts {
			t.Run(f.Name+"/"+name, func(t *testing.T) {
				out := dialogMessage(t, f.Plan(text))
				assert.Equal(t, hostiletest.Structure(benign), hostiletest.Structure(out), "%s", out)
				assert.Empty(t, hostiletest.Problems(out), "%s", out)
			})
		}
	}
}
