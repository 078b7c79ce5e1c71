package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// maxListed bounds the options register lists of each kind.
const maxListed = 50

// runRegister creates this host's device in NetBox: a plan shown as a
// report, confirmed on the terminal (or by --yes), then the creates and
// the first sync.
func runRegister(ctx context.Context, e env, args []string) (int, error) {
	fs := newFlagSet(e, "register", "register [--site S] [--role R] [--device-type T | --create-device-type] [--hostname H] [--dry-run] [--yes]")
	site := fs.String("site", "", "NetBox site of the device (name, slug or id); asked on a terminal when not given")
	role := fs.String("role", "", "device role (name, slug or id); asked on a terminal when not given")
	deviceType := fs.String("device-type", "", "device type (model, slug, \"<manufacturer> <model>\" or id); default: matched from the hardware")
	createType := fs.Bool("create-device-type", false, "create the device type (and manufacturer) from the hardware when NetBox has none that matches")
	hostname := fs.String("hostname", "", "device name (default: this host's name, as the sync looks it up)")
	dryRun := fs.Bool("dry-run", false, "show what would be created, and write nothing")
	yes := fs.Bool("yes", false, "register without asking; required when stdin is not a terminal")
	nbFlags := addNetBoxFlags(fs)
	scopeF := addScopeFlags(fs)
	if err := parse(fs, args); err != nil {
		return exitError, err
	}
	sc, err := scopeF.resolve(e)
	if err != nil {
		return exitError, err
	}
	nb, err := nbFlags.client(e)
	if err != nil {
		return exitError, err
	}
	reg := engine.NewRegistrar(newEngine(e, nb, sc), nb)
	req := engine.RegisterRequest{Hostname: *hostname, Site: *site, Role: *role, DeviceType: *deviceType, CreateDeviceType: *createType}
	// One reader for every answer: a buffered reader per question would
	// swallow the answers after its own.
	in := bufio.NewReader(e.stdin)
	plan, err := planRegister(ctx, e, in, reg, req, !*yes && e.stdinIsTerminal())
	if err != nil {
		return exitError, err
	}

	fmt.Fprint(e.stdout, report.RegisterMarkdown(plan))
	if *dryRun {
		fmt.Fprintln(e.stdout, "\n"+report.DryRunFooter)
		return exitOK, nil
	}
	fmt.Fprintln(e.stdout)
	if !*yes {
		if ok, err := confirmRegister(e, in, plan); !ok {
			return exitError, err
		}
	}
	res, err := reg.Register(ctx, plan.ID, engine.WithProgress(func(done, total int, msg string) {
		fmt.Fprintf(e.stderr, "[%d/%d] %s\n", done, total, msg)
	}))
	if err != nil {
		return exitError, registerError(err)
	}
	printRegistered(e.stdout, res, *hostname != "")
	if res.Sync.Failed+res.Sync.Skipped > 0 || res.SyncError != "" {
		return exitError, nil
	}
	return exitOK, nil
}

// planRegister asks for a register plan. On a terminal, what the request
// lacks is asked for once, from NetBox's options; every other refusal is
// worded for the terminal.
func planRegister(ctx context.Context, e env, in *bufio.Reader, reg *engine.Registrar, req engine.RegisterRequest, interactive bool) (diff.RegisterPlan, error) {
	for asked := false; ; asked = true {
		plan, err := reg.Plan(ctx, req)
		var choice *engine.ChoiceError
		var registered *engine.RegisteredError
		switch {
		case errors.As(err, &choice) && len(choice.Invalid) == 0 && interactive && !asked:
			if req, err = askChoices(e, in, req, choice); err != nil {
				return plan, err
			}
			continue
		case errors.As(err, &choice):
			return plan, errors.New(cliChoices(choice))
		case errors.As(err, &registered):
			return plan, fmt.Errorf("%s. %s", registered.Error(), cliRegistered(registered))
		case err != nil:
			return plan, withHint(err)
		}
		return plan, nil
	}
}

// confirmRegister asks on the terminal whether to register the plan's
// device. Without a terminal no one can confirm, which is an error; a no
// is said on stdout.
func confirmRegister(e env, in *bufio.Reader, plan diff.RegisterPlan) (bool, error) {
	if !e.stdinIsTerminal() {
		return false, errors.New("stdin is not a terminal, so no one can confirm: review the report above and run 'cmdb-mcp register --yes' with the same flags to register")
	}
	if !ask(e, in, fmt.Sprintf("Register %s in NetBox? [y/N] ", untrusted.Text(plan.Device.Name))) {
		fmt.Fprintln(e.stdout, "Aborted: nothing was written.")
		return false, nil
	}
	return true, nil
}

// registerError words a register's failure for the terminal.
func registerError(err error) error {
	var registered *engine.RegisteredError
	switch {
	case errors.As(err, &registered):
		return fmt.Errorf("%s. %s", registered.Error(), cliRegistered(registered))
	case errors.Is(err, engine.ErrStaleRegisterPlan):
		return errors.New("NetBox changed since the report above, so nothing was written: run 'cmdb-mcp register' again")
	}
	return withHint(err)
}

// printRegistered says what the register made and how its first sync
// went, NetBox's and the host's words shown as text.
func printRegistered(w io.Writer, res engine.RegisterResult, named bool) {
	fmt.Fprintf(w, "Registered %s (id %d): %s\n", untrusted.Text(res.Device.Name), res.Device.ID, untrusted.Text(res.Device.URL))
	for _, c := range res.Created {
		fmt.Fprintf(w, "  created %s\n", untrusted.Message(c))
	}
	if res.JournalError != "" {
		fmt.Fprintf(w, "  note: the register's journal entry failed: %s\n", untrusted.Message(res.JournalError))
	}
	if res.SyncError != "" {
		fmt.Fprintf(w, "First sync: %s\nRun 'cmdb-mcp apply' to finish it.\n", untrusted.Message(res.SyncError))
		return
	}
	fmt.Fprint(w, "First sync: ")
	printApplyResult(w, res.Sync)
	check := "cmdb-mcp diff"
	if named {
		// The device has a name other than the host's: the sync must say so.
		check += " --hostname " + strconv.Quote(res.Device.Name)
	}
	fmt.Fprintf(w, "Check with '%s' (exit 0: NetBox matches this host).\n", check)
}

// askChoices asks, on the terminal, for what the register lacks, from
// NetBox's options.
func askChoices(e env, in *bufio.Reader, req engine.RegisterRequest, ce *engine.ChoiceError) (engine.RegisterRequest, error) {
	c := ce.Choices
	for _, field := range ce.Missing {
		var names []string
		var what string
		create := -1
		switch field {
		case engine.ChoiceSite:
			what = "site"
			for _, s := range c.Sites {
				names = append(names, s.Name)
			}
		case engine.ChoiceRole:
			what = "device role"
			for _, r := range c.Roles {
				names = append(names, r.Name)
			}
		case engine.ChoiceDeviceType:
			what = "device type"
			if p := c.ProposedType; p != nil {
				create = len(names)
				names = append(names, fmt.Sprintf("create %s %s (slug %s)", p.Manufacturer.Name, p.DeviceType.Model, p.DeviceType.Slug))
			}
			for _, t := range c.DeviceTypes {
				names = append(names, t.Manufacturer.Name+" "+t.Model)
			}
		}
		if len(names) == 0 {
			return req, errors.New(cliChoices(ce))
		}
		fmt.Fprintf(e.stderr, "Choose the %s of %s:\n", what, untrusted.Text(c.Hostname))
		for i, n := range names[:min(len(names), maxListed)] {
			fmt.Fprintf(e.stderr, "  %d) %s\n", i+1, untrusted.Text(n))
		}
		if len(names) > maxListed {
			fmt.Fprintf(e.stderr, "  ... and %d more: type a name\n", len(names)-maxListed)
		}
		fmt.Fprintf(e.stderr, "%s (number or name): ", what)
		line, err := in.ReadString('\n')
		answer := strings.TrimSpace(line)
		if answer == "" {
			if err != nil && err != io.EOF {
				return req, err
			}
			return req, fmt.Errorf("no %s chosen: nothing was written", what)
		}
		pick := answer
		if n, convErr := strconv.Atoi(answer); convErr == nil && n >= 1 && n <= min(len(names), maxListed) {
			pick = names[n-1]
			if n-1 == create {
				req.CreateDeviceType = true
				continue
			}
		}
		switch field {
		case engine.ChoiceSite:
			req.Site = pick
		case engine.ChoiceRole:
			req.Role = pick
		default:
			req.DeviceType = pick
		}
	}
	return req, nil
}

// cliChoices says what register needs and what NetBox offers, with the
// flags to pass.
func cliChoices(ce *engine.ChoiceError) string {
	var b strings.Builder
	c := ce.Choices
	if len(ce.Invalid) > 0 {
		fmt.Fprintf(&b, "%s; nothing was written", strings.Join(ce.Invalid, "; "))
	} else {
		fmt.Fprintf(&b, "registering %s needs %s; nothing was written", untrusted.Text(c.Hostname), ce.Needs())
	}
	if c.Sites == nil && c.Roles == nil && c.DeviceTypes == nil {
		return b.String()
	}
	b.WriteString(".\nPass --site, --role and --device-type (or --create-device-type), or run it on a terminal to be asked.")
	list := func(title string, names []string, none string) {
		fmt.Fprintf(&b, "\n%s (%d):", title, len(names))
		if len(names) == 0 {
			b.WriteString(" none (" + none + ")")
		}
		for _, n := range names[:min(len(names), maxListed)] {
			b.WriteString("\n  " + untrusted.Text(n))
		}
		if len(names) > maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(names)-maxListed)
		}
	}
	var sites, roles, types []string
	for _, s := range c.Sites {
		sites = append(sites, fmt.Sprintf("%s (%s)", s.Name, s.Slug))
	}
	for _, r := range c.Roles {
		roles = append(roles, fmt.Sprintf("%s (%s)", r.Name, r.Slug))
	}
	for _, t := range c.DeviceTypes {
		types = append(types, fmt.Sprintf("%s %s (%s)", t.Manufacturer.Name, t.Model, t.Slug))
	}
	list("Sites", sites, "create one in NetBox first")
	list("Device roles", roles, "create one in NetBox first")
	list("Device types", types, "pass --create-device-type, or create one in NetBox")
	hw := strings.TrimSpace(c.Hardware.Manufacturer + " " + c.Hardware.Model)
	if hw == "" {
		hw = "unknown"
	}
	fmt.Fprintf(&b, "\nThis host's hardware: %s.", untrusted.Text(hw))
	if p := c.ProposedType; p != nil {
		show := untrusted.Text
		fmt.Fprintf(&b, " --create-device-type creates %s %s (slug %s).", show(p.Manufacturer.Name), show(p.DeviceType.Model), show(p.DeviceType.Slug))
	}
	return b.String()
}

// cliRegistered says what to run instead of a register.
func cliRegistered(e *engine.RegisteredError) string {
	name := e.SyncName()
	for _, c := range e.Conflicts {
		if !c.BySerial {
			return fmt.Sprintf("To update its record, sync it instead: 'cmdb-mcp diff', then 'cmdb-mcp apply' (--hostname %q if this host's name differs).", name)
		}
	}
	return fmt.Sprintf("If that device is this host, sync it by that name: 'cmdb-mcp diff --hostname %q'; if not, fix the serial in NetBox.", name)
}
