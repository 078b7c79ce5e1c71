package netboxsim_test

import (
	"context"
	"net/http"
	"testing"

	netbox "github.com/netbox-community/go-netbox/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoNetboxDecodes proves go-netbox v4.3.0's generated client, whose
// models decode strictly (every required field, every enum value), reads
// the simulator's answers. Each call is also OpenAPI-validated by simtest.
func TestGoNetboxDecodes(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	c := netbox.NewAPIClientFor(s.URL, s.Token)
	ctx := context.Background()
	ok := decoded

	platform, resp, err := c.DcimAPI.DcimPlatformsCreate(ctx).PlatformRequest(*netbox.NewPlatformRequest("Ubuntu", "ubuntu")).Execute()
	ok(t, resp, err)
	assert.Equal(t, "ubuntu", platform.GetSlug())

	tag, resp, err := c.ExtrasAPI.ExtrasTagsCreate(ctx).TagRequest(*netbox.NewTagRequest("managed", "managed")).Execute()
	ok(t, resp, err)

	dt := int32(f.DeviceTypeID)
	role := int32(f.RoleID)
	site := int32(f.SiteID)
	req := netbox.NewWritableDeviceWithConfigContextRequest(
		netbox.Int32AsDeviceBayTemplateRequestDeviceType(&dt),
		netbox.Int32AsDeviceWithConfigContextRequestRole(&role),
		netbox.Int32AsDeviceWithConfigContextRequestSite(&site))
	req.SetName("host1")
	req.SetStatus(netbox.DEVICESTATUSVALUE_PLANNED)
	req.SetTags([]netbox.NestedTagRequest{*netbox.NewNestedTagRequest(tag.GetName(), tag.GetSlug())})
	dev, resp, err := c.DcimAPI.DcimDevicesCreate(ctx).WritableDeviceWithConfigContextRequest(*req).Execute()
	ok(t, resp, err)
	assert.Equal(t, "host1", dev.GetName())
	require.Len(t, dev.Tags, 1)

	t.Run("devices", func(t *testing.T) {
		list, resp, err := c.DcimAPI.DcimDevicesList(ctx).Name([]string{"HOST1"}).Execute()
		ok(t, resp, err)
		require.Equal(t, int32(1), list.Count)
		got := list.Results[0]
		assert.Equal(t, dev.Id, got.Id)
		assert.Equal(t, netbox.DEVICESTATUSVALUE_PLANNED, got.Status.GetValue())
		assert.Equal(t, "Model 1", got.DeviceType.GetModel())
		assert.False(t, got.Platform.IsSet() && got.Platform.Get() != nil)

		one, resp, err := c.DcimAPI.DcimDevicesRetrieve(ctx, dev.Id).Execute()
		ok(t, resp, err)
		assert.Equal(t, "host1", one.GetName())

		pid := platform.Id
		patch := netbox.NewPatchedWritableDeviceWithConfigContextRequest()
		patch.SetPlatform(netbox.Int32AsDeviceTypeRequestDefaultPlatform(&pid))
		patch.SetSerial("SN1")
		upd, resp, err := c.DcimAPI.DcimDevicesPartialUpdate(ctx, dev.Id).PatchedWritableDeviceWithConfigContextRequest(*patch).Execute()
		ok(t, resp, err)
		assert.Equal(t, "SN1", upd.GetSerial())
		assert.Equal(t, "Ubuntu", upd.Platform.Get().GetName())
	})
	t.Run("platforms", func(t *testing.T) {
		list, resp, err := c.DcimAPI.DcimPlatformsList(ctx).Slug([]string{"ubuntu"}).Execute()
		ok(t, resp, err)
		require.Len(t, list.Results, 1)
		assert.Equal(t, int64(1), list.Results[0].GetDeviceCount())
	})
	t.Run("foundation objects", func(t *testing.T) {
		sites, resp, err := c.DcimAPI.DcimSitesList(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), sites.Count)
		mfrs, resp, err := c.DcimAPI.DcimManufacturersList(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), mfrs.Count)
		types, resp, err := c.DcimAPI.DcimDeviceTypesList(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), types.Count)
		roles, resp, err := c.DcimAPI.DcimDeviceRolesList(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), roles.Count)
		tags, resp, err := c.ExtrasAPI.ExtrasTagsList(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), tags.Count)
	})
	t.Run("journal", func(t *testing.T) {
		je := netbox.NewWritableJournalEntryRequest("dcim.device", int64(dev.Id), "synced by cmdb-mcp")
		je.SetKind(netbox.JOURNALENTRYKINDVALUE_SUCCESS)
		entry, resp, err := c.ExtrasAPI.ExtrasJournalEntriesCreate(ctx).WritableJournalEntryRequest(*je).Execute()
		ok(t, resp, err)
		assert.Equal(t, netbox.JOURNALENTRYKINDVALUE_SUCCESS, entry.Kind.GetValue())
		list, resp, err := c.ExtrasAPI.ExtrasJournalEntriesList(ctx).AssignedObjectType("dcim.device").
			AssignedObjectId([]int32{dev.Id}).Execute()
		ok(t, resp, err)
		assert.Equal(t, int32(1), list.Count)
	})
	t.Run("status", func(t *testing.T) {
		st, resp, err := c.StatusAPI.StatusRetrieve(ctx).Execute()
		ok(t, resp, err)
		assert.Equal(t, "4.3.7", st["netbox-version"])
	})
	t.Run("errors", func(t *testing.T) {
		_, resp, err := c.DcimAPI.DcimDevicesRetrieve(ctx, 9999).Execute()
		require.Error(t, err)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		bad := netbox.NewAPIClientFor(s.URL, "wrong")
		_, resp, err = bad.StatusAPI.StatusRetrieve(ctx).Execute()
		require.Error(t, err)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})

}
