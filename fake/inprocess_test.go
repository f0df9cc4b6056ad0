package fake_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// inProcessClient is a stripe-go client over f.HTTPClient() with retries
// retries.
func inProcessClient(f *fake.Fake, retries int64) *stripe.Client {
	return stripe.NewClient("sk_test_stripefake", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		HTTPClient: f.HTTPClient(), URL: stripe.String(f.URL()), MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

func TestHTTPClientRecordsRequests(t *testing.T) {
	for _, b := range testfake.Backends {
		t.Run(string(b), func(t *testing.T) {
			f := fake.New(t, fake.WithStore(testfake.Open(t, b)))
			sc := inProcessClient(f, 0)
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("amy@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
			if err != nil || got.Email != "amy@example.com" {
				t.Fatalf("retrieve: %v %+v", err, got)
			}
			if _, err := sc.V1Customers.Retrieve(ctx, "cus_missing", nil); !isStripeStatus(err, http.StatusNotFound) {
				t.Errorf("retrieve of a missing customer: %v, want a 404", err)
			}
			reqs := f.Requests()
			if len(reqs) != 3 || reqs[0].Route != "/v1/customers" || reqs[0].Status != 200 || reqs[1].Route != "/v1/customers/{customer}" ||
				reqs[0].Params.Get("email") != "amy@example.com" || reqs[0].IdempotencyKey == "" || reqs[2].Status != 404 {
				t.Errorf("recorded requests: %+v", reqs)
			}
			testfake.CheckResponses(t, f)
		})
	}
}

func isStripeStatus(err error, status int) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode == status
}

func TestHTTPClientIdempotency(t *testing.T) {
	f := fake.New(t)
	sc := inProcessClient(f, 0)
	p := func() *stripe.CustomerCreateParams {
		p := &stripe.CustomerCreateParams{Name: stripe.String("Amy")}
		p.SetIdempotencyKey("key-1")
		return p
	}
	a, err := sc.V1Customers.Create(ctx, p())
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.V1Customers.Create(ctx, p())
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if a.ID != b.ID || len(reqs) != 2 || reqs[1].IdempotencyKey != "key-1" {
		t.Errorf("second create with the key: %s then %s, requests %+v", a.ID, b.ID, reqs)
	}
	if a.LastResponse.Header.Get("Idempotent-Replayed") != "" || b.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed: %q then %q", a.LastResponse.Header.Get("Idempotent-Replayed"), b.LastResponse.Header.Get("Idempotent-Replayed"))
	}
}

func TestHTTPClientWebhooksBeforeResponse(t *testing.T) {
	f := fake.New(t)
	delivered := 0
	f.HandleWebhooks("https://svc.example/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { delivered++ }))
	f.AddWebhookEndpoint("https://svc.example/hooks")
	sc := inProcessClient(f, 0)
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
		t.Fatal(err)
	}
	// Read right after the call: no synchronization is needed because the
	// delivery happened before the response came back.
	if delivered != 1 {
		t.Errorf("%d deliveries when the create returned, want 1", delivered)
	}
}

func TestHTTPClientFaults(t *testing.T) {
	f := fake.New(t)
	sc := inProcessClient(f, 0)
	f.FailRequests("POST /v1/customers", 1, fake.RateLimit())
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); !isStripeStatus(err, http.StatusTooManyRequests) {
		t.Errorf("rate-limited create: %v, want a 429", err)
	}

	// A dropped connection is a transport error, not a Stripe error.
	f.FailRequests("POST /v1/customers", 1, fake.DropConnection())
	_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
	var se *stripe.Error
	if err == nil || errors.As(err, &se) {
		t.Errorf("create on a dropped connection: %v, want a transport error", err)
	}

	// stripe-go retries a dropped connection with the same key; the retry
	// creates one customer.
	retrying := inProcessClient(f, 1)
	f.FailRequests("POST /v1/customers", 1, fake.DropConnection())
	cu, err := retrying.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
	if err != nil {
		t.Fatalf("create retried after a drop: %v", err)
	}
	reqs := f.Requests()
	last, prev := reqs[len(reqs)-1], reqs[len(reqs)-2]
	if last.Status != 200 || prev.Status != 0 || last.IdempotencyKey != prev.IdempotencyKey {
		t.Errorf("dropped then retried: %+v then %+v", prev, last)
	}
	n := 0
	for c, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != cu.ID {
			t.Errorf("unexpected customer %s", c.ID)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d customers after the faults, want 1", n)
	}
}

func TestHTTPClientContextCancellation(t *testing.T) {
	f := fake.New(t)
	sc := inProcessClient(f, 0)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sc.V1Customers.Create(canceled, &stripe.CustomerCreateParams{}); !errors.Is(err, context.Canceled) {
		t.Errorf("create with a canceled context: %v, want context.Canceled", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests reached the fake, want 0", n)
	}

	// Canceled while the fake works (here, inside a webhook delivery): the
	// call returns at once; the fake finishes what it started.
	reqCtx, cancel := context.WithCancel(ctx)
	release := make(chan struct{})
	finished := make(chan struct{})
	f.HandleWebhooks("https://svc.example/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-release
	}))
	f.AddWebhookEndpoint("https://svc.example/hooks")
	go func() {
		defer close(finished)
		if _, err := sc.V1Customers.Create(reqCtx, &stripe.CustomerCreateParams{}); !errors.Is(err, context.Canceled) {
			t.Errorf("create canceled mid-request: %v, want context.Canceled", err)
		}
	}()
	<-finished
	close(release)
}

func TestHTTPClientAfterClose(t *testing.T) {
	f := fake.New(t)
	sc := inProcessClient(f, 0)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var se *stripe.Error
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err == nil || errors.As(err, &se) {
		t.Errorf("create on a closed fake: %v, want a transport error", err)
	}
}
