package resources_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func newCoupon(t *testing.T, sc *stripe.Client, p *stripe.CouponCreateParams) *stripe.Coupon {
	t.Helper()
	co, err := sc.V1Coupons.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return co
}

func percentOff(pct float64, duration string, months int64) *stripe.CouponCreateParams {
	p := &stripe.CouponCreateParams{PercentOff: stripe.Float64(pct), Duration: stripe.String(duration)}
	if months > 0 {
		p.DurationInMonths = stripe.Int64(months)
	}
	return p
}

func amountOff(amount int64, duration string) *stripe.CouponCreateParams {
	return &stripe.CouponCreateParams{AmountOff: stripe.Int64(amount), Currency: stripe.String("usd"), Duration: stripe.String(duration)}
}

// lineDiscounts are the amounts of a line's discount_amounts, in order.
func lineDiscounts(l *stripe.InvoiceLineItem) []int64 {
	var out []int64
	for _, d := range l.DiscountAmounts {
		out = append(out, d.Amount)
	}
	return out
}

// TestInvoiceDiscountsAndTaxesToTheCent checks one invoice with item and
// invoice discounts, inclusive and exclusive rates and a line that takes
// no discount, against amounts worked out by hand.
func TestInvoiceDiscountsAndTaxesToTheCent(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		vat := newTaxRate(t, sc, "VAT", 20, true)
		sales := newTaxRate(t, sc, "Sales tax", 8.25, false)
		tenPct := newCoupon(t, sc, percentOff(10, "once", 0))
		threeOff := newCoupon(t, sc, amountOff(300, "once"))

		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
			Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(false),
			Discounts:       []*stripe.InvoiceCreateDiscountParams{{Coupon: stripe.String(tenPct.ID)}},
			DefaultTaxRates: []*string{stripe.String(sales.ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Discounts) != 1 || len(inv.DefaultTaxRates) != 1 || inv.DefaultTaxRates[0].Percentage != 8.25 {
			t.Fatalf("invoice discounts %v default_tax_rates %v", inv.Discounts, inv.DefaultTaxRates)
		}
		invoiceDiscount := inv.Discounts[0].ID
		// A: 1999 with its own 3.00 off and the inclusive VAT.
		a, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID), Amount: stripe.Int64(1999), Currency: stripe.String("usd"),
			Discounts: []*stripe.InvoiceItemCreateDiscountParams{{Coupon: stripe.String(threeOff.ID)}},
			TaxRates:  []*string{stripe.String(vat.ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Discounts) != 1 || len(a.TaxRates) != 1 || a.TaxRates[0].ID != vat.ID {
			t.Fatalf("item discounts %v tax_rates %v", a.Discounts, a.TaxRates)
		}
		itemDiscount := a.Discounts[0].ID
		// B: 1001, invoice defaults. C: 500, not discountable.
		invItem(t, sc, cu.ID, 1001, inv.ID)
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID),
			Amount: stripe.Int64(500), Currency: stripe.String("usd"), Discountable: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}

		check := func(inv *stripe.Invoice, when string) {
			t.Helper()
			// A: 1999 − 300 = 1699; 10% = 169.9 → 170; 1529 holds
			//    20% VAT: net round(1529 / 1.2) = 1274, tax 255.
			// B: 1001; 10% = 100.1 → 100; 901 × 8.25% = 74.33 → 74.
			// C: 500, no discount; 500 × 8.25% = 41.25 → 41.
			if inv.Subtotal != 3500 || inv.Total != 3045 || inv.TotalExcludingTax != 2675 || inv.SubtotalExcludingTax != 3245 {
				t.Errorf("%s: subtotal %d total %d total_excluding_tax %d subtotal_excluding_tax %d", when,
					inv.Subtotal, inv.Total, inv.TotalExcludingTax, inv.SubtotalExcludingTax)
			}
			var tda []string
			for _, d := range inv.TotalDiscountAmounts {
				tda = append(tda, d.Discount.ID+"="+itoa(d.Amount))
			}
			if want := []string{itemDiscount + "=300", invoiceDiscount + "=270"}; !slices.Equal(tda, want) {
				t.Errorf("%s: total_discount_amounts %v, want %v", when, tda, want)
			}
			var taxes []string
			for _, tx := range inv.TotalTaxes {
				taxes = append(taxes, tx.TaxRateDetails.TaxRate+"/"+string(tx.TaxBehavior)+"="+itoa(tx.Amount)+" on "+itoa(tx.TaxableAmount))
			}
			if want := []string{vat.ID + "/inclusive=255 on 1274", sales.ID + "/exclusive=115 on 1401"}; !slices.Equal(taxes, want) {
				t.Errorf("%s: total_taxes %v, want %v", when, taxes, want)
			}
			lines := inv.Lines.Data
			if len(lines) != 3 {
				t.Fatalf("%s: %d lines", when, len(lines))
			}
			want := [][]int64{{300, 170}, {100}, nil}
			wantTax := []int64{255, 74, 41}
			for i, l := range lines {
				if !slices.Equal(lineDiscounts(l), want[i]) || len(l.Taxes) != 1 || l.Taxes[0].Amount != wantTax[i] {
					t.Errorf("%s: line %d discounts %v taxes %+v", when, i, lineDiscounts(l), l.Taxes)
				}
			}
			if len(lines[0].Discounts) != 1 || lines[0].Discounts[0].ID != itemDiscount {
				t.Errorf("%s: line discounts %v", when, lines[0].Discounts)
			}
			// Discounts are pretax credits too.
			var pretax []string
			for _, pc := range inv.TotalPretaxCreditAmounts {
				pretax = append(pretax, string(pc.Type)+":"+pc.Discount.ID+"="+itoa(pc.Amount))
			}
			if want := []string{"discount:" + itemDiscount + "=300", "discount:" + invoiceDiscount + "=270"}; !slices.Equal(pretax, want) {
				t.Errorf("%s: total_pretax_credit_amounts %v, want %v", when, pretax, want)
			}
			if pc := lines[0].PretaxCreditAmounts; len(pc) != 2 || pc[1].Amount != 170 || pc[1].Discount.ID != invoiceDiscount {
				t.Errorf("%s: line pretax_credit_amounts %+v", when, pc)
			}
		}
		draft := getInvoice(t, sc, inv.ID)
		check(draft, "draft")
		if draft.AmountDue != 3045 {
			t.Errorf("draft amount_due %d", draft.AmountDue)
		}
		fin, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(fin, "finalized")
		paid, err := sc.V1Invoices.Pay(ctx, inv.ID, nil)
		if err != nil || paid.AmountPaid != 3045 || paid.Status != stripe.InvoiceStatusPaid {
			t.Fatalf("pay: %v %+v", err, paid)
		}

		// Expanded, the discount says what it came from.
		p := &stripe.InvoiceRetrieveParams{}
		p.AddExpand("discounts")
		got, err := sc.V1Invoices.Retrieve(ctx, inv.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		d := got.Discounts[0]
		if d.Object != "discount" || d.Invoice != inv.ID || d.Source.Coupon.ID != tenPct.ID || d.Customer.ID != cu.ID || d.Start != f.Now().Unix() || d.End != 0 {
			t.Errorf("expanded discount %+v", d)
		}
		co, err := sc.V1Coupons.Retrieve(ctx, tenPct.ID, nil)
		if err != nil || co.TimesRedeemed != 1 {
			t.Errorf("coupon times_redeemed %d %v", co.TimesRedeemed, err)
		}
	})
}

// TestInvoiceAmountOffSpreadsOverLines: an invoice's amount_off is shared
// in proportion, the cents going by largest remainder.
func TestInvoiceAmountOffSpreadsOverLines(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		tenOff := newCoupon(t, sc, amountOff(1000, "once"))
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		for _, amount := range []int64{3333, 6667, 1} {
			invItem(t, sc, cu.ID, amount, inv.ID)
		}
		up, err := sc.V1Invoices.Update(ctx, inv.ID, &stripe.InvoiceUpdateParams{
			Discounts: []*stripe.InvoiceUpdateDiscountParams{{Coupon: stripe.String(tenOff.ID)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var shares []int64
		for _, l := range up.Lines.Data {
			shares = append(shares, lineDiscounts(l)...)
		}
		// 1000 × 3333/10001 = 333.27, × 6667/10001 = 666.63, × 1/10001 = 0.1:
		// 999 whole cents, the last to the largest remainder (666.63).
		if !slices.Equal(shares, []int64{333, 667, 0}) || up.Total != 10001-1000 {
			t.Errorf("shares %v total %d", shares, up.Total)
		}
		// A coupon in another currency cannot apply.
		eur := newCoupon(t, sc, &stripe.CouponCreateParams{AmountOff: stripe.Int64(100), Currency: stripe.String("eur")})
		_, err = sc.V1Invoices.Update(ctx, inv.ID, &stripe.InvoiceUpdateParams{
			Discounts: []*stripe.InvoiceUpdateDiscountParams{{Coupon: stripe.String(eur.ID)}},
		})
		stripeErr(t, err, http.StatusBadRequest, "", "discounts[0][coupon]", "")
		if got := getInvoice(t, sc, inv.ID); got.Total != 9001 || len(got.Discounts) != 1 {
			t.Errorf("a refused update changed the invoice: total %d discounts %v", got.Total, got.Discounts)
		}
		// discounts="" removes them.
		p := &stripe.InvoiceUpdateParams{}
		p.AddExtra("discounts", "")
		up, err = sc.V1Invoices.Update(ctx, inv.ID, p)
		if err != nil || up.Total != 10001 || len(up.Discounts) != 0 || len(up.TotalDiscountAmounts) != 0 {
			t.Fatalf("cleared: %v total %d discounts %v", err, up.Total, up.Discounts)
		}
	})
}

// TestSubscriptionRepeatingCouponEndsAfterItsMonths runs a 3-month 25%
// coupon across renewals on a test clock, with a subscription tax rate.
func TestSubscriptionRepeatingCouponEndsAfterItsMonths(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 1, 31, 12, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		co := newCoupon(t, sc, percentOff(25, "repeating", 3))
		tax := newTaxRate(t, sc, "Sales tax", 10, false)
		p := &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			Discounts:       []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(co.ID)}},
			DefaultTaxRates: []*string{stripe.String(tax.ID)},
		}
		p.AddExpand("discounts")
		s := subscribe(t, sc, p)
		if len(s.Discounts) != 1 || s.Discounts[0].Start != frozen.Unix() || s.Discounts[0].End != time.Date(2030, 4, 30, 12, 0, 0, 0, time.UTC).Unix() ||
			s.Discounts[0].Subscription != s.ID || s.Discounts[0].Source.Coupon.ID != co.ID {
			t.Fatalf("subscription discounts %+v", s.Discounts)
		}
		if len(s.DefaultTaxRates) != 1 || s.DefaultTaxRates[0].ID != tax.ID {
			t.Fatalf("default_tax_rates %v", s.DefaultTaxRates)
		}
		if slices.Index(eventTypes(f), "customer.discount.created") < 0 {
			t.Errorf("no customer.discount.created in %v", eventTypes(f))
		}
		// Renewals on Feb 28, Mar 31 and Apr 30: the last is the fourth
		// month, when the discount has ended.
		for i, want := range []int64{825, 825, 825, 1100, 1100} {
			if i > 0 {
				if _, err := advanceClock(sc, tc.ID, time.Unix(latestPeriodEnd(t, sc, s.ID), 0).Add(2*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			inv := latestInvoice(t, sc, s.ID)
			if inv.Total != want || inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != want {
				t.Errorf("invoice %d (%s): total %d status %s paid %d, want %d", i, time.Unix(inv.Created, 0).UTC(), inv.Total, inv.Status, inv.AmountPaid, want)
			}
			if got := len(inv.TotalTaxes); got != 1 {
				t.Errorf("invoice %d: %d taxes", i, got)
			}
		}
		if s := getSub(t, sc, s.ID); len(s.Discounts) != 0 {
			t.Errorf("ended discount still on the subscription: %v", s.Discounts)
		}
		if n := count(eventTypes(f), "customer.discount.deleted"); n != 1 {
			t.Errorf("%d customer.discount.deleted when the discount ended", n)
		}
	})
}

// latestPeriodEnd is the current period end of the subscription's item.
func latestPeriodEnd(t *testing.T, sc *stripe.Client, sub string) int64 {
	t.Helper()
	return getSub(t, sc, sub).Items.Data[0].CurrentPeriodEnd
}

func TestSubscriptionOnceCouponAndDeleteDiscount(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		once := newCoupon(t, sc, amountOff(500, "once"))
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			Discounts: []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(once.ID)}}})
		if inv := latestInvoice(t, sc, s.ID); inv.Total != 500 || len(inv.Discounts) != 1 {
			t.Errorf("first invoice total %d discounts %v", inv.Total, inv.Discounts)
		}
		if got := getSub(t, sc, s.ID); len(got.Discounts) != 0 {
			t.Errorf("a once discount stayed on the subscription: %v", got.Discounts)
		}
		f.Advance(31*24*time.Hour + 2*time.Hour)
		if inv := latestInvoice(t, sc, s.ID); inv.Total != 1000 || len(inv.Discounts) != 0 {
			t.Errorf("renewal total %d discounts %v", inv.Total, inv.Discounts)
		}

		// DELETE …/discount removes a forever discount; the next renewal
		// pays in full.
		forever := newCoupon(t, sc, percentOff(50, "forever", 0))
		up, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
			Discounts: []*stripe.SubscriptionUpdateDiscountParams{{Coupon: stripe.String(forever.ID)}},
		})
		if err != nil || len(up.Discounts) != 1 {
			t.Fatalf("update: %v %v", err, up)
		}
		discount := up.Discounts[0].ID
		if _, err := sc.V1Subscriptions.DeleteDiscount(ctx, s.ID, nil); err != nil {
			t.Fatal(err)
		}
		if body := lastResponse(t, f); !containsAll(body, `"deleted":true`, `"id":"`+discount+`"`, `"object":"discount"`) {
			t.Errorf("delete answer %s", body)
		}
		if got := getSub(t, sc, s.ID); len(got.Discounts) != 0 {
			t.Errorf("discounts after delete %v", got.Discounts)
		}
		_, err = sc.V1Subscriptions.DeleteDiscount(ctx, s.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "", "Subscription "+s.ID+" has no discount.")
		if n := count(eventTypes(f), "customer.discount.deleted"); n != 2 {
			t.Errorf("%d customer.discount.deleted (the once discount spent, the forever one deleted)", n)
		}
		f.Advance(31 * 24 * time.Hour)
		if inv := latestInvoice(t, sc, s.ID); inv.Total != 1000 {
			t.Errorf("renewal after delete total %d", inv.Total)
		}

		_, err = sc.V1Customers.DeleteDiscount(ctx, cu.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "", "Customer "+cu.ID+" has no discount.")
	})
}

// TestSubscriptionFreeWithFullCoupon: a 100% coupon makes the first invoice
// free, so a customer without a payment method starts active.
func TestSubscriptionFreeWithFullCoupon(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "", "")
		full := newCoupon(t, sc, percentOff(100, "forever", 0))
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			Discounts: []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(full.ID)}}})
		inv := latestInvoice(t, sc, s.ID)
		if s.Status != stripe.SubscriptionStatusActive || inv.Total != 0 || inv.Status != stripe.InvoiceStatusPaid || inv.Subtotal != 1000 {
			t.Errorf("status %s invoice %s total %d subtotal %d", s.Status, inv.Status, inv.Total, inv.Subtotal)
		}
	})
}

// TestSubscriptionItemDiscountsAndTaxRates: an item's own discount and
// rates come before the subscription's and replace its default rates.
func TestSubscriptionItemDiscountsAndTaxRates(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		a := monthlyPrice(t, sc, 2000, "month")
		b := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		itemCoupon := newCoupon(t, sc, amountOff(500, "forever"))
		subCoupon := newCoupon(t, sc, percentOff(10, "forever", 0))
		own := newTaxRate(t, sc, "Own", 5, false)
		def := newTaxRate(t, sc, "Default", 20, false)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID),
			Items: []*stripe.SubscriptionCreateItemParams{
				{Price: stripe.String(a.ID), Discounts: []*stripe.SubscriptionCreateItemDiscountParams{{Coupon: stripe.String(itemCoupon.ID)}},
					TaxRates: []*string{stripe.String(own.ID)}},
				{Price: stripe.String(b.ID)},
			},
			Discounts:       []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(subCoupon.ID)}},
			DefaultTaxRates: []*string{stripe.String(def.ID)},
		})
		if it := s.Items.Data[0]; len(it.Discounts) != 1 || len(it.TaxRates) != 1 || it.TaxRates[0].ID != own.ID {
			t.Fatalf("item discounts %v tax_rates %v", it.Discounts, it.TaxRates)
		}
		inv := latestInvoice(t, sc, s.ID)
		// A: 2000 − 500 = 1500, 10% → 150, 1350 × 5% = 67.5 → 68.
		// B: 1000, 10% → 100, 900 × 20% = 180.
		// Total 3000 − 750 + 248 = 2498.
		if inv.Total != 2498 || inv.Lines.Data[0].Taxes[0].Amount != 68 || inv.Lines.Data[1].Taxes[0].Amount != 180 {
			t.Errorf("total %d lines %+v %+v", inv.Total, inv.Lines.Data[0].Taxes[0], inv.Lines.Data[1].Taxes[0])
		}
		if got := lineDiscounts(inv.Lines.Data[0]); !slices.Equal(got, []int64{500, 150}) {
			t.Errorf("line A discounts %v", got)
		}
		// Clearing the item's rates puts it on the defaults.
		p := &stripe.SubscriptionItemUpdateParams{ProrationBehavior: stripe.String("none")}
		p.AddExtra("tax_rates", "")
		it, err := sc.V1SubscriptionItems.Update(ctx, s.Items.Data[0].ID, p)
		if err != nil || len(it.TaxRates) != 0 {
			t.Fatalf("item update: %v %v", err, it)
		}
	})
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestPreviewAndAddLinesTaxAlike: a preview's invoice_items with tax_rates
// come to what the same line added to a draft comes to.
func TestPreviewAndAddLinesTaxAlike(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		gst := newTaxRate(t, sc, "GST", 15, true)
		pst := newTaxRate(t, sc, "PST", 7, false)
		rates := []*string{stripe.String(gst.ID), stripe.String(pst.ID)}
		preview, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{
			Customer: stripe.String(cu.ID),
			InvoiceItems: []*stripe.InvoiceCreatePreviewInvoiceItemParams{{
				Amount: stripe.Int64(2345), Currency: stripe.String("usd"), TaxRates: rates,
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		off := newCoupon(t, sc, percentOff(50, "once", 0))
		added, err := sc.V1Invoices.AddLines(ctx, inv.ID, &stripe.InvoiceAddLinesParams{Lines: []*stripe.InvoiceAddLinesLineParams{{
			Amount: stripe.Int64(2345), TaxRates: rates,
		}, {
			Amount: stripe.Int64(1000), Discounts: []*stripe.InvoiceAddLinesLineDiscountParams{{Coupon: stripe.String(off.ID)}},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		// 2345 holds 15%: net round(2345 / 1.15) = 2039, GST 306; PST
		// 7% of 2039 = 142.73 → 143. The second line: 1000 − 500, untaxed.
		p, a := preview.Lines.Data[0], added.Lines.Data[0]
		if preview.Total != 2345+143 || len(p.Taxes) != 2 || p.Taxes[0].Amount != 306 || p.Taxes[1].Amount != 143 || p.Taxes[0].TaxableAmount != 2039 {
			t.Errorf("preview total %d taxes %+v %+v", preview.Total, p.Taxes[0], p.Taxes[1])
		}
		if len(a.Taxes) != 2 || a.Taxes[0].Amount != p.Taxes[0].Amount || a.Taxes[1].Amount != p.Taxes[1].Amount {
			t.Errorf("added line taxes %+v, preview %+v", a.Taxes, p.Taxes)
		}
		if added.Total != 2345+143+500 || !slices.Equal(lineDiscounts(added.Lines.Data[1]), []int64{500}) {
			t.Errorf("draft total %d second line %v", added.Total, lineDiscounts(added.Lines.Data[1]))
		}
	})
}
