package e2e_test

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// TestInterruptedApply: an apply killed mid-way (here while NetBox holds
// its IP create) leaves its changes without a journal entry. The next
// diff says so, and the next apply's journal entry says what the killed
// one had written, read from NetBox's change log.
func TestInterruptedApply(t *testing.T) {
	nb := staleNetBox(t)
	env := append(nb.env(), "CMDB_RUNTIME_DIR="+t.TempDir())
	require.NoError(t, nb.Sim.AddFault(netboxsim.Fault{Method: "POST", Path: "/api/ipam/ip-addresses/", Delay: time.Hour}))

	cmd := exec.Command(binary, "apply", "--yes")
	cmd.Env = env
	captureStderr(t, cmd)
	p := start(t, cmd)
	held := func() bool {
		for _, f := range nb.Sim.Faults() {
			if f.Hits > 0 {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(2 * time.Minute); !held(); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("apply ended before its IP create: %v", p.err)
		default:
		}
		require.False(t, time.Now().After(deadline), "the apply never reached its IP create")
	}
	require.NoError(t, cmd.Process.Kill())
	<-p.done
	nb.Sim.ClearFaults()
	var journal []struct{ ID int64 }
	nb.List(t, "extras/journal-entries", url.Values{"assigned_object_id": {fmt.Sprint(nb.deviceID)}}, &journal)
	require.Empty(t, journal, "killed before its journal entry")

	code, stdout, stderr := cli(t, env, "", "diff")
	require.Equal(t, 2, code, stderr)
	assert.Contains(t, stdout, "An earlier apply of this device (plan plan-")
	assert.Contains(t, stdout, "was interrupted before its journal entry")

	code, stdout, stderr = cli(t, env, "", "apply", "--yes")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	var entries []struct {
		Kind     struct{ Value string }
		Comments string
	}
	nb.List(t, "extras/journal-entries", url.Values{"assigned_object_id": {fmt.Sprint(nb.deviceID)}}, &entries)
	require.Len(t, entries, 1)
	c := entries[0].Comments
	t.Logf("the next apply's journal entry:\n%s", c)
	assert.Equal(t, "warning", entries[0].Kind.Value)
	assert.Contains(t, c, "\nAn earlier apply was interrupted:\nPlan plan-")
	assert.Contains(t, c, "stopped before its journal entry, after: create platforms (1), create interfaces (")
	assert.Contains(t, c, "NetBox's change log shows it wrote:\n- created platform "+nb.host.OS.Platform)
	for _, i := range nb.host.Network.Interfaces {
		if i.Name != "lo" && !strings.HasPrefix(i.Name, "ifb") {
			assert.Contains(t, c, "- created interface "+i.Name+" (id ")
		}
	}
	assert.NotContains(t, c, "created ipaddress", "the held IP create was never served")

	code, stdout, _ = cli(t, env, "", "diff")
	assert.Equal(t, 0, code, stdout)
	assert.NotContains(t, stdout, "earlier apply")
}
