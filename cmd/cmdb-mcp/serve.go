package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// Environment fallbacks of serve's flags.
const (
	envTransport = "CMDB_TRANSPORT"
	envAddr      = "CMDB_ADDR"
	envReadOnly  = "CMDB_READ_ONLY"
	envToolsets  = "CMDB_TOOLSETS"
	envHostname  = "CMDB_HOSTNAME"
)

func runServe(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "serve", "serve [--transport stdio|sse|http] [--addr 127.0.0.1:8080] [--auth-token-file F | --insecure-no-auth] [--tls-cert F --tls-key F] [--read-only] [--toolsets netbox-read,netbox-write,sync] [--write-scope host|any] [--hostname H] [--session-idle-ttl 1h] [--read-timeout 30s] [--write-timeout 15m] [--idle-timeout 2m] [--max-connections 128]")
	transport := fs.String("transport", "", "stdio (default), sse (legacy HTTP+SSE) or http (streamable HTTP at /mcp) (env "+envTransport+")")
	httpF := addHTTPFlags(fs)
	filterF := addFilterFlags(fs)
	writeScope := fs.String("write-scope", "", "what the NetBox write tools may change: host (this host's device and its own objects, and the shared objects a sync creates; the default) or any (env "+tools.WriteScopeEnv+")")
	hostname := fs.String("hostname", "", "NetBox device name of this host, when it differs from the discovered name: the default of cmdb_sync_diff and the device the write scope allows (env "+envHostname+")")
	nbFlags := addNetBoxFlags(fs)
	scopeF := addScopeFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	t, err := server.ParseTransport(envOr(e, *transport, envTransport))
	if err != nil {
		return exitError, err
	}
	var httpOpts server.HTTPOptions
	if t != server.TransportStdio {
		if httpOpts, err = httpF.resolve(e); err != nil {
			return exitError, err
		}
	}
	filter, err := filterF.resolve(e)
	if err != nil {
		return exitError, err
	}
	ws, err := tools.ParseWriteScope(envOr(e, *writeScope, tools.WriteScopeEnv))
	if err != nil {
		return exitError, err
	}
	sc, err := scopeF.resolve(e)
	if err != nil {
		return exitError, err
	}
	sc.discovery.Hostname = envOr(e, *hostname, envHostname)
	// Without a usable NetBox configuration serve starts all the same: an
	// MCP client shows a server that exits before initialize only as
	// failed, while one that answers can tell the user what to set.
	nb, nbErr := nbFlags.client(e)
	opts := server.Options{Version: buildVersion(), Filter: filter, WriteScope: ws}
	netboxURL := ""
	if nbErr != nil {
		nb = nil
		opts.NetBoxUnavailable = "NetBox is not usable by this server, so nothing was done: " + strings.TrimSpace(strings.SplitN(nbErr.Error(), "\n", 2)[0]) +
			" Set them in the MCP client's configuration of this server (its env), then restart the server."
		slog.Warn("starting without NetBox: only cmdb_discover works until it is configured", "error", nbErr)
	} else {
		netboxURL = nb.BaseURL()
	}
	s := server.New(newEngine(e, nb, sc), nb, opts)
	slog.Info("cmdb-mcp starting", "version", buildVersion(), "transport", t, "netbox", netboxURL,
		"read_only", filter.ReadOnly, "toolsets", fmt.Sprint(filter.Toolsets), "write_scope", ws)
	if nb != nil {
		// The check runs beside the server and ends with it at the latest.
		checkCtx, stopCheck := context.WithCancel(ctx)
		var checked sync.WaitGroup
		checked.Go(func() { checkNetBox(checkCtx, nb, slog.Default()) })
		defer func() { stopCheck(); checked.Wait() }()
	}
	if err := server.RunWithOptions(ctx, s, t, httpOpts); err != nil {
		return exitError, err
	}
	return exitOK, nil
}

// startupCheckTimeout bounds checkNetBox, retries included.
const startupCheckTimeout = 20 * time.Second

// checkNetBox says in the log, as serve starts, whether NetBox answers and
// which release it runs, so that a wrong URL or token shows at once and not
// only at the first tool call. It never stops the server: NetBox may come
// up later, and the tools say what is wrong when they are called.
func checkNetBox(ctx context.Context, nb *netbox.Client, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
	defer cancel()
	st, err := nb.Status(ctx)
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		return // the server is stopping
	case err != nil:
		attrs := []any{"netbox", nb.BaseURL(), "error", err}
		var nbErr *netbox.Error
		if errors.As(err, &nbErr) && nbErr.Hint() != "" {
			attrs = append(attrs, "fix", nbErr.Hint())
		}
		log.Warn("NetBox status check failed; the tools that use NetBox will fail until it passes", attrs...)
	case netbox.VersionAdvice(st.NetBoxVersion) != "":
		log.Warn(netbox.VersionAdvice(st.NetBoxVersion), "netbox", nb.BaseURL(), "version", st.NetBoxVersion)
	default:
		log.Info("NetBox answers", "netbox", nb.BaseURL(), "version", st.NetBoxVersion)
	}
}

// filterFlags say which tools serve offers. Which tool passes is decided
// by tools.Filter from the tools' annotations; these only parse.
type filterFlags struct {
	readOnly string
	toolsets string
}

func addFilterFlags(fs *flag.FlagSet) *filterFlags {
	f := &filterFlags{}
	fs.Var(boolString{&f.readOnly}, "read-only", "offer only tools that do not write: no cmdb_sync_apply, no NetBox create or update (env "+envReadOnly+")")
	fs.StringVar(&f.toolsets, "toolsets", "", "comma-separated toolsets to offer: netbox-read, netbox-write, sync; default all (env "+envToolsets+")")
	return f
}

// boolString is a boolean flag kept as given, so that an absent flag
// (empty) falls back to its variable while --read-only=false overrides it.
type boolString struct{ v *string }

func (b boolString) String() string {
	if b.v == nil {
		return ""
	}
	return *b.v
}

func (b boolString) Set(s string) error {
	if _, err := strconv.ParseBool(s); err != nil {
		return fmt.Errorf("want true or false")
	}
	*b.v = s
	return nil
}

// IsBoolFlag lets --read-only stand alone, meaning true.
func (boolString) IsBoolFlag() bool { return true }

func (f *filterFlags) resolve(e env) (tools.Filter, error) {
	var filter tools.Filter
	if v := envOr(e, f.readOnly, envReadOnly); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return tools.Filter{}, fmt.Errorf("%s=%q: want true or false", envReadOnly, v)
		}
		filter.ReadOnly = b
	}
	sets, err := tools.ParseToolsets(envOr(e, f.toolsets, envToolsets))
	if err != nil {
		return tools.Filter{}, err
	}
	filter.Toolsets = sets
	return filter, nil
}
