package engine

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// TestDuplicatesResolvedAgainstSimulator: what two racing syncs used to
// leave (two MAC objects with eth0's MAC, an address twice on the device)
// is reported by the diff and resolved by the apply through NetBox's rules:
// the extra objects are unassigned, nothing is deleted, and the next diff
// finds nothing to do.
func TestDuplicatesResolvedAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t)
	h := raceHost()
	h.Network.Interfaces = h.Network.Interfaces[:1]
	dev := raceNetBox(t, w)
	var ifaces []struct{ ID int64 }
	w.srv.List(t, "dcim/interfaces", url.Values{"device_id": {fmt.Sprint(dev)}}, &ifaces)
	eth0 := ifaces[0].ID
	for range 2 {
		w.srv.Create(t, "dcim/mac-addresses", map[string]any{"mac_address": "02:00:00:00:00:01", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
		// NetBox refuses a second address in the global table unless both
		// have a role that may repeat: what a NetBox with
		// ENFORCE_GLOBAL_UNIQUE off, or a race between two syncs, leaves.
		w.srv.Create(t, "ipam/ip-addresses", map[string]any{"address": "10.1.0.1/24", "role": "anycast", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	}
	e := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return h, nil }))
	p, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	notes := strings.Join(p.Notes, "\n")
	assert.Contains(t, notes, "Duplicate in NetBox: eth0 has 2 MAC objects with 02:00:00:00:00:01")
	assert.Contains(t, notes, "Duplicate in NetBox: 10.1.0.1 is on this device 2 times")

	res, err := e.Apply(ctx, p.ID)
	require.NoError(t, err)
	assert.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
	again, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	assert.NotContains(t, strings.Join(again.Notes, "\n"), "Duplicate")

	var macs, ips []struct {
		ID               int64
		AssignedObjectID *int64 `json:"assigned_object_id"`
	}
	w.srv.List(t, "dcim/mac-addresses", url.Values{}, &macs)
	w.srv.List(t, "ipam/ip-addresses", url.Values{}, &ips)
	for name, objs := range map[string][]struct {
		ID               int64
		AssignedObjectID *int64 `json:"assigned_object_id"`
	}{"MAC": macs, "IP": ips} {
		assigned := 0
		for _, o := range objs {
			if o.AssignedObjectID != nil {
				assigned++
			}
		}
		assert.Len(t, objs, 2, "%s: nothing deleted", name)
		assert.Equal(t, 1, assigned, "%s: one kept on eth0, the other unassigned", name)
	}
	assert.Zero(t, w.deletes())
}
