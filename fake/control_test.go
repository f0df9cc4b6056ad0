package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// control calls the control API with a secret key and decodes the answer
// into out (if not nil). body is form-encoded unless it starts with "{".
func control(t *testing.T, f *fake.Fake, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_control")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

type clockAnswer struct {
	Object string `json:"object"`
	Now    int64  `json:"now"`
	Time   string `json:"time"`
}

type errorAnswer struct {
	Error struct {
		Type, Code, Param, Message string
	} `json:"error"`
}

func TestControlClock(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	var now clockAnswer
	if st := control(t, f, "GET", "/_stripefake/now", "", &now); st != 200 || now.Now != testfake.Start.Unix() ||
		now.Time != "2026-01-15T12:00:00Z" || now.Object != "stripefake.clock" {
		t.Fatalf("now: %d %+v", st, now)
	}

	// A draft invoice finalizes an hour after creation: advancing two hours
	// answers only after that ran.
	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
		Customer: stripe.String(cu.ID), CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30),
		AutoAdvance: stripe.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := control(t, f, "POST", "/_stripefake/advance", "duration=2h", &now); st != 200 || now.Now != testfake.Start.Add(2*time.Hour).Unix() {
		t.Fatalf("advance: %d %+v", st, now)
	}
	f.AssertEvent(t, "invoice.finalized", inv.ID)

	// to= in Unix seconds, form or JSON.
	to := testfake.Start.Add(48 * time.Hour).Unix()
	if st := control(t, f, "POST", "/_stripefake/advance", `{"to": `+jsonInt(to)+`}`, &now); st != 200 || now.Now != to || !f.Now().Equal(time.Unix(to, 0)) {
		t.Fatalf("advance to: %d %+v, fake at %v", st, now, f.Now())
	}

	for _, tc := range []struct{ body, param, code string }{
		{"", "duration", "parameter_missing"},
		{"duration=-1h", "duration", ""},
		{"duration=soon", "duration", ""},
		{"to=tomorrow", "to", "parameter_invalid_integer"},
		{"duration=1h&to=5", "to", ""},
		{"days=3", "days", "parameter_unknown"},
		{"to=99999999999", "to", ""},
		{"duration=2000000h", "duration", ""},
	} {
		var e errorAnswer
		if st := control(t, f, "POST", "/_stripefake/advance", tc.body, &e); st != 400 || e.Error.Param != tc.param ||
			e.Error.Code != tc.code || e.Error.Type != "invalid_request_error" {
			t.Errorf("advance %q: %d %+v", tc.body, st, e)
		}
	}
	if !f.Now().Equal(time.Unix(to, 0)) {
		t.Errorf("a refused advance moved the clock to %v", f.Now())
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestControlAuthAndUnknownPaths(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	for _, key := range []string{"", "pk_test_123", "sk_live_123"} {
		req, _ := http.NewRequest("GET", f.URL()+"/_stripefake/now", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("key %q: %d", key, resp.StatusCode)
		}
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/_stripefake/nope"}, {"GET", "/_stripefake/advance"}, {"POST", "/_stripefake/now"},
		{"DELETE", "/_stripefake/faults/a/b"}, {"GET", "/_stripefake/"},
	} {
		var e errorAnswer
		if st := control(t, f, c.method, c.path, "", &e); st != 404 || e.Error.Type != "invalid_request_error" ||
			!strings.Contains(e.Error.Message, "Unrecognized request URL ("+c.method+": "+c.path+")") {
			t.Errorf("%s %s: %d %+v", c.method, c.path, st, e)
		}
	}
}

func TestControlRequestsAndEvents(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
		t.Fatal(err)
	}
	var reqs struct {
		Object string
		Data   []struct {
			Method, Path, Route string
			Params              url.Values
			Status              int
			Response            struct{ ID, Object string }
		}
	}
	if st := control(t, f, "GET", "/_stripefake/requests?pattern="+url.QueryEscape("POST /v1/customers"), "", &reqs); st != 200 ||
		reqs.Object != "list" || len(reqs.Data) != 1 {
		t.Fatalf("requests: %d %+v", st, reqs)
	}
	r := reqs.Data[0]
	if r.Method != "POST" || r.Route != "/v1/customers" || r.Params.Get("email") != "ada@example.com" || r.Status != 200 ||
		r.Response.ID != cu.ID || r.Response.Object != "customer" {
		t.Errorf("request: %+v", r)
	}
	control(t, f, "GET", "/_stripefake/requests", "", &reqs)
	if len(reqs.Data) != 2 {
		t.Errorf("all requests: %d, want 2 (control calls are not recorded)", len(reqs.Data))
	}

	var evs struct {
		Data []struct {
			ID, Object, Type string
			Data             struct{ Object struct{ ID, Email string } }
		}
	}
	if st := control(t, f, "GET", "/_stripefake/events?type=customer.*", "", &evs); st != 200 || len(evs.Data) != 1 {
		t.Fatalf("events: %d %+v", st, evs)
	}
	if ev := evs.Data[0]; ev.Object != "event" || ev.Type != "customer.created" || ev.Data.Object.ID != cu.ID ||
		ev.Data.Object.Email != "ada@example.com" || ev.ID != f.Events()[0].ID {
		t.Errorf("event: %+v", ev)
	}
	control(t, f, "GET", "/_stripefake/events?type=invoice.paid", "", &evs)
	if len(evs.Data) != 0 {
		t.Errorf("invoice.paid events: %+v", evs.Data)
	}
}

type faultAnswer struct {
	ID, Object, Pattern string
	Times, Hits         int
	Active              bool
	Fault               struct {
		Status      int
		Code        string
		DeclineCode string `json:"decline_code"`
	}
}

func TestControlFaults(t *testing.T) {
	f, sc := testfake.New(t, testfake.Memory)
	var fa faultAnswer
	if st := control(t, f, "POST", "/_stripefake/faults", "pattern=POST+/v1/customers&fault=card_declined&decline_code=insufficient_funds", &fa); st != 200 ||
		fa.ID == "" || fa.Times != 1 || !fa.Active || fa.Fault.Status != 402 || fa.Pattern != "POST /v1/customers" {
		t.Fatalf("add fault: %d %+v", st, fa)
	}
	_, err := sc.V1Customers.Create(ctx, nil)
	if se, ok := err.(*stripe.Error); !ok || se.HTTPStatusCode != 402 || se.DeclineCode != "insufficient_funds" {
		t.Fatalf("faulted create: %v", err)
	}
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Fatalf("the fault was for one request: %v", err)
	}
	var list struct{ Data []faultAnswer }
	control(t, f, "GET", "/_stripefake/faults", "", &list)
	if len(list.Data) != 1 || list.Data[0].Hits != 1 || list.Data[0].Active {
		t.Errorf("faults: %+v", list.Data)
	}

	// A custom error, forever, until removed.
	control(t, f, "POST", "/_stripefake/faults", `{"pattern": "GET /v1/customers/{customer}", "times": "forever", "status": 503, "type": "api_error", "message": "down"}`, &fa)
	for range 2 {
		_, err := sc.V1Customers.Retrieve(ctx, "cus_x", nil)
		if se, ok := err.(*stripe.Error); !ok || se.HTTPStatusCode != 503 || se.Msg != "down" {
			t.Fatalf("custom fault: %v", err)
		}
	}
	var del struct {
		ID      string
		Deleted bool
	}
	if st := control(t, f, "DELETE", "/_stripefake/faults/"+fa.ID, "", &del); st != 200 || !del.Deleted || del.ID != fa.ID {
		t.Fatalf("delete: %d %+v", st, del)
	}
	if _, err := sc.V1Customers.Retrieve(ctx, "cus_x", nil); err == nil || err.(*stripe.Error).HTTPStatusCode != 404 {
		t.Errorf("after delete: %v", err)
	}
	var e errorAnswer
	if st := control(t, f, "DELETE", "/_stripefake/faults/"+fa.ID, "", &e); st != 404 || e.Error.Code != "resource_missing" {
		t.Errorf("delete twice: %d %+v", st, e)
	}

	// DELETE /_stripefake/faults clears Go-made rules too.
	f.FailRequests("*", fake.Forever, fake.APIError())
	control(t, f, "DELETE", "/_stripefake/faults", "", nil)
	if _, err := sc.V1Customers.Create(ctx, nil); err != nil {
		t.Errorf("after clearing: %v", err)
	}

	for _, tc := range []struct{ body, param string }{
		{"fault=rate_limit", "pattern"},
		{"pattern=customers&fault=rate_limit", "pattern"},
		{"pattern=POST+/v1/custmers&fault=rate_limit", "pattern"}, // matches no route, as FailRequests refuses
		{"pattern=*", "fault"},
		{"pattern=*&fault=gremlins", "fault"},
		{"pattern=*&fault=rate_limit&status=500", "status"},
		{"pattern=*&status=200", "status"},
		{"pattern=*&fault=rate_limit&times=0", "times"},
	} {
		var e errorAnswer
		if st := control(t, f, "POST", "/_stripefake/faults", tc.body, &e); st != 400 || e.Error.Param != tc.param {
			t.Errorf("faults %q: %d %+v", tc.body, st, e)
		}
	}
}

// Reset empties the state on either store and keeps the clock; the pages
// under the same prefix keep working.
func TestControlReset(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		f.Advance(time.Hour)
		before := f.Now()
		cu, err := sc.V1Customers.Create(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
			Customer: stripe.String(cu.ID), CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30),
		})
		if err != nil {
			t.Fatal(err)
		}
		inv, err = sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(inv.HostedInvoiceURL) // no key: a page, not the control API
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("hosted page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		f.FailRequests("POST /v1/products", 1, fake.APIError())

		var now clockAnswer
		if st := control(t, f, "POST", "/_stripefake/reset", "", &now); st != 200 || now.Now != before.Unix() {
			t.Fatalf("reset: %d %+v", st, now)
		}
		if !f.Now().Equal(before) {
			t.Errorf("clock after reset %v, want %v", f.Now(), before)
		}
		if n := len(f.Events()); n != 0 {
			t.Errorf("%d events after reset", n)
		}
		if n := len(f.Requests()); n != 0 {
			t.Errorf("%d requests after reset", n)
		}
		if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err == nil {
			t.Errorf("customer %s survived the reset", cu.ID)
		}
		if _, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("p")}); err != nil {
			t.Errorf("fault rule survived the reset: %v", err)
		}
		// Nothing pending either: the invoice's jobs went with it.
		f.Advance(60 * 24 * time.Hour)
		if evs := f.Events(); len(evs) != 1 || evs[0].Type != "product.created" {
			t.Errorf("events after reset and a long advance: %+v", evs)
		}
	})
}
