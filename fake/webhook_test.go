package fake_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
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

// recordingTB records Errorf calls instead of failing the test, to check
// what the fake reports.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recordingTB) Logf(string, ...any) {}

// Fatalf records the failure like Errorf, marked FATAL, and returns: the
// caller is expected to stop on its own after it.
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf("FATAL: "+format, args...)
}

func readAll(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	return b
}

func TestInProcessWebhookHandler(t *testing.T) {
	var mu sync.Mutex
	var secret string
	var got []stripe.Event
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readAll(t, r)
		mu.Lock()
		s := secret
		mu.Unlock()
		ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), s)
		if err != nil {
			t.Errorf("ConstructEvent: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.URL.Path != "/stripe/webhooks" || r.Host != "svc.example" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("request %s %s %v", r.Host, r.URL.Path, r.Header)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		// No WriteHeader: 200, as net/http would answer.
	})
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		mu.Lock()
		got = nil
		mu.Unlock()
		id, s := f.AddWebhookEndpoint("https://svc.example/stripe/webhooks")
		mu.Lock()
		secret = s
		mu.Unlock()
		if !strings.HasPrefix(id, "we_") || !strings.HasPrefix(s, "whsec_") {
			t.Fatalf("AddWebhookEndpoint: %q %q", id, s)
		}
		if n := len(f.Requests()); n != 0 {
			t.Errorf("AddWebhookEndpoint recorded %d requests", n)
		}
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		ok := len(got) == 1 && got[0].Type == "customer.created" && got[0].Data.Object["id"] == cu.ID
		mu.Unlock()
		if !ok {
			t.Fatalf("handler got %v", got)
		}
		f.AssertWebhookDelivered(t, id, "customer.created", cu.ID)
		we, err := sc.V1WebhookEndpoints.Retrieve(ctx, id, nil)
		if err != nil || we.URL != "https://svc.example/stripe/webhooks" || len(we.EnabledEvents) != 1 || we.EnabledEvents[0] != "*" {
			t.Errorf("endpoint %v %+v", err, we)
		}
	}, fake.WithWebhookHandler("https://svc.example/stripe/webhooks", h))
}

func TestInProcessHandlerPanicIsAFailedDelivery(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	var calls atomic.Int32
	f.HandleWebhooks("https://svc.example/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			panic("handler bug")
		}
	}))
	f.AddWebhookEndpoint("https://svc.example/hooks", "customer.created")
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatalf("a panicking handler must not fail the request: %v", err)
	}
	d := f.WebhookDeliveries()[0]
	if d.Status != "pending" || !strings.Contains(d.Attempts[0].Error, "handler bug") {
		t.Errorf("%+v", d)
	}
	f.Advance(time.Hour)
	f.AssertWebhookDelivered(t, "", "customer.created", cu.ID)

	// With the handler removed, deliveries go over HTTP again.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	t.Cleanup(srv.Close)
	f.HandleWebhooks("https://svc.example/hooks", nil)
	f.HandleWebhooks(srv.URL, nil) // removing what is not there is harmless
	f.AddWebhookEndpoint(srv.URL, "customer.updated")
	if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Ada")}); err != nil {
		t.Fatal(err)
	}
	if d := f.AssertWebhookDelivered(t, "", "customer.updated", cu.ID); len(d.Attempts) != 1 || d.Attempts[0].Status != 202 {
		t.Errorf("%+v", d)
	}
}

func TestWebhookRedirectIsAFailure(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed")
	}))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(srv.Close)
	f.AddWebhookEndpoint(srv.URL, "customer.created")
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := f.WebhookDeliveries()[0]; d.Status != "pending" || d.Attempts[0].Status != http.StatusFound {
		t.Errorf("%+v", d)
	}
}

func TestWebhookOptionsConflicts(t *testing.T) {
	for name, opts := range map[string][]fake.Option{
		"client and timeout": {fake.WithWebhookClient(http.DefaultClient), fake.WithWebhookTimeout(time.Second)},
		"negative timeout":   {fake.WithWebhookTimeout(-time.Second)},
		"zero retry delay":   {fake.WithWebhookRetries(time.Hour, 0)},
	} {
		if f, err := fake.Start(opts...); err == nil {
			f.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	f, err := fake.Start(fake.WithWebhookTimeout(0), fake.WithWebhookRetries())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestAddWebhookEndpointRejectsBadInput(t *testing.T) {
	rt := &recordingTB{TB: t}
	f := fake.New(rt)
	if id, _ := f.AddWebhookEndpoint("https://svc.example/hooks", "customer.nonsense"); id != "" {
		t.Errorf("bad event type accepted: %s", id)
	}
	if id, _ := f.AddWebhookEndpoint("not a url"); id != "" {
		t.Errorf("bad url accepted: %s", id)
	}
	if len(rt.errs) != 2 || !strings.Contains(rt.errs[0], "enabled_events") {
		t.Errorf("errors %q", rt.errs)
	}
}

// ExampleWithWebhookHandler delivers webhooks to an http.Handler in
// process, signed so that webhook.ConstructEvent accepts them.
func ExampleWithWebhookHandler() {
	var secret string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Println("handler got", ev.Type)
	})
	f, err := fake.Start(fake.WithWebhookHandler("https://shop.example/stripe", handler))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	_, secret = f.AddWebhookEndpoint("https://shop.example/stripe", "customer.created")

	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(f.URL()), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	if _, err := sc.V1Customers.Create(context.Background(), nil); err != nil {
		panic(err)
	}
	fmt.Println("create returned")
	// Output:
	// handler got customer.created
	// create returned
}

// A handler that stops its goroutine (as t.FailNow and testify's require
// do) is a failed delivery, retried on schedule; the API call that caused
// it answers, and its idempotency key is kept (issue 12, item 11).
func TestWebhookHandlerThatStopsItsGoroutine(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var calls atomic.Int32
		f.HandleWebhooks("https://svc.example/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				runtime.Goexit()
			}
		}))
		we, _ := f.AddWebhookEndpoint("https://svc.example/hooks", "customer.created")
		params := &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")}
		params.SetIdempotencyKey("create-ada")
		cu, err := sc.V1Customers.Create(ctx, params)
		if err != nil {
			t.Fatalf("create: %v (the connection must not drop)", err)
		}
		again := &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")}
		again.SetIdempotencyKey("create-ada")
		replay, err := sc.V1Customers.Create(ctx, again)
		if err != nil || replay.ID != cu.ID {
			t.Fatalf("retry with the same key: %v %v, want the replay of %s", err, replay, cu.ID)
		}
		n := 0
		for _, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("%d customers, want 1", n)
		}
		ds := f.WebhookDeliveries()
		if len(ds) != 1 || ds[0].Status != "pending" || len(ds[0].Attempts) != 1 || ds[0].NextRetry.IsZero() ||
			!strings.Contains(ds[0].Attempts[0].Error, "stopped its goroutine") {
			t.Fatalf("deliveries %+v, want one pending with one failed attempt and a retry", ds)
		}
		f.Advance(time.Hour)
		f.RequireWebhookDelivered(t, we, "customer.created", cu.ID)
		if calls.Load() != 2 {
			t.Errorf("handler called %d times, want 2", calls.Load())
		}
	})
}
