package resources

import (
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/internal/scheduler"
	"github.com/stripefake/stripefake/store"
)

// GET /v1/events lists events newest first by created, ties newest
// inserted first. Events carry no clock of their own, and a test clock's
// events are created at the clock's time, so once a test clock has
// written one the store's insertion order is no longer created order.
//
// But within one timeline (the fake's own clock, or one test clock) events
// are written in created order: a request reads the fake's clock inside
// its write transaction (Ctx.begin), Advance only moves it forward, and a
// test clock's frozen_time only moves forward, set before the jobs due at
// that time run (runTestClock). So every event carries its timeline as an
// index term, and a list merges the timelines' streams, each walked from
// the cursor, reading only each event's head: a page costs the page times
// the number of test clocks that wrote events, not the store.
//
// A test clock's record in kindEventTimeline holds the latest created its
// events have, so a write that would break the order (a job running at a
// due time already passed on its clock) is seen; on the fake's own
// timeline such an event is recorded later than it was created (a
// subscription schedule that starts in the past). Either marks the events
// unordered, and lists sort every event's head from then on
// (eventPage.sorted), as they do for stores written before events carried
// terms: correct, but linear in the events.
//
// Ties in created between timelines go by the counter behind the events'
// IDs (IDs.sequence), which is their insertion order; the marker saying
// events carry terms keeps the seed that counter is read with, and a fake
// with another seed sorts. (A store keeps the seed it was first used with
// (KeepSeed), so only a store written by older code with several seeds
// may order such ties differently from the sort.)
// Events that older code writes to a store newer code marked are left out
// of merged lists: a store is not meant to go back to older code.

const (
	// kindEventTimelines holds markers, by ID: eventsMixed once a test
	// clock has written an event (written by older code too),
	// eventsTermed when every event carries its timeline term (the value
	// is the seed of the IDs, which order ties), eventsUnordered once a
	// timeline's events broke created order.
	kindEventTimelines = "event.timelines"
	eventsMixed        = "mixed"
	eventsTermed       = "terms"
	eventsUnordered    = "unordered"

	// kindEventTimeline has a record per test clock that wrote an event:
	// its ID, and the latest created of its events.
	kindEventTimeline = "event.timeline"
)

// eventTerm is the index term of the events of timeline.
func eventTerm(timeline string) string { return "tl:" + timeline }

// eventTerms are the index terms an event is saved with.
func eventTerms(ev *Event) []string { return []string{eventTerm(ev.Timeline)} }

// noteEventTimeline records what lists need to know about ev, on a test
// clock's timeline, before it is saved.
func noteEventTimeline(c *Ctx, ev *Event) error {
	if ev.Timeline == scheduler.DefaultTimeline {
		// A job overdue when it was scheduled (a subscription schedule
		// whose start_date is in the past) runs at its due time, which
		// the fake's clock has passed: its events may come after newer
		// ones. (A job caught up after the clock was moved from outside
		// is late too, but usually nothing newer was written.)
		if ev.Recorded == 0 || ev.Created >= ev.Recorded {
			return nil
		}
		newest := int64(math.MinInt64)
		err := c.tx.ScanIndex(kindEvent, eventTerm(scheduler.DefaultTimeline), true, func(_ string, raw []byte) (bool, error) {
			var h eventHead
			if err := decodeFields(raw, &h); err != nil {
				return false, err
			}
			newest = h.Created
			return false, nil
		})
		if err != nil || ev.Created >= newest {
			return err
		}
		return markEventsUnordered(c)
	}
	raw, err := c.tx.Get(kindEventTimeline, ev.Timeline)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := markEventsMixed(c); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		last, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return err
		}
		if ev.Created == last {
			return nil
		}
		if ev.Created < last {
			return markEventsUnordered(c)
		}
	}
	return c.tx.Put(kindEventTimeline, ev.Timeline, strconv.AppendInt(nil, ev.Created, 10))
}

// markEventsUnordered records that some timeline's events no longer come
// in created order: lists sort from then on.
func markEventsUnordered(c *Ctx) error {
	if _, err := c.tx.Get(kindEventTimelines, eventsUnordered); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return c.tx.Put(kindEventTimelines, eventsUnordered, []byte("true"))
}

// markEventsMixed records that a test clock writes its first event. If
// every event stored so far carries its term (they are all the fake's
// own clock's: none was a test clock's), lists can merge from now on.
func markEventsMixed(c *Ctx) error {
	if _, err := c.tx.Get(kindEventTimelines, eventsMixed); err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	oldest, err := firstID(c.tx, "", false)
	if err != nil {
		return err
	}
	oldestTermed, err := firstID(c.tx, eventTerm(scheduler.DefaultTimeline), false)
	if err != nil {
		return err
	}
	if oldest == oldestTermed {
		seed := strconv.AppendUint(nil, c.e.ids.seed.Load(), 10)
		if err := c.tx.Put(kindEventTimelines, eventsTermed, seed); err != nil {
			return err
		}
	}
	return c.tx.Put(kindEventTimelines, eventsMixed, []byte("true"))
}

// firstID returns the ID of the oldest event (newest if reverse), of
// those carrying term if it is not empty; "" if there is none.
func firstID(tx store.Tx, term string, reverse bool) (string, error) {
	var id string
	fn := func(got string, _ []byte) (bool, error) { id = got; return false, nil }
	if term == "" {
		return id, tx.Scan(kindEvent, reverse, fn)
	}
	return id, tx.ScanIndex(kindEvent, term, reverse, fn)
}

// eventListing is how a list of events is answered.
type eventListing int

const (
	eventsInOrder eventListing = iota // insertion order is created order
	eventsMerged                      // merge the timelines' streams
	eventsSorted                      // sort every event's head
)

func eventListingOf(c *Ctx) (eventListing, error) {
	has := func(id string) (bool, error) {
		_, err := c.tx.Get(kindEventTimelines, id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	if unordered, err := has(eventsUnordered); err != nil || unordered {
		return eventsSorted, err
	}
	if mixed, err := has(eventsMixed); err != nil || !mixed {
		return eventsInOrder, err
	}
	raw, err := c.tx.Get(kindEventTimelines, eventsTermed)
	if errors.Is(err, store.ErrNotFound) {
		return eventsSorted, nil
	}
	if err != nil {
		return 0, err
	}
	// Ties are ordered by the counter behind the IDs, which only the seed
	// they were made with reveals.
	if seed, err := strconv.ParseUint(string(raw), 10, 64); err != nil || seed != c.e.ids.seed.Load() {
		return eventsSorted, nil
	}
	return eventsMerged, nil
}

// eventKey orders events: by created, then by the order they were written.
type eventKey struct {
	created int64
	seq     uint64
}

func (a eventKey) after(b eventKey) bool {
	return a.created > b.created || a.created == b.created && a.seq > b.seq
}

type eventItem struct {
	head *eventHead
	key  eventKey
}

// eventPage finds one page of events: the events that match, on the far
// side of the cursor (if any) in the direction the page is read, the
// nearest need of them.
type eventPage struct {
	c      *Ctx
	n      int  // the page size
	need   int  // n+1: one more tells has_more
	down   bool // newest first: no cursor, or starting_after
	cursor *eventItem
	param  string // the cursor's parameter
	match  func(*eventHead) bool
	lo, hi int64 // the created bounds, when hasLo / hasHi
	hasLo  bool
	hasHi  bool
	// oldest is the earliest time an event may have been recorded at and
	// still be listed (retention).
	oldest int64
}

// recordedAt is when ev was written, on the fake's clock: it never
// decreases in insertion order, on every timeline.
func recordedAt(ev *eventHead) int64 {
	if ev.Recorded != 0 {
		return ev.Recorded
	}
	return ev.Created
}

// beyond reports whether k lies past the cursor in the page's direction.
func (p *eventPage) beyond(k eventKey) bool {
	if p.cursor == nil {
		return true
	}
	if p.down {
		return p.cursor.key.after(k)
	}
	return k.after(p.cursor.key)
}

// pastBound reports whether created, and all that follow it in the
// page's direction on one timeline, miss the created bounds.
func (p *eventPage) pastBound(created int64) bool {
	return p.down && p.hasLo && created < p.lo || !p.down && p.hasHi && created > p.hi
}

func listEvents(c *Ctx) (any, error) {
	p := c.Params
	types := p.Strings("types")
	if typ, ok := p.String("type"); ok {
		if len(types) > 0 {
			return nil, apierr.InvalidRequest("type", "You cannot specify both `type` and `types`.")
		}
		types = []string{typ}
	}
	if len(types) > 20 {
		return nil, apierr.InvalidRequest("types", "You can specify at most 20 types.")
	}
	success, filterSuccess := p.Bool("delivery_success")
	oldest := c.now.Add(-eventRetention).Unix()
	keep := func(ev *eventHead) bool {
		if recordedAt(ev) < oldest {
			return false
		}
		if filterSuccess && (ev.PendingWebhooks == 0) != success {
			return false
		}
		return len(types) == 0 || matchesAnyType(ev.Type, types)
	}
	meta := func(h *eventHead) (string, int64) { return h.ID, h.Created }
	how, err := eventListingOf(c)
	if err != nil {
		return nil, err
	}
	if how == eventsInOrder {
		// No test clock has written an event: insertion order is created
		// order, so a page costs the page, and reads only each event's
		// head.
		return listWire(c, "/v1/events", kindEvent, "", keep, meta)
	}
	args, err := readPageArgs(p)
	if err != nil {
		return nil, err
	}
	pg := &eventPage{c: c, n: args.n, need: args.n + 1, down: args.newestFirst, oldest: oldest, param: args.param,
		match: func(h *eventHead) bool { return keep(h) && args.createdOK(h.Created) },
		lo:    args.lo, hasLo: args.hasLo, hi: args.hi, hasHi: args.hasHi}
	cursor, hasCursor := args.cursor, args.hasCursor
	var items []eventItem
	if how == eventsMerged {
		items, err = pg.merged(cursor, hasCursor)
		if errors.Is(err, errUnmergeable) {
			how = eventsSorted
		}
	}
	if how == eventsSorted {
		items, err = pg.sorted(cursor, hasCursor)
	}
	if err != nil {
		return nil, err
	}
	return pg.render(items)
}

// errUnmergeable says an event's ID does not tell when it was written.
var errUnmergeable = errors.New("resources: event ID without a sequence")

// seq is the order event id was written in: the counter behind its ID.
func (p *eventPage) seq(id string) (uint64, error) {
	n, ok := p.c.e.ids.sequence("evt", id)
	if !ok {
		return 0, errUnmergeable
	}
	return n, nil
}

// merged finds the page by merging the timelines' streams.
func (p *eventPage) merged(cursor string, hasCursor bool) ([]eventItem, error) {
	if hasCursor {
		raw, err := p.c.tx.Get(kindEvent, cursor)
		if errors.Is(err, store.ErrNotFound) {
			return nil, p.c.e.noSuch("event", cursor, p.param)
		}
		if err != nil {
			return nil, err
		}
		h := new(eventHead)
		if err := decodeFields(raw, h); err != nil {
			return nil, err
		}
		seq, err := p.seq(h.ID)
		if err != nil {
			return nil, err
		}
		p.cursor = &eventItem{h, eventKey{h.Created, seq}}
	}
	timelines := []string{scheduler.DefaultTimeline}
	err := p.c.tx.Scan(kindEventTimeline, false, func(id string, _ []byte) (bool, error) {
		timelines = append(timelines, id)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	var items []eventItem
	for _, tl := range timelines {
		got, err := p.stream(tl)
		if err != nil {
			return nil, err
		}
		items = append(items, got...)
	}
	return p.nearest(items), nil
}

// nearest sorts items (all beyond the cursor) in the page's direction and
// keeps the first need.
func (p *eventPage) nearest(items []eventItem) []eventItem {
	slices.SortFunc(items, func(a, b eventItem) int {
		switch {
		case a.key == b.key:
			return 0
		case a.key.after(b.key) == p.down:
			return -1
		default:
			return 1
		}
	})
	return items[:min(len(items), p.need)]
}

// walk calls fn with the events of timeline in insertion order from the
// event from (from the end if from is ""), towards the oldest if older.
func (p *eventPage) walk(timeline, from string, older bool, fn func(eventItem) (bool, error)) error {
	term := eventTerm(timeline)
	scan := func(_ string, raw []byte) (bool, error) {
		h := new(eventHead)
		if err := decodeFields(raw, h); err != nil {
			return false, err
		}
		seq, err := p.seq(h.ID)
		if err != nil {
			return false, err
		}
		return fn(eventItem{h, eventKey{h.Created, seq}})
	}
	if from == "" {
		return p.c.tx.ScanIndex(kindEvent, term, older, scan)
	}
	return p.c.tx.ScanIndexFrom(kindEvent, term, from, older, scan)
}

// first returns the first event walk would visit.
func (p *eventPage) first(timeline, from string, older bool) (eventItem, bool, error) {
	var it eventItem
	var found bool
	err := p.walk(timeline, from, older, func(got eventItem) (bool, error) {
		it, found = got, true
		return false, nil
	})
	return it, found, err
}

// stream returns up to need matching events of timeline beyond the
// cursor, nearest first. Its events are in created order, so it walks
// from the cursor's place: the cursor itself if it is on timeline, else
// the cursor's place in insertion order, stepping over what lies on the
// wrong side of it in created order.
func (p *eventPage) stream(timeline string) ([]eventItem, error) {
	older := p.down // the page's direction, in insertion order
	var out []eventItem
	take := func(it eventItem) (bool, error) {
		if p.pastBound(it.key.created) || older && recordedAt(it.head) < p.oldest {
			return false, nil // the rest of the walk is out of bounds, or expired
		}
		if p.beyond(it.key) && p.match(it.head) {
			out = append(out, it)
		}
		return len(out) < p.need, nil
	}
	if p.cursor == nil {
		return out, p.walk(timeline, "", older, take)
	}
	if p.cursor.head.Timeline == timeline {
		return out, p.walk(timeline, p.cursor.head.ID, older, take)
	}
	// The ends first: a timeline wholly on one side of the cursor (a test
	// clock's past, say) costs a read.
	far, ok, err := p.first(timeline, "", !older)
	if err != nil || !ok || !p.beyond(far.key) {
		return nil, err
	}
	near, _, err := p.first(timeline, "", older)
	if err != nil {
		return nil, err
	}
	if p.beyond(near.key) {
		return out, p.walk(timeline, "", older, take)
	}
	// Interleaved with the cursor: the events beyond it are those on the
	// page's side of its place in insertion order and a run on the other
	// side, nearer the cursor's place.
	next, ok, err := p.first(timeline, p.cursor.head.ID, older)
	if err != nil {
		return nil, err
	}
	if ok && !p.beyond(next.key) {
		// Nothing on the other side is beyond: step over what is not.
		return out, p.walk(timeline, p.cursor.head.ID, older, take)
	}
	var run []eventItem
	err = p.walk(timeline, p.cursor.head.ID, !older, func(it eventItem) (bool, error) {
		if !p.beyond(it.key) {
			return false, nil
		}
		if p.match(it.head) {
			if run = append(run, it); len(run) > p.need {
				run = run[1:]
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(run)
	out = run
	if len(out) == p.need {
		return out, nil
	}
	return out, p.walk(timeline, p.cursor.head.ID, older, take)
}

// sorted finds the page by sorting every event's head, for stores whose
// events do not all carry their timeline, or broke created order. Ties
// go by insertion order.
func (p *eventPage) sorted(cursor string, hasCursor bool) ([]eventItem, error) {
	var all []eventItem
	var seq uint64
	err := p.c.tx.Scan(kindEvent, false, func(id string, raw []byte) (bool, error) {
		seq++
		h := new(eventHead)
		if err := decodeFields(raw, h); err != nil {
			return false, err
		}
		it := eventItem{h, eventKey{h.Created, seq}}
		if hasCursor && id == cursor {
			p.cursor = &it
		}
		if p.match(h) {
			all = append(all, it)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if hasCursor && p.cursor == nil {
		return nil, p.c.e.noSuch("event", cursor, p.param)
	}
	items := all[:0]
	for _, it := range all {
		if p.beyond(it.key) {
			items = append(items, it)
		}
	}
	return p.nearest(items), nil
}

// render writes the page of items (nearest the cursor first, up to need)
// around the events' stored bytes, as listWire does.
func (p *eventPage) render(items []eventItem) (any, error) {
	hasMore := len(items) > p.n
	items = items[:min(len(items), p.n)]
	page := newWirePage(p.c, kindEvent, "list", p.n)
	for _, it := range items {
		raw, err := p.c.tx.Get(kindEvent, it.head.ID)
		if err != nil {
			return nil, err
		}
		page.add(it.head.ID, raw)
	}
	return finishWireList(page, !p.down, hasMore, "/v1/events")
}
