package resources_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

func createPhase(price string, qty int64, months int64) *stripe.SubscriptionScheduleCreatePhaseParams {
	ph := &stripe.SubscriptionScheduleCreatePhaseParams{Items: []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(qty)}}}
	if months > 0 {
		ph.Duration = &stripe.SubscriptionScheduleCreatePhaseDurationParams{Interval: stripe.String("month"), IntervalCount: stripe.Int64(months)}
	}
	return ph
}

func getSchedule(t *testing.T, sc *stripe.Client, id string) *stripe.SubscriptionSchedule {
	t.Helper()
	sch, err := sc.V1SubscriptionSchedules.Retrieve(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestSubscriptionSchedulePhasesAtTheBoundary(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic := monthlyPrice(t, sc, 1000, "month")
		pro := monthlyPrice(t, sc, 2000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		n := len(f.Events())
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDateNow: stripe.Bool(true), EndBehavior: stripe.String("release"),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(basic.ID, 1, 1), createPhase(pro.ID, 2, 2)},
		})
		if err != nil {
			t.Fatal(err)
		}
		start := f.Now()
		b1, b2 := start.AddDate(0, 1, 0), start.AddDate(0, 3, 0)
		if sch.Status != stripe.SubscriptionScheduleStatusActive || sch.Subscription == nil || sch.CurrentPhase == nil ||
			sch.CurrentPhase.StartDate != start.Unix() || sch.CurrentPhase.EndDate != b1.Unix() || len(sch.Phases) != 2 || sch.Phases[1].EndDate != b2.Unix() {
			t.Fatalf("created: %+v", sch)
		}
		s := getSub(t, sc, sch.Subscription.ID)
		if s.Schedule == nil || s.Schedule.ID != sch.ID || s.Items.Data[0].Price.ID != basic.ID || latestInvoice(t, sc, s.ID).AmountPaid != 1000 {
			t.Fatalf("subscription: schedule %v items %v", s.Schedule, s.Items.Data[0].Price.ID)
		}
		if got := eventsSince(f, n); count(got, "subscription_schedule.created") != 1 || count(got, "customer.subscription.created") != 1 {
			t.Errorf("events %v", got)
		}
		// The second phase starts with the second period: the renewal bills
		// it, without prorations.
		f.AdvanceTo(b1.Add(2 * time.Hour))
		s = getSub(t, sc, s.ID)
		inv := latestInvoice(t, sc, s.ID)
		if len(s.Items.Data) != 1 || s.Items.Data[0].Price.ID != pro.ID || s.Items.Data[0].Quantity != 2 || inv.AmountPaid != 4000 || len(inv.Lines.Data) != 1 {
			t.Fatalf("second phase: items %s×%d, invoice %d paid, lines %v", s.Items.Data[0].Price.ID, s.Items.Data[0].Quantity, inv.AmountPaid, lineAmounts(inv))
		}
		if got := getSchedule(t, sc, sch.ID); got.CurrentPhase.StartDate != b1.Unix() || got.Status != stripe.SubscriptionScheduleStatusActive {
			t.Errorf("schedule in phase 2: %+v", got.CurrentPhase)
		}
		// After the last phase the subscription is released and renews on.
		f.AdvanceTo(b2.Add(2 * time.Hour))
		got := getSchedule(t, sc, sch.ID)
		if got.Status != stripe.SubscriptionScheduleStatusReleased || got.ReleasedAt != b2.Unix() || got.ReleasedSubscription == nil || got.ReleasedSubscription.ID != s.ID || got.Subscription != nil {
			t.Errorf("after the last phase: %s released_at %d released_subscription %v", got.Status, got.ReleasedAt, got.ReleasedSubscription)
		}
		s = getSub(t, sc, s.ID)
		if s.Schedule != nil || s.Status != stripe.SubscriptionStatusActive || latestInvoice(t, sc, s.ID).AmountPaid != 4000 || s.Items.Data[0].CurrentPeriodStart != b2.Unix() {
			t.Errorf("released subscription: schedule %v status %s", s.Schedule, s.Status)
		}
		if evs := subEvents(t, f, sch.ID); count(evs, "subscription_schedule.released") != 1 || count(evs, "subscription_schedule.updated") < 1 {
			t.Errorf("schedule events %v", evs)
		}
	})
}

func TestSubscriptionScheduleMidPeriodPhaseProrates(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic := monthlyPrice(t, sc, 3100, "month")
		pro := monthlyPrice(t, sc, 6200, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		first := createPhase(basic.ID, 1, 0)
		first.EndDate = stripe.Int64(f.Now().AddDate(0, 0, 10).Unix()) // Jan 25 of Jan 15 – Feb 15 (31 days)
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDateNow: stripe.Bool(true),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{first, createPhase(pro.ID, 1, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(10 * 24 * time.Hour)
		pending := pendingItems(t, sc, cu.ID)
		var amounts []int64
		for _, ii := range pending {
			amounts = append(amounts, ii.Amount)
		}
		// −3100·21/31 and +6200·21/31.
		if len(amounts) != 2 || amounts[0]+amounts[1] != 4200-2100 {
			t.Fatalf("prorations at the boundary: %v", amounts)
		}
		s := getSub(t, sc, sch.Subscription.ID)
		if s.Items.Data[0].Price.ID != pro.ID {
			t.Errorf("items after the boundary: %s", s.Items.Data[0].Price.ID)
		}
	})
}

func TestSubscriptionScheduleNotStartedOnATestClockThenCancels(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Unix())})
		if err != nil {
			t.Fatal(err)
		}
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		start := f.Now().AddDate(0, 0, 5)
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDate: stripe.Int64(start.Unix()), EndBehavior: stripe.String("cancel"),
			Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 1)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if sch.Status != stripe.SubscriptionScheduleStatusNotStarted || sch.Subscription != nil || sch.CurrentPhase != nil || sch.TestClock == nil {
			t.Fatalf("created: %s %v %v", sch.Status, sch.Subscription, sch.CurrentPhase)
		}
		advance := func(to time.Time) {
			if _, err := advanceClock(sc, tc.ID, to); err != nil {
				t.Fatal(err)
			}
			f.Advance(0)
		}
		// The fake's own clock moving changes nothing on the test clock.
		f.Advance(10 * 24 * time.Hour)
		if got := getSchedule(t, sc, sch.ID); got.Status != stripe.SubscriptionScheduleStatusNotStarted {
			t.Fatalf("started by the fake's clock: %s", got.Status)
		}
		advance(start)
		got := getSchedule(t, sc, sch.ID)
		if got.Status != stripe.SubscriptionScheduleStatusActive || got.Subscription == nil {
			t.Fatalf("at start_date: %s", got.Status)
		}
		s := getSub(t, sc, got.Subscription.ID)
		if s.StartDate != start.Unix() || s.Schedule == nil || s.Schedule.ID != sch.ID || s.TestClock == nil {
			t.Errorf("subscription started %d (want %d) schedule %v", s.StartDate, start.Unix(), s.Schedule)
		}
		end := start.AddDate(0, 1, 0)
		advance(end.Add(time.Hour))
		got = getSchedule(t, sc, sch.ID)
		s = getSub(t, sc, s.ID)
		if got.Status != stripe.SubscriptionScheduleStatusCompleted || got.CompletedAt != end.Unix() || s.Status != stripe.SubscriptionStatusCanceled || s.EndedAt != end.Unix() {
			t.Errorf("at the end: schedule %s completed_at %d, subscription %s ended %d", got.Status, got.CompletedAt, s.Status, s.EndedAt)
		}
		if n := len(subInvoices(t, sc, s.ID)); n != 1 {
			t.Errorf("%d invoices, want only the first (no renewal)", n)
		}
	})
}

func TestSubscriptionScheduleFromSubscriptionUpdateRelease(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		basic := monthlyPrice(t, sc, 1000, "month")
		pro := monthlyPrice(t, sc, 2000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(basic.ID, 1)})
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{FromSubscription: stripe.String(s.ID)})
		if err != nil {
			t.Fatal(err)
		}
		start, end := period(s)
		if sch.Status != stripe.SubscriptionScheduleStatusActive || len(sch.Phases) != 1 || sch.Phases[0].StartDate != start.Unix() ||
			sch.Phases[0].EndDate != end.Unix() || sch.Phases[0].Items[0].Price.ID != basic.ID || sch.EndBehavior != "release" {
			t.Fatalf("from_subscription: %+v", sch)
		}
		if got := getSub(t, sc, s.ID); got.Schedule == nil || got.Schedule.ID != sch.ID {
			t.Fatalf("subscription.schedule %v", got.Schedule)
		}
		_, err = sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{FromSubscription: stripe.String(s.ID)})
		stripeErr(t, err, 400, "", "from_subscription", "")
		// Plan the upgrade for the next period.
		cur := &stripe.SubscriptionScheduleUpdatePhaseParams{StartDate: stripe.Int64(start.Unix()), EndDate: stripe.Int64(end.Unix()),
			Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(basic.ID), Quantity: stripe.Int64(1)}}}
		next := &stripe.SubscriptionScheduleUpdatePhaseParams{Items: []*stripe.SubscriptionScheduleUpdatePhaseItemParams{{Price: stripe.String(pro.ID), Quantity: stripe.Int64(1)}},
			Duration: &stripe.SubscriptionScheduleUpdatePhaseDurationParams{Interval: stripe.String("month")}}
		sch, err = sc.V1SubscriptionSchedules.Update(ctx, sch.ID, &stripe.SubscriptionScheduleUpdateParams{Phases: []*stripe.SubscriptionScheduleUpdatePhaseParams{cur, next}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sch.Phases) != 2 || sch.Phases[1].StartDate != end.Unix() {
			t.Fatalf("updated phases: %+v", sch.Phases)
		}
		if p := pendingItems(t, sc, cu.ID); len(p) != 0 {
			t.Errorf("updating a future phase made %d pending items", len(p))
		}
		f.AdvanceTo(end.Add(2 * time.Hour))
		if got := getSub(t, sc, s.ID); got.Items.Data[0].Price.ID != pro.ID || latestInvoice(t, sc, s.ID).AmountPaid != 2000 {
			t.Fatalf("after the boundary: %s", got.Items.Data[0].Price.ID)
		}
		rel, err := sc.V1SubscriptionSchedules.Release(ctx, sch.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Status != stripe.SubscriptionScheduleStatusReleased || rel.ReleasedSubscription == nil || rel.ReleasedSubscription.ID != s.ID {
			t.Errorf("released: %s %v", rel.Status, rel.ReleasedSubscription)
		}
		if got := getSub(t, sc, s.ID); got.Schedule != nil || got.Status != stripe.SubscriptionStatusActive {
			t.Errorf("after release: schedule %v status %s", got.Schedule, got.Status)
		}
		_, err = sc.V1SubscriptionSchedules.Release(ctx, sch.ID, nil)
		stripeErr(t, err, 400, "", "", "")
	})
}

func TestSubscriptionScheduleCancel(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 3)},
		})
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(24 * time.Hour)
		got, err := sc.V1SubscriptionSchedules.Cancel(ctx, sch.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := getSub(t, sc, sch.Subscription.ID)
		if got.Status != stripe.SubscriptionScheduleStatusCanceled || got.CanceledAt != f.Now().Unix() || s.Status != stripe.SubscriptionStatusCanceled {
			t.Errorf("canceled: schedule %s at %d, subscription %s", got.Status, got.CanceledAt, s.Status)
		}
		// Canceling the subscription itself cancels its schedule.
		sch2, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{createPhase(pr.ID, 1, 3)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Subscriptions.Cancel(ctx, sch2.Subscription.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got := getSchedule(t, sc, sch2.ID); got.Status != stripe.SubscriptionScheduleStatusCanceled {
			t.Errorf("schedule of a canceled subscription: %s", got.Status)
		}
		// Nothing runs after cancellation.
		f.Advance(100 * 24 * time.Hour)
		if n := len(subInvoices(t, sc, sch2.Subscription.ID)); n != 1 {
			t.Errorf("%d invoices after cancellation", n)
		}
		listed := len(ids(t, sc.V1SubscriptionSchedules.List(ctx, &stripe.SubscriptionScheduleListParams{Customer: stripe.String(cu.ID)}).All(ctx)))
		if listed != 2 {
			t.Errorf("listed %d schedules", listed)
		}
	})
}

func TestSubscriptionScheduleErrors(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		yearly := monthlyPrice(t, sc, 10000, "year")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		n := len(f.Events())
		_, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{Customer: stripe.String(cu.ID)})
		stripeErr(t, err, 400, "parameter_missing", "phases", "")
		bad := createPhase(pr.ID, 1, 1)
		bad.Items = append(bad.Items, &stripe.SubscriptionScheduleCreatePhaseItemParams{Price: stripe.String(yearly.ID)})
		_, err = sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{bad}})
		stripeErr(t, err, 400, "", "phases[0][items][1][price]", "")
		noEnd := createPhase(pr.ID, 1, 0)
		_, err = sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{Customer: stripe.String(cu.ID), Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{noEnd, createPhase(pr.ID, 1, 1)}})
		stripeErr(t, err, 400, "", "phases[0][end_date]", "")
		if got := eventsSince(f, n); len(got) != 0 {
			t.Errorf("events after errors: %v", got)
		}
	})
}
