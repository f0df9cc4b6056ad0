package resources

// White-box tests of the engine's scheduler loop, with a job kind that
// exists only here: issue-specific jobs (finalization, renewals) are tested
// through stripe-go in their own families.

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

type note struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	At     int64  `json:"at"`
}

func testEngine(t *testing.T, c clock.Clock) (*Engine, *[]note) {
	t.Helper()
	return testEngineOn(t, store.NewMemory(), c)
}

// eachStore runs fn on a memory store and on a bbolt one.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, store.NewMemory()) })
	t.Run("bolt", func(t *testing.T) {
		st, err := store.OpenBolt(filepath.Join(t.TempDir(), "engine.db"), store.BoltNoSync())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, st)
	})
}

// testEngineOn is testEngine on st, which it closes at the end.
func testEngineOn(t *testing.T, st store.Store, c clock.Clock) (*Engine, *[]note) {
	t.Helper()
	e := NewEngine(st, clockwork.NewTime(c), DefaultConfig())
	t.Cleanup(func() { _ = e.Store().Close() })
	var ran []note
	e.job("test.note", func(c *Ctx, j store.Job) error {
		if c.Now() != j.Due || e.Now().Before(j.Due) {
			t.Errorf("job %s ran at %v (clock %v), due %v", j.ObjectID, c.Now(), e.Now(), j.Due)
		}
		ran = append(ran, note{ID: j.ObjectID, At: c.Unix()})
		if j.ObjectID == "chain" { // a job may schedule more work
			return c.schedule("test.note", "chained", j.Timeline, c.Now().Add(time.Minute))
		}
		if j.ObjectID == "fail" {
			return errors.New("boom")
		}
		return nil
	})
	return e, &ran
}

func schedule(t *testing.T, e *Engine, id string, due time.Time) {
	t.Helper()
	if err := e.Do(func(c *Ctx) error { return c.schedule("test.note", id, "", due) }); err != nil {
		t.Fatal(err)
	}
}

func TestAdvanceRunsDueJobsInOrderAtTheirTime(t *testing.T) {
	e, ran := testEngine(t, clockwork.NewFrozen(t0))
	schedule(t, e, "late", t0.Add(3*time.Hour))
	schedule(t, e, "chain", t0.Add(time.Hour))
	schedule(t, e, "first", t0.Add(30*time.Minute))
	schedule(t, e, "never", t0.Add(48*time.Hour))
	if err := e.AdvanceTo(t0.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []string{"first", "chain", "chained", "late"}
	if len(*ran) != len(want) {
		t.Fatalf("ran %v", *ran)
	}
	for i, n := range *ran {
		if n.ID != want[i] {
			t.Errorf("ran[%d] = %s, want %s", i, n.ID, want[i])
		}
	}
	if (*ran)[2].At != t0.Add(61*time.Minute).Unix() {
		t.Errorf("chained ran at %d", (*ran)[2].At)
	}
	if !e.Now().Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("clock at %v", e.Now())
	}
	jobs, _ := e.Jobs()
	if len(jobs) != 1 || jobs[0].ObjectID != "never" {
		t.Errorf("left %v", jobs)
	}
}

func TestDueWorkRunsBeforeARequestWhenTheClockMovesOutside(t *testing.T) {
	m := clock.NewMock()
	m.Set(t0)
	e, ran := testEngine(t, m)
	schedule(t, e, "due", t0.Add(time.Minute))
	m.Add(2 * time.Minute) // the user's own mock, moved without Advance
	resp := e.Serve(Call{Method: "GET", Pattern: "/v1/events", Params: map[string]any{}})
	if resp.Status != 200 || len(*ran) != 1 {
		t.Errorf("status %d, ran %v", resp.Status, *ran)
	}
}

func TestAFailingJobStopsAdvanceAndRollsBack(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	schedule(t, e, "fail", t0.Add(time.Minute))
	err := e.AdvanceTo(t0.Add(time.Hour))
	if err == nil {
		t.Fatal("no error")
	}
	// Rolled back: the job is still pending, so the failure is visible.
	if jobs, _ := e.Jobs(); len(jobs) != 1 {
		t.Errorf("jobs %v", jobs)
	}
}

// Jobs due at one instant share a transaction; when one of them fails,
// those before it stay committed with their events, as if each had run
// alone, and the failing one and those after it stay queued.
func TestAFailingJobInABatchKeepsTheJobsBeforeIt(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		e.job("test.emit", func(c *Ctx, j store.Job) error {
			if j.ObjectID == "fail" {
				return errors.New("boom")
			}
			return c.emit("test.done", map[string]string{"id": j.ObjectID, "object": "test_note"}, nil)
		})
		due := t0.Add(time.Minute)
		for _, id := range []string{"a", "b", "fail", "c"} {
			if err := e.Do(func(c *Ctx) error { return c.schedule("test.emit", id, "", due) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.AdvanceTo(t0.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("advance: %v", err)
		}
		var done []string
		_ = e.Events(func(ev *Event) { done = append(done, ev.ObjectID()) })
		if strings.Join(done, ",") != "a,b" {
			t.Errorf("events of %v, want a,b", done)
		}
		jobs, _ := e.Jobs()
		var left []string
		for _, j := range jobs {
			left = append(left, j.ObjectID)
		}
		if strings.Join(left, ",") != "fail,c" {
			t.Errorf("jobs left %v, want fail,c", left)
		}
	})
}

// A job that fails a business rule (a 4xx) can never succeed: it is
// dropped and reported, and the jobs after it run, instead of every later
// Advance and request failing on it. Other failures still stop the drain.
func TestAJobFailingABusinessRuleIsDropped(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		var dropped []error
		e.SetJobDropped(func(err error) { dropped = append(dropped, err) })
		e.job("test.emit", func(c *Ctx, j store.Job) error {
			if j.ObjectID == "rule" {
				return apierr.InvalidRequest("metadata", "You can have up to 50 metadata keys.")
			}
			return c.emit("test.done", map[string]string{"id": j.ObjectID, "object": "test_note"}, nil)
		})
		due := t0.Add(time.Minute)
		for _, id := range []string{"a", "rule", "c"} {
			if err := e.Do(func(c *Ctx) error { return c.schedule("test.emit", id, "", due) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Do(func(c *Ctx) error { return c.schedule("test.emit", "d", "", due.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		if err := e.AdvanceTo(t0.Add(time.Hour)); err != nil {
			t.Fatalf("advance: %v", err)
		}
		var done []string
		_ = e.Events(func(ev *Event) { done = append(done, ev.ObjectID()) })
		if strings.Join(done, ",") != "a,c,d" {
			t.Errorf("events of %v, want a,c,d", done)
		}
		if len(dropped) != 1 || !strings.Contains(dropped[0].Error(), "test.emit of rule") || !strings.Contains(dropped[0].Error(), "50 metadata keys") {
			t.Errorf("dropped %v", dropped)
		}
		if jobs, _ := e.Jobs(); len(jobs) != 0 {
			t.Errorf("jobs left %v", jobs)
		}
	})
}

// When what follows the commit of a batch fails for one job, the others'
// still run (their webhooks are delivered), and Advance reports the error.
func TestAnAfterCommitErrorInABatchStillRunsTheOthers(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		var after []string
		e.job("test.after", func(c *Ctx, j store.Job) error {
			c.after(func() error {
				after = append(after, j.ObjectID)
				if j.ObjectID == "a" {
					return errors.New("after a")
				}
				return nil
			})
			return nil
		})
		due := t0.Add(time.Minute)
		for _, id := range []string{"a", "b", "c"} {
			if err := e.Do(func(c *Ctx) error { return c.schedule("test.after", id, "", due) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.AdvanceTo(t0.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "after a") {
			t.Fatalf("advance: %v", err)
		}
		if strings.Join(after, ",") != "a,b,c" {
			t.Errorf("after functions ran for %v, want a,b,c", after)
		}
		if jobs, _ := e.Jobs(); len(jobs) != 0 {
			t.Errorf("jobs left %v", jobs)
		}
	})
}

func TestIDsAreDeterministicAndUnique(t *testing.T) {
	a, b := NewIDs(0), NewIDs(0)
	seen := map[string]bool{}
	for n := uint64(1); n <= 10000; n++ {
		id := a.Format("cus", n)
		if id != b.Format("cus", n) || len(id) != len("cus_")+14 || seen[id] {
			t.Fatalf("id %d: %s", n, id)
		}
		seen[id] = true
	}
	if NewIDs(1).Format("cus", 1) == a.Format("cus", 1) {
		t.Errorf("seed does not change IDs")
	}
	if got := a.Format("in", 1); len(got) != len("in_")+24 {
		t.Errorf("invoice id %s", got)
	}
}

func TestExpandKeepsLargeIntegers(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	obj := map[string]any{"object": "list", "data": []any{map[string]any{"object": "x", "n": int64(9007199254740993)}}, "has_more": false, "url": "/v1/x"}
	err := e.View(func(c *Ctx) error {
		c.Params = NewParams(map[string]any{"expand": []any{"data.test_clock"}})
		raw, err := e.renderResponse(c, obj)
		if err == nil && !strings.Contains(string(raw), `"n":9007199254740993`) {
			t.Errorf("precision lost: %s", raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An expandable ID that names nothing stored stays an ID, never a 500.
func TestExpandOfAnIDNothingIsStoredUnder(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	obj := map[string]any{"id": "in_1", "object": "invoice", "customer": "cus_gone"}
	err := e.View(func(c *Ctx) error {
		c.Params = NewParams(map[string]any{"expand": []any{"customer"}})
		raw, err := e.renderResponse(c, obj)
		if err != nil || !strings.Contains(string(raw), `"customer":"cus_gone"`) {
			t.Errorf("expand of a dangling ID: %v %s", err, raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A pre-rendered object handed to emit as []byte stays an object in the
// event, never a base64 string.
func TestEmitRenderedBytes(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	err := e.Do(func(c *Ctx) error { return c.emit("test.done", []byte(`{"id":"x_1","object":"x"}`), nil) })
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Events(func(ev *Event) {
		if string(ev.Data.Object) != `{"id":"x_1","object":"x"}` {
			t.Errorf("data.object = %s", ev.Data.Object)
		}
	})
}

// Engines share the families' registry; one that registers more gets its
// own copy, so nothing leaks to other engines.
func TestRegistryIsCopiedOnWrite(t *testing.T) {
	a, _ := testEngine(t, clockwork.NewFrozen(t0)) // registers test.note
	b := NewEngine(store.NewMemory(), clockwork.NewTime(clockwork.NewFrozen(t0)), DefaultConfig())
	t.Cleanup(func() { _ = b.Store().Close() })
	if _, ok := a.jobs["test.note"]; !ok {
		t.Fatal("a lost its own job")
	}
	if _, ok := b.jobs["test.note"]; ok {
		t.Error("a's job leaked into b")
	}
	if !b.Implements("POST", "/v1/customers") || len(b.Routes()) != len(a.Routes()) {
		t.Error("b lacks the families' routes")
	}
}

// A handler that panics answers a 500 naming the panic instead of dropping
// the connection.
func TestHandlerPanicIsA500(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	e.route(Route{Method: "GET", Pattern: "/v1/test/panic", Read: true, Handle: func(c *Ctx) (any, error) { panic("boom") }})
	resp := e.Serve(Call{Method: "GET", Pattern: "/v1/test/panic", Params: map[string]any{}})
	if resp.Status != 500 || !strings.Contains(string(resp.Body), "panic: boom") {
		t.Errorf("%d %s", resp.Status, resp.Body)
	}
}

// A value that cannot be encoded (a NaN) fails its transaction when it is
// written (at the latest when the transaction ends), instead of being
// stored as zero at commit.
func TestSaveOfAnUnencodableValueFails(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		type measured struct {
			ID    string  `json:"id"`
			Ratio float64 `json:"ratio"`
		}
		err := e.Do(func(c *Ctx) error { return c.save("test_measured", "m_1", &measured{ID: "m_1", Ratio: math.NaN()}) })
		if err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("save of NaN: %v", err)
		}
		// A read of the record in between that drops its error does not lose
		// the failure: the write stays pending and the flush fails too.
		err = e.Do(func(c *Ctx) error {
			if err := c.save("test_measured", "m_1", &measured{ID: "m_1", Ratio: math.Inf(1)}); err != nil {
				return err
			}
			_, _ = get[measured](c, "test_measured", "m_1", "id")
			_ = c.tx.Scan("test_measured", false, func(string, []byte) (bool, error) { return true, nil })
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "Inf") {
			t.Errorf("save of +Inf read back in between: %v", err)
		}
		if err := e.View(func(c *Ctx) error { _, err := c.tx.Get("test_measured", "m_1"); return err }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("record after the failed saves: %v", err)
		}
	})
}

// save hands its value over: changing it afterwards without saving it
// again is a bug, which test binaries report at once rather than let the
// change reach the store unsaved (or not, depending on when it is
// written): also when a read of its kind wrote it before the transaction
// ended.
func TestChangingASavedValuePanicsInTests(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		type counted struct {
			ID string `json:"id"`
			N  int64  `json:"n"`
		}
		for _, tc := range []struct {
			early, resave bool
			panic         string
		}{
			{panic: "changed after its save, before it was written"},
			{early: true, panic: "changed after its save, after it was written"},
			{resave: true},
			{early: true, resave: true},
		} {
			var got any
			func() {
				defer func() { got = recover() }()
				_ = e.Do(func(c *Ctx) error {
					v := &counted{ID: "n_1", N: 1}
					if err := c.save("test_counted", "n_1", v); err != nil {
						return err
					}
					if tc.early {
						if err := c.tx.Scan("test_counted", false, func(string, []byte) (bool, error) { return true, nil }); err != nil {
							return err
						}
					}
					v.N = 2
					if tc.resave {
						return c.save("test_counted", "n_1", v)
					}
					return nil
				})
			}()
			if msg, _ := got.(string); tc.panic == "" && got != nil || tc.panic != "" && !strings.Contains(msg, tc.panic) {
				t.Errorf("%+v: recovered %v", tc, got)
			}
		}
	})
}

// view hands out the decoded cache's own value: a caller that changes it
// is a bug, which test binaries report when the transaction ends.
func TestChangingAViewPanicsInTests(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		e, _ := testEngineOn(t, st, clockwork.NewFrozen(t0))
		type counted struct {
			ID string `json:"id"`
			N  int64  `json:"n"`
		}
		if err := e.Do(func(c *Ctx) error { return c.save("test_counted", "n_1", &counted{ID: "n_1", N: 1}) }); err != nil {
			t.Fatal(err)
		}
		for _, change := range []bool{false, true} {
			var got any
			func() {
				defer func() { got = recover() }()
				_ = e.Do(func(c *Ctx) error {
					v, err := view[counted](c, "test_counted", "n_1", "id")
					if err != nil || v.N != 1 {
						t.Errorf("view: %+v %v", v, err)
						return err
					}
					if change {
						v.N = 2
					}
					return nil
				})
			}()
			if msg, _ := got.(string); change != strings.Contains(msg, "changed by a caller of view") {
				t.Errorf("change=%v: recovered %v", change, got)
			}
		}
	})
}

// view of a type the decoded cache cannot copy faithfully (a
// WebhookDelivery keeps unexported state) reads the store each time.
func TestViewOfAnUncacheableType(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	if cacheable(reflect.ValueOf(new(WebhookDelivery))) {
		t.Skip("WebhookDelivery became cacheable: pick another type")
	}
	if err := e.Do(func(c *Ctx) error {
		return c.save(kindWebhookDelivery, "wd_1", &WebhookDelivery{ID: "wd_1", EventAt: t0, NextRetry: t0})
	}); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		if err := e.Do(func(c *Ctx) error {
			v, err := view[WebhookDelivery](c, kindWebhookDelivery, "wd_1", "id")
			if err != nil || !v.EventAt.Equal(t0) {
				t.Errorf("round %d: view EventAt %v, %v", round, v.EventAt, err)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// Saved values the decoded cache keeps uncopied (lazy entries) are read by
// concurrent transactions while a writer saves new states: the race
// detector watches the copies, and every read sees a state that was saved.
func TestLazyCacheEntriesUnderConcurrentReads(t *testing.T) {
	e, _ := testEngine(t, clockwork.NewFrozen(t0))
	type counted struct {
		ID string `json:"id"`
		N  int64  `json:"n"`
	}
	if err := e.Do(func(c *Ctx) error { return c.save("test_counted", "n_1", &counted{ID: "n_1"}) }); err != nil {
		t.Fatal(err)
	}
	const writes = 200
	done := make(chan error, 3)
	for range 3 {
		go func() {
			var err error
			for range writes {
				if err = e.View(func(c *Ctx) error {
					v, err := get[counted](c, "test_counted", "n_1", "id")
					if err == nil && (v.N < 0 || v.N >= writes) {
						err = fmt.Errorf("read n=%d, never saved", v.N)
					}
					return err
				}); err != nil {
					break
				}
				if err = e.Do(func(c *Ctx) error { _, err := view[counted](c, "test_counted", "n_1", "id"); return err }); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for i := range writes {
		if err := e.Do(func(c *Ctx) error {
			v, err := get[counted](c, "test_counted", "n_1", "id")
			if err != nil {
				return err
			}
			v.N = int64(i)
			return c.save("test_counted", "n_1", v)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// hookStore runs before once, ahead of the next Update, when armed.
type hookStore struct {
	store.Store
	mu     sync.Mutex
	before func()
}

func (h *hookStore) Update(fn func(store.Tx) error) error {
	h.mu.Lock()
	b := h.before
	h.before = nil
	h.mu.Unlock()
	if b != nil {
		b()
	}
	return h.Store.Update(fn)
}

// The job dropped is the one that failed, even if a request committed an
// earlier-due job (an overdue one) between its failure and the drop.
func TestTheJobDroppedIsTheOneThatFailed(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		hs := &hookStore{Store: st}
		e, _ := testEngineOn(t, hs, clockwork.NewFrozen(t0))
		var dropped []string
		e.SetJobDropped(func(err error) { dropped = append(dropped, err.Error()) })
		armed := false
		e.job("test.emit", func(c *Ctx, j store.Job) error {
			if j.ObjectID == "rule" {
				if !armed {
					armed = true
					hs.mu.Lock()
					hs.before = func() {
						// What a concurrent request could commit between the
						// failed transaction and dropJob's.
						_ = st.Update(func(tx store.Tx) error {
							_, err := tx.AddJob(store.Job{Kind: "test.emit", ObjectID: "innocent", Due: t0})
							return err
						})
					}
					hs.mu.Unlock()
				}
				return apierr.InvalidRequest("metadata", "You can have up to 50 metadata keys.")
			}
			return c.emit("test.done", map[string]string{"id": j.ObjectID, "object": "test_note"}, nil)
		})
		if err := e.Do(func(c *Ctx) error { return c.schedule("test.emit", "rule", "", t0.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		if err := e.AdvanceTo(t0.Add(time.Hour)); err != nil {
			t.Fatalf("advance: %v", err)
		}
		var done []string
		_ = e.Events(func(ev *Event) { done = append(done, ev.ObjectID()) })
		if strings.Join(done, ",") != "innocent" || len(dropped) != 1 || !strings.Contains(dropped[0], "test.emit of rule ") {
			t.Errorf("events of %v, want innocent; dropped %q, want rule", done, dropped)
		}
	})
}

// A job run by RunDue after the clock was moved from outside (a
// clock.Mock, a real clock) is late, but nothing newer was written: event
// lists keep walking insertion order instead of sorting every event.
func TestACaughtUpJobKeepsEventsInOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		clk := clockwork.NewFrozen(t0)
		e, _ := testEngineOn(t, st, clk)
		e.job("test.emit", func(c *Ctx, j store.Job) error {
			return c.emit("test.done", map[string]string{"id": j.ObjectID, "object": "test_note"}, nil)
		})
		if err := e.Do(func(c *Ctx) error { return c.schedule("test.emit", "renewal", "", t0.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		clk.Set(t0.Add(time.Hour)) // moved from outside, as a clock.Mock's Add
		if err := e.RunDue(); err != nil {
			t.Fatal(err)
		}
		var how eventListing
		if err := e.View(func(c *Ctx) error {
			var err error
			how, err = eventListingOf(c)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if how != eventsInOrder {
			t.Errorf("listing %v, want eventsInOrder (%v): the catch-up job's events are in created order", how, eventsInOrder)
		}
	})
}

// Reset restores the IDs' seed (KeepSeed) while other goroutines mint
// request IDs, as the control API's reset does under traffic: the race
// detector watches the seed.
func TestResetWhileMintingRequestIDs(t *testing.T) {
	e, _ := testEngineOn(t, store.NewMemory(), clockwork.NewFrozen(t0))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			_ = e.NewRequestID() // what every request does, outside any transaction
		}
	}()
	for i := 0; i < 50; i++ {
		if err := e.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	// After a last Reset the engine numbers requests as a new one does.
	if err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	fresh, _ := testEngineOn(t, store.NewMemory(), clockwork.NewFrozen(t0))
	if err := fresh.KeepSeed(); err != nil {
		t.Fatal(err)
	}
	if err := fresh.BeginRequestIDs(); err != nil {
		t.Fatal(err)
	}
	if got, want := e.NewRequestID(), fresh.NewRequestID(); got != want {
		t.Errorf("request ID after Reset %s, a new engine's %s", got, want)
	}
}
