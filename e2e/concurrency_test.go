package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Two syncs of one host at once: a cron job's `cmdb-mcp apply --yes` and
// another one (two processes), or two agents' sessions of one HTTP server.
// Each round starts a simulator with a latency from 0 to 80 ms per request
// and one of two starting points: the host's first interface in NetBox
// without its MAC object (both syncs would make one), or none of its
// interfaces (both would create them, NetBox would refuse the second). Then
// the two apply at the same moment. Neither may leave a duplicate or a
// partial journal entry: one applies, the other is refused as stale with
// nothing written, or finds nothing left to do.
//
// Rounds: CMDB_CONCURRENCY_ROUNDS (CI runs 100), else 10; the leak run
// (leak_test.go), which checks outputs rather than races, runs 2.
const envRounds = "CMDB_CONCURRENCY_ROUNDS"

func concurrencyRounds(t *testing.T) int {
	n := 10
	if v := os.Getenv(envRounds); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, envRounds)
	}
	if os.Getenv(envLeakRecord) != "" {
		n = min(n, 2)
	}
	return max(n, 2)
}

// roundLatency spreads the rounds' latencies evenly from 0 to 80 ms.
func roundLatency(round, rounds int) time.Duration {
	return time.Duration(round*80/(rounds-1)) * time.Millisecond
}

// raceStart is round's starting point: the host's device, stale, and on
// even rounds its first interface with a MAC, without the MAC object. The
// latency (the simulator's delay fault on every request) starts once it
// is built; checkRaceLeft clears it.
func raceStart(t *testing.T, round int, latency time.Duration) (*netBox, string) {
	t.Helper()
	nb := staleNetBox(t)
	if latency > 0 {
		t.Cleanup(func() { nb.Sim.ClearFaults() })
		defer func() { require.NoError(t, nb.Sim.AddFault(netboxsim.Fault{Delay: latency})) }()
	}
	var first host.Interface
	for _, i := range nb.host.Network.Interfaces {
		if i.MAC != "" && i.Name != "lo" {
			first = i
			break
		}
	}
	require.NotEmpty(t, first.Name, "this host has no interface with a MAC to race for")
	if round%2 == 0 {
		_, err := nb.admin.CreateInterfaces(context.Background(), []netbox.InterfaceCreate{{Device: nb.deviceID, Name: first.Name, Type: first.Type}}, netbox.WriteOptions{})
		require.NoError(t, err)
		return nb, first.Name + " without its MAC object"
	}
	return nb, "no interfaces"
}

// checkRaceLeft checks what two racing syncs left: no MAC object twice on
// an interface, no address twice on the device, one journal entry, a
// success, and nothing left to change.
func checkRaceLeft(t *testing.T, nb *netBox) {
	t.Helper()
	nb.Sim.ClearFaults()
	dev := url.Values{"device_id": {fmt.Sprint(nb.deviceID)}}
	var macs []struct {
		MAC              string `json:"mac_address"`
		AssignedObjectID int64  `json:"assigned_object_id"`
	}
	nb.List(t, "dcim/mac-addresses", dev, &macs)
	seen := map[string]bool{}
	for _, m := range macs {
		k := fmt.Sprint(m.AssignedObjectID, m.MAC)
		assert.False(t, seen[k], "MAC %s twice on interface %d", m.MAC, m.AssignedObjectID)
		seen[k] = true
	}
	var ips []struct{ Address string }
	nb.List(t, "ipam/ip-addresses", dev, &ips)
	seen = map[string]bool{}
	for _, ip := range ips {
		host, _, _ := strings.Cut(ip.Address, "/")
		assert.False(t, seen[host], "%s twice on the device", host)
		seen[host] = true
	}
	var journal []struct {
		Kind     struct{ Value string }
		Comments string
	}
	nb.List(t, "extras/journal-entries", url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(nb.deviceID)}}, &journal)
	if assert.Len(t, journal, 1, "one apply wrote, one journal entry") {
		assert.Equal(t, "success", journal[0].Kind.Value, "not partial: %s", journal[0].Comments)
		assert.NotContains(t, journal[0].Comments, "Changes failed")
		assert.NotContains(t, journal[0].Comments, "Changes skipped")
	}
	for _, r := range nb.Sim.Requests() {
		assert.NotEqual(t, http.MethodDelete, r.Method)
	}
}

// outcomes counts how the second sync of each round ended.
type outcomes struct {
	mu                  sync.Mutex
	stale, noop, rounds int
}

func (o *outcomes) add(stale, noop int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stale += stale
	o.noop += noop
	o.rounds++
}

// TestConcurrentAppliesTwoProcesses: two `apply --yes` of this host at
// once, sharing the runtime directory as two processes on one host do.
func TestConcurrentAppliesTwoProcesses(t *testing.T) {
	rounds := concurrencyRounds(t)
	runDir := t.TempDir()
	var got outcomes
	began := time.Now()
	for round := range rounds {
		latency := roundLatency(round, rounds)
		t.Run(fmt.Sprintf("round-%03d-%s", round, latency), func(t *testing.T) {
			nb, from := raceStart(t, round, latency)
			env := append(nb.env(), "CMDB_RUNTIME_DIR="+runDir)
			type result struct {
				code           int
				stdout, stderr string
			}
			var results [2]result
			var wg sync.WaitGroup
			// The second starts at once or up to a few dozen requests later,
			// so that it diffs before, during or after the first's apply.
			stagger := time.Duration(round%5) * (5*latency + 50*time.Millisecond)
			for i := range results {
				wg.Go(func() {
					if i == 1 {
						time.Sleep(stagger)
					}
					r := &results[i]
					r.code, r.stdout, r.stderr, _ = cliWithin(t, 5*time.Minute, env, "apply", "--yes")
				})
			}
			wg.Wait()
			applied, stale, noop := 0, 0, 0
			for i, r := range results {
				switch {
				case r.code == 0 && strings.Contains(r.stdout, "Applied "):
					applied++
					assert.Contains(t, r.stdout, "failed 0, skipped 0", "process %d", i)
				case r.code == 0:
					noop++ // it looked after the other had written: nothing to do
				case r.code == 1 && strings.Contains(r.stderr, "NetBox changed since the diff above") && strings.Contains(r.stderr, "run 'cmdb-mcp apply' again"):
					stale++
				default:
					t.Errorf("process %d (from %s): exit %d\n%s\n%s", i, from, r.code, r.stdout, r.stderr)
				}
			}
			assert.Equal(t, 1, applied, "one of the two writes")
			checkRaceLeft(t, nb)
			code, stdout, _ := cli(t, nb.env(), "", "diff")
			assert.Equal(t, 0, code, "in sync after the round:\n%s", stdout)
			got.add(stale, noop)
		})
	}
	t.Logf("%d rounds (latency 0-80 ms) in %s: the second process was refused as stale in %d, found nothing to do in %d",
		got.rounds, time.Since(began).Round(time.Millisecond), got.stale, got.noop)
}

// TestConcurrentAppliesTwoSessions: two sessions of one `serve --transport
// http` diff this host, then apply their plans at the same moment.
func TestConcurrentAppliesTwoSessions(t *testing.T) {
	rounds := concurrencyRounds(t)
	var got outcomes
	began := time.Now()
	for round := range rounds {
		latency := roundLatency(round, rounds)
		t.Run(fmt.Sprintf("round-%03d-%s", round, latency), func(t *testing.T) {
			nb, from := raceStart(t, round, latency)
			addr := freeAddr(t)
			cmd := exec.Command(binary, "serve", "--transport", "http", "--addr", addr)
			cmd.Env = append(nb.env(), "CMDB_RUNTIME_DIR="+t.TempDir(), "CMDB_AUTH_TOKEN="+authToken)
			captureStderr(t, cmd)
			p := start(t, cmd)
			base := "http://" + addr
			waitHealthy(t, base, p)
			client := httpClient(nil, authToken)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()

			var sessions [2]*sdk.ClientSession
			var plans [2]tools.SyncDiffOutput
			for i := range sessions {
				sessions[i] = connect(t, ctx, &sdk.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: client, MaxRetries: -1})
				plans[i] = callTool[tools.SyncDiffOutput](t, ctx, sessions[i], "cmdb_sync_diff", map[string]any{})
				require.NotEmpty(t, plans[i].PlanID, "from %s", from)
			}
			var results [2]*sdk.CallToolResult
			var errs [2]error
			var wg sync.WaitGroup
			for i := range sessions {
				wg.Go(func() {
					results[i], errs[i] = sessions[i].CallTool(ctx, &sdk.CallToolParams{Name: "cmdb_sync_apply",
						Arguments: map[string]any{"plan_id": plans[i].PlanID, "confirm": true}})
				})
			}
			wg.Wait()
			applied, stale := 0, 0
			for i, res := range results {
				require.NoError(t, errs[i])
				var text []string
				for _, c := range res.Content {
					if tc, ok := c.(*sdk.TextContent); ok {
						text = append(text, tc.Text)
					}
				}
				switch {
				case !res.IsError:
					applied++
					raw := fmt.Sprint(res.StructuredContent)
					assert.Contains(t, raw, "failed:0", "session %d: %s", i, raw)
					assert.Contains(t, raw, "skipped:0", "session %d: %s", i, raw)
				case strings.Contains(strings.ToLower(strings.Join(text, " ")), "plan is stale"):
					stale++
				default:
					t.Errorf("session %d (from %s): %s", i, from, strings.Join(text, " "))
				}
			}
			assert.Equal(t, 1, applied, "one of the two writes")
			assert.Equal(t, 1, stale, "the other's plan, made before, is stale")
			checkRaceLeft(t, nb)
			again := callTool[tools.SyncDiffOutput](t, ctx, sessions[0], "cmdb_sync_diff", map[string]any{})
			assert.True(t, again.InSync, again.ReportMarkdown)
			got.add(stale, 0)
		})
	}
	t.Logf("%d rounds (latency 0-80 ms) in %s: the second session was refused as stale in %d",
		got.rounds, time.Since(began).Round(time.Millisecond), got.stale)
}
