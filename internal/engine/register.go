package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Registering this host: a plan (the device from discovery in the site,
// role and device type the user chose, and what a first sync writes), kept
// like a sync's plan until it is confirmed, then the creates, a journal
// entry, and the first sync, read and applied as any sync is. A register
// never makes a second device: a host NetBox has by name, or by serial
// under another name, is refused, and so is a plan whose NetBox state
// moved before its confirmation. It writes only this host's own device and
// the catalog objects it needs (a manufacturer, a device type, and what
// the first sync creates).

// RegisterNetBox is what a register needs of a NetBox client beyond a
// sync's; *netbox.Client has it.
type RegisterNetBox interface {
	NetBox
	Registry(ctx context.Context, q netbox.SnapshotQuery, serial string) (record.Registry, error)
	CreateManufacturer(ctx context.Context, in netbox.ManufacturerCreate, w netbox.WriteOptions) (record.Manufacturer, error)
	CreateDeviceType(ctx context.Context, in netbox.DeviceTypeCreate, w netbox.WriteOptions) (record.DeviceType, error)
	CreateDevice(ctx context.Context, in netbox.DeviceCreate, w netbox.WriteOptions) (record.Device, error)
}

// Registrar plans and applies registers of the engine's host. It is safe
// for concurrent use.
type Registrar struct {
	eng *Engine
	nb  RegisterNetBox

	mu    sync.Mutex
	plans map[string]storedRegister
}

type storedRegister struct {
	plan    diff.RegisterPlan
	host    host.Host
	req     RegisterRequest
	expires time.Time
}

// NewRegistrar returns a registrar for the engine's host, writing through
// nb (the engine's client).
func NewRegistrar(eng *Engine, nb RegisterNetBox) *Registrar {
	return &Registrar{eng: eng, nb: nb, plans: map[string]storedRegister{}}
}

// RegisterRequest asks for a register plan. Site, Role and DeviceType
// name NetBox objects by name, slug or id (a device type also as
// "<manufacturer> <model>").
type RegisterRequest struct {
	// Hostname overrides the discovered host name as the device's name.
	Hostname string
	Site     string
	Role     string
	// DeviceType empty: matched from the hardware.
	DeviceType string
	// CreateDeviceType agrees to create the device type (and its
	// manufacturer) from the hardware when NetBox has none that matches.
	CreateDeviceType bool
	// NoCreateClusters leaves containers out of the first sync rather
	// than create cluster types, groups or clusters.
	NoCreateClusters bool
	// Owner binds the plan to whoever asked for it, as DiffRequest.Owner
	// does a sync's: RegisterPlanOf and Register with WithOwner treat a
	// plan of another owner as unknown. Empty for the CLI.
	Owner string
}

// Fields of a register the user chooses.
const (
	ChoiceSite       = "site"
	ChoiceRole       = "role"
	ChoiceDeviceType = "device_type"
)

// Choices is what NetBox offers for a register.
type Choices struct {
	Hostname string `json:"hostname"`
	// Hardware is the vendor and model discovery found ("" unknown).
	Hardware     host.Hardware       `json:"-"`
	Sites        []record.Site       `json:"sites"`
	Roles        []record.DeviceRole `json:"roles"`
	DeviceTypes  []record.DeviceType `json:"device_types"`
	ProposedType *ProposedType       `json:"proposed_device_type,omitempty"`
}

// ProposedType is the device type a register would create from the
// hardware, with its manufacturer (ID 0 when that is new too).
type ProposedType struct {
	Manufacturer record.Manufacturer `json:"manufacturer"`
	DeviceType   record.DeviceType   `json:"device_type"`
}

// ChoiceError is a register that cannot be planned as asked: it lacks a
// choice (Missing: site, role, device_type) or names what NetBox does not
// have (Invalid, one sentence each). Nothing was written.
type ChoiceError struct {
	Missing []string
	Invalid []string
	Choices Choices
}

// Needs names what the register lacks, as a sentence says it: "a site, a
// role and a device type".
func (e *ChoiceError) Needs() string {
	words := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		words[i] = "a " + strings.ReplaceAll(m, "_", " ")
	}
	return JoinAnd(words)
}

func (e *ChoiceError) Error() string {
	var parts []string
	parts = append(parts, e.Invalid...)
	if len(e.Missing) > 0 {
		parts = append(parts, "choose "+JoinAnd(e.Missing))
	}
	return "register " + e.Choices.Hostname + ": " + strings.Join(parts, "; ")
}

// JoinAnd joins words as a sentence lists them: "a, b and c".
func JoinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// RegisteredError says NetBox has a device that is, or may be, this host:
// the register was refused and nothing was written.
type RegisteredError struct {
	Hostname  string
	Conflicts []diff.Conflict
	// URLs are the conflicts' pages in NetBox, in order.
	URLs []string
}

func (e *RegisteredError) Error() string {
	var parts []string
	for _, c := range e.Conflicts {
		if c.BySerial {
			parts = append(parts, fmt.Sprintf("device %q (id %d), which has this host's serial %q", c.Device.Name, c.Device.ID, c.Device.Serial))
		} else {
			parts = append(parts, fmt.Sprintf("device %q (id %d), which has this host's name", c.Device.Name, c.Device.ID))
		}
	}
	return fmt.Sprintf("NetBox already has %s: %s is not registered again", strings.Join(parts, ", and "), e.Hostname)
}

// SyncName is the device name a sync should use: the one found by
// serial, or the host's own.
func (e *RegisteredError) SyncName() string {
	for _, c := range e.Conflicts {
		if !c.BySerial {
			return c.Device.Name
		}
	}
	return e.Conflicts[0].Device.Name
}

// Plan looks the host up in NetBox and plans its register. It writes
// nothing. A host NetBox has is a *RegisteredError; missing or unknown
// choices a *ChoiceError.
func (r *Registrar) Plan(ctx context.Context, req RegisterRequest) (diff.RegisterPlan, error) {
	h, err := r.eng.disc.Discover(ctx)
	if err != nil {
		return diff.RegisterPlan{}, fmt.Errorf("discover host: %w", err)
	}
	if req.Hostname != "" {
		h.Hostname = req.Hostname
	}
	if err := diff.CheckDeviceName(h.Hostname); err != nil {
		return diff.RegisterPlan{}, &ChoiceError{Invalid: []string{"Device name: " + err.Error() + "; pass hostname with the name NetBox should record"}, Choices: Choices{Hostname: h.Hostname}}
	}
	p, err := r.plan(ctx, h, req)
	if err != nil {
		return diff.RegisterPlan{}, err
	}
	p.ID = newPlanID()
	p.CreatedAt = r.eng.now().UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	for len(r.plans) >= MaxPlans {
		r.evictOldestLocked()
	}
	r.plans[p.ID] = storedRegister{plan: p, host: h, req: req, expires: p.CreatedAt.Add(r.eng.ttl)}
	return p, nil
}

// RegisterPlanOf returns a plan made by Plan for owner that has not been
// used or expired: a plan another owner made is not found.
func (r *Registrar) RegisterPlanOf(id, owner string) (diff.RegisterPlan, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	sp, ok := r.plans[id]
	if !ok || sp.req.Owner != owner {
		return diff.RegisterPlan{}, false
	}
	return sp.plan, true
}

func (r *Registrar) options(req RegisterRequest) diff.Options {
	o := r.eng.opts
	o.NoCreateClusters = o.NoCreateClusters || req.NoCreateClusters
	return o
}

// plan is the lookup and the plan, without its id: Plan makes it, and
// Register again to tell whether NetBox moved.
func (r *Registrar) plan(ctx context.Context, h host.Host, req RegisterRequest) (diff.RegisterPlan, error) {
	opts := r.options(req)
	reg, err := r.nb.Registry(ctx, LookupQuery(h, opts), strings.TrimSpace(h.Hardware.Serial))
	var ambiguous *netbox.AmbiguousNameError
	if errors.As(err, &ambiguous) {
		conflicts := make([]diff.Conflict, len(ambiguous.Devices))
		for i, d := range ambiguous.Devices {
			conflicts[i] = diff.Conflict{Device: d}
		}
		return diff.RegisterPlan{}, r.registered(h, conflicts)
	}
	if err != nil {
		return diff.RegisterPlan{}, fmt.Errorf("look up %q in NetBox: %w", h.Hostname, err)
	}
	if conflicts := diff.Existing(h, reg.Snapshot, reg.BySerial); len(conflicts) > 0 {
		return diff.RegisterPlan{}, r.registered(h, conflicts)
	}
	choice, err := resolve(h, reg, req)
	if err != nil {
		return diff.RegisterPlan{}, err
	}
	return diff.Register(h, reg.Snapshot, choice, opts), nil
}

func (r *Registrar) registered(h host.Host, conflicts []diff.Conflict) *RegisteredError {
	e := &RegisteredError{Hostname: h.Hostname, Conflicts: conflicts}
	for _, c := range conflicts {
		e.URLs = append(e.URLs, r.nb.WebURL("dcim/devices", c.Device.ID))
	}
	return e
}

// resolve turns the request's choices into NetBox's objects.
func resolve(h host.Host, reg record.Registry, req RegisterRequest) (diff.Registration, error) {
	var out diff.Registration
	ce := &ChoiceError{Choices: Choices{Hostname: h.Hostname, Hardware: h.Hardware, Sites: reg.Sites,
		Roles: reg.Snapshot.Roles, DeviceTypes: reg.DeviceTypes}}
	if m, dt, ok := diff.ProposeDeviceType(h.Hardware, reg.Manufacturers, reg.DeviceTypes); ok {
		ce.Choices.ProposedType = &ProposedType{Manufacturer: m, DeviceType: dt}
	}
	var ok bool
	switch {
	case strings.TrimSpace(req.Site) == "":
		ce.Missing = append(ce.Missing, ChoiceSite)
	default:
		if out.Site, ok = diff.FindSite(reg.Sites, req.Site); !ok {
			ce.Invalid = append(ce.Invalid, fmt.Sprintf("NetBox has no site %q (by name, slug or id)", req.Site))
		}
	}
	switch {
	case strings.TrimSpace(req.Role) == "":
		ce.Missing = append(ce.Missing, ChoiceRole)
	default:
		if out.Role, ok = diff.FindRole(reg.Snapshot.Roles, req.Role); !ok {
			ce.Invalid = append(ce.Invalid, fmt.Sprintf("NetBox has no device role %q (by name, slug or id)", req.Role))
		}
	}
	switch found := diff.FindDeviceTypes(reg.DeviceTypes, req.DeviceType); {
	case strings.TrimSpace(req.DeviceType) != "" && len(found) == 1:
		out.DeviceType = found[0]
	case strings.TrimSpace(req.DeviceType) != "" && len(found) == 0:
		ce.Invalid = append(ce.Invalid, fmt.Sprintf("NetBox has no device type %q (by model, slug, \"<manufacturer> <model>\" or id)", req.DeviceType))
	case strings.TrimSpace(req.DeviceType) != "":
		names := make([]string, len(found))
		for i, t := range found {
			names[i] = fmt.Sprintf("%s %s (id %d)", t.Manufacturer.Name, t.Model, t.ID)
		}
		ce.Invalid = append(ce.Invalid, fmt.Sprintf("device type %q is ambiguous: it names %s; pass \"<manufacturer> <model>\" or the id", req.DeviceType, strings.Join(names, ", ")))
	default:
		if dt, matched := diff.MatchDeviceType(h.Hardware, reg.Manufacturers, reg.DeviceTypes); matched {
			out.DeviceType = dt
			break
		}
		switch p := ce.Choices.ProposedType; {
		case req.CreateDeviceType && p != nil:
			out.Manufacturer, out.DeviceType = p.Manufacturer, p.DeviceType
		case req.CreateDeviceType:
			ce.Invalid = append(ce.Invalid, "this host's hardware vendor and model are unknown, so no device type can be made from them: choose one of NetBox's device types")
		default:
			ce.Missing = append(ce.Missing, ChoiceDeviceType)
		}
	}
	if len(ce.Missing)+len(ce.Invalid) > 0 {
		return diff.Registration{}, ce
	}
	if out.DeviceType.ID != 0 {
		for _, m := range reg.Manufacturers {
			if m.ID == out.DeviceType.Manufacturer.ID {
				out.Manufacturer = m
			}
		}
		if out.Manufacturer.ID == 0 {
			out.Manufacturer = record.Manufacturer(out.DeviceType.Manufacturer)
		}
	}
	return out, nil
}

// RegisterResult is what a register did.
type RegisterResult struct {
	PlanID string         `json:"plan_id"`
	Device diff.DeviceRef `json:"device"`
	// Created lists what the register made before the first sync, one
	// line each ("device web01").
	Created []string `json:"created"`
	// JournalEntryID is the register's own entry on the device.
	JournalEntryID int64  `json:"journal_entry_id,omitempty"`
	JournalError   string `json:"journal_error,omitempty"`
	// Sync is the first sync's outcome; SyncError says why it did not
	// run (the device is registered all the same).
	Sync      apply.Result `json:"sync"`
	SyncError string       `json:"sync_error,omitempty"`
}

// CreateError is a register that failed before its device existed. What
// it made before (a manufacturer, a device type) stays: a register
// deletes nothing.
type CreateError struct {
	Created []string
	Err     error
}

func (e *CreateError) Error() string {
	msg := "register failed: " + e.Err.Error()
	if len(e.Created) > 0 {
		msg += "; created before it: " + strings.Join(e.Created, ", ") + " (kept; a later register reuses them)"
	} else {
		msg += "; nothing was written"
	}
	return msg
}

func (e *CreateError) Unwrap() error { return e.Err }

// Register executes a plan made by Plan: it looks the host up again and
// refuses (with nothing written) when NetBox has a device for it now or
// moved in a way that changes the plan; then it creates the manufacturer
// and device type when the plan says so, the device, a journal entry on
// it, and runs the first sync: the device is read back as NetBox made it
// (with what its device type adds) and synced like any device. A plan is
// used once; with WithOwner, only by the owner it was made for.
func (r *Registrar) Register(ctx context.Context, planID string, opts ...ApplyOption) (RegisterResult, error) {
	var cfg applyConfig
	for _, o := range opts {
		o(&cfg)
	}
	sp, ok := r.take(planID, cfg.owner)
	if !ok {
		return RegisterResult{}, ErrUnknownRegisterPlan
	}
	p, h := sp.plan, sp.host
	again, err := r.plan(ctx, h, sp.req)
	if err != nil {
		return RegisterResult{}, err
	}
	if again.Fingerprint != p.Fingerprint {
		return RegisterResult{}, ErrStaleRegisterPlan
	}

	sent := &netbox.RequestLog{}
	defer func() { r.eng.rememberWrites(sent.IDs()) }()
	w := netbox.WriteOptions{ChangelogMessage: "cmdb-mcp register " + p.ID, RequestIDs: sent}
	res := RegisterResult{PlanID: p.ID, Created: []string{}}
	mfr, dt, err := r.createDeviceType(ctx, p, w, &res)
	if err != nil {
		return res, err
	}
	dev, err := r.createDevice(ctx, p, dt, w, &res)
	if err != nil {
		return res, err
	}
	if res.JournalEntryID, err = apply.JournalRegister(ctx, r.nb, w, p.Sync, dev.ID, registerJournal(p, mfr, dt, dev)); err != nil {
		res.JournalError = err.Error()
	}
	r.firstSync(ctx, sp, dev, cfg, sent, &res)
	return res, nil
}

// createDeviceType creates the manufacturer and the device type when the
// plan says so, and returns those the device gets.
func (r *Registrar) createDeviceType(ctx context.Context, p diff.RegisterPlan, w netbox.WriteOptions, res *RegisterResult) (record.Manufacturer, record.DeviceType, error) {
	mfr, dt := p.Manufacturer, p.DeviceType
	var err error
	if p.NewDeviceType() && p.NewManufacturer() {
		if mfr, err = r.nb.CreateManufacturer(ctx, netbox.ManufacturerCreate{Name: mfr.Name, Slug: mfr.Slug}, w); err != nil {
			return mfr, dt, &CreateError{Err: fmt.Errorf("create manufacturer %q: %w", p.Manufacturer.Name, err)}
		}
		res.Created = append(res.Created, fmt.Sprintf("manufacturer %s (slug %s)", mfr.Name, mfr.Slug))
	}
	if p.NewDeviceType() {
		if dt, err = r.nb.CreateDeviceType(ctx, netbox.DeviceTypeCreate{Manufacturer: mfr.ID, Model: dt.Model, Slug: dt.Slug}, w); err != nil {
			return mfr, dt, &CreateError{Created: res.Created, Err: fmt.Errorf("create device type %q: %w", p.DeviceType.Model, err)}
		}
		res.Created = append(res.Created, fmt.Sprintf("device type %s (slug %s)", dt.Model, dt.Slug))
	}
	return mfr, dt, nil
}

// createDevice creates the plan's device, of device type dt.
func (r *Registrar) createDevice(ctx context.Context, p diff.RegisterPlan, dt record.DeviceType, w netbox.WriteOptions, res *RegisterResult) (record.Device, error) {
	create := netbox.DeviceCreate{Name: p.Device.Name, Site: p.Site.ID, Role: p.Role.ID, DeviceType: dt.ID,
		Status: p.Device.Status, Serial: p.Device.Serial}
	if p.Device.Platform != nil {
		create.Platform = &p.Device.Platform.ID
	}
	dev, err := r.nb.CreateDevice(ctx, create, w)
	if err != nil {
		return dev, &CreateError{Created: res.Created, Err: fmt.Errorf("create device %q: %w", p.Device.Name, err)}
	}
	res.Device = diff.DeviceRef{ID: dev.ID, Name: dev.Name, URL: r.nb.WebURL("dcim/devices", dev.ID)}
	res.Created = append(res.Created, fmt.Sprintf("device %s (id %d)", dev.Name, dev.ID))
	return dev, nil
}

// registerJournal is the register's journal entry, a line per object it
// created.
func registerJournal(p diff.RegisterPlan, mfr record.Manufacturer, dt record.DeviceType, dev record.Device) []string {
	var journal []string
	if p.NewDeviceType() {
		if p.NewManufacturer() {
			journal = append(journal, fmt.Sprintf("manufacturer %s (CREATE)", mfr.Name))
		}
		journal = append(journal, fmt.Sprintf("device type %s (CREATE)", dt.Model))
	}
	line := fmt.Sprintf("device %s (CREATE): site %s, role %s, device type %s %s, status %s", dev.Name, p.Site.Name, p.Role.Name,
		mfr.Name, dt.Model, p.Device.Status)
	if p.Device.Serial != "" {
		line += ", serial " + p.Device.Serial
	}
	if p.Device.Platform != nil {
		line += ", platform " + p.Device.Platform.Name
	}
	return append(journal, line)
}

// firstSync is the first sync, of the device as NetBox made it, its
// writes' request ids collected in sent. Its outcome, or why it did not
// run, goes in res: the device is registered either way.
func (r *Registrar) firstSync(ctx context.Context, sp storedRegister, dev record.Device, cfg applyConfig, sent *netbox.RequestLog, res *RegisterResult) {
	p, h := sp.plan, sp.host
	snap, err := r.nb.SnapshotFor(ctx, LookupQuery(h, r.options(sp.req)))
	if err != nil || !snap.Found || snap.Device.ID != dev.ID {
		if err == nil {
			err = fmt.Errorf("the new device %q (id %d) was not found by its name", dev.Name, dev.ID)
		}
		res.SyncError = "the first sync did not run: " + err.Error()
		return
	}
	first := diff.Compute(h, snap, r.options(sp.req))
	first.ID, first.CreatedAt, first.Device.URL = p.ID, r.eng.now().UTC(), res.Device.URL
	if len(first.Changes) == 0 {
		res.Sync = apply.Result{PlanID: p.ID, Device: first.Device, Changes: []apply.ChangeResult{}}
		return
	}
	if res.Sync, err = apply.Apply(ctx, r.nb, first, cfg.progress, apply.WithRequestLog(sent)); err != nil {
		res.SyncError = "the first sync failed: " + err.Error()
	}
}

// Errors of Register, each naming what to do next.
var (
	ErrUnknownRegisterPlan = errors.New("unknown or expired register plan_id: run cmdb_register again and pass the plan_id it returns")
	ErrStaleRegisterPlan   = errors.New("the register plan is stale: NetBox changed since it was made; nothing was written. Run cmdb_register again")
)

func (r *Registrar) take(id string, owner *string) (storedRegister, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	sp, ok := r.plans[id]
	if !ok || (owner != nil && sp.req.Owner != *owner) {
		return storedRegister{}, false
	}
	delete(r.plans, id)
	return sp, ok
}

func (r *Registrar) expireLocked() {
	now := r.eng.now()
	for id, sp := range r.plans {
		if now.After(sp.expires) {
			delete(r.plans, id)
		}
	}
}

func (r *Registrar) evictOldestLocked() {
	var oldest string
	var at time.Time
	for id, sp := range r.plans {
		if oldest == "" || sp.plan.CreatedAt.Before(at) {
			oldest, at = id, sp.plan.CreatedAt
		}
	}
	delete(r.plans, oldest)
}
