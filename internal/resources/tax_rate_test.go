package resources_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func newTaxRate(t *testing.T, sc *stripe.Client, name string, pct float64, inclusive bool) *stripe.TaxRate {
	t.Helper()
	tr, err := sc.V1TaxRates.Create(ctx, &stripe.TaxRateCreateParams{
		DisplayName: stripe.String(name), Percentage: stripe.Float64(pct), Inclusive: stripe.Bool(inclusive),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTaxRateCreateUpdateList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		vat, err := sc.V1TaxRates.Create(ctx, &stripe.TaxRateCreateParams{
			DisplayName: stripe.String("VAT"), Percentage: stripe.Float64(20), Inclusive: stripe.Bool(true),
			Jurisdiction: stripe.String("GB"), Country: stripe.String("GB"), TaxType: stripe.String("vat"),
			Metadata: map[string]string{"k": "v"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if vat.Object != "tax_rate" || !vat.Active || !vat.Inclusive || vat.Percentage != 20 || vat.Jurisdiction != "GB" ||
			vat.TaxType != stripe.TaxRateTaxTypeVAT || vat.Created != f.Now().Unix() || vat.Metadata["k"] != "v" {
			t.Errorf("created %+v", vat)
		}
		sales := newTaxRate(t, sc, "Sales tax", 8.25, false)

		// Bad input changes nothing.
		_, err = sc.V1TaxRates.Create(ctx, &stripe.TaxRateCreateParams{DisplayName: stripe.String("X"), Inclusive: stripe.Bool(false)})
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeParameterMissing, "percentage", "Missing required param: percentage.")
		_, err = sc.V1TaxRates.Create(ctx, &stripe.TaxRateCreateParams{DisplayName: stripe.String("X"), Inclusive: stripe.Bool(false), Percentage: stripe.Float64(101)})
		stripeErr(t, err, http.StatusBadRequest, "", "percentage", "percentage must be between 0 and 100.")

		up, err := sc.V1TaxRates.Update(ctx, sales.ID, &stripe.TaxRateUpdateParams{Active: stripe.Bool(false), DisplayName: stripe.String("Sales")})
		if err != nil || up.Active || up.DisplayName != "Sales" || up.Percentage != 8.25 {
			t.Fatalf("update: %v %+v", err, up)
		}
		p := &stripe.TaxRateUpdateParams{}
		p.AddExtra("percentage", "5")
		_, err = sc.V1TaxRates.Update(ctx, sales.ID, p)
		stripeErr(t, err, http.StatusBadRequest, "parameter_unknown", "percentage", "Received unknown parameter: percentage")

		active := ids(t, sc.V1TaxRates.List(ctx, &stripe.TaxRateListParams{Active: stripe.Bool(true)}).All(ctx))
		if !slices.Equal(active, []string{vat.ID}) {
			t.Errorf("active rates %v", active)
		}
		if got := eventTypes(f); !slices.Equal(got, []string{"tax_rate.created", "tax_rate.created", "tax_rate.updated"}) {
			t.Errorf("events %v", got)
		}

		// An archived rate cannot be set on anything new.
		cu := invCustomer(t, sc, "", 0)
		_, err = sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(100),
			Currency: stripe.String("usd"), TaxRates: []*string{stripe.String(sales.ID)}})
		stripeErr(t, err, http.StatusBadRequest, "", "tax_rates[0]", "Tax rate "+sales.ID+" is archived (active=false) and cannot be applied to new objects.")
		if items := pendingItems(t, sc, cu.ID); len(items) != 0 {
			t.Errorf("a refused item was kept: %d", len(items))
		}

		// Stripe Tax is not modelled, and says so.
		_, err = sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID),
			AutomaticTax: &stripe.InvoiceCreateAutomaticTaxParams{Enabled: stripe.Bool(true)}})
		stripeErr(t, err, http.StatusBadRequest, "", "automatic_tax[enabled]", "stripefake does not support the parameter 'automatic_tax[enabled]' yet.")
	})
}

// An update that sets the same default_tax_rates changes nothing: no
// *.updated event, and a real change does not list them in
// previous_attributes. (The rate renders in its struct's member order when
// saved in the request and sorted when loaded back; the diff compares the
// values.)
func TestSameDefaultTaxRatesAreNoChange(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		vat := newTaxRate(t, sc, "VAT", 10, false)
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		pr := testfake.RecurringPrice(t, sc, 1000, "month")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
			DefaultTaxRates: []*string{stripe.String(vat.ID)},
		})
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), DefaultTaxRates: []*string{stripe.String(vat.ID)}})
		if err != nil {
			t.Fatal(err)
		}
		updates := func(typ string) []map[string]any {
			var out []map[string]any
			for _, ev := range f.Events() {
				if ev.Type == typ {
					out = append(out, ev.PreviousAttributes)
				}
			}
			return out
		}
		subsBefore, invsBefore := len(updates("customer.subscription.updated")), len(updates("invoice.updated"))
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultTaxRates: []*string{stripe.String(vat.ID)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Invoices.Update(ctx, inv.ID, &stripe.InvoiceUpdateParams{DefaultTaxRates: []*string{stripe.String(vat.ID)}}); err != nil {
			t.Fatal(err)
		}
		if n, m := len(updates("customer.subscription.updated")), len(updates("invoice.updated")); n != subsBefore || m != invsBefore {
			t.Errorf("same default_tax_rates: %d subscription and %d invoice updates, want %d and %d", n, m, subsBefore, invsBefore)
		}
		up := &stripe.SubscriptionUpdateParams{DefaultTaxRates: []*string{stripe.String(vat.ID)}}
		up.AddMetadata("a", "b")
		if _, err := sc.V1Subscriptions.Update(ctx, s.ID, up); err != nil {
			t.Fatal(err)
		}
		iup := &stripe.InvoiceUpdateParams{DefaultTaxRates: []*string{stripe.String(vat.ID)}, Description: stripe.String("x")}
		if _, err := sc.V1Invoices.Update(ctx, inv.ID, iup); err != nil {
			t.Fatal(err)
		}
		subs, invs := updates("customer.subscription.updated"), updates("invoice.updated")
		if len(subs) != subsBefore+1 || len(invs) != invsBefore+1 {
			t.Fatalf("%d subscription and %d invoice updates, want %d and %d", len(subs), len(invs), subsBefore+1, invsBefore+1)
		}
		if prev := subs[len(subs)-1]; len(prev) != 1 || prev["metadata"] == nil {
			t.Errorf("subscription previous_attributes %v, want metadata only", prev)
		}
		if prev := invs[len(invs)-1]; len(prev) != 1 || prev["description"] != nil {
			t.Errorf("invoice previous_attributes %v, want description (null) only", prev)
		} else if _, ok := prev["description"]; !ok {
			t.Errorf("invoice previous_attributes %v, want description", prev)
		}
	})
}
