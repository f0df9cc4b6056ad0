package resources

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/scheduler"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/search"
)

// Subscriptions: create, retrieve, update (subscription_update.go), cancel,
// resume, list, search. Items are stored inside their subscription (they
// always render with it) and found by ID through a small reference record
// (subscription_item.go). What happens through time — trial end, renewal,
// dunning, incomplete expiry — is in subscription_lifecycle.go.
//
// Periods (dahlia): every item carries current_period_start/end; all items
// of a subscription share one period, computed from billing_cycle_anchor
// and the prices' common interval with Interval (period.go), so a renewal
// years ahead costs the same as one next month.

const (
	kindSubscription = "subscription"
	subMaxItems      = 20
)

// Subscription is Stripe's subscription object (dahlia shape). Fields named
// with a leading underscore are stored state that never renders.
type Subscription struct {
	ID                            string                `json:"id"`
	Object                        string                `json:"object"`
	Application                   *string               `json:"application"`
	ApplicationFeePercent         *float64              `json:"application_fee_percent"`
	AutomaticTax                  map[string]any        `json:"automatic_tax"`
	BillingCycleAnchor            int64                 `json:"billing_cycle_anchor"`
	BillingCycleAnchorConfig      map[string]any        `json:"billing_cycle_anchor_config"`
	BillingMode                   SubscriptionBilling   `json:"billing_mode"`
	BillingSchedules              []any                 `json:"billing_schedules"`
	BillingThresholds             any                   `json:"billing_thresholds"`
	CancelAt                      *int64                `json:"cancel_at"`
	CancelAtPeriodEnd             bool                  `json:"cancel_at_period_end"`
	CanceledAt                    *int64                `json:"canceled_at"`
	CancellationDetails           CancellationDetails   `json:"cancellation_details"`
	CollectionMethod              string                `json:"collection_method"`
	Created                       int64                 `json:"created"`
	Currency                      string                `json:"currency"`
	Customer                      string                `json:"customer"`
	CustomerAccount               *string               `json:"customer_account"`
	DaysUntilDue                  *int64                `json:"days_until_due"`
	DefaultPaymentMethod          *string               `json:"default_payment_method"`
	DefaultSource                 *string               `json:"default_source"`
	DefaultTaxRates               []any                 `json:"default_tax_rates"`
	Description                   *string               `json:"description"`
	Discounts                     []any                 `json:"discounts"`
	EndedAt                       *int64                `json:"ended_at"`
	InvoiceSettings               map[string]any        `json:"invoice_settings"`
	Items                         SubscriptionItemList  `json:"items"`
	LatestInvoice                 *string               `json:"latest_invoice"`
	Livemode                      bool                  `json:"livemode"`
	Metadata                      map[string]string     `json:"metadata"`
	NextPendingInvoiceItemInvoice *int64                `json:"next_pending_invoice_item_invoice"`
	OnBehalfOf                    *string               `json:"on_behalf_of"`
	PauseCollection               *SubscriptionPause    `json:"pause_collection"`
	PaymentSettings               map[string]any        `json:"payment_settings"`
	PendingInvoiceItemInterval    any                   `json:"pending_invoice_item_interval"`
	PendingSetupIntent            *string               `json:"pending_setup_intent"`
	PendingUpdate                 any                   `json:"pending_update"`
	Schedule                      *string               `json:"schedule"`
	StartDate                     int64                 `json:"start_date"`
	Status                        string                `json:"status"`
	TestClock                     *string               `json:"test_clock"`
	TransferData                  any                   `json:"transfer_data"`
	TrialEnd                      *int64                `json:"trial_end"`
	TrialSettings                 *SubscriptionTrialSet `json:"trial_settings"`
	TrialStart                    *int64                `json:"trial_start"`
}

// SubscriptionBilling is subscription.billing_mode.
type SubscriptionBilling struct {
	Flexible  map[string]any `json:"flexible"`
	Type      string         `json:"type"`
	UpdatedAt int64          `json:"updated_at,omitempty"`
}

// CancellationDetails is subscription.cancellation_details.
type CancellationDetails struct {
	Comment  *string `json:"comment"`
	Feedback *string `json:"feedback"`
	Reason   *string `json:"reason"`
}

// SubscriptionPause is subscription.pause_collection.
type SubscriptionPause struct {
	Behavior  string `json:"behavior"`
	ResumesAt *int64 `json:"resumes_at"`
}

// SubscriptionTrialSet is subscription.trial_settings.
type SubscriptionTrialSet struct {
	EndBehavior struct {
		MissingPaymentMethod string `json:"missing_payment_method"`
	} `json:"end_behavior"`
}

// SubscriptionItemList is subscription.items.
type SubscriptionItemList struct {
	Object  string              `json:"object"`
	Data    []*SubscriptionItem `json:"data"`
	HasMore bool                `json:"has_more"`
	URL     string              `json:"url"`
}

// Timeline is the scheduler timeline of the subscription: its customer's
// test clock, or the fake's own clock.
func (s *Subscription) Timeline() string {
	if s.TestClock != nil {
		return *s.TestClock
	}
	return scheduler.DefaultTimeline
}

// interval is the billing interval every item shares.
func (s *Subscription) interval() Interval {
	for _, it := range s.Items.Data {
		if r := it.Price.Recurring; r != nil {
			return Interval{Unit: r.Interval, Count: r.IntervalCount}
		}
	}
	return Interval{Unit: "month", Count: 1}
}

// anchorRef is the instant period boundaries are counted from: the
// billing_cycle_anchor, or for billing_cycle_anchor_config an instant on
// the configured day itself, so that day_of_month=31 bills on the last day
// of every month even when the anchor fell on the 30th.
func (s *Subscription) anchorRef() time.Time {
	anchor := time.Unix(s.BillingCycleAnchor, 0).UTC()
	cfg := s.BillingCycleAnchorConfig
	if cfg == nil {
		return anchor
	}
	dom, _ := cfg["day_of_month"].(int64)
	if f, ok := cfg["day_of_month"].(float64); ok {
		dom = int64(f)
	}
	if dom <= int64(anchor.Day()) {
		return anchor
	}
	// The latest month before the anchor's with dom days and the anchor's
	// month of year for yearly prices: boundaries from it land on dom,
	// clamped, and one of them is the anchor.
	for back := 1; back <= 48; back++ {
		t := addMonthsClamped(anchor, -back)
		if int64(daysIn(t.Year(), t.Month())) < dom {
			continue
		}
		if s.interval().Unit == "year" && t.Month() != anchor.Month() {
			continue
		}
		ref := time.Date(t.Year(), t.Month(), int(dom), anchor.Hour(), anchor.Minute(), anchor.Second(), 0, time.UTC)
		if s.interval().Boundary(ref, s.interval().Index(ref, anchor)).Equal(anchor) {
			return ref
		}
	}
	return anchor
}

// periodEnd is the end of the current period (every item shares it).
func (s *Subscription) periodEnd() int64 {
	if len(s.Items.Data) == 0 {
		return 0
	}
	return s.Items.Data[0].CurrentPeriodEnd
}

func (s *Subscription) periodStart() int64 {
	if len(s.Items.Data) == 0 {
		return 0
	}
	return s.Items.Data[0].CurrentPeriodStart
}

// setPeriod moves every item to [start, end).
func (s *Subscription) setPeriod(start, end int64) {
	for _, it := range s.Items.Data {
		it.CurrentPeriodStart, it.CurrentPeriodEnd = start, end
	}
}

// ended reports a terminal status.
func (s *Subscription) ended() bool {
	return s.Status == "canceled" || s.Status == "incomplete_expired"
}

func (s *Subscription) item(id string) *SubscriptionItem {
	for _, it := range s.Items.Data {
		if it.ID == id {
			return it
		}
	}
	return nil
}

func subscriptionTerms(s *Subscription) []string {
	terms := []string{"customer=" + s.Customer, "status=" + s.Status}
	if s.TestClock != nil {
		terms = append(terms, "test_clock="+*s.TestClock)
	}
	for _, it := range s.Items.Data {
		terms = append(terms, "price="+it.Price.ID)
	}
	terms = append(terms, search.Term("status", s.Status))
	return append(terms, search.MetadataTerms("metadata", s.Metadata)...)
}

func saveSubscription(c *Ctx, s *Subscription) error {
	return c.save(kindSubscription, s.ID, s, subscriptionTerms(s)...)
}

func loadSubscription(c *Ctx, id, param string) (*Subscription, error) {
	s, err := get[Subscription](c, kindSubscription, id, param)
	if err != nil {
		return nil, err
	}
	return s, withItemTiers(c, s)
}

// withItemTiers restores the tiers of s's tiered item prices: an item
// stores its price as the price renders, without tiers (includable only),
// and a tiered price's amounts need them. Tiers never change on a price.
func withItemTiers(c *Ctx, s *Subscription) error {
	for _, it := range s.Items.Data {
		if it.Price == nil || it.Price.BillingScheme != "tiered" || len(it.Price.Tiers) > 0 {
			continue
		}
		pr, err := get[Price](c, kindPrice, it.Price.ID, "price")
		if err != nil {
			return err
		}
		it.Price.Tiers = pr.Tiers
	}
	return nil
}

// emitSubscriptionUpdated emits customer.subscription.updated for the
// rendered difference between before and after.
func emitSubscriptionUpdated(c *Ctx, before, after *Subscription) (bool, error) {
	return c.emitUpdated("customer.subscription.updated", before, after)
}

// cloneSubscription returns a deep copy, for before/after comparisons: what
// a JSON round trip gives (so prices lose what only their rendering drops),
// without paying for one.
func cloneSubscription(s *Subscription) *Subscription { return jsonClone(s) }

var subscriptionSearchFields = search.FieldsFor("subscriptions")

func init() { families = append(families, registerSubscriptions) }

func registerSubscriptions(e *Engine) {
	e.kind(Kind{Object: kindSubscription, Load: loader[Subscription](kindSubscription)})
	e.route(Route{Method: "POST", Pattern: "/v1/subscriptions", Handle: createSubscription})
	e.route(Route{Method: "GET", Pattern: "/v1/subscriptions/{subscription_exposed_id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return loadSubscription(c, c.Var("subscription_exposed_id"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/subscriptions/{subscription_exposed_id}", Handle: updateSubscription})
	e.route(Route{Method: "DELETE", Pattern: "/v1/subscriptions/{subscription_exposed_id}", Handle: cancelSubscriptionHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/subscriptions/{subscription}/resume", Handle: resumeSubscription})
	e.route(Route{Method: "GET", Pattern: "/v1/subscriptions", Read: true, Handle: listSubscriptions})
	e.route(Route{Method: "GET", Pattern: "/v1/subscriptions/search", Read: true, Handle: searchSubscriptions})
	registerSubscriptionJobs(e)
}

// ---- Create ----

// newSubscription is a subscription as creation builds it before writing
// anything: what createSubscription then saves and bills, and what
// create_preview of a new subscription renders (previewNewSubscription).
type newSubscription struct {
	sub         *Subscription
	cu          *Customer
	now, anchor time.Time
	behavior    string // payment_behavior
}

// planNewSubscription builds the subscription p creates, its items, trial,
// anchor, first period and cancellation, without writing it.
func planNewSubscription(c *Ctx, p Params) (*newSubscription, error) {
	if err := unsupported(p, "application_fee_percent", "backdate_start_date", "billing_schedules", "billing_thresholds",
		"customer_account", "default_source", "on_behalf_of", "payment_settings",
		"pending_invoice_item_interval", "transfer_data", "invoice_settings"); err != nil {
		return nil, err
	}
	if at, ok := p.Map("automatic_tax"); ok {
		if on, _ := at.Bool("enabled"); on {
			return nil, unsupported(at, "enabled")
		}
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	behavior := p.Str("payment_behavior")
	if behavior == "" {
		behavior = "allow_incomplete"
	}
	if behavior == "pending_if_incomplete" {
		return nil, apierr.InvalidRequest(p.Path("payment_behavior"), "You can not pass `payment_behavior=pending_if_incomplete` when creating a subscription.")
	}
	id, err := c.NewID("sub")
	if err != nil {
		return nil, err
	}
	s := &Subscription{
		ID: id, Object: kindSubscription, Created: now.Unix(), StartDate: now.Unix(), Customer: cu.ID,
		AutomaticTax:     map[string]any{"disabled_reason": nil, "enabled": false, "liability": nil},
		BillingSchedules: []any{}, CollectionMethod: "charge_automatically", Discounts: []any{},
		InvoiceSettings: map[string]any{"account_tax_ids": nil, "issuer": map[string]any{"type": "self"}},
		Items:           SubscriptionItemList{Object: "list", Data: []*SubscriptionItem{}, URL: "/v1/subscription_items?subscription=" + id},
		Metadata:        map[string]string{}, TestClock: cu.TestClock, Status: "active",
		PaymentSettings: map[string]any{"payment_method_options": nil, "payment_method_types": nil, "save_default_payment_method": "off"},
		BillingMode:     SubscriptionBilling{Type: "flexible", Flexible: map[string]any{"proration_discounts": "itemized"}, UpdatedAt: now.Unix()},
	}
	if c.Version.Before(apiversion.Clover) {
		// Before clover new subscriptions default to classic billing mode
		// (docs.stripe.com/changelog/clover/2025-09-30/billing-mode-default-flexible).
		s.BillingMode = SubscriptionBilling{Type: "classic", UpdatedAt: now.Unix()}
	}
	if sched, ok := p.String("_schedule"); ok {
		// Created by a subscription schedule's first phase (never a
		// request parameter: the spec has no such name).
		s.Schedule = &sched
	}
	s.TrialSettings = &SubscriptionTrialSet{}
	s.TrialSettings.EndBehavior.MissingPaymentMethod = "create_invoice"
	if bm, ok := p.Map("billing_mode"); ok {
		s.BillingMode.Type = bm.Str("type")
		if s.BillingMode.Type == "flexible" && s.BillingMode.Flexible == nil {
			s.BillingMode.Flexible = map[string]any{"proration_discounts": "itemized"}
		}
		if s.BillingMode.Type == "classic" {
			s.BillingMode.Flexible = nil
		} else if fl, ok := bm.Map("flexible"); ok {
			if pd, ok := fl.String("proration_discounts"); ok {
				s.BillingMode.Flexible["proration_discounts"] = pd
			}
		}
	}
	if ts, ok := p.Map("trial_settings"); ok {
		eb, _ := ts.Map("end_behavior")
		s.TrialSettings.EndBehavior.MissingPaymentMethod = eb.Str("missing_payment_method")
	}
	if err := setSubscriptionCollection(c, s, p, true); err != nil {
		return nil, err
	}
	if p.Has("description") {
		s.Description = p.NullableString("description")
	}
	if s.Metadata, err = applyMetadata(p, nil); err != nil {
		return nil, err
	}

	// Items.
	list := p.List("items")
	if len(list) == 0 {
		return nil, apierr.MissingParam(p.Path("items"))
	}
	if len(list) > subMaxItems {
		return nil, apierr.InvalidRequest(p.Path("items"), fmt.Sprintf("You can only have up to %d items on a subscription.", subMaxItems))
	}
	for _, ip := range list {
		it, err := newSubscriptionItem(c, s, ip, now)
		if err != nil {
			return nil, err
		}
		s.Items.Data = append(s.Items.Data, it)
	}
	if err := checkItemsCompatible(s, list, p.Path("items")); err != nil {
		return nil, err
	}
	s.Currency = s.Items.Data[0].Price.Currency
	if cur, ok := p.String("currency"); ok && cur != s.Currency {
		// Bare: create_preview's own currency, not subscription_details'.
		return nil, apierr.InvalidRequest("currency", fmt.Sprintf("stripefake does not support billing a subscription in %s when its prices are in %s yet.", cur, s.Currency))
	}
	if err := setSubscriptionDiscounts(c, s, p); err != nil {
		return nil, err
	}
	iv := s.interval()

	// Trial.
	var trialEnd int64
	trialEndNow := false
	if p.Has("trial_end") && p.Has("trial_period_days") {
		return nil, apierr.InvalidRequest(p.Path("trial_end"), "You may only specify one of these parameters: trial_end, trial_period_days.")
	}
	if v, ok := p.String("trial_end"); ok && v == "now" {
		trialEndNow = true
	} else if t, ok := p.Int("trial_end"); ok {
		trialEnd = t
	}
	if d, ok := p.Int("trial_period_days"); ok {
		if d < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", p.Path("trial_period_days"), "Invalid positive integer")
		}
		if d > 730 {
			return nil, apierr.InvalidRequest(p.Path("trial_period_days"), "Invalid trial_period_days: must be at most 730 days.")
		}
		trialEnd = now.Unix() + d*86400
	}
	if fromPlan, _ := p.Bool("trial_from_plan"); fromPlan && trialEnd == 0 && !trialEndNow {
		for _, it := range s.Items.Data {
			pr, err := loadPrice(c, it.Price.ID, p.Path("items"))
			if err != nil {
				return nil, err
			}
			if pr.TrialPeriodDays != nil && *pr.TrialPeriodDays > 0 {
				trialEnd = now.Unix() + *pr.TrialPeriodDays*86400
				break
			}
		}
	}
	if trialEnd != 0 {
		if err := checkTrialEnd(trialEnd, now, p.Path("trial_end")); err != nil {
			return nil, err
		}
	}

	// Anchor.
	anchor := now
	explicitAnchor := false
	if t, ok := p.Int("billing_cycle_anchor"); ok {
		if p.Has("billing_cycle_anchor_config") {
			return nil, apierr.InvalidRequest(p.Path("billing_cycle_anchor"), "You may only specify one of these parameters: billing_cycle_anchor, billing_cycle_anchor_config.")
		}
		if t < now.Unix() {
			return nil, apierr.InvalidRequest(p.Path("billing_cycle_anchor"), "Invalid timestamp: must be an integer Unix timestamp in the future.")
		}
		anchor, explicitAnchor = time.Unix(t, 0).UTC(), true
	}
	if cfg, ok := p.Map("billing_cycle_anchor_config"); ok {
		if iv.Unit != "month" && iv.Unit != "year" {
			return nil, apierr.InvalidRequest(p.Path("billing_cycle_anchor_config"), "billing_cycle_anchor_config is only supported for prices with a monthly or yearly interval.")
		}
		dom, _ := cfg.Int("day_of_month")
		if dom < 1 || dom > 31 {
			return nil, apierr.InvalidRequest(cfg.Path("day_of_month"), "day_of_month must be between 1 and 31.")
		}
		get := func(k string) int {
			if n, ok := cfg.Int(k); ok {
				return int(n)
			}
			return -1
		}
		month := max(get("month"), 0)
		if iv.Unit == "month" && month != 0 {
			return nil, apierr.InvalidRequest(cfg.Path("month"), "month can only be set for prices with a yearly interval.")
		}
		from := now
		if trialEnd != 0 {
			from = time.Unix(trialEnd, 0).UTC()
		}
		anchor, explicitAnchor = AnchorFromConfig(from, int(dom), month, get("hour"), get("minute"), get("second")), true
		s.BillingCycleAnchorConfig = map[string]any{"day_of_month": dom, "hour": nilIfNeg(get("hour")), "minute": nilIfNeg(get("minute")), "month": nilIfNeg(get("month")), "second": nilIfNeg(get("second"))}
	}
	start := now.Unix()
	if trialEnd != 0 {
		if explicitAnchor && anchor.Unix() < trialEnd {
			return nil, apierr.InvalidRequest(p.Path("billing_cycle_anchor"), "When a trial is set, billing_cycle_anchor must be at or after trial_end.")
		}
		if !explicitAnchor {
			anchor = time.Unix(trialEnd, 0).UTC()
		}
	}
	if explicitAnchor {
		// The first full period must start within one period of the start
		// (or of the trial end).
		from := time.Unix(max(start, trialEnd), 0).UTC()
		if anchor.After(iv.Boundary(from, 1)) {
			// A config anchor far ahead (2-month interval, day 31) is folded
			// back to its first occurrence within one period.
			if s.BillingCycleAnchorConfig != nil {
				anchor = iv.Boundary(anchor, iv.Index(anchor, from)+1)
			} else {
				return nil, apierr.InvalidRequest(p.Path("billing_cycle_anchor"), fmt.Sprintf(
					"billing_cycle_anchor cannot be later than next natural billing date (%d) for plan", iv.Boundary(from, 1).Unix()))
			}
		}
	}
	s.BillingCycleAnchor = anchor.Unix()

	// First period.
	var periodEnd int64
	switch {
	case trialEnd != 0:
		periodEnd = trialEnd
		s.TrialStart, s.TrialEnd = &start, &trialEnd
		s.Status = "trialing"
	case anchor.Unix() > start:
		periodEnd = anchor.Unix() // the stub up to the anchor
	default:
		periodEnd = iv.Next(s.anchorRef(), anchor).Unix()
	}
	s.setPeriod(start, periodEnd)
	if trialEndNow {
		s.TrialStart, s.TrialEnd = &start, &start
	}

	// Cancellation.
	if err := setCancellation(c, s, p, now); err != nil {
		return nil, err
	}
	if s.CancelAt != nil && *s.CancelAt < s.periodEnd() {
		s.setPeriod(start, *s.CancelAt)
	}
	return &newSubscription{sub: s, cu: cu, now: now, anchor: anchor, behavior: behavior}, nil
}

func createSubscription(c *Ctx) (any, error) {
	p := c.Params
	ns, err := planNewSubscription(c, p)
	if err != nil {
		return nil, err
	}
	s, cu, now, anchor, behavior, start := ns.sub, ns.cu, ns.now, ns.anchor, ns.behavior, ns.sub.StartDate
	if err := saveNewItemRefs(c, s); err != nil {
		return nil, err
	}

	// The first invoice: the subscription is announced first, with the
	// status its payment will give and the invoice's ID in latest_invoice;
	// then the invoice is made, finalized and, for charge_automatically,
	// charged within this request.
	lines, err := firstInvoiceLines(c, s, anchor, p.Str("proration_behavior"))
	if err != nil {
		return nil, err
	}
	extra, err := addInvoiceItemLines(c, s, p, now)
	if err != nil {
		return nil, err
	}
	pending, err := pendingLines(c, s)
	if err != nil {
		return nil, err
	}
	expected, err := expectedTotal(c, s, cu, slices.Concat(lines, extra, pending))
	if err != nil {
		return nil, err
	}
	if s.Status, err = predictFirstStatus(c, s, cu, expected, behavior, now); err != nil {
		return nil, err
	}
	bill := len(lines) > 0 || len(extra) > 0
	var invoiceID string
	if bill {
		if invoiceID, err = reserveInvoice(c, s); err != nil {
			return nil, err
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, err
	}
	if err := c.emit("customer.subscription.created", s, nil); err != nil {
		return nil, err
	}
	if bill {
		if err := addPendingItems(c, s, extra, now); err != nil {
			return nil, err
		}
		_, declined, err := billSubscription(c, billingRun{
			sub: s, cu: cu, invoiceID: invoiceID, reason: "subscription_create", lines: lines,
			finalizeNow: true, attempt: behavior != "default_incomplete",
		})
		if err != nil {
			return nil, err
		}
		if declined != nil && behavior == "error_if_incomplete" {
			// Stripe answers with the card error and creates nothing: the
			// error rolls the whole request back.
			return nil, declined
		}
	}
	if s.Status == "incomplete" {
		if err := scheduleIncompleteExpiry(c, s); err != nil {
			return nil, err
		}
	}
	if err := scheduleSubscription(c, s, now); err != nil {
		return nil, err
	}
	if s.TrialEnd != nil && *s.TrialEnd > start {
		if err := scheduleTrialWillEnd(c, s, now); err != nil {
			return nil, err
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, err
	}
	return s, nil
}

func nilIfNeg(n int) any {
	if n < 0 {
		return nil
	}
	return int64(n)
}

// checkTrialEnd applies Stripe's limits to a trial end; param names it.
func checkTrialEnd(t int64, now time.Time, param string) error {
	if t <= now.Unix() {
		return apierr.InvalidRequest(param, "Invalid timestamp: must be an integer Unix timestamp in the future.")
	}
	if t > now.Unix()+730*86400 {
		return apierr.InvalidRequest(param, "Invalid timestamp: can be no more than two years in the future.")
	}
	return nil
}

// setSubscriptionCollection applies collection_method, days_until_due and
// default_payment_method.
func setSubscriptionCollection(c *Ctx, s *Subscription, p Params, creating bool) error {
	if m, ok := p.String("collection_method"); ok {
		s.CollectionMethod = m
	}
	if n, ok := p.Int("days_until_due"); ok {
		if s.CollectionMethod != "send_invoice" {
			return apierr.InvalidRequest(p.Path("days_until_due"), "Can only set days_until_due when collection_method is 'send_invoice'.")
		}
		if n < 0 {
			return apierr.Invalid("parameter_invalid_integer", p.Path("days_until_due"), "Invalid non-negative integer")
		}
		s.DaysUntilDue = &n
	}
	if s.CollectionMethod == "send_invoice" && s.DaysUntilDue == nil {
		return apierr.MissingParam(p.Path("days_until_due"))
	}
	if s.CollectionMethod == "charge_automatically" {
		s.DaysUntilDue = nil
	}
	if p.Has("default_payment_method") {
		if p.Empty("default_payment_method") {
			s.DefaultPaymentMethod = nil
		} else {
			pm := p.Str("default_payment_method")
			if err := requireAttached(c, pm, s.Customer, p.Path("default_payment_method")); err != nil {
				return err
			}
			s.DefaultPaymentMethod = &pm
		}
	}
	_ = creating
	return nil
}

// setCancellation applies cancel_at and cancel_at_period_end.
func setCancellation(c *Ctx, s *Subscription, p Params, now time.Time) error {
	if p.Has("cancel_at") && p.Has("cancel_at_period_end") {
		if b, _ := p.Bool("cancel_at_period_end"); b && !p.Empty("cancel_at") {
			return apierr.InvalidRequest(p.Path("cancel_at"), "You may only specify one of these parameters: cancel_at, cancel_at_period_end.")
		}
	}
	if b, ok := p.Bool("cancel_at_period_end"); ok {
		// While cancel_at_period_end is set, cancel_at mirrors the period
		// end (capAtCancel); reactivating (false after true) clears that
		// mirror too, so the subscription renews. An explicit cancel_at
		// stays until cancel_at="" clears it.
		wasAtEnd := s.CancelAtPeriodEnd
		s.CancelAtPeriodEnd = b
		if b || wasAtEnd {
			s.CancelAt = nil
		}
	}
	if p.Has("cancel_at") {
		switch v := p.Str("cancel_at"); {
		case p.Empty("cancel_at"):
			s.CancelAt = nil
		case v == "min_period_end" || v == "max_period_end" || v == "max_billed_until":
			end := s.periodEnd()
			s.CancelAt = &end
		default:
			t, _ := p.Int("cancel_at")
			if t <= now.Unix() {
				return apierr.InvalidRequest(p.Path("cancel_at"), "Invalid timestamp: must be an integer Unix timestamp in the future.")
			}
			s.CancelAt = &t
			s.CancelAtPeriodEnd = false
		}
	}
	if s.CancelAtPeriodEnd || s.CancelAt != nil {
		if s.CanceledAt == nil {
			at := now.Unix()
			s.CanceledAt = &at
		}
		s.CancellationDetails.Reason = new("cancellation_requested")
	} else if s.Status != "canceled" {
		s.CanceledAt = nil
		s.CancellationDetails.Reason = nil
	}
	if s.CancelAtPeriodEnd {
		// cancel_at mirrors the period end it will happen at.
		end := s.periodEnd()
		s.CancelAt = &end
	}
	if cd, ok := p.Map("cancellation_details"); ok {
		if cd.Has("comment") {
			s.CancellationDetails.Comment = cd.NullableString("comment")
		}
		if cd.Has("feedback") {
			s.CancellationDetails.Feedback = cd.NullableString("feedback")
		}
		if err := unsupported(cd, "feedback_option"); err != nil {
			return err
		}
	}
	return nil
}

// checkItemsCompatible checks what every item must share: currency and
// billing interval, and a price at most once. list names the newest
// items' errors, param the others'.
func checkItemsCompatible(s *Subscription, list []Params, param string) error {
	seen := map[string]bool{}
	first := s.Items.Data[0].Price
	offset := len(s.Items.Data) - len(list) // list names the newest items
	for i, it := range s.Items.Data {
		pr := it.Price
		param := param
		if i >= offset && len(list) > 0 {
			param = list[i-offset].Path("price")
		}
		if seen[pr.ID] {
			return apierr.InvalidRequest(param, "Cannot add multiple subscription items with the same price: "+pr.ID)
		}
		seen[pr.ID] = true
		if pr.Currency != first.Currency {
			return apierr.InvalidRequest(param, "Currency and interval fields must match across all prices on this subscription. Found mismatch in currency field.")
		}
		if pr.Recurring.Interval != first.Recurring.Interval || pr.Recurring.IntervalCount != first.Recurring.IntervalCount {
			return apierr.InvalidRequest(param, "Currency and interval fields must match across all prices on this subscription. Found mismatch in interval field.")
		}
	}
	return nil
}

// statusAfterPayment is the status a subscription whose latest invoice is
// paid has at now.
func statusAfterPayment(s *Subscription, now time.Time) string {
	if s.TrialEnd != nil && *s.TrialEnd > now.Unix() {
		return "trialing"
	}
	return "active"
}

// ---- Read ----

func listSubscriptions(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account", "automatic_tax"); err != nil {
		return nil, err
	}
	status := p.Str("status")
	clock, byClock := p.String("test_clock")
	customer, byCustomer := p.String("customer")
	price, byPrice := p.String("price")
	method, byMethod := p.String("collection_method")
	term := ""
	switch {
	case byCustomer:
		term = "customer=" + customer
	case byClock:
		term = "test_clock=" + clock
	case byPrice:
		term = "price=" + price
	case status != "" && status != "all" && status != "ended":
		term = "status=" + status
	}
	startOK := createdFilter(p, "current_period_start")
	endOK := createdFilter(p, "current_period_end")
	return listStored(c, "/v1/subscriptions", kindSubscription, term, func(s *Subscription) bool {
		switch status {
		case "":
			if s.Status == "canceled" {
				return false
			}
		case "all":
		case "ended":
			if !s.ended() {
				return false
			}
		default:
			if s.Status != status {
				return false
			}
		}
		// Without a test_clock filter, subscriptions on test clocks are left
		// out, as their customers are (unless the customer is named).
		if skipTestClock(s.TestClock, byCustomer || byClock) {
			return false
		}
		if byClock && (s.TestClock == nil || *s.TestClock != clock) {
			return false
		}
		if byCustomer && s.Customer != customer {
			return false
		}
		if byMethod && s.CollectionMethod != method {
			return false
		}
		if byPrice {
			found := false
			for _, it := range s.Items.Data {
				found = found || it.Price.ID == price
			}
			if !found {
				return false
			}
		}
		return startOK(s.periodStart()) && endOK(s.periodEnd())
	}, func(s *Subscription) (string, int64) { return s.ID, s.Created })
}

func searchSubscriptions(c *Ctx) (any, error) {
	return searchObjects(c, kindSubscription, "subscriptions", "/v1/subscriptions/search", subscriptionSearchFields,
		nil, func(s *Subscription) (string, int64) { return s.ID, s.Created })
}

// ---- Cancel ----

func cancelSubscriptionHandler(c *Ctx) (any, error) {
	p := c.Params
	s, err := loadSubscription(c, c.Var("subscription_exposed_id"), "id")
	if err != nil {
		return nil, err
	}
	if s.ended() {
		return nil, apierr.InvalidRequest("", "A canceled subscription can only update its cancellation_details and metadata.")
	}
	cu, err := c.customerTimeline(s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now := c.Now()
	if cd, ok := p.Map("cancellation_details"); ok {
		if err := unsupported(cd, "feedback_option"); err != nil {
			return nil, err
		}
		if cd.Has("comment") {
			s.CancellationDetails.Comment = cd.NullableString("comment")
		}
		if cd.Has("feedback") {
			s.CancellationDetails.Feedback = cd.NullableString("feedback")
		}
	}
	invoiceNow, _ := p.Bool("invoice_now")
	prorate, _ := p.Bool("prorate")
	if err := settleBeforeCancel(c, s, cu, now, invoiceNow, prorate); err != nil {
		return nil, err
	}
	if err := cancelSubscription(c, s, now, "cancellation_requested"); err != nil {
		return nil, err
	}
	return s, nil
}

// settleBeforeCancel does what canceling s now with invoice_now and prorate
// asks before the cancellation itself: with prorate (outside a trial) the
// unused time becomes a pending credit, which without invoice_now the
// customer's next invoice takes (pullableItems); with invoice_now a final
// invoice takes the pending items and the period's usage so far (without
// it that usage is discarded); with neither, pending prorations are dropped.
func settleBeforeCancel(c *Ctx, s *Subscription, cu *Customer, now time.Time, invoiceNow, prorate bool) error {
	if prorate && s.Status != "trialing" {
		if err := prorateRemainder(c, s, now); err != nil {
			return err
		}
	}
	switch {
	case invoiceNow:
		usage, err := arrearsLines(c, s, s.periodStart(), now.Unix())
		if err != nil {
			return err
		}
		_, err = billPending(c, s, cu, "subscription_update", usage)
		return err
	case !prorate:
		return dropPendingProrations(c, s)
	}
	return nil
}

// cancelSubscription ends s now: canceled, no more jobs, open and draft
// invoices stop collecting, customer.subscription.deleted. The caller has
// loaded s; it is saved here.
func cancelSubscription(c *Ctx, s *Subscription, now time.Time, reason string) error {
	at := now.Unix()
	s.Status = "canceled"
	if s.CanceledAt == nil || reason != "cancellation_requested" || (s.CancelAt == nil && !s.CancelAtPeriodEnd) {
		s.CanceledAt = &at
	}
	s.EndedAt = &at
	s.CancellationDetails.Reason = &reason
	if err := unscheduleSubscription(c, s); err != nil {
		return err
	}
	if err := scheduleSubscriptionCanceled(c, s, now, reason); err != nil {
		return err
	}
	if err := stopInvoiceCollection(c, s); err != nil {
		return err
	}
	if err := saveSubscription(c, s); err != nil {
		return err
	}
	return c.emit("customer.subscription.deleted", s, nil)
}

// ---- Resume (paused status) ----

func resumeSubscription(c *Ctx) (any, error) {
	p := c.Params
	s, err := loadSubscription(c, c.Var("subscription"), "id")
	if err != nil {
		return nil, err
	}
	if s.Status != "paused" {
		return nil, apierr.InvalidRequest("", "Subscription is not paused, so it cannot be resumed.")
	}
	if s.CollectionMethod != "charge_automatically" {
		return nil, apierr.InvalidRequest("", "Only subscriptions with collection_method=charge_automatically can be resumed.")
	}
	if err := unsupported(p, "proration_date"); err != nil {
		return nil, err
	}
	cu, err := c.customerTimeline(s.Customer, "customer")
	if err != nil {
		return nil, err
	}
	now := c.Now()
	before := cloneSubscription(s)
	lines := planResume(s, now, p.Str("billing_cycle_anchor"), p.Str("proration_behavior"))
	// It stays paused while its resumption invoice is charged.
	if total(lines) > 0 {
		inv, _, err := billSubscription(c, billingRun{sub: s, cu: cu, reason: "subscription_update", lines: lines, finalizeNow: true, attempt: true})
		if err != nil {
			return nil, err
		}
		if inv.status() != invoicePaid {
			// Stripe keeps it paused until the resumption invoice is paid
			// (and voids the invoice after 23 hours, which the fake does
			// not model): no retries, the old period back.
			if err := stopAutoAdvance(c, inv); err != nil {
				return nil, err
			}
			s.setPeriod(before.periodStart(), before.periodEnd())
			s.BillingCycleAnchor = before.BillingCycleAnchor
		} else {
			s.Status = "active"
		}
	} else {
		s.Status = "active"
	}
	if s.Status == "active" {
		if err := scheduleSubscription(c, s, now); err != nil {
			return nil, err
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, err
	}
	if s.Status == "active" {
		if err := c.emit("customer.subscription.resumed", s, nil); err != nil {
			return nil, err
		}
	}
	if _, err := emitSubscriptionUpdated(c, before, s); err != nil {
		return nil, err
	}
	return s, nil
}

// planResume moves s's period as resuming it at now does (a new period
// from now, or with billing_cycle_anchor=unchanged the anchor's current
// one) and returns the resumption invoice's lines. A preview with
// subscription_details[resume_at] runs it too.
func planResume(s *Subscription, now time.Time, anchor, behavior string) []LineInput {
	iv := s.interval()
	if anchor == "unchanged" {
		start, end := iv.Period(s.anchorRef(), now)
		s.setPeriod(start.Unix(), end.Unix())
	} else {
		s.BillingCycleAnchor = now.Unix()
		s.setPeriod(now.Unix(), iv.Boundary(now, 1).Unix())
	}
	lines := make([]LineInput, 0, len(s.Items.Data))
	for _, it := range s.Items.Data {
		if it.metered() {
			continue // billed in arrears at the period's end
		}
		amount := Prorate(itemAmount(it), now, time.Unix(s.periodStart(), 0), time.Unix(s.periodEnd(), 0))
		if anchor != "unchanged" || behavior != "none" {
			lines = append(lines, itemLine(it, amount, s.periodStart(), s.periodEnd(), false))
		}
	}
	return lines
}

// ---- Amounts ----

// priceAmount is what quantity units of pr cost for one full period.
func priceAmount(pr *Price, quantity int64) int64 {
	q := quantity
	if t := pr.TransformQuantity; t != nil && t.DivideBy > 0 {
		if t.Round == "up" {
			q = (q + t.DivideBy - 1) / t.DivideBy
		} else {
			q /= t.DivideBy
		}
	}
	if pr.BillingScheme == "tiered" {
		return tieredAmount(pr, q)
	}
	return unitTimes(pr.UnitAmount, pr.UnitAmountDecimal, q)
}

func unitTimes(amount *int64, decimal *string, q int64) int64 {
	if decimal != nil {
		if f, err := strconv.ParseFloat(*decimal, 64); err == nil {
			return int64(math.Round(f * float64(q)))
		}
	}
	if amount != nil {
		return *amount * q
	}
	return 0
}

func tieredAmount(pr *Price, q int64) int64 {
	volume := pr.TiersMode != nil && *pr.TiersMode == "volume"
	var sum int64
	var lower int64
	for _, t := range pr.Tiers {
		upper := int64(math.MaxInt64)
		if t.UpTo != nil {
			upper = *t.UpTo
		}
		if volume {
			if q <= upper {
				return unitTimes(t.UnitAmount, t.UnitAmountDecimal, q) + unitTimes(t.FlatAmount, t.FlatAmountDecimal, 1)
			}
			continue
		}
		if q <= lower {
			break
		}
		n := min(q, upper) - lower
		sum += unitTimes(t.UnitAmount, t.UnitAmountDecimal, n) + unitTimes(t.FlatAmount, t.FlatAmountDecimal, 1)
		lower = upper
	}
	return sum
}

// itemAmount is what a licensed item costs for one full period; a
// metered item has no amount in advance (its usage is billed in arrears by
// usageLines), so it is 0 and never prorated.
func itemAmount(it *SubscriptionItem) int64 {
	if it.metered() {
		return 0
	}
	return priceAmount(it.Price, it.quantity())
}

func total(lines []LineInput) int64 {
	var n int64
	for _, l := range lines {
		n += l.Amount
	}
	return n
}
