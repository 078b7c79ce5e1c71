package netboxsim

import (
	"encoding/json"
	"testing"
)

// TestParseVCPUs checks the DecimalField(max_digits=6, decimal_places=2)
// arithmetic on the forms Python's JSON parser and DRF produce: ints,
// floats through str() (repr), and strings.
func TestParseVCPUs(t *testing.T) {
	t.Parallel()
	const minMsg = "Ensure this value is greater than or equal to " + vcpuMinExact + "."
	tests := []struct {
		raw  any
		want any // float64, nil, or the message
	}{
		{json.Number("2"), 2.0},
		{json.Number("2.50"), 2.5}, // a float: str(2.5) == "2.5"
		{json.Number("2.0"), 2.0},
		{json.Number("9999.99"), 9999.99},
		{json.Number("0.02"), 0.02},
		{json.Number("0.01"), minMsg},
		{json.Number("0"), minMsg},
		{json.Number("-1"), minMsg},
		{json.Number("1e-05"), "Ensure that there are no more than 2 decimal places."},
		{json.Number("1E2"), 100.0}, // float 100.0 -> "100.0"
		{json.Number("1e16"), "Ensure that there are no more than 6 digits in total."},
		{json.Number("10000"), "Ensure that there are no more than 4 digits before the decimal point."},
		{json.Number("1000.5"), 1000.5},
		{json.Number("12345.6"), "Ensure that there are no more than 4 digits before the decimal point."},
		{json.Number("1234.567"), "Ensure that there are no more than 6 digits in total."},
		{json.Number("123456789012345678901234567890"), "Ensure that there are no more than 6 digits in total."},
		{json.Number("1e400"), "A valid number is required."},
		{"2.50", 2.5},
		{" 3 ", 3.0},
		{"", nil},
		{"1.234", "Ensure that there are no more than 2 decimal places."},
		{"NaN", "A valid number is required."},
		{"inf", "A valid number is required."},
		{"abc", "A valid number is required."},
		{true, "A valid number is required."},
		{[]any{}, "A valid number is required."},
	}
	for _, tc := range tests {
		v, msgs := parseVCPUs(tc.raw)
		if msg, ok := tc.want.(string); ok {
			if len(msgs) != 1 || msgs[0] != msg {
				t.Errorf("parseVCPUs(%#v) = %v, %v; want %q", tc.raw, v, msgs, msg)
			}
			continue
		}
		if msgs != nil || v != tc.want {
			t.Errorf("parseVCPUs(%#v) = %v, %v; want %v", tc.raw, v, msgs, tc.want)
		}
	}
}

func TestPyFloatRepr(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]string{
		2.5: "2.5", 100: "100.0", 0.0001: "0.0001", 0.00001: "1e-05", 1e16: "1e+16",
		1e15: "1000000000000000.0", 1.5e-7: "1.5e-07", 0: "0.0", -2.25: "-2.25", 1e100: "1e+100",
	} {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
}
