package resources

import (
	"fmt"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Discounts and tax rates on Checkout Sessions
// [SPEC POST /v1/checkout/sessions discounts, allow_promotion_codes,
// line_items[].tax_rates, subscription_data.default_tax_rates].
//
// A session takes one discount (a coupon or a promotion code), or lets the
// buyer enter a promotion code on the hosted page (allow_promotion_codes;
// Engine.ApplyCheckoutPromotionCode does the same from a test); not both.
// The session's amounts come from the invoice's own math
// (priced_lines.go): amount_total is what the first invoice (subscription
// mode) or the payment intent (payment mode) will be, and total_details
// carries amount_discount and amount_tax (all tax, inclusive included),
// with the breakdown when expand[]=total_details.breakdown
// (includeCheckoutBreakdown).
//
// The coupon or promotion code is checked when it is set and again at
// completion (when the customer is known: first_time_transaction,
// customer restrictions), and redeemed only at completion
// [DOC: https://docs.stripe.com/payments/checkout/discounts]: in payment
// mode as a discount whose checkout_session is the session, in
// subscription mode as the subscription's discount (no checkout_session,
// as the discount object's docs say), with the line items' tax rates on
// the subscription items and subscription_data.default_tax_rates as its
// default_tax_rates.
//
// Decisions on points the reference does not confirm:
//   - session.discounts lists what was given: {coupon, promotion_code:
//     null} or {coupon: null, promotion_code}.
//   - Before completion the breakdown shows an unsaved discount whose ID
//     is derived from the session's; after it, the redeemed one.
//   - dynamic_tax_rates (chosen from the buyer's address) are not
//     modelled: the fake's page collects no address.

// setCheckoutDiscounts reads discounts and allow_promotion_codes (after
// the line items, which set the currency and subtotal).
func setCheckoutDiscounts(c *Ctx, cs *CheckoutSession, p Params) error {
	if v, ok := p.Bool("allow_promotion_codes"); ok {
		if p.Has("discounts") && !p.Empty("discounts") && v {
			return apierr.InvalidRequest("allow_promotion_codes", "You may only specify one of these parameters: allow_promotion_codes, discounts.")
		}
		cs.AllowPromotionCodes = &v
	}
	if !p.Has("discounts") || p.Empty("discounts") {
		return nil
	}
	list := p.List("discounts")
	if len(list) > 1 {
		// UNCONFIRMED wording; the spec says "Currently, only up to one may be specified."
		return apierr.InvalidRequest("discounts", "You may only specify one discount for a Checkout Session.")
	}
	dp := list[0]
	if dp.Has("coupon") == dp.Has("promotion_code") {
		return apierr.InvalidRequest(dp.Path("coupon"), "Each discount must have exactly one of `coupon` or `promotion_code`.")
	}
	if err := checkCheckoutDiscount(c, cs, dp, customerOf(cs)); err != nil {
		return err
	}
	entry := map[string]any{"coupon": nil, "promotion_code": nil}
	if id, ok := dp.String("coupon"); ok {
		entry["coupon"] = id
	} else {
		entry["promotion_code"] = dp.Str("promotion_code")
	}
	cs.Discounts = []any{entry}
	return nil
}

func customerOf(cs *CheckoutSession) string {
	if cs.Customer == nil {
		return ""
	}
	return *cs.Customer
}

// checkCheckoutDiscount runs every check a redemption of dp ({coupon} or
// {promotion_code}) by customer would, redeeming nothing.
func checkCheckoutDiscount(c *Ctx, cs *CheckoutSession, dp Params, customer string) error {
	_, err := previewing(c, func() (*Discount, error) {
		return redeem(c, dp, checkoutTarget(cs, customer))
	})
	return err
}

func checkoutTarget(cs *CheckoutSession, customer string) discountTarget {
	return discountTarget{Customer: customer, Currency: *cs.Currency, Amount: *cs.AmountSubtotal}
}

// checkoutDiscountParams is the session's discount as a discounts[] entry
// to redeem, nil when it has none.
func checkoutDiscountParams(cs *CheckoutSession) map[string]any {
	if len(cs.Discounts) == 0 {
		return nil
	}
	m, _ := cs.Discounts[0].(map[string]any)
	if id, ok := m["promotion_code"].(string); ok && id != "" {
		return map[string]any{"promotion_code": id}
	}
	return map[string]any{"coupon": m["coupon"]}
}

// sessionDiscount is the discount the session's amounts show: the redeemed
// one once completed, else an unsaved one.
func sessionDiscount(c *Ctx, cs *CheckoutSession) (*Discount, error) {
	if cs.DiscountID != "" {
		return loadDiscount(c, cs.DiscountID, "discounts")
	}
	dp := checkoutDiscountParams(cs)
	if dp == nil {
		return nil, nil
	}
	d := &Discount{ID: c.e.ids.Format("di", hashString(cs.ID)), Object: kindDiscount, CheckoutSession: new(cs.ID), Customer: cs.Customer,
		Start: cs.Created, Source: DiscountSource{Type: "coupon"}}
	coupon, _ := dp["coupon"].(string)
	if id, ok := dp["promotion_code"].(string); ok {
		pc, err := get[PromotionCode](c, kindPromotionCode, id, "discounts")
		if err != nil {
			return nil, err
		}
		coupon = pc.coupon()
		d.PromotionCode = new(id)
	}
	d.Source.Coupon = new(coupon)
	return d, nil
}

// checkoutDefaultTaxRates are subscription_data.default_tax_rates' IDs.
func checkoutDefaultTaxRates(cs *CheckoutSession) []string {
	if cs.SubscriptionData == nil {
		return nil
	}
	return NewParams(cs.SubscriptionData).Strings("default_tax_rates")
}

// checkoutPriced is a session priced: each item's line, and the first
// payment's scratch invoice.
type checkoutPriced struct {
	items []*LineItem
	due   *Invoice
}

// priceCheckout prices the session's items and its first payment (a
// trial bills its recurring prices nothing) under its discount and tax
// rates.
func priceCheckout(c *Ctx, cs *CheckoutSession) (*checkoutPriced, error) {
	d, err := sessionDiscount(c, cs)
	if err != nil {
		return nil, err
	}
	defaults, err := loadTaxRates(c, checkoutDefaultTaxRates(cs), "subscription_data[default_tax_rates]")
	if err != nil {
		return nil, err
	}
	trial := cs.SubscriptionData != nil && (cs.SubscriptionData["trial_period_days"] != nil || cs.SubscriptionData["trial_end"] != nil)
	return previewing(c, func() (*checkoutPriced, error) {
		var discounts []any
		if d != nil {
			c.previewDiscounts[d.ID] = d
			discounts = []any{d.ID}
		}
		var all, due []pricedLine
		for _, l := range cs.LineItems {
			pr, err := get[Price](c, kindPrice, l.Price, "price")
			if err != nil {
				return nil, err
			}
			rates, err := loadTaxRates(c, l.TaxRates, "line_items")
			if err != nil {
				return nil, err
			}
			pl := pricedLine{Amount: priceAmount(pr, l.Quantity), Price: pr, Discountable: true, TaxRates: rates}
			all = append(all, pl)
			if !trial || pr.Recurring == nil {
				due = append(due, pl)
			}
		}
		items, err := priceLines(c, *cs.Currency, discounts, defaults, all)
		if err != nil {
			return nil, err
		}
		dueInv := items // no trial holds a line back: what is due is all of it
		if len(due) < len(all) {
			if dueInv, err = priceLines(c, *cs.Currency, discounts, defaults, due); err != nil {
				return nil, err
			}
		}
		return &checkoutPriced{items: items.Lines.Data, due: dueInv}, nil
	})
}

// setCheckoutAmounts sets amount_total and total_details from the
// session's pricing (amount_subtotal is the line items' sum).
func setCheckoutAmounts(c *Ctx, cs *CheckoutSession) error {
	priced, err := priceCheckout(c, cs)
	if err != nil {
		return err
	}
	var discount, tax int64
	for _, l := range priced.due.Lines.Data {
		_, all := exclusiveTax(l)
		discount += lineDiscounted(l)
		tax += all
	}
	total := priced.due.Total
	cs.AmountTotal = &total
	cs.TotalDetails = map[string]any{"amount_discount": discount, "amount_shipping": int64(0), "amount_tax": tax}
	return nil
}

// includeCheckoutBreakdown adds total_details.breakdown, an includable
// field, to the session rendered as node: every response that carries a
// session and whose expand[] names the field (create, retrieve, expire, a
// list's data) gets it here. The breakdown is rendered for the request's
// version like the rest of the answer.
func includeCheckoutBreakdown(c *Ctx, node map[string]any) error {
	id, _ := node["id"].(string)
	td, _ := node["total_details"].(map[string]any)
	if id == "" || td == nil {
		return nil // no amounts, no breakdown
	}
	cs, err := get[CheckoutSession](c, kindCheckoutSession, id, "id")
	if err != nil || cs.AmountTotal == nil {
		return err
	}
	priced, err := priceCheckout(c, cs)
	if err != nil {
		return err
	}
	d, err := sessionDiscount(c, cs)
	if err != nil {
		return err
	}
	discounts, taxes := []any{}, []any{}
	if d != nil {
		var amount int64
		for _, l := range priced.due.Lines.Data {
			amount += lineDiscounted(l)
		}
		// The breakdown's discount is a discount object, even once a once
		// coupon's has left the subscription.
		shown := *d
		shown.Deleted = false
		discounts = append(discounts, map[string]any{"amount": amount, "discount": &shown})
	}
	for _, t := range priced.due.TotalTaxes {
		m := t.(map[string]any)
		tr, err := get[TaxRate](c, kindTaxRate, taxRateOf(m), "tax_rates")
		if err != nil {
			return err
		}
		taxes = append(taxes, map[string]any{"amount": m["amount"], "rate": tr, "taxability_reason": nil, "taxable_amount": m["taxable_amount"]})
	}
	raw, err := c.e.renderIn(c, c.Version, map[string]any{"discounts": discounts, "taxes": taxes})
	if err != nil {
		return err
	}
	breakdown, err := decodeTree(raw)
	if err != nil {
		return err
	}
	td["breakdown"] = breakdown
	return nil
}

// ApplyCheckoutPromotionCode applies the promotion code a buyer types
// (code, matched regardless of case among active codes) to the open
// session id, as its hosted page does when allow_promotion_codes is set;
// "" removes the applied code. A code that cannot be redeemed returns its
// error (*apierr.Error) and changes nothing.
func (e *Engine) ApplyCheckoutPromotionCode(id, code string) error {
	return e.onCheckoutSession(id, func(c *Ctx, cs *CheckoutSession) error {
		return applyPromotionCode(c, cs, code)
	})
}

// applyPromotionCode applies (or with code "" removes) a buyer's
// promotion code and saves the repriced session.
func applyPromotionCode(c *Ctx, cs *CheckoutSession, code string) error {
	if cs.Status != "open" || c.Unix() >= cs.ExpiresAt {
		return errCheckoutInactive(cs)
	}
	if cs.AllowPromotionCodes == nil || !*cs.AllowPromotionCodes {
		// UNCONFIRMED wording.
		return apierr.InvalidRequest("promotion_code", "This Checkout Session does not accept promotion codes (allow_promotion_codes is not set).")
	}
	code = strings.TrimSpace(code)
	if code == "" {
		cs.Discounts = []any{}
	} else {
		codes, err := scan(c, kindPromotionCode, "", func(pc *PromotionCode) bool { return pc.Active && strings.EqualFold(pc.Code, code) })
		if err != nil {
			return err
		}
		if len(codes) == 0 {
			// UNCONFIRMED wording (Checkout's "This code is invalid.").
			return apierr.InvalidRequest("promotion_code", fmt.Sprintf("The promotion code %s is invalid.", code))
		}
		dp := NewParams(map[string]any{"promotion_code": codes[0].ID})
		if err := checkCheckoutDiscount(c, cs, dp, customerOf(cs)); err != nil {
			return err
		}
		cs.Discounts = []any{map[string]any{"coupon": nil, "promotion_code": codes[0].ID}}
	}
	if err := setCheckoutAmounts(c, cs); err != nil {
		return err
	}
	return saveCheckoutSession(c, cs)
}

// redeemCheckoutDiscount redeems the session's discount for a payment
// (payment mode): a discount whose checkout_session is the session.
func redeemCheckoutDiscount(c *Ctx, cs *CheckoutSession, customer string) error {
	dp := checkoutDiscountParams(cs)
	if dp == nil {
		return nil
	}
	d, err := redeem(c, NewParams(dp), checkoutTarget(cs, customer))
	if err != nil {
		return err
	}
	d.CheckoutSession = new(cs.ID)
	if err := c.save(kindDiscount, d.ID, d); err != nil {
		return err
	}
	cs.DiscountID = d.ID
	return nil
}
