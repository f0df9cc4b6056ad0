package resources

// White-box tests of what the HTTP tests cannot reach: the session-token
// check the HTTP layer calls for the meter event stream, and meterUsage
// with bounds that are not minute-aligned (billing periods).

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

func meterEngine(t *testing.T) *Engine {
	t.Helper()
	e := NewEngine(store.NewMemory(), clockwork.NewTime(clockwork.NewFrozen(t0)), DefaultConfig())
	t.Cleanup(func() { _ = e.Store().Close() })
	return e
}

// meterServe runs one validated call and decodes the answer into out.
func meterServe(t *testing.T, e *Engine, method, pattern string, params map[string]any, out any) {
	t.Helper()
	resp := e.Serve(Call{Method: method, Pattern: pattern, Path: pattern, Params: params, Vars: map[string]string{}})
	if resp.Status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, pattern, resp.Status, resp.Body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMeterEventSessionCheck(t *testing.T) {
	e := meterEngine(t)
	var s MeterEventSession
	meterServe(t, e, "POST", "/v2/billing/meter_event_session", map[string]any{}, &s)
	if !e.MeterEventSessionValid(s.AuthenticationToken) {
		t.Fatal("a new session's token is not valid")
	}
	var ae *apierr.Error
	for _, tok := range []string{"", "token_test_unknown", "sk_test_123"} {
		if err := e.MeterEventSessionCheck(tok); !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || ae.Type != apierr.TypeInvalidRequest {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if err := e.AdvanceTo(t0.Add(15*time.Minute - time.Second)); err != nil {
		t.Fatal(err)
	}
	if !e.MeterEventSessionValid(s.AuthenticationToken) {
		t.Error("token expired early")
	}
	if err := e.AdvanceTo(t0.Add(15 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if e.MeterEventSessionValid(s.AuthenticationToken) {
		t.Error("token valid after 15 minutes")
	}
	err := e.MeterEventSessionCheck(s.AuthenticationToken)
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || ae.Type != typeTemporarySessionExpired {
		t.Errorf("expired: %v", err)
	}
}

func TestMeterStreamRecordsDroppedEvents(t *testing.T) {
	e := meterEngine(t)
	var cu Customer
	meterServe(t, e, "POST", "/v1/customers", map[string]any{}, &cu)
	var m Meter
	meterServe(t, e, "POST", "/v1/billing/meters", map[string]any{"display_name": "calls", "event_name": "calls",
		"default_aggregation": map[string]any{"formula": "sum"}}, &m)
	event := func(name, customer, value, identifier string) map[string]any {
		return map[string]any{"event_name": name, "identifier": identifier, "payload": map[string]any{"stripe_customer_id": customer, "value": value}}
	}
	meterServe(t, e, "POST", "/v2/billing/meter_event_stream", map[string]any{"events": []any{
		event("calls", cu.ID, "1", "ok"), event("calls", cu.ID, "1", "ok"), event("nothing", cu.ID, "1", "a"),
		event("calls", "cus_nope", "1", "b"), event("calls", cu.ID, "x", "c"),
	}}, nil)
	got, err := e.MeterEventErrors()
	if err != nil {
		t.Fatal(err)
	}
	want := []MeterEventError{
		{Code: "no_meter", EventName: "nothing", Identifier: "a"},
		{Code: "meter_event_customer_not_found", EventName: "calls", Identifier: "b", Meter: m.ID},
		{Code: "meter_event_invalid_value", EventName: "calls", Identifier: "c", Meter: m.ID},
	}
	if len(got) != len(want) {
		t.Fatalf("errors %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.Code || g.EventName != w.EventName || g.Identifier != w.Identifier || g.Meter != w.Meter || g.Message == "" || g.Created != t0.Unix() {
			t.Errorf("error %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestMeterUsageUnalignedBounds(t *testing.T) {
	e := meterEngine(t)
	var cu Customer
	meterServe(t, e, "POST", "/v1/customers", map[string]any{}, &cu)
	meters := map[string]*Meter{}
	for _, c := range []struct{ name, formula, window string }{{"sum", "sum", ""}, {"last", "last", ""}, {"hourly", "sum", "hour"}} {
		params := map[string]any{"display_name": c.name, "event_name": c.name, "default_aggregation": map[string]any{"formula": c.formula}}
		if c.window != "" {
			params["event_time_window"] = c.window
		}
		var m Meter
		meterServe(t, e, "POST", "/v1/billing/meters", params, &m)
		meters[c.name] = &m
	}
	base := t0.Unix() - 3*3600
	send := func(name string, at int64, value string) {
		meterServe(t, e, "POST", "/v1/billing/meter_events", map[string]any{"event_name": name, "timestamp": at,
			"payload": map[string]any{"stripe_customer_id": cu.ID, "value": value}}, nil)
	}
	// Three events inside one minute, one a day earlier.
	send("sum", base+10, "1")
	send("sum", base+20, "2")
	send("sum", base+30, "4")
	send("sum", base-86400, "8")
	send("last", base+10, "1")
	send("last", base+30, "4")
	send("last", base+20, "2")
	send("hourly", base+10, "5")
	send("hourly", base+20, "6") // replaces the 5 in its hour

	at := func(off int64) time.Time { return time.Unix(base+off, 0) }
	for _, c := range []struct {
		meter      string
		start, end time.Time
		want       float64
	}{
		{"sum", at(15), at(25), 2},
		{"sum", at(10), at(30), 3},
		{"sum", at(11), at(86400), 6},
		{"sum", at(-86400), at(31), 15},
		{"sum", at(-86399), at(10), 0},
		{"last", at(0), at(25), 2},
		{"last", at(0), at(3600), 4},
		{"last", at(31), at(3600), 0},
		{"hourly", at(0), at(15), 0},
		{"hourly", at(15), at(3600), 6},
	} {
		var got float64
		err := e.View(func(ctx *Ctx) error {
			var err error
			got, err = meterUsage(ctx, meters[c.meter].ID, cu.ID, c.start, c.end)
			return err
		})
		if err != nil || got != c.want {
			t.Errorf("%s [%d, %d): %v %v, want %v", c.meter, c.start.Unix()-base, c.end.Unix()-base, got, err, c.want)
		}
	}
	err := e.View(func(ctx *Ctx) error {
		_, err := meterUsage(ctx, "mtr_nope", cu.ID, at(0), at(60))
		return err
	})
	if !errors.As(err, new(*apierr.Error)) {
		t.Errorf("unknown meter: %v", err)
	}
}
