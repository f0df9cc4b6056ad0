package resources_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// checkoutItemAmounts are each line item's subtotal/discount/tax/total.
func checkoutItemAmounts(t *testing.T, sc *stripe.Client, id string) string {
	t.Helper()
	var out []string
	for li, err := range sc.V1CheckoutSessions.ListLineItems(ctx, &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(id)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d/%d/%d/%d", li.AmountSubtotal, li.AmountDiscount, li.AmountTax, li.AmountTotal))
	}
	return strings.Join(out, " ")
}

func breakdownOf(t *testing.T, sc *stripe.Client, id string) *stripe.CheckoutSession {
	t.Helper()
	p := &stripe.CheckoutSessionRetrieveParams{}
	p.AddExpand("total_details.breakdown")
	cs, err := sc.V1CheckoutSessions.Retrieve(ctx, id, p)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestCheckoutDiscountAndTaxRatesPayment: a 25% coupon and line tax rates
// in payment mode, worked by hand:
//
//	Book 700:     discount 175 → 525, exclusive 10% = 52.5 → 53  → 578
//	Pen 2 × 150:  discount 75 → 225, inclusive 20%: net 188, tax 37 → 225
//	subtotal 1000, discount 250, tax 90, total 1000 − 250 + 53 = 803
func TestCheckoutDiscountAndTaxRatesPayment(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		book := oneTimePrice(t, sc, 700, "Book")
		pen := oneTimePrice(t, sc, 150, "Pen")
		sales := newTaxRate(t, sc, "Sales tax", 10, false)
		vat := newTaxRate(t, sc, "VAT", 20, true)
		quarter := newCoupon(t, sc, percentOff(25, "once", 0))
		lines := checkoutLines(book, pen)
		lines[0].TaxRates = []*string{stripe.String(sales.ID)}
		lines[1].TaxRates = []*string{stripe.String(vat.ID)}

		// Bad input names the parameter and keeps nothing.
		_, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: lines,
			Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String("nope")}}})
		stripeErr(t, err, 400, "resource_missing", "discounts[0][coupon]", "")
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: lines,
			Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String(quarter.ID)}}, AllowPromotionCodes: stripe.Bool(true)})
		stripeErr(t, err, 400, "", "allow_promotion_codes", "You may only specify one of these parameters: allow_promotion_codes, discounts.")
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: lines,
			Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String(quarter.ID)}, {Coupon: stripe.String(quarter.ID)}}})
		stripeErr(t, err, 400, "", "discounts", "")
		bad := checkoutLines(book)
		bad[0].DynamicTaxRates = []*string{stripe.String(sales.ID)}
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: bad})
		stripeErr(t, err, 400, "parameter_unknown", "line_items[0][dynamic_tax_rates]", "")

		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: lines,
			Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String(quarter.ID)}}})
		if cs.AmountSubtotal != 1000 || cs.AmountTotal != 803 || cs.TotalDetails.AmountDiscount != 250 || cs.TotalDetails.AmountTax != 90 ||
			len(cs.Discounts) != 1 || cs.Discounts[0].Coupon == nil || cs.Discounts[0].Coupon.ID != quarter.ID || cs.Discounts[0].PromotionCode != nil ||
			cs.TotalDetails.Breakdown != nil {
			t.Fatalf("session %+v %+v", cs, cs.TotalDetails)
		}
		if got := checkoutItemAmounts(t, sc, cs.ID); got != "700/175/53/578 300/75/37/225" {
			t.Errorf("line items %s", got)
		}
		bd := breakdownOf(t, sc, cs.ID).TotalDetails.Breakdown
		if bd == nil || len(bd.Discounts) != 1 || bd.Discounts[0].Amount != 250 || bd.Discounts[0].Discount.Source.Coupon.ID != quarter.ID ||
			len(bd.Taxes) != 2 || bd.Taxes[0].Amount != 53 || bd.Taxes[0].Rate.ID != sales.ID || bd.Taxes[0].TaxableAmount != 525 ||
			bd.Taxes[1].Amount != 37 || bd.Taxes[1].Rate.ID != vat.ID || bd.Taxes[1].TaxableAmount != 188 {
			t.Errorf("breakdown %+v", bd)
		}
		rp := &stripe.CheckoutSessionRetrieveParams{}
		rp.AddExpand("discounts.coupon")
		if ex, err := sc.V1CheckoutSessions.Retrieve(ctx, cs.ID, rp); err != nil || ex.Discounts[0].Coupon.PercentOff != 25 {
			t.Errorf("expand discounts.coupon: %v %+v", err, ex.Discounts[0].Coupon)
		}
		if co, _ := sc.V1Coupons.Retrieve(ctx, quarter.ID, nil); co.TimesRedeemed != 0 {
			t.Errorf("redeemed before completion: %d", co.TimesRedeemed)
		}

		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		got := breakdownOf(t, sc, cs.ID)
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, got.PaymentIntent.ID, nil)
		if err != nil || pi.Amount != 803 || pi.AmountReceived != 803 || got.PaymentStatus != "paid" || got.AmountTotal != 803 {
			t.Fatalf("payment %v %+v", err, pi)
		}
		d := got.TotalDetails.Breakdown.Discounts[0].Discount
		if d.CheckoutSession != cs.ID || d.Source.Coupon.ID != quarter.ID || !strings.HasPrefix(d.ID, "di_") {
			t.Errorf("redeemed discount %+v", d)
		}
		if co, _ := sc.V1Coupons.Retrieve(ctx, quarter.ID, nil); co.TimesRedeemed != 1 {
			t.Errorf("times_redeemed after completion: %d", co.TimesRedeemed)
		}
	})
}

// TestCheckoutPromotionCodeSubscription: a promotion code (first-time
// customers only, 3.00 off once) and default tax rates in subscription
// mode, worked by hand:
//
//	monthly 1500 and setup 2 × 500: 300 off spread 180 + 120;
//	sales tax 10% on 1320 and 880: 132 + 88
//	total 2500 − 300 + 220 = 2420, the first invoice's total.
func TestCheckoutPromotionCodeSubscription(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		monthly := monthlyPrice(t, sc, 1500, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		sales := newTaxRate(t, sc, "Sales tax", 10, false)
		co := newCoupon(t, sc, amountOff(300, "once"))
		pp := promoFor(co.ID, "WELCOME")
		pp.Restrictions = &stripe.PromotionCodeCreateRestrictionsParams{FirstTimeTransaction: stripe.Bool(true)}
		promo := newPromotionCode(t, sc, pp)
		params := func() *stripe.CheckoutSessionCreateParams {
			return &stripe.CheckoutSessionCreateParams{Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly, setup),
				Discounts:        []*stripe.CheckoutSessionCreateDiscountParams{{PromotionCode: stripe.String(promo.ID)}},
				SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{DefaultTaxRates: []*string{stripe.String(sales.ID)}},
			}
		}

		// A customer who has paid before cannot use a first-time code.
		_, _ = paidInvoice(t, sc, 100)
		var old *stripe.Customer
		for cu, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			old = cu
		}
		p := params()
		p.Customer = stripe.String(old.ID)
		_, err := sc.V1CheckoutSessions.Create(ctx, p)
		stripeErr(t, err, 400, "", "discounts[0][promotion_code]", "")

		p = params()
		p.CustomerEmail = stripe.String("new@example.com")
		cs := newCheckout(t, sc, p)
		if cs.AmountSubtotal != 2500 || cs.AmountTotal != 2420 || cs.TotalDetails.AmountDiscount != 300 || cs.TotalDetails.AmountTax != 220 ||
			cs.Discounts[0].PromotionCode.ID != promo.ID || cs.Discounts[0].Coupon != nil {
			t.Fatalf("session %+v %+v", cs, cs.TotalDetails)
		}
		if got := checkoutItemAmounts(t, sc, cs.ID); got != "1500/180/132/1452 1000/120/88/968" {
			t.Errorf("line items %s", got)
		}
		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		got := getCheckout(t, sc, cs.ID)
		s, err := sc.V1Subscriptions.Retrieve(ctx, got.Subscription.ID, nil)
		// The once coupon is spent by the first invoice.
		if err != nil || len(s.Discounts) != 0 || len(s.DefaultTaxRates) != 1 || s.DefaultTaxRates[0].ID != sales.ID {
			t.Fatalf("subscription %v %+v", err, s)
		}
		inv, err := sc.V1Invoices.Retrieve(ctx, got.Invoice.ID, &stripe.InvoiceRetrieveParams{Expand: []*string{stripe.String("discounts")}})
		if err != nil || inv.Total != 2420 || inv.AmountPaid != 2420 || got.AmountTotal != inv.Total || got.PaymentStatus != "paid" ||
			len(inv.Discounts) != 1 || inv.Discounts[0].PromotionCode == nil || inv.Discounts[0].PromotionCode.ID != promo.ID {
			t.Fatalf("first invoice %v total=%d paid=%d %+v", err, inv.Total, inv.AmountPaid, inv.Discounts)
		}
		if pc, _ := sc.V1PromotionCodes.Retrieve(ctx, promo.ID, nil); pc.TimesRedeemed != 1 {
			t.Errorf("promotion code times_redeemed %d", pc.TimesRedeemed)
		}
		if bd := breakdownOf(t, sc, cs.ID).TotalDetails.Breakdown; bd.Discounts[0].Discount.ID != inv.Discounts[0].ID || bd.Discounts[0].Amount != 300 {
			t.Errorf("breakdown after completion %+v", bd.Discounts[0])
		}
		// The customer has paid now: a new session for them is refused.
		p = params()
		p.Customer = stripe.String(got.Customer.ID)
		_, err = sc.V1CheckoutSessions.Create(ctx, p)
		stripeErr(t, err, 400, "", "discounts[0][promotion_code]", "")
	})
}

// TestCheckoutAllowPromotionCodes: the buyer enters a code on the hosted
// page (or a test applies one); it is redeemed at completion.
func TestCheckoutAllowPromotionCodes(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		book := oneTimePrice(t, sc, 700, "Book")
		co := newCoupon(t, sc, percentOff(10, "once", 0))
		pp := promoFor(co.ID, "SAVE10")
		pp.MaxRedemptions = stripe.Int64(1)
		promo := newPromotionCode(t, sc, pp)
		open := func(allow bool) *stripe.CheckoutSession {
			return newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(book),
				AllowPromotionCodes: stripe.Bool(allow)})
		}

		cs := open(true)
		if !cs.AllowPromotionCodes || cs.AmountTotal != 700 || len(cs.Discounts) != 0 {
			t.Fatalf("session %+v", cs)
		}
		if _, body := pageGet(t, cs.URL); !strings.Contains(body, `name="promotion_code"`) {
			t.Errorf("the page has no promotion code field")
		}
		status, _, body := pagePost(t, cs.URL, url.Values{"action": {"apply_promotion_code"}, "promotion_code": {"NOPE"}})
		if status != 400 || !strings.Contains(body, "NOPE is invalid") {
			t.Errorf("unknown code: %d", status)
		}
		status, loc, _ := pagePost(t, cs.URL, url.Values{"action": {"apply_promotion_code"}, "promotion_code": {"save10"}})
		if status != http.StatusSeeOther || loc != cs.URL {
			t.Fatalf("apply: %d %q", status, loc)
		}
		got := getCheckout(t, sc, cs.ID)
		if got.AmountTotal != 630 || got.TotalDetails.AmountDiscount != 70 || len(got.Discounts) != 1 || got.Discounts[0].PromotionCode.ID != promo.ID {
			t.Fatalf("after apply %+v", got)
		}
		if _, body := pageGet(t, cs.URL); !strings.Contains(body, "SAVE10") || !strings.Contains(body, "-0.70 USD") || !strings.Contains(body, "6.30 USD") {
			t.Errorf("page after apply lacks the code or amounts")
		}
		if pc, _ := sc.V1PromotionCodes.Retrieve(ctx, promo.ID, nil); pc.TimesRedeemed != 0 {
			t.Errorf("redeemed on apply: %d", pc.TimesRedeemed)
		}
		status, _, _ = pagePost(t, cs.URL, url.Values{"email": {"bo@example.com"}, "number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}})
		if status != http.StatusSeeOther {
			t.Fatalf("pay: %d", status)
		}
		got = getCheckout(t, sc, cs.ID)
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, got.PaymentIntent.ID, nil)
		if err != nil || pi.Amount != 630 {
			t.Fatalf("payment %v %+v", err, pi)
		}
		if pc, _ := sc.V1PromotionCodes.Retrieve(ctx, promo.ID, nil); pc.TimesRedeemed != 1 {
			t.Errorf("times_redeemed %d", pc.TimesRedeemed)
		}

		// The code is used up; a session without allow_promotion_codes takes none.
		cs2 := open(true)
		err = f.ApplyCheckoutPromotionCode(cs2.ID, "SAVE10")
		stripeErr(t, err, 400, "", "promotion_code", "")
		cs3 := open(false)
		stripeErr(t, f.ApplyCheckoutPromotionCode(cs3.ID, "SAVE10"), 400, "", "promotion_code", "")
		if got := getCheckout(t, sc, cs2.ID); got.AmountTotal != 700 || len(got.Discounts) != 0 {
			t.Errorf("a refused code changed the session: %+v", got)
		}

		// A test applies and removes a code through the helper.
		other := newPromotionCode(t, sc, promoFor(co.ID, "OTHER"))
		if err := f.ApplyCheckoutPromotionCode(cs2.ID, "other"); err != nil {
			t.Fatal(err)
		}
		if got := getCheckout(t, sc, cs2.ID); got.AmountTotal != 630 || got.Discounts[0].PromotionCode.ID != other.ID {
			t.Errorf("helper apply %+v", got)
		}
		if err := f.ApplyCheckoutPromotionCode(cs2.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := getCheckout(t, sc, cs2.ID); got.AmountTotal != 700 || len(got.Discounts) != 0 {
			t.Errorf("helper remove %+v", got)
		}
	})
}

// expand[]=total_details.breakdown works on every response that carries a
// session: create, retrieve, expire, and a list's data.
func TestCheckoutBreakdownOnEveryResponse(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		book := oneTimePrice(t, sc, 1000, "Book")
		sales := newTaxRate(t, sc, "Sales tax", 10, false)
		tenth := newCoupon(t, sc, percentOff(10, "once", 0))
		lines := checkoutLines(book)
		lines[0].TaxRates = []*string{stripe.String(sales.ID)}
		cp := &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: lines,
			Discounts: []*stripe.CheckoutSessionCreateDiscountParams{{Coupon: stripe.String(tenth.ID)}}}
		cp.AddExpand("total_details.breakdown")
		created := newCheckout(t, sc, cp)
		check := func(what string, cs *stripe.CheckoutSession) {
			t.Helper()
			bd := cs.TotalDetails.Breakdown
			if bd == nil || len(bd.Discounts) != 1 || bd.Discounts[0].Amount != 100 || bd.Discounts[0].Discount.Source.Coupon.ID != tenth.ID ||
				len(bd.Taxes) != 1 || bd.Taxes[0].Amount != 90 || bd.Taxes[0].Rate.ID != sales.ID {
				t.Errorf("%s: breakdown %+v", what, bd)
			}
		}
		check("create", created)
		check("retrieve", breakdownOf(t, sc, created.ID))

		lp := &stripe.CheckoutSessionListParams{}
		lp.AddExpand("data.total_details.breakdown")
		n := 0
		for cs, err := range sc.V1CheckoutSessions.List(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			check("list", cs)
			n++
		}
		if n != 1 {
			t.Errorf("listed %d sessions", n)
		}

		// At 2023-10-16 the list's breakdown shows the discount's coupon
		// in that version's shape, as the session's own discounts do.
		status, body := statusAt(t, f, "2023-10-16", "GET", "/v1/checkout/sessions?expand[]=data.total_details.breakdown", nil)
		data, _ := body["data"].([]any)
		var coupon any
		if len(data) == 1 {
			s, _ := data[0].(map[string]any)
			td, _ := s["total_details"].(map[string]any)
			bd, _ := td["breakdown"].(map[string]any)
			ds, _ := bd["discounts"].([]any)
			if len(ds) == 1 {
				d, _ := ds[0].(map[string]any)["discount"].(map[string]any)
				coupon = d["coupon"]
			}
		}
		if c, _ := coupon.(map[string]any); status != 200 || c["id"] != tenth.ID {
			t.Errorf("2023-10-16 list: %d %v", status, body)
		}

		ep := &stripe.CheckoutSessionExpireParams{}
		ep.AddExpand("total_details.breakdown")
		expired, err := sc.V1CheckoutSessions.Expire(ctx, created.ID, ep)
		if err != nil {
			t.Fatal(err)
		}
		if expired.Status != "expired" {
			t.Errorf("status %s", expired.Status)
		}
		check("expire", expired)

		// Without expand the field stays absent.
		plain, err := sc.V1CheckoutSessions.Retrieve(ctx, created.ID, nil)
		if err != nil || plain.TotalDetails.Breakdown != nil {
			t.Errorf("unexpanded: %v %+v", err, plain.TotalDetails)
		}
	})
}
