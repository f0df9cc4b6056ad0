package fake

import (
	"errors"
	"time"

	"github.com/benbjohnson/clock"
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
	webhook        webhookConfig // webhook.go
}

// WithClock makes c the fake's only source of time. Default: a clock frozen
// at the real time of New, truncated to the second, that moves only through
// Advance. With a *clock.Mock, Advance moves the mock (and so fires the
// user's own timers on it); with a real clock (clock.New()) time moves by
// itself and due work runs before each request is served. Conflicts with
// WithStartTime.
func WithClock(c clock.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithStartTime starts the default frozen clock at t instead of the real
// time, for golden tests. Conflicts with WithClock.
func WithStartTime(t time.Time) Option { return func(cfg *config) { cfg.start = t } }

// WithStore keeps the fake's state in s; Close closes s. Default:
// store.NewMemory(). Use store.OpenBolt for state that outlives the fake.
func WithStore(s store.Store) Option { return func(cfg *config) { cfg.store = s } }

// WithSeed seeds the IDs the fake hands out. Default 0: the same sequence of
// calls gives the same IDs on every run. Two fakes with different seeds hand
// out different IDs.
func WithSeed(seed uint64) Option { return func(cfg *config) { cfg.seed = seed } }

// WithIdempotencyTTL sets how long, in fake time, an idempotency key is
// remembered. Default 24h, as Stripe.
func WithIdempotencyTTL(d time.Duration) Option { return func(cfg *config) { cfg.idempotencyTTL = d } }

func (cfg *config) check() error {
	if cfg.clock != nil && !cfg.start.IsZero() {
		return errors.New("fake: WithClock and WithStartTime cannot be used together; set the start time on your clock")
	}
	if cfg.idempotencyTTL < 0 {
		return errors.New("fake: WithIdempotencyTTL needs a duration of zero or more")
	}
	return nil
}
