package resources_test

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// pageGet fetches a page and returns its status and body.
func pageGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// csrfField is the hidden csrf_token of a page's forms.
var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// pagePost posts a form to a page, with the csrf_token its page shows as
// a browser would, and returns status, Location and body.
func pagePost(t *testing.T, u string, form url.Values) (int, string, string) {
	t.Helper()
	page := u // a checkout page posts to itself, a portal action below it
	if before, after, ok := strings.Cut(u, "/p/session/"); ok {
		secret, _, _ := strings.Cut(after, "/")
		page = before + "/p/session/" + secret
	}
	_, body := pageGet(t, page)
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	if m := csrfField.FindStringSubmatch(body); m != nil && !form.Has("csrf_token") {
		form.Set("csrf_token", m[1])
	}
	return pagePostRaw(t, u, form)
}

// pagePostRaw posts a form as it is.
func pagePostRaw(t *testing.T, u string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := noRedirect.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestPortalConfigurations(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var all []*stripe.BillingPortalConfiguration
		for c, err := range sc.V1BillingPortalConfigurations.List(ctx, &stripe.BillingPortalConfigurationListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, c)
		}
		if len(all) != 1 || !all[0].IsDefault || !all[0].Active || !strings.HasPrefix(all[0].ID, "bpc_") {
			t.Fatalf("want one default configuration, got %+v", all)
		}
		def := all[0]
		if !def.Features.SubscriptionCancel.Enabled || def.Features.SubscriptionCancel.Mode != "at_period_end" || def.Features.SubscriptionUpdate.Enabled {
			t.Errorf("default features %+v", def.Features)
		}

		pr := monthlyPrice(t, sc, 1000, "month")
		created, err := sc.V1BillingPortalConfigurations.Create(ctx, &stripe.BillingPortalConfigurationCreateParams{
			Name:             stripe.String("Pro portal"),
			DefaultReturnURL: stripe.String("https://example.com/account"),
			BusinessProfile:  &stripe.BillingPortalConfigurationCreateBusinessProfileParams{Headline: stripe.String("Acme")},
			Features: &stripe.BillingPortalConfigurationCreateFeaturesParams{
				InvoiceHistory: &stripe.BillingPortalConfigurationCreateFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
				SubscriptionCancel: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionCancelParams{
					Enabled: stripe.Bool(true), Mode: stripe.String("immediately"), ProrationBehavior: stripe.String("create_prorations"),
				},
				SubscriptionUpdate: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateParams{
					Enabled:               stripe.Bool(true),
					DefaultAllowedUpdates: []*string{stripe.String("quantity"), stripe.String("price")},
					Products: []*stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateProductParams{
						{Product: stripe.String(pr.Product.ID), Prices: []*string{stripe.String(pr.ID)}},
					},
				},
			},
			Params: stripe.Params{Metadata: map[string]string{"k": "v"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if created.IsDefault || !created.Active || created.Name != "Pro portal" || created.Metadata["k"] != "v" ||
			created.Features.SubscriptionUpdate.ProrationBehavior != "none" || created.Features.SubscriptionUpdate.TrialUpdateBehavior != "end_trial" ||
			len(created.Features.SubscriptionUpdate.Products) != 1 || created.Features.InvoiceHistory.Enabled != true ||
			created.Features.PaymentMethodUpdate.Enabled {
			t.Errorf("created %+v", created)
		}

		got, err := sc.V1BillingPortalConfigurations.Retrieve(ctx, created.ID, nil)
		if err != nil || got.ID != created.ID || got.DefaultReturnURL != "https://example.com/account" {
			t.Fatalf("retrieve: %v %+v", err, got)
		}

		f.Advance(time.Minute)
		upd, err := sc.V1BillingPortalConfigurations.Update(ctx, created.ID, &stripe.BillingPortalConfigurationUpdateParams{Active: stripe.Bool(false)})
		if err != nil || upd.Active || upd.Updated != created.Updated+60 {
			t.Fatalf("update: %v %+v", err, upd)
		}

		// Refused changes change nothing.
		before := len(f.Events())
		_, err = sc.V1BillingPortalConfigurations.Update(ctx, def.ID, &stripe.BillingPortalConfigurationUpdateParams{Active: stripe.Bool(false)})
		stripeErr(t, err, 400, "", "active", "")
		_, err = sc.V1BillingPortalConfigurations.Create(ctx, &stripe.BillingPortalConfigurationCreateParams{
			Features: &stripe.BillingPortalConfigurationCreateFeaturesParams{
				SubscriptionCancel: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionCancelParams{
					Enabled: stripe.Bool(true), Mode: stripe.String("at_period_end"), ProrationBehavior: stripe.String("create_prorations"),
				},
			},
		})
		stripeErr(t, err, 400, "", "features[subscription_cancel][proration_behavior]", "")
		_, err = sc.V1BillingPortalConfigurations.Create(ctx, &stripe.BillingPortalConfigurationCreateParams{})
		stripeErr(t, err, 400, "parameter_missing", "features", "")
		if len(f.Events()) != before {
			t.Errorf("refused requests wrote events")
		}
		_, err = sc.V1BillingPortalConfigurations.Retrieve(ctx, "bpc_missing", nil)
		stripeErr(t, err, 404, "resource_missing", "id", "")

		inactive := ids(t, sc.V1BillingPortalConfigurations.List(ctx, &stripe.BillingPortalConfigurationListParams{Active: stripe.Bool(false)}).All(ctx))
		if len(inactive) != 1 || inactive[0] != created.ID {
			t.Errorf("inactive %v", inactive)
		}
		defaults := ids(t, sc.V1BillingPortalConfigurations.List(ctx, &stripe.BillingPortalConfigurationListParams{IsDefault: stripe.Bool(true)}).All(ctx))
		if len(defaults) != 1 || defaults[0] != def.ID {
			t.Errorf("defaults %v", defaults)
		}
		types := eventTypes(f)
		if count(types, "billing_portal.configuration.created") != 1 || count(types, "billing_portal.configuration.updated") != 1 {
			t.Errorf("events %v", types)
		}
	})
}

func TestPortalSessionCreate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		pr := monthlyPrice(t, sc, 1000, "month")
		sub := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})

		s, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
			Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account"), Locale: stripe.String("fr"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.ID, "bps_") || s.Customer != cu.ID || s.ReturnURL != "https://example.com/account" ||
			s.Locale != "fr" || s.Flow != nil || !strings.HasPrefix(s.URL, f.URL()+resources.PagesPrefix+"p/session/test_") {
			t.Errorf("session %+v", s)
		}
		if s.Configuration == nil || !strings.HasPrefix(s.Configuration.ID, "bpc_") {
			t.Errorf("configuration %+v", s.Configuration)
		}
		if count(eventTypes(f), "billing_portal.session.created") != 1 {
			t.Errorf("events %v", eventTypes(f))
		}

		flow, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
			Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account"),
			FlowData: &stripe.BillingPortalSessionCreateFlowDataParams{
				Type:               stripe.String("subscription_cancel"),
				SubscriptionCancel: &stripe.BillingPortalSessionCreateFlowDataSubscriptionCancelParams{Subscription: stripe.String(sub.ID)},
				AfterCompletion: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionParams{
					Type: stripe.String("redirect"), Redirect: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionRedirectParams{ReturnURL: stripe.String("https://example.com/bye")},
				},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if flow.Flow == nil || flow.Flow.Type != "subscription_cancel" || flow.Flow.SubscriptionCancel.Subscription != sub.ID ||
			flow.Flow.AfterCompletion.Type != "redirect" || flow.Flow.AfterCompletion.Redirect.ReturnURL != "https://example.com/bye" {
			t.Errorf("flow %+v", flow.Flow)
		}

		// Refusals change nothing.
		before := len(f.Events())
		_, err = sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{Customer: stripe.String(cu.ID)})
		stripeErr(t, err, 400, "", "return_url", "")
		_, err = sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{ReturnURL: stripe.String("https://example.com")})
		stripeErr(t, err, 400, "parameter_missing", "customer", "")
		_, err = sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{Customer: stripe.String("cus_missing"), ReturnURL: stripe.String("https://example.com")})
		stripeErr(t, err, 400, "resource_missing", "customer", "No such customer: 'cus_missing'")
		_, err = sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
			Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com"),
			FlowData: &stripe.BillingPortalSessionCreateFlowDataParams{Type: stripe.String("subscription_update"),
				SubscriptionUpdate: &stripe.BillingPortalSessionCreateFlowDataSubscriptionUpdateParams{Subscription: stripe.String(sub.ID)}},
		})
		stripeErr(t, err, 400, "", "flow_data[type]", "") // the default configuration does not allow updates
		other := payingCustomer(t, sc, "", "")
		_, err = sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
			Customer: stripe.String(other.ID), ReturnURL: stripe.String("https://example.com"),
			FlowData: &stripe.BillingPortalSessionCreateFlowDataParams{Type: stripe.String("subscription_cancel"),
				SubscriptionCancel: &stripe.BillingPortalSessionCreateFlowDataSubscriptionCancelParams{Subscription: stripe.String(sub.ID)}},
		})
		stripeErr(t, err, 400, "", "flow_data[subscription_cancel][subscription]", "")
		if got := len(f.Events()); got != before+1 { // the other customer's customer.created
			t.Errorf("refused requests wrote events: %v", eventTypes(f)[before:])
		}
	})
}

// TestPortalSessionExpiryBoundary checks the exact lifetimes: a session not
// opened within SessionTTL answers the expiry page from that second on; an
// opened one works until OpenedTTL after its first visit.
func TestPortalSessionExpiryBoundary(t *testing.T) {
	cfg := resources.DefaultPortalConfig()
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		newSession := func() string {
			s, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
				Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account"),
			})
			if err != nil {
				t.Fatal(err)
			}
			return s.URL
		}
		opened, unopened := newSession(), newSession()
		f.Advance(cfg.SessionTTL - time.Second)
		if status, body := pageGet(t, opened); status != 200 || !strings.Contains(body, `id="payment_methods"`) {
			t.Fatalf("one second before expiry: %d %s", status, body)
		}
		f.Advance(time.Second)
		if status, body := pageGet(t, unopened); status != http.StatusGone || !strings.Contains(body, `id="expired"`) {
			t.Fatalf("at expiry: %d %s", status, body)
		}
		// Opened at SessionTTL-1s: usable until OpenedTTL after that.
		f.Advance(cfg.OpenedTTL - 2*time.Second)
		if status, _ := pageGet(t, opened); status != 200 {
			t.Fatalf("opened session one second before its end: %d", status)
		}
		f.Advance(time.Second)
		if status, body := pageGet(t, opened); status != http.StatusGone || !strings.Contains(body, "https://example.com/account") {
			t.Fatalf("opened session at its end: %d %s", status, body)
		}
		// An expired session takes no action either.
		if status, _, _ := pagePost(t, opened+"/payment_method", url.Values{"number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2040"}}); status != http.StatusGone {
			t.Errorf("action on expired session: %d", status)
		}
		if status, _ := pageGet(t, f.URL()+resources.PagesPrefix+"p/session/test_nope"); status != 404 {
			t.Errorf("unknown session: %d", status)
		}
	})
}

// TestPortalSessionExpiryOnTestClock: a session of a customer on a test
// clock expires on the clock's time, not the fake's.
func TestPortalSessionExpiryOnTestClock(t *testing.T) {
	cfg := resources.DefaultPortalConfig()
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := testfake.Start
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		newSession := func() *stripe.BillingPortalSession {
			s, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
				Customer: stripe.String(cu.ID), ReturnURL: stripe.String("https://example.com/account"),
			})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s, early := newSession(), newSession()
		if s.Created != frozen.Unix() {
			t.Errorf("created %d, want the clock's %d", s.Created, frozen.Unix())
		}
		f.Advance(time.Hour) // the fake's clock does not matter
		advance := func(to time.Time) {
			if _, err := advanceClock(sc, tc.ID, to); err != nil {
				t.Fatal(err)
			}
		}
		advance(frozen.Add(cfg.SessionTTL - time.Second))
		if status, _ := pageGet(t, early.URL); status != 200 {
			t.Fatalf("one second before the clock's expiry: %d", status)
		}
		advance(frozen.Add(cfg.SessionTTL))
		if status, _ := pageGet(t, s.URL); status != http.StatusGone {
			t.Fatalf("at the clock's expiry: %d", status)
		}
	})
}

// portalFixture is a customer with a subscription and a configuration that
// allows every action.
type portalFixture struct {
	cu          *stripe.Customer
	sub         *stripe.Subscription
	basic, plus *stripe.Price
	cfg         *stripe.BillingPortalConfiguration
}

func newPortalFixture(t *testing.T, sc *stripe.Client, mode string) portalFixture {
	t.Helper()
	var fx portalFixture
	fx.cu = payingCustomer(t, sc, "pm_card_visa", "")
	fx.basic = monthlyPrice(t, sc, 1000, "month")
	plus, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(2500), Product: stripe.String(fx.basic.Product.ID),
		Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.plus = plus
	fx.sub = subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(fx.cu.ID), Items: itemsOf(fx.basic.ID, 1)})
	fx.cfg, err = sc.V1BillingPortalConfigurations.Create(ctx, &stripe.BillingPortalConfigurationCreateParams{
		Features: &stripe.BillingPortalConfigurationCreateFeaturesParams{
			InvoiceHistory:      &stripe.BillingPortalConfigurationCreateFeaturesInvoiceHistoryParams{Enabled: stripe.Bool(true)},
			PaymentMethodUpdate: &stripe.BillingPortalConfigurationCreateFeaturesPaymentMethodUpdateParams{Enabled: stripe.Bool(true)},
			CustomerUpdate: &stripe.BillingPortalConfigurationCreateFeaturesCustomerUpdateParams{
				Enabled: stripe.Bool(true), AllowedUpdates: []*string{stripe.String("email")},
			},
			SubscriptionCancel: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionCancelParams{
				Enabled: stripe.Bool(true), Mode: stripe.String(mode),
				CancellationReason: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionCancelCancellationReasonParams{
					Enabled: stripe.Bool(true), Options: []*string{stripe.String("too_expensive"), stripe.String("unused")},
				},
			},
			SubscriptionUpdate: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateParams{
				Enabled:               stripe.Bool(true),
				DefaultAllowedUpdates: []*string{stripe.String("quantity"), stripe.String("price")},
				Products: []*stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateProductParams{{
					Product: stripe.String(fx.basic.Product.ID), Prices: []*string{stripe.String(fx.basic.ID), stripe.String(fx.plus.ID)},
					AdjustableQuantity: &stripe.BillingPortalConfigurationCreateFeaturesSubscriptionUpdateProductAdjustableQuantityParams{
						Enabled: stripe.Bool(true), Minimum: stripe.Int64(1), Maximum: stripe.Int64(5),
					},
				}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx portalFixture) session(t *testing.T, sc *stripe.Client, flow *stripe.BillingPortalSessionCreateFlowDataParams) *stripe.BillingPortalSession {
	t.Helper()
	s, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(fx.cu.ID), Configuration: stripe.String(fx.cfg.ID),
		ReturnURL: stripe.String("https://example.com/account"), FlowData: flow,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPortalPageActions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		fx := newPortalFixture(t, sc, "at_period_end")
		s := fx.session(t, sc, nil)
		item := fx.sub.Items.Data[0].ID

		status, body := pageGet(t, s.URL)
		for _, want := range []string{fx.sub.ID, item, `id="invoices"`, fx.sub.LatestInvoice.ID, `id="cancel-` + fx.sub.ID, `name="quantity"`, fx.plus.ID, "4242", `name="email"`} {
			if !strings.Contains(body, want) {
				t.Errorf("portal page lacks %q", want)
			}
		}
		if status != 200 {
			t.Fatalf("status %d", status)
		}

		// Quantity out of bounds: shown on the page, nothing changes.
		before := len(f.Events())
		status, _, body = pagePost(t, s.URL+"/update", url.Values{"subscription": {fx.sub.ID}, "item": {item}, "quantity": {"6"}})
		if status != 400 || !strings.Contains(body, "at most 5") {
			t.Errorf("quantity 6: %d %s", status, body)
		}
		if len(f.Events()) != before {
			t.Errorf("refused update wrote events")
		}

		// Quantity 3 and the dearer price, through the subscription code.
		status, loc, _ := pagePost(t, s.URL+"/update", url.Values{"subscription": {fx.sub.ID}, "item": {item}, "quantity": {"3"}, "price": {fx.plus.ID}})
		if status != http.StatusSeeOther || loc != "https://example.com/account" {
			t.Fatalf("update: %d %q", status, loc)
		}
		got := getSub(t, sc, fx.sub.ID)
		if it := got.Items.Data[0]; it.Quantity != 3 || it.Price.ID != fx.plus.ID {
			t.Errorf("item after update: qty %d price %s", it.Quantity, it.Price.ID)
		}

		// A declined card is shown and saves nothing.
		before = len(f.Events())
		status, _, body = pagePost(t, s.URL+"/payment_method", url.Values{"number": {"4000 0000 0000 0002"}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}})
		if status != 402 || !strings.Contains(body, "Your card was declined.") {
			t.Errorf("declined card: %d %s", status, body)
		}
		if len(f.Events()) != before {
			t.Errorf("declined card wrote events: %v", eventTypes(f)[before:])
		}
		status, _, _ = pagePost(t, s.URL+"/payment_method", url.Values{"number": {"5555555555554444"}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}})
		if status != http.StatusSeeOther {
			t.Fatalf("new card: %d", status)
		}
		cu, err := sc.V1Customers.Retrieve(ctx, fx.cu.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, cu.InvoiceSettings.DefaultPaymentMethod.ID, nil)
		if err != nil || pm.Card.Last4 != "4444" || pm.Customer.ID != fx.cu.ID {
			t.Fatalf("default payment method: %v %+v", err, pm)
		}

		// Contact details.
		if status, _, _ := pagePost(t, s.URL+"/customer", url.Values{"email": {"new@example.com"}}); status != http.StatusSeeOther {
			t.Fatalf("customer update: %d", status)
		}
		if status, _, _ := pagePost(t, s.URL+"/customer", url.Values{"name": {"Eve"}}); status != http.StatusForbidden {
			t.Errorf("name is not an allowed update: %d", status)
		}
		cu, _ = sc.V1Customers.Retrieve(ctx, fx.cu.ID, nil)
		if cu.Email != "new@example.com" {
			t.Errorf("email %q", cu.Email)
		}

		// Cancel at period end with a reason.
		status, loc, _ = pagePost(t, s.URL+"/cancel", url.Values{"subscription": {fx.sub.ID}, "reason": {"too_expensive"}})
		if status != http.StatusSeeOther || loc != "https://example.com/account" {
			t.Fatalf("cancel: %d %q", status, loc)
		}
		got = getSub(t, sc, fx.sub.ID)
		if !got.CancelAtPeriodEnd || got.Status != "active" || got.CancellationDetails.Feedback != "too_expensive" {
			t.Errorf("after cancel: %s cape=%v feedback=%q", got.Status, got.CancelAtPeriodEnd, got.CancellationDetails.Feedback)
		}
		_, body = pageGet(t, s.URL)
		if !strings.Contains(body, "cancels at period end") || strings.Contains(body, `id="cancel-`+fx.sub.ID) {
			t.Errorf("page after cancel does not show it")
		}
	})
}

func TestPortalFlows(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		fx := newPortalFixture(t, sc, "immediately")
		other := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(fx.cu.ID), Items: itemsOf(fx.plus.ID, 1)})

		s := fx.session(t, sc, &stripe.BillingPortalSessionCreateFlowDataParams{
			Type:               stripe.String("subscription_cancel"),
			SubscriptionCancel: &stripe.BillingPortalSessionCreateFlowDataSubscriptionCancelParams{Subscription: stripe.String(fx.sub.ID)},
			AfterCompletion: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionParams{
				Type: stripe.String("redirect"), Redirect: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionRedirectParams{ReturnURL: stripe.String("https://example.com/bye")},
			},
		})
		_, body := pageGet(t, s.URL)
		if !strings.Contains(body, fx.sub.ID) || strings.Contains(body, other.ID) || strings.Contains(body, `id="invoices"`) {
			t.Errorf("cancel flow shows more than its subscription")
		}
		if status, _, _ := pagePost(t, s.URL+"/cancel", url.Values{"subscription": {other.ID}}); status != http.StatusForbidden {
			t.Errorf("cancel of another subscription in the flow: %d", status)
		}
		status, loc, _ := pagePost(t, s.URL+"/cancel", url.Values{"subscription": {fx.sub.ID}})
		if status != http.StatusSeeOther || loc != "https://example.com/bye" {
			t.Fatalf("flow cancel: %d %q", status, loc)
		}
		if got := getSub(t, sc, fx.sub.ID); got.Status != "canceled" {
			t.Errorf("status %s", got.Status)
		}
		if got := getSub(t, sc, other.ID); got.Status != "active" {
			t.Errorf("other status %s", got.Status)
		}

		// subscription_update_confirm with a hosted confirmation.
		item := other.Items.Data[0].ID
		s = fx.session(t, sc, &stripe.BillingPortalSessionCreateFlowDataParams{
			Type: stripe.String("subscription_update_confirm"),
			SubscriptionUpdateConfirm: &stripe.BillingPortalSessionCreateFlowDataSubscriptionUpdateConfirmParams{
				Subscription: stripe.String(other.ID),
				Items:        []*stripe.BillingPortalSessionCreateFlowDataSubscriptionUpdateConfirmItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(2)}},
			},
			AfterCompletion: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionParams{
				Type:               stripe.String("hosted_confirmation"),
				HostedConfirmation: &stripe.BillingPortalSessionCreateFlowDataAfterCompletionHostedConfirmationParams{CustomMessage: stripe.String("All set!")},
			},
		})
		if _, body := pageGet(t, s.URL); !strings.Contains(body, `id="confirm"`) {
			t.Fatalf("confirm page: %s", body)
		}
		status, _, body = pagePost(t, s.URL+"/update_confirm", nil)
		if status != 200 || !strings.Contains(body, "All set!") {
			t.Fatalf("confirm: %d %s", status, body)
		}
		if got := getSub(t, sc, other.ID); got.Items.Data[0].Quantity != 2 {
			t.Errorf("quantity %d", got.Items.Data[0].Quantity)
		}
	})
}
