package resources

import (
	"sort"
	"strconv"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/spec"
)

// Params is a request's parameters after validation against the spec: leaves
// are string, int64, float64 or bool; spec.Empty{} marks a parameter sent as
// "" to unset it; hashes are map[string]any and arrays []any. path is the
// bracket path of this node, for error params.
type Params struct {
	m    map[string]any
	path string
	// names, when set, are the names a translated request's caller sent
	// instead of the paths the code reads (GET /v1/invoices/upcoming's
	// subscription_items for subscription_details[items]), by that path;
	// canon is then this node's path as the code reads it.
	names map[string]string
	canon string
}

// NewParams wraps a validated tree.
func NewParams(m map[string]any) Params { return Params{m: m} }

// Raw returns the underlying tree.
func (p Params) Raw() map[string]any { return p.m }

// Path returns the bracket path of key below p, e.g. "invoice_settings[footer]",
// as the caller named it.
func (p Params) Path(key string) string {
	if p.names != nil {
		if n, ok := p.names[joinPath(p.canon, key)]; ok {
			return n
		}
	}
	return joinPath(p.path, key)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "[" + key + "]"
}

// below is the Params of m, the value of key (with "[i]" when it is an
// array element) below p.
func (p Params) below(m map[string]any, key, index string) Params {
	q := Params{m: m, path: p.Path(key) + index, names: p.names}
	if p.names != nil {
		q.canon = joinPath(p.canon, key) + index
	}
	return q
}

// withRaw is m at p's place in the request: what p names in errors, m
// names the same way.
func (p Params) withRaw(m map[string]any) Params {
	p.m = m
	return p
}

// Has reports whether key was sent, even as "".
func (p Params) Has(key string) bool {
	_, ok := p.m[key]
	return ok
}

// Empty reports whether key was sent as "" to unset it.
func (p Params) Empty(key string) bool {
	v, ok := p.m[key]
	if !ok {
		return false
	}
	if _, ok := v.(spec.Empty); ok {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// String returns the string value of key.
func (p Params) String(key string) (string, bool) {
	s, ok := p.m[key].(string)
	return s, ok
}

// Str returns the string value of key or "".
func (p Params) Str(key string) string {
	s, _ := p.m[key].(string)
	return s
}

// NullableString returns nil for an absent key or "", else the value.
// For use on update: check Has first.
func (p Params) NullableString(key string) *string {
	s, ok := p.m[key].(string)
	if !ok || s == "" {
		return nil
	}
	return &s
}

// Int returns the integer value of key.
func (p Params) Int(key string) (int64, bool) {
	switch v := p.m[key].(type) {
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case string: // a spec alternative that kept it a string
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Bool returns the boolean value of key.
func (p Params) Bool(key string) (bool, bool) {
	b, ok := p.m[key].(bool)
	return b, ok
}

// Map returns the hash at key, and false if absent or not a hash.
func (p Params) Map(key string) (Params, bool) {
	m, ok := p.m[key].(map[string]any)
	return p.below(m, key, ""), ok
}

// List returns the array at key as Params for hash elements.
func (p Params) List(key string) []Params {
	arr, _ := p.m[key].([]any)
	out := make([]Params, 0, len(arr))
	for i, v := range arr {
		m, _ := v.(map[string]any)
		out = append(out, p.below(m, key, "["+strconv.Itoa(i)+"]"))
	}
	return out
}

// Strings returns the array at key as strings.
func (p Params) Strings(key string) []string {
	arr, _ := p.m[key].([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// StringMap returns the hash at key with its string leaves, e.g. metadata.
func (p Params) StringMap(key string) map[string]string {
	m, _ := p.m[key].(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case spec.Empty:
			out[k] = ""
		}
	}
	return out
}

// Require returns the string at key or Stripe's missing-param error.
func (p Params) Require(key string) (string, error) {
	s, ok := p.m[key].(string)
	if !ok || s == "" {
		return "", apierr.MissingParam(p.Path(key))
	}
	return s, nil
}

// RequireInt returns the integer at key or Stripe's missing-param error.
func (p Params) RequireInt(key string) (int64, error) {
	n, ok := p.Int(key)
	if !ok {
		return 0, apierr.MissingParam(p.Path(key))
	}
	return n, nil
}

// Keys returns the keys of p, sorted.
func (p Params) Keys() []string {
	keys := make([]string, 0, len(p.m))
	for k := range p.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Object copies the listed keys of the hash at key into a JSON object, with
// null for keys not sent: the shape Stripe renders for addresses and the like.
func (p Params) Object(key string, fields ...string) map[string]any {
	sub, ok := p.Map(key)
	if !ok {
		return nil
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := sub.m[f]; ok {
			if _, empty := v.(spec.Empty); !empty {
				out[f] = v
				continue
			}
		}
		out[f] = nil
	}
	return out
}
