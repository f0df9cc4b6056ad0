package resources_test

import (
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestSetupIntents(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cu.ID), Usage: stripe.String("on_session")})
		if err != nil || si.Status != stripe.SetupIntentStatusRequiresPaymentMethod || si.Usage != "on_session" || si.ClientSecret == "" {
			t.Fatalf("create %v %+v", err, si)
		}
		f.AssertEvent(t, "setup_intent.created", si.ID)
		_, err = sc.V1SetupIntents.Confirm(ctx, si.ID, nil)
		stripeErr(t, err, 400, "", "payment_method", "")
		done, err := sc.V1SetupIntents.Confirm(ctx, si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || done.Status != stripe.SetupIntentStatusSucceeded || done.PaymentMethod == nil {
			t.Fatalf("confirm %v %+v", err, done)
		}
		f.AssertEvent(t, "setup_intent.succeeded", si.ID)
		pm, _ := sc.V1PaymentMethods.Retrieve(ctx, done.PaymentMethod.ID, nil)
		if pm.Customer == nil || pm.Customer.ID != cu.ID {
			t.Errorf("not attached: %+v", pm.Customer)
		}
		f.AssertEvent(t, "payment_method.attached", pm.ID)
		_, err = sc.V1SetupIntents.Cancel(ctx, si.ID, nil)
		stripeErr(t, err, 400, "setup_intent_unexpected_state", "", "")

		// A decline-table card fails setup; the failure is kept.
		si2, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cu.ID), PaymentMethod: stripe.String("pm_card_visa_chargeDeclined"), Confirm: stripe.Bool(true)})
		se := stripeErr(t, err, 402, "card_declined", "", "")
		if se.SetupIntent == nil {
			t.Errorf("no setup_intent on the error: %+v", se)
		} else if got, _ := sc.V1SetupIntents.Retrieve(ctx, se.SetupIntent.ID, nil); got.Status != stripe.SetupIntentStatusRequiresPaymentMethod || got.LastSetupError == nil {
			t.Errorf("after failure %+v", got)
		}
		_ = si2

		// Authentication on setup, then the saved card passes off session.
		si3, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cu.ID), PaymentMethod: stripe.String("pm_card_authenticationRequiredOnSetup"), Confirm: stripe.Bool(true)})
		if err != nil || si3.Status != stripe.SetupIntentStatusRequiresAction || si3.NextAction == nil {
			t.Fatalf("3DS setup %v %+v", err, si3)
		}
		if err := f.CompletePaymentAction(si3.ID); err != nil {
			t.Fatal(err)
		}
		si3, _ = sc.V1SetupIntents.Retrieve(ctx, si3.ID, nil)
		if si3.Status != stripe.SetupIntentStatusSucceeded {
			t.Fatalf("after auth %+v", si3)
		}
		pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(700), Currency: stripe.String("usd"), Customer: stripe.String(cu.ID),
			PaymentMethod: stripe.String(si3.PaymentMethod.ID), Confirm: stripe.Bool(true), OffSession: stripe.Bool(true)})
		if err != nil || pi.Status != stripe.PaymentIntentStatusSucceeded {
			t.Fatalf("off session after setup %v %+v", err, pi)
		}

		// Failed authentication, update, cancel, list.
		si4, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cu.ID), PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.FailPaymentAction(si4.ID); err != nil {
			t.Fatal(err)
		}
		si4, _ = sc.V1SetupIntents.Retrieve(ctx, si4.ID, nil)
		if si4.Status != stripe.SetupIntentStatusRequiresPaymentMethod || si4.LastSetupError == nil || si4.LastSetupError.Code != "setup_intent_authentication_failure" {
			t.Errorf("failed auth %+v", si4)
		}
		up, err := sc.V1SetupIntents.Update(ctx, si4.ID, &stripe.SetupIntentUpdateParams{Description: stripe.String("retry"), PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || up.Status != stripe.SetupIntentStatusRequiresConfirmation || up.Description != "retry" {
			t.Fatalf("update %v %+v", err, up)
		}
		cn, err := sc.V1SetupIntents.Cancel(ctx, si4.ID, &stripe.SetupIntentCancelParams{CancellationReason: stripe.String("abandoned")})
		if err != nil || cn.Status != stripe.SetupIntentStatusCanceled || cn.CancellationReason != "abandoned" {
			t.Fatalf("cancel %v %+v", err, cn)
		}
		f.AssertEvent(t, "setup_intent.canceled", si4.ID)
		n := len(ids(t, sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{Customer: stripe.String(cu.ID)}).All(ctx)))
		if n != 4 {
			t.Errorf("listed %d", n)
		}
	})
}
