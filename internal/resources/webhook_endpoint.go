package resources

import (
	"errors"
	"github.com/stripefake/stripefake/internal/apiversion"
	"net/url"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// Webhook endpoints: create (the only answer that carries the signing
// secret), retrieve, update (disabled flips status), delete, list. Events are
// delivered to them by webhook_delivery.go.

const kindWebhookEndpoint = "webhook_endpoint"

// WebhookEndpoint is Stripe's webhook_endpoint object.
type WebhookEndpoint struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	APIVersion    *string           `json:"api_version"`
	Application   *string           `json:"application"`
	Created       int64             `json:"created"`
	Description   *string           `json:"description"`
	EnabledEvents []string          `json:"enabled_events"`
	Livemode      bool              `json:"livemode"`
	Metadata      map[string]string `json:"metadata"`
	Secret        *string           `json:"secret,omitempty"` // set only on the create answer
	Status        string            `json:"status"`
	URL           string            `json:"url"`

	// SigningSecret is the whsec_ secret, kept so that deliveries can be
	// signed; Stripe shows it only once, so wire drops it.
	SigningSecret string `json:"_secret,omitempty"`
	// Connect endpoints receive only events of connected accounts, which
	// the fake has none of. Never rendered.
	Connect bool `json:"_connect,omitempty"`
}

// wire renders a copy without the stored-only fields.
func (we *WebhookEndpoint) wire(string) any {
	out := *we
	out.SigningSecret = ""
	out.Connect = false
	return &out
}

// enabledFor reports whether the endpoint takes events of typ.
func (we *WebhookEndpoint) enabledFor(typ string) bool {
	if we.Status != "enabled" || we.Connect {
		return false
	}
	for _, e := range we.EnabledEvents {
		if e == "*" || e == typ {
			return true
		}
	}
	return false
}

func init() { families = append(families, registerWebhookEndpoints) }

func registerWebhookEndpoints(e *Engine) {
	e.kind(Kind{Object: kindWebhookEndpoint, NoSuch: "webhook endpoint", Load: loader[WebhookEndpoint](kindWebhookEndpoint)})
	e.route(Route{Method: "POST", Pattern: "/v1/webhook_endpoints", Handle: createWebhookEndpoint})
	e.route(Route{Method: "GET", Pattern: "/v1/webhook_endpoints/{webhook_endpoint}", Read: true, Handle: func(c *Ctx) (any, error) {
		return get[WebhookEndpoint](c, kindWebhookEndpoint, c.Var("webhook_endpoint"), "id")
	}})
	e.route(Route{Method: "POST", Pattern: "/v1/webhook_endpoints/{webhook_endpoint}", Handle: updateWebhookEndpoint})
	e.route(Route{Method: "DELETE", Pattern: "/v1/webhook_endpoints/{webhook_endpoint}", Handle: deleteWebhookEndpoint})
	e.route(Route{Method: "GET", Pattern: "/v1/webhook_endpoints", Read: true, Handle: func(c *Ctx) (any, error) {
		items, err := scan[WebhookEndpoint](c, kindWebhookEndpoint, "", nil)
		if err != nil {
			return nil, err
		}
		return page(c, "/v1/webhook_endpoints", items, func(we *WebhookEndpoint) (string, int64) { return we.ID, we.Created })
	}})
}

func createWebhookEndpoint(c *Ctx) (any, error) {
	p := c.Params
	u, err := p.Require("url")
	if err != nil {
		return nil, err
	}
	if err := checkWebhookURL(u); err != nil {
		return nil, err
	}
	events := p.Strings("enabled_events")
	if len(events) == 0 {
		return nil, apierr.MissingParam("enabled_events")
	}
	id, err := c.NewID("we")
	if err != nil {
		return nil, err
	}
	we := &WebhookEndpoint{
		ID: id, Object: kindWebhookEndpoint, Created: c.Unix(), EnabledEvents: events,
		Metadata: map[string]string{}, Status: "enabled", URL: u,
		SigningSecret: "whsec_" + unguessable(32),
	}
	we.APIVersion = p.NullableString("api_version")
	if we.APIVersion != nil {
		if _, err := apiversion.Parse(*we.APIVersion); err != nil {
			return nil, apierr.InvalidRequest("api_version", err.Error())
		}
	}
	we.Description = p.NullableString("description")
	we.Connect, _ = p.Bool("connect")
	if we.Metadata, err = applyMetadata(p, we.Metadata); err != nil {
		return nil, err
	}
	c.endpointsLoaded, c.endpoints = false, nil // this transaction's events see the change
	if err := c.save(kindWebhookEndpoint, id, we); err != nil {
		return nil, err
	}
	out := *we
	out.Secret = &we.SigningSecret
	return &out, nil
}

// checkWebhookURL accepts any absolute http or https URL: unlike Stripe, the
// fake must reach loopback test servers.
func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apierr.InvalidRequest("url", "Invalid URL: "+raw+". URLs must begin with http:// or https://.")
	}
	return nil
}

func updateWebhookEndpoint(c *Ctx) (any, error) {
	p := c.Params
	we, err := get[WebhookEndpoint](c, kindWebhookEndpoint, c.Var("webhook_endpoint"), "id")
	if err != nil {
		return nil, err
	}
	if u, ok := p.String("url"); ok {
		if err := checkWebhookURL(u); err != nil {
			return nil, err
		}
		we.URL = u
	}
	if p.Has("enabled_events") {
		events := p.Strings("enabled_events")
		if len(events) == 0 {
			return nil, apierr.InvalidEmpty("enabled_events")
		}
		we.EnabledEvents = events
	}
	if p.Has("description") {
		we.Description = p.NullableString("description")
	}
	if disabled, ok := p.Bool("disabled"); ok {
		we.Status = "enabled"
		if disabled {
			we.Status = "disabled"
		}
	}
	if we.Metadata, err = applyMetadata(p, we.Metadata); err != nil {
		return nil, err
	}
	c.endpointsLoaded, c.endpoints = false, nil
	return we, c.save(kindWebhookEndpoint, we.ID, we)
}

func deleteWebhookEndpoint(c *Ctx) (any, error) {
	id := c.Var("webhook_endpoint")
	if _, err := get[WebhookEndpoint](c, kindWebhookEndpoint, id, "id"); err != nil {
		return nil, err
	}
	// Deliveries still owed to it are dropped when their retry falls due.
	c.endpointsLoaded, c.endpoints = false, nil
	if err := c.tx.Delete(kindWebhookEndpoint, id); err != nil {
		return nil, err
	}
	return DeletedObject{ID: id, Object: kindWebhookEndpoint, Deleted: true}, nil
}

// loadWebhookEndpoint returns the endpoint with id, or nil if it was deleted.
func loadWebhookEndpoint(c *Ctx, id string) (*WebhookEndpoint, error) {
	var we WebhookEndpoint
	err := c.load(kindWebhookEndpoint, id, &we)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &we, nil
}
