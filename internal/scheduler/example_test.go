package scheduler_test

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Example schedules two jobs and pops the one that is due.
func Example() {
	s := store.NewMemory()
	defer s.Close()
	start := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	_ = s.Update(func(tx store.Tx) error {
		_ = scheduler.Schedule(tx, "invoice.finalize", "in_1", scheduler.DefaultTimeline, start.Add(time.Hour))
		_ = scheduler.Schedule(tx, "invoice.finalize", "in_2", scheduler.DefaultTimeline, start.Add(2*time.Hour))
		j, ok, _ := scheduler.Pop(tx, scheduler.DefaultTimeline, start.Add(90*time.Minute))
		fmt.Println(j.Kind, j.ObjectID, ok)
		jobs, _ := tx.Jobs()
		fmt.Print(scheduler.Dump(jobs))
		return nil
	})
	// Output:
	// invoice.finalize in_1 true
	// 2026-01-15T14:00:00Z  fake clock    invoice.finalize                 in_2 (seq 2)
}
