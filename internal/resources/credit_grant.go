package resources

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Billing credits: credit grants (create, retrieve, update, list, expire,
// void), the credit balance summary and credit balance transactions, and
// their application to metered invoice lines.
//
// Every change to a grant's balance is a credit balance transaction:
// credits_granted when it is created; credits_applied when an invoice
// consumes it; credits_application_invoice_voided when that invoice is
// voided; credits_expired at expires_at (a job on the customer's timeline)
// or on POST /expire; credits_voided on POST /void.
//
// Contract for invoicing (invoice_finalize.go, invoice_pay.go):
//
//	applyCreditGrants(c *Ctx, inv *Invoice) error
//	    at finalization, before the customer's balance is applied:
//	    consumes the customer's grants against the invoice's metered lines
//	    and lowers total (and a draft's amount_due) by what was applied.
//	reinstateCreditGrants(c *Ctx, inv *Invoice) error
//	    when the invoice is voided: gives back what it consumed.
//
// Decisions on points the reference does not confirm:
//   - Grant order (billing-semantics §10): priority, then sooner
//     expires_at (none last), promotional before paid, earlier
//     effective_at, earlier created.
//   - Credits apply at finalization only, so no draft holds any: the
//     summary's available_balance equals its ledger_balance, and both
//     count grants that are effective, unexpired and not voided.
//   - A reinstated credit of a grant already expired (or voided) is
//     debited again at once (credits_expired, or credits_voided).

const (
	kindCreditGrant       = "billing.credit_grant"
	kindCreditBalanceTxn  = "billing.credit_balance_transaction"
	jobCreditGrantExpire  = "billing.credit_grant.expire"
	creditGrantPriorityLo = 100
	creditGrantPriority   = 50 // Stripe's default
)

// CreditGrant is Stripe's billing.credit_grant and its stored record.
type CreditGrant struct {
	ID                  string                    `json:"id"`
	Object              string                    `json:"object"`
	Amount              CreditAmount              `json:"amount"`
	ApplicabilityConfig CreditApplicabilityConfig `json:"applicability_config"`
	Category            string                    `json:"category"`
	Created             int64                     `json:"created"`
	Customer            string                    `json:"customer"`
	CustomerAccount     *string                   `json:"customer_account"`
	EffectiveAt         *int64                    `json:"effective_at"`
	ExpiresAt           *int64                    `json:"expires_at"`
	Livemode            bool                      `json:"livemode"`
	Metadata            map[string]string         `json:"metadata"`
	Name                *string                   `json:"name"`
	Priority            *int64                    `json:"priority"`
	TestClock           *string                   `json:"test_clock"`
	Updated             int64                     `json:"updated"`
	VoidedAt            *int64                    `json:"voided_at"`

	// Remaining is what is left of the grant (stored, never rendered).
	Remaining int64 `json:"_remaining"`
}

// CreditAmount is a billing credit amount: always monetary today.
type CreditAmount struct {
	Monetary *CreditMonetary `json:"monetary"`
	Type     string          `json:"type"`
}

// CreditMonetary is amount.monetary.
type CreditMonetary struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

func monetary(currency string, value int64) CreditAmount {
	return CreditAmount{Type: "monetary", Monetary: &CreditMonetary{Currency: currency, Value: value}}
}

// CreditApplicabilityConfig is applicability_config.
type CreditApplicabilityConfig struct {
	Scope CreditScope `json:"scope"`
}

// CreditScope is applicability_config.scope: price_type or prices.
type CreditScope struct {
	PriceType string             `json:"price_type,omitempty"`
	Prices    []CreditScopePrice `json:"prices,omitempty"`
}

// CreditScopePrice is one entry of scope.prices.
type CreditScopePrice struct {
	ID *string `json:"id"`
}

// CreditBalanceTransaction is Stripe's billing.credit_balance_transaction.
type CreditBalanceTransaction struct {
	ID          string           `json:"id"`
	Object      string           `json:"object"`
	Created     int64            `json:"created"`
	Credit      *CreditTxnCredit `json:"credit"`
	CreditGrant string           `json:"credit_grant"`
	Debit       *CreditTxnDebit  `json:"debit"`
	EffectiveAt int64            `json:"effective_at"`
	Livemode    bool             `json:"livemode"`
	TestClock   *string          `json:"test_clock"`
	Type        string           `json:"type"`

	// Stored, never rendered.
	Customer string `json:"_customer"`
	// Reinstated marks a credits_applied debit its voided invoice gave
	// back.
	Reinstated bool `json:"_reinstated,omitempty"`
}

// CreditTxnCredit is a transaction's credit.
type CreditTxnCredit struct {
	Amount                          CreditAmount      `json:"amount"`
	CreditsApplicationInvoiceVoided *CreditInvoiceRef `json:"credits_application_invoice_voided"`
	Type                            string            `json:"type"`
}

// CreditTxnDebit is a transaction's debit.
type CreditTxnDebit struct {
	Amount         CreditAmount      `json:"amount"`
	CreditsApplied *CreditInvoiceRef `json:"credits_applied"`
	Type           string            `json:"type"`
}

// CreditInvoiceRef names the invoice line credits went to.
type CreditInvoiceRef struct {
	Invoice         string `json:"invoice"`
	InvoiceLineItem string `json:"invoice_line_item"`
}

func (g *CreditGrant) wire(string) any {
	out := *g
	out.Remaining = 0
	return struct {
		*CreditGrant
		Remaining int64 `json:"_remaining,omitempty"`
	}{CreditGrant: &out}
}

func (t *CreditBalanceTransaction) wire(string) any {
	out := *t
	return struct {
		*CreditBalanceTransaction
		Customer   string `json:"_customer,omitempty"`
		Reinstated bool   `json:"_reinstated,omitempty"`
	}{CreditBalanceTransaction: &out}
}

func (g *CreditGrant) currency() string { return g.Amount.Monetary.Currency }

// Timeline is the scheduler timeline of the grant: its customer's.
func (g *CreditGrant) Timeline() string {
	if g.TestClock != nil {
		return *g.TestClock
	}
	return scheduler.DefaultTimeline
}

// expired reports whether the grant has expired by now.
func (g *CreditGrant) expired(now int64) bool { return g.ExpiresAt != nil && *g.ExpiresAt <= now }

// available is what the grant can give at now.
func (g *CreditGrant) available(now int64) int64 {
	if g.VoidedAt != nil || g.expired(now) || (g.EffectiveAt != nil && *g.EffectiveAt > now) {
		return 0
	}
	return g.Remaining
}

// appliesTo reports whether the grant's scope covers pr.
func (g *CreditGrant) appliesTo(pr *Price) bool {
	s := g.ApplicabilityConfig.Scope
	if s.PriceType == "metered" {
		return pr.metered()
	}
	return slices.ContainsFunc(s.Prices, func(sp CreditScopePrice) bool { return sp.ID != nil && *sp.ID == pr.ID })
}

func saveCreditGrant(c *Ctx, g *CreditGrant) error {
	return c.save(kindCreditGrant, g.ID, g, "customer="+g.Customer)
}

func loadCreditGrant(c *Ctx, id, param string) (*CreditGrant, error) {
	return get[CreditGrant](c, kindCreditGrant, id, param)
}

func init() { families = append(families, registerCreditGrants) }

func registerCreditGrants(e *Engine) {
	e.kind(Kind{Object: kindCreditGrant, Load: loader[CreditGrant](kindCreditGrant)})
	e.kind(Kind{Object: kindCreditBalanceTxn, Load: loader[CreditBalanceTransaction](kindCreditBalanceTxn)})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/credit_grants", Handle: createCreditGrant})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/credit_grants/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return loadCreditGrant(c, c.Var("id"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/credit_grants/{id}", Handle: updateCreditGrant})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/credit_grants", Read: true, Handle: listCreditGrants})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/credit_grants/{id}/expire", Handle: expireCreditGrantHandler})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/credit_grants/{id}/void", Handle: voidCreditGrantHandler})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/credit_balance_summary", Read: true, Handle: creditBalanceSummary})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/credit_balance_transactions", Read: true, Handle: listCreditBalanceTxns})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/credit_balance_transactions/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[CreditBalanceTransaction](c, kindCreditBalanceTxn, c.Var("id"), "id")
	}})
	e.job(jobCreditGrantExpire, runCreditGrantExpire)
}

// creditCustomer loads the customer a credits request names and moves the
// request onto its timeline.
func creditCustomer(c *Ctx, p Params) (*Customer, error) {
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	return customerParam(c, p)
}

func createCreditGrant(c *Ctx) (any, error) {
	p := c.Params
	cu, err := creditCustomer(c, p)
	if err != nil {
		return nil, err
	}
	now := c.Unix()
	amount, _ := p.Map("amount")
	mon, ok := amount.Map("monetary")
	if amount.Str("type") != "monetary" || !ok {
		return nil, apierr.MissingParam(amount.Path("monetary"))
	}
	value, _ := mon.Int("value")
	if value <= 0 {
		return nil, apierr.InvalidRequest(mon.Path("value"), "The credit grant amount must be greater than 0.")
	}
	currency := strings.ToLower(mon.Str("currency"))
	id, err := c.NewID("credgr_test")
	if err != nil {
		return nil, err
	}
	g := &CreditGrant{
		ID: id, Object: kindCreditGrant, Amount: monetary(currency, value), Category: "paid",
		Created: now, Customer: cu.ID, EffectiveAt: &now, Metadata: map[string]string{},
		Priority: new(int64(creditGrantPriority)), TestClock: cu.TestClock, Updated: now, Remaining: value,
	}
	ac, _ := p.Map("applicability_config")
	scope, _ := ac.Map("scope")
	if g.ApplicabilityConfig.Scope, err = creditScope(c, scope, currency); err != nil {
		return nil, err
	}
	if cat, ok := p.String("category"); ok {
		g.Category = cat
	}
	if n, ok := p.Int("priority"); ok {
		if n < 0 || n > creditGrantPriorityLo {
			return nil, apierr.InvalidRequest("priority", "The priority must be between 0 and 100.")
		}
		g.Priority = &n
	}
	if name, ok := p.String("name"); ok {
		g.Name = &name
	}
	if t, ok := p.Int("effective_at"); ok {
		g.EffectiveAt = &t
	}
	if t, ok := p.Int("expires_at"); ok {
		if t <= now || t <= *g.EffectiveAt {
			return nil, apierr.InvalidRequest("expires_at", "The expires_at timestamp must be in the future and after effective_at.")
		}
		if err := checkSchedulable("expires_at", t); err != nil {
			return nil, err
		}
		g.ExpiresAt = &t
	}
	if g.Metadata, err = applyMetadata(p, nil); err != nil {
		return nil, err
	}
	if err := scheduleCreditGrantExpiry(c, g); err != nil {
		return nil, err
	}
	if err := saveCreditGrant(c, g); err != nil {
		return nil, err
	}
	if err := c.emit("billing.credit_grant.created", g, nil); err != nil {
		return nil, err
	}
	_, err = writeCreditTxn(c, g, now, *g.EffectiveAt, &CreditTxnCredit{Amount: monetary(currency, value), Type: "credits_granted"}, nil, "")
	return g, err
}

// creditScope reads applicability_config[scope]: price_type=metered, or
// prices that are metered prices in the grant's currency.
func creditScope(c *Ctx, scope Params, currency string) (CreditScope, error) {
	pt, hasType := scope.String("price_type")
	hasPrices := scope.Has("prices")
	if hasType == hasPrices {
		return CreditScope{}, apierr.InvalidRequest(scope.Path("price_type"), "You must specify exactly one of price_type or prices in applicability_config[scope].")
	}
	if hasType {
		return CreditScope{PriceType: pt}, nil
	}
	var out CreditScope
	for _, pp := range scope.List("prices") {
		id, err := pp.Require("id")
		if err != nil {
			return CreditScope{}, err
		}
		pr, err := loadPrice(c, id, pp.Path("id"))
		if err != nil {
			return CreditScope{}, err
		}
		if !pr.metered() || pr.Recurring.Meter == nil {
			return CreditScope{}, apierr.InvalidRequest(pp.Path("id"), fmt.Sprintf("The price %s is not a metered price with a billing meter: credit grants only apply to metered prices.", id))
		}
		if pr.Currency != currency {
			return CreditScope{}, apierr.InvalidRequest(pp.Path("id"), fmt.Sprintf("The price %s is in %s, but the credit grant is in %s.", id, pr.Currency, currency))
		}
		out.Prices = append(out.Prices, CreditScopePrice{ID: new(id)})
	}
	if len(out.Prices) == 0 {
		return CreditScope{}, apierr.MissingParam(scope.Path("prices"))
	}
	return out, nil
}

// scheduleCreditGrantExpiry (re)schedules the grant's expiry.
func scheduleCreditGrantExpiry(c *Ctx, g *CreditGrant) error {
	if err := scheduler.Cancel(c.Tx(), jobCreditGrantExpire, g.ID); err != nil {
		return err
	}
	if g.ExpiresAt == nil || g.VoidedAt != nil {
		return nil
	}
	return c.schedule(jobCreditGrantExpire, g.ID, g.Timeline(), time.Unix(*g.ExpiresAt, 0).UTC())
}

// writeCreditTxn records a credit or a debit of g made at now, effective
// at, naming invoice for index lookups, and emits its event.
func writeCreditTxn(c *Ctx, g *CreditGrant, now, at int64, credit *CreditTxnCredit, debit *CreditTxnDebit, invoice string) (*CreditBalanceTransaction, error) {
	id, err := c.NewID("cbtxn_test")
	if err != nil {
		return nil, err
	}
	t := &CreditBalanceTransaction{
		ID: id, Object: kindCreditBalanceTxn, Created: now, Credit: credit, CreditGrant: g.ID,
		Debit: debit, EffectiveAt: at, TestClock: g.TestClock, Customer: g.Customer, Type: "credit",
	}
	if debit != nil {
		t.Type = "debit"
	}
	if err := saveCreditTxn(c, t, invoice); err != nil {
		return nil, err
	}
	return t, c.emit("billing.credit_balance_transaction.created", t, nil)
}

func saveCreditTxn(c *Ctx, t *CreditBalanceTransaction, invoice string) error {
	terms := []string{"customer=" + t.Customer, "credit_grant=" + t.CreditGrant}
	if invoice != "" {
		terms = append(terms, "invoice="+invoice)
	}
	return c.save(kindCreditBalanceTxn, t.ID, t, terms...)
}

// debitRemaining writes off what is left of g at now (credits_expired or
// credits_voided) and saves g.
func debitRemaining(c *Ctx, g *CreditGrant, now int64, typ string) error {
	left := g.Remaining
	g.Remaining = 0
	if err := saveCreditGrant(c, g); err != nil {
		return err
	}
	if left <= 0 {
		return nil
	}
	_, err := writeCreditTxn(c, g, now, now, nil, &CreditTxnDebit{Amount: monetary(g.currency(), left), Type: typ}, "")
	return err
}

// grantToChange loads the grant in the path for an action that needs it
// neither voided nor expired, on its customer's timeline.
func grantToChange(c *Ctx, action string) (*CreditGrant, error) {
	g, err := loadCreditGrant(c, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	if _, err := c.customerTimeline(g.Customer, "customer"); err != nil {
		return nil, err
	}
	switch {
	case g.VoidedAt != nil:
		return nil, apierr.InvalidRequest("", fmt.Sprintf("You cannot %s credit grant %s because it has been voided.", action, g.ID))
	case g.expired(c.Unix()):
		return nil, apierr.InvalidRequest("", fmt.Sprintf("You cannot %s credit grant %s because it has expired.", action, g.ID))
	}
	return g, nil
}

func updateCreditGrant(c *Ctx) (any, error) {
	p := c.Params
	g, err := grantToChange(c, "update")
	if err != nil {
		return nil, err
	}
	before := *g
	now := c.Unix()
	if p.Has("expires_at") {
		g.ExpiresAt = nil
		if t, ok := p.Int("expires_at"); ok {
			if t <= now || (g.EffectiveAt != nil && t <= *g.EffectiveAt) {
				return nil, apierr.InvalidRequest("expires_at", "The expires_at timestamp must be in the future and after effective_at.")
			}
			if err := checkSchedulable("expires_at", t); err != nil {
				return nil, err
			}
			g.ExpiresAt = &t
		}
		if err := scheduleCreditGrantExpiry(c, g); err != nil {
			return nil, err
		}
	}
	if g.Metadata, err = applyMetadata(p, g.Metadata); err != nil {
		return nil, err
	}
	return g, saveChangedGrant(c, &before, g)
}

// saveChangedGrant saves g and, when it changed, bumps updated and emits
// billing.credit_grant.updated.
func saveChangedGrant(c *Ctx, before, g *CreditGrant) error {
	if jsonEqual(before.wire(""), g.wire("")) {
		return saveCreditGrant(c, g)
	}
	g.Updated = c.Unix()
	if err := saveCreditGrant(c, g); err != nil {
		return err
	}
	_, err := c.emitUpdated("billing.credit_grant.updated", before, g)
	return err
}

func expireCreditGrantHandler(c *Ctx) (any, error) {
	g, err := grantToChange(c, "expire")
	if err != nil {
		return nil, err
	}
	before := *g
	g.ExpiresAt = new(c.Unix())
	if err := scheduleCreditGrantExpiry(c, g); err != nil {
		return nil, err
	}
	if err := saveChangedGrant(c, &before, g); err != nil {
		return nil, err
	}
	return g, debitRemaining(c, g, c.Unix(), "credits_expired")
}

func voidCreditGrantHandler(c *Ctx) (any, error) {
	g, err := grantToChange(c, "void")
	if err != nil {
		return nil, err
	}
	before := *g
	g.VoidedAt = new(c.Unix())
	if err := scheduleCreditGrantExpiry(c, g); err != nil {
		return nil, err
	}
	if err := saveChangedGrant(c, &before, g); err != nil {
		return nil, err
	}
	return g, debitRemaining(c, g, c.Unix(), "credits_voided")
}

// runCreditGrantExpire writes off what is left of a grant at expires_at.
func runCreditGrantExpire(c *Ctx, j store.Job) error {
	g, err := loadCreditGrant(c, j.ObjectID, "id")
	if err != nil || g.VoidedAt != nil || !g.expired(c.Unix()) {
		return nil
	}
	return debitRemaining(c, g, c.Unix(), "credits_expired")
}

func listCreditGrants(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	term := ""
	id, byCustomer := p.String("customer")
	if byCustomer {
		term = "customer=" + id
	}
	return listStored(c, "/v1/billing/credit_grants", kindCreditGrant, term, func(g *CreditGrant) bool {
		return !skipTestClock(g.TestClock, byCustomer)
	}, func(g *CreditGrant) (string, int64) { return g.ID, g.Created })
}

func listCreditBalanceTxns(c *Ctx) (any, error) {
	p := c.Params
	if err := unsupported(p, "customer_account"); err != nil {
		return nil, err
	}
	customer, err := p.Require("customer")
	if err != nil {
		return nil, err
	}
	grant, byGrant := p.String("credit_grant")
	items, err := scan(c, kindCreditBalanceTxn, "customer="+customer, func(t *CreditBalanceTransaction) bool {
		return !byGrant || t.CreditGrant == grant
	})
	if err != nil {
		return nil, err
	}
	// The spec pins this list's url to the credit grants path.
	return page(c, "/v1/billing/credit_grants", items, func(t *CreditBalanceTransaction) (string, int64) { return t.ID, t.Created })
}

// CreditBalanceSummary is Stripe's billing.credit_balance_summary.
type CreditBalanceSummary struct {
	Object          string          `json:"object"`
	Balances        []CreditBalance `json:"balances"`
	Customer        string          `json:"customer"`
	CustomerAccount *string         `json:"customer_account"`
	Livemode        bool            `json:"livemode"`
}

// CreditBalance is one currency's balance in the summary.
type CreditBalance struct {
	AvailableBalance CreditAmount `json:"available_balance"`
	LedgerBalance    CreditAmount `json:"ledger_balance"`
}

func creditBalanceSummary(c *Ctx) (any, error) {
	p := c.Params
	cu, err := creditCustomer(c, p)
	if err != nil {
		return nil, err
	}
	filter, _ := p.Map("filter")
	var keep func(g *CreditGrant) bool
	switch filter.Str("type") {
	case "credit_grant":
		id, err := filter.Require("credit_grant")
		if err != nil {
			return nil, err
		}
		keep = func(g *CreditGrant) bool { return g.ID == id }
	case "applicability_scope":
		scope, ok := filter.Map("applicability_scope")
		if !ok {
			return nil, apierr.MissingParam(filter.Path("applicability_scope"))
		}
		pt := scope.Str("price_type")
		var prices []string
		for _, pp := range scope.List("prices") {
			prices = append(prices, pp.Str("id"))
		}
		keep = func(g *CreditGrant) bool {
			s := g.ApplicabilityConfig.Scope
			if pt != "" {
				return s.PriceType == pt
			}
			return slices.ContainsFunc(s.Prices, func(sp CreditScopePrice) bool { return sp.ID != nil && slices.Contains(prices, *sp.ID) })
		}
	}
	grants, err := scan(c, kindCreditGrant, "customer="+cu.ID, keep)
	if err != nil {
		return nil, err
	}
	now := c.Unix()
	totals := map[string]int64{}
	for _, g := range grants {
		totals[g.currency()] += g.available(now)
	}
	currencies := make([]string, 0, len(totals))
	for cur := range totals {
		currencies = append(currencies, cur)
	}
	sort.Strings(currencies)
	out := &CreditBalanceSummary{Object: "billing.credit_balance_summary", Balances: []CreditBalance{}, Customer: cu.ID}
	for _, cur := range currencies {
		out.Balances = append(out.Balances, CreditBalance{AvailableBalance: monetary(cur, totals[cur]), LedgerBalance: monetary(cur, totals[cur])})
	}
	return out, nil
}

// ---- Application to invoices ----

// applyCreditGrants consumes the customer's credit grants against the
// invoice's metered lines, each line in order, grants in application
// order, and lowers the invoice's total by what was applied: line
// pretax_credit_amounts and total_pretax_credit_amounts record each
// application with its credit balance transaction. The caller saves inv.
func applyCreditGrants(c *Ctx, inv *Invoice) error {
	now, err := invoiceNow(c, inv)
	if err != nil {
		return err
	}
	grants, err := scan(c, kindCreditGrant, "customer="+inv.Customer, func(g *CreditGrant) bool {
		return g.currency() == inv.Currency && g.available(now) > 0
	})
	if err != nil || len(grants) == 0 {
		return err
	}
	sortGrants(grants)
	changed := map[string]bool{}
	var applied int64
	for _, l := range inv.Lines.Data {
		if l.Pricing == nil || l.Pricing.PriceDetails == nil || l.Amount <= 0 {
			continue
		}
		pr, err := get[Price](c, kindPrice, l.Pricing.PriceDetails.Price, "price")
		if err != nil {
			return err
		}
		left := l.Amount - pretaxCredited(l) - lineDiscounted(l)
		for _, g := range grants {
			if left <= 0 {
				break
			}
			if g.Remaining <= 0 || !g.appliesTo(pr) {
				continue
			}
			use := min(left, g.Remaining)
			g.Remaining -= use
			left -= use
			applied += use
			changed[g.ID] = true
			t, err := writeCreditTxn(c, g, now, now, nil, &CreditTxnDebit{
				Amount: monetary(inv.Currency, use), Type: "credits_applied",
				CreditsApplied: &CreditInvoiceRef{Invoice: inv.ID, InvoiceLineItem: l.ID},
			}, inv.ID)
			if err != nil {
				return err
			}
			credit := map[string]any{"amount": use, "credit_balance_transaction": t.ID, "type": "credit_balance_transaction"}
			l.PretaxCreditAmounts = append(l.PretaxCreditAmounts, credit)
			inv.TotalPretaxCreditAmounts = append(inv.TotalPretaxCreditAmounts, credit)
		}
	}
	for _, g := range grants {
		if changed[g.ID] {
			if err := saveCreditGrant(c, g); err != nil {
				return err
			}
		}
	}
	inv.Total -= applied
	if inv.TotalExcludingTax != nil {
		inv.TotalExcludingTax = new(*inv.TotalExcludingTax - applied)
	}
	if inv.status() == invoiceDraft {
		inv.AmountDue = max(inv.Total, 0)
		inv.AmountRemaining = inv.AmountDue
	}
	return nil
}

// pretaxCredited is what the line's pretax credits already take off it.
func pretaxCredited(l *LineItem) int64 {
	var n int64
	for _, pc := range l.PretaxCreditAmounts {
		// Discounts are listed here too; the totals count them apart.
		if m, ok := pc.(map[string]any); ok && m["type"] != "discount" {
			switch v := m["amount"].(type) {
			case int64:
				n += v
			case float64:
				n += int64(v)
			}
		}
	}
	return n
}

// sortGrants puts grants in application order.
func sortGrants(grants []*CreditGrant) {
	expiry := func(g *CreditGrant) int64 {
		if g.ExpiresAt == nil {
			return 1<<63 - 1
		}
		return *g.ExpiresAt
	}
	prio := func(g *CreditGrant) int64 {
		if g.Priority == nil {
			return creditGrantPriority
		}
		return *g.Priority
	}
	// scan answers newest first: oldest first is the last tie-break.
	slices.Reverse(grants)
	sort.SliceStable(grants, func(i, j int) bool {
		a, b := grants[i], grants[j]
		switch {
		case prio(a) != prio(b):
			return prio(a) < prio(b)
		case expiry(a) != expiry(b):
			return expiry(a) < expiry(b)
		case a.Category != b.Category:
			return a.Category == "promotional"
		case *a.EffectiveAt != *b.EffectiveAt:
			return *a.EffectiveAt < *b.EffectiveAt
		}
		return a.Created < b.Created
	})
}

// reinstateCreditGrants gives back the credits a voided invoice consumed:
// a credits_application_invoice_voided credit for each application; the
// credit of a grant that has since expired or been voided is written off
// again at once.
func reinstateCreditGrants(c *Ctx, inv *Invoice) error {
	debits, err := scan(c, kindCreditBalanceTxn, "invoice="+inv.ID, func(t *CreditBalanceTransaction) bool {
		return t.Debit != nil && t.Debit.Type == "credits_applied" && !t.Reinstated
	})
	if err != nil {
		return err
	}
	slices.Reverse(debits) // in the order they were applied
	now, err := invoiceNow(c, inv)
	if err != nil {
		return err
	}
	for _, d := range debits {
		g, err := loadCreditGrant(c, d.CreditGrant, "credit_grant")
		if err != nil {
			return err
		}
		d.Reinstated = true
		if err := saveCreditTxn(c, d, inv.ID); err != nil {
			return err
		}
		amount := d.Debit.Amount.Monetary.Value
		g.Remaining += amount
		if err := saveCreditGrant(c, g); err != nil {
			return err
		}
		if _, err := writeCreditTxn(c, g, now, now, &CreditTxnCredit{
			Amount: monetary(g.currency(), amount), Type: "credits_application_invoice_voided",
			CreditsApplicationInvoiceVoided: &CreditInvoiceRef{Invoice: inv.ID, InvoiceLineItem: d.Debit.CreditsApplied.InvoiceLineItem},
		}, nil, inv.ID); err != nil {
			return err
		}
		switch {
		case g.VoidedAt != nil:
			err = debitRemaining(c, g, now, "credits_voided")
		case g.expired(now):
			err = debitRemaining(c, g, now, "credits_expired")
		}
		if err != nil {
			return err
		}
	}
	return nil
}
