package resources_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestWebhookEndpointCreateRetrieveUpdateDeleteList(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL:           stripe.String("https://example.com/hooks"),
			EnabledEvents: stripe.StringSlice([]string{"customer.created", "invoice.paid"}),
			Description:   stripe.String("billing"),
			Params:        stripe.Params{Metadata: map[string]string{"team": "billing"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(we.ID, "we_") || !strings.HasPrefix(we.Secret, "whsec_") || len(we.Secret) != len("whsec_")+32 {
			t.Errorf("id %q secret %q", we.ID, we.Secret)
		}
		if we.Status != "enabled" || we.URL != "https://example.com/hooks" || we.APIVersion != "" || we.Description != "billing" ||
			we.Metadata["team"] != "billing" || we.Created != f.Now().Unix() || len(we.EnabledEvents) != 2 {
			t.Errorf("created %+v", we)
		}

		got, err := sc.V1WebhookEndpoints.Retrieve(ctx, we.ID, nil)
		if err != nil || got.ID != we.ID || got.Secret != "" {
			t.Fatalf("retrieve: %v %+v (the secret is shown only on create)", err, got)
		}
		if strings.Contains(string(got.LastResponse.RawJSON), "_secret") || strings.Contains(string(got.LastResponse.RawJSON), "whsec_") {
			t.Errorf("retrieve leaks the secret: %s", got.LastResponse.RawJSON)
		}

		up, err := sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{
			URL:           stripe.String("https://example.com/v2/hooks"),
			EnabledEvents: stripe.StringSlice([]string{"*"}),
			Disabled:      stripe.Bool(true),
			Description:   stripe.String(""),
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Status != "disabled" || up.URL != "https://example.com/v2/hooks" || up.Description != "" || len(up.EnabledEvents) != 1 || up.EnabledEvents[0] != "*" || up.Secret != "" {
			t.Errorf("updated %+v", up)
		}
		up, err = sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(false)})
		if err != nil || up.Status != "enabled" {
			t.Errorf("re-enable: %v %+v", err, up)
		}

		second, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("http://127.0.0.1:9/hooks"), EnabledEvents: stripe.StringSlice([]string{"*"}),
			APIVersion: stripe.String("2026-03-25.dahlia"),
		})
		if err != nil || second.APIVersion != "2026-03-25.dahlia" || second.Secret == we.Secret {
			t.Fatalf("second: %v %+v", err, second)
		}
		var ids []string
		for e, err := range sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Secret != "" {
				t.Errorf("list shows the secret of %s", e.ID)
			}
			ids = append(ids, e.ID)
		}
		if strings.Join(ids, ",") != second.ID+","+we.ID {
			t.Errorf("list %v, want newest first", ids)
		}

		del, err := sc.V1WebhookEndpoints.Delete(ctx, we.ID, nil)
		if err != nil || !del.Deleted || del.ID != we.ID {
			t.Fatalf("delete: %v %+v", err, del)
		}
		_, err = sc.V1WebhookEndpoints.Retrieve(ctx, we.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "No such webhook endpoint: '"+we.ID+"'")
		_, err = sc.V1WebhookEndpoints.Delete(ctx, we.ID, nil)
		stripeErr(t, err, http.StatusNotFound, stripe.ErrorCodeResourceMissing, "id", "")
		if n := len(f.Events()); n != 0 {
			t.Errorf("webhook endpoints emit no events; got %d", n)
		}
	})
}

func TestWebhookEndpointValidation(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		_, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("ftp://example.com"), EnabledEvents: stripe.StringSlice([]string{"*"}),
		})
		stripeErr(t, err, http.StatusBadRequest, "url_invalid", "url", "Not a valid URL")
		_, err = sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("https://example.com"), EnabledEvents: stripe.StringSlice([]string{"customer.nonsense"}),
		})
		stripeErr(t, err, http.StatusBadRequest, "", "enabled_events[0]", "")
		_, err = sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{URL: stripe.String("https://example.com")})
		stripeErr(t, err, http.StatusBadRequest, stripe.ErrorCodeParameterMissing, "enabled_events", "")

		we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("https://example.com"), EnabledEvents: stripe.StringSlice([]string{"*"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = sc.V1WebhookEndpoints.Update(ctx, we.ID, &stripe.WebhookEndpointUpdateParams{URL: stripe.String("example.com/no-scheme")})
		stripeErr(t, err, http.StatusBadRequest, "url_invalid", "url", "Not a valid URL")
		got, _ := sc.V1WebhookEndpoints.Retrieve(ctx, we.ID, nil)
		if got.URL != "https://example.com" {
			t.Errorf("a failed update changed the endpoint: %+v", got)
		}
		n := len(ids(t, sc.V1WebhookEndpoints.List(ctx, &stripe.WebhookEndpointListParams{}).All(ctx)))
		if n != 1 {
			t.Errorf("failed creates left %d endpoints", n)
		}
	})
}

// Two fakes with the same seed make the same IDs, but never the same
// signing secret: a secret is drawn from crypto/rand (issue 12, item 17).
func TestWebhookEndpointSecretsAreUnpredictable(t *testing.T) {
	for _, b := range testfake.Backends {
		t.Run(string(b), func(t *testing.T) {
			var ids, secrets []string
			for range 2 {
				_, sc := testfake.New(t, b)
				we, err := sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
					URL: stripe.String("https://example.com/hooks"), EnabledEvents: stripe.StringSlice([]string{"*"}),
				})
				if err != nil {
					t.Fatal(err)
				}
				ids, secrets = append(ids, we.ID), append(secrets, we.Secret)
			}
			if ids[0] != ids[1] {
				t.Errorf("ids %v: the same seed should give the same IDs", ids)
			}
			if secrets[0] == secrets[1] || len(secrets[0]) != len("whsec_")+32 {
				t.Errorf("secrets %v: want two different whsec_ secrets of 32 characters", secrets)
			}
		})
	}
}
