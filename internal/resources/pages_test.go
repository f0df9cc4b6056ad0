package resources_test

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// stallPost starts a POST of a form to a page over a raw connection and
// stops halfway through the body. It returns once the server has started
// reading the body: "Expect: 100-continue" makes net/http answer
// "100 Continue" at the handler's first read of it.
func stallPost(t *testing.T, page string) net.Conn {
	t.Helper()
	u, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, err = io.WriteString(conn, "POST "+u.RequestURI()+" HTTP/1.1\r\nHost: "+u.Host+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q %v", blank, err)
	}
	if _, err := io.WriteString(conn, "email=stalled%40example.com&number=4242"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// A client that stalls in the middle of a page's form holds no lock: API
// writes and reads go on, and Close does not wait for the client.
func TestPageStalledUpload(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := oneTimePrice(t, sc, 700, "Book")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(pr)})
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		ps, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account")})
		if err != nil {
			t.Fatal(err)
		}
		conns := []net.Conn{stallPost(t, cs.URL), stallPost(t, ps.URL+"/customer")}

		// With a page holding the write transaction, these would wait for
		// the stalled clients forever.
		made, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String("Not blocked")})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sc.V1Customers.Retrieve(ctx, made.ID, nil); err != nil || got.Name != "Not blocked" {
			t.Fatalf("retrieve: %+v %v", got, err)
		}
		if got := getCheckout(t, sc, cs.ID); got.Status != "open" {
			t.Errorf("a half-sent form acted: %s", got.Status)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		for _, conn := range conns {
			// The server has given up on the client: the connection
			// ends, with an answer or a reset (data left unread).
			_, _ = io.ReadAll(conn)
		}
	})
}

// Every page link carries an unguessable token kept with its object: the
// object's ID with no token, or a wrong one, is a 404. IDs stay
// deterministic; two fakes give the same IDs and different tokens.
func TestPageLinksNeedToken(t *testing.T) {
	links := map[string][]string{}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		base := f.URL() + resources.PagesPrefix
		inv := openInvoice(t, sc, 1000)
		pr := oneTimePrice(t, sc, 700, "Book")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(pr)})
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true),
			ReturnURL: stripe.String("https://shop.example/done")})
		auth := strings.Split(pi.NextAction.RedirectToURL.URL, "?")[0]
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		ps, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account")})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ id, link, idOnly string }{
			{inv.ID, inv.HostedInvoiceURL, base + "invoices/" + inv.ID},
			{inv.ID, inv.InvoicePDF, base + "invoices/" + inv.ID + "/pdf"},
			{cs.ID, cs.URL, base + "c/pay/" + cs.ID},
			{pi.ID, auth, base + "authenticate/" + pi.ID},
		} {
			if status, _ := pageGet(t, tc.link); status != http.StatusOK {
				t.Errorf("%s: %d", tc.link, status)
			}
			_, token, _ := strings.Cut(tc.link, tc.id+"/")
			token, _, _ = strings.Cut(token, "/")
			if len(token) < 20 {
				t.Errorf("%s: token %q", tc.link, token)
			}
			wrong := strings.Replace(tc.link, token, strings.Repeat("A", len(token)), 1)
			for _, u := range []string{tc.idOnly, tc.idOnly + "/", wrong} {
				if status, _ := pageGet(t, u); status != http.StatusNotFound {
					t.Errorf("%s: %d, want 404", u, status)
				}
			}
			if status, _, _ := pagePost(t, wrong, url.Values{"action": {"complete"}}); status != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", wrong, status)
			}
			links[tc.idOnly] = append(links[tc.idOnly], tc.link)
		}
		links["portal"] = append(links["portal"], ps.URL)
		if got := getCheckout(t, sc, cs.ID); got.Status != "open" {
			t.Errorf("checkout after wrong-token posts: %s", got.Status)
		}
	})
	for id, ls := range links {
		if len(ls) == 2 && ls[0] == ls[1] {
			t.Errorf("%s: two fakes gave the same link %s", id, ls[0])
		}
	}
}

// State-changing forms on the portal and Checkout pages carry a per-page
// csrf_token; a post without it, or with another page's, is refused (403)
// with nothing changed.
func TestPageFormsNeedCSRFToken(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := oneTimePrice(t, sc, 700, "Book")
		newCS := func() *stripe.CheckoutSession {
			return newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(pr),
				CustomerEmail: stripe.String("buyer@example.com")})
		}
		cs, other := newCS(), newCS()
		_, body := pageGet(t, other.URL)
		otherToken := csrfField.FindStringSubmatch(body)
		_, body = pageGet(t, cs.URL)
		token := csrfField.FindStringSubmatch(body)
		if token == nil || otherToken == nil || token[1] == otherToken[1] || len(token[1]) < 20 {
			t.Fatalf("csrf tokens %q %q", token, otherToken)
		}
		card := url.Values{"number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}}
		for _, tok := range []string{"", otherToken[1]} {
			form := maps.Clone(card)
			if tok != "" {
				form.Set("csrf_token", tok)
			}
			if status, _, _ := pagePostRaw(t, cs.URL, form); status != http.StatusForbidden {
				t.Errorf("checkout post with csrf_token %q: %d, want 403", tok, status)
			}
		}
		if got := getCheckout(t, sc, cs.ID); got.Status != "open" {
			t.Fatalf("refused posts completed the session: %s", got.Status)
		}
		form := maps.Clone(card)
		form.Set("csrf_token", token[1])
		if status, _, _ := pagePostRaw(t, cs.URL, form); status != http.StatusSeeOther {
			t.Errorf("checkout post with its token: %d", status)
		}
		if got := getCheckout(t, sc, cs.ID); got.Status != "complete" {
			t.Errorf("after the page's own post: %s", got.Status)
		}

		cu := payingCustomer(t, sc, "pm_card_visa", "")
		ps, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account")})
		if err != nil {
			t.Fatal(err)
		}
		_, body = pageGet(t, ps.URL)
		if n := strings.Count(body, `name="csrf_token"`); n < strings.Count(body, `<form method="post"`) || n == 0 {
			t.Errorf("portal forms without csrf_token: %d tokens\n%s", n, body)
		}
		for _, tok := range []string{"", token[1]} {
			form := url.Values{"email": {"attacker@example.com"}}
			if tok != "" {
				form.Set("csrf_token", tok)
			}
			if status, _, _ := pagePostRaw(t, ps.URL+"/customer", form); status != http.StatusForbidden {
				t.Errorf("portal post with csrf_token %q: %d, want 403", tok, status)
			}
		}
		if got, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); got.Email == "attacker@example.com" {
			t.Fatalf("a refused portal post changed the customer")
		}
		if status, _, _ := pagePost(t, ps.URL+"/customer", url.Values{"email": {"new@example.com"}}); status != http.StatusSeeOther {
			t.Errorf("portal post with its token: %d", status)
		}
		if got, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); got.Email != "new@example.com" {
			t.Errorf("after the page's own post: %q", got.Email)
		}
	})
}
