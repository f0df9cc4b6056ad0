package resources

import (
	"encoding/json"
)

// Lists of objects that carry no test_clock of their own (payment intents,
// setup intents, charges, refunds, credit notes) leave out the objects of
// test-clock customers when unfiltered, as Stripe's lists of customers,
// subscriptions and invoices do (skipTestClock). They find the clock
// through the customer (a refund through its charge), once per customer
// per request.

// clockOwners answers, for one list request, whether a customer or a
// charge belongs to a test clock.
type clockOwners struct {
	c         *Ctx
	customers map[string]bool
	charges   map[string]bool
}

func newClockOwners(c *Ctx) *clockOwners {
	return &clockOwners{c: c, customers: map[string]bool{}, charges: map[string]bool{}}
}

// customer reports whether customer id is on a test clock. A customer the
// store no longer has (or none) is not.
func (o *clockOwners) customer(id *string) bool {
	if id == nil || *id == "" {
		return false
	}
	on, seen := o.customers[*id]
	if !seen {
		var cu struct {
			TestClock *string `json:"test_clock"`
		}
		if raw, err := o.c.tx.Get(kindCustomer, *id); err == nil && json.Unmarshal(raw, &cu) == nil {
			on = cu.TestClock != nil
		}
		o.customers[*id] = on
	}
	return on
}

// charge reports whether charge id's customer is on a test clock.
func (o *clockOwners) charge(id *string) bool {
	if id == nil || *id == "" {
		return false
	}
	on, seen := o.charges[*id]
	if !seen {
		var ch struct {
			Customer *string `json:"customer"`
		}
		if raw, err := o.c.tx.Get(kindCharge, *id); err == nil && json.Unmarshal(raw, &ch) == nil {
			on = o.customer(ch.Customer)
		}
		o.charges[*id] = on
	}
	return on
}
