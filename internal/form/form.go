package form

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
)

// Limits on one request's parameters, so hostile input cannot blow up memory
// or recursion.
const (
	// MaxLeaves is the most key/value pairs (form) or scalar values (JSON)
	// one request may carry.
	MaxLeaves = 10000
	// MaxDepth is the deepest nesting allowed; the top-level name is level
	// one, so a[b] is depth 2.
	MaxDepth = 16
	// maxIndex is the largest array index; longer digit strings are hash
	// keys.
	maxIndex = 999999999
)

// Error messages. The wording of the real API for these cases is not
// confirmed; these are best guesses kept in one place.
const (
	// MsgInvalidHash answers a key used both as a scalar and as a hash
	// (a=1&a[b]=2).
	MsgInvalidHash = "Invalid hash"
	// MsgInvalidArray answers a key used as an array and as something else
	// (a[0]=1&a[b]=2, a=1&a[]=2).
	MsgInvalidArray = "Invalid array"
	// MsgInvalidName prefixes the offending key of a malformed parameter
	// name (a[b, a]b, [x], an empty name).
	MsgInvalidName = "Invalid parameter name: "
	// MsgTooManyParams answers a request with more than MaxLeaves values.
	MsgTooManyParams = "Too many parameters: a request may carry at most 10000 values."
	// MsgTooDeep answers a key nested more than MaxDepth levels deep.
	MsgTooDeep = "Parameters may be nested at most 16 levels deep: "
	// MsgInvalidEncoding answers a key or value with a bad %-escape.
	MsgInvalidEncoding = "Invalid percent-encoding in parameter: "
	// MsgInvalidJSON answers a v2 body that is not one JSON object.
	MsgInvalidJSON = "Invalid JSON in request body: "
)

// Decode parses a urlencoded string (a query string or a request body) into
// a tree. Pairs are separated by '&'; empty pairs are skipped, and a pair
// without '=' has the value "". See the package documentation for the rules.
func Decode(raw string) (map[string]any, error) {
	b := newBuilder()
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, apierr.InvalidRequest("", MsgInvalidEncoding+k)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, apierr.InvalidRequest(topLevel(key), MsgInvalidEncoding+key)
		}
		if err := b.add(key, val); err != nil {
			return nil, err
		}
	}
	return b.tree(), nil
}

// DecodeValues does the same as Decode from already-split url.Values, whose
// keys are in their raw bracket form (already percent-decoded, as
// url.ParseQuery leaves them). Keys are processed in sorted order, each key's
// values in order.
func DecodeValues(v url.Values) (map[string]any, error) {
	if len(v) == 0 {
		return map[string]any{}, nil
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := newBuilder()
	for _, k := range keys {
		for _, val := range v[k] {
			if err := b.add(k, val); err != nil {
				return nil, err
			}
		}
	}
	return b.tree(), nil
}

// hash is a hash being built: its map holds the string leaves and the
// *hash containers, which tree replaces by their maps when the tree is done.
// Every container is a hash: numeric segments are kept as the key strings
// that were sent, because only the schema can say whether metadata[7] is an
// array element or the metadata key "7".
type hash struct {
	m    map[string]any
	last int // largest array-index key so far, -1 when none
	// named is set once the hash holds a key that is not an array index;
	// appended once a[] has added to it. a[] says "array" beyond doubt, so
	// the two together are rejected (a[b]=1&a[]=2), as Rack does.
	named    bool
	appended bool
}

func newHash() *hash { return &hash{m: map[string]any{}, last: -1} }

// seg is one path segment: a hash key (possibly an array index) or an
// append ([]).
type seg struct {
	name   string
	index  int // when isIdx
	isIdx  bool
	append bool
}

// arrayish reports whether a container addressed by s is meant as an array,
// which picks the wording of a conflict error.
func (s seg) arrayish() bool { return s.isIdx || s.append }

type builder struct {
	root   *hash
	leaves int
	path   [MaxDepth]seg // parseKey's buffer: a path lives for one add
}

func newBuilder() *builder { return &builder{root: newHash()} }

// tree returns the plain maps and strings built.
func (b *builder) tree() map[string]any { return b.root.done() }

func (h *hash) done() map[string]any {
	for k, v := range h.m {
		if c, ok := v.(*hash); ok {
			h.m[k] = c.done()
		}
	}
	return h.m
}

// add inserts one key/value pair.
func (b *builder) add(key, value string) error {
	b.leaves++
	if b.leaves > MaxLeaves {
		return apierr.InvalidRequest(topLevel(key), MsgTooManyParams)
	}
	top, path, err := parseKey(key, b.path[:0])
	if err != nil {
		return err
	}
	// Built only when needed: most requests are valid.
	invalidArray := func() error { return apierr.InvalidRequest(top, MsgInvalidArray) }
	cur := b.root
	for i, s := range path {
		final := i == len(path)-1
		name := s.name
		var child any // a string leaf, a *hash, or nil when there is none yet
		if s.append {
			if cur.named {
				return invalidArray()
			}
			cur.appended = true
			// Rack style: a[][k]=v merges into the last element when that
			// element is a hash that does not hold the path k yet.
			if !final && !path[i+1].arrayish() && cur.last >= 0 {
				if prev, ok := cur.m[strconv.Itoa(cur.last)].(*hash); ok && prev.named && !hasPath(prev, path[i+1:]) {
					cur = prev
					continue
				}
			}
			if cur.last >= maxIndex {
				return invalidArray()
			}
			cur.last++
			name = strconv.Itoa(cur.last)
		} else {
			if s.isIdx {
				cur.last = max(cur.last, s.index)
			} else {
				if cur.appended {
					return invalidArray()
				}
				cur.named = true
			}
			child = cur.m[name]
		}
		switch c := child.(type) {
		case nil:
			if final {
				cur.m[name] = value
				break
			}
			h := newHash()
			cur.m[name] = h
			cur = h
		case *hash:
			if final {
				// a[]=1&a=2 or a[b]=1&a=2: the wording follows what the
				// container looked like.
				if c.named {
					return apierr.InvalidRequest(top, MsgInvalidHash)
				}
				return invalidArray()
			}
			cur = c
		default: // a leaf
			if !final {
				if path[i+1].arrayish() {
					return invalidArray()
				}
				return apierr.InvalidRequest(top, MsgInvalidHash)
			}
			cur.m[name] = value // the last value wins
		}
	}
	return nil
}

// hasPath reports whether the rest of a Rack-style path already exists under
// h. A path containing another append never "exists", as in Rack.
func hasPath(h *hash, path []seg) bool {
	for _, s := range path {
		if s.append {
			return false
		}
	}
	var n any = h
	for _, s := range path {
		c, ok := n.(*hash)
		if !ok {
			return false
		}
		if n, ok = c.m[s.name]; !ok {
			return false
		}
	}
	return true
}

// parseKey splits name[a][b] into its top-level name and path (the name is
// the first segment of the path), appending the path to buf.
func parseKey(key string, buf []seg) (string, []seg, error) {
	top := topLevel(key)
	bad := func() error { return apierr.InvalidRequest(top, MsgInvalidName+key) }
	open := strings.IndexAny(key, "[]")
	if open == 0 || key == "" {
		return top, nil, bad()
	}
	if open < 0 {
		return key, append(buf, seg{name: key}), nil
	}
	if key[open] == ']' {
		return top, nil, bad()
	}
	path := append(buf, seg{name: key[:open]})
	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return top, nil, bad()
		}
		end := strings.IndexAny(rest[1:], "[]")
		if end < 0 || rest[1+end] != ']' {
			return top, nil, bad()
		}
		inner := rest[1 : 1+end]
		rest = rest[2+end:]
		if len(path) >= MaxDepth {
			return top, nil, apierr.InvalidRequest(top, MsgTooDeep+key)
		}
		path = append(path, parseSeg(inner))
	}
	return top, path, nil
}

func parseSeg(s string) seg {
	if s == "" {
		return seg{append: true}
	}
	if i, ok := ArrayIndex(s); ok {
		return seg{name: s, index: i, isIdx: true}
	}
	return seg{name: s}
}

// ArrayIndex parses a canonical array index: 0, or 1-999999999 without
// leading zeros. Decode keeps such keys as strings in hashes; a validator
// that expects an array turns a hash whose keys are all array indexes into
// an array ordered by this value. "007", "-1" and longer digit strings are
// never indexes, only hash keys.
func ArrayIndex(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// topLevel is the param reported in errors: the name before the first
// bracket, or the whole key when that is empty.
func topLevel(key string) string {
	if i := strings.IndexAny(key, "[]"); i > 0 {
		return key[:i]
	}
	return key
}
