package engine

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cmdb-mcp/cmdb-mcp/internal/apply"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netbox"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim"
	"github.com/cmdb-mcp/cmdb-mcp/internal/netboxsim/simtest"
	"github.com/cmdb-mcp/cmdb-mcp/internal/record"
)

// newSimWorldVersion is newSimWorld on the simulator playing NetBox
// release profile, the client authenticating with a v2 token where the
// release has them (4.5+).
func newSimWorldVersion(t *testing.T, profile string) simWorld {
	t.Helper()
	srv := simtest.Start(t, netboxsim.Options{Version: profile})
	token := srv.Token
	if atLeast(profile, 5) {
		token = srv.V2Token
	}
	nb, err := netbox.New(netbox.Config{URL: srv.URL, Token: token})
	require.NoError(t, err)
	return simWorld{srv: srv, nb: nb, fx: srv.Seed(t)}
}

func atLeast(profile string, minor int) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(profile, "4."))
	return err == nil && n >= minor
}

// TestSyncOnEveryNetBoxVersion runs the seed's example on each NetBox
// release the simulator plays: diff, apply, diff again in sync, a journal
// entry, no DELETE; from 4.4 every change the apply made carries the
// plan's changelog message.
func TestSyncOnEveryNetBoxVersion(t *testing.T) {
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			w := newSimWorldVersion(t, p)
			d := seedExampleInSim(t, w)
			e := w.engine(seedExampleHost())

			plan, err := e.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			require.False(t, plan.InSync())
			before := len(w.srv.Sim.ObjectChanges())
			res, err := e.Apply(ctx, plan.ID)
			require.NoError(t, err)
			require.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
			require.NotZero(t, res.JournalEntryID)

			again, err := e.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			assert.True(t, again.InSync(), "%+v", again.Changes)

			var journal struct {
				Count int `json:"count"`
			}
			require.NoError(t, w.srv.Admin().Do(ctx, http.MethodGet, "/api/extras/journal-entries/", map[string][]string{
				"assigned_object_type": {"dcim.device"}, "assigned_object_id": {strconv.FormatInt(d.ID, 10)}}, nil, &journal))
			assert.Equal(t, 1, journal.Count)
			assert.Zero(t, w.deletes())

			changes := w.srv.Sim.ObjectChanges()[before:]
			require.NotEmpty(t, changes)
			want := apply.ChangelogMessage(plan.ID)
			if !atLeast(p, 4) {
				want = ""
			}
			for _, c := range changes {
				assert.Equal(t, want, c.Message, "%s %s %d", c.Action, c.ObjectType, c.ObjectID)
			}
		})
	}
}

// editsBeforeDevicePatch is a NetBox whose device PATCH comes after
// someone else's edit of the device: the edit lands between the apply's
// re-read (which found the plan fresh) and its write.
type editsBeforeDevicePatch struct {
	*netbox.Client
	other *netbox.Client
}

func (n editsBeforeDevicePatch) UpdateDevice(ctx context.Context, id int64, u netbox.DeviceUpdate, w netbox.WriteOptions) (record.Device, error) {
	if _, err := n.other.UpdateDevice(ctx, id, netbox.DeviceUpdate{Serial: ptr("set by a person")}, w); err != nil {
		return record.Device{}, err
	}
	return n.Client.UpdateDevice(ctx, id, u, w)
}

// TestDeviceEditDuringApply: on 4.6 the device PATCH carries the If-Match
// of the apply's re-read, so an edit made after it fails the device's
// changes with a conflict instead of being overwritten, and a new diff and
// apply converge. Before 4.6 NetBox has no preconditions: the write goes
// through (the stale-plan check is all there is).
func TestDeviceEditDuringApply(t *testing.T) {
	for _, p := range netboxsim.Profiles() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			w := newSimWorldVersion(t, p)
			d := seedExampleInSim(t, w)
			other, err := netbox.New(netbox.Config{URL: w.srv.URL, Token: w.srv.Token})
			require.NoError(t, err)
			host := seedExampleHost()
			host.Hardware.Serial = "HOST-SERIAL"
			racy := New(editsBeforeDevicePatch{Client: w.nb, other: other}, w.engine(host).disc, WithDiffOptions(w.engine(host).opts))

			plan, err := racy.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			res, err := racy.Apply(ctx, plan.ID)
			require.NoError(t, err)
			var deviceOutcomes []string
			for _, c := range res.Changes {
				if c.Change.ObjectType == "dcim.device" {
					deviceOutcomes = append(deviceOutcomes, string(c.Outcome))
					if c.Outcome == apply.OutcomeFailed {
						assert.Contains(t, c.Message, "Precondition failed.")
					}
				}
			}
			require.NotEmpty(t, deviceOutcomes)
			now, err := other.GetDevice(ctx, d.ID)
			require.NoError(t, err)
			if atLeast(p, 6) {
				for _, o := range deviceOutcomes {
					assert.Equal(t, string(apply.OutcomeFailed), o)
				}
				assert.Equal(t, "set by a person", now.Serial, "not overwritten")
			} else {
				for _, o := range deviceOutcomes {
					assert.Equal(t, string(apply.OutcomeApplied), o)
				}
				assert.Equal(t, "HOST-SERIAL", now.Serial, "last write wins")
			}

			// A plain engine converges from there.
			e := w.engine(host)
			plan, err = e.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			res, err = e.Apply(ctx, plan.ID)
			require.NoError(t, err)
			require.Zero(t, res.Failed+res.Skipped, "%+v", res.Changes)
			again, err := e.Diff(ctx, DiffRequest{})
			require.NoError(t, err)
			assert.True(t, again.InSync(), "%+v", again.Changes)
			assert.Zero(t, w.deletes())
		})
	}
}
