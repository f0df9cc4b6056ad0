package schematest_test

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/stripe/stripe-mock/embedded"
	"github.com/stripefake/stripefake/internal/spec/schematest"
)

// fixtures returns stripe-mock's fixtures3.json resources by schema name.
func fixtures(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	var f struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(embedded.OpenAPIFixtures, &f); err != nil {
		t.Fatal(err)
	}
	return f.Resources
}

// fixture returns one fixture as a mutable tree.
func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	raw, ok := fixtures(t)[name]
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// violations returns err's violations as "path: message" lines, failing the
// test if err is not a *schematest.Error.
func violations(t testing.TB, err error) []string {
	t.Helper()
	var se *schematest.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *schematest.Error", err, err)
	}
	var out []string
	for _, v := range se.Violations {
		out = append(out, v.String())
	}
	return out
}

func TestFixturesValidate(t *testing.T) {
	for _, name := range []string{
		"customer", "test_helpers.test_clock", "coupon", "promotion_code",
		"tax_rate", "invoiceitem", "billing.meter", "billing.credit_grant", "payment_method",
		"setup_intent", "checkout.session", "billing_portal.session", "webhook_endpoint",
	} {
		if err := schematest.ValidateObject(name, fixtures(t)[name]); err != nil {
			t.Errorf("fixture %s: %v", name, err)
		}
	}
}

// stripe-mock's fixtures carry a few properties that Stripe has since
// removed (the invoice's top-level subscription went in basil, plans in
// clover). In strict mode they are exactly what is reported; with
// AllowUnknownProperties the fixtures are valid. This pins both the check
// and the absence of false alarms on types, enums and nullability.
func TestFixturesWithRemovedProperties(t *testing.T) {
	tests := map[string][]string{
		"invoice":               {"$.subscription: property not in the schema of invoice"},
		"subscription_schedule": {"$.phases[0].items[0].plan: property not in the schema of subscription_schedule_configuration_item"},
		"price":                 {"$.recurring.trial_period_days: property not in the schema of recurring"},
		"product":               {"$.type: property not in the schema of product"},
		"event":                 {"$.data.object.aggregate_usage: property not in the schema of plan"},
		"subscription_item":     {"$.plan: property not in the schema of subscription_item", "$.price.recurring.trial_period_days: property not in the schema of recurring"},
	}
	for name, want := range tests {
		raw := fixtures(t)[name]
		got := violations(t, schematest.ValidateObject(name, raw))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("fixture %s violations:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if err := schematest.ValidateObject(name, raw, schematest.AllowUnknownProperties()); err != nil {
			t.Errorf("fixture %s with unknown properties allowed: %v", name, err)
		}
	}
}

// Every fixture that has a schema is valid apart from removed properties:
// a broad check that the validator raises no false alarms.
func TestAllFixturesLenient(t *testing.T) {
	all := fixtures(t)
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		err := schematest.ValidateObject(name, all[name], schematest.AllowUnknownProperties())
		if err != nil && strings.Contains(err.Error(), "no schema") {
			continue // fixtures of preview resources the spec leaves out
		}
		checked++
		if err != nil {
			t.Errorf("fixture %s: %v", name, err)
		}
	}
	if checked < 150 {
		t.Errorf("only %d fixtures checked", checked)
	}
}

func TestMutatedCustomer(t *testing.T) {
	clock := fixture(t, "test_helpers.test_clock")
	tests := []struct {
		name   string
		mutate func(c map[string]any)
		want   []string
	}{
		{"missing required", func(c map[string]any) { delete(c, "livemode") },
			[]string{`$: missing required property "livemode"`}},
		{"wrong type", func(c map[string]any) { c["balance"] = "100" },
			[]string{`$.balance: expected integer, got "100"`}},
		{"fraction for an integer", func(c map[string]any) { c["created"] = 1.5 },
			[]string{`$.created: expected integer, got number 1.5`}},
		{"bad enum", func(c map[string]any) { c["tax_exempt"] = "sometimes" },
			[]string{`$.tax_exempt: "sometimes" is not one of [exempt, none, reverse]`}},
		{"bad object value", func(c map[string]any) { c["object"] = "customers" },
			[]string{`$.object: "customers" is not one of [customer]`}},
		{"null where not nullable", func(c map[string]any) { c["created"] = nil },
			[]string{`$.created: is null, but this integer is not nullable`}},
		{"null hash where not nullable", func(c map[string]any) { c["invoice_settings"] = nil },
			[]string{`$.invoice_settings: is null, but invoice_setting_customer_setting is not nullable`}},
		{"unknown property", func(c map[string]any) { c["subscription"] = "sub_1" },
			[]string{`$.subscription: property not in the schema of customer`}},
		{"nested wrong type", func(c map[string]any) { c["address"].(map[string]any)["city"] = 5 },
			[]string{`$.address.city: expected string, got number 5`}},
		{"nested unknown", func(c map[string]any) { c["address"].(map[string]any)["town"] = "x" },
			[]string{`$.address.town: property not in the schema of address`}},
		{"metadata value not a string", func(c map[string]any) { c["metadata"] = map[string]any{"a": 1} },
			[]string{`$.metadata.a: expected string, got number 1`}},
		{"too long", func(c map[string]any) { c["invoice_prefix"] = strings.Repeat("x", 5001) },
			[]string{`$.invoice_prefix: is 5001 characters long, more than maxLength 5000`}},
		{"expanded ID is valid", func(c map[string]any) { c["test_clock"] = clock }, nil},
		{"expanded object is checked", func(c map[string]any) {
			c["test_clock"] = map[string]any{"object": "test_helpers.test_clock", "id": "clock_1", "status": "ready"}
		}, []string{
			`$.test_clock: matches none of string | test_helpers.test_clock; closest is test_helpers.test_clock:`,
			`$.test_clock: missing required property "created"`,
			`$.test_clock: missing required property "deletes_after"`,
			`$.test_clock: missing required property "frozen_time"`,
			`$.test_clock: missing required property "livemode"`,
			`$.test_clock: missing required property "status_details"`,
		}},
		{"several at once", func(c map[string]any) {
			delete(c, "id")
			c["balance"] = true
			c["zzz"] = 1
		}, []string{
			`$: missing required property "id"`,
			`$.balance: expected integer, got boolean true`,
			`$.zzz: property not in the schema of customer`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixture(t, "customer")
			tt.mutate(c)
			err := schematest.ValidateObject("customer", marshal(t, c))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateObject: %v", err)
				}
				return
			}
			got := violations(t, err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestAllowUnknownProperties(t *testing.T) {
	c := fixture(t, "customer")
	c["subscription"] = "sub_1"
	if err := schematest.ValidateObject("customer", marshal(t, c), schematest.AllowUnknownProperties()); err != nil {
		t.Errorf("unknown property with AllowUnknownProperties: %v", err)
	}
	c["balance"] = "x"
	if err := schematest.ValidateObject("customer", marshal(t, c), schematest.AllowUnknownProperties()); err == nil {
		t.Error("AllowUnknownProperties let a wrong type through")
	}
}

func TestEventDataObject(t *testing.T) {
	ev := fixture(t, "event")
	ev["data"] = map[string]any{"object": fixture(t, "customer")}
	if err := schematest.ValidateObject("event", marshal(t, ev)); err != nil {
		t.Fatalf("customer event: %v", err)
	}
	cus := fixture(t, "customer")
	cus["balance"] = "lots"
	ev["data"] = map[string]any{"object": cus, "previous_attributes": map[string]any{"balance": 0}}
	got := violations(t, schematest.ValidateObject("event", marshal(t, ev)))
	want := `$.data.object.balance: expected integer, got "lots"`
	if len(got) != 1 || got[0] != want {
		t.Errorf("violations %q, want [%q]", got, want)
	}
	// A deleted object's event carries the stub.
	ev["data"] = map[string]any{"object": map[string]any{"id": "cus_1", "object": "customer", "deleted": true}}
	if err := schematest.ValidateObject("event", marshal(t, ev)); err != nil {
		t.Errorf("customer.deleted event: %v", err)
	}
}

func TestValidateResponse(t *testing.T) {
	customer := fixture(t, "customer")
	stub := map[string]any{"id": "cus_1", "object": "customer", "deleted": true}
	list := func(url string, data ...any) map[string]any {
		if data == nil {
			data = []any{}
		}
		return map[string]any{"object": "list", "url": url, "has_more": false, "data": data}
	}
	meterEvent := map[string]any{
		"object": "v2.billing.meter_event", "created": "2026-01-15T12:00:00.000Z", "event_name": "api_call",
		"identifier": "id_1", "livemode": false, "payload": map[string]any{"value": "5"}, "timestamp": "2026-01-15T12:00:00Z",
	}
	tests := []struct {
		name            string
		method, pattern string
		status          int
		body            any
		want            []string // nil: valid
	}{
		{"retrieve", "GET", "/v1/customers/{customer}", 200, customer, nil},
		{"retrieve deleted", "GET", "/v1/customers/{customer}", 200, stub, nil},
		{"delete", "DELETE", "/v1/customers/{customer}", 200, stub, nil},
		{"delete stub without deleted", "DELETE", "/v1/customers/{customer}", 200,
			map[string]any{"id": "cus_1", "object": "customer"},
			[]string{`$: missing required property "deleted"`}},
		{"list", "GET", "/v1/customers", 200, list("/v1/customers", customer, customer), nil},
		{"empty list", "GET", "/v1/customers", 200, list("/v1/customers"), nil},
		{"list with a wrong url", "GET", "/v1/customers", 200, list("/v1/invoices"),
			[]string{`$.url: "/v1/invoices" does not match pattern ^/v1/customers`}},
		{"list without has_more", "GET", "/v1/customers", 200,
			map[string]any{"object": "list", "url": "/v1/customers", "data": []any{}},
			[]string{`$: missing required property "has_more"`}},
		{"list with a bad element", "GET", "/v1/customers", 200, list("/v1/customers", map[string]any{"object": "customer"}),
			[]string{`$.data[0]: missing required property "created"`, `$.data[0]: missing required property "id"`, `$.data[0]: missing required property "livemode"`}},
		{"search", "GET", "/v1/customers/search", 200,
			map[string]any{"object": "search_result", "url": "/v1/customers/search", "has_more": false, "next_page": nil, "data": []any{customer}}, nil},
		{"error", "POST", "/v1/customers", 400, map[string]any{"error": map[string]any{
			"type": "invalid_request_error", "code": "parameter_unknown", "param": "foo",
			"message": "Received unknown parameter: foo", "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
		}}, nil},
		{"404 error", "GET", "/v1/customers/{customer}", 404, map[string]any{"error": map[string]any{
			"type": "invalid_request_error", "code": "resource_missing", "param": "id", "message": "No such customer: 'cus_x'",
		}}, nil},
		{"error with a bad type", "POST", "/v1/customers", 400, map[string]any{"error": map[string]any{"type": "oops", "message": "x"}},
			[]string{`$.error.type: "oops" is not one of [api_error, card_error, idempotency_error, invalid_request_error]`}},
		{"error without the envelope", "POST", "/v1/customers", 500, map[string]any{"type": "api_error", "message": "x"},
			[]string{`$: missing required property "error"`, `$.message: property not in the schema of error`, `$.type: property not in the schema of error`}},
		{"v2 meter event", "POST", "/v2/billing/meter_events", 200, meterEvent, nil},
		{"v2 meter event with a unix time", "POST", "/v2/billing/meter_events", 200,
			func() map[string]any {
				m := map[string]any{}
				copyMap(m, meterEvent)
				m["created"] = 1700000000
				return m
			}(),
			[]string{`$.created: expected string, got number 1700000000`}},
		{"v2 error", "POST", "/v2/billing/meter_events", 400, map[string]any{"error": map[string]any{
			"type": "invalid_request_error", "code": "parameter_missing", "message": "Missing required param: event_name.",
		}}, nil},
		{"v2 stream", "POST", "/v2/billing/meter_event_stream", 202, map[string]any{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schematest.ValidateResponse(tt.method, tt.pattern, tt.status, marshal(t, tt.body))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateResponse: %v", err)
				}
				return
			}
			got := violations(t, err)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func copyMap(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}

func TestValidateResponseMisuse(t *testing.T) {
	if err := schematest.ValidateResponse("GET", "/v1/nope", 200, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "no operation") {
		t.Errorf("unknown operation: %v", err)
	}
	if err := schematest.ValidateResponse("PUT", "/v1/customers", 200, []byte(`{}`)); err == nil {
		t.Error("unknown method accepted")
	}
	if err := schematest.ValidateResponse("GET", "/v1/customers", 200, []byte(`not json`)); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("non-JSON body: %v", err)
	}
	if err := schematest.ValidateResponse("GET", "/v1/customers", 302, []byte(`{}`)); err == nil {
		t.Error("3xx accepted")
	}
	if err := schematest.ValidateObject("no_such_schema", []byte(`{}`)); err == nil {
		t.Error("unknown schema accepted")
	}
	// The quote PDF is not JSON; the spec says so and it is not checked.
	if err := schematest.ValidateResponse("GET", "/v1/quotes/{quote}/pdf", 200, []byte("%PDF-1.4")); err != nil {
		t.Errorf("PDF: %v", err)
	}
}

func TestErrorMessage(t *testing.T) {
	err := schematest.ValidateObject("customer", []byte(`{"object":"customer"}`))
	want := "3 schema violation(s) against customer:\n\t$: missing required property \"created\"\n\t$: missing required property \"id\"\n\t$: missing required property \"livemode\""
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func BenchmarkValidateCustomerList(b *testing.B) {
	c := fixture(b, "customer")
	data := make([]any, 10)
	for i := range data {
		data[i] = c
	}
	body := marshal(b, map[string]any{"object": "list", "url": "/v1/customers", "has_more": false, "data": data})
	if err := schematest.ValidateResponse("GET", "/v1/customers", 200, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := schematest.ValidateResponse("GET", "/v1/customers", 200, body); err != nil {
			b.Fatal(err)
		}
	}
}
