package resources_test

import (
	"slices"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// TestCustomerTaxIDs: tax IDs from tax_id_data and both create routes,
// listed per owner, shown on a draft invoice and frozen at finalization,
// deleted with their events; bad values and Connect owners refused.
func TestCustomerTaxIDs(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email:     stripe.String("vat@example.com"),
			TaxIDData: []*stripe.CustomerCreateTaxIDDataParams{{Type: stripe.String("eu_vat"), Value: stripe.String("EL123456789")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		gb, err := sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String(cu.ID), Type: stripe.String("gb_vat"), Value: stripe.String("GB123456789")})
		if err != nil {
			t.Fatal(err)
		}
		if gb.Country != "GB" || gb.Customer.ID != cu.ID || gb.Owner.Type != stripe.TaxIDOwnerTypeCustomer ||
			gb.Verification.Status != stripe.TaxIDVerificationStatusPending {
			t.Errorf("gb_vat tax ID: %+v owner %+v verification %+v", gb, gb.Owner, gb.Verification)
		}
		var got []*stripe.TaxID
		for tid, err := range sc.V1TaxIDs.List(ctx, &stripe.TaxIDListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tid)
		}
		if len(got) != 2 || got[0].ID != gb.ID || got[1].Type != "eu_vat" || got[1].Country != "GR" {
			t.Fatalf("customer's tax IDs: %d", len(got))
		}

		// Refused: a malformed value, a Connect owner; nothing is stored.
		_, err = sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String(cu.ID), Type: stripe.String("eu_vat"), Value: stripe.String("123")})
		stripeErr(t, err, 400, "tax_id_invalid", "value", "Invalid value for eu_vat.")
		_, err = sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String(cu.ID), Type: stripe.String("eu_vat"), Value: stripe.String("\u017fE123456789")})
		stripeErr(t, err, 400, "tax_id_invalid", "value", "Invalid value for eu_vat.")
		_, err = sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Type: stripe.String("us_ein"), Value: stripe.String("12-3456789"),
			Params: stripe.Params{Extra: &stripe.ExtraValues{Values: map[string][]string{"owner[type]": {"account"}, "owner[account]": {"acct_1"}}}}})
		stripeErr(t, err, 400, "", "owner[type]", "")
		_, err = sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			TaxIDData: []*stripe.CustomerCreateTaxIDDataParams{{Type: stripe.String("au_abn"), Value: stripe.String("12")}},
		})
		stripeErr(t, err, 400, "tax_id_invalid", "tax_id_data[0][value]", "Invalid value for au_abn.")

		// The account's own tax ID is listed by /v1/tax_ids, not the customer's.
		self, err := sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Type: stripe.String("us_ein"), Value: stripe.String("12-3456789")})
		if err != nil {
			t.Fatal(err)
		}
		if self.Owner.Type != stripe.TaxIDOwnerTypeSelf || self.Customer != nil || self.Country != "US" || self.Verification != nil {
			t.Errorf("self tax ID: %+v", self)
		}
		selfList := ids(t, sc.V1TaxIDs.List(ctx, nil).All(ctx))
		if !slices.Equal(selfList, []string{self.ID}) {
			t.Errorf("/v1/tax_ids: %v", selfList)
		}

		// A draft invoice mirrors the customer's tax IDs; finalization
		// freezes them.
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(500), Currency: stripe.String("eur")}); err != nil {
			t.Fatal(err)
		}
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), PendingInvoiceItemsBehavior: stripe.String("include")})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"eu_vat EL123456789", "gb_vat GB123456789"}
		taxIDs := func(inv *stripe.Invoice) []string {
			var out []string
			for _, x := range inv.CustomerTaxIDs {
				out = append(out, string(*x.Type)+" "+x.Value)
			}
			return out
		}
		if !slices.Equal(taxIDs(inv), want) {
			t.Errorf("draft customer_tax_ids %v, want %v", taxIDs(inv), want)
		}
		// The draft follows the customer's tax IDs until finalization.
		extra, err := sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String(cu.ID), Type: stripe.String("nz_gst"), Value: stripe.String("123456789")})
		if err != nil {
			t.Fatal(err)
		}
		if inv, err = sc.V1Invoices.Retrieve(ctx, inv.ID, nil); err != nil || !slices.Equal(taxIDs(inv), append(slices.Clone(want), "nz_gst 123456789")) {
			t.Errorf("draft after a new tax ID: %v (err %v)", taxIDs(inv), err)
		}
		if _, err := sc.V1TaxIDs.Delete(ctx, extra.ID, &stripe.TaxIDDeleteParams{Customer: stripe.String(cu.ID)}); err != nil {
			t.Fatal(err)
		}
		if inv, err = sc.V1Invoices.Retrieve(ctx, inv.ID, nil); err != nil || !slices.Equal(taxIDs(inv), want) {
			t.Errorf("draft after deleting a tax ID: %v (err %v)", taxIDs(inv), err)
		}
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		del, err := sc.V1TaxIDs.Delete(ctx, gb.ID, &stripe.TaxIDDeleteParams{Customer: stripe.String(cu.ID)})
		if err != nil || !del.Deleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		if inv, err = sc.V1Invoices.Retrieve(ctx, inv.ID, nil); err != nil || !slices.Equal(taxIDs(inv), want) {
			t.Errorf("finalized customer_tax_ids %v after delete (err %v)", taxIDs(inv), err)
		}
		if _, err := sc.V1TaxIDs.Retrieve(ctx, gb.ID, &stripe.TaxIDRetrieveParams{Customer: stripe.String(cu.ID)}); err == nil {
			t.Error("deleted tax ID retrieved")
		}
		// Another customer's path does not reach it.
		other, _ := sc.V1Customers.Create(ctx, nil)
		if _, err := sc.V1TaxIDs.Retrieve(ctx, got[1].ID, &stripe.TaxIDRetrieveParams{Customer: stripe.String(other.ID)}); err == nil {
			t.Error("tax ID retrieved through another customer")
		}
		var events []string
		for _, typ := range eventTypes(f) {
			if typ == "customer.tax_id.created" || typ == "customer.tax_id.deleted" {
				events = append(events, typ)
			}
		}
		if !slices.Equal(events, []string{"customer.tax_id.created", "customer.tax_id.created", "customer.tax_id.created", "customer.tax_id.deleted", "customer.tax_id.deleted"}) {
			t.Errorf("events %v", events)
		}
	})
}

// TestCustomerIncludables: expand[]=tax_ids and expand[]=subscriptions
// include the customer's lists; without them the fields are absent.
func TestCustomerIncludables(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			PaymentMethod:   stripe.String("pm_card_visa"),
			InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
			TaxIDData:       []*stripe.CustomerCreateTaxIDDataParams{{Type: stripe.String("eu_vat"), Value: stripe.String("DE123456789")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		pr := monthlyPrice(t, sc, 1000, "month")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}}})
		ended := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}}})
		if _, err := sc.V1Subscriptions.Cancel(ctx, ended.ID, nil); err != nil { // canceled ones are left out
			t.Fatal(err)
		}
		got, err := sc.V1Customers.Retrieve(ctx, cu.ID, &stripe.CustomerRetrieveParams{Params: stripe.Params{Expand: []*string{stripe.String("tax_ids"), stripe.String("subscriptions")}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.TaxIDs == nil || len(got.TaxIDs.Data) != 1 || got.TaxIDs.Data[0].Value != "DE123456789" || got.TaxIDs.URL != "/v1/customers/"+cu.ID+"/tax_ids" {
			t.Errorf("tax_ids: %+v", got.TaxIDs)
		}
		if got.Subscriptions == nil || len(got.Subscriptions.Data) != 1 || got.Subscriptions.Data[0].ID != s.ID {
			t.Errorf("subscriptions: %+v", got.Subscriptions)
		}
		plain, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || plain.TaxIDs != nil || plain.Subscriptions != nil {
			t.Errorf("without expand: tax_ids %+v subscriptions %+v (err %v)", plain.TaxIDs, plain.Subscriptions, err)
		}
	})
}

// TestTaxIDOnTestClock: a test-clock customer's tax IDs and their events
// are dated at the clock's time.
func TestTaxIDOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(1700000000)})
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			TestClock: stripe.String(clock.ID),
			TaxIDData: []*stripe.CustomerCreateTaxIDDataParams{{Type: stripe.String("us_ein"), Value: stripe.String("12-3456789")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		tid, err := sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String(cu.ID), Type: stripe.String("gb_vat"), Value: stripe.String("GB123456789")})
		if err != nil {
			t.Fatal(err)
		}
		if tid.Created != 1700000000 {
			t.Errorf("created %d, want the clock's 1700000000", tid.Created)
		}
		seen := 0
		for _, ev := range f.Events() {
			if ev.Type == "customer.tax_id.created" {
				seen++
				if ev.Created.Unix() != 1700000000 {
					t.Errorf("%s created %d", ev.Type, ev.Created.Unix())
				}
			}
		}
		if seen != 2 { // tax_id_data's and the one created after
			t.Errorf("%d customer.tax_id.created events, want 2", seen)
		}
	})
}

// The customer's tax ID routes answer a missing path customer as every
// route under /v1/customers/{customer} does: 404 naming id.
func TestCustomerTaxIDsOfAMissingCustomer(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1TaxIDs.Create(ctx, &stripe.TaxIDCreateParams{Customer: stripe.String("cus_nope"), Type: stripe.String("eu_vat"), Value: stripe.String("DE123456789")})
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
		_, err = sc.V1TaxIDs.Retrieve(ctx, "txi_nope", &stripe.TaxIDRetrieveParams{Customer: stripe.String("cus_nope")})
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
		err = listErr(sc.V1TaxIDs.List(ctx, &stripe.TaxIDListParams{Customer: stripe.String("cus_nope")}).All(ctx))
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")
		if n := len(f.Events()); n != 0 {
			t.Errorf("%d events after failed calls", n)
		}
	})
}
