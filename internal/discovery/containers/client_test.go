package containers

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oldEngine speaks the Engine API 1.41 (Docker 20.10) on the wire, with
// JSON as dockerd writes it, so the real client's decoding and version
// negotiation are exercised without an engine.
type oldEngine struct {
	mu    sync.Mutex
	paths []string
}

const (
	wireList = `[
 {"Id":"aaa","Names":["/proxy"],"Image":"caddy:2","State":"running","Status":"Up 2 hours",
  "Labels":{"com.docker.compose.project":"edge","com.docker.compose.service":"caddy"}},
 {"Id":"bbb","Names":["/gone"],"Image":"busybox","State":"exited","Status":"Exited (0)","Labels":{}}
]`
	wireInspect = `{"Id":"aaa","Name":"/proxy","Image":"sha256:1111",
 "State":{"Status":"running","Running":true,"Paused":false},
 "HostConfig":{"NanoCpus":0,"CpuShares":512,"CpuPeriod":100000,"CpuQuota":25000,"CpusetCpus":"","Memory":268435456},
 "Config":{"Image":"caddy:2","Labels":{"com.docker.compose.project":"edge","com.docker.compose.service":"caddy"}}}`
)

func (e *oldEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.paths = append(e.paths, r.URL.Path)
	e.mu.Unlock()
	w.Header().Set("Api-Version", "1.41")
	w.Header().Set("Content-Type", "application/json")
	switch p := r.URL.Path; {
	case p == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case p == "/v1.41/containers/json" && r.URL.Query().Get("all") == "1":
		_, _ = w.Write([]byte(wireList))
	case p == "/v1.41/containers/aaa/json":
		_, _ = w.Write([]byte(wireInspect))
	case strings.HasPrefix(p, "/v1.41/containers/"):
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"No such container: ` + strings.Split(p, "/")[3] + `"}`))
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"unexpected request ` + p + `"}`))
	}
}

func TestDiscoverLocalWithRealClient(t *testing.T) {
	engine := &oldEngine{}
	srv := httptest.NewServer(engine)
	defer srv.Close()
	t.Setenv("DOCKER_HOST", "tcp://"+strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("DOCKER_API_VERSION", "")
	t.Setenv("DOCKER_TLS_VERIFY", "")

	res := DiscoverLocal(t.Context(), Options{})

	require.True(t, res.Available, res.Reason)
	assert.Equal(t, []host.Container{{
		ID: "aaa", Name: "proxy", Image: "caddy:2", State: "running", Running: true,
		ComposeProject: "edge", ComposeService: "caddy", VCPUs: 0.25, MemoryMB: 256, Role: "Reverse Proxy",
	}}, res.Containers, "bbb was removed between list and inspect (404) and is left out")
	assert.Empty(t, res.Notes)
	assert.Contains(t, engine.paths, "/_ping", "the client negotiates the API version")
	assert.Contains(t, engine.paths, "/v1.41/containers/json", "and then speaks the engine's version")
}

func TestDiscoverLocalWithoutEngine(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock") // nothing listens there
	t.Setenv("DOCKER_HOST", "unix://"+sock)

	res := DiscoverLocal(t.Context(), Options{})

	assert.False(t, res.Available)
	assert.True(t, strings.HasPrefix(res.Reason, "Docker not available ("), res.Reason)
	assert.Contains(t, res.Reason, sock)
	assert.NotNil(t, res.Containers)
	assert.Empty(t, res.Containers)
}

func TestDiscoverLocalBadDockerHost(t *testing.T) {
	t.Setenv("DOCKER_HOST", "not-a-url") // refused by the client before any lookup

	res := DiscoverLocal(t.Context(), Options{})

	assert.False(t, res.Available)
	assert.Equal(t, "Docker not available (unable to parse docker host `not-a-url`)", res.Reason)
}
