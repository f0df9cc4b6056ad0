package resources

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/apiversion"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// Ctx is what a handler or job sees: one transaction, one "now", the
// request's parameters, and the events it emits.
type Ctx struct {
	e         *Engine
	tx        store.Tx
	now       time.Time
	call      Call
	automatic bool      // a scheduled job or test helper, not an API request
	started   time.Time // the fake clock when the request began; never moved to a test clock
	timeline  string    // the timeline of the job being run, if any

	Params  Params
	Vars    map[string]string  // path variables by spec name
	Version apiversion.Version // the API version to render and to gate behaviour on

	events []*Event

	// preview is the unsaved invoice a preview request answers with;
	// version changes read it as if stored (its lines' own tax rates).
	preview *Invoice

	// endpoints are the webhook endpoints, read once per transaction by the
	// first event; deliveries are the deliveries its events queued.
	endpoints       []*WebhookEndpoint
	endpointsLoaded bool
	deliveries      []string

	// scheduled and earliest track jobs this transaction put on the fake's
	// own timeline, to keep the engine's next-due cache right.
	scheduled bool
	earliest  time.Time

	// afterFns run after the transaction commits, in order, with no lock
	// held, before the response returns (e.g. a test clock's advance).
	afterFns []func() error

	// previewDiscounts is non-nil while a preview (create_preview) runs:
	// the discounts it redeemed, kept here instead of the store, so a
	// preview counts no redemption and stores nothing (preview_discount.go).
	previewDiscounts map[string]*Discount

	// pending holds the records saved in this write transaction and not
	// yet written, in pendingOrder (pending_writes.go); pendingBySrc finds
	// one by the value save was given.
	pending      map[decodedKey]*pendingWrite
	pendingBySrc map[any]*pendingWrite
	pendingOrder []*pendingWrite
	// viewed is what view handed out, and written the pending writes
	// written before the transaction's end, in test binaries only.
	viewed  []viewedValue
	written []*pendingWrite
}

// after registers fn to run once this transaction has committed, before
// the response is returned. Its events are delivered like any other.
func (c *Ctx) after(fn func() error) { c.afterFns = append(c.afterFns, fn) }

// timeFor returns "now" on timeline: the fake's clock for the default
// timeline, a test clock's frozen_time otherwise. While a timeline's jobs
// run, c.Now() is the job's due time on that timeline, so that is returned.
func (c *Ctx) timeFor(timeline string) (time.Time, error) {
	if timeline == scheduler.DefaultTimeline || timeline == c.timeline {
		return c.now, nil
	}
	tc, err := loadTestClock(c, timeline, "test_clock")
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(tc.FrozenTime, 0).UTC(), nil
}

// timeline is the timeline whose job this Ctx runs ("" for requests and the
// fake's own jobs).
func (c *Ctx) Timeline() string { return c.timeline }

// onCustomerTimeline makes the rest of this request run on cu's timeline:
// if cu is attached to a test clock, Now becomes the clock's frozen_time,
// so objects and events the request creates carry the clock's time, as
// Stripe's do. Call it once the handler knows the customer it acts for.
func (c *Ctx) onCustomerTimeline(cu *Customer) error {
	tl := cu.Timeline()
	if tl == scheduler.DefaultTimeline || tl == c.timeline {
		return nil
	}
	at, err := c.timeFor(tl)
	if err != nil {
		return err
	}
	c.now, c.timeline = at, tl
	return nil
}

// onTimelineOfCustomer moves the request onto the clock of customer, an
// optional one (payment and setup intents, charges).
func (c *Ctx) onTimelineOfCustomer(customer *string) error {
	if customer == nil {
		return nil
	}
	_, err := c.customerTimeline(*customer, "customer")
	return err
}

// customerTimeline loads the customer id (param names it in errors) and
// moves the request onto its timeline, as work for a customer does.
func (c *Ctx) customerTimeline(id, param string) (*Customer, error) {
	cu, err := get[Customer](c, kindCustomer, id, param)
	if err != nil {
		return nil, err
	}
	return cu, c.onCustomerTimeline(cu)
}

// nowFor is timeFor the customer's timeline.
func (c *Ctx) nowFor(cu *Customer) (time.Time, error) { return c.timeFor(cu.Timeline()) }

// schedule stores a job. All scheduling goes through here (never
// scheduler.Schedule directly) so the engine knows when work falls due.
func (c *Ctx) schedule(kind, objectID, timeline string, due time.Time) error {
	if err := checkSchedulable("", due.Unix()); err != nil {
		return err // a parameter that reaches here should have been checked where it was read
	}
	if err := scheduler.Schedule(c.tx, kind, objectID, timeline, due); err != nil {
		return err
	}
	if timeline == scheduler.DefaultTimeline && (!c.scheduled || due.Before(c.earliest)) {
		c.scheduled, c.earliest = true, due
	}
	return nil
}

// latestSchedulable bounds the times work can fall due at: the store keeps
// a job's due time in Unix nanoseconds, which end in 2262.
var latestSchedulable = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// checkSchedulable answers a 400 naming param for a timestamp at which
// work would fall due later than latestSchedulable: what Stripe would
// accept (UNCONFIRMED) but the fake cannot schedule, refused loudly
// rather than a 500. Parameters that become due times (phase ends,
// pause_collection[resumes_at], due_date, expires_at) are checked where
// they are read; schedule checks every due time as a backstop.
func checkSchedulable(param string, at int64) error {
	if at <= latestSchedulable {
		return nil
	}
	what := "Work"
	if param != "" {
		what = "The " + param
	}
	return apierr.InvalidRequest(param, what+" would fall due after 2200-01-01, later than stripefake can schedule.")
}

// Now is the fake clock's time for this request or job, read once.
func (c *Ctx) Now() time.Time { return c.now }

// Unix is Now in Unix seconds, as Stripe timestamps are.
func (c *Ctx) Unix() int64 { return c.now.Unix() }

// Tx is the transaction.
func (c *Ctx) Tx() store.Tx { return c.tx }

// Engine returns the engine.
func (c *Ctx) Engine() *Engine { return c.e }

// Var returns the path variable name.
func (c *Ctx) Var(name string) string { return c.Vars[name] }

// NewID returns a fresh ID with prefix.
func (c *Ctx) NewID(prefix string) (string, error) { return c.e.ids.New(c.tx, prefix) }

// load reads kind/id into v; it returns store.ErrNotFound as is. Records
// already decoded are copied from the engine's decodedCache.
func (c *Ctx) load(kind, id string, v any) error {
	rv := reflect.ValueOf(v)
	return c.loadInto(kind, id, rv, cacheable(rv) && rv.Elem().IsZero())
}

// loadInto is load for rv, a pointer; fresh says it is cacheable and
// points to a zero value (a new(T), which get and loader know it is).
func (c *Ctx) loadInto(kind, id string, rv reflect.Value, fresh bool) error {
	v := rv.Interface()
	if fresh && len(c.pending) > 0 && c.loadPending(kind, id, rv) {
		return nil
	}
	raw, err := c.tx.Get(kind, id)
	if err != nil {
		return err
	}
	if !fresh {
		return json.Unmarshal(raw, v) // decoding into a filled value merges: leave that to encoding/json
	}
	key := decodedKey{kind, id}
	if kept, ok := c.e.decoded.get(key, rv.Type(), raw); ok {
		decodedCopy(rv.Elem(), kept.Elem())
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	kept := reflect.New(rv.Type().Elem())
	decodedCopy(kept.Elem(), rv.Elem())
	c.e.decoded.put(key, raw, kept)
	return nil
}

// save writes v as kind/id with index terms. In a write transaction the
// write is deferred (pending_writes.go) and v is handed over: the caller
// must not change v afterwards unless it saves it again, and what is
// written is v's state at its last save (test binaries check this).
func (c *Ctx) save(kind, id string, v any, terms ...string) error {
	if _, ok := v.(*Event); !ok && c.deferSave(kind, id, v, terms) {
		return nil
	}
	var raw []byte
	var err error
	if ev, ok := v.(*Event); ok {
		raw, err = ev.marshalJSON()
	} else {
		raw, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	if err := c.tx.Put(kind, id, raw, terms...); err != nil {
		return err
	}
	if _, ok := v.(*Event); !ok {
		c.remember(kind, id, raw, v)
	}
	return nil
}

// get loads kind/id into a new T, answering Stripe's "No such" error for a
// missing ID: a 404 when param is "id" (the path), else a 400 naming param.
func get[T any](c *Ctx, kind, id, param string) (*T, error) {
	v := new(T)
	rv := reflect.ValueOf(v)
	err := c.loadInto(kind, id, rv, cacheable(rv))
	if errors.Is(err, store.ErrNotFound) {
		return nil, c.e.noSuch(kind, id, param)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// view is get for a caller that only reads what it loads: it answers the
// decoded cache's own value, not a copy, so the caller must neither change
// nor save it (test binaries check at the transaction's end that it still
// encodes as it did). A record saved in this transaction and not yet
// written is copied, as get does.
func view[T any](c *Ctx, kind, id, param string) (*T, error) {
	v, err := viewOrNotFound[T](c, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, c.e.noSuch(kind, id, param)
	}
	return v, err
}

// viewOrNotFound is view answering store.ErrNotFound for a missing record.
func viewOrNotFound[T any](c *Ctx, kind, id string) (*T, error) {
	key := decodedKey{kind, id}
	if c.pending[key] != nil || !cacheable(reflect.ValueOf(new(T))) {
		v := new(T)
		rv := reflect.ValueOf(v)
		return v, c.loadInto(kind, id, rv, cacheable(rv))
	}
	raw, err := c.tx.Get(kind, id)
	if err != nil {
		return nil, err
	}
	kept, ok := c.e.decoded.get(key, reflect.TypeFor[*T](), raw)
	if !ok {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return nil, err
		}
		kept := reflect.New(reflect.TypeFor[T]())
		decodedCopy(kept.Elem(), reflect.ValueOf(v).Elem())
		c.e.decoded.put(key, raw, kept)
		return v, nil
	}
	if verifySavedClones() {
		enc, _ := json.Marshal(kept.Interface())
		c.viewed = append(c.viewed, viewedValue{key, kept, enc})
	}
	return kept.Interface().(*T), nil
}

// owned returns a deep copy of v, a value view handed out, for a caller
// that found it must change it after all.
func owned[T any](v *T) *T {
	out := new(T)
	decodedCopy(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

// viewedValue is, in test binaries, a value view handed out and what it
// encoded to then.
type viewedValue struct {
	key decodedKey
	v   reflect.Value
	enc []byte
}

// checkViews panics if a value view handed out was changed.
func (c *Ctx) checkViews() {
	for _, w := range c.viewed {
		if now, _ := json.Marshal(w.v.Interface()); string(now) != string(w.enc) {
			panic(fmt.Sprintf("%s %s was changed by a caller of view:\nthen %.300s\nnow  %.300s", w.key.kind, w.key.id, w.enc, now))
		}
	}
	c.viewed = c.viewed[:0]
}

// scan loads every object of kind (restricted to term when not empty),
// newest inserted first, keeping those keep accepts.
func scan[T any](c *Ctx, kind, term string, keep func(*T) bool) ([]*T, error) {
	var out []*T
	fn := func(_ string, raw []byte) (bool, error) {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return false, err
		}
		if keep == nil || keep(v) {
			out = append(out, v)
		}
		return true, nil
	}
	return out, c.scanNewest(kind, term, fn)
}

// scanNewest walks the records of kind, restricted to term when not
// empty, newest inserted first.
func (c *Ctx) scanNewest(kind, term string, fn func(id string, raw []byte) (bool, error)) error {
	if term == "" {
		return c.tx.Scan(kind, true, fn)
	}
	return c.tx.ScanIndex(kind, term, true, fn)
}

// loader is the Kind.Load of a kind stored as a T: it reads the record
// into a new T, returning store.ErrNotFound as is.
func loader[T any](kind string) func(c *Ctx, id string) (any, error) {
	return func(c *Ctx, id string) (any, error) {
		v := new(T)
		rv := reflect.ValueOf(v)
		return v, c.loadInto(kind, id, rv, cacheable(rv))
	}
}

// remove deletes the record kind/id and emits event ("<object>.deleted")
// with obj as it was; it returns the stub a DELETE answers.
func (c *Ctx) remove(kind, id string, obj any, event string) (DeletedObject, error) {
	if err := c.tx.Delete(kind, id); err != nil {
		return DeletedObject{}, err
	}
	return DeletedObject{ID: id, Object: kind, Deleted: true}, c.emit(event, obj, nil)
}
