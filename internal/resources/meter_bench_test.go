package resources_test

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// The meter benchmarks ingest 100,000 meter events, through the v1 endpoint
// (one request each) or the v2 stream (100 per request), then summarize
// them. Events go to 10 customers, one per minute per customer going back
// about 7 days, so every minute window and every day of the range holds
// data: ns/event is the ingestion cost, summary-ms the time of one
// customer's ungrouped, hourly (168 summaries) and daily summaries
// together. Run with:
//
//	go test -run '^$' -bench Meter -benchtime 1x ./resources/
const (
	benchMeterEvents    = 100_000
	benchMeterCustomers = 10
)

func BenchmarkMeterEventsV1(b *testing.B) {
	benchMeter(b, func(b *testing.B, f *fake.Fake, sc *stripe.Client, customers []string) {
		now := f.Now().Unix()
		for i := 0; i < benchMeterEvents; i++ {
			_, err := sc.V1BillingMeterEvents.Create(ctx, &stripe.BillingMeterEventCreateParams{
				EventName: stripe.String("bench"),
				Payload:   map[string]string{"stripe_customer_id": customers[i%benchMeterCustomers], "value": "1"},
				Timestamp: stripe.Int64(benchTimestamp(now, i)),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMeterEventsV2Stream(b *testing.B) {
	benchMeter(b, func(b *testing.B, f *fake.Fake, sc *stripe.Client, customers []string) {
		stream, _ := streamClient(b, f, sc)
		now := f.Now()
		batch := make([]*stripe.V2BillingMeterEventStreamCreateEventParams, 0, 100)
		for i := 0; i < benchMeterEvents; i++ {
			ts := time.Unix(benchTimestamp(now.Unix(), i), 0)
			batch = append(batch, &stripe.V2BillingMeterEventStreamCreateEventParams{
				EventName: stripe.String("bench"),
				Payload:   map[string]string{"stripe_customer_id": customers[i%benchMeterCustomers], "value": "1"},
				Timestamp: &ts,
			})
			if len(batch) == cap(batch) {
				if err := stream.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: batch}); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	})
}

// benchTimestamp spreads event i one minute per customer back from now.
func benchTimestamp(now int64, i int) int64 { return now - int64(i/benchMeterCustomers)*60 }

func benchMeter(b *testing.B, ingest func(b *testing.B, f *fake.Fake, sc *stripe.Client, customers []string)) {
	for _, backend := range testfake.Backends {
		b.Run(string(backend), func(b *testing.B) {
			var ingestTime, summaryTime time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f, sc := testfake.New(b, backend, fake.WithStartTime(meterStart))
				m, err := sc.V1BillingMeters.Create(ctx, &stripe.BillingMeterCreateParams{DisplayName: stripe.String("bench"), EventName: stripe.String("bench"),
					DefaultAggregation: &stripe.BillingMeterCreateDefaultAggregationParams{Formula: stripe.String("sum")}})
				if err != nil {
					b.Fatal(err)
				}
				customers := make([]string, benchMeterCustomers)
				for i := range customers {
					cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
					if err != nil {
						b.Fatal(err)
					}
					customers[i] = cu.ID
				}
				b.StartTimer()
				start := time.Now()
				ingest(b, f, sc, customers)
				ingestTime += time.Since(start)

				day0 := meterStart.Unix() - 12*3600 - 7*86400
				end := day0 + 8*86400
				start = time.Now()
				var got float64
				for _, group := range []string{"", "hour", "day"} {
					var sum float64
					p := &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(m.ID), Customer: stripe.String(customers[0]),
						StartTime: stripe.Int64(day0), EndTime: stripe.Int64(end)}
					p.Limit = stripe.Int64(100)
					if group != "" {
						p.ValueGroupingWindow = stripe.String(group)
					}
					for s, err := range sc.V1BillingMeterEventSummaries.List(ctx, p).All(ctx) {
						if err != nil {
							b.Fatal(err)
						}
						sum += s.AggregatedValue
					}
					if got != 0 && sum != got {
						b.Fatalf("grouping %q sums to %v, ungrouped %v", group, sum, got)
					}
					got = sum
				}
				summaryTime += time.Since(start)
				b.StopTimer()
				if want := float64(benchMeterEvents / benchMeterCustomers); got != want {
					b.Fatalf("customer usage %v, want %v", got, want)
				}
			}
			b.ReportMetric(float64(ingestTime.Nanoseconds())/float64(b.N*benchMeterEvents), "ns/event")
			b.ReportMetric(float64(summaryTime.Microseconds())/1000/float64(b.N), "summary-ms")
		})
	}
}

// BenchmarkHeapPerMeterEvent reports the heap one meter event costs on the
// memory store at 1,000,000 events to 10 customers, seeded through the
// engine: "burst" sends them all at one instant (every event can still be
// canceled or de-duplicated, so each is kept), "30days" spreads their
// arrival over 30 days of fake time (events older than the 24-hour
// cancellation window can be folded into their windows). METER_EVENTS=n
// runs it with n events instead. Run with:
//
//	go test -run '^$' -bench HeapPerMeterEvent -benchtime 1x ./resources/
func BenchmarkHeapPerMeterEvent(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("METER_EVENTS"); s != "" {
		n, _ = strconv.Atoi(s) // a smaller run while working on it
	}
	for _, span := range []struct {
		name string
		d    time.Duration
	}{{"burst", 0}, {"30days", 30 * 24 * time.Hour}} {
		b.Run(span.name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				st := testfake.Open(b, testfake.Memory)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				if _, _, _, err := resources.SeedMeterEvents(st, testfake.Start, n, benchMeterCustomers, span.d); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				per = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(st)
				_ = st.Close()
			}
			b.ReportMetric(per, "B/event")
		})
	}
}
