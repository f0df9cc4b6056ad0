package resources_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestCouponCreateRetrieveUpdateDelete(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{
			PercentOff: stripe.Float64(25.5), Duration: stripe.String("repeating"), DurationInMonths: stripe.Int64(3),
			MaxRedemptions: stripe.Int64(10), Name: stripe.String("Quarter off"), Metadata: map[string]string{"campaign": "spring"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9A-Z]{8}$`).MatchString(co.ID) {
			t.Errorf("generated id %q", co.ID)
		}
		if co.Object != "coupon" || co.PercentOff != 25.5 || co.AmountOff != 0 || co.Duration != "repeating" || co.DurationInMonths != 3 ||
			co.MaxRedemptions != 10 || co.Name != "Quarter off" || !co.Valid || co.TimesRedeemed != 0 || co.Created != f.Now().Unix() ||
			co.Metadata["campaign"] != "spring" || co.RedeemBy != 0 {
			t.Errorf("created %+v", co)
		}
		if body := lastResponse(t, f); !strings.Contains(body, `"amount_off":null`) || !strings.Contains(body, `"currency":null`) || strings.Contains(body, "applies_to") {
			t.Errorf("wire %s", body)
		}
		got, err := sc.V1Coupons.Retrieve(ctx, co.ID, nil)
		if err != nil || got.PercentOff != 25.5 || !got.Valid {
			t.Fatalf("retrieve: %v %+v", err, got)
		}

		up := &stripe.CouponUpdateParams{Name: stripe.String("25% off")}
		up.AddMetadata("campaign", "")
		up.AddMetadata("channel", "email")
		updated, err := sc.V1Coupons.Update(ctx, co.ID, up)
		if err != nil || updated.Name != "25% off" || updated.Metadata["channel"] != "email" || updated.Metadata["campaign"] != "" {
			t.Fatalf("update: %v %+v", err, updated)
		}
		p := &stripe.CouponUpdateParams{}
		p.AddExtra("percent_off", "50")
		_, err = sc.V1Coupons.Update(ctx, co.ID, p)
		stripeErr(t, err, http.StatusBadRequest, "parameter_unknown", "percent_off", "Received unknown parameter: percent_off")

		del, err := sc.V1Coupons.Delete(ctx, co.ID, nil)
		if err != nil || !del.Deleted || del.ID != co.ID {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = sc.V1Coupons.Retrieve(ctx, co.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such coupon: '"+co.ID+"'")

		if got := eventTypes(f); !slices.Equal(got, []string{"coupon.created", "coupon.updated", "coupon.deleted"}) {
			t.Fatalf("events %v", got)
		}
		prev := f.Events()[1].PreviousAttributes
		if prev["name"] != "Quarter off" || len(prev) != 2 {
			t.Errorf("previous_attributes %v", prev)
		}
		if md, _ := prev["metadata"].(map[string]any); md["campaign"] != "spring" || md["channel"] != nil || len(md) != 2 {
			t.Errorf("previous_attributes.metadata %v", prev["metadata"])
		}
	})
}

func TestCouponIDsRoundTrip(t *testing.T) {
	ids := []string{"50% off", "SPRING+SUMMER", "a/b?c=d&e", "100%", "spaced  out"}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for _, id := range ids {
			t.Run(id, func(t *testing.T) {
				co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{ID: stripe.String(id), PercentOff: stripe.Float64(50)})
				if err != nil || co.ID != id {
					t.Fatalf("create: %v %+v", err, co)
				}
				got, err := sc.V1Coupons.Retrieve(ctx, id, nil)
				if err != nil || got.ID != id {
					t.Fatalf("retrieve: %v %+v", err, got)
				}
				up, err := sc.V1Coupons.Update(ctx, id, &stripe.CouponUpdateParams{Name: stripe.String("renamed")})
				if err != nil || up.ID != id || up.Name != "renamed" {
					t.Fatalf("update: %v %+v", err, up)
				}
				del, err := sc.V1Coupons.Delete(ctx, id, nil)
				if err != nil || del.ID != id || !del.Deleted {
					t.Fatalf("delete: %v %+v", err, del)
				}
			})
		}
		_, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{ID: stripe.String("dup"), PercentOff: stripe.Float64(5)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{ID: stripe.String("dup"), PercentOff: stripe.Float64(6)})
		stripeErr(t, err, http.StatusBadRequest, "resource_already_exists", "id", "Coupon already exists.")
	})
}

func TestCouponAmountOffAndIncludables(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod := catalogProduct(t, sc, "Eligible")
		params := &stripe.CouponCreateParams{
			AmountOff: stripe.Int64(500), Currency: stripe.String("USD"), Duration: stripe.String("forever"),
			CurrencyOptions: map[string]*stripe.CouponCreateCurrencyOptionsParams{"eur": {AmountOff: stripe.Int64(450)}},
			AppliesTo:       &stripe.CouponCreateAppliesToParams{Products: []*string{stripe.String(prod.ID)}},
		}
		co, err := sc.V1Coupons.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if co.AmountOff != 500 || co.Currency != "usd" || co.PercentOff != 0 || co.Duration != "forever" || co.AppliesTo != nil || co.CurrencyOptions != nil {
			t.Errorf("created (not expanded) %+v", co)
		}
		rp := &stripe.CouponRetrieveParams{}
		rp.AddExpand("applies_to")
		rp.AddExpand("currency_options")
		got, err := sc.V1Coupons.Retrieve(ctx, co.ID, rp)
		if err != nil {
			t.Fatal(err)
		}
		if got.AppliesTo == nil || !slices.Equal(got.AppliesTo.Products, []string{prod.ID}) || got.CurrencyOptions["eur"].AmountOff != 450 {
			t.Errorf("expanded %+v %+v", got.AppliesTo, got.CurrencyOptions)
		}
		up := &stripe.CouponUpdateParams{CurrencyOptions: map[string]*stripe.CouponUpdateCurrencyOptionsParams{"gbp": {AmountOff: stripe.Int64(400)}}}
		up.AddExpand("currency_options")
		updated, err := sc.V1Coupons.Update(ctx, co.ID, up)
		if err != nil || len(updated.CurrencyOptions) != 2 || updated.CurrencyOptions["gbp"].AmountOff != 400 {
			t.Fatalf("update currency options: %v %+v", err, updated.CurrencyOptions)
		}
		lp := &stripe.CouponListParams{}
		lp.AddExpand("data.applies_to")
		all, err := catalogAll(sc.V1Coupons.List(ctx, lp).All(ctx))
		if err != nil || len(all) != 1 || all[0].AppliesTo == nil {
			t.Fatalf("list with data.applies_to: %v %+v", err, all)
		}
		// Events carry the includable fields.
		if ev := f.Events()[1]; ev.Type != "coupon.created" || !strings.Contains(string(ev.Object), `"applies_to":{"products":["`+prod.ID+`"]}`) {
			t.Errorf("coupon.created %s", ev.Object)
		}
	})
}

func TestCouponValidity(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		redeemBy := f.Now().Add(time.Hour).Unix()
		co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{PercentOff: stripe.Float64(10), RedeemBy: stripe.Int64(redeemBy)})
		if err != nil || !co.Valid || co.RedeemBy != redeemBy {
			t.Fatalf("create: %v %+v", err, co)
		}
		f.Advance(time.Hour)
		got, err := sc.V1Coupons.Retrieve(ctx, co.ID, nil)
		if err != nil || got.Valid {
			t.Errorf("after redeem_by: %v valid=%v", err, got.Valid)
		}
		listed, err := catalogAll(sc.V1Coupons.List(ctx, &stripe.CouponListParams{}).All(ctx))
		if err != nil || len(listed) != 1 || listed[0].Valid {
			t.Errorf("listed after redeem_by: %v %+v", err, listed)
		}
	})
}

func TestCouponCreateErrors(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		past := f.Now().Add(-time.Second).Unix()
		cases := []struct {
			name   string
			params *stripe.CouponCreateParams
			code   stripe.ErrorCode
			param  string
			msg    string
		}{
			{"neither discount", &stripe.CouponCreateParams{Duration: stripe.String("once")}, "", "percent_off", "You must specify either percent_off or amount_off."},
			{"both discounts", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), AmountOff: stripe.Int64(5), Currency: stripe.String("usd")}, "", "amount_off", "You may only specify one of these parameters: amount_off, percent_off."},
			{"amount without currency", &stripe.CouponCreateParams{AmountOff: stripe.Int64(5)}, "", "currency", "You must pass currency when passing amount_off."},
			{"percent over 100", &stripe.CouponCreateParams{PercentOff: stripe.Float64(100.5)}, "", "percent_off", ""},
			{"percent zero", &stripe.CouponCreateParams{PercentOff: stripe.Float64(0)}, "", "percent_off", ""},
			{"repeating without months", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), Duration: stripe.String("repeating")}, "parameter_missing", "duration_in_months", "Missing required param: duration_in_months."},
			{"months with once", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), DurationInMonths: stripe.Int64(2)}, "", "duration_in_months", ""},
			{"bad duration", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), Duration: stripe.String("weekly")}, "", "duration", ""},
			{"redeem_by in the past", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), RedeemBy: stripe.Int64(past)}, "", "redeem_by", ""},
			{"zero max_redemptions", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), MaxRedemptions: stripe.Int64(0)}, "parameter_invalid_integer", "max_redemptions", "Invalid positive integer"},
			{"unknown product", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), AppliesTo: &stripe.CouponCreateAppliesToParams{Products: []*string{stripe.String("prod_nope")}}},
				stripe.ErrorCodeResourceMissing, "applies_to[products][0]", "No such product: 'prod_nope'"},
			{"currency options on a percent coupon", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5),
				CurrencyOptions: map[string]*stripe.CouponCreateCurrencyOptionsParams{"eur": {AmountOff: stripe.Int64(1)}}}, "", "currency_options", ""},
			{"currency option in the coupon's currency", &stripe.CouponCreateParams{AmountOff: stripe.Int64(5), Currency: stripe.String("usd"),
				CurrencyOptions: map[string]*stripe.CouponCreateCurrencyOptionsParams{"usd": {AmountOff: stripe.Int64(1)}}}, "", "currency_options[usd]", ""},
			{"metadata key too long", &stripe.CouponCreateParams{PercentOff: stripe.Float64(5), Metadata: map[string]string{strings.Repeat("k", 41): "v"}}, "", "metadata", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := sc.V1Coupons.Create(ctx, tc.params)
				stripeErr(t, err, http.StatusBadRequest, tc.code, tc.param, tc.msg)
			})
		}
		if n := len(f.Events()); n != 0 {
			t.Errorf("failed creates wrote %d events", n)
		}
		if all, err := catalogAll(sc.V1Coupons.List(ctx, &stripe.CouponListParams{}).All(ctx)); err != nil || len(all) != 0 {
			t.Errorf("failed creates left coupons: %v %d", err, len(all))
		}
		_, err := sc.V1Coupons.Update(ctx, "nope", &stripe.CouponUpdateParams{Name: stripe.String("x")})
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such coupon: 'nope'")
	})
}

func TestCouponList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var made []string
		for i := range 13 {
			co, err := sc.V1Coupons.Create(ctx, &stripe.CouponCreateParams{PercentOff: stripe.Float64(float64(i + 1))})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, co.ID)
			if i == 6 {
				f.Advance(time.Second)
			}
		}
		if _, err := sc.V1Coupons.Delete(ctx, made[4], nil); err != nil {
			t.Fatal(err)
		}
		got := ids(t, sc.V1Coupons.List(ctx, &stripe.CouponListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(4)}}).All(ctx))
		var want []string
		for i := 12; i >= 0; i-- {
			if i != 4 {
				want = append(want, made[i])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("list\n got %v\nwant %v", got, want)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(made)))) != 13 {
			t.Errorf("generated coupon ids repeat: %v", made)
		}
		since := f.Now().Unix()
		recent, err := catalogAll(sc.V1Coupons.List(ctx, &stripe.CouponListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since}}).All(ctx))
		if err != nil || len(recent) != 6 {
			t.Errorf("created filter: %v %d", err, len(recent))
		}
	})
}
