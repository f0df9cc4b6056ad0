package resources_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Regression tests for the billing defects of issue 12.

func TestSubscriptionReactivationKeepsRenewing(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		f.Advance(5 * 24 * time.Hour)
		u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)})
		if err != nil || u.CancelAt == 0 || u.CanceledAt == 0 {
			t.Fatalf("cancel_at_period_end=true: %v cancel_at %d canceled_at %d", err, u.CancelAt, u.CanceledAt)
		}
		f.Advance(24 * time.Hour)
		u, err = sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		if u.CancelAtPeriodEnd || u.CancelAt != 0 || u.CanceledAt != 0 || u.CancellationDetails.Reason != "" {
			t.Fatalf("after reactivation: cancel_at_period_end %v cancel_at %d canceled_at %d reason %q",
				u.CancelAtPeriodEnd, u.CancelAt, u.CanceledAt, u.CancellationDetails.Reason)
		}
		_, end := period(s)
		f.AdvanceTo(end.Add(2 * time.Hour))
		got := getSub(t, sc, s.ID)
		if got.Status != stripe.SubscriptionStatusActive || got.Items.Data[0].CurrentPeriodStart != end.Unix() {
			t.Fatalf("after the period end: status %s, period start %d, want active from %d", got.Status, got.Items.Data[0].CurrentPeriodStart, end.Unix())
		}
		if inv := latestInvoice(t, sc, s.ID); inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCycle || inv.AmountPaid != 1000 {
			t.Errorf("renewal invoice: %s paid %d", inv.BillingReason, inv.AmountPaid)
		}
	})
}

func TestSubscriptionIntervalChangeCreditsTheOldPeriod(t *testing.T) {
	cases := []struct {
		name             string
		start            time.Time
		from, to         string
		fromAmt, toAmt   int64
		after            time.Duration
		credit, invoiced int64
	}{
		// Halfway through April (30 days): −1000·15/30.
		{"month to year", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "month", "year", 1000, 12000, 15 * 24 * time.Hour, -500, 11500},
		// Halfway through the week: −700·3.5/7.
		{"week to month", testfake.Start, "week", "month", 700, 2000, 84 * time.Hour, -350, 1650},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				old := monthlyPrice(t, sc, tc.fromAmt, tc.from)
				next := monthlyPrice(t, sc, tc.toAmt, tc.to)
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(old.ID, 1)})
				f.Advance(tc.after)
				u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
					Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(s.Items.Data[0].ID), Price: stripe.String(next.ID)}},
				})
				if err != nil {
					t.Fatal(err)
				}
				inv := getInvoice(t, sc, u.LatestInvoice.ID)
				var credit int64
				for _, l := range inv.Lines.Data {
					if l.Amount < 0 {
						credit += l.Amount
						if l.Pricing.PriceDetails.Price.ID != old.ID {
							t.Errorf("credit line priced %s, want the old price %s", l.Pricing.PriceDetails.Price.ID, old.ID)
						}
					}
				}
				if credit != tc.credit || inv.Total != tc.invoiced {
					t.Errorf("credit %d, invoice total %d (lines %v); want %d and %d", credit, inv.Total, lineAmounts(inv), tc.credit, tc.invoiced)
				}
			}, tc.start)
		})
	}
}

func TestSubscriptionWithoutPaymentMethod(t *testing.T) {
	const msg = "This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority."
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		free := monthlyPrice(t, sc, 0, "month")
		cu := payingCustomer(t, sc, "", "")
		for _, behavior := range []string{"", "allow_incomplete", "error_if_incomplete"} {
			p := &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)}
			if behavior != "" {
				p.PaymentBehavior = stripe.String(behavior)
			}
			n := len(f.Events())
			_, err := sc.V1Subscriptions.Create(ctx, p)
			stripeErr(t, err, 400, "", "", msg)
			if got := eventsSince(f, n); len(got) != 0 {
				t.Errorf("payment_behavior %q: events %v after the error", behavior, got)
			}
		}
		if n := len(subsOf(t, sc, cu.ID)); n != 0 {
			t.Fatalf("%d subscriptions after the errors", n)
		}
		// What stays allowed: the payment left to the customer, a trial, a
		// $0 first invoice, an invoice sent.
		allowed := []struct {
			p    *stripe.SubscriptionCreateParams
			want stripe.SubscriptionStatus
		}{
			{&stripe.SubscriptionCreateParams{Items: itemsOf(pr.ID, 1), PaymentBehavior: stripe.String("default_incomplete")}, stripe.SubscriptionStatusIncomplete},
			{&stripe.SubscriptionCreateParams{Items: itemsOf(pr.ID, 1), TrialPeriodDays: stripe.Int64(7)}, stripe.SubscriptionStatusTrialing},
			{&stripe.SubscriptionCreateParams{Items: itemsOf(free.ID, 1)}, stripe.SubscriptionStatusActive},
			{&stripe.SubscriptionCreateParams{Items: itemsOf(pr.ID, 1), CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30)}, stripe.SubscriptionStatusActive},
		}
		for i, a := range allowed {
			a.p.Customer = stripe.String(cu.ID)
			s, err := sc.V1Subscriptions.Create(ctx, a.p)
			if err != nil || s.Status != a.want {
				t.Errorf("case %d: %v, status %v, want %s", i, err, s, a.want)
			}
		}
	})
}

// subsOf lists every subscription of the customer.
func subsOf(t *testing.T, sc *stripe.Client, customer string) []*stripe.Subscription {
	t.Helper()
	var out []*stripe.Subscription
	for s, err := range sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{Customer: stripe.String(customer), Status: stripe.String("all")}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// A first invoice that its discounts bring to $0, pending items included,
// needs no payment method: the pending items are priced with the
// subscription's discounts, not added at their face amount.
func TestSubscriptionFreeAfterDiscountNeedsNoPaymentMethod(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "", "")
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd")}); err != nil {
			t.Fatal(err)
		}
		co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{PercentOff: stripe.Float64(100), Duration: stripe.String("forever")})
		if err != nil {
			t.Fatal(err)
		}
		s, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			Discounts: []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(co.ID)}},
		})
		if err != nil || s.Status != stripe.SubscriptionStatusActive {
			t.Fatalf("create: %v, status %v", err, s)
		}
		inv := latestInvoice(t, sc, s.ID)
		if inv.Total != 0 || inv.Status != stripe.InvoiceStatusPaid || len(inv.Lines.Data) != 2 {
			t.Errorf("first invoice: total %d status %s lines %d", inv.Total, inv.Status, len(inv.Lines.Data))
		}
	})
}
