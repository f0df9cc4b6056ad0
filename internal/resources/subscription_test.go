package resources_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// ---- helpers ----

// eachAt runs fn on every backend with the fake's clock at start
// (testfake.Start when not given).
func eachAt(t *testing.T, fn func(t *testing.T, f *fake.Fake, sc *stripe.Client), start ...time.Time) {
	t.Helper()
	at := testfake.Start
	if len(start) > 0 {
		at = start[0]
	}
	testfake.Each(t, fn, fake.WithStartTime(at))
}

// monthlyPrice and payingCustomer are the shared fixtures of
// internal/testfake.
var (
	monthlyPrice   = testfake.RecurringPrice
	payingCustomer = testfake.PayingCustomer
)

func subscribe(t *testing.T, sc *stripe.Client, p *stripe.SubscriptionCreateParams) *stripe.Subscription {
	t.Helper()
	s, err := sc.V1Subscriptions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func getSub(t *testing.T, sc *stripe.Client, id string) *stripe.Subscription {
	t.Helper()
	s, err := sc.V1Subscriptions.Retrieve(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func itemsOf(price string, qty int64) []*stripe.SubscriptionCreateItemParams {
	return []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(qty)}}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// period returns the subscription's (first item's) current period.
func period(s *stripe.Subscription) (time.Time, time.Time) {
	it := s.Items.Data[0]
	return time.Unix(it.CurrentPeriodStart, 0).UTC(), time.Unix(it.CurrentPeriodEnd, 0).UTC()
}

// subEvents returns the types of the subscription events about sub.
func subEvents(t *testing.T, f *fake.Fake, sub string) []string {
	t.Helper()
	var out []string
	for _, ev := range f.Events() {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(ev.Object, &head)
		if head.ID == sub {
			out = append(out, ev.Type)
		}
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// ---- tests ----

func TestSubscriptionCreateActiveShape(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		p := &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2)}
		p.AddMetadata("plan", "pro")
		s := subscribe(t, sc, p)
		if s.Status != stripe.SubscriptionStatusActive || s.Customer.ID != cu.ID || s.Currency != "usd" || s.Metadata["plan"] != "pro" {
			t.Fatalf("created %+v", s)
		}
		if s.CollectionMethod != "charge_automatically" || s.BillingCycleAnchor != testfake.Start.Unix() || s.StartDate != testfake.Start.Unix() {
			t.Errorf("collection %q anchor %d start %d", s.CollectionMethod, s.BillingCycleAnchor, s.StartDate)
		}
		start, end := period(s)
		if !start.Equal(testfake.Start) || !end.Equal(testfake.Start.AddDate(0, 1, 0)) {
			t.Errorf("period %v – %v", start, end)
		}
		it := s.Items.Data[0]
		if it.Quantity != 2 || it.Price.ID != pr.ID || it.Subscription != s.ID || s.Items.URL != "/v1/subscription_items?subscription="+s.ID {
			t.Errorf("item %+v url %q", it, s.Items.URL)
		}
		if got := subEvents(t, f, s.ID); !slices.Equal(got, []string{"customer.subscription.created"}) {
			t.Errorf("events %v", got)
		}
		if got := getSub(t, sc, s.ID); got.Status != s.Status || got.Items.Data[0].ID != it.ID {
			t.Errorf("retrieve %+v", got)
		}
		_, err := sc.V1Subscriptions.Retrieve(ctx, "sub_missing", nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such subscription: 'sub_missing'")
	})
}

func TestSubscriptionCreateErrorsChangeNothing(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		yearly := monthlyPrice(t, sc, 9000, "year")
		once, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(100), Product: stripe.String(pr.Product.ID)})
		if err != nil {
			t.Fatal(err)
		}
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		declining := payingCustomer(t, sc, "pm_card_chargeCustomerFail", "")
		n := len(f.Events())
		cases := []struct {
			name  string
			p     *stripe.SubscriptionCreateParams
			code  int
			param string
		}{
			{"no items", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID)}, 400, "items"},
			{"no customer", &stripe.SubscriptionCreateParams{Items: itemsOf(pr.ID, 1)}, 400, "customer"},
			{"missing price", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf("price_nope", 1)}, 400, "items[0][price]"},
			{"one-time price", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(once.ID, 1)}, 400, "items[0][price]"},
			{"mixed intervals", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: append(itemsOf(pr.ID, 1), itemsOf(yearly.ID, 1)...)}, 400, "items[1][price]"},
			{"past trial_end", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), TrialEnd: stripe.Int64(testfake.Start.Unix() - 10)}, 400, "trial_end"},
			{"send_invoice without days", &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), CollectionMethod: stripe.String("send_invoice")}, 400, "days_until_due"},
			{"error_if_incomplete declined", &stripe.SubscriptionCreateParams{Customer: stripe.String(declining.ID), Items: itemsOf(pr.ID, 1), PaymentBehavior: stripe.String("error_if_incomplete")}, 402, ""},
		}
		for _, tc := range cases {
			_, err := sc.V1Subscriptions.Create(ctx, tc.p)
			var se *stripe.Error
			if !asStripeErr(err, &se) || se.HTTPStatusCode != tc.code || se.Param != tc.param {
				t.Errorf("%s: got %v", tc.name, err)
			}
		}
		if len(f.Events()) != n {
			t.Errorf("failed creates wrote events: %v", eventTypes(f)[n:])
		}
		for s, err := range sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{Status: stripe.String("all")}).All(ctx) {
			t.Errorf("a failed create left %v %v", s.ID, err)
		}
	})
}

func TestSubscriptionTrialThenRenewals(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 2000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), TrialPeriodDays: stripe.Int64(10)})
		trialEnd := testfake.Start.AddDate(0, 0, 10)
		if s.Status != stripe.SubscriptionStatusTrialing || s.TrialStart != testfake.Start.Unix() || s.TrialEnd != trialEnd.Unix() || s.BillingCycleAnchor != trialEnd.Unix() {
			t.Fatalf("trial: %s %d %d anchor %d", s.Status, s.TrialStart, s.TrialEnd, s.BillingCycleAnchor)
		}
		if _, end := period(s); !end.Equal(trialEnd) {
			t.Errorf("trial period ends %v", end)
		}
		f.Advance(7*24*time.Hour - time.Second)
		if count(subEvents(t, f, s.ID), "customer.subscription.trial_will_end") != 0 {
			t.Error("trial_will_end early")
		}
		f.Advance(time.Second)
		if count(subEvents(t, f, s.ID), "customer.subscription.trial_will_end") != 1 {
			t.Error("no trial_will_end 3 days before")
		}
		f.AdvanceTo(trialEnd)
		s = getSub(t, sc, s.ID)
		start, end := period(s)
		if s.Status != stripe.SubscriptionStatusActive || !start.Equal(trialEnd) || !end.Equal(trialEnd.AddDate(0, 1, 0)) {
			t.Fatalf("after trial: %s %v – %v", s.Status, start, end)
		}
		// Three renewals, each a month on from the trial end.
		for k := 2; k <= 4; k++ {
			f.AdvanceTo(trialEnd.AddDate(0, k-1, 0).Add(2 * time.Hour))
			s = getSub(t, sc, s.ID)
			start, end = period(s)
			if s.Status != stripe.SubscriptionStatusActive || !start.Equal(trialEnd.AddDate(0, k-1, 0)) || !end.Equal(trialEnd.AddDate(0, k, 0)) {
				t.Fatalf("renewal %d: %s %v – %v", k, s.Status, start, end)
			}
		}
		ev := subEvents(t, f, s.ID)
		if ev[0] != "customer.subscription.created" || count(ev, "customer.subscription.updated") != 4 {
			t.Errorf("events %v", ev)
		}
	})
}

func TestSubscriptionAnchorOnThe31st(t *testing.T) {
	jan31 := time.Date(2028, 1, 31, 9, 0, 0, 0, time.UTC) // 2028 is a leap year
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		want := []time.Time{
			time.Date(2028, 2, 29, 9, 0, 0, 0, time.UTC), time.Date(2028, 3, 31, 9, 0, 0, 0, time.UTC),
			time.Date(2028, 4, 30, 9, 0, 0, 0, time.UTC), time.Date(2028, 5, 31, 9, 0, 0, 0, time.UTC),
		}
		if _, end := period(s); !end.Equal(want[0]) {
			t.Fatalf("first period ends %v", end)
		}
		for i := 0; i+1 < len(want); i++ {
			f.AdvanceTo(want[i])
			start, end := period(getSub(t, sc, s.ID))
			if !start.Equal(want[i]) || !end.Equal(want[i+1]) {
				t.Errorf("period %d: %v – %v, want %v – %v", i, start, end, want[i], want[i+1])
			}
		}
		// billing_cycle_anchor_config day 31 on Apr 30: the anchor is now,
		// and renewals fall on the last day of each month, not the 30th.
		s2 := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(monthlyPrice(t, sc, 3000, "month").ID, 1),
			BillingCycleAnchorConfig: &stripe.SubscriptionCreateBillingCycleAnchorConfigParams{DayOfMonth: stripe.Int64(31)},
		})
		start, end := period(s2)
		if !start.Equal(want[2]) || !end.Equal(want[3]) || s2.BillingCycleAnchor != want[2].Unix() || s2.BillingCycleAnchorConfig.DayOfMonth != 31 {
			t.Errorf("anchor config: %v – %v anchor %d", start, end, s2.BillingCycleAnchor)
		}
		jun30 := time.Date(2028, 6, 30, 9, 0, 0, 0, time.UTC)
		f.AdvanceTo(jun30)
		start, end = period(getSub(t, sc, s2.ID))
		if !start.Equal(jun30) || !end.Equal(time.Date(2028, 7, 31, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("anchor config in June: %v – %v", start, end)
		}
		// A day-15 anchor from the 30th bills a prorated stub first.
		s3 := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(monthlyPrice(t, sc, 3000, "month").ID, 1),
			BillingCycleAnchorConfig: &stripe.SubscriptionCreateBillingCycleAnchorConfigParams{DayOfMonth: stripe.Int64(15)},
		})
		start, end = period(s3)
		if !start.Equal(jun30) || !end.Equal(time.Date(2028, 7, 15, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("stub: %v – %v", start, end)
		}
	}, jan31)
}

func TestSubscriptionDecliningCardThroughRetries(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		s := decliningSubscription(t, sc, 1500)
		renewal := testfake.Start.AddDate(0, 1, 0)
		f.AdvanceTo(renewal.Add(59 * time.Minute))
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusActive {
			t.Fatalf("before the renewal is charged: %s", got)
		}
		f.AdvanceTo(renewal.Add(time.Hour))
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusPastDue {
			t.Fatalf("after the failed renewal: %s", got)
		}
		// Smart Retries default: seven retries every two days; the last
		// one fails on day 14 and the subscription is canceled.
		f.AdvanceTo(renewal.Add(time.Hour + 14*24*time.Hour - time.Second))
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusPastDue {
			t.Fatalf("during retries: %s", got)
		}
		f.AdvanceTo(renewal.Add(time.Hour + 14*24*time.Hour))
		s = getSub(t, sc, s.ID)
		if s.Status != stripe.SubscriptionStatusCanceled || s.CancellationDetails.Reason != "payment_failed" || s.EndedAt != renewal.Add(time.Hour+14*24*time.Hour).Unix() {
			t.Fatalf("after retries: %s %+v ended %d", s.Status, s.CancellationDetails, s.EndedAt)
		}
		ev := subEvents(t, f, s.ID)
		if ev[len(ev)-1] != "customer.subscription.deleted" {
			t.Errorf("events %v", ev)
		}
		// Default list hides it; status=all shows it.
		for x, err := range sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{}).All(ctx) {
			t.Errorf("default list shows %v %v", x.ID, err)
		}
		n := 0
		for x, err := range sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{Status: stripe.String("all")}).All(ctx) {
			if err != nil || x.ID != s.ID {
				t.Errorf("status=all: %v %v", x, err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("status=all listed %d", n)
		}
	})
}

func TestSubscriptionPaymentRecoversDuringRetries(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_chargeCustomerFail", "")
		good, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), DefaultPaymentMethod: stripe.String(good.ID)})
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String("")}); err != nil {
			t.Fatal(err)
		}
		f.AdvanceTo(testfake.Start.AddDate(0, 1, 0).Add(time.Hour))
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusPastDue {
			t.Fatalf("got %s", got)
		}
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String(good.ID)}); err != nil {
			t.Fatal(err)
		}
		f.Advance(2 * 24 * time.Hour) // the first retry
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusActive {
			t.Fatalf("after a successful retry: %s", got)
		}
	})
}

func TestSubscriptionIncompleteExpires(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_chargeCustomerFail", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		if s.Status != stripe.SubscriptionStatusIncomplete {
			t.Fatalf("got %s", s.Status)
		}
		_, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)})
		stripeErr(t, err, 400, "", "", "")
		f.Advance(23*time.Hour - time.Second)
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusIncomplete {
			t.Fatalf("before 23h: %s", got)
		}
		f.Advance(time.Second)
		s = getSub(t, sc, s.ID)
		if s.Status != stripe.SubscriptionStatusIncompleteExpired || s.EndedAt != testfake.Start.Add(23*time.Hour).Unix() {
			t.Fatalf("after 23h: %s ended %d", s.Status, s.EndedAt)
		}
		// default_incomplete: no attempt at all, same expiry.
		ok := payingCustomer(t, sc, "pm_card_visa", "")
		s2 := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(ok.ID), Items: itemsOf(pr.ID, 1), PaymentBehavior: stripe.String("default_incomplete")})
		if s2.Status != stripe.SubscriptionStatusIncomplete {
			t.Errorf("default_incomplete: %s", s2.Status)
		}
		f.Advance(3 * 24 * time.Hour)
		if got := getSub(t, sc, s2.ID).Status; got != stripe.SubscriptionStatusIncompleteExpired {
			t.Errorf("default_incomplete later: %s", got)
		}
		// A month on nothing renews.
		f.Advance(40 * 24 * time.Hour)
		if got := getSub(t, sc, s.ID); got.Status != stripe.SubscriptionStatusIncompleteExpired {
			t.Errorf("expired changed: %s", got.Status)
		}
	})
}

func TestSubscriptionCancellationPaths(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		now := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		atEnd := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		cancelAt := testfake.Start.AddDate(0, 2, 10)
		at := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), CancelAt: stripe.Int64(cancelAt.Unix())})

		f.Advance(24 * time.Hour)
		c, err := sc.V1Subscriptions.Cancel(ctx, now.ID, &stripe.SubscriptionCancelParams{Prorate: stripe.Bool(true)})
		if err != nil || c.Status != stripe.SubscriptionStatusCanceled || c.CanceledAt != f.Now().Unix() || c.CancellationDetails.Reason != "cancellation_requested" {
			t.Fatalf("cancel now: %v %+v", err, c)
		}
		_, err = sc.V1Subscriptions.Cancel(ctx, now.ID, nil)
		stripeErr(t, err, 400, "", "", "")

		u, err := sc.V1Subscriptions.Update(ctx, atEnd.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)})
		_, end := period(atEnd)
		if err != nil || !u.CancelAtPeriodEnd || u.CanceledAt != f.Now().Unix() || u.CancelAt != end.Unix() || u.Status != stripe.SubscriptionStatusActive {
			t.Fatalf("cancel_at_period_end: %v %+v", err, u)
		}
		f.AdvanceTo(end)
		got := getSub(t, sc, atEnd.ID)
		if got.Status != stripe.SubscriptionStatusCanceled || got.EndedAt != end.Unix() {
			t.Errorf("at period end: %s ended %d", got.Status, got.EndedAt)
		}
		ev := subEvents(t, f, atEnd.ID)
		if !slices.Equal(ev, []string{"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}) {
			t.Errorf("events %v", ev)
		}

		// cancel_at in a later period: renews once, then the period is
		// cut short at cancel_at.
		s := getSub(t, sc, at.ID)
		if s.Status != stripe.SubscriptionStatusActive {
			t.Fatalf("cancel_at: %s", s.Status)
		}
		f.AdvanceTo(testfake.Start.AddDate(0, 2, 0))
		if _, end := period(getSub(t, sc, at.ID)); !end.Equal(cancelAt) {
			t.Errorf("period before cancel_at ends %v", end)
		}
		f.AdvanceTo(cancelAt)
		if got := getSub(t, sc, at.ID); got.Status != stripe.SubscriptionStatusCanceled || got.EndedAt != cancelAt.Unix() {
			t.Errorf("at cancel_at: %s %d", got.Status, got.EndedAt)
		}
	})
}

func TestSubscriptionUpgradeMidPeriod(t *testing.T) {
	for _, behavior := range []string{"create_prorations", "none", "always_invoice"} {
		t.Run(behavior, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				basic := monthlyPrice(t, sc, 1000, "month")
				pro := monthlyPrice(t, sc, 3000, "month")
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(basic.ID, 1)})
				f.Advance(10 * 24 * time.Hour)
				u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
					Items:             []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(s.Items.Data[0].ID), Price: stripe.String(pro.ID)}},
					ProrationBehavior: stripe.String(behavior),
				})
				if err != nil {
					t.Fatal(err)
				}
				it := u.Items.Data[0]
				start, end := period(u)
				if it.Price.ID != pro.ID || it.Quantity != 1 || it.ID != s.Items.Data[0].ID || !start.Equal(testfake.Start) || !end.Equal(testfake.Start.AddDate(0, 1, 0)) {
					t.Errorf("upgraded item %+v period %v – %v", it, start, end)
				}
				if u.Status != stripe.SubscriptionStatusActive {
					t.Errorf("status %s", u.Status)
				}
				var prev map[string]any
				for _, ev := range f.Events() {
					if ev.Type == "customer.subscription.updated" {
						prev = ev.PreviousAttributes
					}
				}
				if _, ok := prev["items"]; !ok {
					t.Errorf("previous_attributes %v", prev)
				}
			})
		})
	}
}

func TestSubscriptionUpgradeDeclinedErrorIfIncomplete(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic := monthlyPrice(t, sc, 1000, "month")
		pro := monthlyPrice(t, sc, 3000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(basic.ID, 1)})
		bad, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_chargeCustomerFail", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(5 * 24 * time.Hour)
		n := len(f.Events())
		_, err = sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
			Items:                []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(s.Items.Data[0].ID), Price: stripe.String(pro.ID)}},
			ProrationBehavior:    stripe.String("always_invoice"),
			PaymentBehavior:      stripe.String("error_if_incomplete"),
			DefaultPaymentMethod: stripe.String(bad.ID),
		})
		stripeErr(t, err, 402, "card_declined", "", "")
		if got := getSub(t, sc, s.ID); got.Items.Data[0].Price.ID != basic.ID || got.DefaultPaymentMethod != nil {
			t.Errorf("a failed update changed the subscription: %+v", got.Items.Data[0].Price.ID)
		}
		if len(f.Events()) != n {
			t.Errorf("events written: %v", eventTypes(f)[n:])
		}
		// allow_incomplete: the update stands and the subscription is past_due.
		u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
			Items:                []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(s.Items.Data[0].ID), Price: stripe.String(pro.ID)}},
			ProrationBehavior:    stripe.String("always_invoice"),
			DefaultPaymentMethod: stripe.String(bad.ID),
		})
		if err != nil || u.Status != stripe.SubscriptionStatusPastDue || u.Items.Data[0].Price.ID != pro.ID {
			t.Errorf("allow_incomplete: %v %+v", err, u)
		}
	})
}

func TestSubscriptionListAndSearch(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		other := monthlyPrice(t, sc, 2000, "month")
		a := payingCustomer(t, sc, "pm_card_visa", "")
		b := payingCustomer(t, sc, "pm_card_visa", "")
		s1 := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(a.ID), Items: itemsOf(pr.ID, 1)})
		p2 := &stripe.SubscriptionCreateParams{Customer: stripe.String(b.ID), Items: itemsOf(other.ID, 1), TrialPeriodDays: stripe.Int64(7)}
		p2.AddMetadata("team", "blue")
		s2 := subscribe(t, sc, p2)
		list := func(p *stripe.SubscriptionListParams) []string {
			return ids(t, sc.V1Subscriptions.List(ctx, p).All(ctx))
		}
		if got := list(&stripe.SubscriptionListParams{}); !slices.Equal(got, []string{s2.ID, s1.ID}) {
			t.Errorf("all %v", got)
		}
		if got := list(&stripe.SubscriptionListParams{Customer: stripe.String(a.ID)}); !slices.Equal(got, []string{s1.ID}) {
			t.Errorf("customer %v", got)
		}
		if got := list(&stripe.SubscriptionListParams{Price: stripe.String(other.ID)}); !slices.Equal(got, []string{s2.ID}) {
			t.Errorf("price %v", got)
		}
		if got := list(&stripe.SubscriptionListParams{Status: stripe.String("trialing")}); !slices.Equal(got, []string{s2.ID}) {
			t.Errorf("trialing %v", got)
		}
		res := sc.V1Subscriptions.Search(ctx, &stripe.SubscriptionSearchParams{SearchParams: stripe.SearchParams{Query: "metadata['team']:'blue'"}})
		found := ids(t, res.All(ctx))
		if !slices.Equal(found, []string{s2.ID}) {
			t.Errorf("search %v", found)
		}
	})
}

func TestSubscriptionItemsCRUD(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		seat := monthlyPrice(t, sc, 500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		f.Advance(time.Hour)
		it, err := sc.V1SubscriptionItems.Create(ctx, &stripe.SubscriptionItemCreateParams{Subscription: stripe.String(s.ID), Price: stripe.String(seat.ID), Quantity: stripe.Int64(3)})
		if err != nil {
			t.Fatal(err)
		}
		start, end := period(s)
		if it.Quantity != 3 || it.Subscription != s.ID || it.CurrentPeriodStart != start.Unix() || it.CurrentPeriodEnd != end.Unix() {
			t.Errorf("created item %+v", it)
		}
		got, err := sc.V1SubscriptionItems.Retrieve(ctx, it.ID, nil)
		if err != nil || got.ID != it.ID || got.Price.ID != seat.ID {
			t.Fatalf("retrieve %v %+v", err, got)
		}
		up, err := sc.V1SubscriptionItems.Update(ctx, it.ID, &stripe.SubscriptionItemUpdateParams{Quantity: stripe.Int64(5), ProrationBehavior: stripe.String("none")})
		if err != nil || up.Quantity != 5 {
			t.Fatalf("update %v %+v", err, up)
		}
		listed := ids(t, sc.V1SubscriptionItems.List(ctx, &stripe.SubscriptionItemListParams{Subscription: stripe.String(s.ID)}).All(ctx))
		if len(listed) != 2 || !slices.Contains(listed, it.ID) {
			t.Errorf("list %v", listed)
		}
		_, err = sc.V1SubscriptionItems.Create(ctx, &stripe.SubscriptionItemCreateParams{Subscription: stripe.String(s.ID), Price: stripe.String(seat.ID)})
		stripeErr(t, err, 400, "", "price", "")
		del, err := sc.V1SubscriptionItems.Delete(ctx, it.ID, nil)
		if err != nil || !del.Deleted {
			t.Fatalf("delete %v %+v", err, del)
		}
		_, err = sc.V1SubscriptionItems.Retrieve(ctx, it.ID, nil)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such subscription_item: '"+it.ID+"'")
		_, err = sc.V1SubscriptionItems.Delete(ctx, s.Items.Data[0].ID, nil)
		stripeErr(t, err, 400, "", "", "")
		if got := getSub(t, sc, s.ID); len(got.Items.Data) != 1 {
			t.Errorf("items left %d", len(got.Items.Data))
		}
	})
}

func TestSubscriptionTrialEndMissingPaymentMethod(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		for _, tc := range []struct{ behavior, want string }{
			{"pause", "paused"}, {"cancel", "canceled"}, {"create_invoice", "past_due"},
		} {
			cu := payingCustomer(t, sc, "", "")
			s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
				Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), TrialPeriodDays: stripe.Int64(7),
				TrialSettings: &stripe.SubscriptionCreateTrialSettingsParams{EndBehavior: &stripe.SubscriptionCreateTrialSettingsEndBehaviorParams{MissingPaymentMethod: stripe.String(tc.behavior)}},
			})
			f.AdvanceTo(time.Unix(s.TrialEnd, 0).Add(time.Hour))
			if got := getSub(t, sc, s.ID).Status; string(got) != tc.want {
				t.Errorf("%s: %s", tc.behavior, got)
			}
			if tc.behavior == "pause" {
				if count(subEvents(t, f, s.ID), "customer.subscription.paused") != 1 {
					t.Errorf("no paused event: %v", subEvents(t, f, s.ID))
				}
				// Resume with a payment method: a new period from now.
				pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String(pm.ID)}); err != nil {
					t.Fatal(err)
				}
				r, err := sc.V1Subscriptions.Resume(ctx, s.ID, &stripe.SubscriptionResumeParams{})
				if err != nil || r.Status != stripe.SubscriptionStatusActive {
					t.Fatalf("resume: %v %+v", err, r)
				}
				if start, _ := period(r); start.Unix() != f.Now().Unix() {
					t.Errorf("resumed period starts %v", start)
				}
				if count(subEvents(t, f, s.ID), "customer.subscription.resumed") != 1 {
					t.Errorf("no resumed event")
				}
			}
		}
	})
}

func TestSubscriptionOnTestClock(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), TrialPeriodDays: stripe.Int64(10)})
		if s.TestClock == nil || s.TestClock.ID != tc.ID || s.Created != frozen.Unix() || s.TrialEnd != frozen.AddDate(0, 0, 10).Unix() {
			t.Fatalf("on clock: %+v created %d", s.TestClock, s.Created)
		}
		// The fake's clock does not move the clock's subscriptions.
		fakeStart := f.Now()
		f.Advance(400 * 24 * time.Hour)
		if got := getSub(t, sc, s.ID); got.Status != stripe.SubscriptionStatusTrialing {
			t.Errorf("fake Advance moved a clock subscription: %s", got.Status)
		}
		// Hidden from the default list; shown with test_clock.
		for x, err := range sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{}).All(ctx) {
			t.Errorf("default list shows %v %v", x.ID, err)
		}
		// At most two intervals of the shortest subscription per advance.
		_, err = advanceClock(sc, tc.ID, frozen.AddDate(0, 2, 1))
		stripeErr(t, err, 400, "", "frozen_time", "")
		// Walk a year, month by month.
		trialEnd := frozen.AddDate(0, 0, 10)
		for k := 1; k <= 12; k++ {
			to := trialEnd.AddDate(0, k-1, 0).Add(2 * time.Hour)
			if _, err := advanceClock(sc, tc.ID, to); err != nil {
				t.Fatal(err)
			}
			got := getSub(t, sc, s.ID)
			start, end := period(got)
			if got.Status != stripe.SubscriptionStatusActive || !start.Equal(trialEnd.AddDate(0, k-1, 0)) || !end.Equal(trialEnd.AddDate(0, k, 0)) {
				t.Fatalf("month %d: %s %v – %v", k, got.Status, start, end)
			}
		}
		if !f.Now().Equal(fakeStart.Add(400 * 24 * time.Hour)) {
			t.Errorf("advancing the test clock moved the fake's clock to %v", f.Now())
		}
		ev := subEvents(t, f, s.ID)
		if count(ev, "customer.subscription.trial_will_end") != 1 || count(ev, "customer.subscription.updated") != 12 {
			t.Errorf("events %v", ev)
		}
		// Deleting the clock deletes its subscriptions.
		if _, err := sc.V1TestHelpersTestClocks.Delete(ctx, tc.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Subscriptions.Retrieve(ctx, s.ID, nil)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "")
	})
}

func asStripeErr(err error, se **stripe.Error) bool {
	e, ok := err.(*stripe.Error)
	if ok {
		*se = e
	}
	return ok
}
