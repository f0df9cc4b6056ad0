package resources_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// BenchmarkEventList measures a first page (limit 10) and a starting_after
// page of GET /v1/events against the number of stored events, on both
// stores, beside the floor measured in the same run. The events are the
// customer.created events of customers seeded through the engine. Goal: a
// page costs the same at 100 and 100,000 events, also once test-clock
// events are mixed in (the last rows): the list then merges each clock's
// events, in created order, with the fake's own from the cursor
// (event_timeline.go), where it sorted every event's head before (0.42 /
// 1.00 s at 100,000 events, memory / bbolt, on 2026-12-03).
//
//	go test -run '^$' -bench EventList -benchtime 20x ./internal/resources/
func BenchmarkEventList(b *testing.B) {
	floor := testfake.Floor(b)
	for _, backend := range testfake.Backends {
		for _, n := range []int{100, 100_000} {
			b.Run(fmt.Sprintf("%s/events=%d", backend, n), func(b *testing.B) {
				st := testfake.Open(b, backend)
				if _, err := resources.SeedCustomers(st, testfake.Start, n); err != nil {
					b.Fatal(err)
				}
				f := fake.New(b, fake.WithStore(st), fake.WithStartTime(testfake.Start))
				sc := testfake.BenchClient(f.URL())
				first := benchEventPage(b, sc, &stripe.EventListParams{})
				// pages runs a first page and a starting_after page.
				pages := func(suffix string) {
					b.Run("list-first-page"+suffix, func(b *testing.B) {
						for b.Loop() {
							benchEventPage(b, sc, &stripe.EventListParams{})
						}
						testfake.ReportFloor(b, floor)
					})
					b.Run("list-starting-after"+suffix, func(b *testing.B) {
						p := &stripe.EventListParams{}
						p.StartingAfter = stripe.String(first[4])
						for b.Loop() {
							benchEventPage(b, sc, p)
						}
						testfake.ReportFloor(b, floor)
					})
				}
				pages("")
				// Once a test clock has written an event, created order is
				// no longer insertion order: the list merges the clock's
				// events with the fake's own, each in created order.
				tc, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(testfake.Start.AddDate(-1, 0, 0).Unix())})
				if err != nil {
					b.Fatal(err)
				}
				cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(tc.ID)})
				if err != nil {
					b.Fatal(err)
				}
				// A draft that finalizes an hour later, on the clock: an
				// event written on the clock's timeline.
				if _, err := sc.V1Invoices.Create(ctx, &stripe.InvoiceCreateParams{Customer: stripe.String(cu.ID), AutoAdvance: stripe.Bool(true)}); err != nil {
					b.Fatal(err)
				}
				if _, err := advanceClock(sc, tc.ID, testfake.Start.AddDate(-1, 0, 0).Add(2*time.Hour)); err != nil {
					b.Fatal(err)
				}
				pages("-with-test-clock-events")
			})
		}
	}
}

// benchEventPage fetches one page of 10 events and returns their IDs.
func benchEventPage(b *testing.B, sc *stripe.Client, params *stripe.EventListParams) []string {
	b.Helper()
	params.Limit = stripe.Int64(10)
	params.Single = true
	var got []string
	for ev, err := range sc.V1Events.List(ctx, params).All(ctx) {
		if err != nil {
			b.Fatal(err)
		}
		got = append(got, ev.ID)
	}
	if len(got) != 10 {
		b.Fatalf("page of %d events", len(got))
	}
	return got
}
