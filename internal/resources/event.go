package resources

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/store"
)

// Events: every state change writes an event in the same transaction as the
// change. Delivery to webhook endpoints happens after commit.

const kindEvent = "event"

// eventRetention is how far back GET /v1/events reaches.
const eventRetention = 30 * 24 * time.Hour

// Event is Stripe's event object.
type Event struct {
	ID              string       `json:"id"`
	Object          string       `json:"object"`
	APIVersion      string       `json:"api_version"`
	Created         int64        `json:"created"`
	Data            EventData    `json:"data"`
	Livemode        bool         `json:"livemode"`
	PendingWebhooks int64        `json:"pending_webhooks"`
	Request         EventRequest `json:"request"`
	Type            string       `json:"type"`

	// Timeline is the test clock whose time the event was created at, ""
	// for the fake's own clock: lists merge each timeline's events, which
	// are in created order (event_timeline.go). Never rendered.
	Timeline string `json:"_timeline,omitempty"`

	// Recorded is the fake clock's time when the event was written (Unix
	// seconds). Created is the object's time, a test clock's for objects on
	// one; retention is counted on the fake's clock. Never rendered. Zero
	// when it equals Created (the common case), which saves the bytes.
	Recorded int64 `json:"_recorded,omitempty"`
}

// wire renders the event for version: render transforms data.object to
// that version's shape, so api_version says version, which always tells
// the truth about the body.
func (ev *Event) wire(version string) any {
	cp := *ev
	cp.Recorded, cp.Timeline = 0, ""
	cp.APIVersion = version
	return &cp
}

// EventData holds the object as it was when the event happened.
type EventData struct {
	Object             json.RawMessage `json:"object"`
	PreviousAttributes map[string]any  `json:"previous_attributes,omitempty"`
}

// EventRequest names the API request that caused an event; both are null
// for automatic processes such as renewals.
type EventRequest struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

// ObjectID returns the ID of the event's data.object.
func (ev *Event) ObjectID() string {
	// Rendered objects start with their ID: read it without decoding the
	// whole object.
	if rest, ok := bytes.CutPrefix(ev.Data.Object, []byte(`{"id":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			return string(rest[:i])
		}
	}
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(ev.Data.Object, &head)
	return head.ID
}

// emit writes an event of typ for obj. prev is data.previous_attributes for
// *.updated events.
func (c *Ctx) emit(typ string, obj any, prev map[string]any) error {
	raw, err := c.render(obj)
	if err != nil {
		return err
	}
	id, err := c.NewID("evt")
	if err != nil {
		return err
	}
	ev := &Event{
		ID: id, Object: "event", APIVersion: DefaultAPIVersion, Created: c.Unix(),
		Data: EventData{Object: raw, PreviousAttributes: prev},
		Type: typ, Timeline: c.timeline,
	}
	if at := c.started.Unix(); at != ev.Created {
		ev.Recorded = at
	}
	if !c.automatic {
		if c.call.RequestID != "" {
			ev.Request.ID = &c.call.RequestID
		}
		if c.call.IdempotencyKey != "" {
			k := c.call.IdempotencyKey
			ev.Request.IdempotencyKey = &k
		}
	}
	targets, err := c.webhookTargets(ev)
	if err != nil {
		return err
	}
	ev.PendingWebhooks = int64(len(targets))
	if err := noteEventTimeline(c, ev); err != nil {
		return err
	}
	if err := c.save(kindEvent, id, ev, eventTerms(ev)...); err != nil {
		return err
	}
	c.events = append(c.events, ev)
	return c.queueDeliveries(ev, targets)
}

// emitUpdated writes an *.updated event when before and after differ,
// with previous_attributes holding the old values of what changed (hashes
// key by key, so a changed metadata key reports only that key, null if it
// was absent; arrays and scalars whole). It compares rendered JSON bytes,
// not decoded trees: cheap even for objects the size of an invoice. It
// reports whether anything changed.
func (c *Ctx) emitUpdated(typ string, before, after any) (bool, error) {
	b, err := c.render(before)
	if err != nil {
		return false, err
	}
	a, err := c.render(after)
	if err != nil {
		return false, err
	}
	prev, err := rawDiff(b, a)
	if err != nil || len(prev) == 0 {
		return false, err
	}
	return true, c.emit(typ, json.RawMessage(a), prev)
}

func toMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return m, d.Decode(&m)
}

func init() { families = append(families, registerEvents) }

func registerEvents(e *Engine) {
	e.kind(Kind{Object: kindEvent, Load: loader[Event](kindEvent), Wire: eventWire})
	e.route(Route{Method: "GET", Pattern: "/v1/events/{id}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[Event](c, kindEvent, c.Var("id"), "id")
	}})
	e.route(Route{Method: "GET", Pattern: "/v1/events", Read: true, Handle: listEvents})
}

// eventWire is the events' Kind.Wire: a record is what rendering its event
// gives at the version it is stored at (api_version names the version, so
// no other), unless it keeps a stored-only member (_recorded: the time it
// was recorded at; _timeline: its test clock).
func eventWire(v apiversion.Version, raw []byte) bool {
	return v == DefaultAPIVersion && !bytes.Contains(raw, storedOnlyMark)
}

// eventHead is what an event list reads of each event it walks.
type eventHead struct {
	ID              string `json:"id"`
	Created         int64  `json:"created"`
	PendingWebhooks int64  `json:"pending_webhooks"`
	Type            string `json:"type"`
	Recorded        int64  `json:"_recorded"`
	Timeline        string `json:"_timeline"`
}

// matchesAnyType matches event types, with a trailing "*" as a wildcard
// ("invoice.*").
func matchesAnyType(typ string, patterns []string) bool {
	for _, p := range patterns {
		if p == typ || (strings.HasSuffix(p, "*") && strings.HasPrefix(typ, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}

// Events calls fn for every stored event, oldest first.
func (e *Engine) Events(fn func(*Event)) error {
	return e.store.View(func(tx store.Tx) error {
		return tx.Scan(kindEvent, false, func(_ string, raw []byte) (bool, error) {
			var ev Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return false, err
			}
			fn(&ev)
			return true, nil
		})
	})
}

// jsonEqual reports whether a and b render to the same JSON.
func jsonEqual(a, b any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return bytes.Equal(ra, rb)
}
