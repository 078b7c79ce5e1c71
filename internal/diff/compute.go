package diff

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// StatusActive is the NetBox status of a running host: the host we run on is
// up, so whatever NetBox says, the truth is "active".
const StatusActive = "active"

// Options change what Compute plans.
type Options struct {
	// Full marks every compared field for refresh, even when it matches (the
	// seed's "Full Sync Mode: update all fields even if unchanged").
	Full bool
	// IncludeDockerBridges syncs the addresses of Docker-managed bridges
	// (docker0, br-*), which exist on every Docker host.
	IncludeDockerBridges bool
	// InterfaceInScope says whether an interface name is synced (nil: all
	// but lo). NetBox interfaces out of scope (veth*, say) are never
	// marked offline.
	InterfaceInScope func(name string) bool
	// NoCreateClusters skips the containers section, with a note, when
	// NetBox lacks the cluster type, the host's group or a cluster.
	NoCreateClusters bool
	// SkipContainers leaves containers out of the comparison.
	SkipContainers bool
	// ContainerInScope says whether a container (and the VM of that name)
	// is synced (nil: all). A VM out of scope is never marked offline.
	ContainerInScope func(name string) bool
	// CustomFields are custom field values by object type and field name
	// ({"dcim.interface": {"owner": "infra"}}): every create of that type
	// carries them, and an update carries the ones NetBox requires that
	// the object lacks. A create or update that NetBox would refuse for a
	// required custom field without a value is Blocked.
	CustomFields map[string]map[string]any
}

// NotFound says what to do about a host NetBox has no device for: sync a
// device of a similar name if it is this host, else register the host.
func NotFound(hostname string, similar []string) string {
	if len(similar) == 0 {
		return fmt.Sprintf("No device named %q in NetBox: register the host first (cmdb_register, or cmdb-mcp register on the host), then sync.", hostname)
	}
	quoted := make([]string, len(similar))
	for i, s := range similar {
		quoted[i] = strconv.Quote(s)
	}
	return fmt.Sprintf("No device named %q in NetBox, but it has %s: if that is this host, sync it by that name (hostname %q, --hostname on the command line); if not, register the host first (cmdb_register, or cmdb-mcp register on the host), then sync.",
		hostname, strings.Join(quoted, ", "), similar[0])
}

// InterfaceSynced says whether the interface named name is compared: never
// lo, else what InterfaceInScope says (every one when it is nil).
func (o Options) InterfaceSynced(name string) bool {
	return name != "lo" && (o.InterfaceInScope == nil || o.InterfaceInScope(name))
}

// AddressesSynced says whether the addresses of interface i are compared:
// it is synced, and it is not a Docker-managed bridge unless
// IncludeDockerBridges.
func (o Options) AddressesSynced(i host.Interface) bool {
	return o.InterfaceSynced(i.Name) && (!i.DockerManaged || o.IncludeDockerBridges)
}

// ContainerSynced says whether the container (and the VM) named name is
// compared (every one when ContainerInScope is nil).
func (o Options) ContainerSynced(name string) bool {
	return o.ContainerInScope == nil || o.ContainerInScope(name)
}

// Compute compares the host with what NetBox holds and returns the plan.
// The plan's ID and CreatedAt are left for the caller to stamp; the device
// URL too, since only the caller knows NetBox's address.
func Compute(h host.Host, nb record.Snapshot, opts Options) Plan {
	p := Plan{
		Hostname:    h.Hostname,
		DeviceFound: nb.Found,
		Full:        opts.Full,
		Changes:     []Change{},
		Fingerprint: Fingerprint(h, nb),
	}
	if !nb.Found {
		p.Similar = nb.Similar
		p.Notes = append(p.Notes, NotFound(h.Hostname, nb.Similar))
		return p
	}
	p.Device = DeviceRef{ID: nb.Device.ID, Name: nb.Device.Name}
	d := deviceDiffer{host: h, nb: nb, full: opts.Full, plan: &p}
	d.platform()
	d.status()
	d.serial()
	(&networkDiffer{host: h.Network, nb: nb, opts: opts, plan: &p}).run()
	if !opts.SkipContainers {
		(&containerDiffer{host: h.Containers, nb: nb, opts: opts, plan: &p}).run()
	}
	requireCustomFields(&p, nb, opts.CustomFields)
	blockDependents(&p)
	return p
}

// deviceDiffer holds what the device-attribute rules share.
type deviceDiffer struct {
	host host.Host
	nb   record.Snapshot
	full bool
	plan *Plan
}

func (d deviceDiffer) deviceChange(field, old, new string, action Action, reason string) Change {
	return Change{
		Section:    SectionDevice,
		ObjectType: ObjectDevice,
		ObjectID:   d.nb.Device.ID,
		Object:     d.nb.Device.Name,
		Field:      field,
		Old:        old,
		New:        new,
		Action:     action,
		Reason:     reason,
	}
}

// platform: OS version changed -> UPDATE; a platform NetBox lacks is created
// first, with a slug no other platform has.
//
// A device may use only a platform of no manufacturer or of its device
// type's (dcim/models/devices.py Device.clean): a platform of the name
// bound to another manufacturer is never used. A new platform gets no
// manufacturer, so that any device running that OS may use it, and a slug
// unique where NetBox needs it: among all platforms before 4.4, among
// those without a manufacturer from 4.4 on. Before 4.4 a platform's name
// is unique too, so one bound to another manufacturer blocks the change.
func (d deviceDiffer) platform() {
	want := strings.TrimSpace(d.host.OS.Platform)
	if want == "" {
		d.plan.Notes = append(d.plan.Notes, "Platform: unknown on this host (no os-release); NetBox's value is kept.")
		return
	}
	old := ""
	if d.nb.Device.Platform != nil {
		old = d.nb.Device.Platform.Name
	}
	same := d.nb.Device.Platform != nil && strings.EqualFold(old, want)
	if same && !d.full {
		return
	}
	if u, ok := d.nb.IsUnread(record.PartPlatforms); ok && !same {
		d.plan.Notes = append(d.plan.Notes, fmt.Sprintf("Platform: not compared: the NetBox token's user may not view %s objects, so the sync cannot find or make %q; grant it view permission on them. The rest of the sync goes on.", u.ObjectType, want))
		return
	}
	c := d.deviceChange("platform", old, want, ActionUpdate, "OS version changed")
	if same {
		c.Action, c.Reason = ActionRefresh, reasonRefresh
		c.NewID = d.nb.Device.Platform.ID
		d.plan.Changes = append(d.plan.Changes, c)
		return
	}
	if old == "" {
		c.Reason = "NetBox has no platform for this device"
	}
	existing, found, foreign := findPlatform(d.nb.Platforms, want, d.nb.Device.Manufacturer)
	switch {
	case found:
		c.NewID = existing.ID
		c.New = existing.Name
	case foreign != nil && !d.nb.PlatformSlugPerManufacturer:
		c.Blocked = fmt.Sprintf("NetBox's platform %q is limited to devices of manufacturer %s, and this device's type is %s; NetBox before 4.4 allows one platform of a name: clear that platform's manufacturer in NetBox, or rename it, and sync again",
			foreign.Name, foreign.Manufacturer.Name, manufacturerName(d.nb.Device.Manufacturer))
	default:
		slug := UniqueSlug(want, platformSlugScope(d.nb))
		create := Change{
			Section:    SectionDevice,
			ObjectType: ObjectPlatform,
			Object:     want,
			Field:      "",
			New:        want,
			Action:     ActionCreate,
			Reason:     "platform not in NetBox yet",
			Key:        "platform:" + slug,
			Slug:       slug,
			Blocked:    tooLong("the platform name", want, MaxName, "NetBox's value is kept"),
		}
		if foreign != nil {
			create.Reason = fmt.Sprintf("NetBox's platform of this name is limited to manufacturer %s; this one is for any", foreign.Manufacturer.Name)
		}
		d.plan.Changes = append(d.plan.Changes, create)
		c.NewKey = create.Key
	}
	d.plan.Changes = append(d.plan.Changes, c)
}

func manufacturerName(m *record.Ref) string {
	if m == nil || m.Name == "" {
		return "by no manufacturer NetBox names"
	}
	return "by " + m.Name
}

// platformSlugScope are the platforms whose slugs a new platform (of no
// manufacturer) must not take.
func platformSlugScope(nb record.Snapshot) []record.Platform {
	if !nb.PlatformSlugPerManufacturer {
		return nb.Platforms
	}
	var out []record.Platform
	for _, p := range nb.Platforms {
		if p.Manufacturer == nil {
			out = append(out, p)
		}
	}
	return out
}

// status: the host is running, so NetBox should say active.
func (d deviceDiffer) status() {
	old := d.nb.Device.Status
	if old == StatusActive {
		if d.full {
			d.plan.Changes = append(d.plan.Changes, d.deviceChange("status", old, StatusActive, ActionRefresh, reasonRefresh))
		}
		return
	}
	d.plan.Changes = append(d.plan.Changes, d.deviceChange("status", old, StatusActive, ActionUpdate, "host is running"))
}

// serial: mismatch -> UPDATE; unknown locally -> keep NetBox's value.
func (d deviceDiffer) serial() {
	want := strings.TrimSpace(d.host.Hardware.Serial)
	if want == "" {
		d.plan.Notes = append(d.plan.Notes, "Serial: unknown on this host; NetBox's value is kept.")
		return
	}
	old := d.nb.Device.Serial
	if old == want {
		if d.full {
			d.plan.Changes = append(d.plan.Changes, d.deviceChange("serial", old, want, ActionRefresh, reasonRefresh))
		}
		return
	}
	reason := "serial number differs"
	if old == "" {
		reason = "NetBox has no serial number"
	}
	d.plan.Changes = append(d.plan.Changes, d.deviceChange("serial", old, want, ActionUpdate, reason))
}

// findPlatform matches by name, ignoring case (NetBox treats platform
// names that differ only in case as the same), among the platforms the
// device may use: of its type's manufacturer first, then of none. foreign
// is a platform of the name limited to another manufacturer.
func findPlatform(ps []record.Platform, name string, manufacturer *record.Ref) (p record.Platform, found bool, foreign *record.Platform) {
	var unbound *record.Platform
	for i := range ps {
		q := &ps[i]
		if !strings.EqualFold(q.Name, name) {
			continue
		}
		switch {
		case q.Manufacturer == nil:
			if unbound == nil {
				unbound = q
			}
		case manufacturer != nil && q.Manufacturer.ID == manufacturer.ID:
			return *q, true, nil
		default:
			if foreign == nil {
				foreign = q
			}
		}
	}
	if unbound != nil {
		return *unbound, true, nil
	}
	return record.Platform{}, false, foreign
}

// Slugify turns a name into a NetBox slug (^[-a-zA-Z0-9_]+$): lower case,
// every run of other characters becomes one dash. NetBox's API never makes
// slugs itself, so the plan must.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 90 {
		s = strings.TrimRight(s[:90], "-")
	}
	if s == "" {
		s = "platform"
	}
	return s
}

// UniqueSlug returns Slugify(name), suffixed -2, -3, ... until no existing
// platform has it.
func UniqueSlug(name string, existing []record.Platform) string {
	taken := make(map[string]bool, len(existing))
	for _, p := range existing {
		taken[strings.ToLower(p.Slug)] = true
	}
	base := Slugify(name)
	slug := base
	for i := 2; taken[slug]; i++ {
		slug = fmt.Sprintf("%s-%d", base, i)
	}
	return slug
}

// Fingerprint identifies the NetBox state a plan depends on: the device's
// compared fields, the platform the host maps to, and every interface, MAC,
// IP, cluster, VM and role the lookup read. Applying a plan whose
// fingerprint no longer matches NetBox would write on stale assumptions.
// Platforms the host does not map to are left out: a new, unrelated
// platform does not make a plan stale.
func Fingerprint(h host.Host, nb record.Snapshot) string {
	type platformState struct {
		Found bool
		ID    int64
		Slug  string
	}
	state := struct {
		Found       bool
		ID          int64
		Name        string
		Status      string
		Serial      string
		Platform    *record.Ref
		Primary4    *record.Ref
		Primary6    *record.Ref
		LastUpdated string
		Target      platformState
		Interfaces  []record.Interface
		MACs        []record.MACAddress
		IPs         []record.IPAddress
		Roles       []record.DeviceRole
		Type        *record.ClusterType
		Group       *record.ClusterGroup
		Clusters    []record.Cluster
		VMs         []record.VirtualMachine
		Unread      []record.Unread
		Fields      []record.CustomField
	}{Found: nb.Found}
	if nb.Found {
		dv := nb.Device
		state.ID, state.Name, state.Status, state.Serial = dv.ID, dv.Name, dv.Status, dv.Serial
		state.Platform, state.LastUpdated = dv.Platform, dv.LastUpdated
		state.Primary4, state.Primary6 = dv.PrimaryIP4, dv.PrimaryIP6
		if p, ok, _ := findPlatform(nb.Platforms, h.OS.Platform, dv.Manufacturer); ok {
			state.Target = platformState{Found: true, ID: p.ID, Slug: p.Slug}
		} else if h.OS.Platform != "" {
			state.Target.Slug = UniqueSlug(h.OS.Platform, platformSlugScope(nb))
		}
		state.Interfaces = sortedByID(nb.Interfaces, func(v record.Interface) int64 { return v.ID })
		state.MACs = sortedByID(nb.MACs, func(v record.MACAddress) int64 { return v.ID })
		state.IPs = sortedByID(nb.IPs, func(v record.IPAddress) int64 { return v.ID })
		state.Roles = sortedByID(nb.Roles, func(v record.DeviceRole) int64 { return v.ID })
		state.Clusters = sortedByID(nb.Clusters, func(v record.Cluster) int64 { return v.ID })
		state.VMs = sortedByID(nb.VMs, func(v record.VirtualMachine) int64 { return v.ID })
		state.Type, state.Group = nb.ClusterType, nb.ClusterGroup
		state.Unread, state.Fields = nb.Unread, nb.CustomFields
	}
	b, _ := json.Marshal(state) // plain structs of strings, numbers and bools: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// sortedByID returns a sorted copy: NetBox's list order is not part of the
// state.
func sortedByID[T any](in []T, id func(T) int64) []T {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	return out
}
