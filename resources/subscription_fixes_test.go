package resources_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
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
