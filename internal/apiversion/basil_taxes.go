package apiversion

import (
	"encoding/json"
	"math/big"
)

// Before basil, taxes showed per tax rate as tax_amounts (on lines and
// credit note lines) and total_tax_amounts / tax_amounts (on invoices and
// credit notes): {amount, inclusive, tax_rate, taxability_reason,
// taxable_amount}. Basil replaced them with taxes / total_taxes, whose
// entries name the rate in tax_rate_details and the behaviour in
// tax_behavior. https://docs.stripe.com/changelog/basil/2025-03-31/invoice-tax-configurations

// taxAmounts turns dahlia's taxes (or total_taxes) into the older
// tax_amounts entries, and returns them with the sum of their amounts.
// Entries computed by Stripe Tax without a tax rate have no older form and
// are left out.
func taxAmounts(taxes any) ([]any, int64) {
	list, _ := taxes.([]any)
	out := []any{}
	var sum int64
	for _, t := range list {
		m, ok := t.(map[string]any)
		if !ok {
			continue
		}
		details, _ := m["tax_rate_details"].(map[string]any)
		if details == nil {
			continue
		}
		amount := toInt(m["amount"])
		sum += amount
		out = append(out, map[string]any{
			"amount":            amount,
			"inclusive":         m["tax_behavior"] == "inclusive",
			"tax_rate":          details["tax_rate"],
			"taxability_reason": olderTaxabilityReason(m["taxability_reason"]),
			"taxable_amount":    m["taxable_amount"],
		})
	}
	return out, sum
}

// inclusiveTax sums the inclusive entries of older tax_amounts.
func inclusiveTax(amounts []any) int64 {
	var n int64
	for _, a := range amounts {
		if m, _ := a.(map[string]any); m != nil && m["inclusive"] == true {
			n += toInt(m["amount"])
		}
	}
	return n
}

// lineTaxRates are the tax rates (objects) of a line's own tax_rates, kept
// in its stored invoice's amount terms; the invoice's default_tax_rates
// showed on the invoice, not on its lines.
func lineTaxRates(env Env, line map[string]any) []any {
	out := []any{}
	inv, _ := line["invoice"].(string)
	id, _ := line["id"].(string)
	if inv == "" || id == "" {
		return out
	}
	st := env.Stored("invoice", inv)
	terms, _ := st["_terms"].(map[string]any)
	byLine, _ := terms["line_tax_rates"].(map[string]any)
	ids, _ := byLine[id].([]any)
	for _, x := range ids {
		if s, ok := x.(string); ok {
			if m := env.Object("tax_rate", s); m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// unitExcludingTax is amount/quantity as the decimal string Stripe shows
// in unit_amount_excluding_tax (up to 12 decimal places, no trailing
// zeros).
func unitExcludingTax(amount int64, quantity any) any {
	q := toInt(quantity)
	if q <= 0 {
		return nil
	}
	r := new(big.Rat).SetFrac64(amount, q)
	s := r.FloatString(12)
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// toInt reads a decoded JSON integer (json.Number when decoded with
// UseNumber, float64 otherwise, int64 when a change set it).
func toInt(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return i
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

// olderTaxabilityReason is null for not_available, a value basil added
// for rates that carry no taxability reason (manual tax rates), which the
// older enum did not have.
func olderTaxabilityReason(v any) any {
	if v == "not_available" {
		return nil
	}
	return v
}
