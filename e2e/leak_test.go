package e2e_test

// The token-leak test: the whole suite runs again in a child process with
// recognisable NetBox tokens, every output is recorded, and none may hold
// a token. What is recorded:
//
//   - the child test process's own stdout and stderr (-test.v: every log
//     line and failure message, tool results included when a test prints
//     them);
//   - stdout and stderr of every cmdb-mcp the suite starts: the stdio MCP
//     stream (tool results, resources, prompts, log notifications), CLI
//     output, and the server's logs. TestMain's binary is swapped for a
//     script that runs this test binary as a recording wrapper around it;
//   - the body of every HTTP response the suite's MCP clients receive
//     (streamable HTTP, SSE, health checks), through http.DefaultClient.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// Variables of the leak run. Their names avoid the NETBOX_ and CMDB_
// prefixes, which netBox.env drops.
const (
	// envLeakToken, envLeakReadOnlyToken and envLeakV2Token replace the
	// suite's tokens.
	envLeakToken         = "E2E_LEAK_NETBOX_TOKEN"
	envLeakReadOnlyToken = "E2E_LEAK_NETBOX_READONLY_TOKEN"
	envLeakV2Token       = "E2E_LEAK_NETBOX_V2_TOKEN"
	// envLeakRecord is the folder every output is recorded into.
	envLeakRecord = "E2E_LEAK_RECORD_DIR"
	// envWrapReal makes this test binary a recording wrapper around the
	// cmdb-mcp it names, writing into envWrapDir.
	envWrapReal = "E2E_WRAP_REAL"
	envWrapDir  = "E2E_WRAP_DIR"
)

// The NetBox tokens every simulator of the suite accepts (suiteSimOptions):
// the simulator's default write tokens (v1, and v2 from NetBox 4.5 on) and
// a read-only one, unless the leak run replaces them.
var (
	suiteToken         = simtest.DefaultToken
	suiteV2Token       = simtest.DefaultV2Token
	suiteReadOnlyToken = "0000000000000000000000000000000000000ro2"
)

// suiteSimOptions are the simulator options of the suite's NetBoxes.
func suiteSimOptions() netboxsim.Options {
	return netboxsim.Options{Token: suiteToken, V2Token: suiteV2Token, ReadOnlyToken: suiteReadOnlyToken}
}

func init() {
	if real := os.Getenv(envWrapReal); real != "" {
		os.Exit(runWrapper(real, os.Getenv(envWrapDir)))
	}
	if tok := os.Getenv(envLeakToken); tok != "" {
		suiteToken = tok
		suiteReadOnlyToken = os.Getenv(envLeakReadOnlyToken)
		suiteV2Token = os.Getenv(envLeakV2Token)
	}
	if dir := os.Getenv(envLeakRecord); dir != "" {
		// Not http.DefaultTransport, which netbox.New clones: the MCP
		// clients and health checks use http.DefaultClient.
		http.DefaultClient = &http.Client{Transport: &recordingTransport{next: http.DefaultTransport, dir: dir}}
	}
}

// recordBinary returns what the suite runs as cmdb-mcp: in the leak run a
// script that records the real binary's outputs, else the binary itself.
func recordBinary(real string) string {
	dir := os.Getenv(envLeakRecord)
	if dir == "" {
		return real
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	script := real + "-recorded"
	body := fmt.Sprintf("#!/bin/sh\nexec env %s=%s %s=%s %s \"$@\"\n", envWrapReal, shellQuote(real), envWrapDir, shellQuote(dir), shellQuote(self))
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		panic(err)
	}
	return script
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// runWrapper runs real with this process's arguments, stdin and signals,
// copies its stdout and stderr to this process's and to files in dir, and
// returns its exit code.
func runWrapper(real, dir string) int {
	// The child dies with the thread that started it (Pdeathsig): keep
	// this goroutine on its thread until exit.
	runtime.LockOSThread()
	cmd := exec.Command(real, os.Args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envWrapReal+"=") && !strings.HasPrefix(kv, envWrapDir+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = os.Stdin
	stdout, err1 := os.CreateTemp(dir, "run-*.stdout")
	stderr, err2 := os.CreateTemp(dir, "run-*.stderr")
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "recording wrapper:", err1, err2)
		return 125
	}
	defer stdout.Close()
	defer stderr.Close()
	fmt.Fprintf(stderr, "# cmdb-mcp %s\n", strings.Join(os.Args[1:], " "))
	// The file first: a reader that went away must not cut the record short.
	cmd.Stdout = io.MultiWriter(stdout, os.Stdout)
	cmd.Stderr = io.MultiWriter(stderr, os.Stderr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "recording wrapper:", err)
		return 126
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// recordingTransport copies the body of every response from cmdb-mcp (not
// from the simulator's /api/) into a file.
type recordingTransport struct {
	next http.RoundTripper
	dir  string
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(r)
	if err != nil || strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/__sim/") {
		return resp, err
	}
	f, ferr := os.CreateTemp(rt.dir, "http-*.body")
	if ferr != nil {
		return resp, err
	}
	fmt.Fprintf(f, "# %s %s -> %s\n", r.Method, r.URL, resp.Status)
	for k, vs := range resp.Header {
		fmt.Fprintf(f, "# %s: %s\n", k, strings.Join(vs, ", "))
	}
	resp.Body = &teeBody{ReadCloser: resp.Body, f: f}
	return resp, nil
}

type teeBody struct {
	io.ReadCloser
	f *os.File
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		_, _ = b.f.Write(p[:n])
	}
	return n, err
}

func (b *teeBody) Close() error {
	_ = b.f.Close()
	return b.ReadCloser.Close()
}

// recognisableToken is a v1 token (40 hex digits) with a fixed prefix a
// person can spot, and random digits nothing can contain by chance.
func recognisableToken(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, (40-len(prefix))/2)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b)
}

// TestTokenNeverLeaks runs the rest of this package's tests in a child
// process with recognisable NetBox tokens and searches every output for
// them and for their parts (a v2 token's key and secret each, halves):
// tool results, resources, prompts, log notifications, CLI output, server
// logs and errors, HTTP answers. TestTokenPartsEchoed makes NetBox echo
// the parts, so that the run meets them.
func TestTokenNeverLeaks(t *testing.T) {
	if os.Getenv(envLeakRecord) != "" {
		t.Skip("this is the leak run itself")
	}
	token := recognisableToken(t, "feedface")
	readOnly := recognisableToken(t, "0badc0de")
	// A v2 token is nbt_<key>.<secret>: either part identifies it.
	v2Secret := recognisableToken(t, "c0ffee00")
	v2Key := "1eaf" + recognisableToken(t, "")[:8]
	v2 := "nbt_" + v2Key + "." + v2Secret
	dir := t.TempDir()

	self, err := os.Executable()
	require.NoError(t, err)
	start := time.Now()
	cmd := exec.Command(self, "-test.run=.", "-test.skip=^(TestTokenNeverLeaks|TestLoad.*)$", "-test.count=1", "-test.v", "-test.timeout=20m")
	cmd.Env = append(os.Environ(), envLeakToken+"="+token, envLeakReadOnlyToken+"="+readOnly, envLeakV2Token+"="+v2, envLeakRecord+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	// A failure is reported, and the outputs are searched all the same.
	assert.NoError(t, err, "the suite failed in the leak run:\n%s\n...\n%s", failures(out.String()), tail(out.String(), 20))
	require.Contains(t, out.String(), "=== RUN   TestMCPOverStdio", "the leak run did not run the suite")
	t.Logf("the suite ran with recognisable tokens in %s", time.Since(start).Round(time.Millisecond))

	// What was recorded, so that an empty record cannot pass.
	outputs := map[string][]byte{"test output": out.Bytes()}
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	var stdouts, stderrs, bodies int
	var mcpOverStdio, mcpOverHTTP, serverLogs bool
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		outputs[f.Name()] = data
		switch filepath.Ext(f.Name()) {
		case ".stdout":
			stdouts++
			mcpOverStdio = mcpOverStdio || bytes.Contains(data, []byte(`"report_markdown"`))
		case ".stderr":
			stderrs++
			serverLogs = serverLogs || bytes.Contains(data, []byte("cmdb-mcp starting"))
		case ".body":
			bodies++
			mcpOverHTTP = mcpOverHTTP || bytes.Contains(data, []byte(`report_markdown`))
		}
	}
	total := 0
	for _, data := range outputs {
		total += len(data)
	}
	t.Logf("searched %d bytes: the test output, %d cmdb-mcp runs (stdout and stderr), %d HTTP response bodies", total, stdouts, bodies)
	assert.Greater(t, stdouts, 20, "too few cmdb-mcp runs were recorded")
	assert.Equal(t, stdouts, stderrs)
	assert.True(t, mcpOverStdio, "no tool result recorded from a stdio session")
	assert.True(t, mcpOverHTTP, "no tool result recorded from an HTTP session")
	assert.True(t, serverLogs, "no server log recorded")

	// One report per output and secret, the first ten in full.
	leaks := 0
	for name, secret := range map[string]string{"the NetBox token": token, "the read-only NetBox token": readOnly, "the v2 NetBox token's secret": v2Secret, "the v2 NetBox token's key": v2Key, "the HTTP bearer token": authToken} {
		forms := secretForms(secret)
		if secret == v2Key {
			forms = []string{v2Key} // half of 12 characters would turn up by chance
		}
		for file, data := range outputs {
			for _, needle := range forms {
				i := bytes.Index(data, []byte(needle))
				if i < 0 {
					continue
				}
				if leaks++; leaks <= 10 {
					lo, hi := max(0, i-300), min(len(data), i+len(needle)+200)
					t.Errorf("%s appears in %s:\n%s", name, file, strings.ReplaceAll(string(data[lo:hi]), needle, "<"+name+">"))
				}
				break
			}
		}
	}
	if leaks > 10 {
		t.Errorf("... and in %d more outputs", leaks-10)
	}
}

// secretForms are the ways a token could show: whole, either half (cut
// off or wrapped), and base64 at each of the three alignments (a dumped
// header or body).
func secretForms(s string) []string {
	forms := []string{s, s[:len(s)/2], s[len(s)/2:]}
	for skip := range 3 {
		b64 := base64.StdEncoding.EncodeToString([]byte(s[skip:]))
		forms = append(forms, b64[:len(b64)-4])
	}
	return forms
}

// failures picks the reports of failed tests out of go test -v output:
// what each failed test printed from its "=== RUN" line (-v streams a
// test's errors there) through its "--- FAIL" line and the indented lines
// under that, at most 40 lines a test.
func failures(s string) string {
	lines := strings.Split(s, "\n")
	runAt := map[string]int{}
	var out []string
	for i, line := range lines {
		if name, ok := strings.CutPrefix(line, "=== RUN   "); ok {
			runAt[name] = i
			continue
		}
		_, rest, ok := strings.Cut(line, "--- FAIL: ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		from, ok := runAt[name]
		if !ok {
			from = i
		}
		to := i + 1
		for to < len(lines) && (strings.HasPrefix(lines[to], " ") || strings.HasPrefix(lines[to], "\t")) {
			to++
		}
		block := lines[from:to]
		if len(block) > 40 {
			block = append(append(block[:20:20], "..."), block[len(block)-19:]...)
		}
		out = append(out, block...)
	}
	if len(out) == 0 {
		return "(no --- FAIL line)"
	}
	return strings.Join(out, "\n")
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

func TestFailuresPicksFailedTests(t *testing.T) {
	out := "=== RUN   TestA\n--- PASS: TestA (0.01s)\n=== RUN   TestB\n    b_test.go:9: the cause\n--- FAIL: TestB (0.02s)\n    b_test.go:10: \n        \tError: boom\n=== RUN   TestC\n--- PASS: TestC (0.00s)\nFAIL\n"
	assert.Equal(t, "=== RUN   TestB\n    b_test.go:9: the cause\n--- FAIL: TestB (0.02s)\n    b_test.go:10: \n        \tError: boom", failures(out))
	assert.Equal(t, "(no --- FAIL line)", failures("ok\n"))
}
