package fake_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// WithSubscriptions reaches the lifecycle: trial_will_end comes one day
// before the trial ends instead of Stripe's three.
func TestWithSubscriptionsChangesTheLifecycle(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start),
		fake.WithSubscriptions(func(c *resources.SubscriptionsConfig) { c.TrialWillEndLead = 24 * time.Hour }))
	cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
	price := testfake.RecurringPrice(t, sc, 1000, "month")
	sub, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price.ID)}},
		TrialPeriodDays: stripe.Int64(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(8*24*time.Hour + 23*time.Hour)
	f.AssertNoEvent(t, "customer.subscription.trial_will_end", sub.ID)
	f.Advance(2 * time.Hour)
	ev := f.AssertEvent(t, "customer.subscription.trial_will_end", sub.ID)
	if want := testfake.Start.Add(9 * 24 * time.Hour); !ev.Created.Equal(want) {
		t.Errorf("trial_will_end at %v, want %v", ev.Created.UTC(), want)
	}
}
