package form

import (
	"net/url"
	"sort"
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

type kind uint8

const (
	leaf kind = iota
	hash
	array
)

// node is the mutable tree Decode builds before converting it to plain maps
// and slices.
type node struct {
	kind  kind
	value string           // leaf
	keys  map[string]*node // hash
	elems map[int]*node    // array, sparse until compacted
	last  int              // array: largest index so far, -1 when empty
}

func newNode(k kind) *node {
	n := &node{kind: k, last: -1}
	switch k {
	case hash:
		n.keys = map[string]*node{}
	case array:
		n.elems = map[int]*node{}
	}
	return n
}

// seg is one path segment: a hash key, an array index, or an append ([]).
type seg struct {
	name   string
	index  int
	isIdx  bool
	append bool
}

func (s seg) container() kind {
	if s.isIdx || s.append {
		return array
	}
	return hash
}

type builder struct {
	root   *node
	leaves int
}

func newBuilder() *builder { return &builder{root: newNode(hash)} }

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
	conflict := func(want, have kind) error {
		if want == array || have == array {
			return apierr.InvalidRequest(top, MsgInvalidArray)
		}
		return apierr.InvalidRequest(top, MsgInvalidHash)
	}
	cur := b.root
	for i, s := range path {
		final := i == len(path)-1
		want := leaf
		if !final {
			want = path[i+1].container()
		}
		var child *node
		switch {
		case cur.kind == hash:
			child = cur.keys[s.name]
			if child == nil {
				child = newNode(want)
				cur.keys[s.name] = child
			}
		case s.isIdx:
			child = cur.elems[s.index]
			if child == nil {
				child = newNode(want)
				cur.elems[s.index] = child
				cur.last = max(cur.last, s.index)
			}
		default: // append
			if want == hash && cur.last >= 0 {
				if prev := cur.elems[cur.last]; prev.kind == hash && !hasPath(prev, path[i+1:]) {
					child = prev
				}
			}
			if child == nil {
				if cur.last >= maxIndex {
					return apierr.InvalidRequest(top, MsgInvalidArray)
				}
				cur.last++
				child = newNode(want)
				cur.elems[cur.last] = child
			}
		}
		if child.kind != want {
			return conflict(want, child.kind)
		}
		if final {
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
		var next *node
		switch {
		case n.kind == hash && !s.isIdx:
			next = n.keys[s.name]
		case n.kind == array && s.isIdx:
			next = n.elems[s.index]
		}
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
	if i, ok := index(s); ok {
		return seg{name: s, index: i, isIdx: true}
	}
	return seg{name: s}
}

// index parses a canonical array index: 0, or 1-999999999 without leading
// zeros.
func index(s string) (int, bool) {
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

// export converts the mutable tree into plain maps, slices and strings.
func (n *node) export() any {
	switch n.kind {
	case hash:
		m := make(map[string]any, len(n.keys))
		for k, c := range n.keys {
			m[k] = c.export()
		}
		return m
	case array:
		idx := make([]int, 0, len(n.elems))
		for i := range n.elems {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, len(idx))
		for j, i := range idx {
			out[j] = n.elems[i].export()
		}
		return out
	}
	return n.value
}
