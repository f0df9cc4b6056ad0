package fake_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

var ctx = context.Background()

// raw sends one request with a secret key and returns status, headers and
// the decoded body.
func raw(t *testing.T, f *fake.Fake, method, path, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_123")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON: %s", method, path, b)
	}
	return resp.StatusCode, resp.Header, m
}

func errorOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error envelope in %v", body)
	}
	return e
}

func TestAuthentication(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	cases := []struct {
		name, auth string
		status     int
		msg        string
	}{
		{"missing", "", 401, "You did not provide an API key."},
		{"malformed", "Bearer nonsense1234", 401, "Invalid API Key provided: ********1234"},
		{"live key", "Bearer sk_live_abcdefgh", 401, "Invalid API Key provided: sk_live_****efgh"},
		{"publishable", "Bearer pk_test_abc", 401, "This API call cannot be made with a publishable API key."},
		{"basic", "Basic " + base64.StdEncoding.EncodeToString([]byte("sk_test_abc:")), 200, ""},
		{"restricted", "Bearer rk_test_abc", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := raw(t, f, "GET", "/v1/customers", "", map[string]string{"Authorization": tc.auth})
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if h.Get("Request-Id") == "" || !strings.HasPrefix(h.Get("Request-Id"), "req_") {
				t.Errorf("Request-Id %q", h.Get("Request-Id"))
			}
			if tc.msg != "" {
				e := errorOf(t, body)
				if !strings.HasPrefix(e["message"].(string), tc.msg) || e["type"] != "invalid_request_error" {
					t.Errorf("error %v", e)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	status, _, body := raw(t, f, "POST", "/v1/payment_intents/", "", nil)
	if status != 404 || errorOf(t, body)["message"] != "Unrecognized request URL (POST: /v1/payment_intents/). If you are trying to list objects, remove the trailing slash. If you are trying to retrieve an object, make sure you passed a valid (non-empty) identifier in your code. Please see https://stripe.com/docs or we can help at https://support.stripe.com/." {
		t.Errorf("unknown route: %d %v", status, body)
	}
	// A route Stripe has and the fake does not is loud, never a success.
	status, _, body = raw(t, f, "GET", "/v1/disputes", "", nil)
	if msg, _ := errorOf(t, body)["message"].(string); status != 501 || !strings.Contains(msg, "does not implement GET /v1/disputes") {
		t.Errorf("not implemented: %d %v", status, body)
	}
	if len(f.Routes()) == 0 || !contains(f.Routes(), "POST /v1/customers") {
		t.Errorf("Routes() = %v", f.Routes())
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestStripeVersion(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	_, h, _ := raw(t, f, "GET", "/v1/customers", "", map[string]string{"Stripe-Version": ""})
	if h.Get("Stripe-Version") != "2026-03-25.dahlia" {
		t.Errorf("default version %q", h.Get("Stripe-Version"))
	}
	_, h, _ = raw(t, f, "GET", "/v1/customers", "", map[string]string{"Stripe-Version": "2026-05-27.dahlia"})
	if h.Get("Stripe-Version") != "2026-05-27.dahlia" {
		t.Errorf("echoed version %q", h.Get("Stripe-Version"))
	}
	status, _, body := raw(t, f, "GET", "/v1/customers", "", map[string]string{"Stripe-Version": "2099-01-01-zebra"})
	if status != 400 || errorOf(t, body)["message"] != "Invalid Stripe API version: 2099-01-01-zebra" {
		t.Errorf("bad version: %d %v", status, body)
	}
}

func TestIdempotency(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		key := map[string]string{"Idempotency-Key": "key-1"}
		s1, h1, b1 := raw(t, f, "POST", "/v1/customers", "email=a%40b.c&metadata[x]=1", key)
		s2, h2, b2 := raw(t, f, "POST", "/v1/customers", "metadata[x]=1&email=a%40b.c", key)
		if s1 != 200 || s2 != 200 || b1["id"] != b2["id"] {
			t.Fatalf("replay: %d %v / %d %v", s1, b1, s2, b2)
		}
		if h2.Get("Idempotent-Replayed") != "true" || h2.Get("Original-Request") != h1.Get("Request-Id") || h2.Get("Request-Id") == h1.Get("Request-Id") {
			t.Errorf("replay headers: %v", h2)
		}
		if h1.Get("Idempotent-Replayed") != "" {
			t.Errorf("first response marked replayed")
		}
		n := 0
		for range sc.V1Customers.List(ctx, nil).All(ctx) {
			n++
		}
		if n != 1 || len(f.Events()) != 1 {
			t.Errorf("replay created objects: %d customers, %d events", n, len(f.Events()))
		}
		s3, _, b3 := raw(t, f, "POST", "/v1/customers", "email=other%40b.c", key)
		if e := errorOf(t, b3); s3 != 400 || e["type"] != "idempotency_error" ||
			e["message"] != "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'key-1' if you meant to execute a different request." {
			t.Errorf("param mismatch: %d %v", s3, b3)
		}
		s4, _, b4 := raw(t, f, "POST", "/v1/customers/"+b1["id"].(string), "email=a%40b.c&metadata[x]=1", key)
		if e := errorOf(t, b4); s4 != 400 || !strings.HasPrefix(e["message"].(string), "Keys for idempotent requests can only be used for the same endpoint they were first used for ('/v1/customers' vs '/v1/customers/") {
			t.Errorf("endpoint mismatch: %d %v", s4, b4)
		}
		// Business errors are remembered too: the same key answers the same 404.
		k2 := map[string]string{"Idempotency-Key": "key-2"}
		s5, _, _ := raw(t, f, "POST", "/v1/customers/cus_nope", "name=x", k2)
		s6, h6, _ := raw(t, f, "POST", "/v1/customers/cus_nope", "name=x", k2)
		if s5 != 404 || s6 != 404 || h6.Get("Idempotent-Replayed") != "true" {
			t.Errorf("error replay: %d %d %v", s5, s6, h6)
		}
		// Validation errors are not: the key stays usable.
		k3 := map[string]string{"Idempotency-Key": "key-3"}
		if s, _, _ := raw(t, f, "POST", "/v1/customers", "nope=1", k3); s != 400 {
			t.Fatalf("unknown param: %d", s)
		}
		if s, h, _ := raw(t, f, "POST", "/v1/customers", "name=ok", k3); s != 200 || h.Get("Idempotent-Replayed") != "" {
			t.Errorf("key after validation error: %d %v", s, h)
		}
		// Keys expire after 24 hours of fake time.
		f.Advance(24 * time.Hour)
		s7, h7, b7 := raw(t, f, "POST", "/v1/customers", "email=a%40b.c&metadata[x]=1", key)
		if s7 != 200 || h7.Get("Idempotent-Replayed") != "" || b7["id"] == b1["id"] {
			t.Errorf("expired key replayed: %d %v", s7, h7)
		}
		// DELETE is never replayed.
		d := map[string]string{"Idempotency-Key": "del"}
		if s, _, _ := raw(t, f, "DELETE", "/v1/customers/"+b7["id"].(string), "", d); s != 200 {
			t.Fatalf("delete: %d", s)
		}
		if s, h, _ := raw(t, f, "DELETE", "/v1/customers/cus_nope", "", d); s != 404 || h.Get("Idempotent-Replayed") != "" {
			t.Errorf("DELETE replayed: %d %v", s, h)
		}
	})
}

func TestIdempotencyThroughStripeGo(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	p := &stripe.CustomerCreateParams{Email: stripe.String("x@y.z")}
	p.SetIdempotencyKey("same")
	a, err := sc.V1Customers.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	p2 := &stripe.CustomerCreateParams{Email: stripe.String("x@y.z")}
	p2.SetIdempotencyKey("same")
	b, err := sc.V1Customers.Create(ctx, p2)
	if err != nil || a.ID != b.ID {
		t.Fatalf("replay via stripe-go: %v %s %s", err, a.ID, b.ID)
	}
	if b.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("not marked replayed")
	}
	events := f.Events()
	if len(events) != 1 {
		t.Fatalf("events %d", len(events))
	}
}

func TestRequestsLog(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Params: stripe.Params{Metadata: map[string]string{"order_id": "7"}}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests %d", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/customers" || r.Route != "/v1/customers" || r.Status != 200 ||
		r.Params.Get("metadata[order_id]") != "7" || r.Header.Get("Stripe-Version") != stripe.APIVersion || r.IdempotencyKey == "" {
		t.Errorf("request %+v", r)
	}
	// A copy: changing it does not change the log.
	reqs[0].Params.Set("metadata[order_id]", "changed")
	if f.Requests()[0].Params.Get("metadata[order_id]") != "7" {
		t.Errorf("Requests() hands out live state")
	}
}

func TestConcurrentRequests(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(f.Events()) != 20 || len(f.Requests()) != 20 {
			t.Errorf("events %d requests %d", len(f.Events()), len(f.Requests()))
		}
	})
}

func TestStartCloseAndOptions(t *testing.T) {
	f, err := fake.Start(fake.WithStartTime(time.Unix(1_700_000_000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Now().Unix() != 1_700_000_000 {
		t.Errorf("start time %v", f.Now())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := fake.Start(fake.WithClock(clock.NewMock()), fake.WithStartTime(time.Unix(1, 0))); err == nil {
		t.Errorf("conflicting options accepted")
	}
}

func TestDefaultClockIsFrozenAtRealTimeTruncated(t *testing.T) {
	f := fake.New(t)
	n := f.Now()
	if n.Nanosecond() != 0 || time.Since(n) > time.Minute || time.Since(n) < 0 {
		t.Errorf("default start %v", n)
	}
	f.Advance(90 * time.Minute)
	if f.Now().Sub(n) != 90*time.Minute {
		t.Errorf("advance moved to %v", f.Now())
	}
}

func TestInjectedMockClock(t *testing.T) {
	m := clock.NewMock()
	m.Set(time.Unix(1_800_000_000, 0))
	f, sc := testfake.New(t, testfake.Memory, fake.WithClock(m))
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
	if err != nil || cu.Created != 1_800_000_000 {
		t.Fatalf("created %v %v", cu, err)
	}
	f.Advance(time.Hour)
	if m.Now().Unix() != 1_800_003_600 {
		t.Errorf("mock not moved: %v", m.Now())
	}
}

func TestFormEncodingEdgeCases(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	// Percent-encoded brackets and Rack-style arrays, as other clients send.
	s, _, b := raw(t, f, "POST", "/v1/customers", "metadata%5Bk%5D=v&preferred_locales[]=en&preferred_locales[]=fr", nil)
	if s != 200 || b["metadata"].(map[string]any)["k"] != "v" || len(b["preferred_locales"].([]any)) != 2 {
		t.Errorf("encoding: %d %v", s, b)
	}
	s, _, b = raw(t, f, "POST", "/v1/customers", "metadata=x&metadata[k]=v", nil)
	if s != 400 {
		t.Errorf("hash conflict: %d %v", s, b)
	}
	q := url.Values{"query": {`email:'a@b.c' AND metadata['k']:'v'`}}
	if s, _, b := raw(t, f, "GET", "/v1/customers/search?"+q.Encode(), "", nil); s != 200 || b["object"] != "search_result" {
		t.Errorf("search: %d %v", s, b)
	}
}

func TestErrorsDecodeInStripeGo(t *testing.T) {
	_, sc := testfake.New(t, testfake.Memory)
	_, err := sc.V1Customers.Retrieve(ctx, "cus_missing", nil)
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing || se.RequestID == "" || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Fatalf("%#v", err)
	}
}

// A request that reuses an idempotency key while the first request with it
// is still being served gets Stripe's 409. Webhooks are delivered before the
// first response returns, so a webhook handler that resends the request
// meets the key in flight, deterministically.
func TestIdempotencyKeyInFlight(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	const hook = "https://example.test/hooks"
	f.AddWebhookEndpoint(hook, "customer.created")
	var inner int
	var innerBody map[string]any
	f.HandleWebhooks(hook, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inner == 0 {
			inner, _, innerBody = raw(t, f, "POST", "/v1/customers", "email=a%40b.c", map[string]string{"Idempotency-Key": "busy"})
		}
		w.WriteHeader(http.StatusOK)
	}))
	status, _, body := raw(t, f, "POST", "/v1/customers", "email=a%40b.c", map[string]string{"Idempotency-Key": "busy"})
	if status != 200 || body["object"] != "customer" {
		t.Fatalf("first request: %d %v", status, body)
	}
	e := errorOf(t, innerBody)
	if inner != 409 || e["code"] != "idempotency_key_in_use" || !strings.HasPrefix(e["message"].(string), "There is currently another in-progress request using this Idempotent Key") {
		t.Errorf("while in flight: %d %v", inner, e)
	}
	// Once the first has answered, the key replays it.
	status, h, again := raw(t, f, "POST", "/v1/customers", "email=a%40b.c", map[string]string{"Idempotency-Key": "busy"})
	if status != 200 || h.Get("Idempotent-Replayed") != "true" || again["id"] != body["id"] {
		t.Errorf("after: %d %v %v", status, h.Get("Idempotent-Replayed"), again["id"])
	}
}

// A key reused for a request that runs at a test clock's time (far behind
// the fake's clock) still replays: keys age on the fake's clock.
func TestIdempotencyOnTestClockCustomer(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Add(-72 * time.Hour).Unix())})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	create := func() *stripe.CustomerBalanceTransaction {
		p := &stripe.CustomerBalanceTransactionCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(-100), Currency: stripe.String("usd")}
		p.SetIdempotencyKey("clock-key")
		txn, err := sc.V1CustomerBalanceTransactions.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return txn
	}
	if a, b := create(), create(); a.ID != b.ID {
		t.Errorf("the retry ran again: %s then %s", a.ID, b.ID)
	}
}

type failRecorder struct {
	testing.TB
	failed bool
}

func (r *failRecorder) Errorf(string, ...any) { r.failed = true }
func (r *failRecorder) Helper()               {}

// Advance cannot move a real clock, and says so.
func TestAdvanceNeedsAMovableClock(t *testing.T) {
	rec := &failRecorder{TB: t}
	f := fake.New(rec, fake.WithClock(clock.New()))
	f.Advance(time.Hour)
	if !rec.failed {
		t.Error("Advance on a real clock did not fail")
	}
}

// A scheduled job that fails one of Stripe's rules when it runs is dropped
// and reported through the test, and the fake goes on: here a schedule's
// phase change would merge its 30 metadata keys into the 30 set on the
// subscription directly, over Stripe's 50.
func TestAJobFailingARuleIsReportedAndDropped(t *testing.T) {
	for _, backend := range testfake.Backends {
		t.Run(string(backend), func(t *testing.T) { jobFailingARule(t, testfake.Open(t, backend)) })
	}
}

func jobFailingARule(t *testing.T, st store.Store) {
	tb := &recordingTB{TB: t}
	f := fake.New(tb, fake.WithStore(st), fake.WithStartTime(testfake.Start))
	sc := testfake.Client(f)
	cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
	pr := testfake.RecurringPrice(t, sc, 1000, "month")
	keys := func(prefix string) map[string]string {
		m := map[string]string{}
		for i := range 30 {
			m[fmt.Sprintf("%s%d", prefix, i)] = "v"
		}
		return m
	}
	start := f.Now().Unix()
	sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
		Customer: stripe.String(cu.ID), StartDate: stripe.Int64(start),
		Phases: []*stripe.SubscriptionScheduleCreatePhaseParams{
			{Items: []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(pr.ID)}}, EndDate: stripe.Int64(start + 10*86400)},
			{Items: []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(pr.ID)}}, Metadata: keys("phase"), EndDate: stripe.Int64(start + 40*86400)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	up := &stripe.SubscriptionUpdateParams{}
	for k, v := range keys("own") {
		up.AddMetadata(k, v)
	}
	if _, err := sc.V1Subscriptions.Update(ctx, sch.Subscription.ID, up); err != nil {
		t.Fatal(err)
	}
	f.Advance(11 * 24 * time.Hour)
	tb.mu.Lock()
	errs := tb.errs
	tb.mu.Unlock()
	if len(errs) != 1 || !strings.Contains(errs[0], "failed and was dropped") || !strings.Contains(errs[0], sch.ID) {
		t.Fatalf("reported %q", errs)
	}
	// The fake goes on: requests answer, and time moves.
	if _, err := sc.V1Subscriptions.Retrieve(ctx, sch.Subscription.ID, nil); err != nil {
		t.Errorf("retrieve after the dropped job: %v", err)
	}
	// The renewal that would start the phase again meets the same rule:
	// it is reported and dropped too, and Advance still returns.
	f.Advance(40 * 24 * time.Hour)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.errs) != 2 {
		t.Fatalf("reported %q, want the phase change and the renewal dropped", tb.errs)
	}
	for _, e := range tb.errs[1:] {
		if !strings.Contains(e, "failed and was dropped") || !strings.Contains(e, "50 keys") {
			t.Errorf("reported since: %q", e)
		}
	}
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Errorf("retrieve after the dropped jobs: %v", err)
	}
}
