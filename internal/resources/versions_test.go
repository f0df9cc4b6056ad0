package resources_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

// callAt makes one API request at Stripe-Version version and decodes the
// answer; the harness checks it against that release's spec at cleanup.
func callAt(t *testing.T, f *fake.Fake, version, method, path string, form url.Values) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_versions")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Stripe-Version", version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s at %s: %d %s", method, path, version, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Stripe-Version"); got != version {
		t.Errorf("served %q for %q", got, version)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEveryRelease drives one billing flow at the first and last version
// of every release; every response is validated against the spec of its
// release, and the fields each breaking change moved are where that
// release has them.
func TestEveryRelease(t *testing.T) {
	versions := []string{
		"2023-10-16", "2024-04-10", "2024-06-20", "2024-09-30.acacia", "2025-02-24.acacia",
		"2025-03-31.basil", "2025-08-27.basil", "2025-09-30.clover", "2026-02-25.clover",
		"2026-03-25.dahlia", "2026-08-26.dahlia", "2026-09-30.endive", "2026-11-18.endive",
	}
	f, _ := testfake.New(t, testfake.Memory, fake.WithStartTime(testfake.Start))
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			preBasil := v < "2025-03-31"
			cu := callAt(t, f, v, "POST", "/v1/customers", url.Values{
				"payment_method": {"pm_card_visa"}, "invoice_settings[default_payment_method]": {"pm_card_visa"},
			})
			prodForm := url.Values{"name": {"Pro"}}
			if v < "2024-04-10" {
				prodForm.Set("features[0][name]", "Seats")
			} else {
				prodForm.Set("marketing_features[0][name]", "Seats")
			}
			prod := callAt(t, f, v, "POST", "/v1/products", prodForm)
			if _, ok := prod["features"].([]any); v < "2024-04-10" != ok {
				t.Errorf("product.features at %s: %v", v, prod["features"])
			}
			price := callAt(t, f, v, "POST", "/v1/prices", url.Values{
				"product": {prod["id"].(string)}, "currency": {"usd"}, "unit_amount": {"1000"}, "recurring[interval]": {"month"},
			})
			sub := callAt(t, f, v, "POST", "/v1/subscriptions", url.Values{
				"customer": {cu["id"].(string)}, "items[0][plan]": {price["id"].(string)}, "expand[0]": {"latest_invoice"},
			})
			if _, ok := sub["current_period_end"]; ok != preBasil {
				t.Errorf("subscription.current_period_end at %s: %v", v, sub["current_period_end"])
			}
			inv := sub["latest_invoice"].(map[string]any)
			if preBasil {
				if inv["subscription"] != sub["id"] || inv["paid"] != true || inv["payment_intent"] == nil {
					t.Errorf("invoice at %s: subscription %v paid %v payment_intent %v", v, inv["subscription"], inv["paid"], inv["payment_intent"])
				}
				if _, ok := inv["parent"]; ok {
					t.Errorf("invoice.parent at %s", v)
				}
			} else if p, _ := inv["parent"].(map[string]any); p == nil || inv["subscription"] != nil {
				t.Errorf("invoice at %s: parent %v subscription %v", v, inv["parent"], inv["subscription"])
			}
			callAt(t, f, v, "GET", "/v1/invoices/"+inv["id"].(string)+"/lines", nil)
			callAt(t, f, v, "GET", "/v1/subscriptions?customer="+cu["id"].(string), nil)
			evs := callAt(t, f, v, "GET", "/v1/events?limit=5", nil)
			for _, ev := range evs["data"].([]any) {
				if ev.(map[string]any)["api_version"] != v {
					t.Errorf("event api_version %v at %s", ev.(map[string]any)["api_version"], v)
				}
			}
		})
	}
}
