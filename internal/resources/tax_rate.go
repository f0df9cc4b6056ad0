package resources

import (
	"fmt"
	"math"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Tax rates: create, retrieve, update, list (Stripe has no delete; a rate
// is archived with active=false). percentage and inclusive are fixed at
// creation. Subscriptions, subscription items, invoices and invoice items
// embed the rates they use as whole objects (dahlia's default_tax_rates and
// tax_rates); invoice lines show what the rates came to in taxes[]
// (invoice_amounts.go). An archived rate keeps working where it is set but
// cannot be set anew, as Stripe's tax_rate.active documents.

const kindTaxRate = "tax_rate"

// TaxRate is Stripe's tax_rate object (dahlia shape).
type TaxRate struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Active              bool              `json:"active"`
	Country             *string           `json:"country"`
	Created             int64             `json:"created"`
	Description         *string           `json:"description"`
	DisplayName         string            `json:"display_name"`
	EffectivePercentage *float64          `json:"effective_percentage"`
	FlatAmount          map[string]any    `json:"flat_amount"`
	Inclusive           bool              `json:"inclusive"`
	Jurisdiction        *string           `json:"jurisdiction"`
	JurisdictionLevel   *string           `json:"jurisdiction_level"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Percentage          float64           `json:"percentage"`
	RateType            *string           `json:"rate_type"`
	State               *string           `json:"state"`
	TaxType             *string           `json:"tax_type"`
}

func init() { families = append(families, registerTaxRates) }

func registerTaxRates(e *Engine) {
	e.kind(Kind{Object: kindTaxRate, Load: loader[TaxRate](kindTaxRate)})
	e.route(Route{Method: "POST", Pattern: "/v1/tax_rates", Handle: createTaxRate})
	e.route(Route{Method: "GET", Pattern: "/v1/tax_rates/{tax_rate}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[TaxRate](c, kindTaxRate, c.Var("tax_rate"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/tax_rates/{tax_rate}", Handle: updateTaxRate})
	e.route(Route{Method: "GET", Pattern: "/v1/tax_rates", Read: true, Handle: listTaxRates})
}

func createTaxRate(c *Ctx) (any, error) {
	p := c.Params
	name, err := p.Require("display_name")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apierr.InvalidEmpty("display_name")
	}
	inclusive, ok := p.Bool("inclusive")
	if !ok {
		return nil, apierr.MissingParam("inclusive")
	}
	pct, ok := numberParam(p, "percentage")
	if !ok {
		return nil, apierr.MissingParam("percentage")
	}
	// Stripe takes at most four decimals and 0 <= percentage <= 100.
	if pct < 0 || pct > 100 || math.IsNaN(pct) {
		return nil, apierr.InvalidRequest("percentage", "percentage must be between 0 and 100.")
	}
	if math.Round(pct*10000) != pct*10000 {
		return nil, apierr.InvalidRequest("percentage", "percentage can have at most 4 decimal places.")
	}
	id, err := c.NewID("txr")
	if err != nil {
		return nil, err
	}
	tr := &TaxRate{ID: id, Object: kindTaxRate, Active: true, Created: c.Unix(), DisplayName: name,
		Inclusive: inclusive, Percentage: pct, Metadata: map[string]string{}}
	tr.EffectivePercentage = new(pct)
	if err := setTaxRateFields(tr, p); err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	tr.Metadata = md
	if err := c.save(kindTaxRate, tr.ID, tr); err != nil {
		return nil, err
	}
	return tr, c.emit("tax_rate.created", tr, nil)
}

// setTaxRateFields applies the fields create and update share.
func setTaxRateFields(tr *TaxRate, p Params) error {
	if b, ok := p.Bool("active"); ok {
		tr.Active = b
	}
	if p.Has("display_name") {
		if p.Empty("display_name") {
			return apierr.InvalidEmpty(p.Path("display_name"))
		}
		tr.DisplayName = p.Str("display_name")
	}
	for key, dst := range map[string]**string{
		"country": &tr.Country, "description": &tr.Description, "jurisdiction": &tr.Jurisdiction,
		"state": &tr.State, "tax_type": &tr.TaxType,
	} {
		if p.Has(key) {
			*dst = p.NullableString(key)
		}
	}
	return nil
}

func updateTaxRate(c *Ctx) (any, error) {
	p := c.Params
	tr, err := get[TaxRate](c, kindTaxRate, c.Var("tax_rate"), "id")
	if err != nil {
		return nil, err
	}
	before := *tr
	if err := setTaxRateFields(tr, p); err != nil {
		return nil, err
	}
	md, err := applyMetadata(p, tr.Metadata)
	if err != nil {
		return nil, err
	}
	tr.Metadata = md
	if err := c.save(kindTaxRate, tr.ID, tr); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("tax_rate.updated", &before, tr); err != nil {
		return nil, err
	}
	return tr, nil
}

func listTaxRates(c *Ctx) (any, error) {
	p := c.Params
	active, byActive := p.Bool("active")
	inclusive, byInclusive := p.Bool("inclusive")
	createdOK := createdFilter(p, "created")
	items, err := scan(c, kindTaxRate, "", func(tr *TaxRate) bool {
		return (!byActive || tr.Active == active) && (!byInclusive || tr.Inclusive == inclusive) && createdOK(tr.Created)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/tax_rates", items, func(tr *TaxRate) (string, int64) { return tr.ID, tr.Created })
}

// taxRatesParam loads the tax rates a parameter names (a list of IDs, or ""
// for none), for setting on an object: each must exist and be active. set
// reports whether the parameter was sent at all.
func taxRatesParam(c *Ctx, p Params, key string) (rates []any, set bool, err error) {
	if !p.Has(key) {
		return nil, false, nil
	}
	rates = []any{}
	if p.Empty(key) {
		return rates, true, nil
	}
	seen := map[string]bool{}
	for i, id := range p.Strings(key) {
		param := fmt.Sprintf("%s[%d]", p.Path(key), i)
		tr, err := get[TaxRate](c, kindTaxRate, id, param)
		if err != nil {
			return nil, true, err
		}
		if !tr.Active {
			return nil, true, apierr.InvalidRequest(param, fmt.Sprintf("Tax rate %s is archived (active=false) and cannot be applied to new objects.", id))
		}
		if seen[id] {
			return nil, true, apierr.InvalidRequest(param, fmt.Sprintf("The tax rate %s was passed more than once.", id))
		}
		seen[id] = true
		rates = append(rates, tr)
	}
	if len(rates) > 5 {
		return nil, true, apierr.InvalidRequest(p.Path(key), "You may apply at most 5 tax rates.")
	}
	return rates, true, nil
}

// taxRateIDs are the IDs of embedded tax rates, whether built in this
// request (*TaxRate) or read back from the store (decoded objects).
func taxRateIDs(rates []any) []string {
	var out []string
	for _, r := range rates {
		switch r := r.(type) {
		case *TaxRate:
			out = append(out, r.ID)
		case map[string]any:
			if id, ok := r["id"].(string); ok {
				out = append(out, id)
			}
		case string:
			out = append(out, r)
		}
	}
	return out
}
