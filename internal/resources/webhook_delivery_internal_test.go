package resources

// White-box tests of the coupling between webhook delivery and invoice
// finalization: the hook must fire once every delivery of invoice.created
// has settled, with the time on the invoice's timeline.

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

type settled struct {
	invoice string
	at      time.Time
}

// hookEngine returns an engine whose sender answers with status(n) for the
// n-th attempt, with the finalization hook recording its calls.
func hookEngine(t *testing.T, status func(n int) int) (*Engine, *clockwork.Frozen, func() []settled) {
	t.Helper()
	clk := clockwork.NewFrozen(t0)
	e := NewEngine(store.NewMemory(), clockwork.NewTime(clk), DefaultConfig())
	t.Cleanup(func() { _ = e.Store().Close() })
	var mu sync.Mutex
	n := 0
	e.SetWebhooks(Webhooks{Send: func(WebhookRequest) WebhookResponse {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		return WebhookResponse{Status: status(k)}
	}})
	var calls []settled
	saved := afterInvoiceCreatedDelivered
	afterInvoiceCreatedDelivered = func(c *Ctx, invoiceID string, at time.Time) error {
		calls = append(calls, settled{invoiceID, at})
		return nil
	}
	t.Cleanup(func() { afterInvoiceCreatedDelivered = saved })
	return e, clk, func() []settled { return append([]settled(nil), calls...) }
}

func addEndpoint(t *testing.T, e *Engine, events ...any) {
	t.Helper()
	if err := e.Do(func(c *Ctx) error {
		c.Params = NewParams(map[string]any{"url": "https://example.com/hooks", "enabled_events": events})
		_, err := createWebhookEndpoint(c)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func emitInvoiceCreated(t *testing.T, e *Engine, timeline string, now time.Time) {
	t.Helper()
	if err := e.Do(func(c *Ctx) error {
		c.timeline, c.now = timeline, now
		return c.emit("invoice.created", map[string]any{"id": "in_1", "object": "invoice"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestInvoiceCreatedDeliveryMovesFinalizationOnceAllSettled(t *testing.T) {
	// Endpoint A fails its first attempt; B succeeds at once.
	e, _, calls := hookEngine(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	addEndpoint(t, e, "invoice.created")
	addEndpoint(t, e, "*")
	emitInvoiceCreated(t, e, scheduler.DefaultTimeline, t0)
	if got := calls(); len(got) != 0 {
		t.Fatalf("hook ran while a delivery was pending: %v", got)
	}
	if err := e.AdvanceTo(t0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := calls()
	if len(got) != 1 || got[0].invoice != "in_1" || !got[0].at.Equal(t0.Add(time.Hour)) {
		t.Errorf("hook calls %v, want one for in_1 at the retry (+1h)", got)
	}
}

func TestInvoiceCreatedDeliveryAfterLastFailedRetry(t *testing.T) {
	e, _, calls := hookEngine(t, func(int) int { return http.StatusGone })
	e.deliver.Retries = []time.Duration{time.Minute, time.Minute}
	addEndpoint(t, e, "invoice.created")
	emitInvoiceCreated(t, e, scheduler.DefaultTimeline, t0)
	if err := e.AdvanceTo(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 1 || !got[0].at.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("hook calls %v, want one after the last retry (+2m)", got)
	}
}

func TestInvoiceCreatedOnTestClockMapsDeliveryTime(t *testing.T) {
	// The invoice lives on a test clock a month ahead of the fake's clock;
	// its delivery (and retry) run on the fake's clock, and the hook hears
	// the test-clock time plus the time delivery took.
	e, _, calls := hookEngine(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	addEndpoint(t, e, "invoice.created")
	clockTime := t0.AddDate(0, 1, 0)
	emitInvoiceCreated(t, e, "clock_1", clockTime)
	ds, err := e.WebhookDeliveries()
	if err != nil || len(ds) != 1 || !ds[0].Attempts[0].At.Equal(t0) || !ds[0].NextRetry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("deliveries %+v %v: retries belong on the fake's clock", ds, err)
	}
	if err := e.AdvanceTo(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 1 || !got[0].at.Equal(clockTime.Add(time.Hour)) {
		t.Errorf("hook calls %v, want clock time +1h", got)
	}
}

func TestOtherEventsDoNotCallTheHook(t *testing.T) {
	e, _, calls := hookEngine(t, func(int) int { return http.StatusOK })
	addEndpoint(t, e, "*")
	if err := e.Do(func(c *Ctx) error {
		return c.emit("invoice.finalized", map[string]any{"id": "in_1", "object": "invoice"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 0 {
		t.Errorf("hook calls %v", got)
	}
}
