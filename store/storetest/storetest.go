// Package storetest is the conformance suite every store.Store backend must
// pass, so that backends cannot drift on features.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stripefake/stripefake/store"
)

// Run runs the suite. open must return a new, empty store for each call and
// arrange for it to be closed when t ends; the suite may close it first, and
// a second Close must return nil.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"KindsAreSeparate", testKindsAreSeparate},
		{"ReplaceKeepsPlace", testReplaceKeepsPlace},
		{"ScanOrder", testScanOrder},
		{"ScanOrderAfterManyDeletes", testScanOrderAfterManyDeletes},
		{"ScanStops", testScanStops},
		{"ScanError", testScanError},
		{"ScanWhileWriting", testScanWhileWriting},
		{"ScanIndex", testScanIndex},
		{"ScanIndexStopsAndErrors", testScanIndexStopsAndErrors},
		{"ScanIndexWhileWriting", testScanIndexWhileWriting},
		{"ScanFrom", testScanFrom},
		{"InvalidNames", testInvalidNames},
		{"NextSequence", testNextSequence},
		{"Rollback", testRollback},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"TxAfterEnd", testTxAfterEnd},
		{"JobOrder", testJobOrder},
		{"RemoveJob", testRemoveJob},
		{"RemoveJobs", testRemoveJobs},
		{"NextJobEmpty", testNextJobEmpty},
		{"JobDuePrecision", testJobDuePrecision},
		{"JobDueRange", testJobDueRange},
		{"InvalidJobs", testInvalidJobs},
		{"DataIsolation", testDataIsolation},
		{"Close", testClose},
		{"ConcurrentViews", testConcurrentViews},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// rec is a record as Scan reports it.
type rec struct {
	ID, Data string
}

var errTest = errors.New("storetest: sentinel")

// base is a fixed instant for job due times; the suite never reads the clock.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// put stores each of recs in its own order, with terms.
func put(t *testing.T, s store.Store, kind string, terms []string, recs ...rec) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, r := range recs {
			if err := tx.Put(kind, r.ID, []byte(r.Data), terms...); err != nil {
				return err
			}
		}
		return nil
	})
}

func get(t *testing.T, s store.Store, kind, id string) (string, error) {
	t.Helper()
	var data []byte
	err := s.View(func(tx store.Tx) error {
		var err error
		data, err = tx.Get(kind, id)
		return err
	})
	return string(data), err
}

func collect(recs *[]rec) func(id string, data []byte) (bool, error) {
	return func(id string, data []byte) (bool, error) {
		*recs = append(*recs, rec{id, string(data)})
		return true, nil
	}
}

func scan(t *testing.T, s store.Store, kind string, reverse bool) []rec {
	t.Helper()
	var got []rec
	view(t, s, func(tx store.Tx) error { return tx.Scan(kind, reverse, collect(&got)) })
	return got
}

func scanIndex(t *testing.T, s store.Store, kind, term string, reverse bool) []rec {
	t.Helper()
	var got []rec
	view(t, s, func(tx store.Tx) error { return tx.ScanIndex(kind, term, reverse, collect(&got)) })
	return got
}

func reversed(recs []rec) []rec {
	if len(recs) == 0 {
		return nil
	}
	out := make([]rec, len(recs))
	for i, r := range recs {
		out[len(recs)-1-i] = r
	}
	return out
}

// checkScan checks Scan in both directions.
func checkScan(t *testing.T, s store.Store, kind string, want []rec) {
	t.Helper()
	if diff := cmp.Diff(want, scan(t, s, kind, false)); diff != "" {
		t.Errorf("Scan(%q) (-want +got):\n%s", kind, diff)
	}
	if diff := cmp.Diff(reversed(want), scan(t, s, kind, true)); diff != "" {
		t.Errorf("Scan(%q, reverse) (-want +got):\n%s", kind, diff)
	}
}

// checkIndex checks ScanIndex in both directions.
func checkIndex(t *testing.T, s store.Store, kind, term string, want []rec) {
	t.Helper()
	if diff := cmp.Diff(want, scanIndex(t, s, kind, term, false)); diff != "" {
		t.Errorf("ScanIndex(%q, %q) (-want +got):\n%s", kind, term, diff)
	}
	if diff := cmp.Diff(reversed(want), scanIndex(t, s, kind, term, true)); diff != "" {
		t.Errorf("ScanIndex(%q, %q, reverse) (-want +got):\n%s", kind, term, diff)
	}
}

func jobs(t *testing.T, s store.Store) []store.Job {
	t.Helper()
	var got []store.Job
	view(t, s, func(tx store.Tx) error {
		var err error
		got, err = tx.Jobs()
		return err
	})
	return got
}

func checkJobs(t *testing.T, s store.Store, want []store.Job) {
	t.Helper()
	if diff := cmp.Diff(want, jobs(t, s)); diff != "" {
		t.Errorf("Jobs() (-want +got):\n%s", diff)
	}
}

func addJobs(t *testing.T, s store.Store, js ...store.Job) []store.Job {
	t.Helper()
	var added []store.Job
	update(t, s, func(tx store.Tx) error {
		for _, j := range js {
			j, err := tx.AddJob(j)
			if err != nil {
				return err
			}
			added = append(added, j)
		}
		return nil
	})
	return added
}

func nextJob(t *testing.T, s store.Store, timeline string) (store.Job, bool) {
	t.Helper()
	var j store.Job
	var ok bool
	view(t, s, func(tx store.Tx) error {
		var err error
		j, ok, err = tx.NextJob(timeline)
		return err
	})
	return j, ok
}

func testGetPutDelete(t *testing.T, s store.Store) {
	if _, err := get(t, s, "thing", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a missing kind = %v, want ErrNotFound", err)
	}
	put(t, s, "thing", nil, rec{"a", "one"})
	if got, err := get(t, s, "thing", "a"); err != nil || got != "one" {
		t.Errorf("Get = %q, %v; want %q", got, err, "one")
	}
	if _, err := get(t, s, "thing", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a missing id = %v, want ErrNotFound", err)
	}

	update(t, s, func(tx store.Tx) error { return tx.Delete("thing", "a") })
	if _, err := get(t, s, "thing", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	err := s.Update(func(tx store.Tx) error { return tx.Delete("thing", "a") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	err = s.Update(func(tx store.Tx) error { return tx.Delete("nokind", "a") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete of a missing kind = %v, want ErrNotFound", err)
	}

	// Empty data reads back as empty, and a write is visible later in the
	// same transaction.
	update(t, s, func(tx store.Tx) error {
		if err := tx.Put("thing", "empty", nil); err != nil {
			return err
		}
		data, err := tx.Get("thing", "empty")
		if err != nil || len(data) != 0 {
			return fmt.Errorf("Get in the same Update = %q, %v; want empty", data, err)
		}
		return nil
	})
	checkScan(t, s, "thing", []rec{{"empty", ""}})
}

func testKindsAreSeparate(t *testing.T, s store.Store) {
	put(t, s, "a", []string{"t"}, rec{"x", "in a"})
	put(t, s, "b", []string{"t"}, rec{"x", "in b"})
	if got, _ := get(t, s, "a", "x"); got != "in a" {
		t.Errorf("Get(a, x) = %q, want %q", got, "in a")
	}
	checkScan(t, s, "b", []rec{{"x", "in b"}})
	checkIndex(t, s, "a", "t", []rec{{"x", "in a"}})
	update(t, s, func(tx store.Tx) error { return tx.Delete("a", "x") })
	checkScan(t, s, "a", nil)
	checkScan(t, s, "b", []rec{{"x", "in b"}})
	checkIndex(t, s, "b", "t", []rec{{"x", "in b"}})
}

func testReplaceKeepsPlace(t *testing.T, s store.Store) {
	put(t, s, "k", nil, rec{"a", "1"}, rec{"b", "2"}, rec{"c", "3"})
	put(t, s, "k", nil, rec{"b", "2 again"})
	checkScan(t, s, "k", []rec{{"a", "1"}, {"b", "2 again"}, {"c", "3"}})

	// A deleted and re-added record goes to the end.
	update(t, s, func(tx store.Tx) error { return tx.Delete("k", "a") })
	put(t, s, "k", nil, rec{"a", "new"})
	checkScan(t, s, "k", []rec{{"b", "2 again"}, {"c", "3"}, {"a", "new"}})
}

func testScanOrder(t *testing.T, s store.Store) {
	checkScan(t, s, "none", nil)
	// IDs out of lexical order, so that order by ID would show.
	want := []rec{{"m", "1"}, {"c", "2"}, {"x", "3"}, {"a", "4"}, {"k", "5"}}
	put(t, s, "k", nil, want...)
	checkScan(t, s, "k", want)

	update(t, s, func(tx store.Tx) error { return tx.Delete("k", "x") })
	put(t, s, "k", nil, rec{"b", "6"})
	checkScan(t, s, "k", []rec{{"m", "1"}, {"c", "2"}, {"a", "4"}, {"k", "5"}, {"b", "6"}})
}

func testScanOrderAfterManyDeletes(t *testing.T, s store.Store) {
	// Enough churn for a backend that compacts its order to do so.
	var want []rec
	update(t, s, func(tx store.Tx) error {
		for i := range 100 {
			if err := tx.Put("k", fmt.Sprintf("r%03d", 99-i), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		for i := range 100 {
			if i%10 == 0 {
				want = append(want, rec{fmt.Sprintf("r%03d", 99-i), string([]byte{byte(i)})})
				continue
			}
			if err := tx.Delete("k", fmt.Sprintf("r%03d", 99-i)); err != nil {
				return err
			}
		}
		return nil
	})
	checkScan(t, s, "k", want)
	for i := range 5 {
		id := fmt.Sprintf("r%03d", 99-i*10)
		update(t, s, func(tx store.Tx) error { return tx.Delete("k", id) })
	}
	put(t, s, "k", nil, rec{"new", "n"})
	checkScan(t, s, "k", append(want[5:], rec{"new", "n"}))
}

func testScanStops(t *testing.T, s store.Store) {
	put(t, s, "k", nil, rec{"a", "1"}, rec{"b", "2"}, rec{"c", "3"})
	for _, reverse := range []bool{false, true} {
		var got []rec
		view(t, s, func(tx store.Tx) error {
			return tx.Scan("k", reverse, func(id string, data []byte) (bool, error) {
				got = append(got, rec{id, string(data)})
				return len(got) < 2, nil
			})
		})
		want := []rec{{"a", "1"}, {"b", "2"}}
		if reverse {
			want = []rec{{"c", "3"}, {"b", "2"}}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Scan(reverse=%v) stopping after 2 (-want +got):\n%s", reverse, diff)
		}
	}
}

func testScanError(t *testing.T, s store.Store) {
	put(t, s, "k", nil, rec{"a", "1"}, rec{"b", "2"})
	calls := 0
	err := s.View(func(tx store.Tx) error {
		return tx.Scan("k", false, func(string, []byte) (bool, error) {
			calls++
			return true, errTest
		})
	})
	if err != errTest {
		t.Errorf("View = %v, want the error fn returned, unchanged", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times after returning an error, want 1", calls)
	}
}

// testScanWhileWriting checks what a scan sees when fn writes to the kind
// being scanned: deleted records are skipped, replaced records show their
// new data, and records added during the scan are not visited.
func testScanWhileWriting(t *testing.T, s store.Store) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			kind := fmt.Sprintf("k%v", reverse)
			put(t, s, kind, nil, rec{"a", "1"}, rec{"b", "2"}, rec{"c", "3"}, rec{"d", "4"}, rec{"e", "5"})
			// Going forward, at a: delete b, replace c, add f. At c: delete
			// e. Reverse mirrors it: at e, delete d, replace c, add f; at c,
			// delete a.
			near, replace, far := "b", "c", "e"
			if reverse {
				near, far = "d", "a"
			}
			var got []rec
			update(t, s, func(tx store.Tx) error {
				return tx.Scan(kind, reverse, func(id string, data []byte) (bool, error) {
					got = append(got, rec{id, string(data)})
					switch len(got) {
					case 1:
						if err := tx.Delete(kind, near); err != nil {
							return false, err
						}
						if err := tx.Put(kind, replace, []byte("new")); err != nil {
							return false, err
						}
						return true, tx.Put(kind, "f", []byte("6"))
					case 2:
						return true, tx.Delete(kind, far)
					}
					return true, nil
				})
			})
			want := []rec{{"a", "1"}, {"c", "new"}, {"d", "4"}}
			if reverse {
				want = []rec{{"e", "5"}, {"c", "new"}, {"b", "2"}}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Scan while writing (-want +got):\n%s", diff)
			}
			after := []rec{{"a", "1"}, {"c", "new"}, {"d", "4"}, {"f", "6"}}
			if reverse {
				after = []rec{{"b", "2"}, {"c", "new"}, {"e", "5"}, {"f", "6"}}
			}
			checkScan(t, s, kind, after)
		})
	}
}

func testScanIndex(t *testing.T, s store.Store) {
	checkIndex(t, s, "none", "t1", nil)
	put(t, s, "k", []string{"t1", "t2"}, rec{"a", "1"})
	put(t, s, "k", []string{"t2"}, rec{"b", "2"})
	put(t, s, "k", []string{"t1"}, rec{"c", "3"})
	put(t, s, "k", nil, rec{"d", "4"})
	checkIndex(t, s, "k", "t1", []rec{{"a", "1"}, {"c", "3"}})
	checkIndex(t, s, "k", "t2", []rec{{"a", "1"}, {"b", "2"}})
	checkIndex(t, s, "k", "missing", nil)
	// A term that is a prefix of another matches only itself.
	checkIndex(t, s, "k", "t", nil)

	// Replacing a record replaces its terms.
	put(t, s, "k", []string{"t3"}, rec{"a", "1b"})
	checkIndex(t, s, "k", "t1", []rec{{"c", "3"}})
	checkIndex(t, s, "k", "t2", []rec{{"b", "2"}})
	checkIndex(t, s, "k", "t3", []rec{{"a", "1b"}})

	// An older record gaining a term takes its insertion place in the term.
	put(t, s, "k", []string{"t1"}, rec{"b", "2b"})
	checkIndex(t, s, "k", "t1", []rec{{"b", "2b"}, {"c", "3"}})
	checkIndex(t, s, "k", "t2", nil)

	// Replacing with no terms clears them; duplicate terms count once.
	put(t, s, "k", nil, rec{"c", "3b"})
	put(t, s, "k", []string{"t4", "t4", ""}, rec{"d", "4b"})
	checkIndex(t, s, "k", "t1", []rec{{"b", "2b"}})
	checkIndex(t, s, "k", "t4", []rec{{"d", "4b"}})
	checkIndex(t, s, "k", "", []rec{{"d", "4b"}})

	// Deleting a record removes it from the index.
	update(t, s, func(tx store.Tx) error { return tx.Delete("k", "b") })
	checkIndex(t, s, "k", "t1", nil)
	update(t, s, func(tx store.Tx) error { return tx.Delete("k", "d") })
	checkIndex(t, s, "k", "t4", nil)
	// Re-adding a deleted record puts it last.
	put(t, s, "k", []string{"t3"}, rec{"b", "2c"})
	checkIndex(t, s, "k", "t3", []rec{{"a", "1b"}, {"b", "2c"}})
}

func testScanIndexStopsAndErrors(t *testing.T, s store.Store) {
	put(t, s, "k", []string{"t"}, rec{"a", "1"}, rec{"b", "2"}, rec{"c", "3"})
	for _, reverse := range []bool{false, true} {
		var got []rec
		view(t, s, func(tx store.Tx) error {
			return tx.ScanIndex("k", "t", reverse, func(id string, data []byte) (bool, error) {
				got = append(got, rec{id, string(data)})
				return len(got) < 2, nil
			})
		})
		want := []rec{{"a", "1"}, {"b", "2"}}
		if reverse {
			want = []rec{{"c", "3"}, {"b", "2"}}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ScanIndex(reverse=%v) stopping after 2 (-want +got):\n%s", reverse, diff)
		}
	}
	calls := 0
	err := s.View(func(tx store.Tx) error {
		return tx.ScanIndex("k", "t", false, func(string, []byte) (bool, error) {
			calls++
			return true, errTest
		})
	})
	if err != errTest || calls != 1 {
		t.Errorf("ScanIndex with failing fn = %v after %d calls, want the error after 1", err, calls)
	}
}

// testScanIndexWhileWriting checks that a term scan follows the index as fn
// changes it: records ahead that lose the term or are deleted are skipped,
// records ahead that gain it are visited, and new records are not.
func testScanIndexWhileWriting(t *testing.T, s store.Store) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			kind := fmt.Sprintf("k%v", reverse)
			put(t, s, kind, []string{"t"}, rec{"a", "1"}, rec{"b", "2"})
			put(t, s, kind, nil, rec{"c", "3"})
			put(t, s, kind, []string{"t"}, rec{"d", "4"}, rec{"e", "5"})
			// At the first record: the nearest one loses the term, c gains
			// it, the next one is deleted, and a new record gets the term.
			first, lose, del, last := "a", "b", "d", "e"
			if reverse {
				first, lose, del, last = "e", "d", "b", "a"
			}
			var got []string
			update(t, s, func(tx store.Tx) error {
				return tx.ScanIndex(kind, "t", reverse, func(id string, data []byte) (bool, error) {
					got = append(got, id)
					if id != first {
						return true, nil
					}
					for _, err := range []error{
						tx.Put(kind, lose, []byte("x")),
						tx.Put(kind, "c", []byte("3"), "t"),
						tx.Delete(kind, del),
						tx.Put(kind, "f", []byte("6"), "t"),
					} {
						if err != nil {
							return false, err
						}
					}
					return true, nil
				})
			})
			want := []string{first, "c", last}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ScanIndex while writing (-want +got):\n%s", diff)
			}
		})
	}
}

func testInvalidNames(t *testing.T, s store.Store) {
	for _, tc := range []struct {
		name     string
		kind, id string
		terms    []string
	}{
		{"empty kind", "", "a", nil},
		{"empty id", "k", "", nil},
		{"NUL in term", "k", "a", []string{"ok", "b\x00c"}},
	} {
		err := s.Update(func(tx store.Tx) error { return tx.Put(tc.kind, tc.id, []byte("x"), tc.terms...) })
		if err == nil {
			t.Errorf("Put with %s succeeded, want an error", tc.name)
		}
	}
	checkScan(t, s, "k", nil)
	checkIndex(t, s, "k", "ok", nil)
	if err := s.Update(func(tx store.Tx) error { _, err := tx.NextSequence(""); return err }); err == nil {
		t.Errorf("NextSequence(\"\") succeeded, want an error")
	}
}

func nextSeq(t *testing.T, s store.Store, name string) uint64 {
	t.Helper()
	var n uint64
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.NextSequence(name)
		return err
	})
	return n
}

func testNextSequence(t *testing.T, s store.Store) {
	for _, step := range []struct {
		name string
		want uint64
	}{{"a", 1}, {"a", 2}, {"b", 1}, {"a", 3}, {"b", 2}} {
		if got := nextSeq(t, s, step.name); got != step.want {
			t.Errorf("NextSequence(%q) = %d, want %d", step.name, got, step.want)
		}
	}
	err := s.Update(func(tx store.Tx) error {
		for _, name := range []string{"a", "a", "c"} {
			if _, err := tx.NextSequence(name); err != nil {
				return err
			}
		}
		return errTest
	})
	if err != errTest {
		t.Fatalf("Update = %v, want %v", err, errTest)
	}
	if got := nextSeq(t, s, "a"); got != 4 {
		t.Errorf("NextSequence(a) after rollback = %d, want 4", got)
	}
	if got := nextSeq(t, s, "c"); got != 1 {
		t.Errorf("NextSequence(c) after rollback = %d, want 1", got)
	}
}

// state is everything observable in a store, for before/after comparisons.
type state struct {
	Records map[string][]rec // by kind, in Scan order
	Terms   map[string][]rec // by term of kind "k"
	Jobs    []store.Job
}

func snapshot(t *testing.T, s store.Store) state {
	t.Helper()
	st := state{Records: map[string][]rec{}, Terms: map[string][]rec{}}
	for _, kind := range []string{"k", "other"} {
		st.Records[kind] = scan(t, s, kind, false)
	}
	for _, term := range []string{"t1", "t2", "t3"} {
		st.Terms[term] = scanIndex(t, s, "k", term, false)
	}
	st.Jobs = jobs(t, s)
	return st
}

// seed fills s with one of everything that testRollback then changes.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	put(t, s, "k", []string{"t1"}, rec{"a", "1"}, rec{"b", "2"})
	put(t, s, "k", []string{"t2"}, rec{"c", "3"})
	nextSeq(t, s, "n")
	addJobs(t, s,
		store.Job{Kind: "j", ObjectID: "a", Due: base},
		store.Job{Kind: "j", ObjectID: "b", Due: base.Add(time.Second)},
		store.Job{Kind: "j", ObjectID: "b", Timeline: "clock", Due: base},
	)
}

// writeAll makes every kind of write.
func writeAll(tx store.Tx) error {
	for _, err := range []error{
		tx.Put("k", "new", []byte("n"), "t1"),
		tx.Put("k", "a", []byte("1b"), "t3"),
		tx.Delete("k", "c"),
		tx.Put("k", "c", []byte("back"), "t1"),
		tx.Put("other", "x", []byte("x"), "t1"),
		tx.Delete("k", "b"),
		tx.RemoveJob(store.Job{Timeline: "", Due: base, Seq: 1}),
		tx.RemoveJobs("j", "b"),
	} {
		if err != nil {
			return err
		}
	}
	if _, err := tx.NextSequence("n"); err != nil {
		return err
	}
	if _, err := tx.NextSequence("fresh"); err != nil {
		return err
	}
	_, err := tx.AddJob(store.Job{Kind: "j", ObjectID: "new", Due: base})
	return err
}

func testRollback(t *testing.T, s store.Store) {
	seed(t, s)
	before := snapshot(t, s)

	err := s.Update(func(tx store.Tx) error {
		if err := writeAll(tx); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errTest)
	})
	if !errors.Is(err, errTest) || err.Error() != "wrapped: "+errTest.Error() {
		t.Fatalf("Update = %v, want the error fn returned", err)
	}
	if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
		t.Errorf("state after rollback (-want +got):\n%s", diff)
	}
	if got := nextSeq(t, s, "n"); got != 2 {
		t.Errorf("NextSequence(n) after rollback = %d, want 2", got)
	}
	if got := nextSeq(t, s, "fresh"); got != 1 {
		t.Errorf("NextSequence(fresh) after rollback = %d, want 1", got)
	}

	// The same writes, committed, change exactly what they should, and new
	// records still go last.
	update(t, s, writeAll)
	put(t, s, "k", nil, rec{"last", "l"})
	want := []rec{{"a", "1b"}, {"new", "n"}, {"c", "back"}, {"last", "l"}}
	checkScan(t, s, "k", want)
	checkIndex(t, s, "k", "t1", []rec{{"new", "n"}, {"c", "back"}})
	checkIndex(t, s, "k", "t2", nil)
	checkIndex(t, s, "k", "t3", []rec{{"a", "1b"}})
	checkJobs(t, s, []store.Job{
		{Kind: "j", ObjectID: "new", Due: base, Seq: 4},
	})
}

func testRollbackOnPanic(t *testing.T, s store.Store) {
	seed(t, s)
	before := snapshot(t, s)
	func() {
		defer func() {
			if r := recover(); r != errTest {
				t.Errorf("recovered %v, want the panic value %v", r, errTest)
			}
		}()
		_ = s.Update(func(tx store.Tx) error {
			if err := writeAll(tx); err != nil {
				return err
			}
			panic(errTest)
		})
	}()
	// The store must be usable again: the panic released the lock.
	if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
		t.Errorf("state after panic (-want +got):\n%s", diff)
	}
	put(t, s, "k", nil, rec{"after", "panic"})
}

func testViewIsReadOnly(t *testing.T, s store.Store) {
	seed(t, s)
	before := snapshot(t, s)
	writes := map[string]func(tx store.Tx) error{
		"Put":          func(tx store.Tx) error { return tx.Put("k", "z", []byte("z")) },
		"Put replace":  func(tx store.Tx) error { return tx.Put("k", "a", []byte("z")) },
		"Delete":       func(tx store.Tx) error { return tx.Delete("k", "a") },
		"NextSequence": func(tx store.Tx) error { _, err := tx.NextSequence("n"); return err },
		"AddJob":       func(tx store.Tx) error { _, err := tx.AddJob(store.Job{Due: base}); return err },
		"RemoveJob":    func(tx store.Tx) error { return tx.RemoveJob(before.Jobs[0]) },
		"RemoveJobs":   func(tx store.Tx) error { return tx.RemoveJobs("j", "a") },
	}
	for name, write := range writes {
		err := s.View(write)
		if err == nil {
			t.Errorf("%s in View succeeded, want an error", name)
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrClosed) {
			t.Errorf("%s in View = %v, want a read-only error", name, err)
		}
	}
	if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
		t.Errorf("state after writes in View (-want +got):\n%s", diff)
	}
	if got := nextSeq(t, s, "n"); got != 2 {
		t.Errorf("NextSequence(n) = %d, want 2", got)
	}
}

func testTxAfterEnd(t *testing.T, s store.Store) {
	put(t, s, "k", nil, rec{"a", "1"})
	var kept store.Tx
	update(t, s, func(tx store.Tx) error { kept = tx; return nil })
	if _, err := kept.Get("k", "a"); err == nil {
		t.Errorf("Get on an ended Update tx succeeded, want an error")
	}
	if err := kept.Put("k", "b", nil); err == nil {
		t.Errorf("Put on an ended Update tx succeeded, want an error")
	}
	view(t, s, func(tx store.Tx) error { kept = tx; return nil })
	if err := kept.Scan("k", false, collect(new([]rec))); err == nil {
		t.Errorf("Scan on an ended View tx succeeded, want an error")
	}
	checkScan(t, s, "k", []rec{{"a", "1"}})
}

func testJobOrder(t *testing.T, s store.Store) {
	added := addJobs(t, s,
		store.Job{Kind: "k", ObjectID: "o1", Due: base.Add(2 * time.Second)},
		store.Job{Kind: "k", ObjectID: "o2", Due: base.Add(time.Second)},
		store.Job{Kind: "k", ObjectID: "o3", Timeline: "clock_b", Due: base},
		store.Job{Kind: "k", ObjectID: "o4", Due: base.Add(time.Second)},
		store.Job{Kind: "k", ObjectID: "o5", Timeline: "clock_a", Due: base.Add(time.Hour)},
		store.Job{Kind: "k", ObjectID: "o6", Timeline: "clock_b", Due: base.Add(-time.Hour)},
	)
	for i, j := range added {
		if j.Seq != uint64(i+1) {
			t.Errorf("AddJob #%d got Seq %d, want %d", i, j.Seq, i+1)
		}
	}
	checkJobs(t, s, []store.Job{added[1], added[3], added[0], added[4], added[5], added[2]})
	for timeline, want := range map[string]store.Job{"": added[1], "clock_a": added[4], "clock_b": added[5]} {
		got, ok := nextJob(t, s, timeline)
		if !ok {
			t.Errorf("NextJob(%q) found none, want %v", timeline, want)
		} else if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("NextJob(%q) (-want +got):\n%s", timeline, diff)
		}
	}
	// The tie on Due is broken by Seq.
	update(t, s, func(tx store.Tx) error { return tx.RemoveJob(added[1]) })
	if got, _ := nextJob(t, s, ""); got.Seq != added[3].Seq {
		t.Errorf("NextJob after removing the first = %v, want %v", got, added[3])
	}
}

func testRemoveJob(t *testing.T, s store.Store) {
	added := addJobs(t, s,
		store.Job{Kind: "k", ObjectID: "a", Due: base},
		store.Job{Kind: "k", ObjectID: "a", Due: base.Add(time.Second)},
		store.Job{Kind: "k", ObjectID: "b", Due: base.Add(2 * time.Second)},
	)
	update(t, s, func(tx store.Tx) error {
		for _, j := range []store.Job{
			{Due: added[0].Due, Seq: added[0].Seq, Timeline: "other"}, // wrong timeline
			{Due: added[0].Due.Add(1), Seq: added[0].Seq},             // wrong due
			{Due: added[0].Due, Seq: 99},                              // wrong seq
		} {
			if err := tx.RemoveJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	checkJobs(t, s, added)

	// Only Timeline, Due and Seq identify the job.
	update(t, s, func(tx store.Tx) error {
		return tx.RemoveJob(store.Job{Due: added[1].Due.In(time.FixedZone("x", 3600)), Seq: added[1].Seq})
	})
	checkJobs(t, s, []store.Job{added[0], added[2]})
	// Removing it again is not an error.
	update(t, s, func(tx store.Tx) error { return tx.RemoveJob(added[1]) })
	// RemoveJobs no longer finds the removed one.
	update(t, s, func(tx store.Tx) error { return tx.RemoveJobs("k", "a") })
	checkJobs(t, s, []store.Job{added[2]})
}

func testRemoveJobs(t *testing.T, s store.Store) {
	added := addJobs(t, s,
		store.Job{Kind: "finalize", ObjectID: "in_1", Due: base},
		store.Job{Kind: "finalize", ObjectID: "in_1", Timeline: "clock", Due: base},
		store.Job{Kind: "finalize", ObjectID: "in_2", Due: base},
		store.Job{Kind: "void", ObjectID: "in_1", Due: base},
		store.Job{Kind: "finalize", ObjectID: "in_1", Timeline: "clock2", Due: base.Add(time.Minute)},
		store.Job{Kind: "finalize", ObjectID: "in_10", Due: base},
		store.Job{Kind: "finalize_x", ObjectID: "in_1", Due: base},
	)
	update(t, s, func(tx store.Tx) error { return tx.RemoveJobs("finalize", "in_1") })
	checkJobs(t, s, []store.Job{added[2], added[3], added[5], added[6]})
	if _, ok := nextJob(t, s, "clock"); ok {
		t.Errorf("NextJob(clock) found a job after RemoveJobs")
	}
	// Removing none is not an error.
	update(t, s, func(tx store.Tx) error { return tx.RemoveJobs("finalize", "in_1") })
	update(t, s, func(tx store.Tx) error { return tx.RemoveJobs("nothing", "") })
	checkJobs(t, s, []store.Job{added[2], added[3], added[5], added[6]})
}

func testNextJobEmpty(t *testing.T, s store.Store) {
	if j, ok := nextJob(t, s, ""); ok {
		t.Errorf("NextJob on an empty store = %v, want none", j)
	}
	if got := jobs(t, s); len(got) != 0 {
		t.Errorf("Jobs on an empty store = %v, want none", got)
	}
	added := addJobs(t, s, store.Job{Kind: "k", Timeline: "clock", Due: base})
	for _, timeline := range []string{"", "cloc", "clock2", "other"} {
		if j, ok := nextJob(t, s, timeline); ok {
			t.Errorf("NextJob(%q) = %v, want none", timeline, j)
		}
	}
	update(t, s, func(tx store.Tx) error { return tx.RemoveJob(added[0]) })
	if j, ok := nextJob(t, s, "clock"); ok {
		t.Errorf("NextJob after removing the only job = %v, want none", j)
	}
}

func testJobDuePrecision(t *testing.T, s store.Store) {
	// Added latest first, so that only Due can put them in order.
	added := addJobs(t, s,
		store.Job{Kind: "k", Due: base.Add(time.Second + 1)},
		store.Job{Kind: "k", Due: base.Add(time.Second)},
		store.Job{Kind: "k", Due: base.Add(2)},
		store.Job{Kind: "k", Due: base.Add(1)},
		// A zone other than UTC is kept as the same instant.
		store.Job{Kind: "k", Due: base.Add(3).In(time.FixedZone("east", 5*3600))},
	)
	got := jobs(t, s)
	want := []store.Job{added[3], added[2], added[4], added[1], added[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Jobs() (-want +got):\n%s", diff)
	}
	for i, j := range got {
		if j.Due.UnixNano() != want[i].Due.UnixNano() || j.Due.Location() != time.UTC {
			t.Errorf("job %d: Due = %v, want %v in UTC", i, j.Due, want[i].Due.UTC())
		}
	}
	if first, _ := nextJob(t, s, ""); !first.Due.Equal(base.Add(1)) {
		t.Errorf("NextJob().Due = %v, want %v", first.Due, base.Add(1))
	}
}

func testJobDueRange(t *testing.T, s store.Store) {
	added := addJobs(t, s,
		store.Job{Kind: "k", Due: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)},
		store.Job{Kind: "k", Due: time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC)},
		store.Job{Kind: "k", Due: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		store.Job{Kind: "k", Due: time.Unix(0, 0)},
		store.Job{Kind: "k", Due: time.Date(1900, 6, 1, 0, 0, 0, 0, time.UTC)},
		store.Job{Kind: "k", Due: base},
	)
	checkJobs(t, s, []store.Job{added[4], added[2], added[3], added[1], added[5], added[0]})
	if first, _ := nextJob(t, s, ""); first.Seq != added[4].Seq {
		t.Errorf("NextJob() = %v, want %v", first, added[4])
	}
}

func testInvalidJobs(t *testing.T, s store.Store) {
	for name, j := range map[string]store.Job{
		"zero Due":          {Kind: "k"},
		"Due in year 3000":  {Kind: "k", Due: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"NUL in Timeline":   {Kind: "k", Timeline: "a\x00b", Due: base},
		"NUL in Kind":       {Kind: "k\x00", Due: base},
		"NUL in ObjectID":   {Kind: "k", ObjectID: "\x00", Due: base},
		"NUL in every name": {Kind: "\x00", ObjectID: "\x00", Timeline: "\x00", Due: base},
	} {
		err := s.Update(func(tx store.Tx) error { _, err := tx.AddJob(j); return err })
		if err == nil {
			t.Errorf("AddJob with %s succeeded, want an error", name)
		}
	}
	checkJobs(t, s, nil)
	// Looking up such jobs finds nothing and is not an error.
	update(t, s, func(tx store.Tx) error {
		if err := tx.RemoveJob(store.Job{}); err != nil {
			return err
		}
		if err := tx.RemoveJobs("k\x00", "\x00"); err != nil {
			return err
		}
		_, ok, err := tx.NextJob("a\x00b")
		if ok {
			return errors.New("NextJob with a NUL found a job")
		}
		return err
	})
}

func testDataIsolation(t *testing.T, s store.Store) {
	data := []byte("original")
	update(t, s, func(tx store.Tx) error { return tx.Put("k", "a", data, "t") })
	copy(data, "MUTATED!")
	if got, _ := get(t, s, "k", "a"); got != "original" {
		t.Errorf("Get after mutating the slice given to Put = %q, want %q", got, "original")
	}

	update(t, s, func(tx store.Tx) error {
		got, err := tx.Get("k", "a")
		if err != nil {
			return err
		}
		copy(got, "MUTATED!")
		return nil
	})
	mutate := func(_ string, data []byte) (bool, error) {
		copy(data, "MUTATED!")
		return true, nil
	}
	update(t, s, func(tx store.Tx) error { return tx.Scan("k", false, mutate) })
	update(t, s, func(tx store.Tx) error { return tx.ScanIndex("k", "t", false, mutate) })
	if got, _ := get(t, s, "k", "a"); got != "original" {
		t.Errorf("Get after mutating slices handed out = %q, want %q", got, "original")
	}

	// Slices from Get stay valid after the transaction.
	var kept []byte
	view(t, s, func(tx store.Tx) error {
		var err error
		kept, err = tx.Get("k", "a")
		return err
	})
	put(t, s, "k", nil, rec{"a", "replaced"}, rec{"b", "more data to move pages around"})
	if string(kept) != "original" {
		t.Errorf("slice from Get after the transaction = %q, want %q", kept, "original")
	}

	// The terms slice given to Put is not kept either.
	terms := []string{"t1"}
	update(t, s, func(tx store.Tx) error { return tx.Put("k", "c", []byte("c"), terms...) })
	terms[0] = "t2"
	checkIndex(t, s, "k", "t1", []rec{{"c", "c"}})
	checkIndex(t, s, "k", "t2", nil)
}

func testClose(t *testing.T, s store.Store) {
	put(t, s, "k", nil, rec{"a", "1"})
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := s.Update(func(store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := s.View(func(store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("View after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// testConcurrentViews runs Views alongside Updates; under -race it catches
// unguarded state, and it checks that a View never sees half an Update.
func testConcurrentViews(t *testing.T, s store.Store) {
	const updates, viewers = 50, 4
	put(t, s, "k", []string{"t"}, rec{"a", "0"}, rec{"b", "0"})

	var wg sync.WaitGroup
	errs := make(chan error, viewers)
	for range viewers {
		wg.Go(func() {
			for range updates {
				err := s.View(func(tx store.Tx) error {
					a, err := tx.Get("k", "a")
					if err != nil {
						return err
					}
					var recs []rec
					if err := tx.ScanIndex("k", "t", false, collect(&recs)); err != nil {
						return err
					}
					if len(recs) != 2 || recs[0].Data != string(a) || recs[1].Data != string(a) {
						return fmt.Errorf("View saw a = %q and %v: half an Update", a, recs)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range updates {
		v := fmt.Sprint(i + 1)
		put(t, s, "k", []string{"t"}, rec{"a", v}, rec{"b", v})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkScan(t, s, "k", []rec{{"a", fmt.Sprint(updates)}, {"b", fmt.Sprint(updates)}})
}

func scanFrom(t *testing.T, s store.Store, kind, from string, reverse bool) []rec {
	t.Helper()
	var got []rec
	view(t, s, func(tx store.Tx) error { return tx.ScanFrom(kind, from, reverse, collect(&got)) })
	return got
}

func scanIndexFrom(t *testing.T, s store.Store, kind, term, from string, reverse bool) []rec {
	t.Helper()
	var got []rec
	view(t, s, func(tx store.Tx) error { return tx.ScanIndexFrom(kind, term, from, reverse, collect(&got)) })
	return got
}

func testScanFrom(t *testing.T, s store.Store) {
	put(t, s, "k", []string{"odd"}, rec{"a", "1"})
	put(t, s, "k", []string{"even"}, rec{"b", "2"})
	put(t, s, "k", []string{"odd"}, rec{"c", "3"})
	put(t, s, "k", []string{"even"}, rec{"d", "4"})
	put(t, s, "k", []string{"odd"}, rec{"e", "5"})
	update(t, s, func(tx store.Tx) error { return tx.Delete("k", "d") })

	for _, tt := range []struct {
		term, from string // term "-" scans without one
		reverse    bool
		want       []rec
	}{
		{"-", "b", false, []rec{{"c", "3"}, {"e", "5"}}},
		{"-", "c", true, []rec{{"b", "2"}, {"a", "1"}}},
		{"-", "e", false, nil},
		{"-", "a", true, nil},
		{"odd", "a", false, []rec{{"c", "3"}, {"e", "5"}}},
		{"odd", "e", true, []rec{{"c", "3"}, {"a", "1"}}},
		// from need not carry the term.
		{"odd", "b", false, []rec{{"c", "3"}, {"e", "5"}}},
		{"odd", "b", true, []rec{{"a", "1"}}},
		{"even", "e", true, []rec{{"b", "2"}}},
		{"even", "a", false, []rec{{"b", "2"}}},
		{"missing", "a", false, nil},
	} {
		var got []rec
		if tt.term == "-" {
			got = scanFrom(t, s, "k", tt.from, tt.reverse)
		} else {
			got = scanIndexFrom(t, s, "k", tt.term, tt.from, tt.reverse)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("scan of term %q from %q (reverse=%v) (-want +got):\n%s", tt.term, tt.from, tt.reverse, diff)
		}
	}

	// A deleted record, or one of another kind, is no place to start.
	view(t, s, func(tx store.Tx) error {
		noop := func(string, []byte) (bool, error) { return true, nil }
		for _, from := range []string{"d", "zz"} {
			if err := tx.ScanFrom("k", from, false, noop); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ScanFrom(k, %q) = %v, want ErrNotFound", from, err)
			}
			if err := tx.ScanIndexFrom("k", "odd", from, true, noop); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ScanIndexFrom(k, odd, %q) = %v, want ErrNotFound", from, err)
			}
		}
		if err := tx.ScanFrom("none", "a", false, noop); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ScanFrom(none, a) = %v, want ErrNotFound", err)
		}
		return nil
	})
}
