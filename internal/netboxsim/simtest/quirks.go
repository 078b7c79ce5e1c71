package simtest

import (
	"sync"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/oas"
)

var patchOnce sync.Once

// patchDocument corrects a place where NetBox 4.3's OpenAPI document
// contradicts NetBox, like the quirks of package oas (it belongs there,
// as quirk 10, and should move):
//
// Cluster.allocated_vcpus, allocated_memory and allocated_disk are
// Sum()s that ClusterViewSet annotates over the cluster's virtual
// machines (virtualization/api/views.py). Sum() over no values is NULL,
// so a cluster without VMs (or whose VMs leave the field empty) reads
// "allocated_vcpus": null. The serializer fields do not say allow_null,
// so the document marks them non-nullable.
//
// It runs once, before the first simulator of the process starts, so no
// validation reads the document while it changes.
func patchDocument() {
	patchOnce.Do(func() {
		spec, err := oas.Load()
		if err != nil || spec.Doc == nil || spec.Doc.Components == nil {
			return // the middleware reports the failure
		}
		patchNetwork(spec) // quirks_network.go
		cluster := spec.Doc.Components.Schemas["Cluster"]
		if cluster == nil || cluster.Value == nil {
			return
		}
		for _, name := range []string{"allocated_vcpus", "allocated_memory", "allocated_disk"} {
			if p := cluster.Value.Properties[name]; p != nil && p.Value != nil {
				p.Value.Nullable = true
			}
		}
	})
}
