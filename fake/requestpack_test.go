package fake

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// A packed request unpacks to what a copy of it would be: nil and empty
// header values told apart, empty params values and response nil, the
// Authorization values replaced by the masked ones.
func TestPackedRequestRoundTrip(t *testing.T) {
	masked := []string{"Bearer sk_test_****1234"}
	full := Request{
		Method: "POST", Path: "/v1/customers/cus_%2F1", Route: "/v1/customers/{customer}",
		Params: url.Values{"email": {"a@example.com"}, "metadata[k]": {"v", "w"}, "empty": {}},
		Header: http.Header{
			"Authorization": {"Bearer sk_test_abcd1234"}, "X-Nil": nil, "X-Empty": {},
			"X-Two": {"1", "2"}, "x-raw-case": {"ü\x00"},
		},
		IdempotencyKey: "key", StripeVersion: "2026-03-25.dahlia", RequestID: "req_1",
		Status: 402, Response: []byte(`{"error":{}}`),
	}
	want := full
	want.Header = full.Header.Clone()
	want.Header["Authorization"] = masked
	want.Params = url.Values{"email": {"a@example.com"}, "metadata[k]": {"v", "w"}, "empty": nil}

	for _, tc := range []struct {
		name     string
		in, want Request
		auth     []string
	}{
		{"every field", full, want, masked},
		{"zero", Request{}, Request{Params: url.Values{}}, nil},
		{"empty header, empty response, dropped", Request{Header: http.Header{}, Response: []byte{}},
			Request{Header: http.Header{}, Params: url.Values{}}, nil},
		{"empty Authorization kept", Request{Header: http.Header{"Authorization": {}}},
			Request{Header: http.Header{"Authorization": {}}, Params: url.Values{}}, nil},
	} {
		got := packRequest(&tc.in, tc.auth).unpack()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.name, got, tc.want)
		}
	}
}
