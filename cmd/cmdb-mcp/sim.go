package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

func runSim(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "netbox-sim", "netbox-sim [--addr 127.0.0.1:8001] --token TOKEN [--latency 20ms] [--netbox-version 4.3]")
	addr := fs.String("addr", "127.0.0.1:8001", "listen address")
	token := fs.String("token", "", "API token clients must send (env "+netbox.EnvToken+")")
	latency := fs.Duration("latency", 0, "delay added to every response, e.g. 20ms, to feel like a remote NetBox")
	version := addVersionFlag(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	if err := checkVersion(*version); err != nil {
		return exitError, err
	}
	tok := envOr(e, *token, netbox.EnvToken)
	if tok == "" {
		return exitError, errors.New("no token: pass --token (or set " + netbox.EnvToken + ") with the token clients will send")
	}
	url, stop, err := startSim(netboxsim.Options{Token: tok, Latency: *latency, Version: *version}, *addr)
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

// addVersionFlag adds --netbox-version: the NetBox release the simulator
// plays (netboxsim.Profiles).
func addVersionFlag(fs *flag.FlagSet) *string {
	return fs.String("netbox-version", netboxsim.Profiles()[0], "NetBox release the simulator plays: "+strings.Join(netboxsim.Profiles(), ", ")+" (a patch release such as 4.4.4 plays its minor's profile)")
}

// checkVersion accepts the releases the simulator has a profile for, with
// or without a patch number.
func checkVersion(v string) error {
	parts := strings.Split(v, ".")
	if len(parts) == 3 {
		if _, err := strconv.Atoi(parts[2]); err == nil {
			parts = parts[:2]
		}
	}
	if slices.Contains(netboxsim.Profiles(), strings.Join(parts, ".")) {
		return nil
	}
	return fmt.Errorf("--netbox-version %q: the simulator plays NetBox %s; pass one of them", v, strings.Join(netboxsim.Profiles(), ", "))
}
