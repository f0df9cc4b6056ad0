package resources

// Test clocks: the object customers point at with test_clock. Objects
// attached to a clock live on its frozen_time; the clock's own endpoints
// (create, advance, delete) come with subscriptions.

const kindTestClock = "test_helpers.test_clock"

// TestClock is Stripe's test_helpers.test_clock.
type TestClock struct {
	ID            string         `json:"id"`
	Object        string         `json:"object"`
	Created       int64          `json:"created"`
	DeletesAfter  int64          `json:"deletes_after"`
	FrozenTime    int64          `json:"frozen_time"`
	Livemode      bool           `json:"livemode"`
	Name          *string        `json:"name"`
	Status        string         `json:"status"`
	StatusDetails map[string]any `json:"status_details"`
}

func init() { families = append(families, registerTestClockKind) }

func registerTestClockKind(e *Engine) {
	e.kind(Kind{Object: kindTestClock, Load: func(c *Ctx, id string) (any, error) {
		var tc TestClock
		return &tc, c.load(kindTestClock, id, &tc)
	}})
}

func loadTestClock(c *Ctx, id, param string) (*TestClock, error) {
	return get[TestClock](c, kindTestClock, id, param)
}
