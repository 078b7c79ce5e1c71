package apply

import (
	"errors"
	"math/bits"
	"slices"
	"strings"

	"github.com/cmdb-mcp/cmdb-mcp/internal/diff"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
)

// Isolation: NetBox writes a bulk request all or nothing, so one object it
// refuses would fail every object of the request. When it refuses one,
// apply finds the objects it refuses and writes the others:
//
//   - A 400 to a bulk create names the refused objects: NetBox answers
//     with a list of errors aligned by index. They fail with their own
//     errors and the others are sent again, once: one request more.
//   - Any other refusal that may be about single objects (a bulk update's
//     400, which names the fields of the first refused object but not
//     which object it is; 403, as object permissions are checked per
//     object; 409; a 500 from one object's data) does not say which. The
//     first refused object is found by halving (search), and fails with
//     NetBox's own answer to it alone; the objects after it go again in
//     one request, and so on. Finding k refused objects among n costs at
//     most k*(ceil(log2(n))+2) requests more: the halving, the refused
//     object alone (NetBox's answer to it, not to a group), and the
//     objects after it. When that would exceed n (more than about
//     n/(log2(n)+2) refused), the objects left are sent one by one once
//     it does, which keeps it near 2n: a token that may not write the type
//     at all refuses every object, and only a request of each alone can
//     tell.
//   - Refusals that are never about single objects (a bad token, a lost
//     connection, a NetBox that cannot reach its database) fail every
//     object as before, without a request more.
//
// A request that NetBox accepts costs what it did before isolation: one.

// isolated is the outcome of isolate: for each item, NetBox's answer when
// it was written, else the error that refused it.
type isolated[R any] struct {
	out  []R
	errs []error
	// sends counts the requests made, the first among them.
	sends int
}

// blameFunc says which of the items sent a refusal names, by position in
// the items sent, each with its own error; nil when it does not say.
type blameFunc[T any] func(e *netbox.Error, sent []T) map[int]*netbox.Error

// blameByIndex reads a bulk request's per-object errors.
func blameByIndex[T any](e *netbox.Error, sent []T) map[int]*netbox.Error {
	items := e.ItemErrors()
	for k := range items {
		if k >= len(sent) {
			return nil // not about this request's objects
		}
	}
	return items
}

// isolate sends items in one request (send may split it in chunks, see
// netbox.bulkWrite) and, when NetBox refuses it, finds the refused items
// as the comment above says.
func isolate[T, R any](items []T, send func([]T) ([]R, error), blame blameFunc[T]) isolated[R] {
	s := newIsolator(items, send, blame)
	if len(items) > 0 {
		s.try(s.all())
	}
	return s.res
}

// isolateRefused is isolate for items NetBox has just refused together
// with err: it does not send them whole again.
func isolateRefused[T, R any](items []T, err error, send func([]T) ([]R, error), blame blameFunc[T]) isolated[R] {
	s := newIsolator(items, send, blame)
	if len(items) > 0 {
		s.refused(s.all(), nil, err)
	}
	return s.res
}

func newIsolator[T, R any](items []T, send func([]T) ([]R, error), blame blameFunc[T]) *isolator[T, R] {
	return &isolator[T, R]{items: items, send: send, blame: blame,
		res: isolated[R]{out: make([]R, len(items)), errs: make([]error, len(items))}}
}

func (s *isolator[T, R]) all() []int {
	idx := make([]int, len(s.items))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

type isolator[T, R any] struct {
	items []T
	send  func([]T) ([]R, error)
	blame blameFunc[T]
	res   isolated[R]
}

// try sends the items at idx in one request and reports whether NetBox
// wrote all of them; when it did not, the refused ones are found.
func (s *isolator[T, R]) try(idx []int) bool {
	got, err := s.sendAt(idx)
	if err == nil {
		s.written(idx, got)
		return true
	}
	s.refused(idx, got, err)
	return false
}

func (s *isolator[T, R]) batch(idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = s.items[i]
	}
	return out
}

func (s *isolator[T, R]) sendAt(idx []int) ([]R, error) {
	s.res.sends++
	return s.send(s.batch(idx))
}

func (s *isolator[T, R]) written(idx []int, got []R) {
	for k, i := range idx {
		if k < len(got) {
			s.res.out[i] = got[k]
		}
	}
}

// refused finds what NetBox refused of the items at idx, which it answered
// with err (and, for the chunks it wrote, got).
func (s *isolator[T, R]) refused(idx []int, got []R, err error) {
	var e *netbox.Error
	if !errors.As(err, &e) || !e.Isolable() {
		for _, i := range idx {
			s.res.errs[i] = err
		}
		return
	}
	// Above netbox's chunk size the chunks before the refused one were
	// written; their answers come with the error.
	done := 0
	if len(got) < len(idx) {
		done = len(got)
	}
	s.written(idx[:done], got)
	blamed := s.blame(e, s.batch(idx))
	if len(idx)-done == 1 {
		i := idx[done]
		s.res.errs[i] = err
		if own, ok := blamed[done]; ok {
			s.res.errs[i] = own
		}
		return
	}
	if len(blamed) > 0 {
		var clean []int
		for k := done; k < len(idx); k++ {
			if own, ok := blamed[k]; ok {
				s.res.errs[idx[k]] = own
			} else {
				clean = append(clean, idx[k])
			}
		}
		if len(clean) > 0 {
			s.try(clean)
		}
		return
	}
	s.search(idx[done:])
}

// search finds the refused items among idx, at least two, which NetBox
// refused together without saying which. It looks for the first refused
// item by halving: a first half NetBox writes leaves the refusal to the
// second half, which is halved in turn without being sent whole; a first
// half it refuses is halved, and the second half waits. Once the first
// refused item is found, every item that waited goes in one request, which
// starts the search again if NetBox refuses it too. One refused item costs
// at most ceil(log2(n)) requests, one for it alone and one for the items
// that waited.
func (s *isolator[T, R]) search(idx []int) {
	var waiting []int
	for len(idx) > 1 {
		if s.spent() {
			s.alone(idx)
			s.alone(waiting)
			return
		}
		mid := len(idx) / 2
		first, second := idx[:mid], idx[mid:]
		got, err := s.sendAt(first)
		if err == nil {
			s.written(first, got)
			idx = second
			if len(idx) == 1 {
				// Refused, unless the refusal was a passing one: sent
				// alone it gets NetBox's answer of its own.
				s.try(idx)
			}
			continue
		}
		waiting = append(slices.Clone(second), waiting...)
		var e *netbox.Error
		if len(first) > 1 && len(got) == 0 && errors.As(err, &e) && e.Isolable() && len(s.blame(e, s.batch(first))) == 0 {
			idx = first
			continue
		}
		s.refused(first, got, err)
		break
	}
	switch {
	case len(waiting) == 0:
	case s.spent():
		s.alone(waiting)
	default:
		s.try(waiting)
	}
}

// spent reports whether so many items were refused that searching for as
// many again would cost more than sending each item that is left alone:
// f found cost up to f*(ceil(log2 n)+2) requests. When nearly every item
// is refused (a token that may not write the object type at all), that
// keeps the whole isolation at about 2n requests rather than n*log2(n);
// with fewer refused than n/(log2(n)+2) it never switches.
func (s *isolator[T, R]) spent() bool {
	n := len(s.items)
	found := 0
	for _, err := range s.res.errs {
		if err != nil {
			found++
		}
	}
	// One refused item says nothing of how many more there are.
	return found >= 2 && found*(bits.Len(uint(n-1))+2) >= n
}

// alone sends each item on its own.
func (s *isolator[T, R]) alone(idx []int) {
	for _, i := range idx {
		s.try([]int{i})
	}
}

// blameFields reads a refusal of one object's update, made of the changes
// sent, by the fields it names: each change whose fields NetBox names is
// refused with those fields' messages.
func blameFields(e *netbox.Error, sent []diff.Change) map[int]*netbox.Error {
	var out map[int]*netbox.Error
	for k, c := range sent {
		var fields map[string][]string
		for key, msgs := range e.Fields {
			key = strings.TrimPrefix(key, "0.") // a bulk request of this one object
			field, _, _ := strings.Cut(key, ".")
			for _, f := range wireFields(c) {
				if f == field {
					if fields == nil {
						fields = map[string][]string{}
					}
					fields[key] = msgs
				}
			}
		}
		if fields == nil {
			continue
		}
		own := *e
		own.Fields = fields
		own.Message = (&netbox.Error{Fields: fields}).FieldsMessage()
		if out == nil {
			out = map[int]*netbox.Error{}
		}
		out[k] = &own
	}
	return out
}

// wireFields are the fields a change writes, as NetBox names them in its
// errors.
func wireFields(c diff.Change) []string {
	switch {
	case c.ObjectType == diff.ObjectInterface && c.Field == diff.FieldMAC:
		return []string{"primary_mac_address"}
	case c.ObjectType == diff.ObjectInterface && (c.Field == diff.FieldEnabled || c.Action == diff.ActionOffline):
		return []string{"enabled", "description"}
	case c.Field == diff.FieldAssignment:
		return []string{"assigned_object_type", "assigned_object_id", "assigned_object"}
	case c.ObjectType == diff.ObjectVM && c.Field == diff.FieldDescription:
		return []string{"description", "comments"}
	}
	return []string{c.Field}
}
