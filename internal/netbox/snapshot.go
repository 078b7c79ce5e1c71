package netbox

import (
	"context"
	"errors"
)

// Snapshot is the lookup phase of a sync: the device named hostname (NetBox
// matches names case-insensitively) and every platform. Found is false when
// no device has the name; more than one match is an *AmbiguousNameError.
// It makes one request per 1000 objects read, at least two.
func (c *Client) Snapshot(ctx context.Context, hostname string) (Snapshot, error) {
	if hostname == "" {
		// An empty name filter would select every device.
		return Snapshot{}, errors.New("netbox: snapshot: empty host name: pass the host's name as NetBox knows it")
	}
	devices, err := c.ListDevices(ctx, DeviceFilter{Name: hostname})
	if err != nil {
		return Snapshot{}, err
	}
	if len(devices) > 1 {
		return Snapshot{}, &AmbiguousNameError{Name: hostname, Devices: devices}
	}
	platforms, err := c.ListPlatforms(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{Platforms: platforms}
	if len(devices) == 1 {
		s.Found, s.Device = true, devices[0]
	}
	return s, nil
}
