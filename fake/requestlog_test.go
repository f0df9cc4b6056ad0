package fake_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// emails returns the email param of each request.
func emails(rs []fake.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Params.Get("email"))
	}
	return out
}

// A bounded log keeps the newest requests, in order, for Requests, the
// control API and requests made through the in-process client alike; the
// assertions say when the requests they look for may have been dropped.
func TestRequestLogKeepsTheNewest(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithRequestLog(3))
	inproc := stripe.NewClient("sk_test_inproc", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		HTTPClient: f.HTTPClient(), URL: stripe.String(f.URL()), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	for i := range 5 {
		c := sc
		if i%2 == 1 {
			c = inproc
		}
		if _, err := c.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String(fmt.Sprintf("c%d@example.com", i))}); err != nil {
			t.Fatal(err)
		}
	}
	want := "[c2@example.com c3@example.com c4@example.com]"
	if got := fmt.Sprint(emails(f.Requests())); got != want {
		t.Errorf("Requests: %s, want %s", got, want)
	}
	var reqs struct {
		Data []struct{ Params map[string][]string }
	}
	control(t, f, "GET", "/_stripefake/requests", "", &reqs)
	var got []string
	for _, r := range reqs.Data {
		got = append(got, r.Params["email"]...)
	}
	if fmt.Sprint(got) != want {
		t.Errorf("GET /_stripefake/requests: %s, want %s", got, want)
	}

	rt := &recordingTB{TB: t}
	f.AssertRequest(rt, "POST /v1/customers", map[string]string{"email": "c4@example.com"}) // kept: passes
	f.AssertRequest(rt, "POST /v1/customers", map[string]string{"email": "c0@example.com"})
	f.AssertRequest(rt, "DELETE /v1/customers/{customer}", nil)
	f.AssertRequestCount(rt, "POST /v1/customers", 3)
	if len(rt.errs) != 3 {
		t.Fatalf("errors: %q", rt.errs)
	}
	if !strings.Contains(rt.errs[0], "none sent these params") {
		t.Errorf("a kept request with other params: %s", rt.errs[0])
	}
	for _, e := range rt.errs[1:] {
		if !strings.Contains(e, "keeps the newest 3 requests") || !strings.Contains(e, "2 older ones were dropped") {
			t.Errorf("the message does not say requests were dropped: %s", e)
		}
	}
}

// WithRequestLog(0) keeps nothing, and the assertions fail saying the log
// is off instead of reporting that nothing was sent.
func TestRequestLogOff(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithRequestLog(0))
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests kept with the log off", n)
	}
	rt := &recordingTB{TB: t}
	f.AssertRequest(rt, "POST /v1/customers", nil)
	f.AssertRequestCount(rt, "DELETE /v1/customers/{customer}", 0) // would pass silently
	if len(rt.errs) != 2 {
		t.Fatalf("errors: %q", rt.errs)
	}
	for _, e := range rt.errs {
		if !strings.Contains(e, "the request log is off (fake.WithRequestLog(0))") {
			t.Errorf("the message does not say the log is off: %s", e)
		}
	}
	if _, err := fake.Start(fake.WithRequestLog(-1)); err == nil || !strings.Contains(err.Error(), "WithRequestLog") {
		t.Errorf("WithRequestLog(-1): %v", err)
	}
}

// Recorded Authorization headers hold the key masked as Stripe masks it in
// its errors, whether sent as Bearer or Basic auth.
func TestRequestLogMasksKeys(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("sk_test_51Secret0123456789Aso0:"))
	raw(t, f, "GET", "/v1/customers", "", map[string]string{"Authorization": basic})
	raw(t, f, "GET", "/v1/customers", "", map[string]string{"Authorization": "Bearer sk_live_nope1234"})
	rs := f.Requests()
	if len(rs) != 3 {
		t.Fatalf("%d requests", len(rs))
	}
	want := []string{"Bearer sk_test_******fake", "Basic sk_test_******************Aso0", "Bearer sk_live_****1234"}
	for i, r := range rs {
		if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != want[i] {
			t.Errorf("request %d: Authorization %q, want %q", i, got, want[i])
		}
	}
	for _, r := range rs {
		if s := fmt.Sprint(r.Header); strings.Contains(s, "stripefake") || strings.Contains(s, "Secret") {
			t.Errorf("a recorded header holds the key: %s", s)
		}
	}
}

// Close drops the log, and the assertions say so.
func TestRequestLogDroppedOnClose(t *testing.T) {
	f, err := fake.Start()
	if err != nil {
		t.Fatal(err)
	}
	sc := testfake.Client(f)
	if _, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("%d requests before Close", n)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests kept after Close", n)
	}
	rt := &recordingTB{TB: t}
	f.AssertRequestCount(rt, "POST /v1/customers", 1)
	if len(rt.errs) != 1 || !strings.Contains(rt.errs[0], "closed") {
		t.Errorf("errors after Close: %q", rt.errs)
	}
}
