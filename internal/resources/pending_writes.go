package resources

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/stripefake/stripefake/store"
)

// Pending writes: inside a write transaction, save keeps the object
// instead of encoding it at once, and the record is written when
// the transaction ends, or sooner if something reads the store in a way
// that must see it. A renewal saves its invoice, payment intent and
// invoice payment two or three times in one job, and emits an event after
// each save: encoding each state once, and sharing those bytes between the
// event, the response and the store, was most of what a renewal cost.
//
// What a transaction reads is unchanged: load answers from the saved value,
// and every other read of a kind (Get of the record, scans, a Put of
// another record of the kind, which takes the next place in insertion
// order) writes that kind's pending records first, in the order they were
// first saved.

// pendingWrite is a record saved in this transaction and not yet written.
//
// save does not copy the value: the caller hands it over and must not
// change it again unless it saves it again (the last save wins). A copy
// costs as much as an encoding, and most saved values are never loaded
// again; the decoded cache copies a value the first time a later load
// wants it (decodedCache.putLazy). Test binaries check the contract: a
// value that changes after its save without being saved again panics
// (verifySavedClones).
type pendingWrite struct {
	key   decodedKey
	src   any           // the value save was given, to know emit(src)
	srcV  reflect.Value // src as a *T
	terms []string
	wire  []byte // src rendered in the stored model's wire shape, once asked
	// saved is, in test binaries only, what src encoded to when saved.
	saved []byte
}

// checkUnchanged panics, in test binaries, if p's value no longer encodes
// as it did when saved: the caller changed it after handing it over.
func (p *pendingWrite) checkUnchanged(when string) {
	if p.saved == nil {
		return
	}
	now, err := json.Marshal(p.src)
	if err != nil || string(now) == string(p.saved) {
		return
	}
	i := 0
	for i < len(now) && i < len(p.saved) && now[i] == p.saved[i] {
		i++
	}
	from := max(0, i-80)
	panic(fmt.Sprintf("%s %s changed after its save, %s, at byte %d:\nsaved …%.200s\nnow   …%.200s", p.key.kind, p.key.id, when, i, p.saved[from:], now[from:]))
}

// bindWrite makes c use tx for a write transaction, with writes deferred.
func (c *Ctx) bindWrite(tx store.Tx) {
	c.pending = nil
	c.pendingBySrc = nil
	c.pendingOrder = nil
	c.viewed, c.written = nil, nil
	c.tx = &pendingTx{c: c, tx: tx}
}

// flush writes every pending record. A write transaction's function ends
// with it: a record left pending would be lost.
func (c *Ctx) flush() error {
	c.checkViews()
	c.checkWritten()
	for _, p := range c.pendingOrder {
		if c.pending[p.key] != p {
			continue // written already
		}
		if err := c.writePending(p, true); err != nil {
			return err
		}
	}
	c.pendingOrder = c.pendingOrder[:0]
	return nil
}

// checkWritten panics, in test binaries, if a value written before the
// transaction's end (a read of its kind came first) was changed since
// without being saved again: that change would be lost.
func (c *Ctx) checkWritten() {
	last := map[any]int{}
	for i, p := range c.written {
		last[p.src] = i
	}
	for i, p := range c.written {
		if last[p.src] == i && c.pendingBySrc[p.src] == nil {
			p.checkUnchanged("after it was written")
		}
	}
	c.written = c.written[:0]
}

// finish ends the work of a write transaction that err says succeeded or
// failed: on success what is pending is written (flush); on failure
// borrowed values are checked (test binaries) and err is returned, to roll
// every write back.
func (c *Ctx) finish(err error) error {
	if err != nil {
		c.checkViews()
		return err
	}
	return c.flush()
}

// flushKind writes the pending records of kind, in order.
func (c *Ctx) flushKind(kind string) error {
	if len(c.pending) == 0 {
		return nil
	}
	for _, p := range c.pendingOrder {
		if p.key.kind == kind && c.pending[p.key] == p {
			if err := c.writePending(p, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// writePending encodes p once and writes it. The decoded cache gets the
// value: at the transaction's end (last) the value itself, copied only if
// a later load wants it, since its caller is done with it; earlier a copy,
// since the caller may still change it and save it again.
func (c *Ctx) writePending(p *pendingWrite, last bool) error {
	p.checkUnchanged("before it was written")
	// A value that does not encode stays pending, so that the flush at
	// the transaction's end fails too, even if this read's caller ignores
	// the error: the write is never dropped.
	raw, err := storedBytes(p)
	if err != nil {
		return err
	}
	pt := c.tx.(*pendingTx)
	if err := pt.tx.Put(p.key.kind, p.key.id, raw, p.terms...); err != nil {
		return err
	}
	delete(c.pending, p.key)
	delete(c.pendingBySrc, p.src)
	if !last && p.saved != nil {
		c.written = append(c.written, p)
	}
	if verifySavedClones() {
		if enc, err := json.Marshal(p.src); err != nil || string(enc) != string(raw) {
			panic(fmt.Sprintf("%s %s: stored bytes made from the wire form differ from encoding it:\n%s\n%s", p.key.kind, p.key.id, raw, enc))
		}
	}
	if last {
		c.e.decoded.putLazy(p.key, raw, p.srcV)
		return nil
	}
	if snap, ok := cloneFor(p.key, raw, p.srcV); ok {
		c.e.decoded.put(p.key, raw, snap)
	}
	return nil
}

// deferSave records v as the pending state of kind/id; it reports false if
// v cannot be deferred (it is then written at once).
func (c *Ctx) deferSave(kind, id string, v any, terms []string) bool {
	if _, ok := c.tx.(*pendingTx); !ok {
		return false
	}
	rv := reflect.ValueOf(v)
	if !cacheable(rv) {
		return false
	}
	var saved []byte
	if verifySavedClones() {
		// A value that does not encode is kept unchecked: its write fails
		// when it is rendered, read back or flushed.
		saved, _ = json.Marshal(v)
	}
	key := decodedKey{kind, id}
	if c.pending == nil {
		c.pending = make(map[decodedKey]*pendingWrite)
		c.pendingBySrc = make(map[any]*pendingWrite)
	}
	if old := c.pending[key]; old != nil {
		delete(c.pendingBySrc, old.src)
		old.src, old.srcV, old.terms, old.wire, old.saved = v, rv, terms, nil, saved
		c.pendingBySrc[v] = old
		return true
	}
	p := &pendingWrite{key: key, src: v, srcV: rv, terms: terms, saved: saved}
	c.pending[key] = p
	c.pendingBySrc[v] = p
	c.pendingOrder = append(c.pendingOrder, p)
	return true
}

// pendingWire returns obj rendered in the stored model's wire shape when
// obj is the value of a pending save: the saved state, rendered once for
// the event, the response and (when the shapes agree) the store.
func (c *Ctx) pendingWire(obj any) ([]byte, bool, error) {
	if c == nil || len(c.pendingBySrc) == 0 {
		return nil, false, nil
	}
	if t := reflect.TypeOf(obj); t == nil || t.Kind() != reflect.Pointer {
		return nil, false, nil // only pointers are saved, and maps cannot be keys
	}
	p := c.pendingBySrc[obj]
	if p == nil {
		return nil, false, nil
	}
	if p.wire == nil {
		// What is rendered is what was saved: the caller must not have
		// changed obj since.
		p.checkUnchanged("before it was rendered")
		raw, err := json.Marshal(wire(string(DefaultAPIVersion), obj))
		if err != nil {
			return nil, false, err
		}
		p.wire = raw[:len(raw):len(raw)] // shared: an append must copy
	} else {
		p.checkUnchanged("after it was rendered")
	}
	return p.wire, true, nil
}

// loadPending sets v (a zero *T of the saved type) to what decoding the
// pending state of kind/id would give, and reports whether there was one.
func (c *Ctx) loadPending(kind, id string, rv reflect.Value) bool {
	p := c.pending[decodedKey{kind, id}]
	if p == nil || p.srcV.Type() != rv.Type() {
		return false
	}
	p.checkUnchanged("before it was loaded")
	failed := false
	if cloneInto(rv.Elem(), p.srcV.Elem(), &failed); failed {
		rv.Elem().SetZero()
		return false // it does not encode: reading the store reports that
	}
	return true
}

// pendingTx is the store.Tx of a Ctx with deferred writes: a read of a
// kind first writes what is pending of that kind.
type pendingTx struct {
	c  *Ctx
	tx store.Tx
}

func (t *pendingTx) flushKey(kind, id string) error {
	if p := t.c.pending[decodedKey{kind, id}]; p != nil {
		return t.c.flushKind(kind)
	}
	return nil
}

func (t *pendingTx) Get(kind, id string) ([]byte, error) {
	if err := t.flushKey(kind, id); err != nil {
		return nil, err
	}
	return t.tx.Get(kind, id)
}

func (t *pendingTx) Put(kind, id string, data []byte, terms ...string) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.Put(kind, id, data, terms...)
}

func (t *pendingTx) Delete(kind, id string) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.Delete(kind, id)
}

func (t *pendingTx) Scan(kind string, reverse bool, fn func(string, []byte) (bool, error)) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.Scan(kind, reverse, fn)
}

func (t *pendingTx) ScanIndex(kind, term string, reverse bool, fn func(string, []byte) (bool, error)) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.ScanIndex(kind, term, reverse, fn)
}

func (t *pendingTx) ScanFrom(kind, from string, reverse bool, fn func(string, []byte) (bool, error)) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.ScanFrom(kind, from, reverse, fn)
}

func (t *pendingTx) ScanIndexFrom(kind, term, from string, reverse bool, fn func(string, []byte) (bool, error)) error {
	if err := t.c.flushKind(kind); err != nil {
		return err
	}
	return t.tx.ScanIndexFrom(kind, term, from, reverse, fn)
}

func (t *pendingTx) NextSequence(name string) (uint64, error) { return t.tx.NextSequence(name) }
func (t *pendingTx) AddJob(j store.Job) (store.Job, error)    { return t.tx.AddJob(j) }
func (t *pendingTx) RemoveJob(j store.Job) error              { return t.tx.RemoveJob(j) }
func (t *pendingTx) RemoveJobs(kind, objectID string) error   { return t.tx.RemoveJobs(kind, objectID) }
func (t *pendingTx) NextJob(timeline string) (store.Job, bool, error) {
	return t.tx.NextJob(timeline)
}
func (t *pendingTx) Jobs() ([]store.Job, error) { return t.tx.Jobs() }

// storedTailer is implemented by types whose stored form can be made from
// their wire form: the wire form's members, then those of the fields whose
// JSON names start with "_" (stored only, left out of the wire form), which
// must be the type's last fields. storedExtendsWire reports whether that
// holds for this value (not for an invoice whose wire form leaves out its
// lines past the tenth, nor for a deleted customer).
type storedTailer interface {
	storedExtendsWire() bool
}

// tailShape is where a type's stored-only fields are, and a struct type
// holding just them with their tags, which encodes as they do within the
// whole (nil if there are none). ok is false if they are not the last.
type tailShape struct {
	index []int
	typ   reflect.Type
	ok    bool
}

var tailShapes typeCache[*tailShape]

func tailShapeOf(t reflect.Type) *tailShape {
	if s, ok := tailShapes.get(t); ok {
		return s
	}
	s := &tailShape{ok: true}
	var fields []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if !strings.HasPrefix(name, "_") {
			s.ok = s.ok && len(fields) == 0 && !f.Anonymous
			continue
		}
		s.index = append(s.index, i)
		fields = append(fields, reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag})
	}
	if len(fields) > 0 {
		s.typ = reflect.StructOf(fields)
	}
	return tailShapes.put(t, s)
}

// storedBytes is what p's value encodes to, made from the wire bytes
// already rendered for its events when the shapes allow.
func storedBytes(p *pendingWrite) ([]byte, error) {
	v := p.src
	if p.wire == nil {
		return json.Marshal(v)
	}
	if _, ok := v.(versioned); !ok {
		return p.wire, nil // the wire shape is the stored shape
	}
	st, ok := v.(storedTailer)
	if !ok || !st.storedExtendsWire() {
		return json.Marshal(v)
	}
	shape := tailShapeOf(p.srcV.Type().Elem())
	if !shape.ok {
		return json.Marshal(v)
	}
	if shape.typ == nil {
		return p.wire, nil
	}
	tail := reflect.New(shape.typ).Elem()
	for j, i := range shape.index {
		tail.Field(j).Set(p.srcV.Elem().Field(i))
	}
	extra, err := json.Marshal(tail.Interface())
	if err != nil {
		return nil, err
	}
	if len(extra) <= 2 {
		return p.wire, nil // {}: nothing stored beyond the wire form
	}
	raw := make([]byte, 0, len(p.wire)+len(extra))
	raw = append(raw, p.wire[:len(p.wire)-1]...)
	raw = append(raw, ',')
	return append(raw, extra[1:]...), nil
}
