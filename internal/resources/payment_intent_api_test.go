package resources_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func newPI(t *testing.T, sc *stripe.Client, p *stripe.PaymentIntentCreateParams) *stripe.PaymentIntent {
	t.Helper()
	if p.Amount == nil {
		p.Amount = stripe.Int64(2000)
	}
	if p.Currency == nil {
		p.Currency = stripe.String("usd")
	}
	pi, err := sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return pi
}

func TestPaymentIntentCreateConfirm(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{Description: stripe.String("Order 1")})
		if pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.Amount != 2000 || pi.ClientSecret == "" || pi.CaptureMethod != "automatic" {
			t.Fatalf("created %+v", pi)
		}
		f.AssertEvent(t, "payment_intent.created", pi.ID)
		_, err := sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "", "payment_method", "")

		up, err := sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{Amount: stripe.Int64(2500), PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || up.Status != stripe.PaymentIntentStatusRequiresConfirmation || up.Amount != 2500 {
			t.Fatalf("update %v %+v", err, up)
		}
		done, err := sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
		if err != nil || done.Status != stripe.PaymentIntentStatusSucceeded || done.AmountReceived != 2500 || done.LatestCharge == nil {
			t.Fatalf("confirm %v %+v", err, done)
		}
		f.AssertEventTypes(t, pi.ID, "payment_intent.created", "payment_intent.succeeded")
		f.AssertEvent(t, "charge.succeeded", done.LatestCharge.ID)
		ch, _ := sc.V1Charges.Retrieve(ctx, done.LatestCharge.ID, nil)
		if ch.Amount != 2500 || !ch.Captured || ch.PaymentIntent.ID != pi.ID {
			t.Errorf("charge %+v", ch)
		}
		// Done is done.
		_, err = sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "payment_intent_unexpected_state", "", "")
		_, err = sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "payment_intent_unexpected_state", "",
			"You cannot cancel this PaymentIntent because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.")
		_, err = sc.V1PaymentIntents.Update(ctx, pi.ID, &stripe.PaymentIntentUpdateParams{Amount: stripe.Int64(1)})
		stripeErr(t, err, 400, "payment_intent_unexpected_state", "", "")

		// Refund it: the same charge path.
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		if err != nil || r.Amount != 2500 {
			t.Fatalf("refund %v %+v", err, r)
		}

		// Bad amounts.
		_, err = sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(49), Currency: stripe.String("usd")})
		stripeErr(t, err, 400, "amount_too_small", "amount", "Amount must be at least $0.50 usd")
		_, err = sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Currency: stripe.String("usd")})
		stripeErr(t, err, 400, "parameter_missing", "amount", "")

		// Create and confirm at once, with a customer, saving the card.
		cu := invCustomer(t, sc, "", 0)
		pi2 := newPI(t, sc, &stripe.PaymentIntentCreateParams{
			Customer: stripe.String(cu.ID), PaymentMethod: stripe.String("pm_card_mastercard"), Confirm: stripe.Bool(true),
			SetupFutureUsage: stripe.String("off_session"),
		})
		if pi2.Status != stripe.PaymentIntentStatusSucceeded || pi2.PaymentMethod == nil {
			t.Fatalf("confirm at create %+v", pi2)
		}
		pm, _ := sc.V1PaymentMethods.Retrieve(ctx, pi2.PaymentMethod.ID, nil)
		if pm.Customer == nil || pm.Customer.ID != cu.ID {
			t.Errorf("setup_future_usage did not attach: %+v", pm.Customer)
		}
	})
}

func TestPaymentIntentDeclines(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for _, tc := range []struct {
			pm          string
			code        stripe.ErrorCode
			declineCode stripe.DeclineCode
		}{
			{"pm_card_visa_chargeDeclined", "card_declined", "generic_decline"},
			{"pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"},
			{"pm_card_chargeDeclinedExpiredCard", "expired_card", ""},
			{"pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", ""},
		} {
			pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String(tc.pm)})
			_, err := sc.V1PaymentIntents.Confirm(ctx, pi.ID, nil)
			se := stripeErr(t, err, 402, tc.code, "", "")
			if se.DeclineCode != tc.declineCode || se.ChargeID == "" || se.PaymentIntent == nil || se.PaymentIntent.ID != pi.ID {
				t.Errorf("%s: %+v", tc.pm, se)
			}
			// The failed attempt is kept.
			got, _ := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
			if got.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || got.LastPaymentError == nil || got.LastPaymentError.Code != tc.code || got.LatestCharge == nil {
				t.Errorf("%s after decline: %+v", tc.pm, got)
			}
			f.AssertEvent(t, "payment_intent.payment_failed", pi.ID)
			f.AssertEvent(t, "charge.failed", se.ChargeID)
		}
	})
}

func TestPaymentIntentThreeDSecure(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		// On session: requires_action, then the customer completes it.
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true)})
		if pi.Status != stripe.PaymentIntentStatusRequiresAction || pi.NextAction == nil || pi.NextAction.Type != "use_stripe_sdk" {
			t.Fatalf("3DS %+v", pi)
		}
		f.AssertEvent(t, "payment_intent.requires_action", pi.ID)
		if err := f.CompletePaymentAction(pi.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if got.Status != stripe.PaymentIntentStatusSucceeded || got.NextAction != nil {
			t.Errorf("after completing %+v", got)
		}
		if err := f.CompletePaymentAction(pi.ID); err == nil {
			t.Error("completing twice succeeded")
		}

		// Failed authentication.
		pi = newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_authenticationRequired"), Confirm: stripe.Bool(true)})
		if err := f.FailPaymentAction(pi.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if got.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || got.LastPaymentError == nil || got.LastPaymentError.Code != "payment_intent_authentication_failure" {
			t.Errorf("after failing %+v", got)
		}

		// Authentication, then a decline.
		pi = newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"), Confirm: stripe.Bool(true)})
		err := f.CompletePaymentAction(pi.ID)
		if se, ok := err.(*stripe.Error); !ok || se.HTTPStatusCode != 402 || se.DeclineCode != "insufficient_funds" {
			t.Fatalf("complete then decline: %v", err)
		}
		got, _ = sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
		if got.Status != stripe.PaymentIntentStatusRequiresPaymentMethod {
			t.Errorf("after decline %+v", got)
		}

	})
}

func TestPaymentIntentOffSessionAuthRequired(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_authenticationRequired", 0)
		_, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
			Amount: stripe.Int64(1000), Currency: stripe.String("usd"), Customer: stripe.String(cu.ID),
			PaymentMethod: stripe.String(cu.InvoiceSettings.DefaultPaymentMethod.ID), Confirm: stripe.Bool(true), OffSession: stripe.Bool(true),
		})
		stripeErr(t, err, 402, "authentication_required", "", "Your card was declined. This transaction requires authentication.")

		// Saved authenticationRequiredOnSetup cards pass off session.
		cu2 := invCustomer(t, sc, "pm_card_authenticationRequiredOnSetup", 0)
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cu2.ID), PaymentMethod: stripe.String(cu2.InvoiceSettings.DefaultPaymentMethod.ID),
			Confirm: stripe.Bool(true), OffSession: stripe.Bool(true)})
		if pi.Status != stripe.PaymentIntentStatusSucceeded {
			t.Errorf("saved card off session %+v", pi)
		}
	})
}

func TestPaymentIntentManualCapture(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{
			PaymentMethod: stripe.String("pm_card_visa"), CaptureMethod: stripe.String("manual"), Confirm: stripe.Bool(true),
			PaymentMethodOptions: &stripe.PaymentIntentCreatePaymentMethodOptionsParams{Card: &stripe.PaymentIntentCreatePaymentMethodOptionsCardParams{
				RequestIncrementalAuthorization: stripe.String("if_available"),
			}},
		})
		if pi.Status != stripe.PaymentIntentStatusRequiresCapture || pi.AmountCapturable != 2000 || pi.AmountReceived != 0 {
			t.Fatalf("authorized %+v", pi)
		}
		f.AssertEvent(t, "payment_intent.amount_capturable_updated", pi.ID)
		ch, _ := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if ch.Captured || ch.AmountCaptured != 0 || ch.Status != "succeeded" {
			t.Errorf("authorized charge %+v", ch)
		}
		// A refund of an uncaptured charge is refused.
		_, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(ch.ID)})
		stripeErr(t, err, 400, "", "charge", "")

		inc, err := sc.V1PaymentIntents.IncrementAuthorization(ctx, pi.ID, &stripe.PaymentIntentIncrementAuthorizationParams{Amount: stripe.Int64(3000)})
		if err != nil || inc.Amount != 3000 || inc.AmountCapturable != 3000 {
			t.Fatalf("increment %v %+v", err, inc)
		}
		_, err = sc.V1PaymentIntents.IncrementAuthorization(ctx, pi.ID, &stripe.PaymentIntentIncrementAuthorizationParams{Amount: stripe.Int64(100)})
		stripeErr(t, err, 400, "", "amount", "")

		_, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(3001)})
		stripeErr(t, err, 400, "amount_too_large", "amount_to_capture", "")
		cap, err := sc.V1PaymentIntents.Capture(ctx, pi.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(1800)})
		if err != nil || cap.Status != stripe.PaymentIntentStatusSucceeded || cap.AmountReceived != 1800 || cap.AmountCapturable != 0 {
			t.Fatalf("capture %v %+v", err, cap)
		}
		ch, _ = sc.V1Charges.Retrieve(ctx, ch.ID, nil)
		if !ch.Captured || ch.AmountCaptured != 1800 || ch.AmountRefunded != 1200 || ch.Refunded {
			t.Errorf("captured charge %+v", ch)
		}
		f.AssertEvent(t, "charge.captured", ch.ID)
		// Only what was captured can be refunded.
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(ch.ID), Amount: stripe.Int64(1801)})
		stripeErr(t, err, 400, "amount_too_large", "amount", "")
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(ch.ID)})
		if err != nil || r.Amount != 1800 {
			t.Fatalf("refund rest %v %+v", err, r)
		}

		// Canceling an authorization releases it.
		pi = newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_visa"), CaptureMethod: stripe.String("manual"), Confirm: stripe.Bool(true)})
		_, err = sc.V1PaymentIntents.IncrementAuthorization(ctx, pi.ID, &stripe.PaymentIntentIncrementAuthorizationParams{Amount: stripe.Int64(3000)})
		stripeErr(t, err, 400, "", "", "")
		cn, err := sc.V1PaymentIntents.Cancel(ctx, pi.ID, &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")})
		if err != nil || cn.Status != stripe.PaymentIntentStatusCanceled || cn.CancellationReason != "abandoned" || cn.CanceledAt == 0 {
			t.Fatalf("cancel %v %+v", err, cn)
		}
		ch, _ = sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if !ch.Refunded || ch.AmountRefunded != 2000 {
			t.Errorf("released charge %+v", ch)
		}
		f.AssertEvent(t, "payment_intent.canceled", pi.ID)
		_, err = sc.V1PaymentIntents.Capture(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "payment_intent_unexpected_state", "", "")
	})
}

func TestPaymentIntentOfInvoiceRefusesWrites(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		inv := openInvoice(t, sc, 1000)
		var pi *stripe.PaymentIntent
		for p, err := range sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{Customer: stripe.String(inv.Customer.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			pi = p
		}
		if pi == nil {
			t.Fatal("no payment intent")
		}
		_, err := sc.V1PaymentIntents.Cancel(ctx, pi.ID, nil)
		stripeErr(t, err, 400, "", "", "")
	})
}

func TestAuthenticatePage(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true),
		ReturnURL: stripe.String("https://shop.example/done")})
	if pi.NextAction == nil || pi.NextAction.RedirectToURL == nil {
		t.Fatalf("next_action %+v", pi.NextAction)
	}
	resp, err := http.Get(pi.NextAction.RedirectToURL.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), pi.ID) {
		t.Fatalf("page %s", body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.PostForm(strings.Split(pi.NextAction.RedirectToURL.URL, "?")[0], url.Values{"action": {"complete"}, "return_url": {"https://shop.example/done"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/done?payment_intent="+pi.ID {
		t.Errorf("post: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, _ := sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil)
	if got.Status != stripe.PaymentIntentStatusSucceeded {
		t.Errorf("after page %+v", got)
	}
	_ = f
}
