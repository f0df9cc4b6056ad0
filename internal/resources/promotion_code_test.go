package resources_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func newPromotionCode(t *testing.T, sc *stripe.Client, p *stripe.PromotionCodeCreateParams) *stripe.PromotionCode {
	t.Helper()
	pc, err := sc.V1PromotionCodes.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

func promoFor(coupon, code string) *stripe.PromotionCodeCreateParams {
	p := &stripe.PromotionCodeCreateParams{Promotion: &stripe.PromotionCodeCreatePromotionParams{Coupon: stripe.String(coupon), Type: stripe.String("coupon")}}
	if code != "" {
		p.Code = stripe.String(code)
	}
	return p
}

// itemWithPromo creates a pending invoice item of amount redeeming code.
func itemWithPromo(sc *stripe.Client, customer, code string, amount int64) (*stripe.InvoiceItem, error) {
	return sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
		Customer: stripe.String(customer), Amount: stripe.Int64(amount), Currency: stripe.String("usd"),
		Discounts: []*stripe.InvoiceItemCreateDiscountParams{{PromotionCode: stripe.String(code)}},
	})
}

func TestPromotionCodeCreateListUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		co := newCoupon(t, sc, percentOff(20, "forever", 0))
		p := promoFor(co.ID, "SPRING-20")
		p.MaxRedemptions = stripe.Int64(5)
		p.ExpiresAt = stripe.Int64(f.Now().Unix() + 86400)
		p.Restrictions = &stripe.PromotionCodeCreateRestrictionsParams{
			FirstTimeTransaction: stripe.Bool(true), MinimumAmount: stripe.Int64(1000), MinimumAmountCurrency: stripe.String("usd"),
		}
		p.Metadata = map[string]string{"channel": "email"}
		pc := newPromotionCode(t, sc, p)
		if pc.Object != "promotion_code" || pc.Code != "SPRING-20" || !pc.Active || pc.Promotion.Coupon.ID != co.ID || pc.MaxRedemptions != 5 ||
			!pc.Restrictions.FirstTimeTransaction || pc.Restrictions.MinimumAmount != 1000 || pc.Restrictions.MinimumAmountCurrency != "usd" ||
			pc.TimesRedeemed != 0 || pc.Metadata["channel"] != "email" {
			t.Errorf("created %+v", pc)
		}
		gen := newPromotionCode(t, sc, promoFor(co.ID, ""))
		if len(gen.Code) != 8 {
			t.Errorf("generated code %q", gen.Code)
		}

		// Codes are unique among active codes, ignoring case; bad input
		// changes nothing.
		_, err := sc.V1PromotionCodes.Create(ctx, promoFor(co.ID, "spring-20"))
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceAlreadyExists, "code", "An active promotion code with `code: spring-20` already exists.")
		_, err = sc.V1PromotionCodes.Create(ctx, promoFor(co.ID, "NO SPACES"))
		stripeErr(t, err, http.StatusBadRequest, "", "code", "")
		_, err = sc.V1PromotionCodes.Create(ctx, promoFor("nope", "X"))
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceMissing, "promotion[coupon]", "No such coupon: 'nope'")

		found := ids(t, sc.V1PromotionCodes.List(ctx, &stripe.PromotionCodeListParams{Code: stripe.String("spring-20")}).All(ctx))
		if !slices.Equal(found, []string{pc.ID}) {
			t.Errorf("list by code %v", found)
		}

		up, err := sc.V1PromotionCodes.Update(ctx, pc.ID, &stripe.PromotionCodeUpdateParams{Active: stripe.Bool(false)})
		if err != nil || up.Active {
			t.Fatalf("deactivate: %v %+v", err, up)
		}
		// Inactive, its code is free again.
		newPromotionCode(t, sc, promoFor(co.ID, "spring-20"))
		_, err = sc.V1PromotionCodes.Update(ctx, pc.ID, &stripe.PromotionCodeUpdateParams{Active: stripe.Bool(true)})
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeResourceAlreadyExists, "code", "")
		if got, _ := sc.V1PromotionCodes.Retrieve(ctx, pc.ID, nil); got == nil || got.Active {
			t.Errorf("refused reactivation changed the code: %+v", got)
		}
		if got := eventTypes(f); count(got, "promotion_code.created") != 3 || count(got, "promotion_code.updated") != 1 {
			t.Errorf("events %v", got)
		}
	})
}

func TestPromotionCodeRestrictions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		co := newCoupon(t, sc, amountOff(100, "once"))
		cu := invCustomer(t, sc, "pm_card_visa", 0)
		other := invCustomer(t, sc, "", 0)

		once := promoFor(co.ID, "ONCE")
		once.MaxRedemptions = stripe.Int64(1)
		pcOnce := newPromotionCode(t, sc, once)
		ii, err := itemWithPromo(sc, cu.ID, pcOnce.ID, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(ii.Discounts) != 1 {
			t.Fatalf("item discounts %v", ii.Discounts)
		}
		if got, _ := sc.V1PromotionCodes.Retrieve(ctx, pcOnce.ID, nil); got.TimesRedeemed != 1 {
			t.Errorf("times_redeemed %d", got.TimesRedeemed)
		}
		if got, _ := sc.V1Coupons.Retrieve(ctx, co.ID, nil); got.TimesRedeemed != 1 {
			t.Errorf("coupon times_redeemed %d", got.TimesRedeemed)
		}
		_, err = itemWithPromo(sc, cu.ID, pcOnce.ID, 500)
		stripeErr(t, err, http.StatusBadRequest, "", "discounts[0][promotion_code]", "The promotion code ONCE cannot be redeemed: it has reached its max_redemptions.")

		mine := promoFor(co.ID, "MINE")
		mine.Customer = stripe.String(cu.ID)
		pcMine := newPromotionCode(t, sc, mine)
		_, err = itemWithPromo(sc, other.ID, pcMine.ID, 500)
		stripeErr(t, err, http.StatusBadRequest, "", "discounts[0][promotion_code]", "The promotion code MINE cannot be redeemed: it is restricted to another customer.")

		big := promoFor(co.ID, "BIG")
		big.Restrictions = &stripe.PromotionCodeCreateRestrictionsParams{MinimumAmount: stripe.Int64(1000), MinimumAmountCurrency: stripe.String("usd")}
		pcBig := newPromotionCode(t, sc, big)
		_, err = itemWithPromo(sc, other.ID, pcBig.ID, 999)
		stripeErr(t, err, http.StatusBadRequest, "", "discounts[0][promotion_code]", "The promotion code BIG cannot be redeemed: the amount (999) is below its minimum_amount (1000 usd).")
		if _, err := itemWithPromo(sc, other.ID, pcBig.ID, 1000); err != nil {
			t.Fatal(err)
		}

		// First-time customers only: cu pays an invoice, then cannot.
		first := promoFor(co.ID, "FIRST")
		first.Restrictions = &stripe.PromotionCodeCreateRestrictionsParams{FirstTimeTransaction: stripe.Bool(true)}
		pcFirst := newPromotionCode(t, sc, first)
		inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), PendingInvoiceItemsBehavior: stripe.String("include")})
		if err != nil {
			t.Fatal(err)
		}
		paid, err := sc.V1Invoices.Pay(ctx, inv.ID, nil)
		if err != nil || paid.Status != stripe.InvoiceStatusPaid || paid.AmountPaid != 400 {
			t.Fatalf("pay: %v %s %d", err, paid.Status, paid.AmountPaid)
		}
		_, err = itemWithPromo(sc, cu.ID, pcFirst.ID, 500)
		stripeErr(t, err, http.StatusBadRequest, "", "discounts[0][promotion_code]", "The promotion code FIRST cannot be redeemed: it is for first-time customers only.")
		if _, err := itemWithPromo(sc, other.ID, pcFirst.ID, 500); err != nil {
			t.Fatal(err)
		}
		if got, _ := sc.V1PromotionCodes.Retrieve(ctx, pcFirst.ID, nil); got.TimesRedeemed != 1 {
			t.Errorf("refused redemptions counted: times_redeemed %d", got.TimesRedeemed)
		}

		// The discount remembers its promotion code.
		p := &stripe.InvoiceItemRetrieveParams{}
		p.AddExpand("discounts")
		got, err := sc.V1InvoiceItems.Retrieve(ctx, ii.ID, p)
		if err != nil || got.Discounts[0].PromotionCode == nil || got.Discounts[0].PromotionCode.ID != pcOnce.ID || got.Discounts[0].InvoiceItem != ii.ID {
			t.Errorf("expanded discount %v %+v", err, got.Discounts)
		}
	})
}
