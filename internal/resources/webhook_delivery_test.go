package resources_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// receiver is a real HTTP webhook receiver that verifies every delivery
// with stripe-go's webhook.ConstructEvent, as a user's handler would.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	events   []stripe.Event
	answer   func(n int, ev stripe.Event) int // status for the n-th delivery (from 1)
	onEvent  func(ev stripe.Event)            // called before answering
	options  webhook.ConstructEventOptions
	received []string // "type id" per delivery, in order
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("read body: %v", err)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" || r.Method != http.MethodPost {
		rc.t.Errorf("delivery %s with Content-Type %q", r.Method, ct)
	}
	rc.mu.Lock()
	secret, opts := rc.secret, rc.options
	rc.mu.Unlock()
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), secret, opts)
	if err != nil {
		rc.t.Errorf("ConstructEvent: %v\nheader %q\nbody %s", err, r.Header.Get("Stripe-Signature"), body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.events = append(rc.events, ev)
	rc.received = append(rc.received, string(ev.Type)+" "+ev.ID)
	n, answer, onEvent := len(rc.events), rc.answer, rc.onEvent
	rc.mu.Unlock()
	if onEvent != nil {
		onEvent(ev)
	}
	status := http.StatusOK
	if answer != nil {
		status = answer(n, ev)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `{"received": true}`)
}

func (rc *receiver) setSecret(s string) { rc.mu.Lock(); rc.secret = s; rc.mu.Unlock() }

func (rc *receiver) got() []stripe.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]stripe.Event(nil), rc.events...)
}

func (rc *receiver) types() []string {
	var out []string
	for _, ev := range rc.got() {
		out = append(out, string(ev.Type))
	}
	return out
}

// endpoint creates a webhook endpoint for rc through stripe-go.
func (rc *receiver) endpoint(t *testing.T, sc *stripe.Client, events ...string) *stripe.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(rc.srv.URL + "/hooks"), EnabledEvents: stripe.StringSlice(events),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(we.Secret)
	return we
}

func TestWebhooksAreSignedAndDeliveredInOrderBeforeTheResponse(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		rc := newReceiver(t)
		rc.endpoint(t, sc)
		only := newReceiver(t)
		only.endpoint(t, sc, "customer.created")

		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		// Delivered before the response returned.
		if got := rc.types(); strings.Join(got, ",") != "customer.created" {
			t.Fatalf("after create: %v", got)
		}
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Ada")}); err != nil {
			t.Fatal(err)
		}
		pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Delete(ctx, cu.ID, nil); err != nil {
			t.Fatal(err)
		}

		var want []string
		for _, ev := range f.Events() {
			want = append(want, ev.Type+" "+ev.ID)
		}
		rc.mu.Lock()
		got := strings.Join(rc.received, "\n")
		rc.mu.Unlock()
		if got != strings.Join(want, "\n") || len(want) < 4 {
			t.Errorf("delivered:\n%s\nwant every event in order:\n%s", got, strings.Join(want, "\n"))
		}
		if got := only.types(); strings.Join(got, ",") != "customer.created" {
			t.Errorf("endpoint for customer.created got %v", got)
		}

		for _, ev := range rc.got() {
			if ev.APIVersion != "2026-03-25.dahlia" || ev.Created != testfake.Start.Unix() || ev.Livemode || ev.Request == nil || ev.Request.ID == "" {
				t.Errorf("event %s: api_version %q created %d request %+v", ev.ID, ev.APIVersion, ev.Created, ev.Request)
			}
		}
		first := rc.got()[0]
		if first.Data.Object["id"] != cu.ID || first.PendingWebhooks != 2 {
			t.Errorf("customer.created: object %v pending_webhooks %d (two endpoints take it)", first.Data.Object["id"], first.PendingWebhooks)
		}
		// Once delivered everywhere, the stored event owes nothing.
		stored, err := sc.V1Events.Retrieve(ctx, first.ID, nil)
		if err != nil || stored.PendingWebhooks != 0 {
			t.Errorf("stored event: %v pending_webhooks %d", err, stored.PendingWebhooks)
		}
		var attached bool
		for _, ev := range rc.got() {
			attached = attached || (ev.Type == "payment_method.attached" && ev.Data.Object["id"] == pm.ID)
		}
		if !attached {
			t.Errorf("payment_method.attached for %s not delivered", pm.ID)
		}
		for _, d := range f.WebhookDeliveries() {
			if d.Status != "succeeded" || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || !d.Attempts[0].At.Equal(testfake.Start) ||
				!strings.HasPrefix(d.Attempts[0].Signature, "t=") || d.Attempts[0].Response != `{"received": true}` {
				t.Errorf("delivery %+v", d)
			}
		}
	}, fake.WithStartTime(testfake.Start))
}

func TestWebhookSignatureUsesWallClockAndEndpointAPIVersion(t *testing.T) {
	// The fake's clock is years away from the real one: the signature's t=
	// must still be real time, or ConstructEvent's 5-minute tolerance fails.
	long := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(long))
	rc := newReceiver(t)
	we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(rc.srv.URL), EnabledEvents: stripe.StringSlice([]string{"customer.created"}),
		APIVersion: stripe.String("2025-09-30.clover"),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(we.Secret)
	rc.mu.Lock()
	rc.options = webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}
	rc.mu.Unlock()
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	evs := rc.got()
	if len(evs) != 1 || evs[0].APIVersion != "2025-09-30.clover" || evs[0].Created != long.Unix() {
		t.Fatalf("got %+v", evs)
	}
	sig := f.WebhookDeliveries()[0].Attempts[0].Signature
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	if ts == "" || ts == strconv.FormatInt(long.Unix(), 10) {
		t.Errorf("signature %q: t= must be wall-clock time", sig)
	}
}

func TestWebhookRetriesRunOnTheFakeClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		rc := newReceiver(t)
		rc.answer = func(n int, _ stripe.Event) int {
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		}
		we := rc.endpoint(t, sc, "customer.created")
		cu, err := sc.V1Customers.Create(ctx, nil)
		if err != nil {
			t.Fatalf("a failed delivery must not fail the request: %v", err)
		}
		ds := f.WebhookDeliveries()
		if len(ds) != 1 || ds[0].Status != "pending" || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].Status != 500 ||
			!ds[0].NextRetry.Equal(testfake.Start.Add(time.Hour)) || ds[0].EndpointID != we.ID || ds[0].ObjectID != cu.ID {
			t.Fatalf("after a 500: %+v", ds)
		}
		ev := f.AssertEvent(t, "customer.created", cu.ID)
		if stored, _ := sc.V1Events.Retrieve(ctx, ev.ID, nil); stored.PendingWebhooks != 1 {
			t.Errorf("pending_webhooks %d while undelivered", stored.PendingWebhooks)
		}
		if !strings.Contains(f.Dump(), "webhook.retry") {
			t.Errorf("the retry is not in Dump:\n%s", f.Dump())
		}

		f.Advance(time.Hour - time.Second)
		if n := len(rc.got()); n != 1 {
			t.Fatalf("retried early: %d deliveries", n)
		}
		f.Advance(time.Second) // +1h: second attempt, 500 again
		if n := len(rc.got()); n != 2 {
			t.Fatalf("after 1h: %d deliveries", n)
		}
		ds = f.WebhookDeliveries()
		if !ds[0].NextRetry.Equal(testfake.Start.Add(3 * time.Hour)) {
			t.Errorf("next retry %v, want 2h after the second attempt", ds[0].NextRetry)
		}
		f.Advance(10 * time.Hour) // +3h: third attempt succeeds; nothing after
		ds = f.WebhookDeliveries()
		if n := len(rc.got()); n != 3 || ds[0].Status != "succeeded" || !ds[0].NextRetry.IsZero() {
			t.Fatalf("after 3h: %d deliveries, %+v", n, ds[0])
		}
		if at := ds[0].Attempts[2].At; !at.Equal(testfake.Start.Add(3 * time.Hour)) {
			t.Errorf("third attempt at %v", at)
		}
		for _, got := range rc.got() {
			if got.ID != ev.ID {
				t.Errorf("a retry is the same event: %s vs %s", got.ID, ev.ID)
			}
		}
		if stored, _ := sc.V1Events.Retrieve(ctx, ev.ID, nil); stored.PendingWebhooks != 0 {
			t.Errorf("pending_webhooks %d once delivered", stored.PendingWebhooks)
		}
		f.AssertWebhookDelivered(t, we.ID, "customer.created", cu.ID)
	}, fake.WithStartTime(testfake.Start))
}

func TestWebhookRetriesGiveUpAfterTheSchedule(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	rc := newReceiver(t)
	rc.answer = func(int, stripe.Event) int { return http.StatusServiceUnavailable }
	rc.endpoint(t, sc, "customer.created")
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	f.Advance(100 * time.Hour)
	d := f.WebhookDeliveries()[0]
	var at []string
	for _, a := range d.Attempts {
		at = append(at, a.At.Sub(testfake.Start).String())
	}
	// The first attempt and three retries, 1h, 2h and 4h apart.
	if d.Status != "failed" || strings.Join(at, ",") != "0s,1h0m0s,3h0m0s,7h0m0s" || len(rc.got()) != 4 {
		t.Errorf("status %s attempts at %v", d.Status, at)
	}
	if strings.Contains(f.Dump(), "webhook.retry") {
		t.Errorf("retries left after giving up:\n%s", f.Dump())
	}
}

func TestWebhookRetryScheduleOption(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start), fake.WithWebhookRetries(time.Minute))
	rc := newReceiver(t)
	rc.answer = func(int, stripe.Event) int { return http.StatusBadRequest }
	rc.endpoint(t, sc, "customer.created")
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Hour)
	if d := f.WebhookDeliveries()[0]; d.Status != "failed" || len(d.Attempts) != 2 || !d.Attempts[1].At.Equal(testfake.Start.Add(time.Minute)) {
		t.Errorf("%+v", d)
	}

	f2, sc2 := testfake.New(t, testfake.Memory, fake.WithWebhookRetries())
	rc2 := newReceiver(t)
	rc2.answer = rc.answer
	rc2.endpoint(t, sc2, "customer.created")
	if _, err := sc2.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := f2.WebhookDeliveries()[0]; d.Status != "failed" || len(d.Attempts) != 1 {
		t.Errorf("no retries: %+v", d)
	}
}

func TestWebhookRefusedAndTimedOutDeliveriesAreRetried(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start), fake.WithWebhookTimeout(50*time.Millisecond))
	// Port 1 on loopback: nothing listens there, so the connection is
	// refused (a closed httptest server's port could be reused by another
	// test package running in parallel).
	deadURL := "http://127.0.0.1:1"
	// A receiver that never answers: the delivery times out.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	for _, u := range []string{deadURL, slow.URL} {
		if _, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String(u), EnabledEvents: stripe.StringSlice([]string{"customer.created"}),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatalf("unreachable endpoints must not fail the request: %v", err)
	}
	ds := f.WebhookDeliveries()
	if len(ds) != 2 {
		t.Fatalf("%d deliveries", len(ds))
	}
	for _, d := range ds {
		a := d.Attempts[0]
		if d.Status != "pending" || a.Status != 0 || a.Error == "" || d.NextRetry.IsZero() {
			t.Errorf("%s: %+v", d.URL, d)
		}
	}
	if !strings.Contains(ds[1].Attempts[0].Error, "Timeout") && !strings.Contains(ds[1].Attempts[0].Error, "deadline") {
		t.Errorf("slow receiver: %q", ds[1].Attempts[0].Error)
	}
}

func TestWebhooksStopForDisabledAndDeletedEndpoints(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		rc, rc2 := newReceiver(t), newReceiver(t)
		rc.answer = func(int, stripe.Event) int { return http.StatusInternalServerError }
		rc2.answer = rc.answer
		a := rc.endpoint(t, sc, "customer.created")
		b := rc2.endpoint(t, sc, "customer.created")
		if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1WebhookEndpoints.Update(ctx, a.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1WebhookEndpoints.Delete(ctx, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		f.Advance(24 * time.Hour)
		if n := len(rc.got()) + len(rc2.got()); n != 2 {
			t.Errorf("%d deliveries; want the two first attempts only", n)
		}
		for _, d := range f.WebhookDeliveries() {
			if d.Status != "abandoned" || len(d.Attempts) != 1 {
				t.Errorf("%+v", d)
			}
		}
		// A disabled endpoint gets no new events either.
		if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if n := len(f.WebhookDeliveries()); n != 2 {
			t.Errorf("%d deliveries after disabling", n)
		}
	})
}

func TestWebhookHandlerMayCallTheFakeBack(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		rc := newReceiver(t)
		var failedOnce atomic.Bool
		rc.onEvent = func(ev stripe.Event) {
			// Read and write the object the event is about, from inside
			// the delivery: no lock is held.
			id, _ := ev.Data.Object["id"].(string)
			if ev.Type != "customer.created" {
				return
			}
			if _, err := sc.V1Customers.Retrieve(ctx, id, nil); err != nil {
				t.Errorf("call back: %v", err)
			}
			up := &stripe.CustomerUpdateParams{}
			up.AddMetadata("seen", "yes")
			if _, err := sc.V1Customers.Update(ctx, id, up); err != nil {
				t.Errorf("call back: %v", err)
			}
		}
		rc.answer = func(n int, ev stripe.Event) int {
			if ev.Type == "customer.created" && failedOnce.CompareAndSwap(false, true) {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		rc.endpoint(t, sc, "customer.created", "customer.updated")
		cu, err := sc.V1Customers.Create(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The handler's own update was delivered inside the first delivery.
		if got := strings.Join(rc.types(), ","); got != "customer.created,customer.updated" {
			t.Errorf("request: %s", got)
		}
		// The retry, run by Advance, calls back too.
		f.Advance(time.Hour)
		if got := strings.Join(rc.types(), ","); got != "customer.created,customer.updated,customer.created" {
			t.Errorf("after the retry: %s", got)
		}
		got, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || got.Metadata["seen"] != "yes" {
			t.Errorf("%v %+v", err, got)
		}
	})
}

func TestConnectEndpointsGetNoPlatformEvents(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	rc := newReceiver(t)
	we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
		URL: stripe.String(rc.srv.URL), EnabledEvents: stripe.StringSlice([]string{"*"}), Connect: stripe.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(we.Secret)
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.got()) + len(f.WebhookDeliveries()); n != 0 {
		t.Errorf("a Connect endpoint got %d platform deliveries", n)
	}
}
