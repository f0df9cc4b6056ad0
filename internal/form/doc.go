// Package form decodes Stripe request parameters into a tree and encodes a
// tree back into a canonical form string.
//
// v1 requests are application/x-www-form-urlencoded with bracketed keys
// (Decode, DecodeValues); v2 POST bodies are JSON (DecodeJSON). All three
// return the same tree shape: map[string]any for hashes, []any for arrays,
// and string leaves for form input. DecodeJSON leaves are json.Number,
// string, bool or nil.
//
// # Form rules
//
//   - Keys: name[seg][seg]... Brackets may arrive percent-encoded (%5B,
//     %5D); keys and values are percent- and '+'-decoded. A name must be
//     non-empty, a segment may hold any characters but '[' and ']', and
//     nothing may follow the last ']'. Anything else is rejected with
//     MsgInvalidName.
//   - a[b]=v makes a hash. A segment that is a canonical array index (0, or
//     1-999999999 without leading zeros) or empty (a[]) makes an array; a
//     container's first use decides which it is. Array elements are ordered
//     by index and compacted, so a[3]=x&a[7]=y gives [x y].
//   - a[]=v appends (index one past the largest so far). For a[][k]=v
//     (Rack style) the pair merges into the array's last element when that
//     element is a hash that does not yet hold the path k (or the rest of
//     the path contains another []); otherwise it starts a new element. So
//     a[][b]=1&a[][c]=2 gives [{b:1 c:2}] and a[][b]=1&a[][b]=2 gives
//     [{b:1} {b:2}].
//   - The same scalar key given twice: the last value wins (stripe-go's
//     pagination uses url.Values.Set, which replaces the first).
//   - A key used both as a scalar and as a hash is MsgInvalidHash; any
//     conflict involving an array (scalar/array, hash/array) is
//     MsgInvalidArray. Both report the top-level key as param.
//   - Empty values are kept as "": metadata[k]= is {"metadata":{"k":""}} and
//     metadata= is {"metadata":""}; what "" means is for the validator.
//   - At most MaxLeaves key/value pairs and MaxDepth levels (the name
//     counts as one level) per request; more is a 400.
//
// Numeric hash keys are the one ambiguity the wire format cannot settle
// without a schema: metadata[1]=x decodes as an array, not as the hash
// {"1":"x"}. Validators that expect a hash receive an array there.
//
// DecodeValues sees url.Values, which have lost the order between different
// keys; it processes keys in sorted order. That is exact for everything
// stripe-go sends (indexed arrays), but Rack-style a[][b]=..&a[][c]=..
// sequences are only grouped reliably by Decode, which reads the raw string
// in order.
//
// Every error is an *apierr.Error (400, invalid_request_error). No input
// makes the decoders panic.
package form
