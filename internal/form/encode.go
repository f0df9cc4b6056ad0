package form

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Encode returns the canonical form encoding of tree: hash keys sorted at
// every level, arrays written with explicit indexes 0..n-1, keys and values
// escaped with url.QueryEscape except for the brackets, pairs joined by '&'.
// Two trees that are equal encode to the same string, which makes it usable
// as a fingerprint of request parameters.
//
// Leaves other than strings are formatted: bool as true/false, nil as "",
// json.Number as written, float64 in the shortest form that round-trips,
// other values with fmt.Sprint. Empty hashes and arrays produce no pairs.
//
// For every tree Decode returns, Decode(Encode(tree)) equals tree; numeric
// hash keys are written as sent, so metadata[12345] stays metadata[12345].
// Hash keys containing '[' or ']' and empty hash keys cannot come out of
// Decode and do not round-trip, and a []any comes back as a hash keyed
// "0".."n-1" (what Decode gives for any array).
func Encode(tree map[string]any) string {
	var sb strings.Builder
	sb.Grow(128) // most requests fit: one allocation
	var buf [64]byte
	var kbuf [8]string
	for _, k := range sortedKeys(tree, kbuf[:0]) {
		encode(&sb, append(buf[:0], url.QueryEscape(k)...), tree[k])
	}
	return sb.String()
}

// encode writes the pairs of v under prefix, the key so far. Each call
// appends to prefix for its children; the bytes past prefix's length are
// scratch.
func encode(sb *strings.Builder, prefix []byte, v any) {
	var kbuf [8]string
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v, kbuf[:0]) {
			encode(sb, child(prefix, url.QueryEscape(k)), v[k])
		}
	case map[string]string:
		keys := kbuf[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			encode(sb, child(prefix, url.QueryEscape(k)), v[k])
		}
	case []any:
		for i, e := range v {
			encode(sb, child(prefix, strconv.Itoa(i)), e)
		}
	case []string:
		for i, e := range v {
			encode(sb, child(prefix, strconv.Itoa(i)), e)
		}
	default:
		if sb.Len() > 0 {
			sb.WriteByte('&')
		}
		sb.Write(prefix)
		sb.WriteByte('=')
		sb.WriteString(url.QueryEscape(scalar(v)))
	}
}

// child is prefix[key].
func child(prefix []byte, key string) []byte {
	prefix = append(prefix, '[')
	prefix = append(prefix, key...)
	return append(prefix, ']')
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	}
	return fmt.Sprint(v)
}

// sortedKeys appends m's keys to buf, sorted.
func sortedKeys(m map[string]any, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}
