package bench

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
)

// Limit is the fewest NetBox requests a sync of the scenario can make, as
// the project defines it: 6 reads (device, interfaces, MACs, IPs, clusters,
// VMs; one per page of 1000 objects), one request per (endpoint, verb)
// written (per 1000 objects), and the journal entry.
type Limit struct {
	Reads   int
	Writes  int
	Journal int
	// Endpoints are the (verb endpoint: objects) written, sorted.
	Endpoints []string
}

// Total is the limit in requests.
func (l Limit) Total() int { return l.Reads + l.Writes + l.Journal }

func pages(n int) int {
	if n <= 0 {
		return 1
	}
	return (n + maxPage - 1) / maxPage
}

// physicalLimit computes the limit of a plan made on the fixture's state.
func physicalLimit(fx Fixture, p diff.Plan) Limit {
	s := fx.NetBox
	macs := 0
	for _, i := range s.Interfaces {
		if i.MAC != "" {
			macs++
		}
	}
	l := Limit{
		Reads: 1 + pages(len(s.Interfaces)) + pages(macs) + pages(len(s.IPs)) + pages(len(s.Clusters)) + pages(len(s.VMs)),
	}
	objects := map[string]int{}
	for _, c := range p.Changes {
		if c.Action == diff.ActionRefresh && !p.Full {
			continue
		}
		objects[endpointOf(c)]++
	}
	for ep, n := range objects {
		reqs := pages(n)
		if strings.HasPrefix(ep, "PATCH dcim/devices/{id}") {
			reqs = 1 // one PATCH carries every device field
		}
		l.Writes += reqs
		l.Endpoints = append(l.Endpoints, fmt.Sprintf("%s: %d", ep, n))
	}
	sort.Strings(l.Endpoints)
	if len(objects) > 0 {
		l.Journal = 1
	}
	return l
}

// endpointOf is the verb and endpoint that writes a change.
func endpointOf(c diff.Change) string {
	verb := "PATCH"
	if c.Action == diff.ActionCreate {
		verb = "POST"
	}
	route := map[string]string{
		diff.ObjectDevice:       "dcim/devices/{id}",
		diff.ObjectPlatform:     "dcim/platforms",
		diff.ObjectInterface:    "dcim/interfaces",
		diff.ObjectMACAddress:   "dcim/mac-addresses",
		diff.ObjectIPAddress:    "ipam/ip-addresses",
		diff.ObjectDeviceRole:   "dcim/device-roles",
		diff.ObjectClusterType:  "virtualization/cluster-types",
		diff.ObjectClusterGroup: "virtualization/cluster-groups",
		diff.ObjectCluster:      "virtualization/clusters",
		diff.ObjectVM:           "virtualization/virtual-machines",
	}[c.ObjectType]
	if route == "" {
		route = c.ObjectType
	}
	return verb + " " + route
}
