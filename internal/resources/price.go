package resources

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/search"
	"github.com/stripefake/stripefake/store"
)

// Prices and legacy plans: one stored model, the price. A plan is a
// recurring price seen through the plan schema: GET /v1/plans/{id} renders a
// recurring price as a plan and GET /v1/prices/{id} renders a plan as a
// price, with the same ID. Prices cannot be deleted; deleting a plan marks
// its price deleted, which then answers 404 on both APIs.
//
// Events: a recurring price writes both price.* and plan.* events, whichever
// API changed it (Stripe keeps webhooks of plan-era integrations working
// that way); the API that was called goes first. One-time prices write only
// price.* events.

const (
	kindPrice = "price"
	kindPlan  = "plan"
	// priceMeterKind is where billing meters are stored; prices only read it.
	priceMeterKind = "billing.meter"
)

// priceMaxIntervalCount is Stripe's longest billing period, 3 years, in
// each interval.
var priceMaxIntervalCount = map[string]int64{"day": 1095, "week": 156, "month": 36, "year": 3}

// priceMaxLookupKeys is how many lookup_keys a list may filter on.
const priceMaxLookupKeys = 10

// Price is Stripe's price object (dahlia shape). It is also the stored
// record, with the few fields below that only plans render.
type Price struct {
	ID                string                          `json:"id"`
	Object            string                          `json:"object"`
	Active            bool                            `json:"active"`
	BillingScheme     string                          `json:"billing_scheme"`
	Created           int64                           `json:"created"`
	Currency          string                          `json:"currency"`
	CurrencyOptions   map[string]*PriceCurrencyOption `json:"currency_options,omitempty"` // the other currencies only
	CustomUnitAmount  *PriceCustomUnitAmount          `json:"custom_unit_amount"`
	Livemode          bool                            `json:"livemode"`
	LookupKey         *string                         `json:"lookup_key"`
	Metadata          map[string]string               `json:"metadata"`
	Nickname          *string                         `json:"nickname"`
	Product           string                          `json:"product"`
	Recurring         *PriceRecurring                 `json:"recurring"`
	TaxBehavior       *string                         `json:"tax_behavior"`
	Tiers             []PriceTier                     `json:"tiers,omitempty"`
	TiersMode         *string                         `json:"tiers_mode"`
	TransformQuantity *PriceTransform                 `json:"transform_quantity"`
	Type              string                          `json:"type"`
	UnitAmount        *int64                          `json:"unit_amount"`
	UnitAmountDecimal *string                         `json:"unit_amount_decimal"`

	// TrialPeriodDays is the legacy plan's trial_period_days; prices have
	// no such field.
	TrialPeriodDays *int64 `json:"trial_period_days,omitempty"`
	// Deleted marks a deleted plan. The record stays so that objects that
	// used it keep resolving it.
	Deleted bool `json:"deleted,omitempty"`

	// include names the includable fields (tiers, currency_options) to
	// render: Stripe leaves them out unless the request expands them.
	include map[string]bool
}

// PriceCurrencyOption is one entry of price.currency_options.
type PriceCurrencyOption struct {
	CustomUnitAmount  *PriceCustomUnitAmount `json:"custom_unit_amount"`
	TaxBehavior       *string                `json:"tax_behavior"`
	Tiers             []PriceTier            `json:"tiers,omitempty"`
	UnitAmount        *int64                 `json:"unit_amount"`
	UnitAmountDecimal *string                `json:"unit_amount_decimal"`
}

// PriceCustomUnitAmount is price.custom_unit_amount: the customer chooses
// the amount (Checkout, Payment Links).
type PriceCustomUnitAmount struct {
	Maximum *int64 `json:"maximum"`
	Minimum *int64 `json:"minimum"`
	Preset  *int64 `json:"preset"`
}

// PriceRecurring is price.recurring.
type PriceRecurring struct {
	Interval      string  `json:"interval"`
	IntervalCount int64   `json:"interval_count"`
	Meter         *string `json:"meter"`
	UsageType     string  `json:"usage_type"`
	// AggregateUsage is a legacy metered price's aggregation (usage_record.go),
	// set only by versions before basil.
	AggregateUsage string `json:"aggregate_usage,omitempty"`
}

// PriceTier is one tier of a tiered price or plan. UpTo nil is "inf".
type PriceTier struct {
	FlatAmount        *int64  `json:"flat_amount"`
	FlatAmountDecimal *string `json:"flat_amount_decimal"`
	UnitAmount        *int64  `json:"unit_amount"`
	UnitAmountDecimal *string `json:"unit_amount_decimal"`
	UpTo              *int64  `json:"up_to"`
}

// PriceTransform is price.transform_quantity, and plan.transform_usage.
type PriceTransform struct {
	DivideBy int64  `json:"divide_by"`
	Round    string `json:"round"`
}

// Plan is Stripe's legacy plan object: a recurring price rendered in the
// plan schema.
type Plan struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	Active          bool              `json:"active"`
	Amount          *int64            `json:"amount"`
	AmountDecimal   *string           `json:"amount_decimal"`
	BillingScheme   string            `json:"billing_scheme"`
	Created         int64             `json:"created"`
	Currency        string            `json:"currency"`
	Interval        string            `json:"interval"`
	IntervalCount   int64             `json:"interval_count"`
	Livemode        bool              `json:"livemode"`
	Metadata        map[string]string `json:"metadata"`
	Meter           *string           `json:"meter"`
	Nickname        *string           `json:"nickname"`
	Product         string            `json:"product"`
	Tiers           []PriceTier       `json:"tiers,omitempty"`
	TiersMode       *string           `json:"tiers_mode"`
	TransformUsage  *PriceTransform   `json:"transform_usage"`
	TrialPeriodDays *int64            `json:"trial_period_days"`
	UsageType       string            `json:"usage_type"`
	AggregateUsage  string            `json:"aggregate_usage,omitempty"` // legacy, before basil
}

// priceRecord is Price without its wire rendering: the stored form.
type priceRecord Price

// MarshalJSON renders the price's wire shape: no plan-only fields, and the
// includable fields only when asked for.
func (pr Price) MarshalJSON() ([]byte, error) {
	w := pr.wireRecord()
	if pr.include["tiers"] {
		w.Tiers = pr.Tiers
	}
	if pr.include["currency_options"] {
		w.CurrencyOptions = pr.allCurrencyOptions()
	}
	return json.Marshal(w)
}

// wireRecord is the price without what its wire shape leaves out (the
// plan-only fields, and the includable ones, which MarshalJSON adds back
// when asked): what encoding a Price starts from, and what cloning one
// (clonePrice) gives.
func (pr Price) wireRecord() priceRecord {
	w := priceRecord(pr)
	w.TrialPeriodDays = nil
	w.Deleted = false
	w.Tiers = nil
	w.CurrencyOptions = nil
	return w
}

// allCurrencyOptions is currency_options as Stripe renders it: the price's
// own currency included.
func (pr *Price) allCurrencyOptions() map[string]*PriceCurrencyOption {
	out := map[string]*PriceCurrencyOption{
		pr.Currency: {
			CustomUnitAmount: pr.CustomUnitAmount, TaxBehavior: pr.TaxBehavior, Tiers: pr.Tiers,
			UnitAmount: pr.UnitAmount, UnitAmountDecimal: pr.UnitAmountDecimal,
		},
	}
	for cur, o := range pr.CurrencyOptions {
		out[cur] = o
	}
	return out
}

// withIncludes returns a copy of pr that renders the includable fields
// named.
func (pr *Price) withIncludes(include map[string]bool) *Price {
	cp := *pr
	cp.include = include
	return &cp
}

// forEvent is pr as events carry it: with every includable field, so that
// webhooks and previous_attributes see tier and currency changes.
func (pr *Price) forEvent() *Price {
	return pr.withIncludes(map[string]bool{"tiers": true, "currency_options": true})
}

// clone returns a deep copy, for before/after comparisons.
func (pr *Price) clone() (*Price, error) {
	raw, err := json.Marshal((*priceRecord)(pr))
	if err != nil {
		return nil, err
	}
	var cp Price
	return &cp, json.Unmarshal(raw, &cp)
}

// plan renders a recurring price as a plan.
func (pr *Price) plan() *Plan {
	pl := &Plan{
		ID: pr.ID, Object: kindPlan, Active: pr.Active, Amount: pr.UnitAmount, AmountDecimal: pr.UnitAmountDecimal,
		BillingScheme: pr.BillingScheme, Created: pr.Created, Currency: pr.Currency, Livemode: pr.Livemode,
		Metadata: pr.Metadata, Nickname: pr.Nickname, Product: pr.Product, Tiers: pr.Tiers, TiersMode: pr.TiersMode,
		TransformUsage: pr.TransformQuantity, TrialPeriodDays: pr.TrialPeriodDays,
	}
	if r := pr.Recurring; r != nil {
		pl.Interval, pl.IntervalCount, pl.Meter, pl.UsageType = r.Interval, r.IntervalCount, r.Meter, r.UsageType
		pl.AggregateUsage = r.AggregateUsage
	}
	return pl
}

func priceTerms(pr *Price) []string {
	terms := []string{"product=" + pr.Product}
	terms = append(terms, search.TextTerms("product", pr.Product)...)
	if pr.LookupKey != nil {
		terms = append(terms, "lookup_key="+*pr.LookupKey)
		terms = append(terms, search.TextTerms("lookup_key", *pr.LookupKey)...)
	}
	return append(terms, search.MetadataTerms("metadata", pr.Metadata)...)
}

// savePrice stores pr. Always store through here: json.Marshal of a *Price
// is its wire shape, which drops stored-only fields.
func savePrice(c *Ctx, pr *Price) error {
	return c.save(kindPrice, pr.ID, (*priceRecord)(pr), priceTerms(pr)...)
}

var priceSearchFields = search.FieldsFor("prices")

func init() { families = append(families, registerPrices) }

func registerPrices(e *Engine) {
	e.kind(Kind{Object: kindPrice, Load: loader[Price](kindPrice)})
	e.kind(Kind{Object: kindPlan, Load: func(c *Ctx, id string) (any, error) {
		var pr Price
		if err := c.load(kindPrice, id, &pr); err != nil {
			return nil, err
		}
		if pr.Recurring == nil {
			return nil, store.ErrNotFound
		}
		return pr.plan(), nil
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/prices", Handle: createPrice})
	e.route(Route{Method: "GET", Pattern: "/v1/prices/{price}", Read: true, Handle: func(c *Ctx) (any, error) {
		pr, err := loadPrice(c, c.Var("price"), "id")
		if err != nil {
			return nil, err
		}
		return pr.withIncludes(takeIncludes(c, "", priceIncludables...)), nil
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/prices/{price}", Handle: updatePrice})
	e.route(Route{Method: "GET", Pattern: "/v1/prices", Read: true, Handle: listPrices})
	e.route(Route{Method: "GET", Pattern: "/v1/prices/search", Read: true, Handle: searchPrices})

	e.route(Route{Method: "POST", Pattern: "/v1/plans", Handle: createPlan})
	e.route(Route{Method: "GET", Pattern: "/v1/plans/{plan}", Read: true, Handle: func(c *Ctx) (any, error) {
		pr, err := loadPlan(c, c.Var("plan"), "id")
		if err != nil {
			return nil, err
		}
		return pr.plan(), nil
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/plans/{plan}", Handle: updatePlan})
	e.route(Route{Method: "DELETE", Pattern: "/v1/plans/{plan}", Handle: deletePlan})
	e.route(Route{Method: "GET", Pattern: "/v1/plans", Read: true, Handle: listPlans})
}

// priceIncludables are the price fields Stripe renders only when expanded.
var priceIncludables = []string{"tiers", "currency_options"}

// takeIncludes returns which of fields the request's expand[] names, each
// as prefix+field ("data." for lists and search), and removes those entries
// from the request's expand list. Includable fields are rendered by the
// handler (the object is marked to include them); the generic expander
// only knows ID expansions and would answer "cannot be expanded" for them.
func takeIncludes(c *Ctx, prefix string, fields ...string) map[string]bool {
	out := map[string]bool{}
	raw := c.Params.Raw()
	expand, _ := raw["expand"].([]any)
	kept := expand[:0:0]
	for _, v := range expand {
		s, _ := v.(string)
		if f, ok := strings.CutPrefix(s, prefix); ok && slices.Contains(fields, f) {
			out[f] = true
			continue
		}
		kept = append(kept, v)
	}
	if len(kept) != len(expand) {
		raw["expand"] = kept
	}
	return out
}

// loadPrice loads a price that has not been deleted (a deleted plan's price
// is gone); param names where the ID came from ("id" for the path).
func loadPrice(c *Ctx, id, param string) (*Price, error) {
	pr, err := get[Price](c, kindPrice, id, param)
	if err != nil {
		return nil, err
	}
	if pr.Deleted {
		return nil, c.e.noSuch(kindPrice, id, param)
	}
	return pr, nil
}

// loadPlan loads a live recurring price, answering "No such plan" for a
// missing, deleted or one-time price.
func loadPlan(c *Ctx, id, param string) (*Price, error) {
	pr, err := get[Price](c, kindPrice, id, param)
	var ae *apierr.Error
	switch {
	case errors.As(err, &ae):
		return nil, c.e.noSuch(kindPlan, id, param)
	case err != nil:
		return nil, err
	case pr.Deleted || pr.Recurring == nil:
		return nil, c.e.noSuch(kindPlan, id, param)
	}
	return pr, nil
}

// emitPriceCreated writes price.created, and plan.created for a recurring
// price; planFirst when the plans API was called.
func emitPriceCreated(c *Ctx, pr *Price, planFirst bool) error {
	if pr.Recurring == nil {
		return c.emit("price.created", pr.forEvent(), nil)
	}
	if planFirst {
		if err := c.emit("plan.created", pr.plan(), nil); err != nil {
			return err
		}
		return c.emit("price.created", pr.forEvent(), nil)
	}
	if err := c.emit("price.created", pr.forEvent(), nil); err != nil {
		return err
	}
	return c.emit("plan.created", pr.plan(), nil)
}

// emitPriceUpdated writes price.updated and, for a recurring price, plan.updated,
// each only if its rendering changed.
func emitPriceUpdated(c *Ctx, before, after *Price, planFirst bool) error {
	price := func() error {
		_, err := c.emitUpdated("price.updated", before.forEvent(), after.forEvent())
		return err
	}
	plan := func() error {
		if after.Recurring == nil {
			return nil
		}
		_, err := c.emitUpdated("plan.updated", before.plan(), after.plan())
		return err
	}
	first, second := price, plan
	if planFirst {
		first, second = plan, price
	}
	if err := first(); err != nil {
		return err
	}
	return second()
}

// --- create ---------------------------------------------------------------

func createPrice(c *Ctx) (any, error) {
	p := c.Params
	var product *Product // made from product_data
	var productID string
	switch {
	case p.Has("product") && p.Has("product_data"):
		return nil, apierr.InvalidRequest("product", "You may only specify one of these parameters: product, product_data.")
	case p.Has("product_data"):
		pd, _ := p.Map("product_data")
		var err error
		if product, err = newProduct(c, pd); err != nil {
			return nil, err
		}
		productID = product.ID
	case p.Has("product"):
		if p.Empty("product") {
			return nil, apierr.InvalidEmpty("product")
		}
		productID = p.Str("product")
		if _, err := loadProduct(c, productID, "product"); err != nil {
			return nil, err
		}
	default:
		return nil, apierr.MissingParam("product")
	}
	pr, err := newPrice(c, p, productID)
	if err != nil {
		return nil, err
	}
	if err := saveNewPrice(c, pr, product, false); err != nil {
		return nil, err
	}
	return pr.withIncludes(takeIncludes(c, "", priceIncludables...)), nil
}

// newPrice makes a price of product from prices-API parameters: POST
// /v1/prices, a product's default_price_data, and the price_data hashes of
// other resources. It checks the product nowhere: the caller does. A
// lookup_key transfer happens here (it updates the other price); the caller
// saves the new price and emits its events.
func newPrice(c *Ctx, p Params, product string) (*Price, error) {
	pr, err := blankPrice(c, p, product)
	if err != nil {
		return nil, err
	}
	if pr.ID, err = c.NewID("price"); err != nil {
		return nil, err
	}
	if r, ok := p.Map("recurring"); ok {
		rec := &PriceRecurring{Interval: r.Str("interval"), IntervalCount: 1, UsageType: "licensed"}
		if n, ok := r.Int("interval_count"); ok {
			rec.IntervalCount = n
		}
		if u, ok := r.String("usage_type"); ok {
			rec.UsageType = u
		}
		if m, ok := r.String("meter"); ok && m != "" {
			rec.Meter = &m
		}
		if err := legacyAggregateUsage(c, r, "aggregate_usage", r.Path("aggregate_usage"), rec); err != nil {
			return nil, err
		}
		if err := checkRecurring(c, rec, r.Path("interval"), r.Path("interval_count"), r.Path("meter")); err != nil {
			return nil, err
		}
		pr.Recurring = rec
		pr.Type = "recurring"
	}
	if err := setPricing(p, pr, "unit_amount", "unit_amount_decimal", "transform_quantity"); err != nil {
		return nil, err
	}
	if err := setCustomUnitAmount(p, pr); err != nil {
		return nil, err
	}
	if tb, ok := p.String("tax_behavior"); ok {
		pr.TaxBehavior = &tb
	}
	if p.Has("currency_options") {
		opts, err := readCurrencyOptions(p, pr, nil)
		if err != nil {
			return nil, err
		}
		pr.CurrencyOptions = opts
	}
	if err := setLookupKey(c, p, pr); err != nil {
		return nil, err
	}
	return pr, nil
}

// blankPrice starts a price without its ID: the currency and the plain
// fields every create shares (active, nickname, metadata).
func blankPrice(c *Ctx, p Params, product string) (*Price, error) {
	currency, err := requireCurrency(p, "currency")
	if err != nil {
		return nil, err
	}
	pr := &Price{
		Object: kindPrice, Active: true, BillingScheme: "per_unit", Created: c.Unix(),
		Currency: currency, Metadata: map[string]string{}, Product: product,
		TaxBehavior: new("unspecified"), Type: "one_time",
	}
	if b, ok := p.Bool("active"); ok {
		pr.Active = b
	}
	if p.Has("nickname") {
		pr.Nickname = p.NullableString("nickname")
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	pr.Metadata = md
	return pr, nil
}

// checkRecurring applies Stripe's rules to a billing interval: at least 1,
// at most 3 years, and a metered price names an active meter (required
// since basil; legacy meter-less metered prices are gone).
func checkRecurring(c *Ctx, rec *PriceRecurring, intervalPath, countPath, meterPath string) error {
	if rec.Interval == "" {
		return apierr.MissingParam(intervalPath)
	}
	if rec.IntervalCount < 1 {
		return apierr.Invalid("parameter_invalid_integer", countPath, "Invalid positive integer")
	}
	if limit, ok := priceMaxIntervalCount[rec.Interval]; ok && rec.IntervalCount > limit {
		return apierr.InvalidRequest(countPath, fmt.Sprintf(
			"The maximum billing period is 3 years (3 years, 36 months, 156 weeks or 1095 days), but %d %s(s) was given.", rec.IntervalCount, rec.Interval))
	}
	switch {
	case rec.UsageType == "metered" && rec.Meter == nil && !c.Version.Before(apiversion.Basil):
		return apierr.Invalid("parameter_missing", meterPath,
			"Missing required param: "+meterPath+". Metered prices must be backed by a billing meter: create one with POST /v1/billing/meters and pass its ID.")
	case rec.UsageType != "metered" && rec.Meter != nil:
		return apierr.InvalidRequest(meterPath, "A meter can only be set on a price with usage_type=metered.")
	case rec.Meter != nil:
		return checkPriceMeter(c, *rec.Meter, meterPath)
	}
	return nil
}

// checkPriceMeter checks that the billing meter id exists and is active.
func checkPriceMeter(c *Ctx, id, param string) error {
	raw, err := c.tx.Get(priceMeterKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return c.e.noSuch(priceMeterKind, id, param)
	}
	if err != nil {
		return err
	}
	var m struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	if m.Status == "inactive" {
		return apierr.InvalidRequest(param, "The meter '"+id+"' is inactive. Reactivate it before attaching it to a price.")
	}
	return nil
}

// setPricing applies billing_scheme with either the amount pair (per_unit)
// or tiers and tiers_mode (tiered), and the quantity transform. The amount
// and transform keys differ between prices and plans.
func setPricing(p Params, pr *Price, amountKey, decimalKey, transformKey string) error {
	if s, ok := p.String("billing_scheme"); ok {
		pr.BillingScheme = s
	}
	amount, dec, hasAmount, err := amountPair(p, amountKey, decimalKey)
	if err != nil {
		return err
	}
	if pr.BillingScheme == "tiered" {
		if hasAmount {
			key := amountKey
			if !p.Has(key) {
				key = decimalKey
			}
			return apierr.InvalidRequest(p.Path(key), fmt.Sprintf("You may not pass `%s` when `billing_scheme` is `tiered`; set amounts on the tiers instead.", key))
		}
		if p.Has("custom_unit_amount") {
			return apierr.InvalidRequest(p.Path("custom_unit_amount"), "`custom_unit_amount` cannot be combined with `billing_scheme=tiered`.")
		}
		if p.Has(transformKey) {
			return apierr.InvalidRequest(p.Path(transformKey), fmt.Sprintf("`%s` cannot be combined with `tiers`.", transformKey))
		}
		mode, ok := p.String("tiers_mode")
		if !ok {
			return apierr.MissingParam(p.Path("tiers_mode"))
		}
		tiers, err := readTiers(p, "tiers")
		if err != nil {
			return err
		}
		pr.TiersMode = &mode
		pr.Tiers = tiers
	} else {
		for _, key := range []string{"tiers", "tiers_mode"} {
			if p.Has(key) {
				return apierr.InvalidRequest(p.Path(key), fmt.Sprintf("`%s` can only be set when `billing_scheme` is `tiered`.", key))
			}
		}
		if !hasAmount && !p.Has("custom_unit_amount") {
			return apierr.MissingParam(p.Path(amountKey))
		}
		pr.UnitAmount, pr.UnitAmountDecimal = amount, dec
	}
	if t, ok := p.Map(transformKey); ok {
		divide, _ := t.Int("divide_by")
		if divide < 1 {
			return apierr.Invalid("parameter_invalid_integer", t.Path("divide_by"), "Invalid positive integer")
		}
		round, err := t.Require("round")
		if err != nil {
			return err
		}
		pr.TransformQuantity = &PriceTransform{DivideBy: divide, Round: round}
	}
	return nil
}

// setCustomUnitAmount applies custom_unit_amount: a one-time, per-unit
// price whose amount the customer picks within the bounds.
func setCustomUnitAmount(p Params, pr *Price) error {
	cua, ok := p.Map("custom_unit_amount")
	if !ok {
		return nil
	}
	v, err := readCustomUnitAmount(cua, pr)
	if err != nil {
		return err
	}
	if pr.UnitAmount != nil || pr.UnitAmountDecimal != nil {
		return apierr.InvalidRequest(p.Path("custom_unit_amount"), "You may only specify one of these parameters: custom_unit_amount, unit_amount, unit_amount_decimal.")
	}
	pr.CustomUnitAmount = v
	return nil
}

func readCustomUnitAmount(cua Params, pr *Price) (*PriceCustomUnitAmount, error) {
	if enabled, _ := cua.Bool("enabled"); !enabled {
		return nil, apierr.InvalidRequest(cua.Path("enabled"), "custom_unit_amount[enabled] must be true when custom_unit_amount is passed.")
	}
	if pr.Recurring != nil {
		return nil, apierr.InvalidRequest(cua.Path("enabled"), "custom_unit_amount is only supported for one-time prices, not recurring ones.")
	}
	out := &PriceCustomUnitAmount{}
	read := func(key string) (*int64, error) {
		n, ok := cua.Int(key)
		if !ok {
			return nil, nil
		}
		if n < 0 {
			return nil, apierr.Invalid("parameter_invalid_integer", cua.Path(key), "Invalid non-negative integer")
		}
		return &n, nil
	}
	var err error
	if out.Maximum, err = read("maximum"); err != nil {
		return nil, err
	}
	if out.Minimum, err = read("minimum"); err != nil {
		return nil, err
	}
	if out.Preset, err = read("preset"); err != nil {
		return nil, err
	}
	if out.Minimum != nil && out.Maximum != nil && *out.Minimum > *out.Maximum {
		return nil, apierr.InvalidRequest(cua.Path("minimum"), "custom_unit_amount[minimum] must be less than or equal to custom_unit_amount[maximum].")
	}
	if out.Preset != nil {
		if (out.Minimum != nil && *out.Preset < *out.Minimum) || (out.Maximum != nil && *out.Preset > *out.Maximum) {
			return nil, apierr.InvalidRequest(cua.Path("preset"), "custom_unit_amount[preset] must be between custom_unit_amount[minimum] and custom_unit_amount[maximum].")
		}
	}
	return out, nil
}

// amountPair reads an integer amount and its _decimal twin, at most one of
// them. It returns both renderings: the integer is set only when the amount
// is whole, the decimal always.
func amountPair(p Params, intKey, decKey string) (*int64, *string, bool, error) {
	hasInt, hasDec := p.Has(intKey), p.Has(decKey)
	switch {
	case hasInt && hasDec:
		return nil, nil, false, apierr.InvalidRequest(p.Path(intKey), fmt.Sprintf("You may only specify one of these parameters: %s, %s.", intKey, decKey))
	case hasInt:
		n, ok := p.Int(intKey)
		if !ok {
			return nil, nil, false, apierr.InvalidInteger(p.Path(intKey), fmt.Sprint(p.Raw()[intKey]))
		}
		if n < 0 {
			return nil, nil, false, apierr.Invalid("parameter_invalid_integer", p.Path(intKey), "Invalid non-negative integer")
		}
		s := strconv.FormatInt(n, 10)
		return &n, &s, true, nil
	case hasDec:
		s, err := decimalParam(p, decKey)
		if err != nil {
			return nil, nil, false, err
		}
		var whole *int64
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			whole = &n
		}
		return whole, &s, true, nil
	}
	return nil, nil, false, nil
}

var priceDecimalRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// decimalParam reads a decimal parameter (sent as a string, or as a number
// by clients that send one) in Stripe's canonical rendering: no leading or
// trailing zeros, at most 12 decimal places, not negative.
func decimalParam(p Params, key string) (string, error) {
	var s string
	switch v := p.Raw()[key].(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		s = strconv.FormatInt(v, 10)
	}
	m := priceDecimalRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", apierr.InvalidRequest(p.Path(key), "Invalid decimal: "+s)
	}
	whole := strings.TrimLeft(m[1], "0")
	if whole == "" {
		whole = "0"
	}
	frac := strings.TrimRight(m[2], "0")
	if len(frac) > 12 {
		return "", apierr.InvalidRequest(p.Path(key), "Invalid decimal: "+s+". Decimal values can have at most 12 decimal places.")
	}
	if frac == "" {
		return whole, nil
	}
	return whole + "." + frac, nil
}

// readTiers reads tiers: increasing up_to bounds, the last one "inf", each
// with a unit or flat amount.
func readTiers(p Params, key string) ([]PriceTier, error) {
	list := p.List(key)
	if len(list) == 0 {
		return nil, apierr.MissingParam(p.Path(key))
	}
	tiers := make([]PriceTier, 0, len(list))
	var prev int64
	for i, t := range list {
		var tier PriceTier
		last := i == len(list)-1
		if t.Raw()["up_to"] == "inf" {
			if !last {
				return nil, apierr.InvalidRequest(t.Path("up_to"), "Only the last tier may have `up_to` set to `inf`.")
			}
		} else {
			n, ok := t.Int("up_to")
			switch {
			case !ok:
				return nil, apierr.MissingParam(t.Path("up_to"))
			case last:
				return nil, apierr.InvalidRequest(t.Path("up_to"), "The last tier must have `up_to` set to `inf`.")
			case n < 1 || n <= prev:
				return nil, apierr.InvalidRequest(t.Path("up_to"), "Tiers must be sorted by `up_to` in increasing order, and `up_to` must be a positive integer.")
			}
			prev = n
			tier.UpTo = &n
		}
		var err error
		var hasUnit, hasFlat bool
		if tier.UnitAmount, tier.UnitAmountDecimal, hasUnit, err = amountPair(t, "unit_amount", "unit_amount_decimal"); err != nil {
			return nil, err
		}
		if tier.FlatAmount, tier.FlatAmountDecimal, hasFlat, err = amountPair(t, "flat_amount", "flat_amount_decimal"); err != nil {
			return nil, err
		}
		if !hasUnit && !hasFlat {
			return nil, apierr.InvalidRequest(t.Path("unit_amount"), "Each tier must have a `unit_amount` or a `flat_amount` (or their `_decimal` forms).")
		}
		tiers = append(tiers, tier)
	}
	return tiers, nil
}

var priceCurrencyRE = regexp.MustCompile(`^[a-z]{3}$`)

// requireCurrency reads a required currency parameter, lowercased: Stripe
// accepts "USD" and renders "usd".
func requireCurrency(p Params, key string) (string, error) {
	cur, err := p.Require(key)
	if err != nil {
		return "", err
	}
	cur = strings.ToLower(cur)
	if !priceCurrencyRE.MatchString(cur) {
		return "", apierr.InvalidRequest(p.Path(key), "Invalid currency: "+p.Str(key)+".")
	}
	return cur, nil
}

// readCurrencyOptions reads currency_options on top of current: each
// currency sent replaces that currency's option. The price's own currency
// cannot be an option: its amounts are the price's.
func readCurrencyOptions(p Params, pr *Price, current map[string]*PriceCurrencyOption) (map[string]*PriceCurrencyOption, error) {
	out := map[string]*PriceCurrencyOption{}
	for cur, o := range current {
		out[cur] = o
	}
	opts, _ := p.Map("currency_options")
	for _, key := range opts.Keys() {
		o, _ := opts.Map(key)
		cur := strings.ToLower(key)
		if !priceCurrencyRE.MatchString(cur) {
			return nil, apierr.InvalidRequest(o.path, "Invalid currency: "+key+".")
		}
		if cur == pr.Currency {
			return nil, apierr.InvalidRequest(o.path, "The price's own currency ("+cur+") cannot be in currency_options; its amount is the price's unit_amount.")
		}
		opt := &PriceCurrencyOption{TaxBehavior: pr.TaxBehavior}
		if tb, ok := o.String("tax_behavior"); ok {
			opt.TaxBehavior = &tb
		}
		amount, dec, hasAmount, err := amountPair(o, "unit_amount", "unit_amount_decimal")
		if err != nil {
			return nil, err
		}
		if cua, ok := o.Map("custom_unit_amount"); ok {
			if hasAmount {
				return nil, apierr.InvalidRequest(o.Path("custom_unit_amount"), "You may only specify one of these parameters: custom_unit_amount, unit_amount, unit_amount_decimal.")
			}
			if opt.CustomUnitAmount, err = readCustomUnitAmount(cua, pr); err != nil {
				return nil, err
			}
		}
		switch {
		case pr.BillingScheme == "tiered":
			if hasAmount {
				return nil, apierr.InvalidRequest(o.Path("unit_amount"), "You may not pass `unit_amount` for a tiered price; set `tiers` instead.")
			}
			if opt.Tiers, err = readTiers(o, "tiers"); err != nil {
				return nil, err
			}
		case o.Has("tiers"):
			return nil, apierr.InvalidRequest(o.Path("tiers"), "`tiers` can only be set when `billing_scheme` is `tiered`.")
		case !hasAmount && opt.CustomUnitAmount == nil:
			return nil, apierr.MissingParam(o.Path("unit_amount"))
		default:
			opt.UnitAmount, opt.UnitAmountDecimal = amount, dec
		}
		out[cur] = opt
	}
	return out, nil
}

// setLookupKey applies lookup_key: unique among prices, so a key another
// price holds is refused unless transfer_lookup_key moves it from there.
// Archived prices keep their keys (list by lookup_keys finds them), so
// they count too. "" removes the key.
func setLookupKey(c *Ctx, p Params, pr *Price) error {
	if !p.Has("lookup_key") {
		return nil
	}
	key := p.Str("lookup_key")
	if key == "" {
		pr.LookupKey = nil
		return nil
	}
	holders, err := scan(c, kindPrice, "lookup_key="+key, func(o *Price) bool {
		return o.ID != pr.ID && !o.Deleted && o.LookupKey != nil && *o.LookupKey == key
	})
	if err != nil {
		return err
	}
	for _, other := range holders {
		if transfer, _ := p.Bool("transfer_lookup_key"); !transfer {
			return apierr.InvalidRequest(p.Path("lookup_key"), "A price (`"+other.ID+"`) already uses that lookup key.")
		}
		before, err := other.clone()
		if err != nil {
			return err
		}
		other.LookupKey = nil
		if err := savePrice(c, other); err != nil {
			return err
		}
		if err := emitPriceUpdated(c, before, other, false); err != nil {
			return err
		}
	}
	pr.LookupKey = &key
	return nil
}

// --- update ---------------------------------------------------------------

func updatePrice(c *Ctx) (any, error) {
	p := c.Params
	pr, err := loadPrice(c, c.Var("price"), "id")
	if err != nil {
		return nil, err
	}
	before, err := updateCommonPriceFields(c, p, pr)
	if err != nil {
		return nil, err
	}
	if tb, ok := p.String("tax_behavior"); ok {
		if cur := *pr.TaxBehavior; cur != "unspecified" && cur != tb {
			return nil, apierr.InvalidRequest("tax_behavior", "The tax_behavior of a price cannot be changed once it is `inclusive` or `exclusive` (this price's is `"+cur+"`).")
		}
		pr.TaxBehavior = &tb
	}
	if p.Has("currency_options") {
		if p.Empty("currency_options") {
			pr.CurrencyOptions = nil
		} else if pr.CurrencyOptions, err = readCurrencyOptions(p, pr, pr.CurrencyOptions); err != nil {
			return nil, err
		}
	}
	if err := setLookupKey(c, p, pr); err != nil {
		return nil, err
	}
	if err := savePrice(c, pr); err != nil {
		return nil, err
	}
	if err := emitPriceUpdated(c, before, pr, false); err != nil {
		return nil, err
	}
	return pr.withIncludes(takeIncludes(c, "", priceIncludables...)), nil
}

// saveNewPrice stores a new price, and the product made for it when
// product is not nil, with their created events; viaPlans says which API
// created it, whose event comes first.
func saveNewPrice(c *Ctx, pr *Price, product *Product, viaPlans bool) error {
	if product != nil {
		if err := saveProduct(c, product); err != nil {
			return err
		}
		if err := c.emit("product.created", product, nil); err != nil {
			return err
		}
	}
	if err := savePrice(c, pr); err != nil {
		return err
	}
	return emitPriceCreated(c, pr, viaPlans)
}

// updateCommonPriceFields applies what the price and plan update endpoints
// share (active, nickname, metadata) and returns pr as it was before.
func updateCommonPriceFields(c *Ctx, p Params, pr *Price) (*Price, error) {
	before, err := pr.clone()
	if err != nil {
		return nil, err
	}
	if err := setPriceActive(c, p, pr); err != nil {
		return nil, err
	}
	if p.Has("nickname") {
		pr.Nickname = p.NullableString("nickname")
	}
	md, err := applyMetadata(p, pr.Metadata)
	if err != nil {
		return nil, err
	}
	pr.Metadata = md
	return before, nil
}

// setPriceActive applies active. The default price of a product cannot be
// archived: the product must name another default price first.
func setPriceActive(c *Ctx, p Params, pr *Price) error {
	active, ok := p.Bool("active")
	if !ok {
		return nil
	}
	if !active && pr.Active {
		prod, err := get[Product](c, kindProduct, pr.Product, "product")
		if err != nil {
			return err
		}
		if prod.DefaultPrice != nil && *prod.DefaultPrice == pr.ID {
			return apierr.InvalidRequest("active", "This price cannot be archived because it is the default price of its product ("+prod.ID+"). Set another default_price on the product first.")
		}
	}
	pr.Active = active
	return nil
}

// --- list and search ----------------------------------------------------------

func listPrices(c *Ctx) (any, error) {
	p := c.Params
	active, byActive := p.Bool("active")
	currency, byCurrency := p.String("currency")
	currency = strings.ToLower(currency)
	product, byProduct := p.String("product")
	typ, byType := p.String("type")
	keys := p.Strings("lookup_keys")
	if len(keys) > priceMaxLookupKeys {
		return nil, apierr.InvalidRequest("lookup_keys", fmt.Sprintf("You may pass at most %d lookup_keys, but you passed %d.", priceMaxLookupKeys, len(keys)))
	}
	byKeys := p.Has("lookup_keys")
	rec, _ := p.Map("recurring")
	interval, byInterval := rec.String("interval")
	usage, byUsage := rec.String("usage_type")
	meter, byMeter := rec.String("meter")
	term := ""
	if byProduct {
		term = "product=" + product
	}
	list, err := listStored(c, "/v1/prices", kindPrice, term, func(pr *Price) bool {
		r := pr.Recurring
		switch {
		case pr.Deleted:
			return false
		case byActive && pr.Active != active,
			byCurrency && pr.Currency != currency,
			byProduct && pr.Product != product,
			byType && pr.Type != typ,
			byKeys && (pr.LookupKey == nil || !slices.Contains(keys, *pr.LookupKey)):
			return false
		case (byInterval || byUsage || byMeter) && r == nil,
			byInterval && r.Interval != interval,
			byUsage && r.UsageType != usage,
			byMeter && (r.Meter == nil || *r.Meter != meter):
			return false
		}
		return true
	}, func(pr *Price) (string, int64) { return pr.ID, pr.Created })
	if err != nil {
		return nil, err
	}
	includePrices(c, list.Data)
	return list, nil
}

// includePrices marks the prices of a list or search page with the
// includable fields the request expands under data.
func includePrices(c *Ctx, data []any) {
	include := takeIncludes(c, "data.", priceIncludables...)
	for i, it := range data {
		if pr, ok := it.(*Price); ok {
			data[i] = pr.withIncludes(include)
		}
	}
}

func searchPrices(c *Ctx) (any, error) {
	res, err := searchObjects(c, kindPrice, "prices", "/v1/prices/search", priceSearchFields,
		func(pr *Price) bool { return !pr.Deleted },
		func(pr *Price) (string, int64) { return pr.ID, pr.Created })
	if err != nil {
		return nil, err
	}
	if sr, ok := res.(*SearchResult); ok {
		includePrices(c, sr.Data)
	}
	return res, nil
}

// --- plans ----------------------------------------------------------------

func createPlan(c *Ctx) (any, error) {
	p := c.Params
	var product *Product // made from the product hash
	var productID string
	switch v := p.Raw()["product"].(type) {
	case map[string]any:
		pp, _ := p.Map("product")
		var err error
		if product, err = newProduct(c, pp); err != nil {
			return nil, err
		}
		productID = product.ID
	case string:
		if v == "" {
			return nil, apierr.InvalidEmpty("product")
		}
		if _, err := loadProduct(c, v, "product"); err != nil {
			return nil, err
		}
		productID = v
	default:
		return nil, apierr.MissingParam("product")
	}
	pr, err := blankPrice(c, p, productID)
	if err != nil {
		return nil, err
	}
	if pr.ID, err = customOrNewID(c, p, kindPrice, "price", "Plan already exists."); err != nil {
		return nil, err
	}
	rec := &PriceRecurring{Interval: p.Str("interval"), IntervalCount: 1, UsageType: "licensed"}
	if n, ok := p.Int("interval_count"); ok {
		rec.IntervalCount = n
	}
	if u, ok := p.String("usage_type"); ok {
		rec.UsageType = u
	}
	if m, ok := p.String("meter"); ok && m != "" {
		rec.Meter = &m
	}
	if err := legacyAggregateUsage(c, p, "aggregate_usage", "aggregate_usage", rec); err != nil {
		return nil, err
	}
	if err := checkRecurring(c, rec, "interval", "interval_count", "meter"); err != nil {
		return nil, err
	}
	pr.Recurring = rec
	pr.Type = "recurring"
	if err := setPricing(p, pr, "amount", "amount_decimal", "transform_usage"); err != nil {
		return nil, err
	}
	if err := setTrialPeriodDays(p, pr); err != nil {
		return nil, err
	}
	if err := saveNewPrice(c, pr, product, true); err != nil {
		return nil, err
	}
	return pr.plan(), nil
}

// planMaxTrialDays is Stripe's longest trial.
const planMaxTrialDays = 730

func setTrialPeriodDays(p Params, pr *Price) error {
	n, ok := p.Int("trial_period_days")
	if !ok {
		return nil
	}
	if n < 0 {
		return apierr.Invalid("parameter_invalid_integer", "trial_period_days", "Invalid non-negative integer")
	}
	if n > planMaxTrialDays {
		return apierr.InvalidRequest("trial_period_days", fmt.Sprintf("trial_period_days can be at most %d days.", planMaxTrialDays))
	}
	pr.TrialPeriodDays = &n
	return nil
}

func updatePlan(c *Ctx) (any, error) {
	p := c.Params
	pr, err := loadPlan(c, c.Var("plan"), "id")
	if err != nil {
		return nil, err
	}
	before, err := updateCommonPriceFields(c, p, pr)
	if err != nil {
		return nil, err
	}
	if err := setTrialPeriodDays(p, pr); err != nil {
		return nil, err
	}
	if p.Has("product") {
		if p.Empty("product") {
			return nil, apierr.InvalidEmpty("product")
		}
		id := p.Str("product")
		if _, err := loadProduct(c, id, "product"); err != nil {
			return nil, err
		}
		if id != pr.Product {
			// A plan that moves away stops being its old product's default price.
			if err := dropDefaultPrice(c, pr); err != nil {
				return nil, err
			}
			pr.Product = id
		}
	}
	if err := savePrice(c, pr); err != nil {
		return nil, err
	}
	if err := emitPriceUpdated(c, before, pr, true); err != nil {
		return nil, err
	}
	return pr.plan(), nil
}

// dropDefaultPrice clears pr as its product's default price, if it is.
func dropDefaultPrice(c *Ctx, pr *Price) error {
	prod, err := get[Product](c, kindProduct, pr.Product, "product")
	if err != nil {
		return err
	}
	if prod.Deleted || prod.DefaultPrice == nil || *prod.DefaultPrice != pr.ID {
		return nil
	}
	before := *prod
	prod.DefaultPrice = nil
	prod.Updated = c.Unix()
	if err := saveProduct(c, prod); err != nil {
		return err
	}
	_, err = c.emitUpdated("product.updated", &before, prod)
	return err
}

func deletePlan(c *Ctx) (any, error) {
	pr, err := loadPlan(c, c.Var("plan"), "id")
	if err != nil {
		return nil, err
	}
	if err := dropDefaultPrice(c, pr); err != nil {
		return nil, err
	}
	if err := c.emit("plan.deleted", pr.plan(), nil); err != nil {
		return nil, err
	}
	if err := c.emit("price.deleted", pr.forEvent(), nil); err != nil {
		return nil, err
	}
	// The lookup key is released with the price.
	pr.Deleted = true
	pr.LookupKey = nil
	if err := savePrice(c, pr); err != nil {
		return nil, err
	}
	return DeletedObject{ID: pr.ID, Object: kindPlan, Deleted: true}, nil
}

func listPlans(c *Ctx) (any, error) {
	p := c.Params
	active, byActive := p.Bool("active")
	product, byProduct := p.String("product")
	term := ""
	if byProduct {
		term = "product=" + product
	}
	items, err := scan(c, kindPrice, term, func(pr *Price) bool {
		return !pr.Deleted && pr.Recurring != nil && (!byActive || pr.Active == active) && (!byProduct || pr.Product == product)
	})
	if err != nil {
		return nil, err
	}
	list, err := page(c, "/v1/plans", items, func(pr *Price) (string, int64) { return pr.ID, pr.Created })
	if err != nil {
		return nil, err
	}
	for i, it := range list.Data {
		list.Data[i] = it.(*Price).plan()
	}
	return list, nil
}
