package fake

// CompletePaymentAction completes the 3-D Secure authentication that the
// payment intent or setup intent id (pi_… or seti_…, status
// requires_action) waits for, as the customer would on the page its
// next_action points at. The payment is then charged (or the card set up
// and attached); a card that still declines, such as
// pm_card_authenticationRequiredChargeDeclinedInsufficientFunds, returns
// the *stripe.Error the API would report, with the failed attempt kept.
func (f *Fake) CompletePaymentAction(id string) error {
	return stripeError(f.engine.CompletePaymentAction(id))
}

// FailPaymentAction fails the authentication that the payment intent or
// setup intent id waits for: the intent goes back to
// requires_payment_method with last_payment_error (last_setup_error) code
// payment_intent_authentication_failure
// (setup_intent_authentication_failure).
func (f *Fake) FailPaymentAction(id string) error {
	return stripeError(f.engine.FailPaymentAction(id))
}
