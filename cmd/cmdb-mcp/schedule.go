package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// applyOptions are apply's flags: how one sync runs (sync, yes, json) and
// when (splay, every).
type applyOptions struct {
	sync  syncFlags
	yes   bool
	json  bool
	splay time.Duration
	every time.Duration
	// heartbeat: a sync that finds nothing to change journals that it
	// found the device in sync, unless a sync's entry is younger than this.
	heartbeat time.Duration
}

// minEvery keeps a loop from turning into a load test of NetBox: a sync
// costs a discovery and several NetBox requests.
const minEvery = time.Minute

// defaultHeartbeat is how often an in-sync host journals that it was
// found so: well inside the fleet status's default age of 7 days, and
// seldom enough that an hourly timer adds one entry a day, not 24.
const defaultHeartbeat = 24 * time.Hour

// check refuses, before any NetBox request, what cannot work: a prompt with
// no one to answer it, and a schedule that makes no sense. It also reads the
// configuration once, so that a scheduled run fails at start, not at its
// first sync an hour later.
func (o applyOptions) check(e env) error {
	switch {
	case o.splay < 0:
		return fmt.Errorf("--splay %s is negative: pass a duration such as 10m, or 0 for none", o.splay)
	case o.every < 0:
		return fmt.Errorf("--every %s is negative: pass a duration such as 1h", o.every)
	case o.every > 0 && o.every < minEvery:
		return fmt.Errorf("--every %s is shorter than %s: a sync reads the whole host and several NetBox lists; pass e.g. 1h", o.every, minEvery)
	case o.every > 0 && !o.yes:
		return errors.New("--every needs --yes: no one is there to confirm each sync")
	case !o.yes && !e.stdinIsTerminal():
		return errors.New("stdin is not a terminal, so no one can confirm: run 'cmdb-mcp diff' to review the changes, then 'cmdb-mcp apply --yes' to write them")
	}
	if _, err := o.sync.scope.resolve(e); err != nil {
		return err
	}
	// The client is made again for each sync (the token file is read
	// again, so a rotated token takes effect); this one only checks.
	_, err := o.sync.netbox.client(e)
	return err
}

// syncSummary is the line --json prints for each sync, for log collectors.
type syncSummary struct {
	// Time is when the sync started.
	Time time.Time `json:"time"`
	// Hostname is the name the sync looked up in NetBox; Device and
	// DeviceID the device it found.
	Hostname string `json:"hostname"`
	Device   string `json:"device"`
	DeviceID int64  `json:"device_id,omitempty"`
	// OK is what the exit code says: in sync, or every change applied and
	// journaled.
	OK bool `json:"ok"`
	// InSync says NetBox already matched the host: nothing was written.
	InSync bool `json:"in_sync"`
	// Changes is how many changes the plan had; Applied, Failed and
	// Skipped what became of them.
	Changes        int    `json:"changes"`
	Applied        int    `json:"applied"`
	Failed         int    `json:"failed"`
	Skipped        int    `json:"skipped"`
	PlanID         string `json:"plan_id,omitempty"`
	JournalEntryID int64  `json:"journal_entry_id,omitempty"`
	JournalError   string `json:"journal_error,omitempty"`
	DurationMS     int64  `json:"duration_ms"`
	// Error is why the sync did not run to its end (NetBox unreachable,
	// no such device, a stale plan, ...).
	Error string `json:"error,omitempty"`
}

// errStopped is the error of a sync that a stop signal prevented.
var errStopped = errors.New("stopped before the sync began: nothing was written")

// run waits the splay, then syncs once, or with --every until ctx ends.
func (o applyOptions) run(ctx context.Context, e env) (int, error) {
	if o.splay > 0 {
		d := e.randDuration(o.splay)
		slog.Debug("waiting before the first sync", "splay", o.splay, "wait", d)
		if e.sleepCtx(ctx, d) != nil {
			if o.every > 0 {
				return exitOK, nil // stopped while idle: a loop's normal end
			}
			return o.finish(e, syncSummary{Time: e.clock().UTC().Truncate(time.Millisecond)}, exitError, errStopped)
		}
	}
	if o.every == 0 {
		sum, code, err := o.round(ctx, e)
		return o.finish(e, sum, code, err)
	}
	next := e.clock()
	for {
		sum, code, err := o.round(ctx, e)
		if _, err := o.finish(e, sum, code, err); err != nil {
			return exitError, err
		}
		if ctx.Err() != nil {
			return exitOK, nil
		}
		now := e.clock()
		next = nextRound(next, now, o.every)
		slog.Info("next sync", "at", next.UTC().Format(time.RFC3339), "in", next.Sub(now).Round(time.Second).String())
		if e.sleepCtx(ctx, next.Sub(now)) != nil {
			return exitOK, nil
		}
	}
}

// nextRound is when the round after the one that started at next begins,
// now that it ended: one interval later, so the splay's offset stays, or,
// when the round overran, the first such multiple still ahead rather than a
// second round at once. (time.Now's monotonic reading keeps a clock set
// back or forward out of it.)
func nextRound(next, now time.Time, every time.Duration) time.Time {
	next = next.Add(every)
	for !next.After(now) {
		next = next.Add(every)
	}
	return next
}

// round runs one sync and times it.
func (o applyOptions) round(ctx context.Context, e env) (syncSummary, int, error) {
	start := e.clock()
	sum := syncSummary{Time: start.UTC().Truncate(time.Millisecond)}
	code, err := o.applyOnce(ctx, e, &sum)
	sum.DurationMS = e.clock().Sub(start).Milliseconds()
	return sum, code, err
}

// finish reports a sync: with --json its summary line, which carries the
// error too; without, the error goes back to run, which prints it, or in a
// loop, which must go on, to stderr.
func (o applyOptions) finish(e env, sum syncSummary, code int, err error) (int, error) {
	if err != nil {
		sum.Error = err.Error()
	}
	sum.OK = code == exitOK
	if o.json {
		line, jerr := json.Marshal(sum)
		if jerr != nil {
			return exitError, jerr
		}
		fmt.Fprintf(e.stdout, "%s\n", line)
		return code, nil
	}
	if err != nil && o.every > 0 {
		fmt.Fprintf(e.stderr, "cmdb-mcp apply: %v\n", err)
		return code, nil
	}
	return code, err
}

// clock is the time now.
func (e env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// sleepCtx waits d, or until ctx ends, whose error it then returns.
func (e env) sleepCtx(ctx context.Context, d time.Duration) error {
	if e.sleep != nil {
		return e.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// randDuration is a random duration in [0, n), n > 0.
func (e env) randDuration(n time.Duration) time.Duration {
	if e.random != nil {
		return e.random(n)
	}
	return rand.N(n)
}
