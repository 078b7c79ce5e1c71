package report

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

func TestRegisterMarkdown(t *testing.T) {
	h := host.Host{
		Hostname: "web01",
		OS:       host.OS{Platform: "Debian 12"},
		Hardware: host.Hardware{Serial: "SN|1", Manufacturer: "QEMU", Model: "Standard PC"},
		Network: host.Network{
			Interfaces:  []host.Interface{{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01", AdminUp: true, IPv4: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/24")}}},
			PrimaryIPv4: netip.MustParsePrefix("192.0.2.10/24"),
		},
		Containers: host.Containers{Available: true, Containers: []host.Container{{Name: "db", Image: "postgres:16", State: "running", Running: true, Role: "Database"}}},
	}
	r := diff.Registration{
		Site:         record.Site{ID: 1, Name: "Berlin", Slug: "ber"},
		Role:         record.DeviceRole{ID: 2, Name: "Server", Slug: "server"},
		Manufacturer: record.Manufacturer{Name: "QEMU", Slug: "qemu"},
		DeviceType:   record.DeviceType{Model: "Standard PC", Slug: "standard-pc"},
	}
	p := diff.Register(h, record.Snapshot{}, r, diff.Options{})
	want := "## Register Report\n\n" +
		"**Device:** web01 (not in NetBox yet: will be created)\n\n" +
		"### Device (will create)\n" +
		"| Field | Value |\n|-------|-------|\n" +
		"| Name | web01 |\n" +
		"| Site | Berlin |\n" +
		"| Role | Server |\n" +
		"| Manufacturer | QEMU (new in NetBox, slug qemu) |\n" +
		"| Device type | Standard PC (new in NetBox, slug standard-pc) |\n" +
		"| Status | active |\n" +
		"| Platform | Debian 12 (new in NetBox, slug debian-12; set by the first sync) |\n" +
		"| Serial | SN\\|1 |\n\n" +
		"### First Sync (in the same confirmation)\n\n" +
		"### Network Interfaces\n\n" +
		"#### New Interfaces (will create)\n" +
		"| Interface | Type | MAC | IPs |\n|-----------|------|-----|-----|\n" +
		"| eth0 | 1000base-t | 02:00:00:00:00:01 | 192.0.2.10/24 |\n\n" +
		"### IP Addresses\n\n" +
		"#### New IPs (will create)\n- 192.0.2.10/24 on eth0\n\n" +
		"#### Primary IP\n- primary_ip4: - -> 192.0.2.10/24 (UPDATE)\n\n" +
		"### Docker Containers\n\n" +
		"#### NetBox Objects for Containers (will create)\n" +
		"| Object | Name | Why |\n|--------|------|-----|\n" +
		"| clustertype | Docker Compose | cluster type for Docker Compose projects |\n" +
		"| clustergroup | web01 containers (device &lt;new id&gt;) | one cluster group per host keeps its clusters apart from other hosts' |\n" +
		"| cluster | standalone containers | containers outside compose |\n" +
		"| devicerole | Database | role for containers |\n\n" +
		"NetBox has no cluster for some of these containers yet. **Create them, or skip the containers:** to sync without creating clusters, diff again with `no_create_clusters` (CLI: `--no-create-clusters`); the containers are then left out and the rest is synced.\n\n" +
		"#### New Containers (will create VMs)\n" +
		"| Container | Image | Role |\n|-----------|-------|------|\n" +
		"| db | postgres:16 | Database |\n\n" +
		"### Summary\n" +
		"- **Creates:** 11 (the device, its device type and manufacturer, and 8 of the first sync)\n" +
		"- **Updates:** 2\n" +
		"- **Removals/Offline:** 0\n\n" +
		"Nothing is written before the user confirms; nothing is ever deleted.\n"
	assert.Equal(t, want, RegisterMarkdown(p))

	// An existing device type and platform, and what to know.
	r.Manufacturer = record.Manufacturer{ID: 3, Name: "QEMU", Slug: "qemu"}
	r.DeviceType = record.DeviceType{ID: 4, Model: "Standard PC", Slug: "standard-pc", InterfaceTemplates: 2}
	h.Containers = host.Containers{}
	h.Hardware.Serial = ""
	p = diff.Register(h, record.Snapshot{Platforms: []record.Platform{{ID: 5, Name: "Debian 12", Slug: "debian-12"}}, Similar: []string{"web01.lan"}}, r, diff.Options{})
	got := RegisterMarkdown(p)
	assert.Contains(t, got, "| Manufacturer | QEMU |\n| Device type | Standard PC |\n")
	assert.Contains(t, got, "| Platform | Debian 12 |\n| Serial | - |\n")
	assert.Contains(t, got, "### Notes\n- Serial: unknown on this host")
	assert.Contains(t, got, "2 interfaces of device type Standard PC's templates")
	assert.Contains(t, got, `NetBox has "web01.lan", which may be this host`)
	assert.Contains(t, got, "- **Creates:** 3 (the device, and 2 of the first sync)\n")
	assert.NotContains(t, got, "NetBox's value is kept", "a register has no NetBox value to keep")
}
