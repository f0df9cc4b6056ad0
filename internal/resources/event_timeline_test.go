package resources_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

// Events of the fake's own clock and of two test clocks, one behind the
// fake's time and overtaking it, one at the same seconds: GET /v1/events
// merges the clocks' events (each in created order) into exactly the
// order sorting them all gives, by created, ties newest written first,
// for every cursor in both directions, with filters; and so does the
// sort that stores written before events carried their clock fall back
// to.
func TestEventListMergesTimelines(t *testing.T) {
	eachStoreFake(t, func(t *testing.T, st store.Store, f *fake.Fake, sc *stripe.Client) {
		// Every third delivery fails, so delivery_success splits the
		// events, and delivered events are saved again.
		rc := newReceiver(t)
		rc.answer = func(n int, _ stripe.Event) int {
			if n%3 == 0 {
				return 500
			}
			return 200
		}
		rc.endpoint(t, sc)
		interleaveEvents(t, f, sc, 4)
		wantListing(t, st, "merged")
		checkEventPages(t, f, sc)

		// A store whose events carry no clock: sorted, the same pages.
		if err := resources.ForgetEventTimelines(st); err != nil {
			t.Fatal(err)
		}
		wantListing(t, st, "sorted")
		checkEventPages(t, f, sc)
		// Events written since do not make it mergeable.
		interleaveEvents(t, f, sc, 1)
		wantListing(t, st, "sorted")
		checkEventPages(t, f, sc)
	})
}

// A store that had events without terms before its first test clock
// event, as older code wrote, is sorted from then on.
func TestEventListOlderStoreSorts(t *testing.T) {
	eachStoreFake(t, func(t *testing.T, st store.Store, f *fake.Fake, sc *stripe.Client) {
		for range 3 {
			if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
				t.Fatal(err)
			}
		}
		wantListing(t, st, "in order")
		if err := resources.ForgetEventTimelines(st); err != nil {
			t.Fatal(err)
		}
		interleaveEvents(t, f, sc, 2)
		wantListing(t, st, "sorted")
		checkEventPages(t, f, sc)
	})
}

// An event that would break its clock's created order makes lists sort,
// and they stay right; a fake with other ID seed than the one that wrote
// the events sorts too (ties follow the IDs' counter, which only the seed
// reveals).
func TestEventListSortsWhenOrderBreaks(t *testing.T) {
	eachStoreFake(t, func(t *testing.T, st store.Store, f *fake.Fake, sc *stripe.Client) {
		clocks := interleaveEvents(t, f, sc, 2)
		wantListing(t, st, "merged")
		if got, err := resources.EventListing(st, 7); err != nil || got != "sorted" {
			t.Errorf("with seed 7: %s %v", got, err)
		}
		if err := resources.MoveEventTimeline(st, clocks[0], f.Now().Add(24*time.Hour).Unix()); err != nil {
			t.Fatal(err)
		}
		// Updating a customer on the clock writes an event on it.
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(clocks[0])})
		if err != nil {
			t.Fatal(err)
		}
		wantListing(t, st, "merged")
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Late")}); err != nil {
			t.Fatal(err)
		}
		wantListing(t, st, "sorted")
		checkEventPages(t, f, sc)
	})
}

// eachStoreFake runs fn as a subtest on every backend, with the store, a
// fake on it started at testfake.Start, and a client.
func eachStoreFake(t *testing.T, fn func(t *testing.T, st store.Store, f *fake.Fake, sc *stripe.Client)) {
	t.Helper()
	for _, backend := range testfake.Backends {
		t.Run(string(backend), func(t *testing.T) {
			st := testfake.Open(t, backend)
			f, sc := testfake.New(t, backend, fake.WithStore(st), fake.WithStartTime(testfake.Start))
			fn(t, st, f, sc)
		})
	}
}

// wantListing fails the test unless st's events are listed as want ("in order", "merged" or "sorted").
func wantListing(t *testing.T, st store.Store, want string) {
	t.Helper()
	if got, err := resources.EventListing(st, 0); err != nil || got != want {
		t.Fatalf("events listed %q (%v), want %q", got, err, want)
	}
}

// interleaveEvents writes rounds of events on the fake's clock and on two
// test clocks: the first starts two hours behind the fake and overtakes
// it, the second keeps the fake's time (ties); then a burst on a third,
// a day behind. It returns the first two clocks.
func interleaveEvents(t *testing.T, f *fake.Fake, sc *stripe.Client, rounds int) []string {
	t.Helper()
	clock := func(at time.Time) *stripe.TestHelpersTestClock { return newClock(t, sc, at, "") }
	advance := func(tc *stripe.TestHelpersTestClock, d time.Duration) {
		tc.FrozenTime += int64(d / time.Second)
		if _, err := advanceClock(sc, tc.ID, time.Unix(tc.FrozenTime, 0)); err != nil {
			t.Fatal(err)
		}
	}
	customer := func(clock string) *stripe.Customer { return customerOn(t, sc, clock) }
	behind, same := clock(f.Now().Add(-2*time.Hour)), clock(f.Now())
	// A clock a day behind, whose events all sort after the rest, written
	// in a burst: a run of them follows each earlier event written; then
	// one ahead of all.
	past := clock(f.Now().Add(-24 * time.Hour))
	onPast := customer(past.ID)
	defer func() {
		for i := range 8 {
			if i == 7 {
				advance(past, 48*time.Hour) // then one ahead of the rest
			}
			if _, err := sc.V1Customers.Update(ctx, onPast.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Past " + strconv.Itoa(i))}); err != nil {
				t.Fatal(err)
			}
		}
	}()
	for i := range rounds {
		cu := customer("")
		onBehind := customer(behind.ID)
		onSame := customer(same.ID)
		for _, id := range []string{cu.ID, onSame.ID, onBehind.ID} {
			if _, err := sc.V1Customers.Update(ctx, id, &stripe.CustomerUpdateParams{Name: stripe.String("Round " + strconv.Itoa(i))}); err != nil {
				t.Fatal(err)
			}
		}
		advance(behind, 90*time.Minute)
		if i%2 == 1 {
			f.Advance(time.Hour)
			advance(same, time.Hour)
		}
	}
	return []string{behind.ID, same.ID}
}

// checkEventPages compares pages of GET /v1/events, for every cursor in
// both directions and with filters, with the fake's events sorted.
func checkEventPages(t *testing.T, f *fake.Fake, sc *stripe.Client) {
	t.Helper()
	events := f.Events() // oldest written first
	slices.Reverse(events)
	slices.SortStableFunc(events, func(a, b fake.Event) int { return b.Created.Compare(a.Created) })
	all := eventIDs(events)
	written := eventIDs(f.Events())
	slices.Reverse(written)
	if slices.Equal(all, written) {
		t.Fatal("the events are in the order written: nothing to merge")
	}

	// stripe-go's pagination, starting_after, walks them all.
	var walked []string
	for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3)}}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, ev.ID)
	}
	if !slices.Equal(walked, all) {
		t.Fatalf("walked\n%v\nwant\n%v", walked, all)
	}

	mid := events[len(events)/2].Created.Unix()
	filters := map[string]struct {
		q    url.Values
		keep func(fake.Event) bool
	}{
		"all":  {url.Values{}, func(fake.Event) bool { return true }},
		"type": {url.Values{"type": {"customer.created"}}, func(ev fake.Event) bool { return ev.Type == "customer.created" }},
		"wildcard": {url.Values{"types[]": {"test_helpers.*", "customer.updated"}}, func(ev fake.Event) bool {
			return strings.HasPrefix(ev.Type, "test_helpers.") || ev.Type == "customer.updated"
		}},
		"delivered":   {url.Values{"delivery_success": {"true"}}, func(ev fake.Event) bool { return ev.PendingWebhooks == 0 }},
		"undelivered": {url.Values{"delivery_success": {"false"}}, func(ev fake.Event) bool { return ev.PendingWebhooks > 0 }},
		"created": {url.Values{"created[gte]": {strconv.FormatInt(mid-3600, 10)}, "created[lt]": {strconv.FormatInt(mid+1800, 10)}}, func(ev fake.Event) bool {
			return ev.Created.Unix() >= mid-3600 && ev.Created.Unix() < mid+1800
		}},
	}
	for _, n := range []int{2, 5} {
		for name, fl := range filters {
			var kept []string
			for _, ev := range events {
				if fl.keep(ev) {
					kept = append(kept, ev.ID)
				}
			}
			want := func(from int, back bool) ([]string, bool) {
				var page []string
				if back {
					for i := from - 1; i >= 0 && len(page) <= n; i-- {
						if slices.Contains(kept, all[i]) {
							page = append(page, all[i])
						}
					}
					more := len(page) > n
					page = page[:min(len(page), n)]
					slices.Reverse(page)
					return page, more
				}
				for i := from + 1; i < len(all) && len(page) <= n; i++ {
					if slices.Contains(kept, all[i]) {
						page = append(page, all[i])
					}
				}
				return page[:min(len(page), n)], len(page) > n
			}
			check := func(what string, q url.Values, wantIDs []string, wantMore bool) {
				t.Helper()
				what = "limit " + strconv.Itoa(n) + " " + what
				q.Set("limit", strconv.Itoa(n))
				got, more := listEventIDs(t, f, q)
				if !slices.Equal(got, wantIDs) || more != wantMore {
					t.Errorf("%s %s: got %v has_more %v, want %v %v", name, what, got, more, wantIDs, wantMore)
				}
			}
			first, more := want(-1, false)
			check("first page", cloneValues(fl.q), first, more)
			for i, id := range all {
				q := cloneValues(fl.q)
				q.Set("starting_after", id)
				page, more := want(i, false)
				check("starting_after "+id, q, page, more)
				q = cloneValues(fl.q)
				q.Set("ending_before", id)
				page, more = want(i, true)
				check("ending_before "+id, q, page, more)
			}
		}
	}
	// Bad pages answer Stripe's 400s, through stripe-go.
	list := func(mod func(*stripe.EventListParams)) error {
		p := &stripe.EventListParams{}
		mod(p)
		return listErr(sc.V1Events.List(ctx, p).All(ctx))
	}
	stripeErr(t, list(func(p *stripe.EventListParams) { p.Limit = stripe.Int64(0) }), 400, "parameter_invalid_integer", "limit", "This value must be greater than or equal to 1.")
	stripeErr(t, list(func(p *stripe.EventListParams) {
		p.StartingAfter, p.EndingBefore = stripe.String(all[0]), stripe.String(all[1])
	}),
		400, "", "starting_after", "You may only specify one of these parameters: ending_before, starting_after.")
	stripeErr(t, list(func(p *stripe.EventListParams) {
		p.Type, p.Types = stripe.String("a"), stripe.StringSlice([]string{"b"})
	}),
		400, "", "type", "You cannot specify both `type` and `types`.")
	stripeErr(t, list(func(p *stripe.EventListParams) { p.StartingAfter = stripe.String("evt_none") }), 400, "resource_missing", "starting_after", "No such event: 'evt_none'")
	stripeErr(t, list(func(p *stripe.EventListParams) { p.EndingBefore = stripe.String("evt_none") }), 400, "resource_missing", "ending_before", "No such event: 'evt_none'")
	if status, dump := rawAt(t, f, string(resources.DefaultAPIVersion), "GET", "/_stripefake/events", nil); status != 200 || strings.Contains(dump, `"_`) {
		t.Errorf("/_stripefake/events: %d %s", status, dump)
	}

}

func eventIDs(events []fake.Event) []string {
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return ids
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// listEventIDs fetches one page of GET /v1/events.
func listEventIDs(t *testing.T, f *fake.Fake, q url.Values) ([]string, bool) {
	t.Helper()
	status, body := rawAt(t, f, string(resources.DefaultAPIVersion), "GET", "/v1/events", q)
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &page) != nil {
		t.Fatalf("list %v: %d %s", q, status, body)
	}
	if strings.Contains(body, `"_`) {
		t.Fatalf("list %v shows stored-only members: %s", q, body)
	}
	ids := make([]string, len(page.Data))
	for i, d := range page.Data {
		ids[i] = d.ID
	}
	return ids, page.HasMore
}

// A subscription schedule that starts in the past runs its first phase
// change at a due time the fake's clock has passed: its events come after
// newer ones. Lists then sort, with or without test-clock events, and
// every page holds the events in created order (none lost).
func TestEventListOverdueJobSorts(t *testing.T) {
	for _, withClock := range []bool{false, true} {
		t.Run(fmt.Sprintf("clock=%v", withClock), func(t *testing.T) {
			eachStoreFake(t, func(t *testing.T, st store.Store, f *fake.Fake, sc *stripe.Client) {
				if withClock {
					tcu := customerOn(t, sc, newClock(t, sc, f.Now().Add(-time.Hour), "").ID)
					// An update is the customer's first event on its clock.
					if _, err := sc.V1Customers.Update(ctx, tcu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("x")}); err != nil {
						t.Fatal(err)
					}
					wantListing(t, st, "merged")
				}
				cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
				if err != nil {
					t.Fatal(err)
				}
				pr := testfake.RecurringPrice(t, sc, 100, "month")
				start := f.Now().Add(-10 * 24 * time.Hour).Unix()
				if _, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
					Customer: stripe.String(cu.ID), StartDate: stripe.Int64(start),
					DefaultSettings: &stripe.SubscriptionScheduleCreateDefaultSettingsParams{CollectionMethod: stripe.String("send_invoice"),
						InvoiceSettings: &stripe.SubscriptionScheduleCreateDefaultSettingsInvoiceSettingsParams{DaysUntilDue: stripe.Int64(30)}},
					Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{
						{Items: []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(pr.ID)}}, EndDate: stripe.Int64(start + 5*86400)},
						{Items: []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(2)}}, EndDate: stripe.Int64(start + 60*86400)},
					},
				}); err != nil {
					t.Fatal(err)
				}
				// The next request runs the overdue phase change first.
				if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
					t.Fatal(err)
				}
				events := f.Events()
				slices.Reverse(events)
				slices.SortStableFunc(events, func(a, b fake.Event) int { return b.Created.Compare(a.Created) })
				want := eventIDs(events)
				if !slices.ContainsFunc(events, func(ev fake.Event) bool { return ev.Created.Unix() == start+5*86400 }) {
					t.Fatal("no event is older than the fake's clock: the scenario did not happen")
				}
				wantListing(t, st, "sorted")
				for _, limit := range []int64{1, 3, 100} {
					got := ids(t, sc.V1Events.List(ctx, &stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(limit)}}).All(ctx))
					if !slices.Equal(got, want) {
						t.Errorf("limit %d: listed\n%v\nwant\n%v", limit, got, want)
					}
				}
			})
		})
	}
}

// Events past the 30-day retention leave merged lists; a clock's stream
// stops at its first expired event (the ones before it were recorded
// earlier still) without losing the newer ones.
func TestEventListRetentionWithTestClocks(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, f.Now().Add(-time.Hour), "")
		cu := customerOn(t, sc, tc.ID)
		for _, name := range []string{"a", "b"} {
			if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String(name)}); err != nil {
				t.Fatal(err)
			}
		}
		f.Advance(31 * 24 * time.Hour)
		if _, err := advanceClock(sc, tc.ID, f.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("c")}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			customerOn(t, sc, "")
		}
		oldest := f.Now().Add(-30 * 24 * time.Hour)
		events := f.Events()
		slices.Reverse(events)
		slices.SortStableFunc(events, func(a, b fake.Event) int { return b.Created.Compare(a.Created) })
		var want []string
		for _, ev := range events {
			if strings.HasPrefix(ev.Type, "customer.") && !ev.Created.Before(oldest) {
				want = append(want, ev.ID)
			}
		}
		if len(want) < 3 {
			t.Fatalf("only %d customer events within retention", len(want))
		}
		for _, limit := range []int64{1, 2, 100} {
			p := &stripe.EventListParams{Types: stripe.StringSlice([]string{"customer.*"})}
			p.Limit = stripe.Int64(limit)
			if got := ids(t, sc.V1Events.List(ctx, p).All(ctx)); !slices.Equal(got, want) {
				t.Errorf("limit %d: listed %v, want %v", limit, got, want)
			}
		}
	})
}
