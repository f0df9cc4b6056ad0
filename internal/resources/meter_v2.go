package resources

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// The v2 billing meter endpoints: single meter events and adjustments (JSON
// bodies, RFC 3339 times), and the high-throughput stream with the sessions
// that authenticate it. They share validation and storage with the v1
// endpoints in meter.go.

const (
	kindMeterEventSession = "v2.billing.meter_event_session"
	// meterEventSessionTTL is how long a session's token authenticates the
	// stream, in fake time: "Authentication tokens are only valid for 15
	// minutes".
	meterEventSessionTTL = 15 * time.Minute
	// meterStreamMaxEvents is the most events one stream request carries.
	meterStreamMaxEvents = 100
)

// v2Time is how v2 renders a time: RFC 3339 in UTC with milliseconds.
func v2Time(unix int64) string { return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05.000Z") }

// V2MeterEvent is Stripe's v2.billing.meter_event object.
type V2MeterEvent struct {
	Object     string            `json:"object"`
	Created    string            `json:"created"`
	EventName  string            `json:"event_name"`
	Identifier string            `json:"identifier"`
	Livemode   bool              `json:"livemode"`
	Payload    map[string]string `json:"payload"`
	Timestamp  string            `json:"timestamp"`
}

// V2MeterEventAdjustment is Stripe's v2.billing.meter_event_adjustment object.
type V2MeterEventAdjustment struct {
	ID        string                     `json:"id"`
	Object    string                     `json:"object"`
	Cancel    MeterEventAdjustmentCancel `json:"cancel"`
	Created   string                     `json:"created"`
	EventName string                     `json:"event_name"`
	Livemode  bool                       `json:"livemode"`
	Status    string                     `json:"status"`
	Type      string                     `json:"type"`
}

// MeterEventSession is Stripe's v2.billing.meter_event_session object. It is
// stored under its token, which is what the stream presents.
type MeterEventSession struct {
	ID                  string `json:"id"`
	Object              string `json:"object"`
	AuthenticationToken string `json:"authentication_token"`
	Created             string `json:"created"`
	ExpiresAt           string `json:"expires_at"`
	Livemode            bool   `json:"livemode"`

	Expires int64 `json:"_expires,omitempty"` // Unix seconds
}

func (s *MeterEventSession) wire(string) any {
	cp := *s
	cp.Expires = 0
	return &cp
}

func registerMetersV2(e *Engine) {
	e.route(Route{Method: "POST", Pattern: "/v2/billing/meter_events", Handle: createMeterEventV2})
	e.route(Route{Method: "POST", Pattern: "/v2/billing/meter_event_adjustments", Handle: createMeterEventAdjustmentV2})
	e.route(Route{Method: "POST", Pattern: "/v2/billing/meter_event_session", Handle: createMeterEventSession})
	e.route(Route{Method: "POST", Pattern: "/v2/billing/meter_event_stream", Handle: createMeterEventStream})
}

// v2EventInput reads one v2 event body (a meter_events request or one
// element of a stream's events).
func v2EventInput(p Params) (meterEventInput, error) {
	in := meterEventInput{EventName: p.Str("event_name"), Identifier: p.Str("identifier"), Payload: p.StringMap("payload")}
	if in.EventName == "" {
		return in, apierr.MissingParam(p.Path("event_name"))
	}
	if s, ok := p.String("timestamp"); ok && s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			// (Wording UNCONFIRMED.)
			return in, apierr.InvalidRequest(p.Path("timestamp"), fmt.Sprintf("Invalid timestamp: %s. Timestamps must be RFC 3339 date-times, e.g. 2024-06-01T12:00:00.000Z.", s))
		}
		in.Timestamp = &t
	}
	return in, nil
}

func v2MeterEvent(ev *MeterEvent) *V2MeterEvent {
	return &V2MeterEvent{
		Object: "v2.billing.meter_event", Created: v2Time(ev.Created), EventName: ev.EventName,
		Identifier: ev.Identifier, Payload: ev.Payload, Timestamp: v2Time(ev.Timestamp),
	}
}

func createMeterEventV2(c *Ctx) (any, error) {
	in, err := v2EventInput(c.Params)
	if err != nil {
		return nil, err
	}
	ev, err := recordMeterEvent(c, in)
	if err != nil {
		return nil, err
	}
	return v2MeterEvent(ev), nil
}

func createMeterEventAdjustmentV2(c *Ctx) (any, error) {
	p := c.Params
	eventName, err := p.Require("event_name")
	if err != nil {
		return nil, err
	}
	cancel, _ := p.Map("cancel")
	identifier, err := cancel.Require("identifier")
	if err != nil {
		return nil, err
	}
	if err := cancelByIdentifier(c, eventName, identifier, cancel.Path("identifier")); err != nil {
		return nil, err
	}
	id, err := newV2ID(c, "mtradj") // prefix UNCONFIRMED
	if err != nil {
		return nil, err
	}
	return &V2MeterEventAdjustment{
		ID: id, Object: "v2.billing.meter_event_adjustment", Cancel: MeterEventAdjustmentCancel{Identifier: identifier},
		Created: v2Time(c.Unix()), EventName: eventName, Status: "pending", Type: p.Str("type"),
	}, nil
}

func createMeterEventSession(c *Ctx) (any, error) {
	id, err := newV2ID(c, "mes") // prefix UNCONFIRMED
	if err != nil {
		return nil, err
	}
	n, err := c.tx.NextSequence(kindMeterEventSession)
	if err != nil {
		return nil, err
	}
	expires := c.Now().Add(meterEventSessionTTL).Unix()
	s := &MeterEventSession{
		ID: id, Object: "v2.billing.meter_event_session", Created: v2Time(c.Unix()), ExpiresAt: v2Time(expires),
		AuthenticationToken: "token_test_" + randomString(base62, mix(n)^c.e.cfg.Seed^0x746f6b, 48),
		Expires:             expires,
	}
	return s, c.save(kindMeterEventSession, s.AuthenticationToken, s)
}

// createMeterEventStream records a batch of events. As on Stripe, events
// are validated asynchronously: an invalid one is dropped (and kept for
// MeterEventErrors) while the others count, and the answer is an empty
// object. Only a malformed request fails as a whole. The HTTP layer
// authenticates the session token (MeterEventSessionCheck) before this runs.
func createMeterEventStream(c *Ctx) (any, error) {
	events := c.Params.List("events")
	if len(events) == 0 {
		return nil, apierr.MissingParam("events")
	}
	if len(events) > meterStreamMaxEvents {
		// (Wording UNCONFIRMED.)
		return nil, apierr.InvalidRequest("events", fmt.Sprintf("A meter event stream request can contain at most %d events, but you passed %d.", meterStreamMaxEvents, len(events)))
	}
	ins := make([]meterEventInput, len(events))
	for i, p := range events {
		in, err := v2EventInput(p)
		if err != nil {
			return nil, err
		}
		ins[i] = in
	}
	for _, in := range ins {
		_, err := recordMeterEvent(c, in)
		if err == nil {
			continue
		}
		ae, ok := isMeterEventError(err)
		if !ok {
			return nil, err
		}
		if ae.Code == "" {
			continue // a repeated identifier: de-duplicated, not an error Stripe reports
		}
		if err := recordMeterEventError(c, in, ae); err != nil {
			return nil, err
		}
	}
	return struct{}{}, nil
}

// The error type stripe-go maps to TemporarySessionExpiredError.
const typeTemporarySessionExpired = "temporary_session_expired"

// MeterEventSessionValid reports whether token is the authentication_token
// of a meter event session that has not expired (sessions last 15 minutes
// of fake time).
func (e *Engine) MeterEventSessionValid(token string) bool {
	return e.MeterEventSessionCheck(token) == nil
}

// MeterEventSessionCheck authenticates a request to the meter event stream
// by its bearer token: nil for a live session's token, a 401 of type
// temporary_session_expired (as v2 errors look) for an expired one, and a
// 401 invalid API key error for anything else. (Messages UNCONFIRMED.)
func (e *Engine) MeterEventSessionCheck(token string) error {
	var s MeterEventSession
	err := e.View(func(c *Ctx) error { return c.load(kindMeterEventSession, token, &s) })
	if errors.Is(err, store.ErrNotFound) || token == "" {
		return apierr.New(http.StatusUnauthorized, apierr.TypeInvalidRequest, "", "", "Invalid API Key provided: "+maskToken(token))
	}
	if err != nil {
		return err
	}
	if !e.Now().Before(time.Unix(s.Expires, 0)) {
		return apierr.New(http.StatusUnauthorized, typeTemporarySessionExpired, "", "",
			"The meter event session has expired. Create a new meter event session to continue sending meter events.")
	}
	return nil
}

// maskToken keeps a token's last four characters, as Stripe masks keys.
func maskToken(t string) string {
	if len(t) <= 4 {
		return t
	}
	return strings.Repeat("*", len(t)-4) + t[len(t)-4:]
}
