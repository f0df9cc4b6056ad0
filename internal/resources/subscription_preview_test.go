package resources_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// previewLine is what a preview and the real invoice must agree on.
type previewLine struct {
	Amount     int64
	Desc       string
	Start, End int64
	Price      string
	Proration  bool
	Item       string
}

func (l previewLine) String() string {
	return fmt.Sprintf("%d %q [%d,%d] %s proration=%v %s", l.Amount, l.Desc, l.Start, l.End, l.Price, l.Proration, l.Item)
}

func linesOf(inv *stripe.Invoice) []previewLine {
	var out []previewLine
	for _, l := range inv.Lines.Data {
		pl := previewLine{Amount: l.Amount, Desc: l.Description, Start: l.Period.Start, End: l.Period.End}
		if l.Pricing != nil && l.Pricing.PriceDetails != nil && l.Pricing.PriceDetails.Price != nil {
			pl.Price = l.Pricing.PriceDetails.Price.ID
		}
		if l.Parent == nil {
			pl.Item = "no parent"
		} else if d := l.Parent.SubscriptionItemDetails; d != nil {
			pl.Proration, pl.Item = d.Proration, d.SubscriptionItem
		}
		out = append(out, pl)
	}
	return out
}

func previewOf(t *testing.T, sc *stripe.Client, p *stripe.InvoiceCreatePreviewParams) *stripe.Invoice {
	t.Helper()
	inv, err := sc.V1Invoices.CreatePreview(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestPreviewSubscriptionChangeMatchesTheUpdate(t *testing.T) {
	type change struct {
		name    string
		details func(item, other string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams
		update  func(item, other string, pd int64) *stripe.SubscriptionUpdateParams
		// immediate: the update invoices at once; else its prorations wait
		// for the renewal.
		immediate bool
	}
	changes := []change{
		{"quantity up", func(item, _ string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(3)}}}
		}, func(item, _ string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(3)}}}
		}, false},
		{"upgrade always_invoice", func(item, other string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd), ProrationBehavior: stripe.String("always_invoice"),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Price: stripe.String(other)}}}
		}, func(item, other string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd), ProrationBehavior: stripe.String("always_invoice"),
				Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Price: stripe.String(other)}}}
		}, true},
		{"swap items", func(item, other string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Deleted: stripe.Bool(true)}, {Price: stripe.String(other), Quantity: stripe.Int64(2)}}}
		}, func(item, other string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Deleted: stripe.Bool(true)}, {Price: stripe.String(other), Quantity: stripe.Int64(2)}}}
		}, false},
		{"cancel_at", func(_, _ string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd), CancelAt: stripe.Int64(pd + 5*86400)}
		}, func(_, _ string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd), CancelAt: stripe.Int64(pd + 5*86400)}
		}, false},
		{"to yearly", func(item, _ string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Price: stripe.String("yearly")}}}
		}, func(item, _ string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd),
				Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Price: stripe.String("yearly")}}}
		}, true},
		{"anchor now", func(_, _ string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd), BillingCycleAnchorNow: stripe.Bool(true)}
		}, func(_, _ string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd), BillingCycleAnchorNow: stripe.Bool(true)}
		}, true},
		{"trial added", func(_, _ string, pd int64) *stripe.InvoiceCreatePreviewSubscriptionDetailsParams {
			return &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(pd), TrialEnd: stripe.Int64(pd + 30*86400)}
		}, func(_, _ string, pd int64) *stripe.SubscriptionUpdateParams {
			return &stripe.SubscriptionUpdateParams{ProrationDate: stripe.Int64(pd), TrialEnd: stripe.Int64(pd + 30*86400)}
		}, true},
	}
	for _, ch := range changes {
		for _, onClock := range []bool{false, true} {
			name := ch.name
			if onClock {
				name += " on a test clock"
			}
			t.Run(name, func(t *testing.T) {
				eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
					base := monthlyPrice(t, sc, 1000, "month")
					other := monthlyPrice(t, sc, 2500, "month")
					yearly := monthlyPrice(t, sc, 12000, "year")
					clock := ""
					now := func() time.Time { return f.Now() }
					if onClock {
						tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Unix())})
						if err != nil {
							t.Fatal(err)
						}
						clock = tc.ID
						now = func() time.Time {
							tc, err := sc.V1TestHelpersTestClocks.Retrieve(ctx, clock, nil)
							if err != nil {
								t.Fatal(err)
							}
							return time.Unix(tc.FrozenTime, 0)
						}
					}
					advance := func(d time.Duration) {
						if !onClock {
							f.Advance(d)
							return
						}
						if _, err := advanceClock(sc, clock, now().Add(d)); err != nil {
							t.Fatal(err)
						}
						f.Advance(0)
					}
					cu := payingCustomer(t, sc, "pm_card_visa", clock)
					s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(base.ID, 1)})
					advance(10*24*time.Hour + 5*time.Hour)
					pd := now().Add(-3 * time.Hour).Unix()
					item := s.Items.Data[0].ID
					fix := func(price string) string {
						if price == "yearly" {
							return yearly.ID
						}
						return price
					}
					details := ch.details(item, other.ID, pd)
					for _, it := range details.Items {
						if it.Price != nil {
							it.Price = stripe.String(fix(*it.Price))
						}
					}
					update := ch.update(item, other.ID, pd)
					for _, it := range update.Items {
						if it.Price != nil {
							it.Price = stripe.String(fix(*it.Price))
						}
					}

					events := len(f.Events())
					preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID), Subscription: stripe.String(s.ID), SubscriptionDetails: details})
					// The preview changed nothing.
					if n := len(f.Events()); n != events {
						t.Fatalf("the preview emitted %v", eventsSince(f, events))
					}
					if p := pendingItems(t, sc, cu.ID); len(p) != 0 {
						t.Fatalf("the preview left %d pending items", len(p))
					}
					if got := getSub(t, sc, s.ID); len(got.Items.Data) != 1 || got.Items.Data[0].Price.ID != base.ID || got.Items.Data[0].Quantity != 1 || got.CancelAt != 0 {
						t.Fatalf("the preview changed the subscription: %+v", got.Items.Data[0])
					}
					if preview.Parent.SubscriptionDetails.SubscriptionProrationDate != pd {
						t.Errorf("subscription_proration_date %d, want %d", preview.Parent.SubscriptionDetails.SubscriptionProrationDate, pd)
					}
					var prorations int
					for _, l := range linesOf(preview) {
						if l.Proration {
							prorations++
						}
					}
					if prorations == 0 {
						t.Fatalf("no proration lines in the preview: %v", linesOf(preview))
					}

					u, err := sc.V1Subscriptions.Update(ctx, s.ID, update)
					if err != nil {
						t.Fatal(err)
					}
					var real *stripe.Invoice
					if ch.immediate {
						if u.LatestInvoice.ID == s.LatestInvoice.ID {
							t.Fatal("the update made no invoice")
						}
						real = getInvoice(t, sc, u.LatestInvoice.ID)
					} else {
						// The renewal bills the prorations with the next period.
						_, end := period(u)
						advance(end.Sub(now()) + 2*time.Hour)
						real = latestInvoice(t, sc, s.ID)
					}
					want, got := linesOf(real), linesOf(preview)
					// A new item's ID is only known after the update.
					for i := range got {
						if i < len(want) && got[i].Item != item && want[i].Item != item {
							got[i].Item = want[i].Item
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("preview lines\n %v\nwant (the real invoice)\n %v", got, want)
					}
					if preview.Total != real.Total || preview.AmountDue != real.AmountDue {
						t.Errorf("preview total %d due %d, real %d due %d", preview.Total, preview.AmountDue, real.Total, real.AmountDue)
					}
				})
			})
		}
	}
}

func TestPreviewSubscriptionRenewal(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2)})
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID)})
		start, end := period(s)
		if preview.Total != 2000 || preview.PeriodStart != start.Unix() || preview.PeriodEnd != end.Unix() || len(preview.Lines.Data) != 1 ||
			preview.Lines.Data[0].Period.Start != end.Unix() || preview.BillingReason != "upcoming" {
			t.Errorf("renewal preview: total %d period [%d,%d] lines %v reason %s", preview.Total, preview.PeriodStart, preview.PeriodEnd, linesOf(preview), preview.BillingReason)
		}
		f.AdvanceTo(end.Add(2 * time.Hour))
		if real := latestInvoice(t, sc, s.ID); !slices.Equal(linesOf(real), linesOf(preview)) {
			t.Errorf("renewal %v, preview %v", linesOf(real), linesOf(preview))
		}
	})
}

func TestPreviewSubscriptionErrors(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		other := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		_, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID),
			SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationDate: stripe.Int64(s.Items.Data[0].CurrentPeriodEnd + 10)}})
		stripeErr(t, err, 400, "", "subscription_details[proration_date]", "The proration_date must be within the current billing period.")
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String("sub_missing")})
		stripeErr(t, err, 400, stripe.ErrorCodeResourceMissing, "subscription", "")
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(other.ID), Subscription: stripe.String(s.ID)})
		stripeErr(t, err, 400, "", "customer", "")
		if _, err := sc.V1Subscriptions.Cancel(ctx, s.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(s.ID)})
		stripeErr(t, err, 404, stripe.ErrorCodeInvoiceUpcomingNone, "", "No upcoming invoices for customer: "+cu.ID)
	})
}

// samePricedLines drops the item IDs, which a preview cannot know for
// items that do not exist yet.
func samePricedLines(inv *stripe.Invoice) []previewLine {
	out := linesOf(inv)
	for i := range out {
		out[i].Item = ""
	}
	return out
}

func TestPreviewSchedule(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic := monthlyPrice(t, sc, 1000, "month")
		pro := monthlyPrice(t, sc, 2000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer:    stripe.String(cu.ID),
			EndBehavior: stripe.String("release"),
			Phases:      []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(basic.ID, 1, 1), createPhase(pro.ID, 1, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(10 * 24 * time.Hour)
		// The schedule's next invoice: the renewal that starts phase 2.
		preview := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Schedule: stripe.String(sch.ID)})
		if preview.Total != 2000 {
			t.Errorf("schedule preview total %d, lines %v", preview.Total, linesOf(preview))
		}
		// A change to the current phase previews the prorations the update makes.
		start, end := sch.Phases[0].StartDate, sch.Phases[0].EndDate
		n := len(f.Events())
		changed := previewOf(t, sc, &stripe.InvoiceCreatePreviewParams{Schedule: stripe.String(sch.ID), ScheduleDetails: &stripe.InvoiceCreatePreviewScheduleDetailsParams{
			Phases: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams{
				{StartDate: stripe.Int64(start), EndDate: stripe.Int64(end), Items: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseItemParams{{Price: stripe.String(basic.ID), Quantity: stripe.Int64(3)}}},
				{Items: []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseItemParams{{Price: stripe.String(pro.ID), Quantity: stripe.Int64(1)}}, Duration: &stripe.InvoiceCreatePreviewScheduleDetailsPhaseDurationParams{Interval: stripe.String("month")}},
			},
		}})
		if got := eventsSince(f, n); len(got) != 0 {
			t.Fatalf("the preview emitted %v", got)
		}
		if _, err := sc.V1SubscriptionSchedules.Update(ctx, sch.ID, &stripe.SubscriptionScheduleUpdateParams{Phases: []*stripe.SubscriptionScheduleUpdatePhaseParams{
			{StartDate: stripe.Int64(start), EndDate: stripe.Int64(end), Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(basic.ID), Quantity: stripe.Int64(3)}}},
			{Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(pro.ID), Quantity: stripe.Int64(1)}}, Duration: &stripe.SubscriptionScheduleUpdatePhaseDurationParams{Interval: stripe.String("month")}},
		}}); err != nil {
			t.Fatal(err)
		}
		f.AdvanceTo(time.Unix(end, 0).Add(2 * time.Hour))
		real := latestInvoice(t, sc, sch.Subscription.ID)
		if got, want := samePricedLines(changed), samePricedLines(real); !slices.Equal(got, want) || changed.Total != real.Total {
			t.Errorf("preview lines\n %v\nwant (the renewal)\n %v", got, want)
		}
	})
}
