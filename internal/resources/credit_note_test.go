package resources_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// openInvoice finalizes an invoice of amount for a customer with no
// payment method: it stays open.
func openInvoice(t *testing.T, sc *stripe.Client, amount int64) *stripe.Invoice {
	t.Helper()
	cu := invCustomer(t, sc, "", 0)
	inv := invDraft(t, sc, cu.ID, amount, false)
	inv, err := sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
	if err != nil || inv.Status != stripe.InvoiceStatusOpen {
		t.Fatalf("finalize: %v %+v", err, inv)
	}
	return inv
}

func TestCreditNotePrePayment(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		inv := openInvoice(t, sc, 1000)
		line := inv.Lines.Data[0].ID
		params := func() *stripe.CreditNoteCreateParams {
			return &stripe.CreditNoteCreateParams{
				Invoice: stripe.String(inv.ID), Reason: stripe.String("product_unsatisfactory"), Memo: stripe.String("Sorry"),
				Lines: []*stripe.CreditNoteCreateLineParams{{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300)}},
			}
		}

		// The preview answers the credit note without keeping anything.
		n := len(f.Events())
		pv, err := sc.V1CreditNotes.Preview(ctx, &stripe.CreditNotePreviewParams{
			Invoice: stripe.String(inv.ID),
			Lines:   []*stripe.CreditNotePreviewLineParams{{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300)}},
		})
		if err != nil || pv.Total != 300 || pv.PrePaymentAmount != 300 || pv.PostPaymentAmount != 0 || pv.Type != stripe.CreditNoteTypePrePayment || len(f.Events()) != n {
			t.Fatalf("preview %v %+v", err, pv)
		}
		pl := sc.V1CreditNotes.PreviewLines(ctx, &stripe.CreditNotePreviewLinesParams{
			Invoice: stripe.String(inv.ID),
			Lines:   []*stripe.CreditNotePreviewLinesLineParams{{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(line), Amount: stripe.Int64(300)}},
		})
		for l, err := range pl.All(ctx) {
			if err != nil || l.Amount != 300 || l.InvoiceLineItem != line {
				t.Fatalf("preview line %v %+v", err, l)
			}
		}
		if got := getInvoice(t, sc, inv.ID); got.AmountDue != 1000 || got.PrePaymentCreditNotesAmount != 0 {
			t.Fatalf("preview changed the invoice: %+v", got)
		}

		cn, err := sc.V1CreditNotes.Create(ctx, params())
		if err != nil {
			t.Fatal(err)
		}
		if cn.Amount != 300 || cn.PrePaymentAmount != 300 || cn.PostPaymentAmount != 0 || cn.Type != stripe.CreditNoteTypePrePayment ||
			cn.Status != stripe.CreditNoteStatusIssued || cn.Number != inv.Number+"-CN-01" || cn.Memo != "Sorry" ||
			cn.Reason != stripe.CreditNoteReasonProductUnsatisfactory || len(cn.Lines.Data) != 1 || cn.Lines.Data[0].InvoiceLineItem != line {
			t.Errorf("credit note %+v", cn)
		}
		f.AssertEvent(t, "credit_note.created", cn.ID)
		got := getInvoice(t, sc, inv.ID)
		if got.AmountDue != 700 || got.AmountRemaining != 700 || got.PrePaymentCreditNotesAmount != 300 || got.PostPaymentCreditNotesAmount != 0 || got.Status != stripe.InvoiceStatusOpen {
			t.Errorf("invoice after credit note: due=%d remaining=%d pre=%d post=%d %s", got.AmountDue, got.AmountRemaining, got.PrePaymentCreditNotesAmount, got.PostPaymentCreditNotesAmount, got.Status)
		}

		// The line cannot be credited beyond its amount; nothing changes.
		bad := params()
		bad.Lines[0].Amount = stripe.Int64(701)
		_, err = sc.V1CreditNotes.Create(ctx, bad)
		stripeErr(t, err, 400, "", "lines[0][amount]", "")
		_, err = sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID)})
		stripeErr(t, err, 400, "", "", "One of `amount`, `lines`, or `shipping_cost` must be provided.")
		_, err = sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Amount: stripe.Int64(100), CreditAmount: stripe.Int64(100)})
		stripeErr(t, err, 400, "", "", "")

		// Paying charges what remains.
		paid, err := sc.V1Invoices.Pay(ctx, inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")})
		if err != nil || paid.Status != stripe.InvoiceStatusPaid || paid.AmountPaid != 700 {
			t.Fatalf("pay %v %+v", err, paid)
		}

		// A pre-payment credit note on a paid invoice's sibling: credit to zero settles it.
		inv2 := openInvoice(t, sc, 500)
		cn2, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv2.ID), Amount: stripe.Int64(500)})
		if err != nil || cn2.Lines.Data[0].Type != stripe.CreditNoteLineItemTypeCustomLineItem {
			t.Fatalf("credit to zero %v %+v", err, cn2)
		}
		if got := getInvoice(t, sc, inv2.ID); got.Status != stripe.InvoiceStatusPaid || got.AmountRemaining != 0 || got.AmountPaid != 0 || got.PrePaymentCreditNotesAmount != 500 {
			t.Errorf("invoice credited to zero %+v", got)
		}
		f.AssertEvent(t, "invoice.paid", inv2.ID)
		_, err = sc.V1CreditNotes.VoidCreditNote(ctx, cn2.ID, nil)
		stripeErr(t, err, 400, "", "", "")

		// A draft takes no credit note.
		cu := invCustomer(t, sc, "", 0)
		draft := invDraft(t, sc, cu.ID, 100, false)
		_, err = sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(draft.ID), Amount: stripe.Int64(10)})
		stripeErr(t, err, 400, "", "invoice", "")
	})
}

func TestCreditNotePostPayment(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		inv, pi := paidInvoice(t, sc, 1000)
		chID := pi.LatestCharge.ID

		// The split must add up to the post-payment amount.
		_, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Amount: stripe.Int64(600), RefundAmount: stripe.Int64(200)})
		stripeErr(t, err, 400, "", "", "The sum of refunds, credit_amount and out_of_band_amount (2.00 USD) must equal the credit note's post_payment_amount (6.00 USD).")

		cn, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{
			Invoice: stripe.String(inv.ID), Amount: stripe.Int64(600),
			RefundAmount: stripe.Int64(200), CreditAmount: stripe.Int64(300), OutOfBandAmount: stripe.Int64(100),
		})
		if err != nil {
			t.Fatal(err)
		}
		if cn.Type != stripe.CreditNoteTypePostPayment || cn.PostPaymentAmount != 600 || cn.PrePaymentAmount != 0 || cn.OutOfBandAmount != 100 ||
			len(cn.Refunds) != 1 || cn.Refunds[0].AmountRefunded != 200 || cn.CustomerBalanceTransaction == nil {
			t.Fatalf("credit note %+v", cn)
		}
		ch, _ := sc.V1Charges.Retrieve(ctx, chID, nil)
		if ch.AmountRefunded != 200 || ch.Refunded {
			t.Errorf("charge %+v", ch)
		}
		f.AssertEvent(t, "charge.refunded", chID)
		cu, _ := sc.V1Customers.Retrieve(ctx, inv.Customer.ID, nil)
		if cu.Balance != -300 {
			t.Errorf("balance %d", cu.Balance)
		}
		txn, err := sc.V1CustomerBalanceTransactions.Retrieve(ctx, cn.CustomerBalanceTransaction.ID, &stripe.CustomerBalanceTransactionRetrieveParams{Customer: stripe.String(cu.ID)})
		if err != nil || txn.Type != stripe.CustomerBalanceTransactionTypeCreditNote || txn.Amount != -300 || txn.CreditNote == nil || txn.CreditNote.ID != cn.ID {
			t.Fatalf("balance transaction %v %+v", err, txn)
		}
		got := getInvoice(t, sc, inv.ID)
		if got.PostPaymentCreditNotesAmount != 600 || got.AmountDue != 1000 || got.AmountPaid != 1000 {
			t.Errorf("invoice %+v", got)
		}

		// No more than what is left of the invoice.
		_, err = sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Amount: stripe.Int64(401), OutOfBandAmount: stripe.Int64(401)})
		stripeErr(t, err, 400, "", "amount", "")
		// A credit note with a refund cannot be voided.
		_, err = sc.V1CreditNotes.VoidCreditNote(ctx, cn.ID, nil)
		stripeErr(t, err, 400, "", "", "")

		// Credit only: voiding debits the balance back.
		cn2, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Amount: stripe.Int64(100), CreditAmount: stripe.Int64(100)})
		if err != nil || cn2.Number != inv.Number+"-CN-02" {
			t.Fatalf("second %v %+v", err, cn2)
		}
		void, err := sc.V1CreditNotes.VoidCreditNote(ctx, cn2.ID, nil)
		if err != nil || void.Status != stripe.CreditNoteStatusVoid || void.VoidedAt == 0 {
			t.Fatalf("void %v %+v", err, void)
		}
		f.AssertEvent(t, "credit_note.voided", cn2.ID)
		cu, _ = sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if got := getInvoice(t, sc, inv.ID); cu.Balance != -300 || got.PostPaymentCreditNotesAmount != 600 {
			t.Errorf("after void: balance %d post %d", cu.Balance, got.PostPaymentCreditNotesAmount)
		}

		// Update, list by invoice and customer, lines, PDF.
		up, err := sc.V1CreditNotes.Update(ctx, cn.ID, &stripe.CreditNoteUpdateParams{Memo: stripe.String("Refund for the outage")})
		if err != nil || up.Memo != "Refund for the outage" {
			t.Fatalf("update %v %+v", err, up)
		}
		f.AssertEvent(t, "credit_note.updated", cn.ID)
		listed := ids(t, sc.V1CreditNotes.List(ctx, &stripe.CreditNoteListParams{Invoice: stripe.String(inv.ID)}).All(ctx))
		if len(listed) != 2 || listed[0] != cn2.ID {
			t.Errorf("by invoice %v", listed)
		}
		n := len(ids(t, sc.V1CreditNotes.List(ctx, &stripe.CreditNoteListParams{Customer: stripe.String(cu.ID)}).All(ctx)))
		if n != 2 {
			t.Errorf("by customer %d", n)
		}
		lines := 0
		for l, err := range sc.V1CreditNotes.ListLines(ctx, &stripe.CreditNoteListLinesParams{CreditNote: stripe.String(cn.ID)}).All(ctx) {
			if err != nil || l.Amount != 600 {
				t.Fatalf("lines %v %+v", err, l)
			}
			lines++
		}
		if lines != 1 {
			t.Errorf("credit note lines: %d, want 1", lines)
		}
		resp, err := http.Get(cn.PDF)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "%PDF-1.4") || !strings.Contains(string(body), cn.Number) {
			t.Errorf("pdf %d %.80q", resp.StatusCode, body)
		}
	})
}

// On a test clock, credit notes, refunds and payment intents carry the
// clock's time.
func TestCreditNoteAndPaymentsOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tc := newClock(t, sc, clockStart, "")
		cu := customerOn(t, sc, tc.ID)
		if _, err := advanceClock(sc, tc.ID, clockStart.Add(48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		at := clockStart.Add(48 * time.Hour).Unix()
		pi := newPI(t, sc, &stripe.PaymentIntentCreateParams{Customer: stripe.String(cu.ID), PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
		if pi.Created != at {
			t.Errorf("payment intent created %d, want clock time %d", pi.Created, at)
		}
		r, err := sc.V1Refunds.Create(ctx, &stripe.RefundCreateParams{PaymentIntent: stripe.String(pi.ID), Amount: stripe.Int64(100)})
		if err != nil || r.Created != at {
			t.Fatalf("refund %v created %d want %d", err, r.Created, at)
		}
		inv := invDraft(t, sc, cu.ID, 800, false)
		if inv, err = sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil); err != nil {
			t.Fatal(err)
		}
		cn, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Amount: stripe.Int64(100)})
		if err != nil || cn.Created != at || cn.EffectiveAt != at {
			t.Fatalf("credit note %v created %d want %d", err, cn.Created, at)
		}
	})
}

// cnTaxes are a credit note line's tax amounts and taxable amounts, in
// order.
func cnTaxes(l *stripe.CreditNoteLineItem) (amounts, taxable []int64) {
	for _, tx := range l.Taxes {
		amounts, taxable = append(amounts, tx.Amount), append(taxable, tx.TaxableAmount)
	}
	return amounts, taxable
}

// TestCreditNoteDiscountsAndTaxes credits a discounted, taxed invoice in
// three notes, checked against cents worked by hand:
//
//	line A: 1000, 10% coupon 100, exclusive 10% on 900 = 90   → 990
//	line B: 3 × 333 = 999, inclusive 20%: net 833, tax 166    → 999
//	invoice total 1999 − 100 + 90 = 1989
//
// Note 1, A by amount 335 (ratio 0.335): discount 33.5 → 34 (half away),
// tax 30.15 → 30 on taxable 301.5 → 302; B by quantity 1 (333): tax
// 55.33 → 55 on 277.67 → 278. subtotal 668, total 668 − 34 + 30 = 664.
// Note 2, the rest of A (665): discount 100 − 34 = 66, tax 90 − 30 = 60,
// taxable 600 − 2 = 598: total 659. Note 3, B's last 2 units: tax 111,
// total 666, which settles the invoice (1989 − 664 − 659 = 666).
func TestCreditNoteDiscountsAndTaxes(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu := invCustomer(t, sc, "", 0)
		sales := newTaxRate(t, sc, "Sales tax", 10, false)
		vat := newTaxRate(t, sc, "VAT", 20, true)
		tenPct := newCoupon(t, sc, percentOff(10, "once", 0))
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID), Amount: stripe.Int64(1000), Currency: stripe.String("usd"),
			Discounts: []*stripe.InvoiceItemCreateDiscountParams{{Coupon: stripe.String(tenPct.ID)}}, TaxRates: []*string{stripe.String(sales.ID)},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
			Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID), Quantity: stripe.Int64(3), UnitAmountDecimal: stripe.Float64(333),
			Currency: stripe.String("usd"), TaxRates: []*string{stripe.String(vat.ID)},
		}); err != nil {
			t.Fatal(err)
		}
		inv, err = sc.V1Invoices.FinalizeInvoice(ctx, inv.ID, nil)
		if err != nil || inv.Total != 1989 || inv.AmountDue != 1989 {
			t.Fatalf("finalize %v total=%d", err, inv.Total)
		}
		var lineA, lineB string
		for _, l := range inv.Lines.Data {
			if l.Amount == 1000 {
				lineA = l.ID
			} else {
				lineB = l.ID
			}
		}
		discountID := inv.Lines.Data[0].DiscountAmounts[0].Discount.ID
		if inv.Lines.Data[0].Amount != 1000 {
			discountID = inv.Lines.Data[1].DiscountAmounts[0].Discount.ID
		}

		// Note 1 through the preview first: the same numbers, nothing kept.
		n := len(f.Events())
		pv, err := sc.V1CreditNotes.Preview(ctx, &stripe.CreditNotePreviewParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNotePreviewLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineA), Amount: stripe.Int64(335)},
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineB), Quantity: stripe.Int64(1)},
		}})
		if err != nil || pv.Total != 664 || pv.DiscountAmount != 34 || len(f.Events()) != n {
			t.Fatalf("preview %v %+v", err, pv)
		}
		previewed := 0
		for l, err := range sc.V1CreditNotes.PreviewLines(ctx, &stripe.CreditNotePreviewLinesParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNotePreviewLinesLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineA), Amount: stripe.Int64(335)},
		}}).All(ctx) {
			if err != nil || l.DiscountAmount != 34 || len(l.Taxes) != 1 || l.Taxes[0].Amount != 30 {
				t.Fatalf("preview line %v %+v", err, l)
			}
			previewed++
		}
		if previewed != 1 {
			t.Errorf("%d preview lines, want 1", previewed)
		}

		cn1, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineA), Amount: stripe.Int64(335)},
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineB), Quantity: stripe.Int64(1)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		a, b := cn1.Lines.Data[0], cn1.Lines.Data[1]
		aTax, aTaxable := cnTaxes(a)
		bTax, bTaxable := cnTaxes(b)
		if a.Amount != 335 || a.DiscountAmount != 34 || len(a.DiscountAmounts) != 1 || a.DiscountAmounts[0].Amount != 34 || a.DiscountAmounts[0].Discount.ID != discountID ||
			len(a.PretaxCreditAmounts) != 1 || a.PretaxCreditAmounts[0].Amount != 34 ||
			fmt.Sprint(aTax, aTaxable) != "[30] [302]" || a.Taxes[0].TaxBehavior != "exclusive" || len(a.TaxRates) != 1 || a.TaxRates[0].ID != sales.ID {
			t.Errorf("note 1 line A: %+v taxes %v %v", a, aTax, aTaxable)
		}
		if b.Amount != 333 || b.DiscountAmount != 0 || fmt.Sprint(bTax, bTaxable) != "[55] [278]" || b.Taxes[0].TaxBehavior != "inclusive" {
			t.Errorf("note 1 line B: %+v taxes %v %v", b, bTax, bTaxable)
		}
		if cn1.Subtotal != 668 || cn1.DiscountAmount != 34 || cn1.Total != 664 || cn1.Amount != 664 || cn1.SubtotalExcludingTax != 613 ||
			cn1.TotalExcludingTax != 579 || len(cn1.DiscountAmounts) != 1 || cn1.DiscountAmounts[0].Amount != 34 || len(cn1.TotalTaxes) != 2 ||
			cn1.TotalTaxes[0].Amount != 30 || cn1.TotalTaxes[1].Amount != 55 || cn1.PrePaymentAmount != 664 {
			t.Errorf("note 1: %+v", cn1)
		}
		if got := getInvoice(t, sc, inv.ID); got.AmountDue != 1325 {
			t.Errorf("amount_due after note 1 = %d, want 1325", got.AmountDue)
		}

		// Beyond what is left of line A: refused, nothing changes.
		_, err = sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineA), Amount: stripe.Int64(666)},
		}})
		stripeErr(t, err, 400, "", "lines[0][amount]", "")

		// Note 2 finishes line A: the remainders.
		cn2, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineA)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		a = cn2.Lines.Data[0]
		aTax, aTaxable = cnTaxes(a)
		if a.Amount != 665 || a.DiscountAmount != 66 || fmt.Sprint(aTax, aTaxable) != "[60] [598]" || cn2.Total != 659 || cn2.TotalExcludingTax != 599 {
			t.Errorf("note 2: total=%d line %+v taxes %v %v", cn2.Total, a, aTax, aTaxable)
		}

		// Note 3, B's last two units, settles the invoice.
		cn3, err := sc.V1CreditNotes.Create(ctx, &stripe.CreditNoteCreateParams{Invoice: stripe.String(inv.ID), Lines: []*stripe.CreditNoteCreateLineParams{
			{Type: stripe.String("invoice_line_item"), InvoiceLineItem: stripe.String(lineB), Quantity: stripe.Int64(2)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		bTax, _ = cnTaxes(cn3.Lines.Data[0])
		if cn3.Total != 666 || fmt.Sprint(bTax) != "[111]" || cn3.SubtotalExcludingTax != 555 {
			t.Errorf("note 3: %+v taxes %v", cn3, bTax)
		}
		if got := getInvoice(t, sc, inv.ID); got.Status != stripe.InvoiceStatusPaid || got.AmountRemaining != 0 || got.PrePaymentCreditNotesAmount != 1989 {
			t.Errorf("invoice after the notes: %s remaining=%d pre=%d", got.Status, got.AmountRemaining, got.PrePaymentCreditNotesAmount)
		}
		// Retrieved, the stored note keeps its amounts.
		// Expansion reaches the discount through the discount_amounts array.
		got, err := sc.V1CreditNotes.Retrieve(ctx, cn1.ID, &stripe.CreditNoteRetrieveParams{Expand: []*string{stripe.String("discount_amounts.discount")}})
		if err != nil || got.Total != 664 || got.DiscountAmounts[0].Discount.ID != discountID || got.DiscountAmounts[0].Discount.Source == nil ||
			got.DiscountAmounts[0].Discount.Source.Coupon.ID != tenPct.ID || len(got.TotalTaxes) != 2 || got.Lines.Data[0].Taxes[0].TaxableAmount != 302 {
			t.Errorf("retrieve %v %+v", err, got)
		}
	})
}
