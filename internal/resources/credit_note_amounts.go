package resources

import (
	"encoding/json"
	"math/big"
)

// Credit note amounts for discounted and taxed invoice lines.
//
// A credit note line's amount is "the gross amount being credited for this
// line item, excluding (exclusive) tax and discounts"; its discount_amounts
// are "the amount of discount calculated per discount for this line item"
// and its taxes the tax on what is credited
// [DOC: https://docs.stripe.com/api/credit_notes/line_item]. The note's
// total is "including tax and all discount", total_excluding_tax
// "including all discounts but excluding all tax"
// [DOC: https://docs.stripe.com/api/credit_notes/object].
//
// Decisions on points the reference does not confirm:
//   - Crediting part of an invoice line credits the same part of each of
//     its discount amounts and taxes (and taxable amounts): the ratio
//     credited / line amount, rounded half away from zero. The rounding is
//     cumulative over the line's issued credit notes (each credit takes
//     round(whole × credited so far / line amount) minus what earlier ones
//     took), so the credit that finishes the line takes exactly the
//     remainder and the line's credits add up to its discounts and taxes to
//     the cent; no line is credited beyond amount − discounts + exclusive
//     tax.
//   - The note's totals follow the invoice's (invoice.go recomputeTotals):
//     subtotal = Σ line amounts, subtotal_excluding_tax = subtotal −
//     inclusive tax, total = subtotal − discounts + exclusive tax,
//     total_excluding_tax = total − all tax; amount = total.
//   - Custom lines carry no discount or tax.

// lineCredits is what issued credit notes have credited of one invoice
// line.
type lineCredits struct {
	gross     int64
	discounts map[string]int64
	taxes     map[string]int64 // by tax rate
	taxable   map[string]int64 // by tax rate
}

func newLineCredits() *lineCredits {
	return &lineCredits{discounts: map[string]int64{}, taxes: map[string]int64{}, taxable: map[string]int64{}}
}

// priorLineCredits adds up, per invoice line, what the issued notes
// credited.
func priorLineCredits(issued []*CreditNote) map[string]*lineCredits {
	out := map[string]*lineCredits{}
	for _, o := range issued {
		for _, l := range o.Lines.Data {
			if l.InvoiceLineItem == nil {
				continue
			}
			pc := out[*l.InvoiceLineItem]
			if pc == nil {
				pc = newLineCredits()
				out[*l.InvoiceLineItem] = pc
			}
			pc.add(l)
		}
	}
	return out
}

// add counts credit note line l.
func (pc *lineCredits) add(l *CreditNoteLineItem) {
	pc.gross += l.Amount
	for _, da := range l.DiscountAmounts {
		m, _ := da.(map[string]any)
		id, _ := m["discount"].(string)
		pc.discounts[id] += intOf(m["amount"])
	}
	for _, t := range l.Taxes {
		m, _ := t.(map[string]any)
		rate := taxRateOf(m)
		pc.taxes[rate] += intOf(m["amount"])
		pc.taxable[rate] += intOf(m["taxable_amount"])
	}
}

// intOf reads a stored integer: an int64 when built in this request, a
// float64 or json.Number when decoded.
func intOf(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// taxRateOf is the tax rate ID of a taxes[] entry.
func taxRateOf(m map[string]any) string {
	d, _ := m["tax_rate_details"].(map[string]any)
	id, _ := d["tax_rate"].(string)
	return id
}

// prorate is round(whole × part / of), halves away from zero, in exact
// arithmetic (of > 0). A share of at most the whole (0 <= part <= of) of
// a non-negative amount, the case of every credit, takes mulDiv's 128-bit
// product with no allocation; anything else prorateBig.
func prorate(whole, part, of int64) int64 {
	if whole >= 0 && part >= 0 && part <= of && of > 0 {
		// whole × part < 2^63 × of, so the quotient fits; q+1 <= whole
		// when rounding up, as part < of then.
		q, r := mulDiv(whole, part, of)
		if r >= of-r {
			q++
		}
		return q
	}
	return prorateBig(whole, part, of)
}

// prorateBig is prorate for any signs and sizes.
func prorateBig(whole, part, of int64) int64 {
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(whole), big.NewInt(part)), big.NewInt(of))
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

// creditLineShares sets on l, which credits l.Amount of invoice line il
// after what prior credited, its share of il's discount amounts and taxes
// (see above).
func creditLineShares(c *Ctx, l *CreditNoteLineItem, il *LineItem, prior *lineCredits) error {
	if il.Amount <= 0 || l.Amount == 0 {
		return nil
	}
	if prior == nil {
		prior = newLineCredits()
	}
	after := prior.gross + l.Amount
	share := func(whole, before int64) int64 { return max(prorate(whole, after, il.Amount)-before, 0) }
	for _, da := range il.DiscountAmounts {
		m, _ := da.(map[string]any)
		id, _ := m["discount"].(string)
		n := share(intOf(m["amount"]), prior.discounts[id])
		l.DiscountAmounts = append(l.DiscountAmounts, map[string]any{"amount": n, "discount": id})
		l.PretaxCreditAmounts = append(l.PretaxCreditAmounts, creditNoteDiscountCredit(id, n))
		l.DiscountAmount += n
	}
	for _, t := range il.Taxes {
		m, _ := t.(map[string]any)
		rate := taxRateOf(m)
		l.Taxes = append(l.Taxes, map[string]any{
			"amount": share(intOf(m["amount"]), prior.taxes[rate]), "tax_behavior": m["tax_behavior"],
			"tax_rate_details": map[string]any{"tax_rate": rate}, "taxability_reason": m["taxability_reason"],
			"taxable_amount": share(intOf(m["taxable_amount"]), prior.taxable[rate]), "type": "tax_rate_details",
		})
		tr, err := get[TaxRate](c, kindTaxRate, rate, "tax_rates")
		if err != nil {
			return err
		}
		l.TaxRates = append(l.TaxRates, tr)
	}
	return nil
}

// creditNoteDiscountCredit is a discount's entry in a credit note's
// pretax_credit_amounts (whose credit_balance_transaction is absent, never
// null, in the spec).
func creditNoteDiscountCredit(discount string, amount int64) map[string]any {
	return map[string]any{"amount": amount, "discount": discount, "type": "discount"}
}

// creditNoteTaxes splits a credit note line's taxes into exclusive and
// inclusive.
func creditNoteTaxes(l *CreditNoteLineItem) (exclusive, inclusive int64) {
	for _, t := range l.Taxes {
		m, _ := t.(map[string]any)
		if m["tax_behavior"] == "inclusive" {
			inclusive += intOf(m["amount"])
		} else {
			exclusive += intOf(m["amount"])
		}
	}
	return exclusive, inclusive
}

// setCreditNoteTotals sets the note's amounts from its lines: the
// per-discount and per-rate aggregates, subtotals and totals.
func setCreditNoteTotals(cn *CreditNote) {
	var subtotal, discounted, excl, incl int64
	discounts := map[string]int64{}
	var discountOrder []string
	type taxTotal struct {
		amount, taxable  int64
		behavior, reason any
	}
	taxes := map[string]*taxTotal{}
	var taxOrder []string
	for _, l := range cn.Lines.Data {
		subtotal += l.Amount
		discounted += l.DiscountAmount
		e, i := creditNoteTaxes(l)
		excl, incl = excl+e, incl+i
		for _, da := range l.DiscountAmounts {
			m := da.(map[string]any)
			id := m["discount"].(string)
			if _, ok := discounts[id]; !ok {
				discountOrder = append(discountOrder, id)
			}
			discounts[id] += intOf(m["amount"])
		}
		for _, t := range l.Taxes {
			m := t.(map[string]any)
			rate := taxRateOf(m)
			tt := taxes[rate]
			if tt == nil {
				tt = &taxTotal{behavior: m["tax_behavior"], reason: m["taxability_reason"]}
				taxes[rate] = tt
				taxOrder = append(taxOrder, rate)
			}
			tt.amount += intOf(m["amount"])
			tt.taxable += intOf(m["taxable_amount"])
		}
	}
	cn.DiscountAmounts, cn.PretaxCreditAmounts, cn.TotalTaxes = []any{}, []any{}, []any{}
	for _, id := range discountOrder {
		cn.DiscountAmounts = append(cn.DiscountAmounts, map[string]any{"amount": discounts[id], "discount": id})
		cn.PretaxCreditAmounts = append(cn.PretaxCreditAmounts, creditNoteDiscountCredit(id, discounts[id]))
	}
	for _, rate := range taxOrder {
		tt := taxes[rate]
		cn.TotalTaxes = append(cn.TotalTaxes, map[string]any{
			"amount": tt.amount, "tax_behavior": tt.behavior, "tax_rate_details": map[string]any{"tax_rate": rate},
			"taxability_reason": tt.reason, "taxable_amount": tt.taxable, "type": "tax_rate_details",
		})
	}
	total := subtotal - discounted + excl
	cn.Subtotal, cn.DiscountAmount, cn.Amount, cn.Total = subtotal, discounted, total, total
	cn.SubtotalExcludingTax = new(subtotal - incl)
	cn.TotalExcludingTax = new(total - excl - incl)
}
