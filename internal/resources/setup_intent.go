package resources

import (
	"fmt"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Setup intents: create (with or without confirm), retrieve, update,
// list, confirm and cancel, for card payment methods. A successful setup
// attaches the payment method to the intent's customer
// (https://docs.stripe.com/payments/setup-intents), so an
// authenticationRequiredOnSetup card then succeeds off session.
//
// Decisions on points the reference does not confirm:
//   - Cards of the decline table fail setup as they fail attach: 402
//     card_error, last_setup_error, back to requires_payment_method,
//     setup_intent.setup_failed. chargeCustomerFail sets up fine (it
//     declines only charges).
//   - Every authentication card asks for authentication on setup
//     (requires_action, setup_intent.requires_action); the test helper
//     CompletePaymentAction / FailPaymentAction plays the customer's part.
//   - usage is off_session unless given; it is kept, not enforced.
//   - latest_attempt is null: setup attempts are not modelled.

const kindSetupIntent = "setup_intent"

// SetupIntent is Stripe's setup_intent (dahlia shape).
type SetupIntent struct {
	ID                        string            `json:"id"`
	Object                    string            `json:"object"`
	Application               *string           `json:"application"`
	AutomaticPaymentMethods   map[string]any    `json:"automatic_payment_methods"`
	CancellationReason        *string           `json:"cancellation_reason"`
	ClientSecret              *string           `json:"client_secret"`
	Created                   int64             `json:"created"`
	Customer                  *string           `json:"customer"`
	CustomerAccount           *string           `json:"customer_account"`
	Description               *string           `json:"description"`
	ExcludedPaymentMethodType []string          `json:"excluded_payment_method_types"`
	FlowDirections            []string          `json:"flow_directions"`
	LastSetupError            *PaymentError     `json:"last_setup_error"`
	LatestAttempt             *string           `json:"latest_attempt"`
	Livemode                  bool              `json:"livemode"`
	Mandate                   *string           `json:"mandate"`
	Metadata                  map[string]string `json:"metadata"`
	NextAction                map[string]any    `json:"next_action"`
	OnBehalfOf                *string           `json:"on_behalf_of"`
	PaymentMethod             *string           `json:"payment_method"`
	PaymentMethodOptions      map[string]any    `json:"payment_method_options"`
	PaymentMethodTypes        []string          `json:"payment_method_types"`
	SingleUseMandate          *string           `json:"single_use_mandate"`
	Status                    string            `json:"status"`
	Usage                     string            `json:"usage"`
	// PageToken is the secret part of the next_action's page link.
	PageToken string `json:"_page_token,omitempty"`
}

func (si *SetupIntent) wire(string) any {
	out := *si
	out.PageToken = ""
	return &out
}

func saveSetupIntent(c *Ctx, si *SetupIntent) error {
	terms := []string{}
	if si.Customer != nil {
		terms = append(terms, "customer="+*si.Customer)
	}
	return c.save(kindSetupIntent, si.ID, si, terms...)
}

var (
	siConfirmable = []string{"requires_payment_method", "requires_confirmation", "requires_action"}
	siCancelable  = siConfirmable
)

// unsupportedSIParams are the setup intent parameters the fake does not model.
var unsupportedSIParams = []string{
	"allowed_payment_method_types", "attach_to_self", "confirmation_token", "customer_account",
	"excluded_payment_method_types", "mandate_data", "on_behalf_of", "payment_method_configuration",
	"payment_method_data", "single_use",
}

func init() { families = append(families, registerSetupIntents) }

func registerSetupIntents(e *Engine) {
	e.kind(Kind{Object: kindSetupIntent, Load: loader[SetupIntent](kindSetupIntent)})
	e.route(Route{Method: "POST", Pattern: "/v1/setup_intents", Handle: createSetupIntent})
	e.route(Route{Method: "GET", Pattern: "/v1/setup_intents", Read: true, Handle: listSetupIntents})
	e.route(Route{Method: "GET", Pattern: "/v1/setup_intents/{intent}", Read: true, Handle: func(c *Ctx) (any, error) {
		if err := unsupported(c.Params, "client_secret"); err != nil {
			return nil, err
		}
		return get[SetupIntent](c, kindSetupIntent, c.Var("intent"), "intent")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/setup_intents/{intent}", Handle: updateSetupIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/setup_intents/{intent}/confirm", Handle: func(c *Ctx) (any, error) {
		si, err := setupIntentToChange(c)
		if err != nil {
			return nil, err
		}
		if !contains(siConfirmable, si.Status) {
			return nil, errSIState(si, "confirm", siConfirmable)
		}
		p := c.Params
		if p.Has("client_secret") && (si.ClientSecret == nil || p.Str("client_secret") != *si.ClientSecret) {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest("client_secret", "The client_secret provided does not match the client_secret associated with the SetupIntent.")
		}
		if err := setSIFields(c, si, p); err != nil {
			return nil, err
		}
		return si, confirmSetupIntent(c, si, p)
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/setup_intents/{intent}/cancel", Handle: cancelSetupIntent})
	e.route(Route{Method: "POST", Pattern: "/v1/setup_intents/{intent}/verify_microdeposits", Handle: func(c *Ctx) (any, error) {
		si, err := setupIntentToChange(c)
		if err != nil {
			return nil, err
		}
		return nil, errNoMicrodeposits("SetupIntent", "setup_intent_unexpected_state", si.ID)
	}})
}

func errSIState(si *SetupIntent, action string, allowed []string) error {
	return apierr.Invalid("setup_intent_unexpected_state", "", fmt.Sprintf(
		"You cannot %s this SetupIntent because it has a status of %s. Only a SetupIntent with one of the following statuses may be %s: %s.",
		action, si.Status, pastTense(action), strings.Join(allowed, ", ")))
}

func createSetupIntent(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, unsupportedSIParams...); err != nil {
		return nil, err
	}
	id, err := c.NewID("seti")
	if err != nil {
		return nil, err
	}
	secret := id + "_secret_" + randomString(base62, hashString(id), 25)
	si := &SetupIntent{
		ID: id, Object: kindSetupIntent, ClientSecret: &secret, Created: c.Unix(), ExcludedPaymentMethodType: nil,
		Metadata: map[string]string{}, PaymentMethodOptions: map[string]any{"card": map[string]any{
			"mandate_options": nil, "network": nil, "request_three_d_secure": "automatic",
		}},
		PaymentMethodTypes: []string{"card"}, Status: "requires_payment_method", Usage: "off_session",
	}
	if v, ok := p.String("usage"); ok {
		si.Usage = v
	}
	if apm, ok := p.Map("automatic_payment_methods"); ok {
		if on, _ := apm.Bool("enabled"); on {
			si.AutomaticPaymentMethods = map[string]any{"allow_redirects": "always", "enabled": true}
			if v, ok := apm.String("allow_redirects"); ok {
				si.AutomaticPaymentMethods["allow_redirects"] = v
			}
		}
	}
	if err := setSIFields(c, si, p); err != nil {
		return nil, err
	}
	if err := saveSetupIntent(c, si); err != nil {
		return nil, err
	}
	if err := c.emit("setup_intent.created", si, nil); err != nil {
		return nil, err
	}
	if confirm, _ := p.Bool("confirm"); confirm {
		return si, confirmSetupIntent(c, si, p)
	}
	for _, k := range []string{"return_url", "use_stripe_sdk"} {
		if p.Has(k) {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest(k, fmt.Sprintf("You can only pass `%s` when `confirm` is true.", k))
		}
	}
	return si, nil
}

// setSIFields applies the fields create, update and confirm share.
func setSIFields(c *Ctx, si *SetupIntent, p Params) error {
	if id, ok := p.String("customer"); ok {
		if si.Customer != nil && *si.Customer != id {
			// UNCONFIRMED wording.
			return apierr.InvalidRequest("customer", "You cannot change the customer of a SetupIntent once it has one.")
		}
		cu, err := liveCustomer(c, id, "customer")
		if err != nil {
			return err
		}
		if err := c.onCustomerTimeline(cu); err != nil {
			return err
		}
		si.Customer = &cu.ID
	}
	if p.Has("description") {
		si.Description = p.NullableString("description")
	}
	if dirs := p.Strings("flow_directions"); dirs != nil {
		si.FlowDirections = dirs
	}
	if types := p.Strings("payment_method_types"); types != nil {
		for i, t := range types {
			if t != "card" {
				return apierr.InvalidRequest(fmt.Sprintf("payment_method_types[%d]", i), fmt.Sprintf("stripefake does not support the payment method type '%s' yet.", t))
			}
		}
		si.PaymentMethodTypes = types
	}
	if opts, ok := p.Map("payment_method_options"); ok {
		for _, k := range opts.Keys() {
			if k != "card" {
				return unsupported(opts, k)
			}
		}
		card, _ := opts.Map("card")
		if err := unsupported(card, "mandate_options", "moto", "network", "three_d_secure"); err != nil {
			return err
		}
		cur, _ := si.PaymentMethodOptions["card"].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for _, k := range card.Keys() {
			cur[k] = card.Raw()[k]
		}
		si.PaymentMethodOptions = map[string]any{"card": cur}
	}
	md, err := applyMetadata(p, si.Metadata)
	if err != nil {
		return err
	}
	si.Metadata = md
	if id, ok := p.String("payment_method"); ok {
		pm, err := loadPaymentMethod(c, id, "payment_method")
		if err != nil {
			return err
		}
		if pm.Detached {
			return errPMDetachedReuse()
		}
		if pm.Customer != nil && (si.Customer == nil || *si.Customer != *pm.Customer) {
			return errPMNotCustomers(id, "payment_method")
		}
		si.PaymentMethod = &pm.ID
		si.Status = "requires_confirmation"
		si.NextAction = nil
	}
	return nil
}

// setupIntentToChange loads the path's setup intent for a write and moves
// the request onto its customer's timeline.
func setupIntentToChange(c *Ctx) (*SetupIntent, error) {
	if err := unsupported(c.Params, unsupportedSIParams...); err != nil {
		return nil, err
	}
	si, err := get[SetupIntent](c, kindSetupIntent, c.Var("intent"), "intent")
	if err != nil {
		return nil, err
	}
	if err := c.onTimelineOfCustomer(si.Customer); err != nil {
		return nil, err
	}
	return si, nil
}

func updateSetupIntent(c *Ctx) (any, error) {
	si, err := setupIntentToChange(c)
	if err != nil {
		return nil, err
	}
	p := c.Params
	if (p.Has("payment_method") || p.Has("customer") || p.Has("payment_method_types")) && !contains(siConfirmable, si.Status) {
		return nil, errSIState(si, "update", siConfirmable)
	}
	if err := setSIFields(c, si, p); err != nil {
		return nil, err
	}
	// Stripe has no setup_intent.updated event.
	return si, saveSetupIntent(c, si)
}

// setupError is what setting pm up gets: nil when it succeeds, the decline
// of a card that refuses to be saved otherwise.
func setupError(pm *PaymentMethod) *apierr.Error {
	if pm.Detached {
		return errPMDetachedReuse()
	}
	if b := cardBehaviors[pm.TestBehavior]; b.refusesAttach && b.decline != nil {
		return b.decline.err()
	}
	return nil
}

// confirmSetupIntent confirms si and saves it.
func confirmSetupIntent(c *Ctx, si *SetupIntent, p Params) error {
	if si.PaymentMethod == nil {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest("payment_method", "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.")
	}
	pm, err := get[PaymentMethod](c, kindPaymentMethod, *si.PaymentMethod, "payment_method")
	if err != nil {
		return err
	}
	card, _ := si.PaymentMethodOptions["card"].(map[string]any)
	r3ds, _ := card["request_three_d_secure"].(string)
	if cardBehaviors[pm.TestBehavior].authentication != "" || r3ds == "any" || r3ds == "challenge" {
		si.Status = "requires_action"
		si.LastSetupError = nil
		si.PageToken = pageToken()
		url := c.e.pageURL("authenticate/" + si.ID + "/" + si.PageToken)
		if ru, ok := p.String("return_url"); ok {
			si.NextAction = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{"return_url": ru, "url": url + "?return_url=" + ru}}
		} else {
			si.NextAction = map[string]any{"type": "use_stripe_sdk", "use_stripe_sdk": map[string]any{"type": "three_d_secure_redirect", "stripe_js": url}}
		}
		if err := saveSetupIntent(c, si); err != nil {
			return err
		}
		return c.emit("setup_intent.requires_action", si, nil)
	}
	return finishSetupIntent(c, si, pm, setupError(pm))
}

// finishSetupIntent ends a setup: succeeded with pm attached to the
// customer, or failed with decline (answered as a 402 after commit).
func finishSetupIntent(c *Ctx, si *SetupIntent, pm *PaymentMethod, decline *apierr.Error) error {
	si.NextAction = nil
	if decline != nil {
		si.Status = "requires_payment_method"
		si.PaymentMethod = nil
		si.LastSetupError = paymentError(decline, "", pm)
		if err := saveSetupIntent(c, si); err != nil {
			return err
		}
		if err := c.emit("setup_intent.setup_failed", si, nil); err != nil {
			return err
		}
		declined := *decline
		declined.Extra = map[string]any{"setup_intent": renderForError(c, si), "payment_method": renderForError(c, pm)}
		c.after(func() error { return &declined })
		return nil
	}
	if si.Customer != nil && pm.Customer == nil {
		cu, err := get[Customer](c, kindCustomer, *si.Customer, "customer")
		if err != nil {
			return err
		}
		if err := attachToCustomer(c, pm, cu); err != nil {
			return err
		}
	}
	si.Status = "succeeded"
	si.LastSetupError = nil
	if err := saveSetupIntent(c, si); err != nil {
		return err
	}
	return c.emit("setup_intent.succeeded", si, nil)
}

func cancelSetupIntent(c *Ctx) (any, error) {
	si, err := setupIntentToChange(c)
	if err != nil {
		return nil, err
	}
	if !contains(siCancelable, si.Status) {
		return nil, errSIState(si, "cancel", siCancelable)
	}
	si.Status = "canceled"
	si.NextAction = nil
	si.CancellationReason = optString(c.Params.String("cancellation_reason"))
	if err := saveSetupIntent(c, si); err != nil {
		return nil, err
	}
	return si, c.emit("setup_intent.canceled", si, nil)
}

func listSetupIntents(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "attach_to_self", "customer_account"); err != nil {
		return nil, err
	}
	term := ""
	if cu, ok := p.String("customer"); ok {
		term = "customer=" + cu
	}
	pm, byPM := p.String("payment_method")
	meta := func(si *SetupIntent) (string, int64) { return si.ID, si.Created }
	if term == "" {
		// Unfiltered (payment_method is no index): newest first from the
		// cursor, leaving out test-clock customers' unless payment_method
		// names the one object's owner.
		clocks := newClockOwners(c)
		return listStored(c, "/v1/setup_intents", kindSetupIntent, "", func(si *SetupIntent) bool {
			if byPM {
				return si.PaymentMethod != nil && *si.PaymentMethod == pm
			}
			return !clocks.customer(si.Customer)
		}, meta)
	}
	items, err := scan(c, kindSetupIntent, term, func(si *SetupIntent) bool {
		return !byPM || (si.PaymentMethod != nil && *si.PaymentMethod == pm)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/setup_intents", items, meta)
}
