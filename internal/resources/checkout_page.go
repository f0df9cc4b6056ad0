package resources

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// The hosted Checkout page a session's url serves: the line items, the
// total and a card form (a test card number, prefilled with 4242…). Posting
// the form completes the session with the same code as
// Engine.CompleteCheckoutSession, then redirects (303) to success_url, or
// shows the fake's own confirmation when there is none. A declined card is
// shown on the form (402) and the session stays open with nothing written.
// An expired session answers an expiry page (410); a completed one its
// confirmation.
//
//	GET  …/c/pay/<session>/<token>   the payment form
//	POST …/c/pay/<session>/<token>   csrf_token, email, number, exp_month, exp_year, cvc
//	POST …/c/pay/<session>/<token>   csrf_token, action=apply_promotion_code, promotion_code
//
// With allow_promotion_codes the page has a promotion code form: applying
// a code (Engine.ApplyCheckoutPromotionCode's code) reprices the session
// and shows the page again (303); a code that cannot be redeemed is shown
// on the page (400) and changes nothing. An empty code removes it.

var checkoutPage = template.Must(template.New("checkout").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Checkout</title></head>
<body>
<h1 id="title">{{.Title}}</h1>
{{if eq .Status "open"}}
<table id="line_items"><tr><th>Item</th><th>Quantity</th><th>Amount</th></tr>
{{range .Lines}}<tr class="line_item"><td>{{.Description}}</td><td>{{.Quantity}}</td><td>{{.Amount}}</td></tr>
{{end}}</table>
{{with .Discount}}<p>Discount{{with $.PromotionCode}} (<span id="promotion_code">{{.}}</span>){{end}}: <span id="discount">-{{$.Discount}}</span></p>{{end}}
{{with .Tax}}<p>Tax: <span id="tax">{{.}}</span></p>{{end}}
<p>Total due today: <strong id="total">{{.Total}}</strong></p>
{{with .Error}}<p id="error" role="alert">{{.}}</p>{{end}}
{{if .AllowPromotionCodes}}<form method="post" action="{{.Action}}"><input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label>Promotion code <input name="promotion_code" value="{{.PromotionCode}}"></label>
<button type="submit" name="action" value="apply_promotion_code" id="apply_promotion_code">Apply</button>
</form>{{end}}
<form method="post" action="{{.Action}}"><input type="hidden" name="csrf_token" value="{{.CSRF}}">
{{if .AskEmail}}<label>Email <input name="email" type="email" value="{{.Email}}"></label>{{else}}<p id="email">{{.Email}}</p>{{end}}
<label>Card number <input name="number" value="{{.Number}}"></label>
<label>Month <input name="exp_month" value="12"></label> <label>Year <input name="exp_year" value="{{.ExpYear}}"></label>
<label>CVC <input name="cvc" value="123"></label>
<button type="submit" id="submit">{{.Submit}}</button>
</form>
{{with .CancelURL}}<p><a id="cancel" href="{{.}}">Back</a></p>{{end}}
{{else if eq .Status "complete"}}
<p id="complete">Thanks for your order. Payment status: <span id="payment_status">{{.PaymentStatus}}</span></p>
{{with .SuccessURL}}<p><a id="continue" href="{{.}}">Continue</a></p>{{end}}
{{else}}
<p id="expired">This Checkout Session has expired.</p>
{{with .CancelURL}}<p><a id="cancel" href="{{.}}">Back</a></p>{{end}}
{{end}}
</body></html>
`))

type checkoutPageLine struct {
	Description string
	Quantity    int64
	Amount      string
}

type checkoutPageData struct {
	Title, Status, Total, Error, Action, Email, Number, Submit string
	CancelURL, SuccessURL, PaymentStatus, CSRF                 string
	Discount, Tax, PromotionCode                               string
	AskEmail, AllowPromotionCodes                              bool
	ExpYear                                                    int
	Lines                                                      []checkoutPageLine
}

// checkoutPageURL is the session's page: its ID and its page token.
func checkoutPageURL(c *Ctx, cs *CheckoutSession) string {
	return c.e.pageURL("c/pay/" + cs.ID + "/" + cs.PageToken)
}

func serveCheckoutPage(c *Ctx, w http.ResponseWriter, r *http.Request, rest string) error {
	id, token, _ := strings.Cut(rest, "/")
	var cs CheckoutSession
	if err := c.load(kindCheckoutSession, id, &cs); err != nil || !tokenMatches(cs.PageToken, token) {
		http.NotFound(w, r)
		return nil
	}
	// Due expiry has run before the page (ServePage runs due work), so an
	// open session here is open.
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return renderCheckout(c, w, &cs, http.StatusOK, "", "", "")
	case r.Method != http.MethodPost:
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	if cs.Status != "open" {
		return renderCheckout(c, w, &cs, http.StatusGone, "", "", "")
	}
	if err := r.ParseForm(); err != nil {
		return renderCheckout(c, w, &cs, http.StatusBadRequest, err.Error(), "", "")
	}
	if !tokenMatches(cs.CSRF, r.PostForm.Get("csrf_token")) {
		http.Error(w, errCSRF, http.StatusForbidden)
		return nil
	}
	if r.PostForm.Get("action") == "apply_promotion_code" {
		err := applyPromotionCode(c, &cs, r.PostForm.Get("promotion_code"))
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return renderCheckout(c, w, &cs, ae.Status, ae.Message, "", "")
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, checkoutPageURL(c, &cs), http.StatusSeeOther)
		return nil
	}
	email := r.PostForm.Get("email")
	plan, err := prepareCheckout(c, &cs, cardInputFromForm(r.PostForm), email)
	var ae *apierr.Error
	if errors.As(err, &ae) {
		// Nothing was written: show the error on the form.
		return renderCheckout(c, w, &cs, ae.Status, ae.Message, r.PostForm.Get("number"), email)
	}
	if err != nil {
		return err
	}
	if err := plan.apply(c); err != nil {
		return err
	}
	if u := checkoutRedirect(&cs); u != "" {
		http.Redirect(w, r, u, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, checkoutPageURL(c, &cs), http.StatusSeeOther)
	return nil
}

func renderCheckout(c *Ctx, w http.ResponseWriter, cs *CheckoutSession, status int, errMsg, number, email string) error {
	d := checkoutPageData{
		Title: "Checkout", Status: cs.Status, Error: errMsg, Action: checkoutPageURL(c, cs),
		Number: "4242 4242 4242 4242", Submit: "Pay", ExpYear: c.Now().Year() + 3,
		PaymentStatus: cs.PaymentStatus, SuccessURL: checkoutRedirect(cs), CSRF: cs.CSRF,
	}
	if cs.Mode == "subscription" {
		d.Title, d.Submit = "Subscribe", "Subscribe"
	}
	if number != "" {
		d.Number = number
	}
	if cs.CancelURL != nil {
		d.CancelURL = *cs.CancelURL
	}
	if cs.Status == "open" && c.Unix() >= cs.ExpiresAt {
		d.Status = "expired" // due expiry not yet run (a page served mid-advance)
	}
	if d.Status == "expired" && status == http.StatusOK {
		status = http.StatusGone
	}
	d.Email = email
	switch {
	case cs.Customer != nil:
		if cu, err := get[Customer](c, kindCustomer, *cs.Customer, "customer"); err == nil && cu.Email != nil && d.Email == "" {
			d.Email = *cu.Email
		}
	case cs.CustomerEmail != nil:
		d.Email = *cs.CustomerEmail
	default:
		d.AskEmail = true
	}
	items, err := checkoutItems(c, cs)
	if err != nil {
		return err
	}
	for _, it := range items {
		l := checkoutPageLine{Amount: formatMoney(it.AmountTotal, it.Currency), Quantity: *it.Quantity}
		if it.Description != nil {
			l.Description = *it.Description
		}
		d.Lines = append(d.Lines, l)
	}
	if cs.AmountTotal != nil && cs.Currency != nil {
		d.Total = formatMoney(*cs.AmountTotal, *cs.Currency)
		if n := intOf(cs.TotalDetails["amount_discount"]); n > 0 {
			d.Discount = formatMoney(n, *cs.Currency)
		}
		if n := intOf(cs.TotalDetails["amount_tax"]); n > 0 {
			d.Tax = formatMoney(n, *cs.Currency)
		}
	}
	d.AllowPromotionCodes = cs.AllowPromotionCodes != nil && *cs.AllowPromotionCodes
	if dp := checkoutDiscountParams(cs); dp != nil {
		if id, ok := dp["promotion_code"].(string); ok {
			if pc, err := get[PromotionCode](c, kindPromotionCode, id, "promotion_code"); err == nil {
				d.PromotionCode = pc.Code
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return checkoutPage.Execute(w, d)
}
