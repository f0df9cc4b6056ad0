// Package clockwork is the fake's one source of time and its scheduler of
// due work.
//
// Nothing else in stripefake reads the wall clock (webhook signatures aside,
// whose t= receivers check against their own clock). Time is a
// github.com/benbjohnson/clock Clock injected once; by default a Frozen
// clock that moves only when the fake is advanced.
//
// Due work (invoice finalization, renewals, retries, expiry) is not a timer
// or a goroutine: it is a store.Job record, keyed by timeline and due time,
// that the fake pops and runs in (due, sequence) order on the caller's
// goroutine. Jobs therefore survive a reopen of a bbolt store and can be
// listed in failure output.
//
// The name is the project's; it is unrelated to github.com/jonboulle/clockwork.
package clockwork

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stripefake/stripefake/store"
)

// DefaultTimeline is the timeline of objects not attached to a Stripe test
// clock: the fake's own clock.
const DefaultTimeline = ""

// MaxJobsPerRun bounds how many jobs one run may execute, so that a job which
// keeps rescheduling itself fails loudly instead of spinning forever.
const MaxJobsPerRun = 1_000_000

// Frozen is a clock.Clock whose time moves only through Set. Its timers are
// those of an unused clock.Mock and never fire: the fake does not use them.
type Frozen struct {
	*clock.Mock
	mu  sync.Mutex
	now time.Time
}

// NewFrozen returns a Frozen clock reading t.
func NewFrozen(t time.Time) *Frozen { return &Frozen{Mock: clock.NewMock(), now: t} }

// Now returns the clock's time.
func (f *Frozen) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns the time elapsed since t on this clock.
func (f *Frozen) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Until returns the time until t on this clock.
func (f *Frozen) Until(t time.Time) time.Duration { return t.Sub(f.Now()) }

// Set moves the clock to t.
func (f *Frozen) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// WallNow is the real time, truncated to the second: the default start of a
// fake's clock. It is the only read of the wall clock for fake time.
func WallNow() time.Time { return time.Now().Truncate(time.Second) }

// WallUnix is the real Unix time in seconds. Only webhook signing uses it:
// receivers check the t= of a signature against their own real clock.
func WallUnix() int64 { return time.Now().Unix() }

// ReadDeadline is the real time d from now: a network read deadline, which
// the operating system measures against the wall clock. It is not fake
// time and never decides behaviour.
func ReadDeadline(d time.Duration) time.Time { return time.Now().Add(d) }

// Time wraps the injected clock and knows how to move it.
type Time struct {
	c clock.Clock
}

// NewTime wraps c. A *Frozen or *clock.Mock can be moved by Set; any other
// clock moves by itself and Set leaves it alone.
func NewTime(c clock.Clock) *Time { return &Time{c: c} }

// Clock returns the injected clock.
func (t *Time) Clock() clock.Clock { return t.c }

// Now is the fake's current time.
func (t *Time) Now() time.Time { return t.c.Now() }

// Settable reports whether Set can move the clock.
func (t *Time) Settable() bool {
	switch t.c.(type) {
	case *Frozen, *clock.Mock:
		return true
	}
	return false
}

// Set moves the clock forward to at; it never moves it back. A clock.Mock is
// moved with its own Set, which also fires the user's timers on it.
func (t *Time) Set(at time.Time) {
	if !at.After(t.c.Now()) {
		return
	}
	switch c := t.c.(type) {
	case *Frozen:
		c.Set(at)
	case *clock.Mock:
		c.Set(at)
	}
}

// Schedule stores a job of kind for objectID on timeline, due at due.
func Schedule(tx store.Tx, kind, objectID, timeline string, due time.Time) error {
	_, err := tx.AddJob(store.Job{Kind: kind, ObjectID: objectID, Timeline: timeline, Due: due})
	return err
}

// Reschedule replaces every job of kind for objectID by one due at due.
func Reschedule(tx store.Tx, kind, objectID, timeline string, due time.Time) error {
	if err := tx.RemoveJobs(kind, objectID); err != nil {
		return err
	}
	return Schedule(tx, kind, objectID, timeline, due)
}

// Cancel removes every job of kind for objectID.
func Cancel(tx store.Tx, kind, objectID string) error { return tx.RemoveJobs(kind, objectID) }

// Pop removes and returns the earliest job of timeline due at or before
// until, or false when none is due.
func Pop(tx store.Tx, timeline string, until time.Time) (store.Job, bool, error) {
	j, ok, err := tx.NextJob(timeline)
	if err != nil || !ok || j.Due.After(until) {
		return store.Job{}, false, err
	}
	return j, true, tx.RemoveJob(j)
}

// NextDue reports the due time of the earliest job of timeline.
func NextDue(tx store.Tx, timeline string) (time.Time, bool, error) {
	j, ok, err := tx.NextJob(timeline)
	return j.Due, ok, err
}

// Drain calls step until it reports that it ran nothing. Each call of step
// should pop and run one job in its own transaction. It fails after
// MaxJobsPerRun steps.
func Drain(step func() (ran bool, err error)) error {
	for i := 0; i < MaxJobsPerRun; i++ {
		ran, err := step()
		if err != nil || !ran {
			return err
		}
	}
	return fmt.Errorf("clockwork: more than %d jobs in one run; a job keeps rescheduling itself", MaxJobsPerRun)
}

// Dump renders pending jobs as text, one a line, for failure messages.
func Dump(jobs []store.Job) string {
	if len(jobs) == 0 {
		return "no scheduled jobs\n"
	}
	jobs = append([]store.Job(nil), jobs...)
	sort.SliceStable(jobs, func(a, b int) bool {
		if jobs[a].Timeline != jobs[b].Timeline {
			return jobs[a].Timeline < jobs[b].Timeline
		}
		if !jobs[a].Due.Equal(jobs[b].Due) {
			return jobs[a].Due.Before(jobs[b].Due)
		}
		return jobs[a].Seq < jobs[b].Seq
	})
	var b strings.Builder
	for _, j := range jobs {
		tl := j.Timeline
		if tl == DefaultTimeline {
			tl = "fake clock"
		}
		fmt.Fprintf(&b, "%s  %-12s  %-32s %s (seq %d)\n", j.Due.UTC().Format(time.RFC3339), tl, j.Kind, j.ObjectID, j.Seq)
	}
	return b.String()
}
