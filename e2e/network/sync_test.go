package network_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// run runs cmdb-mcp inside the namespace with env (added to this process's
// environment without its NETBOX_*, CMDB_* and DOCKER_* variables).
func (ns *netns) run(env []string, args ...string) result {
	ns.t.Helper()
	bin := testenv.Binary(ns.t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ns.command(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NETBOX_") && !strings.HasPrefix(kv, "CMDB_") && !strings.HasPrefix(kv, "DOCKER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		ns.t.Fatalf("cmdb-mcp %s: %v\n%s", strings.Join(args, " "), err, res.stderr)
	}
	ns.t.Logf("ip netns exec %s cmdb-mcp %s: exit %d in %v", ns.name, strings.Join(args, " "), res.code, time.Since(start).Round(time.Millisecond))
	return res
}

// The namespace's host, built by buildHost:
//
//	eth0 (veth)  02:00:00:00:00:01  192.0.2.10/24 2001:db8:1::10/64, both default routes
//	eth1 (veth)  02:00:00:00:00:02  198.51.100.10/24 2001:db8:2::10/64
//	br0 (bridge) 02:00:00:00:00:03  203.0.113.1/24, port veth-e0 (eth0's peer)
//	veth-e1      eth1's peer, left out by the default exclude (veth*)
const (
	mac0, mac1, macBr = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"
	staleMAC, mac9    = "02:00:00:00:99:01", "02:00:00:00:00:09"
)

func buildHost(ns *netns) {
	for _, cmd := range []string{
		"link set lo up",
		"link add eth0 type veth peer name veth-e0",
		"link add eth1 type veth peer name veth-e1",
		"link add br0 type bridge",
		"link set eth0 address " + mac0,
		"link set eth1 address " + mac1,
		"link set br0 address " + macBr,
		"link set veth-e0 master br0",
		"link set br0 up",
		"link set veth-e0 up",
		"link set veth-e1 up",
		"link set eth0 up",
		"link set eth1 up",
		"addr add 192.0.2.10/24 dev eth0",
		"addr add 2001:db8:1::10/64 dev eth0 nodad",
		"addr add 198.51.100.10/24 dev eth1",
		"addr add 2001:db8:2::10/64 dev eth1 nodad",
		"addr add 203.0.113.1/24 dev br0",
		"route add default via 192.0.2.1 dev eth0",
		"-6 route add default via 2001:db8:1::1 dev eth0",
	} {
		ns.ip(cmd)
	}
}

// TestNetworkSyncInNamespace is the network sync end to end: a stale NetBox
// record -> `cmdb-mcp diff` (exit 2) -> `apply --yes` -> `diff` (exit 0),
// run inside a namespace; then the REST API shows the MAC objects, primary
// MACs, primary IPs, the offline interface and the unassigned IPs, and the
// request log shows no DELETE and no refused request.
func TestNetworkSyncInNamespace(t *testing.T) {
	ns := newNetns(t)
	buildHost(ns)
	n := startNetBox(t)
	url := "http://" + ns.forward(strings.TrimPrefix(n.URL, "http://"))

	// The stale record.
	name := "netns-" + ns.name
	dev := n.device(name)
	eth0, staleMACID := n.iface(dev, "eth0", "virtual", staleMAC) // wrong MAC
	_, brMACID := n.iface(dev, "br0", "1000base-t", macBr)        // wrong type
	eth9, mac9ID := n.iface(dev, "eth9", "1000base-t", mac9)      // gone from the host
	freeMAC := n.mac(mac1, 0)                                     // eth1's MAC, unassigned: reused
	primary4 := n.ip("192.0.2.10/24", eth9)                       // primary, moves eth9 -> eth0
	goneIP := n.ip("192.0.2.99/24", eth0)                         // gone: unassigned
	primary6 := n.ip("2001:db8:1::99/64", eth0)                   // primary, gone: replaced, unassigned
	n.patch("dcim/devices", dev, map[string]any{"primary_ip4": primary4, "primary_ip6": primary6})

	env := []string{netbox.EnvURL + "=" + url, netbox.EnvToken + "=" + n.Token, "CMDB_NO_CONTAINERS=true"}
	args := []string{"--hostname", name}

	first := ns.run(env, append([]string{"diff"}, args...)...)
	require.Equal(t, 2, first.code, "stdout:\n%s\nstderr:\n%s", first.stdout, first.stderr)
	for _, want := range []string{
		"#### New Interfaces (will create)",
		"| eth1 | virtual | " + mac1 + " | 198.51.100.10/24, 2001:db8:2::10/64 |",
		"#### Removed Interfaces (will mark offline)",
		"| eth9 | 1000base-t | Not found locally |",
		"#### Changed Interfaces",
		"| eth0 | mac_address | " + staleMAC + " | " + mac0 + " |",
		"| br0 | type | 1000base-t | bridge |",
		"#### New IPs (will create)",
		"- 2001:db8:1::10/64 on eth0",
		"- 203.0.113.1/24 on br0",
		"#### Removed IPs (will unassign)",
		"- 192.0.2.99/24 from eth0",
		"- 2001:db8:1::99/64 from eth0",
		"#### Changed IPs",
		"- 192.0.2.10/24 moved from eth9 to eth0",
		"#### Primary IP",
		"- primary_ip6: 2001:db8:1::99/64 -> 2001:db8:1::10/64 (UPDATE)",
	} {
		assert.Contains(t, first.stdout, want)
	}
	assert.NotContains(t, first.stdout, "veth-e", "veth* interfaces are excluded by default")
	assert.NotContains(t, first.stdout, "primary_ip4:", "the IPv4 primary stays the same IP object")

	before := len(n.Sim.Requests())
	applied := ns.run(env, append([]string{"apply", "--yes"}, args...)...)
	require.Equal(t, 0, applied.code, "stdout:\n%s\nstderr:\n%s", applied.stdout, applied.stderr)
	assert.Contains(t, applied.stdout, "failed 0, skipped 0")
	assert.Empty(t, n.Refused(before), "NetBox refused requests of the apply")

	again := ns.run(env, append([]string{"diff"}, args...)...)
	assert.Equal(t, 0, again.code, "stdout:\n%s\nstderr:\n%s", again.stdout, again.stderr)
	assert.Contains(t, again.stdout, "Nothing to apply")

	// Interfaces and primary MACs.
	ifs := n.interfaces(dev)
	assert.ElementsMatch(t, []string{"eth0", "eth1", "br0", "eth9"}, keys(ifs))
	wantIf := map[string]struct {
		typ     string
		enabled bool
		mac     string
	}{
		"eth0": {"virtual", true, mac0},
		"eth1": {"virtual", true, mac1},
		"br0":  {"bridge", true, macBr},
		"eth9": {"1000base-t", false, mac9},
	}
	for name, w := range wantIf {
		got := ifs[name]
		assert.Equal(t, w.typ, got.Type.Value, "%s type", name)
		assert.Equal(t, w.enabled, got.Enabled, "%s enabled", name)
		if assert.NotNil(t, got.PrimaryMAC, "%s primary MAC", name) {
			assert.Equal(t, w.mac, lower(got.PrimaryMAC.MAC), "%s primary MAC", name)
		}
		assert.Equal(t, w.mac, lower(got.MACAddress), "%s mac_address (read-only mirror of the primary)", name)
	}
	assert.Equal(t, diff.OfflineDescription, ifs["eth9"].Description)
	assert.Equal(t, freeMAC, ifs["eth1"].PrimaryMAC.ID, "eth1's unassigned MAC object was not reused")
	assert.Equal(t, brMACID, ifs["br0"].PrimaryMAC.ID)
	assert.Equal(t, mac9ID, ifs["eth9"].PrimaryMAC.ID)

	// MAC objects: the new one on eth0, the stale one kept (never deleted).
	onIface := map[string]string{}
	for _, m := range n.macs() {
		onIface[lower(m.MAC)] = m.on()
		if m.ID == staleMACID {
			assert.Equal(t, "eth0", m.on(), "the stale MAC object moved")
		}
	}
	assert.Equal(t, map[string]string{mac0: "eth0", mac1: "eth1", macBr: "br0", mac9: "eth9", staleMAC: "eth0"}, onIface)

	// IPs: on their interfaces, the gone ones unassigned, none deleted.
	ips := n.ips()
	wantOn := map[string]string{
		"192.0.2.10/24": "eth0", "2001:db8:1::10/64": "eth0",
		"198.51.100.10/24": "eth1", "2001:db8:2::10/64": "eth1",
		"203.0.113.1/24": "br0",
		"192.0.2.99/24":  "", "2001:db8:1::99/64": "",
	}
	gotOn := map[string]string{}
	for addr, ip := range ips {
		gotOn[addr] = ip.on()
	}
	assert.Equal(t, wantOn, gotOn)
	assert.Equal(t, goneIP, ips["192.0.2.99/24"].ID)
	assert.Equal(t, primary6, ips["2001:db8:1::99/64"].ID)
	assert.Nil(t, ips["192.0.2.99/24"].AssignedObjectID)

	// Primary IPs: the IPv4 one is the same object, now on eth0.
	var d deviceRow
	n.get("dcim/devices", dev, &d)
	if assert.NotNil(t, d.PrimaryIP4) {
		assert.Equal(t, primary4, d.PrimaryIP4.ID)
		assert.Equal(t, "192.0.2.10/24", d.PrimaryIP4.Address)
	}
	assert.Equal(t, "2001:db8:1::10/64", primaryAddr(d.PrimaryIP6))

	n.NoDeletes(t)
	assert.Empty(t, n.Refused(0), "NetBox refused requests during the whole run")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
