package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Subscriptions through time. Each subscription has at most one job of
// each kind below, on its customer's timeline (the fake's clock or a test
// clock), so the cost of advancing is one job per renewal, never a scan of
// all subscriptions, and skipping years costs the renewals in them, not the
// time skipped.
//
// Subscriptions bill through real invoices (invoice*.go): a renewal makes
// an auto-advancing draft that invoicing finalizes and charges an hour
// later (InvoicingConfig.FinalizationDelay) and retries on failure
// (retryPolicy, on SubscriptionsConfig's schedule). What an invoice's
// payment means for its subscription — active, past_due, incomplete, the
// final action after the last retry — is decided in one place,
// observeSubscriptionInvoice, whoever made the attempt: a subscription
// request, a scheduled job or the invoice API.
const (
	jobSubPeriodEnd        = "subscription.period_end"        // trial end, renewal, cancel at period end / cancel_at
	jobSubTrialWillEnd     = "subscription.trial_will_end"    // trial_end − lead
	jobSubIncompleteExpire = "subscription.incomplete_expire" // created + 23 h
	jobSubResumeCollection = "subscription.resume_collection" // pause_collection.resumes_at
	jobSubInvoiceUpcoming  = "subscription.invoice_upcoming"  // period end − UpcomingInvoiceLead
)

func subscriptionsConfig(c *Ctx) SubscriptionsConfig { return c.e.cfg.Subscriptions }

func registerSubscriptionJobs(e *Engine) {
	e.job(jobSubPeriodEnd, subscriptionJob(runPeriodEnd))
	e.job(jobSubTrialWillEnd, subscriptionJob(runTrialWillEnd))
	e.job(jobSubIncompleteExpire, subscriptionJob(runIncompleteExpire))
	e.job(jobSubResumeCollection, subscriptionJob(runResumeCollection))
	e.job(jobSubInvoiceUpcoming, subscriptionJob(runInvoiceUpcoming))
	e.onTestClockLimit(subscriptionClockLimit)
	e.onTestClockDelete(deleteClockSubscriptions)
}

func init() { invoiceObserver = observeSubscriptionInvoice }

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
		if err := withItemTiers(c, &s); err != nil {
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
func clearJob(c *Ctx, kind, subID string) error { return scheduler.Cancel(c.tx, kind, subID) }

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
	if err := scheduleInvoiceUpcoming(c, s, now); err != nil {
		return err
	}
	return c.schedule(jobSubPeriodEnd, s.ID, s.Timeline(), time.Unix(s.periodEnd(), 0).UTC())
}

// scheduleInvoiceUpcoming schedules invoice.upcoming UpcomingInvoiceLead
// before s's next renewal, when that renewal makes an invoice charged
// automatically and the moment is still ahead.
func scheduleInvoiceUpcoming(c *Ctx, s *Subscription, now time.Time) error {
	if err := clearJob(c, jobSubInvoiceUpcoming, s.ID); err != nil {
		return err
	}
	lead := subscriptionsConfig(c).UpcomingInvoiceLead
	due := time.Unix(s.periodEnd(), 0).UTC().Add(-lead)
	if lead <= 0 || !renews(s) || !due.After(now) {
		return nil
	}
	return c.schedule(jobSubInvoiceUpcoming, s.ID, s.Timeline(), due)
}

// renews reports whether s's current period ends in a renewal invoice
// charged automatically (not a cancellation).
func renews(s *Subscription) bool {
	return !s.ended() && s.Status != "paused" && s.Status != "incomplete" && s.CollectionMethod == chargeAutomatically &&
		!s.CancelAtPeriodEnd && (s.CancelAt == nil || *s.CancelAt > s.periodEnd())
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

// scheduleIncompleteExpiry schedules the end of an incomplete
// subscription, IncompleteExpiry after its creation.
func scheduleIncompleteExpiry(c *Ctx, s *Subscription) error {
	if err := clearJob(c, jobSubIncompleteExpire, s.ID); err != nil {
		return err
	}
	due := time.Unix(s.Created, 0).UTC().Add(subscriptionsConfig(c).IncompleteExpiry)
	return c.schedule(jobSubIncompleteExpire, s.ID, s.Timeline(), due)
}

// unscheduleSubscription drops every job of s.
func unscheduleSubscription(c *Ctx, s *Subscription) error {
	for _, k := range []string{jobSubPeriodEnd, jobSubTrialWillEnd, jobSubIncompleteExpire, jobSubResumeCollection, jobSubInvoiceUpcoming} {
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

// runInvoiceUpcoming sends invoice.upcoming: the renewal invoice as a
// preview renders it (renderUpdate, with no change), without an ID, as
// Stripe's payload has none.
func runInvoiceUpcoming(c *Ctx, s *Subscription, _ *Customer) error {
	now := c.Now()
	if !renews(s) || now.Add(subscriptionsConfig(c).UpcomingInvoiceLead).Unix() != s.periodEnd() {
		return nil // stale
	}
	u, err := planUpdate(c, s, Params{}, func(time.Time) error { return nil })
	if err != nil {
		return err
	}
	inv, err := renderUpdate(c, u, Params{})
	if err != nil {
		return err
	}
	raw, err := c.render(inv)
	if err != nil {
		return err
	}
	raw, err = withoutID(raw, false)
	if err != nil {
		return err
	}
	return c.emit("invoice.upcoming", json.RawMessage(raw), nil)
}

// withoutID returns the rendered object raw as an upcoming invoice shows
// it, with no ID: its id null (the invoice.upcoming event), or left out
// (drop: GET /v1/invoices/upcoming, whose 2023-10-16 spec says the id "is
// always present unless the invoice is an upcoming invoice"). Rendering
// puts "id" first, so only that member changes; anything else goes
// through a decode.
func withoutID(raw []byte, drop bool) ([]byte, error) {
	const prefix = `{"id":"`
	if bytes.HasPrefix(raw, []byte(prefix)) {
		if end := bytes.IndexByte(raw[len(prefix):], '"'); end >= 0 && bytes.IndexByte(raw[len(prefix):len(prefix)+end], '\\') < 0 {
			rest := raw[len(prefix)+end+1:]
			if !drop {
				return append([]byte(`{"id":null`), rest...), nil
			}
			if len(rest) > 0 && rest[0] == ',' {
				rest = rest[1:]
			}
			return append([]byte(`{`), rest...), nil
		}
	}
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return nil, err
	}
	if drop {
		delete(obj, "id")
	} else {
		obj["id"] = nil
	}
	return json.Marshal(obj)
}

// runPeriodEnd is the end of the current period: the subscription cancels
// (cancel_at_period_end, cancel_at), its trial ends, or it renews. A
// renewal moves the period (customer.subscription.updated, naming the new
// latest_invoice) and makes the renewal invoice, a draft that invoicing
// finalizes and charges FinalizationDelay later.
func runPeriodEnd(c *Ctx, s *Subscription, cu *Customer) error {
	now := c.Now()
	if s.ended() || s.Status == "paused" || now.Unix() != s.periodEnd() {
		return nil // stale
	}
	// A schedule's phase that ends now changes the subscription first, so
	// the renewal bills the next phase.
	if ran, err := scheduleBeforeRenewal(c, s, now); err != nil {
		return err
	} else if ran {
		fresh, err := loadSubscription(c, s.ID, "subscription")
		if err != nil {
			return err
		}
		*s = *fresh
		if s.ended() || s.Status == "paused" || now.Unix() != s.periodEnd() {
			return nil // the phase change renewed or ended it
		}
	}
	if s.CancelAtPeriodEnd || (s.CancelAt != nil && *s.CancelAt <= now.Unix()) {
		// Pending items and prorations are still invoiced, with the usage
		// of the period that just ended.
		usage, err := arrearsLines(c, s, s.periodStart(), s.periodEnd())
		if err != nil {
			return err
		}
		if _, err := billPending(c, s, cu, "subscription_cycle", usage); err != nil {
			return err
		}
		return cancelSubscription(c, s, now, "cancellation_requested")
	}
	if s.Status == "incomplete" {
		return nil // expires instead
	}
	before := cloneSubscription(s)
	if s.Status == "trialing" {
		pm, err := subscriptionPaymentMethod(c, s)
		if err != nil {
			return err
		}
		if s.CollectionMethod == chargeAutomatically && pm == nil {
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
	prevStart, prevEnd := s.periodStart(), s.periodEnd()
	// Metered items bill the period that just ended, in arrears (none for
	// a trial that just ended: usage during a trial is free).
	usage, err := arrearsLines(c, before, prevStart, prevEnd)
	if err != nil {
		return err
	}
	lines := append(renew(s, now), usage...)
	id, err := reserveInvoice(c, s)
	if err != nil {
		return err
	}
	// billSubscription saves s with its new latest_invoice; the event
	// renders s as it is here.
	if _, err := emitSubscriptionUpdated(c, before, s); err != nil {
		return err
	}
	// The renewal invoice's period is the one that just ended, as Stripe's.
	if _, _, err := billSubscription(c, billingRun{sub: s, cu: cu, invoiceID: id, reason: "subscription_cycle", lines: lines, periodStart: prevStart, periodEnd: prevEnd}); err != nil {
		return err
	}
	if err := scheduleSubscription(c, s, now); err != nil {
		return err
	}
	return saveSubscription(c, s)
}

// renew moves s into the period that starts at now, its current period's
// end, and returns that period's licensed lines, billed in advance (a
// cancel_at inside the new period bills only up to it). Renewals and
// previews of the next invoice share it.
func renew(s *Subscription, now time.Time) []LineInput {
	iv := s.interval()
	anchor := s.anchorRef()
	start := now
	end := iv.Boundary(anchor, iv.Index(anchor, now)+1)
	s.setPeriod(start.Unix(), end.Unix())
	capAtCancel(s)
	lines := make([]LineInput, 0, len(s.Items.Data))
	for _, it := range s.Items.Data {
		if it.metered() {
			continue
		}
		amount := itemAmount(it)
		if s.periodEnd() < end.Unix() {
			amount = Prorate(amount, end.Add(-time.Duration(s.periodEnd()-start.Unix())*time.Second), start, end)
		}
		lines = append(lines, itemLine(it, amount, s.periodStart(), s.periodEnd(), false))
	}
	return lines
}

// runIncompleteExpire ends a subscription whose first invoice was never
// paid: the invoice voided, then incomplete_expired.
func runIncompleteExpire(c *Ctx, s *Subscription, _ *Customer) error {
	if s.Status != "incomplete" {
		return nil
	}
	if err := voidLatestInvoice(c, s); err != nil {
		return err
	}
	before := cloneSubscription(s)
	now := c.Now().Unix()
	s.Status = "incomplete_expired"
	s.EndedAt = &now
	if err := unscheduleSubscription(c, s); err != nil {
		return err
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
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

// ---- Invoice outcomes ----

// observeSubscriptionInvoice is invoicing's invoiceObserver: it applies
// what happened to a subscription's invoice to the subscription. It loads
// the subscription from the store, so callers holding one save it before
// the invoice moves and read it back after (billSubscription does).
func observeSubscriptionInvoice(c *Ctx, inv *Invoice, event string, _ *apierr.Error) error {
	id := inv.subscription()
	paid := (event == "invoice.paid" || event == "invoice.finalized") && inv.status() == invoicePaid
	failed := event == "invoice.payment_failed" && inv.CollectionMethod == chargeAutomatically
	if id == "" || !(paid || failed || event == "invoice.overdue") {
		return nil
	}
	seen, err := viewOrNotFound[Subscription](c, kindSubscription, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	// A paused subscription's resumption invoice is its resume request's
	// business.
	if seen.ended() || seen.Status == "paused" {
		return nil
	}
	if paid && !paymentActivates(seen, inv) {
		return nil // a renewal paid on time changes nothing: no copy
	}
	s := owned(seen)
	now, err := c.timeFor(s.Timeline())
	if err != nil {
		return err
	}
	if paid {
		return subscriptionInvoicePaid(c, s, inv, now)
	}
	return subscriptionInvoiceUnpaid(c, s, inv, now, failed)
}

// paymentActivates reports whether paying inv makes s active: inv is its
// latest invoice and s is waiting for payment (incomplete, past_due,
// unpaid).
func paymentActivates(s *Subscription, inv *Invoice) bool {
	if s.LatestInvoice == nil || *s.LatestInvoice != inv.ID {
		return false
	}
	switch s.Status {
	case "incomplete", "past_due", "unpaid":
		return true
	}
	return false
}

// subscriptionInvoicePaid: the latest invoice paid makes a subscription
// waiting for payment (incomplete, past_due, unpaid) active (or trialing).
func subscriptionInvoicePaid(c *Ctx, s *Subscription, inv *Invoice, now time.Time) error {
	if !paymentActivates(s, inv) {
		return nil
	}
	before := cloneSubscription(s)
	if err := clearJob(c, jobSubIncompleteExpire, s.ID); err != nil {
		return err
	}
	s.Status = statusAfterPayment(s, now)
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// subscriptionInvoiceUnpaid: a failed payment (failed set) or a
// send_invoice invoice past its due date. A failed first charge leaves the
// subscription incomplete; otherwise it becomes past_due; when the
// invoice's last automatic retry failed, the final action follows.
func subscriptionInvoiceUnpaid(c *Ctx, s *Subscription, inv *Invoice, now time.Time, failed bool) error {
	before := cloneSubscription(s)
	switch s.Status {
	case "incomplete":
		return nil // it expires instead
	case "active", "trialing":
		if failed && inv.BillingReason != nil && *inv.BillingReason == "subscription_create" {
			s.Status = "incomplete"
			if err := scheduleIncompleteExpiry(c, s); err != nil {
				return err
			}
		} else {
			s.Status = "past_due"
		}
	}
	if failed && s.Status != "incomplete" && retriesExhausted(c, inv) {
		switch subscriptionsConfig(c).FinalAction {
		case "unpaid":
			s.Status = "unpaid"
		case "past_due":
		default:
			if err := saveSubscription(c, s); err != nil {
				return err
			}
			if _, err := emitSubscriptionUpdated(c, before, s); err != nil {
				return err
			}
			return cancelSubscription(c, s, now, "payment_failed")
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// subscriptionPaymentMethod is the payment method s's invoices charge by
// default (invoicing's precedence), nil for none.
func subscriptionPaymentMethod(c *Ctx, s *Subscription) (*PaymentMethod, error) {
	id, err := defaultPaymentMethodID(c, s.Customer, nil, s)
	if err != nil || id == "" {
		return nil, err
	}
	var pm PaymentMethod
	if err := c.load(kindPaymentMethod, id, &pm); err != nil {
		if err == store.ErrNotFound {
			return nil, nil
		}
		return nil, err
	}
	return &pm, nil
}

// predictFirstStatus is the status the first invoice's payment will give
// a new subscription, for customer.subscription.created, which comes
// before the invoice's events; total is what the invoice will bill. When
// the invoice turns out otherwise, observeSubscriptionInvoice corrects the
// status with an update. A charge with no payment method to charge is an
// error, except for default_incomplete.
func predictFirstStatus(c *Ctx, s *Subscription, cu *Customer, total int64, behavior string, now time.Time) (string, error) {
	if !firstInvoiceCharges(s, cu, total) {
		return statusAfterPayment(s, now), nil
	}
	if behavior == "default_incomplete" {
		return "incomplete", nil
	}
	pm, err := subscriptionPaymentMethod(c, s)
	if err != nil {
		return "", err
	}
	if pm == nil && c.automatic {
		return "incomplete", nil // a schedule's phase starting: no caller to answer
	}
	if pm == nil {
		// Stripe refuses to start a subscription it cannot charge, unless
		// payment_behavior=default_incomplete leaves the payment to the
		// customer:
		// docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority
		return "", errInvoiceNoPaymentMethod()
	}
	if chargeError(pm) != nil {
		return "incomplete", nil
	}
	return statusAfterPayment(s, now), nil
}

// firstInvoiceCharges reports whether a new subscription's first invoice,
// billing total before the customer's balance, will be charged: an amount
// due of at least the currency's minimum charge, collected automatically.
func firstInvoiceCharges(s *Subscription, cu *Customer, total int64) bool {
	balance := int64(0)
	if cu.Currency == nil || *cu.Currency == s.Currency {
		balance = cu.Balance
	}
	due, _ := applyBalance(total, balance)
	return due >= minimumChargeFor(s.Currency) && s.CollectionMethod != sendInvoice
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

// itemLine is the invoice line of a subscription item for [start, end].
func itemLine(it *SubscriptionItem, amount, start, end int64, proration bool) LineInput {
	return LineInput{
		Amount: amount, Currency: it.Price.Currency, Description: new(itemLabel(it)), Discountable: !proration,
		Period: Period{Start: start, End: end}, Price: it.Price, Quantity: it.quantity(),
		SubscriptionItem: it.ID, Subscription: it.Subscription, Proration: proration,
		Discounts: it.Discounts, TaxRates: it.TaxRates,
	}
}

// itemLabel is "2 × Product (at $10.00 / month)" without the price part.
func itemLabel(it *SubscriptionItem) string {
	return formatInt(it.quantity()) + " × " + it.Price.Product
}

// firstInvoiceLines are the lines of a new subscription's first invoice:
// zero during a trial, the stub up to a future anchor prorated (none with
// proration_behavior=none), else the first full period.
func firstInvoiceLines(c *Ctx, s *Subscription, anchor time.Time, proration string) ([]LineInput, error) {
	iv := s.interval()
	ref := s.anchorRef()
	prev, next := iv.Boundary(ref, iv.Index(ref, anchor)-1), iv.Next(ref, anchor)
	start, end := s.periodStart(), s.periodEnd()
	lines := make([]LineInput, 0, len(s.Items.Data))
	for _, it := range s.Items.Data {
		if it.metered() {
			// Usage is billed in arrears: classic mode shows a zero line,
			// flexible mode leaves the item off the first invoice.
			if s.BillingMode.Type == "classic" {
				lines = append(lines, usageLine(it, it.Price, 0, 0, start, end))
			}
			continue
		}
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
// first invoice (as pending items of the subscription, which it pulls).
func addInvoiceItemLines(c *Ctx, s *Subscription, p Params, now time.Time) ([]LineInput, error) {
	list := p.List("add_invoice_items")
	if len(list) > 20 {
		return nil, apierr.InvalidRequest("add_invoice_items", "You can only add up to 20 invoice items.")
	}
	var out []LineInput
	for _, ip := range list {
		if err := unsupported(ip, "period", "discountable"); err != nil {
			return nil, err
		}
		// The item's own discounts and tax rates (a quote's one-time
		// lines carry theirs here).
		ds, _, err := discountsParam(c, ip, "discounts", discountTarget{Customer: s.Customer, Currency: s.Currency, Amount: -1})
		if err != nil {
			return nil, err
		}
		rates, _, err := taxRatesParam(c, ip, "tax_rates")
		if err != nil {
			return nil, err
		}
		pr, err := priceOrPriceData(c, ip)
		if err != nil {
			return nil, err
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
		l := LineInput{
			Amount: priceAmount(pr, q), Currency: pr.Currency, Description: new(pr.Product), Price: pr, Quantity: q,
			Period: Period{Start: now.Unix(), End: now.Unix()}, Subscription: s.ID,
			Discounts: ds, TaxRates: rates,
		}
		if ip.Has("metadata") {
			if err := checkMetadata(ip); err != nil {
				return nil, err
			}
			l.Metadata = ip.StringMap("metadata") // onto the invoice item
		}
		out = append(out, l)
	}
	return out, nil
}

// addPendingItems makes lines pending invoice items of s (parent
// subscription_details): prorations and add_invoice_items, billed on the
// subscription's next invoice.
func addPendingItems(c *Ctx, s *Subscription, lines []LineInput, now time.Time) error {
	for _, l := range lines {
		l.Subscription = s.ID
		if _, err := createPendingItem(c, s.Customer, s.TestClock, l, now.Unix()); err != nil {
			return err
		}
	}
	return nil
}

// pendingItems are s's invoice items no invoice has taken yet.
func pendingItems(c *Ctx, s *Subscription) ([]*InvoiceItem, error) {
	// The customer's pending items, not every item s ever had.
	return scan(c, kindInvoiceItem, "pending="+s.Customer, func(ii *InvoiceItem) bool {
		return ii.Invoice == nil && ii.subscription() == s.ID
	})
}

// dropPendingProrations deletes s's pending prorations (cancel without
// invoice_now or prorate); its other pending items stay.
func dropPendingProrations(c *Ctx, s *Subscription) error {
	items, err := pendingItems(c, s)
	if err != nil {
		return err
	}
	for _, ii := range items {
		if !ii.Proration {
			continue
		}
		if _, err := c.remove(kindInvoiceItem, ii.ID, ii, "invoiceitem.deleted"); err != nil {
			return err
		}
	}
	return nil
}

// pendingLines are the pending items a new subscription's first invoice
// will pull, as lines, so that its total is worked out with their
// discounts and tax before the invoice exists.
func pendingLines(c *Ctx, s *Subscription) ([]LineInput, error) {
	items, err := pullableItems(c, s.Customer, s.Currency, s.ID, true)
	if err != nil {
		return nil, err
	}
	lines := make([]LineInput, 0, len(items))
	for _, ii := range items {
		lines = append(lines, LineInput{Amount: ii.Amount, Currency: ii.Currency, Discountable: ii.Discountable, Discounts: ii.Discounts, TaxRates: ii.TaxRates})
	}
	return lines, nil
}

// billPending invoices s's pending items and lines (metered usage not yet
// billed) now, when there are any (cancel with invoice_now, a final
// invoice at period end).
func billPending(c *Ctx, s *Subscription, cu *Customer, reason string, lines []LineInput) (*Invoice, error) {
	items, err := pendingItems(c, s)
	if err != nil || (len(items) == 0 && len(lines) == 0) {
		return nil, err
	}
	inv, _, err := billSubscription(c, billingRun{sub: s, cu: cu, reason: reason, lines: lines, finalizeNow: true, attempt: true})
	return inv, err
}

// arrearsLines are the usage lines of s's metered items for [start, end),
// billed in arrears; none while s is trialing (usage during a trial is not
// billed) or for an empty period.
func arrearsLines(c *Ctx, s *Subscription, start, end int64) ([]LineInput, error) {
	if s.Status == "trialing" || end <= start {
		return nil, nil
	}
	var lines []LineInput
	for _, it := range s.Items.Data {
		if !it.metered() {
			continue
		}
		// The item keeps a snapshot of its price without the tiers: read
		// the price afresh.
		pr, err := get[Price](c, kindPrice, it.Price.ID, "price")
		if err != nil {
			return nil, err
		}
		q, err := meteredQuantity(c, pr, s.Customer, it.ID, start, end)
		if err != nil {
			return nil, err
		}
		lines = append(lines, usageLine(it, pr, q, priceAmount(pr, q), start, end))
	}
	return lines, nil
}

// refreshUsageLines recounts the usage lines of a subscription invoice
// being finalized whose period has ended by now: usage reported during the
// grace period between the period's end and finalization (late events
// timestamped inside the period) is billed too, as Stripe's one-hour grace
// period (InvoicingConfig.FinalizationDelay) allows. The caller recomputes
// the totals.
func refreshUsageLines(c *Ctx, inv *Invoice, now int64) error {
	for _, l := range inv.Lines.Data {
		if l.Parent == nil || l.Parent.SubscriptionItemDetails == nil || l.Parent.SubscriptionItemDetails.Proration ||
			l.Pricing == nil || l.Pricing.PriceDetails == nil || l.Period.End > now || l.Period.End <= l.Period.Start {
			continue
		}
		pr, err := get[Price](c, kindPrice, l.Pricing.PriceDetails.Price, "price")
		if err != nil {
			return err
		}
		if !pr.metered() {
			continue
		}
		q, err := meteredQuantity(c, pr, inv.Customer, l.Parent.SubscriptionItemDetails.SubscriptionItem, l.Period.Start, l.Period.End)
		if err != nil {
			return err
		}
		if l.Quantity != nil && *l.Quantity == q {
			continue
		}
		l.Quantity, l.QuantityDecimal = new(q), new(formatInt(q))
		l.Amount, l.Subtotal = priceAmount(pr, q), priceAmount(pr, q)
		l.Description = usageLabel(pr, q)
	}
	return nil
}

// meteredQuantity is the customer's usage of metered price pr's meter over
// [start, end): the meter's formula applied, rounded to whole units (meter
// event values are integers). A legacy price without a meter folds item's
// usage records instead (usage_record.go).
func meteredQuantity(c *Ctx, pr *Price, customer, item string, start, end int64) (int64, error) {
	if pr.legacyMetered() {
		return legacyUsageQuantity(c, pr, item, start, end)
	}
	if pr.Recurring == nil || pr.Recurring.Meter == nil {
		return 0, nil
	}
	v, err := meterUsage(c, *pr.Recurring.Meter, customer, unixTime(start), unixTime(end))
	return int64(math.Round(v)), err
}

// usageLabel describes a usage line: "12 × prod_…".
func usageLabel(pr *Price, quantity int64) *string {
	return new(formatInt(quantity) + " × " + pr.Product)
}

// usageLine is the line of metered item it: quantity units of usage over
// [start, end) for amount.
func usageLine(it *SubscriptionItem, pr *Price, quantity, amount, start, end int64) LineInput {
	return LineInput{
		Amount: amount, Currency: pr.Currency, Description: usageLabel(pr, quantity),
		Period: Period{Start: start, End: end}, Price: pr, Quantity: quantity, Usage: true,
		SubscriptionItem: it.ID, Subscription: it.Subscription, Discountable: true,
		Discounts: it.Discounts, TaxRates: it.TaxRates,
	}
}

// billingRun is one subscription invoice to make.
type billingRun struct {
	sub       *Subscription
	cu        *Customer
	invoiceID string // from reserveInvoice; "" reserves one
	reason    string // billing_reason: subscription_create | subscription_cycle | subscription_update
	lines     []LineInput
	// periodStart and periodEnd are the invoice's period; 0: its creation.
	periodStart, periodEnd int64
	// finalizeNow finalizes a charge_automatically invoice inside this
	// call (creation, updates), not an hour later; attempt then charges it
	// (false for payment_behavior=default_incomplete: the invoice waits,
	// auto_advance=false, for the customer to pay it).
	finalizeNow, attempt bool
}

// reserveInvoice names s's next invoice before it exists, so that the
// subscription event that comes first carries latest_invoice.
func reserveInvoice(c *Ctx, s *Subscription) (string, error) {
	id, err := c.NewID("in")
	if err != nil {
		return "", err
	}
	s.LatestInvoice = &id
	return id, nil
}

// billSubscription makes s's invoice for run with invoicing's
// createInvoiceFor: the customer's pending items (prorations first), then
// run.lines. An unpaid subscription's invoices, or those of a collection
// paused with keep_as_draft, stay drafts; paused with void or
// mark_uncollectible, they are finalized and so closed at once. With
// finalizeNow the invoice is finalized and charged before this returns;
// the subscription is saved before and read back after, as the observer
// may change it. It returns the invoice as stored and the decline of a
// failed attempt.
func billSubscription(c *Ctx, run billingRun) (*Invoice, *apierr.Error, error) {
	s, cu := run.sub, run.cu
	id := run.invoiceID
	if id == "" {
		var err error
		if id, err = reserveInvoice(c, s); err != nil {
			return nil, nil, err
		}
	}
	// The discounts this invoice gets; once-only and ended ones then
	// leave the subscription.
	billedAt, err := nowUnixFor(c, cu)
	if err != nil {
		return nil, nil, err
	}
	discounts, err := subscriptionInvoiceDiscounts(c, s, cu, billedAt)
	if err != nil {
		return nil, nil, err
	}
	for i := range run.lines {
		if run.lines[i].Discounts, err = activeDiscounts(c, run.lines[i].Discounts, billedAt); err != nil {
			return nil, nil, err
		}
	}
	if err := afterSubscriptionInvoice(c, s, billedAt); err != nil {
		return nil, nil, err
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, nil, err
	}
	pause := ""
	if s.PauseCollection != nil {
		pause = s.PauseCollection.Behavior
	}
	autoAdvance, attempt := true, run.attempt
	finalizeNow := run.finalizeNow && s.CollectionMethod == chargeAutomatically
	switch {
	case s.Status == "unpaid" || pause == "keep_as_draft":
		autoAdvance, finalizeNow = false, false
	case pause == "void" || pause == "mark_uncollectible":
		finalizeNow, attempt = true, false
	case finalizeNow && !attempt:
		autoAdvance = false
	}
	lines := make([]*LineItem, 0, len(run.lines))
	for _, in := range run.lines {
		l, err := newInvoiceLine(c, in)
		if err != nil {
			return nil, nil, err
		}
		lines = append(lines, l)
	}
	inv, err := createInvoiceFor(c, cu, InvoiceOptions{
		ID: id, AutoAdvance: autoAdvance, BillingReason: run.reason, CollectionMethod: s.CollectionMethod,
		Currency: s.Currency, DaysUntilDue: s.DaysUntilDue, PendingInvoiceItems: "include",
		Subscription: s.ID, SubscriptionMetadata: s.Metadata,
		PeriodStart: run.periodStart, PeriodEnd: run.periodEnd, Lines: lines,
		Discounts: discounts, DefaultTaxRates: s.DefaultTaxRates,
	})
	if err == nil {
		err = recordLegacyUsageInvoice(c, inv, run.lines, billedAt)
	}
	if err != nil || !finalizeNow {
		return inv, nil, err
	}
	if err := finalizeInvoice(c, inv); err != nil {
		return nil, nil, err
	}
	var declined *apierr.Error
	if inv.status() == invoiceOpen {
		switch {
		case pause == "void":
			err = voidInvoice(c, inv)
		case pause == "mark_uncollectible":
			err = markUncollectible(c, inv)
		case attempt:
			declined, err = attemptPayment(c, inv, PaymentAttempt{OffSession: true, Automatic: true})
		}
		if err != nil {
			return nil, nil, err
		}
	}
	fresh, err := loadSubscription(c, s.ID, "subscription")
	if err != nil {
		return nil, nil, err
	}
	*s = *fresh
	inv, err = loadInvoice(c, id, "invoice")
	return inv, declined, err
}

// voidLatestInvoice voids s's latest invoice if it is still unpaid
// (incomplete expiry).
func voidLatestInvoice(c *Ctx, s *Subscription) error {
	if s.LatestInvoice == nil {
		return nil
	}
	inv, err := loadInvoice(c, *s.LatestInvoice, "invoice")
	if err != nil {
		return err
	}
	if st := inv.status(); st != invoiceOpen && st != invoiceUncollectible {
		return nil
	}
	return voidInvoice(c, inv)
}

// stopInvoiceCollection turns off automatic collection (auto_advance) of
// s's draft and open invoices (cancellation).
func stopInvoiceCollection(c *Ctx, s *Subscription) error {
	invoices, err := scan(c, kindInvoice, "subscription="+s.ID, func(inv *Invoice) bool {
		st := inv.status()
		return inv.AutoAdvance && (st == invoiceDraft || st == invoiceOpen)
	})
	if err != nil {
		return err
	}
	for _, inv := range invoices {
		if err := stopAutoAdvance(c, inv); err != nil {
			return err
		}
	}
	return nil
}
