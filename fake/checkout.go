package fake

import (
	"errors"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/internal/apierr"
)

// CompleteCheckoutSession completes the open Checkout Session id as if the
// customer had paid on its hosted page with paymentMethod: a test value
// such as "pm_card_visa" or a stored "pm_…". It runs the same code as the
// page: the customer is created if needed, the card attached, the
// subscription (first invoice paid) or the payment made, and
// checkout.session.completed emitted. A declining card, or a session that
// is no longer open, returns a *stripe.Error as the API would report it
// (e.g. HTTPStatusCode 402, Code card_declined) and changes nothing.
func (f *Fake) CompleteCheckoutSession(id, paymentMethod string) error {
	return stripeError(f.engine.CompleteCheckoutSession(id, paymentMethod))
}

// ApplyCheckoutPromotionCode applies a promotion code to the open Checkout
// Session id as a buyer typing code on its hosted page would (the session
// must have allow_promotion_codes): code is the customer-facing code,
// matched regardless of case among active promotion codes; "" removes the
// applied one. The session's discounts and amounts change; the code is
// redeemed when the session completes. A code that cannot be redeemed
// returns a *stripe.Error and changes nothing.
func (f *Fake) ApplyCheckoutPromotionCode(id, code string) error {
	return stripeError(f.engine.ApplyCheckoutPromotionCode(id, code))
}

// stripeError turns the engine's Stripe errors into stripe-go's type, the
// one tests already inspect; other errors pass unchanged.
func stripeError(err error) error {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		return err
	}
	return &stripe.Error{
		HTTPStatusCode: ae.Status, Type: stripe.ErrorType(ae.Type), Code: stripe.ErrorCode(ae.Code),
		DeclineCode: stripe.DeclineCode(ae.DeclineCode), DocURL: ae.DocURL, Msg: ae.Message, Param: ae.Param,
		ChargeID: ae.Charge, Err: ae,
	}
}
