package resources

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"

	"github.com/stripefake/stripefake/internal/apierr"
	"github.com/stripefake/stripefake/store"
)

// List is Stripe's list envelope.
type List struct {
	Object  string `json:"object"`
	Data    []any  `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// SearchResult is Stripe's search envelope.
type SearchResult struct {
	Object     string  `json:"object"`
	Data       []any   `json:"data"`
	HasMore    bool    `json:"has_more"`
	NextPage   *string `json:"next_page"`
	URL        string  `json:"url"`
	TotalCount *int64  `json:"total_count,omitempty"` // only with expand[]=total_count
}

// limit reads the limit parameter: 1 to 100, default 10.
func limit(p Params) (int, error) {
	n, ok := p.Int("limit")
	if !ok {
		return 10, nil
	}
	if n < 1 {
		return 0, apierr.Invalid("parameter_invalid_integer", "limit", "This value must be greater than or equal to 1.")
	}
	if n > 100 {
		return 0, apierr.Invalid("parameter_invalid_integer", "limit", "This value must be less than or equal to 100.")
	}
	return int(n), nil
}

// createdFilter reports whether created matches the created parameter,
// either an exact integer or a range hash.
func createdFilter(p Params, key string) func(int64) bool {
	if n, ok := p.Int(key); ok {
		return func(t int64) bool { return t == n }
	}
	r, ok := p.Map(key)
	if !ok {
		return func(int64) bool { return true }
	}
	gt, hasGt := r.Int("gt")
	gte, hasGte := r.Int("gte")
	lt, hasLt := r.Int("lt")
	lte, hasLte := r.Int("lte")
	return func(t int64) bool {
		return (!hasGt || t > gt) && (!hasGte || t >= gte) && (!hasLt || t < lt) && (!hasLte || t <= lte)
	}
}

// pageArgs is what every list page reads: the limit, the one cursor
// (starting_after, or ending_before, which pages back: newestFirst is
// false) and the created filter.
type pageArgs struct {
	n           int
	param       string // the cursor's parameter
	cursor      string
	hasCursor   bool
	newestFirst bool
	createdOK   func(int64) bool
	lo, hi      int64 // the created bounds, when hasLo / hasHi
	hasLo       bool
	hasHi       bool
}

func readPageArgs(p Params) (pageArgs, error) {
	n, err := limit(p)
	if err != nil {
		return pageArgs{}, err
	}
	if p.Has("starting_after") && p.Has("ending_before") {
		return pageArgs{}, apierr.InvalidRequest("starting_after", "You may only specify one of these parameters: ending_before, starting_after.")
	}
	a := pageArgs{n: n, param: "starting_after", newestFirst: true, createdOK: createdFilter(p, "created")}
	a.cursor, a.hasCursor = p.String("starting_after")
	if before, ok := p.String("ending_before"); ok {
		a.param, a.cursor, a.hasCursor, a.newestFirst = "ending_before", before, true, false
	}
	a.lo, a.hasLo, a.hi, a.hasHi = createdBounds(p, "created")
	return a, nil
}

// page turns objects (newest inserted first) into one page of a list: the
// created filter, newest first by created with ties kept in insertion order,
// the starting_after / ending_before cursors and the limit.
func page[T any](c *Ctx, url string, items []*T, meta func(*T) (id string, created int64)) (*List, error) {
	args, err := readPageArgs(c.Params)
	if err != nil {
		return nil, err
	}
	n, keep := args.n, args.createdOK
	filtered := items[:0:0]
	for _, it := range items {
		if _, created := meta(it); keep(created) {
			filtered = append(filtered, it)
		}
	}
	sort.SliceStable(filtered, func(a, b int) bool {
		_, ca := meta(filtered[a])
		_, cb := meta(filtered[b])
		return ca > cb
	})
	index := func() (int, error) {
		for i, it := range filtered {
			if got, _ := meta(it); got == args.cursor {
				return i, nil
			}
		}
		return 0, c.e.noSuch(objectName(url), args.cursor, args.param)
	}
	lo, hi := 0, len(filtered)
	hasMore := false
	switch {
	case args.hasCursor && args.newestFirst:
		i, err := index()
		if err != nil {
			return nil, err
		}
		lo = i + 1
		hi = min(lo+n, len(filtered))
		hasMore = hi < len(filtered)
	case args.hasCursor:
		i, err := index()
		if err != nil {
			return nil, err
		}
		hi = i
		lo = max(0, hi-n)
		hasMore = lo > 0
	default:
		hi = min(n, len(filtered))
		hasMore = hi < len(filtered)
	}
	data := make([]any, 0, hi-lo)
	for _, it := range filtered[lo:hi] {
		data = append(data, it)
	}
	return &List{Object: "list", Data: data, HasMore: hasMore, URL: url}, nil
}

// objectName guesses the object name of a list URL for cursor errors,
// e.g. "/v1/customers" → "customer", "/v1/payment_methods" → "payment_method".
func objectName(url string) string {
	name := url
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == '/' {
			name = url[i+1:]
			break
		}
	}
	if len(name) > 1 && name[len(name)-1] == 's' {
		name = name[:len(name)-1]
	}
	return name
}

// listStored serves one page of a list of stored objects of kind, newest
// first, by walking the store from the cursor in insertion order and
// decoding only what it walks: the records carrying term (every record of
// kind when term is ""), kept when keep accepts them and created matches
// the created parameter. Its cost follows the page, not the store.
//
// It lists in insertion order, which is created order for the objects of
// one timeline: every timeline's clock only moves forward. So a list served
// this way must hold objects of one timeline: unfiltered lists leave out
// test-clock objects (skipTestClock), as Stripe does, and a filter such as
// customer or test_clock narrows to one clock. Lists that mix timelines use
// page.
func listStored[T any](c *Ctx, url, kind, term string, keep func(*T) bool, meta func(*T) (id string, created int64)) (*List, error) {
	var items []*T
	decode := func(raw []byte, v *T) error { return json.Unmarshal(raw, v) }
	hasMore, back, err := walkList(c, url, kind, term, decode, keep, meta, func(_ string, _ []byte, v *T) {
		items = append(items, v)
	})
	if err != nil {
		return nil, err
	}
	if back {
		slices.Reverse(items)
	}
	data := make([]any, len(items))
	for i, it := range items {
		data[i] = it
	}
	return &List{Object: "list", Data: data, HasMore: hasMore, URL: url}, nil
}

// walkList finds the page listStored describes, decoding each record it
// walks with decode, and hands add the page's records in walk order: their
// IDs, stored bytes (valid only during the call) and decoded values. It
// reports whether more records follow the page, and whether it walked
// backwards (ending_before), oldest first, so that the caller reverses
// what add got.
func walkList[T any](c *Ctx, url, kind, term string, decode func([]byte, *T) error, keep func(*T) bool, meta func(*T) (id string, created int64), add func(id string, raw []byte, v *T)) (hasMore, back bool, err error) {
	args, err := readPageArgs(c.Params)
	if err != nil {
		return false, false, err
	}
	n, createdOK := args.n, args.createdOK
	lo, hasLo, hi, hasHi := args.lo, args.hasLo, args.hi, args.hasHi
	param, from, seek, reverse := args.param, args.cursor, args.hasCursor, args.newestFirst
	count := 0
	fn := func(id string, raw []byte) (bool, error) {
		v := new(T)
		if err := decode(raw, v); err != nil {
			return false, err
		}
		if keep != nil && !keep(v) {
			return true, nil
		}
		_, created := meta(v)
		// Created follows the walk, so past a bound nothing more matches.
		if reverse && hasLo && created < lo || !reverse && hasHi && created > hi {
			return false, nil
		}
		if !createdOK(created) {
			return true, nil
		}
		if count == n {
			hasMore = true
			return false, nil
		}
		count++
		add(id, raw, v)
		return true, nil
	}
	tx := c.tx
	switch {
	case !seek && term == "":
		err = tx.Scan(kind, reverse, fn)
	case !seek:
		err = tx.ScanIndex(kind, term, reverse, fn)
	case term == "":
		err = tx.ScanFrom(kind, from, reverse, fn)
	default:
		err = tx.ScanIndexFrom(kind, term, from, reverse, fn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, false, c.e.noSuch(objectName(url), from, param)
	}
	if err != nil {
		return false, false, err
	}
	return hasMore, !reverse, nil
}

// createdBounds returns the inclusive bounds the created parameter key
// sets, for stopping a walk early.
func createdBounds(p Params, key string) (lo int64, hasLo bool, hi int64, hasHi bool) {
	if n, ok := p.Int(key); ok {
		return n, true, n, true
	}
	r, ok := p.Map(key)
	if !ok {
		return 0, false, 0, false
	}
	if n, ok := r.Int("gte"); ok {
		lo, hasLo = n, true
	}
	if n, ok := r.Int("gt"); ok && (!hasLo || n+1 > lo) {
		lo, hasLo = n+1, true
	}
	if n, ok := r.Int("lte"); ok {
		hi, hasHi = n, true
	}
	if n, ok := r.Int("lt"); ok && (!hasHi || n-1 < hi) {
		hi, hasHi = n-1, true
	}
	return lo, hasLo, hi, hasHi
}

// skipTestClock reports whether a list leaves out an object on testClock:
// Stripe's lists omit objects of test clocks unless a filter such as
// customer or test_clock is given (docs.stripe.com/search, Limitations;
// docs.stripe.com/api/customers/list, test_clock).
func skipTestClock(testClock *string, filtered bool) bool {
	return testClock != nil && !filtered
}
