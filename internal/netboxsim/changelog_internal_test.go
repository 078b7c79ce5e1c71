package netboxsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChangelogTimeFormats: the forms Django's DateTimeField reads; the
// OpenAPI document says date-time (RFC 3339), which the contract check
// holds HTTP requests to.
func TestChangelogTimeFormats(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-03-04T05:06:07Z", want, true},
		{"2025-03-04T05:06:07+00:00", want, true},
		{"2025-03-04T07:06:07+02:00", want, true},
		{"2025-03-04T07:06:07+0200", want, true},
		{"2025-03-04 05:06:07", want, true},
		{"2025-03-04T05:06:07.5Z", want.Add(500 * time.Millisecond), true},
		{"2025-03-04T05:06:07.123456789Z", want.Add(123456 * time.Microsecond), true},
		{"2025-03-04T05:06", want.Add(-7 * time.Second), true},
		{"2025-03-04T05", want.Add(-6*time.Minute - 7*time.Second), true},
		{"20250304T050607Z", want, true},
		{"2025-03-04", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), true},
		{"2025-3-4 5:06:07", want, true},
		{"2025-03-04 05:06:07 Z", want, true},
		{"03/04/2025 05:06:07", want, true},
		{"03/04/25 05:06", want.Add(-7 * time.Second), true},
		{"Mar 4 2025", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), true},
		{"  2025-03-04T05:06:07Z  ", want, true},
		{"2025-02-30", time.Time{}, false},
		{"2025-03-04T25:00:00", time.Time{}, false},
		{"Tue, 04 Mar 2025 05:06:07 GMT", time.Time{}, false},
		{"1741064767", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseDateTime(tc.in)
			require.Equal(t, tc.ok, ok)
			assert.True(t, tc.want.Equal(got), "%s", got)
		})
	}
}
