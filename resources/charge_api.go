package resources

import (
	"fmt"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

// Charges written through the API: update, the legacy capture, and
// search. Charges are made by payment intents (payment_intent_api.go,
// invoice_pay.go); creating one directly from a source (POST /v1/charges)
// is not modelled and answers 501.
//
// Decisions on points the reference does not confirm:
//   - Update changes description, metadata, receipt_email, shipping,
//     fraud_details and transfer_group, and sets customer only on a charge
//     that has none (https://docs.stripe.com/api/charges/update); it emits
//     charge.updated.
//   - Capturing a charge captures its payment intent, as
//     POST /v1/payment_intents/{intent}/capture does (amount is
//     amount_to_capture); a captured charge answers
//     charge_already_captured.

func init() { families = append(families, registerChargeWrites) }

func registerChargeWrites(e *Engine) {
	e.route(Route{Method: "POST", Pattern: "/v1/charges/{charge}", Handle: updateCharge})
	e.route(Route{Method: "POST", Pattern: "/v1/charges/{charge}/capture", Handle: captureCharge})
	e.route(Route{Method: "GET", Pattern: "/v1/charges/search", Read: true, Handle: func(c *Ctx) (any, error) {
		return searchObjects(c, kindCharge, "charges", "/v1/charges/search", search.FieldsFor("charges"),
			nil, func(ch *Charge) (string, int64) { return ch.ID, ch.Created })
	}})
}

// chargeToChange loads the path's charge for a write and moves the request
// onto its customer's timeline.
func chargeToChange(c *Ctx) (*Charge, error) {
	ch, err := get[Charge](c, kindCharge, c.Var("charge"), "id")
	if err != nil {
		return nil, err
	}
	return ch, onIntentTimeline(c, ch.Customer)
}

func updateCharge(c *Ctx) (any, error) {
	ch, err := chargeToChange(c)
	if err != nil {
		return nil, err
	}
	before := *ch
	p := c.Params
	if id, ok := p.String("customer"); ok {
		if ch.Customer != nil && *ch.Customer != id {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest("customer", fmt.Sprintf("Charge %s already belongs to customer %s.", ch.ID, *ch.Customer))
		}
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return nil, err
		}
		ch.Customer = &cu.ID
	}
	for k, f := range map[string]**string{"description": &ch.Description, "receipt_email": &ch.ReceiptEmail, "transfer_group": &ch.TransferGroup} {
		if p.Has(k) {
			*f = p.NullableString(k)
		}
	}
	if p.Has("shipping") {
		ch.Shipping = p.Object("shipping", "address", "carrier", "name", "phone", "tracking_number")
	}
	if fd, ok := p.Map("fraud_details"); ok {
		ch.FraudDetails = map[string]any{}
		if v, ok := fd.String("user_report"); ok && v != "" {
			ch.FraudDetails["user_report"] = v
		}
	}
	md, err := applyMetadata(p, ch.Metadata)
	if err != nil {
		return nil, err
	}
	ch.Metadata = md
	if err := saveCharge(c, ch); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("charge.updated", &before, ch); err != nil {
		return nil, err
	}
	return ch, nil
}

func captureCharge(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "application_fee", "application_fee_amount", "transfer_data", "transfer_group"); err != nil {
		return nil, err
	}
	ch, err := chargeToChange(c)
	if err != nil {
		return nil, err
	}
	if ch.Captured {
		return nil, apierr.Invalid("charge_already_captured", "", fmt.Sprintf("Charge %s has already been captured.", ch.ID))
	}
	if ch.PaymentIntent == nil || ch.Status != "succeeded" {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Charge %s cannot be captured because its status is %s.", ch.ID, ch.Status))
	}
	pi, err := get[PaymentIntent](c, kindPaymentIntent, *ch.PaymentIntent, "payment_intent")
	if err != nil {
		return nil, err
	}
	if pi.LatestCharge == nil || *pi.LatestCharge != ch.ID {
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Charge %s is not the latest charge of PaymentIntent %s and cannot be captured.", ch.ID, pi.ID))
	}
	for k, f := range map[string]**string{"receipt_email": &pi.ReceiptEmail, "statement_descriptor": &pi.StatementDescriptor, "statement_descriptor_suffix": &pi.StatementDescriptorSuffix} {
		if p.Has(k) {
			*f = p.NullableString(k)
		}
	}
	return capturePI(c, pi, "amount")
}
