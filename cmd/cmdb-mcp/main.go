// Command cmdb-mcp keeps this host's NetBox device record in sync with the
// host, as an MCP server (serve) or from the shell (discover, diff, apply).
// It only parses flags and wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit codes. diff uses exitDrift for "NetBox differs from the host".
const (
	exitOK    = 0
	exitError = 1
	exitDrift = 2
)

// errUsage reports a command line that was wrong; the flag package has
// printed why already.
var errUsage = errors.New("usage")

// env is the process's surroundings, passed in so that tests can run
// commands without touching the real ones.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdinIsTerminal says whether a person can answer a prompt.
	stdinIsTerminal func() bool
	// now, sleep and random drive apply's schedule (--splay, --every);
	// nil means the real clock and math/rand (schedule.go). Tests replace
	// them to run a schedule without waiting for it.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	random func(n time.Duration) time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a clean stop (a running apply finishes
	// and journals its writes); from then on a signal's default action
	// applies, so a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], env{
		stdin:           os.Stdin,
		stdout:          os.Stdout,
		stderr:          os.Stderr,
		getenv:          os.Getenv,
		stdinIsTerminal: stdinIsTerminal,
	})
	stop()
	os.Exit(code)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) (int, error)
}

func commands() []command {
	return []command{
		{"serve", "serve the MCP tools (stdio, sse or streamable http)", runServe},
		{"discover", "show what this host is", runDiscover},
		{"diff", "compare this host with its NetBox device (exit 0 in sync, 2 drift, 1 error)", runDiff},
		{"apply", "diff, confirm, and write the changes to NetBox", runApply},
		{"register", "create this host's device in NetBox, then sync it (after confirmation)", runRegister},
		{"fleet", "how every NetBox device's syncs stand (exit 0 all recent, 2 some failed, stale or never)", runFleet},
		{"demo", "run a whole sync against a built-in NetBox simulator (no NetBox, no config)", runDemo},
		{"netbox-sim", "serve the NetBox simulator alone, for trying clients", runSim},
		{"bench", "measure a sync side by side with the seed's workflow (BENCHMARKS.md)", runBench},
	}
}

func run(ctx context.Context, args []string, e env) int {
	// Logs go to stderr: stdout belongs to the stdio transport and to
	// command output.
	slog.SetDefault(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel(e.getenv)})))

	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(e.stdout, "cmdb-mcp", buildVersion())
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		code, err := c.run(ctx, e, args[1:])
		switch {
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			return exitError
		case err != nil:
			// An error may quote NetBox or the host: each of its lines is
			// shown as text, never as terminal control sequences.
			lines := strings.Split(err.Error(), "\n")
			for i, l := range lines {
				lines[i] = untrusted.Message(l)
			}
			fmt.Fprintf(e.stderr, "cmdb-mcp %s: %s\n", c.name, strings.Join(lines, "\n"))
			return exitError
		}
		return code
	}
	fmt.Fprintf(e.stderr, "cmdb-mcp: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: cmdb-mcp <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cmdb-mcp <command> --help' for the flags of a command.")
	fmt.Fprintln(w, "New here? 'cmdb-mcp demo' shows a whole sync without any NetBox.")
}

// newFlagSet returns a flag set whose --help prints the command's summary
// and flags, and whose errors are returned rather than exiting.
func newFlagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: cmdb-mcp %s\n\n", synopsis)
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintf(e.stderr, "%s.\n\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
			}
		}
		fmt.Fprintln(e.stderr, "Flags:")
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// netboxFlags are the NetBox connection flags. Each falls back to its
// environment variable; the token has no flag, so it never shows in ps.
type netboxFlags struct {
	url, tokenFile, caFile, timeout string
	insecure                        bool
}

func addNetBoxFlags(fs *flag.FlagSet) *netboxFlags {
	f := &netboxFlags{}
	fs.StringVar(&f.url, "netbox-url", "", "NetBox base URL (env "+netbox.EnvURL+")")
	fs.StringVar(&f.tokenFile, "netbox-token-file", "", "file holding the NetBox API token (env "+netbox.EnvTokenFile+"; or the token itself in "+netbox.EnvToken+")")
	fs.StringVar(&f.caFile, "netbox-ca-file", "", "PEM CA bundle for NetBox's certificate (env "+netbox.EnvCAFile+")")
	fs.BoolVar(&f.insecure, "netbox-insecure-skip-verify", false, "skip TLS certificate verification, for test instances only (env "+netbox.EnvInsecureSkipVerify+")")
	fs.StringVar(&f.timeout, "netbox-timeout", "", "timeout of each NetBox request, e.g. 30s (env "+netbox.EnvTimeout+")")
	return f
}

// client builds the NetBox client from the flags, falling back to the
// environment. A flag is read as if it were its variable, so that one
// function (netbox.ConfigFromEnv) validates both.
func (f *netboxFlags) client(e env) (*netbox.Client, error) {
	overrides := map[string]string{
		netbox.EnvURL:       f.url,
		netbox.EnvTokenFile: f.tokenFile,
		netbox.EnvCAFile:    f.caFile,
		netbox.EnvTimeout:   f.timeout,
	}
	if f.insecure {
		overrides[netbox.EnvInsecureSkipVerify] = "true"
	}
	getenv := func(k string) string {
		if v := overrides[k]; v != "" {
			return v
		}
		// A token file given on the command line wins over a token in the
		// environment, instead of the two clashing.
		if k == netbox.EnvToken && f.tokenFile != "" {
			return ""
		}
		return e.getenv(k)
	}
	cfg, err := netbox.ConfigFromEnv(getenv)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		if cfg.URL == "" || cfg.Token == "" {
			return nil, fmt.Errorf("NetBox is not configured: set %s and %s (or %s), or pass --netbox-url and --netbox-token-file. To try cmdb-mcp without a NetBox, run 'cmdb-mcp demo'.\n%w",
				netbox.EnvURL, netbox.EnvToken, netbox.EnvTokenFile, err)
		}
		return nil, err
	}
	if path := getenv(netbox.EnvTokenFile); path != "" {
		source := netbox.EnvTokenFile
		if f.tokenFile != "" {
			source = "--netbox-token-file"
		}
		warnIfExposed(source, path)
	}
	return netbox.New(cfg, netbox.WithLogger(slog.Default()))
}

// warnIfExposed logs a warning when a file that holds a token can be read
// by users other than its owner. It warns, not fails: the file may be
// meant for a group, and a server that refuses to start is worse.
func warnIfExposed(source, path string) {
	fi, err := os.Stat(strings.TrimSpace(path))
	if err != nil || fi.Mode().Perm()&0o044 == 0 {
		return
	}
	slog.Warn("the token file can be read by other users than its owner: restrict it with chmod 600 (owned by the user cmdb-mcp runs as)",
		"source", source, "file", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
}

func logLevel(getenv func(string) string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(getenv("CMDB_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// envOr returns the flag value, or the variable when the flag was not given.
func envOr(e env, flagValue, name string) string {
	if flagValue != "" {
		return flagValue
	}
	return e.getenv(name)
}

func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
