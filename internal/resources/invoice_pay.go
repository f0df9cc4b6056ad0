package resources

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Invoice payment and the other transitions of a finalized invoice: pay
// (card or out of band), automatic attempts and retries, void,
// mark_uncollectible, send.
//
//	attemptPayment(c, inv, PaymentAttempt) (declined *apierr.Error, err error)
//
// charges the invoice's payment method (the attempt's, else the default
// by Stripe's precedence, see defaultPaymentMethodID) for amount_remaining, through
// the payment intent made at finalization. The outcome is recorded either
// way (attempted, attempt_count, next_payment_attempt, charge, payment
// intent, events) and the decline, if any, is returned as declined; err is
// for failures that must roll the transaction back.
//
// Events, in Stripe's order (billing-semantics §11):
//   - success: charge.succeeded, payment_intent.succeeded, invoice.paid,
//     invoice.payment_succeeded, invoice_payment.paid, invoice.updated;
//   - decline: charge.failed, payment_intent.payment_failed,
//     invoice.payment_failed, invoice.updated, customer.updated (delinquent).
//
// Decisions on points the reference does not confirm:
//   - attempt_count: the first attempt sets 1; later, only automatic
//     attempts add one (manual pay after that leaves the count and the
//     retry schedule alone).
//   - Retries follow retryPolicy (InvoicingConfig, or SubscriptionsConfig
//     for a subscription's invoices) for every decline and for a missing
//     payment method (a retry charges whatever payment method is there by
//     then); hard declines are not told apart. A subscription's first
//     invoice is not retried: the subscription expires instead.
//   - A decline leaves last_finalization_error null: the error is on the
//     payment intent (last_payment_error) and the failed charge.
//   - POST /pay with a declining card commits the failed attempt and
//     answers 402 card_error with the charge and the payment intent.
//   - paid_out_of_band sets amount_paid and amount_paid_off_stripe, and
//     cancels the payment intent and the invoice payment.
//   - void and mark_uncollectible also emit invoice.updated; voiding
//     cancels the payment intent (void_invoice) and returns the applied
//     balance (unapplied_from_invoice).
//   - send refuses charge_automatically invoices and finalizes a draft
//     first, as pay does.

// invoiceObserver, when set (by subscriptions), hears of each invoice
// transition after it is saved: event is the invoice event that describes
// it ("invoice.finalized" (the invoice may be paid already),
// "invoice.paid", "invoice.payment_failed", "invoice.voided",
// "invoice.marked_uncollectible", and "invoice.overdue" when a
// send_invoice invoice passes its due date); declined is the decline of a
// failed payment. The observer may change the invoice in the store: the
// caller must not save its copy afterwards.
var invoiceObserver func(c *Ctx, inv *Invoice, event string, declined *apierr.Error) error

func notifyInvoice(c *Ctx, inv *Invoice, event string, declined *apierr.Error) error {
	if invoiceObserver == nil {
		return nil
	}
	return invoiceObserver(c, inv, event, declined)
}

// PaymentAttempt describes one attempt to collect an invoice.
type PaymentAttempt struct {
	PaymentMethod string // explicit payment method; "" for the invoice's
	OffSession    bool
	// Automatic is a scheduled attempt (the first after automatic
	// finalization, or a retry): it counts in attempt_count and schedules
	// the next retry on failure.
	Automatic bool
}

// errInvoiceNoPaymentMethod answers a payment attempt, or a subscription
// that must charge its first invoice, with nothing to charge. (Stripe's
// wording, as issue 12 quotes the API's answer to a subscription create.)
func errInvoiceNoPaymentMethod() *apierr.Error {
	return apierr.InvalidRequest("", "This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.")
}

// invoicePaymentMethodID is the payment method an invoice charges by
// default, or "".
func invoicePaymentMethodID(c *Ctx, inv *Invoice) (string, error) {
	var s *Subscription
	if id := inv.subscription(); id != "" && inv.DefaultPaymentMethod == nil {
		var err error
		if s, err = view[Subscription](c, kindSubscription, id, "subscription"); err != nil {
			return "", err
		}
	}
	return defaultPaymentMethodID(c, inv.Customer, inv, s)
}

// defaultPaymentMethodID is the payment method Stripe charges by default,
// by its precedence: the invoice's default_payment_method, the
// subscription's, the customer's invoice_settings.default_payment_method;
// "" for none. inv and s may be nil. It is read at each attempt, so a
// retry charges the card set since.
func defaultPaymentMethodID(c *Ctx, customer string, inv *Invoice, s *Subscription) (string, error) {
	if inv != nil && inv.DefaultPaymentMethod != nil {
		return *inv.DefaultPaymentMethod, nil
	}
	if s != nil && s.DefaultPaymentMethod != nil {
		return *s.DefaultPaymentMethod, nil
	}
	cu, err := view[Customer](c, kindCustomer, customer, "customer")
	if err != nil {
		return "", err
	}
	if pm := cu.InvoiceSettings.DefaultPaymentMethod; pm != nil {
		return *pm, nil
	}
	return "", nil
}

// retryPolicy is the automatic retry schedule of inv and whether it is
// marked uncollectible when the last retry fails: a subscription's
// invoices follow the subscription settings, others the invoicing ones. A
// subscription's first invoice is not retried (an unpaid first invoice
// leaves the subscription incomplete until it expires).
func retryPolicy(c *Ctx, inv *Invoice) (schedule []time.Duration, markUncollectible bool) {
	if inv.subscription() == "" {
		cfg := c.e.invoicing()
		return cfg.RetrySchedule, cfg.MarkUncollectibleAfterRetries
	}
	if inv.BillingReason != nil && *inv.BillingReason == "subscription_create" {
		return nil, false
	}
	cfg := subscriptionsConfig(c)
	return cfg.RetrySchedule, cfg.MarkUncollectibleAfterRetries
}

// retriesExhausted reports, after a failed attempt, that automatic
// collection of inv is over: the schedule has no retry left.
func retriesExhausted(c *Ctx, inv *Invoice) bool {
	schedule, _ := retryPolicy(c, inv)
	return inv.NextPaymentAttempt == nil && inv.AttemptCount > int64(len(schedule))
}

// invoicePaymentMethod loads the payment method an attempt charges, nil when
// there is none.
func invoicePaymentMethod(c *Ctx, inv *Invoice, explicit string) (*PaymentMethod, error) {
	if explicit != "" {
		if _, magic := magicCard(magicPMPrefix, explicit); !magic {
			if err := requireAttached(c, explicit, inv.Customer, "payment_method"); err != nil {
				return nil, err
			}
		}
		return loadPaymentMethod(c, explicit, "payment_method")
	}
	id, err := invoicePaymentMethodID(c, inv)
	if err != nil || id == "" {
		return nil, err
	}
	return get[PaymentMethod](c, kindPaymentMethod, id, "default_payment_method")
}

// attemptPayment charges an open or uncollectible invoice. See the file
// comment.
func attemptPayment(c *Ctx, inv *Invoice, a PaymentAttempt) (*apierr.Error, error) {
	if s := inv.status(); s != invoiceOpen && s != invoiceUncollectible {
		return nil, errRefused(inv, "pay")
	}
	before := snapshotInvoice(c, inv)
	prevNext := inv.NextPaymentAttempt
	now, err := invoiceNow(c, inv)
	if err != nil {
		return nil, err
	}
	pm, err := invoicePaymentMethod(c, inv, a.PaymentMethod)
	if err != nil {
		return nil, err
	}
	if pm == nil && !a.Automatic {
		return nil, errInvoiceNoPaymentMethod()
	}
	pi, err := invoicePaymentIntent(c, inv, now)
	if err != nil {
		return nil, err
	}
	inv.Attempted = true
	if inv.AttemptCount == 0 || a.Automatic {
		inv.AttemptCount++
	}
	if err := scheduler.Cancel(c.Tx(), jobInvoiceRetry, inv.ID); err != nil {
		return nil, err
	}
	if pm == nil {
		if err := scheduleRetry(c, inv, prevNext, a, now); err != nil {
			return nil, err
		}
		return errInvoiceNoPaymentMethod(), paymentFailed(c, inv, before, nil, errInvoiceNoPaymentMethod())
	}
	decline := chargeError(pm)
	ch, err := recordCharge(c, pi, pm, decline, now)
	if err != nil {
		return nil, err
	}
	if decline == nil {
		return nil, paymentSucceeded(c, inv, before, pi, ch, now)
	}
	if err := scheduleRetry(c, inv, prevNext, a, now); err != nil {
		return nil, err
	}
	if err := c.emit("charge.failed", ch, nil); err != nil {
		return nil, err
	}
	if err := c.emit("payment_intent.payment_failed", pi, nil); err != nil {
		return nil, err
	}
	declined := declineAnswer(c, decline, ch, pi, pm)
	return declined, paymentFailed(c, inv, before, pi, declined)
}

// invoicePaymentIntent loads the invoice's payment intent, making one (and
// its invoice payment) when the invoice has none yet.
func invoicePaymentIntent(c *Ctx, inv *Invoice, now int64) (*PaymentIntent, error) {
	if inv.PaymentIntent == "" {
		pi, err := openInvoicePayment(c, inv, now)
		if err != nil {
			return nil, err
		}
		return pi, c.emit("payment_intent.created", pi, nil)
	}
	return get[PaymentIntent](c, kindPaymentIntent, inv.PaymentIntent, "payment_intent")
}

// scheduleRetry sets next_payment_attempt after a failed attempt: the next
// step of the retry schedule for automatic attempts of an auto-advancing
// charge_automatically invoice, none after the last (and then, if so
// configured, the invoice becomes uncollectible). A manual attempt leaves
// the schedule as it was.
func scheduleRetry(c *Ctx, inv *Invoice, prevNext *int64, a PaymentAttempt, now int64) error {
	if !a.Automatic {
		if next := prevNext; next != nil && *next > now {
			return c.schedule(jobInvoiceRetry, inv.ID, invoiceTimeline(inv), unixTime(*next))
		}
		inv.NextPaymentAttempt = nil
		return nil
	}
	inv.NextPaymentAttempt = nil
	if !inv.AutoAdvance || inv.CollectionMethod != chargeAutomatically {
		return nil
	}
	retries, _ := retryPolicy(c, inv)
	if k := int(inv.AttemptCount) - 1; k < len(retries) {
		next := now + int64(retries[k]/time.Second)
		inv.NextPaymentAttempt = &next
		return c.schedule(jobInvoiceRetry, inv.ID, invoiceTimeline(inv), unixTime(next))
	}
	return nil
}

func paymentSucceeded(c *Ctx, inv *Invoice, before json.RawMessage, pi *PaymentIntent, ch *Charge, now int64) error {
	ip, err := get[InvoicePayment](c, kindInvoicePayment, inv.InvoicePayment, "invoice_payment")
	if err != nil {
		return err
	}
	ip.Status = "paid"
	ip.AmountPaid = new(pi.Amount)
	ip.StatusTransitions.PaidAt = &now
	if err := saveInvoicePayment(c, ip); err != nil {
		return err
	}
	inv.AmountPaid += inv.AmountRemaining
	markPaid(inv, now)
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	// invoice.paid, invoice.payment_succeeded and invoice.updated carry
	// the same object: render it once.
	raw, err := c.render(inv)
	if err != nil {
		return err
	}
	for _, ev := range []struct {
		typ string
		obj any
	}{{"charge.succeeded", ch}, {"payment_intent.succeeded", pi}, {"invoice.paid", raw}, {"invoice.payment_succeeded", raw}, {"invoice_payment.paid", ip}} {
		if err := c.emit(ev.typ, ev.obj, nil); err != nil {
			return err
		}
	}
	if _, err := emitInvoiceUpdatedRaw(c, before, raw); err != nil {
		return err
	}
	if err := setDelinquent(c, inv.Customer, false); err != nil {
		return err
	}
	return notifyInvoice(c, inv, "invoice.paid", nil)
}

// paymentFailed saves a failed attempt and announces it; after the last
// automatic retry it may mark the invoice uncollectible. The observer hears
// of the failure last, once the invoice is settled, so that what it does
// (a subscription's final action) comes after the invoice's events.
func paymentFailed(c *Ctx, inv *Invoice, before json.RawMessage, pi *PaymentIntent, declined *apierr.Error) error {
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	if err := c.emit("invoice.payment_failed", inv, nil); err != nil {
		return err
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return err
	}
	if err := setDelinquent(c, inv.Customer, true); err != nil {
		return err
	}
	if _, mark := retryPolicy(c, inv); mark && inv.AutoAdvance && inv.status() == invoiceOpen && retriesExhausted(c, inv) {
		if err := markUncollectible(c, inv); err != nil {
			return err
		}
	}
	return notifyInvoice(c, inv, "invoice.payment_failed", declined)
}

// stopAutoAdvance turns automatic collection of a draft or open invoice
// off (auto_advance=false): no automatic finalization, no more retries.
// It saves inv and emits invoice.updated.
func stopAutoAdvance(c *Ctx, inv *Invoice) error {
	if !inv.AutoAdvance {
		return nil
	}
	before := snapshotInvoice(c, inv)
	if err := stopAutomaticCollection(c, inv); err != nil {
		return err
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	_, err := emitInvoiceUpdated(c, before, inv)
	return err
}

// stopAutomaticCollection clears what automatic collection planned for
// inv (auto_advance, automatic finalization, retries) and cancels those
// jobs and the other job kinds given. The caller saves inv.
func stopAutomaticCollection(c *Ctx, inv *Invoice, jobs ...string) error {
	inv.AutoAdvance = false
	inv.AutomaticallyFinalizesAt = nil
	inv.NextPaymentAttempt = nil
	for _, job := range append([]string{jobInvoiceFinalize, jobInvoiceRetry}, jobs...) {
		if err := scheduler.Cancel(c.Tx(), job, inv.ID); err != nil {
			return err
		}
	}
	return nil
}

// runInvoiceRetry is a scheduled payment attempt.
func runInvoiceRetry(c *Ctx, j store.Job) error {
	inv, err := loadInvoice(c, j.ObjectID, "invoice")
	if err != nil {
		return nil
	}
	if inv.status() != invoiceOpen || !inv.AutoAdvance || inv.NextPaymentAttempt == nil || *inv.NextPaymentAttempt != j.Due.Unix() {
		return nil // paid, voided or rescheduled since
	}
	_, err = attemptPayment(c, inv, PaymentAttempt{OffSession: true, Automatic: true})
	return err
}

func payInvoiceHandler(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "mandate", "source"); err != nil {
		return nil, err
	}
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	switch inv.status() {
	case invoiceDraft:
		// Paying a draft finalizes it first.
		if err := finalizeInvoice(c, inv); err != nil {
			return nil, err
		}
		if inv.status() == invoicePaid {
			return respond(c, inv)
		}
	case invoiceOpen, invoiceUncollectible:
	default:
		return nil, errRefused(inv, "pay")
	}
	if b, _ := p.Bool("paid_out_of_band"); b {
		if err := payOutOfBand(c, inv); err != nil {
			return nil, err
		}
		return respond(c, inv)
	}
	offSession := true
	if b, ok := p.Bool("off_session"); ok {
		offSession = b
	}
	declined, err := attemptPayment(c, inv, PaymentAttempt{PaymentMethod: p.Str("payment_method"), OffSession: offSession})
	if err != nil {
		return nil, err
	}
	if declined != nil {
		// The failed attempt stands; the caller hears the card error.
		c.after(func() error { return declined })
	}
	return respond(c, inv)
}

// payOutOfBand marks an open or uncollectible invoice paid outside Stripe.
func payOutOfBand(c *Ctx, inv *Invoice) error {
	before := snapshotInvoice(c, inv)
	now, err := invoiceNow(c, inv)
	if err != nil {
		return err
	}
	inv.AmountPaid += inv.AmountRemaining
	inv.AmountPaidOffStripe += inv.AmountRemaining
	return settleWithoutCharge(c, inv, before, now)
}

// settleWithoutCharge marks inv paid with nothing charged (paid out of
// band, or credited to zero by credit notes): retries stop, the payment
// intent and invoice payment are canceled, and the invoice's events are
// emitted. The caller has set the amounts; before is the invoice as it was.
func settleWithoutCharge(c *Ctx, inv *Invoice, before json.RawMessage, now int64) error {
	markPaid(inv, now)
	if err := scheduler.Cancel(c.Tx(), jobInvoiceRetry, inv.ID); err != nil {
		return err
	}
	pi, err := cancelInvoicePayment(c, inv, now, nil)
	if err != nil {
		return err
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	if pi != nil {
		if err := c.emit("payment_intent.canceled", pi, nil); err != nil {
			return err
		}
	}
	if err := c.emit("invoice.paid", inv, nil); err != nil {
		return err
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return err
	}
	if err := setDelinquent(c, inv.Customer, false); err != nil {
		return err
	}
	return notifyInvoice(c, inv, "invoice.paid", nil)
}

// cancelInvoicePayment cancels the invoice's payment intent (unless it
// succeeded) and its invoice payment; it returns the canceled intent.
func cancelInvoicePayment(c *Ctx, inv *Invoice, now int64, reason *string) (*PaymentIntent, error) {
	if inv.PaymentIntent == "" {
		return nil, nil
	}
	pi, err := get[PaymentIntent](c, kindPaymentIntent, inv.PaymentIntent, "payment_intent")
	if err != nil || pi.Status == "succeeded" || pi.Status == "canceled" {
		return nil, err
	}
	pi.Status = "canceled"
	pi.CanceledAt = &now
	pi.CancellationReason = reason
	if err := savePaymentIntent(c, pi); err != nil {
		return nil, err
	}
	ip, err := get[InvoicePayment](c, kindInvoicePayment, inv.InvoicePayment, "invoice_payment")
	if err != nil {
		return nil, err
	}
	ip.Status = "canceled"
	ip.StatusTransitions.CanceledAt = &now
	return pi, saveInvoicePayment(c, ip)
}

func voidInvoiceHandler(c *Ctx) (any, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if s := inv.status(); s != invoiceOpen && s != invoiceUncollectible {
		return nil, errRefused(inv, "void")
	}
	if err := voidInvoice(c, inv); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

// voidInvoice voids an open or uncollectible invoice: the balance and the
// billing credits it used go back, and its payment intent is canceled.
func voidInvoice(c *Ctx, inv *Invoice) error {
	before := snapshotInvoice(c, inv)
	now, err := invoiceNow(c, inv)
	if err != nil {
		return err
	}
	inv.setStatus(invoiceVoid)
	inv.StatusTransitions.VoidedAt = &now
	if err := stopAutomaticCollection(c, inv, jobInvoiceOverdue); err != nil {
		return err
	}
	// Billing credits it consumed go back to their grants.
	if err := reinstateCreditGrants(c, inv); err != nil {
		return err
	}
	var cu *Customer
	var cuBefore Customer
	if inv.AppliedBalance != 0 {
		if cu, err = get[Customer](c, kindCustomer, inv.Customer, "customer"); err != nil {
			return err
		}
		cuBefore = *cu
		id := inv.ID
		if _, err := adjustBalanceIn(c, cu, -inv.AppliedBalance, inv.Currency, "unapplied_from_invoice", &id, nil, nil); err != nil {
			return err
		}
		if err := saveCustomer(c, cu); err != nil {
			return err
		}
	}
	pi, err := cancelInvoicePayment(c, inv, now, new("void_invoice"))
	if err != nil {
		return err
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	if err := c.emit("invoice.voided", inv, nil); err != nil {
		return err
	}
	if pi != nil {
		if err := c.emit("payment_intent.canceled", pi, nil); err != nil {
			return err
		}
	}
	if cu != nil {
		if _, err := c.emitUpdated("customer.updated", &cuBefore, cu); err != nil {
			return err
		}
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return err
	}
	// A voided invoice is no longer owed, as when marked uncollectible.
	if err := setDelinquent(c, inv.Customer, false); err != nil {
		return err
	}
	return notifyInvoice(c, inv, "invoice.voided", nil)
}

func markUncollectibleHandler(c *Ctx) (any, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if inv.status() != invoiceOpen {
		return nil, errRefused(inv, "mark_uncollectible")
	}
	if err := markUncollectible(c, inv); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

// markUncollectible marks an open invoice uncollectible.
func markUncollectible(c *Ctx, inv *Invoice) error {
	before := snapshotInvoice(c, inv)
	now, err := invoiceNow(c, inv)
	if err != nil {
		return err
	}
	inv.setStatus(invoiceUncollectible)
	inv.StatusTransitions.MarkedUncollectibleAt = &now
	if err := stopAutomaticCollection(c, inv, jobInvoiceOverdue); err != nil {
		return err
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	if err := c.emit("invoice.marked_uncollectible", inv, nil); err != nil {
		return err
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return err
	}
	if err := setDelinquent(c, inv.Customer, false); err != nil {
		return err
	}
	return notifyInvoice(c, inv, "invoice.marked_uncollectible", nil)
}

func sendInvoiceHandler(c *Ctx) (any, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if inv.CollectionMethod != sendInvoice {
		return nil, apierr.New(http.StatusBadRequest, apierr.TypeInvalidRequest, "", "", "You can only manually send an invoice if its collection method is 'send_invoice'.")
	}
	switch inv.status() {
	case invoiceDraft:
		if err := finalizeInvoice(c, inv); err != nil {
			return nil, err
		}
	case invoiceVoid:
		return nil, errRefused(inv, "send")
	}
	if err := c.emit("invoice.sent", inv, nil); err != nil {
		return nil, err
	}
	return respond(c, inv)
}
