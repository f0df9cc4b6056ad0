package resources_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// ids collects the IDs (the ID field) of a stripe-go list's objects, in
// order; a list error fails t.
func ids[T any](t *testing.T, seq stripe.Seq2[T, error]) []string {
	t.Helper()
	var out []string
	for it, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		id := reflect.Indirect(reflect.ValueOf(it)).FieldByName("ID")
		if id.Kind() != reflect.String || id.String() == "" {
			t.Fatalf("ids: %T has no ID", it)
		}
		out = append(out, id.String())
	}
	return out
}

// Stripe's lists leave out objects of test clocks unless a filter such as
// customer or test_clock is given (issue 12, item 3).
func TestListsOmitTestClockObjects(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		mk := func(clock string) (cus, inv, ii string) {
			cu := customerOn(t, sc, clock)
			item, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
				Customer: stripe.String(cu.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd"),
			})
			if err != nil {
				t.Fatal(err)
			}
			in, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID)})
			if err != nil {
				t.Fatal(err)
			}
			return cu.ID, in.ID, item.ID
		}
		cus, inv, ii := mk("")
		clockCus, clockInv, clockII := mk(tc.ID)

		check := func(what string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		check("invoices", ids(t, sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{}).All(ctx)), inv)
		check("invoices of the clock's customer",
			ids(t, sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Customer: stripe.String(clockCus)}).All(ctx)), clockInv)
		check("draft invoices", ids(t, sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Status: stripe.String("draft")}).All(ctx)), inv)
		check("invoice items", ids(t, sc.V1InvoiceItems.List(ctx, &stripe.InvoiceItemListParams{}).All(ctx)), ii)
		check("invoice items of the clock's customer",
			ids(t, sc.V1InvoiceItems.List(ctx, &stripe.InvoiceItemListParams{Customer: stripe.String(clockCus)}).All(ctx)), clockII)
		price := monthlyPrice(t, sc, 1000, "month")
		schedule := func(cus string) string {
			sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
				Customer: stripe.String(cus), StartDate: stripe.Int64(clockStart.AddDate(2, 0, 0).Unix()),
				Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(price.ID, 1, 1)},
			})
			if err != nil {
				t.Fatal(err)
			}
			return sch.ID
		}
		sch, clockSch := schedule(cus), schedule(clockCus)
		check("subscription schedules", ids(t, sc.V1SubscriptionSchedules.List(ctx, &stripe.SubscriptionScheduleListParams{}).All(ctx)), sch)
		check("subscription schedules of the clock's customer",
			ids(t, sc.V1SubscriptionSchedules.List(ctx, &stripe.SubscriptionScheduleListParams{Customer: stripe.String(clockCus)}).All(ctx)), clockSch)
		check("customers", ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx)), cus)
		check("customers of the clock",
			ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{TestClock: stripe.String(tc.ID)}).All(ctx)), clockCus)
	})
}

// Paging walks the store from the cursor: both directions, limits, created
// ranges, and a cursor that names no object.
func TestListPaging(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var all []string // newest first
		for i := range 7 {
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String(fmt.Sprintf("p%d@example.com", i))})
			if err != nil {
				t.Fatal(err)
			}
			all = append([]string{cu.ID}, all...)
			f.Advance(60e9) // a minute
		}
		page := func(p *stripe.CustomerListParams) ([]string, bool) {
			t.Helper()
			p.Single = true
			l := sc.V1Customers.List(ctx, p)
			got := ids(t, l.All(ctx))
			return got, l.Meta().HasMore
		}
		check := func(what string, got []string, more bool, want []string, wantMore bool) {
			t.Helper()
			if !slices.Equal(got, want) || more != wantMore {
				t.Errorf("%s = %v (has_more %v), want %v (has_more %v)", what, got, more, want, wantMore)
			}
		}
		got, more := page(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3)}})
		check("first page", got, more, all[:3], true)
		got, more = page(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3), StartingAfter: stripe.String(all[2])}})
		check("second page", got, more, all[3:6], true)
		got, more = page(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3), StartingAfter: stripe.String(all[5])}})
		check("last page", got, more, all[6:], false)
		got, more = page(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(2), EndingBefore: stripe.String(all[4])}})
		// stripe-go hands out a page before a cursor oldest first.
		check("page before", got, more, []string{all[3], all[2]}, true)
		got, more = page(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(2), EndingBefore: stripe.String(all[2])}})
		check("first page before", got, more, []string{all[1], all[0]}, false)

		start := testfake.Start.Unix()
		got, more = page(&stripe.CustomerListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: start + 120, LesserThan: start + 300}})
		check("created range", got, more, all[2:5], false)
		got, more = page(&stripe.CustomerListParams{Email: stripe.String("p3@example.com")})
		check("by email", got, more, all[3:4], false)

		err := listErr(sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{StartingAfter: stripe.String("cus_missing"), Single: true}}).All(ctx))
		if err == nil || !strings.Contains(err.Error(), "No such customer: 'cus_missing'") {
			t.Errorf("starting_after an unknown customer: %v, want No such customer", err)
		}
	}, fake.WithStartTime(testfake.Start))
}

// Search reads the records of an index term when the query has one: the
// terms fold case as Match does and follow updates.
func TestSearchByIndexTerms(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email: stripe.String("Amy@Example.com"), Params: stripe.Params{Metadata: map[string]string{"team": "Blue"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("bob@example.com")}); err != nil {
			t.Fatal(err)
		}
		search := func(q string) []string {
			t.Helper()
			return ids(t, sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: q}}).All(ctx))
		}
		check := func(q string, want ...string) {
			t.Helper()
			if got := search(q); !slices.Equal(got, want) {
				t.Errorf("search %s = %v, want %v", q, got, want)
			}
		}
		check(`email:"amy@example.COM"`, cu.ID)
		check(`metadata["team"]:"blue" AND email:"amy@example.com"`, cu.ID)
		check(`metadata["Team"]:"blue"`)
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{
			Email: stripe.String("amy@new.example"), Params: stripe.Params{Metadata: map[string]string{"team": ""}},
		}); err != nil {
			t.Fatal(err)
		}
		check(`email:"amy@example.com"`)
		check(`metadata["team"]:"blue"`)
		check(`email:"AMY@new.example"`, cu.ID)
	})
}
