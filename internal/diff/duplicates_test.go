package diff

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// TestDuplicates: two syncs that raced (or anything else) can leave an
// interface with two MAC objects of the host's MAC, or the device with an
// address twice. The plan keeps one (the primary, else the one where the
// host has it, else the oldest), unassigns the others, never deletes, and
// says so in a note.
func TestDuplicates(t *testing.T) {
	eth0 := record.Interface{ID: 10, DeviceID: 7, Name: "eth0", Type: "1000base-t", Enabled: true}
	eth1 := record.Interface{ID: 11, DeviceID: 7, Name: "eth1", Type: "1000base-t", Enabled: true}
	withPrimaryMAC := func(i record.Interface, id int64) record.Interface {
		i.PrimaryMAC = &record.Ref{ID: id, Name: "02:00:00:00:00:01"}
		return i
	}
	mac := func(id, iface int64) record.MACAddress {
		return record.MACAddress{ID: id, MAC: "02:00:00:00:00:01", InterfaceID: iface, DeviceID: 7}
	}
	ip := func(id, iface int64, addr string) record.IPAddress {
		return record.IPAddress{ID: id, Address: addr, Status: "active", AssignedObjectType: "dcim.interface", AssignedObjectID: iface, DeviceID: 7}
	}
	h := host.Host{Hostname: "web01", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01", IPv4: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}},
		{Name: "eth1", Type: "1000base-t"},
	}}}
	snap := func(ifs []record.Interface, macs []record.MACAddress, ips []record.IPAddress, primary int64) record.Snapshot {
		s := record.Snapshot{Found: true, Device: record.Device{ID: 7, Name: "web01", Status: "active"}, Interfaces: ifs, MACs: macs, IPs: ips}
		if primary != 0 {
			s.Device.PrimaryIP4 = &record.Ref{ID: primary, Name: "10.0.0.1/24"}
		}
		return s
	}
	tests := []struct {
		name  string
		nb    record.Snapshot
		rows  []string
		notes []string
	}{
		{"two MAC objects, one primary: the other goes",
			snap([]record.Interface{withPrimaryMAC(eth0, 21), eth1}, []record.MACAddress{mac(20, 10), mac(21, 10)}, []record.IPAddress{ip(30, 10, "10.0.0.1/24")}, 30),
			[]string{`UNASSIGN dcim.macaddress.assigned_object "eth0"->"" (Duplicate of MAC object 21 on eth0)`},
			[]string{"Duplicate in NetBox: eth0 has 2 MAC objects with 02:00:00:00:00:01 (ids 20, 21); all but 21 are unassigned, none deleted."}},
		{"two MAC objects, none primary: the oldest becomes primary",
			snap([]record.Interface{eth0, eth1}, []record.MACAddress{mac(22, 10), mac(20, 10)}, []record.IPAddress{ip(30, 10, "10.0.0.1/24")}, 30),
			[]string{
				`UNASSIGN dcim.macaddress.assigned_object "eth0"->"" (Duplicate of MAC object 20 on eth0)`,
				`UPDATE dcim.interface.mac_address ""->"02:00:00:00:00:01" (MAC address different) new_id=20`,
			},
			[]string{"Duplicate in NetBox: eth0 has 2 MAC objects with 02:00:00:00:00:01 (ids 20, 22); all but 20 are unassigned, none deleted."}},
		{"an address twice: the primary stays",
			snap([]record.Interface{withPrimaryMAC(eth0, 20), eth1}, []record.MACAddress{mac(20, 10)}, []record.IPAddress{ip(30, 10, "10.0.0.1/24"), ip(31, 10, "10.0.0.1/24")}, 31),
			[]string{`UNASSIGN ipam.ipaddress.assigned_object "eth0"->"" (Duplicate of IP 31 (10.0.0.1/24 on eth0))`},
			[]string{"Duplicate in NetBox: 10.0.0.1 is on this device 2 times (IP ids 30, 31); all but 31 are unassigned, none deleted."}},
		{"an address twice, on two interfaces: the one where the host has it stays",
			snap([]record.Interface{withPrimaryMAC(eth0, 20), eth1}, []record.MACAddress{mac(20, 10)}, []record.IPAddress{ip(30, 11, "10.0.0.1/24"), ip(31, 10, "10.0.0.1/24")}, 0),
			[]string{
				`UNASSIGN ipam.ipaddress.assigned_object "eth1"->"" (Duplicate of IP 31 (10.0.0.1/24 on eth0))`,
			},
			[]string{"Duplicate in NetBox: 10.0.0.1 is on this device 2 times (IP ids 30, 31); all but 31 are unassigned, none deleted."}},
		{"an address the host lacks, twice: both go, as any such address",
			snap([]record.Interface{withPrimaryMAC(eth0, 20), eth1}, []record.MACAddress{mac(20, 10)}, []record.IPAddress{ip(30, 10, "10.0.0.1/24"), ip(40, 11, "10.9.9.9/24"), ip(41, 11, "10.9.9.9/24")}, 30),
			[]string{
				`UNASSIGN ipam.ipaddress.assigned_object "eth1"->"" (Not found locally)`,
				`UNASSIGN ipam.ipaddress.assigned_object "eth1"->"" (Not found locally)`,
			},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compute(h, tt.nb, Options{})
			var got []string
			for _, c := range p.Changes {
				if c.ObjectType == ObjectDevice {
					continue // the primary IP, tested elsewhere
				}
				r := string(c.Action) + " " + c.ObjectType + "." + c.Field + " \"" + c.Old + "\"->\"" + c.New + "\" (" + c.Reason + ")"
				if c.NewID != 0 {
					r += " new_id=" + strconv.FormatInt(c.NewID, 10)
				}
				got = append(got, r)
			}
			assert.Equal(t, tt.rows, got)
			var dups []string
			for _, n := range p.Notes {
				if strings.HasPrefix(n, "Duplicate") {
					dups = append(dups, n)
				}
			}
			assert.Equal(t, tt.notes, dups)
			for _, c := range p.Changes {
				assert.NotEqual(t, "DELETE", string(c.Action))
			}
		})
	}
}

// TestMACOnAVMInterfaceIsNotTaken: a free MAC object of the host's MAC is
// reused; one on a VM interface is another machine's, and a new one is made.
func TestMACOnAVMInterfaceIsNotTaken(t *testing.T) {
	h := host.Host{Hostname: "web01", Network: host.Network{Interfaces: []host.Interface{
		{Name: "eth0", Type: "1000base-t", MAC: "02:00:00:00:00:01"},
	}}}
	for _, tt := range []struct {
		name   string
		mac    record.MACAddress
		reused bool
	}{
		{"free", record.MACAddress{ID: 50, MAC: "02:00:00:00:00:01"}, true},
		{"on a VM interface", record.MACAddress{ID: 50, MAC: "02:00:00:00:00:01", AssignedElsewhere: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nb := record.Snapshot{Found: true, Device: record.Device{ID: 7, Name: "web01", Status: "active"},
				Interfaces: []record.Interface{{ID: 10, DeviceID: 7, Name: "eth0", Type: "1000base-t", Enabled: true}},
				MACs:       []record.MACAddress{tt.mac}}
			p := Compute(h, nb, Options{})
			var reused, created bool
			for _, c := range p.Changes {
				reused = reused || (c.ObjectType == ObjectMACAddress && c.ObjectID == 50)
				created = created || (c.ObjectType == ObjectMACAddress && c.Action == ActionCreate)
			}
			assert.Equal(t, tt.reused, reused, "%v", p.Changes)
			assert.Equal(t, !tt.reused, created, "%v", p.Changes)
		})
	}
}
