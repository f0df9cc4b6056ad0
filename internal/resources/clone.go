package resources

import (
	"encoding"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Deep copies by reflection, in two modes:
//
//   - decodedCopy copies a value json.Unmarshal produced, exactly: the
//     per-transaction cache of decoded objects (Ctx.load) hands out such
//     copies instead of decoding the same record again.
//   - jsonClone returns what a json.Marshal + json.Unmarshal round trip
//     would (unexported and "-" fields dropped, omitempty empties left
//     zero, custom marshalers and non-JSON dynamic types round-tripped),
//     without encoding the common parts: cloneSubscription uses it.
//
// Both walk exported fields only, so fields added later are covered
// without anyone remembering to list them (clone_test.go checks it).

// structFields is a struct type's fields as the copies see them.
type structFields struct {
	fields    []copyField
	roundTrip bool // jsonClone cannot mirror this struct (embedded fields): use encoding/json
	// deep lists the exported fields that hold references (pointers,
	// slices, maps, interfaces, or structs and arrays that may); when
	// shallow, no other field does, so decodedCopy copies the struct whole
	// and then copies only these fields deeply.
	deep    []int
	shallow bool
}

type copyField struct {
	index     int
	omitEmpty bool
	skipJSON  bool // json:"-": dropped by a round trip, kept by decodedCopy (never set by decoding anyway)
	// plain: a bool or integer that encodes as itself, which a round
	// trip gives back unchanged; str: likewise a string (if valid UTF-8).
	plain, str bool
}

// typeCache is a read-mostly map keyed by type: a lookup is one plain map
// read (the copies look types up for every value they visit, where a
// sync.Map cost more than the copying); a store copies the map.
type typeCache[V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[reflect.Type]V]
}

func (c *typeCache[V]) get(t reflect.Type) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[t]
		return v, ok
	}
	var zero V
	return zero, false
}

// put stores v for t unless t has a value already, and returns t's value.
func (c *typeCache[V]) put(t reflect.Type, v V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if had, ok := (*old)[t]; ok {
			return had
		}
	}
	m := make(map[reflect.Type]V, 1+lenOf(old))
	if old != nil {
		maps.Copy(m, *old)
	}
	m[t] = v
	c.m.Store(&m)
	return v
}

func lenOf[K comparable, V any](m *map[K]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

var fieldsCache typeCache[*structFields]

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldsCache.get(t); ok {
		return f
	}
	sf := &structFields{shallow: true}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			sf.roundTrip = true
		}
		if !scalar(f.Type.Kind()) {
			if f.IsExported() {
				sf.deep = append(sf.deep, i)
			} else {
				sf.shallow = false
			}
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		_, opts, _ := strings.Cut(tag, ",")
		cf := copyField{index: i, skipJSON: tag == "-"}
		switch k := f.Type.Kind(); {
		case k == reflect.String:
			cf.str = !marshalsItself(f.Type)
		case scalar(k) && k != reflect.Float32 && k != reflect.Float64:
			cf.plain = !marshalsItself(f.Type)
		}
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			if o == "omitempty" {
				cf.omitEmpty = true
			}
		}
		sf.fields = append(sf.fields, cf)
	}
	return fieldsCache.put(t, sf)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	anyMapType      = reflect.TypeFor[map[string]any]()
	anySliceType    = reflect.TypeFor[[]any]()
	stringType      = reflect.TypeFor[string]()
	boolType        = reflect.TypeFor[bool]()
	float64Type     = reflect.TypeFor[float64]()
)

var copyableCache typeCache[bool]

// decodedCopyable reports whether decodedCopy reproduces what decoding
// into t gives: no custom decoder anywhere in t could have set what the
// copy does not see (unexported fields).
func decodedCopyable(t reflect.Type) bool {
	if ok, found := copyableCache.get(t); found {
		return ok
	}
	return copyableCache.put(t, copyableIn(t, map[reflect.Type]bool{}))
}

func copyableIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	if t != rawMessageType && (t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return copyableIn(t.Elem(), seen)
	case reflect.Map:
		return copyableIn(t.Key(), seen) && copyableIn(t.Elem(), seen)
	case reflect.Struct:
		for _, f := range fieldsOf(t).fields {
			if !copyableIn(t.Field(f.index).Type, seen) {
				return false
			}
		}
		return true
	case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

// decodedCopy sets dst, a zero settable value of src's type, to a deep copy
// of src, a value json.Unmarshal produced.
func decodedCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		decodedCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		sf := fieldsOf(src.Type())
		if sf.shallow {
			dst.Set(src) // the scalars, in one copy
			for _, i := range sf.deep {
				f := dst.Field(i)
				f.SetZero()
				decodedCopy(f, src.Field(i))
			}
			return
		}
		for _, f := range sf.fields {
			decodedCopy(dst.Field(f.index), src.Field(f.index))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(src.Type(), n, n)
		if scalar(src.Type().Elem().Kind()) {
			reflect.Copy(s, src)
		} else {
			for i := range n {
				decodedCopy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			decodedCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		switch m := src.Interface().(type) {
		case map[string]string:
			dst.Set(reflect.ValueOf(copyStrings(m)))
			return
		case map[string]any:
			dst.Set(reflect.ValueOf(copyAnyMap(m)))
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		et := src.Type().Elem()
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(et).Elem()
			decodedCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.ValueOf(copyAny(src.Interface())))
	default:
		dst.Set(src)
	}
}

// copyAny deep-copies a decoded interface value.
func copyAny(v any) any {
	switch v := v.(type) {
	case nil, string, float64, bool, json.Number:
		return v
	case map[string]any:
		return copyAnyMap(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyAny(e)
		}
		return out
	}
	src := reflect.ValueOf(v)
	dst := reflect.New(src.Type()).Elem()
	decodedCopy(dst, src)
	return dst.Interface()
}

func copyAnyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyAny(v)
	}
	return out
}

func copyStrings(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func scalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// jsonClone returns a new *T equal to what json.Unmarshal of json.Marshal(v)
// would give.
func jsonClone[T any](v *T) *T {
	out := new(T)
	jsonCloneInto(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

// jsonCloneInto sets dst, a zero settable value of src's type, to what
// decoding src's encoding into it gives.
func jsonCloneInto(dst, src reflect.Value) { cloneInto(dst, src, new(bool)) }

// cloneInto is jsonCloneInto, setting *failed if some part of src does
// not encode (a NaN, say), which it leaves zero in dst where encoding
// would have failed.
func cloneInto(dst, src reflect.Value, failed *bool) {
	t := src.Type()
	if t == priceType {
		clonePrice(dst, src, failed)
		return
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && marshalsItself(t) {
		roundTrip(dst, src, failed)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if marshalsItself(t) && t.Elem() != priceType {
			roundTrip(dst, src, failed)
			return
		}
		p := reflect.New(t.Elem())
		cloneInto(p.Elem(), src.Elem(), failed)
		dst.Set(p)
	case reflect.Struct:
		sf := fieldsOf(t)
		if sf.roundTrip {
			roundTrip(dst, src, failed)
			return
		}
		for _, f := range sf.fields {
			if f.skipJSON {
				continue
			}
			v := src.Field(f.index)
			switch {
			case f.plain:
				dst.Field(f.index).Set(v) // an empty one is zero either way
				continue
			case f.str:
				if s := v.String(); utf8.ValidString(s) {
					dst.Field(f.index).SetString(s)
					continue
				}
			}
			if f.omitEmpty && emptyJSON(v) {
				continue
			}
			cloneInto(dst.Field(f.index), v, failed)
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(t, n, n)
		if k := t.Elem().Kind(); scalar(k) && k != reflect.String && k != reflect.Float32 && k != reflect.Float64 && !marshalsItself(t.Elem()) {
			reflect.Copy(s, src)
		} else {
			for i := range n {
				cloneInto(s.Index(i), src.Index(i), failed)
			}
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		if t.Key() != stringType {
			roundTrip(dst, src, failed)
			return
		}
		switch m := src.Interface().(type) {
		case map[string]string:
			if validStrings(m) {
				dst.Set(reflect.ValueOf(copyStrings(m)))
				return
			}
		case map[string]any:
			if out, ok := jsonCloneAnyMap(m); ok {
				dst.Set(reflect.ValueOf(out))
				return
			}
		}
		m := reflect.MakeMapWithSize(t, src.Len())
		et := t.Elem()
		for it := src.MapRange(); it.Next(); {
			k := it.Key()
			if !utf8.ValidString(k.String()) {
				roundTrip(dst, src, failed)
				return
			}
			v := reflect.New(et).Elem()
			cloneInto(v, it.Value(), failed)
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		if c, ok := jsonCloneAny(src.Interface()); ok {
			if c != nil {
				dst.Set(reflect.ValueOf(c))
			}
			return
		}
		e := src.Elem()
		switch et := e.Type(); et {
		case anyMapType, anySliceType:
			if e.IsNil() {
				return // null decodes as a nil interface
			}
			v := reflect.New(et).Elem()
			cloneInto(v, e, failed)
			dst.Set(v)
		case stringType, boolType, float64Type:
			v := reflect.New(et).Elem()
			cloneInto(v, e, failed)
			dst.Set(v)
		default:
			roundTrip(dst, src, failed)
		}
	case reflect.String:
		if !utf8.ValidString(src.String()) {
			roundTrip(dst, src, failed)
			return
		}
		dst.SetString(src.String())
	case reflect.Float32, reflect.Float64:
		// Finite floats encode in the shortest form that reads back the
		// same; NaN and infinities fail to encode: leave them to encoding/json.
		if f := src.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			roundTrip(dst, src, failed)
			return
		}
		dst.Set(src)
	case reflect.Array, reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		roundTrip(dst, src, failed)
	default:
		dst.Set(src)
	}
}

func validStrings(m map[string]string) bool {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// jsonCloneAny is jsonCloneInto for a value held by an interface, when it
// is one decoding gives (false otherwise).
func jsonCloneAny(v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool:
		return v, true
	case string:
		return v, utf8.ValidString(v)
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case map[string]any:
		if v == nil {
			return nil, true // null
		}
		return jsonCloneAnyMap(v)
	case []any:
		if v == nil {
			return nil, true
		}
		out := make([]any, len(v))
		for i, e := range v {
			c, ok := jsonCloneAny(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}

func jsonCloneAnyMap(m map[string]any) (map[string]any, bool) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		c, ok := jsonCloneAny(e)
		if !ok || !utf8.ValidString(k) {
			return nil, false
		}
		out[k] = c
	}
	return out, true
}

var marshalsCache typeCache[bool]

// marshalsItself reports whether t encodes through its own method.
func marshalsItself(t reflect.Type) bool {
	if ok, found := marshalsCache.get(t); found {
		return ok
	}
	return marshalsCache.put(t, t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler))
}

var priceType = reflect.TypeFor[Price]()

// clonePrice is jsonCloneInto for a Price, whose MarshalJSON drops what only
// its includes render; with includes it leaves the work to encoding/json.
func clonePrice(dst, src reflect.Value, failed *bool) {
	pr := src.Interface().(Price)
	if len(pr.include) > 0 {
		roundTrip(dst, src, failed)
		return
	}
	w := pr.wireRecord()
	var out priceRecord
	cloneInto(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&w).Elem(), failed)
	dst.Set(reflect.ValueOf(Price(out)))
}

// emptyJSON is encoding/json's omitempty test.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// roundTrip is jsonCloneInto by encoding/json itself, for what the walk does
// not mirror. Errors leave dst as decoding left it, as a round trip would.
func roundTrip(dst, src reflect.Value, failed *bool) {
	v := src.Interface()
	if src.CanAddr() {
		v = src.Addr().Interface() // as encoding/json, which calls pointer methods on addressable values
	}
	raw, err := json.Marshal(v)
	if err != nil {
		*failed = true
		return
	}
	p := reflect.New(dst.Type())
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		*failed = true
		return
	}
	dst.Set(p.Elem())
}
