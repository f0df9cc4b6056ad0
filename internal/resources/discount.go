package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/spec"
)

// Discounts: a coupon (directly, or through a promotion code) redeemed
// onto a subscription, subscription item, invoice, invoice item or
// customer. Each redemption is a stored discount object (di_…) that the
// owner names in its discounts[] (dahlia shape: IDs, expandable). Stripe
// cannot fetch a discount by ID, so there is no route; the kind exists for
// expand[]=discounts.
//
// Durations [DOC: https://docs.stripe.com/billing/subscriptions/coupons]:
// once applies to one invoice and is then spent; repeating applies to the
// invoices whose period starts before discount.end (start plus
// duration_in_months); forever never ends. Spent and ended discounts leave
// the subscription when its next invoice is made.
//
// What the discounts come to on an invoice is computed in one place,
// invoice_amounts.go.

const kindDiscount = "discount"

// maxDiscounts is how many discounts one object may carry.
const maxDiscounts = 20

// Discount is Stripe's discount object (dahlia shape: source.coupon).
type Discount struct {
	ID               string         `json:"id"`
	Object           string         `json:"object"`
	CheckoutSession  *string        `json:"checkout_session"`
	Customer         *string        `json:"customer"`
	CustomerAccount  *string        `json:"customer_account"`
	Deleted          bool           `json:"deleted,omitempty"`
	End              *int64         `json:"end"`
	Invoice          *string        `json:"invoice"`
	InvoiceItem      *string        `json:"invoice_item"`
	PromotionCode    *string        `json:"promotion_code"`
	Source           DiscountSource `json:"source"`
	Start            int64          `json:"start"`
	Subscription     *string        `json:"subscription"`
	SubscriptionItem *string        `json:"subscription_item"`
}

// DiscountSource is discount.source.
type DiscountSource struct {
	Coupon *string `json:"coupon"`
	Type   string  `json:"type"`
}

// wire renders a discount that has ended (deleted) as the
// deleted_discount the spec allows where discounts expand (an invoice's
// spent discount), never as a discount with deleted set.
func (d *Discount) wire(string) any {
	if d.Deleted {
		return DeletedDiscount{Discount: *d}
	}
	return d
}

func (d *Discount) coupon() string {
	if d.Source.Coupon == nil {
		return ""
	}
	return *d.Source.Coupon
}

func init() { families = append(families, registerDiscounts) }

func registerDiscounts(e *Engine) {
	e.kind(Kind{Object: kindDiscount, Load: loader[Discount](kindDiscount)})
	e.route(Route{Method: "DELETE", Pattern: "/v1/subscriptions/{subscription_exposed_id}/discount", Handle: deleteSubscriptionDiscount})
	e.route(Route{Method: "DELETE", Pattern: "/v1/customers/{customer}/discount", Handle: deleteCustomerDiscount})
}

// discountTarget is what new discounts are redeemed onto: exactly one of
// the owner fields besides Customer.
type discountTarget struct {
	Customer         string
	Subscription     string
	SubscriptionItem string
	Invoice          string
	InvoiceItem      string
	// Currency is the currency the discount will apply in: an amount_off
	// coupon must have an amount in it.
	Currency string
	// Amount is what a promotion code's minimum_amount is checked
	// against; negative when unknown.
	Amount int64
}

// discountsParam redeems the discounts parameter key (a list of
// {coupon | promotion_code | discount}, or "" for none) onto target, and
// returns the discount IDs in the order given. set reports whether the
// parameter was sent. Existing discounts named by ID are kept, not
// redeemed again; they must belong to the same customer.
func discountsParam(c *Ctx, p Params, key string, target discountTarget) (ids []any, set bool, err error) {
	if !p.Has(key) {
		return nil, false, nil
	}
	ids = []any{}
	if p.Empty(key) {
		return ids, true, nil
	}
	list := p.List(key)
	if len(list) > maxDiscounts {
		return nil, true, apierr.InvalidRequest(p.Path(key), fmt.Sprintf("You may apply at most %d discounts.", maxDiscounts))
	}
	coupons := map[string]bool{}
	for _, dp := range list {
		n := 0
		for _, k := range []string{"coupon", "promotion_code", "discount"} {
			if dp.Has(k) {
				n++
			}
		}
		if n != 1 {
			return nil, true, apierr.InvalidRequest(dp.path, "Each discount must have exactly one of `coupon`, `promotion_code` or `discount`.")
		}
		if id, ok := dp.String("discount"); ok {
			d, err := loadDiscount(c, id, dp.Path("discount"))
			if err != nil {
				return nil, true, err
			}
			if d.Deleted || (d.Customer != nil && *d.Customer != target.Customer) {
				return nil, true, c.e.noSuch(kindDiscount, id, dp.Path("discount"))
			}
			if coupons[d.coupon()] {
				return nil, true, errDuplicateCoupon(dp.Path("discount"), d.coupon())
			}
			coupons[d.coupon()] = true
			ids = append(ids, d.ID)
			continue
		}
		d, err := redeem(c, dp, target)
		if err != nil {
			return nil, true, err
		}
		if coupons[d.coupon()] {
			return nil, true, errDuplicateCoupon(dp.path, d.coupon())
		}
		coupons[d.coupon()] = true
		ids = append(ids, d.ID)
	}
	return ids, true, nil
}

func errDuplicateCoupon(param, coupon string) error {
	return apierr.InvalidRequest(param, fmt.Sprintf("The coupon %s was applied more than once; each coupon may be applied only once.", coupon))
}

// redeem makes a new discount from one {coupon} or {promotion_code} entry,
// counting the redemption on the coupon (and promotion code).
func redeem(c *Ctx, dp Params, target discountTarget) (*Discount, error) {
	now, err := discountNow(c, target.Customer)
	if err != nil {
		return nil, err
	}
	var pc *PromotionCode
	couponID, param := dp.Str("coupon"), dp.Path("coupon")
	if id, ok := dp.String("promotion_code"); ok {
		param = dp.Path("promotion_code")
		if pc, err = get[PromotionCode](c, kindPromotionCode, id, param); err != nil {
			return nil, err
		}
		if err := pc.checkRedeemable(c, target, now, param); err != nil {
			return nil, err
		}
		couponID = pc.coupon()
	}
	co, err := loadCoupon(c, couponID, param)
	if err != nil {
		return nil, err
	}
	if !co.redeemable(now) {
		return nil, apierr.InvalidRequest(param, fmt.Sprintf("Coupon %s is no longer valid: it is past redeem_by or has reached max_redemptions.", co.ID))
	}
	if co.AmountOff != nil && target.Currency != "" && couponAmountIn(co, target.Currency) == 0 {
		return nil, apierr.InvalidRequest(param, fmt.Sprintf("The coupon %s takes %s off, which cannot apply to a %s amount: add %s to its currency_options.",
			co.ID, *co.Currency, target.Currency, target.Currency))
	}
	id, err := c.NewID("di")
	if err != nil {
		return nil, err
	}
	d := &Discount{ID: id, Object: kindDiscount, Source: DiscountSource{Coupon: new(co.ID), Type: "coupon"}, Start: now}
	if target.Customer != "" {
		d.Customer = new(target.Customer)
	}
	for v, dst := range map[string]**string{target.Subscription: &d.Subscription, target.SubscriptionItem: &d.SubscriptionItem,
		target.Invoice: &d.Invoice, target.InvoiceItem: &d.InvoiceItem} {
		if v != "" {
			*dst = new(v)
		}
	}
	if co.Duration == "repeating" && co.DurationInMonths != nil {
		// Months are added as billing periods are: the 31st plus one
		// month is the last day of a shorter month.
		d.End = new(addMonthsClamped(time.Unix(now, 0).UTC(), int(*co.DurationInMonths)).Unix())
	}
	if c.previewDiscounts != nil {
		// A preview shows the discount without redeeming it.
		if pc != nil {
			d.PromotionCode = new(pc.ID)
		}
		c.previewDiscounts[d.ID] = d
		return d, nil
	}
	co.TimesRedeemed++
	if err := saveCoupon(c, co); err != nil {
		return nil, err
	}
	if pc != nil {
		d.PromotionCode = new(pc.ID)
		pc.TimesRedeemed++
		if err := savePromotionCode(c, pc); err != nil {
			return nil, err
		}
	}
	if err := c.save(kindDiscount, d.ID, d); err != nil {
		return nil, err
	}
	if target.Subscription != "" && target.SubscriptionItem == "" {
		// Stripe announces discounts on customers and subscriptions.
		if err := c.emit("customer.discount.created", d, nil); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// discountNow is the customer's now (its test clock's time, if any).
func discountNow(c *Ctx, customer string) (int64, error) {
	if customer == "" {
		return c.Unix(), nil
	}
	cu, err := get[Customer](c, kindCustomer, customer, "customer")
	if err != nil {
		return 0, err
	}
	return nowUnixFor(c, cu)
}

// couponAmountIn is an amount_off coupon's amount in currency: its own, or
// its currency_options entry; 0 when it has none.
func couponAmountIn(co *Coupon, currency string) int64 {
	if co.AmountOff == nil {
		return 0
	}
	if co.Currency != nil && *co.Currency == currency {
		return *co.AmountOff
	}
	if o, ok := co.CurrencyOptions[currency]; ok {
		return o.AmountOff
	}
	return 0
}

// discountIDs are the IDs in a discounts[] array, expanded or not.
func discountIDs(ds []any) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		switch d := d.(type) {
		case string:
			out = append(out, d)
		case map[string]any:
			if id, ok := d["id"].(string); ok {
				out = append(out, id)
			}
		case *Discount:
			out = append(out, d.ID)
		}
	}
	return out
}

// activeDiscounts are the discounts of ds that apply to an invoice whose
// period starts at periodStart: not deleted, and (repeating) not ended.
func activeDiscounts(c *Ctx, ds []any, periodStart int64) ([]any, error) {
	out := []any{}
	for _, id := range discountIDs(ds) {
		d, err := loadDiscount(c, id, "discounts")
		if err != nil {
			return nil, err
		}
		if d.Deleted || (d.End != nil && *d.End <= periodStart) {
			continue
		}
		out = append(out, d.ID)
	}
	return out, nil
}

// spendDiscounts removes from a subscription's (or item's) discounts those
// an invoice for the period starting at periodStart has used up: once
// coupons, and repeating ones whose end has come. It reports whether any
// went.
func spendDiscounts(c *Ctx, ds *[]any, periodStart int64) (bool, error) {
	kept := []any{}
	changed := false
	for _, id := range discountIDs(*ds) {
		d, err := loadDiscount(c, id, "discounts")
		if err != nil {
			return false, err
		}
		co, err := get[Coupon](c, kindCoupon, d.coupon(), "coupon")
		if err != nil {
			return false, err
		}
		if d.Deleted || co.Duration == "once" || (d.End != nil && *d.End <= periodStart) {
			changed = true
			if d.Deleted || d.Customer != nil && d.Subscription == nil {
				continue // already ended, or the customer's own
			}
			if d.SubscriptionItem == nil {
				// Stripe announces a subscription's discount ending.
				if err := c.emit("customer.discount.deleted", d, nil); err != nil {
					return false, err
				}
			}
			d.Deleted = true
			if err := c.save(kindDiscount, d.ID, d); err != nil {
				return false, err
			}
			continue
		}
		kept = append(kept, id)
	}
	if changed {
		*ds = kept
	}
	return changed, nil
}

// subscriptionInvoiceDiscounts are the invoice-level discounts of a
// subscription's invoice for the period starting at periodStart: the
// subscription's own, or when it has none the customer's.
func subscriptionInvoiceDiscounts(c *Ctx, s *Subscription, cu *Customer, periodStart int64) ([]any, error) {
	ds := s.Discounts
	if len(ds) == 0 {
		ds = customerDiscounts(cu)
	}
	return activeDiscounts(c, ds, periodStart)
}

// customerDiscounts is the customer's discount as a discounts[] array.
func customerDiscounts(cu *Customer) []any {
	switch d := cu.Discount.(type) {
	case map[string]any:
		if id, ok := d["id"].(string); ok {
			return []any{id}
		}
	case *Discount:
		return []any{d.ID}
	}
	return nil
}

// afterSubscriptionInvoice spends what an invoice for the period starting
// at periodStart used of s's discounts and its items' discounts (the
// caller saves s).
func afterSubscriptionInvoice(c *Ctx, s *Subscription, periodStart int64) error {
	if _, err := spendDiscounts(c, &s.Discounts, periodStart); err != nil {
		return err
	}
	for _, it := range s.Items.Data {
		if _, err := spendDiscounts(c, &it.Discounts, periodStart); err != nil {
			return err
		}
	}
	return nil
}

// deleteSubscriptionDiscount removes a subscription's discounts
// (DELETE /v1/subscriptions/{id}/discount) and answers the first, deleted.
func deleteSubscriptionDiscount(c *Ctx) (any, error) {
	s, err := loadSubscription(c, c.Var("subscription_exposed_id"), "id")
	if err != nil {
		return nil, err
	}
	if err := onTimelineOf(c, s.Customer, s.TestClock); err != nil {
		return nil, err
	}
	ids := discountIDs(s.Discounts)
	if len(ids) == 0 {
		return nil, apierr.New(http.StatusNotFound, apierr.TypeInvalidRequest, "resource_missing", "",
			fmt.Sprintf("Subscription %s has no discount.", s.ID))
	}
	before := *s
	before.Discounts = slices.Clone(s.Discounts)
	s.Discounts = []any{}
	var first *DeletedDiscount
	for _, id := range ids {
		d, err := endDiscount(c, id)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = d
		}
	}
	if err := saveSubscription(c, s); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("customer.subscription.updated", &before, s); err != nil {
		return nil, err
	}
	return first, nil
}

// deleteCustomerDiscount removes a customer's discount
// (DELETE /v1/customers/{id}/discount) and answers it, deleted.
func deleteCustomerDiscount(c *Ctx) (any, error) {
	cu, err := c.customerTimeline(c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	ids := customerDiscounts(cu)
	if len(ids) == 0 {
		return nil, apierr.New(http.StatusNotFound, apierr.TypeInvalidRequest, "resource_missing", "",
			fmt.Sprintf("Customer %s has no discount.", cu.ID))
	}
	before := *cu
	cu.Discount = nil
	d, err := endDiscount(c, ids[0].(string))
	if err != nil {
		return nil, err
	}
	if err := saveCustomer(c, cu); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("customer.updated", &before, cu); err != nil {
		return nil, err
	}
	return d, nil
}

// endDiscount marks discount id deleted, emits customer.discount.deleted
// and returns it as the DELETE answers it.
func endDiscount(c *Ctx, id string) (*DeletedDiscount, error) {
	d, err := retireDiscount(c, id)
	if err != nil {
		return nil, err
	}
	if err := c.emit("customer.discount.deleted", d, nil); err != nil {
		return nil, err
	}
	d.Deleted = true
	return &DeletedDiscount{Discount: *d}, nil
}

// retireDiscount marks discount id deleted, with no event, and returns it
// as it was before.
func retireDiscount(c *Ctx, id string) (*Discount, error) {
	d, err := loadDiscount(c, id, "discount")
	if err != nil {
		return nil, err
	}
	ended := *d
	ended.Deleted = true
	if err := c.save(kindDiscount, d.ID, &ended); err != nil {
		return nil, err
	}
	return d, nil
}

// DeletedDiscount is the deleted_discount a DELETE …/discount answers:
// the discount without end.
type DeletedDiscount struct {
	Discount
}

// MarshalJSON renders the deleted discount: deleted_discount has no end.
func (d DeletedDiscount) MarshalJSON() ([]byte, error) {
	raw, err := json.Marshal(d.Discount)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "end")
	return json.Marshal(m)
}

// setSubscriptionDiscounts applies a subscription's discounts and
// default_tax_rates parameters (create and update). Replaced discounts
// that are not named again end.
func setSubscriptionDiscounts(c *Ctx, s *Subscription, p Params) error {
	ids, set, err := discountsParam(c, p, "discounts", discountTarget{Customer: s.Customer, Subscription: s.ID, Currency: s.Currency, Amount: -1})
	if err != nil {
		return err
	}
	if set {
		if err := endUnnamed(c, s.Discounts, ids); err != nil {
			return err
		}
		s.Discounts = ids
	}
	rates, set, err := taxRatesParam(c, p, "default_tax_rates")
	if err != nil {
		return err
	}
	if set {
		s.DefaultTaxRates = rates
	}
	return nil
}

// setItemDiscounts applies a subscription item's discounts and tax_rates
// parameters (create and update).
func setItemDiscounts(c *Ctx, s *Subscription, it *SubscriptionItem, p Params) error {
	ids, set, err := discountsParam(c, p, "discounts", discountTarget{Customer: s.Customer, Subscription: s.ID, SubscriptionItem: it.ID, Currency: it.Price.Currency, Amount: -1})
	if err != nil {
		return err
	}
	if set {
		if err := endUnnamed(c, it.Discounts, ids); err != nil {
			return err
		}
		it.Discounts = ids
	}
	rates, set, err := taxRatesParam(c, p, "tax_rates")
	if err != nil {
		return err
	}
	if set {
		it.TaxRates = rates
	}
	return nil
}

// endUnnamed marks deleted the discounts of old that replacement does not
// keep. A customer's own discount (inherited, owned by no object) stays.
func endUnnamed(c *Ctx, old, replacement []any) error {
	if c.previewDiscounts != nil {
		return nil // a preview ends nothing
	}
	keep := discountIDs(replacement)
	for _, id := range discountIDs(old) {
		if slices.Contains(keep, id) {
			continue
		}
		d, err := loadDiscount(c, id, "discounts")
		if err != nil {
			return err
		}
		if d.Subscription == nil && d.SubscriptionItem == nil && d.Invoice == nil && d.InvoiceItem == nil {
			continue
		}
		d.Deleted = true
		if err := c.save(kindDiscount, d.ID, d); err != nil {
			return err
		}
	}
	return nil
}

// setInvoiceDiscounts applies a draft invoice's discounts and
// default_tax_rates parameters (create and update).
func setInvoiceDiscounts(c *Ctx, inv *Invoice, p Params) error {
	ids, set, err := discountsParam(c, p, "discounts", discountTarget{Customer: inv.Customer, Invoice: inv.ID, Currency: inv.Currency, Amount: inv.Subtotal})
	if err != nil {
		return err
	}
	if set {
		if err := endUnnamed(c, inv.Discounts, ids); err != nil {
			return err
		}
		inv.Discounts = ids
	}
	rates, set, err := taxRatesParam(c, p, "default_tax_rates")
	if err != nil {
		return err
	}
	if set {
		inv.DefaultTaxRates = rates
	}
	return nil
}

// setInvoiceItemDiscounts applies an invoice item's discounts and
// tax_rates parameters (create and update).
func setInvoiceItemDiscounts(c *Ctx, ii *InvoiceItem, p Params) error {
	ids, set, err := discountsParam(c, p, "discounts", discountTarget{Customer: ii.Customer, InvoiceItem: ii.ID, Currency: ii.Currency, Amount: ii.Amount})
	if err != nil {
		return err
	}
	if set {
		if err := endUnnamed(c, ii.Discounts, ids); err != nil {
			return err
		}
		ii.Discounts = ids
	}
	rates, set, err := taxRatesParam(c, p, "tax_rates")
	if err != nil {
		return err
	}
	if set {
		ii.TaxRates = rates
	}
	return nil
}

// invoiceDiscountOptions names a new invoice (opts.ID) and redeems its
// discounts and default_tax_rates parameters onto it. Without discounts
// the invoice inherits the customer's discount; discounts="" opts out
// [SPEC POST /v1/invoices discounts].
func invoiceDiscountOptions(c *Ctx, cu *Customer, p Params, opts *InvoiceOptions) error {
	if !p.Has("discounts") && !p.Has("default_tax_rates") {
		if ds := customerDiscounts(cu); len(ds) > 0 {
			opts.Discounts = ds
		}
		return nil
	}
	id, err := c.NewID("in")
	if err != nil {
		return err
	}
	opts.ID = id
	currency := strings.ToLower(opts.Currency)
	if currency == "" {
		currency = defaultCurrency
		if cu.Currency != nil {
			currency = *cu.Currency
		}
	}
	draft := &Invoice{ID: id, Customer: cu.ID, Currency: currency, Discounts: customerDiscounts(cu), Subtotal: -1}
	if err := setInvoiceDiscounts(c, draft, p); err != nil {
		return err
	}
	opts.Discounts, opts.DefaultTaxRates = draft.Discounts, draft.DefaultTaxRates
	return nil
}

// expectedTotal is what an invoice of s with lines would total after the
// discounts and taxes it would get now: what decides whether a first
// invoice needs a payment at all (a 100% coupon makes it free).
func expectedTotal(c *Ctx, s *Subscription, cu *Customer, lines []LineInput) (int64, error) {
	now, err := nowUnixFor(c, cu)
	if err != nil {
		return 0, err
	}
	discounts, err := subscriptionInvoiceDiscounts(c, s, cu, now)
	if err != nil {
		return 0, err
	}
	priced := make([]pricedLine, 0, len(lines))
	for _, in := range lines {
		ds, err := activeDiscounts(c, in.Discounts, now)
		if err != nil {
			return 0, err
		}
		priced = append(priced, pricedLine{Amount: in.Amount, Price: in.Price, Discountable: in.Discountable, Discounts: ds, TaxRates: in.TaxRates})
	}
	inv, err := priceLines(c, s.Currency, discounts, s.DefaultTaxRates, priced)
	if err != nil {
		return 0, err
	}
	return inv.Total, nil
}

// applyCustomerCoupon applies the coupon or promotion_code parameter of a
// customer create or update, which versions before basil accept (from
// basil on they are unknown parameters): the new discount replaces the
// customer's, and an empty value removes it. The caller saves the customer
// and then calls the returned emit (nil when nothing changed), so that a
// new customer's customer.created comes before its discount's event.
//
// A switch from one discount to another is customer.discount.updated, the
// new discount with the old one's fields in previous_attributes, not a
// created and a deleted: "Occurs whenever a customer is switched from one
// coupon to another" (docs.stripe.com/api/events/types, customer.discount.updated).
func applyCustomerCoupon(c *Ctx, cu *Customer, p Params) (emit func() error, err error) {
	key := ""
	for _, k := range []string{"coupon", "promotion_code"} {
		if p.Has(k) {
			if key != "" {
				return nil, apierr.InvalidRequest(k, "You may only specify one of these parameters: coupon, promotion_code.")
			}
			key = k
		}
	}
	if key == "" {
		return nil, nil
	}
	if _, isString := p.m[key].(string); !isString {
		return nil, apierr.InvalidRequest(key, "Invalid string: "+spec.Describe(p.m[key]))
	}
	var old *Discount
	if ids := customerDiscounts(cu); len(ids) > 0 {
		if old, err = retireDiscount(c, ids[0].(string)); err != nil {
			return nil, err
		}
	}
	cu.Discount = nil
	var d *Discount
	if p.Str(key) != "" {
		if d, err = redeem(c, p, discountTarget{Customer: cu.ID}); err != nil {
			return nil, err
		}
		cu.Discount = d
	}
	return func() error {
		switch {
		case old != nil && d != nil:
			_, err := c.emitUpdated("customer.discount.updated", old, d)
			return err
		case d != nil:
			return c.emit("customer.discount.created", d, nil)
		case old != nil:
			return c.emit("customer.discount.deleted", old, nil)
		}
		return nil
	}, nil
}
