package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
)

// TestConfirm: a sync that finds the device in sync journals that once per
// interval, so that the fleet status sees the host as synced; a younger
// sync entry, or an interval of 0, writes nothing.
func TestConfirm(t *testing.T) {
	w := newSimWorld(t)
	dev := w.device(t, "web01", "active", 0)
	eng := w.engine(host.Host{Hostname: "web01"})
	ctx := context.Background()
	entries := func() int {
		t.Helper()
		q := url.Values{"assigned_object_id": {strconv.FormatInt(dev.ID, 10)}, "q": {apply.JournalMarker}}
		st, body := w.srv.Do(t, http.MethodGet, "/api/extras/journal-entries/?"+q.Encode(), nil)
		require.Equal(t, http.StatusOK, st, string(body))
		var list struct{ Count int }
		require.NoError(t, json.Unmarshal(body, &list))
		return list.Count
	}

	plan, err := eng.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	require.True(t, plan.InSync(), "%+v", plan.Changes)

	id, err := eng.Confirm(ctx, plan, 0)
	require.NoError(t, err)
	assert.Zero(t, id, "0 turns it off")
	assert.Equal(t, 0, entries())

	first, err := eng.Confirm(ctx, plan, 24*time.Hour)
	require.NoError(t, err)
	assert.NotZero(t, first, "no sync entry yet: one is written")
	assert.Equal(t, 1, entries())

	w.srv.Sim.ResetRequests()
	id, err = eng.Confirm(ctx, plan, 24*time.Hour)
	require.NoError(t, err)
	assert.Zero(t, id, "a sync entry younger than a day: nothing written")
	assert.Len(t, w.srv.Sim.Requests(), 1, "one read")
	assert.Equal(t, 1, entries())

	require.NoError(t, w.srv.Sim.Backdate("extras/journal-entries", 25*time.Hour, first))
	id, err = eng.Confirm(ctx, plan, 24*time.Hour)
	require.NoError(t, err)
	assert.NotZero(t, id, "the last sync entry is older than a day: another is written")
	assert.Equal(t, 2, entries())
}
