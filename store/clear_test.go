package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripefake/stripefake/store"
)

// Clear leaves a store that reads and writes as a new one: no records, no
// jobs, counters from 1.
func TestClear(t *testing.T) {
	bolt, err := store.OpenBolt(filepath.Join(t.TempDir(), "c.db"), store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]store.Store{"memory": store.NewMemory(), "bolt": bolt} {
		t.Run(name, func(t *testing.T) {
			defer s.Close()
			due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			fill := func() {
				t.Helper()
				err := s.Update(func(tx store.Tx) error {
					if err := tx.Put("customer", "cus_1", []byte("{}"), "email:a"); err != nil {
						return err
					}
					if _, err := tx.NextSequence("ids"); err != nil {
						return err
					}
					_, err := tx.AddJob(store.Job{Kind: "k", ObjectID: "cus_1", Due: due})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			fill()
			if err := store.Clear(s); err != nil {
				t.Fatal(err)
			}
			err := s.Update(func(tx store.Tx) error {
				if _, err := tx.Get("customer", "cus_1"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("record after Clear: %v", err)
				}
				n := 0
				if err := tx.ScanIndex("customer", "email:a", false, func(string, []byte) (bool, error) { n++; return true, nil }); err != nil {
					return err
				}
				if jobs, err := tx.Jobs(); err != nil || len(jobs) != 0 || n != 0 {
					t.Errorf("after Clear: jobs %v %v, index hits %d", jobs, err, n)
				}
				if seq, err := tx.NextSequence("ids"); err != nil || seq != 1 {
					t.Errorf("counter after Clear: %d %v", seq, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			fill() // and it takes writes again
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := store.Clear(s); !errors.Is(err, store.ErrClosed) {
				t.Errorf("Clear on a closed store: %v", err)
			}
		})
	}
}
