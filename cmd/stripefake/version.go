package main

import (
	"net/http"

	"github.com/stripefake/stripefake/fake"
)

// -api-version is the Stripe API version for requests whose Stripe-Version
// header names none.
//
// SEAM: this build has no fake.WithAPIVersion yet (another branch adds it).
// Until it is wired here, apiVersionOptions returns no option and
// versionDefault fills the header of requests that lack one, so the fake
// validates and serves that version per request. Once fake.WithAPIVersion
// exists: return []fake.Option{fake.WithAPIVersion(v)} (it then also
// governs events and webhooks) and make versionDefault return h unchanged.
func apiVersionOptions(v string) ([]fake.Option, error) { return nil, nil }

func versionDefault(v string, h http.Handler) http.Handler {
	if v == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Stripe-Version") == "" {
			r.Header.Set("Stripe-Version", v)
		}
		h.ServeHTTP(w, r)
	})
}
