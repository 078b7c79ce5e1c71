package netbox

import (
	"context"
	"errors"
	"sync"
)

// Snapshot is SnapshotFor with only the host name: the device and every
// platform, plus the device's interfaces, MACs and IPs when it is found.
func (c *Client) Snapshot(ctx context.Context, hostname string) (Snapshot, error) {
	return c.SnapshotFor(ctx, SnapshotQuery{Hostname: hostname})
}

// snapshotParallelism bounds the reads SnapshotFor has in flight at once:
// enough to overlap the round trips of one snapshot, few enough not to
// crowd a NetBox that serves other clients.
const snapshotParallelism = 4

// SnapshotFor is the lookup phase of a sync (seed Phase 1). It reads the
// device named q.Hostname (NetBox matches names case-insensitively) and
// every platform. Found is false when no device has the name; more than
// one match is an *AmbiguousNameError.
//
// For a found device it also reads the device's interfaces, the MAC
// objects and IPs assigned to them, and the MAC objects and IPs anywhere
// in NetBox with one of q.MACs or q.Addresses (by host part, whatever the
// mask), merged without duplicates. With q.Containers it reads the device
// roles, the cluster type ClusterTypeSlug, the host's cluster group
// (HostClusterGroupSlug), its clusters and their VMs.
//
// The number of requests does not grow with the number of objects, only
// with pages of 1000 objects and chunks of 100 values (MACs, addresses,
// cluster ids) per request. With at most 100 MACs, 100 addresses, 100
// clusters and 1000 objects of each kind it is:
//
//	device not found:                    2 (device, platforms)
//	found:                               5, +1 with MACs, +1 with addresses
//	found, with Containers:              +5 (roles, cluster type, cluster
//	                                     group, clusters, VMs); clusters and
//	                                     VMs are not read when there is no
//	                                     group, VMs not when it has no
//	                                     clusters
//	found, NetBox 4.6+:                  +1 (the device itself, for its
//	                                     ETag: lists carry none; version.go)
//
// After the device lookup the reads run concurrently, at most
// snapshotParallelism at a time; errors from several reads are joined.
func (c *Client) SnapshotFor(ctx context.Context, q SnapshotQuery) (Snapshot, error) {
	if q.Hostname == "" {
		// An empty name filter would select every device.
		return Snapshot{}, errors.New("netbox: snapshot: empty host name: pass the host's name as NetBox knows it")
	}
	devices, err := c.ListDevices(ctx, DeviceFilter{Name: q.Hostname})
	if err != nil {
		return Snapshot{}, err
	}
	if len(devices) > 1 {
		return Snapshot{}, &AmbiguousNameError{Name: q.Hostname, Devices: devices}
	}

	var s Snapshot
	// Each read fills its own variable, so that the reads share no memory.
	reads := []func(context.Context) error{
		func(ctx context.Context) (err error) { s.Platforms, err = c.ListPlatforms(ctx); return err },
	}
	if len(devices) == 0 {
		if err := runBounded(ctx, snapshotParallelism, reads); err != nil {
			return Snapshot{}, err
		}
		return s, nil
	}
	s.Found, s.Device = true, devices[0]
	id := s.Device.ID

	var detail *Device
	if c.serverVersion(ctx).atLeast(4, 6) {
		reads = append(reads, func(ctx context.Context) error {
			d, err := c.GetDevice(ctx, id)
			detail = &d
			return err
		})
	}

	var macsOfDevice, macsByValue []MACAddress
	var ipsOfDevice, ipsByValue []IPAddress
	reads = append(reads,
		func(ctx context.Context) (err error) { s.Interfaces, err = c.ListInterfaces(ctx, id); return err },
		func(ctx context.Context) (err error) {
			macsOfDevice, err = c.ListMACAddresses(ctx, MACAddressFilter{DeviceID: id})
			return err
		},
		func(ctx context.Context) (err error) {
			ipsOfDevice, err = c.ListIPAddresses(ctx, IPAddressFilter{DeviceID: id})
			return err
		},
	)
	if macs := distinct(q.MACs); len(macs) > 0 {
		reads = append(reads, func(ctx context.Context) (err error) {
			macsByValue, err = c.ListMACAddresses(ctx, MACAddressFilter{MACs: macs})
			return err
		})
	}
	if addrs := hostParts(q.Addresses); len(addrs) > 0 {
		reads = append(reads, func(ctx context.Context) (err error) {
			ipsByValue, err = c.ListIPAddresses(ctx, IPAddressFilter{Addresses: addrs})
			return err
		})
	}
	if q.Containers {
		reads = append(reads,
			func(ctx context.Context) (err error) { s.Roles, err = c.ListDeviceRoles(ctx); return err },
			func(ctx context.Context) error {
				types, err := c.ListClusterTypes(ctx, ClusterTypeSlug)
				if len(types) > 0 {
					s.ClusterType = &types[0]
				}
				return err
			},
			// Group, clusters and VMs each need the ids of the one before.
			func(ctx context.Context) error {
				groups, err := c.ListClusterGroups(ctx, HostClusterGroupSlug(id))
				if err != nil || len(groups) == 0 {
					return err
				}
				s.ClusterGroup = &groups[0]
				if s.Clusters, err = c.ListClusters(ctx, s.ClusterGroup.ID); err != nil || len(s.Clusters) == 0 {
					return err
				}
				ids := make([]int64, len(s.Clusters))
				for i, cl := range s.Clusters {
					ids[i] = cl.ID
				}
				s.VMs, err = c.ListVirtualMachines(ctx, ids)
				return err
			},
		)
	}
	if err := runBounded(ctx, snapshotParallelism, reads); err != nil {
		return Snapshot{}, err
	}
	if detail != nil {
		// Newer than the list's, and the state its ETag stands for.
		s.Device = *detail
	}
	s.MACs = mergeByID(macsOfDevice, macsByValue, func(m MACAddress) int64 { return m.ID })
	s.IPs = mergeByID(ipsOfDevice, ipsByValue, func(ip IPAddress) int64 { return ip.ID })
	return s, nil
}

func hostParts(addrs []string) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, hostPart(a))
	}
	return distinct(out)
}

// mergeByID returns a followed by the objects of b not in a, in order.
func mergeByID[T any](a, b []T, id func(T) int64) []T {
	out := make([]T, 0, len(a)+len(b))
	seen := make(map[int64]bool, len(a)+len(b))
	for _, list := range [][]T{a, b} {
		for _, v := range list {
			if seen[id(v)] {
				continue
			}
			seen[id(v)] = true
			out = append(out, v)
		}
	}
	return out
}

// runBounded runs the functions concurrently, at most limit at a time,
// waits for all of them and joins their errors. A failure does not cancel
// the others: they are reads, and a cancelled sibling would only add
// "context canceled" to the error that matters.
func runBounded(ctx context.Context, limit int, fns []func(context.Context) error) error {
	if len(fns) == 1 {
		return fns[0](ctx)
	}
	sem := make(chan struct{}, limit)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = fn(ctx)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
