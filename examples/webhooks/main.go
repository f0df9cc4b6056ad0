// Command webhooks runs a small subscription service whose webhook handler
// keeps accounts in step with Stripe, against a fake Stripe: signup with a
// trial, the trial's end, a renewal and a failed payment, each reaching the
// handler as a signed webhook before the call that caused it returns.
// service_test.go is the same flow as an end-to-end test.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	ctx := context.Background()
	f, err := fake.Start(fake.WithStartTime(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := stripe.NewClient("sk_test_webhooks", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(f.URL()),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))

	svc := NewService(sc)
	srv := httptest.NewServer(svc) // the service's own HTTP server, as in production
	defer srv.Close()
	if err := svc.Setup(ctx, srv.URL+"/stripe/webhooks"); err != nil {
		return err
	}

	acct, err := svc.Signup(ctx, "ada@example.com", "pm_card_visa")
	if err != nil {
		return err
	}
	show := func(step string) {
		a, _ := svc.Account(acct.CustomerID)
		fmt.Fprintf(out, "%-28s %s  status=%-9s paid=%d failed=%d trial_ending=%v\n", step,
			f.Now().UTC().Format("2006-01-02"), a.Status, a.PaidInvoices, a.FailedPayments, a.TrialEnding)
	}
	show("signed up")

	f.Advance((TrialDays - 3) * 24 * time.Hour)
	show("3 days before the trial ends")

	f.Advance(3*24*time.Hour + 2*time.Hour) // the trial ends; the first invoice is paid an hour later
	show("trial over")

	f.AdvanceTo(f.Now().AddDate(0, 1, 0))
	show("renewed")

	if err := svc.ChangePaymentMethod(ctx, acct.CustomerID, "pm_card_chargeCustomerFail"); err != nil {
		return err
	}
	f.AdvanceTo(f.Now().AddDate(0, 1, 0))
	show("renewal with a failing card")

	a, _ := svc.Account(acct.CustomerID)
	fmt.Fprintln(out, "webhook events the handler saw:")
	for _, ev := range a.Events {
		fmt.Fprintln(out, "  "+ev)
	}
	return nil
}
