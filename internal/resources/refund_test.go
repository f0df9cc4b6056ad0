package resources_test

import (
	"encoding/json"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// paidInvoice creates a customer paying by pm_card_visa and an invoice of
// amount it has paid; it returns the invoice and its succeeded payment
// intent.
func paidInvoice(t *testing.T, sc *stripe.Client, amount int64) (*stripe.Invoice, *stripe.PaymentIntent) {
	t.Helper()
	cu := invCustomer(t, sc, "pm_card_visa", 0)
	inv := invDraft(t, sc, cu.ID, amount, false)
	inv, err := sc.V1Invoices.Pay(ctx, inv.ID, nil)
	if err != nil || inv.Status != stripe.InvoiceStatusPaid {
		t.Fatalf("pay: %v %+v", err, inv)
	}
	var pi *stripe.PaymentIntent
	for p, err := range sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		pi = p
	}
	if pi == nil || pi.Status != stripe.PaymentIntentStatusSucceeded || pi.LatestCharge == nil {
		t.Fatalf("payment intent %+v", pi)
	}
	return inv, pi
}

func TestRefunds(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, pi := paidInvoice(t, sc, 1000)
		chID := pi.LatestCharge.ID

		// Partial, by charge.
		r1, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{
			Charge: stripe.String(chID), Amount: stripe.Int64(300), Reason: stripe.String("requested_by_customer"),
			InstructionsEmail: stripe.String("refunds@example.com"),
			Params:            stripe.Params{Metadata: map[string]string{"ticket": "T-9"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Amount != 300 || r1.Status != stripe.RefundStatusSucceeded || r1.Charge.ID != chID || r1.PaymentIntent.ID != pi.ID ||
			r1.Currency != "usd" || r1.Reason != stripe.RefundReasonRequestedByCustomer || r1.Metadata["ticket"] != "T-9" || r1.BalanceTransaction == nil {
			t.Errorf("refund %+v", r1)
		}
		ch, err := sc.V1Charges.Retrieve(ctx, chID, nil)
		if err != nil || ch.AmountRefunded != 300 || ch.Refunded {
			t.Fatalf("charge after partial: %v %+v", err, ch)
		}
		ev := f.AssertEvent(t, "charge.refunded", chID)
		if ev.PreviousAttributes["amount_refunded"] != float64(0) {
			t.Errorf("charge.refunded previous_attributes %v", ev.PreviousAttributes)
		}
		// The event carries the refund as answered, instructions_email included.
		var created stripe.Refund
		if err := json.Unmarshal(f.AssertEvent(t, "refund.created", r1.ID).Object, &created); err != nil ||
			created.InstructionsEmail != "refunds@example.com" || r1.InstructionsEmail != "refunds@example.com" {
			t.Errorf("instructions_email: event %q, refund %q (err %v)", created.InstructionsEmail, r1.InstructionsEmail, err)
		}

		// More than is left: refused, nothing changes.
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID), Amount: stripe.Int64(701)})
		stripeErr(t, err, 400, "amount_too_large", "amount", "Refund amount (7.01 USD) is greater than unrefunded amount on charge (7.00 USD)")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID), Amount: stripe.Int64(0)})
		stripeErr(t, err, 400, "parameter_invalid_integer", "amount", "")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{})
		stripeErr(t, err, 400, "", "", "")
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String("ch_nope")})
		stripeErr(t, err, 400, stripe.ErrorCodeResourceMissing, "charge", "No such charge: 'ch_nope'")

		// The rest, by payment intent, without an amount.
		r2, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID)})
		if err != nil || r2.Amount != 700 {
			t.Fatalf("full refund %v %+v", err, r2)
		}
		ch, _ = sc.V1Charges.Retrieve(ctx, chID, nil)
		if ch.AmountRefunded != 1000 || !ch.Refunded {
			t.Errorf("charge after full: %+v", ch)
		}
		_, err = sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{Charge: stripe.String(chID)})
		stripeErr(t, err, 400, "charge_already_refunded", "", "Charge "+chID+" has already been refunded.")

		// Listed on the charge and by payment intent, newest first.
		listed := ids(t, sc.V1Refunds.List(ctx, &stripe.RefundListParams{Charge: stripe.String(chID)}).All(ctx))
		if len(listed) != 2 || listed[0] != r2.ID || listed[1] != r1.ID {
			t.Errorf("refunds of charge %v", listed)
		}
		n := len(ids(t, sc.V1Refunds.List(ctx, &stripe.RefundListParams{PaymentIntent: stripe.String(pi.ID)}).All(ctx)))
		if n != 2 {
			t.Errorf("refunds of payment intent: %d", n)
		}
		got, err := sc.V1Refunds.Retrieve(ctx, r1.ID, &stripe.RefundRetrieveParams{Params: stripe.Params{Expand: []*string{stripe.String("charge")}}})
		if err != nil || got.Charge == nil || got.Charge.AmountRefunded != 1000 {
			t.Fatalf("retrieve expanded %v %+v", err, got)
		}

		// Update: metadata, refund.updated.
		up, err := sc.V1Refunds.Update(ctx, r1.ID, &stripe.RefundUpdateParams{Params: stripe.Params{Metadata: map[string]string{"ticket": "T-10"}}})
		if err != nil || up.Metadata["ticket"] != "T-10" {
			t.Fatalf("update %v %+v", err, up)
		}
		f.AssertEvent(t, "refund.updated", r1.ID)
		_, err = sc.V1Refunds.Cancel(ctx, r1.ID, nil)
		stripeErr(t, err, 400, "", "", "")
	})
}
