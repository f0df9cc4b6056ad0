package spec

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
	"github.com/stripefake/stripefake/internal/spec/internal/specgen"
	"github.com/stripefake/stripefake/internal/spec/specv2"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		method, path string
		pattern      string // "" for no match
		vars         map[string]string
	}{
		{"GET", "/v1/customers", "/v1/customers", map[string]string{}},
		{"POST", "/v1/customers", "/v1/customers", map[string]string{}},
		{"GET", "/v1/customers/search", "/v1/customers/search", map[string]string{}},
		{"GET", "/v1/customers/cus_123", "/v1/customers/{customer}", map[string]string{"customer": "cus_123"}},
		{"DELETE", "/v1/customers/cus_123", "/v1/customers/{customer}", map[string]string{"customer": "cus_123"}},
		// The literal branch has no POST, so "search" is a customer ID.
		{"POST", "/v1/customers/search", "/v1/customers/{customer}", map[string]string{"customer": "search"}},
		{"GET", "/v1/customers/cus_1/balance_transactions/cbtxn_2", "/v1/customers/{customer}/balance_transactions/{transaction}",
			map[string]string{"customer": "cus_1", "transaction": "cbtxn_2"}},
		{"GET", "/v1/coupons/50%25%20off", "/v1/coupons/{coupon}", map[string]string{"coupon": "50% off"}},
		// stripe-go escapes path IDs with url.QueryEscape: a space is "+".
		{"GET", "/v1/coupons/50%25+off", "/v1/coupons/{coupon}", map[string]string{"coupon": "50% off"}},
		{"GET", "/v1/coupons/a%2Fb", "/v1/coupons/{coupon}", map[string]string{"coupon": "a/b"}},
		{"POST", "/v1/subscriptions/sub_1", "/v1/subscriptions/{subscription_exposed_id}", map[string]string{"subscription_exposed_id": "sub_1"}},
		{"POST", "/v1/test_helpers/test_clocks/clock_1/advance", "/v1/test_helpers/test_clocks/{test_clock}/advance", map[string]string{"test_clock": "clock_1"}},
		// Same trie position, different variable names per pattern.
		{"GET", "/v1/products/prod_1", "/v1/products/{id}", map[string]string{"id": "prod_1"}},
		{"GET", "/v1/products/prod_1/features", "/v1/products/{product}/features", map[string]string{"product": "prod_1"}},
		{"POST", "/v2/billing/meter_events", "/v2/billing/meter_events", map[string]string{}},
		{"POST", "/v2/billing/meter_event_stream", "/v2/billing/meter_event_stream", map[string]string{}},
		{"GET", "/v1/nope", "", nil},
		{"GET", "/v1/customers/", "", nil},
		{"PUT", "/v1/customers", "", nil},
		{"GET", "/v2/billing/meter_events", "", nil},
		{"GET", "v1/customers", "", nil},
		{"GET", "/v1/customers/cus_1/nope", "", nil},
	}
	for _, tt := range tests {
		op, vars, ok := Match(tt.method, tt.path)
		if tt.pattern == "" {
			if ok {
				t.Errorf("Match(%s %s) = %s, want no match", tt.method, tt.path, op)
			}
			continue
		}
		if !ok {
			t.Errorf("Match(%s %s): no match, want %s", tt.method, tt.path, tt.pattern)
			continue
		}
		if op.Method != tt.method || op.Pattern != tt.pattern {
			t.Errorf("Match(%s %s) = %s, want %s %s", tt.method, tt.path, op, tt.method, tt.pattern)
		}
		if !reflect.DeepEqual(vars, tt.vars) {
			t.Errorf("Match(%s %s) vars = %v, want %v", tt.method, tt.path, vars, tt.vars)
		}
	}
}

func TestPathExists(t *testing.T) {
	for path, want := range map[string]bool{
		"/v1/customers":                   true,
		"/v1/customers/cus_1":             true,
		"/v2/billing/meter_event_session": true,
		"/v1/nope":                        false,
		"/v1/customers/":                  false,
		"":                                false,
	} {
		if got := PathExists(path); got != want {
			t.Errorf("PathExists(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestOperations(t *testing.T) {
	ops := Operations()
	if len(ops) < 500 {
		t.Fatalf("only %d operations", len(ops))
	}
	seen := map[string]bool{}
	for i, op := range ops {
		if i > 0 {
			prev := ops[i-1]
			if prev.Pattern > op.Pattern || prev.Pattern == op.Pattern && prev.Method >= op.Method {
				t.Errorf("not sorted: %s before %s", prev, op)
			}
		}
		seen[op.String()] = true
	}
	for _, want := range []string{
		"GET /v1/customers", "POST /v1/customers", "GET /v1/customers/{customer}",
		"DELETE /v1/customers/{customer}", "GET /v1/customers/search",
		"POST /v1/subscriptions", "POST /v1/prices", "GET /v1/events",
		"POST /v1/billing/meter_events", "POST /v2/billing/meter_events",
		"POST /v2/billing/meter_event_adjustments", "POST /v2/billing/meter_event_session",
		"POST /v2/billing/meter_event_stream",
	} {
		if !seen[want] {
			t.Errorf("missing operation %s", want)
		}
	}
	// The returned slice is a copy.
	ops[0] = nil
	if Operations()[0] == nil {
		t.Error("Operations returned the shared slice")
	}
}

func mustOp(t testing.TB, method, pattern string) *Operation {
	t.Helper()
	for _, op := range Operations() {
		if op.Method == method && op.Pattern == pattern {
			return op
		}
	}
	t.Fatalf("no operation %s %s", method, pattern)
	return nil
}

func TestValidateTypes(t *testing.T) {
	tests := []struct {
		name            string
		method, pattern string
		in, want        map[string]any
	}{
		{
			name: "customer create", method: "POST", pattern: "/v1/customers",
			in: map[string]any{
				"name": "Jenny", "email": "jenny@example.com", "description": "",
				"balance": "-500", "tax_exempt": "reverse",
				"metadata":          map[string]any{"plan": "gold", "old": ""},
				"address":           map[string]any{"line1": "1 Main St", "city": ""},
				"preferred_locales": []any{"en", "fr"},
				"tax":               map[string]any{"ip_address": ""},
				"expand":            []any{"test_clock"},
			},
			want: map[string]any{
				"name": "Jenny", "email": "jenny@example.com", "description": "",
				"balance": int64(-500), "tax_exempt": "reverse",
				"metadata":          map[string]any{"plan": "gold", "old": ""},
				"address":           map[string]any{"line1": "1 Main St", "city": ""},
				"preferred_locales": []any{"en", "fr"},
				"tax":               map[string]any{"ip_address": Empty{}},
				"expand":            []any{"test_clock"},
			},
		},
		{
			name: "unset with empty strings", method: "POST", pattern: "/v1/customers/{customer}",
			in:   map[string]any{"metadata": "", "address": "", "tax_exempt": "", "invoice_settings": map[string]any{"custom_fields": ""}},
			want: map[string]any{"metadata": Empty{}, "address": Empty{}, "tax_exempt": Empty{}, "invoice_settings": map[string]any{"custom_fields": Empty{}}},
		},
		{
			name: "subscription create", method: "POST", pattern: "/v1/subscriptions",
			in: map[string]any{
				"customer": "cus_1",
				"items": []any{
					map[string]any{"price": "price_1", "quantity": "2"},
					map[string]any{"price": "price_2", "tax_rates": ""},
				},
				"trial_end":            "now",
				"cancel_at_period_end": "false",
				"default_tax_rates":    "",
				"billing_cycle_anchor": "1700000000",
			},
			want: map[string]any{
				"customer": "cus_1",
				"items": []any{
					map[string]any{"price": "price_1", "quantity": int64(2)},
					map[string]any{"price": "price_2", "tax_rates": Empty{}},
				},
				"trial_end":            "now",
				"cancel_at_period_end": false,
				"default_tax_rates":    Empty{},
				"billing_cycle_anchor": int64(1700000000),
			},
		},
		{
			name: "integer alternative of trial_end", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"trial_end": "1700000000"},
			want: map[string]any{"trial_end": int64(1700000000)},
		},
		{
			name: "array sent as a hash with numeric keys", method: "POST", pattern: "/v1/subscriptions",
			in: map[string]any{"items": map[string]any{
				"10": map[string]any{"price": "price_c"},
				"2":  map[string]any{"price": "price_b"},
				"0":  map[string]any{"price": "price_a"},
			}},
			want: map[string]any{"items": []any{
				map[string]any{"price": "price_a"},
				map[string]any{"price": "price_b"},
				map[string]any{"price": "price_c"},
			}},
		},
		{
			name: "price tiers", method: "POST", pattern: "/v1/prices",
			in: map[string]any{
				"currency": "usd", "billing_scheme": "tiered", "tiers_mode": "graduated",
				"recurring": map[string]any{"interval": "month"},
				"product":   "prod_1",
				"tiers": []any{
					map[string]any{"up_to": "10", "unit_amount": "500"},
					map[string]any{"up_to": "inf", "unit_amount_decimal": "1.5"},
				},
			},
			want: map[string]any{
				"currency": "usd", "billing_scheme": "tiered", "tiers_mode": "graduated",
				"recurring": map[string]any{"interval": "month"},
				"product":   "prod_1",
				"tiers": []any{
					map[string]any{"up_to": int64(10), "unit_amount": int64(500)},
					map[string]any{"up_to": "inf", "unit_amount_decimal": "1.5"},
				},
			},
		},
		{
			name: "customer list", method: "GET", pattern: "/v1/customers",
			in: map[string]any{
				"created": map[string]any{"gte": "100", "lt": "200"},
				"limit":   "3", "expand": []any{"data.test_clock"}, "starting_after": "cus_1",
			},
			want: map[string]any{
				"created": map[string]any{"gte": int64(100), "lt": int64(200)},
				"limit":   int64(3), "expand": []any{"data.test_clock"}, "starting_after": "cus_1",
			},
		},
		{
			name: "created as an exact integer", method: "GET", pattern: "/v1/customers",
			in:   map[string]any{"created": "100"},
			want: map[string]any{"created": int64(100)},
		},
		{
			name: "delete body parameters", method: "DELETE", pattern: "/v1/subscriptions/{subscription_exposed_id}",
			in:   map[string]any{"invoice_now": "true", "prorate": "false", "cancellation_details": map[string]any{"comment": "bye"}},
			want: map[string]any{"invoice_now": true, "prorate": false, "cancellation_details": map[string]any{"comment": "bye"}},
		},
		{
			name: "number", method: "POST", pattern: "/v1/tax_rates",
			in:   map[string]any{"display_name": "VAT", "inclusive": "false", "percentage": "19.5"},
			want: map[string]any{"display_name": "VAT", "inclusive": false, "percentage": 19.5},
		},
		{
			name: "nil params", method: "GET", pattern: "/v1/customers",
			in: nil, want: map[string]any{},
		},
		{
			name: "v2 meter event", method: "POST", pattern: "/v2/billing/meter_events",
			in: map[string]any{
				"event_name": "api_call", "identifier": nil,
				"payload":   map[string]any{"stripe_customer_id": "cus_1", "value": "5"},
				"timestamp": "2023-11-14T22:13:20Z",
			},
			want: map[string]any{
				"event_name": "api_call",
				"payload":    map[string]any{"stripe_customer_id": "cus_1", "value": "5"},
				"timestamp":  "2023-11-14T22:13:20Z",
			},
		},
		{
			name: "numeric hash keys stay keys", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"metadata": map[string]any{"0": "a", "7": "b", "007": "c", "12345": "d"}},
			want: map[string]any{"metadata": map[string]any{"0": "a", "7": "b", "007": "c", "12345": "d"}},
		},
		{
			name: "sparse numeric keys as an array", method: "GET", pattern: "/v1/customers",
			in:   map[string]any{"expand": map[string]any{"9": "b", "3": "a", "100": "c"}},
			want: map[string]any{"expand": []any{"a", "b", "c"}},
		},
		{
			name: "v2 JSON leaves", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"balance": float64(12), "next_invoice_sequence": json.Number("3")},
			want: map[string]any{"balance": int64(12), "next_invoice_sequence": int64(3)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustOp(t, tt.method, tt.pattern).Validate(tt.in)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name            string
		method, pattern string
		in              map[string]any
		code, param     string
		message         string
	}{
		{
			name: "unknown", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"name": "x", "notaparameter": "1"},
			code: "parameter_unknown", param: "notaparameter",
			message: "Received unknown parameter: notaparameter",
		},
		{
			name: "unknown nested", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"address": map[string]any{"line1": "x", "cityy": "y"}},
			code: "parameter_unknown", param: "address[cityy]",
			message: "Received unknown parameter: address[cityy]",
		},
		{
			name: "unknown in array element", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"customer": "cus_1", "items": []any{map[string]any{"price": "p"}, map[string]any{"pricee": "p"}}},
			code: "parameter_unknown", param: "items[1][pricee]",
			message: "Received unknown parameter: items[1][pricee]",
		},
		{
			name: "unknown on a list", method: "GET", pattern: "/v1/customers",
			in:   map[string]any{"created": map[string]any{"gte": "1", "after": "2"}},
			code: "parameter_unknown", param: "created[after]",
			message: "Received unknown parameter: created[after]",
		},
		{
			name: "expand not accepted where the spec leaves it out", method: "POST", pattern: "/v2/billing/meter_events",
			in:   map[string]any{"event_name": "e", "payload": map[string]any{}, "expand": []any{"x"}},
			code: "parameter_unknown", param: "expand",
			message: "Received unknown parameter: expand",
		},
		{
			name: "missing", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"unit_amount": "100", "product": "prod_1"},
			code: "parameter_missing", param: "currency",
			message: "Missing required param: currency.",
		},
		{
			name: "missing nested", method: "POST", pattern: "/v1/prices",
			in: map[string]any{"currency": "usd", "product": "prod_1", "billing_scheme": "tiered",
				"tiers": []any{map[string]any{"up_to": "inf"}, map[string]any{"unit_amount": "5"}}},
			code: "parameter_missing", param: "tiers[1][up_to]",
			message: "Missing required param: tiers[1][up_to].",
		},
		{
			name: "missing v2", method: "POST", pattern: "/v2/billing/meter_events",
			in:   map[string]any{"event_name": nil, "payload": map[string]any{"value": "1"}},
			code: "parameter_missing", param: "event_name",
			message: "Missing required param: event_name.",
		},
		{
			name: "invalid integer", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"balance": "55.00"},
			code: "parameter_invalid_integer", param: "balance",
			message: "Invalid integer: 55.00",
		},
		{
			name: "invalid integer in a range", method: "GET", pattern: "/v1/customers",
			in:   map[string]any{"created": map[string]any{"gte": "yesterday"}},
			code: "parameter_invalid_integer", param: "created[gte]",
			message: "Invalid integer: yesterday",
		},
		{
			name: "invalid integer limit", method: "GET", pattern: "/v1/customers",
			in:   map[string]any{"limit": "ten"},
			code: "parameter_invalid_integer", param: "limit",
			message: "Invalid integer: ten",
		},
		{
			name: "integer or keyword", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"trial_end": "tomorrow"},
			code: "parameter_invalid_integer", param: "trial_end",
			message: "Invalid integer: tomorrow",
		},
		{
			name: "up_to", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"currency": "usd", "tiers": []any{map[string]any{"up_to": "infinity"}}},
			code: "parameter_invalid_integer", param: "tiers[0][up_to]",
			message: "Invalid integer: infinity",
		},
		{
			name: "invalid boolean", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"cancel_at_period_end": "yes"},
			code: "parameter_invalid_boolean", param: "cancel_at_period_end",
			message: "Invalid boolean: yes",
		},
		{
			name: "invalid enum", method: "POST", pattern: "/v1/customers",
			in:      map[string]any{"tax_exempt": "sometimes"},
			param:   "tax_exempt",
			message: "Invalid tax_exempt: must be one of exempt, none, or reverse",
		},
		{
			name: "invalid enum nested", method: "POST", pattern: "/v1/prices",
			in:      map[string]any{"currency": "usd", "recurring": map[string]any{"interval": "fortnight"}},
			param:   "recurring[interval]",
			message: "Invalid recurring[interval]: must be one of day, month, week, or year",
		},
		{
			name: "empty integer", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"balance": ""},
			code: "parameter_invalid_empty", param: "balance",
			message: "You passed an empty string for 'balance'. We assume empty values are an attempt to unset a parameter; however 'balance' cannot be unset. You should remove 'balance' from your request or supply a non-empty value.",
		},
		{
			name: "empty hash", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"currency": "usd", "recurring": ""},
			code: "parameter_invalid_empty", param: "recurring",
			message: "You passed an empty string for 'recurring'. We assume empty values are an attempt to unset a parameter; however 'recurring' cannot be unset. You should remove 'recurring' from your request or supply a non-empty value.",
		},
		{
			name: "empty enum", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"currency": "usd", "billing_scheme": ""},
			code: "parameter_invalid_empty", param: "billing_scheme",
			message: "You passed an empty string for 'billing_scheme'. We assume empty values are an attempt to unset a parameter; however 'billing_scheme' cannot be unset. You should remove 'billing_scheme' from your request or supply a non-empty value.",
		},
		{
			name: "empty keyword-or-integer", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"trial_end": ""},
			code: "parameter_invalid_empty", param: "trial_end",
			message: "You passed an empty string for 'trial_end'. We assume empty values are an attempt to unset a parameter; however 'trial_end' cannot be unset. You should remove 'trial_end' from your request or supply a non-empty value.",
		},
		{
			name: "empty array element", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"items": []any{map[string]any{"quantity": ""}}},
			code: "parameter_invalid_empty", param: "items[0][quantity]",
			message: "You passed an empty string for 'items[0][quantity]'. We assume empty values are an attempt to unset a parameter; however 'items[0][quantity]' cannot be unset. You should remove 'items[0][quantity]' from your request or supply a non-empty value.",
		},
		{
			name: "hash for a string", method: "POST", pattern: "/v1/customers",
			in:    map[string]any{"email": map[string]any{"a": "b"}},
			param: "email", message: "Invalid string: a hash",
		},
		{
			name: "string for a hash", method: "POST", pattern: "/v1/customers",
			in:    map[string]any{"metadata": "x"},
			param: "metadata", message: "Invalid hash",
		},
		{
			name: "string for an array", method: "POST", pattern: "/v1/subscriptions",
			in:    map[string]any{"items": "price_1"},
			param: "items", message: "Invalid array",
		},
		{
			name: "named key for an array", method: "POST", pattern: "/v1/subscriptions",
			in:    map[string]any{"items": map[string]any{"0": map[string]any{"price": "p"}, "x": map[string]any{"price": "q"}}},
			param: "items", message: "Invalid array",
		},
		{
			name: "leading zero is no array index", method: "POST", pattern: "/v1/subscriptions",
			in:    map[string]any{"items": map[string]any{"007": map[string]any{"price": "p"}}},
			param: "items", message: "Invalid array",
		},
		{
			name: "JSON array for a hash", method: "POST", pattern: "/v1/customers",
			in:    map[string]any{"metadata": []any{"a", "b"}},
			param: "metadata", message: "Invalid hash",
		},
		{
			name: "element error names the key sent", method: "POST", pattern: "/v1/subscriptions",
			in:   map[string]any{"items": map[string]any{"0": map[string]any{"price": "p"}, "5": map[string]any{"quantity": "x"}}},
			code: "parameter_invalid_integer", param: "items[5][quantity]",
			message: "Invalid integer: x",
		},
		{
			name: "bad number", method: "POST", pattern: "/v1/tax_rates",
			in:    map[string]any{"display_name": "VAT", "inclusive": "false", "percentage": "lots"},
			param: "percentage", message: "Invalid decimal: lots",
		},
		// With several problems the choice is stable: unknown parameters
		// first, then invalid values, then missing ones; by sorted key.
		{
			name: "two unknowns", method: "POST", pattern: "/v1/customers",
			in:   map[string]any{"zz": "1", "aa": "1", "mm": "1", "name": "x"},
			code: "parameter_unknown", param: "aa",
			message: "Received unknown parameter: aa",
		},
		{
			name: "unknown before missing and invalid", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"unit_amount": "x", "tiers": []any{map[string]any{"nope": "1"}}},
			code: "parameter_unknown", param: "tiers[0][nope]",
			message: "Received unknown parameter: tiers[0][nope]",
		},
		{
			name: "invalid before missing", method: "POST", pattern: "/v1/prices",
			in:   map[string]any{"unit_amount": "x"},
			code: "parameter_invalid_integer", param: "unit_amount",
			message: "Invalid integer: x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map order varies between runs; the answer must not.
			for i := 0; i < 20; i++ {
				got, err := mustOp(t, tt.method, tt.pattern).Validate(tt.in)
				if err == nil {
					t.Fatalf("Validate = %v, want an error", got)
				}
				var ae *apierr.Error
				if !errors.As(err, &ae) {
					t.Fatalf("error %T %v is not an *apierr.Error", err, err)
				}
				if ae.Status != 400 || ae.Type != apierr.TypeInvalidRequest || ae.Code != tt.code || ae.Param != tt.param || ae.Message != tt.message {
					t.Fatalf("error = %d %s code=%q param=%q %q\nwant 400 invalid_request_error code=%q param=%q %q",
						ae.Status, ae.Type, ae.Code, ae.Param, ae.Message, tt.code, tt.param, tt.message)
				}
			}
		})
	}
}

// TestValidateDecodedForm runs wire strings through form.Decode and Validate,
// the way the HTTP layer does: numeric metadata keys survive, arrays come
// out as arrays however their indexes were sent.
func TestValidateDecodedForm(t *testing.T) {
	items := func(prices ...string) []any {
		out := make([]any, len(prices))
		for i, p := range prices {
			out[i] = map[string]any{"price": p}
		}
		return out
	}
	tests := []struct {
		name            string
		method, pattern string
		raw             string
		want            map[string]any
	}{
		{"numeric metadata key", "POST", "/v1/customers", "metadata[12345]=x",
			map[string]any{"metadata": map[string]any{"12345": "x"}}},
		{"sparse numeric metadata keys", "POST", "/v1/customers", "metadata[0]=a&metadata[7]=b",
			map[string]any{"metadata": map[string]any{"0": "a", "7": "b"}}},
		{"numeric and named metadata keys", "POST", "/v1/customers", "metadata[1]=a&metadata[user]=b&metadata[007]=c",
			map[string]any{"metadata": map[string]any{"1": "a", "user": "b", "007": "c"}}},
		{"appended metadata", "POST", "/v1/customers", "metadata[]=a",
			map[string]any{"metadata": map[string]any{"0": "a"}}},
		{"stripe-go items", "POST", "/v1/subscriptions", "items[0][price]=p&items[1][price]=q",
			map[string]any{"items": items("p", "q")}},
		{"items reversed on the wire", "POST", "/v1/subscriptions", "items[1][price]=q&items[0][price]=p",
			map[string]any{"items": items("p", "q")}},
		{"items past ten", "POST", "/v1/subscriptions",
			"items[10][price]=k&items[2][price]=c&items[1][price]=b&items[0][price]=a",
			map[string]any{"items": items("a", "b", "c", "k")}},
		{"sparse items", "POST", "/v1/subscriptions", "items[7][price]=q&items[3][price]=p",
			map[string]any{"items": items("p", "q")}},
		{"rack style items", "POST", "/v1/subscriptions", "items[][price]=p&items[][quantity]=2&items[][price]=q",
			map[string]any{"items": []any{map[string]any{"price": "p", "quantity": int64(2)}, map[string]any{"price": "q"}}}},
		{"expand indexed", "GET", "/v1/customers", "expand[0]=a&expand[1]=b",
			map[string]any{"expand": []any{"a", "b"}}},
		{"expand appended", "GET", "/v1/customers", "expand[]=a&expand[]=b",
			map[string]any{"expand": []any{"a", "b"}}},
		{"nested array in an array", "POST", "/v1/subscriptions", "items[0][price]=p&items[0][tax_rates][1]=txr_2&items[0][tax_rates][0]=txr_1",
			map[string]any{"items": []any{map[string]any{"price": "p", "tax_rates": []any{"txr_1", "txr_2"}}}}},
		{"metadata in an array element", "POST", "/v1/subscriptions", "items[0][price]=p&items[0][metadata][42]=x",
			map[string]any{"items": []any{map[string]any{"price": "p", "metadata": map[string]any{"42": "x"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := form.Decode(tt.raw)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.raw, err)
			}
			got, err := mustOp(t, tt.method, tt.pattern).Validate(tree)
			if err != nil {
				t.Fatalf("Validate(%v): %v", tree, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q validates to\n%#v\nwant\n%#v", tt.raw, got, tt.want)
			}
		})
	}
}

// Validate must not modify its input: the HTTP layer logs and fingerprints
// the raw tree.
func TestValidateLeavesInputAlone(t *testing.T) {
	in := map[string]any{"balance": "5", "metadata": "", "items": map[string]any{"0": map[string]any{"price": "p"}}}
	before, _ := json.Marshal(in)
	if _, err := mustOp(t, "POST", "/v1/customers").Validate(map[string]any{"balance": "5", "metadata": ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := mustOp(t, "POST", "/v1/subscriptions").Validate(map[string]any{"items": in["items"]}); err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(in)
	if !bytes.Equal(before, after) {
		t.Errorf("input changed: %s → %s", before, after)
	}
}

func TestExpandable(t *testing.T) {
	tests := []struct {
		object, path string
		want         []string
	}{
		{"customer", "default_source", []string{"bank_account", "card", "source"}},
		{"customer", "test_clock", []string{"test_helpers.test_clock"}},
		{"invoice", "customer", []string{"customer"}},
		{"invoice", "discounts", []string{"discount"}},
		{"invoice", "parent.subscription_details.subscription", []string{"subscription"}},
		{"invoice", "total_discount_amounts.discount", []string{"discount"}},
		{"subscription", "latest_invoice", []string{"invoice"}},
		{"subscription", "pending_update.discounts", []string{"discount"}},
		{"price", "product", []string{"product"}},
		{"billing.credit_grant", "customer", []string{"customer"}},
		{"line_item", "pricing.price_details.price", []string{"price"}},
	}
	for _, tt := range tests {
		got := Expandable(tt.object)[tt.path]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Expandable(%q)[%q] = %v, want %v", tt.object, tt.path, got, tt.want)
		}
	}
	// price is embedded whole in a subscription item, never expanded there;
	// the invoice's lines are a list, expanded through line_item.
	if _, ok := Expandable("subscription_item")["price"]; ok {
		t.Error("subscription_item.price listed as expandable")
	}
	if _, ok := Expandable("invoice")["lines"]; ok {
		t.Error("invoice.lines listed as expandable")
	}
	if Expandable("no_such_object") != nil {
		t.Error("unknown object has expandable fields")
	}
}

// TestTableUpToDate regenerates the table from the spec in the module cache
// and compares it with the embedded one. Run go generate ./internal/spec
// when it fails.
func TestTableUpToDate(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/stripe/stripe-mock").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("stripe-mock module not available: %v", err)
	}
	spec3, err := os.ReadFile(filepath.Join(dir, "embedded", "openapi", "spec3.json"))
	if err != nil {
		t.Skipf("stripe-mock spec not in the module cache: %v", err)
	}
	legacy, err := specgen.LegacySpec()
	if err != nil {
		t.Skipf("legacy stripe-mock spec not available: %v", err)
	}
	want, err := specgen.Build(spec3, specv2.OpenAPI, legacy)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tableGz))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("table.json.gz is stale (%d bytes embedded, %d generated): run go generate ./internal/spec", len(got), len(want))
	}
	if len(tableGz) > 512<<10 {
		t.Errorf("table.json.gz is %d bytes; keep it small", len(tableGz))
	}
}

func BenchmarkValidateCustomerCreate(b *testing.B) {
	op, _, ok := Match("POST", "/v1/customers")
	if !ok {
		b.Fatal("no route")
	}
	in := map[string]any{
		"name":        "Jenny Rosen",
		"email":       "jenny@example.com",
		"description": "A customer",
		"metadata":    map[string]any{"order_id": "6735"},
		"address":     map[string]any{"line1": "1 Main St", "country": "US"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := op.Validate(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := Match("POST", "/v1/subscriptions/sub_123/items"); ok {
			b.Fatal("matched a path that does not exist")
		}
		if _, _, ok := Match("GET", "/v1/customers/cus_123"); !ok {
			b.Fatal("no route")
		}
	}
}
