// Package fake is stripefake's public API: a stateful, in-process fake of
// the Stripe API served over HTTP for the official stripe-go client.
//
//	f := fake.New(t)
//	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(
//		stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(f.URL())})))
//
// Time is frozen until the test moves it with Advance; every piece of work
// that falls due runs before Advance returns.
package fake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Fake is a running fake Stripe API. Its methods are safe for concurrent use.
type Fake struct {
	srv    *httptest.Server
	engine *resources.Engine
	store  store.Store
	clock  *clockwork.Time
	tb     testing.TB // nil for Start

	log requestLog // the answered requests: requestlog.go

	faults   faultSet       // injected failures: faults.go
	webhooks *webhookSender // delivery attempts: webhook.go
	control  controlState   // the control API: control.go
	bodies   bodyReads      // request bodies being read: bodies.go

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool // read by the in-process transport: inprocess.go
}

// New starts a fake for a test: an httptest server on loopback whose Close
// is registered with tb.Cleanup as soon as it exists. Setup errors fail the
// test.
func New(tb testing.TB, opts ...Option) *Fake {
	tb.Helper()
	f, err := start(tb, opts)
	if err != nil {
		tb.Fatalf("fake.New: %v", err)
	}
	return f
}

// Start starts a fake outside a test (TestMain, a cmd). Call Close when
// done.
func Start(opts ...Option) (*Fake, error) { return start(nil, opts) }

func start(tb testing.TB, opts []Option) (*Fake, error) {
	cfg := config{idempotencyTTL: 24 * time.Hour, requestLog: defaultRequestLog}
	for _, o := range opts {
		o(&cfg)
	}
	err := cfg.check()
	if err == nil {
		err = cfg.webhook.check()
	}
	if err != nil {
		if cfg.store != nil {
			_ = cfg.store.Close()
		}
		return nil, err
	}
	if cfg.store == nil {
		cfg.store = store.NewMemory()
	}
	forward, err := cfg.resumeClock()
	if err != nil {
		_ = cfg.store.Close()
		return nil, err
	}
	f := &Fake{store: cfg.store, clock: clockwork.NewTime(cfg.clock), tb: tb}
	f.log.max = cfg.requestLog
	rc := resources.DefaultConfig()
	rc.Seed = cfg.seed
	rc.IdempotencyTTL = cfg.idempotencyTTL
	if cfg.apiVersion != "" {
		rc.APIVersion, _ = apiversion.Parse(cfg.apiVersion) // checked above
	}
	for _, fn := range cfg.subscriptions {
		fn(&rc.Subscriptions)
	}
	for _, fn := range cfg.invoicing {
		fn(&rc.Invoicing)
	}
	for _, fn := range cfg.quotes {
		fn(&rc.Quotes)
	}
	for _, fn := range cfg.portal {
		fn(&rc.Portal)
	}
	f.engine = resources.NewEngine(cfg.store, f.clock, rc)
	if err := f.engine.KeepSeed(); err != nil {
		_ = cfg.store.Close()
		return nil, fmt.Errorf("fake: reading the IDs' seed: %w", err)
	}
	if err := f.engine.BeginRequestIDs(); err != nil {
		_ = cfg.store.Close()
		return nil, fmt.Errorf("fake: numbering requests: %w", err)
	}
	f.webhooks = newWebhookSender(cfg.webhook, &f.faults, tb)
	f.engine.SetWebhooks(resources.Webhooks{Send: f.webhooks.send, Retries: cfg.webhook.retries})
	f.engine.SetJobDropped(f.jobDropped)
	f.srv = newServer(f)
	f.engine.SetBaseURL(cmp.Or(cfg.baseURL, f.srv.URL))
	if err := f.startClock(forward); err != nil {
		_ = f.Close()
		return nil, err
	}
	if tb != nil {
		tb.Cleanup(func() {
			if err := f.Close(); err != nil {
				tb.Errorf("fake: close: %v", err)
			}
		})
	}
	return f, nil
}

// newServer is the one place the HTTP server is made, so that it can move
// to httptest.NewTestServer when the project moves to Go 1.27.
func newServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

// URL is the base URL to give stripe-go: stripe.BackendConfig{URL: &url}.
// All four stripe-go backends (api, uploads, connect, meter events) can
// point at it.
func (f *Fake) URL() string { return f.srv.URL }

// Handler returns the fake's HTTP handler, for serving it yourself.
func (f *Fake) Handler() http.Handler { return f }

// Close stops the server and closes the store. It is idempotent.
func (f *Fake) Close() error {
	f.closeOnce.Do(func() {
		f.closed.Store(true)
		f.bodies.close() // a stalled upload must not keep Close waiting
		f.srv.Close()
		f.log.reset(true)
		// Requests do not save the clock, so a clock moved from outside (a
		// *clock.Mock, a real clock) is kept now, for a reopened store to
		// resume from. Best effort: a store its owner closed already has
		// nothing to keep it in.
		_ = f.engine.SaveTime()
		f.closeErr = f.store.Close()
	})
	return f.closeErr
}

// Now returns the fake's current time.
func (f *Fake) Now() time.Time { return f.clock.Now() }

// Advance moves the fake's clock forward by d and, before returning, runs on
// the caller's goroutine every job on the fake's own timeline that falls due,
// in due-time order, each with the clock at its due time. Objects on Stripe
// test clocks are not moved. A failing job fails the test (or panics for a
// fake made with Start).
func (f *Fake) Advance(d time.Duration) {
	if d < 0 {
		f.fail(errors.New("fake: Advance needs a duration of zero or more; time does not go back"))
		return
	}
	f.AdvanceTo(f.Now().Add(d))
}

// AdvanceTo is Advance to an instant; an instant in the past runs what is
// due and leaves the clock where it is.
func (f *Fake) AdvanceTo(t time.Time) {
	if !f.clock.Settable() {
		f.fail(errors.New("fake: Advance needs a clock it can move (the default, or a *clock.Mock); a real clock moves by itself and due work runs before each request"))
		return
	}
	if err := f.engine.AdvanceTo(t); err != nil {
		f.fail(err)
	}
}

// fatal reports a mistake in the test's use of the fake that makes going on
// pointless: it stops the test, or panics for a fake made with Start (as
// regexp.MustCompile does).
func (f *Fake) fatal(err error) {
	if f.tb != nil {
		f.tb.Helper()
		f.tb.Fatalf("%v", err)
		return
	}
	panic(err)
}

func (f *Fake) fail(err error) {
	if f.tb != nil {
		f.tb.Helper()
		f.tb.Errorf("%v", err)
		return
	}
	panic(err)
}

// jobDropped reports a scheduled job that failed a business rule and was
// dropped (a schedule's phase change that would set more than 50 metadata
// keys, say): the test fails, as the fake could not do what Stripe would
// have, but later requests and Advance go on. Without a test it is logged.
func (f *Fake) jobDropped(err error) {
	if f.tb != nil {
		f.tb.Errorf("%v", err)
		return
	}
	log.Printf("%v", err)
}

// Dump returns a text view of pending scheduled work, then of the stored
// objects, events and webhook deliveries, for failure messages.
func (f *Fake) Dump() string {
	jobs, err := f.engine.Jobs()
	if err != nil {
		return fmt.Sprintf("stripefake: reading jobs: %v\n", err)
	}
	return fmt.Sprintf("stripefake at %s\n%s%s", f.Now().UTC().Format(time.RFC3339), scheduler.Dump(jobs), f.dumpState())
}

// Routes returns the endpoints the fake implements, as "METHOD /path/{param}".
func (f *Fake) Routes() []string { return f.engine.Routes() }

// Request is one API request the fake answered, as recorded for assertions.
type Request struct {
	Method         string
	Path           string
	Route          string     // the spec pattern it matched, e.g. /v1/customers/{customer}; "" if none
	Params         url.Values // raw bracketed keys, e.g. metadata[order_id]
	Header         http.Header
	IdempotencyKey string
	StripeVersion  string // the version served
	RequestID      string
	Status         int
	Response       []byte // the response body
}

// Requests returns copies of the requests answered so far, oldest first:
// the newest 10,000 unless WithRequestLog says otherwise, none after Close.
// Authorization headers carry masked keys.
func (f *Fake) Requests() []Request {
	out, _ := f.log.all()
	return out
}

// Event is one event the fake wrote, as recorded for assertions.
type Event struct {
	ID                 string
	Type               string
	Created            time.Time
	APIVersion         string
	ObjectID           string          // the ID of data.object
	Object             json.RawMessage // data.object
	PreviousAttributes map[string]any  // data.previous_attributes on *.updated
	RequestID          string          // "" for automatic processes
	PendingWebhooks    int64           // endpoints not yet delivered to successfully
}

// Events returns copies of every event written so far, oldest first.
func (f *Fake) Events() []Event {
	var out []Event
	err := f.engine.Events(func(ev *resources.Event) {
		e := Event{
			ID: ev.ID, Type: ev.Type, Created: time.Unix(ev.Created, 0), APIVersion: ev.APIVersion,
			ObjectID: ev.ObjectID(), Object: append(json.RawMessage(nil), ev.Data.Object...),
			PreviousAttributes: ev.Data.PreviousAttributes, PendingWebhooks: ev.PendingWebhooks,
		}
		if ev.Request.ID != nil {
			e.RequestID = *ev.Request.ID
		}
		out = append(out, e)
	})
	if err != nil {
		f.fail(err)
	}
	return out
}
