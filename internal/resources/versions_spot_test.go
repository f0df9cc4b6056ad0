package resources_test

import (
	"context"
	"testing"

	stripe81 "github.com/stripe/stripe-go/v81"
	client81 "github.com/stripe/stripe-go/v81/client"
	stripe82 "github.com/stripe/stripe-go/v82"
	stripe84 "github.com/stripe/stripe-go/v84"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Spot checks through the stripe-go majors of acacia (v81 pins
// 2025-02-24.acacia), basil (v82, 2025-08-27.basil) and clover (v84,
// 2026-02-25.clover): each reads the fields its release has.
func TestSpotCheckAcaciaV81(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	sc := client81.New("sk_test_v81", stripe81.NewBackendsWithConfig(&stripe81.BackendConfig{
		URL: stripe81.String(f.URL()), MaxNetworkRetries: stripe81.Int64(0), LeveledLogger: &stripe81.LeveledLogger{Level: stripe81.LevelNull},
	}))
	cu := must76(sc.Customers.New(&stripe81.CustomerParams{
		PaymentMethod: stripe81.String("pm_card_visa"), InvoiceSettings: &stripe81.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe81.String("pm_card_visa")},
	}))(t)
	pr := must76(sc.Prices.New(&stripe81.PriceParams{
		Currency: stripe81.String("usd"), UnitAmount: stripe81.Int64(900), ProductData: &stripe81.PriceProductDataParams{Name: stripe81.String("A")},
		Recurring: &stripe81.PriceRecurringParams{Interval: stripe81.String("month")},
	}))(t)
	sub := must76(sc.Subscriptions.New(&stripe81.SubscriptionParams{
		Customer: stripe81.String(cu.ID), Items: []*stripe81.SubscriptionItemsParams{{Price: stripe81.String(pr.ID)}},
		Params: stripe81.Params{Expand: []*string{stripe81.String("latest_invoice")}},
	}))(t)
	if sub.CurrentPeriodEnd != testfake.Start.AddDate(0, 1, 0).Unix() {
		t.Errorf("current_period_end %d", sub.CurrentPeriodEnd)
	}
	inv := sub.LatestInvoice
	if inv == nil || inv.Subscription == nil || inv.Subscription.ID != sub.ID || !inv.Paid || inv.PaymentIntent == nil {
		t.Errorf("invoice: %+v", inv)
	}
	if r := f.Requests(); r[len(r)-1].StripeVersion != "2025-02-24.acacia" {
		t.Errorf("served %s", r[len(r)-1].StripeVersion)
	}
}

func TestSpotCheckBasilV82(t *testing.T) {
	ctx := context.Background()
	f, _ := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	sc := stripe82.NewClient("sk_test_v82", stripe82.WithBackends(stripe82.NewBackendsWithConfig(&stripe82.BackendConfig{
		URL: stripe82.String(f.URL()), MaxNetworkRetries: stripe82.Int64(0), LeveledLogger: &stripe82.LeveledLogger{Level: stripe82.LevelNull},
	})))
	cu := must76(sc.V1Customers.Create(ctx, &stripe82.CustomerCreateParams{
		PaymentMethod: stripe82.String("pm_card_visa"), InvoiceSettings: &stripe82.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe82.String("pm_card_visa")},
	}))(t)
	pr := must76(sc.V1Prices.Create(ctx, &stripe82.PriceCreateParams{
		Currency: stripe82.String("usd"), UnitAmount: stripe82.Int64(900), ProductData: &stripe82.PriceCreateProductDataParams{Name: stripe82.String("B")},
		Recurring: &stripe82.PriceCreateRecurringParams{Interval: stripe82.String("month")},
	}))(t)
	p := &stripe82.SubscriptionCreateParams{Customer: stripe82.String(cu.ID), Items: []*stripe82.SubscriptionCreateItemParams{{Price: stripe82.String(pr.ID)}}}
	p.AddExpand("latest_invoice")
	sub := must76(sc.V1Subscriptions.Create(ctx, p))(t)
	if sub.Items.Data[0].CurrentPeriodEnd != testfake.Start.AddDate(0, 1, 0).Unix() || sub.BillingMode == nil || sub.BillingMode.Type != "classic" {
		t.Errorf("item period %d, billing mode %+v", sub.Items.Data[0].CurrentPeriodEnd, sub.BillingMode)
	}
	inv := sub.LatestInvoice
	if inv == nil || inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription.ID != sub.ID {
		t.Errorf("invoice parent: %+v", inv)
	}
}

func TestSpotCheckCloverV84(t *testing.T) {
	ctx := context.Background()
	f, _ := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	sc := stripe84.NewClient("sk_test_v84", stripe84.WithBackends(stripe84.NewBackendsWithConfig(&stripe84.BackendConfig{
		URL: stripe84.String(f.URL()), MaxNetworkRetries: stripe84.Int64(0), LeveledLogger: &stripe84.LeveledLogger{Level: stripe84.LevelNull},
	})))
	cu := must76(sc.V1Customers.Create(ctx, &stripe84.CustomerCreateParams{
		PaymentMethod: stripe84.String("pm_card_visa"), InvoiceSettings: &stripe84.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe84.String("pm_card_visa")},
	}))(t)
	pr := must76(sc.V1Prices.Create(ctx, &stripe84.PriceCreateParams{
		Currency: stripe84.String("usd"), UnitAmount: stripe84.Int64(900), ProductData: &stripe84.PriceCreateProductDataParams{Name: stripe84.String("C")},
		Recurring: &stripe84.PriceCreateRecurringParams{Interval: stripe84.String("month")},
	}))(t)
	sub := must76(sc.V1Subscriptions.Create(ctx, &stripe84.SubscriptionCreateParams{
		Customer: stripe84.String(cu.ID), Items: []*stripe84.SubscriptionCreateItemParams{{Price: stripe84.String(pr.ID)}},
	}))(t)
	if sub.BillingMode == nil || sub.BillingMode.Type != "flexible" || sub.Items.Data[0].CurrentPeriodEnd != testfake.Start.AddDate(0, 1, 0).Unix() {
		t.Errorf("billing mode %+v, item period %d", sub.BillingMode, sub.Items.Data[0].CurrentPeriodEnd)
	}
	if r := f.Requests(); r[len(r)-1].StripeVersion != "2026-02-25.clover" {
		t.Errorf("served %s", r[len(r)-1].StripeVersion)
	}
}
