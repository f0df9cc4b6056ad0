package resources

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Subscriptions through time. Each subscription has at most one job of
// each kind below, on its customer's timeline (the fake's clock or a test
// clock), so the cost of advancing is one job per renewal, never a scan of
// all subscriptions, and skipping years costs the renewals in them, not the
// time skipped.
const (
	jobSubPeriodEnd        = "subscription.period_end"        // trial end, renewal, cancel at period end / cancel_at
	jobSubTrialWillEnd     = "subscription.trial_will_end"    // trial_end − lead
	jobSubIncompleteExpire = "subscription.incomplete_expire" // created + 23 h
	jobSubCollect          = "subscription.collect"           // a payment attempt: first renewal attempt and dunning retries
	jobSubResumeCollection = "subscription.resume_collection" // pause_collection.resumes_at
)

// SubscriptionsConfig is the account-level Billing settings that decide
// what subscriptions do through time.
type SubscriptionsConfig struct {
	// RetryDelays are when automatic collection retries a failed invoice,
	// each measured from the first failed attempt. Default: Smart Retries'
	// recommended "8 tries within 2 weeks", made deterministic: the first
	// attempt then seven retries every 2 days.
	RetryDelays []time.Duration
	// FinalAction is what happens to the subscription when the last retry
	// fails: "cancel" (default), "unpaid" or "past_due" (leave it).
	FinalAction string
	// InvoiceFinalAction is what happens to the invoice then: "past_due"
	// (leave it open; default) or "mark_uncollectible".
	InvoiceFinalAction string
	// TrialWillEndLead is how long before trial_end
	// customer.subscription.trial_will_end is sent. Default 3 days.
	TrialWillEndLead time.Duration
	// IncompleteExpiry is how long an incomplete subscription waits for its
	// first payment before becoming incomplete_expired. Default 23 hours.
	IncompleteExpiry time.Duration
	// FinalizeDelay is how long a renewal invoice stays draft before it is
	// finalized and charged (Stripe: an hour after creation without
	// webhooks). Default 1 hour.
	FinalizeDelay time.Duration
}

// DefaultSubscriptionsConfig returns Stripe's defaults.
func DefaultSubscriptionsConfig() SubscriptionsConfig {
	delays := make([]time.Duration, 7)
	for i := range delays {
		delays[i] = time.Duration(i+1) * 48 * time.Hour
	}
	return SubscriptionsConfig{
		RetryDelays: delays, FinalAction: "cancel", InvoiceFinalAction: "past_due",
		TrialWillEndLead: 72 * time.Hour, IncompleteExpiry: 23 * time.Hour, FinalizeDelay: time.Hour,
	}
}

func subscriptionsConfig(c *Ctx) SubscriptionsConfig { return c.e.cfg.Subscriptions }

func registerSubscriptionJobs(e *Engine) {
	e.job(jobSubPeriodEnd, subscriptionJob(runPeriodEnd))
	e.job(jobSubTrialWillEnd, subscriptionJob(runTrialWillEnd))
	e.job(jobSubIncompleteExpire, subscriptionJob(runIncompleteExpire))
	e.job(jobSubCollect, subscriptionJob(runCollect))
	e.job(jobSubResumeCollection, subscriptionJob(runResumeCollection))
	e.onTestClockLimit(subscriptionClockLimit)
	e.onTestClockDelete(deleteClockSubscriptions)
}

// subscriptionJob loads the job's subscription and its customer for fn; a
// job whose subscription is gone does nothing.
func subscriptionJob(fn func(c *Ctx, s *Subscription, cu *Customer) error) JobFunc {
	return func(c *Ctx, j store.Job) error {
		var s Subscription
		if err := c.load(kindSubscription, j.ObjectID, &s); err != nil {
			if err == store.ErrNotFound {
				return nil
			}
			return err
		}
		var cu Customer
		if err := c.load(kindCustomer, s.Customer, &cu); err != nil {
			return err
		}
		return fn(c, &s, &cu)
	}
}

// clearJob removes s's job of kind.
func clearJob(c *Ctx, kind, subID string) error { return clockwork.Cancel(c.tx, kind, subID) }

// scheduleSubscription (re)schedules s's period end.
func scheduleSubscription(c *Ctx, s *Subscription, now time.Time) error {
	if err := clearJob(c, jobSubPeriodEnd, s.ID); err != nil {
		return err
	}
	if s.ended() || s.Status == "paused" {
		return nil
	}
	if err := clearJob(c, jobSubResumeCollection, s.ID); err != nil {
		return err
	}
	if s.PauseCollection != nil && s.PauseCollection.ResumesAt != nil {
		if err := c.schedule(jobSubResumeCollection, s.ID, s.Timeline(), time.Unix(*s.PauseCollection.ResumesAt, 0).UTC()); err != nil {
			return err
		}
	}
	return c.schedule(jobSubPeriodEnd, s.ID, s.Timeline(), time.Unix(s.periodEnd(), 0).UTC())
}

// scheduleTrialWillEnd schedules customer.subscription.trial_will_end, or
// sends it now when the trial ends sooner than the lead.
func scheduleTrialWillEnd(c *Ctx, s *Subscription, now time.Time) error {
	if err := clearJob(c, jobSubTrialWillEnd, s.ID); err != nil {
		return err
	}
	if s.TrialEnd == nil {
		return nil
	}
	due := time.Unix(*s.TrialEnd, 0).UTC().Add(-subscriptionsConfig(c).TrialWillEndLead)
	if !due.After(now) {
		return c.emit("customer.subscription.trial_will_end", s, nil)
	}
	return c.schedule(jobSubTrialWillEnd, s.ID, s.Timeline(), due)
}

// unscheduleSubscription drops every job of s.
func unscheduleSubscription(c *Ctx, s *Subscription) error {
	for _, k := range []string{jobSubPeriodEnd, jobSubTrialWillEnd, jobSubIncompleteExpire, jobSubCollect, jobSubResumeCollection} {
		if err := clearJob(c, k, s.ID); err != nil {
			return err
		}
	}
	return nil
}

// ---- Jobs ----

func runTrialWillEnd(c *Ctx, s *Subscription, _ *Customer) error {
	if s.Status != "trialing" {
		return nil
	}
	return c.emit("customer.subscription.trial_will_end", s, nil)
}

// runPeriodEnd is the end of the current period: the subscription cancels
// (cancel_at_period_end, cancel_at), its trial ends, or it renews.
func runPeriodEnd(c *Ctx, s *Subscription, cu *Customer) error {
	now := c.Now()
	if s.ended() || s.Status == "paused" || now.Unix() != s.periodEnd() {
		return nil // stale
	}
	if s.CancelAtPeriodEnd || (s.CancelAt != nil && *s.CancelAt <= now.Unix()) {
		if len(s.PendingProrations) > 0 {
			if _, err := billPending(c, s, cu, now); err != nil {
				return err
			}
		}
		return cancelSubscription(c, s, now, "cancellation_requested")
	}
	if s.Status == "incomplete" {
		return nil // expires instead
	}
	before := cloneSubscription(s)
	iv := s.interval()
	anchor := s.anchorRef()
	reason := "subscription_cycle"
	if s.Status == "trialing" {
		if s.CollectionMethod == "charge_automatically" && paymentMethodFor(c, s, cu) == nil {
			switch s.TrialSettings.EndBehavior.MissingPaymentMethod {
			case "cancel":
				return cancelSubscription(c, s, now, "cancellation_requested")
			case "pause":
				s.Status = "paused"
				if err := unscheduleSubscription(c, s); err != nil {
					return err
				}
				if err := saveSubscription(c, s); err != nil {
					return err
				}
				if err := c.emit("customer.subscription.paused", s, nil); err != nil {
					return err
				}
				_, err := emitSubscriptionUpdated(c, before, s)
				return err
			}
		}
		s.Status = "active"
	}
	start := now
	end := iv.Boundary(anchor, iv.Index(anchor, now)+1)
	s.setPeriod(start.Unix(), end.Unix())
	capAtCancel(s)
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	if _, err := emitSubscriptionUpdated(c, before, s); err != nil {
		return err
	}
	lines := make([]subscriptionLine, 0, len(s.Items.Data))
	for _, it := range s.Items.Data {
		amount := itemAmount(it)
		if s.periodEnd() < end.Unix() {
			// A cancel_at inside the new period bills only up to it.
			amount = Prorate(amount, end.Add(-time.Duration(s.periodEnd()-start.Unix())*time.Second), start, end)
		}
		lines = append(lines, itemLine(it, amount, s.periodStart(), s.periodEnd(), false))
	}
	res, err := billSubscription(c, billingRun{sub: s, cu: cu, reason: reason, lines: lines, at: now})
	if err != nil {
		return err
	}
	if res.invoice != "" {
		s.LatestInvoice = &res.invoice
	}
	if err := scheduleSubscription(c, s, now); err != nil {
		return err
	}
	return saveSubscription(c, s)
}

// runIncompleteExpire ends a subscription whose first invoice was never
// paid: incomplete_expired, the invoice voided.
func runIncompleteExpire(c *Ctx, s *Subscription, _ *Customer) error {
	if s.Status != "incomplete" {
		return nil
	}
	before := cloneSubscription(s)
	if err := voidSubscriptionInvoice(c, s); err != nil {
		return err
	}
	now := c.Now().Unix()
	s.Status = "incomplete_expired"
	s.EndedAt = &now
	s.Dunning = nil
	if err := unscheduleSubscription(c, s); err != nil {
		return err
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// runCollect is an automatic payment attempt of the subscription's open
// invoice: the first one after finalization, or a dunning retry.
func runCollect(c *Ctx, s *Subscription, cu *Customer) error {
	if s.Dunning == nil || s.ended() {
		return nil
	}
	paid, decline, err := attemptSubscriptionPayment(c, s, cu)
	if err != nil {
		return err
	}
	if paid {
		return subscriptionInvoicePaid(c, s, c.Now())
	}
	_, err = subscriptionPaymentFailed(c, s, c.Now(), decline)
	return err
}

func runResumeCollection(c *Ctx, s *Subscription, _ *Customer) error {
	if s.PauseCollection == nil || s.PauseCollection.ResumesAt == nil || *s.PauseCollection.ResumesAt > c.Now().Unix() {
		return nil
	}
	before := cloneSubscription(s)
	s.PauseCollection = nil
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// ---- Payment outcomes ----

// subscriptionInvoicePaid records that s's open invoice was paid: a
// subscription waiting for payment (incomplete, past_due, unpaid) becomes
// active (or trialing), and dunning stops. s is saved.
func subscriptionInvoicePaid(c *Ctx, s *Subscription, now time.Time) error {
	before := cloneSubscription(s)
	s.Dunning = nil
	for _, k := range []string{jobSubCollect, jobSubIncompleteExpire} {
		if err := clearJob(c, k, s.ID); err != nil {
			return err
		}
	}
	switch s.Status {
	case "incomplete", "past_due", "unpaid":
		s.Status = statusAfterPayment(s, now)
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	if s.Status == before.Status {
		return nil // a renewal paid on time changes nothing that renders
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// subscriptionPaymentFailed records a failed automatic attempt on s's open
// invoice: past_due, and the next retry of the schedule, or the final
// action once the schedule is exhausted. It returns when the next attempt
// will run (nil for none), for the invoice's next_payment_attempt. s is
// saved.
func subscriptionPaymentFailed(c *Ctx, s *Subscription, now time.Time, decline *apierr.Error) (*time.Time, error) {
	before := cloneSubscription(s)
	if s.Dunning == nil {
		s.Dunning = &subscriptionDunning{}
	}
	s.Dunning.Attempts++
	if s.Dunning.Attempts == 1 {
		s.Dunning.FirstFailure = now.Unix()
	}
	if s.Status == "incomplete" {
		// The first invoice is not retried: the subscription expires.
		return nil, saveSubscription(c, s)
	}
	if s.Status == "active" || s.Status == "trialing" {
		s.Status = "past_due"
	}
	cfg := subscriptionsConfig(c)
	var next *time.Time
	// The schedule runs on even without a payment method: such an attempt
	// simply fails, and one attached meanwhile is used.
	if k := s.Dunning.Attempts - 1; k < len(cfg.RetryDelays) {
		at := time.Unix(s.Dunning.FirstFailure, 0).UTC().Add(cfg.RetryDelays[k])
		if at.Before(now) {
			at = now
		}
		next = &at
		if err := clearJob(c, jobSubCollect, s.ID); err != nil {
			return nil, err
		}
		if err := c.schedule(jobSubCollect, s.ID, s.Timeline(), at); err != nil {
			return nil, err
		}
	} else {
		if cfg.InvoiceFinalAction == "mark_uncollectible" {
			if err := markSubscriptionInvoiceUncollectible(c, s); err != nil {
				return nil, err
			}
		}
		s.Dunning = nil
		switch cfg.FinalAction {
		case "unpaid":
			s.Status = "unpaid"
		case "past_due":
		default:
			if err := saveSubscription(c, s); err != nil {
				return nil, err
			}
			if _, err := emitSubscriptionUpdated(c, before, s); err != nil {
				return nil, err
			}
			return nil, cancelSubscription(c, s, now, "payment_failed")
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return next, err
}

// paymentMethodFor is the payment method s is charged with: its own
// default, else its customer's invoice default; nil for none.
func paymentMethodFor(c *Ctx, s *Subscription, cu *Customer) *PaymentMethod {
	id := ""
	if s.DefaultPaymentMethod != nil {
		id = *s.DefaultPaymentMethod
	} else {
		if cu == nil {
			var err error
			if cu, err = get[Customer](c, kindCustomer, s.Customer, "customer"); err != nil {
				return nil
			}
		}
		if cu.InvoiceSettings.DefaultPaymentMethod != nil {
			id = *cu.InvoiceSettings.DefaultPaymentMethod
		}
	}
	if id == "" {
		return nil
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, id, "default_payment_method")
	if err != nil {
		return nil
	}
	return pm
}

// errNoPaymentMethod is what charging a customer without a payment method
// answers.
func errNoPaymentMethod() *apierr.Error {
	return apierr.Invalid("resource_missing", "", "This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.")
}

// predictFirstStatus is the status the first invoice's payment will give
// a new subscription.
func predictFirstStatus(c *Ctx, s *Subscription, cu *Customer, lines []subscriptionLine, behavior string, now time.Time) string {
	due := amountDue(cu, total(lines))
	switch {
	case len(lines) == 0 || due == 0 || s.CollectionMethod == "send_invoice":
		return statusAfterPayment(s, now)
	case behavior == "default_incomplete":
		return "incomplete"
	}
	pm := paymentMethodFor(c, s, cu)
	if pm == nil || chargeError(pm) != nil {
		return "incomplete"
	}
	return statusAfterPayment(s, now)
}

// amountDue is what a subscription invoice of total leaves to charge after
// the customer's credit balance.
func amountDue(cu *Customer, total int64) int64 {
	if cu.Balance < 0 {
		total += cu.Balance
	}
	return max(total, 0)
}

// ---- Test clocks ----

// subscriptionClockLimit: a clock may advance at most two intervals of the
// shortest subscription on it.
func subscriptionClockLimit(c *Ctx, tc *TestClock) (time.Time, bool, error) {
	subs, err := scan(c, kindSubscription, "test_clock="+tc.ID, func(s *Subscription) bool { return !s.ended() })
	if err != nil {
		return time.Time{}, false, err
	}
	from := time.Unix(tc.FrozenTime, 0).UTC()
	var limit time.Time
	for _, s := range subs {
		l := s.interval().Boundary(from, 2)
		if limit.IsZero() || l.Before(limit) {
			limit = l
		}
	}
	return limit, !limit.IsZero(), nil
}

// deleteClockSubscriptions cancels the subscriptions on a deleted clock and
// removes them.
func deleteClockSubscriptions(c *Ctx, clockID string) error {
	subs, err := scan[Subscription](c, kindSubscription, "test_clock="+clockID, nil)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if !s.ended() {
			if err := unscheduleSubscription(c, s); err != nil {
				return err
			}
			now, err := c.timeFor(clockID)
			if err != nil {
				return err
			}
			at := now.Unix()
			s.Status, s.CanceledAt, s.EndedAt = "canceled", &at, &at
			s.CancellationDetails.Reason = new("cancellation_requested")
			if err := c.emit("customer.subscription.deleted", s, nil); err != nil {
				return err
			}
		}
		for _, it := range s.Items.Data {
			if err := c.tx.Delete(kindSubscriptionItem, it.ID); err != nil && err != store.ErrNotFound {
				return err
			}
		}
		if err := c.tx.Delete(kindSubscription, s.ID); err != nil {
			return err
		}
	}
	return nil
}

// ---- Invoicing ----
//
// Everything a subscription asks of invoicing goes through the functions
// below. Invoices (resources/invoice*.go) are not in the build yet, so
// these stand in for them: amounts and payment outcomes are exactly what
// the invoice would produce (lines, customer credit, the payment method's
// charge result), but no invoice object is created, latest_invoice stays
// null and prorations wait in the subscription until its next bill.

// subscriptionLine is one line a subscription bills.
type subscriptionLine struct {
	Item        string `json:"item,omitempty"`
	Price       string `json:"price,omitempty"`
	Quantity    int64  `json:"quantity"`
	Amount      int64  `json:"amount"`
	Start       int64  `json:"start"`
	End         int64  `json:"end"`
	Proration   bool   `json:"proration,omitempty"`
	Description string `json:"description"`
}

// billingRun is one subscription invoice to make.
type billingRun struct {
	sub         *Subscription
	cu          *Customer
	reason      string // billing_reason: subscription_create | subscription_cycle | subscription_update
	lines       []subscriptionLine
	at          time.Time
	finalizeNow bool // finalize (and attempt payment) inside this call, not an hour later
	attempt     bool // with finalizeNow: attempt payment (false for default_incomplete)
	withPending bool // include pending prorations (always included today)
}

type billingResult struct {
	invoice   string
	amountDue int64
	paid      bool
	decline   *apierr.Error // why it is unpaid after an attempt
}

func itemLine(it *SubscriptionItem, amount, start, end int64, proration bool) subscriptionLine {
	return subscriptionLine{
		Item: it.ID, Price: it.Price.ID, Quantity: it.quantity(), Amount: amount, Start: start, End: end,
		Proration: proration, Description: itemLabel(it),
	}
}

// itemLabel is "2 × Product (at $10.00 / month)" without the price part.
func itemLabel(it *SubscriptionItem) string {
	return fmt.Sprintf("%d × %s", it.quantity(), it.Price.Product)
}

// firstInvoiceLines are the lines of a new subscription's first invoice:
// zero during a trial, the stub up to a future anchor prorated (none with
// proration_behavior=none), else the first full period.
func firstInvoiceLines(c *Ctx, s *Subscription, anchor time.Time, proration string) ([]subscriptionLine, error) {
	iv := s.interval()
	ref := s.anchorRef()
	prev, next := iv.Boundary(ref, iv.Index(ref, anchor)-1), iv.Next(ref, anchor)
	start, end := s.periodStart(), s.periodEnd()
	lines := make([]subscriptionLine, 0, len(s.Items.Data))
	for _, it := range s.Items.Data {
		amount := itemAmount(it)
		switch {
		case s.Status == "trialing":
			amount = 0
		case anchor.Unix() > start:
			if proration == "none" {
				continue
			}
			amount = Prorate(amount, time.Unix(start, 0), prev, anchor)
		case end < next.Unix():
			// cancel_at inside the first period.
			amount = Prorate(amount, next.Add(-time.Duration(end-start)*time.Second), anchor, next)
		}
		lines = append(lines, itemLine(it, amount, start, end, false))
	}
	return lines, nil
}

// addInvoiceItemLines are add_invoice_items: one-time prices billed on the
// first invoice.
func addInvoiceItemLines(c *Ctx, s *Subscription, p Params, now time.Time) ([]subscriptionLine, error) {
	list := p.List("add_invoice_items")
	if len(list) > 20 {
		return nil, apierr.InvalidRequest("add_invoice_items", "You can only add up to 20 invoice items.")
	}
	var out []subscriptionLine
	for _, ip := range list {
		if err := unsupported(ip, "discounts", "tax_rates", "period", "discountable"); err != nil {
			return nil, err
		}
		var pr *Price
		var err error
		switch {
		case ip.Has("price"):
			if pr, err = loadPrice(c, ip.Str("price"), ip.Path("price")); err != nil {
				return nil, err
			}
		case ip.Has("price_data"):
			pd, _ := ip.Map("price_data")
			product, err := pd.Require("product")
			if err != nil {
				return nil, err
			}
			if _, err := loadProduct(c, product, pd.Path("product")); err != nil {
				return nil, err
			}
			if pr, err = newPrice(c, pd, product); err != nil {
				return nil, err
			}
			pr.Active = false
			if err := savePrice(c, pr); err != nil {
				return nil, err
			}
		default:
			return nil, apierr.MissingParam(ip.Path("price"))
		}
		if pr.Recurring != nil {
			return nil, apierr.InvalidRequest(ip.Path("price"), "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.")
		}
		if pr.Currency != s.Currency {
			return nil, apierr.InvalidRequest(ip.Path("price"), "The price currency must match the subscription currency.")
		}
		q := int64(1)
		if n, ok := ip.Int("quantity"); ok {
			q = n
		}
		out = append(out, subscriptionLine{Price: pr.ID, Quantity: q, Amount: priceAmount(pr, q), Start: now.Unix(), End: now.Unix(), Description: pr.Product})
	}
	return out, nil
}

// addProrations keeps proration lines for s's next invoice.
func addProrations(c *Ctx, s *Subscription, lines []subscriptionLine) error {
	s.PendingProrations = append(s.PendingProrations, lines...)
	return nil
}

// dropPendingProrations forgets s's pending prorations (cancel without
// invoice_now or prorate).
func dropPendingProrations(c *Ctx, s *Subscription) error {
	s.PendingProrations = nil
	return nil
}

// billPending invoices s's pending prorations now (cancel with invoice_now,
// a final invoice at period end).
func billPending(c *Ctx, s *Subscription, cu *Customer, now time.Time) (billingResult, error) {
	if len(s.PendingProrations) == 0 {
		return billingResult{}, nil
	}
	return billSubscription(c, billingRun{sub: s, cu: cu, reason: "subscription_update", at: now, finalizeNow: true, attempt: true, withPending: true})
}

// billSubscription makes the invoice of run. Pending prorations join it.
// With finalizeNow the invoice is finalized and, when attempt is set and
// the subscription charges automatically, paid or declined before it
// returns; otherwise it is finalized and charged FinalizeDelay later by a
// collect job.
func billSubscription(c *Ctx, run billingRun) (billingResult, error) {
	s, cu := run.sub, run.cu
	lines := append(append([]subscriptionLine{}, run.lines...), s.PendingProrations...)
	s.PendingProrations = nil
	due := amountDue(cu, total(lines))
	res := billingResult{amountDue: due}
	if due == 0 {
		res.paid = true
		return res, nil
	}
	if s.CollectionMethod == "send_invoice" {
		return res, nil // emailed; paid out of band
	}
	if s.Status == "unpaid" || s.PauseCollection != nil {
		return res, nil // created but not attempted
	}
	s.Dunning = &subscriptionDunning{}
	if !run.finalizeNow {
		if err := clearJob(c, jobSubCollect, s.ID); err != nil {
			return res, err
		}
		return res, c.schedule(jobSubCollect, s.ID, s.Timeline(), run.at.Add(subscriptionsConfig(c).FinalizeDelay))
	}
	if !run.attempt {
		return res, nil
	}
	paid, decline, err := attemptSubscriptionPayment(c, s, cu)
	if err != nil {
		return res, err
	}
	res.paid, res.decline = paid, decline
	if paid {
		s.Dunning = nil
		return res, nil
	}
	if run.reason != "subscription_create" {
		if _, err := subscriptionPaymentFailed(c, s, run.at, decline); err != nil {
			return res, err
		}
	} else {
		s.Dunning.Attempts = 1
		s.Dunning.FirstFailure = run.at.Unix()
	}
	return res, nil
}

// attemptSubscriptionPayment charges s's open amount off-session.
func attemptSubscriptionPayment(c *Ctx, s *Subscription, cu *Customer) (bool, *apierr.Error, error) {
	pm := paymentMethodFor(c, s, cu)
	if pm == nil {
		return false, errNoPaymentMethod(), nil
	}
	if decline := chargeError(pm); decline != nil {
		return false, decline, nil
	}
	return true, nil, nil
}

// voidSubscriptionInvoice voids s's open invoice (incomplete expiry).
func voidSubscriptionInvoice(c *Ctx, s *Subscription) error {
	s.Dunning = nil
	return nil
}

// markSubscriptionInvoiceUncollectible marks s's open invoice
// uncollectible (final dunning action).
func markSubscriptionInvoiceUncollectible(c *Ctx, s *Subscription) error { return nil }

// stopInvoiceCollection turns off automatic collection of s's open and
// draft invoices (cancellation).
func stopInvoiceCollection(c *Ctx, s *Subscription) error {
	s.Dunning = nil
	return nil
}

// onSubscriptionInvoicePaid is subscriptionInvoicePaid by ID, for
// invoicing to call when an invoice whose parent is subscription subID
// becomes paid (automatically, by POST /pay, or out of band).
func onSubscriptionInvoicePaid(c *Ctx, subID string) error {
	s, err := loadSubscription(c, subID, "subscription")
	if err != nil {
		return err
	}
	cu, err := get[Customer](c, kindCustomer, s.Customer, "customer")
	if err != nil {
		return err
	}
	now, err := c.nowFor(cu)
	if err != nil {
		return err
	}
	return subscriptionInvoicePaid(c, s, now)
}

// onSubscriptionPaymentFailed is subscriptionPaymentFailed by ID, for
// invoicing to call after a failed automatic attempt on an invoice of
// subscription subID. It returns the invoice's next_payment_attempt.
func onSubscriptionPaymentFailed(c *Ctx, subID string, decline *apierr.Error) (*time.Time, error) {
	s, err := loadSubscription(c, subID, "subscription")
	if err != nil {
		return nil, err
	}
	cu, err := get[Customer](c, kindCustomer, s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now, err := c.nowFor(cu)
	if err != nil {
		return nil, err
	}
	return subscriptionPaymentFailed(c, s, now, decline)
}
