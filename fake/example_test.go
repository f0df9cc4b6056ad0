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
