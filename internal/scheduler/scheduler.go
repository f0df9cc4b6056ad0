// Package scheduler stores the fake's due work (invoice finalization,
// renewals, retries, expiry) and hands it out in order. Due work is not a
// timer or a goroutine: it is a store.Job record, keyed by timeline and due
// time, that the fake pops and runs in (due, sequence) order on the caller's
// goroutine. Jobs therefore survive a reopen of a bbolt store and can be
// listed in failure output. Times come from clockwork.
package scheduler

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stripefake/stripefake/store"
)

// DefaultTimeline is the timeline of objects not attached to a Stripe test
// clock: the fake's own clock.
const DefaultTimeline = ""

// MaxJobsPerRun bounds how many jobs one run may execute, so that a job which
// keeps rescheduling itself fails loudly instead of spinning forever.
const MaxJobsPerRun = 1_000_000

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

// Drain calls step until it reports that it ran no job. Each call of step
// should run the next due job, or several due at the same instant, and
// report how many it ran. It fails once at least MaxJobsPerRun jobs have
// run (a step may run several).
func Drain(step func() (ran int, err error)) error {
	for total := 0; total < MaxJobsPerRun; {
		ran, err := step()
		if err != nil || ran == 0 {
			return err
		}
		total += ran
	}
	return fmt.Errorf("scheduler: more than %d jobs in one run; a job keeps rescheduling itself", MaxJobsPerRun)
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
