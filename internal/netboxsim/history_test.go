package netboxsim_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJournalCreatedRange: created_after and created_before
// (JournalEntryFilterSet.created, a DateTimeFromToRangeFilter) are both
// inclusive.
func TestJournalCreatedRange(t *testing.T) {
	s := start(t)
	f := s.Seed(t)
	dev := s.Device(t, f, "web01")
	entry := func(comments string) int64 {
		return create(t, s, "extras/journal-entries", map[string]any{
			"assigned_object_type": "dcim.device", "assigned_object_id": dev, "comments": comments})
	}
	old, recent := entry("old"), entry("recent")
	require.NoError(t, s.Sim.Backdate("extras/journal-entries", 10*24*time.Hour, old))
	require.Error(t, s.Sim.Backdate("extras/journal-entries", time.Hour, 999))
	require.Error(t, s.Sim.Backdate("extras/nothing", time.Hour, old))

	ids := func(q url.Values) []float64 {
		var out []float64
		for _, r := range list(t, s, "/api/extras/journal-entries/?"+q.Encode()).Results {
			out = append(out, r["id"].(float64))
		}
		return out
	}
	weekAgo := time.Now().UTC().Add(-7 * 24 * time.Hour)
	assert.Equal(t, []float64{float64(recent)}, ids(url.Values{"created_after": {weekAgo.Format(time.RFC3339)}}))
	assert.Equal(t, []float64{float64(old)}, ids(url.Values{"created_before": {weekAgo.Format(time.RFC3339Nano)}}))
	assert.Equal(t, []float64{float64(recent), float64(old)}, ids(url.Values{"created_after": {weekAgo.AddDate(0, 0, -7).Format(time.RFC3339)}}))
	assert.Equal(t, []float64{float64(old), float64(recent)}, ids(url.Values{"ordering": {"created"}}))

	status, body := s.Do(t, http.MethodGet, "/api/extras/journal-entries/?created_after=yesterday", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "Enter a valid date/time.")

	// The search (q) is on comments.
	assert.Equal(t, []float64{float64(old)}, ids(url.Values{"q": {"OLD"}}))
}

// TestDeviceSerialFilter: serial matches exactly but ignoring case
// (DeviceFilterSet.serial, lookup_expr='iexact').
func TestDeviceSerialFilter(t *testing.T) {
	s := start(t)
	f := s.Seed(t)
	id := s.Create(t, "dcim/devices", map[string]any{"name": "a", "site": f.SiteID, "device_type": f.DeviceTypeID,
		"role": f.RoleID, "serial": "SN-ABC"})
	s.Device(t, f, "b")
	for _, q := range []string{"serial=sn-abc", "serial=SN-ABC", "serial__ic=abc"} {
		got := list(t, s, "/api/dcim/devices/?"+q)
		require.Len(t, got.Results, 1, q)
		assert.Equal(t, float64(id), got.Results[0]["id"], q)
	}
	assert.Empty(t, list(t, s, "/api/dcim/devices/?serial=SN-AB").Results)
}
