package tools

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted/hostiletest"
)

// dialogMessage is the message of the confirmation askToApply asks for.
func dialogMessage(t *testing.T, plan diff.Plan) string {
	t.Helper()
	return elicitMessage(t, askToApply(plan), confirmKey)
}

// elicitMessage is the message of the input request res makes under key.
func elicitMessage(t *testing.T, res *mcp.CallToolResult, key string) string {
	t.Helper()
	require.NotNil(t, res, "no input request")
	req, ok := res.InputRequests[key]
	require.True(t, ok, "no input request %s", key)
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

// registerPlan is a register plan showing v in one of the fields the
// register's confirmation shows.
func registerPlan(field, v string) diff.RegisterPlan {
	p := diff.RegisterPlan{ID: "r1", Hostname: "web01",
		Device:       diff.DeviceDraft{Name: "web01", Status: "active", Serial: "SN1"},
		Site:         record.Site{ID: 1, Name: "dc1", Slug: "dc1"},
		Role:         record.DeviceRole{ID: 2, Name: "server", Slug: "server"},
		Manufacturer: record.Manufacturer{ID: 3, Name: "Dell Inc.", Slug: "dell-inc"},
		DeviceType:   record.DeviceType{ID: 4, Model: "PowerEdge R640", Slug: "poweredge-r640"}}
	switch field {
	case "device name":
		p.Hostname, p.Device.Name = v, v
	case "site":
		p.Site.Name = v
	case "role":
		p.Role.Name = v
	case "manufacturer":
		p.Manufacturer.Name = v
	case "model":
		p.DeviceType.Model = v
	case "serial":
		p.Device.Serial = v
	}
	return p
}

// choiceError is a register that lacks a site, naming v as the host or
// its hardware.
func choiceError(field, v string) *engine.ChoiceError {
	ce := &engine.ChoiceError{Missing: []string{engine.ChoiceSite}, Choices: engine.Choices{Hostname: "web01",
		Hardware: host.Hardware{Manufacturer: "Dell Inc.", Model: "PowerEdge R640"},
		Sites:    []record.Site{{ID: 1, Name: "dc1", Slug: "dc1"}}}}
	switch field {
	case "hostname":
		ce.Choices.Hostname = v
	case "hardware":
		ce.Choices.Hardware.Model = v
	}
	return ce
}

// The register's dialogs show NetBox's and the host's words: hostile text
// in any of them adds no line, heading or markup to what the user reads.
func TestRegisterDialogHostileText(t *testing.T) {
	for _, field := range []string{"device name", "site", "role", "manufacturer", "model", "serial"} {
		benign := elicitMessage(t, askToRegister(registerPlan(field, hostiletest.Benign)), registerConfirmKey)
		for name, text := range hostiletest.Texts {
			t.Run("confirm/"+field+"/"+name, func(t *testing.T) {
				out := elicitMessage(t, askToRegister(registerPlan(field, text)), registerConfirmKey)
				assert.NotContains(t, out, hostiletest.Injection)
				assert.Equal(t, hostiletest.Structure(benign), hostiletest.Structure(out), "%s", out)
				assert.Empty(t, hostiletest.Problems(out), "%s", out)
			})
		}
	}
	for _, field := range []string{"hostname", "hardware"} {
		benign := elicitMessage(t, askChoices(choiceError(field, hostiletest.Benign)), registerChoicesKey)
		for name, text := range hostiletest.Texts {
			t.Run("choices/"+field+"/"+name, func(t *testing.T) {
				out := elicitMessage(t, askChoices(choiceError(field, text)), registerChoicesKey)
				assert.NotContains(t, out, hostiletest.Injection)
				assert.Equal(t, hostiletest.Structure(benign), hostiletest.Structure(out), "%s", out)
				assert.Empty(t, hostiletest.Problems(out), "%s", out)
			})
		}
	}
}
