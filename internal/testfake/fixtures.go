package testfake

import (
	"context"
	"testing"

	"github.com/stripe/stripe-go/v85"
)

// PayingCustomer creates a customer whose default payment method is the
// test card pm (pm_card_visa, pm_card_chargeCustomerFail, …; "" for none),
// on test clock clock if set.
func PayingCustomer(t testing.TB, sc *stripe.Client, pm, clock string) *stripe.Customer {
	t.Helper()
	p := &stripe.CustomerCreateParams{}
	if pm != "" {
		p.PaymentMethod = stripe.String(pm)
		p.InvoiceSettings = &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm)}
	}
	if clock != "" {
		p.TestClock = stripe.String(clock)
	}
	cu, err := sc.V1Customers.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

// RecurringPrice creates a usd price of amount every interval (day, week,
// month, year) for a new product "Pro".
func RecurringPrice(t testing.TB, sc *stripe.Client, amount int64, interval string) *stripe.Price {
	t.Helper()
	pr, err := sc.V1Prices.Create(context.Background(), &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(amount),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String(interval)},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}
