package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Creates whose outcome is unknown.
//
// A POST that times out, loses its connection or gets a 5xx or 429 may or
// may not have created its objects: the answer was lost, not necessarily
// the request. Sending it again could make duplicates (NetBox allows
// duplicate MACs, and a unique name would turn the second attempt into a
// confusing 400). So createChecked looks the objects up by their natural
// key first, takes the ones that exist as created, and sends again only
// the missing ones, and only for failures worth a retry (retry.go). A
// non-retryable failure (500) is still checked, so that a create that
// went in is reported as done.
//
// A create that timed out may still be running in NetBox when it is
// checked (Django finishes a request whose client went away), and land
// after the check. So the check comes after the backoff wait, not before;
// and a re-sent create that NetBox refuses as invalid (the late original
// took the unique name or slug) is checked once more and taken as done
// when everything is found. Where NetBox keeps nothing unique (MAC
// addresses) a create that lands later than its check plus the wait would
// still be made twice; no NetBox API offers an idempotency key to close
// that gap.
//
// Natural keys, per endpoint (what NetBox keeps unique, or what the sync
// never makes twice):
//
//	interfaces        name + device
//	MAC addresses     MAC + assigned interface
//	IP addresses      address (mask included) + assigned interface
//	virtual machines  name (any case) + cluster
//	clusters          name + group
//	devices           name (any case) + site
//	device types      slug + manufacturer
//	platforms         slug + manufacturer
//	device roles, cluster types, cluster groups, manufacturers: slug
//
//	journal entries  the line "cmdb-mcp sync <plan id>" (SyncMarker) in
//	                 the comments + the object journaled; an entry without
//	                 that line has no natural key
//
// Other endpoints are sent once and never checked.
//
// Shared objects and lost races.
//
// A fleet's hosts share some objects: the platform of their OS, the
// cluster type Docker Compose, the VM roles. Hosts that sync at the same
// time each plan to create a missing one, and all but the first are refused
// by NetBox's unique constraints with a 400 ("platform with this slug
// already exists."). That answer means the object is there, not that the
// sync failed: for the endpoints whose natural key is a slug, a create
// refused only for a taken name or slug looks the objects up, takes those
// with the slug and name it asked for as its own (the winner's object),
// and sends again only what is still missing. An object that holds the
// slug under another name is a real conflict and stays an error. Only the
// creates whose WriteOptions say TakeExisting do so (a sync's): anyone
// else asking to create an object that exists hears that it does.

// naturalKey finds the object a create of item would have made.
type naturalKey struct {
	// scope is the filter every candidate matches besides param
	// (device_id of an interface); nil for none.
	scope func(item map[string]any) url.Values
	// param is the repeated list filter that value fills.
	param string
	value func(item map[string]any) string
	// same reports whether got is what item would have made.
	same func(item map[string]any, got *keyedObject) bool
	// shared marks objects several hosts may race to create: a create
	// refused because the key is taken takes the existing object.
	shared bool
	// has, when not nil, reports whether an item has a natural key at
	// all; a create of items without one is sent once, unchecked.
	has func(item map[string]any) bool
}

// keyedObject is what natural keys compare of a listed object.
type keyedObject struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	Slug               string   `json:"slug"`
	Address            string   `json:"address"`
	MAC                string   `json:"mac_address"`
	Device             *wireRef `json:"device"`
	Cluster            *wireRef `json:"cluster"`
	Site               *wireRef `json:"site"`
	Group              *wireRef `json:"group"`
	AssignedObjectType *string  `json:"assigned_object_type"`
	AssignedObjectID   *int64   `json:"assigned_object_id"`
	Comments           string   `json:"comments"`
	Manufacturer       *wireRef `json:"manufacturer"`
}

// bySlug finds an object by its slug, and takes it only under the name
// asked for: NetBox keeps both unique, and a slug another object holds
// under another name is not what the create meant to make.
var bySlug = naturalKey{
	param: "slug",
	value: func(it map[string]any) string { return itemString(it, "slug") },
	same: func(it map[string]any, got *keyedObject) bool {
		return got.Slug == itemString(it, "slug") && strings.EqualFold(got.Name, itemString(it, "name"))
	},
	shared: true,
}

var naturalKeys = map[string]naturalKey{
	// NetBox 4.4+ keeps platform slugs unique per manufacturer: another
	// manufacturer's platform of the slug is not the one created.
	platformsPath: {
		param: "slug",
		value: func(it map[string]any) string { return itemString(it, "slug") },
		same: func(it map[string]any, got *keyedObject) bool {
			return got.Slug == itemString(it, "slug") && strings.EqualFold(got.Name, itemString(it, "name")) &&
				got.Manufacturer.id() == itemID(it, "manufacturer")
		},
		shared: true,
	},
	deviceRolesPath:   bySlug,
	clusterTypesPath:  bySlug,
	clusterGroupsPath: bySlug,
	manufacturersPath: bySlug,
	deviceTypesPath: {
		scope: idScope("manufacturer_id", "manufacturer"),
		param: "slug",
		value: func(it map[string]any) string { return itemString(it, "slug") },
		same:  func(it map[string]any, got *keyedObject) bool { return got.Slug == itemString(it, "slug") },
	},
	devicesPath: {
		// NetBox's name filter on devices ignores case, as its uniqueness does.
		scope: idScope("site_id", "site"),
		param: "name",
		value: func(it map[string]any) string { return itemString(it, "name") },
		same: func(it map[string]any, got *keyedObject) bool {
			return strings.EqualFold(got.Name, itemString(it, "name")) && got.Site.id() == itemID(it, "site")
		},
	},
	interfacesPath: {
		scope: idScope("device_id", "device"),
		param: "name",
		value: func(it map[string]any) string { return itemString(it, "name") },
		same: func(it map[string]any, got *keyedObject) bool {
			return got.Name == itemString(it, "name") && got.Device.id() == itemID(it, "device")
		},
	},
	macAddressesPath: {
		param: "mac_address",
		value: func(it map[string]any) string { return CanonicalMAC(itemString(it, "mac_address")) },
		same: func(it map[string]any, got *keyedObject) bool {
			return CanonicalMAC(got.MAC) == CanonicalMAC(itemString(it, "mac_address")) && sameAssignment(it, got)
		},
	},
	ipAddressesPath: {
		// The host part finds the address whatever mask NetBox stored.
		param: "address",
		value: func(it map[string]any) string { return hostPart(itemString(it, "address")) },
		same: func(it map[string]any, got *keyedObject) bool {
			want, err1 := netip.ParsePrefix(itemString(it, "address"))
			have, err2 := netip.ParsePrefix(got.Address)
			return err1 == nil && err2 == nil && want == have && sameAssignment(it, got)
		},
	},
	clustersPath: {
		scope: idScope("group_id", "group"),
		param: "name",
		value: func(it map[string]any) string { return itemString(it, "name") },
		same: func(it map[string]any, got *keyedObject) bool {
			return got.Name == itemString(it, "name") && got.Group.id() == itemID(it, "group")
		},
	},
	journalPath: {
		scope: func(it map[string]any) url.Values {
			return url.Values{"assigned_object_type": {itemString(it, "assigned_object_type")},
				"assigned_object_id": {strconv.FormatInt(itemID(it, "assigned_object_id"), 10)}}
		},
		param: "q", // NetBox searches the comments
		value: func(it map[string]any) string { return syncMarkerIn(itemString(it, "comments")) },
		same: func(it map[string]any, got *keyedObject) bool {
			return syncMarkerIn(got.Comments) == syncMarkerIn(itemString(it, "comments")) && sameAssignment(it, got)
		},
		has: func(it map[string]any) bool { return syncMarkerIn(itemString(it, "comments")) != "" },
	},
	virtualMachinesPath: {
		scope: idScope("cluster_id", "cluster"),
		param: "name",
		value: func(it map[string]any) string { return itemString(it, "name") },
		same: func(it map[string]any, got *keyedObject) bool {
			return strings.EqualFold(got.Name, itemString(it, "name")) && got.Cluster.id() == itemID(it, "cluster")
		},
	},
}

// SyncMarker names the writes of one apply of plan planID: NetBox 4.4+
// keeps it as the changelog message of each, and it is the last line of
// the apply's journal entry, so that an entry whose answer was lost can be
// found rather than written twice.
func SyncMarker(planID string) string { return syncMarkerPrefix + planID }

const syncMarkerPrefix = "cmdb-mcp sync "

// syncMarkerIn returns the SyncMarker line of a journal entry's comments,
// "" when it has none.
func syncMarkerIn(comments string) string {
	for line := range strings.Lines(comments) {
		line = strings.TrimSpace(line)
		if id, ok := strings.CutPrefix(line, syncMarkerPrefix); ok && id != "" && !strings.ContainsAny(id, " \t") {
			return line
		}
	}
	return ""
}

func itemString(it map[string]any, k string) string {
	s, _ := it[k].(string)
	return s
}

// itemID reads a foreign key of a request body: an id, or a nested object
// with one. 0 when absent or null.
func itemID(it map[string]any, k string) int64 {
	v := it[k]
	if m, ok := v.(map[string]any); ok {
		v = m["id"]
	}
	if n, ok := v.(json.Number); ok {
		id, _ := n.Int64()
		return id
	}
	return 0
}

func idScope(param, field string) func(map[string]any) url.Values {
	return func(it map[string]any) url.Values {
		if id := itemID(it, field); id != 0 {
			return url.Values{param: {strconv.FormatInt(id, 10)}}
		}
		return nil
	}
}

// sameAssignment compares the generic foreign key of a MAC or IP body
// with a listed object's: the same interface, or both unassigned.
func sameAssignment(it map[string]any, got *keyedObject) bool {
	wantType, wantID := itemString(it, "assigned_object_type"), itemID(it, "assigned_object_id")
	return wantType == deref(got.AssignedObjectType) && wantID == deref(got.AssignedObjectID)
}

// createChecked POSTs body to path, a JSON list when list is set (a bulk
// create, answered in order) or one object, and decodes NetBox's answer
// into out; for an outcome it cannot know it checks and re-sends as the
// comment at the top of this file says. out receives, in input order, the
// objects created or found.
func (c *Client) createChecked(ctx context.Context, path string, body any, list bool, out any, w WriteOptions) error {
	post := request{method: http.MethodPost, path: path, body: body, out: out, write: w}
	key, checked := naturalKeys[path]
	if !checked {
		_, err := c.do(ctx, post)
		return err
	}
	items, decoded, keyed, err := createItems(path, body, list, key)
	if err != nil {
		return err
	}
	if !keyed {
		_, err := c.do(ctx, post)
		return err
	}
	cc := &checkedCreate{c: c, path: path, key: key, items: items, decoded: decoded, list: list, w: w,
		results: make([]json.RawMessage, len(items)), pending: identity(len(items)), start: time.Now()}
	if err := cc.send(ctx); err != nil {
		return err
	}
	return cc.decodeInto(out)
}

// createItems splits the body of a create into its items (one unless
// list), each also decoded as a JSON object for its natural key. keyed is
// false as soon as an item has no natural key: then the create is sent
// once, unchecked.
func createItems(path string, body any, list bool, key naturalKey) (items []json.RawMessage, decoded []map[string]any, keyed bool, err error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, nil, false, fmt.Errorf("netbox: POST %s: encoding the request body: %w", path, err)
	}
	items = []json.RawMessage{raw}
	if list {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, nil, false, fmt.Errorf("netbox: POST %s: the body must be a list: %w", path, err)
		}
	}
	decoded = make([]map[string]any, len(items))
	for i, it := range items {
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.UseNumber()
		if err := dec.Decode(&decoded[i]); err != nil {
			return nil, nil, false, fmt.Errorf("netbox: POST %s: element %d must encode as a JSON object: %w", path, i, err)
		}
		if key.has != nil && !key.has(decoded[i]) {
			return nil, nil, false, nil
		}
	}
	return items, decoded, true, nil
}

// checkedCreate is one create whose items have a natural key: the items,
// NetBox's answer (or the object found) for each, and the indexes of the
// items neither answered nor found yet.
type checkedCreate struct {
	c       *Client
	path    string
	key     naturalKey
	items   []json.RawMessage
	decoded []map[string]any
	list    bool
	w       WriteOptions

	results []json.RawMessage
	pending []int
	start   time.Time // of the first attempt, for the retry budget
	races   int       // creates refused for a taken key so far
}

// send sends the pending items until NetBox has them all, re-sending only
// what a check of a failed attempt did not find.
func (cc *checkedCreate) send(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		sendErr := cc.c.sendCreate(ctx, cc.path, cc.items, cc.pending, cc.list, cc.results, cc.w)
		if sendErr == nil {
			return nil
		}
		done, err := cc.afterFailure(ctx, attempt, sendErr)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// afterFailure decides what a failed attempt leads to: done when a check
// found every item, an error to give up with, or neither to send again.
func (cc *checkedCreate) afterFailure(ctx context.Context, attempt int, sendErr error) (done bool, err error) {
	var e *Error
	if !errors.As(sendErr, &e) || ctx.Err() != nil {
		return false, sendErr
	}
	if cc.key.shared && cc.w.TakeExisting && onlyTaken(e) && cc.races < len(cc.items) {
		return cc.takeRaced(ctx, e, sendErr)
	}
	if !outcomeUnknown(e) {
		// A re-sent create refused as invalid: the first attempt, which
		// timed out while NetBox was still at it, may have landed after
		// the check, and made the objects unique keys now refuse. Look
		// again.
		if attempt > 0 && e.Kind == KindValidation {
			if done, err := cc.check(ctx, e); err == nil && done {
				return true, nil
			}
		}
		return false, sendErr
	}
	return cc.waitAndCheck(ctx, attempt, e, sendErr)
}

// takeRaced takes the objects another client made since they were looked
// up, after a create refused only for taken keys, and has the rest sent
// again. Each round takes at least one object or ends, so len(items)
// rounds bound it.
func (cc *checkedCreate) takeRaced(ctx context.Context, e *Error, sendErr error) (done bool, err error) {
	cc.races++
	before := len(cc.pending)
	done, err = cc.check(ctx, e)
	switch {
	case err != nil:
		return false, fmt.Errorf("%w (looking up the objects that hold the name or slug failed: %v)", sendErr, err)
	case done:
		return true, nil
	case len(cc.pending) < before:
		return false, nil
	}
	return false, sendErr // held by objects of another name: a real conflict
}

// waitAndCheck handles a failure whose outcome is unknown: it waits the
// backoff when the failure is worth a retry, then checks what went in,
// and has the rest sent again only when retrying.
func (cc *checkedCreate) waitAndCheck(ctx context.Context, attempt int, e *Error, sendErr error) (done bool, err error) {
	// Wait before checking, not after: a create that timed out (or got
	// a proxy's 504) may still be in flight in NetBox, and the wait
	// gives it time to land where the check sees it.
	retry := retryStatus(e.StatusCode) || (e.Kind == KindNetwork && retryCause(e) != "")
	if retry {
		var wait time.Duration
		if wait, retry = cc.c.retry.wait(attempt, e.retryAfter, cc.start); retry {
			if err := sleep(ctx, wait); err != nil {
				return false, sendErr
			}
		}
	}
	done, lookupErr := cc.check(ctx, e)
	if lookupErr != nil {
		return false, &uncheckedCreateError{err: sendErr, lookup: lookupErr}
	}
	if done {
		return true, nil // it went in; only the answer was lost
	}
	if !retry {
		return false, sendErr
	}
	return false, nil
}

// check looks the pending items up and keeps what it finds; it reports
// whether nothing is missing any more.
func (cc *checkedCreate) check(ctx context.Context, cause *Error) (bool, error) {
	found, err := cc.c.findCreated(ctx, cc.path, cc.key, cc.decoded, cc.pending)
	if err != nil {
		return false, err
	}
	var missing []int
	for _, i := range cc.pending {
		if obj, ok := found[i]; ok {
			cc.results[i] = obj
		} else {
			missing = append(missing, i)
		}
	}
	cc.c.retry.log.LogAttrs(ctx, slog.LevelDebug, "netbox create outcome checked",
		slog.String("path", cc.path), slog.String("error", cause.Message),
		slog.Int("found", len(cc.pending)-len(missing)), slog.Int("missing", len(missing)))
	cc.pending = missing
	return len(cc.pending) == 0, nil
}

// decodeInto decodes the objects created or found, in input order, into
// out: a list for a bulk create, else the one object.
func (cc *checkedCreate) decodeInto(out any) error {
	if out == nil {
		return nil
	}
	answer := cc.results[0]
	if cc.list {
		answer, _ = json.Marshal(cc.results)
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return cc.c.newError(&Error{Kind: KindDecode, Method: http.MethodPost, Path: cc.path, StatusCode: http.StatusCreated,
			Message: fmt.Sprintf("the response does not fit %T: %v", out, err), err: err})
	}
	return nil
}

// onlyTaken reports whether NetBox refused a create only because unique
// values are taken: every message is a unique validator's ("platform with
// this slug already exists.", "The fields manufacturer, slug must make a
// unique set.", or from NetBox 4.4 a named constraint's own message,
// "Platform name must be unique."), whatever field or bulk index it is
// under.
func onlyTaken(e *Error) bool {
	if e.Kind != KindValidation || e.StatusCode != http.StatusBadRequest || len(e.Fields) == 0 {
		return false
	}
	for _, msgs := range e.Fields {
		for _, m := range msgs {
			if !strings.HasSuffix(m, "already exists.") && !strings.HasSuffix(m, "must make a unique set.") && !strings.HasSuffix(m, "must be unique.") {
				return false
			}
		}
	}
	return true
}

// outcomeUnknown reports whether a failed POST may have created something.
func outcomeUnknown(e *Error) bool {
	return e.Kind == KindNetwork || e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// sendCreate POSTs the pending items and stores NetBox's answer for each.
func (c *Client) sendCreate(ctx context.Context, path string, items []json.RawMessage, pending []int, list bool, results []json.RawMessage, w WriteOptions) error {
	if !list {
		var got json.RawMessage
		if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: items[0], out: &got, write: w}); err != nil {
			return err
		}
		results[0] = got
		return nil
	}
	send := make([]json.RawMessage, len(pending))
	for k, i := range pending {
		send[k] = items[i]
	}
	var got []json.RawMessage
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: send, out: &got, write: w}); err != nil {
		return remapBulkIndexes(err, pending)
	}
	if len(got) != len(send) {
		return &Error{Kind: KindDecode, Method: http.MethodPost, Path: path, StatusCode: http.StatusCreated,
			Message: fmt.Sprintf("sent %d objects, NetBox answered with %d", len(send), len(got))}
	}
	for k, i := range pending {
		results[i] = got[k]
	}
	return nil
}

// findCreated looks up, by natural key, the objects the pending items
// would have made, and returns them by item index. Each listed object
// stands for one item at most.
func (c *Client) findCreated(ctx context.Context, path string, key naturalKey, items []map[string]any, pending []int) (map[int]json.RawMessage, error) {
	type group struct {
		scope  url.Values
		values []string
	}
	groups := map[string]*group{}
	var order []string
	for _, i := range pending {
		var scope url.Values
		if key.scope != nil {
			scope = key.scope(items[i])
		}
		g := groups[scope.Encode()]
		if g == nil {
			g = &group{scope: scope}
			groups[scope.Encode()] = g
			order = append(order, scope.Encode())
		}
		g.values = append(g.values, key.value(items[i]))
	}
	var listed []json.RawMessage
	for _, k := range order {
		g := groups[k]
		got, err := listJSONAnyOf(ctx, c, path, g.scope, key.param, g.values, func(w *json.RawMessage) json.RawMessage { return *w })
		if err != nil {
			return nil, err
		}
		listed = append(listed, got...)
	}
	objs := make([]keyedObject, len(listed))
	for i, raw := range listed {
		if err := json.Unmarshal(raw, &objs[i]); err != nil {
			return nil, c.newError(&Error{Kind: KindDecode, Method: http.MethodGet, Path: path,
				Message: fmt.Sprintf("the response does not fit %T: %v", objs[i], err), err: err})
		}
	}
	found := map[int]json.RawMessage{}
	taken := map[int64]bool{}
	for _, i := range pending {
		for j := range objs {
			if !taken[objs[j].ID] && key.same(items[i], &objs[j]) {
				taken[objs[j].ID] = true
				found[i] = listed[j]
				break
			}
		}
	}
	return found, nil
}

// remapBulkIndexes renames the leading index of a bulk error's Fields
// ("1.name") from a position among the items sent to the item's position
// in the caller's input.
func remapBulkIndexes(err error, sent []int) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 || slices.Equal(sent, identity(len(sent))) {
		return err
	}
	fields := make(map[string][]string, len(e.Fields))
	for k, msgs := range e.Fields {
		idx, rest, dotted := strings.Cut(k, ".")
		if n, convErr := strconv.Atoi(idx); convErr == nil && n >= 0 && n < len(sent) {
			k = strconv.Itoa(sent[n])
			if dotted {
				k += "." + rest
			}
		}
		fields[k] = msgs
	}
	remapped := *e
	remapped.Fields = fields
	remapped.Message = renderFields(fields)
	return &remapped
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// uncheckedCreateError is a create whose outcome is unknown and could not
// be checked either. It unwraps to the create's error.
type uncheckedCreateError struct {
	err    error // the create's
	lookup error // the check's
}

func (e *uncheckedCreateError) Error() string {
	return fmt.Sprintf("%v (it may have reached NetBox: looking for what it created failed: %v)", e.err, e.lookup)
}

func (e *uncheckedCreateError) Unwrap() error { return e.err }
