package testfake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/stripefake/stripefake/clockwork"
)

// CannedCustomer is the body the floor server answers.
const CannedCustomer = `{"id":"cus_QXg1o8vcGmoR32","object":"customer","address":null,"balance":0,"created":1700000000,"currency":null,"default_source":null,"delinquent":false,"description":null,"discount":null,"email":"bench@example.com","invoice_prefix":"7FE11031","invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},"livemode":false,"metadata":{"k":"v"},"name":null,"next_invoice_sequence":1,"phone":null,"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}`

// FloorServer starts an httptest server answering CannedCustomer to every
// request, closed at cleanup.
func FloorServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_123")
		_, _ = w.Write([]byte(CannedCustomer))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchClient is a stripe-go client for url with retries and logging off.
func BenchClient(url string) *stripe.Client {
	return stripe.NewClient("sk_test_bench", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(url), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

// Floor measures one floor call in this run: stripe-go retrieving a canned
// customer from an httptest server over loopback. Benchmarks report their
// cost in floor calls next to ns/op, so figures from a loaded machine still
// compare.
func Floor(tb testing.TB) time.Duration {
	tb.Helper()
	sc := BenchClient(FloorServer(tb).URL)
	ctx := context.Background()
	const warm, n = 50, 400
	var elapsed func() time.Duration
	for i := range warm + n {
		if i == warm {
			elapsed = clockwork.Stopwatch()
		}
		if _, err := sc.V1Customers.Retrieve(ctx, "cus_QXg1o8vcGmoR32", nil); err != nil {
			tb.Fatalf("floor: %v", err)
		}
	}
	return elapsed() / n
}

// ReportFloor reports the benchmark's time per op (b.Elapsed over b.N) in
// floor calls as the metric "floor-calls", and the floor itself as
// "floor-ns". Call it after the timed loop with a floor from Floor.
func ReportFloor(b *testing.B, floor time.Duration) {
	b.Helper()
	ReportFloorPer(b, floor, float64(b.Elapsed().Nanoseconds())/float64(b.N), "floor-calls")
}

// ReportFloorPer reports ns (a cost per unit) in floor calls as metric, and
// the floor as "floor-ns".
func ReportFloorPer(b *testing.B, floor time.Duration, ns float64, metric string) {
	b.Helper()
	b.ReportMetric(ns/float64(floor.Nanoseconds()), metric)
	b.ReportMetric(float64(floor.Nanoseconds()), "floor-ns")
}
