package resources

// Discounts and tax rates on quotes [SPEC POST /v1/quotes discounts,
// default_tax_rates, line_items[].discounts, line_items[].tax_rates]. The
// quote redeems its discounts when they are set (as an invoice does);
// its amounts are priced by the invoice's own math (priced_lines.go), and
// accepting it carries the same discounts and tax rates onto the
// subscription or invoice it creates, so that invoice holds what the quote
// showed.

// setQuoteDiscounts applies discounts, default_tax_rates and the line
// items' discounts and tax_rates (after setQuoteItems, whose items are in
// line_items' order).
func setQuoteDiscounts(c *Ctx, q *Quote, p Params) error {
	target := discountTarget{Currency: quoteCurrency(q), Amount: -1}
	if q.Customer != nil {
		target.Customer = *q.Customer
	}
	ids, set, err := discountsParam(c, p, "discounts", target)
	if err != nil {
		return err
	}
	if set {
		if err := endUnnamed(c, q.Discounts, ids); err != nil {
			return err
		}
		q.Discounts = ids
	}
	rates, set, err := taxRatesParam(c, p, "default_tax_rates")
	if err != nil {
		return err
	}
	if set {
		q.DefaultTaxRates = anyStrings(taxRateIDs(rates))
	}
	if !p.Has("line_items") {
		return nil
	}
	discounts, taxRates := map[string][]any{}, map[string][]string{}
	for i, lp := range p.List("line_items") {
		it := q.Items[i]
		ds, set, err := discountsParam(c, lp, "discounts", discountTarget{Customer: target.Customer, Currency: it.Currency, Amount: -1})
		if err != nil {
			return err
		}
		if !set {
			ds = q.ItemDiscounts[it.ID]
		}
		if len(ds) > 0 {
			discounts[it.ID] = ds
		}
		rates, set, err := taxRatesParam(c, lp, "tax_rates")
		if err != nil {
			return err
		}
		ids := q.ItemTaxRates[it.ID]
		if set {
			ids = taxRateIDs(rates)
		}
		if len(ids) > 0 {
			taxRates[it.ID] = ids
		}
	}
	q.ItemDiscounts, q.ItemTaxRates = discounts, taxRates
	return nil
}

func quoteCurrency(q *Quote) string {
	for _, it := range q.Items {
		return it.Currency
	}
	return ""
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// priceQuote sets the items' discounts, taxes and totals, and the quote's
// totals, upfront (what the first invoice holds) and recurring (each
// period's), from the invoice math. computeQuote has set the subtotals.
func priceQuote(c *Ctx, q *Quote) error {
	if q.Currency == nil {
		return nil
	}
	defaults, err := loadTaxRates(c, taxRateIDs(q.DefaultTaxRates), "default_tax_rates")
	if err != nil {
		return err
	}
	price := func(items []*QuoteItem) ([]*LineItem, QuoteTotalDetails, int64, error) {
		lines := make([]pricedLine, 0, len(items))
		for _, it := range items {
			rates, err := loadTaxRates(c, q.ItemTaxRates[it.ID], "line_items")
			if err != nil {
				return nil, QuoteTotalDetails{}, 0, err
			}
			lines = append(lines, pricedLine{Amount: it.AmountSubtotal, Price: it.Price, Discountable: true,
				Discounts: q.ItemDiscounts[it.ID], TaxRates: rates})
		}
		inv, err := priceLines(c, *q.Currency, q.Discounts, defaults, lines)
		if err != nil {
			return nil, QuoteTotalDetails{}, 0, err
		}
		var td QuoteTotalDetails
		for _, l := range inv.Lines.Data {
			_, all := exclusiveTax(l)
			td.AmountDiscount += lineDiscounted(l)
			td.AmountTax += all
		}
		return inv.Lines.Data, td, inv.Total, nil
	}
	lines, _, _, err := price(q.Items)
	if err != nil {
		return err
	}
	for i, it := range q.Items {
		if err := setQuoteItemAmounts(c, it, lines[i]); err != nil {
			return err
		}
	}
	_, td, total, err := price(upfrontItems(q))
	if err != nil {
		return err
	}
	q.Computed.Upfront.TotalDetails, q.Computed.Upfront.AmountTotal = td, total
	q.TotalDetails, q.AmountTotal = td, total
	if r := q.Computed.Recurring; r != nil {
		var recurring []*QuoteItem
		for _, it := range q.Items {
			if it.recurring() {
				recurring = append(recurring, it)
			}
		}
		_, td, total, err := price(recurring)
		if err != nil {
			return err
		}
		r.TotalDetails, r.AmountTotal = td, total
	}
	return nil
}

// setQuoteItemAmounts renders a priced line onto the quote item: its
// discounts with the discount objects, its taxes with the rates.
func setQuoteItemAmounts(c *Ctx, it *QuoteItem, l *LineItem) error {
	excl, all := exclusiveTax(l)
	it.AmountDiscount, it.AmountTax = lineDiscounted(l), all
	it.AmountTotal = it.AmountSubtotal - it.AmountDiscount + excl
	it.Discounts, it.Taxes = []any{}, []any{}
	for _, da := range l.DiscountAmounts {
		m := da.(map[string]any)
		d, err := loadDiscount(c, m["discount"].(string), "discounts")
		if err != nil {
			return err
		}
		it.Discounts = append(it.Discounts, map[string]any{"amount": m["amount"], "discount": d})
	}
	for _, t := range l.Taxes {
		m := t.(map[string]any)
		id, _ := m["tax_rate_details"].(map[string]any)["tax_rate"].(string)
		tr, err := get[TaxRate](c, kindTaxRate, id, "tax_rates")
		if err != nil {
			return err
		}
		it.Taxes = append(it.Taxes, map[string]any{"amount": m["amount"], "rate": tr, "taxability_reason": nil, "taxable_amount": m["taxable_amount"]})
	}
	return nil
}

// quoteItemDiscountParams are the discounts[] and tax_rates parameters
// that carry a quote item's (or the quote's) discounts and rates onto
// what accepting it creates: the same discounts, by ID.
func quoteDiscountParams(entry map[string]any, discounts []any, rates []string, ratesKey string) {
	if len(discounts) > 0 {
		ds := make([]any, 0, len(discounts))
		for _, id := range discountIDs(discounts) {
			ds = append(ds, map[string]any{"discount": id})
		}
		entry["discounts"] = ds
	}
	if len(rates) > 0 {
		entry[ratesKey] = anyStrings(rates)
	}
}
