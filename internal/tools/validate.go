package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// argsCheck checks a call's arguments against its tool's input schema
// before they are bound: a misspelt argument would otherwise be dropped
// silently, and a filter the model meant would not apply.
type argsCheck struct {
	resolved *jsonschema.Resolved
	// params are the tool's parameters in declaration order, required
	// ones marked, for the error message.
	params []string
	known  map[string]bool
	// enums are the values each enumerated parameter takes.
	enums map[string][]string
}

// newArgsCheck builds the check of In, the input type of one tool.
func newArgsCheck[In any]() *argsCheck {
	schema := schemaFor[In](schemaValidate)
	resolved, err := schema.Resolve(nil)
	if err != nil {
		// The types are fixed at compile time; every tool's test hits this.
		panic(fmt.Sprintf("input schema of %T: %v", *new(In), err))
	}
	c := &argsCheck{resolved: resolved, known: map[string]bool{}, enums: map[string][]string{}}
	order := schema.PropertyOrder
	if len(order) != len(schema.Properties) {
		order = order[:0]
		for name := range schema.Properties {
			order = append(order, name)
		}
		slices.Sort(order)
	}
	for _, name := range order {
		c.known[name] = true
		for _, v := range schema.Properties[name].Enum {
			if s, ok := v.(string); ok {
				c.enums[name] = append(c.enums[name], s)
			}
		}
		if slices.Contains(schema.Required, name) {
			name += " (required)"
		}
		c.params = append(c.params, name)
	}
	return c
}

// check returns a userError naming what is wrong and the tool's
// parameters, or nil. raw is the arguments as the client sent them.
func (c *argsCheck) check(tool string, raw any) error {
	var args any = map[string]any{}
	if raw != nil {
		b, err := json.Marshal(raw)
		if err != nil {
			return &userError{msg: fmt.Sprintf("The arguments of %s are not JSON (%s): %s.", tool, clip(err.Error(), 200), c.takes(tool))}
		}
		if err := json.Unmarshal(b, &args); err != nil {
			return &userError{msg: fmt.Sprintf("The arguments of %s are not JSON (%s): %s.", tool, clip(err.Error(), 200), c.takes(tool))}
		}
		if args == nil {
			args = map[string]any{}
		}
	}
	obj, ok := args.(map[string]any)
	if !ok {
		return &userError{msg: fmt.Sprintf("The arguments of %s must be a JSON object of named parameters: %s.", tool, c.takes(tool))}
	}
	var unknown []string
	for name := range obj {
		if !c.known[name] {
			unknown = append(unknown, fmt.Sprintf("%q", clip(name, 64)))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		word := "Unknown argument"
		if len(unknown) > 1 {
			word = "Unknown arguments"
		}
		return &userError{msg: fmt.Sprintf("%s %s, so nothing was done: %s. Call it again with those names.", word, strings.Join(unknown, ", "), c.takes(tool))}
	}
	for name, values := range c.enums {
		if v, ok := obj[name].(string); ok && !slices.Contains(values, v) {
			return &userError{msg: fmt.Sprintf("%s %q is not one of %s, so nothing was done. Call %s again with one of them.", name, clip(v, 64), strings.Join(values, ", "), tool)}
		}
	}
	if err := c.resolved.Validate(obj); err != nil {
		return &userError{msg: fmt.Sprintf("The arguments do not match the input schema of %s (%s), so nothing was done: %s. Fix them and call again.", tool, clip(schemaMessage(err), 300), c.takes(tool))}
	}
	return nil
}

// takes lists the tool's parameters.
func (c *argsCheck) takes(tool string) string {
	if len(c.params) == 0 {
		return tool + " takes no arguments"
	}
	return tool + " takes " + strings.Join(c.params, ", ")
}

// schemaMessage drops the validator's nesting prefixes ("validating root:
// validating /properties/x:") down to the last one, which names the field.
func schemaMessage(err error) string {
	msg := err.Error()
	for {
		i := strings.Index(msg, "validating ")
		if i < 0 {
			return msg
		}
		rest := msg[i+len("validating "):]
		j := strings.Index(rest, ": validating ")
		if j < 0 {
			msg = strings.TrimPrefix(strings.TrimPrefix(msg[i:], "validating root: "), "validating ")
			return strings.TrimPrefix(msg, "/properties/")
		}
		msg = rest[j+2:]
	}
}

// clip bounds a string that came from outside (an argument, NetBox's
// answer) before it is repeated in a message: a model that sent a 1 MB
// value must not get it back in every error.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}

// maxEcho bounds a value repeated in an error or a note.
const maxEcho = 120

// clipArgs clips the strings among a message's arguments.
func clipArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = clip(v, maxEcho)
		case []string:
			c := make([]string, len(v))
			for j, s := range v {
				c[j] = clip(s, maxEcho)
			}
			out[i] = c
		default:
			out[i] = a
		}
	}
	return out
}
