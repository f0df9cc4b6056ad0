package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/stripefake/stripefake/store"
)

// ExampleOpenBolt_reopen writes a record and a scheduled job, closes the
// file and opens it again: both are still there.
func ExampleOpenBolt_reopen() {
	dir, err := os.MkdirTemp("", "stripefake-store")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stripe.db")

	s, err := store.OpenBolt(path)
	if err != nil {
		panic(err)
	}
	err = s.Update(func(tx store.Tx) error {
		if err := tx.Put("customer", "cus_1", []byte(`{"email":"ada@example.com"}`)); err != nil {
			return err
		}
		_, err := tx.AddJob(store.Job{Kind: "invoice.finalize", ObjectID: "in_1", Due: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
		return err
	})
	if err != nil {
		panic(err)
	}
	if err := s.Close(); err != nil {
		panic(err)
	}

	s, err = store.OpenBolt(path)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = s.View(func(tx store.Tx) error {
		rec, err := tx.Get("customer", "cus_1")
		fmt.Println(string(rec), err)
		job, ok, err := tx.NextJob("")
		fmt.Println(job.Kind, job.ObjectID, job.Due, ok, err)
		return nil
	})
	// Output:
	// {"email":"ada@example.com"} <nil>
	// invoice.finalize in_1 2026-02-01 00:00:00 +0000 UTC true <nil>
}
