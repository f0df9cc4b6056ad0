package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/currencies"
)

func validateErr(t *testing.T, method, path string, params map[string]any) *apierr.Error {
	t.Helper()
	op, _, ok := Match(method, path)
	if !ok {
		t.Fatalf("no route %s %s", method, path)
	}
	_, err := op.Validate(params)
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%T %v", err, err)
	}
	return ae
}

func TestStringRules(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		params       map[string]any
		param, code  string // param "" means accepted
		message      string
	}{
		{"max length", "POST", "/v1/customers", map[string]any{"name": strings.Repeat("n", 257)},
			"name", "", "Invalid string: nnnnnnnnnn...nnnnnnnnnn; must be at most 256 characters"},
		{"nested", "POST", "/v1/invoices", map[string]any{"custom_fields": map[string]any{"0": map[string]any{"name": strings.Repeat("n", 41), "value": "v"}}},
			"custom_fields[0][name]", "", "Invalid string: nnnnnnnnnn...nnnnnnnnnn; must be at most 40 characters"},
		{"short values are shown whole", "POST", "/v1/products", map[string]any{"name": "P", "statement_descriptor": strings.Repeat("s", 23)},
			"statement_descriptor", "", "Invalid string: sssssssssssssssssssssss; must be at most 22 characters"},
		{"query filters take any email", "GET", "/v1/customers", map[string]any{"email": "notanemail"}, "", "", ""},
		{"at the limit", "POST", "/v1/customers", map[string]any{"name": strings.Repeat("é", 256)}, "", "", ""},
		{"NUL", "POST", "/v1/customers", map[string]any{"description": "a\x00b"},
			"description", "", `Invalid string: a\u0000b; must not contain a null byte`},
		{"NUL in a metadata key", "POST", "/v1/customers", map[string]any{"metadata": map[string]any{"k\x00": "v"}},
			"metadata[k\x00]", "", `Invalid string: k\u0000; must not contain a null byte`},
		{"NUL in an enum", "POST", "/v1/customers", map[string]any{"tax_exempt": "none\x00"}, "tax_exempt", "", "Invalid tax_exempt: must be one of exempt, none, or reverse"},
		{"currency", "POST", "/v1/prices", map[string]any{"currency": "zzz", "product": "prod_1", "unit_amount": "5"},
			"currency", "", currencies.InvalidMessage("zzz")},
		{"currency in upper case", "POST", "/v1/prices", map[string]any{"currency": "EUR", "product": "prod_1", "unit_amount": "5"}, "", "", ""},
		{"empty currency", "POST", "/v1/prices", map[string]any{"currency": "", "product": "prod_1", "unit_amount": "5"},
			"currency", "", "Invalid currency: . Stripe currently supports these currencies: usd*"},
		{"currency_options key", "POST", "/v1/prices", map[string]any{"currency": "usd", "product": "prod_1", "unit_amount": "5",
			"currency_options": map[string]any{"eur": map[string]any{"unit_amount": "4"}, "xx": map[string]any{"unit_amount": "4"}}},
			"currency_options[xx]", "", currencies.InvalidMessage("xx")},
		{"email", "POST", "/v1/customers", map[string]any{"email": "notanemail"}, "email", "email_invalid", "Invalid email address: notanemail"},
		{"email unset", "POST", "/v1/customers/{customer}", map[string]any{"email": ""}, "", "", ""},
		{"url", "POST", "/v1/webhook_endpoints", map[string]any{"url": "javascript:alert(1)", "enabled_events": []any{"*"}}, "url", "url_invalid", "Not a valid URL"},
		{"url template", "POST", "/v1/checkout/sessions", map[string]any{"success_url": "http://localhost:4242/done?id={CHECKOUT_SESSION_ID}"}, "", "", ""},
		{"v2 JSON body", "POST", "/v2/billing/meter_events", map[string]any{"event_name": strings.Repeat("e", 101), "payload": map[string]any{}},
			"event_name", "", "Invalid string: eeeeeeeeee...eeeeeeeeee; must be at most 100 characters"},
		{"NUL in a free-form hash", "POST", "/v2/billing/meter_events", map[string]any{"event_name": "e", "payload": map[string]any{"value": "1\x00"}},
			"payload[value]", "", `Invalid string: 1\u0000; must not contain a null byte`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := strings.ReplaceAll(tt.path, "{customer}", "cus_1")
			err := validateErr(t, tt.method, path, tt.params)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("refused: %v (param %s)", err, err.Param)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Status != 400 || err.Param != tt.param || err.Code != tt.code {
				t.Errorf("got %d %q %q, want 400 %q %q", err.Status, err.Param, err.Code, tt.param, tt.code)
			}
			if prefix, ok := strings.CutSuffix(tt.message, "*"); ok {
				if !strings.HasPrefix(err.Message, prefix) {
					t.Errorf("message %q, want prefix %q", err.Message, prefix)
				}
			} else if err.Message != tt.message {
				t.Errorf("message\n got %q\nwant %q", err.Message, tt.message)
			}
		})
	}
}

func TestValidEmailAndURL(t *testing.T) {
	for s, want := range map[string]bool{
		"ada@example.com": true, "ada.lovelace+x@mail.example.co.uk": true, "a@b.c": true, "UPPER@EXAMPLE.COM": true,
		"notanemail": false, "a@b": false, "@example.com": false, "a@": false, "a b@example.com": false,
		"a@b@example.com": false, "a@.example.com": false, "a@example.com.": false, "a@exa..mple.com": false, "a@exa mple.com": false,
	} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{
		"https://example.com": true, "http://localhost:4242/x?y={CHECKOUT_SESSION_ID}": true, "HTTPS://EXAMPLE.COM/a#b": true,
		"javascript:alert(1)": false, "data:text/html,x": false, "ftp://example.com": false, "//example.com": false,
		"/relative": false, "example.com": false, "https://": false, "https:///path": false, "https://exa mple.com": false,
		"": false, "https:example.com": false,
	} {
		if got := validURL(s); got != want {
			t.Errorf("validURL(%q) = %v", s, got)
		}
	}
}

// TestEveryMaxLengthIsEnforced checks, against the spec itself, that every
// top-level string parameter with a maxLength, on every operation, refuses
// one character more and accepts the limit.
func TestEveryMaxLengthIsEnforced(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/stripe/stripe-mock").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("stripe-mock module not available: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "embedded", "openapi", "spec3.json"))
	if err != nil {
		t.Skipf("stripe-mock spec not in the module cache: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In string
				Schema   map[string]any
			}
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]map[string]any
					}
				}
			} `json:"requestBody"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for pattern, item := range doc.Paths {
		for method, op := range item {
			props := map[string]map[string]any{}
			for _, p := range op.Parameters {
				if p.In == "query" {
					props[p.Name] = p.Schema
				}
			}
			for name, s := range op.RequestBody.Content["application/x-www-form-urlencoded"].Schema.Properties {
				if _, dup := props[name]; !dup {
					props[name] = s
				}
			}
			path := strings.NewReplacer("{", "x", "}", "").Replace(pattern)
			for name, s := range props {
				max, _ := s["maxLength"].(float64)
				if s["type"] != "string" || max == 0 || s["enum"] != nil || s["format"] != nil {
					continue
				}
				m := strings.ToUpper(method)
				long := strings.Repeat("a", int(max)+1)
				err := validateErr(t, m, path, map[string]any{name: long})
				if err == nil || err.Param != name || !strings.HasSuffix(err.Message, fmt.Sprintf("must be at most %d characters", int(max))) {
					t.Errorf("%s %s %s: %d characters: %v", m, pattern, name, len(long), err)
				}
				if strings.HasSuffix(name, "email") || strings.HasSuffix(name, "url") {
					continue // an email or URL of all a's fails on its format
				}
				if err := validateErr(t, m, path, map[string]any{name: long[1:]}); err != nil && err.Param == name {
					t.Errorf("%s %s %s: the limit refused: %v", m, pattern, name, err)
				}
				checked++
			}
		}
	}
	if checked < 700 {
		t.Errorf("checked only %d parameters", checked)
	}
}
