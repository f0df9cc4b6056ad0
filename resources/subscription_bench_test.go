package resources_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// BenchmarkSubscriptionsYear advances 100 monthly subscriptions one year:
// 1,200 renewals (each a period change and a collection a hour later).
// Renewals are one job per subscription per period end, so the cost is
// linear in renewals and does not depend on how far a single Advance jumps.
func BenchmarkSubscriptionsYear(b *testing.B) {
	for _, backend := range testfake.Backends {
		b.Run(string(backend), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f, sc := testfake.New(b, backend, fake.WithStartTime(testfake.Start))
				pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
					Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1000),
					Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
					ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro")},
				})
				if err != nil {
					b.Fatal(err)
				}
				for range 100 {
					cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
						PaymentMethod:   stripe.String("pm_card_visa"),
						InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
					})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
						Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				f.AdvanceTo(testfake.Start.AddDate(1, 0, 0).Add(2 * time.Hour))
				b.StopTimer()
				renewals := 0
				for _, ev := range f.Events() {
					if ev.Type == "customer.subscription.updated" {
						renewals++
					}
				}
				if renewals != 1200 {
					b.Fatalf("%d renewals, want 1200", renewals)
				}
				b.ReportMetric(float64(renewals), "renewals/op")
				_ = f.Close()
				b.StartTimer()
			}
		})
	}
}
