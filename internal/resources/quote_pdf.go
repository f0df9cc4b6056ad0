package resources

import (
	"bytes"
	"fmt"
	"strings"
)

// The quote PDF (GET /v1/quotes/{quote}/pdf): a one-page PDF 1.4 in
// Helvetica listing the quote's number, customer, line items and totals,
// written by hand so that it needs no dependency. Any PDF reader
// (pdftotext included) accepts it: the xref offsets are exact.

// pdfMaxLines is how many text lines fit on the page.
const pdfMaxLines = 50

func quotePDFHandler(c *Ctx) (any, error) {
	q, err := loadQuote(c, c.Var("quote"), "id")
	if err != nil {
		return nil, err
	}
	return quotePDF(c, q)
}

// QuotePDF returns the PDF of quote id, as GET /v1/quotes/{quote}/pdf
// answers it.
func (e *Engine) QuotePDF(id string) ([]byte, error) {
	var out []byte
	err := e.View(func(c *Ctx) error {
		q, err := loadQuote(c, id, "id")
		if err != nil {
			return err
		}
		out, err = quotePDF(c, q)
		return err
	})
	return out, err
}

// quotePDF renders q.
func quotePDF(c *Ctx, q *Quote) ([]byte, error) {
	currency := defaultCurrency
	if q.Currency != nil {
		currency = *q.Currency
	}
	title := "Quote (draft)"
	if q.Number != nil {
		title = "Quote " + *q.Number
	}
	lines := []string{title, "", "Quote ID: " + q.ID, "Status: " + q.Status}
	if q.Customer != nil {
		who := *q.Customer
		if cu, err := get[Customer](c, kindCustomer, who, "customer"); err == nil && cu.Name != nil {
			who += " (" + *cu.Name + ")"
		}
		lines = append(lines, "Customer: "+who)
	}
	lines = append(lines, "Created: "+unixTime(q.Created).Format("2006-01-02"), "Expires: "+unixTime(q.ExpiresAt).Format("2006-01-02"))
	for _, s := range []*string{q.Header, q.Description} {
		if s != nil {
			lines = append(lines, *s)
		}
	}
	lines = append(lines, "", "Line items:")
	for _, it := range q.Items {
		desc := it.Price.ID
		if it.Description != nil {
			desc = *it.Description
		}
		qty := "metered"
		if it.Quantity != nil {
			qty = "x " + formatInt(*it.Quantity)
		}
		per := ""
		if r := it.Price.Recurring; r != nil {
			per = " / " + intervalLabel(r.Interval, r.IntervalCount)
		}
		lines = append(lines, fmt.Sprintf("  %s  %s  %s%s", desc, qty, formatMoney(it.AmountTotal, it.Currency), per))
	}
	lines = append(lines, "",
		"Subtotal: "+formatMoney(q.AmountSubtotal, currency),
		"Total due upfront: "+formatMoney(q.AmountTotal, currency))
	if r := q.Computed.Recurring; r != nil {
		lines = append(lines, "Then: "+formatMoney(r.AmountTotal, currency)+" / "+intervalLabel(r.Interval, r.IntervalCount))
	}
	if q.Footer != nil {
		lines = append(lines, "", *q.Footer)
	}
	return pdfDocument(lines), nil
}

// intervalLabel is "month" or "3 months".
func intervalLabel(interval string, count int64) string {
	if count == 1 {
		return interval
	}
	return fmt.Sprintf("%d %ss", count, interval)
}

// pdfDocument lays lines out on one US Letter page.
func pdfDocument(lines []string) []byte {
	if len(lines) > pdfMaxLines {
		lines = append(lines[:pdfMaxLines-1:pdfMaxLines-1], "...")
	}
	var content strings.Builder
	content.WriteString("BT\n/F1 11 Tf\n14 TL\n50 750 Td\n")
	for _, l := range lines {
		content.WriteString("(" + pdfEscape(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")

	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfEscape makes s a PDF literal string body: backslash, parentheses
// escaped; characters outside printable ASCII become '?'.
func pdfEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
