package resources

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Invoice items: create, retrieve, update, delete, list.
//
// An item is pending (invoice null) until an invoice takes it: created with
// invoice=in_… (a draft), added through add_lines, or pulled into a new
// invoice (pending_invoice_items_behavior=include, subscription invoices).
// Its line on the invoice is rebuilt from the item whenever the item
// changes, so the two never disagree.
//
// Decisions on points the reference does not confirm:
//   - An item with amount (no price) has pricing null; one with pricing or
//     price_data has price_details (price_data makes an inactive price of
//     the product, without price.created, as an inline price).
//   - period defaults to start = end = the item's date.
//   - Updating emits no event of its own (dahlia has no
//     invoiceitem.updated); an attached draft gets invoice.updated.
//   - Only pending items or items on a draft may be updated or deleted.

const kindInvoiceItem = "invoiceitem"

// InvoiceItem is Stripe's invoiceitem (dahlia shape).
type InvoiceItem struct {
	ID               string               `json:"id"`
	Object           string               `json:"object"`
	Amount           int64                `json:"amount"`
	Currency         string               `json:"currency"`
	Customer         string               `json:"customer"`
	CustomerAccount  *string              `json:"customer_account"`
	Date             int64                `json:"date"`
	Description      *string              `json:"description"`
	Discountable     bool                 `json:"discountable"`
	Discounts        []any                `json:"discounts"`
	FrozenFields     []string             `json:"frozen_fields"`
	Invoice          *string              `json:"invoice"`
	Livemode         bool                 `json:"livemode"`
	Metadata         map[string]string    `json:"metadata"`
	NetAmount        int64                `json:"net_amount"`
	Parent           *InvoiceItemParent   `json:"parent"`
	Period           Period               `json:"period"`
	Pricing          *Pricing             `json:"pricing"`
	Proration        bool                 `json:"proration"`
	ProrationDetails ItemProrationDetails `json:"proration_details"`
	Quantity         int64                `json:"quantity"`
	QuantityDecimal  string               `json:"quantity_decimal"`
	TaxRates         []any                `json:"tax_rates"`
	TestClock        *string              `json:"test_clock"`
}

// InvoiceItemParent is invoiceitem.parent.
type InvoiceItemParent struct {
	SubscriptionDetails *InvoiceItemSubscriptionParent `json:"subscription_details"`
	Type                string                         `json:"type"`
}

// InvoiceItemSubscriptionParent is parent.subscription_details.
type InvoiceItemSubscriptionParent struct {
	Subscription     string  `json:"subscription"`
	SubscriptionItem *string `json:"subscription_item,omitempty"`
}

// ItemProrationDetails is invoiceitem.proration_details.
type ItemProrationDetails struct {
	CreditedItems   *CreditedItems `json:"credited_items"`
	DiscountAmounts []any          `json:"discount_amounts"`
}

func (ii *InvoiceItem) subscription() string {
	if ii.Parent != nil && ii.Parent.SubscriptionDetails != nil {
		return ii.Parent.SubscriptionDetails.Subscription
	}
	return ""
}

// subscriptionItem is the subscription item the item bills (prorations),
// or "".
func (ii *InvoiceItem) subscriptionItem() string {
	if ii.Parent != nil && ii.Parent.SubscriptionDetails != nil && ii.Parent.SubscriptionDetails.SubscriptionItem != nil {
		return *ii.Parent.SubscriptionDetails.SubscriptionItem
	}
	return ""
}

func invoiceItemTerms(ii *InvoiceItem) []string {
	terms := []string{"customer=" + ii.Customer}
	if ii.Invoice != nil {
		terms = append(terms, "invoice="+*ii.Invoice)
	} else {
		terms = append(terms, "pending="+ii.Customer, "pending")
	}
	if s := ii.subscription(); s != "" {
		terms = append(terms, "subscription="+s)
	}
	return terms
}

func saveInvoiceItem(c *Ctx, ii *InvoiceItem) error {
	return c.save(kindInvoiceItem, ii.ID, ii, invoiceItemTerms(ii)...)
}

// lineFromItem is the invoice line standing for ii: an
// invoice_item_details line, or for an item of a subscription item (a
// proration) a subscription_item_details line naming the invoice item, as
// Stripe shows prorations.
func lineFromItem(ii *InvoiceItem, lineID, invoice string) *LineItem {
	qty := ii.Quantity
	l := &LineItem{
		ID: lineID, Object: kindLineItem, Amount: ii.Amount, Currency: ii.Currency, Description: ii.Description,
		DiscountAmounts: []any{}, Discountable: ii.Discountable, Discounts: slices.Clone(ii.Discounts), Invoice: &invoice,
		Metadata: ii.Metadata, Period: ii.Period, Pricing: ii.Pricing, Quantity: &qty,
		QuantityDecimal: new(ii.QuantityDecimal), Subtotal: ii.Amount, Taxes: []any{},
		taxRates: ii.TaxRates, taxRatesSet: true,
	}
	if l.Discounts == nil {
		l.Discounts = []any{}
	}
	var pd *LineProrationDetails
	if ii.Proration {
		pd = &LineProrationDetails{CreditedItems: ii.ProrationDetails.CreditedItems}
	}
	var sub *string
	if s := ii.subscription(); s != "" {
		sub = &s
		l.Subscription = new(s)
	}
	if si := ii.subscriptionItem(); si != "" {
		l.Parent = &LineParent{SubscriptionItemDetails: &LineSubscriptionItemDetails{
			InvoiceItem: new(ii.ID), Proration: ii.Proration, ProrationDetails: pd, Subscription: sub, SubscriptionItem: si,
		}, Type: "subscription_item_details"}
		return l
	}
	l.Parent = &LineParent{InvoiceItemDetails: &LineInvoiceItemDetails{
		InvoiceItem: ii.ID, Proration: ii.Proration, ProrationDetails: pd, Subscription: sub,
	}, Type: "invoice_item_details"}
	return l
}

// checkItemFits refuses an item for an invoice of another customer or
// currency.
func checkItemFits(ii *InvoiceItem, inv *Invoice, param string) error {
	if ii.Customer != inv.Customer {
		return apierr.InvalidRequest(param, fmt.Sprintf("The invoice item %s belongs to customer %s, but invoice %s belongs to customer %s.", ii.ID, ii.Customer, inv.ID, inv.Customer))
	}
	if ii.Currency != inv.Currency {
		return apierr.InvalidRequest(param, fmt.Sprintf("The currency of the invoice item (%s) must match the currency of the invoice (%s).", ii.Currency, inv.Currency))
	}
	return nil
}

// attachItem attaches ii to the draft inv (which the caller saves) and
// saves ii.
func attachItem(c *Ctx, ii *InvoiceItem, inv *Invoice) error {
	id := inv.ID
	ii.Invoice = &id
	l, err := newInvoiceLine(c, LineInput{})
	if err != nil {
		return err
	}
	if err := inv.addLine(lineFromItem(ii, l.ID, inv.ID)); err != nil {
		return err
	}
	return saveInvoiceItem(c, ii)
}

// detachItem makes the invoice item id pending again.
func detachItem(c *Ctx, id string) error {
	ii, err := get[InvoiceItem](c, kindInvoiceItem, id, "id")
	if err != nil {
		return err
	}
	ii.Invoice = nil
	return saveInvoiceItem(c, ii)
}

func init() { families = append(families, registerInvoiceItems) }

func registerInvoiceItems(e *Engine) {
	e.kind(Kind{Object: kindInvoiceItem, Load: loader[InvoiceItem](kindInvoiceItem)})
	e.route(Route{Method: "POST", Pattern: "/v1/invoiceitems", Handle: createInvoiceItem})
	e.route(Route{Method: "GET", Pattern: "/v1/invoiceitems/{invoiceitem}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[InvoiceItem](c, kindInvoiceItem, c.Var("invoiceitem"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/invoiceitems/{invoiceitem}", Handle: updateInvoiceItem})
	e.route(Route{Method: "DELETE", Pattern: "/v1/invoiceitems/{invoiceitem}", Handle: deleteInvoiceItem})
	e.route(Route{Method: "GET", Pattern: "/v1/invoiceitems", Read: true, Handle: listInvoiceItems})
}

func createInvoiceItem(c *Ctx) (any, error) {
	p := c.Params
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	var inv *Invoice
	if id, ok := p.String("invoice"); ok {
		if inv, err = loadInvoice(c, id, "invoice"); err != nil {
			return nil, err
		}
		if inv.status() != invoiceDraft {
			return nil, apierr.InvalidRequest("invoice", fmt.Sprintf("Invoice %s is no longer editable: invoice items can only be added to draft invoices.", inv.ID))
		}
	}
	ii, err := newInvoiceItem(c, p, cu.ID, "", cu.TestClock)
	if err != nil {
		return nil, err
	}
	if sub, ok := p.String("subscription"); ok {
		s, err := get[Subscription](c, kindSubscription, sub, "subscription")
		if err != nil {
			return nil, err
		}
		// Only the customer's live subscriptions bill items: one of another
		// customer's, or an ended one, would never bill it.
		if s.Customer != cu.ID {
			return nil, apierr.InvalidRequest("subscription", fmt.Sprintf("The subscription %s belongs to customer %s, but the invoice item is for customer %s.", sub, s.Customer, cu.ID))
		}
		if s.ended() {
			return nil, apierr.InvalidRequest("subscription", fmt.Sprintf("The subscription %s has been canceled: invoice items can't be added to it.", sub))
		}
		ii.Parent = &InvoiceItemParent{Type: "subscription_details", SubscriptionDetails: &InvoiceItemSubscriptionParent{Subscription: sub}}
	}
	if inv != nil {
		if err := checkItemFits(ii, inv, "invoice"); err != nil {
			return nil, err
		}
		before := snapshotInvoice(c, inv)
		if err := attachItem(c, ii, inv); err != nil {
			return nil, err
		}
		if err := saveInvoice(c, inv); err != nil {
			return nil, err
		}
		if err := c.emit("invoiceitem.created", ii, nil); err != nil {
			return nil, err
		}
		_, err := emitInvoiceUpdated(c, before, inv)
		return ii, err
	}
	if err := saveInvoiceItem(c, ii); err != nil {
		return nil, err
	}
	return ii, c.emit("invoiceitem.created", ii, nil)
}

// newInvoiceItem builds (does not save) an item for customer from item
// parameters (POST /v1/invoiceitems, add_lines). currency "" takes the
// currency parameter, the price's or the customer's.
func newInvoiceItem(c *Ctx, p Params, customer, currency string, testClock *string) (*InvoiceItem, error) {
	cu, err := get[Customer](c, kindCustomer, customer, "customer")
	if err != nil {
		return nil, err
	}
	at, err := nowUnixFor(c, cu)
	if err != nil {
		return nil, err
	}
	if currency == "" && cu.Currency != nil && !p.Has("currency") && !p.Has("pricing") && !p.Has("price_data") {
		currency = *cu.Currency
	}
	return buildInvoiceItem(c, p, customer, currency, testClock, at)
}

// buildInvoiceItem makes an item with a fresh ID dated at.
func buildInvoiceItem(c *Ctx, p Params, customer, currency string, testClock *string, at int64) (*InvoiceItem, error) {
	if err := unsupported(p, "customer_account", "tax_behavior", "tax_code"); err != nil {
		return nil, err
	}
	ii, err := blankInvoiceItem(c, customer, currency, testClock, at)
	if err != nil {
		return nil, err
	}
	if err := setItemFields(c, ii, p, true); err != nil {
		return nil, err
	}
	return ii, nil
}

// blankInvoiceItem is an item with a fresh ID dated at, quantity 1, no
// amount yet.
func blankInvoiceItem(c *Ctx, customer, currency string, testClock *string, at int64) (*InvoiceItem, error) {
	id, err := c.NewID("ii")
	if err != nil {
		return nil, err
	}
	return &InvoiceItem{
		ID: id, Object: kindInvoiceItem, Currency: currency, Customer: customer, Date: at,
		Discounts: []any{}, FrozenFields: []string{}, Metadata: map[string]string{},
		Period: Period{Start: at, End: at}, ProrationDetails: ItemProrationDetails{DiscountAmounts: []any{}},
		Quantity: 1, QuantityDecimal: "1", TaxRates: []any{}, TestClock: testClock,
	}, nil
}

// createPendingItem creates, saves and announces (invoiceitem.created) a
// pending invoice item from a line description: for a subscription
// (in.Subscription, and in.SubscriptionItem for prorations) parent is
// subscription_details. A priced item's unit amount is Amount / Quantity
// (a proration's share of the price).
func createPendingItem(c *Ctx, customer string, testClock *string, in LineInput, at int64) (*InvoiceItem, error) {
	ii, err := newPendingItem(c, customer, testClock, in, at)
	if err != nil {
		return nil, err
	}
	if err := saveInvoiceItem(c, ii); err != nil {
		return nil, err
	}
	return ii, c.emit("invoiceitem.created", ii, nil)
}

// newPendingItem builds (does not save) the pending item createPendingItem
// makes; a subscription preview renders it without saving.
func newPendingItem(c *Ctx, customer string, testClock *string, in LineInput, at int64) (*InvoiceItem, error) {
	ii, err := blankInvoiceItem(c, customer, in.Currency, testClock, at)
	if err != nil {
		return nil, err
	}
	qty := max(in.Quantity, 1)
	ii.Amount, ii.NetAmount, ii.Quantity, ii.QuantityDecimal = in.Amount, in.Amount, qty, formatInt(qty)
	ii.Description, ii.Period, ii.Proration = in.Description, in.Period, in.Proration
	ii.Discountable = in.Amount >= 0 && !in.Proration
	if in.Metadata != nil {
		ii.Metadata = in.Metadata
	}
	if len(in.TaxRates) > 0 {
		ii.TaxRates = in.TaxRates
	}
	if len(in.Discounts) > 0 {
		ii.Discounts = in.Discounts
	}
	if in.Price != nil {
		ii.Pricing = pricingOf(in.Price)
		ii.Pricing.UnitAmountDecimal = new(formatDecimal(float64(in.Amount) / float64(qty)))
	}
	if in.Subscription != "" {
		d := &InvoiceItemSubscriptionParent{Subscription: in.Subscription}
		if in.SubscriptionItem != "" {
			d.SubscriptionItem = new(in.SubscriptionItem)
		}
		ii.Parent = &InvoiceItemParent{Type: "subscription_details", SubscriptionDetails: d}
	}
	return ii, nil
}

// formatDecimal writes f with at most 12 decimals, as Stripe's decimal
// strings are.
func formatDecimal(f float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(f, 'f', 12, 64), "0"), ".")
}

// setItemFields applies item parameters: on create every amount input, on
// update those sent.
func setItemFields(c *Ctx, ii *InvoiceItem, p Params, creating bool) error {
	if err := unsupported(p, "tax_behavior", "tax_code", "tax_amounts"); err != nil {
		return err
	}
	if p.Has("description") {
		ii.Description = p.NullableString("description")
	}
	if per, ok := p.Map("period"); ok {
		start, _ := per.Int("start")
		end, _ := per.Int("end")
		if end < start {
			return apierr.InvalidRequest(per.Path("end"), "The period end must be greater than or equal to the period start.")
		}
		ii.Period = Period{Start: start, End: end}
	}
	md, err := applyMetadata(p, ii.Metadata)
	if err != nil {
		return err
	}
	ii.Metadata = md
	if err := setItemAmount(c, ii, p, creating); err != nil {
		return err
	}
	if b, ok := p.Bool("discountable"); ok {
		if b && ii.Proration {
			return apierr.InvalidRequest(p.Path("discountable"), "Prorations cannot be discountable.")
		}
		ii.Discountable = b
	}
	return setInvoiceItemDiscounts(c, ii, p)
}

// setItemAmount works out unit amount, quantity and amount from whichever
// of amount, pricing[price], price_data and unit_amount_decimal was sent.
func setItemAmount(c *Ctx, ii *InvoiceItem, p Params, creating bool) error {
	sources := 0
	for _, k := range []string{"amount", "pricing", "price_data", "unit_amount_decimal"} {
		if p.Has(k) {
			sources++
		}
	}
	if sources > 1 {
		return apierr.InvalidRequest("", "You may only specify one of these parameters: amount, price_data, pricing, unit_amount_decimal.")
	}
	qtySent := p.Has("quantity") || p.Has("quantity_decimal")
	if sources == 0 && !qtySent {
		if creating {
			return apierr.MissingParam(p.Path("amount"))
		}
		return nil
	}
	qty, qtyDec, err := itemQuantity(p, ii)
	if err != nil {
		return err
	}
	var unit float64
	switch {
	case p.Has("amount"):
		if qtySent {
			return apierr.InvalidRequest(p.Path("quantity"), "You cannot pass `quantity` with `amount`; pass `unit_amount_decimal` or a price instead.")
		}
		amount, _ := p.Int("amount")
		ii.Pricing = nil
		unit = float64(amount)
		if err := setItemCurrency(p, ii, ""); err != nil {
			return err
		}
	case p.Has("pricing"):
		pp, _ := p.Map("pricing")
		id, err := pp.Require("price")
		if err != nil {
			return err
		}
		pr, err := loadPrice(c, id, pp.Path("price"))
		if err != nil {
			return err
		}
		if pr.Type == "recurring" {
			return apierr.InvalidRequest(pp.Path("price"), "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.")
		}
		if pr.UnitAmount == nil && pr.UnitAmountDecimal == nil {
			return apierr.InvalidRequest(pp.Path("price"), fmt.Sprintf("The price %s has no unit amount; invoice items need a per-unit price.", pr.ID))
		}
		if err := setItemCurrency(p, ii, pr.Currency); err != nil {
			return err
		}
		unit = priceUnit(pr)
		ii.Pricing = pricingOf(pr)
	case p.Has("price_data"):
		pd, _ := p.Map("price_data")
		product, err := pd.Require("product")
		if err != nil {
			return err
		}
		if _, err := loadProduct(c, product, pd.Path("product")); err != nil {
			return err
		}
		pr, err := newPrice(c, pd, product)
		if err != nil {
			return err
		}
		pr.Active = false
		if err := savePrice(c, pr); err != nil {
			return err
		}
		if err := setItemCurrency(p, ii, pr.Currency); err != nil {
			return err
		}
		unit = priceUnit(pr)
		ii.Pricing = pricingOf(pr)
	case p.Has("unit_amount_decimal"):
		s := p.Str("unit_amount_decimal")
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return apierr.InvalidRequest(p.Path("unit_amount_decimal"), "Invalid decimal: "+s)
		}
		unit = f
		ii.Pricing = &Pricing{Type: "price_details", UnitAmountDecimal: &s}
		if err := setItemCurrency(p, ii, ""); err != nil {
			return err
		}
	default: // only the quantity changed: keep the unit amount
		if ii.Quantity != 0 {
			unit = float64(ii.Amount) / float64(ii.Quantity)
		}
		if ii.Pricing != nil && ii.Pricing.UnitAmountDecimal != nil {
			unit, _ = strconv.ParseFloat(*ii.Pricing.UnitAmountDecimal, 64)
		}
	}
	ii.Quantity = qty
	ii.QuantityDecimal = qtyDec
	q, _ := strconv.ParseFloat(qtyDec, 64)
	ii.Amount = int64(math.Round(unit * q))
	ii.NetAmount = ii.Amount
	if creating {
		ii.Discountable = ii.Amount >= 0 && !ii.Proration
	}
	return nil
}

// itemQuantity reads quantity / quantity_decimal, defaulting to the
// item's current quantity.
func itemQuantity(p Params, ii *InvoiceItem) (int64, string, error) {
	if s, ok := p.String("quantity_decimal"); ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 {
			return 0, "", apierr.InvalidRequest(p.Path("quantity_decimal"), "Invalid decimal: "+s)
		}
		return int64(f), formatDecimal(f), nil
	}
	if n, ok := p.Int("quantity"); ok {
		if n < 0 {
			return 0, "", apierr.InvalidRequest(p.Path("quantity"), "This value must be greater than or equal to 0.")
		}
		return n, formatInt(n), nil
	}
	return ii.Quantity, ii.QuantityDecimal, nil
}

// setItemCurrency sets the item's currency: the currency parameter, which
// must match the price's currency when there is a price, else the price's
// currency, else the one already chosen.
func setItemCurrency(p Params, ii *InvoiceItem, priceCurrency string) error {
	cur := strings.ToLower(p.Str("currency"))
	switch {
	case cur != "" && priceCurrency != "" && cur != priceCurrency:
		return apierr.InvalidRequest(p.Path("currency"), fmt.Sprintf("The currency (%s) must match the price's currency (%s).", cur, priceCurrency))
	case cur != "":
		ii.Currency = cur
	case priceCurrency != "":
		ii.Currency = priceCurrency
	}
	if ii.Currency == "" {
		return apierr.MissingParam(p.Path("currency"))
	}
	return nil
}

// priceUnit is a per-unit price's unit amount in minor units.
func priceUnit(pr *Price) float64 {
	if pr.UnitAmountDecimal != nil {
		f, _ := strconv.ParseFloat(*pr.UnitAmountDecimal, 64)
		return f
	}
	if pr.UnitAmount != nil {
		return float64(*pr.UnitAmount)
	}
	return 0
}

// editableItem loads the path's item and its draft invoice (nil when
// pending), refusing an item on a finalized invoice.
func editableItem(c *Ctx, what string) (*InvoiceItem, *Invoice, error) {
	ii, err := get[InvoiceItem](c, kindInvoiceItem, c.Var("invoiceitem"), "id")
	if err != nil {
		return nil, nil, err
	}
	if err := onTimelineOf(c, ii.Customer, ii.TestClock); err != nil {
		return nil, nil, err
	}
	if ii.Invoice == nil {
		return ii, nil, nil
	}
	inv, err := loadInvoice(c, *ii.Invoice, "invoice")
	if err != nil {
		return nil, nil, err
	}
	if inv.status() != invoiceDraft {
		return nil, nil, apierr.InvalidRequest("", fmt.Sprintf("You can only %s invoice items that are pending or on a draft invoice. Invoice %s is %s.", what, inv.ID, inv.status()))
	}
	return ii, inv, nil
}

func updateInvoiceItem(c *Ctx) (any, error) {
	ii, inv, err := editableItem(c, "update")
	if err != nil {
		return nil, err
	}
	if err := setItemFields(c, ii, c.Params, false); err != nil {
		return nil, err
	}
	if err := saveInvoiceItem(c, ii); err != nil {
		return nil, err
	}
	if inv != nil {
		before := snapshotInvoice(c, inv)
		if i := inv.lineOfItem(ii.ID); i >= 0 {
			inv.Lines.Data[i] = lineFromItem(ii, inv.Lines.Data[i].ID, inv.ID)
		}
		inv.recomputeTotals()
		if err := saveInvoice(c, inv); err != nil {
			return nil, err
		}
		if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
			return nil, err
		}
	}
	return ii, nil
}

func deleteInvoiceItem(c *Ctx) (any, error) {
	ii, inv, err := editableItem(c, "delete")
	if err != nil {
		return nil, err
	}
	if inv != nil {
		before := snapshotInvoice(c, inv)
		if i := inv.lineOfItem(ii.ID); i >= 0 {
			inv.Lines.Data = append(inv.Lines.Data[:i], inv.Lines.Data[i+1:]...)
		}
		inv.recomputeTotals()
		if err := saveInvoice(c, inv); err != nil {
			return nil, err
		}
		if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
			return nil, err
		}
	}
	return c.remove(kindInvoiceItem, ii.ID, ii, "invoiceitem.deleted")
}

func listInvoiceItems(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	customer, byCustomer := p.String("customer")
	invoice, byInvoice := p.String("invoice")
	pending, byPending := p.Bool("pending")
	term := ""
	switch {
	case byInvoice:
		term = "invoice=" + invoice
	case byPending && pending && byCustomer:
		term = "pending=" + customer
	case byPending && pending:
		term = "pending"
	case byCustomer:
		term = "customer=" + customer
	}
	items, err := scan(c, kindInvoiceItem, term, func(ii *InvoiceItem) bool {
		switch {
		case skipTestClock(ii.TestClock, byCustomer || byInvoice),
			byCustomer && ii.Customer != customer,
			byInvoice && (ii.Invoice == nil || *ii.Invoice != invoice),
			byPending && pending != (ii.Invoice == nil):
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/invoiceitems", items, func(ii *InvoiceItem) (string, int64) { return ii.ID, ii.Date })
}
