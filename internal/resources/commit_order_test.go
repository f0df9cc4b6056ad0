package resources_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

// hookStore runs a hook, once, just before the next write transaction
// begins: a deterministic way to slip an Advance between a request's start
// and its commit.
type hookStore struct {
	store.Store
	mu   sync.Mutex
	hook func()
}

func (s *hookStore) beforeNextUpdate(fn func()) {
	s.mu.Lock()
	s.hook = fn
	s.mu.Unlock()
}

func (s *hookStore) Update(fn func(store.Tx) error) error {
	s.mu.Lock()
	h := s.hook
	s.hook = nil
	s.mu.Unlock()
	if h != nil {
		h()
	}
	return s.Store.Update(fn)
}

// A write stamps its time in commit order: a request whose transaction
// begins after an Advance has run due work carries a time no earlier than
// that work's, so created and event times never run against the order
// things happened in.
func TestWritesStampTimesInCommitOrder(t *testing.T) {
	for _, b := range testfake.Backends {
		t.Run(string(b), func(t *testing.T) {
			hs := &hookStore{Store: testfake.Open(t, b)}
			f := fake.New(t, fake.WithStore(hs), fake.WithStartTime(testfake.Start))
			sc := testfake.Client(f)
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
			if err != nil {
				t.Fatal(err)
			}
			// A send_invoice draft that finalizes itself an hour from now.
			inv, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{
				Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(true),
				CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30),
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sc.V1InvoiceItems.Create(ctx, &stripe.InvoiceItemCreateParams{
				Customer: stripe.String(cu.ID), Invoice: stripe.String(inv.ID), Amount: stripe.Int64(500), Currency: stripe.String("usd"),
			}); err != nil {
				t.Fatal(err)
			}

			// The next request's transaction waits for a two-hour Advance,
			// which finalizes the invoice at +1h.
			hs.beforeNextUpdate(func() { f.Advance(2 * time.Hour) })
			late, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
			if err != nil {
				t.Fatal(err)
			}
			if want := testfake.Start.Add(2 * time.Hour).Unix(); late.Created != want {
				t.Errorf("customer committed after the Advance: created %d, want %d (the clock when it committed)", late.Created, want)
			}
			if got, err := sc.V1Invoices.Retrieve(ctx, inv.ID, nil); err != nil || got.Status != "open" {
				t.Fatalf("invoice not finalized by the Advance: %v %+v", err, got)
			}
			var last time.Time
			for _, ev := range f.Events() { // commit order
				if ev.Created.Before(last) {
					t.Errorf("%s %s created %s, before the event committed ahead of it (%s)", ev.Type, ev.ObjectID, ev.Created.UTC(), last.UTC())
				}
				last = ev.Created
			}
		})
	}
}
