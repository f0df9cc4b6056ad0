package resources_test

import (
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestCustomerBalanceTransactions(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		if err != nil {
			t.Fatal(err)
		}
		credit, err := sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(-500), Currency: stripe.String("USD"),
			Description: stripe.String("goodwill"), Params: stripe.Params{Metadata: map[string]string{"ticket": "T-1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if credit.Amount != -500 || credit.EndingBalance != -500 || credit.Currency != "usd" || credit.Type != "adjustment" ||
			credit.Customer.ID != cu.ID || credit.Description != "goodwill" || credit.Metadata["ticket"] != "T-1" {
			t.Errorf("credit %+v", credit)
		}
		debit, err := sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(200), Currency: stripe.String("usd"),
		})
		if err != nil || debit.EndingBalance != -300 {
			t.Fatalf("debit %v %+v", err, debit)
		}
		got, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if err != nil || got.Balance != -300 || got.Currency != "usd" {
			t.Fatalf("customer after: %v balance=%d currency=%q", err, got.Balance, got.Currency)
		}
		// The customer's currency is now fixed.
		_, err = sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(1), Currency: stripe.String("eur"),
		})
		stripeErr(t, err, 400, "", "currency", "")
		_, err = sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Currency: stripe.String("usd"),
		})
		stripeErr(t, err, 400, "parameter_missing", "amount", "Missing required param: amount.")
		_, err = sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String("cus_nope"), Amount: stripe.Int64(1), Currency: stripe.String("usd"),
		})
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer: 'cus_nope'")

		// Only description and metadata change afterwards.
		up, err := sc.V1CustomerBalanceTransactions.Update(ctx, credit.ID, &stripe.CustomerBalanceTransactionUpdateParams{
			Customer: stripe.String(cu.ID), Description: stripe.String("renamed"),
		})
		if err != nil || up.Description != "renamed" || up.Amount != -500 || up.Metadata["ticket"] != "T-1" {
			t.Fatalf("update %v %+v", err, up)
		}
		r, err := sc.V1CustomerBalanceTransactions.Retrieve(ctx, credit.ID, &stripe.CustomerBalanceTransactionRetrieveParams{Customer: stripe.String(cu.ID)})
		if err != nil || r.Description != "renamed" {
			t.Fatalf("retrieve %v %+v", err, r)
		}
		other, _ := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
		_, err = sc.V1CustomerBalanceTransactions.Retrieve(ctx, credit.ID, &stripe.CustomerBalanceTransactionRetrieveParams{Customer: stripe.String(other.ID)})
		stripeErr(t, err, 404, stripe.ErrorCodeResourceMissing, "id", "No such customer_balance_transaction: '"+credit.ID+"'")

		listed := ids(t, sc.V1CustomerBalanceTransactions.List(ctx, &stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}).All(ctx))
		if len(listed) != 2 || listed[0] != debit.ID || listed[1] != credit.ID {
			t.Errorf("list %v", listed)
		}
		// customer.updated for each balance move, with the old balance.
		var balances []any
		for _, ev := range f.Events() {
			if ev.Type == "customer.updated" {
				balances = append(balances, ev.PreviousAttributes["balance"])
			}
		}
		if len(balances) != 2 || balances[0] != float64(0) || balances[1] != float64(-500) {
			t.Errorf("customer.updated previous balances %v", balances)
		}
	})
}

func TestCustomerBalanceOnCreateAndUpdate(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Balance: stripe.Int64(1000)})
		if err != nil || cu.Balance != 1000 || cu.Currency != "usd" {
			t.Fatalf("create %v %+v", err, cu)
		}
		cu, err = sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Balance: stripe.Int64(250)})
		if err != nil || cu.Balance != 250 {
			t.Fatalf("update %v %+v", err, cu)
		}
		var types []string
		var amounts []int64
		for txn, err := range sc.V1CustomerBalanceTransactions.List(ctx, &stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cu.ID)}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, string(txn.Type))
			amounts = append(amounts, txn.Amount)
		}
		if len(types) != 2 || types[0] != "adjustment" || amounts[0] != -750 || types[1] != "initial" || amounts[1] != 1000 {
			t.Errorf("ledger %v %v", types, amounts)
		}
	})
}

func TestCustomerBalanceBounds(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Balance: stripe.Int64(9223372036854775807)})
		stripeErr(t, err, 400, "", "balance", "")
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Balance: stripe.Int64(99_999_999_999)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1CustomerBalanceTransactions.Create(ctx, &stripe.CustomerBalanceTransactionCreateParams{
			Customer: stripe.String(cu.ID), Amount: stripe.Int64(1), Currency: stripe.String("usd"),
		})
		stripeErr(t, err, 400, "", "amount", "")
		got, _ := sc.V1Customers.Retrieve(ctx, cu.ID, nil)
		if got.Balance != 99_999_999_999 {
			t.Errorf("balance moved to %d", got.Balance)
		}
	})
}
