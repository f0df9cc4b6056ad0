package resources_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// BenchmarkScale measures lists and search against the size of the store,
// on both stores. Customers are created directly through the engine (not
// over HTTP) so that 100,000 of them set up in seconds. "floor-calls" is
// the cost of one request in floor calls (stripe-go retrieving a canned
// customer over loopback) measured in the same run; the goal is at most 2,
// whatever the number of customers. The inprocess-* rows make the same
// requests through f.HTTPClient(), with no sockets, beside
// floor-list-page-inprocess, stripe-go reading the canned page from a
// transport that answers it at once. The served-* rows are the fake's own
// part: the same requests through f.HTTPClient() without stripe-go, the
// answer read and not decoded:
//
//	go test -run '^$' -bench Scale -benchtime 20x ./internal/resources/
func BenchmarkScale(b *testing.B) {
	floor := testfake.Floor(b)
	// The same page of 10 canned customers from an httptest server: what
	// stripe-go alone costs for a page, for reading the figures below.
	b.Run("floor-list-page", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(cannedPage))
		}))
		defer srv.Close()
		sc := testfake.BenchClient(srv.URL)
		for b.Loop() {
			benchListPage(b, sc, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(10), Single: true}}, "cus_QXg1o8vcGmoR32")
		}
		testfake.ReportFloor(b, floor)
	})
	b.Run("floor-list-page-inprocess", func(b *testing.B) {
		sc := inProcessBenchClient(&http.Client{Transport: cannedTransport(cannedPage)}, "http://stripefake.invalid")
		for b.Loop() {
			benchListPage(b, sc, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(10), Single: true}}, "cus_QXg1o8vcGmoR32")
		}
		testfake.ReportFloor(b, floor)
	})
	for _, backend := range testfake.Backends {
		for _, n := range []int{100, 100_000} {
			b.Run(fmt.Sprintf("%s/customers=%d", backend, n), func(b *testing.B) {
				st := testfake.Open(b, backend)
				ids, err := resources.SeedCustomers(st, testfake.Start, n)
				if err != nil {
					b.Fatal(err)
				}
				f := fake.New(b, fake.WithStore(st), fake.WithStartTime(testfake.Start))
				mid := n / 2
				clients := []struct {
					prefix string
					sc     *stripe.Client
				}{
					{"", testfake.BenchClient(f.URL())},
					{"inprocess-", inProcessBenchClient(f.HTTPClient(), f.URL())},
				}
				hc := f.HTTPClient()
				for _, row := range []struct{ name, path string }{
					{"served-list-first-page", "/v1/customers?limit=10"},
					{"served-list-starting-after", "/v1/customers?limit=10&starting_after=" + ids[mid]},
					{"served-search-email", "/v1/customers/search?query=" + url.QueryEscape(fmt.Sprintf(`email:"seed%d@example.com"`, mid))},
				} {
					b.Run(row.name, func(b *testing.B) {
						b.ReportAllocs()
						for b.Loop() {
							benchServe(b, hc, f.URL()+row.path)
						}
						testfake.ReportFloor(b, floor)
					})
				}
				for _, cl := range clients {
					sc := cl.sc
					b.Run(cl.prefix+"list-first-page", func(b *testing.B) {
						b.ReportAllocs()
						for b.Loop() {
							benchListPage(b, sc, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(10), Single: true}}, ids[n-1])
						}
						testfake.ReportFloor(b, floor)
					})
					b.Run(cl.prefix+"list-starting-after", func(b *testing.B) {
						b.ReportAllocs()
						for b.Loop() {
							benchListPage(b, sc, &stripe.CustomerListParams{ListParams: stripe.ListParams{
								Limit: stripe.Int64(10), Single: true, StartingAfter: stripe.String(ids[mid]),
							}}, ids[mid-1])
						}
						testfake.ReportFloor(b, floor)
					})
					b.Run(cl.prefix+"search-email", func(b *testing.B) {
						b.ReportAllocs()
						query := fmt.Sprintf(`email:"seed%d@example.com"`, mid)
						for b.Loop() {
							found := 0
							for _, err := range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{
								SearchParams: stripe.SearchParams{Query: query, Single: true},
							}).All(ctx) {
								if err != nil {
									b.Fatal(err)
								}
								found++
							}
							if found != 1 {
								b.Fatalf("search found %d customers, want 1", found)
							}
						}
						testfake.ReportFloor(b, floor)
					})
				}
			})
		}
	}
}

// benchServe GETs u through hc and reads the answer, which must be a 200.
func benchServe(b *testing.B, hc *http.Client, u string) {
	b.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_bench")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(body) < 100 {
		b.Fatalf("GET %s: %d %v %.200s", u, resp.StatusCode, err, body)
	}
}

// cannedPage is a page of 10 canned customers, as a list answers it.
var cannedPage = `{"object":"list","url":"/v1/customers","has_more":true,"data":[` +
	strings.TrimSuffix(strings.Repeat(testfake.CannedCustomer+",", 10), ",") + `]}`

// cannedTransport answers body to every request, with no server.
type cannedTransport string

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_123"}},
		Body:          io.NopCloser(strings.NewReader(string(t))),
		ContentLength: int64(len(t)), Request: req,
	}, nil
}

// inProcessBenchClient is testfake.BenchClient over hc, a client that
// serves requests in this process.
func inProcessBenchClient(hc *http.Client, url string) *stripe.Client {
	return stripe.NewClient("sk_test_bench", stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		HTTPClient: hc, URL: stripe.String(url), MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
}

func benchListPage(b *testing.B, sc *stripe.Client, params *stripe.CustomerListParams, first string) {
	b.Helper()
	var got []string
	for cu, err := range sc.V1Customers.List(ctx, params).All(ctx) {
		if err != nil {
			b.Fatal(err)
		}
		got = append(got, cu.ID)
	}
	if len(got) != 10 || got[0] != first {
		b.Fatalf("page %v, want 10 customers from %s", got, first)
	}
}

// BenchmarkHeapPerCustomer reports the heap a stored customer costs on the
// memory store at 100,000 customers (its record, index entries and its
// customer.created event). Goal: at most 2 KB.
//
//	go test -run '^$' -bench HeapPerCustomer -benchtime 1x ./resources/
func BenchmarkHeapPerCustomer(b *testing.B) {
	const n = 100_000
	var per float64
	for b.Loop() {
		st := testfake.Open(b, testfake.Memory)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := resources.SeedCustomers(st, testfake.Start, n); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(st)
		_ = st.Close()
	}
	b.ReportMetric(per, "B/customer")
}
