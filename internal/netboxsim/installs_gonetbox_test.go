package netboxsim_test

import (
	"context"
	"testing"

	netbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// TestInstallsGoNetboxDecodes proves go-netbox v4.3.0's strict models read
// what real installations add: custom fields and choice sets, objects
// with custom field values (null included), cables and a cabled
// interface, VRFs, IP ranges, users, permissions and tokens; and that a
// user's own token reads through it too. It also pins where go-netbox
// cannot read NetBox: a choice set's choices_count is an integer in
// NetBox (the model's property) and a string in go-netbox's model, so a
// custom field with a choice set, or a choice set, does not decode.
func TestInstallsGoNetboxDecodes(t *testing.T) {
	t.Parallel()
	s := start(t)
	n := newNetFixture(t, s)
	ctx := context.Background()
	c := netbox.NewAPIClientFor(s.URL, s.Token)
	ok := decoded

	create(t, s, "extras/custom-fields", customField("owner", "text", []string{"dcim.interface"},
		map[string]any{"required": true, "default": "infra"}))
	create(t, s, "extras/custom-fields", customField("rack_u", "integer", []string{"dcim.interface"}, nil))
	s.Cable(t, n.eth0, n.eth9)
	vrf := create(t, s, "ipam/vrfs", map[string]any{"name": "blue", "rd": "65000:1"})
	create(t, s, "ipam/ip-addresses", merge(ipOn("10.9.0.1/24", n.eth1), map[string]any{"vrf": vrf}))
	s.PopulatedRange(t, "10.9.0.100/24", "10.9.0.120/24")
	userToken := s.UserToken(t, "sync", simtest.Grant(simtest.SyncObjectTypes, simtest.AllActions...))

	cfs, resp, err := c.ExtrasAPI.ExtrasCustomFieldsList(ctx).ObjectType("dcim.interface").Required(true).Execute()
	ok(t, resp, err)
	require.Len(t, cfs.Results, 1)
	assert.Equal(t, "owner", cfs.Results[0].Name)
	owners := create(t, s, "extras/custom-field-choice-sets", map[string]any{
		"name": "Owners", "extra_choices": [][]string{{"infra", "Infrastructure"}}})
	create(t, s, "extras/custom-fields", customField("team", "select", []string{"dcim.device"},
		map[string]any{"choice_set": owners}))
	_, _, err = c.ExtrasAPI.ExtrasCustomFieldsList(ctx).Execute()
	require.Error(t, err, "go-netbox cannot read a custom field with a choice set")
	assert.Contains(t, err.Error(), "choices_count")
	_, _, err = c.ExtrasAPI.ExtrasCustomFieldChoiceSetsList(ctx).Execute()
	require.Error(t, err, "nor a choice set")

	iface, resp, err := c.DcimAPI.DcimInterfacesRetrieve(ctx, int32(n.eth0)).Execute()
	ok(t, resp, err)
	assert.Equal(t, int32(1), iface.GetCable().Id)
	assert.Equal(t, "infra", iface.CustomFields["owner"])
	assert.Nil(t, iface.CustomFields["rack_u"])
	cables, resp, err := c.DcimAPI.DcimCablesList(ctx).Execute()
	ok(t, resp, err)
	require.Len(t, cables.Results, 1)
	assert.Len(t, cables.Results[0].ATerminations, 1)

	vrfs, resp, err := c.IpamAPI.IpamVrfsList(ctx).Execute()
	ok(t, resp, err)
	require.Len(t, vrfs.Results, 1)
	ips, resp, err := c.IpamAPI.IpamIpAddressesList(ctx).Address([]string{"10.9.0.1"}).Execute()
	ok(t, resp, err)
	require.Len(t, ips.Results, 1)
	assert.Equal(t, "blue", ips.Results[0].GetVrf().Name)
	ranges, resp, err := c.IpamAPI.IpamIpRangesList(ctx).Execute()
	ok(t, resp, err)
	require.Len(t, ranges.Results, 1)
	assert.True(t, ranges.Results[0].GetMarkPopulated())

	users, resp, err := c.UsersAPI.UsersUsersList(ctx).Execute()
	ok(t, resp, err)
	assert.Len(t, users.Results, 2)
	perms, resp, err := c.UsersAPI.UsersPermissionsList(ctx).Execute()
	ok(t, resp, err)
	assert.Len(t, perms.Results, 1)
	tokens, resp, err := c.UsersAPI.UsersTokensList(ctx).Execute()
	ok(t, resp, err)
	assert.Len(t, tokens.Results, 1)

	uc := netbox.NewAPIClientFor(s.URL, userToken)
	devs, resp, err := uc.DcimAPI.DcimDevicesList(ctx).Execute()
	ok(t, resp, err)
	assert.Len(t, devs.Results, 2)
}
