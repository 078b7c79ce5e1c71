package netboxsim

import (
	"fmt"
	"strings"
	"time"
)

// History: the journal's created_after/created_before range, and a way
// for a test to make objects look older than they are.

// createdRange is one half of django-filter's DateTimeFromToRangeFilter
// on created (JournalEntryFilterSet.created): created_after keeps objects
// created at or after the value, created_before at or before it. Errors
// are reported under the filter's name, as the form's MultiWidget does.
func createdRange(after bool) *filter {
	return &filter{kind: qCustom, pred: func(_ *store, values []string) (func(*row) bool, string) {
		v := strings.TrimSpace(values[len(values)-1])
		if v == "" {
			return nil, ""
		}
		t, ok := parseFormDateTime(v)
		if !ok {
			return nil, "Enter a valid date/time."
		}
		if after {
			return func(r *row) bool { return !r.created.Before(t) }, ""
		}
		return func(r *row) bool { return !r.created.After(t) }, ""
	}}
}

// parseFormDateTime reads what Django's forms.DateTimeField accepts: ISO
// 8601 with or without an offset (naive values are in TIME_ZONE, UTC by
// default) and a bare date, which means its midnight.
func parseFormDateTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Backdate moves the created and last_updated times of the objects of
// route ("extras/journal-entries") with the given ids back by d, as if
// they had been made d earlier: a test's setup of history (journal entries
// of last month) that the API cannot write, since NetBox sets both itself.
// Change records keep their times (AgeObjectChanges moves those).
func (s *Server) Backdate(route string, d time.Duration, ids ...int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.routes[strings.Trim(route, "/")]
	if m == nil {
		return fmt.Errorf("netboxsim: no endpoint %q", route)
	}
	t := s.st.tables[m.label]
	for _, id := range ids {
		r := t.rows[id]
		if r == nil {
			return fmt.Errorf("netboxsim: no %s with id %d", m.verbose, id)
		}
		// Rows are never changed in place (store.go): a new one replaces it.
		t.rows[id] = &row{id: r.id, vals: r.vals, created: r.created.Add(-d), updated: r.updated.Add(-d)}
	}
	return nil
}
