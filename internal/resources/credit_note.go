package resources

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Credit notes: adjustments of a finalized invoice
// (https://docs.stripe.com/api/credit_notes/create).
//
// A credit note first reduces the invoice's amount_remaining (and
// amount_due), not below zero: that part is its pre_payment_amount. The
// rest, post_payment_amount, must be split exactly into refund_amount (a
// new refund of the invoice's charge) and refunds[] (existing refunds
// linked), credit_amount (a credit_note transaction on the customer
// balance) and out_of_band_amount. type is pre_payment, post_payment or
// mixed accordingly. The invoice's pre_payment_credit_notes_amount and
// post_payment_credit_notes_amount add them up. The amount comes from
// lines (invoice lines, by quantity or amount, or custom lines) or from
// amount.
//
// Decisions on points the reference does not confirm:
//   - Credit notes are refused on draft and void invoices; on open and
//     uncollectible ones the pre-payment part applies; a credit note that
//     brings amount_remaining to zero marks the invoice paid, as paying out
//     of band does (payment intent canceled, invoice.paid), without
//     amount_paid.
//   - The open invoice's payment intent follows amount_remaining.
//   - A credit note by amount has one custom_line_item line of that amount.
//   - An invoice line with neither quantity nor amount is credited whole;
//     no line can be credited beyond its amount across credit notes, nor
//     the invoice beyond its total. A line credits its share of the
//     invoice line's discounts and taxes (credit_note_amounts.go).
//   - number is the invoice number followed by -CN-01, -CN-02, ...
//   - Void reverses what can be: the pre-payment part goes back onto an
//     invoice that is still open, the customer balance credit is debited
//     back (a credit_note transaction), out of band needs nothing; a
//     credit note with a refund, or whose pre-payment part settled the
//     invoice, cannot be voided.
//   - Events: credit_note.created, credit_note.updated, credit_note.voided,
//     with the invoice's invoice.updated (and invoice.paid) and the
//     refund's and customer's own events.
//   - pdf is a one-page PDF served by the fake, laid out like the quote's.
//   - Error wordings are UNCONFIRMED except "One of `amount`, `lines`, or
//     `shipping_cost` must be provided." (the spec's own description).

const (
	kindCreditNote         = "credit_note"
	kindCreditNoteLineItem = "credit_note_line_item"
)

// creditNoteLinesShown is how many lines a credit note embeds.
const creditNoteLinesShown = 10

// CreditNote is Stripe's credit_note (dahlia shape).
type CreditNote struct {
	ID                         string             `json:"id"`
	Object                     string             `json:"object"`
	Amount                     int64              `json:"amount"`
	AmountShipping             int64              `json:"amount_shipping"`
	Created                    int64              `json:"created"`
	Currency                   string             `json:"currency"`
	Customer                   string             `json:"customer"`
	CustomerAccount            *string            `json:"customer_account"`
	CustomerBalanceTransaction *string            `json:"customer_balance_transaction"`
	DiscountAmount             int64              `json:"discount_amount"`
	DiscountAmounts            []any              `json:"discount_amounts"`
	EffectiveAt                *int64             `json:"effective_at"`
	Invoice                    string             `json:"invoice"`
	Lines                      *CreditNoteLines   `json:"lines"`
	Livemode                   bool               `json:"livemode"`
	Memo                       *string            `json:"memo"`
	Metadata                   map[string]string  `json:"metadata"`
	Number                     string             `json:"number"`
	OutOfBandAmount            *int64             `json:"out_of_band_amount"`
	PDF                        string             `json:"pdf"`
	PostPaymentAmount          int64              `json:"post_payment_amount"`
	PrePaymentAmount           int64              `json:"pre_payment_amount"`
	PretaxCreditAmounts        []any              `json:"pretax_credit_amounts"`
	Reason                     *string            `json:"reason"`
	Refunds                    []CreditNoteRefund `json:"refunds"`
	ShippingCost               map[string]any     `json:"shipping_cost"`
	Status                     string             `json:"status"`
	Subtotal                   int64              `json:"subtotal"`
	SubtotalExcludingTax       *int64             `json:"subtotal_excluding_tax"`
	Total                      int64              `json:"total"`
	TotalExcludingTax          *int64             `json:"total_excluding_tax"`
	TotalTaxes                 []any              `json:"total_taxes"`
	Type                       string             `json:"type"`
	VoidedAt                   *int64             `json:"voided_at"`
	CreditAmount               int64              `json:"_credit_amount,omitempty"` // stored only
	PaidInvoice                bool               `json:"_paid_invoice,omitempty"`  // stored only: it settled the invoice
}

// CreditNoteLines is credit_note.lines.
type CreditNoteLines struct {
	Object  string                `json:"object"`
	Data    []*CreditNoteLineItem `json:"data"`
	HasMore bool                  `json:"has_more"`
	URL     string                `json:"url"`
}

// CreditNoteLineItem is Stripe's credit_note_line_item.
type CreditNoteLineItem struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Amount              int64             `json:"amount"`
	Description         *string           `json:"description"`
	DiscountAmount      int64             `json:"discount_amount"`
	DiscountAmounts     []any             `json:"discount_amounts"`
	InvoiceLineItem     *string           `json:"invoice_line_item,omitempty"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	PretaxCreditAmounts []any             `json:"pretax_credit_amounts"`
	Quantity            *int64            `json:"quantity"`
	TaxRates            []any             `json:"tax_rates"`
	Taxes               []any             `json:"taxes"`
	Type                string            `json:"type"`
	UnitAmount          *int64            `json:"unit_amount"`
	UnitAmountDecimal   *string           `json:"unit_amount_decimal"`
}

// CreditNoteRefund is an entry of credit_note.refunds.
type CreditNoteRefund struct {
	AmountRefunded      int64          `json:"amount_refunded"`
	PaymentRecordRefund map[string]any `json:"payment_record_refund"`
	Refund              string         `json:"refund"`
	Type                string         `json:"type"`
}

// wire renders the credit note: no stored-only fields, the first lines.
func (cn *CreditNote) wire(string) any {
	out := *cn
	out.CreditAmount = 0
	out.PaidInvoice = false
	if cn.Lines != nil {
		lines := *cn.Lines
		if len(lines.Data) > creditNoteLinesShown {
			lines.Data = lines.Data[:creditNoteLinesShown]
			lines.HasMore = true
		}
		out.Lines = &lines
	}
	return &out
}

func saveCreditNote(c *Ctx, cn *CreditNote) error {
	return c.save(kindCreditNote, cn.ID, cn, "invoice="+cn.Invoice, "customer="+cn.Customer)
}

func init() { families = append(families, registerCreditNotes) }

func registerCreditNotes(e *Engine) {
	e.kind(Kind{Object: kindCreditNote, Load: loader[CreditNote](kindCreditNote)})
	e.route(Route{Method: "POST", Pattern: "/v1/credit_notes", Handle: createCreditNote})
	e.route(Route{Method: "GET", Pattern: "/v1/credit_notes", Read: true, Handle: listCreditNotes})
	e.route(Route{Method: "GET", Pattern: "/v1/credit_notes/preview", Read: true, Handle: func(c *Ctx) (any, error) {
		cn, _, err := previewCreditNote(c)
		return cn, err
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/credit_notes/preview/lines", Read: true, Handle: func(c *Ctx) (any, error) {
		cn, _, err := previewCreditNote(c)
		if err != nil {
			return nil, err
		}
		return page(c, "/v1/credit_notes/preview/lines", cn.Lines.Data, lineMeta)
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/credit_notes/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[CreditNote](c, kindCreditNote, c.Var("id"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/credit_notes/{id}", Handle: updateCreditNote})
	e.route(Route{Method: "POST", Pattern: "/v1/credit_notes/{id}/void", Handle: voidCreditNote})
	e.route(Route{Method: "GET", Pattern: "/v1/credit_notes/{credit_note}/lines", Read: true, Handle: func(c *Ctx) (any, error) {
		cn, err := get[CreditNote](c, kindCreditNote, c.Var("credit_note"), "id")
		if err != nil {
			return nil, err
		}
		return page(c, "/v1/credit_notes/"+cn.ID+"/lines", cn.Lines.Data, lineMeta)
	}})
	e.page("credit_notes/", creditNotePDFPage)
}

// lineMeta orders credit note lines as they were given: all share the
// credit note's creation time, so page keeps their order.
func lineMeta(l *CreditNoteLineItem) (string, int64) { return l.ID, 0 }

// creditSplit is how a credit note's post-payment amount is settled.
type creditSplit struct {
	refund, credit, outOfBand int64
	linked                    []CreditNoteRefund // existing refunds, refunds[]
	hasOutOfBand              bool
}

// creditNoteDraft is a computed credit note, before it is issued.
type creditNoteDraft struct {
	cn    *CreditNote
	inv   *Invoice
	split creditSplit
}

// previewCreditNote computes the request's credit note without storing
// anything: IDs are derived from the invoice, not drawn.
func previewCreditNote(c *Ctx) (*CreditNote, *Invoice, error) {
	n := uint64(0)
	d, err := buildCreditNote(c, func(prefix string) (string, error) {
		n++
		return c.e.ids.Format(prefix, hashString(c.Params.Str("invoice"))+n), nil
	})
	if err != nil {
		return nil, nil, err
	}
	return d.cn, d.inv, nil
}

// buildCreditNote validates the request (create or preview) and computes
// the credit note; newID draws its IDs.
func buildCreditNote(c *Ctx, newID func(string) (string, error)) (*creditNoteDraft, error) {
	p := c.Params
	if err := unsupported(p, "shipping_cost"); err != nil {
		return nil, err
	}
	invID, err := p.Require("invoice")
	if err != nil {
		return nil, err
	}
	inv, err := loadInvoice(c, invID, "invoice")
	if err != nil {
		return nil, err
	}
	if err := onTimelineOf(c, inv.Customer, inv.TestClock); err != nil {
		return nil, err
	}
	status := inv.status()
	if status == invoiceDraft || status == invoiceVoid {
		return nil, apierr.InvalidRequest("invoice", fmt.Sprintf("You can only create credit notes for finalized invoices that are open, paid or uncollectible. This invoice is %s.", status))
	}
	_, byAmount := p.Int("amount")
	byLines := p.Has("lines")
	switch {
	case byAmount && byLines:
		return nil, apierr.InvalidRequest("amount", "You may only specify one of these parameters: amount, lines.")
	case !byAmount && !byLines:
		return nil, apierr.InvalidRequest("", "One of `amount`, `lines`, or `shipping_cost` must be provided.")
	}
	issued, err := scan(c, kindCreditNote, "invoice="+inv.ID, func(cn *CreditNote) bool { return cn.Status == "issued" })
	if err != nil {
		return nil, err
	}
	id, err := newID("cn")
	if err != nil {
		return nil, err
	}
	now := c.Unix()
	cn := &CreditNote{
		ID: id, Object: kindCreditNote, Created: now, Currency: inv.Currency, Customer: inv.Customer,
		DiscountAmounts: []any{}, EffectiveAt: &now, Invoice: inv.ID, Memo: p.NullableString("memo"),
		Number:              fmt.Sprintf("%s-CN-%02d", deref(inv.Number), len(issued)+1),
		PDF:                 c.e.pageURL("credit_notes/" + id + "/pdf"),
		PretaxCreditAmounts: []any{}, Refunds: []CreditNoteRefund{}, Status: "issued", TotalTaxes: []any{},
	}
	if at, ok := p.Int("effective_at"); ok {
		cn.EffectiveAt = &at
	}
	if v, ok := p.String("reason"); ok {
		cn.Reason = &v
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	cn.Metadata = md
	var lines []*CreditNoteLineItem
	if byAmount {
		amount, _ := p.Int("amount")
		if amount < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", "amount", "Invalid positive integer")
		}
		lid, err := newID("cnli")
		if err != nil {
			return nil, err
		}
		lines = []*CreditNoteLineItem{newCreditNoteLine(lid, "custom_line_item", amount, nil, new(int64(1)), &amount)}
	} else {
		if lines, err = creditNoteLines(c, inv, issued, newID); err != nil {
			return nil, err
		}
	}
	cn.Lines = &CreditNoteLines{Object: "list", Data: lines, URL: "/v1/credit_notes/" + id + "/lines"}
	setCreditNoteTotals(cn)
	total := cn.Total

	var credited int64
	for _, o := range issued {
		credited += o.Total
	}
	if left := inv.Total - credited; total > left {
		return nil, apierr.InvalidRequest("amount", fmt.Sprintf("The credit note total (%s) exceeds what can still be credited on invoice %s (%s).",
			formatMoney(total, inv.Currency), inv.ID, formatMoney(max(left, 0), inv.Currency)))
	}
	if status == invoiceOpen || status == invoiceUncollectible {
		cn.PrePaymentAmount = min(total, inv.AmountRemaining)
	}
	cn.PostPaymentAmount = total - cn.PrePaymentAmount
	switch {
	case cn.PostPaymentAmount == 0:
		cn.Type = "pre_payment"
	case cn.PrePaymentAmount == 0:
		cn.Type = "post_payment"
	default:
		cn.Type = "mixed"
	}
	split, err := creditNoteSplit(c, inv, cn.PostPaymentAmount)
	if err != nil {
		return nil, err
	}
	if split.hasOutOfBand {
		cn.OutOfBandAmount = new(split.outOfBand)
	}
	cn.CreditAmount = split.credit
	return &creditNoteDraft{cn: cn, inv: inv, split: split}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func newCreditNoteLine(id, typ string, amount int64, desc *string, qty, unit *int64) *CreditNoteLineItem {
	l := &CreditNoteLineItem{
		ID: id, Object: kindCreditNoteLineItem, Amount: amount, Description: desc, DiscountAmounts: []any{},
		Metadata: map[string]string{}, PretaxCreditAmounts: []any{}, Quantity: qty, TaxRates: []any{}, Taxes: []any{},
		Type: typ, UnitAmount: unit,
	}
	if unit != nil {
		l.UnitAmountDecimal = new(strconv.FormatInt(*unit, 10))
	}
	return l
}

// creditNoteLines builds the lines[] of the request, checking that no
// invoice line is credited beyond its amount.
func creditNoteLines(c *Ctx, inv *Invoice, issued []*CreditNote, newID func(string) (string, error)) ([]*CreditNoteLineItem, error) {
	prior := priorLineCredits(issued)
	creditedByLine := map[string]int64{}
	for id, pc := range prior {
		creditedByLine[id] = pc.gross
	}
	invLines := map[string]*LineItem{}
	for _, l := range inv.Lines.Data {
		invLines[l.ID] = l
	}
	var out []*CreditNoteLineItem
	for _, lp := range c.Params.List("lines") {
		if err := unsupported(lp, "tax_amounts", "tax_rates"); err != nil {
			return nil, err
		}
		id, err := newID("cnli")
		if err != nil {
			return nil, err
		}
		amount, hasAmount := lp.Int("amount")
		qty, hasQty := lp.Int("quantity")
		if hasAmount && amount < 0 {
			return nil, apierr.Invalid("parameter_invalid_integer", lp.Path("amount"), "Invalid positive integer")
		}
		if hasQty && qty < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", lp.Path("quantity"), "Invalid positive integer")
		}
		var l *CreditNoteLineItem
		switch lp.Str("type") {
		case "invoice_line_item":
			ref, err := lp.Require("invoice_line_item")
			if err != nil {
				return nil, err
			}
			il, ok := invLines[ref]
			if !ok {
				return nil, apierr.InvalidRequest(lp.Path("invoice_line_item"), fmt.Sprintf("Invoice line item %s does not belong to invoice %s.", ref, inv.ID))
			}
			unit := lineUnitAmount(il)
			switch {
			case hasAmount && hasQty:
				return nil, apierr.InvalidRequest(lp.Path("amount"), "You may only specify one of these parameters: amount, quantity.")
			case hasQty:
				if il.Quantity != nil && qty > *il.Quantity {
					return nil, apierr.InvalidRequest(lp.Path("quantity"), fmt.Sprintf("The quantity (%d) cannot be greater than the quantity of invoice line item %s (%d).", qty, ref, *il.Quantity))
				}
				amount = unit * qty
			case !hasAmount:
				amount = il.Amount - creditedByLine[ref]
			}
			if creditedByLine[ref]+amount > il.Amount {
				return nil, apierr.InvalidRequest(lp.Path("amount"), fmt.Sprintf("The amount to credit (%s) exceeds what remains to be credited on invoice line item %s (%s).",
					formatMoney(amount, inv.Currency), ref, formatMoney(il.Amount-creditedByLine[ref], inv.Currency)))
			}
			creditedByLine[ref] += amount
			var qp *int64
			if hasQty {
				qp = &qty
			} else if !hasAmount {
				qp = il.Quantity
			}
			var up *int64
			if qp != nil {
				up = &unit
			}
			l = newCreditNoteLine(id, "invoice_line_item", amount, il.Description, qp, up)
			l.InvoiceLineItem = &ref
			if prior[ref] == nil {
				prior[ref] = newLineCredits()
			}
			if err := creditLineShares(c, l, il, prior[ref]); err != nil {
				return nil, err
			}
			prior[ref].add(l)
		case "custom_line_item":
			desc, err := lp.Require("description")
			if err != nil {
				return nil, err
			}
			if hasAmount {
				return nil, unsupported(lp, "amount") // custom lines are priced by unit_amount and quantity
			}
			unit, ok := lp.Int("unit_amount")
			if !ok {
				return nil, apierr.MissingParam(lp.Path("unit_amount"))
			}
			if !hasQty {
				qty = 1
			}
			l = newCreditNoteLine(id, "custom_line_item", unit*qty, &desc, &qty, &unit)
		default:
			return nil, apierr.MissingParam(lp.Path("type"))
		}
		if err := checkMetadata(lp); err != nil {
			return nil, err
		}
		if md := lp.StringMap("metadata"); md != nil {
			l.Metadata = md
		}
		out = append(out, l)
	}
	return out, nil
}

// lineUnitAmount is an invoice line's amount per unit.
func lineUnitAmount(l *LineItem) int64 {
	if l.Pricing != nil && l.Pricing.UnitAmountDecimal != nil {
		if n, err := strconv.ParseInt(strings.TrimSuffix(*l.Pricing.UnitAmountDecimal, ".0"), 10, 64); err == nil {
			return n
		}
	}
	if l.Quantity != nil && *l.Quantity > 0 {
		return l.Amount / *l.Quantity
	}
	return l.Amount
}

// creditNoteSplit reads refund_amount, refunds[], credit_amount and
// out_of_band_amount and checks they add up to post.
func creditNoteSplit(c *Ctx, inv *Invoice, post int64) (creditSplit, error) {
	p := c.Params
	var s creditSplit
	for _, k := range []string{"refund_amount", "credit_amount", "out_of_band_amount"} {
		if n, ok := p.Int(k); ok && n < 0 {
			return s, apierr.Invalid("parameter_invalid_integer", k, "Invalid positive integer")
		}
	}
	s.refund, _ = p.Int("refund_amount")
	s.credit, _ = p.Int("credit_amount")
	s.outOfBand, s.hasOutOfBand = p.Int("out_of_band_amount")
	var linked int64
	for _, rp := range p.List("refunds") {
		if rp.Str("type") == "payment_record_refund" || rp.Has("payment_record_refund") {
			return s, unsupported(rp, "payment_record_refund", "type")
		}
		id, err := rp.Require("refund")
		if err != nil {
			return s, err
		}
		r, err := get[Refund](c, kindRefund, id, rp.Path("refund"))
		if err != nil {
			return s, err
		}
		if ch, _ := invoiceCharge(c, inv); ch == nil || r.Charge == nil || *r.Charge != ch.ID {
			return s, apierr.InvalidRequest(rp.Path("refund"), fmt.Sprintf("Refund %s is not a refund of invoice %s's payment.", id, inv.ID))
		}
		amount := r.Amount
		if n, ok := rp.Int("amount_refunded"); ok {
			if n < 1 || n > r.Amount {
				return s, apierr.InvalidRequest(rp.Path("amount_refunded"), fmt.Sprintf("amount_refunded must be between 1 and the refund's amount (%d).", r.Amount))
			}
			amount = n
		}
		linked += amount
		s.linked = append(s.linked, CreditNoteRefund{AmountRefunded: amount, Refund: id, Type: "refund"})
	}
	if sum := s.refund + linked + s.credit + s.outOfBand; sum != post {
		return s, apierr.InvalidRequest("", fmt.Sprintf("The sum of refunds, credit_amount and out_of_band_amount (%s) must equal the credit note's post_payment_amount (%s).",
			formatMoney(sum, inv.Currency), formatMoney(post, inv.Currency)))
	}
	return s, nil
}

// invoiceCharge is the succeeded charge that paid inv, nil if none.
func invoiceCharge(c *Ctx, inv *Invoice) (*Charge, error) {
	if inv.PaymentIntent == "" {
		return nil, nil
	}
	pi, err := get[PaymentIntent](c, kindPaymentIntent, inv.PaymentIntent, "payment_intent")
	if err != nil || pi.Status != "succeeded" || pi.LatestCharge == nil {
		return nil, err
	}
	return get[Charge](c, kindCharge, *pi.LatestCharge, "charge")
}

func createCreditNote(c *Ctx) (any, error) {
	d, err := buildCreditNote(c, c.NewID)
	if err != nil {
		return nil, err
	}
	cn, inv, s := d.cn, d.inv, d.split
	if s.refund > 0 {
		ch, err := invoiceCharge(c, inv)
		if err != nil {
			return nil, err
		}
		if ch == nil {
			return nil, apierr.InvalidRequest("refund_amount", fmt.Sprintf("Invoice %s has no payment to refund.", inv.ID))
		}
		r, err := refundCharge(c, ch, s.refund, refundDetails{})
		if err != nil {
			return nil, err
		}
		cn.Refunds = append(cn.Refunds, CreditNoteRefund{AmountRefunded: s.refund, Refund: r.ID, Type: "refund"})
	}
	cn.Refunds = append(cn.Refunds, s.linked...)
	if s.credit > 0 {
		t, err := creditNoteBalance(c, cn, -s.credit)
		if err != nil {
			return nil, err
		}
		cn.CustomerBalanceTransaction = &t.ID
	}
	if err := applyCreditNoteToInvoice(c, cn, inv, 1); err != nil {
		return nil, err
	}
	if err := saveCreditNote(c, cn); err != nil {
		return nil, err
	}
	if err := c.emit("credit_note.created", cn, nil); err != nil {
		return nil, err
	}
	return cn, nil
}

// creditNoteBalance moves the customer's balance by amount (negative: a
// credit) with a credit_note transaction, and announces the customer.
func creditNoteBalance(c *Ctx, cn *CreditNote, amount int64) (*CustomerBalanceTransaction, error) {
	cu, err := get[Customer](c, kindCustomer, cn.Customer, "customer")
	if err != nil {
		return nil, err
	}
	before := *cu
	t, err := adjustBalanceIn(c, cu, amount, cn.Currency, "credit_note", &cn.Invoice, nil, nil)
	if err != nil {
		return nil, err
	}
	t.CreditNote = &cn.ID
	if err := saveBalanceTransaction(c, t); err != nil {
		return nil, err
	}
	if err := saveCustomer(c, cu); err != nil {
		return nil, err
	}
	_, err = c.emitUpdated("customer.updated", &before, cu)
	return t, err
}

// applyCreditNoteToInvoice adds (sign 1) or takes back (sign -1) cn's
// amounts on inv, saves it and emits its events; crediting an open invoice
// to zero settles it.
func applyCreditNoteToInvoice(c *Ctx, cn *CreditNote, inv *Invoice, sign int64) error {
	before := snapshotInvoice(c, inv)
	inv.PrePaymentCreditNotesAmount += sign * cn.PrePaymentAmount
	inv.PostPaymentCreditNotesAmount += sign * cn.PostPaymentAmount
	if cn.PrePaymentAmount > 0 {
		inv.AmountDue -= sign * cn.PrePaymentAmount
		inv.AmountRemaining -= sign * cn.PrePaymentAmount
		if inv.AmountRemaining == 0 {
			now, err := invoiceNow(c, inv)
			if err != nil {
				return err
			}
			cn.PaidInvoice = true
			return settleWithoutCharge(c, inv, before, now)
		}
		if err := followAmountRemaining(c, inv); err != nil {
			return err
		}
	}
	if err := saveInvoice(c, inv); err != nil {
		return err
	}
	_, err := emitInvoiceUpdated(c, before, inv)
	return err
}

// followAmountRemaining sets the open invoice's payment intent to charge
// what remains.
func followAmountRemaining(c *Ctx, inv *Invoice) error {
	if inv.PaymentIntent == "" {
		return nil
	}
	pi, err := get[PaymentIntent](c, kindPaymentIntent, inv.PaymentIntent, "payment_intent")
	if err != nil || pi.Status == "succeeded" || pi.Status == "canceled" || pi.Amount == inv.AmountRemaining {
		return err
	}
	pi.Amount = inv.AmountRemaining
	return savePaymentIntent(c, pi)
}

func updateCreditNote(c *Ctx) (any, error) {
	cn, err := get[CreditNote](c, kindCreditNote, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	before := *cn
	p := c.Params
	if p.Has("memo") {
		cn.Memo = p.NullableString("memo")
	}
	md, err := applyMetadata(p, cn.Metadata)
	if err != nil {
		return nil, err
	}
	cn.Metadata = md
	if err := saveCreditNote(c, cn); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("credit_note.updated", &before, cn); err != nil {
		return nil, err
	}
	return cn, nil
}

func voidCreditNote(c *Ctx) (any, error) {
	cn, err := get[CreditNote](c, kindCreditNote, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	if cn.Status == "void" {
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Credit note %s has already been voided.", cn.ID))
	}
	inv, err := loadInvoice(c, cn.Invoice, "invoice")
	if err != nil {
		return nil, err
	}
	if err := onTimelineOf(c, inv.Customer, inv.TestClock); err != nil {
		return nil, err
	}
	s := inv.status()
	switch {
	case len(cn.Refunds) > 0:
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Credit note %s cannot be voided because it refunded a payment.", cn.ID))
	case cn.PaidInvoice || cn.PrePaymentAmount > 0 && s != invoiceOpen && s != invoiceUncollectible:
		return nil, apierr.InvalidRequest("", fmt.Sprintf("Credit note %s cannot be voided because invoice %s is %s.", cn.ID, inv.ID, s))
	}
	if cn.CreditAmount > 0 {
		if _, err := creditNoteBalance(c, cn, cn.CreditAmount); err != nil {
			return nil, err
		}
	}
	if err := applyCreditNoteToInvoice(c, cn, inv, -1); err != nil {
		return nil, err
	}
	cn.Status = "void"
	cn.VoidedAt = new(c.Unix())
	if err := saveCreditNote(c, cn); err != nil {
		return nil, err
	}
	if err := c.emit("credit_note.voided", cn, nil); err != nil {
		return nil, err
	}
	return cn, nil
}

func listCreditNotes(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	term := ""
	customer, byCustomer := p.String("customer")
	if byCustomer {
		term = "customer=" + customer
	}
	if inv, ok := p.String("invoice"); ok {
		term = "invoice=" + inv
	}
	meta := func(cn *CreditNote) (string, int64) { return cn.ID, cn.Created }
	if term == "" {
		// Unfiltered: newest first from the cursor, without test-clock
		// customers' credit notes (see list_clock.go).
		clocks := newClockOwners(c)
		return listStored(c, "/v1/credit_notes", kindCreditNote, "", func(cn *CreditNote) bool { return !clocks.customer(&cn.Customer) }, meta)
	}
	items, err := scan(c, kindCreditNote, term, func(cn *CreditNote) bool { return !byCustomer || cn.Customer == customer })
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/credit_notes", items, meta)
}

// creditNotePDFPage serves credit_notes/{id}/pdf, the credit note's pdf.
func creditNotePDFPage(c *Ctx, w http.ResponseWriter, _ *http.Request, rest string) error {
	id, ok := strings.CutSuffix(rest, "/pdf")
	if !ok {
		http.NotFound(w, nil)
		return nil
	}
	cn, err := get[CreditNote](c, kindCreditNote, id, "id")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	_, err = w.Write(creditNotePDF(c, cn))
	return err
}

// creditNotePDF lays the credit note out as the quote's PDF does.
func creditNotePDF(c *Ctx, cn *CreditNote) []byte {
	lines := []string{"Credit note " + cn.Number, "", "Credit note ID: " + cn.ID, "Invoice: " + cn.Invoice, "Status: " + cn.Status}
	who := cn.Customer
	if cu, err := get[Customer](c, kindCustomer, cn.Customer, "customer"); err == nil && cu.Name != nil {
		who += " (" + *cu.Name + ")"
	}
	lines = append(lines, "Customer: "+who, "Issued: "+unixTime(cn.Created).Format("2006-01-02"))
	if cn.Memo != nil {
		lines = append(lines, *cn.Memo)
	}
	lines = append(lines, "", "Lines:")
	for _, l := range cn.Lines.Data {
		desc := "Credit"
		if l.Description != nil {
			desc = *l.Description
		}
		qty := ""
		if l.Quantity != nil {
			qty = "x " + formatInt(*l.Quantity) + "  "
		}
		lines = append(lines, fmt.Sprintf("  %s  %s%s", desc, qty, formatMoney(l.Amount, cn.Currency)))
	}
	lines = append(lines, "", "Total credited: "+formatMoney(cn.Total, cn.Currency))
	if cn.PrePaymentAmount > 0 {
		lines = append(lines, "Reduced the amount due by: "+formatMoney(cn.PrePaymentAmount, cn.Currency))
	}
	for _, r := range cn.Refunds {
		lines = append(lines, "Refunded to the payment method: "+formatMoney(r.AmountRefunded, cn.Currency))
	}
	if cn.CreditAmount > 0 {
		lines = append(lines, "Credited to the customer balance: "+formatMoney(cn.CreditAmount, cn.Currency))
	}
	if cn.OutOfBandAmount != nil && *cn.OutOfBandAmount > 0 {
		lines = append(lines, "Credited outside of Stripe: "+formatMoney(*cn.OutOfBandAmount, cn.Currency))
	}
	return pdfDocument(lines)
}
