package resources_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Unfiltered lists of payment intents, charges, refunds, setup intents and
// credit notes leave out the objects of test-clock customers, as those of
// customers and invoices do; a customer (or charge, payment intent,
// invoice) filter lists them.
func TestPaymentListsOmitTestClockObjects(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		type objects struct{ cus, pi, ch, re, si, cn string }
		mk := func(clock string) objects {
			cu := customerOn(t, sc, clock)
			pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cu.ID), Amount: stripe.Int64(700),
				Currency: stripe.String("usd"), PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true),
				PaymentMethodTypes: []*string{stripe.String("card")}})
			if err != nil || pi.LatestCharge == nil {
				t.Fatalf("payment intent: %v %+v", err, pi)
			}
			re, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID), Amount: stripe.Int64(100)})
			if err != nil {
				t.Fatal(err)
			}
			si, err := sc.V1SetupIntents.Create(ctx, &stripe.SetupIntentCreateParams{Customer: stripe.String(cu.ID)})
			if err != nil {
				t.Fatal(err)
			}
			inv := invDraft(t, sc, cu.ID, 1000, false)
			if inv, err = sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
				t.Fatal(err)
			}
			cn, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID),
				Lines: []*stripe.CreditNoteCreateLineParams{{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(inv.Lines.Data[0].ID), Amount: stripe.Int64(300)}}})
			if err != nil {
				t.Fatal(err)
			}
			return objects{cu.ID, pi.ID, pi.LatestCharge.ID, re.ID, si.ID, cn.ID}
		}
		own, clock := mk(""), mk(tc.ID)
		check := func(what string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		// Finalizing an invoice makes a payment intent too: the unfiltered
		// list is the first customer's.
		pis := func(customer *string) []string {
			return ids(t, sc.V1PaymentIntents.List(ctx, &stripe.PaymentIntentListParams{Customer: customer}).All(ctx))
		}
		check("payment intents", pis(nil), pis(&own.cus)...)
		check("charges", ids(t, sc.V1Charges.List(ctx, &stripe.ChargeListParams{}).All(ctx)), own.ch)
		check("refunds", ids(t, sc.V1Refunds.List(ctx, &stripe.RefundListParams{}).All(ctx)), own.re)
		check("setup intents", ids(t, sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{}).All(ctx)), own.si)
		check("credit notes", ids(t, sc.V1CreditNotes.List(ctx, &stripe.CreditNoteListParams{}).All(ctx)), own.cn)

		if got := pis(&clock.cus); len(got) != 2 || !slices.Contains(got, clock.pi) {
			t.Errorf("payment intents of the clock's customer = %v, want %s and its invoice's", got, clock.pi)
		}
		check("charges of the clock's customer",
			ids(t, sc.V1Charges.List(ctx, &stripe.ChargeListParams{Customer: stripe.String(clock.cus)}).All(ctx)), clock.ch)
		check("charges of the clock's payment intent",
			ids(t, sc.V1Charges.List(ctx, &stripe.ChargeListParams{PaymentIntent: stripe.String(clock.pi)}).All(ctx)), clock.ch)
		check("refunds of the clock's charge",
			ids(t, sc.V1Refunds.List(ctx, &stripe.RefundListParams{Charge: stripe.String(clock.ch)}).All(ctx)), clock.re)
		check("setup intents of the clock's customer",
			ids(t, sc.V1SetupIntents.List(ctx, &stripe.SetupIntentListParams{Customer: stripe.String(clock.cus)}).All(ctx)), clock.si)
		check("credit notes of the clock's customer",
			ids(t, sc.V1CreditNotes.List(ctx, &stripe.CreditNoteListParams{Customer: stripe.String(clock.cus)}).All(ctx)), clock.cn)
	})
}

// The events list pages by walking the store from its cursor while no test
// clock has written an event, and by sorting once one has: both page the
// same, newest first, with every event once.
func TestEventListPaging(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		walk := func(limit int64, params *stripe.EventListParams) []string {
			params.Limit = stripe.Int64(limit)
			return ids(t, sc.V1Events.List(ctx, params).All(ctx))
		}
		want := func() []string {
			var out []string
			for _, ev := range f.Events() {
				out = append(out, ev.ID)
			}
			slices.Reverse(out)
			return out
		}
		for i := range 25 {
			customerOn(t, sc, "")
			if i%7 == 0 {
				f.Advance(61 * time.Second)
			}
		}
		for _, limit := range []int64{1, 3, 10, 100} {
			if got := walk(limit, &stripe.EventListParams{}); !slices.Equal(got, want()) {
				t.Fatalf("limit %d: %v, want %v", limit, got, want())
			}
		}
		if got := walk(4, &stripe.EventListParams{Type: stripe.String("customer.created")}); len(got) != 25 {
			t.Errorf("customer.created events: %d", len(got))
		}
		// Paging backwards from the oldest lists every other event once.
		all := want()
		params := &stripe.EventListParams{}
		params.Limit = stripe.Int64(4)
		params.EndingBefore = stripe.String(all[len(all)-1])
		back := ids(t, sc.V1Events.List(ctx, params).All(ctx))
		slices.Sort(back)
		rest := slices.Clone(all[:len(all)-1])
		slices.Sort(rest)
		if !slices.Equal(back, rest) {
			t.Errorf("ending_before the oldest: %v, want %v", back, rest)
		}

		// A test clock's events: the list sorts them in by created.
		tc := newClock(t, sc, clockStart.AddDate(-1, 0, 0), "")
		customerOn(t, sc, tc.ID)
		var created []int64
		for ev, err := range sc.V1Events.List(ctx, &stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(3)}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, ev.Created)
		}
		if len(created) != len(all)+2 || !slices.IsSortedFunc(created, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("events with a clock's: created %v (%d), want %d newest first", created, len(created), len(all)+2)
		}
	})
}
