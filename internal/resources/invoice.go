package resources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/internal/search"
)

// Invoices: the object, its lines, and the draft-editing API (create,
// retrieve, update, delete, list, search, lines, add/update/remove lines,
// create_preview). The lifecycle lives beside it: invoice_finalize.go
// (finalization, credit balance, minimum charge, automatic advancement and
// InvoicingConfig), invoice_pay.go (payment, pay, void, mark_uncollectible,
// send) and invoice_page.go (hosted_invoice_url).
//
// Contract for other families (subscriptions, webhooks):
//
//	newInvoiceLine(c *Ctx, in LineInput) (*LineItem, error)
//	    builds a line (subscription item or invoice item parent, pricing,
//	    period, proration) for InvoiceOptions.Lines.
//	createInvoiceFor(c *Ctx, cu *Customer, opts InvoiceOptions) (*Invoice, error)
//	    creates and saves a draft, pulls pending items when asked, emits
//	    invoice.created and schedules automatic finalization when
//	    opts.AutoAdvance.
//	createPendingItem(c, customer, testClock, LineInput, at) (*InvoiceItem, error)
//	                                                              (invoiceitem.go)
//	finalizeInvoice(c *Ctx, inv *Invoice) error                  (invoice_finalize.go)
//	attemptPayment(c *Ctx, inv *Invoice, a PaymentAttempt) (*apierr.Error, error)
//	voidInvoice, markUncollectible, payOutOfBand, stopAutoAdvance (c, inv) error
//	defaultPaymentMethodID(c, customer, inv, sub) (string, error)
//	retryPolicy(c, inv), retriesExhausted(c, inv)                 (invoice_pay.go)
//	invoiceObserver: hears every transition (subscriptions set it)
//	rescheduleFinalization(c *Ctx, invoiceID string, at time.Time) error
//	                                                              (invoice_finalize.go)
//	loadInvoice(c, id, param), saveInvoice(c, inv)
//
// Lines are stored inside the invoice record (at most 250), so every
// invoice operation is O(invoice). The wire shape embeds the first 10 with
// has_more, as Stripe does; GET /v1/invoices/{id}/lines pages them all.

const (
	kindInvoice     = "invoice"
	kindLineItem    = "line_item"
	maxInvoiceLines = 250
	// invoiceLinesShown is how many lines the invoice object embeds.
	invoiceLinesShown = 10
)

// Invoice statuses.
const (
	invoiceDraft         = "draft"
	invoiceOpen          = "open"
	invoicePaid          = "paid"
	invoiceVoid          = "void"
	invoiceUncollectible = "uncollectible"
)

// Collection methods.
const (
	chargeAutomatically = "charge_automatically"
	sendInvoice         = "send_invoice"
)

// Invoice is Stripe's invoice object (dahlia shape) and its stored record.
type Invoice struct {
	ID                           string                   `json:"id"`
	Object                       string                   `json:"object"`
	AccountCountry               *string                  `json:"account_country"`
	AccountName                  *string                  `json:"account_name"`
	AccountTaxIDs                []string                 `json:"account_tax_ids"`
	AmountDue                    int64                    `json:"amount_due"`
	AmountOverpaid               int64                    `json:"amount_overpaid"`
	AmountPaid                   int64                    `json:"amount_paid"`
	AmountPaidOffStripe          int64                    `json:"amount_paid_off_stripe"`
	AmountRemaining              int64                    `json:"amount_remaining"`
	AmountShipping               int64                    `json:"amount_shipping"`
	Application                  *string                  `json:"application"`
	AttemptCount                 int64                    `json:"attempt_count"`
	Attempted                    bool                     `json:"attempted"`
	AutoAdvance                  bool                     `json:"auto_advance"`
	AutomaticTax                 map[string]any           `json:"automatic_tax"`
	AutomaticallyFinalizesAt     *int64                   `json:"automatically_finalizes_at"`
	BillingReason                *string                  `json:"billing_reason"`
	CollectionMethod             string                   `json:"collection_method"`
	ConfirmationSecret           map[string]any           `json:"confirmation_secret"`
	Created                      int64                    `json:"created"`
	Currency                     string                   `json:"currency"`
	CustomFields                 []map[string]any         `json:"custom_fields"`
	Customer                     string                   `json:"customer"`
	CustomerAccount              *string                  `json:"customer_account"`
	CustomerAddress              map[string]any           `json:"customer_address"`
	CustomerEmail                *string                  `json:"customer_email"`
	CustomerName                 *string                  `json:"customer_name"`
	CustomerPhone                *string                  `json:"customer_phone"`
	CustomerShipping             map[string]any           `json:"customer_shipping"`
	CustomerTaxExempt            *string                  `json:"customer_tax_exempt"`
	CustomerTaxIDs               []any                    `json:"customer_tax_ids"`
	DefaultPaymentMethod         *string                  `json:"default_payment_method"`
	DefaultSource                *string                  `json:"default_source"`
	DefaultTaxRates              []any                    `json:"default_tax_rates"`
	Description                  *string                  `json:"description"`
	Discounts                    []any                    `json:"discounts"`
	DueDate                      *int64                   `json:"due_date"`
	EffectiveAt                  *int64                   `json:"effective_at"`
	EndingBalance                *int64                   `json:"ending_balance"`
	Footer                       *string                  `json:"footer"`
	FromInvoice                  map[string]any           `json:"from_invoice"`
	HostedInvoiceURL             *string                  `json:"hosted_invoice_url"`
	InvoicePDF                   *string                  `json:"invoice_pdf"`
	Issuer                       map[string]any           `json:"issuer"`
	LastFinalizationError        *PaymentError            `json:"last_finalization_error"`
	LatestRevision               *string                  `json:"latest_revision"`
	Lines                        *InvoiceLines            `json:"lines"`
	Livemode                     bool                     `json:"livemode"`
	Metadata                     map[string]string        `json:"metadata"`
	NextPaymentAttempt           *int64                   `json:"next_payment_attempt"`
	Number                       *string                  `json:"number"`
	OnBehalfOf                   *string                  `json:"on_behalf_of"`
	Parent                       *InvoiceParent           `json:"parent"`
	PaymentSettings              map[string]any           `json:"payment_settings"`
	Payments                     *List                    `json:"payments,omitempty"` // only when expanded; never stored
	PeriodEnd                    int64                    `json:"period_end"`
	PeriodStart                  int64                    `json:"period_start"`
	PostPaymentCreditNotesAmount int64                    `json:"post_payment_credit_notes_amount"`
	PrePaymentCreditNotesAmount  int64                    `json:"pre_payment_credit_notes_amount"`
	ReceiptNumber                *string                  `json:"receipt_number"`
	Rendering                    map[string]any           `json:"rendering"`
	ShippingCost                 map[string]any           `json:"shipping_cost"`
	ShippingDetails              map[string]any           `json:"shipping_details"`
	StartingBalance              int64                    `json:"starting_balance"`
	StatementDescriptor          *string                  `json:"statement_descriptor"`
	Status                       *string                  `json:"status"`
	StatusTransitions            InvoiceStatusTransitions `json:"status_transitions"`
	Subtotal                     int64                    `json:"subtotal"`
	SubtotalExcludingTax         *int64                   `json:"subtotal_excluding_tax"`
	TestClock                    *string                  `json:"test_clock"`
	Total                        int64                    `json:"total"`
	TotalDiscountAmounts         []any                    `json:"total_discount_amounts"`
	TotalExcludingTax            *int64                   `json:"total_excluding_tax"`
	TotalPretaxCreditAmounts     []any                    `json:"total_pretax_credit_amounts"`
	TotalTaxes                   []any                    `json:"total_taxes"`
	WebhooksDeliveredAt          *int64                   `json:"webhooks_delivered_at"`

	// Stored, never rendered.

	// AppliedBalance is the change finalization made to the customer's
	// balance (applied_to_invoice), returned when the invoice is voided.
	AppliedBalance int64 `json:"_applied_balance,omitempty"`
	// PaymentIntent and InvoicePayment are the payment objects made at
	// finalization.
	PaymentIntent  string `json:"_payment_intent,omitempty"`
	InvoicePayment string `json:"_invoice_payment,omitempty"`
	// ExplicitFinalizeAt: automatically_finalizes_at was set by the
	// caller, so webhook delivery does not move it.
	ExplicitFinalizeAt bool `json:"_explicit_finalize_at,omitempty"`
	// Preview marks a create_preview answer, which is never stored.
	Preview bool `json:"_preview,omitempty"`
	// Terms are the discount and tax terms the amounts follow from
	// (invoice_amounts.go).
	Terms *AmountTerms `json:"_terms,omitempty"`
	// PageToken is the secret part of hosted_invoice_url and invoice_pdf.
	PageToken string `json:"_page_token,omitempty"`
}

// InvoiceLines is invoice.lines.
type InvoiceLines struct {
	Object  string      `json:"object"`
	Data    []*LineItem `json:"data"`
	HasMore bool        `json:"has_more"`
	URL     string      `json:"url"`
}

// InvoiceStatusTransitions is invoice.status_transitions.
type InvoiceStatusTransitions struct {
	FinalizedAt           *int64 `json:"finalized_at"`
	MarkedUncollectibleAt *int64 `json:"marked_uncollectible_at"`
	PaidAt                *int64 `json:"paid_at"`
	VoidedAt              *int64 `json:"voided_at"`
}

// InvoiceParent is invoice.parent.
type InvoiceParent struct {
	QuoteDetails        map[string]any             `json:"quote_details"`
	SubscriptionDetails *InvoiceSubscriptionParent `json:"subscription_details"`
	Type                string                     `json:"type"`
}

// InvoiceSubscriptionParent is invoice.parent.subscription_details.
type InvoiceSubscriptionParent struct {
	Metadata                  map[string]string `json:"metadata"`
	Subscription              string            `json:"subscription"`
	SubscriptionProrationDate *int64            `json:"subscription_proration_date,omitempty"`
}

// LineItem is Stripe's line_item (an invoice line).
type LineItem struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Amount              int64             `json:"amount"`
	Currency            string            `json:"currency"`
	Description         *string           `json:"description"`
	DiscountAmounts     []any             `json:"discount_amounts"`
	Discountable        bool              `json:"discountable"`
	Discounts           []any             `json:"discounts"`
	Invoice             *string           `json:"invoice"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Parent              *LineParent       `json:"parent"`
	Period              Period            `json:"period"`
	PretaxCreditAmounts []any             `json:"pretax_credit_amounts"`
	Pricing             *Pricing          `json:"pricing"`
	Quantity            *int64            `json:"quantity"`
	QuantityDecimal     *string           `json:"quantity_decimal"`
	Subscription        *string           `json:"subscription"`
	Subtotal            int64             `json:"subtotal"`
	Taxes               []any             `json:"taxes"`

	// taxRates are the line's own tax rates when it is built in this
	// request (taxRatesSet); computeAmounts moves them into the invoice's
	// terms. Empty: the invoice's default_tax_rates apply.
	taxRates    []any
	taxRatesSet bool
}

// LineParent is line_item.parent.
type LineParent struct {
	InvoiceItemDetails      *LineInvoiceItemDetails      `json:"invoice_item_details"`
	SubscriptionItemDetails *LineSubscriptionItemDetails `json:"subscription_item_details"`
	Type                    string                       `json:"type"`
}

// LineInvoiceItemDetails is parent.invoice_item_details.
type LineInvoiceItemDetails struct {
	InvoiceItem      string                `json:"invoice_item"`
	Proration        bool                  `json:"proration"`
	ProrationDetails *LineProrationDetails `json:"proration_details"`
	Subscription     *string               `json:"subscription"`
}

// LineSubscriptionItemDetails is parent.subscription_item_details.
type LineSubscriptionItemDetails struct {
	InvoiceItem      *string               `json:"invoice_item"`
	Proration        bool                  `json:"proration"`
	ProrationDetails *LineProrationDetails `json:"proration_details"`
	Subscription     *string               `json:"subscription"`
	SubscriptionItem string                `json:"subscription_item"`
}

// LineProrationDetails is proration_details on a line's parent.
type LineProrationDetails struct {
	CreditedItems *CreditedItems `json:"credited_items"`
}

// CreditedItems names the lines a proration credits.
type CreditedItems struct {
	Invoice          string   `json:"invoice"`
	InvoiceLineItems []string `json:"invoice_line_items"`
}

// Period is a line's or invoice item's period; both ends inclusive.
type Period struct {
	End   int64 `json:"end"`
	Start int64 `json:"start"`
}

// Pricing is pricing on lines and invoice items.
type Pricing struct {
	PriceDetails      *PriceDetails `json:"price_details,omitempty"`
	Type              string        `json:"type"`
	UnitAmountDecimal *string       `json:"unit_amount_decimal"`
}

// PriceDetails is pricing.price_details.
type PriceDetails struct {
	Price   string `json:"price"`
	Product string `json:"product"`
}

// wire renders the invoice: no stored-only fields, and the first lines.
func (inv *Invoice) wire(string) any {
	out := *inv
	out.AppliedBalance = 0
	out.PaymentIntent = ""
	out.InvoicePayment = ""
	out.Preview = false
	out.ExplicitFinalizeAt = false
	out.Terms = nil
	out.PageToken = ""
	if inv.Lines != nil {
		lines := *inv.Lines
		if len(lines.Data) > invoiceLinesShown {
			lines.Data = lines.Data[:invoiceLinesShown]
			lines.HasMore = true
		}
		out.Lines = &lines
	}
	return &out
}

// storedExtendsWire: an invoice's stored form is its wire form and its
// stored-only fields, unless the wire form leaves out lines.
func (inv *Invoice) storedExtendsWire() bool {
	return inv.Lines == nil || len(inv.Lines.Data) <= invoiceLinesShown
}

func (inv *Invoice) status() string {
	if inv.Status == nil {
		return ""
	}
	return *inv.Status
}

func (inv *Invoice) setStatus(s string) { inv.Status = &s }

// subscription is the invoice's parent subscription, or "".
func (inv *Invoice) subscription() string {
	if inv.Parent != nil && inv.Parent.SubscriptionDetails != nil {
		return inv.Parent.SubscriptionDetails.Subscription
	}
	return ""
}

// emitInvoiceUpdated emits invoice.updated when inv differs from the
// snapshot before, with previous_attributes as emitUpdated computes them
// (hashes key by key, arrays and scalars whole). It compares JSON bytes
// rather than decoded trees: invoices are large and this runs on every
// payment. It reports whether anything changed.
func emitInvoiceUpdated(c *Ctx, before json.RawMessage, inv *Invoice) (bool, error) {
	after, err := c.render(inv)
	if err != nil {
		return false, err
	}
	return emitInvoiceUpdatedRaw(c, before, after)
}

// emitInvoiceUpdatedRaw is emitInvoiceUpdated with the invoice already
// rendered.
func emitInvoiceUpdatedRaw(c *Ctx, before, after json.RawMessage) (bool, error) {
	prev, err := rawDiff(before, after)
	if err != nil || len(prev) == 0 {
		return false, err
	}
	return true, c.emit("invoice.updated", after, prev)
}

// rawDiff returns the old values of the keys of two JSON objects that
// differ; nested objects are compared key by key.
func rawDiff(before, after json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if bytes.Equal(before, after) {
		return out, nil
	}
	if done, err := rawDiffInOrder(before, after, out); done || err != nil {
		return out, err
	}
	clear(out)
	b, err := rawMembers(before)
	if err != nil {
		return nil, err
	}
	a, err := rawMembers(after)
	if err != nil {
		return nil, err
	}
	for k, av := range a {
		bv, had := b[k]
		switch {
		case !had:
			out[k] = nil
		case bytes.Equal(bv, av):
		case isJSONObject(bv) && isJSONObject(av):
			d, err := rawDiff(bv, av)
			if err != nil {
				return nil, err
			}
			if len(d) > 0 {
				out[k] = d
			}
		case sameJSON(bv, av):
		default:
			out[k] = bv
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out[k] = bv
		}
	}
	return out, nil
}

// rawDiffInOrder is rawDiff for two renderings of one type, whose members
// come in the same order: it walks them side by side, with no maps and no
// key strings for what is equal. It reports false, having maybe written
// to out, when the members' keys differ; rawDiff then starts over.
func rawDiffInOrder(before, after json.RawMessage, out map[string]any) (bool, error) {
	b, a := memberReader{raw: before}, memberReader{raw: after}
	for {
		am, more := a.next()
		bm, bmore := b.next()
		if !more || !bmore {
			return !more && !bmore && a.ok() && b.ok(), nil
		}
		if !bytes.Equal(bm.key, am.key) || bytes.IndexByte(am.key, '\\') >= 0 {
			return false, nil // keys differ, or need unescaping: match them by key
		}
		switch {
		case bytes.Equal(bm.val, am.val):
		case isJSONObject(bm.val) && isJSONObject(am.val):
			d, err := rawDiff(bm.val, am.val)
			if err != nil {
				return false, err
			}
			if len(d) > 0 {
				out[string(am.key)] = d
			}
		case sameJSON(bm.val, am.val):
		default:
			out[string(am.key)] = bm.val
		}
	}
}

// sameJSON reports whether a and b, two JSON values whose bytes differ,
// are equal all the same: an object held in an array may render its
// members in its struct's order on one side (a value saved in this
// transaction, such as a *TaxRate in default_tax_rates) and sorted on the
// other (the same value loaded back, as a map). Arrays are compared
// element by element, objects member by member (rawDiff), without
// decoding; scalars with different bytes differ.
func sameJSON(a, b []byte) bool {
	switch {
	case bytes.Equal(a, b):
		return true
	case isJSONObject(a) && isJSONObject(b):
		d, err := rawDiff(a, b)
		return err == nil && len(d) == 0
	case len(a) == 0 || len(b) == 0 || a[0] != '[' || b[0] != '[':
		return false
	}
	i, j := skipSpace(a, 1), skipSpace(b, 1)
	for {
		if i >= len(a) || j >= len(b) {
			return false
		}
		if a[i] == ']' || b[j] == ']' {
			return a[i] == ']' && b[j] == ']'
		}
		ei, ej := skipValue(a, i), skipValue(b, j)
		if ei <= i || ej <= j || !sameJSON(a[i:ei], b[j:ej]) {
			return false // malformed, or different
		}
		i, j = skipSpace(a, ei), skipSpace(b, ej)
		if i < len(a) && a[i] == ',' {
			i = skipSpace(a, i+1)
		}
		if j < len(b) && b[j] == ',' {
			j = skipSpace(b, j+1)
		}
	}
}

// rawMembers is a JSON object's members by key, undecoded.
func rawMembers(raw json.RawMessage) (map[string]json.RawMessage, error) {
	keys, vals, ok := jsonMembers(raw)
	if !ok {
		var m map[string]json.RawMessage
		return m, json.Unmarshal(raw, &m)
	}
	m := make(map[string]json.RawMessage, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m, nil
}

func isJSONObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// snapshotInvoice is the invoice's wire form now, for the
// previous_attributes of a later invoice.updated (compare it with
// inv.wire("")): the bytes it was saved with, if it was saved unchanged
// in this transaction.
func snapshotInvoice(c *Ctx, inv *Invoice) json.RawMessage {
	raw, err := c.render(inv)
	if err != nil {
		panic(err) // an Invoice always marshals
	}
	return raw
}

func invoiceTerms(inv *Invoice) []string {
	terms := []string{"customer=" + inv.Customer, "status=" + inv.status()}
	if s := inv.subscription(); s != "" {
		terms = append(terms, "subscription="+s)
		terms = append(terms, search.TextTerms("subscription", s)...)
	}
	terms = append(terms, search.Term("customer", inv.Customer))
	terms = append(terms, search.TextTerms("status", inv.status())...)
	return append(terms, search.MetadataTerms("metadata", inv.Metadata)...)
}

// saveInvoice stores inv with its index terms. The transient payments list
// is never stored.
func saveInvoice(c *Ctx, inv *Invoice) error {
	if inv.Preview {
		return fmt.Errorf("resources: saving preview invoice %s", inv.ID)
	}
	if inv.status() == invoiceDraft {
		// A draft's starting_balance is the customer's balance now (§1.6);
		// finalization fixes it.
		cu, err := view[Customer](c, kindCustomer, inv.Customer, "customer")
		if err != nil {
			return err
		}
		inv.StartingBalance = balanceIn(cu, inv.Currency)
		if err := priceInvoice(c, inv); err != nil {
			return err
		}
	}
	if inv.Payments != nil {
		// Only a response's copy carries the includable payments
		// (withPayments), and they are never stored. save keeps the value
		// it is given, so it gets a copy without them.
		cp := *inv
		cp.Payments = nil
		inv = &cp
	}
	return c.save(kindInvoice, inv.ID, inv, invoiceTerms(inv)...)
}

// balanceIn is the customer's balance as it applies to an invoice in
// currency: none in another currency than the customer's.
func balanceIn(cu *Customer, currency string) int64 {
	if cu.Currency != nil && *cu.Currency != currency {
		return 0
	}
	return cu.Balance
}

// loadInvoice loads an invoice; param names where the ID came from.
func loadInvoice(c *Ctx, id, param string) (*Invoice, error) {
	return get[Invoice](c, kindInvoice, id, param)
}

// loadInvoiceToChange loads the path's invoice for a write request and
// moves the request onto its customer's timeline, so that what the request
// changes carries the test clock's time.
func loadInvoiceToChange(c *Ctx) (*Invoice, error) {
	inv, err := loadInvoice(c, c.Var("invoice"), "id")
	if err != nil {
		return nil, err
	}
	return inv, onTimelineOf(c, inv.Customer, inv.TestClock)
}

// onTimelineOf is c.onCustomerTimeline for the owner of an object on
// testClock (nil: the fake's own clock, nothing to do).
func onTimelineOf(c *Ctx, customer string, testClock *string) error {
	if testClock == nil {
		return nil
	}
	_, err := c.customerTimeline(customer, "customer")
	return err
}

// recomputeTotals sets the amounts that follow from the lines, with the
// discounts and taxes computeAmounts works out (priceInvoice first loads
// the terms of discounts new to the invoice). On a draft the amount due is
// the total; finalization applies the balance.
func (inv *Invoice) recomputeTotals() {
	var sum, credited int64
	for _, l := range inv.Lines.Data {
		sum += l.Amount
		credited += pretaxCredited(l)
	}
	discounted, inclusiveTax, exclusiveTax := inv.computeAmounts()
	// Billing credits (applied at finalization) come off the total, not
	// the subtotal.
	total := sum - discounted + exclusiveTax - credited
	inv.Subtotal = sum
	inv.Total = total
	inv.SubtotalExcludingTax = new(sum - inclusiveTax)
	inv.TotalExcludingTax = new(sum - discounted - inclusiveTax - credited)
	if inv.status() == invoiceDraft {
		inv.AmountDue = max(total, 0)
		inv.AmountRemaining = inv.AmountDue
	}
}

// addLine appends l: lines added after creation come last, in the order
// they were added.
func (inv *Invoice) addLine(l *LineItem) error {
	if len(inv.Lines.Data) >= maxInvoiceLines {
		return apierr.InvalidRequest("invoice", fmt.Sprintf("An invoice may contain at most %d invoice items.", maxInvoiceLines))
	}
	id := inv.ID
	l.Invoice = &id
	inv.Lines.Data = append(inv.Lines.Data, l)
	inv.recomputeTotals()
	return nil
}

// lineIndex returns the index of the line with id, or -1.
func (inv *Invoice) lineIndex(id string) int {
	return slices.IndexFunc(inv.Lines.Data, func(l *LineItem) bool { return l.ID == id })
}

// lineOfItem returns the index of the line backed by invoice item ii, or -1.
func (inv *Invoice) lineOfItem(ii string) int {
	return slices.IndexFunc(inv.Lines.Data, func(l *LineItem) bool { return l.invoiceItem() == ii })
}

// invoiceItem is the invoice item a line stands for, or "".
func (l *LineItem) invoiceItem() string {
	if p := l.Parent; p != nil {
		if p.InvoiceItemDetails != nil {
			return p.InvoiceItemDetails.InvoiceItem
		}
		if p.SubscriptionItemDetails != nil && p.SubscriptionItemDetails.InvoiceItem != nil {
			return *p.SubscriptionItemDetails.InvoiceItem
		}
	}
	return ""
}

// LineInput describes a line for newInvoiceLine. Amount is the line's
// amount; with Price set, Quantity × unit amount is the usual value, but the
// caller decides (prorations).
type LineInput struct {
	Amount       int64
	Currency     string
	Description  *string
	Discountable bool
	Metadata     map[string]string
	Period       Period
	Price        *Price // nil for amount-only lines
	Quantity     int64  // default 1, unless Usage
	// Usage marks a metered line: Quantity is the usage, 0 included.
	Usage bool

	// The parent: SubscriptionItem set makes a subscription_item_details
	// line, else InvoiceItem makes an invoice_item_details line.
	SubscriptionItem string
	InvoiceItem      string
	Subscription     string
	Proration        bool
	CreditedItems    *CreditedItems

	// Discounts are the line's own discounts (a subscription item's);
	// TaxRates its own tax rates (empty: the invoice's defaults apply).
	Discounts []any
	TaxRates  []any
}

// newInvoiceLine builds a line with a fresh il_ ID. Its invoice is set
// when it is added to one.
func newInvoiceLine(c *Ctx, in LineInput) (*LineItem, error) {
	id, err := c.NewID("il")
	if err != nil {
		return nil, err
	}
	qty := in.Quantity
	if qty == 0 && !in.Usage {
		qty = 1
	}
	l := &LineItem{
		ID: id, Object: kindLineItem, Amount: in.Amount, Currency: in.Currency, Description: in.Description,
		DiscountAmounts: []any{}, Discountable: in.Discountable, Discounts: []any{}, Metadata: in.Metadata,
		Period: in.Period, Quantity: &qty, QuantityDecimal: new(formatInt(qty)), Subtotal: in.Amount, Taxes: []any{},
	}
	if l.Metadata == nil {
		l.Metadata = map[string]string{}
	}
	if len(in.Discounts) > 0 {
		l.Discounts = slices.Clone(in.Discounts)
	}
	l.taxRates, l.taxRatesSet = in.TaxRates, true
	if in.Price != nil {
		l.Pricing = pricingOf(in.Price)
	}
	var sub *string
	if in.Subscription != "" {
		sub = new(in.Subscription)
		l.Subscription = new(in.Subscription)
	}
	var pd *LineProrationDetails
	if in.Proration {
		pd = &LineProrationDetails{CreditedItems: in.CreditedItems}
	}
	switch {
	case in.SubscriptionItem != "":
		d := &LineSubscriptionItemDetails{Proration: in.Proration, ProrationDetails: pd, Subscription: sub, SubscriptionItem: in.SubscriptionItem}
		if in.InvoiceItem != "" {
			d.InvoiceItem = new(in.InvoiceItem)
		}
		l.Parent = &LineParent{SubscriptionItemDetails: d, Type: "subscription_item_details"}
	case in.InvoiceItem != "":
		l.Parent = &LineParent{InvoiceItemDetails: &LineInvoiceItemDetails{
			InvoiceItem: in.InvoiceItem, Proration: in.Proration, ProrationDetails: pd, Subscription: sub,
		}, Type: "invoice_item_details"}
	}
	return l, nil
}

// pricingOf is the pricing hash for a price.
func pricingOf(pr *Price) *Pricing {
	p := &Pricing{Type: "price_details", PriceDetails: &PriceDetails{Price: pr.ID, Product: pr.Product}}
	switch {
	case pr.UnitAmountDecimal != nil:
		p.UnitAmountDecimal = new(*pr.UnitAmountDecimal)
	case pr.UnitAmount != nil:
		p.UnitAmountDecimal = new(formatInt(*pr.UnitAmount))
	}
	return p
}

// InvoiceOptions are what createInvoiceFor needs beyond the customer.
type InvoiceOptions struct {
	// ID is the invoice's ID when the caller took one already (a
	// subscription names its new invoice in latest_invoice before creating
	// it); default a fresh in_ ID.
	ID               string
	AutoAdvance      bool
	BillingReason    string // default "manual"
	CollectionMethod string // default charge_automatically
	Currency         string // default: the customer's currency, else usd
	DaysUntilDue     *int64 // send_invoice only
	DueDate          *int64 // send_invoice only
	// AutomaticallyFinalizesAt overrides the automatic finalization time.
	AutomaticallyFinalizesAt *int64

	DefaultPaymentMethod string
	Description          *string
	Footer               *string
	Metadata             map[string]string
	Number               *string
	StatementDescriptor  *string
	CustomFields         []map[string]any

	// PendingInvoiceItems is "include" to pull the customer's pending
	// invoice items in the invoice's currency: for a subscription invoice
	// (BillingReason subscription_*) those of that subscription and those
	// of none; for an invoice created with Subscription otherwise, that
	// subscription's only; else those of no subscription.
	PendingInvoiceItems string
	// Subscription sets parent.subscription_details.
	Subscription         string
	SubscriptionMetadata map[string]string

	// PeriodStart and PeriodEnd default to the creation time.
	PeriodStart, PeriodEnd int64
	// Lines come after pulled pending items, in the order given (build
	// them with newInvoiceLine).
	Lines []*LineItem

	// Discounts are the invoice's discount IDs; DefaultTaxRates the tax
	// rate objects for lines without their own.
	Discounts       []any
	DefaultTaxRates []any
}

// createInvoiceFor creates, saves and announces (invoice.created) a draft
// invoice for cu, and schedules its automatic finalization when
// opts.AutoAdvance. Pulled pending items are attached to it.
func createInvoiceFor(c *Ctx, cu *Customer, opts InvoiceOptions) (*Invoice, error) {
	inv, err := newDraftInvoice(c, cu, opts)
	if err != nil {
		return nil, err
	}
	if opts.PendingInvoiceItems == "include" {
		if err := pullPendingItems(c, inv, opts); err != nil {
			return nil, err
		}
	}
	for _, l := range opts.Lines {
		if err := inv.addLine(l); err != nil {
			return nil, err
		}
	}
	if inv.AutoAdvance {
		if err := scheduleFinalization(c, inv, opts.AutomaticallyFinalizesAt); err != nil {
			return nil, err
		}
	}
	if err := saveInvoice(c, inv); err != nil {
		return nil, err
	}
	return inv, c.emit("invoice.created", inv, nil)
}

// newDraftInvoice builds (does not save) a draft for cu.
func newDraftInvoice(c *Ctx, cu *Customer, opts InvoiceOptions) (*Invoice, error) {
	at, err := nowUnixFor(c, cu)
	if err != nil {
		return nil, err
	}
	id := opts.ID
	if id == "" {
		if id, err = c.NewID("in"); err != nil {
			return nil, err
		}
	}
	currency := strings.ToLower(opts.Currency)
	if currency == "" {
		currency = defaultCurrency
		if cu.Currency != nil {
			currency = *cu.Currency
		}
	}
	reason := opts.BillingReason
	if reason == "" {
		reason = "manual"
	}
	method := opts.CollectionMethod
	if method == "" {
		method = chargeAutomatically
	}
	inv := &Invoice{
		ID: id, Object: kindInvoice, AccountCountry: new("US"), AccountName: new("stripefake"),
		AutoAdvance:   opts.AutoAdvance,
		AutomaticTax:  map[string]any{"disabled_reason": nil, "enabled": false, "liability": nil, "provider": nil, "status": nil},
		BillingReason: &reason, CollectionMethod: method, Created: at, Currency: currency,
		CustomFields: opts.CustomFields, Customer: cu.ID, DefaultTaxRates: []any{}, Description: opts.Description,
		Discounts: []any{}, Footer: opts.Footer, Issuer: map[string]any{"type": "self"},
		Lines:    &InvoiceLines{Object: "list", Data: []*LineItem{}, URL: "/v1/invoices/" + id + "/lines"},
		Metadata: opts.Metadata, Number: opts.Number,
		PaymentSettings: map[string]any{"default_mandate": nil, "payment_method_options": nil, "payment_method_types": nil},
		PeriodEnd:       at, PeriodStart: at,
		Rendering:           map[string]any{"amount_tax_display": nil, "pdf": nil, "template": nil, "template_version": nil},
		StatementDescriptor: opts.StatementDescriptor, TestClock: cu.TestClock,
		TotalDiscountAmounts: []any{}, TotalPretaxCreditAmounts: []any{}, TotalTaxes: []any{},
	}
	inv.setStatus(invoiceDraft)
	if inv.Metadata == nil {
		inv.Metadata = map[string]string{}
	}
	if opts.PeriodStart != 0 {
		inv.PeriodStart = opts.PeriodStart
	}
	if opts.PeriodEnd != 0 {
		inv.PeriodEnd = opts.PeriodEnd
	}
	if opts.DefaultPaymentMethod != "" {
		inv.DefaultPaymentMethod = new(opts.DefaultPaymentMethod)
	}
	if opts.Discounts != nil {
		inv.Discounts = opts.Discounts
	}
	if opts.DefaultTaxRates != nil {
		inv.DefaultTaxRates = opts.DefaultTaxRates
	}
	if opts.Subscription != "" {
		md := opts.SubscriptionMetadata
		if md == nil {
			md = map[string]string{}
		}
		inv.Parent = &InvoiceParent{Type: "subscription_details", SubscriptionDetails: &InvoiceSubscriptionParent{Metadata: md, Subscription: opts.Subscription}}
	}
	if method == sendInvoice {
		inv.DueDate = dueDate(c, at, opts.DaysUntilDue, opts.DueDate)
	}
	if err := mirrorCustomer(c, inv, cu); err != nil {
		return nil, err
	}
	inv.recomputeTotals()
	return inv, nil
}

// dueDate is a send_invoice invoice's due date: due_date, else
// days_until_due days after creation, else the configured default terms.
func dueDate(c *Ctx, created int64, days, due *int64) *int64 {
	if due != nil {
		return new(*due)
	}
	d := int64(c.e.invoicing().DefaultDaysUntilDue)
	if days != nil {
		d = *days
	}
	return new(created + d*86400)
}

// mirrorCustomer copies the customer fields a draft mirrors and a
// finalized invoice freezes.
func mirrorCustomer(c *Ctx, inv *Invoice, cu *Customer) error {
	inv.CustomerAddress = cu.Address
	inv.CustomerEmail = cu.Email
	inv.CustomerName = cu.Name
	inv.CustomerPhone = cu.Phone
	inv.CustomerShipping = cu.Shipping
	inv.CustomerTaxExempt = new(cu.TaxExempt)
	if inv.Footer == nil && cu.InvoiceSettings.Footer != nil {
		inv.Footer = new(*cu.InvoiceSettings.Footer)
	}
	var err error
	inv.CustomerTaxIDs, err = customerTaxIDs(c, cu.ID)
	return err
}

// remirrorDrafts mirrors cu again onto its draft invoices, which follow the
// customer (name, email, address, tax IDs, …) until finalization, after a
// change to the customer or its tax IDs.
func remirrorDrafts(c *Ctx, cu *Customer) error {
	// Every customer update comes here: read only the status of the
	// customer's invoices, and load the drafts whole.
	var drafts []string
	err := c.tx.ScanIndex(kindInvoice, "customer="+cu.ID, true, func(id string, raw []byte) (bool, error) {
		var h invoiceHead
		if err := decodeFields(raw, &h); err != nil {
			return false, err
		}
		if h.Status != nil && *h.Status == invoiceDraft {
			drafts = append(drafts, id)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, id := range drafts {
		inv, err := loadInvoice(c, id, "invoice")
		if err != nil {
			return err
		}
		if err := mirrorCustomer(c, inv, cu); err != nil {
			return err
		}
		if err := saveInvoice(c, inv); err != nil {
			return err
		}
	}
	return nil
}

// invoiceHead is what remirrorDrafts reads of each of a customer's invoices.
type invoiceHead struct {
	Status *string `json:"status"`
}

// pullPendingItems attaches the customer's pending items to a new invoice,
// newest first (Stripe's order for pending items).
func pullPendingItems(c *Ctx, inv *Invoice, opts InvoiceOptions) error {
	items, err := pullableItems(c, inv.Customer, inv.Currency, opts.Subscription, strings.HasPrefix(opts.BillingReason, "subscription"))
	if err != nil {
		return err
	}
	for _, ii := range items {
		if err := attachItem(c, ii, inv); err != nil {
			return err
		}
	}
	return nil
}

// pullableItems are the customer's pending items in currency that a new
// invoice takes, newest first: a subscription's invoice takes the
// customer's own items and that subscription's; another invoice naming a
// subscription only that subscription's; a manual invoice the customer's
// own. Items an ended subscription left pending (cancel with prorate=true
// and no invoice_now) go wherever the customer's own items go: nothing
// else would ever bill them.
func pullableItems(c *Ctx, customer, currency, subscription string, subInvoice bool) ([]*InvoiceItem, error) {
	items, err := scan(c, kindInvoiceItem, "pending="+customer, func(ii *InvoiceItem) bool {
		return ii.Invoice == nil && ii.Currency == currency
	})
	if err != nil {
		return nil, err
	}
	return pullableOf(c, items, subscription, subInvoice)
}

// pullableOf keeps the pending items (the customer's, of one currency)
// that pullableItems would take.
func pullableOf(c *Ctx, items []*InvoiceItem, subscription string, subInvoice bool) ([]*InvoiceItem, error) {
	own := subInvoice || subscription == ""
	ended := map[string]bool{}
	var out []*InvoiceItem
	for _, ii := range items {
		sub := ii.subscription()
		switch {
		case sub == "":
			if !own {
				continue
			}
		case sub == subscription:
		case !own:
			continue
		default:
			done, seen := ended[sub]
			if !seen {
				s, err := get[Subscription](c, kindSubscription, sub, "subscription")
				if err != nil {
					return nil, err
				}
				done = s.ended()
				ended[sub] = done
			}
			if !done {
				continue
			}
		}
		out = append(out, ii)
	}
	return out, nil
}

// ---- Routes ----

var invoiceSearchFields = search.FieldsFor("invoices")

func init() { families = append(families, registerInvoices) }

func registerInvoices(e *Engine) {
	e.kind(Kind{Object: kindInvoice, Load: loader[Invoice](kindInvoice)})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices", Handle: createInvoiceHandler})
	e.route(Route{Method: "GET", Pattern: "/v1/invoices/{invoice}", Read: true, Handle: retrieveInvoice})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}", Handle: updateInvoice})
	e.route(Route{Method: "DELETE", Pattern: "/v1/invoices/{invoice}", Handle: deleteInvoice})
	e.route(Route{Method: "GET", Pattern: "/v1/invoices", Read: true, Handle: listInvoices})
	e.route(Route{Method: "GET", Pattern: "/v1/invoices/search", Read: true, Handle: searchInvoices})
	e.route(Route{Method: "GET", Pattern: "/v1/invoices/{invoice}/lines", Read: true, Handle: listInvoiceLines})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/lines/{line_item_id}", Handle: updateInvoiceLine})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/add_lines", Handle: addInvoiceLines})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/update_lines", Handle: updateInvoiceLines})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/remove_lines", Handle: removeInvoiceLines})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/create_preview", Handle: createPreviewInvoice})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/finalize", Handle: finalizeInvoiceHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/pay", Handle: payInvoiceHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/void", Handle: voidInvoiceHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/mark_uncollectible", Handle: markUncollectibleHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/invoices/{invoice}/send", Handle: sendInvoiceHandler})
	e.job(jobInvoiceFinalize, runInvoiceFinalize)
	e.job(jobInvoiceRetry, runInvoiceRetry)
	e.job(jobInvoiceOverdue, runInvoiceOverdue)
	e.page("invoices/", serveInvoicePage)
}

// Parameters of POST /v1/invoices the fake does not model.
var invoiceUnsupported = []string{
	"account_tax_ids", "application_fee_amount", "customer_account", "default_source",
	"effective_at", "from_invoice", "issuer", "on_behalf_of", "payment_settings", "rendering",
	"shipping_cost", "shipping_details", "transfer_data",
}

// checkNoAutomaticTax refuses automatic_tax[enabled]=true, which the fake
// does not compute.
func checkNoAutomaticTax(p Params) error {
	if at, ok := p.Map("automatic_tax"); ok {
		if b, _ := at.Bool("enabled"); b {
			return unsupported(at, "enabled")
		}
	}
	return nil
}

func createInvoiceHandler(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, invoiceUnsupported...); err != nil {
		return nil, err
	}
	if err := checkNoAutomaticTax(p); err != nil {
		return nil, err
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	opts := InvoiceOptions{
		CollectionMethod: p.Str("collection_method"), Currency: p.Str("currency"),
		Description: p.NullableString("description"), Footer: p.NullableString("footer"),
		Number: p.NullableString("number"), StatementDescriptor: p.NullableString("statement_descriptor"),
		PendingInvoiceItems: "exclude", AutoAdvance: c.e.invoicing().ManualInvoicesAutoAdvance,
	}
	if b, ok := p.Bool("auto_advance"); ok {
		opts.AutoAdvance = b
	}
	if v, ok := p.String("pending_invoice_items_behavior"); ok {
		opts.PendingInvoiceItems = v
	}
	method := opts.CollectionMethod
	if method == "" {
		method = chargeAutomatically
	}
	if err := invoiceDueParams(p, method, &opts.DaysUntilDue, &opts.DueDate); err != nil {
		return nil, err
	}
	if at, ok := p.Int("automatically_finalizes_at"); ok {
		opts.AutomaticallyFinalizesAt = &at
		if err := checkAutoFinalizeAt(c, cu, at); err != nil {
			return nil, err
		}
	}
	if pm, ok := p.String("default_payment_method"); ok {
		if err := requireAttached(c, pm, cu.ID, "default_payment_method"); err != nil {
			return nil, err
		}
		opts.DefaultPaymentMethod = pm
	}
	if sub, ok := p.String("subscription"); ok {
		if _, err := c.tx.Get("subscription", sub); err != nil {
			return nil, c.e.noSuch("subscription", sub, "subscription")
		}
		opts.Subscription = sub
	}
	if p.Has("custom_fields") {
		opts.CustomFields = customFields(p)
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	opts.Metadata = md
	if err := invoiceDiscountOptions(c, cu, p, &opts); err != nil {
		return nil, err
	}
	inv, err := createInvoiceFor(c, cu, opts)
	if err != nil {
		return nil, err
	}
	return respond(c, inv)
}

// invoiceDueParams reads days_until_due and due_date, which only
// send_invoice invoices take.
func invoiceDueParams(p Params, method string, days, due **int64) error {
	if n, ok := p.Int("days_until_due"); ok {
		if method != sendInvoice {
			return apierr.InvalidRequest("days_until_due", "Invoices with `collection_method=charge_automatically` cannot have `days_until_due` set.")
		}
		*days = &n
	}
	if n, ok := p.Int("due_date"); ok {
		if method != sendInvoice {
			return apierr.InvalidRequest("due_date", "Invoices with `collection_method=charge_automatically` cannot have `due_date` set.")
		}
		if err := checkSchedulable("due_date", n); err != nil {
			return err
		}
		*due = &n
	}
	return nil
}

func customFields(p Params) []map[string]any {
	if p.Empty("custom_fields") {
		return nil
	}
	var out []map[string]any
	for _, f := range p.List("custom_fields") {
		out = append(out, map[string]any{"name": f.Str("name"), "value": f.Str("value")})
	}
	return out
}

// withPayments returns inv for rendering, with its payments list when
// include asks for it (payments is includable in dahlia).
func withPayments(c *Ctx, inv *Invoice, include bool) (*Invoice, error) {
	if !include {
		return inv, nil
	}
	items, err := scan[InvoicePayment](c, kindInvoicePayment, "invoice="+inv.ID, nil)
	if err != nil {
		return nil, err
	}
	data := make([]any, len(items))
	for i, ip := range items {
		data[i] = ip
	}
	out := *inv
	out.Payments = &List{Object: "list", Data: data, URL: "/v1/invoice_payments"}
	return &out, nil
}

func retrieveInvoice(c *Ctx) (any, error) {
	include := takeIncludes(c, "", "payments")["payments"]
	inv, err := loadInvoice(c, c.Var("invoice"), "id")
	if err != nil {
		return nil, err
	}
	return withPayments(c, inv, include)
}

// respond renders an invoice answer, honouring expand[]=payments.
func respond(c *Ctx, inv *Invoice) (any, error) {
	return withPayments(c, inv, takeIncludes(c, "", "payments")["payments"])
}

// draftOnly are the update parameters a finalized invoice refuses.
var draftOnly = []string{"collection_method", "days_until_due", "due_date", "automatically_finalizes_at", "number", "custom_fields", "automatic_tax"}

func updateInvoice(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, invoiceUnsupported...); err != nil {
		return nil, err
	}
	if err := checkNoAutomaticTax(p); err != nil {
		return nil, err
	}
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	before := snapshotInvoice(c, inv)
	wasAutoAdvance := inv.AutoAdvance
	status := inv.status()
	draft := status == invoiceDraft
	for _, k := range draftOnly {
		if p.Has(k) && !draft {
			return nil, errFinalizedUneditable(k)
		}
	}
	for _, k := range []string{"auto_advance", "default_payment_method"} {
		if p.Has(k) && status != invoiceDraft && status != invoiceOpen {
			return nil, apierr.InvalidRequest(k, fmt.Sprintf("You can only update `%s` on draft or open invoices; this invoice is %s.", k, status))
		}
	}
	if v, ok := p.String("collection_method"); ok {
		inv.CollectionMethod = v
	}
	if draft {
		var days, due *int64
		if err := invoiceDueParams(p, inv.CollectionMethod, &days, &due); err != nil {
			return nil, err
		}
		if inv.CollectionMethod != sendInvoice {
			inv.DueDate = nil
		} else if days != nil || due != nil || inv.DueDate == nil {
			inv.DueDate = dueDate(c, inv.Created, days, due)
		}
	}
	for key, dst := range map[string]**string{"description": &inv.Description, "footer": &inv.Footer, "number": &inv.Number, "statement_descriptor": &inv.StatementDescriptor} {
		if p.Has(key) {
			*dst = p.NullableString(key)
		}
	}
	if p.Has("custom_fields") {
		inv.CustomFields = customFields(p)
	}
	if p.Has("default_payment_method") {
		inv.DefaultPaymentMethod = nil
		if pm := p.Str("default_payment_method"); pm != "" {
			if err := requireAttached(c, pm, inv.Customer, "default_payment_method"); err != nil {
				return nil, err
			}
			inv.DefaultPaymentMethod = &pm
		}
	}
	md, err := applyMetadata(p, inv.Metadata)
	if err != nil {
		return nil, err
	}
	inv.Metadata = md
	if b, ok := p.Bool("auto_advance"); ok {
		inv.AutoAdvance = b
	}
	for _, k := range []string{"discounts", "default_tax_rates"} {
		if p.Has(k) && !draft {
			return nil, errFinalizedUneditable(k)
		}
	}
	if err := setInvoiceDiscounts(c, inv, p); err != nil {
		return nil, err
	}
	if draft {
		cu, err := get[Customer](c, kindCustomer, inv.Customer, "customer")
		if err != nil {
			return nil, err
		}
		if err := mirrorCustomer(c, inv, cu); err != nil {
			return nil, err
		}
		var at *int64
		if n, ok := p.Int("automatically_finalizes_at"); ok {
			if err := checkAutoFinalizeAt(c, cu, n); err != nil {
				return nil, err
			}
			at = &n
		}
		if inv.AutoAdvance != wasAutoAdvance || at != nil {
			if err := scheduler.Cancel(c.Tx(), jobInvoiceFinalize, inv.ID); err != nil {
				return nil, err
			}
			inv.AutomaticallyFinalizesAt = nil
			if inv.AutoAdvance {
				if err := scheduleFinalization(c, inv, at); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := saveInvoice(c, inv); err != nil {
		return nil, err
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

func deleteInvoice(c *Ctx) (any, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if inv.status() != invoiceDraft {
		return nil, errRefused(inv, "delete")
	}
	if inv.subscription() != "" {
		return nil, apierr.InvalidRequest("", "You can't delete a draft invoice created by a subscription. Void it instead.")
	}
	// Its invoice items become pending again (Stripe keeps them).
	for _, l := range inv.Lines.Data {
		if id := l.invoiceItem(); id != "" {
			if err := detachItem(c, id); err != nil {
				return nil, err
			}
		}
	}
	if err := scheduler.Cancel(c.Tx(), jobInvoiceFinalize, inv.ID); err != nil {
		return nil, err
	}
	return c.remove(kindInvoice, inv.ID, inv, "invoice.deleted")
}

func listInvoices(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	include := takeIncludes(c, "data.", "payments")["payments"]
	customer, byCustomer := p.String("customer")
	status, byStatus := p.String("status")
	sub, bySub := p.String("subscription")
	method, byMethod := p.String("collection_method")
	term := ""
	switch {
	case byCustomer:
		term = "customer=" + customer
	case bySub:
		term = "subscription=" + sub
	case byStatus:
		term = "status=" + status
	}
	dueOK := createdFilter(p, "due_date")
	l, err := listStored(c, "/v1/invoices", kindInvoice, term, func(inv *Invoice) bool {
		switch {
		case skipTestClock(inv.TestClock, byCustomer || bySub),
			byCustomer && inv.Customer != customer,
			byStatus && inv.status() != status,
			bySub && inv.subscription() != sub,
			byMethod && inv.CollectionMethod != method:
			return false
		}
		return !p.Has("due_date") || (inv.DueDate != nil && dueOK(*inv.DueDate))
	}, func(inv *Invoice) (string, int64) { return inv.ID, inv.Created })
	if err != nil || !include {
		return l, err
	}
	for i, it := range l.Data {
		if l.Data[i], err = withPayments(c, it.(*Invoice), true); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// invoiceSearchDoc is an invoice as search sees it: with the flattened
// fields Stripe's query language names.
type invoiceSearchDoc struct {
	*Invoice
	SearchSubscription string `json:"subscription"`
	SearchErrorCode    string `json:"last_finalization_error_code"`
	SearchErrorType    string `json:"last_finalization_error_type"`
}

func searchInvoices(c *Ctx) (any, error) {
	return searchObjects(c, kindInvoice, "invoices", "/v1/invoices/search", invoiceSearchFields,
		func(d *invoiceSearchDoc) bool {
			d.SearchSubscription = d.subscription()
			if e := d.LastFinalizationError; e != nil {
				d.SearchErrorCode, d.SearchErrorType = e.Code, e.Type
			}
			return true
		},
		func(d *invoiceSearchDoc) (string, int64) { return d.ID, d.Created })
}

// nowUnixFor is the customer's "now" in Unix seconds.
func nowUnixFor(c *Ctx, cu *Customer) (int64, error) {
	t, err := c.nowFor(cu)
	return t.Unix(), err
}
