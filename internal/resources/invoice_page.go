package resources

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/currencies"
	"github.com/stripefake/stripefake/store"
)

// The hosted invoice page: what hosted_invoice_url (and invoice_pdf, as
// HTML) shows. A small page with the invoice's number, status, lines and
// amounts, read at the time of the request.
//
//	GET …/invoices/<invoice>/<token>       hosted_invoice_url
//	GET …/invoices/<invoice>/<token>/pdf   invoice_pdf

var invoicePage = template.Must(template.New("invoice").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Invoice {{.Number}}</title></head>
<body>
<h1>Invoice {{.Number}}</h1>
<p>Status: <strong id="status">{{.Status}}</strong></p>
<p>Customer: {{.Customer}}{{with .CustomerName}} ({{.}}){{end}}</p>
{{with .DueDate}}<p>Due: {{.}}</p>{{end}}
<table id="lines">
<tr><th>Description</th><th>Quantity</th><th>Amount</th></tr>
{{range .Lines}}<tr><td>{{.Description}}</td><td>{{.Quantity}}</td><td>{{.Amount}}</td></tr>
{{end}}</table>
<p>Subtotal: <span id="subtotal">{{.Subtotal}}</span></p>
<p>Total: <span id="total">{{.Total}}</span></p>
<p>Applied balance: <span id="applied_balance">{{.Applied}}</span></p>
<p>Amount due: <span id="amount_due">{{.AmountDue}}</span></p>
<p>Amount paid: <span id="amount_paid">{{.AmountPaid}}</span></p>
<p>Amount remaining: <span id="amount_remaining">{{.AmountRemaining}}</span></p>
<p><small>Rendered by stripefake at {{.Now}}</small></p>
</body></html>
`))

type invoicePageLine struct {
	Description string
	Quantity    int64
	Amount      string
}

type invoicePageData struct {
	Number, Status, Customer, CustomerName, DueDate, Now string
	Subtotal, Total, Applied, AmountDue, AmountPaid      string
	AmountRemaining                                      string
	Lines                                                []invoicePageLine
}

// formatMoney renders minor units with the currency, e.g. "10.00 USD".
func formatMoney(amount int64, currency string) string {
	if currencies.ZeroDecimal(currency) {
		return fmt.Sprintf("%d %s", amount, strings.ToUpper(currency))
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, amount/100, amount%100, strings.ToUpper(currency))
}

func serveInvoicePage(c *Ctx, w http.ResponseWriter, r *http.Request, rest string) error {
	id, rest, _ := strings.Cut(rest, "/")
	token, _, _ := strings.Cut(rest, "/")
	inv, err := loadInvoice(c, id, "id")
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.NotFound(w, r)
			return nil
		}
		return err
	}
	if inv.HostedInvoiceURL == nil || !tokenMatches(inv.PageToken, token) { // drafts have no hosted page
		http.NotFound(w, r)
		return nil
	}
	d := invoicePageData{
		Status: inv.status(), Customer: inv.Customer,
		Now:      c.Now().UTC().Format("2006-01-02 15:04:05 UTC"),
		Subtotal: formatMoney(inv.Subtotal, inv.Currency), Total: formatMoney(inv.Total, inv.Currency),
		Applied:   formatMoney(inv.AmountDue-max(inv.Total, 0), inv.Currency),
		AmountDue: formatMoney(inv.AmountDue, inv.Currency), AmountPaid: formatMoney(inv.AmountPaid, inv.Currency),
		AmountRemaining: formatMoney(inv.AmountRemaining, inv.Currency),
	}
	if inv.Number != nil {
		d.Number = *inv.Number
	}
	if inv.CustomerName != nil {
		d.CustomerName = *inv.CustomerName
	}
	if inv.DueDate != nil {
		d.DueDate = unixTime(*inv.DueDate).Format("2006-01-02")
	}
	for _, l := range inv.Lines.Data {
		pl := invoicePageLine{Amount: formatMoney(l.Amount, l.Currency), Quantity: 1}
		if l.Description != nil {
			pl.Description = *l.Description
		}
		if l.Quantity != nil {
			pl.Quantity = *l.Quantity
		}
		d.Lines = append(d.Lines, pl)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return invoicePage.Execute(w, d)
}
