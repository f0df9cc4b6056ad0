package resources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/search"
)

// Customers: create, retrieve, update, delete, list, search.

const kindCustomer = "customer"

// Customer is Stripe's customer object (dahlia shape).
type Customer struct {
	ID                  string            `json:"id"`
	Object              string            `json:"object"`
	Address             map[string]any    `json:"address"`
	Balance             int64             `json:"balance"`
	Created             int64             `json:"created"`
	Currency            *string           `json:"currency"`
	DefaultSource       *string           `json:"default_source"`
	Delinquent          bool              `json:"delinquent"`
	Description         *string           `json:"description"`
	Discount            any               `json:"discount"`
	Email               *string           `json:"email"`
	InvoicePrefix       string            `json:"invoice_prefix"`
	InvoiceSettings     InvoiceSettings   `json:"invoice_settings"`
	Livemode            bool              `json:"livemode"`
	Metadata            map[string]string `json:"metadata"`
	Name                *string           `json:"name"`
	NextInvoiceSequence int64             `json:"next_invoice_sequence"`
	Phone               *string           `json:"phone"`
	PreferredLocales    []string          `json:"preferred_locales"`
	Shipping            map[string]any    `json:"shipping"`
	TaxExempt           string            `json:"tax_exempt"`
	TestClock           *string           `json:"test_clock"`

	// Deleted is kept on the record: a deleted customer still answers
	// retrieve, as a stub.
	Deleted bool `json:"deleted,omitempty"`
}

// InvoiceSettings is a customer's invoice_settings hash.
type InvoiceSettings struct {
	CustomFields         []map[string]any `json:"custom_fields"`
	DefaultPaymentMethod *string          `json:"default_payment_method"`
	Footer               *string          `json:"footer"`
	RenderingOptions     map[string]any   `json:"rendering_options"`
}

// DeletedObject is Stripe's answer to a DELETE.
type DeletedObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func (cu *Customer) wire(string) any {
	if cu.Deleted {
		return DeletedObject{ID: cu.ID, Object: kindCustomer, Deleted: true}
	}
	return cu
}

// storedExtendsWire: a live customer's stored form is its wire form (what
// customerWire says of its bytes).
func (cu *Customer) storedExtendsWire() bool { return !cu.Deleted }

// Timeline is the scheduler timeline of the customer's objects: its test
// clock, or the fake's own clock.
func (cu *Customer) Timeline() string {
	if cu.TestClock != nil {
		return *cu.TestClock
	}
	return ""
}

func customerTerms(cu *Customer) []string {
	terms := []string{}
	if cu.TestClock != nil {
		terms = append(terms, "test_clock="+*cu.TestClock)
	}
	if cu.Email != nil {
		// One term serves search and the list's email filter, which
		// then compares the whole email exactly.
		terms = append(terms, search.TextTerms("email", *cu.Email)...)
	}
	return append(terms, search.MetadataTerms("metadata", cu.Metadata)...)
}

var addressFields = []string{"city", "country", "line1", "line2", "postal_code", "state"}

var invoicePrefixRE = regexp.MustCompile(`^[A-Z0-9]{3,12}$`)

var customerSearchFields = search.Fields{
	"created": search.Number, "email": search.Text, "metadata": search.Metadata,
	"name": search.Text, "phone": search.Text,
}

func init() { families = append(families, registerCustomers) }

func registerCustomers(e *Engine) {
	e.kind(Kind{Object: kindCustomer, Load: loader[Customer](kindCustomer), Wire: func(_ apiversion.Version, raw []byte) bool { return customerWire(raw) }})
	e.route(Route{Method: "POST", Pattern: "/v1/customers", Handle: func(c *Ctx) (any, error) {
		cu, raw, err := newCustomer(c)
		if err != nil || raw == nil {
			return cu, err
		}
		return raw, nil
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/{customer}", Read: true, Handle: retrieveCustomer})
	e.route(Route{Method: "POST", Pattern: "/v1/customers/{customer}", Handle: updateCustomer})
	e.route(Route{Method: "DELETE", Pattern: "/v1/customers/{customer}", Handle: deleteCustomer})
	e.route(Route{Method: "GET", Pattern: "/v1/customers", Read: true, Handle: listCustomers})
	e.route(Route{Method: "GET", Pattern: "/v1/customers/search", Read: true, Handle: searchCustomers})
}

// deletedMark is how a deleted customer's record says so at its top level.
// A string value cannot hold it unescaped, so its absence proves the
// customer is live.
var deletedMark = []byte(`"deleted":true`)

// customerWire is the customers' Kind.Wire: a live customer's record is
// json.Marshal of the Customer, which is its rendering at every version
// (the version chain then changes what it changes), so decoding it only to
// encode it again would change nothing. A record that may be deleted is
// not: it renders as a stub.
func customerWire(raw []byte) bool {
	return !bytes.Contains(raw, deletedMark) && !bytes.Contains(raw, storedOnlyMark)
}

// storedOnlyMark starts a stored-only member ("_name"), which a wire form
// never has; a metadata key so named only costs the shortcut.
var storedOnlyMark = []byte(`,"_`)

// retrieveCustomer answers a live customer with its stored bytes
// (customerWire).
func retrieveCustomer(c *Ctx) (any, error) {
	id := c.Var("customer")
	raw, err := c.tx.Get(kindCustomer, id)
	if err == nil && customerWire(raw) {
		return json.RawMessage(raw), nil
	}
	return get[Customer](c, kindCustomer, id, "id")
}

// liveCustomer loads a customer that has not been deleted. param names where
// the ID came from ("id" for the path).
func liveCustomer(c *Ctx, id, param string) (*Customer, error) {
	cu, err := get[Customer](c, kindCustomer, id, param)
	if err != nil {
		return nil, err
	}
	if cu.Deleted {
		return nil, c.e.noSuch(kindCustomer, id, param)
	}
	return cu, nil
}

// customerParam loads the live customer the required parameter customer
// names and moves the rest of the request onto its timeline, so what the
// request creates for a test-clock customer carries the clock's time.
func customerParam(c *Ctx, p Params) (*Customer, error) {
	id, err := p.Require("customer")
	if err != nil {
		return nil, err
	}
	cu, err := liveCustomer(c, id, p.Path("customer"))
	if err != nil {
		return nil, err
	}
	return cu, c.onCustomerTimeline(cu)
}

func saveCustomer(c *Ctx, cu *Customer) error {
	return c.save(kindCustomer, cu.ID, cu, customerTerms(cu)...)
}

// unsupported answers parameters the fake accepts from the spec but does not
// model, loudly rather than ignoring them.
func unsupported(p Params, keys ...string) error {
	for _, k := range keys {
		if p.Has(k) {
			return apierr.InvalidRequest(p.Path(k), fmt.Sprintf("stripefake does not support the parameter '%s' yet.", p.Path(k)))
		}
	}
	return nil
}

// createCustomer is POST /v1/customers for other handlers: it returns the
// *Customer.
func createCustomer(c *Ctx) (any, error) {
	cu, _, err := newCustomer(c)
	if err != nil {
		return nil, err
	}
	return cu, nil
}

// newCustomer creates a customer from c.Params. raw, when not nil, is its
// rendering, which the answer may reuse.
func newCustomer(c *Ctx) (cu *Customer, raw json.RawMessage, err error) {
	p := c.Params
	if err := unsupported(p, "source", "cash_balance", "tax"); err != nil {
		return nil, nil, err
	}
	id, err := c.NewID("cus")
	if err != nil {
		return nil, nil, err
	}
	cu = &Customer{
		ID: id, Object: kindCustomer, Created: c.Unix(), NextInvoiceSequence: 1,
		TaxExempt: "none", PreferredLocales: []string{}, Metadata: map[string]string{},
		InvoicePrefix: randomString("0123456789ABCDEF", hashString(id), 8),
	}
	if clock, ok := p.String("test_clock"); ok {
		tc, err := loadTestClock(c, clock, "test_clock")
		if err != nil {
			return nil, nil, err
		}
		cu.TestClock = &clock
		cu.Created = tc.FrozenTime
	}
	if err := setCustomerFields(c, cu, p); err != nil {
		return nil, nil, err
	}
	if n, ok := p.Int("balance"); ok {
		if err := checkAmount(n, "balance"); err != nil {
			return nil, nil, err
		}
	}
	if n, ok := p.Int("balance"); ok && n != 0 {
		if _, err := adjustBalance(c, cu, n, "initial", nil, nil); err != nil {
			return nil, nil, err
		}
	}
	// The payment method is resolved first (a test value becomes a new
	// pm_…) so the default can name it, but attached after customer.created:
	// Stripe writes the customer's event first.
	var pm *PaymentMethod
	attached := map[string]string{}
	if id, ok := p.String("payment_method"); ok {
		var err error
		if pm, err = paymentMethodToAttach(c, id, "payment_method"); err != nil {
			return nil, nil, err
		}
		attached[id], attached[pm.ID] = pm.ID, pm.ID
	}
	if err := setDefaultPaymentMethod(c, cu, p, attached); err != nil {
		return nil, nil, err
	}
	// A new customer's record, its event's object and the answer are the
	// same bytes (see retrieveCustomer): marshal it once. This is the
	// pending-writes sharing done by hand: going through save, which also
	// snapshots the customer for the decoded cache, measured 5–8 % slower
	// on BenchmarkCustomerCreateRetrieve (the fake's most common call).
	if raw, err = json.Marshal(cu); err != nil {
		return nil, nil, err
	}
	if err := c.tx.Put(kindCustomer, cu.ID, raw, customerTerms(cu)...); err != nil {
		return nil, nil, err
	}
	// A coupon or promotion code (before basil) is applied to the saved
	// customer, which then has other bytes; its discount's event follows
	// customer.created.
	emitDiscount, err := applyCustomerCoupon(c, cu, p)
	if err != nil {
		return nil, nil, err
	}
	if emitDiscount != nil {
		if err := saveCustomer(c, cu); err != nil {
			return nil, nil, err
		}
		if raw, err = json.Marshal(cu); err != nil {
			return nil, nil, err
		}
	}
	if err := c.emit("customer.created", json.RawMessage(raw), nil); err != nil {
		return nil, nil, err
	}
	if emitDiscount != nil {
		if err := emitDiscount(); err != nil {
			return nil, nil, err
		}
	}
	if err := createTaxIDData(c, cu, p); err != nil {
		return nil, nil, err
	}
	if pm == nil {
		return cu, raw, nil
	}
	// Attaching may change the customer: the answer renders it again.
	if err := attachToCustomer(c, pm, cu); err != nil {
		return nil, nil, err
	}
	return cu, nil, nil
}

// setCustomerFields applies the parameters create and update share.
func setCustomerFields(c *Ctx, cu *Customer, p Params) error {
	for key, dst := range map[string]**string{"description": &cu.Description, "email": &cu.Email, "name": &cu.Name, "phone": &cu.Phone} {
		if p.Has(key) {
			*dst = p.NullableString(key)
		}
	}
	if p.Has("address") {
		cu.Address = p.Object("address", addressFields...)
	}
	if p.Has("shipping") {
		cu.Shipping = nil
		if ship, ok := p.Map("shipping"); ok {
			cu.Shipping = map[string]any{
				"address": ship.Object("address", addressFields...), "carrier": nil,
				"name": ship.Raw()["name"], "phone": nil, "tracking_number": nil,
			}
			if ph, ok := ship.String("phone"); ok {
				cu.Shipping["phone"] = ph
			}
		}
	}
	if p.Has("preferred_locales") {
		cu.PreferredLocales = append([]string{}, p.Strings("preferred_locales")...)
	}
	if v, ok := p.String("tax_exempt"); ok {
		cu.TaxExempt = v
	} else if p.Empty("tax_exempt") {
		cu.TaxExempt = "none"
	}
	if v, ok := p.String("invoice_prefix"); ok {
		if !invoicePrefixRE.MatchString(v) {
			return apierr.InvalidRequest("invoice_prefix", "Invoice prefix must be between 3 and 12 characters long and contain only uppercase letters and numbers.")
		}
		cu.InvoicePrefix = v
	}
	if n, ok := p.Int("next_invoice_sequence"); ok {
		if n < 1 {
			return apierr.InvalidRequest("next_invoice_sequence", "The next invoice sequence must be greater than or equal to 1.")
		}
		cu.NextInvoiceSequence = n
	}
	if is, ok := p.Map("invoice_settings"); ok {
		if is.Has("footer") {
			cu.InvoiceSettings.Footer = is.NullableString("footer")
		}
		if is.Has("custom_fields") {
			cu.InvoiceSettings.CustomFields = nil
			for _, f := range is.List("custom_fields") {
				cu.InvoiceSettings.CustomFields = append(cu.InvoiceSettings.CustomFields, map[string]any{"name": f.Str("name"), "value": f.Str("value")})
			}
		}
		if is.Has("rendering_options") {
			cu.InvoiceSettings.RenderingOptions = nil
			if ro, ok := is.Map("rendering_options"); ok {
				cu.InvoiceSettings.RenderingOptions = map[string]any{"amount_tax_display": ro.NullableString("amount_tax_display"), "template": ro.NullableString("template")}
			}
		}
	}
	md, err := applyMetadata(p, cu.Metadata)
	if err != nil {
		return err
	}
	cu.Metadata = md
	return nil
}

// setDefaultPaymentMethod applies invoice_settings[default_payment_method],
// which must name a payment method attached to the customer, or one being
// attached by the same request: attached maps the names that request used
// (a test value such as pm_card_visa, or an ID) to the payment method's ID.
func setDefaultPaymentMethod(c *Ctx, cu *Customer, p Params, attached map[string]string) error {
	is, ok := p.Map("invoice_settings")
	if !ok || !is.Has("default_payment_method") {
		return nil
	}
	if is.Empty("default_payment_method") {
		cu.InvoiceSettings.DefaultPaymentMethod = nil
		return nil
	}
	pm := is.Str("default_payment_method")
	if id, ok := attached[pm]; ok {
		cu.InvoiceSettings.DefaultPaymentMethod = &id
		return nil
	}
	if err := requireAttached(c, pm, cu.ID, is.Path("default_payment_method")); err != nil {
		return err
	}
	cu.InvoiceSettings.DefaultPaymentMethod = &pm
	return nil
}

func updateCustomer(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "source", "cash_balance", "tax", "bank_account", "card", "default_alipay_account", "default_bank_account", "default_card", "default_source"); err != nil {
		return nil, err
	}
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return nil, err
	}
	before := *cu
	if err := setCustomerFields(c, cu, p); err != nil {
		return nil, err
	}
	if n, ok := p.Int("balance"); ok {
		if err := checkAmount(n, "balance"); err != nil {
			return nil, err
		}
	}
	if n, ok := p.Int("balance"); ok && n != cu.Balance {
		// Setting balance records the difference as an adjustment.
		if _, err := adjustBalance(c, cu, n-cu.Balance, "adjustment", nil, nil); err != nil {
			return nil, err
		}
	}
	if err := setDefaultPaymentMethod(c, cu, p, nil); err != nil {
		return nil, err
	}
	emitDiscount, err := applyCustomerCoupon(c, cu, p)
	if err != nil {
		return nil, err
	}
	if err := saveCustomer(c, cu); err != nil {
		return nil, err
	}
	if emitDiscount != nil {
		if err := emitDiscount(); err != nil {
			return nil, err
		}
	}
	if _, err = c.emitUpdated("customer.updated", &before, cu); err != nil {
		return nil, err
	}
	return cu, remirrorDrafts(c, cu)
}

func deleteCustomer(c *Ctx) (any, error) {
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return nil, err
	}
	if err := removeCustomer(c, cu); err != nil {
		return nil, err
	}
	return DeletedObject{ID: cu.ID, Object: kindCustomer, Deleted: true}, nil
}

// removeCustomer deletes cu, for the API and for a deleted test clock: its
// subscriptions are canceled and its invoices stop collecting (Stripe
// "immediately cancels any active subscriptions"), the event carries the
// customer as it was, its payment methods are detached, and the record
// stays as a deleted stub.
func removeCustomer(c *Ctx, cu *Customer) error {
	now, err := c.nowFor(cu)
	if err != nil {
		return err
	}
	subs, err := scan(c, kindSubscription, "customer="+cu.ID, func(s *Subscription) bool { return !s.ended() })
	if err != nil {
		return err
	}
	for i := len(subs) - 1; i >= 0; i-- { // oldest first
		if err := cancelSubscription(c, subs[i], now, "cancellation_requested"); err != nil {
			return err
		}
	}
	invs, err := scan(c, kindInvoice, "customer="+cu.ID, func(inv *Invoice) bool {
		return inv.AutoAdvance && (inv.status() == "draft" || inv.status() == "open")
	})
	if err != nil {
		return err
	}
	for i := len(invs) - 1; i >= 0; i-- {
		if err := stopAutoAdvance(c, invs[i]); err != nil {
			return err
		}
	}
	if err := c.emit("customer.deleted", cu, nil); err != nil {
		return err
	}
	if err := detachAllPaymentMethods(c, cu.ID); err != nil {
		return err
	}
	cu.Deleted = true
	return c.save(kindCustomer, cu.ID, cu)
}

// customerHead is what lists and search read of a customer record; the
// page answers the records' bytes (customerWire).
type customerHead struct {
	ID        string  `json:"id"`
	Created   int64   `json:"created"`
	Deleted   bool    `json:"deleted"`
	Email     *string `json:"email"`
	TestClock *string `json:"test_clock"`
}

func customerMeta(cu *customerHead) (string, int64) { return cu.ID, cu.Created }

func listCustomers(c *Ctx) (any, error) {
	p := c.Params
	term := ""
	clock, byClock := p.String("test_clock")
	if byClock {
		term = "test_clock=" + clock
	}
	email, byEmail := p.String("email")
	if words := search.TextTerms("email", email); byEmail && !byClock && len(words) > 0 {
		term = words[0]
	}
	return listWire(c, "/v1/customers", kindCustomer, term, func(cu *customerHead) bool {
		if cu.Deleted || skipTestClock(cu.TestClock, byClock) {
			return false
		}
		if byClock && *cu.TestClock != clock {
			return false
		}
		return !byEmail || (cu.Email != nil && *cu.Email == email)
	}, customerMeta)
}

func searchCustomers(c *Ctx) (any, error) {
	return searchWire(c, kindCustomer, "customers", "/v1/customers/search", customerSearchFields,
		func(cu *customerHead) bool { return !cu.Deleted }, customerMeta)
}

// hashString folds s into a uint64 seed (FNV-1a).
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// formatInt is strconv.FormatInt for int64, for building messages.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
