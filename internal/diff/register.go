package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Registering a host: the device NetBox lacks is created from discovery
// (name, status, serial, platform) in the site, role and device type the
// user chose, and then what a first sync would write, so that the host is
// in sync at once. The first sync is Compute against the device as the
// register creates it: this file adds nothing to the sync's rules.

// MaxDeviceName is the longest device name NetBox accepts (Device.name,
// max_length=64).
const MaxDeviceName = 64

// maxCatalogName is the longest manufacturer name and device type model
// NetBox accepts (max_length=100).
const maxCatalogName = 100

// RegisterPlan is what a register writes, in order: the manufacturer and
// the device type when NetBox lacks them (ID 0), the device, then Sync,
// the first sync of the device as created. It is data, like Plan.
type RegisterPlan struct {
	ID        string            `json:"id"`
	CreatedAt time.Time         `json:"created_at"`
	Hostname  string            `json:"hostname"`
	Device    DeviceDraft       `json:"device"`
	Site      record.Site       `json:"site"`
	Role      record.DeviceRole `json:"role"`
	// Manufacturer and DeviceType are created first when their ID is 0.
	Manufacturer record.Manufacturer `json:"manufacturer"`
	DeviceType   record.DeviceType   `json:"device_type"`
	// Sync is the first sync, computed against the device as the register
	// creates it, before it has an id (Sync.Device.ID is 0).
	Sync Plan `json:"sync"`
	// Similar are devices whose name is the host's with or without its
	// domain: perhaps this host, under another name.
	Similar []string `json:"similar_devices,omitempty"`
	// Notes say what the user should know before confirming.
	Notes []string `json:"notes,omitempty"`
	// Fingerprint identifies the NetBox state the plan was computed from.
	Fingerprint string `json:"fingerprint"`
}

// DeviceDraft is the device a register creates.
type DeviceDraft struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Serial string `json:"serial,omitempty"`
	// Platform is the platform NetBox has for the host's OS; nil when it
	// has none yet, which the first sync then creates and sets.
	Platform *record.Ref `json:"platform,omitempty"`
}

// NewManufacturer and NewDeviceType say whether the plan creates them.
func (p RegisterPlan) NewManufacturer() bool { return p.Manufacturer.ID == 0 }

// NewDeviceType says whether the plan creates the device type.
func (p RegisterPlan) NewDeviceType() bool { return p.DeviceType.ID == 0 }

// Creates counts what the plan creates before the first sync.
func (p RegisterPlan) Creates() int {
	n := 1 // the device
	if p.NewDeviceType() {
		n++
		if p.NewManufacturer() {
			n++
		}
	}
	return n
}

// Registration is what the user chose for a register, resolved against
// NetBox's catalog. A Manufacturer or DeviceType of ID 0 is to be created.
type Registration struct {
	Site         record.Site
	Role         record.DeviceRole
	Manufacturer record.Manufacturer
	DeviceType   record.DeviceType
}

// Register plans the register of host h, which NetBox (nb, the lookup of
// a register: platforms, MAC objects and IPs with the host's values,
// roles, cluster type) has no device for. It is pure: the caller stamps
// the ID and time, and checks first that no device is this host
// (Existing) and that the name is one NetBox accepts (CheckDeviceName).
func Register(h host.Host, nb record.Snapshot, r Registration, opts Options) RegisterPlan {
	p := RegisterPlan{
		Hostname:     h.Hostname,
		Device:       Draft(h, nb.Platforms, r.Manufacturer),
		Site:         r.Site,
		Role:         r.Role,
		Manufacturer: r.Manufacturer,
		DeviceType:   r.DeviceType,
		Similar:      nb.Similar,
	}
	p.Sync = FirstSync(h, nb, p.Device, 0, opts)
	if p.Device.Serial == "" {
		p.Notes = append(p.Notes, "Serial: unknown on this host; the device is created without one.")
		// The sync's note says NetBox's value is kept; a new device has none.
		p.Sync.Notes = slices.DeleteFunc(p.Sync.Notes, func(n string) bool { return strings.HasPrefix(n, "Serial: unknown") })
	}
	if n := r.DeviceType.InterfaceTemplates; n > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("NetBox adds the %d interfaces of device type %s's templates to the new device; the first sync then compares them with the host's (those the host lacks are marked offline, never deleted).", n, r.DeviceType.Model))
	}
	if len(nb.Similar) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("NetBox has %s, which may be this host under another name: if it is, do not register; sync it by that name instead.", quoteAll(nb.Similar)))
	}
	p.Fingerprint = registerFingerprint(h, nb, p)
	return p
}

// Draft is the device a register creates for h: its name, active (it is
// running), its serial, and the platform NetBox has for its OS, if any,
// among those the device may use (no manufacturer, or mfr, its device
// type's).
func Draft(h host.Host, platforms []record.Platform, mfr record.Manufacturer) DeviceDraft {
	d := DeviceDraft{Name: h.Hostname, Status: StatusActive, Serial: strings.TrimSpace(h.Hardware.Serial)}
	var own *record.Ref
	if mfr.ID != 0 {
		own = &record.Ref{ID: mfr.ID, Name: mfr.Name, Slug: mfr.Slug}
	}
	if p, ok, _ := findPlatform(platforms, strings.TrimSpace(h.OS.Platform), own); ok {
		d.Platform = &record.Ref{ID: p.ID, Name: p.Name, Slug: p.Slug}
	}
	return d
}

// FirstSync is the sync of the device d as a register creates it, with
// id deviceID (0 before it exists), against what NetBox holds besides it
// (nb: platforms, MAC objects and IPs with the host's values, roles,
// cluster type).
func FirstSync(h host.Host, nb record.Snapshot, d DeviceDraft, deviceID int64, opts Options) Plan {
	snap := record.Snapshot{
		Found:       true,
		Device:      record.Device{ID: deviceID, Name: d.Name, Status: d.Status, Serial: d.Serial, Platform: d.Platform},
		Platforms:   nb.Platforms,
		MACs:        nb.MACs,
		IPs:         nb.IPs,
		Roles:       nb.Roles,
		ClusterType: nb.ClusterType,
	}
	return Compute(h, snap, opts)
}

// registerFingerprint identifies what a register plan depends on: the
// sync's state and the catalog objects the plan uses or creates.
func registerFingerprint(h host.Host, nb record.Snapshot, p RegisterPlan) string {
	state := struct {
		Sync                     string
		Found                    bool
		Site, Role, Mfr, Type    int64
		MfrSlug, TypeSlug, Model string
		Device                   DeviceDraft
	}{
		Sync: Fingerprint(h, record.Snapshot{Found: true, Device: record.Device{Name: p.Device.Name, Status: p.Device.Status,
			Serial: p.Device.Serial, Platform: p.Device.Platform}, Platforms: nb.Platforms, MACs: nb.MACs, IPs: nb.IPs,
			Roles: nb.Roles, ClusterType: nb.ClusterType}),
		Found: nb.Found, Site: p.Site.ID, Role: p.Role.ID, Mfr: p.Manufacturer.ID, Type: p.DeviceType.ID,
		MfrSlug: p.Manufacturer.Slug, TypeSlug: p.DeviceType.Slug, Model: p.DeviceType.Model, Device: p.Device,
	}
	b, _ := json.Marshal(state) // plain values: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// CheckDeviceName returns why NetBox would refuse name as a device's
// name, or nil.
func CheckDeviceName(name string) error {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("the host name is empty")
	case n > MaxDeviceName:
		return fmt.Errorf("NetBox refuses device names longer than %d characters, and %q has %d", MaxDeviceName, name, n)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("NetBox would trim the spaces around %q, and the sync would then not find it", name)
	}
	return nil
}

// Conflict is a device NetBox has that is, or may be, this host.
type Conflict struct {
	Device record.Device `json:"device"`
	// BySerial says it was found by the host's serial under another name;
	// otherwise it has the host's name (in any case).
	BySerial bool `json:"by_serial"`
}

// Existing returns the devices that make a register of h wrong: the one
// named as h in any case (NetBox compares device names so), and those
// that carry h's serial under another name.
func Existing(h host.Host, nb record.Snapshot, bySerial []record.Device) []Conflict {
	var out []Conflict
	if nb.Found {
		out = append(out, Conflict{Device: nb.Device})
	}
	serial := strings.TrimSpace(h.Hardware.Serial)
	for _, d := range bySerial {
		if serial == "" || !strings.EqualFold(d.Serial, serial) || (nb.Found && d.ID == nb.Device.ID) {
			continue
		}
		out = append(out, Conflict{Device: d, BySerial: true})
	}
	return out
}

// FindSite finds a site by name or slug (ignoring case) or id.
func FindSite(sites []record.Site, s string) (record.Site, bool) {
	s = strings.TrimSpace(s)
	for _, x := range sites {
		if s != "" && (strings.EqualFold(x.Name, s) || strings.EqualFold(x.Slug, s) || strconv.FormatInt(x.ID, 10) == s) {
			return x, true
		}
	}
	return record.Site{}, false
}

// FindRole finds a device role by name or slug (ignoring case) or id.
func FindRole(roles []record.DeviceRole, s string) (record.DeviceRole, bool) {
	s = strings.TrimSpace(s)
	for _, x := range roles {
		if s != "" && (strings.EqualFold(x.Name, s) || strings.EqualFold(x.Slug, s) || strconv.FormatInt(x.ID, 10) == s) {
			return x, true
		}
	}
	return record.DeviceRole{}, false
}

// FindDeviceTypes finds the device types s names: by id, by model or
// slug (ignoring case), or as "<manufacturer> <model>". More than one
// means s is ambiguous (two manufacturers' models of one name).
func FindDeviceTypes(types []record.DeviceType, s string) []record.DeviceType {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []record.DeviceType
	for _, t := range types {
		if strconv.FormatInt(t.ID, 10) == s {
			return []record.DeviceType{t}
		}
		if strings.EqualFold(t.Model, s) || strings.EqualFold(t.Slug, s) || strings.EqualFold(t.Manufacturer.Name+" "+t.Model, s) {
			out = append(out, t)
		}
	}
	return out
}

// MatchDeviceType finds the device type of the host's hardware: a type
// whose model (or part number, or slug) is the hardware's model, of a
// manufacturer whose name is the hardware's vendor as NetBox users write
// it ("Dell" for DMI's "Dell Inc."). Without such a manufacturer, a model
// that only one manufacturer has is taken. A board revision is not part
// of the model ("Raspberry Pi 4 Model B Rev 1.4" is a "Raspberry Pi 4
// Model B").
func MatchDeviceType(hw host.Hardware, mfrs []record.Manufacturer, types []record.DeviceType) (record.DeviceType, bool) {
	model := HardwareModel(hw)
	if model == "" {
		return record.DeviceType{}, false
	}
	want := normalModel(model)
	var candidates []record.DeviceType
	for _, t := range types {
		if normalModel(t.Model) == want || (t.PartNumber != "" && normalModel(t.PartNumber) == want) ||
			strings.EqualFold(t.Slug, Slugify(model)) {
			candidates = append(candidates, t)
		}
	}
	if m, ok := MatchManufacturer(hw, mfrs); ok {
		var own []record.DeviceType
		for _, t := range candidates {
			if t.Manufacturer.ID == m.ID {
				own = append(own, t)
			}
		}
		if len(own) == 1 {
			return own[0], true
		}
		if len(own) > 1 {
			return record.DeviceType{}, false
		}
	}
	if len(candidates) == 1 {
		return candidates[0], true
	}
	return record.DeviceType{}, false
}

// MatchManufacturer finds the manufacturer of the host's hardware by name
// or slug, with company suffixes and punctuation ignored.
func MatchManufacturer(hw host.Hardware, mfrs []record.Manufacturer) (record.Manufacturer, bool) {
	want := normalVendor(hw.Manufacturer)
	if want == "" {
		return record.Manufacturer{}, false
	}
	for _, m := range mfrs {
		if normalVendor(m.Name) == want || normalVendor(m.Slug) == want {
			return m, true
		}
	}
	return record.Manufacturer{}, false
}

// ProposeDeviceType is the device type to create for the host's hardware
// when NetBox has none: of the matching manufacturer, or a new one named
// as the hardware's vendor; the model without a board revision; slugs
// NetBox accepts (^[-a-zA-Z0-9_]+$) that no manufacturer (and no type of
// that manufacturer) has. ok is false when the hardware is unknown.
func ProposeDeviceType(hw host.Hardware, mfrs []record.Manufacturer, types []record.DeviceType) (record.Manufacturer, record.DeviceType, bool) {
	vendor, model := clip(strings.TrimSpace(hw.Manufacturer), maxCatalogName), clip(HardwareModel(hw), maxCatalogName)
	if vendor == "" || model == "" {
		return record.Manufacturer{}, record.DeviceType{}, false
	}
	m, ok := MatchManufacturer(hw, mfrs)
	if !ok {
		taken := map[string]bool{}
		for _, x := range mfrs {
			taken[strings.ToLower(x.Slug)] = true
		}
		m = record.Manufacturer{Name: vendor, Slug: uniqueSlug(slugOr(vendor, "manufacturer"), taken)}
	}
	taken := map[string]bool{}
	for _, t := range types {
		if m.ID != 0 && t.Manufacturer.ID == m.ID {
			taken[strings.ToLower(t.Slug)] = true
		}
	}
	dt := record.DeviceType{Model: model, Slug: uniqueSlug(slugOr(model, "device-type"), taken),
		Manufacturer: record.Ref(m)}
	return m, dt, true
}

// boardRevision is the revision a device tree's model ends with.
var boardRevision = regexp.MustCompile(`(?i)\s+rev(ision)?\.?\s*[0-9a-z.]+$`)

// HardwareModel is the hardware's model as a device type names it: the
// DMI product name or the device tree's model, without a board revision.
func HardwareModel(hw host.Hardware) string {
	return strings.TrimSpace(boardRevision.ReplaceAllString(strings.TrimSpace(hw.Model), ""))
}

// companySuffixes are words of a vendor's legal name that NetBox users
// leave out of a manufacturer's name.
var companySuffixes = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true, "co": true, "company": true,
	"ltd": true, "limited": true, "llc": true, "gmbh": true, "ag": true, "sa": true, "srl": true, "bv": true,
	"plc": true, "technologies": true, "technology": true, "computer": true, "computers": true,
	"international": true, "foundation": true, "the": true,
}

// normalVendor is a vendor name without case, punctuation and company
// suffixes: "Dell Inc." and "dell" are both "dell", "Super Micro
// Computer, Inc." and "Supermicro" both "supermicro".
func normalVendor(s string) string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isAlnum(r) }) {
		if !companySuffixes[w] {
			words = append(words, w)
		}
	}
	return strings.Join(words, "")
}

// normalModel is a model without case, spacing or punctuation, and
// without a board revision.
func normalModel(s string) string {
	s = strings.ToLower(HardwareModel(host.Hardware{Model: s}))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !isAlnum(r) }), "")
}

func isAlnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// slugOr is Slugify(name), or fallback when name has nothing a slug keeps.
func slugOr(name, fallback string) string {
	if !strings.ContainsFunc(strings.ToLower(name), func(r rune) bool { return isAlnum(r) || r == '_' }) {
		return fallback
	}
	return Slugify(name)
}

// uniqueSlug suffixes base -2, -3, ... until taken (lower-case slugs) has
// none of it.
func uniqueSlug(base string, taken map[string]bool) string {
	slug := base
	for i := 2; taken[strings.ToLower(slug)]; i++ {
		slug = fmt.Sprintf("%s-%d", base, i)
	}
	return slug
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}
