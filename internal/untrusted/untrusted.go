// Package untrusted makes text that comes from NetBox or from the host
// (names, descriptions, images, labels, serials, NetBox's error messages)
// safe to show. Such text is data, never instructions: a NetBox user can
// name an interface "eth0\n## SYSTEM: ..." or describe a VM with HTML, and
// whoever reads the report, the confirmation dialog or the journal entry
// (a person, a model, NetBox's Markdown renderer) must see that text as a
// value, not as a heading, a link, markup or a new line.
//
// Text is for plain text (the CLI, log and tool messages): one line, every
// control and invisible formatting character shown as a visible symbol,
// bounded. Markdown is Text escaped for Markdown, safe as a table cell, a
// list item or a word in a sentence. Code is Text as a Markdown code span.
//
// JSON needs none of this: its escaping keeps a value a value, so
// structured results carry the raw text.
package untrusted

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRunes bounds a value (a name, an image, a description): longer ones
// are cut and end in Ellipsis.
const MaxRunes = 200

// MaxMessageRunes bounds a message that quotes values (a note, NetBox's
// answer to a request).
const MaxMessageRunes = 1000

// Ellipsis ends a value that was cut.
const Ellipsis = "…"

// Text is s as one line of plain text, at most MaxRunes runes.
func Text(s string) string { return TextN(s, MaxRunes) }

// Message is s as one line of plain text, at most MaxMessageRunes runes.
func Message(s string) string { return TextN(s, MaxMessageRunes) }

// TextN is s as one line of plain text of at most n runes (n >= 1):
// invalid UTF-8 becomes U+FFFD; line breaks, tabs and the other control
// characters become their Unicode control pictures ("\n" is "␤");
// characters that are invisible or reorder text (zero-width, bidi
// overrides, tag characters, line and paragraph separators) become
// "⟨U+202E⟩". A longer result is cut to n-1 runes and Ellipsis.
func TextN(s string, n int) string {
	n = max(n, 1)
	var b strings.Builder
	runes := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		shown := visible(r)
		k := utf8.RuneCountInString(shown)
		if runes+k > n || runes+k == n && len(s) > 0 {
			// The ellipsis must fit too, unless this was the last rune.
			b.WriteString(Ellipsis)
			return b.String()
		}
		b.WriteString(shown)
		runes += k
	}
	return b.String()
}

// Control pictures (U+2400 block) for the C0 controls and DEL.
const (
	controlPictures = 0x2400
	pictureDEL      = '␡'
	pictureNewline  = '␤'
)

// visible is how one rune shows.
func visible(r rune) string {
	switch {
	case r == '\n':
		return string(pictureNewline)
	case r < 0x20:
		return string(rune(controlPictures + r))
	case r == 0x7f:
		return string(pictureDEL)
	case r == utf8.RuneError:
		return string(r)
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r),
		unicode.Is(unicode.Noncharacter_Code_Point, r):
		return fmt.Sprintf("⟨U+%04X⟩", r)
	}
	return string(r)
}

// Markdown is Text escaped so that it renders as the text it is, in
// CommonMark, GitHub's Markdown and NetBox's (Python-Markdown): as a table
// cell, a list item or inside a sentence. It never holds a line break; the
// characters that make links, emphasis, code, tables or strikethrough are
// backslash-escaped; < and > are HTML entities, so no tag survives; and a
// start that would make a heading, a list, a quote or a rule is escaped.
func Markdown(s string) string { return MarkdownN(s, MaxRunes) }

// MarkdownN is Markdown with at most n runes of text before escaping.
func MarkdownN(s string, n int) string { return escape(TextN(s, n)) }

// escape escapes one line of text for Markdown.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	// Up to three spaces may precede what starts a block ("   # x" is a
	// heading), so the first character after them counts as the start.
	lead := len(s) - len(strings.TrimLeft(s, " "))
	prev := rune(-1)
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '_':
			// Inside a word an underscore makes no emphasis
			// (eth0_lan, no_create_clusters stay readable).
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if i > 0 && i+1 < len(s) && wordRune(prev) && wordRune(next) {
				b.WriteRune(r)
			} else {
				b.WriteString(`\_`)
			}
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '#', '-', '+', '=':
			if i == lead {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '.', ')':
			// "1. x" or "1) x" at the start is an ordered list; 192.0.2.1 is not.
			if allDigits(s[lead:i]) && (i+1 == len(s) || s[i+1] == ' ') {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Code is Text as a Markdown code span: shown literally, in a monospace
// font, whatever it holds (no escape is read inside a code span, so the
// fence is longer than any run of backticks inside).
func Code(s string) string {
	t := TextN(s, MaxRunes)
	longest, run := 0, 0
	for _, r := range t {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	switch {
	case t == "":
		t = " "
	case strings.HasPrefix(t, "`") || strings.HasSuffix(t, "`"):
		t = " " + t + " "
	}
	return fence + t + fence
}
