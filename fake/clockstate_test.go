package fake_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

// openBolt starts a fake on the bbolt file at path; the caller closes it.
func openBolt(t *testing.T, path string, opts ...fake.Option) *fake.Fake {
	t.Helper()
	s, err := store.OpenBolt(path, store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	f, err := fake.Start(append([]fake.Option{fake.WithStore(s)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func subscriptionInvoices(t *testing.T, sc *stripe.Client, subID string) int {
	t.Helper()
	n := 0
	for _, err := range sc.V1Invoices.List(ctx, &stripe.InvoiceListParams{Subscription: stripe.String(subID)}).All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// A reopened store resumes the clock where the last fake left it, even under
// the same WithStartTime, so the renewal pending at close comes exactly once.
func TestReopenResumesClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	start := testfake.Start // Jan 15
	f := openBolt(t, path, fake.WithStartTime(start))
	sc := testfake.Client(f)
	cu := testfake.PayingCustomer(t, sc, "pm_card_visa", "")
	pr := testfake.RecurringPrice(t, sc, 1000, "month")
	sub, err := sc.V1Subscriptions.Create(ctx, &stripe.SubscriptionCreateParams{
		Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pr.ID)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(20 * 24 * time.Hour) // Feb 4: the renewal (Feb 15) is pending
	stopped := f.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// Same start time: it applies to a new store only.
	f = openBolt(t, path, fake.WithStartTime(start))
	if !f.Now().Equal(stopped) {
		t.Fatalf("reopened at %v, want %v", f.Now(), stopped)
	}
	sc = testfake.Client(f)
	if n := subscriptionInvoices(t, sc, sub.ID); n != 1 {
		t.Fatalf("%d invoices before the renewal, want 1", n)
	}
	f.Advance(12 * 24 * time.Hour) // Feb 16
	if n := subscriptionInvoices(t, sc, sub.ID); n != 2 {
		t.Fatalf("%d invoices after the renewal, want 2\n%s", n, f.Dump())
	}
	stopped = f.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened again with no start time: still no second run of the renewal.
	f = openBolt(t, path)
	sc = testfake.Client(f)
	if !f.Now().Equal(stopped) {
		t.Fatalf("reopened at %v, want %v", f.Now(), stopped)
	}
	if n := subscriptionInvoices(t, sc, sub.ID); n != 2 {
		t.Fatalf("%d invoices after a second reopen, want 2", n)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// A later start time moves the clock forward and runs what falls due on
	// the way: the March renewal.
	march := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	f = openBolt(t, path, fake.WithStartTime(march))
	defer f.Close()
	sc = testfake.Client(f)
	if !f.Now().Equal(march) {
		t.Fatalf("reopened at %v, want %v", f.Now(), march)
	}
	if n := subscriptionInvoices(t, sc, sub.ID); n != 3 {
		t.Fatalf("%d invoices after moving to March 20, want 3\n%s", n, f.Dump())
	}
	got, err := sc.V1Subscriptions.Retrieve(ctx, sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if start := time.Unix(got.Items.Data[0].CurrentPeriodStart, 0).UTC(); !start.Equal(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("current period starts %v, want March 15 12:00", start)
	}
}

// A fake made at a time before a reopened store's cannot go back in time:
// WithStartTime in the past is ignored.
func TestReopenNeverGoesBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	f := openBolt(t, path, fake.WithStartTime(testfake.Start))
	f.Advance(time.Hour)
	want := f.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = openBolt(t, path, fake.WithStartTime(testfake.Start.Add(-24*time.Hour)))
	defer f.Close()
	if !f.Now().Equal(want) {
		t.Errorf("reopened at %v, want %v", f.Now(), want)
	}
}

// A store keeps the IDs' seed it was first used with: a fake reopened with
// another seed mints no ID that repeats a stored one (with the new seed,
// the store's counter would soon reach IDs already used).
func TestReopenKeepsTheIDSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	seen := map[string]bool{}
	for _, seed := range []uint64{0, 1, 3} {
		f := openBolt(t, path, fake.WithSeed(seed))
		sc := testfake.Client(f)
		for range 4 {
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
			if err != nil {
				t.Fatal(err)
			}
			if seen[cu.ID] {
				t.Fatalf("seed %d: customer ID %s minted again", seed, cu.ID)
			}
			seen[cu.ID] = true
		}
		n := 0
		for _, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != len(seen) {
			t.Errorf("seed %d: %d customers listed, want %d", seed, n, len(seen))
		}
		// Every ID kind shares the counter: an event ID minted again would
		// overwrite an event.
		if got := len(f.Events()); got != len(seen) {
			t.Errorf("seed %d: %d events, want one customer.created for each of %d customers", seed, got, len(seen))
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A clock moved from outside (a *clock.Mock) is kept at Close, so a
// reopened store resumes from it, not from the last time a job or Advance
// saved.
func TestCloseKeepsAClockMovedFromOutside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripe.db")
	mock := clock.NewMock()
	mock.Set(testfake.Start)
	f := openBolt(t, path, fake.WithClock(mock))
	mock.Add(2 * time.Hour)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenBolt(path, store.BoltNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at, ok, err := resources.SavedTime(s)
	if err != nil || !ok || !at.Equal(testfake.Start.Add(2*time.Hour)) {
		t.Errorf("kept time %v (%v, %v), want %v", at, ok, err, testfake.Start.Add(2*time.Hour))
	}
}
