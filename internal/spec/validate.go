package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/form"
	"github.com/stripefake/stripefake/internal/spec/internal/table"
)

// Validate checks a decoded parameter tree against the operation's
// parameters and returns a normalized copy, or a *apierr.Error (400).
//
// params is the form decoder's tree (map[string]any hashes and string
// leaves) or a v2 JSON body (which may also hold []any arrays, float64,
// json.Number, bool and nil). The form wire format cannot tell an array from
// a hash with numeric keys, so the schema decides: where it wants an array,
// a hash whose keys are all array indexes (form.ArrayIndex: items[0],
// items[1], or a[]-appended ones) is the array of its values in index
// order; where it wants a hash (metadata and other additionalProperties),
// the keys stay exactly as sent, so metadata[12345]=x is {"12345":"x"}. In
// the copy, integers are int64, numbers float64, booleans bool, strings stay
// strings (including "now"-style keywords of an integer-or-keyword anyOf,
// and decimal strings such as unit_amount_decimal), and a "" the spec
// allows as "unset" is Empty{}. A JSON null is Empty{} where "" would be,
// and is otherwise dropped as if the key had not been sent.
//
// When a request has several problems the error reported is chosen the same
// way every time: unknown parameters first, then invalid values, then
// missing required ones, each in sorted key order.
func (op *Operation) Validate(params map[string]any) (map[string]any, error) {
	w := walker{}
	if out, ok := w.object(op.params, params, ""); ok {
		return out, nil
	}
	// Slow path, only on error: walk again in sorted order collecting every
	// problem, so the answer does not depend on map iteration order.
	first := w.errs[0]
	w = walker{sorted: true, collect: true}
	w.object(op.params, params, "")
	if len(w.errs) == 0 {
		return nil, first.err // cannot happen: both walks check the same rules
	}
	best := w.errs[0]
	for _, e := range w.errs[1:] {
		if e.rank < best.rank {
			best = e
		}
	}
	return nil, best.err
}

type rankedErr struct {
	err  *apierr.Error
	rank int
}

const (
	rankUnknown = iota
	rankInvalid
	rankMissing
)

// walker carries the mode of one walk over a parameter tree. The fast walk
// stops at the first problem; the collecting walk goes on and visits keys in
// sorted order.
type walker struct {
	sorted  bool
	collect bool
	errs    []rankedErr
}

func (w *walker) fail(r int, err *apierr.Error) {
	w.errs = append(w.errs, rankedErr{err: err, rank: r})
}

// stop reports whether the walk should end after a failure.
func (w *walker) stop() bool { return !w.collect }

// dropped marks a JSON null on a node that cannot be unset: the key is left
// out of the result, as if it had not been sent.
type dropped struct{}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "[" + key + "]"
}

// at is the path of a value: key under the container at path, an array
// element when elem is set. Most values are valid, so the string is only
// built for an error message (String).
type at struct {
	path, key string
	elem      bool
}

func (p at) String() string {
	if p.elem {
		return p.path + "[" + p.key + "]"
	}
	return child(p.path, p.key)
}

// name is the innermost name in the path, as isAmount reads it from
// the path's string: what follows its last '[', less the closing ']'.
func (p at) name() string {
	bracketed := p.elem || p.path != ""
	i := strings.LastIndexByte(p.key, '[')
	switch {
	case i < 0:
		return p.key
	case bracketed:
		return p.key[i+1:] // the ']' the string trims is the path's own
	}
	return strings.TrimSuffix(p.key[i+1:], "]")
}

// value checks v against n. ok is false when a problem was recorded.
func (w *walker) value(n *node, v any, path at) (out any, ok bool) {
	switch x := v.(type) {
	case nil:
		if n.empty {
			return Empty{}, true
		}
		return dropped{}, true
	case string:
		if x == "" {
			return w.empty(n, v, path)
		}
	}
	switch n.kind {
	case kString:
		s, isStr := v.(string)
		if !isStr {
			w.fail(rankInvalid, apierr.InvalidRequest(path.String(), "Invalid string: "+describe(v)))
			return nil, false
		}
		if len(n.enum) > 0 && !contains(n.enum, s) {
			w.fail(rankInvalid, apierr.InvalidEnum(path.String(), s, n.enum))
			return nil, false
		}
		if err := checkString(n, s, path); err != nil {
			w.fail(rankInvalid, err)
			return nil, false
		}
		return v, true
	case kInteger:
		return w.integer(v, path)
	case kNumber:
		return w.number(v, path)
	case kBoolean:
		switch x := v.(type) {
		case bool:
			return x, true
		case string:
			switch x {
			case "true":
				return true, true
			case "false":
				return false, true
			}
		}
		w.fail(rankInvalid, apierr.InvalidBoolean(path.String(), raw(v)))
		return nil, false
	case kObject:
		switch x := v.(type) {
		case map[string]any:
			return w.object(n, x, path.String())
		}
		// A scalar, or an []any (only a v2 JSON body has those), is no hash.
		w.fail(rankInvalid, apierr.InvalidRequest(path.String(), "Invalid hash"))
		return nil, false
	case kArray:
		return w.array(n, v, path.String())
	case kAnyOf:
		return w.anyOf(n, v, path)
	case kFree:
		// No schema to say what numeric keys mean: keep what was sent, as
		// a hash, rather than guess an array and lose the keys. Only the
		// rule for every string holds: no NUL byte.
		if err := checkFree(v, path.String()); err != nil {
			w.fail(rankInvalid, err)
			return nil, false
		}
		return v, true
	}
	panic(fmt.Sprintf("spec: node kind %d", n.kind))
}

// empty handles "": Empty{} where the spec allows unsetting, the string
// itself where any plain string is accepted, else parameter_invalid_empty.
func (w *walker) empty(n *node, v any, path at) (any, bool) {
	if n.empty {
		return Empty{}, true
	}
	if plainString(n) || n.kind == kFree {
		return v, true
	}
	if n.kind == kAnyOf {
		for _, a := range n.alts {
			if plainString(a) {
				return v, true
			}
		}
	}
	if n.kind == kString && n.format == table.FormatCurrency {
		w.fail(rankInvalid, checkFormat(n.format, "", path))
		return nil, false
	}
	w.fail(rankInvalid, apierr.InvalidEmpty(path.String()))
	return nil, false
}

// plainString reports whether n takes any string, "" included: a string
// without enum and without a format that "" would fail.
func plainString(n *node) bool {
	return n.kind == kString && len(n.enum) == 0 && n.format != table.FormatCurrency
}

func (w *walker) object(n *node, m map[string]any, path string) (map[string]any, bool) {
	out := make(map[string]any, len(m))
	ok := true
	check := func(k string, v any) bool {
		c := n.props[k]
		if c == nil && n.addl != nil {
			c = n.addl
			if err := checkKey(n, k, path); err != nil {
				w.fail(rankInvalid, err)
				ok = false
				return !w.stop()
			}
		}
		if c == nil {
			w.fail(rankUnknown, apierr.UnknownParam(child(path, k)))
			ok = false
			return !w.stop()
		}
		cv, cok := w.value(c, v, at{path: path, key: k})
		if !cok {
			ok = false
			return !w.stop()
		}
		if _, drop := cv.(dropped); !drop {
			out[k] = cv
		}
		return true
	}
	if w.sorted {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !check(k, m[k]) {
				return nil, false
			}
		}
	} else {
		for k, v := range m {
			if !check(k, v) {
				return nil, false
			}
		}
	}
	for _, r := range n.required {
		if _, present := out[r]; present {
			continue
		}
		if v, sent := m[r]; sent && v != nil {
			continue // sent but invalid: reported above
		}
		w.fail(rankMissing, apierr.MissingParam(child(path, r)))
		ok = false
		if w.stop() {
			return nil, false
		}
	}
	return out, ok
}

func (w *walker) array(n *node, v any, path string) (any, bool) {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		ok := true
		for i, el := range x {
			ev, eok := w.value(n.items, el, at{path: path, key: strconv.Itoa(i), elem: true})
			if !eok {
				ok = false
				if w.stop() {
					return nil, false
				}
				continue
			}
			if _, drop := ev.(dropped); !drop {
				out = append(out, ev)
			}
		}
		return out, ok
	case map[string]any:
		// The form decoder keeps items[1][price]=…&items[0][price]=… as a
		// hash keyed "1" and "0": the array is its values in index order,
		// however sparse or shuffled the indexes were on the wire. Any other
		// key (items[x], items[007]) means this is no array.
		type entry struct {
			i   int
			key string
		}
		entries := make([]entry, 0, len(x))
		for k := range x {
			i, isIdx := form.ArrayIndex(k)
			if !isIdx {
				w.fail(rankInvalid, apierr.InvalidRequest(path, "Invalid array"))
				return nil, false
			}
			entries = append(entries, entry{i, k})
		}
		sort.Slice(entries, func(a, b int) bool { return entries[a].i < entries[b].i })
		out := make([]any, 0, len(entries))
		ok := true
		for _, e := range entries {
			ev, eok := w.value(n.items, x[e.key], at{path: path, key: e.key, elem: true})
			if !eok {
				ok = false
				if w.stop() {
					return nil, false
				}
				continue
			}
			if _, drop := ev.(dropped); !drop {
				out = append(out, ev)
			}
		}
		return out, ok
	}
	w.fail(rankInvalid, apierr.InvalidRequest(path, "Invalid array"))
	return nil, false
}

// anyOf returns the value of the first alternative that accepts v. When
// none does, the alternative closest to v's shape reports the problem.
func (w *walker) anyOf(n *node, v any, path at) (any, bool) {
	for _, a := range n.alts {
		if !fits(a, v) {
			continue
		}
		try := walker{sorted: w.sorted}
		if out, ok := try.value(a, v, path); ok {
			return out, true
		}
	}
	return w.value(closest(n.alts, v), v, path)
}

// fits reports whether an alternative can possibly accept v, to skip
// hopeless ones cheaply.
func fits(n *node, v any) bool {
	switch v.(type) {
	case map[string]any:
		return n.kind == kObject || n.kind == kArray || n.kind == kFree
	case []any:
		return n.kind == kArray || n.kind == kObject || n.kind == kFree
	}
	return n.kind != kObject && n.kind != kArray
}

// closest picks the alternative whose error message is most useful: the
// hash or array one for a hash or array, else a typed scalar (its "Invalid
// integer: x" says more than an enum of keywords), else the first.
func closest(alts []*node, v any) *node {
	switch v.(type) {
	case map[string]any, []any:
		for _, a := range alts {
			if fits(a, v) {
				return a
			}
		}
		return alts[0]
	}
	for _, a := range alts {
		if a.kind == kInteger || a.kind == kNumber || a.kind == kBoolean {
			return a
		}
	}
	for _, a := range alts {
		if fits(a, v) {
			return a
		}
	}
	return alts[0]
}

func (w *walker) integer(v any, path at) (any, bool) {
	var i int64
	var err error
	switch x := v.(type) {
	case string:
		i, err = strconv.ParseInt(x, 10, 64)
	case json.Number:
		i, err = x.Int64()
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1<<53 {
			err = strconv.ErrRange
		}
		i = int64(x)
	default:
		err = strconv.ErrSyntax
	}
	if err != nil {
		w.fail(rankInvalid, apierr.InvalidInteger(path.String(), raw(v)))
		return nil, false
	}
	if isAmount(path.name()) && (i > MaxAmount || i < -MaxAmount) {
		w.fail(rankInvalid, apierr.InvalidRequest(path.String(),
			fmt.Sprintf("This value must be between -%d and %d.", int64(MaxAmount), int64(MaxAmount))))
		return nil, false
	}
	return i, true
}

// MaxAmount bounds every amount parameter, in minor units: far above any
// real charge, and low enough that sums and products of amounts and
// quantities the fake computes cannot overflow int64.
const MaxAmount = 99_999_999_999

// isAmount reports whether the parameter named name (at.name) is an amount
// in minor units (amount, unit_amount, amount_off, minimum_amount, …).
func isAmount(name string) bool {
	return name == "amount" || name == "amount_off" || strings.HasSuffix(name, "_amount")
}

func (w *walker) number(v any, path at) (any, bool) {
	switch x := v.(type) {
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f, true
		}
	case float64:
		return x, true
	}
	w.fail(rankInvalid, apierr.InvalidRequest(path.String(), "Invalid decimal: "+raw(v)))
	return nil, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// raw renders a leaf for an error message.
func raw(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return describe(v)
}

// Describe names v as Stripe's "Invalid …:" messages do ("a hash", "an
// array"), for the few parameters checked outside Validate (those an older
// version's request change sets aside).
func Describe(v any) string { return describe(v) }

// describe names a value that has no short literal form.
func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a hash"
	case []any:
		return "an array"
	case nil:
		return "null"
	case string, json.Number, float64, bool:
		return raw(v)
	}
	return fmt.Sprintf("%v", v)
}
