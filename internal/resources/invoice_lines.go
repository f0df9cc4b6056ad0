package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
)

// Invoice lines: GET /v1/invoices/{id}/lines, add_lines, update_lines,
// remove_lines, POST /v1/invoices/{id}/lines/{line}, and create_preview
// (invoice_items previews). Lines backed by an invoice item are edited
// through the item, so the item and its line never disagree; subscription
// lines take only description and metadata.

func listInvoiceLines(c *Ctx) (any, error) {
	inv, err := loadInvoice(c, c.Var("invoice"), "id")
	if err != nil {
		return nil, err
	}
	return pageLines(c, "/v1/invoices/"+inv.ID+"/lines", inv)
}

// pageLines is one page of inv's lines (an invoice's, or a preview's).
func pageLines(c *Ctx, url string, inv *Invoice) (*List, error) {
	// page orders newest first by created; lines keep the invoice's order,
	// so each gets a descending sort key.
	n := int64(len(inv.Lines.Data))
	key := make(map[string]int64, n)
	for i, l := range inv.Lines.Data {
		key[l.ID] = n - int64(i)
	}
	return page(c, url, inv.Lines.Data, func(l *LineItem) (string, int64) { return l.ID, key[l.ID] })
}

// loadDraft loads the path's invoice and refuses it unless it is a draft.
func loadDraft(c *Ctx, action string) (*Invoice, error) {
	inv, err := loadInvoiceToChange(c)
	if err != nil {
		return nil, err
	}
	if inv.status() != invoiceDraft {
		return nil, errRefused(inv, action)
	}
	return inv, nil
}

// saveDraftLines saves a draft whose lines changed, with invoice_metadata
// applied, and emits invoice.updated.
func saveDraftLines(c *Ctx, inv *Invoice, before json.RawMessage) (*Invoice, error) {
	if c.Params.Has("invoice_metadata") {
		sub := NewParams(map[string]any{"metadata": c.Params.Raw()["invoice_metadata"]})
		m, err := applyMetadata(sub, inv.Metadata)
		if err != nil {
			return nil, err
		}
		inv.Metadata = m
	}
	inv.recomputeTotals()
	if err := saveInvoice(c, inv); err != nil {
		return nil, err
	}
	if _, err := emitInvoiceUpdated(c, before, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// addInvoiceLines adds lines to a draft: each an existing pending invoice
// item (invoice_item) or a new invoice item made from the line's fields.
func addInvoiceLines(c *Ctx) (any, error) {
	inv, err := loadDraft(c, "add_lines")
	if err != nil {
		return nil, err
	}
	before := snapshotInvoice(c, inv)
	for _, lp := range c.Params.List("lines") {
		if id, ok := lp.String("invoice_item"); ok {
			ii, err := get[InvoiceItem](c, kindInvoiceItem, id, lp.Path("invoice_item"))
			if err != nil {
				return nil, err
			}
			if ii.Invoice != nil {
				return nil, apierr.InvalidRequest(lp.Path("invoice_item"), fmt.Sprintf("The invoice item %s is already attached to invoice %s.", ii.ID, *ii.Invoice))
			}
			if err := checkItemFits(ii, inv, lp.Path("invoice_item")); err != nil {
				return nil, err
			}
			if err := setItemFields(c, ii, lp, false); err != nil {
				return nil, err
			}
			if err := attachItem(c, ii, inv); err != nil {
				return nil, err
			}
			continue
		}
		if pd, ok := lp.Map("price_data"); ok {
			if err := unsupported(pd, "product_data"); err != nil {
				return nil, err
			}
		}
		cu, err := get[Customer](c, kindCustomer, inv.Customer, "customer")
		if err != nil {
			return nil, err
		}
		at, err := nowUnixFor(c, cu)
		if err != nil {
			return nil, err
		}
		ii, err := buildInvoiceItem(c, lp, inv.Customer, inv.Currency, inv.TestClock, at)
		if err != nil {
			return nil, err
		}
		if err := checkItemFits(ii, inv, lp.Path("price_data")); err != nil {
			return nil, err
		}
		if err := attachItem(c, ii, inv); err != nil {
			return nil, err
		}
		if err := c.emit("invoiceitem.created", ii, nil); err != nil {
			return nil, err
		}
	}
	if _, err := saveDraftLines(c, inv, before); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

func updateInvoiceLines(c *Ctx) (any, error) {
	inv, err := loadDraft(c, "update_lines")
	if err != nil {
		return nil, err
	}
	before := snapshotInvoice(c, inv)
	for _, lp := range c.Params.List("lines") {
		if err := updateLine(c, inv, lp.Str("id"), lp, lp.Path("id")); err != nil {
			return nil, err
		}
	}
	if _, err := saveDraftLines(c, inv, before); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

func updateInvoiceLine(c *Ctx) (any, error) {
	inv, err := loadDraft(c, "update_lines")
	if err != nil {
		return nil, err
	}
	before := snapshotInvoice(c, inv)
	id := c.Var("line_item_id")
	if err := updateLine(c, inv, id, c.Params, "id"); err != nil {
		return nil, err
	}
	if _, err := saveDraftLines(c, inv, before); err != nil {
		return nil, err
	}
	return inv.Lines.Data[inv.lineIndex(id)], nil
}

// updateLine applies line parameters to the line id of a draft, through its
// invoice item; subscription lines take only metadata and description.
func updateLine(c *Ctx, inv *Invoice, id string, lp Params, param string) error {
	if pd, ok := lp.Map("price_data"); ok {
		if err := unsupported(pd, "product_data"); err != nil {
			return err
		}
	}
	i := inv.lineIndex(id)
	if i < 0 {
		status := http.StatusBadRequest
		if param == "id" {
			status = http.StatusNotFound
		}
		return apierr.NoSuch(status, kindLineItem, id, param)
	}
	l := inv.Lines.Data[i]
	itemID := l.invoiceItem()
	if itemID == "" || l.Parent.SubscriptionItemDetails != nil {
		for _, k := range lp.Keys() {
			if k != "id" && k != "metadata" && k != "description" && k != "expand" && k != "invoice_metadata" {
				return apierr.InvalidRequest(lp.Path(k), fmt.Sprintf("Only `description` and `metadata` can be updated on subscription line items, not `%s`.", k))
			}
		}
		if lp.Has("description") {
			l.Description = lp.NullableString("description")
		}
		md, err := applyMetadata(lp, l.Metadata)
		if err != nil {
			return err
		}
		l.Metadata = md
		return nil
	}
	ii, err := get[InvoiceItem](c, kindInvoiceItem, itemID, param)
	if err != nil {
		return err
	}
	if err := setItemFields(c, ii, lp, false); err != nil {
		return err
	}
	if err := saveInvoiceItem(c, ii); err != nil {
		return err
	}
	inv.Lines.Data[i] = lineFromItem(ii, l.ID, inv.ID)
	return nil
}

func removeInvoiceLines(c *Ctx) (any, error) {
	inv, err := loadDraft(c, "remove_lines")
	if err != nil {
		return nil, err
	}
	before := snapshotInvoice(c, inv)
	for _, lp := range c.Params.List("lines") {
		id := lp.Str("id")
		i := inv.lineIndex(id)
		if i < 0 {
			return nil, apierr.NoSuch(http.StatusBadRequest, kindLineItem, id, lp.Path("id"))
		}
		itemID := inv.Lines.Data[i].invoiceItem()
		if itemID == "" {
			return nil, apierr.InvalidRequest(lp.Path("id"), "Subscription line items cannot be removed from an invoice.")
		}
		inv.Lines.Data = slices.Delete(inv.Lines.Data, i, i+1)
		if lp.Str("behavior") == "delete" {
			ii, err := get[InvoiceItem](c, kindInvoiceItem, itemID, lp.Path("id"))
			if err != nil {
				return nil, err
			}
			if _, err := c.remove(kindInvoiceItem, itemID, ii, "invoiceitem.deleted"); err != nil {
				return nil, err
			}
			continue
		}
		// unassign: the item becomes pending again.
		if err := detachItem(c, itemID); err != nil {
			return nil, err
		}
	}
	if _, err := saveDraftLines(c, inv, before); err != nil {
		return nil, err
	}
	return respond(c, inv)
}

// createPreviewInvoice answers POST /v1/invoices/create_preview for
// invoice_items (subscription previews: subscription_preview.go): an
// unsaved invoice with id upcoming_in_…, billing_reason upcoming, the
// customer's balance applied as finalization would.
func createPreviewInvoice(c *Ctx) (any, error) {
	out, err := previewing(c, func() (any, error) { return previewInvoice(c) })
	if err != nil {
		return nil, err
	}
	c.preview = out.(*Invoice)
	return out, nil
}

func previewInvoice(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account", "customer_details", "issuer", "on_behalf_of", "preview_mode"); err != nil {
		return nil, err
	}
	d, _ := p.Map("subscription_details")
	if c.Version.Before(apiversion.Basil) && !p.Has("subscription") && !d.Has("items") && !p.Has("schedule") &&
		!p.Has("schedule_details") && !p.Has("invoice_items") {
		// Before basil a preview without anything to preview was the
		// customer's next invoice: "If neither subscription nor
		// subscription_items is provided, you will retrieve the next
		// upcoming invoice from among the customer's subscriptions"
		// (docs.stripe.com/api/invoices/upcoming?api-version=2024-06-20);
		// basil ended that on create_preview too
		// (docs.stripe.com/changelog/basil/2025-03-31/invoice-preview-api-deprecations).
		cu, err := customerParam(c, p)
		if err != nil {
			return nil, err
		}
		next, err := nextSubscription(c, cu.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case next != nil:
			p.Raw()["subscription"] = next.ID
		case p.Has("subscription_details"):
			return nil, errNoUpcoming(cu.ID)
		default:
			if err := checkNoAutomaticTax(p); err != nil {
				return nil, err
			}
			return previewPendingItems(c, cu, p)
		}
	}
	if p.Has("schedule") || p.Has("schedule_details") {
		if err := unsupported(p, "invoice_items", "subscription", "subscription_details"); err != nil {
			return nil, err
		}
		return previewScheduleInvoice(c, p)
	}
	if p.Has("subscription") || p.Has("subscription_details") {
		if err := unsupported(p, "invoice_items"); err != nil {
			return nil, err
		}
		return previewSubscriptionInvoice(c, p)
	}
	if err := checkNoAutomaticTax(p); err != nil {
		return nil, err
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	if !p.Has("invoice_items") {
		return nil, apierr.InvalidRequest("", "You must pass at least one of `subscription`, `subscription_details.items`, `schedule`, `schedule_details.phases` or `invoice_items`.")
	}
	return previewOneOff(c, cu, p, p.Str("currency"), func(inv *Invoice) error {
		for _, ip := range p.List("invoice_items") {
			if err := unsupported(ip, "tax_behavior", "tax_code", "invoiceitem"); err != nil {
				return err
			}
			// The spec's preview item names its price "price" and takes
			// unit_amount; map them onto the invoice item parameters.
			raw := map[string]any{}
			for k, v := range ip.Raw() {
				raw[k] = v
			}
			if pr, ok := raw["price"]; ok {
				delete(raw, "price")
				raw["pricing"] = map[string]any{"price": pr}
			}
			if ua, ok := ip.Int("unit_amount"); ok {
				delete(raw, "unit_amount")
				raw["unit_amount_decimal"] = formatInt(ua)
			}
			item := ip.withRaw(raw)
			ii, err := buildInvoiceItem(c, item, cu.ID, inv.Currency, cu.TestClock, inv.Created)
			if err != nil {
				return err
			}
			if ii.Currency != inv.Currency {
				return apierr.InvalidRequest(ip.Path("currency"), fmt.Sprintf("The currency of an invoice item (%s) must match the currency of the preview (%s).", ii.Currency, inv.Currency))
			}
			if err := addPreviewLine(c, inv, ii); err != nil {
				return err
			}
		}
		return nil
	})
}

// previewOneOff is the preview of an invoice outside any subscription,
// whose lines add puts on it: an unsaved draft with id upcoming_in_…,
// billing_reason upcoming, its discounts (create_preview's discounts, else
// the customer's), and the customer's balance applied as finalization
// would.
func previewOneOff(c *Ctx, cu *Customer, p Params, currency string, add func(inv *Invoice) error) (*Invoice, error) {
	inv, err := newDraftInvoice(c, cu, InvoiceOptions{Currency: currency, BillingReason: "upcoming"})
	if err != nil {
		return nil, err
	}
	inv.Preview = true
	inv.ID = "upcoming_" + inv.ID
	inv.Lines.URL = "/v1/invoices/upcoming/lines"
	if err := add(inv); err != nil {
		return nil, err
	}
	if err := previewDiscounts(c, p, inv, customerDiscounts(cu)); err != nil {
		return nil, err
	}
	inv.StartingBalance = balanceIn(cu, inv.Currency)
	inv.AmountDue, _ = applyBalance(inv.Total, inv.StartingBalance)
	inv.AmountRemaining = inv.AmountDue
	return inv, nil
}

// addPreviewLine adds invoice item ii to the preview inv as a new line.
func addPreviewLine(c *Ctx, inv *Invoice, ii *InvoiceItem) error {
	l, err := newInvoiceLine(c, LineInput{})
	if err != nil {
		return err
	}
	return inv.addLine(lineFromItem(ii, l.ID, inv.ID))
}
