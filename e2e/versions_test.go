package e2e_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// TestSyncOverStdioOnEveryNetBoxVersion is the stdio sync of
// TestMCPOverStdio against each NetBox release the simulator plays, with a
// v2 token where the release has them (4.5+). From 4.4 every change the
// apply made carries "cmdb-mcp sync <plan id>" in NetBox's change log.
//
// The whole suite runs against one release with CMDB_SIM_VERSION=4.x
// (simtest.VersionEnv); CI does that for each release.
func TestSyncOverStdioOnEveryNetBoxVersion(t *testing.T) {
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Setenv(simtest.VersionEnv, p) // staleNetBox's simulator plays p
			nb := staleNetBox(t)
			require.Equal(t, p, nb.Sim.Profile())
			if p >= "4.5" {
				nb.extraEnv = append(nb.extraEnv, netbox.EnvToken+"="+nb.V2Token)
			}
			before := len(nb.Sim.ObjectChanges())

			cmd := exec.Command(binary, "serve")
			cmd.Env = nb.env()
			stderr := captureStderr(t, cmd)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			session := connect(t, ctx, &sdk.CommandTransport{Command: cmd})
			syncOverMCP(t, ctx, session, nb)
			require.NoError(t, session.Close())
			assert.NotContains(t, stderr.String(), nb.V2Token)

			changes := nb.Sim.ObjectChanges()[before:]
			require.NotEmpty(t, changes)
			for _, c := range changes {
				if p == "4.3" {
					assert.Empty(t, c.Message, "4.3 has no change messages")
				} else {
					assert.True(t, strings.HasPrefix(c.Message, "cmdb-mcp sync plan-"), "%s %s %d: %q",
						c.Action, c.ObjectType, c.ObjectID, c.Message)
				}
			}
		})
	}
}
