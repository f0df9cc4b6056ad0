package form

import (
	"net/url"
	"sort"
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
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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

// node is the mutable tree Decode builds before converting it to plain maps
// and strings. Every container is a hash: numeric segments are kept as the
// key strings that were sent, because only the schema can say whether
// metadata[7] is an array element or the metadata key "7".
type node struct {
	leaf  bool
	value string           // leaf
	keys  map[string]*node // container
	last  int              // container: largest array-index key so far, -1 when none
	// named is set once the container holds a key that is not an array
	// index; appended once a[] has added to it. a[] says "array" beyond
	// doubt, so the two together are rejected (a[b]=1&a[]=2), as Rack does.
	named    bool
	appended bool
}

func newNode(leaf bool) *node {
	if leaf {
		return &node{leaf: true}
	}
	return &node{keys: map[string]*node{}, last: -1}
}

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
	root   *node
	leaves int
}

func newBuilder() *builder { return &builder{root: newNode(false)} }

func (b *builder) tree() map[string]any { return b.root.export().(map[string]any) }

// add inserts one key/value pair.
func (b *builder) add(key, value string) error {
	b.leaves++
	if b.leaves > MaxLeaves {
		return apierr.InvalidRequest(topLevel(key), MsgTooManyParams)
	}
	top, path, err := parseKey(key)
	if err != nil {
		return err
	}
	// Built only when needed: most requests are valid.
	invalidArray := func() error { return apierr.InvalidRequest(top, MsgInvalidArray) }
	cur := b.root
	for i, s := range path {
		final := i == len(path)-1
		var child *node
		if s.append {
			if cur.named {
				return invalidArray()
			}
			cur.appended = true
			// Rack style: a[][k]=v merges into the last element when that
			// element is a hash that does not hold the path k yet.
			if !final && !path[i+1].arrayish() && cur.last >= 0 {
				if prev := cur.keys[strconv.Itoa(cur.last)]; !prev.leaf && prev.named && !hasPath(prev, path[i+1:]) {
					child = prev
				}
			}
			if child == nil {
				if cur.last >= maxIndex {
					return invalidArray()
				}
				cur.last++
				child = newNode(final)
				cur.keys[strconv.Itoa(cur.last)] = child
			}
		} else {
			if s.isIdx {
				cur.last = max(cur.last, s.index)
			} else {
				if cur.appended {
					return invalidArray()
				}
				cur.named = true
			}
			child = cur.keys[s.name]
			if child == nil {
				child = newNode(final)
				cur.keys[s.name] = child
			}
		}
		switch {
		case final && !child.leaf:
			// a[]=1&a=2 or a[b]=1&a=2: the wording follows what the
			// container looked like.
			if child.named {
				return apierr.InvalidRequest(top, MsgInvalidHash)
			}
			return invalidArray()
		case !final && child.leaf:
			if path[i+1].arrayish() {
				return invalidArray()
			}
			return apierr.InvalidRequest(top, MsgInvalidHash)
		case final:
			child.value = value
		}
		cur = child
	}
	return nil
}

// hasPath reports whether the rest of a Rack-style path already exists under
// n. A path containing another append never "exists", as in Rack.
func hasPath(n *node, path []seg) bool {
	for _, s := range path {
		if s.append {
			return false
		}
	}
	for _, s := range path {
		if n.leaf {
			return false
		}
		next := n.keys[s.name]
		if next == nil {
			return false
		}
		n = next
	}
	return true
}

// parseKey splits name[a][b] into its top-level name and path (the name is
// the first segment of the path).
func parseKey(key string) (string, []seg, error) {
	top := topLevel(key)
	bad := apierr.InvalidRequest(top, MsgInvalidName+key)
	open := strings.IndexAny(key, "[]")
	if open == 0 || key == "" {
		return top, nil, bad
	}
	if open < 0 {
		return key, []seg{{name: key}}, nil
	}
	if key[open] == ']' {
		return top, nil, bad
	}
	path := []seg{{name: key[:open]}}
	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return top, nil, bad
		}
		end := strings.IndexAny(rest[1:], "[]")
		if end < 0 || rest[1+end] != ']' {
			return top, nil, bad
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

// export converts the mutable tree into plain maps and strings.
func (n *node) export() any {
	if n.leaf {
		return n.value
	}
	m := make(map[string]any, len(n.keys))
	for k, c := range n.keys {
		m[k] = c.export()
	}
	return m
}
