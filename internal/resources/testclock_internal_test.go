package resources

// White-box tests of test clock advancement with a job kind that exists
// only here: the jobs of real families (finalization, renewals) are tested
// through stripe-go in their own files.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// clockT0 is the test clocks' starting frozen_time, far from the fake's t0.
var clockT0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// clockRun is what a test.clock_note job saw when it ran.
type clockRun struct {
	ID      string
	Now     time.Time // c.Now()
	TimeFor time.Time // c.timeFor(its timeline)
	Frozen  int64     // the stored clock's frozen_time
}

func clockEngine(t *testing.T) (*Engine, *[]clockRun) {
	t.Helper()
	return clockEngineOn(t, store.NewMemory())
}

func clockEngineOn(t *testing.T, st store.Store) (*Engine, *[]clockRun) {
	t.Helper()
	e := NewEngine(st, clockwork.NewTime(clockwork.NewFrozen(t0)), DefaultConfig())
	t.Cleanup(func() { _ = e.Store().Close() })
	var ran []clockRun
	e.job("test.clock_note", func(c *Ctx, j store.Job) error {
		r := clockRun{ID: j.ObjectID, Now: c.Now()}
		if j.Timeline != "" {
			now, err := c.timeFor(j.Timeline)
			if err != nil {
				return err
			}
			tc, err := loadTestClock(c, j.Timeline, "test_clock")
			if err != nil {
				return err
			}
			r.TimeFor, r.Frozen = now, tc.FrozenTime
		}
		ran = append(ran, r)
		switch j.ObjectID {
		case "chain": // a job may schedule more work on its clock
			if err := c.schedule("test.clock_note", "chained", j.Timeline, c.Now().Add(time.Minute)); err != nil {
				return err
			}
		case "fail":
			return errors.New("boom")
		}
		return c.emit("test.clock_note", map[string]string{"id": j.ObjectID, "object": "test_note"}, nil)
	})
	return e, &ran
}

// serve runs one API call on e and decodes its answer.
func serve(t *testing.T, e *Engine, method, pattern string, vars map[string]string, params map[string]any) (int, map[string]any) {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	resp := e.Serve(Call{Method: method, Pattern: pattern, Vars: vars, Params: params, RequestID: "req_test"})
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s %s: %v: %s", method, pattern, err, resp.Body)
	}
	return resp.Status, body
}

func createClock(t *testing.T, e *Engine, frozen time.Time) string {
	t.Helper()
	status, body := serve(t, e, "POST", "/v1/test_helpers/test_clocks", nil, map[string]any{"frozen_time": frozen.Unix()})
	if status != http.StatusOK {
		t.Fatalf("create clock: %d %v", status, body)
	}
	return body["id"].(string)
}

func advance(t *testing.T, e *Engine, id string, to time.Time) (int, map[string]any) {
	t.Helper()
	return serve(t, e, "POST", "/v1/test_helpers/test_clocks/{test_clock}/advance", map[string]string{"test_clock": id}, map[string]any{"frozen_time": to.Unix()})
}

func clockState(t *testing.T, e *Engine, id string) TestClock {
	t.Helper()
	var tc TestClock
	if err := e.View(func(c *Ctx) error { return c.load(kindTestClock, id, &tc) }); err != nil {
		t.Fatal(err)
	}
	return tc
}

func scheduleOn(t *testing.T, e *Engine, id, timeline string, due time.Time) {
	t.Helper()
	if err := e.Do(func(c *Ctx) error { return c.schedule("test.clock_note", id, timeline, due) }); err != nil {
		t.Fatal(err)
	}
}

func allEvents(t *testing.T, e *Engine) []*Event {
	t.Helper()
	var out []*Event
	if err := e.Events(func(ev *Event) { out = append(out, ev) }); err != nil {
		t.Fatal(err)
	}
	return out
}

func types(evs []*Event) string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return strings.Join(out, ",")
}

func pending(t *testing.T, e *Engine) string {
	t.Helper()
	jobs, err := e.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.ObjectID)
	}
	return strings.Join(out, ",")
}

func TestTestClockAdvanceRunsItsJobsInOrderAtTheirTimes(t *testing.T) {
	eachStore(t, testClockJobsInOrder)
}

func testClockJobsInOrder(t *testing.T, st store.Store) {
	e, ran := clockEngineOn(t, st)
	clock := createClock(t, e, clockT0)
	scheduleOn(t, e, "late", clock, clockT0.Add(3*time.Hour))
	scheduleOn(t, e, "chain", clock, clockT0.Add(time.Hour))
	scheduleOn(t, e, "first", clock, clockT0.Add(30*time.Minute))
	scheduleOn(t, e, "tie", clock, clockT0.Add(30*time.Minute)) // same due: sequence order
	scheduleOn(t, e, "overdue", clock, clockT0.Add(-time.Hour))
	scheduleOn(t, e, "beyond", clock, clockT0.Add(48*time.Hour))
	scheduleOn(t, e, "fake", "", t0.Add(time.Minute)) // the fake's own timeline
	target := clockT0.Add(24 * time.Hour)

	status, body := advance(t, e, clock, target)
	if status != http.StatusOK || body["status"] != "advancing" {
		t.Fatalf("advance: %d %v", status, body)
	}
	want := []string{"overdue", "first", "tie", "chain", "chained", "late"}
	if len(*ran) != len(want) {
		t.Fatalf("ran %+v", *ran)
	}
	for i, r := range *ran {
		due := map[string]time.Time{
			"overdue": clockT0.Add(-time.Hour), "first": clockT0.Add(30 * time.Minute), "tie": clockT0.Add(30 * time.Minute),
			"chain": clockT0.Add(time.Hour), "chained": clockT0.Add(61 * time.Minute), "late": clockT0.Add(3 * time.Hour),
		}[r.ID]
		// The stored clock is at the job's time, never moved back.
		frozen := max(due.Unix(), clockT0.Unix())
		if r.ID != want[i] || !r.Now.Equal(due) || !r.TimeFor.Equal(due) || r.Frozen != frozen {
			t.Errorf("ran[%d] = %+v, want %s at %v with frozen_time %d", i, r, want[i], due, frozen)
		}
	}
	tc := clockState(t, e, clock)
	if tc.Status != testClockReady || tc.FrozenTime != target.Unix() || tc.StatusDetails.Advancing != nil {
		t.Errorf("clock after advance %+v", tc)
	}
	if got := pending(t, e); got != "fake,beyond" {
		t.Errorf("pending jobs %s", got)
	}
	if !e.Now().Equal(t0) {
		t.Errorf("the fake's clock moved to %v", e.Now())
	}

	evs := allEvents(t, e)
	wantTypes := "test_helpers.test_clock.created,test_helpers.test_clock.advancing," +
		strings.Repeat("test.clock_note,", 6) + "test_helpers.test_clock.ready"
	if got := types(evs); got != wantTypes {
		t.Fatalf("events %s", got)
	}
	if evs[1].Request.ID == nil || evs[7].Request.ID != nil || evs[8].Request.ID != nil {
		t.Errorf("request ids: advancing %v, job %v, ready %v", evs[1].Request.ID, evs[7].Request.ID, evs[8].Request.ID)
	}
	if evs[3].Created != clockT0.Add(30*time.Minute).Unix() {
		t.Errorf("a job's event is dated %d, want its due time", evs[3].Created)
	}

	// The fake's own advance runs its own jobs only and leaves the clock.
	*ran = nil
	if err := e.AdvanceTo(t0.Add(365 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(*ran) != 1 || (*ran)[0].ID != "fake" {
		t.Errorf("fake advance ran %+v", *ran)
	}
	if got := clockState(t, e, clock); got.FrozenTime != target.Unix() {
		t.Errorf("fake advance moved the clock to %d", got.FrozenTime)
	}
	if got := pending(t, e); got != "beyond" {
		t.Errorf("pending jobs %s", got)
	}
}

func TestTestClockFailingJobLeavesInternalFailure(t *testing.T) {
	e, ran := clockEngine(t)
	clock := createClock(t, e, clockT0)
	scheduleOn(t, e, "ok", clock, clockT0.Add(30*time.Minute))
	scheduleOn(t, e, "fail", clock, clockT0.Add(time.Hour))
	scheduleOn(t, e, "after", clock, clockT0.Add(2*time.Hour))

	status, body := advance(t, e, clock, clockT0.Add(3*time.Hour))
	if status != http.StatusInternalServerError || !strings.Contains(body["error"].(map[string]any)["message"].(string), "boom") {
		t.Errorf("advance with a failing job: %d %v", status, body)
	}
	tc := clockState(t, e, clock)
	if tc.Status != testClockInternalFailure || tc.FrozenTime != clockT0.Add(time.Hour).Unix() || tc.StatusDetails.Advancing != nil {
		t.Errorf("clock %+v", tc)
	}
	if len(*ran) != 2 || (*ran)[1].ID != "fail" {
		t.Errorf("ran %+v", *ran)
	}
	if got := pending(t, e); got != "fail,after" { // the failed job rolled back
		t.Errorf("pending %s", got)
	}
	evs := allEvents(t, e)
	if last := evs[len(evs)-1]; last.Type != "test_helpers.test_clock.internal_failure" || last.Request.ID != nil {
		t.Errorf("last event %s (request %v)", last.Type, last.Request.ID)
	}

	status, body = advance(t, e, clock, clockT0.Add(4*time.Hour))
	if status != http.StatusBadRequest || !strings.Contains(body["error"].(map[string]any)["message"].(string), "cannot be advanced") {
		t.Errorf("advancing a failed clock: %d %v", status, body)
	}
	// Deleting it still works, and takes its jobs.
	if status, body := serve(t, e, "DELETE", "/v1/test_helpers/test_clocks/{test_clock}", map[string]string{"test_clock": clock}, nil); status != http.StatusOK || body["deleted"] != true {
		t.Errorf("delete: %d %v", status, body)
	}
	if got := pending(t, e); got != "" {
		t.Errorf("pending after delete %s", got)
	}
}

func TestTestClockAdvanceWhileAdvancingIsRefused(t *testing.T) {
	e, _ := clockEngine(t)
	clock := createClock(t, e, clockT0)
	var during TestClock
	var againErr error
	// A job of the clock, and what runs after it (a webhook handler calling
	// back), see the clock advancing and cannot advance it again.
	e.job("test.reenter", func(c *Ctx, j store.Job) error {
		if err := c.load(kindTestClock, j.Timeline, &during); err != nil {
			return err
		}
		c.after(func() error {
			againErr = c.e.AdvanceTestClock(j.Timeline, clockT0.Add(2*time.Hour))
			return nil
		})
		return nil
	})
	if err := e.Do(func(c *Ctx) error { return c.schedule("test.reenter", "x", clock, clockT0.Add(time.Minute)) }); err != nil {
		t.Fatal(err)
	}
	if status, body := advance(t, e, clock, clockT0.Add(time.Hour)); status != http.StatusOK {
		t.Fatalf("advance: %d %v", status, body)
	}
	if during.Status != testClockAdvancing || during.StatusDetails.Advancing == nil || during.StatusDetails.Advancing.TargetFrozenTime != clockT0.Add(time.Hour).Unix() ||
		during.FrozenTime != clockT0.Add(time.Minute).Unix() {
		t.Errorf("clock while advancing %+v", during)
	}
	var ae *apierr.Error
	if !errors.As(againErr, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, "already advancing") {
		t.Errorf("second advance: %v", againErr)
	}
	if tc := clockState(t, e, clock); tc.Status != testClockReady || tc.FrozenTime != clockT0.Add(time.Hour).Unix() {
		t.Errorf("clock after %+v", tc)
	}
}

func TestTestClockAdvanceLimitComesFromTheShortestHook(t *testing.T) {
	e, _ := clockEngine(t)
	var seen []int64
	e.onTestClockLimit(func(c *Ctx, tc *TestClock) (time.Time, bool, error) {
		seen = append(seen, tc.FrozenTime)
		return time.Unix(tc.FrozenTime, 0).UTC().AddDate(0, 2, 0), true, nil // monthly
	})
	e.onTestClockLimit(func(c *Ctx, tc *TestClock) (time.Time, bool, error) {
		return time.Unix(tc.FrozenTime, 0).UTC().Add(time.Hour), false, nil // no limit from this one
	})
	e.onTestClockLimit(func(c *Ctx, tc *TestClock) (time.Time, bool, error) {
		return time.Unix(tc.FrozenTime, 0).UTC().AddDate(0, 0, 14), true, nil // weekly
	})
	clock := createClock(t, e, clockT0)
	twoWeeks := clockT0.AddDate(0, 0, 14)
	status, body := advance(t, e, clock, twoWeeks.Add(time.Second))
	msg, _ := body["error"].(map[string]any)["message"].(string)
	if status != http.StatusBadRequest || !strings.Contains(msg, "two intervals of the shortest subscription") || !strings.Contains(msg, formatInt(twoWeeks.Unix())) {
		t.Errorf("past the limit: %d %v", status, body)
	}
	if status, body := advance(t, e, clock, twoWeeks); status != http.StatusOK {
		t.Errorf("at the limit: %d %v", status, body)
	}
	// The limit is counted from the clock's current frozen_time.
	if status, body := advance(t, e, clock, twoWeeks.AddDate(0, 0, 14)); status != http.StatusOK {
		t.Errorf("second step: %d %v", status, body)
	}
	if len(seen) != 3 || seen[2] != twoWeeks.Unix() {
		t.Errorf("hook saw frozen_time %v", seen)
	}
}

func TestTestClockDeleteRunsHooksAndDropsItsJobs(t *testing.T) {
	e, _ := clockEngine(t)
	var hooked []string
	var customersSeen []int
	e.onTestClockDelete(func(c *Ctx, clockID string) error {
		hooked = append(hooked, clockID)
		// Hooks run before the customers go, so they can still read them.
		cus, err := scan(c, kindCustomer, "test_clock="+clockID, func(cu *Customer) bool { return !cu.Deleted })
		customersSeen = append(customersSeen, len(cus))
		if err != nil {
			return err
		}
		return c.emit("test.cleanup", map[string]string{"id": clockID, "object": "test_note"}, nil)
	})
	clock := createClock(t, e, clockT0)
	other := createClock(t, e, clockT0)
	status, body := serve(t, e, "POST", "/v1/customers", nil, map[string]any{"test_clock": clock})
	if status != http.StatusOK || body["created"] != float64(clockT0.Unix()) {
		t.Fatalf("customer: %d %v", status, body)
	}
	cus := body["id"].(string)
	scheduleOn(t, e, "mine", clock, clockT0.Add(time.Hour))
	scheduleOn(t, e, "theirs", other, clockT0.Add(time.Hour))
	before := len(allEvents(t, e))

	status, body = serve(t, e, "DELETE", "/v1/test_helpers/test_clocks/{test_clock}", map[string]string{"test_clock": clock}, nil)
	if status != http.StatusOK || body["deleted"] != true || body["object"] != kindTestClock {
		t.Fatalf("delete: %d %v", status, body)
	}
	if len(hooked) != 1 || hooked[0] != clock || customersSeen[0] != 1 {
		t.Errorf("hook ran for %v, seeing %v customers", hooked, customersSeen)
	}
	evs := allEvents(t, e)[before:]
	if got := types(evs); got != "test_helpers.test_clock.deleted,test.cleanup,customer.deleted" {
		t.Errorf("events %s", got)
	}
	if evs[0].Request.ID == nil || evs[1].Request.ID != nil || evs[2].Request.ID != nil {
		t.Errorf("request ids %v %v %v", evs[0].Request.ID, evs[1].Request.ID, evs[2].Request.ID)
	}
	if got := pending(t, e); got != "theirs" {
		t.Errorf("pending %s", got)
	}
	var cu Customer
	if err := e.View(func(c *Ctx) error { return c.load(kindCustomer, cus, &cu) }); err != nil || !cu.Deleted {
		t.Errorf("customer %v %+v", err, cu)
	}
	// A failing hook rolls the whole delete back.
	e.onTestClockDelete(func(*Ctx, string) error { return apierr.InvalidRequest("", "no") })
	if status, _ := serve(t, e, "DELETE", "/v1/test_helpers/test_clocks/{test_clock}", map[string]string{"test_clock": other}, nil); status != http.StatusBadRequest {
		t.Errorf("delete with a failing hook: %d", status)
	}
	if tc := clockState(t, e, other); tc.ID != other || pending(t, e) != "theirs" {
		t.Errorf("failed delete changed %+v / %s", tc, pending(t, e))
	}
}

func TestAdvanceTestClockSeam(t *testing.T) {
	e, ran := clockEngine(t)
	clock := createClock(t, e, clockT0)
	scheduleOn(t, e, "due", clock, clockT0.Add(time.Hour))
	if err := e.AdvanceTestClock(clock, clockT0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tc := clockState(t, e, clock); tc.Status != testClockReady || tc.FrozenTime != clockT0.Add(2*time.Hour).Unix() || len(*ran) != 1 {
		t.Errorf("clock %+v, ran %+v", tc, *ran)
	}
	for _, ev := range allEvents(t, e)[1:] {
		if ev.Request.ID != nil {
			t.Errorf("%s from the test helper carries request %s", ev.Type, *ev.Request.ID)
		}
	}
	var ae *apierr.Error
	if err := e.AdvanceTestClock(clock, clockT0); !errors.As(err, &ae) || ae.Param != "frozen_time" {
		t.Errorf("backwards: %v", err)
	}
	if err := e.AdvanceTestClock("clock_nope", clockT0); !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Errorf("unknown clock: %v", err)
	}
}
