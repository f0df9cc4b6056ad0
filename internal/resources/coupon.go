package resources

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Coupons: create, retrieve, update, delete, list. IDs are the caller's
// (any string, spaces and % included) or 8 random-looking characters.
// valid is computed when the coupon is rendered, from the request's now:
// a coupon past redeem_by, fully redeemed or deleted is not valid.

const kindCoupon = "coupon"

// couponIDAlphabet is what generated coupon IDs are made of, e.g. Z4OV52SU.
const couponIDAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Coupon is Stripe's coupon object (dahlia shape).
type Coupon struct {
	ID               string                           `json:"id"`
	Object           string                           `json:"object"`
	AmountOff        *int64                           `json:"amount_off"`
	AppliesTo        *CouponAppliesTo                 `json:"applies_to,omitempty"`
	Created          int64                            `json:"created"`
	Currency         *string                          `json:"currency"`
	CurrencyOptions  map[string]*CouponCurrencyOption `json:"currency_options,omitempty"`
	Duration         string                           `json:"duration"`
	DurationInMonths *int64                           `json:"duration_in_months"`
	Livemode         bool                             `json:"livemode"`
	MaxRedemptions   *int64                           `json:"max_redemptions"`
	Metadata         map[string]string                `json:"metadata"`
	Name             *string                          `json:"name"`
	PercentOff       *float64                         `json:"percent_off"`
	RedeemBy         *int64                           `json:"redeem_by"`
	TimesRedeemed    int64                            `json:"times_redeemed"`
	Valid            bool                             `json:"valid"`

	// Deleted marks a deleted coupon; the record stays for the discounts
	// that used it.
	Deleted bool `json:"deleted,omitempty"`

	// include names the includable fields (applies_to, currency_options)
	// to render: Stripe leaves them out unless the request expands them.
	include map[string]bool
}

// CouponAppliesTo is coupon.applies_to.
type CouponAppliesTo struct {
	Products []string `json:"products"`
}

// CouponCurrencyOption is one entry of coupon.currency_options.
type CouponCurrencyOption struct {
	AmountOff int64 `json:"amount_off"`
}

// couponRecord is Coupon without its wire rendering: the stored form.
type couponRecord Coupon

// MarshalJSON renders the coupon's wire shape, with the includable fields
// only when asked for.
func (co Coupon) MarshalJSON() ([]byte, error) {
	w := couponRecord(co)
	w.Deleted = false
	w.AppliesTo = nil
	w.CurrencyOptions = nil
	if co.include["applies_to"] {
		w.AppliesTo = co.AppliesTo
	}
	if co.include["currency_options"] {
		w.CurrencyOptions = co.CurrencyOptions
		if w.CurrencyOptions == nil {
			w.CurrencyOptions = map[string]*CouponCurrencyOption{}
		}
	}
	return json.Marshal(w)
}

// couponIncludables are the coupon fields Stripe renders only when expanded.
var couponIncludables = []string{"applies_to", "currency_options"}

// at returns a copy of co as seen at now, rendering the includable fields
// named: valid is computed here.
func (co *Coupon) at(now int64, include map[string]bool) *Coupon {
	cp := *co
	cp.Valid = co.redeemable(now)
	cp.include = include
	return &cp
}

// redeemable reports whether co can still be applied at now.
func (co *Coupon) redeemable(now int64) bool {
	switch {
	case co.Deleted:
		return false
	case co.RedeemBy != nil && now >= *co.RedeemBy:
		return false
	case co.MaxRedemptions != nil && co.TimesRedeemed >= *co.MaxRedemptions:
		return false
	}
	return true
}

// forEvent is co as events carry it: valid at now, every includable field.
func (co *Coupon) forEvent(now int64) *Coupon {
	return co.at(now, map[string]bool{"applies_to": true, "currency_options": true})
}

// saveCoupon stores co. The stored valid is as of the write; rendering
// recomputes it with at.
func saveCoupon(c *Ctx, co *Coupon) error {
	co.Valid = co.redeemable(c.Unix())
	return c.save(kindCoupon, co.ID, (*couponRecord)(co))
}

func init() { families = append(families, registerCoupons) }

func registerCoupons(e *Engine) {
	e.kind(Kind{Object: kindCoupon, Load: func(c *Ctx, id string) (any, error) {
		var co Coupon
		if err := c.load(kindCoupon, id, &co); err != nil {
			return nil, err
		}
		return co.at(c.Unix(), nil), nil
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/coupons", Handle: createCoupon})
	e.route(Route{Method: "GET", Pattern: "/v1/coupons/{coupon}", Read: true, Handle: func(c *Ctx) (any, error) {
		co, err := loadCoupon(c, c.Var("coupon"), "id")
		if err != nil {
			return nil, err
		}
		return co.at(c.Unix(), takeIncludes(c, "", couponIncludables...)), nil
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/coupons/{coupon}", Handle: updateCoupon})
	e.route(Route{Method: "DELETE", Pattern: "/v1/coupons/{coupon}", Handle: deleteCoupon})
	e.route(Route{Method: "GET", Pattern: "/v1/coupons", Read: true, Handle: listCoupons})
}

// loadCoupon loads a coupon that has not been deleted; param names where the
// ID came from ("id" for the path).
func loadCoupon(c *Ctx, id, param string) (*Coupon, error) {
	co, err := get[Coupon](c, kindCoupon, id, param)
	if err != nil {
		return nil, err
	}
	if co.Deleted {
		return nil, c.e.noSuch(kindCoupon, id, param)
	}
	return co, nil
}

// newCouponID returns 8 random-looking characters no coupon has: derived
// from the fake's ID sequence, so the same seed gives the same IDs.
func newCouponID(c *Ctx) (string, error) {
	for {
		n, err := c.tx.NextSequence("ids")
		if err != nil {
			return "", err
		}
		id := randomString(couponIDAlphabet, hashString(c.e.ids.Format(kindCoupon, n)), 8)
		_, err = c.tx.Get(kindCoupon, id)
		if errors.Is(err, store.ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
}

func createCoupon(c *Ctx) (any, error) {
	p := c.Params
	var id string
	var err error
	if p.Has("id") {
		id, err = customOrNewID(c, p, kindCoupon, "", "Coupon already exists.")
	} else {
		id, err = newCouponID(c)
	}
	if err != nil {
		return nil, err
	}
	co := &Coupon{ID: id, Object: kindCoupon, Created: c.Unix(), Duration: "once", Metadata: map[string]string{}}
	if err := setCouponDiscount(p, co); err != nil {
		return nil, err
	}
	if d, ok := p.String("duration"); ok {
		co.Duration = d
	}
	months, hasMonths := p.Int("duration_in_months")
	switch {
	case co.Duration == "repeating" && !hasMonths:
		return nil, apierr.MissingParam("duration_in_months")
	case co.Duration != "repeating" && hasMonths:
		return nil, apierr.InvalidRequest("duration_in_months", "duration_in_months can only be set when duration is `repeating`, not `"+co.Duration+"`.")
	case hasMonths && months < 1:
		return nil, apierr.Invalid("parameter_invalid_integer", "duration_in_months", "Invalid positive integer")
	case hasMonths:
		co.DurationInMonths = &months
	}
	if n, ok := p.Int("max_redemptions"); ok {
		if n < 1 {
			return nil, apierr.Invalid("parameter_invalid_integer", "max_redemptions", "Invalid positive integer")
		}
		co.MaxRedemptions = &n
	}
	if t, ok := p.Int("redeem_by"); ok {
		if t <= c.Unix() {
			return nil, apierr.InvalidRequest("redeem_by", fmt.Sprintf("redeem_by must be in the future (it is %d; now is %d).", t, c.Unix()))
		}
		co.RedeemBy = &t
	}
	if at, ok := p.Map("applies_to"); ok {
		products := at.Strings("products")
		for i, prod := range products {
			if _, err := loadProduct(c, prod, fmt.Sprintf("%s[%d]", at.Path("products"), i)); err != nil {
				return nil, err
			}
		}
		co.AppliesTo = &CouponAppliesTo{Products: append([]string{}, products...)}
	}
	if p.Has("name") {
		co.Name = p.NullableString("name")
	}
	if err := setCouponCurrencyOptions(p, co); err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	co.Metadata = md
	if err := saveCoupon(c, co); err != nil {
		return nil, err
	}
	if err := c.emit("coupon.created", co.forEvent(c.Unix()), nil); err != nil {
		return nil, err
	}
	return co.at(c.Unix(), takeIncludes(c, "", couponIncludables...)), nil
}

// setCouponDiscount applies exactly one of percent_off and amount_off (with
// its currency).
func setCouponDiscount(p Params, co *Coupon) error {
	pct, hasPct := numberParam(p, "percent_off")
	amount, hasAmount := p.Int("amount_off")
	switch {
	case hasPct && hasAmount:
		return apierr.InvalidRequest("amount_off", "You may only specify one of these parameters: amount_off, percent_off.")
	case !hasPct && !hasAmount:
		return apierr.InvalidRequest("percent_off", "You must specify either percent_off or amount_off.")
	case hasPct:
		if pct <= 0 || pct > 100 {
			return apierr.InvalidRequest("percent_off", "percent_off must be greater than 0 and at most 100.")
		}
		co.PercentOff = &pct
	default:
		if amount < 1 {
			return apierr.Invalid("parameter_invalid_integer", "amount_off", "Invalid positive integer")
		}
		if !p.Has("currency") {
			return apierr.InvalidRequest("currency", "You must pass currency when passing amount_off.")
		}
		co.AmountOff = &amount
	}
	if p.Has("currency") {
		cur, err := requireCurrency(p, "currency")
		if err != nil {
			return err
		}
		co.Currency = &cur
	}
	return nil
}

// setCouponCurrencyOptions applies currency_options: amounts off in other
// currencies, for amount_off coupons only. Each currency sent replaces that
// currency's entry.
func setCouponCurrencyOptions(p Params, co *Coupon) error {
	opts, ok := p.Map("currency_options")
	if !ok {
		return nil
	}
	if co.AmountOff == nil {
		return apierr.InvalidRequest("currency_options", "currency_options can only be set on a coupon with amount_off.")
	}
	out := map[string]*CouponCurrencyOption{}
	for cur, o := range co.CurrencyOptions {
		out[cur] = o
	}
	for _, key := range opts.Keys() {
		o, _ := opts.Map(key)
		cur := strings.ToLower(key)
		if !priceCurrencyRE.MatchString(cur) {
			return apierr.InvalidRequest(o.path, "Invalid currency: "+key+".")
		}
		if co.Currency != nil && cur == *co.Currency {
			return apierr.InvalidRequest(o.path, "The coupon's own currency ("+cur+") cannot be in currency_options; its amount is the coupon's amount_off.")
		}
		amount, ok := o.Int("amount_off")
		if !ok {
			return apierr.MissingParam(o.Path("amount_off"))
		}
		if amount < 1 {
			return apierr.Invalid("parameter_invalid_integer", o.Path("amount_off"), "Invalid positive integer")
		}
		out[cur] = &CouponCurrencyOption{AmountOff: amount}
	}
	co.CurrencyOptions = out
	return nil
}

func updateCoupon(c *Ctx) (any, error) {
	p := c.Params
	co, err := loadCoupon(c, c.Var("coupon"), "id")
	if err != nil {
		return nil, err
	}
	before := co.forEvent(c.Unix())
	if p.Has("name") {
		co.Name = p.NullableString("name")
	}
	if err := setCouponCurrencyOptions(p, co); err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, co.Metadata)
	if err != nil {
		return nil, err
	}
	co.Metadata = md
	if err := saveCoupon(c, co); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("coupon.updated", before, co.forEvent(c.Unix())); err != nil {
		return nil, err
	}
	return co.at(c.Unix(), takeIncludes(c, "", couponIncludables...)), nil
}

func deleteCoupon(c *Ctx) (any, error) {
	co, err := loadCoupon(c, c.Var("coupon"), "id")
	if err != nil {
		return nil, err
	}
	if err := c.emit("coupon.deleted", co.forEvent(c.Unix()), nil); err != nil {
		return nil, err
	}
	co.Deleted = true
	if err := saveCoupon(c, co); err != nil {
		return nil, err
	}
	return DeletedObject{ID: co.ID, Object: kindCoupon, Deleted: true}, nil
}

func listCoupons(c *Ctx) (any, error) {
	items, err := scan(c, kindCoupon, "", func(co *Coupon) bool { return !co.Deleted })
	if err != nil {
		return nil, err
	}
	list, err := page(c, "/v1/coupons", items, func(co *Coupon) (string, int64) { return co.ID, co.Created })
	if err != nil {
		return nil, err
	}
	include := takeIncludes(c, "data.", couponIncludables...)
	for i, it := range list.Data {
		list.Data[i] = it.(*Coupon).at(c.Unix(), include)
	}
	return list, nil
}
