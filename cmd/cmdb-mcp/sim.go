package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox/sim"
)

func runSim(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "netbox-sim", "netbox-sim [--addr 127.0.0.1:8001] --token TOKEN [--latency 20ms]")
	addr := fs.String("addr", "127.0.0.1:8001", "listen address")
	token := fs.String("token", "", "API token clients must send (env "+netbox.EnvToken+")")
	latency := fs.Duration("latency", 0, "delay added to every response, e.g. 20ms, to feel like a remote NetBox")
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	tok := envOr(e, *token, netbox.EnvToken)
	if tok == "" {
		return exitError, errors.New("no token: pass --token (or set " + netbox.EnvToken + ") with the token clients will send")
	}
	url, stop, err := startSim(sim.Options{Token: tok, Latency: *latency}, *addr)
	if err != nil {
		return exitError, err
	}
	defer stop()
	// The token is the caller's own; it is not repeated here.
	slog.Info("NetBox simulator listening", "url", url, "hint", "set "+netbox.EnvURL+"="+url+" and "+netbox.EnvToken+" to the token you passed")
	<-ctx.Done()
	slog.Info("NetBox simulator stopping")
	return exitOK, nil
}
