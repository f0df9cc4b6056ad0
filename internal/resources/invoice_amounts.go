package resources

import (
	"math"
	"math/bits"
	"slices"
	"sort"
)

// Invoice amounts: the one place that works out what discounts and tax
// rates come to on an invoice, line by line, for drafts, previews and
// finalization alike (recomputeTotals calls it).
//
// Order of application [SPEC invoice.discounts, line_item.discounts: "Line
// item discounts are applied before invoice discounts"]: on each
// discountable line, its own discounts in the order given, then the
// invoice's discounts in the order given, each on what earlier ones left
// (stacked, not summed; UNCONFIRMED beyond the spec's sentence, and it is
// what docs.stripe.com/billing/subscriptions/coupons describes for several
// discounts). A percent_off discount takes round(left × percent / 100) off
// each line it applies to. An invoice-level amount_off discount is spread
// over the lines it applies to in proportion to what is left on them,
// largest remainder first so the shares add up to the cent, and never takes
// more than is left; a line-level amount_off comes off its line. A coupon
// with applies_to.products applies only to lines of those products.
// Non-discountable lines (prorations, negative items) get no discount.
//
// Tax [DOC: https://docs.stripe.com/billing/taxes/tax-rates]: a line's own
// tax rates (its invoice item's or subscription item's), else the invoice's
// default_tax_rates, apply to the line's amount after discounts. Exclusive
// rates add round(net × percentage / 100); inclusive rates are inside the
// amount: net = round(amount / (1 + Σ inclusive / 100)) and the inclusive
// taxes share amount − net, the last taking the rounding. Each line is
// rounded on its own and the invoice sums the lines (Stripe computes
// tax per line item). Rounding is half away from zero.
//
// Totals: subtotal = Σ line amounts; total_excluding_tax = subtotal −
// discounts − inclusive tax − pretax credits; total = subtotal − discounts
// + exclusive tax − pretax credits.

// AmountTerms are what the invoice amounts depend on besides the lines: the
// terms of every discount and tax rate involved and each line's own tax
// rates. Stored inside the invoice (never rendered) so that totals can be
// recomputed without the store.
type AmountTerms struct {
	Discounts    map[string]*DiscountTerms `json:"discounts,omitempty"`
	TaxRates     map[string]*TaxRateTerms  `json:"tax_rates,omitempty"`
	LineTaxRates map[string][]string       `json:"line_tax_rates,omitempty"`
}

// DiscountTerms is what a discount takes off, in the invoice's currency.
type DiscountTerms struct {
	PercentOff *float64 `json:"percent_off,omitempty"`
	AmountOff  int64    `json:"amount_off,omitempty"`
	Products   []string `json:"products,omitempty"`
}

// TaxRateTerms is what a tax rate adds.
type TaxRateTerms struct {
	Percentage float64 `json:"percentage"`
	Inclusive  bool    `json:"inclusive"`
}

func (inv *Invoice) terms() *AmountTerms {
	if inv.Terms == nil {
		inv.Terms = &AmountTerms{}
	}
	t := inv.Terms
	if t.Discounts == nil {
		t.Discounts = map[string]*DiscountTerms{}
	}
	if t.TaxRates == nil {
		t.TaxRates = map[string]*TaxRateTerms{}
	}
	if t.LineTaxRates == nil {
		t.LineTaxRates = map[string][]string{}
	}
	return t
}

// noteTaxRates records the terms of embedded tax rates (objects or
// decoded maps) and returns their IDs.
func (t *AmountTerms) noteTaxRates(rates []any) []string {
	ids := []string{}
	for _, r := range rates {
		switch r := r.(type) {
		case *TaxRate:
			t.TaxRates[r.ID] = &TaxRateTerms{Percentage: r.Percentage, Inclusive: r.Inclusive}
			ids = append(ids, r.ID)
		case map[string]any:
			id, _ := r["id"].(string)
			pct, _ := r["percentage"].(float64)
			incl, _ := r["inclusive"].(bool)
			t.TaxRates[id] = &TaxRateTerms{Percentage: pct, Inclusive: incl}
			ids = append(ids, id)
		}
	}
	return ids
}

// loadAmountTerms records the terms of discounts the invoice or its lines
// name that it has not seen yet. Discounts are fixed once made, so what is
// recorded stays true.
func loadAmountTerms(c *Ctx, inv *Invoice) error {
	var ids []string
	ids = append(ids, discountIDs(inv.Discounts)...)
	for _, l := range inv.Lines.Data {
		ids = append(ids, discountIDs(l.Discounts)...)
	}
	if len(ids) == 0 && inv.Terms == nil {
		return nil
	}
	t := inv.terms()
	for _, id := range ids {
		if _, ok := t.Discounts[id]; ok {
			continue
		}
		d, err := loadDiscount(c, id, "discounts")
		if err != nil {
			return err
		}
		co, err := get[Coupon](c, kindCoupon, d.coupon(), "coupon")
		if err != nil {
			return err
		}
		dt := &DiscountTerms{PercentOff: co.PercentOff, AmountOff: couponAmountIn(co, inv.Currency)}
		if co.AppliesTo != nil {
			dt.Products = co.AppliesTo.Products
		}
		t.Discounts[id] = dt
	}
	return nil
}

// priceInvoice brings the invoice's amount terms up to date and recomputes
// its totals: what a draft or preview needs before it is shown.
func priceInvoice(c *Ctx, inv *Invoice) error {
	if err := loadAmountTerms(c, inv); err != nil {
		return err
	}
	inv.recomputeTotals()
	return nil
}

// computeAmounts sets every line's discount_amounts and taxes and returns
// the invoice's discount and tax totals.
func (inv *Invoice) computeAmounts() (discounted, inclusiveTax, exclusiveTax int64) {
	lines := inv.Lines.Data
	// Lines built in this request carry their own tax rates; record them.
	for _, l := range lines {
		if !l.taxRatesSet {
			continue
		}
		switch {
		case len(l.taxRates) > 0:
			inv.terms().LineTaxRates[l.ID] = inv.terms().noteTaxRates(l.taxRates)
		case inv.Terms != nil:
			delete(inv.Terms.LineTaxRates, l.ID)
		}
		l.taxRates, l.taxRatesSet = nil, false
	}
	var defaults []string
	if len(inv.DefaultTaxRates) > 0 {
		defaults = inv.terms().noteTaxRates(inv.DefaultTaxRates)
	}
	if inv.Terms == nil {
		// Nothing to apply: the common case, kept cheap.
		for _, l := range lines {
			l.DiscountAmounts, l.Taxes = []any{}, []any{}
		}
		inv.TotalDiscountAmounts, inv.TotalTaxes = []any{}, []any{}
		return 0, 0, 0
	}
	t := inv.Terms
	for id := range t.LineTaxRates {
		if inv.lineIndex(id) < 0 {
			delete(t.LineTaxRates, id)
		}
	}

	left := make([]int64, len(lines))
	totals := map[string]int64{}
	var order []string
	take := func(i int, id string, amount int64) {
		l := lines[i]
		l.DiscountAmounts = append(l.DiscountAmounts, map[string]any{"amount": amount, "discount": id})
		left[i] -= amount
		if _, seen := totals[id]; !seen {
			order = append(order, id)
		}
		totals[id] += amount
	}
	applies := func(i int, d *DiscountTerms) bool {
		l := lines[i]
		if !l.Discountable || left[i] <= 0 {
			return false
		}
		if len(d.Products) > 0 {
			return l.Pricing != nil && l.Pricing.PriceDetails != nil && slices.Contains(d.Products, l.Pricing.PriceDetails.Product)
		}
		return true
	}
	for i, l := range lines {
		l.DiscountAmounts = []any{}
		left[i] = l.Amount
		for _, id := range discountIDs(l.Discounts) {
			d := t.Discounts[id]
			if d == nil || !applies(i, d) {
				continue
			}
			take(i, id, min(discountOn(d, left[i]), left[i]))
		}
	}
	for _, id := range discountIDs(inv.Discounts) {
		d := t.Discounts[id]
		if d == nil {
			continue
		}
		var eligible []int
		var base int64
		for i := range lines {
			if applies(i, d) {
				eligible = append(eligible, i)
				base += left[i]
			}
		}
		if len(eligible) == 0 {
			if _, seen := totals[id]; !seen {
				order = append(order, id)
				totals[id] = 0
			}
			continue
		}
		if d.PercentOff != nil {
			for _, i := range eligible {
				take(i, id, discountOn(d, left[i]))
			}
			continue
		}
		for k, share := range spread(min(d.AmountOff, base), eligible, left) {
			take(eligible[k], id, share)
		}
	}
	inv.TotalDiscountAmounts = []any{}
	var pretax []any
	for _, id := range order {
		inv.TotalDiscountAmounts = append(inv.TotalDiscountAmounts, map[string]any{"amount": totals[id], "discount": id})
		pretax = append(pretax, discountCredit(id, totals[id]))
		discounted += totals[id]
	}
	// Discounts are pretax credits too, listed before billing credits
	// [SPEC line_item.pretax_credit_amounts: "ex: discount, credit grants"].
	inv.TotalPretaxCreditAmounts = append(pretax, billingCredits(inv.TotalPretaxCreditAmounts)...)
	for _, l := range lines {
		var own []any
		for _, da := range l.DiscountAmounts {
			m := da.(map[string]any)
			own = append(own, discountCredit(m["discount"].(string), m["amount"].(int64)))
		}
		l.PretaxCreditAmounts = append(own, billingCredits(l.PretaxCreditAmounts)...)
	}

	type taxTotal struct {
		amount, taxable int64
		inclusive       bool
	}
	taxTotals := map[string]*taxTotal{}
	var taxOrder []string
	for i, l := range lines {
		l.Taxes = []any{}
		rates := t.LineTaxRates[l.ID]
		if len(rates) == 0 {
			rates = defaults
		}
		if len(rates) == 0 {
			continue
		}
		amount := left[i]
		var inclPct float64
		var incl, excl []string
		for _, id := range rates {
			if r := t.TaxRates[id]; r != nil && r.Inclusive {
				inclPct += r.Percentage
				incl = append(incl, id)
			} else if r != nil {
				excl = append(excl, id)
			}
		}
		net := amount
		if inclPct > 0 {
			net = roundHalfAway(float64(amount) / (1 + inclPct/100))
		}
		var inclLeft = amount - net
		add := func(id string, tax int64, inclusive bool) {
			behavior := "exclusive"
			if inclusive {
				behavior = "inclusive"
				inclusiveTax += tax
			} else {
				exclusiveTax += tax
			}
			l.Taxes = append(l.Taxes, map[string]any{
				"amount": tax, "tax_behavior": behavior, "tax_rate_details": map[string]any{"tax_rate": id},
				"taxability_reason": "not_available", "taxable_amount": net, "type": "tax_rate_details",
			})
			tt := taxTotals[id]
			if tt == nil {
				tt = &taxTotal{inclusive: inclusive}
				taxTotals[id] = tt
				taxOrder = append(taxOrder, id)
			}
			tt.amount += tax
			tt.taxable += net
		}
		for k, id := range incl {
			tax := roundHalfAway(float64(net) * t.TaxRates[id].Percentage / 100)
			if k == len(incl)-1 {
				tax = inclLeft
			}
			inclLeft -= tax
			add(id, tax, true)
		}
		for _, id := range excl {
			add(id, roundHalfAway(float64(net)*t.TaxRates[id].Percentage/100), false)
		}
	}
	inv.TotalTaxes = []any{}
	for _, id := range taxOrder {
		tt := taxTotals[id]
		behavior := "exclusive"
		if tt.inclusive {
			behavior = "inclusive"
		}
		inv.TotalTaxes = append(inv.TotalTaxes, map[string]any{
			"amount": tt.amount, "tax_behavior": behavior, "tax_rate_details": map[string]any{"tax_rate": id},
			"taxability_reason": "not_available", "taxable_amount": tt.taxable, "type": "tax_rate_details",
		})
	}
	return discounted, inclusiveTax, exclusiveTax
}

// discountOn is what discount d takes off an amount on its own.
func discountOn(d *DiscountTerms, amount int64) int64 {
	if d.PercentOff != nil {
		return roundHalfAway(float64(amount) * *d.PercentOff / 100)
	}
	return d.AmountOff
}

// spread divides amount over the eligible lines in proportion to what is
// left on each, by largest remainder (earlier lines win ties), so that the
// shares add up to amount exactly.
func spread(amount int64, eligible []int, left []int64) []int64 {
	var base int64
	for _, i := range eligible {
		base += left[i]
	}
	shares := make([]int64, len(eligible))
	if base <= 0 || amount <= 0 {
		return shares
	}
	if amount > base {
		amount = base // a discount never takes more than what is left
	}
	rem := make([]int64, len(eligible))
	var given int64
	for k, i := range eligible {
		shares[k], rem[k] = mulDiv(amount, max(left[i], 0), base)
		given += shares[k]
	}
	idx := make([]int, len(eligible))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(a, b int) bool { return rem[idx[a]] > rem[idx[b]] })
	// Each share is rounded down, so fewer than len(idx) cents are left over.
	for k := 0; given < amount && k < len(idx); k++ {
		shares[idx[k]]++
		given++
	}
	return shares
}

// mulDiv returns a*b/c and its remainder for non-negative a, b and positive
// c with a <= c, in 128-bit arithmetic so that large amounts cannot
// overflow (the quotient is at most b, so it fits).
func mulDiv(a, b, c int64) (int64, int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	return int64(q), int64(r)
}

// roundHalfAway rounds to the nearest integer, halves away from zero.
func roundHalfAway(f float64) int64 { return int64(math.Round(f)) }

// discountCredit is a discount's entry in pretax_credit_amounts.
func discountCredit(discount string, amount int64) map[string]any {
	return map[string]any{"amount": amount, "credit_balance_transaction": nil, "discount": discount, "type": "discount"}
}

// billingCredits are the entries of pretax_credit_amounts that are not
// discounts (billing credit applications), in order.
func billingCredits(list []any) []any {
	out := []any{}
	for _, pc := range list {
		if m, ok := pc.(map[string]any); ok && m["type"] == "discount" {
			continue
		}
		out = append(out, pc)
	}
	return out
}

// lineDiscounted is what discounts take off a line (billing credits apply
// to what is left).
func lineDiscounted(l *LineItem) int64 {
	var n int64
	for _, da := range l.DiscountAmounts {
		if m, ok := da.(map[string]any); ok {
			switch v := m["amount"].(type) {
			case int64:
				n += v
			case float64:
				n += int64(v)
			}
		}
	}
	return n
}
