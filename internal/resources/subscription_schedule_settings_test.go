package resources_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// onClock runs fn on the fake's own clock and on a test clock: mk makes a
// paying customer on that timeline and advance moves it.
func onClock(t *testing.T, fn func(t *testing.T, f *fake.Fake, sc *stripe.Client, cu *stripe.Customer, advance func(time.Time))) {
	for _, clock := range []bool{false, true} {
		name := "fake_clock"
		if clock {
			name = "test_clock"
		}
		t.Run(name, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				advance := func(to time.Time) { f.AdvanceTo(to) }
				tcID := ""
				if clock {
					tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Unix())})
					if err != nil {
						t.Fatal(err)
					}
					tcID = tc.ID
					advance = func(to time.Time) {
						if _, err := advanceClock(sc, tc.ID, to); err != nil {
							t.Fatal(err)
						}
						f.Advance(0)
					}
				}
				fn(t, f, sc, payingCustomer(t, sc, "pm_card_visa", tcID), advance)
			})
		})
	}
}

// indexOf is the index of the first s in list at or after from, or -1.
func indexOf(list []string, s string, from int) int {
	for i := from; i < len(list); i++ {
		if list[i] == s {
			return i
		}
	}
	return -1
}

func TestSubscriptionSchedulePhaseDiscountsTaxesAndOneTimeItems(t *testing.T) {
	onClock(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client, cu *stripe.Customer, advance func(time.Time)) {
		basic := monthlyPrice(t, sc, 1000, "month")
		pro := monthlyPrice(t, sc, 2000, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		co := newCoupon(t, sc, percentOff(25, "forever", 0))
		vat := newTaxRate(t, sc, "VAT", 10, false)

		first := createPhase(basic.ID, 1, 1)
		second := createPhase(pro.ID, 1, 1)
		second.Discounts = []*stripe.SubscriptionScheduleCreatePhaseDiscountParams{{Coupon: stripe.String(co.ID)}}
		second.DefaultTaxRates = []*string{stripe.String(vat.ID)}
		second.AddInvoiceItems = []*stripe.SubscriptionScheduleCreatePhaseAddInvoiceItemParams{{Price: stripe.String(setup.ID), Quantity: stripe.Int64(2), Metadata: map[string]string{"kind": "setup"}}}
		second.Metadata = map[string]string{"tier": "pro"}
		second.Description = stripe.String("Pro plan")
		third := createPhase(basic.ID, 1, 1)
		third.CollectionMethod = stripe.String("send_invoice")
		third.InvoiceSettings = &stripe.SubscriptionScheduleCreatePhaseInvoiceSettingsParams{DaysUntilDue: stripe.Int64(14)}
		third.Metadata = map[string]string{"tier": "", "back": "basic"}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDateNow: stripe.Bool(true),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{first, second, third},
		})
		if err != nil {
			t.Fatal(err)
		}
		ph := sch.Phases[1]
		if len(ph.Discounts) != 1 || ph.Discounts[0].Coupon == nil || ph.Discounts[0].Coupon.ID != co.ID || len(ph.DefaultTaxRates) != 1 ||
			ph.DefaultTaxRates[0].ID != vat.ID || len(ph.AddInvoiceItems) != 1 || ph.AddInvoiceItems[0].Price.ID != setup.ID ||
			ph.AddInvoiceItems[0].Quantity != 2 || sch.Phases[2].InvoiceSettings == nil || sch.Phases[2].InvoiceSettings.DaysUntilDue != 14 {
			t.Fatalf("phase 2 as rendered: %+v", ph)
		}
		// Nothing is redeemed before the phase starts.
		if got, _ := sc.V1Coupons.Retrieve(ctx, co.ID, nil); got.TimesRedeemed != 0 {
			t.Errorf("coupon redeemed %d times at creation", got.TimesRedeemed)
		}
		s := getSub(t, sc, sch.Subscription.ID)
		if len(s.Discounts) != 0 || len(s.DefaultTaxRates) != 0 || latestInvoice(t, sc, s.ID).AmountPaid != 1000 {
			t.Fatalf("first phase: discounts %v tax %v", s.Discounts, s.DefaultTaxRates)
		}
		start := time.Unix(sch.CurrentPhase.StartDate, 0).UTC()
		b1, b2 := start.AddDate(0, 1, 0), start.AddDate(0, 2, 0)

		// At the boundary the subscription takes phase 2's discount, tax
		// rate, metadata and description, and its first invoice bills the
		// one-time items: (2000 + 2×500) − 25% = 2250, + 10% tax = 2475.
		n := len(f.Events())
		advance(b1.Add(2 * time.Hour)) // renewal invoices finalize an hour after the renewal
		s = getSub(t, sc, s.ID)
		if len(s.Discounts) != 1 || len(s.DefaultTaxRates) != 1 || s.DefaultTaxRates[0].ID != vat.ID ||
			s.Metadata["tier"] != "pro" || s.Description != "Pro plan" || s.Items.Data[0].Price.ID != pro.ID {
			t.Fatalf("after the boundary: discounts %d tax %v metadata %v description %q", len(s.Discounts), s.DefaultTaxRates, s.Metadata, s.Description)
		}
		inv := latestInvoice(t, sc, s.ID)
		var discount int64
		for _, d := range inv.TotalDiscountAmounts {
			discount += d.Amount
		}
		var tax int64
		for _, ta := range inv.TotalTaxes {
			tax += ta.Amount
		}
		if inv.Subtotal != 3000 || discount != 750 || tax != 225 || inv.Total != 2475 || inv.AmountPaid != 2475 || len(inv.Lines.Data) != 2 ||
			inv.PeriodEnd != b1.Unix() {
			t.Fatalf("phase 2's first invoice: subtotal %d discount %d tax %d total %d paid %d lines %v",
				inv.Subtotal, discount, tax, inv.Total, inv.AmountPaid, lineAmounts(inv))
		}
		if got, _ := sc.V1Coupons.Retrieve(ctx, co.ID, nil); got.TimesRedeemed != 1 {
			t.Errorf("coupon redeemed %d times after the boundary", got.TimesRedeemed)
		}
		found := 0
		for _, l := range inv.Lines.Data {
			if l.Pricing != nil && l.Pricing.PriceDetails != nil && l.Pricing.PriceDetails.Price != nil && l.Pricing.PriceDetails.Price.ID == setup.ID {
				found++
				if l.Quantity != 2 || l.Amount != 1000 || l.Metadata["kind"] != "setup" {
					t.Errorf("one-time line: quantity %d amount %d metadata %v", l.Quantity, l.Amount, l.Metadata)
				}
			}
		}
		if found != 1 {
			t.Errorf("%d one-time lines", found)
		}
		// Events in order: the one-time item, the subscription's change,
		// the schedule's, then the renewal invoice.
		evs := eventsSince(f, n)
		ii := indexOf(evs, "invoiceitem.created", 0)
		su := indexOf(evs, "customer.subscription.updated", ii+1)
		ss := indexOf(evs, "subscription_schedule.updated", su+1)
		ic := indexOf(evs, "invoice.created", ss+1)
		ip := indexOf(evs, "invoice.paid", ic+1)
		if ii < 0 || su < 0 || ss < 0 || ic < 0 || ip < 0 {
			t.Errorf("events at the boundary out of order: %v", evs)
		}

		// Phase 3 has no discount or tax: they go; send_invoice with its
		// days_until_due; its metadata unsets tier and adds back.
		advance(b2.Add(2 * time.Hour))
		s = getSub(t, sc, s.ID)
		inv = latestInvoice(t, sc, s.ID)
		if len(s.Discounts) != 0 || len(s.DefaultTaxRates) != 0 || s.CollectionMethod != stripe.SubscriptionCollectionMethodSendInvoice ||
			s.DaysUntilDue != 14 || s.Metadata["tier"] != "" || s.Metadata["back"] != "basic" {
			t.Fatalf("phase 3: discounts %d tax %d collection %s days %d metadata %v", len(s.Discounts), len(s.DefaultTaxRates), s.CollectionMethod, s.DaysUntilDue, s.Metadata)
		}
		if inv.Total != 1000 || inv.Status != stripe.InvoiceStatusOpen || inv.DueDate != b2.AddDate(0, 0, 14).Unix() || len(inv.TotalTaxes) != 0 {
			t.Errorf("phase 3's invoice: total %d status %s due %d", inv.Total, inv.Status, inv.DueDate)
		}
	})
}

func TestSubscriptionScheduleItemDiscountsAndTaxRatesAndCurrentPhaseUpdate(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		co := newCoupon(t, sc, amountOff(100, "forever"))
		gst := newTaxRate(t, sc, "GST", 5, false)
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		ph := createPhase(pr.ID, 2, 2)
		ph.Items[0].Discounts = []*stripe.SubscriptionScheduleCreatePhaseItemDiscountParams{{Coupon: stripe.String(co.ID)}}
		ph.Items[0].TaxRates = []*string{stripe.String(gst.ID)}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{ph},
		})
		if err != nil {
			t.Fatal(err)
		}
		// 2×1000 − 100 = 1900, + 5% = 95: 1995.
		s := getSub(t, sc, sch.Subscription.ID)
		inv := latestInvoice(t, sc, s.ID)
		if len(s.Items.Data[0].Discounts) != 1 || len(s.Items.Data[0].TaxRates) != 1 || inv.Total != 1995 {
			t.Fatalf("item discount and tax: discounts %d rates %d total %d", len(s.Items.Data[0].Discounts), len(s.Items.Data[0].TaxRates), inv.Total)
		}
		// Updating the current phase to drop the item's tax rate applies
		// at once; the coupon it names again keeps its discount.
		cur := &stripe.SubscriptionScheduleUpdatePhaseParams{
			StartDate: stripe.Int64(sch.CurrentPhase.StartDate), EndDate: stripe.Int64(sch.CurrentPhase.EndDate),
			Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(2),
				Discounts: []*stripe.SubscriptionScheduleUpdatePhaseItemDiscountParams{{Coupon: stripe.String(co.ID)}}}},
		}
		before := s.Items.Data[0].Discounts[0].ID
		if _, err := sc.V1SubscriptionSchedules.Update(ctx, sch.ID, &stripe.SubscriptionScheduleUpdateParams{Phases: []*stripe.SubscriptionScheduleUpdatePhaseParams{cur}}); err != nil {
			t.Fatal(err)
		}
		s = getSub(t, sc, s.ID)
		if len(s.Items.Data[0].TaxRates) != 0 || len(s.Items.Data[0].Discounts) != 1 || s.Items.Data[0].Discounts[0].ID != before {
			t.Errorf("after the update: rates %d discounts %v (was %s)", len(s.Items.Data[0].TaxRates), s.Items.Data[0].Discounts, before)
		}
		if got, _ := sc.V1Coupons.Retrieve(ctx, co.ID, nil); got.TimesRedeemed != 1 {
			t.Errorf("coupon redeemed %d times", got.TimesRedeemed)
		}
		if p := pendingItems(t, sc, cu.ID); len(p) != 0 {
			t.Errorf("a tax change made %d pending items", len(p))
		}
	})
}

func TestSubscriptionScheduleExpiringOnceSevenDaysBefore(t *testing.T) {
	onClock(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client, cu *stripe.Customer, advance func(time.Time)) {
		pr := monthlyPrice(t, sc, 1000, "month")
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDateNow: stripe.Bool(true),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 1), createPhase(pr.ID, 2, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		end := time.Unix(sch.Phases[1].EndDate, 0).UTC()
		expiring := func() int {
			n := 0
			for _, ev := range f.Events() {
				if ev.Type == "subscription_schedule.expiring" {
					if !strings.Contains(string(ev.Object), `"id":"`+sch.ID+`"`) || strings.Contains(string(ev.Object), "_expiring") {
						t.Errorf("expiring event object: %s", ev.Object)
					}
					n++
				}
			}
			return n
		}
		advance(end.Add(-7*24*time.Hour - time.Second))
		if n := expiring(); n != 0 {
			t.Fatalf("%d expiring events before 7 days out", n)
		}
		advance(end.Add(-7 * 24 * time.Hour))
		if n := expiring(); n != 1 {
			t.Fatalf("%d expiring events 7 days before the end", n)
		}
		// Extending the schedule does not announce it again.
		cur := getSchedule(t, sc, sch.ID)
		upd := []*stripe.SubscriptionScheduleUpdatePhaseParams{{
			StartDate: stripe.Int64(cur.CurrentPhase.StartDate), EndDate: stripe.Int64(end.AddDate(0, 1, 0).Unix()),
			Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(2)}},
		}}
		if _, err := sc.V1SubscriptionSchedules.Update(ctx, sch.ID, &stripe.SubscriptionScheduleUpdateParams{Phases: upd}); err != nil {
			t.Fatal(err)
		}
		advance(end.AddDate(0, 1, 0).Add(time.Hour))
		if n := expiring(); n != 1 {
			t.Errorf("%d expiring events in all", n)
		}
		if got := getSchedule(t, sc, sch.ID); got.Status != stripe.SubscriptionScheduleStatusReleased {
			t.Errorf("at the end: %s", got.Status)
		}
	})
}

func TestSubscriptionScheduleReleasePreserveCancelDate(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		mk := func() *stripe.SubscriptionSchedule {
			sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
				Customer: stripe.String(cu.ID), EndBehavior: stripe.String("cancel"),
				Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 3)},
			})
			if err != nil {
				t.Fatal(err)
			}
			return sch
		}
		sch := mk()
		end := sch.Phases[0].EndDate
		s := getSub(t, sc, sch.Subscription.ID)
		if s.CancelAt != end || s.CanceledAt == 0 {
			t.Fatalf("a schedule that cancels sets cancel_at %d (want %d), canceled_at %d", s.CancelAt, end, s.CanceledAt)
		}
		// Released without preserve_cancel_date: the cancellation goes.
		n := len(f.Events())
		if _, err := sc.V1SubscriptionSchedules.Release(ctx, sch.ID, nil); err != nil {
			t.Fatal(err)
		}
		s = getSub(t, sc, s.ID)
		if s.CancelAt != 0 || s.CanceledAt != 0 || s.Schedule != nil {
			t.Errorf("released: cancel_at %d canceled_at %d schedule %v", s.CancelAt, s.CanceledAt, s.Schedule)
		}
		if evs := eventsSince(f, n); count(evs, "customer.subscription.updated") != 1 || indexOf(evs, "subscription_schedule.released", 0) < indexOf(evs, "customer.subscription.updated", 0) {
			t.Errorf("release events %v", evs)
		}
		// With preserve_cancel_date the subscription still ends with the
		// schedule's end.
		sch2 := mk()
		rel, err := sc.V1SubscriptionSchedules.Release(ctx, sch2.ID, &stripe.SubscriptionScheduleReleaseParams{PreserveCancelDate: stripe.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		s2 := getSub(t, sc, sch2.Subscription.ID)
		if rel.Status != stripe.SubscriptionScheduleStatusReleased || s2.CancelAt != end || s2.Schedule != nil {
			t.Fatalf("preserved: %s cancel_at %d schedule %v", rel.Status, s2.CancelAt, s2.Schedule)
		}
		f.AdvanceTo(time.Unix(end, 0).Add(time.Hour))
		if s2 = getSub(t, sc, s2.ID); s2.Status != stripe.SubscriptionStatusCanceled || s2.EndedAt != end {
			t.Errorf("at the preserved date: %s ended %d", s2.Status, s2.EndedAt)
		}
		if s = getSub(t, sc, s.ID); s.Status != stripe.SubscriptionStatusActive {
			t.Errorf("the first, released, subscription: %s", s.Status)
		}
	})
}

func TestSubscriptionScheduleSettingsErrorsChangeNothing(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		co := newCoupon(t, sc, percentOff(10, "once", 0))
		n := len(f.Events())
		create := func(mod func(ph *stripe.SubscriptionScheduleCreatePhaseParams), p *stripe.SubscriptionScheduleCreateParams) error {
			ph := createPhase(pr.ID, 1, 1)
			mod(ph)
			if p == nil {
				p = &stripe.SubscriptionScheduleCreateParams{}
			}
			p.Customer = stripe.String(cu.ID)
			p.Phases = []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 1), ph}
			_, err := sc.V1SubscriptionSchedules.Create(ctx, p)
			return err
		}
		err := create(func(ph *stripe.SubscriptionScheduleCreatePhaseParams) {
			ph.Discounts = []*stripe.SubscriptionScheduleCreatePhaseDiscountParams{{Coupon: stripe.String(co.ID)}, {Coupon: stripe.String("nope")}}
		}, nil)
		stripeErr(t, err, 400, "resource_missing", "phases[1][discounts][1][coupon]", "")
		err = create(func(ph *stripe.SubscriptionScheduleCreatePhaseParams) {
			ph.AddInvoiceItems = []*stripe.SubscriptionScheduleCreatePhaseAddInvoiceItemParams{{Price: stripe.String(pr.ID)}}
		}, nil)
		stripeErr(t, err, 400, "", "phases[1][add_invoice_items][0][price]", "")
		err = create(func(ph *stripe.SubscriptionScheduleCreatePhaseParams) {
			ph.DefaultTaxRates = []*string{stripe.String("txr_nope")}
		}, nil)
		stripeErr(t, err, 400, "resource_missing", "phases[1][default_tax_rates][0]", "")
		err = create(func(ph *stripe.SubscriptionScheduleCreatePhaseParams) {
			ph.InvoiceSettings = &stripe.SubscriptionScheduleCreatePhaseInvoiceSettingsParams{AccountTaxIDs: []*string{stripe.String("atxi_1")}}
		}, nil)
		stripeErr(t, err, 400, "", "phases[1][invoice_settings][account_tax_ids]", "")
		err = create(func(*stripe.SubscriptionScheduleCreatePhaseParams) {}, &stripe.SubscriptionScheduleCreateParams{EndBehavior: stripe.String("renew")})
		stripeErr(t, err, 400, "", "end_behavior", "")
		if got := eventsSince(f, n); len(got) != 0 {
			t.Errorf("events after errors: %v", got)
		}
		if got, _ := sc.V1Coupons.Retrieve(ctx, co.ID, nil); got.TimesRedeemed != 0 {
			t.Errorf("coupon redeemed %d times by failed requests", got.TimesRedeemed)
		}
		listed := len(ids(t, sc.V1SubscriptionSchedules.List(ctx, &stripe.SubscriptionScheduleListParams{Customer: stripe.String(cu.ID)}).All(ctx)))
		if listed != 0 {
			t.Errorf("%d schedules after errors", listed)
		}
	})
}

// A coupon deleted and a tax rate archived before their phase starts do
// not stop the boundary (a job, with no caller to answer): the phase
// applies without them.
func TestSubscriptionSchedulePhaseWithGoneCouponStillStarts(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		co := newCoupon(t, sc, percentOff(50, "forever", 0))
		keep := newCoupon(t, sc, amountOff(100, "forever"))
		vat := newTaxRate(t, sc, "VAT", 20, false)
		second := createPhase(pr.ID, 1, 1)
		second.Discounts = []*stripe.SubscriptionScheduleCreatePhaseDiscountParams{{Coupon: stripe.String(co.ID)}, {Coupon: stripe.String(keep.ID)}}
		second.DefaultTaxRates = []*string{stripe.String(vat.ID)}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 1), second},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Coupons.Delete(ctx, co.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1TaxRates.Update(ctx, vat.ID, &stripe.TaxRateUpdateParams{Active: stripe.Bool(false)}); err != nil {
			t.Fatal(err)
		}
		f.AdvanceTo(time.Unix(sch.Phases[1].StartDate, 0).Add(2 * time.Hour))
		s := getSub(t, sc, sch.Subscription.ID)
		if inv := latestInvoice(t, sc, s.ID); len(s.Discounts) != 1 || len(s.DefaultTaxRates) != 0 || inv.Total != 900 {
			t.Errorf("phase 2 without the gone coupon and rate: discounts %d rates %d total %d", len(s.Discounts), len(s.DefaultTaxRates), inv.Total)
		}
		if got := getSchedule(t, sc, sch.ID); got.CurrentPhase == nil || got.CurrentPhase.StartDate != sch.Phases[1].StartDate {
			t.Errorf("the schedule did not move on: %+v", got.CurrentPhase)
		}
	})
}

func TestSubscriptionScheduleDefaultSettingsInvoiceDays(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID),
			DefaultSettings: &stripe.SubscriptionScheduleCreateDefaultSettingsParams{
				CollectionMethod: stripe.String("send_invoice"), Description: stripe.String("Default"),
				InvoiceSettings: &stripe.SubscriptionScheduleCreateDefaultSettingsInvoiceSettingsParams{DaysUntilDue: stripe.Int64(5)},
			},
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if sch.DefaultSettings.InvoiceSettings == nil || sch.DefaultSettings.InvoiceSettings.DaysUntilDue != 5 {
			t.Fatalf("default_settings.invoice_settings: %+v", sch.DefaultSettings.InvoiceSettings)
		}
		s := getSub(t, sc, sch.Subscription.ID)
		if s.CollectionMethod != stripe.SubscriptionCollectionMethodSendInvoice || s.DaysUntilDue != 5 || s.Description != "Default" {
			t.Errorf("subscription: %s days %d description %q", s.CollectionMethod, s.DaysUntilDue, s.Description)
		}
		if inv := latestInvoice(t, sc, s.ID); inv.DueDate != f.Now().AddDate(0, 0, 5).Unix() {
			t.Errorf("due date %d", inv.DueDate)
		}
	})
}

// A phase that would end past what the fake can schedule is a 400 naming
// the parameter that set its end, never a 500, and nothing is made.
func TestSchedulePhaseEndingTooFarAhead(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
		pr := testfake.RecurringPrice(t, sc, 1000, "month")
		_, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{{
				Items:   []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(pr.ID)}},
				EndDate: stripe.Int64(99999999999),
			}},
		})
		stripeErr(t, err, 400, "", "phases[0][end_date]", "")
		status, body := statusAt(t, f, "2024-09-30.acacia", "POST", "/v1/subscription_schedules", url.Values{
			"customer": {cu.ID}, "start_date": {"now"}, "phases[0][items][0][price]": {pr.ID}, "phases[0][iterations]": {"3000"},
		})
		if e, _ := body["error"].(map[string]any); status != 400 || e["param"] != "phases[0][iterations]" {
			t.Errorf("iterations=3000: %d %v", status, body)
		}
		if made := ids(t, sc.V1SubscriptionSchedules.List(ctx, nil).All(ctx)); len(made) != 0 {
			t.Errorf("schedules were made: %v", made)
		}
	})
}
