package resources

// White-box test of credit application: an invoice with a metered and a
// licensed line is built here and taken through finalizeInvoice (which
// applies the grants) and voidInvoice (which reinstates them); the
// subscription path is covered in subscription_metered_test.go.

import (
	"slices"
	"testing"
	"time"

	"github.com/stripefake/stripefake/internal/spec/schematest"
)

func TestCreditGrantsAppliedAndReinstated(t *testing.T) {
	e := meterEngine(t)
	var meter, prod, metered, other, licensed, cu struct{ ID string }
	meterServe(t, e, "POST", "/v1/billing/meters", map[string]any{
		"display_name": "API", "event_name": "api", "default_aggregation": map[string]any{"formula": "sum"},
	}, &meter)
	meterServe(t, e, "POST", "/v1/products", map[string]any{"name": "API"}, &prod)
	price := func(out *struct{ ID string }, usage string) {
		rec := map[string]any{"interval": "month", "usage_type": usage}
		if usage == "metered" {
			rec["meter"] = meter.ID
		}
		meterServe(t, e, "POST", "/v1/prices", map[string]any{"product": prod.ID, "currency": "usd", "unit_amount": int64(10), "recurring": rec}, out)
	}
	price(&metered, "metered")
	price(&other, "metered")
	price(&licensed, "licensed")
	meterServe(t, e, "POST", "/v1/customers", map[string]any{}, &cu)
	grant := func(value, priority int64, category string, scope map[string]any) string {
		var g struct{ ID string }
		meterServe(t, e, "POST", "/v1/billing/credit_grants", map[string]any{
			"customer": cu.ID, "amount": map[string]any{"type": "monetary", "monetary": map[string]any{"currency": "usd", "value": value}},
			"applicability_config": map[string]any{"scope": scope}, "priority": priority, "category": category,
		}, &g)
		return g.ID
	}
	anyMetered := map[string]any{"price_type": "metered"}
	paid := grant(1000, 50, "paid", anyMetered)
	promo := grant(300, 10, "promotional", anyMetered)
	onOther := grant(5000, 0, "paid", map[string]any{"prices": []any{map[string]any{"id": other.ID}}})
	samePrioPromo := grant(100, 50, "promotional", anyMetered)

	// An invoice: 1500 of metered usage, 1000 licensed.
	var invID string
	var meteredLine string
	err := e.Do(func(c *Ctx) error {
		customer, err := liveCustomer(c, cu.ID, "customer")
		if err != nil {
			return err
		}
		var lines []*LineItem
		for _, in := range []struct {
			id     string
			amount int64
		}{{metered.ID, 1500}, {licensed.ID, 1000}} {
			pr, err := loadPrice(c, in.id, "price")
			if err != nil {
				return err
			}
			l, err := newInvoiceLine(c, LineInput{Amount: in.amount, Currency: "usd", Price: pr, SubscriptionItem: "si_test"})
			if err != nil {
				return err
			}
			lines = append(lines, l)
		}
		meteredLine = lines[0].ID
		inv, err := createInvoiceFor(c, customer, InvoiceOptions{CollectionMethod: sendInvoice, Lines: lines})
		if err != nil {
			return err
		}
		invID = inv.ID
		if err := finalizeInvoice(c, inv); err != nil {
			return err
		}
		// A second application finds nothing left to credit.
		return applyCreditGrants(c, inv)
	})
	if err != nil {
		t.Fatal(err)
	}
	var inv Invoice
	_ = e.View(func(c *Ctx) error { return c.load(kindInvoice, invID, &inv) })
	if raw, err := e.render(DefaultAPIVersion, &inv); err != nil {
		t.Fatal(err)
	} else if err := schematest.ValidateObject("invoice", raw); err != nil {
		t.Errorf("credited invoice does not match the spec: %v", err)
	}
	// promo (priority 10) 300, then samePrioPromo (50, promotional before
	// paid) 100, then paid 1000; 100 of usage left uncovered.
	if inv.Subtotal != 2500 || inv.Total != 1100 || inv.AmountDue != 1100 || len(inv.TotalPretaxCreditAmounts) != 3 {
		t.Fatalf("invoice: subtotal %d total %d due %d credits %v", inv.Subtotal, inv.Total, inv.AmountDue, inv.TotalPretaxCreditAmounts)
	}
	if l := inv.Lines.Data[0]; pretaxCredited(l) != 1400 || l.Amount != 1500 {
		t.Errorf("metered line credits %v", l.PretaxCreditAmounts)
	}
	if l := inv.Lines.Data[1]; len(l.PretaxCreditAmounts) != 0 {
		t.Errorf("licensed line credited: %v", l.PretaxCreditAmounts)
	}
	wantOrder := []string{promo, samePrioPromo, paid}
	var gotOrder []string
	_ = e.View(func(c *Ctx) error {
		txns, _ := scan[CreditBalanceTransaction](c, kindCreditBalanceTxn, "invoice="+invID, nil)
		slices.Reverse(txns)
		for _, tx := range txns {
			gotOrder = append(gotOrder, tx.CreditGrant)
			if tx.Debit == nil || tx.Debit.Type != "credits_applied" || tx.Debit.CreditsApplied.InvoiceLineItem != meteredLine {
				t.Errorf("transaction %+v", tx)
			}
		}
		return nil
	})
	if !slices.Equal(gotOrder, wantOrder) {
		t.Errorf("application order %v, want %v", gotOrder, wantOrder)
	}
	remaining := func(id string) int64 {
		var g CreditGrant
		_ = e.View(func(c *Ctx) error { return c.load(kindCreditGrant, id, &g) })
		return g.Remaining
	}
	if remaining(paid) != 0 || remaining(promo) != 0 || remaining(samePrioPromo) != 0 || remaining(onOther) != 5000 {
		t.Errorf("remaining after application: %d %d %d %d", remaining(paid), remaining(promo), remaining(samePrioPromo), remaining(onOther))
	}

	// The promotional grant expires; then the invoice is voided: every
	// application comes back, the expired grant's at once written off.
	_ = e.AdvanceTo(t0.Add(time.Minute))
	if err := e.Do(func(c *Ctx) error {
		c.Vars = map[string]string{"id": promo}
		_, err := expireCreditGrantHandler(c)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.Do(func(c *Ctx) error {
		inv, err := loadInvoice(c, invID, "id")
		if err != nil {
			return err
		}
		return voidInvoice(c, inv)
	}); err != nil {
		t.Fatal(err)
	}
	if remaining(paid) != 1000 || remaining(promo) != 0 || remaining(samePrioPromo) != 100 {
		t.Errorf("remaining after void: paid %d promo %d samePrioPromo %d", remaining(paid), remaining(promo), remaining(samePrioPromo))
	}
	var kinds []string
	_ = e.View(func(c *Ctx) error {
		txns, _ := scan[CreditBalanceTransaction](c, kindCreditBalanceTxn, "credit_grant="+promo, nil)
		slices.Reverse(txns)
		for _, tx := range txns {
			if tx.Credit != nil {
				kinds = append(kinds, tx.Credit.Type)
			} else {
				kinds = append(kinds, tx.Debit.Type)
			}
		}
		return nil
	})
	if want := []string{"credits_granted", "credits_applied", "credits_application_invoice_voided", "credits_expired"}; !slices.Equal(kinds, want) {
		t.Errorf("promo grant transactions %v, want %v", kinds, want)
	}
	// A second void path call reinstates nothing twice.
	if err := e.Do(func(c *Ctx) error {
		inv, err := loadInvoice(c, invID, "id")
		if err != nil {
			return err
		}
		return reinstateCreditGrants(c, inv)
	}); err != nil {
		t.Fatal(err)
	}
	if remaining(paid) != 1000 {
		t.Errorf("reinstated twice: %d", remaining(paid))
	}
}
