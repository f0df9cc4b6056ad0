package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/spec"
)

// Webhooks: every event that an enabled webhook endpoint takes is POSTed to
// its url, signed with its secret so that stripe-go's webhook.ConstructEvent
// accepts it, before the request that caused it (or the Advance) returns.
// Endpoints are made with POST /v1/webhook_endpoints or AddWebhookEndpoint.
// Deliveries go over HTTP, or straight to an http.Handler registered for
// the endpoint's url (WithWebhookHandler, HandleWebhooks). A failed
// delivery is retried on the fake's clock, so Advance drives retries.
//
// No lock is held while a webhook is delivered, so a receiver may call the
// fake's API back (its events are delivered before that call returns). It
// must not call Advance while a delivery made by Advance is under way: that
// Advance waits for the receiver, which would wait for it.

// DefaultWebhookTimeout is how long an HTTP delivery may take before it
// counts as failed.
const DefaultWebhookTimeout = 10 * time.Second

// maxWebhookResponse is how much of a receiver's answer is kept.
const maxWebhookResponse = 1 << 10

type webhookConfig struct {
	client     *http.Client
	timeout    time.Duration
	timeoutSet bool
	retries    []time.Duration // nil: resources.DefaultWebhookRetries
	handlers   map[string]http.Handler
}

func (w *webhookConfig) check() error {
	if w.client != nil && w.timeoutSet {
		return errors.New("fake: WithWebhookClient and WithWebhookTimeout cannot be used together; set Timeout on your client")
	}
	if w.timeout < 0 {
		return errors.New("fake: WithWebhookTimeout needs a duration of zero or more")
	}
	for _, d := range w.retries {
		if d <= 0 {
			return errors.New("fake: WithWebhookRetries needs delays greater than zero")
		}
	}
	return nil
}

// WithWebhookHandler delivers the webhooks of every endpoint whose url is
// exactly url to h, in process: no listener, the same signed request, h's
// status as the answer (200 if it writes none) and no timeout. h runs on a
// goroutine of its own: a panic in h, or h stopping its goroutine
// (t.FailNow, testify's require, runtime.Goexit), counts as a failed
// delivery, retried on schedule; a panic is also logged to the test.
// HandleWebhooks does the same after New.
func WithWebhookHandler(url string, h http.Handler) Option {
	return func(cfg *config) {
		if cfg.webhook.handlers == nil {
			cfg.webhook.handlers = map[string]http.Handler{}
		}
		cfg.webhook.handlers[url] = h
	}
}

// WithWebhookTimeout bounds each HTTP delivery; a receiver slower than d
// fails the attempt. Default DefaultWebhookTimeout (10s); 0 means no limit.
// Conflicts with WithWebhookClient.
func WithWebhookTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.webhook.timeout, cfg.webhook.timeoutSet = d, true }
}

// WithWebhookClient sends HTTP deliveries with c, e.g. an httptest TLS
// server's Client(). Its Timeout bounds each delivery. Default: a client
// with DefaultWebhookTimeout that does not follow redirects (Stripe counts a
// 3xx as a failure) and keeps no idle connections. Conflicts with
// WithWebhookTimeout.
func WithWebhookClient(c *http.Client) Option { return func(cfg *config) { cfg.webhook.client = c } }

// WithWebhookRetries sets the delays, on the fake's clock, from a failed
// delivery attempt to the next; their number is the number of retries.
// Default 1h, 2h, 4h: Stripe's test mode retries "three times over a few
// hours". No delays: no retries.
func WithWebhookRetries(delays ...time.Duration) Option {
	return func(cfg *config) { cfg.webhook.retries = append([]time.Duration{}, delays...) }
}

func webhookTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true // nothing idle to leak when the fake closes
	return t
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// webhookSender makes delivery attempts for the engine.
type webhookSender struct {
	client *http.Client
	faults *faultSet
	tb     testing.TB

	mu       sync.Mutex
	handlers map[string]http.Handler
}

func newWebhookSender(cfg webhookConfig, faults *faultSet, tb testing.TB) *webhookSender {
	s := &webhookSender{client: cfg.client, faults: faults, tb: tb, handlers: map[string]http.Handler{}}
	if s.client == nil {
		timeout := DefaultWebhookTimeout
		if cfg.timeoutSet {
			timeout = cfg.timeout
		}
		s.client = &http.Client{Timeout: timeout, Transport: webhookTransport(), CheckRedirect: noRedirects}
	}
	for u, h := range cfg.handlers {
		s.handlers[u] = h
	}
	return s
}

// HandleWebhooks delivers the webhooks of every endpoint whose url is
// exactly url to h, in process, as WithWebhookHandler does; a nil h sends
// them over HTTP again. Use it when the handler needs the fake (or a client
// of it) to be built first.
func (f *Fake) HandleWebhooks(url string, h http.Handler) {
	s := f.webhooks
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handlers, url)
		return
	}
	s.handlers[url] = h
}

func (s *webhookSender) send(req resources.WebhookRequest) resources.WebhookResponse {
	if s.faults.forWebhook(req.EndpointID) {
		return resources.WebhookResponse{Err: errors.New("stripefake: delivery failed by FailWebhooks")}
	}
	s.mu.Lock()
	h := s.handlers[req.URL]
	s.mu.Unlock()
	if h != nil {
		return s.serveInProcess(h, req)
	}
	hr, err := http.NewRequest(http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return resources.WebhookResponse{Err: err}
	}
	hr.Header = req.Header.Clone()
	resp, err := s.client.Do(hr)
	if err != nil {
		return resources.WebhookResponse{Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resources.WebhookResponse{Status: resp.StatusCode, Body: body}
}

// serveInProcess runs h on a goroutine of its own, so that a handler that
// stops its goroutine (t.FailNow, testify's require, runtime.Goexit) ends
// only that goroutine: like a panic, it is a failed attempt, retried on
// schedule, and the API call or Advance that delivered it carries on.
func (s *webhookSender) serveInProcess(h http.Handler, req resources.WebhookRequest) resources.WebhookResponse {
	hr := httptest.NewRequest(http.MethodPost, req.URL, bytes.NewReader(req.Body))
	hr.Header = req.Header.Clone()
	hr.Header.Set("Content-Length", strconv.Itoa(len(req.Body)))
	rec := httptest.NewRecorder()
	done := make(chan error, 1)
	go func() {
		returned := false
		defer func() {
			p := recover()
			switch {
			case p != nil:
				err := fmt.Errorf("stripefake: webhook handler for %s panicked: %v", req.URL, p)
				if s.tb != nil && p != http.ErrAbortHandler {
					s.tb.Logf("%v", err)
				}
				done <- err
			case !returned:
				done <- fmt.Errorf("stripefake: webhook handler for %s stopped its goroutine (runtime.Goexit, t.FailNow) without answering", req.URL)
			default:
				done <- nil
			}
		}()
		h.ServeHTTP(rec, hr)
		returned = true
	}()
	if err := <-done; err != nil {
		return resources.WebhookResponse{Err: err}
	}
	res := rec.Result()
	body := rec.Body.Bytes()
	if len(body) > maxWebhookResponse {
		body = body[:maxWebhookResponse]
	}
	return resources.WebhookResponse{Status: res.StatusCode, Body: bytes.Clone(body)}
}

// AddWebhookEndpoint creates a webhook endpoint for endpointURL taking events (none:
// "*"), as POST /v1/webhook_endpoints does but without a client and
// without a record in Requests, and returns its ID and signing secret. A
// bad url or event type fails the test.
func (f *Fake) AddWebhookEndpoint(endpointURL string, events ...string) (id, secret string) {
	if len(events) == 0 {
		events = []string{"*"}
	}
	params := url.Values{"url": {endpointURL}}
	for i, ev := range events {
		params.Set("enabled_events["+strconv.Itoa(i)+"]", ev)
	}
	resp := f.call(http.MethodPost, "/v1/webhook_endpoints", params)
	var out struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Error != nil || out.ID == "" {
		f.fail(fmt.Errorf("fake: AddWebhookEndpoint(%q): %s", endpointURL, resp.Body))
		return "", ""
	}
	return out.ID, out.Secret
}

// call serves one API request from the test side: validated like an HTTP
// request, run by the same handler, but not recorded.
func (f *Fake) call(method, path string, params url.Values) resources.Response {
	op, vars, ok := spec.Match(method, path)
	if !ok {
		return fail(apierr.UnrecognizedURL(method, path))
	}
	tree, err := form.DecodeValues(params)
	if err != nil {
		return fail(err)
	}
	typed, err := op.Validate(tree)
	if err != nil {
		return fail(err)
	}
	return f.engine.Serve(resources.Call{
		Method: op.Method, Pattern: op.Pattern, Path: path, Vars: vars, Params: typed,
		Version: f.engine.APIVersion(), Fingerprint: form.Encode(tree),
	})
}

// WebhookDelivery is one event's delivery to one endpoint, as recorded for
// assertions.
type WebhookDelivery struct {
	EventID    string
	EventType  string
	ObjectID   string // the ID of the event's data.object
	EndpointID string
	URL        string
	// Status is "pending" (a retry is scheduled), "succeeded", "failed"
	// (every retry failed) or "abandoned" (the endpoint was disabled or
	// deleted before a retry).
	Status    string
	Attempts  []WebhookAttempt
	NextRetry time.Time // fake time of the scheduled retry; zero if none
}

// WebhookAttempt is one POST of a delivery.
type WebhookAttempt struct {
	At        time.Time // fake time
	Status    int       // the receiver's HTTP status; 0 if it did not answer
	Error     string    // why it did not answer
	Response  string    // the start of the receiver's answer
	Signature string    // the Stripe-Signature header sent
}

// WebhookDeliveries returns copies of every webhook delivery so far, oldest
// first.
func (f *Fake) WebhookDeliveries() []WebhookDelivery {
	ds, err := f.engine.WebhookDeliveries()
	if err != nil {
		f.fail(err)
		return nil
	}
	out := make([]WebhookDelivery, len(ds))
	for i, d := range ds {
		out[i] = WebhookDelivery{
			EventID: d.EventID, EventType: d.EventType, ObjectID: d.ObjectID, EndpointID: d.EndpointID,
			URL: d.URL, Status: d.Status, NextRetry: d.NextRetry,
		}
		for _, a := range d.Attempts {
			out[i].Attempts = append(out[i].Attempts, WebhookAttempt(a))
		}
	}
	return out
}
