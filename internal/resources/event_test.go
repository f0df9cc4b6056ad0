package resources_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// A page of events answered from the stored bytes is, item by item, what
// retrieving each event renders; at 2023-10-16 every item says so in its
// api_version.
func TestEventListPagesRenderAsRetrieves(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		for range 3 {
			cu, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("e@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sc.V1Customers.Update(ctx, cu.ID, &stripe.CustomerUpdateParams{Params: stripe.Params{Metadata: map[string]string{"k": "v"}}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, version := range []string{string(resources.DefaultAPIVersion), "2023-10-16"} {
			status, body := rawAt(t, f, version, "GET", "/v1/events", url.Values{"limit": {"4"}})
			var page struct {
				Data []json.RawMessage `json:"data"`
			}
			if status != 200 || json.Unmarshal([]byte(body), &page) != nil || len(page.Data) != 4 {
				t.Fatalf("%s: list %d %s", version, status, body)
			}
			for _, item := range page.Data {
				var head struct {
					ID         string `json:"id"`
					APIVersion string `json:"api_version"`
				}
				_ = json.Unmarshal(item, &head)
				status, one := rawAt(t, f, version, "GET", "/v1/events/"+head.ID, nil)
				if status != 200 || one != string(item) {
					t.Errorf("%s: listed\n%s\nretrieved\n%s", version, item, one)
				}
				if head.APIVersion != version {
					t.Errorf("%s: event %s says api_version %s", version, head.ID, head.APIVersion)
				}
			}
		}
	})
}
