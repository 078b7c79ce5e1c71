package dockerimage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/idleimage"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// CLIEnv names the docker CLI to build with, when the one on PATH cannot
// build with BuildKit: from Docker 23 on, the CLI builds with BuildKit only
// through the buildx plugin, while Debian's docker.io CLI (20.10) has
// BuildKit built in (DOCKER_BUILDKIT=1). .ci/run sets it to Debian's.
const CLIEnv = "CMDB_DOCKER_CLI"

// caBundle is where Debian's ca-certificates puts the bundle the stand-ins
// copy.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// fakeToken is a NetBox token of the right form that no NetBox knows.
const fakeToken = "0123456789abcdef0123456789abcdef01234567"

// TestImageBuildsAndStarts builds the repository's Dockerfile as it is, all
// its stages with BuildKit, on the engine DOCKER_HOST names, and starts the
// image: `--version` prints the version given at build time, `serve`
// answers an MCP initialize over stdio, and its process runs as 65532.
//
// The engine reaches no registry, so the base images are local stand-ins
// under the Dockerfile's names (standin_test.go): a Go toolchain that is
// this machine's Go, and an empty runtime with distroless's nonroot user.
// BuildKit takes a local image for a tag without asking a registry, but not
// for a digest, which is why the Dockerfile names tags. What this proves is
// the Dockerfile: its stages, ARGs, mounts, the build and the image's
// configuration. It does not prove that the real images exist under those
// tags, nor anything of their content: a user's build pulls those. The
// engine has no bridge network, so the build runs with --network host
// (go mod download reaches the Go module proxy from there); a user's runs
// on the default bridge.
func TestImageBuildsAndStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the image from the sources, minutes on a cold build cache; -short skips it")
	}
	e := newEngine(t)

	df, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	refs, err := df.baseImages()
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, ref := range refs {
		e.provideBaseImage(ref)
	}

	image := "cmdb-test/cmdb-mcp:" + e.run
	version := "build-check-" + e.run
	t.Cleanup(func() {
		if _, err := e.try(nil, "rmi", "-f", image); err != nil {
			t.Errorf("removing the built image: %v", err)
		}
	})
	e.build(image, version)

	var cfg []struct {
		Config struct {
			User       string
			Entrypoint []string
		}
	}
	if err := json.Unmarshal([]byte(e.cmd(nil, "image", "inspect", image)), &cfg); err != nil || len(cfg) != 1 {
		t.Fatalf("docker image inspect %s: %v", image, err)
	}
	if got, want := cfg[0].Config.User, fmt.Sprintf("%d:%d", nonroot, nonroot); got != want {
		t.Errorf("image user = %q, want %q (numeric, for runAsNonRoot)", got, want)
	}

	if got, want := e.cmd(nil, "run", "--rm", "--network", "none", image, "--version"), "cmdb-mcp "+version; got != want {
		t.Errorf("cmdb-mcp --version in the image printed %q, want %q", got, want)
	}

	e.checkServes(image, version)
	e.checkUser(image)
}

// engine runs the docker CLI against the engine DOCKER_HOST names.
type engine struct {
	t   *testing.T
	cli string
	run string // "dfcheck" and 8 digits: names what this run makes
}

// newEngine finds a docker CLI that builds with BuildKit and an engine that
// answers, or skips (fails under CMDB_REQUIRE_INTEGRATION=1). Like the
// other container tests it uses only an engine DOCKER_HOST names.
func newEngine(t *testing.T) *engine {
	t.Helper()
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		testenv.Skip(t, "DOCKER_HOST is not set: this test builds on the dockerd it names (.ci/run starts one); none is started here")
	}
	cli := os.Getenv(CLIEnv)
	if cli == "" {
		var err error
		if cli, err = exec.LookPath("docker"); err != nil {
			testenv.Skip(t, "the docker CLI is not installed (apt-get install docker.io)")
		}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{t: t, cli: cli, run: fmt.Sprintf("dfcheck%08d", n.Int64())}
	server, err := e.try(nil, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		testenv.Skip(t, fmt.Sprintf("no Docker engine answers at DOCKER_HOST=%s: %v", host, err))
	}
	if reason := e.noBuildKit(); reason != "" {
		testenv.Skip(t, reason)
	}
	t.Logf("docker CLI %s, engine %s", cli, server)
	return e
}

// noBuildKit says why the CLI cannot build with BuildKit, or "" when it
// can: with the buildx plugin, or as a CLI older than 23, where
// DOCKER_BUILDKIT=1 selects the BuildKit client it has built in.
func (e *engine) noBuildKit() string {
	if _, err := e.try(nil, "buildx", "version"); err == nil {
		return ""
	}
	v, err := e.try(nil, "version", "--format", "{{.Client.Version}}")
	if err != nil {
		return "the docker CLI's version: " + err.Error()
	}
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err == nil && n < 23 {
		return ""
	}
	return fmt.Sprintf("the docker CLI %s (%s) builds with BuildKit only through the buildx plugin, which it does not have; "+
		"Debian's docker.io CLI (20.10, /usr/bin/docker) has BuildKit built in: set %s to it", e.cli, v, CLIEnv)
}

// try runs one docker command, stdin from in (may be nil), and returns its
// trimmed stdout; an error carries stderr.
func (e *engine) try(in io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, e.cli, args...)
	c.Stdin, c.Stdout, c.Stderr = in, &stdout, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// cmd is try that fails the test.
func (e *engine) cmd(in io.Reader, args ...string) string {
	e.t.Helper()
	out, err := e.try(in, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// provideBaseImage makes ref available to the build: a real image already
// there is used as it is; otherwise a stand-in is imported under its name
// and removed after the test.
func (e *engine) provideBaseImage(ref string) {
	t := e.t
	t.Helper()
	repo, tag, digest := splitRef(ref)
	if digest != "" {
		t.Fatalf("base image %s is named by digest: a local stand-in cannot match a digest, so the Dockerfile names tags (pass digests as build args)", ref)
	}
	label, err := e.try(nil, "image", "inspect", "--format", `{{index .Config.Labels "`+standInLabel+`"}}`, ref)
	if err == nil && label == "" {
		t.Logf("base image %s: the real one, present on this engine", ref)
		return
	}

	var (
		kind    string
		changes []string
		write   func(io.Writer) error
	)
	if _, err := os.Stat(caBundle); err != nil {
		testenv.Skip(t, "the stand-in base images copy this machine's CA bundle: "+err.Error()+" (apt-get install ca-certificates)")
	}
	if isGoImage(repo) {
		g, version := e.goStandIn(tag)
		kind, changes, write = "this machine's Go "+version+" on busybox", g.changes(version, goModuleEnv(t)), g.write
	} else {
		kind, changes = "nonroot user, CA bundle, no shell", runtimeChanges()
		write = func(w io.Writer) error { return writeRuntimeStandIn(w, caBundle) }
	}
	if err := e.importImage(ref, changes, write); err != nil {
		t.Fatalf("stand-in for %s: %v", ref, err)
	}
	t.Cleanup(func() {
		if _, err := e.try(nil, "rmi", ref); err != nil {
			t.Errorf("removing the stand-in %s: %v", ref, err)
		}
	})
	t.Logf("base image %s: a stand-in (%s)", ref, kind)
}

// goStandIn describes the Go stand-in for the golang image tagged tag,
// made of the Go that runs this test, which must be the tag's version.
func (e *engine) goStandIn(tag string) (goStandIn, string) {
	t := e.t
	t.Helper()
	version, _, _ := strings.Cut(tag, "-")
	out, err := exec.Command("go", "env", "GOROOT", "GOVERSION").Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 {
		t.Fatalf("go env GOROOT GOVERSION: %v %q", err, out)
	}
	if lines[1] != "go"+version {
		testenv.Skip(t, fmt.Sprintf("the stand-in for golang:%s would be this machine's Go, which is %s, not go%s", tag, lines[1], version))
	}
	busybox, err := idleimage.Busybox()
	if err != nil {
		testenv.Skip(t, "the Go stand-in's shell: "+err.Error())
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		t.Fatalf("%s --list: %v", busybox, err)
	}
	return goStandIn{goroot: lines[0], busybox: busybox, applets: strings.Fields(string(list)), caFile: caBundle}, version
}

// goModuleEnv returns the module download settings of the Go here, which
// the Go stand-in takes over.
func goModuleEnv(t *testing.T) map[string]string {
	t.Helper()
	keys := []string{"GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE"}
	out, err := exec.Command("go", append([]string{"env", "-json"}, keys...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var values map[string]string
	if err := json.Unmarshal(out, &values); err != nil {
		t.Fatalf("go env -json: %v", err)
	}
	env := map[string]string{}
	for _, k := range keys {
		if v := values[k]; v != "" && !strings.ContainsAny(v, " \t\"'\\") {
			env[k] = v
		}
	}
	return env
}

// importImage imports the root file system write writes as ref.
func (e *engine) importImage(ref string, changes []string, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	_, err := e.try(pr, append(args, "-", ref)...)
	// Unblocks the writer when docker stopped reading early.
	pr.CloseWithError(errors.New("docker import ended"))
	return err
}

// build runs docker build of the repository root, as the Dockerfile's
// comment says to, with BuildKit.
func (e *engine) build(image, version string) {
	t := e.t
	t.Helper()
	args := []string{"build", "--progress", "plain", "--network", "host",
		"--build-arg", "VERSION=" + version, "--tag", image}
	// Predefined in BuildKit; named without a value, taken from here.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		if os.Getenv(k) != "" {
			args = append(args, "--build-arg", k)
		}
	}
	// Stopped before go test's own timeout would end the process, so that
	// the cleanups still run (ending the CLI ends the engine's build).
	deadline := time.Now().Add(30 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-time.Minute).Before(deadline) {
		deadline = d.Add(-time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c := exec.CommandContext(ctx, e.cli, append(args, repoRoot)...)
	c.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	var log bytes.Buffer
	c.Stdout, c.Stderr = &log, &log
	started := time.Now()
	err := c.Run()
	took := time.Since(started).Round(time.Second)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (stopped before go test's -timeout; a cold build on a busy machine can take minutes: raise -timeout)", ctx.Err())
		}
		t.Fatalf("docker build of the Dockerfile failed after %s: %v\n%s", took, err, lastLines(log.String(), 60))
	}
	t.Logf("docker build took %s (on an engine with an empty build cache it compiles every package: minutes)", took)
}

// checkServes sends serve an MCP initialize over stdio and reads the
// answer; closing stdin ends the server.
func (e *engine) checkServes(image, version string) {
	t := e.t
	t.Helper()
	req := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"dockerimage-test","version":"1"}}}` + "\n"
	out := e.cmd(strings.NewReader(req), "run", "-i", "--rm", "--network", "none",
		"-e", "NETBOX_URL=http://127.0.0.1:9", "-e", "NETBOX_TOKEN="+fakeToken, image)
	var resp struct {
		ID     int `json:"id"`
		Result struct {
			ServerInfo struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"serverInfo"`
		} `json:"result"`
	}
	first, _, _ := strings.Cut(out, "\n")
	if err := json.Unmarshal([]byte(first), &resp); err != nil {
		t.Fatalf("serve in the image did not answer initialize with JSON-RPC: %v\nstdout: %s", err, out)
	}
	if resp.ID != 1 || resp.Result.ServerInfo.Name != "cmdb-mcp" || resp.Result.ServerInfo.Version != version {
		t.Errorf("initialize answered %s, want id 1 from cmdb-mcp %s", first, version)
	}
}

// checkUser starts serve in the background and reads its process's user
// and group from the engine.
func (e *engine) checkUser(image string) {
	t := e.t
	t.Helper()
	name := e.run + "-serve"
	t.Cleanup(func() { _, _ = e.try(nil, "rm", "-f", name) })
	// -i keeps stdin open, so serve waits for a client.
	e.cmd(nil, "run", "-d", "-i", "--name", name, "--network", "none",
		"-e", "NETBOX_URL=http://127.0.0.1:9", "-e", "NETBOX_TOKEN="+fakeToken, image)
	top, err := e.try(nil, "top", name, "-o", "pid,uid,gid,args")
	if err != nil {
		logs, _ := e.try(nil, "logs", name)
		t.Fatalf("%v\ncontainer log:\n%s", err, logs)
	}
	lines := strings.Split(top, "\n")
	if len(lines) != 2 {
		t.Fatalf("docker top: want the header and one process, got:\n%s", top)
	}
	f := strings.Fields(lines[1])
	want := strconv.Itoa(nonroot)
	if len(f) < 4 || f[1] != want || f[2] != want || f[3] != "/usr/local/bin/cmdb-mcp" {
		t.Errorf("the image's process: %q, want uid and gid %s running /usr/local/bin/cmdb-mcp", lines[1], want)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
