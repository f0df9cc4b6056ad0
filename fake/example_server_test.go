package fake_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/store"
)

// reporter stands in for a test's *testing.T in these examples: it prints
// that a check failed instead of failing a test.
type reporter struct{ testing.TB }

func (reporter) Helper() {}

func (reporter) Errorf(string, ...any) { fmt.Println("check failed") }

// exampleClient is the stripe-go client every test wants: pointed at the
// fake, no retries, no logs.
func exampleClient(f *fake.Fake) *stripe.Client {
	return stripe.NewClient("sk_test_example", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(f.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

// ExampleFake_AssertEventTypes_subscription checks in one line each what a
// signup wrote and what it sent. In a test, pass t.
func ExampleFake_AssertEventTypes_subscription() {
	ctx := context.Background()
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := exampleClient(f)
	cus, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		PaymentMethod:   stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
	})
	price, _ := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Basic")},
	})
	sub, _ := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cus.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price.ID)}},
	})

	t := reporter{}
	f.AssertEventTypes(t, sub.ID, "customer.subscription.created")
	f.AssertRequestCount(t, "POST /v1/subscriptions", 1)
	ev := f.AssertEvent(t, "invoice.paid", "")
	fmt.Println("paid invoice event:", ev.Type)
	f.AssertNoEvent(t, "invoice.payment_failed", "")
	f.AssertEvent(t, "customer.subscription.deleted", sub.ID) // not canceled: this check fails
	// Output:
	// paid invoice event: invoice.paid
	// check failed
}

// ExampleFake_FailRequests_lockTimeout makes the next two customer
// creations answer Stripe's 429 lock_timeout; the third goes through.
func ExampleFake_FailRequests_lockTimeout() {
	ctx := context.Background()
	f, err := fake.Start()
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := exampleClient(f) // MaxNetworkRetries 0: each fault reaches the caller at once

	rule := f.FailRequests("POST /v1/customers", 2, fake.LockTimeout())
	for range 3 {
		_, err := sc.V1Customers.Create(ctx, nil)
		if se, ok := err.(*stripe.Error); ok {
			fmt.Println(se.HTTPStatusCode, se.Code)
		} else {
			fmt.Println("created", err == nil)
		}
	}
	fmt.Println("hits:", rule.Hits(), "customers:", len(f.Events()))
	// Output:
	// 429 lock_timeout
	// 429 lock_timeout
	// created true
	// hits: 2 customers: 1
}

// ExampleWithStore_bolt keeps a fake's state in a bbolt file. Reopened, the
// fake has its objects back and resumes its clock where it stopped, even
// under the same WithStartTime, so pending work runs exactly once.
func ExampleWithStore_bolt() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stripefake-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	open := func() *fake.Fake {
		s, err := store.OpenBolt(filepath.Join(dir, "stripe.db"))
		if err != nil {
			panic(err)
		}
		f, err := fake.Start(fake.WithStore(s), fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
		if err != nil {
			panic(err)
		}
		return f
	}

	f := open()
	cus, _ := exampleClient(f).V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	f.Advance(48 * time.Hour)
	if err := f.Close(); err != nil { // closes the store too
		panic(err)
	}

	f = open()
	defer f.Close()
	got, err := exampleClient(f).V1Customers.Retrieve(ctx, cus.ID, nil)
	fmt.Println(got.Email, err)
	fmt.Println(f.Now().UTC())
	// Output:
	// ada@example.com <nil>
	// 2026-01-17 12:00:00 +0000 UTC
}

// ExampleFake_Handler_control drives the control API over HTTP, as a test
// in another language does against cmd/stripefake: it moves the clock and
// reads it back.
func ExampleFake_Handler_control() {
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	call := func(method, path string, form url.Values) {
		req, _ := http.NewRequest(method, f.URL()+path, strings.NewReader(form.Encode()))
		req.SetBasicAuth("sk_test_example", "") // the API's key rule
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(body))
	}
	call("POST", "/_stripefake/advance", url.Values{"duration": {"36h"}})
	call("GET", "/_stripefake/now", nil)
	call("GET", "/_stripefake/faults", nil)
	// Output:
	// 200 {"object":"stripefake.clock","now":1768608000,"time":"2026-01-17T00:00:00Z"}
	// 200 {"object":"stripefake.clock","now":1768608000,"time":"2026-01-17T00:00:00Z"}
	// 200 {"object":"list","url":"/_stripefake/faults","has_more":false,"data":[]}
}
