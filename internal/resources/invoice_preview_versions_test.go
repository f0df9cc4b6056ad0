package resources_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripefake/stripefake/fake"
)

// Invoice previews at versions before basil and clover: what Stripe's
// older previews accepted and showed.

const acacia = "2024-09-30.acacia"

// previewLine0 is the first line of a preview answered by statusAt.
func previewLine0(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	lines, _ := m["lines"].(map[string]any)
	data, _ := lines["data"].([]any)
	if len(data) == 0 {
		t.Fatalf("no lines: %v", m)
	}
	return data[0].(map[string]any)
}

func rateIDs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m["id"].(string))
		}
	}
	return out
}

// TestV76PreviewLineTaxRates: before basil a preview's line shows its own
// tax rates (tax_rates), as the invoice it foretells does, on the upcoming
// invoice and on create_preview; the subscription's default rates show on
// the invoice, not the line (which they do not tax: the item's own win).
func TestV76PreviewLineTaxRates(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		plan := monthlyPlan76(t, sc, 1000)
		tr := must76(sc.TaxRates.New(&stripe76.TaxRateParams{DisplayName: stripe76.String("VAT"), Percentage: stripe76.Float64(10), Inclusive: stripe76.Bool(false)}))(t)
		def := must76(sc.TaxRates.New(&stripe76.TaxRateParams{DisplayName: stripe76.String("GST"), Percentage: stripe76.Float64(5), Inclusive: stripe76.Bool(false)}))(t)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), DefaultTaxRates: []*string{stripe76.String(def.ID)},
			Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan.ID), TaxRates: []*string{stripe76.String(tr.ID)}}},
		}))(t)
		up := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID)}))(t)
		if l := up.Lines.Data[0]; len(l.TaxRates) != 1 || l.TaxRates[0].ID != tr.ID || len(l.TaxAmounts) != 1 {
			t.Errorf("upcoming line: tax_rates=%+v tax_amounts=%d", l.TaxRates, len(l.TaxAmounts))
		}
		if len(up.DefaultTaxRates) != 1 || up.DefaultTaxRates[0].ID != def.ID {
			t.Errorf("upcoming default_tax_rates: %+v", up.DefaultTaxRates)
		}
		it := sc.Invoices.UpcomingLines(&stripe76.InvoiceUpcomingLinesParams{Customer: stripe76.String(cu.ID)})
		if !it.Next() || len(it.InvoiceLineItem().TaxRates) != 1 || it.InvoiceLineItem().TaxRates[0].ID != tr.ID {
			t.Errorf("upcoming/lines: %v", it.Err())
		}
		status, pv := statusAt(t, f, "2023-10-16", "POST", "/v1/invoices/create_preview", url.Values{"customer": {cu.ID}, "subscription": {sub.ID}})
		if got := rateIDs(previewLine0(t, pv)["tax_rates"]); status != 200 || len(got) != 1 || got[0] != tr.ID {
			t.Errorf("create_preview line tax_rates: %d %v", status, got)
		}
		// The invoice it foretells.
		f.Advance(32 * 24 * time.Hour)
		sub = must76(sc.Subscriptions.Get(sub.ID, &stripe76.SubscriptionParams{Params: stripe76.Params{Expand: []*string{stripe76.String("latest_invoice")}}}))(t)
		real := sub.LatestInvoice.Lines.Data[0]
		if len(real.TaxRates) != 1 || real.TaxRates[0].ID != tr.ID {
			t.Errorf("real line tax_rates: %+v", real.TaxRates)
		}
	})
}

// TestPreviewCustomerOnlyBeforeBasil: before basil, create_preview with
// only customer previews the customer's next invoice, as the upcoming
// invoice does (the next renewal among their subscriptions, else their
// pending items); from basil on it is a 400.
func TestPreviewCustomerOnlyBeforeBasil(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		plan := monthlyPlan76(t, sc, 1000)
		sub := subscribeToPlan76(t, sc, cu.ID, plan.ID)
		status, pv := statusAt(t, f, acacia, "POST", "/v1/invoices/create_preview", url.Values{"customer": {cu.ID}})
		if status != 200 || pv["subscription"] != sub.ID || pv["total"] != float64(1000) || !strings.HasPrefix(pv["id"].(string), "upcoming_in_") {
			t.Errorf("customer only at acacia: %d %v", status, pv)
		}
		status, up := statusAt(t, f, acacia, "GET", "/v1/invoices/upcoming?customer="+cu.ID, nil)
		if _, hasID := up["id"]; status != 200 || up["subscription"] != sub.ID || up["total"] != pv["total"] || hasID {
			t.Errorf("upcoming at acacia (no id member): %d %v", status, up)
		}
		status, m := statusAt(t, f, "2025-03-31.basil", "POST", "/v1/invoices/create_preview", url.Values{"customer": {cu.ID}})
		if status != 400 {
			t.Errorf("customer only at basil: %d %v", status, m)
		}

		// A customer with pending items only: both routes preview them,
		// their lines naming the preview (upcoming_in_…).
		other := payingCustomer76(t, sc, "")
		must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{Customer: stripe76.String(other.ID), Amount: stripe76.Int64(700), Currency: stripe76.String("usd")}))(t)
		status, pv = statusAt(t, f, acacia, "POST", "/v1/invoices/create_preview", url.Values{"customer": {other.ID}})
		if status != 200 || pv["total"] != float64(700) || !strings.HasPrefix(previewLine0(t, pv)["invoice"].(string), "upcoming_in_") {
			t.Errorf("pending items, create_preview: %d %v", status, pv)
		}
		status, m = statusAt(t, f, acacia, "POST", "/v1/invoices/create_preview", url.Values{"customer": {other.ID}, "automatic_tax[enabled]": {"true"}})
		if e, _ := m["error"].(map[string]any); status != 400 || e["param"] != "automatic_tax[enabled]" {
			t.Errorf("pending items with automatic tax: %d %v", status, m)
		}
		status, up = statusAt(t, f, acacia, "GET", "/v1/invoices/upcoming?customer="+other.ID, nil)
		if status != 200 || up["total"] != float64(700) || !strings.HasPrefix(previewLine0(t, up)["invoice"].(string), "upcoming_in_") {
			t.Errorf("pending items, upcoming: %d %v", status, up)
		}
		up76 := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(other.ID)}))(t)
		if up76.Total != 700 || up76.Lines.Data[0].Invoice == "" || !strings.HasPrefix(up76.Lines.Data[0].Invoice, "upcoming_in_") {
			t.Errorf("pending items, v76: total=%d line invoice=%q", up76.Total, up76.Lines.Data[0].Invoice)
		}
	})
}

// TestPreviewCouponBeforeBasil: before basil the previews take coupon (one
// coupon; "" for no discount at all) and schedule_details[phases][][coupon],
// which basil turned into discounts.
func TestPreviewCouponBeforeBasil(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		plan := monthlyPlan76(t, sc, 1000)
		tenth := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(10), Duration: stripe76.String("forever")}))(t)
		fifth := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(20), Duration: stripe76.String("forever")}))(t)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Coupon: stripe76.String(tenth.ID),
			Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan.ID)}},
		}))(t)
		for _, tc := range []struct {
			coupon string
			total  float64
		}{{fifth.ID, 800}, {"", 1000}} {
			form := url.Values{"customer": {cu.ID}, "subscription": {sub.ID}, "coupon": {tc.coupon}}
			wantPreviewTotal(t, f, acacia, form, tc.total, "coupon="+tc.coupon)
		}
		up := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(sub.ID), Coupon: stripe76.String("")}))(t)
		if up.Total != 1000 || len(up.Discounts) != 0 {
			t.Errorf("v76 coupon=\"\": total=%d discounts=%v", up.Total, up.Discounts)
		}
		status, m := statusAt(t, f, "2025-03-31.basil", "POST", "/v1/invoices/create_preview", url.Values{"customer": {cu.ID}, "subscription": {sub.ID}, "coupon": {fifth.ID}})
		if status != 400 || m["error"].(map[string]any)["param"] != "coupon" {
			t.Errorf("coupon at basil: %d %v", status, m)
		}

		// A new schedule's first phase with a coupon.
		other := payingCustomer76(t, sc, "")
		form := url.Values{"customer": {other.ID}, "schedule_details[phases][0][items][0][price]": {plan.ID},
			"schedule_details[phases][0][coupon]": {fifth.ID}}
		wantPreviewTotal(t, f, acacia, form, 800, "phase coupon")
	})
}

// TestPreviewPhaseIterationsBeforeClover: before clover a preview's
// schedule phases take iterations, as schedules do.
func TestPreviewPhaseIterationsBeforeClover(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		plan := monthlyPlan76(t, sc, 1000)
		form := url.Values{"customer": {cu.ID}, "schedule_details[phases][0][items][0][price]": {plan.ID},
			"schedule_details[phases][0][iterations]": {"2"}}
		wantPreviewTotal(t, f, acacia, form, 1000, "iterations")
		form.Set("schedule_details[phases][0][iterations]", "0")
		status, m := statusAt(t, f, acacia, "POST", "/v1/invoices/create_preview", form)
		if e, _ := m["error"].(map[string]any); status != 400 || e["param"] != "schedule_details[phases][0][iterations]" {
			t.Errorf("iterations=0 at acacia: %d %v", status, m)
		}
		form.Set("schedule_details[phases][0][iterations]", "2")
		status, m = statusAt(t, f, "2025-09-30.clover", "POST", "/v1/invoices/create_preview", form)
		if e, _ := m["error"].(map[string]any); status != 400 || e["param"] != "schedule_details[phases][0][iterations]" {
			t.Errorf("iterations at clover: %d %v", status, m)
		}
	})
}

// TestUpcomingConflictErrorIsStable: of two conflicting parameter pairs,
// the upcoming invoice names the same one every time.
func TestUpcomingConflictErrorIsStable(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		form := url.Values{"customer": {cu.ID},
			"subscription_trial_end": {"now"}, "subscription_details[trial_end]": {"now"},
			"subscription_cancel_at_period_end": {"true"}, "subscription_details[cancel_at_period_end]": {"true"}}
		for range 20 {
			status, m := statusAt(t, f, acacia, "GET", "/v1/invoices/upcoming?"+form.Encode(), nil)
			if e, _ := m["error"].(map[string]any); status != 400 || e["param"] != "subscription_cancel_at_period_end" {
				t.Fatalf("%d %v", status, m)
			}
		}
	})
}

// wantPreviewTotal checks that create_preview and the upcoming invoice
// both preview form at version with total.
func wantPreviewTotal(t *testing.T, f *fake.Fake, version string, form url.Values, total float64, what string) {
	t.Helper()
	status, pv := statusAt(t, f, version, "POST", "/v1/invoices/create_preview", form)
	if status != 200 || pv["total"] != total {
		t.Errorf("create_preview %s at %s: %d %v", what, version, status, pv)
	}
	status, up := statusAt(t, f, version, "GET", "/v1/invoices/upcoming?"+form.Encode(), nil)
	if status != 200 || up["total"] != total {
		t.Errorf("upcoming %s at %s: %d %v", what, version, status, up)
	}
}
