package resources

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// The customer portal page a session's url serves: the customer's
// subscriptions, invoices and payment methods, and forms for what the
// configuration allows (cancel, change quantity or price, replace the
// payment method, update contact details). Plain HTML forms that POST and
// redirect, so the page works without JavaScript.
//
//	GET  …/p/session/<secret>                   the portal (a visit: see openPortalSession)
//	POST …/p/session/<secret>/cancel            subscription, reason
//	POST …/p/session/<secret>/update            subscription, item, price, quantity
//	POST …/p/session/<secret>/update_confirm    the flow's prepared update
//	POST …/p/session/<secret>/payment_method    number, exp_month, exp_year, cvc
//	POST …/p/session/<secret>/customer          email, name, phone
//
// Every form carries the session's csrf_token; a post without it is
// refused (403) with nothing changed.
//
// Each action runs the same code as the API request that does it, inside
// the page's transaction. After an action the customer is redirected
// (303) to the return_url, or, in a flow, as flow.after_completion says
// (portal_homepage: back to the portal; redirect: its return_url;
// hosted_confirmation: a confirmation page). A mistake the customer can fix
// (a declined card, a quantity out of bounds) is shown on the portal with
// nothing changed.

// pageError is a mistake shown to the customer on the page. It is found
// before anything is written, so the page's transaction commits with no
// change but the visit.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func newPageError(status int, msg string) error { return &pageError{status: status, msg: msg} }

// asPageError turns a card or validation error found before any write into
// a pageError.
func asPageError(err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return newPageError(ae.Status, ae.Message)
	}
	return err
}

// callHandler runs an API handler inside a page's transaction with params
// and path vars, as the request a customer's click stands for.
func callHandler(c *Ctx, h Handler, vars map[string]string, params map[string]any) (any, error) {
	saveP, saveV := c.Params, c.Vars
	c.Params, c.Vars = NewParams(params), vars
	defer func() { c.Params, c.Vars = saveP, saveV }()
	return h(c)
}

// ---- Cards entered on a page ----

// cardInput is the card a page (or a test helper) pays with: a payment
// method (a test value such as pm_card_visa, or a stored pm_…) or raw
// card details.
type cardInput struct {
	PaymentMethod     string
	Number, CVC       string
	ExpMonth, ExpYear string
}

// pageCard is a card read without writing anything.
type pageCard struct {
	stored  *PaymentMethod
	details cardDetails
}

func cardInputFromForm(f url.Values) cardInput {
	return cardInput{Number: f.Get("number"), CVC: f.Get("cvc"), ExpMonth: f.Get("exp_month"), ExpYear: f.Get("exp_year")}
}

// readCard checks the card: its details' errors (incorrect number, expiry,
// CVC) come back as Stripe's card errors, and nothing is written.
func readCard(c *Ctx, in cardInput) (pageCard, error) {
	if in.PaymentMethod != "" {
		if tc, ok := magicCard(magicPMPrefix, in.PaymentMethod); ok {
			return pageCard{details: magicDetails(c, tc)}, nil
		}
		pm, err := get[PaymentMethod](c, kindPaymentMethod, in.PaymentMethod, "payment_method")
		if err != nil {
			return pageCard{}, err
		}
		if pm.Detached {
			return pageCard{}, errPMDetachedReuse()
		}
		return pageCard{stored: pm}, nil
	}
	card := map[string]any{"number": strings.ReplaceAll(strings.TrimSpace(in.Number), " ", "")}
	if in.CVC != "" {
		card["cvc"] = in.CVC
	}
	for key, v := range map[string]string{"exp_month": in.ExpMonth, "exp_year": in.ExpYear} {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			card[key] = n
		}
	}
	if _, ok := card["exp_month"]; !ok {
		return pageCard{}, errInvalidExpiryMonth.err()
	}
	if _, ok := card["exp_year"]; !ok {
		return pageCard{}, errInvalidExpiryYear.err()
	}
	d, err := cardFromParams(c, NewParams(card))
	if err != nil {
		return pageCard{}, err
	}
	return pageCard{details: d}, nil
}

func (pc pageCard) behavior() cardBehavior {
	if pc.stored != nil {
		return cardBehaviors[pc.stored.TestBehavior]
	}
	return cardBehaviors[pc.details.card.behavior]
}

// attachError is what saving the card to a customer gets, nil if it works.
func (pc pageCard) attachError() error {
	if b := pc.behavior(); b.refusesAttach {
		return b.decline.err()
	}
	return nil
}

// paymentMethod returns the stored payment method, or a new unsaved one.
func (pc pageCard) paymentMethod(c *Ctx) (*PaymentMethod, error) {
	if pc.stored != nil {
		return pc.stored, nil
	}
	id, err := c.NewID("pm")
	if err != nil {
		return nil, err
	}
	return newCardPaymentMethod(c, id, pc.details), nil
}

// ---- The page ----

var portalPage = template.Must(template.New("portal").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Customer portal</title></head>
<body>
<h1 id="headline">{{if .Headline}}{{.Headline}}{{else}}Customer portal{{end}}</h1>
<p id="customer">{{.CustomerName}} {{.CustomerEmail}}</p>
{{with .Error}}<p id="error" role="alert">{{.}}</p>{{end}}
{{if .Confirmation}}<p id="confirmation">{{.Confirmation}}</p>{{end}}
{{if .ShowSubscriptions}}<section id="subscriptions"><h2>Subscriptions</h2>
{{range .Subscriptions}}<div class="subscription" id="{{.ID}}">
<p>{{.ID}}: <span class="status">{{.Status}}</span>{{if .CancelAtPeriodEnd}} <span class="cancels">cancels at period end {{.PeriodEnd}}</span>{{end}}</p>
<ul>{{range .Items}}<li class="item" id="{{.ID}}">{{.Product}}: {{.Amount}} &times; <span class="quantity">{{.Quantity}}</span> (<span class="price">{{.Price}}</span>)
{{if .Updatable}}<form method="post" action="{{$.Base}}/update">{{$.CSRFField}}
<input type="hidden" name="subscription" value="{{.Subscription}}"><input type="hidden" name="item" value="{{.ID}}">
{{if .QuantityAdjustable}}<label>Quantity <input type="number" name="quantity" value="{{.Quantity}}" min="{{.Min}}"{{with .Max}} max="{{.}}"{{end}}></label>{{end}}
{{if .Prices}}<label>Plan <select name="price">{{range .Prices}}<option value="{{.ID}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>{{end}}
<button type="submit" id="update-{{.ID}}">Update</button></form>{{end}}
</li>{{end}}</ul>
{{if .Cancelable}}<form method="post" action="{{$.Base}}/cancel">{{$.CSRFField}}<input type="hidden" name="subscription" value="{{.ID}}">
{{if $.Reasons}}<label>Reason <select name="reason"><option value="">-</option>{{range $.Reasons}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>{{end}}
<button type="submit" id="cancel-{{.ID}}">Cancel subscription</button></form>{{end}}
</div>{{else}}<p>No subscriptions.</p>{{end}}
</section>{{end}}
{{with .Confirm}}<section id="update_confirm"><h2>Confirm your update</h2>
<form method="post" action="{{$.Base}}/update_confirm">{{$.CSRFField}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul><button type="submit" id="confirm">Confirm</button></form></section>{{end}}
{{if .ShowPaymentMethods}}<section id="payment_methods"><h2>Payment methods</h2>
<ul>{{range .PaymentMethods}}<li class="payment_method" id="{{.ID}}">{{.Brand}} ending in {{.Last4}}{{if .Default}} <strong class="default">default</strong>{{end}}</li>{{else}}<li>None.</li>{{end}}</ul>
{{if .PaymentMethodUpdate}}<form method="post" action="{{.Base}}/payment_method">{{.CSRFField}}
<label>Card number <input name="number" value="4242 4242 4242 4242"></label>
<label>Month <input name="exp_month" value="12"></label> <label>Year <input name="exp_year" value="{{.ExpYear}}"></label>
<label>CVC <input name="cvc" value="123"></label>
<button type="submit" id="add_payment_method">Add payment method</button></form>{{end}}
</section>{{end}}
{{if .CustomerUpdate}}<section id="customer_update"><h2>Billing information</h2>
<form method="post" action="{{.Base}}/customer">{{.CSRFField}}{{range .CustomerFields}}<label>{{.Name}} <input name="{{.Name}}" value="{{.Value}}"></label>{{end}}
<button type="submit" id="update_customer">Save</button></form></section>{{end}}
{{if .ShowInvoices}}<section id="invoices"><h2>Invoice history</h2>
<table><tr><th>Invoice</th><th>Status</th><th>Total</th></tr>
{{range .Invoices}}<tr class="invoice" id="{{.ID}}"><td>{{if .URL}}<a href="{{.URL}}">{{.Number}}</a>{{else}}{{.Number}}{{end}}</td><td class="status">{{.Status}}</td><td>{{.Total}}</td></tr>{{end}}
</table></section>{{end}}
{{with .ReturnURL}}<p><a id="return" href="{{.}}">Return</a></p>{{end}}
</body></html>
`))

var portalExpiredPage = template.Must(template.New("expired").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Session expired</title></head>
<body><h1 id="expired">This portal session has expired</h1>
<p>Portal links are short-lived. Return to the site you came from to open a new session.</p>
{{with .}}<p><a id="return" href="{{.}}">Return</a></p>{{end}}
</body></html>
`))

type portalPageData struct {
	Base, Headline, CustomerName, CustomerEmail, Error, Confirmation, ReturnURL string
	ExpYear                                                                     int
	CSRFField                                                                   template.HTML // the forms' hidden csrf_token

	ShowSubscriptions   bool
	Subscriptions       []portalPageSub
	Reasons             []string
	Confirm             []string
	ShowPaymentMethods  bool
	PaymentMethodUpdate bool
	PaymentMethods      []portalPagePM
	CustomerUpdate      bool
	CustomerFields      []portalPageField
	ShowInvoices        bool
	Invoices            []portalPageInvoice
}

type portalPageSub struct {
	ID, Status, PeriodEnd string
	CancelAtPeriodEnd     bool
	Cancelable            bool
	Items                 []portalPageItem
}

type portalPageItem struct {
	ID, Subscription, Product, Amount, Price string
	Quantity, Min                            int64
	Max                                      *int64
	Updatable, QuantityAdjustable            bool
	Prices                                   []portalPagePrice
}

type portalPagePrice struct {
	ID, Label string
	Selected  bool
}

type portalPagePM struct {
	ID, Brand, Last4 string
	Default          bool
}

type portalPageField struct{ Name, Value string }

type portalPageInvoice struct{ ID, Number, Status, Total, URL string }

// portalView is a session with what its page needs loaded.
type portalView struct {
	s    *PortalSession
	cfg  *PortalConfiguration
	cu   *Customer
	flow string // the flow type while the flow is not completed, else ""
}

// flowSubscription is the subscription the session's flow is about, "".
func (v *portalView) flowSubscription() string {
	if v.flow == "" {
		return ""
	}
	if m, ok := v.s.Flow[v.flow].(map[string]any); ok {
		id, _ := m["subscription"].(string)
		return id
	}
	return ""
}

func servePortalPage(c *Ctx, w http.ResponseWriter, r *http.Request, rest string) error {
	secret, action, _ := strings.Cut(rest, "/")
	s, err := portalSessionBySecret(c, secret)
	if err != nil {
		return err
	}
	if s == nil {
		http.NotFound(w, r)
		return nil
	}
	usable, err := openPortalSession(c, s)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !usable {
		w.WriteHeader(http.StatusGone)
		ret := ""
		if s.ReturnURL != nil {
			ret = *s.ReturnURL
		}
		return portalExpiredPage.Execute(w, ret)
	}
	v := &portalView{s: s}
	if v.cfg, err = get[PortalConfiguration](c, kindPortalConfiguration, s.Configuration, "configuration"); err != nil {
		return err
	}
	if v.cu, err = get[Customer](c, kindCustomer, s.Customer, "customer"); err != nil {
		return err
	}
	if s.Flow != nil && !s.Completed {
		v.flow, _ = s.Flow["type"].(string)
	}
	switch {
	case action == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return renderPortal(c, w, v, http.StatusOK, "", "")
	case action != "" && r.Method == http.MethodPost:
		if err := r.ParseForm(); err != nil {
			return renderPortal(c, w, v, http.StatusBadRequest, err.Error(), "")
		}
		if !tokenMatches(s.CSRF, r.PostForm.Get("csrf_token")) {
			return renderPortal(c, w, v, http.StatusForbidden, errCSRF, "")
		}
		err := portalAction(c, v, action, r.PostForm)
		var pe *pageError
		if errors.As(err, &pe) {
			return renderPortal(c, w, v, pe.status, pe.msg, "")
		}
		if err != nil {
			return err
		}
		return portalAfterAction(c, w, r, v)
	}
	http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	return nil
}

// portalAfterAction sends the customer on after a completed action.
func portalAfterAction(c *Ctx, w http.ResponseWriter, r *http.Request, v *portalView) error {
	s := v.s
	if v.flow == "" {
		if s.ReturnURL != nil {
			http.Redirect(w, r, *s.ReturnURL, http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, s.URL, http.StatusSeeOther)
		return nil
	}
	s.Completed = true
	if err := savePortalSession(c, s); err != nil {
		return err
	}
	after, _ := s.Flow["after_completion"].(map[string]any)
	switch after["type"] {
	case "redirect":
		rd, _ := after["redirect"].(map[string]any)
		u, _ := rd["return_url"].(string)
		http.Redirect(w, r, u, http.StatusSeeOther)
		return nil
	case "hosted_confirmation":
		msg := "Your changes have been saved."
		if hc, ok := after["hosted_confirmation"].(map[string]any); ok {
			if m, ok := hc["custom_message"].(*string); ok && m != nil {
				msg = *m
			} else if m, ok := hc["custom_message"].(string); ok && m != "" {
				msg = m
			}
		}
		v.flow = ""
		return renderPortal(c, w, v, http.StatusOK, "", msg)
	}
	http.Redirect(w, r, s.URL, http.StatusSeeOther)
	return nil
}

// renderPortal renders the portal for the view's customer now.
func renderPortal(c *Ctx, w http.ResponseWriter, v *portalView, status int, errMsg, confirmation string) error {
	f := v.cfg.Features
	d := portalPageData{
		Base: v.s.URL, Error: errMsg, Confirmation: confirmation, ExpYear: c.Now().Year() + 3,
		// The token is random base32: nothing in it needs escaping.
		CSRFField: template.HTML(`<input type="hidden" name="csrf_token" value="` + v.s.CSRF + `">`),
	}
	if v.cfg.BusinessProfile.Headline != nil {
		d.Headline = *v.cfg.BusinessProfile.Headline
	}
	if v.cu.Name != nil {
		d.CustomerName = *v.cu.Name
	}
	if v.cu.Email != nil {
		d.CustomerEmail = *v.cu.Email
	}
	if v.s.ReturnURL != nil {
		d.ReturnURL = *v.s.ReturnURL
	}
	if f.SubscriptionCancel.CancellationReason.Enabled {
		d.Reasons = f.SubscriptionCancel.CancellationReason.Options
	}
	if confirmation != "" {
		// A hosted confirmation ends the flow's page: just the message.
		w.WriteHeader(status)
		return portalPage.Execute(w, d)
	}
	all := v.flow == ""
	d.ShowSubscriptions = all || v.flow == "subscription_cancel" || v.flow == "subscription_update"
	d.ShowPaymentMethods = all || v.flow == "payment_method_update"
	d.PaymentMethodUpdate = f.PaymentMethodUpdate.Enabled
	d.CustomerUpdate = f.CustomerUpdate.Enabled && (all || v.flow == "customer_update")
	d.ShowInvoices = all && f.InvoiceHistory.Enabled
	if d.ShowSubscriptions {
		subs, err := portalSubscriptions(c, v)
		if err != nil {
			return err
		}
		d.Subscriptions = subs
	}
	if v.flow == "subscription_update_confirm" {
		conf, _ := v.s.Flow["subscription_update_confirm"].(map[string]any)
		items, _ := conf["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			line := "Item " + flowString(m["id"])
			if p := flowString(m["price"]); p != "" {
				line += ": price " + p
			}
			if q, ok := m["quantity"]; ok {
				line += ", quantity " + flowString(q)
			}
			d.Confirm = append(d.Confirm, line)
		}
	}
	if d.ShowPaymentMethods {
		pms, err := scan[PaymentMethod](c, kindPaymentMethod, "customer="+v.cu.ID, nil)
		if err != nil {
			return err
		}
		dpm := ""
		if p := v.cu.InvoiceSettings.DefaultPaymentMethod; p != nil {
			dpm = *p
		}
		for _, pm := range pms {
			if pm.Card == nil {
				continue
			}
			d.PaymentMethods = append(d.PaymentMethods, portalPagePM{ID: pm.ID, Brand: pm.Card.Brand, Last4: pm.Card.Last4, Default: pm.ID == dpm})
		}
	}
	if d.CustomerUpdate {
		values := map[string]*string{"email": v.cu.Email, "name": v.cu.Name, "phone": v.cu.Phone}
		for _, name := range []string{"email", "name", "phone"} {
			if slices.Contains(f.CustomerUpdate.AllowedUpdates, name) {
				fv := portalPageField{Name: name}
				if p := values[name]; p != nil {
					fv.Value = *p
				}
				d.CustomerFields = append(d.CustomerFields, fv)
			}
		}
		d.CustomerUpdate = len(d.CustomerFields) > 0
	}
	if d.ShowInvoices {
		invs, err := scan[Invoice](c, kindInvoice, "customer="+v.cu.ID, func(inv *Invoice) bool { return inv.status() != "draft" })
		if err != nil {
			return err
		}
		for _, inv := range invs {
			pi := portalPageInvoice{ID: inv.ID, Status: inv.status(), Total: formatMoney(inv.Total, inv.Currency)}
			if inv.Number != nil {
				pi.Number = *inv.Number
			}
			if inv.HostedInvoiceURL != nil {
				pi.URL = *inv.HostedInvoiceURL
			}
			d.Invoices = append(d.Invoices, pi)
		}
	}
	w.WriteHeader(status)
	return portalPage.Execute(w, d)
}

// flowString renders a value of a session's flow for the page.
func flowString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case *string:
		if x != nil {
			return *x
		}
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatInt(int64(x), 10)
	}
	return ""
}

// portalSubscriptions lists the customer's live subscriptions with the
// forms the configuration allows.
func portalSubscriptions(c *Ctx, v *portalView) ([]portalPageSub, error) {
	f := v.cfg.Features
	only := v.flowSubscription()
	subs, err := scan(c, kindSubscription, "customer="+v.cu.ID, func(s *Subscription) bool {
		return !s.ended() && (only == "" || s.ID == only)
	})
	if err != nil {
		return nil, err
	}
	var out []portalPageSub
	for _, s := range subs {
		ps := portalPageSub{
			ID: s.ID, Status: s.Status, CancelAtPeriodEnd: s.CancelAtPeriodEnd,
			PeriodEnd:  unixTime(s.periodEnd()).Format("2006-01-02"),
			Cancelable: f.SubscriptionCancel.Enabled && !s.CancelAtPeriodEnd && v.flow != "subscription_update",
		}
		updatable := f.SubscriptionUpdate.Enabled && v.flow != "subscription_cancel" && checkUpdatable(s) == nil
		for _, it := range s.Items.Data {
			pi := portalPageItem{ID: it.ID, Subscription: s.ID, Price: it.Price.ID, Quantity: it.quantity(), Min: 1,
				Amount: formatMoney(priceAmount(it.Price, 1), it.Price.Currency), Product: it.Price.Product}
			if pr, err := loadProduct(c, it.Price.Product, "product"); err == nil {
				pi.Product = pr.Name
			}
			if updatable {
				pi.QuantityAdjustable, pi.Min, pi.Max = quantityRule(f.SubscriptionUpdate, it.Price.Product)
				pi.Prices = portalPriceChoices(c, f.SubscriptionUpdate, it)
				pi.Updatable = pi.QuantityAdjustable || len(pi.Prices) > 1
			}
			ps.Items = append(ps.Items, pi)
		}
		out = append(out, ps)
	}
	return out, nil
}

// quantityRule says whether a product's quantity may change and within
// which bounds: the product's adjustable_quantity when it is configured,
// else default_allowed_updates.
func quantityRule(su PortalSubscriptionUpdate, product string) (bool, int64, *int64) {
	for _, p := range su.Products {
		if p.Product == product {
			aq := p.AdjustableQuantity
			return aq.Enabled, max(aq.Minimum, 1), aq.Maximum
		}
	}
	return slices.Contains(su.DefaultAllowedUpdates, "quantity"), 1, nil
}

// portalPriceChoices are the prices an item may move to: every configured
// price of the same interval and currency, the current one first selected.
func portalPriceChoices(c *Ctx, su PortalSubscriptionUpdate, it *SubscriptionItem) []portalPagePrice {
	if !slices.Contains(su.DefaultAllowedUpdates, "price") {
		return nil
	}
	out := []portalPagePrice{{ID: it.Price.ID, Label: priceLabel(c, it.Price), Selected: true}}
	for _, id := range portalAllowedPrices(su) {
		if id == it.Price.ID {
			continue
		}
		pr, err := loadPrice(c, id, "price")
		if err != nil || pr.Currency != it.Price.Currency {
			continue
		}
		out = append(out, portalPagePrice{ID: pr.ID, Label: priceLabel(c, pr)})
	}
	return out
}

func portalAllowedPrices(su PortalSubscriptionUpdate) []string {
	var ids []string
	for _, p := range su.Products {
		ids = append(ids, p.Prices...)
	}
	return ids
}

func priceLabel(c *Ctx, pr *Price) string {
	name := pr.Product
	if prod, err := loadProduct(c, pr.Product, "product"); err == nil {
		name = prod.Name
	}
	label := name + " " + formatMoney(priceAmount(pr, 1), pr.Currency)
	if pr.Recurring != nil {
		label += "/" + pr.Recurring.Interval
	}
	return label
}

// ---- Actions ----

func portalAction(c *Ctx, v *portalView, action string, form url.Values) error {
	switch action {
	case "cancel":
		return portalCancel(c, v, form)
	case "update":
		return portalUpdate(c, v, form)
	case "update_confirm":
		return portalUpdateConfirm(c, v)
	case "payment_method":
		return portalPaymentMethod(c, v, form)
	case "customer":
		return portalCustomerUpdate(c, v, form)
	}
	return newPageError(http.StatusNotFound, "Unknown portal action.")
}

// portalSubscription loads a subscription the customer may act on here.
func portalSubscription(c *Ctx, v *portalView, id string) (*Subscription, error) {
	if only := v.flowSubscription(); only != "" && id != only {
		return nil, newPageError(http.StatusForbidden, "This session can only act on subscription "+only+".")
	}
	s, err := get[Subscription](c, kindSubscription, id, "subscription")
	if err != nil || s.Customer != v.cu.ID {
		return nil, newPageError(http.StatusNotFound, "No such subscription.")
	}
	if s.ended() {
		return nil, newPageError(http.StatusBadRequest, "This subscription has already been canceled.")
	}
	return s, nil
}

func portalCancel(c *Ctx, v *portalView, form url.Values) error {
	sc := v.cfg.Features.SubscriptionCancel
	if !sc.Enabled || v.flow == "subscription_update" || v.flow == "subscription_update_confirm" {
		return newPageError(http.StatusForbidden, "Canceling subscriptions is not enabled in this portal.")
	}
	s, err := portalSubscription(c, v, form.Get("subscription"))
	if err != nil {
		return err
	}
	params := map[string]any{}
	if reason := form.Get("reason"); reason != "" {
		if !sc.CancellationReason.Enabled || !slices.Contains(sc.CancellationReason.Options, reason) {
			return newPageError(http.StatusBadRequest, "Unknown cancellation reason.")
		}
		params["cancellation_details"] = map[string]any{"feedback": reason}
	}
	vars := map[string]string{"subscription_exposed_id": s.ID}
	if sc.Mode == "immediately" {
		params["prorate"] = sc.ProrationBehavior == "create_prorations"
		_, err = callHandler(c, cancelSubscriptionHandler, vars, params)
		return err
	}
	params["cancel_at_period_end"] = true
	_, err = callHandler(c, updateSubscription, vars, params)
	return err
}

func portalUpdate(c *Ctx, v *portalView, form url.Values) error {
	su := v.cfg.Features.SubscriptionUpdate
	if !su.Enabled || v.flow == "subscription_cancel" || v.flow == "subscription_update_confirm" {
		return newPageError(http.StatusForbidden, "Updating subscriptions is not enabled in this portal.")
	}
	s, err := portalSubscription(c, v, form.Get("subscription"))
	if err != nil {
		return err
	}
	if err := checkUpdatable(s); err != nil {
		return asPageError(err)
	}
	it := s.item(form.Get("item"))
	if it == nil {
		return newPageError(http.StatusNotFound, "No such subscription item.")
	}
	item := map[string]any{"id": it.ID}
	product := it.Price.Product
	if price := form.Get("price"); price != "" && price != it.Price.ID {
		if !slices.Contains(su.DefaultAllowedUpdates, "price") || !slices.Contains(portalAllowedPrices(su), price) {
			return newPageError(http.StatusBadRequest, "This plan is not available.")
		}
		pr, err := loadPrice(c, price, "price")
		if err != nil {
			return asPageError(err)
		}
		item["price"] = price
		product = pr.Product
	}
	if q := form.Get("quantity"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			return newPageError(http.StatusBadRequest, "Enter a whole number for the quantity.")
		}
		adjustable, lo, hi := quantityRule(su, product)
		switch {
		case n == it.quantity() && item["price"] == nil:
		case !adjustable && n != it.quantity():
			return newPageError(http.StatusBadRequest, "The quantity of this plan cannot be changed.")
		case n < lo:
			return newPageError(http.StatusBadRequest, "The quantity must be at least "+strconv.FormatInt(lo, 10)+".")
		case hi != nil && n > *hi:
			return newPageError(http.StatusBadRequest, "The quantity must be at most "+strconv.FormatInt(*hi, 10)+".")
		}
		item["quantity"] = n
	}
	return portalApplyUpdate(c, su, s.ID, []any{item})
}

// portalApplyUpdate updates the subscription's items with the
// configuration's proration_behavior.
func portalApplyUpdate(c *Ctx, su PortalSubscriptionUpdate, sub string, items []any) error {
	params := map[string]any{"items": items, "proration_behavior": su.ProrationBehavior}
	if su.BillingCycleAnchor != nil && *su.BillingCycleAnchor == "now" {
		params["billing_cycle_anchor"] = "now"
	}
	_, err := callHandler(c, updateSubscription, map[string]string{"subscription_exposed_id": sub}, params)
	return err
}

func portalUpdateConfirm(c *Ctx, v *portalView) error {
	if v.flow != "subscription_update_confirm" {
		return newPageError(http.StatusForbidden, "There is no update to confirm.")
	}
	conf, _ := v.s.Flow["subscription_update_confirm"].(map[string]any)
	s, err := portalSubscription(c, v, flowString(conf["subscription"]))
	if err != nil {
		return err
	}
	if err := checkUpdatable(s); err != nil {
		return asPageError(err)
	}
	raw, _ := conf["items"].([]any)
	var items []any
	for _, x := range raw {
		m, _ := x.(map[string]any)
		item := map[string]any{"id": flowString(m["id"])}
		if p := flowString(m["price"]); p != "" {
			item["price"] = p
		}
		if q, ok := m["quantity"]; ok {
			n, _ := strconv.ParseInt(flowString(q), 10, 64)
			item["quantity"] = n
		}
		items = append(items, item)
	}
	return portalApplyUpdate(c, v.cfg.Features.SubscriptionUpdate, s.ID, items)
}

// portalPaymentMethod saves a new card to the customer and makes it the
// default for invoices, as the portal's "Add payment method" does.
func portalPaymentMethod(c *Ctx, v *portalView, form url.Values) error {
	if !v.cfg.Features.PaymentMethodUpdate.Enabled || (v.flow != "" && v.flow != "payment_method_update") {
		return newPageError(http.StatusForbidden, "Updating payment methods is not enabled in this portal.")
	}
	card, err := readCard(c, cardInputFromForm(form))
	if err != nil {
		return asPageError(err)
	}
	if err := card.attachError(); err != nil {
		return asPageError(err)
	}
	pm, err := card.paymentMethod(c)
	if err != nil {
		return err
	}
	if err := attachToCustomer(c, pm, v.cu); err != nil {
		return err
	}
	_, err = callHandler(c, updateCustomer, map[string]string{"customer": v.cu.ID},
		map[string]any{"invoice_settings": map[string]any{"default_payment_method": pm.ID}})
	return err
}

func portalCustomerUpdate(c *Ctx, v *portalView, form url.Values) error {
	cu := v.cfg.Features.CustomerUpdate
	if !cu.Enabled || (v.flow != "" && v.flow != "customer_update") {
		return newPageError(http.StatusForbidden, "Updating billing information is not enabled in this portal.")
	}
	params := map[string]any{}
	for _, name := range []string{"email", "name", "phone"} {
		if form.Has(name) {
			if !slices.Contains(cu.AllowedUpdates, name) {
				return newPageError(http.StatusForbidden, "Updating "+name+" is not enabled in this portal.")
			}
			params[name] = strings.TrimSpace(form.Get(name))
		}
	}
	_, err := callHandler(c, updateCustomer, map[string]string{"customer": v.cu.ID}, params)
	return err
}
