package diff

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/host"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// Field names of VM changes.
const (
	FieldRole    = "role"
	FieldStatus  = "status"
	FieldVCPUs   = "vcpus"
	FieldMemory  = "memory"
	FieldCluster = "cluster"
	// FieldComments holds a VM's whole image when its description has it
	// shortened.
	FieldComments = "comments"
)

// VM statuses for containers.
const (
	VMActive  = "active"
	VMOffline = "offline"
)

// roleColor is the colour of device roles cmdb-mcp creates for VMs.
const roleColor = "607d8b"

// containerDiffer compares Docker containers with the VMs of this host's
// clusters (seed Phase 3, "Docker Containers"). See netbox.ClusterTypeName
// for how containers map onto NetBox.
type containerDiffer struct {
	host host.Containers
	nb   record.Snapshot
	opts Options
	plan *Plan

	typeID     int64
	typeKey    string
	groupID    int64
	groupKey   string
	clusterID  map[string]int64  // lower-case name -> id
	clusterKey map[string]string // lower-case name -> key of its CREATE
	roleID     map[string]int64
	roleKey    map[string]string
}

func (d *containerDiffer) add(c Change) { d.plan.Changes = append(d.plan.Changes, c) }

func (d *containerDiffer) note(format string, args ...any) {
	d.plan.Notes = append(d.plan.Notes, fmt.Sprintf(format, args...))
}

// clusterName is the cluster a container belongs in.
func clusterName(c host.Container) string {
	if c.ComposeProject != "" {
		return c.ComposeProject
	}
	return record.StandaloneClusterName
}

// writable are the containers whose VM NetBox can take: the clusters
// and roles are made for them only, not for one whose VM is blocked.
func (d *containerDiffer) writable() []host.Container {
	var out []host.Container
	for _, c := range d.host.Containers {
		if tooLong("", c.Name, MaxVMName, "") == "" {
			out = append(out, c)
		}
	}
	return out
}

func (d *containerDiffer) run() {
	if !d.host.Available {
		reason := d.host.Reason
		if reason == "" {
			reason = "Docker not available"
		}
		d.note("Docker containers: skipped: %s.", reason)
		return
	}
	if u, ok := d.nb.IsUnread(record.PartContainers); ok {
		d.note("Docker containers: not synced: the NetBox token's user may not view %s objects. The rest of the sync goes on; to sync containers, grant it view permission on virtualization objects and on dcim.devicerole (NetBox: Admin > Permissions), or leave them out with no_containers.", u.ObjectType)
		return
	}
	if d.opts.ContainerInScope != nil {
		var kept []host.Container
		for _, c := range d.host.Containers {
			if d.opts.ContainerSynced(c.Name) {
				kept = append(kept, c)
			}
		}
		d.host.Containers = kept
	}
	d.clusterID, d.clusterKey = map[string]int64{}, map[string]string{}
	d.roleID, d.roleKey = map[string]int64{}, map[string]string{}
	for _, c := range d.nb.Clusters {
		d.clusterID[strings.ToLower(c.Name)] = c.ID
	}
	if !d.scaffolding() {
		return
	}
	d.roles()
	d.vms()
}

// scaffolding plans the cluster type, this host's group and its clusters.
// It returns false when the containers section is skipped.
func (d *containerDiffer) scaffolding() bool {
	if len(d.host.Containers) > 0 && len(d.writable()) == 0 {
		// Every VM is blocked: nothing to make a cluster for.
		return true
	}
	var missing []string
	if d.nb.ClusterType == nil {
		missing = append(missing, "cluster type "+record.ClusterTypeName)
	}
	if d.nb.ClusterGroup == nil {
		missing = append(missing, "cluster group "+record.HostClusterGroupName(d.nb.Device.Name, d.nb.Device.ID))
	}
	var needed []string
	seen := map[string]bool{}
	for _, c := range d.writable() {
		n := clusterName(c)
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			needed = append(needed, n)
		}
	}
	sort.Strings(needed)
	for _, n := range needed {
		if _, ok := d.clusterID[strings.ToLower(n)]; !ok {
			missing = append(missing, "cluster "+n)
		}
	}
	if len(missing) > 0 && d.opts.NoCreateClusters {
		d.note("Docker containers: skipped: NetBox lacks %s and creating clusters is turned off (no_create_clusters).", strings.Join(missing, ", "))
		return false
	}
	if t := d.nb.ClusterType; t != nil {
		d.typeID = t.ID
	} else {
		d.typeKey = "clustertype:" + record.ClusterTypeSlug
		d.add(Change{
			Section: SectionContainers, ObjectType: ObjectClusterType, Object: record.ClusterTypeName,
			New: record.ClusterTypeName, Action: ActionCreate, Reason: "cluster type for Docker Compose projects",
			Key: d.typeKey, Slug: record.ClusterTypeSlug,
		})
	}
	if g := d.nb.ClusterGroup; g != nil {
		d.groupID = g.ID
	} else {
		name := record.HostClusterGroupName(d.nb.Device.Name, d.nb.Device.ID)
		d.groupKey = "clustergroup:host"
		d.add(Change{
			Section: SectionContainers, ObjectType: ObjectClusterGroup, Object: name,
			New: name, Action: ActionCreate, Reason: "one cluster group per host keeps its clusters apart from other hosts'",
			Key: d.groupKey, Slug: record.HostClusterGroupSlug(d.nb.Device.ID),
		})
	}
	for _, n := range needed {
		if _, ok := d.clusterID[strings.ToLower(n)]; ok {
			continue
		}
		key := "cluster:" + strings.ToLower(n)
		reason := "compose project " + n
		if n == record.StandaloneClusterName {
			reason = "containers outside compose"
		}
		d.add(Change{
			Section: SectionContainers, ObjectType: ObjectCluster, Object: n, New: n,
			Action: ActionCreate, Reason: reason, Key: key,
			ParentID: d.groupID, ParentKey: d.groupKey,
			Attrs:   &Attrs{TypeID: d.typeID, TypeKey: d.typeKey, Status: VMActive},
			Blocked: tooLong("the compose project name", n, MaxName, "its containers' VMs need a cluster of that name; rename the project, or leave its containers out with exclude_containers"),
		})
		d.clusterKey[strings.ToLower(n)] = key
	}
	return true
}

// roles plans the VM roles the containers need that NetBox lacks.
func (d *containerDiffer) roles() {
	for _, r := range d.nb.Roles {
		d.roleID[strings.ToLower(r.Name)] = r.ID
	}
	var need []string
	for _, c := range d.writable() {
		r := strings.ToLower(c.Role)
		if c.Role == "" || d.roleID[r] != 0 || d.roleKey[r] != "" {
			continue
		}
		d.roleKey[r] = "role:" + Slugify(c.Role)
		need = append(need, c.Role)
	}
	slugs := make([]record.Platform, 0, len(d.nb.Roles))
	for _, r := range d.nb.Roles {
		slugs = append(slugs, record.Platform{Slug: r.Slug})
	}
	for _, r := range need {
		slug := UniqueSlug(r, slugs)
		slugs = append(slugs, record.Platform{Slug: slug})
		d.add(Change{
			Section: SectionContainers, ObjectType: ObjectDeviceRole, Object: r, New: r,
			Action: ActionCreate, Reason: "role for containers", Key: d.roleKey[strings.ToLower(r)], Slug: slug,
			Attrs: &Attrs{VMRole: true, Description: roleColor},
		})
	}
}

func vmStatus(c host.Container) string {
	if c.Running {
		return VMActive
	}
	return VMOffline
}

// sameVCPUs compares at NetBox's precision (two decimals).
func sameVCPUs(a, b float64) bool { return math.Round(a*100) == math.Round(b*100) }

func formatVCPUs(v float64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func formatMB(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10) + " MB"
}

// memory is a container's memory limit as a VM can hold it; a limit
// beyond what NetBox can store is left out, with a note.
func (d *containerDiffer) memory(c host.Container) int64 {
	if c.MemoryMB > MaxMemoryMB {
		d.note("Container %s: its memory limit of %d MB is more than NetBox can store (%d MB); its VM's memory is left empty.", c.Name, c.MemoryMB, int64(MaxMemoryMB))
		return 0
	}
	return c.MemoryMB
}

func (d *containerDiffer) vms() {
	clusterOf := map[int64]string{}
	for _, c := range d.nb.Clusters {
		clusterOf[c.ID] = c.Name
	}
	byName := map[string]record.VirtualMachine{}
	for _, vm := range d.nb.VMs {
		if _, mine := clusterOf[vm.ClusterID]; mine {
			byName[strings.ToLower(vm.Name)] = vm
		}
	}
	present := map[string]bool{}
	for _, c := range d.host.Containers {
		present[strings.ToLower(c.Name)] = true
		cl := strings.ToLower(clusterName(c))
		vm, ok := byName[strings.ToLower(c.Name)]
		description, comments := imageFields(c.Image)
		vcpus := validVCPUs(c.VCPUs)
		if !ok {
			a := &Attrs{Status: vmStatus(c), VCPUs: vcpus, MemoryMB: d.memory(c), Image: c.Image, Description: description, Comments: comments,
				Role: c.Role, RoleID: d.roleID[strings.ToLower(c.Role)], RoleKey: d.roleKey[strings.ToLower(c.Role)]}
			d.add(Change{
				Section: SectionContainers, ObjectType: ObjectVM, Object: c.Name, New: clusterName(c),
				Action: ActionCreate, Reason: "Running locally but no VM in cluster", Key: "vm:" + strings.ToLower(c.Name),
				ParentID: d.clusterID[cl], ParentKey: d.clusterKey[cl], Attrs: a,
				Blocked: tooLong("the container name", c.Name, MaxVMName, "rename the container, or leave it out with exclude_containers"),
			})
			if !c.Running {
				d.plan.Changes[len(d.plan.Changes)-1].Reason = "Exists locally (stopped) but no VM in cluster"
			}
			continue
		}
		base := Change{Section: SectionContainers, ObjectType: ObjectVM, ObjectID: vm.ID, Object: vm.Name}
		update := func(field, old, new, reason string, changed bool) Change {
			c := base
			c.Field, c.Old, c.New, c.Reason = field, old, new, reason
			c.Action = ActionUpdate
			if !changed {
				c.Action, c.Reason = ActionRefresh, "full sync: refresh unchanged value"
			}
			return c
		}
		if want := clusterName(c); !strings.EqualFold(clusterOf[vm.ClusterID], want) {
			u := update(FieldCluster, clusterOf[vm.ClusterID], want, "compose project changed", true)
			u.NewID, u.NewKey = d.clusterID[cl], d.clusterKey[cl]
			d.add(u)
		}
		want := vmStatus(c)
		switch {
		case vm.Status != want && want == VMOffline:
			u := update(FieldStatus, vm.Status, want, "VM exists but container not running", true)
			u.Action = ActionOffline
			d.add(u)
		case vm.Status != want:
			d.add(update(FieldStatus, vm.Status, want, "container running again", true))
		case d.opts.Full:
			d.add(update(FieldStatus, vm.Status, want, "", false))
		}
		if vcpus > 0 && (!sameVCPUs(vcpus, vm.VCPUs) || d.opts.Full) {
			d.add(update(FieldVCPUs, formatVCPUs(vm.VCPUs), formatVCPUs(vcpus), "vCPU limit changed", !sameVCPUs(vcpus, vm.VCPUs)))
		}
		if mem := d.memory(c); mem > 0 && (mem != vm.MemoryMB || d.opts.Full) {
			d.add(update(FieldMemory, formatMB(vm.MemoryMB), formatMB(mem), "memory limit changed", mem != vm.MemoryMB))
		}
		if c.Role != "" {
			cur := ""
			if vm.Role != nil {
				cur = vm.Role.Name
			}
			if changed := !strings.EqualFold(cur, c.Role); changed || d.opts.Full {
				u := update(FieldRole, cur, c.Role, "role differs", changed)
				u.NewID, u.NewKey = d.roleID[strings.ToLower(c.Role)], d.roleKey[strings.ToLower(c.Role)]
				d.add(u)
			}
		}
		if c.Image != "" && (description != vm.Description || d.opts.Full) {
			d.add(update(FieldDescription, vm.Description, description, "image changed", description != vm.Description))
		}
		if comments != "" && (comments != vm.Comments || d.opts.Full) {
			d.add(update(FieldComments, vm.Comments, comments, "the whole image, too long for the description", comments != vm.Comments))
		}
	}
	// VMs whose container is gone: offline with a note, never deleted.
	gone := make([]record.VirtualMachine, 0)
	for name, vm := range byName {
		if !d.opts.ContainerSynced(vm.Name) {
			continue
		}
		if !present[name] && vm.Status != VMOffline {
			gone = append(gone, vm)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
	for _, vm := range gone {
		d.add(Change{
			Section: SectionContainers, ObjectType: ObjectVM, ObjectID: vm.ID, Object: vm.Name,
			Field: FieldStatus, Old: vm.Status, New: VMOffline, Action: ActionOffline,
			Reason: "container no longer exists",
		})
	}
}
