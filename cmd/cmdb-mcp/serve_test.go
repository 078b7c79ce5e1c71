package main

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

func TestFilterFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		want    tools.Filter
		wantErr string
	}{
		{name: "default offers everything"},
		{name: "--read-only alone", args: []string{"--read-only"}, want: tools.Filter{ReadOnly: true}},
		{name: "variable", vars: map[string]string{envReadOnly: "true"}, want: tools.Filter{ReadOnly: true}},
		{name: "flag beats variable", args: []string{"--read-only=false"}, vars: map[string]string{envReadOnly: "true"}},
		{name: "toolsets", args: []string{"--toolsets", "sync,netbox-read"}, want: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetSync, tools.ToolsetNetBoxRead}}},
		{name: "toolsets variable", vars: map[string]string{envToolsets: "netbox-write"}, want: tools.Filter{Toolsets: []tools.Toolset{tools.ToolsetNetBoxWrite}}},
		{name: "all", args: []string{"--toolsets", "all", "--read-only"}, want: tools.Filter{ReadOnly: true}},
		{name: "bad read-only variable", vars: map[string]string{envReadOnly: "maybe"}, wantErr: envReadOnly},
		{name: "unknown toolset", args: []string{"--toolsets", "dcim"}, wantErr: "netbox-read, netbox-write, sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			f := addFilterFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := f.resolve(env{getenv: func(k string) string { return tt.vars[k] }})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addFilterFlags(fs)
	assert.Error(t, fs.Parse([]string{"--read-only=perhaps"}))
}
