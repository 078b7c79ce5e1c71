package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/discovery"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/server"
	"github.com/cmdb-mcp/cmdb-mcp/internal/tools"
)

// demoPlatforms are the stale platforms the demo records: the first that
// differs from this host's, so that the diff always has a platform update.
var demoPlatforms = []string{"Ubuntu 20.04 LTS", "Debian 10"}

// runDemo shows a whole sync without any NetBox or configuration: it starts
// the simulator on loopback with a random token, records this host there as
// a stale device, and drives the MCP tools through an in-process client the
// way an agent would: diff, report, apply, diff again.
func runDemo(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "demo", "demo [--netbox-version 4.3]")
	scopeF := addScopeFlags(fs)
	version := addVersionFlag(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	if err := checkVersion(*version); err != nil {
		return exitError, err
	}
	sc, err := scopeF.resolve(e)
	if err != nil {
		return exitError, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out := e.stdout

	admin, nb, stop, err := startDemoNetBox(*version)
	if err != nil {
		return exitError, err
	}
	defer stop()

	host, err := discovery.Discoverer{Options: sc.discovery}.Discover(ctx)
	if err != nil {
		return exitError, fmt.Errorf("discover this host: %w", err)
	}
	hostname := host.Hostname
	if hostname == "" {
		hostname = "demo-host"
	}
	stale := demoPlatforms[0]
	if strings.EqualFold(host.OS.Platform, stale) {
		stale = demoPlatforms[1]
	}

	fmt.Fprintf(out, "cmdb-mcp demo: a NetBox simulator runs at %s; no real NetBox is touched.\n", admin.URL)
	if err := seedDemo(ctx, admin, hostname, stale); err != nil {
		return exitError, fmt.Errorf("seed the simulator: %w", err)
	}
	fmt.Fprintf(out, "NetBox records this host, %q, as status \"planned\" on platform %q.\n", hostname, stale)
	fmt.Fprintf(out, "This host runs %s.\n", orUnknown(host.OS.Platform))

	c, err := demoClient(ctx, e, nb, sc)
	if err != nil {
		return exitError, err
	}
	defer c.Close()
	if err := demoSync(ctx, out, c, hostname); err != nil {
		return exitError, err
	}
	fmt.Fprintln(out, "\nNext: point cmdb-mcp at your NetBox with NETBOX_URL and NETBOX_TOKEN, then 'cmdb-mcp diff' or 'cmdb-mcp serve'.")
	return exitOK, nil
}

// startDemoNetBox starts the simulator of NetBox version on loopback with a
// random token, and returns a plain client of it (its URL, to seed it), the
// product's client of it and a function that stops it.
func startDemoNetBox(version string) (netboxsim.Admin, *netbox.Client, func(), error) {
	token, err := randomToken()
	if err != nil {
		return netboxsim.Admin{}, nil, nil, err
	}
	url, stop, err := startSim(netboxsim.Options{Token: token, Version: version}, "127.0.0.1:0")
	if err != nil {
		return netboxsim.Admin{}, nil, nil, err
	}
	nb, err := netbox.New(netbox.Config{URL: url, Token: token})
	if err != nil {
		stop()
		return netboxsim.Admin{}, nil, nil, err
	}
	return netboxsim.Admin{URL: url, Token: token}, nb, stop, nil
}

// demoClient serves the MCP tools on nb and returns an in-process client,
// initialized as an agent's would be.
func demoClient(ctx context.Context, e env, nb *netbox.Client, sc scope) (*client.Client, error) {
	s := server.New(newEngine(e, nb, sc), nb, server.Options{Version: buildVersion()})
	c, err := client.NewInProcessClient(s)
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		c.Close()
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cmdb-mcp-demo", Version: buildVersion()}
	if _, err := c.Initialize(ctx, init); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// demoSync drives the tools the way an agent would: diff, report, apply,
// diff again, which must find the host in sync.
func demoSync(ctx context.Context, out io.Writer, c *client.Client, hostname string) error {
	step(out, "1. cmdb_sync_diff: compare the host with NetBox")
	var plan tools.SyncDiffOutput
	if err := callTool(ctx, c, "cmdb_sync_diff", tools.SyncDiffInput{Hostname: hostname}, &plan); err != nil {
		return err
	}
	fmt.Fprintln(out, strings.TrimSpace(plan.ReportMarkdown))
	if plan.InSync {
		return errors.New("the seeded device should differ from this host, but the diff found it in sync")
	}

	step(out, "2. cmdb_sync_apply: the user confirmed; write the plan "+plan.PlanID)
	var applied tools.SyncApplyOutput
	if err := callTool(ctx, c, "cmdb_sync_apply", tools.SyncApplyInput{PlanID: plan.PlanID, Confirm: true}, &applied); err != nil {
		return err
	}
	lines := make([]appliedLine, 0, len(applied.Changes))
	for _, c := range applied.Changes {
		lines = append(lines, appliedLine{c.Outcome, c.Change, c.Message})
	}
	printApplied(out, appliedCounts{applied.Applied, applied.Failed, applied.Skipped, applied.JournalEntryID, applied.JournalError}, lines)

	step(out, "3. cmdb_sync_diff again: check")
	var again tools.SyncDiffOutput
	if err := callTool(ctx, c, "cmdb_sync_diff", tools.SyncDiffInput{Hostname: hostname}, &again); err != nil {
		return err
	}
	if !again.InSync {
		fmt.Fprintln(out, strings.TrimSpace(again.ReportMarkdown))
		return errors.New("after the apply NetBox still differs from this host")
	}
	fmt.Fprintln(out, "In sync: NetBox now matches this host.")
	return nil
}

func step(w io.Writer, title string) {
	fmt.Fprintf(w, "\n=== %s ===\n\n", title)
}

func orUnknown(s string) string {
	if s == "" {
		return "an operating system it cannot name (no os-release)"
	}
	return s
}

// callTool calls a tool and decodes its structured output into out. A result
// flagged isError is returned as an error carrying the tool's message.
func callTool(ctx context.Context, c *client.Client, name string, args, out any) error {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if res.IsError {
		var msg []string
		for _, content := range res.Content {
			if t, ok := content.(mcp.TextContent); ok {
				msg = append(msg, t.Text)
			}
		}
		return fmt.Errorf("%s: %s", name, strings.Join(msg, " "))
	}
	// The in-process transport hands over the handler's value as is; other
	// transports a decoded map. JSON covers both.
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode the output: %w", name, err)
	}
	return nil
}

// seedDemo creates, through NetBox's ordinary REST API, what a device
// needs (site, manufacturer, device type, role), a stale platform, and the
// device itself as a planned machine on that platform.
func seedDemo(ctx context.Context, nb netboxsim.Admin, hostname, platform string) error {
	type (
		named struct {
			Name   string `json:"name"`
			Slug   string `json:"slug"`
			Status string `json:"status,omitempty"`
			Color  string `json:"color,omitempty"`
		}
		deviceType struct {
			Manufacturer int64  `json:"manufacturer"`
			Model        string `json:"model"`
			Slug         string `json:"slug"`
		}
		device struct {
			Name       string `json:"name"`
			Site       int64  `json:"site"`
			DeviceType int64  `json:"device_type"`
			Role       int64  `json:"role"`
			Status     string `json:"status"`
			Platform   int64  `json:"platform"`
		}
	)
	post := func(path string, body any) (int64, error) {
		var created struct {
			ID int64 `json:"id"`
		}
		err := nb.Do(ctx, http.MethodPost, path, nil, body, &created)
		return created.ID, err
	}
	site, err := post("/api/dcim/sites/", named{Name: "Demo Lab", Slug: "demo-lab", Status: "active"})
	if err != nil {
		return err
	}
	mfr, err := post("/api/dcim/manufacturers/", named{Name: "Generic", Slug: "generic"})
	if err != nil {
		return err
	}
	devType, err := post("/api/dcim/device-types/", deviceType{Manufacturer: mfr, Model: "Server", Slug: "server"})
	if err != nil {
		return err
	}
	role, err := post("/api/dcim/device-roles/", named{Name: "Server", Slug: "server", Color: "2196f3"})
	if err != nil {
		return err
	}
	plat, err := post("/api/dcim/platforms/", named{Name: platform, Slug: diff.Slugify(platform)})
	if err != nil {
		return err
	}
	_, err = post("/api/dcim/devices/", device{
		Name: hostname, Site: site, DeviceType: devType, Role: role, Status: "planned", Platform: plat,
	})
	return err
}

// startSim serves the simulator on addr and returns its base URL and a
// function that stops it.
func startSim(opts netboxsim.Options, addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: netboxsim.New(opts), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func randomToken() (string, error) {
	var b [20]byte // a v1 NetBox token is 40 hex characters
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
