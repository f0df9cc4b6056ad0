package resources

import (
	"fmt"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Payment intents written through the API: create (with or without
// confirm), update, confirm, capture (manual, partial), cancel and
// increment_authorization, charging card payment methods through the same
// recordCharge path invoices use. The test cards behave as
// ../shared/reference/api-conventions.md §11 says: success, the decline
// codes (402 card_error, the failed attempt kept), and authentication.
//
// Authentication (3-D Secure): a card that needs it on this payment
// (needsAuthentication) leaves an on-session confirmation in
// requires_action with next_action; an off-session one, or one with
// error_on_requires_action, fails with authentication_required. The
// customer's side is the test helper CompletePaymentAction /
// FailPaymentAction (fake.(*Fake) exposes both), or the page that
// next_action's URL serves. Completing charges the card (it may still
// decline); failing returns the intent to requires_payment_method with
// payment_intent_authentication_failure
// (https://docs.stripe.com/payments/3d-secure/authentication-flow#testing).
//
// Events: payment_intent.created, .requires_action, .succeeded,
// .amount_capturable_updated (manual capture, increment), .payment_failed,
// .canceled; charge.succeeded, .failed, .captured, .refunded (a canceled
// authorization is released).
//
// Decisions on points the reference does not confirm:
//   - A partial capture releases the rest: the charge's amount_refunded
//     counts the uncaptured part (refunded stays false), so refunds reach
//     at most amount_captured. Canceling an authorized intent releases all
//     of it (refunded true, charge.refunded).
//   - Payment intents made by invoices are written through the invoice
//     (pay, void): the payment intent endpoints refuse them.
//   - setup_future_usage attaches the payment method to the customer when
//     the payment succeeds.
//   - payment_method_options[card][request_three_d_secure]=any or
//     challenge makes any card ask for authentication on session.
//   - increment_authorization needs
//     payment_method_options[card][request_incremental_authorization]=if_available
//     and an intent in requires_capture
//     (https://docs.stripe.com/payments/incremental-authorization).
//   - Minimum amount 50 minor units, maximum 99999999
//     (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).

// piConfirmable are the statuses confirm accepts.
var piConfirmable = []string{"requires_payment_method", "requires_confirmation", "requires_action"}

// piCancelable are the statuses cancel accepts.
var piCancelable = []string{"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"}

func init() { families = append(families, registerPaymentIntentWrites) }

func registerPaymentIntentWrites(e *Engine) {
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents", Handle: createPaymentIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}", Handle: updatePaymentIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/confirm", Handle: confirmPaymentIntentHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/capture", Handle: capturePaymentIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/cancel", Handle: cancelPaymentIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/increment_authorization", Handle: incrementAuthorization})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/apply_customer_balance", Handle: func(c *Ctx) (any, error) {
		pi, err := paymentIntentToChange(c)
		if err != nil {
			return nil, err
		}
		// Only a customer_balance intent takes cash balance; the fake's
		// are card intents, so Stripe's refusal is the answer
		// (https://docs.stripe.com/api/payment_intents/apply_customer_balance).
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", fmt.Sprintf("You cannot apply a customer's cash balance to PaymentIntent %s because its payment_method_types does not include customer_balance.", pi.ID))
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/payment_intents/{intent}/verify_microdeposits", Handle: func(c *Ctx) (any, error) {
		pi, err := paymentIntentToChange(c)
		if err != nil {
			return nil, err
		}
		return nil, errNoMicrodeposits("PaymentIntent", "payment_intent_unexpected_state", pi.ID)
	}})
	e.page("authenticate/", authenticatePageHandler)
}

// unsupportedPIParams are the payment intent parameters the fake does not
// model (Connect, mandates, other payment method types, hooks).
var unsupportedPIParams = []string{
	"allowed_payment_method_types", "amount_details", "application_fee_amount", "confirmation_token", "customer_account",
	"excluded_payment_method_types", "hooks", "mandate", "mandate_data", "on_behalf_of", "payment_details",
	"payment_method_configuration", "payment_method_data", "radar_options", "transfer_data",
}

// errNoMicrodeposits answers verify_microdeposits: only a bank account
// intent waiting for verify_with_microdeposits takes it, and the fake's
// intents are card intents (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment#web-verify-with-microdeposits).
// UNCONFIRMED wording.
func errNoMicrodeposits(object, code, id string) error {
	return apierr.Invalid(code, "",
		fmt.Sprintf("This %s (%s) does not need to be verified with microdeposits: its next_action is not verify_with_microdeposits.", object, id))
}

func errPIState(pi *PaymentIntent, action string, allowed []string) error {
	return apierr.Invalid("payment_intent_unexpected_state", "", fmt.Sprintf(
		"You cannot %s this PaymentIntent because it has a status of %s. Only a PaymentIntent with one of the following statuses may be %s: %s.",
		action, pi.Status, pastTense(action), strings.Join(allowed, ", ")))
}

func pastTense(action string) string {
	if strings.HasSuffix(action, "e") {
		return action + "d"
	}
	if action == "cancel" {
		return "canceled"
	}
	return action + "ed"
}

// chargeAmount reads the amount and currency a new charge or payment
// intent requires, the currency lower-cased, the amount within Stripe's
// bounds for a charge.
func chargeAmount(p Params) (int64, string, error) {
	amount, err := p.RequireInt("amount")
	if err != nil {
		return 0, "", err
	}
	currency, err := p.Require("currency")
	if err != nil {
		return 0, "", err
	}
	currency = strings.ToLower(currency)
	return amount, currency, checkPIAmount(amount, currency)
}

func checkPIAmount(n int64, currency string) error {
	if n < 50 {
		min := formatMoney(50, currency)
		if currency == "usd" {
			min = "$0.50 usd"
		}
		return apierr.Invalid("amount_too_small", "amount", "Amount must be at least "+min)
	}
	if n > 99999999 {
		return apierr.Invalid("amount_too_large", "amount", "Amount must be no more than $999,999.99")
	}
	return nil
}

func createPaymentIntent(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, unsupportedPIParams...); err != nil {
		return nil, err
	}
	amount, currency, err := chargeAmount(p)
	if err != nil {
		return nil, err
	}
	customer := ""
	if id, ok := p.String("customer"); ok {
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return nil, err
		}
		if err := c.onCustomerTimeline(cu); err != nil {
			return nil, err
		}
		customer = cu.ID
	}
	pi, err := newInvoicePaymentIntent(c, customer, amount, currency, "", c.Unix())
	if err != nil {
		return nil, err
	}
	if customer == "" {
		pi.Customer = nil
	}
	if v, ok := p.String("capture_method"); ok {
		pi.CaptureMethod = v
	}
	if v, ok := p.String("confirmation_method"); ok {
		pi.ConfirmationMethod = v
	}
	if apm, ok := p.Map("automatic_payment_methods"); ok {
		if on, _ := apm.Bool("enabled"); on {
			pi.AutomaticPaymentMethods = map[string]any{"allow_redirects": "always", "enabled": true}
			if v, ok := apm.String("allow_redirects"); ok {
				pi.AutomaticPaymentMethods["allow_redirects"] = v
			}
		}
	}
	if err := setPIFields(c, pi, p); err != nil {
		return nil, err
	}
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	if err := c.emit("payment_intent.created", pi, nil); err != nil {
		return nil, err
	}
	if confirm, _ := p.Bool("confirm"); confirm {
		return pi, confirmPaymentIntent(c, pi, p)
	}
	for _, k := range []string{"off_session", "error_on_requires_action", "return_url", "use_stripe_sdk"} {
		if p.Has(k) {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest(k, fmt.Sprintf("You can only pass `%s` when `confirm` is true.", k))
		}
	}
	return pi, nil
}

// setPIFields applies the fields create and update share.
func setPIFields(c *Ctx, pi *PaymentIntent, p Params) error {
	if p.Has("description") {
		pi.Description = p.NullableString("description")
	}
	if p.Has("receipt_email") {
		pi.ReceiptEmail = p.NullableString("receipt_email")
	}
	if p.Has("statement_descriptor") {
		pi.StatementDescriptor = p.NullableString("statement_descriptor")
	}
	if p.Has("statement_descriptor_suffix") {
		pi.StatementDescriptorSuffix = p.NullableString("statement_descriptor_suffix")
	}
	if p.Has("transfer_group") {
		pi.TransferGroup = p.NullableString("transfer_group")
	}
	if p.Has("setup_future_usage") {
		pi.SetupFutureUsage = p.NullableString("setup_future_usage")
	}
	if p.Has("shipping") {
		pi.Shipping = p.Object("shipping", "address", "carrier", "name", "phone", "tracking_number")
	}
	if types := p.Strings("payment_method_types"); types != nil {
		for i, t := range types {
			if t != "card" {
				// UNCONFIRMED wording.
				return apierr.InvalidRequest(fmt.Sprintf("payment_method_types[%d]", i), fmt.Sprintf("stripefake does not support the payment method type '%s' yet.", t))
			}
		}
		pi.PaymentMethodTypes = types
	}
	if opts, ok := p.Map("payment_method_options"); ok {
		for _, k := range opts.Keys() {
			if k != "card" {
				return unsupported(opts, k)
			}
		}
		card, _ := opts.Map("card")
		if err := unsupported(card, "cvc_token", "installments", "mandate_options", "network", "moto",
			"request_extended_authorization", "request_multicapture", "request_overcapture", "statement_descriptor_suffix_kana",
			"statement_descriptor_suffix_kanji", "three_d_secure"); err != nil {
			return err
		}
		cur, _ := pi.PaymentMethodOptions["card"].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for _, k := range card.Keys() {
			cur[k] = card.Raw()[k]
		}
		pi.PaymentMethodOptions = map[string]any{"card": cur}
	}
	md, err := applyMetadata(p, pi.Metadata)
	if err != nil {
		return err
	}
	pi.Metadata = md
	if id, ok := p.String("payment_method"); ok {
		pm, err := paymentMethodFor(c, pi, id, "payment_method")
		if err != nil {
			return err
		}
		pi.PaymentMethod = &pm.ID
		pi.Status = "requires_confirmation"
	}
	return nil
}

// paymentMethodFor loads the payment method a payment intent is to
// charge: a test value becomes a new pm_…; a stored one must be the
// intent's customer's, or nobody's, and not detached.
func paymentMethodFor(c *Ctx, pi *PaymentIntent, id, param string) (*PaymentMethod, error) {
	pm, err := loadPaymentMethod(c, id, param)
	if err != nil {
		return nil, err
	}
	if pm.Detached {
		return nil, errPMDetachedReuse()
	}
	if pm.Customer != nil && (pi.Customer == nil || *pi.Customer != *pm.Customer) {
		return nil, errPMNotCustomers(id, param)
	}
	return pm, nil
}

// paymentIntentToChange loads the path's payment intent for a write,
// refusing an invoice's, and moves the request onto its customer's
// timeline.
func paymentIntentToChange(c *Ctx) (*PaymentIntent, error) {
	pi, err := get[PaymentIntent](c, kindPaymentIntent, c.Var("intent"), "intent")
	if err != nil {
		return nil, err
	}
	ips, err := scan[InvoicePayment](c, kindInvoicePayment, "payment_intent="+pi.ID, nil)
	if err != nil {
		return nil, err
	}
	if len(ips) > 0 {
		// UNCONFIRMED wording; see the file comment.
		return nil, apierr.InvalidRequest("", fmt.Sprintf("This PaymentIntent belongs to invoice %s: pay or void the invoice instead.", ips[0].Invoice))
	}
	if err := c.onTimelineOfCustomer(pi.Customer); err != nil {
		return nil, err
	}
	return pi, nil
}

func updatePaymentIntent(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, unsupportedPIParams...); err != nil {
		return nil, err
	}
	pi, err := paymentIntentToChange(c)
	if err != nil {
		return nil, err
	}
	changesPayment := false
	for _, k := range []string{"amount", "currency", "customer", "payment_method", "payment_method_types", "payment_method_options", "capture_method", "setup_future_usage"} {
		changesPayment = changesPayment || p.Has(k)
	}
	if changesPayment && !contains(piConfirmable, pi.Status) {
		return nil, errPIState(pi, "update", piConfirmable)
	}
	if n, ok := p.Int("amount"); ok {
		cur := pi.Currency
		if v, ok := p.String("currency"); ok {
			cur = strings.ToLower(v)
		}
		if err := checkPIAmount(n, cur); err != nil {
			return nil, err
		}
		pi.Amount = n
	}
	if v, ok := p.String("currency"); ok {
		pi.Currency = strings.ToLower(v)
	}
	if id, ok := p.String("customer"); ok {
		if pi.Customer != nil && *pi.Customer != id {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest("customer", "You cannot change the customer of a PaymentIntent once it has one.")
		}
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return nil, err
		}
		pi.Customer = &cu.ID
	}
	if v, ok := p.String("capture_method"); ok {
		pi.CaptureMethod = v
	}
	if err := setPIFields(c, pi, p); err != nil {
		return nil, err
	}
	if changesPayment && pi.Status == "requires_action" {
		// What was authenticated changed: confirm again.
		pi.NextAction = nil
		pi.Status = "requires_confirmation"
	}
	if pi.PaymentMethod == nil && pi.Status == "requires_confirmation" {
		pi.Status = "requires_payment_method"
	}
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	// Stripe has no payment_intent.updated event.
	return pi, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// needsAuthentication reports whether charging pm on pi needs the
// customer to authenticate (§11's authentication cards, or 3-D Secure
// requested by the intent).
func needsAuthentication(pi *PaymentIntent, pm *PaymentMethod, offSession bool) bool {
	switch cardBehaviors[pm.TestBehavior].authentication {
	case authAlways:
		return true
	case authUnlessSaved:
		return !offSession || pm.Customer == nil
	case authOnSessionCharge:
		return !offSession
	}
	if card, ok := pi.PaymentMethodOptions["card"].(map[string]any); ok && !offSession {
		r, _ := card["request_three_d_secure"].(string)
		return r == "any" || r == "challenge"
	}
	return false
}

func confirmPaymentIntentHandler(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, unsupportedPIParams...); err != nil {
		return nil, err
	}
	pi, err := paymentIntentToChange(c)
	if err != nil {
		return nil, err
	}
	if !contains(piConfirmable, pi.Status) {
		return nil, errPIState(pi, "confirm", piConfirmable)
	}
	if v, ok := p.String("capture_method"); ok {
		pi.CaptureMethod = v
	}
	if err := setPIFields(c, pi, p); err != nil {
		return nil, err
	}
	return pi, confirmPaymentIntent(c, pi, p)
}

// confirmPaymentIntent confirms pi with the request's parameters p
// (confirm's, or create's with confirm=true) and saves it. A decline is
// kept and answered as a 402 once committed.
func confirmPaymentIntent(c *Ctx, pi *PaymentIntent, p Params) error {
	if err := unsupported(p, unsupportedPIParams...); err != nil {
		return err
	}
	if !contains(piConfirmable, pi.Status) {
		return errPIState(pi, "confirm", piConfirmable)
	}
	if p.Has("client_secret") && (pi.ClientSecret == nil || p.Str("client_secret") != *pi.ClientSecret) {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest("client_secret", "The client_secret provided does not match the client_secret associated with the PaymentIntent.")
	}
	if pi.PaymentMethod == nil {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest("payment_method", "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.")
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, *pi.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	offSession, _ := p.Bool("off_session")
	if !needsAuthentication(pi, pm, offSession) {
		return finishPaymentIntent(c, pi, pm, chargeErrorAfterAuthentication(pm))
	}
	if failFast, _ := p.Bool("error_on_requires_action"); offSession || failFast {
		return finishPaymentIntent(c, pi, pm, declineAuthRequired.err())
	}
	pi.Status = "requires_action"
	pi.LastPaymentError = nil
	pi.PageToken = pageToken()
	url := c.e.pageURL("authenticate/" + pi.ID + "/" + pi.PageToken)
	if ru, ok := p.String("return_url"); ok {
		pi.NextAction = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{"return_url": ru, "url": url + "?return_url=" + ru}}
	} else {
		pi.NextAction = map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{"type": "three_d_secure_redirect", "stripe_js": url}}
	}
	if err := savePaymentIntent(c, pi); err != nil {
		return err
	}
	return c.emit("payment_intent.requires_action", pi, nil)
}

// finishPaymentIntent charges pm for pi (decline nil: successfully) and
// emits the events; a decline is answered as a 402 after commit.
func finishPaymentIntent(c *Ctx, pi *PaymentIntent, pm *PaymentMethod, decline *apierr.Error) error {
	ch, err := recordCharge(c, pi, pm, decline, c.Unix())
	if err != nil {
		return err
	}
	if decline != nil {
		if err := c.emit("charge.failed", ch, nil); err != nil {
			return err
		}
		if err := c.emit("payment_intent.payment_failed", pi, nil); err != nil {
			return err
		}
		declined := declineAnswer(c, decline, ch, pi, pm)
		c.after(func() error { return declined })
		return nil
	}
	if pi.SetupFutureUsage != nil && pi.Customer != nil && pm.Customer == nil {
		cu, err := get[Customer](c, kindCustomer, *pi.Customer, "customer")
		if err != nil {
			return err
		}
		if err := attachToCustomer(c, pm, cu); err != nil {
			return err
		}
	}
	if err := c.emit("charge.succeeded", ch, nil); err != nil {
		return err
	}
	if pi.Status == "requires_capture" {
		return c.emit("payment_intent.amount_capturable_updated", pi, nil)
	}
	return c.emit("payment_intent.succeeded", pi, nil)
}

func latestCharge(c *Ctx, pi *PaymentIntent) (*Charge, error) {
	if pi.LatestCharge == nil {
		return nil, fmt.Errorf("resources: payment intent %s in %s has no charge", pi.ID, pi.Status)
	}
	return get[Charge](c, kindCharge, *pi.LatestCharge, "charge")
}

func capturePaymentIntent(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "amount_details", "application_fee_amount", "hooks", "payment_details", "transfer_data"); err != nil {
		return nil, err
	}
	pi, err := paymentIntentToChange(c)
	if err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, pi.Metadata)
	if err != nil {
		return nil, err
	}
	pi.Metadata = md
	for k, f := range map[string]**string{"statement_descriptor": &pi.StatementDescriptor, "statement_descriptor_suffix": &pi.StatementDescriptorSuffix} {
		if p.Has(k) {
			*f = p.NullableString(k)
		}
	}
	_, err = capturePI(c, pi, "amount_to_capture")
	return pi, err
}

// capturePI captures pi's authorized charge, for the amount in the
// request's param (all that is capturable when absent), and saves both.
// POST /v1/payment_intents/{intent}/capture and the legacy
// POST /v1/charges/{charge}/capture share it.
func capturePI(c *Ctx, pi *PaymentIntent, param string) (*Charge, error) {
	if pi.Status != "requires_capture" {
		return nil, errPIState(pi, "capture", []string{"requires_capture"})
	}
	amount := pi.AmountCapturable
	if n, ok := c.Params.Int(param); ok {
		if n < 1 || n > pi.AmountCapturable {
			// UNCONFIRMED wording.
			return nil, apierr.Invalid("amount_too_large", param, fmt.Sprintf("The amount to capture (%d) must be between 1 and the amount capturable (%d).", n, pi.AmountCapturable))
		}
		amount = n
	}
	ch, err := latestCharge(c, pi)
	if err != nil {
		return nil, err
	}
	if err := captureAuthorized(c, ch, amount); err != nil {
		return nil, err
	}
	pi.Status = "succeeded"
	pi.AmountReceived = amount
	pi.AmountCapturable = 0
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	return ch, c.emit("payment_intent.succeeded", pi, nil)
}

func cancelPaymentIntent(c *Ctx) (any, error) {
	pi, err := paymentIntentToChange(c)
	if err != nil {
		return nil, err
	}
	if !contains(piCancelable, pi.Status) {
		return nil, errPIState(pi, "cancel", piCancelable)
	}
	if pi.Status == "requires_capture" {
		// The authorization is released.
		ch, err := latestCharge(c, pi)
		if err != nil {
			return nil, err
		}
		prev := map[string]any{"amount_refunded": ch.AmountRefunded, "refunded": ch.Refunded}
		ch.AmountRefunded = ch.Amount
		ch.Refunded = true
		if err := saveCharge(c, ch); err != nil {
			return nil, err
		}
		if err := c.emit("charge.refunded", ch, prev); err != nil {
			return nil, err
		}
		pi.AmountCapturable = 0
	}
	pi.Status = "canceled"
	pi.NextAction = nil
	pi.CanceledAt = new(c.Unix())
	pi.CancellationReason = optString(c.Params.String("cancellation_reason"))
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	return pi, c.emit("payment_intent.canceled", pi, nil)
}

// optString turns a (value, present) pair into a pointer, nil when absent.
func optString(v string, ok bool) *string {
	if !ok {
		return nil
	}
	return &v
}

func incrementAuthorization(c *Ctx) (any, error) {
	prm := c.Params
	if err := unsupported(prm, "amount_details", "application_fee_amount", "hooks", "payment_details", "transfer_data"); err != nil {
		return nil, err
	}
	pi, err := paymentIntentToChange(c)
	if err != nil {
		return nil, err
	}
	if pi.Status != "requires_capture" {
		return nil, errPIState(pi, "increment the authorization of", []string{"requires_capture"})
	}
	card, _ := pi.PaymentMethodOptions["card"].(map[string]any)
	if card == nil || card["request_incremental_authorization"] != "if_available" {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("", "This PaymentIntent is not eligible for incremental authorization: confirm it with payment_method_options[card][request_incremental_authorization]=if_available.")
	}
	amount, err := prm.RequireInt("amount")
	if err != nil {
		return nil, err
	}
	if amount <= pi.Amount {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("amount", fmt.Sprintf("The new amount (%d) must be greater than the PaymentIntent's current amount (%d).", amount, pi.Amount))
	}
	if err := checkPIAmount(amount, pi.Currency); err != nil {
		return nil, err
	}
	ch, err := latestCharge(c, pi)
	if err != nil {
		return nil, err
	}
	ch.Amount = amount
	if err := saveCharge(c, ch); err != nil {
		return nil, err
	}
	pi.Amount = amount
	pi.AmountCapturable = amount
	if prm.Has("description") {
		pi.Description = prm.NullableString("description")
	}
	if prm.Has("statement_descriptor") {
		pi.StatementDescriptor = prm.NullableString("statement_descriptor")
	}
	md, err := applyMetadata(prm, pi.Metadata)
	if err != nil {
		return nil, err
	}
	pi.Metadata = md
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	return pi, c.emit("payment_intent.amount_capturable_updated", pi, nil)
}
