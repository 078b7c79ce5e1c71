package netboxsim_test

// Contract tests of the change log (changelog.go): what writes record and
// how /api/core/object-changes/ reads it, as NetBox 4.3.7 does (core/), and
// what 4.4 to 4.6 change. Every exchange goes through simtest, so it is
// validated against the OpenAPI document too.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
)

// change is an ObjectChange as the API renders it.
type change struct {
	ID         int64  `json:"id"`
	URL        string `json:"url"`
	DisplayURL string `json:"display_url"`
	Display    string `json:"display"`
	Time       string `json:"time"`
	User       struct {
		ID       int64  `json:"id"`
		URL      string `json:"url"`
		Display  string `json:"display"`
		Username string `json:"username"`
	} `json:"user"`
	UserName  string `json:"user_name"`
	RequestID string `json:"request_id"`
	Action    struct {
		Value string `json:"value"`
		Label string `json:"label"`
	} `json:"action"`
	Type          string          `json:"changed_object_type"`
	ObjectID      int64           `json:"changed_object_id"`
	ChangedObject map[string]any  `json:"changed_object"`
	Pre           json.RawMessage `json:"prechange_data"`
	Post          json.RawMessage `json:"postchange_data"`
	Message       *string         `json:"message"`
	ObjectRepr    *string         `json:"object_repr"`
}

type changePage struct {
	Count    int      `json:"count"`
	Next     *string  `json:"next"`
	Previous *string  `json:"previous"`
	Results  []change `json:"results"`
}

// send makes one request with the write token and returns the response
// (body read) and the body.
func send(t *testing.T, s *simtest.Server, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	return raw(t, s, method, path, "Token "+s.Token, body)
}

// write sends a write that must answer want and returns its X-Request-ID.
func write(t *testing.T, s *simtest.Server, method, path string, body any, want int) string {
	t.Helper()
	resp, data := send(t, s, method, path, body)
	require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, data)
	return resp.Header.Get("X-Request-ID")
}

func changes(t *testing.T, s *simtest.Server, query string) changePage {
	t.Helper()
	resp, data := send(t, s, "GET", "/api/core/object-changes/"+query, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", query, data)
	var p changePage
	require.NoError(t, json.Unmarshal(data, &p), "%s", data)
	return p
}

func changeIDs(p changePage) []int64 {
	out := []int64{}
	for _, c := range p.Results {
		out = append(out, c.ID)
	}
	return out
}

// summary is "action type id" of each record.
func summary(cs []netboxsim.ObjectChange) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %d", c.Action, c.ObjectType, c.ObjectID))
	}
	return out
}

func TestChangelogRecords(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	dev := create(t, s, "dcim/devices", device(f, "h1"))
	base := len(s.Sim.ObjectChanges())

	bulkReq := write(t, s, "POST", "/api/dcim/interfaces/", []any{
		map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"},
		map[string]any{"device": dev, "name": "eth1", "type": "1000base-t"},
	}, 201)
	var eth0, eth1 int64
	for _, c := range s.Sim.ObjectChanges()[base:] {
		if c.ObjectRepr == "eth0" {
			eth0 = c.ObjectID
		} else {
			eth1 = c.ObjectID
		}
	}
	patchReq := write(t, s, "PATCH", simtest.Path("dcim/interfaces", eth0), map[string]any{"description": "uplink"}, 200)
	write(t, s, "PATCH", simtest.Path("dcim/interfaces", eth0), map[string]any{"description": "uplink"}, 200)
	bulkPatchReq := write(t, s, "PATCH", "/api/dcim/interfaces/", []any{
		map[string]any{"id": eth0, "mtu": 9000}, map[string]any{"id": eth1, "description": "spare"}}, 200)
	ipReq := write(t, s, "POST", "/api/ipam/ip-addresses/", map[string]any{
		"address": "192.0.2.1/24", "assigned_object_type": "dcim.interface", "assigned_object_id": eth0}, 201)
	ip := s.Sim.ObjectChanges()[len(s.Sim.ObjectChanges())-1].ObjectID
	lag := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "bond0", "type": "lag"})
	write(t, s, "PATCH", simtest.Path("dcim/interfaces", eth1), map[string]any{"lag": lag}, 200)
	lagDelReq := write(t, s, "DELETE", simtest.Path("dcim/interfaces", lag), nil, 204)
	// A failed bulk request records nothing.
	write(t, s, "PATCH", "/api/dcim/interfaces/", []any{
		map[string]any{"id": eth0, "mtu": 1400}, map[string]any{"id": eth1, "mtu": -1}}, 400)
	devDelReq := write(t, s, "DELETE", simtest.Path("dcim/devices", dev), nil, 204)

	all := s.Sim.ObjectChanges()
	got := all[base:]
	byReq := map[string][]string{}
	for _, c := range got {
		byReq[c.RequestID] = append(byReq[c.RequestID], fmt.Sprintf("%s %s %d", c.Action, c.ObjectType, c.ObjectID))
	}
	ifc := func(action string, id int64) string { return fmt.Sprintf("%s dcim.interface %d", action, id) }
	assert.Equal(t, []string{ifc("create", eth0), ifc("create", eth1)}, byReq[bulkReq], "one request id per bulk request")
	assert.Equal(t, []string{ifc("update", eth0)}, byReq[patchReq])
	assert.Equal(t, []string{ifc("update", eth0), ifc("update", eth1)}, byReq[bulkPatchReq])
	assert.Equal(t, []string{fmt.Sprintf("create ipam.ipaddress %d", ip)}, byReq[ipReq])
	assert.Equal(t, []string{ifc("delete", lag), ifc("update", eth1)}, byReq[lagDelReq],
		"deleting a LAG nulls its members' lag and saves them")
	// Django's Collector: the interfaces (collected through their
	// non-nullable device), the IP address their generic relation
	// collected, then the device.
	assert.Equal(t, []string{ifc("delete", eth0), ifc("delete", eth1),
		fmt.Sprintf("delete ipam.ipaddress %d", ip), fmt.Sprintf("delete dcim.device %d", dev)}, byReq[devDelReq])
	assert.Len(t, got, 2+1+2+1+1+1+2+4, "the no-op PATCH and the failed bulk PATCH record nothing")

	for i, c := range all {
		if i > 0 {
			assert.Greater(t, c.ID, all[i-1].ID, "ids increase (a rolled back request uses some up)")
		}
		assert.Equal(t, int64(1), c.UserID)
		assert.Equal(t, netboxsim.UserName, c.UserName)
		if i > 0 {
			assert.True(t, c.Time.After(all[i-1].Time), "times increase")
		}
		switch c.Action {
		case "create":
			assert.Nil(t, c.Prechange)
			assert.NotNil(t, c.Postchange)
		case "update":
			assert.NotNil(t, c.Prechange)
			assert.NotNil(t, c.Postchange)
			assert.NotEqual(t, c.Prechange, c.Postchange)
		case "delete":
			assert.NotNil(t, c.Prechange)
			assert.Nil(t, c.Postchange)
		}
		switch c.ObjectType {
		case "dcim.interface":
			assert.Equal(t, "dcim.device", c.RelatedType)
			assert.Equal(t, dev, c.RelatedID)
		case "ipam.ipaddress":
			assert.Equal(t, "dcim.interface", c.RelatedType)
			assert.Equal(t, eth0, c.RelatedID)
		default:
			assert.Empty(t, c.RelatedType)
			assert.Zero(t, c.RelatedID)
		}
	}

	// The API: the bulk update of eth0, and the device's deletion.
	p := changes(t, s, "?request_id="+bulkPatchReq)
	require.Equal(t, 2, p.Count)
	up := p.Results[1] // newest first: eth1, then eth0
	assert.Equal(t, eth0, up.ObjectID)
	assert.Equal(t, fmt.Sprintf("%s/api/core/object-changes/%d/", s.URL, up.ID), up.URL)
	assert.Equal(t, fmt.Sprintf("%s/core/changelog/%d/", s.URL, up.ID), up.DisplayURL)
	assert.Equal(t, "DCIM | interface eth0 updated by admin", up.Display)
	assert.Equal(t, s.URL+"/api/users/users/1/", up.User.URL)
	assert.Equal(t, "admin", up.User.Username)
	assert.Equal(t, "admin", up.User.Display)
	assert.Equal(t, "admin", up.UserName)
	assert.Equal(t, "update", up.Action.Value)
	assert.Equal(t, "Updated", up.Action.Label)
	assert.Equal(t, "dcim.interface", up.Type)
	assert.Nil(t, up.ChangedObject, "eth0 is gone")
	assert.Nil(t, up.Message, "4.3 has no message")
	assert.Nil(t, up.ObjectRepr, "4.3 does not show object_repr")
	var pre, post map[string]any
	require.NoError(t, json.Unmarshal(up.Pre, &pre))
	require.NoError(t, json.Unmarshal(up.Post, &post))
	assert.Nil(t, pre["mtu"])
	assert.Equal(t, 9000.0, post["mtu"])
	assert.Equal(t, "uplink", post["description"])
	assert.Equal(t, float64(dev), post["device"], "foreign keys are ids")
	assert.Equal(t, []any{}, post["tags"])
	assert.Equal(t, map[string]any{}, post["custom_fields"])
	assert.Equal(t, "1000base-t", post["type"], "choices are raw values")
	assert.Equal(t, []any{}, post["tagged_vlans"], "many-to-many fields are lists of ids")
	for _, k := range []string{"created", "last_updated", "id"} {
		assert.NotContains(t, post, k)
	}
	// jsonb key order: shorter keys first.
	keys := orderedKeys(t, up.Post)
	assert.True(t, slices.IsSortedFunc(keys, func(a, b string) int { return len(a) - len(b) }), "%v", keys)

	del := changes(t, s, fmt.Sprintf("?request_id=%s&changed_object_type=dcim.device", devDelReq))
	require.Equal(t, 1, del.Count)
	assert.Equal(t, "delete", del.Results[0].Action.Value)
	assert.Equal(t, "{}", string(del.Results[0].Post), "a delete's postchange_data reads {}")
	require.NoError(t, json.Unmarshal(del.Results[0].Pre, &pre))
	assert.Equal(t, "h1", pre["name"])
	assert.Equal(t, float64(f.SiteID), pre["site"])

	// A create's prechange_data reads {}; changed_object is the object
	// as it is now, nested.
	site := changes(t, s, fmt.Sprintf("?changed_object_type=dcim.site&changed_object_id=%d", f.SiteID)).Results
	require.Len(t, site, 1)
	assert.Equal(t, "{}", string(site[0].Pre))
	assert.Equal(t, map[string]any{"id": float64(f.SiteID), "url": fmt.Sprintf("%s/api/dcim/sites/%d/", s.URL, f.SiteID),
		"display": "Site 1", "name": "Site 1", "slug": "site-1", "description": ""},
		site[0].ChangedObject)
	write(t, s, "PATCH", simtest.Path("dcim/sites", f.SiteID), map[string]any{"name": "Site One"}, 200)
	site = changes(t, s, fmt.Sprintf("?changed_object_type=dcim.site&changed_object_id=%d&action=create", f.SiteID)).Results
	assert.Equal(t, "Site One", site[0].ChangedObject["name"], "the object as it is now")
	assert.Equal(t, "DCIM | site Site 1 created by admin", site[0].Display, "object_repr as it was")
}

// TestChangelogData: pre/postchange data hold every stored field in
// serialize_object's form: tags as sorted names, content types as ids.
func TestChangelogData(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	create(t, s, "extras/tags", map[string]any{"name": "zeta", "slug": "zeta"})
	create(t, s, "extras/tags", map[string]any{"name": "Alpha", "slug": "alpha"})
	dev := create(t, s, "dcim/devices", merge(device(f, "h1"), map[string]any{"tags": []any{
		map[string]any{"slug": "zeta"}, map[string]any{"slug": "alpha"}}, "local_context_data": map[string]any{"b": 1, "a": []any{true}}}))
	ifc := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "virtual"})
	ip := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.1/24",
		"assigned_object_type": "dcim.interface", "assigned_object_id": ifc})

	cs := s.Sim.ObjectChanges()
	devRec := cs[len(cs)-3]
	require.Equal(t, "create dcim.device "+fmt.Sprint(dev), summary([]netboxsim.ObjectChange{devRec})[0])
	assert.Equal(t, []string{"Alpha", "zeta"}, devRec.Postchange["tags"])
	assert.Contains(t, devRec.Postchange, "created", "stored with created")
	assert.NotContains(t, devRec.Postchange, "last_updated", "CHANGELOG_SKIP_EMPTY_CHANGES leaves it out")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$`, devRec.Postchange["created"])

	p := changes(t, s, fmt.Sprintf("?changed_object_type=dcim.device&changed_object_id=%d", dev))
	require.Equal(t, 1, p.Count)
	var post map[string]any
	require.NoError(t, json.Unmarshal(p.Results[0].Post, &post))
	assert.Equal(t, []any{"Alpha", "zeta"}, post["tags"])
	assert.Equal(t, map[string]any{"a": []any{true}, "b": 1.0}, post["local_context_data"])
	assert.Equal(t, "active", post["status"])
	assert.Nil(t, post["platform"])

	p = changes(t, s, fmt.Sprintf("?changed_object_type=ipam.ipaddress&changed_object_id=%d", ip))
	require.NoError(t, json.Unmarshal(p.Results[0].Post, &post))
	assert.Equal(t, float64(s.Sim.ContentTypeID("dcim.interface")), post["assigned_object_type"])
	assert.Equal(t, float64(ifc), post["assigned_object_id"])
	assert.Equal(t, "192.0.2.1/24", post["address"])
}

func TestChangelogFilters(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	dev := create(t, s, "dcim/devices", device(f, "h1"))
	eth0 := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "virtual"})
	ip := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.1/24",
		"assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	bulk := write(t, s, "PATCH", "/api/dcim/interfaces/", []any{map[string]any{"id": eth0, "description": "a"}}, 200)
	mustDo(t, s, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"serial": "S1"}, 200)
	unassigned := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.2/24"})
	write(t, s, "DELETE", simtest.Path("ipam/ip-addresses", unassigned), nil, 204)
	all := s.Sim.ObjectChanges()
	require.Len(t, all, 4+1+1+1+1+1+1+1)
	devCT, ifCT := s.Sim.ContentTypeID("dcim.device"), s.Sim.ContentTypeID("dcim.interface")

	tests := []struct {
		query string
		want  func(c netboxsim.ObjectChange) bool
	}{
		{"", func(netboxsim.ObjectChange) bool { return true }},
		{"id=3&id=5", func(c netboxsim.ObjectChange) bool { return c.ID == 3 || c.ID == 5 }},
		{"id__gt=8", func(c netboxsim.ObjectChange) bool { return c.ID > 8 }},
		{"id__gte=8", func(c netboxsim.ObjectChange) bool { return c.ID >= 8 }},
		{"id__lt=3", func(c netboxsim.ObjectChange) bool { return c.ID < 3 }},
		{"id__lte=3", func(c netboxsim.ObjectChange) bool { return c.ID <= 3 }},
		{"id__gt=2&id__lt=5", func(c netboxsim.ObjectChange) bool { return c.ID > 2 && c.ID < 5 }},
		{"id__n=1&id__n=2", func(c netboxsim.ObjectChange) bool { return c.ID > 2 }},
		{"user=admin", func(netboxsim.ObjectChange) bool { return true }},
		{"user__n=admin", func(netboxsim.ObjectChange) bool { return false }},
		{"user_id=1", func(netboxsim.ObjectChange) bool { return true }},
		{"user_id=null", func(netboxsim.ObjectChange) bool { return false }},
		{"user_id__n=1", func(netboxsim.ObjectChange) bool { return false }},
		{"user_name=admin", func(netboxsim.ObjectChange) bool { return true }},
		{"user_name=Admin", func(netboxsim.ObjectChange) bool { return false }},
		{"user_name__ie=ADMIN", func(netboxsim.ObjectChange) bool { return true }},
		{"user_name__n=admin", func(netboxsim.ObjectChange) bool { return false }},
		{"request_id=" + bulk, func(c netboxsim.ObjectChange) bool { return c.RequestID == bulk }},
		{"request_id=" + strings.ToUpper(strings.ReplaceAll(bulk, "-", "")), func(c netboxsim.ObjectChange) bool { return c.RequestID == bulk }},
		{"action=update", func(c netboxsim.ObjectChange) bool { return c.Action == "update" }},
		{"action=delete", func(c netboxsim.ObjectChange) bool { return c.Action == "delete" }},
		{"changed_object_type=dcim.interface", func(c netboxsim.ObjectChange) bool { return c.ObjectType == "dcim.interface" }},
		{"changed_object_type=DCIM.Device", func(c netboxsim.ObjectChange) bool { return c.ObjectType == "dcim.device" }},
		{"changed_object_type=dcim.nothing", func(netboxsim.ObjectChange) bool { return false }},
		{"changed_object_type=dcim", func(netboxsim.ObjectChange) bool { return false }},
		// ContentTypeFilter ignores exclude: __n filters like the plain form.
		{"changed_object_type__n=dcim.device", func(c netboxsim.ObjectChange) bool { return c.ObjectType == "dcim.device" }},
		{fmt.Sprintf("changed_object_type_id=%d&changed_object_type_id=%d", devCT, ifCT),
			func(c netboxsim.ObjectChange) bool {
				return c.ObjectType == "dcim.device" || c.ObjectType == "dcim.interface"
			}},
		{fmt.Sprintf("changed_object_type_id__n=%d", devCT), func(c netboxsim.ObjectChange) bool { return c.ObjectType != "dcim.device" }},
		{fmt.Sprintf("changed_object_id=%d", eth0), func(c netboxsim.ObjectChange) bool { return c.ObjectID == eth0 }},
		{fmt.Sprintf("changed_object_type=ipam.ipaddress&changed_object_id=%d", ip),
			func(c netboxsim.ObjectChange) bool { return c.ObjectType == "ipam.ipaddress" && c.ObjectID == ip }},
		{fmt.Sprintf("changed_object_id__gte=%d", eth0), func(c netboxsim.ObjectChange) bool { return c.ObjectID >= eth0 }},
		{fmt.Sprintf("related_object_type=%d", devCT), func(c netboxsim.ObjectChange) bool { return c.RelatedType == "dcim.device" }},
		{fmt.Sprintf("related_object_type=%d&related_object_id=%d", ifCT, eth0),
			func(c netboxsim.ObjectChange) bool { return c.RelatedType == "dcim.interface" && c.RelatedID == eth0 }},
		{"related_object_type=null", func(c netboxsim.ObjectChange) bool { return c.RelatedType == "" }},
		{fmt.Sprintf("related_object_type__n=%d", devCT), func(c netboxsim.ObjectChange) bool { return c.RelatedType != "dcim.device" }},
		{fmt.Sprintf("related_object_id=%d", dev), func(c netboxsim.ObjectChange) bool { return c.RelatedID == dev && c.RelatedType != "" }},
		{fmt.Sprintf("related_object_id__n=%d", dev), func(c netboxsim.ObjectChange) bool { return c.RelatedID != dev }},
		{"object_repr=eth0", func(c netboxsim.ObjectChange) bool { return c.ObjectRepr == "eth0" }},
		{"object_repr__ic=192.0.2", func(c netboxsim.ObjectChange) bool { return strings.Contains(c.ObjectRepr, "192.0.2") }},
		{"object_repr__nic=192.0.2", func(c netboxsim.ObjectChange) bool { return !strings.Contains(c.ObjectRepr, "192.0.2") }},
		{"object_repr__isw=SITE", func(c netboxsim.ObjectChange) bool { return strings.HasPrefix(c.ObjectRepr, "Site") }},
		{"object_repr__empty=false", func(netboxsim.ObjectChange) bool { return true }},
		{"q=ETH", func(c netboxsim.ObjectChange) bool { return c.ObjectRepr == "eth0" }},
		{"q=adm", func(netboxsim.ObjectChange) bool { return true }},
		{"q=%20", func(netboxsim.ObjectChange) bool { return true }},
		{"q=eth0&action=create", func(c netboxsim.ObjectChange) bool { return c.ObjectRepr == "eth0" && c.Action == "create" }},
		{"unknown=1&brief=1", func(netboxsim.ObjectChange) bool { return true }},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			want := []int64{}
			for i := len(all) - 1; i >= 0; i-- {
				if tc.want(all[i]) {
					want = append(want, all[i].ID)
				}
			}
			p := changes(t, s, "?limit=100&"+tc.query)
			assert.Equal(t, want, changeIDs(p))
			assert.Equal(t, len(want), p.Count)
		})
	}

	errs := []struct{ query, want string }{
		{"id=x", `{"id": ["Enter a whole number."]}`},
		{"id__gt=x", `{"id__gt": ["Enter a whole number."]}`},
		{"user=nobody", `{"user": ["Select a valid choice. nobody is not one of the available choices."]}`},
		{"user_id=2", `{"user_id": ["Select a valid choice. 2 is not one of the available choices."]}`},
		{"user_id=x", `{"user_id": ["“x” is not a valid value."]}`},
		{"changed_object_type_id=9999", `{"changed_object_type_id": ["Select a valid choice. 9999 is not one of the available choices."]}`},
		{"related_object_type=9999", `{"related_object_type": ["Select a valid choice. That choice is not one of the available choices."]}`},
		{"related_object_type=dcim.device", `{"related_object_type": ["Select a valid choice. That choice is not one of the available choices."]}`},
		{"action=created", `{"action": ["Select a valid choice. created is not one of the available choices."]}`},
		{"request_id=nope", `{"request_id": ["Enter a valid UUID."]}`},
		{"time_after=yesterday", `{"time": ["Enter a valid date/time."]}`},
		{"time_after=x&time_before=y&id=z", `{"time": ["Enter a valid date/time."], "id": ["Enter a whole number."]}`},
	}
	for _, tc := range errs {
		t.Run(tc.query, func(t *testing.T) {
			resp, data := send(t, s, "GET", "/api/core/object-changes/?"+tc.query, nil)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.JSONEq(t, tc.want, string(data))
		})
	}
}

// TestChangelogTime: time_after and time_before bound inclusively; a
// client can take time_after from the Date header of an earlier
// response (converted to ISO 8601: NetBox does not read HTTP dates).
func TestChangelogTime(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	create(t, s, "dcim/devices", device(f, "before"))
	// Date has whole seconds: wait for an answer whose Date is after every
	// change so far (at most about a second).
	soFar := s.Sim.ObjectChanges()
	lastChange := soFar[len(soFar)-1].Time
	var date time.Time
	require.Eventually(t, func() bool {
		resp, _ := send(t, s, "GET", "/api/status/", nil)
		d, err := http.ParseTime(resp.Header.Get("Date"))
		require.NoError(t, err)
		date = d
		return date.After(lastChange)
	}, time.Minute, 20*time.Millisecond)
	before := len(s.Sim.ObjectChanges())
	create(t, s, "dcim/devices", device(f, "after1"))
	create(t, s, "dcim/devices", device(f, "after2"))
	all := s.Sim.ObjectChanges()

	newer := []int64{all[len(all)-1].ID, all[len(all)-2].ID}
	older := []int64{}
	for i := before - 1; i >= 0; i-- {
		older = append(older, all[i].ID)
	}
	q := func(k, v string) string { return "?" + url.Values{k: {v}}.Encode() }
	assert.Equal(t, newer, changeIDs(changes(t, s, q("time_after", date.UTC().Format(time.RFC3339)))))
	assert.Equal(t, newer, changeIDs(changes(t, s, q("time_after", date.In(time.FixedZone("", -5*3600)).Format(time.RFC3339)))))
	assert.Equal(t, older, changeIDs(changes(t, s, q("time_before", date.Format(time.RFC3339)))))

	// Inclusive bounds, at the rendered time of a record.
	p := changes(t, s, "?limit=1")
	last := p.Results[0]
	assert.Equal(t, []int64{last.ID}, changeIDs(changes(t, s, q("time_after", last.Time))))
	assert.Equal(t, []int64{last.ID}, changeIDs(changes(t, s, "?"+url.Values{"time_after": {last.Time}, "time_before": {last.Time}}.Encode())))
	assert.Equal(t, []int64{}, changeIDs(changes(t, s, "?"+url.Values{"time_after": {last.Time}, "time_before": {date.Format(time.RFC3339)}}.Encode())))

	// AgeObjectChanges moves the records so far out of the window.
	s.Sim.AgeObjectChanges(time.Hour)
	assert.Equal(t, []int64{}, changeIDs(changes(t, s, q("time_after", date.Format(time.RFC3339)))))
	assert.Equal(t, 2, changes(t, s, q("time_after", date.Add(-time.Hour).Format(time.RFC3339))).Count)

	// An HTTP date is not a Django date/time.
	resp, data := send(t, s, "GET", "/api/core/object-changes/"+q("time_after", date.Format(http.TimeFormat)), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `{"time": ["Enter a valid date/time."]}`, string(data))
}

func TestChangelogOrderingAndPaging(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	dev := create(t, s, "dcim/devices", device(f, "h1"))
	mustDo(t, s, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"serial": "x"}, 200)
	all := s.Sim.ObjectChanges() // 4 seeds, create, update
	require.Len(t, all, 6)

	assert.Equal(t, []int64{6, 5, 4, 3, 2, 1}, changeIDs(changes(t, s, "")), "newest first")
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, changeIDs(changes(t, s, "?ordering=time")))
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, changeIDs(changes(t, s, "?ordering=id")))
	assert.Equal(t, []int64{6, 5, 4, 3, 2, 1}, changeIDs(changes(t, s, "?ordering=-id")))
	assert.Equal(t, []int64{5, 4, 3, 2, 1, 6}, changeIDs(changes(t, s, "?ordering=action")), "ties keep -time")
	assert.Equal(t, []int64{6, 5, 4, 3, 2, 1}, changeIDs(changes(t, s, "?ordering=nothing,prechange_data")), "invalid fields are dropped")
	byType := changeIDs(changes(t, s, "?ordering=changed_object_type,id"))
	wantType := []int64{1, 2, 3, 4, 5, 6}
	slices.SortStableFunc(wantType, func(a, b int64) int {
		return int(s.Sim.ContentTypeID(all[a-1].ObjectType) - s.Sim.ContentTypeID(all[b-1].ObjectType))
	})
	assert.Equal(t, wantType, byType)

	p := changes(t, s, "?limit=2")
	assert.Equal(t, 6, p.Count)
	assert.Equal(t, []int64{6, 5}, changeIDs(p))
	require.NotNil(t, p.Next)
	assert.Equal(t, s.URL+"/api/core/object-changes/?limit=2&offset=2", *p.Next)
	assert.Nil(t, p.Previous)
	p = changes(t, s, "?limit=2&offset=2&action=create")
	assert.Equal(t, 5, p.Count)
	assert.Equal(t, []int64{3, 2}, changeIDs(p))
	require.NotNil(t, p.Next)
	require.NotNil(t, p.Previous)
	assert.Equal(t, s.URL+"/api/core/object-changes/?action=create&limit=2", *p.Previous)
	p = changes(t, s, "?offset=10")
	assert.Equal(t, 6, p.Count)
	assert.Empty(t, p.Results)
}

func TestChangelogDetailAndMethods(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.Seed(t)
	resp, data := send(t, s, "GET", "/api/core/object-changes/2/", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	var c change
	require.NoError(t, json.Unmarshal(data, &c))
	assert.Equal(t, int64(2), c.ID)
	assert.Equal(t, "dcim.manufacturer", c.Type)
	assert.Empty(t, resp.Header.Get("ETag"))

	notFound := []struct{ path, want string }{
		{"/api/core/object-changes/99/", "No ObjectChange matches the given query."},
		{"/api/core/object-changes/abc/", "Not found."},
		{"/api/core/object-changes/2/?action=delete", "No ObjectChange matches the given query."},
	}
	for _, tc := range notFound {
		resp, data := send(t, s, "GET", tc.path, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, tc.path)
		assert.JSONEq(t, fmt.Sprintf(`{"detail": %q}`, tc.want), string(data))
	}
	resp, _ = send(t, s, "GET", "/api/core/object-changes", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "APPEND_SLASH redirect")

	methods := []struct {
		method, path, token string
		want                int
		detail              string
	}{
		{"POST", "/api/core/object-changes/", s.Token, 405, `Method "POST" not allowed.`},
		{"PUT", "/api/core/object-changes/", s.Token, 405, `Method "PUT" not allowed.`},
		{"PATCH", "/api/core/object-changes/1/", s.Token, 405, `Method "PATCH" not allowed.`},
		{"DELETE", "/api/core/object-changes/1/", s.Token, 405, `Method "DELETE" not allowed.`},
		{"DELETE", "/api/core/object-changes/", s.Token, 405, `Method "DELETE" not allowed.`},
		{"POST", "/api/core/object-changes/", readOnlyToken, 403, "You do not have permission to perform this action."},
		{"GET", "/api/core/object-changes/", "", 403, "Authentication credentials were not provided."},
		{"GET", "/api/core/object-changes/", readOnlyToken, 200, ""},
	}
	for _, tc := range methods {
		t.Run(tc.method+" "+tc.path+" "+tc.token, func(t *testing.T) {
			auth := ""
			if tc.token != "" {
				auth = "Token " + tc.token
			}
			resp, data := raw(t, s, tc.method, tc.path, auth, map[string]any{})
			assert.Equal(t, tc.want, resp.StatusCode, "%s", data)
			if tc.detail != "" {
				assert.JSONEq(t, fmt.Sprintf(`{"detail": %q}`, tc.detail), string(data))
			}
			if tc.want == 405 {
				assert.Equal(t, "GET, HEAD, OPTIONS", resp.Header.Get("Allow"))
			}
		})
	}
	resp, data = send(t, s, "HEAD", "/api/core/object-changes/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, data)
	resp, data = send(t, s, "OPTIONS", "/api/core/object-changes/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(data), `"name":"Object Change List"`)
	assert.Len(t, s.Sim.ObjectChanges(), 4, "reads record nothing")
}

// TestChangelogProfiles: 4.4 adds message (searched by q) and
// related_object_type by name (4.4.4), 4.5 object_repr, 4.5.3 several
// content types per filter.
func TestChangelogProfiles(t *testing.T) {
	t.Parallel()
	eachProfile(t, func(t *testing.T, p string, s *simtest.Server) {
		f := s.Seed(t)
		dev := create(t, s, "dcim/devices", device(f, "h1"))
		eth0 := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "virtual",
			"changelog_message": "made by sync"})
		write(t, s, "DELETE", simtest.Path("dcim/interfaces", eth0), map[string]any{"changelog_message": "gone"}, 204)

		page := changes(t, s, "?changed_object_type=dcim.interface")
		require.Len(t, page.Results, 2)
		del, add := page.Results[0], page.Results[1]
		if since(p, 4) {
			require.NotNil(t, del.Message)
			assert.Equal(t, "gone", *del.Message)
			assert.Equal(t, "made by sync", *add.Message)
			assert.Equal(t, []int64{add.ID}, changeIDs(changes(t, s, "?q=BY%20SYNC")))
		} else {
			assert.Nil(t, del.Message)
			assert.Equal(t, []int64{}, changeIDs(changes(t, s, "?q=by%20sync")))
		}
		if since(p, 5) {
			require.NotNil(t, del.ObjectRepr)
			assert.Equal(t, "eth0", *del.ObjectRepr)
		} else {
			assert.Nil(t, del.ObjectRepr)
		}
		keys := orderedKeys(t, mustGet(t, s, fmt.Sprintf("/api/core/object-changes/%d/", del.ID)))
		want := []string{"id", "url", "display_url", "display", "time", "user", "user_name", "request_id", "action",
			"changed_object_type", "changed_object_id", "changed_object"}
		if since(p, 5) {
			want = append(want, "object_repr")
		}
		if since(p, 4) {
			want = append(want, "message")
		}
		assert.Equal(t, append(want, "prechange_data", "postchange_data"), keys)

		// related_object_type: a content type id on 4.3, a name from 4.4.4.
		byID := fmt.Sprintf("?related_object_type=%d", s.Sim.ContentTypeID("dcim.device"))
		resp, data := send(t, s, "GET", "/api/core/object-changes/"+byID, nil)
		if since(p, 4) {
			assert.Equal(t, []int64{del.ID, add.ID}, changeIDs(changes(t, s, "?related_object_type=dcim.device")))
			assert.Equal(t, []int64{}, changeIDs(changes(t, s, byID)), "an id is no name")
		} else {
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
			assert.Equal(t, []int64{del.ID, add.ID}, changeIDs(changes(t, s, byID)))
		}

		// A bulk delete: one request id, each object its own message.
		a := create(t, s, "dcim/platforms", map[string]any{"name": "A", "slug": "a"})
		b := create(t, s, "dcim/platforms", map[string]any{"name": "B", "slug": "b"})
		req := write(t, s, "DELETE", "/api/dcim/platforms/", []any{
			map[string]any{"id": a, "changelog_message": "drop a"}, map[string]any{"id": b}}, 204)
		bulk := changes(t, s, "?request_id="+req).Results
		require.Len(t, bulk, 2)
		assert.Equal(t, []int64{b, a}, []int64{bulk[0].ObjectID, bulk[1].ObjectID})
		if since(p, 4) {
			assert.Equal(t, []string{"", "drop a"}, []string{*bulk[0].Message, *bulk[1].Message})
			// A detail DELETE validates its changelog_message (4.4+).
			c := create(t, s, "dcim/platforms", map[string]any{"name": "C", "slug": "c"})
			resp, data := send(t, s, "DELETE", simtest.Path("dcim/platforms", c), map[string]any{"changelog_message": " "})
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.JSONEq(t, `{"changelog_message": ["This field may not be blank."]}`, string(data))
			write(t, s, "DELETE", simtest.Path("dcim/platforms", c), nil, 204)
		}

		// Several content types: the last one counts until 4.5.3.
		two := changeIDs(changes(t, s, "?changed_object_type=dcim.interface&changed_object_type=dcim.device"))
		if since(p, 5) {
			assert.Len(t, two, 3)
		} else {
			assert.Equal(t, []int64{5}, two, "the device's create")
		}
	})
}

func mustGet(t *testing.T, s *simtest.Server, path string) []byte {
	t.Helper()
	resp, data := send(t, s, "GET", path, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", data)
	return data
}

// TestChangelogPatchLevels: 4.4.0 to 4.4.3 still take related_object_type
// as an id, and 4.5.0 to 4.5.2 one content type per filter.
func TestChangelogPatchLevels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version      string
		byName, many bool
	}{
		{"4.4.3", false, false}, {"4.4.4", true, false}, {"4.5.2", true, false}, {"4.5.3", true, true},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			s := startVersion(t, tc.version)
			f := s.Seed(t)
			dev := create(t, s, "dcim/devices", device(f, "h1"))
			create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "virtual"})
			ct := fmt.Sprint(s.Sim.ContentTypeID("dcim.device"))
			if tc.byName {
				assert.Equal(t, 1, changes(t, s, "?related_object_type=dcim.device").Count)
				assert.Equal(t, 0, changes(t, s, "?related_object_type="+ct).Count)
			} else {
				assert.Equal(t, 1, changes(t, s, "?related_object_type="+ct).Count)
			}
			n := changes(t, s, "?changed_object_type=dcim.interface&changed_object_type=dcim.device").Count
			if tc.many {
				assert.Equal(t, 2, n)
			} else {
				assert.Equal(t, 1, n)
			}
		})
	}
}

// TestChangelogPrimaryIPDelete: deleting a device's primary IP clears
// primary_ip4 through Django's SET_NULL update only (a OneToOneField,
// which NetBox's pre_delete handler skips): no record for the device.
func TestChangelogPrimaryIPDelete(t *testing.T) {
	t.Parallel()
	s := start(t)
	f := s.Seed(t)
	dev := create(t, s, "dcim/devices", device(f, "h1"))
	eth0 := create(t, s, "dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "virtual"})
	ip := create(t, s, "ipam/ip-addresses", map[string]any{"address": "192.0.2.1/24",
		"assigned_object_type": "dcim.interface", "assigned_object_id": eth0})
	mustDo(t, s, "PATCH", simtest.Path("dcim/devices", dev), map[string]any{"primary_ip4": ip}, 200)
	before := len(s.Sim.ObjectChanges())
	write(t, s, "DELETE", simtest.Path("ipam/ip-addresses", ip), nil, 204)
	assert.Equal(t, []string{fmt.Sprintf("delete ipam.ipaddress %d", ip)}, summary(s.Sim.ObjectChanges()[before:]))
	got := mustDo(t, s, "GET", simtest.Path("dcim/devices", dev), nil, 200)
	assert.Nil(t, got["primary_ip4"])
}
