package containers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/idleimage"
	"github.com/cmdb-mcp/cmdb-mcp/internal/testenv"
)

// runLabel marks every container a test run makes, so that cleanup finds
// them all and nothing else.
const runLabel = "io.cmdb-mcp.e2e-run"

// docker drives the dockerd that DOCKER_HOST names with the docker CLI, as
// a person would. Other tests use the same engine at the same time: every
// name this run makes starts with run.
type docker struct {
	t     *testing.T
	cli   string
	run   string // "cmdbe2e" and 8 digits: no role pattern matches it
	image string
}

// newDocker checks that an engine is there and imports the test image, or
// skips (fails under CMDB_REQUIRE_INTEGRATION=1). Without DOCKER_HOST it
// starts nothing and skips: .ci/run starts the engine and exports it.
func newDocker(t *testing.T) *docker {
	t.Helper()
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		testenv.Skip(t, "DOCKER_HOST is not set: these tests use the dockerd it names (.ci/run starts one with --bridge none); none is started here")
	}
	cli, err := exec.LookPath("docker")
	if err != nil {
		testenv.Skip(t, "the docker CLI is not installed (apt-get install docker.io)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		testenv.Skip(t, fmt.Sprintf("no Docker engine answers at DOCKER_HOST=%s: %v: %s", host, err, bytes.TrimSpace(out)))
	}
	bin, err := idleimage.Busybox()
	if err != nil {
		testenv.Skip(t, "the test image: "+err.Error())
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e8))
	if err != nil {
		t.Fatal(err)
	}
	d := &docker{t: t, cli: cli, run: fmt.Sprintf("cmdbe2e%08d", n.Int64())}
	d.image = "cmdb-e2e/busybox:" + d.run
	t.Cleanup(d.cleanup)
	d.importImage(bin)
	return d
}

// cmd runs one docker command and returns its trimmed stdout; a failure
// fails the test.
func (d *docker) cmd(args ...string) string {
	d.t.Helper()
	out, err := d.try(args...)
	if err != nil {
		d.t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (d *docker) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, d.cli, args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// importImage builds the smallest image that can idle, `docker import` of
// a rootfs with busybox and its sh and sleep links.
func (d *docker) importImage(busybox string) {
	d.t.Helper()
	rootfs, err := idleimage.Rootfs(busybox)
	if err != nil {
		d.t.Fatal(err)
	}
	file := filepath.Join(d.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(file, rootfs, 0o600); err != nil {
		d.t.Fatal(err)
	}
	d.cmd("import", "--change", idleimage.Cmd, file, d.image)
}

// container is one container a test starts.
type container struct {
	name    string // without the run prefix
	project string // compose project, "" for none
	cpus    string // --cpus, "" for no limit
	memory  string // -m, "" for no limit
}

// start runs the container idle, without network. Its Docker name is
// run-name.
func (d *docker) start(c container) string {
	d.t.Helper()
	full := d.run + "-" + c.name
	args := []string{"run", "-d", "--name", full, "--network", "none", "--label", runLabel + "=" + d.run}
	if c.project != "" {
		args = append(args, "--label", "com.docker.compose.project="+c.project,
			"--label", "com.docker.compose.service="+c.name)
	}
	if c.cpus != "" {
		args = append(args, "--cpus", c.cpus)
	}
	if c.memory != "" {
		args = append(args, "-m", c.memory)
	}
	d.cmd(append(args, d.image)...)
	return full
}

// inspected is what docker inspect says of a container.
type inspected struct {
	Name  string `json:"Name"`
	State struct {
		Status  string `json:"Status"`
		Running bool   `json:"Running"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	HostConfig struct {
		NanoCPUs  int64 `json:"NanoCpus"`
		CPUQuota  int64 `json:"CpuQuota"`
		CPUPeriod int64 `json:"CpuPeriod"`
		Memory    int64 `json:"Memory"`
	} `json:"HostConfig"`
}

// ours inspects every container of this run, by Docker name.
func (d *docker) ours() map[string]inspected {
	d.t.Helper()
	ids := strings.Fields(d.cmd("ps", "-aq", "--filter", "label="+runLabel+"="+d.run))
	out := map[string]inspected{}
	if len(ids) == 0 {
		return out
	}
	var list []inspected
	if err := json.Unmarshal([]byte(d.cmd(append([]string{"inspect"}, ids...)...)), &list); err != nil {
		d.t.Fatal(err)
	}
	for _, c := range list {
		out[strings.TrimPrefix(c.Name, "/")] = c
	}
	return out
}

// cleanup removes every container of the run, then the image.
func (d *docker) cleanup() {
	ids, err := d.try("ps", "-aq", "--filter", "label="+runLabel+"="+d.run)
	if err == nil && ids != "" {
		if _, err := d.try(append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
			d.t.Errorf("removing the test containers: %v", err)
		}
	}
	if _, err := d.try("rmi", "-f", d.image); err != nil {
		d.t.Errorf("removing the test image: %v", err)
	}
}
