package resources_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

var ctx = context.Background()

// stripeErr asserts err is a *stripe.Error with the status, code and param.
func stripeErr(t *testing.T, err error, status int, code stripe.ErrorCode, param, msg string) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *stripe.Error, got %T %v", err, err)
	}
	if se.HTTPStatusCode != status || se.Code != code || se.Param != param {
		t.Errorf("got status=%d code=%q param=%q, want %d %q %q (msg %q)", se.HTTPStatusCode, se.Code, se.Param, status, code, param, se.Msg)
	}
	if msg != "" && se.Msg != msg {
		t.Errorf("message:\n got %q\nwant %q", se.Msg, msg)
	}
	return se
}

func eventTypes(f *fake.Fake) []string {
	var out []string
	for _, ev := range f.Events() {
		out = append(out, ev.Type)
	}
	return out
}

func TestCustomerCreateRetrieveUpdateDelete(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email:       stripe.String("ada@example.com"),
			Name:        stripe.String("Ada"),
			Description: stripe.String("first"),
			Params:      stripe.Params{Metadata: map[string]string{"order_id": "42", "tier": "gold"}},
			Address:     &stripe.AddressParams{City: stripe.String("London"), Country: stripe.String("GB")},
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{
				Footer: stripe.String("Thanks"),
			},
			PreferredLocales: []*string{stripe.String("en")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cu.ID, "cus_") || len(cu.ID) != len("cus_")+14 {
			t.Errorf("id %q", cu.ID)
		}
		if cu.Email != "ada@example.com" || cu.Name != "Ada" || cu.Metadata["order_id"] != "42" || cu.Address.City != "London" {
			t.Errorf("created %+v", cu)
		}
		if cu.Created != f.Now().Unix() || cu.NextInvoiceSequence != 1 || cu.TaxExempt != stripe.CustomerTaxExemptNone || cu.InvoicePrefix == "" {
			t.Errorf("defaults: created=%d seq=%d tax_exempt=%q prefix=%q", cu.Created, cu.NextInvoiceSequence, cu.TaxExempt, cu.InvoicePrefix)
		}
		if cu.InvoiceSettings.Footer != "Thanks" || len(cu.PreferredLocales) != 1 {
			t.Errorf("invoice settings %+v locales %v", cu.InvoiceSettings, cu.PreferredLocales)
		}

		got, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || got.Email != cu.Email || got.Metadata["tier"] != "gold" {
			t.Fatalf("retrieve: %v %+v", err, got)
		}

		up := &stripe.CustomerUpdateParams{Name: stripe.String("Ada L.")}
		up.AddMetadata("tier", "")     // unset one key
		up.AddMetadata("plan", "pro")  // add one
		up.AddExtra("description", "") // "" clears a plain string
		updated, err := sc.V1Customers.Update(ctx, cu.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		if updated.Name != "Ada L." || updated.Description != "" || updated.Metadata["plan"] != "pro" || updated.Metadata["order_id"] != "42" {
			t.Errorf("updated %+v", updated)
		}
		if _, gone := updated.Metadata["tier"]; gone {
			t.Errorf("metadata[tier] should be unset: %v", updated.Metadata)
		}

		del, err := sc.V1Customers.Delete(ctx, cu.ID, nil)
		if err != nil || !del.Deleted || del.ID != cu.ID {
			t.Fatalf("delete: %v %+v", err, del)
		}
		// A deleted customer still retrieves, as a stub.
		stub, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || !stub.Deleted {
			t.Fatalf("retrieve deleted: %v %+v", err, stub)
		}
		_, err = sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("x")})
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such customer: '"+cu.ID+"'")

		want := []string{"customer.created", "customer.updated", "customer.deleted"}
		if got := eventTypes(f); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("events %v, want %v", got, want)
		}
		evs := f.Events()
		prev := evs[1].PreviousAttributes
		if prev["name"] != "Ada" || prev["description"] != "first" {
			t.Errorf("previous_attributes %v", prev)
		}
		if md, _ := prev["metadata"].(map[string]any); md["tier"] != "gold" || md["plan"] != nil || len(md) != 2 {
			t.Errorf("previous_attributes.metadata %v", prev["metadata"])
		}
	})
}

func TestCustomerMetadataClearAll(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Params: stripe.Params{Metadata: map[string]string{"a": "1", "b": "2"}}})
		if err != nil {
			t.Fatal(err)
		}
		up := &stripe.CustomerUpdateParams{}
		up.AddExtra("metadata", "")
		got, err := sc.V1Customers.Update(ctx, cu.ID, up)
		if err != nil || len(got.Metadata) != 0 {
			t.Fatalf("clear metadata: %v %v", err, got.Metadata)
		}
	})
}

func TestCustomerBadInputChangesNothing(t *testing.T) {
	long := strings.Repeat("k", 41)
	tooMany := map[string]string{}
	for i := range 51 {
		tooMany[fmt.Sprintf("k%02d", i)] = "v"
	}
	cases := []struct {
		name   string
		params *stripe.CustomerCreateParams
		status int
		code   stripe.ErrorCode
		param  string
		msg    string
	}{
		{"unknown param", extra("nope", "1"), 400, "parameter_unknown", "nope", "Received unknown parameter: nope"},
		{"unknown nested param", extra("invoice_settings[nope]", "1"), 400, "parameter_unknown", "invoice_settings[nope]", "Received unknown parameter: invoice_settings[nope]"},
		{"bad integer", extra("balance", "12.5"), 400, "parameter_invalid_integer", "balance", "Invalid integer: 12.5"},
		{"bad enum", extra("tax_exempt", "sometimes"), 400, "", "tax_exempt", ""},
		{"metadata key too long", &stripe.CustomerCreateParams{Params: stripe.Params{Metadata: map[string]string{long: "v"}}}, 400, "", "metadata",
			"Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: " + long},
		{"too many metadata keys", &stripe.CustomerCreateParams{Params: stripe.Params{Metadata: tooMany}}, 400, "", "metadata",
			"Metadata can have up to 50 keys, but you've set 51."},
		{"metadata value too long", &stripe.CustomerCreateParams{Params: stripe.Params{Metadata: map[string]string{"k": strings.Repeat("v", 501)}}}, 400, "", "metadata[k]", ""},
		{"bad invoice prefix", &stripe.CustomerCreateParams{InvoicePrefix: stripe.String("ab")}, 400, "", "invoice_prefix", ""},
		{"unknown test clock", &stripe.CustomerCreateParams{TestClock: stripe.String("clock_nope")}, 400, stripe.ErrorCodeResourceMissing, "test_clock", ""},
		{"unknown payment method", &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_nope")}, 400, stripe.ErrorCodeResourceMissing, "payment_method", "No such PaymentMethod: 'pm_nope'"},
	}
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := sc.V1Customers.Create(ctx, tc.params)
				stripeErr(t, err, tc.status, tc.code, tc.param, tc.msg)
			})
		}
		n := len(ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx)))
		if n != 0 || len(f.Events()) != 0 {
			t.Errorf("failed requests changed state: %d customers, events %v", n, eventTypes(f))
		}
	})
}

func extra(key, value string) *stripe.CustomerCreateParams {
	p := &stripe.CustomerCreateParams{}
	p.AddExtra(key, value)
	return p
}

func TestCustomerErrorsForMissingIDs(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Customers.Retrieve(ctx, "cus_nope", nil)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
		_, err = sc.V1Customers.Delete(ctx, "cus_nope", nil)
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
	})
}

func TestCustomerListPagination(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		var made []string
		for i := range 25 {
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String(fmt.Sprintf("c%d@example.com", i%3))})
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, cu.ID)
			if i == 12 {
				f.Advance(1e9) // a second later: created differs from here on
			}
		}
		// Newest first; same-second ties in insertion order, newest first.
		got := ids(t, sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(7)}}).All(ctx))
		if len(got) != 25 {
			t.Fatalf("listed %d", len(got))
		}
		for i := range got {
			if got[i] != made[24-i] {
				t.Fatalf("order at %d: got %s want %s", i, got[i], made[24-i])
			}
		}
		// ending_before pages back towards the newest.
		l := sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{EndingBefore: stripe.String(made[10]), Limit: stripe.Int64(3)}})
		back := ids(t, l.All(ctx))
		if len(back) != 14 || back[0] != made[11] {
			t.Errorf("ending_before walked %d, first %v", len(back), back[:min(3, len(back))])
		}
		// Filters.
		n := 0
		for cu, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{Email: stripe.String("c1@example.com")}).All(ctx) {
			if err != nil || cu.Email != "c1@example.com" {
				t.Fatalf("email filter: %v %v", err, cu)
			}
			n++
		}
		if n != 8 {
			t.Errorf("email filter matched %d, want 8", n)
		}
		since := f.Now().Unix()
		n = 0
		for _, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 12 {
			t.Errorf("created[gte] matched %d, want 12", n)
		}
		err := listErr(sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(101)}}).All(ctx))
		stripeErr(t, err, 400, "parameter_invalid_integer", "limit", "")
		err = listErr(sc.V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{StartingAfter: stripe.String("cus_nope")}}).All(ctx))
		stripeErr(t, err, 400, stripe.ErrorCodeResourceMissing, "starting_after", "")
	})
}

func TestCustomerSearch(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for i, name := range []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"} {
			_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
				Name: stripe.String(name), Email: stripe.String(fmt.Sprintf("u%d@example.com", i)),
				Params: stripe.Params{Metadata: map[string]string{"team": []string{"math", "cs", "cs"}[i]}},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		search := func(q string) []string {
			t.Helper()
			var names []string
			for cu, err := range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: q, Limit: stripe.Int64(1)}}).All(ctx) {
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				names = append(names, cu.Name)
			}
			return names
		}
		if got := search(`metadata["team"]:"cs"`); strings.Join(got, ",") != "Grace Hopper,Alan Turing" {
			t.Errorf("metadata search: %v", got)
		}
		if got := search(`email:"u0@example.com" OR name~"Hop"`); strings.Join(got, ",") != "Grace Hopper,Ada Lovelace" {
			t.Errorf("OR search: %v", got)
		}
		if got := search(`-metadata['team']:'cs'`); strings.Join(got, ",") != "Ada Lovelace" {
			t.Errorf("negated search: %v", got)
		}
		err := listErr(sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: "currency:'usd'"}}).All(ctx))
		stripeErr(t, err, 400, "", "query", "")
	})
}

func TestCustomerExpandTestClockAndEvents(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("e@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		p := &stripe.CustomerRetrieveParams{}
		p.AddExpand("nope")
		_, err = sc.V1Customers.Retrieve(ctx, cu.ID, p)
		stripeErr(t, err, 400, "", "expand", "This property cannot be expanded (nope).")
		p = &stripe.CustomerRetrieveParams{}
		p.AddExpand("a.b.c.d.e")
		_, err = sc.V1Customers.Retrieve(ctx, cu.ID, p)
		stripeErr(t, err, 400, "", "expand", "You cannot expand more than 4 levels of a property. Property: a.b.c.d.e")

		ev, err := sc.V1Events.Retrieve(ctx, f.Events()[0].ID, nil)
		if err != nil || ev.Type != "customer.created" || ev.Data.Object["id"] != cu.ID || ev.APIVersion != stripe.APIVersion {
			t.Fatalf("event: %v %+v", err, ev)
		}
		if ev.Request == nil || ev.Request.ID == "" {
			t.Errorf("event request %+v", ev.Request)
		}
		n := 0
		for e, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Types: []*string{stripe.String("customer.*")}}).All(ctx) {
			if err != nil || e.Type != "customer.created" {
				t.Fatalf("list events: %v %v", err, e)
			}
			n++
		}
		if n != 1 {
			t.Errorf("listed %d events", n)
		}
	})
}

// listErr drains a stripe-go list iterator and returns its first error.
func listErr[T any](seq stripe.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// Deleting a customer cancels its subscriptions and stops its invoices
// collecting, as Stripe does; nothing is billed afterwards.
func TestCustomerDeleteCancelsSubscriptions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
		price := testfake.RecurringPrice(t, sc, 1000, "month")
		sub, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price.ID)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd")}); err != nil {
			t.Fatal(err)
		}
		draft, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
			Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(true), PendingInvoiceItemsBehavior: stripe.String("include"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Delete(ctx, cu.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, err := sc.V1Subscriptions.Retrieve(ctx, sub.ID, nil)
		if err != nil || got.Status != stripe.SubscriptionStatusCanceled {
			t.Fatalf("subscription after delete: %v %+v", err, got)
		}
		f.AssertEvent(t, "customer.subscription.deleted", sub.ID)
		before := len(f.Events())
		f.Advance(40 * 24 * time.Hour)
		if after := f.Events(); len(after) != before {
			var types []string
			for _, ev := range after[before:] {
				types = append(types, ev.Type+" "+ev.ObjectID)
			}
			t.Errorf("work went on after the customer was deleted: %v", types)
		}
		inv, err := sc.V1Invoices.Retrieve(ctx, draft.ID, nil)
		if err != nil || inv.Status != stripe.InvoiceStatusDraft || inv.AutoAdvance {
			t.Errorf("draft after delete: %v status=%s auto_advance=%v", err, inv.Status, inv.AutoAdvance)
		}
	})
}

// Balance moves on a test-clock customer happen at the clock's time.
func TestCustomerBalanceOnTestClockTime(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen)})
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(clock.ID)})
		if err != nil {
			t.Fatal(err)
		}
		txn, err := sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(-100), Currency: stripe.String("usd"),
		})
		if err != nil || txn.Created != frozen {
			t.Fatalf("transaction created %d, want the clock's %d (%v)", txn.Created, frozen, err)
		}
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Balance: stripe.Int64(50)}); err != nil {
			t.Fatal(err)
		}
		for _, ev := range f.Events() {
			if ev.Type == "customer.updated" && ev.Created.Unix() != frozen {
				t.Errorf("customer.updated at %v, want the clock's time", ev.Created.UTC())
			}
		}
	})
}

// Events of objects on a test clock far behind the fake's clock still list:
// retention counts on the fake's clock, not on the event's created.
func TestEventsOnOldTestClockStillList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().AddDate(0, 0, -60).Unix())})
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(clock.ID)})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{Type: stripe.String("customer.created")}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			found = found || ev.Data.Object["id"] == cu.ID
		}
		if !found {
			t.Error("customer.created of a clock customer is missing from /v1/events")
		}
	})
}

// TestCustomerRetrieveServesStoredBytes: create and retrieve answer a
// customer's stored bytes as they are; they must be what decoding the
// record and rendering it answers, as a list does, at every version.
func TestCustomerRetrieveServesStoredBytes(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		params := &stripe.CustomerCreateParams{
			Email: stripe.String("a<b>&c@example.com"), Name: stripe.String("Ada \u2028 \"L\""), Phone: stripe.String("+44"),
			Params:  stripe.Params{Metadata: map[string]string{"k": `"deleted":true`, "deleted": "true"}},
			Address: &stripe.AddressParams{City: stripe.String("London"), Country: stripe.String("GB"), Line1: stripe.String("1 <Road>")},
			Shipping: &stripe.CustomerCreateShippingParams{Name: stripe.String("Ada"), Phone: stripe.String("1"),
				Address: &stripe.AddressParams{City: stripe.String("Paris")}},
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{
				Footer:       stripe.String("Thanks"),
				CustomFields: []*stripe.CustomerCreateInvoiceSettingsCustomFieldParams{{Name: stripe.String("VAT"), Value: stripe.String("1")}},
			},
			PreferredLocales: []*string{stripe.String("en"), stripe.String("fr")},
		}
		cu, err := sc.V1Customers.Create(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		for _, version := range []string{"", "2023-10-16"} {
			get := func(path string) string {
				t.Helper()
				status, body := rawAt(t, f, version, "GET", path, nil)
				if status != 200 {
					t.Fatalf("GET %s: %d %s", path, status, body)
				}
				return body
			}
			retrieved := get("/v1/customers/" + cu.ID)
			var list struct{ Data []json.RawMessage }
			if err := json.Unmarshal([]byte(get("/v1/customers?limit=1")), &list); err != nil || len(list.Data) != 1 {
				t.Fatalf("list: %v %d", err, len(list.Data))
			}
			if listed := string(list.Data[0]); retrieved != listed {
				t.Errorf("version %q: retrieve answered\n%s\nlist renders\n%s", version, retrieved, listed)
			}
		}
		if _, err := sc.V1Customers.Delete(ctx, cu.ID, nil); err != nil {
			t.Fatal(err)
		}
		if stub, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil || !stub.Deleted || stub.Email != "" {
			t.Errorf("retrieve deleted: %v %+v", err, stub)
		}
	})
}

// Expanded objects go into the response as rendered bytes; a later
// expand[] path through one of them (customer, then
// customer.invoice_settings.default_payment_method) still reaches inside,
// for a single object and for every item of a list.
func TestExpandThroughAnExpandedObject(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
		pr := testfake.RecurringPrice(t, sc, 1200, "month")
		sub := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
		})
		p := &stripe.SubscriptionRetrieveParams{}
		p.AddExpand("customer")
		p.AddExpand("customer.invoice_settings.default_payment_method")
		p.AddExpand("items.data.price.product")
		got, err := sc.V1Subscriptions.Retrieve(ctx, sub.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		dpm := got.Customer.InvoiceSettings.DefaultPaymentMethod
		if got.Customer.InvoicePrefix == "" || dpm == nil || dpm.Card == nil || dpm.Card.Last4 != "4242" {
			t.Errorf("customer not expanded through: %+v", got.Customer)
		}
		if prod := got.Items.Data[0].Price.Product; prod == nil || prod.Name == "" {
			t.Errorf("items.data.price.product not expanded: %+v", got.Items.Data[0].Price)
		}
		lp := &stripe.InvoiceListParams{Customer: stripe.String(cu.ID)}
		lp.AddExpand("data.customer")
		lp.AddExpand("data.customer.invoice_settings.default_payment_method")
		n := 0
		for inv, err := range sc.V1Invoices.List(ctx, lp).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if pm := inv.Customer.InvoiceSettings.DefaultPaymentMethod; pm == nil || pm.Card == nil || pm.Card.Last4 != "4242" {
				t.Errorf("invoice %s: customer not expanded through: %+v", inv.ID, inv.Customer)
			}
		}
		if n != 1 {
			t.Errorf("listed %d invoices, want 1", n)
		}
		testfake.CheckResponses(t, f)
	})
}
