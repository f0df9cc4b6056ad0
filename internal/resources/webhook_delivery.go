package resources

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/scheduler"

	"github.com/stripefake/stripefake/clockwork"
	"github.com/stripefake/stripefake/store"
)

// Webhook delivery. After a transaction commits, each of its events is
// matched against the enabled endpoints and POSTed to each, signed, in
// order, before the request's response (or the Advance) returns. No store
// lock is held while sending, so a receiver may call the fake back. A failed
// attempt is retried by a "webhook.retry" job on the fake's own clock, so
// Advance drives retries. Every delivery is kept as a record for inspection.

const (
	kindWebhookDelivery = "webhook_delivery" // never served: inspection only
	jobWebhookRetry     = "webhook.retry"
)

// Delivery states.
const (
	DeliveryPending   = "pending"   // not yet attempted, or a retry is scheduled
	DeliverySucceeded = "succeeded" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // every attempt failed; no retry is left
	DeliveryAbandoned = "abandoned" // the endpoint was disabled or deleted before a retry
)

// WebhookRequest is one signed delivery attempt, handed to the sender.
type WebhookRequest struct {
	EndpointID string
	URL        string
	EventID    string
	EventType  string
	Header     http.Header // Content-Type, User-Agent, Stripe-Signature
	Body       []byte
}

// WebhookResponse is what the receiver answered.
type WebhookResponse struct {
	Status int    // the HTTP status; 0 when there was no answer
	Body   []byte // the start of the answer, kept for inspection
	Err    error  // why there was no answer (refused, timed out)
}

// Webhooks is how the engine delivers events.
type Webhooks struct {
	// Send makes one attempt. It is called with no lock held and may take as
	// long as the receiver does. Nil fails every attempt.
	Send func(WebhookRequest) WebhookResponse
	// Retries are the delays, on the fake's clock, from a failed attempt to
	// the next; their number is the number of retries. Nil means
	// DefaultWebhookRetries; an empty slice, no retries.
	Retries []time.Duration
}

// DefaultWebhookRetries is the fake's reading of Stripe's test mode, which
// retries "three times over a few hours": 1h, 2h then 4h after the attempt
// before.
func DefaultWebhookRetries() []time.Duration {
	return []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour}
}

// WebhookDelivery is the record of one event's delivery to one endpoint.
type WebhookDelivery struct {
	ID         string           `json:"id"` // event ID + "/" + endpoint ID
	EventID    string           `json:"event"`
	EventType  string           `json:"event_type"`
	ObjectID   string           `json:"object_id"` // the event's data.object ID
	EndpointID string           `json:"endpoint"`
	URL        string           `json:"url"` // the endpoint's URL at the latest attempt
	Status     string           `json:"status"`
	Attempts   []WebhookAttempt `json:"attempts"`
	NextRetry  time.Time        `json:"next_retry"` // fake time; zero unless a retry is scheduled

	// EventAt is the event's "now" on its own timeline and Timeline that
	// timeline, so that the invoice finalization delay (which runs on the
	// invoice's timeline) can be moved by the fake-clock time deliveries took.
	EventAt  time.Time `json:"event_at"`
	Timeline string    `json:"timeline,omitempty"`
}

// WebhookAttempt is one POST to the endpoint.
type WebhookAttempt struct {
	At        time.Time `json:"at"`     // fake time
	Status    int       `json:"status"` // 0 when there was no answer
	Error     string    `json:"error,omitempty"`
	Response  string    `json:"response,omitempty"` // the start of the answer
	Signature string    `json:"signature"`          // the Stripe-Signature header sent
}

// Settled reports whether no attempt is left to make.
func (d *WebhookDelivery) Settled() bool { return d.Status != DeliveryPending }

// afterInvoiceCreatedDelivered is called in a write transaction once every
// delivery of an invoice.created event has settled (succeeded, or failed
// after its last retry, or abandoned), with the time that happened on the
// invoice's timeline: Stripe finalizes a draft an hour after invoice.created
// reached every endpoint. invoice_finalize.go sets it to rescheduleFinalization; nil
// means nothing waits on delivery.
var afterInvoiceCreatedDelivered func(c *Ctx, invoiceID string, at time.Time) error

// SetWebhooks installs how events are sent. Call it before serving.
func (e *Engine) SetWebhooks(w Webhooks) { e.deliver = w }

func (e *Engine) webhookRetries() []time.Duration {
	if e.deliver.Retries == nil {
		return DefaultWebhookRetries()
	}
	return e.deliver.Retries
}

func init() { families = append(families, registerWebhookDelivery) }

func registerWebhookDelivery(e *Engine) {
	e.job(jobWebhookRetry, func(c *Ctx, j store.Job) error {
		d, err := loadDelivery(c, j.ObjectID)
		if err != nil || d == nil || d.Settled() {
			return err
		}
		we, err := loadWebhookEndpoint(c, d.EndpointID)
		if err != nil {
			return err
		}
		if we == nil || we.Status != "enabled" {
			return settleDelivery(c, d, DeliveryAbandoned)
		}
		at := c.now
		c.after(func() error { return c.e.attemptDelivery(d.ID, at) })
		return nil
	})
}

// listensFor reports whether an enabled endpoint takes events of typ, so
// that work which waits on delivery (invoice finalization) knows to wait.
func listensFor(c *Ctx, typ string) (bool, error) {
	found := false
	err := c.tx.Scan(kindWebhookEndpoint, false, func(_ string, raw []byte) (bool, error) {
		var we WebhookEndpoint
		if err := json.Unmarshal(raw, &we); err != nil {
			return false, err
		}
		found = we.enabledFor(typ)
		return !found, nil
	})
	return found, err
}

func loadDelivery(c *Ctx, id string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := c.load(kindWebhookDelivery, id, &d)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func saveDelivery(c *Ctx, d *WebhookDelivery) error {
	return c.save(kindWebhookDelivery, d.ID, d, "event="+d.EventID)
}

// webhookTargets returns the enabled endpoints that ev goes to. The
// endpoints are read once per transaction.
func (c *Ctx) webhookTargets(ev *Event) ([]*WebhookEndpoint, error) {
	if !c.endpointsLoaded {
		err := c.tx.Scan(kindWebhookEndpoint, false, func(_ string, raw []byte) (bool, error) {
			we := new(WebhookEndpoint)
			if err := json.Unmarshal(raw, we); err != nil {
				return false, err
			}
			c.endpoints = append(c.endpoints, we)
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		c.endpointsLoaded = true
	}
	var targets []*WebhookEndpoint
	for _, we := range c.endpoints {
		if we.enabledFor(ev.Type) {
			targets = append(targets, we)
		}
	}
	return targets, nil
}

// queueDeliveries records a pending delivery of ev to each target, in the
// transaction that wrote ev; the attempts follow the commit.
func (c *Ctx) queueDeliveries(ev *Event, targets []*WebhookEndpoint) error {
	for _, we := range targets {
		d := &WebhookDelivery{
			ID: ev.ID + "/" + we.ID, EventID: ev.ID, EventType: ev.Type, ObjectID: ev.ObjectID(),
			EndpointID: we.ID, URL: we.URL, Status: DeliveryPending, Attempts: []WebhookAttempt{},
			EventAt: c.now, Timeline: c.timeline,
		}
		if err := saveDelivery(c, d); err != nil {
			return err
		}
		c.deliveries = append(c.deliveries, d.ID)
	}
	return nil
}

// deliverEvents attempts, in order, the deliveries queued by c's
// transaction. It runs after commit with no lock held, so a receiver may
// call the fake back.
func (e *Engine) deliverEvents(c *Ctx) error {
	// The fake's time: a test clock's job runs at the clock's frozen time,
	// but deliveries and their retries live on the fake's own clock.
	at := c.now
	if c.timeline != scheduler.DefaultTimeline {
		at = e.clock.Now()
	}
	for _, id := range c.deliveries {
		if err := e.attemptDelivery(id, at); err != nil {
			return err
		}
	}
	return nil
}

// write runs fn in a write transaction as an automatic process at fake time
// at, then does what follows a commit (next-due cache, events, after
// functions).
func (e *Engine) write(at time.Time, fn func(c *Ctx) error) error {
	c := e.newCtx(Call{})
	c.automatic = true
	c.now = at
	err := e.store.Update(func(tx store.Tx) error {
		c.bindWrite(tx)
		return c.finish(fn(c))
	})
	if err != nil {
		return err
	}
	return e.afterCommit(c)
}

// attemptDelivery makes one attempt of delivery id at fake time at and
// records the outcome, scheduling the next retry if one is left.
func (e *Engine) attemptDelivery(id string, at time.Time) error {
	var req WebhookRequest
	var d *WebhookDelivery
	var we *WebhookEndpoint
	err := e.View(func(c *Ctx) error {
		var err error
		if d, err = loadDelivery(c, id); err != nil || d == nil {
			return err
		}
		if we, err = loadWebhookEndpoint(c, d.EndpointID); err != nil || we == nil {
			return err
		}
		ev, err := get[Event](c, kindEvent, d.EventID, "id")
		if err != nil {
			return err
		}
		req, err = signedRequest(c, ev, we)
		return err
	})
	if err != nil || d == nil || d.Settled() {
		return err
	}
	if we == nil || we.Status != "enabled" {
		return e.write(at, func(c *Ctx) error { return settleDelivery(c, d, DeliveryAbandoned) })
	}

	var resp WebhookResponse
	if e.deliver.Send == nil {
		resp.Err = fmt.Errorf("stripefake: no webhook sender is configured")
	} else {
		resp = e.deliver.Send(req)
	}

	return e.write(at, func(c *Ctx) error {
		d, err := loadDelivery(c, id)
		if err != nil || d == nil {
			return err
		}
		a := WebhookAttempt{At: at, Status: resp.Status, Response: string(resp.Body), Signature: req.Header.Get("Stripe-Signature")}
		if resp.Err != nil {
			a.Error = resp.Err.Error()
		}
		d.Attempts = append(d.Attempts, a)
		d.URL = req.URL
		d.NextRetry = time.Time{}
		if resp.Err == nil && resp.Status >= 200 && resp.Status < 300 {
			ev, err := get[Event](c, kindEvent, d.EventID, "id")
			if err != nil {
				return err
			}
			if ev.PendingWebhooks > 0 {
				ev.PendingWebhooks--
				if err := c.save(kindEvent, ev.ID, ev, eventTerms(ev)...); err != nil {
					return err
				}
			}
			return settleDelivery(c, d, DeliverySucceeded)
		}
		retries := e.webhookRetries()
		if n := len(d.Attempts) - 1; n < len(retries) {
			d.NextRetry = at.Add(retries[n])
			if err := c.schedule(jobWebhookRetry, d.ID, scheduler.DefaultTimeline, d.NextRetry); err != nil {
				return err
			}
			return saveDelivery(c, d)
		}
		return settleDelivery(c, d, DeliveryFailed)
	})
}

// settleDelivery ends delivery d with status, and once every delivery of an
// invoice.created event has settled, lets the invoice's finalization move.
func settleDelivery(c *Ctx, d *WebhookDelivery, status string) error {
	d.Status = status
	d.NextRetry = time.Time{}
	if err := saveDelivery(c, d); err != nil {
		return err
	}
	if d.EventType != "invoice.created" || afterInvoiceCreatedDelivered == nil {
		return nil
	}
	open, err := scan(c, kindWebhookDelivery, "event="+d.EventID, func(o *WebhookDelivery) bool { return !o.Settled() })
	if err != nil || len(open) > 0 {
		return err
	}
	// The time on the invoice's timeline: when the event happened, plus the
	// fake-clock time its deliveries took.
	at := d.EventAt
	if len(d.Attempts) > 0 {
		at = at.Add(c.now.Sub(d.Attempts[0].At))
	}
	return afterInvoiceCreatedDelivered(c, d.ObjectID, at)
}

// signedRequest renders ev for endpoint we, at the endpoint's api_version or
// the account's default, and signs it as Stripe does:
// Stripe-Signature t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>")). The
// timestamp is the real time, because receivers check it against their own
// clock (stripe-go allows 5 minutes); the event's created is fake time.
func signedRequest(c *Ctx, ev *Event, we *WebhookEndpoint) (WebhookRequest, error) {
	v := c.e.APIVersion()
	if we.APIVersion != nil {
		if pv, err := apiversion.Parse(*we.APIVersion); err == nil {
			v = pv
		}
	}
	raw, err := c.e.renderIn(c, v, ev) // Event.wire drops hidden state
	if err != nil {
		return WebhookRequest{}, err
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, "", "  "); err != nil {
		return WebhookRequest{}, err
	}
	body := indented.Bytes()
	t := strconv.FormatInt(clockwork.WallUnix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Accept", "*/*; q=0.5, application/xml")
	h.Set("Cache-Control", "no-cache")
	h.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	h.Set("Stripe-Signature", "t="+t+",v1="+sign(we.SigningSecret, t, body))
	return WebhookRequest{EndpointID: we.ID, URL: we.URL, EventID: ev.ID, EventType: ev.Type, Header: h, Body: body}, nil
}

// sign is the v1 scheme: hex HMAC-SHA256 keyed by the whole whsec_ secret.
func sign(secret, t string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// WebhookDeliveries returns every delivery record, oldest first.
func (e *Engine) WebhookDeliveries() ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	err := e.store.View(func(tx store.Tx) error {
		return tx.Scan(kindWebhookDelivery, false, func(_ string, raw []byte) (bool, error) {
			var d WebhookDelivery
			if err := json.Unmarshal(raw, &d); err != nil {
				return false, err
			}
			out = append(out, d)
			return true, nil
		})
	})
	return out, err
}

// Kinds returns the object kinds the engine stores and renders, sorted, for
// Dump-style views of state.
func (e *Engine) Kinds() []string {
	out := make([]string, 0, len(e.kinds))
	for k := range e.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
