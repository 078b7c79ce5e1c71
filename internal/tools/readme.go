package tools

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MarkdownTable is the README's table of tools, generated from the
// registry so that it cannot drift from what a client sees.
func MarkdownTable(tools []Tool) string {
	var b strings.Builder
	b.WriteString("| Tool | Toolset | Does | Inputs (required in bold) | Hints |\n|---|---|---|---|---|\n")
	for _, t := range tools {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", t.Definition.Name, t.Toolset(), firstSentence(t.Definition.Description), inputs(t), hintWords(t))
	}
	return b.String()
}

// sentenceEnd is a full stop that ends a sentence, not an abbreviation's.
var sentenceEnd = regexp.MustCompile(`[^.]{3}\. `)

func firstSentence(s string) string {
	for _, loc := range sentenceEnd.FindAllStringIndex(s, -1) {
		if end := loc[1] - 1; !strings.HasSuffix(s[:end], "e.g.") && !strings.HasSuffix(s[:end], "i.e.") {
			s = s[:end]
			break
		}
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

func inputs(t Tool) string {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(t.Definition.RawInputSchema, &schema); err != nil || len(schema.Properties) == 0 {
		return "-"
	}
	var names []string
	for name := range schema.Properties {
		names = append(names, name)
	}
	// Required first, then by name, so the table reads like a call.
	slices.SortFunc(names, func(a, b string) int {
		ra, rb := slices.Contains(schema.Required, a), slices.Contains(schema.Required, b)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return strings.Compare(a, b)
	})
	for i, n := range names {
		if slices.Contains(schema.Required, n) {
			names[i] = "**" + n + "**"
		}
	}
	return strings.Join(names, ", ")
}

func hintWords(t Tool) string {
	a := t.Definition.Annotations
	is := func(p *bool) bool { return p != nil && *p }
	var words []string
	switch {
	case is(a.ReadOnlyHint):
		words = append(words, "read-only")
	case is(a.DestructiveHint):
		words = append(words, "destructive")
	default:
		words = append(words, "writes, not destructive")
	}
	if is(a.IdempotentHint) {
		words = append(words, "idempotent")
	}
	return strings.Join(words, ", ")
}
