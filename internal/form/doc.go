// Package form decodes Stripe request parameters into a tree and encodes a
// tree back into a canonical form string.
//
// v1 requests are application/x-www-form-urlencoded with bracketed keys
// (Decode, DecodeValues); v2 POST bodies are JSON (DecodeJSON). The form
// decoders return hashes (map[string]any) and string leaves only: the wire
// format cannot tell an array from a hash with numeric keys, so the schema
// decides (internal/spec's Validate turns a hash whose keys are all array
// indexes into an array where the parameter is an array, and leaves the keys
// exactly as sent where it is a hash). DecodeJSON returns JSON's own shapes:
// map[string]any, []any, and json.Number, string, bool or nil leaves.
//
// # Form rules
//
//   - Keys: name[seg][seg]... Brackets may arrive percent-encoded (%5B,
//     %5D); keys and values are percent- and '+'-decoded. A name must be
//     non-empty, a segment may hold any characters but '[' and ']', and
//     nothing may follow the last ']'. Anything else is rejected with
//     MsgInvalidName.
//   - a[k]=v makes a hash with key k, whatever k is: metadata[12345]=x is
//     {"metadata":{"12345":"x"}} and items[0][price]=p is
//     {"items":{"0":{"price":"p"}}}. Keys are never renumbered or compacted,
//     so a[7]=y&a[3]=x keeps "3" and "7"; a validator that wants an array
//     orders them by value (see ArrayIndex).
//   - a[]=v appends: it adds the key one past the largest array index
//     (ArrayIndex) so far, "0" for the first, so a[]=x&a[]=y is
//     {"a":{"0":"x","1":"y"}}, exactly what a[0]=x&a[1]=y gives. For
//     a[][k]=v (Rack style) the pair merges into the last element when that
//     element is a hash that does not yet hold the path k (or the rest of
//     the path contains another []); otherwise it starts a new element. So
//     a[][b]=1&a[][c]=2 gives {"a":{"0":{"b":"1","c":"2"}}} and
//     a[][b]=1&a[][b]=2 gives {"a":{"0":{"b":"1"},"1":{"b":"2"}}}.
//   - The same scalar key given twice: the last value wins (stripe-go's
//     pagination uses url.Values.Set, which replaces the first).
//   - A key used both as a scalar and as a container is MsgInvalidHash, or
//     MsgInvalidArray when the container was addressed only by array
//     indexes or [] (a=1&a[]=2, a[0]=1&a=2). [] means an array beyond doubt,
//     so mixing it with keys that are not array indexes (a[b]=1&a[]=2,
//     a[]=1&a[b]=2) is MsgInvalidArray too; numeric and other keys may mix
//     freely (metadata[7]=x&metadata[k]=y). All report the top-level key as
//     param.
//   - Empty values are kept as "": metadata[k]= is {"metadata":{"k":""}} and
//     metadata= is {"metadata":""}; what "" means is for the validator.
//   - At most MaxLeaves key/value pairs and MaxDepth levels (the name
//     counts as one level) per request; more is a 400.
//
// DecodeValues sees url.Values, which have lost the order between different
// keys; it processes keys in sorted order. That is exact for everything
// stripe-go sends (indexed arrays: the indexes are kept as keys), but
// Rack-style a[][b]=..&a[][c]=.. sequences are only grouped reliably by
// Decode, which reads the raw string in order.
//
// Every error is an *apierr.Error (400, invalid_request_error). No input
// makes the decoders panic.
package form
