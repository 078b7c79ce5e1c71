package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// NetBox versions.
//
// cmdb-mcp supports NetBox 4.3 to 4.6 and adapts to the one it talks to
// (facts from NetBox's source, netbox-community/netbox tags v4.4.10,
// v4.5.10, v4.6.8; see sim/profiles.go):
//
//   - 4.4+: every write carries "changelog_message", which NetBox keeps as
//     the message of the change records it makes (the sync sends
//     "cmdb-mcp sync <plan id>", see WriteOptions). 4.3 has no such
//     field; it is not sent there.
//   - 4.5+: v2 tokens ("nbt_<key>.<token>") go as "Authorization: Bearer",
//     v1 tokens as "Token" (config.go: the token decides, not the version).
//   - 4.6+: a device PATCH carries If-Match with the ETag this client last
//     read for the device, so that a change made in between fails with 412
//     (KindConflict) instead of being overwritten. SnapshotFor reads the
//     device's detail for its ETag (lists carry none); readDevice returns
//     it, the client keeps it by device id, and UpdateDevice sends it
//     (devices.go). Bulk writes take no If-Match in NetBox
//     (BulkUpdateModelMixin).
//   - Every read and write but /api/status/ goes through the JSON path into
//     our own types (devices.go, platforms.go, journal.go), which ignore
//     what newer releases add (owner, counts) and do not reject choices
//     4.3 does not know, where go-netbox v4.3.0's models would.
//
// The client learns the version from /api/status/ (Status, ServerVersion)
// and from the API-Version header (major.minor, which is all the
// adaptations need) that NetBox puts on every API answer
// (netbox/middleware.py), whichever comes first. A sync always reads
// before it writes, so its writes know the version without a request of
// their own. A write sent before the client has any answer goes out as
// for 4.3, which every release accepts (no changelog_message), and its
// answer tells the version to the next one.

// Oldest and newest releases cmdb-mcp is tested against (sim/profiles.go).
var (
	oldestSupported = serverVersion{4, 3}
	newestTested    = serverVersion{4, 6}
)

// VersionAdvice is a sentence for a person when NetBox's release (as
// /api/status/ gives it, "4.3.7") is outside the ones cmdb-mcp supports;
// "" for a supported release or one it cannot read.
func VersionAdvice(netboxVersion string) string {
	v, ok := parseVersion(netboxVersion)
	switch {
	case !ok:
		return ""
	case !v.atLeast(oldestSupported.major, oldestSupported.minor):
		return "NetBox " + netboxVersion + " is older than 4.3, the oldest release cmdb-mcp supports: syncs may fail; upgrade NetBox to 4.3 or later"
	case v.atLeast(newestTested.major, newestTested.minor+1):
		return "NetBox " + netboxVersion + " is newer than 4.6, the newest release cmdb-mcp is tested against: read the first diff report closely before applying it"
	}
	return ""
}

// serverVersion is NetBox's major.minor; zero when unknown.
type serverVersion struct{ major, minor int }

func (v serverVersion) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// parseVersion reads "4.6", "4.6.8", "v4.5.1-beta1", "4.4.10-Docker-3.4.1".
func parseVersion(s string) (serverVersion, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(strings.SplitN(s, "-", 2)[0], ".", 3)
	if len(parts) < 2 {
		return serverVersion{}, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major <= 0 || minor < 0 {
		return serverVersion{}, false
	}
	return serverVersion{major, minor}, true
}

// maxETags bounds the ETags a client remembers (one per device it read).
const maxETags = 4096

// versionState is what a Client learned about its NetBox.
type versionState struct {
	fetch sync.Mutex // one /api/status/ read at a time

	mu      sync.Mutex
	version serverVersion
	known   bool
	etags   map[int64]string // device id -> ETag last read (4.6+)
}

func newVersionState() *versionState { return &versionState{etags: map[int64]string{}} }

func (s *versionState) get() (serverVersion, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, s.known
}

func (s *versionState) set(v serverVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version, s.known = v, true
}

// observe learns the version from a response's API-Version header, unless
// /api/status/ or an earlier answer told it already.
func (s *versionState) observe(resp *http.Response) {
	if resp == nil {
		return
	}
	if _, known := s.get(); known {
		return
	}
	if v, ok := parseVersion(resp.Header.Get("API-Version")); ok {
		s.set(v)
	}
}

func (s *versionState) etag(deviceID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etags[deviceID]
}

func (s *versionState) setETag(deviceID int64, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tag == "" {
		delete(s.etags, deviceID)
		return
	}
	if len(s.etags) >= maxETags {
		clear(s.etags)
	}
	s.etags[deviceID] = tag
}

// serverVersion returns NetBox's version as far as an answer told it;
// zero (act as for 4.3) before any did.
func (c *Client) serverVersion() serverVersion {
	v, _ := c.ver.get()
	return v
}

// recordStatus learns the version from /api/status/'s netbox-version.
func (s *versionState) recordStatus(netboxVersion string) {
	if v, ok := parseVersion(netboxVersion); ok {
		s.set(v)
	}
}

// ServerVersion is NetBox's major.minor ("4.6"), read from /api/status/
// unless an earlier answer told it; "" when it cannot tell.
func (c *Client) ServerVersion(ctx context.Context) string {
	v, ok := c.ver.get()
	if !ok {
		c.ver.fetch.Lock()
		defer c.ver.fetch.Unlock()
		if v, ok = c.ver.get(); !ok {
			if _, err := c.Status(ctx); err != nil {
				return ""
			}
			v, ok = c.ver.get()
		}
	}
	if !ok {
		return ""
	}
	return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor)
}

// Change log messages (4.4+).

// DefaultChangelogMessage is the changelog_message of writes whose
// WriteOptions name none (MCP tools that write one object, say).
const DefaultChangelogMessage = "cmdb-mcp"

// maxChangelogMessage is ObjectChange.message's max_length
// (core/models/change_logging.py): a longer message fails in the database.
const maxChangelogMessage = 200

// WriteOptions is what a write carries besides its body. Every write
// method takes one; the zero value writes as "cmdb-mcp" and collects no
// request ids.
type WriteOptions struct {
	// ChangelogMessage is the message NetBox 4.4 and later record on the
	// change records the write makes (ignored before): a sync sends
	// SyncMarker(plan id). Empty is DefaultChangelogMessage; blank (only
	// spaces) sends none.
	ChangelogMessage string
	// TakeExisting makes a create of shared objects (platforms, device
	// roles, cluster types, cluster groups, manufacturers) that NetBox
	// refuses because the slug is taken take the object that holds it,
	// when it has the slug and name asked for: the object another host
	// syncing at the same time made first (create_check.go). Without it
	// the refusal is the create's error.
	TakeExisting bool
	// RequestIDs, when not nil, collects the X-Request-ID of every answer
	// to the write's requests: the ids NetBox's change records of the
	// write carry (changelog.go).
	RequestIDs *RequestLog
}

// changelogMessage is the message a write sends: trimmed, cut to what
// NetBox stores; "" for none.
func (w WriteOptions) changelogMessage() string {
	msg := w.ChangelogMessage
	if msg == "" {
		msg = DefaultChangelogMessage
	}
	msg = strings.TrimSpace(msg)
	if utf8.RuneCountInString(msg) > maxChangelogMessage {
		msg = string([]rune(msg)[:maxChangelogMessage])
	}
	return msg
}

// withChangelog adds changelog_message to a write body (an object, or a
// list of objects for bulk writes) on NetBox 4.4+. Objects that name a
// message already keep theirs. A blank message is not sent: a bulk write
// would be refused ("This field may not be blank.").
func (c *Client) withChangelog(w WriteOptions, method string, body []byte) []byte {
	if method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch {
		return body
	}
	msg := w.changelogMessage()
	if msg == "" || !c.serverVersion().atLeast(4, 4) {
		return body
	}
	quoted, err := json.Marshal(msg)
	if err != nil {
		return body
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return addMessage(trimmed, quoted)
	case len(trimmed) > 0 && trimmed[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return body
		}
		for i, it := range items {
			items[i] = addMessage(bytes.TrimSpace(it), quoted)
		}
		out, err := json.Marshal(items)
		if err != nil {
			return body
		}
		return out
	}
	return body
}

// addMessage appends "changelog_message" to a JSON object that lacks it;
// anything else is returned as it is.
func addMessage(obj, quoted []byte) []byte {
	var keys map[string]json.RawMessage
	if len(obj) < 2 || obj[0] != '{' || json.Unmarshal(obj, &keys) != nil {
		return obj
	}
	if _, has := keys["changelog_message"]; has {
		return obj
	}
	out := make([]byte, 0, len(obj)+len(quoted)+24)
	out = append(out, obj[:len(obj)-1]...)
	if len(keys) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"changelog_message":`...)
	out = append(out, quoted...)
	return append(out, '}')
}
