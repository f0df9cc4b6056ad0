package resources

import (
	"fmt"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

// Charges written through the API: the legacy create from a test token
// (source=tok_visa and the other tok_ values), update, capture, and
// search. Most charges are made by payment intents
// (payment_intent_api.go, invoice_pay.go); a legacy charge has none, and
// goes through the same newCharge and decline table.
//
// Decisions on points the reference does not confirm:
//   - Update changes description, metadata, receipt_email, shipping,
//     fraud_details and transfer_group, and sets customer only on a charge
//     that has none (https://docs.stripe.com/api/charges/update); it emits
//     charge.updated.
//   - POST /v1/charges takes a tok_ test token as source; a customer
//     without source is refused as Stripe refuses a customer with no
//     card ("Cannot charge a customer that has no active card"), since the
//     fake's customers have no legacy sources. Cards needing
//     authentication decline with authentication_required (the Charges
//     API has no 3-D Secure step). capture=false authorizes only.
//   - Capturing a charge captures its payment intent, as
//     POST /v1/payment_intents/{intent}/capture does (amount is
//     amount_to_capture); a captured charge answers
//     charge_already_captured.

func init() { families = append(families, registerChargeWrites) }

func registerChargeWrites(e *Engine) {
	e.route(Route{Method: "POST", Pattern: "/v1/charges", Handle: createCharge})
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
	return ch, c.onTimelineOfCustomer(ch.Customer)
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
	if ch.Status != "succeeded" {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Charge %s cannot be captured because its status is %s.", ch.ID, ch.Status))
	}
	if ch.PaymentIntent == nil {
		amount := ch.Amount
		if n, ok := p.Int("amount"); ok {
			if n < 1 || n > ch.Amount {
				// UNCONFIRMED wording.
				return nil, apierr.Invalid("amount_too_large", "amount", fmt.Sprintf("The amount to capture (%d) must be between 1 and the amount authorized (%d).", n, ch.Amount))
			}
			amount = n
		}
		for k, f := range map[string]**string{"receipt_email": &ch.ReceiptEmail, "statement_descriptor": &ch.StatementDescriptor, "statement_descriptor_suffix": &ch.StatementDescriptorSuffix} {
			if p.Has(k) {
				*f = p.NullableString(k)
			}
		}
		if err := captureAuthorized(c, ch, amount); err != nil {
			return nil, err
		}
		return ch, nil
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

// captureAuthorized captures amount of the authorized charge ch (the rest is
// released), saves it and emits charge.captured.
func captureAuthorized(c *Ctx, ch *Charge, amount int64) error {
	ch.Captured = true
	ch.AmountCaptured = amount
	ch.AmountRefunded = ch.Amount - amount // the rest is released
	txn := "txn_" + ch.ID[len("ch_"):]
	ch.BalanceTransaction = &txn
	if err := saveCharge(c, ch); err != nil {
		return err
	}
	return c.emit("charge.captured", ch, nil)
}

func createCharge(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "application_fee", "application_fee_amount", "card", "destination", "on_behalf_of", "radar_options", "transfer_data"); err != nil {
		return nil, err
	}
	amount, currency, err := chargeAmount(p)
	if err != nil {
		return nil, err
	}
	var customer *string
	if id, ok := p.String("customer"); ok {
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return nil, err
		}
		if err := c.onCustomerTimeline(cu); err != nil {
			return nil, err
		}
		customer = &cu.ID
	}
	source, ok := p.String("source")
	if !ok {
		if customer != nil {
			return nil, apierr.Invalid("missing", "customer", "Cannot charge a customer that has no active card")
		}
		return nil, apierr.MissingParam("source")
	}
	tc, ok := magicCard(magicTokenPrefix, source)
	if !ok {
		// UNCONFIRMED wording; only test tokens are sources here.
		return nil, apierr.InvalidRequest("source", fmt.Sprintf("No such token: '%s'", source))
	}
	pm, err := cloneTestCard(c, tc)
	if err != nil {
		return nil, err
	}
	if err := savePaymentMethod(c, pm); err != nil {
		return nil, err
	}
	// A stand-in intent carries what newCharge reads; it is never saved.
	stand := &PaymentIntent{Amount: amount, Currency: currency, Customer: customer, Description: p.NullableString("description"), CaptureMethod: "automatic"}
	if capture, ok := p.Bool("capture"); ok && !capture {
		stand.CaptureMethod = "manual"
	}
	decline := chargeError(pm)
	ch, err := newCharge(c, stand, pm, decline, c.Unix())
	if err != nil {
		return nil, err
	}
	ch.PaymentIntent = nil
	for k, f := range map[string]**string{"receipt_email": &ch.ReceiptEmail, "statement_descriptor": &ch.StatementDescriptor, "statement_descriptor_suffix": &ch.StatementDescriptorSuffix, "transfer_group": &ch.TransferGroup} {
		if p.Has(k) {
			*f = p.NullableString(k)
		}
	}
	if p.Has("shipping") {
		ch.Shipping = p.Object("shipping", "address", "carrier", "name", "phone", "tracking_number")
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	ch.Metadata = md
	if err := saveCharge(c, ch); err != nil {
		return nil, err
	}
	if decline != nil {
		if err := c.emit("charge.failed", ch, nil); err != nil {
			return nil, err
		}
		declined := *decline
		declined.Charge = ch.ID
		c.after(func() error { return &declined })
		return ch, nil
	}
	return ch, c.emit("charge.succeeded", ch, nil)
}
