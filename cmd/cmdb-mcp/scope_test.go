package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
)

func TestScopeDeadlines(t *testing.T) {
	resolve := func(vars map[string]string, args ...string) (scope, error) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := addScopeFlags(fs)
		require.NoError(t, fs.Parse(args))
		return f.resolve(env{getenv: func(k string) string { return vars[k] }})
	}
	s, err := resolve(nil)
	require.NoError(t, err)
	assert.Equal(t, discovery.Deadlines{}, s.discovery.Deadlines, "zero: the defaults")

	s, err = resolve(map[string]string{discovery.EnvDockerTimeout: "30s", discovery.EnvDiscoveryTimeout: "1s"}, "--docker-timeout", "2s")
	require.NoError(t, err)
	assert.Equal(t, discovery.Deadlines{Local: time.Second, Docker: 2 * time.Second}, s.discovery.Deadlines, "the flag wins over its variable")

	_, err = resolve(map[string]string{discovery.EnvDockerTimeout: "soon"})
	assert.ErrorContains(t, err, `CMDB_DOCKER_TIMEOUT="soon": want a positive Go duration such as 10s`)
	_, err = resolve(nil, "--discovery-timeout", "-1s")
	assert.ErrorContains(t, err, `CMDB_DISCOVERY_TIMEOUT="-1s"`)
}
