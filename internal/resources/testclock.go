package resources

import (
	"errors"
	"fmt"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Test clocks: create, retrieve, list, delete, advance. Objects attached to
// a clock (customers created with test_clock and everything under them)
// live on its frozen_time: their jobs are scheduled on the timeline named by
// the clock's ID and run only when the clock is advanced. The fake's own
// clock and a test clock never move each other.

const kindTestClock = "test_helpers.test_clock"

// testClockLifetime is how long after creation Stripe deletes a clock
// (deletes_after). UNCONFIRMED: Stripe's API reference example has
// deletes_after = created + 7 days; third-party notes say 30 days. The fake
// renders the value but does not delete clocks by itself: a test that runs
// the fake's clock past it would otherwise lose its customers by surprise.
const testClockLifetime = 7 * 24 * time.Hour

// Clock statuses.
const (
	testClockReady           = "ready"
	testClockAdvancing       = "advancing"
	testClockInternalFailure = "internal_failure"
)

// TestClock is Stripe's test_helpers.test_clock.
type TestClock struct {
	ID            string                 `json:"id"`
	Object        string                 `json:"object"`
	Created       int64                  `json:"created"`
	DeletesAfter  int64                  `json:"deletes_after"`
	FrozenTime    int64                  `json:"frozen_time"`
	Livemode      bool                   `json:"livemode"`
	Name          *string                `json:"name"`
	Status        string                 `json:"status"`
	StatusDetails TestClockStatusDetails `json:"status_details"`
}

// TestClockStatusDetails is test_clock.status_details: empty unless the
// clock is advancing.
type TestClockStatusDetails struct {
	Advancing *TestClockAdvancing `json:"advancing,omitempty"`
}

// TestClockAdvancing is status_details.advancing.
type TestClockAdvancing struct {
	TargetFrozenTime int64 `json:"target_frozen_time"`
}

func init() { families = append(families, registerTestClocks) }

func registerTestClocks(e *Engine) {
	// "No such billingclock" is what third parties report Stripe answering
	// for a missing or deleted clock (the object's internal name).
	e.kind(Kind{Object: kindTestClock, NoSuch: "billingclock", Load: loader[TestClock](kindTestClock)})
	e.route(Route{Method: "POST", Pattern: "/v1/test_helpers/test_clocks", Handle: createTestClock})
	e.route(Route{Method: "GET", Pattern: "/v1/test_helpers/test_clocks/{test_clock}", Read: true, Handle: func(c *Ctx) (any, error) {
		return loadTestClock(c, c.Var("test_clock"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/test_helpers/test_clocks", Read: true, Handle: listTestClocks})
	e.route(Route{Method: "DELETE", Pattern: "/v1/test_helpers/test_clocks/{test_clock}", Handle: deleteTestClock})
	e.route(Route{Method: "POST", Pattern: "/v1/test_helpers/test_clocks/{test_clock}/advance", Handle: func(c *Ctx) (any, error) {
		to, err := c.Params.RequireInt("frozen_time")
		if err != nil {
			return nil, err
		}
		return advanceTestClock(c, c.Var("test_clock"), to)
	}})
}

func loadTestClock(c *Ctx, id, param string) (*TestClock, error) {
	return get[TestClock](c, kindTestClock, id, param)
}

func saveTestClock(c *Ctx, tc *TestClock) error { return c.save(kindTestClock, tc.ID, tc) }

func createTestClock(c *Ctx) (any, error) {
	p := c.Params
	// customer (attach an existing customer, 2026-05-27.dahlia) would move
	// that customer's pending work onto the clock's timeline; not modelled.
	if err := unsupported(p, "customer"); err != nil {
		return nil, err
	}
	frozen, err := p.RequireInt("frozen_time")
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("clock")
	if err != nil {
		return nil, err
	}
	tc := &TestClock{
		ID: id, Object: kindTestClock, Created: c.Unix(),
		DeletesAfter: c.Now().Add(testClockLifetime).Unix(),
		FrozenTime:   frozen, Status: testClockReady,
	}
	if name, ok := p.String("name"); ok {
		tc.Name = &name
	}
	if err := saveTestClock(c, tc); err != nil {
		return nil, err
	}
	return tc, c.emit("test_helpers.test_clock.created", tc, nil)
}

func listTestClocks(c *Ctx) (any, error) {
	items, err := scan[TestClock](c, kindTestClock, "", nil)
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/test_helpers/test_clocks", items, func(tc *TestClock) (string, int64) { return tc.ID, tc.Created })
}

// Test clock hooks. Families whose objects attach to a clock register, from
// their register functions, what deleting a clock does to those objects and
// how far their objects let a clock advance. They live on the Engine
// (Engine.clockHooks).
type testClockHooks struct {
	deletes []func(c *Ctx, clockID string) error
	limits  []func(c *Ctx, tc *TestClock) (time.Time, bool, error)
}

// testClockHooks returns the hooks to read; registering goes through
// onTestClockDelete and onTestClockLimit.
func (e *Engine) testClockHooks() *testClockHooks { return &e.clockHooks }

// onTestClockDelete registers fn to delete the objects of its family that
// are attached to clockID, when the clock is deleted. It runs inside the
// DELETE's transaction, after the clock's deleted event and before its
// customers are deleted, with events marked automatic (request null), as
// Stripe deletes attached objects in the background. Hooks run in
// registration order; the clock's remaining jobs are dropped afterwards.
// Call it from a family's register function.
func (e *Engine) onTestClockDelete(fn func(c *Ctx, clockID string) error) {
	e.own()
	h := e.testClockHooks()
	h.deletes = append(h.deletes, fn)
}

// onTestClockLimit registers fn to report the latest frozen_time the
// family's objects on tc allow an advance to, or ok=false for no limit from
// them. Subscriptions report two of their interval past tc.FrozenTime (the
// shortest across hooks wins). Call it from a family's register function.
func (e *Engine) onTestClockLimit(fn func(c *Ctx, tc *TestClock) (limit time.Time, ok bool, err error)) {
	e.own()
	h := e.testClockHooks()
	h.limits = append(h.limits, fn)
}

// advanceLimit is the latest frozen_time tc may advance to: Stripe allows
// two intervals of the shortest subscription on the clock, or two years
// when it has none [SPEC advance frozen_time]. bySubscriptions reports which
// rule applied.
func advanceLimit(c *Ctx, tc *TestClock) (limit time.Time, bySubscriptions bool, err error) {
	for _, fn := range c.e.testClockHooks().limits {
		l, ok, err := fn(c, tc)
		if err != nil {
			return time.Time{}, false, err
		}
		if ok && (!bySubscriptions || l.Before(limit)) {
			limit, bySubscriptions = l, true
		}
	}
	if bySubscriptions {
		return limit, true, nil
	}
	return time.Unix(tc.FrozenTime, 0).UTC().AddDate(2, 0, 0), false, nil
}

func deleteTestClock(c *Ctx) (any, error) {
	tc, err := loadTestClock(c, c.Var("test_clock"), "id")
	if err != nil {
		return nil, err
	}
	if err := c.emit("test_helpers.test_clock.deleted", tc, nil); err != nil {
		return nil, err
	}
	if err := deleteAttached(c, tc.ID); err != nil {
		return nil, err
	}
	// Stripe answers a deleted clock with resource_missing, so the record goes.
	if err := c.tx.Delete(kindTestClock, tc.ID); err != nil {
		return nil, err
	}
	return DeletedObject{ID: tc.ID, Object: kindTestClock, Deleted: true}, nil
}

// deleteAttached deletes everything attached to clockID: each family's
// objects through its hook, then the customers, then whatever jobs are left
// on the clock's timeline.
func deleteAttached(c *Ctx, clockID string) error {
	was := c.automatic
	c.automatic = true // background work in Stripe: events carry no request
	defer func() { c.automatic = was }()
	for _, fn := range c.e.testClockHooks().deletes {
		if err := fn(c, clockID); err != nil {
			return err
		}
	}
	customers, err := scan(c, kindCustomer, "test_clock="+clockID, func(cu *Customer) bool { return !cu.Deleted })
	if err != nil {
		return err
	}
	for _, cu := range customers {
		if err := removeCustomer(c, cu); err != nil {
			return err
		}
	}
	for {
		j, ok, err := c.tx.NextJob(clockID)
		if err != nil || !ok {
			return err
		}
		if err := c.tx.RemoveJob(j); err != nil {
			return err
		}
	}
}

// advanceTestClock starts advancing clock id to the Unix time to: the clock
// is saved as advancing (what the API call answers) and, once that commits,
// every job on the clock's timeline due by then runs in (due, sequence)
// order, each with now at its due time and the clock's frozen_time moved to
// it; then the clock is ready at to. All of it happens before the caller's
// response returns.
func advanceTestClock(c *Ctx, id string, to int64) (*TestClock, error) {
	tc, err := loadTestClock(c, id, "id")
	if err != nil {
		return nil, err
	}
	switch tc.Status {
	case testClockAdvancing:
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", fmt.Sprintf(
			"The test clock %s is already advancing. Wait until its status is ready before advancing it again.", tc.ID))
	case testClockInternalFailure:
		// UNCONFIRMED wording; Stripe documents that such a clock cannot advance.
		return nil, apierr.InvalidRequest("", fmt.Sprintf(
			"The test clock %s failed while advancing and cannot be advanced any more. Delete it and create a new one.", tc.ID))
	}
	if to <= tc.FrozenTime {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("frozen_time", fmt.Sprintf(
			"The frozen_time must be after the test clock's current frozen_time (%d).", tc.FrozenTime))
	}
	limit, bySubscriptions, err := advanceLimit(c, tc)
	if err != nil {
		return nil, err
	}
	if to > limit.Unix() {
		// UNCONFIRMED wording.
		rule := "two years"
		if bySubscriptions {
			rule = "two intervals of the shortest subscription on it"
		}
		return nil, apierr.InvalidRequest("frozen_time", fmt.Sprintf(
			"The test clock cannot advance more than %s at a time: frozen_time must be at most %d.", rule, limit.Unix()))
	}
	tc.Status = testClockAdvancing
	tc.StatusDetails = TestClockStatusDetails{Advancing: &TestClockAdvancing{TargetFrozenTime: to}}
	if err := saveTestClock(c, tc); err != nil {
		return nil, err
	}
	if err := c.emit("test_helpers.test_clock.advancing", tc, nil); err != nil {
		return nil, err
	}
	e := c.e
	c.after(func() error { return e.runTestClock(tc.ID, time.Unix(to, 0).UTC()) })
	return tc, nil
}

// runTestClock runs the jobs of clock id due by target, then marks the
// clock ready at target. A job that fails one of Stripe's rules is dropped
// and reported (drain); if a job fails otherwise the clock goes to
// internal_failure (as Stripe's does), keeping the frozen_time it had
// reached; the failed job stays queued and the error is returned.
func (e *Engine) runTestClock(id string, target time.Time) error {
	var moveErr error
	runErr := e.drain(id, target, func(due time.Time) {
		// The jobs due at one instant run together (up to jobBatch to a
		// transaction); the clock's frozen_time is saved first, so that what
		// they create and what a webhook handler reads after them see the
		// clock at that time.
		if err := e.setFrozenTime(id, due); err != nil && moveErr == nil {
			moveErr = err
		}
	})
	if runErr == nil {
		runErr = moveErr
	}
	err := e.Do(func(c *Ctx) error {
		var tc TestClock
		if err := c.load(kindTestClock, id, &tc); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted while advancing, by a webhook handler
			}
			return err
		}
		tc.StatusDetails = TestClockStatusDetails{}
		typ := "test_helpers.test_clock.ready"
		if runErr != nil {
			tc.Status = testClockInternalFailure
			typ = "test_helpers.test_clock.internal_failure"
		} else {
			tc.Status = testClockReady
			tc.FrozenTime = max(tc.FrozenTime, target.Unix())
		}
		if err := saveTestClock(c, &tc); err != nil {
			return err
		}
		return c.emit(typ, &tc, nil)
	})
	if runErr != nil {
		return runErr
	}
	return err
}

// setFrozenTime moves clock id's frozen_time forward to at, in its own
// transaction; it never moves it back (an overdue job runs at its due time
// without rewinding the clock).
func (e *Engine) setFrozenTime(id string, at time.Time) error {
	return e.store.Update(func(tx store.Tx) error {
		c := e.newCtx(Call{})
		c.bindWrite(tx)
		var tc TestClock
		if err := c.load(kindTestClock, id, &tc); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if tc.FrozenTime >= at.Unix() {
			return nil
		}
		tc.FrozenTime = at.Unix()
		return c.finish(saveTestClock(c, &tc))
	})
}

// AdvanceTestClock advances the Stripe test clock id to to, as
// POST /v1/test_helpers/test_clocks/{id}/advance does, and returns once the
// clock is ready. Its events carry no request. Errors are the API's.
func (e *Engine) AdvanceTestClock(id string, to time.Time) error {
	return e.Do(func(c *Ctx) error {
		_, err := advanceTestClock(c, id, to.Unix())
		return err
	})
}
