package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/stripefake/stripefake/store"
	"github.com/stripefake/stripefake/store/storetest"
)

// openBolt opens a bolt store at path, checks its integrity and closes it
// when t ends.
func openBolt(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := store.OpenBolt(path, store.BoltNoSync())
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() {
		// A test that closed the store itself has nothing left to check.
		if err := store.CheckBolt(s); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("CheckBolt: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openBolt(t, filepath.Join(t.TempDir(), "store.db"))
	})
}

func TestBoltReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	due := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)

	s := openBolt(t, path)
	var job store.Job
	err := s.Update(func(tx store.Tx) error {
		for _, id := range []string{"b", "a", "c"} {
			if err := tx.Put("thing", id, []byte("data "+id), "term"); err != nil {
				return err
			}
		}
		if err := tx.Delete("thing", "c"); err != nil {
			return err
		}
		if _, err := tx.NextSequence("ids"); err != nil {
			return err
		}
		var err error
		job, err = tx.AddJob(store.Job{Kind: "finalize", ObjectID: "a", Timeline: "clock", Due: due})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CheckBolt(s); err != nil {
		t.Fatalf("CheckBolt: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openBolt(t, path)
	type rec struct{ ID, Data string }
	var recs, indexed []rec
	var next, jobSeq uint64
	var jobs []store.Job
	err = s.Update(func(tx store.Tx) error {
		// New records go after the ones from before the reopen.
		if err := tx.Put("thing", "d", []byte("data d"), "term"); err != nil {
			return err
		}
		collect := func(into *[]rec) func(string, []byte) (bool, error) {
			return func(id string, data []byte) (bool, error) {
				*into = append(*into, rec{id, string(data)})
				return true, nil
			}
		}
		if err := tx.Scan("thing", false, collect(&recs)); err != nil {
			return err
		}
		if err := tx.ScanIndex("thing", "term", false, collect(&indexed)); err != nil {
			return err
		}
		var err error
		if next, err = tx.NextSequence("ids"); err != nil {
			return err
		}
		if jobs, err = tx.Jobs(); err != nil {
			return err
		}
		j, err := tx.AddJob(store.Job{Kind: "k", Due: due})
		jobSeq = j.Seq
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{{"b", "data b"}, {"a", "data a"}, {"d", "data d"}}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("Scan after reopen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, indexed); diff != "" {
		t.Errorf("ScanIndex after reopen (-want +got):\n%s", diff)
	}
	if next != 2 {
		t.Errorf("NextSequence after reopen = %d, want 2", next)
	}
	if diff := cmp.Diff([]store.Job{job}, jobs); diff != "" {
		t.Errorf("Jobs after reopen (-want +got):\n%s", diff)
	}
	if jobs[0].Due.UnixNano() != due.UnixNano() {
		t.Errorf("Due after reopen = %v, want %v", jobs[0].Due, due)
	}
	if jobSeq != 2 {
		t.Errorf("job Seq after reopen = %d, want 2", jobSeq)
	}
}

// TestBoltOpenTwice waits out the one-second lock timeout; it is the only
// slow test.
func TestBoltOpenTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	openBolt(t, path)
	s, err := store.OpenBolt(path, store.BoltNoSync())
	if err == nil {
		s.Close()
		t.Fatal("second OpenBolt of an open path succeeded, want an error")
	}
	if !errors.Is(err, berrors.ErrTimeout) {
		t.Errorf("second OpenBolt = %v, want an error wrapping ErrTimeout", err)
	}
}

func TestCheckBoltRejectsOtherStores(t *testing.T) {
	s := store.NewMemory()
	defer s.Close()
	if err := store.CheckBolt(s); err == nil {
		t.Error("CheckBolt of a memory store succeeded, want an error")
	}
}

func BenchmarkBoltPutGet(b *testing.B) {
	s := openBolt(b, filepath.Join(b.TempDir(), "store.db"))
	benchmarkPutGet(b, s)
}
