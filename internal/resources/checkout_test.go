package resources_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

func oneTimePrice(t *testing.T, sc *stripe.Client, amount int64, name string) *stripe.Price {
	t.Helper()
	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(amount),
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String(name)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func checkoutLines(prices ...*stripe.Price) []*stripe.CheckoutSessionCreateLineItemParams {
	var out []*stripe.CheckoutSessionCreateLineItemParams
	for i, pr := range prices {
		out = append(out, &stripe.CheckoutSessionCreateLineItemParams{Price: stripe.String(pr.ID), Quantity: stripe.Int64(int64(i + 1))})
	}
	return out
}

func newCheckout(t *testing.T, sc *stripe.Client, p *stripe.CheckoutSessionCreateParams) *stripe.CheckoutSession {
	t.Helper()
	cs, err := sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func getCheckout(t *testing.T, sc *stripe.Client, id string) *stripe.CheckoutSession {
	t.Helper()
	cs, err := sc.V1CheckoutSessions.Retrieve(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCheckoutSessionCreate(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		monthly := monthlyPrice(t, sc, 1500, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly, setup),
			SuccessURL: stripe.String("https://example.com/ok?cs={CHECKOUT_SESSION_ID}"), CancelURL: stripe.String("https://example.com/no"),
			ClientReferenceID: stripe.String("order-7"), CustomerEmail: stripe.String("ada@example.com"),
			Params: stripe.Params{Metadata: map[string]string{"k": "v"}},
		})
		now := testfake.Start.Unix()
		if !strings.HasPrefix(cs.ID, "cs_test_") || len(cs.ID) != len("cs_test_")+58 || cs.Status != "open" || cs.PaymentStatus != "unpaid" ||
			cs.Mode != "subscription" || cs.Created != now || cs.ExpiresAt != now+86400 || cs.AmountSubtotal != 2500 || cs.AmountTotal != 2500 ||
			cs.Currency != "usd" || cs.Customer != nil || cs.Subscription != nil || cs.ClientReferenceID != "order-7" || cs.Metadata["k"] != "v" ||
			!strings.HasPrefix(cs.URL, f.URL()+resources.PagesPrefix+"c/pay/"+cs.ID+"/") || cs.UIMode != "hosted_page" {
			t.Errorf("session %+v", cs)
		}
		if got := getCheckout(t, sc, cs.ID); got.ID != cs.ID || got.URL != cs.URL {
			t.Errorf("retrieve %+v", got)
		}
		var lines []*stripe.LineItem
		for li, err := range sc.V1CheckoutSessions.ListLineItems(ctx, &stripe.CheckoutSessionListLineItemsParams{Session: stripe.String(cs.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, li)
		}
		if len(lines) != 2 || lines[0].Price.ID != monthly.ID || lines[0].Quantity != 1 || lines[0].AmountTotal != 1500 ||
			lines[1].Price.ID != setup.ID || lines[1].Quantity != 2 || lines[1].AmountTotal != 1000 || lines[1].Description != "Setup" {
			t.Errorf("line items %+v", lines)
		}
		for _, typ := range eventTypes(f) {
			if strings.HasPrefix(typ, "checkout.") {
				t.Errorf("creating a session emitted %s", typ)
			}
		}

		// expires_at bounds, exactly.
		for _, tc := range []struct {
			at   time.Duration
			fail bool
		}{{30*time.Minute - time.Second, true}, {30 * time.Minute, false}, {24 * time.Hour, false}, {24*time.Hour + time.Second, true}} {
			_, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
				Mode: stripe.String("payment"), LineItems: checkoutLines(setup), ExpiresAt: stripe.Int64(testfake.Start.Add(tc.at).Unix()),
			})
			if tc.fail {
				stripeErr(t, err, 400, "", "expires_at", "")
			} else if err != nil {
				t.Errorf("expires_at +%v: %v", tc.at, err)
			}
		}

		before := len(f.Events())
		for _, tc := range []struct {
			name        string
			p           *stripe.CheckoutSessionCreateParams
			code, param string
			msg         string
		}{
			{"no mode", &stripe.CheckoutSessionCreateParams{LineItems: checkoutLines(setup)}, "parameter_missing", "mode", ""},
			{"no items", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment")}, "parameter_missing", "line_items", ""},
			{"recurring in payment mode", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(monthly)}, "", "line_items[0][price]",
				"You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices."},
			{"no recurring in subscription mode", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("subscription"), LineItems: checkoutLines(setup)}, "", "line_items",
				"You must provide at least one recurring price in `subscription` mode when using prices."},
			{"no quantity", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(setup.ID)}}}, "", "line_items[0][quantity]",
				"Quantity is required. Add `quantity` to `line_items[0]`"},
			{"customer and email", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(setup), Customer: stripe.String("cus_x"), CustomerEmail: stripe.String("a@b.c")}, "", "customer_email", ""},
			{"no such price", &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String("price_nope"), Quantity: stripe.Int64(1)}}}, "resource_missing", "line_items[0][price]", ""},
		} {
			_, err := sc.V1CheckoutSessions.Create(ctx, tc.p)
			if err == nil {
				t.Errorf("%s: no error", tc.name)
				continue
			}
			stripeErr(t, err, 400, stripe.ErrorCode(tc.code), tc.param, tc.msg)
		}
		if len(f.Events()) != before {
			t.Errorf("refused requests wrote events")
		}
	})
}

func TestCheckoutExpiry(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := oneTimePrice(t, sc, 700, "Book")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), LineItems: checkoutLines(pr), ExpiresAt: stripe.Int64(testfake.Start.Add(30 * time.Minute).Unix()),
		})
		other := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{Mode: stripe.String("payment"), LineItems: checkoutLines(pr)})

		f.Advance(30*time.Minute - time.Second)
		if got := getCheckout(t, sc, cs.ID); got.Status != "open" {
			t.Fatalf("one second before expires_at: %s", got.Status)
		}
		if status, body := pageGet(t, cs.URL); status != 200 || !strings.Contains(body, `id="submit"`) {
			t.Fatalf("page before expiry: %d", status)
		}
		f.Advance(time.Second)
		got := getCheckout(t, sc, cs.ID)
		if got.Status != "expired" || got.URL != "" || got.PaymentStatus != "unpaid" {
			t.Fatalf("at expires_at: %+v", got)
		}
		if count(eventTypes(f), "checkout.session.expired") != 1 {
			t.Errorf("events %v", eventTypes(f))
		}
		if status, body := pageGet(t, cs.URL); status != http.StatusGone || !strings.Contains(body, `id="expired"`) {
			t.Errorf("page after expiry: %d", status)
		}
		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err == nil {
			t.Errorf("completing an expired session worked")
		} else {
			stripeErr(t, err, 400, "", "", "")
		}

		// The expire endpoint, once.
		exp, err := sc.V1CheckoutSessions.Expire(ctx, other.ID, nil)
		if err != nil || exp.Status != "expired" {
			t.Fatalf("expire: %v %+v", err, exp)
		}
		_, err = sc.V1CheckoutSessions.Expire(ctx, other.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		f.Advance(48 * time.Hour) // the cancelled job does not run again
		if n := count(eventTypes(f), "checkout.session.expired"); n != 2 {
			t.Errorf("expired events %d", n)
		}
		expired := ids(t, sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{Status: stripe.String("expired")}).All(ctx))
		if len(expired) != 2 {
			t.Errorf("expired list %v", expired)
		}
	})
}

func TestCheckoutCompleteSubscription(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		monthly := monthlyPrice(t, sc, 1500, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly, setup), CustomerEmail: stripe.String("ada@example.com"),
			SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: map[string]string{"plan": "pro"}},
		})

		// A declining card: the card error, nothing written.
		before := len(f.Events())
		se := stripeErr(t, f.CompleteCheckoutSession(cs.ID, "pm_card_chargeDeclined"), 402, stripe.ErrorCodeCardDeclined, "", "Your card was declined.")
		if se.Type != stripe.ErrorTypeCard || se.DeclineCode != "generic_decline" {
			t.Errorf("decline %+v", se)
		}
		stripeErr(t, f.CompleteCheckoutSession(cs.ID, "pm_card_chargeCustomerFail"), 402, stripe.ErrorCodeCardDeclined, "", "")
		if len(f.Events()) != before || getCheckout(t, sc, cs.ID).Status != "open" {
			t.Fatalf("a declined card changed something: %v", eventTypes(f)[before:])
		}

		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		got := getCheckout(t, sc, cs.ID)
		if got.Status != "complete" || got.PaymentStatus != "paid" || got.Customer == nil || got.Subscription == nil || got.Invoice == nil ||
			got.CustomerDetails == nil || got.CustomerDetails.Email != "ada@example.com" || got.URL != "" {
			t.Fatalf("completed %+v", got)
		}
		sub := getSub(t, sc, got.Subscription.ID)
		if sub.Status != "active" || sub.Customer.ID != got.Customer.ID || sub.Metadata["plan"] != "pro" || sub.DefaultPaymentMethod == nil ||
			len(sub.Items.Data) != 1 || sub.Items.Data[0].Price.ID != monthly.ID {
			t.Errorf("subscription %+v", sub)
		}
		inv := getInvoice(t, sc, got.Invoice.ID)
		if inv.Status != "paid" || inv.AmountPaid != 1500+1000 {
			t.Errorf("first invoice %s paid %d", inv.Status, inv.AmountPaid)
		}
		cu, err := sc.V1Customers.Retrieve(ctx, got.Customer.ID, nil)
		if err != nil || cu.Email != "ada@example.com" {
			t.Errorf("customer %v %+v", err, cu)
		}
		types := eventTypes(f)[before:]
		if types[0] != "customer.created" || types[len(types)-1] != "checkout.session.completed" ||
			count(types, "customer.subscription.created") != 1 || count(types, "invoice.paid") != 1 || count(types, "payment_method.attached") != 1 {
			t.Errorf("events %v", types)
		}
		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err == nil {
			t.Errorf("completing twice worked")
		}
		bySub := ids(t, sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{Subscription: stripe.String(sub.ID)}).All(ctx))
		if len(bySub) != 1 || bySub[0] != cs.ID {
			t.Errorf("list by subscription %v", bySub)
		}

		// A trial: nothing to pay now, an existing customer.
		payer := payingCustomer(t, sc, "", "")
		trial := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly), Customer: stripe.String(payer.ID),
			SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{TrialPeriodDays: stripe.Int64(14)},
		})
		if trial.AmountTotal != 0 || trial.AmountSubtotal != 1500 {
			t.Errorf("trial amounts %d/%d", trial.AmountSubtotal, trial.AmountTotal)
		}
		// Charges fail, but nothing is charged during a trial.
		if err := f.CompleteCheckoutSession(trial.ID, "pm_card_chargeCustomerFail"); err != nil {
			t.Fatal(err)
		}
		got = getCheckout(t, sc, trial.ID)
		if got.PaymentStatus != "no_payment_required" || got.Customer.ID != payer.ID {
			t.Errorf("trial session %+v", got)
		}
		if s := getSub(t, sc, got.Subscription.ID); s.Status != "trialing" {
			t.Errorf("trial subscription %s", s.Status)
		}
	})
}

func TestCheckoutPaymentPage(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		book := oneTimePrice(t, sc, 700, "Book")
		pen := oneTimePrice(t, sc, 150, "Pen")
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), LineItems: checkoutLines(book, pen),
			SuccessURL:        stripe.String("https://example.com/ok?cs={CHECKOUT_SESSION_ID}"),
			PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: map[string]string{"order": "9"}},
		})
		if cs.AmountTotal != 1000 || cs.CustomerCreation != "if_required" {
			t.Fatalf("session %+v", cs)
		}
		status, body := pageGet(t, cs.URL)
		for _, want := range []string{"Book", "Pen", "10.00 USD", `name="email"`, `name="number"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if status != 200 {
			t.Fatalf("status %d", status)
		}

		card := func(number string) url.Values {
			return url.Values{"email": {"bo@example.com"}, "number": {number}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}}
		}
		before := len(f.Events())
		for _, tc := range []struct{ number, msg string }{
			{"4000000000009995", "Your card has insufficient funds."},
			{"4000002760003184", "Your card was declined. This transaction requires authentication."},
			{"4242424242424241", "Your card number is incorrect."},
		} {
			status, _, body := pagePost(t, cs.URL, card(tc.number))
			if status != 402 || !strings.Contains(body, tc.msg) || !strings.Contains(body, `id="submit"`) {
				t.Errorf("%s: %d %s", tc.number, status, body)
			}
		}
		if len(f.Events()) != before || getCheckout(t, sc, cs.ID).Status != "open" {
			t.Fatalf("declines changed something: %v", eventTypes(f)[before:])
		}

		status, loc, _ := pagePost(t, cs.URL, card("4242 4242 4242 4242"))
		if status != http.StatusSeeOther || loc != "https://example.com/ok?cs="+cs.ID {
			t.Fatalf("pay: %d %q", status, loc)
		}
		got := getCheckout(t, sc, cs.ID)
		if got.Status != "complete" || got.PaymentStatus != "paid" || got.Customer != nil || got.PaymentIntent == nil ||
			got.CustomerDetails.Email != "bo@example.com" {
			t.Fatalf("completed %+v", got)
		}
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, got.PaymentIntent.ID, nil)
		if err != nil || pi.Status != "succeeded" || pi.Amount != 1000 || pi.AmountReceived != 1000 || pi.Customer != nil || pi.Metadata["order"] != "9" {
			t.Fatalf("payment intent %v %+v", err, pi)
		}
		types := eventTypes(f)[before:]
		want := []string{"payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"}
		if strings.Join(types, ",") != strings.Join(want, ",") {
			t.Errorf("events %v, want %v", types, want)
		}
		if status, body := pageGet(t, cs.URL); status != 200 || !strings.Contains(body, `id="complete"`) {
			t.Errorf("page after payment: %d", status)
		}
		if status, _, _ := pagePost(t, cs.URL, card("4242424242424242")); status != http.StatusGone {
			t.Errorf("paying twice: %d", status)
		}

		// customer_creation=always makes a customer with the email given.
		cs2 := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), LineItems: checkoutLines(book), CustomerCreation: stripe.String("always"),
		})
		if status, loc, _ := pagePost(t, cs2.URL, card("4242424242424242")); status != http.StatusSeeOther || loc != cs2.URL {
			t.Fatalf("pay without success_url: %d %q", status, loc)
		}
		got = getCheckout(t, sc, cs2.ID)
		if got.Customer == nil {
			t.Fatalf("no customer")
		}
		cu, err := sc.V1Customers.Retrieve(ctx, got.Customer.ID, nil)
		if err != nil || cu.Email != "bo@example.com" {
			t.Errorf("customer %v %+v", err, cu)
		}
	})
}

func TestCheckoutPriceData(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), CustomerCreation: stripe.String("always"),
			LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
				PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
					Currency: stripe.String("eur"), UnitAmount: stripe.Int64(1250),
					ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("T-shirt")},
				},
				Quantity: stripe.Int64(2),
			}},
		})
		if cs.AmountTotal != 2500 || cs.Currency != "eur" {
			t.Fatalf("session %+v", cs)
		}
		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		got := getCheckout(t, sc, cs.ID)
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, got.PaymentIntent.ID, nil)
		if err != nil || pi.Amount != 2500 || pi.Currency != "eur" || pi.Customer == nil || pi.Customer.ID != got.Customer.ID {
			t.Fatalf("payment intent %v %+v", err, pi)
		}

		prod, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Club")})
		if err != nil {
			t.Fatal(err)
		}
		sub := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"),
			LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
				PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
					Currency: stripe.String("usd"), UnitAmount: stripe.Int64(900), Product: stripe.String(prod.ID),
					Recurring: &stripe.CheckoutSessionCreateLineItemPriceDataRecurringParams{Interval: stripe.String("year")},
				},
				Quantity: stripe.Int64(1),
			}},
		})
		if err := f.CompleteCheckoutSession(sub.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		got = getCheckout(t, sc, sub.ID)
		s := getSub(t, sc, got.Subscription.ID)
		if it := s.Items.Data[0]; it.Price.UnitAmount != 900 || it.Price.Product.ID != prod.ID || it.Price.Recurring.Interval != "year" || s.Status != "active" {
			t.Errorf("subscription item %+v", it.Price)
		}
		if got.PaymentStatus != "paid" {
			t.Errorf("payment_status %s", got.PaymentStatus)
		}
	})
}
