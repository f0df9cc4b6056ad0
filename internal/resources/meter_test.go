package resources_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// meterStart is minute-aligned (testfake.Start is 12:00:00 UTC), so
// summaries can start at the fake's "now".
var meterStart = testfake.Start

// eachMeter runs fn on every backend with the clock at meterStart.
func eachMeter(t *testing.T, fn func(t *testing.T, f *fake.Fake, sc *stripe.Client)) {
	t.Helper()
	testfake.Each(t, fn, fake.WithStartTime(meterStart))
}

func newMeter(t *testing.T, sc *stripe.Client, eventName, formula string, mod ...func(*stripe.BillingMeterCreateParams)) *stripe.BillingMeter {
	t.Helper()
	p := &stripe.BillingMeterCreateParams{
		DisplayName:        stripe.String("API calls"),
		EventName:          stripe.String(eventName),
		DefaultAggregation: &stripe.BillingMeterCreateDefaultAggregationParams{Formula: stripe.String(formula)},
	}
	for _, fn := range mod {
		fn(p)
	}
	m, err := sc.V1BillingMeters.Create(ctx, p)
	if err != nil {
		t.Fatalf("create meter: %v", err)
	}
	return m
}

func newMeterCustomer(t *testing.T, sc *stripe.Client) string {
	t.Helper()
	cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{})
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

// sendEvent posts a v1 meter event; at is a Unix timestamp or 0 for "now".
func sendEvent(sc *stripe.Client, eventName, customer, value, identifier string, at int64) (*stripe.BillingMeterEvent, error) {
	p := &stripe.BillingMeterEventCreateParams{
		EventName: stripe.String(eventName),
		Payload:   map[string]string{"stripe_customer_id": customer},
	}
	if value != "" {
		p.Payload["value"] = value
	}
	if identifier != "" {
		p.Identifier = stripe.String(identifier)
	}
	if at != 0 {
		p.Timestamp = stripe.Int64(at)
	}
	return sc.V1BillingMeterEvents.Create(ctx, p)
}

func mustSend(t *testing.T, sc *stripe.Client, eventName, customer, value, identifier string, at int64) *stripe.BillingMeterEvent {
	t.Helper()
	ev, err := sendEvent(sc, eventName, customer, value, identifier, at)
	if err != nil {
		t.Fatalf("meter event %s=%s at %d: %v", eventName, value, at, err)
	}
	return ev
}

// summaries lists every summary of the meter for the customer in [start, end).
func summaries(t *testing.T, sc *stripe.Client, meter, customer string, start, end int64, group string) []*stripe.BillingMeterEventSummary {
	t.Helper()
	p := &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(meter), Customer: stripe.String(customer),
		StartTime: stripe.Int64(start), EndTime: stripe.Int64(end)}
	if group != "" {
		p.ValueGroupingWindow = stripe.String(group)
	}
	var out []*stripe.BillingMeterEventSummary
	for s, err := range sc.V1BillingMeterEventSummaries.List(ctx, p).All(ctx) {
		if err != nil {
			t.Fatalf("summaries: %v", err)
		}
		out = append(out, s)
	}
	return out
}

// total is the one ungrouped summary's value.
func total(t *testing.T, sc *stripe.Client, meter, customer string, start, end int64) float64 {
	t.Helper()
	s := summaries(t, sc, meter, customer, start, end, "")
	if len(s) != 1 {
		t.Fatalf("want one summary, got %d", len(s))
	}
	if s[0].StartTime != start || s[0].EndTime != end || s[0].Meter != meter || s[0].Object != "billing.meter_event_summary" || !strings.HasPrefix(s[0].ID, "mtrusg_") {
		t.Errorf("summary %+v", s[0])
	}
	return s[0].AggregatedValue
}

func TestMeterCreateRetrieveUpdateList(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		if !strings.HasPrefix(m.ID, "mtr_test_61") || len(m.ID) != len("mtr_test_")+32 {
			t.Errorf("id %q", m.ID)
		}
		if m.Status != "active" || m.CustomerMapping.EventPayloadKey != "stripe_customer_id" || m.CustomerMapping.Type != "by_id" ||
			m.ValueSettings.EventPayloadKey != "value" || m.DefaultAggregation.Formula != "sum" || m.EventTimeWindow != "" ||
			m.Created != f.Now().Unix() || m.Updated != m.Created || m.StatusTransitions.DeactivatedAt != 0 {
			t.Errorf("defaults %+v", m)
		}
		custom := newMeter(t, sc, "tokens", "last", func(p *stripe.BillingMeterCreateParams) {
			p.CustomerMapping = &stripe.BillingMeterCreateCustomerMappingParams{EventPayloadKey: stripe.String("account"), Type: stripe.String("by_id")}
			p.ValueSettings = &stripe.BillingMeterCreateValueSettingsParams{EventPayloadKey: stripe.String("tokens")}
			p.EventTimeWindow = stripe.String("hour")
		})
		if custom.CustomerMapping.EventPayloadKey != "account" || custom.ValueSettings.EventPayloadKey != "tokens" || custom.EventTimeWindow != "hour" {
			t.Errorf("custom %+v", custom)
		}

		got, err := sc.V1BillingMeters.Retrieve(ctx, m.ID, nil)
		if err != nil || got.EventName != "api_call" {
			t.Fatalf("retrieve: %v %+v", err, got)
		}
		f.Advance(time.Minute)
		up, err := sc.V1BillingMeters.Update(ctx, m.ID, &stripe.BillingMeterUpdateParams{DisplayName: stripe.String("Calls")})
		if err != nil || up.DisplayName != "Calls" || up.Updated != f.Now().Unix() {
			t.Fatalf("update: %v %+v", err, up)
		}
		if _, err := sc.V1BillingMeters.Deactivate(ctx, custom.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			status string
			want   []string
		}{{"", []string{custom.ID, m.ID}}, {"active", []string{m.ID}}, {"inactive", []string{custom.ID}}} {
			p := &stripe.BillingMeterListParams{}
			if c.status != "" {
				p.Status = stripe.String(c.status)
			}
			listed := ids(t, sc.V1BillingMeters.List(ctx, p).All(ctx))
			if !slices.Equal(listed, c.want) {
				t.Errorf("list status=%q: %v, want %v", c.status, listed, c.want)
			}
		}
		want := []string{"billing.meter.created", "billing.meter.created", "billing.meter.updated", "billing.meter.deactivated"}
		if got := eventTypes(f); !slices.Equal(got, want) && !slices.Equal(got, reversed(want)) {
			t.Errorf("events %v", got)
		}
		_, err = sc.V1BillingMeters.Retrieve(ctx, "mtr_test_nope", nil)
		stripeErr(t, err, http.StatusNotFound, "resource_missing", "id", "")
	})
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestMeterCreateErrorsChangeNothing(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		newMeter(t, sc, "taken", "sum")
		base := func() *stripe.BillingMeterCreateParams {
			return &stripe.BillingMeterCreateParams{DisplayName: stripe.String("x"), EventName: stripe.String("fresh"),
				DefaultAggregation: &stripe.BillingMeterCreateDefaultAggregationParams{Formula: stripe.String("sum")}}
		}
		cases := []struct {
			name  string
			mod   func(p *stripe.BillingMeterCreateParams)
			code  stripe.ErrorCode
			param string
		}{
			{"no display_name", func(p *stripe.BillingMeterCreateParams) { p.DisplayName = nil }, "parameter_missing", "display_name"},
			{"no event_name", func(p *stripe.BillingMeterCreateParams) { p.EventName = nil }, "parameter_missing", "event_name"},
			{"no aggregation", func(p *stripe.BillingMeterCreateParams) { p.DefaultAggregation = nil }, "parameter_missing", "default_aggregation"},
			{"bad formula", func(p *stripe.BillingMeterCreateParams) { p.DefaultAggregation.Formula = stripe.String("max") }, "", "default_aggregation[formula]"},
			{"taken event_name", func(p *stripe.BillingMeterCreateParams) { p.EventName = stripe.String("taken") }, "", "event_name"},
			{"long display_name", func(p *stripe.BillingMeterCreateParams) { p.DisplayName = stripe.String(strings.Repeat("d", 251)) }, "", "display_name"},
			{"long event_name", func(p *stripe.BillingMeterCreateParams) { p.EventName = stripe.String(strings.Repeat("e", 101)) }, "", "event_name"},
			{"bad window", func(p *stripe.BillingMeterCreateParams) { p.EventTimeWindow = stripe.String("week") }, "", "event_time_window"},
			{"same keys", func(p *stripe.BillingMeterCreateParams) {
				p.ValueSettings = &stripe.BillingMeterCreateValueSettingsParams{EventPayloadKey: stripe.String("stripe_customer_id")}
			}, "", "value_settings[event_payload_key]"},
			{"mapping without key", func(p *stripe.BillingMeterCreateParams) {
				p.CustomerMapping = &stripe.BillingMeterCreateCustomerMappingParams{Type: stripe.String("by_id")}
			}, "parameter_missing", "customer_mapping[event_payload_key]"},
		}
		before := len(f.Events())
		for _, c := range cases {
			p := base()
			c.mod(p)
			_, err := sc.V1BillingMeters.Create(ctx, p)
			if err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			stripeErr(t, err, http.StatusBadRequest, c.code, c.param, "")
		}
		if len(f.Events()) != before {
			t.Errorf("failed creates emitted events: %v", eventTypes(f))
		}
		n := len(ids(t, sc.V1BillingMeters.List(ctx, nil).All(ctx)))
		if n != 1 {
			t.Errorf("%d meters after failed creates", n)
		}
		// The name a failed create asked for is still free.
		newMeter(t, sc, "fresh", "count")
	})
}

func TestMeterDeactivateReactivate(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		cus := newMeterCustomer(t, sc)
		mustSend(t, sc, "api_call", cus, "2", "", 0)
		f.Advance(time.Hour)
		d, err := sc.V1BillingMeters.Deactivate(ctx, m.ID, nil)
		if err != nil || d.Status != "inactive" || d.StatusTransitions.DeactivatedAt != f.Now().Unix() {
			t.Fatalf("deactivate: %v %+v", err, d)
		}
		_, err = sc.V1BillingMeters.Deactivate(ctx, m.ID, nil)
		stripeErr(t, err, http.StatusBadRequest, "", "", "")
		_, err = sendEvent(sc, "api_call", cus, "3", "", 0)
		stripeErr(t, err, http.StatusBadRequest, "archived_meter", "event_name", "")
		// An inactive meter cannot back a new price.
		prod, err := sc.V1Products.Create(ctx, &stripe.ProductCreateParams{Name: stripe.String("API")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{Product: stripe.String(prod.ID), Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
			Recurring: &stripe.PriceCreateRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(m.ID)}})
		if err == nil {
			t.Error("price on an inactive meter was created")
		}

		r, err := sc.V1BillingMeters.Reactivate(ctx, m.ID, nil)
		if err != nil || r.Status != "active" || r.StatusTransitions.DeactivatedAt != 0 {
			t.Fatalf("reactivate: %v %+v", err, r)
		}
		_, err = sc.V1BillingMeters.Reactivate(ctx, m.ID, nil)
		stripeErr(t, err, http.StatusBadRequest, "", "", "")
		mustSend(t, sc, "api_call", cus, "3", "", 0)
		if got := total(t, sc, m.ID, cus, meterStart.Unix(), f.Now().Add(time.Minute).Unix()); got != 5 {
			t.Errorf("usage %v, want 5", got)
		}
		types := eventTypes(f)
		if !slices.Contains(types, "billing.meter.deactivated") || !slices.Contains(types, "billing.meter.reactivated") {
			t.Errorf("events %v", types)
		}
	})
}

func TestMeterUsageFlowsIntoSummaries(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		sum := newMeter(t, sc, "sum_event", "sum")
		count := newMeter(t, sc, "count_event", "count")
		last := newMeter(t, sc, "last_event", "last")
		cus, other := newMeterCustomer(t, sc), newMeterCustomer(t, sc)
		t0 := meterStart.Unix()
		// Events across two hours and two days (the fake's clock moves so
		// the timestamps stay within 5 minutes of now).
		at := []struct {
			offset time.Duration
			value  string
		}{{0, "5"}, {30 * time.Second, "7"}, {90 * time.Minute, "-2"}, {25 * time.Hour, "10"}}
		for _, a := range at {
			f.AdvanceTo(meterStart.Add(a.offset))
			for _, name := range []string{"sum_event", "count_event", "last_event"} {
				mustSend(t, sc, name, cus, a.value, "", 0)
			}
			mustSend(t, sc, "sum_event", other, "100", "", 0)
		}
		end := t0 + 2*86400
		for _, c := range []struct {
			meter string
			want  float64
		}{{sum.ID, 20}, {count.ID, 4}, {last.ID, 10}} {
			if got := total(t, sc, c.meter, cus, t0, end); got != c.want {
				t.Errorf("meter %s: %v, want %v", c.meter, got, c.want)
			}
		}
		// Start inclusive, end exclusive, minute windows.
		if got := total(t, sc, sum.ID, cus, t0, t0+60); got != 12 {
			t.Errorf("first minute %v, want 12", got)
		}
		if got := total(t, sc, sum.ID, cus, t0+60, t0+90*60); got != 0 {
			t.Errorf("empty range %v", got)
		}
		if got := total(t, sc, last.ID, cus, t0, t0+3600); got != 7 {
			t.Errorf("last in first hour %v, want 7", got)
		}
		// Hourly: only hours with events, newest first.
		hours := summaries(t, sc, sum.ID, cus, t0, t0+86400, "hour")
		if len(hours) != 2 || hours[0].StartTime != t0+3600 || hours[0].AggregatedValue != -2 || hours[1].StartTime != t0 ||
			hours[1].AggregatedValue != 12 || hours[1].EndTime != t0+3600 {
			t.Errorf("hourly %s", describeSummaries(hours))
		}
		// A range that starts later in its first day than it ends in its last.
		if late := summaries(t, sc, sum.ID, cus, t0+3*3600, t0+26*3600, "hour"); len(late) != 1 || late[0].StartTime != t0+25*3600 || late[0].AggregatedValue != 10 {
			t.Errorf("hourly across midnight %s", describeSummaries(late))
		}
		day0 := t0 - 12*3600 // 2026-01-15 00:00 UTC
		days := summaries(t, sc, count.ID, cus, day0, day0+3*86400, "day")
		if len(days) != 2 || days[0].StartTime != day0+86400 || days[0].AggregatedValue != 1 || days[1].AggregatedValue != 3 {
			t.Errorf("daily %s", describeSummaries(days))
		}
		if got := total(t, sc, sum.ID, other, t0, end); got != 400 {
			t.Errorf("other customer %v", got)
		}
	})
}

func describeSummaries(ss []*stripe.BillingMeterEventSummary) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "[%d,%d)=%v ", s.StartTime, s.EndTime, s.AggregatedValue)
	}
	return b.String()
}

func TestMeterEventValidation(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		newMeter(t, sc, "counted", "count")
		cus := newMeterCustomer(t, sc)
		deleted := newMeterCustomer(t, sc)
		if _, err := sc.V1Customers.Delete(ctx, deleted, nil); err != nil {
			t.Fatal(err)
		}
		now := f.Now().Unix()
		mustSend(t, sc, "api_call", cus, "1", "dup", 0)
		cases := []struct {
			name                   string
			event, customer, value string
			identifier             string
			at                     int64
			code                   stripe.ErrorCode
			param, msg             string
		}{
			{"no meter", "unknown", cus, "1", "", 0, "no_meter", "event_name", ""},
			{"no customer", "api_call", "", "1", "", 0, "meter_event_no_customer_defined", "payload[stripe_customer_id]", ""},
			{"unknown customer", "api_call", "cus_nope", "1", "", 0, "meter_event_customer_not_found", "payload[stripe_customer_id]", "No such customer: 'cus_nope'"},
			{"deleted customer", "api_call", deleted, "1", "", 0, "meter_event_customer_not_found", "payload[stripe_customer_id]", ""},
			{"no value", "api_call", cus, "", "", 0, "meter_event_invalid_value", "payload[value]", ""},
			{"decimal value", "api_call", cus, "1.5", "", 0, "meter_event_invalid_value", "payload[value]", ""},
			{"text value", "api_call", cus, "lots", "", 0, "meter_event_invalid_value", "payload[value]", ""},
			{"huge value", "api_call", cus, "99999999999999999999", "", 0, "meter_event_value_too_many_digits", "payload[value]", ""},
			{"too old", "api_call", cus, "1", "", now - 35*86400 - 1, "timestamp_too_far_in_past", "timestamp",
				fmt.Sprintf("The event timestamp cannot be more than 35 days in past. Expected a timestamp greater than or equal to %d.", now-35*86400)},
			{"too far ahead", "api_call", cus, "1", "", now + 301, "timestamp_in_future", "timestamp", ""},
			{"repeated identifier", "api_call", cus, "1", "dup", 0, "", "identifier", "An event already exists with identifier dup"},
			{"long identifier", "api_call", cus, "1", strings.Repeat("i", 101), 0, "", "identifier", ""},
		}
		before := len(f.Events())
		for _, c := range cases {
			_, err := sendEvent(sc, c.event, c.customer, c.value, c.identifier, c.at)
			if err == nil {
				t.Errorf("%s: accepted", c.name)
				continue
			}
			t.Run(c.name, func(t *testing.T) { stripeErr(t, err, http.StatusBadRequest, c.code, c.param, c.msg) })
		}
		if len(f.Events()) != before {
			t.Errorf("rejected events emitted %v", eventTypes(f))
		}
		// The edges of the timestamp window are accepted; a count meter needs no value.
		mustSend(t, sc, "api_call", cus, "10", "", now-35*86400)
		mustSend(t, sc, "api_call", cus, "100", "", now+300)
		mustSend(t, sc, "counted", cus, "", "", 0)
		if got := total(t, sc, m.ID, cus, now-36*86400+(60-(now-36*86400)%60)%60, now+360); got != 111 {
			t.Errorf("usage %v, want 111 (rejected events must not count)", got)
		}
		_, err := sc.V1BillingMeterEvents.Create(ctx, &stripe.BillingMeterEventCreateParams{Payload: map[string]string{"value": "1"}})
		stripeErr(t, err, http.StatusBadRequest, "parameter_missing", "event_name", "")
	})
}

func TestMeterEventResponseAndIdentifiers(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		cus := newMeterCustomer(t, sc)
		ev := mustSend(t, sc, "api_call", cus, "4", "", 0)
		if ev.Object != "billing.meter_event" || ev.EventName != "api_call" || ev.Created != f.Now().Unix() || ev.Timestamp != f.Now().Unix() ||
			ev.Payload["value"] != "4" || ev.Payload["stripe_customer_id"] != cus || len(ev.Identifier) != 36 {
			t.Errorf("event %+v", ev)
		}
		ev2 := mustSend(t, sc, "api_call", cus, "4", "", 0)
		if ev2.Identifier == ev.Identifier {
			t.Error("generated identifiers repeat")
		}
		mustSend(t, sc, "api_call", cus, "1", "once", 0)
		f.Advance(24*time.Hour - time.Second)
		_, err := sendEvent(sc, "api_call", cus, "1", "once", 0)
		stripeErr(t, err, http.StatusBadRequest, "", "identifier", "")
		// After 24 hours the identifier may be used again; both events count.
		f.Advance(time.Second)
		mustSend(t, sc, "api_call", cus, "1", "once", 0)
		if got := total(t, sc, m.ID, cus, meterStart.Unix(), f.Now().Add(time.Minute).Unix()); got != 10 {
			t.Errorf("usage %v, want 10", got)
		}
	})
}

func TestMeterEventOnTestClockCustomer(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		frozen := meterStart.Add(90 * 24 * time.Hour)
		clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(frozen.Unix())})
		if err != nil {
			t.Fatal(err)
		}
		cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{TestClock: stripe.String(clock.ID)})
		if err != nil {
			t.Fatal(err)
		}
		ev := mustSend(t, sc, "api_call", cu.ID, "3", "", 0)
		if ev.Timestamp != frozen.Unix() {
			t.Errorf("timestamp %d, want the clock's %d", ev.Timestamp, frozen.Unix())
		}
		// The window is measured on the clock: the fake's "now" is 90 days back.
		_, err = sendEvent(sc, "api_call", cu.ID, "3", "", meterStart.Unix())
		stripeErr(t, err, http.StatusBadRequest, "timestamp_too_far_in_past", "timestamp", "")
		if got := total(t, sc, m.ID, cu.ID, frozen.Unix(), frozen.Unix()+60); got != 3 {
			t.Errorf("usage %v", got)
		}
	})
}

func cancelEvent(sc *stripe.Client, eventName, identifier string) (*stripe.BillingMeterEventAdjustment, error) {
	return sc.V1BillingMeterEventAdjustments.Create(ctx, &stripe.BillingMeterEventAdjustmentCreateParams{
		EventName: stripe.String(eventName), Type: stripe.String("cancel"),
		Cancel: &stripe.BillingMeterEventAdjustmentCreateCancelParams{Identifier: stripe.String(identifier)},
	})
}

func TestMeterEventAdjustments(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		sum := newMeter(t, sc, "sum_event", "sum")
		last := newMeter(t, sc, "last_event", "last")
		count := newMeter(t, sc, "count_event", "count")
		cus := newMeterCustomer(t, sc)
		t0 := meterStart.Unix()
		for i, v := range []string{"5", "7", "11"} {
			id := strconv.Itoa(i)
			// Each event a minute (and a day-partition) apart from the last.
			at := t0 + int64(i)*60
			mustSend(t, sc, "sum_event", cus, v, "s"+id, at)
			mustSend(t, sc, "last_event", cus, v, "l"+id, at)
			mustSend(t, sc, "count_event", cus, v, "c"+id, at)
		}
		end := t0 + 3600
		adj, err := cancelEvent(sc, "sum_event", "s1")
		if err != nil || adj.Object != "billing.meter_event_adjustment" || adj.Status != "pending" || adj.Type != "cancel" ||
			adj.Cancel.Identifier != "s1" || adj.EventName != "sum_event" {
			t.Fatalf("adjustment: %v %+v", err, adj)
		}
		if got := total(t, sc, sum.ID, cus, t0, end); got != 16 {
			t.Errorf("sum after cancel %v, want 16", got)
		}
		if _, err := cancelEvent(sc, "last_event", "l2"); err != nil {
			t.Fatal(err)
		}
		if got := total(t, sc, last.ID, cus, t0, end); got != 7 {
			t.Errorf("last after canceling the last event %v, want 7", got)
		}
		if _, err := cancelEvent(sc, "count_event", "c0"); err != nil {
			t.Fatal(err)
		}
		if got := total(t, sc, count.ID, cus, t0, end); got != 2 {
			t.Errorf("count after cancel %v, want 2", got)
		}
		hours := summaries(t, sc, last.ID, cus, t0, end, "hour")
		if len(hours) != 1 || hours[0].AggregatedValue != 7 {
			t.Errorf("hourly last %s", describeSummaries(hours))
		}

		cases := []struct {
			name, event, identifier string
			code                    stripe.ErrorCode
		}{
			{"twice", "sum_event", "s1", ""},
			{"unknown identifier", "sum_event", "nope", "resource_missing"},
			{"other event name", "last_event", "s0", "resource_missing"},
		}
		for _, c := range cases {
			_, err := cancelEvent(sc, c.event, c.identifier)
			t.Run(c.name, func(t *testing.T) { stripeErr(t, err, http.StatusBadRequest, c.code, "cancel[identifier]", "") })
		}
		_, err = sc.V1BillingMeterEventAdjustments.Create(ctx, &stripe.BillingMeterEventAdjustmentCreateParams{EventName: stripe.String("sum_event"), Type: stripe.String("cancel")})
		stripeErr(t, err, http.StatusBadRequest, "parameter_missing", "cancel", "")

		// Only events received within the last 24 hours can be canceled.
		f.Advance(24 * time.Hour)
		_, err = cancelEvent(sc, "sum_event", "s0")
		stripeErr(t, err, http.StatusBadRequest, "", "cancel[identifier]", "")
		if got := total(t, sc, sum.ID, cus, t0, end); got != 16 {
			t.Errorf("sum after refused cancel %v, want 16", got)
		}
	})
}

func TestMeterPreAggregatedWindows(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		hourly := newMeter(t, sc, "hourly", "sum", func(p *stripe.BillingMeterCreateParams) { p.EventTimeWindow = stripe.String("hour") })
		daily := newMeter(t, sc, "daily", "sum", func(p *stripe.BillingMeterCreateParams) { p.EventTimeWindow = stripe.String("day") })
		cus := newMeterCustomer(t, sc)
		t0 := meterStart.Unix()
		f.AdvanceTo(meterStart.Add(2 * time.Hour))
		// Within a window the latest event received replaces the one before,
		// whatever its timestamp.
		mustSend(t, sc, "hourly", cus, "10", "h1", t0+600)
		mustSend(t, sc, "hourly", cus, "20", "h2", t0+60)
		mustSend(t, sc, "hourly", cus, "5", "h3", t0+3600+60)
		for _, id := range []string{"d1", "d2", "d3"} {
			mustSend(t, sc, "daily", cus, strconv.Itoa(len(id)*int(id[1]-'0')), id, t0+60)
		}
		if got := total(t, sc, hourly.ID, cus, t0, t0+2*3600); got != 25 {
			t.Errorf("hourly %v, want 25", got)
		}
		if got := total(t, sc, daily.ID, cus, t0, t0+3600); got != 6 {
			t.Errorf("daily %v, want 6", got)
		}
		if _, err := cancelEvent(sc, "hourly", "h2"); err != nil {
			t.Fatal(err)
		}
		if got := total(t, sc, hourly.ID, cus, t0, t0+2*3600); got != 15 {
			t.Errorf("hourly after canceling the latest %v, want 15 (the earlier event counts again)", got)
		}
		if _, err := cancelEvent(sc, "hourly", "h1"); err != nil {
			t.Fatal(err)
		}
		hours := summaries(t, sc, hourly.ID, cus, t0, t0+2*3600, "hour")
		if len(hours) != 1 || hours[0].StartTime != t0+3600 || hours[0].AggregatedValue != 5 {
			t.Errorf("hours %s", describeSummaries(hours))
		}
	})
}

func TestMeterEventSummaryErrorsAndPages(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		cus := newMeterCustomer(t, sc)
		t0 := meterStart.Unix()
		day0 := t0 - 12*3600
		list := func(start, end int64, group string) error {
			p := &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(m.ID), Customer: stripe.String(cus), StartTime: stripe.Int64(start), EndTime: stripe.Int64(end)}
			if group != "" {
				p.ValueGroupingWindow = stripe.String(group)
			}
			return listErr(sc.V1BillingMeterEventSummaries.List(ctx, p).All(ctx))
		}
		for _, c := range []struct {
			name       string
			start, end int64
			group      string
			param      string
		}{
			{"start not on a minute", t0 + 1, t0 + 60, "", "start_time"},
			{"end not on a minute", t0, t0 + 61, "", "end_time"},
			{"end before start", t0 + 60, t0, "", "end_time"},
			{"hour needs hours", t0 + 60, t0 + 3600, "hour", "start_time"},
			{"day needs midnight", t0, t0 + 86400, "day", "start_time"},
		} {
			stripeErr(t, list(c.start, c.end, c.group), http.StatusBadRequest, "", c.param, "")
		}
		err := listErr(sc.V1BillingMeterEventSummaries.List(ctx, &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(m.ID),
			Customer: stripe.String("cus_nope"), StartTime: stripe.Int64(t0), EndTime: stripe.Int64(t0 + 60)}).All(ctx))
		stripeErr(t, err, http.StatusBadRequest, "resource_missing", "customer", "")
		err = listErr(sc.V1BillingMeterEventSummaries.List(ctx, &stripe.BillingMeterEventSummaryListParams{ID: stripe.String("mtr_nope"),
			Customer: stripe.String(cus), StartTime: stripe.Int64(t0), EndTime: stripe.Int64(t0 + 60)}).All(ctx))
		stripeErr(t, err, http.StatusNotFound, "resource_missing", "id", "")

		// 30 days with usage page through in limit-sized pages, newest first.
		for d := 0; d < 30; d++ {
			f.AdvanceTo(time.Unix(day0+int64(d)*86400+3600, 0))
			mustSend(t, sc, "api_call", cus, strconv.Itoa(d+1), "", 0)
		}
		p := &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(m.ID), Customer: stripe.String(cus),
			StartTime: stripe.Int64(day0), EndTime: stripe.Int64(day0 + 30*86400), ValueGroupingWindow: stripe.String("day")}
		p.Limit = stripe.Int64(7)
		var starts []int64
		var sumAll float64
		for s, err := range sc.V1BillingMeterEventSummaries.List(ctx, p).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			starts = append(starts, s.StartTime)
			sumAll += s.AggregatedValue
		}
		if len(starts) != 30 || starts[0] != day0+29*86400 || starts[29] != day0 || sumAll != 465 {
			t.Errorf("pages: %d summaries, first %d, sum %v", len(starts), starts[0], sumAll)
		}
		p.Limit = nil
		p.StartingAfter = stripe.String("mtrusg_test_nope")
		stripeErr(t, listErr(sc.V1BillingMeterEventSummaries.List(ctx, p).All(ctx)), http.StatusBadRequest, "resource_missing", "starting_after", "")
		if got := total(t, sc, m.ID, cus, day0, day0+30*86400); got != 465 {
			t.Errorf("total %v", got)
		}
	})
}

func v2Event(name, customer, value, identifier string, at *time.Time) *stripe.V2BillingMeterEventCreateParams {
	p := &stripe.V2BillingMeterEventCreateParams{EventName: stripe.String(name), Payload: map[string]string{"stripe_customer_id": customer, "value": value}, Timestamp: at}
	if identifier != "" {
		p.Identifier = stripe.String(identifier)
	}
	return p
}

// v2Err asserts a v2 error's status and code.
func v2Err(t *testing.T, err error, status int, code string) {
	t.Helper()
	var raw *stripe.V2RawError
	if !errors.As(err, &raw) {
		t.Fatalf("want *stripe.V2RawError, got %T %v", err, err)
	}
	if raw.HTTPStatusCode != status || raw.Code != code {
		t.Errorf("got %d %q (%s), want %d %q", raw.HTTPStatusCode, raw.Code, raw.Message, status, code)
	}
}

func TestMeterEventsV2(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		cus := newMeterCustomer(t, sc)
		at := meterStart.Add(-time.Hour)
		ev, err := sc.V2BillingMeterEvents.Create(ctx, v2Event("api_call", cus, "6", "v2-1", &at))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Object != "v2.billing.meter_event" || !ev.Timestamp.Equal(at) || !ev.Created.Equal(f.Now()) || ev.Identifier != "v2-1" || ev.Payload["value"] != "6" {
			t.Errorf("v2 event %+v", ev)
		}
		if _, err := sc.V2BillingMeterEvents.Create(ctx, v2Event("api_call", cus, "4", "", nil)); err != nil {
			t.Fatal(err)
		}
		// v1 and v2 events share identifiers and usage.
		_, err = sendEvent(sc, "api_call", cus, "1", "v2-1", 0)
		stripeErr(t, err, http.StatusBadRequest, "", "identifier", "")
		_, err = sc.V2BillingMeterEvents.Create(ctx, v2Event("api_call", cus, "x", "", nil))
		v2Err(t, err, http.StatusBadRequest, "meter_event_invalid_value")
		old := meterStart.Add(-36 * 24 * time.Hour)
		_, err = sc.V2BillingMeterEvents.Create(ctx, v2Event("api_call", cus, "1", "", &old))
		v2Err(t, err, http.StatusBadRequest, "timestamp_too_far_in_past")
		_, err = sc.V2BillingMeterEvents.Create(ctx, &stripe.V2BillingMeterEventCreateParams{Payload: map[string]string{}})
		v2Err(t, err, http.StatusBadRequest, "parameter_missing")

		start := at.Unix()
		if got := total(t, sc, m.ID, cus, start, start+2*3600); got != 10 {
			t.Errorf("usage %v, want 10", got)
		}
		adj, err := sc.V2BillingMeterEventAdjustments.Create(ctx, &stripe.V2BillingMeterEventAdjustmentCreateParams{
			EventName: stripe.String("api_call"), Type: stripe.String("cancel"),
			Cancel: &stripe.V2BillingMeterEventAdjustmentCreateCancelParams{Identifier: stripe.String("v2-1")}})
		if err != nil || adj.Object != "v2.billing.meter_event_adjustment" || adj.Status != "pending" || adj.Cancel.Identifier != "v2-1" ||
			!strings.HasPrefix(adj.ID, "mtradj_test_") || !adj.Created.Equal(f.Now()) {
			t.Fatalf("v2 adjustment: %v %+v", err, adj)
		}
		if got := total(t, sc, m.ID, cus, start, start+2*3600); got != 4 {
			t.Errorf("usage after v2 cancel %v, want 4", got)
		}
		_, err = sc.V2BillingMeterEventAdjustments.Create(ctx, &stripe.V2BillingMeterEventAdjustmentCreateParams{
			EventName: stripe.String("api_call"), Type: stripe.String("cancel"),
			Cancel: &stripe.V2BillingMeterEventAdjustmentCreateCancelParams{Identifier: stripe.String("nope")}})
		v2Err(t, err, http.StatusBadRequest, "resource_missing")
	})
}

// streamClient opens a meter event session and returns a client that
// authenticates with its token, as the stream requires.
func streamClient(t testing.TB, f *fake.Fake, sc *stripe.Client) (*stripe.Client, *stripe.V2BillingMeterEventSession) {
	t.Helper()
	s, err := sc.V2BillingMeterEventSessions.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tc := stripe.NewClient(s.AuthenticationToken, stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL: stripe.String(f.URL()), MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	})))
	return tc, s
}

func streamEvent(name, customer, value, identifier string) *stripe.V2BillingMeterEventStreamCreateEventParams {
	e := &stripe.V2BillingMeterEventStreamCreateEventParams{EventName: stripe.String(name), Payload: map[string]string{"stripe_customer_id": customer, "value": value}}
	if identifier != "" {
		e.Identifier = stripe.String(identifier)
	}
	return e
}

func TestMeterEventStream(t *testing.T) {
	eachMeter(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		m := newMeter(t, sc, "api_call", "sum")
		cus := newMeterCustomer(t, sc)
		tc, s := streamClient(t, f, sc)
		if !strings.HasPrefix(s.ID, "mes_test_") || s.Object != "v2.billing.meter_event_session" || s.AuthenticationToken == "" ||
			!s.Created.Equal(f.Now()) || !s.ExpiresAt.Equal(f.Now().Add(15*time.Minute)) {
			t.Errorf("session %+v", s)
		}
		// Invalid events are dropped, as Stripe validates the stream
		// asynchronously; the valid ones count; a repeated identifier is
		// de-duplicated.
		err := tc.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: []*stripe.V2BillingMeterEventStreamCreateEventParams{
			streamEvent("api_call", cus, "3", "a"), streamEvent("api_call", cus, "4", "a"), streamEvent("api_call", cus, "oops", ""),
			streamEvent("nothing", cus, "1", ""), streamEvent("api_call", "cus_nope", "1", ""), streamEvent("api_call", cus, "5", ""),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := total(t, sc, m.ID, cus, meterStart.Unix(), meterStart.Unix()+60); got != 8 {
			t.Errorf("usage %v, want 8", got)
		}
		many := make([]*stripe.V2BillingMeterEventStreamCreateEventParams, 101)
		for i := range many {
			many[i] = streamEvent("api_call", cus, "1", "")
		}
		err = tc.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: many})
		v2Err(t, err, http.StatusBadRequest, "")
		err = tc.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: []*stripe.V2BillingMeterEventStreamCreateEventParams{{Payload: map[string]string{}}}})
		v2Err(t, err, http.StatusBadRequest, "parameter_missing")
		if got := total(t, sc, m.ID, cus, meterStart.Unix(), meterStart.Unix()+60); got != 8 {
			t.Errorf("usage after failed requests %v, want 8", got)
		}
		f.Advance(15 * time.Minute)
		err = tc.V2BillingMeterEventStreams.Create(ctx, &stripe.V2BillingMeterEventStreamCreateParams{Events: many[:1]})
		var expired *stripe.TemporarySessionExpiredError
		if !errors.As(err, &expired) {
			t.Errorf("after 15 minutes: %T %v, want TemporarySessionExpiredError", err, err)
		}
	})
}
