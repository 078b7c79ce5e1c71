package diff

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func changeOf(t *testing.T, p Plan, objectType, object, field string) Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.ObjectType == objectType && c.Object == object && c.Field == field {
			return c
		}
	}
	t.Fatalf("no change of %s %q %s in %v", objectType, object, field, rows(p))
	return Change{}
}

func noteWith(p Plan, part string) string {
	for _, n := range p.Notes {
		if strings.Contains(n, part) {
			return n
		}
	}
	return ""
}

// containerWorld is a host with containers and a NetBox that has the
// cluster scaffolding but no VMs.
func containerWorld(cs ...host.Container) (host.Host, record.Snapshot) {
	h := newHost("", "")
	h.Containers = host.Containers{Available: true, Containers: cs}
	nb := snapshot("active", "", "")
	nb.ClusterType = &record.ClusterType{ID: 1, Name: record.ClusterTypeName, Slug: record.ClusterTypeSlug}
	nb.ClusterGroup = &record.ClusterGroup{ID: 2, Slug: record.HostClusterGroupSlug(7)}
	nb.Clusters = []record.Cluster{{ID: 3, Name: record.StandaloneClusterName}}
	nb.Roles = []record.DeviceRole{{ID: 4, Name: "Container", VMRole: true}}
	return h, nb
}

func TestInvalidContainersAreMadeValidOrBlocked(t *testing.T) {
	long := strings.Repeat("n", 70)
	image := "registry.example.com/" + strings.Repeat("deep/", 50) + "app:1"
	h, nb := containerWorld(
		host.Container{Name: long, Image: "busybox", Running: true, Role: "Container"},
		host.Container{Name: "imagey", Image: image, Running: true, Role: "Container"},
		host.Container{Name: "third", Image: "busybox", Running: true, Role: "Container", VCPUs: 0.333},
		host.Container{Name: "tiny", Image: "busybox", Running: true, Role: "Container", VCPUs: 0.001},
		host.Container{Name: "good", Image: "busybox", Running: true, Role: "Container", VCPUs: 2},
	)
	p := Compute(h, nb, Options{})

	c := changeOf(t, p, ObjectVM, long, "")
	assert.Contains(t, c.Blocked, "the container name is 70 characters and NetBox allows at most 64")
	assert.Contains(t, c.Blocked, "exclude_containers")

	c = changeOf(t, p, ObjectVM, "imagey", "")
	assert.Empty(t, c.Blocked)
	assert.Equal(t, 200, len([]rune(c.Attrs.Description)))
	assert.True(t, strings.HasSuffix(c.Attrs.Description, "…"))
	assert.Equal(t, image, c.Attrs.Comments, "the whole image in the comments")
	assert.Equal(t, image, c.Attrs.Image)

	assert.Equal(t, 0.33, changeOf(t, p, ObjectVM, "third", "").Attrs.VCPUs)
	assert.Equal(t, 0.02, changeOf(t, p, ObjectVM, "tiny", "").Attrs.VCPUs, "NetBox refuses 0.01 itself")
	assert.Equal(t, 2.0, changeOf(t, p, ObjectVM, "good", "").Attrs.VCPUs)
	assert.Empty(t, changeOf(t, p, ObjectVM, "good", "").Blocked)
	assert.Equal(t, 1, p.Summary().Blocked)
	assert.Equal(t, 4, p.Summary().Creates, "blocked changes are not counted as creates")
	assert.False(t, p.InSync())
	assert.Equal(t, len(p.Changes)-1, p.Applicable())

	// Once made, the VM is in sync: its shortened description and the
	// comments are what the next diff expects.
	nb.VMs = []record.VirtualMachine{{ID: 9, Name: "imagey", ClusterID: 3, Status: VMActive, Role: &record.Ref{ID: 4, Name: "Container"},
		Description: c.Attrs.Description, Comments: image}}
	h.Containers.Containers = h.Containers.Containers[1:2]
	assert.Empty(t, rows(Compute(h, nb, Options{})))
	nb.VMs[0].Comments = ""
	again := Compute(h, nb, Options{})
	assert.Equal(t, []string{`UPDATE virtualization.virtualmachine.comments ""->"` + image + `"`}, rows(again))
}

func TestLongProjectNameBlocksItsVMs(t *testing.T) {
	project := strings.Repeat("p", 101)
	h, nb := containerWorld(host.Container{Name: "web", Image: "nginx", Running: true, ComposeProject: project, Role: "Container"})
	p := Compute(h, nb, Options{})
	assert.Contains(t, changeOf(t, p, ObjectCluster, project, "").Blocked, "101 characters and NetBox allows at most 100")
	assert.Equal(t, `depends on cluster "`+project+`", which this sync cannot write (see its reason)`, changeOf(t, p, ObjectVM, "web", "").Blocked)
}

func TestInterfaceLimits(t *testing.T) {
	h := newHost("", "")
	long := strings.Repeat("i", 65)
	h.Network.Interfaces = []host.Interface{
		{Name: long, Type: "virtual", MAC: "02:00:00:00:00:01", IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}},
		{Name: "jumbo", Type: "virtual", MTU: 65535},
	}
	h.Network.PrimaryIPv4 = netip.MustParsePrefix("192.0.2.1/24")
	nb := snapshot("active", "", "")
	nb.Device.PrimaryIP4 = &record.Ref{ID: 50, Name: "192.0.2.99/24"}
	p := Compute(h, nb, Options{})
	assert.Contains(t, changeOf(t, p, ObjectInterface, long, "").Blocked, "65 characters and NetBox allows at most 64")
	assert.Contains(t, changeOf(t, p, ObjectMACAddress, "02:00:00:00:00:01", "").Blocked, "depends on interface")
	assert.Contains(t, changeOf(t, p, ObjectIPAddress, "192.0.2.1/24", "").Blocked, "depends on interface")
	assert.Contains(t, changeOf(t, p, ObjectDevice, "web01", FieldPrimaryIP4).Blocked, `depends on ipaddress "192.0.2.1/24"`)
	assert.Zero(t, changeOf(t, p, ObjectInterface, "jumbo", "").Attrs.MTU)
	assert.Contains(t, noteWith(p, "jumbo"), "MTU 65535 is outside what NetBox accepts (1 to 32767)")
}

func TestPrimaryBlockedKeepsTheOldPrimaryAssigned(t *testing.T) {
	h := newHost("", "")
	long := strings.Repeat("i", 65)
	h.Network.Interfaces = []host.Interface{{Name: long, Type: "virtual", IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}}
	h.Network.PrimaryIPv4 = netip.MustParsePrefix("192.0.2.1/24")
	nb := snapshot("active", "", "")
	nb.Interfaces = []record.Interface{{ID: 5, Name: "eth0", Type: "virtual", Enabled: true}}
	nb.IPs = []record.IPAddress{{ID: 50, Address: "192.0.2.99/24", AssignedObjectType: "dcim.interface", AssignedObjectID: 5}}
	nb.Device.PrimaryIP4 = &record.Ref{ID: 50, Name: "192.0.2.99/24"}
	p := Compute(h, nb, Options{InterfaceInScope: func(n string) bool { return n != "eth0" }})
	assert.Contains(t, changeOf(t, p, ObjectDevice, "web01", FieldPrimaryIP4).Blocked, "depends on")

	h.Network.Interfaces = append(h.Network.Interfaces, host.Interface{Name: "eth1", Type: "virtual"})
	p = Compute(h, nb, Options{})
	assert.Contains(t, changeOf(t, p, ObjectIPAddress, "192.0.2.99/24", FieldAssignment).Blocked, "still the device's primary IP")
}

func TestPlatformOfAnotherManufacturer(t *testing.T) {
	dell := &record.Ref{ID: 1, Name: "Dell", Slug: "dell"}
	supermicro := &record.Ref{ID: 2, Name: "Supermicro", Slug: "supermicro"}
	bound := record.Platform{ID: 10, Name: "Ubuntu 24.04 LTS", Slug: "ubuntu-24-04-lts", Manufacturer: dell}
	base := func(v44 bool, ps ...record.Platform) record.Snapshot {
		nb := snapshot("active", "", "", ps...)
		nb.Device.Manufacturer = supermicro
		nb.PlatformSlugPerManufacturer = v44
		return nb
	}
	h := newHost("Ubuntu 24.04 LTS", "")

	t.Run("NetBox 4.3: one platform per name, so the change is blocked", func(t *testing.T) {
		p := Compute(h, base(false, bound), Options{})
		c := changeOf(t, p, ObjectDevice, "web01", "platform")
		assert.Contains(t, c.Blocked, `NetBox's platform "Ubuntu 24.04 LTS" is limited to devices of manufacturer Dell, and this device's type is by Supermicro`)
		assert.Zero(t, c.NewID)
		for _, c := range p.Changes {
			assert.NotEqual(t, ObjectPlatform, c.ObjectType, "nothing to create on 4.3")
		}
	})
	t.Run("NetBox 4.4+: a platform of no manufacturer, its slug unique among those", func(t *testing.T) {
		p := Compute(h, base(true, bound), Options{})
		create := changeOf(t, p, ObjectPlatform, "Ubuntu 24.04 LTS", "")
		assert.Equal(t, "ubuntu-24-04-lts", create.Slug, "the Dell platform's slug is its manufacturer's")
		assert.Empty(t, create.Blocked)
		c := changeOf(t, p, ObjectDevice, "web01", "platform")
		assert.Equal(t, create.Key, c.NewKey)
		assert.Empty(t, c.Blocked)

		unboundTaken := record.Platform{ID: 11, Name: "Other", Slug: "ubuntu-24-04-lts"}
		p = Compute(h, base(true, bound, unboundTaken), Options{})
		assert.Equal(t, "ubuntu-24-04-lts-2", changeOf(t, p, ObjectPlatform, "Ubuntu 24.04 LTS", "").Slug)
		p = Compute(h, base(false, unboundTaken), Options{})
		assert.Equal(t, "ubuntu-24-04-lts-2", changeOf(t, p, ObjectPlatform, "Ubuntu 24.04 LTS", "").Slug)
	})
	t.Run("a platform of no manufacturer or of the device type's is used", func(t *testing.T) {
		mine := record.Platform{ID: 12, Name: "ubuntu 24.04 lts", Slug: "u24-sm", Manufacturer: supermicro}
		free := record.Platform{ID: 13, Name: "Ubuntu 24.04 LTS", Slug: "u24"}
		p := Compute(h, base(false, bound, free, mine), Options{})
		assert.Equal(t, int64(12), changeOf(t, p, ObjectDevice, "web01", "platform").NewID, "the device type's manufacturer's first")
		p = Compute(h, base(false, bound, free), Options{})
		assert.Equal(t, int64(13), changeOf(t, p, ObjectDevice, "web01", "platform").NewID)
	})
}

func TestRequiredCustomFields(t *testing.T) {
	h := newHost("", "SN-NEW")
	h.Network.Interfaces = []host.Interface{
		{Name: "eth0", Type: "1000base-t"},
		{Name: "eth9", Type: "1000base-t", IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.9/24")}},
	}
	nb := snapshot("active", "", "OLD")
	nb.CustomFieldsRead = true
	nb.CustomFields = []record.CustomField{
		{Name: "owner", ObjectTypes: []string{ObjectInterface}, Required: true},
		{Name: "tier", ObjectTypes: []string{ObjectIPAddress}, Required: true, HasDefault: true},
		{Name: "ticket", ObjectTypes: []string{ObjectDevice, ObjectJournalEntry}, Required: true},
		{Name: "note", ObjectTypes: []string{ObjectInterface}},
	}
	nb.Device.CustomFields = record.CustomFieldValues{"ticket": true}
	nb.Interfaces = []record.Interface{{ID: 5, Name: "eth0", Type: "other", Enabled: true, CustomFields: record.CustomFieldValues{"owner": false, "note": false}}}

	p := Compute(h, nb, Options{})
	create := changeOf(t, p, ObjectInterface, "eth9", "")
	assert.Contains(t, create.Blocked, `NetBox requires custom field "owner" on dcim.interface`)
	assert.Contains(t, create.Blocked, "CMDB_CUSTOM_FIELDS")
	assert.Contains(t, changeOf(t, p, ObjectInterface, "eth0", FieldType).Blocked, `"owner"`, "eth0 has no owner: NetBox refuses every save of it")
	assert.Contains(t, changeOf(t, p, ObjectIPAddress, "192.0.2.9/24", "").Blocked, `depends on interface "eth9"`, "not its own field: tier has a default")
	assert.Empty(t, changeOf(t, p, ObjectDevice, "web01", "serial").Blocked, "the device has its ticket")
	assert.Contains(t, p.JournalBlocked, `"ticket" on journal entries`)
	n := noteWith(p, `Custom field "owner"`)
	assert.Contains(t, n, "blocks update eth0 type, create eth9")

	values := map[string]map[string]any{
		ObjectInterface:    {"owner": "infra", "note": "synced"},
		ObjectJournalEntry: {"ticket": "CHG-1"},
		ObjectVM:           {"ghost": 1},
	}
	nb.CustomFields = append(nb.CustomFields, record.CustomField{Name: "other", ObjectTypes: []string{ObjectVM}},
		record.CustomField{Name: "rack", ObjectTypes: []string{ObjectInterface}, Required: true, HasDefault: true, Default: json.RawMessage(`"R1"`)})
	nb.Interfaces[0].CustomFields["rack"] = true
	p = Compute(h, nb, Options{CustomFields: values})
	create = changeOf(t, p, ObjectInterface, "eth9", "")
	assert.Empty(t, create.Blocked)
	assert.Equal(t, map[string]any{"owner": "infra", "note": "synced", "rack": json.RawMessage(`"R1"`)}, create.CustomFields,
		"a create carries every value of its type, and the defaults NetBox then no longer fills")
	update := changeOf(t, p, ObjectInterface, "eth0", FieldType)
	assert.Empty(t, update.Blocked)
	assert.Equal(t, map[string]any{"owner": "infra"}, update.CustomFields, "an update only what NetBox requires and the object lacks")
	assert.Nil(t, changeOf(t, p, ObjectIPAddress, "192.0.2.9/24", "").CustomFields)
	assert.Empty(t, p.JournalBlocked)
	assert.Equal(t, map[string]any{"ticket": "CHG-1"}, p.JournalCustomFields)

	// An object older than a required field's default gets the default.
	nb.Interfaces[0].CustomFields["rack"] = false
	p = Compute(h, nb, Options{CustomFields: values})
	assert.Equal(t, map[string]any{"owner": "infra", "rack": json.RawMessage(`"R1"`)}, changeOf(t, p, ObjectInterface, "eth0", FieldType).CustomFields)
	assert.Contains(t, noteWith(p, "ghost"), `NetBox has no custom field "ghost" on virtualization.virtualmachine`)
}

func TestUnreadParts(t *testing.T) {
	h := newHost("Debian 13", "")
	h.Network.Interfaces = []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01"}}
	h.Containers = host.Containers{Available: true, Containers: []host.Container{{Name: "web", Image: "nginx", Running: true}}}
	nb := snapshot("active", "", "")
	nb.Unread = []record.Unread{
		{Part: record.PartContainers, ObjectType: "virtualization.clustergroup"},
		{Part: record.PartMACs, ObjectType: "dcim.macaddress"},
		{Part: record.PartPlatforms, ObjectType: "dcim.platform"},
		{Part: record.PartCustomFields, ObjectType: "extras.customfield"},
	}
	p := Compute(h, nb, Options{})
	require.Equal(t, []string{`CREATE dcim.interface. ""->""`}, rows(p), "only what needs none of them")
	assert.Contains(t, noteWith(p, "Docker containers"), "may not view virtualization.clustergroup objects")
	assert.Contains(t, noteWith(p, "MAC addresses"), "may not view dcim.macaddress objects")
	assert.Contains(t, noteWith(p, "Platform"), "may not view dcim.platform objects")
	assert.Contains(t, noteWith(p, "Custom fields"), "may not view extras.customfield objects")
}

func TestParseCustomFields(t *testing.T) {
	got, err := ParseCustomFields(` {"dcim.interface": {"owner": "infra", "rack_units": 2}} `)
	require.NoError(t, err)
	assert.Equal(t, "infra", got[ObjectInterface]["owner"])
	assert.Equal(t, json.Number("2"), got[ObjectInterface]["rack_units"], "numbers are sent as they were written")
	none, err := ParseCustomFields("")
	require.NoError(t, err)
	assert.Nil(t, none)
	for in, want := range map[string]string{
		`{"dcim.interface": "infra"}`:       "want a JSON object of values by object type",
		`{"dcim.site": {"owner": "x"}}`:     `"dcim.site" is not an object type a sync writes`,
		`{"dcim.interface": {"": 1}}`:       "empty name",
		`[1, 2]`:                            "want a JSON object",
		`{"dcim.interface": {"a": 1}} junk`: "text after the JSON object",
	} {
		_, err := ParseCustomFields(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), `e.g. {"dcim.interface"`, "names the fix: %s", in)
	}
}
