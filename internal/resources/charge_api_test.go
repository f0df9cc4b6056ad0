package resources_test

import (
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestChargeWrites(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), CaptureMethod: stripe.String("manual"), Confirm: stripe.Bool(true)})
		chID := pi.LatestCharge.ID
		up, err := sc.V1Charges.Update(ctx, chID, &stripe.ChargeUpdateParams{Description: stripe.String("Order 7"), Params: stripe.Params{Metadata: map[string]string{"order": "7"}}})
		if err != nil || up.Description != "Order 7" || up.Metadata["order"] != "7" {
			t.Fatalf("update %v %+v", err, up)
		}
		ev := f.AssertEvent(t, "charge.updated", chID)
		if _, ok := ev.PreviousAttributes["description"]; !ok {
			t.Errorf("previous_attributes %v", ev.PreviousAttributes)
		}

		// The legacy capture captures the payment intent.
		ch, err := sc.V1Charges.Capture(ctx, chID, &stripe.ChargeCaptureParams{Amount: stripe.Int64(1500)})
		if err != nil || !ch.Captured || ch.AmountCaptured != 1500 {
			t.Fatalf("capture %v %+v", err, ch)
		}
		got, _ := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if got.Status != stripe.PaymentIntentStatusSucceeded || got.AmountReceived != 1500 {
			t.Errorf("payment intent after charge capture %+v", got)
		}
		_, err = sc.V1Charges.Capture(ctx, chID, nil)
		stripeErr(t, err, 400, "charge_already_captured", "", "Charge "+chID+" has already been captured.")

		// Search.
		n := 0
		for c, err := range sc.V1Charges.Search(ctx, &stripe.ChargeSearchParams{SearchParams: stripe.SearchParams{Query: "metadata['order']:'7'"}}).All(ctx) {
			if err != nil || c.ID != chID {
				t.Fatalf("search %v %+v", err, c)
			}
			n++
		}
		if n != 1 {
			t.Errorf("search found %d", n)
		}

		// Endpoints for payment methods the fake does not model answer
		// Stripe's refusal, never a 501.
		_, err = sc.V1PaymentIntents.VerifyMicrodeposits(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "payment_intent_unexpected_state", "", "")
		_, err = sc.V1PaymentIntents.ApplyCustomerBalance(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1SetupIntents.VerifyMicrodeposits(ctx, si.ID, nil)
		stripeErr(t, err, 400, "setup_intent_unexpected_state", "", "")
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID)})
		if err != nil || r.Amount != 1500 {
			t.Fatalf("refund %v %+v", err, r)
		}
		_, err = sc.V1TestHelpersRefunds.Expire(ctx, r.ID, nil)
		stripeErr(t, err, 400, "", "", "")
	})
}

func TestChargeCreate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ch, err := sc.V1Charges.Create(ctx, &stripe.ChargeCreateParams{Amount: stripe.Int64(1200), Currency: stripe.String("usd"), Source: &stripe.PaymentSourceSourceParams{Token: stripe.String("tok_visa")}})
		if err != nil || ch.Status != "succeeded" || !ch.Captured || ch.PaymentIntent != nil || ch.Amount != 1200 {
			t.Fatalf("create %v %+v", err, ch)
		}
		f.AssertEvent(t, "charge.succeeded", ch.ID)
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(200)})
		if err != nil || r.PaymentIntent != nil || r.Amount != 200 {
			t.Fatalf("refund %v %+v", err, r)
		}

		_, err = sc.V1Charges.Create(ctx, &stripe.ChargeCreateParams{Amount: stripe.Int64(1200), Currency: stripe.String("usd"), Source: &stripe.PaymentSourceSourceParams{Token: stripe.String("tok_chargeDeclined")}})
		se := stripeErr(t, err, 402, "card_declined", "", "Your card was declined.")
		if got, err := sc.V1Charges.Retrieve(ctx, se.ChargeID, nil); err != nil || got.Status != "failed" || got.FailureCode != "card_declined" {
			t.Errorf("failed charge %v %+v", err, got)
		}

		auth, err := sc.V1Charges.Create(ctx, &stripe.ChargeCreateParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), Capture: stripe.Bool(false), Source: &stripe.PaymentSourceSourceParams{Token: stripe.String("tok_mastercard")}})
		if err != nil || auth.Captured {
			t.Fatalf("authorize %v %+v", err, auth)
		}
		cap, err := sc.V1Charges.Capture(ctx, auth.ID, &stripe.ChargeCaptureParams{Amount: stripe.Int64(600)})
		if err != nil || !cap.Captured || cap.AmountCaptured != 600 || cap.AmountRefunded != 400 {
			t.Fatalf("capture %v %+v", err, cap)
		}

		cu := invCustomer(t, sc, "", 0)
		_, err = sc.V1Charges.Create(ctx, &stripe.ChargeCreateParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), Customer: stripe.String(cu.ID)})
		stripeErr(t, err, 400, "missing", "customer", "Cannot charge a customer that has no active card")
	})
}
