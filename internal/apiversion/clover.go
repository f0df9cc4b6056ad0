package apiversion

import "github.com/stripefake/stripefake/internal/apierr"

// clover: https://docs.stripe.com/changelog/clover
//
// Behaviour gated on clover (resource code asks Before(Clover)): new
// subscriptions default to billing_mode flexible from clover on, classic
// before.
var clover = Release{
	Name: "clover",
	Versions: []Version{
		Clover, "2025-10-29.clover", "2025-11-17.clover", "2025-12-15.clover",
		"2026-01-28.clover", "2026-02-25.clover",
	},
	Changes: []Change{{
		Name:   "DiscountCouponMovedToSource",
		Object: "discount",
		Doc:    "discount.coupon (the whole coupon) moved to discount.source.coupon.",
		Down: func(env Env, o map[string]any) {
			src, _ := o["source"].(map[string]any)
			delete(o, "source")
			if src == nil {
				return
			}
			switch c := src["coupon"].(type) {
			case map[string]any:
				o["coupon"] = c
			case string:
				if m := env.Object("coupon", c); m != nil {
					o["coupon"] = m
				}
			}
		},
	}},
	Params: []ParamChange{
		{
			Name:   "CouponParamsBecameDiscounts",
			Doc:    "coupon and promotion_code on subscriptions became discounts[][coupon] / discounts[][promotion_code].",
			Routes: []string{"POST /v1/subscriptions", "POST /v1/subscriptions/{subscription_exposed_id}"},
			Up: func(p map[string]any) error {
				for _, k := range []string{"coupon", "promotion_code"} {
					v, ok := p[k]
					if !ok {
						continue
					}
					if _, both := p["discounts"]; both {
						return apierr.InvalidRequest(k, "You may only specify one of these parameters: "+k+", discounts.")
					}
					delete(p, k)
					if s, _ := v.(string); s == "" {
						p["discounts"] = "" // an empty value clears, as discounts="" does
						continue
					}
					p["discounts"] = map[string]any{"0": map[string]any{k: v}}
				}
				return nil
			},
		},
		{
			Name:   "InvoiceItemPriceBecamePricing",
			Doc:    "price and unit_amount on invoice items became pricing[price] and unit_amount_decimal.",
			Routes: []string{"POST /v1/invoiceitems", "POST /v1/invoiceitems/{invoiceitem}"},
			Up: func(p map[string]any) error {
				if v, ok := p["price"]; ok {
					if _, both := p["pricing"]; both {
						return apierr.InvalidRequest("price", "You may only specify one of these parameters: price, pricing.")
					}
					delete(p, "price")
					p["pricing"] = map[string]any{"price": v}
				}
				return rename(p, "unit_amount", "unit_amount_decimal", "unit_amount")
			},
		},
	},
}
