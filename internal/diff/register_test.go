package diff

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

var (
	dell     = record.Manufacturer{ID: 1, Name: "Dell", Slug: "dell"}
	rpi      = record.Manufacturer{ID: 2, Name: "Raspberry Pi Foundation", Slug: "raspberry-pi"}
	smc      = record.Manufacturer{ID: 3, Name: "Supermicro", Slug: "supermicro"}
	r640     = record.DeviceType{ID: 10, Model: "PowerEdge R640", Slug: "poweredge-r640", Manufacturer: record.Ref{ID: 1, Name: "Dell", Slug: "dell"}}
	pi4      = record.DeviceType{ID: 11, Model: "Raspberry Pi 4 Model B", Slug: "raspberry-pi-4-model-b", Manufacturer: record.Ref{ID: 2, Name: "Raspberry Pi Foundation", Slug: "raspberry-pi"}}
	x11      = record.DeviceType{ID: 12, Model: "SYS-5019C-MR", Slug: "sys-5019c-mr", PartNumber: "X11SCM-F", Manufacturer: record.Ref{ID: 3, Name: "Supermicro", Slug: "supermicro"}}
	generic  = record.DeviceType{ID: 13, Model: "Server", Slug: "server", Manufacturer: record.Ref{ID: 3, Name: "Supermicro", Slug: "supermicro"}}
	generic2 = record.DeviceType{ID: 14, Model: "server", Slug: "server", Manufacturer: record.Ref{ID: 1, Name: "Dell", Slug: "dell"}}
	mfrs     = []record.Manufacturer{dell, rpi, smc}
	types    = []record.DeviceType{r640, pi4, x11, generic, generic2}
)

func TestMatchDeviceType(t *testing.T) {
	tests := []struct {
		name string
		hw   host.Hardware
		want int64 // 0: none
	}{
		{"DMI vendor with its company suffix", host.Hardware{Manufacturer: "Dell Inc.", Model: "PowerEdge R640"}, 10},
		{"case and spacing", host.Hardware{Manufacturer: "DELL INC.", Model: "poweredge  r640"}, 10},
		{"Raspberry Pi board revision", host.Hardware{Manufacturer: "Raspberry Pi", Model: "Raspberry Pi 4 Model B Rev 1.4"}, 11},
		{"part number", host.Hardware{Manufacturer: "Super Micro Computer, Inc.", Model: "X11SCM-F"}, 12},
		{"a model only one manufacturer has", host.Hardware{Manufacturer: "Unknown Corp", Model: "PowerEdge R640"}, 10},
		{"a model two manufacturers have, vendor matches", host.Hardware{Manufacturer: "Supermicro", Model: "Server"}, 13},
		{"a model two manufacturers have, vendor unknown", host.Hardware{Model: "Server"}, 0},
		{"no such model", host.Hardware{Manufacturer: "Dell Inc.", Model: "PowerEdge R750"}, 0},
		{"unknown hardware", host.Hardware{}, 0},
		{"vendor only", host.Hardware{Manufacturer: "Dell Inc."}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MatchDeviceType(tt.hw, mfrs, types)
			assert.Equal(t, tt.want != 0, ok)
			assert.Equal(t, tt.want, got.ID)
		})
	}
}

func TestProposeDeviceType(t *testing.T) {
	tests := []struct {
		name     string
		hw       host.Hardware
		types    []record.DeviceType
		mfr      record.Manufacturer
		model    string
		slug     string
		proposed bool
	}{
		{name: "known manufacturer", hw: host.Hardware{Manufacturer: "Dell Inc.", Model: "PowerEdge R750"}, types: types,
			mfr: dell, model: "PowerEdge R750", slug: "poweredge-r750", proposed: true},
		{name: "new manufacturer", hw: host.Hardware{Manufacturer: "QEMU", Model: "Standard PC (Q35 + ICH9, 2009)"}, types: types,
			mfr: record.Manufacturer{Name: "QEMU", Slug: "qemu"}, model: "Standard PC (Q35 + ICH9, 2009)", slug: "standard-pc-q35-ich9-2009", proposed: true},
		{name: "board revision left out", hw: host.Hardware{Manufacturer: "Raspberry Pi", Model: "Raspberry Pi 5 Model B Rev 1.0"}, types: types,
			mfr: rpi, model: "Raspberry Pi 5 Model B", slug: "raspberry-pi-5-model-b", proposed: true},
		{name: "a taken slug of that manufacturer", hw: host.Hardware{Manufacturer: "Dell", Model: "PowerEdge-R640 (refurbished)"},
			types: []record.DeviceType{{ID: 20, Model: "x", Slug: "poweredge-r640-refurbished", Manufacturer: record.Ref{ID: 1}}},
			mfr:   dell, model: "PowerEdge-R640 (refurbished)", slug: "poweredge-r640-refurbished-2", proposed: true},
		{name: "another manufacturer's slug is free", hw: host.Hardware{Manufacturer: "Dell", Model: "Server 2"},
			types: []record.DeviceType{{ID: 20, Model: "Server 2", Slug: "server-2", Manufacturer: record.Ref{ID: 3}}},
			mfr:   dell, model: "Server 2", slug: "server-2", proposed: true},
		{name: "nothing a slug keeps", hw: host.Hardware{Manufacturer: "華碩", Model: "——"}, types: types,
			mfr: record.Manufacturer{Name: "華碩", Slug: "manufacturer"}, model: "——", slug: "device-type", proposed: true},
		{name: "unknown model", hw: host.Hardware{Manufacturer: "Dell Inc."}},
		{name: "unknown vendor", hw: host.Hardware{Model: "PowerEdge R750"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, dt, ok := ProposeDeviceType(tt.hw, mfrs, tt.types)
			require.Equal(t, tt.proposed, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.mfr, m)
			assert.Equal(t, tt.model, dt.Model)
			assert.Equal(t, tt.slug, dt.Slug)
			assert.Zero(t, dt.ID)
			assert.Equal(t, m.ID, dt.Manufacturer.ID)
		})
	}

	// A new manufacturer's slug is one no manufacturer has. (A slug that
	// reads as the vendor's name is that manufacturer.)
	m, _, ok := ProposeDeviceType(host.Hardware{Manufacturer: "華碩", Model: "x"}, []record.Manufacturer{{ID: 9, Name: "Other", Slug: "manufacturer"}}, nil)
	require.True(t, ok)
	assert.Equal(t, "manufacturer-2", m.Slug)
	m, _, ok = ProposeDeviceType(host.Hardware{Manufacturer: "Dell EMC!", Model: "x"}, []record.Manufacturer{{ID: 9, Name: "DellEMC", Slug: "dellemc"}}, nil)
	require.True(t, ok)
	assert.Equal(t, int64(9), m.ID)
}

var slugRE = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)

// TestProposedSlugsAreValid: whatever the hardware says, a proposal's
// slugs are ones NetBox accepts and that nothing in the way has, and its
// names fit NetBox's limits.
func TestProposedSlugsAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hw := host.Hardware{Manufacturer: rapid.String().Draw(t, "vendor"), Model: rapid.String().Draw(t, "model")}
		var existing []record.Manufacturer
		var types []record.DeviceType
		for i, s := range rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "manufacturer", "device-type", "x-2"}), 0, 5).Draw(t, "slugs") {
			existing = append(existing, record.Manufacturer{ID: int64(i + 1), Name: "M" + s, Slug: s})
			types = append(types, record.DeviceType{ID: int64(i + 1), Model: "T" + s, Slug: s, Manufacturer: record.Ref{ID: int64(i%2 + 1)}})
		}
		m, dt, ok := ProposeDeviceType(hw, existing, types)
		if !ok {
			return
		}
		for _, slug := range []string{m.Slug, dt.Slug} {
			if !slugRE.MatchString(slug) || len(slug) > 100 {
				t.Fatalf("slug %q is not one NetBox accepts", slug)
			}
		}
		if len([]rune(dt.Model)) > 100 || len([]rune(m.Name)) > 100 || strings.TrimSpace(dt.Model) == "" {
			t.Fatalf("names %q, %q do not fit NetBox", m.Name, dt.Model)
		}
		for _, x := range existing {
			if m.ID == 0 && strings.EqualFold(x.Slug, m.Slug) {
				t.Fatalf("new manufacturer slug %q is taken", m.Slug)
			}
		}
		for _, x := range types {
			if m.ID != 0 && x.Manufacturer.ID == m.ID && strings.EqualFold(x.Slug, dt.Slug) {
				t.Fatalf("device type slug %q is taken at manufacturer %d", dt.Slug, m.ID)
			}
		}
	})
}

func TestCheckDeviceName(t *testing.T) {
	assert.NoError(t, CheckDeviceName("web01.example.com"))
	assert.NoError(t, CheckDeviceName(strings.Repeat("a", 64)))
	assert.ErrorContains(t, CheckDeviceName(strings.Repeat("a", 65)), "longer than 64 characters")
	assert.ErrorContains(t, CheckDeviceName(""), "empty")
	assert.ErrorContains(t, CheckDeviceName(" web01"), "trim")
}

func TestExisting(t *testing.T) {
	h := host.Host{Hostname: "web01", Hardware: host.Hardware{Serial: "SN1"}}
	same := record.Device{ID: 1, Name: "WEB01", Serial: "SN1"}
	other := record.Device{ID: 2, Name: "old-web", Serial: "sn1"}
	assert.Empty(t, Existing(h, record.Snapshot{}, nil))
	assert.Equal(t, []Conflict{{Device: same}}, Existing(h, record.Snapshot{Found: true, Device: same}, []record.Device{same}))
	assert.Equal(t, []Conflict{{Device: other, BySerial: true}}, Existing(h, record.Snapshot{}, []record.Device{other}))
	h.Hardware.Serial = ""
	assert.Empty(t, Existing(h, record.Snapshot{}, []record.Device{other}), "an unknown serial matches nothing")
}

func TestFind(t *testing.T) {
	sites := []record.Site{{ID: 1, Name: "Berlin DC", Slug: "ber1"}, {ID: 2, Name: "Paris", Slug: "par1"}}
	for _, s := range []string{"berlin dc", "BER1", "1", " Berlin DC "} {
		got, ok := FindSite(sites, s)
		assert.True(t, ok, s)
		assert.Equal(t, int64(1), got.ID, s)
	}
	_, ok := FindSite(sites, "")
	assert.False(t, ok)
	_, ok = FindSite(sites, "Rome")
	assert.False(t, ok)

	roles := []record.DeviceRole{{ID: 5, Name: "Server", Slug: "server"}}
	got, ok := FindRole(roles, "SERVER")
	assert.True(t, ok)
	assert.Equal(t, int64(5), got.ID)

	assert.Equal(t, []record.DeviceType{r640}, FindDeviceTypes(types, "poweredge-r640"))
	assert.Equal(t, []record.DeviceType{r640}, FindDeviceTypes(types, "Dell PowerEdge R640"))
	assert.Equal(t, []record.DeviceType{generic2}, FindDeviceTypes(types, "14"))
	assert.Len(t, FindDeviceTypes(types, "server"), 2, "ambiguous across manufacturers")
	assert.Empty(t, FindDeviceTypes(types, ""))
}

// TestRegister: the plan creates the device as discovered, in the
// choices made, and carries the first sync computed against it: the same
// changes a sync of an empty device of that name would plan.
func TestRegister(t *testing.T) {
	h := host.Host{
		Hostname: "web01",
		OS:       host.OS{Platform: "Debian 12"},
		Hardware: host.Hardware{Serial: "SN1", Manufacturer: "Dell Inc.", Model: "PowerEdge R640"},
		Network: host.Network{
			Interfaces:  []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01", MTU: 1500, AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}},
			PrimaryIPv4: netip.MustParsePrefix("192.0.2.10/24"),
		},
	}
	debian := record.Platform{ID: 4, Name: "Debian 12", Slug: "debian-12"}
	reg := Registration{Site: record.Site{ID: 1, Name: "Berlin"}, Role: record.DeviceRole{ID: 2, Name: "Server"},
		Manufacturer: dell, DeviceType: r640}
	nb := record.Snapshot{Platforms: []record.Platform{debian}}

	p := Register(h, nb, reg, Options{SkipContainers: true})
	assert.Equal(t, DeviceDraft{Name: "web01", Status: "active", Serial: "SN1", Platform: &record.Ref{ID: 4, Name: "Debian 12", Slug: "debian-12"}}, p.Device)
	assert.Equal(t, 1, p.Creates())
	assert.False(t, p.NewDeviceType())
	assert.Equal(t, []string{
		`CREATE dcim.interface. ""->""`,
		`CREATE dcim.macaddress. ""->""`,
		`UPDATE dcim.interface.mac_address ""->"02:00:00:00:00:01"`,
		`CREATE ipam.ipaddress. ""->"eth0"`,
		`UPDATE dcim.device.primary_ip4 ""->"192.0.2.10/24"`,
	}, rows(p.Sync), "no device attribute changes: the device is created with them")
	assert.NotEmpty(t, p.Fingerprint)

	// A platform NetBox lacks is created by the first sync.
	p2 := Register(h, record.Snapshot{}, reg, Options{SkipContainers: true})
	assert.Nil(t, p2.Device.Platform)
	assert.Contains(t, rows(p2.Sync), `CREATE dcim.platform. ""->"Debian 12"`)
	assert.NotEqual(t, p.Fingerprint, p2.Fingerprint)

	// A device type to create, with its manufacturer.
	m, dt, ok := ProposeDeviceType(host.Hardware{Manufacturer: "QEMU", Model: "Standard PC"}, mfrs, types)
	require.True(t, ok)
	p3 := Register(h, nb, Registration{Site: reg.Site, Role: reg.Role, Manufacturer: m, DeviceType: dt}, Options{SkipContainers: true})
	assert.Equal(t, 3, p3.Creates())
	assert.True(t, p3.NewManufacturer())
	assert.NotEqual(t, p.Fingerprint, p3.Fingerprint)

	// What the user should know: an unknown serial, templates, similar names.
	h.Hardware.Serial = ""
	tmpl := r640
	tmpl.InterfaceTemplates = 4
	p4 := Register(h, record.Snapshot{Similar: []string{"web01.example.com"}}, Registration{Site: reg.Site, Role: reg.Role, Manufacturer: dell, DeviceType: tmpl}, Options{SkipContainers: true})
	require.Len(t, p4.Notes, 3)
	assert.Contains(t, p4.Notes[0], "Serial: unknown")
	assert.Contains(t, p4.Notes[1], "4 interfaces")
	assert.Contains(t, p4.Notes[2], `"web01.example.com"`)

	// Pure: the same inputs give the same plan.
	assert.Equal(t, Register(h, nb, reg, Options{SkipContainers: true}), Register(h, nb, reg, Options{SkipContainers: true}))
}
