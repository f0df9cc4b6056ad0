package resources_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Subscriptions bill through real invoices: these tests read the invoices.

// subInvoices lists the subscription's invoices, oldest first.
func subInvoices(t *testing.T, sc *stripe.Client, sub string) []*stripe.Invoice {
	t.Helper()
	var out []*stripe.Invoice
	for inv, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Subscription: stripe.String(sub)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inv)
	}
	slices.Reverse(out)
	return out
}

// latestInvoice is the subscription's latest_invoice, retrieved.
func latestInvoice(t *testing.T, sc *stripe.Client, sub string) *stripe.Invoice {
	t.Helper()
	s := getSub(t, sc, sub)
	if s.LatestInvoice == nil {
		t.Fatalf("subscription %s has no latest_invoice", sub)
	}
	return getInvoice(t, sc, s.LatestInvoice.ID)
}

// pendingItems lists the customer's pending invoice items, newest first.
func pendingItems(t *testing.T, sc *stripe.Client, customer string) []*stripe.InvoiceItem {
	t.Helper()
	var out []*stripe.InvoiceItem
	for ii, err := range sc.V1InvoiceItems.List(ctx, &stripe.InvoiceItemListParams{Customer: stripe.String(customer), Pending: stripe.Bool(true)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ii)
	}
	return out
}

// decliningSubscription is a monthly subscription of amount, paid at
// creation, whose default payment method then becomes a card that
// declines every charge.
func decliningSubscription(t *testing.T, sc *stripe.Client, amount int64) *stripe.Subscription {
	t.Helper()
	pr := monthlyPrice(t, sc, amount, "month")
	cu := payingCustomer(t, sc, "pm_card_visa", "")
	s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
	bad, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_chargeCustomerFail", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
	if err != nil {
		t.Fatal(err)
	}
	s, err = sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{DefaultPaymentMethod: stripe.String(bad.ID)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantSubStatus checks the subscription's status.
func wantSubStatus(t *testing.T, sc *stripe.Client, sub string, want stripe.SubscriptionStatus, when string) {
	t.Helper()
	if got := getSub(t, sc, sub).Status; got != want {
		t.Errorf("%s: status %s, want %s", when, got, want)
	}
}

// lineAmounts are the amounts of an invoice's lines, in order.
func lineAmounts(inv *stripe.Invoice) []int64 {
	var out []int64
	for _, l := range inv.Lines.Data {
		out = append(out, l.Amount)
	}
	return out
}

func TestSubscriptionCreateBillsTheFirstInvoice(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		n := len(f.Events())
		p := &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 2)}
		p.AddMetadata("plan", "pro")
		s := subscribe(t, sc, p)
		if s.LatestInvoice == nil {
			t.Fatal("no latest_invoice")
		}
		inv := getInvoice(t, sc, s.LatestInvoice.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Total != 3000 || inv.AmountDue != 3000 || inv.AmountPaid != 3000 || inv.AmountRemaining != 0 {
			t.Errorf("first invoice %s total %d due %d paid %d", inv.Status, inv.Total, inv.AmountDue, inv.AmountPaid)
		}
		if inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCreate || inv.Customer.ID != cu.ID || inv.AttemptCount != 1 || !inv.Attempted || inv.AutoAdvance {
			t.Errorf("first invoice reason %s attempts %d attempted %v auto_advance %v", inv.BillingReason, inv.AttemptCount, inv.Attempted, inv.AutoAdvance)
		}
		if inv.Parent == nil || inv.Parent.Type != "subscription_details" || inv.Parent.SubscriptionDetails.Subscription.ID != s.ID || inv.Parent.SubscriptionDetails.Metadata["plan"] != "pro" {
			t.Errorf("parent %+v", inv.Parent)
		}
		if inv.StatusTransitions.PaidAt != testfake.Start.Unix() || inv.Created != testfake.Start.Unix() {
			t.Errorf("paid at %d created %d", inv.StatusTransitions.PaidAt, inv.Created)
		}
		start, end := period(s)
		l := inv.Lines.Data[0]
		if len(inv.Lines.Data) != 1 || l.Amount != 3000 || l.Quantity != 2 || l.Period.Start != start.Unix() || l.Period.End != end.Unix() {
			t.Errorf("lines %+v", inv.Lines.Data)
		}
		if d := l.Parent.SubscriptionItemDetails; l.Parent.Type != "subscription_item_details" || d.SubscriptionItem != s.Items.Data[0].ID || d.Subscription != s.ID || d.Proration {
			t.Errorf("line parent %+v", l.Parent)
		}
		// Stripe's order, all inside the create request.
		want := []string{
			"customer.subscription.created", "invoice.created", "invoice.finalized", "payment_intent.created",
			"charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded",
			"invoice_payment.paid", "invoice.updated",
		}
		if got := eventTypes(f)[n:]; !slices.Equal(got, want) {
			t.Errorf("events\n got %v\nwant %v", got, want)
		}
		created := f.Events()[n]
		if sub := eventObject(t, created); sub["latest_invoice"] != inv.ID || sub["status"] != "active" {
			t.Errorf("created event: latest_invoice %v status %v", sub["latest_invoice"], sub["status"])
		}
		if got := subInvoices(t, sc, s.ID); len(got) != 1 {
			t.Errorf("%d invoices", len(got))
		}
	})
}

func TestSubscriptionTrialInvoicesZeroThenBillsAtTrialEnd(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 2000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), TrialPeriodDays: stripe.Int64(10)})
		first := getInvoice(t, sc, s.LatestInvoice.ID)
		if first.Status != stripe.InvoiceStatusPaid || first.Total != 0 || first.AmountPaid != 0 || first.BillingReason != stripe.InvoiceBillingReasonSubscriptionCreate || len(first.Lines.Data) != 1 || first.Lines.Data[0].Amount != 0 {
			t.Errorf("trial invoice %s total %d reason %s lines %d", first.Status, first.Total, first.BillingReason, len(first.Lines.Data))
		}
		if got := subEvents(t, f, first.ID); !slices.Equal(got, []string{"invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"}) {
			t.Errorf("trial invoice events %v", got)
		}
		trialEnd := time.Unix(s.TrialEnd, 0).UTC()
		f.AdvanceTo(trialEnd)
		inv := latestInvoice(t, sc, s.ID)
		if inv.ID == first.ID || inv.Status != stripe.InvoiceStatusDraft || inv.AmountDue != 2000 || inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCycle {
			t.Fatalf("at trial end: %s %s due %d reason %s", inv.ID, inv.Status, inv.AmountDue, inv.BillingReason)
		}
		f.Advance(time.Hour)
		if inv = getInvoice(t, sc, inv.ID); inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != 2000 {
			t.Errorf("an hour after trial end: %s paid %d", inv.Status, inv.AmountPaid)
		}
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusActive {
			t.Errorf("status %s", got)
		}
	})
}

func TestSubscriptionRenewalInvoiceIsDraftForAnHour(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		first := s.LatestInvoice.ID
		renewal := testfake.Start.AddDate(0, 1, 0)
		f.AdvanceTo(renewal)
		s = getSub(t, sc, s.ID)
		inv := getInvoice(t, sc, s.LatestInvoice.ID)
		if inv.ID == first || inv.Status != stripe.InvoiceStatusDraft || !inv.AutoAdvance || inv.AutomaticallyFinalizesAt != renewal.Add(time.Hour).Unix() {
			t.Fatalf("renewal invoice %s %s auto_advance %v finalizes %d", inv.ID, inv.Status, inv.AutoAdvance, inv.AutomaticallyFinalizesAt)
		}
		if inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionCycle || inv.AmountDue != 1500 || inv.Created != renewal.Unix() ||
			inv.PeriodStart != testfake.Start.Unix() || inv.PeriodEnd != renewal.Unix() || inv.Parent.SubscriptionDetails.Subscription.ID != s.ID {
			t.Errorf("renewal invoice reason %s due %d created %d period %d–%d", inv.BillingReason, inv.AmountDue, inv.Created, inv.PeriodStart, inv.PeriodEnd)
		}
		if l := inv.Lines.Data[0]; l.Period.Start != renewal.Unix() || l.Period.End != renewal.AddDate(0, 1, 0).Unix() {
			t.Errorf("renewal line period %+v", l.Period)
		}
		// The period change names the new invoice.
		var upd fake.Event
		for _, ev := range f.Events() {
			if ev.Type == "customer.subscription.updated" {
				upd = ev
			}
		}
		if upd.PreviousAttributes["latest_invoice"] != first || eventObject(t, upd)["latest_invoice"] != inv.ID {
			t.Errorf("renewal update previous_attributes %v", upd.PreviousAttributes)
		}
		// Adding to the draft during its hour is how charges join a renewal.
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID), Amount: stripe.Int64(200), Currency: stripe.String("usd")}); err != nil {
			t.Fatal(err)
		}
		f.AdvanceTo(renewal.Add(59 * time.Minute))
		if got := getInvoice(t, sc, inv.ID); got.Status != stripe.InvoiceStatusDraft || got.Attempted {
			t.Fatalf("59 minutes in: %s attempted %v", got.Status, got.Attempted)
		}
		f.AdvanceTo(renewal.Add(61 * time.Minute))
		inv = getInvoice(t, sc, inv.ID)
		at := renewal.Add(time.Hour).Unix()
		if inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != 1700 || inv.StatusTransitions.FinalizedAt != at || inv.StatusTransitions.PaidAt != at || inv.Number == "" {
			t.Errorf("61 minutes in: %s paid %d finalized %d paid_at %d number %q", inv.Status, inv.AmountPaid, inv.StatusTransitions.FinalizedAt, inv.StatusTransitions.PaidAt, inv.Number)
		}
		want := []string{"invoice.created", "invoice.updated", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded", "invoice.updated"}
		if got := subEvents(t, f, inv.ID); !slices.Equal(got, want) {
			t.Errorf("renewal invoice events\n got %v\nwant %v", got, want)
		}
		if got := subInvoices(t, sc, s.ID); len(got) != 2 || got[0].ID != first {
			t.Errorf("invoices %d", len(got))
		}
	})
}

func TestSubscriptionProrationsBecomeInvoiceItems(t *testing.T) {
	// Jan 15 – Feb 15 is 31 days; the upgrade comes with 21 left.
	const credit, debit = -677, 2032 // −1000·21/31, +3000·21/31
	for _, behavior := range []string{"create_prorations", "always_invoice", "none"} {
		t.Run(behavior, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				basic := monthlyPrice(t, sc, 1000, "month")
				pro := monthlyPrice(t, sc, 3000, "month")
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(basic.ID, 1)})
				first := s.LatestInvoice.ID
				item := s.Items.Data[0].ID
				f.Advance(10 * 24 * time.Hour)
				u, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
					Items:             []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(item), Price: stripe.String(pro.ID)}},
					ProrationBehavior: stripe.String(behavior),
				})
				if err != nil {
					t.Fatal(err)
				}
				pending := pendingItems(t, sc, cu.ID)
				renewal := testfake.Start.AddDate(0, 1, 0)
				switch behavior {
				case "create_prorations":
					if len(pending) != 2 || u.LatestInvoice.ID != first {
						t.Fatalf("%d pending items, latest invoice %s", len(pending), u.LatestInvoice.ID)
					}
					for i, want := range []int64{debit, credit} { // newest first
						ii := pending[i]
						if ii.Amount != want || !ii.Proration || ii.Discountable || ii.Invoice != nil || ii.Parent.SubscriptionDetails.Subscription != s.ID ||
							ii.Parent.SubscriptionDetails.SubscriptionItem != item || ii.Period.Start != f.Now().Unix() || ii.Period.End != renewal.Unix() {
							t.Errorf("pending item %d: %+v parent %+v", i, ii, ii.Parent)
						}
					}
				case "always_invoice":
					inv := getInvoice(t, sc, u.LatestInvoice.ID)
					if len(pending) != 0 || inv.ID == first || inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != credit+debit ||
						inv.BillingReason != stripe.InvoiceBillingReasonSubscriptionUpdate || !slices.Equal(lineAmounts(inv), []int64{debit, credit}) {
						t.Fatalf("always_invoice: %d pending, invoice %s paid %d reason %s lines %v", len(pending), inv.Status, inv.AmountPaid, inv.BillingReason, lineAmounts(inv))
					}
					if d := inv.Lines.Data[0].Parent.SubscriptionItemDetails; d == nil || !d.Proration || d.SubscriptionItem != item || d.InvoiceItem == "" {
						t.Errorf("proration line parent %+v", inv.Lines.Data[0].Parent)
					}
				case "none":
					if len(pending) != 0 || u.LatestInvoice.ID != first {
						t.Fatalf("none: %d pending, latest invoice %s", len(pending), u.LatestInvoice.ID)
					}
				}
				// The renewal bills the new price, and the pending prorations.
				f.AdvanceTo(renewal.Add(time.Hour))
				inv := latestInvoice(t, sc, s.ID)
				want := []int64{3000}
				if behavior == "create_prorations" {
					want = []int64{debit, credit, 3000}
				}
				var sum int64
				for _, a := range want {
					sum += a
				}
				if inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != sum || !slices.Equal(lineAmounts(inv), want) {
					t.Errorf("renewal %s paid %d lines %v, want %v", inv.Status, inv.AmountPaid, lineAmounts(inv), want)
				}
				if behavior == "create_prorations" {
					for _, l := range inv.Lines.Data[:2] {
						if d := l.Parent.SubscriptionItemDetails; d == nil || !d.Proration || d.InvoiceItem == "" {
							t.Errorf("proration line parent %+v", l.Parent)
						}
					}
				}
				if left := pendingItems(t, sc, cu.ID); len(left) != 0 {
					t.Errorf("%d items still pending", len(left))
				}
			})
		})
	}
}

func TestSubscriptionDecliningRenewalThroughTheRetrySchedule(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		s := decliningSubscription(t, sc, 1500)
		renewal := testfake.Start.AddDate(0, 1, 0)
		attempt := renewal.Add(time.Hour)
		f.AdvanceTo(attempt)
		inv := latestInvoice(t, sc, s.ID)
		// The first attempt and seven retries two days apart.
		for k := int64(1); k <= 8; k++ {
			inv = getInvoice(t, sc, inv.ID)
			next := attempt.Add(48 * time.Hour).Unix()
			if k == 8 {
				next = 0
			}
			if inv.Status != stripe.InvoiceStatusOpen || inv.AttemptCount != k || inv.NextPaymentAttempt != next {
				t.Fatalf("attempt %d: %s attempt_count %d next %d, want %d", k, inv.Status, inv.AttemptCount, inv.NextPaymentAttempt, next)
			}
			if got := count(subEvents(t, f, inv.ID), "invoice.payment_failed"); got != int(k) {
				t.Fatalf("attempt %d: %d invoice.payment_failed", k, got)
			}
			if k < 8 {
				if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusPastDue {
					t.Fatalf("attempt %d: subscription %s", k, got)
				}
				attempt = attempt.Add(48 * time.Hour)
				f.AdvanceTo(attempt)
			}
		}
		// The final action (default: cancel) stops collection; the invoice
		// stays open (past due).
		got := getSub(t, sc, s.ID)
		if got.Status != stripe.SubscriptionStatusCanceled || got.CancellationDetails.Reason != "payment_failed" || inv.AutoAdvance {
			t.Errorf("after the last retry: %s %s, invoice auto_advance %v", got.Status, got.CancellationDetails.Reason, inv.AutoAdvance)
		}
		f.Advance(30 * 24 * time.Hour)
		if n := len(subInvoices(t, sc, s.ID)); n != 2 {
			t.Errorf("%d invoices after cancel", n)
		}
	})
}

func TestSubscriptionRetryScheduleAndFinalActionOptions(t *testing.T) {
	opts := fake.WithSubscriptions(func(c *resources.SubscriptionsConfig) {
		c.RetrySchedule = []time.Duration{24 * time.Hour, 72 * time.Hour}
		c.FinalAction = "unpaid"
		c.MarkUncollectibleAfterRetries = true
	})
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		s := decliningSubscription(t, sc, 1500)
		attempt := testfake.Start.AddDate(0, 1, 0).Add(time.Hour)
		f.AdvanceTo(attempt)
		inv := latestInvoice(t, sc, s.ID)
		if inv.NextPaymentAttempt != attempt.Add(24*time.Hour).Unix() {
			t.Errorf("first retry at %d", inv.NextPaymentAttempt)
		}
		f.AdvanceTo(attempt.Add(24*time.Hour + 72*time.Hour - time.Second))
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusPastDue {
			t.Fatalf("before the last retry: %s", got)
		}
		f.Advance(time.Second)
		inv = getInvoice(t, sc, inv.ID)
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusUnpaid || inv.Status != stripe.InvoiceStatusUncollectible || inv.AttemptCount != 3 {
			t.Fatalf("after the last retry: subscription %s invoice %s attempts %d", got, inv.Status, inv.AttemptCount)
		}
		ev := subEvents(t, f, inv.ID)
		if count(ev, "invoice.payment_failed") != 3 || count(ev, "invoice.marked_uncollectible") != 1 {
			t.Errorf("invoice events %v", ev)
		}
		// Paying the latest invoice makes it active again.
		if _, err := sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil {
			t.Fatal(err)
		}
		wantSubStatus(t, sc, s.ID, stripe.SubscriptionStatusActive, "after paying")
	}, fake.WithStartTime(testfake.Start), opts)
}

func TestSubscriptionIncompleteVoidsItsInvoice(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "pm_card_chargeCustomerFail", "")
		n := len(f.Events())
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		inv := getInvoice(t, sc, s.LatestInvoice.ID)
		if s.Status != stripe.SubscriptionStatusIncomplete || inv.Status != stripe.InvoiceStatusOpen || inv.AttemptCount != 1 || inv.NextPaymentAttempt != 0 || inv.AmountDue != 1500 {
			t.Fatalf("incomplete: %s, invoice %s attempts %d next %d", s.Status, inv.Status, inv.AttemptCount, inv.NextPaymentAttempt)
		}
		if ev := eventTypes(f)[n:]; ev[0] != "customer.subscription.created" || count(ev, "invoice.payment_failed") != 1 || count(ev, "customer.subscription.updated") != 0 {
			t.Errorf("create events %v", ev)
		}
		f.Advance(23*time.Hour - time.Second)
		if got := getInvoice(t, sc, inv.ID); got.Status != stripe.InvoiceStatusOpen {
			t.Fatalf("before expiry: %s", got.Status)
		}
		f.Advance(time.Second)
		inv = getInvoice(t, sc, inv.ID)
		if inv.Status != stripe.InvoiceStatusVoid || inv.StatusTransitions.VoidedAt != testfake.Start.Add(23*time.Hour).Unix() {
			t.Errorf("after expiry: %s voided %d", inv.Status, inv.StatusTransitions.VoidedAt)
		}
		if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusIncompleteExpired {
			t.Errorf("subscription %s", got)
		}
		if ev := subEvents(t, f, s.ID); ev[len(ev)-1] != "customer.subscription.updated" {
			t.Errorf("subscription events %v", ev)
		}

		// Paying the first invoice within 23 hours activates it instead.
		s2 := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		f.Advance(time.Hour)
		if _, err := sc.V1Invoices.Pay(ctx, s2.LatestInvoice.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil {
			t.Fatal(err)
		}
		wantSubStatus(t, sc, s2.ID, stripe.SubscriptionStatusActive, "paid first invoice")
		f.Advance(24 * time.Hour)
		wantSubStatus(t, sc, s2.ID, stripe.SubscriptionStatusActive, "a day later")
	})
}

func TestSubscriptionCancelAtPeriodEndBillsPendingItemsOnly(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		plain := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), CancelAtPeriodEnd: stripe.Bool(true)})
		seats := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1), CancelAtPeriodEnd: stripe.Bool(true)})
		f.Advance(10 * 24 * time.Hour)
		// A second seat for the rest of the period: a pending proration.
		if _, err := sc.V1Subscriptions.Update(ctx, seats.ID, &stripe.SubscriptionUpdateParams{
			Items: []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(seats.Items.Data[0].ID), Quantity: stripe.Int64(2)}},
		}); err != nil {
			t.Fatal(err)
		}
		end := testfake.Start.AddDate(0, 1, 0)
		f.AdvanceTo(end.Add(2 * time.Hour))
		if got := getSub(t, sc, plain.ID); got.Status != stripe.SubscriptionStatusCanceled || len(subInvoices(t, sc, plain.ID)) != 1 {
			t.Errorf("plain: %s with %d invoices", got.Status, len(subInvoices(t, sc, plain.ID)))
		}
		invs := subInvoices(t, sc, seats.ID)
		if got := getSub(t, sc, seats.ID); got.Status != stripe.SubscriptionStatusCanceled || len(invs) != 2 {
			t.Fatalf("seats: %s with %d invoices", got.Status, len(invs))
		}
		final := invs[1]
		// Two seats for 21 of 31 days, less one seat's unused time.
		if final.Status != stripe.InvoiceStatusPaid || final.AmountPaid != 1355-677 || final.Created != end.Unix() || !slices.Equal(lineAmounts(final), []int64{1355, -677}) {
			t.Errorf("final invoice %s paid %d created %d lines %v", final.Status, final.AmountPaid, final.Created, lineAmounts(final))
		}
		ev := subEvents(t, f, seats.ID)
		if ev[len(ev)-1] != "customer.subscription.deleted" {
			t.Errorf("events %v", ev)
		}
	})
}

func TestSubscriptionInvoicesOnATestClock(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		pr := monthlyPrice(t, sc, 1000, "month")
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		n := len(f.Events())
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
		inv := getInvoice(t, sc, s.LatestInvoice.ID)
		if inv.Created != frozen.Unix() || inv.StatusTransitions.PaidAt != frozen.Unix() || inv.TestClock == nil || inv.TestClock.ID != tc.ID {
			t.Errorf("first invoice created %d paid %d clock %v", inv.Created, inv.StatusTransitions.PaidAt, inv.TestClock)
		}
		for _, ev := range f.Events()[n:] {
			if !ev.Created.Equal(frozen) {
				t.Errorf("%s at %v, want the clock's %v", ev.Type, ev.Created, frozen)
			}
		}
		renewal := frozen.AddDate(0, 1, 0)
		if _, err := advanceClock(sc, tc.ID, renewal.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		inv = latestInvoice(t, sc, s.ID)
		if inv.Status != stripe.InvoiceStatusPaid || inv.Created != renewal.Unix() || inv.StatusTransitions.PaidAt != renewal.Add(time.Hour).Unix() {
			t.Errorf("renewal on the clock: %s created %d paid %d", inv.Status, inv.Created, inv.StatusTransitions.PaidAt)
		}
	})
}

func TestSubscriptionSendInvoiceGoesPastDueAfterTheDueDate(t *testing.T) {
	eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		pr := monthlyPrice(t, sc, 1500, "month")
		cu := payingCustomer(t, sc, "", "")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1),
			CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(7),
		})
		inv := getInvoice(t, sc, s.LatestInvoice.ID)
		due := testfake.Start.AddDate(0, 0, 7).Unix()
		if s.Status != stripe.SubscriptionStatusActive || inv.Status != stripe.InvoiceStatusDraft || inv.CollectionMethod != "send_invoice" || inv.DueDate != due {
			t.Fatalf("created %s, invoice %s %s due %d", s.Status, inv.Status, inv.CollectionMethod, inv.DueDate)
		}
		// Finalized and sent an hour later, not charged.
		f.Advance(time.Hour)
		inv = getInvoice(t, sc, inv.ID)
		if inv.Status != stripe.InvoiceStatusOpen || count(subEvents(t, f, inv.ID), "invoice.sent") != 1 || inv.AmountPaid != 0 {
			t.Errorf("an hour later: %s events %v", inv.Status, subEvents(t, f, inv.ID))
		}
		f.AdvanceTo(time.Unix(due, 0).Add(-time.Second))
		wantSubStatus(t, sc, s.ID, stripe.SubscriptionStatusActive, "before the due date")
		f.AdvanceTo(time.Unix(due, 0))
		wantSubStatus(t, sc, s.ID, stripe.SubscriptionStatusPastDue, "after the due date")
		if _, err := sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		wantSubStatus(t, sc, s.ID, stripe.SubscriptionStatusActive, "paid out of band")
	})
}

func TestSubscriptionPauseCollection(t *testing.T) {
	for _, tc := range []struct {
		behavior string
		want     stripe.InvoiceStatus
	}{{"keep_as_draft", stripe.InvoiceStatusDraft}, {"void", stripe.InvoiceStatusVoid}, {"mark_uncollectible", stripe.InvoiceStatusUncollectible}} {
		t.Run(tc.behavior, func(t *testing.T) {
			eachAt(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
				pr := monthlyPrice(t, sc, 1500, "month")
				cu := payingCustomer(t, sc, "pm_card_visa", "")
				s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: itemsOf(pr.ID, 1)})
				if _, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
					PauseCollection: &stripe.SubscriptionUpdatePauseCollectionParams{Behavior: stripe.String(tc.behavior)},
				}); err != nil {
					t.Fatal(err)
				}
				f.AdvanceTo(testfake.Start.AddDate(0, 1, 0).Add(2 * time.Hour))
				inv := latestInvoice(t, sc, s.ID)
				if inv.Status != tc.want || inv.AutoAdvance || inv.AmountPaid != 0 || inv.Attempted {
					t.Errorf("renewal invoice %s auto_advance %v paid %d attempted %v", inv.Status, inv.AutoAdvance, inv.AmountPaid, inv.Attempted)
				}
				if got := getSub(t, sc, s.ID).Status; got != stripe.SubscriptionStatusActive {
					t.Errorf("status %s", got)
				}
			})
		})
	}
}
