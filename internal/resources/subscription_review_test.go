package resources_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Regression tests for defects found in review of the billing code.

// createdItems are the subscription items named by the invoiceitem.created
// events since event n, in event order.
func createdItems(t *testing.T, f *fake.Fake, n int) []string {
	t.Helper()
	var out []string
	for _, ev := range f.Events()[n:] {
		if ev.Type != "invoiceitem.created" {
			continue
		}
		var ii stripe.InvoiceItem
		if err := json.Unmarshal(ev.Object, &ii); err != nil {
			t.Fatal(err)
		}
		if ii.Parent == nil || ii.Parent.SubscriptionDetails == nil {
			t.Fatalf("invoice item %s has no subscription parent", ii.ID)
		}
		out = append(out, ii.Parent.SubscriptionDetails.SubscriptionItem)
	}
	return out
}

func TestSubscriptionProrationOrderFollowsTheItems(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		var items []*stripe.SubscriptionCreateItemParams
		for _, amount := range []int64{100, 200, 300, 400, 500} {
			items = append(items, itemsOf(monthlyPrice(t, sc, amount, "month").ID, 1)...)
		}
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: items})
		var ids []string
		for _, it := range s.Items.Data {
			ids = append(ids, it.ID)
		}
		want := slices.Clone(ids)
		slices.Reverse(want)
		// Map order would pass once by chance; five rounds in a row won't.
		for round := range 5 {
			f.Advance(10 * 24 * time.Hour)
			n := len(f.Events())
			u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{BillingCycleAnchorNow: stripe.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			// The credits are created in the items' order...
			if got := createdItems(t, f, n); !slices.Equal(got, ids) {
				t.Fatalf("round %d: credits created for\n %v\nwant %v", round, got, ids)
			}
			// ...and the invoice lists them newest first, before the charges.
			inv := getInvoice(t, sc, u.LatestInvoice.ID)
			var credited []string
			for _, l := range inv.Lines.Data {
				if l.Amount < 0 {
					credited = append(credited, l.Parent.SubscriptionItemDetails.SubscriptionItem)
				}
			}
			if !slices.Equal(credited, want) {
				t.Fatalf("round %d: credit lines for\n %v\nwant %v", round, credited, want)
			}
		}
	})
}

func TestSubscriptionPriceChangeDuringTrialKeepsTheTrial(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		monthly := monthlyPrice(t, sc, 1000, "month")
		yearly := monthlyPrice(t, sc, 10000, "year")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(monthly.ID, 1), TrialPeriodDays: stripe.Int64(14)})
		f.Advance(24 * time.Hour)
		u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
			Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(s.Items.Data[0].ID), Price: stripe.String(yearly.ID)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != stripe.SubscriptionStatusTrialing || u.TrialEnd != s.TrialEnd || u.LatestInvoice.ID != s.LatestInvoice.ID ||
			u.BillingCycleAnchor != s.TrialEnd || u.Items.Data[0].CurrentPeriodEnd != s.TrialEnd {
			t.Fatalf("after the change: status %s trial_end %d (was %d) anchor %d period end %d latest %s (was %s)",
				u.Status, u.TrialEnd, s.TrialEnd, u.BillingCycleAnchor, u.Items.Data[0].CurrentPeriodEnd, u.LatestInvoice.ID, s.LatestInvoice.ID)
		}
		if p := pendingItems(t, sc, cu.ID); len(p) != 0 {
			t.Errorf("%d pending items", len(p))
		}
		// The new price bills at trial_end, for a year.
		f.AdvanceTo(time.Unix(s.TrialEnd, 0).Add(2 * time.Hour))
		inv := latestInvoice(t, sc, s.ID)
		got := getSub(t, sc, s.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != 10000 || got.Status != stripe.SubscriptionStatusActive ||
			got.Items.Data[0].CurrentPeriodEnd != time.Unix(s.TrialEnd, 0).AddDate(1, 0, 0).Unix() {
			t.Errorf("at trial end: invoice %s paid %d, status %s, period end %d", inv.Status, inv.AmountPaid, got.Status, got.Items.Data[0].CurrentPeriodEnd)
		}
	})
}

func TestSubscriptionAddingATrialInvoicesTheCredit(t *testing.T) {
	const credit = -677 // −1000·21/31: Jan 25 – Feb 15 of Jan 15 – Feb 15
	for _, behavior := range []string{"create_prorations", "none"} {
		t.Run(behavior, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				pr := monthlyPrice(t, sc, 1000, "month")
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
				f.Advance(10 * 24 * time.Hour)
				u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
					TrialEnd: stripe.Int64(f.Now().AddDate(0, 0, 20).Unix()), ProrationBehavior: stripe.String(behavior),
				})
				if err != nil {
					t.Fatal(err)
				}
				c, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				if u.Status != stripe.SubscriptionStatusTrialing || len(pendingItems(t, sc, cu.ID)) != 0 {
					t.Errorf("status %s, %d pending items", u.Status, len(pendingItems(t, sc, cu.ID)))
				}
				if behavior == "none" {
					if u.LatestInvoice.ID != s.LatestInvoice.ID || c.Balance != 0 {
						t.Errorf("none: latest invoice %s (was %s), balance %d", u.LatestInvoice.ID, s.LatestInvoice.ID, c.Balance)
					}
					return
				}
				inv := getInvoice(t, sc, u.LatestInvoice.ID)
				if inv.ID == s.LatestInvoice.ID || inv.Status != stripe.InvoiceStatusPaid || inv.Total != credit || inv.AmountDue != 0 ||
					inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionUpdate || c.Balance != credit {
					t.Errorf("invoice %s %s total %d due %d reason %s; balance %d", inv.ID, inv.Status, inv.Total, inv.AmountDue, inv.BillingReason, c.Balance)
				}
			})
		})
	}
}

func TestInvoiceItemOnAnotherCustomersOrEndedSubscription(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		owner := payingCustomer(t, sc, "pm_card_visa", "")
		other := payingCustomer(t, sc, "pm_card_visa", "")
		live := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(owner.ID), Items: itemsOf(pr.ID, 1)})
		ended := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(owner.ID), Items: itemsOf(pr.ID, 1)})
		if _, err := sc.V1Subscriptions.Cancel(ctx, ended.ID, nil); err != nil {
			t.Fatal(err)
		}
		n := len(f.Events())
		for _, tc := range []struct{ customer, sub, msg string }{
			{other.ID, live.ID, "The subscription " + live.ID + " belongs to customer " + owner.ID + ", but the invoice item is for customer " + other.ID + "."},
			{owner.ID, ended.ID, "The subscription " + ended.ID + " has been canceled: invoice items can't be added to it."},
		} {
			_, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
				Customer: stripe.String(tc.customer), Subscription: stripe.String(tc.sub), Amount: stripe.Int64(500), Currency: stripe.String("usd"),
			})
			stripeErr(t, err, 400, "", "subscription", tc.msg)
			if p := pendingItems(t, sc, tc.customer); len(p) != 0 {
				t.Errorf("%d pending items after a refused create", len(p))
			}
		}
		if evs := eventsSince(f, n); len(evs) != 0 {
			t.Errorf("refused creates emitted %v", evs)
		}
		// The owner's live subscription takes it.
		ii, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(owner.ID), Subscription: stripe.String(live.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd"),
		})
		if err != nil || ii.Parent.SubscriptionDetails.Subscription != live.ID {
			t.Fatalf("owner's item: %v %+v", err, ii)
		}
	})
}

func TestInvoiceDraftStartingBalanceIsTheCustomersBalance(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", -500)
		inv := invDraft(t, sc, cu.ID, 1000, false)
		if inv.StartingBalance != -500 {
			t.Errorf("draft starting_balance %d, want -500", inv.StartingBalance)
		}
		if _, err := sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(-200), Currency: stripe.String("usd"),
		}); err != nil {
			t.Fatal(err)
		}
		// Rewriting the draft refreshes it.
		invItem(t, sc, cu.ID, 300, inv.ID)
		if got := getInvoice(t, sc, inv.ID); got.StartingBalance != -700 {
			t.Errorf("rewritten draft starting_balance %d, want -700", got.StartingBalance)
		}
		fin, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
		if err != nil || fin.StartingBalance != -700 || fin.EndingBalance != 0 || fin.AmountDue != 600 {
			t.Fatalf("finalized: %v starting %d ending %d due %d", err, fin.StartingBalance, fin.EndingBalance, fin.AmountDue)
		}
	})
}

func TestInvoiceVoidingTheOverdueInvoiceClearsDelinquent(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(1)})
		if err != nil {
			t.Fatal(err)
		}
		invItem(t, sc, cu.ID, 700, inv.ID)
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		f.Advance(2 * 24 * time.Hour)
		if c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); !c.Delinquent {
			t.Fatal("not delinquent after the due date")
		}
		if _, err := sc.V1Invoices.VoidInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		if c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); c.Delinquent {
			t.Error("still delinquent after voiding the overdue invoice")
		}
	})
}

func TestSubscriptionCancelProrateCreditReachesTheNextInvoice(t *testing.T) {
	const credit = -677 // −1000·21/31
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		f.Advance(10 * 24 * time.Hour)
		if _, err := sc.V1Subscriptions.Cancel(ctx, s.ID, &stripe.SubscriptionCancelParams{Prorate: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		// The credit stays pending, as Stripe's does...
		p := pendingItems(t, sc, cu.ID)
		if len(p) != 1 || p[0].Amount != credit || !p[0].Proration || p[0].Parent.SubscriptionDetails.Subscription != s.ID {
			t.Fatalf("pending after cancel: %+v", p)
		}
		// ...until the customer's next invoice takes it.
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), PendingInvoiceItemsBehavior: stripe.String("include")})
		if err != nil {
			t.Fatal(err)
		}
		invItem(t, sc, cu.ID, 1000, inv.ID)
		fin, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lineAmounts(fin), []int64{credit, 1000}) || fin.AmountDue != 1000+credit {
			t.Errorf("next invoice lines %v due %d", lineAmounts(fin), fin.AmountDue)
		}
		if left := pendingItems(t, sc, cu.ID); len(left) != 0 {
			t.Errorf("%d items still pending", len(left))
		}
	})
}
