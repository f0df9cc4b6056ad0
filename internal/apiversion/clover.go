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
		Name:   "PromotionCodeCouponMovedToPromotion",
		Object: "promotion_code",
		Doc:    "promotion_code.coupon (the whole coupon) moved to promotion_code.promotion.coupon (an ID).",
		Down: func(env Env, o map[string]any) {
			promo, _ := o["promotion"].(map[string]any)
			delete(o, "promotion")
			o["coupon"] = wholeCoupon(env, promo["coupon"])
		},
	}, {
		Name:   "DiscountCouponMovedToSource",
		Object: "discount",
		Doc:    "discount.coupon (the whole coupon) moved to discount.source.coupon.",
		Down: func(env Env, o map[string]any) {
			src, _ := o["source"].(map[string]any)
			delete(o, "source")
			if src == nil {
				return
			}
			if c := wholeCoupon(env, src["coupon"]); c != nil {
				o["coupon"] = c
			}
		},
	}},
	Params: []ParamChange{{
		Name: "SchedulePhaseIterationsBecameDuration",
		Doc: "phases[][iterations] on subscription schedules and schedule_details[phases][][iterations] on invoice " +
			"previews (a count of the phase's price interval) gave way to phases[][duration]; the schedule code " +
			"still ends a phase after its iterations for older versions.",
		Routes: []string{"POST /v1/subscription_schedules", "POST /v1/subscription_schedules/{schedule}",
			"POST /v1/invoices/create_preview", "GET /v1/invoices/upcoming", "GET /v1/invoices/upcoming/lines"},
		Aside: func(p map[string]any) func(map[string]any) {
			if sd, ok := p["schedule_details"].(map[string]any); ok {
				return setAsideIn(sd, "schedule_details", "phases", "iterations")
			}
			return setAsideInElems(p, "phases", "iterations")
		},
	}, {
		Name:   "PromotionCodeCouponParamBecamePromotion",
		Doc:    "coupon on promotion codes became promotion[type]=coupon with promotion[coupon].",
		Routes: []string{"POST /v1/promotion_codes"},
		Up: func(p map[string]any) error {
			v, ok := p["coupon"]
			if !ok {
				return nil
			}
			if _, both := p["promotion"]; both {
				return apierr.InvalidRequest("coupon", "You may only specify one of these parameters: coupon, promotion.")
			}
			delete(p, "coupon")
			p["promotion"] = map[string]any{"type": "coupon", "coupon": v}
			return nil
		},
	}},
}

// wholeCoupon is the coupon object for v, a coupon expanded or its ID, as
// the older shapes embed it whole; nil if there is none.
func wholeCoupon(env Env, v any) any {
	switch c := v.(type) {
	case map[string]any:
		return c
	case string:
		if m := env.Object("coupon", c); m != nil {
			return m
		}
	}
	return nil
}
