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
