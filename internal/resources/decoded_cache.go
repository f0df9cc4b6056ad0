package resources

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"sync"
)

// decodedCache keeps, per record, the value its bytes decoded to, so that
// the jobs of a renewal (period end, upcoming, finalize and pay), which
// each load the same subscription, customer and invoice again, copy it
// instead of decoding it: decoding was most of a renewal's cost.
//
// An entry is used only when the record's bytes, read in the caller's
// transaction, equal the entry's: decoding is a function of the bytes and
// the type, so the cache can never be stale, whatever wrote the record,
// rolled back or reset the store since. Entries are never changed once
// stored: loads get deep copies (decodedCopy), since callers mutate what
// they load, and view lends an entry only to callers that do not.
type decodedCache struct {
	mu sync.Mutex
	m  map[decodedKey]decodedEntry
	// old is the previous generation: when m is full it becomes old, so
	// what was used lately survives a turnover (a hit moves it back).
	old map[decodedKey]decodedEntry
}

// decodedCacheSize bounds the entries of a generation: a renewal round
// touches about seven records per subscription.
const decodedCacheSize = 2048

type decodedKey struct{ kind, id string }

// decodedEntry is a record's bytes and the value decoding them gives.
type decodedEntry struct {
	raw []byte
	v   reflect.Value // a *T that no caller changes
	// lazy: v is the value a transaction saved, not yet copied into the
	// form decoding gives; the first get copies it.
	lazy bool
}

func (d *decodedCache) get(key decodedKey, t reflect.Type, raw []byte) (reflect.Value, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[key]
	if !ok {
		if e, ok = d.old[key]; ok {
			d.putLocked(key, e)
		}
	}
	if !ok || e.v.Type() != t || !bytes.Equal(e.raw, raw) {
		return reflect.Value{}, false
	}
	if e.lazy {
		v, ok := cloneFor(key, e.raw, e.v)
		if !ok {
			delete(d.m, key)
			return reflect.Value{}, false
		}
		e = decodedEntry{raw: e.raw, v: v}
		d.m[key] = e
	}
	return e.v, true
}

func (d *decodedCache) put(key decodedKey, raw []byte, v reflect.Value) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(key, decodedEntry{raw: raw, v: v})
}

// putLazy keeps v, a value saved as raw whose saver is done with it, to be
// copied by the first get that wants it: most saved values are not loaded
// again before they change.
func (d *decodedCache) putLazy(key decodedKey, raw []byte, v reflect.Value) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.putLocked(key, decodedEntry{raw: raw, v: v, lazy: true})
}

// cloneFor copies v, saved as raw, into what decoding raw gives. It
// reports false if v does not encode. Test binaries check that v still
// encodes as raw (nothing changed it since it was saved) and that the copy
// equals decoding raw.
func cloneFor(key decodedKey, raw []byte, v reflect.Value) (reflect.Value, bool) {
	if verifySavedClones() {
		if now, err := json.Marshal(v.Interface()); err == nil && string(now) != string(raw) {
			panic(fmt.Sprintf("%s %s changed after it was written:\nwritten %.300s\nnow     %.300s", key.kind, key.id, raw, now))
		}
	}
	kept := reflect.New(v.Type().Elem())
	failed := false
	if cloneInto(kept.Elem(), v.Elem(), &failed); failed {
		return reflect.Value{}, false
	}
	if verifySavedClones() {
		want := reflect.New(v.Type().Elem())
		if err := json.Unmarshal(raw, want.Interface()); err != nil {
			panic(err)
		}
		if !reflect.DeepEqual(want.Interface(), kept.Interface()) {
			panic(fmt.Sprintf("jsonClone of %s %s differs from decoding it:\n clone %#v\nwant %#v", key.kind, key.id, kept.Elem().Interface(), want.Elem().Interface()))
		}
	}
	return kept, true
}

func (d *decodedCache) putLocked(key decodedKey, e decodedEntry) {
	if d.m == nil || len(d.m) >= decodedCacheSize {
		d.old, d.m = d.m, make(map[decodedKey]decodedEntry, 256)
	}
	d.m[key] = e
}

// cacheable reports whether rv, the target of a load or the value of a
// save, can go through the cache: a pointer to a type whose decoding
// decodedCopy reproduces.
func cacheable(rv reflect.Value) bool {
	return rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct && decodedCopyable(rv.Type())
}

// verifySavedClones reports whether save should check that jsonClone of
// what it saved equals decoding the saved bytes, and panic if not. The
// package's tests turn it on (not its benchmarks), so that every type the
// suite saves checks jsonClone's fidelity.
var verifySavedClones = func() bool { return false }

// CheckSavesInTests turns on, in a test binary that runs no benchmark,
// the checks of verifySavedClones and of pending writes (a value changed
// between its save and its rendering panics). Packages whose tests drive
// the engine call it from an init function in a _test.go file.
func CheckSavesInTests() {
	verifySavedClones = sync.OnceValue(func() bool {
		f := flag.Lookup("test.bench")
		return f == nil || f.Value.String() == ""
	})
}

// remember stores, after save wrote raw for v, the value decoding raw
// gives: jsonClone(v) is that value without the decoding.
func (c *Ctx) remember(kind, id string, raw []byte, v any) {
	rv := reflect.ValueOf(v)
	if !cacheable(rv) {
		return
	}
	kept := reflect.New(rv.Type().Elem())
	jsonCloneInto(kept.Elem(), rv.Elem())
	if verifySavedClones() {
		want := reflect.New(rv.Type().Elem())
		if err := json.Unmarshal(raw, want.Interface()); err != nil {
			panic(err)
		}
		if !reflect.DeepEqual(want.Interface(), kept.Interface()) {
			panic(fmt.Sprintf("jsonClone of %s %s differs from decoding it:\n clone %#v\nwant %#v", kind, id, kept.Elem().Interface(), want.Elem().Interface()))
		}
	}
	c.e.decoded.put(decodedKey{kind, id}, raw, kept)
}
