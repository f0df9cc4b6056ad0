package resources

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Promotion codes: create, retrieve, update (active, metadata,
// restrictions.currency_options), list. A code is a customer-facing name
// for a coupon; redeeming it (discounts[][promotion_code]) makes a discount
// of the coupon, checked against the code's restrictions
// [DOC: https://docs.stripe.com/billing/subscriptions/coupons#promotion-codes]:
// active, expires_at, max_redemptions, customer, first_time_transaction
// (the customer has no paid invoice yet) and minimum_amount (in
// minimum_amount_currency, checked against the amount the discount would
// apply to when it is known). Codes are unique, ignoring case, among active
// codes.

const kindPromotionCode = "promotion_code"

// promotionCodeRE is what a code may be made of (the spec's description).
var promotionCodeRE = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)

// PromotionCode is Stripe's promotion_code object (dahlia shape).
type PromotionCode struct {
	ID              string                   `json:"id"`
	Object          string                   `json:"object"`
	Active          bool                     `json:"active"`
	Code            string                   `json:"code"`
	Created         int64                    `json:"created"`
	Customer        *string                  `json:"customer"`
	CustomerAccount *string                  `json:"customer_account"`
	ExpiresAt       *int64                   `json:"expires_at"`
	Livemode        bool                     `json:"livemode"`
	MaxRedemptions  *int64                   `json:"max_redemptions"`
	Metadata        map[string]string        `json:"metadata"`
	Promotion       PromotionCodePromotion   `json:"promotion"`
	Restrictions    PromotionCodeRestriction `json:"restrictions"`
	TimesRedeemed   int64                    `json:"times_redeemed"`
}

// PromotionCodePromotion is promotion_code.promotion.
type PromotionCodePromotion struct {
	Coupon *string `json:"coupon"`
	Type   string  `json:"type"`
}

// PromotionCodeRestriction is promotion_code.restrictions.
type PromotionCodeRestriction struct {
	CurrencyOptions       map[string]map[string]int64 `json:"currency_options,omitempty"`
	FirstTimeTransaction  bool                        `json:"first_time_transaction"`
	MinimumAmount         *int64                      `json:"minimum_amount"`
	MinimumAmountCurrency *string                     `json:"minimum_amount_currency"`
}

func (pc *PromotionCode) coupon() string {
	if pc.Promotion.Coupon == nil {
		return ""
	}
	return *pc.Promotion.Coupon
}

func savePromotionCode(c *Ctx, pc *PromotionCode) error {
	return c.save(kindPromotionCode, pc.ID, pc)
}

func init() { families = append(families, registerPromotionCodes) }

func registerPromotionCodes(e *Engine) {
	e.kind(Kind{Object: kindPromotionCode, Load: loader[PromotionCode](kindPromotionCode)})
	e.route(Route{Method: "POST", Pattern: "/v1/promotion_codes", Handle: createPromotionCode})
	e.route(Route{Method: "GET", Pattern: "/v1/promotion_codes/{promotion_code}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[PromotionCode](c, kindPromotionCode, c.Var("promotion_code"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/promotion_codes/{promotion_code}", Handle: updatePromotionCode})
	e.route(Route{Method: "GET", Pattern: "/v1/promotion_codes", Read: true, Handle: listPromotionCodes})
}

func createPromotionCode(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	promo, ok := p.Map("promotion")
	if !ok {
		return nil, apierr.MissingParam("promotion")
	}
	couponID, ok := promo.String("coupon")
	if !ok {
		return nil, apierr.MissingParam(promo.Path("coupon"))
	}
	co, err := loadCoupon(c, couponID, promo.Path("coupon"))
	if err != nil {
		return nil, err
	}
	id, err := c.NewID("promo")
	if err != nil {
		return nil, err
	}
	pc := &PromotionCode{ID: id, Object: kindPromotionCode, Active: true, Created: c.Unix(), Metadata: map[string]string{},
		Promotion: PromotionCodePromotion{Coupon: new(co.ID), Type: "coupon"}}
	if b, ok := p.Bool("active"); ok {
		pc.Active = b
	}
	if code, ok := p.String("code"); ok {
		if !promotionCodeRE.MatchString(code) {
			return nil, apierr.InvalidRequest("code", "A promotion code may contain only letters (a-z, A-Z), digits (0-9) and dashes (-).")
		}
		pc.Code = code
	} else {
		pc.Code = randomString(couponIDAlphabet, hashString(id), 8)
	}
	if pc.Active {
		if err := checkCodeUnique(c, pc); err != nil {
			return nil, err
		}
	}
	if cus, ok := p.String("customer"); ok {
		if _, err := get[Customer](c, kindCustomer, cus, "customer"); err != nil {
			return nil, err
		}
		pc.Customer = &cus
	}
	if t, ok := p.Int("expires_at"); ok {
		if t <= c.Unix() {
			return nil, apierr.InvalidRequest("expires_at", "expires_at must be in the future.")
		}
		if co.RedeemBy != nil && t > *co.RedeemBy {
			return nil, apierr.InvalidRequest("expires_at", "expires_at cannot be after the coupon's redeem_by.")
		}
		pc.ExpiresAt = &t
	}
	if n, ok := p.Int("max_redemptions"); ok {
		if n < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", "max_redemptions", "Invalid positive integer")
		}
		if co.MaxRedemptions != nil && n > *co.MaxRedemptions {
			return nil, apierr.InvalidRequest("max_redemptions", "max_redemptions cannot be greater than the coupon's max_redemptions.")
		}
		pc.MaxRedemptions = &n
	}
	if r, ok := p.Map("restrictions"); ok {
		if b, ok := r.Bool("first_time_transaction"); ok {
			pc.Restrictions.FirstTimeTransaction = b
		}
		amount, hasAmount := r.Int("minimum_amount")
		cur, hasCur := r.String("minimum_amount_currency")
		switch {
		case hasAmount && !hasCur:
			return nil, apierr.MissingParam(r.Path("minimum_amount_currency"))
		case hasCur && !hasAmount:
			return nil, apierr.MissingParam(r.Path("minimum_amount"))
		case hasAmount:
			if amount < 0 {
				return nil, apierr.Invalid("parameter_invalid_integer", r.Path("minimum_amount"), "Invalid non-negative integer")
			}
			cur = strings.ToLower(cur)
			pc.Restrictions.MinimumAmount, pc.Restrictions.MinimumAmountCurrency = &amount, &cur
		}
		if err := setPromotionCurrencyOptions(pc, r); err != nil {
			return nil, err
		}
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	pc.Metadata = md
	if err := savePromotionCode(c, pc); err != nil {
		return nil, err
	}
	return pc, c.emit("promotion_code.created", pc, nil)
}

// setPromotionCurrencyOptions applies restrictions.currency_options:
// minimum amounts in other currencies.
func setPromotionCurrencyOptions(pc *PromotionCode, r Params) error {
	opts, ok := r.Map("currency_options")
	if !ok {
		return nil
	}
	if pc.Restrictions.MinimumAmount == nil {
		return apierr.InvalidRequest(opts.path, "currency_options requires minimum_amount and minimum_amount_currency.")
	}
	out := map[string]map[string]int64{}
	for k, v := range pc.Restrictions.CurrencyOptions {
		out[k] = v
	}
	for _, key := range opts.Keys() {
		o, _ := opts.Map(key)
		cur := strings.ToLower(key)
		if !priceCurrencyRE.MatchString(cur) {
			return apierr.InvalidRequest(o.path, "Invalid currency: "+key+".")
		}
		amount, ok := o.Int("minimum_amount")
		if !ok {
			return apierr.MissingParam(o.Path("minimum_amount"))
		}
		out[cur] = map[string]int64{"minimum_amount": amount}
	}
	pc.Restrictions.CurrencyOptions = out
	return nil
}

// checkCodeUnique refuses a code another active promotion code has,
// ignoring case.
func checkCodeUnique(c *Ctx, pc *PromotionCode) error {
	dup, err := scan(c, kindPromotionCode, "", func(o *PromotionCode) bool {
		return o.ID != pc.ID && o.Active && strings.EqualFold(o.Code, pc.Code)
	})
	if err != nil {
		return err
	}
	if len(dup) > 0 {
		return apierr.Invalid("resource_already_exists", "code", fmt.Sprintf("An active promotion code with `code: %s` already exists.", pc.Code))
	}
	return nil
}

func updatePromotionCode(c *Ctx) (any, error) {
	p := c.Params
	pc, err := get[PromotionCode](c, kindPromotionCode, c.Var("promotion_code"), "id")
	if err != nil {
		return nil, err
	}
	before := *pc
	if b, ok := p.Bool("active"); ok && b != pc.Active {
		if b {
			co, err := get[Coupon](c, kindCoupon, pc.coupon(), "coupon")
			if err != nil {
				return nil, err
			}
			if !co.redeemable(c.Unix()) || (pc.ExpiresAt != nil && *pc.ExpiresAt <= c.Unix()) ||
				(pc.MaxRedemptions != nil && pc.TimesRedeemed >= *pc.MaxRedemptions) {
				return nil, apierr.InvalidRequest("active", "This promotion code cannot be reactivated: it or its coupon can no longer be redeemed.")
			}
			pc.Active = true
			if err := checkCodeUnique(c, pc); err != nil {
				return nil, err
			}
		}
		pc.Active = b
	}
	if r, ok := p.Map("restrictions"); ok {
		if err := setPromotionCurrencyOptions(pc, r); err != nil {
			return nil, err
		}
	}
	md, err := applyMetadata(p, pc.Metadata)
	if err != nil {
		return nil, err
	}
	pc.Metadata = md
	if err := savePromotionCode(c, pc); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("promotion_code.updated", &before, pc); err != nil {
		return nil, err
	}
	return pc, nil
}

func listPromotionCodes(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	active, byActive := p.Bool("active")
	code, byCode := p.String("code")
	coupon, byCoupon := p.String("coupon")
	customer, byCustomer := p.String("customer")
	createdOK := createdFilter(p, "created")
	items, err := scan(c, kindPromotionCode, "", func(pc *PromotionCode) bool {
		switch {
		case byActive && pc.Active != active,
			byCode && !strings.EqualFold(pc.Code, code),
			byCoupon && pc.coupon() != coupon,
			byCustomer && (pc.Customer == nil || *pc.Customer != customer):
			return false
		}
		return createdOK(pc.Created)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/promotion_codes", items, func(pc *PromotionCode) (string, int64) { return pc.ID, pc.Created })
}

// checkRedeemable refuses a redemption the code's state or restrictions
// forbid; param names the promotion_code parameter.
func (pc *PromotionCode) checkRedeemable(c *Ctx, target discountTarget, now int64, param string) error {
	fail := func(why string) error {
		return apierr.InvalidRequest(param, fmt.Sprintf("The promotion code %s cannot be redeemed: %s", pc.Code, why))
	}
	switch {
	case !pc.Active:
		return fail("it is inactive.")
	case pc.ExpiresAt != nil && now >= *pc.ExpiresAt:
		return fail("it has expired.")
	case pc.MaxRedemptions != nil && pc.TimesRedeemed >= *pc.MaxRedemptions:
		return fail("it has reached its max_redemptions.")
	case pc.Customer != nil && *pc.Customer != target.Customer:
		return fail("it is restricted to another customer.")
	}
	if min := pc.minimumIn(target.Currency); min != nil && target.Amount >= 0 && target.Amount < *min {
		return fail(fmt.Sprintf("the amount (%d) is below its minimum_amount (%d %s).", target.Amount, *min, target.Currency))
	}
	if pc.Restrictions.FirstTimeTransaction && target.Customer != "" {
		paid, err := scan(c, kindInvoice, "customer="+target.Customer, func(inv *Invoice) bool {
			return inv.status() == invoicePaid && inv.AmountPaid > 0
		})
		if err != nil {
			return err
		}
		if len(paid) > 0 {
			return fail("it is for first-time customers only.")
		}
	}
	return nil
}

// minimumIn is the code's minimum amount in currency, or nil.
func (pc *PromotionCode) minimumIn(currency string) *int64 {
	r := pc.Restrictions
	if r.MinimumAmount == nil {
		return nil
	}
	if r.MinimumAmountCurrency != nil && *r.MinimumAmountCurrency == currency {
		return r.MinimumAmount
	}
	if o, ok := r.CurrencyOptions[currency]; ok {
		v := o["minimum_amount"]
		return &v
	}
	return nil
}
