package resources_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	stripe76 "github.com/stripe/stripe-go/v76"
	client76 "github.com/stripe/stripe-go/v76/client"
	webhook76 "github.com/stripe/stripe-go/v76/webhook"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// eachV76 runs fn on every backend with a stripe-go v76 client, which pins
// Stripe-Version 2023-10-16. Responses are checked against the 2023-10-16
// spec at cleanup.
func eachV76(t *testing.T, fn func(t *testing.T, f *fake.Fake, sc *client76.API), opts ...fake.Option) {
	t.Helper()
	for _, b := range testfake.Backends {
		t.Run(string(b), func(t *testing.T) {
			f, _ := testfake.New(t, b, append([]fake.Option{fake.WithStartTime(testfake.Start)}, opts...)...)
			fn(t, f, testfake.ClientV76(f))
		})
	}
}

// must76 is must76(call(...))(t): the call's result, or a fatal error.
func must76[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func payingCustomer76(t *testing.T, sc *client76.API, clock string) *stripe76.Customer {
	t.Helper()
	p := &stripe76.CustomerParams{
		Email:           stripe76.String("v76@example.com"),
		PaymentMethod:   stripe76.String("pm_card_visa"),
		InvoiceSettings: &stripe76.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe76.String("pm_card_visa")},
	}
	if clock != "" {
		p.TestClock = stripe76.String(clock)
	}
	return must76(sc.Customers.New(p))(t)
}

// clockCustomer76 is a test clock frozen at testfake.Start and a paying
// customer on it.
func clockCustomer76(t *testing.T, sc *client76.API) (*stripe76.TestHelpersTestClock, *stripe76.Customer) {
	t.Helper()
	clock := must76(sc.TestHelpersTestClocks.New(&stripe76.TestHelpersTestClockParams{FrozenTime: stripe76.Int64(testfake.Start.Unix())}))(t)
	return clock, payingCustomer76(t, sc, clock.ID)
}

// advanceClock76 moves test clock id to to; what falls due runs first.
func advanceClock76(t *testing.T, sc *client76.API, id string, to time.Time) {
	t.Helper()
	must76(sc.TestHelpersTestClocks.Advance(id, &stripe76.TestHelpersTestClockAdvanceParams{FrozenTime: stripe76.Int64(to.Unix())}))(t)
}

// pendingInvoice76 gives customer a usd invoice item of each amount, then
// a draft invoice that takes all its pending items.
func pendingInvoice76(t *testing.T, sc *client76.API, customer string, amounts ...int64) *stripe76.Invoice {
	t.Helper()
	for _, a := range amounts {
		must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{
			Customer: stripe76.String(customer), Currency: stripe76.String("usd"), Amount: stripe76.Int64(a),
		}))(t)
	}
	return must76(sc.Invoices.New(&stripe76.InvoiceParams{
		Customer: stripe76.String(customer), PendingInvoiceItemsBehavior: stripe76.String("include"),
	}))(t)
}

// subscribeToPlan76 subscribes customer to plan, one of each.
func subscribeToPlan76(t *testing.T, sc *client76.API, customer, plan string) *stripe76.Subscription {
	t.Helper()
	return must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
		Customer: stripe76.String(customer), Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(plan)}},
	}))(t)
}

func monthlyPlan76(t *testing.T, sc *client76.API, amount int64) *stripe76.Plan {
	t.Helper()
	prod := must76(sc.Products.New(&stripe76.ProductParams{Name: stripe76.String("Pro")}))(t)
	return must76(sc.Plans.New(&stripe76.PlanParams{
		Amount: stripe76.Int64(amount), Currency: stripe76.String("usd"), Interval: stripe76.String("month"),
		ProductID: stripe76.String(prod.ID),
	}))(t)
}

func TestV76CustomersAndBalanceTransactions(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		got := must76(sc.Customers.Get(cu.ID, nil))(t)
		if got.Email != "v76@example.com" || got.InvoiceSettings.DefaultPaymentMethod.ID != "pm_card_visa" && got.InvoiceSettings.DefaultPaymentMethod == nil {
			t.Errorf("customer: %+v", got)
		}
		bt := must76(sc.CustomerBalanceTransactions.New(&stripe76.CustomerBalanceTransactionParams{
			Customer: stripe76.String(cu.ID), Amount: stripe76.Int64(-500), Currency: stripe76.String("usd"),
		}))(t)
		if bt.Amount != -500 || bt.EndingBalance != -500 {
			t.Errorf("balance transaction: %+v", bt)
		}
		it := sc.CustomerBalanceTransactions.List(&stripe76.CustomerBalanceTransactionListParams{Customer: stripe76.String(cu.ID)})
		n := 0
		for it.Next() {
			n++
		}
		if it.Err() != nil || n != 1 {
			t.Errorf("list: %d %v", n, it.Err())
		}
		if r := f.Requests(); r[len(r)-1].StripeVersion != "2023-10-16" {
			t.Errorf("served %q", r[len(r)-1].StripeVersion)
		}
	})
}

func TestV76ProductsPricesPlans(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		// features[][name] is 2023-10-16's name for marketing_features.
		prod := must76(sc.Products.New(&stripe76.ProductParams{
			Name: stripe76.String("Pro"), Features: []*stripe76.ProductFeatureParams{{Name: stripe76.String("Unlimited seats")}},
		}))(t)
		if len(prod.Features) != 1 || prod.Features[0].Name != "Unlimited seats" {
			t.Errorf("features: %+v", prod.Features)
		}
		pr := must76(sc.Prices.New(&stripe76.PriceParams{
			Product: stripe76.String(prod.ID), Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(1500),
			Recurring: &stripe76.PriceRecurringParams{Interval: stripe76.String("month")},
		}))(t)
		if pr.UnitAmount != 1500 || pr.Recurring.Interval != "month" || pr.Recurring.AggregateUsage != "" {
			t.Errorf("price: %+v %+v", pr, pr.Recurring)
		}
		pl := monthlyPlan76(t, sc, 2000)
		got := must76(sc.Plans.Get(pl.ID, nil))(t)
		if got.Amount != 2000 || got.Interval != "month" {
			t.Errorf("plan: %+v", got)
		}
	})
}

func TestV76InvoicesAndInvoiceItems(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		prod := must76(sc.Products.New(&stripe76.ProductParams{Name: stripe76.String("Setup")}))(t)
		pr := must76(sc.Prices.New(&stripe76.PriceParams{
			Product: stripe76.String(prod.ID), Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(2500),
		}))(t)
		// price is 2023-10-16's name for pricing[price].
		ii := must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{Customer: stripe76.String(cu.ID), Price: stripe76.String(pr.ID)}))(t)
		if ii.Price == nil || ii.Price.ID != pr.ID || ii.UnitAmount != 2500 || ii.Amount != 2500 {
			t.Errorf("invoice item: %+v", ii)
		}
		ii2 := must76(sc.InvoiceItems.New(&stripe76.InvoiceItemParams{
			Customer: stripe76.String(cu.ID), Currency: stripe76.String("usd"), UnitAmount: stripe76.Int64(300), Quantity: stripe76.Int64(2),
		}))(t)
		if ii2.Amount != 600 || ii2.UnitAmount != 300 {
			t.Errorf("unit_amount item: %+v", ii2)
		}
		inv := pendingInvoice76(t, sc, cu.ID)
		if inv.Paid || inv.Subscription != nil || inv.AmountDue != 3100 {
			t.Errorf("draft: paid=%v sub=%v due=%d", inv.Paid, inv.Subscription, inv.AmountDue)
		}
		inv = must76(sc.Invoices.FinalizeInvoice(inv.ID, nil))(t)
		inv = must76(sc.Invoices.Pay(inv.ID, nil))(t)
		if !inv.Paid || inv.PaidOutOfBand || inv.PaymentIntent == nil || inv.Charge == nil || inv.Status != "paid" {
			t.Fatalf("paid invoice: paid=%v oob=%v pi=%v charge=%v", inv.Paid, inv.PaidOutOfBand, inv.PaymentIntent, inv.Charge)
		}
		pi := must76(sc.PaymentIntents.Get(inv.PaymentIntent.ID, nil))(t)
		if pi.LatestCharge == nil || pi.LatestCharge.ID != inv.Charge.ID || pi.Amount != 3100 {
			t.Errorf("payment intent: %+v", pi)
		}
		lines := sc.Invoices.ListLines(&stripe76.InvoiceListLinesParams{Invoice: stripe76.String(inv.ID)})
		n := 0
		for lines.Next() {
			l := lines.InvoiceLineItem()
			n++
			if l.Type != "invoiceitem" || l.InvoiceItem == nil || l.Proration {
				t.Errorf("line: %+v", l)
			}
			if l.InvoiceItem.ID == ii.ID && (l.Price == nil || l.Price.ID != pr.ID) {
				t.Errorf("line price: %+v", l.Price)
			}
		}
		if lines.Err() != nil || n != 2 {
			t.Errorf("lines: %d %v", n, lines.Err())
		}
		// expand[] names 2023-10-16's fields.
		got := must76(sc.Invoices.Get(inv.ID, &stripe76.InvoiceParams{Params: stripe76.Params{Expand: []*string{stripe76.String("payment_intent"), stripe76.String("charge")}}}))(t)
		if got.PaymentIntent == nil || got.PaymentIntent.Amount != 3100 || got.Charge == nil || got.Charge.Amount != 3100 {
			t.Errorf("expanded: %+v %+v", got.PaymentIntent, got.Charge)
		}
	})
}

func TestV76SubscriptionsAndItems(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		pl := monthlyPlan76(t, sc, 1000)
		// items[][plan], which stripe-go v76 sends and the public spec omits.
		sub := must76(sc.Subscriptions.New(&stripe76.SubscriptionParams{
			Customer: stripe76.String(cu.ID), Items: []*stripe76.SubscriptionItemsParams{{Plan: stripe76.String(pl.ID)}},
			Params: stripe76.Params{Expand: []*string{stripe76.String("latest_invoice")}},
		}))(t)
		start := testfake.Start.Unix()
		end := testfake.Start.AddDate(0, 1, 0).Unix()
		if sub.Status != "active" || sub.CurrentPeriodStart != start || sub.CurrentPeriodEnd != end {
			t.Errorf("subscription: %s %d..%d, want %d..%d", sub.Status, sub.CurrentPeriodStart, sub.CurrentPeriodEnd, start, end)
		}
		if sub.Items.Data[0].Price == nil || sub.Items.Data[0].Price.ID != pl.ID {
			t.Errorf("item: %+v", sub.Items.Data[0])
		}
		inv := sub.LatestInvoice
		if inv == nil || inv.Subscription == nil || inv.Subscription.ID != sub.ID || !inv.Paid || inv.AmountPaid != 1000 {
			t.Fatalf("latest invoice: %+v", inv)
		}
		if inv.SubscriptionDetails == nil || inv.Lines.Data[0].Type != "subscription" || inv.Lines.Data[0].SubscriptionItem == nil ||
			inv.Lines.Data[0].SubscriptionItem.ID != sub.Items.Data[0].ID || inv.Lines.Data[0].Plan == nil && inv.Lines.Data[0].Price == nil {
			t.Errorf("invoice line: %+v", inv.Lines.Data[0])
		}
		// Subscription items at 2023-10-16.
		si := must76(sc.SubscriptionItems.New(&stripe76.SubscriptionItemParams{
			Subscription: stripe76.String(sub.ID), Plan: stripe76.String(monthlyPlan76(t, sc, 500).ID),
			ProrationBehavior: stripe76.String("none"),
		}))(t)
		si = must76(sc.SubscriptionItems.Update(si.ID, &stripe76.SubscriptionItemParams{Quantity: stripe76.Int64(3), ProrationBehavior: stripe76.String("none")}))(t)
		if si.Quantity != 3 {
			t.Errorf("item quantity %d", si.Quantity)
		}
		it := sc.SubscriptionItems.List(&stripe76.SubscriptionItemListParams{Subscription: stripe76.String(sub.ID)})
		n := 0
		for it.Next() {
			n++
		}
		if it.Err() != nil || n != 2 {
			t.Errorf("items: %d %v", n, it.Err())
		}
		got := must76(sc.Subscriptions.Get(sub.ID, nil))(t)
		if got.CurrentPeriodEnd != end || got.Discount != nil {
			t.Errorf("retrieved: %d %v", got.CurrentPeriodEnd, got.Discount)
		}
	})
}

func TestV76TestClockRenewal(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		clock, cu := clockCustomer76(t, sc)
		sub := subscribeToPlan76(t, sc, cu.ID, monthlyPlan76(t, sc, 1000).ID)
		next := testfake.Start.AddDate(0, 1, 0).Add(2 * time.Hour)
		advanceClock76(t, sc, clock.ID, next)
		clock = must76(sc.TestHelpersTestClocks.Get(clock.ID, nil))(t)
		if clock.Status != "ready" {
			t.Fatalf("clock %s", clock.Status)
		}
		got := must76(sc.Subscriptions.Get(sub.ID, &stripe76.SubscriptionParams{Params: stripe76.Params{Expand: []*string{stripe76.String("latest_invoice")}}}))(t)
		if got.CurrentPeriodStart != testfake.Start.AddDate(0, 1, 0).Unix() || got.CurrentPeriodEnd != testfake.Start.AddDate(0, 2, 0).Unix() {
			t.Errorf("renewed period %d..%d", got.CurrentPeriodStart, got.CurrentPeriodEnd)
		}
		inv := got.LatestInvoice
		if inv == nil || inv.Subscription == nil || inv.Subscription.ID != sub.ID || inv.BillingReason != "subscription_cycle" || !inv.Paid {
			t.Errorf("renewal invoice: %+v", inv)
		}
	})
}

func TestV76PortalAndQuotes(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		ps := must76(sc.BillingPortalSessions.New(&stripe76.BillingPortalSessionParams{
			Customer: stripe76.String(cu.ID), ReturnURL: stripe76.String("https://example.com/account"),
		}))(t)
		if ps.URL == "" || ps.Customer != cu.ID {
			t.Errorf("portal session: %+v", ps)
		}
		pl := monthlyPlan76(t, sc, 1200)
		q := must76(sc.Quotes.New(&stripe76.QuoteParams{
			Customer:  stripe76.String(cu.ID),
			LineItems: []*stripe76.QuoteLineItemParams{{Price: stripe76.String(pl.ID), Quantity: stripe76.Int64(2)}},
		}))(t)
		q = must76(sc.Quotes.FinalizeQuote(q.ID, nil))(t)
		q = must76(sc.Quotes.Accept(q.ID, nil))(t)
		if q.Status != "accepted" || q.Subscription == nil {
			t.Fatalf("quote: %s %v", q.Status, q.Subscription)
		}
		sub := must76(sc.Subscriptions.Get(q.Subscription.ID, nil))(t)
		if sub.CurrentPeriodEnd == 0 || sub.Items.Data[0].Quantity != 2 {
			t.Errorf("quote's subscription: %+v", sub)
		}
	})
}

// TestV76SignedWebhooks: an account on 2023-10-16 (WithAPIVersion) and an
// endpoint pinned with api_version both get 2023-10-16 bodies that v76's
// ConstructEvent accepts, with the fields v76 reads.
func TestV76SignedWebhooks(t *testing.T) {
	for _, pinned := range []bool{false, true} {
		name := "account"
		opts := []fake.Option{fake.WithAPIVersion("2023-10-16")}
		if pinned {
			name, opts = "endpoint", nil
		}
		t.Run(name, func(t *testing.T) {
			eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
				var mu sync.Mutex
				var secret string
				var invoices []stripe76.Invoice
				var subs []stripe76.Subscription
				var failures []string
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					mu.Lock()
					defer mu.Unlock()
					ev, err := webhook76.ConstructEvent(body, r.Header.Get("Stripe-Signature"), secret)
					if err != nil {
						failures = append(failures, err.Error())
						w.WriteHeader(400)
						return
					}
					switch ev.Type {
					case "invoice.paid":
						var inv stripe76.Invoice
						_ = json.Unmarshal(ev.Data.Raw, &inv)
						invoices = append(invoices, inv)
					case "customer.subscription.created":
						var s stripe76.Subscription
						_ = json.Unmarshal(ev.Data.Raw, &s)
						subs = append(subs, s)
					}
				})
				url := "https://hooks.example.com/stripe"
				f.HandleWebhooks(url, h)
				events := []*string{stripe76.String("invoice.paid"), stripe76.String("customer.subscription.created")}
				if pinned {
					we := must76(sc.WebhookEndpoints.New(&stripe76.WebhookEndpointParams{
						URL: stripe76.String(url), EnabledEvents: events, APIVersion: stripe76.String("2023-10-16"),
					}))(t)
					secret = we.Secret
				} else {
					_, secret = f.AddWebhookEndpoint(url, "invoice.paid", "customer.subscription.created")
				}
				cu := payingCustomer76(t, sc, "")
				sub := subscribeToPlan76(t, sc, cu.ID, monthlyPlan76(t, sc, 1000).ID)
				mu.Lock()
				defer mu.Unlock()
				if len(failures) > 0 {
					t.Fatalf("ConstructEvent: %v", failures)
				}
				if len(invoices) != 1 || invoices[0].Subscription == nil || invoices[0].Subscription.ID != sub.ID || !invoices[0].Paid {
					t.Errorf("invoice.paid bodies: %+v", invoices)
				}
				if len(subs) != 1 || subs[0].CurrentPeriodEnd != testfake.Start.AddDate(0, 1, 0).Unix() {
					t.Errorf("subscription bodies: %+v", subs)
				}
				for _, d := range f.WebhookDeliveries() {
					if d.Status != "succeeded" {
						t.Errorf("delivery %+v", d)
					}
				}
			}, opts...)
		})
	}
}

// Before clover a new subscription's billing_mode defaults to classic.
func TestV76BillingModeClassic(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		sub := subscribeToPlan76(t, sc, cu.ID, monthlyPlan76(t, sc, 1000).ID)
		var body struct {
			BillingMode struct {
				Type string `json:"type"`
			} `json:"billing_mode"`
		}
		if err := json.Unmarshal(sub.LastResponse.RawJSON, &body); err != nil || body.BillingMode.Type != "classic" {
			t.Errorf("billing_mode %q %v", body.BillingMode.Type, err)
		}
	})
}

// GET /v1/events renders each event at the request's version, and its
// api_version says so.
func TestV76EventsAtRequestVersion(t *testing.T) {
	eachV76(t, func(t *testing.T, f *fake.Fake, sc *client76.API) {
		cu := payingCustomer76(t, sc, "")
		sub := subscribeToPlan76(t, sc, cu.ID, monthlyPlan76(t, sc, 1000).ID)
		it := sc.Events.List(&stripe76.EventListParams{Type: stripe76.String("invoice.paid")})
		n := 0
		for it.Next() {
			ev := it.Event()
			n++
			var inv stripe76.Invoice
			if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
				t.Fatal(err)
			}
			if ev.APIVersion != "2023-10-16" || inv.Subscription == nil || inv.Subscription.ID != sub.ID || !inv.Paid {
				t.Errorf("event %s at %s: subscription %v paid %v", ev.ID, ev.APIVersion, inv.Subscription, inv.Paid)
			}
		}
		if it.Err() != nil || n != 1 {
			t.Errorf("events: %d %v", n, it.Err())
		}
	})
}
