package scheduler_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func stores(t *testing.T) map[string]func() store.Store {
	dir := t.TempDir()
	return map[string]func() store.Store{
		"memory": func() store.Store { return store.NewMemory() },
		"bolt": func() store.Store {
			s, err := store.OpenBolt(filepath.Join(dir, "jobs.db"), store.BoltNoSync())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

func TestPopRunsInDueThenSequenceOrder(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			defer s.Close()
			err := s.Update(func(tx store.Tx) error {
				for _, j := range []struct {
					id  string
					due time.Duration
					tl  string
				}{{"c", 2 * time.Hour, ""}, {"a", time.Hour, ""}, {"b", time.Hour, ""}, {"x", time.Minute, "clock_1"}, {"d", 3 * time.Hour, ""}} {
					if err := scheduler.Schedule(tx, "test.run", j.id, j.tl, t0.Add(j.due)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			err = scheduler.Drain(func() (int, error) {
				var ran int
				err := s.Update(func(tx store.Tx) error {
					j, ok, err := scheduler.Pop(tx, scheduler.DefaultTimeline, t0.Add(2*time.Hour))
					if ok {
						order = append(order, j.ObjectID)
						ran = 1
					}
					return err
				})
				return ran, err
			})
			if err != nil {
				t.Fatal(err)
			}
			// a and b share a due time: insertion order breaks the tie; d is
			// not due yet and x is on a test clock's timeline.
			if got := strings.Join(order, ","); got != "a,b,c" {
				t.Errorf("order %s, want a,b,c", got)
			}
			var jobs []store.Job
			_ = s.View(func(tx store.Tx) error { jobs, err = tx.Jobs(); return err })
			dump := scheduler.Dump(jobs)
			if !strings.Contains(dump, "test.run") || !strings.Contains(dump, "clock_1") || strings.Count(dump, "\n") != 2 {
				t.Errorf("dump:\n%s", dump)
			}
		})
	}
}

func TestJobsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reopen.db")
	s, err := store.OpenBolt(path, store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx store.Tx) error {
		return scheduler.Schedule(tx, "invoice.finalize", "in_1", "", t0.Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.OpenBolt(path, store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.View(func(tx store.Tx) error {
		due, ok, err := scheduler.NextDue(tx, "")
		if err != nil || !ok || !due.Equal(t0.Add(time.Hour)) {
			t.Errorf("after reopen: %v %v %v", due, ok, err)
		}
		return nil
	})
}

func TestRescheduleAndCancel(t *testing.T) {
	s := store.NewMemory()
	defer s.Close()
	_ = s.Update(func(tx store.Tx) error {
		_ = scheduler.Schedule(tx, "k", "o", "", t0.Add(time.Hour))
		_ = scheduler.Schedule(tx, "k", "o", "", t0.Add(2*time.Hour))
		if err := scheduler.Reschedule(tx, "k", "o", "", t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		jobs, _ := tx.Jobs()
		if len(jobs) != 1 || !jobs[0].Due.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("reschedule left %v", jobs)
		}
		_ = scheduler.Cancel(tx, "k", "o")
		if jobs, _ := tx.Jobs(); len(jobs) != 0 {
			t.Errorf("cancel left %v", jobs)
		}
		return nil
	})
}

func TestDrainFailsLoudlyOnRunaway(t *testing.T) {
	n := 0
	err := scheduler.Drain(func() (int, error) { n++; return 1, nil })
	if err == nil || n != scheduler.MaxJobsPerRun {
		t.Errorf("runaway: n=%d err=%v", n, err)
	}
}
