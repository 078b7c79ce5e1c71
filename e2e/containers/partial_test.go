package containers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// The host of TestPartialSync, in a network namespace of its own:
//
//	eth0 (veth)   192.0.2.10/24 (primary, in NetBox), 192.0.2.50/24 (new,
//	              inside a populated IP range), 198.51.100.7/24 (new)
//	eth1 (veth)   a virtual interface; NetBox has it as 1000base-t with a
//	              cable, and a cabled interface cannot become virtual
//	eth2 (veth)   new, 203.0.113.9/24; NetBox requires custom field
//	              "owner" on every interface
//	veth-e*       the peers, left out by the default exclude (veth*)
//
// and /etc/os-release says Debian 13, whose platform NetBox limits to
// another manufacturer.
func buildPartialHost(t *testing.T, ns string) {
	for _, cmd := range []string{
		"link set lo up",
		"link add eth0 type veth peer name veth-e0",
		"link add eth1 type veth peer name veth-e1",
		"link add eth2 type veth peer name veth-e2",
		"link set eth0 up", "link set veth-e0 up", "link set eth1 up", "link set veth-e1 up", "link set eth2 up", "link set veth-e2 up",
		"addr add 192.0.2.10/24 dev eth0",
		"addr add 192.0.2.50/24 dev eth0",
		"addr add 198.51.100.7/24 dev eth0",
		"addr add 203.0.113.9/24 dev eth2",
		"route add default via 192.0.2.1 dev eth0",
	} {
		testenv.IPIn(t, ns, cmd)
	}
}

// partialRun runs cmdb-mcp inside the namespace, with env added to this
// process's environment without its NETBOX_* and CMDB_* variables
// (DOCKER_HOST stays: the containers are the host's).
func partialRun(t *testing.T, ns string, env []string, args ...string) result {
	t.Helper()
	bin := testenv.Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := testenv.CommandIn(ctx, ns, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NETBOX_") && !strings.HasPrefix(kv, "CMDB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("cmdb-mcp %s: %v\nstderr:\n%s", strings.Join(args, " "), err, res.stderr)
	}
	t.Logf("cmdb-mcp %s: exit %d in %v", strings.Join(args, " "), res.code, res.took.Round(time.Millisecond))
	return res
}

// journalOf reads the comments of a device's journal entries, newest last.
func (n *nb) journalOf(device int64) []string {
	n.t.Helper()
	var es []struct {
		ID       int64  `json:"id"`
		Comments string `json:"comments"`
	}
	n.list("extras/journal-entries", url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(device)}, "ordering": {"id"}}, &es)
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Comments
	}
	return out
}

// resultLines are the lines of the failed and skipped changes `cmdb-mcp
// apply` prints.
func resultLines(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "  failed ") || strings.HasPrefix(l, "  skipped ") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// writesOutside lists the writes of the recorded requests that touch an
// object outside the host's: ids are the host's objects by endpoint; the
// shared catalog (platforms, roles, cluster types) may only be created.
func writesOutside(log []recording, device int64, ids map[string][]int64) []string {
	var bad []string
	own := func(route string, id int64) bool { return slices.Contains(ids[route], id) }
	for _, r := range log {
		if r.Method == http.MethodGet {
			continue
		}
		route := strings.TrimSuffix(strings.TrimPrefix(r.Path, "/api/"), "/")
		var items []map[string]any
		if len(r.Body) > 0 && r.Body[0] == '[' {
			_ = json.Unmarshal(r.Body, &items)
		} else if len(r.Body) > 0 {
			var one map[string]any
			_ = json.Unmarshal(r.Body, &one)
			items = []map[string]any{one}
		}
		num := func(v any) int64 { f, _ := v.(float64); return int64(f) }
		switch {
		case r.Method == http.MethodDelete:
			bad = append(bad, "DELETE "+r.Path)
		case r.Method == http.MethodPatch && route == fmt.Sprintf("dcim/devices/%d", device):
		case r.Method == http.MethodPatch:
			for _, it := range items {
				if !own(route, num(it["id"])) {
					bad = append(bad, fmt.Sprintf("PATCH %s id %v", r.Path, it["id"]))
				}
			}
		case r.Method == http.MethodPost && route == "extras/journal-entries":
			for _, it := range items {
				if num(it["assigned_object_id"]) != device {
					bad = append(bad, "a journal entry on another object")
				}
			}
		case r.Method == http.MethodPost && route == "dcim/interfaces":
			for _, it := range items {
				if num(it["device"]) != device {
					bad = append(bad, "an interface on another device")
				}
			}
		case r.Method == http.MethodPost && (route == "ipam/ip-addresses" || route == "dcim/mac-addresses"):
			for _, it := range items {
				if it["assigned_object_id"] != nil && !own("dcim/interfaces", num(it["assigned_object_id"])) {
					bad = append(bad, fmt.Sprintf("POST %s on interface %v", r.Path, it["assigned_object_id"]))
				}
			}
		case r.Method == http.MethodPost && route == "virtualization/virtual-machines":
			for _, it := range items {
				if !own("virtualization/clusters", num(it["cluster"])) {
					bad = append(bad, fmt.Sprintf("a VM in cluster %v", it["cluster"]))
				}
			}
		case r.Method == http.MethodPost && route == "virtualization/clusters":
			for _, it := range items {
				if !own("virtualization/cluster-groups", num(it["group"])) {
					bad = append(bad, fmt.Sprintf("a cluster in group %v", it["group"]))
				}
			}
		case r.Method == http.MethodPost && slices.Contains([]string{"dcim/platforms", "dcim/device-roles",
			"virtualization/cluster-types", "virtualization/cluster-groups"}, route):
		default:
			bad = append(bad, r.Method+" "+r.Path)
		}
	}
	return bad
}

// osRelease writes an /etc with an os-release of NAME and VERSION_ID, for
// HOST_ETC.
func osRelease(t *testing.T, name, version string) string {
	dir := t.TempDir()
	body := fmt.Sprintf("NAME=%q\nVERSION_ID=%q\nID=debian\nPRETTY_NAME=\"%s %s\"\n", name, version, name, version)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "os-release"), []byte(body), 0o644))
	return dir
}

// must sends one request to the simulator as its superuser and fails the
// test unless NetBox answers with want.
func (n *nb) must(method, path string, body any, want int) []byte {
	n.t.Helper()
	status, got := n.Do(n.t, method, path, body)
	require.Equal(n.t, want, status, "%s %s: %s", method, path, got)
	return got
}

// TestPartialSync is issue 12's end-to-end test: one host against a
// NetBox that refuses single objects in every way real installations do,
// all at once: a required custom field on interfaces, a cabled interface
// whose type changed on the host, a populated IP range holding one of the
// host's new addresses, a platform of the host's name limited to another
// manufacturer, containers with invalid data beside valid ones (real
// dockerd), and a token whose user may not view virtualization objects,
// then one that may view but not change them. Each run writes every other
// change, lists every refused or skipped object with NetBox's reason in
// its result and the journal entry, and exits 1 saying how many; with the
// blockers removed (CMDB_CUSTOM_FIELDS set for the custom field) the next
// sync converges and the diff after it exits 0. No run sends a DELETE or
// writes anything outside the host's objects. From NetBox 4.4 on a
// platform's name is unique per manufacturer, so there the foreign
// platform blocks nothing: the sync creates its own, of no manufacturer.
func TestPartialSync(t *testing.T) {
	d := newDocker(t)
	testenv.Binary(t)
	ns := testenv.NewNetns(t, "cmdb-part")
	buildPartialHost(t, ns)
	n := startNetBox(t)
	rec := newRecorder(t, n.URL)
	nbURL := "http://" + testenv.ForwardInto(t, ns, strings.TrimPrefix(rec.URL, "http://"))

	// NetBox: the device with eth0 (its primary 192.0.2.10) and eth1,
	// cabled to a neighbour's interface; the platform Debian 13 limited
	// to another manufacturer; the custom field; the populated range.
	name := d.run + "-host"
	dev := n.device(name)
	other := n.Seed(t)
	platform := n.post("dcim/platforms", map[string]any{"name": "Debian 13", "slug": "debian-13", "manufacturer": other.ManufacturerID})
	n.RequiredCustomField(t, "owner", "dcim.interface")
	iface := func(device int64, name, typ string) int64 {
		return n.post("dcim/interfaces", map[string]any{"device": device, "name": name, "type": typ, "custom_fields": map[string]any{"owner": "net"}})
	}
	eth0 := iface(dev, "eth0", "virtual")
	eth1 := iface(dev, "eth1", "1000base-t")
	primary := n.post("ipam/ip-addresses", map[string]any{"address": "192.0.2.10/24", "status": "active",
		"assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	n.must(http.MethodPatch, fmt.Sprintf("/api/dcim/devices/%d/", dev), map[string]any{"primary_ip4": primary}, http.StatusOK)
	neighbour := n.device(d.run + "-neighbour")
	patch := iface(neighbour, "eth9", "1000base-t")
	cable := n.Cable(t, eth1, patch)
	ipRange := n.PopulatedRange(t, "192.0.2.40/24", "192.0.2.60/24")
	neighbourBefore := n.must(http.MethodGet, fmt.Sprintf("/api/dcim/interfaces/%d/", patch), nil, http.StatusOK)

	// Docker: good containers, and ones with data NetBox refuses as is: a
	// name too long for a VM, an image too long for a description, a CPU
	// limit with three decimals.
	longImage := "cmdb-e2e/" + strings.Repeat("a", 200) + ":" + d.run
	d.cmd("tag", d.image, longImage)
	t.Cleanup(func() { _, _ = d.try("rmi", longImage) })
	project := d.run
	good := d.start(container{name: "good", project: project, cpus: "1", memory: "64m"})
	longName := d.start(container{name: strings.Repeat("x", 60), project: project})
	third := d.start(container{name: "third", project: project, cpus: "0.333"})
	longImageName := d.run + "-image"
	d.cmd("run", "-d", "--name", longImageName, "--network", "none", "--label", runLabel+"="+d.run,
		"--label", "com.docker.compose.project="+project, longImage)

	etc := osRelease(t, "Debian GNU/Linux", "13")
	env := func(token string, extra ...string) []string {
		return append([]string{netbox.EnvURL + "=" + nbURL, netbox.EnvToken + "=" + token, "HOST_ETC=" + etc,
			"CMDB_INCLUDE_CONTAINERS=" + d.run + "*"}, extra...)
	}
	args := []string{"--hostname", name}
	var log []recording
	perManufacturer := n.AtLeast(4)

	// 1. A token whose user may not view virtualization objects.
	noVirt := n.TokenWithoutVirtualization(t)
	diff1 := partialRun(t, ns, env(noVirt), append([]string{"diff"}, args...)...)
	require.Equal(t, 2, diff1.code, "stdout:\n%s\nstderr:\n%s", diff1.stdout, diff1.stderr)
	for _, want := range []string{
		"Docker containers: not synced: the NetBox token's user may not view virtualization.",
		"### Blocked (will be skipped)",
		`| interface eth2 | CREATE | NetBox requires custom field "owner" on dcim.interface`,
		`| ipaddress 203.0.113.9/24 | CREATE | depends on interface "eth2"`,
		`Custom field "owner" is required on dcim.interface and has no value here: it blocks create eth2.`,
	} {
		assert.Contains(t, diff1.stdout, want)
	}
	foreignPlatform := `| device ` + name + ` | UPDATE platform | NetBox's platform "Debian 13" is limited to devices of manufacturer`
	if perManufacturer {
		assert.NotContains(t, diff1.stdout, foreignPlatform)
	} else {
		assert.Contains(t, diff1.stdout, foreignPlatform)
	}
	apply1 := partialRun(t, ns, env(noVirt), append([]string{"apply", "--yes"}, args...)...)
	log = append(log, rec.take()...)
	assert.Equal(t, 1, apply1.code, "stdout:\n%s\nstderr:\n%s", apply1.stdout, apply1.stderr)
	// Written: eth0's and eth1's MACs (eth1's although NetBox refuses its
	// new type), 198.51.100.7. Failed: eth1's type, 192.0.2.50. Skipped:
	// eth2 with its MAC object, primary MAC and IP, and the platform
	// (from 4.4 on: written, as a platform of the sync's own beside it).
	lines := strings.Join(resultLines(apply1.stdout), "\n")
	platformSkipped := `skipped  UPDATE dcim.device "` + name + `" platform`
	if perManufacturer {
		assert.Contains(t, apply1.stdout, "Applied 7, failed 2, skipped 4;")
		assert.Contains(t, apply1.stderr, "6 of 13 changes were not applied: 2 failed, 4 skipped (see above); the other 7 were written.")
		assert.NotContains(t, lines, platformSkipped)
	} else {
		assert.Contains(t, apply1.stdout, "Applied 5, failed 2, skipped 5;")
		assert.Contains(t, apply1.stderr, "7 of 12 changes were not applied: 2 failed, 5 skipped (see above); the other 5 were written.")
		assert.Contains(t, lines, platformSkipped)
	}
	for _, want := range []string{
		`failed   UPDATE dcim.interface "eth1" type: 1000base-t -> virtual (netbox: PATCH /api/dcim/interfaces/: validation: type: `,
		`failed   CREATE ipam.ipaddress "192.0.2.50/24"`,
		`skipped  CREATE dcim.interface "eth2" (NetBox requires custom field "owner" on dcim.interface`,
		`skipped  CREATE ipam.ipaddress "203.0.113.9/24" (depends on interface "eth2"`,
	} {
		assert.Contains(t, lines, want)
	}
	var eth1Now struct {
		Type       struct{ Value string }
		PrimaryMAC *struct{ ID int64 } `json:"primary_mac_address"`
	}
	require.NoError(t, json.Unmarshal(n.must(http.MethodGet, fmt.Sprintf("/api/dcim/interfaces/%d/", eth1), nil, http.StatusOK), &eth1Now))
	assert.Equal(t, "1000base-t", eth1Now.Type.Value, "NetBox refused the type")
	assert.NotNil(t, eth1Now.PrimaryMAC, "and took the MAC the same PATCH carried")
	journal := n.journalOf(dev)
	require.Len(t, journal, 1)
	for _, want := range []string{"Changes failed:\n", "- interface eth1 type: 1000base-t -> virtual (UPDATE) (netbox: PATCH", "- ipaddress 192.0.2.50/24 (CREATE) (netbox: POST",
		"Changes skipped:\n", `- interface eth2 (CREATE) (NetBox requires custom field "owner"`, "- ipaddress 198.51.100.7/24 (CREATE)"} {
		assert.Contains(t, journal[0], want)
	}

	// 2. A token that may view virtualization objects but not change them.
	viewVirt := n.TokenViewingVirtualization(t)
	apply2 := partialRun(t, ns, env(viewVirt), append([]string{"apply", "--yes"}, args...)...)
	log = append(log, rec.take()...)
	assert.Equal(t, 1, apply2.code, "stdout:\n%s\nstderr:\n%s", apply2.stdout, apply2.stderr)
	lines = strings.Join(resultLines(apply2.stdout), "\n")
	for _, want := range []string{
		`failed   CREATE virtualization.clustertype "Docker Compose" (netbox: POST /api/virtualization/cluster-types/: permission: You do not have permission to perform this action.)`,
		`failed   CREATE virtualization.clustergroup "` + name + ` containers (device `,
		`skipped  CREATE virtualization.cluster "` + project + `" (depends on a change that did not apply: clustertype "Docker Compose" failed)`,
		`skipped  CREATE virtualization.virtualmachine "` + good + `" (depends on a change that did not apply: clustertype "Docker Compose" failed)`,
		`skipped  CREATE virtualization.virtualmachine "` + longName + `" (the container name is 76 characters and NetBox allows at most 64`,
		`skipped  CREATE dcim.interface "eth2" (NetBox requires custom field "owner"`,
	} {
		assert.Contains(t, lines, want)
	}
	assert.Contains(t, apply2.stderr, `NetBox refused 2 changes with "permission denied"`)
	assert.Contains(t, apply2.stderr, `virtualization.clustertype`)
	journal = n.journalOf(dev)
	require.Len(t, journal, 2)
	for _, want := range []string{
		"- clustertype Docker Compose (CREATE) (netbox: POST /api/virtualization/cluster-types/: permission: You do not have permission to perform this action.)",
		"- virtualmachine " + good + ` (CREATE) (depends on a change that did not apply: clustertype "Docker Compose" failed)`,
		"- virtualmachine " + longName + " (CREATE) (the container name is 76 characters",
	} {
		assert.Contains(t, journal[1], want)
	}

	neighbourNow := func() string {
		return string(n.must(http.MethodGet, fmt.Sprintf("/api/dcim/interfaces/%d/", patch), nil, http.StatusOK))
	}
	assert.Equal(t, string(neighbourBefore), neighbourNow(), "the neighbour's interface is as it was")

	// 3. The blockers removed: the cable unplugged, the range no longer
	// populated, the platform open to every manufacturer, the long-named
	// container gone, and a value for the custom field.
	n.must(http.MethodDelete, fmt.Sprintf("/api/dcim/cables/%d/", cable), nil, http.StatusNoContent)
	neighbourBefore = []byte(neighbourNow())
	n.must(http.MethodPatch, fmt.Sprintf("/api/ipam/ip-ranges/%d/", ipRange), map[string]any{"mark_populated": false}, http.StatusOK)
	if !perManufacturer {
		n.must(http.MethodPatch, fmt.Sprintf("/api/dcim/platforms/%d/", platform), map[string]any{"manufacturer": nil}, http.StatusOK)
	}
	d.cmd("rm", "-f", longName)
	fields := "CMDB_CUSTOM_FIELDS=" + `{"dcim.interface": {"owner": "infra"}}`
	apply3 := partialRun(t, ns, env(n.Token, fields), append([]string{"apply", "--yes"}, args...)...)
	log = append(log, rec.take()...)
	require.Equal(t, 0, apply3.code, "stdout:\n%s\nstderr:\n%s", apply3.stdout, apply3.stderr)
	assert.Contains(t, apply3.stdout, "failed 0, skipped 0")
	diff3 := partialRun(t, ns, env(n.Token, fields), append([]string{"diff"}, args...)...)
	log = append(log, rec.take()...)
	assert.Equal(t, 0, diff3.code, "in sync\nstdout:\n%s\nstderr:\n%s", diff3.stdout, diff3.stderr)

	// What NetBox now holds.
	vms := n.vmsOf(n.clustersOf(mustGroup(t, n, dev)))
	assert.Contains(t, vms, project+"/"+good)
	assert.Equal(t, 0.33, vms[project+"/"+third].vcpus())
	imageVM := vms[project+"/"+longImageName]
	assert.Len(t, []rune(imageVM.Description), 200, "shortened to NetBox's 200 characters")
	var withComments struct{ Comments string }
	require.NoError(t, json.Unmarshal(n.must(http.MethodGet, fmt.Sprintf("/api/virtualization/virtual-machines/%d/", imageVM.ID), nil, http.StatusOK), &withComments))
	assert.Equal(t, longImage, withComments.Comments, "the whole image in the comments")

	// Nothing deleted, nothing outside the host's objects written.
	ids := map[string][]int64{"dcim/interfaces": nil, "ipam/ip-addresses": nil}
	var ifs []struct{ ID int64 }
	n.list("dcim/interfaces", url.Values{"device_id": {fmt.Sprint(dev)}}, &ifs)
	for _, i := range ifs {
		ids["dcim/interfaces"] = append(ids["dcim/interfaces"], i.ID)
	}
	var ips []struct{ ID int64 }
	n.list("ipam/ip-addresses", url.Values{"device_id": {fmt.Sprint(dev)}}, &ips)
	for _, ip := range ips {
		ids["ipam/ip-addresses"] = append(ids["ipam/ip-addresses"], ip.ID)
	}
	group := mustGroup(t, n, dev)
	ids["virtualization/cluster-groups"] = []int64{group}
	for _, c := range n.clustersOf(group) {
		ids["virtualization/clusters"] = append(ids["virtualization/clusters"], c.ID)
	}
	for _, vm := range vms {
		ids["virtualization/virtual-machines"] = append(ids["virtualization/virtual-machines"], vm.ID)
	}
	writes := 0
	for _, r := range log {
		if r.Method != http.MethodGet {
			writes++
		}
		assert.NotEqual(t, http.MethodDelete, r.Method, "a sync never deletes: %s", r.Path)
	}
	assert.Greater(t, writes, 20, "the recorder saw the syncs' writes")
	assert.Empty(t, writesOutside(log, dev, ids), "writes outside the host's objects")
	assert.Equal(t, string(neighbourBefore), neighbourNow(), "the neighbour's interface is as it was")
}

func mustGroup(t *testing.T, n *nb, device int64) int64 {
	t.Helper()
	g, ok := n.hostGroup(device)
	require.True(t, ok, "the host's cluster group")
	return g.ID
}

func TestWritesOutside(t *testing.T) {
	ids := map[string][]int64{"dcim/interfaces": {5}, "virtualization/clusters": {8}, "virtualization/cluster-groups": {9}}
	ok := []recording{
		{Method: "PATCH", Path: "/api/dcim/devices/7/", Body: []byte(`{"status":"active"}`)},
		{Method: "PATCH", Path: "/api/dcim/interfaces/", Body: []byte(`[{"id":5,"type":"virtual"}]`)},
		{Method: "POST", Path: "/api/ipam/ip-addresses/", Body: []byte(`[{"address":"192.0.2.1/24","assigned_object_type":"dcim.interface","assigned_object_id":5}]`)},
		{Method: "POST", Path: "/api/virtualization/virtual-machines/", Body: []byte(`[{"name":"a","cluster":8}]`)},
		{Method: "POST", Path: "/api/extras/journal-entries/", Body: []byte(`{"assigned_object_type":"dcim.device","assigned_object_id":7}`)},
		{Method: "POST", Path: "/api/dcim/platforms/", Body: []byte(`{"name":"x","slug":"x"}`)},
	}
	assert.Empty(t, writesOutside(ok, 7, ids))
	bad := []recording{
		{Method: "PATCH", Path: "/api/dcim/devices/8/", Body: []byte(`{"status":"active"}`)},
		{Method: "PATCH", Path: "/api/dcim/interfaces/", Body: []byte(`[{"id":5},{"id":6}]`)},
		{Method: "POST", Path: "/api/dcim/interfaces/", Body: []byte(`[{"device":8,"name":"x"}]`)},
		{Method: "POST", Path: "/api/virtualization/clusters/", Body: []byte(`[{"name":"a","group":10}]`)},
		{Method: "DELETE", Path: "/api/dcim/interfaces/5/"},
		{Method: "PATCH", Path: "/api/dcim/platforms/", Body: []byte(`[{"id":1}]`)},
	}
	assert.Len(t, writesOutside(bad, 7, ids), 6)
}
