package resources_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// cgMeteredPrice makes a meter and a monthly metered price on it.
func cgMeteredPrice(t *testing.T, sc *stripe.Client, event string) string {
	t.Helper()
	m := newMeter(t, sc, event, "sum")
	prod, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("API")})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
		Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(2),
		Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(m.ID)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr.ID
}

func cgGrant(sc *stripe.Client, customer string, value int64, mod func(*stripe.BillingCreditGrantCreateParams)) (*stripe.BillingCreditGrant, error) {
	p := &stripe.BillingCreditGrantCreateParams{
		Customer: stripe.String(customer),
		Amount: &stripe.BillingCreditGrantCreateAmountParams{Type: stripe.String("monetary"),
			Monetary: &stripe.BillingCreditGrantCreateAmountMonetaryParams{Currency: stripe.String("usd"), Value: stripe.Int64(value)}},
		ApplicabilityConfig: &stripe.BillingCreditGrantCreateApplicabilityConfigParams{
			Scope: &stripe.BillingCreditGrantCreateApplicabilityConfigScopeParams{PriceType: stripe.String("metered")}},
	}
	if mod != nil {
		mod(p)
	}
	return sc.V1BillingCreditGrants.Create(ctx, p)
}

func cgAvailable(t *testing.T, sc *stripe.Client, customer string, filter *stripe.BillingCreditBalanceSummaryRetrieveFilterParams) int64 {
	t.Helper()
	if filter == nil {
		filter = &stripe.BillingCreditBalanceSummaryRetrieveFilterParams{Type: stripe.String("applicability_scope"),
			ApplicabilityScope: &stripe.BillingCreditBalanceSummaryRetrieveFilterApplicabilityScopeParams{PriceType: stripe.String("metered")}}
	}
	s, err := sc.V1BillingCreditBalanceSummary.Retrieve(ctx, &stripe.BillingCreditBalanceSummaryRetrieveParams{Customer: stripe.String(customer), Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Balances) == 0 {
		return 0
	}
	b := s.Balances[0]
	if b.AvailableBalance.Monetary.Value != b.LedgerBalance.Monetary.Value || b.AvailableBalance.Monetary.Currency != "usd" {
		t.Errorf("balance %+v / %+v", b.AvailableBalance.Monetary, b.LedgerBalance.Monetary)
	}
	return b.AvailableBalance.Monetary.Value
}

// cgTxns lists the customer's credit balance transactions, oldest first,
// as "credit:credits_granted:1000" strings.
func cgTxns(t *testing.T, sc *stripe.Client, customer, grant string) []string {
	t.Helper()
	p := &stripe.BillingCreditBalanceTransactionListParams{Customer: stripe.String(customer)}
	if grant != "" {
		p.CreditGrant = stripe.String(grant)
	}
	var out []string
	for tx, err := range sc.V1BillingCreditBalanceTransactions.List(ctx, p).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tx.Credit != nil:
			out = append(out, "credit:"+string(tx.Credit.Type)+":"+itoa(tx.Credit.Amount.Monetary.Value))
		case tx.Debit != nil:
			out = append(out, "debit:"+string(tx.Debit.Type)+":"+itoa(tx.Debit.Amount.Monetary.Value))
		}
	}
	slices.Reverse(out)
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCreditGrantLifecycle(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		price := cgMeteredPrice(t, sc, "api_calls")
		cu := qtCustomer(t, sc, "")
		g, err := cgGrant(sc, cu.ID, 1000, func(p *stripe.BillingCreditGrantCreateParams) {
			p.Name = stripe.String("Welcome credit")
			p.Metadata = map[string]string{"k": "v"}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(g.ID, "credgr_test_") || g.Category != "paid" || g.Priority != 50 || g.EffectiveAt != f.Now().Unix() || g.ExpiresAt != 0 ||
			g.Amount.Monetary.Value != 1000 || g.ApplicabilityConfig.Scope.PriceType != "metered" || g.Customer.ID != cu.ID {
			t.Fatalf("created: %+v", g)
		}
		scoped, err := cgGrant(sc, cu.ID, 250, func(p *stripe.BillingCreditGrantCreateParams) {
			p.ApplicabilityConfig.Scope = &stripe.BillingCreditGrantCreateApplicabilityConfigScopeParams{
				Prices: []*stripe.BillingCreditGrantCreateApplicabilityConfigScopePriceParams{{ID: stripe.String(price)}}}
			p.Category = stripe.String("promotional")
			p.Priority = stripe.Int64(0)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sc.V1BillingCreditGrants.Retrieve(ctx, g.ID, nil); err != nil || got.Name != "Welcome credit" || got.Metadata["k"] != "v" {
			t.Fatalf("retrieve: %v %+v", err, got)
		}
		listed := ids(t, sc.V1BillingCreditGrants.List(ctx, &stripe.BillingCreditGrantListParams{Customer: stripe.String(cu.ID)}).All(ctx))
		if !slices.Equal(listed, []string{scoped.ID, g.ID}) {
			t.Errorf("list %v", listed)
		}
		if n := cgAvailable(t, sc, cu.ID, nil); n != 1000 {
			t.Errorf("metered-scope balance %d, want 1000", n)
		}
		byPrice := &stripe.BillingCreditBalanceSummaryRetrieveFilterParams{Type: stripe.String("applicability_scope"),
			ApplicabilityScope: &stripe.BillingCreditBalanceSummaryRetrieveFilterApplicabilityScopeParams{
				Prices: []*stripe.BillingCreditBalanceSummaryRetrieveFilterApplicabilityScopePriceParams{{ID: stripe.String(price)}}}}
		if n := cgAvailable(t, sc, cu.ID, byPrice); n != 250 {
			t.Errorf("price-scope balance %d, want 250", n)
		}
		byGrant := &stripe.BillingCreditBalanceSummaryRetrieveFilterParams{Type: stripe.String("credit_grant"), CreditGrant: stripe.String(g.ID)}
		if n := cgAvailable(t, sc, cu.ID, byGrant); n != 1000 {
			t.Errorf("grant balance %d, want 1000", n)
		}

		// Update: expires_at and metadata, one billing.credit_grant.updated.
		at := f.Now().Add(48 * time.Hour).Unix()
		n := len(f.Events())
		g, err = sc.V1BillingCreditGrants.Update(ctx, g.ID, &stripe.BillingCreditGrantUpdateParams{ExpiresAt: stripe.Int64(at), Metadata: map[string]string{"k2": "v2"}})
		if err != nil || g.ExpiresAt != at || g.Metadata["k2"] != "v2" || g.Metadata["k"] != "v" {
			t.Fatalf("update: %v %+v", err, g)
		}
		if got := eventsSince(f, n); !slices.Equal(got, []string{"billing.credit_grant.updated"}) {
			t.Errorf("update events %v", got)
		}

		// Void the scoped grant; expire the other by its own expires_at.
		n = len(f.Events())
		v, err := sc.V1BillingCreditGrants.VoidGrant(ctx, scoped.ID, nil)
		if err != nil || v.VoidedAt != f.Now().Unix() {
			t.Fatalf("void: %v %+v", err, v)
		}
		if got := eventsSince(f, n); !slices.Equal(got, []string{"billing.credit_grant.updated", "billing.credit_balance_transaction.created"}) {
			t.Errorf("void events %v", got)
		}
		_, err = sc.V1BillingCreditGrants.VoidGrant(ctx, scoped.ID, nil)
		stripeErr(t, err, 400, "", "", "You cannot void credit grant "+scoped.ID+" because it has been voided.")
		f.Advance(47 * time.Hour)
		if n := cgAvailable(t, sc, cu.ID, nil); n != 1000 {
			t.Errorf("before expiry %d", n)
		}
		f.Advance(time.Hour)
		if n := cgAvailable(t, sc, cu.ID, nil); n != 0 {
			t.Errorf("after expiry %d", n)
		}
		_, err = sc.V1BillingCreditGrants.Expire(ctx, g.ID, nil)
		stripeErr(t, err, 400, "", "", "You cannot expire credit grant "+g.ID+" because it has expired.")
		want := []string{"credit:credits_granted:1000", "credit:credits_granted:250", "debit:credits_voided:250", "debit:credits_expired:1000"}
		if got := cgTxns(t, sc, cu.ID, ""); !slices.Equal(got, want) {
			t.Errorf("transactions\n got %v\nwant %v", got, want)
		}
		if got := cgTxns(t, sc, cu.ID, g.ID); !slices.Equal(got, []string{want[0], want[3]}) {
			t.Errorf("transactions of %s: %v", g.ID, got)
		}
	})
}

func TestCreditGrantExpireNowAndErrors(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		price := cgMeteredPrice(t, sc, "tokens")
		cu := qtCustomer(t, sc, "")
		_, once, _ := qtPrices(t, sc, 100, 0)
		n := len(f.Events())
		for _, tc := range []struct {
			name  string
			mod   func(*stripe.BillingCreditGrantCreateParams)
			param string
		}{
			{"licensed price", func(p *stripe.BillingCreditGrantCreateParams) {
				p.ApplicabilityConfig.Scope = &stripe.BillingCreditGrantCreateApplicabilityConfigScopeParams{
					Prices: []*stripe.BillingCreditGrantCreateApplicabilityConfigScopePriceParams{{ID: stripe.String(once)}}}
			}, "applicability_config[scope][prices][0][id]"},
			{"both scopes", func(p *stripe.BillingCreditGrantCreateParams) {
				p.ApplicabilityConfig.Scope.Prices = []*stripe.BillingCreditGrantCreateApplicabilityConfigScopePriceParams{{ID: stripe.String(price)}}
			}, "applicability_config[scope][price_type]"},
			{"priority", func(p *stripe.BillingCreditGrantCreateParams) { p.Priority = stripe.Int64(101) }, "priority"},
			{"past expiry", func(p *stripe.BillingCreditGrantCreateParams) { p.ExpiresAt = stripe.Int64(f.Now().Unix()) }, "expires_at"},
			{"no customer", func(p *stripe.BillingCreditGrantCreateParams) { p.Customer = nil }, "customer"},
		} {
			_, err := cgGrant(sc, cu.ID, 100, tc.mod)
			if err == nil {
				t.Errorf("%s: no error", tc.name)
				continue
			}
			if got := errParam(err); got != tc.param {
				t.Errorf("%s: param %q, want %q (%v)", tc.name, got, tc.param, err)
			}
		}
		if len(f.Events()) != n {
			t.Error("failed creates emitted events")
		}
		g, err := cgGrant(sc, cu.ID, 700, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.Advance(time.Minute)
		g, err = sc.V1BillingCreditGrants.Expire(ctx, g.ID, nil)
		if err != nil || g.ExpiresAt != f.Now().Unix() {
			t.Fatalf("expire: %v %+v", err, g)
		}
		if got := cgTxns(t, sc, cu.ID, ""); !slices.Equal(got, []string{"credit:credits_granted:700", "debit:credits_expired:700"}) {
			t.Errorf("transactions %v", got)
		}
		_, err = sc.V1BillingCreditGrants.Retrieve(ctx, "credgr_test_missing", nil)
		stripeErr(t, err, 404, "resource_missing", "id", "")
	})
}

func TestCreditGrantOnTestClock(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		cgMeteredPrice(t, sc, "calls")
		frozen := time.Date(2032, 6, 1, 0, 0, 0, 0, time.UTC)
		tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		cu := qtCustomer(t, sc, tc.ID)
		g, err := cgGrant(sc, cu.ID, 500, func(p *stripe.BillingCreditGrantCreateParams) {
			p.EffectiveAt = stripe.Int64(frozen.Add(24 * time.Hour).Unix())
			p.ExpiresAt = stripe.Int64(frozen.Add(72 * time.Hour).Unix())
		})
		if err != nil {
			t.Fatal(err)
		}
		if g.Created != frozen.Unix() || g.TestClock == nil || g.TestClock.ID != tc.ID {
			t.Fatalf("grant on clock: created %d clock %+v", g.Created, g.TestClock)
		}
		if n := cgAvailable(t, sc, cu.ID, nil); n != 0 {
			t.Errorf("not yet effective: %d", n)
		}
		advance := func(d time.Duration) {
			t.Helper()
			if _, err := advanceClock(sc, tc.ID, frozen.Add(d)); err != nil {
				t.Fatal(err)
			}
		}
		advance(24 * time.Hour)
		if n := cgAvailable(t, sc, cu.ID, nil); n != 500 {
			t.Errorf("effective: %d", n)
		}
		f.Advance(30 * 24 * time.Hour) // the fake's clock does not expire it
		if n := cgAvailable(t, sc, cu.ID, nil); n != 500 {
			t.Errorf("after the fake's clock moved: %d", n)
		}
		advance(72 * time.Hour)
		if n := cgAvailable(t, sc, cu.ID, nil); n != 0 {
			t.Errorf("after expiry: %d", n)
		}
		if got := cgTxns(t, sc, cu.ID, ""); !slices.Equal(got, []string{"credit:credits_granted:500", "debit:credits_expired:500"}) {
			t.Errorf("transactions %v", got)
		}
	})
}
