package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
)

// registerHost is a host with an interface, two addresses and a container, on
// hardware the fixture's catalog may or may not know.
func registerHost(vendor, model string) host.Host {
	return host.Host{
		Hostname: "web01",
		OS:       host.OS{Platform: "Debian 12"},
		Hardware: host.Hardware{Serial: "SN-REG-1", Manufacturer: vendor, Model: model},
		Network: host.Network{
			Interfaces: []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01", MTU: 1500, AdminUp: true,
				IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}, IPv6: []netip.Prefix{netip.MustParsePrefix("2001:db8::10/64")}}},
			PrimaryIPv4: netip.MustParsePrefix("192.0.2.10/24"),
			PrimaryIPv6: netip.MustParsePrefix("2001:db8::10/64"),
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{
			{Name: "db", Image: "postgres:16", State: "running", Running: true, Role: "Database", MemoryMB: 512}}},
	}
}

func (w simWorld) registrar(h host.Host) (*Engine, *Registrar) {
	e := w.engine(h)
	return e, NewRegistrar(e, w.nb)
}

// journal returns the comments of the device's journal entries, oldest first.
func (w simWorld) journal(t *testing.T, deviceID int64) []string {
	t.Helper()
	var page struct {
		Results []struct {
			Comments string `json:"comments"`
			Kind     struct{ Value string }
		} `json:"results"`
	}
	q := url.Values{"assigned_object_type": {"dcim.device"}, "assigned_object_id": {fmt.Sprint(deviceID)}, "ordering": {"created"}}
	require.NoError(t, w.srv.Admin().Do(context.Background(), http.MethodGet, "/api/extras/journal-entries/", q, nil, &page))
	var out []string
	for _, r := range page.Results {
		out = append(out, r.Kind.Value+": "+r.Comments)
	}
	return out
}

// TestRegisterPlanIsItsOwners: a register plan, like a sync plan, is read
// and registered only by the owner it was made for: another credential on
// the same session, or another session, finds none and writes nothing, and
// the plan stays for its owner.
func TestRegisterPlanIsItsOwners(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	_, reg := w.registrar(registerHost("Manufacturer "+w.fx.Suffix+" Inc.", "Model "+w.fx.Suffix))
	owner := ownerOf("token-a", "session-1")
	p, err := reg.Plan(ctx, RegisterRequest{Site: "site-" + w.fx.Suffix, Role: "Role " + w.fx.Suffix, Owner: owner})
	require.NoError(t, err)

	w.srv.Sim.ResetRequests()
	for _, other := range []string{ownerOf("token-b", "session-1"), ownerOf("token-a", "session-2"), ""} {
		_, ok := reg.RegisterPlanOf(p.ID, other)
		assert.False(t, ok, "owner %q read the plan", other)
		_, err = reg.Register(ctx, p.ID, WithOwner(other))
		require.ErrorIs(t, err, ErrUnknownRegisterPlan, "owner %q", other)
	}
	for _, r := range w.srv.Sim.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "a refused register wrote: %s %s", r.Method, r.Path)
	}
	_, ok := reg.RegisterPlanOf(p.ID, owner)
	require.True(t, ok, "the refusals left the plan to its owner")
	res, err := reg.Register(ctx, p.ID, WithOwner(owner))
	require.NoError(t, err)
	assert.NotZero(t, res.Device.ID)
}

// TestRegisterThenInSync: a register of a host whose device type NetBox
// has (matched from the hardware) creates the device and what a first sync
// writes, journals both, and leaves the host in sync: the diff after it
// has nothing to do.
func TestRegisterThenInSync(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	h := registerHost("Manufacturer "+w.fx.Suffix+" Inc.", "Model "+w.fx.Suffix)
	e, reg := w.registrar(h)

	w.srv.Sim.ResetRequests()
	p, err := reg.Plan(ctx, RegisterRequest{Site: "site-" + w.fx.Suffix, Role: "Role " + w.fx.Suffix})
	require.NoError(t, err)
	for _, r := range w.srv.Sim.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "a plan writes nothing: %s %s", r.Method, r.Path)
	}
	assert.Equal(t, w.fx.DeviceTypeID, p.DeviceType.ID, "matched from the hardware")
	assert.Equal(t, 1, p.Creates())
	assert.NotEmpty(t, p.Sync.Changes)
	got, ok := reg.RegisterPlanOf(p.ID, "")
	require.True(t, ok)
	assert.Equal(t, p.ID, got.ID)

	res, err := reg.Register(ctx, p.ID)
	require.NoError(t, err)
	require.Empty(t, res.SyncError)
	require.NotZero(t, res.Device.ID)
	assert.Equal(t, "web01", res.Device.Name)
	assert.Zero(t, res.Sync.Failed, "%+v", res.Sync.Changes)
	assert.Zero(t, res.Sync.Skipped)
	assert.NotZero(t, res.Sync.Applied)
	assert.NotZero(t, res.JournalEntryID)
	assert.NotZero(t, res.Sync.JournalEntryID)

	dev, err := w.nb.GetDevice(ctx, res.Device.ID)
	require.NoError(t, err)
	assert.Equal(t, "active", dev.Status)
	assert.Equal(t, "SN-REG-1", dev.Serial)
	assert.Equal(t, w.fx.SiteID, dev.Site.ID)
	assert.Equal(t, w.fx.RoleID, dev.Role.ID)
	require.NotNil(t, dev.Platform)
	assert.Equal(t, "Debian 12", dev.Platform.Name)
	require.NotNil(t, dev.PrimaryIP4)
	assert.Equal(t, "192.0.2.10/24", dev.PrimaryIP4.Name)

	journal := w.journal(t, res.Device.ID)
	require.Len(t, journal, 2)
	assert.True(t, strings.HasPrefix(journal[0], "success: "+apply.RegisterJournalHeader), journal[0])
	assert.Contains(t, journal[0], "site Site "+w.fx.Suffix+", role Role "+w.fx.Suffix)
	assert.True(t, strings.HasPrefix(journal[1], "success: "+apply.JournalHeader), journal[1])
	for _, j := range journal {
		assert.Contains(t, j, apply.JournalMarker)
	}

	after, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.True(t, after.DeviceFound)
	assert.True(t, after.InSync(), "%+v", after.Changes)
	assert.Zero(t, w.deletes())

	// Used once.
	_, err = reg.Register(ctx, p.ID)
	assert.ErrorIs(t, err, ErrUnknownRegisterPlan)

	// A second register is refused: NetBox has the host now.
	_, err = reg.Plan(ctx, RegisterRequest{Site: "site-" + w.fx.Suffix, Role: "Role " + w.fx.Suffix})
	var registered *RegisteredError
	require.ErrorAs(t, err, &registered)
	assert.Equal(t, "web01", registered.SyncName())
	assert.Contains(t, registered.URLs[0], fmt.Sprintf("/dcim/devices/%d/", res.Device.ID))
}

// TestRegisterCreatesDeviceType: hardware NetBox has no device type for
// gets one, with its manufacturer, when the user agrees; not before.
func TestRegisterCreatesDeviceType(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	h := registerHost("QEMU", "Standard PC (Q35 + ICH9, 2009)")
	e, reg := w.registrar(h)
	req := RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix}

	_, err := reg.Plan(ctx, req)
	var ce *ChoiceError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []string{ChoiceDeviceType}, ce.Missing)
	assert.Empty(t, ce.Invalid)
	require.NotNil(t, ce.Choices.ProposedType)
	assert.Equal(t, "QEMU", ce.Choices.ProposedType.Manufacturer.Name)
	assert.Equal(t, "standard-pc-q35-ich9-2009", ce.Choices.ProposedType.DeviceType.Slug)
	assert.Len(t, ce.Choices.DeviceTypes, 1)

	req.CreateDeviceType = true
	p, err := reg.Plan(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 3, p.Creates())
	res, err := reg.Register(ctx, p.ID)
	require.NoError(t, err)
	assert.Len(t, res.Created, 3)
	dev, err := w.nb.GetDevice(ctx, res.Device.ID)
	require.NoError(t, err)
	assert.Equal(t, "Standard PC (Q35 + ICH9, 2009)", dev.DeviceType.Name)
	after, err := e.Diff(ctx, DiffRequest{})
	require.NoError(t, err)
	assert.True(t, after.InSync(), "%+v", after.Changes)

	// The device type now exists, so another host of that hardware
	// matches it.
	h2 := registerHost("QEMU", "Standard PC (Q35 + ICH9, 2009)")
	h2.Hostname, h2.Hardware.Serial, h2.Network, h2.Containers = "web02", "SN-REG-2", host.Network{}, host.Containers{}
	_, reg2 := w.registrar(h2)
	p2, err := reg2.Plan(ctx, RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix})
	require.NoError(t, err)
	assert.Equal(t, dev.DeviceType.ID, p2.DeviceType.ID)
}

func (w simWorld) fmtSite() string { return "Site " + w.fx.Suffix }

func netboxPatchSerial(s string) netbox.DeviceUpdate { return netbox.DeviceUpdate{Serial: &s} }

// TestRegisterRefused: bad input, a name NetBox refuses and a host NetBox
// has (by name in any case, or by serial under another name) get a clear
// error and write nothing.
func TestRegisterRefused(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	other := w.device(t, "old-name", "active", 0)
	_, err := w.nb.UpdateDevice(ctx, other.ID, netboxPatchSerial("sn-reg-1"), netbox.WriteOptions{})
	require.NoError(t, err)
	w.device(t, "DB01", "active", 0)
	w.srv.Sim.ResetRequests()

	tests := []struct {
		name string
		h    func(h *host.Host)
		req  RegisterRequest
		want []string
	}{
		{name: "serial under another name", req: RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix},
			want: []string{`device "old-name"`, `serial "sn-reg-1"`, "not registered again"}},
		{name: "name in another case", h: func(h *host.Host) { h.Hostname = "db01"; h.Hardware.Serial = "" },
			want: []string{`device "DB01"`, "has this host's name"}},
		{name: "unknown site and role", h: func(h *host.Host) { h.Hardware.Serial = "" },
			req: RegisterRequest{Site: "Atlantis", Role: "Wizard"}, want: []string{`no site "Atlantis"`, `no device role "Wizard"`}},
		{name: "unknown device type", h: func(h *host.Host) { h.Hardware.Serial = "" },
			req: RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix, DeviceType: "Cray-1"}, want: []string{`no device type "Cray-1"`}},
		{name: "a name NetBox refuses", req: RegisterRequest{Hostname: strings.Repeat("x", 65)},
			want: []string{"longer than 64 characters"}},
		{name: "unknown hardware cannot make a device type", h: func(h *host.Host) { h.Hardware = host.Hardware{} },
			req: RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix, CreateDeviceType: true}, want: []string{"vendor and model are unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := registerHost("Acme", "Rocket")
			if tt.h != nil {
				tt.h(&h)
			}
			_, reg := w.registrar(h)
			_, err := reg.Plan(ctx, tt.req)
			require.Error(t, err)
			for _, s := range tt.want {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
	for _, r := range w.srv.Sim.Requests() {
		assert.Equal(t, http.MethodGet, r.Method, "nothing is written: %s %s", r.Method, r.Path)
	}
}

// TestRegisterStale: what changed in NetBox between the plan and its
// confirmation is caught before any write: the host's device made by
// someone else, or a platform the plan would create.
func TestRegisterStale(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	h := registerHost("Manufacturer "+w.fx.Suffix, "Model "+w.fx.Suffix)
	_, reg := w.registrar(h)
	req := RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix}

	p, err := reg.Plan(ctx, req)
	require.NoError(t, err)
	w.srv.Create(t, "dcim/platforms", map[string]any{"name": "Debian 12", "slug": "debian-12"})
	_, err = reg.Register(ctx, p.ID)
	assert.ErrorIs(t, err, ErrStaleRegisterPlan)

	p, err = reg.Plan(ctx, req)
	require.NoError(t, err)
	w.device(t, "WEB01", "planned", 0)
	posts := len(w.srv.Sim.Requests())
	_, err = reg.Register(ctx, p.ID)
	var registered *RegisteredError
	require.ErrorAs(t, err, &registered)
	for _, r := range w.srv.Sim.Requests()[posts:] {
		assert.Equal(t, http.MethodGet, r.Method, "nothing is written: %s %s", r.Method, r.Path)
	}
}

// TestRegisterCreateFails: a device NetBox refuses is an error that says
// what was made before it (kept, never deleted) and nothing after it.
func TestRegisterCreateFails(t *testing.T) {
	w := newSimWorld(t)
	ctx := context.Background()
	h := registerHost("QEMU", "Standard PC")
	_, reg := w.registrar(h)
	p, err := reg.Plan(ctx, RegisterRequest{Site: w.fmtSite(), Role: "role-" + w.fx.Suffix, CreateDeviceType: true})
	require.NoError(t, err)
	require.NoError(t, w.srv.Sim.AddFault(netboxsim.Fault{Method: http.MethodPost, Path: "/api/dcim/devices/", Status: 403}))
	_, err = reg.Register(ctx, p.ID)
	var ce *CreateError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Created, 2)
	assert.Contains(t, err.Error(), "manufacturer QEMU")
	assert.Contains(t, err.Error(), "kept")
	assert.True(t, errors.As(err, new(*CreateError)))
	assert.Zero(t, w.deletes())
	for _, r := range w.srv.Sim.Requests() {
		assert.NotEqual(t, "/api/extras/journal-entries/", r.Path, "no journal entry for a device that does not exist")
	}
}
