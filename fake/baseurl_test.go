package fake_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// Served behind the user's own listener, the fake's links name that
// listener, and following one reaches the page through it.
func TestWithBaseURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	f := fake.New(t, fake.WithBaseURL(base+"/"))
	own := httptest.NewUnstartedServer(f.Handler())
	own.Listener.Close()
	own.Listener = ln
	own.Start()
	defer own.Close()
	sc := stripe.NewClient("sk_test_base", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(base), MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))

	cu, err := sc.V1Customers.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
		Customer: stripe.String(cu.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd"),
	}); err != nil {
		t.Fatal(err)
	}
	inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
		Customer: stripe.String(cu.ID), PendingInvoiceItemsBehavior: stripe.String("include"),
		CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30),
	})
	if err != nil {
		t.Fatal(err)
	}
	inv, err = sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(inv.HostedInvoiceURL, base+"/_stripefake/") || !strings.HasPrefix(inv.InvoicePDF, base+"/_stripefake/") {
		t.Errorf("invoice links %q %q, want them under %s", inv.HostedInvoiceURL, inv.InvoicePDF, base)
	}
	resp, err := http.Get(inv.HostedInvoiceURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), inv.Number) {
		t.Errorf("hosted page: %d %.300s", resp.StatusCode, page)
	}

	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Book")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode: stripe.String("payment"), LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(pr.ID), Quantity: stripe.Int64(1)}},
		SuccessURL: stripe.String("https://merchant.example/ok"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cs.URL, base+"/_stripefake/") {
		t.Errorf("checkout url %q, want it under %s", cs.URL, base)
	}
}

func TestWithBaseURLRejectsRelative(t *testing.T) {
	for _, u := range []string{"localhost:12111", "/stripe", "ftp://x", "http://x/?a=b"} {
		if f, err := fake.Start(fake.WithBaseURL(u)); err == nil {
			f.Close()
			t.Errorf("WithBaseURL(%q) accepted", u)
		}
	}
}
