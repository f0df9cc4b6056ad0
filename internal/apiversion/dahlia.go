package apiversion

// dahlia: https://docs.stripe.com/changelog/dahlia. The stored model.
var dahlia = Release{
	Name: "dahlia",
	Versions: []Version{
		Dahlia, "2026-04-22.dahlia", "2026-05-27.dahlia", "2026-06-24.dahlia",
		"2026-07-29.dahlia", "2026-08-26.dahlia",
	},
	Changes: []Change{{
		Name:   "SubscriptionItemPlanRemoved",
		Object: "subscription_item",
		Doc: "subscription_item.plan (the item's recurring price as a plan) is no longer shown: stripe-go v84 " +
			"(clover) reads it, v85 (dahlia) does not.",
		Down: func(env Env, o map[string]any) { o["plan"] = planOf(env, o["price"]) },
	}, {
		Name:   "CheckoutUIModeValuesRenamed",
		Object: "checkout.session",
		Doc:    "checkout.session.ui_mode hosted and embedded were renamed hosted_page and embedded_page.",
		Down: func(_ Env, o map[string]any) {
			switch o["ui_mode"] {
			case "hosted_page":
				o["ui_mode"] = "hosted"
			case "embedded_page":
				o["ui_mode"] = "embedded"
			}
		},
	}},
}
