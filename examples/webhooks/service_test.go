package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/stripefake/stripefake/fake"
)

var ctx = context.Background()

var start = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// newService starts a fake, the service's real HTTP server, and sets the
// service up against the fake.
func newService(t *testing.T, opts ...fake.Option) (*fake.Fake, *stripe.Client, *Service) {
	t.Helper()
	f := fake.New(t, append([]fake.Option{fake.WithStartTime(start)}, opts...)...)
	sc := stripe.NewClient("sk_test_webhooks", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(f.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	svc := NewService(sc)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	if err := svc.Setup(ctx, srv.URL+"/stripe/webhooks"); err != nil {
		t.Fatal(err)
	}
	return f, sc, svc
}

func account(t *testing.T, svc *Service, customerID string) Account {
	t.Helper()
	a, ok := svc.Account(customerID)
	if !ok {
		t.Fatalf("no account for %s", customerID)
	}
	return a
}

// sawEveryEvent checks that the handler handled every event the fake wrote
// about the customer, of the types the endpoint takes, once each and in
// order: webhooks were delivered before each call returned.
func sawEveryEvent(t *testing.T, f *fake.Fake, svc *Service, customerID string) {
	t.Helper()
	want := []string{}
	for _, ev := range f.Events() {
		var obj struct {
			Customer string `json:"customer"`
		}
		_ = json.Unmarshal(ev.Object, &obj)
		if obj.Customer == customerID && slices.Contains(webhookEvents, ev.Type) {
			want = append(want, ev.Type)
		}
	}
	got := account(t, svc, customerID).Events
	if got == nil {
		got = []string{}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events the handler saw (-fake wrote +handler saw):\n%s\n%s", d, f.Dump())
	}
}

// count returns how many events of typ about the customer the fake wrote
// whose data.object has amount_paid above zero, or any if positive is false.
func count(f *fake.Fake, typ, customerID string, positive bool) int {
	n := 0
	for _, ev := range f.Events() {
		var obj struct {
			Customer   string `json:"customer"`
			AmountPaid int64  `json:"amount_paid"`
		}
		_ = json.Unmarshal(ev.Object, &obj)
		if ev.Type == typ && obj.Customer == customerID && (!positive || obj.AmountPaid > 0) {
			n++
		}
	}
	return n
}

func TestSignupTrialRenewalFailedPayment(t *testing.T) {
	f, sc, svc := newService(t)

	// Signup: the subscription starts trialing, and the handler has heard
	// of it before Signup returns.
	acct, err := svc.Signup(ctx, "ada@example.com", "pm_card_visa")
	if err != nil {
		t.Fatal(err)
	}
	a := account(t, svc, acct.CustomerID)
	if a.Status != "trialing" || a.SubscriptionID == "" || len(a.Events) == 0 || a.Events[0] != "customer.subscription.created" {
		t.Fatalf("after signup: %+v", a)
	}
	f.AssertWebhookDelivered(t, "", "customer.subscription.created", a.SubscriptionID)
	f.AssertRequest(t, "POST /v1/subscriptions", map[string]string{"customer": acct.CustomerID, "trial_period_days": "14"})
	sawEveryEvent(t, f, svc, acct.CustomerID)

	// Trial: three days before it ends, the handler is told.
	f.Advance((TrialDays-3)*24*time.Hour - time.Second)
	if account(t, svc, acct.CustomerID).TrialEnding {
		t.Errorf("trial_will_end came early")
	}
	f.Advance(time.Second)
	if a := account(t, svc, acct.CustomerID); !a.TrialEnding || a.Status != "trialing" {
		t.Errorf("3 days before the trial ends: %+v", a)
	}
	f.AssertWebhookDelivered(t, "", "customer.subscription.trial_will_end", a.SubscriptionID)

	// The trial ends: the subscription becomes active.
	f.Advance(3*24*time.Hour + 2*time.Hour)
	if a := account(t, svc, acct.CustomerID); a.Status != "active" {
		t.Errorf("after the trial: %+v", a)
	}
	ended := f.AssertEvent(t, "customer.subscription.updated", a.SubscriptionID)
	if ended.PreviousAttributes["status"] != "trialing" {
		t.Errorf("trial end previous_attributes %v", ended.PreviousAttributes)
	}
	sawEveryEvent(t, f, svc, acct.CustomerID)

	// Renewal: a month on, still active, the period moved on.
	before := len(account(t, svc, acct.CustomerID).Events)
	f.AdvanceTo(f.Now().AddDate(0, 1, 0))
	if a := account(t, svc, acct.CustomerID); a.Status != "active" || len(a.Events) <= before {
		t.Errorf("after the renewal: %+v", a)
	}
	sub, err := sc.V1Subscriptions.Retrieve(ctx, a.SubscriptionID, nil)
	if err != nil {
		t.Fatal(err)
	}
	trialEnd := start.AddDate(0, 0, TrialDays)
	if ps := time.Unix(sub.Items.Data[0].CurrentPeriodStart, 0); !ps.After(trialEnd) || ps.After(f.Now()) {
		t.Errorf("renewed period starts %v; want after the trial's end %v", ps.UTC(), trialEnd)
	}
	sawEveryEvent(t, f, svc, acct.CustomerID)

	// A card that attaches but declines every charge: the next renewal
	// fails and the subscription goes past_due.
	if err := svc.ChangePaymentMethod(ctx, acct.CustomerID, "pm_card_chargeCustomerFail"); err != nil {
		t.Fatal(err)
	}
	f.AdvanceTo(f.Now().AddDate(0, 1, 0))
	if a := account(t, svc, acct.CustomerID); a.Status != "past_due" {
		t.Errorf("after the failed renewal: %+v\n%s", a, f.Dump())
	}
	sawEveryEvent(t, f, svc, acct.CustomerID)

	// Invoices: the first paid month and the renewal were charged (the $0
	// trial invoice charges nothing); the renewal on the declining card
	// failed. The handler counted exactly what the fake paid and failed.
	a = account(t, svc, acct.CustomerID)
	if a.PaidInvoices != 2 || a.FailedPayments < 1 {
		t.Errorf("handler counted %d paid invoices and %d failed payments; want 2 and at least 1", a.PaidInvoices, a.FailedPayments)
	}
	if paid := count(f, "invoice.paid", acct.CustomerID, true); a.PaidInvoices != paid {
		t.Errorf("handler counted %d paid invoices, the fake paid %d", a.PaidInvoices, paid)
	}
	if failed := count(f, "invoice.payment_failed", acct.CustomerID, false); a.FailedPayments != failed {
		t.Errorf("handler counted %d failed payments, the fake failed %d", a.FailedPayments, failed)
	}

	// Every delivery succeeded at its first attempt.
	for _, d := range f.WebhookDeliveries() {
		if d.Status != "succeeded" || len(d.Attempts) != 1 {
			t.Errorf("delivery %+v", d)
		}
	}
}

func TestFailedDeliveriesAreRetriedAndDuplicatesIgnored(t *testing.T) {
	f, sc, svc := newService(t)
	var endpoint string
	for we, err := range sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		endpoint = we.ID
	}
	// The service is down while the customer signs up.
	down := f.FailWebhooks(endpoint, fake.Forever)
	acct, err := svc.Signup(ctx, "bob@example.com", "pm_card_visa")
	if err != nil {
		t.Fatal(err)
	}
	if a := account(t, svc, acct.CustomerID); len(a.Events) != 0 {
		t.Fatalf("the handler saw %v while down", a.Events)
	}
	failed := down.Hits()
	down.Remove()
	// Stripe retries an hour later, on the fake's clock, in the original order.
	f.Advance(time.Hour)
	a := account(t, svc, acct.CustomerID)
	if a.Status != "trialing" || len(a.Events) != failed || a.Events[0] != "customer.subscription.created" {
		t.Errorf("after the retries (%d failed deliveries): %+v", failed, a)
	}
	seen := len(a.Events)

	// A forged or replayed delivery is refused or ignored.
	ev := f.AssertEvent(t, "customer.subscription.created", acct.SubscriptionID)
	body, _ := json.Marshal(map[string]any{"id": ev.ID, "object": "event", "type": ev.Type, "api_version": ev.APIVersion, "data": map[string]any{"object": json.RawMessage(ev.Object)}})
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, httptest.NewRequest("POST", "/stripe/webhooks", bytes.NewReader(body)))
	if rec.Code != 400 {
		t.Errorf("unsigned delivery answered %d", rec.Code)
	}
	// A correctly signed duplicate (Stripe may deliver twice) is ignored.
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: svc.secret})
	req := httptest.NewRequest("POST", "/stripe/webhooks", bytes.NewReader(signed.Payload))
	req.Header.Set("Stripe-Signature", signed.Header)
	rec = httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("signed duplicate answered %d: %s", rec.Code, rec.Body)
	}
	if a := account(t, svc, acct.CustomerID); len(a.Events) != seen {
		t.Errorf("the duplicate was handled again: events %v", a.Events)
	}
}

func TestMainRuns(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"signed up", "status=trialing", "trial_ending=true", "status=active", "status=past_due", "customer.subscription.trial_will_end"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
