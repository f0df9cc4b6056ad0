package resources

import (
	"encoding/json"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// What a schedule's phase sets on its subscription besides items: discounts,
// tax rates, one-time add_invoice_items, invoice settings; and the
// subscription_schedule.expiring notice.
//
// A phase stores its discounts as the request named them (coupon,
// promotion_code or discount, as Stripe shows phases[].discounts); they are
// checked when the phase is written, without redeeming anything, and
// redeemed onto the subscription when the phase starts, through the
// subscription's own discounts parameter (setSubscriptionDiscounts,
// setItemDiscounts), so invoices price them with invoice_amounts.go like
// any subscription's. Tax rates are stored as objects, as Stripe embeds
// them. add_invoice_items become pending invoice items of the subscription
// when the phase starts, so the phase's first invoice bills them: "A list
// of prices and quantities that will generate invoice items appended to the
// next invoice for this phase." [SPEC subscription_schedule_phase_configuration
// add_invoice_items].

const jobScheduleExpiring = "subscription_schedule.expiring"

// scheduleExpiringLead is how long before its end a schedule announces
// subscription_schedule.expiring: "Occurs 7 days before a subscription
// schedule will expire." (docs.stripe.com/api/events/types, the event's
// description in Stripe's OpenAPI spec).
const scheduleExpiringLead = 7 * 24 * time.Hour

// PhaseDiscount is one entry of a phase's (or phase item's, or
// add_invoice_items entry's) discounts.
type PhaseDiscount struct {
	Coupon        *string `json:"coupon"`
	Discount      *string `json:"discount"`
	PromotionCode *string `json:"promotion_code"`
}

// PhaseAddInvoiceItem is one of a phase's add_invoice_items.
type PhaseAddInvoiceItem struct {
	Discounts []PhaseDiscount      `json:"discounts"`
	Metadata  map[string]string    `json:"metadata"`
	Period    PhaseInvoiceItemSpan `json:"period"`
	Price     string               `json:"price"`
	Quantity  *int64               `json:"quantity"`
	TaxRates  []any                `json:"tax_rates"`
}

// PhaseInvoiceItemSpan is add_invoice_items[].period: the defaults, the
// only span the fake models (period is refused as a parameter).
type PhaseInvoiceItemSpan struct{}

// MarshalJSON renders the default span: "If not set, period.start.type
// defaults to max_item_period_start and period.end.type defaults to
// min_item_period_end" [SPEC add_invoice_items period].
func (PhaseInvoiceItemSpan) MarshalJSON() ([]byte, error) {
	return []byte(`{"end":{"type":"min_item_period_end"},"start":{"type":"max_item_period_start"}}`), nil
}

// PhaseInvoiceSettings is a phase's invoice_settings.
type PhaseInvoiceSettings struct {
	AccountTaxIDs []any  `json:"account_tax_ids"`
	DaysUntilDue  *int64 `json:"days_until_due"`
	Issuer        any    `json:"issuer"`
}

// phaseDiscounts reads and checks discounts at key of p (without redeeming
// them) for customer in currency. A missing key gives an empty list.
func phaseDiscounts(c *Ctx, p Params, key, customer, currency string) ([]PhaseDiscount, error) {
	out := []PhaseDiscount{}
	if !p.Has(key) {
		return out, nil
	}
	if _, err := previewing(c, func() ([]any, error) {
		ids, _, err := discountsParam(c, p, key, discountTarget{Customer: customer, Currency: currency, Amount: -1})
		return ids, err
	}); err != nil {
		return nil, err
	}
	for _, dp := range p.List(key) {
		var d PhaseDiscount
		if v, ok := dp.String("coupon"); ok {
			d.Coupon = &v
		}
		if v, ok := dp.String("discount"); ok {
			d.Discount = &v
		}
		if v, ok := dp.String("promotion_code"); ok {
			d.PromotionCode = &v
		}
		out = append(out, d)
	}
	return out, nil
}

// phaseTaxRates reads and checks tax rates at key of p; nil when absent.
func phaseTaxRates(c *Ctx, p Params, key string) ([]any, error) {
	rates, _, err := taxRatesParam(c, p, key)
	return rates, err
}

// parsePhaseSettings reads what pp (one of phases[]) sets besides items
// and dates onto ph: discounts, default_tax_rates, add_invoice_items,
// invoice_settings.
func parsePhaseSettings(c *Ctx, pp Params, ph *SchedulePhase, customer string, now time.Time) error {
	var err error
	if ph.Discounts, err = phaseDiscounts(c, pp, "discounts", customer, ph.Currency); err != nil {
		return err
	}
	if rates, err := phaseTaxRates(c, pp, "default_tax_rates"); err != nil {
		return err
	} else if len(rates) > 0 {
		ph.DefaultTaxRates = rates
	}
	if is, ok := pp.Map("invoice_settings"); ok {
		if err := unsupported(is, "account_tax_ids", "issuer"); err != nil {
			return err
		}
		if n, ok := is.Int("days_until_due"); ok {
			if n < 0 {
				return apierr.Invalid("parameter_invalid_integer", is.Path("days_until_due"), "Invalid non-negative integer")
			}
			ph.InvoiceSettings = &PhaseInvoiceSettings{DaysUntilDue: &n}
		}
	}
	if !pp.Has("add_invoice_items") {
		return nil
	}
	// The checks a subscription's add_invoice_items get (one-time price
	// in the phase's currency, discounts, tax rates), on a stand-in
	// subscription, redeeming nothing.
	lines, err := previewing(c, func() ([]LineInput, error) {
		return addInvoiceItemLines(c, &Subscription{Customer: customer, Currency: ph.Currency}, pp, now)
	})
	if err != nil {
		return err
	}
	for i, ip := range pp.List("add_invoice_items") {
		ds, err := phaseDiscounts(c, ip, "discounts", customer, ph.Currency)
		if err != nil {
			return err
		}
		q := lines[i].Quantity
		ph.AddInvoiceItems = append(ph.AddInvoiceItems, &PhaseAddInvoiceItem{
			Discounts: ds, Metadata: ip.StringMap("metadata"), Price: lines[i].Price.ID, Quantity: &q, TaxRates: lines[i].TaxRates,
		})
	}
	return nil
}

// parseItemSettings reads a phase item's discounts and tax_rates.
func parseItemSettings(c *Ctx, ip Params, it *SchedulePhaseItem, customer, currency string) error {
	var err error
	if it.Discounts, err = phaseDiscounts(c, ip, "discounts", customer, currency); err != nil {
		return err
	}
	if rates, err := phaseTaxRates(c, ip, "tax_rates"); err != nil {
		return err
	} else if len(rates) > 0 {
		it.TaxRates = rates
	}
	return nil
}

// phaseDiscountParams are ds as a discounts parameter ("" for none,
// which clears).
func phaseDiscountParams(ds []PhaseDiscount) any {
	if len(ds) == 0 {
		return ""
	}
	out := make([]any, 0, len(ds))
	for _, d := range ds {
		switch {
		case d.Discount != nil:
			out = append(out, map[string]any{"discount": *d.Discount})
		case d.Coupon != nil:
			out = append(out, map[string]any{"coupon": *d.Coupon})
		case d.PromotionCode != nil:
			out = append(out, map[string]any{"promotion_code": *d.PromotionCode})
		}
	}
	return out
}

// reuseHeldDiscounts rewrites the coupon entries of a discounts parameter
// v whose coupon the subscription (or item) already holds a discount of,
// current, into that discount: a phase naming the coupon of the phase
// before keeps the discount rather than redeeming the coupon again.
func reuseHeldDiscounts(c *Ctx, v any, current []any) (any, error) {
	list, ok := v.([]any)
	if !ok || len(current) == 0 {
		return v, nil
	}
	held := map[string]string{}
	for _, id := range discountIDs(current) {
		d, err := loadDiscount(c, id, "discounts")
		if err != nil {
			return nil, err
		}
		if !d.Deleted {
			held[d.coupon()] = d.ID
		}
	}
	out := make([]any, len(list))
	for i, e := range list {
		out[i] = e
		if m, ok := e.(map[string]any); ok {
			if co, ok := m["coupon"].(string); ok && held[co] != "" {
				out[i] = map[string]any{"discount": held[co]}
			}
		}
	}
	return out, nil
}

// taxRateParams are rates as a tax rates parameter ("" clears).
func taxRateParams(rates []any) any {
	ids := taxRateIDs(rates)
	if len(ids) == 0 {
		return ""
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// addInvoiceItemParams are ph's add_invoice_items as the subscription
// parameter.
func addInvoiceItemParams(ph *SchedulePhase) []any {
	out := make([]any, 0, len(ph.AddInvoiceItems))
	for _, ai := range ph.AddInvoiceItems {
		m := map[string]any{"price": ai.Price}
		if ai.Quantity != nil {
			m["quantity"] = *ai.Quantity
		}
		if ids := taxRateIDs(ai.TaxRates); len(ids) > 0 {
			m["tax_rates"] = taxRateParams(ai.TaxRates)
		}
		if len(ai.Discounts) > 0 {
			m["discounts"] = phaseDiscountParams(ai.Discounts)
		}
		if len(ai.Metadata) > 0 {
			m["metadata"] = toAnyMap(ai.Metadata)
		}
		out = append(out, m)
	}
	return out
}

// addPhaseInvoiceItems makes ph's add_invoice_items pending invoice items
// of s, which the phase's first invoice takes.
func addPhaseInvoiceItems(c *Ctx, s *Subscription, ph *SchedulePhase, now time.Time) error {
	if len(ph.AddInvoiceItems) == 0 {
		return nil
	}
	raw := map[string]any{"add_invoice_items": addInvoiceItemParams(ph)}
	usablePhaseParams(c, raw, s, s.Customer, s.Currency)
	lines, err := addInvoiceItemLines(c, s, NewParams(raw), now)
	if err != nil {
		return err
	}
	return addPendingItems(c, s, lines, now)
}

// scheduleEnd is the end of sch's last phase.
func (sch *SubscriptionSchedule) end() int64 {
	if len(sch.Phases) == 0 {
		return 0
	}
	return sch.Phases[len(sch.Phases)-1].EndDate
}

// scheduleExpiring (re)schedules sch's subscription_schedule.expiring, 7
// days before its end, once per schedule: not after it was sent, nor when
// the end is already less than 7 days away.
func scheduleExpiring(c *Ctx, sch *SubscriptionSchedule, now time.Time) error {
	if err := clearJob(c, jobScheduleExpiring, sch.ID); err != nil {
		return err
	}
	if sch.ExpiringSent || (sch.Status != "not_started" && sch.Status != "active") {
		return nil
	}
	due := time.Unix(sch.end(), 0).UTC().Add(-scheduleExpiringLead)
	if !due.After(now) {
		return nil
	}
	return c.schedule(jobScheduleExpiring, sch.ID, sch.Timeline(), due)
}

func runScheduleExpiring(c *Ctx, j store.Job) error {
	var sch SubscriptionSchedule
	if err := c.load(kindSubscriptionSchedule, j.ObjectID, &sch); err != nil {
		if err == store.ErrNotFound {
			return nil
		}
		return err
	}
	now := c.Now()
	if sch.ExpiringSent || (sch.Status != "not_started" && sch.Status != "active") ||
		now.Add(scheduleExpiringLead).Unix() < sch.end() {
		return nil // stale
	}
	sch.ExpiringSent = true
	if err := saveSchedule(c, &sch); err != nil {
		return err
	}
	return c.emit("subscription_schedule.expiring", &sch, nil)
}

// clearScheduleJobs drops sch's boundary and expiring jobs (it ended).
func clearScheduleJobs(c *Ctx, id string) error {
	if err := clearJob(c, jobSchedulePhase, id); err != nil {
		return err
	}
	return clearJob(c, jobScheduleExpiring, id)
}

// wire hides what the fake keeps for itself.
func (sch *SubscriptionSchedule) wire(string) any {
	out := *sch
	out.ExpiringSent = false
	return &out
}

// scheduleCancelAt is the cancellation sch sets on its subscription: the
// end of its last phase when end_behavior=cancel. Stripe's release takes
// preserve_cancel_date, "Keep any cancellation on the subscription that
// the schedule has set" (docs.stripe.com/api/subscription_schedules/release),
// so a schedule that cancels sets cancel_at (and canceled_at) on its
// subscription; that it does so from its start, not only in its last
// phase, is UNCONFIRMED.
func scheduleCancelAt(sch *SubscriptionSchedule) *int64 {
	if sch.EndBehavior != "cancel" || len(sch.Phases) == 0 {
		return nil
	}
	return new(sch.end())
}

// syncScheduleCancel moves s's cancel_at from what before (the schedule
// as it was; nil for none) set to what sch sets now, through the update
// machinery (prorated per behavior when it moves the current period's end).
func syncScheduleCancel(c *Ctx, before, sch *SubscriptionSchedule, s *Subscription, behavior string) error {
	var was, want *int64
	if before != nil {
		was = scheduleCancelAt(before)
	}
	want = scheduleCancelAt(sch)
	if s.ended() || s.Status == "incomplete" || sameInt64(was, want) {
		return nil
	}
	if want == nil && (s.CancelAt == nil || was == nil || *s.CancelAt != *was) {
		return nil // not the schedule's cancellation
	}
	var v any = ""
	if want != nil {
		v = *want
	}
	p := NewParams(map[string]any{"cancel_at": v, "proration_behavior": behavior})
	return updateSubscriptionWith(c, s, p, func(now time.Time) error { return setCancellation(c, s, p, now) })
}

func sameInt64(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// samePhaseSettings reports whether a and b set the same on the
// subscription besides items and dates: discounts, tax rates, metadata,
// description, collection.
func samePhaseSettings(a, b *SchedulePhase) bool {
	key := func(ph *SchedulePhase) string {
		type item struct {
			Price     string
			Discounts []PhaseDiscount
			TaxRates  []string
			Metadata  map[string]string
		}
		k := struct {
			Discounts        []PhaseDiscount
			TaxRates         []string
			Items            []item
			Metadata         map[string]string
			Description      *string
			CollectionMethod *string
			InvoiceSettings  *PhaseInvoiceSettings
		}{ph.Discounts, taxRateIDs(ph.DefaultTaxRates), nil, ph.Metadata, ph.Description, ph.CollectionMethod, ph.InvoiceSettings}
		for _, it := range ph.Items {
			k.Items = append(k.Items, item{it.Price, it.Discounts, taxRateIDs(it.TaxRates), it.Metadata})
		}
		raw, _ := json.Marshal(k)
		return string(raw)
	}
	return key(a) == key(b)
}

// usableDiscounts drops from a discounts parameter v the entries that can
// no longer be applied to target (a coupon past redeem_by or used up, a
// promotion code deactivated, a discount ended since the phase was
// written): a boundary runs as a job, with no caller to answer, and an
// error there would stop the clock.
func usableDiscounts(c *Ctx, v any, target discountTarget) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := []any{}
	for _, e := range list {
		p := NewParams(map[string]any{"discounts": []any{e}})
		if _, err := previewing(c, func() ([]any, error) {
			ids, _, err := discountsParam(c, p, "discounts", target)
			return ids, err
		}); err == nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return out
}

// usableTaxRates drops from a tax rates parameter v the rates archived
// since the phase was written (see usableDiscounts).
func usableTaxRates(c *Ctx, v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := []any{}
	for _, id := range list {
		s, _ := id.(string)
		if tr, err := get[TaxRate](c, kindTaxRate, s, "tax_rates"); err == nil && tr.Active {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return out
}

// usablePhaseParams applies usableDiscounts and usableTaxRates to the
// subscription parameters raw of s (nil while the first phase creates it)
// for customer in currency: its own, its items' and its add_invoice_items'.
func usablePhaseParams(c *Ctx, raw map[string]any, s *Subscription, customer, currency string) {
	target := discountTarget{Customer: customer, Currency: currency, Amount: -1}
	if s != nil {
		target.Subscription = s.ID
	}
	fix := func(m map[string]any, target discountTarget, ratesKey string) {
		if v, ok := m["discounts"]; ok {
			m["discounts"] = usableDiscounts(c, v, target)
		}
		if v, ok := m[ratesKey]; ok {
			m[ratesKey] = usableTaxRates(c, v)
		}
	}
	fix(raw, target, "default_tax_rates")
	for _, key := range []string{"items", "add_invoice_items"} {
		list, _ := raw[key].([]any)
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			t := target
			if id, ok := m["id"].(string); ok && key == "items" {
				t.SubscriptionItem = id
			}
			if key == "add_invoice_items" {
				t.Subscription = ""
			}
			fix(m, t, "tax_rates")
		}
	}
}
