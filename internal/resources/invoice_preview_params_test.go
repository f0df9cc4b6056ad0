package resources_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// previewParamError is one rejected preview: the form (with {cu}, {sub},
// {usd}, {usd2}, {eur}, {year} standing for the fixtures' IDs and {t±N}
// for testfake.Start moved N days) and the error's exact param and
// message.
type previewParamError struct {
	version, path string
	form          string
	param, msg    string
}

// TestPreviewParamErrors pins the param and message of errors under
// subscription_details (create_preview) and under the legacy names of
// GET /v1/invoices/upcoming and /lines, which map onto
// subscription_details: each names the parameter the caller sent.
func TestPreviewParamErrors(t *testing.T) {
	const (
		preview  = "/v1/invoices/create_preview"
		upcoming = "/v1/invoices/upcoming"
		lines    = "/v1/invoices/upcoming/lines"
		v76      = "2023-10-16"
		v79      = "2024-06-20"
	)
	cases := []previewParamError{
		// create_preview of a new subscription.
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[trial_end]={t-1}", "subscription_details[trial_end]", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[trial_end]={t+800}", "subscription_details[trial_end]", "Invalid timestamp: can be no more than two years in the future."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[billing_cycle_anchor]={t-1}", "subscription_details[billing_cycle_anchor]", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[billing_cycle_anchor]={t+90}", "subscription_details[billing_cycle_anchor]", "billing_cycle_anchor cannot be later than next natural billing date (1771156800) for plan"},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[trial_end]={t+10}&subscription_details[billing_cycle_anchor]={t+5}", "subscription_details[billing_cycle_anchor]", "When a trial is set, billing_cycle_anchor must be at or after trial_end."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[cancel_at]={t-1}", "subscription_details[cancel_at]", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[cancel_at]={t+5}&subscription_details[cancel_at_period_end]=true", "subscription_details[cancel_at]", "You may only specify one of these parameters: cancel_at, cancel_at_period_end."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[metadata][" + strings.Repeat("k", 41) + "]=v", "subscription_details[metadata]", "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: " + strings.Repeat("k", 41)},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[metadata][k]=" + strings.Repeat("v", 501), "subscription_details[metadata][k]", "Metadata values can have up to 500 characters, but you passed in a value that is 501 characters. Invalid value: " + strings.Repeat("v", 501)},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[items][0][metadata][" + strings.Repeat("k", 41) + "]=v", "subscription_details[items][0][metadata]", "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: " + strings.Repeat("k", 41)},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[items][1][price]={usd}", "subscription_details[items][1][price]", "Cannot add multiple subscription items with the same price: {usd}"},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[items][1][price]={eur}", "subscription_details[items][1][price]", "Currency and interval fields must match across all prices on this subscription. Found mismatch in currency field."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[items][1][price]={year}", "subscription_details[items][1][price]", "Currency and interval fields must match across all prices on this subscription. Found mismatch in interval field."},
		{"", preview, "subscription_details[items][0][price]=price_missing", "subscription_details[items][0][price]", "No such price: 'price_missing'"},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[default_tax_rates][0]=txr_missing", "subscription_details[default_tax_rates][0]", "No such tax_rate: 'txr_missing'"},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[items][0][discounts][0][coupon]=co_missing", "subscription_details[items][0][discounts][0][coupon]", "No such coupon: 'co_missing'"},
		{"", preview, "subscription_details[items][0][price]={usd}&discounts[0][coupon]=co_missing", "discounts[0][coupon]", "No such coupon: 'co_missing'"},
		{"", preview, "subscription_details[items][0][price]={usd}&currency=eur", "currency", "stripefake does not support billing a subscription in eur when its prices are in usd yet."},
		{"", preview, "subscription_details[items][0][price]={usd}&subscription_details[start_date]={t+1}", "subscription_details[start_date]", "stripefake does not support the parameter 'subscription_details[start_date]' yet."},
		{"", preview, many("subscription_details[items]", 21), "subscription_details[items]", "You can only have up to 20 items on a subscription."},
		// create_preview of a change to an existing subscription.
		{"", preview, "subscription={sub}&subscription_details[proration_date]={t+90}&subscription_details[cancel_now]=true", "subscription_details[proration_date]", "The proration_date must be within the current billing period."},
		{"", preview, "subscription={sub}&subscription_details[cancel_now]=true&subscription_details[items][0][price]={usd2}", "subscription_details[items]", "You may only specify one of these parameters: cancel_now, items."},
		{"", preview, "subscription={sub}&subscription_details[items][0][price]={usd}", "subscription_details[items]", "Cannot add multiple subscription items with the same price: {usd}"},
		{"", preview, "subscription={sub}&subscription_details[trial_end]={t-1}", "subscription_details[trial_end]", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		// The legacy upcoming invoice at 2023-10-16: the flat names.
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_trial_end={t-1}", "subscription_trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v76, lines, "subscription_items[0][price]={usd}&subscription_trial_end={t-1}", "subscription_trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_billing_cycle_anchor={t-1}", "subscription_billing_cycle_anchor", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v76, lines, "subscription_items[0][price]={usd}&subscription_billing_cycle_anchor={t+90}", "subscription_billing_cycle_anchor", "billing_cycle_anchor cannot be later than next natural billing date (1771156800) for plan"},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_trial_end={t+10}&subscription_billing_cycle_anchor={t+5}", "subscription_billing_cycle_anchor", "When a trial is set, billing_cycle_anchor must be at or after trial_end."},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_cancel_at={t-1}", "subscription_cancel_at", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_cancel_at={t+5}&subscription_cancel_at_period_end=true", "subscription_cancel_at", "You may only specify one of these parameters: cancel_at, cancel_at_period_end."},
		{v76, lines, "subscription_items[0][price]={usd}&subscription_items[1][price]={usd}", "subscription_items[1][price]", "Cannot add multiple subscription items with the same price: {usd}"},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_items[0][metadata][" + strings.Repeat("k", 41) + "]=v", "subscription_items[0][metadata]", "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: " + strings.Repeat("k", 41)},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_items[1][price]={eur}", "subscription_items[1][price]", "Currency and interval fields must match across all prices on this subscription. Found mismatch in currency field."},
		{v76, upcoming, "subscription_items[0][price]=price_missing", "subscription_items[0][price]", "No such price: 'price_missing'"},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_default_tax_rates[0]=txr_missing", "subscription_default_tax_rates[0]", "No such tax_rate: 'txr_missing'"},
		{v76, upcoming, "subscription_items[0][price]={usd}&coupon=co_missing", "coupon", "No such coupon: 'co_missing'"},
		{v76, lines, "subscription_items[0][price]={usd}&coupon=co_missing", "coupon", "No such coupon: 'co_missing'"},
		{v76, upcoming, "subscription_items[0][price]={usd}&currency=eur", "currency", "stripefake does not support billing a subscription in eur when its prices are in usd yet."},
		{v76, upcoming, "subscription_items[0][price]={usd}&subscription_start_date={t+1}", "subscription_start_date", "stripefake does not support the parameter 'subscription_start_date' yet."},
		{v76, upcoming, many("subscription_items", 21), "subscription_items", "You can only have up to 20 items on a subscription."},
		{v76, upcoming, "subscription={sub}&subscription_trial_from_plan=true", "subscription_trial_from_plan", "stripefake does not support the parameter 'subscription_trial_from_plan' yet."},
		{v76, upcoming, "subscription={sub}&subscription_proration_date={t+90}&subscription_cancel_now=true", "subscription_proration_date", "The proration_date must be within the current billing period."},
		{v76, lines, "subscription={sub}&subscription_cancel_now=true&subscription_items[0][price]={usd2}", "subscription_items", "You may only specify one of these parameters: cancel_now, items."},
		{v76, upcoming, "subscription={sub}&subscription_trial_end={t-1}", "subscription_trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v76, upcoming, "subscription={sub}&subscription_items[0][price]={usd}", "subscription_items", "Cannot add multiple subscription items with the same price: {usd}"},
		// 2024-06-20 has subscription_details beside the flat names.
		{v79, upcoming, "subscription_details[items][0][price]={usd}&subscription_details[trial_end]={t-1}", "subscription_details[trial_end]", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v79, lines, "subscription_details[items][0][price]={usd}&subscription_trial_end={t-1}", "subscription_trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future."},
		{v79, upcoming, "subscription_details[items][0][price]={usd}&subscription_details[trial_end]={t+5}&subscription_trial_end={t+5}", "subscription_trial_end", "You may only specify one of these parameters: subscription_trial_end, subscription_details[trial_end]."},
		{v79, upcoming, "subscription_items[0][price]={usd}&subscription_details[items][0][price]={usd}", "subscription_items", "You may only specify one of these parameters: subscription_items, subscription_details[items]."},
		{v79, upcoming, "subscription_details[items][0][price]={usd}&subscription_details[items][1][price]={usd}", "subscription_details[items][1][price]", "Cannot add multiple subscription items with the same price: {usd}"},
	}
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		usd, usd2, year := monthlyPrice(t, sc, 1000, "month"), monthlyPrice(t, sc, 3000, "month"), monthlyPrice(t, sc, 1000, "year")
		eur, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Currency: stripe.String("eur"), UnitAmount: stripe.Int64(900),
			Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Euro")},
		})
		if err != nil {
			t.Fatal(err)
		}
		sub := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(usd.ID, 1)})
		r := strings.NewReplacer("{cu}", cu.ID, "{sub}", sub.ID, "{usd}", usd.ID, "{usd2}", usd2.ID, "{eur}", eur.ID, "{year}", year.ID)
		for _, tc := range cases {
			form, err := url.ParseQuery(r.Replace(tc.form))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range form {
				if len(v) == 1 && strings.HasPrefix(v[0], "{t") {
					var days int
					fmt.Sscanf(strings.Trim(v[0], "{}"), "t%d", &days)
					form[k] = []string{fmt.Sprint(testfake.Start.Add(time.Duration(days) * 24 * time.Hour).Unix())}
				}
			}
			form.Set("customer", cu.ID)
			method := "GET"
			if tc.path == preview {
				method = "POST"
			}
			status, m := statusAt(t, f, tc.version, method, tc.path, form)
			e, _ := m["error"].(map[string]any)
			param, _ := e["param"].(string)
			msg, _ := e["message"].(string)
			if want := r.Replace(tc.msg); status != 400 || param != tc.param || msg != want {
				t.Errorf("%s %s %s: %d\n got  %q, %q\n want %q, %q", tc.version, tc.path, tc.form, status, param, msg, tc.param, want)
			}
		}
	})
}

// many is key[i][price]={usd} for i < n.
func many(key string, n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf("%s[%d][price]={usd}", key, i))
	}
	return strings.Join(parts, "&")
}
