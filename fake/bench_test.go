package fake_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
	"github.com/stripefake/stripefake/store"
)

// The floor: an httptest server answering a canned customer, driven by the
// same stripe-go calls. Every fake benchmark is read against it.
const cannedCustomer = `{"id":"cus_QXg1o8vcGmoR32","object":"customer","address":null,"balance":0,"created":1700000000,"currency":null,"default_source":null,"delinquent":false,"description":null,"discount":null,"email":"bench@example.com","invoice_prefix":"7FE11031","invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,"rendering_options":null},"livemode":false,"metadata":{"k":"v"},"name":null,"next_invoice_sequence":1,"phone":null,"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}`

func benchClient(url string) *stripe.Client {
	return stripe.NewClient("sk_test_bench", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(url), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

// createRetrieve times a customer create then retrieve and reports it as
// "floor-ratio": against the floor of two calls (create and retrieve
// answered by a canned server), measured in the same run.
func createRetrieve(b *testing.B, sc *stripe.Client) {
	b.Helper()
	floor := testfake.Floor(b)
	b.ReportAllocs()
	b.ResetTimer()
	defer func() {
		testfake.ReportFloorPer(b, 2*floor, float64(b.Elapsed().Nanoseconds())/float64(b.N), "floor-ratio")
	}()
	for b.Loop() {
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
			Email: stripe.String("bench@example.com"), Params: stripe.Params{Metadata: map[string]string{"k": "v"}},
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sc.V1Customers.Retrieve(ctx, cu.ID, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCustomerCreateRetrieve is the floor for the two below.
func BenchmarkFloorCustomerCreateRetrieve(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_123")
		_, _ = w.Write([]byte(cannedCustomer))
	}))
	defer srv.Close()
	createRetrieve(b, benchClient(srv.URL))
}

func BenchmarkCustomerCreateRetrieveMemory(b *testing.B) {
	f := fake.New(b)
	createRetrieve(b, benchClient(f.URL()))
}

// BenchmarkCustomerCreateRetrieveBolt uses bbolt with NoSync: a temp
// database trades crash safety for speed.
func BenchmarkCustomerCreateRetrieveBolt(b *testing.B) {
	s, err := store.OpenBolt(filepath.Join(b.TempDir(), "bench.db"), store.BoltNoSync())
	if err != nil {
		b.Fatal(err)
	}
	f := fake.New(b, fake.WithStore(s))
	createRetrieve(b, benchClient(f.URL()))
}

// BenchmarkFloorServerStartClose is the floor for BenchmarkStartClose.
func BenchmarkFloorServerStartClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
	}
}

func BenchmarkStartClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		f, err := fake.Start()
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCustomerCreateRetrieveInProcess drives the fake through
// f.HTTPClient(): no sockets. Goal: floor-ratio at most 0.5.
func BenchmarkCustomerCreateRetrieveInProcess(b *testing.B) {
	for _, backend := range testfake.Backends {
		b.Run(string(backend), func(b *testing.B) {
			f := fake.New(b, fake.WithStore(testfake.Open(b, backend)))
			createRetrieve(b, stripe.NewClient("sk_test_bench", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
				HTTPClient: f.HTTPClient(), URL: stripe.String(f.URL()), MaxNetworkRetries: stripe.Int64(0),
				LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
			}))))
		})
	}
}
