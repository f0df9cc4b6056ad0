// Package testfake is the project's own test harness: it starts a fake on
// each store backend, hands out a stripe-go v85 client pointed at it, and at
// cleanup checks every JSON response the fake produced against the Stripe
// OpenAPI spec's schema for its endpoint. Only _test files import it.
package testfake

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/spec/schematest"
	"github.com/stripefake/stripefake/store"
)

// Start is a fixed instant tests start at when they need golden times:
// 2026-01-15 12:00:00 UTC.
var Start = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// Backend names a store backend.
type Backend string

// The store backends every behaviour is tested on.
const (
	Memory Backend = "memory"
	Bolt   Backend = "bolt"
)

// Backends lists every backend.
var Backends = []Backend{Memory, Bolt}

// Open returns a fresh store of backend b, closed with the fake.
func Open(t testing.TB, b Backend) store.Store {
	t.Helper()
	switch b {
	case Memory:
		return store.NewMemory()
	case Bolt:
		s, err := store.OpenBolt(filepath.Join(t.TempDir(), "stripe.db"), store.BoltNoSync())
		if err != nil {
			t.Fatalf("open bolt: %v", err)
		}
		return s
	}
	t.Fatalf("unknown backend %q", b)
	return nil
}

// New starts a fake on backend b with opts (a store option in opts wins),
// checks its responses against the spec at cleanup, and returns it with a
// stripe-go client pointed at it.
func New(t testing.TB, b Backend, opts ...fake.Option) (*fake.Fake, *stripe.Client) {
	t.Helper()
	all := append([]fake.Option{fake.WithStore(Open(t, b))}, opts...)
	f := fake.New(t, all...)
	t.Cleanup(func() { CheckResponses(t, f) })
	return f, Client(f)
}

// Each runs fn as a subtest on every backend.
func Each(t *testing.T, fn func(t *testing.T, f *fake.Fake, sc *stripe.Client), opts ...fake.Option) {
	t.Helper()
	for _, b := range Backends {
		t.Run(string(b), func(t *testing.T) {
			f, sc := New(t, b, opts...)
			fn(t, f, sc)
		})
	}
}

// Client returns a stripe-go client for f with retries and logging off.
func Client(f *fake.Fake) *stripe.Client {
	return stripe.NewClient("sk_test_stripefake", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:               stripe.String(f.URL()),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

// CheckResponses validates every recorded JSON response of f against the
// spec schema of the endpoint it answered, in the spec of the release of
// the API version it was rendered for.
func CheckResponses(t testing.TB, f *fake.Fake) {
	t.Helper()
	for _, r := range f.Requests() {
		if r.Route == "" || len(r.Response) == 0 || r.Status == 501 {
			continue
		}
		if err := schematest.ValidateResponseAt(r.StripeVersion, r.Method, r.Route, r.Status, r.Response); err != nil {
			t.Errorf("response to %s %s (%d) does not match the spec: %v\nbody: %s", r.Method, r.Path, r.Status, err, truncate(r.Response))
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return fmt.Sprintf("%s… (%d bytes)", b[:2000], len(b))
	}
	return string(b)
}
