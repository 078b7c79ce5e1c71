package netbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

const (
	clusterTypesPath    = "/api/virtualization/cluster-types/"
	clusterGroupsPath   = "/api/virtualization/cluster-groups/"
	clustersPath        = "/api/virtualization/clusters/"
	virtualMachinesPath = "/api/virtualization/virtual-machines/"
)

// ListClusterTypes reads the cluster types with the slug (unique, so at
// most one), or every cluster type for an empty slug.
func (c *Client) ListClusterTypes(ctx context.Context, slug string) ([]record.ClusterType, error) {
	return listJSON(ctx, c, clusterTypesPath, slugQuery(slug), clusterTypeFrom)
}

// ListClusterGroups reads the cluster groups with the slug (unique, so at
// most one), or every cluster group for an empty slug.
func (c *Client) ListClusterGroups(ctx context.Context, slug string) ([]record.ClusterGroup, error) {
	return listJSON(ctx, c, clusterGroupsPath, slugQuery(slug), clusterGroupFrom)
}

func slugQuery(slug string) url.Values {
	if slug == "" {
		return nil
	}
	return url.Values{"slug": {slug}}
}

// listClusters reads every cluster of the cluster group, one request per
// 1000.
func (c *Client) listClusters(ctx context.Context, groupID int64) ([]record.Cluster, error) {
	if groupID <= 0 {
		// No group_id would list the clusters of every host.
		return nil, fmt.Errorf("netbox: GET %s: group id %d: pass the id of the cluster group whose clusters to read", clustersPath, groupID)
	}
	return listJSON(ctx, c, clustersPath, url.Values{"group_id": {strconv.FormatInt(groupID, 10)}}, clusterFrom)
}

// listVirtualMachinesInGroup reads the VMs of every cluster of the cluster
// group (NetBox's cluster_group_id filter), one request per 1000, without
// config contexts.
func (c *Client) listVirtualMachinesInGroup(ctx context.Context, groupID int64) ([]record.VirtualMachine, error) {
	if groupID <= 0 {
		// No cluster_group_id would list the VMs of every host.
		return nil, fmt.Errorf("netbox: GET %s: group id %d: pass the id of the cluster group whose VMs to read", virtualMachinesPath, groupID)
	}
	q := url.Values{"exclude": {"config_context"}, "cluster_group_id": {strconv.FormatInt(groupID, 10)}}
	return listJSON(ctx, c, virtualMachinesPath, q, virtualMachineFrom)
}

// ListVirtualMachines reads the VMs of any of the clusters: one request per
// 100 clusters (and per 1000 VMs), NetBox ORing the cluster ids. No
// clusters make no request. Config contexts, which NetBox renders for
// every VM at some cost, are not asked for.
func (c *Client) ListVirtualMachines(ctx context.Context, clusterIDs []int64) ([]record.VirtualMachine, error) {
	q := url.Values{"exclude": {"config_context"}}
	return listJSONAnyOf(ctx, c, virtualMachinesPath, q, "cluster_id", formatIDs(clusterIDs), virtualMachineFrom)
}

// CreateClusterType creates one cluster type. NetBox never generates
// slugs: in.Slug is required.
func (c *Client) CreateClusterType(ctx context.Context, in ClusterTypeCreate, w WriteOptions) (record.ClusterType, error) {
	return createOne(ctx, c, clusterTypesPath, in, w, clusterTypeFrom)
}

// CreateClusterGroup creates one cluster group. NetBox never generates
// slugs: in.Slug is required (HostClusterGroupSlug for a host's group).
func (c *Client) CreateClusterGroup(ctx context.Context, in ClusterGroupCreate, w WriteOptions) (record.ClusterGroup, error) {
	return createOne(ctx, c, clusterGroupsPath, in, w, clusterGroupFrom)
}

// CreateClusters creates the clusters in one bulk request and returns them
// as saved, in the order of in. NetBox creates all or none. An empty in
// makes no request; above 1000 see bulkWrite.
func (c *Client) CreateClusters(ctx context.Context, in []ClusterCreate, w WriteOptions) ([]record.Cluster, error) {
	return bulkCreate(ctx, c, clustersPath, in, w, clusterFrom)
}

// CreateVirtualMachines creates the VMs in one bulk request and returns
// them as saved, in the order of in. NetBox creates all or none. VCPUs
// and MemoryMB of 0 and an empty Status are not sent (NetBox leaves vcpus
// and memory empty and makes the VM active). An empty in makes no request;
// above 1000 see bulkWrite.
func (c *Client) CreateVirtualMachines(ctx context.Context, in []VirtualMachineCreate, w WriteOptions) ([]record.VirtualMachine, error) {
	return bulkCreate(ctx, c, virtualMachinesPath, in, w, virtualMachineFrom)
}

// UpdateVirtualMachines PATCHes the VMs in one bulk request, each with only
// its non-nil fields, and returns them as saved, in the order of in. For
// Cluster, Role, VCPUs and MemoryMB a pointer to 0 clears the field (sends
// null).
func (c *Client) UpdateVirtualMachines(ctx context.Context, in []VirtualMachineUpdate, w WriteOptions) ([]record.VirtualMachine, error) {
	return bulkUpdate(ctx, c, virtualMachinesPath, in, w, func(u VirtualMachineUpdate) int64 { return u.ID }, virtualMachineFrom, func(v record.VirtualMachine) int64 { return v.ID })
}

// MarshalJSON leaves out vcpus and memory of 0 ("not set" in the domain
// types; NetBox's minimum vcpus is 0.01) and an empty status.
func (v VirtualMachineCreate) MarshalJSON() ([]byte, error) {
	type fields VirtualMachineCreate
	f := fields(v)
	if f.VCPUs != nil && *f.VCPUs == 0 {
		f.VCPUs = nil
	}
	if f.MemoryMB != nil && *f.MemoryMB == 0 {
		f.MemoryMB = nil
	}
	return json.Marshal(struct {
		fields
		// Shadows fields.Status, which is sent even when empty.
		Status string `json:"status,omitempty"`
	}{f, v.Status})
}

// MarshalJSON writes the bulk-update object: id and the non-nil fields,
// null for a Cluster, Role, VCPUs or MemoryMB pointing to 0.
func (u VirtualMachineUpdate) MarshalJSON() ([]byte, error) {
	type fields VirtualMachineUpdate
	return json.Marshal(struct {
		fields
		// These shadow the fields of the same names.
		Cluster  *nullID     `json:"cluster,omitempty"`
		Role     *nullID     `json:"role,omitempty"`
		VCPUs    *nullNumber `json:"vcpus,omitempty"`
		MemoryMB *nullNumber `json:"memory,omitempty"`
	}{fields(u), nullIDPtr(u.Cluster), nullIDPtr(u.Role), nullNumberPtr(u.VCPUs), nullNumberPtr(u.MemoryMB)})
}

type wireSlugged struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func clusterTypeFrom(w *wireSlugged) record.ClusterType {
	return record.ClusterType{ID: w.ID, Name: w.Name, Slug: w.Slug}
}

func clusterGroupFrom(w *wireSlugged) record.ClusterGroup {
	return record.ClusterGroup{ID: w.ID, Name: w.Name, Slug: w.Slug}
}

type wireCluster struct {
	ID     int64      `json:"id"`
	Name   string     `json:"name"`
	Type   *wireRef   `json:"type"`
	Group  *wireRef   `json:"group"`
	Status wireChoice `json:"status"`
}

func clusterFrom(w *wireCluster) record.Cluster {
	out := record.Cluster{ID: w.ID, Name: w.Name, Group: w.Group.ref(), Status: string(w.Status)}
	if t := w.Type.ref(); t != nil {
		out.Type = *t
	}
	return out
}

type wireVirtualMachine struct {
	ID           int64            `json:"id"`
	Name         string           `json:"name"`
	Status       wireChoice       `json:"status"`
	Cluster      *wireRef         `json:"cluster"`
	Device       *wireRef         `json:"device"`
	Role         *wireRef         `json:"role"`
	VCPUs        wireNumber       `json:"vcpus"`
	Memory       *int64           `json:"memory"`
	Description  string           `json:"description"`
	Comments     string           `json:"comments"`
	CustomFields wireCustomFields `json:"custom_fields"`
}

func virtualMachineFrom(w *wireVirtualMachine) record.VirtualMachine {
	return record.VirtualMachine{
		ID:          w.ID,
		Name:        w.Name,
		Status:      string(w.Status),
		ClusterID:   w.Cluster.id(),
		DeviceID:    w.Device.id(),
		Role:        w.Role.ref(),
		VCPUs:       float64(w.VCPUs),
		MemoryMB:    deref(w.Memory),
		Description: w.Description,
		Comments:    w.Comments,

		CustomFields: w.CustomFields.values(),
	}
}
