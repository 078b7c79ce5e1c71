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

// asIn43 returns r as the 4.3 document can check it for a server playing
// version.
func asIn43(version string, r *http.Request) *http.Request {
	if minorOf(version) < 5 {
		return r
	}
	f := strings.Fields(r.Header.Get("Authorization"))
	if len(f) != 2 || !strings.EqualFold(f[0], "Bearer") {
		return r
	}
	c := r.Clone(r.Context())
	c.Body = r.Body
	c.Header.Set("Authorization", "Token "+f[1])
	return c
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
