package resources_test

import (
	"slices"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// TestPreviewNewSubscriptionMatchesCreation previews creating a
// subscription (customer and subscription_details[items], no
// subscription) and then creates the same subscription: the preview's
// lines and totals are the first invoice's, to the cent, and the preview
// writes nothing.
func TestPreviewNewSubscriptionMatchesCreation(t *testing.T) {
	type setup struct {
		name    string
		details func(a, b, rate string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams
		create  func(a, b, rate string) *stripe.SubscriptionCreateParams
		pending bool // the customer has a pending invoice item
		metered bool // b is a metered price
	}
	anchor := testfake.Start.Add(10 * 24 * time.Hour).Unix()
	trialEnd := testfake.Start.Add(14 * 24 * time.Hour).Unix()
	cases := []setup{
		{name: "two items", pending: true,
			details: func(a, b, _ string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
				return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{
					{Price: stripe.String(a), Quantity: stripe.Int64(3)}, {Price: stripe.String(b)}}}
			},
			create: func(a, b, _ string) *stripe.SubscriptionCreateParams {
				return &stripe.SubscriptionCreateParams{Items: []*stripe.SubscriptionCreateItemParams{
					{Price: stripe.String(a), Quantity: stripe.Int64(3)}, {Price: stripe.String(b)}}}
			}},
		{name: "future anchor",
			details: func(a, _, _ string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
				return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{BillingCycleAnchor: stripe.Int64(anchor),
					Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(a)}}}
			},
			create: func(a, _, _ string) *stripe.SubscriptionCreateParams {
				return &stripe.SubscriptionCreateParams{BillingCycleAnchor: stripe.Int64(anchor), Items: itemsOf(a, 1)}
			}},
		{name: "trial",
			details: func(a, _, _ string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
				return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{TrialEnd: stripe.Int64(trialEnd),
					Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(a)}}}
			},
			create: func(a, _, _ string) *stripe.SubscriptionCreateParams {
				return &stripe.SubscriptionCreateParams{TrialEnd: stripe.Int64(trialEnd), Items: itemsOf(a, 1)}
			}},
		{name: "default tax rates",
			details: func(a, _, rate string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
				return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{DefaultTaxRates: []*string{stripe.String(rate)},
					Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(a), Quantity: stripe.Int64(2)}}}
			},
			create: func(a, _, rate string) *stripe.SubscriptionCreateParams {
				return &stripe.SubscriptionCreateParams{DefaultTaxRates: []*string{stripe.String(rate)}, Items: itemsOf(a, 2)}
			}},
		{name: "classic billing mode", metered: true,
			details: func(a, b, _ string) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
				return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{
					BillingMode: &stripe.InvoiceCreatePreviewSubscriptionDetailsBillingModeParams{Type: stripe.String("classic")},
					Items:       []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(a)}, {Price: stripe.String(b)}}}
			},
			create: func(a, b, _ string) *stripe.SubscriptionCreateParams {
				return &stripe.SubscriptionCreateParams{BillingMode: &stripe.SubscriptionCreateBillingModeParams{Type: stripe.String("classic")},
					Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(a)}, {Price: stripe.String(b)}}}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				a, b := monthlyPrice(t, sc, 1250, "month"), monthlyPrice(t, sc, 999, "month")
				rate, err := sc.V1TaxRates.Create(ctx, &stripe.TaxRateCreateParams{
					DisplayName: stripe.String("VAT"), Percentage: stripe.Float64(19), Inclusive: stripe.Bool(false)})
				if err != nil {
					t.Fatal(err)
				}
				bID := b.ID
				if tc.metered {
					bID = cgMeteredPrice(t, sc, "api_calls")
				}
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				if tc.pending {
					if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
						Customer: stripe.String(cu.ID), Amount: stripe.Int64(300), Currency: stripe.String("usd")}); err != nil {
						t.Fatal(err)
					}
				}
				events := len(f.Events())
				preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID), SubscriptionDetails: tc.details(a.ID, bID, rate.ID)})
				if len(f.Events()) != events {
					t.Errorf("the preview wrote events: %d → %d", events, len(f.Events()))
				}
				p := tc.create(a.ID, bID, rate.ID)
				p.Customer = stripe.String(cu.ID)
				p.AddExpand("latest_invoice")
				s := subscribe(t, sc, p)
				first := s.LatestInvoice
				if first == nil {
					t.Fatal("no first invoice")
				}
				got, want := samePricedLines(preview), samePricedLines(first)
				if !slices.Equal(got, want) {
					t.Errorf("preview lines:\n%v\nfirst invoice:\n%v", got, want)
				}
				if preview.Subtotal != first.Subtotal || preview.Total != first.Total || preview.AmountDue != first.AmountDue ||
					preview.TotalExcludingTax != first.TotalExcludingTax ||
					preview.PeriodStart != first.PeriodStart || preview.PeriodEnd != first.PeriodEnd {
					t.Errorf("preview subtotal=%d total=%d due=%d period=[%d,%d]; first invoice %d %d %d [%d,%d]",
						preview.Subtotal, preview.Total, preview.AmountDue, preview.PeriodStart, preview.PeriodEnd,
						first.Subtotal, first.Total, first.AmountDue, first.PeriodStart, first.PeriodEnd)
				}
				if tc.metered && len(preview.Lines.Data) != 2 {
					t.Errorf("classic mode bills the metered item's $0 line: %v", got)
				}
				if tc.name == "default tax rates" && (preview.Total != 2975 || len(preview.TotalTaxes) != 1) {
					t.Errorf("taxed preview: total=%d taxes=%d", preview.Total, len(preview.TotalTaxes))
				}
			})
		})
	}
}

func TestPreviewNewSubscriptionErrors(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		items := []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(pr.ID)}}
		_, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items}})
		stripeErr(t, err, 400, stripe.ErrorCodeParameterMissing, "customer", "Missing required param: customer.")
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String("price_missing")}}}})
		stripeErr(t, err, 400, stripe.ErrorCodeResourceMissing, "subscription_details[items][0][price]", "")
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items, ProrationDate: stripe.Int64(testfake.Start.Unix())}})
		stripeErr(t, err, 400, "", "subscription_details[proration_date]", "")
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{TrialEnd: stripe.Int64(testfake.Start.Unix() - 10), Items: items}})
		stripeErr(t, err, 400, "", "subscription_details[trial_end]", "")
	})
}

// TestV76UpcomingNewSubscription: the legacy upcoming invoice with
// subscription_items and no subscription previews creating it.
func TestV76UpcomingNewSubscription(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		plan := monthlyPlan76(t, sc, 1500)
		preview := must76(sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID),
			SubscriptionItems: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan.ID), Quantity: stripe76.Int64(2)}}}))(t)
		s := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{Customer: stripe76.String(cu.ID),
			Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan.ID), Quantity: stripe76.Int64(2)}}}))(t)
		first := must76(sc.Invoices.Get(s.LatestInvoice.ID, nil))(t)
		got, want := upcomingLines76(preview.Lines.Data), upcomingLines76(first.Lines.Data)
		if !slices.Equal(got, want) || preview.Total != 3000 || first.Total != 3000 {
			t.Errorf("preview %d %+v\nfirst %d %+v", preview.Total, got, first.Total, want)
		}
		_, err := sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Customer: stripe76.String(cu.ID),
			SubscriptionItems: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan.ID)}}, SubscriptionProrationDate: stripe76.Int64(testfake.Start.Unix())})
		err76(t, err, 400, "", "subscription_proration_date", "")
		_, err = sc.Invoices.Upcoming(&stripe76.InvoiceUpcomingParams{Subscription: stripe76.String(s.ID), SubscriptionTrialFromPlan: stripe76.Bool(true)})
		err76(t, err, 400, "", "subscription_trial_from_plan", "")
	})
}

// TestPreviewCancelNowMatchesTheCancellation: subscription_details[cancel_now]
// previews the final invoice that canceling now with invoice_now and
// prorate makes, line for line.
func TestPreviewCancelNowMatchesTheCancellation(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 3000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2)})
		f.Advance(10 * 24 * time.Hour)
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(cu.ID), Subscription: stripe.String(s.ID), Amount: stripe.Int64(2500), Currency: stripe.String("usd")}); err != nil {
			t.Fatal(err)
		}
		events := len(f.Events())
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{CancelNow: stripe.Bool(true)}})
		if len(f.Events()) != events {
			t.Errorf("the preview wrote events: %d → %d", events, len(f.Events()))
		}
		lines := samePricedLines(preview)
		if len(lines) != 2 || !lines[0].Proration || lines[0].Amount >= 0 || lines[1].Amount != 2500 {
			t.Fatalf("cancel_now preview: %v", lines)
		}
		// proration_behavior=none: no credit.
		none := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{CancelNow: stripe.Bool(true), ProrationBehavior: stripe.String("none")}})
		if none.Total != 2500 || len(none.Lines.Data) != 1 {
			t.Errorf("cancel_now without prorations: total=%d lines=%v", none.Total, samePricedLines(none))
		}
		_, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{CancelNow: stripe.Bool(true), CancelAtPeriodEnd: stripe.Bool(true)}})
		stripeErr(t, err, 400, "", "subscription_details[cancel_at_period_end]", "")

		if _, err := sc.V1Subscriptions.Cancel(ctx, s.ID, &stripe.SubscriptionCancelParams{InvoiceNow: stripe.Bool(true), Prorate: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		var final *stripe.Invoice
		for inv, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Subscription: stripe.String(s.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if inv.BillingReason != "subscription_create" {
				final = inv
			}
		}
		if final == nil {
			t.Fatal("no final invoice")
		}
		if got := samePricedLines(final); !slices.Equal(got, lines) || final.Total != preview.Total || final.Subtotal != preview.Subtotal {
			t.Errorf("final invoice %d %v\npreview %d %v", final.Total, got, preview.Total, lines)
		}
	})
}

// TestPreviewResumeMatchesTheResumption: subscription_details[resume_at]=now
// on a paused subscription previews the invoice resuming it makes.
func TestPreviewResumeMatchesTheResumption(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2), TrialPeriodDays: stripe.Int64(7),
			TrialSettings: &stripe.SubscriptionCreateTrialSettingsParams{EndBehavior: &stripe.SubscriptionCreateTrialSettingsEndBehaviorParams{MissingPaymentMethod: stripe.String("pause")}},
		})
		_, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ResumeAt: stripe.String("now")}})
		stripeErr(t, err, 400, "", "subscription_details[resume_at]", "Subscription is not paused, so it cannot be resumed.")
		f.AdvanceTo(time.Unix(s.TrialEnd, 0).Add(time.Hour))
		pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String(pm.ID)}); err != nil {
			t.Fatal(err)
		}
		events := len(f.Events())
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ResumeAt: stripe.String("now")}})
		if len(f.Events()) != events || preview.Total != 2000 || len(preview.Lines.Data) != 1 || preview.Lines.Data[0].Period.Start != f.Now().Unix() {
			t.Fatalf("resume preview: events %d → %d, total %d, lines %v", events, len(f.Events()), preview.Total, samePricedLines(preview))
		}
		r, err := sc.V1Subscriptions.Resume(ctx, s.ID, &stripe.SubscriptionResumeParams{})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := sc.V1Invoices.Retrieve(ctx, r.LatestInvoice.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := samePricedLines(inv), samePricedLines(preview); !slices.Equal(got, want) || inv.Total != preview.Total {
			t.Errorf("resumption invoice %d %v\npreview %d %v", inv.Total, got, preview.Total, want)
		}
	})
}

// TestPreviewNewScheduleMatchesCreation: schedule_details without
// schedule previews creating a schedule that starts now: the first
// invoice of the subscription its first phase creates.
func TestPreviewNewScheduleMatchesCreation(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic, pro := monthlyPrice(t, sc, 1000, "month"), monthlyPrice(t, sc, 2500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		phase := func(price string, qty int64) *stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams {
			return &stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams{
				Items:    []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(qty)}},
				Duration: &stripe.InvoiceCreatePreviewScheduleDetailsPhaseDurationParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(1)},
			}
		}
		// The first phase adds a one-time item to its first invoice.
		setup, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(700),
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Setup")}})
		if err != nil {
			t.Fatal(err)
		}
		first := phase(basic.ID, 3)
		first.AddInvoiceItems = []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseAddInvoiceItemParams{{Price: stripe.String(setup.ID)}}
		events := len(f.Events())
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			ScheduleDetails: &stripe.InvoiceCreatePreviewScheduleDetailsParams{EndBehavior: stripe.String("release"),
				Phases: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams{first, phase(pro.ID, 1)}}})
		if len(f.Events()) != events || preview.Total != 3700 {
			t.Fatalf("schedule preview: events %d → %d, total %d %v", events, len(f.Events()), preview.Total, samePricedLines(preview))
		}
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
			ScheduleDetails: &stripe.InvoiceCreatePreviewScheduleDetailsParams{Phases: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams{
				{Items: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseItemParams{{Price: stripe.String(basic.ID)}}, StartDate: stripe.Int64(f.Now().Add(48 * time.Hour).Unix())}}}})
		stripeErr(t, err, 400, "", "schedule_details[phases][0][start_date]", "")

		createFirst := createPhase(basic.ID, 3, 1)
		createFirst.AddInvoiceItems = []*stripe.SubscriptionScheduleCreatePhaseAddInvoiceItemParams{{Price: stripe.String(setup.ID)}}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDateNow: stripe.Bool(true), EndBehavior: stripe.String("release"),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createFirst, createPhase(pro.ID, 1, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := sc.V1Subscriptions.Retrieve(ctx, sch.Subscription.ID, &stripe.SubscriptionRetrieveParams{Expand: []*string{stripe.String("latest_invoice")}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := samePricedLines(s.LatestInvoice), samePricedLines(preview); !slices.Equal(got, want) || s.LatestInvoice.Total != preview.Total {
			t.Errorf("first invoice %d %v\npreview %d %v", s.LatestInvoice.Total, got, preview.Total, want)
		}
	})
}
