package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Header choices of FuzzHandler, packed in one byte so the fuzzer can flip
// them independently.
const (
	hdrAuthMask    = 0x03 // 0 secret key, 1 none, 2 Basic secret key, 3 publishable key
	hdrVersionMask = 0x0c // >>2: 0 none, 1 the default version, 2 an older release, 3 garbage
	hdrIdempotency = 0x10 // send the idem argument as Idempotency-Key
	hdrV1Prefix    = 0x20 // put "/v1/" before a path that has no version
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete}

type handlerInput struct {
	method      byte
	path, query string
	body        string
	hdr         byte
	idem        string
}

// handlerSeeds are real routes and the awkward inputs worth starting from.
var handlerSeeds = []handlerInput{
	{0, "/v1/customers", "limit=3", "", 0, ""},
	{1, "/v1/customers", "", "email=a%40b.c&name=Jenny&metadata[order_id]=6735", 0, ""},
	{1, "/v1/customers", "", "metadata[12345]=x&metadata[0]=a&metadata[7]=b", 0, ""},
	{0, "/v1/customers/cus_x", "", "", 0, ""},
	{0, "/v1/customers/{customer}", "expand[]=test_clock", "", 0, ""},
	{1, "/v1/customers/{customer}", "", "description=&metadata[42]=x&invoice_settings[default_payment_method]=pm_card_visa", 0, ""},
	{0, "/v1/customers/search", "query=email%3A%27a%40b.c%27+AND+metadata%5B%27k%27%5D%3A%27v%27", "", 0, ""},
	{0, "/v1/customers/search", "query=name~%22x", "", 0, ""},
	{0, "/v1/customers/search", "query=", "", 0, ""},
	{0, "/v1/customers/{customer}/balance_transactions", "limit=100", "", 0, ""},
	{1, "/v1/customers/{customer}/balance_transactions", "", "amount=-9223372036854775808&currency=usd", 0, ""},
	{1, "/v1/customers/{customer}/balance_transactions", "", "amount=9223372036854775807&currency=usd", 0, ""},
	{0, "/v1/customers/{customer}/payment_methods", "type=card", "", 0, ""},
	{1, "/v1/prices", "", "currency=usd&unit_amount=100&product_data[name]=P", 0, ""},
	{1, "/v1/prices", "", "currency=usd&billing_scheme=tiered&tiers_mode=graduated&tiers[0][up_to]=10&tiers[0][unit_amount]=5&tiers[1][up_to]=inf&tiers[1][unit_amount_decimal]=1.5&recurring[interval]=month&product_data[name]=P", 0, ""},
	{0, "/v1/prices", "active=true&expand[]=data.product", "", 0, ""},
	{1, "/v1/prices/{price}", "", "active=false&metadata[1]=a&lookup_key=k", 0, ""},
	{1, "/v1/products/{product}", "", "default_price={price}&marketing_features[][name]=f", 0, ""},
	{0, "/v1/coupons/{coupon}", "", "", 0, ""},
	{0, "/v1/prices/search", "query=active%3A%27true%27", "", 0, ""},
	{1, "/v1/products", "", "name=P&default_price_data[currency]=usd&default_price_data[unit_amount]=1", 0, ""},
	{1, "/v1/coupons", "", "percent_off=50&duration=once", 0, ""},
	{1, "/v1/payment_methods/pm_card_visa/attach", "", "customer=cus_x", 0, ""},
	{1, "/v1/payment_methods/pm_card_visa/attach", "", "customer={customer}", 0, ""},
	{1, "/v2/billing/meter_events", "", `{"event_name":"e","payload":{"stripe_customer_id":"{customer}","value":"1"}}`, 0, ""},
	{0, "/v1/payment_methods/pm_card_visa", "", "", 0, ""},
	{0, "/v1/events", "type=customer.created&created[gte]=0", "", 0, ""},
	{0, "/v1/events/evt_x", "", "", 0, ""},
	{1, "/v2/billing/meter_events", "", `{"event_name":"api_call","payload":{"stripe_customer_id":"cus_x","value":"5"}}`, 0, ""},
	{1, "/v2/billing/meter_events", "", `{"event_name":`, 0, ""},
	{1, "/v2/billing/meter_events", "", `[1,2]`, 0, ""},
	// Unknown parameters, at the top and nested.
	{1, "/v1/customers", "", "notaparam=1&address[cityy]=x", 0, ""},
	{0, "/v1/customers", "foo[bar][baz]=1", "", 0, ""},
	// Nested and malformed brackets.
	{1, "/v1/customers", "", "address[line1]=x&address[line1][x]=y", 0, ""},
	{1, "/v1/customers", "", "a[b=1&c]d=2&[x]=3", 0, ""},
	{1, "/v1/customers", "", "metadata[a][b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q]=deep", 0, ""},
	{1, "/v1/subscriptions", "", "customer=cus_x&items[][price]=p&items[][quantity]=2&items[1][price]=q", 0, ""},
	{1, "/v1/subscriptions", "", "items[1][price]=q&items[0][price]=p&items[x][price]=r", 0, ""},
	// Huge, negative and odd integers.
	{1, "/v1/customers", "", "balance=99999999999999999999999", 0, ""},
	{1, "/v1/customers", "", "balance=-9223372036854775808", 0, ""},
	{0, "/v1/customers", "limit=-1", "", 0, ""},
	{0, "/v1/customers", "limit=1e3&created=abc", "", 0, ""},
	{1, "/v1/coupons", "", "amount_off=-1&currency=usd&duration=repeating&duration_in_months=0", 0, ""},
	// Metadata limits: many keys, long keys, long values.
	{1, "/v1/customers", "", manyKeys(60), 0, ""},
	{1, "/v1/customers", "", "metadata[" + strings.Repeat("k", 41) + "]=v&metadata[x]=" + strings.Repeat("v", 501), 0, ""},
	// Empty strings everywhere.
	{1, "/v1/customers", "", "email=&name=&metadata=&address=&expand[]=", 0, ""},
	{0, "/v1/customers", "limit=&starting_after=&ending_before=", "", 0, ""},
	{1, "", "", "", hdrV1Prefix, ""},
	// Bad escapes in the query, the body and the path.
	{0, "/v1/customers", "limit=%zz", "", 0, ""},
	{1, "/v1/customers", "", "name=%zz&%5Bx=1", 0, ""},
	{0, "/v1/customers/%zz", "", "", 0, ""},
	{0, "/v1/customers/cus%2Fx", "", "", 0, ""},
	// Expand depth and unknown expansions.
	{0, "/v1/customers", "expand[]=data.default_source.customer.default_source.customer", "", 0, ""},
	{0, "/v1/prices", "expand[0]=data.product.default_price.product.default_price.product", "", 0, ""},
	{0, "/v1/customers/cus_x", "expand[]=nope&expand[]=", "", 0, ""},
	// Headers: each auth choice, each version choice, idempotency keys.
	{0, "/v1/customers", "", "", 1, ""},
	{0, "/v1/customers", "", "", 2, ""},
	{0, "/v1/customers", "", "", 3, ""},
	{0, "/v1/customers", "", "", 1 << 2, ""},
	{0, "/v1/customers", "", "", 2 << 2, ""},
	{0, "/v1/customers", "", "", 3 << 2, ""},
	{1, "/v1/customers", "", "name=a", hdrIdempotency, "key-1"},
	{1, "/v1/customers", "", "name=b", hdrIdempotency, "key-1"},
	{0, "/v1/customers", "", "", hdrIdempotency, "key-1"},
	{1, "/v1/customers", "", "name=a", hdrIdempotency, strings.Repeat("k", 300)},
	// Unknown routes and methods, relative and odd paths.
	{0, "customers", "", "", hdrV1Prefix, ""},
	{0, "/v1/nope", "", "", 0, ""},
	{2, "/v1/prices", "", "", 0, ""},
	{0, "/v1/customers/", "", "", 0, ""},
	{0, "//v1//customers", "", "", 0, ""},
	{0, "/_stripefake/invoices/in_x", "", "", 0, ""},
	{0, "/v1/invoices", "", "", 0, ""},
	// The shared string rules: lengths ({big} is over bbolt's 32 KiB key
	// limit), NUL bytes, currencies, emails and URLs, on keys and values.
	{1, "/v1/customers", "", "name={big}&email={big}%40example.com", 0, ""},
	{1, "/v1/customers", "", "email=a%00b%40example.com&metadata[k%00]=v%00", 0, ""},
	{1, "/v1/customers", "", "email=notanemail", 0, ""},
	{1, "/v1/customers/{customer}", "", "email=&description={big}", 0, ""},
	{0, "/v1/customers/{big}", "", "", 0, ""},
	{1, "/v1/customers/{big}", "", "name=x", 0, ""},
	{2, "/v1/customers/a%00b", "", "", 0, ""},
	{0, "/v1/customers", "email={big}&starting_after=cus_%00", "", 0, ""},
	{1, "/v1/coupons", "", "id={big}&percent_off=5&duration=once", 0, ""},
	{1, "/v1/coupons", "", "id=a%00b&amount_off=5&currency=zzz&duration=once", 0, ""},
	{1, "/v1/products", "", "name=P&id={big}", 0, ""},
	{1, "/v1/prices", "", "currency=usd&unit_amount=5&product={product}&lookup_key={big}", 0, ""},
	{1, "/v1/prices", "", "currency=usd&unit_amount=5&product={product}&lookup_key=a%00b", 0, ""},
	{1, "/v1/prices", "", "currency=zzz&unit_amount=5&product={product}&currency_options[ZZZ][unit_amount]=1", 0, ""},
	{1, "/v1/plans", "", "currency=ZZZ&amount=5&interval=month&product={product}", 0, ""},
	{1, "/v1/invoiceitems", "", "customer={customer}&amount=5&currency=%00", 0, ""},
	{1, "/v1/customers/{customer}/balance_transactions", "", "amount=5&currency=", 0, ""},
	{1, "/v1/checkout/sessions", "", "mode=payment&success_url=javascript%3Aalert(1)&line_items[0][quantity]=1&line_items[0][price_data][currency]=zzz&line_items[0][price_data][unit_amount]=5&line_items[0][price_data][product]={product}", 0, ""},
	{1, "/v1/checkout/sessions", "", "mode=payment&success_url=https%3A%2F%2Fx.test%2F%7BCHECKOUT_SESSION_ID%7D&cancel_url=%2F%2Fevil&customer_email=%00&line_items[0][price]={price}&line_items[0][quantity]=1", 0, ""},
	{1, "/v1/billing_portal/sessions", "", "customer={customer}&return_url=data%3Atext%2Fhtml%2Cx", 0, ""},
	{1, "/v1/webhook_endpoints", "", "url=javascript%3Aalert(1)&enabled_events[]=*", 0, ""},
	{1, "/v1/webhook_endpoints", "", "url=https%3A%2F%2F{big}.example&enabled_events[]=*&description={big}", 0, ""},
	{1, "/v1/test_helpers/test_clocks", "", "frozen_time=1800000000&name=%00", 0, ""},
	{1, "/v2/billing/meter_events", "", `{"event_name":"e\u0000","identifier":"{big}","payload":{"stripe_customer_id":"{customer}","value":"1\u0000"}}`, 0, ""},
	{1, "/v1/customers", "", "name=x", hdrIdempotency, "{big}"},
	// Deletes last, so that the seeds above find the objects alive.
	{2, "/v1/customers/{customer}", "", "", 0, ""},
	{2, "/v1/products/{product}", "", "", 0, ""},
	{2, "/v1/coupons/{coupon}", "", "", 0, ""},
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("metadata[key")
		b.WriteString(strings.Repeat("x", i%5))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString("]=v&")
	}
	return b.String()
}

// bigValue stands for {big} in inputs: longer than bbolt's 32 KiB key
// limit, so that any value that could reach an index or a key would show
// up as a store error.
var bigValue = strings.Repeat("a", 33000)

// fuzzObjects creates one object of each kind the fake implements and
// returns their IDs by placeholder ("{customer}"), so that inputs can name
// objects that exist: the fuzzer alone would never guess an ID.
func fuzzObjects(tb testing.TB, h http.Handler) map[string]string {
	tb.Helper()
	create := func(path, body string) string {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk_test_123")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var obj struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &obj); err != nil || rec.Code != http.StatusOK || obj.ID == "" {
			tb.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body.Bytes())
		}
		return obj.ID
	}
	ids := map[string]string{}
	ids["{customer}"] = create("/v1/customers", "email=fuzz%40example.com&metadata[1]=one")
	ids["{product}"] = create("/v1/products", "name=Fuzz")
	ids["{price}"] = create("/v1/prices", "currency=usd&unit_amount=100&product="+ids["{product}"])
	ids["{coupon}"] = create("/v1/coupons", "percent_off=10&duration=once")
	return ids
}

// FuzzHandler drives the whole HTTP handler in process. Whatever arrives,
// the fake must answer without panicking, never with a 5xx but its 501 "not
// implemented", always with a JSON object body (an error envelope with type
// and message when it is an error) and a Request-Id header.
//
// One fake serves every input, so state built by one input (customers,
// idempotency keys) is there for later ones, as in a long test run.
// Placeholders such as {customer} in the path, query or body stand for
// objects made before the first input.
func FuzzHandler(f *testing.F) { fuzzHandler(f) }

// FuzzHandlerBolt is FuzzHandler on the bbolt store, whose limits (key
// size, no NUL in index terms) the memory store does not have.
func FuzzHandlerBolt(f *testing.F) {
	fuzzHandler(f, fake.WithStore(testfake.Open(f, testfake.Bolt)))
}

func fuzzHandler(f *testing.F, opts ...fake.Option) {
	fk, err := fake.Start(opts...)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = fk.Close() })
	h := fk.Handler()
	ids := fuzzObjects(f, h)
	ids["{big}"] = bigValue
	fill := func(s string) string {
		for placeholder, id := range ids {
			s = strings.ReplaceAll(s, placeholder, id)
		}
		return s
	}
	for _, s := range handlerSeeds {
		f.Add(s.method, s.path, s.query, s.body, s.hdr, s.idem)
	}
	f.Fuzz(func(t *testing.T, method byte, path, query, body string, hdr byte, idem string) {
		req, ok := handlerRequest(method, fill(path), fill(query), fill(body), hdr, fill(idem))
		if !ok {
			return // no HTTP server would hand this to a handler
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkHandlerResponse(t, req, rec)
	})
}

// handlerRequest builds the request a server would pass to the handler, or
// reports false when the request line could not be parsed.
func handlerRequest(method byte, path, query, body string, hdr byte, idem string) (*http.Request, bool) {
	if hdr&hdrV1Prefix != 0 && !strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v2/") {
		path = "/v1/" + strings.TrimPrefix(path, "/")
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	target := path
	if query != "" {
		target += "?" + query
	}
	// net/http parses the request target with url.ParseRequestURI and
	// rejects what fails before any handler runs; it also never passes a
	// target with spaces or control bytes.
	if strings.ContainsAny(target, " \x00\r\n\t") {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	req := &http.Request{
		Method:        fuzzMethods[int(method)%len(fuzzMethods)],
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Host:          "stripefake.test",
		RequestURI:    target,
	}
	if strings.HasPrefix(u.Path, "/v2/") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch hdr & hdrAuthMask {
	case 0:
		req.Header.Set("Authorization", "Bearer sk_test_123")
	case 2:
		req.SetBasicAuth("sk_test_123", "")
	case 3:
		req.Header.Set("Authorization", "Bearer pk_test_123")
	}
	switch (hdr & hdrVersionMask) >> 2 {
	case 1:
		req.Header.Set("Stripe-Version", resources.DefaultAPIVersion)
	case 2:
		req.Header.Set("Stripe-Version", "2024-04-10")
	case 3:
		req.Header.Set("Stripe-Version", "not-a-version")
	}
	if hdr&hdrIdempotency != 0 {
		req.Header.Set("Idempotency-Key", idem)
	}
	return req, true
}

func checkHandlerResponse(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	what := req.Method + " " + req.RequestURI
	if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
		t.Fatalf("%s: status %d, body %s", what, rec.Code, rec.Body.Bytes())
	}
	if strings.HasPrefix(req.URL.Path, resources.PagesPrefix) {
		return // hosted pages are HTML, outside the API's rules
	}
	if rec.Header().Get("Request-Id") == "" {
		t.Errorf("%s: no Request-Id header", what)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: status %d, body is not a JSON object (%v): %q", what, rec.Code, err, rec.Body.Bytes())
	}
	envelope, isErr := body["error"]
	if rec.Code < 400 {
		if isErr {
			t.Errorf("%s: status %d with an error envelope: %s", what, rec.Code, rec.Body.Bytes())
		}
		return
	}
	e, ok := envelope.(map[string]any)
	if !ok {
		t.Fatalf("%s: status %d without an error envelope: %s", what, rec.Code, rec.Body.Bytes())
	}
	if typ, _ := e["type"].(string); typ == "" {
		t.Errorf("%s: error without a type: %s", what, rec.Body.Bytes())
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("%s: error without a message: %s", what, rec.Body.Bytes())
	}
}
