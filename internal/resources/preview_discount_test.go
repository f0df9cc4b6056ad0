package resources_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// amountsOf is what a preview and the real invoice must agree on to the
// cent: each line's amount, discount amounts and tax amounts, and totals.
type invoiceAmounts struct {
	Lines                          [][3]int64 // amount, Σ discounts, Σ taxes
	Subtotal, Total, Tax, Discount int64
}

func amountsOf(inv *stripe.Invoice) invoiceAmounts {
	var a invoiceAmounts
	for _, l := range inv.Lines.Data {
		var d, tx int64
		for _, x := range l.DiscountAmounts {
			d += x.Amount
		}
		for _, x := range l.Taxes {
			tx += x.Amount
		}
		a.Lines = append(a.Lines, [3]int64{l.Amount, d, tx})
	}
	for _, x := range inv.TotalTaxes {
		a.Tax += x.Amount
	}
	for _, x := range inv.TotalDiscountAmounts {
		a.Discount += x.Amount
	}
	a.Subtotal, a.Total = inv.Subtotal, inv.Total
	return a
}

func sameAmounts(a, b invoiceAmounts) bool {
	return slices.Equal(a.Lines, b.Lines) && a.Subtotal == b.Subtotal && a.Total == b.Total && a.Tax == b.Tax && a.Discount == b.Discount
}

// TestPreviewSubscriptionDiscountsAndTaxes: a preview of a subscription
// with a discount and default tax rates comes to what the renewal and the
// update then invoice, to the cent; discounts named only in the preview
// are shown without being redeemed.
func TestPreviewSubscriptionDiscountsAndTaxes(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		co := newCoupon(t, sc, percentOff(25, "forever", 0))
		tax := newTaxRate(t, sc, "Sales tax", 10, false)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			Discounts:       []*stripe.SubscriptionCreateDiscountParams{{Coupon: stripe.String(co.ID)}},
			DefaultTaxRates: []*string{stripe.String(tax.ID)},
		})
		item := s.Items.Data[0].ID
		renewal := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID)})
		if renewal.Total != 825 || len(renewal.Discounts) != 1 || renewal.Discounts[0].ID != s.Discounts[0].ID || len(renewal.DefaultTaxRates) != 1 {
			t.Errorf("renewal preview total %d discounts %v default_tax_rates %v, want 825 with the subscription's", renewal.Total, renewal.Discounts, renewal.DefaultTaxRates)
		}

		// Discounts named only in the preview: an item's, and the
		// invoice's replacing the subscription's. Nothing is redeemed.
		itemCo := newCoupon(t, sc, amountOff(100, "forever"))
		half := newCoupon(t, sc, percentOff(50, "once", 0))
		events := len(f.Events())
		p := &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			Discounts: []*stripe.InvoiceCreatePreviewDiscountParams{{Coupon: stripe.String(half.ID)}},
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationBehavior: stripe.String("none"),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item),
					Discounts: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemDiscountParams{{Coupon: stripe.String(itemCo.ID)}}}}}}
		withHalf := previewOf(t, sc, p)
		// 1000 − 100 = 900, half off → 450, 10% tax → 45: 495.
		if withHalf.Total != 495 || !slices.Equal(lineDiscounts(withHalf.Lines.Data[0]), []int64{100, 450}) {
			t.Errorf("preview with discounts: total %d line discounts %v, want 495 [100 450]", withHalf.Total, lineDiscounts(withHalf.Lines.Data[0]))
		}
		if n := len(f.Events()); n != events {
			t.Errorf("the preview emitted %v", eventsSince(f, events))
		}
		for _, id := range []string{itemCo.ID, half.ID} {
			if got, err := sc.V1Coupons.Retrieve(ctx, id, nil); err != nil || got.TimesRedeemed != 0 {
				t.Errorf("coupon %s after the preview: %v times_redeemed %d", id, err, got.TimesRedeemed)
			}
		}
		if got := getSub(t, sc, s.ID); len(got.Items.Data[0].Discounts) != 0 || len(got.Discounts) != 1 {
			t.Errorf("the preview changed the subscription's discounts: %v %v", got.Discounts, got.Items.Data[0].Discounts)
		}

		// A change with the item's new discount and a quantity: the preview
		// equals the renewal that follows the same update.
		f.Advance(9*24*time.Hour + 5*time.Hour)
		pd := f.Now().Add(-time.Hour).Unix()
		details := &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd),
			DefaultTaxRates: []*string{stripe.String(tax.ID)},
			Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(3),
				Discounts: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemDiscountParams{{Coupon: stripe.String(itemCo.ID)}}}}}
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID), SubscriptionDetails: details})
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd),
			DefaultTaxRates: []*string{stripe.String(tax.ID)},
			Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(3),
				Discounts: []*stripe.SubscriptionUpdateItemDiscountParams{{Coupon: stripe.String(itemCo.ID)}}}}}); err != nil {
			t.Fatal(err)
		}
		_, end := period(getSub(t, sc, s.ID))
		f.AdvanceTo(end.Add(2 * time.Hour))
		real := latestInvoice(t, sc, s.ID)
		if want, got := amountsOf(real), amountsOf(preview); !sameAmounts(got, want) {
			t.Errorf("preview amounts\n %+v\nwant (the renewal)\n %+v", got, want)
		}
		if real.Total == 0 || len(real.TotalDiscountAmounts) != 2 {
			t.Errorf("renewal total %d discounts %v: want both discounts", real.Total, real.TotalDiscountAmounts)
		}
	})
}

// TestPreviewInvoiceItemDiscounts: create_preview with discounts[] and
// invoice_items[].discounts comes to what a draft with the same lines and
// discounts comes to, and redeems nothing.
func TestPreviewInvoiceItemDiscounts(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		line := newCoupon(t, sc, amountOff(300, "once"))
		inv10 := newCoupon(t, sc, percentOff(10, "once", 0))
		tax := newTaxRate(t, sc, "VAT", 20, true)
		events := len(f.Events())
		preview, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{
			Customer:  stripe.String(cu.ID),
			Discounts: []*stripe.InvoiceCreatePreviewDiscountParams{{Coupon: stripe.String(inv10.ID)}},
			InvoiceItems: []*stripe.InvoiceCreatePreviewInvoiceItemParams{
				{Amount: stripe.Int64(2000), Currency: stripe.String("usd"), TaxRates: []*string{stripe.String(tax.ID)},
					Discounts: []*stripe.InvoiceCreatePreviewInvoiceItemDiscountParams{{Coupon: stripe.String(line.ID)}}},
				{Amount: stripe.Int64(999), Currency: stripe.String("usd")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.Events()); n != events {
			t.Errorf("the preview emitted %v", eventsSince(f, events))
		}
		for _, id := range []string{line.ID, inv10.ID} {
			if got, err := sc.V1Coupons.Retrieve(ctx, id, nil); err != nil || got.TimesRedeemed != 0 {
				t.Errorf("coupon %s after the preview: %v times_redeemed %d", id, err, got.TimesRedeemed)
			}
		}
		draft, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(false),
			Discounts: []*stripe.InvoiceCreateDiscountParams{{Coupon: stripe.String(inv10.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		draft, err = sc.V1Invoices.AddLines(ctx, draft.ID, &stripe.InvoiceAddLinesParams{Lines: []*stripe.InvoiceAddLinesLineParams{
			{Amount: stripe.Int64(2000), TaxRates: []*string{stripe.String(tax.ID)},
				Discounts: []*stripe.InvoiceAddLinesLineDiscountParams{{Coupon: stripe.String(line.ID)}}},
			{Amount: stripe.Int64(999)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		// 2000 − 300 = 1700, − 170 = 1530 (VAT inside); 999 − 100 (99.9) = 899.
		if want, got := amountsOf(draft), amountsOf(preview); !sameAmounts(got, want) || preview.Total != 1530+899 {
			t.Errorf("preview amounts %+v, the draft's %+v (total want %d)", got, want, 1530+899)
		}
		// A bad coupon is refused, naming the parameter.
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			Discounts:    []*stripe.InvoiceCreatePreviewDiscountParams{{Coupon: stripe.String("nope")}},
			InvoiceItems: []*stripe.InvoiceCreatePreviewInvoiceItemParams{{Amount: stripe.Int64(100), Currency: stripe.String("usd")}}})
		if se, ok := err.(*stripe.Error); !ok || se.Param != "discounts[0][coupon]" {
			t.Errorf("bad coupon: %v", err)
		}
	})
}

// TestPreviewDiscountedUpgradeMatchesTheUpdate: an upgrade that starts a
// new period now
// with a new subscription discount (discounts[] on the update, the
// preview's own discounts[]) previews to the cent what the update bills.
func TestPreviewDiscountedUpgradeMatchesTheUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		base := monthlyPrice(t, sc, 1000, "month")
		big := monthlyPrice(t, sc, 3000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		tax := newTaxRate(t, sc, "GST", 5, false)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(base.ID, 1),
			DefaultTaxRates: []*string{stripe.String(tax.ID)}})
		co := newCoupon(t, sc, amountOff(777, "forever"))
		f.Advance(11*24*time.Hour + 3*time.Hour)
		pd := f.Now().Unix()
		item := s.Items.Data[0].ID
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			Discounts: []*stripe.InvoiceCreatePreviewDiscountParams{{Coupon: stripe.String(co.ID)}},
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd),
				BillingCycleAnchorNow: stripe.Bool(true),
				Items:                 []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Price: stripe.String(big.ID)}}}})
		u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd),
			BillingCycleAnchorNow: stripe.Bool(true),
			Discounts:             []*stripe.SubscriptionUpdateDiscountParams{{Coupon: stripe.String(co.ID)}},
			Items:                 []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Price: stripe.String(big.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		real := getInvoice(t, sc, u.LatestInvoice.ID)
		if want, got := amountsOf(real), amountsOf(preview); !sameAmounts(got, want) {
			t.Errorf("preview amounts\n %+v\nwant (the update's invoice)\n %+v", got, want)
		}
		if real.Total == 0 || len(real.TotalTaxes) != 1 || len(real.TotalDiscountAmounts) != 1 || real.TotalDiscountAmounts[0].Amount != 777 {
			t.Errorf("update invoice total %d taxes %v discounts %v", real.Total, real.TotalTaxes, real.TotalDiscountAmounts)
		}
	})
}
