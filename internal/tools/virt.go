package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// The virtualization tools: clusters and the VMs that model a host's
// Docker containers.

// Cluster is a NetBox cluster as the tools return it.
type Cluster struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   Ref    `json:"type"`
	Group  *Ref   `json:"group,omitempty"`
	Status string `json:"status"`
	URL    string `json:"url"`
}

func cluster(nb *netbox.Client, c record.Cluster) Cluster {
	return Cluster{ID: c.ID, Name: c.Name, Type: Ref{ID: c.Type.ID, Name: c.Type.Name}, Group: ref(c.Group), Status: c.Status, URL: nb.WebURL("virtualization/clusters", c.ID)}
}

// ListClustersInput is the input of virt_list_clusters.
type ListClustersInput struct {
	Name    string `json:"name,omitempty" jsonschema:"Exact, ignoring case"`
	GroupID int64  `json:"group_id,omitempty"`
	TypeID  int64  `json:"type_id,omitempty"`
	Paging
}

// ListClustersOutput is the output of virt_list_clusters.
type ListClustersOutput struct {
	Clusters []Cluster `json:"clusters"`
	ListInfo
}

func listClusters(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_list_clusters",
		mcp.WithDescription("List clusters (a host's Docker containers live in clusters of type Docker Compose)."),
		inputSchema[ListClustersInput](),
		netboxOutput[ListClustersOutput](),
		hints(readHints, "List clusters"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListClustersInput) (ListClustersOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListClustersOutput{}, err
		}
		got, err := nb.ClustersPage(ctx, netbox.ClusterQuery{Name: strings.TrimSpace(in.Name), GroupID: in.GroupID, TypeID: in.TypeID}, page)
		if err != nil {
			return ListClustersOutput{}, invalidFilter(err, "group_id or type_id", "virt_list_cluster_types")
		}
		out := ListClustersOutput{Clusters: make([]Cluster, 0, len(got.Items))}
		for _, c := range got.Items {
			out.Clusters = append(out.Clusters, cluster(nb, c))
		}
		out.ListInfo = listInfo(page, len(out.Clusters), got.Count, "name, group_id or type_id",
			"No clusters match: create one with virt_create_cluster, or skip the container sync.")
		return out, nil
	})}
}

// CreateClusterInput is the input of virt_create_cluster.
type CreateClusterInput struct {
	Name        string `json:"name"`
	Type        int64  `json:"type" jsonschema:"Cluster type id (virt_list_cluster_types)"`
	Group       int64  `json:"group,omitempty" jsonschema:"Cluster group id"`
	Status      string `json:"status,omitempty" enum:"active|planned|staged|offline|decommissioning"`
	Description string `json:"description,omitempty"`
}

func createCluster(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_create_cluster",
		mcp.WithDescription("Create a cluster of a cluster type, e.g. for a host's containers."),
		inputSchema[CreateClusterInput](),
		netboxOutput[Cluster](),
		hints(createHints, "Create a cluster"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateClusterInput) (Cluster, error) {
		if strings.TrimSpace(in.Name) == "" || in.Type <= 0 {
			return Cluster{}, userErrorf("name and type are required: find the type id with virt_list_cluster_types, or create it with virt_create_cluster_type.")
		}
		c, err := nb.CreateCluster(ctx, netbox.ClusterCreate{Name: strings.TrimSpace(in.Name), Type: in.Type, Group: in.Group, Status: in.Status, Description: in.Description}, toolWrites)
		if err != nil {
			return Cluster{}, err
		}
		return cluster(nb, c), nil
	})}
}

// ListClusterTypesOutput is the output of virt_list_cluster_types.
type ListClusterTypesOutput struct {
	ClusterTypes []Slugged `json:"cluster_types"`
	ListInfo
}

func listClusterTypes(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_list_cluster_types",
		mcp.WithDescription("List cluster types, e.g. Docker Compose."),
		inputSchema[NameFilter](),
		netboxOutput[ListClusterTypesOutput](),
		hints(readHints, "List cluster types"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in NameFilter) (ListClusterTypesOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListClusterTypesOutput{}, err
		}
		got, err := nb.ClusterTypesPage(ctx, netbox.NameQuery{Name: in.Name}, page)
		if err != nil {
			return ListClusterTypesOutput{}, err
		}
		out := ListClusterTypesOutput{ClusterTypes: make([]Slugged, 0, len(got.Items))}
		for _, t := range got.Items {
			out.ClusterTypes = append(out.ClusterTypes, clusterType(nb, t))
		}
		empty := "No cluster types."
		if in.Name != "" {
			empty = fmt.Sprintf("No cluster type named %q: create it with virt_create_cluster_type name=%q.", clip(in.Name, maxEcho), clip(in.Name, maxEcho))
		}
		out.ListInfo = listInfo(page, len(out.ClusterTypes), got.Count, "name", empty)
		return out, nil
	})}
}

func clusterType(nb *netbox.Client, t record.ClusterType) Slugged {
	return Slugged{ID: t.ID, Name: t.Name, Slug: t.Slug, URL: nb.WebURL("virtualization/cluster-types", t.ID)}
}

func createClusterType(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_create_cluster_type",
		mcp.WithDescription("Create a cluster type, e.g. \"Docker Compose\"."),
		inputSchema[CreateSluggedInput](),
		netboxOutput[Slugged](),
		hints(createHints, "Create a cluster type"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateSluggedInput) (Slugged, error) {
		name, slug, err := in.slug()
		if err != nil {
			return Slugged{}, err
		}
		t, err := nb.CreateClusterType(ctx, netbox.ClusterTypeCreate{Name: name, Slug: slug}, toolWrites)
		if err != nil {
			return Slugged{}, err
		}
		return clusterType(nb, t), nil
	})}
}

// VM is a NetBox virtual machine as the tools return it.
type VM struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Status      string  `json:"status"`
	ClusterID   int64   `json:"cluster_id"`
	Role        *Ref    `json:"role,omitempty"`
	VCPUs       float64 `json:"vcpus,omitempty"`
	MemoryMB    int64   `json:"memory,omitempty" jsonschema:"MB"`
	Description string  `json:"description,omitempty"`
	URL         string  `json:"url"`
}

func vm(nb *netbox.Client, v record.VirtualMachine) VM {
	return VM{ID: v.ID, Name: v.Name, Status: v.Status, ClusterID: v.ClusterID, Role: ref(v.Role), VCPUs: v.VCPUs, MemoryMB: v.MemoryMB,
		Description: v.Description, URL: nb.WebURL("virtualization/virtual-machines", v.ID)}
}

// ListVMsInput is the input of virt_list_vms.
type ListVMsInput struct {
	Cluster int64  `json:"cluster,omitempty" jsonschema:"Cluster id"`
	Name    string `json:"name,omitempty" jsonschema:"Exact, ignoring case"`
	Paging
}

// ListVMsOutput is the output of virt_list_vms.
type ListVMsOutput struct {
	VMs []VM `json:"vms"`
	ListInfo
}

func listVMs(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_list_vms",
		mcp.WithDescription("List virtual machines of a cluster (one per Docker container)."),
		inputSchema[ListVMsInput](),
		netboxOutput[ListVMsOutput](),
		hints(readHints, "List VMs"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in ListVMsInput) (ListVMsOutput, error) {
		page, err := in.page()
		if err != nil {
			return ListVMsOutput{}, err
		}
		got, err := nb.VirtualMachinesPage(ctx, netbox.VirtualMachineQuery{ClusterID: in.Cluster, Name: strings.TrimSpace(in.Name)}, page)
		if err != nil {
			return ListVMsOutput{}, invalidFilter(err, "cluster", "virt_list_clusters")
		}
		out := ListVMsOutput{VMs: make([]VM, 0, len(got.Items))}
		for _, v := range got.Items {
			out.VMs = append(out.VMs, vm(nb, v))
		}
		out.ListInfo = listInfo(page, len(out.VMs), got.Count, "cluster or name", "No VMs match.")
		return out, nil
	})}
}

// CreateVMInput is the input of virt_create_vm.
type CreateVMInput struct {
	Name        string   `json:"name"`
	Cluster     int64    `json:"cluster" jsonschema:"Cluster id"`
	Status      string   `json:"status,omitempty" enum:"active|offline|planned|staged|failed|decommissioning|paused"`
	Role        int64    `json:"role,omitempty" jsonschema:"Device role id with vm_role"`
	VCPUs       *float64 `json:"vcpus,omitempty"`
	MemoryMB    *int64   `json:"memory,omitempty" jsonschema:"MB"`
	Description string   `json:"description,omitempty"`
}

func createVM(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_create_vm",
		mcp.WithDescription("Create a virtual machine in a cluster, e.g. for a new container."),
		inputSchema[CreateVMInput](),
		netboxOutput[VM](),
		hints(createHints, "Create a VM"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in CreateVMInput) (VM, error) {
		if strings.TrimSpace(in.Name) == "" || in.Cluster <= 0 {
			return VM{}, userErrorf("name and cluster are required: find the cluster id with virt_list_clusters.")
		}
		v, err := nb.CreateVirtualMachine(ctx, netbox.VirtualMachineCreate{
			Name: strings.TrimSpace(in.Name), Cluster: in.Cluster, Status: in.Status, Role: in.Role,
			VCPUs: in.VCPUs, MemoryMB: in.MemoryMB, Description: in.Description,
		}, toolWrites)
		if err != nil {
			return VM{}, err
		}
		return vm(nb, v), nil
	})}
}

// UpdateVMInput is the input of virt_update_vm.
type UpdateVMInput struct {
	ID          int64    `json:"id"`
	Status      string   `json:"status,omitempty" enum:"active|offline|planned|staged|failed|decommissioning|paused"`
	Cluster     int64    `json:"cluster,omitempty" jsonschema:"Move to this cluster id"`
	Role        int64    `json:"role,omitempty"`
	VCPUs       *float64 `json:"vcpus,omitempty"`
	MemoryMB    *int64   `json:"memory,omitempty" jsonschema:"MB"`
	Description *string  `json:"description,omitempty"`
	Comments    *string  `json:"comments,omitempty"`
}

func updateVM(nb *netbox.Client) Tool {
	def := mcp.NewTool("virt_update_vm",
		mcp.WithDescription("Update a virtual machine, e.g. status=offline for a stopped container. Absent fields stay as they are."),
		inputSchema[UpdateVMInput](),
		netboxOutput[VM](),
		hints(updateHints, "Update a VM"),
	)
	return Tool{Definition: def, Handler: structured(func(ctx context.Context, in UpdateVMInput) (VM, error) {
		if err := requireID("id", in.ID, "virt_list_vms cluster=<cluster id>"); err != nil {
			return VM{}, err
		}
		u := netbox.VirtualMachineUpdate{ID: in.ID, VCPUs: in.VCPUs, MemoryMB: in.MemoryMB, Description: in.Description, Comments: in.Comments}
		if in.Status != "" {
			u.Status = &in.Status
		}
		if in.Cluster != 0 {
			u.Cluster = &in.Cluster
		}
		if in.Role != 0 {
			u.Role = &in.Role
		}
		if u == (netbox.VirtualMachineUpdate{ID: in.ID}) {
			return VM{}, userErrorf("Nothing to update: pass at least one of status, cluster, role, vcpus, memory, description, comments.")
		}
		v, err := nb.UpdateVirtualMachine(ctx, u, toolWrites)
		if err != nil {
			return VM{}, notFound(err, "No VM with id %d in NetBox: find it with virt_list_vms cluster=<cluster id>.", in.ID)
		}
		return vm(nb, v), nil
	})}
}
