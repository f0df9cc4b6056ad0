package resources_test

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// qtPrices makes a product with a one-time price of oneTime and a monthly
// price of monthly (either 0 for none).
func qtPrices(t *testing.T, sc *stripe.Client, oneTime, monthly int64) (product, once, recurring string) {
	t.Helper()
	prod, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("Widget")})
	if err != nil {
		t.Fatal(err)
	}
	if oneTime > 0 {
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(oneTime)})
		if err != nil {
			t.Fatal(err)
		}
		once = pr.ID
	}
	if monthly > 0 {
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(monthly),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month")},
		})
		if err != nil {
			t.Fatal(err)
		}
		recurring = pr.ID
	}
	return prod.ID, once, recurring
}

func qtCustomer(t *testing.T, sc *stripe.Client, clock string) *stripe.Customer {
	t.Helper()
	p := &stripe.CustomerCreateParams{
		Name: stripe.String("Ada"), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")},
	}
	if clock != "" {
		p.TestClock = stripe.String(clock)
	}
	cu, err := sc.V1Customers.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func qtLineItems(t *testing.T, sc *stripe.Client, quote string, upfront bool) []*stripe.LineItem {
	t.Helper()
	var out []*stripe.LineItem
	seq := sc.V1Quotes.ListLineItems(ctx, &stripe.QuoteListLineItemsParams{Quote: stripe.String(quote)}).All(ctx)
	if upfront {
		seq = sc.V1Quotes.ListComputedUpfrontLineItems(ctx, &stripe.QuoteListComputedUpfrontLineItemsParams{Quote: stripe.String(quote)}).All(ctx)
	}
	for li, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, li)
	}
	return out
}

func TestQuoteOneTimeLifecycle(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		prod, once, _ := qtPrices(t, sc, 5000, 0)
		cu := qtCustomer(t, sc, "")
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer: stripe.String(cu.ID),
			LineItems: []*stripe.QuoteCreateLineItemParams{
				{Price: stripe.String(once), Quantity: stripe.Int64(2)},
				{PriceData: &stripe.QuoteCreateLineItemPriceDataParams{Currency: stripe.String("usd"), Product: stripe.String(prod), UnitAmount: stripe.Int64(750)}},
			},
			Header: stripe.String("Offer"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if q.Status != stripe.QuoteStatusDraft || q.Number != "" || q.AmountSubtotal != 10750 || q.AmountTotal != 10750 {
			t.Fatalf("created: status %s number %q amounts %d/%d", q.Status, q.Number, q.AmountSubtotal, q.AmountTotal)
		}
		if q.ExpiresAt-q.Created != 30*86400 {
			t.Errorf("expires_at - created = %d, want 30 days", q.ExpiresAt-q.Created)
		}
		if q.Computed.Recurring != nil || q.Computed.Upfront.AmountTotal != 10750 || q.LineItems != nil {
			t.Errorf("computed %+v line_items %+v", q.Computed, q.LineItems)
		}
		items := qtLineItems(t, sc, q.ID, false)
		if len(items) != 2 || items[0].Quantity != 2 || items[0].AmountTotal != 10000 || items[0].Price.ID != once || items[1].AmountTotal != 750 || items[0].Description != "Widget" {
			t.Fatalf("line items %+v", items)
		}

		// Update the draft: the first item's quantity, the second dropped,
		// a new one added.
		q, err = sc.V1Quotes.Update(ctx, q.ID, &stripe.QuoteUpdateParams{
			LineItems: []*stripe.QuoteUpdateLineItemParams{
				{ID: stripe.String(items[0].ID), Quantity: stripe.Int64(3)},
				{Price: stripe.String(once)},
			},
			Expand: []*string{stripe.String("line_items")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if q.AmountTotal != 20000 || q.LineItems == nil || len(q.LineItems.Data) != 2 || q.LineItems.Data[0].ID != items[0].ID || q.LineItems.Data[0].Quantity != 3 {
			t.Fatalf("updated: total %d items %+v", q.AmountTotal, q.LineItems)
		}

		q, err = sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Status != stripe.QuoteStatusOpen || q.Number != fmt.Sprintf("QT-%s-0001-1", cu.InvoicePrefix) || q.StatusTransitions.FinalizedAt != testfake.Start.Unix() && q.StatusTransitions.FinalizedAt == 0 {
			t.Fatalf("finalized: %s %q %d", q.Status, q.Number, q.StatusTransitions.FinalizedAt)
		}
		// A finalized quote is immutable, and a failed request changes nothing.
		n := len(f.Events())
		_, err = sc.V1Quotes.Update(ctx, q.ID, &stripe.QuoteUpdateParams{Description: stripe.String("x")})
		stripeErr(t, err, 400, "", "", "This quote cannot be updated because it has a status of open. Only `draft` quotes can be updated.")
		_, err = sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		if got, _ := sc.V1Quotes.Retrieve(ctx, q.ID, nil); got.Description != "" || len(f.Events()) != n {
			t.Error("failed requests changed the quote or emitted events")
		}

		q, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Status != stripe.QuoteStatusAccepted || q.Invoice == nil || q.Subscription != nil || q.StatusTransitions.AcceptedAt == 0 {
			t.Fatalf("accepted: %+v", q)
		}
		inv := getInvoice(t, sc, q.Invoice.ID)
		if inv.Status != stripe.InvoiceStatusDraft || !inv.AutoAdvance || inv.BillingReason != "quote_accept" || inv.Total != 20000 ||
			inv.Parent == nil || inv.Parent.QuoteDetails == nil || inv.Parent.QuoteDetails.Quote != q.ID || len(inv.Lines.Data) != 2 {
			t.Fatalf("invoice: %+v", inv)
		}
		f.Advance(2 * time.Hour)
		if inv = getInvoice(t, sc, inv.ID); inv.Status != stripe.InvoiceStatusPaid || inv.AmountPaid != 20000 {
			t.Errorf("after auto-advance: %s paid %d", inv.Status, inv.AmountPaid)
		}
		// Accepting twice is refused.
		_, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		stripeErr(t, err, 400, "", "", "This quote cannot be accepted because it has a status of accepted. Only `open` quotes can be accepted.")

		types := eventTypes(f)
		for _, want := range []string{"quote.created", "quote.finalized", "quote.accepted", "invoice.created", "invoice.paid"} {
			if !slices.Contains(types, want) {
				t.Errorf("no %s event in %v", want, types)
			}
		}
		if slices.Index(types, "quote.accepted") < slices.Index(types, "invoice.created") {
			t.Errorf("quote.accepted before invoice.created: %v", types)
		}
	})
}

func TestQuoteAcceptOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		_, once, monthly := qtPrices(t, sc, 500, 2000)
		cu := qtCustomer(t, sc, tc.ID)
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer: stripe.String(cu.ID),
			LineItems: []*stripe.QuoteCreateLineItemParams{
				{Price: stripe.String(monthly), Quantity: stripe.Int64(2)},
				{Price: stripe.String(once)},
			},
			SubscriptionData: &stripe.QuoteCreateSubscriptionDataParams{Description: stripe.String("from quote")},
			Expand:           []*string{stripe.String("computed.upfront.line_items")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if q.TestClock == nil || q.TestClock.ID != tc.ID || q.Created != frozen.Unix() {
			t.Fatalf("quote clock %+v created %d", q.TestClock, q.Created)
		}
		r := q.Computed.Recurring
		if r == nil || r.AmountTotal != 4000 || r.Interval != "month" || r.IntervalCount != 1 || q.Computed.Upfront.AmountTotal != 4500 || q.AmountTotal != 4500 {
			t.Fatalf("computed %+v %+v", r, q.Computed.Upfront)
		}
		if li := q.Computed.Upfront.LineItems; li == nil || len(li.Data) != 2 {
			t.Fatalf("upfront line items %+v", li)
		}
		if up := qtLineItems(t, sc, q.ID, true); len(up) != 2 || up[0].AmountTotal != 4000 || up[1].AmountTotal != 500 {
			t.Fatalf("computed upfront line items %+v", up)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		// The fake's own clock moving does not touch the clock's objects.
		f.Advance(48 * time.Hour)
		q, err = sc.V1Quotes.Accept(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.StatusTransitions.AcceptedAt != frozen.Unix() || q.Subscription == nil || q.Invoice == nil {
			t.Fatalf("accepted at %d (want %d), subscription %v invoice %v", q.StatusTransitions.AcceptedAt, frozen.Unix(), q.Subscription, q.Invoice)
		}
		s, err := sc.V1Subscriptions.Retrieve(ctx, q.Subscription.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Created != frozen.Unix() || s.Status != stripe.SubscriptionStatusActive || s.Description != "from quote" || len(s.Items.Data) != 1 || s.Items.Data[0].Quantity != 2 {
			t.Fatalf("subscription: created %d status %s desc %q items %d", s.Created, s.Status, s.Description, len(s.Items.Data))
		}
		inv := getInvoice(t, sc, q.Invoice.ID)
		if inv.Total != 4500 || inv.Status != stripe.InvoiceStatusPaid || inv.Created != frozen.Unix() {
			t.Fatalf("first invoice: total %d status %s created %d", inv.Total, inv.Status, inv.Created)
		}
	})
}

func TestQuoteExpiry(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, once, _ := qtPrices(t, sc, 1000, 0)
		cu := qtCustomer(t, sc, "")
		line := []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once)}}
		open, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{Customer: stripe.String(cu.ID), LineItems: line})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Quotes.FinalizeQuote(ctx, open.ID, nil); err != nil {
			t.Fatal(err)
		}
		soon := f.Now().Add(time.Hour).Unix()
		draft, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{Customer: stripe.String(cu.ID), LineItems: line, ExpiresAt: stripe.Int64(soon)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{ExpiresAt: stripe.Int64(f.Now().Unix() - 1)})
		stripeErr(t, err, 400, "", "expires_at", "")

		f.Advance(time.Hour)
		if q, _ := sc.V1Quotes.Retrieve(ctx, draft.ID, nil); q.Status != stripe.QuoteStatusCanceled || q.StatusTransitions.CanceledAt != soon {
			t.Errorf("draft at expires_at: %s canceled_at %d", q.Status, q.StatusTransitions.CanceledAt)
		}
		if q, _ := sc.V1Quotes.Retrieve(ctx, open.ID, nil); q.Status != stripe.QuoteStatusOpen {
			t.Errorf("open quote canceled early: %s", q.Status)
		}
		f.Advance(30 * 24 * time.Hour)
		q, _ := sc.V1Quotes.Retrieve(ctx, open.ID, nil)
		if q.Status != stripe.QuoteStatusCanceled || q.StatusTransitions.CanceledAt != open.ExpiresAt {
			t.Errorf("open quote after expires_at: %s canceled_at %d want %d", q.Status, q.StatusTransitions.CanceledAt, open.ExpiresAt)
		}
		_, err = sc.V1Quotes.Accept(ctx, open.ID, nil)
		stripeErr(t, err, 400, "", "", "")
		if n := countEvents(f, "quote.canceled"); n != 2 {
			t.Errorf("%d quote.canceled events, want 2", n)
		}
	})
}

func countEvents(f *fake.Fake, typ string) int {
	n := 0
	for _, ev := range f.Events() {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func TestQuoteExpiryOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{TestClock: stripe.String(tc.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if q.Created != frozen.Unix() || q.ExpiresAt != frozen.AddDate(0, 0, 30).Unix() {
			t.Fatalf("created %d expires %d", q.Created, q.ExpiresAt)
		}
		f.Advance(40 * 24 * time.Hour) // the fake's clock: no effect
		if got, _ := sc.V1Quotes.Retrieve(ctx, q.ID, nil); got.Status != stripe.QuoteStatusDraft {
			t.Fatalf("expired on the wrong clock: %s", got.Status)
		}
		if _, err := advanceClock(sc, tc.ID, frozen.AddDate(0, 0, 31)); err != nil {
			t.Fatal(err)
		}
		got, _ := sc.V1Quotes.Retrieve(ctx, q.ID, nil)
		if got.Status != stripe.QuoteStatusCanceled || got.StatusTransitions.CanceledAt != q.ExpiresAt {
			t.Errorf("after clock advance: %s canceled_at %d", got.Status, got.StatusTransitions.CanceledAt)
		}
	})
}

func TestQuoteCancelRevisionAndErrors(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, once, _ := qtPrices(t, sc, 1000, 0)
		cu := qtCustomer(t, sc, "")
		noCustomer, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{LineItems: []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once)}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Quotes.FinalizeQuote(ctx, noCustomer.ID, nil)
		stripeErr(t, err, 400, "", "customer", "A quote must have a customer before it can be finalized.")
		_, err = sc.V1Quotes.Accept(ctx, noCustomer.ID, nil)
		stripeErr(t, err, 400, "", "", "This quote cannot be accepted because it has a status of draft. Only `open` quotes can be accepted.")
		_, err = sc.V1Quotes.Retrieve(ctx, "qt_missing", nil)
		stripeErr(t, err, 404, "resource_missing", "id", "No such quote: 'qt_missing'")

		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{Customer: stripe.String(cu.ID), LineItems: []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once)}}})
		if err != nil {
			t.Fatal(err)
		}
		if q, err = sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		rev, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{FromQuote: &stripe.QuoteCreateFromQuoteParams{Quote: stripe.String(q.ID), IsRevision: stripe.Bool(true)}})
		if err != nil {
			t.Fatal(err)
		}
		if rev.Status != stripe.QuoteStatusDraft || rev.FromQuote == nil || rev.FromQuote.Quote.ID != q.ID || !rev.FromQuote.IsRevision || rev.AmountTotal != 1000 {
			t.Fatalf("revision %+v", rev)
		}
		if rev, err = sc.V1Quotes.FinalizeQuote(ctx, rev.ID, nil); err != nil {
			t.Fatal(err)
		}
		if want := q.Number[:len(q.Number)-1] + "2"; rev.Number != want {
			t.Errorf("revision number %q, want %q", rev.Number, want)
		}
		if orig, _ := sc.V1Quotes.Retrieve(ctx, q.ID, nil); orig.Status != stripe.QuoteStatusCanceled {
			t.Errorf("revised quote is %s, want canceled", orig.Status)
		}
		c, err := sc.V1Quotes.Cancel(ctx, rev.ID, nil)
		if err != nil || c.Status != stripe.QuoteStatusCanceled || c.StatusTransitions.CanceledAt == 0 {
			t.Fatalf("cancel: %v %+v", err, c)
		}
		_, err = sc.V1Quotes.Cancel(ctx, rev.ID, nil)
		stripeErr(t, err, 400, "", "", "")

		listed := ids(t, sc.V1Quotes.List(ctx, &stripe.QuoteListParams{Customer: stripe.String(cu.ID), Status: stripe.String("canceled")}).All(ctx))
		if !slices.Equal(listed, []string{rev.ID, q.ID}) {
			t.Errorf("canceled quotes %v, want %v", listed, []string{rev.ID, q.ID})
		}
	})
}

var pdfXrefEntry = regexp.MustCompile(`(?m)^(\d{10}) 00000 n $`)

func TestQuotePDF(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, once, monthly := qtPrices(t, sc, 1234, 999)
		cu := qtCustomer(t, sc, "")
		q, err := sc.V1Quotes.Create(ctx, &stripe.QuoteCreateParams{
			Customer:  stripe.String(cu.ID),
			LineItems: []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once)}, {Price: stripe.String(monthly)}},
			Footer:    stripe.String("Thanks (really) \\o/"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if q, err = sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
			t.Fatal(err)
		}
		stream, err := sc.V1Quotes.PDF(ctx, q.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ct := stream.LastResponse.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type %q", ct)
		}
		body, err := io.ReadAll(stream.LastResponse.Body)
		stream.LastResponse.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(body, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(body, []byte("%%EOF\n")) {
			t.Fatalf("not a PDF: %q", body[:min(len(body), 40)])
		}
		for _, want := range []string{q.Number, cu.ID, "12.34 USD", "22.33 USD", "9.99 USD / month", `Thanks \(really\) \\o/`} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("PDF lacks %q", want)
			}
		}
		// Every xref offset points at its object, and startxref at the xref.
		for i, m := range pdfXrefEntry.FindAllSubmatch(body, -1) {
			off, _ := strconv.Atoi(string(m[1]))
			if want := fmt.Sprintf("%d 0 obj", i+1); !bytes.HasPrefix(body[off:], []byte(want)) {
				t.Errorf("xref entry %d points at %q", i+1, body[off:min(off+10, len(body))])
			}
		}
		sx := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(body)
		if off, _ := strconv.Atoi(string(sx[1])); !bytes.HasPrefix(body[off:], []byte("xref\n")) {
			t.Errorf("startxref points at %q", body[off:min(off+10, len(body))])
		}
		if path, err := exec.LookPath("pdftotext"); err == nil {
			cmd := exec.Command(path, "-", "-")
			cmd.Stdin = bytes.NewReader(body)
			out, err := cmd.CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte(q.Number)) {
				t.Errorf("pdftotext: %v\n%s", err, out)
			}
		}
		_, err = sc.V1Quotes.PDF(ctx, "qt_missing", nil)
		stripeErr(t, err, 404, "resource_missing", "id", "")
	})
}

func TestQuoteOneTimeOnTestClockAndTrial(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		frozen := time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		_, once, monthly := qtPrices(t, sc, 800, 3000)
		cu := qtCustomer(t, sc, tc.ID)
		create := func(p *stripe.QuoteCreateParams) *stripe.Quote {
			t.Helper()
			p.Customer = stripe.String(cu.ID)
			q, err := sc.V1Quotes.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if q, err = sc.V1Quotes.FinalizeQuote(ctx, q.ID, nil); err != nil {
				t.Fatal(err)
			}
			if q, err = sc.V1Quotes.Accept(ctx, q.ID, nil); err != nil {
				t.Fatal(err)
			}
			return q
		}

		// One-time only: a draft quote_accept invoice at the clock's time,
		// finalized and paid when the clock passes the finalization delay.
		q := create(&stripe.QuoteCreateParams{LineItems: []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(once), Quantity: stripe.Int64(3)}}})
		inv := getInvoice(t, sc, q.Invoice.ID)
		if inv.Created != frozen.Unix() || inv.Status != stripe.InvoiceStatusDraft || inv.Total != 2400 || inv.TestClock == nil || inv.TestClock.ID != tc.ID {
			t.Fatalf("invoice on clock: created %d status %s total %d", inv.Created, inv.Status, inv.Total)
		}
		f.Advance(3 * time.Hour) // the fake's own clock: the draft waits
		if inv = getInvoice(t, sc, inv.ID); inv.Status != stripe.InvoiceStatusDraft {
			t.Fatalf("finalized on the wrong clock: %s", inv.Status)
		}
		if _, err := advanceClock(sc, tc.ID, frozen.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if inv = getInvoice(t, sc, inv.ID); inv.Status != stripe.InvoiceStatusPaid || inv.StatusTransitions.FinalizedAt != frozen.Add(time.Hour).Unix() {
			t.Errorf("after the clock advanced: %s finalized_at %d", inv.Status, inv.StatusTransitions.FinalizedAt)
		}

		// A trial: the recurring line is free upfront, the one-time line is not.
		now := frozen.Add(2 * time.Hour)
		q = create(&stripe.QuoteCreateParams{
			LineItems:        []*stripe.QuoteCreateLineItemParams{{Price: stripe.String(monthly)}, {Price: stripe.String(once)}},
			SubscriptionData: &stripe.QuoteCreateSubscriptionDataParams{TrialPeriodDays: stripe.Int64(14)},
		})
		if q.AmountTotal != 800 || q.Computed.Recurring == nil || q.Computed.Recurring.AmountTotal != 3000 {
			t.Errorf("trial quote totals: %d recurring %+v", q.AmountTotal, q.Computed.Recurring)
		}
		s, err := sc.V1Subscriptions.Retrieve(ctx, q.Subscription.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != stripe.SubscriptionStatusTrialing || s.TrialEnd != now.AddDate(0, 0, 14).Unix() {
			t.Errorf("subscription: %s trial_end %d", s.Status, s.TrialEnd)
		}
		if inv = getInvoice(t, sc, q.Invoice.ID); inv.Total != 800 {
			t.Errorf("first invoice total %d, want 800", inv.Total)
		}
	})
}
