package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/testfake"
)

func TestStripeVersionParsing(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory)
	for _, tc := range []struct {
		header, served string
		status         int
	}{
		{"2023-10-16", "2023-10-16", 200},
		{"2024-04-10", "2024-04-10", 200},
		{"2025-03-31.basil", "2025-03-31.basil", 200},
		{"2025-09-30.clover", "2025-09-30.clover", 200},
		{"2026-10-28.endive", "2026-10-28.endive", 200},
		// Newer than the newest known: served as the newest known.
		{"2099-01-01.zebra", "2026-11-18.endive", 200},
		{"2027-02-24", "2026-11-18.endive", 200},
		// Malformed, or a date Stripe never published.
		{"banana", "2026-03-25.dahlia", 400},
		{"2024-01-01", "2026-03-25.dahlia", 400},
		{"2099-13-01.zebra", "2026-03-25.dahlia", 400},
	} {
		status, h, body := raw(t, f, "GET", "/v1/customers", "", map[string]string{"Stripe-Version": tc.header})
		if status != tc.status || h.Get("Stripe-Version") != tc.served {
			t.Errorf("%s: %d served %q, want %d %q", tc.header, status, h.Get("Stripe-Version"), tc.status, tc.served)
		}
		if tc.status == 400 && errorOf(t, body)["message"] != "Invalid Stripe API version: "+tc.header {
			t.Errorf("%s: %v", tc.header, body)
		}
	}
}

// A bad key is a 401 whatever the version, and the answer's Stripe-Version
// names what was served (issue 12, item 10).
func TestAuthBeforeVersion(t *testing.T) {
	f, _ := testfake.New(t, testfake.Memory, fake.WithAPIVersion("2023-10-16"))
	for _, v := range []string{"2023-10-16", "banana"} {
		req, _ := http.NewRequest("GET", f.URL()+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer sk_live_nope")
		req.Header.Set("Stripe-Version", v)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "2023-10-16" // the request's, or the account's when the request's is invalid
		if resp.StatusCode != 401 || resp.Header.Get("Stripe-Version") != want {
			t.Errorf("%s: %d %q", v, resp.StatusCode, resp.Header.Get("Stripe-Version"))
		}
	}
	// No header: the account's default.
	_, h, _ := raw(t, f, "GET", "/v1/customers", "", map[string]string{"Stripe-Version": ""})
	if h.Get("Stripe-Version") != "2023-10-16" {
		t.Errorf("account default: %q", h.Get("Stripe-Version"))
	}
}

func TestWithAPIVersionRejectsMalformed(t *testing.T) {
	_, err := fake.Start(fake.WithAPIVersion("not-a-version"))
	if err == nil || !strings.Contains(err.Error(), "Invalid Stripe API version: not-a-version") {
		t.Errorf("Start: %v", err)
	}
}
