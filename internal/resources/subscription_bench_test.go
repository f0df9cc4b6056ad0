package resources_test

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// BenchmarkSubscriptionsYear advances 100 monthly subscriptions one year:
// 1,200 renewals, each a period change and a real invoice (a draft, then
// finalized and paid an hour later), so 1,300 invoices with the first
// ones. Renewals are one job per subscription per period end and one per
// invoice, so the cost is linear in renewals and does not depend on how
// far a single Advance jumps. ns/invoice is the figure to read, and floor-calls/invoice the same in
// floor calls of this run (goal: about 2):
//
//	go test -run '^$' -bench SubscriptionsYear -benchtime 3x ./resources/
func BenchmarkSubscriptionsYear(b *testing.B) {
	for _, backend := range testfake.Backends {
		b.Run(string(backend), func(b *testing.B) {
			floor := testfake.Floor(b)
			var spent time.Duration
			invoices := 0
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
				start := time.Now()
				f.AdvanceTo(testfake.Start.AddDate(1, 0, 0).Add(2 * time.Hour))
				spent += time.Since(start)
				b.StopTimer()
				renewals, paid := 0, 0
				for _, ev := range f.Events() {
					switch ev.Type {
					case "customer.subscription.updated":
						renewals++
					case "invoice.paid":
						paid++
					}
				}
				if renewals != 1200 || paid != 1300 {
					b.Fatalf("%d renewals and %d invoices paid, want 1200 and 1300", renewals, paid)
				}
				invoices += paid
				_ = f.Close()
				b.StartTimer()
			}
			perInvoice := float64(spent.Nanoseconds()) / float64(invoices-100*b.N)
			b.ReportMetric(perInvoice, "ns/invoice")
			testfake.ReportFloorPer(b, floor, perInvoice, "floor-calls/invoice")
		})
	}
}
