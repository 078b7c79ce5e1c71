package netbox

import (
	"bytes"
	"strings"
)

// Redaction. The token is secret in every part that identifies it: a v1
// token whole (40 hex digits), and of a v2 token ("nbt_<key>.<secret>")
// the secret and the key each. An answer may echo any of them, or a piece
// of one cut off or wrapped, so a redactor does not look for the token
// alone: it replaces every run of letters and digits that shares a
// stretch of minFragment characters with a part (a whole part, for a part
// shorter than that).
//
// The client redacts each NetBox answer as it arrives, success and error
// bodies alike, before anything reads it: no result, report, journal
// entry, error, log line or CLI output can hold what never left the
// client. Parts shorter than minPart identify nothing (they occur in
// ordinary words) and are left alone.

// minFragment is how many consecutive characters of a part identify it.
const minFragment = 12

// minPart is the shortest part worth redacting.
const minPart = 6

// Redactor removes a token's identifying parts from text. The zero value,
// and a nil one, redact nothing.
type Redactor struct {
	// fragments are every minFragment-long stretch of every part (or the
	// part, when shorter), lower-cased: answers may change case.
	fragments map[string]bool
	// lengths are the fragment lengths to look for.
	lengths []int
}

// NewRedactor returns a redactor for tokens (empty ones are ignored).
func NewRedactor(tokens ...string) *Redactor {
	r := &Redactor{fragments: map[string]bool{}}
	seen := map[int]bool{}
	for _, t := range tokens {
		for _, part := range tokenParts(t) {
			part = strings.ToLower(part)
			n := min(len(part), minFragment)
			for i := 0; i+n <= len(part); i++ {
				r.fragments[part[i:i+n]] = true
			}
			if !seen[n] {
				seen[n] = true
				r.lengths = append(r.lengths, n)
			}
		}
	}
	return r
}

// tokenParts are the parts of token that identify it.
func tokenParts(token string) []string {
	var parts []string
	for _, p := range strings.FieldsFunc(token, func(r rune) bool { return !tokenChar(byte(r)) || r > 0x7f }) {
		if p == "nbt" && strings.HasPrefix(token, "nbt_") {
			continue // the v2 prefix says what a token is, not which
		}
		if len(p) >= minPart {
			parts = append(parts, p)
		}
	}
	return parts
}

// tokenChar is a character of a run that may hold a part: v1 tokens are
// hex, v2 keys and secrets letters and digits.
func tokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// String returns s with every run that holds a part of the token replaced
// by [REDACTED].
func (r *Redactor) String(s string) string {
	if !r.active() || !r.finds([]byte(s)) {
		return s
	}
	return string(r.redact([]byte(s)))
}

// Bytes is String for a body; it returns b itself when nothing matched.
func (r *Redactor) Bytes(b []byte) []byte {
	if !r.active() || !r.finds(b) {
		return b
	}
	return r.redact(b)
}

func (r *Redactor) active() bool { return r != nil && len(r.fragments) > 0 }

// finds reports whether any run of b holds a fragment.
func (r *Redactor) finds(b []byte) bool {
	found := false
	r.runs(b, func(start, end int) bool {
		found = r.holds(b[start:end])
		return !found
	})
	return found
}

func (r *Redactor) redact(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	last := 0
	r.runs(b, func(start, end int) bool {
		if r.holds(b[start:end]) {
			out.Write(b[last:start])
			out.WriteString(redacted)
			last = end
		}
		return true
	})
	out.Write(b[last:])
	return out.Bytes()
}

// runs calls f with each maximal run of token characters long enough to
// hold a fragment, until f returns false.
func (r *Redactor) runs(b []byte, f func(start, end int) bool) {
	shortest := minFragment
	for _, n := range r.lengths {
		shortest = min(shortest, n)
	}
	for i := 0; i < len(b); {
		if !tokenChar(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && tokenChar(b[j]) {
			j++
		}
		if j-i >= shortest && !f(i, j) {
			return
		}
		i = j
	}
}

// holds reports whether run contains a fragment.
func (r *Redactor) holds(run []byte) bool {
	lower := bytes.ToLower(run)
	for _, n := range r.lengths {
		for i := 0; i+n <= len(lower); i++ {
			if r.fragments[string(lower[i:i+n])] {
				return true
			}
		}
	}
	return false
}
