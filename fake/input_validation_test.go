package fake_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/currencies"
	"github.com/stripefake/stripefake/internal/testfake"
)

// refusal is one request the shared parameter validation must refuse with
// a 400 naming param, before anything is stored.
type refusal struct {
	method, path, body string
	param              string
	code               string // "" for none
	message            string // "" to skip; a trailing "*" matches a prefix
}

// checkRefusals sends each request (placeholders {customer} and {product}
// replaced) and checks the error, and that no event was emitted: the
// refused request changed nothing.
func checkRefusals(t *testing.T, f *fake.Fake, sc *stripe.Client, cases []refusal) {
	t.Helper()
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String("Ada")})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("P")})
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{customer}", cu.ID, "{product}", pr.ID)
	for _, c := range cases {
		before := len(f.Events())
		status, _, body := raw(t, f, c.method, fill.Replace(c.path), fill.Replace(c.body), nil)
		what := c.method + " " + c.path + " " + truncateForLog(c.body)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %v", what, status, body)
			continue
		}
		e := errorOf(t, body)
		if e["param"] != c.param || e["type"] != "invalid_request_error" {
			t.Errorf("%s: param %v type %v, want %q", what, e["param"], e["type"], c.param)
		}
		if code, _ := e["code"].(string); code != c.code {
			t.Errorf("%s: code %q, want %q", what, code, c.code)
		}
		msg, _ := e["message"].(string)
		if prefix, ok := strings.CutSuffix(c.message, "*"); ok {
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("%s: message %q, want prefix %q", what, msg, prefix)
			}
		} else if c.message != "" && msg != c.message {
			t.Errorf("%s: message\n got %q\nwant %q", what, msg, c.message)
		}
		if n := len(f.Events()); n != before {
			t.Errorf("%s: a refused request emitted %d events", what, n-before)
		}
	}
}

func truncateForLog(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// stripeError unwraps err as a *stripe.Error and checks it.
func stripeError(t *testing.T, err error, param, code, msg string) {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	if se.HTTPStatusCode != http.StatusBadRequest || se.Param != param || string(se.Code) != code {
		t.Errorf("got %d param %q code %q, want 400 %q %q (%s)", se.HTTPStatusCode, se.Param, se.Code, param, code, se.Msg)
	}
	if msg != "" && se.Msg != msg {
		t.Errorf("message\n got %q\nwant %q", se.Msg, msg)
	}
}

// Issue 12 item 5: every currency parameter, wherever it sits, takes only
// a currency Stripe supports.
func TestUnsupportedCurrencyIsRefused(t *testing.T) {
	want := currencies.InvalidMessage("zzz")
	if !strings.HasPrefix(want, "Invalid currency: zzz. Stripe currently supports these currencies: usd, aed, afn,") {
		t.Fatalf("message %q", want)
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Currency: stripe.String("zzz"), UnitAmount: stripe.Int64(100), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("P")},
		})
		stripeError(t, err, "currency", "", want)

		const session = "mode=payment&success_url=https%3A%2F%2Fexample.com%2Fok&line_items[0][quantity]=1&"
		checkRefusals(t, f, sc, []refusal{
			{"POST", "/v1/prices", "currency=zzz&unit_amount=100&product={product}", "currency", "", want},
			{"POST", "/v1/prices", "currency=usd&unit_amount=100&product={product}&currency_options[zzz][unit_amount]=5", "currency_options[zzz]", "", want},
			{"POST", "/v1/plans", "currency=zzz&amount=100&interval=month&product={product}", "currency", "", want},
			{"POST", "/v1/customers/{customer}/balance_transactions", "amount=100&currency=zzz", "currency", "", want},
			{"POST", "/v1/invoiceitems", "customer={customer}&amount=100&currency=zzz", "currency", "", want},
			{"POST", "/v1/coupons", "amount_off=100&currency=zzz&duration=once", "currency", "", want},
			{"POST", "/v1/checkout/sessions", session + "line_items[0][price_data][currency]=zzz&line_items[0][price_data][unit_amount]=100&line_items[0][price_data][product]={product}",
				"line_items[0][price_data][currency]", "", want},
			{"POST", "/v1/products", "name=P&default_price_data[currency]=zzz&default_price_data[unit_amount]=1", "default_price_data[currency]", "", want},
			{"POST", "/v1/prices", "currency=&unit_amount=100&product={product}", "currency", "", currencies.InvalidMessage("")},
			{"GET", "/v1/prices?currency=zzz", "", "currency", "", want},
		})

		// Letter case is not a reason to refuse: Stripe takes "USD" and
		// answers "usd".
		p, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Currency: stripe.String("USD"), UnitAmount: stripe.Int64(100), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("P")},
		})
		if err != nil || p.Currency != "usd" {
			t.Fatalf("USD: %v %+v", err, p)
		}
	})
}

// Issue 12 item 6: email parameters take only email addresses.
func TestInvalidEmailIsRefused(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("notanemail")})
		stripeError(t, err, "email", "email_invalid", "Invalid email address: notanemail")

		checkRefusals(t, f, sc, []refusal{
			{"POST", "/v1/customers", "email=notanemail", "email", "email_invalid", "Invalid email address: notanemail"},
			{"POST", "/v1/customers", "email=a%40b", "email", "email_invalid", "Invalid email address: a@b"},
			{"POST", "/v1/customers", "email=a+b%40example.com", "email", "email_invalid", ""},
			{"POST", "/v1/customers/{customer}", "email=%40example.com", "email", "email_invalid", ""},
			{"POST", "/v1/checkout/sessions", "mode=setup&currency=usd&success_url=https%3A%2F%2Fexample.com&customer_email=nope", "customer_email", "email_invalid", "Invalid email address: nope"},
		})

		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("Ada.Lovelace+billing@example.co.uk")})
		if err != nil || cu.Email != "Ada.Lovelace+billing@example.co.uk" {
			t.Fatalf("a real address was refused: %v", err)
		}
	})
}

// Issue 12 item 7: every string parameter obeys the spec's maxLength.
func TestMaxLengthIsEnforced(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String(strings.Repeat("n", 257))})
		stripeError(t, err, "name", "", "Invalid string: nnnnnnnnnn...nnnnnnnnnn; must be at most 256 characters")

		// Exactly at the limit passes; characters, not bytes, count.
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String(strings.Repeat("é", 256))})
		if err != nil || len([]rune(cu.Name)) != 256 {
			t.Fatalf("256 characters refused: %v", err)
		}

		huge := strings.Repeat("a", 33000) // over bbolt's 32 KiB key limit
		checkRefusals(t, f, sc, []refusal{
			{"POST", "/v1/customers", "name=" + strings.Repeat("x", 8<<20-10), "name", "", "Invalid string: xxxxxxxxxx...xxxxxxxxxx; must be at most 256 characters"},
			{"POST", "/v1/customers", "email=" + huge + "%40example.com", "email", "", "Invalid string: aaaaaaaaaa...xample.com; must be at most 512 characters"},
			{"POST", "/v1/customers/{customer}", "description=" + huge, "description", "", "*"},
			{"POST", "/v1/coupons", "percent_off=5&duration=once&id=" + huge, "id", "", "Invalid string: aaaaaaaaaa...aaaaaaaaaa; must be at most 5000 characters"},
			{"POST", "/v1/products", "name=P&id=" + huge, "id", "", "*"},
			{"POST", "/v1/prices", "currency=usd&unit_amount=5&product={product}&lookup_key=" + huge, "lookup_key", "", "Invalid string: aaaaaaaaaa...aaaaaaaaaa; must be at most 200 characters"},
			{"POST", "/v1/prices", "currency=usd&unit_amount=5&product={product}&metadata[k]=" + huge, "metadata[k]", "", "*"},
			{"POST", "/v1/checkout/sessions", "mode=setup&currency=usd&success_url=https%3A%2F%2Fexample.com&client_reference_id=" + huge, "client_reference_id", "", "*"},
			{"GET", "/v1/customers?email=" + huge, "", "email", "", "*"},
		})

		// IDs in the path are never written: an unknown one is a 404,
		// however long.
		for _, path := range []string{"/v1/customers/" + huge, "/v1/products/" + huge, "/v1/coupons/" + huge} {
			for _, method := range []string{"GET", "POST", "DELETE"} {
				if status, _, body := raw(t, f, method, path, "", nil); status != http.StatusNotFound {
					t.Errorf("%s %.30s…: %d %v", method, path, status, body)
				}
			}
		}
	})
}

// Issue 12 item 8: a NUL byte in any string is refused on its param, never
// a store error.
func TestNULByteIsRefused(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a\x00b@example.com")})
		stripeError(t, err, "email", "", `Invalid string: a\u0000b@example.com; must not contain a null byte`)

		checkRefusals(t, f, sc, []refusal{
			{"POST", "/v1/customers", "email=a%00b%40example.com", "email", "", "*"},
			{"POST", "/v1/customers", "name=a%00", "name", "", "*"},
			{"POST", "/v1/customers", "metadata[k]=a%00", "metadata[k]", "", "*"},
			{"POST", "/v1/customers", "metadata[k%00]=v", "metadata[k\x00]", "", "*"},
			{"POST", "/v1/products", "name=P&id=a%00b", "id", "", "*"},
			{"POST", "/v1/prices", "currency=usd&unit_amount=5&product={product}&lookup_key=a%00b", "lookup_key", "", "*"},
			{"POST", "/v1/test_helpers/test_clocks", "frozen_time=1800000000&name=%00", "name", "", "*"},
			{"POST", "/v1/subscriptions", "customer={customer}&items[0][price]=price_%00", "items[0][price]", "", "*"},
			{"GET", "/v1/customers?email=a%00b", "", "email", "", "*"},
		})
		status, _, body := raw(t, f, "POST", "/v2/billing/meter_events", `{"event_name":"api\u0000call","payload":{"stripe_customer_id":"cus_x","value":"1"}}`, map[string]string{"Content-Type": "application/json"})
		if status != http.StatusBadRequest || errorOf(t, body)["param"] != "event_name" {
			t.Errorf("v2 NUL: %d %v", status, body)
		}
	})
}

// Issue 12 item 9: URL parameters take only absolute http(s) URLs.
func TestNonHTTPURLIsRefused(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("setup"), Currency: stripe.String("usd"), SuccessURL: stripe.String("javascript:alert(1)"),
		})
		stripeError(t, err, "success_url", "url_invalid", "Not a valid URL")

		js := url.QueryEscape("javascript:alert(1)")
		const setup = "mode=setup&currency=usd&"
		checkRefusals(t, f, sc, []refusal{
			{"POST", "/v1/checkout/sessions", setup + "success_url=" + js, "success_url", "url_invalid", "Not a valid URL"},
			{"POST", "/v1/checkout/sessions", setup + "success_url=https%3A%2F%2Fexample.com&cancel_url=" + js, "cancel_url", "url_invalid", "Not a valid URL"},
			{"POST", "/v1/checkout/sessions", setup + "success_url=%2Frelative", "success_url", "url_invalid", ""},
			{"POST", "/v1/billing_portal/sessions", "customer={customer}&return_url=" + js, "return_url", "url_invalid", "Not a valid URL"},
			{"POST", "/v1/billing_portal/sessions", "customer={customer}&return_url=data%3Atext%2Fhtml%2Cx", "return_url", "url_invalid", ""},
			{"POST", "/v1/webhook_endpoints", "enabled_events[]=*&url=" + js, "url", "url_invalid", "Not a valid URL"},
			{"POST", "/v1/webhook_endpoints", "enabled_events[]=*&url=https%3A%2F%2F", "url", "url_invalid", ""},
		})

		cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), SuccessURL: stripe.String("https://example.com/ok?session_id={CHECKOUT_SESSION_ID}"),
			LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
				Quantity: stripe.Int64(1),
				PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
					Currency: stripe.String("usd"), UnitAmount: stripe.Int64(500),
					ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("P")},
				},
			}},
		})
		if err != nil {
			t.Fatalf("a real success_url was refused: %v", err)
		}
		if !strings.HasPrefix(cs.SuccessURL, "https://example.com/ok") {
			t.Errorf("success_url %q", cs.SuccessURL)
		}
	})
}
