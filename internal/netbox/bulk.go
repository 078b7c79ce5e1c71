package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// maxBulkObjects is how many objects one bulk request carries. NetBox sets
// no limit of its own, but Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by
// default) and proxies' body limits do, and one request holds a database
// transaction for all of its objects. A host has far fewer interfaces,
// addresses or containers, so a sync practically always sends one request.
const maxBulkObjects = 1000

// bulkWrite sends in through send (postList or patchList) and converts
// what NetBox returns; match puts one chunk's answer in the order of the
// chunk. An empty in makes no request.
//
// Above maxBulkObjects objects it sends one request per chunk of
// maxBulkObjects, in order. Each request is all or nothing, the whole call
// is not: when a chunk fails, the objects of earlier chunks were written;
// they are returned with the error. The error's Fields are indexed by
// position in in, not in the chunk ("1000.name" for in[1000]).
func bulkWrite[In, W, T any](ctx context.Context, send func(ctx context.Context, path string, objs, out any, w WriteOptions) error, method, path string,
	in []In, w WriteOptions, conv func(*W) T, match func(chunk []In, got []T) ([]T, *Error)) ([]T, error) {
	out := make([]T, 0, len(in))
	for start := 0; start < len(in); start += maxBulkObjects {
		chunk := in[start:min(start+maxBulkObjects, len(in))]
		var wire []W
		if err := send(ctx, path, chunk, &wire, w); err != nil {
			return out, offsetBulkIndexes(err, start)
		}
		got := make([]T, len(wire))
		for i := range wire {
			got[i] = conv(&wire[i])
		}
		ordered, mismatch := match(chunk, got)
		out = append(out, ordered...)
		if mismatch != nil {
			mismatch.Method, mismatch.Path = method, path
			return out, mismatch
		}
	}
	return out, nil
}

// bulkCreate: NetBox answers a bulk create in the order sent.
func bulkCreate[In, W, T any](ctx context.Context, c *Client, path string, in []In, w WriteOptions, conv func(*W) T) ([]T, error) {
	return bulkWrite(ctx, c.postList, http.MethodPost, path, in, w, conv, func(chunk []In, got []T) ([]T, *Error) {
		if len(got) != len(chunk) {
			// Results are matched to inputs by position; a short answer
			// cannot be matched.
			return nil, &Error{Kind: KindDecode, Message: fmt.Sprintf("sent %d objects, NetBox answered with %d", len(chunk), len(got))}
		}
		return got, nil
	})
}

// bulkUpdate: NetBox answers a bulk update in the model's ordering
// (BulkUpdateModelMixin re-reads the objects with pk__in), so the answer
// is put back in input order by id. Two updates of one id are refused
// before sending: NetBox would apply only the last.
func bulkUpdate[In, W, T any](ctx context.Context, c *Client, path string, in []In, w WriteOptions, inID func(In) int64, conv func(*W) T, outID func(T) int64) ([]T, error) {
	seen := make(map[int64]bool, len(in))
	for _, u := range in {
		id := inID(u)
		if seen[id] {
			return nil, fmt.Errorf("netbox: bulk update %s: id %d appears twice: merge the changes of one object into one element", path, id)
		}
		seen[id] = true
	}
	return bulkWrite(ctx, c.patchList, http.MethodPatch, path, in, w, conv, func(chunk []In, got []T) ([]T, *Error) {
		byID := make(map[int64]T, len(got))
		for _, v := range got {
			byID[outID(v)] = v
		}
		ordered := make([]T, 0, len(chunk))
		var missing []string
		for _, u := range chunk {
			v, ok := byID[inID(u)]
			if !ok {
				missing = append(missing, strconv.FormatInt(inID(u), 10))
				continue
			}
			ordered = append(ordered, v)
		}
		if len(missing) > 0 {
			// NetBox skips ids it does not find (pk__in) and updates the rest.
			return ordered, &Error{Kind: KindNotFound, Message: fmt.Sprintf(
				"NetBox did not return the objects with id %s (deleted meanwhile?); the others were updated", strings.Join(missing, ", "))}
		}
		return ordered, nil
	})
}

// offsetBulkIndexes shifts the leading index of a bulk error's Fields
// ("1.name") by offset, so that they name positions in the caller's input.
func offsetBulkIndexes(err error, offset int) error {
	var e *Error
	if offset == 0 || !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make(map[string][]string, len(e.Fields))
	for k, msgs := range e.Fields {
		idx, rest, dotted := strings.Cut(k, ".")
		if n, convErr := strconv.Atoi(idx); convErr == nil {
			k = strconv.Itoa(n + offset)
			if dotted {
				k += "." + rest
			}
		}
		fields[k] = msgs
	}
	shifted := *e
	shifted.Fields = fields
	shifted.Message = renderFields(fields)
	return &shifted
}

// createOne POSTs one object through the JSON path, for the endpoints
// cmdb-mcp creates one object of at a time, checked like postList.
func createOne[W, T any](ctx context.Context, c *Client, path string, in any, w WriteOptions, conv func(*W) T) (T, error) {
	var got W
	if err := c.createChecked(ctx, path, in, false, &got, w); err != nil {
		var zero T
		return zero, err
	}
	return conv(&got), nil
}
