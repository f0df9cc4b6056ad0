package resources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Billing meters: meters, meter events (v1 here, v2 in meter_v2.go),
// meter event adjustments and event summaries.
//
// Storage, chosen so that no request scans every event:
//   - a meter is one record; a second record keyed by event_name names the
//     meter that owns it (an event name belongs to one meter);
//   - an accepted event is one small record keyed by its identifier
//     (de-duplication and cancellation), carrying the index term of its
//     window, for as long as it can still be canceled or de-duplicated:
//     24 hours after Stripe receives it (meterIdentifierWindow);
//   - usage is aggregated per (meter, customer, window), where the window is
//     a minute for raw meters and the meter's event_time_window (hour or
//     day) for pre-aggregated ones, and again per (meter, customer, UTC day)
//     with a bitmap of the windows that day holds;
//   - an event past those 24 hours can no longer change, so it is folded
//     into its window (foldMeterEvents) and its record deleted: the window
//     keeps the folded events' aggregate and, for raw meters, their
//     aggregate per second, so that summaries and usage over any range stay
//     exact. A million events then cost their windows, not a million
//     records.
//
// Ingesting an event costs a fixed number of reads and writes of small
// records. A summary or a usage query reads one record per day of its range,
// plus the windows of a day the range only partly covers (hourly summaries:
// of every day), plus the events of a minute the range cuts (only
// meterUsage's unaligned bounds do that).
//
// Stripe validates a meter event's payload asynchronously and reports
// failures as v2 thin events (v1.billing.meter.error_report_triggered,
// v1.billing.meter.no_meter_found). The fake answers the single-event
// endpoints (v1 and v2 meter_events) synchronously with a 400 carrying the
// same error code, so a test sees its mistake at once; the v2 stream, which
// Stripe documents as validated asynchronously, drops an invalid event and
// records the error (see MeterEventErrors).

const (
	kindMeter          = priceMeterKind // "billing.meter"
	kindMeterEventName = "billing.meter.event_name"
	kindMeterEvent     = "billing.meter_event"
	kindMeterFolded    = "billing.meter_event.folded" // when events were last folded
	kindMeterWindow    = "billing.meter_event.window"
	kindMeterDay       = "billing.meter_event.day"
	kindMeterError     = "billing.meter_event.error"
)

// Stripe's limits on meter events.
const (
	meterEventMaxAge      = 35 * 24 * time.Hour // timestamps at most 35 days back
	meterEventMaxAhead    = 5 * time.Minute     // and at most 5 minutes ahead
	meterIdentifierWindow = 24 * time.Hour      // identifiers unique for 24 h; cancel within 24 h
	meterFoldEvery        = time.Hour           // events are folded at most this often, so up to 25 h after arrival
	meterMaxDisplayName   = 250
	meterMaxName          = 100 // event_name, identifier, payload keys
)

const (
	secondsPerMinute = 60
	secondsPerHour   = 3600
	secondsPerDay    = 86400
)

// Meter is Stripe's billing.meter object.
type Meter struct {
	ID                 string                 `json:"id"`
	Object             string                 `json:"object"`
	Created            int64                  `json:"created"`
	CustomerMapping    MeterCustomerMapping   `json:"customer_mapping"`
	DefaultAggregation MeterAggregation       `json:"default_aggregation"`
	DisplayName        string                 `json:"display_name"`
	EventName          string                 `json:"event_name"`
	EventTimeWindow    *string                `json:"event_time_window"`
	Livemode           bool                   `json:"livemode"`
	Status             string                 `json:"status"`
	StatusTransitions  MeterStatusTransitions `json:"status_transitions"`
	Updated            int64                  `json:"updated"`
	ValueSettings      MeterValueSettings     `json:"value_settings"`
}

// MeterCustomerMapping is a meter's customer_mapping.
type MeterCustomerMapping struct {
	EventPayloadKey string `json:"event_payload_key"`
	Type            string `json:"type"`
}

// MeterAggregation is a meter's default_aggregation.
type MeterAggregation struct {
	Formula string `json:"formula"`
}

// MeterStatusTransitions is a meter's status_transitions.
type MeterStatusTransitions struct {
	DeactivatedAt *int64 `json:"deactivated_at"`
}

// MeterValueSettings is a meter's value_settings.
type MeterValueSettings struct {
	EventPayloadKey string `json:"event_payload_key"`
}

// windowSeconds is the length of the meter's aggregation window: a minute
// for raw events, else the pre-aggregation window.
func (m *Meter) windowSeconds() int64 {
	if m.EventTimeWindow == nil {
		return secondsPerMinute
	}
	if *m.EventTimeWindow == "day" {
		return secondsPerDay
	}
	return secondsPerHour
}

// preAggregated reports whether only the latest event received in each
// window counts.
func (m *Meter) preAggregated() bool { return m.EventTimeWindow != nil }

// MeterEvent is Stripe's billing.meter_event object, with the hidden state
// the fake keeps to aggregate and cancel it.
type MeterEvent struct {
	Object     string            `json:"object"`
	Created    int64             `json:"created"`
	EventName  string            `json:"event_name"`
	Identifier string            `json:"identifier"`
	Livemode   bool              `json:"livemode"`
	Payload    map[string]string `json:"payload"`
	Timestamp  int64             `json:"timestamp"`

	Seq      uint64 `json:"_seq,omitempty"` // arrival order; also the record's ID
	Meter    string `json:"_meter,omitempty"`
	Customer string `json:"_customer,omitempty"`
	Value    int64  `json:"_value,omitempty"`
	Canceled bool   `json:"_canceled,omitempty"`
}

func (ev *MeterEvent) wire(string) any {
	cp := *ev
	cp.Seq, cp.Meter, cp.Customer, cp.Value, cp.Canceled = 0, "", "", 0, false
	return &cp
}

// meterEventRecord is how an event is stored while it can still be
// canceled or de-duplicated: what aggregation needs, no payload (nothing
// renders a stored event). Its key is the identifier.
type meterEventRecord struct {
	Seq       uint64 `json:"q"`
	Created   int64  `json:"c"`
	Timestamp int64  `json:"t"`
	Meter     string `json:"m"`
	Customer  string `json:"u"`
	Value     int64  `json:"v,omitempty"`
	Canceled  bool   `json:"x,omitempty"`
}

func (r *meterEventRecord) event(identifier string) *MeterEvent {
	return &MeterEvent{Object: kindMeterEvent, Created: r.Created, Identifier: identifier, Timestamp: r.Timestamp,
		Seq: r.Seq, Meter: r.Meter, Customer: r.Customer, Value: r.Value, Canceled: r.Canceled}
}

// loadMeterEvent returns the stored event with identifier, or nil.
func loadMeterEvent(c *Ctx, identifier string) (*MeterEvent, error) {
	var r meterEventRecord
	found, err := c.loadOr(kindMeterEvent, identifier, &r)
	if !found {
		return nil, err
	}
	return r.event(identifier), nil
}

// MeterEventAdjustment is Stripe's billing.meter_event_adjustment object.
type MeterEventAdjustment struct {
	Object    string                     `json:"object"`
	Cancel    MeterEventAdjustmentCancel `json:"cancel"`
	EventName string                     `json:"event_name"`
	Livemode  bool                       `json:"livemode"`
	Status    string                     `json:"status"`
	Type      string                     `json:"type"`
}

// MeterEventAdjustmentCancel names the event an adjustment cancels.
type MeterEventAdjustmentCancel struct {
	Identifier string `json:"identifier"`
}

// MeterEventSummary is Stripe's billing.meter_event_summary object.
type MeterEventSummary struct {
	ID              string  `json:"id"`
	Object          string  `json:"object"`
	AggregatedValue float64 `json:"aggregated_value"`
	EndTime         int64   `json:"end_time"`
	Livemode        bool    `json:"livemode"`
	Meter           string  `json:"meter"`
	StartTime       int64   `json:"start_time"`
}

// MeterEventError is an event the fake dropped, as Stripe reports it in a
// v1.billing.meter.error_report_triggered event.
type MeterEventError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	EventName  string `json:"event_name"`
	Identifier string `json:"identifier"`
	Meter      string `json:"meter,omitempty"` // "" when no meter matched
	Created    int64  `json:"created"`
}

func init() { families = append(families, registerMeters) }

func registerMeters(e *Engine) {
	e.kind(Kind{Object: kindMeter, Load: loader[Meter](kindMeter)})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meters", Handle: createMeter})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/meters", Read: true, Handle: listMeters})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/meters/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[Meter](c, kindMeter, c.Var("id"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meters/{id}", Handle: updateMeter})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meters/{id}/deactivate", Handle: func(c *Ctx) (any, error) {
		return setMeterStatus(c, "inactive")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meters/{id}/reactivate", Handle: func(c *Ctx) (any, error) {
		return setMeterStatus(c, "active")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/billing/meters/{id}/event_summaries", Read: true, Handle: listMeterEventSummaries})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meter_events", Handle: createMeterEventV1})
	e.route(Route{Method: "POST", Pattern: "/v1/billing/meter_event_adjustments", Handle: createMeterEventAdjustmentV1})
	registerMetersV2(e)
}

// checkLen answers a string longer than the spec's maxLength, which the
// validator does not enforce. (Wording UNCONFIRMED.)
func checkLen(param, s string, n int) error {
	if len(s) > n {
		return apierr.InvalidRequest(param, fmt.Sprintf("Invalid string: %s; must be at most %d characters", s, n))
	}
	return nil
}

// newV2ID returns a v2-style ID: prefix, "_test_", then 32 characters
// starting "61", as Stripe's meter IDs (mtr_test_61Q8nQ…) look. The first
// 24 characters after "61" come from the engine's ID scramble (unique), the
// rest are filler.
func newV2ID(c *Ctx, prefix string) (string, error) {
	n, err := c.tx.NextSequence("ids")
	if err != nil {
		return "", err
	}
	unique := c.e.ids.Format("v", n)[len("v_"):]
	return prefix + "_test_61" + unique + randomString(base62, n^c.e.cfg.Seed^0x6d7472, 6), nil
}

func meterTerms(m *Meter) []string { return []string{"status=" + m.Status} }

func saveMeter(c *Ctx, m *Meter) error { return c.save(kindMeter, m.ID, m, meterTerms(m)...) }

func createMeter(c *Ctx) (any, error) {
	p := c.Params
	name, err := p.Require("display_name")
	if err != nil {
		return nil, err
	}
	eventName, err := p.Require("event_name")
	if err != nil {
		return nil, err
	}
	if err := checkLen("display_name", name, meterMaxDisplayName); err != nil {
		return nil, err
	}
	if err := checkLen("event_name", eventName, meterMaxName); err != nil {
		return nil, err
	}
	agg, _ := p.Map("default_aggregation")
	formula, err := agg.Require("formula")
	if err != nil {
		return nil, err
	}
	m := &Meter{
		Object: kindMeter, Created: c.Unix(), Updated: c.Unix(), DisplayName: name, EventName: eventName,
		DefaultAggregation: MeterAggregation{Formula: formula},
		CustomerMapping:    MeterCustomerMapping{EventPayloadKey: "stripe_customer_id", Type: "by_id"},
		ValueSettings:      MeterValueSettings{EventPayloadKey: "value"},
		Status:             "active",
	}
	if cm, ok := p.Map("customer_mapping"); ok {
		key, err := cm.Require("event_payload_key")
		if err != nil {
			return nil, err
		}
		if err := checkLen(cm.Path("event_payload_key"), key, meterMaxName); err != nil {
			return nil, err
		}
		m.CustomerMapping = MeterCustomerMapping{EventPayloadKey: key, Type: cm.Str("type")}
	}
	if vs, ok := p.Map("value_settings"); ok {
		key, err := vs.Require("event_payload_key")
		if err != nil {
			return nil, err
		}
		if err := checkLen(vs.Path("event_payload_key"), key, meterMaxName); err != nil {
			return nil, err
		}
		m.ValueSettings.EventPayloadKey = key
	}
	if m.ValueSettings.EventPayloadKey == m.CustomerMapping.EventPayloadKey {
		return nil, apierr.InvalidRequest("value_settings[event_payload_key]",
			"value_settings[event_payload_key] must differ from customer_mapping[event_payload_key].") // UNCONFIRMED wording
	}
	if w, ok := p.String("event_time_window"); ok {
		m.EventTimeWindow = &w
	}
	if _, err := c.tx.Get(kindMeterEventName, eventName); err == nil {
		// An event name belongs to one meter, active or not. (Wording UNCONFIRMED.)
		return nil, apierr.InvalidRequest("event_name", fmt.Sprintf("A meter with event_name '%s' already exists.", eventName))
	} else if err != store.ErrNotFound {
		return nil, err
	}
	if m.ID, err = newV2ID(c, "mtr"); err != nil {
		return nil, err
	}
	if err := c.tx.Put(kindMeterEventName, eventName, []byte(strconv.Quote(m.ID))); err != nil {
		return nil, err
	}
	if err := saveMeter(c, m); err != nil {
		return nil, err
	}
	return m, c.emit("billing.meter.created", m, nil)
}

func listMeters(c *Ctx) (any, error) {
	term := ""
	if s, ok := c.Params.String("status"); ok {
		term = "status=" + s
	}
	items, err := scan[Meter](c, kindMeter, term, nil)
	if err != nil {
		return nil, err
	}
	return page(c, "/v1/billing/meters", items, func(m *Meter) (string, int64) { return m.ID, m.Created })
}

func updateMeter(c *Ctx) (any, error) {
	m, err := get[Meter](c, kindMeter, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	before := *m
	if c.Params.Has("display_name") {
		name, err := c.Params.Require("display_name")
		if err != nil {
			return nil, apierr.InvalidEmpty("display_name")
		}
		if err := checkLen("display_name", name, meterMaxDisplayName); err != nil {
			return nil, err
		}
		m.DisplayName = name
	}
	if m.DisplayName == before.DisplayName {
		return m, nil
	}
	m.Updated = c.Unix()
	if err := saveMeter(c, m); err != nil {
		return nil, err
	}
	_, err = c.emitUpdated("billing.meter.updated", &before, m)
	return m, err
}

// setMeterStatus deactivates or reactivates the meter in the path.
func setMeterStatus(c *Ctx, status string) (any, error) {
	m, err := get[Meter](c, kindMeter, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	if m.Status == status {
		// (Wording UNCONFIRMED.)
		verb := map[string]string{"active": "active", "inactive": "inactive"}[status]
		return nil, apierr.InvalidRequest("", fmt.Sprintf("The meter '%s' is already %s.", m.ID, verb))
	}
	m.Status = status
	m.Updated = c.Unix()
	typ := "billing.meter.reactivated"
	m.StatusTransitions.DeactivatedAt = nil
	if status == "inactive" {
		now := c.Unix()
		m.StatusTransitions.DeactivatedAt = &now
		typ = "billing.meter.deactivated"
	}
	if err := saveMeter(c, m); err != nil {
		return nil, err
	}
	return m, c.emit(typ, m, nil)
}

// meterEventInput is one meter event as a v1 form or v2 JSON body sends it.
type meterEventInput struct {
	EventName  string
	Identifier string // "" to generate one
	Payload    map[string]string
	Timestamp  *time.Time // nil for "now"
}

// meterEventError is a rejected event's error: synchronous answers use it as
// is, the stream records it.
func meterEventError(code, param, msg string) *apierr.Error {
	return apierr.Invalid(code, param, msg)
}

// recordMeterEvent validates and stores one event and adds it to its
// meter's aggregates. It reads a fixed number of records whatever the
// number of events already stored.
func recordMeterEvent(c *Ctx, in meterEventInput) (*MeterEvent, error) {
	if err := checkLen("event_name", in.EventName, meterMaxName); err != nil {
		return nil, err
	}
	if err := checkLen("identifier", in.Identifier, meterMaxName); err != nil {
		return nil, err
	}
	m, err := meterForEvent(c, in.EventName)
	if err != nil {
		return nil, err
	}
	custKey := m.CustomerMapping.EventPayloadKey
	custID := in.Payload[custKey]
	if custID == "" {
		return nil, meterEventError("meter_event_no_customer_defined", "payload["+custKey+"]",
			fmt.Sprintf("The payload must contain the key '%s' naming the customer, as meter '%s' maps customers by it.", custKey, m.ID))
	}
	cu, err := get[Customer](c, kindCustomer, custID, "payload["+custKey+"]")
	if err == nil && cu.Deleted {
		err = c.e.noSuch(kindCustomer, custID, "payload["+custKey+"]")
	}
	if err != nil {
		if ae, ok := err.(*apierr.Error); ok && ae.Code == "resource_missing" {
			return nil, meterEventError("meter_event_customer_not_found", ae.Param, ae.Message)
		}
		return nil, err
	}
	// The window is measured on the customer's clock: a customer on a test
	// clock reports usage at the clock's frozen time.
	now, err := c.nowFor(cu)
	if err != nil {
		return nil, err
	}
	ts := now.Unix()
	if in.Timestamp != nil {
		ts = in.Timestamp.Unix()
		if oldest := now.Add(-meterEventMaxAge).Unix(); ts < oldest {
			return nil, meterEventError("timestamp_too_far_in_past", "timestamp", fmt.Sprintf(
				"The event timestamp cannot be more than 35 days in past. Expected a timestamp greater than or equal to %d.", oldest))
		}
		if latest := now.Add(meterEventMaxAhead).Unix(); ts > latest {
			return nil, meterEventError("timestamp_in_future", "timestamp", fmt.Sprintf(
				"The event timestamp cannot be more than 5 minutes in the future. Expected a timestamp less than or equal to %d.", latest))
		}
	}
	var value int64
	if m.DefaultAggregation.Formula != "count" {
		if value, err = meterEventValue(m, in.Payload); err != nil {
			return nil, err
		}
	}
	if err := foldMeterEvents(c); err != nil {
		return nil, err
	}
	seq, err := c.tx.NextSequence(kindMeterEvent)
	if err != nil {
		return nil, err
	}
	identifier := in.Identifier
	if identifier == "" {
		identifier = generatedIdentifier(c.e.cfg.Seed, seq)
	}
	if err := checkIdentifierFree(c, identifier); err != nil {
		return nil, err
	}
	ev := &MeterEvent{
		Object: kindMeterEvent, Created: c.Unix(), EventName: in.EventName, Identifier: identifier,
		Payload: in.Payload, Timestamp: ts, Seq: seq, Meter: m.ID, Customer: cu.ID, Value: value,
	}
	if ev.Payload == nil {
		ev.Payload = map[string]string{}
	}
	if err := saveMeterEvent(c, m, ev); err != nil {
		return nil, err
	}
	return ev, addToUsage(c, m, ev)
}

// meterForEvent returns the active meter that owns eventName.
func meterForEvent(c *Ctx, eventName string) (*Meter, error) {
	raw, err := c.tx.Get(kindMeterEventName, eventName)
	if err == store.ErrNotFound {
		return nil, meterEventError("no_meter", "event_name", fmt.Sprintf("No meter was found for the event name '%s'.", eventName))
	}
	if err != nil {
		return nil, err
	}
	id, err := strconv.Unquote(string(raw))
	if err != nil {
		return nil, err
	}
	m, err := get[Meter](c, kindMeter, id, "event_name")
	if err != nil {
		return nil, err
	}
	if m.Status != "active" {
		return nil, meterEventError("archived_meter", "event_name", fmt.Sprintf(
			"The meter '%s' for the event name '%s' is inactive and does not accept meter events.", m.ID, eventName))
	}
	return m, nil
}

// meterEventValue reads the event's value: Stripe accepts whole numbers
// only.
func meterEventValue(m *Meter, payload map[string]string) (int64, error) {
	key := m.ValueSettings.EventPayloadKey
	raw, ok := payload[key]
	param := "payload[" + key + "]"
	if !ok || raw == "" {
		return 0, meterEventError("meter_event_invalid_value", param, fmt.Sprintf(
			"The payload must contain the key '%s' with the event's value, as meter '%s' reads its value from it.", key, m.ID))
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, meterEventError("meter_event_value_too_many_digits", param, fmt.Sprintf(
			"The value '%s' of the payload key '%s' has too many digits.", raw, key))
	}
	if err != nil {
		return 0, meterEventError("meter_event_invalid_value", param, fmt.Sprintf(
			"The value '%s' of the payload key '%s' is not a whole number.", raw, key))
	}
	return v, nil
}

// checkIdentifierFree answers an identifier used within the last 24 hours:
// "We'll enforce uniqueness within a rolling 24 hour period"
// (https://docs.stripe.com/api/v2/billing/meter-events/create; v1 says "at
// least 24 hours", https://docs.stripe.com/api/billing/meter-event/create).
// An older event with the identifier that is not folded yet is folded now,
// freeing its key. Stripe sends no code with this error.
func checkIdentifierFree(c *Ctx, identifier string) error {
	ev, err := loadMeterEvent(c, identifier)
	if ev == nil {
		return err
	}
	if c.Unix()-ev.Created < int64(meterIdentifierWindow/time.Second) {
		return apierr.InvalidRequest("identifier", "An event already exists with identifier "+identifier)
	}
	return foldEvents(c, []*MeterEvent{ev})
}

// generatedIdentifier is the identifier of an event sent without one: a
// UUID-shaped string, deterministic for the seed. (Stripe's format is
// UNCONFIRMED.)
func generatedIdentifier(seed, seq uint64) string {
	h := randomString("0123456789abcdef", mix(seq)^seed^0x6d657674, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func windowKey(meter, customer string, start int64) string {
	return meter + "|" + customer + "|" + strconv.FormatInt(start, 10)
}

func floorTo(ts, size int64) int64 {
	r := ts % size
	if r < 0 {
		r += size
	}
	return ts - r
}

func (ev *MeterEvent) windowStart(m *Meter) int64 { return floorTo(ev.Timestamp, m.windowSeconds()) }

func saveMeterEvent(c *Ctx, m *Meter, ev *MeterEvent) error {
	r := meterEventRecord{Seq: ev.Seq, Created: ev.Created, Timestamp: ev.Timestamp, Meter: ev.Meter,
		Customer: ev.Customer, Value: ev.Value, Canceled: ev.Canceled}
	return c.save(kindMeterEvent, ev.Identifier, r, "w="+windowKey(m.ID, ev.Customer, ev.windowStart(m)))
}

// meterAgg aggregates the counted events of a window or a day: their sum
// and count, and the value of the last one by timestamp (arrival breaks
// ties). Count 0 means empty.
type meterAgg struct {
	Sum     int64  `json:"s,omitempty"`
	Count   int64  `json:"n,omitempty"`
	LastTS  int64  `json:"t,omitempty"`
	LastSeq uint64 `json:"q,omitempty"`
	LastVal int64  `json:"v,omitempty"`
}

func aggOf(ev *MeterEvent) meterAgg {
	return meterAgg{Sum: ev.Value, Count: 1, LastTS: ev.Timestamp, LastSeq: ev.Seq, LastVal: ev.Value}
}

// lastAfter reports whether a's last event comes after b's.
func (a meterAgg) lastAfter(b meterAgg) bool {
	return a.LastTS > b.LastTS || (a.LastTS == b.LastTS && a.LastSeq > b.LastSeq)
}

func (a meterAgg) sameLast(b meterAgg) bool { return a.LastTS == b.LastTS && a.LastSeq == b.LastSeq }

// takeLast makes b's last event a's if it comes later.
func (a *meterAgg) takeLast(b meterAgg, aEmpty bool) {
	if b.Count > 0 && (aEmpty || b.lastAfter(*a)) {
		a.LastTS, a.LastSeq, a.LastVal = b.LastTS, b.LastSeq, b.LastVal
	}
}

func (a *meterAgg) add(b meterAgg) {
	a.takeLast(b, a.Count == 0)
	a.Sum += b.Sum
	a.Count += b.Count
}

// value is the aggregate under formula.
func (a meterAgg) value(formula string) float64 {
	switch formula {
	case "count":
		return float64(a.Count)
	case "last":
		if a.Count == 0 {
			return 0
		}
		return float64(a.LastVal)
	}
	return float64(a.Sum)
}

// meterWindow is one customer's usage of one meter in one window. Agg
// counts every event that counts; Old is the part of it from folded events
// (those past the cancellation window, whose records are gone): for raw
// meters their aggregate, with Secs breaking it down by second of
// timestamp (oldest first, one aggregate per second) for ranges that cut
// the window; for pre-aggregated meters the latest received of them.
type meterWindow struct {
	Agg  meterAgg   `json:"agg"`
	Old  meterAgg   `json:"old,omitzero"`
	Secs []meterAgg `json:"secs,omitzero"`
}

// fold adds a folded event to the window's Old part (ev already counts in
// Agg). Events are folded in arrival order.
func (w *meterWindow) fold(m *Meter, ev *MeterEvent) {
	a := aggOf(ev)
	if m.preAggregated() {
		w.Old = a
		return
	}
	w.Old.add(a)
	i := sort.Search(len(w.Secs), func(i int) bool { return w.Secs[i].LastTS >= ev.Timestamp })
	if i < len(w.Secs) && w.Secs[i].LastTS == ev.Timestamp {
		w.Secs[i].add(a)
		return
	}
	w.Secs = append(w.Secs, meterAgg{})
	copy(w.Secs[i+1:], w.Secs[i:])
	w.Secs[i] = a
}

// foldMeterEvents folds every event received more than 24 hours ago (so no
// longer cancelable, and its identifier free again) into its window and
// deletes its record. It runs when an event is recorded, at most once per
// meterFoldEvery of fake time, and visits only the events it folds.
func foldMeterEvents(c *Ctx) error {
	now := c.Unix()
	var last int64
	found, err := c.loadOr(kindMeterFolded, "at", &last)
	if err != nil {
		return err
	}
	if found && now-last < int64(meterFoldEvery/time.Second) && now >= last {
		return nil
	}
	if err := c.save(kindMeterFolded, "at", now); err != nil {
		return err
	}
	cutoff := now - int64(meterIdentifierWindow/time.Second)
	var old []*MeterEvent
	err = c.tx.Scan(kindMeterEvent, false, func(id string, raw []byte) (bool, error) {
		var r meterEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return false, err
		}
		if r.Created > cutoff {
			return false, nil // arrival order: the rest are younger
		}
		old = append(old, r.event(id))
		return true, nil
	})
	if err != nil {
		return err
	}
	return foldEvents(c, old)
}

// foldEvents folds events (in arrival order) into their windows, writing
// each window once, and deletes their records.
func foldEvents(c *Ctx, events []*MeterEvent) error {
	meters := map[string]*Meter{}
	windows := map[string]*meterWindow{}
	var keys []string // windows in first-touched order, so writes are deterministic
	for _, ev := range events {
		if err := c.tx.Delete(kindMeterEvent, ev.Identifier); err != nil {
			return err
		}
		if ev.Canceled {
			continue // it already left its window
		}
		m := meters[ev.Meter]
		if m == nil {
			var err error
			if m, err = get[Meter](c, kindMeter, ev.Meter, "id"); err != nil {
				return err
			}
			meters[ev.Meter] = m
		}
		key := windowKey(m.ID, ev.Customer, ev.windowStart(m))
		w := windows[key]
		if w == nil {
			w = &meterWindow{}
			if _, err := c.loadOr(kindMeterWindow, key, w); err != nil {
				return err
			}
			windows[key] = w
			keys = append(keys, key)
		}
		w.fold(m, ev)
	}
	for _, key := range keys {
		if err := c.save(kindMeterWindow, key, windows[key]); err != nil {
			return err
		}
	}
	return nil
}

// meterDay is one customer's usage of one meter on one UTC day, with a
// bitmap of the windows that day holds (1,440 minutes at most: a fixed,
// small record however many events the day has).
type meterDay struct {
	Agg  meterAgg `json:"agg"`
	Mask []byte   `json:"mask"`
}

// mark records that the window starting at start holds events.
func (d *meterDay) mark(start, size int64) {
	i := (start % secondsPerDay) / size
	if need := int(i/8) + 1; len(d.Mask) < need {
		d.Mask = append(d.Mask, make([]byte, need-len(d.Mask))...)
	}
	d.Mask[i/8] |= 1 << (i % 8)
}

// windows returns the starts of the day's windows that hold events, in order.
func (d *meterDay) windows(day, size int64) []int64 {
	var out []int64
	for i, b := range d.Mask {
		for bit := 0; b != 0; bit++ {
			if b&1 != 0 {
				out = append(out, day+int64(i*8+bit)*size)
			}
			b >>= 1
		}
	}
	return out
}

// loadOr reads kind/id into v, reporting false if there is no such record.
func (c *Ctx) loadOr(kind, id string, v any) (bool, error) {
	err := c.load(kind, id, v)
	if err == store.ErrNotFound {
		return false, nil
	}
	return err == nil, err
}

// addToUsage adds a new event to its window and day.
func addToUsage(c *Ctx, m *Meter, ev *MeterEvent) error {
	start := ev.windowStart(m)
	var w meterWindow
	found, err := c.loadOr(kindMeterWindow, windowKey(m.ID, ev.Customer, start), &w)
	if err != nil {
		return err
	}
	old := w.Agg
	if m.preAggregated() {
		w.Agg = aggOf(ev) // the latest event received in the window replaces the one before
	} else {
		w.Agg.add(aggOf(ev))
	}
	return changeWindow(c, m, ev.Customer, start, old, &w, !found)
}

// changeWindow stores window w, whose aggregate was old, and moves its
// day's aggregate from old to w's. isNew adds the window to the day's list.
func changeWindow(c *Ctx, m *Meter, customer string, start int64, old meterAgg, w *meterWindow, isNew bool) error {
	agg := w.Agg
	if err := c.save(kindMeterWindow, windowKey(m.ID, customer, start), w); err != nil {
		return err
	}
	dayStart := floorTo(start, secondsPerDay)
	dayID := windowKey(m.ID, customer, dayStart)
	var d meterDay
	if _, err := c.loadOr(kindMeterDay, dayID, &d); err != nil {
		return err
	}
	if isNew {
		d.mark(start, m.windowSeconds())
	}
	wasEmpty := d.Agg.Count == 0
	d.Agg.Sum += agg.Sum - old.Sum
	d.Agg.Count += agg.Count - old.Count
	forward := old.Count == 0 || (agg.Count > 0 && !old.lastAfter(agg))
	switch {
	case forward:
		// The window's last event only moved later: the day's last is the
		// later of the two.
		d.Agg.takeLast(agg, wasEmpty)
	case old.sameLast(d.Agg):
		// The day's last event left: find the new one among its windows.
		last := meterAgg{}
		for _, ws := range d.windows(dayStart, m.windowSeconds()) {
			var w meterWindow
			if ws == start {
				w.Agg = agg
			} else if _, err := c.loadOr(kindMeterWindow, windowKey(m.ID, customer, ws), &w); err != nil {
				return err
			}
			last.add(w.Agg)
		}
		d.Agg.LastTS, d.Agg.LastSeq, d.Agg.LastVal = last.LastTS, last.LastSeq, last.LastVal
	}
	return c.save(kindMeterDay, dayID, d)
}

// windowEvents calls fn for every stored (not yet folded) event of a
// window, canceled ones included, in arrival order.
func windowEvents(c *Ctx, meter, customer string, start int64, fn func(ev *MeterEvent)) error {
	return c.tx.ScanIndex(kindMeterEvent, "w="+windowKey(meter, customer, start), false, func(id string, raw []byte) (bool, error) {
		var r meterEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return false, err
		}
		fn(r.event(id))
		return true, nil
	})
}

// cancelMeterEvent stops ev from counting and takes it out of its window
// and day.
func cancelMeterEvent(c *Ctx, ev *MeterEvent) error {
	m, err := get[Meter](c, kindMeter, ev.Meter, "id")
	if err != nil {
		return err
	}
	ev.Canceled = true
	if err := saveMeterEvent(c, m, ev); err != nil {
		return err
	}
	start := ev.windowStart(m)
	var w meterWindow
	if _, err := c.loadOr(kindMeterWindow, windowKey(m.ID, ev.Customer, start), &w); err != nil {
		return err
	}
	old := w.Agg
	mine := aggOf(ev)
	if m.preAggregated() {
		if old.LastSeq != ev.Seq {
			return nil // a later event had already replaced it
		}
		// The latest event received before it that is still counted takes
		// its place: a stored one, else the latest folded one.
		w.Agg = w.Old
		err = windowEvents(c, m.ID, ev.Customer, start, func(o *MeterEvent) {
			if !o.Canceled {
				w.Agg = aggOf(o)
			}
		})
	} else {
		w.Agg.Sum -= ev.Value
		w.Agg.Count--
		if w.Agg.Count > 0 && old.sameLast(mine) {
			last := w.Old
			err = windowEvents(c, m.ID, ev.Customer, start, func(o *MeterEvent) {
				if !o.Canceled {
					last.add(aggOf(o))
				}
			})
			w.Agg.LastTS, w.Agg.LastSeq, w.Agg.LastVal = last.LastTS, last.LastSeq, last.LastVal
		}
		if w.Agg.Count == 0 {
			w.Agg = meterAgg{}
		}
	}
	if err != nil {
		return err
	}
	return changeWindow(c, m, ev.Customer, start, old, &w, false)
}

// usage aggregates the customer's counted events of meter m with
// timestamps in [start, end) (Unix seconds). It reads one record per day of
// the range; for days the range only partly covers, the windows of that
// day; for raw minutes the range cuts, that minute's events.
func usage(c *Ctx, m *Meter, customer string, start, end int64) (meterAgg, error) {
	var total meterAgg
	size := m.windowSeconds()
	for day := floorTo(start, secondsPerDay); day < end; day += secondsPerDay {
		var d meterDay
		found, err := c.loadOr(kindMeterDay, windowKey(m.ID, customer, day), &d)
		if err != nil {
			return total, err
		}
		if !found || d.Agg.Count == 0 {
			continue
		}
		if day >= start && day+secondsPerDay <= end {
			total.add(d.Agg)
			continue
		}
		for _, ws := range d.windows(day, size) {
			if ws+size <= start || ws >= end {
				continue
			}
			var w meterWindow
			if _, err := c.loadOr(kindMeterWindow, windowKey(m.ID, customer, ws), &w); err != nil {
				return total, err
			}
			switch {
			case m.preAggregated():
				// One event counts for the window: it is in range by its timestamp.
				if w.Agg.Count > 0 && w.Agg.LastTS >= start && w.Agg.LastTS < end {
					total.add(w.Agg)
				}
			case ws >= start && ws+size <= end:
				total.add(w.Agg)
			default:
				for _, sec := range w.Secs {
					if sec.LastTS >= start && sec.LastTS < end {
						total.add(sec)
					}
				}
				err := windowEvents(c, m.ID, customer, ws, func(ev *MeterEvent) {
					if !ev.Canceled && ev.Timestamp >= start && ev.Timestamp < end {
						total.add(aggOf(ev))
					}
				})
				if err != nil {
					return total, err
				}
			}
		}
	}
	return total, nil
}

// meterUsage is the meter's aggregate (its default_aggregation formula)
// over the customer's non-canceled events with timestamps in [start, end):
// the quantity a metered price bills for that period. Bounds need not be
// minute-aligned.
func meterUsage(c *Ctx, meterID, customerID string, start, end time.Time) (float64, error) {
	m, err := get[Meter](c, kindMeter, meterID, "meter")
	if err != nil {
		return 0, err
	}
	agg, err := usage(c, m, customerID, start.Unix(), end.Unix())
	if err != nil {
		return 0, err
	}
	return agg.value(m.DefaultAggregation.Formula), nil
}

// summaryUsage groups the customer's usage in [start, end) by hour or day
// (bounds aligned to the grouping), returning the groups that hold events
// by their start.
func summaryUsage(c *Ctx, m *Meter, customer string, start, end, group int64) (map[int64]meterAgg, error) {
	out := map[int64]meterAgg{}
	for day := floorTo(start, secondsPerDay); day < end; day += secondsPerDay {
		var d meterDay
		found, err := c.loadOr(kindMeterDay, windowKey(m.ID, customer, day), &d)
		if err != nil {
			return nil, err
		}
		if !found || d.Agg.Count == 0 {
			continue
		}
		if group == secondsPerDay {
			out[day] = d.Agg
			continue
		}
		for _, ws := range d.windows(day, m.windowSeconds()) {
			var w meterWindow
			if _, err := c.loadOr(kindMeterWindow, windowKey(m.ID, customer, ws), &w); err != nil {
				return nil, err
			}
			if w.Agg.Count == 0 {
				continue
			}
			// A raw window lies inside one hour; a pre-aggregated window's one
			// counted event falls in the hour of its timestamp.
			hour := floorTo(ws, secondsPerHour)
			if m.preAggregated() {
				hour = floorTo(w.Agg.LastTS, secondsPerHour)
			}
			if hour < start || hour >= end {
				continue
			}
			agg := out[hour]
			agg.add(w.Agg)
			out[hour] = agg
		}
	}
	return out, nil
}

func listMeterEventSummaries(c *Ctx) (any, error) {
	p := c.Params
	m, err := get[Meter](c, kindMeter, c.Var("id"), "id")
	if err != nil {
		return nil, err
	}
	custID, err := p.Require("customer")
	if err != nil {
		return nil, err
	}
	if _, err := liveCustomer(c, custID, "customer"); err != nil {
		return nil, err
	}
	start, err := p.RequireInt("start_time")
	if err != nil {
		return nil, err
	}
	end, err := p.RequireInt("end_time")
	if err != nil {
		return nil, err
	}
	// (Wording of the alignment errors UNCONFIRMED.)
	align, unit := int64(secondsPerMinute), "minute"
	group := int64(0)
	switch p.Str("value_grouping_window") {
	case "hour":
		align, unit, group = secondsPerHour, "hour", secondsPerHour
	case "day":
		align, unit, group = secondsPerDay, "day (00:00 UTC)", secondsPerDay
	}
	for _, b := range []struct {
		param string
		v     int64
	}{{"start_time", start}, {"end_time", end}} {
		if b.v%align != 0 {
			return nil, apierr.InvalidRequest(b.param, fmt.Sprintf("%s must be aligned with %s boundaries.", b.param, unit))
		}
	}
	if end <= start {
		return nil, apierr.InvalidRequest("end_time", "end_time must be after start_time.")
	}
	summary := func(from, to int64, agg meterAgg) *MeterEventSummary {
		return &MeterEventSummary{
			ID:     "mtrusg_test_" + randomString(base62, hashString(windowKey(m.ID, custID, from)+"|"+strconv.FormatInt(to, 10)), 32),
			Object: "billing.meter_event_summary", AggregatedValue: agg.value(m.DefaultAggregation.Formula),
			StartTime: from, EndTime: to, Meter: m.ID,
		}
	}
	var items []*MeterEventSummary
	if group == 0 {
		// Without a grouping window there is one summary for the whole range.
		agg, err := usage(c, m, custID, start, end)
		if err != nil {
			return nil, err
		}
		items = append(items, summary(start, end, agg))
	} else {
		// Grouped summaries list the windows that hold events, newest first.
		groups, err := summaryUsage(c, m, custID, start, end, group)
		if err != nil {
			return nil, err
		}
		for from, agg := range groups {
			items = append(items, summary(from, from+group, agg))
		}
		sort.Slice(items, func(a, b int) bool { return items[a].StartTime > items[b].StartTime })
	}
	for _, cursor := range []string{"starting_after", "ending_before"} {
		if id, ok := p.String(cursor); ok && !containsSummary(items, id) {
			return nil, c.e.noSuch("billing.meter_event_summary", id, cursor)
		}
	}
	return page(c, "/v1/billing/meters/"+m.ID+"/event_summaries", items, func(s *MeterEventSummary) (string, int64) { return s.ID, s.StartTime })
}

func containsSummary(items []*MeterEventSummary, id string) bool {
	for _, s := range items {
		if s.ID == id {
			return true
		}
	}
	return false
}

func createMeterEventV1(c *Ctx) (any, error) {
	p := c.Params
	in := meterEventInput{EventName: p.Str("event_name"), Identifier: p.Str("identifier"), Payload: p.StringMap("payload")}
	if in.EventName == "" {
		return nil, apierr.MissingParam("event_name")
	}
	if ts, ok := p.Int("timestamp"); ok {
		t := time.Unix(ts, 0).UTC()
		in.Timestamp = &t
	}
	return recordMeterEvent(c, in)
}

// cancelByIdentifier cancels the event named by an adjustment: one received
// within the last 24 hours under eventName. (Wording of its errors
// UNCONFIRMED: Stripe reports a failed adjustment asynchronously.)
func cancelByIdentifier(c *Ctx, eventName, identifier, param string) error {
	ev, err := loadMeterEvent(c, identifier)
	if err != nil {
		return err
	}
	notFound := apierr.Invalid("resource_missing", param, fmt.Sprintf(
		"No meter event with identifier '%s' was found for the event name '%s'.", identifier, eventName))
	if ev == nil {
		// Never received, or folded: received more than 24 hours ago.
		return notFound
	}
	if raw, err := c.tx.Get(kindMeterEventName, eventName); err != nil || string(raw) != strconv.Quote(ev.Meter) {
		return notFound // an event name belongs to one meter for good
	}
	if c.Unix()-ev.Created >= int64(meterIdentifierWindow/time.Second) {
		return apierr.InvalidRequest(param, fmt.Sprintf(
			"The meter event with identifier '%s' cannot be canceled: only events received within the last 24 hours can be canceled.", identifier))
	}
	if ev.Canceled {
		return apierr.InvalidRequest(param, fmt.Sprintf("The meter event with identifier '%s' has already been canceled.", identifier))
	}
	return cancelMeterEvent(c, ev)
}

func createMeterEventAdjustmentV1(c *Ctx) (any, error) {
	p := c.Params
	eventName, err := p.Require("event_name")
	if err != nil {
		return nil, err
	}
	if err := checkLen("event_name", eventName, meterMaxName); err != nil {
		return nil, err
	}
	cancel, ok := p.Map("cancel")
	if !ok {
		return nil, apierr.MissingParam("cancel")
	}
	identifier, err := cancel.Require("identifier")
	if err != nil {
		return nil, err
	}
	if err := checkLen(cancel.Path("identifier"), identifier, meterMaxName); err != nil {
		return nil, err
	}
	if err := cancelByIdentifier(c, eventName, identifier, cancel.Path("identifier")); err != nil {
		return nil, err
	}
	// Stripe processes adjustments asynchronously and answers "pending"; the
	// fake has applied it already.
	return &MeterEventAdjustment{
		Object: "billing.meter_event_adjustment", Cancel: MeterEventAdjustmentCancel{Identifier: identifier},
		EventName: eventName, Status: "pending", Type: p.Str("type"),
	}, nil
}

// recordMeterEventError keeps an event the stream dropped.
func recordMeterEventError(c *Ctx, in meterEventInput, err *apierr.Error) error {
	seq, serr := c.tx.NextSequence(kindMeterError)
	if serr != nil {
		return serr
	}
	rec := MeterEventError{Code: err.Code, Message: err.Message, EventName: in.EventName, Identifier: in.Identifier, Created: c.Unix()}
	if raw, gerr := c.tx.Get(kindMeterEventName, in.EventName); gerr == nil {
		rec.Meter, _ = strconv.Unquote(string(raw))
	}
	return c.save(kindMeterError, strconv.FormatUint(seq, 10), rec)
}

// MeterEventErrors returns the events the v2 stream dropped as invalid,
// oldest first: what Stripe would report in
// v1.billing.meter.error_report_triggered (or no_meter_found) events.
func (e *Engine) MeterEventErrors() ([]MeterEventError, error) {
	var out []MeterEventError
	err := e.View(func(c *Ctx) error {
		return c.tx.Scan(kindMeterError, false, func(_ string, raw []byte) (bool, error) {
			var rec MeterEventError
			if err := json.Unmarshal(raw, &rec); err != nil {
				return false, err
			}
			out = append(out, rec)
			return true, nil
		})
	})
	return out, err
}

// isMeterEventError reports whether err is a validation error of one event
// (dropped by the stream) rather than a failure of the request.
func isMeterEventError(err error) (*apierr.Error, bool) {
	ae, ok := err.(*apierr.Error)
	return ae, ok && ae.Status == http.StatusBadRequest && !strings.HasPrefix(ae.Message, "stripefake")
}
