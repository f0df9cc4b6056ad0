package resources

// Folding old meter events into their windows must not change any figure:
// TestMeterFoldKeepsUsageExact checks summaries (ungrouped, by hour, by
// day) and billing-period usage (unaligned bounds) against a brute-force
// model before and after the fold, and after canceling young events that
// share windows with folded ones.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/store"
)

// modelEvent is one event as the brute-force model sees it.
type modelEvent struct {
	meter, customer, identifier string
	ts, value                   int64
	seq                         int // arrival order
	canceled                    bool
}

// modelAgg aggregates the counted events of meter m (window: 0 raw, else
// the pre-aggregation window) in [start, end) for customer, by group (0:
// one group).
func modelAgg(events []*modelEvent, meter, customer, formula string, window, start, end, group int64) map[int64]float64 {
	counted := []*modelEvent{}
	latest := map[int64]*modelEvent{} // pre-aggregated: the latest received per window
	for _, ev := range events {
		if ev.meter != meter || ev.customer != customer || ev.canceled {
			continue
		}
		if window == 0 {
			counted = append(counted, ev)
		} else if w := floorTo(ev.ts, window); latest[w] == nil || latest[w].seq < ev.seq {
			latest[w] = ev
		}
	}
	for _, ev := range latest {
		counted = append(counted, ev)
	}
	type agg struct {
		sum, n  int64
		last    *modelEvent
		present bool
	}
	groups := map[int64]*agg{}
	for _, ev := range counted {
		if ev.ts < start || ev.ts >= end {
			continue
		}
		g := start
		if group != 0 {
			g = floorTo(ev.ts, group)
		}
		a := groups[g]
		if a == nil {
			a = &agg{}
			groups[g] = a
		}
		a.sum += ev.value
		a.n++
		if a.last == nil || ev.ts > a.last.ts || (ev.ts == a.last.ts && ev.seq > a.last.seq) {
			a.last = ev
		}
	}
	out := map[int64]float64{}
	for g, a := range groups {
		switch formula {
		case "count":
			out[g] = float64(a.n)
		case "last":
			out[g] = float64(a.last.value)
		default:
			out[g] = float64(a.sum)
		}
	}
	if group == 0 {
		out[start] += 0 // one summary, even when empty
	}
	return out
}

func TestMeterFoldKeepsUsageExact(t *testing.T) {
	for _, backend := range []string{"memory", "bolt"} {
		t.Run(backend, func(t *testing.T) {
			st := store.NewMemory()
			if backend == "bolt" {
				var err error
				if st, err = store.OpenBolt(filepath.Join(t.TempDir(), "fake.db"), store.BoltNoSync()); err != nil {
					t.Fatal(err)
				}
			}
			clk := clockwork.NewFrozen(t0)
			e := NewEngine(st, clockwork.NewTime(clk), DefaultConfig())
			t.Cleanup(func() { _ = st.Close() })
			testMeterFold(t, e, clk)
		})
	}
}

func testMeterFold(t *testing.T, e *Engine, clk *clockwork.Frozen) {
	var customers [2]Customer
	for i := range customers {
		meterServe(t, e, "POST", "/v1/customers", map[string]any{}, &customers[i])
	}
	type meterCase struct {
		name, formula string
		window        int64 // pre-aggregation window, 0 for raw
		m             Meter
	}
	meters := []*meterCase{{name: "sum", formula: "sum"}, {name: "count", formula: "count"}, {name: "last", formula: "last"},
		{name: "hourly_sum", formula: "sum", window: secondsPerHour}, {name: "hourly_last", formula: "last", window: secondsPerHour}}
	for _, mc := range meters {
		params := map[string]any{"display_name": mc.name, "event_name": mc.name, "default_aggregation": map[string]any{"formula": mc.formula}}
		if mc.window != 0 {
			params["event_time_window"] = "hour"
		}
		meterServe(t, e, "POST", "/v1/billing/meters", params, &mc.m)
	}
	rng := rand.New(rand.NewPCG(13, 13))
	var events []*modelEvent
	base := t0.Unix() - 2*secondsPerDay // events fall in [base, t0): two days, few minutes, many shared seconds
	send := func(n int) {
		for range n {
			mc := meters[rng.IntN(len(meters))]
			ev := &modelEvent{meter: mc.m.ID, customer: customers[rng.IntN(2)].ID, seq: len(events),
				identifier: fmt.Sprintf("ev-%d", len(events)), value: int64(rng.IntN(9) + 1),
				ts: base + int64(rng.IntN(6))*secondsPerHour*8 + int64(rng.IntN(3))*secondsPerMinute + int64(rng.IntN(4))*15}
			events = append(events, ev)
			meterServe(t, e, "POST", "/v1/billing/meter_events", map[string]any{"event_name": mc.name, "identifier": ev.identifier,
				"timestamp": ev.ts, "payload": map[string]any{"stripe_customer_id": ev.customer, "value": fmt.Sprint(ev.value)}}, nil)
		}
	}
	cancel := func(from, to, n int) {
		for range n {
			ev := events[from+rng.IntN(to-from)]
			if ev.canceled {
				continue
			}
			ev.canceled = true
			name := ""
			for _, mc := range meters {
				if mc.m.ID == ev.meter {
					name = mc.name
				}
			}
			meterServe(t, e, "POST", "/v1/billing/meter_event_adjustments", map[string]any{"event_name": name, "type": "cancel",
				"cancel": map[string]any{"identifier": ev.identifier}}, nil)
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, mc := range meters {
			for _, cu := range customers {
				// Summaries over the whole range, by hour and by day.
				for _, g := range []struct {
					name string
					size int64
				}{{"", 0}, {"hour", secondsPerHour}, {"day", secondsPerDay}} {
					start, end := floorTo(base, secondsPerDay), floorTo(t0.Unix(), secondsPerDay)+secondsPerDay
					want := modelAgg(events, mc.m.ID, cu.ID, mc.formula, mc.window, start, end, g.size)
					params := map[string]any{"customer": cu.ID, "start_time": start, "end_time": end, "limit": int64(100)}
					if g.name != "" {
						params["value_grouping_window"] = g.name
					}
					resp := e.Serve(Call{Method: "GET", Pattern: "/v1/billing/meters/{id}/event_summaries", Path: "/v1/billing/meters/" + mc.m.ID + "/event_summaries",
						Params: params, Vars: map[string]string{"id": mc.m.ID}})
					if resp.Status != http.StatusOK {
						t.Fatalf("%s: summaries: %d %s", stage, resp.Status, resp.Body)
					}
					var list struct {
						Data []MeterEventSummary `json:"data"`
					}
					if err := json.Unmarshal(resp.Body, &list); err != nil {
						t.Fatal(err)
					}
					got := map[int64]float64{}
					for _, s := range list.Data {
						got[s.StartTime] = s.AggregatedValue
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s: %s %s by %q: got %v, want %v", stage, mc.name, cu.ID, g.name, got, want)
					}
				}
				// Usage over unaligned periods, as invoices ask for it.
				for _, r := range [][2]int64{{base + 7, base + 16*secondsPerHour + 100}, {base + 20, base + 35}, {base + 8*secondsPerHour + 61, t0.Unix()},
					{base + 30, base + 2*secondsPerMinute + 45}} {
					want := modelAgg(events, mc.m.ID, cu.ID, mc.formula, mc.window, r[0], r[1], 0)[r[0]]
					var got float64
					err := e.View(func(c *Ctx) error {
						var err error
						got, err = meterUsage(c, mc.m.ID, cu.ID, time.Unix(r[0], 0), time.Unix(r[1], 0))
						return err
					})
					if err != nil || got != want {
						t.Errorf("%s: %s %s usage [%d, %d): %v %v, want %v", stage, mc.name, cu.ID, r[0]-base, r[1]-base, got, err, want)
					}
				}
			}
		}
	}
	stored := func() int {
		n := 0
		_ = e.View(func(c *Ctx) error {
			return c.tx.Scan(kindMeterEvent, false, func(string, []byte) (bool, error) { n++; return true, nil })
		})
		return n
	}

	send(300) // received at t0
	cancel(0, 300, 40)
	check("before folding")
	clk.Set(t0.Add(23 * time.Hour))
	send(200) // received at t0+23h, into the same windows
	cancel(0, 500, 30)
	check("second batch")
	if n := stored(); n != 500 {
		t.Fatalf("%d events stored before folding, want 500", n)
	}

	clk.Set(t0.Add(24*time.Hour + time.Minute))
	send(1) // recording an event folds the first batch
	if n := stored(); n != 201 {
		t.Fatalf("%d events stored after folding, want 201", n)
	}
	check("after folding")
	cancel(300, 501, 60) // young events, many the last of windows that hold folded ones
	check("canceled after folding")

	// A folded event can no longer be canceled, and its identifier is free again.
	old := events[0]
	resp := e.Serve(Call{Method: "POST", Pattern: "/v1/billing/meter_event_adjustments", Path: "/v1/billing/meter_event_adjustments",
		Params: map[string]any{"event_name": "sum", "type": "cancel", "cancel": map[string]any{"identifier": old.identifier}}, Vars: map[string]string{}})
	if resp.Status != http.StatusBadRequest {
		t.Errorf("canceling a folded event: %d %s", resp.Status, resp.Body)
	}
	clk.Set(t0.Add(26 * time.Hour))
	mc := meters[0]
	ev := &modelEvent{meter: mc.m.ID, customer: customers[0].ID, seq: len(events), identifier: old.identifier, value: 3, ts: base + 5}
	events = append(events, ev)
	meterServe(t, e, "POST", "/v1/billing/meter_events", map[string]any{"event_name": mc.name, "identifier": ev.identifier,
		"timestamp": ev.ts, "payload": map[string]any{"stripe_customer_id": ev.customer, "value": "3"}}, nil)
	check("identifier reused")
}
