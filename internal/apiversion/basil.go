package apiversion

import (
	"maps"

	"github.com/stripefake/stripefake/internal/apierr"
)

// basil: https://docs.stripe.com/changelog/basil
//
// Behaviour gated on basil (resource code asks Before(Basil)): legacy
// usage-based billing and GET /v1/invoices/upcoming exist only before it.
var basil = Release{
	Name: "basil",
	Versions: []Version{
		Basil, "2025-04-30.basil", "2025-05-28.basil", "2025-06-30.basil",
		"2025-07-30.basil", "2025-08-27.basil",
	},
	Changes: []Change{
		{
			Name:   "InvoiceSubscriptionMovedToParent",
			Object: "invoice",
			Doc: "invoice.subscription, subscription_details and subscription_proration_date moved to " +
				"invoice.parent.subscription_details; invoice.quote to parent.quote_details.",
			Expandable: map[string][]string{"subscription": {"subscription"}, "quote": {"quote"}},
			Down: func(_ Env, o map[string]any) {
				p, _ := o["parent"].(map[string]any)
				delete(o, "parent")
				o["subscription"] = nil
				o["subscription_details"] = nil
				o["quote"] = nil
				if p == nil {
					return
				}
				if sd, ok := p["subscription_details"].(map[string]any); ok {
					o["subscription"] = sd["subscription"]
					md := sd["metadata"]
					if md == nil {
						md = map[string]any{}
					}
					o["subscription_details"] = map[string]any{"metadata": md}
					if d, ok := sd["subscription_proration_date"]; ok {
						o["subscription_proration_date"] = d
					}
				}
				if qd, ok := p["quote_details"].(map[string]any); ok {
					o["quote"] = qd["quote"]
				}
			},
		},
		{
			Name:   "InvoicePaymentsReplacePaymentIntent",
			Object: "invoice",
			Doc: "invoice.payment_intent, charge, paid and paid_out_of_band were removed for invoice.payments " +
				"(InvoicePayment objects).",
			Expandable: map[string][]string{"payment_intent": {"payment_intent"}, "charge": {"charge"}},
			Down: func(env Env, o map[string]any) {
				delete(o, "payments")
				o["payment_intent"], o["charge"] = nil, nil
				status, _ := o["status"].(string)
				if id, _ := o["id"].(string); id != "" {
					if st := env.Stored("invoice", id); st != nil {
						if pi, _ := st["_payment_intent"].(string); pi != "" {
							o["payment_intent"] = pi
							if sp := env.Stored("payment_intent", pi); sp != nil {
								o["charge"] = sp["latest_charge"]
							}
						}
					}
				}
				paid := status == "paid"
				o["paid"] = paid
				o["paid_out_of_band"] = paid && o["payment_intent"] == nil && !isZero(o["amount_paid"])
			},
		},
		{
			Name:   "InvoiceTaxesAndDiscountsReshaped",
			Object: "invoice",
			Doc: "invoice.tax and total_tax_amounts became total_taxes; invoice.discount (one) gave way to discounts; " +
				"application_fee_amount and transfer_data were removed.",
			Down: func(env Env, o map[string]any) {
				amounts, sum := taxAmounts(o["total_taxes"])
				delete(o, "total_taxes")
				o["total_tax_amounts"] = amounts
				o["tax"] = nil // null when no tax rate applies
				if len(amounts) > 0 {
					o["tax"] = sum
				}
				o["application_fee_amount"] = nil
				o["transfer_data"] = nil
				o["discount"] = firstDiscount(env, o["discounts"])
			},
		},
		{
			Name:   "LineItemParentAndPricing",
			Object: "line_item",
			Doc: "line_item type, subscription_item, invoice_item, proration, proration_details moved to line_item.parent; " +
				"price (and plan) to pricing.price_details; tax_amounts/tax_rates became taxes.",
			Expandable: map[string][]string{"subscription_item": {"subscription_item"}, "invoice_item": {"invoiceitem"}},
			Down: func(env Env, o map[string]any) {
				p, _ := o["parent"].(map[string]any)
				delete(o, "parent")
				// Absent, not null, where they do not apply (the spec has
				// them non-nullable).
				o["type"] = "invoiceitem"
				delete(o, "invoice_item")
				delete(o, "subscription_item")
				o["proration"] = false
				o["proration_details"] = map[string]any{"credited_items": nil}
				if p != nil {
					d, _ := p["invoice_item_details"].(map[string]any)
					if sd, ok := p["subscription_item_details"].(map[string]any); ok {
						d = sd
						o["type"] = "subscription"
						o["subscription_item"] = sd["subscription_item"]
					}
					if d != nil {
						if ii, ok := d["invoice_item"]; ok && ii != nil {
							o["invoice_item"] = ii
						}
						o["proration"] = d["proration"]
						if pd, ok := d["proration_details"].(map[string]any); ok {
							o["proration_details"] = pd
						}
					}
				}
				pricing, _ := o["pricing"].(map[string]any)
				delete(o, "pricing")
				o["price"] = priceOf(env, pricing)
				o["plan"] = planOf(env, o["price"])
				o["unit_amount_excluding_tax"] = nil
				if pricing != nil {
					o["unit_amount_excluding_tax"] = pricing["unit_amount_decimal"]
				}
				amounts, _ := taxAmounts(o["taxes"])
				delete(o, "taxes")
				o["tax_amounts"] = amounts
				o["tax_rates"] = lineTaxRates(env, o)
				o["amount_excluding_tax"] = toInt(o["amount"]) - inclusiveTax(amounts)
				if inclusiveTax(amounts) != 0 {
					o["unit_amount_excluding_tax"] = unitExcludingTax(o["amount_excluding_tax"].(int64), o["quantity"])
				}
			},
		},
		{
			Name:   "InvoiceItemParentAndPricing",
			Object: "invoiceitem",
			Doc: "invoiceitem.subscription and subscription_item moved to invoiceitem.parent; price (and plan), " +
				"unit_amount and unit_amount_decimal to pricing.",
			Expandable: map[string][]string{"subscription": {"subscription"}},
			Down: func(env Env, o map[string]any) {
				p, _ := o["parent"].(map[string]any)
				delete(o, "parent")
				o["subscription"] = nil
				delete(o, "subscription_item") // absent unless the item belongs to one
				if p != nil {
					if sd, ok := p["subscription_details"].(map[string]any); ok {
						o["subscription"] = sd["subscription"]
						if si, ok := sd["subscription_item"]; ok {
							o["subscription_item"] = si
						}
					}
				}
				pricing, _ := o["pricing"].(map[string]any)
				delete(o, "pricing")
				o["price"] = priceOf(env, pricing)
				o["plan"] = planOf(env, o["price"])
				o["unit_amount"], o["unit_amount_decimal"] = nil, nil
				if pricing != nil {
					if d, ok := pricing["unit_amount_decimal"].(string); ok {
						o["unit_amount_decimal"] = d
						o["unit_amount"] = integral(d)
					}
				}
			},
		},
		{
			Name:   "SubscriptionPeriodMovedToItems",
			Object: "subscription",
			Doc: "subscription.current_period_start and current_period_end moved to each subscription item; " +
				"subscription.discount (one) gave way to discounts.",
			Down: func(env Env, o map[string]any) {
				if items, ok := o["items"].(map[string]any); ok {
					if data, ok := items["data"].([]any); ok && len(data) > 0 {
						if it, ok := data[0].(map[string]any); ok {
							o["current_period_start"] = it["current_period_start"]
							o["current_period_end"] = it["current_period_end"]
						}
					}
				}
				if _, ok := o["current_period_start"]; !ok {
					o["current_period_start"], o["current_period_end"] = o["start_date"], o["start_date"]
				}
				o["discount"] = firstDiscount(env, o["discounts"])
			},
		},
		{
			Name:   "SubscriptionItemPeriod",
			Object: "subscription_item",
			Doc:    "subscription_item.current_period_start and current_period_end exist from basil on.",
			Down: func(_ Env, o map[string]any) {
				delete(o, "current_period_start")
				delete(o, "current_period_end")
			},
		},
		{
			Name:   "LegacyUsageBillingRemovedPrice",
			Object: "price",
			Doc:    "recurring.aggregate_usage was removed with legacy usage-based billing.",
			Down: func(_ Env, o map[string]any) {
				if r, ok := o["recurring"].(map[string]any); ok {
					r["aggregate_usage"] = aggregateUsage(r)
				}
			},
		},
		{
			Name:   "LegacyUsageBillingRemovedPlan",
			Object: "plan",
			Doc:    "plan.aggregate_usage was removed with legacy usage-based billing.",
			Down:   func(_ Env, o map[string]any) { o["aggregate_usage"] = aggregateUsage(o) },
		},
		{
			Name:       "ChargeInvoiceRemoved",
			Object:     "charge",
			Doc:        "charge.invoice was removed (an invoice's payments are InvoicePayment objects).",
			Expandable: map[string][]string{"invoice": {"invoice"}},
			Down: func(env Env, o map[string]any) {
				pi, _ := o["payment_intent"].(string)
				o["invoice"] = invoicePaidBy(env, pi)
			},
		},
		{
			Name:       "PaymentIntentInvoiceRemoved",
			Object:     "payment_intent",
			Doc:        "payment_intent.invoice was removed (an invoice's payments are InvoicePayment objects).",
			Expandable: map[string][]string{"invoice": {"invoice"}},
			Down: func(env Env, o map[string]any) {
				id, _ := o["id"].(string)
				o["invoice"] = invoicePaidBy(env, id)
			},
		},
		{
			Name:   "CreditNoteTaxAmountsBecameTotalTaxes",
			Object: "credit_note",
			Doc: "credit_note.tax_amounts became total_taxes; credit_note.refund (one) gave way to refunds " +
				"(refunds[][refund] in requests).",
			Expandable: map[string][]string{"refund": {"refund"}},
			Down: func(_ Env, o map[string]any) {
				o["tax_amounts"], _ = taxAmounts(o["total_taxes"])
				delete(o, "total_taxes")
				o["refund"] = nil
				if rs, _ := o["refunds"].([]any); len(rs) > 0 {
					if r, _ := rs[0].(map[string]any); r != nil {
						o["refund"] = r["refund"]
					}
				}
			},
		},
		{
			Name:   "CreditNoteLineTaxAmountsBecameTaxes",
			Object: "credit_note_line_item",
			Doc: "credit_note_line_item.tax_amounts became taxes; amount_excluding_tax and " +
				"unit_amount_excluding_tax were removed.",
			Down: func(_ Env, o map[string]any) {
				amounts, _ := taxAmounts(o["taxes"])
				delete(o, "taxes")
				o["tax_amounts"] = amounts
				excl := toInt(o["amount"]) - inclusiveTax(amounts)
				o["amount_excluding_tax"] = excl
				o["unit_amount_excluding_tax"] = unitExcludingTax(excl, o["quantity"])
			},
		},
		{
			Name:   "SchedulePhaseCouponRemoved",
			Object: "subscription_schedule",
			Doc:    "subscription_schedule.phases[].coupon gave way to phases[].discounts.",
			Down: func(_ Env, o map[string]any) {
				phases, _ := o["phases"].([]any)
				for _, ph := range phases {
					if m, ok := ph.(map[string]any); ok {
						m["coupon"] = phaseCoupon(m["discounts"])
					}
				}
			},
		},
		{
			Name:   "CheckoutShippingDetailsMoved",
			Object: "checkout.session",
			Doc:    "checkout.session.shipping_details moved to collected_information.shipping_details.",
			Down: func(_ Env, o map[string]any) {
				o["shipping_details"] = nil
				if ci, ok := o["collected_information"].(map[string]any); ok && ci["shipping_details"] != nil {
					o["shipping_details"] = ci["shipping_details"]
				}
			},
		},
	},
	Params: []ParamChange{
		{
			Name: "CouponParamsBecameDiscounts",
			Doc: "coupon and promotion_code on subscriptions became discounts[][coupon] / " +
				"discounts[][promotion_code].",
			Routes: []string{"POST /v1/subscriptions", "POST /v1/subscriptions/{subscription_exposed_id}"},
			Up:     func(p map[string]any) error { return SingleDiscount(p, "coupon", "promotion_code") },
		},
		{
			Name: "PhaseCouponBecameDiscounts",
			Doc: "phases[][coupon] on subscription schedules, and schedule_details[phases][][coupon] on invoice " +
				"previews, became phases[][discounts][][coupon].",
			Routes: []string{"POST /v1/subscription_schedules", "POST /v1/subscription_schedules/{schedule}",
				"POST /v1/invoices/create_preview", "GET /v1/invoices/upcoming", "GET /v1/invoices/upcoming/lines"},
			Up: func(p map[string]any) error {
				phases := p["phases"]
				if sd, ok := p["schedule_details"].(map[string]any); ok {
					phases = sd["phases"] // a preview's; it has no top-level phases
				}
				return eachElem(phases, func(m map[string]any) error { return SingleDiscount(m, "coupon") })
			},
		},
		{
			// The upcoming invoice's coupon goes through the same function
			// (translateUpcoming), after validation: its legacy spec has it.
			Name:   "PreviewCouponBecameDiscounts",
			Doc:    "coupon on invoice previews became discounts[][coupon].",
			Routes: []string{"POST /v1/invoices/create_preview"},
			Up:     func(p map[string]any) error { return SingleDiscount(p, "coupon") },
		},
		{
			Name: "CustomerCouponParamsRemoved",
			Doc: "coupon and promotion_code on customers were removed (a customer's discount is applied from " +
				"the Dashboard or Checkout since); the customer code still applies them for older versions.",
			Routes: []string{"POST /v1/customers", "POST /v1/customers/{customer}"},
			Aside:  func(p map[string]any) func(map[string]any) { return setAside(p, "coupon", "promotion_code") },
		},
		{
			Name:   "InvoiceItemPriceBecamePricing",
			Doc:    "price and unit_amount on invoice items became pricing[price] and unit_amount_decimal.",
			Routes: []string{"POST /v1/invoiceitems", "POST /v1/invoiceitems/{invoiceitem}"},
			Up: func(p map[string]any) error {
				if err := priceToPricing(p, "price"); err != nil {
					return err
				}
				return rename(p, "unit_amount", "unit_amount_decimal", "unit_amount")
			},
		},
		{
			Name:   "InvoiceLinePriceBecamePricing",
			Doc:    "price on invoice lines (update, add_lines, update_lines) became pricing[price].",
			Routes: []string{"POST /v1/invoices/{invoice}/lines/{line_item_id}"},
			Up:     func(p map[string]any) error { return priceToPricing(p, "price") },
		},
		{
			Name: "InvoiceLinesPriceBecamePricing",
			Doc:  "lines[][price] on add_lines and update_lines became lines[][pricing][price].",
			Routes: []string{"POST /v1/invoices/{invoice}/add_lines",
				"POST /v1/invoices/{invoice}/update_lines"},
			Up: func(p map[string]any) error {
				return eachElem(p["lines"], func(m map[string]any) error { return priceToPricing(m, "lines[][price]") })
			},
		},
		{
			Name: "CreditNoteRefundBecameRefunds",
			Doc:  "refund (one existing refund) on credit notes and their previews became refunds[][refund].",
			Routes: []string{"POST /v1/credit_notes", "GET /v1/credit_notes/preview",
				"GET /v1/credit_notes/preview/lines"},
			Up: func(p map[string]any) error {
				v, ok := p["refund"]
				if !ok {
					return nil
				}
				if _, both := p["refunds"]; both {
					return apierr.InvalidRequest("refund", "You may only specify one of these parameters: refund, refunds.")
				}
				delete(p, "refund")
				p["refunds"] = map[string]any{"0": map[string]any{"refund": v}}
				return nil
			},
		},
	},
}

// SingleDiscount turns each one-discount parameter of keys (coupon,
// promotion_code) into discounts[0][key] (a hash keyed by index, as the
// form decoder leaves arrays); an empty value clears, as discounts=""
// does. Both at once is an error naming the key.
func SingleDiscount(p map[string]any, keys ...string) error {
	for _, k := range keys {
		v, ok := p[k]
		if !ok {
			continue
		}
		if _, both := p["discounts"]; both {
			return apierr.InvalidRequest(k, "You may only specify one of these parameters: "+k+", discounts.")
		}
		delete(p, k)
		if s, _ := v.(string); s == "" {
			p["discounts"] = ""
			continue
		}
		p["discounts"] = map[string]any{"0": map[string]any{k: v}}
	}
	return nil
}

// priceToPricing moves p[price] to p[pricing][price]; param names the
// price parameter in errors.
func priceToPricing(p map[string]any, param string) error {
	v, ok := p["price"]
	if !ok {
		return nil
	}
	if _, both := p["pricing"]; both {
		return apierr.InvalidRequest(param, "You may only specify one of these parameters: price, pricing.")
	}
	delete(p, "price")
	p["pricing"] = map[string]any{"price": v}
	return nil
}

// phaseCoupon is the coupon of a phase's first discount that names one
// directly, as phases[].coupon showed it (an ID), or nil.
func phaseCoupon(discounts any) any {
	ds, _ := discounts.([]any)
	for _, d := range ds {
		if m, ok := d.(map[string]any); ok && m["coupon"] != nil {
			return m["coupon"]
		}
	}
	return nil
}

// invoicePaidBy is the invoice whose InvoicePayment is payment intent pi,
// or nil: what charge.invoice and payment_intent.invoice named.
func invoicePaidBy(env Env, pi string) any {
	if pi == "" {
		return nil
	}
	if ip := env.Find("invoice_payment", "payment_intent="+pi); ip != nil {
		return ip["invoice"]
	}
	return nil
}

// aggregateUsage is what aggregate_usage showed for a recurring hash or a
// plan: sum for a metered price (a meter sums its events by default), null
// for a licensed one. A stored legacy value wins.
func aggregateUsage(r map[string]any) any {
	if v, ok := r["aggregate_usage"]; ok && v != nil {
		return v
	}
	if r["usage_type"] == "metered" {
		return "sum"
	}
	return nil
}

// firstDiscount is the single discount older versions showed: the first of
// discounts, as an object.
func firstDiscount(env Env, discounts any) any {
	ds, _ := discounts.([]any)
	if len(ds) == 0 {
		return nil
	}
	switch d := ds[0].(type) {
	case map[string]any:
		return maps.Clone(d) // its own copy: the walk transforms each once
	case string:
		if m := env.Object("discount", d); m != nil {
			return m
		}
	}
	return nil
}

// priceOf loads the price that pricing.price_details names, as older
// versions embedded it whole.
func priceOf(env Env, pricing map[string]any) any {
	if pricing == nil {
		return nil
	}
	pd, _ := pricing["price_details"].(map[string]any)
	if pd == nil {
		return nil
	}
	switch p := pd["price"].(type) {
	case map[string]any:
		return p
	case string:
		if m := env.Object("price", p); m != nil {
			return m
		}
	}
	return nil
}

// planOf is the plan a recurring price (an object) is, as older versions
// showed it beside the price; null for a one-off price.
func planOf(env Env, price any) any {
	pr, _ := price.(map[string]any)
	if pr == nil || pr["recurring"] == nil {
		return nil
	}
	id, _ := pr["id"].(string)
	if m := env.Object("plan", id); m != nil {
		return m
	}
	return nil
}

// integral returns the decimal string d as an integer when it is one, else
// nil (unit_amount is null for fractional amounts).
func integral(d string) any {
	var n int64
	if d == "" {
		return nil
	}
	for i, r := range d {
		if r == '-' && i == 0 {
			continue
		}
		if r < '0' || r > '9' {
			return nil
		}
		n = n*10 + int64(r-'0')
	}
	if d[0] == '-' {
		n = -n
	}
	return n
}

// isZero reports whether a decoded JSON number is zero or missing.
func isZero(v any) bool {
	switch n := v.(type) {
	case nil:
		return true
	case float64:
		return n == 0
	case interface{ String() string }: // json.Number
		return n.String() == "0"
	}
	return false
}
