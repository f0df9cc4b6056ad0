package fake

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/store"
)

// Assertions for tests: each checks one common thing in one line and, on
// failure, reports a go-cmp diff (-want +got) of what the fake saw.
//
// Assert… report with tb.Errorf: the test goes on, and a value they return
// is the zero value when the check failed. Require… make the same check and
// stop the test with tb.Fatalf instead, so that their value can be used
// straight away.

// AssertEvent checks that an event of type typ about objectID ("" for any
// object) was written, and returns the latest such event. It does not stop
// the test: when no such event exists it reports with tb.Errorf and
// returns the zero Event. Use RequireEvent to stop instead.
func (f *Fake) AssertEvent(tb testing.TB, typ, objectID string) Event {
	tb.Helper()
	ev, msg := f.findEvent(typ, objectID)
	if msg != "" {
		tb.Errorf("%s", msg)
	}
	return ev
}

// RequireEvent is AssertEvent that stops the test (tb.Fatalf) when no such
// event exists, so the Event it returns is always real.
func (f *Fake) RequireEvent(tb testing.TB, typ, objectID string) Event {
	tb.Helper()
	ev, msg := f.findEvent(typ, objectID)
	if msg != "" {
		tb.Fatalf("%s", msg)
	}
	return ev
}

// findEvent returns the latest event of type typ about objectID, or a
// failure message.
func (f *Fake) findEvent(typ, objectID string) (Event, string) {
	events := f.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Type == typ && (objectID == "" || events[i].ObjectID == objectID) {
			return events[i], ""
		}
	}
	got := eventLines(events, objectID)
	want := append(append([]string(nil), got...), eventLine(typ, objectID))
	return Event{}, fmt.Sprintf("fake: no %s event%s; events%s (-want +got):\n%s", typ, about(objectID), about(objectID), cmp.Diff(want, got))
}

// AssertNoEvent checks that no event of type typ about objectID ("" for
// any object) was written.
func (f *Fake) AssertNoEvent(tb testing.TB, typ, objectID string) {
	tb.Helper()
	events := f.Events()
	got := eventLines(events, objectID)
	want := []string{}
	for _, ev := range events {
		if objectID == "" || ev.ObjectID == objectID {
			if ev.Type != typ {
				want = append(want, eventLine(ev.Type, ev.ObjectID))
			}
		}
	}
	if len(want) != len(got) {
		tb.Errorf("fake: unexpected %s event%s; events%s (-want +got):\n%s", typ, about(objectID), about(objectID), cmp.Diff(want, got))
	}
}

// AssertEventTypes checks the types of every event about objectID, oldest
// first: exactly want, in order.
func (f *Fake) AssertEventTypes(tb testing.TB, objectID string, want ...string) {
	tb.Helper()
	got := []string{}
	for _, ev := range f.Events() {
		if ev.ObjectID == objectID {
			got = append(got, ev.Type)
		}
	}
	if want == nil {
		want = []string{}
	}
	if d := cmp.Diff(want, got); d != "" {
		tb.Errorf("fake: event types about %s (-want +got):\n%s", objectID, d)
	}
}

func eventLine(typ, objectID string) string {
	if objectID == "" {
		return typ
	}
	return typ + " " + objectID
}

func eventLines(events []Event, objectID string) []string {
	out := []string{}
	for _, ev := range events {
		if objectID == "" || ev.ObjectID == objectID {
			out = append(out, eventLine(ev.Type, ev.ObjectID))
		}
	}
	return out
}

func about(objectID string) string {
	if objectID == "" {
		return ""
	}
	return " about " + objectID
}

// AssertRequest checks that the client sent a request matching pattern
// (as for FailRequests: "POST /v1/customers", "POST
// /v1/customers/{customer}") whose parameters include params, keyed as sent
// on the wire ("email", "metadata[plan]", "items[0][price]"); nil params
// match any. It returns the latest such request. It does not stop the
// test: when no request matches it reports with tb.Errorf and returns the
// zero Request. Use RequireRequest to stop instead. A pattern that no
// route of the fake can match stops the test at once (tb.Fatalf). It sees
// only the requests the log keeps (WithRequestLog): when none matched and
// the log is off or dropped older requests, the failure says so.
func (f *Fake) AssertRequest(tb testing.TB, pattern string, params map[string]string) Request {
	tb.Helper()
	r, msg := f.findRequest(tb, pattern, params)
	if msg != "" {
		tb.Errorf("%s", msg)
	}
	return r
}

// RequireRequest is AssertRequest that stops the test (tb.Fatalf) when no
// request matches, so the Request it returns is always real.
func (f *Fake) RequireRequest(tb testing.TB, pattern string, params map[string]string) Request {
	tb.Helper()
	r, msg := f.findRequest(tb, pattern, params)
	if msg != "" {
		tb.Fatalf("%s", msg)
	}
	return r
}

// findRequest returns the latest request matching pattern and params, or a
// failure message.
func (f *Fake) findRequest(tb testing.TB, pattern string, params map[string]string) (Request, string) {
	tb.Helper()
	matched, ok := f.matching(tb, pattern)
	if !ok {
		return Request{}, ""
	}
	for i := len(matched) - 1; i >= 0; i-- {
		if hasParams(matched[i], params) {
			return matched[i], ""
		}
	}
	if len(matched) == 0 {
		if why := f.log.blind(); why != "" {
			return Request{}, fmt.Sprintf("fake: no request matched %q, but %s", pattern, why)
		}
		return Request{}, fmt.Sprintf("fake: no request matched %q; requests sent (-want +got):\n%s", pattern, cmp.Diff([]string{pattern}, requestLines(f.Requests())))
	}
	last := matched[len(matched)-1]
	got := map[string]string{}
	for k := range params {
		if vs, ok := last.Params[k]; ok {
			got[k] = strings.Join(vs, ",")
		}
	}
	return Request{}, fmt.Sprintf("fake: %d request(s) matched %q but none sent these params; the latest, %s %s (-want +got):\n%s",
		len(matched), pattern, last.Method, last.Path, cmp.Diff(params, got))
}

// AssertRequestCount checks that exactly n requests matched pattern, and
// returns them, oldest first. It reports a wrong count with tb.Errorf and
// goes on; a pattern that no route of the fake can match stops the test at
// once (tb.Fatalf).
// It also fails, saying why, when the request log cannot hold them all: it
// is off (WithRequestLog(0)), the fake is closed, or older requests were
// dropped.
func (f *Fake) AssertRequestCount(tb testing.TB, pattern string, n int) []Request {
	tb.Helper()
	matched, ok := f.matching(tb, pattern)
	if !ok {
		return nil
	}
	if why := f.log.blind(); why != "" {
		tb.Errorf("fake: cannot count the requests that matched %q: %s", pattern, why)
		return matched
	}
	if len(matched) != n {
		tb.Errorf("fake: %d request(s) matched %q, want %d (-want +got):\n%s", len(matched), pattern, n,
			cmp.Diff(n, len(matched))+"requests matched:\n  "+strings.Join(requestLines(matched), "\n  "))
	}
	return matched
}

// AssertWebhookDelivered checks that the latest event of type typ about
// objectID ("" for any object) reached the webhook endpoint endpointID (""
// for any) with a 2xx answer, and returns that delivery. It does not stop
// the test: when there is no such delivery it reports with tb.Errorf and
// returns the zero WebhookDelivery. Use RequireWebhookDelivered to stop
// instead.
func (f *Fake) AssertWebhookDelivered(tb testing.TB, endpointID, typ, objectID string) WebhookDelivery {
	tb.Helper()
	d, msg := f.findDelivery(endpointID, typ, objectID)
	if msg != "" {
		tb.Errorf("%s", msg)
	}
	return d
}

// RequireWebhookDelivered is AssertWebhookDelivered that stops the test
// (tb.Fatalf) when there is no such delivery.
func (f *Fake) RequireWebhookDelivered(tb testing.TB, endpointID, typ, objectID string) WebhookDelivery {
	tb.Helper()
	d, msg := f.findDelivery(endpointID, typ, objectID)
	if msg != "" {
		tb.Fatalf("%s", msg)
	}
	return d
}

// findDelivery returns the succeeded delivery AssertWebhookDelivered looks
// for, or a failure message.
func (f *Fake) findDelivery(endpointID, typ, objectID string) (WebhookDelivery, string) {
	ds := f.WebhookDeliveries()
	var got []string
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if d.EventType != typ || (objectID != "" && d.ObjectID != objectID) || (endpointID != "" && d.EndpointID != endpointID) {
			continue
		}
		if d.Status == resources.DeliverySucceeded {
			return d, ""
		}
		got = append(got, deliveryLine(d))
	}
	want := eventLine(typ, objectID) + " to " + orAny(endpointID) + ": succeeded"
	return WebhookDelivery{}, fmt.Sprintf("fake: %s was not delivered (-want +got):\n%s", eventLine(typ, objectID), cmp.Diff([]string{want}, got))
}

func orAny(s string) string {
	if s == "" {
		return "any endpoint"
	}
	return s
}

func deliveryLine(d WebhookDelivery) string {
	s := fmt.Sprintf("%s %s to %s: %s", d.EventType, d.ObjectID, d.EndpointID, d.Status)
	for _, a := range d.Attempts {
		if a.Error != "" {
			s += fmt.Sprintf(" [%s]", a.Error)
		} else {
			s += fmt.Sprintf(" [%d]", a.Status)
		}
	}
	if !d.NextRetry.IsZero() {
		s += " next retry " + d.NextRetry.UTC().Format(time.RFC3339)
	}
	return s
}

// matching returns the requests that match pattern, oldest first. A bad
// pattern, or one no route can match, stops the test.
func (f *Fake) matching(tb testing.TB, pattern string) ([]Request, bool) {
	tb.Helper()
	p, err := f.compilePattern(pattern)
	if err != nil {
		tb.Fatalf("%v", err)
		return nil, false
	}
	var out []Request
	for _, r := range f.Requests() {
		if p.match(r.Method, r.Path, r.Route) {
			out = append(out, r)
		}
	}
	return out, true
}

func hasParams(r Request, want map[string]string) bool {
	for k, v := range want {
		vs, ok := r.Params[k]
		if !ok || strings.Join(vs, ",") != v {
			return false
		}
	}
	return true
}

func requestLines(rs []Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s (%d)", r.Method, r.Path, r.Status))
	}
	return out
}

// dumpObjectsPerKind bounds how many objects of one kind Dump lists.
const dumpObjectsPerKind = 50

// dumpEvents bounds how many of the latest events Dump lists.
const dumpEvents = 50

// dumpFields are the fields Dump shows of an object, when it has them.
var dumpFields = []string{"status", "customer", "subscription", "invoice", "email", "amount_due", "amount", "currency", "url", "deleted"}

// dumpState renders the stored objects, latest events and webhook
// deliveries for Dump. It is empty when the fake holds nothing.
func (f *Fake) dumpState() string {
	var b strings.Builder
	err := f.store.View(func(tx store.Tx) error {
		for _, kind := range f.engine.Kinds() {
			if kind == "event" {
				continue
			}
			var lines []string
			n := 0
			err := tx.Scan(kind, false, func(id string, raw []byte) (bool, error) {
				n++
				if len(lines) < dumpObjectsPerKind {
					lines = append(lines, objectLine(kind, id, raw))
				}
				return true, nil
			})
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("objects:\n")
			}
			for _, l := range lines {
				b.WriteString("  " + l + "\n")
			}
			if n > len(lines) {
				fmt.Fprintf(&b, "  … %d more %s\n", n-len(lines), kind)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Sprintf("stripefake: reading state: %v\n", err)
	}
	events := f.Events()
	if len(events) > 0 {
		fmt.Fprintf(&b, "events (%d, oldest first):\n", len(events))
		if len(events) > dumpEvents {
			fmt.Fprintf(&b, "  … %d earlier\n", len(events)-dumpEvents)
			events = events[len(events)-dumpEvents:]
		}
		for _, ev := range events {
			fmt.Fprintf(&b, "  %s  %s  %s %s\n", ev.Created.UTC().Format(time.RFC3339), ev.ID, ev.Type, ev.ObjectID)
		}
	}
	if ds := f.WebhookDeliveries(); len(ds) > 0 {
		b.WriteString("webhook deliveries:\n")
		for _, d := range ds {
			b.WriteString("  " + d.EventID + " " + deliveryLine(d) + "\n")
		}
	}
	return b.String()
}

// objectLine is one stored object: kind, ID and its dumpFields.
func objectLine(kind, id string, raw []byte) string {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	parts := []string{kind, id}
	keys := make([]string, 0, len(dumpFields))
	for _, k := range dumpFields {
		switch v := m[k].(type) {
		case string, float64, bool:
			keys = append(keys, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return strings.Join(append(parts, keys...), " ")
}
