package fake_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestAssertionsPass(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email: stripe.String("ada@example.com"), Params: stripe.Params{Metadata: map[string]string{"plan": "pro"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Ada")}); err != nil {
			t.Fatal(err)
		}
		ev := f.AssertEvent(t, "customer.updated", cu.ID)
		if ev.PreviousAttributes["name"] != nil || ev.ObjectID != cu.ID {
			t.Errorf("event %+v", ev)
		}
		f.AssertEvent(t, "customer.created", "")
		f.AssertNoEvent(t, "customer.deleted", cu.ID)
		f.AssertEventTypes(t, cu.ID, "customer.created", "customer.updated")
		f.AssertEventTypes(t, "cus_other")
		r := f.AssertRequest(t, "POST /v1/customers", map[string]string{"email": "ada@example.com", "metadata[plan]": "pro"})
		if r.Status != http.StatusOK {
			t.Errorf("request %+v", r)
		}
		f.AssertRequest(t, "POST /v1/customers/{customer}", map[string]string{"name": "Ada"})
		f.AssertRequest(t, "POST /v1/customers/"+cu.ID, nil)
		f.AssertRequestCount(t, "POST /v1/customers", 1)
		f.AssertRequestCount(t, "POST /v1/customers*", 2)
		f.AssertRequestCount(t, "DELETE *", 0)
	})
}

func TestAssertionsReportDiffs(t *testing.T) {
	rt := &recordingTB{TB: t}
	f := fake.New(rt)
	sc := testfake.Client(f)
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, run func(), wants ...string) {
		t.Helper()
		rt.errs = nil
		run()
		if len(rt.errs) != 1 {
			t.Errorf("%s: %d errors %q", name, len(rt.errs), rt.errs)
			return
		}
		for _, w := range wants {
			if !strings.Contains(rt.errs[0], w) {
				t.Errorf("%s: message lacks %q:\n%s", name, w, rt.errs[0])
			}
		}
	}
	check("AssertEvent", func() {
		if ev := f.AssertEvent(rt, "customer.deleted", cu.ID); ev.ID != "" {
			t.Errorf("returned %+v", ev)
		}
	}, "no customer.deleted event about "+cu.ID, "-want +got", `"customer.deleted `+cu.ID+`"`)
	check("AssertNoEvent", func() { f.AssertNoEvent(rt, "customer.created", "") },
		"unexpected customer.created event", `"customer.created `+cu.ID+`"`)
	check("AssertEventTypes", func() { f.AssertEventTypes(rt, cu.ID, "customer.created", "customer.updated") },
		"event types about "+cu.ID, `"customer.updated"`)
	check("AssertRequest params", func() {
		f.AssertRequest(rt, "POST /v1/customers", map[string]string{"email": "bob@example.com", "name": "Bob"})
	}, "none sent these params", `"bob@example.com"`, `"ada@example.com"`, `"Bob"`)
	check("AssertRequest route", func() { f.AssertRequest(rt, "DELETE /v1/customers/{customer}", nil) },
		`no request matched "DELETE /v1/customers/{customer}"`, "POST /v1/customers (200)")
	check("AssertRequestCount", func() { f.AssertRequestCount(rt, "POST /v1/customers", 2) },
		"1 request(s) matched", "want 2", "POST /v1/customers (200)")
	check("AssertWebhookDelivered", func() { f.AssertWebhookDelivered(rt, "", "customer.created", cu.ID) },
		"customer.created "+cu.ID+" was not delivered")
	check("bad pattern", func() { f.AssertRequestCount(rt, "customers", 1) }, "bad request pattern")
}

func TestDumpShowsStateEventsDeliveriesAndJobs(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	f.HandleWebhooks("https://svc.example/hooks", srv)
	we, _ := f.AddWebhookEndpoint("https://svc.example/hooks", "customer.created")
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	dump := f.Dump()
	for _, want := range []string{
		"stripefake at 2026-01-15T12:00:00Z",
		"2026-01-15T13:00:00Z  fake clock    webhook.retry",
		"objects:\n",
		"customer " + cu.ID + " email=ada@example.com",
		"webhook_endpoint " + we + " status=enabled url=https://svc.example/hooks",
		"events (1, oldest first):",
		"customer.created " + cu.ID,
		"webhook deliveries:",
		"customer.created " + cu.ID + " to " + we + ": pending [418] next retry 2026-01-15T13:00:00Z",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("Dump lacks %q:\n%s", want, dump)
		}
	}
	if strings.Contains(dump, "whsec_") {
		t.Errorf("Dump shows a secret:\n%s", dump)
	}
	f.Advance(24 * time.Hour)
	if dump := f.Dump(); !strings.Contains(dump, ": failed [418] [418] [418] [418]") || strings.Contains(dump, "webhook.retry") {
		t.Errorf("after the retries:\n%s", dump)
	}
}

// Require… make the same checks as Assert… but stop the test, so their
// value is never a silent zero (issue 12, item 13).
func TestRequireStopsTheTest(t *testing.T) {
	rt := &recordingTB{TB: t}
	f := fake.New(rt)
	sc := testfake.Client(f)
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if ev := f.RequireEvent(rt, "customer.created", cu.ID); ev.ObjectID != cu.ID {
		t.Errorf("RequireEvent returned %+v", ev)
	}
	if r := f.RequireRequest(rt, "POST /v1/customers", map[string]string{"email": "ada@example.com"}); r.Status != http.StatusOK {
		t.Errorf("RequireRequest returned %+v", r)
	}
	if len(rt.errs) != 0 {
		t.Fatalf("passing checks reported %q", rt.errs)
	}
	f.RequireEvent(rt, "customer.deleted", cu.ID)
	f.RequireRequest(rt, "DELETE /v1/customers/{customer}", nil)
	f.RequireWebhookDelivered(rt, "", "customer.created", cu.ID)
	f.AssertEvent(rt, "customer.deleted", cu.ID)
	want := []string{"FATAL: fake: no customer.deleted", "FATAL: fake: no request matched", "FATAL: fake: customer.created", "fake: no customer.deleted"}
	if len(rt.errs) != len(want) {
		t.Fatalf("errors %q", rt.errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(rt.errs[i], w) {
			t.Errorf("error %d = %q, want it to start %q", i, rt.errs[i], w)
		}
	}
}
