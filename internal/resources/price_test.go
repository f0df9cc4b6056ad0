package resources_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

func TestPriceCreateRetrieve(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Widget")
		params := &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("USD"), UnitAmount: stripe.Int64(2000),
			Nickname: stripe.String("standard"), TaxBehavior: stripe.String("exclusive"),
			Metadata: map[string]string{"k": "v"},
		}
		params.AddExpand("product")
		pr, err := sc.V1Prices.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pr.ID, "price_") || len(pr.ID) != len("price_")+24 {
			t.Errorf("id %q", pr.ID)
		}
		if pr.Object != "price" || !pr.Active || pr.Currency != "usd" || pr.UnitAmount != 2000 || pr.UnitAmountDecimal != 2000 ||
			pr.Type != stripe.PriceTypeOneTime || pr.BillingScheme != stripe.PriceBillingSchemePerUnit || pr.Recurring != nil ||
			pr.Nickname != "standard" || pr.TaxBehavior != stripe.PriceTaxBehaviorExclusive || pr.Metadata["k"] != "v" || pr.Created != f.Now().Unix() {
			t.Errorf("created %+v", pr)
		}
		if pr.Product == nil || pr.Product.Name != "Widget" {
			t.Errorf("expanded product %+v", pr.Product)
		}
		got, err := sc.V1Prices.Retrieve(ctx, pr.ID, nil)
		if err != nil || got.Product.ID != prod.ID || got.Product.Name != "" {
			t.Fatalf("retrieve (product not expanded): %v %+v", err, got.Product)
		}
		// unit_amount_decimal is a JSON string on the wire.
		body := lastResponse(t, f)
		if !strings.Contains(body, `"unit_amount_decimal":"2000"`) || strings.Contains(body, `"tiers"`) || strings.Contains(body, `"trial_period_days"`) {
			t.Errorf("wire body %s", body)
		}
		_, err = sc.V1Prices.Retrieve(ctx, "price_nope", nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such price: 'price_nope'")

		if got := eventTypes(f); !slices.Equal(got, []string{"product.created", "price.created"}) {
			t.Errorf("events %v", got)
		}
	})
}

// lastResponse is the body of the last request the fake answered.
func lastResponse(t *testing.T, f *fake.Fake) string {
	t.Helper()
	reqs := f.Requests()
	return string(reqs[len(reqs)-1].Response)
}

func TestPriceRecurringAndProductData(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Seats"), UnitLabel: stripe.String("seat")},
			Currency:    stripe.String("gbp"), UnitAmount: stripe.Int64(500),
			Recurring:         &stripe.PriceCreateRecurringParams{Interval: stripe.String("week"), IntervalCount: stripe.Int64(2)},
			TransformQuantity: &stripe.PriceCreateTransformQuantityParams{DivideBy: stripe.Int64(10), Round: stripe.String("up")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if pr.Type != stripe.PriceTypeRecurring || pr.Recurring.Interval != "week" || pr.Recurring.IntervalCount != 2 ||
			pr.Recurring.UsageType != "licensed" || pr.Recurring.Meter != "" || pr.TransformQuantity.DivideBy != 10 || pr.TaxBehavior != "unspecified" {
			t.Errorf("recurring price %+v %+v", pr, pr.Recurring)
		}
		prod, err := sc.V1Products.Retrieve(ctx, pr.Product.ID, nil)
		if err != nil || prod.Name != "Seats" || prod.UnitLabel != "seat" {
			t.Fatalf("product_data product: %v %+v", err, prod)
		}
		if got := eventTypes(f); !slices.Equal(got, []string{"product.created", "price.created", "plan.created"}) {
			t.Errorf("events %v", got)
		}
	})
}

func TestPriceDecimalAmounts(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Decimal")
		frac, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmountDecimal: stripe.Float64(1.5)})
		if err != nil {
			t.Fatal(err)
		}
		if frac.UnitAmount != 0 || frac.UnitAmountDecimal != 1.5 {
			t.Errorf("fractional %d %v", frac.UnitAmount, frac.UnitAmountDecimal)
		}
		if body := lastResponse(t, f); !strings.Contains(body, `"unit_amount":null`) || !strings.Contains(body, `"unit_amount_decimal":"1.5"`) {
			t.Errorf("wire body %s", body)
		}
		whole, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmountDecimal: stripe.Float64(250)})
		if err != nil || whole.UnitAmount != 250 || whole.UnitAmountDecimal != 250 {
			t.Fatalf("whole decimal: %v %d %v", err, whole.UnitAmount, whole.UnitAmountDecimal)
		}
		p := &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("usd")}
		p.AddExtra("unit_amount_decimal", "0.1234567890123")
		_, err = sc.V1Prices.Create(ctx, p)
		stripeErr(t, err, http.StatusBadRequest, "", "unit_amount_decimal", "")
	})
}

func TestPriceTiered(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Tiered")
		params := &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"),
			Recurring:     &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
			BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("graduated"),
			Tiers: []*stripe.PriceCreateTierParams{
				{UpTo: stripe.Int64(10), UnitAmount: stripe.Int64(500), FlatAmount: stripe.Int64(100)},
				{UpTo: stripe.Int64(100), UnitAmountDecimal: stripe.Float64(2.25)},
				{UpToInf: stripe.Bool(true), UnitAmount: stripe.Int64(0)},
			},
		}
		pr, err := sc.V1Prices.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if pr.BillingScheme != "tiered" || pr.TiersMode != "graduated" || pr.UnitAmount != 0 || pr.Tiers != nil {
			t.Errorf("tiered price (tiers not expanded) %+v", pr)
		}
		if body := lastResponse(t, f); strings.Contains(body, `"tiers":`) || !strings.Contains(body, `"unit_amount_decimal":null`) {
			t.Errorf("tiers rendered without expand: %s", body)
		}
		// tiers is includable: expand[]=tiers renders it.
		rp := &stripe.PriceRetrieveParams{}
		rp.AddExpand("tiers")
		rp.AddExpand("product")
		got, err := sc.V1Prices.Retrieve(ctx, pr.ID, rp)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tiers) != 3 || got.Product.Name != "Tiered" {
			t.Fatalf("expanded tiers %+v product %+v", got.Tiers, got.Product)
		}
		t0, t1, t2 := got.Tiers[0], got.Tiers[1], got.Tiers[2]
		if t0.UpTo != 10 || t0.UnitAmount != 500 || t0.FlatAmount != 100 || t0.FlatAmountDecimal != 100 ||
			t1.UpTo != 100 || t1.UnitAmount != 0 || t1.UnitAmountDecimal != 2.25 || t2.UpTo != 0 || t2.UnitAmount != 0 {
			t.Errorf("tiers %+v %+v %+v", t0, t1, t2)
		}
		if body := lastResponse(t, f); !strings.Contains(body, `"up_to":null`) || !strings.Contains(body, `"unit_amount_decimal":"2.25"`) {
			t.Errorf("tiers wire %s", body)
		}
		// The same on a list, under data.
		lp := &stripe.PriceListParams{}
		lp.AddExpand("data.tiers")
		all, err := catalogAll(sc.V1Prices.List(ctx, lp).All(ctx))
		if err != nil || len(all) != 1 || len(all[0].Tiers) != 3 {
			t.Fatalf("list with data.tiers: %v %+v", err, all)
		}
		// The plan view renders tiers without being asked.
		plan, err := sc.V1Plans.Retrieve(ctx, pr.ID, nil)
		if err != nil || len(plan.Tiers) != 3 || plan.Amount != 0 || plan.TiersMode != "graduated" {
			t.Fatalf("plan of tiered price: %v %+v", err, plan)
		}
		// Events carry the tiers.
		evs := f.Events()
		if ev := evs[len(evs)-2]; ev.Type != "price.created" || !strings.Contains(string(ev.Object), `"tiers":[`) {
			t.Errorf("price.created event %s %s", ev.Type, ev.Object)
		}
	})
}

func TestPriceCreateErrors(t *testing.T) {
	tiers := func(ups ...int64) []*stripe.PriceCreateTierParams {
		var out []*stripe.PriceCreateTierParams
		for _, up := range ups {
			tier := &stripe.PriceCreateTierParams{UnitAmount: stripe.Int64(1)}
			if up == 0 {
				tier.UpToInf = stripe.Bool(true)
			} else {
				tier.UpTo = stripe.Int64(up)
			}
			out = append(out, tier)
		}
		return out
	}
	monthly := &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}
	cases := []struct {
		name   string
		params func(product string) *stripe.PriceCreateParams
		code   stripe.ErrorCode
		param  string
		msg    string
	}{
		{"missing currency", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, UnitAmount: stripe.Int64(1)}
		}, "parameter_missing", "currency", "Missing required param: currency."},
		{"missing product", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1)}
		}, "parameter_missing", "product", "Missing required param: product."},
		{"unknown product", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: stripe.String("prod_nope"), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1)}
		}, stripe.ErrorCodeResourceMissing, "product", "No such product: 'prod_nope'"},
		{"product and product_data", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("x")}, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1)}
		}, "", "product", "You may only specify one of these parameters: product, product_data."},
		{"product_data without name", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{ProductData: &stripe.PriceCreateProductDataParams{UnitLabel: stripe.String("x")}, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1)}
		}, "parameter_missing", "product_data[name]", "Missing required param: product_data[name]."},
		{"no amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd")}
		}, "parameter_missing", "unit_amount", "Missing required param: unit_amount."},
		{"both unit amounts", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), UnitAmountDecimal: stripe.Float64(1.5)}
		}, "", "unit_amount", "You may only specify one of these parameters: unit_amount, unit_amount_decimal."},
		{"negative amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(-1)}
		}, "parameter_invalid_integer", "unit_amount", "Invalid non-negative integer"},
		{"bad interval", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("fortnight")}}
		}, "", "recurring[interval]", ""},
		{"interval over 3 years", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(37)}}
		}, "", "recurring[interval_count]", ""},
		{"zero interval count", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("week"), IntervalCount: stripe.Int64(0)}}
		}, "parameter_invalid_integer", "recurring[interval_count]", "Invalid positive integer"},
		{"metered without meter", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered")}}
		}, "parameter_missing", "recurring[meter]", ""},
		{"metered with unknown meter", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String("mtr_nope")}}
		}, stripe.ErrorCodeResourceMissing, "recurring[meter]", "No such billing.meter: 'mtr_nope'"},
		{"licensed with meter", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), Meter: stripe.String("mtr_x")}}
		}, "", "recurring[meter]", ""},
		{"tiered without tiers_mode", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), Recurring: monthly, BillingScheme: stripe.String("tiered"), Tiers: tiers(10, 0)}
		}, "parameter_missing", "tiers_mode", "Missing required param: tiers_mode."},
		{"tiered without tiers", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), Recurring: monthly, BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume")}
		}, "parameter_missing", "tiers", "Missing required param: tiers."},
		{"tiers without billing_scheme", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), TiersMode: stripe.String("volume"), Tiers: tiers(10, 0)}
		}, "", "tiers", ""},
		{"tiered with unit_amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: tiers(10, 0)}
		}, "", "unit_amount", ""},
		{"last tier not inf", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: tiers(10, 20)}
		}, "", "tiers[1][up_to]", ""},
		{"inf before the last tier", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: tiers(0, 0)}
		}, "", "tiers[0][up_to]", ""},
		{"tiers not increasing", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: tiers(10, 5, 0)}
		}, "", "tiers[1][up_to]", ""},
		{"tier without amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"),
				Tiers: []*stripe.PriceCreateTierParams{{UpToInf: stripe.Bool(true)}}}
		}, "", "tiers[0][unit_amount]", ""},
		{"transform with tiers", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: tiers(0),
				TransformQuantity: &stripe.PriceCreateTransformQuantityParams{DivideBy: stripe.Int64(2), Round: stripe.String("up")}}
		}, "", "transform_quantity", ""},
		{"custom amount on a recurring price", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), Recurring: monthly, CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true)}}
		}, "", "custom_unit_amount[enabled]", ""},
		{"custom amount and unit_amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1), CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true)}}
		}, "", "custom_unit_amount", ""},
		{"custom amount preset out of range", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{
				Enabled: stripe.Bool(true), Minimum: stripe.Int64(100), Maximum: stripe.Int64(500), Preset: stripe.Int64(50)}}
		}, "", "custom_unit_amount[preset]", ""},
		{"currency option in the price's currency", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
				CurrencyOptions: map[string]*stripe.PriceCreateCurrencyOptionsParams{"usd": {UnitAmount: stripe.Int64(2)}}}
		}, "", "currency_options[usd]", ""},
		{"currency option without amount", func(p string) *stripe.PriceCreateParams {
			return &stripe.PriceCreateParams{Product: &p, Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
				CurrencyOptions: map[string]*stripe.PriceCreateCurrencyOptionsParams{"eur": {TaxBehavior: stripe.String("inclusive")}}}
		}, "parameter_missing", "currency_options[eur][unit_amount]", ""},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Errors")
		before := len(f.Events())
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := sc.V1Prices.Create(ctx, tc.params(prod.ID))
				stripeErr(t, err, http.StatusBadRequest, tc.code, tc.param, tc.msg)
			})
		}
		if n := len(f.Events()); n != before {
			t.Errorf("failed creates wrote %d events", n-before)
		}
		prices, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{}).All(ctx))
		if err != nil || len(prices) != 0 {
			t.Errorf("failed creates left prices: %v %d", err, len(prices))
		}
		products, err := catalogAll(sc.V1Products.List(ctx, &stripe.ProductListParams{}).All(ctx))
		if err != nil || len(products) != 1 {
			t.Errorf("failed creates left products: %v %d", err, len(products))
		}
	})
}

func TestPriceCustomUnitAmountAndCurrencyOptions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Options")
		custom, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"),
			CustomUnitAmount: &stripe.PriceCreateCustomUnitAmountParams{Enabled: stripe.Bool(true), Minimum: stripe.Int64(100), Preset: stripe.Int64(500)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if custom.CustomUnitAmount == nil || custom.CustomUnitAmount.Minimum != 100 || custom.CustomUnitAmount.Preset != 500 || custom.UnitAmount != 0 {
			t.Errorf("custom unit amount %+v", custom.CustomUnitAmount)
		}

		params := &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1000),
			CurrencyOptions: map[string]*stripe.PriceCreateCurrencyOptionsParams{"EUR": {UnitAmount: stripe.Int64(900)}},
		}
		params.AddExpand("currency_options")
		pr, err := sc.V1Prices.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.CurrencyOptions) != 2 || pr.CurrencyOptions["eur"].UnitAmount != 900 || pr.CurrencyOptions["usd"].UnitAmount != 1000 {
			t.Fatalf("currency options %+v", pr.CurrencyOptions)
		}
		up := &stripe.PriceUpdateParams{CurrencyOptions: map[string]*stripe.PriceUpdateCurrencyOptionsParams{"gbp": {UnitAmount: stripe.Int64(800)}}}
		up.AddExpand("currency_options")
		got, err := sc.V1Prices.Update(ctx, pr.ID, up)
		if err != nil || len(got.CurrencyOptions) != 3 || got.CurrencyOptions["gbp"].UnitAmount != 800 {
			t.Fatalf("add currency option: %v %+v", err, got.CurrencyOptions)
		}
		plain, err := sc.V1Prices.Retrieve(ctx, pr.ID, nil)
		if err != nil || plain.CurrencyOptions != nil {
			t.Errorf("currency_options rendered without expand: %v %+v", err, plain.CurrencyOptions)
		}
		last := f.Events()[len(f.Events())-1]
		if last.Type != "price.updated" {
			t.Fatalf("last event %s", last.Type)
		}
		if co, _ := last.PreviousAttributes["currency_options"].(map[string]any); len(co) != 1 || co["gbp"] != nil {
			t.Errorf("previous_attributes %v", last.PreviousAttributes)
		}
	})
}

func TestPriceMeteredWithMeter(t *testing.T) {
	for _, b := range testfake.Backends {
		t.Run(string(b), func(t *testing.T) {
			// Meters come with their own resource; a stored record is all a
			// price needs.
			st := testfake.Open(t, b)
			err := st.Update(func(tx store.Tx) error {
				if err := tx.Put("billing.meter", "mtr_test_live", []byte(`{"id":"mtr_test_live","object":"billing.meter","status":"active"}`)); err != nil {
					return err
				}
				return tx.Put("billing.meter", "mtr_test_off", []byte(`{"id":"mtr_test_off","object":"billing.meter","status":"inactive"}`))
			})
			if err != nil {
				t.Fatal(err)
			}
			f := fake.New(t, fake.WithStore(st))
			t.Cleanup(func() { testfake.CheckResponses(t, f) })
			sc := testfake.Client(f)
			prod := catalogProduct(t, sc, "API calls")
			params := func(meter string) *stripe.PriceCreateParams {
				return &stripe.PriceCreateParams{
					Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmountDecimal: stripe.Float64(0.5),
					Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(meter)},
				}
			}
			pr, err := sc.V1Prices.Create(ctx, params("mtr_test_live"))
			if err != nil {
				t.Fatal(err)
			}
			if pr.Recurring.UsageType != "metered" || pr.Recurring.Meter != "mtr_test_live" {
				t.Errorf("metered price %+v", pr.Recurring)
			}
			_, err = sc.V1Prices.Create(ctx, params("mtr_test_off"))
			stripeErr(t, err, http.StatusBadRequest, "", "recurring[meter]", "")

			byMeter, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{Recurring: &stripe.PriceListRecurringParams{Meter: stripe.String("mtr_test_live")}}).All(ctx))
			if err != nil || len(byMeter) != 1 || byMeter[0].ID != pr.ID {
				t.Errorf("list by meter: %v %v", err, byMeter)
			}
			plan, err := sc.V1Plans.Retrieve(ctx, pr.ID, nil)
			if err != nil || plan.Meter != "mtr_test_live" || plan.UsageType != "metered" || plan.AmountDecimal != 0.5 {
				t.Errorf("metered plan: %v %+v", err, plan)
			}
		})
	}
}

func TestPriceUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Update")
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(100),
			Nickname: stripe.String("old"), Metadata: map[string]string{"a": "1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		up := &stripe.PriceUpdateParams{Active: stripe.Bool(false), Nickname: stripe.String("new"), TaxBehavior: stripe.String("inclusive")}
		up.AddMetadata("b", "2")
		got, err := sc.V1Prices.Update(ctx, pr.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active || got.Nickname != "new" || got.TaxBehavior != "inclusive" || got.Metadata["a"] != "1" || got.Metadata["b"] != "2" || got.UnitAmount != 100 {
			t.Errorf("updated %+v", got)
		}
		last := f.Events()[len(f.Events())-1]
		if last.Type != "price.updated" || last.ObjectID != pr.ID {
			t.Fatalf("event %s %s", last.Type, last.ObjectID)
		}
		prev := last.PreviousAttributes
		if prev["active"] != true || prev["nickname"] != "old" || prev["tax_behavior"] != "unspecified" || len(prev) != 5 {
			t.Errorf("previous_attributes %v", prev)
		}
		// Events render currency_options, whose entry for the price's own
		// currency mirrors its tax_behavior.
		if co, _ := prev["currency_options"].(map[string]any); co == nil || co["usd"].(map[string]any)["tax_behavior"] != "unspecified" {
			t.Errorf("previous_attributes.currency_options %v", prev["currency_options"])
		}
		if md, _ := prev["metadata"].(map[string]any); len(md) != 1 || md["b"] != nil {
			t.Errorf("previous_attributes.metadata %v", prev["metadata"])
		}
		events := len(f.Events())
		// tax_behavior is fixed once inclusive or exclusive.
		_, err = sc.V1Prices.Update(ctx, pr.ID, &stripe.PriceUpdateParams{TaxBehavior: stripe.String("exclusive"), Nickname: stripe.String("x")})
		stripeErr(t, err, http.StatusBadRequest, "", "tax_behavior", "")
		// Amounts cannot be updated: the spec has no such parameter.
		p := &stripe.PriceUpdateParams{}
		p.AddExtra("unit_amount", "5")
		_, err = sc.V1Prices.Update(ctx, pr.ID, p)
		stripeErr(t, err, http.StatusBadRequest, "parameter_unknown", "unit_amount", "Received unknown parameter: unit_amount")
		if after, _ := sc.V1Prices.Retrieve(ctx, pr.ID, nil); after.Nickname != "new" || after.TaxBehavior != "inclusive" {
			t.Errorf("failed update changed the price: %+v", after)
		}
		// A no-op update writes no event.
		if _, err := sc.V1Prices.Update(ctx, pr.ID, &stripe.PriceUpdateParams{Nickname: stripe.String("new")}); err != nil {
			t.Fatal(err)
		}
		if len(f.Events()) != events {
			t.Errorf("failed or no-op updates wrote events: %v", eventTypes(f)[events:])
		}
		_, err = sc.V1Prices.Update(ctx, "price_nope", &stripe.PriceUpdateParams{Nickname: stripe.String("x")})
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such price: 'price_nope'")
	})
}

func TestPriceLookupKeys(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Lookup")
		create := func(key string, transfer bool) (*stripe.Price, error) {
			return sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
				Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(100),
				Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
				LookupKey: stripe.String(key), TransferLookupKey: stripe.Bool(transfer),
			})
		}
		first, err := create("pro_monthly", false)
		if err != nil || first.LookupKey != "pro_monthly" {
			t.Fatalf("first: %v %+v", err, first)
		}
		_, err = create("pro_monthly", false)
		stripeErr(t, err, http.StatusBadRequest, "", "lookup_key", "A price (`"+first.ID+"`) already uses that lookup key.")
		// An archived price keeps its key.
		if _, err := sc.V1Prices.Update(ctx, first.ID, &stripe.PriceUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		_, err = create("pro_monthly", false)
		stripeErr(t, err, http.StatusBadRequest, "", "lookup_key", "")

		events := len(f.Events())
		second, err := create("pro_monthly", true)
		if err != nil || second.LookupKey != "pro_monthly" {
			t.Fatalf("transfer: %v %+v", err, second)
		}
		if old, _ := sc.V1Prices.Retrieve(ctx, first.ID, nil); old.LookupKey != "" {
			t.Errorf("old price kept the key: %q", old.LookupKey)
		}
		// The old price's price.updated (its plan view has no lookup key,
		// so no plan.updated), then the new price's events.
		if got := eventTypes(f)[events:]; !slices.Equal(got, []string{"price.updated", "price.created", "plan.created"}) {
			t.Errorf("transfer events %v", got)
		}
		if ev := f.Events()[events]; ev.ObjectID != first.ID || ev.PreviousAttributes["lookup_key"] != "pro_monthly" {
			t.Errorf("transfer event %s %v", ev.ObjectID, ev.PreviousAttributes)
		}
		byKey, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{LookupKeys: []*string{stripe.String("pro_monthly"), stripe.String("other")}}).All(ctx))
		if err != nil || len(byKey) != 1 || byKey[0].ID != second.ID {
			t.Errorf("list by lookup_keys: %v %v", err, byKey)
		}

		// Update moves a key the same way.
		third, err := create("team", false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Prices.Update(ctx, third.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("pro_monthly")})
		stripeErr(t, err, http.StatusBadRequest, "", "lookup_key", "")
		moved, err := sc.V1Prices.Update(ctx, third.ID, &stripe.PriceUpdateParams{LookupKey: stripe.String("pro_monthly"), TransferLookupKey: stripe.Bool(true)})
		if err != nil || moved.LookupKey != "pro_monthly" {
			t.Fatalf("update transfer: %v %+v", err, moved)
		}
		if old, _ := sc.V1Prices.Retrieve(ctx, second.ID, nil); old.LookupKey != "" {
			t.Errorf("second price kept the key: %q", old.LookupKey)
		}
		search, err := catalogAll(sc.V1Prices.Search(ctx, &stripe.PriceSearchParams{SearchParams: stripe.SearchParams{Query: `lookup_key:"pro_monthly"`}}).All(ctx))
		if err != nil || len(search) != 1 || search[0].ID != third.ID {
			t.Errorf("search by lookup_key: %v %v", err, search)
		}
		// "" removes a key.
		up := &stripe.PriceUpdateParams{}
		up.AddExtra("lookup_key", "")
		cleared, err := sc.V1Prices.Update(ctx, third.ID, up)
		if err != nil || cleared.LookupKey != "" {
			t.Fatalf("clear lookup_key: %v %+v", err, cleared)
		}
	})
}

func TestPriceList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		a := catalogProduct(t, sc, "A")
		b := catalogProduct(t, sc, "B")
		type made struct {
			id                                string
			product, currency, interval, kind string
			active                            bool
		}
		var all []made
		for i := range 24 {
			params := &stripe.PriceCreateParams{
				Product: stripe.String([]string{a.ID, b.ID}[i%2]), Currency: stripe.String([]string{"usd", "eur", "gbp"}[i%3]),
				UnitAmount: stripe.Int64(int64(100 + i)), Active: stripe.Bool(i%4 != 0),
			}
			m := made{product: *params.Product, currency: *params.Currency, active: i%4 != 0, kind: "one_time"}
			if i%3 != 2 {
				m.interval = []string{"month", "year"}[i%2]
				m.kind = "recurring"
				params.Recurring = &stripe.PriceCreateRecurringParams{Interval: stripe.String(m.interval)}
			}
			pr, err := sc.V1Prices.Create(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			m.id = pr.ID
			all = append(all, m)
			if i == 9 {
				f.Advance(time.Second)
			}
		}
		pick := func(keep func(m made) bool) []string {
			var out []string
			for i := len(all) - 1; i >= 0; i-- {
				if keep(all[i]) {
					out = append(out, all[i].id)
				}
			}
			return out
		}
		list := func(params *stripe.PriceListParams) []string {
			t.Helper()
			return ids(t, sc.V1Prices.List(ctx, params).All(ctx))
		}
		var firstTen []string
		for i := 9; i >= 0; i-- {
			firstTen = append(firstTen, all[i].id)
		}
		cases := []struct {
			name   string
			params *stripe.PriceListParams
			want   []string
		}{
			{"all, auto-paginated, ties newest first", &stripe.PriceListParams{}, pick(func(made) bool { return true })},
			{"active", &stripe.PriceListParams{Active: stripe.Bool(true)}, pick(func(m made) bool { return m.active })},
			{"currency", &stripe.PriceListParams{Currency: stripe.String("EUR")}, pick(func(m made) bool { return m.currency == "eur" })},
			{"product", &stripe.PriceListParams{Product: stripe.String(b.ID)}, pick(func(m made) bool { return m.product == b.ID })},
			{"type", &stripe.PriceListParams{Type: stripe.String("one_time")}, pick(func(m made) bool { return m.kind == "one_time" })},
			{"recurring interval", &stripe.PriceListParams{Recurring: &stripe.PriceListRecurringParams{Interval: stripe.String("year")}}, pick(func(m made) bool { return m.interval == "year" })},
			{"recurring usage_type", &stripe.PriceListParams{Recurring: &stripe.PriceListRecurringParams{UsageType: stripe.String("licensed")}}, pick(func(m made) bool { return m.kind == "recurring" })},
			{"product, type and active", &stripe.PriceListParams{Product: stripe.String(a.ID), Type: stripe.String("recurring"), Active: stripe.Bool(true)},
				pick(func(m made) bool { return m.product == a.ID && m.kind == "recurring" && m.active })},
			// The first ten were made a second before the rest.
			{"created lt", &stripe.PriceListParams{CreatedRange: &stripe.RangeQueryParams{LesserThan: f.Now().Unix()}}, firstTen},
		}
		for _, tc := range cases {
			if got := list(tc.params); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %d %v\nwant %d %v", tc.name, len(got), got, len(tc.want), tc.want)
			}
		}
		keys := make([]*string, 11)
		for i := range keys {
			keys[i] = stripe.String(fmt.Sprint(i))
		}
		_, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{LookupKeys: keys}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, "", "lookup_keys", "")
		_, err = catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{Type: stripe.String("sometimes")}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, "", "type", "")
	})
}

func TestPriceSearch(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		a := catalogProduct(t, sc, "A")
		b := catalogProduct(t, sc, "B")
		mk := func(product, currency, key string, recurring, active bool, md map[string]string) string {
			t.Helper()
			params := &stripe.PriceCreateParams{Product: stripe.String(product), Currency: stripe.String(currency), UnitAmount: stripe.Int64(1), Active: stripe.Bool(active), Metadata: md}
			if key != "" {
				params.LookupKey = stripe.String(key)
			}
			if recurring {
				params.Recurring = &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")}
			}
			pr, err := sc.V1Prices.Create(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			return pr.ID
		}
		p1 := mk(a.ID, "usd", "basic", true, true, map[string]string{"plan": "basic"})
		p2 := mk(a.ID, "eur", "", false, false, map[string]string{"plan": "pro"})
		p3 := mk(b.ID, "usd", "pro", true, true, map[string]string{"plan": "pro"})
		search := func(q string) []string {
			t.Helper()
			var ids []string
			for pr, err := range sc.V1Prices.Search(ctx, &stripe.PriceSearchParams{SearchParams: stripe.SearchParams{Query: q, Limit: stripe.Int64(1)}}).All(ctx) {
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				ids = append(ids, pr.ID)
			}
			return ids
		}
		cases := []struct {
			query string
			want  []string
		}{
			{`active:"true"`, []string{p3, p1}},
			{`currency:"usd"`, []string{p3, p1}},
			{`product:"` + a.ID + `"`, []string{p2, p1}},
			{`type:"one_time"`, []string{p2}},
			{`lookup_key:"pro"`, []string{p3}},
			{`metadata["plan"]:"pro" AND currency:"usd"`, []string{p3}},
			{`-metadata["plan"]:"pro"`, []string{p1}},
		}
		for _, tc := range cases {
			if got := search(tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
			}
		}
		_, err := catalogAll(sc.V1Prices.Search(ctx, &stripe.PriceSearchParams{SearchParams: stripe.SearchParams{Query: `nickname:"x"`}}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, "", "query", "")
	})
}

func TestPlanPriceDuality(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		// A plan made with the plans API, product as a hash.
		pl, err := sc.V1Plans.Create(ctx, &stripe.PlanCreateParams{
			ID: stripe.String("gold monthly"), Amount: stripe.Int64(999), Currency: stripe.String("usd"),
			Interval: stripe.String("month"), IntervalCount: stripe.Int64(1), Nickname: stripe.String("Gold"),
			Product:         &stripe.PlanCreateProductParams{Name: stripe.String("Gold"), ID: stripe.String("prod_gold")},
			TrialPeriodDays: stripe.Int64(14), Metadata: map[string]string{"tier": "gold"},
			TransformUsage: &stripe.PlanCreateTransformUsageParams{DivideBy: stripe.Int64(5), Round: stripe.String("down")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if pl.ID != "gold monthly" || pl.Object != "plan" || pl.Amount != 999 || pl.AmountDecimal != 999 || pl.Interval != "month" ||
			pl.IntervalCount != 1 || pl.UsageType != "licensed" || pl.TrialPeriodDays != 14 || pl.Product.ID != "prod_gold" ||
			pl.TransformUsage.DivideBy != 5 || pl.Nickname != "Gold" || pl.Metadata["tier"] != "gold" || !pl.Active {
			t.Errorf("plan %+v", pl)
		}
		if got := eventTypes(f); !slices.Equal(got, []string{"product.created", "plan.created", "price.created"}) {
			t.Errorf("events %v", got)
		}
		// The same object as a price.
		pr, err := sc.V1Prices.Retrieve(ctx, "gold monthly", nil)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Object != "price" || pr.ID != pl.ID || pr.UnitAmount != 999 || pr.Type != "recurring" || pr.Recurring.Interval != "month" ||
			pr.TransformQuantity.DivideBy != 5 || pr.Product.ID != "prod_gold" || pr.Metadata["tier"] != "gold" {
			t.Errorf("plan as price %+v", pr)
		}
		if body := lastResponse(t, f); strings.Contains(body, "trial_period_days") {
			t.Errorf("price rendering carries the plan's trial_period_days: %s", body)
		}

		// A recurring price made with the prices API is a plan.
		prod := catalogProduct(t, sc, "Silver")
		rp, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmountDecimal: stripe.Float64(12.5),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("year")},
		})
		if err != nil {
			t.Fatal(err)
		}
		gp := &stripe.PlanRetrieveParams{}
		gp.AddExpand("product")
		asPlan, err := sc.V1Plans.Retrieve(ctx, rp.ID, gp)
		if err != nil {
			t.Fatal(err)
		}
		if asPlan.Object != "plan" || asPlan.Amount != 0 || asPlan.AmountDecimal != 12.5 || asPlan.Interval != "year" || asPlan.Product.Name != "Silver" {
			t.Errorf("price as plan %+v", asPlan)
		}
		if body := lastResponse(t, f); !strings.Contains(body, `"amount":null`) || !strings.Contains(body, `"amount_decimal":"12.5"`) || !strings.Contains(body, `"trial_period_days":null`) {
			t.Errorf("plan wire %s", body)
		}
		// A one-time price is not a plan.
		one := catalogPrice(t, sc, prod.ID, 5)
		_, err = sc.V1Plans.Retrieve(ctx, one.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such plan: '"+one.ID+"'")
		_, err = sc.V1Plans.Update(ctx, one.ID, &stripe.PlanUpdateParams{Nickname: stripe.String("x")})
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")

		// Plans list only recurring prices, as plans.
		plans, err := catalogAll(sc.V1Plans.List(ctx, &stripe.PlanListParams{}).All(ctx))
		if err != nil || len(plans) != 2 || plans[0].ID != rp.ID || plans[1].ID != pl.ID || plans[0].Object != "plan" {
			t.Fatalf("plans list: %v %+v", err, plans)
		}
		byProduct, err := catalogAll(sc.V1Plans.List(ctx, &stripe.PlanListParams{Product: stripe.String("prod_gold")}).All(ctx))
		if err != nil || len(byProduct) != 1 || byProduct[0].ID != pl.ID {
			t.Errorf("plans by product: %v %+v", err, byProduct)
		}
		prices, err := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{}).All(ctx))
		if err != nil || len(prices) != 3 {
			t.Errorf("prices list: %v %d", err, len(prices))
		}
	})
}

func TestPlanUpdateAndDelete(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Plan product")
		other := catalogProduct(t, sc, "Other")
		pl, err := sc.V1Plans.Create(ctx, &stripe.PlanCreateParams{
			Amount: stripe.Int64(500), Currency: stripe.String("usd"), Interval: stripe.String("week"), ProductID: stripe.String(prod.ID),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pl.ID, "price_") {
			t.Errorf("generated plan id %q", pl.ID)
		}
		if _, err := sc.V1Products.Update(ctx, prod.ID, &stripe.ProductUpdateParams{DefaultPrice: stripe.String(pl.ID)}); err != nil {
			t.Fatal(err)
		}
		events := len(f.Events())
		up := &stripe.PlanUpdateParams{Nickname: stripe.String("weekly"), TrialPeriodDays: stripe.Int64(7)}
		up.AddMetadata("k", "v")
		got, err := sc.V1Plans.Update(ctx, pl.ID, up)
		if err != nil || got.Nickname != "weekly" || got.TrialPeriodDays != 7 || got.Metadata["k"] != "v" {
			t.Fatalf("update plan: %v %+v", err, got)
		}
		if got := eventTypes(f)[events:]; !slices.Equal(got, []string{"plan.updated", "price.updated"}) {
			t.Errorf("update events %v", got)
		}
		evs := f.Events()
		if prev := evs[events].PreviousAttributes; prev["trial_period_days"] != nil || prev["nickname"] != nil || len(prev) != 3 {
			t.Errorf("plan.updated previous_attributes %v", prev)
		}
		// trial_period_days is not part of a price: price.updated reports
		// only what the price shows.
		if prev := evs[events+1].PreviousAttributes; len(prev) != 2 {
			t.Errorf("price.updated previous_attributes %v", prev)
		}

		// Moving the plan to another product: it stops being the old
		// product's default price.
		moved, err := sc.V1Plans.Update(ctx, pl.ID, &stripe.PlanUpdateParams{Product: stripe.String(other.ID)})
		if err != nil || moved.Product.ID != other.ID {
			t.Fatalf("move plan: %v %+v", err, moved)
		}
		if p, _ := sc.V1Products.Retrieve(ctx, prod.ID, nil); p.DefaultPrice != nil {
			t.Errorf("old product kept the default price %v", p.DefaultPrice)
		}
		_, err = sc.V1Plans.Update(ctx, pl.ID, &stripe.PlanUpdateParams{Product: stripe.String("prod_nope")})
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "product", "No such product: 'prod_nope'")

		// A product with a plan cannot be deleted; deleting the plan deletes
		// its price, and then the product can go.
		_, err = sc.V1Products.Delete(ctx, other.ID, nil)
		stripeErr(t, err, http.StatusBadRequest, "", "", "")
		events = len(f.Events())
		del, err := sc.V1Plans.Delete(ctx, pl.ID, nil)
		if err != nil || !del.Deleted || del.ID != pl.ID {
			t.Fatalf("delete plan: %v %+v", err, del)
		}
		if got := eventTypes(f)[events:]; !slices.Equal(got, []string{"plan.deleted", "price.deleted"}) {
			t.Errorf("delete events %v", got)
		}
		_, err = sc.V1Plans.Retrieve(ctx, pl.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such plan: '"+pl.ID+"'")
		_, err = sc.V1Prices.Retrieve(ctx, pl.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such price: '"+pl.ID+"'")
		_, err = sc.V1Plans.Delete(ctx, pl.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")
		if prices, _ := catalogAll(sc.V1Prices.List(ctx, &stripe.PriceListParams{}).All(ctx)); len(prices) != 0 {
			t.Errorf("deleted plan still listed as a price")
		}
		if _, err := sc.V1Products.Delete(ctx, other.ID, nil); err != nil {
			t.Errorf("delete product after its plan: %v", err)
		}
	})
}

func TestPlanCreateErrors(t *testing.T) {
	cases := []struct {
		name   string
		params *stripe.PlanCreateParams
		code   stripe.ErrorCode
		param  string
		msg    string
	}{
		{"missing product", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month")}, "parameter_missing", "product", "Missing required param: product."},
		{"product hash without name", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month"),
			Product: &stripe.PlanCreateProductParams{UnitLabel: stripe.String("x")}}, "parameter_missing", "product[name]", "Missing required param: product[name]."},
		{"missing interval", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), ProductID: stripe.String("prod_plan")}, "parameter_missing", "interval", "Missing required param: interval."},
		{"missing amount", &stripe.PlanCreateParams{Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan")}, "parameter_missing", "amount", "Missing required param: amount."},
		{"both amounts", &stripe.PlanCreateParams{Amount: stripe.Int64(1), AmountDecimal: stripe.Float64(1.5), Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan")},
			"", "amount", "You may only specify one of these parameters: amount, amount_decimal."},
		{"duplicate id", &stripe.PlanCreateParams{ID: stripe.String("taken"), Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan")},
			"resource_already_exists", "id", "Plan already exists."},
		{"interval over 3 years", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("week"), IntervalCount: stripe.Int64(157), ProductID: stripe.String("prod_plan")},
			"", "interval_count", ""},
		{"metered without meter", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month"), UsageType: stripe.String("metered"), ProductID: stripe.String("prod_plan")},
			"parameter_missing", "meter", ""},
		{"transform_usage with tiers", &stripe.PlanCreateParams{Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan"),
			BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("volume"), Tiers: []*stripe.PlanCreateTierParams{{UpToInf: stripe.Bool(true), UnitAmount: stripe.Int64(1)}},
			TransformUsage: &stripe.PlanCreateTransformUsageParams{DivideBy: stripe.Int64(2), Round: stripe.String("up")}}, "", "transform_usage", ""},
		{"trial too long", &stripe.PlanCreateParams{Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan"), TrialPeriodDays: stripe.Int64(731)},
			"", "trial_period_days", ""},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		if _, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{ID: stripe.String("prod_plan"), Name: stripe.String("Plan")}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Plans.Create(ctx, &stripe.PlanCreateParams{ID: stripe.String("taken"), Amount: stripe.Int64(1), Currency: stripe.String("usd"), Interval: stripe.String("month"), ProductID: stripe.String("prod_plan")}); err != nil {
			t.Fatal(err)
		}
		events := len(f.Events())
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := sc.V1Plans.Create(ctx, tc.params)
				stripeErr(t, err, http.StatusBadRequest, tc.code, tc.param, tc.msg)
			})
		}
		if len(f.Events()) != events {
			t.Errorf("failed creates wrote events: %v", eventTypes(f)[events:])
		}
		if plans, _ := catalogAll(sc.V1Plans.List(ctx, &stripe.PlanListParams{}).All(ctx)); len(plans) != 1 {
			t.Errorf("failed creates left %d plans", len(plans))
		}
		if products, _ := catalogAll(sc.V1Products.List(ctx, &stripe.ProductListParams{}).All(ctx)); len(products) != 1 {
			t.Errorf("failed creates left %d products", len(products))
		}
	})
}
