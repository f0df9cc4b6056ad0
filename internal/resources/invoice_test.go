package resources_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// invCustomer creates a customer whose default payment method is the test
// card pm ("" for none), with an optional starting balance.
func invCustomer(t *testing.T, sc *stripe.Client, pm string, balance int64) *stripe.Customer {
	t.Helper()
	p := &stripe.CustomerCreateParams{Email: stripe.String("inv@example.com"), Name: stripe.String("Ada")}
	if pm != "" {
		p.PaymentMethod = stripe.String(pm)
		p.InvoiceSettings = &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm)}
	}
	if balance != 0 {
		p.Balance = stripe.Int64(balance)
	}
	cu, err := sc.V1Customers.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func invItem(t *testing.T, sc *stripe.Client, customer string, amount int64, invoice string) *stripe.InvoiceItem {
	t.Helper()
	p := &stripe.InvoiceItemCreateParams{Customer: stripe.String(customer), Amount: stripe.Int64(amount), Currency: stripe.String("usd"), Description: stripe.String("Widget")}
	if invoice != "" {
		p.Invoice = stripe.String(invoice)
	}
	ii, err := sc.V1InvoiceItems.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return ii
}

// invDraft creates a draft for customer holding one item of amount.
func invDraft(t *testing.T, sc *stripe.Client, customer string, amount int64, autoAdvance bool) *stripe.Invoice {
	t.Helper()
	inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(customer), AutoAdvance: stripe.Bool(autoAdvance)})
	if err != nil {
		t.Fatal(err)
	}
	invItem(t, sc, customer, amount, inv.ID)
	return getInvoice(t, sc, inv.ID)
}

func getInvoice(t *testing.T, sc *stripe.Client, id string) *stripe.Invoice {
	t.Helper()
	inv, err := sc.V1Invoices.Retrieve(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func eventsSince(f *fake.Fake, n int) []string { return eventTypes(f)[n:] }

func TestInvoiceItemLifecycle(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		ii := invItem(t, sc, cu.ID, 1500, "")
		if ii.Invoice != nil || ii.Amount != 1500 || ii.Quantity != 1 || !ii.Discountable || ii.Period.Start != f.Now().Unix() || ii.Period.End != ii.Period.Start {
			t.Errorf("created %+v", ii)
		}
		up, err := sc.V1InvoiceItems.Update(ctx, ii.ID, &stripe.InvoiceItemUpdateParams{Description: stripe.String("Gadget"), Amount: stripe.Int64(2000)})
		if err != nil || up.Amount != 2000 || up.Description != "Gadget" {
			t.Fatalf("update: %v %+v", err, up)
		}
		// A priced item: quantity × unit amount.
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(250), ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("Bolt")}})
		if err != nil {
			t.Fatal(err)
		}
		priced, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Pricing: &stripe.InvoiceItemCreatePricingParams{Price: stripe.String(pr.ID)}, Quantity: stripe.Int64(3)})
		if err != nil || priced.Amount != 750 || priced.Currency != "usd" || priced.Pricing.PriceDetails.Price.ID != pr.ID {
			t.Fatalf("priced: %v %+v", err, priced)
		}
		pending := ids(t, sc.V1InvoiceItems.List(ctx, &stripe.InvoiceItemListParams{Customer: stripe.String(cu.ID), Pending: stripe.Bool(true)}).All(ctx))
		if !slices.Equal(pending, []string{priced.ID, ii.ID}) {
			t.Errorf("pending %v", pending)
		}
		// A draft pulls pending items only with include.
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), PendingInvoiceItemsBehavior: stripe.String("include")})
		if err != nil || inv.Total != 2750 || len(inv.Lines.Data) != 2 || inv.Lines.Data[0].Parent.InvoiceItemDetails.InvoiceItem != priced.ID {
			t.Fatalf("include: %v %+v", err, inv)
		}
		del, err := sc.V1InvoiceItems.Delete(ctx, ii.ID, nil)
		if err != nil || !del.Deleted {
			t.Fatalf("delete: %v", err)
		}
		if got := getInvoice(t, sc, inv.ID); got.Total != 750 || len(got.Lines.Data) != 1 {
			t.Errorf("after delete: total %d lines %d", got.Total, len(got.Lines.Data))
		}
		_, err = sc.V1InvoiceItems.Retrieve(ctx, ii.ID, nil)
		stripeErr(t, err, 404, "resource_missing", "id", "No such invoiceitem: '"+ii.ID+"'")
		// Once finalized, the item can no longer change.
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		n := len(f.Events())
		_, err = sc.V1InvoiceItems.Update(ctx, priced.ID, &stripe.InvoiceItemUpdateParams{Quantity: stripe.Int64(5)})
		stripeErr(t, err, 400, "", "", "")
		_, err = sc.V1InvoiceItems.Delete(ctx, priced.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		if len(f.Events()) != n {
			t.Errorf("refused item changes emitted %v", eventsSince(f, n))
		}
		if !slices.Contains(eventTypes(f), "invoiceitem.created") || !slices.Contains(eventTypes(f), "invoiceitem.deleted") {
			t.Errorf("events %v", eventTypes(f))
		}
	})
}

func TestInvoiceCreateDefaults(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != "draft" || inv.AutoAdvance || inv.AutomaticallyFinalizesAt != 0 || inv.CollectionMethod != "charge_automatically" ||
			inv.BillingReason != "manual" || inv.Currency != "usd" || inv.Number != "" || inv.Total != 0 || inv.HostedInvoiceURL != "" {
			t.Errorf("defaults %+v", inv)
		}
		if inv.CustomerEmail != "inv@example.com" || inv.CustomerName != "Ada" {
			t.Errorf("customer fields %q %q", inv.CustomerEmail, inv.CustomerName)
		}
		_, err = sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), DaysUntilDue: stripe.Int64(3)})
		stripeErr(t, err, 400, "", "days_until_due", "")
		_, err = sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String("cus_missing")})
		stripeErr(t, err, 400, "resource_missing", "customer", "No such customer: 'cus_missing'")
		si, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(7)})
		if err != nil || si.DueDate != si.Created+7*86400 {
			t.Fatalf("send_invoice: %v due %d", err, si.DueDate)
		}
		del, err := sc.V1Invoices.Delete(ctx, si.ID, nil)
		if err != nil || !del.Deleted {
			t.Fatal(err)
		}
		_, err = sc.V1Invoices.Retrieve(ctx, si.ID, nil)
		stripeErr(t, err, 404, "resource_missing", "id", "No such invoice: '"+si.ID+"'")
		if types := eventTypes(f); types[len(types)-1] != "invoice.deleted" {
			t.Errorf("events %v", types)
		}
	})
}

func TestInvoiceAutoAdvanceOneHour(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		inv := invDraft(t, sc, cu.ID, 2000, true)
		if inv.AutomaticallyFinalizesAt != inv.Created+3600 {
			t.Fatalf("automatically_finalizes_at %d, created %d", inv.AutomaticallyFinalizesAt, inv.Created)
		}
		n := len(f.Events())
		f.Advance(59 * time.Minute)
		if got := getInvoice(t, sc, inv.ID); got.Status != "draft" || got.Attempted {
			t.Fatalf("after 59m: %s", got.Status)
		}
		f.Advance(2 * time.Minute)
		got, err := sc.V1Invoices.Retrieve(ctx, inv.ID, &stripe.InvoiceRetrieveParams{Expand: []*string{stripe.String("payments")}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "paid" || got.AmountPaid != 2000 || got.AmountRemaining != 0 || got.AttemptCount != 1 || !got.Attempted || got.AutoAdvance {
			t.Errorf("after 61m: status %s paid %d remaining %d attempts %d", got.Status, got.AmountPaid, got.AmountRemaining, got.AttemptCount)
		}
		at := inv.Created + 3600
		if got.StatusTransitions.FinalizedAt != at || got.StatusTransitions.PaidAt != at || got.AutomaticallyFinalizesAt != 0 {
			t.Errorf("transitions %+v", got.StatusTransitions)
		}
		if !strings.HasPrefix(got.Number, cu.InvoicePrefix+"-0001") || got.HostedInvoiceURL == "" {
			t.Errorf("number %q url %q", got.Number, got.HostedInvoiceURL)
		}
		want := []string{"invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
			"invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid", "invoice.updated"}
		if evs := eventsSince(f, n); !slices.Equal(evs, want) {
			t.Errorf("events\n got %v\nwant %v", evs, want)
		}
		if got.Payments == nil || len(got.Payments.Data) != 1 || got.Payments.Data[0].Status != "paid" || got.Payments.Data[0].AmountPaid != 2000 {
			t.Fatalf("payments %+v", got.Payments)
		}
		piID := got.Payments.Data[0].Payment.PaymentIntent.ID
		pi, err := sc.V1PaymentIntents.Retrieve(ctx, piID, &stripe.PaymentIntentRetrieveParams{Expand: []*string{stripe.String("latest_charge")}})
		if err != nil || pi.Status != "succeeded" || pi.AmountReceived != 2000 || pi.LatestCharge.Status != "succeeded" || !pi.LatestCharge.Paid {
			t.Fatalf("payment intent: %v %+v", err, pi)
		}
		if c, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil || c.NextInvoiceSequence != 2 {
			t.Errorf("next_invoice_sequence %d", c.NextInvoiceSequence)
		}
	})
}

func TestInvoiceCreditBalance(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for _, tc := range []struct {
			balance, total, due, ending int64
			status                      stripe.InvoiceStatus
		}{
			{-300, 1000, 700, 0, "open"},
			{-1500, 1000, 0, -500, "paid"},
			{200, 1000, 1200, 0, "open"},
		} {
			cu := invCustomer(t, sc, "", tc.balance)
			inv := invDraft(t, sc, cu.ID, tc.total, false)
			n := len(f.Events())
			fin, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fin.AmountDue != tc.due || fin.StartingBalance != tc.balance || fin.EndingBalance != tc.ending || fin.Status != tc.status {
				t.Errorf("balance %d total %d: due %d starting %d ending %d status %s", tc.balance, tc.total, fin.AmountDue, fin.StartingBalance, fin.EndingBalance, fin.Status)
			}
			c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
			if c.Balance != tc.ending {
				t.Errorf("customer balance %d, want %d", c.Balance, tc.ending)
			}
			var txns []*stripe.CustomerBalanceTransaction
			for tx, err := range sc.V1CustomerBalanceTransactions.List(ctx, &stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				txns = append(txns, tx)
			}
			if len(txns) != 2 || txns[0].Type != "applied_to_invoice" || txns[0].Amount != tc.ending-tc.balance || txns[0].Invoice.ID != inv.ID || txns[0].EndingBalance != tc.ending {
				t.Errorf("transactions %+v", txns[0])
			}
			evs := eventsSince(f, n)
			if evs[0] != "invoice.finalized" || evs[1] != "customer.updated" {
				t.Errorf("events %v", evs)
			}
			// Voiding gives the balance back.
			if fin.Status == "open" {
				v, err := sc.V1Invoices.VoidInvoice(ctx, inv.ID, nil)
				if err != nil || v.Status != "void" || v.StatusTransitions.VoidedAt == 0 {
					t.Fatalf("void: %v %+v", err, v)
				}
				c, _ = sc.V1Customers.Retrieve(ctx, cu.ID, nil)
				if c.Balance != tc.balance {
					t.Errorf("after void balance %d, want %d", c.Balance, tc.balance)
				}
				last, err := sc.V1CustomerBalanceTransactions.List(ctx, &stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}).All(ctx), error(nil)
				for tx, e := range last {
					if e != nil || tx.Type != "unapplied_from_invoice" || tx.Amount != tc.balance-tc.ending {
						t.Errorf("unapplied %v %+v", e, tx)
					}
					break
				}
				_ = err
			}
		}
	})
}

func TestInvoiceMinimumChargeCarriedOver(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		small := invDraft(t, sc, cu.ID, 30, false)
		fin, err := sc.V1Invoices.FinalizeInvoice(ctx, small.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fin.Status != "paid" || fin.AmountDue != 0 || fin.AmountPaid != 0 || fin.Total != 30 || fin.EndingBalance != 30 {
			t.Errorf("small invoice: status %s due %d paid %d ending %d", fin.Status, fin.AmountDue, fin.AmountPaid, fin.EndingBalance)
		}
		c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if c.Balance != 30 {
			t.Errorf("balance %d", c.Balance)
		}
		for tx, err := range sc.V1CustomerBalanceTransactions.List(ctx, &stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
			if err != nil || tx.Type != "invoice_too_small" || tx.Amount != 30 {
				t.Errorf("txn %v %+v", err, tx)
			}
			break
		}
		next := invDraft(t, sc, cu.ID, 1000, true)
		f.Advance(61 * time.Minute)
		got := getInvoice(t, sc, next.ID)
		if got.Status != "paid" || got.AmountDue != 1030 || got.AmountPaid != 1030 || got.StartingBalance != 30 || got.EndingBalance != 0 {
			t.Errorf("next invoice: status %s due %d paid %d", got.Status, got.AmountDue, got.AmountPaid)
		}
	})
}

func TestInvoiceDeclineAndRetries(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_chargeCustomerFail", 0)
		inv := invDraft(t, sc, cu.ID, 5000, true)
		n := len(f.Events())
		f.Advance(61 * time.Minute)
		got := getInvoice(t, sc, inv.ID)
		first := inv.Created + 3600
		if got.Status != "open" || !got.Attempted || got.AttemptCount != 1 || got.NextPaymentAttempt != first+2*86400 || got.AmountPaid != 0 {
			t.Fatalf("declined: status %s attempted %v count %d next %d", got.Status, got.Attempted, got.AttemptCount, got.NextPaymentAttempt)
		}
		want := []string{"invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed", "invoice.payment_failed", "invoice.updated", "customer.updated"}
		if evs := eventsSince(f, n); !slices.Equal(evs, want) {
			t.Errorf("events\n got %v\nwant %v", evs, want)
		}
		if c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); !c.Delinquent {
			t.Error("customer not delinquent")
		}
		var pi *stripe.PaymentIntent
		for p, err := range sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			pi = p
		}
		if pi == nil || pi.Status != "requires_payment_method" || pi.LastPaymentError == nil || pi.LastPaymentError.Code != "card_declined" || pi.LastPaymentError.DeclineCode != "generic_decline" {
			t.Fatalf("payment intent %+v", pi)
		}
		ch, err := sc.V1Charges.Retrieve(ctx, pi.LatestCharge.ID, nil)
		if err != nil || ch.Status != "failed" || ch.FailureCode != "card_declined" {
			t.Fatalf("charge: %v %+v", err, ch)
		}

		// A manual pay answers 402 and leaves the count and schedule alone.
		_, err = sc.V1Invoices.Pay(ctx, inv.ID, nil)
		se := stripeErr(t, err, 402, "card_declined", "", "Your card was declined.")
		if se.Type != "card_error" || se.DeclineCode != "generic_decline" || se.PaymentIntent == nil || se.PaymentIntent.ID != pi.ID {
			t.Errorf("card error %+v", se)
		}
		got = getInvoice(t, sc, inv.ID)
		if got.AttemptCount != 1 || got.NextPaymentAttempt != first+2*86400 {
			t.Errorf("after manual pay: count %d next %d", got.AttemptCount, got.NextPaymentAttempt)
		}
		// A retry with the same idempotency key replays the decline, not
		// the invoice the request committed before it was declined.
		// The replay writes nothing: no second charge, no events.
		events := 0
		for i := range 2 {
			_, err = sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{Params: stripe.Params{IdempotencyKey: stripe.String("pay-once")}})
			stripeErr(t, err, 402, "card_declined", "", "Your card was declined.")
			if i == 1 && len(f.Events()) != events {
				t.Errorf("the replayed pay wrote %d events", len(f.Events())-events)
			}
			events = len(f.Events())
		}

		// The retry schedule: 7 retries two days apart, then none.
		f.Advance(2 * 24 * time.Hour)
		if got = getInvoice(t, sc, inv.ID); got.AttemptCount != 2 || got.NextPaymentAttempt != first+4*86400 {
			t.Errorf("after first retry: count %d next %d", got.AttemptCount, got.NextPaymentAttempt)
		}
		f.Advance(30 * 24 * time.Hour)
		if got = getInvoice(t, sc, inv.ID); got.AttemptCount != 8 || got.NextPaymentAttempt != 0 || got.Status != "open" {
			t.Errorf("after all retries: count %d next %d status %s", got.AttemptCount, got.NextPaymentAttempt, got.Status)
		}

		// A working card: pay with it.
		pm, err := sc.V1PaymentMethods.Attach(ctx, "pm_card_visa", &stripe.PaymentMethodAttachParams{Customer: stripe.String(cu.ID)})
		if err != nil {
			t.Fatal(err)
		}
		paid, err := sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String(pm.ID)})
		if err != nil || paid.Status != "paid" || paid.AmountPaid != 5000 || paid.AttemptCount != 8 {
			t.Fatalf("pay: %v %+v", err, paid)
		}
		if c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); c.Delinquent {
			t.Error("customer still delinquent")
		}
	})
}

func TestInvoiceRefusedTransitions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		draft := invDraft(t, sc, cu.ID, 1000, false)
		open := invDraft(t, sc, cu.ID, 1000, false)
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, open.ID, nil); err != nil {
			t.Fatal(err)
		}
		paid := invDraft(t, sc, cu.ID, 1000, false)
		if _, err := sc.V1Invoices.Pay(ctx, paid.ID, nil); err != nil {
			t.Fatal(err)
		}
		void := invDraft(t, sc, cu.ID, 1000, false)
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, void.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Invoices.VoidInvoice(ctx, void.ID, nil); err != nil {
			t.Fatal(err)
		}
		const voidMsg = "You can only pass in open invoices. This invoice isn't open."
		const finMsg = "This invoice is already finalized, you can't re-finalize a non-draft invoice."
		for _, tc := range []struct {
			name string
			call func() error
			msg  string
		}{
			{"void draft", func() error { _, err := sc.V1Invoices.VoidInvoice(ctx, draft.ID, nil); return err }, voidMsg},
			{"void paid", func() error { _, err := sc.V1Invoices.VoidInvoice(ctx, paid.ID, nil); return err }, voidMsg},
			{"void void", func() error { _, err := sc.V1Invoices.VoidInvoice(ctx, void.ID, nil); return err }, voidMsg},
			{"finalize open", func() error { _, err := sc.V1Invoices.FinalizeInvoice(ctx, open.ID, nil); return err }, finMsg},
			{"finalize paid", func() error { _, err := sc.V1Invoices.FinalizeInvoice(ctx, paid.ID, nil); return err }, finMsg},
			{"uncollectible draft", func() error { _, err := sc.V1Invoices.MarkUncollectible(ctx, draft.ID, nil); return err }, ""},
			{"uncollectible paid", func() error { _, err := sc.V1Invoices.MarkUncollectible(ctx, paid.ID, nil); return err }, ""},
			{"uncollectible void", func() error { _, err := sc.V1Invoices.MarkUncollectible(ctx, void.ID, nil); return err }, ""},
			{"pay paid", func() error { _, err := sc.V1Invoices.Pay(ctx, paid.ID, nil); return err }, "Invoice is already paid"},
			{"pay void", func() error { _, err := sc.V1Invoices.Pay(ctx, void.ID, nil); return err }, ""},
			{"delete open", func() error { _, err := sc.V1Invoices.Delete(ctx, open.ID, nil); return err }, ""},
			{"delete paid", func() error { _, err := sc.V1Invoices.Delete(ctx, paid.ID, nil); return err }, ""},
			{"send charge_automatically", func() error { _, err := sc.V1Invoices.SendInvoice(ctx, open.ID, nil); return err },
				"You can only manually send an invoice if its collection method is 'send_invoice'."},
			{"add_lines open", func() error {
				_, err := sc.V1Invoices.AddLines(ctx, open.ID, &stripe.InvoiceAddLinesParams{Lines: []*stripe.InvoiceAddLinesLineParams{{Amount: stripe.Int64(5)}}})
				return err
			}, ""},
			{"update collection_method open", func() error {
				_, err := sc.V1Invoices.Update(ctx, open.ID, &stripe.InvoiceUpdateParams{CollectionMethod: stripe.String("send_invoice")})
				return err
			}, ""},
			{"item onto open", func() error {
				_, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(5), Currency: stripe.String("usd"), Invoice: stripe.String(open.ID)})
				return err
			}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := make(map[string]stripe.InvoiceStatus)
				for _, id := range []string{draft.ID, open.ID, paid.ID, void.ID} {
					before[id] = getInvoice(t, sc, id).Status
				}
				n := len(f.Events())
				err := tc.call()
				stripeErr(t, err, 400, "", errParam(err), tc.msg)
				if len(f.Events()) != n {
					t.Errorf("emitted %v", eventsSince(f, n))
				}
				for id, s := range before {
					if got := getInvoice(t, sc, id).Status; got != s {
						t.Errorf("%s: %s → %s", id, s, got)
					}
				}
			})
		}
	})
}

// errParam returns the param of a stripe error, so refused-transition
// checks need not pin it.
func errParam(err error) string {
	if se, ok := err.(*stripe.Error); ok {
		return se.Param
	}
	return ""
}

func TestInvoiceUncollectibleOutOfBandAndSend(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		inv := invDraft(t, sc, cu.ID, 1000, false)
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		// No payment method: pay is refused and changes nothing.
		n := len(f.Events())
		_, err := sc.V1Invoices.Pay(ctx, inv.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		if got := getInvoice(t, sc, inv.ID); got.Attempted || len(f.Events()) != n {
			t.Errorf("refused pay changed the invoice or emitted %v", eventsSince(f, n))
		}
		un, err := sc.V1Invoices.MarkUncollectible(ctx, inv.ID, nil)
		if err != nil || un.Status != "uncollectible" || un.StatusTransitions.MarkedUncollectibleAt == 0 {
			t.Fatalf("uncollectible: %v %+v", err, un)
		}
		paid, err := sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)})
		if err != nil || paid.Status != "paid" || paid.AmountPaid != 1000 || paid.AmountRemaining != 0 {
			t.Fatalf("out of band: %v %+v", err, paid)
		}
		want := []string{"invoice.marked_uncollectible", "invoice.updated", "payment_intent.canceled", "invoice.paid", "invoice.updated"}
		if evs := eventsSince(f, n); !slices.Equal(evs, want) {
			t.Errorf("events\n got %v\nwant %v", evs, want)
		}

		// send_invoice: finalized with a due date; send emits invoice.sent.
		si, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), CollectionMethod: stripe.String("send_invoice")})
		if err != nil || si.DueDate != si.Created+30*86400 {
			t.Fatalf("send_invoice default terms: %v due %d", err, si.DueDate)
		}
		invItem(t, sc, cu.ID, 700, si.ID)
		n = len(f.Events())
		sent, err := sc.V1Invoices.SendInvoice(ctx, si.ID, nil)
		if err != nil || sent.Status != "open" || !sent.Attempted {
			t.Fatalf("send: %v %+v", err, sent)
		}
		if evs := eventsSince(f, n); evs[0] != "invoice.finalized" || evs[len(evs)-1] != "invoice.sent" {
			t.Errorf("send events %v", evs)
		}
		// Passing the due date unpaid makes the customer delinquent.
		f.Advance(31 * 24 * time.Hour)
		if c, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil); !c.Delinquent {
			t.Error("not delinquent after due date")
		}
	})
}

func TestInvoiceLinesEditing(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		inv := invDraft(t, sc, cu.ID, 100, false)
		got, err := sc.V1Invoices.AddLines(ctx, inv.ID, &stripe.InvoiceAddLinesParams{Lines: []*stripe.InvoiceAddLinesLineParams{
			{Amount: stripe.Int64(200), Description: stripe.String("two")},
			{Amount: stripe.Int64(300), Description: stripe.String("three")},
		}})
		if err != nil || got.Total != 600 || len(got.Lines.Data) != 3 || got.Lines.Data[2].Description != "three" {
			t.Fatalf("add_lines: %v %+v", err, got)
		}
		line := got.Lines.Data[1]
		got, err = sc.V1Invoices.UpdateLines(ctx, inv.ID, &stripe.InvoiceUpdateLinesParams{Lines: []*stripe.InvoiceUpdateLinesLineParams{{ID: stripe.String(line.ID), Amount: stripe.Int64(250)}}})
		if err != nil || got.Total != 650 {
			t.Fatalf("update_lines: %v total %d", err, got.Total)
		}
		got, err = sc.V1Invoices.RemoveLines(ctx, inv.ID, &stripe.InvoiceRemoveLinesParams{Lines: []*stripe.InvoiceRemoveLinesLineParams{{ID: stripe.String(line.ID), Behavior: stripe.String("unassign")}}})
		if err != nil || got.Total != 400 || len(got.Lines.Data) != 2 {
			t.Fatalf("remove_lines: %v total %d", err, got.Total)
		}
		ii, err := sc.V1InvoiceItems.Retrieve(ctx, line.Parent.InvoiceItemDetails.InvoiceItem, nil)
		if err != nil || ii.Invoice != nil || ii.Amount != 250 {
			t.Fatalf("unassigned item: %v %+v", err, ii)
		}
		// Many lines: the invoice embeds 10, the lines endpoint pages them all.
		for i := 0; i < 11; i++ {
			invItem(t, sc, cu.ID, 1, inv.ID)
		}
		got = getInvoice(t, sc, inv.ID)
		if len(got.Lines.Data) != 10 || !got.Lines.HasMore {
			t.Errorf("embedded lines %d has_more %v", len(got.Lines.Data), got.Lines.HasMore)
		}
		listed := ids(t, sc.V1Invoices.ListLines(ctx, &stripe.InvoiceListLinesParams{Invoice: stripe.String(inv.ID), ListParams: stripe.ListParams{Limit: stripe.Int64(4)}}).All(ctx))
		if len(listed) != 13 || listed[0] != got.Lines.Data[0].ID {
			t.Errorf("lines %d", len(listed))
		}
	})
}

func TestInvoiceListSearchPreviewAndPage(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		a := invCustomer(t, sc, "pm_card_visa", 0)
		b := invCustomer(t, sc, "", 0)
		ia := invDraft(t, sc, a.ID, 1000, false)
		invDraft(t, sc, b.ID, 2000, false)
		if _, err := sc.V1Invoices.Pay(ctx, ia.ID, nil); err != nil {
			t.Fatal(err)
		}
		count := func(p *stripe.InvoiceListParams) int {
			n := len(ids(t, sc.V1Invoices.List(ctx, p).All(ctx)))
			return n
		}
		if n := count(&stripe.InvoiceListParams{Customer: stripe.String(a.ID)}); n != 1 {
			t.Errorf("by customer %d", n)
		}
		if n := count(&stripe.InvoiceListParams{Status: stripe.String("draft")}); n != 1 {
			t.Errorf("drafts %d", n)
		}
		if n := count(&stripe.InvoiceListParams{}); n != 2 {
			t.Errorf("all %d", n)
		}
		found := ids(t, sc.V1Invoices.Search(ctx, &stripe.InvoiceSearchParams{SearchParams: stripe.SearchParams{Query: "status:'paid' AND total>500"}}).All(ctx))
		if !slices.Equal(found, []string{ia.ID}) {
			t.Errorf("search %v", found)
		}

		// Preview: not stored, balance applied, no events.
		n := len(f.Events())
		pv, err := sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(b.ID), InvoiceItems: []*stripe.InvoiceCreatePreviewInvoiceItemParams{
			{Amount: stripe.Int64(400), Currency: stripe.String("usd")},
		}})
		if err != nil || !strings.HasPrefix(pv.ID, "upcoming_in_") || pv.Total != 400 || pv.BillingReason != "upcoming" || len(f.Events()) != n {
			t.Fatalf("preview: %v %+v", err, pv)
		}

		// The hosted page shows the invoice.
		paid := getInvoice(t, sc, ia.ID)
		resp, err := http.Get(paid.HostedInvoiceURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, paid.Number) || !strings.Contains(page, ">paid<") || !strings.Contains(page, "10.00 USD") || !strings.Contains(page, "Widget") {
			t.Errorf("page %d:\n%s", resp.StatusCode, page)
		}
	})
}

func TestInvoiceOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		start := f.Now().Add(-24 * time.Hour).Unix()
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(start)})
		if err != nil {
			t.Fatal(err)
		}
		cu := payingCustomer(t, sc, "pm_card_visa", tc.ID)
		inv := invDraft(t, sc, cu.ID, 900, true)
		if inv.Created != start || inv.AutomaticallyFinalizesAt != start+3600 {
			t.Fatalf("created %d finalizes %d, clock %d", inv.Created, inv.AutomaticallyFinalizesAt, start)
		}
		f.Advance(3 * time.Hour) // the fake's clock does not move the test clock
		if got := getInvoice(t, sc, inv.ID); got.Status != "draft" {
			t.Fatalf("fake clock moved a test-clock invoice: %s", got.Status)
		}
		if _, err := sc.V1TestHelpersTestClocks.Advance(ctx, tc.ID, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(start + 2*3600)}); err != nil {
			t.Fatal(err)
		}
		got := getInvoice(t, sc, inv.ID)
		if got.Status != "paid" || got.StatusTransitions.PaidAt != start+3600 {
			t.Errorf("after clock advance: %s paid_at %d", got.Status, got.StatusTransitions.PaidAt)
		}
	})
}

func TestInvoiceFinalizationWaitsForWebhooks(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		rc := newReceiver(t)
		rc.answer = func(n int, ev stripe.Event) int {
			if ev.Type == "invoice.created" && n == 1 {
				return http.StatusInternalServerError // delivered on the retry, 1 h later
			}
			return http.StatusOK
		}
		rc.endpoint(t, sc, "invoice.created")
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(true),
			PendingInvoiceItemsBehavior: stripe.String("exclude")})
		if err != nil {
			t.Fatal(err)
		}
		if inv.AutomaticallyFinalizesAt != inv.Created+72*3600 {
			t.Errorf("while invoice.created is undelivered: finalizes at +%ds", inv.AutomaticallyFinalizesAt-inv.Created)
		}
		invItem(t, sc, cu.ID, 800, inv.ID)
		f.Advance(time.Hour) // the retry succeeds
		got := getInvoice(t, sc, inv.ID)
		if got.AutomaticallyFinalizesAt != inv.Created+2*3600 || got.WebhooksDeliveredAt != inv.Created+3600 || got.Status != "draft" {
			t.Fatalf("after delivery: finalizes at +%ds, delivered at %d, %s", got.AutomaticallyFinalizesAt-inv.Created, got.WebhooksDeliveredAt, got.Status)
		}
		f.Advance(59 * time.Minute)
		if got := getInvoice(t, sc, inv.ID); got.Status != "draft" {
			t.Fatalf("finalized early: %s", got.Status)
		}
		f.Advance(2 * time.Minute)
		if got := getInvoice(t, sc, inv.ID); got.Status != "paid" {
			t.Errorf("not paid an hour after delivery: %s", got.Status)
		}
	})
}

// TestDraftFollowsCustomerUpdate: a draft's customer_name and
// customer_email follow the customer until finalization; a finalized
// invoice keeps what it had.
func TestDraftFollowsCustomerUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Name: stripe.String("Ada"), Email: stripe.String("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		final := invDraft(t, sc, cu.ID, 500, false)
		if _, err := sc.V1Invoices.FinalizeInvoice(ctx, final.ID, nil); err != nil {
			t.Fatal(err)
		}
		draft := invDraft(t, sc, cu.ID, 700, false)
		if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Name: stripe.String("Grace"), Email: stripe.String("grace@example.com")}); err != nil {
			t.Fatal(err)
		}
		got, err := sc.V1Invoices.Retrieve(ctx, draft.ID, nil)
		if err != nil || got.CustomerName != "Grace" || got.CustomerEmail != "grace@example.com" {
			t.Errorf("draft after the update: %q %q (err %v)", got.CustomerName, got.CustomerEmail, err)
		}
		got, err = sc.V1Invoices.Retrieve(ctx, final.ID, nil)
		if err != nil || got.CustomerName != "Ada" || got.CustomerEmail != "ada@example.com" {
			t.Errorf("finalized invoice after the update: %q %q (err %v)", got.CustomerName, got.CustomerEmail, err)
		}
	})
}
