package resources

import (
	"errors"
	"fmt"
	"slices"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// The customer portal: configurations (create, retrieve, update, list; a
// default one exists from the start, as the Dashboard's does) and sessions
// (create). The session's url is a page the fake serves (portal_page.go).
//
// Decisions on points the reference does not confirm (§7.2, §12.1):
//   - A session that is not opened within PortalConfig.SessionTTL (default
//     5 minutes) of its creation expires; once opened it stays usable for
//     PortalConfig.OpenedTTL (default 1 hour) from the first visit. Expiry
//     is exact on the customer's timeline (its test clock, else the fake's
//     clock): usable at deadline-1s, expired at the deadline. An expired
//     URL answers an expiry page (410), not the portal.
//   - The default configuration is created the first time the portal is
//     used (any portal endpoint), with no event: it stands for the one the
//     Dashboard made. Its features: customer_update (email, address),
//     invoice_history, payment_method_update and subscription_cancel
//     (at_period_end) enabled; subscription_update disabled.
//   - Session create requires a return_url unless the configuration has a
//     default_return_url, and an active configuration.
//   - Error messages marked UNCONFIRMED below are this fake's wording.

const (
	kindPortalConfiguration = "billing_portal.configuration"
	kindPortalSession       = "billing_portal.session"
	jobPortalSessionExpire  = "billing_portal.session.expire"
)

// portalConfig is the engine's portal configuration. Until
// resources.Config carries a Portal field, Stripe's defaults apply.
func (e *Engine) portalConfig() PortalConfig { return e.cfg.Portal }

// PortalConfiguration is Stripe's billing_portal.configuration.
type PortalConfiguration struct {
	ID               string                `json:"id"`
	Object           string                `json:"object"`
	Active           bool                  `json:"active"`
	Application      *string               `json:"application"`
	BusinessProfile  PortalBusinessProfile `json:"business_profile"`
	Created          int64                 `json:"created"`
	DefaultReturnURL *string               `json:"default_return_url"`
	Features         PortalFeatures        `json:"features"`
	IsDefault        bool                  `json:"is_default"`
	Livemode         bool                  `json:"livemode"`
	LoginPage        PortalLoginPage       `json:"login_page"`
	Metadata         map[string]string     `json:"metadata"`
	Name             *string               `json:"name"`
	Updated          int64                 `json:"updated"`
}

// PortalBusinessProfile is configuration.business_profile.
type PortalBusinessProfile struct {
	Headline          *string `json:"headline"`
	PrivacyPolicyURL  *string `json:"privacy_policy_url"`
	TermsOfServiceURL *string `json:"terms_of_service_url"`
}

// PortalLoginPage is configuration.login_page.
type PortalLoginPage struct {
	Enabled bool    `json:"enabled"`
	URL     *string `json:"url"`
}

// PortalFeatures is configuration.features.
type PortalFeatures struct {
	CustomerUpdate      PortalCustomerUpdate      `json:"customer_update"`
	InvoiceHistory      PortalEnabled             `json:"invoice_history"`
	PaymentMethodUpdate PortalPaymentMethodUpdate `json:"payment_method_update"`
	SubscriptionCancel  PortalSubscriptionCancel  `json:"subscription_cancel"`
	SubscriptionUpdate  PortalSubscriptionUpdate  `json:"subscription_update"`
}

// PortalEnabled is a feature with only an enabled flag.
type PortalEnabled struct {
	Enabled bool `json:"enabled"`
}

// PortalCustomerUpdate is features.customer_update.
type PortalCustomerUpdate struct {
	AllowedUpdates []string `json:"allowed_updates"`
	Enabled        bool     `json:"enabled"`
}

// PortalPaymentMethodUpdate is features.payment_method_update.
type PortalPaymentMethodUpdate struct {
	Enabled                    bool    `json:"enabled"`
	PaymentMethodConfiguration *string `json:"payment_method_configuration"`
}

// PortalSubscriptionCancel is features.subscription_cancel.
type PortalSubscriptionCancel struct {
	CancellationReason PortalCancellationReason `json:"cancellation_reason"`
	Enabled            bool                     `json:"enabled"`
	Mode               string                   `json:"mode"`
	ProrationBehavior  string                   `json:"proration_behavior"`
}

// PortalCancellationReason is subscription_cancel.cancellation_reason.
type PortalCancellationReason struct {
	Enabled bool     `json:"enabled"`
	Options []string `json:"options"`
}

// PortalSubscriptionUpdate is features.subscription_update.
type PortalSubscriptionUpdate struct {
	BillingCycleAnchor    *string                   `json:"billing_cycle_anchor"`
	DefaultAllowedUpdates []string                  `json:"default_allowed_updates"`
	Enabled               bool                      `json:"enabled"`
	Products              []PortalUpdateProduct     `json:"products"`
	ProrationBehavior     string                    `json:"proration_behavior"`
	ScheduleAtPeriodEnd   PortalScheduleAtPeriodEnd `json:"schedule_at_period_end"`
	TrialUpdateBehavior   string                    `json:"trial_update_behavior"`
}

// PortalUpdateProduct is one of subscription_update.products.
type PortalUpdateProduct struct {
	AdjustableQuantity PortalAdjustableQuantity `json:"adjustable_quantity"`
	Prices             []string                 `json:"prices"`
	Product            string                   `json:"product"`
}

// PortalAdjustableQuantity is a product's adjustable_quantity.
type PortalAdjustableQuantity struct {
	Enabled bool   `json:"enabled"`
	Maximum *int64 `json:"maximum"`
	Minimum int64  `json:"minimum"`
}

// PortalScheduleAtPeriodEnd is subscription_update.schedule_at_period_end.
type PortalScheduleAtPeriodEnd struct {
	Conditions []map[string]any `json:"conditions"`
}

// PortalSession is Stripe's billing_portal.session. The underscore fields
// are stored state that never renders.
type PortalSession struct {
	ID              string         `json:"id"`
	Object          string         `json:"object"`
	Configuration   string         `json:"configuration"`
	Created         int64          `json:"created"`
	Customer        string         `json:"customer"`
	CustomerAccount *string        `json:"customer_account"`
	Flow            map[string]any `json:"flow"`
	Livemode        bool           `json:"livemode"`
	Locale          *string        `json:"locale"`
	OnBehalfOf      *string        `json:"on_behalf_of"`
	ReturnURL       *string        `json:"return_url"`
	URL             string         `json:"url"`

	// Secret is the token in the URL.
	Secret string `json:"_secret,omitempty"`
	// Timeline is the customer's timeline: expiry runs on its clock.
	Timeline string `json:"_timeline,omitempty"`
	// ExpiresAt is when the session stops working: SessionTTL after
	// creation until opened, then OpenedTTL after the first visit.
	ExpiresAt int64 `json:"_expires_at,omitempty"`
	// OpenedAt is the first visit, 0 before.
	OpenedAt int64 `json:"_opened_at,omitempty"`
	// Expired is set by the expiry job.
	Expired bool `json:"_expired,omitempty"`
	// Completed is set once the session's flow has been completed.
	Completed bool `json:"_completed,omitempty"`
	// CSRF is the token of the page's forms.
	CSRF string `json:"_csrf,omitempty"`
}

func (s *PortalSession) wire(string) any {
	out := *s
	out.Secret, out.Timeline, out.ExpiresAt, out.OpenedAt = "", "", 0, 0
	out.Expired, out.Completed, out.CSRF = false, false, ""
	return &out
}

func (pc *PortalConfiguration) terms() []string {
	terms := []string{fmt.Sprintf("active=%t", pc.Active)}
	if pc.IsDefault {
		terms = append(terms, "is_default=true")
	}
	return terms
}

func savePortalConfiguration(c *Ctx, pc *PortalConfiguration) error {
	return c.save(kindPortalConfiguration, pc.ID, pc, pc.terms()...)
}

func savePortalSession(c *Ctx, s *PortalSession) error {
	return c.save(kindPortalSession, s.ID, s, "secret="+s.Secret, "customer="+s.Customer)
}

// cancellationReasons are the options Stripe offers, the Dashboard's default.
var cancellationReasons = []string{"too_expensive", "missing_features", "switched_service", "unused",
	"customer_service", "too_complex", "low_quality", "other"}

// blankFeatures is what a new configuration has before its features param.
func blankFeatures() PortalFeatures {
	return PortalFeatures{
		CustomerUpdate:      PortalCustomerUpdate{AllowedUpdates: []string{}},
		SubscriptionCancel:  PortalSubscriptionCancel{Mode: "at_period_end", ProrationBehavior: "none", CancellationReason: PortalCancellationReason{Options: []string{}}},
		SubscriptionUpdate:  PortalSubscriptionUpdate{DefaultAllowedUpdates: []string{}, Products: []PortalUpdateProduct{}, ProrationBehavior: "none", ScheduleAtPeriodEnd: PortalScheduleAtPeriodEnd{Conditions: []map[string]any{}}, TrialUpdateBehavior: "end_trial"},
		PaymentMethodUpdate: PortalPaymentMethodUpdate{},
	}
}

// defaultPortalConfiguration returns the default configuration, creating it
// on first use (see the file comment).
func defaultPortalConfiguration(c *Ctx) (*PortalConfiguration, error) {
	found, err := scan(c, kindPortalConfiguration, "is_default=true", func(pc *PortalConfiguration) bool { return pc.IsDefault })
	if err != nil {
		return nil, err
	}
	if len(found) > 0 {
		return found[0], nil
	}
	id, err := c.NewID("bpc")
	if err != nil {
		return nil, err
	}
	f := blankFeatures()
	f.CustomerUpdate = PortalCustomerUpdate{Enabled: true, AllowedUpdates: []string{"email", "address"}}
	f.InvoiceHistory.Enabled = true
	f.PaymentMethodUpdate.Enabled = true
	f.SubscriptionCancel.Enabled = true
	f.SubscriptionCancel.CancellationReason = PortalCancellationReason{Enabled: true, Options: append([]string{}, cancellationReasons...)}
	pc := &PortalConfiguration{
		ID: id, Object: kindPortalConfiguration, Active: true, Created: c.Unix(), Updated: c.Unix(),
		Features: f, IsDefault: true, Metadata: map[string]string{}, LoginPage: PortalLoginPage{},
	}
	return pc, savePortalConfiguration(c, pc)
}

// loadPortalConfiguration loads a configuration, making the default first
// so that it exists whatever the caller asks for.
func loadPortalConfiguration(c *Ctx, id, param string) (*PortalConfiguration, error) {
	if _, err := defaultPortalConfiguration(c); err != nil {
		return nil, err
	}
	return get[PortalConfiguration](c, kindPortalConfiguration, id, param)
}

func init() { families = append(families, registerPortal) }

func registerPortal(e *Engine) {
	e.kind(Kind{Object: kindPortalConfiguration, Load: loader[PortalConfiguration](kindPortalConfiguration)})
	e.kind(Kind{Object: kindPortalSession, Load: loader[PortalSession](kindPortalSession)})
	// The reads are write transactions: the default configuration is made
	// on first use.
	e.route(Route{Method: "POST", Pattern: "/v1/billing_portal/configurations", Handle: createPortalConfiguration})
	e.route(Route{Method: "GET", Pattern: "/v1/billing_portal/configurations", Handle: listPortalConfigurations})
	e.route(Route{Method: "GET", Pattern: "/v1/billing_portal/configurations/{configuration}", Handle: func(c *Ctx) (any, error) {
		return loadPortalConfiguration(c, c.Var("configuration"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/billing_portal/configurations/{configuration}", Handle: updatePortalConfiguration})
	e.route(Route{Method: "POST", Pattern: "/v1/billing_portal/sessions", Handle: createPortalSession})
	e.job(jobPortalSessionExpire, runPortalSessionExpire)
	e.page("p/session/", servePortalPage)
}

// ---- Configurations ----

func createPortalConfiguration(c *Ctx) (any, error) {
	p := c.Params
	if _, err := defaultPortalConfiguration(c); err != nil {
		return nil, err
	}
	features, ok := p.Map("features")
	if !ok {
		return nil, apierr.MissingParam("features")
	}
	id, err := c.NewID("bpc")
	if err != nil {
		return nil, err
	}
	pc := &PortalConfiguration{
		ID: id, Object: kindPortalConfiguration, Active: true, Created: c.Unix(), Updated: c.Unix(),
		Features: blankFeatures(), Metadata: map[string]string{},
	}
	if err := applyFeatures(c, &pc.Features, features); err != nil {
		return nil, err
	}
	if err := setPortalConfigurationFields(c, pc, p); err != nil {
		return nil, err
	}
	if err := savePortalConfiguration(c, pc); err != nil {
		return nil, err
	}
	return pc, c.emit("billing_portal.configuration.created", pc, nil)
}

func updatePortalConfiguration(c *Ctx) (any, error) {
	p := c.Params
	pc, err := loadPortalConfiguration(c, c.Var("configuration"), "id")
	if err != nil {
		return nil, err
	}
	before, err := toMap(pc)
	if err != nil {
		return nil, err
	}
	if active, ok := p.Bool("active"); ok {
		if !active && pc.IsDefault {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest("active", "You cannot deactivate the default configuration.")
		}
		pc.Active = active
	}
	if features, ok := p.Map("features"); ok {
		if err := applyFeatures(c, &pc.Features, features); err != nil {
			return nil, err
		}
	}
	if err := setPortalConfigurationFields(c, pc, p); err != nil {
		return nil, err
	}
	after, err := toMap(pc)
	if err != nil {
		return nil, err
	}
	if jsonEqual(before, after) {
		return pc, nil
	}
	pc.Updated = c.Unix()
	if err := savePortalConfiguration(c, pc); err != nil {
		return nil, err
	}
	_, err = c.emitUpdated("billing_portal.configuration.updated", before, pc)
	return pc, err
}

// setPortalConfigurationFields applies the parameters create and update
// share, other than features and active.
func setPortalConfigurationFields(c *Ctx, pc *PortalConfiguration, p Params) error {
	if bp, ok := p.Map("business_profile"); ok {
		for key, dst := range map[string]**string{"headline": &pc.BusinessProfile.Headline,
			"privacy_policy_url": &pc.BusinessProfile.PrivacyPolicyURL, "terms_of_service_url": &pc.BusinessProfile.TermsOfServiceURL} {
			if bp.Has(key) {
				*dst = bp.NullableString(key)
			}
		}
	}
	if p.Has("default_return_url") {
		pc.DefaultReturnURL = p.NullableString("default_return_url")
	}
	if p.Has("name") {
		pc.Name = p.NullableString("name")
	}
	if lp, ok := p.Map("login_page"); ok {
		on, _ := lp.Bool("enabled")
		pc.LoginPage.Enabled = on
		pc.LoginPage.URL = nil
		if on {
			// Served by no page yet: the login page is out of the fake's scope.
			u := c.e.pageURL("p/login/test_" + randomString(base62, hashString(pc.ID), 24))
			pc.LoginPage.URL = &u
		}
	}
	md, err := applyMetadata(p, pc.Metadata)
	if err != nil {
		return err
	}
	pc.Metadata = md
	return nil
}

// applyFeatures merges the features hash into f and checks the result.
func applyFeatures(c *Ctx, f *PortalFeatures, p Params) error {
	if cu, ok := p.Map("customer_update"); ok {
		if on, ok := cu.Bool("enabled"); ok {
			f.CustomerUpdate.Enabled = on
		}
		if cu.Has("allowed_updates") {
			f.CustomerUpdate.AllowedUpdates = append([]string{}, cu.Strings("allowed_updates")...)
		}
	}
	if ih, ok := p.Map("invoice_history"); ok {
		f.InvoiceHistory.Enabled, _ = ih.Bool("enabled")
	}
	if pm, ok := p.Map("payment_method_update"); ok {
		f.PaymentMethodUpdate.Enabled, _ = pm.Bool("enabled")
		if err := unsupported(pm, "payment_method_configuration"); err != nil {
			return err
		}
	}
	if sc, ok := p.Map("subscription_cancel"); ok {
		sf := &f.SubscriptionCancel
		if on, ok := sc.Bool("enabled"); ok {
			sf.Enabled = on
		}
		if v, ok := sc.String("mode"); ok {
			sf.Mode = v
		}
		if v, ok := sc.String("proration_behavior"); ok {
			sf.ProrationBehavior = v
		}
		if cr, ok := sc.Map("cancellation_reason"); ok {
			if on, ok := cr.Bool("enabled"); ok {
				sf.CancellationReason.Enabled = on
			}
			if cr.Has("options") {
				sf.CancellationReason.Options = append([]string{}, cr.Strings("options")...)
			}
			if err := unsupported(cr, "feedback_options"); err != nil {
				return err
			}
		}
		switch {
		case sf.ProrationBehavior == "always_invoice":
			// UNCONFIRMED wording (reference §7.1: always_invoice is refused).
			return apierr.InvalidRequest(sc.Path("proration_behavior"), "The proration_behavior `always_invoice` is not supported for subscription cancellations. Use `create_prorations` or `none`.")
		case sf.ProrationBehavior == "create_prorations" && sf.Mode != "immediately":
			return apierr.InvalidRequest(sc.Path("proration_behavior"), "The proration_behavior `create_prorations` can only be used with mode `immediately`.")
		}
	}
	if su, ok := p.Map("subscription_update"); ok {
		uf := &f.SubscriptionUpdate
		if on, ok := su.Bool("enabled"); ok {
			uf.Enabled = on
		}
		if su.Has("default_allowed_updates") {
			uf.DefaultAllowedUpdates = append([]string{}, su.Strings("default_allowed_updates")...)
		}
		if v, ok := su.String("proration_behavior"); ok {
			uf.ProrationBehavior = v
		}
		if v, ok := su.String("billing_cycle_anchor"); ok {
			uf.BillingCycleAnchor = &v
		}
		if v, ok := su.String("trial_update_behavior"); ok {
			uf.TrialUpdateBehavior = v
		}
		if sp, ok := su.Map("schedule_at_period_end"); ok && sp.Has("conditions") {
			uf.ScheduleAtPeriodEnd.Conditions = []map[string]any{}
			for _, cond := range sp.List("conditions") {
				uf.ScheduleAtPeriodEnd.Conditions = append(uf.ScheduleAtPeriodEnd.Conditions, map[string]any{"type": cond.Str("type")})
			}
		}
		if su.Has("products") {
			products, err := portalProducts(c, su)
			if err != nil {
				return err
			}
			uf.Products = products
		}
		if uf.Enabled && slices.Contains(uf.DefaultAllowedUpdates, "price") && len(uf.Products) == 0 {
			// UNCONFIRMED wording.
			return apierr.InvalidRequest(su.Path("products"), "You must provide at least one product in `features[subscription_update][products]` to allow customers to update prices.")
		}
	}
	return nil
}

// portalProducts reads subscription_update.products: at most 10, each a
// product with its recurring prices.
func portalProducts(c *Ctx, su Params) ([]PortalUpdateProduct, error) {
	list := su.List("products")
	if len(list) > 10 {
		return nil, apierr.InvalidRequest(su.Path("products"), "You can only specify up to 10 products.")
	}
	out := []PortalUpdateProduct{}
	for _, pp := range list {
		product, err := pp.Require("product")
		if err != nil {
			return nil, err
		}
		if _, err := loadProduct(c, product, pp.Path("product")); err != nil {
			return nil, err
		}
		up := PortalUpdateProduct{Product: product, Prices: []string{}, AdjustableQuantity: PortalAdjustableQuantity{Minimum: 1}}
		for _, id := range pp.Strings("prices") {
			pr, err := loadPrice(c, id, pp.Path("prices"))
			if err != nil {
				return nil, err
			}
			if pr.Product != product || pr.Recurring == nil {
				// UNCONFIRMED wording.
				return nil, apierr.InvalidRequest(pp.Path("prices"), fmt.Sprintf("The price %s must be a recurring price of product %s.", id, product))
			}
			up.Prices = append(up.Prices, id)
		}
		if aq, ok := pp.Map("adjustable_quantity"); ok {
			up.AdjustableQuantity.Enabled, _ = aq.Bool("enabled")
			if n, ok := aq.Int("minimum"); ok {
				up.AdjustableQuantity.Minimum = n
			}
			if n, ok := aq.Int("maximum"); ok {
				up.AdjustableQuantity.Maximum = &n
			}
		}
		out = append(out, up)
	}
	return out, nil
}

func listPortalConfigurations(c *Ctx) (any, error) {
	p := c.Params
	if _, err := defaultPortalConfiguration(c); err != nil {
		return nil, err
	}
	active, byActive := p.Bool("active")
	isDefault, byDefault := p.Bool("is_default")
	items, err := scan(c, kindPortalConfiguration, "", func(pc *PortalConfiguration) bool {
		return (!byActive || pc.Active == active) && (!byDefault || pc.IsDefault == isDefault)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/billing_portal/configurations", items, func(pc *PortalConfiguration) (string, int64) { return pc.ID, pc.Created })
}

// ---- Sessions ----

// portalFlowTypes are the flows a session can start in.
var portalFlowTypes = []string{"customer_update", "payment_method_update", "subscription_cancel", "subscription_update", "subscription_update_confirm"}

func createPortalSession(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account", "on_behalf_of"); err != nil {
		return nil, err
	}
	cu, err := customerParam(c, p)
	if err != nil {
		return nil, err
	}
	var pc *PortalConfiguration
	if id, ok := p.String("configuration"); ok {
		if pc, err = loadPortalConfiguration(c, id, "configuration"); err != nil {
			return nil, err
		}
		if !pc.Active {
			// UNCONFIRMED wording.
			return nil, apierr.InvalidRequest("configuration", fmt.Sprintf("The configuration %s is not active. Activate it or use another configuration.", id))
		}
	} else if pc, err = defaultPortalConfiguration(c); err != nil {
		return nil, err
	}
	returnURL := pc.DefaultReturnURL
	if v, ok := p.String("return_url"); ok && v != "" {
		returnURL = &v
	}
	if returnURL == nil {
		// UNCONFIRMED wording.
		return nil, apierr.InvalidRequest("return_url", "You must provide a `return_url` or set a default return URL in the customer portal configuration.")
	}
	flow, err := portalFlow(c, cu, pc, p)
	if err != nil {
		return nil, err
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return nil, err
	}
	id, err := c.NewID("bps")
	if err != nil {
		return nil, err
	}
	secret := "test_" + pageToken()
	s := &PortalSession{
		ID: id, Object: kindPortalSession, Configuration: pc.ID, Created: c.Unix(), Customer: cu.ID,
		Flow: flow, Locale: p.NullableString("locale"), ReturnURL: returnURL,
		URL: c.e.pageURL("p/session/" + secret), Secret: secret, Timeline: cu.Timeline(), CSRF: pageToken(),
		ExpiresAt: c.Now().Add(c.e.portalConfig().SessionTTL).Unix(),
	}
	if err := c.schedule(jobPortalSessionExpire, s.ID, s.Timeline, unixTime(s.ExpiresAt)); err != nil {
		return nil, err
	}
	if err := savePortalSession(c, s); err != nil {
		return nil, err
	}
	return s, c.emit("billing_portal.session.created", s, nil)
}

// portalFlow reads flow_data into the session's flow, checking that the
// configuration allows it and that a named subscription is the customer's.
func portalFlow(c *Ctx, cu *Customer, pc *PortalConfiguration, p Params) (map[string]any, error) {
	fd, ok := p.Map("flow_data")
	if !ok {
		return nil, nil
	}
	typ, err := fd.Require("type")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(portalFlowTypes, typ) {
		return nil, apierr.InvalidEnum(fd.Path("type"), typ, portalFlowTypes)
	}
	after := map[string]any{"hosted_confirmation": nil, "redirect": nil, "type": "portal_homepage"}
	if ac, ok := fd.Map("after_completion"); ok {
		after["type"] = ac.Str("type")
		switch ac.Str("type") {
		case "redirect":
			rd, ok := ac.Map("redirect")
			if !ok {
				return nil, apierr.MissingParam(ac.Path("redirect"))
			}
			u, err := rd.Require("return_url")
			if err != nil {
				return nil, err
			}
			after["redirect"] = map[string]any{"return_url": u}
		case "hosted_confirmation":
			hc, _ := ac.Map("hosted_confirmation")
			after["hosted_confirmation"] = map[string]any{"custom_message": hc.NullableString("custom_message")}
		}
	}
	flow := map[string]any{"after_completion": after, "customer_update": nil, "subscription_cancel": nil,
		"subscription_update": nil, "subscription_update_confirm": nil, "type": typ}
	f := pc.Features
	disabled := func(feature string) error {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest(fd.Path("type"), fmt.Sprintf("The flow type `%s` cannot be used because `features[%s][enabled]` is false in the portal configuration %s.", typ, feature, pc.ID))
	}
	// flowSubscription loads the subscription a flow names, which must be the
	// customer's and still active.
	flowSubscription := func(key string) (*Subscription, Params, error) {
		sp, ok := fd.Map(key)
		if !ok {
			return nil, sp, apierr.MissingParam(fd.Path(key))
		}
		id, err := sp.Require("subscription")
		if err != nil {
			return nil, sp, err
		}
		s, err := loadSubscription(c, id, sp.Path("subscription"))
		if err != nil {
			return nil, sp, err
		}
		if s.Customer != cu.ID {
			return nil, sp, apierr.InvalidRequest(sp.Path("subscription"), fmt.Sprintf("The subscription %s does not belong to the customer %s.", id, cu.ID))
		}
		if s.ended() {
			return nil, sp, apierr.InvalidRequest(sp.Path("subscription"), fmt.Sprintf("The subscription %s has been canceled.", id))
		}
		return s, sp, nil
	}
	switch typ {
	case "customer_update":
		if !f.CustomerUpdate.Enabled {
			return nil, disabled("customer_update")
		}
		flow["customer_update"] = map[string]any{}
	case "payment_method_update":
		if !f.PaymentMethodUpdate.Enabled {
			return nil, disabled("payment_method_update")
		}
	case "subscription_cancel":
		if !f.SubscriptionCancel.Enabled {
			return nil, disabled("subscription_cancel")
		}
		s, sp, err := flowSubscription("subscription_cancel")
		if err != nil {
			return nil, err
		}
		if err := unsupported(sp, "retention"); err != nil {
			return nil, err
		}
		flow["subscription_cancel"] = map[string]any{"retention": nil, "subscription": s.ID}
	case "subscription_update":
		if !f.SubscriptionUpdate.Enabled {
			return nil, disabled("subscription_update")
		}
		s, _, err := flowSubscription("subscription_update")
		if err != nil {
			return nil, err
		}
		flow["subscription_update"] = map[string]any{"subscription": s.ID}
	case "subscription_update_confirm":
		if !f.SubscriptionUpdate.Enabled {
			return nil, disabled("subscription_update")
		}
		s, sp, err := flowSubscription("subscription_update_confirm")
		if err != nil {
			return nil, err
		}
		if err := unsupported(sp, "discounts"); err != nil {
			return nil, err
		}
		items := []any{}
		for _, ip := range sp.List("items") {
			id, err := ip.Require("id")
			if err != nil {
				return nil, err
			}
			if s.item(id) == nil {
				return nil, apierr.InvalidRequest(ip.Path("id"), fmt.Sprintf("The subscription item %s does not belong to the subscription %s.", id, s.ID))
			}
			it := map[string]any{"id": id, "price": ip.NullableString("price")}
			if n, ok := ip.Int("quantity"); ok {
				it["quantity"] = n
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			return nil, apierr.MissingParam(sp.Path("items"))
		}
		flow["subscription_update_confirm"] = map[string]any{"discounts": nil, "items": items, "subscription": s.ID}
	}
	return flow, nil
}

// runPortalSessionExpire marks a session expired once its deadline has
// come (a visit may have moved the deadline and rescheduled the job).
func runPortalSessionExpire(c *Ctx, j store.Job) error {
	var s PortalSession
	if err := c.load(kindPortalSession, j.ObjectID, &s); errors.Is(err, store.ErrNotFound) {
		return nil // gone with its test clock
	} else if err != nil {
		return err
	}
	if s.Expired || c.Unix() < s.ExpiresAt {
		return nil
	}
	s.Expired = true
	return savePortalSession(c, &s)
}

// portalSessionBySecret finds the session a URL names, nil if none.
func portalSessionBySecret(c *Ctx, secret string) (*PortalSession, error) {
	found, err := scan(c, kindPortalSession, "secret="+secret, func(s *PortalSession) bool { return s.Secret == secret })
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return found[0], nil
}

// openPortalSession is a visit: it reports whether the session is still
// usable at the customer's now, and on the first visit moves the deadline
// to OpenedTTL from now.
func openPortalSession(c *Ctx, s *PortalSession) (bool, error) {
	now, err := c.timeFor(s.Timeline)
	if err != nil {
		return false, err
	}
	if s.Expired || now.Unix() >= s.ExpiresAt {
		return false, nil
	}
	if s.OpenedAt != 0 {
		return true, nil
	}
	s.OpenedAt = now.Unix()
	s.ExpiresAt = now.Add(c.e.portalConfig().OpenedTTL).Unix()
	if err := scheduler.Cancel(c.Tx(), jobPortalSessionExpire, s.ID); err != nil {
		return false, err
	}
	if err := c.schedule(jobPortalSessionExpire, s.ID, s.Timeline, unixTime(s.ExpiresAt)); err != nil {
		return false, err
	}
	return true, savePortalSession(c, s)
}
