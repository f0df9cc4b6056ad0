package resources

import (
	"fmt"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Customer balance transactions: the ledger behind customer.balance.
// A negative amount is a credit to the customer, a positive one a debit;
// ending_balance is the customer's balance after the transaction.

const kindBalanceTxn = "customer_balance_transaction"

// CustomerBalanceTransaction is Stripe's customer_balance_transaction.
type CustomerBalanceTransaction struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	Amount          int64             `json:"amount"`
	CheckoutSession *string           `json:"checkout_session"`
	Created         int64             `json:"created"`
	CreditNote      *string           `json:"credit_note"`
	Currency        string            `json:"currency"`
	Customer        string            `json:"customer"`
	CustomerAccount *string           `json:"customer_account"`
	Description     *string           `json:"description"`
	EndingBalance   int64             `json:"ending_balance"`
	Invoice         *string           `json:"invoice"`
	Livemode        bool              `json:"livemode"`
	Metadata        map[string]string `json:"metadata"`
	Type            string            `json:"type"`
}

// defaultCurrency is the currency of a balance set on a customer that has
// none yet: Stripe needs one for the ledger entry.
const defaultCurrency = "usd"

// maxAmount bounds amounts and balances, in minor units. Stripe's exact
// ceiling varies by object; this keeps arithmetic far from overflow.
const maxAmount = 99_999_999_999

func checkAmount(n int64, param string) error {
	if n > maxAmount || n < -maxAmount {
		return apierr.InvalidRequest(param, fmt.Sprintf("This value must be between -%d and %d.", int64(maxAmount), int64(maxAmount)))
	}
	return nil
}

func init() { families = append(families, registerBalanceTransactions) }

func registerBalanceTransactions(e *Engine) {
	e.kind(Kind{Object: kindBalanceTxn, Load: loader[CustomerBalanceTransaction](kindBalanceTxn)})
	const base = "/v1/customers/{customer}/balance_transactions"
	e.route(Route{Method: "POST", Pattern: base, Handle: createBalanceTransaction})
	e.route(Route{Method: "GET", Pattern: base, Read: true, Handle: listBalanceTransactions})
	e.route(Route{Method: "GET", Pattern: base + "/{transaction}", Read: true, Handle: func(c *Ctx) (any, error) {
		return customerBalanceTransaction(c)
	}})
	e.route(Route{Method: "POST", Pattern: base + "/{transaction}", Handle: updateBalanceTransaction})
}

// adjustBalance moves cu.Balance by amount and records the ledger entry. The
// caller saves cu. currency "" means the customer's currency (or usd when it
// has none, which then becomes the customer's).
func adjustBalance(c *Ctx, cu *Customer, amount int64, typ string, invoice, description *string) (*CustomerBalanceTransaction, error) {
	return adjustBalanceIn(c, cu, amount, "", typ, invoice, description, nil)
}

func adjustBalanceIn(c *Ctx, cu *Customer, amount int64, currency, typ string, invoice, description *string, metadata map[string]string) (*CustomerBalanceTransaction, error) {
	if currency == "" {
		currency = defaultCurrency
		if cu.Currency != nil {
			currency = *cu.Currency
		}
	}
	if cu.Currency == nil {
		cur := currency
		cu.Currency = &cur
	}
	id, err := c.NewID("cbtxn")
	if err != nil {
		return nil, err
	}
	if err := checkAmount(amount, "amount"); err != nil {
		return nil, err
	}
	if err := checkAmount(cu.Balance+amount, "amount"); err != nil {
		return nil, apierr.InvalidRequest("amount", "This transaction would take the customer's balance beyond what Stripe can hold.")
	}
	cu.Balance += amount
	if metadata == nil {
		metadata = map[string]string{}
	}
	t := &CustomerBalanceTransaction{
		ID: id, Object: kindBalanceTxn, Amount: amount, Created: c.Unix(), Currency: currency,
		Customer: cu.ID, Description: description, EndingBalance: cu.Balance, Invoice: invoice,
		Metadata: metadata, Type: typ,
	}
	return t, saveBalanceTransaction(c, t)
}

func saveBalanceTransaction(c *Ctx, t *CustomerBalanceTransaction) error {
	terms := []string{"customer=" + t.Customer}
	return c.save(kindBalanceTxn, t.ID, t, terms...)
}

func createBalanceTransaction(c *Ctx) (any, error) {
	p := c.Params
	cu, err := liveCustomer(c, c.Var("customer"), "id")
	if err != nil {
		return nil, err
	}
	if err := c.onCustomerTimeline(cu); err != nil {
		return nil, err
	}
	amount, err := p.RequireInt("amount")
	if err != nil {
		return nil, err
	}
	currency, err := p.Require("currency")
	if err != nil {
		return nil, err
	}
	currency = strings.ToLower(currency)
	if cu.Currency != nil && *cu.Currency != currency {
		return nil, apierr.InvalidRequest("currency", "The currency of this transaction ("+currency+") must match the customer's currency ("+*cu.Currency+").")
	}
	md, err := applyMetadata(p, nil)
	if err != nil {
		return nil, err
	}
	before := *cu
	t, err := adjustBalanceIn(c, cu, amount, currency, "adjustment", nil, p.NullableString("description"), md)
	if err != nil {
		return nil, err
	}
	if err := saveCustomer(c, cu); err != nil {
		return nil, err
	}
	if _, err := c.emitUpdated("customer.updated", &before, cu); err != nil {
		return nil, err
	}
	return t, nil
}

// customerBalanceTransaction loads the path's transaction of the path's
// customer.
func customerBalanceTransaction(c *Ctx) (*CustomerBalanceTransaction, error) {
	if _, err := get[Customer](c, kindCustomer, c.Var("customer"), "id"); err != nil {
		return nil, err
	}
	t, err := get[CustomerBalanceTransaction](c, kindBalanceTxn, c.Var("transaction"), "id")
	if err != nil {
		return nil, err
	}
	if t.Customer != c.Var("customer") {
		return nil, c.e.noSuch(kindBalanceTxn, t.ID, "id")
	}
	return t, nil
}

func updateBalanceTransaction(c *Ctx) (any, error) {
	t, err := customerBalanceTransaction(c)
	if err != nil {
		return nil, err
	}
	p := c.Params
	if p.Has("description") {
		t.Description = p.NullableString("description")
	}
	md, err := applyMetadata(p, t.Metadata)
	if err != nil {
		return nil, err
	}
	t.Metadata = md
	return t, saveBalanceTransaction(c, t)
}

func listBalanceTransactions(c *Ctx) (any, error) {
	customer := c.Var("customer")
	if _, err := get[Customer](c, kindCustomer, customer, "id"); err != nil {
		return nil, err
	}
	invoice, byInvoice := c.Params.String("invoice")
	items, err := scan(c, kindBalanceTxn, "customer="+customer, func(t *CustomerBalanceTransaction) bool {
		return !byInvoice || (t.Invoice != nil && *t.Invoice == invoice)
	})
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/customers/"+customer+"/balance_transactions", items,
		func(t *CustomerBalanceTransaction) (string, int64) { return t.ID, t.Created })
}
