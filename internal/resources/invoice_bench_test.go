package resources_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// BenchmarkInvoiceAdvance finalizes and pays n auto-advancing invoices
// (one item each, customers with a default card) in one Advance. Only the
// Advance is timed; ns/invoice is the figure to read. Its cost should grow
// with the number of due invoices, not with the time advanced:
//
//	go test -run '^$' -bench InvoiceAdvance -benchtime 1x ./resources/
func BenchmarkInvoiceAdvance(b *testing.B) {
	for _, backend := range testfake.Backends {
		for _, n := range []int{1000, 2000} {
			for _, d := range []time.Duration{2 * time.Hour, 30 * 24 * time.Hour} {
				b.Run(fmt.Sprintf("%s/invoices=%d/advance=%s", backend, n, d), func(b *testing.B) {
					var spent time.Duration
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						f, sc := testfake.New(b, backend)
						ids := make([]string, n)
						for i := range ids {
							ids[i] = benchInvoice(b, sc)
						}
						b.StartTimer()
						start := time.Now()
						f.Advance(d)
						spent += time.Since(start)
						b.StopTimer()
						benchCheckPaid(b, f, sc, ids[0], ids[n-1])
					}
					b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N*n), "ns/invoice")
				})
			}
		}
	}
}

func benchInvoice(b *testing.B, sc *stripe.Client) string {
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")}})
	if err != nil {
		b.Fatal(err)
	}
	inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(true)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(1000), Currency: stripe.String("usd"), Invoice: stripe.String(inv.ID)}); err != nil {
		b.Fatal(err)
	}
	return inv.ID
}

func benchCheckPaid(b *testing.B, f *fake.Fake, sc *stripe.Client, ids ...string) {
	for _, id := range ids {
		inv, err := sc.V1Invoices.Retrieve(ctx, id, nil)
		if err != nil || inv.Status != "paid" {
			b.Fatalf("invoice %s not paid: %v\n%s", id, err, f.Dump())
		}
	}
}
