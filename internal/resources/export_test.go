package resources

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/store"
)

// SeedCustomers creates n customers over st directly through the engine (no
// HTTP), 1,000 to a transaction, so that benchmarks at scale set up fast.
// Customer i has email seed<i>@example.com and metadata seq=<i>. It returns
// their IDs in creation order.
func SeedCustomers(st store.Store, now time.Time, n int) ([]string, error) {
	e := NewEngine(st, clockwork.NewTime(clockwork.NewFrozen(now)), DefaultConfig())
	ids := make([]string, 0, n)
	for done := 0; done < n; {
		batch := min(1000, n-done)
		err := e.Do(func(c *Ctx) error {
			for i := done; i < done+batch; i++ {
				c.Params = NewParams(map[string]any{
					"email":    fmt.Sprintf("seed%d@example.com", i),
					"metadata": map[string]any{"seq": fmt.Sprint(i)},
				})
				obj, err := createCustomer(c)
				if err != nil {
					return err
				}
				ids = append(ids, obj.(*Customer).ID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		done += batch
	}
	return ids, nil
}

// SeedMeterEvents creates a sum meter (event name "bench") and customers
// customers over st, then n meter events directly through the engine,
// 1,000 to a transaction. The fake clock starts at now and moves forward
// evenly so that the events arrive over span (0: all at once); each event
// is stamped with its arrival time and goes to customer i%customers with
// value 1. It returns the engine (on its frozen clock, at the end of span),
// the meter's ID and the customers' IDs.
func SeedMeterEvents(st store.Store, now time.Time, n, customers int, span time.Duration) (*Engine, string, []string, error) {
	clk := clockwork.NewFrozen(now)
	e := NewEngine(st, clockwork.NewTime(clk), DefaultConfig())
	var meterID string
	ids := make([]string, customers)
	err := e.Do(func(c *Ctx) error {
		c.Params = NewParams(map[string]any{"display_name": "bench", "event_name": "bench",
			"default_aggregation": map[string]any{"formula": "sum"}})
		m, err := createMeter(c)
		if err != nil {
			return err
		}
		meterID = m.(*Meter).ID
		for i := range ids {
			c.Params = NewParams(map[string]any{})
			cu, err := createCustomer(c)
			if err != nil {
				return err
			}
			ids[i] = cu.(*Customer).ID
		}
		return nil
	})
	if err != nil {
		return nil, "", nil, err
	}
	for done := 0; done < n; {
		batch := min(1000, n-done)
		clk.Set(now.Add(time.Duration(float64(span) * float64(done) / float64(n))).Truncate(time.Second))
		err := e.Do(func(c *Ctx) error {
			for i := done; i < done+batch; i++ {
				_, err := recordMeterEvent(c, meterEventInput{EventName: "bench",
					Payload: map[string]string{"stripe_customer_id": ids[i%customers], "value": "1"}})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", nil, err
		}
		done += batch
	}
	clk.Set(now.Add(span))
	return e, meterID, ids, nil
}

func init() { CheckSavesInTests() }
