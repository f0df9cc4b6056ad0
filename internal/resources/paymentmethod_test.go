package resources_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// The tests run at testfake.Start (2026-01-15) so that expiry years are
// golden.
var pmAt = fake.WithStartTime(testfake.Start)

// wantCardError asserts err is a 402 card_error with code, decline_code and
// message.
func wantCardError(t *testing.T, err error, code stripe.ErrorCode, decline stripe.DeclineCode, msg string) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	if se.HTTPStatusCode != http.StatusPaymentRequired || se.Type != stripe.ErrorTypeCard || se.Code != code || se.DeclineCode != decline || se.Msg != msg {
		t.Errorf("got %d %s code=%q decline=%q msg=%q\nwant 402 card_error code=%q decline=%q msg=%q",
			se.HTTPStatusCode, se.Type, se.Code, se.DeclineCode, se.Msg, code, decline, msg)
	}
	return se
}

// wantRequestError asserts err is an invalid_request_error with status,
// code, param and message.
func wantRequestError(t *testing.T, err error, status int, code stripe.ErrorCode, param, msg string) {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	if se.HTTPStatusCode != status || se.Type != stripe.ErrorTypeInvalidRequest || se.Code != code || se.Param != param || se.Msg != msg {
		t.Errorf("got %d %s code=%q param=%q msg=%q\nwant %d invalid_request_error code=%q param=%q msg=%q",
			se.HTTPStatusCode, se.Type, se.Code, se.Param, se.Msg, status, code, param, msg)
	}
}

func pmNewCustomer(t *testing.T, sc *stripe.Client) *stripe.Customer {
	t.Helper()
	cu, err := sc.V1Customers.Create(context.Background(), &stripe.CustomerCreateParams{Email: stripe.String("pm@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func pmAttach(t *testing.T, sc *stripe.Client, pm, customer string) *stripe.PaymentMethod {
	t.Helper()
	got, err := sc.V1PaymentMethods.Attach(context.Background(), pm, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
	if err != nil {
		t.Fatalf("attach %s: %v", pm, err)
	}
	return got
}

func pmFromCard(sc *stripe.Client, card *stripe.PaymentMethodCreateCardParams) (*stripe.PaymentMethod, error) {
	return sc.V1PaymentMethods.Create(context.Background(), &stripe.PaymentMethodCreateParams{Type: stripe.String("card"), Card: card})
}

func pmRawCard(number string) *stripe.PaymentMethodCreateCardParams {
	return &stripe.PaymentMethodCreateCardParams{
		Number: stripe.String(number), ExpMonth: stripe.Int64(12), ExpYear: stripe.Int64(2030), CVC: stripe.String("123"),
	}
}

// pmIDs lists every payment method's ID (GET /v1/payment_methods), or the
// customer's when customer is set.
func pmIDs(t *testing.T, sc *stripe.Client, customer string) []string {
	t.Helper()
	params := &stripe.PaymentMethodListParams{}
	params.Limit = stripe.Int64(100)
	if customer != "" {
		params.Customer = stripe.String(customer)
	}
	return ids(t, sc.V1PaymentMethods.List(context.Background(), params).All(context.Background()))
}

func pmEventTypes(f *fake.Fake) []string {
	var out []string
	for _, ev := range f.Events() {
		out = append(out, ev.Type)
	}
	return out
}

// pmState is what a failed request must leave unchanged.
func pmState(t *testing.T, f *fake.Fake, sc *stripe.Client) string {
	t.Helper()
	customers := ids(t, sc.V1Customers.List(context.Background(), &stripe.CustomerListParams{}).All(context.Background()))
	return strings.Join(pmIDs(t, sc, ""), ",") + " | " + strings.Join(customers, ",") + " | " + strings.Join(pmEventTypes(f), ",")
}

// pmNoHiddenFields checks that no response or event showed the stored-only
// fields.
func pmNoHiddenFields(t *testing.T, f *fake.Fake) {
	t.Helper()
	for _, r := range f.Requests() {
		if strings.Contains(string(r.Response), `"_behavior"`) || strings.Contains(string(r.Response), `"_detached"`) {
			t.Errorf("%s %s rendered a stored-only field: %s", r.Method, r.Path, r.Response)
		}
	}
	for _, ev := range f.Events() {
		if strings.Contains(string(ev.Object), `"_behavior"`) || strings.Contains(string(ev.Object), `"_detached"`) {
			t.Errorf("event %s rendered a stored-only field: %s", ev.Type, ev.Object)
		}
	}
}

func TestPaymentMethodCustomerCreateWithTestValue(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			PaymentMethod:   stripe.String("pm_card_visa"),
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
		})
		if err != nil {
			t.Fatal(err)
		}
		def := cu.InvoiceSettings.DefaultPaymentMethod
		if def == nil || def.ID == "pm_card_visa" || !strings.HasPrefix(def.ID, "pm_") || len(def.ID) != len("pm_")+24 {
			t.Fatalf("default_payment_method %+v, want a new pm_ ID", def)
		}
		ids := pmIDs(t, sc, cu.ID)
		if len(ids) != 1 || ids[0] != def.ID {
			t.Fatalf("customer's payment methods %v, want [%s]", ids, def.ID)
		}
		pm, err := sc.V1PaymentMethods.Retrieve(ctx, def.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pm.Customer == nil || pm.Customer.ID != cu.ID || pm.Type != stripe.PaymentMethodTypeCard || pm.Livemode {
			t.Errorf("payment method %+v", pm)
		}
		c := pm.Card
		if c.Brand != "visa" || c.Last4 != "4242" || c.Funding != "credit" || c.Country != "US" || c.DisplayBrand != "visa" ||
			c.ExpMonth != 1 || c.ExpYear != 2029 || c.Checks.CVCCheck != "pass" || !c.ThreeDSecureUsage.Supported ||
			len(c.Networks.Available) != 1 || c.Networks.Available[0] != "visa" || c.Fingerprint == "" {
			t.Errorf("card %+v", c)
		}
		if pm.AllowRedisplay != stripe.PaymentMethodAllowRedisplayUnspecified || pm.BillingDetails == nil || pm.BillingDetails.Address == nil {
			t.Errorf("defaults: allow_redisplay=%q billing_details=%+v", pm.AllowRedisplay, pm.BillingDetails)
		}
		// The customer-scoped retrieve finds it too.
		got, err := sc.V1Customers.RetrievePaymentMethod(ctx, def.ID, &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(cu.ID)})
		if err != nil || got.ID != def.ID {
			t.Errorf("customer retrieve: %v %+v", err, got)
		}

		// Stripe writes the customer's event first.
		want := "customer.created,payment_method.attached"
		if got := strings.Join(pmEventTypes(f), ","); got != want {
			t.Errorf("events %s, want %s", got, want)
		}
		if ev := f.Events()[1]; ev.ObjectID != def.ID {
			t.Errorf("attached event for %s, want %s", ev.ObjectID, def.ID)
		}
		pmNoHiddenFields(t, f)
	}, pmAt)
}

func TestPaymentMethodAttachDetach(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu := pmNewCustomer(t, sc)
		pm, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String("tok_mastercard")})
		if err != nil {
			t.Fatal(err)
		}
		if pm.Customer != nil || pm.Card.Brand != "mastercard" || pm.Card.Last4 != "4444" {
			t.Fatalf("created %+v card %+v", pm, pm.Card)
		}
		if n := len(f.Events()); n != 1 { // customer.created only: Stripe has no payment_method.created
			t.Errorf("%d events after create, want 1", n)
		}

		attached := pmAttach(t, sc, pm.ID, cu.ID)
		if attached.ID != pm.ID || attached.Customer == nil || attached.Customer.ID != cu.ID {
			t.Fatalf("attached %+v", attached)
		}
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{
			InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm.ID)},
		}); err != nil {
			t.Fatal(err)
		}

		detached, err := sc.V1PaymentMethods.Detach(ctx, pm.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if detached.Customer != nil {
			t.Errorf("detached still has customer %+v", detached.Customer)
		}
		if ids := pmIDs(t, sc, cu.ID); len(ids) != 0 {
			t.Errorf("customer still lists %v", ids)
		}
		after, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || after.InvoiceSettings.DefaultPaymentMethod != nil {
			t.Fatalf("default not cleared: %v %+v", err, after.InvoiceSettings)
		}

		want := "customer.created,payment_method.attached,customer.updated,payment_method.detached,customer.updated"
		if got := strings.Join(pmEventTypes(f), ","); got != want {
			t.Fatalf("events %s\nwant %s", got, want)
		}
		evs := f.Events()
		if prev := evs[3].PreviousAttributes; prev["customer"] != cu.ID || len(prev) != 1 {
			t.Errorf("detached previous_attributes %v", prev)
		}
		is, _ := evs[4].PreviousAttributes["invoice_settings"].(map[string]any)
		if is["default_payment_method"] != pm.ID {
			t.Errorf("customer.updated previous_attributes %v", evs[4].PreviousAttributes)
		}

		// Detaching again, or attaching a detached payment method, fails
		// and changes nothing.
		before := pmState(t, f, sc)
		_, err = sc.V1PaymentMethods.Detach(ctx, pm.ID, nil)
		wantRequestError(t, err, http.StatusBadRequest, "", "", "The payment method you provided is not attached to a customer so detachment is impossible.")
		_, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		wantRequestError(t, err, http.StatusBadRequest, "", "", "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.")
		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
		pmNoHiddenFields(t, f)
	}, pmAt)
}

func TestPaymentMethodAttachTestValueMakesNewPaymentMethods(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := pmNewCustomer(t, sc)
		first := pmAttach(t, sc, "pm_card_amex", cu.ID)
		second := pmAttach(t, sc, "pm_card_amex", cu.ID)
		if first.ID == second.ID || first.ID == "pm_card_amex" {
			t.Fatalf("ids %s and %s, want two new pm_ IDs", first.ID, second.ID)
		}
		if first.Card.Brand != "amex" || first.Card.DisplayBrand != "american_express" || first.Card.Last4 != "0005" {
			t.Errorf("card %+v", first.Card)
		}
		if first.Card.Fingerprint != second.Card.Fingerprint {
			t.Errorf("fingerprints differ for the same card: %s %s", first.Card.Fingerprint, second.Card.Fingerprint)
		}
		// Newest first.
		if ids := pmIDs(t, sc, cu.ID); strings.Join(ids, ",") != second.ID+","+first.ID {
			t.Errorf("list %v", ids)
		}
	}, pmAt)
}

func TestPaymentMethodAttachedElsewhere(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		a, b := pmNewCustomer(t, sc), pmNewCustomer(t, sc)
		pm := pmAttach(t, sc, "pm_card_visa", a.ID)
		before := pmState(t, f, sc)
		for _, to := range []string{b.ID, a.ID} {
			_, err := sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(to)})
			wantRequestError(t, err, http.StatusBadRequest, "", "", "The payment method you provided has already been attached to a customer.")
		}
		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
		// It belongs to a, so b's view of it is a 404.
		_, err := sc.V1Customers.RetrievePaymentMethod(ctx, pm.ID, &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(b.ID)})
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such PaymentMethod: '"+pm.ID+"'")
		// A default must be attached to the customer.
		_, err = sc.V1Customers.Update(ctx, b.ID, &stripe.CustomerUpdateParams{
			InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm.ID)},
		})
		wantRequestError(t, err, http.StatusBadRequest, "", "invoice_settings[default_payment_method]",
			"The customer does not have a payment method with the ID "+pm.ID+". The payment method must be attached to the customer.")
	}, pmAt)
}

// declineCards are the cards that refuse to attach: every way of naming
// each, and the error.
var declineCards = []struct {
	magic   []string
	tokens  []string
	number  string
	code    stripe.ErrorCode
	decline stripe.DeclineCode
	msg     string
}{
	{[]string{"pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"}, []string{"tok_visa_chargeDeclined", "tok_chargeDeclined"}, "4000000000000002",
		"card_declined", "generic_decline", "Your card was declined."},
	{[]string{"pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds"}, []string{"tok_chargeDeclinedInsufficientFunds"}, "4000000000009995",
		"card_declined", "insufficient_funds", "Your card has insufficient funds."},
	{[]string{"pm_card_visa_chargeDeclinedLostCard"}, []string{"tok_chargeDeclinedLostCard"}, "4000000000009987",
		"card_declined", "lost_card", "Your card was declined."},
	{[]string{"pm_card_visa_chargeDeclinedStolenCard"}, []string{"tok_chargeDeclinedStolenCard"}, "4000000000009979",
		"card_declined", "stolen_card", "Your card was declined."},
	{[]string{"pm_card_chargeDeclinedExpiredCard"}, []string{"tok_chargeDeclinedExpiredCard"}, "4000000000000069",
		"expired_card", "", "Your card has expired."},
	{[]string{"pm_card_chargeDeclinedIncorrectCvc"}, []string{"tok_chargeDeclinedIncorrectCvc"}, "4000000000000127",
		"incorrect_cvc", "", "Your card's security code is incorrect."},
	{[]string{"pm_card_chargeDeclinedProcessingError"}, []string{"tok_chargeDeclinedProcessingError"}, "4000000000000119",
		"processing_error", "", "An error occurred while processing your card. Try again in a little bit."},
	{[]string{"pm_card_visa_chargeDeclinedVelocityLimitExceeded"}, []string{"tok_visa_chargeDeclinedVelocityLimitExceeded"}, "4000000000006975",
		"card_declined", "card_velocity_exceeded", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."},
}

func TestPaymentMethodDeclineCardsRefuseAttach(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu := pmNewCustomer(t, sc)
		for _, dc := range declineCards {
			// Creating a payment method from a decline card works; only
			// attaching it fails.
			var ids []string
			for _, tok := range dc.tokens {
				pm, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String(tok)})
				if err != nil {
					t.Fatalf("%s: %v", tok, err)
				}
				ids = append(ids, pm.ID)
			}
			pm, err := pmFromCard(sc, pmRawCard(dc.number))
			if err != nil {
				t.Fatalf("%s: %v", dc.number, err)
			}
			if pm.Card.Last4 != dc.number[len(dc.number)-4:] {
				t.Errorf("%s: last4 %s", dc.number, pm.Card.Last4)
			}
			ids = append(ids, pm.ID)
			ids = append(ids, dc.magic...)

			before := pmState(t, f, sc)
			for _, id := range ids {
				_, err := sc.V1PaymentMethods.Attach(ctx, id, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
				wantCardError(t, err, dc.code, dc.decline, dc.msg)
			}
			for _, magic := range dc.magic {
				_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String(magic)})
				wantCardError(t, err, dc.code, dc.decline, dc.msg)
			}
			if got := pmState(t, f, sc); got != before {
				t.Errorf("%s: state changed:\n%s\n%s", dc.number, before, got)
			}
		}
		if ids := pmIDs(t, sc, cu.ID); len(ids) != 0 {
			t.Errorf("customer has payment methods %v", ids)
		}
		pmNoHiddenFields(t, f)
	}, pmAt)
}

func TestPaymentMethodChargeFailAndAuthenticationCardsAttach(t *testing.T) {
	cards := []struct{ magic, token, number string }{
		{"pm_card_chargeCustomerFail", "tok_chargeCustomerFail", "4000000000000341"},
		{"pm_card_authenticationRequiredOnSetup", "", "4000002500003155"},
		{"pm_card_authenticationRequired", "", "4000002760003184"},
		{"pm_card_authenticationRequiredSetupForOffSession", "", "4000003800000446"},
		{"pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "", "4000008260003178"},
		{"pm_card_threeDSecure2Required", "", "4000000000003220"},
		{"pm_card_threeDSecureRequiredChargeDeclined", "", "4000008400001629"},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := pmNewCustomer(t, sc)
		want := 0
		for _, tc := range cards {
			last4 := tc.number[len(tc.number)-4:]
			pm := pmAttach(t, sc, tc.magic, cu.ID)
			if pm.Card.Last4 != last4 {
				t.Errorf("%s: last4 %s", tc.magic, pm.Card.Last4)
			}
			raw, err := pmFromCard(sc, pmRawCard(tc.number))
			if err != nil {
				t.Fatal(err)
			}
			pmAttach(t, sc, raw.ID, cu.ID)
			want += 2
			if tc.token != "" {
				tok, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String(tc.token)})
				if err != nil {
					t.Fatal(err)
				}
				pmAttach(t, sc, tok.ID, cu.ID)
				want++
			}
			if raw.Card.Fingerprint != pm.Card.Fingerprint {
				t.Errorf("%s: fingerprint %s, from the number %s", tc.magic, pm.Card.Fingerprint, raw.Card.Fingerprint)
			}
		}
		if ids := pmIDs(t, sc, cu.ID); len(ids) != want {
			t.Errorf("customer has %d payment methods, want %d", len(ids), want)
		}
		pmNoHiddenFields(t, f)
	}, pmAt)
}

func TestPaymentMethodRawCardNumbers(t *testing.T) {
	cards := []struct {
		number, brand, display, funding string
	}{
		{"4242424242424242", "visa", "visa", "credit"},
		{"4000056655665556", "visa", "visa", "debit"},
		{"5555555555554444", "mastercard", "mastercard", "credit"},
		{"5200828282828210", "mastercard", "mastercard", "debit"},
		{"5105105105105100", "mastercard", "mastercard", "prepaid"},
		{"378282246310005", "amex", "american_express", "credit"},
		{"6011111111111117", "discover", "discover", "credit"},
		{"3056930009020004", "diners", "diners_club", "credit"},
		{"3566002020360505", "jcb", "jcb", "credit"},
		{"6200000000000005", "unionpay", "union_pay", "credit"},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		fingerprints := map[string]string{}
		for _, tc := range cards {
			pm, err := sc.V1PaymentMethods.Create(context.Background(), &stripe.PaymentMethodCreateParams{
				Type: stripe.String("card"),
				Card: &stripe.PaymentMethodCreateCardParams{Number: stripe.String(tc.number), ExpMonth: stripe.Int64(3), ExpYear: stripe.Int64(2031), CVC: stripe.String("314")},
				BillingDetails: &stripe.PaymentMethodCreateBillingDetailsParams{
					Name: stripe.String("Ada"), Address: &stripe.AddressParams{PostalCode: stripe.String("94107")},
				},
				AllowRedisplay: stripe.String("always"),
				Params:         stripe.Params{Metadata: map[string]string{"k": "v"}},
			})
			if err != nil {
				t.Fatalf("%s: %v", tc.number, err)
			}
			c := pm.Card
			if string(c.Brand) != tc.brand || c.DisplayBrand != tc.display || string(c.Funding) != tc.funding ||
				c.Last4 != tc.number[len(tc.number)-4:] || c.ExpMonth != 3 || c.ExpYear != 2031 || c.Checks.CVCCheck != "pass" {
				t.Errorf("%s: card %+v", tc.number, c)
			}
			if pm.BillingDetails.Name != "Ada" || pm.BillingDetails.Address.PostalCode != "94107" || pm.AllowRedisplay != "always" || pm.Metadata["k"] != "v" {
				t.Errorf("%s: billing %+v redisplay %q metadata %v", tc.number, pm.BillingDetails, pm.AllowRedisplay, pm.Metadata)
			}
			if other, dup := fingerprints[c.Fingerprint]; dup {
				t.Errorf("%s and %s share fingerprint %s", other, tc.number, c.Fingerprint)
			}
			fingerprints[c.Fingerprint] = tc.number
		}
		// The same number always has the same fingerprint, however named.
		visa, err := sc.V1PaymentMethods.Retrieve(context.Background(), "pm_card_visa", nil)
		if err != nil {
			t.Fatal(err)
		}
		if fingerprints[visa.Card.Fingerprint] != "4242424242424242" {
			t.Errorf("pm_card_visa fingerprint %s not the number's", visa.Card.Fingerprint)
		}
	}, pmAt)
}

func TestPaymentMethodInvalidCardDetails(t *testing.T) {
	card := func(number string, month, year int64, cvc string) *stripe.PaymentMethodCreateCardParams {
		return &stripe.PaymentMethodCreateCardParams{Number: stripe.String(number), ExpMonth: stripe.Int64(month), ExpYear: stripe.Int64(year), CVC: stripe.String(cvc)}
	}
	cases := []struct {
		name    string
		card    *stripe.PaymentMethodCreateCardParams
		code    stripe.ErrorCode
		decline stripe.DeclineCode
		param   string
		msg     string
	}{
		{"bad luhn", card("4242424242424241", 12, 2030, "123"), "incorrect_number", "", "card[number]", "Your card number is incorrect."},
		{"month 13", card("4242424242424242", 13, 2030, "123"), "invalid_expiry_month", "", "card[exp_month]", "Your card's expiration month is invalid."},
		{"past year", card("4242424242424242", 12, 2025, "123"), "invalid_expiry_year", "", "card[exp_year]", "Your card's expiration year is invalid."},
		{"two-digit cvc", card("4242424242424242", 12, 2030, "12"), "invalid_cvc", "", "card[cvc]", "Your card's security code is invalid."},
		{"live card", card("4999999999999996", 12, 2030, "123"), "card_declined", "test_mode_live_card", "card[number]",
			"Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing."},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		before := pmState(t, f, sc)
		for _, tc := range cases {
			_, err := pmFromCard(sc, tc.card)
			if se := wantCardError(t, err, tc.code, tc.decline, tc.msg); se.Param != tc.param {
				t.Errorf("%s: param %q, want %q", tc.name, se.Param, tc.param)
			}
		}
		_, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String("tok_nope")})
		wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "card[token]", "No such token: 'tok_nope'")
		_, err = sc.V1PaymentMethods.Create(context.Background(), &stripe.PaymentMethodCreateParams{Type: stripe.String("card")})
		wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeParameterMissing, "card", "Missing required param: card.")
		_, err = sc.V1PaymentMethods.Create(context.Background(), &stripe.PaymentMethodCreateParams{Type: stripe.String("sepa_debit")})
		var se *stripe.Error
		if !errors.As(err, &se) || se.HTTPStatusCode != http.StatusBadRequest || se.Param != "type" || !strings.Contains(se.Msg, "sepa_debit") {
			t.Errorf("type sepa_debit: %v", err)
		}
		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
	}, pmAt)
}

func TestPaymentMethodUnknownIDs(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu := pmNewCustomer(t, sc)
		gone := pmNewCustomer(t, sc)
		if _, err := sc.V1Customers.Delete(ctx, gone.ID, nil); err != nil {
			t.Fatal(err)
		}
		pm, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String("tok_visa")})
		if err != nil {
			t.Fatal(err)
		}
		before := pmState(t, f, sc)

		const noPM = "No such PaymentMethod: 'pm_nope'"
		_, err = sc.V1PaymentMethods.Retrieve(ctx, "pm_nope", nil)
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", noPM)
		_, err = sc.V1PaymentMethods.Update(ctx, "pm_nope", &stripe.PaymentMethodUpdateParams{AllowRedisplay: stripe.String("always")})
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", noPM)
		_, err = sc.V1PaymentMethods.Attach(ctx, "pm_nope", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", noPM)
		_, err = sc.V1PaymentMethods.Detach(ctx, "pm_nope", nil)
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", noPM)
		_, err = sc.V1Customers.RetrievePaymentMethod(ctx, "pm_nope", &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(cu.ID)})
		wantRequestError(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", noPM)
		_, err = sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_nope")})
		wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "payment_method", noPM)
		_, err = sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_nope")},
		})
		wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "invoice_settings[default_payment_method]", noPM)

		for _, customer := range []string{"cus_nope", gone.ID} {
			_, err = sc.V1PaymentMethods.Attach(ctx, pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
			wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "customer", "No such customer: '"+customer+"'")
			// A test value is refused the same way, and makes nothing.
			_, err = sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
			wantRequestError(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "customer", "No such customer: '"+customer+"'")
		}
		list := sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{Customer: stripe.String("cus_nope")})
		wantRequestError(t, list.Err(), http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "customer", "No such customer: 'cus_nope'")
		clist := sc.V1Customers.ListPaymentMethods(ctx, &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String("cus_nope")})
		wantRequestError(t, clist.Err(), http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
		// An unattached payment method cannot be updated.
		_, err = sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{AllowRedisplay: stripe.String("always")})
		wantRequestError(t, err, http.StatusBadRequest, "", "", "You must save this PaymentMethod to a customer before you can update it.")

		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
	}, pmAt)
}

func TestPaymentMethodRetrieveTestValueStoresNothing(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		before := pmState(t, f, sc)
		pm, err := sc.V1PaymentMethods.Retrieve(context.Background(), "pm_card_visa_debit", nil)
		if err != nil {
			t.Fatal(err)
		}
		if pm.ID != "pm_card_visa_debit" || pm.Customer != nil || pm.Card.Brand != "visa" || pm.Card.Funding != "debit" || pm.Card.Last4 != "5556" {
			t.Errorf("retrieved %+v card %+v", pm, pm.Card)
		}
		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
	}, pmAt)
}

func TestPaymentMethodUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu := pmNewCustomer(t, sc)
		pm := pmAttach(t, sc, "pm_card_visa", cu.ID)
		up := &stripe.PaymentMethodUpdateParams{
			AllowRedisplay: stripe.String("limited"),
			BillingDetails: &stripe.PaymentMethodUpdateBillingDetailsParams{
				Name: stripe.String("Grace"), Email: stripe.String("grace@example.com"),
				Address: &stripe.AddressParams{Line1: stripe.String("1 Main St"), Country: stripe.String("US")},
			},
			Card: &stripe.PaymentMethodUpdateCardParams{ExpMonth: stripe.Int64(7), ExpYear: stripe.Int64(2032)},
		}
		up.AddMetadata("plan", "pro")
		got, err := sc.V1PaymentMethods.Update(ctx, pm.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		bd := got.BillingDetails
		if bd.Name != "Grace" || bd.Email != "grace@example.com" || bd.Address.Line1 != "1 Main St" || bd.Address.Country != "US" ||
			got.Card.ExpMonth != 7 || got.Card.ExpYear != 2032 || got.AllowRedisplay != "limited" || got.Metadata["plan"] != "pro" {
			t.Errorf("updated %+v card %+v", got, got.Card)
		}
		evs := f.Events()
		last := evs[len(evs)-1]
		if last.Type != "payment_method.updated" || last.ObjectID != pm.ID {
			t.Fatalf("last event %s %s", last.Type, last.ObjectID)
		}
		prev := last.PreviousAttributes
		card, _ := prev["card"].(map[string]any)
		billing, _ := prev["billing_details"].(map[string]any)
		if prev["allow_redisplay"] != "unspecified" || billing["name"] != nil || card["exp_year"] == nil || len(card) != 2 {
			t.Errorf("previous_attributes %v", prev)
		}
		if _, ok := billing["name"]; !ok {
			t.Errorf("previous_attributes.billing_details lacks name: %v", billing)
		}

		// Unset a field; a bad expiry changes nothing.
		clear := &stripe.PaymentMethodUpdateParams{BillingDetails: &stripe.PaymentMethodUpdateBillingDetailsParams{}}
		clear.BillingDetails.AddUnsetField(stripe.PaymentMethodUpdateBillingDetailsParamsUnsetFieldName)
		got, err = sc.V1PaymentMethods.Update(ctx, pm.ID, clear)
		if err != nil || got.BillingDetails.Name != "" || got.BillingDetails.Email != "grace@example.com" {
			t.Fatalf("unset name: %v %+v", err, got.BillingDetails)
		}
		before := pmState(t, f, sc)
		_, err = sc.V1PaymentMethods.Update(ctx, pm.ID, &stripe.PaymentMethodUpdateParams{Card: &stripe.PaymentMethodUpdateCardParams{ExpMonth: stripe.Int64(13)}})
		wantCardError(t, err, "invalid_expiry_month", "", "Your card's expiration month is invalid.")
		if got := pmState(t, f, sc); got != before {
			t.Errorf("state changed:\n%s\n%s", before, got)
		}
		again, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		if err != nil || again.Card.ExpMonth != 7 {
			t.Errorf("after failed update: %v exp_month %d", err, again.Card.ExpMonth)
		}
		pmNoHiddenFields(t, f)
	}, pmAt)
}

func TestPaymentMethodListFilters(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		a, b := pmNewCustomer(t, sc), pmNewCustomer(t, sc)
		a1 := pmAttach(t, sc, "pm_card_visa", a.ID)
		a2 := pmAttach(t, sc, "pm_card_mastercard", a.ID)
		b1 := pmAttach(t, sc, "pm_card_amex", b.ID)
		loose, err := pmFromCard(sc, &stripe.PaymentMethodCreateCardParams{Token: stripe.String("tok_visa")})
		if err != nil {
			t.Fatal(err)
		}

		if got := strings.Join(pmIDs(t, sc, a.ID), ","); got != a2.ID+","+a1.ID {
			t.Errorf("customer a: %s", got)
		}
		if got := strings.Join(pmIDs(t, sc, ""), ","); got != strings.Join([]string{loose.ID, b1.ID, a2.ID, a1.ID}, ",") {
			t.Errorf("all: %s", got)
		}

		// The customer-scoped list pages, filters by type and has its URL.
		params := &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(a.ID), Type: stripe.String("card")}
		params.Limit = stripe.Int64(1)
		list := sc.V1Customers.ListPaymentMethods(ctx, params)
		listed := ids(t, list.All(ctx))
		if strings.Join(listed, ",") != a2.ID+","+a1.ID {
			t.Errorf("paged: %v", listed)
		}
		if url := list.Meta().URL; url != "/v1/customers/"+a.ID+"/payment_methods" {
			t.Errorf("url %q", url)
		}
		sepa := sc.V1PaymentMethods.List(ctx, &stripe.PaymentMethodListParams{Customer: stripe.String(a.ID), Type: stripe.String("sepa_debit")})
		for pm, err := range sepa.All(ctx) {
			t.Errorf("sepa_debit list returned %v %v", pm, err)
		}
	}, pmAt)
}

func TestPaymentMethodCustomerDeleteDetaches(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		ctx := context.Background()
		cu := pmNewCustomer(t, sc)
		pm := pmAttach(t, sc, "pm_card_visa", cu.ID)
		if _, err := sc.V1Customers.Delete(ctx, cu.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, err := sc.V1PaymentMethods.Retrieve(ctx, pm.ID, nil)
		if err != nil || got.Customer != nil {
			t.Fatalf("after delete: %v %+v", err, got)
		}
		want := "customer.created,payment_method.attached,customer.deleted,payment_method.detached"
		if got := strings.Join(pmEventTypes(f), ","); got != want {
			t.Errorf("events %s\nwant %s", got, want)
		}
	}, pmAt)
}
