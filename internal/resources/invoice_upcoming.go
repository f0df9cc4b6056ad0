package resources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
)

// The upcoming invoice of versions before basil: GET /v1/invoices/upcoming
// and GET /v1/invoices/upcoming/lines. Basil removed both in favour of
// create_preview (docs.stripe.com/changelog/basil/2025-03-31/invoice-preview-api-deprecations);
// from basil on they are unknown URLs (spec.MatchAt). Their parameters are
// create_preview's under older names (subscription_items for
// subscription_details[items], subscription_proration_date for
// subscription_details[proration_date], coupon for discounts[][coupon], …),
// so they are renamed and the preview runs through create_preview's own
// code (previewInvoice); errors name the parameter the caller sent.

func init() { families = append(families, registerInvoiceUpcoming) }

func registerInvoiceUpcoming(e *Engine) {
	// Not Read: a preview with price_data makes its inactive price, as
	// create_preview does.
	e.route(Route{Method: "GET", Pattern: "/v1/invoices/upcoming", Handle: retrieveUpcomingInvoice})
	e.route(Route{Method: "GET", Pattern: "/v1/invoices/upcoming/lines", Handle: listUpcomingInvoiceLines})
}

// upcomingSubscriptionParams maps the legacy subscription_* parameters onto
// create_preview's subscription_details.
var upcomingSubscriptionParams = map[string]string{
	"subscription_items":                "items",
	"subscription_billing_cycle_anchor": "billing_cycle_anchor",
	"subscription_cancel_at":            "cancel_at",
	"subscription_cancel_at_period_end": "cancel_at_period_end",
	"subscription_cancel_now":           "cancel_now",
	"subscription_default_tax_rates":    "default_tax_rates",
	"subscription_proration_behavior":   "proration_behavior",
	"subscription_proration_date":       "proration_date",
	"subscription_resume_at":            "resume_at",
	"subscription_start_date":           "start_date",
	"subscription_trial_end":            "trial_end",
	// create_preview has no trial_from_plan; a new subscription's preview
	// takes it as subscription creation does (previewNewSubscription).
	"subscription_trial_from_plan": "trial_from_plan",
}

// upcomingPaging are the list parameters of /lines, not the preview's.
var upcomingPaging = map[string]bool{"limit": true, "starting_after": true, "ending_before": true}

// upcomingRequest is a legacy request translated: the create_preview
// parameters and, for errors, each preview name's legacy name.
type upcomingRequest struct {
	params  Params
	renames [][2]string // preview prefix, legacy prefix; longest first
}

func translateUpcoming(legacy Params) (*upcomingRequest, error) {
	raw := map[string]any{}
	details := map[string]any{}
	r := &upcomingRequest{}
	// Releases after 2023-10-16 added subscription_details itself (stripe-go
	// v79 to v81 send it); the flat names may not repeat what it sets.
	sd, hasDetails := legacy.Map("subscription_details")
	for k, v := range sd.Raw() {
		details[k] = v
	}
	for k, v := range legacy.Raw() {
		if upcomingPaging[k] || k == "subscription_details" {
			continue
		}
		if name, ok := upcomingSubscriptionParams[k]; ok {
			if _, both := details[name]; both && hasDetails {
				return nil, apierr.InvalidRequest(k, "You may only specify one of these parameters: "+k+", subscription_details["+name+"].")
			}
			details[name] = v
			r.renames = append(r.renames, [2]string{"subscription_details[" + name + "]", k})
			continue
		}
		raw[k] = v
	}
	if coupon, ok := legacy.String("coupon"); ok {
		if legacy.Has("discounts") {
			return nil, apierr.InvalidRequest("coupon", "You may only specify one of these parameters: coupon, discounts.")
		}
		delete(raw, "coupon")
		raw["discounts"] = []any{map[string]any{"coupon": coupon}}
		r.renames = append(r.renames, [2]string{"discounts[0][coupon]", "coupon"}, [2]string{"discounts", "coupon"})
	} else if legacy.Has("coupon") {
		delete(raw, "coupon") // coupon="": no coupon
	}
	if len(details) > 0 {
		raw["subscription_details"] = details
		if !hasDetails {
			r.renames = append(r.renames, [2]string{"subscription_details", "subscription_items"})
		}
	}
	r.params = NewParams(raw)
	return r, nil
}

// legacyError renames the preview's parameter names in err to the ones
// the caller sent.
func (r *upcomingRequest) legacyError(err error) error {
	ae, ok := err.(*apierr.Error)
	if !ok {
		return err
	}
	cp := *ae
	for _, rn := range r.renames {
		if cp.Param == rn[0] || strings.HasPrefix(cp.Param, rn[0]+"[") {
			cp.Param = rn[1] + strings.TrimPrefix(cp.Param, rn[0])
			break
		}
	}
	for _, rn := range r.renames {
		cp.Message = strings.ReplaceAll(cp.Message, rn[0]+"[", rn[1]+"[")
		cp.Message = strings.ReplaceAll(cp.Message, rn[0]+" ", rn[1]+" ")
	}
	return &cp
}

// errNoUpcoming is Stripe's answer when there is nothing to preview: a 404
// with code invoice_upcoming_none (the message as in
// github.com/stripe/stripe-java/issues/920; the status as
// stripe-ruby-mock's request_handlers/invoices.rb and client code matching
// statusCode 404 with this code expect).
func errNoUpcoming(customer string) error {
	return apierr.New(http.StatusNotFound, apierr.TypeInvalidRequest, "invoice_upcoming_none", "", "No upcoming invoices for customer: "+customer)
}

// upcomingInvoice previews the legacy request's invoice. Its lines get
// IDs that stay the same from one call to the next for the same state, so
// that /lines pages with starting_after as any list does.
func upcomingInvoice(c *Ctx) (*Invoice, error) {
	if !c.Version.Before(apiversion.Basil) {
		return nil, apierr.UnrecognizedURL(c.call.Method, c.call.Path)
	}
	legacy := c.Params
	r, err := translateUpcoming(legacy)
	if err != nil {
		return nil, err
	}
	c.Params = r.params
	defer func() { c.Params = legacy }()
	inv, err := previewing(c, func() (*Invoice, error) { return upcomingPreview(c, r.params) })
	if err != nil {
		return nil, r.legacyError(err)
	}
	h := fnv.New64a()
	h.Write([]byte(inv.Customer + "/" + inv.subscription()))
	base := fmt.Sprintf("%016x", h.Sum64())
	for i, l := range inv.Lines.Data {
		l.ID = fmt.Sprintf("il_tmp_%s%04d", base, i)
	}
	return inv, nil
}

// upcomingPreview is create_preview for p, plus what only the legacy API
// did: with neither a subscription nor items nor a schedule, the
// customer's next invoice among their subscriptions, else their pending
// invoice items ("If neither subscription nor subscription_items is
// provided, you will retrieve the next upcoming invoice from among the
// customer's subscriptions", docs.stripe.com/api/invoices/upcoming?api-version=2024-06-20).
func upcomingPreview(c *Ctx, p Params) (*Invoice, error) {
	d, _ := p.Map("subscription_details")
	if !p.Has("subscription") && !d.Has("items") && !p.Has("schedule") && !p.Has("invoice_items") {
		cu, err := customerParam(c, p)
		if err != nil {
			return nil, err
		}
		subs, err := scan(c, kindSubscription, "customer="+cu.ID, func(s *Subscription) bool {
			return !s.ended() && s.Status != "incomplete"
		})
		if err != nil {
			return nil, err
		}
		var next *Subscription
		for _, s := range subs {
			if next == nil || s.periodEnd() < next.periodEnd() || s.periodEnd() == next.periodEnd() && s.ID < next.ID {
				next = s
			}
		}
		if next == nil {
			if p.Has("subscription_details") {
				return nil, errNoUpcoming(cu.ID)
			}
			return previewPendingItems(c, cu, p)
		}
		p.Raw()["subscription"] = next.ID
	}
	out, err := previewInvoice(c)
	if err != nil {
		return nil, err
	}
	return out.(*Invoice), nil
}

// previewPendingItems is the invoice of a customer without subscriptions:
// their pending invoice items, as a one-off invoice would pull them.
func previewPendingItems(c *Ctx, cu *Customer, p Params) (*Invoice, error) {
	currency := p.Str("currency")
	items, err := scan(c, kindInvoiceItem, "pending="+cu.ID, func(ii *InvoiceItem) bool {
		return ii.Invoice == nil && (currency == "" || ii.Currency == currency)
	})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errNoUpcoming(cu.ID)
	}
	if currency == "" {
		currency = items[0].Currency
	}
	items, err = pullableItems(c, cu.ID, currency, "", false)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errNoUpcoming(cu.ID)
	}
	inv, err := newDraftInvoice(c, cu, InvoiceOptions{Currency: currency, BillingReason: "upcoming"})
	if err != nil {
		return nil, err
	}
	inv.Preview = true
	inv.Lines.URL = "/v1/invoices/upcoming/lines"
	for _, ii := range items {
		if err := inv.addLine(lineFromItem(ii, "", inv.ID)); err != nil {
			return nil, err
		}
	}
	if err := previewDiscounts(c, p, inv, customerDiscounts(cu)); err != nil {
		return nil, err
	}
	inv.StartingBalance = balanceIn(cu, inv.Currency)
	inv.AmountDue, _ = applyBalance(inv.Total, inv.StartingBalance)
	inv.AmountRemaining = inv.AmountDue
	return inv, nil
}

// retrieveUpcomingInvoice answers GET /v1/invoices/upcoming: the preview
// without an id ("This property is always present unless the invoice is
// an upcoming invoice", the 2023-10-16 spec's invoice.id).
func retrieveUpcomingInvoice(c *Ctx) (any, error) {
	inv, err := upcomingInvoice(c)
	if err != nil {
		return nil, err
	}
	raw, err := c.e.render(DefaultAPIVersion, inv)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, err
	}
	delete(obj, "id")
	out, err := json.Marshal(obj)
	return json.RawMessage(out), err
}

// listUpcomingInvoiceLines answers GET /v1/invoices/upcoming/lines: the
// preview's lines, paged as an invoice's lines are.
func listUpcomingInvoiceLines(c *Ctx) (any, error) {
	inv, err := upcomingInvoice(c)
	if err != nil {
		return nil, err
	}
	return pageLines(c, "/v1/invoices/upcoming/lines", inv)
}
