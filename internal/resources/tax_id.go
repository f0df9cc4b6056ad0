package resources

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Tax IDs (docs.stripe.com/billing/customer/tax-ids,
// docs.stripe.com/api/tax_ids): a customer's tax IDs, created and deleted
// under /v1/customers/{customer}/tax_ids or /v1/tax_ids with
// owner[type]=customer, and the account's own (owner[type]=self). A
// customer's tax IDs show on its invoices as customer_tax_ids ({type,
// value}), mirrored while the invoice is a draft and frozen at
// finalization. Tax IDs have no update: Stripe's API has none.
//
// Verification: Stripe checks some types (EU, UK and Australian numbers
// among them) against government databases, asynchronously; the fake
// reaches no database, so those stay "pending" and every other type is
// "unavailable". UNCONFIRMED which types Stripe verifies beyond the
// documented eu_vat, gb_vat and au_abn.

const kindTaxID = "tax_id"

// TaxID is Stripe's tax_id object (dahlia shape).
type TaxID struct {
	ID              string             `json:"id"`
	Object          string             `json:"object"`
	Country         *string            `json:"country"`
	Created         int64              `json:"created"`
	Customer        *string            `json:"customer"`
	CustomerAccount *string            `json:"customer_account"`
	Livemode        bool               `json:"livemode"`
	Owner           TaxIDOwner         `json:"owner"`
	Type            string             `json:"type"`
	Value           string             `json:"value"`
	Verification    *TaxIDVerification `json:"verification"`
}

// TaxIDOwner is the tax ID's owner: a customer, or the account itself.
type TaxIDOwner struct {
	Customer *string `json:"customer,omitempty"`
	Type     string  `json:"type"`
}

// TaxIDVerification is the result of Stripe's check of the number.
type TaxIDVerification struct {
	Status          string  `json:"status"`
	VerifiedAddress *string `json:"verified_address"`
	VerifiedName    *string `json:"verified_name"`
}

func init() { families = append(families, registerTaxIDs) }

func registerTaxIDs(e *Engine) {
	e.kind(Kind{Object: kindTaxID, Load: loader[TaxID](kindTaxID)})
	e.route(Route{Method: "POST", Pattern: "/v1/customers/{customer}/tax_ids", Handle: createCustomerTaxID})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/{customer}/tax_ids", Read: true, Handle: listCustomerTaxIDs})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/{customer}/tax_ids/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return customerTaxID(c)
	}})
	e.route(Route{Method: "DELETE", Pattern: "/v1/customers/{customer}/tax_ids/{id}", Handle: func(c *Ctx) (any, error) {
		t, err := customerTaxID(c)
		if err != nil {
			return nil, err
		}
		return deleteTaxID(c, t)
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/tax_ids", Handle: createTaxIDForOwner})
	e.route(Route{Method: "GET", Pattern: "/v1/tax_ids", Read: true, Handle: listTaxIDs})
	e.route(Route{Method: "GET", Pattern: "/v1/tax_ids/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[TaxID](c, kindTaxID, c.Var("id"), "id")
	}})
	e.route(Route{Method: "DELETE", Pattern: "/v1/tax_ids/{id}", Handle: func(c *Ctx) (any, error) {
		t, err := get[TaxID](c, kindTaxID, c.Var("id"), "id")
		if err != nil {
			return nil, err
		}
		return deleteTaxID(c, t)
	}})
}

// taxIDFormats are the value formats the fake checks, from the examples in
// Stripe's table of supported types (docs.stripe.com/billing/customer/tax-ids);
// other types take any non-empty value.
var taxIDFormats = map[string]*regexp.Regexp{
	"eu_vat": regexp.MustCompile(`^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z]{2,13}$`),
	"gb_vat": regexp.MustCompile(`^GB[0-9]{9}([0-9]{3})?$`),
	"au_abn": regexp.MustCompile(`^[0-9]{11}$`),
	"us_ein": regexp.MustCompile(`^[0-9]{2}-?[0-9]{7}$`),
	"ca_bn":  regexp.MustCompile(`^[0-9]{9}$`),
	"in_gst": regexp.MustCompile(`^[0-9]{2}[A-Z0-9]{13}$`),
	"nz_gst": regexp.MustCompile(`^[0-9]{8,9}$`),
	"ch_vat": regexp.MustCompile(`^CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3} ?(MWST|TVA|IVA)$`),
}

// verifiedTaxIDTypes are the types Stripe checks against a government
// database (docs.stripe.com/billing/customer/tax-ids#validation).
var verifiedTaxIDTypes = map[string]bool{"eu_vat": true, "gb_vat": true, "au_abn": true}

// newTaxID builds a tax ID of type typ with value for owner (customer nil:
// the account itself); params names where type and value came from.
func newTaxID(c *Ctx, typ, value string, customer *string, typeParam, valueParam string) (*TaxID, error) {
	if typ == "" {
		return nil, apierr.InvalidEmpty(typeParam)
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, apierr.InvalidEmpty(valueParam)
	}
	if re := taxIDFormats[typ]; re != nil && !re.MatchString(asciiUpper(value)) {
		return nil, apierr.Invalid("tax_id_invalid", valueParam, fmt.Sprintf("Invalid value for %s.", typ))
	}
	id, err := c.NewID("txi")
	if err != nil {
		return nil, err
	}
	t := &TaxID{ID: id, Object: kindTaxID, Created: c.Unix(), Customer: customer, Type: typ, Value: value,
		Country: taxIDCountry(typ, value), Owner: TaxIDOwner{Type: "self"}}
	if customer != nil {
		// The account's own tax IDs show no verification (Stripe's example
		// tax_id object, owner self: "verification": null).
		t.Owner = TaxIDOwner{Type: "customer", Customer: customer}
		t.Verification = &TaxIDVerification{Status: "unavailable"}
		if verifiedTaxIDTypes[typ] {
			t.Verification.Status = "pending"
		}
	}
	return t, nil
}

// taxIDCountry is the country a tax ID type names: its prefix, or for an
// EU VAT number the number's own prefix (EL is Greece; XI, Northern
// Ireland, is GB). eu_oss_vat names no one country.
func taxIDCountry(typ, value string) *string {
	switch typ {
	case "eu_oss_vat":
		return nil
	case "eu_vat":
		cc := asciiUpper(value[:min(2, len(value))])
		switch cc {
		case "EL":
			cc = "GR"
		case "XI":
			cc = "GB"
		}
		return &cc
	}
	cc := asciiUpper(typ[:strings.IndexByte(typ+"_", '_')])
	return &cc
}

// asciiUpper upper-cases ASCII letters only: strings.ToUpper would turn
// other letters (ſ, ı) into ASCII ones and let them pass a format check.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// saveTaxID stores t (indexed by its owner) and sends customer.tax_id.created
// for a customer's; cu is its customer, nil for the account's own.
func saveTaxID(c *Ctx, t *TaxID, cu *Customer) error {
	if err := c.save(kindTaxID, t.ID, t, taxIDOwnerTerm(t.Customer)); err != nil {
		return err
	}
	if cu == nil {
		return nil
	}
	if err := c.emit("customer.tax_id.created", t, nil); err != nil {
		return err
	}
	return remirrorDrafts(c, cu)
}

func taxIDOwnerTerm(customer *string) string {
	if customer == nil {
		return "owner=self"
	}
	return "customer=" + *customer
}

func createCustomerTaxID(c *Ctx) (any, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	return createTaxID(c, cu)
}

// createTaxID creates the request's tax ID for cu (nil: the account).
func createTaxID(c *Ctx, cu *Customer) (any, error) {
	p := c.Params
	typ, err := p.Require("type")
	if err != nil {
		return nil, err
	}
	value, err := p.Require("value")
	if err != nil {
		return nil, err
	}
	var owner *string
	if cu != nil {
		owner = &cu.ID
		if err := c.onCustomerTimeline(cu); err != nil {
			return nil, err
		}
	}
	t, err := newTaxID(c, typ, value, owner, "type", "value")
	if err != nil {
		return nil, err
	}
	return t, saveTaxID(c, t, cu)
}

// createTaxIDForOwner is POST /v1/tax_ids: owner[type] customer or self
// (the default); account and application are Connect's, not modelled.
func createTaxIDForOwner(c *Ctx) (any, error) {
	cu, err := taxIDOwnerParam(c)
	if err != nil {
		return nil, err
	}
	return createTaxID(c, cu)
}

// taxIDOwnerParam reads owner[type] and owner[customer]: the customer, or
// nil for the account itself.
func taxIDOwnerParam(c *Ctx) (*Customer, error) {
	owner, _ := c.Params.Map("owner")
	switch typ := owner.Str("type"); typ {
	case "", "self":
		if owner.Has("customer") {
			return nil, apierr.InvalidRequest("owner[customer]", "owner[customer] can only be set when owner[type] is customer.")
		}
		return nil, nil
	case "customer":
		id, err := owner.Require("customer")
		if err != nil {
			return nil, err
		}
		return liveCustomer(c, id, "owner[customer]")
	default:
		return nil, apierr.InvalidRequest("owner[type]", fmt.Sprintf("stripefake does not model Connect: owner[type]=%s is not supported.", typ))
	}
}

// customerTaxID loads the path's tax ID, which must be the path customer's.
func customerTaxID(c *Ctx) (*TaxID, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	t, err := get[TaxID](c, kindTaxID, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	if t.Customer == nil || *t.Customer != cu.ID {
		return nil, c.e.noSuch(kindTaxID, t.ID, "id")
	}
	return t, nil
}

func deleteTaxID(c *Ctx, t *TaxID) (any, error) {
	if t.Customer == nil {
		return c.remove(kindTaxID, t.ID, t, "")
	}
	cu, err := c.customerTimeline(*t.Customer, "customer")
	if err != nil {
		return nil, err
	}
	deleted, err := c.remove(kindTaxID, t.ID, t, "customer.tax_id.deleted")
	if err != nil {
		return nil, err
	}
	return deleted, remirrorDrafts(c, cu)
}

func taxIDMeta(t *TaxID) (string, int64) { return t.ID, t.Created }

func listCustomerTaxIDs(c *Ctx) (any, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	return listStored(c, "/v1/customers/"+cu.ID+"/tax_ids", kindTaxID, taxIDOwnerTerm(&cu.ID), nil, taxIDMeta)
}

// listTaxIDs is GET /v1/tax_ids: the owner's, the account's by default.
func listTaxIDs(c *Ctx) (any, error) {
	cu, err := taxIDOwnerParam(c)
	if err != nil {
		return nil, err
	}
	var owner *string
	if cu != nil {
		owner = &cu.ID
	}
	return listStored(c, "/v1/tax_ids", kindTaxID, taxIDOwnerTerm(owner), nil, taxIDMeta)
}

// createTaxIDData creates a new customer's tax_id_data[] (after
// customer.created, as Stripe orders the events).
func createTaxIDData(c *Ctx, cu *Customer, p Params) error {
	if !p.Has("tax_id_data") {
		return nil
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return err
	}
	for i, d := range p.List("tax_id_data") {
		param := fmt.Sprintf("tax_id_data[%d]", i)
		typ, err := d.Require("type")
		if err != nil {
			return err
		}
		value, err := d.Require("value")
		if err != nil {
			return err
		}
		t, err := newTaxID(c, typ, value, &cu.ID, param+"[type]", param+"[value]")
		if err != nil {
			return err
		}
		if err := saveTaxID(c, t, cu); err != nil {
			return err
		}
	}
	return nil
}

// customerTaxIDs are a customer's tax IDs as an invoice shows them
// (customer_tax_ids), oldest first.
func customerTaxIDs(c *Ctx, customer string) ([]any, error) {
	ids, err := scan(c, kindTaxID, taxIDOwnerTerm(&customer), func(*TaxID) bool { return true })
	if err != nil {
		return nil, err
	}
	out := make([]any, len(ids))
	for i, t := range ids { // scan is newest first
		out[len(ids)-1-i] = map[string]any{"type": t.Type, "value": t.Value}
	}
	return out, nil
}
