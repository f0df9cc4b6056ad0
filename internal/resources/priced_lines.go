package resources

import "fmt"

// Lines priced outside an invoice: a subscription's first invoice before it
// exists (expectedTotal), a quote's items and totals, a Checkout Session's.
// They go through the invoice's own math (invoice_amounts.go) on a scratch
// invoice that is never saved, so a quote or a session shows to the cent
// what the invoice it leads to will hold.

// pricedLine is one line to price.
type pricedLine struct {
	Amount       int64
	Price        *Price // for coupons' applies_to.products; may be nil
	Discountable bool
	Discounts    []any // the line's own discount IDs
	TaxRates     []any // the line's own tax rates (objects); none: the defaults
}

// priceLines prices lines in currency under the invoice-level discounts
// (IDs) and default tax rates (objects), and returns the scratch invoice:
// its lines (in order) carry discount_amounts and taxes, and it carries
// the totals.
func priceLines(c *Ctx, currency string, discounts, defaultTaxRates []any, lines []pricedLine) (*Invoice, error) {
	inv := &Invoice{Currency: currency, Discounts: discounts, DefaultTaxRates: defaultTaxRates,
		Lines: &InvoiceLines{Data: make([]*LineItem, 0, len(lines))}}
	for i, in := range lines {
		l := &LineItem{ID: fmt.Sprintf("priced_%d", i), Amount: in.Amount, Discountable: in.Discountable, Discounts: in.Discounts,
			taxRates: in.TaxRates, taxRatesSet: true}
		if l.Discounts == nil {
			l.Discounts = []any{}
		}
		if in.Price != nil {
			l.Pricing = pricingOf(in.Price)
		}
		inv.Lines.Data = append(inv.Lines.Data, l)
	}
	if err := priceInvoice(c, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// exclusiveTax is the part of a priced line's taxes added on top of its
// amount (inclusive taxes are inside it).
func exclusiveTax(l *LineItem) (exclusive, all int64) {
	for _, t := range l.Taxes {
		m, ok := t.(map[string]any)
		if !ok {
			continue
		}
		n, _ := m["amount"].(int64)
		all += n
		if m["tax_behavior"] == "exclusive" {
			exclusive += n
		}
	}
	return exclusive, all
}

// loadTaxRates loads tax rates by ID, as the objects pricing embeds.
func loadTaxRates(c *Ctx, ids []string, param string) ([]any, error) {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		tr, err := get[TaxRate](c, kindTaxRate, id, param)
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}
