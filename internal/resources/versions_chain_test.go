package resources_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// taxRates76 makes an exclusive 10% and an inclusive 20% tax rate.
func taxRates76(t *testing.T, sc *client76.API) (excl, incl *stripe76.TaxRate) {
	t.Helper()
	excl = must76(sc.TaxRates.New(&stripe76.TaxRateParams{
		DisplayName: stripe76.String("VAT"), Percentage: stripe76.Float64(10), Inclusive: stripe76.Bool(false),
	}))(t)
	incl = must76(sc.TaxRates.New(&stripe76.TaxRateParams{
		DisplayName: stripe76.String("GST"), Percentage: stripe76.Float64(20), Inclusive: stripe76.Bool(true),
	}))(t)
	return excl, incl
}

// Before basil an invoice shows tax, total_tax_amounts and each line's
// tax_amounts and tax_rates, derived from dahlia's total_taxes and taxes.
func TestV76InvoiceTaxAmounts(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		excl, incl := taxRates76(t, sc)
		// 1000 + 10% exclusive = 100 tax; 1200 with 20% inclusive = 1000 net + 200 tax.
		must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{
			Customer: stripe76.String(cu.ID), Currency: stripe76.String("usd"), Amount: stripe76.Int64(1000),
			TaxRates: []*string{stripe76.String(excl.ID)},
		}))(t)
		must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{
			Customer: stripe76.String(cu.ID), Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(600),
			Quantity: stripe76.Int64(2), TaxRates: []*string{stripe76.String(incl.ID)},
		}))(t)
		inv := pendingInvoice76(t, sc, cu.ID)
		inv = must76(sc.Invoices.FinalizeInvoice(inv.ID, nil))(t)
		if inv.Tax != 300 || inv.Total != 2300 || inv.Subtotal != 2200 || inv.TotalExcludingTax != 2000 {
			t.Errorf("invoice: tax=%d total=%d subtotal=%d total_excluding_tax=%d", inv.Tax, inv.Total, inv.Subtotal, inv.TotalExcludingTax)
		}
		want := map[string]struct {
			amount, taxable int64
			inclusive       bool
		}{excl.ID: {100, 1000, false}, incl.ID: {200, 1000, true}}
		if len(inv.TotalTaxAmounts) != 2 {
			t.Fatalf("total_tax_amounts: %+v", inv.TotalTaxAmounts)
		}
		for _, ta := range inv.TotalTaxAmounts {
			w, ok := want[ta.TaxRate.ID]
			if !ok || ta.Amount != w.amount || ta.TaxableAmount != w.taxable || ta.Inclusive != w.inclusive {
				t.Errorf("total tax amount %+v, want %+v", ta, w)
			}
		}
		lines := sc.Invoices.ListLines(&stripe76.InvoiceListLinesParams{Invoice: stripe76.String(inv.ID)})
		n := 0
		for lines.Next() {
			l := lines.InvoiceLineItem()
			n++
			if len(l.TaxAmounts) != 1 || len(l.TaxRates) != 1 || l.TaxRates[0].ID != l.TaxAmounts[0].TaxRate.ID {
				t.Fatalf("line %s: tax_amounts=%+v tax_rates=%+v", l.ID, l.TaxAmounts, l.TaxRates)
			}
			w := want[l.TaxRates[0].ID]
			if ta := l.TaxAmounts[0]; ta.Amount != w.amount || ta.TaxableAmount != w.taxable || ta.Inclusive != w.inclusive {
				t.Errorf("line tax amount %+v, want %+v", ta, w)
			}
			if l.AmountExcludingTax != 1000 {
				t.Errorf("line %s amount_excluding_tax %d, want 1000", l.ID, l.AmountExcludingTax)
			}
			if w.inclusive && l.UnitAmountExcludingTax != 500 {
				t.Errorf("inclusive line unit_amount_excluding_tax %v, want 500", l.UnitAmountExcludingTax)
			}
		}
		if err := lines.Err(); err != nil || n != 2 {
			t.Fatalf("lines: %d, %v", n, err)
		}

		// A credit note for the exclusive line names its one refund and
		// shows its share of the tax as tax_amounts pre-basil.
		inv = must76(sc.Invoices.Pay(inv.ID, nil))(t)
		var exclLine string
		for _, l := range inv.Lines.Data {
			if len(l.TaxAmounts) == 1 && l.TaxAmounts[0].TaxRate.ID == excl.ID {
				exclLine = l.ID
			}
		}
		cn := must76(sc.CreditNotes.New(&stripe76.CreditNoteParams{
			Invoice: stripe76.String(inv.ID), RefundAmount: stripe76.Int64(1100),
			Lines: []*stripe76.CreditNoteLineParams{{Type: stripe76.String("invoice_line_item"), InvoiceLineItem: stripe76.String(exclLine), Quantity: stripe76.Int64(1)}},
		}))(t)
		if cn.Refund == nil || cn.Refund.ID == "" {
			t.Errorf("credit note refund: %+v", cn.Refund)
		}
		if cn.Total != 1100 || len(cn.TaxAmounts) != 1 || cn.TaxAmounts[0].Amount != 100 || cn.TaxAmounts[0].TaxRate.ID != excl.ID || cn.TaxAmounts[0].Inclusive {
			t.Errorf("credit note: total %d tax_amounts %+v", cn.Total, cn.TaxAmounts)
		}
		if len(cn.Lines.Data) != 1 || len(cn.Lines.Data[0].TaxAmounts) != 1 || cn.Lines.Data[0].TaxAmounts[0].Amount != 100 {
			t.Errorf("credit note lines: %+v", cn.Lines.Data)
		}
	})
}

// Before basil a charge and a payment intent name the invoice they paid.
func TestV76ChargeAndPaymentIntentInvoice(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		inv := pendingInvoice76(t, sc, cu.ID, 1500)
		inv = must76(sc.Invoices.FinalizeInvoice(inv.ID, nil))(t)
		inv = must76(sc.Invoices.Pay(inv.ID, nil))(t)
		if inv.PaymentIntent == nil || inv.Charge == nil {
			t.Fatalf("paid invoice: pi=%v charge=%v", inv.PaymentIntent, inv.Charge)
		}
		pi := must76(sc.PaymentIntents.Get(inv.PaymentIntent.ID, nil))(t)
		if pi.Invoice == nil || pi.Invoice.ID != inv.ID {
			t.Errorf("payment_intent.invoice = %+v, want %s", pi.Invoice, inv.ID)
		}
		p := &stripe76.ChargeParams{}
		p.AddExpand("invoice")
		ch := must76(sc.Charges.Get(inv.Charge.ID, p))(t)
		if ch.Invoice == nil || ch.Invoice.ID != inv.ID || ch.Invoice.AmountPaid != 1500 {
			t.Errorf("charge.invoice = %+v, want %s expanded", ch.Invoice, inv.ID)
		}
		// A payment intent made outside billing names no invoice.
		other := must76(sc.PaymentIntents.New(&stripe76.PaymentIntentParams{
			Amount: stripe76.Int64(700), Currency: stripe76.String("usd"), Customer: stripe76.String(cu.ID),
		}))(t)
		if other.Invoice != nil {
			t.Errorf("standalone payment intent invoice = %+v", other.Invoice)
		}
	})
}

// Before basil an invoice line and an invoice item show the plan beside
// the price (null for a one-off price); before dahlia a subscription item does too.
func TestV76PlanBesidePrice(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		pl := monthlyPlan76(t, sc, 1200)
		sub := subscribeToPlan76(t, sc, cu.ID, pl.ID)
		it := sub.Items.Data[0]
		if it.Plan == nil || it.Plan.ID != pl.ID || it.Plan.Amount != 1200 || it.Plan.Interval != "month" {
			t.Errorf("subscription item plan: %+v", it.Plan)
		}
		got := must76(sc.SubscriptionItems.Get(it.ID, nil))(t)
		if got.Plan == nil || got.Plan.ID != pl.ID {
			t.Errorf("retrieved item plan: %+v", got.Plan)
		}
		inv := must76(sc.Invoices.Get(sub.LatestInvoice.ID, nil))(t)
		if len(inv.Lines.Data) != 1 {
			t.Fatalf("lines: %+v", inv.Lines)
		}
		if l := inv.Lines.Data[0]; l.Plan == nil || l.Plan.ID != pl.ID || l.Price == nil || l.Price.ID != pl.ID {
			t.Errorf("line plan %+v price %+v", l.Plan, l.Price)
		}
		// A one-off price has no plan.
		prod := must76(sc.Products.New(&stripe76.ProductParams{Name: stripe76.String("Setup")}))(t)
		pr := must76(sc.Prices.New(&stripe76.PriceParams{
			Product: stripe76.String(prod.ID), Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(300),
		}))(t)
		ii := must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{Customer: stripe76.String(cu.ID), Price: stripe76.String(pr.ID)}))(t)
		if ii.Plan != nil || ii.Price == nil || ii.Price.ID != pr.ID {
			t.Errorf("one-off invoice item: plan %+v price %+v", ii.Plan, ii.Price)
		}
	})
}

// statusAt makes one API request at Stripe-Version version and returns
// the status and the decoded answer, errors included.
func statusAt(t *testing.T, f *fake.Fake, version, method, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	status, body := rawAt(t, f, version, method, path, form)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, body)
	}
	return status, m
}

// Before clover a promotion code is made with coupon and shows the whole
// coupon; before basil a subscription takes coupon and promotion_code.
func TestV76PromotionCodeAndCouponParams(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		co := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(25), Duration: stripe76.String("forever")}))(t)
		pc := must76(sc.PromotionCodes.New(&stripe76.PromotionCodeParams{Coupon: stripe76.String(co.ID), Code: stripe76.String("SPRING")}))(t)
		if pc.Coupon == nil || pc.Coupon.ID != co.ID || pc.Coupon.PercentOff != 25 {
			t.Errorf("promotion code coupon: %+v", pc.Coupon)
		}
		cu := payingCustomer76(t, sc, "")
		pl := monthlyPlan76(t, sc, 2000)
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(pl.ID)}},
			PromotionCode: stripe76.String(pc.ID),
		}))(t)
		if sub.Discount == nil || sub.Discount.Coupon == nil || sub.Discount.Coupon.ID != co.ID ||
			sub.Discount.PromotionCode == nil || sub.Discount.PromotionCode.ID != pc.ID {
			t.Errorf("subscription discount: %+v", sub.Discount)
		}
		inv := must76(sc.Invoices.Get(sub.LatestInvoice.ID, nil))(t)
		if inv.Total != 1500 || inv.Discount == nil || inv.Discount.Coupon.ID != co.ID {
			t.Errorf("invoice total %d discount %+v", inv.Total, inv.Discount)
		}
		sub2 := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(pl.ID)}},
			Coupon: stripe76.String(co.ID),
		}))(t)
		if sub2.Discount == nil || sub2.Discount.Coupon.ID != co.ID || sub2.Discount.PromotionCode != nil {
			t.Errorf("coupon discount: %+v", sub2.Discount)
		}
	})
}

// The one-discount params leave with basil, the promotion code's coupon
// with clover: each is an unknown parameter from then on.
func TestDiscountParamsByRelease(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, _ *stripe.Client) {
		_, co := statusAt(t, f, "2025-02-24.acacia", "POST", "/v1/coupons", url.Values{"percent_off": {"10"}, "duration": {"forever"}})
		coupon, _ := co["id"].(string)
		for _, tc := range []struct {
			version, path string
			form          url.Values
			ok            bool
			param         string
		}{
			{"2025-08-27.basil", "/v1/promotion_codes", url.Values{"coupon": {coupon}}, true, ""},
			{"2025-09-30.clover", "/v1/promotion_codes", url.Values{"coupon": {coupon}}, false, "coupon"},
			{"2025-02-24.acacia", "/v1/customers", url.Values{}, true, ""},
			{"2025-03-31.basil", "/v1/credit_notes", url.Values{"refund": {"re_x"}, "invoice": {"in_x"}}, false, "refund"},
		} {
			status, body := statusAt(t, f, tc.version, "POST", tc.path, tc.form)
			if tc.ok != (status == 200) {
				t.Errorf("%s at %s: %d %v", tc.path, tc.version, status, body)
				continue
			}
			if !tc.ok {
				e, _ := body["error"].(map[string]any)
				if e["param"] != tc.param || !strings.Contains(e["message"].(string), "unknown parameter") {
					t.Errorf("%s at %s: %v", tc.path, tc.version, e)
				}
			}
			if tc.ok && tc.path == "/v1/promotion_codes" {
				if c, _ := body["coupon"].(map[string]any); c == nil || c["id"] != coupon {
					t.Errorf("promotion code at %s: %v", tc.version, body)
				}
			}
		}
		_, cu := statusAt(t, f, "2025-02-24.acacia", "POST", "/v1/customers", url.Values{
			"payment_method": {"pm_card_visa"}, "invoice_settings[default_payment_method]": {"pm_card_visa"},
		})
		_, pr := statusAt(t, f, "2025-02-24.acacia", "POST", "/v1/prices", url.Values{
			"currency": {"usd"}, "unit_amount": {"500"}, "recurring[interval]": {"month"}, "product_data[name]": {"P"},
		})
		items := url.Values{"customer": {cu["id"].(string)}, "items[0][price]": {pr["id"].(string)}, "coupon": {coupon}}
		if status, body := statusAt(t, f, "2025-02-24.acacia", "POST", "/v1/subscriptions", items); status != 200 || body["discount"] == nil {
			t.Errorf("coupon at acacia: %d %v", status, body)
		}
		status, body := statusAt(t, f, "2025-03-31.basil", "POST", "/v1/subscriptions", items)
		if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "coupon" {
			t.Errorf("coupon at basil: %d %v", status, body)
		}
	})
}

// Before basil a renewal's customer.subscription.updated reports the old
// period as the subscription's current_period_start/end, not under items.
func TestV76PreviousAttributesInOlderNames(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		clock, cu := clockCustomer76(t, sc)
		sub := subscribeToPlan76(t, sc, cu.ID, monthlyPlan76(t, sc, 1000).ID)
		next := testfake.Start.AddDate(0, 1, 0).Add(2 * time.Hour)
		advanceClock76(t, sc, clock.ID, next)
		it := sc.Events.List(&stripe76.EventListParams{Type: stripe76.String("customer.subscription.updated")})
		found := false
		for it.Next() {
			ev := it.Event()
			prev := ev.Data.PreviousAttributes
			if _, ok := prev["current_period_end"]; !ok || ev.Data.Object["id"] != sub.ID {
				continue
			}
			found = true
			if prev["current_period_end"] != float64(sub.CurrentPeriodEnd) || prev["current_period_start"] != float64(sub.CurrentPeriodStart) {
				t.Errorf("previous period %v..%v, want %d..%d", prev["current_period_start"], prev["current_period_end"], sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
			}
			if items, ok := prev["items"].(map[string]any); ok {
				for _, d := range items["data"].([]any) {
					if _, has := d.(map[string]any)["current_period_end"]; has {
						t.Errorf("previous items carry dahlia's period: %v", items)
					}
				}
			}
		}
		if err := it.Err(); err != nil || !found {
			t.Fatalf("no renewal update with current_period_end in previous_attributes (err %v)", err)
		}
	})
}

// Before clover a schedule phase may last a number of iterations of its
// price's interval; from clover on iterations is an unknown parameter.
func TestV76SchedulePhaseIterations(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		pl := monthlyPlan76(t, sc, 1000)
		pl2 := monthlyPlan76(t, sc, 2000)
		start := testfake.Start.Unix()
		sch := must76(sc.SubscriptionSchedules.New(&stripe76.SubscriptionScheduleParams{
			Customer: stripe76.String(cu.ID), StartDate: stripe76.Int64(start),
			Phases: []*stripe76.SubscriptionSchedulePhaseParams{
				{Items: []*stripe76.SubscriptionSchedulePhaseItemParams{{Price: stripe76.String(pl.ID)}}, Iterations: stripe76.Int64(2)},
				{Items: []*stripe76.SubscriptionSchedulePhaseItemParams{{Price: stripe76.String(pl2.ID)}}, Iterations: stripe76.Int64(1)},
			},
		}))(t)
		if len(sch.Phases) != 2 {
			t.Fatalf("phases: %+v", sch.Phases)
		}
		mid, end := testfake.Start.AddDate(0, 2, 0).Unix(), testfake.Start.AddDate(0, 3, 0).Unix()
		if sch.Phases[0].EndDate != mid || sch.Phases[1].StartDate != mid || sch.Phases[1].EndDate != end {
			t.Errorf("phases %d..%d, %d..%d; want %d..%d, %d..%d", sch.Phases[0].StartDate, sch.Phases[0].EndDate,
				sch.Phases[1].StartDate, sch.Phases[1].EndDate, start, mid, mid, end)
		}
		if sch.Phases[0].Coupon != nil {
			t.Errorf("phase coupon: %+v", sch.Phases[0].Coupon)
		}
		// phases[][coupon] is phases[][discounts][0][coupon], shown back as
		// the phase's coupon.
		co := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(25), Duration: stripe76.String("forever")}))(t)
		withCoupon := must76(sc.SubscriptionSchedules.New(&stripe76.SubscriptionScheduleParams{
			Customer: stripe76.String(cu.ID), StartDate: stripe76.Int64(start),
			Phases: []*stripe76.SubscriptionSchedulePhaseParams{
				{Items: []*stripe76.SubscriptionSchedulePhaseItemParams{{Price: stripe76.String(pl.ID)}}, Iterations: stripe76.Int64(1), Coupon: stripe76.String(co.ID)},
			},
		}))(t)
		if c := withCoupon.Phases[0].Coupon; c == nil || c.ID != co.ID {
			t.Errorf("phase coupon: %+v", c)
		}
		sub := must76(sc.Subscriptions.Get(withCoupon.Subscription.ID, nil))(t)
		if inv := must76(sc.Invoices.Get(sub.LatestInvoice.ID, nil))(t); inv.Total != 750 {
			t.Errorf("first invoice of the couponed phase: total %d, want 750", inv.Total)
		}
		_, err := sc.SubscriptionSchedules.New(&stripe76.SubscriptionScheduleParams{
			Customer: stripe76.String(cu.ID), StartDate: stripe76.Int64(start),
			Phases: []*stripe76.SubscriptionSchedulePhaseParams{
				{Items: []*stripe76.SubscriptionSchedulePhaseItemParams{{Price: stripe76.String(pl.ID)}}, Iterations: stripe76.Int64(0)},
			},
		})
		if se, ok := err.(*stripe76.Error); !ok || se.Param != "phases[0][iterations]" {
			t.Errorf("iterations=0: %v", err)
		}
		status, body := statusAt(t, f, "2025-09-30.clover", "POST", "/v1/subscription_schedules", url.Values{
			"customer": {cu.ID}, "start_date": {"now"}, "phases[0][items][0][price]": {pl.ID}, "phases[0][iterations]": {"2"},
		})
		if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "phases[0][iterations]" {
			t.Errorf("iterations at clover: %d %v", status, body)
		}
		status, body = statusAt(t, f, "2025-08-27.basil", "POST", "/v1/subscription_schedules", url.Values{
			"customer": {cu.ID}, "start_date": {"now"}, "phases[0][items][0][price]": {pl.ID}, "phases[0][iterations]": {"3"},
		})
		if status != 200 {
			t.Errorf("iterations at basil: %d %v", status, body)
		}
	})
}

// Before basil a customer takes a coupon or a promotion code, shows it as
// its discount, and its invoices apply it.
func TestV76CustomerCoupon(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		co := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(10), Duration: stripe76.String("forever")}))(t)
		cu := must76(sc.Customers.New(&stripe76.CustomerParams{Coupon: stripe76.String(co.ID)}))(t)
		if cu.Discount == nil || cu.Discount.Coupon == nil || cu.Discount.Coupon.ID != co.ID || cu.Discount.Customer == nil || cu.Discount.Customer.ID != cu.ID {
			t.Fatalf("customer discount: %+v", cu.Discount)
		}
		inv := pendingInvoice76(t, sc, cu.ID, 2000)
		if inv.Total != 1800 {
			t.Errorf("invoice total %d with the customer's 10%% off, want 1800", inv.Total)
		}
		pc := must76(sc.PromotionCodes.New(&stripe76.PromotionCodeParams{Coupon: stripe76.String(co.ID)}))(t)
		cu = must76(sc.Customers.Update(cu.ID, &stripe76.CustomerParams{PromotionCode: stripe76.String(pc.ID)}))(t)
		if cu.Discount == nil || cu.Discount.PromotionCode == nil || cu.Discount.PromotionCode.ID != pc.ID {
			t.Errorf("discount from promotion code: %+v", cu.Discount)
		}
		cu = must76(sc.Customers.Update(cu.ID, &stripe76.CustomerParams{Coupon: stripe76.String("")}))(t)
		if cu.Discount != nil {
			t.Errorf("cleared discount: %+v", cu.Discount)
		}
		status, body := statusAt(t, f, "2025-03-31.basil", "POST", "/v1/customers", url.Values{"coupon": {co.ID}})
		if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "coupon" {
			t.Errorf("coupon at basil: %d %v", status, body)
		}
	})
}

// Before basil, a customer created with a coupon has customer.created
// before customer.discount.created, and switching to another coupon is one
// customer.discount.updated carrying the old discount's fields in
// previous_attributes; removing it is customer.discount.deleted.
func TestV76CustomerCouponEvents(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		co := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(10), Duration: stripe76.String("forever")}))(t)
		co2 := must76(sc.Coupons.New(&stripe76.CouponParams{PercentOff: stripe76.Float64(20), Duration: stripe76.String("forever")}))(t)
		n := len(f.Events())
		cu := must76(sc.Customers.New(&stripe76.CustomerParams{Coupon: stripe76.String(co.ID)}))(t)
		if got := eventTypes(f)[n:]; strings.Join(got, ",") != "customer.created,customer.discount.created" {
			t.Errorf("create with a coupon: events %v", got)
		}
		first := cu.Discount.ID
		n = len(f.Events())
		cu = must76(sc.Customers.Update(cu.ID, &stripe76.CustomerParams{Coupon: stripe76.String(co2.ID)}))(t)
		evs := f.Events()[n:]
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		if strings.Join(types, ",") != "customer.discount.updated,customer.updated" {
			t.Fatalf("switch coupon: events %v", types)
		}
		// The event as the 2023-10-16 client reads it: discount.coupon.
		up := must76(sc.Events.Get(evs[0].ID, nil))(t)
		if c, _ := up.Data.Object["coupon"].(map[string]any); up.Data.Object["id"] != cu.Discount.ID || c["id"] != co2.ID {
			t.Errorf("updated discount %v, want %s with coupon %s", up.Data.Object, cu.Discount.ID, co2.ID)
		}
		prev := up.Data.PreviousAttributes
		if c, _ := prev["coupon"].(map[string]any); prev["id"] != first || c["id"] != co.ID {
			t.Errorf("previous_attributes %v, want id %s and coupon %s", prev, first, co.ID)
		}
		n = len(f.Events())
		must76(sc.Customers.Update(cu.ID, &stripe76.CustomerParams{Coupon: stripe76.String("")}))(t)
		if got := eventTypes(f)[n:]; strings.Join(got, ",") != "customer.discount.deleted,customer.updated" {
			t.Errorf("remove coupon: events %v", got)
		}
	})
}

// A coupon set aside for an older version's customer is still checked as
// the spec would: a hash is "Invalid string: a hash", and nothing is made.
func TestLegacyCustomerCouponOfTheWrongType(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, _ *stripe.Client) {
		status, body := statusAt(t, f, "2023-10-16", "POST", "/v1/customers", url.Values{"coupon[a]": {"b"}})
		if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "coupon" || e["message"] != "Invalid string: a hash" {
			t.Errorf("coupon[a]=b: %d %v", status, body)
		}
		if n := len(f.Events()); n != 0 {
			t.Errorf("%d events after a rejected create", n)
		}
	})
}
