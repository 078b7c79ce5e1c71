package discovery

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// maxOSReleaseSize bounds what ParseOSRelease reads. Real files are well under
// 1 KiB; anything near this is not an os-release file.
const maxOSReleaseSize = 1 << 20

// ParseOSRelease parses an os-release(5) file: one VAR=value assignment per
// line, values optionally quoted shell-style. It follows the shell rules the
// spec refers to: inside double quotes a backslash escapes only $ ` " and \;
// single quotes are literal; outside quotes a backslash escapes any
// character. Lines starting with # are comments, blank lines are skipped,
// and a line that is not a valid assignment (no '=', a bad variable name, an
// unterminated quote) is skipped too, as the spec's reference parser does, so
// one bad line does not cost the whole file. A later assignment wins.
//
// The error is only for reading r, or for input over 1 MiB.
func ParseOSRelease(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOSReleaseSize+1))
	if err != nil {
		return nil, fmt.Errorf("read os-release: %w", err)
	}
	if len(data) > maxOSReleaseSize {
		return nil, fmt.Errorf("os-release larger than %d bytes", maxOSReleaseSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))

	vars := map[string]string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		key, value, ok := parseAssignment(line)
		if ok {
			vars[key] = value
		}
	}
	return vars, nil
}

// parseAssignment parses one line; ok is false for comments, blank lines and
// lines that are not assignments.
func parseAssignment(line string) (key, value string, ok bool) {
	line = strings.TrimSuffix(line, "\r")
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	key, raw, found := strings.Cut(line, "=")
	if !found {
		return "", "", false
	}
	key = strings.TrimRight(key, " \t")
	if !isShellName(key) {
		return "", "", false
	}
	value, ok = unquoteShellValue(raw)
	return key, value, ok
}

// isShellName reports whether s is a shell variable name.
func isShellName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// unquoteShellValue decodes the right-hand side of an assignment. Adjacent
// quoted and unquoted parts are joined as the shell joins them. Unquoted
// whitespace is kept between words (files in the wild write NAME=Foo Bar)
// but trimmed at the end, and an unquoted # after whitespace starts a
// comment.
func unquoteShellValue(raw string) (string, bool) {
	var b strings.Builder
	// trailing counts unquoted whitespace bytes at the end of b, trimmed if
	// nothing else follows.
	trailing := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(raw[i+1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(raw[i+1 : i+1+end])
			i += end + 1
			trailing = 0
		case c == '"':
			closed := false
			for i++; i < len(raw); i++ {
				c = raw[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(raw) && strings.IndexByte("$`\"\\", raw[i+1]) >= 0 {
					i++
					c = raw[i]
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", false
			}
			trailing = 0
		case c == '\\':
			if i+1 < len(raw) {
				i++
				c = raw[i]
			}
			b.WriteByte(c)
			trailing = 0
		case c == ' ' || c == '\t':
			b.WriteByte(c)
			trailing++
		case c == '#' && trailing > 0:
			// A # that starts a word begins a comment; NAME=#x is "#x".
			i = len(raw)
		default:
			b.WriteByte(c)
			trailing = 0
		}
	}
	s := b.String()
	return s[:len(s)-trailing], true
}
