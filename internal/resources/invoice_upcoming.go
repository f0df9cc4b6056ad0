package resources

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"

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
// code (previewInvoice); errors name the parameter the caller sent, as
// the translated Params name each path (Params.Path).

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

// translateUpcoming translates a legacy request into create_preview's
// parameters, which name each parameter in errors as the caller sent it.
func translateUpcoming(legacy Params) (Params, error) {
	raw := map[string]any{}
	details := map[string]any{}
	names := map[string]string{}
	// Releases after 2023-10-16 added subscription_details itself (stripe-go
	// v79 to v81 send it); the flat names may not repeat what it sets.
	sd, hasDetails := legacy.Map("subscription_details")
	for k, v := range sd.Raw() {
		details[k] = v
	}
	// In name order, so that of two errors the same one is answered.
	for _, k := range slices.Sorted(maps.Keys(legacy.Raw())) {
		v := legacy.Raw()[k]
		if upcomingPaging[k] || k == "subscription_details" {
			continue
		}
		if name, ok := upcomingSubscriptionParams[k]; ok {
			if _, both := details[name]; both && hasDetails {
				return Params{}, apierr.InvalidRequest(k, "You may only specify one of these parameters: "+k+", subscription_details["+name+"].")
			}
			details[name] = v
			names["subscription_details["+name+"]"] = k
			continue
		}
		raw[k] = v
	}
	// coupon is create_preview's own before basil: the same version change
	// turns it into discounts (coupon="" into discounts="", no discount).
	if coupon, ok := legacy.String("coupon"); ok {
		if err := apiversion.SingleDiscount(raw, "coupon"); err != nil {
			return Params{}, err
		}
		if d, ok := raw["discounts"].(map[string]any); ok {
			raw["discounts"] = []any{d["0"]} // validated arrays are lists
		}
		if coupon != "" {
			names["discounts"], names["discounts[0][coupon]"] = "coupon", "coupon"
		}
	}
	if len(details) > 0 {
		raw["subscription_details"] = details
		if !hasDetails {
			names["subscription_details"] = "subscription_items"
		}
	}
	return Params{m: raw, names: names}, nil
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
	p, err := translateUpcoming(legacy)
	if err != nil {
		return nil, err
	}
	c.Params = p
	defer func() { c.Params = legacy }()
	out, err := previewing(c, func() (any, error) { return previewInvoice(c) })
	if err != nil {
		return nil, err
	}
	inv := out.(*Invoice)
	h := fnv.New64a()
	h.Write([]byte(inv.Customer + "/" + inv.subscription()))
	base := fmt.Sprintf("%016x", h.Sum64())
	for i, l := range inv.Lines.Data {
		id := fmt.Sprintf("il_tmp_%s%04d", base, i)
		if t := inv.Terms; t != nil {
			if rates, ok := t.LineTaxRates[l.ID]; ok {
				delete(t.LineTaxRates, l.ID)
				t.LineTaxRates[id] = rates
			}
		}
		l.ID = id
	}
	c.preview = inv
	return inv, nil
}

// nextSubscription is the customer's subscription that invoices next (the
// earliest period end; the lower ID on a tie), or nil.
func nextSubscription(c *Ctx, customer string) (*Subscription, error) {
	subs, err := scan(c, kindSubscription, "customer="+customer, func(s *Subscription) bool {
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
	return next, nil
}

// previewPendingItems is the next invoice of a customer without
// subscriptions, before basil: their pending invoice items, as a one-off
// invoice would pull them.
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
		// The newest pending item's currency (scan order), and its items only.
		currency = items[0].Currency
		items = slices.DeleteFunc(items, func(ii *InvoiceItem) bool { return ii.Currency != currency })
	}
	items, err = pullableOf(c, items, "", false)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errNoUpcoming(cu.ID)
	}
	return previewOneOff(c, cu, p, currency, func(inv *Invoice) error {
		for _, ii := range items {
			if err := addPreviewLine(c, inv, ii); err != nil {
				return err
			}
		}
		return nil
	})
}

// retrieveUpcomingInvoice answers GET /v1/invoices/upcoming: the preview
// without an id ("This property is always present unless the invoice is
// an upcoming invoice", the 2023-10-16 spec's invoice.id).
func retrieveUpcomingInvoice(c *Ctx) (any, error) {
	inv, err := upcomingInvoice(c)
	if err != nil {
		return nil, err
	}
	raw, err := c.render(inv)
	if err != nil {
		return nil, err
	}
	out, err := withoutID(raw, true)
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
