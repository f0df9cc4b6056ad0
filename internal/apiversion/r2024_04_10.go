package apiversion

// r20240410: https://docs.stripe.com/changelog/2024-04-10
var r20240410 = Release{
	Name:     "2024-04-10",
	Versions: []Version{V20240410},
	Changes: []Change{{
		Name:   "ProductFeaturesRenamedMarketingFeatures",
		Object: "product",
		Doc:    "product.features (a list of {name}) was renamed marketing_features; the features parameter with it.",
		Down: func(_ Env, o map[string]any) {
			if mf, ok := o["marketing_features"]; ok {
				o["features"] = mf
				delete(o, "marketing_features")
			}
		},
	}},
	Params: []ParamChange{{
		Name:   "ProductFeaturesParamRenamed",
		Doc:    "features[][name] on products became marketing_features[][name].",
		Routes: []string{"POST /v1/products", "POST /v1/products/{id}"},
		Up:     func(p map[string]any) error { return rename(p, "features", "marketing_features", "features") },
	}},
}
