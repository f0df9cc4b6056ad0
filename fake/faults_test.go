package fake_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// retryingClient is a stripe-go client that retries as in production
// (MaxNetworkRetries) but without sleeping between attempts, over
// connections that are not reused, so that every attempt reaches the fake.
func retryingClient(f *fake.Fake, retries int64) *stripe.Client {
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(f.URL()),
		MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:        &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	})
	backends.API.(*stripe.BackendImplementation).SetNetworkRetriesSleep(false)
	return stripe.NewClient("sk_test_faults", stripe.WithBackends(backends))
}

func statuses(rs []fake.Request) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Status)
	}
	return out
}

func TestFaultsThroughStripeGoRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inject   func(f *fake.Fake)
		wantErr  *stripe.Error // nil: the call succeeds in the end
		statuses []int         // what each attempt got
	}{
		{
			name:     "lock_timeout is retried until it succeeds",
			inject:   func(f *fake.Fake) { f.FailSequence("POST /v1/customers", fake.LockTimeout(), fake.LockTimeout()) },
			statuses: []int{429, 429, 200},
		},
		{
			name:     "lock_timeout always: three attempts, then the error",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", fake.Forever, fake.LockTimeout()) },
			wantErr:  &stripe.Error{HTTPStatusCode: 429, Code: stripe.ErrorCodeLockTimeout, Type: stripe.ErrorTypeInvalidRequest},
			statuses: []int{429, 429, 429},
		},
		{
			name:     "rate_limit is not retried",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", 1, fake.RateLimit()) },
			wantErr:  &stripe.Error{HTTPStatusCode: 429, Code: stripe.ErrorCodeRateLimit, Type: stripe.ErrorTypeInvalidRequest},
			statuses: []int{429},
		},
		{
			name:     "500 api_error with a JSON body is not retried",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", 1, fake.APIError()) },
			wantErr:  &stripe.Error{HTTPStatusCode: 500, Type: stripe.ErrorTypeAPI},
			statuses: []int{500},
		},
		{
			name:     "402 card decline",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", 1, fake.CardDeclined("insufficient_funds")) },
			wantErr:  &stripe.Error{HTTPStatusCode: 402, Code: stripe.ErrorCodeCardDeclined, Type: stripe.ErrorTypeCard, DeclineCode: stripe.DeclineCodeInsufficientFunds},
			statuses: []int{402},
		},
		{
			name:     "409 idempotency conflict is not retried",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", 1, fake.IdempotencyConflict()) },
			wantErr:  &stripe.Error{HTTPStatusCode: 409, Code: stripe.ErrorCodeIdempotencyKeyInUse, Type: stripe.ErrorTypeInvalidRequest},
			statuses: []int{409},
		},
		{
			name:     "a dropped connection is retried",
			inject:   func(f *fake.Fake) { f.FailRequests("POST /v1/customers", 1, fake.DropConnection()) },
			statuses: []int{0, 200},
		},
		{
			name:     "drop, 429 lock_timeout, then success",
			inject:   func(f *fake.Fake) { f.FailSequence("POST /v1/customers", fake.DropConnection(), fake.LockTimeout()) },
			statuses: []int{0, 429, 200},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := testfake.New(t, testfake.Memory)
			sc := retryingClient(f, 2)
			tc.inject(f)
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
			reqs := f.AssertRequestCount(t, "POST /v1/customers", len(tc.statuses))
			if got := statuses(reqs); !equalInts(got, tc.statuses) {
				t.Errorf("attempts got %v, want %v", got, tc.statuses)
			}
			for _, r := range reqs {
				if r.IdempotencyKey == "" || r.IdempotencyKey != reqs[0].IdempotencyKey || r.Params.Get("email") != "ada@example.com" {
					t.Errorf("attempt %+v: retries carry the same key and params", r)
				}
			}
			if tc.wantErr == nil {
				if err != nil || cu.Email != "ada@example.com" {
					t.Fatalf("got %v %+v", err, cu)
				}
				f.AssertEventTypes(t, cu.ID, "customer.created")
				return
			}
			var se *stripe.Error
			if !errors.As(err, &se) {
				t.Fatalf("want *stripe.Error, got %T %v", err, err)
			}
			if se.HTTPStatusCode != tc.wantErr.HTTPStatusCode || se.Code != tc.wantErr.Code || se.Type != tc.wantErr.Type || se.DeclineCode != tc.wantErr.DeclineCode || se.Msg == "" {
				t.Errorf("got %d %s/%s/%s %q", se.HTTPStatusCode, se.Type, se.Code, se.DeclineCode, se.Msg)
			}
			if se.Code == stripe.ErrorCodeIdempotencyKeyInUse && !strings.Contains(se.Msg, reqs[0].IdempotencyKey) {
				t.Errorf("409 message does not name the key: %q", se.Msg)
			}
			if n := len(f.Events()); n != 0 {
				t.Errorf("a faulted request changed state: %d events", n)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDroppedConnectionWithoutRetriesIsANetworkError(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	sc := retryingClient(f, 0)
	f.FailRequests("GET /v1/customers/{customer}", 1, fake.DropConnection())
	_, err := sc.V1Customers.Retrieve(ctx, "cus_missing", nil)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("want a transport error, got %T %v", err, err)
	}
	r := f.AssertRequestCount(t, "GET /v1/customers/{customer}", 1)
	if len(r) == 1 && (r[0].Status != 0 || r[0].Route != "/v1/customers/{customer}" || r[0].Path != "/v1/customers/cus_missing") {
		t.Errorf("recorded %+v", r[0])
	}
}

func TestFaultRulePatternsCountsAndRemoval(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The spec pattern matches the update, not the create or a retrieve.
	upd := f.FailRequests("POST /v1/customers/{customer}", 2, fake.APIError())
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("retrieve: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("x")}); err == nil {
			t.Errorf("update %d: not faulted", i)
		}
	}
	if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("x")}); err != nil {
		t.Errorf("third update: %v (the rule was spent)", err)
	}
	if upd.Hits() != 2 {
		t.Errorf("hits %d", upd.Hits())
	}

	// A literal path, any method; then Forever until removed.
	lit := f.FailRequests("/v1/customers/"+cu.ID, fake.Forever, fake.RateLimit())
	for i := 0; i < 3; i++ {
		if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err == nil {
			t.Errorf("retrieve %d: not faulted", i)
		}
	}
	lit.Remove()
	lit.Remove() // harmless
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("after Remove: %v", err)
	}

	// A prefix, and a sequence with a Pass step.
	f.FailSequence("GET /v1/customers*", fake.Pass(), fake.RateLimit())
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("pass step: %v", err)
	}
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err == nil {
		t.Errorf("second step not faulted")
	}
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("after the sequence: %v", err)
	}

	// "*" matches everything; ClearFaults removes it.
	f.FailRequests("*", fake.Forever, fake.APIError())
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err == nil {
		t.Errorf("* did not match")
	}
	f.ClearFaults()
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	got, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
	if got.Name != "x" {
		t.Errorf("state %+v", got)
	}
}

func TestFaultRuleMistakesFailTheTest(t *testing.T) {
	rt := &recordingTB{TB: t}
	f := fake.New(rt)
	f.FailRequests("customers", 1, fake.RateLimit())
	f.FailRequests("POST /v1/customers", 0, fake.RateLimit())
	f.FailSequence("POST /v1/customers")
	f.FailWebhooks("we_1", -5)
	if len(rt.errs) != 4 {
		t.Errorf("errors %q", rt.errs)
	}
	// None of them took effect.
	if _, err := testfake.Client(f).V1Customers.Create(ctx, nil); err != nil {
		t.Errorf("%v", err)
	}
}

func TestFailWebhooksFailsDeliveriesToOneEndpoint(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	f.HandleWebhooks("https://a.example/hooks", h)
	f.HandleWebhooks("https://b.example/hooks", h)
	a, _ := f.AddWebhookEndpoint("https://a.example/hooks", "customer.created")
	b, _ := f.AddWebhookEndpoint("https://b.example/hooks", "customer.created")
	rule := f.FailWebhooks(a, 1)
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || rule.Hits() != 1 {
		t.Fatalf("receiver called %d times (hits %d); the failed attempt must not reach it", calls.Load(), rule.Hits())
	}
	f.AssertWebhookDelivered(t, b, "customer.created", cu.ID)
	d := f.WebhookDeliveries()[0]
	if d.EndpointID != a || d.Status != "pending" || !strings.Contains(d.Attempts[0].Error, "FailWebhooks") {
		t.Errorf("%+v", d)
	}
	f.Advance(time.Hour)
	f.AssertWebhookDelivered(t, a, "customer.created", cu.ID)
	if calls.Load() != 2 {
		t.Errorf("receiver called %d times", calls.Load())
	}
}

// Fault injection and webhooks work together: a handler that calls back
// into a faulted fake sees the fault, and its delivery is retried.
func TestWebhookHandlerSeesInjectedFaults(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	var mu sync.Mutex
	var secret string
	var callbackErr error
	f.HandleWebhooks("https://svc.example/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readAll(t, r)
		mu.Lock()
		defer mu.Unlock()
		ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), secret)
		if err != nil {
			t.Errorf("ConstructEvent: %v", err)
			return
		}
		id, _ := ev.Data.Object["id"].(string)
		if _, callbackErr = sc.V1Customers.Retrieve(ctx, id, nil); callbackErr != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	_, s := f.AddWebhookEndpoint("https://svc.example/hooks", "customer.created")
	mu.Lock()
	secret = s
	mu.Unlock()
	f.FailRequests("GET /v1/customers/{customer}", 1, fake.LockTimeout())
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	var se *stripe.Error
	if !errors.As(callbackErr, &se) || se.Code != stripe.ErrorCodeLockTimeout {
		t.Errorf("call back: %v", callbackErr)
	}
	mu.Unlock()
	f.Advance(time.Hour)
	d := f.AssertWebhookDelivered(t, "", "customer.created", cu.ID)
	if len(d.Attempts) != 2 || d.Attempts[0].Status != 503 {
		t.Errorf("%+v", d)
	}
}

// A placeholder matches a route's parameter whatever the spec names it:
// subscriptions use {subscription_exposed_id}, products {id} (issue 12,
// item 12).
func TestFaultPatternPlaceholderNamesDoNotMatter(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		p, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Pro")})
		if err != nil {
			t.Fatal(err)
		}
		rule := f.FailRequests("POST /v1/products/{product}", 1, fake.RateLimit())
		_, err = sc.V1Products.Update(ctx, p.ID, &stripe.ProductUpdateParams{Name: stripe.String("Team")})
		if se, ok := err.(*stripe.Error); !ok || se.Code != "rate_limit" || rule.Hits() != 1 {
			t.Fatalf("update: %v, hits %d: want the rule on {product} to fire on /v1/products/{id}", err, rule.Hits())
		}
		f.RequireRequest(t, "POST /v1/products/{x}", map[string]string{"name": "Team"})
		f.AssertRequestCount(t, "POST /v1/products/{anything}", 1)
		// A literal segment still has to be equal.
		f.AssertRequestCount(t, "POST /v1/products/prod_other", 0)
	})
}

// A pattern that can match no route stops the test at once, naming the
// closest routes; the same for assertions (issue 12, item 12).
func TestFaultPatternMatchingNoRouteFailsAtOnce(t *testing.T) {
	rt := &recordingTB{TB: t}
	f := fake.New(rt)
	for _, pattern := range []string{
		"POST /v1/subscription/{subscription}",
		"POST /v1/subscriptions/{a}/{b}/{c}",
		"GET /v1/nothing/*",
		"PATCH /v1/customers",
	} {
		rt.errs = nil
		f.FailRequests(pattern, 1, fake.RateLimit())
		f.AssertRequestCount(rt, pattern, 0)
		if len(rt.errs) != 2 {
			t.Fatalf("%s: errors %q, want one from FailRequests and one from AssertRequestCount", pattern, rt.errs)
		}
		for _, e := range rt.errs {
			if !strings.HasPrefix(e, "FATAL: ") || !strings.Contains(e, "matches no route") || !strings.Contains(e, "closest: ") {
				t.Errorf("%s: %q", pattern, e)
			}
		}
	}
	if !strings.Contains(rt.errs[0], "POST /v1/customers") {
		t.Errorf("closest routes for PATCH /v1/customers: %q", rt.errs[0])
	}
	// Valid patterns of every form pass.
	rt.errs = nil
	for _, pattern := range []string{"*", "DELETE *", "/v1/invoices/*", "GET /v1/invoices/in_1/*", "POST /v1/customers/cus_1", "GET /v1/customers/search"} {
		f.FailRequests(pattern, 1, fake.RateLimit()).Remove()
	}
	if len(rt.errs) != 0 {
		t.Errorf("valid patterns failed: %q", rt.errs)
	}

	s, err := fake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "matches no route") {
			t.Errorf("fake from Start: recovered %v, want a panic naming the pattern", p)
		}
	}()
	s.FailRequests("POST /v1/subscription/{subscription}", 1, fake.RateLimit())
}
