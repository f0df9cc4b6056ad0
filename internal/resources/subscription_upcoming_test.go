package resources_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// upcomingEvents are the invoice.upcoming events about subscription sub,
// with their payload.
func upcomingEvents(t *testing.T, f *fake.Fake, sub string) (at []time.Time, invs []map[string]any) {
	t.Helper()
	for _, ev := range f.Events() {
		if ev.Type != "invoice.upcoming" {
			continue
		}
		var inv map[string]any
		if err := json.Unmarshal(ev.Object, &inv); err != nil {
			t.Fatal(err)
		}
		parent, _ := inv["parent"].(map[string]any)
		details, _ := parent["subscription_details"].(map[string]any)
		if details["subscription"] == sub {
			at, invs = append(at, ev.Created), append(invs, inv)
		}
	}
	return at, invs
}

func TestInvoiceUpcomingBeforeEachRenewal(t *testing.T) {
	for _, lead := range []time.Duration{0, 3 * 24 * time.Hour} {
		opts := []fake.Option{fake.WithStartTime(testfake.Start)}
		want := 7 * 24 * time.Hour // the default
		if lead != 0 {
			opts = append(opts, fake.WithSubscriptions(func(c *resources.SubscriptionsConfig) { c.UpcomingInvoiceLead = lead }))
			want = lead
		}
		for _, onClock := range []bool{false, true} {
			t.Run(want.String()+map[bool]string{true: " test clock"}[onClock], func(t *testing.T) {
				testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
					pr := monthlyPrice(t, sc, 1000, "month")
					clock := ""
					advanceTo := f.AdvanceTo
					if onClock {
						tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Unix())})
						if err != nil {
							t.Fatal(err)
						}
						clock = tc.ID
						advanceTo = func(at time.Time) {
							if _, err := advanceClock(sc, clock, at); err != nil {
								t.Fatal(err)
							}
							f.Advance(0)
						}
					}
					cu := payingCustomer(t, sc, "pm_card_visa", clock)
					s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2)})
					// A second subscription sent by invoice gets none.
					quiet := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(monthlyPrice(t, sc, 500, "month").ID, 1),
						CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30)})
					_, end := period(s)
					due := end.Add(-want)
					advanceTo(due.Add(-time.Second))
					if at, _ := upcomingEvents(t, f, s.ID); len(at) != 0 {
						t.Fatalf("invoice.upcoming at %v, before %v", at, due)
					}
					advanceTo(due)
					at, invs := upcomingEvents(t, f, s.ID)
					if len(at) != 1 || !at[0].Equal(due) {
						t.Fatalf("invoice.upcoming at %v, want once at %v", at, due)
					}
					inv := invs[0]
					if inv["id"] != nil || inv["billing_reason"] != "upcoming" || inv["amount_due"] != float64(2000) || inv["period_end"] != float64(end.Unix()) {
						t.Errorf("payload: id %v reason %v amount_due %v period_end %v", inv["id"], inv["billing_reason"], inv["amount_due"], inv["period_end"])
					}
					// The next renewal's, a period later; none for the invoice sent.
					next := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
					advanceTo(next.Add(-want).Add(time.Hour))
					if at, _ := upcomingEvents(t, f, s.ID); len(at) != 2 || !at[1].Equal(next.Add(-want)) {
						t.Errorf("second invoice.upcoming at %v, want %v", at, next.Add(-want))
					}
					if at, _ := upcomingEvents(t, f, quiet.ID); len(at) != 0 {
						t.Errorf("invoice.upcoming for a send_invoice subscription at %v", at)
					}
					// Canceling at the period end: no renewal, no event.
					if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{CancelAtPeriodEnd: stripe.Bool(true)}); err != nil {
						t.Fatal(err)
					}
					advanceTo(time.Date(2026, 4, 15, 11, 0, 0, 0, time.UTC))
					if at, _ := upcomingEvents(t, f, s.ID); len(at) != 2 {
						t.Errorf("invoice.upcoming after cancel_at_period_end: %v", at)
					}
				}, opts...)
			})
		}
	}
}
