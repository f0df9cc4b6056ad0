package fake_test

import (
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
)

// versionTransport sends every request at one Stripe-Version, so the same
// stripe-go calls can be timed at two versions.
type versionTransport struct{ version string }

func (t versionTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Stripe-Version", t.version)
	return http.DefaultTransport.RoundTrip(r)
}

func benchClientAt(url, version string) *stripe.Client {
	return stripe.NewClient("sk_test_bench", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(url), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:    &http.Client{Transport: versionTransport{version}},
	})))
}

// BenchmarkCustomerCreateRetrieveAt compares a customer create+retrieve
// rendered at 2023-10-16 with the same at dahlia (goal: at most 1.2×), with
// the floor (a canned answer) in the same run.
func BenchmarkCustomerCreateRetrieveAt(b *testing.B) {
	b.Run("floor", BenchmarkFloorCustomerCreateRetrieve)
	for _, v := range []string{"2026-03-25.dahlia", "2023-10-16"} {
		b.Run(v, func(b *testing.B) {
			f := fake.New(b)
			createRetrieve(b, benchClientAt(f.URL(), v))
		})
	}
}
