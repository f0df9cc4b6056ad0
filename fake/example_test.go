package fake_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// Example points stripe-go at a fake and creates a customer. In a test,
// use fake.New(t), which closes the fake when the test ends.
func Example() {
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := stripe.NewClient("sk_test_example", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(f.URL()),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))

	cus, err := sc.V1Customers.Create(context.Background(), &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		panic(err)
	}
	fmt.Println(cus.Email, time.Unix(cus.Created, 0).UTC())
	for _, ev := range f.Events() {
		fmt.Println(ev.Type, ev.ObjectID == cus.ID)
	}
	// Output:
	// ada@example.com 2026-01-15 12:00:00 +0000 UTC
	// customer.created true
}

// ExampleFake_Advance moves the frozen clock; everything that falls due
// runs before Advance returns.
func ExampleFake_Advance() {
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	f.Advance(36 * time.Hour)
	fmt.Println(f.Now().UTC())
	fmt.Print(f.Dump())
	// Output:
	// 2026-01-17 00:00:00 +0000 UTC
	// stripefake at 2026-01-17T00:00:00Z
	// no scheduled jobs
}

// ExampleFake_Requests asserts on what the client sent.
func ExampleFake_Requests() {
	f, err := fake.Start()
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := stripe.NewClient("sk_test_example", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(f.URL()),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	_, _ = sc.V1Customers.Create(context.Background(), &stripe.CustomerCreateParams{
		Params: stripe.Params{Metadata: map[string]string{"order_id": "A-17"}},
	})
	for _, r := range f.Requests() {
		fmt.Println(r.Method, r.Path, r.Params.Get("metadata[order_id]"), r.Status)
	}
	// Output:
	// POST /v1/customers A-17 200
}

// Example_testClock bills a customer on a Stripe test clock: advancing the
// clock renews the subscription while the fake's own clock stays put.
func Example_testClock() {
	start := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	f, err := fake.Start(fake.WithStartTime(start))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	ctx := context.Background()
	sc := stripe.NewClient("sk_test_example", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(f.URL()),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))

	clock, _ := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(start.Unix())})
	cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		TestClock: stripe.String(clock.ID), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
	})
	price, _ := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Basic")},
	})
	_, _ = sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cus.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price.ID)}},
	})

	clock, _ = sc.V1TestHelpersTestClocks.Advance(ctx, clock.ID, &stripe.TestHelpersTestClockAdvanceParams{
		FrozenTime: stripe.Int64(start.AddDate(0, 1, 0).Add(2 * time.Hour).Unix()),
	})
	clock, _ = sc.V1TestHelpersTestClocks.Retrieve(ctx, clock.ID, nil)
	fmt.Println("clock:", clock.Status, time.Unix(clock.FrozenTime, 0).UTC())
	fmt.Println("fake: ", f.Now().UTC())
	for inv, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Customer: stripe.String(cus.ID)}).All(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Println(inv.BillingReason, inv.Status, inv.AmountPaid, time.Unix(inv.Created, 0).UTC())
	}
	// Output:
	// clock: ready 2026-02-15 14:00:00 +0000 UTC
	// fake:  2026-01-15 12:00:00 +0000 UTC
	// subscription_cycle paid 900 2026-02-15 12:00:00 +0000 UTC
	// subscription_create paid 900 2026-01-15 12:00:00 +0000 UTC
}
