// Command quickstart starts a fake Stripe on the in-memory store, drives it
// with the official stripe-go client and prints what it did.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	ctx := context.Background()
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := stripe.NewClient("sk_test_quickstart", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(f.URL()),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))

	cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
		Email:         stripe.String("ada@example.com"),
		Name:          stripe.String("Ada Lovelace"),
		PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{
			DefaultPaymentMethod: stripe.String("pm_card_visa"),
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created customer %s (%s), default payment method %s\n", cus.ID, cus.Email, cus.InvoiceSettings.DefaultPaymentMethod.ID)

	txn, err := sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
		Customer: stripe.String(cus.ID), Amount: stripe.Int64(-500), Currency: stripe.String("usd"),
		Description: stripe.String("goodwill credit"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "credited %d cents: balance now %d %s\n", -txn.Amount, txn.EndingBalance, txn.Currency)

	price, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(2000),
		Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Pro plan")},
		LookupKey:   stripe.String("pro_monthly"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created price %s: %d %s per %s for product %s\n", price.ID, price.UnitAmount, price.Currency, price.Recurring.Interval, price.Product.ID)

	_, err = sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{PaymentMethod: stripe.String("pm_card_chargeDeclined")})
	if se, ok := err.(*stripe.Error); ok {
		fmt.Fprintf(out, "a declined test card is refused: %d %s/%s %q\n", se.HTTPStatusCode, se.Code, se.DeclineCode, se.Msg)
	} else {
		return fmt.Errorf("expected a card error, got %v", err)
	}

	subParams := &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cus.ID),
		Items:    []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(price.ID)}},
	}
	subParams.AddExpand("latest_invoice")
	sub, err := sc.V1Subscriptions.Create(ctx, subParams)
	if err != nil {
		return err
	}
	first := sub.LatestInvoice
	fmt.Fprintf(out, "subscribed: %s is %s; first invoice %s %s, paid %d after the 500 credit\n",
		sub.ID, sub.Status, first.Number, first.Status, first.AmountPaid)

	f.Advance(31*24*time.Hour + 2*time.Hour)
	fmt.Fprintf(out, "advanced the clock a month: now %s\n", f.Now().UTC().Format(time.RFC3339))
	for inv, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Customer: stripe.String(cus.ID)}).All(ctx) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  invoice %s %-4s amount_due %4d %s (%s)\n", inv.Number, inv.Status, inv.AmountDue, inv.Currency, inv.BillingReason)
	}

	fmt.Fprintf(out, "%d requests answered; events written:\n", len(f.Requests()))
	counts := map[string]int{}
	var types []string
	for _, ev := range f.Events() {
		if counts[ev.Type] == 0 {
			types = append(types, ev.Type)
		}
		counts[ev.Type]++
	}
	for _, typ := range types {
		fmt.Fprintf(out, "  %-36s x%d\n", typ, counts[typ])
	}
	return nil
}
