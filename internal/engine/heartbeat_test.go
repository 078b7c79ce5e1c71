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
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
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

// TestConfirmJournalCustomFields: the in-sync entry carries the values of
// the custom fields NetBox requires on journal entries, as a sync's entry
// does; without a value it sends nothing and names the fix.
func TestConfirmJournalCustomFields(t *testing.T) {
	w := newSimWorld(t)
	w.device(t, "web01", "active", 0)
	w.srv.RequiredCustomField(t, "ticket", diff.ObjectJournalEntry)
	ctx := context.Background()
	withValue := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return host.Host{Hostname: "web01"}, nil }),
		WithDiffOptions(diff.Options{CustomFields: map[string]map[string]any{diff.ObjectJournalEntry: {"ticket": "T-1"}}}))
	plan, err := withValue.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	require.True(t, plan.InSync(), "%+v", plan.Changes)
	id, err := withValue.Confirm(ctx, plan, 24*time.Hour)
	require.NoError(t, err)
	require.NotZero(t, id)
	var entry struct {
		CustomFields map[string]any `json:"custom_fields"`
	}
	require.NoError(t, w.srv.Admin().Do(ctx, http.MethodGet, "/api/extras/journal-entries/"+strconv.FormatInt(id, 10)+"/", nil, nil, &entry))
	assert.Equal(t, "T-1", entry.CustomFields["ticket"])

	// Values for journal entries, but none for the required field.
	without := New(w.nb, DiscovererFunc(func(context.Context) (host.Host, error) { return host.Host{Hostname: "web01"}, nil }),
		WithDiffOptions(diff.Options{CustomFields: map[string]map[string]any{diff.ObjectJournalEntry: {}}}))
	plan, err = without.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	w.srv.Sim.ResetRequests()
	_, err = without.Confirm(ctx, plan, time.Nanosecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), diff.EnvCustomFields)
	for _, r := range w.srv.Sim.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "nothing sent: %s %s", r.Method, r.Path)
	}
}
