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
//
// Records are JSON. Within a write transaction a saved object is kept as a
// snapshot and written once, when the transaction ends or when a read of
// its kind needs it (pending_writes.go); its events and the response render
// that snapshot once and share the bytes. Decoded records are kept by the
// engine (decoded_cache.go), so a load copies instead of decoding. Jobs due
// at the same instant share one transaction (Engine.drain).
package resources
