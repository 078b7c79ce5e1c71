package oas

import (
	"net/http"
	"strconv"
	"strings"
)

// Newer NetBox releases against the 4.3 document.
//
// The simulator plays 4.4, 4.5 and 4.6 too (sim/profiles.go). go-netbox
// ships only 4.3's document, so their exchanges are checked against it,
// and everything it says still applies to them: what those releases
// change is either outside what the document constrains, or made to fit.
//
// Outside the document, so checked as for 4.3 with nothing skipped:
//   - 4.4's /api/status/ keys ("installed_apps", "hostname"): the status
//     response is a free-form object.
//   - 4.4's "changelog_message" in write bodies and 4.5's "owner" in
//     bodies and responses: no schema of the document forbids additional
//     properties, and the properties it does list are still checked.
//   - 4.4's and 4.5's counts in nested platforms and device types: the
//     document has them as optional integers.
//   - 4.6's ETag and If-Match headers and its 412 answers: the document
//     declares neither header, and error statuses are not checked.
//
// Made to fit: 4.5's v2 tokens. The document's only security scheme is
// "Authorization: Token <key>"; from 4.5 on "Bearer nbt_<key>.<token>" (and
// "Token nbt_...") authenticate too, so for the check a Bearer credential
// counts as a Token one. Whether the server accepted it is the server's
// business, as for v1 keys.
//
// Made to fit too: from 4.4.4 the assigned_object_type filter of the IP and
// MAC address lists is a ContentTypeFilter, which takes "app.model" where
// the document has an integer (the content type's id); for the check the
// parameter is left out of those requests.

// asIn43 returns r as the 4.3 document can check it for a server playing
// version.
func asIn43(version string, r *http.Request) *http.Request {
	c := r
	clone := func() {
		if c == r {
			c = r.Clone(r.Context())
			c.Body = r.Body
		}
	}
	minor, patch := Release(version)
	if f := strings.Fields(r.Header.Get("Authorization")); minor >= 5 && len(f) == 2 && strings.EqualFold(f[0], "Bearer") {
		clone()
		c.Header.Set("Authorization", "Token "+f[1])
	}
	if (minor > 4 || minor == 4 && patch >= 4) && contentTypeFilterLists[r.URL.Path] && r.URL.Query().Has("assigned_object_type") {
		clone()
		q := c.URL.Query()
		q.Del("assigned_object_type")
		c.URL.RawQuery = q.Encode()
	}
	return c
}

// contentTypeFilterLists are the lists whose assigned_object_type filter
// 4.4.4 made a ContentTypeFilter.
var contentTypeFilterLists = map[string]bool{"/api/ipam/ip-addresses/": true, "/api/dcim/mac-addresses/": true}

// Release is the minor and patch numbers of a 4.x version as the checks
// read it: minor 3 for an empty or unreadable version, 6 for a later major;
// patch 0 when absent or unreadable.
func Release(version string) (minor, patch int) {
	minor = minorOf(version)
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	if len(parts) == 3 {
		patch, _ = strconv.Atoi(parts[2])
	}
	return minor, patch
}

// minorOf is the minor number of a 4.x version; 3 for "" or anything else.
func minorOf(version string) int {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	if len(parts) < 2 {
		return 3
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	switch {
	case err1 != nil || err2 != nil || major < 4:
		return 3
	case major > 4:
		return 6
	}
	return minor
}
