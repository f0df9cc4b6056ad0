package resources

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/store"
)

// Legacy usage-based billing, served to versions before basil: metered
// prices without a meter, whose recurring[aggregate_usage] (sum,
// last_during_period, last_ever, max) folds the usage records reported on a
// subscription item into the quantity billed in arrears. Basil removed all
// of it: the routes are gone from the table for basil and later
// (internal/spec MatchAt), and aggregate_usage is an unknown parameter
// there. See docs.stripe.com/billing/subscriptions/usage-based-legacy and
// "Upgrade your SDK without migrating from usage records".

const (
	// kindLegacyUsage holds one subscription item's reported usage, keyed
	// by the item's ID. It is internal: usage records and summaries are
	// views of it.
	kindLegacyUsage = "legacy_usage"

	objectUsageRecord        = "usage_record"
	objectUsageRecordSummary = "usage_record_summary"
)

// aggregateUsageValues are recurring[aggregate_usage]'s values.
var aggregateUsageValues = []string{"last_during_period", "last_ever", "max", "sum"}

// UsageRecord is Stripe's usage_record: what one report recorded.
type UsageRecord struct {
	ID               string `json:"id"`
	Object           string `json:"object"`
	Livemode         bool   `json:"livemode"`
	Quantity         int64  `json:"quantity"`
	SubscriptionItem string `json:"subscription_item"`
	Timestamp        int64  `json:"timestamp"`
}

// UsageRecordSummary is Stripe's usage_record_summary: an item's usage over
// one billing period, aggregated as its price says, and the invoice that
// billed it (null for the current period).
type UsageRecordSummary struct {
	ID               string  `json:"id"`
	Object           string  `json:"object"`
	Invoice          *string `json:"invoice"`
	Livemode         bool    `json:"livemode"`
	Period           Period  `json:"period"`
	SubscriptionItem string  `json:"subscription_item"`
	TotalUsage       int64   `json:"total_usage"`
}

// legacyUsage is the stored usage of one subscription item: the quantity
// at each reported timestamp (increment adds to it, set replaces it), and
// the periods already invoiced.
type legacyUsage struct {
	Item    string        `json:"item"`
	Points  []usagePoint  `json:"points"` // sorted by timestamp, one per timestamp
	Periods []usageBilled `json:"periods,omitempty"`
}

type usagePoint struct {
	Timestamp int64 `json:"t"`
	Quantity  int64 `json:"q"`
}

type usageBilled struct {
	Period  Period `json:"period"`
	Invoice string `json:"invoice"`
}

func init() { families = append(families, registerUsageRecords) }

func registerUsageRecords(e *Engine) {
	e.route(Route{Method: "POST", Pattern: "/v1/subscription_items/{subscription_item}/usage_records", Handle: createUsageRecord})
	e.route(Route{Method: "GET", Pattern: "/v1/subscription_items/{subscription_item}/usage_record_summaries", Read: true, Handle: listUsageRecordSummaries})
}

// legacyMetered reports whether pr is a legacy metered price: metered
// without a meter, its usage reported with usage records.
func (pr *Price) legacyMetered() bool {
	return pr.metered() && pr.Recurring.Meter == nil
}

// aggregateUsage is a legacy metered price's aggregation, sum by default.
func (r *PriceRecurring) aggregateUsage() string {
	if r == nil || r.AggregateUsage == "" {
		return "sum"
	}
	return r.AggregateUsage
}

// legacyAggregateUsage reads aggregate_usage (at path param) for a price
// or plan being created: refused as unknown from basil on, only for
// metered prices without a meter before it.
func legacyAggregateUsage(c *Ctx, p Params, key, param string, rec *PriceRecurring) error {
	v, ok := p.String(key)
	if !ok {
		return nil
	}
	if !c.Version.Before(apiversion.Basil) {
		return apierr.UnknownParam(param)
	}
	if rec.UsageType != "metered" {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest(param, "aggregate_usage can only be set when usage_type is metered.")
	}
	if rec.Meter != nil && v != "sum" {
		// UNCONFIRMED wording: a meter aggregates its events itself.
		return apierr.InvalidRequest(param, "A price backed by a meter aggregates usage with the meter's formula: aggregate_usage must be sum.")
	}
	rec.AggregateUsage = v
	return nil
}

func loadLegacyUsage(c *Ctx, item string) (*legacyUsage, error) {
	u := &legacyUsage{Item: item}
	if _, err := c.tx.Get(kindLegacyUsage, item); err != nil {
		return u, nil // nothing reported yet
	}
	return u, c.load(kindLegacyUsage, item, u)
}

func createUsageRecord(c *Ctx) (any, error) {
	s, it, err := loadItem(c, c.Var("subscription_item"), "id")
	if err != nil {
		return nil, err
	}
	quantity, err := c.Params.RequireInt("quantity")
	if err != nil {
		return nil, err
	}
	if quantity < 0 {
		return nil, apierr.InvalidRequest("quantity", "Invalid integer: "+formatInt(quantity)+". Quantity must be a non-negative integer.")
	}
	action := "increment"
	if a, ok := c.Params.String("action"); ok {
		action = a
	}
	pr, err := get[Price](c, kindPrice, it.Price.ID, "price")
	if err != nil {
		return nil, err
	}
	if !pr.metered() {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("subscription_item", "Usage records can only be created for subscription items with a price of usage_type=metered ("+it.ID+" is licensed).")
	}
	if !pr.legacyMetered() {
		// UNCONFIRMED wording: meter-backed prices take meter events.
		return nil, apierr.InvalidRequest("subscription_item", "The price of "+it.ID+" is backed by a billing meter: report its usage with meter events (POST /v1/billing/meter_events), not usage records.")
	}
	if action == "set" && s.BillingThresholds != nil {
		return nil, apierr.InvalidRequest("action", "When the subscription has billing thresholds, increment is the only allowed action.")
	}
	now, err := c.timeFor(s.Timeline())
	if err != nil {
		return nil, err
	}
	ts := now.Unix()
	if v, ok := c.Params.Int("timestamp"); ok {
		ts = v
	}
	// The timestamp must fall in the current period, and not in the future
	// (the docs of timestamp; messages UNCONFIRMED).
	switch {
	case ts < it.CurrentPeriodStart:
		return nil, apierr.InvalidRequest("timestamp", "Cannot create the usage record with this timestamp because timestamps must be after the subscription's last invoice period (or current period start time).")
	case ts > now.Unix() || ts >= it.CurrentPeriodEnd:
		return nil, apierr.InvalidRequest("timestamp", "Cannot create the usage record with this timestamp because timestamps must be before the subscription's current period end time and not in the future.")
	}
	u, err := loadLegacyUsage(c, it.ID)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(u.Points), func(i int) bool { return u.Points[i].Timestamp >= ts })
	if i == len(u.Points) || u.Points[i].Timestamp != ts {
		u.Points = append(u.Points, usagePoint{})
		copy(u.Points[i+1:], u.Points[i:])
		u.Points[i] = usagePoint{Timestamp: ts}
	}
	if action == "set" {
		u.Points[i].Quantity = quantity
	} else {
		u.Points[i].Quantity += quantity
	}
	if err := c.save(kindLegacyUsage, it.ID, u, "subscription="+s.ID); err != nil {
		return nil, err
	}
	id, err := c.NewID("mbur")
	if err != nil {
		return nil, err
	}
	return &UsageRecord{ID: id, Object: objectUsageRecord, Quantity: quantity, SubscriptionItem: it.ID, Timestamp: ts}, nil
}

// legacyUsageQuantity is the usage of legacy metered item over [start,
// end), folded by pr's aggregate_usage: the sum of the records, the last
// one in the period, the last one ever reported before end, or the
// largest in the period. No record is 0.
func legacyUsageQuantity(c *Ctx, pr *Price, item string, start, end int64) (int64, error) {
	u, err := loadLegacyUsage(c, item)
	if err != nil {
		return 0, err
	}
	return u.aggregate(pr.Recurring.aggregateUsage(), start, end), nil
}

func (u *legacyUsage) aggregate(how string, start, end int64) int64 {
	var q int64
	for _, p := range u.Points {
		if p.Timestamp >= end {
			break
		}
		if p.Timestamp < start && how != "last_ever" {
			continue
		}
		switch how {
		case "last_during_period", "last_ever":
			q = p.Quantity
		case "max":
			q = max(q, p.Quantity)
		default:
			q += p.Quantity
		}
	}
	return q
}

// recordLegacyUsageInvoice remembers, for the usage summaries, which
// invoice billed each legacy metered line's period.
func recordLegacyUsageInvoice(c *Ctx, inv *Invoice, lines []LineInput, billedAt int64) error {
	for _, l := range lines {
		// A line whose period has not ended is the $0 first line of
		// classic billing mode, not a billed period.
		if !l.Usage || l.SubscriptionItem == "" || !l.Price.legacyMetered() || l.Period.End <= l.Period.Start || l.Period.End > billedAt {
			continue
		}
		u, err := loadLegacyUsage(c, l.SubscriptionItem)
		if err != nil {
			return err
		}
		u.Periods = append(u.Periods, usageBilled{Period: l.Period, Invoice: inv.ID})
		if err := c.save(kindLegacyUsage, l.SubscriptionItem, u, "subscription="+l.Subscription); err != nil {
			return err
		}
	}
	return nil
}

func listUsageRecordSummaries(c *Ctx) (any, error) {
	s, it, err := loadItem(c, c.Var("subscription_item"), "id")
	if err != nil {
		return nil, err
	}
	pr, err := get[Price](c, kindPrice, it.Price.ID, "price")
	if err != nil {
		return nil, err
	}
	u, err := loadLegacyUsage(c, it.ID)
	if err != nil {
		return nil, err
	}
	how := pr.Recurring.aggregateUsage()
	summary := func(p Period, invoice *string) *UsageRecordSummary {
		return &UsageRecordSummary{
			ID:     fmt.Sprintf("sis_%s%d", strings.TrimPrefix(it.ID, "si_"), p.Start),
			Object: objectUsageRecordSummary, Invoice: invoice, Period: p, SubscriptionItem: it.ID,
			TotalUsage: u.aggregate(how, p.Start, p.End),
		}
	}
	// Newest first: the current period, unless the subscription has ended,
	// then each invoiced period.
	var out []*UsageRecordSummary
	if s.Status != "canceled" && it.CurrentPeriodEnd > it.CurrentPeriodStart {
		out = append(out, summary(Period{Start: it.CurrentPeriodStart, End: it.CurrentPeriodEnd}, nil))
	}
	for i := len(u.Periods) - 1; i >= 0; i-- {
		b := u.Periods[i]
		out = append(out, summary(b.Period, new(b.Invoice)))
	}
	return page(c, "/v1/subscription_items/"+it.ID+"/usage_record_summaries", out,
		func(sm *UsageRecordSummary) (string, int64) { return sm.ID, 0 })
}

// clearUsage reads clear_usage for the item it being deleted (deleting) or
// changed on s: DELETE /v1/subscription_items/{item}, or an entry of
// items[] on a subscription update (p is that entry). Stripe's rules
// (docs.stripe.com/api/subscription_items/delete; messages quoted in
// github.com/stripe/stripe-go/pull/743 and
// github.com/laravel/cashier-stripe/issues/1819):
//   - flexible billing mode refuses the parameter;
//   - it is allowed only on the deletion of a metered item, and "has no
//     effect if the plan has a billing meter attached";
//   - in classic mode an item billed by usage records can only be deleted
//     with clear_usage=true, which discards its un-invoiced records.
func clearUsage(c *Ctx, s *Subscription, it *SubscriptionItem, p Params, deleting bool) error {
	clear, has := p.Bool("clear_usage")
	if has && s.BillingMode.Type != "classic" {
		return apierr.InvalidRequest(p.Path("clear_usage"), "With `billing_mode.type=flexible` set on a subscription, the following parameters are not supported: clear_usage.")
	}
	if has && (!deleting || it == nil || !it.Price.metered()) {
		// UNCONFIRMED wording; the rule is the API reference's.
		return apierr.InvalidRequest(p.Path("clear_usage"), "clear_usage can only be set when deleting a subscription item whose price has usage_type=metered.")
	}
	if !deleting || it == nil || !it.Price.legacyMetered() || s.BillingMode.Type != "classic" {
		return nil
	}
	if !clear {
		return apierr.InvalidRequest(p.Path("clear_usage"), "When deleting the subscription item "+it.ID+" with a metered plan, all related usage records must be cleared too by setting `clear_usage=true`.")
	}
	if c.previewDiscounts != nil {
		return nil // a preview stores nothing
	}
	if _, err := c.tx.Get(kindLegacyUsage, it.ID); errors.Is(err, store.ErrNotFound) {
		return nil // nothing reported
	} else if err != nil {
		return err
	}
	return c.tx.Delete(kindLegacyUsage, it.ID)
}
