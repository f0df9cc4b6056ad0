package resources_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Amounts past Stripe's bound are refused on the param, with nothing
// created; below it, a large amount-off discount on a large line is
// shared out without overflowing (once, that loop never ended and held
// the write transaction).
func TestAmountBounds(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		_, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{
			AmountOff: stripe.Int64(9_000_000_000_000_000_000), Currency: stripe.String("usd"), Duration: stripe.String("once"),
		})
		var se *stripe.Error
		if !errors.As(err, &se) || se.HTTPStatusCode != 400 || se.Param != "amount_off" {
			t.Fatalf("huge amount_off: %v, want a 400 on amount_off", err)
		}
		cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(cus.ID), Amount: stripe.Int64(4_000_000_000_000_000_000), Currency: stripe.String("usd"),
		})
		if !errors.As(err, &se) || se.HTTPStatusCode != 400 || se.Param != "amount" {
			t.Fatalf("huge amount: %v, want a 400 on amount", err)
		}
		if n := len(f.Events()); n != 1 { // customer.created only
			t.Errorf("%d events, want 1: a refused request changed something", n)
		}

		big := int64(90_000_000_000)
		co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{
			AmountOff: stripe.Int64(big), Currency: stripe.String("usd"), Duration: stripe.String("once"),
		})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
			Customer:  stripe.String(cus.ID),
			Discounts: []*stripe.InvoiceCreateDiscountParams{{Coupon: stripe.String(co.ID)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, amount := range []int64{big - 7, 99_999_999_999} {
			if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
				Customer: stripe.String(cus.ID), Invoice: stripe.String(inv.ID), Amount: stripe.Int64(amount), Currency: stripe.String("usd"),
			}); err != nil {
				t.Fatal(err)
			}
		}
		inv, err = sc.V1Invoices.Retrieve(ctx, inv.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := big - 7 + 99_999_999_999 - big; inv.Total != want {
			t.Errorf("total %d, want %d", inv.Total, want)
		}
	})
}

// A timestamp that would become work due after 2200 (the store keeps due
// times up to 2262) is a 400 naming it, with nothing changed, where it was
// a 500 when the work was scheduled (or, for due_date, at finalize).
func TestFarFutureDueTimesAre400s(t *testing.T) {
	const far = 9999999999 // 2286
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
		pr := testfake.RecurringPrice(t, sc, 1000, "month")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}}})
		n := len(f.Events())
		_, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{PauseCollection: &stripe.SubscriptionUpdatePauseCollectionParams{
			Behavior: stripe.String("void"), ResumesAt: stripe.Int64(far)}})
		stripeErr(t, err, 400, "", "pause_collection[resumes_at]", "The pause_collection[resumes_at] would fall due after 2200-01-01, later than stripefake can schedule.")
		if got := getSub(t, sc, s.ID); got.PauseCollection != nil || len(f.Events()) != n {
			t.Errorf("the refused pause changed the subscription: %+v", got.PauseCollection)
		}

		_, err = cgGrant(sc, cu.ID, 500, func(p *stripe.BillingCreditGrantCreateParams) { p.ExpiresAt = stripe.Int64(far) })
		stripeErr(t, err, 400, "", "expires_at", "The expires_at would fall due after 2200-01-01, later than stripefake can schedule.")

		_, err = sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID),
			CollectionMethod: stripe.String("send_invoice"), DueDate: stripe.Int64(far)})
		stripeErr(t, err, 400, "", "due_date", "The due_date would fall due after 2200-01-01, later than stripefake can schedule.")
		if len(f.Events()) != n {
			t.Errorf("the refused requests wrote %d events", len(f.Events())-n)
		}
	})
}
