package store_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
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

// TestBoltOpensOlderLayouts opens files as layouts 1 and 2 wrote them, a
// bucket per kind keyed by 'r' + ID, layout 1 also keeping each kind's
// order ('o' keys) and index ('i' keys) in the file: records, order,
// index, counters and sequences survive, and the records of all kinds move
// to one bucket keyed by new seqs.
func TestBoltOpensOlderLayouts(t *testing.T) {
	for _, layout := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("layout%d", layout), func(t *testing.T) {
			testBoltOpensLayout(t, layout)
		})
	}
}

func testBoltOpensLayout(t *testing.T, layout uint64) {
	path := filepath.Join(t.TempDir(), "store.db")
	seq := func(prefix string, n uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte(prefix), n)
	}
	record := func(n uint64, data string, terms ...string) []byte {
		var ts []byte
		for _, term := range terms {
			ts = append(append(ts, term...), 0)
		}
		v := binary.BigEndian.AppendUint64(nil, n)
		v = binary.BigEndian.AppendUint32(v, uint32(len(ts)))
		return append(append(v, ts...), data...)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	job := store.Job{Kind: "finalize", ObjectID: "a", Timeline: "clock", Due: due, Seq: 3}
	err = db.Update(func(tx *bolt.Tx) error {
		counters, _ := tx.CreateBucket([]byte("counters"))
		jobs, _ := tx.CreateBucket([]byte("jobs"))
		jobObjects, _ := tx.CreateBucket([]byte("jobobjects"))
		if err := counters.Put([]byte("ids"), seq("", 5)); err != nil {
			return err
		}
		// One job is left of three; the jobs bucket's sequence stayed at 3.
		jobKey := binary.BigEndian.AppendUint64(seq("clock\x00", uint64(due.UnixNano())^(1<<63)), 3)
		v, _ := json.Marshal(job)
		if err := jobs.Put(jobKey, v); err != nil {
			return err
		}
		if err := jobObjects.Put(seq("finalize\x00a\x00", 3), jobKey); err != nil {
			return err
		}
		if err := jobs.SetSequence(3); err != nil {
			return err
		}
		b, err := tx.CreateBucket([]byte("kind/thing"))
		if err != nil {
			return err
		}
		// c (seq 3) was deleted; the bucket's sequence stayed at 4.
		keys := map[string][]byte{"rb": record(1, "data b", "term"), "ra": record(2, "data a", "term", "x"), "rd": record(4, "data d")}
		if layout == 1 {
			maps.Copy(keys, map[string][]byte{
				string(seq("o", 1)): []byte("b"), string(seq("o", 2)): []byte("a"), string(seq("o", 4)): []byte("d"),
				string(seq("iterm\x00", 1)): []byte("b"), string(seq("iterm\x00", 2)): []byte("a"), string(seq("ix\x00", 2)): []byte("a"),
			})
		} else {
			l, err := tx.CreateBucket([]byte("layout"))
			if err != nil {
				return err
			}
			if err := l.Put([]byte("version"), seq("", layout)); err != nil {
				return err
			}
		}
		for k, v := range keys {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		if err := b.SetSequence(4); err != nil {
			return err
		}
		// A second kind, whose seqs were counted apart.
		other, err := tx.CreateBucket([]byte("kind/other"))
		if err != nil {
			return err
		}
		if err := other.Put([]byte("ry"), record(2, "data y")); err != nil {
			return err
		}
		if err := other.Put([]byte("rx"), record(1, "data x", "term")); err != nil {
			return err
		}
		return other.SetSequence(2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openBolt(t, path)
	type rec struct{ ID, Data string }
	collect := func(into *[]rec) func(string, []byte) (bool, error) {
		return func(id string, data []byte) (bool, error) {
			*into = append(*into, rec{id, string(data)})
			return true, nil
		}
	}
	var all, term, x, others []rec
	var next uint64
	var jobs, jobsLeft []store.Job
	var added store.Job
	var got []string
	err = s.Update(func(tx store.Tx) error {
		for _, id := range []string{"a", "b", "c", "d"} {
			data, err := tx.Get("thing", id)
			if errors.Is(err, store.ErrNotFound) {
				data = []byte("not found")
			} else if err != nil {
				return err
			}
			got = append(got, string(data))
		}
		if err := tx.Put("thing", "e", []byte("data e"), "x"); err != nil {
			return err
		}
		if err := tx.Scan("thing", false, collect(&all)); err != nil {
			return err
		}
		if err := tx.ScanIndex("thing", "term", false, collect(&term)); err != nil {
			return err
		}
		if err := tx.ScanIndex("thing", "x", true, collect(&x)); err != nil {
			return err
		}
		if err := tx.Put("other", "z", []byte("data z")); err != nil {
			return err
		}
		if err := tx.Scan("other", false, collect(&others)); err != nil {
			return err
		}
		var err error
		if jobs, err = tx.Jobs(); err != nil {
			return err
		}
		if added, err = tx.AddJob(store.Job{Kind: "k", Due: due}); err != nil {
			return err
		}
		if err := tx.RemoveJobs("finalize", "a"); err != nil {
			return err
		}
		if jobsLeft, err = tx.Jobs(); err != nil {
			return err
		}
		next, err = tx.NextSequence("ids")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Job{job}, jobs); diff != "" {
		t.Errorf("Jobs (-want +got):\n%s", diff)
	}
	if added.Seq != 4 {
		t.Errorf("AddJob gave Seq %d, want 4", added.Seq)
	}
	if diff := cmp.Diff([]store.Job{added}, jobsLeft); diff != "" {
		t.Errorf("Jobs after RemoveJobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"data a", "data b", "not found", "data d"}, got); diff != "" {
		t.Errorf("Get a, b, c, d (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rec{{"b", "data b"}, {"a", "data a"}, {"d", "data d"}, {"e", "data e"}}, all); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rec{{"b", "data b"}, {"a", "data a"}}, term); diff != "" {
		t.Errorf("ScanIndex term (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rec{{"e", "data e"}, {"a", "data a"}}, x); diff != "" {
		t.Errorf("ScanIndex x, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rec{{"x", "data x"}, {"y", "data y"}, {"z", "data z"}}, others); diff != "" {
		t.Errorf("Scan other (-want +got):\n%s", diff)
	}
	if next != 6 {
		t.Errorf("NextSequence = %d, want 6", next)
	}
	if err := store.CheckBolt(s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var buckets []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			buckets = append(buckets, string(name))
			return nil
		})
		if diff := cmp.Diff([]string{"counters", "jobs", "layout", "records"}, buckets); diff != "" {
			t.Errorf("buckets after the upgrade (-want +got):\n%s", diff)
		}
		// x and b had seq 1 in their kinds, y and a 2, d 4; e and z came
		// after the upgrade.
		var keys []uint64
		_ = tx.Bucket([]byte("records")).ForEach(func(k, _ []byte) error {
			keys = append(keys, binary.BigEndian.Uint64(k))
			return nil
		})
		if diff := cmp.Diff([]uint64{1, 2, 3, 4, 5, 6, 7}, keys); diff != "" {
			t.Errorf("keys of the records after the upgrade (-want +got):\n%s", diff)
		}
		if v := tx.Bucket([]byte("layout")).Get([]byte("version")); binary.BigEndian.Uint64(v) != 3 {
			t.Errorf("layout version %x, want 3", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBoltRefusesNewerLayout: a file from a newer layout is refused, with
// an error that says so, and left as it was.
func TestBoltRefusesNewerLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := openBolt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("layout")).Put([]byte("version"), binary.BigEndian.AppendUint64(nil, 4))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err = store.OpenBolt(path, store.BoltNoSync())
	if err == nil {
		s.Close()
		t.Fatal("OpenBolt of a layout 4 file succeeded")
	}
	if !strings.Contains(err.Error(), "layout 4") {
		t.Errorf("OpenBolt = %v, want an error naming layout 4", err)
	}
}

// TestBoltAppendWritesFewPages: records of every kind go to the end of one
// tree, so a transaction that creates a record of each of three kinds in
// a store of thousands writes the root leaf, the last leaf and the
// branches above it, not a leaf and branches per kind.
func TestBoltAppendWritesFewPages(t *testing.T) {
	s := openBolt(t, filepath.Join(t.TempDir(), "store.db"))
	kinds := []string{"customer", "invoice", "event"}
	data := strings.Repeat("x", 500)
	put := func(n uint64) error {
		return s.Update(func(tx store.Tx) error {
			for _, kind := range kinds {
				// IDs in no particular order, as the fake's are.
				id := kind + "_" + strconv.FormatUint(n*0x9e3779b97f4a7c15, 36)
				if err := tx.Put(kind, id, []byte(data), "term"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for n := range uint64(3000) {
		if err := put(n); err != nil {
			t.Fatal(err)
		}
	}
	before := store.BoltPages(s)
	const txs = 100
	for n := range uint64(txs) {
		if err := put(3000 + n); err != nil {
			t.Fatal(err)
		}
	}
	if got := float64(store.BoltPages(s)-before) / txs; got > 5 {
		t.Errorf("%.2f pages per transaction, want at most 5", got)
	}
}
