package resources_test

import (
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// TestQuoteDiscountsAndTaxRates: a quote's discounts and tax rates (its
// own and its lines') are priced to the cent as the invoice prices them,
// and accepting it carries them onto the subscription, whose first
// invoice holds what the quote showed.
func TestQuoteDiscountsAndTaxRates(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, once, monthly := qtPrices(t, sc, 500, 2000)
		cu := qtCustomer(t, sc, "")
		quoteCo := newCoupon(t, sc, percentOff(10, "forever", 0))
		itemCo := newCoupon(t, sc, amountOff(200, "forever"))
		vat := newTaxRate(t, sc, "VAT", 10, false)
		own := newTaxRate(t, sc, "Own", 5, false)
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer: stripe.String(cu.ID),
			LineItems: []*stripe.QuoteCreateLineItemParams{
				{Price: stripe.String(monthly), Quantity: stripe.Int64(2),
					Discounts: []*stripe.QuoteCreateLineItemDiscountParams{{Coupon: stripe.String(itemCo.ID)}}},
				{Price: stripe.String(once), TaxRates: []*string{stripe.String(own.ID)}},
			},
			Discounts:       []*stripe.QuoteCreateDiscountParams{{Coupon: stripe.String(quoteCo.ID)}},
			DefaultTaxRates: []*string{stripe.String(vat.ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Monthly: 4000 − 200 = 3800, − 10% = 3420, + 10% VAT 342 = 3762.
		// One-time: 500 − 10% = 450, + 5% 22.5 → 23 = 473.
		if q.AmountTotal != 4235 || q.TotalDetails.AmountDiscount != 630 || q.TotalDetails.AmountTax != 365 ||
			q.Computed.Upfront.AmountTotal != 4235 || q.Computed.Recurring.AmountTotal != 3762 || q.Computed.Recurring.TotalDetails.AmountTax != 342 {
			t.Errorf("quote total %d details %+v upfront %d recurring %+v", q.AmountTotal, q.TotalDetails, q.Computed.Upfront.AmountTotal, q.Computed.Recurring)
		}
		if len(q.Discounts) != 1 || len(q.DefaultTaxRates) != 1 || q.DefaultTaxRates[0].ID != vat.ID {
			t.Errorf("discounts %v default_tax_rates %v", q.Discounts, q.DefaultTaxRates)
		}
		items := qtLineItems(t, sc, q.ID, false)
		if a := items[0]; a.AmountDiscount != 580 || a.AmountTax != 342 || a.AmountTotal != 3762 || len(a.Discounts) != 2 ||
			a.Discounts[0].Amount != 200 || a.Discounts[0].Discount.Source.Coupon.ID != itemCo.ID || len(a.Taxes) != 1 || a.Taxes[0].Rate.ID != vat.ID {
			t.Errorf("monthly item %+v discounts %+v taxes %+v", a, a.Discounts, a.Taxes)
		}
		if b := items[1]; b.AmountTotal != 473 || len(b.Taxes) != 1 || b.Taxes[0].Rate.ID != own.ID || b.Taxes[0].Amount != 23 {
			t.Errorf("one-time item %+v taxes %+v", b, b.Taxes)
		}
		// A bad tax rate is refused, naming it, with nothing changed.
		if _, err := sc.V1Quotes.Update(ctx, q.ID, &stripe.QuoteUpdateParams{DefaultTaxRates: []*string{stripe.String("txr_nope")}}); err == nil {
			t.Error("unknown tax rate accepted")
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		q, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := getSub(t, sc, q.Subscription.ID)
		if len(s.Discounts) != 1 || s.Discounts[0].ID != q.Discounts[0].ID || len(s.DefaultTaxRates) != 1 || len(s.Items.Data[0].Discounts) != 1 {
			t.Errorf("subscription discounts %v default_tax_rates %v item discounts %v", s.Discounts, s.DefaultTaxRates, s.Items.Data[0].Discounts)
		}
		inv := getInvoice(t, sc, q.Invoice.ID)
		if inv.Total != q.AmountTotal || inv.Status != stripe.InvoiceStatusPaid {
			t.Errorf("first invoice total %d status %s, the quote showed %d", inv.Total, inv.Status, q.AmountTotal)
		}
		// Each period after: what computed.recurring showed.
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID)})
		if preview.Total != q.Computed.Recurring.AmountTotal {
			t.Errorf("renewal preview %d, the quote's recurring %d", preview.Total, q.Computed.Recurring.AmountTotal)
		}
	})
}

// TestQuoteOneTimeDiscountsReachTheInvoice: a one-time quote's discounts
// and tax rates are on the invoice accepting it makes.
func TestQuoteOneTimeDiscountsReachTheInvoice(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, once, _ := qtPrices(t, sc, 1999, 0)
		cu := qtCustomer(t, sc, "")
		co := newCoupon(t, sc, amountOff(333, "once"))
		gst := newTaxRate(t, sc, "GST", 15, true)
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer:        stripe.String(cu.ID),
			LineItems:       []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once), Quantity: stripe.Int64(3)}},
			Discounts:       []*stripe.QuoteCreateDiscountParams{{Coupon: stripe.String(co.ID)}},
			DefaultTaxRates: []*string{stripe.String(gst.ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		// 5997 − 333 = 5664, GST inside: net round(5664 / 1.15) = 4925, tax 739.
		if q.AmountTotal != 5664 || q.TotalDetails.AmountTax != 739 || q.TotalDetails.AmountDiscount != 333 {
			t.Errorf("quote total %d details %+v", q.AmountTotal, q.TotalDetails)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		if q, err = sc.V1Quotes.Accept(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		inv := getInvoice(t, sc, q.Invoice.ID)
		if inv.Total != 5664 || len(inv.Discounts) != 1 || inv.Discounts[0].ID != q.Discounts[0].ID || len(inv.TotalTaxes) != 1 || inv.TotalTaxes[0].Amount != 739 {
			t.Errorf("invoice total %d discounts %v taxes %+v", inv.Total, inv.Discounts, inv.TotalTaxes)
		}
	})
}
