// Package specv2 holds a hand-written OpenAPI fragment for the v2 endpoints
// stripe-go v85 calls that this project serves. stripe-mock's spec3.json
// (v0.203.0) has no /v2 paths at all, so without this fragment every v2
// request would be an unknown URL.
//
// The fragment follows spec3.json's conventions: request bodies under
// application/json, component schemas named by their `object` value (all
// v2 names start with "v2."). It was written from stripe-go v85's
// V2Billing* params and resource types and Stripe's API reference; extend it
// when the project serves another v2 endpoint. Only the generator
// (internal/spec/gen) and the test-side response validator read it; the
// runtime package spec sees it through the generated table.
package specv2

import _ "embed"

// OpenAPI is the fragment: {"paths": …, "components": {"schemas": …}}.
//
//go:embed openapi.json
var OpenAPI []byte
