// Package search implements the subset of Stripe's search query language
// that the /v1/<resource>/search endpoints accept: Parse turns a query into a
// *Query for one resource's fields, and Query.Match tests it against a
// rendered (JSON-decoded) object.
//
// # Language
//
//   - A clause is field, operator, value: email:"amy@x.io", amount>1000,
//     metadata["key"]:"value", metadata['key']:'value'. A leading '-'
//     negates a clause.
//   - String values must be quoted with ' or "; a backslash escapes the next
//     character (\" or \\). Numbers may be unquoted (also -5 and 1.5), and
//     so may true and false for Bool fields. The unquoted word null (any
//     case) with ':' matches a missing, null or empty value.
//   - Up to MaxClauses clauses, separated by whitespace (implicit AND), AND,
//     or OR (case-insensitive). AND and OR cannot be mixed (whitespace counts
//     as AND), and there are no parentheses.
//   - Dotted field names (billing_details.address.postal_code) are accepted
//     exactly as a resource's Fields spell them.
//
// # Field kinds and matching
//
// Stripe's docs (docs.stripe.com/search, "Field types" and "Search Syntax")
// give three field types; Kind adds Bool and Metadata for convenience:
//
//   - Exact (Stripe's "token": ids, enums, currency): ':' only, whole-value
//     match, case-insensitive. An expanded object matches on its "id".
//   - Text (Stripe's "string": email, name, description): ':' and '~'.
//     Both are case-insensitive, as the docs state. ':' is a phrase match:
//     the query's whitespace-separated words must appear consecutively and
//     in order among the value's words, so name:"one two" matches
//     "One Two Three" (the docs' example) but not "one three two".
//     '~' is a plain substring match and needs at least MinSubstringLen
//     characters.
//   - Number (Stripe's "numeric": amounts, timestamps as Unix seconds):
//     ':' and '=' test equality; >, <, >=, <= compare. Values may be quoted
//     ("10") or not. JSON numbers compare as float64.
//   - Bool (a token holding a JSON boolean, e.g. active): ':' with true or
//     false, quoted or not, in any case.
//   - Metadata: field["key"]:"value" only; a case-insensitive exact match on
//     that key. field["key"]:null matches when the key is absent, so
//     -metadata["key"]:null matches when it is present.
//
// Match looks a field up first as a top-level key spelled exactly like the
// search field, then by walking the dotted path through nested maps. A
// resource whose search field does not mirror the object (invoices'
// last_finalization_error_code) can add the flattened key to the map before
// calling Match.
//
// # Errors
//
// Every error is a 400 *apierr.Error, invalid_request_error, param "query".
// Syntax errors read MsgParse followed by a hint; an unknown field gets
// Stripe's "unsupported search field" message (see MsgUnsupportedField).
// The other messages are best guesses, and all start with MsgParse.
package search
