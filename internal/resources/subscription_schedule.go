package resources

import (
	"fmt"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Subscription schedules: phases of a subscription planned ahead
// (docs.stripe.com/billing/subscriptions/subscription-schedules). A
// schedule is not_started until its start_date, then active: its first
// phase creates the subscription (through createSubscription, as a
// subscription request would), and each later phase changes the
// subscription's items at the boundary through updateSubscriptionWith,
// with the phase's proration_behavior — a boundary that falls on the end of
// a billing period changes the items before the renewal bills them, so the
// renewal bills the new phase without prorations. After the last phase,
// end_behavior decides: release (the subscription runs on, the schedule is
// released) or cancel (the subscription is canceled, the schedule
// completed). "A subscription schedule is completed after the last phase
// is finished. When this happens, the subscription is released from the
// schedule" (the guide above); that the schedule's status then reads
// released, and completed only when it cancels the subscription, is
// UNCONFIRMED: the API reference says only that a release leaves the
// status "released" (docs.stripe.com/api/subscription_schedules/release),
// and names the events subscription_schedule.completed ("Occurs whenever a
// new subscription schedule is completed") and .released ("... is
// released") without tying them to end_behavior.
//
// A schedule that cancels (end_behavior=cancel) sets cancel_at on its
// subscription to its end, which release clears unless
// preserve_cancel_date ("Keep any cancellation on the subscription that
// the schedule has set", the same page). Phases' discounts, tax rates,
// add_invoice_items and invoice settings: subscription_schedule_settings.go.
//
// Boundaries are jobs on the customer's timeline (the fake's clock or a
// test clock): one job per schedule, at its next boundary.

const (
	kindSubscriptionSchedule = "subscription_schedule"
	jobSchedulePhase         = "subscription_schedule.phase" // start_date, then each phase's end
)

// SubscriptionSchedule is Stripe's subscription_schedule (dahlia shape).
type SubscriptionSchedule struct {
	ID                   string                  `json:"id"`
	Object               string                  `json:"object"`
	Application          *string                 `json:"application"`
	BillingMode          SubscriptionBilling     `json:"billing_mode"`
	CanceledAt           *int64                  `json:"canceled_at"`
	CompletedAt          *int64                  `json:"completed_at"`
	Created              int64                   `json:"created"`
	CurrentPhase         *ScheduleCurrentPhase   `json:"current_phase"`
	Customer             string                  `json:"customer"`
	CustomerAccount      *string                 `json:"customer_account"`
	DefaultSettings      ScheduleDefaultSettings `json:"default_settings"`
	EndBehavior          string                  `json:"end_behavior"`
	Livemode             bool                    `json:"livemode"`
	Metadata             map[string]string       `json:"metadata"`
	Phases               []*SchedulePhase        `json:"phases"`
	ReleasedAt           *int64                  `json:"released_at"`
	ReleasedSubscription *string                 `json:"released_subscription"`
	Status               string                  `json:"status"`
	Subscription         *string                 `json:"subscription"`
	TestClock            *string                 `json:"test_clock"`

	// ExpiringSent: subscription_schedule.expiring went out (stored,
	// never rendered).
	ExpiringSent bool `json:"_expiring_sent,omitempty"`
}

// ScheduleCurrentPhase is subscription_schedule.current_phase.
type ScheduleCurrentPhase struct {
	EndDate   int64 `json:"end_date"`
	StartDate int64 `json:"start_date"`
}

// ScheduleDefaultSettings is subscription_schedule.default_settings.
type ScheduleDefaultSettings struct {
	ApplicationFeePercent *float64       `json:"application_fee_percent"`
	AutomaticTax          map[string]any `json:"automatic_tax"`
	BillingCycleAnchor    string         `json:"billing_cycle_anchor"`
	BillingThresholds     any            `json:"billing_thresholds"`
	CollectionMethod      *string        `json:"collection_method"`
	DefaultPaymentMethod  *string        `json:"default_payment_method"`
	Description           *string        `json:"description"`
	InvoiceSettings       map[string]any `json:"invoice_settings"`
	OnBehalfOf            *string        `json:"on_behalf_of"`
	TransferData          any            `json:"transfer_data"`
}

// SchedulePhase is one of subscription_schedule.phases.
type SchedulePhase struct {
	AddInvoiceItems       []*PhaseAddInvoiceItem `json:"add_invoice_items"`
	ApplicationFeePercent *float64               `json:"application_fee_percent"`
	BillingCycleAnchor    *string                `json:"billing_cycle_anchor"`
	BillingThresholds     any                    `json:"billing_thresholds"`
	CollectionMethod      *string                `json:"collection_method"`
	Currency              string                 `json:"currency"`
	DefaultPaymentMethod  *string                `json:"default_payment_method"`
	DefaultTaxRates       []any                  `json:"default_tax_rates"`
	Description           *string                `json:"description"`
	Discounts             []PhaseDiscount        `json:"discounts"`
	EndDate               int64                  `json:"end_date"`
	InvoiceSettings       *PhaseInvoiceSettings  `json:"invoice_settings"`
	Items                 []*SchedulePhaseItem   `json:"items"`
	Metadata              map[string]string      `json:"metadata"`
	OnBehalfOf            *string                `json:"on_behalf_of"`
	ProrationBehavior     string                 `json:"proration_behavior"`
	StartDate             int64                  `json:"start_date"`
	TransferData          any                    `json:"transfer_data"`
	TrialEnd              *int64                 `json:"trial_end"`
}

// SchedulePhaseItem is one of a phase's items.
type SchedulePhaseItem struct {
	BillingThresholds any               `json:"billing_thresholds"`
	Discounts         []PhaseDiscount   `json:"discounts"`
	Metadata          map[string]string `json:"metadata"`
	Price             string            `json:"price"`
	Quantity          *int64            `json:"quantity,omitempty"` // metered prices have none
	TaxRates          []any             `json:"tax_rates"`
}

// Timeline is the scheduler timeline of the schedule's customer.
func (sch *SubscriptionSchedule) Timeline() string {
	return (&Subscription{TestClock: sch.TestClock}).Timeline()
}

// phase returns the index of the phase that starts at start, or -1.
func (sch *SubscriptionSchedule) phaseAt(start int64) int {
	for i, ph := range sch.Phases {
		if ph.StartDate == start {
			return i
		}
	}
	return -1
}

// current returns the index of the active phase, or -1.
func (sch *SubscriptionSchedule) current() int {
	if sch.CurrentPhase == nil {
		return -1
	}
	return sch.phaseAt(sch.CurrentPhase.StartDate)
}

func (sch *SubscriptionSchedule) setCurrent(i int) {
	if i < 0 {
		sch.CurrentPhase = nil
		return
	}
	sch.CurrentPhase = &ScheduleCurrentPhase{StartDate: sch.Phases[i].StartDate, EndDate: sch.Phases[i].EndDate}
}

func scheduleTerms(sch *SubscriptionSchedule) []string {
	terms := []string{"customer=" + sch.Customer, "status=" + sch.Status}
	if sch.TestClock != nil {
		terms = append(terms, "test_clock="+*sch.TestClock)
	}
	return terms
}

func saveSchedule(c *Ctx, sch *SubscriptionSchedule) error {
	return c.save(kindSubscriptionSchedule, sch.ID, sch, scheduleTerms(sch)...)
}

func cloneSchedule(sch *SubscriptionSchedule) *SubscriptionSchedule {
	cp := *sch
	cp.Phases = append([]*SchedulePhase(nil), sch.Phases...)
	if sch.CurrentPhase != nil {
		cur := *sch.CurrentPhase
		cp.CurrentPhase = &cur
	}
	return &cp
}

func init() { families = append(families, registerSubscriptionSchedules) }

func registerSubscriptionSchedules(e *Engine) {
	e.kind(Kind{Object: kindSubscriptionSchedule, Load: loader[SubscriptionSchedule](kindSubscriptionSchedule)})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_schedules", Handle: createSchedule})
	e.route(Route{Method: "GET", Pattern: "/v1/subscription_schedules", Read: true, Handle: listSchedules})
	e.route(Route{Method: "GET", Pattern: "/v1/subscription_schedules/{schedule}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[SubscriptionSchedule](c, kindSubscriptionSchedule, c.Var("schedule"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_schedules/{schedule}", Handle: updateSchedule})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_schedules/{schedule}/cancel", Handle: cancelScheduleHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_schedules/{schedule}/release", Handle: releaseScheduleHandler})
	e.job(jobSchedulePhase, runSchedulePhase)
	e.job(jobScheduleExpiring, runScheduleExpiring)
	e.onTestClockDelete(deleteClockSchedules)
}

// deleteClockSchedules removes the schedules on a deleted test clock (its
// subscriptions go with it, deleteClockSubscriptions).
func deleteClockSchedules(c *Ctx, clockID string) error {
	all, err := scan[SubscriptionSchedule](c, kindSubscriptionSchedule, "test_clock="+clockID, nil)
	if err != nil {
		return err
	}
	for _, sch := range all {
		if err := clearScheduleJobs(c, sch.ID); err != nil {
			return err
		}
		if err := c.tx.Delete(kindSubscriptionSchedule, sch.ID); err != nil {
			return err
		}
	}
	return nil
}

// ---- Create ----

func createSchedule(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account", "billing_mode"); err != nil {
		return nil, err
	}
	from, fromSub := p.String("from_subscription")
	if fromSub {
		for _, k := range []string{"customer", "phases", "start_date", "end_behavior", "default_settings"} {
			if p.Has(k) {
				return nil, apierr.InvalidRequest(k, "You cannot set `"+k+"` if `from_subscription` is set.")
			}
		}
		return scheduleFromSubscription(c, from)
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	id, err := c.NewID("sub_sched")
	if err != nil {
		return nil, err
	}
	sch := newSchedule(id, cu.ID, cu.TestClock, now)
	if err := setScheduleFields(p, sch); err != nil {
		return nil, err
	}
	if !p.Has("phases") {
		return nil, apierr.MissingParam("phases")
	}
	start := now.Unix()
	if t, ok := p.Int("start_date"); ok {
		start = t
	}
	if sch.Phases, err = parsePhasesFor(c, p, cu.ID, start, now); err != nil {
		return nil, err
	}
	if err := saveSchedule(c, sch); err != nil {
		return nil, err
	}
	if err := c.emit("subscription_schedule.created", sch, nil); err != nil {
		return nil, err
	}
	if start <= now.Unix() {
		// Starting now: the first phase's subscription is created within
		// this request, so its errors (a card declined with
		// error_if_incomplete, no payment method) answer it.
		if err := startSchedule(c, sch, now); err != nil {
			return nil, err
		}
	}
	if err := scheduleNextBoundary(c, sch); err != nil {
		return nil, err
	}
	return sch, nil
}

func newSchedule(id, customer string, clock *string, now time.Time) *SubscriptionSchedule {
	return &SubscriptionSchedule{
		ID: id, Object: kindSubscriptionSchedule, Created: now.Unix(), Customer: customer, TestClock: clock,
		BillingMode: SubscriptionBilling{Type: "flexible", Flexible: map[string]any{"proration_discounts": "itemized"}, UpdatedAt: now.Unix()},
		DefaultSettings: ScheduleDefaultSettings{
			AutomaticTax:       map[string]any{"disabled_reason": nil, "enabled": false, "liability": nil},
			BillingCycleAnchor: "automatic",
			InvoiceSettings:    map[string]any{"account_tax_ids": nil, "days_until_due": nil, "issuer": map[string]any{"type": "self"}},
		},
		EndBehavior: "release", Metadata: map[string]string{}, Status: "not_started",
	}
}

// setScheduleFields applies end_behavior, metadata and default_settings.
func setScheduleFields(p Params, sch *SubscriptionSchedule) error {
	if b, ok := p.String("end_behavior"); ok {
		if b == "none" || b == "renew" {
			// Legacy values the spec's enum still lists; the reference
			// documents only "release or cancel with the default being
			// release" (docs.stripe.com/api/subscription_schedules/object
			// end_behavior). What they did is not documented any more.
			return apierr.InvalidRequest("end_behavior", "stripefake does not support end_behavior="+b+" yet; use release or cancel.")
		}
		sch.EndBehavior = b
	}
	md, err := applyMetadata(p, sch.Metadata)
	if err != nil {
		return err
	}
	sch.Metadata = md
	if ds, ok := p.Map("default_settings"); ok {
		if err := unsupported(ds, "application_fee_percent", "automatic_tax", "billing_thresholds", "on_behalf_of", "transfer_data"); err != nil {
			return err
		}
		if is, ok := ds.Map("invoice_settings"); ok {
			if err := unsupported(is, "account_tax_ids", "issuer"); err != nil {
				return err
			}
			if is.Has("days_until_due") {
				n, _ := is.Int("days_until_due")
				if n < 0 {
					return apierr.Invalid("parameter_invalid_integer", is.Path("days_until_due"), "Invalid non-negative integer")
				}
				sch.DefaultSettings.InvoiceSettings["days_until_due"] = n
			}
		}
		if v, ok := ds.String("billing_cycle_anchor"); ok {
			sch.DefaultSettings.BillingCycleAnchor = v
		}
		if v, ok := ds.String("collection_method"); ok {
			sch.DefaultSettings.CollectionMethod = &v
		}
		if ds.Has("default_payment_method") {
			sch.DefaultSettings.DefaultPaymentMethod = ds.NullableString("default_payment_method")
		}
		if ds.Has("description") {
			sch.DefaultSettings.Description = ds.NullableString("description")
		}
	}
	return nil
}

// parsePhases reads p's phases, the first starting at start: each ends at
// its end_date, after its duration, or after its iterations (older API
// versions) of its prices' interval; the last one without any lasts one
// interval.
func parsePhases(c *Ctx, p Params, start int64, now time.Time) ([]*SchedulePhase, error) {
	return parsePhasesFor(c, p, "", start, now)
}

// parsePhasesFor is parsePhases for the schedule of customer, whose
// discounts (promotion code restrictions, a discount of theirs) the
// phases' discounts are checked against.
func parsePhasesFor(c *Ctx, p Params, customer string, start int64, now time.Time) ([]*SchedulePhase, error) {
	list := p.List("phases")
	if len(list) == 0 {
		return nil, apierr.MissingParam("phases")
	}
	var out []*SchedulePhase
	// The metadata the phase changes will leave on the subscription and
	// its items (by price) at least, each phase's merging into what the
	// one before left: checked now, as a phase change cannot refuse it.
	var merged map[string]string
	mergedItems := map[string]map[string]string{}
	for i, pp := range list {
		if err := unsupported(pp, "application_fee_percent", "billing_thresholds", "on_behalf_of", "transfer_data"); err != nil {
			return nil, err
		}
		if at, ok := pp.Map("automatic_tax"); ok {
			if on, _ := at.Bool("enabled"); on {
				return nil, unsupported(at, "enabled")
			}
		}
		if t, ok := pp.Int("start_date"); ok && i == 0 {
			start = t
		} else if ok && t != start {
			return nil, apierr.InvalidRequest(pp.Path("start_date"), "The start_date of a phase must equal the end_date of the phase before it.")
		}
		ph := &SchedulePhase{
			AddInvoiceItems: []*PhaseAddInvoiceItem{}, Currency: "", DefaultTaxRates: []any{}, Discounts: []PhaseDiscount{},
			Metadata: map[string]string{}, ProrationBehavior: "create_prorations", StartDate: start,
		}
		items := pp.List("items")
		if len(items) == 0 {
			return nil, apierr.MissingParam(pp.Path("items"))
		}
		var iv Interval
		itemsMerged := map[string]map[string]string{}
		for j, ip := range items {
			if err := unsupported(ip, "billing_thresholds", "plan"); err != nil {
				return nil, err
			}
			pr, err := itemPrice(c, ip)
			if err != nil {
				return nil, err
			}
			if itemsMerged[pr.ID], err = mergeMetadata(ip, mergedItems[pr.ID]); err != nil {
				return nil, err
			}
			it := &SchedulePhaseItem{Discounts: []PhaseDiscount{}, Metadata: ip.StringMap("metadata"), Price: pr.ID, TaxRates: []any{}}
			if err := parseItemSettings(c, ip, it, customer, pr.Currency); err != nil {
				return nil, err
			}
			q, has := ip.Int("quantity")
			switch {
			case pr.metered() && has:
				return nil, apierr.InvalidRequest(ip.Path("quantity"), "Quantity should not be specified where usage_type is `metered`. Remove quantity from `"+pr.ID+"` and try again.")
			case pr.metered():
			case !has:
				it.Quantity = new(int64(1))
			case q < 0:
				return nil, apierr.Invalid("parameter_invalid_integer", ip.Path("quantity"), "Invalid non-negative integer")
			default:
				it.Quantity = &q
			}
			piv := Interval{Unit: pr.Recurring.Interval, Count: pr.Recurring.IntervalCount}
			if j == 0 {
				ph.Currency, iv = pr.Currency, piv
			} else if pr.Currency != ph.Currency || piv != iv {
				return nil, apierr.InvalidRequest(ip.Path("price"), "Currency and interval fields must match across all prices on this subscription. Found mismatch in "+map[bool]string{true: "currency", false: "interval"}[pr.Currency != ph.Currency]+" field.")
			}
			for _, prev := range ph.Items {
				if prev.Price == pr.ID {
					return nil, apierr.InvalidRequest(ip.Path("price"), "Cannot add multiple subscription items with the same price: "+pr.ID)
				}
			}
			ph.Items = append(ph.Items, it)
		}
		end, endParam := int64(0), pp.Path("end_date")
		switch {
		case pp.Has("end_date"):
			if pp.Str("end_date") == "now" {
				end = now.Unix()
			} else {
				end, _ = pp.Int("end_date")
			}
		case pp.Has("duration"):
			d, _ := pp.Map("duration")
			n, ok := d.Int("interval_count")
			if !ok {
				n = 1
			}
			end, endParam = Interval{Unit: d.Str("interval"), Count: n}.Boundary(time.Unix(start, 0).UTC(), 1).Unix(), pp.Path("duration")
		case pp.Has("iterations"):
			n, _ := pp.Int("iterations")
			if n < 1 {
				return nil, apierr.Invalid("parameter_invalid_integer", pp.Path("iterations"), "Invalid positive integer")
			}
			end, endParam = iv.Boundary(time.Unix(start, 0).UTC(), int(n)).Unix(), pp.Path("iterations")
		case i == len(list)-1:
			end = iv.Boundary(time.Unix(start, 0).UTC(), 1).Unix()
		default:
			return nil, apierr.InvalidRequest(pp.Path("end_date"), fmt.Sprintf("Phase %d must have an end_date or a duration: only the last phase may leave both out.", i))
		}
		if end <= start {
			return nil, apierr.InvalidRequest(pp.Path("end_date"), "The phase end_date must be after its start_date.")
		}
		if end > latestSchedulable {
			// UNCONFIRMED wording: the fake's scheduler cannot hold work
			// that far ahead (store.Job: up to the year 2262).
			return nil, apierr.InvalidRequest(endParam, "The phase would end after 2200-01-01, later than stripefake can schedule.")
		}
		ph.EndDate = end
		if cur, ok := pp.String("currency"); ok && cur != ph.Currency {
			return nil, apierr.InvalidRequest(pp.Path("currency"), "The currency of the phase ("+cur+") must match the currency of its prices ("+ph.Currency+").")
		}
		if pp.Has("trial_end") {
			te, _ := pp.Int("trial_end")
			if pp.Str("trial_end") == "now" {
				te = now.Unix()
			}
			if te <= start || te > end {
				return nil, apierr.InvalidRequest(pp.Path("trial_end"), "The trial_end must be within the phase.")
			}
			ph.TrialEnd = &te
		} else if trial, _ := pp.Bool("trial"); trial {
			ph.TrialEnd = new(end)
		}
		if v, ok := pp.String("proration_behavior"); ok {
			ph.ProrationBehavior = v
		}
		if v, ok := pp.String("billing_cycle_anchor"); ok {
			ph.BillingCycleAnchor = &v
		}
		if v, ok := pp.String("collection_method"); ok {
			ph.CollectionMethod = &v
		}
		if pp.Has("default_payment_method") {
			ph.DefaultPaymentMethod = pp.NullableString("default_payment_method")
		}
		if pp.Has("description") {
			ph.Description = pp.NullableString("description")
		}
		if pp.Has("metadata") {
			var err error
			if merged, err = mergeMetadata(pp, merged); err != nil {
				return nil, err
			}
			ph.Metadata = pp.StringMap("metadata")
		}
		if err := parsePhaseSettings(c, pp, ph, customer, now); err != nil {
			return nil, err
		}
		out = append(out, ph)
		start = end
		mergedItems = itemsMerged
	}
	return out, nil
}

// scheduleFromSubscription makes an active schedule of one phase, the
// subscription's current period with its items, released at its end.
func scheduleFromSubscription(c *Ctx, subID string) (any, error) {
	s, err := loadSubscription(c, subID, "from_subscription")
	if err != nil {
		return nil, err
	}
	if s.Schedule != nil {
		return nil, apierr.InvalidRequest("from_subscription", "You cannot migrate a subscription that is already attached to a schedule: `"+*s.Schedule+"`.")
	}
	if s.ended() {
		return nil, apierr.InvalidRequest("from_subscription", "You cannot migrate a subscription that is canceled.")
	}
	if _, err := c.customerTimeline(s.Customer, "customer"); err != nil {
		return nil, err
	}
	now := c.Now()
	id, err := c.NewID("sub_sched")
	if err != nil {
		return nil, err
	}
	sch := newSchedule(id, s.Customer, s.TestClock, now)
	sch.BillingMode = s.BillingMode
	ph := &SchedulePhase{
		AddInvoiceItems: []*PhaseAddInvoiceItem{}, CollectionMethod: new(s.CollectionMethod), Currency: s.Currency, DefaultTaxRates: heldTaxRates(s.DefaultTaxRates),
		Description: s.Description, Discounts: heldDiscounts(s.Discounts), EndDate: s.periodEnd(), Metadata: map[string]string{},
		ProrationBehavior: "create_prorations", StartDate: s.periodStart(), DefaultPaymentMethod: s.DefaultPaymentMethod,
	}
	if s.DaysUntilDue != nil {
		ph.InvoiceSettings = &PhaseInvoiceSettings{DaysUntilDue: s.DaysUntilDue}
	}
	if s.Status == "trialing" {
		ph.TrialEnd = s.TrialEnd
	}
	for _, it := range s.Items.Data {
		ph.Items = append(ph.Items, &SchedulePhaseItem{Discounts: heldDiscounts(it.Discounts), Metadata: it.Metadata, Price: it.Price.ID, Quantity: it.Quantity, TaxRates: heldTaxRates(it.TaxRates)})
	}
	sch.Phases = []*SchedulePhase{ph}
	sch.Status = "active"
	sch.Subscription = &s.ID
	sch.setCurrent(0)
	if err := linkSubscription(c, s, &sch.ID); err != nil {
		return nil, err
	}
	if err := saveSchedule(c, sch); err != nil {
		return nil, err
	}
	if err := c.emit("subscription_schedule.created", sch, nil); err != nil {
		return nil, err
	}
	return sch, scheduleNextBoundary(c, sch)
}

// linkSubscription sets subscription.schedule (nil unlinks), with
// customer.subscription.updated.
func linkSubscription(c *Ctx, s *Subscription, schedule *string) error {
	before := cloneSubscription(s)
	s.Schedule = schedule
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	_, err := emitSubscriptionUpdated(c, before, s)
	return err
}

// ---- Phases through time ----

// scheduleNextBoundary (re)schedules the job at sch's next boundary: its
// start, or the end of its current phase.
func scheduleNextBoundary(c *Ctx, sch *SubscriptionSchedule) error {
	if err := clearJob(c, jobSchedulePhase, sch.ID); err != nil {
		return err
	}
	var due int64
	switch sch.Status {
	case "not_started":
		due = sch.Phases[0].StartDate
	case "active":
		due = sch.CurrentPhase.EndDate
	default:
		return clearJob(c, jobScheduleExpiring, sch.ID)
	}
	if err := scheduleExpiring(c, sch, c.Now()); err != nil {
		return err
	}
	return c.schedule(jobSchedulePhase, sch.ID, sch.Timeline(), time.Unix(due, 0).UTC())
}

func runSchedulePhase(c *Ctx, j store.Job) error {
	var sch SubscriptionSchedule
	if err := c.load(kindSubscriptionSchedule, j.ObjectID, &sch); err != nil {
		if err == store.ErrNotFound {
			return nil
		}
		return err
	}
	return advanceSchedule(c, &sch, c.Now())
}

// advanceSchedule runs what of sch falls due at now: its start, or the end
// of its current phase (the next phase, or its end_behavior). It does
// nothing for a boundary already passed, so the subscription's renewal may
// run it first (runPeriodEnd) and the schedule's own job then finds
// nothing to do.
func advanceSchedule(c *Ctx, sch *SubscriptionSchedule, now time.Time) error {
	switch {
	case sch.Status == "not_started" && sch.Phases[0].StartDate <= now.Unix():
		if err := startSchedule(c, sch, now); err != nil {
			return err
		}
	case sch.Status == "active" && sch.CurrentPhase.EndDate <= now.Unix():
		if err := nextPhase(c, sch, now); err != nil {
			return err
		}
	default:
		return nil
	}
	return scheduleNextBoundary(c, sch)
}

// firstPhaseParams are the POST /v1/subscriptions parameters that create
// sch's subscription in its first phase: startSchedule creates it with
// them, and the preview of a new schedule previews them.
func firstPhaseParams(c *Ctx, sch *SubscriptionSchedule) map[string]any {
	ph := sch.Phases[0]
	params := phaseSubscriptionParams(sch, ph)
	params["customer"] = sch.Customer
	if len(ph.AddInvoiceItems) > 0 {
		params["add_invoice_items"] = addInvoiceItemParams(ph)
	}
	if at := scheduleCancelAt(sch); at != nil {
		params["cancel_at"] = *at
	}
	usablePhaseParams(c, params, nil, sch.Customer, ph.Currency)
	for _, k := range []string{"discounts", "default_tax_rates"} {
		if params[k] == "" {
			delete(params, k) // nothing to clear on a new subscription
		}
	}
	for _, raw := range params["items"].([]any) {
		m := raw.(map[string]any)
		for _, k := range []string{"discounts", "tax_rates"} {
			if m[k] == "" {
				delete(m, k)
			}
		}
	}
	return params
}

// startSchedule starts sch's first phase: its subscription is created as
// POST /v1/subscriptions would create it.
func startSchedule(c *Ctx, sch *SubscriptionSchedule, now time.Time) error {
	before := cloneSchedule(sch)
	params := firstPhaseParams(c, sch)
	params["_schedule"] = sch.ID
	saved := c.Params
	c.Params = NewParams(params)
	res, err := createSubscription(c)
	c.Params = saved
	if err != nil {
		return err
	}
	s := res.(*Subscription)
	sch.Status = "active"
	sch.Subscription = &s.ID
	sch.setCurrent(0)
	if err := saveSchedule(c, sch); err != nil {
		return err
	}
	_, err = c.emitUpdated("subscription_schedule.updated", before, sch)
	return err
}

// phaseSubscriptionParams are the subscription parameters of phase ph.
func phaseSubscriptionParams(sch *SubscriptionSchedule, ph *SchedulePhase) map[string]any {
	items := make([]any, 0, len(ph.Items))
	for _, it := range ph.Items {
		m := map[string]any{"price": it.Price, "metadata": toAnyMap(it.Metadata),
			"discounts": phaseDiscountParams(it.Discounts), "tax_rates": taxRateParams(it.TaxRates)}
		if it.Quantity != nil {
			m["quantity"] = *it.Quantity
		}
		items = append(items, m)
	}
	// The phase's discounts and tax rates replace the subscription's at
	// the boundary ("" clears them when the phase has none).
	p := map[string]any{"items": items, "proration_behavior": ph.ProrationBehavior, "metadata": toAnyMap(ph.Metadata),
		"discounts": phaseDiscountParams(ph.Discounts), "default_tax_rates": taxRateParams(ph.DefaultTaxRates)}
	if ph.TrialEnd != nil {
		p["trial_end"] = *ph.TrialEnd
	}
	method := ph.CollectionMethod
	if method == nil {
		method = sch.DefaultSettings.CollectionMethod
	}
	if method == nil {
		method = new(chargeAutomatically) // the default settings' default
	}
	p["collection_method"] = *method
	if *method == sendInvoice {
		p["days_until_due"] = phaseDaysUntilDue(sch, ph)
	}
	pm := ph.DefaultPaymentMethod
	if pm == nil {
		pm = sch.DefaultSettings.DefaultPaymentMethod
	}
	if pm != nil {
		p["default_payment_method"] = *pm
	}
	desc := ph.Description
	if desc == nil {
		desc = sch.DefaultSettings.Description
	}
	if desc != nil {
		p["description"] = *desc
	}
	return p
}

// phaseDaysUntilDue is the days_until_due of ph's send_invoice invoices:
// the phase's invoice_settings, else the default settings', else 30.
func phaseDaysUntilDue(sch *SubscriptionSchedule, ph *SchedulePhase) int64 {
	if ph.InvoiceSettings != nil && ph.InvoiceSettings.DaysUntilDue != nil {
		return *ph.InvoiceSettings.DaysUntilDue
	}
	if n, ok := sch.DefaultSettings.InvoiceSettings["days_until_due"].(int64); ok {
		return n
	}
	if n, ok := sch.DefaultSettings.InvoiceSettings["days_until_due"].(float64); ok {
		return int64(n) // as read back from the store
	}
	return 30
}

// heldDiscounts are a subscription's (or item's) discounts as phase
// discounts (from_subscription).
func heldDiscounts(ds []any) []PhaseDiscount {
	out := []PhaseDiscount{}
	for _, id := range discountIDs(ds) {
		out = append(out, PhaseDiscount{Discount: new(id)})
	}
	return out
}

// heldTaxRates are a subscription's tax rates, never nil.
func heldTaxRates(rates []any) []any {
	if rates == nil {
		return []any{}
	}
	return rates
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// nextPhase moves sch past its current phase: the next phase's items (and
// its trial, anchor, collection) go onto the subscription through the
// update machinery, prorated per the phase's proration_behavior; after the
// last phase, end_behavior.
func nextPhase(c *Ctx, sch *SubscriptionSchedule, now time.Time) error {
	before := cloneSchedule(sch)
	i := sch.current() + 1
	if sch.Subscription == nil {
		return nil
	}
	s, err := loadSubscription(c, *sch.Subscription, "subscription")
	if err != nil {
		return err
	}
	if i >= len(sch.Phases) {
		return endSchedule(c, sch, s, now)
	}
	if !s.ended() {
		if err := applyPhase(c, sch, sch.Phases[i], s, now); err != nil {
			return err
		}
	}
	sch.setCurrent(i)
	if err := saveSchedule(c, sch); err != nil {
		return err
	}
	_, err = c.emitUpdated("subscription_schedule.updated", before, sch)
	return err
}

// applyPhase changes s to phase ph now, through the update machinery.
func applyPhase(c *Ctx, sch *SubscriptionSchedule, ph *SchedulePhase, s *Subscription, now time.Time) error {
	if s.Status == "incomplete" {
		return nil
	}
	// The phase's one-time items first, so an update that invoices at
	// once (always_invoice) bills them with it.
	if err := addPhaseInvoiceItems(c, s, ph, now); err != nil {
		return err
	}
	p := phaseParams(sch, ph, s, now)
	return updateSubscriptionWith(c, s, p, phaseChange(c, s, ph, p))
}

// phaseParams are the update parameters that move s to phase ph at now:
// items with the phase's prices keep their IDs (quantities follow the
// phase), the others are deleted, new prices added; the phase's
// proration_behavior, anchor and trial.
func phaseParams(sch *SubscriptionSchedule, ph *SchedulePhase, s *Subscription, now time.Time) Params {
	params := phaseSubscriptionParams(sch, ph)
	kept := map[string]bool{}
	var items []any
	for _, it := range s.Items.Data {
		var want *SchedulePhaseItem
		for _, pi := range ph.Items {
			if pi.Price == it.Price.ID {
				want = pi
			}
		}
		if want == nil {
			items = append(items, map[string]any{"id": it.ID, "deleted": true})
			continue
		}
		kept[want.Price] = true
		m := map[string]any{"id": it.ID, "metadata": toAnyMap(want.Metadata),
			"discounts": phaseDiscountParams(want.Discounts), "tax_rates": taxRateParams(want.TaxRates)}
		if want.Quantity != nil {
			m["quantity"] = *want.Quantity
		}
		items = append(items, m)
	}
	for _, raw := range params["items"].([]any) {
		if m := raw.(map[string]any); !kept[m["price"].(string)] {
			items = append(items, m)
		}
	}
	params["items"] = items
	// The phase's metadata merges into the subscription's: "Metadata on a
	// schedule's phase will update the underlying subscription's metadata
	// when the phase is entered, adding new keys and replacing existing
	// keys [...] Individual keys in the subscription's metadata can be
	// unset by posting an empty value to them in the phase's metadata"
	// [SPEC subscription_schedule_phase_configuration metadata], as the
	// metadata parameter of a subscription update does.
	if ph.BillingCycleAnchor != nil && *ph.BillingCycleAnchor == "phase_start" {
		params["billing_cycle_anchor"] = "now"
	}
	if ph.TrialEnd != nil && *ph.TrialEnd <= now.Unix() {
		delete(params, "trial_end")
	}
	return NewParams(params)
}

// phaseChange is the change phaseParams p make to s.
func phaseChange(c *Ctx, s *Subscription, ph *SchedulePhase, p Params) func(time.Time) error {
	return func(now time.Time) error {
		raw := p.Raw()
		v, err := reuseHeldDiscounts(c, raw["discounts"], s.Discounts)
		if err != nil {
			return err
		}
		raw["discounts"] = v
		for _, e := range p.List("items") {
			it := s.item(e.Str("id"))
			if it == nil {
				continue
			}
			v, err := reuseHeldDiscounts(c, e.Raw()["discounts"], it.Discounts)
			if err != nil {
				return err
			}
			e.Raw()["discounts"] = v
		}
		usablePhaseParams(c, raw, s, s.Customer, s.Currency)
		return applySubscriptionParams(c, s, p, now)
	}
}

// endSchedule ends sch after its last phase, per end_behavior.
func endSchedule(c *Ctx, sch *SubscriptionSchedule, s *Subscription, now time.Time) error {
	at := now.Unix()
	if sch.EndBehavior == "cancel" {
		if !s.ended() {
			// Pending prorations are invoiced as at any period end.
			usage, err := arrearsLines(c, s, s.periodStart(), now.Unix())
			if err != nil {
				return err
			}
			cu, err := get[Customer](c, kindCustomer, s.Customer, "customer")
			if err != nil {
				return err
			}
			if _, err := billPending(c, s, cu, "subscription_cycle", usage); err != nil {
				return err
			}
			s.Schedule = nil
			if err := cancelSubscription(c, s, now, "cancellation_requested"); err != nil {
				return err
			}
		}
		sch.Status, sch.CompletedAt = "completed", &at
		sch.CurrentPhase = nil
		if err := saveSchedule(c, sch); err != nil {
			return err
		}
		return c.emit("subscription_schedule.completed", sch, nil)
	}
	return releaseSchedule(c, sch, s, now, true)
}

// releaseSchedule lets the subscription run on without sch. Unless
// keepCancel (release's preserve_cancel_date), the cancellation the
// schedule set on it (end_behavior=cancel) goes, in the same update.
func releaseSchedule(c *Ctx, sch *SubscriptionSchedule, s *Subscription, now time.Time, keepCancel bool) error {
	at := now.Unix()
	set := scheduleCancelAt(sch)
	sch.Status, sch.ReleasedAt, sch.CurrentPhase = "released", &at, nil
	if s != nil {
		sch.ReleasedSubscription, sch.Subscription = &s.ID, nil
		switch {
		case s.ended():
		case !keepCancel && set != nil && s.CancelAt != nil && *s.CancelAt == *set && s.Status != "incomplete":
			p := NewParams(map[string]any{"cancel_at": ""})
			if err := updateSubscriptionWith(c, s, p, func(now time.Time) error {
				s.Schedule = nil
				return setCancellation(c, s, p, now)
			}); err != nil {
				return err
			}
		default:
			if err := linkSubscription(c, s, nil); err != nil {
				return err
			}
		}
	}
	if err := clearScheduleJobs(c, sch.ID); err != nil {
		return err
	}
	if err := saveSchedule(c, sch); err != nil {
		return err
	}
	return c.emit("subscription_schedule.released", sch, nil)
}

// scheduleBeforeRenewal runs s's schedule's boundary due at now, if any,
// before s renews (runPeriodEnd): a phase that ends with the period changes
// the items the renewal bills. It reports whether it did anything (the
// caller then reads s again).
func scheduleBeforeRenewal(c *Ctx, s *Subscription, now time.Time) (bool, error) {
	if s.Schedule == nil {
		return false, nil
	}
	var sch SubscriptionSchedule
	if err := c.load(kindSubscriptionSchedule, *s.Schedule, &sch); err != nil {
		if err == store.ErrNotFound {
			return false, nil
		}
		return false, err
	}
	if sch.Status != "active" || sch.CurrentPhase.EndDate > now.Unix() {
		return false, nil
	}
	return true, advanceSchedule(c, &sch, now)
}

// scheduleSubscriptionCanceled ends the schedule of a subscription
// canceled outside it: canceled, or aborted when payment failures
// canceled it (subscription_schedule.aborted).
func scheduleSubscriptionCanceled(c *Ctx, s *Subscription, now time.Time, reason string) error {
	if s.Schedule == nil {
		return nil
	}
	var sch SubscriptionSchedule
	if err := c.load(kindSubscriptionSchedule, *s.Schedule, &sch); err != nil {
		if err == store.ErrNotFound {
			return nil
		}
		return err
	}
	if sch.Status != "active" {
		return nil
	}
	at := now.Unix()
	sch.Status, sch.CanceledAt, sch.CurrentPhase = "canceled", &at, nil
	if err := clearScheduleJobs(c, sch.ID); err != nil {
		return err
	}
	if err := saveSchedule(c, &sch); err != nil {
		return err
	}
	event := "subscription_schedule.canceled"
	if reason == "payment_failed" {
		event = "subscription_schedule.aborted"
	}
	return c.emit(event, &sch, nil)
}

// ---- Update, cancel, release ----

func loadScheduleToChange(c *Ctx) (*SubscriptionSchedule, error) {
	sch, err := get[SubscriptionSchedule](c, kindSubscriptionSchedule, c.Var("schedule"), "id")
	if err != nil {
		return nil, err
	}
	cu, err := get[Customer](c, kindCustomer, sch.Customer, "customer")
	if err != nil {
		return nil, err
	}
	return sch, c.onCustomerTimeline(cu)
}

func updateSchedule(c *Ctx) (any, error) {
	p := c.Params
	sch, err := loadScheduleToChange(c)
	if err != nil {
		return nil, err
	}
	if sch.Status != "not_started" && sch.Status != "active" {
		return nil, apierr.InvalidRequest("", "You cannot update a subscription schedule that is currently in the `"+sch.Status+"` status. It must be in one of the following statuses: `not_started`, `active`.")
	}
	now := c.Now()
	before := cloneSchedule(sch)
	if err := setScheduleFields(p, sch); err != nil {
		return nil, err
	}
	if p.Has("phases") {
		start := sch.Phases[0].StartDate
		cur := sch.current()
		if cur >= 0 {
			start = sch.Phases[cur].StartDate
		}
		first := p.List("phases")
		if len(first) > 0 && sch.Status == "active" {
			if t, ok := first[0].Int("start_date"); ok && t != start {
				return nil, apierr.InvalidRequest(first[0].Path("start_date"), "You can not modify the start date of the current phase.")
			}
		}
		if sch.Status == "not_started" && len(first) > 0 {
			if t, ok := first[0].Int("start_date"); ok {
				start = t
			} else if first[0].Str("start_date") == "now" {
				start = now.Unix()
			}
		}
		phases, err := parsePhasesFor(c, p, sch.Customer, start, now)
		if err != nil {
			return nil, err
		}
		if sch.Status == "active" && phases[0].EndDate <= now.Unix() {
			return nil, apierr.InvalidRequest(first[0].Path("end_date"), "The current phase must end in the future.")
		}
		sch.Phases = phases
		if sch.Status == "active" {
			sch.setCurrent(0)
			// The current phase applies at once, prorated per the
			// request's proration_behavior (default the phase's).
			s, err := loadSubscription(c, *sch.Subscription, "subscription")
			if err != nil {
				return nil, err
			}
			ph := *phases[0]
			if v, ok := p.String("proration_behavior"); ok {
				ph.ProrationBehavior = v
			}
			ph.BillingCycleAnchor = nil
			// Its add_invoice_items were billed when it started.
			ph.AddInvoiceItems = nil
			if old := before.current(); !samePhaseItems(s, &ph) || old < 0 || !samePhaseSettings(before.Phases[old], &ph) {
				if err := applyPhase(c, sch, &ph, s, now); err != nil {
					return nil, err
				}
			}
		}
	}
	if sch.Status == "active" && sch.Subscription != nil {
		// A new end, or end_behavior, moves the cancellation the schedule
		// sets on its subscription.
		s, err := loadSubscription(c, *sch.Subscription, "subscription")
		if err != nil {
			return nil, err
		}
		behavior := p.Str("proration_behavior")
		if behavior == "" {
			behavior = "create_prorations"
		}
		if err := syncScheduleCancel(c, before, sch, s, behavior); err != nil {
			return nil, err
		}
	}
	if err := saveSchedule(c, sch); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("subscription_schedule.updated", before, sch); err != nil {
		return nil, err
	}
	if sch.Status == "not_started" && sch.Phases[0].StartDate <= now.Unix() {
		if err := startSchedule(c, sch, now); err != nil {
			return nil, err
		}
	}
	if err := scheduleNextBoundary(c, sch); err != nil {
		return nil, err
	}
	return sch, nil
}

// samePhaseItems reports whether s already has ph's prices and quantities.
func samePhaseItems(s *Subscription, ph *SchedulePhase) bool {
	if len(s.Items.Data) != len(ph.Items) {
		return false
	}
	for _, pi := range ph.Items {
		found := false
		for _, it := range s.Items.Data {
			if it.Price.ID == pi.Price && (pi.Quantity == nil) == (it.Quantity == nil) && (pi.Quantity == nil || *pi.Quantity == *it.Quantity) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func cancelScheduleHandler(c *Ctx) (any, error) {
	p := c.Params
	sch, err := loadScheduleToChange(c)
	if err != nil {
		return nil, err
	}
	if sch.Status != "not_started" && sch.Status != "active" {
		return nil, apierr.InvalidRequest("", "You cannot cancel a subscription schedule that is currently in the `"+sch.Status+"` status. It must be in one of the following statuses: `not_started`, `active`.")
	}
	now := c.Now()
	at := now.Unix()
	if sch.Subscription != nil {
		s, err := loadSubscription(c, *sch.Subscription, "subscription")
		if err != nil {
			return nil, err
		}
		if !s.ended() {
			// Canceling the schedule cancels its subscription now, as
			// DELETE /v1/subscriptions would (invoice_now, prorate).
			cu, err := get[Customer](c, kindCustomer, s.Customer, "customer")
			if err != nil {
				return nil, err
			}
			invoiceNow, ok := p.Bool("invoice_now")
			if !ok {
				invoiceNow = true
			}
			prorate, ok := p.Bool("prorate")
			if !ok {
				prorate = true
			}
			if err := settleBeforeCancel(c, s, cu, now, invoiceNow, prorate); err != nil {
				return nil, err
			}
			s.Schedule = nil
			if err := cancelSubscription(c, s, now, "cancellation_requested"); err != nil {
				return nil, err
			}
		}
	}
	sch.Status, sch.CanceledAt, sch.CurrentPhase = "canceled", &at, nil
	if err := clearScheduleJobs(c, sch.ID); err != nil {
		return nil, err
	}
	if err := saveSchedule(c, sch); err != nil {
		return nil, err
	}
	return sch, c.emit("subscription_schedule.canceled", sch, nil)
}

func releaseScheduleHandler(c *Ctx) (any, error) {
	p := c.Params
	sch, err := loadScheduleToChange(c)
	if err != nil {
		return nil, err
	}
	if sch.Status != "not_started" && sch.Status != "active" {
		return nil, apierr.InvalidRequest("", "You cannot release a subscription schedule that is currently in the `"+sch.Status+"` status. It must be in one of the following statuses: `not_started`, `active`.")
	}
	keep, _ := p.Bool("preserve_cancel_date")
	var s *Subscription
	if sch.Subscription != nil {
		if s, err = loadSubscription(c, *sch.Subscription, "subscription"); err != nil {
			return nil, err
		}
	}
	return sch, releaseSchedule(c, sch, s, c.Now(), keep)
}

// ---- List ----

func listSchedules(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	customer, byCustomer := p.String("customer")
	scheduled, byScheduled := p.Bool("scheduled")
	term := ""
	if byCustomer {
		term = "customer=" + customer
	}
	nullable := func(key string) func(*int64) bool {
		ok := createdFilter(p, key)
		return func(v *int64) bool {
			if !p.Has(key) {
				return true
			}
			return v != nil && ok(*v)
		}
	}
	canceled, completed, released := nullable("canceled_at"), nullable("completed_at"), nullable("released_at")
	items, err := scan(c, kindSubscriptionSchedule, term, func(sch *SubscriptionSchedule) bool {
		if byCustomer && sch.Customer != customer || skipTestClock(sch.TestClock, byCustomer) {
			return false
		}
		if byScheduled && (sch.Status == "not_started") != scheduled {
			return false
		}
		return canceled(sch.CanceledAt) && completed(sch.CompletedAt) && released(sch.ReleasedAt)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/subscription_schedules", items, func(sch *SubscriptionSchedule) (string, int64) { return sch.ID, sch.Created })
}
