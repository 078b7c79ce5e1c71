package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every NetBox write tool says what it touches, so the write scope can
// check it; a new write tool without an entry is refused everything.
func TestEveryWriteToolDeclaresItsScope(t *testing.T) {
	writers := map[string]bool{}
	for _, tool := range All(Deps{}) {
		if tool.Toolset() == ToolsetNetBoxWrite {
			writers[tool.Definition.Name] = true
			assert.Contains(t, touches, tool.Definition.Name, "write tool %s declares nothing for the write scope", tool.Definition.Name)
		}
	}
	for name := range touches {
		assert.True(t, writers[name], "%s has a write scope but is no NetBox write tool", name)
	}
}

func TestParseWriteScope(t *testing.T) {
	for in, want := range map[string]WriteScope{"": WriteScopeHost, "host": WriteScopeHost, " ANY ": WriteScopeAny} {
		got, err := ParseWriteScope(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseWriteScope("device")
	assert.ErrorContains(t, err, "host")
}
