package netboxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Version profiles. Options.Version picks the NetBox release the simulator
// plays; what differs from 4.3 was read from NetBox's source at the tags
// v4.3.7, v4.4.10, v4.5.10 and v4.6.8 (paths below netbox/ in
// netbox-community/netbox):
//
//	4.3  the NetBox 4.3 OpenAPI document, as go-netbox v4.3.0 ships it.
//	4.4  /api/status/ says "installed_apps" (was "installed-apps") and adds
//	     "hostname" (netbox/api/views.py StatusView). Writes accept
//	     "changelog_message", kept as the message of the change record
//	     (netbox/api/serializers/features.py ChangeLogMessageSerializer,
//	     core/models/change_logging.py ObjectChange.message); a bulk update
//	     or delete validates it as a non-blank string
//	     (BulkOperationSerializer). Change records have a "message"
//	     (changelog.go). A nested or brief platform carries
//	     device_count and virtualmachine_count, 0 unless annotated
//	     (dcim/api/serializers_/platforms.py: IntegerField(default=0)).
//	     A platform's name and slug are unique per manufacturer (and
//	     among platforms without one), no longer unique alone
//	     (dcim/models/devices.py Platform.Meta.constraints).
//	     From 4.4.4 the assigned_object_type filter of IPs and MAC
//	     addresses takes "app.model", not the content type's id
//	     (ContentTypeFilter in ipam/ and dcim/filtersets.py).
//	4.5  v2 tokens, "Authorization: Bearer nbt_<key>.<token>", beside v1;
//	     the nbt_ prefix, not the keyword, decides the version, and the
//	     failure messages name it (netbox/api/authentication.py). Primary,
//	     organizational and nested-group models and interfaces have an
//	     optional "owner" (users.Owner, netbox/models/mixins.py OwnerMixin,
//	     users/api/serializers_/mixins.py). A device type's device_count is
//	     a counter cache, present nested too (dcim/models/devices.py,
//	     dcim/api/serializers_/devicetypes.py). Change records show
//	     "object_repr" (changelog.go, which has the patch-level changes
//	     of its filters too).
//	4.6  Weak ETags from last_updated on a retrieve, a single create and a
//	     detail update; If-Match on a detail PUT, PATCH or DELETE, 412
//	     "Precondition failed." with the current ETag when it does not match
//	     (netbox/api/viewsets/__init__.py ETagMixin, utilities/exceptions.py
//	     PreconditionFailed). Bulk writes take no If-Match. A VM may name
//	     a standalone host device without a cluster, and takes its site
//	     from it (virtualization/models/virtualmachines.py clean, save).
//
// Nested objects and counts: annotation-only counts (RelatedObjectCountField)
// are absent from nested objects in every release, because the nested
// object is not annotated (DRF skips the field). 4.6.5 drops them from
// nested serializers (netbox/api/serializers/base.py, #22154), which
// changes the OpenAPI document, not the JSON. Counts that are plain
// IntegerFields or counter caches stay in nested objects; newer releases
// have more of those (above), not fewer.
//
// Not simulated: the other shape changes of those releases (hierarchical
// platforms with parent and _depth from 4.4, owner objects and their
// endpoints, cursor paging, add_tags/remove_tags, ?fields=/?omit=, ...).

// Profiles are the versions Options.Version selects, oldest first. Any
// other version plays the nearest of them.
func Profiles() []string { return []string{"4.3", "4.4", "4.5", "4.6"} }

// profile is one release's differences from 4.3.
type profile struct {
	minor   int    // 3 to 6: NetBox 4.<minor>
	release string // the netbox-version a bare "4.x" reports
	django  string
	apps    object // /api/status/ installed apps
}

var profilesByMinor = map[int]profile{
	3: {3, "4.3.7", "5.2.5", object{
		{"django_filters", "25.1"}, {"django_prometheus", "2.4.1"}, {"django_rq", "3.1"},
		{"django_tables2", "2.7.5"}, {"drf_spectacular", "0.28.0"}, {"drf_spectacular_sidecar", "2025.8.1"},
		{"mptt", "0.17.0"}, {"rest_framework", "3.16.1"}, {"social_django", "5.5.1"},
		{"taggit", "6.1.0"}, {"timezone_field", "7.1"},
	}},
	4: {4, "4.4.10", "5.2.9", object{
		{"django_filters", "25.2"}, {"django_prometheus", "2.4.1"}, {"django_rq", "3.2.2"},
		{"django_tables2", "2.8.0"}, {"drf_spectacular", "0.29.0"}, {"drf_spectacular_sidecar", "2026.1.1"},
		{"mptt", "0.17.0"}, {"rest_framework", "3.16.1"}, {"social_django", "5.7.0"},
		{"taggit", "6.1.0"}, {"timezone_field", "7.2.1"},
	}},
	5: {5, "4.5.10", "5.2.13", object{
		{"django_filters", "25.2"}, {"django_prometheus", "2.4.1"}, {"django_rq", "4.1.0"},
		{"django_tables2", "2.8.0"}, {"drf_spectacular", "0.29.0"}, {"drf_spectacular_sidecar", "2026.5.1"},
		{"mptt", "0.18.0"}, {"rest_framework", "3.16.1"}, {"social_django", "5.9.0"},
		{"taggit", "6.1.0"}, {"timezone_field", "7.2.1"},
	}},
	6: {6, "4.6.8", "6.0.8", object{
		{"django_filters", "26.1"}, {"django_prometheus", "2.4.0"}, {"django_rq", "4.1.1"},
		{"django_tables2", "2.8.0"}, {"drf_spectacular", "0.30.0"}, {"drf_spectacular_sidecar", "2026.8.1"},
		{"mptt", "0.18.0"}, {"rest_framework", "3.17.1"}, {"social_django", "5.9.0"},
		{"taggit", "6.1.0"}, {"timezone_field", "7.2.2"},
	}},
}

// profileFor picks the profile of a version ("4.6", "4.6.2", "v4.5.1-beta1")
// and the netbox-version to report: the version as given, or the
// profile's release for a bare major.minor. Unparsable versions play 4.3.
func profileFor(version string) (profile, string) {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	major, err1 := strconv.Atoi(parts[0])
	minor := 0
	var err2 error
	if len(parts) > 1 {
		minor, err2 = strconv.Atoi(parts[1])
	} else {
		err2 = fmt.Errorf("no minor version")
	}
	switch {
	case err1 != nil || err2 != nil || major < 4:
		minor = 3
	case major > 4:
		minor = 6
	}
	minor = min(max(minor, 3), 6)
	p := profilesByMinor[minor]
	if err1 != nil || err2 != nil || len(parts) < 3 {
		return p, p.release
	}
	return p, v
}

func (p profile) since(minor int) bool { return p.minor >= minor }

func (p profile) name() string { return "4." + strconv.Itoa(p.minor) }

// status is /api/status/ (netbox/api/views.py StatusView).
func (p profile) status(version string) object {
	if !p.since(4) {
		return object{
			{"django-version", p.django},
			{"installed-apps", p.apps},
			{"netbox-version", version},
			{"netbox-full-version", version},
			{"plugins", object{}},
			{"python-version", "3.12.3"},
			{"rq-workers-running", 1},
		}
	}
	return object{
		{"django-version", p.django},
		{"hostname", "netbox-sim"},
		{"installed_apps", p.apps},
		{"netbox-version", version},
		{"netbox-full-version", version},
		{"plugins", object{}},
		{"python-version", "3.12.3"},
		{"rq-workers-running", 1},
	}
}

// models changes 4.3's catalog into the profile's.
func (p profile) models(ms []*model) []*model {
	byLabel := map[string]*model{}
	for _, m := range ms {
		byLabel[m.label] = m
	}
	if p.since(4) {
		if m := byLabel["dcim.platform"]; m != nil {
			platformUniques44(m)
			devices := counting("dcim.device", "platform")
			vms := counting("virtualization.virtualmachine", "platform")
			for _, list := range []*[]out{&m.full, &m.brief} {
				replaceOut(*list, oCountDefault("device_count", devices))
				replaceOut(*list, oCountDefault("virtualmachine_count", vms))
			}
		}
	}
	if p.since(5) {
		if m := byLabel["dcim.devicetype"]; m != nil {
			for _, list := range []*[]out{&m.full, &m.brief} {
				replaceOut(*list, oCounter("device_count", counting("dcim.device", "device_type")))
			}
		}
		owner := stubModel("users.owner", "Owner", "owner", "Users", "users/owners")
		owner.journaling = false
		ms = append(ms, owner)
		for label, after := range ownerAnchors {
			m := byLabel[label]
			if m == nil {
				continue
			}
			f := fFK("owner", owner.label, protect)
			m.fields = insertAfter(m.fields, func(x *field) bool { return x.name == "description" }, f)
			m.full = insertAfter(m.full, func(o out) bool { return o.name == after }, oFK("owner", owner.label))
		}
	}
	return ms
}

// platformUniques44 is 4.4's Platform.Meta.constraints (dcim/models/
// devices.py at v4.4.10): name and slug are unique per manufacturer, and
// among the platforms without one; the fields themselves are no longer
// unique. Like the other constraints without a condition, the per-
// manufacturer ones are left to full_clean (ValidatedModelSerializer
// turns DRF's unique-together validators off).
func platformUniques44(m *model) {
	for _, f := range m.fields {
		if f.name == "name" || f.name == "slug" {
			f.unique = false
		}
	}
	noMfr := func(v map[string]any) bool { return v["manufacturer"] == nil }
	m.uniques = []unique{
		{kind: uModel, fields: []string{"manufacturer", "name"}, msg: "Platform with this Manufacturer and Name already exists."},
		{kind: uModel, fields: []string{"name"}, when: noMfr, msg: "Platform name must be unique."},
		{kind: uModel, fields: []string{"manufacturer", "slug"}, msg: "Platform with this Manufacturer and Slug already exists."},
		{kind: uModel, fields: []string{"slug"}, when: noMfr, msg: "Platform slug must be unique."},
	}
}

// ownerAnchors lists the models with an owner (4.5) and the field the
// owner follows in their Meta.fields.
var ownerAnchors = map[string]string{
	"dcim.site":                     "longitude",
	"dcim.manufacturer":             "description",
	"dcim.devicetype":               "description",
	"dcim.devicerole":               "virtualmachine_count",
	"dcim.platform":                 "description",
	"dcim.device":                   "description",
	"dcim.interface":                "connected_endpoints_reachable",
	"dcim.macaddress":               "description",
	"ipam.ipaddress":                "description",
	"virtualization.clustertype":    "description",
	"virtualization.clustergroup":   "description",
	"virtualization.cluster":        "description",
	"virtualization.virtualmachine": "description",
}

func replaceOut(list []out, o out) {
	for i := range list {
		if list[i].name == o.name {
			list[i] = o
		}
	}
}

// insertAfter puts v after the first element anchor matches, or last.
func insertAfter[T any](list []T, anchor func(T) bool, v T) []T {
	i := slices.IndexFunc(list, anchor)
	if i < 0 {
		return append(list, v)
	}
	return slices.Insert(list, i+1, v)
}

// authenticate45 is TokenAuthentication from 4.5 on: "Token" and "Bearer"
// both work, and the nbt_ prefix makes a token v2 whatever the keyword.
func (s *Server) authenticate45(r *http.Request) (principal, string) {
	auth := strings.Fields(r.Header.Get("Authorization"))
	if len(auth) == 0 || (!strings.EqualFold(auth[0], "token") && !strings.EqualFold(auth[0], "bearer")) {
		return principal{}, "Authentication credentials were not provided."
	}
	if len(auth) != 2 {
		return principal{}, `Invalid authorization header: Must be in the form "Bearer <key>.<token>" or "Token <token>"`
	}
	value := auth[1]
	rest, v2 := strings.CutPrefix(value, v2TokenPrefix)
	if !v2 {
		return s.v1Principal(value, r, "Invalid v1 token")
	}
	key, plaintext, ok := strings.Cut(rest, ".")
	if !ok {
		return principal{}, "Invalid authorization header: Could not parse key from v2 token. Did you mean to use 'Token' instead of 'Bearer'?"
	}
	for _, t := range []string{s.opts.V2Token, s.opts.Token} {
		wantKey, wantPlain, ok := strings.Cut(strings.TrimPrefix(t, v2TokenPrefix), ".")
		if ok && strings.HasPrefix(t, v2TokenPrefix) && key == wantKey && plaintext == wantPlain {
			return principal{user: s.st.get("users.user", simUserID), writeEnabled: true}, ""
		}
	}
	return principal{}, "Invalid v2 token"
}

// v2TokenPrefix is users/constants.py TOKEN_PREFIX (4.5+).
const v2TokenPrefix = "nbt_"

// ETags (4.6).

// etag is ETagMixin._get_etag: W/"<last_updated.isoformat()>", the
// timestamp as Python prints an aware UTC datetime (microseconds only when
// non-zero, +00:00 rather than Z).
func etag(r *row) string {
	t := r.updated
	if t.IsZero() {
		t = r.created
	}
	t = t.UTC()
	layout := "2006-01-02T15:04:05+00:00"
	if t.Nanosecond() != 0 {
		layout = "2006-01-02T15:04:05.000000+00:00"
	}
	return `W/"` + t.Format(layout) + `"`
}

// precondition handles ETags on a detail route: a GET or HEAD gets the
// object's ETag; a PUT, PATCH or DELETE whose If-Match names other ETags
// gets 412 with the current one, before the body is validated
// (NetBoxModelViewSet.update and destroy). It returns false when it has
// answered.
func (h *handler) precondition(obj *row) bool {
	if !h.st.prof.since(6) {
		return true
	}
	switch h.r.Method {
	case http.MethodGet, http.MethodHead:
		h.w.Header().Set("ETag", etag(obj))
		return true
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return true
	}
	match := h.r.Header.Get("If-Match")
	if match == "" || match == "*" {
		return true
	}
	current := etag(obj)
	for _, e := range strings.Split(match, ",") {
		if strings.TrimSpace(e) == current {
			return true
		}
	}
	h.w.Header().Set("ETag", current)
	writeDetail(h.w, http.StatusPreconditionFailed, "Precondition failed.")
	return false
}

// setETag adds the ETag of a single created or updated object (4.6).
func (h *handler) setETag(r *row) {
	if h.st.prof.since(6) {
		h.w.Header().Set("ETag", etag(r))
	}
}

// bulkChangelogError is BulkOperationSerializer's check of
// changelog_message (4.4+): a CharField, so not null, a string (or a
// number), not blank.
func (h *handler) bulkChangelogError(o *jobj) string {
	if !h.st.prof.since(4) {
		return ""
	}
	v, present := o.get("changelog_message")
	if !present {
		return ""
	}
	switch t := v.(type) {
	case nil:
		return "This field may not be null."
	case string:
		if strings.TrimSpace(t) == "" {
			return "This field may not be blank."
		}
	case json.Number:
	default:
		return "Not a valid string."
	}
	return ""
}

// Version is the netbox-version the server reports ("4.6.8").
func (s *Server) Version() string { return s.opts.Version }

// Profile is the release the server plays: one of Profiles().
func (s *Server) Profile() string { return s.st.prof.name() }
