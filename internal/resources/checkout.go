package resources

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Checkout Sessions in payment and subscription mode: create, retrieve,
// list, line items, expire; expiry on the clock at expires_at
// (checkout.session.expired); completion with a card on the hosted page
// (checkout_page.go) or from a test (Engine.CompleteCheckoutSession), which
// creates the customer if needed, the subscription (its first invoice paid)
// or the payment, and emits checkout.session.completed.
//
// Decisions on points the reference does not confirm:
//   - Only ui_mode=hosted_page, payment_method_types=[card] and line items
//     with a price and a quantity are modelled; other options answer the
//     loud "not supported" error.
//   - The hosted page is on-session: a card that asks for authentication
//     is treated as authenticated, except cards that need it on every
//     charge before they are saved, which fail with authentication_required
//     (the fake's page has no 3D Secure step). Declining cards fail with
//     their card error; the session stays open and nothing is written.
//   - Subscription mode always creates a customer when the session has none
//     (Stripe's behaviour); payment mode creates one only with
//     customer_creation=always, else the payment is a guest's.
//   - In subscription mode the card becomes the subscription's
//     default_payment_method; it is also attached to the customer.
//   - payment_status is paid once the first invoice or payment is paid,
//     no_payment_required when nothing was due (a trial, a zero amount).
//   - A price_data line makes an inactive price (and a product from
//     product_data) without events; in subscription mode the subscription
//     gets a price made from the same data, as its own code takes no
//     inactive price.
//   - Expiry runs on the fake's clock (not a test clock) and is exact:
//     open at expires_at-1s, expired at expires_at.

const (
	kindCheckoutSession = "checkout.session"
	jobCheckoutExpire   = "checkout.session.expire"

	checkoutMinExpiry     = 30 * time.Minute
	checkoutMaxExpiry     = 24 * time.Hour
	checkoutDefaultExpiry = 24 * time.Hour
)

// CheckoutSession is Stripe's checkout.session (dahlia shape, the fields
// payment and subscription mode use). Underscore fields never render.
type CheckoutSession struct {
	ID                         string                  `json:"id"`
	Object                     string                  `json:"object"`
	AdaptivePricing            any                     `json:"adaptive_pricing"`
	AfterExpiration            any                     `json:"after_expiration"`
	AllowPromotionCodes        *bool                   `json:"allow_promotion_codes"`
	AmountSubtotal             *int64                  `json:"amount_subtotal"`
	AmountTotal                *int64                  `json:"amount_total"`
	AutomaticTax               map[string]any          `json:"automatic_tax"`
	BillingAddressCollection   *string                 `json:"billing_address_collection"`
	CancelURL                  *string                 `json:"cancel_url"`
	ClientReferenceID          *string                 `json:"client_reference_id"`
	ClientSecret               *string                 `json:"client_secret"`
	CollectedInformation       any                     `json:"collected_information"`
	Consent                    any                     `json:"consent"`
	ConsentCollection          any                     `json:"consent_collection"`
	Created                    int64                   `json:"created"`
	Currency                   *string                 `json:"currency"`
	CurrencyConversion         any                     `json:"currency_conversion"`
	CustomFields               []any                   `json:"custom_fields"`
	CustomText                 map[string]any          `json:"custom_text"`
	Customer                   *string                 `json:"customer"`
	CustomerAccount            *string                 `json:"customer_account"`
	CustomerCreation           *string                 `json:"customer_creation"`
	CustomerDetails            *CheckoutCustomerDetail `json:"customer_details"`
	CustomerEmail              *string                 `json:"customer_email"`
	Discounts                  []any                   `json:"discounts"`
	ExpiresAt                  int64                   `json:"expires_at"`
	Invoice                    *string                 `json:"invoice"`
	InvoiceCreation            any                     `json:"invoice_creation"`
	Livemode                   bool                    `json:"livemode"`
	Locale                     *string                 `json:"locale"`
	Metadata                   map[string]string       `json:"metadata"`
	Mode                       string                  `json:"mode"`
	OriginContext              *string                 `json:"origin_context"`
	PaymentIntent              *string                 `json:"payment_intent"`
	PaymentLink                *string                 `json:"payment_link"`
	PaymentMethodCollection    *string                 `json:"payment_method_collection"`
	PaymentMethodConfigDetails any                     `json:"payment_method_configuration_details"`
	PaymentMethodOptions       map[string]any          `json:"payment_method_options"`
	PaymentMethodTypes         []string                `json:"payment_method_types"`
	PaymentStatus              string                  `json:"payment_status"`
	PhoneNumberCollection      map[string]any          `json:"phone_number_collection"`
	RecoveredFrom              *string                 `json:"recovered_from"`
	SavedPaymentMethodOptions  any                     `json:"saved_payment_method_options"`
	SetupIntent                *string                 `json:"setup_intent"`
	ShippingAddressCollection  any                     `json:"shipping_address_collection"`
	ShippingCost               any                     `json:"shipping_cost"`
	ShippingOptions            []any                   `json:"shipping_options"`
	Status                     string                  `json:"status"`
	SubmitType                 *string                 `json:"submit_type"`
	Subscription               *string                 `json:"subscription"`
	SuccessURL                 *string                 `json:"success_url"`
	TaxIDCollection            map[string]any          `json:"tax_id_collection"`
	TotalDetails               map[string]any          `json:"total_details"`
	UIMode                     string                  `json:"ui_mode"`
	URL                        *string                 `json:"url"`
	WalletOptions              any                     `json:"wallet_options"`
	LineItems                  []checkoutLine          `json:"_line_items,omitempty"`
	SubscriptionData           map[string]any          `json:"_subscription_data,omitempty"`
	PaymentIntentData          map[string]any          `json:"_payment_intent_data,omitempty"`
	// PageToken is the secret part of url; CSRF the page form's token.
	PageToken string `json:"_page_token,omitempty"`
	CSRF      string `json:"_csrf,omitempty"`
	// DiscountID is the discount redeemed at completion.
	DiscountID string `json:"_discount,omitempty"`
}

// CheckoutCustomerDetail is checkout.session.customer_details.
type CheckoutCustomerDetail struct {
	Address   map[string]any `json:"address"`
	Email     *string        `json:"email"`
	Name      *string        `json:"name"`
	Phone     *string        `json:"phone"`
	TaxExempt string         `json:"tax_exempt"`
	TaxIDs    []any          `json:"tax_ids"`
}

// checkoutLine is one stored line item.
type checkoutLine struct {
	ID       string `json:"id"`
	Price    string `json:"price"`
	Quantity int64  `json:"quantity"`
	AdHoc    bool   `json:"ad_hoc,omitempty"` // made from price_data: inactive
	// TaxRates are the line's own tax rates' IDs.
	TaxRates []string `json:"tax_rates,omitempty"`
}

func (cs *CheckoutSession) wire(string) any {
	out := *cs
	out.LineItems, out.SubscriptionData, out.PaymentIntentData = nil, nil, nil
	out.PageToken, out.CSRF, out.DiscountID = "", "", ""
	return &out
}

func checkoutTerms(cs *CheckoutSession) []string {
	terms := []string{"status=" + cs.Status}
	for key, v := range map[string]*string{"customer": cs.Customer, "subscription": cs.Subscription, "payment_intent": cs.PaymentIntent} {
		if v != nil {
			terms = append(terms, key+"="+*v)
		}
	}
	return terms
}

func saveCheckoutSession(c *Ctx, cs *CheckoutSession) error {
	return c.save(kindCheckoutSession, cs.ID, cs, checkoutTerms(cs)...)
}

func init() { families = append(families, registerCheckout) }

func registerCheckout(e *Engine) {
	e.kind(Kind{Object: kindCheckoutSession, Load: loader[CheckoutSession](kindCheckoutSession)})
	e.route(Route{Method: "POST", Pattern: "/v1/checkout/sessions", Handle: createCheckoutSession})
	e.route(Route{Method: "GET", Pattern: "/v1/checkout/sessions", Read: true, Handle: listCheckoutSessions})
	e.route(Route{Method: "GET", Pattern: "/v1/checkout/sessions/{session}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[CheckoutSession](c, kindCheckoutSession, c.Var("session"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/checkout/sessions/{session}/line_items", Read: true, Handle: listCheckoutLineItems})
	e.route(Route{Method: "POST", Pattern: "/v1/checkout/sessions/{session}/expire", Handle: expireCheckoutHandler})
	e.job(jobCheckoutExpire, runCheckoutExpire)
	e.page("c/pay/", serveCheckoutPage)
}

// checkoutID is Stripe's cs_test_ form: 58 characters after the prefix,
// unique through the engine's ID counter.
func checkoutID(c *Ctx) (string, error) {
	id, err := c.NewID("cs")
	if err != nil {
		return "", err
	}
	suffix := id[len("cs_"):]
	return "cs_test_a1" + suffix + randomString(base62, hashString(id), 58-2-len(suffix)), nil
}

func createCheckoutSession(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "adaptive_pricing", "after_expiration", "automatic_tax",
		"billing_address_collection", "branding_settings", "consent_collection", "custom_fields", "custom_text",
		"customer_account", "customer_update", "excluded_payment_method_types", "invoice_creation",
		"managed_payments", "name_collection", "optional_items", "origin_context", "payment_method_collection",
		"payment_method_configuration", "payment_method_data", "payment_method_options", "permissions",
		"phone_number_collection", "redirect_on_completion", "return_url", "saved_payment_method_options",
		"setup_intent_data", "shipping_address_collection", "shipping_options", "submit_type", "tax_id_collection",
		"wallet_options", "integration_identifier"); err != nil {
		return nil, err
	}
	if v, ok := p.String("ui_mode"); ok && v != "hosted_page" {
		return nil, apierr.InvalidRequest("ui_mode", fmt.Sprintf("stripefake supports only ui_mode 'hosted_page'; '%s' is not supported yet.", v))
	}
	for _, t := range p.Strings("payment_method_types") {
		if t != "card" {
			return nil, apierr.InvalidRequest("payment_method_types", fmt.Sprintf("stripefake supports only the payment method type 'card'; '%s' is not supported yet.", t))
		}
	}
	mode, err := p.Require("mode")
	if err != nil {
		return nil, err
	}
	if mode != "payment" && mode != "subscription" {
		return nil, apierr.InvalidRequest("mode", fmt.Sprintf("stripefake supports Checkout in payment and subscription mode; mode '%s' is not supported yet.", mode))
	}
	if p.Has("customer") && p.Has("customer_email") {
		return nil, apierr.InvalidRequest("customer_email", "You may only specify one of these parameters: customer, customer_email.")
	}
	if p.Has("customer_creation") && mode != "payment" {
		return nil, apierr.InvalidRequest("customer_creation", "`customer_creation` can only be used in `payment` mode.")
	}
	if p.Has("subscription_data") && mode != "subscription" {
		return nil, apierr.InvalidRequest("subscription_data", "You can not pass `subscription_data` in `payment` mode.")
	}
	if p.Has("payment_intent_data") && mode != "payment" {
		return nil, apierr.InvalidRequest("payment_intent_data", "You can not pass `payment_intent_data` in `subscription` mode.")
	}
	now := c.Now()
	expires := now.Add(checkoutDefaultExpiry).Unix()
	if t, ok := p.Int("expires_at"); ok {
		switch {
		case t < now.Add(checkoutMinExpiry).Unix():
			return nil, apierr.InvalidRequest("expires_at", "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.")
		case t > now.Add(checkoutMaxExpiry).Unix():
			return nil, apierr.InvalidRequest("expires_at", "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.")
		}
		expires = t
	}
	id, err := checkoutID(c)
	if err != nil {
		return nil, err
	}
	cs := &CheckoutSession{
		ID: id, Object: kindCheckoutSession, Created: now.Unix(), ExpiresAt: expires, Mode: mode,
		AutomaticTax:            map[string]any{"enabled": false, "liability": nil, "provider": nil, "status": nil},
		CustomFields:            []any{},
		CustomText:              map[string]any{"after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil},
		Discounts:               []any{},
		Metadata:                map[string]string{},
		PaymentMethodOptions:    map[string]any{},
		PaymentMethodTypes:      []string{"card"},
		PaymentStatus:           "unpaid",
		PhoneNumberCollection:   map[string]any{"enabled": false},
		ShippingOptions:         []any{},
		Status:                  "open",
		TaxIDCollection:         map[string]any{"enabled": false, "required": "never"},
		TotalDetails:            map[string]any{"amount_discount": int64(0), "amount_shipping": int64(0), "amount_tax": int64(0)},
		UIMode:                  "hosted_page",
		PaymentMethodCollection: new("always"),
		CancelURL:               p.NullableString("cancel_url"),
		SuccessURL:              p.NullableString("success_url"),
		ClientReferenceID:       p.NullableString("client_reference_id"),
		CustomerEmail:           p.NullableString("customer_email"),
		Locale:                  p.NullableString("locale"),
	}
	if mode == "payment" {
		cs.CustomerCreation = new("if_required")
		if v, ok := p.String("customer_creation"); ok {
			cs.CustomerCreation = &v
		}
	}
	if id, ok := p.String("customer"); ok {
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return nil, err
		}
		cs.Customer = &cu.ID
	}
	if err := checkoutLineItems(c, cs, p); err != nil {
		return nil, err
	}
	if sd, ok := p.Map("subscription_data"); ok {
		if err := unsupported(sd, "application_fee_percent", "billing_cycle_anchor", "billing_mode",
			"invoice_settings", "on_behalf_of", "pending_invoice_item_interval", "proration_behavior", "transfer_data", "trial_settings"); err != nil {
			return nil, err
		}
		if sd.Has("trial_end") && sd.Has("trial_period_days") {
			return nil, apierr.InvalidRequest(sd.Path("trial_end"), "You may only specify one of these parameters: trial_end, trial_period_days.")
		}
		if d, ok := sd.Int("trial_period_days"); ok && d < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", sd.Path("trial_period_days"), "Invalid positive integer")
		}
		if t, ok := sd.Int("trial_end"); ok && t < now.Add(48*time.Hour).Unix() {
			// Checkout wants at least two days of trial (UNCONFIRMED wording).
			return nil, apierr.InvalidRequest(sd.Path("trial_end"), "The `trial_end` date has to be at least 2 days in the future.")
		}
		if _, _, err := taxRatesParam(c, sd, "default_tax_rates"); err != nil {
			return nil, err
		}
		if err := checkMetadata(sd); err != nil {
			return nil, err
		}
		cs.SubscriptionData = sd.Raw()
	}
	if pd, ok := p.Map("payment_intent_data"); ok {
		if err := unsupported(pd, "application_fee_amount", "capture_method", "on_behalf_of", "receipt_email", "setup_future_usage",
			"shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_data", "transfer_group"); err != nil {
			return nil, err
		}
		if err := checkMetadata(pd); err != nil {
			return nil, err
		}
		cs.PaymentIntentData = pd.Raw()
	}
	md, err := applyMetadata(p, cs.Metadata)
	if err != nil {
		return nil, err
	}
	cs.Metadata = md
	if err := setCheckoutDiscounts(c, cs, p); err != nil {
		return nil, err
	}
	if err := setCheckoutAmounts(c, cs); err != nil {
		return nil, err
	}
	cs.PageToken, cs.CSRF = pageToken(), pageToken()
	u := checkoutPageURL(c, cs)
	cs.URL = &u
	if err := c.schedule(jobCheckoutExpire, cs.ID, scheduler.DefaultTimeline, unixTime(cs.ExpiresAt)); err != nil {
		return nil, err
	}
	// Stripe has no checkout.session.created event.
	if err := saveCheckoutSession(c, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// checkoutLineItems reads line_items: prices in one currency, recurring
// ones only (and at least one) in subscription mode, none in payment mode.
func checkoutLineItems(c *Ctx, cs *CheckoutSession, p Params) error {
	list := p.List("line_items")
	if len(list) == 0 {
		return apierr.MissingParam("line_items")
	}
	limit := 100
	if cs.Mode == "subscription" {
		limit = 40
	}
	if len(list) > limit {
		return apierr.InvalidRequest("line_items", fmt.Sprintf("You can only pass up to %d line items.", limit))
	}
	var subtotal int64
	recurring := 0
	for i, lp := range list {
		if err := unsupported(lp, "adjustable_quantity", "dynamic_tax_rates", "metadata"); err != nil {
			return err
		}
		rates, _, err := taxRatesParam(c, lp, "tax_rates")
		if err != nil {
			return err
		}
		pr, err := checkoutPrice(c, lp)
		if err != nil {
			return err
		}
		q, ok := lp.Int("quantity")
		if !ok {
			return apierr.InvalidRequest(lp.Path("quantity"), fmt.Sprintf("Quantity is required. Add `quantity` to `line_items[%d]`", i))
		}
		if q < 1 {
			return apierr.InvalidRequest(lp.Path("quantity"), "Quantity must be greater than 0.")
		}
		if pr.Recurring != nil {
			if cs.Mode == "payment" {
				return apierr.InvalidRequest(lp.Path("price"), "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.")
			}
			if pr.Recurring.UsageType == "metered" {
				return apierr.InvalidRequest(lp.Path("price"), "stripefake does not support metered prices in Checkout yet.")
			}
			recurring++
		}
		if cs.Currency == nil {
			cur := pr.Currency
			cs.Currency = &cur
		} else if *cs.Currency != pr.Currency {
			return apierr.InvalidRequest(lp.Path("price"), "All prices on a Checkout Session must have the same currency.")
		}
		subtotal += priceAmount(pr, q)
		lineID, err := c.NewID("li")
		if err != nil {
			return err
		}
		cs.LineItems = append(cs.LineItems, checkoutLine{ID: lineID, Price: pr.ID, Quantity: q, AdHoc: lp.Has("price_data"), TaxRates: taxRateIDs(rates)})
	}
	if cs.Mode == "subscription" && recurring == 0 {
		return apierr.InvalidRequest("line_items", "You must provide at least one recurring price in `subscription` mode when using prices.")
	}
	// amount_total comes from setCheckoutAmounts, with the discount and taxes.
	cs.AmountSubtotal = &subtotal
	return nil
}

// checkoutPrice is a line item's price: an active price, or an inactive
// one made from price_data (with a product made from product_data, saved
// without events, as other resources' inline prices are).
func checkoutPrice(c *Ctx, lp Params) (*Price, error) {
	switch {
	case lp.Has("price") && lp.Has("price_data"):
		return nil, apierr.InvalidRequest(lp.Path("price"), "You may only specify one of these parameters: price, price_data.")
	case lp.Has("price"):
		id := lp.Str("price")
		pr, err := loadPrice(c, id, lp.Path("price"))
		if err != nil {
			return nil, err
		}
		if !pr.Active {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest(lp.Path("price"), fmt.Sprintf("The price `%s` is not active. Prices must be active to be used in Checkout.", id))
		}
		return pr, nil
	case !lp.Has("price_data"):
		return nil, apierr.MissingParam(lp.Path("price"))
	}
	pd, _ := lp.Map("price_data")
	var product string
	switch {
	case pd.Has("product") && pd.Has("product_data"):
		return nil, apierr.InvalidRequest(pd.Path("product"), "You may only specify one of these parameters: product, product_data.")
	case pd.Has("product"):
		product = pd.Str("product")
		if _, err := loadProduct(c, product, pd.Path("product")); err != nil {
			return nil, err
		}
	case pd.Has("product_data"):
		pdd, _ := pd.Map("product_data")
		prod, err := newProduct(c, pdd)
		if err != nil {
			return nil, err
		}
		if err := saveProduct(c, prod); err != nil {
			return nil, err
		}
		product = prod.ID
	default:
		return nil, apierr.MissingParam(pd.Path("product"))
	}
	pr, err := newPrice(c, pd, product)
	if err != nil {
		return nil, err
	}
	pr.Active = false
	return pr, savePrice(c, pr)
}

// priceDataOf is the price_data hash that makes a price like pr, for the
// subscription code, which takes no inactive price.
func priceDataOf(pr *Price) map[string]any {
	pd := map[string]any{"currency": pr.Currency, "product": pr.Product}
	switch {
	case pr.UnitAmount != nil:
		pd["unit_amount"] = *pr.UnitAmount
	case pr.UnitAmountDecimal != nil:
		pd["unit_amount_decimal"] = *pr.UnitAmountDecimal
	}
	if r := pr.Recurring; r != nil {
		pd["recurring"] = map[string]any{"interval": r.Interval, "interval_count": r.IntervalCount}
	}
	return pd
}

func listCheckoutSessions(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account", "payment_link"); err != nil {
		return nil, err
	}
	term := ""
	filters := map[string]string{}
	for _, key := range []string{"customer", "subscription", "payment_intent", "status"} {
		if v, ok := p.String(key); ok {
			filters[key] = v
			term = key + "=" + v
		}
	}
	email := ""
	if cd, ok := p.Map("customer_details"); ok {
		email = cd.Str("email")
	}
	created := createdFilter(p, "created")
	items, err := scan(c, kindCheckoutSession, term, func(cs *CheckoutSession) bool {
		for key, want := range filters {
			var got *string
			switch key {
			case "customer":
				got = cs.Customer
			case "subscription":
				got = cs.Subscription
			case "payment_intent":
				got = cs.PaymentIntent
			case "status":
				got = &cs.Status
			}
			if got == nil || *got != want {
				return false
			}
		}
		if email != "" && (cs.CustomerDetails == nil || cs.CustomerDetails.Email == nil || *cs.CustomerDetails.Email != email) {
			return false
		}
		return created(cs.Created)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/checkout/sessions", items, func(cs *CheckoutSession) (string, int64) { return cs.ID, cs.Created })
}

// CheckoutLineItem is Stripe's item object, a Checkout Session's line.
type CheckoutLineItem struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	AdjustableQuantity any               `json:"adjustable_quantity"`
	AmountDiscount     int64             `json:"amount_discount"`
	AmountSubtotal     int64             `json:"amount_subtotal"`
	AmountTax          int64             `json:"amount_tax"`
	AmountTotal        int64             `json:"amount_total"`
	Currency           string            `json:"currency"`
	Description        *string           `json:"description"`
	Metadata           map[string]string `json:"metadata"`
	Price              any               `json:"price"`
	Quantity           *int64            `json:"quantity"`
}

// checkoutItems renders the session's line items.
func checkoutItems(c *Ctx, cs *CheckoutSession) ([]*CheckoutLineItem, error) {
	out := make([]*CheckoutLineItem, 0, len(cs.LineItems))
	priced, err := priceCheckout(c, cs)
	if err != nil {
		return nil, err
	}
	for i, l := range cs.LineItems {
		pr, err := get[Price](c, kindPrice, l.Price, "price")
		if err != nil {
			return nil, err
		}
		pl := priced.items[i]
		excl, all := exclusiveTax(pl)
		discount := lineDiscounted(pl)
		it := &CheckoutLineItem{
			ID: l.ID, Object: "item", AmountSubtotal: pl.Amount, AmountDiscount: discount, AmountTax: all,
			AmountTotal: pl.Amount - discount + excl, Currency: pr.Currency,
			Metadata: map[string]string{}, Price: wire(string(c.Version), pr), Quantity: new(l.Quantity),
		}
		if prod, err := get[Product](c, kindProduct, pr.Product, "product"); err == nil {
			it.Description = &prod.Name
		}
		out = append(out, it)
	}
	return out, nil
}

func listCheckoutLineItems(c *Ctx) (any, error) {
	cs, err := get[CheckoutSession](c, kindCheckoutSession, c.Var("session"), "id")
	if err != nil {
		return nil, err
	}
	items, err := checkoutItems(c, cs)
	if err != nil {
		return nil, err
	}
	// All share created, so page keeps the session's order.
	l, err := page(c, "/v1/checkout/sessions/"+cs.ID+"/line_items", items, func(it *CheckoutLineItem) (string, int64) { return it.ID, cs.Created })
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ---- Expiry ----

func errCheckoutNotOpen(cs *CheckoutSession) *apierr.Error {
	// UNCONFIRMED wording.
	return apierr.InvalidRequest("", fmt.Sprintf("Only Checkout Sessions with a status of `open` can be expired. This session's status is `%s`.", cs.Status))
}

func expireCheckoutHandler(c *Ctx) (any, error) {
	cs, err := get[CheckoutSession](c, kindCheckoutSession, c.Var("session"), "id")
	if err != nil {
		return nil, err
	}
	if cs.Status != "open" {
		return nil, errCheckoutNotOpen(cs)
	}
	return cs, expireCheckout(c, cs)
}

// expireCheckout ends an open session: status expired, no more expiry
// job, checkout.session.expired.
func expireCheckout(c *Ctx, cs *CheckoutSession) error {
	cs.Status = "expired"
	cs.URL = nil
	if err := scheduler.Cancel(c.Tx(), jobCheckoutExpire, cs.ID); err != nil {
		return err
	}
	if err := saveCheckoutSession(c, cs); err != nil {
		return err
	}
	return c.emit("checkout.session.expired", cs, nil)
}

func runCheckoutExpire(c *Ctx, j store.Job) error {
	var cs CheckoutSession
	if err := c.load(kindCheckoutSession, j.ObjectID, &cs); errors.Is(err, store.ErrNotFound) {
		return nil // gone with its test clock
	} else if err != nil {
		return err
	}
	if cs.Status != "open" || c.Unix() < cs.ExpiresAt {
		return nil
	}
	return expireCheckout(c, &cs)
}

// ---- Completion ----

// CompleteCheckoutSession completes an open Checkout Session as the hosted
// page does when the customer pays with paymentMethod: a test value such
// as pm_card_visa or a stored pm_…. A declined card returns its card error
// (*apierr.Error) and changes nothing.
func (e *Engine) CompleteCheckoutSession(id, paymentMethod string) error {
	return e.onCheckoutSession(id, func(c *Ctx, cs *CheckoutSession) error {
		return completeCheckout(c, cs, cardInput{PaymentMethod: paymentMethod}, "")
	})
}

// onCheckoutSession runs fn on session id as a test-side helper acting
// for its buyer (doDue).
func (e *Engine) onCheckoutSession(id string, fn func(c *Ctx, cs *CheckoutSession) error) error {
	return e.doDue(func(c *Ctx) error {
		cs, err := get[CheckoutSession](c, kindCheckoutSession, id, "id")
		if err != nil {
			return err
		}
		return fn(c, cs)
	})
}

// errCheckoutInactive answers completing a session that is not open.
func errCheckoutInactive(cs *CheckoutSession) *apierr.Error {
	// UNCONFIRMED wording.
	return apierr.InvalidRequest("", fmt.Sprintf("This Checkout Session is no longer active (status `%s`).", cs.Status))
}

// checkoutChargeError is what paying on the hosted page gets from a card
// with behaviour b, nil when it succeeds: what an off-session charge of the
// card would get once saved (saved) or not, since the fake's page has no
// 3D Secure step.
func checkoutChargeError(b cardBehavior, saved bool) *apierr.Error {
	switch {
	case b.authentication == authAlways, b.authentication == authUnlessSaved && !saved:
		return declineAuthRequired.err()
	case b.decline != nil:
		return b.decline.err()
	}
	return nil
}

// completeCheckout pays an open session with card and records the result.
func completeCheckout(c *Ctx, cs *CheckoutSession, in cardInput, email string) error {
	plan, err := prepareCheckout(c, cs, in, email)
	if err != nil {
		return err
	}
	return plan.apply(c)
}

// checkoutPlan is a payment that nothing will refuse.
type checkoutPlan struct {
	cs          *CheckoutSession
	card        pageCard
	cu          *Customer // nil for a guest or a customer to create
	newCustomer bool
	email       string
}

// prepareCheckout checks everything that can refuse the payment without
// writing anything, so that the hosted page can show the error and commit
// nothing.
func prepareCheckout(c *Ctx, cs *CheckoutSession, in cardInput, email string) (*checkoutPlan, error) {
	if cs.Status != "open" || c.Unix() >= cs.ExpiresAt {
		return nil, errCheckoutInactive(cs)
	}
	card, err := readCard(c, in)
	if err != nil {
		return nil, err
	}
	plan := &checkoutPlan{cs: cs, card: card, email: strings.TrimSpace(email)}
	if cs.Customer != nil {
		if plan.cu, err = liveCustomer(c, *cs.Customer, "customer"); err != nil {
			return nil, err
		}
	}
	if plan.email == "" {
		switch {
		case cs.CustomerEmail != nil:
			plan.email = *cs.CustomerEmail
		case plan.cu != nil && plan.cu.Email != nil:
			plan.email = *plan.cu.Email
		}
	}
	plan.newCustomer = plan.cu == nil && (cs.Mode == "subscription" || (cs.CustomerCreation != nil && *cs.CustomerCreation == "always"))
	saved := plan.cu != nil || plan.newCustomer
	if pm := card.stored; pm != nil && pm.Customer != nil && (plan.cu == nil || *pm.Customer != plan.cu.ID) {
		return nil, errPMAlreadyAttached()
	}
	if dp := checkoutDiscountParams(cs); dp != nil {
		// The customer is known now: first_time_transaction and customer
		// restrictions apply (a new customer has no earlier payment).
		customer := ""
		if plan.cu != nil {
			customer = plan.cu.ID
		}
		if err := checkCheckoutDiscount(c, cs, NewParams(dp), customer); err != nil {
			return nil, err
		}
	}
	b := card.behavior()
	if saved && b.refusesAttach && (card.stored == nil || card.stored.Customer == nil) {
		return nil, b.decline.err()
	}
	if *cs.AmountTotal > 0 {
		if decline := checkoutChargeError(b, saved); decline != nil {
			return nil, decline
		}
	}
	return plan, nil
}

// apply writes the payment: customer, payment method, subscription or
// payment intent, the completed session and checkout.session.completed.
func (plan *checkoutPlan) apply(c *Ctx) error {
	cs, cu, email := plan.cs, plan.cu, plan.email
	if plan.newCustomer {
		params := map[string]any{}
		if email != "" {
			params["email"] = email
		}
		obj, err := callHandler(c, createCustomer, nil, params)
		if err != nil {
			return err
		}
		cu = obj.(*Customer)
	}
	pm, err := plan.card.paymentMethod(c)
	if err != nil {
		return err
	}
	switch {
	case cu != nil && pm.Customer == nil:
		if err := attachToCustomer(c, pm, cu); err != nil {
			return err
		}
	case cu == nil && pm.Customer == nil:
		if err := savePaymentMethod(c, pm); err != nil {
			return err
		}
	}
	if cu != nil {
		cs.Customer = &cu.ID
	}
	switch cs.Mode {
	case "subscription":
		err = completeCheckoutSubscription(c, cs, cu, pm)
	default:
		err = completeCheckoutPayment(c, cs, cu, pm)
	}
	if err != nil {
		return err
	}
	var emailPtr *string
	if email != "" {
		emailPtr = &email
	}
	var name *string
	if cu != nil {
		name = cu.Name
	}
	cs.CustomerDetails = &CheckoutCustomerDetail{Email: emailPtr, Name: name, TaxExempt: "none", TaxIDs: []any{}}
	cs.Status = "complete"
	cs.URL = nil
	if err := scheduler.Cancel(c.Tx(), jobCheckoutExpire, cs.ID); err != nil {
		return err
	}
	if err := saveCheckoutSession(c, cs); err != nil {
		return err
	}
	return c.emit("checkout.session.completed", cs, nil)
}

// completeCheckoutSubscription creates the subscription the session sells,
// through the subscription create endpoint's code.
func completeCheckoutSubscription(c *Ctx, cs *CheckoutSession, cu *Customer, pm *PaymentMethod) error {
	var items, oneTime []any
	for _, l := range cs.LineItems {
		pr, err := get[Price](c, kindPrice, l.Price, "price")
		if err != nil {
			return err
		}
		line := map[string]any{"price": l.Price, "quantity": l.Quantity}
		if l.AdHoc {
			line = map[string]any{"price_data": priceDataOf(pr), "quantity": l.Quantity}
		}
		if len(l.TaxRates) > 0 {
			line["tax_rates"] = anyStrings(l.TaxRates)
		}
		if pr.Recurring != nil {
			items = append(items, line)
		} else {
			oneTime = append(oneTime, line)
		}
	}
	params := map[string]any{"customer": cu.ID, "items": items, "default_payment_method": pm.ID}
	if len(oneTime) > 0 {
		params["add_invoice_items"] = oneTime
	}
	if dp := checkoutDiscountParams(cs); dp != nil {
		params["discounts"] = []any{dp}
	}
	if rates := checkoutDefaultTaxRates(cs); len(rates) > 0 {
		params["default_tax_rates"] = anyStrings(rates)
	}
	for _, key := range []string{"trial_period_days", "trial_end", "description", "metadata"} {
		if v, ok := cs.SubscriptionData[key]; ok {
			params[key] = v
		}
	}
	obj, err := callHandler(c, createSubscription, nil, params)
	if err != nil {
		return err
	}
	s := obj.(*Subscription)
	if s.Status != "active" && s.Status != "trialing" {
		return fmt.Errorf("resources: checkout subscription %s is %s after a payment that was checked", s.ID, s.Status)
	}
	cs.Subscription = &s.ID
	cs.Invoice = s.LatestInvoice
	cs.PaymentStatus = "no_payment_required"
	if s.LatestInvoice != nil {
		inv, err := loadInvoice(c, *s.LatestInvoice, "invoice")
		if err != nil {
			return err
		}
		if inv.AmountPaid > 0 {
			cs.PaymentStatus = "paid"
		}
		// The first invoice holds the session's discount (a once coupon has
		// already left the subscription).
		if ids := discountIDs(inv.Discounts); len(ids) > 0 && checkoutDiscountParams(cs) != nil {
			cs.DiscountID = ids[0]
		}
	}
	return nil
}

// completeCheckoutPayment charges the session's total through a payment
// intent, as payment mode does.
func completeCheckoutPayment(c *Ctx, cs *CheckoutSession, cu *Customer, pm *PaymentMethod) error {
	customer := ""
	if cu != nil {
		customer = cu.ID
	}
	if err := redeemCheckoutDiscount(c, cs, customer); err != nil {
		return err
	}
	amount := *cs.AmountTotal
	if amount == 0 {
		cs.PaymentStatus = "no_payment_required"
		return nil
	}
	pi, err := newInvoicePaymentIntent(c, customer, amount, *cs.Currency, pm.ID, c.Unix())
	if err != nil {
		return err
	}
	if cu == nil {
		pi.Customer = nil
	}
	if md, ok := cs.PaymentIntentData["metadata"].(map[string]any); ok {
		for k, v := range md {
			if s, ok := v.(string); ok {
				pi.Metadata[k] = s
			}
		}
	}
	if d, ok := cs.PaymentIntentData["description"].(string); ok {
		pi.Description = &d
	}
	if err := savePaymentIntent(c, pi); err != nil {
		return err
	}
	if err := c.emit("payment_intent.created", pi, nil); err != nil {
		return err
	}
	ch, err := recordCharge(c, pi, pm, nil, c.Unix())
	if err != nil {
		return err
	}
	if err := c.emit("charge.succeeded", ch, nil); err != nil {
		return err
	}
	if err := c.emit("payment_intent.succeeded", pi, nil); err != nil {
		return err
	}
	cs.PaymentIntent = &pi.ID
	cs.PaymentStatus = "paid"
	return nil
}

// checkoutRedirect is where the customer goes after paying: success_url
// with {CHECKOUT_SESSION_ID} filled in, or "" for the fake's own page.
func checkoutRedirect(cs *CheckoutSession) string {
	if cs.SuccessURL == nil {
		return ""
	}
	return strings.ReplaceAll(*cs.SuccessURL, "{CHECKOUT_SESSION_ID}", cs.ID)
}
