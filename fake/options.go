package fake

import (
	"errors"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/resources"
	"github.com/stripefake/stripefake/store"
)

// Option configures a Fake. Options are applied in order by New and Start;
// the configuration is frozen once they return.
type Option func(*config)

type config struct {
	clock          clock.Clock
	start          time.Time
	store          store.Store
	seed           uint64
	idempotencyTTL time.Duration
	baseURL        string        // WithBaseURL: baseurl.go
	webhook        webhookConfig // webhook.go
	subscriptions  []func(*resources.SubscriptionsConfig)
	invoicing      []func(*resources.InvoicingConfig)
	quotes         []func(*resources.QuotesConfig)
	portal         []func(*resources.PortalConfig)
	apiVersion     string // version.go
	requestLog     int    // WithRequestLog: requestlog.go
}

// WithPortal changes the customer portal's settings: fn gets the defaults
// (resources.DefaultPortalConfig: a session not opened within 5 minutes
// expires; once opened it stays usable for an hour) and changes what the
// test needs.
func WithPortal(fn func(c *resources.PortalConfig)) Option {
	return func(cfg *config) { cfg.portal = append(cfg.portal, fn) }
}

// WithQuotes changes the quote lifecycle's settings: fn gets the defaults
// (resources.DefaultQuotesConfig: quotes expire 30 days after creation; an
// accepted one-time quote's invoice starts as a draft that finalizes an hour
// later) and changes what the test needs.
func WithQuotes(fn func(c *resources.QuotesConfig)) Option {
	return func(cfg *config) { cfg.quotes = append(cfg.quotes, fn) }
}

// WithSubscriptions changes the subscription lifecycle's settings: fn gets
// Stripe's defaults (resources.DefaultSubscriptionsConfig: Smart Retries'
// eight tries over two weeks, then cancel; trial_will_end three days ahead;
// incomplete subscriptions expire after 23 hours; invoice.upcoming seven
// days before each renewal) and changes what the test needs, e.g.
// c.FinalAction = "unpaid".
func WithSubscriptions(fn func(c *resources.SubscriptionsConfig)) Option {
	return func(cfg *config) { cfg.subscriptions = append(cfg.subscriptions, fn) }
}

// WithInvoicing changes the invoice lifecycle's settings: fn gets Stripe's
// defaults (resources.DefaultInvoicingConfig: drafts finalize an hour after
// creation, send_invoice terms of 30 days, retries of failed standalone
// invoices) and changes what the test needs.
func WithInvoicing(fn func(c *resources.InvoicingConfig)) Option {
	return func(cfg *config) { cfg.invoicing = append(cfg.invoicing, fn) }
}

// WithClock makes c the fake's only source of time. Default: a clock frozen
// at the real time of New, truncated to the second, that moves only through
// Advance. With a *clock.Mock, Advance moves the mock (and so fires the
// user's own timers on it); with a real clock (clock.New()) time moves by
// itself and due work runs before each request is served (Advance then
// fails the test: it cannot move it). A *clock.Mock is moved to each due
// job's time in turn, and benbjohnson's Mock.Set sleeps a millisecond of
// real time on each move; the default clock costs nothing. On a reopened
// store that kept a later time, a clock the fake can move is brought
// forward to it. Conflicts with WithStartTime.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithStartTime starts the default frozen clock at t instead of the real
// time, for golden tests. It applies to a new store: a fake reopened on a
// store that kept an earlier fake's state (store.OpenBolt) resumes that
// fake's clock, and t only moves it forward, running what falls due on the
// way, never back. Conflicts with WithClock.
func WithStartTime(t time.Time) Option { return func(cfg *config) { cfg.start = t } }

// WithStore keeps the fake's state in s; Close closes s. Default:
// store.NewMemory(). Use store.OpenBolt for state that outlives the fake.
func WithStore(s store.Store) Option { return func(cfg *config) { cfg.store = s } }

// WithSeed seeds the IDs the fake hands out. Default 0: the same sequence of
// calls gives the same IDs on every run. Two fakes with different seeds hand
// out different IDs. A store keeps the seed it was first used with: a fake
// reopened on a bbolt file (the server's -db) goes on with that seed's IDs,
// whatever its own, so that none repeats a stored one; Reset empties the
// store and goes back to this seed.
func WithSeed(seed uint64) Option { return func(cfg *config) { cfg.seed = seed } }

// WithIdempotencyTTL sets how long, in fake time, an idempotency key is
// remembered. Default 24h, as Stripe.
func WithIdempotencyTTL(d time.Duration) Option { return func(cfg *config) { cfg.idempotencyTTL = d } }

func (cfg *config) check() error {
	if cfg.clock != nil && !cfg.start.IsZero() {
		return errors.New("fake: WithClock and WithStartTime cannot be used together; set the start time on your clock")
	}
	if cfg.apiVersion != "" {
		if _, err := apiversion.Parse(cfg.apiVersion); err != nil {
			return errors.New("fake: WithAPIVersion: " + err.Error())
		}
	}
	if cfg.idempotencyTTL < 0 {
		return errors.New("fake: WithIdempotencyTTL needs a duration of zero or more")
	}
	if err := checkRequestLog(cfg.requestLog); err != nil {
		return err
	}
	if err := checkBaseURL(cfg.baseURL); err != nil {
		return err
	}
	return nil
}
