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
