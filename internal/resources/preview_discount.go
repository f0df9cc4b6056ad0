package resources

// Discounts in previews. create_preview may name discounts (its own
// discounts[], invoice_items[].discounts, subscription_details'
// items[].discounts); Stripe shows what they would take off without
// redeeming them. While a preview runs, redeem keeps the discounts it makes
// in the request's Ctx instead of the store and counts no redemption, and
// loadDiscount reads them from there, so the preview's amounts come from
// the same invoice_amounts.go as a real invoice's.

// previewing runs fn with redemptions kept in memory (see above).
func previewing[T any](c *Ctx, fn func() (T, error)) (T, error) {
	outer := c.previewDiscounts
	if outer == nil {
		c.previewDiscounts = map[string]*Discount{}
		defer func() { c.previewDiscounts = nil }()
	}
	return fn()
}

// loadDiscount loads discount id: one a preview redeemed, else the stored
// one (a "No such" error naming param when there is none).
func loadDiscount(c *Ctx, id, param string) (*Discount, error) {
	if d, ok := c.previewDiscounts[id]; ok {
		cp := *d
		return &cp, nil
	}
	return get[Discount](c, kindDiscount, id, param)
}

// previewDiscounts gives the preview invoice inv its invoice-level
// discounts: create_preview's discounts[] when sent ("" for none), else
// inherited (the subscription's or the customer's), and prices it.
// [SPEC POST /v1/invoices/create_preview discounts: "If not specified,
// inherits the discount from the subscription or customer."]
func previewDiscounts(c *Ctx, p Params, inv *Invoice, inherited []any) error {
	if err := priceInvoice(c, inv); err != nil { // the subtotal, for minimum_amount
		return err
	}
	ids, set, err := discountsParam(c, p, "discounts", discountTarget{Customer: inv.Customer, Invoice: inv.ID, Currency: inv.Currency, Amount: inv.Subtotal})
	if err != nil {
		return err
	}
	if !set {
		ids = inherited
	}
	inv.Discounts = ids
	if inv.Discounts == nil {
		inv.Discounts = []any{}
	}
	return priceInvoice(c, inv)
}
