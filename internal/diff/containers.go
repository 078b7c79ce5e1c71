package diff

import (
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
		d.plan.note("Docker containers: skipped: %s.", reason)
		return
	}
	if u, ok := d.nb.IsUnread(record.PartContainers); ok {
		d.plan.note("Docker containers: not synced: the NetBox token's user may not view %s objects. The rest of the sync goes on; to sync containers, grant it view permission on virtualization objects and on dcim.devicerole (NetBox: Admin > Permissions), or leave them out with no_containers.", u.ObjectType)
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
		d.plan.note("Docker containers: skipped: NetBox lacks %s and creating clusters is turned off (no_create_clusters).", strings.Join(missing, ", "))
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
		d.plan.note("Container %s: its memory limit of %d MB is more than NetBox can store (%d MB); its VM's memory is left empty.", c.Name, c.MemoryMB, int64(MaxMemoryMB))
		return 0
	}
	return c.MemoryMB
}

// vms plans a VM for each container: made when this host's clusters have
// no VM of its name, else compared with the container.
func (d *containerDiffer) vms() {
	clusterOf, byName := d.existingVMs()
	present := map[string]bool{}
	for _, c := range d.host.Containers {
		present[strings.ToLower(c.Name)] = true
		if vm, ok := byName[strings.ToLower(c.Name)]; ok {
			d.changedVM(c, vm, clusterOf)
		} else {
			d.newVM(c)
		}
	}
	d.goneVMs(byName, present)
}

// existingVMs are the names of this host's clusters by id, and their VMs
// by lower-case name.
func (d *containerDiffer) existingVMs() (clusterOf map[int64]string, byName map[string]record.VirtualMachine) {
	clusterOf = map[int64]string{}
	for _, c := range d.nb.Clusters {
		clusterOf[c.ID] = c.Name
	}
	byName = map[string]record.VirtualMachine{}
	for _, vm := range d.nb.VMs {
		if _, mine := clusterOf[vm.ClusterID]; mine {
			byName[strings.ToLower(vm.Name)] = vm
		}
	}
	return clusterOf, byName
}

// newVM plans the create of a container's VM in its cluster.
func (d *containerDiffer) newVM(c host.Container) {
	cl := strings.ToLower(clusterName(c))
	description, comments := imageFields(c.Image)
	a := &Attrs{Status: vmStatus(c), VCPUs: validVCPUs(c.VCPUs), MemoryMB: d.memory(c), Image: c.Image, Description: description, Comments: comments,
		Role: c.Role, RoleID: d.roleID[strings.ToLower(c.Role)], RoleKey: d.roleKey[strings.ToLower(c.Role)]}
	reason := "Running locally but no VM in cluster"
	if !c.Running {
		reason = "Exists locally (stopped) but no VM in cluster"
	}
	d.add(Change{
		Section: SectionContainers, ObjectType: ObjectVM, Object: c.Name, New: clusterName(c),
		Action: ActionCreate, Reason: reason, Key: "vm:" + strings.ToLower(c.Name),
		ParentID: d.clusterID[cl], ParentKey: d.clusterKey[cl], Attrs: a,
		Blocked: tooLong("the container name", c.Name, MaxVMName, "rename the container, or leave it out with exclude_containers"),
	})
}

// changedVM plans the fields of a container's VM that differ from the
// container, and in a full sync the ones that do not.
func (d *containerDiffer) changedVM(c host.Container, vm record.VirtualMachine, clusterOf map[int64]string) {
	if want := clusterName(c); !strings.EqualFold(clusterOf[vm.ClusterID], want) {
		cl := strings.ToLower(want)
		u := vmChange(vm, FieldCluster, clusterOf[vm.ClusterID], want, "compose project changed", true)
		u.NewID, u.NewKey = d.clusterID[cl], d.clusterKey[cl]
		d.add(u)
	}
	d.status(c, vm)
	d.sizes(c, vm)
	d.role(c, vm)
	description, comments := imageFields(c.Image)
	if c.Image != "" {
		d.vmField(vm, FieldDescription, vm.Description, description, "image changed", description != vm.Description)
	}
	if comments != "" {
		d.vmField(vm, FieldComments, vm.Comments, comments, "the whole image, too long for the description", comments != vm.Comments)
	}
}

// status plans a VM's status: offline when its container is not running,
// active when it runs again.
func (d *containerDiffer) status(c host.Container, vm record.VirtualMachine) {
	want := vmStatus(c)
	if vm.Status != want && want == VMOffline {
		u := vmChange(vm, FieldStatus, vm.Status, want, "VM exists but container not running", true)
		u.Action = ActionOffline
		d.add(u)
		return
	}
	d.vmField(vm, FieldStatus, vm.Status, want, "container running again", vm.Status != want)
}

// sizes plans a VM's vCPUs and memory, when its container has limits. The
// values are formatted only for a change that is written: most VMs'
// sizes match.
func (d *containerDiffer) sizes(c host.Container, vm record.VirtualMachine) {
	if vcpus := validVCPUs(c.VCPUs); vcpus > 0 {
		if changed := !sameVCPUs(vcpus, vm.VCPUs); changed || d.opts.Full {
			d.add(vmChange(vm, FieldVCPUs, formatVCPUs(vm.VCPUs), formatVCPUs(vcpus), "vCPU limit changed", changed))
		}
	}
	if mem := d.memory(c); mem > 0 {
		if changed := mem != vm.MemoryMB; changed || d.opts.Full {
			d.add(vmChange(vm, FieldMemory, formatMB(vm.MemoryMB), formatMB(mem), "memory limit changed", changed))
		}
	}
}

// role plans a VM's role, when its container has one.
func (d *containerDiffer) role(c host.Container, vm record.VirtualMachine) {
	if c.Role == "" {
		return
	}
	cur := ""
	if vm.Role != nil {
		cur = vm.Role.Name
	}
	if changed := !strings.EqualFold(cur, c.Role); changed || d.opts.Full {
		u := vmChange(vm, FieldRole, cur, c.Role, "role differs", changed)
		u.NewID, u.NewKey = d.roleID[strings.ToLower(c.Role)], d.roleKey[strings.ToLower(c.Role)]
		d.add(u)
	}
}

// vmField plans one field of a VM: an update when its value changed, and
// in a full sync a refresh of the unchanged value.
func (d *containerDiffer) vmField(vm record.VirtualMachine, field, old, new, reason string, changed bool) {
	if changed || d.opts.Full {
		d.add(vmChange(vm, field, old, new, reason, changed))
	}
}

// vmChange is an update of one field of a VM, or with changed false a
// full sync's refresh of its unchanged value.
func vmChange(vm record.VirtualMachine, field, old, new, reason string, changed bool) Change {
	c := Change{
		Section: SectionContainers, ObjectType: ObjectVM, ObjectID: vm.ID, Object: vm.Name,
		Field: field, Old: old, New: new, Action: ActionUpdate, Reason: reason,
	}
	if !changed {
		c.Action, c.Reason = ActionRefresh, reasonRefresh
	}
	return c
}

// goneVMs plans the VMs whose container is gone: offline with a reason
// that says so, never deleted. VMs out of scope, or offline already, are
// left alone.
func (d *containerDiffer) goneVMs(byName map[string]record.VirtualMachine, present map[string]bool) {
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
