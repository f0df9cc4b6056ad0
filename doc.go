// Package stripefake is a stateful, in-process fake of the Stripe API
// (Billing first) for Go tests, served over HTTP for the official stripe-go
// client. The API lives in package fake; this package only documents the
// whole.
//
// # Quick start
//
//	f := fake.New(t)
//	sc := stripe.NewClient("sk_test_123", stripe.WithBackends(
//		stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(f.URL())})))
//	cus, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{Email: stripe.String("a@b.c")})
//
// # Time and scheduling
//
// The fake's clock is frozen at the real time of New (truncated to the
// second) and moves only when the test calls Advance or AdvanceTo, or when a
// clock injected with WithClock moves. Work that falls due (finalizing
// invoices, renewals, retries, expiry) is stored as job records and runs in
// due order on the caller's goroutine before Advance returns. Nothing sleeps
// and no goroutine runs in the background.
//
// # Fidelity and limits
//
// Requests are validated against Stripe's OpenAPI spec (unknown parameters
// are rejected as Stripe does), errors use Stripe's envelope, status codes
// and messages, and every response the project's own tests produce is
// checked against the spec's schema. The fake may still differ from the real
// service: where Stripe's behaviour is not documented the fake chooses what
// Stripe most likely does and says so. Endpoints Stripe has but the fake
// does not implement answer a loud 501 naming the endpoint, never a silent
// success; Routes lists what is implemented.
//
// # When not to use it
//
// To check the exact look of Stripe-hosted pages, Connect, Terminal,
// Issuing or payments beyond the test cards: use Stripe test mode.
package stripefake
