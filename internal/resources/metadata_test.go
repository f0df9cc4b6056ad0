package resources_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Metadata kept as sent and applied later (a schedule phase's, a quote's
// subscription_data, add_invoice_items') is checked when it is sent, with
// the messages of every other metadata, naming the param as sent.
var (
	longKey      = strings.Repeat("k", 41)
	longValue    = strings.Repeat("v", 501)
	longKeyMsg   = "Metadata keys can have up to 40 characters, but you passed in a key that is 41 characters. Invalid key: " + longKey
	longValueMsg = "Metadata values can have up to 500 characters, but you passed in a value that is 501 characters. Invalid value: " + longValue
	tooManyMsg   = "Metadata can have up to 50 keys, but you've set 51."
)

func longKeyMetadata() map[string]string   { return map[string]string{longKey: "v"} }
func longValueMetadata() map[string]string { return map[string]string{"k": longValue} }
func manyKeysMetadata() map[string]string {
	m := map[string]string{}
	for i := range 51 {
		m["k"+strconv.Itoa(i)] = "v"
	}
	return m
}

// badMetadataCase is one place of bad metadata in a request: set puts it
// there, param and msg are the error wanted.
type badMetadataCase struct {
	name, param, msg string
	set              func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, oneTime string)
}

var badPhaseMetadata = []badMetadataCase{
	{"phase 0 item", "phases[0][items][0][metadata]", longKeyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[0].Items[0].Metadata = longKeyMetadata()
	}},
	{"phase 0", "phases[0][metadata]", longKeyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[0].Metadata = longKeyMetadata()
	}},
	{"phase 1", "phases[1][metadata]", longKeyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[1].Metadata = longKeyMetadata()
	}},
	{"phase 1 item", "phases[1][items][0][metadata]", longKeyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[1].Items[0].Metadata = longKeyMetadata()
	}},
	{"phase 1 item value", "phases[1][items][0][metadata][k]", longValueMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[1].Items[0].Metadata = longValueMetadata()
	}},
	{"phase 1 keys", "phases[1][metadata]", tooManyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, _ string) {
		ph[1].Metadata = manyKeysMetadata()
	}},
	{"phase 1 add_invoice_items", "phases[1][add_invoice_items][0][metadata]", longKeyMsg, func(ph []*stripe.SubscriptionScheduleCreatePhaseParams, oneTime string) {
		ph[1].AddInvoiceItems = []*stripe.SubscriptionScheduleCreatePhaseAddInvoiceItemParams{{Price: stripe.String(oneTime), Metadata: longKeyMetadata()}}
	}},
}

// twoPhases are a month of price at quantity 1, then price at quantity 2
// with phase metadata tier=pro.
func twoPhases(price string) []*stripe.SubscriptionScheduleCreatePhaseParams {
	return []*stripe.SubscriptionScheduleCreatePhaseParams{
		{
			Items:    []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(1)}},
			Duration: &stripe.SubscriptionScheduleCreatePhaseDurationParams{Interval: stripe.String("month")},
		},
		{
			Items:    []*stripe.SubscriptionScheduleCreatePhaseItemParams{{Price: stripe.String(price), Quantity: stripe.Int64(2)}},
			Metadata: map[string]string{"tier": "pro"},
		},
	}
}

// updatePhases are phases as update params.
func updatePhases(ph []*stripe.SubscriptionScheduleCreatePhaseParams, start int64) []*stripe.SubscriptionScheduleUpdatePhaseParams {
	var out []*stripe.SubscriptionScheduleUpdatePhaseParams
	for _, p := range ph {
		u := &stripe.SubscriptionScheduleUpdatePhaseParams{Metadata: p.Metadata}
		if p.Duration != nil {
			u.Duration = &stripe.SubscriptionScheduleUpdatePhaseDurationParams{Interval: p.Duration.Interval}
		}
		for _, it := range p.Items {
			u.Items = append(u.Items, &stripe.SubscriptionScheduleUpdatePhaseItemParams{Price: it.Price, Quantity: it.Quantity, Metadata: it.Metadata})
		}
		for _, ai := range p.AddInvoiceItems {
			u.AddInvoiceItems = append(u.AddInvoiceItems, &stripe.SubscriptionScheduleUpdatePhaseAddInvoiceItemParams{Price: ai.Price, Metadata: ai.Metadata})
		}
		out = append(out, u)
	}
	out[0].StartDate = stripe.Int64(start)
	return out
}

// previewPhases are phases as create_preview schedule_details.
func previewPhases(ph []*stripe.SubscriptionScheduleCreatePhaseParams) []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams {
	var out []*stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams
	for _, p := range ph {
		u := &stripe.InvoiceCreatePreviewScheduleDetailsPhaseParams{Metadata: p.Metadata}
		if p.Duration != nil {
			u.Duration = &stripe.InvoiceCreatePreviewScheduleDetailsPhaseDurationParams{Interval: p.Duration.Interval}
		}
		for _, it := range p.Items {
			u.Items = append(u.Items, &stripe.InvoiceCreatePreviewScheduleDetailsPhaseItemParams{Price: it.Price, Quantity: it.Quantity, Metadata: it.Metadata})
		}
		for _, ai := range p.AddInvoiceItems {
			u.AddInvoiceItems = append(u.AddInvoiceItems, &stripe.InvoiceCreatePreviewScheduleDetailsPhaseAddInvoiceItemParams{Price: ai.Price, Metadata: ai.Metadata})
		}
		out = append(out, u)
	}
	return out
}

// countSchedules is the number of cu's schedules.
func countSchedules(t *testing.T, sc *stripe.Client, cu string) int {
	t.Helper()
	return len(ids(t, sc.V1SubscriptionSchedules.List(ctx, &stripe.SubscriptionScheduleListParams{Customer: stripe.String(cu)}).All(ctx)))
}

// countSubscriptions is the number of cu's subscriptions, of any status.
func countSubscriptions(t *testing.T, sc *stripe.Client, cu string) int {
	t.Helper()
	return len(ids(t, sc.V1Subscriptions.List(ctx, &stripe.SubscriptionListParams{Customer: stripe.String(cu), Status: stripe.String("all")}).All(ctx)))
}

// wantPhaseTwo advances past the first phase of sch (made from
// twoPhases) and checks that its second phase applied.
func wantPhaseTwo(t *testing.T, f *fake.Fake, sc *stripe.Client, sch *stripe.SubscriptionSchedule) {
	t.Helper()
	f.Advance(40 * 24 * time.Hour)
	s := getSub(t, sc, sch.Subscription.ID)
	if s.Metadata["tier"] != "pro" || s.Items.Data[0].Quantity != 2 {
		t.Errorf("after the phase change: metadata %v quantity %d", s.Metadata, s.Items.Data[0].Quantity)
	}
}

func TestSubscriptionScheduleCreateChecksPhaseMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		pr := monthlyPrice(t, sc, 1000, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		for _, tc := range badPhaseMetadata {
			ph := twoPhases(pr.ID)
			tc.set(ph, setup.ID)
			n := len(f.Events())
			_, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
				Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()), Phases: ph,
			})
			stripeErr(t, err, 400, "", tc.param, tc.msg)
			if len(f.Events()) != n || countSchedules(t, sc, cu.ID) != 0 || countSubscriptions(t, sc, cu.ID) != 0 {
				t.Errorf("%s: the refused create left events, a schedule or a subscription", tc.name)
			}
		}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()), Phases: twoPhases(pr.ID),
		})
		if err != nil {
			t.Fatal(err)
		}
		wantPhaseTwo(t, f, sc, sch)
	})
}

// twoPhaseSchedule makes a customer, a monthly price, a one-time setup price
// and a schedule of twoPhases starting now.
func twoPhaseSchedule(t *testing.T, f *fake.Fake, sc *stripe.Client) (*stripe.Customer, *stripe.Price, *stripe.Price, *stripe.SubscriptionSchedule) {
	t.Helper()
	cu := payingCustomer(t, sc, "pm_card_visa", "")
	pr := monthlyPrice(t, sc, 1000, "month")
	setup := oneTimePrice(t, sc, 500, "Setup")
	sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
		Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()), Phases: twoPhases(pr.ID),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cu, pr, setup, sch
}

func TestSubscriptionScheduleUpdateChecksPhaseMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, pr, setup, sch := twoPhaseSchedule(t, f, sc)
		for _, tc := range badPhaseMetadata {
			ph := twoPhases(pr.ID)
			tc.set(ph, setup.ID)
			n := len(f.Events())
			_, err := sc.V1SubscriptionSchedules.Update(ctx, sch.ID, &stripe.SubscriptionScheduleUpdateParams{Phases: updatePhases(ph, sch.CurrentPhase.StartDate)})
			stripeErr(t, err, 400, "", tc.param, tc.msg)
			got, err := sc.V1SubscriptionSchedules.Retrieve(ctx, sch.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Events()) != n || len(got.Phases) != 2 || len(got.Phases[1].Metadata) != 1 || len(got.Phases[0].Items[0].Metadata) != 0 ||
				len(got.Phases[1].Items[0].Metadata) != 0 || len(got.Phases[1].AddInvoiceItems) != 0 {
				t.Errorf("%s: the refused update changed the schedule (%d events, was %d): %+v", tc.name, len(f.Events()), n, got.Phases)
			}
		}
		wantPhaseTwo(t, f, sc, sch)
	})
}

func TestInvoiceCreatePreviewChecksScheduleDetailsMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, pr, setup, sch := twoPhaseSchedule(t, f, sc)
		for _, tc := range badPhaseMetadata {
			for _, existing := range []bool{false, true} {
				ph := twoPhases(pr.ID)
				tc.set(ph, setup.ID)
				p := &stripe.InvoiceCreatePreviewParams{ScheduleDetails: &stripe.InvoiceCreatePreviewScheduleDetailsParams{Phases: previewPhases(ph)}}
				if existing {
					p.Schedule = stripe.String(sch.ID)
					p.ScheduleDetails.Phases[0].StartDate = stripe.Int64(sch.CurrentPhase.StartDate)
				} else {
					p.Customer = stripe.String(cu.ID)
				}
				n := len(f.Events())
				_, err := sc.V1Invoices.CreatePreview(ctx, p)
				stripeErr(t, err, 400, "", "schedule_details["+strings.Replace(tc.param, "[", "][", 1), tc.msg)
				if len(f.Events()) != n || countSchedules(t, sc, cu.ID) != 1 || countSubscriptions(t, sc, cu.ID) != 1 {
					t.Errorf("%s (existing %v): the refused preview left events, a schedule or a subscription", tc.name, existing)
				}
			}
		}
		wantPhaseTwo(t, f, sc, sch)
	})
}

func TestQuoteChecksSubscriptionDataMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, _, monthly := qtPrices(t, sc, 0, 1000)
		cu := qtCustomer(t, sc, "")
		lines := []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(monthly)}}
		for _, md := range []map[string]string{longKeyMetadata(), longValueMetadata(), manyKeysMetadata()} {
			param, msg := "subscription_data[metadata]", longKeyMsg
			switch {
			case len(md) > 1:
				msg = tooManyMsg
			case md["k"] != "":
				param, msg = "subscription_data[metadata][k]", longValueMsg
			}
			n := len(f.Events())
			_, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
				Customer: stripe.String(cu.ID), LineItems: lines, SubscriptionData: &stripe.QuoteCreateSubscriptionDataParams{Metadata: md},
			})
			stripeErr(t, err, 400, "", param, msg)
			quotes := 0
			for _, err := range sc.V1Quotes.List(ctx, &stripe.QuoteListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				quotes++
			}
			if quotes != 0 || len(f.Events()) != n {
				t.Errorf("the refused quote left %d quotes or events", quotes)
			}
		}
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer: stripe.String(cu.ID), LineItems: lines, SubscriptionData: &stripe.QuoteCreateSubscriptionDataParams{Metadata: map[string]string{"plan": "a"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		n := len(f.Events())
		_, err = sc.V1Quotes.Update(ctx, q.ID, &stripe.QuoteUpdateParams{SubscriptionData: &stripe.QuoteUpdateSubscriptionDataParams{Metadata: longKeyMetadata()}})
		stripeErr(t, err, 400, "", "subscription_data[metadata]", longKeyMsg)
		if got, _ := sc.V1Quotes.Retrieve(ctx, q.ID, nil); len(got.SubscriptionData.Metadata) != 1 || len(f.Events()) != n {
			t.Errorf("the refused update changed the quote: %v", got.SubscriptionData.Metadata)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		q, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(40 * 24 * time.Hour)
		if s := getSub(t, sc, q.Subscription.ID); s.Metadata["plan"] != "a" || s.Status != stripe.SubscriptionStatusActive {
			t.Errorf("subscription from the quote: %s %v", s.Status, s.Metadata)
		}
	})
}

func TestSubscriptionCreateChecksAddInvoiceItemsMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		pr := monthlyPrice(t, sc, 1000, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		n := len(f.Events())
		_, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
			AddInvoiceItems: []*stripe.SubscriptionCreateAddInvoiceItemParams{{Price: stripe.String(setup.ID), Metadata: longKeyMetadata()}},
		})
		stripeErr(t, err, 400, "", "add_invoice_items[0][metadata]", longKeyMsg)
		items := 0
		for _, err := range sc.V1InvoiceItems.List(ctx, &stripe.InvoiceItemListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			items++
		}
		if len(f.Events()) != n || countSubscriptions(t, sc, cu.ID) != 0 || items != 0 {
			t.Errorf("the refused create left events, a subscription or %d invoice items", items)
		}
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{
			Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
			AddInvoiceItems: []*stripe.SubscriptionCreateAddInvoiceItemParams{{Price: stripe.String(setup.ID), Metadata: map[string]string{"kind": "setup"}}},
		})
		f.Advance(40 * 24 * time.Hour)
		if s = getSub(t, sc, s.ID); s.Status != stripe.SubscriptionStatusActive {
			t.Errorf("after a renewal: %s", s.Status)
		}
	})
}

// keys are n metadata keys prefix0… set to v.
func keys(prefix string, n int, v string) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[prefix+strconv.Itoa(i)] = v
	}
	return m
}

// A phase's metadata merges into what the phases before left on the
// subscription (and an item's into the same price's item): a merge over
// 50 keys is refused when the phases are sent, and one that unsets keys
// to stay within 50 is taken and applied.
func TestSubscriptionSchedulePhaseMetadataMergesWithinLimits(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		pr := monthlyPrice(t, sc, 1000, "month")
		tooMany := "Metadata can have up to 50 keys, but you've set 60."
		for _, item := range []bool{false, true} {
			ph := twoPhases(pr.ID)
			param := "phases[1][metadata]"
			ph[0].Metadata, ph[1].Metadata = keys("a", 30, "v"), keys("b", 30, "v")
			if item {
				ph[0].Metadata, ph[1].Metadata = nil, nil
				ph[0].Items[0].Metadata, ph[1].Items[0].Metadata, param = keys("a", 30, "v"), keys("b", 30, "v"), "phases[1][items][0][metadata]"
			}
			n := len(f.Events())
			_, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
				Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()), Phases: ph,
			})
			stripeErr(t, err, 400, "", param, tooMany)
			if len(f.Events()) != n || countSchedules(t, sc, cu.ID) != 0 {
				t.Errorf("item %v: the refused create left events or a schedule", item)
			}
			_, err = sc.V1Invoices.CreatePreview(ctx, &stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cu.ID),
				ScheduleDetails: &stripe.InvoiceCreatePreviewScheduleDetailsParams{Phases: previewPhases(ph)}})
			stripeErr(t, err, 400, "", "schedule_details["+strings.Replace(param, "[", "][", 1), tooMany)
		}
		// Unsetting 10 of phase 0's keys leaves room for 30 more, on the
		// subscription and on its item.
		ph := twoPhases(pr.ID)
		ph[0].Metadata, ph[0].Items[0].Metadata = keys("a", 30, "v"), keys("a", 30, "v")
		ph[1].Metadata, ph[1].Items[0].Metadata = keys("b", 30, "v"), keys("b", 30, "v")
		for i := range 10 {
			ph[1].Metadata["a"+strconv.Itoa(i)], ph[1].Items[0].Metadata["a"+strconv.Itoa(i)] = "", ""
		}
		sch, err := sc.V1SubscriptionSchedules.Create(ctx, &stripe.SubscriptionScheduleCreateParams{
			Customer: stripe.String(cu.ID), StartDate: stripe.Int64(f.Now().Unix()), Phases: ph,
		})
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(40 * 24 * time.Hour)
		s := getSub(t, sc, sch.Subscription.ID)
		if len(s.Metadata) != 50 || s.Metadata["a0"] != "" || s.Metadata["b0"] != "v" || len(s.Items.Data[0].Metadata) != 50 || s.Items.Data[0].Quantity != 2 {
			t.Errorf("after the phase change: %d keys %v, item %d keys, quantity %d", len(s.Metadata), s.Metadata, len(s.Items.Data[0].Metadata), s.Items.Data[0].Quantity)
		}
	})
}

func TestCheckoutChecksSubscriptionAndPaymentIntentMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		monthly := monthlyPrice(t, sc, 1500, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		sessions := func() int {
			return len(ids(t, sc.V1CheckoutSessions.List(ctx, &stripe.CheckoutSessionListParams{}).All(ctx)))
		}
		n := len(f.Events())
		_, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly), SuccessURL: stripe.String("https://example.com/ok"),
			SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: longKeyMetadata()},
		})
		stripeErr(t, err, 400, "", "subscription_data[metadata]", longKeyMsg)
		_, err = sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("payment"), LineItems: checkoutLines(setup), SuccessURL: stripe.String("https://example.com/ok"),
			PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: longValueMetadata()},
		})
		stripeErr(t, err, 400, "", "payment_intent_data[metadata][k]", longValueMsg)
		if got := sessions(); got != 0 || len(f.Events()) != n {
			t.Errorf("the refused sessions left %d sessions or events", got)
		}
		cs := newCheckout(t, sc, &stripe.CheckoutSessionCreateParams{
			Mode: stripe.String("subscription"), LineItems: checkoutLines(monthly), SuccessURL: stripe.String("https://example.com/ok"),
			CustomerEmail:    stripe.String("ada@example.com"),
			SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: map[string]string{"plan": "pro"}},
		})
		if err := f.CompleteCheckoutSession(cs.ID, "pm_card_visa"); err != nil {
			t.Fatal(err)
		}
		f.Advance(40 * 24 * time.Hour)
		if s := getSub(t, sc, getCheckout(t, sc, cs.ID).Subscription.ID); s.Metadata["plan"] != "pro" || s.Status != stripe.SubscriptionStatusActive {
			t.Errorf("subscription from checkout: %s %v", s.Status, s.Metadata)
		}
	})
}

// POST /v1/subscriptions/{id} add_invoice_items is refused, not ignored.
func TestSubscriptionUpdateRefusesAddInvoiceItems(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := payingCustomer(t, sc, "pm_card_visa", "")
		pr := monthlyPrice(t, sc, 1000, "month")
		setup := oneTimePrice(t, sc, 500, "Setup")
		s := subscribe(t, sc, &stripe.SubscriptionCreateParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}}})
		n := len(f.Events())
		_, err := sc.V1Subscriptions.Update(ctx, s.ID, &stripe.SubscriptionUpdateParams{
			AddInvoiceItems: []*stripe.SubscriptionUpdateAddInvoiceItemParams{{Price: stripe.String(setup.ID)}},
			Metadata:        map[string]string{"a": "b"},
		})
		stripeErr(t, err, 400, "", "add_invoice_items", "stripefake does not support the parameter 'add_invoice_items' yet.")
		if got := getSub(t, sc, s.ID); len(got.Metadata) != 0 || len(f.Events()) != n {
			t.Errorf("the refused update changed the subscription: %v", got.Metadata)
		}
	})
}

func TestCreditNoteChecksLineMetadata(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		inv := openInvoice(t, sc, 1000)
		line := inv.Lines.Data[0].ID
		n := len(f.Events())
		_, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300), Metadata: longKeyMetadata()},
		}})
		stripeErr(t, err, 400, "", "lines[0][metadata]", longKeyMsg)
		_, err = sc.V1CreditNotes.Preview(ctx, &stripe.CreditNotePreviewParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNotePreviewLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300), Metadata: longValueMetadata()},
		}})
		stripeErr(t, err, 400, "", "lines[0][metadata][k]", longValueMsg)
		notes := 0
		for _, err := range sc.V1CreditNotes.List(ctx, &stripe.CreditNoteListParams{Invoice: stripe.String(inv.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			notes++
		}
		if got, _ := sc.V1Invoices.Retrieve(ctx, inv.ID, nil); notes != 0 || len(f.Events()) != n || got.AmountRemaining != 1000 {
			t.Errorf("the refused credit note left %d notes or events", notes)
		}
		cn, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300), Metadata: map[string]string{"why": "late"}},
		}})
		if err != nil || cn.Lines.Data[0].Metadata["why"] != "late" {
			t.Fatalf("credit note: %v %+v", err, cn)
		}
	})
}
