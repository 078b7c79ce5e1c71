package netbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// TestSimChangeLog: the change log since a lookup, read in one request,
// and the request ids that tie its records to this client's writes.
func TestSimChangeLog(t *testing.T) {
	ctx := context.Background()
	s, c := startSim(t, netboxsim.Options{})
	fx := s.Seed(t)
	id := createDevice(t, c, fx, "web01")
	s.Sim.AgeObjectChanges(time.Hour)

	snap, err := c.SnapshotFor(ctx, SnapshotQuery{Hostname: "web01"})
	require.NoError(t, err)
	require.False(t, snap.ReadAt.IsZero(), "the lookup is timed by NetBox's Date header")
	assert.WithinDuration(t, time.Now(), snap.ReadAt, 5*time.Second)

	since := snap.ReadAt.Add(-time.Second)
	changes, more, err := c.ListObjectChanges(ctx, since, 1000)
	require.NoError(t, err)
	assert.Empty(t, changes, "the seeding is an hour old")
	assert.False(t, more)

	sent := &RequestLog{}
	ifs, err := c.CreateInterfaces(ctx, []InterfaceCreate{{Device: id, Name: "eth0", Type: "1000base-t"}, {Device: id, Name: "eth1", Type: "1000base-t"}}, WriteOptions{RequestIDs: sent})
	require.NoError(t, err)
	require.Len(t, sent.IDs(), 1, "one bulk request")

	changes, more, err = c.ListObjectChanges(ctx, since, 1000)
	require.NoError(t, err)
	assert.False(t, more)
	require.Len(t, changes, 2)
	for _, ch := range changes {
		assert.Equal(t, "create", ch.Action)
		assert.Equal(t, "dcim.interface", ch.ObjectType)
		assert.Contains(t, []int64{ifs[0].ID, ifs[1].ID}, ch.ObjectID)
		assert.Equal(t, sent.IDs()[0], ch.RequestID, "the bulk request's id")
		assert.Empty(t, ch.Pre, "a create has no data before")
		assert.EqualValues(t, id, ch.Post["device"], "foreign keys as ids")
		assert.False(t, ch.Time.Before(since))
	}

	changes, more, err = c.ListObjectChanges(ctx, since, 1)
	require.NoError(t, err)
	assert.Len(t, changes, 1)
	assert.True(t, more, "a page of 1 holds one of the 2")

	changes, _, err = c.ListObjectChanges(ctx, time.Now().Add(time.Hour), 1000)
	require.NoError(t, err)
	assert.Empty(t, changes, "nothing after the window's start")
}
