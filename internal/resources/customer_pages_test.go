package resources_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripefake/stripefake/fake"
	"github.com/stripefake/stripefake/internal/resources"
	"github.com/stripefake/stripefake/internal/testfake"
)

// Customer list and search pages are written from the records' stored
// bytes. They must be byte for byte what rendering the decoded customers in
// a List or SearchResult gives, leave out what they left out, and still
// expand under data.
func TestCustomerPagesAnswerStoredBytes(t *testing.T) {
	testfake.Each(t, func(t *testing.T, f *fake.Fake, sc *stripe.Client) {
		tricky := []*stripe.CustomerCreateParams{
			{Email: stripe.String("a<b>&c@example.com"), Name: stripe.String("Ada \u2028 \"L\" {"),
				Params: stripe.Params{Metadata: map[string]string{"k": `"deleted":true`, "deleted": "true", "}": "]"}}},
			{Email: stripe.String("two@example.com"), Address: &stripe.AddressParams{Line1: stripe.String(`1 "Road" \ <x>`)}},
			{Email: stripe.String("three@example.com"), PreferredLocales: []*string{stripe.String("fr")}},
		}
		var ids []string
		for _, p := range tricky {
			cu, err := sc.V1Customers.Create(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, cu.ID)
		}
		gone, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("two@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Customers.Delete(ctx, gone.ID, nil); err != nil {
			t.Fatal(err)
		}
		clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &stripe.TestHelpersTestClockCreateParams{FrozenTime: stripe.Int64(f.Now().Unix())})
		if err != nil {
			t.Fatal(err)
		}
		onClock, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("two@example.com"), TestClock: stripe.String(clock.ID)})
		if err != nil {
			t.Fatal(err)
		}

		get := func(path string, q url.Values) []byte {
			t.Helper()
			status, body := rawAt(t, f, "", "GET", path, q)
			if status != 200 {
				t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), status, body)
			}
			return []byte(body)
		}
		// decoded returns the page's items decoded as stored customers, and
		// their IDs.
		decoded := func(body []byte) ([]any, []string) {
			t.Helper()
			var page struct{ Data []json.RawMessage }
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			var items []any
			var got []string
			for _, raw := range page.Data {
				cu := new(resources.Customer)
				if err := json.Unmarshal(raw, cu); err != nil {
					t.Fatal(err)
				}
				items = append(items, cu)
				got = append(got, cu.ID)
			}
			return items, got
		}
		same := func(what string, got []byte, want any) {
			t.Helper()
			w, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(w) {
				t.Errorf("%s answered\n%s\nrendering gives\n%s", what, got, w)
			}
		}
		// With expand[] the answer is re-encoded from a decoded tree, keys
		// sorted, as before: compare trees.
		sameTree := func(what string, got []byte, want any) {
			t.Helper()
			w, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var gt, wt any
			if json.Unmarshal(got, &gt) != nil || json.Unmarshal(w, &wt) != nil || !reflect.DeepEqual(gt, wt) {
				t.Errorf("%s answered\n%s\nrendering gives\n%s", what, got, w)
			}
		}
		ids3 := func(got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("IDs %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("IDs %v, want %v", got, want)
				}
			}
		}

		body := get("/v1/customers", url.Values{"limit": {"2"}})
		items, got := decoded(body)
		ids3(got, ids[2], ids[1]) // no deleted or test-clock customer
		same("first page", body, &resources.List{Object: "list", Data: items, HasMore: true, URL: "/v1/customers"})

		body = get("/v1/customers", url.Values{"ending_before": {ids[0]}, "limit": {"5"}})
		items, got = decoded(body)
		ids3(got, ids[2], ids[1])
		same("ending_before page", body, &resources.List{Object: "list", Data: items, URL: "/v1/customers"})

		body = get("/v1/customers", url.Values{"email": {"two@example.com"}})
		items, got = decoded(body)
		ids3(got, ids[1])
		same("email filter", body, &resources.List{Object: "list", Data: items, URL: "/v1/customers"})

		body = get("/v1/customers/search", url.Values{"query": {`email:"two@example.com"`}, "limit": {"1"}, "expand[]": {"total_count"}})
		items, got = decoded(body)
		ids3(got, onClock.ID) // search includes test-clock customers, not deleted ones
		var sr struct {
			NextPage *string `json:"next_page"`
		}
		if err := json.Unmarshal(body, &sr); err != nil || sr.NextPage == nil {
			t.Fatalf("search page: %v %s", err, body)
		}
		total := int64(2)
		sameTree("search page", body, &resources.SearchResult{Object: "search_result", Data: items, HasMore: true, NextPage: sr.NextPage, URL: "/v1/customers/search", TotalCount: &total})

		body = get("/v1/customers/search", url.Values{"query": {`metadata["deleted"]:"true"`}})
		items, got = decoded(body)
		ids3(got, ids[0])
		same("last search page", body, &resources.SearchResult{Object: "search_result", Data: items, URL: "/v1/customers/search"})

		// expand[] still reaches under data, in lists and search.
		n := 0
		for cu, err := range sc.V1Customers.List(ctx, &stripe.CustomerListParams{TestClock: stripe.String(clock.ID),
			ListParams: stripe.ListParams{Expand: []*string{stripe.String("data.test_clock")}}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if cu.TestClock == nil || cu.TestClock.FrozenTime != clock.FrozenTime {
				t.Errorf("list data.test_clock not expanded: %+v", cu.TestClock)
			}
			n++
		}
		for cu, err := range sc.V1Customers.Search(ctx, &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{
			Query: `email:"two@example.com"`, Expand: []*string{stripe.String("data.test_clock")}}}).All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if cu.ID == onClock.ID && (cu.TestClock == nil || cu.TestClock.FrozenTime != clock.FrozenTime) {
				t.Errorf("search data.test_clock not expanded: %+v", cu.TestClock)
			}
			n++
		}
		if n != 3 {
			t.Errorf("expanded %d customers, want 3", n)
		}
	})
}
