// Package resources is Stripe's behaviour: one file per resource family
// (customers, products and prices, payment methods, events, ...), each
// registering its routes with an Engine.
//
// A handler runs inside exactly one store transaction with a Ctx that carries
// the request's validated parameters, the one "now" of the request and the
// events it emits; events are written in that same transaction. The HTTP
// layer (package fake) owns the wire: decoding, auth, headers, idempotency
// and the request log. The Engine owns everything that needs the store:
// running handlers and due jobs, rendering objects for an API version, and
// expansion.
package resources
