package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/engine"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/report"
	"github.com/cmdb-mcp/cmdb-mcp/internal/untrusted"
)

// cmdb_register: the device NetBox lacks, created from discovery in the
// site, role and device type the user chose, with what a first sync
// writes, after the user saw the plan and agreed. Like the sync it works
// with any client. One that supports elicitation is asked for what is
// missing (a form with NetBox's sites, roles and device types), then to
// confirm, all within one call; mcp-go carries the answers back into this
// handler, which reads them and the request state to tell the rounds
// apart. With any other client the agent asks in the chat: a call without
// choices is an isError result listing them, a call with them returns the
// plan and its report, and a call with the plan_id and confirm=true
// registers. It writes only this host's own device and the catalog
// objects that device needs.

// Keys of the register's input requests, and what their forms hold.
const (
	registerChoicesKey = "register_choices"
	registerConfirmKey = "confirm_register"
	registerField      = "register"
	// choicesState marks the retry that carries the user's choices.
	choicesState = "register-choices"
	// maxChoices bounds the options a form or an error lists of each kind.
	maxChoices = 50
	// createPrefix starts the device type choice that creates the proposed one.
	createPrefix = "Create: "
)

// RegisterInput is the input of cmdb_register.
type RegisterInput struct {
	Site             string `json:"site,omitempty" jsonschema:"Site name or slug"`
	Role             string `json:"role,omitempty" jsonschema:"Device role name or slug"`
	DeviceType       string `json:"device_type,omitempty" jsonschema:"Model, slug or '<manufacturer> <model>'; default: matched from the hardware"`
	CreateDeviceType bool   `json:"create_device_type,omitempty" jsonschema:"Create it from the hardware if none matches"`
	Hostname         string `json:"hostname,omitempty" jsonschema:"Default: this host's name"`
	DryRun           bool   `json:"dry_run,omitempty" jsonschema:"Report only"`
	PlanID           string `json:"plan_id,omitempty" jsonschema:"From an earlier call, to register"`
	Confirm          bool   `json:"confirm,omitempty" jsonschema:"With plan_id: the user agreed"`
}

// RegisterOutput is the output of cmdb_register: the plan (its report and
// id) until the register is done, then what it did.
type RegisterOutput struct {
	PlanID     string         `json:"plan_id,omitempty"`
	Registered bool           `json:"registered"`
	Declined   bool           `json:"declined,omitempty"`
	Device     diff.DeviceRef `json:"device"`
	// Summary counts the plan's creates (the device and what it needs
	// included), updates and removals.
	Summary        diff.Summary `json:"summary"`
	ReportMarkdown string       `json:"report_markdown,omitempty" jsonschema:"Show it to the user as is"`
	Created        []string     `json:"created,omitempty"`
	// Applied, Failed and Skipped count the first sync's changes.
	Applied        int      `json:"applied,omitempty"`
	Failed         int      `json:"failed,omitempty"`
	Skipped        int      `json:"skipped,omitempty"`
	JournalEntryID int64    `json:"journal_entry_id,omitempty"`
	Problems       []string `json:"problems,omitempty" jsonschema:"Failed or skipped changes (at most 50)"`
	Notes          []string `json:"notes,omitempty"`
	NextStep       string   `json:"next_step"`
}

func registerTool(reg *engine.Registrar) Tool {
	def := mcp.NewTool("cmdb_register",
		mcp.WithDescription("Register this host in NetBox: its device from discovery in a site, role and device type, and what a first sync writes, after the user confirms. Refuses a host NetBox has. Without elicitation: show report_markdown, then call again with plan_id and confirm=true."),
		inputSchema[RegisterInput](),
		outputSchema[RegisterOutput](),
		// It adds this host's device (and the catalog objects it needs) and
		// overwrites nothing; a second register is refused.
		hints(createHints, "Register this host in NetBox"),
	)
	return Tool{Definition: def, Handler: handle(func(ctx context.Context, req mcp.CallToolRequest, in RegisterInput) (*mcp.CallToolResult, error) {
		// The user's answer to the confirmation of a plan.
		if answer := server.ElicitationResponse(req.Params.InputResponses, registerConfirmKey); answer != nil {
			plan, ok := reg.RegisterPlanOf(req.Params.RequestState, Owner(ctx))
			if !ok {
				return nil, userErrorf("%v", engine.ErrUnknownRegisterPlan)
			}
			if !acceptedField(answer, registerField) {
				logToClient(ctx, mcp.LoggingLevelNotice, "the user declined the register of "+untrusted.Text(plan.Device.Name))
				return declinedRegister(plan.ID), nil
			}
			return doRegister(ctx, req, reg, plan.ID)
		}
		if in.PlanID != "" {
			plan, ok := reg.RegisterPlanOf(in.PlanID, Owner(ctx))
			switch {
			case !ok:
				return nil, userErrorf("%v", engine.ErrUnknownRegisterPlan)
			case clientCanElicit(ctx):
				return askToRegister(plan), nil
			case !in.Confirm:
				return nil, userErrorf("Nothing was written: show the user report_markdown of this plan, ask whether to register, and call cmdb_register again with plan_id=%q and confirm=true only after they agree.", plan.ID)
			}
			return doRegister(ctx, req, reg, plan.ID)
		}

		answered := false
		if answer := server.ElicitationResponse(req.Params.InputResponses, registerChoicesKey); answer != nil && req.Params.RequestState == choicesState {
			if answer.Action != mcp.ElicitationResponseActionAccept {
				return declinedRegister(""), nil
			}
			answered = true
			in = withChoices(in, answer)
		}
		plan, err := reg.Plan(ctx, engine.RegisterRequest{Hostname: in.Hostname, Site: in.Site, Role: in.Role,
			DeviceType: in.DeviceType, CreateDeviceType: in.CreateDeviceType, Owner: Owner(ctx)})
		var choice *engine.ChoiceError
		var registered *engine.RegisteredError
		switch {
		case errors.As(err, &choice):
			if len(choice.Invalid) == 0 && !answered && clientCanElicit(ctx) {
				if ask := askChoices(choice); ask != nil {
					return ask, nil
				}
			}
			return nil, userMessage(choicesMessage(choice))
		case errors.As(err, &registered):
			return nil, userMessage(registeredMessage(registered))
		case err != nil:
			return nil, fmt.Errorf("register: %w", err)
		}
		out := planOutput(plan)
		switch {
		case in.DryRun:
			out.PlanID = ""
			out.NextStep = "Show report_markdown to the user, then end with: " + DryRunDone
		case clientCanElicit(ctx):
			return askToRegister(plan), nil
		default:
			out.NextStep = fmt.Sprintf("Show report_markdown to the user and ask whether to register this host; then call cmdb_register with plan_id=%q and confirm=true only after they agreed.", plan.ID)
		}
		return mcp.NewToolResultStructuredOnly(out), nil
	})}
}

func planOutput(p diff.RegisterPlan) RegisterOutput {
	s := p.Sync.Summary()
	s.Creates += p.Creates()
	return RegisterOutput{PlanID: p.ID, Device: diff.DeviceRef{Name: p.Device.Name}, Summary: s,
		ReportMarkdown: report.RegisterMarkdown(p), Notes: append(append([]string(nil), p.Notes...), p.Sync.Notes...)}
}

func declinedRegister(planID string) *mcp.CallToolResult {
	return mcp.NewToolResultStructuredOnly(RegisterOutput{PlanID: planID, Declined: true,
		NextStep: "The user declined, so nothing was written. Ask what they want instead (another site, role or device type), then call cmdb_register again."})
}

// doRegister executes the plan and says what happened.
func doRegister(ctx context.Context, req mcp.CallToolRequest, reg *engine.Registrar, planID string) (*mcp.CallToolResult, error) {
	res, err := reg.Register(ctx, planID, engine.WithProgress(progressOf(ctx, req)), engine.WithOwner(Owner(ctx)))
	var registered *engine.RegisteredError
	var failed *engine.CreateError
	switch {
	case errors.Is(err, engine.ErrUnknownRegisterPlan), errors.Is(err, engine.ErrStaleRegisterPlan):
		return nil, userErrorf("%v", err)
	case errors.As(err, &registered):
		return nil, userMessage(registeredMessage(registered))
	case errors.As(err, &failed):
		msg := failed.Error()
		var nbErr *netbox.Error
		if errors.As(err, &nbErr) && nbErr.Hint() != "" {
			msg += ". " + nbErr.Hint()
		}
		return nil, userErrorf("%s. Tell the user; once fixed, call cmdb_register again.", msg)
	case err != nil:
		return nil, fmt.Errorf("register: %w", err)
	}
	return mcp.NewToolResultStructuredOnly(RegisterResultOutput(res)), nil
}

// RegisterResultOutput renders a register's outcome as cmdb_register
// returns it; the CLI prints the same.
func RegisterResultOutput(res engine.RegisterResult) RegisterOutput {
	out := RegisterOutput{PlanID: res.PlanID, Registered: true, Device: res.Device, Created: res.Created,
		Applied: res.Sync.Applied, Failed: res.Sync.Failed, Skipped: res.Sync.Skipped, JournalEntryID: res.JournalEntryID}
	omitted := 0
	for _, outcome := range []apply.Outcome{apply.OutcomeFailed, apply.OutcomeSkipped} {
		for _, c := range res.Sync.Changes {
			if c.Outcome != outcome {
				continue
			}
			if len(out.Problems) == maxListedChanges {
				omitted++
				continue
			}
			out.Problems = append(out.Problems, fmt.Sprintf("%s: %s (%s)", c.Outcome, apply.Describe(c.Change), c.Message))
		}
	}
	if omitted > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d more failed or skipped changes: the first sync's journal entry lists them all.", omitted))
	}
	if res.JournalError != "" {
		out.Notes = append(out.Notes, "The register's journal entry failed: "+res.JournalError)
	}
	if res.Sync.JournalError != "" {
		out.Notes = append(out.Notes, "The first sync's journal entry failed: "+res.Sync.JournalError)
	}
	check := "call cmdb_sync_diff to confirm NetBox now matches the host"
	if res.Device.Name != "" {
		check = fmt.Sprintf("call cmdb_sync_diff (hostname %q if this host's name differs) to confirm NetBox now matches the host", res.Device.Name)
	}
	switch {
	case res.SyncError != "":
		out.Notes = append(out.Notes, res.SyncError)
		out.NextStep = fmt.Sprintf("Device %s (id %d) is registered, but its first sync did not finish (see notes). Tell the user, then %s and apply what it reports.", res.Device.Name, res.Device.ID, check)
	case res.Sync.Failed+res.Sync.Skipped > 0:
		out.NextStep = fmt.Sprintf("Device %s (id %d) is registered; %d changes of its first sync failed and %d were skipped (see problems). Tell the user which, then %s.", res.Device.Name, res.Device.ID, res.Sync.Failed, res.Sync.Skipped, check)
	default:
		out.NextStep = fmt.Sprintf("Device %s (id %d) is registered and synced (%d changes). Tell the user, then %s.", res.Device.Name, res.Device.ID, res.Sync.Applied, check)
	}
	return out
}

// withChoices fills what the request lacked from the user's form.
func withChoices(in RegisterInput, answer *mcp.ElicitationResult) RegisterInput {
	content, _ := answer.Content.(map[string]any)
	pick := func(field string, into *string) {
		if v, _ := content[field].(string); *into == "" && strings.TrimSpace(v) != "" {
			*into = strings.TrimSpace(v)
		}
	}
	pick(engine.ChoiceSite, &in.Site)
	pick(engine.ChoiceRole, &in.Role)
	if in.DeviceType == "" && !in.CreateDeviceType {
		var dt string
		pick(engine.ChoiceDeviceType, &dt)
		if strings.HasPrefix(dt, createPrefix) {
			in.CreateDeviceType = true
		} else {
			in.DeviceType = dt
		}
	}
	return in
}

// askChoices is the form that asks the user for what the register lacks,
// with NetBox's options; nil when NetBox offers none for something
// (nothing to choose from: the error says what to create).
func askChoices(ce *engine.ChoiceError) *mcp.CallToolResult {
	props := map[string]any{}
	c := ce.Choices
	for _, field := range ce.Missing {
		var options []string
		var title, what string
		switch field {
		case engine.ChoiceSite:
			title, what = "Site", "site"
			for _, s := range c.Sites {
				options = append(options, s.Name)
			}
		case engine.ChoiceRole:
			title, what = "Device role", "device role"
			for _, r := range c.Roles {
				options = append(options, r.Name)
			}
		case engine.ChoiceDeviceType:
			title, what = "Device type", "device type"
			if p := c.ProposedType; p != nil {
				options = append(options, createPrefix+p.Manufacturer.Name+" "+p.DeviceType.Model)
			}
			for _, t := range c.DeviceTypes {
				options = append(options, t.Manufacturer.Name+" "+t.Model)
			}
		}
		if len(options) == 0 {
			return nil
		}
		prop := map[string]any{"type": "string", "title": title}
		if len(options) <= maxChoices {
			prop["enum"] = options
		} else {
			examples := make([]string, 0, 5)
			for _, o := range options[:5] {
				examples = append(examples, untrusted.Markdown(o))
			}
			prop["description"] = fmt.Sprintf("The %s's name or slug: NetBox has %d, e.g. %s.", what, len(options), strings.Join(examples, ", "))
		}
		props[field] = prop
	}
	// Clients may render the message as Markdown: the host's and NetBox's
	// words are escaped (package untrusted).
	show := untrusted.Markdown
	msg := fmt.Sprintf("Register %s in NetBox: choose %s. Nothing is written before you confirm the plan.", show(c.Hostname), ce.Needs())
	if c.Hardware.Manufacturer != "" || c.Hardware.Model != "" {
		msg += fmt.Sprintf(" Its hardware: %s %s.", show(c.Hardware.Manufacturer), show(c.Hardware.Model))
	}
	return server.NewInputRequestBuilder(choicesState).Elicit(registerChoicesKey, mcp.ElicitationParams{
		Mode:            mcp.ElicitationModeForm,
		Message:         msg,
		RequestedSchema: map[string]any{"type": "object", "properties": props, "required": ce.Missing},
	}).ToolResult()
}

// askToRegister is the form that asks the user to confirm the plan.
func askToRegister(p diff.RegisterPlan) *mcp.CallToolResult {
	s := p.Sync.Summary()
	// Clients may render the message as Markdown: the host's and NetBox's
	// words are escaped (package untrusted), as changeLine's are.
	show := untrusted.Markdown
	var b strings.Builder
	fmt.Fprintf(&b, "Register %s in NetBox? Creates device %s in site %s, role %s, device type %s %s", show(p.Device.Name), show(p.Device.Name), show(p.Site.Name), show(p.Role.Name), show(p.Manufacturer.Name), show(p.DeviceType.Model))
	if p.NewDeviceType() {
		b.WriteString(" (new device type)")
	}
	fmt.Fprintf(&b, ", status %s", show(p.Device.Status))
	if p.Device.Serial != "" {
		fmt.Fprintf(&b, ", serial %s", show(p.Device.Serial))
	}
	fmt.Fprintf(&b, "; then its first sync: %d creates, %d updates. Nothing is deleted.", s.Creates, s.Updates)
	shown, total := 0, 0
	for _, c := range p.Sync.Changes {
		if c.Supporting || c.Section == diff.SectionDevice && c.ObjectType == diff.ObjectDevice {
			continue
		}
		total++
		if shown < maxConfirmLines {
			shown++
			b.WriteString("\n- " + changeLine(c))
		}
	}
	if total > shown {
		fmt.Fprintf(&b, "\n- ... and %d more", total-shown)
	}
	return checkbox{state: p.ID, key: registerConfirmKey, message: b.String(), field: registerField,
		title: "Register this host in NetBox", what: "Creates the device and what its first sync writes, then journal entries on it."}.ask()
}

// choicesMessage is the isError text for a register that lacks choices
// or names what NetBox does not have: NetBox's options, bounded, and the
// call to make.
func choicesMessage(ce *engine.ChoiceError) string {
	var b strings.Builder
	c := ce.Choices
	if len(ce.Invalid) > 0 {
		fmt.Fprintf(&b, "Nothing was written: %s.", strings.Join(ce.Invalid, "; "))
	} else {
		fmt.Fprintf(&b, "Nothing was written: registering %s needs %s.", untrusted.Text(c.Hostname), ce.Needs())
	}
	if c.Sites == nil && c.Roles == nil && c.DeviceTypes == nil {
		return b.String() // a check before the lookup: no catalog was read
	}
	b.WriteString(" Ask the user to choose, then call cmdb_register again with site, role and device_type (or create_device_type=true).")
	list := func(title string, names []string, none string) {
		if len(names) == 0 {
			fmt.Fprintf(&b, " %s: none (%s).", title, none)
			return
		}
		shown := names[:min(len(names), maxChoices)]
		fmt.Fprintf(&b, " %s (%d): %s", title, len(names), strings.Join(shown, ", "))
		if len(names) > len(shown) {
			fmt.Fprintf(&b, ", and %d more", len(names)-len(shown))
		}
		b.WriteString(".")
	}
	var sites, roles, types []string
	for _, s := range c.Sites {
		sites = append(sites, fmt.Sprintf("%q", s.Name))
	}
	for _, r := range c.Roles {
		roles = append(roles, fmt.Sprintf("%q", r.Name))
	}
	for _, t := range c.DeviceTypes {
		types = append(types, fmt.Sprintf("%q", t.Manufacturer.Name+" "+t.Model))
	}
	list("Sites", sites, "create one in NetBox first")
	list("Device roles", roles, "create one in NetBox first")
	hw := strings.TrimSpace(c.Hardware.Manufacturer + " " + c.Hardware.Model)
	if hw == "" {
		hw = "unknown"
	}
	fmt.Fprintf(&b, " This host's hardware: %s.", untrusted.Text(hw))
	list("Device types", types, "pass create_device_type=true, or create one in NetBox")
	if p := c.ProposedType; p != nil {
		fmt.Fprintf(&b, " create_device_type=true creates device type %q (slug %s) of manufacturer %q", p.DeviceType.Model, p.DeviceType.Slug, p.Manufacturer.Name)
		if p.Manufacturer.ID == 0 {
			fmt.Fprintf(&b, " (new, slug %s)", p.Manufacturer.Slug)
		}
		b.WriteString(".")
	}
	return b.String()
}

// registeredMessage is the isError text for a host NetBox has.
func registeredMessage(e *engine.RegisteredError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing was written: %s.", untrusted.Message(e.Error()))
	for i, c := range e.Conflicts {
		if i < len(e.URLs) {
			fmt.Fprintf(&b, " %s: %s.", untrusted.Text(c.Device.Name), untrusted.Text(e.URLs[i]))
		}
	}
	name := untrusted.Text(e.SyncName())
	switch {
	case !bySerialOnly(e.Conflicts):
		fmt.Fprintf(&b, " This host is registered: to update its record, sync it instead (cmdb_sync_diff).")
	default:
		fmt.Fprintf(&b, " That device is probably this host under another name: ask the user; if it is, sync it by that name (cmdb_sync_diff with hostname %q); if not, the serial is recorded on the wrong device and they should fix it in NetBox.", name)
	}
	return b.String()
}

func bySerialOnly(cs []diff.Conflict) bool {
	for _, c := range cs {
		if !c.BySerial {
			return false
		}
	}
	return true
}
