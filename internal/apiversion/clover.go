package apiversion

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
}
