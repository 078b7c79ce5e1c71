package netboxsim

import "testing"

func TestWrittenObjects(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int
	}{
		{``, 1}, // DELETE /api/dcim/sites/1/
		{`{"name": "a"}`, 1},
		{` [{"id": 1}, {"id": 2}, {"id": 3}]`, 3},
		{`[]`, 1},
		{`[{"id": 1},`, 1}, // refused by the handler, still one request's work
		{`"text"`, 1},
	} {
		if got := writtenObjects([]byte(tc.body)); got != tc.want {
			t.Errorf("writtenObjects(%q) = %d, want %d", tc.body, got, tc.want)
		}
	}
}
