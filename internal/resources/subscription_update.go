package resources

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Subscription updates and prorations. POST /v1/subscriptions/{id} and the
// subscription item endpoints share updateSubscriptionWith: it snapshots
// what each item is billed, applies the change, and turns the difference
// into proration lines computed to the second:
//
//	credit = -amount_old × (old_end − t) / period_length   "Unused time on …"
//	debit  = +amount_new × (new_end − t) / period_length   "Remaining time on …"
//
// with t = proration_date or now and period_length the natural period
// [boundary(k), boundary(k+1)) that contains t (the stub up to a future
// anchor is measured against the full period ending at the anchor).

// checkUpdatable rejects changes Stripe refuses by status.
func checkUpdatable(s *Subscription) error {
	switch s.Status {
	case "canceled", "incomplete_expired":
		return apierr.InvalidRequest("", "A canceled subscription can only update its cancellation_details and metadata.")
	case "incomplete":
		return apierr.InvalidRequest("", "A subscription in status `incomplete` can only update its metadata, default_source and default_payment_method. Pay the latest invoice to activate it.")
	}
	return nil
}

func updateSubscription(c *Ctx) (any, error) {
	p := c.Params
	// add_invoice_items on an update (items for the next invoice) is not
	// implemented: refused, not ignored.
	if err := unsupported(p, "add_invoice_items", "application_fee_percent", "billing_schedules", "billing_thresholds", "default_source",
		"on_behalf_of", "payment_settings", "pending_invoice_item_interval",
		"transfer_data", "invoice_settings", "trial_from_plan", "off_session"); err != nil {
		return nil, err
	}
	if at, ok := p.Map("automatic_tax"); ok {
		if on, _ := at.Bool("enabled"); on {
			return nil, unsupported(at, "enabled")
		}
	}
	s, err := loadSubscription(c, c.Var("subscription_exposed_id"), "id")
	if err != nil {
		return nil, err
	}
	// Ended and incomplete subscriptions take only a few fields.
	allowed := map[string]bool{"metadata": true, "expand": true}
	switch s.Status {
	case "canceled", "incomplete_expired":
		allowed["cancellation_details"] = true
	case "incomplete":
		allowed["default_payment_method"] = true
	default:
		allowed = nil
	}
	if allowed != nil {
		for _, k := range p.Keys() {
			if !allowed[k] {
				return nil, checkUpdatable(s)
			}
		}
	}
	err = updateSubscriptionWith(c, s, p, func(now time.Time) error {
		return applySubscriptionParams(c, s, p, now)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// applySubscriptionParams applies the fields of a subscription update other
// than what updateSubscriptionWith handles itself (proration and payment
// behaviour, proration_date).
func applySubscriptionParams(c *Ctx, s *Subscription, p Params, now time.Time) error {
	if p.Has("description") {
		s.Description = p.NullableString("description")
	}
	md, err := applyMetadata(p, s.Metadata)
	if err != nil {
		return err
	}
	s.Metadata = md
	if s.ended() {
		if cd, ok := p.Map("cancellation_details"); ok {
			if cd.Has("comment") {
				s.CancellationDetails.Comment = cd.NullableString("comment")
			}
			if cd.Has("feedback") {
				s.CancellationDetails.Feedback = cd.NullableString("feedback")
			}
		}
		return nil
	}
	if err := setSubscriptionCollection(c, s, p, false); err != nil {
		return err
	}
	if s.Status == "incomplete" {
		return nil
	}
	if ts, ok := p.Map("trial_settings"); ok {
		eb, _ := ts.Map("end_behavior")
		s.TrialSettings.EndBehavior.MissingPaymentMethod = eb.Str("missing_payment_method")
	}
	if err := setSubscriptionDiscounts(c, s, p); err != nil {
		return err
	}
	if p.Has("pause_collection") {
		if p.Empty("pause_collection") {
			s.PauseCollection = nil
		} else {
			pc, _ := p.Map("pause_collection")
			s.PauseCollection = &SubscriptionPause{Behavior: pc.Str("behavior")}
			if t, ok := pc.Int("resumes_at"); ok {
				if t <= now.Unix() {
					return apierr.InvalidRequest(pc.Path("resumes_at"), "Invalid timestamp: must be an integer Unix timestamp in the future.")
				}
				if err := checkSchedulable(pc.Path("resumes_at"), t); err != nil {
					return err
				}
				s.PauseCollection.ResumesAt = &t
			}
		}
	}
	for _, ip := range p.List("items") {
		if err := applyItemParam(c, s, ip, now); err != nil {
			return err
		}
	}
	if p.Has("items") {
		if len(s.Items.Data) == 0 {
			return apierr.InvalidRequest(p.Path("items"), "A subscription must have at least one active plan. To cancel a subscription, please use the cancel API endpoint on /v1/subscriptions.")
		}
		if len(s.Items.Data) > subMaxItems {
			return apierr.InvalidRequest(p.Path("items"), fmt.Sprintf("You can only have up to %d items on a subscription.", subMaxItems))
		}
		if err := checkItemsCompatible(s, nil, p.Path("items")); err != nil {
			return err
		}
	}
	return setCancellation(c, s, p, now)
}

// applyItemParam applies one entry of items[] on update: a new item, a
// change of an existing one, or its deletion.
func applyItemParam(c *Ctx, s *Subscription, ip Params, now time.Time) error {
	id, hasID := ip.String("id")
	del, _ := ip.Bool("deleted")
	if err := clearUsage(c, s, s.item(id), ip, hasID && del); err != nil {
		return err
	}
	if !hasID {
		it, err := newSubscriptionItem(c, s, ip, now)
		if err != nil {
			return err
		}
		s.Items.Data = append(s.Items.Data, it)
		return nil
	}
	it := s.item(id)
	if it == nil {
		return apierr.InvalidRequest(ip.Path("id"), "Cannot update the subscription item '"+id+"' because it does not belong to subscription '"+s.ID+"'.")
	}
	if del {
		removeItem(s, id)
		return nil
	}
	return applyItemChange(c, s, it, ip)
}

// applyItemChange changes an item's price, quantity or metadata. A new
// price without a quantity resets the quantity to 1.
func applyItemChange(c *Ctx, s *Subscription, it *SubscriptionItem, p Params) error {
	if err := unsupported(p, "billing_thresholds"); err != nil {
		return err
	}
	if p.Has("price") || p.Has("price_data") {
		pr, err := itemPrice(c, p)
		if err != nil {
			return err
		}
		if pr.ID != it.Price.ID {
			it.Price = pr
			if !p.Has("quantity") && it.Quantity != nil {
				one := int64(1)
				it.Quantity = &one
			}
		}
	}
	if err := setItemQuantity(it, p); err != nil {
		return err
	}
	md, err := applyMetadata(p, it.Metadata)
	if err != nil {
		return err
	}
	it.Metadata = md
	return setItemDiscounts(c, s, it, p)
}

// billedItem is what one item is billed for the current period.
type billedItem struct {
	item   *SubscriptionItem
	amount int64
	end    int64
}

// subscriptionUpdate is what an update of a subscription will do, computed
// by planUpdate without writing anything: the subscription as it will be,
// the update's lines (prorations and charges), whether it invoices at once,
// and the trial_will_end bookkeeping. An update applies it (applyUpdate); a
// preview (create_preview with subscription_details) renders it, so both
// produce the same lines to the cent.
type subscriptionUpdate struct {
	sub, before *Subscription
	cu          *Customer
	now         time.Time
	// behavior and payment are proration_behavior and payment_behavior.
	behavior, payment string
	lines             []LineInput
	invoiceNow        bool
	// settle is false when only the record changes (an ended or incomplete
	// subscription): no prorations, no invoice.
	settle bool
	// trialWillEnd is the subscription as customer.subscription.trial_will_end
	// announces it when trial_end=now ends the trial (sent before the
	// update's other events).
	trialWillEnd *Subscription
	// trialJob: "schedule" a new trial's trial_will_end, "clear" an ended
	// trial's.
	trialJob string
	// beforeRenewal, for previews of a schedule, changes the subscription
	// as the schedule's next phase will at the renewal the preview shows.
	beforeRenewal func(s *Subscription) error
}

// updateSubscriptionWith applies change to s and settles the consequences:
// anchor and trial changes, prorations per proration_behavior, an
// immediate invoice when needed, payment per payment_behavior, jobs, and
// customer.subscription.updated. s is saved.
func updateSubscriptionWith(c *Ctx, s *Subscription, p Params, change func(now time.Time) error) error {
	u, err := planUpdate(c, s, p, change)
	if err != nil {
		return err
	}
	return applyUpdate(c, u)
}

// applyUpdate writes what planUpdate computed.
func applyUpdate(c *Ctx, u *subscriptionUpdate) error {
	s := u.sub
	if err := saveItemRefs(c, u.before, s); err != nil {
		return err
	}
	if !u.settle {
		return finishUpdate(c, s, u.before, u.now)
	}
	if u.trialWillEnd != nil {
		if err := c.emit("customer.subscription.trial_will_end", u.trialWillEnd, nil); err != nil {
			return err
		}
	}
	switch u.trialJob {
	case "schedule":
		if err := scheduleTrialWillEnd(c, s, u.now); err != nil {
			return err
		}
	case "clear":
		if err := clearJob(c, jobSubTrialWillEnd, s.ID); err != nil {
			return err
		}
	}
	return settleUpdate(c, s, u.cu, u.before, u.lines, u.behavior, u.payment, u.now, u.invoiceNow)
}

// planUpdate applies change to s in memory and computes the update's
// consequences (see subscriptionUpdate). It writes nothing.
func planUpdate(c *Ctx, s *Subscription, p Params, change func(now time.Time) error) (*subscriptionUpdate, error) {
	cu, err := c.customerTimeline(s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now := c.Now()
	before := cloneSubscription(s)
	oldIv := s.interval()
	old := map[string]billedItem{}
	for _, it := range s.Items.Data {
		cp := *it
		old[it.ID] = billedItem{item: &cp, amount: itemAmount(it), end: it.CurrentPeriodEnd}
	}
	if err := change(now); err != nil {
		return nil, err
	}
	// Every item shares the period, new ones too (even those added after
	// the last old item was deleted in the same request).
	s.setPeriod(before.periodStart(), before.periodEnd())
	u := &subscriptionUpdate{sub: s, before: before, cu: cu, now: now}
	if s.ended() || s.Status == "incomplete" {
		return u, nil
	}
	u.settle = true

	behavior := p.Str("proration_behavior")
	if behavior == "" {
		behavior = "create_prorations"
	}
	payment := p.Str("payment_behavior")
	if payment == "" {
		payment = "allow_incomplete"
	}
	if payment == "pending_if_incomplete" {
		return nil, unsupported(p, "payment_behavior")
	}
	u.behavior, u.payment = behavior, payment
	t := now
	if pd, ok := p.Int("proration_date"); ok {
		t = time.Unix(pd, 0).UTC()
		if pd < s.periodStart() || pd > s.periodEnd() {
			return nil, apierr.InvalidRequest(p.Path("proration_date"), "The proration_date must be within the current billing period.")
		}
	}
	iv := s.interval()
	resetAnchor := p.Str("billing_cycle_anchor") == "now" || iv != oldIv
	u.invoiceNow = behavior == "always_invoice"

	// Trials.
	trialEnded := false
	if p.Has("trial_end") {
		if p.Str("trial_end") == "now" {
			if s.Status == "trialing" {
				trialEnded = true
				nowUnix := now.Unix()
				s.TrialEnd = &nowUnix
				resetAnchor = true
				u.trialWillEnd = cloneSubscription(s)
			}
		} else {
			te, _ := p.Int("trial_end")
			if err := checkTrialEnd(te, now, p.Path("trial_end")); err != nil {
				return nil, err
			}
			if s.Status != "trialing" {
				// Adding a trial: unused paid time is credited on an
				// invoice at once (§3.5), which puts it on the customer's
				// balance.
				start := now.Unix()
				s.TrialStart = &start
				if behavior != "none" {
					u.lines = append(u.lines, unusedLines(before, old, t)...)
					u.invoiceNow = true
				}
			}
			s.TrialEnd = &te
			s.Status = "trialing"
			s.BillingCycleAnchor = te
			s.setPeriod(now.Unix(), te)
			u.trialJob = "schedule"
			return u, nil
		}
	}
	if trialEnded || (s.Status == "trialing" && p.Str("billing_cycle_anchor") == "now") {
		// Ending a trial starts a paid period now, billed at once. Other
		// changes during a trial, a new interval included, keep it: the
		// new price bills at trial_end.
		s.Status = "active"
		s.BillingCycleAnchor = now.Unix()
		s.setPeriod(now.Unix(), iv.Boundary(now, 1).Unix())
		capAtCancel(s)
		u.lines = append(u.lines, advanceLines(s)...)
		u.trialJob = "clear"
		u.invoiceNow = true
		return u, nil
	}
	if s.Status == "trialing" {
		// Changes during a trial cost nothing.
		u.lines, u.invoiceNow = nil, false
		return u, nil
	}

	if resetAnchor {
		// A new period starts now, billed in full; unused time on the old
		// one is credited unless proration_behavior=none.
		if behavior != "none" {
			u.lines = append(u.lines, unusedLines(before, old, t)...)
		}
		// The period cut short bills its metered usage so far.
		usage, err := arrearsLines(c, before, before.periodStart(), now.Unix())
		if err != nil {
			return nil, err
		}
		u.lines = append(u.lines, usage...)
		s.BillingCycleAnchor = now.Unix()
		s.setPeriod(now.Unix(), iv.Boundary(now, 1).Unix())
		capAtCancel(s)
		u.lines = append(u.lines, advanceLines(s)...)
		u.invoiceNow = true
		return u, nil
	}

	// Same period: cancel_at may move its end; prices and quantities may
	// change what it is worth.
	ref := s.anchorRef()
	natural := iv.Boundary(ref, iv.Index(ref, time.Unix(s.periodStart(), 0))+1).Unix()
	if s.periodStart() < s.BillingCycleAnchor {
		natural = s.BillingCycleAnchor
	}
	end := natural
	if s.CancelAt != nil && *s.CancelAt < end {
		end = *s.CancelAt
	}
	s.setPeriod(s.periodStart(), end)
	if behavior != "none" {
		for _, it := range s.Items.Data {
			b, had := old[it.ID]
			amount := itemAmount(it)
			if had && b.amount == amount && b.end == end && b.item.Price.ID == it.Price.ID {
				continue
			}
			if had {
				if l, ok := prorationLine(before, b.item, -b.amount, t, b.end, "Unused time"); ok {
					u.lines = append(u.lines, l)
				}
			}
			if l, ok := prorationLine(s, it, amount, t, end, "Remaining time"); ok {
				u.lines = append(u.lines, l)
			}
		}
		// Removed items: credit their unused time, in the items' order.
		for _, it := range before.Items.Data {
			if b := old[it.ID]; s.item(it.ID) == nil {
				if l, ok := prorationLine(before, b.item, -b.amount, t, b.end, "Unused time"); ok {
					u.lines = append(u.lines, l)
				}
			}
		}
	}
	return u, nil
}

// unusedLines credit the unused time of every item of before (the
// subscription as billed), in the items' order, so line order, item IDs
// and events are the same on every run.
func unusedLines(before *Subscription, old map[string]billedItem, t time.Time) []LineInput {
	var lines []LineInput
	for _, it := range before.Items.Data {
		b := old[it.ID]
		if l, ok := prorationLine(before, b.item, -b.amount, t, b.end, "Unused time"); ok {
			lines = append(lines, l)
		}
	}
	return lines
}

// advanceLines are the licensed items' lines for s's current period,
// billed in advance (metered items bill in arrears).
func advanceLines(s *Subscription) []LineInput {
	var lines []LineInput
	for _, it := range s.Items.Data {
		if !it.metered() {
			lines = append(lines, itemLine(it, itemAmount(it), s.periodStart(), s.periodEnd(), false))
		}
	}
	return lines
}

// capAtCancel ends the current period at cancel_at when that comes first.
func capAtCancel(s *Subscription) {
	if s.CancelAt != nil && *s.CancelAt < s.periodEnd() && *s.CancelAt > s.periodStart() {
		s.setPeriod(s.periodStart(), *s.CancelAt)
	}
	if s.CancelAtPeriodEnd {
		end := s.periodEnd()
		s.CancelAt = &end
	}
}

// prorationLine is the proration of amount (per natural period) for
// [t, end) of it's current period; false when it rounds to nothing. The
// natural period is s's: a credit for the old item passes the
// subscription as it was billed (before the update), so an interval change
// credits the old price over the old period, not the new interval's.
func prorationLine(s *Subscription, it *SubscriptionItem, amount int64, t time.Time, end int64, what string) (LineInput, bool) {
	if end <= t.Unix() || amount == 0 {
		return LineInput{}, false
	}
	iv := s.interval()
	anchor := s.anchorRef()
	ns, ne := iv.Period(anchor, t)
	// The share of the natural period that [t, end) covers.
	share := Prorate(amount, ne.Add(-time.Duration(end-t.Unix())*time.Second), ns, ne)
	if share == 0 {
		return LineInput{}, false
	}
	l := itemLine(it, share, t.Unix(), end, true)
	l.Description = new(fmt.Sprintf("%s on %s after %s", what, itemLabel(it), t.UTC().Format("02 Jan 2006")))
	return l, true
}

// settleUpdate settles the update's lines: prorations become pending
// invoice items of the subscription (none with proration_behavior=none);
// when invoicing now (always_invoice, a new period), an invoice takes the
// charges and the pending items and is charged at once, per
// payment_behavior. It reschedules, saves s and emits
// customer.subscription.updated — before the invoice's events, naming the
// new latest_invoice; what the payment does to the status follows as its
// own update (observeSubscriptionInvoice).
func settleUpdate(c *Ctx, s *Subscription, cu *Customer, before *Subscription, lines []LineInput, behavior, payment string, now time.Time, invoiceNow bool) error {
	var prorations, charges []LineInput
	for _, l := range lines {
		switch {
		case !l.Proration:
			charges = append(charges, l)
		case behavior != "none":
			prorations = append(prorations, l)
		}
	}
	if err := addPendingItems(c, s, prorations, now); err != nil {
		return err
	}
	if invoiceNow && len(charges) == 0 {
		pending, err := pendingItems(c, s)
		if err != nil {
			return err
		}
		invoiceNow = len(pending) > 0
	}
	if !invoiceNow {
		return finishUpdate(c, s, before, now)
	}
	id, err := reserveInvoice(c, s)
	if err != nil {
		return err
	}
	if err := finishUpdate(c, s, before, now); err != nil {
		return err
	}
	inv, declined, err := billSubscription(c, billingRun{
		sub: s, cu: cu, invoiceID: id, reason: "subscription_update", lines: charges,
		finalizeNow: true, attempt: payment != "default_incomplete",
	})
	if err != nil {
		return err
	}
	if declined != nil && payment == "error_if_incomplete" {
		return declined // rolls the update back
	}
	if payment == "default_incomplete" && inv.status() == invoiceOpen && inv.CollectionMethod == chargeAutomatically && s.Status == "active" {
		// The payment awaits the customer: past_due until it is paid.
		prev := cloneSubscription(s)
		s.Status = "past_due"
		if err := saveSubscription(c, s); err != nil {
			return err
		}
		_, err := emitSubscriptionUpdated(c, prev, s)
		return err
	}
	return nil
}

// finishUpdate reschedules s's jobs, saves it and emits the update.
func finishUpdate(c *Ctx, s *Subscription, before *Subscription, now time.Time) error {
	if !s.ended() {
		if err := scheduleSubscription(c, s, now); err != nil {
			return err
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// prorateRemainder credits the unused rest of the current period (cancel
// with prorate=true).
func prorateRemainder(c *Ctx, s *Subscription, now time.Time) error {
	return addPendingItems(c, s, remainderLines(s, now), now)
}

// remainderLines credit the unused time of s's items from now on.
func remainderLines(s *Subscription, now time.Time) []LineInput {
	var lines []LineInput
	for _, it := range s.Items.Data {
		if l, ok := prorationLine(s, it, -itemAmount(it), now, it.CurrentPeriodEnd, "Unused time"); ok {
			lines = append(lines, l)
		}
	}
	return lines
}
