package resources

import (
	"fmt"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Refunds of card charges: POST /v1/refunds (by charge or payment
// intent), retrieve, update, list, cancel, and the charge's own refund
// routes (/v1/charges/{charge}/refund(s)). Credit notes with a
// refund_amount refund through refundCharge too.
//
// Decisions on points the reference does not confirm:
//   - A card refund succeeds at once (status succeeded, a txn_ balance
//     transaction), as test mode's default cards do
//     (https://docs.stripe.com/testing#refunds): refund.created and
//     charge.refunded are emitted in that order, and the charge's
//     amount_refunded grows; refunded is true once it reaches the amount.
//   - Only a captured, succeeded charge can be refunded; an uncaptured
//     payment intent is canceled instead
//     (https://docs.stripe.com/refunds#cancel-payment). Error wordings
//     are UNCONFIRMED; the codes (charge_already_refunded,
//     amount_too_large) are Stripe's (https://docs.stripe.com/error-codes).
//   - Cancel answers an error: only pending refunds of some payment
//     methods can be canceled and a card refund never is pending
//     (https://docs.stripe.com/refunds#cancel-refund).
//   - Update (metadata) emits refund.updated.

const kindRefund = "refund"

// Refund is Stripe's refund (dahlia shape, card refunds).
type Refund struct {
	ID                        string             `json:"id"`
	Object                    string             `json:"object"`
	Amount                    int64              `json:"amount"`
	BalanceTransaction        *string            `json:"balance_transaction"`
	Charge                    *string            `json:"charge"`
	Created                   int64              `json:"created"`
	Currency                  string             `json:"currency"`
	Description               *string            `json:"description,omitempty"`
	DestinationDetails        *RefundDestination `json:"destination_details,omitempty"`
	FailureBalanceTransaction *string            `json:"failure_balance_transaction,omitempty"`
	FailureReason             *string            `json:"failure_reason,omitempty"`
	InstructionsEmail         *string            `json:"instructions_email,omitempty"`
	Metadata                  map[string]string  `json:"metadata"`
	PaymentIntent             *string            `json:"payment_intent"`
	PaymentMethod             *string            `json:"payment_method,omitempty"`
	Reason                    *string            `json:"reason"`
	ReceiptNumber             *string            `json:"receipt_number"`
	SourceTransferReversal    *string            `json:"source_transfer_reversal"`
	Status                    string             `json:"status"`
	TransferReversal          *string            `json:"transfer_reversal"`
}

// RefundDestination is refund.destination_details for a card refund.
type RefundDestination struct {
	Card RefundDestinationCard `json:"card"`
	Type string                `json:"type"`
}

// RefundDestinationCard is destination_details.card.
type RefundDestinationCard struct {
	Reference       *string `json:"reference,omitempty"`
	ReferenceStatus string  `json:"reference_status,omitempty"`
	ReferenceType   string  `json:"reference_type,omitempty"`
	Type            string  `json:"type"`
}

func saveRefund(c *Ctx, r *Refund) error {
	terms := []string{}
	if r.Charge != nil {
		terms = append(terms, "charge="+*r.Charge)
	}
	if r.PaymentIntent != nil {
		terms = append(terms, "payment_intent="+*r.PaymentIntent)
	}
	return c.save(kindRefund, r.ID, r, terms...)
}

var refundReasons = []string{"duplicate", "fraudulent", "requested_by_customer"}

func init() { families = append(families, registerRefunds) }

func registerRefunds(e *Engine) {
	e.kind(Kind{Object: kindRefund, Load: loader[Refund](kindRefund)})
	e.route(Route{Method: "POST", Pattern: "/v1/refunds", Handle: createRefundHandler})
	e.route(Route{Method: "GET", Pattern: "/v1/refunds", Read: true, Handle: listRefunds})
	e.route(Route{Method: "GET", Pattern: "/v1/refunds/{refund}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[Refund](c, kindRefund, c.Var("refund"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/refunds/{refund}", Handle: updateRefund})
	e.route(Route{Method: "POST", Pattern: "/v1/refunds/{refund}/cancel", Handle: cancelRefund})
	e.route(Route{Method: "POST", Pattern: "/v1/test_helpers/refunds/{refund}/expire", Handle: func(c *Ctx) (any, error) {
		r, err := get[Refund](c, kindRefund, c.Var("refund"), "refund")
		if err != nil {
			return nil, err
		}
		// Only a pending customer_cash_balance refund can expire
		// (https://docs.stripe.com/api/refunds/test_mode_expire); card
		// refunds succeed at once. UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Refund %s cannot be expired: only a pending refund to a customer's cash balance can be, and its status is %s.", r.ID, r.Status))
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/charges/{charge}/refund", Handle: func(c *Ctx) (any, error) {
		r, err := createRefund(c, c.Var("charge"), "", "id")
		if err != nil {
			return nil, err
		}
		return get[Charge](c, kindCharge, *r.Charge, "charge")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/charges/{charge}/refunds", Handle: func(c *Ctx) (any, error) {
		return createRefund(c, c.Var("charge"), "", "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/charges/{charge}/refunds", Read: true, Handle: listChargeRefunds})
	e.route(Route{Method: "GET", Pattern: "/v1/charges/{charge}/refunds/{refund}", Read: true, Handle: func(c *Ctx) (any, error) {
		return chargeRefund(c)
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/charges/{charge}/refunds/{refund}", Handle: func(c *Ctx) (any, error) {
		if _, err := chargeRefund(c); err != nil {
			return nil, err
		}
		return updateRefund(c)
	}})
}

func createRefundHandler(c *Ctx) (any, error) {
	p := c.Params
	charge, byCharge := p.String("charge")
	pi, byPI := p.String("payment_intent")
	switch {
	case byCharge && byPI:
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("payment_intent", "You cannot specify both `charge` and `payment_intent`.")
	case !byCharge && !byPI:
		if p.Has("customer") {
			return nil, unsupported(p, "customer")
		}
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", "One of the following params should be provided for this request: charge or payment_intent.")
	}
	if byCharge {
		return createRefund(c, charge, "", "charge")
	}
	return createRefund(c, "", pi, "payment_intent")
}

// createRefund refunds the charge (or the payment intent's successful
// charge) with the request's amount, reason, metadata and
// instructions_email.
func createRefund(c *Ctx, chargeID, piID, param string) (*Refund, error) {
	p := c.Params
	if err := unsupported(p, "origin", "refund_application_fee", "reverse_transfer"); err != nil {
		return nil, err
	}
	ch, err := refundableCharge(c, chargeID, piID, param)
	if err != nil {
		return nil, err
	}
	if cur, ok := p.String("currency"); ok && cur != ch.Currency {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("currency", fmt.Sprintf("The currency of the refund (%s) must match the currency of the charge (%s).", cur, ch.Currency))
	}
	amount := ch.Amount - ch.AmountRefunded
	if n, ok := p.Int("amount"); ok {
		if n < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", "amount", "Invalid positive integer")
		}
		amount = n
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	return refundCharge(c, ch, amount, refundDetails{
		Reason: p.NullableString("reason"), Metadata: md, InstructionsEmail: p.NullableString("instructions_email"),
	})
}

// refundDetails are a new refund's fields from the request (none for a
// credit note's refund).
type refundDetails struct {
	Reason            *string
	Metadata          map[string]string
	InstructionsEmail *string
}

// refundableCharge loads the charge a refund is for: chargeID, else the
// latest charge of payment intent piID. param names the source for errors.
func refundableCharge(c *Ctx, chargeID, piID, param string) (*Charge, error) {
	if piID != "" {
		pi, err := get[PaymentIntent](c, kindPaymentIntent, piID, param)
		if err != nil {
			return nil, err
		}
		if pi.LatestCharge == nil || pi.Status != "succeeded" {
			// UNCONFIRMED wording; Stripe refunds only succeeded intents.
			return nil, apierr.InvalidRequest(param, fmt.Sprintf("This PaymentIntent (%s) does not have a successful charge to refund.", pi.ID))
		}
		chargeID = *pi.LatestCharge
	}
	ch, err := get[Charge](c, kindCharge, chargeID, param)
	if err != nil {
		return nil, err
	}
	if err := c.onTimelineOfCustomer(ch.Customer); err != nil {
		return nil, err
	}
	return ch, nil
}

// errChargeRefunded answers a refund of a fully refunded charge.
func errChargeRefunded(ch *Charge) *apierr.Error {
	return apierr.Invalid("charge_already_refunded", "", fmt.Sprintf("Charge %s has already been refunded.", ch.ID))
}

// refundCharge refunds amount of ch: it saves the refund and the charge
// and emits refund.created and charge.refunded. Credit notes call it too.
func refundCharge(c *Ctx, ch *Charge, amount int64, d refundDetails) (*Refund, error) {
	switch {
	case ch.Status != "succeeded":
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("charge", fmt.Sprintf("Charge %s has not succeeded and cannot be refunded.", ch.ID))
	case !ch.Captured:
		// UNCONFIRMED wording; see the file comment.
		return nil, apierr.InvalidRequest("charge", fmt.Sprintf("Charge %s has not been captured. Cancel its PaymentIntent to release the authorization instead.", ch.ID))
	case ch.Refunded || ch.AmountRefunded >= ch.Amount:
		return nil, errChargeRefunded(ch)
	}
	// amount_refunded counts an uncaptured remainder as released (see
	// payment_intent_api.go), so what is left is amount - amount_refunded.
	if left := ch.Amount - ch.AmountRefunded; amount > left {
		// UNCONFIRMED wording.
		return nil, apierr.Invalid("amount_too_large", "amount", fmt.Sprintf("Refund amount (%s) is greater than unrefunded amount on charge (%s)",
			formatMoney(amount, ch.Currency), formatMoney(left, ch.Currency)))
	}
	md := d.Metadata
	if md == nil {
		md = map[string]string{}
	}
	id, err := c.NewID("re")
	if err != nil {
		return nil, err
	}
	txn := "txn_" + id[len("re_"):]
	chID := ch.ID
	r := &Refund{
		ID: id, Object: kindRefund, Amount: amount, BalanceTransaction: &txn, Charge: &chID,
		Created: c.Unix(), Currency: ch.Currency, Metadata: md, PaymentIntent: ch.PaymentIntent, PaymentMethod: ch.PaymentMethod, Reason: d.Reason,
		InstructionsEmail:  d.InstructionsEmail,
		DestinationDetails: &RefundDestination{Type: "card", Card: RefundDestinationCard{ReferenceStatus: "pending", ReferenceType: "acquirer_reference_number", Type: "refund"}},
		Status:             "succeeded",
	}
	if err := saveRefund(c, r); err != nil {
		return nil, err
	}
	before := *ch
	ch.AmountRefunded += amount
	ch.Refunded = ch.AmountRefunded >= ch.Amount
	if err := saveCharge(c, ch); err != nil {
		return nil, err
	}
	if err := c.emit("refund.created", r, nil); err != nil {
		return nil, err
	}
	prev := map[string]any{"amount_refunded": before.AmountRefunded}
	if before.Refunded != ch.Refunded {
		prev["refunded"] = before.Refunded
	}
	return r, c.emit("charge.refunded", ch, prev)
}

func updateRefund(c *Ctx) (any, error) {
	r, err := get[Refund](c, kindRefund, c.Var("refund"), "id")
	if err != nil {
		return nil, err
	}
	before := *r
	md, err := applyMetadata(c.Params, r.Metadata)
	if err != nil {
		return nil, err
	}
	r.Metadata = md
	if err := saveRefund(c, r); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("refund.updated", &before, r); err != nil {
		return nil, err
	}
	return r, nil
}

func cancelRefund(c *Ctx) (any, error) {
	r, err := get[Refund](c, kindRefund, c.Var("refund"), "id")
	if err != nil {
		return nil, err
	}
	// UNCONFIRMED wording (see the file comment).
	return nil, apierr.InvalidRequest("", fmt.Sprintf("Refund %s cannot be canceled because its status is `%s`: only a pending refund that requires action can be canceled.", r.ID, r.Status))
}

func listRefunds(c *Ctx) (any, error) {
	p := c.Params
	term := ""
	if ch, ok := p.String("charge"); ok {
		term = "charge=" + ch
	}
	pi, byPI := p.String("payment_intent")
	if byPI && term == "" {
		term = "payment_intent=" + pi
	}
	meta := func(r *Refund) (string, int64) { return r.ID, r.Created }
	if term == "" {
		clocks := newClockOwners(c)
		return listStored(c, "/v1/refunds", kindRefund, "", func(r *Refund) bool { return !clocks.charge(r.Charge) }, meta)
	}
	items, err := scan(c, kindRefund, term, func(r *Refund) bool {
		return !byPI || (r.PaymentIntent != nil && *r.PaymentIntent == pi)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/refunds", items, meta)
}

func listChargeRefunds(c *Ctx) (any, error) {
	ch, err := get[Charge](c, kindCharge, c.Var("charge"), "id")
	if err != nil {
		return nil, err
	}
	items, err := scan[Refund](c, kindRefund, "charge="+ch.ID, nil)
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/charges/"+ch.ID+"/refunds", items, func(r *Refund) (string, int64) { return r.ID, r.Created })
}

// chargeRefund loads the path's refund of the path's charge.
func chargeRefund(c *Ctx) (*Refund, error) {
	ch, err := get[Charge](c, kindCharge, c.Var("charge"), "charge")
	if err != nil {
		return nil, err
	}
	r, err := get[Refund](c, kindRefund, c.Var("refund"), "id")
	if err != nil {
		return nil, err
	}
	if r.Charge == nil || *r.Charge != ch.ID {
		return nil, c.e.noSuch(kindRefund, r.ID, "id")
	}
	return r, nil
}
