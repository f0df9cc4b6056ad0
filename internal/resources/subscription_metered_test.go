package resources_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// Metered prices on subscriptions: usage flows from meter events (v1, v2,
// the v2 stream) to the renewal invoice, billed in arrears; billing
// credits come off it at finalization and go back when it is voided.

// meteredPrice is a monthly metered price on meter, 5 per unit unless mod
// says otherwise.
func meteredPrice(t *testing.T, sc *stripe.Client, meter string, mod func(*stripe.PriceCreateParams)) *stripe.Price {
	t.Helper()
	p := &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(5),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(meter)},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("API")},
	}
	if mod != nil {
		mod(p)
	}
	pr, err := sc.V1Prices.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// meteredItems are subscription items of metered prices: no quantity.
func meteredItems(prices ...string) []*stripe.SubscriptionCreateItemParams {
	var out []*stripe.SubscriptionCreateItemParams
	for _, pr := range prices {
		out = append(out, &stripe.SubscriptionCreateItemParams{Price: stripe.String(pr)})
	}
	return out
}

// toRenewal moves the fake past the end of the subscription's current
// period and the renewal invoice's finalization, and returns the renewal
// invoice and the period that ended.
func toRenewal(t *testing.T, f *fake.Fake, sc *stripe.Client, sub string) (*stripe.Invoice, time.Time, time.Time) {
	t.Helper()
	start, end := period(getSub(t, sc, sub))
	f.Advance(end.Sub(f.Now()) + 2*time.Hour)
	inv := latestInvoice(t, sc, sub)
	if inv.Created != end.Unix() || inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCycle {
		t.Fatalf("renewal invoice created %d (want %d), reason %s", inv.Created, end.Unix(), inv.BillingReason)
	}
	return inv, start, end
}

// lineOf is the invoice's line of price, failing the test without one.
func lineOf(t *testing.T, inv *stripe.Invoice, price string) *stripe.InvoiceLineItem {
	t.Helper()
	for _, l := range inv.Lines.Data {
		if l.Pricing != nil && l.Pricing.PriceDetails != nil && l.Pricing.PriceDetails.Price != nil && l.Pricing.PriceDetails.Price.ID == price {
			return l
		}
	}
	t.Fatalf("invoice %s has no line of %s: %d lines", inv.ID, price, len(inv.Lines.Data))
	return nil
}

// wantUsageLine checks a metered line: quantity, amount and period.
func wantUsageLine(t *testing.T, l *stripe.InvoiceLineItem, qty, amount int64, start, end time.Time) {
	t.Helper()
	if l.Quantity != qty || l.Amount != amount || l.Period.Start != start.Unix() || l.Period.End != end.Unix() {
		t.Errorf("usage line: quantity %d amount %d period %d–%d, want %d %d %d–%d",
			l.Quantity, l.Amount, l.Period.Start, l.Period.End, qty, amount, start.Unix(), end.Unix())
	}
	if l.Parent == nil || l.Parent.Type != "subscription_item_details" || l.Parent.SubscriptionItemDetails.Proration {
		t.Errorf("usage line parent %+v", l.Parent)
	}
}

func TestMeteredSubscriptionBilledFromV1Events(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		// Usage before the subscription exists counts for nothing.
		mustSend(t, sc, "api_call", cu.ID, "1000", "", 0)
		f.Advance(time.Minute)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
		// Flexible billing mode (the default): nothing to bill up front, so
		// no first invoice.
		if s.Status != stripe.SubscriptionStatusActive || s.LatestInvoice != nil || s.Items.Data[0].Quantity != 0 {
			t.Fatalf("metered subscription: status %s latest_invoice %v quantity %d", s.Status, s.LatestInvoice, s.Items.Data[0].Quantity)
		}
		if got := subInvoices(t, sc, s.ID); len(got) != 0 {
			t.Fatalf("%d invoices at creation", len(got))
		}
		mustSend(t, sc, "api_call", cu.ID, "10", "", 0)
		f.Advance(10 * 24 * time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "5", "", 0)
		// Another customer's usage is not this one's.
		mustSend(t, sc, "api_call", newMeterCustomer(t, sc), "99", "", 0)

		inv, start, end := toRenewal(t, f, sc, s.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != 75 || inv.Total != 75 || len(inv.Lines.Data) != 1 {
			t.Fatalf("renewal: %s paid %d total %d lines %d", inv.Status, inv.AmountPaid, inv.Total, len(inv.Lines.Data))
		}
		if inv.PeriodStart != start.Unix() || inv.PeriodEnd != end.Unix() {
			t.Errorf("invoice period %d–%d", inv.PeriodStart, inv.PeriodEnd)
		}
		l := lineOf(t, inv, pr.ID)
		wantUsageLine(t, l, 15, 75, start, end)
		if l.Parent.SubscriptionItemDetails.SubscriptionItem != s.Items.Data[0].ID || l.Pricing.Type != "price_details" {
			t.Errorf("line parent %+v pricing %+v", l.Parent.SubscriptionItemDetails, l.Pricing)
		}

		// The next period bills only its own usage; a quiet period bills 0.
		mustSend(t, sc, "api_call", cu.ID, "3", "", 0)
		inv2, start2, end2 := toRenewal(t, f, sc, s.ID)
		if inv2.ID == inv.ID || inv2.Total != 15 || inv2.Status != stripe.InvoiceStatusPaid {
			t.Fatalf("second renewal %s total %d %s", inv2.ID, inv2.Total, inv2.Status)
		}
		wantUsageLine(t, lineOf(t, inv2, pr.ID), 3, 15, start2, end2)
		inv3, start3, end3 := toRenewal(t, f, sc, s.ID)
		if inv3.Total != 0 || inv3.Status != stripe.InvoiceStatusPaid {
			t.Errorf("quiet period: total %d %s", inv3.Total, inv3.Status)
		}
		wantUsageLine(t, lineOf(t, inv3, pr.ID), 0, 0, start3, end3)
	})
}

func TestMeteredSubscriptionV2EventsOnTestClock(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		m := newMeter(t, sc, "tokens", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
		advance := func(to time.Time) {
			t.Helper()
			if _, err := advanceClock(sc, tc.ID, to); err != nil {
				t.Fatal(err)
			}
		}
		// A v2 meter event, and two through a session's stream, which
		// authenticates with the session's token.
		if _, err := sc.V2BillingMeterEvents.Create(ctx, v2Event("tokens", cu.ID, "4", "", nil)); err != nil {
			t.Fatal(err)
		}
		advance(frozen.Add(5 * 24 * time.Hour))
		tok, _ := streamClient(t, f, sc)
		if err := tok.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: []*stripe.V2BillingMeterEventStreamCreateEventParams{
			streamEvent("tokens", cu.ID, "6", ""), streamEvent("tokens", cu.ID, "10", ""),
		}}); err != nil {
			t.Fatal(err)
		}
		end := frozen.AddDate(0, 1, 0)
		advance(end.Add(2 * time.Hour))
		inv := latestInvoice(t, sc, s.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Total != 100 || inv.Created != end.Unix() || inv.TestClock == nil || inv.TestClock.ID != tc.ID {
			t.Fatalf("renewal on clock: %s total %d created %d", inv.Status, inv.Total, inv.Created)
		}
		wantUsageLine(t, lineOf(t, inv, pr.ID), 20, 100, frozen, end)
	})
}

func TestMeteredAdjustmentCancelsUsage(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
		f.Advance(3 * 24 * time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "7", "order-1", 0)
		mustSend(t, sc, "api_call", cu.ID, "3", "order-2", 0)
		f.Advance(time.Hour)
		if _, err := sc.V1BillingMeterEventAdjustments.Create(ctx, &stripe.BillingMeterEventAdjustmentCreateParams{
			EventName: stripe.String("api_call"), Type: stripe.String("cancel"),
			Cancel: &stripe.BillingMeterEventAdjustmentCreateCancelParams{Identifier: stripe.String("order-1")},
		}); err != nil {
			t.Fatal(err)
		}
		// The v2 event API's adjustments cancel as well.
		if _, err := sc.V2BillingMeterEvents.Create(ctx, v2Event("api_call", cu.ID, "40", "order-3", nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V2BillingMeterEventAdjustments.Create(ctx, &stripe.V2BillingMeterEventAdjustmentCreateParams{
			EventName: stripe.String("api_call"), Type: stripe.String("cancel"),
			Cancel: &stripe.V2BillingMeterEventAdjustmentCreateCancelParams{Identifier: stripe.String("order-3")},
		}); err != nil {
			t.Fatal(err)
		}
		inv, start, end := toRenewal(t, f, sc, s.ID)
		wantUsageLine(t, lineOf(t, inv, pr.ID), 3, 15, start, end)
		if inv.Total != 15 || inv.Status != stripe.InvoiceStatusPaid {
			t.Errorf("renewal total %d %s", inv.Total, inv.Status)
		}
	})
}

func TestMeteredTieredAndPackagePricing(t *testing.T) {
	tier := func(upTo, unit, flat int64) *stripe.PriceCreateTierParams {
		p := &stripe.PriceCreateTierParams{UnitAmount: stripe.Int64(unit)}
		if upTo == 0 {
			p.UpToInf = stripe.Bool(true)
		} else {
			p.UpTo = stripe.Int64(upTo)
		}
		if flat != 0 {
			p.FlatAmount = stripe.Int64(flat)
		}
		return p
	}
	tiered := func(mode string) func(*stripe.PriceCreateParams) {
		return func(p *stripe.PriceCreateParams) {
			p.UnitAmount = nil
			p.BillingScheme = stripe.String("tiered")
			p.TiersMode = stripe.String(mode)
			p.Tiers = []*stripe.PriceCreateTierParams{tier(10, 100, 0), tier(0, 50, 200)}
		}
	}
	cases := []struct {
		name   string
		price  func(*stripe.PriceCreateParams)
		usage  []string
		qty    int64
		amount int64
	}{
		// 10 × 100 + 15 × 50 + 200 flat.
		{"graduated", tiered("graduated"), []string{"20", "5"}, 25, 1950},
		// All 25 at the second tier's 50, + 200 flat.
		{"volume", tiered("volume"), []string{"25"}, 25, 1450},
		{"graduated within the first tier", tiered("graduated"), []string{"4"}, 4, 400},
		// Packages of 10 at 500, rounded up: 3 packages.
		{"package", func(p *stripe.PriceCreateParams) {
			p.UnitAmount = stripe.Int64(500)
			p.TransformQuantity = &stripe.PriceCreateTransformQuantityParams{DivideBy: stripe.Int64(10), Round: stripe.String("up")}
		}, []string{"21", "4"}, 25, 1500},
	}
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		var subs []string
		var customers []string
		var prices []string
		for _, tc := range cases {
			pr := meteredPrice(t, sc, m.ID, tc.price)
			cu := payingCustomer(t, sc, "pm_card_visa", "")
			s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
			subs, customers, prices = append(subs, s.ID), append(customers, cu.ID), append(prices, pr.ID)
		}
		f.Advance(24 * time.Hour)
		for i, tc := range cases {
			for _, v := range tc.usage {
				mustSend(t, sc, "api_call", customers[i], v, "", 0)
			}
		}
		start, end := period(getSub(t, sc, subs[0]))
		f.Advance(end.Sub(f.Now()) + 2*time.Hour)
		for i, tc := range cases {
			inv := latestInvoice(t, sc, subs[i])
			l := lineOf(t, inv, prices[i])
			if l.Quantity != tc.qty || l.Amount != tc.amount || inv.Total != tc.amount || inv.Status != stripe.InvoiceStatusPaid {
				t.Errorf("%s: quantity %d amount %d total %d %s, want %d %d", tc.name, l.Quantity, l.Amount, inv.Total, inv.Status, tc.qty, tc.amount)
			}
			wantUsageLine(t, l, tc.qty, tc.amount, start, end)
		}
	})
}

func TestMeteredMixedWithLicensed(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		metered := meteredPrice(t, sc, m.ID, nil)
		licensed := monthlyPrice(t, sc, 2000, "month")
		items := append(itemsOf(licensed.ID, 2), meteredItems(metered.ID)...)

		// Flexible: the first invoice bills the licensed item only.
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: items})
		first := latestInvoice(t, sc, s.ID)
		if len(first.Lines.Data) != 1 || first.Total != 4000 || first.Status != stripe.InvoiceStatusPaid {
			t.Fatalf("flexible first invoice: %d lines total %d %s", len(first.Lines.Data), first.Total, first.Status)
		}
		if len(s.Items.Data) != 2 || s.Items.Data[0].Quantity != 2 || s.Items.Data[1].Quantity != 0 {
			t.Errorf("items %+v", s.Items.Data)
		}

		// Classic: a zero line for the metered item.
		cuClassic := payingCustomer(t, sc, "pm_card_visa", "")
		classic := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cuClassic.ID), Items: items,
			BillingMode: &stripe.SubscriptionCreateBillingModeParams{Type: stripe.String("classic")}})
		cf := latestInvoice(t, sc, classic.ID)
		start, end := period(classic)
		if len(cf.Lines.Data) != 2 || cf.Total != 4000 {
			t.Fatalf("classic first invoice: %d lines total %d", len(cf.Lines.Data), cf.Total)
		}
		wantUsageLine(t, lineOf(t, cf, metered.ID), 0, 0, start, end)

		// Quantity is not for metered items.
		_, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID),
			Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(metered.ID), Quantity: stripe.Int64(3)}}})
		stripeErr(t, err, 400, "", "items[0][quantity]", "")

		f.Advance(24 * time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "12", "", 0)
		inv, start, end := toRenewal(t, f, sc, s.ID)
		// The licensed item for the new period, in advance; the metered one
		// for the period that ended, in arrears.
		lic := lineOf(t, inv, licensed.ID)
		next := time.Unix(getSub(t, sc, s.ID).Items.Data[0].CurrentPeriodEnd, 0).UTC()
		if lic.Quantity != 2 || lic.Amount != 4000 || lic.Period.Start != end.Unix() || lic.Period.End != next.Unix() {
			t.Errorf("licensed line: quantity %d amount %d period %d–%d", lic.Quantity, lic.Amount, lic.Period.Start, lic.Period.End)
		}
		wantUsageLine(t, lineOf(t, inv, metered.ID), 12, 60, start, end)
		if len(inv.Lines.Data) != 2 || inv.Total != 4060 || inv.AmountPaid != 4060 || inv.Status != stripe.InvoiceStatusPaid {
			t.Errorf("mixed renewal: %d lines total %d paid %d %s", len(inv.Lines.Data), inv.Total, inv.AmountPaid, inv.Status)
		}
		// The classic subscription bills its (zero) usage the same way.
		cinv, _, _ := toRenewal(t, f, sc, classic.ID)
		if cinv.Total != 4000 || len(cinv.Lines.Data) != 2 {
			t.Errorf("classic renewal total %d lines %d", cinv.Total, len(cinv.Lines.Data))
		}
	})
}

func TestMeteredCreditsConsumedAndReinstated(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		licensed := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "", "")
		// send_invoice keeps the renewal open, so that it can be voided.
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: append(itemsOf(licensed.ID, 1), meteredItems(pr.ID)...),
			CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30),
		})
		paid, err := cgGrant(sc, cu.ID, 1000, nil) // priority 50 (default)
		if err != nil {
			t.Fatal(err)
		}
		promo, err := cgGrant(sc, cu.ID, 300, func(p *stripe.BillingCreditGrantCreateParams) {
			p.Priority = stripe.Int64(10)
			p.Category = stripe.String("promotional")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := cgAvailable(t, sc, cu.ID, nil); got != 1300 {
			t.Fatalf("available before %d", got)
		}
		f.Advance(24 * time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "400", "", 0) // 2000
		inv, _, _ := toRenewal(t, f, sc, s.ID)
		// 2000 of usage: 300 from the priority-10 grant, then 1000 from the
		// other; the licensed 1000 takes no credit.
		if inv.Status != stripe.InvoiceStatusOpen || inv.Subtotal != 3000 || inv.Total != 1700 || inv.AmountDue != 1700 {
			t.Fatalf("credited renewal: %s subtotal %d total %d due %d", inv.Status, inv.Subtotal, inv.Total, inv.AmountDue)
		}
		l := lineOf(t, inv, pr.ID)
		if len(inv.TotalPretaxCreditAmounts) != 2 || len(l.PretaxCreditAmounts) != 2 ||
			inv.TotalPretaxCreditAmounts[0].Amount != 300 || inv.TotalPretaxCreditAmounts[1].Amount != 1000 ||
			inv.TotalPretaxCreditAmounts[0].Type != "credit_balance_transaction" {
			t.Fatalf("credits: invoice %+v line %+v", inv.TotalPretaxCreditAmounts, l.PretaxCreditAmounts)
		}
		if lic := lineOf(t, inv, licensed.ID); len(lic.PretaxCreditAmounts) != 0 {
			t.Errorf("licensed line credited %+v", lic.PretaxCreditAmounts)
		}
		txn, err := sc.V1BillingCreditBalanceTransactions.Retrieve(ctx, inv.TotalPretaxCreditAmounts[0].CreditBalanceTransaction.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if txn.CreditGrant.ID != promo.ID || txn.Debit == nil || txn.Debit.CreditsApplied.Invoice.ID != inv.ID || txn.Debit.CreditsApplied.InvoiceLineItem != l.ID {
			t.Errorf("first application %+v", txn)
		}
		if got := cgAvailable(t, sc, cu.ID, nil); got != 0 {
			t.Errorf("available after the renewal %d", got)
		}
		if got, want := cgTxns(t, sc, cu.ID, promo.ID), []string{"credit:credits_granted:300", "debit:credits_applied:300"}; !slices.Equal(got, want) {
			t.Errorf("promo transactions %v", got)
		}

		// Voiding the invoice gives the credits back.
		if _, err := sc.V1Invoices.VoidInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := cgAvailable(t, sc, cu.ID, nil); got != 1300 {
			t.Errorf("available after void %d", got)
		}
		if got, want := cgTxns(t, sc, cu.ID, paid.ID), []string{"credit:credits_granted:1000", "debit:credits_applied:1000", "credit:credits_application_invoice_voided:1000"}; !slices.Equal(got, want) {
			t.Errorf("paid grant transactions %v", got)
		}
		if got := getInvoice(t, sc, inv.ID); got.Status != stripe.InvoiceStatusVoid || got.Total != 1700 {
			t.Errorf("voided invoice %s total %d", got.Status, got.Total)
		}
	})
}

func TestMeteredCancelInvoiceNow(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		billed := payingCustomer(t, sc, "pm_card_visa", "")
		dropped := payingCustomer(t, sc, "pm_card_visa", "")
		s1 := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(billed.ID), Items: meteredItems(pr.ID)})
		s2 := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(dropped.ID), Items: meteredItems(pr.ID)})
		start, _ := period(s1)
		f.Advance(24 * time.Hour)
		mustSend(t, sc, "api_call", billed.ID, "12", "", 0)
		mustSend(t, sc, "api_call", dropped.ID, "12", "", 0)
		f.Advance(9 * 24 * time.Hour)
		now := f.Now()

		// invoice_now bills the usage of the partial period.
		if _, err := sc.V1Subscriptions.Cancel(ctx, s1.ID, &stripe.SubscriptionCancelParams{InvoiceNow: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		inv := latestInvoice(t, sc, s1.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Total != 60 || inv.Created != now.Unix() {
			t.Fatalf("final invoice %s total %d created %d", inv.Status, inv.Total, inv.Created)
		}
		wantUsageLine(t, lineOf(t, inv, pr.ID), 12, 60, start, now)

		// Without it, the usage is discarded: no invoice, now or later.
		if _, err := sc.V1Subscriptions.Cancel(ctx, s2.ID, nil); err != nil {
			t.Fatal(err)
		}
		f.Advance(40 * 24 * time.Hour)
		if got := subInvoices(t, sc, s2.ID); len(got) != 0 {
			t.Errorf("%d invoices for the subscription canceled without invoice_now", len(got))
		}
		if got := subInvoices(t, sc, s1.ID); len(got) != 1 {
			t.Errorf("%d invoices after cancel with invoice_now", len(got))
		}
	})
}

func TestMeteredCancelAtPeriodEndBillsTheLastPeriod(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		f.Advance(time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "8", "", 0)
		start, end := period(s)
		f.Advance(end.Sub(f.Now()) + 2*time.Hour)
		if got := getSub(t, sc, s.ID); got.Status != stripe.SubscriptionStatusCanceled {
			t.Fatalf("status %s", got.Status)
		}
		inv := latestInvoice(t, sc, s.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Total != 40 {
			t.Fatalf("final invoice %s total %d", inv.Status, inv.Total)
		}
		wantUsageLine(t, lineOf(t, inv, pr.ID), 8, 40, start, end)
	})
}

func TestMeteredQuoteAccept(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		_, _, licensed := qtPrices(t, sc, 0, 1500)
		cu := qtCustomer(t, sc, "")
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{Customer: stripe.String(cu.ID), LineItems: []*stripe.QuoteCreateLineItemParams{
			{Price: stripe.String(pr.ID)}, {Price: stripe.String(licensed), Quantity: stripe.Int64(1)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		q, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Subscription == nil || q.Invoice == nil {
			t.Fatalf("accepted quote: subscription %v invoice %v", q.Subscription, q.Invoice)
		}
		s := getSub(t, sc, q.Subscription.ID)
		if len(s.Items.Data) != 2 || s.Status != stripe.SubscriptionStatusActive {
			t.Fatalf("subscription from quote: %d items %s", len(s.Items.Data), s.Status)
		}
		if inv := getInvoice(t, sc, q.Invoice.ID); inv.Total != 1500 || len(inv.Lines.Data) != 1 {
			t.Errorf("first invoice total %d lines %d", inv.Total, len(inv.Lines.Data))
		}
		f.Advance(time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "2", "", 0)
		inv, _, _ := toRenewal(t, f, sc, s.ID)
		if inv.Total != 1510 {
			t.Errorf("renewal total %d", inv.Total)
		}
		// A quote of metered items only makes a subscription with no
		// invoice to pay.
		only, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{Customer: stripe.String(cu.ID), LineItems: []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(pr.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, only.ID, nil); err != nil {
			t.Fatal(err)
		}
		only, err = sc.V1Quotes.Accept(ctx, only.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if only.Subscription == nil || only.Invoice != nil || only.Status != stripe.QuoteStatusAccepted {
			t.Errorf("metered-only quote: subscription %v invoice %v status %s", only.Subscription, only.Invoice, only.Status)
		}
	})
}

func TestMeteredLateUsageWithinTheGracePeriod(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		pr := meteredPrice(t, sc, m.ID, nil)
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: meteredItems(pr.ID)})
		f.Advance(time.Hour)
		mustSend(t, sc, "api_call", cu.ID, "20", "", 0)
		start, end := period(s)
		f.Advance(end.Sub(f.Now()) + 30*time.Minute)
		draft := latestInvoice(t, sc, s.ID)
		if draft.Status != stripe.InvoiceStatusDraft || lineOf(t, draft, pr.ID).Quantity != 20 {
			t.Fatalf("draft %s quantity %d", draft.Status, lineOf(t, draft, pr.ID).Quantity)
		}
		// Reported late, timestamped inside the period: billed, as the
		// invoice finalizes an hour after the period's end.
		mustSend(t, sc, "api_call", cu.ID, "30", "", end.Unix()-60)
		// Timestamped after it: the next period's.
		mustSend(t, sc, "api_call", cu.ID, "100", "", 0)
		f.Advance(time.Hour)
		inv := getInvoice(t, sc, draft.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Total != 250 || inv.AmountPaid != 250 {
			t.Fatalf("finalized %s total %d paid %d", inv.Status, inv.Total, inv.AmountPaid)
		}
		wantUsageLine(t, lineOf(t, inv, pr.ID), 50, 250, start, end)
		next, _, _ := toRenewal(t, f, sc, s.ID)
		if next.Total != 500 {
			t.Errorf("next renewal total %d", next.Total)
		}
	})
}

// A tiered licensed price renews at its tiers' amount: the item's stored
// price snapshot has no tiers (they render only when expanded).
func TestSubscriptionTieredLicensedRenews(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Currency: stripe.String("usd"), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("graduated"),
			Tiers: []*stripe.PriceCreateTierParams{
				{UpTo: stripe.Int64(10), UnitAmount: stripe.Int64(100)}, {UpToInf: stripe.Bool(true), UnitAmount: stripe.Int64(50)},
			},
			Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Seats")},
		})
		if err != nil {
			t.Fatal(err)
		}
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 15)})
		if first := latestInvoice(t, sc, s.ID); first.Total != 1250 {
			t.Errorf("first invoice %d, want 1250", first.Total)
		}
		if inv, _, _ := toRenewal(t, f, sc, s.ID); inv.Total != 1250 || inv.Status != stripe.InvoiceStatusPaid {
			t.Errorf("renewal %d %s, want 1250 paid", inv.Total, inv.Status)
		}
	})
}
