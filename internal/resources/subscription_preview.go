package resources

import (
	"slices"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Previews of subscription changes: POST /v1/invoices/create_preview with
// subscription and subscription_details. The change is planned by the same
// planUpdate a real update runs, on a copy that is never saved, and
// rendered as the invoice it leads to:
//
//   - a change that invoices at once (always_invoice, a new billing
//     period: billing_cycle_anchor=now, an interval change, a trial ending
//     or starting) previews that invoice: the pending items, the update's
//     prorations first, then its charges;
//   - otherwise the next renewal's invoice: the pending items with the
//     update's prorations, then the next period's items (renew) and the
//     usage of the current one.
//
// So the preview's proration lines are, line for line and to the cent,
// what the update with the same proration_date creates. "To reproduce a
// previewed proration exactly, pass the same proration_date on the real
// update" (docs.stripe.com/billing/subscriptions/prorations#preview-proration).

// previewSubscriptionInvoice answers create_preview for p's subscription.
func previewSubscriptionInvoice(c *Ctx, p Params) (*Invoice, error) {
	subID, hasSub := p.String("subscription")
	d, _ := p.Map("subscription_details")
	if !hasSub {
		return previewNewSubscription(c, p, d)
	}
	if err := unsupported(d, "billing_mode", "start_date", "trial_from_plan"); err != nil {
		return nil, err
	}
	if v, ok := d.String("billing_cycle_anchor"); d.Has("billing_cycle_anchor") && (!ok || (v != "now" && v != "unchanged")) {
		// A timestamp anchor is for new subscriptions only.
		return nil, apierr.InvalidRequest(d.Path("billing_cycle_anchor"), "stripefake does not support a timestamp billing_cycle_anchor when previewing a change to an existing subscription yet.")
	}
	s, err := loadSubscription(c, subID, "subscription")
	if err != nil {
		return nil, err
	}
	if id, ok := p.String("customer"); ok && id != s.Customer {
		return nil, apierr.InvalidRequest("customer", "The subscription "+s.ID+" does not belong to the customer "+id+".")
	}
	if s.ended() {
		return nil, errNoUpcoming(s.Customer)
	}
	if len(d.Keys()) > 0 {
		if err := checkUpdatable(s); err != nil {
			return nil, err
		}
	}
	if now, _ := d.Bool("cancel_now"); now {
		return previewCancelNow(c, s, d)
	}
	if d.Has("resume_at") {
		return previewResume(c, s, d)
	}
	u, err := planUpdate(c, s, d, func(now time.Time) error {
		return applySubscriptionParams(c, s, d, now)
	})
	if err != nil {
		return nil, err
	}
	return renderUpdate(c, u, d)
}

// previewNewSubscription previews creating a subscription (customer and
// subscription_details[items] without subscription): the subscription
// planNewSubscription builds, as POST /v1/subscriptions does, and the first
// invoice its creation makes (firstInvoiceLines and the customer's pending
// items, billed at once), or when creation makes none (a metered-only
// flexible subscription) its first renewal.
func previewNewSubscription(c *Ctx, p, d Params) (*Invoice, error) {
	if !d.Has("items") {
		return nil, apierr.InvalidRequest("", "You must pass at least one of `subscription`, `subscription_details.items`, `schedule`, `schedule_details.phases` or `invoice_items`.")
	}
	// proration_date, cancel_now and resume_at are about an existing
	// subscription; a future or past start_date is a schedule's or a
	// backdated subscription's, neither modelled here.
	if err := unsupported(d, "cancel_now", "resume_at", "start_date", "proration_date", "billing_schedules"); err != nil {
		return nil, err
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	raw := map[string]any{"customer": cu.ID}
	for k, v := range d.Raw() {
		if k == "billing_cycle_anchor" && (v == "now" || v == "unchanged") {
			continue // a new subscription's anchor is now by default
		}
		raw[k] = v
	}
	if cur, ok := p.String("currency"); ok {
		raw["currency"] = cur
	}
	return previewCreation(c, d.withRaw(raw))
}

// previewCreation renders the first invoice that POST /v1/subscriptions
// with cp makes; cp's paths name the parameters in errors.
func previewCreation(c *Ctx, cp Params) (*Invoice, error) {
	ns, err := planNewSubscription(c, cp)
	if err != nil {
		return nil, err
	}
	lines, err := firstInvoiceLines(c, ns.sub, ns.anchor, cp.Str("proration_behavior"))
	if err != nil {
		return nil, err
	}
	extra, err := addInvoiceItemLines(c, ns.sub, cp, ns.now)
	if err != nil {
		return nil, err
	}
	for i := range extra {
		// Creation makes an invoice item of each (addPendingItems), pulled
		// ahead of the subscription's lines; the preview's lines name one,
		// as previews name the new subscription.
		if extra[i].InvoiceItem, err = c.NewID("ii"); err != nil {
			return nil, err
		}
	}
	u := &subscriptionUpdate{sub: ns.sub, before: ns.sub, cu: ns.cu, now: ns.now, behavior: "create_prorations", lines: slices.Concat(extra, lines), invoiceNow: true}
	return renderUpdate(c, u, Params{})
}

// previewNewSchedule previews creating a subscription schedule that starts
// now (schedule_details without schedule): the first invoice of the
// subscription its first phase creates, as startSchedule creates it.
func previewNewSchedule(c *Ctx, p, d Params) (*Invoice, error) {
	if !d.Has("phases") {
		return nil, apierr.InvalidRequest("", "You must pass at least one of `subscription`, `subscription_details.items`, `schedule`, `schedule_details.phases` or `invoice_items`.")
	}
	if err := unsupported(d, "billing_mode"); err != nil {
		return nil, err
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	sch := newSchedule("", cu.ID, cu.TestClock, now)
	if err := setScheduleFields(d, sch); err != nil {
		return nil, err
	}
	if sch.Phases, err = parsePhases(c, d, now.Unix(), now); err != nil {
		return nil, err
	}
	if sch.Phases[0].StartDate > now.Unix() {
		ph := d.List("phases")[0]
		return nil, apierr.InvalidRequest(ph.Path("start_date"), "stripefake does not support previewing a subscription schedule that starts later yet.")
	}
	return previewCreation(c, NewParams(firstPhaseParams(c, sch)))
}

// previewCancelNow previews subscription_details[cancel_now]: the final
// invoice that canceling s now with invoice_now makes (settleBeforeCancel),
// prorate unless proration_behavior=none: the unused time credited, the
// pending items and the period's usage so far. "This simulates the
// subscription being canceled or expired immediately" (the spec's
// subscription_details.cancel_now).
func previewCancelNow(c *Ctx, s *Subscription, d Params) (*Invoice, error) {
	for _, k := range []string{"items", "cancel_at", "cancel_at_period_end", "billing_cycle_anchor", "trial_end"} {
		if d.Has(k) {
			return nil, apierr.InvalidRequest(d.Path(k), "You may only specify one of these parameters: cancel_now, "+k+".")
		}
	}
	cu, err := c.customerTimeline(s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now := c.Now()
	if pd, ok := d.Int("proration_date"); ok {
		if pd < s.periodStart() || pd > s.periodEnd() {
			return nil, apierr.InvalidRequest(d.Path("proration_date"), "The proration_date must be within the current billing period.")
		}
		now = time.Unix(pd, 0).UTC()
	}
	behavior := d.Str("proration_behavior")
	if behavior == "" {
		behavior = "create_prorations"
	}
	var lines []LineInput
	if behavior != "none" && s.Status != "trialing" {
		lines = remainderLines(s, now)
	}
	usage, err := arrearsLines(c, s, s.periodStart(), now.Unix())
	if err != nil {
		return nil, err
	}
	lines = append(lines, usage...)
	pending, err := pendingItems(c, s)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 && len(pending) == 0 {
		return nil, errNoUpcoming(s.Customer) // canceling now bills nothing
	}
	u := &subscriptionUpdate{sub: s, before: s, cu: cu, now: now, behavior: behavior, lines: lines, invoiceNow: true}
	return renderUpdate(c, u, d)
}

// previewResume previews subscription_details[resume_at]=now on a paused
// subscription: the invoice POST /v1/subscriptions/{id}/resume makes
// (planResume), or when it makes none, the resumed subscription's renewal.
func previewResume(c *Ctx, s *Subscription, d Params) (*Invoice, error) {
	if s.Status != "paused" {
		return nil, apierr.InvalidRequest(d.Path("resume_at"), "Subscription is not paused, so it cannot be resumed.")
	}
	for _, k := range []string{"items", "cancel_at", "cancel_at_period_end", "trial_end", "proration_date"} {
		if d.Has(k) {
			return nil, apierr.InvalidRequest(d.Path(k), "stripefake does not support previewing "+d.Path(k)+" together with resume_at yet.")
		}
	}
	cu, err := c.customerTimeline(s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	u := resumeUpdate(s, cu, c.Now(), d.Str("billing_cycle_anchor"), d.Str("proration_behavior"))
	return renderUpdate(c, u, Params{})
}

// resumeUpdate plans resuming the paused s at now: s becomes the resumed
// subscription (planResume moves its period and anchor), and before keeps
// a copy of it as it was, as planUpdate does.
func resumeUpdate(s *Subscription, cu *Customer, now time.Time, anchor, behavior string) *subscriptionUpdate {
	before := cloneSubscription(s)
	lines := planResume(s, now, anchor, behavior)
	s.Status = "active"
	return &subscriptionUpdate{sub: s, before: before, cu: cu, now: now, behavior: "create_prorations", lines: lines, invoiceNow: total(lines) > 0}
}

// renderUpdate renders the invoice the planned update u leads to, unsaved
// (the preview counterpart of settleUpdate and runPeriodEnd).
func renderUpdate(c *Ctx, u *subscriptionUpdate, d Params) (*Invoice, error) {
	s := u.sub
	var prorations, charges []LineInput
	for _, l := range u.lines {
		switch {
		case !l.Proration:
			charges = append(charges, l)
		case u.behavior != "none":
			prorations = append(prorations, l)
		}
	}
	pending, err := pullableItems(c, s.Customer, s.Currency, s.ID, true)
	if err != nil {
		return nil, err
	}
	immediate := u.invoiceNow && len(charges)+len(prorations) > 0
	if u.invoiceNow && !immediate {
		for _, ii := range pending {
			immediate = immediate || ii.subscription() == s.ID
		}
	}
	opts := InvoiceOptions{
		BillingReason: "upcoming", CollectionMethod: s.CollectionMethod, Currency: s.Currency,
		DaysUntilDue: s.DaysUntilDue, Subscription: s.ID, SubscriptionMetadata: s.Metadata,
		DefaultTaxRates: s.DefaultTaxRates,
	}
	// The discounts apply as billSubscription applies them, at the time
	// the invoice is made: now, or the renewal.
	billedAt := u.now.Unix()
	if !immediate {
		billedAt = s.periodEnd()
	}
	if !immediate {
		// The next renewal: its invoice covers the period now current and
		// bills the next one in advance.
		opts.PeriodStart, opts.PeriodEnd = s.periodStart(), s.periodEnd()
		charges = nil
		if !s.CancelAtPeriodEnd && (s.CancelAt == nil || *s.CancelAt > s.periodEnd()) {
			usage, err := arrearsLines(c, s, s.periodStart(), s.periodEnd())
			if err != nil {
				return nil, err
			}
			if s.Status == "trialing" {
				s.Status = "active"
			}
			at := time.Unix(s.periodEnd(), 0).UTC()
			if u.beforeRenewal != nil {
				if err := u.beforeRenewal(s); err != nil {
					return nil, err
				}
			}
			charges = append(renew(s, at), usage...)
		} else if len(pending)+len(prorations) == 0 {
			return nil, errNoUpcoming(s.Customer)
		}
	}
	inv, err := newDraftInvoice(c, u.cu, opts)
	if err != nil {
		return nil, err
	}
	inv.Preview = true
	inv.ID = "upcoming_" + inv.ID
	inv.Lines.URL = "/v1/invoices/upcoming/lines"
	if len(prorations) > 0 {
		t := u.now.Unix()
		if pd, ok := d.Int("proration_date"); ok {
			t = pd
		}
		inv.Parent.SubscriptionDetails.SubscriptionProrationDate = &t
	}
	// Pending items newest first, as pullPendingItems takes them: the
	// update's prorations (made last), then those already pending.
	items := make([]*InvoiceItem, 0, len(prorations)+len(pending))
	for _, l := range prorations {
		l.Subscription = s.ID
		ii, err := newPendingItem(c, s.Customer, s.TestClock, l, u.now.Unix())
		if err != nil {
			return nil, err
		}
		items = append(items, ii)
	}
	slices.Reverse(items)
	items = append(items, pending...)
	for i, ii := range items {
		id, err := c.NewID("il")
		if err != nil {
			return nil, err
		}
		line := lineFromItem(ii, previewLineID(id), inv.ID)
		if d := line.Parent.SubscriptionItemDetails; d != nil && i < len(prorations) {
			d.InvoiceItem = nil // not created: the preview writes nothing
		}
		if err := inv.addLine(line); err != nil {
			return nil, err
		}
	}
	for _, in := range charges {
		if in.Discounts, err = activeDiscounts(c, in.Discounts, billedAt); err != nil {
			return nil, err
		}
		l, err := newInvoiceLine(c, in)
		if err != nil {
			return nil, err
		}
		l.ID = previewLineID(l.ID)
		if err := inv.addLine(l); err != nil {
			return nil, err
		}
	}
	inherited, err := subscriptionInvoiceDiscounts(c, s, u.cu, billedAt)
	if err != nil {
		return nil, err
	}
	if err := previewDiscounts(c, c.Params, inv, inherited); err != nil {
		return nil, err
	}
	inv.StartingBalance = balanceIn(u.cu, inv.Currency)
	inv.AmountDue, _ = applyBalance(inv.Total, inv.StartingBalance)
	inv.AmountRemaining = inv.AmountDue
	return inv, nil
}

// previewScheduleInvoice answers create_preview for p's schedule: the
// invoice its subscription gets next, with schedule_details' phases
// planned as POST /v1/subscription_schedules/{schedule} would apply them
// (a change to the current phase through planUpdate, as applyPhase runs
// it), and at a renewal that starts the next phase, that phase's items.
func previewScheduleInvoice(c *Ctx, p Params) (*Invoice, error) {
	id, ok := p.String("schedule")
	d, _ := p.Map("schedule_details")
	if !ok {
		return previewNewSchedule(c, p, d)
	}
	if err := unsupported(d, "billing_mode", "default_settings"); err != nil {
		return nil, err
	}
	sch, err := get[SubscriptionSchedule](c, kindSubscriptionSchedule, id, "schedule")
	if err != nil {
		return nil, err
	}
	if cu, ok := p.String("customer"); ok && cu != sch.Customer {
		return nil, apierr.InvalidRequest("customer", "The subscription schedule "+sch.ID+" does not belong to the customer "+cu+".")
	}
	if sch.Status != "active" || sch.Subscription == nil {
		// A schedule not started would need its subscription made up.
		return nil, apierr.InvalidRequest("schedule", "stripefake does not support previewing a subscription schedule in status "+sch.Status+" yet.")
	}
	s, err := loadSubscription(c, *sch.Subscription, "schedule")
	if err != nil {
		return nil, err
	}
	if s.ended() {
		return nil, errNoUpcoming(s.Customer)
	}
	if _, err := c.customerTimeline(s.Customer, "customer"); err != nil {
		return nil, err
	}
	now := c.Now()
	phases := sch.Phases
	cur := sch.current()
	params := Params{}
	change := func(time.Time) error { return nil }
	if d.Has("phases") {
		if phases, err = parsePhases(c, d, sch.Phases[cur].StartDate, now); err != nil {
			return nil, err
		}
		cur = 0
		ph := *phases[0]
		if v, ok := d.String("proration_behavior"); ok {
			ph.ProrationBehavior = v
		}
		ph.BillingCycleAnchor = nil
		if !samePhaseItems(s, &ph) {
			params = phaseParams(sch, &ph, s, now)
			change = phaseChange(c, s, &ph, params)
		}
	}
	u, err := planUpdate(c, s, params, change)
	if err != nil {
		return nil, err
	}
	if next := cur + 1; next < len(phases) && phases[cur].EndDate == s.periodEnd() {
		u.beforeRenewal = func(s *Subscription) error {
			at := time.Unix(phases[next].StartDate, 0).UTC()
			start, end := s.periodStart(), s.periodEnd()
			np := phaseParams(sch, phases[next], s, at)
			if err := phaseChange(c, s, phases[next], np)(at); err != nil {
				return err
			}
			s.setPeriod(start, end) // new items too
			return nil
		}
	}
	return renderUpdate(c, u, params)
}

// previewLineID is a preview's line ID: il_tmp_… as Stripe's.
func previewLineID(id string) string { return "il_tmp_" + strings.TrimPrefix(id, "il_") }
